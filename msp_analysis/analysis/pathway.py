"""The MSP pathway from record-level enquiries: asked → expressed → fully / partially / not achieved.

Definitions follow the published SAC measures (docs/data.md, "Safeguarding Adults Collection"): asked % and expressed % are
shares of concluded Section 42 enquiries; fully / partially / not % are shares of those
where outcomes were expressed. Rates are computed from unrounded counts.

:func:`national_context` is the shared input of every council's locality report: the pathway
and the SAC-style category counts (type, location and source of risk, mental capacity, risk
outcome) of every council and year, computed once per input frame and worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from msp_analysis.reference.codebook import ASKED_NOT_EXPRESSED, EXPRESSED, LACKED_CAPACITY, canonical_labels
from msp_analysis.toolkit.caches import frame_cache

COUNT_COLUMNS = [
    "concluded_s42", "asked_expressed", "asked_not_expressed", "not_asked", "asked_unknown",
    "fully", "partially", "not_achieved",
]
RATE_DEFINITIONS = {  # rate column: (numerator columns, denominator columns)
    "asked_pct": (["asked_expressed", "asked_not_expressed"], ["concluded_s42"]),
    "expressed_pct": (["asked_expressed"], ["concluded_s42"]),
    "fully_pct": (["fully"], ["fully", "partially", "not_achieved"]),
    "partially_pct": (["partially"], ["fully", "partially", "not_achieved"]),
    "not_pct": (["not_achieved"], ["fully", "partially", "not_achieved"]),
    "fully_or_partially_pct": (["fully", "partially"], ["fully", "partially", "not_achieved"]),
}


def pathway_counts(df_enquiries: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts of the MSP pathway among concluded Section 42 enquiries, per group of `by`.

    >>> pathway_counts(df_enquiries, ["ons_code", "financial_year"])  # doctest: +SKIP
    """
    s42 = df_enquiries[df_enquiries["enquiry_type"] == "Section 42"]
    asked = s42["msp_asked"]
    achieved = s42["msp_outcome_achieved"]
    flags = pd.DataFrame({
        "concluded_s42": 1,
        "asked_expressed": asked.isin([EXPRESSED]),
        "asked_not_expressed": asked.isin([ASKED_NOT_EXPRESSED]),
        "not_asked": asked.isin(["No"]),
        "asked_unknown": asked.isin(["Don't Know", "Not Recorded"]),
        "fully": achieved.isin(["Fully Achieved"]),
        "partially": achieved.isin(["Partially Achieved"]),
        "not_achieved": achieved.isin(["Not Achieved"]),
    }, index=s42.index).astype("int64")
    keys = [s42[column] for column in by]
    return flags.groupby(keys, observed=True).sum().reset_index()


def add_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add the published MSP percentages (0-100); a zero denominator gives a missing rate."""
    out = counts.copy()
    for rate, (numerator, denominator) in RATE_DEFINITIONS.items():
        top = out[numerator].sum(axis=1).astype(float)
        bottom = out[denominator].sum(axis=1).astype(float)
        out[rate] = np.where(bottom > 0, 100 * top / bottom.where(bottom > 0), np.nan)
    return out


def locality_comparison(df_enquiries: pd.DataFrame, ons_code: str, year: str) -> pd.DataFrame:
    """The pathway for one council beside its region and England in one financial year.

    One row per geography (``level`` = council / region / England) with counts and rates.
    """
    in_year = df_enquiries[df_enquiries["financial_year"] == year]
    council = in_year[in_year["ons_code"] == ons_code]
    if council.empty:
        raise ValueError(f"no enquiries for council {ons_code} in {year}")
    region = council["region"].iloc[0]
    parts = [
        ("council", council["council_name"].iloc[0], council),
        ("region", region, in_year[in_year["region"] == region]),
        ("England", "England", in_year),
    ]
    rows = []
    for level, name, frame in parts:
        counts = pathway_counts(frame.assign(_all=name), ["_all"]).drop(columns="_all")
        rows.append(counts.assign(level=level, name=name))
    table = pd.concat(rows, ignore_index=True)
    return add_rates(table)[["level", "name", *COUNT_COLUMNS, *RATE_DEFINITIONS]]


AREA_COLUMNS = ["financial_year", "ons_code", "council_name", "region"]


def council_pathways(df_enquiries: pd.DataFrame) -> pd.DataFrame:
    """Pathway counts for every council and financial year in the data (no rates).

    One row per (``financial_year``, ``ons_code``) with ``council_name``, ``region`` and the
    COUNT_COLUMNS; regions and England are sums of these rows (:func:`area_totals`). This is
    the shared input of every council's report (trend, funnel plot), computed once.
    """
    counts = pathway_counts(df_enquiries, AREA_COLUMNS)
    for column in AREA_COLUMNS:
        counts[column] = counts[column].astype(str)
    return counts.sort_values(["financial_year", "ons_code"]).reset_index(drop=True)


def area_totals(per_council: pd.DataFrame, columns: list[str], ons_code: str, year: str | None = None,
                region: str | None = None) -> pd.DataFrame:
    """Council, region and England sums of `columns` per financial year from a per-council table.

    Returns rows with ``financial_year``, ``level`` (council / region / England), ``name`` and
    the summed columns, for `year` only when given. `region` defaults to the council's region
    in the latest year it appears.
    """
    rows = per_council if year is None else per_council[per_council["financial_year"] == year]
    council = rows[rows["ons_code"] == ons_code]
    if council.empty:
        raise ValueError(f"no enquiries for council {ons_code}" + (f" in {year}" if year else ""))
    region = region or str(council["region"].iloc[-1])
    name = str(council["council_name"].iloc[-1])
    parts = [("council", name, council), ("region", region, rows[rows["region"] == region]), ("England", "England", rows)]
    out = []
    for level, label, frame in parts:
        sums = frame.groupby("financial_year", sort=True)[columns].sum().reset_index()
        out.append(sums.assign(level=level, name=label))
    table = pd.concat(out, ignore_index=True)
    return table[["financial_year", "level", "name", *columns]]


# --- per-council counts shared by every council's report --------------------------------------------


@dataclass(frozen=True)
class NationalContext:
    """Per-council counts for every financial year in the data; regions and England are their sums.

    ``pathway``: MSP pathway counts; ``categories``: name → counts per category label
    (``risk_types`` (several per enquiry), ``locations``, ``sources``, ``capacity``,
    ``risk_outcomes``), each with the AREA_COLUMNS and ``concluded_s42``.
    """

    pathway: pd.DataFrame
    categories: dict


def _category_counts(s42: pd.DataFrame, column: str, labels: list[str], multi: bool = False) -> pd.DataFrame:
    """Per council and year: ``concluded_s42`` and the number of enquiries with each of `labels` in `column`."""
    values = s42[column].astype("string")
    keys = s42[AREA_COLUMNS].astype(str)
    if multi:
        exploded = values.str.split("; ").explode()
        keys = keys.loc[exploded.index]
        values = exploded
    frame = keys.assign(_label=values.to_numpy())
    frame = frame[frame["_label"].isin(labels)]
    counts = frame.groupby(AREA_COLUMNS + ["_label"], sort=False).size().unstack("_label", fill_value=0)
    counts = counts.reindex(columns=labels, fill_value=0)
    totals = s42[AREA_COLUMNS].astype(str).value_counts().rename("concluded_s42")
    out = totals.to_frame().join(counts, how="left").fillna(0).astype("int64").reset_index()
    out.columns.name = None
    return out.sort_values(["financial_year", "ons_code"]).reset_index(drop=True)


@frame_cache
def national_context(df_enquiries: pd.DataFrame) -> NationalContext:
    """Every council's pathway and SAC-style counts (SG2a, SG2b, SG3a, SG2e) for every year in the data.

    Cached per input frame and worker (:func:`msp_analysis.toolkit.caches.frame_cache`): every
    council's report of a batch shares one computation.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean record-level enquiries (``clean_evaluation(...).clean``).
    """
    s42 = df_enquiries[df_enquiries["enquiry_type"].astype("string").eq("Section 42").fillna(False)]
    capacity = _category_counts(s42, "lacked_capacity", canonical_labels("lacked_capacity"))
    supported = s42[s42["lacked_capacity"].astype("string").eq(LACKED_CAPACITY).fillna(False)
                    & s42["capacity_support"].astype("string").eq("Yes").fillna(False)]
    support_counts = supported[AREA_COLUMNS].astype(str).value_counts().rename("supported")
    capacity = capacity.merge(support_counts.reset_index(), on=AREA_COLUMNS, how="left")
    capacity["supported"] = capacity["supported"].fillna(0).astype("int64")
    categories = {
        "risk_types": _category_counts(s42, "risk_types", canonical_labels("risk_types"), multi=True),
        "locations": _category_counts(s42, "risk_location", canonical_labels("risk_location")),
        "sources": _category_counts(s42, "risk_source", canonical_labels("risk_source")),
        "capacity": capacity,
        "risk_outcomes": _category_counts(s42, "risk_outcome", canonical_labels("risk_outcome")),
    }
    return NationalContext(pathway=council_pathways(df_enquiries), categories=categories)
