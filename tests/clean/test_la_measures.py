"""Tests for msp_analysis.clean.la_measures: ASCOF and Oflog council measures matched by meaning."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msp_analysis.clean import KINDS
from msp_analysis.clean.common import CleanResult
from msp_analysis.clean.la_measures import (
    OUTPUT_COLUMNS,
    clean_la_measures,
    match_measure,
    measure_key,
    parse_values,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import read_codebook
from msp_analysis.toolkit.errors import UnusableInputError

TREND_COLUMNS = [
    "Year", "Geographical Description", "ONS Code", "Measure Group", "Measure Group Description",
    "Measure_Value", "Geographical Level", "Disaggregation Level", "Measure Type",
]
OFFICIAL_COLUMNS = [
    "Geographical Code", "Geographical Description", "Geographical Level", "ONS Code", "ASCOF Measure Code",
    "Disaggregation Level", "Measure Type", "Measure Value", "Measure Group", "Measure Group Description",
]
OFLOG_COLUMNS = [
    "Financial year", "Local authority code", "Local authority name", "Grouping", "Entity_Name", "Region",
    "Measure", "Code", "Value", "MEDIAN", "MADs_from_median", "rank_order",
]
FEEL_SAFE = "Proportion of people who use services who feel safe"
MADE_SAFE = "Proportion of people who use services who say that those services have made them feel safe and secure"
TURNOVER = "Outcome, Workforce turnover rate"
OFFICIAL_FILE = "meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx"


def trend_row(**changes: str) -> dict:
    """One valid trend-table row: Kirklees 4A, 2022-23, as text like the CSV."""
    row = {
        "Year": "2022-23", "Geographical Description": "Kirklees", "ONS Code": "E08000034",
        "Measure Group": "4A", "Measure Group Description": FEEL_SAFE, "Measure_Value": "72.1",
        "Geographical Level": "Council", "Disaggregation Level": "Total", "Measure Type": "Outcome",
    }
    unknown = set(changes) - set(row)
    assert not unknown, f"not a trend column: {unknown}"
    row.update(changes)
    return row


def trend(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=TREND_COLUMNS, dtype=str)


def official_rows(geo=("211", "Kirklees", "Council", "E08000034"), group="4A", description=FEEL_SAFE,
                  disaggregation="Total", values=None) -> list[dict]:
    """The five Measure Type rows of one measure, geography and disaggregation in the official file."""
    values = values or {"Outcome": "76.7", "Numerator": "3,250", "Margin Of Error": "3.5",
                        "Denominator": "4,235", "Base": "485"}
    code, name, level, ons = geo
    return [
        {"Geographical Code": code, "Geographical Description": name, "Geographical Level": level, "ONS Code": ons,
         "ASCOF Measure Code": group, "Disaggregation Level": disaggregation, "Measure Type": kind,
         "Measure Value": value, "Measure Group": group, "Measure Group Description": description}
        for kind, value in values.items()
    ]


def official(*row_lists: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for rows in row_lists for row in rows], columns=OFFICIAL_COLUMNS, dtype=str)


def oflog_row(**changes: str) -> dict:
    row = {
        "Financial year": "2022-23", "Local authority code": "E06000005", "Local authority name": "Darlington",
        "Grouping": "LA_Raw", "Entity_Name": "Unitary Authorities", "Region": "North East", "Measure": TURNOVER,
        "Code": "ASC7", "Value": "27.4", "MEDIAN": "28.0", "MADs_from_median": "0.1", "rank_order": "DESC",
    }
    row.update(changes)
    return row


def oflog(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=OFLOG_COLUMNS, dtype=str)


def assert_reconciles(result) -> None:
    assert result.reconciles()
    assert result.rows_in == result.rows_clean + result.rows_rejected + result.rows_filtered
    assert result.rejects["reason"].str.len().gt(0).all()


def reasons(result) -> list[str]:
    return result.rejects["reason"].tolist()


# --- trend layout -----------------------------------------------------------------------------


def test_trend_row_becomes_one_tidy_row():
    result = clean_la_measures(trend(trend_row()), source="trend_data.csv")
    assert_reconciles(result)
    assert isinstance(result, CleanResult)
    assert list(result.clean.columns) == OUTPUT_COLUMNS
    row = result.clean.iloc[0]
    assert row["ons_code"] == "E08000034" and row["name"] == "Kirklees"
    assert row["geography_level"] == "Council" and row["financial_year"] == "2022-23"
    assert row["measure"] == "feel_safe" and row["measure_code"] == "4A" and row["description"] == FEEL_SAFE
    assert row["value"] == pytest.approx(72.1) and result.clean["value"].dtype == "float64"
    assert pd.isna(row["value_marker"]) and np.isnan(row["numerator"]) and np.isnan(row["denominator"])
    assert row["disaggregation"] == "Total" and row["source"] == "ascof_trend:trend_data.csv"


@pytest.mark.parametrize(
    "description,code,measure",
    [
        ("The proportion of people who use services who feel safe", "4A", "feel_safe"),
        ("proportion of people who use services who feel safe ", "4A", "feel_safe"),
        ("The proportion of people who use services who say that those services have made them feel safe "
         "and secure", "4B", "services_made_feel_safe"),
        ("Adjusted Social care-related quality of life \x96 impact of Adult Social Care services", "1J",
         "quality_of_life_adjusted"),
        ("Adjusted Social care-related quality of life \u2013 impact of Adult Social Care services", "1J",
         "quality_of_life_adjusted"),
        ("Adjusted Social care-related quality of life - impact of Adult Social Care services", "1J",
         "quality_of_life_adjusted"),
        ("Long-term support needs of younger adults aged 18-64 met by admission to residential and nursing "
         "care homes, per 100,000 population", "2A1", "care_home_admissions_18_64"),
        ("Long-term support needs of younger adults (aged 18\u201364) met by admission to residential and "
         "nursing care homes, per 100,000 population", "2A1", "care_home_admissions_18_64"),
    ],
)
def test_description_drift_meets_the_same_measure(description, code, measure):
    result = clean_la_measures(trend(trend_row(**{"Measure Group Description": description, "Measure Group": code})))
    assert_reconciles(result)
    assert result.clean.loc[0, "measure"] == measure
    assert result.clean.loc[0, "description"] == description.strip()  # as published


def test_renumbered_2023_24_codes_map_to_the_same_measures():
    control = "Proportion of people who use services who have control over their daily life"
    satisfaction = "Overall satisfaction of people who use services with their care and support"
    frame = trend(
        trend_row(**{"Year": "2022-23", "Measure Group": "1B", "Measure Group Description": control}),
        trend_row(**{"Year": "2023-24", "Measure Group": "3A", "Measure Group Description": control,
                     "Disaggregation Level": "", "Measure Type": ""}),
        trend_row(**{"Year": "2022-23", "Measure Group": "3A", "Measure Group Description": satisfaction}),
        trend_row(**{"Year": "2023-24", "Measure Group": "1D", "Measure Group Description": satisfaction,
                     "Disaggregation Level": "", "Measure Type": ""}),
        trend_row(**{"Year": "2023-24", "Disaggregation Level": "", "Measure Type": ""}),
    )
    result = clean_la_measures(frame)
    assert_reconciles(result)
    clean = result.clean
    assert clean["measure"].tolist() == ["control_over_daily_life"] * 2 + ["satisfaction_users"] * 2 + ["feel_safe"]
    assert clean["measure_code"].tolist() == ["1B", "3A", "3A", "1D", "4A"]  # as published that year
    assert clean["disaggregation"].eq("Total").all()


def test_blank_2023_24_disaggregation_and_type_read_as_total_outcome():
    result = clean_la_measures(trend(trend_row(**{"Year": "2023-24", "Disaggregation Level": "", "Measure Type": ""})))
    assert_reconciles(result)
    assert result.rows_clean == 1 and result.clean.loc[0, "disaggregation"] == "Total"
    assert result.clean.loc[0, "value"] == pytest.approx(72.1)


def test_code_specific_rows_settle_descriptions_published_against_the_wrong_code():
    users_text = "Proportion of people using social care who receive self-directed support"
    frame = trend(
        trend_row(**{"Year": "2019-20", "Measure Group": "1C1A", "Measure Group Description": users_text}),
        trend_row(**{"Year": "2019-20", "Measure Group": "1C1B", "Measure Group Description": users_text}),
        trend_row(**{"Year": "2017-18", "Measure Group": "2A1", "Measure Group Description": ""}),
        trend_row(**{"Year": "2017-18", "Measure Group": "9Z", "Measure Group Description": ""}),
    )
    result = clean_la_measures(frame)
    assert_reconciles(result)
    assert result.clean["measure"].tolist() == [
        "self_directed_support_users", "self_directed_support_carers", "care_home_admissions_18_64", "other"]
    assert result.clean["description"].isna().tolist() == [False, False, True, True]


def test_unknown_measures_are_kept_as_other():
    new_measure = {"Measure Group": "7X", "Measure Group Description": "A new measure"}
    result = clean_la_measures(trend(trend_row(**new_measure)))
    assert_reconciles(result)
    assert result.rows_rejected == 0 and result.clean.loc[0, "measure"] == "other"
    assert result.clean.loc[0, "description"] == "A new measure"


def test_regions_council_types_and_england_are_named_canonically():
    frame = trend(
        trend_row(**{"Geographical Level": "Region", "Geographical Description": "Eastern", "ONS Code": "E12000006"}),
        trend_row(**{"Geographical Level": "Region", "Geographical Description": "Yorkshire and The Humber",
                     "ONS Code": "E12000003"}),
        trend_row(**{"Geographical Level": "Region", "Geographical Description": "London", "ONS Code": ""}),
        trend_row(**{"Geographical Level": "Council Type", "Geographical Description": "Unitary Authority",
                     "ONS Code": "-"}),
        trend_row(**{"Geographical Level": "Council type", "Geographical Description": "Unitary Authorities",
                     "ONS Code": "", "Year": "2021-22"}),
        trend_row(**{"Geographical Level": "England", "Geographical Description": "England", "ONS Code": "E92000001"}),
    )
    result = clean_la_measures(frame)
    assert_reconciles(result)
    clean = result.clean
    assert clean["geography_level"].tolist() == ["Region"] * 3 + ["Council type"] * 2 + ["England"]
    assert clean["name"].tolist() == ["East of England", "Yorkshire and the Humber", "London",
                                      "Unitary Authorities", "Unitary Authorities", "England"]
    assert clean["ons_code"].tolist()[:3] == ["E12000006", "E12000003", "E12000007"]
    assert clean["ons_code"].iloc[3:5].isna().all() and clean.loc[5, "ons_code"] == "E92000001"


@pytest.mark.parametrize(
    "text,value,marker",
    [("72.1", 72.1, None), ("1,234.5", 1234.5, None), ("12%", 12.0, None), ("-0.5", -0.5, None),
     ("[x]", np.nan, "not_available"), ("[c]", np.nan, "suppressed"), ("*", np.nan, "suppressed"),
     ("", np.nan, "missing"), (" ", np.nan, "missing"), ("[z]", np.nan, "not_applicable")],
)
def test_values_are_numbers_or_markers(text, value, marker):
    result = clean_la_measures(trend(trend_row(Measure_Value=text)))
    assert_reconciles(result)
    assert result.rows_rejected == 0
    got = result.clean.loc[0]
    assert (np.isnan(got["value"]) and np.isnan(value)) or got["value"] == pytest.approx(value)
    assert (pd.isna(got["value_marker"]) and marker is None) or got["value_marker"] == marker


@pytest.mark.parametrize(
    "changes,column,reason_start",
    [
        ({"Measure_Value": "about 70"}, "Measure_Value", "not a number or a known marker"),
        ({"Measure_Value": "1.2.3"}, "Measure_Value", "not a number or a known marker"),
        ({"ONS Code": "E08999999"}, "ONS Code", "unknown council code for that financial year"),
        ({"ONS Code": "E06000063"}, "ONS Code", "unknown council code for that financial year"),  # Cumberland 2023-
        ({"Year": "2022"}, "Year", "not a financial year"),
        ({"Year": "2030-31"}, "Year", "no council list for this financial year"),
        ({"Geographical Level": "Parish"}, "Geographical Level", "unknown geographical level"),
        ({"Measure Type": "Ratio"}, "Measure Type", "unknown Measure Type"),
        ({"Geographical Level": "Region", "Geographical Description": "Wessex", "ONS Code": ""},
         "Geographical Description", "unknown region"),
        ({"Geographical Level": "Region", "Geographical Description": "London", "ONS Code": "E12000001"},
         "ONS Code", "ONS Code names a different region"),
        ({"Geographical Level": "Council type", "Geographical Description": ""},
         "Geographical Description", "council type name is blank"),
        ({"Measure Group": "", "Measure Group Description": ""}, "Measure Group", "no measure code and no description"),
    ],
)
def test_bad_rows_are_rejected_with_an_actionable_reason(changes, column, reason_start):
    frame = trend(trend_row(), trend_row(**{"Measure Group": "4B", "Measure Group Description": MADE_SAFE, **changes}))
    result = clean_la_measures(frame, source="trend_data.csv")
    assert_reconciles(result)
    assert result.rows_clean == 1 and result.rows_rejected == 1
    line = result.rejects.iloc[0]
    assert line["file"] == "trend_data.csv" and line["row"] == 3 and line["column"] == column
    assert line["reason"].startswith(reason_start)


def test_council_named_without_a_code_resolves_by_name():
    result = clean_la_measures(trend(trend_row(**{"ONS Code": "", "Geographical Description": "Bristol, City of"})))
    assert_reconciles(result)
    assert result.clean.loc[0, "ons_code"] == "E06000023"


def test_duplicate_rows_name_the_first():
    result = clean_la_measures(trend(trend_row(), trend_row(Measure_Value="70.0")))
    assert_reconciles(result)
    assert result.rows_clean == 1 and result.clean.loc[0, "value"] == pytest.approx(72.1)
    assert reasons(result) == [
        "duplicate row: the same year, geography, measure, disaggregation and measure type as row 2"]


def test_two_codes_meaning_one_measure_in_one_year_are_both_rejected():
    result = clean_la_measures(trend(trend_row(), trend_row(**{"Measure Group": "4C"})))
    assert_reconciles(result)
    assert result.rows_clean == 0 and result.rows_rejected == 2
    assert all(r.startswith("measure codes 4A, 4C mean the same measure") for r in reasons(result))


def test_source_columns_are_kept_in_rejects():
    frame = trend(trend_row(), trend_row(Year="twenty")).assign(_source_file="a.csv", _source_row=[10, 11])
    result = clean_la_measures(frame)
    assert result.rejects[["file", "row"]].values.tolist() == [["a.csv", 11]]
    assert result.clean.loc[0, "source"] == "ascof_trend:a.csv"


def test_empty_trend_table_reconciles_with_no_rows():
    result = clean_la_measures(trend())
    assert_reconciles(result)
    assert result.rows_in == 0 and result.clean.empty and list(result.clean.columns) == OUTPUT_COLUMNS


def test_input_frame_is_not_changed():
    frame = trend(trend_row())
    before = frame.copy()
    clean_la_measures(frame)
    pd.testing.assert_frame_equal(frame, before)


# --- official NHS Digital layout ---------------------------------------------------------------


def test_official_file_puts_numerator_and_denominator_beside_the_outcome():
    frame = official(official_rows())
    result = clean_la_measures(frame, source=OFFICIAL_FILE)
    assert_reconciles(result)
    assert (result.rows_in, result.rows_clean, result.rows_rejected, result.rows_filtered) == (5, 1, 0, 4)
    assert list(result.filter_reasons.values()) == [4]
    row = result.clean.iloc[0]
    assert row["financial_year"] == "2020-21"  # from the NHS Digital file name
    assert (row["value"], row["numerator"], row["denominator"], row["base"], row["margin_of_error"]) == (
        76.7, 3250.0, 4235.0, 485.0, 3.5)
    assert row["source"] == f"ascof_nhsd:{OFFICIAL_FILE}" and row["measure"] == "feel_safe"


def test_official_file_keeps_every_disaggregation_and_geography():
    frame = official(
        official_rows(),
        official_rows(group="4A65OV", disaggregation="65 and over"),
        official_rows(geo=("YH", "Yorkshire and The Humber", "Region", "E12000003")),
        official_rows(geo=("M", "Metropolitan District", "Council Type", "")),
        official_rows(geo=("England", "England", "England", "E92000001"),
                      values={"Outcome": "[x]", "Numerator": "[x]", "Denominator": "[x]"}),
    )
    frame.loc[frame["ASCOF Measure Code"] == "4A65OV", "Measure Group"] = "4A"
    result = clean_la_measures(frame, source=OFFICIAL_FILE)
    assert_reconciles(result)
    clean = result.clean
    assert result.rows_clean == 5 and result.rows_rejected == 0
    assert clean["disaggregation"].tolist() == ["Total", "65 and over", "Total", "Total", "Total"]
    assert clean["measure_code"].eq("4A").all() and clean["measure"].eq("feel_safe").all()
    assert clean["name"].tolist()[2:] == ["Yorkshire and the Humber", "Metropolitan Districts", "England"]
    england = clean.iloc[4]
    assert np.isnan(england["value"]) and england["value_marker"] == "not_available"
    assert np.isnan(england["numerator"]) and np.isnan(england["base"])


def test_official_numerator_without_an_outcome_is_rejected():
    rows = [r for r in official_rows() if r["Measure Type"] != "Outcome"]
    result = clean_la_measures(official(rows), source=OFFICIAL_FILE)
    assert_reconciles(result)
    assert result.rows_clean == 0 and result.rows_rejected == 4 and result.rows_filtered == 0
    assert all(r.startswith("no usable Outcome row") for r in reasons(result))


def test_official_outcome_with_a_bad_value_takes_its_parts_with_it():
    result = clean_la_measures(official(official_rows(values={"Outcome": "n/a?", "Numerator": "3"})),
                               source=OFFICIAL_FILE)
    assert_reconciles(result)
    assert result.rows_clean == 0 and result.rows_rejected == 2


def test_official_cassr_and_ons_codes_must_agree():
    rows = official_rows(geo=("616", "Kirklees", "Council", "E08000034"))  # 616 is Reading
    result = clean_la_measures(official(rows), source=OFFICIAL_FILE)
    assert_reconciles(result)
    assert result.rows_clean == 0 and result.rows_rejected == 5
    assert set(result.rejects["column"]) == {"Geographical Code"}


def test_official_cassr_code_alone_is_enough():
    result = clean_la_measures(official(official_rows(geo=("211", "Kirklees", "Council", ""))), source=OFFICIAL_FILE)
    assert_reconciles(result)
    assert result.clean.loc[0, "ons_code"] == "E08000034"


def test_official_year_from_argument_or_column():
    frame = official(official_rows())
    assert clean_la_measures(frame, source="ascof.csv", year="2019-20").clean.loc[0, "financial_year"] == "2019-20"
    with_year = frame.assign(Year="2021-22")
    assert clean_la_measures(with_year, source="ascof.csv").clean.loc[0, "financial_year"] == "2021-22"


def test_official_file_without_any_year_is_unusable():
    with pytest.raises(UnusableInputError, match=r"ascof\.csv: .*no Year column.*--year"):
        clean_la_measures(official(official_rows()), source="ascof.csv")


# --- Oflog layout --------------------------------------------------------------------------------


def test_oflog_turnover_rows():
    frame = oflog(oflog_row(), oflog_row(**{"Local authority code": "E09000029", "Local authority name": "Sutton",
                                            "Value": ""}),
                  oflog_row(**{"Code": "ASC9", "Measure": "Outcome, Something new"}))
    result = clean_la_measures(frame, source="ASC_data.csv")
    assert_reconciles(result)
    clean = result.clean
    assert clean["measure"].tolist() == ["workforce_turnover", "workforce_turnover", "other"]
    assert clean["measure_code"].tolist() == ["ASC7", "ASC7", "ASC9"]
    assert clean.loc[0, "value"] == pytest.approx(27.4) and clean.loc[0, "name"] == "Darlington"
    assert np.isnan(clean.loc[1, "value"]) and clean.loc[1, "value_marker"] == "missing"
    assert clean["geography_level"].eq("Council").all() and clean["source"].eq("oflog:ASC_data.csv").all()


def test_oflog_older_variant_without_code_column():
    frame = oflog(oflog_row()).drop(columns=["Code"])
    result = clean_la_measures(frame, source="adult_social_care.csv")
    assert_reconciles(result)
    assert result.clean.loc[0, "measure"] == "workforce_turnover" and pd.isna(result.clean.loc[0, "measure_code"])


def test_oflog_rejects_name_the_published_columns():
    frame = oflog(oflog_row(), oflog_row(**{"Local authority code": "E10000099", "Value": "high"}))
    result = clean_la_measures(frame, source="ASC_data.csv")
    assert_reconciles(result)
    assert sorted(result.rejects["column"]) == ["Local authority code", "Value"]
    assert result.rows_rejected == 1


# --- several files at once (as the CLI stacks them) ------------------------------------------------


def test_stacked_files_each_keep_their_own_layout():
    frames = [
        trend(trend_row()).assign(_source_file="trend_data.csv", _source_row=[2]),
        oflog(oflog_row(), oflog_row(Value="??")).assign(_source_file="ASC_data.csv", _source_row=[2, 3]),
        official(official_rows()).assign(_source_file=OFFICIAL_FILE, _source_row=range(2, 7)),
    ]
    result = clean_la_measures(pd.concat(frames, ignore_index=True))
    assert_reconciles(result)
    assert (result.rows_in, result.rows_clean, result.rows_rejected, result.rows_filtered) == (8, 3, 1, 4)
    assert result.clean["source"].str.split(":").str[0].tolist() == ["ascof_trend", "oflog", "ascof_nhsd"]
    assert result.rejects[["file", "row", "column"]].values.tolist() == [["ASC_data.csv", 3, "Value"]]


def test_cli_cleans_a_trend_file_and_an_oflog_file_together(tmp_path):
    from msp_analysis.cli import main

    trend(trend_row()).to_csv(tmp_path / "trend_data.csv", index=False)
    oflog(oflog_row()).to_csv(tmp_path / "ASC_data.csv", index=False, encoding="cp1252")
    out = tmp_path / "out"
    assert main(["clean", "la_measures", str(tmp_path / "trend_data.csv"), str(tmp_path / "ASC_data.csv"),
                 "--out", str(out)]) == 0
    clean = pd.read_parquet(out / "la_measures.parquet")
    assert clean["measure"].tolist() == ["feel_safe", "workforce_turnover"]


# --- unknown layout, codebook ---------------------------------------------------------------------


def test_unknown_layout_names_the_file_and_the_expected_columns():
    frame = pd.DataFrame({"council": ["Kirklees"], "score": ["70"]})
    with pytest.raises(UnusableInputError) as error:
        clean_la_measures(frame, source="mystery.csv")
    message = str(error.value)
    assert message.startswith("mystery.csv: not a council-measures file")
    for expected in ("Measure_Value", "ASCOF Measure Code", "Local authority code", "found columns council, score"):
        assert expected in message


def test_cleaner_is_registered():
    assert KINDS["la_measures"].cleaner is clean_la_measures


def test_measures_codebook_is_consistent():
    table = read_codebook("measures.csv")
    assert {"feel_safe", "services_made_feel_safe", "workforce_turnover"} <= set(table["measure"])
    assert table["measure"].str.fullmatch(r"[a-z][a-z0-9_]*").all()
    assert (table.groupby("measure")["unit"].nunique() == 1).all(), "one unit per measure"
    assert table["unit"].isin(["percent", "score", "per_100k"]).all()
    specific = table["code"].ne("") | table["years"].ne("")
    assert table.loc[~specific, "description"].map(measure_key).is_unique, "one row per plain variant"
    assert match_measure("whatever") == "other"


def test_measure_key_ignores_case_dashes_brackets_and_the():
    assert measure_key("The Proportion (aged 18\u201364)") == measure_key("proportion aged 18\x9664") == (
        "proportion aged 18 64")


def test_parse_values_vectorised():
    numbers, markers, invalid = parse_values(pd.Series(["1,000", "[x]", "abc", ""]))
    assert numbers.iloc[0] == 1000.0 and markers.tolist()[1:] == ["not_available", pd.NA, "missing"]
    assert invalid.tolist() == [False, False, True, False]


# --- properties ------------------------------------------------------------------------------------

COUNCILS = geography.councils("2022-23").head(12)
MEASURES = [("4A", FEEL_SAFE), ("4B", MADE_SAFE), ("1A", "Social care-related quality of life"),
            ("7X", "Not in the codebook")]
YEARS = ["2021-22", "2022-23"]
DEFECTS = {
    "year": {"Year": "22/23x"},
    "code": {"ONS Code": "E99999999"},
    "value": {"Measure_Value": "n/a?"},
    "level": {"Geographical Level": "Ward"},
}
MARKER_TEXT = {"not_available": "[x]", "suppressed": "[c]", "missing": ""}

row_specs = st.lists(
    st.tuples(
        st.integers(0, len(COUNCILS) - 1), st.integers(0, len(MEASURES) - 1), st.integers(0, len(YEARS) - 1),
        st.one_of(st.floats(0, 1000, allow_nan=False).map(lambda x: f"{x:.1f}"), st.sampled_from(["[x]", "[c]", ""])),
        st.sampled_from([None, None, None, *DEFECTS]),
    ),
    max_size=30,
    unique_by=lambda spec: spec[:3],
)


def frame_from_specs(specs) -> pd.DataFrame:
    rows = []
    for council, measure, year, value, defect in specs:
        code, description = MEASURES[measure]
        row = trend_row(**{"Year": YEARS[year], "ONS Code": COUNCILS.loc[council, "ons_code"],
                           "Geographical Description": COUNCILS.loc[council, "name"], "Measure Group": code,
                           "Measure Group Description": description, "Measure_Value": value})
        row.update(DEFECTS.get(defect, {}))
        rows.append(row)
    return trend(*rows)


def sorted_clean(result) -> pd.DataFrame:
    keys = ["financial_year", "ons_code", "measure_code"]
    return result.clean.sort_values(keys).reset_index(drop=True)


PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.long
@PROPERTY_SETTINGS
@given(row_specs)
def test_property_any_mix_reconciles_and_every_reject_has_a_reason(specs):
    result = clean_la_measures(frame_from_specs(specs))
    assert_reconciles(result)
    defective = sum(defect is not None for *_, defect in specs)
    assert result.rows_rejected == defective and result.rows_clean == len(specs) - defective
    assert result.rejects["reason"].ne("").all() and result.rejects["column"].ne("").all()


@pytest.mark.long
@PROPERTY_SETTINGS
@given(row_specs, st.randoms(use_true_random=False))
def test_property_row_order_does_not_matter(specs, random):
    frame = with_rows_numbered(frame_from_specs(specs))
    shuffled = frame.sample(frac=1, random_state=random.randint(0, 2**31)).reset_index(drop=True)
    first, second = clean_la_measures(frame), clean_la_measures(shuffled)
    pd.testing.assert_frame_equal(sorted_clean(first), sorted_clean(second))
    pd.testing.assert_frame_equal(first.rejects, second.rejects)


def with_rows_numbered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(_source_file="trend.csv", _source_row=np.arange(2, len(frame) + 2))


@pytest.mark.long
@PROPERTY_SETTINGS
@given(row_specs)
def test_property_cleaning_clean_output_again_changes_nothing(specs):
    first = clean_la_measures(frame_from_specs(specs), source="trend.csv")
    again = clean_la_measures(as_trend_table(first.clean), source="trend.csv")
    assert again.rows_rejected == 0
    pd.testing.assert_frame_equal(first.clean, again.clean)


def as_trend_table(clean: pd.DataFrame) -> pd.DataFrame:
    """Write clean rows back in the trend layout (the round trip of the idempotence property)."""
    value = clean["value"].map(lambda x: "" if np.isnan(x) else repr(x))
    value = value.mask(clean["value_marker"].notna(), clean["value_marker"].map(MARKER_TEXT))
    return pd.DataFrame({
        "Year": clean["financial_year"], "Geographical Description": clean["name"], "ONS Code": clean["ons_code"],
        "Measure Group": clean["measure_code"], "Measure Group Description": clean["description"],
        "Measure_Value": value, "Geographical Level": clean["geography_level"],
        "Disaggregation Level": clean["disaggregation"], "Measure Type": "Outcome",
    }, columns=TREND_COLUMNS).astype(str)


# --- real data -------------------------------------------------------------------------------------

REAL_FILES = {
    "trend": "ascof_trend_2017_2024/trend_data.csv",
    "official": f"ascof_2020_21_nhsd/{OFFICIAL_FILE}",
    "oflog": "oflog_asc_la/ASC_data.csv",
}


def clean_real_file(real_data_dir: Path, key: str):
    """Read one public file in place and clean it; a missing file fails (it must not skip)."""
    from msp_analysis.io.tables import read_table

    path = real_data_dir / REAL_FILES[key]
    if not path.is_file():
        pytest.fail(f"{path} is missing from MSP_REAL_DATA; see DATA.md §5")
    raw = read_table(path)
    result = clean_la_measures(raw, source=str(path))
    print(f"{key}: {result.rows_in:,} rows in, {result.rows_clean:,} clean, {result.rows_rejected:,} rejected, "
          f"{result.rows_filtered:,} folded")
    return raw, result


@pytest.fixture(scope="module")
def real_trend(real_data_dir):
    return clean_real_file(real_data_dir, "trend")


@pytest.fixture(scope="module")
def real_official(real_data_dir):
    return clean_real_file(real_data_dir, "official")  # 2 MB xlsx: read once for the module


@pytest.fixture(scope="module")
def real_oflog(real_data_dir):
    return clean_real_file(real_data_dir, "oflog")


@pytest.mark.real_data
@pytest.mark.parametrize("key,counts", [
    ("trend", (26498, 26498, 0, 0)),
    ("official", (48970, 13114, 0, 35856)),
    ("oflog", (6376, 6376, 0, 0)),
])
def test_real_files_reconcile(key, counts, request, record_property):
    raw, result = request.getfixturevalue(f"real_{key}")
    record_property("rows", f"{result.rows_in} in / {result.rows_clean} clean / {result.rows_rejected} rejected")
    assert_reconciles(result)
    assert result.rows_in == len(raw)
    assert (result.rows_in, result.rows_clean, result.rows_rejected, result.rows_filtered) == counts


def england_series(clean: pd.DataFrame, measure: str) -> dict[str, float]:
    rows = clean[(clean["geography_level"] == "England") & (clean["measure"] == measure)
                 & (clean["disaggregation"] == "Total")]
    return dict(zip(rows["financial_year"], rows["value"], strict=True))


@pytest.mark.real_data
def test_real_trend_england_feel_safe_and_made_safe(real_trend):
    _, result = real_trend
    assert england_series(result.clean, "feel_safe") == {
        "2017-18": 69.9, "2018-19": 70.0, "2019-20": 70.2, "2021-22": 69.2, "2022-23": 69.7, "2023-24": 71.1}
    assert england_series(result.clean, "services_made_feel_safe") == {
        "2017-18": 86.3, "2018-19": 86.9, "2019-20": 86.8, "2021-22": 85.6, "2022-23": 87.1}


@pytest.mark.real_data
def test_real_trend_every_measure_is_known_and_councils_match_geography(real_trend):
    _, result = real_trend
    clean = result.clean
    assert clean["measure"].ne("other").all()
    councils = clean[clean["geography_level"] == "Council"]
    for year, rows in councils.groupby("financial_year"):
        assert set(rows["ons_code"]) == set(geography.councils(year)["ons_code"]), year
    assert set(clean.loc[clean["geography_level"] == "Region", "name"]) == {name for _, name in geography.REGIONS}
    assert not clean.duplicated(["financial_year", "geography_level", "name", "measure", "disaggregation"]).any()
    feel_safe_2020 = councils[(councils["measure"] == "feel_safe") & (councils["financial_year"] == "2020-21")]
    assert len(feel_safe_2020) == 18  # only the councils that ran the voluntary Covid-year survey


@pytest.mark.real_data
def test_real_official_feel_safe_with_numerators(real_official):
    _, result = real_official
    clean = result.clean
    total = clean[(clean["disaggregation"] == "Total") & (clean["measure"] == "feel_safe")].set_index("name")
    for council, value in {"Kirklees": 76.7, "Reading": 67.8}.items():
        row = total.loc[council]
        assert row["value"] == value and row["financial_year"] == "2020-21"
        assert row["numerator"] > 0 and row["denominator"] >= row["numerator"]
        assert row["numerator"] / row["denominator"] * 100 == pytest.approx(value, abs=0.05)
    councils = total[total["geography_level"] == "Council"]
    assert councils["value"].notna().sum() == 18  # only 18 councils ran the voluntary 2020-21 survey
    assert clean["measure"].ne("other").all()
    assert set(clean["disaggregation"]) >= {"Total", "Male", "Female", "18-64", "65 and over"}


@pytest.mark.real_data
def test_real_oflog_turnover(real_oflog):
    _, result = real_oflog
    turnover = result.clean[result.clean["measure"] == "workforce_turnover"]
    by_year = turnover.groupby("financial_year")["value"]
    years = ["2016-17", "2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]
    assert by_year.count().to_dict() == dict(zip(years, [110, 112, 115, 112, 103, 106, 151], strict=True))
    assert by_year.median().round(1).to_dict() == dict(zip(years, [26.3, 29.0, 30.3, 31.0, 28.3, 28.6, 28.0], strict=True))
    assert turnover["value"].dropna().between(10, 48).all()
    assert (turnover["value_marker"] == "missing").sum() == turnover["value"].isna().sum()
