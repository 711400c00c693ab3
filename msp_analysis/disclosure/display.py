"""Table display under a disclosure policy: the one way a report shows a table.

:func:`disclose` takes a table and a :class:`~msp_analysis.disclosure.policies.DisclosurePolicy`
and returns a :class:`DisclosedTable`: every shown cell a string the policy allowed (counts
suppressed or rounded, percentages hidden with the counts they rest on, means of few people
hidden), rendered as escaped HTML with a note saying what each symbol means. A column the
caller did not declare as text, count, rate, mean or number is refused, so nothing reaches a
report uncontrolled.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msp_analysis.disclosure.policies import DisclosurePolicy, RateSpec, get_policy, is_missing, row_flags, row_sums


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
            for i, (value, is_number) in enumerate(zip(values, numeric, strict=True)):
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
    national_flags = row_flags(table, national)
    missing_flags = row_flags(table, not_submitted)
    hidden = policy.hidden_rates(table, rates, national_flags) if rates else pd.DataFrame(index=table.index)
    out = pd.DataFrame(index=table.index)
    for column in columns:
        kind = groups[column]
        if kind == "text":
            out[column] = ["" if is_missing(v) else str(v) for v in table[column]]
        elif kind == "count":
            out[column] = [policy.format_count(v, n, not m) for v, n, m in
                           zip(table[column], national_flags, missing_flags, strict=True)]
        elif kind == "rate":
            values = table[column] if column in table else _rate_values(table, *rates[column])
            out[column] = [policy.not_submitted_symbol if m else policy.symbol if h else
                           ("" if is_missing(v) else f"{v:.{decimals}f}%")
                           for v, h, m in zip(values, hidden[column], missing_flags, strict=True)]
        elif kind == "mean":
            out[column] = [policy.not_submitted_symbol if m else policy.format_mean(v, k, decimals, n)
                           for v, k, n, m in zip(table[column], table[means[column]], national_flags, missing_flags, strict=True)]
        else:
            fmt = numbers[column]
            out[column] = ["" if is_missing(v) else fmt.format(v) for v in table[column]]
        if column in signed:
            out[column] = [f"+{v}" if v[:1].isdigit() and v.strip("0.%") != "" else v for v in out[column]]
    numeric = [c for c in columns if groups[c] != "text"]
    if labels:
        out = out.rename(columns=labels)
        numeric = [labels.get(c, c) for c in numeric]
    return DisclosedTable(display=out.reset_index(drop=True), hidden=hidden.reset_index(drop=True), policy=policy,
                          caption=caption, numeric=numeric, note=note)


def _rate_values(table: pd.DataFrame, numerator: Sequence[str], denominator: Sequence[str]) -> np.ndarray:
    """100 × numerator sum / denominator sum per row; NaN where the denominator is not positive."""
    top, bottom = row_sums(table, numerator), row_sums(table, denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(bottom > 0, 100 * top / np.where(bottom > 0, bottom, 1), np.nan)
