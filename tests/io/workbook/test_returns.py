"""Tests for msp_analysis.io.workbook.returns: reading filled returns, hostile ones included, and their cleaner rows."""

import subprocess

import pytest
from openpyxl import load_workbook

from msp_analysis.io.workbook.returns import read_return, return_rows
from tests.io.workbook.filling import LABELS, codes, libreoffice, only, row_of


def test_older_template_version_is_reported(good):
    def older(wb):
        wb["_template"]["B2"] = "0"
    reading = read_return(good("older", older, council="Sunderland"))
    assert reading.status == "wrong template version"
    problem = only(reading, "old_template_version")
    assert problem.where == "_template!B2" and "version 0" in problem.problem and "fresh copy" in problem.fix


def test_edited_item_wording_is_reported_at_its_cell_and_its_answers_left_out(good):
    def edit(wb):
        ws = wb["Return"]
        ws.cell(row=row_of(ws)["sup_2"], column=2).value = "Supervision sometimes explores safeguarding."
    reading = read_return(good("edited", edit))
    row = row_of(load_workbook(good("edited", edit))["Return"])["sup_2"]
    problem = only(reading, "edited_wording")
    assert problem.where == f"Return!B{row}" and problem.value == "Supervision sometimes explores safeguarding."
    assert "Supervision explores how each enquiry is making safeguarding personal." in problem.fix
    assert reading.status == "incomplete"
    assert all(person.answers["sup_2"] is None for person in reading.respondents)
    assert return_rows(reading)["sup_2"].eq("").all()


def test_values_outside_the_dropdown_or_range_are_reported_with_their_cell(good):
    def outside(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.cell(row=rows["cmp_1"], column=6).value = "Quite agree"
        ws.cell(row=rows["stf_turnover_pct"], column=7).value = 150
        ws.cell(row=rows["org_type"], column=6).value = "Charity"
    path = good("outside", outside)
    rows = row_of(load_workbook(path)["Return"])
    reading = read_return(path)
    by_cell = {p.where: p for p in reading.problems}
    answer = by_cell[f"Return!F{rows['cmp_1']}"]
    assert (answer.code, answer.value) == ("not_in_list", "Quite agree") and "Strongly agree" in answer.fix
    number = by_cell[f"Return!G{rows['stf_turnover_pct']}"]
    assert (number.code, number.value) == ("out_of_range", "150") and "0 to 100" in number.fix
    assert by_cell[f"Return!F{rows['org_type']}"].code == "not_in_list"
    assert reading.status == "incomplete"
    frame = return_rows(reading)
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
    reading = read_return(path)
    extra_rows = [p for p in reading.problems if p.code == "extra_row"]
    assert [p.where for p in extra_rows] == [f"Return!B{rows['lead_2'] - 1}", f"Return!A{rows['Total']}"]
    assert "not read" in extra_rows[0].problem and "Notes row" in extra_rows[0].fix
    assert reading.status == "complete"  # a warning: nothing is lost
    people = filled["County Durham"][1]
    for person, read in zip(people, reading.respondents, strict=True):
        for item in ("lead_1", "lead_2", "part_3"):
            expected = "Don't know" if person.numbers[item] is None else LABELS[person.numbers[item] - 1]
            assert read.answers[item] == expected


def test_deleted_return_sheet_makes_the_return_unreadable_with_a_clear_message(good):
    def delete(wb):
        del wb["Return"]
    reading = read_return(good("deleted", delete))
    assert reading.status == "unreadable"
    problem = only(reading, "missing_sheet")
    assert problem.sheet == "Return" and "deleted or renamed" in problem.problem and "fresh copy" in problem.fix


def test_deleted_hidden_sheet_or_instructions_are_reported(good):
    def delete(wb):
        del wb["_template"]
        del wb["Instructions"]
    reading = read_return(good("deleted_hidden", delete))
    assert reading.status == "wrong template version"
    assert only(reading, "missing_template_sheet").sheet == "_template"
    assert only(reading, "missing_sheet").severity == "warning"


def test_renamed_return_sheet_is_still_read_with_a_warning(good):
    def rename(wb):
        wb["Return"].title = "Durham answers"
    reading = read_return(good("renamed", rename))
    assert reading.status == "complete" and only(reading, "renamed_sheet").sheet == "Durham answers"
    assert reading.respondents


def test_blank_answers_council_and_other_region_make_a_return_incomplete(good):
    def blanks(wb):
        ws = wb["Return"]
        ws.cell(row=row_of(ws)["mca_1"], column=6).value = None
    reading = read_return(good("blank", blanks, council=None))
    assert {"no_council", "blank_answer"} <= set(codes(reading)) and reading.blank_answers == 1
    assert only(reading, "no_council").where == "Return!B4"
    reading = read_return(good("elsewhere", council="Leeds"))
    assert only(reading, "council_outside_region").problem == "Leeds is in Yorkshire and the Humber, not in North East"


def test_percentage_formatted_number_is_read_as_percent_with_a_warning(good):
    def percent(wb):
        ws = wb["Return"]
        cell = ws.cell(row=row_of(ws)["stf_vacancy_pct"], column=6)
        cell.value, cell.number_format = 0.125, "0.0%"
    reading = read_return(good("percent", percent))
    assert reading.respondents[0].answers["stf_vacancy_pct"] == "12.5"
    assert only(reading, "percent_format").severity == "warning"


@pytest.mark.long
def test_a_return_saved_by_libreoffice_reads_the_same(filled, folder):
    soffice = libreoffice()
    source = filled["County Durham"][0]
    out = folder / "saved_by_libreoffice"
    done = subprocess.run([soffice, f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless",
                           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    original, resaved = read_return(source), read_return(out / source.name)
    assert resaved.status == "complete" and not resaved.problems
    assert [p.answers for p in resaved.respondents] == [p.answers for p in original.respondents]
    assert return_rows(resaved).drop(columns="_source_file").equals(
        return_rows(original).drop(columns="_source_file"))
