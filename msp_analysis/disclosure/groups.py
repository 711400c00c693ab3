"""Primary and secondary suppression of the pathway by group (capacity, support, age band, sex, ethnicity, reason).

Each locality report shows, per dimension, its council's groups beside the region's and England's
(:func:`msp_analysis.analysis.pathway.pathway_by_group`). The cells a reader sees or can work out
from a table are, per group, the number of concluded Section 42 enquiries, those asked, those who
expressed outcomes and those whose outcomes were fully achieved (the percentages are of these
counts as shown), and the complements each percentage implies (not asked, asked but nothing
expressed, partially or not achieved). Inside an area they add up per group and across the groups
of a dimension to the dimension's total (the population the pathway table shows), and down the
hierarchy council → region → England; :func:`group_protection` protects them all together, once
per input frame and policy (one decision for every report of a run), one dimension at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from msp_analysis.analysis.pathway import (
    GROUP_COUNTS,
    NOT_KNOWN,
    group_dimensions,
    other_enquiry_pathways,
    pathway_by_group,
)
from msp_analysis.disclosure.areas import (
    PATHWAY_COUNTS,
    PATHWAY_SETS,
    AreaProtection,
    Within,
    protect_areas,
    with_pathway_totals,
)
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.disclosure.secondary import Protection
from msp_analysis.toolkit.caches import BoundedCache, frame_cache

ALL = "all"  # the group of a dimension's total: every enquiry of its population
GROUP_SETS = (  # total, parts: inside one group (or the total) of one area
    ("concluded_s42", ("asked", "not_asked")),
    ("asked", ("asked_expressed", "asked_not_expressed")),
    ("asked_expressed", ("fully", "not_fully")),
)


def cell(group: str, count: str) -> str:
    """The column of a group's count in a dimension's protection: ``"lacked|fully"``."""
    return f"{group}|{count}"


def dimension_frame(by_group: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """One dimension's council rows as one row per council and year: a column per group × count, and the totals."""
    rows = by_group[(by_group["level"] == "council") & (by_group["dimension"] == dimension)]
    wide = rows.pivot_table(index=["financial_year", "area", "region"], columns="group", values=list(GROUP_COUNTS),
                            aggfunc="sum", fill_value=0, observed=True)
    groups = group_dimensions()[dimension]
    out = pd.DataFrame(index=wide.index)
    for count in GROUP_COUNTS:
        for group in groups:
            out[cell(group, count)] = wide[(count, group)] if (count, group) in wide.columns else 0
        out[cell(ALL, count)] = out[[cell(g, count) for g in groups]].sum(axis=1)
    out = out.reset_index().rename(columns={"area": "ons_code"})
    return out


# The capacity section's table (locality report) shows three cells of the group tables beside the pathway's
# concluded enquiries: {its column: (dimension, cell)}. Decided once, they are shown or hidden alike in both tables.
CAPACITY_TABLE = {
    "lacked": ("capacity", cell("lacked", "concluded_s42")),
    "supported": ("capacity_support", cell("supported", "concluded_s42")),
    "unknown": ("capacity", cell(NOT_KNOWN, "concluded_s42")),
}


def dimension_sets(dimension: str) -> Within:
    """The sets of one dimension inside an area: each group's pathway, and each count across the groups."""
    groups = group_dimensions()[dimension]
    sets = [(cell(g, total), tuple(cell(g, p) for p in parts), f"{dimension}: {g}")
            for g in (ALL, *groups) for total, parts in GROUP_SETS]
    sets += [(cell(ALL, count), tuple(cell(g, count) for g in groups), f"{dimension} groups") for count in GROUP_COUNTS]
    return tuple(sets)


@dataclass(frozen=True)
class GroupProtection:
    """The protected cells of each dimension: ``dimensions[name]`` an :class:`AreaProtection` keyed by :func:`cell`."""

    dimensions: dict

    def __getitem__(self, dimension: str) -> AreaProtection:
        return self.dimensions[dimension]

    def counts(self, year: str, areas: Sequence[tuple[str, str]]) -> tuple[int, int]:
        """(primary, secondary) numbers of hidden cells of these ``(level, area)`` rows in every dimension."""
        both = [p.counts(year, areas) for p in self.dimensions.values()]
        return sum(b[0] for b in both), sum(b[1] for b in both)

    def capacity_mask(self, year: str, areas: Sequence[tuple[str, str]]) -> dict[str, list[bool]]:
        """Secondary booleans of the capacity table's columns (:data:`CAPACITY_TABLE`) for rows of ``(level, area)``."""
        return {column: [self[dimension].secondary(year, level, area, key) for level, area in areas]
                for column, (dimension, key) in CAPACITY_TABLE.items()}


@frame_cache
def group_protection(df_enquiries: pd.DataFrame, policy: DisclosurePolicy) -> GroupProtection:
    """Primary and secondary suppression of every count of the pathway-by-group tables, decided once for all reports.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean record-level enquiries.
    policy : DisclosurePolicy
        The policy; England's cells are national (exact under policies that exempt them).
    """
    return _protected(pathway_by_group(df_enquiries), policy)


@frame_cache(shared=True)  # decided once per batch: the evaluation's kernel and the locality reports' both need it
def group_protection_of_year(df_enquiries: pd.DataFrame, policy: DisclosurePolicy, year: str) -> GroupProtection:
    """The decisions of :func:`group_protection` for `year` alone (no set crosses years), for a report of one year.

    The same decisions, at a fraction of the cost: each year's are kept by the content of its counts,
    so a later :func:`group_protection` of the same frame reuses them, and this reuses its.
    """
    by_group = pathway_by_group(df_enquiries)
    return _protected(by_group[by_group["financial_year"].astype(str) == str(year)], policy)


def _protected(by_group: pd.DataFrame, policy: DisclosurePolicy) -> GroupProtection:
    out = {}
    for dimension, groups in group_dimensions().items():
        frame = dimension_frame(by_group, dimension)
        columns = [cell(g, c) for g in (ALL, *groups) for c in GROUP_COUNTS]
        sets = dimension_sets(dimension)
        years = [_protected_year(part, dimension, columns, sets, policy)  # no set crosses years: each year alone
                 for _, part in frame.groupby("financial_year", sort=True)]
        out[dimension] = _joined(years, columns)
    return GroupProtection(dimensions=out)


# A year's decision depends on that year's counts only, so a frame that differs from another in one year (a
# corrected return, a new year added) reuses the other years' decisions: keyed on the counts' content.
_YEARS = BoundedCache("group_protection_years", 64)


def _protected_year(part: pd.DataFrame, dimension: str, columns: list[str], sets: Within,
                    policy: DisclosurePolicy) -> AreaProtection:
    content = pd.util.hash_pandas_object(part.reset_index(drop=True), index=True).to_numpy().tobytes()
    key = (dimension, policy, tuple(part.columns), hashlib.sha256(content).hexdigest())
    return _YEARS.get(key, lambda: protect_areas(part, columns, sets, policy))


def _joined(years: list[AreaProtection], columns: list[str]) -> AreaProtection:
    """The protections of separate years as one (their cells never overlap)."""
    status, low, high, shown = {}, {}, {}, {}
    for part in years:
        status.update(part.protection.status)
        low.update(part.protection.low)
        high.update(part.protection.high)
        shown.update(part.shown)
    rounds = max((part.protection.rounds for part in years), default=0)
    return AreaProtection(protection=Protection(status=status, low=low, high=high, rounds=rounds),
                          columns=tuple(columns), shown=shown)


@frame_cache
def other_enquiry_protection(df_enquiries: pd.DataFrame, policy: DisclosurePolicy) -> AreaProtection:
    """The pathway of other (non-Section 42) enquiries, protected as the Section 42 pathway is (its own sets).

    The cells of :data:`msp_analysis.disclosure.areas.PATHWAY_COUNTS` from
    :func:`~msp_analysis.analysis.pathway.other_enquiry_pathways`, inside each area and down the hierarchy.
    """
    frame = with_pathway_totals(other_enquiry_pathways(df_enquiries))
    return protect_areas(frame, PATHWAY_COUNTS, PATHWAY_SETS, policy)
