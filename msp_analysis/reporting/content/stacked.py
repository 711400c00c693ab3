"""Every council's rows of a year at once: the council, its region and England, as ``area_totals`` sums them.

Shared by the locality report's once-per-year tables (:mod:`msp_analysis.reporting.content.locality`) and the
other-enquiries section (:mod:`msp_analysis.reporting.content.other_enquiries`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.analysis.pathway import series_codes
from msp_analysis.reference.geography import short_name


def _council_rows(per_council: pd.DataFrame, columns: list[str], year: str) -> tuple[list[str], list[str], np.ndarray,
                                                                                      list[str], list[str]]:
    """(codes, names, council sums, regions, ...) of every council of `year`, as :func:`area_totals` sums them.

    A council's row is the sum of the rows of its series codes in the year (:func:`series_codes`),
    named after the last of them, as :func:`area_totals` does.
    """
    in_year = per_council[per_council["financial_year"] == year]
    codes = in_year["ons_code"].astype(str).tolist()
    names_in_year = in_year["council_name"].astype(str).tolist()
    regions = in_year["region"].astype(str).tolist()
    values = in_year[columns].to_numpy()
    position = {code: i for i, code in enumerate(codes)}
    sums, names = [], []
    for code in codes:
        members = sorted(position[c] for c in series_codes(code) if c in position)
        sums.append(values[members].sum(axis=0))
        names.append(names_in_year[members[-1]])
    return codes, names, np.array(sums, dtype=values.dtype).reshape(len(codes), len(columns)), regions, codes


def _level_sums(per_council: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region and England sums of `columns` per financial year (as :func:`area_totals` sums them)."""
    regions = per_council.groupby(["financial_year", "region"], sort=True)[columns].sum().reset_index()
    return regions, per_council.groupby("financial_year", sort=True)[columns].sum().reset_index()


def _three_levels(per_council: pd.DataFrame, columns: list[str], year: str) -> tuple[list[str], pd.DataFrame]:
    """Council, region and England rows of `columns` in `year` for every council: three rows per council.

    Each three are what ``area_totals(per_council, columns, code, year, region)`` gives for the
    council, without ``financial_year``: ``level``, ``name``, then `columns`.
    """
    codes, names, sums, regions, _ = _council_rows(per_council, columns, year)
    region_sums, england = _level_sums(per_council, columns)
    region_sums = region_sums[region_sums["financial_year"] == year].set_index("region")[columns]
    england_row = england[england["financial_year"] == year][columns].to_numpy()[0]
    stacked = np.empty((3 * len(codes), len(columns)), dtype=np.result_type(sums.dtype, england_row.dtype))
    stacked[0::3] = sums
    stacked[1::3] = region_sums.loc[regions].to_numpy()
    stacked[2::3] = england_row
    frame = pd.DataFrame(stacked, columns=columns)
    frame.insert(0, "level", ["council", "region", "England"] * len(codes))
    frame.insert(1, "name", [n for name, region in zip(names, regions, strict=True)  # a council as said: "Hull"
                             for n in (short_name(str(name)), region, "England")])
    return codes, frame


def _three_areas(codes: list[str], frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The (level, area) of every row of :func:`_three_levels`: the council's code, its region, England."""
    return [(level, {"council": code, "region": region}.get(level, "England"))
            for code, (level, region) in zip([c for c in codes for _ in range(3)],
                                             zip(frame["level"], frame["name"], strict=True), strict=True)]
