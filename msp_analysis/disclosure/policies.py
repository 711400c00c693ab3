"""Named small-number suppression policies: what a count, percentage or mean may show.

A :class:`DisclosurePolicy` turns one count, percentage or mean into its display string and
says which rates a table must hide; a report never rounds or hides numbers by hand but
passes its table to :func:`msp_analysis.disclosure.display.disclose` with a policy, and states
the policy it used (:meth:`DisclosurePolicy.statement`). Policies are looked up by name
(:data:`POLICIES`, :func:`get_policy`) or built from parameters (:func:`custom_policy`).

The policies in use in English adult social care statistics (docs/data.md, "Disclosure"):

============================  =====================================================================
``sac``                       Safeguarding Adults Collection, later files: under 5 → ``[c]``; others
                              rounded to the nearest 5 (ties up); not submitted → ``[x]``
``sac_2018``                  SAC 2018-19 and earlier: 0-4 → ``*``; others rounded to the nearest 5
``nhs_secondary_care``        NHS Digital secondary care (2018): sub-national 1-7 → ``*``, others
                              rounded to 5, 0 stays 0; national counts exempt
``ascs``                      Adult Social Care Survey: 1-2 respondents → ``[c]``; 0 → ``[w]``
``ascof``                     ASCOF: a numerator under 5 is suppressed with the score derived from it
============================  =====================================================================

plus ``custom:threshold=N,rounding=B,symbol=S,zero=suppress|show|SYMBOL,national=exempt|controlled,
pct_min=N,pct_extreme=N,pct_decimals=D`` (:func:`custom_policy`). Under every policy a percentage
whose numerator or denominator is hidden is hidden too, and a mean of a number of people that
would be suppressed as a count is suppressed (the NHS rule for means; for the other policies an
extension that keeps one person's answer from showing).

Percentages (:meth:`DisclosurePolicy.percentage`) are where this package deliberately differs from
every publisher above. The published national tables (SAC, NHS Digital, ASCS, ASCOF) compute
percentages from unrounded counts; at council level that gives the counts back (a one-decimal
percentage of a denominator in the hundreds identifies its numerator, and 100 minus the shown
shares gives a hidden one). So a percentage here is computed from the counts *as the policy shows
them* (rounded, or hidden), rounded half up to the precision the policy sets for the size of that
shown denominator (``pct_bands``: by default whole percentages from a denominator of 20, one
decimal from 10,000, none below 20), and 0% or 100% of a shown denominator under
``pct_extreme_denominator`` (default 100) is hidden too, since it says what every person in the
group had. A count that would let a hidden count be worked out from a total it adds up to is
hidden as well (secondary suppression, :mod:`msp_analysis.disclosure.secondary`): the published
SAC tables rely on rounding for that; with exact counts (``ascs``, ``ascof``) subtraction is exact.

>>> get_policy("sac").format_count(3), get_policy("sac").format_count(7.5)
('[c]', '10')
>>> get_policy("nhs_secondary_care").format_count(0), get_policy("nhs_secondary_care").format_count(7)
('0', '*')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

ZERO_SUPPRESS = "suppress"  # 0 is a small count like the others under the threshold
ZERO_SHOW = "show"  # 0 is shown as 0 (nothing to protect)

RateSpec = Mapping[str, tuple[Sequence[str], Sequence[str]]]


def is_missing(value: object) -> bool:
    """True for None, ``pd.NA`` and NaN: a cell with nothing to show."""
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


@dataclass(frozen=True)
class DisclosurePolicy:
    """Counts below `threshold` become `symbol`; others are rounded to `rounding_base`.

    `zero` says what a count of 0 becomes: ``"suppress"`` (a small count like 1-4; SAC),
    ``"show"`` (0 stays 0; NHS secondary care) or a symbol of its own (``"[w]"``; ASCS).
    With `national_exempt`, rows flagged national are shown exactly. A rate whose numerator
    or denominator is suppressed is suppressed too.

    Percentages are computed from the counts as shown, never from the unrounded ones
    (:meth:`percentage`): `pct_bands` lists (smallest shown denominator, decimals) in rising
    order, so ``((20, 0), (10_000, 1))`` gives whole percentages from 20 and one decimal from
    10,000 and no percentage under 20; 0% and 100% are hidden when the shown denominator is
    under `pct_extreme_denominator`.
    """

    name: str
    threshold: int
    rounding_base: int
    symbol: str
    description: str
    zero: str = ZERO_SUPPRESS
    national_exempt: bool = False
    not_submitted_symbol: str = "[x]"
    pct_bands: tuple[tuple[int, int], ...] = ((20, 0), (10_000, 1))
    pct_extreme_denominator: int = 100

    def __post_init__(self) -> None:
        if self.threshold < 0 or self.rounding_base < 1:
            raise ValueError("threshold must be >= 0 and rounding_base >= 1")
        if not self.symbol or not str(self.zero):
            raise ValueError("a policy needs a suppression symbol and a zero rule")
        bands = list(self.pct_bands)
        if (not bands or any(d < 0 or n < 1 for n, d in bands)
                or any(a[0] >= b[0] for a, b in zip(bands, bands[1:], strict=False))):
            raise ValueError("pct_bands are (smallest denominator >= 1, decimals >= 0) pairs in rising order")
        if self.pct_extreme_denominator < 0:
            raise ValueError("pct_extreme_denominator must be >= 0")

    # --- counts -------------------------------------------------------------------------

    def _check(self, count: float) -> None:
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")

    def is_suppressed(self, count: float, national: bool = False) -> bool:
        """True when `count` must not be shown: under the threshold, unless zero or national is exempt.

        Missing counts are not suppressed (there is nothing to show); a negative count is an error.
        """
        if is_missing(count):
            return False
        self._check(count)
        if national and self.national_exempt:
            return False
        if count == 0 and self.zero != ZERO_SUPPRESS:
            return False
        return count < self.threshold

    def round_count(self, count: float) -> int:
        """Round half up to the nearest `rounding_base` (7.5 → 10 with base 5)."""
        self._check(count)
        return int(math.floor(count / self.rounding_base + 0.5) * self.rounding_base)

    def format_count(self, count: float, national: bool = False, submitted: bool = True) -> str:
        """Display string of a count under this policy ("" when missing, the [x] symbol when not submitted)."""
        if not submitted:
            return self.not_submitted_symbol
        if is_missing(count):
            return ""
        if self.is_suppressed(count, national):
            return self.symbol
        if count == 0 and self.zero not in (ZERO_SUPPRESS, ZERO_SHOW):
            return self.zero
        if national and self.national_exempt:
            return f"{int(math.floor(count + 0.5)):,}"
        return f"{self.round_count(count):,}"

    def format_mean(self, value: float, n_people: float, decimals: int = 1, national: bool = False) -> str:
        """A mean (or median) of `n_people` people: hidden when that many people would be hidden as a count."""
        if is_missing(value) or is_missing(n_people) or n_people == 0:
            return ""
        if self.is_suppressed(n_people, national):
            return self.symbol
        return f"{value:.{decimals}f}"

    def disclosed_count(self, count: float, national: bool = False) -> float:
        """The count as this policy shows it, as a number: rounded, exact if exempt, NaN when hidden or missing."""
        if is_missing(count) or self.is_suppressed(count, national):
            return math.nan
        if national and self.national_exempt:
            return float(math.floor(count + 0.5))
        return float(self.round_count(count))

    # --- percentages ------------------------------------------------------------------------

    def pct_decimals(self, denominator: float) -> int | None:
        """Decimals of a percentage of this (shown) denominator; None when it is too small to show one."""
        decimals = None
        for smallest, places in self.pct_bands:
            if denominator >= smallest:
                decimals = places
        return decimals

    def percentage(self, numerator: float, denominator: float) -> tuple[float | None, str]:
        """The percentage shown for two *shown* counts (NaN for a hidden one), and why not when it is not shown.

        Returns ``(value, "")`` with `value` rounded half up to the decimals of :meth:`pct_decimals`,
        or ``(None, reason)``: ``"missing"`` (a zero or missing denominator: nothing to show),
        ``"hidden"`` (a count it uses is hidden), ``"denominator"`` (the shown denominator is under
        the first band) or ``"extreme"`` (0% or 100% of fewer than `pct_extreme_denominator`).

        >>> get_policy("sac").percentage(5, 40), get_policy("sac").percentage(20, 20)
        ((13.0, ''), (None, 'extreme'))
        """
        if is_missing(numerator) or is_missing(denominator):
            return None, "hidden"
        if denominator <= 0:
            return None, "missing"
        decimals = self.pct_decimals(denominator)
        if decimals is None:
            return None, "denominator"
        exact = Decimal(repr(float(numerator))) * 100 / Decimal(repr(float(denominator)))
        shown = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if shown in (0, 100) and denominator < self.pct_extreme_denominator:
            return None, "extreme"
        return float(shown), ""

    def format_pct(self, numerator: float, denominator: float) -> str:
        """The percentage of two shown counts as a table shows it: ``"12%"``, the symbol, or "" when missing.

        >>> get_policy("sac").format_pct(5, 40), get_policy("sac").format_pct(5, 15)
        ('13%', '[c]')
        """
        value, reason = self.percentage(numerator, denominator)
        if value is None:
            return "" if reason == "missing" else self.symbol
        return f"{value:.{self.pct_decimals(denominator)}f}%"

    def percentage_rule(self) -> str:
        """One sentence saying how percentages are computed and when they are hidden."""
        first, *finer = self.pct_bands
        precision = "whole percentages" if first[1] == 0 else f"percentages to {first[1]} decimal(s)"
        finer_text = "".join(f", {d} decimal{'s' if d != 1 else ''} from a denominator of {n:,}" for n, d in finer)
        return (f"Percentages are computed from the counts as shown here, not from unrounded counts, as {precision}"
                f"{finer_text}; none is shown for a denominator under {first[0]:,}, and 0% or 100% is hidden for a "
                f"denominator under {self.pct_extreme_denominator:,}. A count that would let a hidden count be worked "
                "out by subtraction from a total is hidden too.")

    # --- rates --------------------------------------------------------------------------

    def hidden_rates(self, table: pd.DataFrame, rates: RateSpec, national: object = None) -> pd.DataFrame:
        """Booleans per rate: True where its numerator or denominator count is suppressed."""
        flags = row_flags(table, national)
        hidden = {}
        for rate, (numerator, denominator) in rates.items():
            top, bottom = row_sums(table, numerator), row_sums(table, denominator)
            hidden[rate] = [
                self.is_suppressed(t, n) or self.is_suppressed(b, n) for t, b, n in zip(top, bottom, flags, strict=True)
            ]
        return pd.DataFrame(hidden, index=table.index, columns=list(rates), dtype=bool)

    # --- words --------------------------------------------------------------------------

    def legend(self) -> dict[str, str]:
        """What each symbol this policy writes means, for a note under a table."""
        under = {ZERO_SUPPRESS: f"under {self.threshold}"}.get(self.zero, f"from 1 to {self.threshold - 1}")
        out = {self.symbol: f"{under}, hidden"}
        if self.zero not in (ZERO_SUPPRESS, ZERO_SHOW):
            out[self.zero] = "zero"
        out[self.not_submitted_symbol] = "not submitted"
        return out

    def statement(self) -> str:
        """One sentence for the report saying which policy was applied."""
        return (f"Disclosure control: {policy_title(self.name)} (policy {self.name}). {self.description} "
                f"{self.percentage_rule()}")


def row_flags(table: pd.DataFrame, flags: object) -> list[bool]:
    """Per-row booleans from None (all False), a column name or an array-like."""
    if flags is None:
        return [False] * len(table)
    if isinstance(flags, str):
        flags = table[flags]
    values = list(pd.Series(flags).fillna(False).astype(bool)) if not isinstance(flags, list) else flags
    if len(values) != len(table):
        raise ValueError(f"row flags have {len(values)} values for a table of {len(table)} rows")
    return [bool(v) for v in values]


def numeric_column(values: object) -> np.ndarray:
    """A column as floats (NaN for missing or non-numbers); a float array is used as it is."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def row_sums(table: pd.DataFrame | Mapping[str, np.ndarray], columns: Sequence[str]) -> np.ndarray:
    """Row sums of `columns` as floats; NaN only where every part is missing (a table or a mapping of columns)."""
    values = np.column_stack([numeric_column(table[c]) for c in columns]) if len(columns) \
        else np.full((len(table), 1), np.nan)
    all_missing = np.isnan(values).all(axis=1)
    return np.where(all_missing, np.nan, np.nansum(values, axis=1))


_SAC_TEXT = ("Counts under 5 are shown as [c]; other counts are rounded to the nearest 5; "
             "percentages are hidden when a count they use is hidden.")

# Each description says the published rule the policy follows; where the package differs (percentages from the
# counts as shown, secondary suppression) is said by DisclosurePolicy.percentage_rule, in every statement.
POLICIES: dict[str, DisclosurePolicy] = {
    "sac": DisclosurePolicy(
        name="sac", threshold=5, rounding_base=5, symbol="[c]",
        description=_SAC_TEXT + " Means of fewer than 5 people are hidden too (Safeguarding Adults Collection).",
    ),
    "sac_2018": DisclosurePolicy(
        name="sac_2018", threshold=5, rounding_base=5, symbol="*",
        description="Counts of 0 to 4 are shown as *; other counts are rounded to the nearest 5; percentages are "
        "hidden when a count they use is hidden. Means of fewer than 5 people "
        "are hidden too (SAC files of 2018-19 and earlier).",
    ),
    "nhs_secondary_care": DisclosurePolicy(
        name="nhs_secondary_care", threshold=8, rounding_base=5, symbol="*", zero=ZERO_SHOW, national_exempt=True,
        description="Sub-national counts from 1 to 7 are shown as *, other sub-national counts are rounded to the "
        "nearest 5 and 0 stays 0; national counts are exempt; means of 1 to 7 people are hidden; percentages are "
        "hidden when a count they use is hidden; model estimates and intervals need no control "
        "(NHS Digital secondary care, 2018).",
    ),
    "ascs": DisclosurePolicy(
        name="ascs", threshold=3, rounding_base=1, symbol="[c]", zero="[w]",
        description="Counts of 1 or 2 respondents are shown as [c] and zero as [w]; other counts are exact; "
        "percentages and means of 1 or 2 respondents are hidden (Adult Social Care Survey).",
    ),
    "ascof": DisclosurePolicy(
        name="ascof", threshold=5, rounding_base=1, symbol="[c]",
        description="A numerator under 5 is shown as [c] and the score derived from it is hidden with it; other "
        "counts are exact; means of fewer than 5 people are hidden (ASCOF).",
    ),
}

# how a sentence names each policy (a report never names a policy by its code alone)
POLICY_TITLES = {"sac": "the Safeguarding Adults Collection's rules",
                 "sac_2018": "the Safeguarding Adults Collection's rules of 2018-19",
                 "nhs_secondary_care": "NHS Digital's secondary-care rules", "ascs": "the Adult Social Care Survey's rules",
                 "ascof": "the ASCOF rules"}


def policy_title(name: str) -> str:
    """A disclosure policy as a sentence names it: 'sac' → "the Safeguarding Adults Collection's rules"."""
    return POLICY_TITLES.get(name, f"the {name} disclosure rules")


_CUSTOM_KEYS = {"threshold", "rounding", "symbol", "zero", "national", "pct_min", "pct_extreme", "pct_decimals"}


def custom_policy(threshold: int, rounding_base: int = 1, symbol: str = "[c]", zero: str = ZERO_SUPPRESS,
                  national_exempt: bool = False, name: str | None = None, pct_min: int = 20,
                  pct_extreme: int = 100, pct_decimals: int = 0) -> DisclosurePolicy:
    """A policy of your own: counts under `threshold` → `symbol`, others rounded to `rounding_base`.

    Percentages: `pct_decimals` decimals (one more from a denominator of 10,000), none under a
    shown denominator of `pct_min`, no 0% or 100% under `pct_extreme`.

    >>> custom_policy(10, 5, "~").format_count(9), custom_policy(10, 5, "~").format_count(12)
    ('~', '10')
    """
    threshold, rounding_base = int(threshold), int(rounding_base)
    if zero not in (ZERO_SUPPRESS, ZERO_SHOW) and not str(zero).strip():
        raise ValueError("zero must be 'suppress', 'show' or a symbol")
    zero_text = {ZERO_SUPPRESS: f"Counts under {threshold} are shown as {symbol}",
                 ZERO_SHOW: f"Counts from 1 to {threshold - 1} are shown as {symbol} and 0 stays 0"}.get(
        zero, f"Counts from 1 to {threshold - 1} are shown as {symbol} and zero as {zero}")
    rounding = "other counts are exact" if rounding_base == 1 else f"other counts are rounded to the nearest {rounding_base}"
    national = "; national counts are exempt" if national_exempt else ""
    pct_min, pct_extreme, pct_decimals = int(pct_min), int(pct_extreme), int(pct_decimals)
    bands = ((max(pct_min, 1), pct_decimals),) + (((10_000, pct_decimals + 1),) if max(pct_min, 1) < 10_000 else ())
    if name is None:
        name = (f"custom:threshold={threshold},rounding={rounding_base},symbol={symbol},zero={zero},"
                f"national={'exempt' if national_exempt else 'controlled'}")
        if (pct_min, pct_extreme, pct_decimals) != (20, 100, 0):
            name += f",pct_min={pct_min},pct_extreme={pct_extreme},pct_decimals={pct_decimals}"
    return DisclosurePolicy(
        name=name, threshold=threshold, rounding_base=rounding_base, symbol=symbol, zero=zero,
        national_exempt=national_exempt, pct_bands=bands, pct_extreme_denominator=pct_extreme,
        description=f"{zero_text}; {rounding}{national}; percentages and means are hidden when the counts "
        "they rest on are hidden.",
    )


def _parse_custom(spec: str) -> DisclosurePolicy:
    body = spec.split(":", 1)[1] if ":" in spec else ""
    values: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in _CUSTOM_KEYS:
            raise ValueError(f"custom disclosure policy: {part!r} is not one of "
                             f"{', '.join(sorted(k + '=…' for k in _CUSTOM_KEYS))}")
        values[key] = value.strip()
    if "threshold" not in values:
        raise ValueError("custom disclosure policy needs threshold=N, e.g. custom:threshold=10,rounding=5,symbol=*")
    try:
        threshold, rounding = int(values["threshold"]), int(values.get("rounding", "1"))
        pct = {key: int(values[key]) for key in ("pct_min", "pct_extreme", "pct_decimals") if key in values}
    except ValueError:
        raise ValueError("custom disclosure policy: threshold, rounding and pct_... are whole numbers") from None
    national = values.get("national", "controlled").lower()
    if national not in ("exempt", "controlled"):
        raise ValueError("custom disclosure policy: national=exempt or national=controlled")
    return custom_policy(threshold, rounding, values.get("symbol", "[c]") or "[c]",
                         values.get("zero", ZERO_SUPPRESS) or ZERO_SUPPRESS, national == "exempt",
                         pct_min=pct.get("pct_min", 20), pct_extreme=pct.get("pct_extreme", 100),
                         pct_decimals=pct.get("pct_decimals", 0))


def get_policy(name: str) -> DisclosurePolicy:
    """The named policy, or a custom one from ``custom:threshold=N,...``; an unknown name lists the known ones."""
    if isinstance(name, DisclosurePolicy):
        return name
    key = str(name).strip()
    if key.lower().startswith("custom"):
        return _parse_custom(key)
    try:
        return POLICIES[key]
    except KeyError:
        raise ValueError(f"unknown disclosure policy {name!r}; known: {', '.join(POLICIES)} "
                         "or custom:threshold=N,rounding=B,symbol=S,zero=suppress|show|S,national=exempt|controlled,"
                         "pct_min=N,pct_extreme=N,pct_decimals=D"
                         ) from None
