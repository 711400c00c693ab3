"""Feedback on returns: one workbook per return naming each cell to fix, and a batch's validation.

:func:`validate_returns` reads returns with :func:`~msp_analysis.io.workbook.returns.read_return`,
lists every problem with its sheet and cell reference and a fix hint, and writes a feedback
workbook per return (:func:`write_feedback`). Text copied from a return is written through
:func:`~msp_analysis.io.workbook.cells.put`, so formula-like text stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment

from msp_analysis.io.workbook.assurance import ASSURANCE_SHEET, AssuranceReading, read_assurance_return
from msp_analysis.io.workbook.cells import BOLD, HEADER_FILL, TITLE, fit_height, print_setup, put
from msp_analysis.io.workbook.layout import (
    STATUS_COMPLETE,
    STATUS_INCOMPLETE,
    STATUS_UNREADABLE,
    STATUS_WRONG_VERSION,
    USABLE_STATUSES,
)
from msp_analysis.io.workbook.returns import Problem, ReturnReading, organisation_id, read_return
from msp_analysis.toolkit.files import atomic_path

PROBLEM_COLUMNS = ["file", "council", "severity", "where", "sheet", "cell", "problem", "value_found", "how_to_fix",
                   "check"]
RETURN_COLUMNS = ["file", "council", "ons_code", "region", "wave", "template_version", "status", "respondents",
                  "organisations", "blank_answers", "errors", "warnings", "feedback"]


def problems_frame(reading: ReturnReading | AssuranceReading) -> pd.DataFrame:
    """The problems of one return (temperature check or assurance) as a table (in sheet order), one row per problem."""
    sheet = getattr(reading, "sheet", ASSURANCE_SHEET)

    def order(p: Problem) -> tuple:
        match = re.fullmatch(r"([A-Z]+)(\d+)", p.cell)
        return (p.sheet != sheet, p.sheet, int(match[2]) if match else 0, len(match[1]) if match else 0,
                match[1] if match else "")

    rows = [{"file": Path(reading.path).name, "council": reading.council_name, "severity": p.severity,
             "where": p.where, "sheet": p.sheet, "cell": p.cell, "problem": p.problem, "value_found": p.value,
             "how_to_fix": p.fix, "check": p.code} for p in sorted(reading.problems, key=order)]
    return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)


def _next_step(status: str) -> str:
    return {
        STATUS_COMPLETE: "Nothing to fix. Thank you: your return is complete.",
        STATUS_INCOMPLETE: "Please fix each error listed below in your return and send it again. Answers with an "
                           "error are left out of the regional report until they are fixed.",
        STATUS_WRONG_VERSION: "This return was not made from the current template, so it cannot be read. Please "
                              "copy your answers into the current template and send that.",
        STATUS_UNREADABLE: "This file could not be read. Please send the .xlsx file made from the template.",
    }[status]


def build_feedback_workbook(reading: ReturnReading | AssuranceReading) -> Workbook:
    """A workbook for the council (or the commissioner or provider of an assurance return): status and next step,
    then one row per problem with its cell and fix."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    problems = problems_frame(reading)
    errors = int((problems["severity"] == "error").sum())
    if isinstance(reading, AssuranceReading):
        title = f"Assurance return ({reading.kind or 'kind not known'}): feedback"
        count: tuple[str, object] = ("Checks answered", sum(a["answer"] is not None for a in reading.answers))
        who: tuple[tuple[str, object], ...] = (("Organisation", reading.org_name or "(not given)"),)
    else:
        title, count, who = "Temperature-check return: feedback", ("People who answered", len(reading.respondents)), ()
    put(ws, 1, 1, title, font=TITLE)
    summary = (("File", Path(reading.path).name), ("Council", reading.council_name or "(not chosen)"), *who,
               ("Region", reading.template_region), ("Wave", reading.template_wave),
               ("Status", reading.status), count,
               ("Errors to fix", errors), ("Warnings", len(problems) - errors),
               ("What to do", _next_step(reading.status)))
    for row, (label, value) in enumerate(summary, start=3):
        put(ws, row, 1, label, font=BOLD)
        put(ws, row, 2, value, wrap=True).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    ws.merge_cells(start_row=len(summary) + 2, start_column=2, end_row=len(summary) + 2, end_column=5)
    fit_height(ws, len(summary) + 2, summary[-1][1], 150)
    header_row = len(summary) + 4
    headers = ["Severity", "Where", "Problem", "Value found", "How to fix"]
    for column, text in enumerate(headers, start=1):
        put(ws, header_row, column, text, font=BOLD, fill=HEADER_FILL)
    for offset, p in enumerate(problems.itertuples(index=False), start=1):
        for column, value in enumerate((p.severity, p.where, p.problem, p.value_found, p.how_to_fix), start=1):
            put(ws, header_row + offset, column, value or None, wrap=True)
        fit_height(ws, header_row + offset, max((p.problem, p.how_to_fix), key=len), 62)
        fit_height(ws, header_row + offset, p.value_found, 30)
    if problems.empty:
        put(ws, header_row + 1, 1, "No problems found.")
    for column, width in zip("ABCDE", (20, 22, 60, 30, 60), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = f"A{header_row}:E{header_row + max(len(problems), 1)}"
    print_setup(ws)
    return wb


def write_feedback(reading: ReturnReading | AssuranceReading, path: str | Path) -> Path:
    """Write the feedback workbook of one return atomically; return the path."""
    path = Path(path)
    workbook = build_feedback_workbook(reading)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


@dataclass
class _Summary:
    """What the two kinds of validation summary share: the readings, their feedback files and their problems."""

    readings: list
    feedback_files: dict[str, Path] = field(default_factory=dict)
    noun = "return(s)"

    @property
    def returns(self) -> pd.DataFrame:
        raise NotImplementedError

    @property
    def problems(self) -> pd.DataFrame:
        frames = [problems_frame(r).assign(file=r.path) for r in self.readings]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PROBLEM_COLUMNS)

    @property
    def all_complete(self) -> bool:
        return bool(self.readings) and all(r.status == STATUS_COMPLETE for r in self.readings)

    def _lines(self) -> list[str]:
        raise NotImplementedError

    def text(self) -> str:
        """One line per council or return, then the counts, as the CLI prints them."""
        lines = self._lines()
        counts = self.returns["status"].value_counts()
        lines.append(f"{len(self.readings)} {self.noun}: " + ", ".join(
            f"{int(counts.get(s, 0))} {s}" for s in (STATUS_COMPLETE, STATUS_INCOMPLETE, STATUS_WRONG_VERSION,
                                                     STATUS_UNREADABLE)))
        if self.feedback_files:
            folder = Path(next(iter(self.feedback_files.values()))).parent
            lines.append(f"feedback workbooks: {folder}")
        return "\n".join(lines) + "\n"

    def _write_feedback(self, feedback_dir: str | Path | None) -> None:
        if feedback_dir is None:
            return
        taken: set[str] = set()
        for reading in self.readings:
            target = Path(feedback_dir) / _feedback_name(reading.path, taken)
            self.feedback_files[reading.path] = write_feedback(reading, target)


def _errors(count: int) -> str:
    return f", {count} error{'s' * (count != 1)}" if count else ""


@dataclass
class ValidationSummary(_Summary):
    """The readings of a batch of returns, with one table row per return and one per problem."""

    readings: list[ReturnReading]

    @property
    def returns(self) -> pd.DataFrame:
        rows = []
        for r in self.readings:
            problems = problems_frame(r)
            rows.append({
                "file": r.path, "council": r.council_name, "ons_code": r.ons_code or "",
                "region": r.template_region, "wave": r.template_wave, "template_version": r.template_version,
                "status": r.status, "respondents": len(r.respondents),
                "organisations": len({organisation_id(r.ons_code, p.org_name) or p.org_name for p in r.respondents}),
                "blank_answers": r.blank_answers, "errors": int((problems["severity"] == "error").sum()),
                "warnings": int((problems["severity"] == "warning").sum()),
                "feedback": str(self.feedback_files.get(r.path, "")),
            })
        return pd.DataFrame(rows, columns=RETURN_COLUMNS)

    def by_council(self) -> pd.DataFrame:
        """One row per council named in the returns (unidentified returns last): status and files."""
        table = self.returns
        table["council"] = table["council"].where(table["council"] != "", "(council not identified)")
        rows = []
        for (council, code), group in table.groupby(["council", "ons_code"], sort=False):
            rows.append({"council": council, "ons_code": code, "status": council_status(group["status"]),
                         "returns": len(group), "errors": int(group["errors"].sum()),
                         "files": "; ".join(Path(f).name for f in group["file"])})
        out = pd.DataFrame(rows, columns=["council", "ons_code", "status", "returns", "errors", "files"])
        return out.sort_values(["ons_code"], key=lambda s: s.eq(""), kind="stable").reset_index(drop=True)

    def _lines(self) -> list[str]:
        return [f"{row.council}{f' ({row.ons_code})' if row.ons_code else ''}: {row.status}{_errors(row.errors)} "
                f"[{row.files}]" for row in self.by_council().itertuples(index=False)]


def council_status(statuses: Iterable[str]) -> str:
    """A council's status over its returns: usable ones decide; otherwise the first failure kind."""
    statuses = list(statuses)
    usable = [s for s in statuses if s in USABLE_STATUSES]
    if usable:
        return STATUS_COMPLETE if all(s == STATUS_COMPLETE for s in usable) else STATUS_INCOMPLETE
    return STATUS_WRONG_VERSION if STATUS_WRONG_VERSION in statuses else STATUS_UNREADABLE


def _feedback_name(path: str, taken: set[str]) -> str:
    stem = Path(path).stem or "return"
    name, n = f"{stem}.feedback.xlsx", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.feedback.xlsx"
    taken.add(name)
    return name


def validate_returns(paths: Iterable[str | Path], feedback_dir: str | Path | None = None) -> ValidationSummary:
    """Read every return; with `feedback_dir`, write ``STEM.feedback.xlsx`` there for each.

    For ``msp-analysis validate temperature_check RETURNS... --feedback DIR``: print
    ``summary.text()`` and exit 0 only when ``summary.all_complete``.

    >>> summary = validate_returns(["durham.xlsx", "gateshead.xlsx"], feedback_dir="feedback")  # doctest: +SKIP
    >>> print(summary.text())                                                                 # doctest: +SKIP
    """
    summary = ValidationSummary([read_return(path) for path in paths])
    summary._write_feedback(feedback_dir)
    return summary


ASSURANCE_RETURN_COLUMNS = ["file", "kind", "council", "ons_code", "organisation", "region", "wave", "status",
                            "answered", "checks", "errors", "warnings", "feedback"]


@dataclass
class AssuranceValidationSummary(_Summary):
    """The readings of a batch of assurance returns, one table row per return and one per problem."""

    readings: list[AssuranceReading]
    noun = "assurance return(s)"

    @property
    def returns(self) -> pd.DataFrame:
        rows = []
        for r in self.readings:
            problems = problems_frame(r)
            rows.append({"file": r.path, "kind": r.kind, "council": r.council_name, "ons_code": r.ons_code or "",
                         "organisation": r.org_name, "region": r.template_region, "wave": r.template_wave,
                         "status": r.status, "answered": sum(a["answer"] is not None for a in r.answers),
                         "checks": len(r.answers), "errors": int((problems["severity"] == "error").sum()),
                         "warnings": int((problems["severity"] == "warning").sum()),
                         "feedback": str(self.feedback_files.get(r.path, ""))})
        return pd.DataFrame(rows, columns=ASSURANCE_RETURN_COLUMNS)

    def _lines(self) -> list[str]:
        lines = []
        for row in self.returns.itertuples(index=False):
            who = " ".join(part for part in (row.kind, row.organisation and f"'{row.organisation}'") if part)
            council = f"{row.council} ({row.ons_code})" if row.ons_code else "(council not identified)"
            lines.append(f"{council}: {who or 'assurance'} {row.status}{_errors(row.errors)}, {row.answered} of "
                         f"{row.checks} checks answered [{Path(row.file).name}]")
        return lines


def validate_assurance_returns(paths: Iterable[str | Path],
                               feedback_dir: str | Path | None = None) -> AssuranceValidationSummary:
    """Read every assurance return; with `feedback_dir`, write ``STEM.feedback.xlsx`` there for each, naming each
    cell to fix as the temperature check's feedback does (``msp-analysis validate assurance RETURNS --feedback DIR``).
    """
    summary = AssuranceValidationSummary([read_assurance_return(path) for path in paths])
    summary._write_feedback(feedback_dir)
    return summary
