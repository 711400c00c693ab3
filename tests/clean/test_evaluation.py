"""Tests for msp_analysis.clean.evaluation: tidy enquiries, and a reason for every rejected row."""

import pandas as pd
import pytest

from msp_analysis.clean.evaluation import OUTPUT_COLUMNS, age_band, clean_evaluation
from msp_analysis.toolkit.errors import UnusableInputError

DERIVED_COLUMNS = ("council_name", "region", "age_band")
INPUT_COLUMNS = [column for column in OUTPUT_COLUMNS if column not in DERIVED_COLUMNS]
TODAY = pd.Timestamp("2025-01-31")
SOURCE = "export.csv"


def enquiry(**changes: object) -> dict:
    """One valid concluded S42 enquiry in Birmingham, 2023-24, as text like a CSV export."""
    row = {
        "enquiry_id": "EQ0001",
        "person_id": "PN0001",
        "ons_code": "E08000025",
        "cassr_code": "406",
        "locality": "North team",
        "enquiry_type": "Section 42",
        "concern_date": "2023-05-02",
        "enquiry_start_date": "2023-05-10",
        "concluded_date": "2023-07-14",
        "financial_year": "2023-24",
        "age": "82",
        "sex": "Female",
        "ethnicity": "White",
        "primary_support_reason": "Physical Support",
        "risk_types": "Neglect and Acts of Omission",
        "risk_location": "Care Home - Residential",
        "risk_source": "Service Provider",
        "risk_assessment_outcome": "Risk identified and action taken",
        "risk_outcome": "Risk reduced",
        "lacked_capacity": "Yes, they lacked capacity",
        "capacity_support": "Yes",
        "msp_asked": "Yes they were asked and outcomes were expressed",
        "msp_outcome_achieved": "Fully Achieved",
    }
    unknown = set(changes) - set(row)
    assert not unknown, f"not an input column: {unknown}"
    row.update(changes)
    return row


def export(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=INPUT_COLUMNS)


def export_with_broken_row(**changes: object) -> pd.DataFrame:
    """Three enquiries; the middle one (index 1, CSV row 3) carries `changes`."""
    return export(
        enquiry(enquiry_id="EQ0001"),
        enquiry(**{"enquiry_id": "EQ0002", "person_id": "PN0002", **changes}),
        enquiry(enquiry_id="EQ0003", person_id="PN0003"),
    )


def assert_reconciles(result) -> None:
    assert result.reconciles()
    assert result.rows_in == result.rows_clean + result.rows_rejected


# --- rows that pass -----------------------------------------------------------------------


def test_input_columns_are_the_output_columns_without_derived_ones():
    assert len(INPUT_COLUMNS) == len(OUTPUT_COLUMNS) - len(DERIVED_COLUMNS)
    assert "enquiry_id" in INPUT_COLUMNS and "council_name" not in INPUT_COLUMNS


def test_clean_row_passes_with_canonical_labels_and_council_filled():
    result = clean_evaluation(export(enquiry()), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 0 and result.rejects.empty
    assert list(result.clean.columns) == OUTPUT_COLUMNS
    row = result.clean.iloc[0]
    assert row["ons_code"] == "E08000025"
    assert row["cassr_code"] == "406"
    assert row["council_name"] == "Birmingham"
    assert row["region"] == "West Midlands"
    assert row["financial_year"] == "2023-24"
    assert row["age"] == 82
    assert row["age_band"] == "75-84"
    assert row["concluded_date"] == pd.Timestamp("2023-07-14")
    assert row["msp_outcome_achieved"] == "Fully Achieved"


def test_messy_but_recoverable_row_passes_with_canonical_values():
    messy = enquiry(
        ons_code=" e08000025", cassr_code="406.0", enquiry_type="S42", concern_date="02/05/2023",
        enquiry_start_date="10/05/2023", concluded_date="14/07/2023", financial_year="2023 to 2024",
        sex=" F ", ethnicity="Not stated", primary_support_reason="N/K", risk_types="Physical/Financial",
        risk_location="care home \u2013 residential", risk_outcome="Reduced", lacked_capacity="Yes",
        capacity_support="Y", msp_asked=" ASKED AND EXPRESSED ", msp_outcome_achieved="Partly Achieved",
    )
    result = clean_evaluation(export(messy), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rejects.empty, result.rejects.to_dict("records")
    row = result.clean.iloc[0]
    assert row["ons_code"] == "E08000025"
    assert row["enquiry_type"] == "Section 42"
    assert row["concluded_date"] == pd.Timestamp("2023-07-14")
    assert row["financial_year"] == "2023-24"
    assert row["sex"] == "Female"
    assert row["ethnicity"] == "Undeclared / Not Known"
    assert row["primary_support_reason"] == "Not Known"
    assert row["risk_types"] == "Physical Abuse; Financial or Material Abuse"
    assert row["risk_location"] == "Care Home - Residential"
    assert row["lacked_capacity"] == "Yes, they lacked capacity"
    assert row["capacity_support"] == "Yes"
    assert row["msp_asked"] == "Yes they were asked and outcomes were expressed"
    assert row["msp_outcome_achieved"] == "Partially Achieved"


@pytest.mark.parametrize("cassr_code", ["406", "406.0", " 406 ", 406, 406.0])
def test_cassr_code_resolves_when_ons_code_is_blank(cassr_code):
    raw = export(enquiry(ons_code="", cassr_code=cassr_code))
    result = clean_evaluation(raw, source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 0, result.rejects.to_dict("records")
    assert result.clean.loc[0, ["ons_code", "cassr_code", "council_name"]].tolist() == [
        "E08000025", "406", "Birmingham"
    ]


def test_structurally_missing_fields_stay_missing_in_a_valid_row():
    row = enquiry(
        risk_assessment_outcome="No risk identified and no action taken", risk_outcome="",
        lacked_capacity="No, they did not lack capacity", capacity_support="",
        msp_asked="Yes they were asked but no outcomes were expressed", msp_outcome_achieved="",
    )
    result = clean_evaluation(export(row), source=SOURCE, today=TODAY)
    assert result.rejects.empty, result.rejects.to_dict("records")
    clean = result.clean.iloc[0]
    assert pd.isna(clean["risk_outcome"]) and pd.isna(clean["capacity_support"])
    assert pd.isna(clean["msp_outcome_achieved"])


@pytest.mark.parametrize(
    "age,band",
    [(18, "18-64"), (64, "18-64"), (65, "65-74"), (74, "65-74"), (75, "75-84"), (84, "75-84"),
     (85, "85-94"), (94, "85-94"), (95, "95+"), (120, "95+")],
)
def test_age_band_boundaries(age, band):
    assert age_band(pd.Series([age])).tolist() == [band]


@pytest.mark.parametrize("dtype", ["float64", "Float64", "Int64"])
def test_age_band_of_missing_age_is_missing(dtype):
    assert age_band(pd.Series([None, 70], dtype=dtype)).tolist()[1] == "65-74"
    assert age_band(pd.Series([None, 70], dtype=dtype)).isna().tolist() == [True, False]


@pytest.mark.parametrize("dtype", ["object", "string"])
def test_blank_age_is_allowed_and_gives_no_band_whatever_the_text_dtype(dtype):
    raw = export(enquiry(), enquiry(enquiry_id="EQ0002", age="")).astype(dtype)
    result = clean_evaluation(raw, source=SOURCE, today=TODAY)
    assert result.rows_rejected == 0, result.rejects.to_dict("records")
    assert pd.isna(result.clean.loc[1, "age"])
    assert pd.isna(result.clean.loc[1, "age_band"])
    assert result.clean.loc[0, "age_band"] == "75-84"


def test_empty_export_reconciles_with_no_rows():
    result = clean_evaluation(export(), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_in == 0 and result.clean.empty and result.rejects.empty
    assert list(result.clean.columns) == OUTPUT_COLUMNS


def test_missing_required_column_names_the_file_and_the_column():
    with pytest.raises(UnusableInputError, match=r"export\.csv.*msp_asked"):
        clean_evaluation(export(enquiry()).drop(columns="msp_asked"), source=SOURCE, today=TODAY)


def test_headers_are_matched_regardless_of_case_and_spacing():
    raw = export(enquiry()).rename(columns={"enquiry_id": "Enquiry ID ", "msp_asked": "MSP Asked"})
    result = clean_evaluation(raw, source=SOURCE, today=TODAY)
    assert result.rows_clean == 1 and result.clean.loc[0, "enquiry_id"] == "EQ0001"


# --- one broken row, one reason -------------------------------------------------------------

BROKEN_ROWS = {
    "blank enquiry_id": ({"enquiry_id": ""}, "enquiry_id", "enquiry_id is blank"),
    "spaces as enquiry_id": ({"enquiry_id": "   "}, "enquiry_id", "enquiry_id is blank"),
    "missing enquiry_id": ({"enquiry_id": None}, "enquiry_id", "enquiry_id is blank"),
    "unknown council code": ({"ons_code": "E06999999", "cassr_code": ""}, "ons_code", "unknown council code"),
    "unknown cassr code": ({"ons_code": "", "cassr_code": "999"}, "ons_code", "unknown council code"),
    "no council code": ({"ons_code": "", "cassr_code": ""}, "ons_code", "no council code"),
    "council abolished before that year": (
        {"ons_code": "E10000006", "cassr_code": "102"}, "ons_code", "unknown council code for that financial year"
    ),
    "start after concluded": ({"enquiry_start_date": "2023-07-15"}, "enquiry_start_date", "starts after"),
    "concern after start": ({"concern_date": "2023-05-11"}, "concern_date", "concern raised after"),
    "concluded before 2015-04-01": (
        {"concern_date": "2015-02-20", "enquiry_start_date": "2015-03-01", "concluded_date": "2015-03-31",
         "financial_year": "2014-15"},
        "concluded_date", "concluded before 2015-16",
    ),
    "concluded in the future": (
        {"concluded_date": "2025-02-01", "financial_year": "2024-25"}, "concluded_date", "in the future"
    ),
    "concluded date blank": ({"concluded_date": ""}, "concluded_date", "concluded date missing"),
    "concluded date not a date": ({"concluded_date": "14/31/2023"}, "concluded_date", "not a date"),
    "financial year contradicts date": ({"financial_year": "2022-23"}, "financial_year", "contradicts"),
    "financial year in another spelling contradicts date": (
        {"financial_year": "22/23"}, "financial_year", "contradicts"
    ),
    "financial year not a year": ({"financial_year": "2023-25"}, "financial_year", "not a financial year"),
    "age under 18": ({"age": "17"}, "age", "under 18"),
    "age over 120": ({"age": "121"}, "age", "over 120"),
    "age not a number": ({"age": "eighty"}, "age", "not a number"),
    "achieved without expressed": ({"msp_asked": "No"}, "msp_outcome_achieved", "did not express outcomes"),
    "achieved when asked not expressed": (
        {"msp_asked": "Yes they were asked but no outcomes were expressed"},
        "msp_outcome_achieved", "did not express outcomes",
    ),
    "expressed without achieved": ({"msp_outcome_achieved": ""}, "msp_outcome_achieved", "not recorded"),
    "expressed with achieved unknown marker": (
        {"msp_outcome_achieved": "N/K"}, "msp_outcome_achieved", "not recorded"
    ),
    "risk outcome without action": (
        {"risk_assessment_outcome": "No risk identified and no action taken"}, "risk_outcome", "no action was taken"
    ),
    "action without risk outcome": ({"risk_outcome": ""}, "risk_outcome", "risk outcome is missing"),
    "capacity support without lacked capacity": (
        {"lacked_capacity": "No, they did not lack capacity"}, "capacity_support", "did not lack capacity"
    ),
    "unrecognised sex label": ({"sex": "Martian"}, "sex", "not a recognised sex label"),
    "unrecognised msp_asked label": (
        {"msp_asked": "Maybe", "msp_outcome_achieved": ""}, "msp_asked", "not a recognised msp_asked label"
    ),
    "unrecognised risk type": ({"risk_types": "Neglect; Telepathic"}, "risk_types", "not a recognised risk type"),
}


@pytest.mark.parametrize("changes,column,reason", BROKEN_ROWS.values(), ids=BROKEN_ROWS.keys())
def test_row_breaking_one_rule_is_rejected_with_its_reason(changes, column, reason):
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_in == 3
    assert result.rows_rejected == 1
    assert result.clean["enquiry_id"].tolist() == ["EQ0001", "EQ0003"]
    assert len(result.rejects) == 1, result.rejects.to_dict("records")
    line = result.rejects.iloc[0]
    assert line["file"] == SOURCE
    assert line["row"] == 3  # index 1 + header row + 1-based numbering
    assert line["column"] == column
    assert reason in line["reason"]


def test_reject_line_carries_the_raw_value():
    result = clean_evaluation(export_with_broken_row(age="17"), source=SOURCE, today=TODAY)
    assert result.rejects.loc[0, "value"] == "17"


@pytest.mark.parametrize("enquiry_type", ["Section 44", ""])
def test_unrecognised_or_blank_enquiry_type_is_rejected(enquiry_type):
    result = clean_evaluation(export_with_broken_row(enquiry_type=enquiry_type), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 1
    assert set(result.rejects["row"]) == {3}
    assert set(result.rejects["column"]) == {"enquiry_type"}


def test_duplicate_enquiry_id_keeps_the_first_and_names_its_row():
    raw = export(
        enquiry(enquiry_id="EQ0001"),
        enquiry(enquiry_id="EQ0002"),
        enquiry(enquiry_id="EQ0001", person_id="PN0009"),
        enquiry(enquiry_id=" EQ0001 "),
    )
    result = clean_evaluation(raw, source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 2
    assert result.clean["enquiry_id"].tolist() == ["EQ0001", "EQ0002"]
    assert result.clean["person_id"].tolist() == ["PN0001", "PN0001"]  # the first EQ0001 is the one kept
    assert result.rejects["row"].tolist() == [4, 5]
    assert set(result.rejects["column"]) == {"enquiry_id"}
    assert result.rejects["reason"].str.contains("first seen at row 2").all()


def test_rows_keep_their_source_file_and_row_when_files_are_combined():
    first = export(enquiry(enquiry_id="EQ0001")).assign(_source_file="a.csv", _source_row=[2])
    second = export(enquiry(enquiry_id="EQ0001"), enquiry(enquiry_id="EQ0002", age="12")).assign(
        _source_file="b.csv", _source_row=[2, 3]
    )
    result = clean_evaluation(pd.concat([first, second], ignore_index=True), today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 2
    assert result.rejects[["file", "row", "column"]].values.tolist() == [
        ["b.csv", 2, "enquiry_id"], ["b.csv", 3, "age"]
    ]


def test_several_problems_on_one_row_give_several_lines_but_one_rejected_row():
    raw = export_with_broken_row(age="16", enquiry_start_date="2023-07-20", sex="Martian", msp_asked="No")
    result = clean_evaluation(raw, source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == 1
    assert result.rows_clean == 2
    assert len(result.rejects) == 4
    assert set(result.rejects["row"]) == {3}
    assert sorted(result.rejects["column"]) == ["age", "enquiry_start_date", "msp_outcome_achieved", "sex"]


# --- boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize("age,rejected", [("17", True), ("18", False), ("120", False), ("121", True)])
def test_age_boundaries(age, rejected):
    result = clean_evaluation(export_with_broken_row(age=age), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == int(rejected)


@pytest.mark.parametrize(
    "concluded,year,rejected",
    [("2015-03-31", "2014-15", True), ("2015-04-01", "2015-16", False)],
)
def test_first_sac_year_boundary(concluded, year, rejected):
    changes = {"concern_date": "2015-03-01", "enquiry_start_date": "2015-03-02",
               "concluded_date": concluded, "financial_year": year}
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == int(rejected)


@pytest.mark.parametrize("days_after_today,rejected", [(-1, False), (0, False), (1, True)])
def test_future_boundary_is_today(days_after_today, rejected):
    concluded = TODAY + pd.Timedelta(days=days_after_today)
    changes = {"concluded_date": concluded.strftime("%Y-%m-%d"), "financial_year": "2024-25"}
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == int(rejected)


@pytest.mark.parametrize(
    "concluded,given_year,rejected",
    [("2024-03-31", "2023-24", False), ("2024-04-01", "2023-24", True),
     ("2024-04-01", "2024-25", False), ("2024-03-31", "2024-25", True)],
)
def test_financial_year_boundary_is_1_april(concluded, given_year, rejected):
    changes = {"concluded_date": concluded, "financial_year": given_year}
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == int(rejected)
    if not rejected:
        assert result.clean.loc[1, "financial_year"] == given_year


@pytest.mark.parametrize(
    "ons_code,concluded,year,rejected",
    [
        ("E10000006", "2023-03-31", "2022-23", False),  # Cumbria, last day
        ("E10000006", "2023-04-01", "2023-24", True),   # abolished 1 April 2023
        ("E06000063", "2023-03-31", "2022-23", True),   # Cumberland did not exist yet
        ("E06000063", "2023-04-01", "2023-24", False),
    ],
)
def test_council_must_exist_in_the_financial_year(ons_code, concluded, year, rejected):
    changes = {"ons_code": ons_code, "cassr_code": "", "concern_date": "2023-03-01",
               "enquiry_start_date": "2023-03-02", "concluded_date": concluded, "financial_year": year}
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=TODAY)
    assert_reconciles(result)
    assert result.rows_rejected == int(rejected)
    if rejected:
        assert result.rejects["column"].tolist() == ["ons_code"]


def test_year_after_the_council_codebook_is_rejected_not_a_crash():
    changes = {"concluded_date": "2030-06-01", "financial_year": "2030-31"}
    result = clean_evaluation(export_with_broken_row(**changes), source=SOURCE, today=pd.Timestamp("2031-01-01"))
    assert_reconciles(result)
    assert result.rows_rejected == 1
    assert result.rejects[["row", "column"]].values.tolist() == [[3, "concluded_date"]]
    assert "last year of the council codebook" in result.rejects.loc[0, "reason"]


@pytest.mark.parametrize("start", ["2023-07-13", "2023-07-14"])
def test_enquiry_may_start_on_or_before_the_day_it_concludes(start):
    result = clean_evaluation(export_with_broken_row(enquiry_start_date=start), source=SOURCE, today=TODAY)
    assert result.rows_rejected == 0


@pytest.mark.parametrize(
    "field,raw,canonical",
    [("msp_asked", "DK", "Don't Know"), ("lacked_capacity", "DK", "Don't know"), ("msp_asked", "", "Not Recorded")],
)
def test_unknown_markers_map_to_the_fields_own_unknown_label(field, raw, canonical):
    changes = {field: raw}
    if field == "msp_asked":
        changes["msp_outcome_achieved"] = ""
    if field == "lacked_capacity":
        changes["capacity_support"] = ""
    result = clean_evaluation(export(enquiry(**changes)), source=SOURCE, today=TODAY)
    assert result.rows_rejected == 0, result.rejects
    assert result.clean.loc[0, field] == canonical


@pytest.mark.parametrize("marker", ["Unknown", "N/K", "", "-"])
def test_unknown_risk_type_is_missing_not_rejected(marker):
    result = clean_evaluation(export(enquiry(risk_types=marker)), source=SOURCE, today=TODAY)
    assert result.rows_rejected == 0, result.rejects
    assert pd.isna(result.clean.loc[0, "risk_types"])


def test_ons_and_cassr_codes_naming_different_councils_are_rejected():
    result = clean_evaluation(export(enquiry(ons_code="E08000025", cassr_code="116")), source=SOURCE, today=TODAY)
    assert result.rows_rejected == 1
    assert "name different councils" in result.rejects.loc[0, "reason"] and result.rejects.loc[0, "column"] == "cassr_code"


# --- several locations and sources per enquiry, cleaned like risk types --------------------------------


@pytest.mark.parametrize("column,cell,expected", [
    ("risk_location", "Own Home; Care Home \u2013 Nursing", "Own Home; Care Home - Nursing"),
    ("risk_location", "care home - residential/Own home", "Own Home; Care Home - Residential"),
    ("risk_location", "Other | Own Home, Other", "Own Home; Other"),
    ("risk_location", "Hospital - Acute", "Hospital - Acute"),
    ("risk_source", "Known to individual; Service provider", "Service Provider; Other - Known to individual"),
])
def test_several_locations_or_sources_are_one_cell_in_codebook_order(column, cell, expected):
    result = clean_evaluation(export(enquiry(**{column: cell})))
    assert result.rows_rejected == 0, result.rejects
    assert result.clean.loc[0, column] == expected


@pytest.mark.parametrize("column,cell", [("risk_location", "Own Home; Moon"), ("risk_source", "Telepathy")])
def test_an_unknown_location_or_source_rejects_the_row_naming_the_separator(column, cell):
    result = clean_evaluation(export_with_broken_row(**{column: cell}))
    assert result.rows_rejected == 1 and result.reconciles()
    reject = result.rejects.iloc[0]
    assert reject["column"] == column and "separate several with ';'" in reject["reason"]


def test_an_unknown_marker_is_a_missing_location_not_an_error():
    result = clean_evaluation(export(enquiry(risk_location="Unknown", risk_source="")))
    assert result.rows_rejected == 0
    assert pd.isna(result.clean.loc[0, "risk_location"]) and pd.isna(result.clean.loc[0, "risk_source"])
