"""The temperature-check loop of an ADASS region: return template, feedback on returns, regional pack.

A region sends every council the same workbook (:func:`write_template`), built from the
instrument (``codebook/instrument.csv``):

* **Instructions** — what the check is and how to fill it in, in plain words drawn from the
  eight essential steps and six safeguarding principles of the LGA/ADASS resource;
* **Return** — the council is *picked* from a dropdown of the region's councils (cell
  ``B4``, fed by the Councils sheet), so one file serves the whole region and a council
  cannot misspell itself. Below, one row per item (item ID, statement, theme, CQC key
  question, answer scale) and one column per person answering (``Person 1`` …): the
  organisation, its type and the person's role at the top of each column, then a dropdown
  answer for every statement (Likert or RAG, plus ``Don't know``) and the staffing figures
  (turnover %, vacancy %, caseload) with range validation. Only the yellow cells are
  unlocked (the sheet is protected without a password, to prevent accidents, not people);
* **Councils** — the region's councils in that wave, from the geography;
* **_template** (hidden) — template version, instrument checksum (sha256 of
  ``instrument.csv``), region, wave and the scale of every item.

Rows are found by the key in column A (item ID or ``org_name`` …), not by position, so an
inserted row does not shift answers onto the wrong question. :func:`validate_returns`
reads returns with :func:`read_return`, lists every problem with its sheet and cell
reference and a fix hint, and writes a feedback workbook per return. :func:`pack` turns a
region's returns into the cleaned data (through :func:`~msp_analysis.clean.temperature_check.clean_temperature_check`,
fed by :func:`return_rows`), council scores, a coverage table and the regional report.

Every text cell this module writes that starts with ``= + - @`` is stored as text with a
quote prefix (never as a formula): council returns are untrusted input.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from msp_analysis import __version__
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import LIKERT_LABELS, instrument, normalise_label
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.files import FORMULA_PREFIXES, atomic_path

TEMPLATE_KIND = "temperature_check"
TEMPLATE_VERSION = "1"

INSTRUCTIONS_SHEET = "Instructions"
RETURN_SHEET = "Return"
COUNCILS_SHEET = "Councils"
META_SHEET = "_template"

COUNCIL_LABEL, REGION_LABEL, WAVE_LABEL = "Council", "Region", "Wave"
COUNCIL_ROW, REGION_ROW, WAVE_ROW = 4, 5, 6
VALUE_COLUMN = 2  # B: the council dropdown, region and wave
HEADER_ROW = 8
HEADER_ITEM_ID = "Item ID"
FIRST_PERSON_COLUMN = 6  # F
DEFAULT_RESPONDENTS = 10
IDENTITY_KEYS = ("org_name", "org_type", "respondent_role")
NOTES_KEY = "notes"
IDENTITY_LABELS = {
    "org_name": "Organisation name",
    "org_type": "Organisation type",
    "respondent_role": "Role of the person answering (optional)",
    NOTES_KEY: "Notes (optional; anything you want the region to know)",
}

DONT_KNOW = "Don't know"
RAG_LABELS = ("Red", "Red/Amber", "Amber", "Amber/Green", "Green")
SCALE_OPTIONS = {"likert5": LIKERT_LABELS + (DONT_KNOW,), "rag5": RAG_LABELS + (DONT_KNOW,)}
SCALE_NAMES = {"likert5": "Likert (agree/disagree)", "rag5": "RAG (red/amber/green)",
               "percent": "Number, 0 to 100", "number": "Number, 0 to 200"}
NUMBER_RANGES = {"percent": (0.0, 100.0), "number": (0.0, 200.0)}
ORGANISATION_TYPES = ("Local authority", "NHS trust", "Integrated care board", "Care provider", "Police",
                      "Safeguarding adults board", "Other")
RESPONDENT_ROLES = ("Practitioner", "Team manager", "Senior leader", "Safeguarding lead", "Other")

STATUS_COMPLETE = "complete"
STATUS_INCOMPLETE = "incomplete"
STATUS_WRONG_VERSION = "wrong template version"
STATUS_UNREADABLE = "unreadable"
USABLE_STATUSES = (STATUS_COMPLETE, STATUS_INCOMPLETE)

_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")
_SPACES = re.compile(r"\s+")


# --- the instrument as the template shows it ----------------------------------------------------


def instrument_checksum() -> str:
    """sha256 of the instrument (``codebook/instrument.csv``) as shipped: a template records it,
    so a return made from another instrument is recognised."""
    data = resources.files("msp_analysis.reference.codebook").joinpath("instrument.csv").read_bytes()
    return hashlib.sha256(data).hexdigest()


def template_items(scale: str = "likert") -> pd.DataFrame:
    """Instrument items in template order with the answer scale each is asked on.

    ``scale="rag"`` asks the positively worded Likert items on the RAG scale; reverse-coded
    (negatively worded) items stay on Likert, because a RAG rating of "this goes wrong" is
    ambiguous (the cleaner rejects it). Staffing numbers keep their own scale.

    >>> template_items("rag").set_index("item_id").loc[["sup_1", "sup_3"], "template_scale"].tolist()
    ['rag5', 'likert5']
    """
    if scale not in ("likert", "rag"):
        raise ParameterError(f"scale={scale!r}; expected likert or rag")
    items = instrument()
    items["template_scale"] = items["answer_scale"]
    if scale == "rag":
        items.loc[(items["answer_scale"] == "likert5") & ~items["reverse_coded"], "template_scale"] = "rag5"
    ordinal = items["template_scale"].isin(SCALE_OPTIONS)
    return pd.concat([items[ordinal], items[~ordinal]]).reset_index(drop=True)


def _checked_region_wave(region: str, wave: str) -> tuple[str, str]:
    try:
        region_name = geography.canonical_region(region)
    except ValueError as error:
        raise ParameterError(f"--region: {error}") from None
    year = parse_financial_year(wave)
    if year not in geography.FINANCIAL_YEARS:
        raise ParameterError(f"--wave {wave!r} is not a financial year this package covers "
                             f"({geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]}), e.g. 2024-25")
    return region_name, year


# --- writing cells safely ------------------------------------------------------------------------


def _put(ws: Worksheet, row: int, column: int, value: object, font: Font | None = None,
         fill: PatternFill | None = None, wrap: bool = False, unlocked: bool = False):
    """Write one cell; text that looks like a formula is stored as text with a quote prefix."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = _WRAP
    if unlocked:
        cell.protection = Protection(locked=False)
    return cell


def _fit_height(ws: Worksheet, row: int, text: object, chars_per_line: float, minimum: int = 1) -> None:
    """Set a row tall enough for wrapped text: spreadsheets do not all grow rows on opening."""
    lines = max(minimum, sum(max(1, -(-len(part) // int(chars_per_line))) for part in str(text or "").split("\n")))
    current = ws.row_dimensions[row].height or 15
    ws.row_dimensions[row].height = max(current, 15 * lines + 2)


def _print_setup(ws: Worksheet, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _protect(ws: Worksheet) -> None:
    """Protect against accidental edits (no password): columns and rows can still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


# --- the template --------------------------------------------------------------------------------

_ESSENTIAL_STEPS = (
    ("Leadership", "Leaders make Making Safeguarding Personal a core aim that runs through every service, "
                   "not a separate project."),
    ("Culture", "The organisation's values are clear and open, and its strategies, policies and training "
                "help staff work in a person-led way."),
    ("Principles", "The six safeguarding principles shape strategy and practice, and a person's wellbeing "
                   "matters as much as their safety."),
    ("Workforce", "Recruitment, induction, supervision and development give staff the time, skills and "
                  "support to work this way."),
    ("Mental Capacity Act", "Staff know the Act and use it to support people to make their own decisions."),
    ("Prevention", "Staff and the public are helped to notice abuse or neglect early and to raise concerns."),
    ("People who use services", "Their views shape front-line practice as well as plans and policies."),
    ("Partnership", "Organisations work together to understand the person and their situation, and to reach "
                    "the outcomes the person wants."),
)
_PRINCIPLES = (
    ("Empowerment", "people are supported to make their own decisions and to give informed consent."),
    ("Prevention", "it is better to act before harm happens."),
    ("Proportionality", "the response is the least intrusive one that fits the risk."),
    ("Protection", "people in greatest need get support and someone to speak up for them."),
    ("Partnership", "services work with each other and with communities, which also help to prevent, spot "
                    "and report abuse and neglect."),
    ("Accountability", "everyone's role is clear, and safeguarding is done openly."),
)
_THEMES = {
    "supervision": "supervision", "staffing": "staffing", "complaints_learning": "learning from complaints",
    "leadership": "leadership", "mca": "Mental Capacity Act awareness", "advocacy": "advocacy",
    "engagement": "engaging people who use services", "prevention": "prevention", "partnership": "partnership",
}


def _instructions_text(region: str, wave: str, respondents: int) -> list[tuple[str, str]]:
    """(style, text) lines of the Instructions sheet: plain words, no jargon the council must decode."""
    lines = [
        ("title", f"Making Safeguarding Personal: culture temperature check, {region}, {wave}"),
        ("", ""),
        ("heading", "What this is"),
        ("text", "Making Safeguarding Personal means safeguarding that is led by the person and focused on the "
                 "outcomes they want, improving their wellbeing as well as their safety. It depends on the culture "
                 "of the organisations involved: how staff are supervised and supported, whether there are enough "
                 "of them, and whether complaints are learned from."),
        ("text", f"Your ADASS region ({region}) is asking each council and its partners to rate that culture. "
                 "The statements come from the Local Government Association and ADASS resource on Making "
                 "Safeguarding Personal for commissioners and providers of health and social care (2017)."),
        ("", ""),
        ("heading", "How to fill it in"),
        ("text", "1. Go to the Return sheet and choose your council from the list in cell B4."),
        ("text", f"2. Each column Person 1 to Person {respondents} is one person answering. At the top of the column "
                 "write the name of their organisation and choose its type. Several people from the same "
                 "organisation should write its name the same way."),
        ("text", "3. For each statement click the yellow cell and pick an answer from the list. If the person "
                 f"does not know, pick \"{DONT_KNOW}\" rather than leaving the cell empty."),
        ("text", "4. Staffing figures (turnover %, vacancy %, average caseload) are numbers only, e.g. 12.5. "
                 "Leave them empty if you do not know them."),
        ("text", "5. Please do not change the wording of a statement, add or delete rows, or delete or rename "
                 "sheets. The return is read automatically, and a changed question cannot be compared with "
                 "other councils. The sheet is protected against accidents only; there is no password."),
        ("text", "6. Save the file as an Excel workbook (.xlsx) and send it back to your region. You will get a "
                 "feedback workbook naming any cell to fix."),
        ("", ""),
        ("heading", "Answering"),
        ("text", "Describe the culture as people experience it now, not as the policy says it should be. "
                 "Some statements describe a problem on purpose (for example, supervision being cancelled); "
                 "agreeing with those points to something to improve."),
        ("text", "The region combines the answers into a score for each theme for each council: "
                 + ", ".join(_THEMES.values()) + ". Each person counts equally within their organisation, and "
                 "each organisation counts equally within its council."),
        ("", ""),
        ("heading", "What the statements cover: the eight essential steps"),
    ]
    lines += [("text", f"{n}. {title}: {text}") for n, (title, text) in enumerate(_ESSENTIAL_STEPS, start=1)]
    lines += [("", ""), ("heading", "The six safeguarding principles behind them")]
    lines += [("text", f"{name}: {text}") for name, text in _PRINCIPLES]
    lines += [("", ""),
              ("small", f"Template version {TEMPLATE_VERSION}, made by msp-analysis {__version__}. "
                        "Keep this file's sheets as they are so your return can be read.")]
    return lines


def build_template(region: str, wave: str, respondents: int = DEFAULT_RESPONDENTS,
                   scale: str = "likert") -> Workbook:
    """The return workbook for `region` and `wave`, in memory (see the module docstring for its layout).

    >>> wb = build_template("North East", "2023-24")
    >>> wb.sheetnames
    ['Instructions', 'Return', 'Councils', '_template']
    """
    region, wave = _checked_region_wave(region, wave)
    if not 1 <= int(respondents) <= 50:
        raise ParameterError(f"respondents={respondents}; expected 1 to 50 people per return")
    items = template_items(scale)
    councils = geography.councils(wave, region)
    wb = Workbook()
    _instructions_sheet(wb.active, region, wave, respondents)
    _return_sheet(wb.create_sheet(RETURN_SHEET), region, wave, respondents, items, len(councils))
    _councils_sheet(wb.create_sheet(COUNCILS_SHEET), councils)
    _meta_sheet(wb.create_sheet(META_SHEET), region, wave, respondents, items)
    wb.active = 1
    return wb


def _instructions_sheet(ws: Worksheet, region: str, wave: str, respondents: int) -> None:
    ws.title = INSTRUCTIONS_SHEET
    ws.column_dimensions["A"].width = 68
    styles = {"title": _TITLE, "heading": Font(bold=True, size=12), "small": Font(italic=True, size=9)}
    for row, (style, text) in enumerate(_instructions_text(region, wave, respondents), start=1):
        _put(ws, row, 1, text or None, font=styles.get(style), wrap=True)
        _fit_height(ws, row, text, 52 if style == "title" else 72)
    _print_setup(ws, landscape=False)


def _return_sheet(ws: Worksheet, region: str, wave: str, respondents: int, items: pd.DataFrame,
                  n_councils: int) -> None:
    last_person = FIRST_PERSON_COLUMN + respondents - 1
    _put(ws, 1, 1, f"Making Safeguarding Personal temperature check: {region}, {wave}", font=_TITLE)
    _put(ws, 2, 1, "Fill the yellow cells: choose your council, then one column per person answering. "
                   "See the Instructions sheet.")
    for row, label, value in ((COUNCIL_ROW, COUNCIL_LABEL, None), (REGION_ROW, REGION_LABEL, region),
                              (WAVE_ROW, WAVE_LABEL, wave)):
        _put(ws, row, 1, label, font=_BOLD)
        _put(ws, row, VALUE_COLUMN, value, fill=_INPUT_FILL if row == COUNCIL_ROW else None,
             unlocked=row == COUNCIL_ROW)
    council_list = DataValidation(
        type="list", formula1=f"{COUNCILS_SHEET}!$A$2:$A${n_councils + 1}", allow_blank=True,
        showErrorMessage=True, errorTitle="Not a council of this region",
        error="Choose your council from the list.", showInputMessage=True, promptTitle="Your council",
        prompt="Choose your council from the list.")
    ws.add_data_validation(council_list)
    council_list.add(f"{get_column_letter(VALUE_COLUMN)}{COUNCIL_ROW}")

    headers = [HEADER_ITEM_ID, "Statement", "Theme", "CQC key question", "Answer scale"]
    headers += [f"Person {n}" for n in range(1, respondents + 1)]
    for column, text in enumerate(headers, start=1):
        _put(ws, HEADER_ROW, column, text, font=_BOLD, fill=_HEADER_FILL, wrap=True)
    persons = f"{get_column_letter(FIRST_PERSON_COLUMN)}{{row}}:{get_column_letter(last_person)}{{row}}"

    def list_validation(options: Sequence[str], what: str) -> DataValidation:
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Pick from the list",
                            error=f"Pick {what} from the list.", showInputMessage=True, promptTitle="Answer",
                            prompt=f"Pick {what} from the list.")
        ws.add_data_validation(dv)
        return dv

    row = HEADER_ROW + 1
    identity_lists = {"org_type": list_validation(ORGANISATION_TYPES, "the organisation type"),
                      "respondent_role": list_validation(RESPONDENT_ROLES, "the role")}
    for key in IDENTITY_KEYS:
        _put(ws, row, 1, key, wrap=True)
        _put(ws, row, 2, IDENTITY_LABELS[key], font=_BOLD, wrap=True)
        _fit_height(ws, row, IDENTITY_LABELS[key], 55)
        for column in range(FIRST_PERSON_COLUMN, last_person + 1):
            _put(ws, row, column, None, fill=_INPUT_FILL, unlocked=True)
        if key in identity_lists:
            identity_lists[key].add(persons.format(row=row))
        row += 1

    answer_lists = {scale: list_validation(options, "an answer") for scale, options in SCALE_OPTIONS.items()}
    number_checks = {}
    for kind, (low, high) in NUMBER_RANGES.items():
        dv = DataValidation(type="decimal", operator="between", formula1=f"{low:g}", formula2=f"{high:g}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Number out of range",
                            error=f"Enter a number from {low:g} to {high:g}, or leave the cell empty.",
                            showInputMessage=True, promptTitle="Number",
                            prompt=f"A number from {low:g} to {high:g}; leave empty if not known.")
        ws.add_data_validation(dv)
        number_checks[kind] = dv
    for item in items.itertuples(index=False):
        for column, value in enumerate((item.item_id, item.wording, _THEMES.get(item.indicator, item.indicator),
                                        item.cqc_key_question, SCALE_NAMES[item.template_scale]), start=1):
            _put(ws, row, column, value, wrap=True)
        _fit_height(ws, row, item.wording, 62)
        _fit_height(ws, row, _THEMES.get(item.indicator, item.indicator), 24)
        for column in range(FIRST_PERSON_COLUMN, last_person + 1):
            _put(ws, row, column, None, fill=_INPUT_FILL, unlocked=True)
            if item.template_scale in NUMBER_RANGES:
                ws.cell(row=row, column=column).number_format = "0.0"
        (answer_lists.get(item.template_scale) or number_checks[item.template_scale]).add(persons.format(row=row))
        row += 1
    _put(ws, row, 1, NOTES_KEY, wrap=True)
    _put(ws, row, 2, IDENTITY_LABELS[NOTES_KEY], font=_BOLD, wrap=True)
    _fit_height(ws, row, "", 1, minimum=3)
    for column in range(FIRST_PERSON_COLUMN, last_person + 1):
        _put(ws, row, column, None, fill=_INPUT_FILL, wrap=True, unlocked=True)

    for column, width in zip("ABCDE", (16, 60, 24, 14, 22)):
        ws.column_dimensions[column].width = width
    for column in range(FIRST_PERSON_COLUMN, last_person + 1):
        ws.column_dimensions[get_column_letter(column)].width = 18
    _fit_height(ws, HEADER_ROW, "", 1, minimum=2)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1 + len(IDENTITY_KEYS), column=3)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    _protect(ws)


def _councils_sheet(ws: Worksheet, councils: pd.DataFrame) -> None:
    for column, text in enumerate(("Council", "ONS code", "CASSR code", "Council type"), start=1):
        _put(ws, 1, column, text, font=_BOLD, fill=_HEADER_FILL)
    for row, council in enumerate(councils.itertuples(index=False), start=2):
        for column, value in enumerate((council.name, council.ons_code, council.cassr_code, council.council_type),
                                       start=1):
            _put(ws, row, column, value)
    for column, width in zip("ABCD", (40, 12, 12, 24)):
        ws.column_dimensions[column].width = width
    _print_setup(ws, landscape=False)
    _protect(ws)


def _meta_sheet(ws: Worksheet, region: str, wave: str, respondents: int, items: pd.DataFrame) -> None:
    pairs = (("template_kind", TEMPLATE_KIND), ("template_version", TEMPLATE_VERSION),
             ("instrument_sha256", instrument_checksum()), ("region", region), ("wave", wave),
             ("respondent_columns", respondents), ("first_person_column", get_column_letter(FIRST_PERSON_COLUMN)),
             ("generated_by", f"msp-analysis {__version__}"))
    for row, (key, value) in enumerate(pairs, start=1):
        _put(ws, row, 1, key)
        _put(ws, row, 2, value)
    row = len(pairs) + 2
    _put(ws, row, 1, "item_id")
    _put(ws, row, 2, "template_scale")
    for offset, item in enumerate(items.itertuples(index=False), start=1):
        _put(ws, row + offset, 1, item.item_id)
        _put(ws, row + offset, 2, item.template_scale)
    ws.sheet_state = "hidden"
    _protect(ws)


def write_template(region: str, wave: str, path: str | Path, respondents: int = DEFAULT_RESPONDENTS,
                   scale: str = "likert") -> Path:
    """Write the return template of `region` for `wave` to `path` (xlsx, atomically); return the path.

    >>> write_template("North West", "2024-25", "nw_2024-25.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ParameterError(f"--out {path}: the template is an Excel workbook; give a name ending .xlsx")
    workbook = build_template(region, wave, respondents, scale)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


# --- reading a return ----------------------------------------------------------------------------


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


@dataclass
class Respondent:
    """One filled Person column: identity, answers by item (canonical text, None when unusable)."""

    column: int
    org_name: str
    org_type: str
    respondent_role: str
    notes: str
    answers: dict[str, str | None] = field(default_factory=dict)

    @property
    def letter(self) -> str:
        return get_column_letter(self.column)


@dataclass
class ReturnReading:
    """What :func:`read_return` found in one return file."""

    path: str
    template_version: str = ""
    template_region: str = ""
    template_wave: str = ""
    council_name: str = ""
    ons_code: str | None = None
    sheet: str = RETURN_SHEET
    item_rows: dict[str, int] = field(default_factory=dict)
    identity_rows: dict[str, int] = field(default_factory=dict)
    council_cell: str = ""
    header_row: int = HEADER_ROW
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    blank_answers: int = 0
    unreadable: bool = False
    wrong_version: bool = False

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
        return self.status in USABLE_STATUSES

    def cell_of(self, column: str, person_column: int) -> str:
        """Sheet!cell of a cleaner column (item ID or identity column) in one Person column."""
        letter = get_column_letter(person_column)
        if column in self.item_rows:
            return f"{self.sheet}!{letter}{self.item_rows[column]}"
        identity = {"org_id": "org_name", "org_name": "org_name", "org_type": "org_type",
                    "respondent_role": "respondent_role", "notes": NOTES_KEY}.get(column)
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
    try:
        wb = load_workbook(path)
    except FileNotFoundError:
        add(Problem("error", "no_file", "", "", f"{path}: no such file", str(path),
                    "check the file name and folder"))
        reading.unreadable = True
        return reading
    except Exception as error:  # zip, XML and format errors all mean the same to a council
        add(Problem("error", "not_a_workbook", "", "",
                    f"the file cannot be opened as an Excel workbook ({type(error).__name__})", Path(path).name,
                    "send the .xlsx file made from the template; if you saved it as .xls or .ods, open it and "
                    "save it as Excel Workbook (.xlsx)"))
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
    """Template version and instrument checksum from the hidden sheet; items with the scale asked."""
    add = reading.problems.append
    items = template_items("likert").set_index("item_id")
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
    for key, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        key, value = _text(key), _text(value)
        if key == "item_id":
            in_items = True
        elif in_items and key:
            scales[key] = value
        elif key:
            meta[key] = value
    reading.template_version = meta.get("template_version", "")
    reading.template_region = meta.get("region", "")
    reading.template_wave = meta.get("wave", "")
    if meta.get("template_kind") != TEMPLATE_KIND:
        reading.wrong_version = True
        add(Problem("error", "not_this_template", META_SHEET, "B1",
                    "this workbook is not a temperature-check return template", meta.get("template_kind", ""), fresh))
    elif reading.template_version != TEMPLATE_VERSION:
        reading.wrong_version = True
        add(Problem("error", "old_template_version", META_SHEET, "B2",
                    f"this return was made from template version {reading.template_version or '(none)'}; "
                    f"this wave uses version {TEMPLATE_VERSION}", reading.template_version, fresh))
    elif meta.get("instrument_sha256") != instrument_checksum():
        reading.wrong_version = True
        add(Problem("error", "other_instrument", META_SHEET, "B3",
                    "the questions of this template differ from the current instrument (checksum "
                    f"{meta.get('instrument_sha256', '')[:12]}… instead of {instrument_checksum()[:12]}…)",
                    meta.get("instrument_sha256", ""), fresh))
    known = {k: v for k, v in scales.items() if k in items.index and v in (*SCALE_OPTIONS, *NUMBER_RANGES)}
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
        keys = {_text(v) for (v,) in ws.iter_rows(min_col=1, max_col=1, values_only=True)}
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
    known = set(items.index) | set(IDENTITY_KEYS) | {NOTES_KEY}
    header = next((row for row in range(1, min(ws.max_row, 60) + 1)
                   if _text(ws.cell(row=row, column=1).value) == HEADER_ITEM_ID), None)
    if header is None:
        header = HEADER_ROW
        add(Problem("warning", "missing_header", reading.sheet, f"A{HEADER_ROW}",
                    f"the table header ('{HEADER_ITEM_ID}', 'Statement', …) is missing", "",
                    "do not delete rows of the template; the answers were still read by their item IDs"))
    reading.header_row = header
    last_column = FIRST_PERSON_COLUMN + _respondent_columns(ws, header) - 1
    for row in range(header + 1, ws.max_row + 1):
        key = _text(ws.cell(row=row, column=1).value)
        if key in known:
            rows = reading.item_rows if key in items.index else reading.identity_rows
            if key in rows:
                add(Problem("error", "repeated_row", reading.sheet, f"A{row}",
                            f"row {row} repeats {key} (first on row {rows[key]}); only the first is read", key,
                            "delete the copied row, keeping your answers in the first one"))
            else:
                rows[key] = row
            continue
        filled = [c for c in range(1, last_column + 1) if _text(ws.cell(row=row, column=c).value)]
        if filled:
            first = f"{get_column_letter(filled[0])}{row}"
            add(Problem("warning", "extra_row", reading.sheet, first,
                        f"row {row} is not part of the template; extra rows are not read",
                        _shown(_text(ws.cell(row=row, column=filled[0]).value)),
                        "delete the row; put comments in the Notes row at the bottom of the person's column"))
    for row in range(1, ws.max_row + 1):
        extra = [c for c in range(last_column + 1, ws.max_column + 1) if _text(ws.cell(row=row, column=c).value)]
        if extra and row >= header:
            add(Problem("warning", "extra_column", reading.sheet, f"{get_column_letter(extra[0])}{row}",
                        f"column {get_column_letter(extra[0])} is beyond the last Person column; it is not read",
                        _shown(_text(ws.cell(row=row, column=extra[0]).value)),
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
        wording = _text(ws.cell(row=row, column=2).value)
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
    while _text(ws.cell(row=header, column=FIRST_PERSON_COLUMN + count).value).startswith("Person"):
        count += 1
    return count or DEFAULT_RESPONDENTS


def _read_council(ws: Worksheet, reading: ReturnReading) -> None:
    add = reading.problems.append
    labels = {_text(ws.cell(row=row, column=1).value): row for row in range(1, HEADER_ROW + 5)}
    council_row = labels.get(COUNCIL_LABEL, COUNCIL_ROW)
    reading.council_cell = f"{get_column_letter(VALUE_COLUMN)}{council_row}"
    cell = ws.cell(row=council_row, column=VALUE_COLUMN)
    value = _text(cell.value)
    region, wave = reading.template_region, reading.template_wave
    choose = f"choose your council from the list in {reading.council_cell}"
    for label, expected, code in ((REGION_LABEL, region, "edited_region"), (WAVE_LABEL, wave, "edited_wave")):
        row = labels.get(label)
        if row is not None and expected and not _same_text(_text(ws.cell(row=row, column=VALUE_COLUMN).value),
                                                          expected):
            add(Problem("warning", code, reading.sheet, f"{get_column_letter(VALUE_COLUMN)}{row}",
                        f"the {label.lower()} has been changed; the template's {label.lower()} ({expected}) is used",
                        _text(ws.cell(row=row, column=VALUE_COLUMN).value),
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
        cells = {key: ws.cell(row=row, column=column) for key, row in rows.items()}
        if not any(_text(c.value) for c in cells.values()):
            continue
        values = {key: _text(c.value) for key, c in cells.items()}

        def ref(key: str) -> str:
            return f"{letter}{rows[key]}"

        for key in (*IDENTITY_KEYS, NOTES_KEY):
            if key in cells and cells[key].data_type == "f":
                add(Problem("error", "formula", reading.sheet, ref(key), f"the {IDENTITY_LABELS[key].lower()} is a "
                            "formula; it is not read", _shown(values[key]), "type the text itself"))
                values[key] = ""

        org_name = values.get("org_name", "")
        if "org_name" in rows and not org_name:
            add(Problem("error", "no_organisation", reading.sheet, ref("org_name"),
                        "no organisation name for this person's answers", "",
                        "write the name of the organisation this person works for"))
        org_type = _pick(values.get("org_type", ""), ORGANISATION_TYPES)
        if "org_type" in rows:
            if not values["org_type"]:
                add(Problem("error", "no_organisation_type", reading.sheet, ref("org_type"),
                            "no organisation type", "", "pick the organisation type from the list"))
            elif org_type is None:
                add(Problem("error", "not_in_list", reading.sheet, ref("org_type"),
                            "not one of the organisation types in the list", _shown(values["org_type"]),
                            "pick one of: " + ", ".join(ORGANISATION_TYPES)))
        role = _pick(values.get("respondent_role", ""), RESPONDENT_ROLES)
        if values.get("respondent_role") and role is None:
            add(Problem("error", "not_in_list", reading.sheet, ref("respondent_role"),
                        "not one of the roles in the list", _shown(values["respondent_role"]),
                        "pick one of: " + ", ".join(RESPONDENT_ROLES) + " (or leave it empty)"))
        person = Respondent(column, org_name, org_type or "", role or "", values.get(NOTES_KEY, ""))
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
                      "respondent_id", "notes"]


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
    left empty, so the report uses exactly what the feedback says it uses. ``_source_file`` is
    the return and ``_source_row`` the Person column's number (see :meth:`ReturnReading.cell_of`).
    """
    items = instrument()["item_id"].tolist()
    name = Path(reading.path).name
    rows = []
    for person in reading.respondents:
        rows.append({
            "org_id": organisation_id(reading.ons_code, person.org_name), "org_name": person.org_name,
            "org_type": person.org_type, "ons_code": reading.ons_code or "", "region": reading.template_region,
            "wave": reading.template_wave, "respondent_role": person.respondent_role,
            "respondent_id": f"{name}#{person.letter}", "notes": person.notes,
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


# --- feedback ------------------------------------------------------------------------------------

PROBLEM_COLUMNS = ["file", "council", "severity", "where", "sheet", "cell", "problem", "value_found", "how_to_fix",
                   "check"]
RETURN_COLUMNS = ["file", "council", "ons_code", "region", "wave", "template_version", "status", "respondents",
                  "organisations", "blank_answers", "errors", "warnings", "feedback"]


def problems_frame(reading: ReturnReading) -> pd.DataFrame:
    """The problems of one return as a table (in sheet order), one row per problem."""
    def order(p: Problem) -> tuple:
        match = re.fullmatch(r"([A-Z]+)(\d+)", p.cell)
        return (p.sheet != reading.sheet, p.sheet, int(match[2]) if match else 0, len(match[1]) if match else 0,
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


def build_feedback_workbook(reading: ReturnReading) -> Workbook:
    """A workbook for the council: status and next step, then one row per problem with its cell and fix."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Feedback"
    problems = problems_frame(reading)
    errors = int((problems["severity"] == "error").sum())
    _put(ws, 1, 1, "Temperature-check return: feedback", font=_TITLE)
    summary = (("File", Path(reading.path).name), ("Council", reading.council_name or "(not chosen)"),
               ("Region", reading.template_region), ("Wave", reading.template_wave),
               ("Status", reading.status), ("People who answered", len(reading.respondents)),
               ("Errors to fix", errors), ("Warnings", len(problems) - errors),
               ("What to do", _next_step(reading.status)))
    for row, (label, value) in enumerate(summary, start=3):
        _put(ws, row, 1, label, font=_BOLD)
        _put(ws, row, 2, value, wrap=True).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    ws.merge_cells(start_row=len(summary) + 2, start_column=2, end_row=len(summary) + 2, end_column=5)
    _fit_height(ws, len(summary) + 2, summary[-1][1], 150)
    header_row = len(summary) + 4
    headers = ["Severity", "Where", "Problem", "Value found", "How to fix"]
    for column, text in enumerate(headers, start=1):
        _put(ws, header_row, column, text, font=_BOLD, fill=_HEADER_FILL)
    for offset, p in enumerate(problems.itertuples(index=False), start=1):
        for column, value in enumerate((p.severity, p.where, p.problem, p.value_found, p.how_to_fix), start=1):
            _put(ws, header_row + offset, column, value or None, wrap=True)
        _fit_height(ws, header_row + offset, max((p.problem, p.how_to_fix), key=len), 62)
        _fit_height(ws, header_row + offset, p.value_found, 30)
    if problems.empty:
        _put(ws, header_row + 1, 1, "No problems found.")
    for column, width in zip("ABCDE", (20, 22, 60, 30, 60)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.auto_filter.ref = f"A{header_row}:E{header_row + max(len(problems), 1)}"
    _print_setup(ws)
    return wb


def write_feedback(reading: ReturnReading, path: str | Path) -> Path:
    """Write the feedback workbook of one return atomically; return the path."""
    path = Path(path)
    workbook = build_feedback_workbook(reading)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


@dataclass
class ValidationSummary:
    """The readings of a batch of returns, with one table row per return and one per problem."""

    readings: list[ReturnReading]
    feedback_files: dict[str, Path] = field(default_factory=dict)

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

    @property
    def problems(self) -> pd.DataFrame:
        frames = [problems_frame(r).assign(file=r.path) for r in self.readings]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PROBLEM_COLUMNS)

    @property
    def all_complete(self) -> bool:
        return bool(self.readings) and all(r.status == STATUS_COMPLETE for r in self.readings)

    def by_council(self) -> pd.DataFrame:
        """One row per council named in the returns (unidentified returns last): status and files."""
        table = self.returns
        table["council"] = table["council"].where(table["council"] != "", "(council not identified)")
        rows = []
        for (council, code), group in table.groupby(["council", "ons_code"], sort=False):
            rows.append({"council": council, "ons_code": code, "status": _council_status(group["status"]),
                         "returns": len(group), "errors": int(group["errors"].sum()),
                         "files": "; ".join(Path(f).name for f in group["file"])})
        out = pd.DataFrame(rows, columns=["council", "ons_code", "status", "returns", "errors", "files"])
        return out.sort_values(["ons_code"], key=lambda s: s.eq(""), kind="stable").reset_index(drop=True)

    def text(self) -> str:
        """The per-council summary the CLI prints."""
        lines = []
        for row in self.by_council().itertuples(index=False):
            code = f" ({row.ons_code})" if row.ons_code else ""
            errors = f", {row.errors} error{'s' * (row.errors != 1)}" if row.errors else ""
            lines.append(f"{row.council}{code}: {row.status}{errors} [{row.files}]")
        counts = self.returns["status"].value_counts()
        lines.append(f"{len(self.readings)} return(s): " + ", ".join(
            f"{int(counts.get(s, 0))} {s}" for s in (STATUS_COMPLETE, STATUS_INCOMPLETE, STATUS_WRONG_VERSION,
                                                     STATUS_UNREADABLE)))
        if self.feedback_files:
            folder = Path(next(iter(self.feedback_files.values()))).parent
            lines.append(f"feedback workbooks: {folder}")
        return "\n".join(lines) + "\n"


def _council_status(statuses: Iterable[str]) -> str:
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
    readings = [read_return(path) for path in paths]
    summary = ValidationSummary(readings)
    if feedback_dir is not None:
        taken: set[str] = set()
        for reading in readings:
            target = Path(feedback_dir) / _feedback_name(reading.path, taken)
            summary.feedback_files[reading.path] = write_feedback(reading, target)
    return summary


# --- the regional pack ---------------------------------------------------------------------------

COVERAGE_COLUMNS = ["ons_code", "cassr_code", "council", "returned", "status", "in_scores", "returns",
                    "organisations", "respondents", "files", "note"]


def headline_scores(clean_long: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    """Council indicator means (1-5, higher = better culture) and, last, the region's mean of its councils.

    The numbers the regional report leads with: :func:`~msp_analysis.analysis.indicators.council_scores`
    of the clean answers (respondents averaged per organisation, organisations per council),
    with the council's name, and a region row in which every council counts once.

    >>> headline_scores(clean_temperature_check(rows).clean, "North East")  # doctest: +SKIP
    """
    from msp_analysis.analysis.indicators import council_scores
    from msp_analysis.clean.temperature_check import wide_answers
    from msp_analysis.reference.codebook import likert_items

    indicators = list(dict.fromkeys(likert_items()["indicator"]))
    base = ["ons_code", "council", "wave"]
    if clean_long.empty:
        return pd.DataFrame(columns=base + indicators + ["n_organisations", "n_respondents"])
    scores = council_scores(wide_answers(clean_long))
    indicators = [c for c in indicators if c in scores.columns]
    names = {}
    for wave in scores["wave"].unique():
        if wave in geography.FINANCIAL_YEARS:
            names.update(geography.councils(wave).set_index("ons_code")["name"].to_dict())
    scores.insert(1, "council", scores["ons_code"].map(names).fillna(""))
    others = [c for c in scores.columns if c not in base + indicators]
    scores = scores[base + indicators + others]
    if region is not None and len(scores):
        total = {"ons_code": "", "council": f"{region} (mean of councils)",
                 "wave": "; ".join(sorted(scores["wave"].unique())),
                 **scores[indicators + [c for c in others if c.startswith("stf_")]].mean().to_dict(),
                 "n_organisations": int(scores["n_organisations"].sum()),
                 "n_respondents": int(scores["n_respondents"].sum())}
        scores = pd.concat([scores, pd.DataFrame([total])], ignore_index=True)
    return scores


def coverage_table(region: str, wave: str, summary: ValidationSummary,
                   clean_long: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which councils of `region` returned in `wave`, with what status and whether they are scored.

    One row per council of the region in that wave, then one per return that could not be
    attributed to one of them (unreadable, council not chosen, another region or wave).
    """
    region, wave = _checked_region_wave(region, wave)
    councils = geography.councils(wave, region)
    returns = summary.returns
    returns["matches"] = (returns["region"] == region) & (returns["wave"] == wave)
    returns["usable"] = returns["status"].isin(USABLE_STATUSES) & returns["matches"]
    counts = pd.DataFrame(columns=["ons_code", "organisations", "respondents"])
    if clean_long is not None and len(clean_long):
        keys = clean_long[["ons_code", "org_id", "respondent"]].drop_duplicates()
        counts = keys.groupby("ons_code").agg(organisations=("org_id", "nunique"),
                                             respondents=("respondent", "size")).reset_index()
    counts = counts.set_index("ons_code")
    rows = []
    for council in councils.itertuples(index=False):
        mine = returns[returns["ons_code"] == council.ons_code]
        ours = mine[mine["matches"]]
        scored = bool(mine["usable"].any()) and council.ons_code in counts.index
        note = []
        if len(mine) > len(ours):
            note.append(f"{len(mine) - len(ours)} return(s) made from another region's or wave's template")
        if int(mine["usable"].sum()) > 1:
            note.append("several returns: check none is a resubmission of another")
        rows.append({
            "ons_code": council.ons_code, "cassr_code": council.cassr_code, "council": council.name,
            "returned": "yes" if len(mine) else "no",
            "status": _council_status(ours["status"]) if len(ours) else (
                "template of another region or wave" if len(mine) else "not returned"),
            "in_scores": "yes" if scored else "no", "returns": len(mine),
            "organisations": int(counts.loc[council.ons_code, "organisations"]) if scored else 0,
            "respondents": int(counts.loc[council.ons_code, "respondents"]) if scored else 0,
            "files": "; ".join(Path(f).name for f in mine["file"]), "note": "; ".join(note),
        })
    for r in returns[~returns["ons_code"].isin(set(councils["ons_code"]))].itertuples(index=False):
        if r.status == STATUS_UNREADABLE or not r.ons_code:
            note = "council not identified (see its feedback workbook)"
        elif not r.matches:
            note = f"template for {r.region or '?'} {r.wave or '?'}, not {region} {wave}"
        else:
            note = "council outside the region"
        rows.append({"ons_code": r.ons_code, "cassr_code": "", "council": r.council or "(not identified)",
                     "returned": "yes", "status": r.status, "in_scores": "no", "returns": 1, "organisations": 0,
                     "respondents": 0, "files": Path(r.file).name, "note": note})
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


@dataclass
class PackResult:
    """Everything :func:`pack` produced, with the files written and what happened to the report."""

    region: str
    wave: str
    out_dir: Path
    summary: ValidationSummary
    coverage: pd.DataFrame
    headline: pd.DataFrame
    scores: pd.DataFrame
    clean: object | None  # CleanResult of the usable returns, or None when there were none
    files: dict[str, Path] = field(default_factory=dict)
    report: str = ""
    report_outcomes: list = field(default_factory=list)

    @property
    def report_failed(self) -> bool:
        return any(o.status == "failed" for o in self.report_outcomes)

    def text(self) -> str:
        returned = int((self.coverage["returned"] == "yes").sum() if len(self.coverage) else 0)
        region_rows = self.coverage[self.coverage["cassr_code"] != ""]
        scored = int((region_rows["in_scores"] == "yes").sum())
        lines = [self.summary.text().rstrip("\n"),
                 f"{self.region} {self.wave}: {scored} of {len(region_rows)} councils scored; "
                 f"{returned} return(s) received",
                 f"not returned: {', '.join(region_rows.loc[region_rows['returned'] == 'no', 'council']) or 'none'}",
                 f"report: {self.report}",
                 f"outputs in {self.out_dir}: " + ", ".join(sorted(p.name for p in self.files.values()))]
        return "\n".join(lines) + "\n"


def _remap_rejects(rejects: pd.DataFrame, readings: dict[str, ReturnReading]) -> pd.DataFrame:
    """Point the cleaner's reject lines at spreadsheet cells: row = the cell's row, column = ``Sheet!F14``."""
    out = rejects.copy()
    cells = []
    for file, row, column in zip(out["file"], out["row"], out["column"]):
        reading = readings.get(file)
        cells.append(reading.cell_of(column, int(row)) if reading is not None else column)
    out["column"] = cells
    out["row"] = [int(re.search(r"(\d+)$", c)[1]) if re.search(r"!\D+\d+$", c) else r
                  for c, r in zip(cells, out["row"])]
    return out.astype({"row": "int64"})


def render_pack_report(region: str, wave: str, data_dir: str | Path, out_dir: str | Path,
                       quiet: bool = True) -> tuple[str, list]:
    """Render the regional temperature-check report from the pack's ``temperature_check.parquet`` in `data_dir`."""
    from msp_analysis.reporting.render import batch as reports

    params = reports.validate_parameters("temperature_check", {"region": region, "wave": wave, "data_dir": str(data_dir)})
    outcomes = reports.render_reports("temperature_check", [params], out_dir, jobs=1, quiet=quiet)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        return f"failed: {failed[0].error}", outcomes
    return f"rendered {Path(out_dir) / 'index.html'}", outcomes


def pack(region: str, wave: str, returns: Sequence[str | Path], out_dir: str | Path,
         render: bool = True, quiet: bool = True) -> PackResult:
    """Validate, merge, clean, score and report a region's returns for one wave, in one call.

    Writes to `out_dir`: ``feedback/STEM.feedback.xlsx`` per return, ``validation.csv`` (one
    row per return) and ``problems.csv``, ``temperature_check.returns.csv`` (the merged rows
    given to the cleaner), ``temperature_check.parquet`` / ``.rejects.csv`` (rejects point at
    ``Return!F14``-style cells) / ``.manifest.json``, ``scores.csv`` (council × wave scores with
    ``z_`` columns), ``headline.csv`` (council means and the region's), ``coverage.csv`` and,
    once the notebook is registered, the rendered report (``index.html``).

    Returns from another region's or wave's template, of a wrong template version, or
    unreadable are listed in the coverage table and left out of the scores. Answers the
    feedback marks as errors are left out; the rest of an incomplete return is used.

    >>> result = pack("North East", "2024-25", ["durham.xlsx", "gateshead.xlsx"], "pack")  # doctest: +SKIP
    >>> print(result.text())                                                            # doctest: +SKIP
    """
    from msp_analysis.analysis.indicators import score_temperature_check
    from msp_analysis.clean.temperature_check import clean_temperature_check
    from msp_analysis.io.processed import write_clean_outputs
    from msp_analysis.toolkit.files import write_csv

    region, wave = _checked_region_wave(region, wave)
    out_dir = Path(out_dir)
    summary = validate_returns(returns, feedback_dir=out_dir / "feedback")
    files: dict[str, Path] = {}

    def save(name: str, frame: pd.DataFrame) -> None:
        files[name] = out_dir / name
        write_csv(files[name], frame)

    save("validation.csv", summary.returns)
    save("problems.csv", summary.problems)
    usable = [r for r in summary.readings
              if r.usable and r.template_region == region and r.template_wave == wave and r.respondents]
    merged = pd.concat([return_rows(r) for r in usable], ignore_index=True) if usable else return_rows(
        ReturnReading(path=""))
    save("temperature_check.returns.csv", merged.drop(columns=["_source_row"]))
    clean = None
    clean_long = None
    scores = pd.DataFrame(columns=["ons_code", "wave"])
    if len(merged):
        clean = clean_temperature_check(merged, source=str(usable[0].path))
        clean.rejects = _remap_rejects(clean.rejects, {r.path: r for r in usable})
        write_clean_outputs("temperature_check", clean, [r.path for r in usable], out_dir)
        for suffix in ("parquet", "rejects.csv", "manifest.json"):
            files[f"temperature_check.{suffix}"] = out_dir / f"temperature_check.{suffix}"
        clean_long = clean.clean
        if len(clean_long):
            scores = score_temperature_check(clean_long)
    save("scores.csv", scores)
    headline = headline_scores(clean_long if clean_long is not None else pd.DataFrame(), region)
    save("headline.csv", headline)
    coverage = coverage_table(region, wave, summary, clean_long)
    save("coverage.csv", coverage)
    result = PackResult(region, wave, out_dir, summary, coverage, headline, scores, clean, files)
    if not render:
        result.report = "not rendered (render=False)"
    elif clean_long is None or clean_long.empty:
        result.report = "not rendered: no usable returns"
    else:
        result.report, result.report_outcomes = render_pack_report(region, wave, out_dir, out_dir, quiet=quiet)
        for outcome in result.report_outcomes:
            if outcome.html_path is not None:
                result.files[Path(outcome.html_path).name] = Path(outcome.html_path)
                result.files["index.html"] = out_dir / "index.html"
    return result
