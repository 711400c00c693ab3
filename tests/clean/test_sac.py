"""Tests for msp_analysis.clean.sac: SAC tables in, tidy counts out, and back again."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msp_analysis.analysis.pathway import (
    COUNT_COLUMNS,
    RATE_DEFINITIONS,
    add_rates,
    pathway_counts,
)
from msp_analysis.clean.sac import (
    ALL_ZERO_MSP_NOTE,
    OUTPUT_COLUMNS,
    SAC_LONG_COLUMNS,
    YEAR_COLUMN,
    aggregate_to_sac,
    clean_sac,
    financial_year_from_name,
    format_sac_long,
    msp_rates,
    msp_rates_csv,
    sac_labels,
)
from msp_analysis.disclosure.policies import POLICIES
from msp_analysis.toolkit.errors import UnusableInputError

SOURCE = "sac_2023-24.csv"
BIRMINGHAM = {"GEOGRAPHY": "Council", "COUNCIL_TYPE": "Metropolitan District", "REGION_CODE": "E12000005",
              "REGION_NAME": "West Midlands", "ONS_CODE": "E08000025", "LA_CODE": "406", "LA_NAME": "Birmingham"}
ENGLAND = {"GEOGRAPHY": "England", "COUNCIL_TYPE": "", "REGION_CODE": "", "REGION_NAME": "", "ONS_CODE": "",
           "LA_CODE": "1010", "LA_NAME": "England"}
MSP_LABELS = sac_labels("SG4a")
CAPACITY_LABELS = sac_labels("SG3a", "capacity")


def row(**changes: object) -> dict:
    """One valid long-CSV row: Birmingham, SG4a, fully achieved, 12."""
    base = {**BIRMINGHAM, "TABLE_REFERENCE": "SG4a", "ENQUIRY_TYPE": "Concluded Section 42 Enquiries",
            "CATEGORY": "Fully Achieved", "SUBCATEGORY": "", "VALUE": "12"}
    unknown = set(changes) - set(base) - {YEAR_COLUMN}
    assert not unknown, f"not a SAC column: {unknown}"
    base.update(changes)
    return base


def frame(*rows: dict) -> pd.DataFrame:
    columns = ([YEAR_COLUMN] if any(YEAR_COLUMN in r for r in rows) else []) + SAC_LONG_COLUMNS
    return pd.DataFrame(list(rows), columns=columns).fillna("")


def cleaned(data: pd.DataFrame, source: str = SOURCE, **options):
    """clean_sac, checking the invariants every result must keep."""
    result = clean_sac(data, source=source, **options)
    assert result.reconciles(), (result.rows_in, result.rows_clean, result.rows_rejected)
    assert result.rows_in == len(result.clean) + result.rows_rejected
    assert list(result.clean.columns) == OUTPUT_COLUMNS
    assert list(result.rejects.columns) == ["file", "row", "column", "value", "reason"]
    assert result.rejects["reason"].str.len().gt(0).all()
    return result


def only(result) -> pd.Series:
    assert len(result.clean) == 1 and result.rows_rejected == 0, result.rejects.to_dict("records")
    return result.clean.iloc[0]


def rejected(result, column: str) -> pd.DataFrame:
    lines = result.rejects[result.rejects["column"] == column]
    assert len(lines) >= 1, result.rejects.to_dict("records")
    return lines


# --- values and markers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,suppressed,lower,upper,not_submitted",
    [
        ("12", 12, False, 12, 12, False),
        ("0", 0, False, 0, 0, False),
        ("1,234", 1234, False, 1234, 1234, False),
        ("12,345,678", 12345678, False, 12345678, 12345678, False),
        (" 85 ", 85, False, 85, 85, False),
        ("10150.0", 10150, False, 10150, 10150, False),  # Excel numbers read as text
        ("*", np.nan, True, 0, 4, False),                # 2018-19 and earlier: 0-4
        ("[c]", np.nan, True, 0, 4, False),              # later: under 5
        ("c", np.nan, True, 0, 4, False),
        ("[x]", np.nan, False, np.nan, np.nan, True),    # not submitted
        ("[z]", np.nan, False, np.nan, np.nan, False),   # not applicable
        ("", np.nan, False, np.nan, np.nan, False),
    ],
)
def test_values_and_markers_give_values_and_bounds(text, value, suppressed, lower, upper, not_submitted):
    out = only(cleaned(frame(row(TABLE_REFERENCE="SG2a", CATEGORY="Physical Abuse", VALUE=text))))  # not an MSP block
    for name, expected in [("value", value), ("value_lower", lower), ("value_upper", upper)]:
        assert (math.isnan(out[name]) and math.isnan(expected)) or out[name] == expected, name
    assert out["suppressed"] == suppressed
    assert out["not_submitted"] == not_submitted


@pytest.mark.parametrize(
    "text,reason",
    [
        ("abc", "neither a number nor a SAC marker"),
        ("-5", "negative"),
        ("2.5", "not a whole number"),
        ("1,23", "neither a number nor a SAC marker"),
        ("12a", "neither a number nor a SAC marker"),
        ("DK", "'unknown' code"),
        ("999999", "'unknown' code"),
    ],
)
def test_values_that_are_neither_numbers_nor_markers_are_rejected(text, reason):
    result = cleaned(frame(row(), row(VALUE=text), row(CATEGORY="Not Achieved")))
    assert result.rows_clean == 2 and result.rows_rejected == 1
    line = rejected(result, "VALUE").iloc[0]
    assert (line["file"], line["row"], line["value"]) == (SOURCE, 3, text)
    assert reason in line["reason"]


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table,category,subcategory,label",
    [
        ("SG4a", "Fully Achieved", "", "Fully Achieved"),                        # label in CATEGORY
        ("SG4a", "Outcomes achieved", "Fully Achieved", "Fully Achieved"),       # label in SUBCATEGORY
        ("SG4a", "Yes they were asked and outcomes were expressed", "Partly Achieved", "Partially Achieved"),
        ("SG4a", "  fully   ACHIEVED ", "", "Fully Achieved"),
        ("SG4a", "Fully Achieved", "Count", "Fully Achieved"),
        ("SG4a", "Total", "", "Total"),
        ("SG2a", "Self Neglect", "", "Self-Neglect"),
        ("SG2a", "Type of risk", "Financial abuse", "Financial or Material Abuse"),
        ("SG3a", "Yes, they lacked capacity", "", "Yes, they lacked capacity"),
        ("SG3a", "Yes, they lacked capacity", "Supported by an advocate, family or friend",
         "Supported by an advocate, family or friend"),
        ("SG1a", "Age band", "95 and over", "95+"),
        ("SG2c", "Enquiry ceased at individual\u2019s request and no action taken", "",  # curly apostrophe
         "Enquiry ceased at individual's request and no action taken"),
    ],
)
def test_labels_are_found_in_category_or_subcategory(table, category, subcategory, label):
    out = only(cleaned(frame(row(TABLE_REFERENCE=table, CATEGORY=category, SUBCATEGORY=subcategory))))
    assert (out["table"], out["label"]) == (table, label)
    assert pd.isna(out["sublabel"])


@pytest.mark.parametrize(
    "category,subcategory",
    [
        ("Care Home \u2013 Nursing", "Service Provider"),       # en dash
        ("Service Provider", "Care Home - Nursing"),             # the other way round
        ("care home - nursing", "service provider"),
    ],
)
def test_sg2b_crosses_location_and_source(category, subcategory):
    out = only(cleaned(frame(row(TABLE_REFERENCE="SG2b", CATEGORY=category, SUBCATEGORY=subcategory))))
    assert (out["label"], out["sublabel"]) == ("Care Home - Nursing", "Service Provider")


@pytest.mark.parametrize(
    "table,category,subcategory,column,reason",
    [
        ("SG4a", "Fully Acheived", "", "CATEGORY", "not a SAC label of table SG4a"),
        ("SG4a", "Outcomes", "Fully Acheived", "SUBCATEGORY", "sac_labels.csv"),
        ("SG4a", "Fully Achieved", "Fully Acheived", "SUBCATEGORY", "not a SAC label"),  # no silent fallback
        ("SG4a", "", "", "CATEGORY", "not a SAC label"),
        ("SG2a", "Fully Achieved", "", "CATEGORY", "table SG2a"),                      # right label, wrong table
        ("SG2b", "Own Home", "Next door", "SUBCATEGORY", "not a SAC source label"),
        ("SG2b", "Own Home", "Other", "SUBCATEGORY", "both location labels"),
    ],
)
def test_unknown_labels_are_rejected_with_reasons(table, category, subcategory, column, reason):
    result = cleaned(frame(row(), row(TABLE_REFERENCE=table, CATEGORY=category, SUBCATEGORY=subcategory)))
    assert result.rows_clean == 1 and result.rows_rejected == 1
    line = rejected(result, column).iloc[0]
    assert line["row"] == 3 and reason in line["reason"]


@pytest.mark.parametrize("reference", ["SG4a", "sg4a", "SG4A", "Table SG4a", " SG4a ", "T8"])
def test_table_references_are_normalised(reference):
    assert only(cleaned(frame(row(TABLE_REFERENCE=reference))))["table"] == "SG4a"


def test_unknown_table_and_enquiry_type_are_rejected_and_blank_enquiry_type_defaults():
    result = cleaned(frame(row(TABLE_REFERENCE="SG9z"), row(ENQUIRY_TYPE="Complaints"), row(ENQUIRY_TYPE=""),
                           row(ENQUIRY_TYPE="Concluded S42 Enquiries", CATEGORY="Not Achieved")))
    assert "not a SAC table reference" in rejected(result, "TABLE_REFERENCE")["reason"].iloc[0]
    assert "not a SAC enquiry type" in rejected(result, "ENQUIRY_TYPE")["reason"].iloc[0]
    assert result.clean["enquiry_type"].tolist() == ["Concluded Section 42 Enquiries"] * 2


# --- geography -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geography",
    [
        ENGLAND,
        {**ENGLAND, "GEOGRAPHY": ""},                                   # 1010 alone says England
        {**ENGLAND, "GEOGRAPHY": "", "LA_CODE": "", "ONS_CODE": "E92000001", "LA_NAME": ""},
        {**ENGLAND, "GEOGRAPHY": "National", "LA_CODE": "1010.0"},
        {**BIRMINGHAM, "LA_CODE": "1010", "ONS_CODE": "", "LA_NAME": "England"},
    ],
)
def test_england_rows_including_1010(geography):
    out = only(cleaned(frame(row(**geography))))
    assert (out["geography_level"], out["ons_code"], out["name"]) == ("England", "E92000001", "England")


@pytest.mark.parametrize(
    "geography,level,ons_code,name",
    [
        ({"GEOGRAPHY": "Region", "REGION_CODE": "E12000006", "REGION_NAME": "Eastern"}, "Region", "E12000006",
         "East of England"),
        ({"GEOGRAPHY": "", "REGION_CODE": "", "REGION_NAME": "Yorkshire and The Humber"}, "Region", "E12000003",
         "Yorkshire and the Humber"),
        ({"GEOGRAPHY": "", "ONS_CODE": "E12000007"}, "Region", "E12000007", "London"),
        ({"GEOGRAPHY": "Council Type", "COUNCIL_TYPE": "Shire Counties"}, "Council type", None, "Shire County"),
        ({"GEOGRAPHY": "", "COUNCIL_TYPE": "London Borough"}, "Council type", None, "London Borough"),
        ({"GEOGRAPHY": "Council", "ONS_CODE": "E08000025"}, "Council", "E08000025", "Birmingham"),
        ({"GEOGRAPHY": "", "LA_CODE": "406"}, "Council", "E08000025", "Birmingham"),
        ({"GEOGRAPHY": "", "LA_CODE": "406.0"}, "Council", "E08000025", "Birmingham"),
        ({"GEOGRAPHY": "Local Authority", "LA_NAME": "Bristol, City of"}, "Council", "E06000023", "Bristol"),
        ({"GEOGRAPHY": "", "ONS_CODE": "e06000047"}, "Council", "E06000047", "County Durham"),
    ],
)
def test_geography_levels(geography, level, ons_code, name):
    blank = {key: "" for key in BIRMINGHAM}
    out = only(cleaned(frame(row(**{**blank, **geography}))))
    assert out["geography_level"] == level
    assert (pd.isna(out["ons_code"]) and ons_code is None) or out["ons_code"] == ons_code
    assert name in out["name"]


def test_council_rows_carry_codebook_codes_name_and_region():
    out = only(cleaned(frame(row(LA_NAME="Birmingham City Council"))))
    assert (out["ons_code"], out["cassr_code"], out["name"], out["region"]) == (
        "E08000025", "406", "Birmingham", "West Midlands")


@pytest.mark.parametrize(
    "geography,column,reason",
    [
        ({"ONS_CODE": "E08999999"}, "ONS_CODE", "unknown council code for 2023-24"),
        ({"ONS_CODE": "", "LA_CODE": "999"}, "LA_CODE", "unknown council code"),
        ({"ONS_CODE": "", "LA_CODE": "", "LA_NAME": "Atlantis"}, "LA_NAME", "unknown council name"),
        ({"ONS_CODE": "E10000023"}, "ONS_CODE", "unknown council code for 2023-24"),  # North Yorkshire county ended
        ({"LA_CODE": "116"}, "LA_CODE", "different council"),
        ({"GEOGRAPHY": "Planet"}, "GEOGRAPHY", "not a geography level"),
        ({"GEOGRAPHY": "Region", "REGION_CODE": "", "REGION_NAME": "Wessex"}, "REGION_NAME", "not an English region"),
        ({"GEOGRAPHY": "Council type", "COUNCIL_TYPE": "Parish"}, "COUNCIL_TYPE", "not a council type"),
        ({"GEOGRAPHY": "Council", "ONS_CODE": "", "LA_CODE": "", "LA_NAME": ""}, "ONS_CODE", "no council code"),
    ],
)
def test_unknown_geographies_are_rejected_with_reasons(geography, column, reason):
    result = cleaned(frame(row(), row(**geography)))
    assert result.rows_clean == 1 and result.rows_rejected == 1
    line = rejected(result, column).iloc[0]
    assert line["row"] == 3 and reason in line["reason"]


# --- financial year ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,year",
    [
        ("sac_2023-24.csv", "2023-24"),
        ("Safeguarding Adults, 2024 to 2025.ods", "2024-25"),
        ("SAC-2019-20-long.csv", "2019-20"),
        ("data/raw/2021-22/sac.csv", "2021-22"),
        ("sac_2018_19.csv", "2018-19"),
        ("sac.csv", None),
        ("sac_2019-21.csv", None),
    ],
)
def test_financial_year_from_file_name(name, year):
    assert financial_year_from_name(name) == year


def test_year_from_file_name_argument_and_column():
    assert only(cleaned(frame(row()), source="SAC-2019-20-long.csv"))["financial_year"] == "2019-20"
    assert only(cleaned(frame(row()), source="sac.csv", year="2020/21"))["financial_year"] == "2020-21"
    assert only(cleaned(frame(row()), source="sac_2019-20.csv", year="2020-21"))["financial_year"] == "2020-21"
    by_column = cleaned(frame(row(FINANCIAL_YEAR="2021/22"), row(FINANCIAL_YEAR="2022 to 2023")), source="sac.csv",
                        year="2020-21")
    assert by_column.clean["financial_year"].tolist() == ["2021-22", "2022-23"]


def test_year_from_each_source_file_when_files_are_combined():
    both = frame(row(), row()).assign(_source_file=["sac_2021-22.csv", "sac_2022-23.csv"], _source_row=[2, 2])
    assert cleaned(both, source="ignored.csv").clean["financial_year"].tolist() == ["2021-22", "2022-23"]


@pytest.mark.parametrize("source", ["sac.csv", "Safeguarding Adults.ods"])
def test_missing_year_is_unusable_and_says_pass_year(source):
    with pytest.raises(UnusableInputError, match="--year") as error:
        clean_sac(frame(row()), source=source)
    assert source in str(error.value)


@pytest.mark.parametrize("year", ["2023", "next year", "2014-15"])
def test_bad_year_argument_is_unusable(year):
    with pytest.raises(UnusableInputError, match="year"):
        clean_sac(frame(row()), source="sac.csv", year=year)


def test_year_column_problems_are_rejected_per_row():
    result = cleaned(frame(row(FINANCIAL_YEAR="2023-24"), row(FINANCIAL_YEAR="someday"), row(FINANCIAL_YEAR=""),
                           row(FINANCIAL_YEAR="2010-11")), source="sac.csv")
    assert result.rows_clean == 1 and result.rows_rejected == 3
    reasons = rejected(result, YEAR_COLUMN).set_index("row")["reason"]
    assert "not a financial year" in reasons[3]
    assert "--year" in reasons[4]
    assert "outside 2015-16" in reasons[5]


def test_blank_year_cells_fall_back_to_the_argument():
    result = cleaned(frame(row(FINANCIAL_YEAR=""), row(FINANCIAL_YEAR="2022-23", CATEGORY="Not Achieved")),
                     source="sac.csv", year="2023-24")
    assert result.clean["financial_year"].tolist() == ["2023-24", "2022-23"]


# --- layout problems -----------------------------------------------------------------------------


def test_not_a_sac_table_is_unusable():
    with pytest.raises(UnusableInputError, match="not a SAC table"):
        clean_sac(pd.DataFrame({"enquiry_id": ["EQ1"]}), source=SOURCE)


def test_long_csv_without_category_is_unusable():
    with pytest.raises(UnusableInputError, match="CATEGORY"):
        clean_sac(frame(row()).drop(columns="CATEGORY"), source=SOURCE)


def test_headers_match_whatever_their_case_spacing_and_punctuation():
    data = frame(row()).rename(columns=lambda c: f" {c.lower().replace('_', ' ')} ")
    assert only(cleaned(data))["label"] == "Fully Achieved"


def test_reject_lines_name_the_columns_as_the_file_spells_them():
    data = frame(row(VALUE="lots")).rename(columns={"VALUE": "Value"})
    assert rejected(cleaned(data), "Value")["value"].tolist() == ["lots"]


def test_empty_frame_reconciles():
    result = cleaned(frame())
    assert result.rows_in == 0 and result.clean.empty


# --- not submitted, duplicates, known issues ----------------------------------------------------------


def msp_block(values: list[str], **geography) -> list[dict]:
    return [row(CATEGORY=label, VALUE=value, **geography) for label, value in zip(MSP_LABELS, values)]


def test_all_zero_msp_block_of_a_council_is_not_submitted():
    result = cleaned(frame(*msp_block(["0"] * 8), *msp_block(["0"] * 7 + ["5"], ONS_CODE="E08000026", LA_CODE="",
                                                              LA_NAME="")))
    zero = result.clean[result.clean["ons_code"] == "E08000025"]
    assert zero["not_submitted"].all() and zero["value"].isna().all()
    assert zero["known_issue"].eq(ALL_ZERO_MSP_NOTE).all()
    kept = result.clean[result.clean["ons_code"] == "E08000026"]
    assert not kept["not_submitted"].any() and kept["value"].sum() == 5


def test_all_zero_msp_block_of_england_is_left_as_zero():
    result = cleaned(frame(*msp_block(["0"] * 8, **ENGLAND)))
    assert result.clean["value"].eq(0).all() and not result.clean["not_submitted"].any()


def test_not_submitted_marker_flags_the_cell():
    result = cleaned(frame(*msp_block(["[x]"] * 8)))
    assert result.clean["not_submitted"].all() and result.clean["value"].isna().all()


def test_identical_duplicates_keep_the_first_and_conflicting_ones_are_all_rejected():
    result = cleaned(frame(row(), row(), row(CATEGORY="Not Achieved", VALUE="5"), row(CATEGORY="Not Achieved",
                                                                                       VALUE="10")))
    assert result.clean["source_row"].tolist() == [2]
    reasons = result.rejects.set_index("row")["reason"]
    assert "duplicate of sac_2023-24.csv row 2" in reasons[3]
    assert "conflicting counts" in reasons[4] and "conflicting counts" in reasons[5]


@pytest.mark.parametrize(
    "year,ons_code,table,note",
    [
        ("2022-23", "E10000028", "SG4a", "Staffordshire"),
        ("2022-23", "E08000014", "SG2a", "Sefton"),
        ("2022-23", "E09000029", "SG4a", "Sutton"),
        ("2024-25", "E10000008", "SG3a", "transposed"),
        ("2024-25", "E10000008", "SG4a", None),   # only Devon's capacity figures
        ("2023-24", "E10000028", "SG4a", None),   # only the revised year
    ],
)
def test_known_issues_are_noted_and_values_kept(year, ons_code, table, note):
    label = {"SG4a": "Fully Achieved", "SG2a": "Physical Abuse", "SG3a": "Don't know"}[table]
    out = only(cleaned(frame(row(FINANCIAL_YEAR=year, ONS_CODE=ons_code, LA_CODE="", LA_NAME="", TABLE_REFERENCE=table,
                                 CATEGORY=label, VALUE="1,005"))))
    assert out["value"] == 1005
    assert (pd.isna(out["known_issue"]) and note is None) or note in out["known_issue"]


# --- wide T-tables ---------------------------------------------------------------------------------


def t8_table() -> pd.DataFrame:
    """A wide T8 (MSP) table as the reader returns it: England, a region, a council type, councils."""
    ids = {
        "ONS area code": ["E92000001", "E12000001", "", "E06000047", "E08999999"],
        "CASSR Code": ["", "", "", "116", ""],
        "CASSR Name": ["England", "", "", "County Durham", "Nowhere"],
        "Council Type / Region Name": ["", "North East", "Shire County", "North East", "North East"],
    }
    counts = {label: ["1,200", "100", "[c]", "7", "1"] for label in MSP_LABELS}
    counts["Fully achieved %"] = ["67.2", "70.0", "", "", ""]
    return pd.DataFrame({**ids, **counts})


def test_wide_t8_table_is_melted_to_the_tidy_frame():
    result = cleaned(t8_table(), source="Safeguarding Adults, 2024 to 2025 - T8.ods")
    assert result.rows_in == 5 * 9
    good = result.clean
    assert set(good["table"]) == {"SG4a"} and set(good["financial_year"]) == {"2024-25"}
    assert good.groupby("geography_level").size().to_dict() == {"England": 8, "Region": 8, "Council type": 8,
                                                                 "Council": 8}
    assert good["label"].tolist()[:8] == MSP_LABELS
    england = good[good["geography_level"] == "England"]
    assert england["value"].eq(1200).all() and (england["source_row"] == 2).all()
    assert good.loc[good["geography_level"] == "Council type", "suppressed"].all()
    percent = rejected(result, "Fully achieved %")
    header_lines = percent[percent["reason"].str.startswith("column header is not a SAC label of table SG4a")]
    assert header_lines["row"].tolist() == [2, 3, 4, 5, 6]
    assert rejected(result, "ONS area code")["row"].unique().tolist() == [6]
    assert result.rows_rejected == 5 + 9 - 1  # the % column and Nowhere's row share one cell


def test_wide_table_with_no_label_header_is_unusable():
    data = t8_table()[["ONS area code", "CASSR Code", "CASSR Name"]].assign(Foo="1")
    with pytest.raises(UnusableInputError, match="which SAC table"):
        clean_sac(data, source="t8_2023-24.ods")


# --- MSP rates ---------------------------------------------------------------------------------------


def sac_counts(counts: dict[str, str], **geography) -> list[dict]:
    """Rows of SG3a (capacity) and SG4a from {label: value}."""
    rows = []
    for label, value in counts.items():
        table = "SG3a" if label in CAPACITY_LABELS else "SG4a"
        rows.append(row(TABLE_REFERENCE=table, CATEGORY=label, VALUE=value, **geography))
    return rows


EXACT = dict(zip(CAPACITY_LABELS, ["100", "250", "30", "20"])) | dict(zip(MSP_LABELS, ["300", "60", "25", "10", "5",
                                                                                       "200", "70", "30"]))


def expected_rates(counts: dict[str, float]) -> pd.Series:
    table = pd.DataFrame([{
        "concluded_s42": sum(counts[label] for label in CAPACITY_LABELS),
        "asked_expressed": counts[MSP_LABELS[0]], "asked_not_expressed": counts[MSP_LABELS[1]],
        "not_asked": counts["No"], "asked_unknown": counts["Don't Know"] + counts["Not Recorded"],
        "fully": counts["Fully Achieved"], "partially": counts["Partially Achieved"],
        "not_achieved": counts["Not Achieved"],
    }])
    return add_rates(table).iloc[0]


def test_msp_rates_follow_the_published_definitions():
    rates = msp_rates(cleaned(frame(*sac_counts(EXACT))).clean)
    assert list(rates.columns) == ["ons_code", "name", "financial_year", "concluded_s42", *RATE_DEFINITIONS]
    got = rates.iloc[0]
    want = expected_rates({k: float(v) for k, v in EXACT.items()})
    assert (got["ons_code"], got["name"], got["financial_year"], got["concluded_s42"]) == (
        "E08000025", "Birmingham", "2023-24", 400)
    for rate in RATE_DEFINITIONS:
        assert got[rate] == pytest.approx(want[rate])
    assert got["asked_pct"] == pytest.approx(100 * 360 / 400)
    assert got["fully_pct"] == pytest.approx(100 * 200 / 300)


@pytest.mark.parametrize(
    "label,value,empty",
    [
        ("Not Achieved", "[c]", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
        ("Not Achieved", "*", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
        ("Don't know", "[c]", {"asked_pct", "expressed_pct"}),       # concluded_s42 is unknown
        (MSP_LABELS[1], "[x]", {"asked_pct"}),
        ("No", "[c]", set()),                                          # not an input of any rate
        ("Fully Achieved", "", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
    ],
)
def test_a_suppressed_or_missing_input_empties_exactly_its_rates(label, value, empty):
    rates = msp_rates(cleaned(frame(*sac_counts({**EXACT, label: value}))).clean).iloc[0]
    for rate in RATE_DEFINITIONS:
        assert pd.isna(rates[rate]) == (rate in empty), rate


def test_msp_rates_need_all_four_capacity_categories():
    counts = {k: v for k, v in EXACT.items() if k != "Not recorded"}
    rates = msp_rates(cleaned(frame(*sac_counts(counts))).clean).iloc[0]
    assert pd.isna(rates["concluded_s42"]) and pd.isna(rates["asked_pct"])
    assert rates["fully_pct"] == pytest.approx(100 * 200 / 300)


def test_msp_rates_of_an_all_zero_block_are_empty():
    rates = msp_rates(cleaned(frame(*sac_counts({**EXACT, **{k: "0" for k in MSP_LABELS}}))).clean).iloc[0]
    assert rates[list(RATE_DEFINITIONS)].isna().all()


def test_msp_rates_csv_rounds_half_up_to_one_decimal():
    counts = {**EXACT, "Fully Achieved": "49", "Partially Achieved": "300", "Not Achieved": "51"}  # 49/400 = 12.25%
    text = msp_rates_csv(cleaned(frame(*sac_counts(counts))).clean)
    lines = text.splitlines()
    assert lines[0] == ("ons_code,name,financial_year,concluded_s42,asked_pct,expressed_pct,fully_pct,partially_pct,"
                        "not_pct,fully_or_partially_pct")
    assert lines[1] == "E08000025,Birmingham,2023-24,400,90.0,75.0,12.3,75.0,12.8,87.3"


def test_msp_rates_refuse_the_same_label_twice():
    twice = cleaned(frame(*sac_counts(EXACT))).clean
    with pytest.raises(ValueError, match="twice"):
        msp_rates(pd.concat([twice, twice]))


# --- aggregate_to_sac on a small inline frame ---------------------------------------------------------


def enquiries(n: int, ons_code: str, **changes: object) -> list[dict]:
    """`n` clean concluded enquiries (clean_evaluation output) of one council in 2023-24."""
    base = {"financial_year": "2023-24", "ons_code": ons_code, "enquiry_type": "Section 42",
            "risk_types": "Physical Abuse; Neglect and Acts of Omission", "risk_location": "Own Home",
            "risk_source": "Service Provider", "risk_assessment_outcome": "Risk identified and action taken",
            "risk_outcome": "Risk reduced", "lacked_capacity": "Yes, they lacked capacity", "capacity_support": "Yes",
            "msp_asked": "Yes they were asked and outcomes were expressed", "msp_outcome_achieved": "Fully Achieved"}
    return [{**base, **changes} for _ in range(n)]


def test_aggregate_to_sac_counts_and_discloses_a_small_frame():
    records = pd.DataFrame(enquiries(8, "E08000025") + enquiries(3, "E08000026", msp_outcome_achieved=
                                                                   "Partially Achieved")
                           + enquiries(4, "E08000025", enquiry_type="Other"))
    sac = aggregate_to_sac(records)
    shown = sac.set_index(["GEOGRAPHY", "LA_NAME", "REGION_NAME", "TABLE_REFERENCE", "CATEGORY", "SUBCATEGORY"])["VALUE"]
    assert shown[("England", "England", "", "SG2a", "Physical Abuse", "")] == "10"           # 11 → 10
    assert shown[("England", "England", "", "SG2a", "Neglect and Acts of Omission", "")] == "10"
    assert shown[("England", "England", "", "SG2a", "Self-Neglect", "")] == "[c]"            # 0 is under 5
    assert shown[("Region", "", "West Midlands", "SG2b", "Own Home", "Service Provider")] == "10"
    assert shown[("Council", "Birmingham", "West Midlands", "SG4a", "Desired outcomes achieved (where expressed)",
                  "Fully Achieved")] == "10"                                                # 8 → 10, Other not counted
    assert shown[("Council", "Coventry", "West Midlands", "SG4a", "Desired outcomes achieved (where expressed)",
                  "Partially Achieved")] == "[c]"
    assert shown[("Council", "Birmingham", "West Midlands", "SG3a", "Yes, they lacked capacity",
                  "Supported by an advocate, family or friend")] == "10"
    assert sac["ENQUIRY_TYPE"].eq("Concluded Section 42 Enquiries").all()
    per_geography = 11 + 9 * 3 + 7 + 3 + (4 + 1) + (5 + 3)  # SG2a, SG2b, SG2c, SG2e, SG3a, SG4a
    assert sac.groupby("GEOGRAPHY").size().to_dict() == {"Council": 2 * per_geography, "England": per_geography,
                                                       "Region": per_geography}


# --- round trip: record-level → SAC file → clean ---------------------------------------------------


@pytest.fixture(scope="module")
def round_trip():
    from msp_analysis.analysis.simulate import simulate
    from msp_analysis.clean.evaluation import clean_evaluation

    enquiries = clean_evaluation(simulate(11, scale=0.1).evaluation, source="simulated.csv").clean
    published = aggregate_to_sac(enquiries)
    return enquiries, published, clean_sac(published, source="simulated_sac.csv")


def test_aggregate_writes_the_sac_long_layout_under_the_disclosure_rule(round_trip):
    enquiries, published, _ = round_trip
    assert list(published.columns) == [YEAR_COLUMN, *SAC_LONG_COLUMNS]
    assert published.map(lambda v: isinstance(v, str)).all().all()
    assert set(published["GEOGRAPHY"]) == {"England", "Region", "Council"}
    assert set(published["TABLE_REFERENCE"]) == {"SG2a", "SG2b", "SG2c", "SG2e", "SG3a", "SG4a"}
    numbers = published.loc[published["VALUE"] != "[c]", "VALUE"].str.replace(",", "").astype(int)
    assert (numbers % 5 == 0).all() and (numbers >= 5).all()
    assert published.loc[published["GEOGRAPHY"] == "England", "LA_CODE"].eq("1010").all()
    councils = published[published["GEOGRAPHY"] == "Council"].groupby(YEAR_COLUMN)["ONS_CODE"].nunique()
    assert councils.to_dict() == enquiries.groupby("financial_year")["ons_code"].nunique().to_dict()


def test_aggregate_counts_are_the_rounded_pathway_counts(round_trip):
    enquiries, published, _ = round_trip
    policy = POLICIES["sac"]
    truth = pathway_counts(enquiries, ["financial_year"]).set_index("financial_year")
    england = published[(published["GEOGRAPHY"] == "England") & (published["TABLE_REFERENCE"] == "SG4a")]
    for (year, label), value in england.set_index([YEAR_COLUMN, "SUBCATEGORY"])["VALUE"].items():
        column = {"Fully Achieved": "fully", "Partially Achieved": "partially", "Not Achieved": "not_achieved",
                  MSP_LABELS[0]: "asked_expressed", MSP_LABELS[1]: "asked_not_expressed", "No": "not_asked"}.get(label)
        if column:
            assert value == policy.format_count(truth.loc[year, column]), (year, label)
    capacity = published[(published["GEOGRAPHY"] == "England") & (published["TABLE_REFERENCE"] == "SG3a")
                         & (published["SUBCATEGORY"] == "")]
    assert len(capacity) == 4 * len(truth)


def test_round_trip_gives_back_the_published_counts(round_trip):
    _, published, result = round_trip
    assert result.reconciles() and result.rows_rejected == 0 and result.rows_clean == len(published)
    back = result.clean
    suppressed = published["VALUE"].eq("[c]").to_numpy()
    assert (back["suppressed"].to_numpy() == suppressed).all()
    numbers = published.loc[~suppressed, "VALUE"].str.replace(",", "").astype(float).to_numpy()
    assert (back.loc[~suppressed, "value"].to_numpy() == numbers).all()
    assert (back["value_lower"][suppressed] == 0).all() and (back["value_upper"][suppressed] == 4).all()
    assert back["label"].notna().all() and not back["not_submitted"].any()
    assert set(back["geography_level"]) == {"England", "Region", "Council"}


def test_round_trip_rates_equal_pathway_rates_from_the_rounded_counts(round_trip):
    _, published, result = round_trip
    rates = msp_rates(result.clean).set_index(["ons_code", "financial_year"])
    number = published.assign(n=published["VALUE"].str.replace(",", "").replace("[c]", np.nan).astype(float))
    bridge = {label: column for label, column in [
        (MSP_LABELS[0], "asked_expressed"), (MSP_LABELS[1], "asked_not_expressed"), ("No", "not_asked"),
        ("Don't Know", "asked_unknown"), ("Not Recorded", "asked_unknown"), ("Fully Achieved", "fully"),
        ("Partially Achieved", "partially"), ("Not Achieved", "not_achieved")]}
    sg4a = number[number["TABLE_REFERENCE"] == "SG4a"].assign(column=lambda d: d["SUBCATEGORY"].map(bridge))
    sg3a = number[(number["TABLE_REFERENCE"] == "SG3a") & (number["SUBCATEGORY"] == "")].assign(column="concluded_s42")
    both = pd.concat([sg4a, sg3a])
    # sum(min_count) keeps a suppressed part as NaN, so the whole count is unknown
    counts = both.groupby(["ONS_CODE", YEAR_COLUMN, "column"])["n"].sum(min_count=1)
    unknown = both.groupby(["ONS_CODE", YEAR_COLUMN, "column"])["n"].apply(lambda s: s.isna().any())
    counts = counts.where(~unknown).unstack("column")[COUNT_COLUMNS]
    want = add_rates(counts.fillna(0))
    checked = 0
    for rate, (numerator, denominator) in RATE_DEFINITIONS.items():
        usable = counts[numerator + denominator].notna().all(axis=1)
        got = rates[rate].reindex(counts.index)
        assert got[~usable].isna().all(), rate
        assert np.allclose(got[usable], want.loc[usable, rate], equal_nan=True), rate
        checked += int(usable.sum())
    assert checked > 0
    levels = rates.reset_index()
    assert levels.loc[levels["ons_code"] == "E92000001", "fully_pct"].notna().all()


def test_round_trip_is_idempotent_through_format_sac_long(round_trip):
    _, _, result = round_trip
    again = cleaned(format_sac_long(result.clean), source="again.csv")
    assert again.rows_rejected == 0
    columns = ["financial_year", "geography_level", "ons_code", "table", "label", "sublabel", "value", "suppressed",
               "value_lower", "value_upper", "not_submitted"]
    pd.testing.assert_frame_equal(again.clean[columns], result.clean[columns])


# --- published figures (real data) ------------------------------------------------------------------

OVERVIEW = Path("asc_overview_nhsd_2022") / "ASC_OVERVIEW_DATA_TABLES_TEMPLATE_21-22.xlsx"
PUBLISHED_FULLY = [67.2, 67.8, 68.1, 66.7, 68.1, 68.1]
PUBLISHED_FULLY_OR_PARTLY = [89.1, 94.1, 94.2, 93.1, 94.3, 94.8]
YEARS = ["2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21"]


@pytest.mark.real_data
def test_msp_rates_reproduce_the_published_national_percentages(real_data_dir):
    path = real_data_dir / OVERVIEW
    assert path.is_file(), f"{path} is missing; MSP_REAL_DATA must hold the public data (see its SOURCE.md)"
    sheet = pd.read_excel(path, sheet_name="Table 8", header=None, dtype=str)
    header = sheet.index[sheet[0].eq("Measure")][0]
    years = {str(sheet.loc[header, c]): c for c in sheet.columns[1:] if pd.notna(sheet.loc[header, c])}
    measure = sheet[0].fillna("")

    def line(start: str, ending: str) -> pd.Series:
        hit = sheet[measure.str.startswith(start) & measure.str.endswith(ending)]
        assert len(hit) == 1, (start, ending)
        return hit.iloc[0]

    ending = "indicated that the desired outcomes were {} achieved"
    counts = {label: line("Safeguarding Enquiries", ending.format(word)) for label, word in
              [("Fully Achieved", "fully"), ("Partly Achieved", "partly"), ("Not Achieved", "not")]}
    shares = {name: line("% Safeguarding Enquiries", ending.format(word)) for name, word in
              [("fully_pct", "fully"), ("partially_pct", "partly"), ("fully_or_partially_pct", "fully or partly")]}
    rows = [row(FINANCIAL_YEAR=year, **ENGLAND, CATEGORY=label, VALUE=f"{int(float(values[years[year]])):,}")
            for year in YEARS for label, values in counts.items()]  # "Partly Achieved" is a codebook variant
    result = cleaned(frame(*rows), source=str(path))
    assert result.rows_rejected == 0
    rates = msp_rates(result.clean).set_index("financial_year").loc[YEARS]
    assert rates["ons_code"].eq("E92000001").all() and rates["asked_pct"].isna().all()
    for name, published in shares.items():
        expected = np.array([100 * float(published[years[y]]) for y in YEARS])
        assert np.abs(rates[name].to_numpy() - expected).max() <= 0.1 + 1e-9, name
    assert np.abs(rates["fully_pct"].to_numpy() - PUBLISHED_FULLY).max() <= 0.1 + 1e-9
    assert np.abs(rates["fully_or_partially_pct"].to_numpy() - PUBLISHED_FULLY_OR_PARTLY).max() <= 0.1 + 1e-9
    text = msp_rates_csv(result.clean).splitlines()
    assert [line.split(",")[6] for line in text[1:]] == [f"{v:.1f}" for v in PUBLISHED_FULLY]


# --- properties ----------------------------------------------------------------------------------------

GEOGRAPHIES = [
    ENGLAND,
    {**ENGLAND, "GEOGRAPHY": ""},
    {**{k: "" for k in BIRMINGHAM}, "GEOGRAPHY": "Region", "REGION_CODE": "E12000002", "REGION_NAME": "North West"},
    {**{k: "" for k in BIRMINGHAM}, "GEOGRAPHY": "Council type", "COUNCIL_TYPE": "Unitary Authority"},
    BIRMINGHAM,
    {**BIRMINGHAM, "ONS_CODE": "", "LA_NAME": ""},
    {**BIRMINGHAM, "ONS_CODE": "E08000026", "LA_CODE": "", "LA_NAME": "Coventry"},
    {**BIRMINGHAM, "ONS_CODE": "E08999999"},                      # unknown council
    {**BIRMINGHAM, "GEOGRAPHY": "Planet"},                         # unknown level
    {**BIRMINGHAM, "GEOGRAPHY": "Region", "REGION_NAME": "Mars", "REGION_CODE": ""},
]
LABEL_CELLS = [
    ("SG4a", label, "") for label in MSP_LABELS
] + [
    ("SG4a", "Outcomes", "Partly Achieved"), ("SG3a", "Don't know", ""), ("SG2a", "Self Neglect", ""),
    ("SG2b", "Own Home", "Service Provider"), ("SG2b", "Own Home", "Nobody"), ("SG4a", "Fully Acheived", ""),
    ("SG9z", "Fully Achieved", ""), ("", "", ""),
]
VALUES = ["0", "0", "3", "12", "1,234", "*", "[c]", "[x]", "[z]", "", "abc", "-1", "2.5", "DK"]
long_rows = st.lists(
    st.tuples(st.sampled_from(range(len(GEOGRAPHIES))), st.sampled_from(LABEL_CELLS), st.sampled_from(VALUES),
              st.sampled_from(["Concluded Section 42 Enquiries", "", "Nonsense"])),
    max_size=25,
)
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows_frame(rows) -> pd.DataFrame:
    data = frame(*[row(**GEOGRAPHIES[g], TABLE_REFERENCE=t, CATEGORY=c, SUBCATEGORY=s, VALUE=v, ENQUIRY_TYPE=e)
                   for g, (t, c, s), v, e in rows])
    return data.assign(_source_file=SOURCE, _source_row=np.arange(2, 2 + len(data)))


@PROPERTY_SETTINGS
@given(long_rows)
def test_any_mix_of_rows_reconciles_and_every_reject_has_a_reason(rows):
    result = cleaned(rows_frame(rows))  # never raises; invariants checked inside
    assert result.rows_in == len(rows)
    assert set(result.rejects["row"]) | set(result.clean["source_row"]) == set(range(2, 2 + len(rows)))
    assert not set(result.rejects["row"]) & set(result.clean["source_row"])


VALUE_COLUMNS = ["financial_year", "geography_level", "ons_code", "name", "table", "enquiry_type", "label",
                 "sublabel", "value", "suppressed", "value_lower", "value_upper", "not_submitted"]


@PROPERTY_SETTINGS
@given(long_rows)
def test_cleaning_is_idempotent_on_values(rows):
    first = cleaned(rows_frame(rows)).clean
    second = cleaned(format_sac_long(first), source="again.csv")
    assert second.rows_rejected == 0
    pd.testing.assert_frame_equal(second.clean[VALUE_COLUMNS], first[VALUE_COLUMNS])


@PROPERTY_SETTINGS
@given(long_rows, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_result(rows, random):
    data = rows_frame(rows)
    order = list(range(len(data)))
    random.shuffle(order)
    first, shuffled = cleaned(data), cleaned(data.iloc[order])
    pd.testing.assert_frame_equal(shuffled.clean, first.clean)
    key = ["file", "row", "column", "reason"]
    pd.testing.assert_frame_equal(shuffled.rejects.sort_values(key).reset_index(drop=True),
                                  first.rejects.sort_values(key).reset_index(drop=True))


def test_clean_sac_is_the_sac_cleaner():
    from msp_analysis.clean import CLEANERS

    assert CLEANERS["sac"] is clean_sac
