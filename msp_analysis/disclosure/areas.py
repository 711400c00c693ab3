"""Secondary suppression across councils, regions and England: one decision for every report of a run.

Each locality report shows its council beside its region and England, and all of them are
published together, so a region row minus its other councils (each shown in its own report)
could give back a council's hidden count. :func:`protect_areas` builds every cell of every
council, region and England in every year from a per-council table, the sets inside each area
(SG4a asked categories to concluded enquiries, ...) and down the hierarchy (each region the sum
of its councils, England the sum of the regions, for every column), and protects them together
(:func:`msp_analysis.disclosure.secondary.protect_indexed`: built as arrays, there are many). :func:`~msp_analysis.disclosure.groups.locality_protection` does this once
per input frame and policy for the tables of the locality report.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.disclosure.secondary import SHOWN, Protection, per_count, protect_indexed
from msp_analysis.reference import geography
from msp_analysis.toolkit.caches import frame_cache

ENGLAND = "England"
Within = Sequence[tuple[str, Sequence[str], str]]  # (total column, part columns, what the set is)

# The locality report's sets inside one area. asked = asked and expressed + asked, none expressed;
# asked and expressed is the total of fully + partially + not achieved (the same enquiries).
PATHWAY_SETS: Within = (
    ("concluded_s42", ("asked", "not_asked", "asked_unknown"), "asked or not"),
    ("asked", ("asked_expressed", "asked_not_expressed"), "outcomes expressed or not"),
    ("asked_expressed", ("fully", "partially", "not_achieved"), "outcomes achieved"),
    ("asked_expressed", ("fully_or_partially", "not_achieved"), "outcomes achieved"),
    ("fully_or_partially", ("fully", "partially"), "outcomes achieved"),
)
PATHWAY_COUNTS = ("concluded_s42", "asked", "not_asked", "asked_unknown", "asked_expressed", "asked_not_expressed",
                  "fully", "partially", "not_achieved", "fully_or_partially")
# The published MSP percentages over the cells above: each denominator one protected total, so a
# percentage is of a shown count (fully % of the shown number who expressed outcomes).
PATHWAY_RATES = {
    "asked_pct": (["asked"], ["concluded_s42"]),
    "expressed_pct": (["asked_expressed"], ["concluded_s42"]),
    "fully_pct": (["fully"], ["asked_expressed"]),
    "partially_pct": (["partially"], ["asked_expressed"]),
    "not_pct": (["not_achieved"], ["asked_expressed"]),
    "fully_or_partially_pct": (["fully_or_partially"], ["asked_expressed"]),
}


@dataclass(frozen=True)
class AreaProtection:
    """Which cells of councils, regions and England are hidden; keys ``(year, level, area, column)``.

    `area` is the ONS code of a council, the region's name, or ``"England"``.
    """

    protection: Protection
    columns: tuple[str, ...]
    shown: dict = field(default_factory=dict)

    def disclosed(self, year: str, level: str, area: str, column: str) -> float:
        """The cell as the reports show it, as a number: rounded (exact where exempt), NaN when hidden or unknown."""
        return self.shown.get((str(year), level, str(area), column), math.nan)

    def hidden(self, year: str, level: str, area: str, column: str) -> bool:
        """True when the cell is hidden (by either rule); False for a cell that was not protected."""
        return self.protection.hidden((str(year), level, str(area), column))

    def secondary(self, year: str, level: str, area: str, column: str) -> bool:
        """True when the cell is hidden only so that another cannot be worked out."""
        return self.protection.status.get((str(year), level, str(area), column)) == 2

    def counts(self, year: str, areas: Sequence[tuple[str, str]]) -> tuple[int, int]:
        """(primary, secondary) numbers of hidden cells of these ``(level, area)`` rows in `year`."""
        wanted = {(str(year), level, str(area)) for level, area in areas}
        return self.protection.counts([k for k in self.protection.status
                                       if isinstance(k, tuple) and k[:3] in wanted])

    def category_mask(self, year: str, labels: Sequence[str], areas: dict[str, str], total: str) -> dict[str, list[bool]]:
        """Secondary booleans of a long category table: ``LEVEL_count`` per label and ``LEVEL_total`` per area."""
        mask = {f"{level}_count": [self.secondary(year, level, area, label) for label in labels]
                for level, area in areas.items()}
        mask.update({f"{level}_total": [self.secondary(year, level, area, total)] * len(labels)
                     for level, area in areas.items()})
        return mask

    def mask(self, year: str, areas: Sequence[tuple[str, str]], columns: Sequence[str]) -> dict[str, list[bool]]:
        """Secondary-suppression booleans per column for rows of ``(level, area)``: the `suppressed` of disclose()."""
        return {c: [self.secondary(year, level, area, c) for level, area in areas] for c in columns}


def area_key(level: str, ons_code: str, region: str) -> str:
    """The `area` of a key: the council's code, the region's name, or England."""
    return {"council": ons_code, "region": region}.get(level, ENGLAND)


def protect_areas(per_council: pd.DataFrame, columns: Sequence[str], within: Within,
                  policy: DisclosurePolicy, *, alias: Mapping[str, str] | None = None,
                  latent: Collection[str] = (), implied: Collection[str] = (),
                  keep_national: Collection[str] = ()) -> AreaProtection:
    """Protect every council, region and England cell of `columns` in every year, inside areas and down the hierarchy.

    Parameters
    ----------
    per_council : pandas.DataFrame
        One row per council and year: ``financial_year``, ``ons_code``, ``region`` and `columns`.
    columns : sequence of str
        The counts; every column named in `within` must be one of them.
    within : sequence of (total, parts, name)
        Sets inside each area: ``total == sum(parts)`` for every council, so for every region and England.
    policy : DisclosurePolicy
        The policy; England's cells are national (exact under policies that exempt them).
    alias : mapping, optional
        Column → the column it is, in every area (the same count under two names, one cell and one
        decision; its values must agree). The result has a status for both names.
    latent : collection of str
        Columns no table shows (in the sets only; see :func:`~msp_analysis.disclosure.secondary.protect`).
    implied : collection of str
        Columns no table shows but a reader can work out from one row of one (a group's not asked is its
        concluded minus its asked): a count the policy would hide is a primary suppression (it must not
        be worked out), any other is latent.
    keep_national : collection of str
        Columns whose England cell is never chosen to protect another (every report's comparator).
    """
    columns = list(columns)
    alias = dict(alias or {})

    def name(column: str) -> str:
        while column in alias:
            column = alias[column]
        return column

    names = [name(c) for c in columns]
    first: dict[str, int] = {}  # each cell's name → the position of its first column (an alias is that column again)
    for i, cell_name in enumerate(names):
        first.setdefault(cell_name, i)
    cells, picks = list(first), list(first.values())
    position = {c: i for i, c in enumerate(cells)}
    width = len(cells)
    twins_of = [(i, first[n]) for i, n in enumerate(names) if first[n] != i]
    # one set per (total, parts) inside an area: an alias repeats another column's sets
    inside = list(dict.fromkeys((name(total), tuple(name(p) for p in parts)) for total, parts, _ in within))
    inside_totals = np.array([position[t] for t, _ in inside], dtype=np.int64)
    inside_parts = np.array([position[p] for _, parts in inside for p in parts], dtype=np.int64)
    inside_sizes = np.array([len(parts) for _, parts in inside], dtype=np.int64)
    # the cells year by year: every council's row of cells, then each region's (sorted), then England's; and the
    # sets, in this order: each region's councils per column, England's regions per column, then inside each area
    keys: list[tuple[str, str, str, str]] = []
    none = np.zeros(0, dtype=np.int64)
    values, set_totals, set_parts, set_sizes, england = [np.zeros((0, width))], [none], [none], [none], [none]
    for year, rows in per_council.groupby(per_council["financial_year"].astype(str), sort=True):
        codes = rows["ons_code"].astype(str).to_numpy()
        if len(set(codes)) != len(codes):
            raise ValueError(f"a council has more than one row in {year}")
        region_of = rows["region"].astype(str).to_numpy()
        counts = rows[columns].to_numpy(dtype=float)
        for i, j in twins_of:
            if not np.array_equal(counts[:, i], counts[:, j]):
                raise ValueError(f"{columns[i]} and {columns[j]} are one cell under an alias but differ in {year}")
        counts = counts[:, picks]
        regions = sorted(set(region_of))
        members = [np.flatnonzero(region_of == region) for region in regions]
        areas = [("council", code) for code in codes] + [("region", r) for r in regions] + [("England", ENGLAND)]
        base, by_column = len(keys), np.arange(width)
        keys += [(year, level, area, c) for level, area in areas for c in cells]
        values += [counts, *(counts[rows_of].sum(axis=0)[None, :] for rows_of in members), counts.sum(axis=0)[None, :]]
        region_row, england_row = base + (len(codes) + np.arange(len(regions))) * width, base + (len(areas) - 1) * width
        for g, rows_of in enumerate(members):
            set_totals.append(region_row[g] + by_column)
            set_parts.append((base + by_column[:, None] + rows_of[None, :] * width).ravel())
            set_sizes.append(np.full(width, len(rows_of)))
        england.append(england_row + by_column)
        set_totals.append(england_row + by_column)
        set_parts.append((by_column[:, None] + region_row[None, :]).ravel())
        set_sizes.append(np.full(width, len(regions)))
        area_row = base + np.arange(len(areas))[:, None] * width
        set_totals.append((area_row + inside_totals).ravel())
        set_parts.append((area_row + inside_parts).ravel())
        set_sizes.append(np.tile(inside_sizes, len(areas)))
    raw = np.concatenate(values, axis=0).ravel()
    column_of = np.arange(len(keys)) % max(width, 1)
    national = np.zeros(len(keys), dtype=bool)
    national[np.concatenate(england)] = True

    def of_columns(chosen: Collection[str]) -> np.ndarray:
        return np.isin(column_of, [position[c] for c in {name(c) for c in chosen} if c in position])

    # shown by no table (in the sets only): a latent column, or an implied one's cell the policy would show
    unseen = of_columns(latent) | (of_columns(implied) & (per_count(policy.is_suppressed, raw, national) == 0))
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(set_sizes))])
    protection = protect_indexed(keys, np.where(np.isnan(raw), 0.0, raw),
                                 (np.concatenate(set_totals), indptr, np.concatenate(set_parts)),
                                 policy, national, latent=unseen,
                                 published=national & np.isin(column_of, [position[c] for c in keep_national
                                                                          if c in position]))
    hidden = np.fromiter(protection.status.values(), dtype=np.int64, count=len(keys)) != SHOWN
    disclosed = np.where(hidden, math.nan, per_count(policy.disclosed_count, raw, national)).tolist()
    # NaN as math.nan itself, as disclosed_count gives it: dicts of shown values compare equal (NaN is not NaN)
    shown = dict(zip(keys, [math.nan if v != v else v for v in disclosed], strict=True))
    if alias:  # every name of a cell has its status, range and shown value
        status, low, high = dict(protection.status), dict(protection.low), dict(protection.high)
        twins: dict[str, list[str]] = {}
        for column in columns:
            if name(column) != column:
                twins.setdefault(name(column), []).append(column)
        for key in keys:
            for column in twins.get(key[3], ()):
                twin = (*key[:3], column)
                status[twin], low[twin], high[twin], shown[twin] = (protection.status[key], protection.low[key],
                                                                    protection.high[key], shown[key])
        protection = Protection(status=status, low=low, high=high, rounds=protection.rounds)
    return AreaProtection(protection=protection, columns=tuple(columns), shown=shown)


# --- the locality report's tables ----------------------------------------------------------------


def with_pathway_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (the pathway's ``COUNT_COLUMNS``) with the two totals of :data:`PATHWAY_COUNTS` it lacks:
    ``asked`` (expressed or not) and ``fully_or_partially``."""
    return frame.assign(asked=frame["asked_expressed"] + frame["asked_not_expressed"],
                        fully_or_partially=frame["fully"] + frame["partially"])


# --- culture scores: regional and England means ----------------------------------------------------


def shown_scores(scores: pd.DataFrame, policy: DisclosurePolicy, indicators: Sequence[str],
                 decimals: int = 2) -> pd.DataFrame:
    """Council culture scores as the reports show them: rounded to `decimals`, NaN for a hidden council.

    A council's scores are hidden when its number of respondents would be hidden as a count
    (the mean rule of :meth:`DisclosurePolicy.format_mean`); ``n_respondents_shown`` is the
    count as shown (NaN when hidden) and ``shown`` says which councils are shown.
    """
    out = scores.copy()
    hidden = np.array([policy.is_suppressed(n) for n in scores["n_respondents"]], dtype=bool)
    for column in indicators:
        out[column] = scores[column].astype(float).round(decimals).mask(hidden)
    out["n_respondents_shown"] = [policy.disclosed_count(n) for n in scores["n_respondents"]]
    out["shown"] = ~hidden
    return out


@frame_cache
def culture_means(scores: pd.DataFrame, policy: DisclosurePolicy, indicators: tuple[str, ...],
                  decimals: int = 2) -> pd.DataFrame:
    """Region and England means of the council scores as shown, for every wave: the one place they are computed.

    Each mean is the plain mean over councils of the *shown* council scores (:func:`shown_scores`),
    so a council whose scores are hidden adds nothing to its region's or England's mean, the mean
    is a function of what every report shows, and the locality and regional reports print the
    same figure. Regions are the councils' regions in that wave (``reference.geography``).

    Returns one row per wave and area: ``wave``, ``level`` (``"region"`` or ``"England"``),
    ``area`` (the region's name or ``"England"``), the indicator means, ``n_councils``,
    ``n_organisations`` and ``n_respondents`` (the sum of the shown counts of the councils used).
    Cached per scores frame (`indicators` a tuple).
    """
    shown = shown_scores(scores, policy, indicators, decimals)
    shown = shown[shown["shown"]]
    rows = []
    for wave, in_wave in shown.groupby(shown["wave"].astype(str), sort=True):
        regions = (geography.councils(wave).set_index("ons_code")["region"] if wave in geography.FINANCIAL_YEARS
                   else pd.Series(dtype=str))
        in_wave = in_wave.assign(region=in_wave["ons_code"].map(regions))
        groups = [("England", ENGLAND, in_wave)] + [("region", str(r), part) for r, part in
                                                  in_wave.dropna(subset=["region"]).groupby("region", sort=True)]
        for level, area, part in groups:
            row = {"wave": wave, "level": level, "area": area, **part[list(indicators)].mean().to_dict(),
                   "n_councils": len(part), "n_organisations": int(part["n_organisations"].sum())
                   if "n_organisations" in part else 0, "n_respondents": float(part["n_respondents_shown"].sum())}
            rows.append(row)
    columns = ["wave", "level", "area", *indicators, "n_councils", "n_organisations", "n_respondents"]
    return pd.DataFrame(rows, columns=columns)
