"""Tests for msp_analysis.analysis.link: the council × year join, boundary changes, unmatched reporting, the la panel."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.link import (
    PANEL_YEARS,
    expressed_outcomes,
    la_panel,
    link_outcomes,
    outcome_counts,
    shift_financial_year,
)

CUMBRIA, CUMBERLAND, WESTMORLAND = "E10000006", "E06000063", "E06000064"
NORTH_YORKSHIRE_OLD, NORTH_YORKSHIRE = "E10000023", "E06000065"
GATESHEAD, SUNDERLAND = "E08000037", "E08000024"


def scores(rows):
    """Council scores from (ons_code, wave, z_supervision) triples."""
    return pd.DataFrame(rows, columns=["ons_code", "wave", "z_supervision"])


def enquiries(rows):
    """Outcome rows from (ons_code, financial_year, fully_achieved) triples."""
    return pd.DataFrame(rows, columns=["ons_code", "financial_year", "fully_achieved"])


def test_shift_financial_year_crosses_the_century():
    assert shift_financial_year("2023-24", -1) == "2022-23"
    assert shift_financial_year("1999-00", 1) == "2000-01"
    assert shift_financial_year("2000-01", -1) == "1999-00"


def test_scores_attach_by_council_and_year():
    linked = link_outcomes(
        enquiries([(GATESHEAD, "2022-23", 1), (GATESHEAD, "2023-24", 0), (SUNDERLAND, "2023-24", 1)]),
        scores([(GATESHEAD, "2022-23", 0.5), (GATESHEAD, "2023-24", -0.5), (SUNDERLAND, "2023-24", 1.5)]),
    )
    assert linked.data["z_supervision"].tolist() == [0.5, -0.5, 1.5]
    assert linked.data["matched"].all()
    assert linked.unmatched.empty and linked.unused_scores.empty
    assert linked.data["fully_achieved"].tolist() == [1, 0, 1]  # the outcome rows are untouched


def test_every_outcome_row_is_kept_and_unmatched_councils_are_reported():
    linked = link_outcomes(
        enquiries([(GATESHEAD, "2023-24", 1), (SUNDERLAND, "2023-24", 1), (SUNDERLAND, "2023-24", 0)]),
        scores([(GATESHEAD, "2023-24", 0.5)]),
    )
    assert len(linked.data) == 3
    assert linked.data["matched"].tolist() == [True, False, False]
    assert linked.data["z_supervision"].isna().tolist() == [False, True, True]
    assert linked.unmatched.to_dict(orient="records") == [{
        "ons_code": SUNDERLAND, "financial_year": "2023-24", "rows": 2,
        "reason": "no culture score for this council in wave 2023-24"}]
    assert len(linked.matched_data) == 1
    assert linked.summary()["rows_unmatched"] == 2


def test_a_cumbria_score_does_not_attach_to_cumberland_the_next_year():
    # Culture measured in 2022-23 (lag 1) for outcomes of 2023-24: Cumbria was abolished.
    linked = link_outcomes(
        enquiries([(CUMBERLAND, "2023-24", 1), (WESTMORLAND, "2023-24", 0)]),
        scores([(CUMBRIA, "2022-23", 2.0)]),
        lag=1, one_to_one_successors=True,  # a split is never carried across, even when asked
    )
    assert not linked.data["matched"].any()
    assert linked.data["z_supervision"].isna().all()
    reasons = linked.unmatched.set_index("ons_code")["reason"]
    assert "created on 1 April 2023 from E10000006" in reasons[CUMBERLAND]
    assert "different area" in reasons[WESTMORLAND]
    assert linked.unused_scores.to_dict(orient="records") == [
        {"ons_code": CUMBRIA, "wave": "2022-23", "reason": "no outcome rows for this council and year"}]


def test_an_outcome_row_coded_to_an_abolished_council_is_reported_not_matched():
    linked = link_outcomes(enquiries([(CUMBRIA, "2023-24", 1)]), scores([(CUMBRIA, "2023-24", 1.0)]))
    assert not linked.data["matched"].any()
    assert linked.unmatched["reason"].tolist() == ["not a council in 2023-24"]
    assert linked.unused_scores["reason"].tolist() == ["not a council in this wave"]


def test_one_to_one_successors_may_use_their_predecessors_score_when_asked():
    outcome = enquiries([(NORTH_YORKSHIRE, "2023-24", 1)])
    score = scores([(NORTH_YORKSHIRE_OLD, "2022-23", 0.7)])
    assert not link_outcomes(outcome, score, lag=1).data["matched"].any()  # not by default
    linked = link_outcomes(outcome, score, lag=1, one_to_one_successors=True)
    assert linked.data["z_supervision"].tolist() == [0.7]
    assert linked.data["score_ons_code"].tolist() == [NORTH_YORKSHIRE_OLD]
    assert linked.data["score_wave"].tolist() == ["2022-23"]


def test_lag_takes_the_score_of_the_earlier_wave():
    linked = link_outcomes(enquiries([(GATESHEAD, "2023-24", 1)]),
                           scores([(GATESHEAD, "2022-23", 0.1), (GATESHEAD, "2023-24", 0.9)]), lag=1)
    assert linked.data["z_supervision"].tolist() == [0.1]
    assert linked.unused_scores["wave"].tolist() == ["2023-24"]


def test_council_aggregates_link_like_records():
    records = enquiries([(GATESHEAD, "2023-24", 1), (GATESHEAD, "2023-24", 0), (SUNDERLAND, "2023-24", 1)])
    counts = outcome_counts(records, "fully_achieved", ["ons_code", "financial_year"])
    assert counts.set_index("ons_code")[["fully_achieved", "trials"]].to_dict(orient="index") == {
        GATESHEAD: {"fully_achieved": 1, "trials": 2}, SUNDERLAND: {"fully_achieved": 1, "trials": 1}}
    linked = link_outcomes(counts, scores([(GATESHEAD, "2023-24", 0.5), (SUNDERLAND, "2023-24", -0.5)]))
    assert dict(zip(linked.data["ons_code"], linked.data["z_supervision"], strict=True)) == {GATESHEAD: 0.5, SUNDERLAND: -0.5}


@pytest.mark.parametrize("change,message", [
    (lambda e, s: (e.drop(columns="financial_year"), s), "financial_year"),
    (lambda e, s: (e, s.drop(columns="wave")), "wave"),
    (lambda e, s: (e, pd.concat([s, s])), "more than one row"),
    (lambda e, s: (e.assign(z_supervision=1.0), s), "already in the outcome frame"),
])
def test_link_rejects_unusable_inputs(change, message):
    e, s = change(enquiries([(GATESHEAD, "2023-24", 1)]), scores([(GATESHEAD, "2023-24", 0.5)]))
    with pytest.raises(ValueError, match=message):
        link_outcomes(e, s)


def test_negative_lag_is_refused():
    with pytest.raises(ValueError, match="lag"):
        link_outcomes(enquiries([(GATESHEAD, "2023-24", 1)]), scores([(GATESHEAD, "2023-24", 0.5)]), lag=-1)


# --- expressed outcomes -----------------------------------------------------------------------

EXPRESSED = "Yes they were asked and outcomes were expressed"


def test_expressed_outcomes_keeps_section_42_enquiries_with_expressed_outcomes():
    clean = pd.DataFrame({
        "ons_code": [GATESHEAD] * 5,
        "financial_year": ["2023-24"] * 5,
        "enquiry_type": ["Section 42", "Section 42", "Section 42", "Other", "Section 42"],
        "msp_asked": [EXPRESSED, EXPRESSED, EXPRESSED, EXPRESSED, "No"],
        "msp_outcome_achieved": ["Fully Achieved", "Partially Achieved", "Not Achieved", "Fully Achieved", None],
    }).astype("string")
    out = expressed_outcomes(clean)
    assert out["achieved_level"].tolist() == [2, 1, 0]
    assert out["fully_achieved"].tolist() == [1, 0, 0]
    assert out["fully_or_partially_achieved"].tolist() == [1, 1, 0]
    assert len(expressed_outcomes(clean, section_42_only=False)) == 4


# --- la panel ---------------------------------------------------------------------------------


def measures(rows):
    """Clean la_measures rows from (ons_code, level, year, measure, value, disaggregation)."""
    frame = pd.DataFrame(rows, columns=["ons_code", "geography_level", "financial_year", "measure", "value",
                                        "disaggregation"])
    return frame.assign(name=frame["ons_code"], source="test")


def test_la_panel_keeps_council_years_with_both_measures():
    panel = la_panel(measures([
        (GATESHEAD, "Council", "2021-22", "feel_safe", 70.0, "Total"),
        (GATESHEAD, "Council", "2021-22", "workforce_turnover", 25.0, "Total"),
        (GATESHEAD, "Council", "2021-22", "feel_safe", 60.0, "Male"),             # not Total
        (GATESHEAD, "Council", "2022-23", "feel_safe", 71.0, "Total"),            # no turnover that year
        (GATESHEAD, "Council", "2023-24", "feel_safe", 72.0, "Total"),            # after the panel
        (GATESHEAD, "Council", "2023-24", "workforce_turnover", 20.0, "Total"),
        ("E12000001", "Region", "2021-22", "feel_safe", 75.0, "Total"),           # not a council
        ("E12000001", "Region", "2021-22", "workforce_turnover", 27.0, "Total"),
        (SUNDERLAND, "Council", "2021-22", "feel_safe", np.nan, "Total"),         # suppressed
        (SUNDERLAND, "Council", "2021-22", "workforce_turnover", 30.0, "Total"),
    ]))
    assert panel[["ons_code", "financial_year", "feel_safe", "workforce_turnover"]].to_dict(orient="records") == [
        {"ons_code": GATESHEAD, "financial_year": "2021-22", "feel_safe": 70.0, "workforce_turnover": 25.0}]
    assert PANEL_YEARS == ("2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23")


def test_la_panel_keeps_a_value_repeated_by_two_files_once_and_refuses_conflicts():
    rows = [(GATESHEAD, "Council", "2020-21", "feel_safe", 70.0, "Total"),
            (GATESHEAD, "Council", "2020-21", "feel_safe", 70.0, "Total"),
            (GATESHEAD, "Council", "2020-21", "workforce_turnover", 25.0, "Total")]
    assert len(la_panel(measures(rows))) == 1
    rows[1] = (GATESHEAD, "Council", "2020-21", "feel_safe", 72.0, "Total")
    with pytest.raises(ValueError, match="different feel_safe values"):
        la_panel(measures(rows))


def test_la_panel_names_a_missing_measure():
    with pytest.raises(ValueError, match="no council values of measure 'workforce_turnover'"):
        la_panel(measures([(GATESHEAD, "Council", "2021-22", "feel_safe", 70.0, "Total")]))
