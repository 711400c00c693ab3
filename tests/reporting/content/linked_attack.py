"""An attacker of a year's locality reports who reads every council's tables together and adds them up.

The pathway table (an area's concluded Section 42 enquiries and its asked, expressed, fully,
partially, not achieved and fully-or-partially percentages), the group tables (per dimension, per
group: concluded, and the asked, expressed and fully achieved percentages, for the council, its
region and England) and the capacity table (concluded, lacked capacity, supported, and the lacked,
supported and not-known percentages) of every council of a year, as disclosed
(``reporting.content``'s tables, never the protection's own cells), and the arithmetic that holds
between them:

- inside an area: concluded = asked + not asked + not known whether asked; asked = expressed +
  asked, none expressed; expressed = fully + partially + not achieved; fully or partially = fully
  + partially; per group: concluded = asked + not asked; asked = expressed + asked, none
  expressed; expressed = fully + not fully;
- across a dimension's groups: each count of the groups adds up to the pathway's (concluded, asked,
  expressed, fully, asked but none expressed; not asked to not asked + not known; not fully to
  partially + not achieved); capacity support's groups add up to the lacked-capacity group's;
- down the hierarchy: every quantity of a region is the sum of its councils', England's of the regions'.

What the attacker knows of each quantity (:func:`reader_range`): a count shown, or a count a shown
percentage is of, is any whole count that the policy shows as that count (a shown percentage is
taken to give its counts as shown: often a reader can get them back from the percentage and the
shown denominator, this attacker always does); a hidden count is 0 or more (a secondary suppression
can be an exact zero where the policy shows zeros); a quantity no table shows, only what the sums
imply. With ``insider=True`` the attacker also knows which hidden counts are under the threshold
(the protection's own assumption): those are from the policy's lowest hidden value (1 where 0 is
shown) to threshold - 1, the others the threshold or more, or 0 or more where the policy shows zeros
(``ascs``, ``nhs_secondary_care``: {0} and the threshold up, as one range).

The ranges are narrowed through every sum until nothing moves (interval arithmetic over the whole
year at once, written here apart from ``disclosure.secondary``); :func:`pinned` lists every count
the policy's own rule would hide (under its threshold; not a zero it shows, not a national count it
exempts) that is hidden (or shown by no table) and whose range is one value.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from msp_analysis.analysis.pathway import group_dimensions, pathway_by_group
from msp_analysis.disclosure.policies import ZERO_SUPPRESS, DisclosurePolicy, is_missing
from msp_analysis.reporting.content import groups as group_content
from msp_analysis.reporting.content import locality
from msp_analysis.reporting.content.stacked import _three_areas

INFINITE = 10**12
PATHWAY = ("concluded_s42", "asked", "not_asked", "asked_unknown", "asked_expressed", "asked_not_expressed", "fully",
           "partially", "not_achieved", "fully_or_partially")
PATHWAY_SUMS = (("concluded_s42", ("asked", "not_asked", "asked_unknown")), ("asked", ("asked_expressed", "asked_not_expressed")),
                ("asked_expressed", ("fully", "partially", "not_achieved")), ("fully_or_partially", ("fully", "partially")))
PATHWAY_RATES = {"asked_pct": ("asked", "concluded_s42"), "expressed_pct": ("asked_expressed", "concluded_s42"),
                 "fully_pct": ("fully", "asked_expressed"), "partially_pct": ("partially", "asked_expressed"),
                 "not_pct": ("not_achieved", "asked_expressed"), "fully_or_partially_pct": ("fully_or_partially", "asked_expressed")}
GROUP = ("concluded_s42", "asked", "not_asked", "asked_expressed", "asked_not_expressed", "fully", "not_fully")
GROUP_SUMS = (("concluded_s42", ("asked", "not_asked")), ("asked", ("asked_expressed", "asked_not_expressed")),
              ("asked_expressed", ("fully", "not_fully")))
GROUP_RATES = {"asked_pct": ("asked", "concluded_s42"), "expressed_pct": ("asked_expressed", "concluded_s42"),
               "fully_pct": ("fully", "asked_expressed")}
# a dimension's groups add up to these pathway quantities (several: their sum)
TO_PATHWAY = {"concluded_s42": ("concluded_s42",), "asked": ("asked",), "asked_expressed": ("asked_expressed",),
              "fully": ("fully",), "asked_not_expressed": ("asked_not_expressed",),
              "not_asked": ("not_asked", "asked_unknown"), "not_fully": ("partially", "not_achieved")}


@dataclass
class Seen:
    """What the tables show of one quantity: shown values (as numbers), and whether any table hides it."""

    shown: set = field(default_factory=set)
    hidden: bool = False


@dataclass
class Attack:
    """The quantities (``(level, area, name)``; a group's name is ``(dimension, group, count)``), their true
    values, what is shown of each, the sums, and the ranges after narrowing."""

    true: dict
    seen: dict
    sums: list
    national: set
    low: dict = field(default_factory=dict)
    high: dict = field(default_factory=dict)

    def both_ways(self) -> list:
        """Quantities one table shows and another hides: two decisions for one count."""
        return [key for key, s in self.seen.items() if s.hidden and s.shown]


def read_tables(df_enquiries, year: str, policy: DisclosurePolicy) -> Attack:
    """Every council's pathway, group and capacity tables of `year` as shown, and the sums between them."""
    true: dict = {}
    seen: dict = defaultdict(Seen)
    national: set = set()

    def saw(key, text: str, value) -> None:
        """A count cell: `text` as displayed, `value` its disclosed number (NaN when hidden)."""
        if text == policy.symbol:
            seen[key].hidden = True
        elif not is_missing(value):
            seen[key].shown.add(float(value))

    def saw_rate(numerator, denominator, text: str) -> None:
        """A percentage cell: shown, it gives both counts as shown; hidden, it says nothing of either."""
        if text.endswith("%"):
            for key in (numerator, denominator):
                seen[key].shown.add(policy.disclosed_count(true[key], key[0] == "England"))

    # the pathway table: council, region and England rows of every council
    pathway = locality._pathway_year(df_enquiries, year, policy)
    frame = pathway.frame
    areas = list(zip(frame["level"], frame["area"].astype(str), strict=True))
    region_of = {areas[i][1]: areas[i + 1][1] for i in range(0, len(areas), 3)}
    for i, (level, area) in enumerate(areas):
        for name in PATHWAY:
            true[(level, area, name)] = float(frame[name].iloc[i])
        if level == "England":
            national.update((level, area, name) for name in PATHWAY)
    display, values = pathway.table.display, pathway.table.values
    columns = list(values.columns)
    for i, (level, area) in enumerate(areas):
        row = display.iloc[i]
        saw((level, area, "concluded_s42"), str(row.iloc[columns.index("concluded_s42")]), values["concluded_s42"].iloc[i])
        for rate, (numerator, denominator) in PATHWAY_RATES.items():
            saw_rate((level, area, numerator), (level, area, denominator), str(row.iloc[columns.index(rate)]))
    # the group tables: every group of every area (the tables show the groups England shows)
    by_group = pathway_by_group(df_enquiries)
    by_group = by_group[by_group["financial_year"].astype(str) == str(year)]
    for row in by_group.itertuples(index=False):
        for count in GROUP:
            key = (row.level, str(row.area), (row.dimension, row.group, count))
            true[key] = float(getattr(row, count))
            if row.level == "England":
                national.add(key)
    stacked = group_content._groups_year(df_enquiries, year, policy)
    for dimension, groups in group_dimensions().items():
        entry = stacked.tables[dimension]
        if entry is None:
            continue
        table, k = entry
        label_of = {group_content.group_label(dimension, g): g for g in groups}
        columns = list(table.values.columns)
        for code, position in stacked.position.items():
            region = stacked.region[code]
            for j in range(position * k, (position + 1) * k):
                row = table.display.iloc[j]
                group = label_of[str(table.values["group"].iloc[j])]
                saw(("council", code, (dimension, group, "concluded_s42")), str(row.iloc[columns.index("council_concluded_s42")]),
                    table.values["council_concluded_s42"].iloc[j])
                for level, area in (("council", code), ("region", region), ("England", "England")):
                    for rate, (numerator, denominator) in GROUP_RATES.items():
                        saw_rate((level, area, (dimension, group, numerator)), (level, area, (dimension, group, denominator)),
                                 str(row.iloc[columns.index(f"{level}_{rate}")]))
    # the capacity table: concluded, lacked capacity, supported and their percentages
    capacity = locality._capacity_year(df_enquiries, year, policy)
    frame, display, values = capacity.frame, capacity.table.display, capacity.table.values
    columns = list(values.columns)
    codes = sorted(capacity.bounds, key=lambda c: capacity.bounds[c][0])
    areas = _three_areas(codes, frame)
    cells = {"concluded_s42": "concluded_s42", "lacked": ("capacity", "lacked", "concluded_s42"),
             "supported": ("capacity_support", "supported", "concluded_s42"),
             "unknown": ("capacity", "not_known", "concluded_s42")}
    for i, (level, area) in enumerate(areas):
        row = display.iloc[i]
        for column in ("concluded_s42", "lacked", "supported"):
            saw((level, str(area), cells[column]), str(row.iloc[columns.index(column)]), values[column].iloc[i])
        for rate, numerator, denominator in (("lacked_pct", "lacked", "concluded_s42"), ("supported_pct", "supported", "lacked"),
                                             ("unknown_pct", "unknown", "concluded_s42")):
            saw_rate((level, str(area), cells[numerator]), (level, str(area), cells[denominator]),
                     str(row.iloc[columns.index(rate)]))
    # the evaluation report's gaps tables (England's, and a region's): each group's concluded and percentages; a
    # shown gap is the group's fully achieved % minus its dimension's, so it shows the dimension's too
    for scope in ("England", *sorted(set(region_of.values()))):
        section, _ = group_content.gaps_section(df_enquiries, scope, policy)
        if not section.tables:
            continue
        table = section.tables[0]
        level = "England" if scope == "England" else "region"
        label_of = {(group_content.text(f"dimension_{d}"), group_content.group_label(d, g)): (d, g)
                    for d, groups in group_dimensions().items() for g in groups}
        columns = list(table.values.columns)
        for j in range(len(table.display)):
            row = table.display.iloc[j]
            dimension, group = label_of[(str(table.values["dimension"].iloc[j]), str(table.values["group"].iloc[j]))]
            saw((level, scope, (dimension, group, "concluded_s42")), str(row.iloc[columns.index("concluded_s42")]),
                table.values["concluded_s42"].iloc[j])
            for rate, (numerator, denominator) in GROUP_RATES.items():
                saw_rate((level, scope, (dimension, group, numerator)), (level, scope, (dimension, group, denominator)),
                         str(row.iloc[columns.index(rate)]))
            if not is_missing(table.values["gap"].iloc[j]):
                totals = ((level, scope, ("capacity", "lacked", c)) for c in ("fully", "asked_expressed")) \
                    if dimension == "capacity_support" else ((level, scope, c) for c in ("fully", "asked_expressed"))
                saw_rate(*totals, "0%")
    return Attack(true=true, seen=dict(seen), sums=_sums(true, region_of), national=national)


def _sums(true: dict, region_of: dict) -> list[tuple[tuple, tuple]]:
    """(total, parts) of every sum that holds between the quantities (see the module docstring)."""
    sums = []
    areas = {(level, area) for level, area, _ in true}
    dimensions = group_dimensions()
    for level, area in areas:
        for total, parts in PATHWAY_SUMS:
            sums.append(((level, area, total), tuple((level, area, p) for p in parts)))
        for dimension, groups in dimensions.items():
            for group in groups:
                for total, parts in GROUP_SUMS:
                    sums.append(((level, area, (dimension, group, total)),
                                 tuple((level, area, (dimension, group, p)) for p in parts)))
            for count in GROUP:
                parts = tuple((level, area, (dimension, g, count)) for g in groups)
                if dimension == "capacity_support":
                    sums.append(((level, area, ("capacity", "lacked", count)), parts))
                else:
                    totals = TO_PATHWAY[count]
                    if len(totals) == 1:
                        sums.append(((level, area, totals[0]), parts))
                    else:  # several pathway quantities: their sum, a quantity of its own
                        both = (level, area, "+".join(totals))
                        sums.append((both, parts))
                        sums.append((both, tuple((level, area, t) for t in totals)))
    # the hierarchy: councils to their region, regions to England
    councils_of: dict = defaultdict(list)
    for code, region in region_of.items():
        councils_of[region].append(code)
    names = {name for _, _, name in true} | {"+".join(t) for t in TO_PATHWAY.values() if len(t) > 1}
    for name in names:
        for region, members in councils_of.items():
            sums.append((("region", region, name), tuple(("council", c, name) for c in members)))
        sums.append((("England", "England", name), tuple(("region", r, name) for r in councils_of)))
    return sums


# England's pathway counts, every report's comparator: the protection never hides them (nor, under a policy that
# exempts national counts, any of England's)
ENGLAND_SHOWN = ("concluded_s42", "asked", "asked_expressed", "fully", "partially", "not_achieved", "fully_or_partially")


def reader_range(attack: Attack, key, policy: DisclosurePolicy, insider: bool,
                 hide_all: bool = False) -> tuple[int, int]:
    """What the reader knows of one quantity before adding anything up (see the module docstring).

    With `hide_all`, every shown count the protection could hide is taken as hidden (the widest ranges any choice of
    secondary suppressions could leave: what stays pinned then, the policy's rule itself pins).
    """
    lowest = 0 if policy.zero == ZERO_SUPPRESS else 1
    seen = attack.seen.get(key)
    national = key in attack.national
    value = attack.true.get(key)
    if hide_all and seen is not None and seen.shown and not (
            national and (policy.national_exempt or key[2] in ENGLAND_SHOWN)):
        seen = Seen(hidden=True)
    if seen is not None and seen.shown:
        shown = next(iter(seen.shown))
        base = max(policy.rounding_base, 1)
        start = int(max(shown - base, 0))
        values = [v for v in range(start, int(shown + base) + 1) if policy.disclosed_count(v, national) == shown]
        return min(values), max(values)
    small = value is not None and policy.is_suppressed(value, national)
    # a hidden count the policy would show (a secondary suppression) is any count it shows: the threshold or more, or
    # 0 where the policy shows zeros (ascs, nhs_secondary_care: an exact zero is hidden when nothing else is left)
    not_small = policy.threshold if policy.zero == ZERO_SUPPRESS else 0
    if seen is not None and seen.hidden:
        if insider:
            return (lowest, policy.threshold - 1) if small else (not_small, INFINITE)
        return 0, INFINITE
    if insider and small:  # shown by no table, and known to be small
        return lowest, policy.threshold - 1
    return 0, INFINITE


def narrow(attack: Attack, policy: DisclosurePolicy, insider: bool = False, hide_all: bool = False) -> Attack:
    """Every quantity's range through every sum until nothing moves (in place; returns `attack`; `hide_all`: see
    :func:`reader_range`)."""
    keys = {k for total, parts in attack.sums for k in (total, *parts)}
    # every count is of England's concluded enquiries at most, which the pathway table shows: a bound for what
    # nothing else bounds, so that sums going round in a cycle stop tightening by one at a time from "infinity"
    cap = reader_range(attack, ("England", "England", "concluded_s42"), policy, insider)[1]
    low, high = {}, {}
    for key in keys:
        low[key], high[key] = reader_range(attack, key, policy, insider, hide_all)
        high[key] = min(high[key], cap)
    member: dict = defaultdict(list)
    for j, (total, parts) in enumerate(attack.sums):
        for k in (total, *parts):
            member[k].append(j)
    queue, queued = deque(range(len(attack.sums))), [True] * len(attack.sums)
    steps = 0
    while queue:
        steps += 1
        if steps > 200 * len(attack.sums):
            raise RuntimeError("the ranges are still moving after 200 passes over every sum")
        j = queue.popleft()
        queued[j] = False
        total, parts = attack.sums[j]
        moved = []
        lo, hi = sum(low[p] for p in parts), sum(high[p] for p in parts)
        if lo > low[total]:
            low[total] = lo
            moved.append(total)
        if hi < high[total]:
            high[total] = hi
            moved.append(total)
        for p in parts:
            new_low = max(low[p], low[total] - (hi - high[p]))
            new_high = min(high[p], high[total] - (lo - low[p]))
            if new_low != low[p] or new_high != high[p]:
                lo += new_low - low[p]
                hi += new_high - high[p]
                low[p], high[p] = new_low, new_high
                moved.append(p)
        for k in moved:
            for m in member[k]:
                if not queued[m]:
                    queued[m] = True
                    queue.append(m)
    attack.low, attack.high = low, high
    return attack


def pinned(attack: Attack, policy: DisclosurePolicy) -> list:
    """Counts under the threshold that no table shows as a number and whose range narrowed to one value."""
    out = []
    for key, value in attack.true.items():
        if not policy.is_suppressed(value, key in attack.national) or key not in attack.low:
            continue
        seen = attack.seen.get(key)
        if seen is not None and seen.shown:
            continue  # shown (a 0 shown as 0 under a policy that shows zeros): nothing to protect
        if attack.low[key] == attack.high[key]:
            out.append((key, int(value)))
    return out


def derivable(df_enquiries, year: str, policy: DisclosurePolicy) -> set:
    """The hidden counts the protection itself reports as worked out (its rule pins them), as this attacker names them."""
    from msp_analysis.disclosure.groups import group_protection_of_year, locality_protection

    out = {(level, area, column) for y, level, area, column in locality_protection(df_enquiries, policy)
           .pathway.protection.derivable() if y == str(year)}
    groups = group_protection_of_year(df_enquiries, policy, year)
    for dimension in group_dimensions():
        for y, level, area, column in groups[dimension].protection.derivable():
            group, _, count = column.partition("|")
            if y == str(year) and group != "all":
                out.add((level, area, (dimension, group, count)))
    return out
