"""The assurance cleaner: filled workbooks and flat files in, rows kept + rejected = rows in, every reject with a
reason a commissioner or provider can act on; hostile returns (another kind, an altered template, formulas, a huge
file, a council elsewhere, the same return twice) rejected with their reason."""

import pandas as pd
import pytest

from msp_analysis.clean import KINDS, clean_and_validate
from msp_analysis.clean.assurance import check_table
from msp_analysis.clean.schemas import check_output
from msp_analysis.io.workbook import assurance
from msp_analysis.io.workbook.template import write_template
from tests.io.workbook.filling import assurance_answers, assurance_fill

REGION, WAVE = "North East", "2023-24"


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assurance_clean")
    return {kind: assurance.write_assurance_template(kind, REGION, WAVE, folder / f"{kind}.xlsx")
            for kind in assurance.KINDS}


def clean(paths):
    return clean_and_validate("assurance", assurance.read_assurance_frame(paths), source=str(paths[0]))


def test_a_filled_commissioner_and_provider_return_clean_with_their_answers_and_values(templates, tmp_path):
    answers = {kind: assurance_answers(kind, seed=1, blank_every=7) for kind in assurance.KINDS}
    paths = [assurance_fill(templates["commissioner"], tmp_path / "c.xlsx", answers["commissioner"], publish="Yes"),
             assurance_fill(templates["provider"], tmp_path / "p.xlsx", answers["provider"],
                            organisation="Acme Care Ltd")]
    result = clean(paths)
    assert result.reconciles() and result.rows_rejected == 0 and result.rejects.empty
    assert result.rows_in == len(check_table())  # 17 + 74 + 14 checks
    out = result.clean.set_index(["kind", "check_id"])
    for kind, typed in answers.items():
        for check, (answer, source, date) in typed.items():
            row = out.loc[(kind, check)]
            if answer is None:
                assert not row["answered"] and pd.isna(row["value"]) and not row["has_source"]
            else:
                assert row["answer"] == answer and row["evidence_date"] == date.isoformat() and row["source"] == source
    values = result.clean.dropna(subset=["value"]).drop_duplicates("answer").set_index("answer")["value"].to_dict()
    assert values == {"Yes": 2, "Partly": 1, "No": 0, "Red": 1, "Red/Amber": 2, "Amber": 3, "Amber/Green": 4,
                      "Green": 5}
    published = result.clean.drop_duplicates("kind").set_index("kind")["name_published"].to_dict()
    assert published == {"commissioner": True, "provider": False}  # blank B8 is No
    assert set(result.clean["org_id"]) == {"E08000037-gateshead-ccg", "E08000037-acme-care-ltd"}


def test_hostile_returns_are_one_reasoned_reject_each_and_good_rows_are_kept(templates, tmp_path):
    good = assurance_fill(templates["commissioner"], tmp_path / "good.xlsx", assurance_answers("commissioner"))
    temperature = write_template(REGION, WAVE, tmp_path / "temperature.xlsx")  # another kind of workbook
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as handle:  # sparse: 21 MB on paper, over the return size limit
        handle.truncate(21 * 1024 * 1024)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")

    def alter(ws, rows):
        ws.cell(row=rows["sa_balance"], column=4).value = "care plans are fine"  # edited wording
        ws.cell(row=rows["wl_communication"], column=assurance.ANSWER_COLUMN).value = "=IF(1,\"Yes\")"
        ws.cell(row=rows["ca_individualised"], column=assurance.ANSWER_COLUMN).value = "Maybe"
        ws.cell(row=rows["ef_supervision"], column=assurance.DATE_COLUMN).value = "last spring"

    altered = assurance_fill(templates["commissioner"], tmp_path / "altered.xlsx", assurance_answers("commissioner"),
                             organisation="Other Trust", change=alter)
    result = clean([good, temperature, huge, junk, altered])
    assert result.reconciles()
    assert result.rows_in == 17 + 3 + 17 and result.rows_rejected == 3 + 2  # three files, two checks of `altered`
    rejects = result.rejects
    by_file = rejects.groupby("file")["reason"].apply(list).to_dict()
    assert "not an assurance return" in by_file[str(temperature)][0]
    assert "MB" in by_file[str(huge)][0] and "cannot be opened" in by_file[str(junk)][0]
    assert all(r.endswith("the whole row is left out") for f in (temperature, huge, junk) for r in by_file[str(f)])
    mine = rejects[rejects["file"] == str(altered)].set_index("row")
    rows = {c: r for c, r in zip(assurance.assurance_checks("commissioner")["check_id"],
                                 range(assurance.HEADER_ROW + 1, 100), strict=False)}
    assert "wording" in mine.loc[rows["sa_balance"], "reason"] and "formula" in mine.loc[rows["wl_communication"], "reason"]
    assert "pick one of Yes, Partly, No" in mine.loc[rows["ca_individualised"], "reason"]
    assert "not a date" in mine.loc[rows["ef_supervision"], "reason"]
    kept = result.clean[result.clean["source_file"] == str(altered)].set_index("check_id")
    assert kept.loc["ca_individualised", "answer_rejected"] and pd.isna(kept.loc["ca_individualised", "answer"])
    assert kept.loc["ef_supervision", "answered"] and pd.isna(kept.loc["ef_supervision", "evidence_date"])
    assert "sa_balance" not in kept.index and "wl_communication" not in kept.index
    assert len(result.clean[result.clean["source_file"] == str(good)]) == 17


def test_a_council_outside_the_region_a_missing_name_and_a_second_copy_are_rejected(templates, tmp_path):
    answers = assurance_answers("provider")
    first = assurance_fill(templates["provider"], tmp_path / "a.xlsx", answers)
    again = assurance_fill(templates["provider"], tmp_path / "b.xlsx", answers)  # the same organisation twice
    leeds = assurance_fill(templates["provider"], tmp_path / "leeds.xlsx", answers, council="Leeds")
    nameless = assurance_fill(templates["provider"], tmp_path / "nameless.xlsx", answers, organisation=None)
    unsure = assurance_fill(templates["provider"], tmp_path / "unsure.xlsx", answers, organisation="Unsure Ltd",
                            publish="Perhaps")
    result = clean([first, again, leeds, nameless, unsure])
    n = len(answers)
    assert result.reconciles() and result.rows_clean == 2 * n and result.rows_rejected == 3 * n
    reasons = result.rejects.groupby("file")["reason"].apply(set).to_dict()
    assert all("read twice; first seen at" in r and str(first) in r for r in reasons[str(again)])
    assert reasons[str(leeds)] == {"the council is in Yorkshire and the Humber, not in North East; a council of "
                                   "another region needs that region's template; the whole row is left out"}
    assert any("no organisation name" in r for r in reasons[str(nameless)])
    # an unclear publication answer costs no answers: the organisation is simply not named
    assert reasons[str(unsure)] == {"whether the name may be published must be Yes or No; read as No: the "
                                    "organisation is not named, its answers are kept"}
    assert not result.clean.loc[result.clean["source_file"] == str(unsure), "name_published"].any()


def test_a_flat_file_of_rows_cleans_the_same_way(tmp_path):
    frame = pd.DataFrame({
        "Kind": ["commissioner", "Provider", "inspector", "commissioner", "provider"],
        "ONS code": ["County Durham", "E08000037", "E08000037", "E08000037", "E08000037"],
        "wave": ["2023/24", "2023-24", "2023-24", "2031-32", "2023-24"],
        "org_name": ["Durham ICB", "Acme", "Acme", "Acme", "Acme"],
        "check_id": ["sa_balance", "medication", "medication", "sa_balance", "sa_balance"],
        "answer": ["yes", "PARTLY", "Yes", "Yes", "Yes"],
    })
    result = clean_and_validate("assurance", frame, source="rows.csv")
    assert result.reconciles() and result.rows_clean == 2 and result.rows_rejected == 3
    assert result.clean["answer"].tolist() == ["Yes", "Partly"] and result.clean["ons_code"].tolist() == [
        "E06000047", "E08000037"]
    reasons = dict(zip(result.rejects["row"], result.rejects["reason"], strict=True))
    assert reasons[4].startswith("kind must be commissioner or provider")
    assert "financial year" in reasons[5] and "not a check of the provider" in reasons[6]
    assert all(r.endswith("left out") for r in reasons.values())


def test_the_schema_refuses_a_value_off_its_scale():
    frame = pd.DataFrame({
        "kind": ["commissioner"], "ons_code": ["E08000037"], "wave": ["2023-24"], "org_name": ["X"],
        "check_id": ["sa_balance"], "answer": ["Yes"]})
    result = clean_and_validate("assurance", frame, source="x.csv")
    broken = result.clean.assign(value=7.0)
    with pytest.raises(Exception, match="evidence values run 0-2 and ratings 1-5"):
        check_output(KINDS["assurance"].schema, broken, "x.csv")
