"""Tests for msp_analysis.reference.geography: councils per year, boundary changes, code and name variants."""

import io
from pathlib import Path

import pandas as pd
import pytest

from msp_analysis.reference import geography
from msp_analysis.reference.geography import (
    BOUNDARY_CHANGES,
    FINANCIAL_YEARS,
    REGIONS,
    canonical_region,
    councils,
    councils_csv,
    normalise_council_name,
    predecessors,
    region_of,
    resolve_council,
    resolve_councils,
    successors,
)

EXPECTED_COUNTS = {
    "2015-16": 152, "2016-17": 152, "2017-18": 152, "2018-19": 152,
    "2019-20": 151, "2020-21": 151,
    "2021-22": 152, "2022-23": 152,
    "2023-24": 153, "2024-25": 153, "2025-26": 153,
}
REGION_NAMES = [name for _, name in REGIONS]
TYPE_BY_PREFIX = {
    "E06": "Unitary Authority", "E08": "Metropolitan District",
    "E09": "London Borough", "E10": "Shire County",
}


def _previous_year(year: str) -> str:
    return FINANCIAL_YEARS[FINANCIAL_YEARS.index(year) - 1]


# --- councils per year --------------------------------------------------------------------


def test_financial_years_run_2015_16_to_2025_26():
    assert FINANCIAL_YEARS[0] == "2015-16" and FINANCIAL_YEARS[-1] == "2025-26"
    assert len(FINANCIAL_YEARS) == 11


@pytest.mark.parametrize("year,expected", sorted(EXPECTED_COUNTS.items()))
def test_council_count_per_year(year, expected):
    assert len(councils(year)) == expected


@pytest.mark.parametrize("year", FINANCIAL_YEARS)
def test_codes_unique_and_well_formed_per_year(year):
    table = councils(year)
    assert list(table.columns) == ["ons_code", "cassr_code", "name", "council_type", "region"]
    assert all(table[column].map(type).eq(str).all() for column in table.columns)
    assert table["ons_code"].is_unique
    assert table["cassr_code"].is_unique
    assert table["cassr_code"].str.fullmatch(r"\d{3}").all()
    assert table["ons_code"].str.fullmatch(r"E(06|08|09|10)\d{6}").all()
    assert table["name"].map(normalise_council_name).is_unique
    assert (table["ons_code"].str[:3].map(TYPE_BY_PREFIX) == table["council_type"]).all()
    assert set(table["region"]) == set(REGION_NAMES)


def test_councils_sorted_by_region_order_then_name():
    table = councils("2023-24")
    rank = table["region"].map(REGION_NAMES.index)
    assert rank.is_monotonic_increasing
    for _, group in table.groupby("region"):
        names = group["name"].str.casefold().tolist()
        assert names == sorted(names)


def test_councils_returns_a_copy():
    table = councils("2023-24")
    table.loc[0, "name"] = "changed"
    assert councils("2023-24").loc[0, "name"] != "changed"


# --- boundary changes ---------------------------------------------------------------------


@pytest.mark.parametrize("change_year,old,new", BOUNDARY_CHANGES)
def test_boundary_change_follows_the_year(change_year, old, new):
    before = set(councils(_previous_year(change_year))["ons_code"])
    after = set(councils(change_year)["ons_code"])
    assert old in before and old not in after
    assert new in after and new not in before


@pytest.mark.parametrize("change_year,old,new", BOUNDARY_CHANGES)
def test_successors_and_predecessors_match_the_changes(change_year, old, new):
    assert new in successors(old)
    assert old in predecessors(new)


@pytest.mark.parametrize(
    "code,expected",
    [
        ("E10000009", ["E06000058", "E06000059"]),
        ("E10000021", ["E06000061", "E06000062"]),
        ("E10000006", ["E06000063", "E06000064"]),
        ("E10000023", ["E06000065"]),
        ("e10000027 ", ["E06000066"]),
        ("E08000035", []),
    ],
)
def test_successors(code, expected):
    assert successors(code) == expected


def test_predecessors_of_bcp_and_a_council_without_change():
    assert predecessors("E06000058") == ["E06000028", "E06000029", "E10000009"]
    assert predecessors("E06000060") == ["E10000002"]
    assert predecessors("E09000001") == []


@pytest.mark.parametrize("code", ["E07000048", "E12000001", "Leeds", ""])
def test_successors_reject_codes_that_are_not_councils(code):
    with pytest.raises(ValueError, match="not the ONS code of a council"):
        successors(code)


# --- regions ------------------------------------------------------------------------------


def test_north_east_has_12_councils():
    table = councils("2023-24", region="North East")
    assert len(table) == 12
    assert set(table["region"]) == {"North East"}


@pytest.mark.parametrize(
    "variant,expected",
    [
        ("Eastern", "East of England"),
        ("East", "East of England"),
        ("east of england", "East of England"),
        ("Yorkshire and The Humber", "Yorkshire and the Humber"),
        ("Yorkshire & Humber", "Yorkshire and the Humber"),
        ("  north   EAST ", "North East"),
        ("E12000007", "London"),
        ("e12000009", "South West"),
    ],
)
def test_region_variants(variant, expected):
    assert canonical_region(variant) == expected
    assert set(councils("2023-24", region=variant)["region"]) == {expected}


def test_region_counts_add_up_to_england():
    total = sum(len(councils("2019-20", region=name)) for name in REGION_NAMES)
    assert total == EXPECTED_COUNTS["2019-20"]


def test_unknown_region_names_value_and_lists_valid_ones():
    with pytest.raises(ValueError, match="Unknown region 'Wales'.*North East.*South West"):
        councils("2023-24", region="Wales")


@pytest.mark.parametrize("year", ["2014-15", "2026-27", "2023/24", "", 2023])
def test_unknown_year_names_value_and_lists_valid_ones(year):
    with pytest.raises(ValueError, match=r"Unknown financial year .*2015-16.*2025-26"):
        councils(year)


def test_unknown_year_in_resolve_council():
    with pytest.raises(ValueError, match="Unknown financial year"):
        resolve_council("Leeds", year="2030-31")


@pytest.mark.parametrize(
    "code,year,expected",
    [
        ("E06000047", "2023-24", "North East"),
        ("E10000006", "2022-23", "North West"),
        ("E10000006", "2023-24", None),
        ("E10000023", None, "Yorkshire and the Humber"),
        ("E06000066", None, "South West"),
        ("E10000021", None, "East Midlands"),
        ("E10000002", None, "South East"),
        ("E99999999", None, None),
    ],
)
def test_region_of(code, year, expected):
    assert region_of(code, year) == expected


# --- names and codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Bristol, City of", "city of bristol"),
        ("St. Helens", "st helens"),
        ("Stockton-On-Tees", "stockton on tees"),
        ("Brighton & Hove", "brighton and hove"),
        ("Leeds City Council", "leeds"),
        ("London Borough of Camden", "camden"),
        ("Royal Borough of Greenwich", "greenwich"),
        ("Wirral Metropolitan Borough Council", "wirral"),
        ("Durham County Council", "durham"),
        ("Cumberland ", "cumberland"),
        ("Herefordshire, County of", "county of herefordshire"),
        ("Stockton\u2013on\u2013Tees", "stockton on tees"),
        ("Barking  and   Dagenham", "barking and dagenham"),
    ],
)
def test_normalise_council_name(name, expected):
    assert normalise_council_name(name) == expected


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Bristol, City of", "E06000023"),
        ("Bristol", "E06000023"),
        ("City of Bristol", "E06000023"),
        ("St. Helens", "E08000013"),
        ("St Helens", "E08000013"),
        ("Durham", "E06000047"),
        ("County Durham", "E06000047"),
        ("Stockton-On-Tees", "E06000004"),
        ("Kingston upon Hull, City of", "E06000010"),
        ("Kingston upon Hull", "E06000010"),
        ("Hull", "E06000010"),
        ("Herefordshire", "E06000019"),
        ("Herefordshire, County of", "E06000019"),
        ("Brighton & Hove", "E06000043"),
        ("Leeds City Council", "E08000035"),
        ("London Borough of Camden", "E09000007"),
        ("Cumberland ", "E06000063"),
        ("BCP", "E06000058"),
        ("Bournemouth, Christchurch and Poole", "E06000058"),
        ("Bournemouth Christchurch and Poole", "E06000058"),
        ("Southend", "E06000033"),
        ("Southend-on-Sea", "E06000033"),
        ("City of London", "E09000001"),
        ("Westmorland & Furness", "E06000064"),
    ],
)
def test_resolve_name_variants(name, expected):
    assert resolve_council(name) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("E06000047", "E06000047"),
        (" e06000047 ", "E06000047"),
        ("E06000048", "E06000057"),  # Northumberland before the 2013 recode
        ("E08000020", "E08000037"),  # Gateshead before the 2013 recode
        ("116", "E06000047"),
        (116, "E06000047"),
        (116.0, "E06000047"),
        (" 116 ", "E06000047"),
        ("714", "E09000001"),
        ("0714", None),
        ("016", None),
        (16, None),
        (1116, None),
    ],
)
def test_resolve_code_variants(value, expected):
    assert resolve_council(value) == expected


@pytest.mark.parametrize(
    "value,year,expected",
    [
        ("Dorset", "2018-19", "E10000009"),
        ("Dorset", "2019-20", "E06000059"),
        ("Dorset", "2023-24", "E06000059"),
        ("Dorset", None, "E06000059"),
        ("North Yorkshire", "2022-23", "E10000023"),
        ("North Yorkshire", "2023-24", "E06000065"),
        ("Somerset County Council", "2022-23", "E10000027"),
        ("Somerset Council", "2023-24", "E06000066"),
        ("Buckinghamshire", "2019-20", "E10000002"),
        ("Buckinghamshire", "2020-21", "E06000060"),
        ("218", "2022-23", "E10000023"),
        (218, "2023-24", "E06000065"),
        (905, "2015-16", "E10000027"),
        ("905", "2025-26", "E06000066"),
        ("Bournemouth", "2018-19", "E06000028"),
        ("Bournemouth", "2019-20", None),
        ("BCP", "2018-19", None),
        ("E10000006", "2023-24", None),
        ("E06000048", "2015-16", "E06000057"),
        ("Cumbria", "2022-23", "E10000006"),
    ],
)
def test_resolve_by_year(value, year, expected):
    assert resolve_council(value, year) == expected


@pytest.mark.parametrize(
    "value",
    [
        None, float("nan"), pd.NA, "", "   ", "Narnia", True,
        "Kingston upon Hull, City of Port", "Bristol, City of River Avon",
        "Herefordshire, County of Hereford and Worcester",
        "H6X4G", "Z9D4Z", "U6Q5Z", "W8X1Q",
        "E07000048", "E12000001", "E92000001",
    ],
)
def test_resolve_returns_none_when_nothing_matches(value):
    assert resolve_council(value) is None


def test_resolve_councils_matches_scalar_version_and_keeps_index():
    values = pd.Series(
        ["Durham", 116, None, "Dorset", "Dorset", "Narnia", "E06000048"], index=list("abcdefg")
    )
    years = pd.Series(["2018-19", None, "2018-19", "2018-19", "2023-24", "2020-21", "2015-16"])
    result = resolve_councils(values, years)
    plain_years = [None if pd.isna(year) else year for year in years]
    expected = [resolve_council(value, year) for value, year in zip(values, plain_years, strict=True)]
    assert result.tolist() == expected
    assert list(result.index) == list("abcdefg")
    assert result.tolist()[:5] == ["E06000047", "E06000047", None, "E10000009", "E06000059"]


def test_resolve_councils_without_years():
    assert resolve_councils(pd.Series(["Hull", "215", 215])).tolist() == ["E06000010"] * 3


def test_resolve_councils_rejects_misaligned_years():
    with pytest.raises(ValueError, match="rows"):
        resolve_councils(pd.Series(["Leeds", "Hull"]), pd.Series(["2023-24"]))


# --- codebook -----------------------------------------------------------------------------


def test_every_alias_resolves_and_is_needed():
    aliases = geography._read_codebook("council_aliases.csv")
    council_keys = set(geography._council_table()["name"].map(normalise_council_name))
    for alias, code in zip(aliases["alias"], aliases["ons_code"], strict=True):
        assert resolve_council(alias) == code, alias
        assert normalise_council_name(alias) not in council_keys, f"{alias!r} needs no alias"


def test_every_council_resolves_from_its_own_name_and_cassr_code_each_year():
    for year in FINANCIAL_YEARS:
        table = councils(year)
        same_year = pd.Series([year] * len(table))
        expected = table["ons_code"].tolist()
        assert resolve_councils(table["name"], same_year).tolist() == expected
        assert resolve_councils(table["cassr_code"], same_year).tolist() == expected


def test_councils_csv_header_and_rows():
    text = councils_csv("2023-24")
    lines = text.splitlines()
    assert lines[0] == "ons_code,cassr_code,name,council_type,region"
    assert len(lines) == 154
    parsed = pd.read_csv(io.StringIO(text), dtype=str)
    pd.testing.assert_frame_equal(parsed, councils("2023-24"), check_dtype=False)


def test_councils_csv_for_a_region():
    lines = councils_csv("2023-24", region="North East").splitlines()
    assert len(lines) == 13
    yorkshire = councils_csv("2023-24", region="Yorkshire and the Humber")
    assert '"Kingston upon Hull, City of"' in yorkshire


# --- real data ----------------------------------------------------------------------------


@pytest.mark.real_data
def test_councils_match_ascof_trend_data(real_data_dir: Path):
    trend = pd.read_csv(
        real_data_dir / "ascof_trend_2017_2024" / "trend_data.csv",
        encoding="cp1252",
        usecols=["Year", "ONS Code", "Geographical Level"],
    )
    council_rows = trend[trend["Geographical Level"] == "Council"]
    years = sorted(council_rows["Year"].unique())
    assert years == list(FINANCIAL_YEARS[2:9])
    for year, rows in council_rows.groupby("Year"):
        assert set(rows["ONS Code"].str.strip()) == set(councils(year)["ons_code"]), year


@pytest.mark.parametrize("name,short", [("Kingston upon Hull, City of", "Hull"), ("Bristol, City of", "Bristol"),
                                        ("Herefordshire, County of", "Herefordshire"), ("County Durham", "County Durham")])
def test_short_names_are_as_people_say_them(name, short):
    assert geography.short_name(name) == short
