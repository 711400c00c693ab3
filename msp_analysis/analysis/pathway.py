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
from scipy import special

from msp_analysis.reference import geography
from msp_analysis.reference.codebook import ASKED_NOT_EXPRESSED, EXPRESSED, LACKED_CAPACITY, canonical_labels
from msp_analysis.toolkit.caches import frame_cache
from msp_analysis.toolkit.errors import ParameterError

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


@frame_cache
def _level_sums(per_council: pd.DataFrame, columns: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region and England sums of `columns` per financial year: once per frame, for every council's report."""
    regions = per_council.groupby(["financial_year", "region"], sort=True)[list(columns)].sum().reset_index()
    england = per_council.groupby("financial_year", sort=True)[list(columns)].sum().reset_index()
    return regions, england


def area_totals(per_council: pd.DataFrame, columns: list[str], ons_code: str, year: str | None = None,
                region: str | None = None) -> pd.DataFrame:
    """Council, region and England sums of `columns` per financial year from a per-council table.

    Returns rows with ``financial_year``, ``level`` (council / region / England), ``name`` and
    the summed columns, for `year` only when given. `region` defaults to the council's region
    in the latest year it appears. The council's rows are one series per area: a code that
    continues a predecessor one-to-one (:func:`series_codes`) carries the predecessor's years.
    """
    council = per_council[per_council["ons_code"].isin(series_codes(ons_code))]
    if year is not None:
        council = council[council["financial_year"] == year]
    if council.empty:
        raise ValueError(f"no enquiries for council {ons_code}" + (f" in {year}" if year else ""))
    region = region or str(council["region"].iloc[-1])
    name = str(council["council_name"].iloc[-1])
    regions, england = _level_sums(per_council, tuple(columns))
    regional = regions[regions["region"] == region].drop(columns="region")
    sums = [council.groupby("financial_year", sort=True)[columns].sum().reset_index().assign(level="council", name=name),
            regional.assign(level="region", name=region), england.assign(level="England", name="England")]
    if year is not None:
        sums = [part[part["financial_year"] == year] for part in sums]
    table = pd.concat(sums, ignore_index=True)
    return table[["financial_year", "level", "name", *columns]]


# --- one council's series over the years ---------------------------------------------------------------


def series_codes(ons_code: str) -> list[str]:
    """The codes of one area's series: `ons_code` and every code it continues one-to-one, oldest first.

    A council whose code changed without a boundary change (North Yorkshire E10000023 →
    E06000065, Somerset E10000027 → E06000066, Buckinghamshire E10000002 → E06000060) continues
    its predecessor's series: the change in :data:`~msp_analysis.reference.geography.BOUNDARY_CHANGES`
    has one old code with that one successor, and the new code has that one predecessor. A
    split (Cumbria) or merger (BCP) starts a new series. Codes that are not councils are their
    own series.

    Parameters
    ----------
    ons_code : str
        The council's ONS code in the latest year of the series.

    >>> series_codes("E06000065")
    ['E10000023', 'E06000065']
    >>> series_codes("E06000063")
    ['E06000063']
    """
    codes = [str(ons_code)]
    while True:
        try:
            before = geography.predecessors(codes[0])
        except ParameterError:
            return codes
        if len(before) != 1 or geography.successors(before[0]) != [codes[0]] or before[0] in codes:
            return codes
        codes.insert(0, before[0])


def change_p_value(k1: float, n1: float, k2: float, n2: float) -> float:
    """Two-sided p-value for a change between two proportions ``k1/n1`` and ``k2/n2``.

    The pooled two-proportion z-test, ``z = (p2 - p1) / sqrt(p(1-p)(1/n1 + 1/n2))`` with
    ``p = (k1 + k2) / (n1 + n2)``; when an expected count is below 5 Fisher's exact test on
    the 2×2 table (counts rounded to whole people) instead. A change is clear at the 95% level
    when the p-value is below 0.05.

    Parameters
    ----------
    k1, n1 : float
        People with the outcome, and people, in the first year (from disclosed values).
    k2, n2 : float
        The same in the second year.

    Returns
    -------
    float
        The p-value; 1.0 when either year has no people or every person is in the same group.

    >>> round(change_p_value(50, 100, 70, 100), 4)
    0.0039
    """
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    expected = np.array([n1, n2]) * np.array([[pooled], [1 - pooled]])
    if expected.min() < 5:
        table = np.round([[k1, n1 - k1], [k2, n2 - k2]]).astype(int)
        from scipy import stats  # lazy: 0.6 s to import, for the rare small table

        return float(stats.fisher_exact(table)[1])
    z = (k2 / n2 - k1 / n1) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * special.ndtr(-abs(z)))  # the normal upper tail (scipy.stats.norm.sf is this function)


# --- per-council counts shared by every council's report --------------------------------------------


@dataclass(frozen=True)
class NationalContext:
    """Per-council counts for every financial year in the data; regions and England are their sums.

    ``pathway``: MSP pathway counts; ``categories``: name → counts per category label
    (``risk_types``, ``locations`` and ``sources`` (several per enquiry, with ``recorded``: the
    enquiries naming at least one), ``capacity``, ``risk_outcomes``), each with the AREA_COLUMNS
    and ``concluded_s42``.
    """

    pathway: pd.DataFrame
    categories: dict


def _category_counts(s42: pd.DataFrame, column: str, labels: list[str], multi: bool = False,
                     area_keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per council and year: ``concluded_s42`` and the number of enquiries with each of `labels` in `column`.

    With `multi` a cell may name several labels (``"Own Home; Other"``): the enquiry counts once
    for each, as the collection counts them, and ``recorded`` is the number of enquiries naming
    at least one, the denominator of shares that can add to more than 100%. `area_keys`:
    ``s42[AREA_COLUMNS].astype(str)`` when already made (one conversion for every category).

    Counted on integer codes (areas numbered by one group-by, labels looked up and cells split
    by Arrow), not on string keys: at England's volumes the string version cost seconds per category.
    """
    import pyarrow as pa  # lazy: pandas' own dependency, loaded with the frames
    import pyarrow.compute as pc

    keys = s42[AREA_COLUMNS].astype(str) if area_keys is None else area_keys
    area = keys.groupby(AREA_COLUMNS, sort=False).ngroup().fillna(-1).to_numpy(dtype="int64")  # -1: a key missing
    first = np.unique(area, return_index=True)[1][np.unique(area) >= 0]
    values = pa.array(s42[column].astype("string"))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    owner = np.arange(len(s42))
    if multi:
        parts = pc.split_pattern(values, pattern="; ")
        owner = pc.list_parent_indices(parts).to_numpy()
        values = pc.list_flatten(parts)
    codes = pc.fill_null(pc.index_in(values, value_set=pa.array(labels, type=values.type)), -1).to_numpy()
    hit = (codes >= 0) & (area[owner] >= 0)
    areas, k = len(first), len(labels)
    counts = np.bincount(area[owner[hit]] * k + codes[hit], minlength=areas * k).reshape(areas, k)
    out = keys.iloc[first].reset_index(drop=True)
    columns = {"concluded_s42": np.bincount(area[area >= 0], minlength=areas),
               **dict(zip(labels, counts.T, strict=True))}
    if multi:
        named = np.zeros(len(s42), dtype=bool)
        named[owner[hit]] = True  # enquiries naming at least one label
        columns["recorded"] = np.bincount(area[named], minlength=areas)
    out = pd.concat([out, pd.DataFrame({c: v.astype("int64") for c, v in columns.items()})], axis=1)
    return out.sort_values(["financial_year", "ons_code"]).reset_index(drop=True)


@frame_cache
def section_42_rows(df_enquiries: pd.DataFrame) -> pd.DataFrame:
    """The concluded Section 42 enquiries of the frame: filtered once per frame and worker for every table.

    Filtering a whole export (every column) costs about a second at England's volumes, so the
    per-frame computations share one copy; they must not change it (they add columns with ``assign``).
    """
    return df_enquiries[df_enquiries["enquiry_type"].astype("string").eq("Section 42").fillna(False)]


@frame_cache(shared=True)  # every kernel of a batch needs it: computed by one, read by the others
def national_context(df_enquiries: pd.DataFrame) -> NationalContext:
    """Every council's pathway and SAC-style counts (SG2a, SG2b, SG3a, SG2e) for every year in the data.

    Cached per input frame and worker (:func:`msp_analysis.toolkit.caches.frame_cache`): every
    council's report of a batch shares one computation.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean record-level enquiries (``clean_evaluation(...).clean``).
    """
    s42 = section_42_rows(df_enquiries)
    keys = s42[AREA_COLUMNS].astype(str)  # once for every category below
    capacity = _category_counts(s42, "lacked_capacity", canonical_labels("lacked_capacity"), area_keys=keys)
    supported = s42[s42["lacked_capacity"].astype("string").eq(LACKED_CAPACITY).fillna(False)
                    & s42["capacity_support"].astype("string").eq("Yes").fillna(False)]
    support_counts = supported[AREA_COLUMNS].astype(str).value_counts().rename("supported")
    capacity = capacity.merge(support_counts.reset_index(), on=AREA_COLUMNS, how="left")
    capacity["supported"] = capacity["supported"].fillna(0).astype("int64")
    categories = {
        "risk_types": _category_counts(s42, "risk_types", canonical_labels("risk_types"), multi=True,
                                       area_keys=keys),
        "locations": _category_counts(s42, "risk_location", canonical_labels("risk_location"), multi=True,
                                       area_keys=keys),
        "sources": _category_counts(s42, "risk_source", canonical_labels("risk_source"), multi=True,
                                       area_keys=keys),
        "capacity": capacity,
        "risk_outcomes": _category_counts(s42, "risk_outcome", canonical_labels("risk_outcome"), area_keys=keys),
    }
    return NationalContext(pathway=council_pathways(df_enquiries), categories=categories)


# --- the pathway by group: capacity, support, age band, sex, ethnicity, support reason ------------------

GROUP_COUNTS = ("concluded_s42", "asked", "not_asked", "asked_expressed", "asked_not_expressed", "fully", "not_fully")
"""Counts of the pathway by group: ``not_asked`` is not asked or not known (concluded − asked),
``not_fully`` partially or not achieved (expressed − fully), so each count is a total of two others."""
NOT_KNOWN = "not_known"
CAPACITY_GROUPS = {LACKED_CAPACITY: "lacked", "No, they did not lack capacity": "not_lacked"}  # the rest: not known
SUPPORT_GROUPS = {"Yes": "supported", "No": "not_supported"}  # of people who lacked capacity; the rest: not known
GROUP_SOURCES = ("lacked_capacity", "capacity_support", "age_band", "sex", "ethnicity", "primary_support_reason")
GROUP_FILL = {  # where a dimension puts a person whose value is missing: its own "not known" label
    "sex": "Not Known", "ethnicity": "Undeclared / Not Known", "primary_support_reason": "Not Known",
}


def group_dimensions() -> dict[str, list[str]]:
    """Each dimension of :func:`pathway_by_group` and its groups, in the order the reports list them.

    ``capacity`` (lacked / did not lack / not known), ``capacity_support`` (of those who lacked
    capacity: supported by an advocate, family member or friend, not supported, not known),
    ``age_band`` (the SG1a bands, then not known), ``sex``, ``ethnicity`` and
    ``primary_support_reason`` (their SAC labels, a missing value counted with the label's own
    "not known"). The groups of a dimension cover its whole population, so they add up to it.
    """
    bands = ["18-64", "65-74", "75-84", "85-94", "95+"]
    return {
        "capacity": [*CAPACITY_GROUPS.values(), NOT_KNOWN],
        "capacity_support": [*SUPPORT_GROUPS.values(), NOT_KNOWN],
        "age_band": [*bands, NOT_KNOWN],
        **{d: canonical_labels(d) for d in ("sex", "ethnicity", "primary_support_reason")},
    }


def _groups_of(s42: pd.DataFrame, dimension: str) -> pd.Series:
    """The group of each enquiry in `dimension` (missing for an enquiry outside its population)."""
    if dimension == "capacity":
        return s42["lacked_capacity"].astype("string").map(CAPACITY_GROUPS).fillna(NOT_KNOWN).astype(object)
    if dimension == "capacity_support":
        lacked = s42["lacked_capacity"].astype("string").eq(LACKED_CAPACITY).fillna(False)
        groups = s42["capacity_support"].astype("string").map(SUPPORT_GROUPS).fillna(NOT_KNOWN).astype(object)
        return groups.where(lacked.to_numpy())
    if dimension == "age_band":
        return s42["age_band"].astype("string").fillna(NOT_KNOWN).astype(object)
    values = s42[dimension].astype("string").fillna(GROUP_FILL[dimension]).astype(object)
    return values.where(values.isin(group_dimensions()[dimension]), GROUP_FILL[dimension])


def _group_flags(s42: pd.DataFrame) -> pd.DataFrame:
    asked = s42["msp_asked"].astype("string")
    expressed = asked.isin([EXPRESSED]).to_numpy()
    any_asked = asked.isin([EXPRESSED, ASKED_NOT_EXPRESSED]).to_numpy()
    fully = s42["msp_outcome_achieved"].astype("string").isin(["Fully Achieved"]).to_numpy() & expressed
    return pd.DataFrame({
        "concluded_s42": 1, "asked": any_asked, "not_asked": ~any_asked, "asked_expressed": expressed,
        "asked_not_expressed": any_asked & ~expressed, "fully": fully, "not_fully": expressed & ~fully,
    }, index=s42.index).astype("int64")


@frame_cache(shared=True)  # the evaluation report's kernel and the locality reports' both need it
def pathway_by_group(df_enquiries: pd.DataFrame) -> pd.DataFrame:
    """The MSP pathway of concluded Section 42 enquiries by group, for every council, region and England and year.

    One vectorised pass: every enquiry is counted once in each dimension of
    :func:`group_dimensions` (its group there), then summed by council × year × dimension ×
    group; regions and England are the sums of their councils. Every group of every dimension is
    present for every area and year (zeros included), so the tables and their protection see the
    same cells whatever the data hold. Cached per input frame and worker.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean record-level enquiries (``clean_evaluation(...).clean``).

    Returns
    -------
    pandas.DataFrame
        ``financial_year``, ``level`` (council / region / England), ``area`` (ONS code, region
        name or ``England``), ``name``, ``region`` (the council's or region's; ``England`` for
        England), ``dimension``, ``group`` and the :data:`GROUP_COUNTS`.

    >>> pathway_by_group(enquiries).query("level == 'England' and dimension == 'capacity'")  # doctest: +SKIP
    """
    s42 = section_42_rows(df_enquiries)
    absent = [c for c in GROUP_SOURCES if c not in s42.columns]  # a column the data lack: everyone "not known"
    s42 = s42.assign(**{c: pd.Series(pd.NA, index=s42.index, dtype="string") for c in absent})
    flags = _group_flags(s42).to_numpy(dtype=bool)
    # counted on integer codes: the council-year of each enquiry (numbered in order of first appearance) times
    # its group's place in the grid of every dimension's groups, one bincount per count (string keys cost seconds)
    keys = s42[AREA_COLUMNS].astype(str)
    area = keys.groupby(AREA_COLUMNS, sort=False).ngroup().to_numpy(dtype="int64")
    councils = keys.drop_duplicates()
    grid = pd.DataFrame([(d, g) for d, groups in group_dimensions().items() for g in groups],
                        columns=["dimension", "group"])
    cell_parts, flag_parts, offset = [], [], 0
    for dimension, labels in group_dimensions().items():
        groups = _groups_of(s42, dimension)
        place = pd.Index(labels).get_indexer(pd.Index(groups))  # -1: outside the dimension's population or not one of its groups
        inside = place >= 0
        cell_parts.append(area[inside] * len(grid) + offset + place[inside])
        flag_parts.append(flags[inside])
        offset += len(labels)
    cells = np.concatenate(cell_parts) if cell_parts else np.zeros(0, dtype="int64")
    cell_flags = np.concatenate(flag_parts) if flag_parts else np.zeros((0, len(GROUP_COUNTS)), dtype=bool)
    size = len(councils) * len(grid)
    counts = {c: np.bincount(cells[cell_flags[:, i]], minlength=size).astype("int64")
              for i, c in enumerate(GROUP_COUNTS)}
    council = councils.merge(grid, how="cross").assign(**counts)
    order = {(d, g): i for i, (d, g) in enumerate(zip(grid["dimension"], grid["group"], strict=True))}
    by = ["financial_year", "dimension", "group"]
    region = council.groupby(["financial_year", "region", "dimension", "group"], sort=False)[list(GROUP_COUNTS)].sum()
    region = region.reset_index().assign(level="region", area=lambda f: f["region"], name=lambda f: f["region"])
    england = council.groupby(by, sort=False)[list(GROUP_COUNTS)].sum().reset_index()
    england = england.assign(level="England", area="England", name="England", region="England")
    council = council.assign(level="council", area=council["ons_code"], name=council["council_name"])
    out = pd.concat([council, region, england], ignore_index=True)
    out["_rank"] = [order[k] for k in zip(out["dimension"], out["group"], strict=True)]
    out["_level"] = out["level"].map({"council": 0, "region": 1, "England": 2})
    out = out.sort_values(["financial_year", "_level", "area", "_rank"], kind="stable")
    return out[["financial_year", "level", "area", "name", "region", "dimension", "group", *GROUP_COUNTS]] \
        .reset_index(drop=True)


GROUP_RATES = {  # rate column: (numerator, denominator) of the pathway by group, the published definitions
    "asked_pct": (["asked"], ["concluded_s42"]),
    "expressed_pct": (["asked_expressed"], ["concluded_s42"]),
    "fully_pct": (["fully"], ["asked_expressed"]),
}


@frame_cache
def other_enquiry_pathways(df_enquiries: pd.DataFrame) -> pd.DataFrame:
    """The MSP pathway of enquiries other than Section 42, per council and financial year (no rates).

    The layout of :func:`council_pathways`, with ``concluded_s42`` counting the council's
    concluded *other* enquiries: the resource asks for MSP across the whole spectrum of
    safeguarding, while the national collection (SG4a) covers Section 42 enquiries only. Empty
    when the data hold none. Cached per input frame and worker.
    """
    other = df_enquiries[df_enquiries["enquiry_type"].astype("string").eq("Other").fillna(False)]
    return council_pathways(other.assign(enquiry_type="Section 42"))  # counted as pathway_counts counts S42
