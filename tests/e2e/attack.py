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
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

PATHWAY_CAPTION = "The MSP pathway in"
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


def count_values(cell: str) -> range:
    """The whole counts a shown count cell allows."""
    text = cell.replace(",", "").strip()
    if text in HIDDEN:
        return range(0, 5)
    value = int(float(text))
    return range(max(value - 2, 0), value + 3) if value % 5 == 0 else range(value, value + 1)


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

    def numerators(self, denominator: int) -> Iterable[int]:
        """Numerators 0 … denominator whose percentage reads as shown."""
        if self.text is None or denominator == 0:
            return range(0, denominator + 1)
        target = float(self.text)
        centre = round(target * denominator / 100)
        slack = denominator * (0.5 * 10 ** -self.decimals) / 100 + 1
        low, high = max(0, int(centre - slack)), min(denominator, int(centre + slack) + 1)
        return [n for n in range(low, high + 1) if f"{100 * n / denominator:.{self.decimals}f}" == self.text]


@cache
def solutions(concluded: str, asked: str, expressed: str, fully: str, partially: str, not_achieved: str,
              fully_or_partially: str = "") -> frozenset[tuple[int, ...]]:
    """Every (concluded, asked, not asked, expressed, fully, partially, not achieved) the row allows."""
    found = set()
    p_asked, p_expr, p_full, p_part, p_not, p_either = map(
        Percent.of, (asked, expressed, fully, partially, not_achieved, fully_or_partially))
    for total in count_values(concluded):
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
                        if len(found) > 20_000:  # so loose that nothing is pinned: stop counting
                            return frozenset(found)
    return frozenset(found)


@dataclass(frozen=True)
class Leak:
    page: str
    area: str
    quantity: str
    value: int


def pathway_leaks(name: str, page: str) -> list[Leak]:
    """Counts of 0 to 4 the pathway table of `page` gives back, one :class:`Leak` each."""
    leaks = []
    for caption, rows in tables(page):
        if not caption.startswith(PATHWAY_CAPTION) or not rows:
            continue
        header = rows[0]
        column = {label: header.index(label) for label in header}
        wanted = ("Concluded S42 enquiries", "Asked %", "Expressed %", "Fully achieved %", "Partially achieved %",
                  "Not achieved %")
        if not all(label in column for label in wanted):
            continue
        either = column.get("Fully or partially %")
        for row in rows[1:]:
            found = solutions(*(row[column[label]] for label in wanted), row[either] if either is not None else "")
            if not found:
                continue
            for position, quantity in enumerate(QUANTITIES):
                values = {solution[position] for solution in found}
                if len(values) == 1 and (value := next(iter(values))) <= 4:
                    leaks.append(Leak(name, row[0], quantity, value))
    return leaks
