"""Primary and secondary suppression of the pathway by group (capacity, support, age band, sex, ethnicity, reason).

Each locality report shows, per dimension, its council's groups beside the region's and England's
(:func:`msp_analysis.analysis.pathway.pathway_by_group`). The cells a reader sees or can work out
from a table are, per group, the number of concluded Section 42 enquiries, those asked, those who
expressed outcomes and those whose outcomes were fully achieved (the percentages are of these
counts as shown), and the complements each percentage implies (not asked, asked but nothing
expressed, partially or not achieved). Inside an area they add up per group and across the groups
of a dimension to the dimension's total, and down the hierarchy council → region → England. A
dimension's totals are the pathway table's counts (capacity support's, the lacked-capacity
group's), so :func:`linked_protection` protects the pathway's cells and every dimension's of a
year together, each shared count one cell (:func:`linked_sets`), once per input frame and policy
(one decision for every report of a run); :func:`group_protection` gives its decisions per dimension
and :func:`locality_protection` the pathway's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import cast

import pandas as pd

from msp_analysis.analysis.pathway import (
    GROUP_COUNTS,
    NOT_KNOWN,
    council_pathways,
    group_dimensions,
    national_context,
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
from msp_analysis.reference.codebook import canonical_labels
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

    The decisions of :func:`linked_protection`: every dimension of a year is protected together
    with the pathway table's cells of that year, since a dimension's totals *are* the pathway's
    counts (one cell, one decision).

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean record-level enquiries.
    policy : DisclosurePolicy
        The policy; England's cells are national (exact under policies that exempt them).
    """
    years = linked_protection(df_enquiries, policy)
    return _split(list(years.values()))


@frame_cache(shared=True)  # decided once per batch: the evaluation's kernel and the locality reports' both need it
def group_protection_of_year(df_enquiries: pd.DataFrame, policy: DisclosurePolicy, year: str) -> GroupProtection:
    """The decisions of :func:`group_protection` for `year` alone (no set crosses years), for a report of one year.

    The same decisions, at a fraction of the cost: each year's are kept by the content of its counts,
    so a later :func:`group_protection` of the same frame reuses them, and this reuses its.
    """
    joint = linked_protection_of_year(df_enquiries, policy, year)
    return _split([joint] if joint is not None else [])


@frame_cache(shared=True)  # every year's: the first locality report of each kernel of a batch needs them (its trend)
def linked_protection(df_enquiries: pd.DataFrame, policy: DisclosurePolicy) -> dict[str, AreaProtection]:
    """Per year, one protection of the pathway table's cells and every group table's cells: the linked families.

    A dimension's totals are the pathway's counts: its ``all`` cells of concluded, asked, expressed,
    fully and asked but nothing expressed *are* the pathway's cells (aliases, :func:`linked_sets`),
    and capacity support's totals are the lacked-capacity group's cells. So a count two tables show
    has one decision, and no secondary suppression is a cell another table publishes. Dimension
    totals no table shows (not asked, partially or not achieved) are latent: in the sets only. The
    pathway table's decisions (:func:`locality_protection`) are
    these. No set crosses years, so each year is protected alone (and kept by its counts' content).
    """
    years = sorted(_joint_frame(df_enquiries)["financial_year"].unique())
    return {str(year): cast(AreaProtection, linked_protection_of_year(df_enquiries, policy, str(year))) for year in years}


@frame_cache(shared=True)  # a year at a time: the kernels of a batch protect the years side by side
def linked_protection_of_year(df_enquiries: pd.DataFrame, policy: DisclosurePolicy, year: str) -> AreaProtection | None:
    """:func:`linked_protection` of `year` alone (None when the frame has no enquiry that year)."""
    frame = _joint_frame(df_enquiries)
    frame = frame[frame["financial_year"] == str(year)]
    return _protected_year(frame, policy) if len(frame) else None


def _split(years: list[AreaProtection]) -> GroupProtection:
    """The joint protections of some years as one :class:`AreaProtection` per dimension."""
    dimensions = group_dimensions()
    parts = [_dimensions_of(y) for y in years]
    return GroupProtection(dimensions={d: _joined([p[d] for p in parts], d, groups) for d, groups in dimensions.items()})


def pathway_part(years: list[AreaProtection]) -> AreaProtection:
    """The pathway table's cells (:data:`~msp_analysis.disclosure.areas.PATHWAY_COUNTS`) of joint protections."""
    wanted = set(PATHWAY_COUNTS)
    status: dict[Hashable, int] = {}
    low: dict[Hashable, int] = {}
    high: dict[Hashable, int] = {}
    shown: dict = {}
    for joint in years:
        protection = joint.protection
        for key, value in protection.status.items():
            if cast(tuple, key)[3] in wanted:
                status[key], low[key], high[key], shown[key] = (value, protection.low[key], protection.high[key],
                                                                joint.shown[key])
    rounds = max((joint.protection.rounds for joint in years), default=0)
    return AreaProtection(protection=Protection(status=status, low=low, high=high, rounds=rounds),
                          columns=tuple(PATHWAY_COUNTS), shown=shown)


# The pathway table's counts that are the totals of a dimension of every concluded S42 enquiry: {group count: pathway
# count}; and the dimension totals no table shows, latent, each the sum of pathway counts (not asked includes "not
# known whether asked", partially or not achieved is what fully achieved leaves of those who expressed outcomes).
PATHWAY_TOTALS = {"concluded_s42": "concluded_s42", "asked": "asked", "asked_expressed": "asked_expressed",
                  "fully": "fully", "asked_not_expressed": "asked_not_expressed"}
LATENT_TOTALS = {"not_asked": ("not_asked", "asked_unknown"), "not_fully": ("partially", "not_achieved")}
# Counts no table shows, though a reader can work one out from a row (the pathway table's asked % and concluded give
# not asked; a group's expressed % and fully achieved % give its partially or not achieved).
PATHWAY_IMPLIED = ("not_asked", "asked_unknown", "asked_not_expressed")
GROUP_IMPLIED = ("not_asked", "asked_not_expressed", "not_fully")
# England's pathway counts every report compares with (its funnel's centre): never chosen to protect another
PATHWAY_SHOWN = ("concluded_s42", "asked", "asked_expressed", "fully", "partially", "not_achieved", "fully_or_partially")
SUPPORT_POPULATION = ("capacity", "lacked")  # capacity_support's population: the people who lacked capacity


def joint_column(dimension: str, key: str) -> str:
    """A dimension's cell in the joint protection of a year: ``"sex:Female|fully"``."""
    return f"{dimension}:{key}"


def linked_sets() -> tuple[list[str], Within, dict[str, str], list[str], list[str]]:
    """The joint protection's columns, sets inside an area, aliases and latent columns.

    Columns: the pathway's (:data:`~msp_analysis.disclosure.areas.PATHWAY_COUNTS`), the two latent
    totals (``all|not_asked``, ``all|not_fully``) and every dimension's cells (:func:`joint_column`).
    Aliases: each dimension's ``all`` cells → the pathway's counts or the latent totals
    (:data:`PATHWAY_TOTALS`, :data:`LATENT_TOTALS`); capacity support's ``all`` cells → the
    lacked-capacity group's cells. Latent: the two totals. Implied (a count no table shows but one
    row gives: hidden when small, else latent): each group's not asked, asked but nothing expressed
    and partially or not achieved, and the pathway's not asked, not known whether asked and asked
    but nothing expressed (:data:`PATHWAY_IMPLIED`).
    """
    dimensions = group_dimensions()
    latent = [cell(ALL, count) for count in LATENT_TOTALS]
    columns = [*PATHWAY_COUNTS, *latent]
    sets: list = [*PATHWAY_SETS, *((cell(ALL, count), parts, f"pathway: {count}") for count, parts in LATENT_TOTALS.items())]
    alias: dict[str, str] = {}
    for dimension, groups in dimensions.items():
        columns += [joint_column(dimension, cell(g, c)) for g in (ALL, *groups) for c in GROUP_COUNTS]
        sets += [(joint_column(dimension, total), tuple(joint_column(dimension, p) for p in parts), name)
                 for total, parts, name in dimension_sets(dimension)]
        for count in GROUP_COUNTS:
            if dimension == "capacity_support":
                target = joint_column(SUPPORT_POPULATION[0], cell(SUPPORT_POPULATION[1], count))
            else:
                target = PATHWAY_TOTALS.get(count, cell(ALL, count))
            alias[joint_column(dimension, cell(ALL, count))] = target
    implied = [*PATHWAY_IMPLIED, *(joint_column(d, cell(g, c)) for d, groups in dimensions.items() for g in groups
                                   for c in GROUP_IMPLIED)]
    return columns, tuple(sets), alias, latent, implied


@frame_cache(shared=True)  # every year's (the first locality report needs them all, for its trend); one per batch
def _joint_frame(df_enquiries: pd.DataFrame) -> pd.DataFrame:
    """One row per council and year: the pathway's counts, the latent totals and every dimension's cells
    (:func:`linked_sets`)."""
    keys = ["financial_year", "ons_code", "region"]
    by_group = pathway_by_group(df_enquiries)
    # national_context's pathway (cached, and computed for the reports anyway); an empty frame has no context
    pathway = with_pathway_totals(national_context(df_enquiries).pathway if len(df_enquiries)
                                  else council_pathways(df_enquiries))
    pathway = pathway.assign(**{cell(ALL, count): pathway[list(parts)].sum(axis=1)
                                for count, parts in LATENT_TOTALS.items()})
    pathway = pathway.astype({"financial_year": str, "ons_code": str, "region": str}).set_index(keys)
    pathway = pathway[[*PATHWAY_COUNTS, *(cell(ALL, c) for c in LATENT_TOTALS)]]
    parts = [pathway]
    for dimension in group_dimensions():
        wide = dimension_frame(by_group, dimension)
        wide = wide.astype({"financial_year": str, "ons_code": str, "region": str}).set_index(keys)
        parts.append(wide.rename(columns={c: joint_column(dimension, c) for c in wide.columns}))
    return pd.concat(parts, axis=1).fillna(0).copy().reset_index()  # copy: one block, not one per column


# A year's decision depends on that year's counts only, so a frame that differs from another in one year (a corrected
# return, a new year added) reuses the other years' decisions: keyed on the counts' content.
_YEARS = BoundedCache("linked_protection_years", 64)


def _protected_year(part: pd.DataFrame, policy: DisclosurePolicy) -> AreaProtection:
    columns, sets, alias, latent, implied = linked_sets()
    content = pd.util.hash_pandas_object(part.reset_index(drop=True), index=True).to_numpy().tobytes()
    key = ("linked", policy, tuple(part.columns), hashlib.sha256(content).hexdigest())

    def decide() -> AreaProtection:
        return protect_areas(part, columns, sets, policy, alias=alias, latent=latent, implied=implied,
                             keep_national=PATHWAY_SHOWN)

    return _YEARS.get(key, decide)


def _dimensions_of(joint: AreaProtection) -> dict[str, AreaProtection]:
    """Each dimension's cells of a year's joint protection, keyed by :func:`cell` (its ``all`` cells the linked ones)."""
    protection = joint.protection
    parts: dict[str, tuple[dict, dict, dict, dict]] = {d: ({}, {}, {}, {}) for d in group_dimensions()}
    for key, value in protection.status.items():
        dimension, colon, column = cast(tuple, key)[3].partition(":")
        if colon and dimension in parts:
            status, low, high, shown = parts[dimension]
            mine = (*cast(tuple, key)[:3], column)
            status[mine], low[mine], high[mine], shown[mine] = (value, protection.low[key], protection.high[key],
                                                                joint.shown[key])
    out = {}
    for dimension, groups in group_dimensions().items():
        status, low, high, shown = parts[dimension]
        columns = tuple(cell(g, c) for g in (ALL, *groups) for c in GROUP_COUNTS)
        out[dimension] = AreaProtection(protection=Protection(status=status, low=low, high=high,
                                                              rounds=protection.rounds), columns=columns, shown=shown)
    return out


def _joined(years: list[AreaProtection], dimension: str, groups: list[str]) -> AreaProtection:
    """The protections of separate years as one (their cells never overlap)."""
    status, low, high, shown = {}, {}, {}, {}
    for part in years:
        status.update(part.protection.status)
        low.update(part.protection.low)
        high.update(part.protection.high)
        shown.update(part.shown)
    rounds = max((part.protection.rounds for part in years), default=0)
    columns = tuple(cell(g, c) for g in (ALL, *groups) for c in GROUP_COUNTS)
    return AreaProtection(protection=Protection(status=status, low=low, high=high, rounds=rounds),
                          columns=columns, shown=shown)


@dataclass(frozen=True)
class LocalityProtection:
    """The protected cells of each family of the locality report's tables."""

    pathway: AreaProtection
    locations: AreaProtection
    sources: AreaProtection
    risk_types: AreaProtection

    def counts(self, year: str, areas: Sequence[tuple[str, str]]) -> tuple[int, int]:
        """(primary, secondary) numbers of hidden cells of these ``(level, area)`` rows in every family."""
        both = [getattr(self, f).counts(year, areas) for f in ("pathway", "locations", "sources", "risk_types")]
        return sum(b[0] for b in both), sum(b[1] for b in both)


@frame_cache
def locality_protection(df_enquiries: pd.DataFrame, policy: DisclosurePolicy) -> LocalityProtection:
    """Primary and secondary suppression of every count the locality reports show, decided once for all of them.

    Sets: the SG4a asked categories, fully / partly / not achieved (:data:`PATHWAY_SETS`);
    every location and every source list to its mentions (the enquiries naming one or more,
    the shares' denominator, protected beside them); and each of them down the hierarchy
    council → region → England. Risk types are several per enquiry, so they add up to no total
    inside an area; they are protected down the hierarchy only. The pathway's cells are protected
    with the group tables' (:func:`linked_protection`: a dimension's
    totals are the pathway's counts), and the capacity table's counts are cells of the group tables
    (:data:`CAPACITY_TABLE`), decided there.
    """
    context = national_context(df_enquiries)
    families = {}
    for key, column in (("locations", "risk_location"), ("sources", "risk_source")):
        frame = context.categories[key].copy()
        labels = canonical_labels(column)
        # several per enquiry: the shares are of `recorded` (enquiries naming one or more); the labels add up
        # to `total` (mentions), which no table shows, so protecting it too errs on the safe side
        frame["total"] = frame[labels].sum(axis=1)
        families[key] = protect_areas(frame, ["total", "recorded", *labels], (("total", tuple(labels), key),), policy)
    risk_labels = canonical_labels("risk_types")
    return LocalityProtection(
        pathway=pathway_part(list(linked_protection(df_enquiries, policy).values())),
        locations=families["locations"], sources=families["sources"],
        risk_types=protect_areas(context.categories["risk_types"], ["concluded_s42", *risk_labels], (), policy),
    )


@frame_cache
def other_enquiry_protection(df_enquiries: pd.DataFrame, policy: DisclosurePolicy) -> AreaProtection:
    """The pathway of other (non-Section 42) enquiries, protected as the Section 42 pathway is (its own sets).

    The cells of :data:`msp_analysis.disclosure.areas.PATHWAY_COUNTS` from
    :func:`~msp_analysis.analysis.pathway.other_enquiry_pathways`, inside each area and down the hierarchy.
    """
    frame = with_pathway_totals(other_enquiry_pathways(df_enquiries))
    return protect_areas(frame, PATHWAY_COUNTS, PATHWAY_SETS, policy)
