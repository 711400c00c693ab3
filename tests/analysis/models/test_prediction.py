"""Tests for msp_analysis.analysis.models.prediction: culture helps predict outcomes in unseen councils."""

import numpy as np
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


def test_permutation_importance_equals_scikit_learns():
    from sklearn.inspection import permutation_importance as sklearn_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from msp_analysis.analysis.models.prediction import auc, permutation_importance

    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=600), rng.integers(0, 2, 600), np.round(rng.normal(size=600), 1)])
    y = (X @ [0.8, -0.5, 0.3] + rng.logistic(size=600) > 0).astype(int)
    model = LogisticRegression().fit(X[:400], y[:400])
    held_out = model.predict_proba(X[400:])[:, 1]
    assert auc(y[400:], held_out) == pytest.approx(roc_auc_score(y[400:], held_out), abs=1e-12)
    tied = np.round(held_out, 1)  # ties between a 1 and a 0 count half
    assert auc(y[400:], tied) == pytest.approx(roc_auc_score(y[400:], tied), abs=1e-12)
    theirs = sklearn_importance(model, X[400:], y[400:], scoring="roc_auc", n_repeats=4, random_state=7).importances
    ours = permutation_importance(model, X[400:], y[400:], 4, 7)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert np.abs(ours[0]).max() > 0.01  # the strongest feature's shuffles cost AUC
