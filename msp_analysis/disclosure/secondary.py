"""Secondary (complementary) suppression: no hidden count may be worked out from a total it adds up to.

A count hidden by the policy (primary suppression) can come back by subtraction: a shown total
minus its shown parts, a region minus its shown councils. :func:`protect` takes the true counts
of every cell a set of reports shows, the sets of cells that add up to a total (a
:class:`CellSet`: the SG4a asked categories to concluded enquiries, fully + partly + not achieved
to expressed, each council of a region to the region, each region to England, ...) and the
policy, and returns which cells are hidden and why (:class:`Protection`).

The method, decided on the shown values only (so two datasets the policy shows alike get the
same cells hidden):

1. every cell gets the range of true values a reader can infer from what is shown: a rounded
   count the values that round to it (``10`` under the SAC rule: 8-12), an exact count itself,
   a primary-hidden count 0 to threshold - 1 (1 to threshold - 1 where zero is shown), a
   secondary-hidden count threshold or more (we assume the reader knows which is which), a
   *latent* cell (one no table shows, such as a sum of shown cells: in the sets only) 0 or more;
2. the ranges are narrowed through every set (total = sum of parts, both ways), again and
   again until nothing changes: the bounds an attacker doing the subtraction would reach;
3. a hidden cell whose range has narrowed to one value is *derivable*; for each, the smallest
   other shown part (by its shown value; ties by the order the cells were given) of the set
   with fewest hidden cells that holds it is hidden too, or that set's total when no part is
   left (national counts a policy publishes exactly are never chosen); when none of its sets
   has a cell left to hide but one holds a latent cell the sets pin to one value, a partner of
   that latent cell's (what pins it is shown, so it is hidden instead); then back to 1 until no
   hidden cell is derivable. A latent cell is never primary, never chosen, and may be derivable.

Rounding to 5 leaves wide ranges, so under the SAC rule a secondary suppression is rare; with
exact counts (``ascs``, ``ascof``) a lone hidden cell in a set always comes back and always gets
a partner. Ranges are not a full integer programme, so a reader who combines every constraint at
once could in principle do better; the attack test of the reports is the check on that.

>>> from msp_analysis.disclosure.policies import get_policy
>>> cells = {"total": 20, "a": 3, "b": 9, "c": 8}
>>> protect(cells, [CellSet("total", ("a", "b", "c"))], get_policy("ascof")).secondary
['c']
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from msp_analysis.disclosure.policies import ZERO_SHOW, ZERO_SUPPRESS, DisclosurePolicy, is_missing

SHOWN, PRIMARY, SECONDARY, LATENT = 0, 1, 2, 3  # LATENT: a cell no table shows, in the sets only
UNBOUNDED = 10**15  # "no upper bound" for a hidden cell's range; exact as an int and far above any count
MAX_ROUNDS = 10_000


@dataclass(frozen=True)
class CellSet:
    """Cells that add up to a shown total: ``total == sum(parts)`` in the true counts.

    `name` says what the set is (``"outcomes achieved"``), for messages.
    """

    total: Hashable
    parts: tuple[Hashable, ...]
    name: str = ""


@dataclass
class Protection:
    """Which cells are hidden (`status`: 0 shown, 1 primary, 2 secondary, 3 latent) and the ranges a reader can infer.

    A latent cell is shown by no table (it is in the sets only): :meth:`hidden` is True for it, but it is
    neither a primary nor a secondary suppression and is counted as neither.
    """

    status: dict[Hashable, int]
    low: dict[Hashable, int] = field(default_factory=dict)
    high: dict[Hashable, int] = field(default_factory=dict)
    rounds: int = 0

    def hidden(self, key: Hashable) -> bool:
        """True when the cell is hidden, by either rule."""
        return self.status.get(key, SHOWN) != SHOWN

    @property
    def secondary(self) -> list[Hashable]:
        """The cells hidden so that another hidden cell cannot be worked out, in the order given."""
        return [k for k, v in self.status.items() if v == SECONDARY]

    def counts(self, keys: Collection[Hashable] | None = None) -> tuple[int, int]:
        """(primary, secondary) numbers of hidden cells among `keys` (default: every cell)."""
        chosen = self.status if keys is None else {k: self.status[k] for k in keys if k in self.status}
        values = list(chosen.values())
        return values.count(PRIMARY), values.count(SECONDARY)

    def derivable(self) -> list[Hashable]:
        """Hidden cells whose inferred range is one value (empty after :func:`protect`); latent cells may be."""
        return [k for k, v in self.status.items() if v in (PRIMARY, SECONDARY) and self.low[k] == self.high[k]]


def shown_range(policy: DisclosurePolicy, count: float, national: bool = False) -> tuple[int, int]:
    """The true whole counts a reader can infer from how `policy` shows `count` (primary rule only).

    >>> from msp_analysis.disclosure.policies import get_policy
    >>> shown_range(get_policy("sac"), 9), shown_range(get_policy("sac"), 6), shown_range(get_policy("sac"), 2)
    ((8, 12), (5, 7), (0, 4))
    """
    if is_missing(count):
        return 0, 0
    if policy.is_suppressed(count, national):
        return (0 if policy.zero == ZERO_SUPPRESS else 1), max(policy.threshold - 1, 0)
    if national and policy.national_exempt:
        exact = int(math.floor(count + 0.5))
        return exact, exact
    shown = policy.round_count(count)
    if count == 0 and policy.zero != ZERO_SUPPRESS and (policy.zero != ZERO_SHOW or shown == 0):
        return 0, 0
    half = policy.rounding_base / 2
    low, high = math.ceil(shown - half), math.ceil(shown + half) - 1
    if shown > 0 or policy.zero == ZERO_SUPPRESS:
        low = max(low, policy.threshold)  # shown, so not under the threshold
    return max(low, 0), max(high, low)


def _narrow(sets: list[tuple[int, list[int]]], low: list[int], high: list[int],
            member_of: list[list[int]] | None = None) -> None:
    """Bounds through every set (total = sum of parts) until nothing changes; in place.

    A work list: every set once, then again only a set holding a cell whose bounds moved
    (`member_of`: the sets of each cell). Narrowing only ever tightens bounds, so the bounds it
    stops at are the same whatever the order (the greatest fixed point), as a sweep over every
    set until nothing changes would reach, at the cost of the sets that can still change.
    """
    if member_of is None:
        member_of = [[] for _ in low]
        for j, (total, parts) in enumerate(sets):
            for cell in (total, *parts):
                member_of[cell].append(j)
    queue = deque(range(len(sets)))
    queued = [True] * len(sets)
    while queue:
        j = queue.popleft()
        queued[j] = False
        total, parts = sets[j]
        moved: list[int] = []
        sum_low = sum(map(low.__getitem__, parts))  # map, not a generator: this loop is most of protect()'s time
        sum_high = sum(map(high.__getitem__, parts))
        if sum_low > low[total]:
            low[total] = sum_low
            moved.append(total)
        if sum_high < high[total]:
            high[total] = sum_high
            moved.append(total)
        for p in parts:
            new_low = low[total] - (sum_high - high[p])
            new_high = high[total] - (sum_low - low[p])
            if new_low > low[p]:
                sum_low += new_low - low[p]
                low[p] = new_low
                moved.append(p)
            if new_high < high[p]:
                sum_high -= high[p] - new_high
                high[p] = new_high
                moved.append(p)
        for cell in moved:
            for k in member_of[cell]:
                if not queued[k]:
                    queued[k] = True
                    queue.append(k)


def protect(values: Mapping[Hashable, float], sets: Sequence[CellSet], policy: DisclosurePolicy,
            national: Collection[Hashable] = (), *, latent: Collection[Hashable] = (),
            published: Collection[Hashable] = ()) -> Protection:
    """Primary and secondary suppression of the cells `values` (true counts) under `policy`.

    Parameters
    ----------
    values : mapping
        Every cell the reports show or use, key → true count (missing counts count as 0).
    sets : sequence of CellSet
        Cells that add up to a total; every key must be in `values`.
    policy : DisclosurePolicy
        The primary rule (threshold, rounding, zero, national exemption).
    national : collection
        Keys of national cells, shown exactly by policies that exempt them.
    latent : collection
        Cells no table shows, in the sets only (a sum of shown cells, say): never primary, never
        chosen, their range only what the sets imply (status LATENT; no count of hidden cells has them).
    published : collection
        Cells never chosen to protect another (England's, say, the comparator of every report);
        primary suppression still applies to them.

    A cell whose shown value is 0 (an exact zero) is chosen to protect another only when no
    other cell is left. A hidden cell can stay derivable when the rule itself pins it (three
    hidden cells of 1-2 people that must add up); :meth:`Protection.derivable` lists those.
    See the module docstring for the method.
    """
    keys = list(values)
    index = {k: i for i, k in enumerate(keys)}
    national_set = set(national)
    counts = [c if type(c) is float and c == c else (0.0 if is_missing(c) else float(c))  # a float: most of them
              for c in map(values.__getitem__, keys)]
    flags = [k in national_set for k in keys]
    try:
        plain = [(index[s.total], [index[p] for p in s.parts]) for s in sets]
    except KeyError as missing:
        raise ValueError(f"a set names a cell with no value: {missing}") from None
    rule: dict[tuple[float, bool], tuple[bool, tuple[int, int], float]] = {}  # counts repeat: the rule once per count
    for c, n in zip(counts, flags, strict=True):
        if (c, n) not in rule:
            rule[(c, n)] = policy.is_suppressed(c, n), shown_range(policy, c, n), policy.disclosed_count(c, n)
    rules = [rule[(c, n)] for c, n in zip(counts, flags, strict=True)]
    status = [PRIMARY if r[0] else SHOWN for r in rules]
    shown_ranges = [r[1] for r in rules]
    for key in latent:
        if key in index:
            status[index[key]] = LATENT
            shown_ranges[index[key]] = (0, UNBOUNDED)
    shown_values = [r[2] for r in rules]
    member_of: list[list[int]] = [[] for _ in keys]
    for j, (total, parts) in enumerate(plain):
        member_of[total].append(j)
        for p in parts:
            member_of[p].append(j)
    secondary_low = max(policy.threshold, 1)
    never = set(published)
    keep = [(n and policy.national_exempt) or k in never  # national counts a policy exempts stay shown
            for n, k in zip(flags, keys, strict=True)]
    rounds = 0
    while True:
        rounds += 1
        low = [min(secondary_low, r[0]) if s == SECONDARY else r[0] for s, r in zip(status, shown_ranges, strict=True)]
        high = [UNBOUNDED if s == SECONDARY else r[1] for s, r in zip(status, shown_ranges, strict=True)]
        _narrow(plain, low, high, member_of)
        derivable = [i for i, s in enumerate(status) if s in (PRIMARY, SECONDARY) and low[i] == high[i]]
        if not derivable or rounds > MAX_ROUNDS:
            break
        touched: set[int] = set()
        memo: dict[int, tuple[int, int] | None] = {}  # a pinned latent cell's partner, found once a round
        added = 0
        for i in derivable:
            if touched & set(member_of[i]):
                continue  # a set holding it got a new hidden cell this round: check again first
            choice = _partner(i, member_of[i], plain, status, shown_values, keep, (low, high, member_of, memo))
            if choice is None:
                continue
            cell, chosen_set = choice
            status[cell] = SECONDARY
            touched.add(chosen_set)
            added += 1
        if not added:
            break  # nothing left to hide: the remaining derivable cells are reported by Protection.derivable
    return Protection(status=dict(zip(keys, status, strict=True)), low=dict(zip(keys, low, strict=True)),
                      high=dict(zip(keys, high, strict=True)), rounds=rounds)


def _partner(cell: int, sets_of_cell: list[int], plain: list[tuple[int, list[int]]], status: list[int],
             shown_values: list[float], keep: list[bool],
             latent: tuple[list[int], list[int], list[list[int]], dict] | None = None,
             depth: int = 0) -> tuple[int, int] | None:
    """The cell to hide with `cell`, and the set it was chosen in: see the module docstring, step 3.

    Cells in `keep` (national counts the policy publishes exactly) are never chosen. When no set of `cell` has a cell left to hide but holds a latent cell the sets pin to one
    value (`latent`: the ranges and each cell's sets), the partner is one of that latent cell's (a
    latent cell is shown by no table, so what pins it must be hidden instead).
    """
    def hidden_in(j: int) -> int:
        total, parts = plain[j]
        return sum(status[p] != SHOWN for p in [total, *parts])

    ordered = sorted(sets_of_cell, key=lambda j: (hidden_in(j), j))
    for allow_zero in (False, True):  # an exact zero hides nothing, so only when nothing else is left
        for j in ordered:
            total, parts = plain[j]
            candidates = [p for p in parts if p != cell and status[p] == SHOWN and not keep[p]
                          and (shown_values[p] > 0 or (allow_zero and shown_values[p] == 0))]
            if candidates:
                return min(candidates, key=lambda p: (shown_values[p], p)), j
            if total != cell and status[total] == SHOWN and not keep[total] and (shown_values[total] > 0 or allow_zero):
                return total, j
    if latent is None or depth >= 2:
        return None
    low, high, member_of, memo = latent  # memo: each latent cell's partner, looked for once a round
    for j in ordered:
        total, parts = plain[j]
        for p in (total, *parts):
            if p == cell or status[p] != LATENT or low[p] != high[p]:
                continue
            if p not in memo:
                memo[p] = None  # while looking: a cycle back to it finds nothing
                memo[p] = _partner(p, [k for k in member_of[p] if k != j], plain, status, shown_values, keep, latent,
                                   depth + 1)
            choice = memo[p]
            if choice is not None and status[choice[0]] == SHOWN:  # not already chosen this round
                return choice
    return None
