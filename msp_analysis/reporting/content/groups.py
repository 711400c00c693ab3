"""The MSP pathway by group: a section of the locality report and the gaps table of the evaluation report.

Per dimension (mental capacity, support for people who lacked capacity, age band, sex, ethnicity,
primary support reason; :func:`msp_analysis.analysis.pathway.group_dimensions`), a compact table:
the council's enquiries, asked, expressed and fully achieved shares per group, beside the same
shares for its region and England. Every count goes through
:func:`msp_analysis.disclosure.display.disclose` with the secondary suppression decided once for
all reports (:func:`msp_analysis.disclosure.groups.group_protection`); percentages are of the
counts as shown; sentences quote only shown percentages. Words: ``reporting/text/groups.yaml``.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd

from msp_analysis.analysis.pathway import GROUP_RATES, group_dimensions, pathway_by_group
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.groups import ALL, cell, group_protection_of_year
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting.sections import ReportText, Section, phrase
from msp_analysis.toolkit.caches import frame_cache

text = ReportText("groups")
LEVELS = ("council", "region", "England")
COUNTS = ("concluded_s42", "asked", "asked_expressed", "fully")  # what the percentages are of


def group_label(dimension: str, group: str) -> str:
    """A group as a table names it: the SAC label, or the words of groups.yaml for capacity and 'not known'."""
    if dimension in ("capacity", "capacity_support") or group == "not_known":
        return text(f"group_{group}")
    return group


def _side_by_side(parts: list[DisclosedTable], caption: str, note: str) -> DisclosedTable:
    """Disclosed tables of the same rows as one table, columns in order (nothing is disclosed again)."""
    first = parts[0]
    hidden_counts = {k: sum(p.hidden_counts.get(k, 0) for p in parts) for k in ("primary", "secondary", "percentage")}
    return DisclosedTable(display=pd.concat([p.display for p in parts], axis=1),
                          hidden=pd.concat([p.hidden for p in parts], axis=1), policy=first.policy, caption=caption,
                          numeric=[c for p in parts for c in p.numeric], note=note,
                          values=pd.concat([p.values for p in parts], axis=1), hidden_counts=hidden_counts)


def _areas(ons_code: str, region: str) -> dict[str, str]:
    return {"council": ons_code, "region": region, "England": "England"}


def group_table(by_group: pd.DataFrame, protection, dimension: str, ons_code: str, council: str, region: str,
                year: str, policy: DisclosurePolicy) -> DisclosedTable | None:
    """One dimension's table for one council: a row per group, the council's counts and shares, region and England.

    Groups with no enquiries in England as shown are left out; None when none is left.
    """
    rows = by_group[(by_group["financial_year"] == year) & (by_group["dimension"] == dimension)]
    areas = _areas(ons_code, region)
    groups = group_dimensions()[dimension]
    wide = pd.DataFrame({"group": [group_label(dimension, g) for g in groups]})
    for level, area in areas.items():
        mine = rows[(rows["level"] == level) & (rows["area"] == area)].set_index("group").reindex(groups)
        for count in COUNTS:
            wide[f"{level}_{count}"] = mine[count].fillna(0).to_numpy(dtype=float)
    shown_england = [protection.disclosed(year, "England", "England", cell(g, "concluded_s42")) for g in groups]
    keep = [v != 0 for v in shown_england]  # a group England shows as none has no row
    if not any(keep):
        return None
    wide, groups = wide[keep].reset_index(drop=True), [g for g, k in zip(groups, keep, strict=True) if k]
    suppressed = {f"{level}_{count}": [protection.secondary(year, level, area, cell(g, count)) for g in groups]
                  for level, area in areas.items() for count in COUNTS}
    name = {"council": council, "region": region, "England": "England"}
    dimension_words = text(f"dimension_{dimension}")
    parts = []
    for level in LEVELS:
        labels = {f"{level}_{rate}": text(f"column_{rate}", area=name[level]) for rate in GROUP_RATES}
        rates = {f"{level}_{rate}": ([f"{level}_{n}" for n in num], [f"{level}_{d}" for d in den])
                 for rate, (num, den) in GROUP_RATES.items()}
        columns = list(labels)
        counts: list[str] = []
        if level == "council":
            labels = {"group": text("column_group", dimension=dimension_words),
                      "council_concluded_s42": text("column_concluded", area=council), **labels}
            columns, counts = list(labels), ["council_concluded_s42"]
        parts.append(disclose(wide, policy, columns=columns, labels=labels, text=["group"] if level == "council" else [],
                              counts=counts, rates=rates, national=[level == "England"] * len(wide),
                              suppressed=suppressed))
    caption = text("caption", dimension=dimension_words.lower(), year=year, council=council, region=region)
    return _side_by_side(parts, caption, text("table_note"))


def _group_labels(level: str, name: str, dimension_words: str) -> dict[str, str]:
    """The display names of one level's columns of a dimension's table (as :func:`group_table` gives them)."""
    labels = {f"{level}_{rate}": text(f"column_{rate}", area=name) for rate in GROUP_RATES}
    if level == "council":
        labels = {"group": text("column_group", dimension=dimension_words),
                  "council_concluded_s42": text("column_concluded", area=name), **labels}
    return labels


def _stacked_side_by_side(parts: list[DisclosedTable]) -> DisclosedTable:
    """Disclosed tables of the same rows as one table whose :meth:`~DisclosedTable.rows` slices are
    what :func:`_side_by_side` gives for the parts' slices (the per-row tallies added up)."""
    row_counts = np.sum([p.row_counts for p in parts], axis=0)
    return DisclosedTable(display=pd.concat([p.display for p in parts], axis=1),
                          hidden=pd.concat([p.hidden for p in parts], axis=1), policy=parts[0].policy,
                          numeric=[c for p in parts for c in p.numeric],
                          values=pd.concat([p.values for p in parts], axis=1), row_counts=row_counts)


def year_work(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> list:
    """The shared work of this section for every council's report of `year` (:func:`~msp_analysis.toolkit.caches.compute_shared`)."""
    return [functools.partial(_groups_year, df_enquiries, year, policy)]


@frame_cache(shared=True)
def _groups_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> SimpleNamespace:
    """Every council's group tables of `year`, each dimension disclosed once over the rows of all councils.

    The rows of council ``codes[i]`` are ``i * k`` to ``(i + 1) * k`` of a dimension's table (`k`
    the groups England shows); its region is ``region[code]``. A slice (with the council's column
    names, caption and note) is the table :func:`group_table` discloses for that council alone:
    every cell depends on its row only, and the same protection decides the secondary cells.
    """
    by_group = pathway_by_group(df_enquiries)
    protection = group_protection_of_year(df_enquiries, policy, year)  # the report shows its year only
    rows = by_group[by_group["financial_year"] == year]
    councils = rows[rows["level"] == "council"][["area", "region"]].drop_duplicates("area")
    codes, regions = councils["area"].astype(str).tolist(), councils["region"].astype(str).tolist()
    areas = {"council": codes, "region": regions, "England": ["England"] * len(codes)}
    tables: dict[str, tuple[DisclosedTable, int] | None] = {}
    for dimension, groups in group_dimensions().items():
        shown = protection[dimension]
        here = rows[rows["dimension"] == dimension]
        shown_england = [shown.disclosed(year, "England", "England", cell(g, "concluded_s42")) for g in groups]
        kept = [g for g, v in zip(groups, shown_england, strict=True) if v != 0]  # as group_table keeps them
        if not kept or not codes:
            tables[dimension] = None
            continue
        k = len(kept)
        wide = pd.DataFrame({"group": [group_label(dimension, g) for g in kept] * len(codes)})
        suppressed: dict[str, list[bool]] = {}
        for level, area_list in areas.items():
            mine = here[here["level"] == level].drop_duplicates(["area", "group"]).set_index(["area", "group"])
            index = pd.MultiIndex.from_arrays([np.repeat(np.array(area_list, dtype=object), k), kept * len(codes)])
            mine = mine.reindex(index)
            for count in COUNTS:
                wide[f"{level}_{count}"] = mine[count].fillna(0).to_numpy(dtype=float)
                suppressed[f"{level}_{count}"] = [shown.secondary(year, level, area, cell(g, count))
                                                  for area in area_list for g in kept]
        parts = []
        for level in LEVELS:
            rates = {f"{level}_{rate}": ([f"{level}_{n}" for n in num], [f"{level}_{d}" for d in den])
                     for rate, (num, den) in GROUP_RATES.items()}
            columns = list(_group_labels(level, level, ""))
            parts.append(disclose(wide, policy, columns=columns, text=["group"] if level == "council" else [],
                                  counts=["council_concluded_s42"] if level == "council" else [], rates=rates,
                                  national=[level == "England"] * len(wide), suppressed=suppressed))
        tables[dimension] = (_stacked_side_by_side(parts), k)
    return SimpleNamespace(position={code: i for i, code in enumerate(codes)}, region=dict(zip(codes, regions,
                                                                                               strict=True)),
                           tables=tables)


def _group_table_of_year(stacked: SimpleNamespace, dimension: str, ons_code: str, council: str, region: str,
                         year: str) -> DisclosedTable | None:
    """One dimension's table for one council, sliced from :func:`_groups_year` (what :func:`group_table` gives)."""
    entry = stacked.tables[dimension]
    if entry is None:
        return None
    table, k = entry
    start = stacked.position[ons_code] * k
    dimension_words = text(f"dimension_{dimension}")
    names = {"council": council, "region": region, "England": "England"}
    labels = {key: value for level in LEVELS for key, value in _group_labels(level, names[level], dimension_words).items()}
    caption = text("caption", dimension=dimension_words.lower(), year=year, council=council, region=region)
    return table.rows(start, start + k, caption=caption, labels=labels, note=text("table_note"))


def groups_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, region: str, year: str,
                   policy: DisclosurePolicy) -> tuple[Section, dict]:
    """The locality report's pathway-by-group section: one table per dimension and the capacity sentences.

    The tables are sliced from every council's, disclosed once per year (:func:`_groups_year`);
    a council outside them, or given another region, has its tables disclosed alone (:func:`group_table`).

    >>> section, facts = groups_section(enquiries, "E06000047", "County Durham", "North East", "2023-24", sac)  # doctest: +SKIP
    """
    council = short_name(council)
    stacked = _groups_year(df_enquiries, year, policy)
    together = stacked.region.get(ons_code) == region
    if not together:
        by_group = pathway_by_group(df_enquiries)
        protection = group_protection_of_year(df_enquiries, policy, year)
    tables, facts = [], {}
    for dimension in group_dimensions():
        table = (_group_table_of_year(stacked, dimension, ons_code, council, region, year) if together else
                 group_table(by_group, protection[dimension], dimension, ons_code, council, region, year, policy))
        if table is not None:
            tables.append(table)
            if dimension == "capacity":
                facts.update(_capacity_facts(table))
    sentences = [text("intro", council=council, year=year, region=region)]
    if "capacity_asked" in facts:
        sentences.append(text("capacity_asked", council=council, **facts["capacity_asked"]))
    if "capacity_fully" in facts:
        sentences.append(text("capacity_fully", **facts["capacity_fully"]))
    if len(sentences) == 1:
        sentences.append(text("capacity_hidden", council=council))
    return Section(markdown=" ".join(sentences), tables=tables), facts


def _capacity_facts(table: DisclosedTable) -> dict:
    """The council's asked and fully achieved shares for lacked / did not lack capacity, as the table shows them."""
    labels = list(table.values["group"])
    rows = {g: labels.index(group_label("capacity", g)) for g in ("lacked", "not_lacked")
            if group_label("capacity", g) in labels}
    facts = {}
    for key, column in (("capacity_asked", "council_asked_pct"), ("capacity_fully", "council_fully_pct")):
        if len(rows) == 2 and all(table.value(r, column) is not None for r in rows.values()):
            facts[key] = {g: table.text(r, column) for g, r in rows.items()}
    return facts


# --- the evaluation report: where the gaps are ------------------------------------------------------------


def gaps_section(df_enquiries: pd.DataFrame, scope: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    """England's (or a region's) pathway by group in the latest year, and each group's gap in fully achieved.

    The cells are the locality reports' (:func:`~msp_analysis.disclosure.groups.group_protection`),
    so the evaluation report shows nothing the locality reports do not decide alike. The gap is
    the group's fully achieved % minus the dimension's (every group together), both as shown.
    """
    by_group = pathway_by_group(df_enquiries)
    if by_group.empty:
        return Section(), {}
    year = str(by_group["financial_year"].max())
    level, area = ("England", "England") if scope == "England" else ("region", scope)
    protection = group_protection_of_year(df_enquiries, policy, year)  # group_protection's decisions of the year
    rows = by_group[(by_group["financial_year"] == year) & (by_group["level"] == level) & (by_group["area"] == area)]
    records = []
    for dimension, groups in group_dimensions().items():
        here = rows[rows["dimension"] == dimension].set_index("group").reindex(groups).fillna(0)
        for group in (*groups, ALL):
            values = here[list(COUNTS)].sum() if group == ALL else here.loc[group, list(COUNTS)]
            records.append({"dimension_key": dimension, "group_key": group, "dimension": text(f"dimension_{dimension}"),
                            "group": "" if group == ALL else group_label(dimension, group),
                            **{c: float(values[c]) for c in COUNTS},
                            **{f"secondary_{c}": protection[dimension].secondary(year, level, area, cell(group, c))
                               for c in COUNTS}})
    frame = pd.DataFrame(records)
    national = [level == "England"] * len(frame)
    suppressed = {c: frame[f"secondary_{c}"].tolist() for c in COUNTS}
    shown = disclose(frame, policy, columns=["concluded_s42", *GROUP_RATES], counts=["concluded_s42"],
                     rates=dict(GROUP_RATES), national=national, suppressed=suppressed)
    fully = pd.Series(shown.values["fully_pct"].to_numpy(dtype=float))
    overall = fully.where(frame["group_key"].eq(ALL)).groupby(frame["dimension_key"]).transform("max")
    frame["gap"] = (fully - overall).round(1)
    frame["gap"] = frame["gap"].where(frame["group_key"].ne(ALL))
    groups = frame[frame["group_key"].ne(ALL)].reset_index(drop=True)
    in_groups = frame["group_key"].ne(ALL).to_numpy()
    labels = {"dimension": text("column_dimension"), "group": text("column_group_plain"),
              "concluded_s42": text("column_concluded_plain"), "asked_pct": text("column_asked_plain"),
              "expressed_pct": text("column_expressed_plain"), "fully_pct": text("column_fully_plain"),
              "gap": text("column_gap")}
    table = disclose(groups, policy, columns=list(labels), labels=labels, text=["dimension", "group"],
                     counts=["concluded_s42"], rates=dict(GROUP_RATES), numbers={"gap": "{:.1f}"}, signed=["gap"],
                     national=[level == "England"] * len(groups),
                     suppressed={c: [s for s, k in zip(suppressed[c], in_groups, strict=True) if k] for c in COUNTS},
                     caption=text("gaps_caption", scope=scope, year=year), note=text("table_note"))
    facts: dict = {"gaps_year": year}
    gaps = groups.dropna(subset=["gap"])
    sentences = [text("gaps_intro", scope=scope, year=year)]
    if len(gaps) and np.isfinite(gaps["gap"]).any():
        worst = gaps.loc[gaps["gap"].idxmin()]
        position = int(worst.name)
        dimension_total = frame[(frame["dimension_key"] == worst["dimension_key"]) & frame["group_key"].eq(ALL)].index[0]
        sentences.append(text("gaps_largest", scope=scope, year=year, group=phrase(worst["group"]),
                              dimension=str(worst["dimension"]).lower(), rate=table.text(position, "fully_pct"),
                              overall=shown.text(int(dimension_total), "fully_pct"), gap=f"{worst['gap']:+.1f}"))
        facts["largest_gap"] = (str(worst["dimension_key"]), str(worst["group_key"]), float(worst["gap"]))
    else:
        sentences.append(text("gaps_none", scope=scope, year=year))
    return Section(markdown=" ".join(sentences), tables=[table]), facts
