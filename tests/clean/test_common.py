"""Tests for msp_analysis.clean.common: financial years, labels, dates and column matching."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.clean.common import (
    canonicalise,
    canonicalise_multi,
    financial_years_of,
    match_columns,
    parse_dates,
)
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import UnusableInputError

# --- parse_financial_year -----------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["2019-20", "2019/20", "2019-2020", "2019/2020", "2019 to 2020", "FY2019", "19/20",
     "2019\u201320", " 2019 - 20 ", "fy 2019", "FY2019-20"],
)
def test_parse_financial_year_accepts_every_spelling(spelling):
    assert parse_financial_year(spelling) == "2019-20"


@pytest.mark.parametrize(
    "serial,expected",
    [
        (43831, "2019-20"),      # 2020-01-01
        (43921, "2019-20"),      # 2020-03-31, last day of the year
        (43922, "2020-21"),      # 2020-04-01, first day of the next
        (43831.0, "2019-20"),    # Excel numbers often arrive as floats
        ("43922", "2020-21"),    # ... or as text
        ("43922.0", "2020-21"),
    ],
)
def test_parse_financial_year_reads_excel_serial_dates(serial, expected):
    assert parse_financial_year(serial) == expected


@pytest.mark.parametrize("spelling", ["1999-00", "1999/2000", "1999-2000", "99/00", "1999 to 2000"])
def test_parse_financial_year_crosses_the_century(spelling):
    assert parse_financial_year(spelling) == "1999-00"


@pytest.mark.parametrize(
    "value",
    ["2019-21", "2019/2021", "2020-19", "20/19", "19/21", "abc", "", "   ", "2019", "FY19", None, np.nan],
)
def test_parse_financial_year_rejects_invalid_values(value):
    assert parse_financial_year(value) is None


# --- financial_years_of -------------------------------------------------------------------


@pytest.mark.parametrize(
    "date,expected",
    [
        ("2020-03-31", "2019-20"),
        ("2020-04-01", "2020-21"),
        ("2021-03-31", "2020-21"),
        ("2000-03-31", "1999-00"),
        ("2000-04-01", "2000-01"),
        ("2023-12-31", "2023-24"),
        ("2024-01-01", "2023-24"),
    ],
)
def test_financial_years_of_switches_on_1_april(date, expected):
    assert financial_years_of(pd.Series(pd.to_datetime([date]))).tolist() == [expected]


def test_financial_years_of_keeps_missing_dates_missing_and_others_canonical():
    dates = pd.Series(pd.to_datetime(["2020-03-31", None, "2020-04-01", "2000-01-15"]))
    years = financial_years_of(dates)
    assert years.iloc[[0, 2, 3]].tolist() == ["2019-20", "2020-21", "1999-00"]
    assert pd.isna(years.iloc[1])


# --- canonicalise -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,raw,expected",
    [
        ("sex", "M", "Male"),
        ("sex", "F", "Female"),
        ("sex", "U", "Not Known"),
        ("sex", "  fEMALE ", "Female"),
        ("risk_location", "Care Home \u2013 Nursing", "Care Home - Nursing"),
        ("risk_location", "care   home - residential", "Care Home - Residential"),
        ("risk_location", "Nursing Home", "Care Home - Nursing"),
        ("msp_asked", "Asked and expressed", "Yes they were asked and outcomes were expressed"),
        ("msp_asked", " YES THEY WERE ASKED BUT NO OUTCOMES WERE EXPRESSED  ",
         "Yes they were asked but no outcomes were expressed"),
        ("msp_outcome_achieved", "Partly Achieved", "Partially Achieved"),
        ("lacked_capacity", "Yes", "Yes, they lacked capacity"),
        ("enquiry_type", "S42", "Section 42"),
        ("risk_outcome", "Reduced", "Risk reduced"),
    ],
)
def test_canonicalise_maps_variants_case_dashes_and_spacing(field, raw, expected):
    canonical, unrecognised, unknown = canonicalise(pd.Series([raw]), field)
    assert canonical.tolist() == [expected]
    assert not unrecognised.iloc[0]
    assert not unknown.iloc[0]


@pytest.mark.parametrize("marker", ["Unknown", "DK", "N/K", "N/A", "-", "..", "NULL", "999999", "[c]", "*", ""])
def test_canonicalise_turns_unknown_markers_into_the_fields_unknown_label(marker):
    canonical, unrecognised, unknown = canonicalise(pd.Series([marker]), "sex")
    assert canonical.tolist() == ["Not Known"]
    assert unknown.tolist() == [True]
    assert unrecognised.tolist() == [False]


def test_canonicalise_unknown_marker_is_missing_when_the_field_has_no_unknown_label():
    canonical, unrecognised, unknown = canonicalise(pd.Series(["N/K", "", None]), "risk_outcome")
    assert canonical.isna().all()
    assert unknown.tolist() == [True, True, True]
    assert not unrecognised.any()


def test_canonicalise_prefers_a_real_label_over_the_unknown_marker_of_the_same_spelling():
    # "Don't know" is a SAC answer of SG3a, not only an unknown marker.
    canonical, _, unknown = canonicalise(pd.Series(["Don't know", "N/K"]), "lacked_capacity")
    assert canonical.tolist() == ["Don't know", "Not recorded"]
    assert unknown.tolist() == [False, True]


def test_canonicalise_flags_unrecognised_labels_and_keeps_the_others():
    canonical, unrecognised, unknown = canonicalise(pd.Series(["Male", "Martian", "female"]), "sex")
    assert unrecognised.tolist() == [False, True, False]
    assert pd.isna(canonical.iloc[1])
    assert canonical.iloc[[0, 2]].tolist() == ["Male", "Female"]
    assert not unknown.any()


def test_canonicalise_unknown_field_is_an_error_naming_it():
    with pytest.raises(ValueError, match="no_such_field"):
        canonicalise(pd.Series(["x"]), "no_such_field")


# --- canonicalise_multi -------------------------------------------------------------------

PHYSICAL_FINANCIAL = "Physical Abuse; Financial or Material Abuse"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Physical; Financial", PHYSICAL_FINANCIAL),
        ("Physical/Financial", PHYSICAL_FINANCIAL),
        ("Financial; Physical", PHYSICAL_FINANCIAL),  # codebook order, not input order
        ("financial , PHYSICAL", PHYSICAL_FINANCIAL),
        ("Physical; Physical Abuse; physical", "Physical Abuse"),  # duplicates removed
        ("Financial/Material Abuse", "Financial or Material Abuse"),  # a slash inside one label
        ("Financial/Material Abuse/Neglect", "Financial or Material Abuse; Neglect and Acts of Omission"),
        ("Self Neglect", "Self-Neglect"),
        ("Neglect; Institutional", "Organisational Abuse; Neglect and Acts of Omission"),
    ],
)
def test_canonicalise_multi_splits_orders_and_deduplicates(raw, expected):
    canonical, unrecognised = canonicalise_multi(pd.Series([raw]), "risk_types")
    assert canonical.tolist() == [expected]
    assert unrecognised.tolist() == [False]


@pytest.mark.parametrize("raw", ["Physical; Telepathic", "Physical/Telepathic", "Telepathic"])
def test_canonicalise_multi_flags_a_cell_with_any_unrecognised_piece(raw):
    canonical, unrecognised = canonicalise_multi(pd.Series(["Physical", raw]), "risk_types")
    assert unrecognised.tolist() == [False, True]
    assert pd.isna(canonical.iloc[1])
    assert canonical.iloc[0] == "Physical Abuse"


def test_canonicalise_multi_blank_cells_are_missing_not_unrecognised():
    canonical, unrecognised = canonicalise_multi(pd.Series(["", None, " ; "]), "risk_types")
    assert canonical.isna().all()
    assert not unrecognised.any()


# --- parse_dates --------------------------------------------------------------------------


def test_parse_dates_reads_iso_and_uk_dates():
    parsed = parse_dates(pd.Series(["2023-05-01", "01/05/2023", " 2023-05-01 ", "31/12/2023"]))
    assert parsed.tolist() == [pd.Timestamp("2023-05-01")] * 3 + [pd.Timestamp("2023-12-31")]


@pytest.mark.parametrize("raw", ["2023/05/01", "31/02/2023", "2023-13-01", "yesterday", "", None])
def test_parse_dates_makes_anything_else_missing(raw):
    parsed = parse_dates(pd.Series(["2023-05-01", raw]))
    assert parsed.iloc[0] == pd.Timestamp("2023-05-01")
    assert pd.isna(parsed.iloc[1])


# --- match_columns ------------------------------------------------------------------------


def test_match_columns_renames_to_canonical_names():
    frame = pd.DataFrame({"Enquiry ID ": ["A1"], "Concluded Date": ["2023-05-01"], "_source_row": [2]})
    matched = match_columns(frame, ["enquiry_id", "concluded_date"], "export.csv")
    assert list(matched.columns) == ["enquiry_id", "concluded_date", "_source_row"]
    assert matched["enquiry_id"].tolist() == ["A1"]


def test_match_columns_missing_column_names_the_file_and_the_column():
    frame = pd.DataFrame({"Enquiry ID ": ["A1"]})
    with pytest.raises(UnusableInputError, match=r"export\.csv.*concluded_date"):
        match_columns(frame, ["enquiry_id", "concluded_date"], "export.csv")


def test_unusable_input_error_is_a_value_error():
    assert issubclass(UnusableInputError, ValueError)


def test_identifiers_compare_without_invisible_characters_or_full_width_forms():
    from msp_analysis.clean.common import normalise_identifier

    same = ["EQ7", "EQ\u200b7", "\ufeffEQ7", "EQ7\u00a0", "\uff25\uff31\uff17", "E\u2060Q7", " EQ7 "]
    assert {normalise_identifier(v) for v in same} == {"EQ7"}
    assert normalise_identifier("EQ 7") != normalise_identifier("EQ7"), "a visible space is part of the ID"


def test_mapping_two_columns_onto_one_name_is_refused():
    from msp_analysis.clean.common import apply_column_mapping
    from msp_analysis.toolkit.errors import ParameterError

    frame = pd.DataFrame(columns=["Age in years", "Years old", "sex"])
    with pytest.raises(ParameterError, match="would both be 'age'"):
        apply_column_mapping(frame, {"Age in years": "age", "Years old": "age"})
    with pytest.raises(ParameterError, match="would both be 'sex'"):
        apply_column_mapping(frame, {"Years old": "sex"})
