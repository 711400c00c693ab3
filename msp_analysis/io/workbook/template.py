"""The return template a region sends to every council (:func:`write_template`).

The workbook is built from the instrument (``codebook/instrument.csv``) and the template's
lists and prose in the codebook:

* **Instructions** — what the check is and how to fill it in, in plain words drawn from the
  eight essential steps and six safeguarding principles of the LGA/ADASS resource
  (``return_instructions.csv``, ``essential_steps.csv``, ``safeguarding_principles.csv``);
* **Return** — the council is *picked* from a dropdown of the region's councils (cell
  ``B4``, fed by the Councils sheet), so one file serves the whole region and a council
  cannot misspell itself. Below, one row per item (item ID, statement, theme, CQC key
  question as Table 1 files it, answer scale) and one column per person answering (``Person 1`` …): the
  organisation, its type and the person's role at the top of each column, then a dropdown
  answer for every statement (Likert or RAG, plus ``Don't know``) and the staffing figures
  (turnover %, vacancy %, caseload) with range validation. Only the yellow cells are
  unlocked (the sheet is protected without a password, to prevent accidents, not people);
* **Councils** — the region's councils in that wave, from the geography;
* **_template** (hidden) — template version, instrument checksum (sha256 of
  questions, see :func:`~msp_analysis.io.workbook.layout.instrument_checksum`), region, wave and the scale of every
  item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from msp_analysis import __version__
from msp_analysis.io.workbook.cells import BOLD, HEADER_FILL, INPUT_FILL, TITLE, fit_height, print_setup, protect, put
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
    SCALE_NAMES,
    SCALE_OPTIONS,
    TEMPLATE_KIND,
    TEMPLATE_VERSION,
    VALUE_COLUMN,
    WAVE_LABEL,
    WAVE_ROW,
    checked_region_wave,
    instrument_checksum,
    template_items,
    version_items,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    essential_steps,
    organisation_types,
    respondent_roles,
    return_instructions,
    safeguarding_principles,
    template_themes,
)
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.files import atomic_path


def _list_rows(name: str) -> list[tuple[str, str]]:
    """The rows of a ``list`` line of the instructions: one text row per entry of that codebook list."""
    if name == "essential_steps":
        return [("text", f"{n}. {title}: {text}") for n, (title, text) in enumerate(essential_steps(), start=1)]
    if name == "safeguarding_principles":
        return [("text", f"{principle}: {text}") for principle, text in safeguarding_principles()]
    raise ValueError(f"return_instructions.csv lists {name!r}; known lists: essential_steps, safeguarding_principles")


def _instructions_text(region: str, wave: str, respondents: int,
                       version: str = TEMPLATE_VERSION) -> list[tuple[str, str]]:
    """(style, text) lines of the Instructions sheet: plain words, no jargon the council must decode."""
    values = {"region": region, "wave": wave, "respondents": respondents, "dont_know": DONT_KNOW,
              "council_cell": f"{get_column_letter(VALUE_COLUMN)}{COUNCIL_ROW}",
              "themes": ", ".join(template_themes().values()), "template_version": version,
              "package_version": __version__}
    lines: list[tuple[str, str]] = []
    for style, text in return_instructions():
        if version == "1" and NOTES_REVIEWED_KEY in text:
            continue  # the first template had no notes_reviewed row
        if style == "list":
            lines += _list_rows(text)
        else:
            lines.append(("" if style == "blank" else style, text.format_map(values)))
    return lines


def build_template(region: str, wave: str, respondents: int = DEFAULT_RESPONDENTS,
                   scale: str = "likert", version: str = TEMPLATE_VERSION) -> Workbook:
    """The return workbook for `region` and `wave`, in memory (see the module docstring for its layout).

    `version` is the current template unless an older one is asked for (version 1, the first template: the
    30 items without the bank and no ``notes_reviewed`` row; kept so that its returns can be tested).

    >>> wb = build_template("North East", "2023-24")
    >>> wb.sheetnames
    ['Instructions', 'Return', 'Councils', '_template']
    """
    region, wave = checked_region_wave(region, wave)
    if not 1 <= int(respondents) <= 50:
        raise ParameterError(f"respondents={respondents}; expected 1 to 50 people per return")
    items = template_items(scale, version)
    councils = geography.councils(wave, region)
    wb = Workbook()
    _instructions_sheet(wb.active, region, wave, respondents, version)
    _return_sheet(wb.create_sheet(RETURN_SHEET), region, wave, respondents, items, len(councils), version)
    _councils_sheet(wb.create_sheet(COUNCILS_SHEET), councils)
    _meta_sheet(wb.create_sheet(META_SHEET), region, wave, respondents, items, version)
    wb.active = 1
    return wb


def _instructions_sheet(ws: Worksheet, region: str, wave: str, respondents: int, version: str) -> None:
    ws.title = INSTRUCTIONS_SHEET
    ws.column_dimensions["A"].width = 68
    styles = {"title": TITLE, "heading": Font(bold=True, size=12), "small": Font(italic=True, size=9)}
    for row, (style, text) in enumerate(_instructions_text(region, wave, respondents, version), start=1):
        put(ws, row, 1, text or None, font=styles.get(style), wrap=True)
        fit_height(ws, row, text, 52 if style == "title" else 72)
    print_setup(ws, landscape=False)


def _return_sheet(ws: Worksheet, region: str, wave: str, respondents: int, items: pd.DataFrame,
                  n_councils: int, version: str = TEMPLATE_VERSION) -> None:
    last_person = FIRST_PERSON_COLUMN + respondents - 1
    themes = template_themes()
    put(ws, 1, 1, f"Making Safeguarding Personal temperature check: {region}, {wave}", font=TITLE)
    put(ws, 2, 1, "Fill the yellow cells: choose your council, then one column per person answering. "
                  "See the Instructions sheet.")
    for row, label, value in ((COUNCIL_ROW, COUNCIL_LABEL, None), (REGION_ROW, REGION_LABEL, region),
                              (WAVE_ROW, WAVE_LABEL, wave)):
        put(ws, row, 1, label, font=BOLD)
        put(ws, row, VALUE_COLUMN, value, fill=INPUT_FILL if row == COUNCIL_ROW else None,
            unlocked=row == COUNCIL_ROW)
    council_list = DataValidation(
        type="list", formula1=f"{COUNCILS_SHEET}!$A$2:$A${n_councils + 1}", allow_blank=True,
        showErrorMessage=True, errorTitle="Not a council of this region",
        error="Choose your council from the list.", showInputMessage=True, promptTitle="Your council",
        prompt="Choose your council from the list.")
    ws.add_data_validation(council_list)
    council_list.add(f"{get_column_letter(VALUE_COLUMN)}{COUNCIL_ROW}")

    headers = [HEADER_ITEM_ID, "Statement", "Theme", "CQC key question (Table 1)", "Answer scale"]
    headers += [f"Person {n}" for n in range(1, respondents + 1)]
    for column, text in enumerate(headers, start=1):
        put(ws, HEADER_ROW, column, text, font=BOLD, fill=HEADER_FILL, wrap=True)
    persons = f"{get_column_letter(FIRST_PERSON_COLUMN)}{{row}}:{get_column_letter(last_person)}{{row}}"

    def list_validation(options: Sequence[str], what: str) -> DataValidation:
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Pick from the list",
                            error=f"Pick {what} from the list.", showInputMessage=True, promptTitle="Answer",
                            prompt=f"Pick {what} from the list.")
        ws.add_data_validation(dv)
        return dv

    row = HEADER_ROW + 1
    identity_lists = {"org_type": list_validation(organisation_types(), "the organisation type"),
                      "respondent_role": list_validation(respondent_roles(), "the role")}
    for key in IDENTITY_KEYS:
        put(ws, row, 1, key, wrap=True)
        put(ws, row, 2, IDENTITY_LABELS[key], font=BOLD, wrap=True)
        fit_height(ws, row, IDENTITY_LABELS[key], 55)
        for column in range(FIRST_PERSON_COLUMN, last_person + 1):
            put(ws, row, column, None, fill=INPUT_FILL, unlocked=True)
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
        for column, value in enumerate((item.item_id, item.wording, themes.get(item.indicator, item.indicator),
                                        item.table1_column, SCALE_NAMES[item.template_scale]), start=1):
            put(ws, row, column, value, wrap=True)
        fit_height(ws, row, item.wording, 62)
        fit_height(ws, row, themes.get(item.indicator, item.indicator), 24)
        for column in range(FIRST_PERSON_COLUMN, last_person + 1):
            put(ws, row, column, None, fill=INPUT_FILL, unlocked=True)
            if item.template_scale in NUMBER_RANGES:
                ws.cell(row=row, column=column).number_format = "0.0"
        (answer_lists.get(item.template_scale) or number_checks[item.template_scale]).add(persons.format(row=row))
        row += 1
    put(ws, row, 1, NOTES_KEY, wrap=True)
    put(ws, row, 2, IDENTITY_LABELS[NOTES_KEY], font=BOLD, wrap=True)
    fit_height(ws, row, "", 1, minimum=3)
    for column in range(FIRST_PERSON_COLUMN, last_person + 1):
        put(ws, row, column, None, fill=INPUT_FILL, wrap=True, unlocked=True)
    if version != "1":  # whether the note above may be printed in the region's report
        row += 1
        put(ws, row, 1, NOTES_REVIEWED_KEY, wrap=True)
        put(ws, row, 2, IDENTITY_LABELS[NOTES_REVIEWED_KEY], font=BOLD, wrap=True)
        fit_height(ws, row, IDENTITY_LABELS[NOTES_REVIEWED_KEY], 55)
        for column in range(FIRST_PERSON_COLUMN, last_person + 1):
            put(ws, row, column, None, fill=INPUT_FILL, unlocked=True)
        list_validation(REVIEWED_OPTIONS, "Yes or No").add(persons.format(row=row))

    for column, width in zip("ABCDE", (16, 60, 24, 14, 22), strict=True):
        ws.column_dimensions[column].width = width
    for column in range(FIRST_PERSON_COLUMN, last_person + 1):
        ws.column_dimensions[get_column_letter(column)].width = 18
    fit_height(ws, HEADER_ROW, "", 1, minimum=2)
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1 + len(IDENTITY_KEYS), column=3)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    print_setup(ws)
    protect(ws)


def _councils_sheet(ws: Worksheet, councils: pd.DataFrame) -> None:
    for column, text in enumerate(("Council", "ONS code", "CASSR code", "Council type"), start=1):
        put(ws, 1, column, text, font=BOLD, fill=HEADER_FILL)
    for row, council in enumerate(councils.itertuples(index=False), start=2):
        for column, value in enumerate((council.name, council.ons_code, council.cassr_code, council.council_type),
                                       start=1):
            put(ws, row, column, value)
    for column, width in zip("ABCD", (40, 12, 12, 24), strict=True):
        ws.column_dimensions[column].width = width
    print_setup(ws, landscape=False)
    protect(ws)


def _meta_sheet(ws: Worksheet, region: str, wave: str, respondents: int, items: pd.DataFrame,
                version: str = TEMPLATE_VERSION) -> None:
    pairs = (("template_kind", TEMPLATE_KIND), ("template_version", version),
             ("instrument_sha256", instrument_checksum(version_items(version))), ("region", region), ("wave", wave),
             ("respondent_columns", respondents), ("first_person_column", get_column_letter(FIRST_PERSON_COLUMN)),
             ("generated_by", f"msp-analysis {__version__}"))
    for row, (key, value) in enumerate(pairs, start=1):
        put(ws, row, 1, key)
        put(ws, row, 2, value)
    row = len(pairs) + 2
    put(ws, row, 1, "item_id")
    put(ws, row, 2, "template_scale")
    for offset, item in enumerate(items.itertuples(index=False), start=1):
        put(ws, row + offset, 1, item.item_id)
        put(ws, row + offset, 2, item.template_scale)
    ws.sheet_state = "hidden"
    protect(ws)


def write_template(region: str, wave: str, path: str | Path, respondents: int = DEFAULT_RESPONDENTS,
                   scale: str = "likert", version: str = TEMPLATE_VERSION) -> Path:
    """Write the return template of `region` for `wave` to `path` (xlsx, atomically); return the path.

    >>> write_template("North West", "2024-25", "nw_2024-25.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ParameterError(f"--out {path}: the template is an Excel workbook; give a name ending .xlsx")
    workbook = build_template(region, wave, respondents, scale, version)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path
