"""Table display under a disclosure policy: the one way a report shows a table.

:func:`disclose` takes a table and a :class:`~msp_analysis.disclosure.policies.DisclosurePolicy`
and returns a :class:`DisclosedTable`: every shown cell a string the policy allowed (counts
suppressed or rounded, percentages computed from the counts as shown and hidden with them, means
of few people hidden), rendered as escaped HTML with a note saying what each symbol means. A
column the caller did not declare as text, count, rate, mean or number is refused, so nothing
reaches a report uncontrolled. Cells hidden by secondary suppression
(:mod:`msp_analysis.disclosure.secondary`) are passed in as `suppressed`; the table's `values`
are the disclosed numbers that sentences and figures quote.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msp_analysis.disclosure.policies import (
    DisclosurePolicy,
    RateSpec,
    get_policy,
    is_missing,
    numeric_column,
    row_flags,
    row_sums,
)
from msp_analysis.toolkit.datauri import text_uri

# what a hidden cell's symbol says on hover and to a screen reader, as short as the glossary's entry (the
# glossary explains it in full; a report has a hundred of them)
HIDDEN_SYMBOL_TITLE = "hidden to protect confidentiality"


@dataclass
class DisclosedTable:
    """A table ready to show: every cell a string the policy allowed, rendered as escaped HTML."""

    display: pd.DataFrame
    hidden: pd.DataFrame
    policy: DisclosurePolicy
    caption: str = ""
    numeric: list[str] = field(default_factory=list)
    note: str = ""
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    hidden_counts: dict[str, int] = field(default_factory=dict)
    # per row, the hidden cells behind `hidden_counts` (primary, secondary, percentage): what :meth:`rows` sums
    row_counts: np.ndarray | None = field(default=None, repr=False, compare=False)
    # every shown cell as its string, row by row (:meth:`_strings`), made once: a slice of a table of many areas
    # (:meth:`rows`) takes its rows' strings from here instead of converting its frame again
    strings: list[list[str]] | None = field(default=None, repr=False, compare=False)

    def rows(self, start: int, stop: int, caption: str | None = None, labels: Mapping[str, str] | None = None,
             note: str | None = None) -> DisclosedTable:
        """Rows ``start:stop`` as a table of their own, as :func:`disclose` would show them alone.

        Every cell of a disclosed table depends on its row only, so a table of many areas'
        rows disclosed once gives each area's table by slicing (the locality reports of a
        batch do this). `caption` and `note` replace the table's; `labels` renames the shown
        columns (from the names given to :func:`disclose`, before its own `labels`).
        """
        if self.row_counts is None:
            raise ValueError("rows() needs a table made by disclose()")
        part = slice(start, stop)
        display = self.display.iloc[part].reset_index(drop=True)
        numeric = list(self.numeric)
        if labels:
            display = display.set_axis([labels.get(c, c) for c in display.columns], axis=1)  # rename() costs 3x
            numeric = [labels.get(c, c) for c in numeric]
        counts = self.row_counts[part]
        return DisclosedTable(display=display, hidden=self.hidden.iloc[part].reset_index(drop=True), policy=self.policy,
                              caption=self.caption if caption is None else caption, numeric=numeric,
                              note=self.note if note is None else note,
                              values=self.values.iloc[part].reset_index(drop=True),
                              hidden_counts={k: int(counts[:, i].sum()) for i, k in enumerate(TALLIES)},
                              row_counts=counts, strings=self._strings()[part])

    def value(self, row: int, column: str) -> float | None:
        """The disclosed number of a cell (by position and original column name); None when hidden or blank."""
        value = self.values.iloc[row][column]
        return None if is_missing(value) else float(value)

    def text(self, row: int, column: str) -> str:
        """The cell as shown (by position and original column name), for a sentence that quotes it."""
        return str(self.display.iloc[row, list(self.values.columns).index(column)])

    def to_csv(self) -> str:
        """The table exactly as shown, as CSV: the header and every cell as a string (hidden cells as their symbol)."""
        return self._csv(self._strings())

    def _strings(self) -> list[list[str]]:
        """Every shown cell as its string, row by row (one conversion for the HTML, its CSV and its legend)."""
        if self.strings is None or len(self.strings) != len(self.display):
            self.strings = [[str(v) for v in row] for row in self.display.to_numpy(dtype=object).tolist()]
        return self.strings

    def _csv(self, strings: list[list[str]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([str(c) for c in self.display.columns])
        writer.writerows(strings)
        return out.getvalue()

    def csv_name(self) -> str:
        """The file name a download of the table takes: its caption in a few lowercase words."""
        words = re.sub(r"[^a-z0-9]+", "-", self.caption.casefold()).strip("-")[:60].strip("-")
        return f"{words or 'table'}.csv"

    def _cell(self, value: object) -> str:
        """A cell's text escaped, the policy's symbol for a hidden value explained in an ``<abbr>``."""
        text = html.escape(str(value))
        symbol = self.policy.symbol
        if symbol and symbol in str(value):
            text = text.replace(html.escape(symbol),
                                f'<abbr title="{html.escape(HIDDEN_SYMBOL_TITLE)}">{html.escape(symbol)}</abbr>')
        return text

    def to_html(self) -> str:
        """A plain ``<table>`` with caption, header and body, every cell HTML-escaped, and its CSV as an inert link.

        Numbers are the common cell, so they carry no class (the stylesheet aligns cells right); the header and
        cells of a text column carry ``class=text`` (aligned left), and a first text column is the row headers.
        """
        esc = html.escape
        head = "".join(f'<th scope="col"{"" if c in self.numeric else " class=text"}>{esc(str(c))}</th>'
                       for c in self.display.columns)
        numeric = [c in self.numeric for c in self.display.columns]
        strings = self._strings()
        shown: dict[str, str] = {}  # each distinct cell escaped once (many cells are the symbol or the same number)
        opening = [("<td>" if is_number else "<td class=text>", "</td>") for is_number in numeric]
        if numeric and not numeric[0]:
            opening[0] = ('<th scope="row">', "</th>")
        rows = []
        for values in strings:
            cells = []
            for (start, end), value in zip(opening, values, strict=True):
                cell = shown.get(value)
                if cell is None:
                    cell = shown[value] = self._cell(value)
                cells.append(f"{start}{cell}{end}")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        caption = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        used = set(shown) if strings else set()
        legend = "; ".join(f"{self._cell(k)} {esc(v)}" for k, v in self.policy.legend().items() if k in used)
        more = []
        if self.hidden_counts.get("secondary"):
            more.append(f"{self._cell(self.policy.symbol)} also marks a count hidden so that a hidden count cannot be "
                        "worked out from a total it adds up to.")
        if self.hidden_counts.get("percentage"):
            more.append(f"Percentages of fewer than {self.policy.pct_bands[0][0]:,}, and 0% or 100% of fewer than "
                        f"{self.policy.pct_extreme_denominator:,}, are hidden.")
        note = " ".join(filter(None, [esc(self.note), legend and f"{legend}.", *more]))  # legend and more: escaped
        note_html = f'<p class="msp-table-note">{note}</p>' if note else ""
        wide = " msp-table-wide" if len(self.display.columns) > 8 else ""
        download = (f'<a class="msp-csv" href="{text_uri(self._csv(strings), "text/csv;charset=utf-8")}" '
                    f'download="{esc(self.csv_name())}">Download this table (CSV)</a>')
        return (f'<div class="msp-table-wrap"><table class="msp-table{wide}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table></div>{note_html}<p class=\"msp-table-note\">{download}</p>")

    def _repr_html_(self) -> str:
        return self.to_html()


TALLIES = ("primary", "secondary", "percentage")  # the kinds of hidden cell a table's note counts


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
    suppressed: Mapping[str, Sequence[bool]] | pd.DataFrame | None = None,
) -> DisclosedTable:
    """The one way a report shows a table: every shown column passes through `policy`.

    `counts` are counts of people or enquiries (suppressed or rounded); `rates` maps a
    percentage column to its (numerator columns, denominator columns) and is always computed
    from those counts *as shown* (:meth:`DisclosurePolicy.percentage`; several columns are
    the sum of their shown values, hidden when any is hidden, so give a total its own column),
    never from a rate column of the table; `means` maps a mean column to the
    column counting the people it averages; `numbers` maps statistics that need no control
    (model estimates, intervals, alpha) to a format (``"{:.2f}"``); `text` columns are shown
    as text, escaped. `columns` picks and orders what is shown (default: text, counts, rates,
    means, numbers); a shown column in none of these groups is an error, so nothing reaches
    a report uncontrolled. `national` (column or booleans) marks national rows for policies
    that exempt them; `not_submitted` marks rows shown as not submitted. `labels` renames
    columns for display; `signed` mean or rate columns are written with a sign (changes).
    `suppressed` maps count columns to booleans: cells hidden by secondary suppression
    (:func:`msp_analysis.disclosure.secondary.protect`), hidden wherever they are shown or used.

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
    extra = {str(c): [bool(v) for v in suppressed[str(c)]] for c in suppressed} if suppressed is not None else {}
    used_counts = list(dict.fromkeys([c for c in columns if groups[c] == "count"]
                                     + [c for num, den in rates.values() for c in (*num, *den)]))
    shown_counts = {c: _shown_counts(table, c, policy, national_flags, extra.get(c)) for c in used_counts}
    arrays = {c: numeric_column(table[c]) for c in used_counts}  # the counts as floats, converted once
    out = pd.DataFrame(index=table.index)
    values = pd.DataFrame(index=table.index)
    hidden = pd.DataFrame(index=table.index)
    per_row = np.zeros((len(table), len(TALLIES)), dtype=np.int64)  # columns as TALLIES
    for column in columns:
        kind = groups[column]
        if kind == "text":
            out[column] = ["" if is_missing(v) else str(v) for v in table[column]]
            values[column] = out[column]
        elif kind == "count":
            secondary = extra.get(column, [False] * len(table))
            cells = table[column].tolist()
            # once per distinct (count, national) of the table: a table of every council repeats the same counts
            shown_as, small = functools.cache(policy.format_count), functools.cache(policy.is_suppressed)
            out[column] = [policy.not_submitted_symbol if m else policy.symbol if x and not is_missing(v)
                           else shown_as(v, n)
                           for v, n, m, x in zip(cells, national_flags, missing_flags, secondary, strict=True)]
            values[column] = shown_counts[column]
            per_row[:, 1] += [x and not m and not is_missing(v) and not small(v, n)
                              for v, n, m, x in zip(cells, national_flags, missing_flags, secondary, strict=True)]
            per_row[:, 0] += [not m and small(v, n)
                              for v, n, m in zip(cells, national_flags, missing_flags, strict=True)]
        elif kind == "rate":
            shown, numbers_shown, flags, reasons = _rate_cells(arrays, policy, *rates[column], shown_counts,
                                                               missing_flags)
            out[column], values[column], hidden[column] = shown, numbers_shown, flags
            per_row[:, 2] += [r in ("denominator", "extreme") for r in reasons]
        elif kind == "mean":
            out[column] = [policy.not_submitted_symbol if m else policy.format_mean(v, k, decimals, n)
                           for v, k, n, m in zip(table[column], table[means[column]], national_flags, missing_flags, strict=True)]
            values[column] = [np.nan if m or not policy.format_mean(v, k, decimals, n).lstrip("-").replace(".", "").isdigit()
                              else round(float(v), decimals)
                              for v, k, n, m in zip(table[column], table[means[column]], national_flags, missing_flags,
                                                    strict=True)]
        else:
            fmt = numbers[column]
            out[column] = ["" if is_missing(v) else fmt.format(v) for v in table[column]]
            values[column] = table[column].to_numpy()
        if column in signed:
            out[column] = [f"+{v}" if v[:1].isdigit() and v.strip("0.%") != "" else v for v in out[column]]
    for column in rates:  # rates used but not shown still say what they hide
        if column not in hidden:
            hidden[column] = _rate_cells(arrays, policy, *rates[column], shown_counts, missing_flags)[2]
    numeric = [c for c in columns if groups[c] != "text"]
    if labels:
        out = out.rename(columns=labels)
        numeric = [labels.get(c, c) for c in numeric]
    return DisclosedTable(display=out.reset_index(drop=True), hidden=hidden.reset_index(drop=True), policy=policy,
                          caption=caption, numeric=numeric, note=note, values=values.reset_index(drop=True),
                          hidden_counts={k: int(per_row[:, i].sum()) for i, k in enumerate(TALLIES)},
                          row_counts=per_row)


def _shown_counts(table: pd.DataFrame, column: str, policy: DisclosurePolicy, national: list[bool],
                  secondary: list[bool] | None) -> np.ndarray:
    """A count column as the policy shows it, as numbers: NaN where hidden (either rule) or missing."""
    secondary = secondary or [False] * len(table)
    shown = functools.cache(policy.disclosed_count)  # a table of every council repeats the same counts
    return np.array([np.nan if x else shown(v, n)
                     for v, n, x in zip(table[column].tolist(), national, secondary, strict=True)], dtype=float)


def _group(table: Mapping[str, np.ndarray], columns: Sequence[str], shown: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(shown sum, True where every part is missing in the table) of a numerator or denominator."""
    raw_missing = np.isnan(row_sums(table, columns))
    parts = np.column_stack([shown[c] for c in columns])
    return parts.sum(axis=1), raw_missing  # NaN when any part is hidden


def _reasons(table: Mapping[str, np.ndarray], policy: DisclosurePolicy, numerator: Sequence[str], denominator: Sequence[str],
             shown: Mapping[str, np.ndarray]) -> list[tuple[float | None, str]]:
    """Per row, the percentage shown and why not ("" when it is): see :meth:`DisclosurePolicy.percentage`."""
    top, _ = _group(table, numerator, shown)
    bottom, bottom_missing = _group(table, denominator, shown)
    raw_bottom = row_sums(table, denominator)
    reasons: list[tuple[float | None, str]] = []
    for t, b, missing, raw in zip(top, bottom, bottom_missing, raw_bottom, strict=True):
        if missing or (not is_missing(b) and b <= 0 and raw <= 0):
            reasons.append((None, "missing"))
        else:
            reasons.append(policy.percentage(t, b))
    return reasons


def _rate_cells(table: Mapping[str, np.ndarray], policy: DisclosurePolicy, numerator: Sequence[str], denominator: Sequence[str],
                shown: Mapping[str, np.ndarray], not_submitted: list[bool]
                ) -> tuple[list[str], list[float], list[bool], list[str]]:
    """(display strings, disclosed values, hidden flags, reasons) of one rate column, from the shown counts."""
    bottom, _ = _group(table, denominator, shown)
    percentages = _reasons(table, policy, numerator, denominator, shown)  # each percentage computed once
    reasons = [reason for _, reason in percentages]
    strings, numbers, flags = [], [], []
    for (percentage, reason), b, m in zip(percentages, bottom, not_submitted, strict=True):
        value = percentage if reason == "" else None
        strings.append(policy.not_submitted_symbol if m else "" if reason == "missing" else
                       policy.symbol if value is None else f"{value:.{policy.pct_decimals(b)}f}%")
        numbers.append(np.nan if value is None or m else value)
        flags.append(reason not in ("", "missing"))
    return strings, numbers, flags, reasons
