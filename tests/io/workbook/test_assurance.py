"""Assurance returns for commissioners and providers: template, fill, read, hostile returns."""

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from msp_analysis.io.workbook import assurance
from msp_analysis.io.workbook.template import write_template
from msp_analysis.reference import codebook
from msp_analysis.toolkit.errors import ParameterError

REGION, WAVE = "North East", "2023-24"


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assurance")
    return {kind: assurance.write_assurance_template(kind, REGION, WAVE, folder / f"{kind}.xlsx")
            for kind in assurance.KINDS}


def rows_of(ws):
    return {ws.cell(row=r, column=1).value: r for r in range(assurance.HEADER_ROW + 1, ws.max_row + 1)}


def fill(template, out, answers, council="Gateshead", organisation="Gateshead CCG", change=None):
    """`answers`: check_id -> (answer, source, date) for every check."""
    wb = load_workbook(template)
    ws = wb["Assurance"]
    ws["B4"], ws["B5"] = council, organisation
    rows = rows_of(ws)
    for check, (answer, source, date) in answers.items():
        ws.cell(row=rows[check], column=assurance.ANSWER_COLUMN).value = answer
        ws.cell(row=rows[check], column=assurance.SOURCE_COLUMN).value = source
        ws.cell(row=rows[check], column=assurance.DATE_COLUMN).value = date
    if change is not None:
        change(ws, rows)
    wb.save(out)
    return out


def all_answered(kind):
    checks = assurance.assurance_checks(kind)
    return {c: (assurance.answer_options(s)[n % len(assurance.answer_options(s))], f"audit {n}", dt.date(2024, 3, 1 + n % 28))
            for n, (c, s) in enumerate(zip(checks["check_id"], checks["scale"], strict=True))}


def test_the_commissioner_template_lists_table_1_evidence_verbatim_with_dropdowns(templates):
    wb = load_workbook(templates["commissioner"])
    assert wb.sheetnames == ["Instructions", "Assurance", "Councils", "_template"]
    assert wb["_template"].sheet_state == "hidden"
    ws = wb["Assurance"]
    rows = rows_of(ws)
    evidence = codebook.commissioner_evidence()
    assert list(rows) == list(evidence["evidence_id"])
    for row, text, column in zip(rows.values(), evidence["text"], evidence["table1_column"], strict=True):
        assert ws.cell(row=row, column=4).value == text and ws.cell(row=row, column=3).value == column
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list" and '"' in (dv.formula1 or "")]
    assert [dv.formula1 for dv in lists] == ['"Yes,No"', '"Yes,Partly,No"']  # B8: the name may be published
    assert [str(r) for r in lists[0].sqref.ranges] == ["B8"]
    answer_cells = {str(r) for dv in lists[1:] for r in dv.sqref.ranges}
    assert all(f"E{row}" in answer_cells for row in rows.values())
    assert ws.protection.sheet and not ws["E10"].protection.locked and ws["D10"].protection.locked


def test_the_provider_template_has_every_appendix_5_measure_and_appendix_3_check(templates):
    ws = load_workbook(templates["provider"])["Assurance"]
    rows = rows_of(ws)
    expected = list(codebook.success_measures()["measure_id"]) + list(codebook.provider_checklist()["check_id"])
    assert list(rows) == expected and len(rows) == 74 + 14
    scales = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list" and '"' in dv.formula1}
    assert scales == {'"Red,Red/Amber,Amber,Amber/Green,Green"', '"Yes,Partly,No"', '"Yes,No"'}


@pytest.mark.parametrize("kind", assurance.KINDS)
def test_a_filled_return_reads_back_exactly(templates, tmp_path, kind):
    answers = all_answered(kind)
    reading = assurance.read_assurance_return(fill(templates[kind], tmp_path / "filled.xlsx", answers))
    assert reading.status == "complete", reading.problems
    assert (reading.kind, reading.ons_code, reading.org_name) == (kind, "E08000037", "Gateshead CCG")
    got = {a["check_id"]: (a["answer"], a["source"], a["date"]) for a in reading.answers}
    assert got == {c: (a, s, d.isoformat()) for c, (a, s, d) in answers.items()}
    rows = assurance.assurance_rows(reading)
    assert len(rows) == len(answers) and set(rows["kind"]) == {kind}
    values = dict(zip(rows["answer"], rows["value"], strict=True))
    assert values.get("Yes", 2) == 2 and values.get("No", 0) == 0 and values.get("Green", 5) == 5


def test_hostile_cells_are_named_and_left_out(templates, tmp_path):
    answers = all_answered("commissioner")
    answers["wl_communication"] = ("=1+1", "", None)
    answers["ca_individualised"] = ("Maybe", "", None)
    answers["ef_supervision"] = ("Yes", "survey", "last spring")
    answers["sa_balance"] = (None, "", None)
    answers["re_complaints_shared"] = ("Partly", "", None)

    def change(ws, rows):
        ws.cell(row=rows["ef_mca_principles"], column=4).value = "staff know the MCA"

    reading = assurance.read_assurance_return(fill(templates["commissioner"], tmp_path / "bad.xlsx", answers, change=change))
    found = {(p.code, p.cell) for p in reading.problems}
    rows = rows_of(load_workbook(templates["commissioner"])["Assurance"])
    assert ("formula", f"E{rows['wl_communication']}") in found
    assert ("not_in_list", f"E{rows['ca_individualised']}") in found
    assert ("not_a_date", f"G{rows['ef_supervision']}") in found
    assert ("blank_answer", f"E{rows['sa_balance']}") in found
    assert ("edited_wording", f"D{rows['ef_mca_principles']}") in found
    assert ("no_source", f"F{rows['re_complaints_shared']}") in found  # a warning: the answer is kept
    assert reading.status == "incomplete"
    kept = {a["check_id"]: a["answer"] for a in reading.answers}
    assert kept["wl_communication"] is None and kept["ef_mca_principles"] is None and kept["re_complaints_shared"] == "Partly"


def test_other_files_are_refused_with_a_reason(templates, tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    assert assurance.read_assurance_return(text).status == "unreadable"
    assert assurance.read_assurance_return(tmp_path / "missing.xlsx").problems[0].code == "no_file"
    tc = write_template(REGION, WAVE, tmp_path / "tc.xlsx")
    assert [p.code for p in assurance.read_assurance_return(tc).problems] == ["missing_template_sheet"]
    wb = Workbook()
    wb.create_sheet("Assurance")
    wb.create_sheet("_template")["A1"] = "template_kind"
    wb["_template"]["B1"] = "temperature_check"
    wb.save(tmp_path / "other.xlsx")
    assert assurance.read_assurance_return(tmp_path / "other.xlsx").status == "wrong template version"
    outside = fill(templates["commissioner"], tmp_path / "outside.xlsx", all_answered("commissioner"), council="Leeds")
    assert [p.code for p in assurance.read_assurance_return(outside).problems] == ["unknown_council"]


def test_a_stray_cell_far_down_does_not_cost_a_million_rows(templates, tmp_path):
    def change(ws, rows):
        ws.cell(row=1_000_000, column=1).value = "stray"

    path = fill(templates["commissioner"], tmp_path / "stray.xlsx", all_answered("commissioner"), change=change)
    wb_cells = len(load_workbook(path)["Assurance"]._cells)
    reading = assurance.read_assurance_return(path)
    assert reading.status == "complete" and wb_cells < 1000


def test_bad_kind_region_or_name_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="commissioner, provider"):
        assurance.assurance_checks("inspector")
    with pytest.raises(ParameterError, match="--region"):
        assurance.build_assurance_template("provider", "Atlantis", WAVE)
    with pytest.raises(ParameterError, match=".xlsx"):
        assurance.write_assurance_template("provider", REGION, WAVE, tmp_path / "a.csv")


def test_an_assurance_file_over_the_return_size_limit_is_unreadable_without_being_opened(tmp_path):
    big = tmp_path / "huge.xlsx"
    with big.open("wb") as handle:  # sparse: 21 MB on paper, nothing on disk
        handle.truncate(21 * 1024 * 1024)
    reading = assurance.read_assurance_return(big)
    assert reading.unreadable and reading.status == "unreadable"
    assert [p.code for p in reading.problems] == ["not_a_workbook"] and "MB" in reading.problems[0].problem
    # the return limits are fixed, so the message says what to check, not an option that does not apply
    assert "--limit" not in reading.problems[0].problem and "from the template" in reading.problems[0].problem


# --- validation with feedback, and the commands ----------------------------------------------------------

def test_validation_writes_a_feedback_workbook_naming_each_cell_to_fix(templates, tmp_path):
    from msp_analysis.io.workbook.feedback import validate_assurance_returns

    answers = all_answered("commissioner")
    answers["ca_individualised"] = ("Maybe", "", None)
    bad = fill(templates["commissioner"], tmp_path / "bad.xlsx", answers)
    good = fill(templates["provider"], tmp_path / "good.xlsx", all_answered("provider"))
    summary = validate_assurance_returns([bad, good, tmp_path / "gone.xlsx"], feedback_dir=tmp_path / "fb")
    table = summary.returns.set_index("file")
    assert table.loc[str(good), "status"] == "complete" and table.loc[str(bad), "status"] == "incomplete"
    assert table.loc[str(tmp_path / "gone.xlsx"), "status"] == "unreadable" and not summary.all_complete
    row = rows_of(load_workbook(templates["commissioner"])["Assurance"])["ca_individualised"]
    ws = load_workbook(summary.feedback_files[str(bad)])["Feedback"]
    cells = [[c.value for c in r] for r in ws.iter_rows(min_col=1, max_col=5)]
    assert any(r[:2] == ["Status", "incomplete"] for r in cells)
    hit = [r for r in cells if r[1] == f"Assurance!E{row}"]
    assert hit and hit[0][0] == "error" and hit[0][3] == "Maybe" and "Yes, Partly, No" in hit[0][4]
    assert ws["A1"].value == "Assurance return (commissioner): feedback"
    assert "Gateshead (E08000037): commissioner 'Gateshead CCG' incomplete, 1 error" in summary.text()


def test_the_commands_write_the_templates_validate_and_clean(tmp_path, capsys):
    from msp_analysis.cli import main

    for kind in assurance.KINDS:
        assert main(["template", "assurance", "--kind", kind, "--region", REGION, "--wave", WAVE,
                     "--out", str(tmp_path / f"{kind}.xlsx")]) == 0
    assert main(["template", "assurance", "--region", REGION, "--wave", WAVE, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "needs --kind commissioner or --kind provider" in capsys.readouterr().err
    assert main(["template", "temperature-check", "--kind", "provider", "--region", REGION, "--wave", WAVE,
                 "--out", str(tmp_path / "y.xlsx")]) == 2
    filled = fill(tmp_path / "provider.xlsx", tmp_path / "filled.xlsx", all_answered("provider"))
    assert main(["validate", "assurance", str(filled), "--feedback", str(tmp_path / "fb")]) == 0
    assert (tmp_path / "fb" / "filled.feedback.xlsx").is_file()
    assert main(["validate", "assurance", str(filled), str(tmp_path / "commissioner.xlsx")]) == 1  # blank: incomplete
    capsys.readouterr()
    assert main(["clean", "assurance", str(filled), str(tmp_path / "commissioner.xlsx"), "--out",
                 str(tmp_path / "clean")]) == 0
    assert "assurance: 105 rows in, 88 clean, 17 rejected" in capsys.readouterr().out
    import json

    manifest = json.loads((tmp_path / "clean" / "assurance.manifest.json").read_text())
    assert manifest["reconciles"] and manifest["rows_in"] == 105
