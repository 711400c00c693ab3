"""Tests for msp_analysis.analysis.indicators: reverse coding, the answered-items rule, equal organisation weights."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.indicators import (
    MIN_ANSWERED,
    council_scores,
    culture_scores,
    respondent_scores,
    standardise,
)
from msp_analysis.reference.codebook import likert_items

SUPERVISION = ["sup_1", "sup_2", "sup_3"]  # sup_3 is reverse-coded


def returns(rows, ons_code="E08000025", wave="2023-24"):
    """Numeric returns from (org_id, [sup_1, sup_2, sup_3]) pairs."""
    return pd.DataFrame(
        [{"org_id": org, "ons_code": ons_code, "wave": wave, **dict(zip(SUPERVISION, answers, strict=True))}
         for org, answers in rows]
    )


def test_codebook_marks_the_reverse_coded_supervision_item():
    items = likert_items(["supervision"]).set_index("item_id")
    assert items.loc["sup_3", "reverse_coded"]
    assert not items.loc[["sup_1", "sup_2"], "reverse_coded"].any()


@pytest.mark.parametrize(
    "answers,expected",
    [
        ([5, 5, 1], 5.0),            # disagreeing with a negative item is good culture
        ([1, 1, 5], 1.0),
        ([4, 2, 2], (4 + 2 + 4) / 3),
        ([3, 3, 3], 3.0),
    ],
)
def test_reverse_coded_items_are_flipped(answers, expected):
    scores = respondent_scores(returns([("org", answers)]))
    assert scores.loc[0, "supervision"] == pytest.approx(expected)


def test_only_indicators_with_items_in_the_returns_are_scored():
    scores = respondent_scores(returns([("org", [4, 4, 2])]))
    assert list(scores.columns) == ["supervision"]


@pytest.mark.parametrize(
    "answers,expected",
    [
        ([5, np.nan, np.nan], np.nan),        # one answered item is not enough
        ([np.nan, np.nan, 1], np.nan),
        ([np.nan, np.nan, np.nan], np.nan),
        ([5, 3, np.nan], 4.0),                # two are
        ([np.nan, 4, 2], 4.0),                # and the reverse-coded one is flipped first
    ],
)
def test_min_answered_rule(answers, expected):
    assert MIN_ANSWERED == 2
    score = respondent_scores(returns([("org", answers)])).loc[0, "supervision"]
    if np.isnan(expected):
        assert np.isnan(score)
    else:
        assert score == pytest.approx(expected)


def test_min_answered_can_be_lowered():
    scores = respondent_scores(returns([("org", [5, np.nan, np.nan])]), min_answered=1)
    assert scores.loc[0, "supervision"] == 5.0


def test_organisations_are_weighted_equally_within_a_council():
    big_org = [("big", [5, 5, 1])] * 10     # ten respondents scoring 5
    small_org = [("small", [1, 1, 5])]      # one respondent scoring 1
    scores = council_scores(returns(big_org + small_org))
    assert len(scores) == 1
    row = scores.iloc[0]
    assert row["supervision"] == pytest.approx(3.0)  # not (10*5 + 1) / 11
    assert row["n_organisations"] == 2
    assert row["n_respondents"] == 11


def test_council_scores_keep_councils_and_waves_apart():
    data = pd.concat([
        returns([("a", [5, 5, 1]), ("a", [3, 3, 3])], ons_code="E08000025", wave="2022-23"),
        returns([("a", [1, 1, 5])], ons_code="E08000025", wave="2023-24"),
        returns([("b", [4, 4, 2])], ons_code="E08000026", wave="2023-24"),
    ], ignore_index=True)
    scores = council_scores(data).set_index(["ons_code", "wave"])["supervision"]
    assert scores.to_dict() == {
        ("E08000025", "2022-23"): pytest.approx(4.0),
        ("E08000025", "2023-24"): pytest.approx(1.0),
        ("E08000026", "2023-24"): pytest.approx(4.0),
    }


def test_respondent_without_enough_answers_does_not_drag_the_organisation_down():
    scores = council_scores(returns([("org", [4, 4, 2]), ("org", [1, np.nan, np.nan])]))
    assert scores.loc[0, "supervision"] == pytest.approx(4.0)


# --- standardise --------------------------------------------------------------------------


@pytest.fixture
def council_table():
    return pd.DataFrame({
        "ons_code": ["A", "B", "C", "D", "A", "B", "C"],
        "wave": ["2022-23"] * 4 + ["2023-24"] * 3,
        "supervision": [2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 60.0],
        "staffing": [1.0, 1.5, 2.5, 3.0, 3.0, 3.5, 2.0],
    })


def test_standardise_gives_mean_0_and_sd_1_within_each_wave(council_table):
    scored = standardise(council_table, ["supervision", "staffing"])
    for _, wave in scored.groupby("wave"):
        for column in ["z_supervision", "z_staffing"]:
            assert wave[column].mean() == pytest.approx(0, abs=1e-12)
            assert wave[column].std(ddof=1) == pytest.approx(1)


def test_standardise_uses_each_waves_own_scale(council_table):
    scored = standardise(council_table, ["supervision"])
    first = scored[scored["wave"] == "2022-23"]["z_supervision"].to_numpy()
    values = np.array([2.0, 3.0, 4.0, 5.0])
    assert first == pytest.approx((values - values.mean()) / values.std(ddof=1))
    # the large 2023-24 values do not shift 2022-23
    assert scored.loc[3, "z_supervision"] > 0 and scored.loc[0, "z_supervision"] < 0


def test_standardise_keeps_the_raw_scores(council_table):
    scored = standardise(council_table, ["supervision"])
    pd.testing.assert_series_equal(scored["supervision"], council_table["supervision"])
    assert "z_staffing" not in scored


def test_standardise_with_by_none_pools_every_row(council_table):
    scored = standardise(council_table, ["supervision"], by=None)
    values = council_table["supervision"]
    assert scored["z_supervision"].tolist() == pytest.approx(((values - values.mean()) / values.std(ddof=1)).tolist())
    assert scored["z_supervision"].mean() == pytest.approx(0, abs=1e-12)
    assert scored["z_supervision"].std(ddof=1) == pytest.approx(1)


# --- organisations, staffing numbers, reliability, the one-call scorer -------------------------

from msp_analysis.analysis.indicators import (  # noqa: E402  (grouped with the tests that use them)
    STAFFING_NUMBERS,
    organisation_scores,
    reliability,
    score_temperature_check,
)


def test_organisation_scores_give_each_organisation_an_equal_council_weight():
    data = returns([("big", [5, 5, 1])] * 3 + [("small", [1, 1, 5])] + [("third", [3, 3, 3])] * 2)
    orgs = organisation_scores(data).set_index("org_id")
    assert orgs["n_respondents"].to_dict() == {"big": 3, "small": 1, "third": 2}
    assert orgs["council_weight"].tolist() == pytest.approx([1 / 3] * 3)
    assert orgs.loc["big", "supervision"] == 5.0
    council = council_scores(data).iloc[0]
    assert council["supervision"] == pytest.approx((orgs["supervision"] * orgs["council_weight"]).sum())


def test_staffing_numbers_are_carried_as_council_means_of_organisation_means():
    data = returns([("a", [4, 4, 2]), ("a", [4, 4, 2]), ("b", [4, 4, 2])])
    data["stf_turnover_pct"] = [10.0, 20.0, 40.0]   # a: 15, b: 40 -> council 27.5 (not 70/3)
    data["stf_caseload"] = [12.0, np.nan, 18.0]
    council = council_scores(data).iloc[0]
    assert council["stf_turnover_pct"] == pytest.approx(27.5)
    assert council["stf_caseload"] == pytest.approx(15.0)
    assert "stf_vacancy_pct" not in council
    assert set(STAFFING_NUMBERS) == {"stf_turnover_pct", "stf_vacancy_pct", "stf_caseload"}


def test_staffing_numbers_match_the_instrument():
    from msp_analysis.reference.codebook import instrument

    items = instrument()
    numbers = items[items["answer_scale"].isin(["percent", "number"])]
    assert set(numbers["item_id"]) == set(STAFFING_NUMBERS)
    assert set(numbers["indicator"]) == {"staffing"}


def cronbach(matrix):
    matrix = np.asarray(matrix, dtype=float)
    k = matrix.shape[1]
    return k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / matrix.sum(axis=1).var(ddof=1))


def test_reliability_gives_alpha_and_item_rest_correlations_after_reverse_coding():
    answers = [[5, 4, 1], [4, 4, 2], [2, 3, 4], [1, 2, 5], [3, 3, 3], [4, 5, 2], [2, 1, 4]]
    data = returns([("org", a) for a in answers] + [("org", [5, np.nan, 1])])  # incomplete: left out
    table = reliability(data).set_index("item_id")
    flipped = np.array(answers, dtype=float)
    flipped[:, 2] = 6 - flipped[:, 2]
    assert table["alpha"].iloc[0] == pytest.approx(cronbach(flipped))
    assert table["alpha"].iloc[0] > 0.8  # consistent once sup_3 is flipped
    assert table.loc["sup_3", "reverse_coded"] and not table.loc["sup_1", "reverse_coded"]
    assert (table["n_respondents"] == 7).all() and (table["n_items"] == 3).all()
    rest = flipped[:, 1] + flipped[:, 2]
    assert table.loc["sup_1", "item_rest_correlation"] == pytest.approx(np.corrcoef(flipped[:, 0], rest)[0, 1])
    assert table.loc["sup_1", "alpha_if_deleted"] == pytest.approx(cronbach(flipped[:, 1:]))


def test_reliability_flags_an_item_that_runs_the_wrong_way():
    answers = [[5, 4, 5], [4, 4, 4], [2, 3, 2], [1, 2, 1], [3, 3, 3], [4, 5, 5]]  # sup_3 answered as if positive
    table = reliability(returns([("org", a) for a in answers])).set_index("item_id")
    assert table.loc["sup_3", "item_rest_correlation"] < 0
    assert table.loc["sup_3", "alpha_if_deleted"] > table.loc["sup_3", "alpha"]


@pytest.fixture(scope="module")
def clean_returns():
    """A small clean temperature-check frame: two councils, two waves, partners, staffing numbers."""
    from msp_analysis.clean.temperature_check import clean_temperature_check

    items = likert_items()["item_id"].tolist()
    rows = []
    for ons, wave, org, level, turnover in [
        ("E08000037", "2022-23", "G-LA", 4, 20), ("E08000037", "2022-23", "G-NHS", 2, 30),
        ("E08000037", "2023-24", "G-LA", 5, 18), ("E08000024", "2022-23", "S-LA", 3, 25),
        ("E08000024", "2023-24", "S-LA", 2, 35), ("E08000024", "2023-24", "S-P", 2, 33),
    ]:
        for respondent in ("1", "2"):
            answers = {item: str(6 - level if item in {"sup_3", "stf_3", "cmp_3", "adv_3"} else level)
                       for item in items}
            rows.append({"org_id": org, "ons_code": ons, "wave": wave, "respondent_id": respondent, **answers,
                         "stf_turnover_pct": str(turnover)})
    return clean_temperature_check(pd.DataFrame(rows)).clean


def test_score_temperature_check_standardises_across_all_council_waves(clean_returns):
    scores = score_temperature_check(clean_returns)
    assert list(scores[["ons_code", "wave"]].itertuples(index=False, name=None)) == [
        ("E08000024", "2022-23"), ("E08000024", "2023-24"), ("E08000037", "2022-23"), ("E08000037", "2023-24")]
    assert scores["supervision"].tolist() == pytest.approx([3.0, 2.0, 3.0, 5.0])
    raw = scores["supervision"]
    assert scores["z_supervision"].tolist() == pytest.approx(((raw - raw.mean()) / raw.std(ddof=1)).tolist())
    assert scores["n_organisations"].tolist() == [1, 2, 2, 1]
    assert scores["n_respondents"].tolist() == [2, 4, 4, 2]
    assert scores["stf_turnover_pct"].tolist() == pytest.approx([25.0, 34.0, 25.0, 18.0])
    indicators = likert_items()["indicator"].unique()
    assert {f"z_{i}" for i in indicators} <= set(scores.columns)


def test_score_temperature_check_can_standardise_within_wave(clean_returns):
    scores = score_temperature_check(clean_returns, standardise_by="wave").set_index(["wave", "ons_code"])
    assert scores.loc["2023-24", "z_supervision"].tolist() == pytest.approx([-0.5**0.5, 0.5**0.5])
    # both councils score 3 in 2022-23: no spread, so no z-score rather than a division by zero
    assert scores.loc["2022-23", "z_supervision"].isna().all()


def test_culture_scores_are_the_council_scores_of_the_clean_returns_computed_once(simulation):
    from msp_analysis.clean.temperature_check import clean_temperature_check, wide_answers

    clean = clean_temperature_check(simulation.temperature_check.astype(str).replace("nan", "")).clean
    scores = culture_scores(clean)
    assert culture_scores(clean) is scores, "cached per input frame"
    pd.testing.assert_frame_equal(scores, council_scores(wide_answers(clean)))
    assert {"ons_code", "wave", "supervision", "n_respondents"} <= set(scores.columns)


def test_scores_by_key_question_and_step_group_use_every_item_of_the_group():
    from msp_analysis.reference.codebook import instrument

    items = instrument().set_index("item_id")
    frame = pd.DataFrame([{"org_id": "a", "ons_code": "E08000025", "wave": "2023-24", "sup_1": 5, "sup_3": 1,
                           "stf_1": 3, "mca_1": 2, "lead_1": 4, "lead_3": 2}])
    by_question = council_scores(frame, by="table1_column").iloc[0]
    # sup_1, sup_3 (flipped to 5), stf_1 and mca_1 are Effective in Table 1; stf_1 is no longer filed under Safe
    assert items.loc[["sup_1", "sup_3", "stf_1", "mca_1"], "table1_column"].eq("Effective").all()
    assert by_question["Effective"] == pytest.approx((5 + 5 + 3 + 2) / 4)
    assert by_question["Well-led"] == pytest.approx(3.0) and "Safe" not in by_question
    by_group = council_scores(frame, by="step_group").iloc[0]
    assert by_group["workforce"] == pytest.approx((5 + 5 + 3 + 2) / 4) and by_group["leading"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="step_group"):
        council_scores(frame, by="principle")


def test_bank_items_in_a_return_are_scored_into_their_indicator():
    frame = pd.DataFrame([{"org_id": "a", "ons_code": "E08000025", "wave": "2023-24", "car_1": 5, "car_2": 3}])
    assert respondent_scores(frame).iloc[0]["caring"] == pytest.approx(4.0)


def test_instrument_coverage_counts_items_per_dimension_in_the_resource_order():
    from msp_analysis.analysis.indicators import instrument_coverage
    from msp_analysis.reference.codebook import instrument

    steps = instrument_coverage("msp_step")
    assert steps["value"].tolist() == [f"Step {n}" for n in range(1, 9)]
    assert steps["asked"].sum() == len(instrument()) and (steps["total"] >= 3).all()
    themes = instrument_coverage("nhs_theme").set_index("value")
    assert themes.loc["governance and commissioning", "asked"] == 0 and themes.loc["governance and commissioning", "bank"] >= 3
    assert (instrument_coverage("principle")["total"] >= 3).all()
    with pytest.raises(ValueError, match="msp_step"):
        instrument_coverage("colour")


def test_feedback_scores_and_feedback_against_the_record():
    from msp_analysis.analysis.indicators import feedback_against_record, feedback_scores
    from msp_analysis.clean.person_feedback import clean_person_feedback

    raw = pd.DataFrame([
        {"enquiry_id": "E1", "ons_code": "E08000025", "financial_year": "2023-24", "msp_asked": "Asked and expressed",
         "msp_outcome_achieved": "Partially", "i_empowerment": "Agree", "i_prevention": "Strongly agree"},
        {"enquiry_id": "E2", "ons_code": "E08000025", "financial_year": "2023-24", "msp_asked": "No",
         "msp_outcome_achieved": "", "i_empowerment": "Disagree", "i_prevention": ""},
        {"enquiry_id": "E9", "ons_code": "E08000025", "financial_year": "2023-24", "msp_asked": "No",
         "msp_outcome_achieved": "", "i_empowerment": "", "i_prevention": ""},
    ])
    feedback = clean_person_feedback(raw).clean
    scores = feedback_scores(feedback).iloc[0]
    assert scores["n_responses"] == 3 and scores["n_i_empowerment"] == 2 and scores["n_i_prevention"] == 1
    assert scores["i_empowerment"] == pytest.approx(3.0) and scores["i_prevention"] == pytest.approx(5.0)
    enquiries = pd.DataFrame({"enquiry_id": ["E1", "E2"], "ons_code": "E08000025",
                              "msp_asked": ["Yes they were asked and outcomes were expressed"] * 2,
                              "msp_outcome_achieved": ["Fully Achieved", "Not Achieved"]})
    table = feedback_against_record(feedback, enquiries).set_index(["question", "record", "person"])["n"]
    assert table[("msp_outcome_achieved", "Fully Achieved", "Partially Achieved")] == 1
    assert table[("msp_asked", "Yes they were asked and outcomes were expressed", "No")] == 1  # the record says asked
    assert table[("msp_asked", "Not in the record", "No")] == 1 and table.sum() == 6
