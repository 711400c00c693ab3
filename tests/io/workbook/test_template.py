"""Tests for msp_analysis.io.workbook.template: the return template's sheets, dropdowns and checks, LibreOffice."""

import hashlib
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from msp_analysis import __version__
from msp_analysis.io.workbook import layout
from msp_analysis.io.workbook.template import write_template
from msp_analysis.reference import geography
from msp_analysis.toolkit.errors import ParameterError
from tests.io.workbook.filling import INSTRUMENT_CSV, ITEMS, LABELS, REGION, V1_ITEMS, WAVE, libreoffice, row_of

FIRST_TEMPLATE_CHECKSUM = "c09ebfa63660d278f4ccd4f58edd2b7b3f7a1014312497b975e997350b28a52f"


def test_template_has_instructions_return_councils_and_hidden_version(template_path):
    wb = load_workbook(template_path)
    assert wb.sheetnames == ["Instructions", "Return", "Councils", "_template"]
    assert wb["_template"].sheet_state == "hidden"
    meta = {r[0]: r[1] for r in wb["_template"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert meta["template_version"] == layout.TEMPLATE_VERSION == "2"
    # version 2 asks the item bank too, so its questions have their own checksum
    assert meta["instrument_sha256"] == layout.questions_checksum(layout.instrument(include_bank=True)) \
        == layout.instrument_checksum() != FIRST_TEMPLATE_CHECKSUM
    assert (meta["region"], meta["wave"]) == (REGION, WAVE)
    instructions = " ".join(str(c) for (c,) in wb["Instructions"].iter_rows(max_col=1, values_only=True) if c)
    for phrase in ("Leadership", "Mental Capacity Act", "Prevention", "Partnership", "Empowerment",
                   "Proportionality", "Accountability", "Don't know", REGION, WAVE):
        assert phrase in instructions


def test_the_first_template_keeps_its_published_checksum_and_its_30_items(v1_template_path):
    # the first template's question set keeps the checksum it was published with (sha256 of instrument.csv as then
    # shipped), so returns filled in from it still read after tags were corrected and the item bank added
    wb = load_workbook(v1_template_path)
    meta = {r[0]: r[1] for r in wb["_template"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert meta["template_version"] == "1"
    assert meta["instrument_sha256"] == FIRST_TEMPLATE_CHECKSUM == layout.instrument_checksum(layout.version_items("1"))
    rows = row_of(wb["Return"])
    assert [i for i in rows if i in {item["item_id"] for item in ITEMS}] == [i["item_id"] for i in V1_ITEMS]
    assert "notes_reviewed" not in rows and "notes" in rows


def test_the_current_template_asks_the_item_bank_and_whether_each_note_may_be_printed(template_path):
    ws = load_workbook(template_path)["Return"]
    rows = row_of(ws)
    bank = [i["item_id"] for i in ITEMS if i["asked"] == "bank"]
    assert len(bank) == 38 and all(i in rows for i in bank)
    assert rows["notes_reviewed"] == rows["notes"] + 1
    lists = [dv for dv in ws.data_validations.dataValidation if f"F{rows['notes_reviewed']}" in dv.sqref]
    assert [dv.formula1 for dv in lists] == ['"Yes,No"']
    assert not ws.cell(row=rows["notes_reviewed"], column=15).protection.locked


def test_return_sheet_has_one_row_per_item_with_its_indicator_and_key_question(template_path):
    ws = load_workbook(template_path)["Return"]
    rows = row_of(ws)
    themes = {"complaints_learning": "learning from complaints", "mca": "Mental Capacity Act awareness",
              "engagement": "engaging people who use services"}
    for item in ITEMS:
        row = rows[item["item_id"]]
        assert ws.cell(row=row, column=2).value == item["wording"]
        assert ws.cell(row=row, column=3).value == themes.get(item["indicator"], item["indicator"])
        assert ws.cell(row=row, column=4).value == item["table1_column"]
    # the key question is the one the resource's Table 1 gives the passage (staffing levels: Effective, not Safe)
    assert [ws.cell(row=rows[i], column=4).value for i in ("stf_1", "prev_2", "part_3")] == [
        "Effective", "Responsive", "Effective"]
    assert [ws.cell(row=layout.HEADER_ROW, column=c).value for c in (6, 15)] == ["Person 1", "Person 10"]


def test_the_checksum_follows_the_questions_not_the_tags():
    items = layout.instrument()
    assert layout.questions_checksum(items) != hashlib.sha256(INSTRUMENT_CSV.read_bytes()).hexdigest()
    retagged = items.assign(cqc_key_question="Safe", source="")
    assert layout.questions_checksum(retagged) == layout.questions_checksum(items)
    reworded = items.copy()
    reworded.loc[0, "wording"] += " (edited)"
    assert layout.questions_checksum(reworded) != layout.questions_checksum(items)
    assert layout.questions_checksum(items.iloc[::-1]) != layout.questions_checksum(items)


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
    ws = load_workbook(write_template(REGION, WAVE, folder / "rag.xlsx", scale="rag"))["Return"]
    rows = row_of(ws)
    rule = {cell: dv for dv in ws.data_validations.dataValidation for cell in [f"F{rows['sup_1']}", f"F{rows['sup_3']}"]
            if cell in dv.sqref}
    assert rule[f"F{rows['sup_1']}"].formula1 == '"Red,Red/Amber,Amber,Amber/Green,Green,Don\'t know"'
    assert rule[f"F{rows['sup_3']}"].formula1.startswith('"Strongly disagree')


def test_bad_region_wave_or_file_name_is_a_parameter_error(folder):
    with pytest.raises(ParameterError, match="region"):
        write_template("Middle Earth", WAVE, folder / "x.xlsx")
    with pytest.raises(ParameterError, match="wave"):
        write_template(REGION, "2031-32", folder / "x.xlsx")
    with pytest.raises(ParameterError, match=".xlsx"):
        write_template(REGION, WAVE, folder / "x.csv")


# The Instructions sheet of North East 2023-24 as it was written before its prose moved to the codebook
# (return_instructions.csv, essential_steps.csv, safeguarding_principles.csv, template_themes.csv).
INSTRUCTIONS = [
    ("title", "Making Safeguarding Personal: culture temperature check, North East, 2023-24"),
    ("", ""),
    ("heading", "What this is"),
    ("text", "Making Safeguarding Personal means safeguarding that is led by the person and focused on the "
             "outcomes they want, improving their wellbeing as well as their safety. It depends on the culture of "
             "the organisations involved: how staff are supervised and supported, whether there are enough of "
             "them, and whether complaints are learned from."),
    ("text", "Your ADASS region (North East) is asking each council and its partners to rate that culture. The "
             "statements come from the Local Government Association and ADASS resource on Making Safeguarding "
             "Personal for commissioners and providers of health and social care (2017)."),
    ("", ""),
    ("heading", "How to fill it in"),
    ("text", "1. Go to the Return sheet and choose your council from the list in cell B4."),
    ("text", "2. Each column Person 1 to Person 10 is one person answering. At the top of the column write the "
             "name of their organisation and choose its type. Several people from the same organisation should "
             "write its name the same way."),
    ("text", "3. For each statement click the yellow cell and pick an answer from the list. If the person does not "
             "know, pick \"Don't know\" rather than leaving the cell empty."),
    ("text", "4. Staffing figures (turnover %, vacancy %, average caseload) are numbers only, e.g. 12.5. Leave "
             "them empty if you do not know them."),
    ("text", "5. Please do not change the wording of a statement, add or delete rows, or delete or rename sheets. "
             "The return is read automatically, and a changed question cannot be compared with other councils. The "
             "sheet is protected against accidents only; there is no password."),
    ("text", "6. Save the file as an Excel workbook (.xlsx) and send it back to your region. You will get a "
             "feedback workbook naming any cell to fix."),
    ("text", "Notes: under each person's Notes cell, the notes_reviewed row says whether the region may print "
             "that note in its report. Pick \"Yes\" only when the note has been read and names no one; empty means "
             "No, and the report then only counts the note."),
    ("", ""),
    ("heading", "Answering"),
    ("text", "Describe the culture as people experience it now, not as the policy says it should be. Some "
             "statements describe a problem on purpose (for example, supervision being cancelled); agreeing with "
             "those points to something to improve."),
    ("text", "The region combines the answers into a score for each theme for each council: supervision, staffing, "
             "learning from complaints, leadership, Mental Capacity Act awareness, advocacy, engaging people who "
             "use services, prevention, partnership. Each person counts equally within their organisation, and "
             "each organisation counts equally within its council."),
    ("", ""),
    ("heading", "What the statements cover: the eight essential steps"),
    ("text", "1. Leadership: Leaders make Making Safeguarding Personal a core aim that runs through every service, "
             "not a separate project."),
    ("text", "2. Culture: The organisation's values are clear and open, and its strategies, policies and training "
             "help staff work in a person-led way."),
    ("text", "3. Principles: The six safeguarding principles shape strategy and practice, and a person's wellbeing "
             "matters as much as their safety."),
    ("text", "4. Workforce: Recruitment, induction, supervision and development give staff the time, skills and "
             "support to work this way."),
    ("text", "5. Mental Capacity Act: Staff know the Act and use it to support people to make their own decisions."),
    ("text", "6. Prevention: Staff and the public are helped to notice abuse or neglect early and to raise "
             "concerns."),
    ("text", "7. People who use services: Their views shape front-line practice as well as plans and policies."),
    ("text", "8. Partnership: Organisations work together to understand the person and their situation, and to "
             "reach the outcomes the person wants."),
    ("", ""),
    ("heading", "The six safeguarding principles behind them"),
    ("text", "Empowerment: people are supported to make their own decisions and to give informed consent."),
    ("text", "Prevention: it is better to act before harm happens."),
    ("text", "Proportionality: the response is the least intrusive one that fits the risk."),
    ("text", "Protection: people in greatest need get support and someone to speak up for them."),
    ("text", "Partnership: services work with each other and with communities, which also help to prevent, spot "
             "and report abuse and neglect."),
    ("text", "Accountability: everyone's role is clear, and safeguarding is done openly."),
    ("", ""),
    ("small", f"Template version 2, made by msp-analysis {__version__}. "
              "Keep this file's sheets as they are so your return can be read."),
]


def test_instructions_sheet_is_written_row_for_row_with_its_styles(template_path):
    ws = load_workbook(template_path)["Instructions"]
    found = []
    for (cell,) in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=1):
        style = ("title" if cell.font.size == 14 else "heading" if cell.font.b else "small" if cell.font.i
                 else "text" if cell.value else "")
        found.append((style, cell.value or ""))
    assert found == INSTRUCTIONS


def test_organisation_type_and_role_dropdowns_list_the_codebook_choices_in_order(template_path):
    ws = load_workbook(template_path)["Return"]
    rows = row_of(ws)
    lists = {cell: dv.formula1 for dv in ws.data_validations.dataValidation
             for cell in (f"F{rows['org_type']}", f"O{rows['respondent_role']}") if cell in dv.sqref}
    assert lists[f"F{rows['org_type']}"] == ('"Local authority,NHS trust,Integrated care board,Care provider,Police,'
                                             'Safeguarding adults board,Other"')
    assert lists[f"O{rows['respondent_role']}"] == '"Practitioner,Team manager,Senior leader,Safeguarding lead,Other"'


@pytest.mark.long
def test_template_opens_in_libreoffice_and_converts_to_pdf(template_path, folder):
    soffice = libreoffice()
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
