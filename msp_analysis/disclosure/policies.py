"""Named small-number suppression policies, applied where tables are rendered.

A report never rounds or hides numbers by hand: it passes its table to :func:`disclose`
with a :class:`DisclosurePolicy`, which turns counts, percentages and means into display
strings, and it states the policy it used (:meth:`DisclosurePolicy.statement`).

The policies in use in English adult social care statistics (DATA.md §4):

============================  =====================================================================
``sac``                       Safeguarding Adults Collection, later files: under 5 → ``[c]``; others
                              rounded to the nearest 5 (ties up); not submitted → ``[x]``
``sac_2018``                  SAC 2018-19 and earlier: 0-4 → ``*``; others rounded to the nearest 5
``nhs_secondary_care``        NHS Digital secondary care (2018): sub-national 1-7 → ``*``, others
                              rounded to 5, 0 stays 0; national counts exempt
``ascs``                      Adult Social Care Survey: 1-2 respondents → ``[c]``; 0 → ``[w]``
``ascof``                     ASCOF: a numerator under 5 is suppressed with the score derived from it
============================  =====================================================================

plus ``custom:threshold=N,rounding=B,symbol=S,zero=suppress|show|SYMBOL,national=exempt|controlled``
(:func:`custom_policy`). Under every policy a percentage whose numerator or denominator is
suppressed is suppressed too, percentages are computed from unrounded counts, and a mean of
a number of people that would be suppressed as a count is suppressed (the NHS rule for
means; for the other policies an extension that keeps one person's answer from showing).

>>> get_policy("sac").format_count(3), get_policy("sac").format_count(7.5)
('[c]', '10')
>>> get_policy("nhs_secondary_care").format_count(0), get_policy("nhs_secondary_care").format_count(7)
('0', '*')
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

ZERO_SUPPRESS = "suppress"  # 0 is a small count like the others under the threshold
ZERO_SHOW = "show"  # 0 is shown as 0 (nothing to protect)

RateSpec = Mapping[str, tuple[Sequence[str], Sequence[str]]]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value))


@dataclass(frozen=True)
class DisclosurePolicy:
    """Counts below `threshold` become `symbol`; others are rounded to `rounding_base`.

    `zero` says what a count of 0 becomes: ``"suppress"`` (a small count like 1-4; SAC),
    ``"show"`` (0 stays 0; NHS secondary care) or a symbol of its own (``"[w]"``; ASCS).
    With `national_exempt`, rows flagged national are shown exactly. A rate whose numerator
    or denominator is suppressed is suppressed too. Percentages are computed from unrounded
    counts before any rounding, as published statistics are.
    """

    name: str
    threshold: int
    rounding_base: int
    symbol: str
    description: str
    zero: str = ZERO_SUPPRESS
    national_exempt: bool = False
    not_submitted_symbol: str = "[x]"

    def __post_init__(self) -> None:
        if self.threshold < 0 or self.rounding_base < 1:
            raise ValueError("threshold must be >= 0 and rounding_base >= 1")
        if not self.symbol or not str(self.zero):
            raise ValueError("a policy needs a suppression symbol and a zero rule")

    # --- counts -------------------------------------------------------------------------

    def _check(self, count: float) -> None:
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count}")

    def is_suppressed(self, count: float, national: bool = False) -> bool:
        """True when `count` must not be shown: under the threshold, unless zero or national is exempt.

        Missing counts are not suppressed (there is nothing to show); a negative count is an error.
        """
        if _missing(count):
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
        if _missing(count):
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
        if _missing(value) or _missing(n_people) or n_people == 0:
            return ""
        if self.is_suppressed(n_people, national):
            return self.symbol
        return f"{value:.{decimals}f}"

    # --- rates --------------------------------------------------------------------------

    def hidden_rates(self, table: pd.DataFrame, rates: RateSpec, national: object = None) -> pd.DataFrame:
        """Booleans per rate: True where its numerator or denominator count is suppressed."""
        flags = _row_flags(table, national)
        hidden = {}
        for rate, (numerator, denominator) in rates.items():
            top, bottom = _sums(table, numerator), _sums(table, denominator)
            hidden[rate] = [
                self.is_suppressed(t, n) or self.is_suppressed(b, n) for t, b, n in zip(top, bottom, flags)
            ]
        return pd.DataFrame(hidden, index=table.index, columns=list(rates), dtype=bool)

    def apply(self, table: pd.DataFrame, counts: Sequence[str], rates: RateSpec, national: object = None,
              decimals: int = 1) -> pd.DataFrame:
        """Display table: counts suppressed or rounded, rates (1 dp) hidden when their inputs are."""
        out = table.copy()
        flags = _row_flags(table, national)
        hidden = self.hidden_rates(table, rates, national)
        for rate in rates:
            values = table[rate] if rate in table else _rate_values(table, *rates[rate])
            out[rate] = [self.symbol if h else ("" if _missing(v) else f"{v:.{decimals}f}%")
                         for h, v in zip(hidden[rate], values)]
        for column in counts:
            out[column] = [self.format_count(v, n) for v, n in zip(table[column], flags)]
        return out

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
        return f"Disclosure control: {self.name} policy. {self.description}"


def _row_flags(table: pd.DataFrame, flags: object) -> list[bool]:
    """Per-row booleans from None (all False), a column name or an array-like."""
    if flags is None:
        return [False] * len(table)
    if isinstance(flags, str):
        flags = table[flags]
    values = list(pd.Series(flags).fillna(False).astype(bool)) if not isinstance(flags, list) else flags
    if len(values) != len(table):
        raise ValueError(f"row flags have {len(values)} values for a table of {len(table)} rows")
    return [bool(v) for v in values]


def _sums(table: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Row sums of `columns` as floats; NaN only where every part is missing."""
    values = np.column_stack([pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                              for c in columns]) if len(columns) else np.full((len(table), 1), np.nan)
    all_missing = np.isnan(values).all(axis=1)
    return np.where(all_missing, np.nan, np.nansum(values, axis=1))


def _rate_values(table: pd.DataFrame, numerator: Sequence[str], denominator: Sequence[str]) -> np.ndarray:
    top, bottom = _sums(table, numerator), _sums(table, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, 100 * top / np.where(bottom > 0, bottom, 1), np.nan)


_SAC_TEXT = ("Counts under 5 are shown as [c]; other counts are rounded to the nearest 5; "
             "percentages are computed from unrounded counts and hidden when a count they use is hidden.")

POLICIES: dict[str, DisclosurePolicy] = {
    "sac": DisclosurePolicy(
        name="sac", threshold=5, rounding_base=5, symbol="[c]",
        description=_SAC_TEXT + " Means of fewer than 5 people are hidden too.",
    ),
    "sac_2018": DisclosurePolicy(
        name="sac_2018", threshold=5, rounding_base=5, symbol="*",
        description="Counts of 0 to 4 are shown as *; other counts are rounded to the nearest 5; percentages are "
        "computed from unrounded counts and hidden when a count they use is hidden. Means of fewer than 5 people "
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

_CUSTOM_KEYS = {"threshold", "rounding", "symbol", "zero", "national"}


def custom_policy(threshold: int, rounding_base: int = 1, symbol: str = "[c]", zero: str = ZERO_SUPPRESS,
                  national_exempt: bool = False, name: str | None = None) -> DisclosurePolicy:
    """A policy of your own: counts under `threshold` → `symbol`, others rounded to `rounding_base`.

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
    if name is None:
        name = (f"custom:threshold={threshold},rounding={rounding_base},symbol={symbol},zero={zero},"
                f"national={'exempt' if national_exempt else 'controlled'}")
    return DisclosurePolicy(
        name=name, threshold=threshold, rounding_base=rounding_base, symbol=symbol, zero=zero,
        national_exempt=national_exempt,
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
    except ValueError:
        raise ValueError("custom disclosure policy: threshold and rounding are whole numbers") from None
    national = values.get("national", "controlled").lower()
    if national not in ("exempt", "controlled"):
        raise ValueError("custom disclosure policy: national=exempt or national=controlled")
    return custom_policy(threshold, rounding, values.get("symbol", "[c]") or "[c]",
                         values.get("zero", ZERO_SUPPRESS) or ZERO_SUPPRESS, national == "exempt")


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
                         "or custom:threshold=N,rounding=B,symbol=S,zero=suppress|show|S,national=exempt|controlled"
                         ) from None


# --- the one table helper -------------------------------------------------------------------


@dataclass
class DisclosedTable:
    """A table ready to show: every cell a string the policy allowed, rendered as escaped HTML."""

    display: pd.DataFrame
    hidden: pd.DataFrame
    policy: DisclosurePolicy
    caption: str = ""
    numeric: list[str] = field(default_factory=list)
    note: str = ""

    def to_html(self) -> str:
        """A plain ``<table>`` with caption, header and body; every cell HTML-escaped."""
        esc = html.escape
        head = "".join(f'<th scope="col"{" class=num" if c in self.numeric else ""}>{esc(str(c))}</th>'
                       for c in self.display.columns)
        rows = []
        numeric = [c in self.numeric for c in self.display.columns]
        for values in self.display.itertuples(index=False, name=None):
            cells = []
            for i, (value, is_number) in enumerate(zip(values, numeric)):
                tag = "th scope=\"row\"" if i == 0 and not is_number else "td"
                close = "th" if tag.startswith("th") else "td"
                cls = " class=num" if is_number else ""
                cells.append(f"<{tag}{cls}>{esc(str(value))}</{close}>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        used = {v for v in self.display.to_numpy().ravel().tolist()}
        legend = "; ".join(f"{esc(k)} {esc(v)}" for k, v in self.policy.legend().items() if k in used)
        note = " ".join(filter(None, [esc(self.note), legend and f"{legend}."]))
        note_html = f'<p class="msp-table-note">{note}</p>' if note else ""
        wide = " msp-table-wide" if len(self.display.columns) > 8 else ""
        return (f'<div class="msp-table-wrap"><table class="msp-table{wide}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table></div>{note_html}")

    def _repr_html_(self) -> str:
        return self.to_html()


def disclose(
    table: pd.DataFrame,
    policy: DisclosurePolicy | str,
    *,
    columns: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    counts: Sequence[str] = (),
    rates: RateSpec | None = None,
    means: Mapping[str, str] | None = None,
    numbers: Mapping[str, str] | None = None,
    text: Sequence[str] = (),
    national: object = None,
    not_submitted: object = None,
    caption: str = "",
    note: str = "",
    decimals: int = 1,
    signed: Sequence[str] = (),
) -> DisclosedTable:
    """The one way a report shows a table: every shown column passes through `policy`.

    `counts` are counts of people or enquiries (suppressed or rounded); `rates` maps a
    percentage column to its (numerator columns, denominator columns), hidden with either
    (the column is computed from the counts when absent); `means` maps a mean column to the
    column counting the people it averages; `numbers` maps statistics that need no control
    (model estimates, intervals, alpha) to a format (``"{:.2f}"``); `text` columns are shown
    as text, escaped. `columns` picks and orders what is shown (default: text, counts, rates,
    means, numbers); a shown column in none of these groups is an error, so nothing reaches
    a report uncontrolled. `national` (column or booleans) marks national rows for policies
    that exempt them; `not_submitted` marks rows shown as not submitted. `labels` renames
    columns for display; `signed` mean or rate columns are written with a sign (changes).

    >>> shown = disclose(pd.DataFrame({"area": ["A"], "n": [3]}), "sac", counts=["n"], text=["area"])
    >>> shown.display["n"].tolist()
    ['[c]']
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    rates, means, numbers = dict(rates or {}), dict(means or {}), dict(numbers or {})
    groups = {**{c: "text" for c in text}, **{c: "count" for c in counts}, **{c: "rate" for c in rates},
              **{c: "mean" for c in means}, **{c: "number" for c in numbers}}
    columns = list(columns) if columns is not None else list(groups)
    uncontrolled = [c for c in columns if c not in groups]
    if uncontrolled:
        raise ValueError(f"column(s) {', '.join(map(str, uncontrolled))} are shown but not declared as text, "
                         "counts, rates, means or numbers")
    national_flags = _row_flags(table, national)
    missing_flags = _row_flags(table, not_submitted)
    hidden = policy.hidden_rates(table, rates, national_flags) if rates else pd.DataFrame(index=table.index)
    out = pd.DataFrame(index=table.index)
    for column in columns:
        kind = groups[column]
        if kind == "text":
            out[column] = ["" if _missing(v) else str(v) for v in table[column]]
        elif kind == "count":
            out[column] = [policy.format_count(v, n, not m) for v, n, m in
                           zip(table[column], national_flags, missing_flags)]
        elif kind == "rate":
            values = table[column] if column in table else _rate_values(table, *rates[column])
            out[column] = [policy.not_submitted_symbol if m else policy.symbol if h else
                           ("" if _missing(v) else f"{v:.{decimals}f}%")
                           for v, h, m in zip(values, hidden[column], missing_flags)]
        elif kind == "mean":
            out[column] = [policy.not_submitted_symbol if m else policy.format_mean(v, k, decimals, n)
                           for v, k, n, m in zip(table[column], table[means[column]], national_flags, missing_flags)]
        else:
            fmt = numbers[column]
            out[column] = ["" if _missing(v) else fmt.format(v) for v in table[column]]
        if column in signed:
            out[column] = [f"+{v}" if v[:1].isdigit() and v.strip("0.%") != "" else v for v in out[column]]
    numeric = [c for c in columns if groups[c] != "text"]
    if labels:
        out = out.rename(columns=labels)
        numeric = [labels.get(c, c) for c in numeric]
    return DisclosedTable(display=out.reset_index(drop=True), hidden=hidden.reset_index(drop=True), policy=policy,
                          caption=caption, numeric=numeric, note=note)
