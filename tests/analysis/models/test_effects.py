"""Tests for msp_analysis.analysis.models.effects: the predictions are those of the design with one column set."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from msp_analysis.analysis.models.design import binomial_counts, numeric_matrix, with_intercept
from msp_analysis.analysis.models.effects import Z_95, predicted_probabilities
from msp_analysis.analysis.models.fit import fit_outcome_model


def _predictions_by_copy(X, weights, estimate, cov, column, value):
    """The average prediction and its delta-method SE from a copy of the design with `column` set to `value`."""
    design = X.copy()
    design[:, column] = value
    w = weights / weights.sum()
    p = expit(design @ estimate)
    gradient = (w * p * (1 - p)) @ design
    return float(w @ p), float(np.sqrt(gradient @ cov @ gradient)), gradient


def test_predictions_without_copying_the_design_are_those_of_the_copied_design():
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 3)), rng.integers(0, 2, 500)])
    estimate, weights = rng.normal(size=5) * 0.5, rng.integers(1, 6, 500).astype(float)
    A = rng.normal(size=(5, 5))
    cov = A @ A.T / 100
    names = ["Intercept", "a", "b", "c", "d"]
    levels = {"a": (0.1, 0.9), "c": (-0.2, 1.3)}
    table = predicted_probabilities(X, weights, names, estimate, cov, {"a": 1, "c": 3}, levels).set_index("term")
    for term, column in (("a", 1), ("c", 3)):
        mean, sd = levels[term]
        (low, low_se, g_low), (high, high_se, g_high) = (
            _predictions_by_copy(X, weights, estimate, cov, column, v) for v in (mean - sd, mean + sd))
        np.testing.assert_allclose(table.loc[term, ["p_low", "p_high"]].to_numpy(float), [100 * low, 100 * high],
                                   rtol=1e-12)
        np.testing.assert_allclose(table.loc[term, "p_low_high"], 100 * (low + Z_95 * low_se), rtol=1e-12)
        np.testing.assert_allclose(table.loc[term, "p_high_low"], 100 * (high - Z_95 * high_se), rtol=1e-12)
        d_se = np.sqrt((g_high - g_low) @ cov @ (g_high - g_low))
        np.testing.assert_allclose(table.loc[term, "difference_low"], 100 * (high - low - Z_95 * d_se), rtol=1e-12)


def test_a_models_predictions_over_its_rows_are_those_over_its_cells(records):
    data = records.assign(age=np.random.default_rng(1).integers(20, 90, len(records)).astype(float))
    levels = {"x1": (0.0, 1.0), "x2": (0.1, 0.8)}
    result = fit_outcome_model(data, "glm_cluster", outcome="y", predictors=["x1", "x2", "age"], year_effects=False,
                               family=["x1", "x2"], levels=levels)
    terms = {"x1": "x1", "x2": "x2", "age": "age"}
    counts = binomial_counts(data, "y", terms, "ons_code", None)  # what the predictions were averaged over before
    X = with_intercept(numeric_matrix(counts, terms))
    cov = result.details["cov"]
    expected = predicted_probabilities(X, counts["_t"].to_numpy(float), list(result.table["term"]),
                                       result.table["estimate"].to_numpy(), cov, {"x1": 1, "x2": 2}, levels,
                                       df=result.details["df"])
    pd.testing.assert_frame_equal(result.details["predicted"], expected, rtol=1e-10)
    assert len(counts) < len(data)
    # the t quantile of each term's degrees of freedom: wider than the normal interval, same centre
    normal = predicted_probabilities(X, counts["_t"].to_numpy(float), list(result.table["term"]),
                                     result.table["estimate"].to_numpy(), cov, {"x1": 1, "x2": 2}, levels)
    from scipy import stats

    for term in ("x1", "x2"):
        ours, plain = expected.set_index("term").loc[term], normal.set_index("term").loc[term]
        ratio = (ours["difference_high"] - ours["difference_low"]) / (plain["difference_high"] - plain["difference_low"])
        assert ratio == pytest.approx(stats.t(result.details["df"][term]).ppf(0.975) / stats.norm.ppf(0.975))
        assert ours["difference_points"] == plain["difference_points"]
