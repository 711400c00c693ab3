"""The published MSP percentages of a clean SAC frame, through the pathway definitions.

SAC tables SG3a (mental capacity: its four categories add up to the concluded Section 42
enquiries) and SG4a (asked about outcomes; outcomes achieved) give the counts of the MSP
pathway (``pathway.COUNT_COLUMNS``); :func:`msp_rates` turns them into the published rates
with ``pathway.add_rates``, so record-level and published data share one definition. A rate
with any suppressed, not-submitted or missing input is missing, never computed from a guess.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from msp_analysis.analysis import pathway
from msp_analysis.clean.common import GEOGRAPHY_LEVELS
from msp_analysis.clean.sac_codebook import CAPACITY_TABLE, CONCLUDED_S42, MSP_TABLE
from msp_analysis.reference.codebook import ASKED_NOT_EXPRESSED, EXPRESSED, LACKED_CAPACITY
from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.files import neutralise_formulas

MSP_RATE_KEY = ["ons_code", "name", "financial_year"]
# SAC labels feeding the pathway count columns (several labels may add up to one column).
PATHWAY_COUNTS: dict[tuple[str, str], str] = {
    (CAPACITY_TABLE, LACKED_CAPACITY): "concluded_s42",
    (CAPACITY_TABLE, "No, they did not lack capacity"): "concluded_s42",
    (CAPACITY_TABLE, "Don't know"): "concluded_s42",
    (CAPACITY_TABLE, "Not recorded"): "concluded_s42",
    (MSP_TABLE, EXPRESSED): "asked_expressed",
    (MSP_TABLE, ASKED_NOT_EXPRESSED): "asked_not_expressed",
    (MSP_TABLE, "No"): "not_asked",
    (MSP_TABLE, "Don't Know"): "asked_unknown",
    (MSP_TABLE, "Not Recorded"): "asked_unknown",
    (MSP_TABLE, "Fully Achieved"): "fully",
    (MSP_TABLE, "Partially Achieved"): "partially",
    (MSP_TABLE, "Not Achieved"): "not_achieved",
}


def msp_rates(df_sac: pd.DataFrame) -> pd.DataFrame:
    """The published MSP percentages per geography and year from a clean SAC frame.

    concluded_s42 is the sum of the four SG3a capacity categories; asked/expressed % are shares
    of it and fully/partially/not % shares of the achieved counts (``pathway.RATE_DEFINITIONS``,
    computed by ``pathway.add_rates``). A rate with any suppressed, not-submitted or missing
    input is NaN — never a number computed from a guess.

    Parameters
    ----------
    df_sac : pandas.DataFrame
        Clean SAC counts (``clean_sac(...).clean``) of one release per year; other tables and
        sub-labels are ignored.

    Returns
    -------
    pandas.DataFrame
        One row per geography and year (England, regions, council types, councils, in that
        order): ``ons_code, name, financial_year, concluded_s42`` and the rate columns.

    Raises
    ------
    UnusableInputError
        When a geography and year carries the same SAC label twice (a ``ValueError``).

    >>> msp_rates(clean_sac(frame).clean)   # doctest: +SKIP
    """
    columns = MSP_RATE_KEY + ["concluded_s42", *pathway.RATE_DEFINITIONS]
    bridge = pd.DataFrame([(t, lab, c) for (t, lab), c in PATHWAY_COUNTS.items()],
                          columns=["table", "label", "count_column"])
    count_column = df_sac[["table", "label"]].astype(object).merge(bridge, how="left")["count_column"]
    count_column.index = df_sac.index
    use = (count_column.notna() & df_sac["sublabel"].isna()
           & df_sac["enquiry_type"].astype("string").fillna(CONCLUDED_S42).eq(CONCLUDED_S42))
    rows = df_sac.loc[use]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    group_keys = ["financial_year", "geography_level", "ons_code", "name"]
    keyed = rows[group_keys].astype("string").fillna("")
    keyed["count_column"] = count_column[use]
    keyed["label"] = rows["label"].astype(str)
    duplicated = keyed.duplicated(subset=group_keys + ["label"])
    if duplicated.any():
        raise UnusableInputError("msp_rates: a geography and year has the same SAC label twice; clean the files together "
                         "so duplicates are rejected, or pass one release per year")
    keyed["value"] = rows["value"].astype(float)
    keyed["usable"] = ~rows["suppressed"].astype(bool) & ~rows["not_submitted"].astype(bool) & rows["value"].notna()
    grouped = keyed.groupby(group_keys + ["count_column"])
    counts = grouped["value"].sum().unstack("count_column")
    complete = grouped["usable"].all().unstack("count_column").fillna(False).astype(bool)
    needed = Counter(PATHWAY_COUNTS.values())
    present = grouped.size().unstack("count_column").fillna(0)
    for column in pathway.COUNT_COLUMNS:
        if column not in counts:
            counts[column], complete[column], present[column] = np.nan, False, 0
        complete[column] &= present[column].eq(needed[column])
    counts = counts[pathway.COUNT_COLUMNS].where(complete[pathway.COUNT_COLUMNS])
    rates = pathway.add_rates(counts.fillna(0))
    for rate, (numerator, denominator) in pathway.RATE_DEFINITIONS.items():
        rates[rate] = rates[rate].where(complete[numerator + denominator].all(axis=1))
    rates["concluded_s42"] = counts["concluded_s42"]
    rates = rates.reset_index()
    level_rank = {level: i for i, level in enumerate(GEOGRAPHY_LEVELS)}
    rates = rates.assign(_level=rates["geography_level"].map(level_rank)).sort_values(
        ["financial_year", "_level", "ons_code", "name"], kind="stable")
    out = rates[columns].reset_index(drop=True)
    out.columns.name = None
    for column in ["ons_code", "name", "financial_year"]:
        out[column] = out[column].astype("string")
    out["ons_code"] = out["ons_code"].mask(out["ons_code"].eq(""))  # council types have no code
    return out


def _round_half_up(values: pd.Series, digits: int = 1) -> pd.Series:
    scale = 10 ** digits
    return np.floor(values.astype(float) * scale + 0.5 + 1e-9) / scale


def msp_rates_csv(df_sac: pd.DataFrame) -> str:
    """:func:`msp_rates` as CSV text, rates rounded half up to 1 dp (the output of ``msp-analysis msp-rates``).

    Parameters
    ----------
    df_sac : pandas.DataFrame
        Clean SAC counts, as for :func:`msp_rates`.

    Returns
    -------
    str
        CSV with a header line and ``\\n`` line ends; ``concluded_s42`` as a whole number; text a
        spreadsheet would run as a formula quote-prefixed.

    >>> msp_rates_csv(clean).splitlines()[0]   # doctest: +SKIP
    'ons_code,name,financial_year,concluded_s42,asked_pct,expressed_pct,fully_pct,partially_pct,not_pct,fully_or_partially_pct'
    """
    rates = msp_rates(df_sac)
    for column in rates.columns[4:]:
        rates[column] = _round_half_up(rates[column])
    rates["concluded_s42"] = rates["concluded_s42"].astype(float).round().astype("Int64")
    # names come from the published file: a cell a spreadsheet would run is shown as text instead
    return neutralise_formulas(rates).to_csv(index=False, lineterminator="\n", float_format="%.1f")
