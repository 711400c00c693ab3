"""Tests for msp_analysis.clean.temperature_check: every answer variant, every reject, reconciliation."""

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msp_analysis.analysis import simulate as sim
from msp_analysis.analysis.indicators import council_scores
from msp_analysis.clean import KINDS
from msp_analysis.clean.common import SOURCE_FILE, SOURCE_ROW, CleanResult
from msp_analysis.clean.temperature_check import (
    OUTPUT_COLUMNS,
    answer_key,
    answer_scales,
    clean_temperature_check,
    wide_answers,
)
from msp_analysis.reference.codebook import LIKERT_LABELS, instrument, read_codebook
from msp_analysis.toolkit.errors import UnusableInputError

SOURCE = "returns.csv"
ITEMS = instrument()
ITEM_IDS = ITEMS["item_id"].tolist()
LIKERT_IDS = ITEMS.loc[ITEMS["answer_scale"] == "likert5", "item_id"].tolist()
STAFFING = {"stf_turnover_pct": "21.5", "stf_vacancy_pct": "8", "stf_caseload": "14.5"}


def respondent(**changes: object) -> dict:
    """One complete return from Birmingham's council, 2023-24, every Likert item 'Agree', as text."""
    row = {
        "org_id": "BHM-LA", "org_name": "Birmingham City Council", "org_type": "Local authority",
        "ons_code": "E08000025", "region": "West Midlands", "wave": "2023-24",
        "respondent_role": "Team manager",
        **{item: "Agree" for item in LIKERT_IDS}, **STAFFING,
    }
    row.update(changes)
    return row


def returns(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).fillna("")


def with_broken_row(**changes: object) -> pd.DataFrame:
    """Three respondents of one organisation; the middle one (CSV row 3) carries `changes`."""
    return returns(respondent(), respondent(**changes), respondent())


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as `io.read_table` reads a CSV: every cell text, blanks as ''."""
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)), dtype=str, keep_default_na=False)


def assert_reconciles(result: CleanResult) -> None:
    assert result.reconciles()
    assert result.rows_in == result.rows_clean + result.rows_rejected
    kept = result.clean[["source_file", "source_row"]].drop_duplicates()
    assert len(kept) == result.rows_clean
    assert len(result.clean) == result.rows_clean * result.clean["item_id"].nunique() or result.clean.empty


def answer(result: CleanResult, item: str, row: int = 2) -> pd.Series:
    hit = result.clean[(result.clean["item_id"] == item) & (result.clean["source_row"] == row)]
    assert len(hit) == 1
    return hit.iloc[0]


# --- clean returns ------------------------------------------------------------------------


def test_registered_as_a_cleaner():
    assert KINDS["temperature_check"].cleaner is clean_temperature_check


def test_clean_return_becomes_one_row_per_item():
    result = clean_temperature_check(returns(respondent()), source=SOURCE)
    assert_reconciles(result)
    assert result.rejects.empty and result.rows_clean == 1 and result.rows_rejected == 0
    assert list(result.clean.columns) == OUTPUT_COLUMNS
    assert result.clean["item_id"].tolist() == ITEM_IDS
    row = answer(result, "sup_1")
    assert (row["org_id"], row["ons_code"], row["region"], row["wave"]) == (
        "BHM-LA", "E08000025", "West Midlands", "2023-24")
    assert (row["answer"], row["scale"], row["value"], row["indicator"]) == ("Agree", "likert5", 4.0, "supervision")
    assert (row["respondent"], row["source_file"], row["source_row"]) == ("1", SOURCE, 2)
    assert not row["missing"] and not row["answer_rejected"]
    staffing = result.clean.set_index("item_id").loc[list(STAFFING)]
    assert staffing["value"].tolist() == [21.5, 8.0, 14.5]
    assert staffing["scale"].tolist() == ["percent", "percent", "number"]


@pytest.mark.parametrize(
    "text,value",
    [
        ("Strongly disagree", 1), ("Strongly Disagree", 1), ("  strongly   disagree ", 1), ("SD", 1),
        ("Disagree strongly", 1), ("Disagree", 2), ("Tend to disagree", 2), ("D", 2),
        ("Neither agree nor disagree", 3), ("Neither", 3), ("Neutral", 3), ("N", 3),
        ("Agree", 4), ("AGREE", 4), ("Tend to agree", 4), ("Strongly agree", 5), ("Agree strongly", 5),
        ("Strongly-Agree", 5), ("SA", 5), ("1", 1), ("3", 3), ("5", 5), ("4.0", 4), ("4 - Agree", 4),
        ("Agree (4)", 4), ("5 = Strongly agree", 5), ("'2", 2),
    ],
)
def test_likert_variants_read_as_their_point(text, value):
    result = clean_temperature_check(returns(respondent(sup_1=text)))
    assert_reconciles(result)
    assert result.rejects.empty
    row = answer(result, "sup_1")
    assert (row["value"], row["scale"], row["answer"]) == (value, "likert5", text)


@pytest.mark.parametrize(
    "text,value",
    [
        ("Red", 1), ("R", 1), ("red", 1), ("Red/Amber", 2), ("Red-Amber", 2), ("Red \u2013 Amber", 2),
        ("red / amber", 2), ("RA", 2), ("R/A", 2), ("Amber", 3), ("A", 3), ("Amber/Green", 4),
        ("Amber-Green", 4), ("AG", 4), ("Green", 5), ("G", 5), ("3 - Amber", 3),
    ],
)
def test_rag_answers_keep_their_scale_on_1_to_5(text, value):
    result = clean_temperature_check(returns(respondent(sup_1=text)))
    assert_reconciles(result)
    assert result.rejects.empty
    row = answer(result, "sup_1")
    assert (row["value"], row["scale"]) == (value, "rag5")


def test_reverse_coded_items_are_flagged_not_flipped():
    result = clean_temperature_check(returns(respondent(sup_3="Strongly agree")))
    flags = result.clean.set_index("item_id")["reverse_coded"]
    assert flags.to_dict() == dict(zip(ITEMS["item_id"], ITEMS["reverse_coded"], strict=True))
    assert flags["sup_3"] and not flags["sup_1"]
    assert answer(result, "sup_3")["value"] == 5  # indicators.respondent_scores flips it, once


@pytest.mark.parametrize(
    "text", ["", "  ", "Don't know", "DK", "N/A", "-", "..", "[c]", "NULL", "999999", "Prefer not to say",
             "Not applicable", "'-"],
)
def test_unknown_markers_are_missing_not_rejected(text):
    result = clean_temperature_check(returns(respondent(sup_1=text, stf_caseload=text)))
    assert_reconciles(result)
    assert result.rejects.empty
    for item in ("sup_1", "stf_caseload"):
        row = answer(result, item)
        assert row["missing"] and np.isnan(row["value"]) and not row["answer_rejected"]
        assert row["answer"] == text
    assert answer(result, "sup_1")["scale"] == "likert5"  # a missing answer keeps the item's own scale


@pytest.mark.parametrize("text,value", [("12.5", 12.5), ("12.5%", 12.5), ("12 %", 12.0), ("0", 0.0), ("100", 100.0)])
def test_percentages_are_numbers_from_0_to_100(text, value):
    result = clean_temperature_check(returns(respondent(stf_vacancy_pct=text)))
    assert result.rejects.empty
    assert answer(result, "stf_vacancy_pct")["value"] == value


@pytest.mark.parametrize("text,value", [("14", 14.0), ("0", 0.0), ("1,250", 1250.0), ("7.25", 7.25)])
def test_caseloads_are_non_negative_numbers(text, value):
    result = clean_temperature_check(returns(respondent(stf_caseload=text)))
    assert result.rejects.empty
    assert answer(result, "stf_caseload")["value"] == value


def test_several_respondents_per_organisation_are_numbered_in_source_order():
    frame = returns(respondent(), respondent(respondent_role="Practitioner"),
                    respondent(org_id="BHM-P1", org_type="Police"), respondent())
    result = clean_temperature_check(frame)
    assert_reconciles(result)
    people = result.clean.drop_duplicates("source_row").set_index("source_row")
    assert people["respondent"].to_dict() == {2: "1", 3: "2", 4: "1", 5: "3"}
    wide = wide_answers(result.clean)
    assert len(wide) == 4
    scores = council_scores(wide)
    assert scores.loc[0, ["n_organisations", "n_respondents"]].tolist() == [2, 4]


def test_given_respondent_ids_are_used_and_blank_ones_numbered():
    frame = returns(respondent(respondent_id="R-17"), respondent(respondent_id=""), respondent(respondent_id="R-02"))
    result = clean_temperature_check(frame)
    assert result.rejects.empty
    assert result.clean.drop_duplicates("source_row")["respondent"].tolist() == ["R-17", "2", "R-02"]


@pytest.mark.parametrize("spelling", ["2023-24", "2023/24", "2023-2024", "2023 to 2024", "FY2023", "23/24"])
def test_wave_spellings_become_canonical(spelling):
    result = clean_temperature_check(returns(respondent(wave=spelling)))
    assert result.rejects.empty
    assert set(result.clean["wave"]) == {"2023-24"}


@pytest.mark.parametrize("code", ["E08000025", "e08000025 ", "406", "406.0", "Birmingham"])
def test_council_codes_and_names_resolve_and_region_comes_from_the_council(code):
    result = clean_temperature_check(returns(respondent(ons_code=code, region="")))
    assert result.rejects.empty
    assert set(result.clean["ons_code"]) == {"E08000025"}
    assert set(result.clean["region"]) == {"West Midlands"}


@pytest.mark.parametrize("region", ["West Midlands", "west midlands", "E12000005", " West  Midlands "])
def test_region_spellings_of_the_councils_region_pass(region):
    assert clean_temperature_check(returns(respondent(region=region))).rejects.empty


def test_notes_are_kept_verbatim_and_never_read():
    note = "=SUM(A1) staff said: Red; 'Strongly agree' about supervision"
    result = clean_temperature_check(returns(respondent(notes=note)))
    assert result.rejects.empty
    assert set(result.clean["notes"]) == {note}
    assert "notes" not in set(result.clean["item_id"])


def test_headers_match_whatever_their_case_and_spacing():
    frame = returns(respondent()).rename(columns={"org_id": "Org ID", "ons_code": "ONS Code", "sup_1": "SUP_1"})
    result = clean_temperature_check(frame)
    assert result.rejects.empty
    assert answer(result, "sup_1")["value"] == 4


def test_source_file_and_row_are_kept_from_combined_files():
    frame = returns(respondent(), respondent()).assign(**{SOURCE_FILE: ["a.csv", "b.csv"], SOURCE_ROW: [7, 2]})
    result = clean_temperature_check(frame)
    assert result.clean.drop_duplicates("source_row")[["source_file", "source_row"]].values.tolist() == [
        ["a.csv", 7], ["b.csv", 2]]


# --- rejects: whole rows --------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,column,phrase",
    [
        ({"org_id": "  "}, "org_id", "org_id is blank"),
        ({"wave": ""}, "wave", "wave is blank"),
        ({"wave": "2023-25"}, "wave", "not a financial year"),
        ({"wave": "sometime"}, "wave", "not a financial year"),
        ({"wave": "2030-31"}, "wave", "outside 2015-16 to 2025-26"),
        ({"ons_code": ""}, "ons_code", "no council code"),
        ({"ons_code": "E99999999"}, "ons_code", "unknown council code for that wave"),
        # North Yorkshire county council ended in 2022-23; its code is unknown in 2023-24
        ({"ons_code": "E10000023", "region": ""}, "ons_code", "unknown council code for that wave"),
        ({"region": "Narnia"}, "region", "not an English region"),
        ({"region": "London"}, "region", "differs from the host council's (West Midlands)"),
    ],
)
def test_row_level_problems_reject_the_whole_row(changes, column, phrase):
    result = clean_temperature_check(with_broken_row(**changes), source=SOURCE)
    assert_reconciles(result)
    assert (result.rows_in, result.rows_clean, result.rows_rejected) == (3, 2, 1)
    assert len(result.rejects) == 1
    line = result.rejects.iloc[0]
    assert (line["file"], line["row"], line["column"]) == (SOURCE, 3, column)
    assert line["value"] == str(changes[column])
    assert phrase in line["reason"] and "whole row is left out" in line["reason"]
    assert 3 not in set(result.clean["source_row"])


def test_council_that_existed_in_the_wave_passes():
    result = clean_temperature_check(returns(respondent(ons_code="E10000023", region="Yorkshire and the Humber",
                                                        wave="2022-23")))
    assert result.rejects.empty


def test_repeated_respondent_id_rejects_the_later_row_and_names_the_first():
    frame = returns(respondent(respondent_id="R1"), respondent(respondent_id="R2"), respondent(respondent_id="R1"))
    result = clean_temperature_check(frame, source=SOURCE)
    assert_reconciles(result)
    assert result.rows_rejected == 1
    line = result.rejects.iloc[0]
    assert (line["row"], line["column"], line["value"]) == (4, "respondent_id", "R1")
    assert "first seen at returns.csv row 2" in line["reason"]


def test_same_respondent_id_in_another_wave_or_organisation_is_not_a_repeat():
    frame = returns(respondent(respondent_id="R1"), respondent(respondent_id="R1", wave="2022-23"),
                    respondent(respondent_id="R1", org_id="BHM-P1"))
    assert clean_temperature_check(frame).rejects.empty


def test_a_row_with_several_problems_counts_once():
    result = clean_temperature_check(with_broken_row(org_id="", wave="nope", sup_1="Maybe"))
    assert_reconciles(result)
    assert result.rows_rejected == 1
    assert sorted(result.rejects["column"]) == ["org_id", "sup_1", "wave"]


# --- rejects: single answers --------------------------------------------------------------


@pytest.mark.parametrize(
    "item,text,phrase",
    [
        ("sup_1", "Maybe", "not a recognised answer"),
        ("sup_1", "Yes", "not a recognised answer"),
        ("sup_1", "4%", "not a recognised answer"),
        ("sup_1", "6", "outside 1-5"),
        ("sup_1", "0", "outside 1-5"),
        ("sup_1", "2.5", "not a whole number"),
        ("sup_1", "5 - Agree", "the number and the label disagree"),
        ("sup_3", "Red", "RAG rating of a negatively worded (reverse-coded) item"),
        ("stf_turnover_pct", "150", "percentage outside 0-100"),
        ("stf_vacancy_pct", "-1", "percentage outside 0-100"),
        ("stf_vacancy_pct", "high", "not a percentage"),
        ("stf_caseload", "-2", "caseload outside 0 to"),
        ("stf_caseload", "lots", "not a number"),
        ("stf_caseload", "Agree", "not a number"),
    ],
)
def test_bad_answers_reject_only_that_answer(item, text, phrase):
    result = clean_temperature_check(with_broken_row(**{item: text}), source=SOURCE)
    assert_reconciles(result)
    assert (result.rows_clean, result.rows_rejected) == (3, 0)
    assert len(result.rejects) == 1
    line = result.rejects.iloc[0]
    assert (line["file"], line["row"], line["column"], line["value"]) == (SOURCE, 3, item, text)
    assert phrase in line["reason"] and "rest of the row is kept" in line["reason"]
    row = answer(result, item, row=3)
    assert row["answer_rejected"] and not row["missing"] and np.isnan(row["value"])
    assert answer(result, "sup_2", row=3)["value"] == 4  # the rest of the row is used


def test_answer_rejects_name_the_column_as_spelled_in_the_file():
    frame = with_broken_row(sup_1="Maybe").rename(columns={"sup_1": "SUP 1"})
    assert clean_temperature_check(frame).rejects["column"].tolist() == ["SUP 1"]


# --- rejects: columns and whole files --------------------------------------------------------


def test_unknown_item_columns_are_reported_on_the_header_row_and_rows_kept():
    frame = returns(respondent(sup_9="Agree", **{"Favourite colour": "Red"}), respondent(sup_9="Agree"))
    result = clean_temperature_check(frame, source=SOURCE)
    assert_reconciles(result)
    assert (result.rows_clean, result.rows_rejected) == (2, 0)
    assert result.rejects[["row", "column"]].values.tolist() == [[1, "Favourite colour"], [1, "sup_9"]]
    assert result.rejects["reason"].str.contains("not an item of the instrument").all()
    assert not {"sup_9", "favourite_colour"} & set(result.clean["item_id"])


def test_unknown_column_is_reported_once_per_file_that_has_it():
    one = returns(respondent(sup_9="Agree")).assign(**{SOURCE_FILE: "a.csv", SOURCE_ROW: 2})
    two = returns(respondent()).assign(**{SOURCE_FILE: "b.csv", SOURCE_ROW: 2})
    result = clean_temperature_check(pd.concat([one, two], ignore_index=True))
    assert result.rejects[["file", "row", "column"]].values.tolist() == [["a.csv", 1, "sup_9"]]


def test_empty_unnamed_column_from_a_trailing_comma_is_ignored():
    frame = returns(respondent()).assign(**{"Unnamed: 40": ""})
    assert clean_temperature_check(frame).rejects.empty


@pytest.mark.parametrize("drop", ["org_id", "ons_code", "wave"])
def test_missing_identity_column_makes_the_file_unusable(drop):
    with pytest.raises(UnusableInputError, match=f"{SOURCE}: missing column.*{drop}"):
        clean_temperature_check(returns(respondent()).drop(columns=drop), source=SOURCE)


def test_file_without_item_columns_is_unusable():
    frame = returns(respondent()).drop(columns=ITEM_IDS)
    with pytest.raises(UnusableInputError, match="no instrument item columns"):
        clean_temperature_check(frame, source=SOURCE)


def test_two_columns_with_the_same_meaning_make_the_file_unusable():
    frame = returns(respondent()).assign(**{"Org ID": "X"})
    with pytest.raises(UnusableInputError, match="'org_id' and 'Org ID' both read as 'org_id'"):
        clean_temperature_check(frame, source=SOURCE)


def test_optional_identity_columns_may_be_absent():
    frame = returns(respondent()).drop(columns=["org_name", "org_type", "region", "respondent_role"])
    result = clean_temperature_check(frame)
    assert result.rejects.empty
    assert set(result.clean["region"]) == {"West Midlands"}
    assert result.clean["org_name"].isna().all()


def test_clean_result_without_rows_kept_counts_clean_rows_as_before():
    result = CleanResult(clean=pd.DataFrame({"a": [1, 2]}), rejects=pd.DataFrame(), rows_in=3, rows_rejected=1)
    assert result.rows_clean == 2 and result.reconciles()


# --- codebook and wide frame --------------------------------------------------------------


def test_answer_scales_codebook_is_unambiguous_and_on_1_to_5():
    table = read_codebook("answer_scales.csv")
    assert set(table["scale"]) == {"likert5", "rag5", "unknown"}
    keys = table["variant"].map(answer_key)
    assert not keys.duplicated().any()
    scored = table[table["scale"] != "unknown"]
    assert set(scored["value"].astype(int)) == {1, 2, 3, 4, 5}
    lookup = answer_scales()
    assert [lookup[answer_key(label)] for label in LIKERT_LABELS] == [("likert5", float(v)) for v in range(1, 6)]


def test_wide_answers_gives_numeric_items_with_nan_for_missing_and_rejected():
    frame = returns(respondent(sup_1="Red/Amber", sup_2="DK", stf_1="Maybe"), respondent(respondent_id="X"))
    result = clean_temperature_check(frame)
    wide = wide_answers(result.clean)
    assert list(wide.columns) == ["org_id", "ons_code", "wave", "respondent_id"] + ITEM_IDS
    assert len(wide) == 2
    assert all(pd.api.types.is_float_dtype(wide[item]) for item in ITEM_IDS)
    first = wide.iloc[0]
    assert first["sup_1"] == 2 and np.isnan(first["sup_2"]) and np.isnan(first["stf_1"])
    assert first["stf_caseload"] == 14.5
    assert wide["respondent_id"].tolist() == ["1", "X"]


def test_wide_answers_refuses_a_frame_that_is_not_clean_returns():
    with pytest.raises(ValueError, match="missing column"):
        wide_answers(pd.DataFrame({"org_id": ["A"]}))


# --- the simulated returns ------------------------------------------------------------------

SIM_SEED, SIM_SCALE = 3, 0.05


@pytest.fixture(scope="module")
def simulated_returns():
    """The simulator's return file as text, the numeric returns behind it and the scores it used.

    ``simulate`` scores its numeric returns with ``_scored_indicators`` before writing them as
    text; wrapping that helper captures exactly what it scored, without simulating twice.
    """
    used = {}
    original = sim._scored_indicators

    def capture(returns: pd.DataFrame) -> pd.DataFrame:
        used["returns"], used["scores"] = returns.copy(), original(returns)
        return used["scores"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim, "_scored_indicators", capture)
        raw = sim.simulate(seed=SIM_SEED, scale=SIM_SCALE).temperature_check
    pd.testing.assert_frame_equal(sim._returns_as_text(used["returns"]), raw)  # the same returns, as text
    return as_text(raw), used["returns"], used["scores"]


def test_simulated_returns_clean_without_rejects(simulated_returns):
    text, numeric, _ = simulated_returns
    result = clean_temperature_check(text, source="temperature_check.csv")
    assert_reconciles(result)
    assert result.rejects.empty
    assert result.rows_clean == len(numeric) == result.rows_in
    assert result.clean["missing"].mean() == pytest.approx(0.03 * len(LIKERT_IDS) / len(ITEM_IDS), abs=0.01)


def test_scores_from_cleaned_returns_equal_the_simulators(simulated_returns):
    text, numeric, scores_used = simulated_returns
    cleaned = wide_answers(clean_temperature_check(text).clean)
    pd.testing.assert_frame_equal(council_scores(cleaned), council_scores(numeric))
    pd.testing.assert_frame_equal(sim._scored_indicators(cleaned), scores_used)


# --- properties -----------------------------------------------------------------------------

PROPERTY_ITEMS = ["sup_1", "sup_2", "sup_3", "stf_1", "stf_turnover_pct", "stf_caseload"]
# Pools mix valid and invalid values; repeats weight the draw towards rows that are kept.
ORGS = ["ORG-A", "ORG-A", "ORG-B", "ORG-B", " ORG-A ", ""]
WAVES = {"2022-23": "2022-23", "2023/24": "2023-24", "FY2022": "2022-23", "2023-24": "2023-24",
         "2030-31": None, "someday": None, "": None}
COUNCILS = {"E08000025": "West Midlands", "406": "West Midlands", "Birmingham": "West Midlands",
            "E10000023": "Yorkshire and the Humber", "E99999999": None, "": None}
REGIONS = ["", "", "West Midlands", "West Midlands", "Yorkshire and the Humber", "Narnia"]
ANSWERS = ["Agree", "SD", "Neutral", "Red/Amber", "G", "3", "4.0", "", "DK", "[c]", "Maybe", "7", "-3", "150",
           "12.5%", "14", "4 - Agree", "2 - Agree", "=1+1", "Red"]

row_strategy = st.fixed_dictionaries({
    "org_id": st.sampled_from(ORGS),
    "ons_code": st.sampled_from(list(COUNCILS) + ["E08000025"] * 3),
    "region": st.sampled_from(REGIONS),
    "wave": st.sampled_from(list(WAVES) + ["2022-23", "2023-24"]),
    "respondent_id": st.sampled_from(["", "r1", "r2"]),
    "notes": st.sampled_from(["", "free text, Red"]),
    **{item: st.sampled_from(ANSWERS) for item in PROPERTY_ITEMS},
})
frames = st.tuples(st.lists(row_strategy, min_size=1, max_size=12), st.booleans()).map(
    lambda drawn: pd.DataFrame(drawn[0]).drop(columns=[] if drawn[1] else ["respondent_id"])
)
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expected_kept_rows(frame: pd.DataFrame) -> list[int]:
    """Source rows a correct cleaner keeps, worked out row by row from the pools' known meanings."""
    kept, seen, positions = [], set(), {}
    for position, row in enumerate(frame.to_dict("records")):
        org, wave = row["org_id"].strip(), WAVES[row["wave"]]
        group = (org, wave or row["wave"])
        positions[group] = positions.get(group, 0) + 1
        region = COUNCILS[row["ons_code"]]
        if row["ons_code"] == "E10000023" and wave != "2022-23":
            region = None  # North Yorkshire county council ended in 2022-23
        if not org or wave is None or region is None or row["region"] not in ("", region):
            continue
        person = (org, wave, row.get("respondent_id") or str(positions[group]))
        if person in seen:
            continue
        seen.add(person)
        kept.append(position + 2)
    return kept


@PROPERTY_SETTINGS
@given(frames)
def test_property_any_mix_reconciles_and_every_reject_has_a_reason(frame):
    result = clean_temperature_check(frame, source=SOURCE)
    assert_reconciles(result)
    assert sorted(set(result.clean["source_row"])) == expected_kept_rows(frame)
    assert result.rejects["reason"].str.len().gt(10).all()
    assert result.rejects["column"].str.len().gt(0).all()
    assert set(result.rejects["row"]) <= set(range(2, len(frame) + 2))
    assert (result.rejects["file"] == SOURCE).all()
    valid = result.clean[~result.clean["missing"] & ~result.clean["answer_rejected"]]
    ordinal = valid["scale"].isin(["likert5", "rag5"])
    assert valid.loc[ordinal, "value"].between(1, 5).all()
    assert result.clean.loc[result.clean["missing"] | result.clean["answer_rejected"], "value"].isna().all()


@pytest.mark.long  # fifty examples of two cleanings each, about 3 s: in make test, not the quick lane
@PROPERTY_SETTINGS
@given(frames)
def test_property_cleaning_the_wide_frame_again_changes_nothing(frame):
    result = clean_temperature_check(frame)
    if result.clean.empty:
        return
    wide = wide_answers(result.clean)
    again = clean_temperature_check(as_text(wide))
    assert again.rejects.empty and again.rows_clean == len(wide)
    pd.testing.assert_frame_equal(wide_answers(again.clean), wide)


@pytest.mark.long  # fifty examples of two cleanings each, about 3 s: in make test, not the quick lane
@PROPERTY_SETTINGS
@given(frames, st.data())
def test_property_row_order_does_not_matter(frame, data):
    tagged = frame.assign(**{SOURCE_FILE: SOURCE, SOURCE_ROW: np.arange(2, len(frame) + 2)})
    order = data.draw(st.permutations(range(len(frame))))
    first = clean_temperature_check(tagged)
    shuffled = clean_temperature_check(tagged.iloc[list(order)].reset_index(drop=True))
    pd.testing.assert_frame_equal(shuffled.clean, first.clean)
    pd.testing.assert_frame_equal(shuffled.rejects, first.rejects)
    assert (shuffled.rows_clean, shuffled.rows_rejected) == (first.rows_clean, first.rows_rejected)


# --- the reviewed-for-publication flag of a note -----------------------------------------------------


def test_notes_reviewed_is_read_as_yes_or_no_and_anything_else_is_a_reject(simulated_returns):
    raw = simulated_returns[0]  # the return file as text
    raw = raw.head(4).copy()
    raw["notes"] = "A note"
    raw["notes_reviewed"] = ["Yes", "", "no", "perhaps"]
    result = clean_temperature_check(raw.astype(str))
    assert result.reconciles() and result.rows_rejected == 1
    reject = result.rejects[result.rejects["column"] == "notes_reviewed"]
    assert reject["value"].tolist() == ["perhaps"] and "yes or no" in reject["reason"].iloc[0]
    flags = result.clean.drop_duplicates("source_row").set_index("source_row")["notes_reviewed"]
    assert flags.dtype == bool and flags.tolist() == [True, False, False]


def test_without_the_column_no_note_counts_as_reviewed(simulated_returns):
    raw = simulated_returns[0]  # the return file as text
    assert not clean_temperature_check(raw.head(3).astype(str)).clean["notes_reviewed"].any()
