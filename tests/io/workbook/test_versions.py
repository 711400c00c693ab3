"""Template versions: the current template (v2: item bank, notes_reviewed) and first-template (v1) returns,
each filled, read against its own items and cleaned, alone and together."""

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from msp_analysis.clean import clean_and_validate
from msp_analysis.io.workbook.returns import read_return, read_returns_frame, return_rows
from tests.io.workbook.filling import LABELS, V1_LIKERT, fill, row_of, simulated_people

BANK = ["lead_4", "car_1", "trn_2", "part_6"]


def _note(reviewed):
    def change(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.cell(row=rows["notes"], column=6).value = "Supervision got better after the review."
        ws.cell(row=rows["notes"], column=7).value = "Ring 0191 000 0000 about this"
        if "notes_reviewed" in rows:
            ws.cell(row=rows["notes_reviewed"], column=6).value = reviewed
            ws.cell(row=rows["notes_reviewed"], column=7).value = "No"
    return change


@pytest.fixture(scope="module")
def v2_return(folder, template_path):
    people = simulated_people(np.random.default_rng(7), "Gateshead", 2, 2)
    return fill(template_path, folder / "v2_gateshead.xlsx", "Gateshead", people, _note("Yes")), people


@pytest.fixture(scope="module")
def v1_return(folder, v1_template_path):
    people = simulated_people(np.random.default_rng(8), "Sunderland", 2, 2, likert=V1_LIKERT)
    return fill(v1_template_path, folder / "v1_sunderland.xlsx", "Sunderland", people, _note(None)), people


def test_a_current_return_reads_the_item_bank_and_whether_each_note_may_be_printed(v2_return):
    path, people = v2_return
    reading = read_return(path)
    assert reading.status == "complete", reading.problems
    assert reading.template_version == "2" and len(reading.items) == 68
    rows = return_rows(reading)
    assert len(rows) == len(people) and set(BANK) <= set(rows.columns)
    assert rows["notes_reviewed"].tolist()[:2] == ["yes", "no"]
    for person, row in zip(people, rows.itertuples(index=False), strict=True):
        for item in BANK:
            typed = person.numbers[item]
            assert getattr(row, item) == ("Don't know" if typed is None else LABELS[typed - 1])


def test_a_first_template_return_still_reads_against_its_own_30_items(v1_return):
    path, people = v1_return
    reading = read_return(path)
    assert reading.status == "complete", reading.problems
    assert reading.template_version == "1" and len(reading.items) == 30
    assert not any(p.code == "missing_item" for p in reading.problems)
    rows = return_rows(reading)
    assert not set(BANK) & set(rows.columns) and set(rows["notes_reviewed"]) == {""}
    for person, row in zip(people, rows.itertuples(index=False), strict=True):
        typed = person.numbers["sup_1"]
        assert row.sup_1 == ("Don't know" if typed is None else LABELS[typed - 1])


def test_v1_and_v2_returns_clean_together_each_with_its_own_items(v1_return, v2_return):
    frame = read_returns_frame([v1_return[0], v2_return[0]])
    result = clean_and_validate("temperature_check", frame, source=str(v1_return[0]))
    assert result.reconciles() and result.rows_rejected == 0
    assert result.rows_clean == len(v1_return[1]) + len(v2_return[1])
    clean = result.clean
    v1 = clean[clean["source_file"] == str(v1_return[0])]
    v2 = clean[clean["source_file"] == str(v2_return[0])]
    # a first-template respondent was not asked the bank: those answers are missing, never values
    assert v1.loc[v1["item_id"].isin(BANK), "value"].isna().all() and v1.loc[v1["item_id"].isin(BANK), "missing"].all()
    assert v2.loc[v2["item_id"].isin(BANK), "value"].notna().any()
    by_person = v2.drop_duplicates("respondent").set_index("respondent")["notes_reviewed"]
    assert by_person.tolist()[:2] == [True, False]
    assert not v1["notes_reviewed"].any()


def test_a_note_reviewed_answer_other_than_yes_or_no_is_named_at_its_cell(folder, template_path, v2_return):
    people = v2_return[1]
    path = fill(template_path, folder / "v2_maybe.xlsx", "Gateshead", people, _note("Maybe"))
    reading = read_return(path)
    rows = row_of(load_workbook(path)["Return"])
    hit = [p for p in reading.problems if p.cell == f"F{rows['notes_reviewed']}"]
    assert [p.code for p in hit] == ["not_in_list"] and "Yes or No" in hit[0].fix
    assert return_rows(reading)["notes_reviewed"].iloc[0] == ""  # not read as yes


def test_a_first_template_relabelled_as_version_2_is_refused(folder, v1_template_path, v1_return):
    def relabel(wb):
        _note(None)(wb)
        wb["_template"]["B2"] = "2"

    path = fill(v1_template_path, folder / "v1_relabelled.xlsx", "Sunderland", v1_return[1], relabel)
    reading = read_return(path)
    assert reading.status == "wrong template version"
    assert reading.problems[0].code == "other_instrument" and not reading.usable


def test_a_template_version_from_the_future_is_refused_naming_the_versions_read(folder, template_path, v2_return):
    def future(wb):
        wb["_template"]["B2"] = "3"

    reading = read_return(fill(template_path, folder / "v3.xlsx", "Gateshead", v2_return[1], future))
    assert reading.status == "wrong template version"
    problem = next(p for p in reading.problems if p.code == "old_template_version")
    assert "versions 1 and 2" in problem.problem


def test_a_v2_return_with_bank_rows_deleted_is_incomplete_not_shifted(folder, template_path, v2_return):
    def delete(wb):
        ws = wb["Return"]
        ws.delete_rows(row_of(ws)["car_1"])

    reading = read_return(fill(template_path, folder / "v2_deleted.xlsx", "Gateshead", v2_return[1], delete))
    assert reading.status == "incomplete"
    assert [p.code for p in reading.problems if p.severity == "error"] == ["missing_item"]
    rows = return_rows(reading)
    typed = v2_return[1][0].numbers["car_2"]
    assert rows["car_2"].iloc[0] == ("Don't know" if typed is None else LABELS[typed - 1])
    assert pd.isna(rows["car_1"].iloc[0]) or rows["car_1"].iloc[0] == ""
