"""Tests for msp_analysis.io.workbook.feedback: validating a batch of returns and the feedback workbooks."""

from openpyxl import load_workbook

from msp_analysis.io.workbook.feedback import validate_returns, write_feedback
from msp_analysis.io.workbook.returns import read_return, return_rows
from msp_analysis.reference import geography
from tests.io.workbook.filling import COUNCILS, REGION, WAVE, codes, row_of


def test_filled_returns_validate_as_complete_and_get_a_feedback_workbook(folder, filled):
    summary = validate_returns([p for p, _ in filled.values()], feedback_dir=folder / "feedback")
    table = summary.returns
    assert summary.all_complete and table["errors"].sum() == 0 and table["warnings"].sum() == 0
    assert set(table["council"]) == set(geography.councils(WAVE, REGION).set_index("ons_code").loc[
        [geography.resolve_council(c, WAVE) for c in COUNCILS], "name"])
    assert table["respondents"].tolist() == [len(people) for _, people in filled.values()]
    feedback = load_workbook(summary.feedback_files[str(filled["Gateshead"][0])])["Feedback"]
    texts = [c for row in feedback.iter_rows(values_only=True) for c in row if c]
    assert "complete" in texts and "No problems found." in texts
    assert "Gateshead (E08000037): complete [gateshead.xlsx]" in summary.text()


def test_not_a_workbook_is_unreadable(folder):
    junk = folder / "junk.xlsx"
    junk.write_text("this is not a spreadsheet")
    summary = validate_returns([junk, folder / "missing.xlsx"])
    assert summary.returns["status"].tolist() == ["unreadable", "unreadable"]
    assert codes(summary.readings[0]) == ["not_a_workbook"] and codes(summary.readings[1]) == ["no_file"]
    assert "(council not identified): unreadable" in summary.text()


def test_formula_like_text_is_written_as_text_in_feedback(good, folder):
    def hostile(wb):
        ws = wb["Return"]
        rows = row_of(ws)
        ws.cell(row=rows["org_name"], column=6).value = "=HYPERLINK(\"http://x\",\"y\")"
        ws.cell(row=rows["org_type"], column=6).value = "@SUM(1)"
        ws.cell(row=rows["sup_1"], column=6).value = "=1+1"
    reading = read_return(good("formula", hostile))
    path = write_feedback(reading, folder / "formula.feedback.xlsx")
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in risky} >= {"=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "=1+1"}
    assert all(c.quotePrefix for c in risky)
    assert codes(reading).count("formula") == 2 and "not_in_list" in codes(reading)
    assert return_rows(reading).loc[0, ["org_name", "org_type", "sup_1"]].eq("").all()
