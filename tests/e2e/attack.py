"""An attacker with nothing but the rendered HTML: which hidden counts can arithmetic give back?

For each row of a locality report's MSP pathway table (an area's concluded Section 42 enquiries
and its asked, expressed, fully, partially and not achieved percentages) the attacker lists
every set of whole counts consistent with everything the row shows:

- a count shown as a multiple of 5 may be any value that rounds to it (``n - 2 … n + 2``); any
  other number is exact; a suppressed count (``[c]``, ``*``) is 0 to 4;
- a shown percentage pins its numerator to the counts whose percentage, written with the same
  number of decimals, reads the same; a hidden percentage allows any numerator;
- the parts add up: fully + partially + not achieved = expressed ≤ asked ≤ concluded.

A count is *given back* when every consistent solution gives it the same value. The rule the
reports must keep: no count of 0 to 4 is given back. This is the arithmetic of issue 12
(percentages × denominators, complements); region-minus-councils and figure coordinates are
not attacked here.

The pathway-by-group tables (captions "The MSP pathway by …") are attacked the same way, row by
row, on their council columns (:func:`group_leaks`): a group's concluded enquiries and its asked,
expressed and fully achieved percentages of them, and the complements those imply (not asked,
asked but nothing expressed, partially or not achieved).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

PATHWAY_CAPTION = ("The MSP pathway in", "The MSP pathway of other enquiries in")
HIDDEN = {"[c]", "*", "[x]", "[z]", "[w]", ""}
QUANTITIES = ("concluded", "asked", "not_asked", "expressed", "fully", "partially", "not_achieved")


def tables(page: str) -> list[tuple[str, list[list[str]]]]:
    """Every table of a page: its caption and its rows of cell texts (header row first)."""
    found = []
    for table in re.findall(r"<table.*?</table>", page, re.S):
        caption = re.search(r"<caption>(.*?)</caption>", table, re.S)
        rows = [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                for row in re.findall(r"<tr.*?</tr>", table, re.S)]
        found.append((html.unescape(re.sub(r"<[^>]+>", "", caption.group(1))).strip() if caption else "", rows))
    return found


def count_values(cell: str, base: int = 5) -> range:
    """The whole counts a shown count cell allows (a multiple of `base` may be anything that rounds to it)."""
    text = cell.replace(",", "").strip()
    if text in HIDDEN:
        return range(0, 5)
    value = int(float(text))
    return true_range(value, base) if value % base == 0 else range(value, value + 1)


def true_range(shown: int, base: int) -> range:
    """The true counts a count shown as `shown` (rounded to `base`) may be; a shown 0 may hide 0 to 4."""
    if shown == 0:
        return range(0, 5)
    half = base // 2
    return range(max(shown - half, 0), shown + half + 1)


def read_as(numerator: int, denominator: int, decimals: int) -> str:
    """A percentage as the reports write it: half up, to `decimals` places."""
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return f"{value:.{decimals}f}"


@dataclass(frozen=True)
class Percent:
    """A shown percentage (None: hidden, any numerator)."""

    text: str | None
    decimals: int = 0

    @classmethod
    def of(cls, cell: str) -> Percent:
        text = cell.strip().rstrip("%").strip()
        if text in HIDDEN:
            return cls(None)
        return cls(text, len(text.split(".")[1]) if "." in text else 0)

    def numerators(self, denominator: int, base: int = 1, half_up: bool = False) -> Iterable[int]:
        """Numerators (multiples of `base`, as a count is shown) 0 … denominator whose percentage reads as shown.

        `half_up`: written half up from exact decimals (this package's rule), else as Python's
        float formatting writes it (the reports before issue 12).
        """
        candidates = range(0, denominator + 1, base)
        if self.text is None or denominator == 0:
            return candidates
        if half_up:
            return [n for n in candidates if read_as(n, denominator, self.decimals) == self.text]
        return [n for n in candidates if f"{100 * n / denominator:.{self.decimals}f}" == self.text]


@cache
def solutions(concluded: str, asked: str, expressed: str, fully: str, partially: str, not_achieved: str,
              fully_or_partially: str = "", base: int = 5, of_shown: bool = False) -> frozenset[tuple[int, ...]]:
    """Every true (concluded, asked, not asked, expressed, fully, partially, not achieved) the row allows.

    `base` is how the policy rounds counts. With `of_shown` each percentage is of the counts *as
    shown* (its numerator a multiple of `base` the attacker does not see, its denominator the
    shown count, written half up) and each true count is anything that rounds to its shown
    value: the rule this package's reports state. Without it, percentages are of the exact
    counts (the reports before issue 12, and the published national tables).
    """
    p_asked, p_expr, p_full, p_part, p_not, p_either = map(
        Percent.of, (asked, expressed, fully, partially, not_achieved, fully_or_partially))
    if not of_shown:
        return _exact_solutions(count_values(concluded, base), p_asked, p_expr, p_full, p_part, p_not, p_either)
    found: set[tuple[int, ...]] = set()
    text = concluded.replace(",", "").strip()
    totals = count_values(concluded, base)
    for total_shown in ([int(text)] if text.isdigit() else [t for t in range(0, 5)]):
        for expr_shown in p_expr.numerators(total_shown, base, True):
            asked_shown = list(p_asked.numerators(total_shown, base, True))
            parts = [{v for shown in p.numerators(expr_shown, base, True) for v in true_range(shown, base)}
                     for p in (p_full, p_part, p_not, p_either)]
            for total in totals:
                for expr in true_range(expr_shown, base):
                    asked_options = {a for shown in asked_shown for a in true_range(shown, base) if expr <= a <= total}
                    for full in parts[0]:
                        for part in parts[1]:
                            rest = expr - full - part
                            if rest < 0 or rest not in parts[2] or full + part not in parts[3]:
                                continue
                            for a in asked_options:
                                found.add((total, a, total - a, expr, full, part, rest))
                                if len(found) > 20_000:  # so loose that nothing is pinned: stop counting
                                    return frozenset(found)
    return frozenset(found)


def _exact_solutions(totals: range, p_asked: Percent, p_expr: Percent, p_full: Percent, p_part: Percent,
                     p_not: Percent, p_either: Percent) -> frozenset[tuple[int, ...]]:
    """:func:`solutions` when percentages are of the exact counts."""
    found = set()
    for total in totals:
        for expr in p_expr.numerators(total):
            asked_options = [a for a in p_asked.numerators(total) if a >= expr]
            if not asked_options:
                continue
            for full in p_full.numerators(expr):
                for part in p_part.numerators(expr):
                    rest = expr - full - part
                    if rest < 0 or rest not in set(p_not.numerators(expr)) \
                            or full + part not in set(p_either.numerators(expr)):
                        continue
                    for a in asked_options:
                        found.add((total, a, total - a, expr, full, part, rest))
                        if len(found) > 20_000:
                            return frozenset(found)
    return frozenset(found)


@dataclass(frozen=True)
class Leak:
    page: str
    area: str
    quantity: str
    value: int


def pathway_leaks(name: str, page: str, base: int = 5, of_shown: bool | None = None) -> list[Leak]:
    """Counts of 0 to 4 the pathway table of `page` gives back, one :class:`Leak` each.

    `base`: how the page's policy rounds counts (5 under the SAC rule). `of_shown`: whether
    percentages are of the counts as shown; by default read from the page's own policy
    statement, as an attacker would.
    """
    if of_shown is None:
        of_shown = "computed from the counts as shown" in page
    leaks = []
    for caption, rows in tables(page):
        if not caption.startswith(PATHWAY_CAPTION) or not rows:
            continue
        header = rows[0]
        column = {label: header.index(label) for label in header}
        if "Concluded other enquiries" in column:  # the other-enquiries table: the same layout
            column["Concluded S42 enquiries"] = column["Concluded other enquiries"]
        wanted = ("Concluded S42 enquiries", "Asked %", "Expressed %", "Fully achieved %", "Partially achieved %",
                  "Not achieved %")
        if not all(label in column for label in wanted):
            continue
        either = column.get("Fully or partially %")
        for row in rows[1:]:
            found = solutions(*(row[column[label]] for label in wanted), row[either] if either is not None else "",
                              base, of_shown)
            if not found:
                continue
            for position, quantity in enumerate(QUANTITIES):
                values = {solution[position] for solution in found}
                if len(values) == 1 and (value := next(iter(values))) <= 4:
                    leaks.append(Leak(name, row[0], quantity, value))
    return leaks


GROUP_CAPTION = "The MSP pathway by "
GROUP_QUANTITIES = ("concluded", "asked", "not_asked", "expressed", "asked_not_expressed", "fully", "not_fully")
GROUP_COLUMNS = ("Concluded S42 enquiries", "Asked %", "Expressed %", "Fully achieved %")


def group_solutions(concluded: str, asked: str, expressed: str, fully: str, base: int = 5,
                    of_shown: bool = True) -> list[set[int]]:
    """The values each of (concluded, asked, not asked, expressed, asked not expressed, fully, not fully) may take.

    Asked % and expressed % are of the concluded count, fully achieved % of the expressed count,
    each of the counts as shown (`of_shown`, this package's rule: numerators are multiples of
    `base` written half up, each true count anything that rounds to its shown value) or of the
    exact counts. The only other constraints are expressed ≤ asked ≤ concluded and fully ≤
    expressed, so the values are collected per feasible (concluded, asked, expressed) and per
    feasible fully given expressed, never over the whole product.
    """
    p_asked, p_expr, p_full = map(Percent.of, (asked, expressed, fully))
    text = concluded.replace(",", "").strip()
    values: list[set[int]] = [set() for _ in range(7)]

    def spread(shown: int) -> range:
        return range(shown, shown + 1) if base == 1 and shown > 0 else true_range(shown, base)

    def collect(totals, asked_values, expr_pairs):
        """expr_pairs: (true expressed, the true fully values it allows)."""
        for total in totals:
            for a in asked_values:
                if a > total:
                    continue
                for e, fully_values in expr_pairs:
                    allowed = [f for f in fully_values if f <= e]
                    if e > a or not allowed:
                        continue
                    for i, v in enumerate((total, a, total - a, e, a - e)):
                        values[i].add(v)
                    values[5].update(allowed)
                    values[6].update(e - f for f in allowed)

    if not of_shown:
        for total in count_values(concluded, base):
            expr_pairs = [(e, list(p_full.numerators(e))) for e in p_expr.numerators(total)]
            collect([total], list(p_asked.numerators(total)), expr_pairs)
        return values
    for total_shown in ([int(text)] if text.isdigit() else list(range(0, 5))):
        totals = count_values(text, base) if text.isdigit() else range(0, 5)
        asked_values = sorted({a for shown in p_asked.numerators(total_shown, base, True) for a in spread(shown)})
        expr_pairs = [(e, sorted({f for shown in p_full.numerators(expr_shown, base, True) for f in spread(shown)}))
                      for expr_shown in p_expr.numerators(total_shown, base, True) for e in spread(expr_shown)]
        collect(totals, asked_values, expr_pairs)
    return values


def group_leaks(name: str, page: str, base: int = 5, of_shown: bool | None = None) -> list[Leak]:
    """Counts of 0 to 4 the pathway-by-group tables of `page` give back (council columns: the first of each)."""
    if of_shown is None:
        of_shown = "computed from the counts as shown" in page
    leaks = []
    for caption, rows in tables(page):
        if not caption.startswith(GROUP_CAPTION) or not rows:
            continue
        header = rows[0]
        try:
            column = [next(i for i, label in enumerate(header) if label.startswith(wanted)) for wanted in GROUP_COLUMNS]
        except StopIteration:
            continue
        for row in rows[1:]:
            found = group_solutions(*(row[i] for i in column), base=base, of_shown=of_shown)
            for quantity, values in zip(GROUP_QUANTITIES, found, strict=True):
                if len(values) == 1 and (value := next(iter(values))) <= 4:
                    leaks.append(Leak(name, f"{caption}: {row[0]}", quantity, value))
    return leaks


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.e2e.attack FOLDER``: attack every locality report of a rendered folder; exit 1 on a leak."""
    import sys
    from pathlib import Path

    folder = Path((argv if argv is not None else sys.argv[1:])[0])
    pages = sorted(folder.glob("locality_*.html"))
    leaks = [leak for path in pages for page in [path.read_text(encoding="utf-8")]
             for leak in pathway_leaks(path.stem, page) + group_leaks(path.stem, page)]
    reports = len({leak.page for leak in leaks})
    print(f"{len(pages)} locality reports attacked: {reports} give back a count of 0 to 4 ({len(leaks)} counts)")
    for leak in leaks[:20]:
        print(f"  {leak.page}: {leak.area} {leak.quantity} = {leak.value}")
    return 1 if leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
