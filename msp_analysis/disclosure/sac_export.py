"""The SAC-format export: clean enquiries aggregated into SAC tables and shown under the SAC rule.

:func:`aggregate_to_sac` is how record-level data (``clean_evaluation`` output) become a file
in the Safeguarding Adults Collection long CSV layout: England, region and council counts of
tables SG2a, SG2b, SG2c, SG2e, SG3a and SG4a, computed unrounded and then shown under a
disclosure policy (SAC: under 5 → ``[c]``, others to the nearest 5, ties up) exactly as a
published file shows them. Cleaning the result with ``clean_sac`` gives the shown counts back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.analysis.pathway import section_42_rows
from msp_analysis.clean.sac_codebook import (
    CAPACITY_TABLE,
    CONCLUDED_S42,
    ENGLAND_LA_CODE,
    ENGLAND_ONS_CODE,
    MSP_TABLE,
    SAC_LONG_COLUMNS,
    YEAR_COLUMN,
    council_lookup,
    sac_labels,
)
from msp_analysis.disclosure.policies import POLICIES, DisclosurePolicy
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import LACKED_CAPACITY

SUPPORT_LABEL = "Supported by an advocate, family or friend"
SG4A_ASKED_HEADING = "Asked about desired outcomes"
SG4A_ACHIEVED_HEADING = "Desired outcomes achieved (where expressed)"


def _aggregate_specs() -> pd.DataFrame:
    """The rows of one geography in a SAC file made from record-level data, in publication order."""
    rows = [("SG2a", label, "") for label in sac_labels("SG2a")]
    rows += [("SG2b", loc, src) for loc in sac_labels("SG2b", "location") for src in sac_labels("SG2b", "source")]
    rows += [(t, label, "") for t in ("SG2c", "SG2e") for label in sac_labels(t)]
    rows += [(CAPACITY_TABLE, label, "") for label in sac_labels(CAPACITY_TABLE, "capacity")]
    rows += [(CAPACITY_TABLE, LACKED_CAPACITY, SUPPORT_LABEL)]
    rows += [(MSP_TABLE, SG4A_ASKED_HEADING, label) for label in sac_labels(MSP_TABLE, "asked")]
    rows += [(MSP_TABLE, SG4A_ACHIEVED_HEADING, label) for label in sac_labels(MSP_TABLE, "achieved")]
    specs = pd.DataFrame(rows, columns=["table", "category", "subcategory"])
    specs["spec"] = np.arange(len(specs))
    return specs


def aggregate_to_sac(df_enquiries: pd.DataFrame, policy: DisclosurePolicy = POLICIES["sac"]) -> pd.DataFrame:
    """Aggregate clean enquiries (``clean_evaluation`` output) into the SAC long CSV layout.

    England, region and council rows per financial year (councils that appear in the data),
    tables SG2a (several risks per enquiry), SG2b (several locations and sources per enquiry: one
    count for each location × source pair that applies), SG2c, SG2e, SG3a and SG4a over concluded
    Section 42 enquiries. Counts are computed unrounded at every level, then shown under
    `policy` (SAC: under 5 → ``[c]``, others to the nearest 5, ties up) as text exactly as a
    published file shows them. A leading ``FINANCIAL_YEAR`` column lets one file hold several
    years; drop it and split by year to mimic the published files.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean enquiries (the ``evaluation`` schema); only Section 42 enquiries are counted, but
        every council and year present gets its rows (zeros included).
    policy : DisclosurePolicy
        How each count is shown; the SAC's own rule by default.

    Returns
    -------
    pandas.DataFrame
        All text: ``FINANCIAL_YEAR`` and the SAC long CSV columns, England first, then regions
        and councils in region order, each with every SAC row of the tables above.

    >>> sac = aggregate_to_sac(clean_evaluation(export).clean)   # doctest: +SKIP
    """
    specs = _aggregate_specs()
    s42 = section_42_rows(df_enquiries)
    s42 = s42.assign(financial_year=s42["financial_year"].astype(str), ons_code=s42["ons_code"].astype(str))
    contributions = []

    def add(frame: pd.DataFrame, table: str, category: pd.Series | str, subcategory: pd.Series | str = "") -> None:
        """Each row of `frame` counts once in the SAC row (table, category, subcategory)."""
        contributions.append(pd.DataFrame({
            "financial_year": frame["financial_year"], "ons_code": frame["ons_code"], "table": table,
            "category": category, "subcategory": subcategory,
        }, index=frame.index))

    risks = s42.assign(risk=s42["risk_types"].astype("string").str.split("; ")).explode("risk")
    risks = risks[risks["risk"].notna()]
    add(risks, "SG2a", risks["risk"].astype(str))
    # SG2b: an enquiry counts once for each location and source that apply, so once per pair of them
    both = s42[s42["risk_location"].notna() & s42["risk_source"].notna()]
    both = both.assign(location=both["risk_location"].astype("string").str.split("; "),
                       source=both["risk_source"].astype("string").str.split("; ")).explode("location").explode("source")
    add(both, "SG2b", both["location"].astype(str), both["source"].astype(str))
    for table, column in (("SG2c", "risk_assessment_outcome"), ("SG2e", "risk_outcome"), (CAPACITY_TABLE, "lacked_capacity")):
        part = s42[s42[column].notna()]
        add(part, table, part[column].astype(str))
    supported = s42[s42["lacked_capacity"].astype("string").eq(LACKED_CAPACITY).fillna(False)
                    & s42["capacity_support"].astype("string").eq("Yes").fillna(False)]
    add(supported, CAPACITY_TABLE, LACKED_CAPACITY, SUPPORT_LABEL)
    asked = s42[s42["msp_asked"].notna()]
    add(asked, MSP_TABLE, SG4A_ASKED_HEADING, asked["msp_asked"].astype(str))
    achieved = s42[s42["msp_outcome_achieved"].notna()]
    add(achieved, MSP_TABLE, SG4A_ACHIEVED_HEADING, achieved["msp_outcome_achieved"].astype(str))
    counted = pd.concat(contributions, ignore_index=True).merge(specs, on=["table", "category", "subcategory"])
    per_council = counted.groupby(["financial_year", "ons_code", "spec"]).size()

    present = df_enquiries[["financial_year", "ons_code"]].dropna().astype(str).drop_duplicates()
    grid = pd.MultiIndex.from_frame(
        present.merge(specs[["spec"]], how="cross").sort_values(["financial_year", "ons_code", "spec"])
    )
    councils = per_council.reindex(grid, fill_value=0).rename("count").reset_index()
    meta = pd.DataFrame(
        [(y, ons, *council_lookup(y).get(ons, (None, None, None, None))) for y, ons in present.itertuples(index=False)],
        columns=["financial_year", "ons_code", "cassr_code", "name", "council_type", "region"],
    )
    councils = councils.merge(meta, on=["financial_year", "ons_code"], how="left")
    regions = councils.groupby(["financial_year", "region", "spec"], as_index=False)["count"].sum()
    england = councils.groupby(["financial_year", "spec"], as_index=False)["count"].sum()
    region_code = dict((n, c) for c, n in geography.REGIONS)
    region_rank = {n: i for i, (_, n) in enumerate(geography.REGIONS)}
    levels = pd.concat([
        england.assign(GEOGRAPHY="England", COUNCIL_TYPE="", REGION_CODE="", REGION_NAME="", ONS_CODE=ENGLAND_ONS_CODE,
                       LA_CODE=ENGLAND_LA_CODE, LA_NAME="England", _level=0, _rank=-1, _name=""),
        regions.assign(GEOGRAPHY="Region", COUNCIL_TYPE="", REGION_CODE=regions["region"].map(region_code),
                       REGION_NAME=regions["region"], ONS_CODE=regions["region"].map(region_code), LA_CODE="",
                       LA_NAME="", _level=1, _rank=regions["region"].map(region_rank), _name=""),
        councils.assign(GEOGRAPHY="Council", COUNCIL_TYPE=councils["council_type"],
                        REGION_CODE=councils["region"].map(region_code), REGION_NAME=councils["region"],
                        ONS_CODE=councils["ons_code"], LA_CODE=councils["cassr_code"], LA_NAME=councils["name"],
                        _level=2, _rank=councils["region"].map(region_rank), _name=councils["name"].str.casefold()),
    ], ignore_index=True)
    levels = levels.sort_values(["financial_year", "_level", "_rank", "_name", "ONS_CODE", "spec"], kind="stable")
    levels = levels.merge(specs, on="spec", how="left", sort=False)
    counts = levels["count"].astype("int64")
    shown = {c: policy.format_count(int(c)) for c in counts.unique()}
    out = pd.DataFrame({
        YEAR_COLUMN: levels["financial_year"],
        **{c: levels[c] for c in SAC_LONG_COLUMNS[:7]},
        "TABLE_REFERENCE": levels["table"],
        "ENQUIRY_TYPE": CONCLUDED_S42,
        "CATEGORY": levels["category"],
        "SUBCATEGORY": levels["subcategory"],
        "VALUE": counts.map(shown),
    })
    return out.astype("string").fillna("").astype(object).reset_index(drop=True)
