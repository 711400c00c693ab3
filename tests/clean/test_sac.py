"""Tests for msp_analysis.clean.sac: SAC tables in, tidy counts out, and back again."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msp_analysis.clean import KINDS
from msp_analysis.clean.sac import ALL_ZERO_MSP_NOTE, clean_sac
from msp_analysis.clean.sac_codebook import YEAR_COLUMN
from msp_analysis.toolkit.errors import UnusableInputError
from tests.clean.sac_frames import BIRMINGHAM, ENGLAND, MSP_LABELS, SOURCE, cleaned, frame, long_layout, row


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
    return [row(CATEGORY=label, VALUE=value, **geography) for label, value in zip(MSP_LABELS, values, strict=True)]


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


@pytest.mark.long
@PROPERTY_SETTINGS
@given(long_rows)
def test_any_mix_of_rows_reconciles_and_every_reject_has_a_reason(rows):
    result = cleaned(rows_frame(rows))  # never raises; invariants checked inside
    assert result.rows_in == len(rows)
    assert set(result.rejects["row"]) | set(result.clean["source_row"]) == set(range(2, 2 + len(rows)))
    assert not set(result.rejects["row"]) & set(result.clean["source_row"])


VALUE_COLUMNS = ["financial_year", "geography_level", "ons_code", "name", "table", "enquiry_type", "label",
                 "sublabel", "value", "suppressed", "value_lower", "value_upper", "not_submitted"]


@pytest.mark.long
@PROPERTY_SETTINGS
@given(long_rows)
def test_cleaning_is_idempotent_on_values(rows):
    first = cleaned(rows_frame(rows)).clean
    second = cleaned(long_layout(first), source="again.csv")
    assert second.rows_rejected == 0
    pd.testing.assert_frame_equal(second.clean[VALUE_COLUMNS], first[VALUE_COLUMNS])


@pytest.mark.long
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
    assert KINDS["sac"].cleaner is clean_sac
