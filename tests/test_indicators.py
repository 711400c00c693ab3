"""Tests for msp_analysis.indicators: reverse coding, the answered-items rule, equal organisation weights."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.codebook import likert_items
from msp_analysis.indicators import MIN_ANSWERED, council_scores, respondent_scores, standardise

SUPERVISION = ["sup_1", "sup_2", "sup_3"]  # sup_3 is reverse-coded


def returns(rows, ons_code="E08000025", wave="2023-24"):
    """Numeric returns from (org_id, [sup_1, sup_2, sup_3]) pairs."""
    return pd.DataFrame(
        [{"org_id": org, "ons_code": ons_code, "wave": wave, **dict(zip(SUPERVISION, answers))}
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
