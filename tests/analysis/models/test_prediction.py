"""Tests for msp_analysis.analysis.models.prediction: culture helps predict outcomes in unseen councils."""

import pytest

from msp_analysis.analysis.models.prediction import prediction_check


@pytest.mark.long  # whole simulated frames: in make test, not the quick lane
def test_prediction_check_finds_culture_helps_out_of_council(recovery):
    check = prediction_check(recovery["linked"], n_splits=5, n_repeats=2)
    summary = check["summary"].set_index("model")
    with_culture, without = summary.loc["with culture indicators"], summary.loc["without culture indicators"]
    assert with_culture["auc"] > without["auc"] + 0.05
    assert with_culture["brier"] < without["brier"]
    assert 0.45 < without["auc"] < 0.55  # the year alone predicts nothing here
    assert set(check["calibration"]["model"]) == set(summary.index)
    assert check["calibration"]["mean_predicted"].between(0, 1).all()
    assert check["permutation_importance"]["feature"].iloc[0] == "z_supervision"  # the largest true effect
    assert len(check["folds"]) == 10


def test_too_few_councils_for_the_folds_is_explained(records):
    few = records[records["ons_code"].isin(["C000", "C001", "C002"])].rename(columns={"y": "fully_achieved"})
    with pytest.raises(ValueError, match="3 councils cannot be split into 5 folds"):
        prediction_check(few, indicators=["x1", "x2"])
