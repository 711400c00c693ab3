"""Reading a filled return template: council, people, answers and every problem found.

:func:`read_return` finds rows by the key in column A (item ID or ``org_name`` …), not by
position, so an inserted row does not shift answers onto the wrong question; each problem it
finds names its sheet and cell and says how to fix it. :func:`return_rows` turns a reading
into the rows :func:`~msp_analysis.clean.temperature_check.clean_temperature_check` reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_analysis.io.limits import Limits, check_input_file, check_zip_parts
from msp_analysis.io.workbook.layout import (
    COUNCIL_LABEL,
    COUNCIL_ROW,
    COUNCILS_SHEET,
    DEFAULT_RESPONDENTS,
    DONT_KNOW,
    FIRST_PERSON_COLUMN,
    HEADER_ITEM_ID,
    HEADER_ROW,
    IDENTITY_KEYS,
    IDENTITY_LABELS,
    INSTRUCTIONS_SHEET,
    META_SHEET,
    NOTES_KEY,
    NOTES_REVIEWED_KEY,
    NUMBER_RANGES,
    REGION_LABEL,
    REGION_ROW,
    RETURN_SHEET,
    REVIEWED_OPTIONS,
    SCALE_OPTIONS,
    STATUS_COMPLETE,
    STATUS_INCOMPLETE,
    STATUS_UNREADABLE,
    STATUS_WRONG_VERSION,
    TEMPLATE_KIND,
    TEMPLATE_VERSION,
    TEMPLATE_VERSIONS,
    USABLE_STATUSES,
    VALUE_COLUMN,
    WAVE_LABEL,
    WAVE_ROW,
    instrument_checksum,
    template_items,
    version_items,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import instrument, normalise_label, organisation_types, respondent_roles
from msp_analysis.toolkit.errors import UnusableInputError

_SPACES = re.compile(r"\s+")
# A return is a 15 KB workbook; these bound what a damaged or hostile one may cost before it is opened.
# They are fixed (no --limit): a return this large is not a filled template, so the message says what to check.
RETURN_LIMITS = Limits(file_mb=20, part_mb=16, shared_strings_mb=8,
                       hint="a return filled in from the template is far smaller: check it is the return, "
                            "saved from the template without added sheets or pictures")


class _Blank:
    """What an empty cell reads as; :func:`_cell` returns it instead of creating a cell."""

    value = None
    data_type = "n"
    number_format = "General"


_BLANK = _Blank()


def _cell(ws: Worksheet, row: int, column: int):
    """The cell at (row, column), or an empty stand-in: reading never creates cells, so a stray cell at
    the sheet's last row does not make the reader fill a million empty rows."""
    return ws._cells.get((row, column), _BLANK)


def _filled(ws: Worksheet) -> dict[int, list[int]]:
    """Row number → columns of the cells that hold something, from the cells that exist."""
    rows: dict[int, list[int]] = {}
    for (row, column), cell in ws._cells.items():
        if _text(cell.value):
            rows.setdefault(row, []).append(column)
    return {row: sorted(columns) for row, columns in sorted(rows.items())}


@dataclass(frozen=True)
class Problem:
    """One thing to fix in a return: where (sheet and cell), what, the value found and how to fix it.

    ``severity`` is ``error`` (the return is incomplete or the value is not used) or
    ``warning`` (read, but worth a look); ``code`` names the check for programs and tests.
    """

    severity: str
    code: str
    sheet: str
    cell: str
    problem: str
    value: str = ""
    fix: str = ""

    @property
    def where(self) -> str:
        """``Return!F14`` style reference (just the sheet, or nothing, when no cell applies)."""
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else self.sheet


class ReadingStatus:
    """The status of a workbook as read: needs ``unreadable``, ``wrong_version`` and ``problems``.

    Shared by the return reader and the assurance reader, so both say the same four things.
    """

    unreadable: bool
    wrong_version: bool
    problems: list[Problem]

    @property
    def status(self) -> str:
        """complete, incomplete, wrong template version or unreadable."""
        if self.unreadable:
            return STATUS_UNREADABLE
        if self.wrong_version:
            return STATUS_WRONG_VERSION
        return STATUS_INCOMPLETE if any(p.severity == "error" for p in self.problems) else STATUS_COMPLETE

    @property
    def usable(self) -> bool:
        """True when the answers can be used (complete or incomplete)."""
        return self.status in USABLE_STATUSES


@dataclass
class Respondent:
    """One filled Person column: identity, answers by item (canonical text, None when unusable)."""

    column: int
    org_name: str
    org_type: str
    respondent_role: str
    notes: str
    answers: dict[str, str | None] = field(default_factory=dict)
    notes_reviewed: str = ""  # "yes", "no" or "" (not asked: a first-template return; or left empty)

    @property
    def letter(self) -> str:
        return get_column_letter(self.column)


@dataclass
class ReturnReading(ReadingStatus):
    """What :func:`read_return` found in one return file."""

    path: str
    template_version: str = ""
    template_region: str = ""
    template_wave: str = ""
    council_name: str = ""
    ons_code: str | None = None
    sheet: str = RETURN_SHEET
    items: list[str] = field(default_factory=list)  # the item IDs this return's template asks, in order
    item_rows: dict[str, int] = field(default_factory=dict)
    identity_rows: dict[str, int] = field(default_factory=dict)
    council_cell: str = ""
    header_row: int = HEADER_ROW
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    blank_answers: int = 0
    unreadable: bool = False
    wrong_version: bool = False


    def cell_of(self, column: str, person_column: int) -> str:
        """Sheet!cell of a cleaner column (item ID or identity column) in one Person column."""
        letter = get_column_letter(person_column)
        if column in self.item_rows:
            return f"{self.sheet}!{letter}{self.item_rows[column]}"
        identity = {"org_id": "org_name", "org_name": "org_name", "org_type": "org_type",
                    "respondent_role": "respondent_role", "notes": NOTES_KEY,
                    NOTES_REVIEWED_KEY: NOTES_REVIEWED_KEY}.get(column)
        if identity in self.identity_rows:
            return f"{self.sheet}!{letter}{self.identity_rows[identity]}"
        if column in ("ons_code", "region", "wave"):
            row = {"ons_code": COUNCIL_ROW, "region": REGION_ROW, "wave": WAVE_ROW}[column]
            return f"{self.sheet}!{get_column_letter(VALUE_COLUMN)}{row}"
        return f"{self.sheet}!{letter}{self.header_row}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _same_text(a: str, b: str) -> bool:
    return _SPACES.sub(" ", str(a)).strip().casefold() == _SPACES.sub(" ", str(b)).strip().casefold()


def _shown(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def open_return_workbook(path: str | Path, problems: list, unusable_hint: str, unopenable_hint: str):
    """The workbook of a return (temperature check or assurance) within the return size limits, else None with
    the reason appended to `problems`: a missing file, one over the limits, or one that is not a workbook."""
    try:
        check_input_file(path, RETURN_LIMITS)  # a small file cannot cost gigabytes
        check_zip_parts(path, RETURN_LIMITS)
        return load_workbook(path)
    except UnusableInputError as error:
        code = "no_file" if "no such file" in str(error) else "not_a_workbook"
        problems.append(Problem("error", code, "", "", str(error), str(path),
                                "check the file name and folder" if code == "no_file" else unusable_hint))
    except Exception as error:  # zip, XML and format errors all mean the same to the sender
        problems.append(Problem("error", "not_a_workbook", "", "",
                                f"the file cannot be opened as an Excel workbook ({type(error).__name__})",
                                Path(path).name, unopenable_hint))
    return None


def read_return(path: str | Path) -> ReturnReading:
    """Read one filled template: council, respondents and answers, and every problem found.

    Nothing is raised for a bad file: an unreadable workbook is a reading with status
    ``unreadable`` and a problem saying why, so one bad return does not stop a batch.

    >>> reading = read_return("durham.xlsx")                 # doctest: +SKIP
    >>> reading.status, [p.where for p in reading.problems]  # doctest: +SKIP
    ('incomplete', ['Return!F14'])
    """
    reading = ReturnReading(path=str(path))
    add = reading.problems.append
    wb = open_return_workbook(path, reading.problems,
                              "send the .xlsx file made from the template, filled in and saved as Excel Workbook (.xlsx)",
                              "send the .xlsx file made from the template; if you saved it as .xls or .ods, open it and "
                              "save it as Excel Workbook (.xlsx)")
    if wb is None:
        reading.unreadable = True
        return reading

    items = _check_meta(wb, reading)
    for sheet in (INSTRUCTIONS_SHEET, COUNCILS_SHEET):
        if sheet not in wb.sheetnames:
            add(Problem("warning", "missing_sheet", sheet, "", f"sheet '{sheet}' is missing (deleted or renamed)",
                        "", "no answers are lost; next time keep every sheet of the template"))
    ws = _answer_sheet(wb, reading)
    if ws is None:
        return reading
    _read_layout(ws, reading, items)
    _read_council(ws, reading)
    _read_people(ws, reading, items)
    return reading


def _check_meta(wb: Workbook, reading: ReturnReading) -> pd.DataFrame:
    """Template version and instrument checksum from the hidden sheet; the items of that version with the scale
    asked. Each return is read against its own version's items (version 1: the first template's 30; version 2:
    those and the item bank), checked by the checksum of their questions."""
    add = reading.problems.append
    items = template_items("likert").set_index("item_id")
    reading.items = list(items.index)
    fresh = "copy your answers into a fresh copy of the current template (ask your region for it) and send that"
    if META_SHEET not in wb.sheetnames:
        reading.wrong_version = True
        add(Problem("error", "missing_template_sheet", META_SHEET, "",
                    f"the hidden sheet '{META_SHEET}' that identifies the template is missing, so this return "
                    "cannot be matched to the questions of this wave", "", fresh))
        return items
    ws = wb[META_SHEET]
    meta: dict[str, str] = {}
    scales: dict[str, str] = {}
    in_items = False
    for row in sorted({row for row, _ in ws._cells}):
        key, value = _text(_cell(ws, row, 1).value), _text(_cell(ws, row, 2).value)
        if key == "item_id":
            in_items = True
        elif in_items and key:
            scales[key] = value
        elif key:
            meta[key] = value
    reading.template_version = meta.get("template_version", "")
    reading.template_region = meta.get("region", "")
    reading.template_wave = meta.get("wave", "")
    version = reading.template_version
    if version in TEMPLATE_VERSIONS:
        items = template_items("likert", version).set_index("item_id")
        reading.items = list(items.index)
    expected = instrument_checksum(version_items(version)) if version in TEMPLATE_VERSIONS else ""
    if meta.get("template_kind") != TEMPLATE_KIND:
        reading.wrong_version = True
        add(Problem("error", "not_this_template", META_SHEET, "B1",
                    "this workbook is not a temperature-check return template", meta.get("template_kind", ""), fresh))
    elif version not in TEMPLATE_VERSIONS:
        reading.wrong_version = True
        add(Problem("error", "old_template_version", META_SHEET, "B2",
                    f"this return was made from template version {version or '(none)'}; "
                    f"versions {' and '.join(TEMPLATE_VERSIONS)} are read (the current one is {TEMPLATE_VERSION})",
                    version, fresh))
    elif meta.get("instrument_sha256") != expected:
        reading.wrong_version = True
        add(Problem("error", "other_instrument", META_SHEET, "B3",
                    f"the questions of this template differ from those of template version {version} (checksum "
                    f"{meta.get('instrument_sha256', '')[:12]}… instead of {expected[:12]}…)",
                    meta.get("instrument_sha256", ""), fresh))
    rag = template_items("rag", version if version in TEMPLATE_VERSIONS else TEMPLATE_VERSION).set_index("item_id")
    allowed = {item: {likert, rag_scale} for item, likert, rag_scale in zip(
        items.index, items["template_scale"], rag.loc[items.index, "template_scale"], strict=True)}
    known = {}
    for item, scale in scales.items():
        if item not in items.index:
            continue
        if scale in allowed[item]:
            known[item] = scale
            continue
        add(Problem("error", "other_scale", META_SHEET, "",
                    f"the hidden sheet says {item} is answered on the {scale or '(blank)'} scale, but the template "
                    f"asks it on {' or '.join(sorted(allowed[item]))}; its answers are read on "
                    f"{items.loc[item, 'template_scale']} and any that do not fit are left out", scale, fresh))
    items["template_scale"] = [known.get(item, scale) for item, scale in items["template_scale"].items()]
    return items


def _answer_sheet(wb: Workbook, reading: ReturnReading) -> Worksheet | None:
    """The Return sheet, or a renamed copy of it (found by its item IDs in column A)."""
    if RETURN_SHEET in wb.sheetnames:
        return wb[RETURN_SHEET]
    item_ids = set(instrument()["item_id"])
    for ws in wb.worksheets:
        if ws.title == META_SHEET:
            continue
        keys = {_text(cell.value) for (_, column), cell in ws._cells.items() if column == 1}
        if len(keys & item_ids) >= len(item_ids) / 2:
            reading.sheet = ws.title
            reading.problems.append(Problem(
                "warning", "renamed_sheet", ws.title, "", f"the Return sheet has been renamed to '{ws.title}'",
                ws.title, f"rename the sheet back to '{RETURN_SHEET}'; the answers were read from '{ws.title}'"))
            return ws
    reading.unreadable = True
    reading.problems.append(Problem(
        "error", "missing_sheet", RETURN_SHEET, "",
        f"sheet '{RETURN_SHEET}' is missing: it was deleted or renamed, and it is where the answers go",
        ", ".join(wb.sheetnames), "copy your answers into a fresh copy of the template and send that"))
    return None


def _read_layout(ws: Worksheet, reading: ReturnReading, items: pd.DataFrame) -> None:
    """Find item and identity rows by their key in column A; report missing, repeated, extra or edited rows."""
    add = reading.problems.append
    known = set(items.index) | set(IDENTITY_KEYS) | {NOTES_KEY, NOTES_REVIEWED_KEY}
    header = next((row for row in range(1, min(ws.max_row, 60) + 1)
                   if _text(_cell(ws, row, 1).value) == HEADER_ITEM_ID), None)
    if header is None:
        header = HEADER_ROW
        add(Problem("warning", "missing_header", reading.sheet, f"A{HEADER_ROW}",
                    f"the table header ('{HEADER_ITEM_ID}', 'Statement', …) is missing", "",
                    "do not delete rows of the template; the answers were still read by their item IDs"))
    reading.header_row = header
    last_column = FIRST_PERSON_COLUMN + _respondent_columns(ws, header) - 1
    filled_rows = _filled(ws)
    for row in [row for row in filled_rows if row > header]:
        key = _text(_cell(ws, row, 1).value)
        if key in known:
            rows = reading.item_rows if key in items.index else reading.identity_rows
            if key in rows:
                add(Problem("error", "repeated_row", reading.sheet, f"A{row}",
                            f"row {row} repeats {key} (first on row {rows[key]}); only the first is read", key,
                            "delete the copied row, keeping your answers in the first one"))
            else:
                rows[key] = row
            continue
        filled = [c for c in filled_rows[row] if c <= last_column]
        if filled:
            first = f"{get_column_letter(filled[0])}{row}"
            add(Problem("warning", "extra_row", reading.sheet, first,
                        f"row {row} is not part of the template; extra rows are not read",
                        _shown(_text(_cell(ws, row, filled[0]).value)),
                        "delete the row; put comments in the Notes row at the bottom of the person's column"))
    for row, columns in filled_rows.items():
        extra = [c for c in columns if c > last_column]
        if extra and row >= header:
            add(Problem("warning", "extra_column", reading.sheet, f"{get_column_letter(extra[0])}{row}",
                        f"column {get_column_letter(extra[0])} is beyond the last Person column; it is not read",
                        _shown(_text(_cell(ws, row, extra[0]).value)),
                        "move these answers into an empty Person column, or ask your region for a template with "
                        "more columns"))
    previous = header + len(IDENTITY_KEYS)
    for item_id, item in items.iterrows():
        row = reading.item_rows.get(item_id)
        if row is None:
            add(Problem("error", "missing_item", reading.sheet, f"A{previous + 1}",
                        f"the row of {item_id} ('{_shown(item.wording)}') is missing (deleted?)", "",
                        "copy your answers into a fresh copy of the template; every statement needs its row"))
            continue
        previous = row
        wording = _text(_cell(ws, row, 2).value)
        if not _same_text(wording, item.wording):
            add(Problem("error", "edited_wording", reading.sheet, f"B{row}",
                        f"the wording of {item_id} has been changed, so its answers cannot be compared with other "
                        "councils and are left out", _shown(wording),
                        f"put back the original wording: \"{item.wording}\""))
    for key in IDENTITY_KEYS[:2]:
        if key not in reading.identity_rows:
            add(Problem("error", "missing_identity_row", reading.sheet, f"A{header + 1}",
                        f"the '{IDENTITY_LABELS[key]}' row is missing (deleted?)", "",
                        "copy your answers into a fresh copy of the template"))


def _respondent_columns(ws: Worksheet, header: int) -> int:
    count = 0
    while _text(_cell(ws, header, FIRST_PERSON_COLUMN + count).value).startswith("Person"):
        count += 1
    return count or DEFAULT_RESPONDENTS


def _read_council(ws: Worksheet, reading: ReturnReading) -> None:
    add = reading.problems.append
    labels = {_text(_cell(ws, row, 1).value): row for row in range(1, HEADER_ROW + 5)}
    council_row = labels.get(COUNCIL_LABEL, COUNCIL_ROW)
    reading.council_cell = f"{get_column_letter(VALUE_COLUMN)}{council_row}"
    cell = _cell(ws, council_row, VALUE_COLUMN)
    value = _text(cell.value)
    region, wave = reading.template_region, reading.template_wave
    choose = f"choose your council from the list in {reading.council_cell}"
    for label, expected, code in ((REGION_LABEL, region, "edited_region"), (WAVE_LABEL, wave, "edited_wave")):
        row = labels.get(label)
        if row is not None and expected and not _same_text(_text(_cell(ws, row, VALUE_COLUMN).value), expected):
            add(Problem("warning", code, reading.sheet, f"{get_column_letter(VALUE_COLUMN)}{row}",
                        f"the {label.lower()} has been changed; the template's {label.lower()} ({expected}) is used",
                        _text(_cell(ws, row, VALUE_COLUMN).value),
                        f"put back {expected}; if this return is for another {label.lower()}, ask for its template"))
    if not value:
        add(Problem("error", "no_council", reading.sheet, reading.council_cell, "no council chosen", "", choose))
        return
    if cell.data_type == "f":
        add(Problem("error", "formula", reading.sheet, reading.council_cell, "the council cell holds a formula",
                    _shown(value), choose))
        return
    year = wave if wave in geography.FINANCIAL_YEARS else None
    code = geography.resolve_council(value, year)
    if code is None:
        add(Problem("error", "unknown_council", reading.sheet, reading.council_cell,
                    f"not a council in {wave or 'this wave'}", _shown(value), choose))
        return
    council_region = geography.region_of(code, year)
    if region and council_region != region:
        add(Problem("error", "council_outside_region", reading.sheet, reading.council_cell,
                    f"{value} is in {council_region}, not in {region}", _shown(value),
                    f"{choose}; a council of another region needs that region's template"))
        return
    reading.ons_code = code
    names = geography.councils(year) if year else None
    reading.council_name = (names.set_index("ons_code").loc[code, "name"]
                            if names is not None and code in set(names["ons_code"]) else value)


def _read_people(ws: Worksheet, reading: ReturnReading, items: pd.DataFrame) -> None:
    """Read every Person column that has anything in it; check identity, answers and numbers."""
    add = reading.problems.append
    n_columns = _respondent_columns(ws, reading.header_row)
    edited = {p.cell for p in reading.problems if p.code == "edited_wording"}
    rows = {**reading.identity_rows, **reading.item_rows}
    for column in range(FIRST_PERSON_COLUMN, FIRST_PERSON_COLUMN + n_columns):
        letter = get_column_letter(column)
        cells = {key: _cell(ws, row, column) for key, row in rows.items()}
        if not any(_text(c.value) for c in cells.values()):
            continue
        values = {key: _text(c.value) for key, c in cells.items()}

        def ref(key: str, letter: str = letter) -> str:
            return f"{letter}{rows[key]}"

        for key in (*IDENTITY_KEYS, NOTES_KEY, NOTES_REVIEWED_KEY):
            if key in cells and cells[key].data_type == "f":
                add(Problem("error", "formula", reading.sheet, ref(key), f"the {IDENTITY_LABELS[key].lower()} is a "
                            "formula; it is not read", _shown(values[key]), "type the text itself"))
                values[key] = ""

        org_name = values.get("org_name", "")
        if "org_name" in rows and not org_name:
            add(Problem("error", "no_organisation", reading.sheet, ref("org_name"),
                        "no organisation name for this person's answers", "",
                        "write the name of the organisation this person works for"))
        org_type = _pick(values.get("org_type", ""), organisation_types())
        if "org_type" in rows:
            if not values["org_type"]:
                add(Problem("error", "no_organisation_type", reading.sheet, ref("org_type"),
                            "no organisation type", "", "pick the organisation type from the list"))
            elif org_type is None:
                add(Problem("error", "not_in_list", reading.sheet, ref("org_type"),
                            "not one of the organisation types in the list", _shown(values["org_type"]),
                            "pick one of: " + ", ".join(organisation_types())))
        role = _pick(values.get("respondent_role", ""), respondent_roles())
        if values.get("respondent_role") and role is None:
            add(Problem("error", "not_in_list", reading.sheet, ref("respondent_role"),
                        "not one of the roles in the list", _shown(values["respondent_role"]),
                        "pick one of: " + ", ".join(respondent_roles()) + " (or leave it empty)"))
        reviewed = _pick(values.get(NOTES_REVIEWED_KEY, ""), REVIEWED_OPTIONS)
        if values.get(NOTES_REVIEWED_KEY) and reviewed is None:
            add(Problem("error", "not_in_list", reading.sheet, ref(NOTES_REVIEWED_KEY),
                        "whether the note may be printed must be Yes or No", _shown(values[NOTES_REVIEWED_KEY]),
                        "pick Yes or No (or leave it empty, which means No)"))
        person = Respondent(column, org_name, org_type or "", role or "", values.get(NOTES_KEY, ""),
                            notes_reviewed=(reviewed or "").casefold())
        for item_id, item in items.iterrows():
            if item_id not in reading.item_rows:
                continue
            cell = cells[item_id]
            person.answers[item_id] = None
            if f"B{reading.item_rows[item_id]}" in edited:
                continue
            answer = _read_cell(cell, item_id, item.template_scale, reading, ref(item_id))
            if answer == "":
                if item.template_scale in SCALE_OPTIONS:
                    reading.blank_answers += 1
                    add(Problem("error", "blank_answer", reading.sheet, ref(item_id), f"no answer to {item_id}", "",
                                f"pick an answer from the list, or \"{DONT_KNOW}\" if the person does not know"))
                continue
            person.answers[item_id] = answer
        reading.respondents.append(person)
    if not reading.respondents and not reading.unreadable:
        first = get_column_letter(FIRST_PERSON_COLUMN)
        add(Problem("error", "no_answers", reading.sheet, f"{first}{reading.identity_rows.get('org_name', HEADER_ROW + 1)}",
                    "no one has answered: every Person column is empty", "",
                    "fill at least the Person 1 column: organisation, type and an answer to every statement"))


def _pick(value: str, options: Sequence[str]) -> str | None:
    """The option `value` names (case and spacing aside), or None."""
    return next((option for option in options if _same_text(value, option)), None) if value else None


def _read_cell(cell, item_id: str, scale: str, reading: ReturnReading, ref: str) -> str | None:
    """Canonical answer text; "" for an empty cell; None (with a problem added) when not usable."""
    add = reading.problems.append
    raw = cell.value
    text = _text(raw)
    if not text:
        return ""
    if cell.data_type == "f":
        add(Problem("error", "formula", reading.sheet, ref, f"the answer to {item_id} is a formula", _shown(text),
                    "type or pick the answer itself"))
        return None
    if scale in SCALE_OPTIONS:
        answer = _pick(text, SCALE_OPTIONS[scale])
        if answer is None:
            add(Problem("error", "not_in_list", reading.sheet, ref,
                        f"not one of the answers in the list for {item_id}; this answer is left out", _shown(text),
                        "pick one of: " + ", ".join(SCALE_OPTIONS[scale])))
        return answer
    low, high = NUMBER_RANGES[scale]
    number: float | None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        number = float(raw)
        if "%" in (cell.number_format or ""):
            number *= 100
            add(Problem("warning", "percent_format", reading.sheet, ref,
                        f"the cell is formatted as a percentage; {raw:g} was read as {number:g}", text,
                        "check the figure; type the number of percent, e.g. 12.5 for 12.5%"))
    else:
        match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*%?\s*", text)
        number = float(match.group(1)) if match else None
    if number is None:
        add(Problem("error", "not_a_number", reading.sheet, ref, f"{item_id} needs a number", _shown(text),
                    f"type a number from {low:g} to {high:g}, e.g. 12.5, or leave the cell empty"))
        return None
    if not low <= number <= high:
        add(Problem("error", "out_of_range", reading.sheet, ref, f"{item_id} is outside {low:g} to {high:g}",
                    _shown(text), f"type a number from {low:g} to {high:g}, or leave the cell empty if not known"))
        return None
    return f"{number:g}"


# --- from a reading to the cleaner's rows --------------------------------------------------------

RETURN_ROW_COLUMNS = ["org_id", "org_name", "org_type", "ons_code", "region", "wave", "respondent_role",
                      "respondent_id", "notes", NOTES_REVIEWED_KEY]


def organisation_id(ons_code: str | None, org_name: str) -> str:
    """A stable organisation ID from the host council and the organisation's name (case and punctuation aside).

    Blank when the name is blank (the cleaner then rejects the person's row, pointing at the name).

    >>> organisation_id("E06000047", "Durham County Council")
    'E06000047-durham-county-council'
    """
    slug = re.sub(r"[^0-9a-z]+", "-", normalise_label(org_name)).strip("-")[:60]
    return f"{ons_code}-{slug}" if ons_code and slug else slug


def return_rows(reading: ReturnReading) -> pd.DataFrame:
    """One row per filled Person column, as :func:`clean_temperature_check` reads returns (all text).

    Answers the validation could not use (not in the list, edited wording, out of range) are
    left empty, so the report uses exactly what the feedback says it uses. The item columns are those of the
    return's own template version (a first-template return has no item-bank columns; combined with newer
    returns, its bank items read as not answered). ``notes_reviewed`` is ``yes``, ``no`` or empty (no).
    ``_source_file`` is the return and ``_source_row`` the Person column's number (see
    :meth:`ReturnReading.cell_of`).
    """
    items = reading.items or instrument()["item_id"].tolist()
    name = Path(reading.path).name
    rows = []
    for person in reading.respondents:
        rows.append({
            "org_id": organisation_id(reading.ons_code, person.org_name), "org_name": person.org_name,
            "org_type": person.org_type, "ons_code": reading.ons_code or "", "region": reading.template_region,
            "wave": reading.template_wave, "respondent_role": person.respondent_role,
            "respondent_id": f"{name}#{person.letter}", "notes": person.notes,
            NOTES_REVIEWED_KEY: person.notes_reviewed,
            **{item: person.answers.get(item) or "" for item in items},
            "_source_file": reading.path, "_source_row": person.column,
        })
    return pd.DataFrame(rows, columns=RETURN_ROW_COLUMNS + items + ["_source_file", "_source_row"]).astype(
        {"_source_row": "int64"})


def is_template_return(path: str | Path) -> bool:
    """True when `path` is an xlsx workbook made by :func:`write_template` (has the hidden sheet)."""
    if Path(path).suffix.lower() != ".xlsx":
        return False
    try:
        check_input_file(path, RETURN_LIMITS)
        check_zip_parts(path, RETURN_LIMITS)
        wb = load_workbook(path, read_only=True)
    except Exception:
        return False
    try:
        return META_SHEET in wb.sheetnames
    finally:
        wb.close()


def read_returns_frame(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Cleaner input rows of several template returns (only usable ones), for ``msp-analysis clean``."""
    frames = [return_rows(r) for r in map(read_return, paths) if r.usable]
    return pd.concat(frames, ignore_index=True) if frames else return_rows(ReturnReading(path=""))

