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
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

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


@dataclass(frozen=True)
class _Links:
    """The sets as arrays, set ``j`` being ``totals[j] == sum(parts[indptr[j]:indptr[j + 1]])``, and each cell's sets.

    `member` holds the sets of every cell, cell by cell and in the order of the sets (a set twice
    when it names the cell twice); cell ``i``'s are ``member[member_ptr[i]:member_ptr[i + 1]]``.
    """

    totals: np.ndarray
    indptr: np.ndarray
    parts: np.ndarray
    member_ptr: np.ndarray
    member: np.ndarray

    @classmethod
    def of(cls, n: int, totals: np.ndarray, indptr: np.ndarray, parts: np.ndarray) -> _Links:
        """The links of `n` cells; a sum of the bounds of a set's parts must fit in 64 bits (at most 9,222 parts)."""
        sizes = np.diff(indptr)
        if len(sizes) and int(sizes.max()) > np.iinfo(np.int64).max // UNBOUNDED:
            raise ValueError("a set has too many parts to add up their bounds exactly in 64 bits")
        places = np.concatenate([totals, parts])
        owners = np.concatenate([np.arange(len(totals)), np.repeat(np.arange(len(totals)), sizes)])
        order = np.lexsort((owners, places))
        member_ptr = np.searchsorted(places[order], np.arange(n + 1))
        return cls(totals, indptr, parts, member_ptr, owners[order])

    def for_partners(self) -> tuple[list[int], _Rows, _Rows]:
        """Each set's total, each set's parts and each cell's sets, as Python lists: for the choice of partners."""
        return self.totals.tolist(), _Rows(self.parts, self.indptr), _Rows(self.member, self.member_ptr)


class _Rows:
    """Rows of a CSR index as lists, each made when asked for (the partners look at few of them)."""

    def __init__(self, flat: np.ndarray, ptr: np.ndarray) -> None:
        self.flat, self.ptr = flat.tolist(), ptr.tolist()

    def __getitem__(self, row: int) -> list[int]:
        return self.flat[self.ptr[row]:self.ptr[row + 1]]


def _ranges(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of rows `rows` of a CSR index `ptr`, one row after another, and the rows' lengths."""
    sizes = ptr[rows + 1] - ptr[rows]
    return np.repeat(ptr[rows] - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum())), sizes


def per_count(function: Callable[[float, bool], object], counts: np.ndarray, national: np.ndarray) -> np.ndarray:
    """``function(count, national)`` of every cell, as floats: called once per distinct pair (counts repeat).

    `function` returns a number or a tuple of them (a row each); NaN counts are one count.
    """
    distinct, inverse = np.unique(counts, return_inverse=True)
    pairs, which = np.unique(inverse.reshape(-1) * 2 + national, return_inverse=True)
    results = [function(c, n) for c, n in zip(distinct[pairs // 2].tolist(), (pairs % 2 == 1).tolist(), strict=True)]
    return np.array(results, dtype=float)[which.reshape(-1)]


def _narrow(links: _Links, low: np.ndarray, high: np.ndarray) -> None:
    """Bounds through every set (total = sum of parts) until nothing changes; in place (int64 arrays).

    A sweep narrows with many sets at once: a total to the sum of its parts' bounds, then each part
    to the total's new bounds minus the other parts' sums; a cell takes the tightest bounds its sets
    give. The first sweep takes every set, the next only the sets holding a cell whose bounds moved
    (the others would give what they gave). Narrowing only ever tightens bounds and each step is a
    sound deduction, so the bounds it stops at are the greatest fixed point whatever the order: those
    of a work list of one set at a time. Bounds hold the true counts, between 0 and UNBOUNDED, so the
    sums of a set's parts fit in 64 bits (:meth:`_Links.of`).
    """
    active = np.arange(len(links.totals))
    while len(active):
        entries, sizes = _ranges(links.indptr, active)
        totals, parts = links.totals[active], links.parts[entries]
        owner = np.repeat(np.arange(len(active)), sizes)
        sum_low = np.zeros(len(active), dtype=np.int64)  # a set of no parts adds up to 0
        sum_high = np.zeros(len(active), dtype=np.int64)
        nonempty = sizes > 0
        if nonempty.any():  # reduceat of the sets with parts: an empty one would give its next part
            first = (np.cumsum(sizes) - sizes)[nonempty]
            sum_low[nonempty] = np.add.reduceat(low[parts], first)
            sum_high[nonempty] = np.add.reduceat(high[parts], first)
        total_low = np.maximum(low[totals], sum_low)
        total_high = np.minimum(high[totals], sum_high)
        part_low = total_low[owner] - (sum_high[owner] - high[parts])
        part_high = total_high[owner] - (sum_low[owner] - low[parts])
        touched = np.concatenate([totals, parts])
        before_low, before_high = low[touched], high[touched]
        np.maximum.at(low, touched, np.concatenate([total_low, part_low]))
        np.minimum.at(high, touched, np.concatenate([total_high, part_high]))
        moved = np.zeros(len(low), dtype=bool)
        moved[touched[(low[touched] != before_low) | (high[touched] != before_high)]] = True
        active = np.zeros(len(links.totals), dtype=bool)
        active[links.member[_ranges(links.member_ptr, np.flatnonzero(moved))[0]]] = True
        active = np.flatnonzero(active)


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
    See the module docstring for the method, and :func:`protect_indexed` for the same with cells by position.
    """
    keys = list(values)
    index = {k: i for i, k in enumerate(keys)}
    counts = np.array([c if type(c) is float and c == c else (0.0 if is_missing(c) else float(c))  # a float: most
                       for c in map(values.__getitem__, keys)], dtype=float)
    try:
        totals = [index[s.total] for s in sets]
        parts = [index[p] for s in sets for p in s.parts]
    except KeyError as missing:
        raise ValueError(f"a set names a cell with no value: {missing}") from None
    indptr = np.concatenate([[0], np.cumsum([len(s.parts) for s in sets], dtype=np.int64)])

    def mask(chosen: Collection[Hashable]) -> np.ndarray:
        out = np.zeros(len(keys), dtype=bool)
        out[[index[k] for k in chosen if k in index]] = True
        return out

    return protect_indexed(keys, counts, (np.array(totals, dtype=np.int64), indptr, np.array(parts, dtype=np.int64)),
                           policy, mask(national), latent=mask(latent), published=mask(published))


def protect_indexed(keys: Sequence[Hashable], counts: np.ndarray, sets: tuple[np.ndarray, np.ndarray, np.ndarray],
                    policy: DisclosurePolicy, national: np.ndarray, *, latent: np.ndarray,
                    published: np.ndarray) -> Protection:
    """:func:`protect` of cells given by position: what a caller with many cells builds as arrays, not keys.

    `keys` name the cells of the result; `counts` their true counts (floats, a missing count 0);
    `sets` ``(totals, indptr, parts)``: set ``j`` is ``counts[totals[j]] == counts[parts[indptr[j]:indptr[j + 1]]].sum()``
    (sets in the order of :func:`protect`'s `sets`: ties are broken by it); `national`, `latent` and
    `published` boolean masks over the cells, as :func:`protect`'s collections.
    """
    links = _Links.of(len(keys), *(np.asarray(a, dtype=np.int64) for a in sets))
    national = np.asarray(national, dtype=bool)
    rule = per_count(lambda c, n: (policy.is_suppressed(c, n), *shown_range(policy, c, n),
                                   policy.disclosed_count(c, n)), counts, national).reshape(len(keys), 4)
    # (the ranges are small whole numbers: exact as floats)
    status = np.where(rule[:, 0] > 0, PRIMARY, SHOWN)
    status[latent] = LATENT
    range_low = np.where(latent, 0, rule[:, 1].astype(np.int64))
    range_high = np.where(latent, UNBOUNDED, rule[:, 2].astype(np.int64))
    shown_values = rule[:, 3].tolist()
    keep = ((national & policy.national_exempt) | published).tolist()  # national counts a policy exempts stay shown
    secondary_low = max(policy.threshold, 1)
    partners: tuple[list[int], _Rows, _Rows] | None = None  # the sets and each cell's, as lists: for the partners
    rounds = 0
    while True:
        rounds += 1
        is_secondary = status == SECONDARY
        low = np.where(is_secondary, np.minimum(secondary_low, range_low), range_low)
        high = np.where(is_secondary, UNBOUNDED, range_high)
        _narrow(links, low, high)
        derivable = np.flatnonzero(((status == PRIMARY) | is_secondary) & (low == high)).tolist()
        if not derivable or rounds > MAX_ROUNDS:
            break
        if partners is None:
            partners = links.for_partners()
        totals, parts_of, member_of = partners
        current = status.tolist()
        touched: set[int] = set()
        memo: dict[int, tuple[int, int] | None] = {}  # a pinned latent cell's partner, found once a round
        added = 0
        bounds = (low.tolist(), high.tolist(), member_of, memo)
        for i in derivable:
            if touched & set(member_of[i]):
                continue  # a set holding it got a new hidden cell this round: check again first
            choice = _partner(i, member_of[i], (totals, parts_of), current, shown_values, keep, bounds)
            if choice is None:
                continue
            cell, chosen_set = choice
            current[cell] = SECONDARY
            touched.add(chosen_set)
            added += 1
        if not added:
            break  # nothing left to hide: the remaining derivable cells are reported by Protection.derivable
        status = np.array(current)
    return Protection(status=dict(zip(keys, status.tolist(), strict=True)), low=dict(zip(keys, low.tolist(), strict=True)),
                      high=dict(zip(keys, high.tolist(), strict=True)), rounds=rounds)


def _partner(cell: int, sets_of_cell: list[int], sets: tuple[list[int], _Rows], status: list[int],
             shown_values: list[float], keep: list[bool],
             latent: tuple[list[int], list[int], _Rows, dict] | None = None,
             depth: int = 0) -> tuple[int, int] | None:
    """The cell to hide with `cell`, and the set it was chosen in: see the module docstring, step 3.

    `sets`: each set's total and parts. Cells in `keep` (national counts the policy publishes exactly) are never chosen. When no set of `cell` has a cell left to hide but holds a latent cell the sets pin to one
    value (`latent`: the ranges and each cell's sets), the partner is one of that latent cell's (a
    latent cell is shown by no table, so what pins it must be hidden instead).
    """
    totals, parts_of = sets

    def hidden_in(j: int) -> int:
        row = [status[totals[j]], *map(status.__getitem__, parts_of[j])]
        return len(row) - row.count(SHOWN)

    ordered = sorted(sets_of_cell, key=lambda j: (hidden_in(j), j))
    for allow_zero in (False, True):  # an exact zero hides nothing, so only when nothing else is left
        for j in ordered:
            total, parts = totals[j], parts_of[j]
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
        total, parts = totals[j], parts_of[j]
        for p in (total, *parts):
            if p == cell or status[p] != LATENT or low[p] != high[p]:
                continue
            if p not in memo:
                memo[p] = None  # while looking: a cycle back to it finds nothing
                memo[p] = _partner(p, [k for k in member_of[p] if k != j], sets, status, shown_values, keep, latent,
                                   depth + 1)
            choice = memo[p]
            if choice is not None and status[choice[0]] == SHOWN:  # not already chosen this round
                return choice
    return None
