"""Tests for msp_analysis.io.workbook: template → fill → validate → pack, hostile returns, LibreOffice.

The round trip fills the generated template with simulated answers through openpyxl (as a
council's spreadsheet would), validates and packs the returns, and checks the headline
scores against scores computed here, independently, from the answers that were typed in.
"""

import csv
import hashlib
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import msp_analysis
from msp_analysis.io import workbook as tpl
from msp_analysis.reference import geography
from msp_analysis.toolkit.errors import ParameterError

REGION, WAVE = "North East", "2023-24"
INSTRUMENT_CSV = Path(msp_analysis.__file__).parent / "reference" / "codebook" / "instrument.csv"
with open(INSTRUMENT_CSV, encoding="utf-8", newline="") as _handle:
    ITEMS = list(csv.DictReader(_handle))
LIKERT = [i for i in ITEMS if i["answer_scale"] == "likert5"]
LABELS = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
NUMBER_ITEMS = {i["item_id"] for i in ITEMS if i["answer_scale"] in ("percent", "number")}
COUNCILS = ["County Durham", "Gateshead", "Newcastle upon Tyne"]


# --- helpers: fill a template as a council would ------------------------------------------------


@dataclass
class Person:
    org_name: str
    org_type: str
    role: str
    numbers: dict  # item -> 1-5 or None ("Don't know"), staffing item -> float or None


def simulated_people(rng: np.random.Generator, council: str, n_orgs: int, most: int) -> list[Person]:
    """`n_orgs` organisations with one to `most` people each, answers drawn at random."""
    people = []
    orgs = [(f"{council} Council", "Local authority"), (f"{council} NHS Trust", "NHS trust"),
            (f"{council} Care Homes Ltd", "Care provider")][:n_orgs]
    for org_name, org_type in orgs:
        for _ in range(int(rng.integers(1, most + 1))):
            numbers = {i["item_id"]: (None if rng.random() < 0.08 else int(rng.integers(1, 6))) for i in LIKERT}
            numbers["stf_turnover_pct"] = round(float(rng.uniform(5, 40)), 1)
            numbers["stf_vacancy_pct"] = None if rng.random() < 0.3 else round(float(rng.uniform(0, 25)), 1)
            numbers["stf_caseload"] = round(float(rng.uniform(5, 30)), 1)
            people.append(Person(org_name, org_type, str(rng.choice(tpl.RESPONDENT_ROLES)), numbers))
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
                       for i in items if person.numbers[i["item_id"]] is not None]
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


def codes(reading) -> list[str]:
    return [p.code for p in reading.problems]


def only(reading, code: str):
    hits = [p for p in reading.problems if p.code == code]
    assert len(hits) == 1, (code, reading.problems)
    return hits[0]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("template")


@pytest.fixture(scope="module")
def template_path(folder) -> Path:
    return tpl.write_template(REGION, WAVE, folder / "north_east_2023-24.xlsx")


@pytest.fixture(scope="module")
def filled(folder, template_path) -> dict[str, tuple[Path, list[Person]]]:
    """Three councils' complete returns, each with its simulated people."""
    rng = np.random.default_rng(20240)
    out = {}
    for council, n_orgs, most in zip(COUNCILS, (3, 2, 3), (4, 2, 3)):  # Durham: 3-12 people; Gateshead: 2-4
        people = simulated_people(rng, council, n_orgs, most)
        stem = re.sub(r"\W+", "_", council.lower())
        out[council] = (fill(template_path, folder / f"{stem}.xlsx", council, people), people)
    return out


@pytest.fixture(scope="module")
def packed(folder, filled):
    paths = [path for path, _ in filled.values()]
    return tpl.pack(REGION, WAVE, paths, folder / "pack", render=False)


@pytest.fixture()
def good(folder, template_path, filled):
    """A function making a changed copy of Durham's good return."""
    def make(name: str, change=None, council: str = "County Durham") -> Path:
        return fill(template_path, folder / f"{name}.xlsx", council, filled["County Durham"][1], change)
    return make


# --- the template ---------------------------------------------------------------------------------


def test_template_has_instructions_return_councils_and_hidden_version(template_path):
    wb = load_workbook(template_path)
    assert wb.sheetnames == ["Instructions", "Return", "Councils", "_template"]
    assert wb["_template"].sheet_state == "hidden"
    meta = {r[0]: r[1] for r in wb["_template"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert meta["template_version"] == tpl.TEMPLATE_VERSION
    assert meta["instrument_sha256"] == hashlib.sha256(INSTRUMENT_CSV.read_bytes()).hexdigest()
    assert (meta["region"], meta["wave"]) == (REGION, WAVE)
    instructions = " ".join(str(c) for (c,) in wb["Instructions"].iter_rows(max_col=1, values_only=True) if c)
    for phrase in ("Leadership", "Mental Capacity Act", "Prevention", "Partnership", "Empowerment",
                   "Proportionality", "Accountability", "Don't know", REGION, WAVE):
        assert phrase in instructions


def test_return_sheet_has_one_row_per_item_with_its_indicator_and_key_question(template_path):
    ws = load_workbook(template_path)["Return"]
    rows = row_of(ws)
    themes = {"complaints_learning": "learning from complaints", "mca": "Mental Capacity Act awareness",
              "engagement": "engaging people who use services"}
    for item in ITEMS:
        row = rows[item["item_id"]]
        assert ws.cell(row=row, column=2).value == item["wording"]
        assert ws.cell(row=row, column=3).value == themes.get(item["indicator"], item["indicator"])
        assert ws.cell(row=row, column=4).value == item["cqc_key_question"]
    assert [ws.cell(row=tpl.HEADER_ROW, column=c).value for c in (6, 15)] == ["Person 1", "Person 10"]


def test_every_answer_cell_has_a_dropdown_or_a_range_check(template_path):
    ws = load_workbook(template_path)["Return"]
    rows = row_of(ws)
    rules = ws.data_validations.dataValidation

    def rule_for(cell: str):
        hits = [dv for dv in rules if cell in dv.sqref]
        assert len(hits) == 1, cell
        return hits[0]

    for item in ITEMS:
        for letter in ("F", "O"):
            dv = rule_for(f"{letter}{rows[item['item_id']]}")
            if item["answer_scale"] == "likert5":
                assert dv.type == "list" and dv.formula1 == '"' + ",".join(LABELS + ["Don't know"]) + '"'
            else:
                high = "100" if item["answer_scale"] == "percent" else "200"
                assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", high)
            assert dv.showErrorMessage
    assert rule_for(f"F{rows['org_type']}").formula1.startswith('"Local authority,')
    council = rule_for("B4")
    names = geography.councils(WAVE, REGION)["name"].tolist()
    assert council.formula1 == f"Councils!$A$2:$A${len(names) + 1}"
    listed = [r[0] for r in load_workbook(template_path)["Councils"].iter_rows(min_row=2, max_col=1, values_only=True)]
    assert listed == names


def test_rag_template_asks_positive_items_on_rag_and_keeps_reversed_items_on_likert(folder):
    ws = load_workbook(tpl.write_template(REGION, WAVE, folder / "rag.xlsx", scale="rag"))["Return"]
    rows = row_of(ws)
    rule = {cell: dv for dv in ws.data_validations.dataValidation for cell in [f"F{rows['sup_1']}", f"F{rows['sup_3']}"]
            if cell in dv.sqref}
    assert rule[f"F{rows['sup_1']}"].formula1 == '"Red,Red/Amber,Amber,Amber/Green,Green,Don\'t know"'
    assert rule[f"F{rows['sup_3']}"].formula1.startswith('"Strongly disagree')


def test_bad_region_wave_or_file_name_is_a_parameter_error(folder):
    with pytest.raises(ParameterError, match="region"):
        tpl.write_template("Middle Earth", WAVE, folder / "x.xlsx")
    with pytest.raises(ParameterError, match="wave"):
        tpl.write_template(REGION, "2031-32", folder / "x.xlsx")
    with pytest.raises(ParameterError, match=".xlsx"):
        tpl.write_template(REGION, WAVE, folder / "x.csv")


# --- round trip -----------------------------------------------------------------------------------


def test_filled_returns_validate_as_complete_and_get_a_feedback_workbook(folder, filled):
    summary = tpl.validate_returns([p for p, _ in filled.values()], feedback_dir=folder / "feedback")
    table = summary.returns
    assert summary.all_complete and table["errors"].sum() == 0 and table["warnings"].sum() == 0
    assert set(table["council"]) == set(geography.councils(WAVE, REGION).set_index("ons_code").loc[
        [geography.resolve_council(c, WAVE) for c in COUNCILS], "name"])
    assert table["respondents"].tolist() == [len(people) for _, people in filled.values()]
    feedback = load_workbook(summary.feedback_files[str(filled["Gateshead"][0])])["Feedback"]
    texts = [c for row in feedback.iter_rows(values_only=True) for c in row if c]
    assert "complete" in texts and "No problems found." in texts
    assert "Gateshead (E08000037): complete [gateshead.xlsx]" in summary.text()


def test_pack_headline_scores_equal_scores_computed_from_the_typed_answers(packed, filled):
    headline = packed.headline.set_index("ons_code")
    indicators = sorted({i["indicator"] for i in LIKERT})
    expected_region = defaultdict(list)
    for council, (_, people) in filled.items():
        code = geography.resolve_council(council, WAVE)
        expected = independent_scores(people)
        for name, value in expected.items():
            assert headline.loc[code, name] == pytest.approx(value, abs=1e-12), (council, name)
            expected_region[name].append(value)
        assert headline.loc[code, "n_respondents"] == len(people)
    region_row = packed.headline[packed.headline["ons_code"] == ""].iloc[0]
    for name in indicators:
        assert region_row[name] == pytest.approx(np.mean(expected_region[name]), abs=1e-12)
    written = pd.read_csv(packed.files["headline.csv"], dtype={"ons_code": str}).fillna({"ons_code": ""})
    assert np.allclose(written[indicators].to_numpy(float), packed.headline[indicators].to_numpy(float))


def _report_rows(table) -> dict[str, list[str]]:
    return {row[0]: list(row[1:]) for row in table.display.itertuples(index=False, name=None)}


def test_regional_report_scores_equal_scores_computed_from_the_typed_answers(packed, filled):
    from msp_analysis.disclosure.policies import get_policy
    from msp_analysis.io import processed as io
    from msp_analysis.reporting.content.locality import INDICATOR_LABELS
    from msp_analysis.reporting.content.temperature_check import (
        build_temperature_check_report,
    )

    indicator_of = {label: indicator for indicator, label in INDICATOR_LABELS.items()}

    policy = get_policy("sac")
    clean = io.read_clean("temperature_check", packed.out_dir)
    report = build_temperature_check_report(clean, REGION, WAVE, policy)
    table = report.heatmap.tables[0]
    rows = _report_rows(table)
    labels = list(table.display.columns[1:])
    names = geography.councils(WAVE).set_index("ons_code")["name"]
    shown = 0
    for council, (_, people) in filled.items():
        row = rows[names[geography.resolve_council(council, WAVE)]]
        expected = independent_scores(people)
        for label, value in zip(labels, row):
            indicator = indicator_of[label]
            if policy.is_suppressed(len(people)):
                assert not re.fullmatch(r"\d\.\d\d", value), (council, label, value)
            else:
                assert float(value) == pytest.approx(round(expected[indicator], 2), abs=0.0051), (council, label)
                shown += 1
    assert shown >= len(expected_indicators()), "at least one council's scores are shown"


def expected_indicators() -> list[str]:
    return sorted({i["indicator"] for i in LIKERT})


def test_pack_writes_clean_outputs_that_reconcile_and_a_coverage_table(packed, filled):
    assert packed.clean.reconciles() and packed.clean.rejects.empty
    assert packed.clean.rows_in == sum(len(people) for _, people in filled.values())
    for name in ("temperature_check.parquet", "temperature_check.rejects.csv", "temperature_check.manifest.json",
                 "scores.csv", "coverage.csv", "validation.csv", "problems.csv", "temperature_check.returns.csv"):
        assert packed.files[name].is_file(), name
    assert "z_supervision" in packed.scores.columns
    coverage = packed.coverage.set_index("council")
    councils = geography.councils(WAVE, REGION)
    assert len(coverage) == len(councils)
    returned = coverage[coverage["returned"] == "yes"]
    assert sorted(returned["ons_code"]) == sorted(geography.resolve_council(c, WAVE) for c in COUNCILS)
    assert (returned["status"] == "complete").all() and (returned["in_scores"] == "yes").all()
    missing = coverage[coverage["returned"] == "no"]
    assert len(missing) == len(councils) - 3 and (missing["status"] == "not returned").all()
    assert "not returned: " in packed.text() and "Hartlepool" in packed.text()
    assert packed.report.startswith("not rendered")


# --- hostile returns --------------------------------------------------------------------------------


def test_older_template_version_is_reported_and_left_out_of_the_pack(good, folder, filled):
    def older(wb):
        wb["_template"]["B2"] = "0"
    path = good("older", older, council="Sunderland")
    reading = tpl.read_return(path)
    assert reading.status == "wrong template version"
    problem = only(reading, "old_template_version")
    assert problem.where == "_template!B2" and "version 0" in problem.problem and "fresh copy" in problem.fix
    result = tpl.pack(REGION, WAVE, [filled["Gateshead"][0], path], folder / "pack_older", render=False)
    sunderland = result.coverage.set_index("council").loc["Sunderland"]
    assert (sunderland["returned"], sunderland["status"], sunderland["in_scores"]) == (
        "yes", "wrong template version", "no")
    assert set(result.headline["ons_code"]) == {geography.resolve_council("Gateshead", WAVE), ""}


def test_edited_item_wording_is_reported_at_its_cell_and_its_answers_left_out(good):
    def edit(wb):
        ws = wb["Return"]
        ws.cell(row=row_of(ws)["sup_2"], column=2).value = "Supervision sometimes explores safeguarding."
    reading = tpl.read_return(good("edited", edit))
    row = row_of(load_workbook(good("edited", edit))["Return"])["sup_2"]
    problem = only(reading, "edited_wording")
    assert problem.where == f"Return!B{row}" and problem.value == "Supervision sometimes explores safeguarding."
    assert "Supervision explores how each enquiry is making safeguarding personal." in problem.fix
    assert reading.status == "incomplete"
    assert all(person.answers["sup_2"] is None for person in reading.respondents)
    assert tpl.return_rows(reading)["sup_2"].eq("").all()


def test_values_outside_the_dropdown_or_range_are_reported_with_their_cell(good):
    def outside(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.cell(row=rows["cmp_1"], column=6).value = "Quite agree"
        ws.cell(row=rows["stf_turnover_pct"], column=7).value = 150
        ws.cell(row=rows["org_type"], column=6).value = "Charity"
    path = good("outside", outside)
    rows = row_of(load_workbook(path)["Return"])
    reading = tpl.read_return(path)
    by_cell = {p.where: p for p in reading.problems}
    answer = by_cell[f"Return!F{rows['cmp_1']}"]
    assert (answer.code, answer.value) == ("not_in_list", "Quite agree") and "Strongly agree" in answer.fix
    number = by_cell[f"Return!G{rows['stf_turnover_pct']}"]
    assert (number.code, number.value) == ("out_of_range", "150") and "0 to 100" in number.fix
    assert by_cell[f"Return!F{rows['org_type']}"].code == "not_in_list"
    assert reading.status == "incomplete"
    frame = tpl.return_rows(reading)
    assert frame.loc[0, "cmp_1"] == "" and frame.loc[1, "stf_turnover_pct"] == ""


def test_extra_rows_are_reported_and_do_not_shift_answers(good, filled):
    def extra(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.insert_rows(rows["lead_2"])  # a council's own question in the middle
        ws.cell(row=rows["lead_2"], column=2).value = "Our own question about team away days"
        ws.cell(row=rows["lead_2"], column=6).value = "Agree"
        ws.cell(row=ws.max_row + 2, column=1).value = "Total"
    path = good("extra_rows", extra)
    rows = row_of(load_workbook(path)["Return"])
    reading = tpl.read_return(path)
    extra_rows = [p for p in reading.problems if p.code == "extra_row"]
    assert [p.where for p in extra_rows] == [f"Return!B{rows['lead_2'] - 1}", f"Return!A{rows['Total']}"]
    assert "not read" in extra_rows[0].problem and "Notes row" in extra_rows[0].fix
    assert reading.status == "complete"  # a warning: nothing is lost
    people = filled["County Durham"][1]
    for person, read in zip(people, reading.respondents):
        for item in ("lead_1", "lead_2", "part_3"):
            expected = "Don't know" if person.numbers[item] is None else LABELS[person.numbers[item] - 1]
            assert read.answers[item] == expected


def test_deleted_return_sheet_makes_the_return_unreadable_with_a_clear_message(good):
    def delete(wb):
        del wb["Return"]
    reading = tpl.read_return(good("deleted", delete))
    assert reading.status == "unreadable"
    problem = only(reading, "missing_sheet")
    assert problem.sheet == "Return" and "deleted or renamed" in problem.problem and "fresh copy" in problem.fix


def test_deleted_hidden_sheet_or_instructions_are_reported(good):
    def delete(wb):
        del wb["_template"]
        del wb["Instructions"]
    reading = tpl.read_return(good("deleted_hidden", delete))
    assert reading.status == "wrong template version"
    assert only(reading, "missing_template_sheet").sheet == "_template"
    assert only(reading, "missing_sheet").severity == "warning"


def test_renamed_return_sheet_is_still_read_with_a_warning(good):
    def rename(wb):
        wb["Return"].title = "Durham answers"
    reading = tpl.read_return(good("renamed", rename))
    assert reading.status == "complete" and only(reading, "renamed_sheet").sheet == "Durham answers"
    assert reading.respondents


def test_cleaner_rejects_in_the_pack_point_at_template_cells(good, folder, filled):
    no_council = good("no_council_pack", council=None)
    other_wave = tpl.write_template(REGION, "2022-23", folder / "ne_2022-23.xlsx")
    old_wave = fill(other_wave, folder / "sunderland_2022-23.xlsx", "Sunderland", filled["Gateshead"][1])
    result = tpl.pack(REGION, WAVE, [no_council, old_wave, filled["Gateshead"][0]], folder / "pack_rejects",
                      render=False)
    rejects = pd.read_csv(result.files["temperature_check.rejects.csv"])
    assert set(rejects["column"]) == {"Return!B4"} and set(rejects["row"]) == {4}
    assert rejects["reason"].str.startswith("no council code").all()
    assert len(rejects) == len(filled["County Durham"][1]) and result.clean.reconciles()
    coverage = result.coverage.set_index("council")
    assert coverage.loc["Sunderland", "status"] == "template of another region or wave"
    assert coverage.loc["(not identified)", "note"].startswith("council not identified")


def test_blank_answers_council_and_other_region_make_a_return_incomplete(good):
    def blanks(wb):
        ws = wb["Return"]
        ws.cell(row=row_of(ws)["mca_1"], column=6).value = None
    reading = tpl.read_return(good("blank", blanks, council=None))
    assert {"no_council", "blank_answer"} <= set(codes(reading)) and reading.blank_answers == 1
    assert only(reading, "no_council").where == "Return!B4"
    reading = tpl.read_return(good("elsewhere", council="Leeds"))
    assert only(reading, "council_outside_region").problem == "Leeds is in Yorkshire and the Humber, not in North East"


def test_not_a_workbook_is_unreadable(folder):
    junk = folder / "junk.xlsx"
    junk.write_text("this is not a spreadsheet")
    summary = tpl.validate_returns([junk, folder / "missing.xlsx"])
    assert summary.returns["status"].tolist() == ["unreadable", "unreadable"]
    assert codes(summary.readings[0]) == ["not_a_workbook"] and codes(summary.readings[1]) == ["no_file"]
    assert "(council not identified): unreadable" in summary.text()


def test_percentage_formatted_number_is_read_as_percent_with_a_warning(good):
    def percent(wb):
        ws = wb["Return"]
        cell = ws.cell(row=row_of(ws)["stf_vacancy_pct"], column=6)
        cell.value, cell.number_format = 0.125, "0.0%"
    reading = tpl.read_return(good("percent", percent))
    assert reading.respondents[0].answers["stf_vacancy_pct"] == "12.5"
    assert only(reading, "percent_format").severity == "warning"


def test_formula_like_text_is_written_as_text_in_feedback(good, folder):
    def hostile(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.cell(row=rows["org_name"], column=6).value = "=HYPERLINK(\"http://x\",\"y\")"
        ws.cell(row=rows["org_type"], column=6).value = "@SUM(1)"
        ws.cell(row=rows["sup_1"], column=6).value = "=1+1"
    reading = tpl.read_return(good("formula", hostile))
    path = tpl.write_feedback(reading, folder / "formula.feedback.xlsx")
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in risky} >= {"=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "=1+1"}
    assert all(c.quotePrefix for c in risky)
    assert codes(reading).count("formula") == 2 and "not_in_list" in codes(reading)
    assert tpl.return_rows(reading).loc[0, ["org_name", "org_type", "sup_1"]].eq("").all()


@pytest.mark.slow
def test_pack_renders_the_regional_report_with_the_scores(folder, filled, packed):
    result = tpl.pack(REGION, WAVE, [path for path, _ in filled.values()], folder / "pack_rendered")
    assert result.report.startswith("rendered"), result.report
    assert result.files["index.html"].is_file() and not result.report_failed
    page = next((folder / "pack_rendered").glob("temperature_check_*.html")).read_text(encoding="utf-8")
    durham = geography.councils(WAVE).set_index("ons_code").loc[geography.resolve_council("County Durham", WAVE), "name"]
    rows = [re.findall(r"<td class=\"?num\"?>([^<]*)</td>", row)
            for row in re.findall(rf"<tr><th scope=\"row\">{durham}</th>(.*?)</tr>", page)]
    scores = [cells for cells in rows if len(cells) == len(expected_indicators())]
    assert len(scores) == 1, "Durham's row of the heatmap table"
    expected = independent_scores(filled["County Durham"][1])
    assert sorted(float(c) for c in scores[0]) == pytest.approx(
        sorted(round(expected[i], 2) for i in expected_indicators()), abs=0.0051)


# --- LibreOffice ------------------------------------------------------------------------------------


def _libreoffice() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if not found:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc); "
                    "the template's PDF check needs it")
    return found


def test_template_opens_in_libreoffice_and_converts_to_pdf(template_path, folder):
    soffice = _libreoffice()
    out = folder / "pdf"
    profile = (folder / "lo-profile").as_uri()
    done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(out), str(template_path)], capture_output=True, text=True, timeout=180)
    pdf = out / (template_path.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2  # instructions and the return at least
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        assert REGION in text and "Person 1" in text and "sup_1" in text and "Hartlepool" in text
        assert "instrument_sha256" not in text  # the hidden sheet is not printed


def test_a_return_saved_by_libreoffice_reads_the_same(filled, folder):
    soffice = _libreoffice()
    source = filled["County Durham"][0]
    out = folder / "saved_by_libreoffice"
    done = subprocess.run([soffice, f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless",
                           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    original, resaved = tpl.read_return(source), tpl.read_return(out / source.name)
    assert resaved.status == "complete" and not resaved.problems
    assert [p.answers for p in resaved.respondents] == [p.answers for p in original.respondents]
    assert tpl.return_rows(resaved).drop(columns="_source_file").equals(
        tpl.return_rows(original).drop(columns="_source_file"))
