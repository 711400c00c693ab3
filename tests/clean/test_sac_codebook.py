"""Tests for msp_analysis.clean.sac_codebook: what one SAC table reference, label, value or geography means."""

import math

import pytest

from msp_analysis.clean.sac_codebook import (
    ENGLAND_ONS_CODE,
    SUPPRESSED_UPPER,
    canonical_table,
    council_lookup,
    parse_value,
    resolve_geography,
    resolve_label,
    sac_labels,
    tables,
)
from msp_analysis.disclosure.policies import POLICIES


def test_sac_labels_in_publication_order():
    assert sac_labels("SG4a", "achieved") == ["Fully Achieved", "Partially Achieved", "Not Achieved"]
    assert sac_labels("SG4a")[:2] == ["Yes they were asked and outcomes were expressed",
                                      "Yes they were asked but no outcomes were expressed"]
    assert len(sac_labels("SG3a", "capacity")) == 4


@pytest.mark.parametrize("reference,table", [("SG4a", "SG4a"), (" table sg4a ", "SG4a"), ("T8", "SG4a"),
                                             ("SG2b", "SG2b"), ("SG9z", None), ("", None)])
def test_canonical_table(reference, table):
    assert canonical_table(reference) == table


def test_every_table_has_its_default_enquiry_type_and_dimensions():
    info = tables()
    assert info["enquiry_type"].str.len().gt(0).all()
    assert info.loc["SG2b", "crossed"] and info.loc["SG2b", "dimensions"] == ["location", "source"]


@pytest.mark.parametrize(
    "cells,expected",
    [
        (("SG4a", "Outcomes achieved", "Partly Achieved"), ("Partially Achieved", None, None, None)),
        (("SG2b", "Service Provider", "Own Home"), ("Own Home", "Service Provider", None, None)),
        (("SG4a", "Total", ""), ("Total", None, None, None)),
        (("", "anything", ""), (None, None, None, None)),  # the table reference is rejected already
    ],
)
def test_resolve_label(cells, expected):
    assert resolve_label(*cells) == expected


def test_an_unknown_label_names_the_column_and_the_codebook_file():
    _, _, column, reason = resolve_label("SG4a", "Fully Acheived", "")
    assert column == "category" and "sac_labels.csv" in reason


def test_suppressed_bounds_follow_the_sac_rule():
    assert POLICIES["sac"].threshold - 1 == SUPPRESSED_UPPER  # published * or [c]: a count under 5
    value, lower, upper, suppressed, not_submitted, marker, reason = parse_value(" [c] ")
    assert math.isnan(value) and (lower, upper, suppressed, not_submitted, marker, reason) == (
        0.0, SUPPRESSED_UPPER, True, False, "[c]", None)


@pytest.mark.parametrize(
    "text,value,reason",
    [("1,234", 1234.0, None), ("0", 0.0, None), ("2.5", None, "not a whole number"), ("-1", None, "negative"),
     ("DK", None, "'unknown' code"), ("lots", None, "neither a number nor a SAC marker")],
)
def test_parse_value(text, value, reason):
    parsed = parse_value(text)
    assert (parsed[0] == value) if value is not None else math.isnan(parsed[0])
    assert (parsed[-1] is None) if reason is None else reason in parsed[-1]


def test_resolve_geography_of_england_a_region_and_a_council():
    blank = dict.fromkeys(["level_text", "council_type", "region_code", "region_name", "ons", "la_code", "la_name",
                           "type_or_region"], "")
    assert resolve_geography(**{**blank, "la_code": "1010"}, year="2023-24")[:4] == (
        "England", ENGLAND_ONS_CODE, None, "England")
    assert resolve_geography(**{**blank, "region_name": "Eastern"}, year="2023-24")[:2] == ("Region", "E12000006")
    assert resolve_geography(**{**blank, "la_code": "406"}, year="2023-24")[:5] == (
        "Council", "E08000025", "406", "Birmingham", "West Midlands")
    level, *_, column, reason = resolve_geography(**{**blank, "ons": "E08999999"}, year="2023-24")
    assert level is None and column == "ons_code" and "unknown council code for 2023-24" in reason


def test_council_lookup_of_a_year():
    assert council_lookup("2023-24")["E08000025"] == ("406", "Birmingham", "Metropolitan District", "West Midlands")
