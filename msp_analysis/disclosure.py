"""Named small-number suppression policies, applied where tables are rendered.

A report never rounds or hides numbers by hand: it asks a :class:`DisclosurePolicy` to
turn a table of counts and rates into display strings, and states the policy it used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DisclosurePolicy:
    """Counts below `threshold` become `symbol`; others are rounded to `rounding_base`.

    A rate whose numerator or denominator is suppressed is suppressed too. Percentages are
    computed from unrounded counts before any rounding, as published statistics are.
    """

    name: str
    threshold: int
    rounding_base: int
    symbol: str
    description: str

    def __post_init__(self) -> None:
        if self.threshold < 0 or self.rounding_base < 1:
            raise ValueError("threshold must be >= 0 and rounding_base >= 1")

    def is_suppressed(self, count: float) -> bool:
        """True when `count` must not be shown (below the threshold, and not zero-exempt)."""
        if count is None or (isinstance(count, float) and math.isnan(count)):
            return False
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")
        return count < self.threshold

    def round_count(self, count: float) -> int:
        """Round half up to the nearest `rounding_base` (7.5 → 10 with base 5)."""
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")
        return int(math.floor(count / self.rounding_base + 0.5) * self.rounding_base)

    def format_count(self, count: float) -> str:
        """Display string of a count under this policy."""
        if count is None or (isinstance(count, float) and math.isnan(count)):
            return ""
        if self.is_suppressed(count):
            return self.symbol
        return f"{self.round_count(count):,}"

    def hidden_rates(self, table: pd.DataFrame, rates: dict[str, tuple[list[str], list[str]]]) -> pd.DataFrame:
        """Booleans per rate: True where its numerator or denominator count is suppressed."""
        hidden = pd.DataFrame(index=table.index)
        for rate, (numerator, denominator) in rates.items():
            hidden[rate] = table[numerator].sum(axis=1).map(self.is_suppressed) | table[denominator].sum(
                axis=1
            ).map(self.is_suppressed)
        return hidden

    def apply(self, table: pd.DataFrame, counts: list[str], rates: dict[str, tuple[list[str], list[str]]]) -> pd.DataFrame:
        """Display table: counts suppressed or rounded, rates (1 dp) hidden when their inputs are."""
        out = table.copy()
        hidden = self.hidden_rates(table, rates)
        for rate in rates:
            out[rate] = [
                self.symbol if h else ("" if pd.isna(v) else f"{v:.1f}%") for h, v in zip(hidden[rate], table[rate])
            ]
        for column in counts:
            out[column] = table[column].map(self.format_count)
        return out

    def statement(self) -> str:
        """One sentence for the report saying which policy was applied."""
        return f"Disclosure control: {self.name} policy. {self.description}"


POLICIES = {
    "sac": DisclosurePolicy(
        name="sac",
        threshold=5,
        rounding_base=5,
        symbol="[c]",
        description="Counts under 5 are shown as [c]; other counts are rounded to the nearest 5; "
        "percentages are computed from unrounded counts and hidden when a count they use is hidden.",
    ),
}


def get_policy(name: str) -> DisclosurePolicy:
    """The named policy; an unknown name is an error listing the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown disclosure policy {name!r}; known: {', '.join(POLICIES)}") from None
