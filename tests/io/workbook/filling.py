"""Fill a return template as a council would, and score the typed answers without the package.

Shared by the tests of :mod:`msp_analysis.io.workbook` and of :mod:`msp_analysis.workflows.pack`
(their ``conftest.py`` files import the fixtures below). The round trip fills the generated
template with simulated answers through openpyxl (as a council's spreadsheet would); the pack's
tests check the headline scores against :func:`independent_scores`, computed here from the
answers that were typed in.
"""

import csv
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

import msp_analysis
from msp_analysis.io.workbook.template import write_template
from msp_analysis.reference.codebook import respondent_roles

REGION, WAVE = "North East", "2023-24"
INSTRUMENT_CSV = Path(msp_analysis.__file__).parent / "reference" / "codebook" / "instrument.csv"
with open(INSTRUMENT_CSV, encoding="utf-8", newline="") as _handle:
    ITEMS = list(csv.DictReader(_handle))  # the items the current template (version 2) asks: the 30 and the bank
V1_ITEMS = [item for item in ITEMS if item["asked"] == "return"]  # the first template's items
LIKERT = [i for i in ITEMS if i["answer_scale"] == "likert5"]
V1_LIKERT = [i for i in V1_ITEMS if i["answer_scale"] == "likert5"]
LABELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
NUMBER_ITEMS = {i["item_id"] for i in ITEMS if i["answer_scale"] in ("percent", "number")}
COUNCILS = ["County Durham", "Gateshead", "Newcastle upon Tyne"]


@dataclass
class Person:
    org_name: str
    org_type: str
    role: str
    numbers: dict  # item -> 1-5 or None ("Don't know"), staffing item -> float or None


def simulated_people(rng: np.random.Generator, council: str, n_orgs: int, most: int,
                     likert: list[dict] | None = None) -> list[Person]:
    """`n_orgs` organisations with one to `most` people each, answers drawn at random to the `likert` items
    (default: every Likert item of the current template; ``V1_LIKERT`` for a first-template return)."""
    likert = LIKERT if likert is None else likert
    people = []
    orgs = [(f"{council} Council", "Local authority"), (f"{council} NHS Trust", "NHS trust"),
            (f"{council} Care Homes Ltd", "Care provider")][:n_orgs]
    for org_name, org_type in orgs:
        for _ in range(int(rng.integers(1, most + 1))):
            numbers = {i["item_id"]: (None if rng.random() < 0.08 else int(rng.integers(1, 6))) for i in likert}
            numbers["stf_turnover_pct"] = round(float(rng.uniform(5, 40)), 1)
            numbers["stf_vacancy_pct"] = None if rng.random() < 0.3 else round(float(rng.uniform(0, 25)), 1)
            numbers["stf_caseload"] = round(float(rng.uniform(5, 30)), 1)
            people.append(Person(org_name, org_type, str(rng.choice(respondent_roles())), numbers))
    return people


def row_of(ws) -> dict:
    return {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value}


def fill(template: Path, out: Path, council: str | None, people: list[Person], change=None) -> Path:
    """Fill `template` for `council` with `people` (one Person column each); `change(wb)` edits it further."""
    wb = load_workbook(template)
    ws = wb["Return"]
    rows = row_of(ws)
    ws["B4"] = council
    for offset, person in enumerate(people):
        column = 6 + offset
        ws.cell(row=rows["org_name"], column=column).value = person.org_name
        ws.cell(row=rows["org_type"], column=column).value = person.org_type
        ws.cell(row=rows["respondent_role"], column=column).value = person.role
        for item, value in person.numbers.items():
            if item not in rows:
                continue  # not on this template version
            if item in NUMBER_ITEMS:
                ws.cell(row=rows[item], column=column).value = value
            else:
                ws.cell(row=rows[item], column=column).value = "Don't know" if value is None else LABELS[value - 1]
    if change is not None:
        change(wb)
    wb.save(out)
    return out


def independent_scores(people: list[Person]) -> dict[str, float]:
    """Indicator means of one council computed from the typed answers, without the package.

    Respondent: mean of answered items (reverse-coded flipped as 6 - x), at least two answered;
    organisation: mean of its respondents; council: mean of its organisations.
    """
    by_indicator = defaultdict(list)
    for item in LIKERT:
        by_indicator[item["indicator"]].append(item)
    result = {}
    for indicator, items in by_indicator.items():
        per_org = defaultdict(list)
        for person in people:
            answers = [(6 - person.numbers[i["item_id"]]) if i["reverse_coded"] == "true" else person.numbers[i["item_id"]]
                       for i in items if person.numbers.get(i["item_id"]) is not None]
            if len(answers) >= 2:
                per_org[person.org_name].append(sum(answers) / len(answers))
        org_means = [sum(v) / len(v) for v in per_org.values()]
        result[indicator] = sum(org_means) / len(org_means) if org_means else float("nan")
    for number in ("stf_turnover_pct", "stf_vacancy_pct", "stf_caseload"):
        per_org = defaultdict(list)
        for person in people:
            if person.numbers[number] is not None:
                per_org[person.org_name].append(person.numbers[number])
        org_means = [sum(v) / len(v) for v in per_org.values() if v]
        result[number] = sum(org_means) / len(org_means) if org_means else float("nan")
    return result


def expected_indicators() -> list[str]:
    return sorted({i["indicator"] for i in LIKERT})


@pytest.fixture(scope="module")
def v1_template_path(folder) -> Path:
    """The first template (version 1: the 30 items, no notes_reviewed row), as councils were sent it."""
    return write_template(REGION, WAVE, folder / "north_east_2023-24_v1.xlsx", version="1")


def codes(reading) -> list[str]:
    return [p.code for p in reading.problems]


def only(reading, code: str):
    hits = [p for p in reading.problems if p.code == code]
    assert len(hits) == 1, (code, reading.problems)
    return hits[0]


# --- fixtures (imported by the conftest.py of tests/io/workbook and tests/workflows) ----------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("template")


@pytest.fixture(scope="module")
def template_path(folder) -> Path:
    return write_template(REGION, WAVE, folder / "north_east_2023-24.xlsx")


@pytest.fixture(scope="module")
def filled(folder, template_path) -> dict[str, tuple[Path, list[Person]]]:
    """Three councils' complete returns, each with its simulated people."""
    rng = np.random.default_rng(20240)
    out = {}
    for council, n_orgs, most in zip(COUNCILS, (3, 2, 3), (4, 2, 3), strict=True):  # Durham: 3-12 people; Gateshead: 2-4
        people = simulated_people(rng, council, n_orgs, most)
        stem = re.sub(r"\W+", "_", council.lower())
        out[council] = (fill(template_path, folder / f"{stem}.xlsx", council, people), people)
    return out


@pytest.fixture()
def good(folder, template_path, filled):
    """A function making a changed copy of Durham's good return."""
    def make(name: str, change=None, council: str = "County Durham") -> Path:
        return fill(template_path, folder / f"{name}.xlsx", council, filled["County Durham"][1], change)
    return make


def libreoffice() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if not found:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc); "
                    "the template's PDF check needs it")
    return found


# --- assurance workbooks (commissioners and providers) ----------------------------------------------------


def assurance_answers(kind: str, seed: int = 0, blank_every: int = 0) -> dict:
    """check_id -> (answer, source, date) for every check of `kind`, cycling through the scale's answers from
    `seed`; every `blank_every`-th check left blank (0: none)."""
    import datetime as dt

    from msp_analysis.io.workbook import assurance

    checks = assurance.assurance_checks(kind)
    out = {}
    for n, (check, scale) in enumerate(zip(checks["check_id"], checks["scale"], strict=True)):
        options = assurance.answer_options(scale)
        if blank_every and n % blank_every == blank_every - 1:
            out[check] = (None, None, None)
        else:
            out[check] = (options[(n + seed) % len(options)], f"audit {n}", dt.date(2024, 3, 1 + n % 28))
    return out


def assurance_fill(template: Path, out: Path, answers: dict, council: str | None = "Gateshead",
                   organisation: str | None = "Gateshead CCG", publish: str | None = None, change=None) -> Path:
    """Fill an assurance template as its commissioner or provider would; `change(ws, rows)` edits it further."""
    from msp_analysis.io.workbook import assurance

    wb = load_workbook(template)
    ws = wb["Assurance"]
    ws["B4"], ws["B5"], ws["B8"] = council, organisation, publish
    rows = {ws.cell(row=r, column=1).value: r for r in range(assurance.HEADER_ROW + 1, ws.max_row + 1)}
    for check, (answer, source, date) in answers.items():
        ws.cell(row=rows[check], column=assurance.ANSWER_COLUMN).value = answer
        ws.cell(row=rows[check], column=assurance.SOURCE_COLUMN).value = source
        ws.cell(row=rows[check], column=assurance.DATE_COLUMN).value = date
    if change is not None:
        change(ws, rows)
    wb.save(out)
    return out
