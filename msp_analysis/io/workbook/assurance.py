"""Assurance returns for commissioners and providers: the template (:func:`build_assurance_template`) and its reader.

Two kinds, both drawn verbatim from the founding resource through the codebook:

* ``commissioner`` — Table 1's commissioner row, "What evidence would a commissioner look for?"
  (``commissioner_evidence.csv``): for each piece of evidence, whether it exists (Yes / Partly / No),
  where it comes from and its date. Evidence, not agreement;
* ``provider`` — a provider's self-assessment: Appendix 5's measures of success from four perspectives
  (individuals, staff, the service, relatives and friends: what success means, how it is delivered,
  how it is measured; ``success_measures.csv``), each rated Red … Green, and Appendix 3's checklist of
  what its internal guidelines cover (``provider_checklist.csv``), each Yes / Partly / No.

The workbook has an Instructions sheet, an **Assurance** sheet (council dropdown in ``B4``, the
organisation's name in ``B5``, and in ``B8`` whether that name may be published in the council's assurance
report, Yes / No, empty meaning No; below, one row per check: ID, part of the resource, key question or
perspective, what is looked for, then the yellow answer, source, date and notes cells), a Councils
sheet and a hidden ``_template`` sheet (kind, version, checksum of the checks, region, wave). Rows are
found by the ID in column A, as in the temperature-check return, and every problem the reader finds is a
:class:`~msp_analysis.io.workbook.returns.Problem` naming its sheet and cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from msp_analysis import __version__
from msp_analysis.io.tables import READ_PROBLEM, READ_VALUE
from msp_analysis.io.workbook.cells import BOLD, HEADER_FILL, INPUT_FILL, TITLE, fit_height, print_setup, protect, put
from msp_analysis.io.workbook.layout import (
    COUNCILS_SHEET,
    INSTRUCTIONS_SHEET,
    META_SHEET,
    RAG_LABELS,
    REVIEWED_OPTIONS,
    checked_region_wave,
)
from msp_analysis.io.workbook.returns import Problem, ReadingStatus, open_return_workbook
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    commissioner_evidence,
    evidence_answers,
    provider_checklist,
    read_codebook,
    success_measures,
)
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.files import atomic_path

KINDS = ("commissioner", "provider")
ASSURANCE_SHEET = "Assurance"
TEMPLATE_VERSION = "1"
COUNCIL_ROW, ORGANISATION_ROW, REGION_ROW, WAVE_ROW, PUBLISH_ROW = 4, 5, 6, 7, 8
PUBLISH_LABEL = "May this organisation's name be published in the council's assurance report? (Yes / No)"
HEADER_ROW = 9
HEADER_ID = "Check ID"
ANSWER_COLUMN, SOURCE_COLUMN, DATE_COLUMN, NOTES_COLUMN = 5, 6, 7, 8  # E … H
PART_NAMES = {"means": "What success means", "delivered": "How success is delivered",
              "measured": "How success is measured"}
PERSPECTIVES = {"individuals": "Individuals", "staff": "Staff", "service": "Service",
                "relatives_friends": "Relatives/friends"}
ANSWER_ROWS = ("check_id", "answer", "value", "source", "date", "notes")


def template_kind(kind: str) -> str:
    """The ``template_kind`` a workbook of `kind` records (``assurance_commissioner`` …)."""
    return f"assurance_{kind}"


def assurance_checks(kind: str) -> pd.DataFrame:
    """The checks of an assurance return, in template order: ``check_id``, ``part``, ``heading`` (key question or
    perspective), ``text`` (verbatim from the resource) and ``scale`` (``evidence3`` or ``rag5``)."""
    if kind == "commissioner":
        table = commissioner_evidence()
        return pd.DataFrame({"check_id": table["evidence_id"], "part": "Table 1, commissioner evidence",
                             "heading": table["table1_column"], "text": table["text"], "scale": "evidence3"})
    if kind == "provider":
        measures = success_measures()
        checklist = provider_checklist()
        success = pd.DataFrame({"check_id": measures["measure_id"],
                                "part": "Appendix 5: " + measures["part"].map(PART_NAMES),
                                "heading": measures["perspective"].map(PERSPECTIVES), "text": measures["text"],
                                "scale": "rag5"})
        guidelines = pd.DataFrame({"check_id": checklist["check_id"],
                                   "part": "Appendix 3: internal guidelines cover",
                                   "heading": checklist["under"].map({"operational": "Operational guidelines"}).fillna(
                                       "Guidelines"), "text": checklist["text"], "scale": "evidence3"})
        return pd.concat([success, guidelines], ignore_index=True)
    raise ParameterError(f"--kind {kind!r}; expected one of {', '.join(KINDS)}")


def answer_options(scale: str) -> tuple[str, ...]:
    """The answers of a check's scale as the dropdown lists them."""
    return tuple(evidence_answers()) if scale == "evidence3" else RAG_LABELS


def checks_checksum(kind: str) -> str:
    """sha256 of the checks (ID, text, scale in order): a return made from other checks is recognised."""
    checks = assurance_checks(kind)
    text = "".join(f"{i}\t{t}\t{s}\n" for i, t, s in zip(checks["check_id"], checks["text"], checks["scale"],
                                                         strict=True))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_assurance_template(kind: str, region: str, wave: str) -> Workbook:
    """The assurance workbook of `kind` (commissioner or provider) for `region` and `wave`, in memory.

    >>> build_assurance_template("commissioner", "North East", "2023-24").sheetnames
    ['Instructions', 'Assurance', 'Councils', '_template']
    """
    region, wave = checked_region_wave(region, wave)
    checks = assurance_checks(kind)
    councils = geography.councils(wave, region)
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    ws.column_dimensions["A"].width = 90
    lines = read_codebook("assurance_instructions.csv")
    lines = lines[lines["kind"].isin([kind, "both"])]
    for row, (style, text) in enumerate(zip(lines["style"], lines["text"], strict=True), start=1):
        put(ws, row, 1, text.format(region=region, wave=wave) or None, font=TITLE if style == "title" else
            BOLD if style == "heading" else None, wrap=True)
        fit_height(ws, row, text, 85)
    print_setup(ws, landscape=False)
    _assurance_sheet(wb.create_sheet(ASSURANCE_SHEET), kind, region, wave, checks, len(councils))
    sheet = wb.create_sheet(COUNCILS_SHEET)
    put(sheet, 1, 1, "Council", font=BOLD, fill=HEADER_FILL)
    for row, name in enumerate(councils["name"], start=2):
        put(sheet, row, 1, name)
    sheet.column_dimensions["A"].width = 40
    protect(sheet)
    meta = wb.create_sheet(META_SHEET)
    for row, (key, value) in enumerate((("template_kind", template_kind(kind)), ("template_version", TEMPLATE_VERSION),
                                        ("checks_sha256", checks_checksum(kind)), ("region", region), ("wave", wave),
                                        ("generated_by", f"msp-analysis {__version__}")), start=1):
        put(meta, row, 1, key)
        put(meta, row, 2, value)
    meta.sheet_state = "hidden"
    protect(meta)
    wb.active = 1
    return wb


def _assurance_sheet(ws: Worksheet, kind: str, region: str, wave: str, checks: pd.DataFrame, n_councils: int) -> None:
    title = {"commissioner": "What evidence would a commissioner look for?",
             "provider": "Provider self-assessment: measures of success and internal guidelines"}[kind]
    put(ws, 1, 1, f"Making Safeguarding Personal assurance, {title} {region}, {wave}", font=TITLE)
    put(ws, 2, 1, "Fill the yellow cells: choose your council, name your organisation, then answer every row.")
    for row, label, value in ((COUNCIL_ROW, "Council", None), (ORGANISATION_ROW, "Organisation", None),
                              (REGION_ROW, "Region", region), (WAVE_ROW, "Wave", wave),
                              (PUBLISH_ROW, PUBLISH_LABEL, None)):
        put(ws, row, 1, label, font=BOLD, wrap=row == PUBLISH_ROW)
        own = row in (COUNCIL_ROW, ORGANISATION_ROW, PUBLISH_ROW)
        put(ws, row, 2, value, fill=INPUT_FILL if own else None, unlocked=own)
    council_list = DataValidation(type="list", formula1=f"{COUNCILS_SHEET}!$A$2:$A${n_councils + 1}", allow_blank=True,
                                  showErrorMessage=True, error="Choose your council from the list.")
    ws.add_data_validation(council_list)
    council_list.add(f"B{COUNCIL_ROW}")
    publish = DataValidation(type="list", formula1='"' + ",".join(REVIEWED_OPTIONS) + '"', allow_blank=True,
                             showErrorMessage=True, error="Pick Yes or No.")
    ws.add_data_validation(publish)
    publish.add(f"B{PUBLISH_ROW}")
    fit_height(ws, PUBLISH_ROW, PUBLISH_LABEL, 18)
    answer = "Evidence present" if kind == "commissioner" else "Rating or in place"
    headers = (HEADER_ID, "Part of the resource", "Key question or perspective", "What is looked for", answer,
               "Source of the evidence", "Date of the evidence (dd/mm/yyyy)", "Notes")
    for column, text in enumerate(headers, start=1):
        put(ws, HEADER_ROW, column, text, font=BOLD, fill=HEADER_FILL, wrap=True)
    lists = {}
    for scale in dict.fromkeys(checks["scale"]):
        options = answer_options(scale)
        lists[scale] = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                                      showErrorMessage=True, error="Pick an answer from the list.")
        ws.add_data_validation(lists[scale])
    dates = DataValidation(type="date", operator="between", formula1="36526", formula2="73051", allow_blank=True,
                           showErrorMessage=True, error="Enter a date, e.g. 31/03/2024.")
    ws.add_data_validation(dates)
    for row, check in enumerate(checks.itertuples(index=False), start=HEADER_ROW + 1):
        for column, value in enumerate((check.check_id, check.part, check.heading, check.text), start=1):
            put(ws, row, column, value, wrap=True)
        fit_height(ws, row, check.text, 55)
        for column in (ANSWER_COLUMN, SOURCE_COLUMN, DATE_COLUMN, NOTES_COLUMN):
            put(ws, row, column, None, fill=INPUT_FILL, unlocked=True, wrap=column != DATE_COLUMN)
        ws.cell(row=row, column=DATE_COLUMN).number_format = "DD/MM/YYYY"
        lists[check.scale].add(f"{get_column_letter(ANSWER_COLUMN)}{row}")
        dates.add(f"{get_column_letter(DATE_COLUMN)}{row}")
    for column, width in zip("ABCDEFGH", (20, 26, 18, 60, 16, 30, 16, 30), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=ANSWER_COLUMN)
    print_setup(ws)
    protect(ws)


def write_assurance_template(kind: str, region: str, wave: str, path: str | Path) -> Path:
    """Write the assurance workbook of `kind` to `path` (xlsx, atomically); return the path."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ParameterError(f"--out {path}: the template is an Excel workbook; give a name ending .xlsx")
    workbook = build_assurance_template(kind, region, wave)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


# --- reading a filled assurance return -------------------------------------------------------------------

@dataclass
class AssuranceReading(ReadingStatus):
    """What :func:`read_assurance_return` found: kind, council, organisation, one answer per check, problems."""

    path: str
    kind: str = ""
    template_region: str = ""
    template_wave: str = ""
    council_name: str = ""
    ons_code: str | None = None
    org_name: str = ""
    council_text: str = ""  # the council cell as typed (the cleaner names it when it is not a council)
    name_published: str = ""  # "yes", "no" or "" (not answered, or not Yes / No: not published)
    name_published_text: str = ""  # the cell as typed
    answers: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False
    wrong_version: bool = False



def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", " ", a).strip().casefold() == re.sub(r"\s+", " ", b).strip().casefold()


def _date(value: object) -> str | None:
    """ISO date of a date cell or typed ``dd/mm/yyyy`` (or ``yyyy-mm-dd``); None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def read_assurance_return(path: str | Path) -> AssuranceReading:
    """Read one filled assurance workbook; nothing is raised for a bad file (its problems say why)."""
    reading = AssuranceReading(path=str(path))
    add = reading.problems.append
    fresh = "copy your answers into a fresh copy of the assurance template (ask your region for it) and send that"
    hint = "send the .xlsx file made from the template, saved as Excel Workbook (.xlsx)"
    wb = open_return_workbook(path, reading.problems, hint, hint)
    if wb is None:
        reading.unreadable = True
        return reading
    if META_SHEET not in wb.sheetnames or ASSURANCE_SHEET not in wb.sheetnames:
        missing = META_SHEET if META_SHEET not in wb.sheetnames else ASSURANCE_SHEET
        add(Problem("error", "missing_template_sheet", missing, "",
                    f"sheet '{missing}' is missing, so this is not an assurance return or it was damaged", "", fresh))
        reading.wrong_version = True
        return reading
    meta = {_text(k): _text(v) for k, v in wb[META_SHEET].iter_rows(min_col=1, max_col=2, values_only=True) if k}
    kind = next((k for k in KINDS if meta.get("template_kind") == template_kind(k)), "")
    reading.kind, reading.template_region, reading.template_wave = kind, meta.get("region", ""), meta.get("wave", "")
    if not kind:
        add(Problem("error", "not_this_template", META_SHEET, "B1", "this workbook is not an assurance return template",
                    meta.get("template_kind", ""), fresh))
        reading.wrong_version = True
        return reading
    if meta.get("template_version") != TEMPLATE_VERSION or meta.get("checks_sha256") != checks_checksum(kind):
        add(Problem("error", "other_checks", META_SHEET, "B2",
                    "this return was made from another version of the assurance template", meta.get("template_version", ""),
                    fresh))
        reading.wrong_version = True
        return reading
    ws = wb[ASSURANCE_SHEET]
    _read_council(ws, reading)
    organisation = ws.cell(row=ORGANISATION_ROW, column=2)
    reading.org_name = "" if organisation.data_type == "f" else _text(organisation.value)
    if not reading.org_name:
        add(Problem("error", "no_organisation", ASSURANCE_SHEET, f"B{ORGANISATION_ROW}",
                    "no organisation name" if organisation.data_type != "f" else "the organisation name is a formula",
                    _text(organisation.value)[:80], "write the name of your organisation"))
    publish = ws.cell(row=PUBLISH_ROW, column=2)
    given = "" if publish.data_type == "f" else _text(publish.value)
    picked = next((o for o in REVIEWED_OPTIONS if _same(given, o)), None)
    if publish.data_type == "f" or (given and picked is None):
        add(Problem("error", "formula" if publish.data_type == "f" else "not_in_list", ASSURANCE_SHEET,
                    f"B{PUBLISH_ROW}", "whether the organisation's name may be published must be Yes or No",
                    _text(publish.value)[:80], "pick Yes or No (empty means No: the report does not name you)"))
    reading.name_published = (picked or "").casefold()
    reading.name_published_text = given
    _read_checks(ws, reading, assurance_checks(kind))
    return reading


def _read_council(ws: Worksheet, reading: AssuranceReading) -> None:
    add = reading.problems.append
    cell = ws.cell(row=COUNCIL_ROW, column=2)
    value = _text(cell.value)
    reading.council_text = "" if cell.data_type == "f" else value
    where = f"B{COUNCIL_ROW}"
    choose = f"choose your council from the list in {where}"
    if not value or cell.data_type == "f":
        add(Problem("error", "no_council" if not value else "formula", ASSURANCE_SHEET, where,
                    "no council chosen" if not value else "the council cell holds a formula", value[:80], choose))
        return
    wave = reading.template_wave if reading.template_wave in geography.FINANCIAL_YEARS else None
    code = geography.resolve_council(value, wave)
    if code is None or (reading.template_region and geography.region_of(code, wave) != reading.template_region):
        add(Problem("error", "unknown_council", ASSURANCE_SHEET, where,
                    f"not a council of {reading.template_region or 'this region'} in {wave or 'this wave'}", value[:80],
                    choose))
        return
    reading.ons_code = code
    reading.council_name = value


def _read_checks(ws: Worksheet, reading: AssuranceReading, checks: pd.DataFrame) -> None:
    add = reading.problems.append
    rows: dict[str, int] = {}
    # from the cells that exist: a stray cell on the sheet's last row must not make the reader create a million
    for (row, column), cell in sorted(ws._cells.items()):
        key = _text(cell.value) if column == 1 and row > HEADER_ROW else ""
        if key and key not in rows:
            rows[key] = row
    values = evidence_answers()
    for check in checks.itertuples(index=False):
        row = rows.get(check.check_id)
        if row is None:
            add(Problem("error", "missing_check", ASSURANCE_SHEET, "A", f"the row of {check.check_id} is missing", "",
                        "copy your answers into a fresh copy of the template; every check needs its row"))
            continue
        answer = {"check_id": check.check_id, "answer": None, "value": None, "source": "", "date": None, "notes": "",
                  "row": row, "text": "", "date_text": "", "problem": ""}
        reading.answers.append(answer)
        if not _same(_text(ws.cell(row=row, column=4).value), check.text):
            answer["problem"] = (f"the wording of {check.check_id} in D{row} has been changed, so its answer is left "
                                 f"out; put back the original wording")
            add(Problem("error", "edited_wording", ASSURANCE_SHEET, f"D{row}",
                        f"the wording of {check.check_id} has been changed, so its answer is left out",
                        _text(ws.cell(row=row, column=4).value)[:80], f"put back the original wording: \"{check.text}\""))
            continue
        cells = {c: ws.cell(row=row, column=c) for c in (ANSWER_COLUMN, SOURCE_COLUMN, DATE_COLUMN, NOTES_COLUMN)}
        formulas = [c for c, cell in cells.items() if cell.data_type == "f"]
        if ANSWER_COLUMN in formulas:
            answer["problem"] = (f"the answer to {check.check_id} in {get_column_letter(ANSWER_COLUMN)}{row} is a "
                                 "formula; type the answer itself")
        for column in formulas:
            add(Problem("error", "formula", ASSURANCE_SHEET, f"{get_column_letter(column)}{row}",
                        f"a cell of {check.check_id} holds a formula; it is not read", _text(cells[column].value)[:80],
                        "type the answer itself"))
        text = "" if ANSWER_COLUMN in formulas else _text(cells[ANSWER_COLUMN].value)
        answer["text"] = text
        options = answer_options(check.scale)
        picked = next((o for o in options if _same(text, o)), None)
        where = f"{get_column_letter(ANSWER_COLUMN)}{row}"
        if not text and ANSWER_COLUMN not in formulas:
            add(Problem("error", "blank_answer", ASSURANCE_SHEET, where, f"no answer to {check.check_id}", "",
                        "pick an answer from the list: " + ", ".join(options)))
        elif text and picked is None:
            add(Problem("error", "not_in_list", ASSURANCE_SHEET, where, f"not one of the answers for {check.check_id}",
                        text[:80], "pick one of: " + ", ".join(options)))
        answer["answer"] = picked
        if picked is not None:
            answer["value"] = values[picked] if check.scale == "evidence3" else RAG_LABELS.index(picked) + 1
        answer["source"] = "" if SOURCE_COLUMN in formulas else _text(cells[SOURCE_COLUMN].value)
        answer["notes"] = "" if NOTES_COLUMN in formulas else _text(cells[NOTES_COLUMN].value)
        raw_date = None if DATE_COLUMN in formulas else cells[DATE_COLUMN].value
        if _text(raw_date):
            answer["date"] = _date(raw_date)
            answer["date_text"] = answer["date"] or _text(raw_date)
            if answer["date"] is None:
                add(Problem("error", "not_a_date", ASSURANCE_SHEET, f"{get_column_letter(DATE_COLUMN)}{row}",
                            f"the date of {check.check_id} is not a date", _text(raw_date)[:80],
                            "type the date as dd/mm/yyyy, e.g. 31/03/2024"))
        if check.scale == "evidence3" and picked in ("Yes", "Partly") and not answer["source"]:
            add(Problem("warning", "no_source", ASSURANCE_SHEET, f"{get_column_letter(SOURCE_COLUMN)}{row}",
                        f"evidence for {check.check_id} is said to exist but its source is not given", "",
                        "name the document, audit or report the evidence comes from"))


def assurance_rows(reading: AssuranceReading) -> pd.DataFrame:
    """One row per check of a usable reading, as an assurance cleaner would read it (answers as read, all text)."""
    rows = [{"kind": reading.kind, "ons_code": reading.ons_code or "", "region": reading.template_region,
             "wave": reading.template_wave, "org_name": reading.org_name, **answer, "_source_file": reading.path}
            for answer in reading.answers]
    columns = ["kind", "ons_code", "region", "wave", "org_name", *ANSWER_ROWS, "_source_file"]
    return pd.DataFrame(rows, columns=columns)


CLEAN_INPUT_COLUMNS = ["kind", "ons_code", "region", "wave", "org_name", "name_published", "check_id", "answer",
                       "source", "date", "notes"]


def assurance_input_rows(reading: AssuranceReading) -> pd.DataFrame:
    """The rows the assurance cleaner reads from one return, all text, as typed: one per check, with
    ``_source_file`` and ``_source_row`` (the row of the Assurance sheet).

    A return that cannot be read at all (unreadable, another kind of workbook, another version of the checks) is
    one row carrying the reader's reason in ``_read_problem``, so the cleaner rejects it with that reason and
    the file is counted; so is a check whose wording was edited or whose answer is a formula. A council that is
    not recognised is passed as typed, for the cleaner to name.
    """
    columns = [*CLEAN_INPUT_COLUMNS, "_source_file", "_source_row", READ_PROBLEM, READ_VALUE]
    if not reading.usable:
        first = next((p for p in reading.problems if p.severity == "error"), None)
        reason = f"{first.problem}: {first.fix}" if first is not None else "the return cannot be read"
        row = dict.fromkeys(CLEAN_INPUT_COLUMNS, "") | {"kind": reading.kind, "_source_file": reading.path,
                                                        "_source_row": 1, READ_PROBLEM: reason,
                                                        READ_VALUE: Path(reading.path).name}
        return pd.DataFrame([row], columns=columns).astype({"_source_row": "int64"})
    rows = [{"kind": reading.kind, "ons_code": reading.ons_code or reading.council_text, "region": reading.template_region,
             "wave": reading.template_wave, "org_name": reading.org_name, "name_published": reading.name_published_text,
             "check_id": a["check_id"], "answer": a["text"], "source": a["source"], "date": a["date_text"],
             "notes": a["notes"], "_source_file": reading.path, "_source_row": a["row"], READ_PROBLEM: a["problem"],
             READ_VALUE: a["text"] if a["problem"] else ""}
            for a in reading.answers]
    return pd.DataFrame(rows, columns=columns).astype({"_source_row": "int64"})


def read_assurance_frame(paths) -> pd.DataFrame:
    """The cleaner's input rows of several assurance returns (:func:`assurance_input_rows`), unusable ones included."""
    frames = [assurance_input_rows(read_assurance_return(path)) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else assurance_input_rows(AssuranceReading(path=""))
