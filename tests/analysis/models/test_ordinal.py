"""Tests for msp_analysis.analysis.models.ordinal: the slope, and the proportional-odds check both ways."""

import pytest

from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.fit import fit_outcome_model, model_outcome
from tests.analysis.models.synthetic import synthetic_ordinal

TOLERANCE = 0.1  # about three standard errors at the scale of the recovery fixture


def test_ordinal_recovers_the_slope_and_passes_the_check_when_odds_are_proportional():
    data = synthetic_ordinal()
    result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x"])
    assert result.table["term"].tolist() == ["x"]
    row = result.term("x")
    assert row["ci_low"] <= 0.6 <= row["ci_high"]
    check = result.details["proportional_odds"]
    assert list(check.columns) == ["term", "ordinal_estimate", "cut_1_estimate", "cut_1_std_error", "cut_2_estimate",
                                   "cut_2_std_error", "difference", "difference_std_error", "p_value"]
    assert result.details["proportional_odds_test"]["p_value"] > 0.05
    assert list(result.details["thresholds"]) == ["0|1", "1|2"]


def test_ordinal_check_flags_different_slopes_at_the_two_cuts():
    data = synthetic_ordinal(beta_low_cut=0.0, per_council=200)
    result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x"])
    check = result.details["proportional_odds"].set_index("term")
    assert check.loc["x", "cut_2_estimate"] == pytest.approx(0.6, abs=0.2)
    assert check.loc["x", "cut_1_estimate"] == pytest.approx(0.0, abs=0.2)
    assert result.details["proportional_odds_test"]["p_value"] < 0.001


def test_an_ordinal_outcome_needs_three_levels(records):
    with pytest.raises(ValueError, match="three or more ordered levels"):
        fit_outcome_model(records, "ordinal", outcome="y", predictors=["x1"])


def test_ordinal_runs_on_the_simulation_and_shows_the_partial_cut_is_flatter(recovery):
    result = model_outcome(recovery["clean_eval"], recovery["clean_tc"], method="ordinal")
    assert result.table["term"].tolist()[:3] == list(CULTURE_TERMS)
    check = result.details["proportional_odds"].set_index("term")
    # The simulator draws "partially vs not" independently of culture, so only the top cut carries the
    # full effect: the cut-2 (fully achieved) slopes are the truth, the cut-1 slopes are smaller.
    for term, true in recovery["truth"]["effects"].items():
        assert check.loc[term, "cut_2_estimate"] == pytest.approx(true, abs=TOLERANCE)
        assert check.loc[term, "cut_1_estimate"] < check.loc[term, "cut_2_estimate"]
