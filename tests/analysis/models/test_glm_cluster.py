"""Tests for msp_analysis.analysis.models.glm_cluster: counts and records agree, CR2 errors match a direct
computation on the records, CR1 errors (kept in the details) match statsmodels."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from msp_analysis.analysis.link import outcome_counts
from msp_analysis.analysis.models.fit import fit_outcome_model


def test_glm_cluster_gives_the_same_answer_from_records_and_from_counts(records):
    counts = outcome_counts(records, "y", ["ons_code", "financial_year", "x1", "x2"])
    assert len(counts) < len(records) / 10
    by_record = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    by_count = fit_outcome_model(counts, "glm_cluster", outcome="y", predictors=["x1", "x2"], trials="trials")
    for column in ["estimate", "std_error", "ci_low", "ci_high", "p_value"]:
        np.testing.assert_allclose(by_count.table[column], by_record.table[column], rtol=1e-10, atol=1e-12)
    assert (by_count.n, by_count.clusters) == (by_record.n, by_record.clusters) == (len(records), 60)


def test_glm_cluster_matches_a_record_level_statsmodels_fit_with_cr1_errors(records):
    X = sm.add_constant(records[["x1", "x2"]].to_numpy())
    groups = pd.factorize(records["ons_code"])[0]
    reference = sm.GLM(records["y"].to_numpy(), X, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    ours = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"], year_effects=False)
    g = 60
    np.testing.assert_allclose(ours.table["estimate"], reference.params, rtol=1e-6)
    cr1 = [ours.details["std_error_cr1"][term] for term in ours.table["term"]]
    np.testing.assert_allclose(cr1, reference.bse * math.sqrt(g / (g - 1)), rtol=1e-6)


def _cr2_on_records(X, y, groups, params):
    """CR2 by its definition: each council's residuals times (I - H_gg)^(-1/2), on one row per person."""
    p = 1 / (1 + np.exp(-X @ params))
    w = p * (1 - p)
    A, e = X * np.sqrt(w)[:, None], (y - p) / np.sqrt(w)
    bread = np.linalg.inv(A.T @ A)
    meat = np.zeros_like(bread)
    for g in np.unique(groups):
        rows = groups == g
        values, vectors = np.linalg.eigh(np.eye(rows.sum()) - A[rows] @ bread @ A[rows].T)
        root = vectors @ np.diag(1 / np.sqrt(values)) @ vectors.T
        u = A[rows].T @ root @ e[rows]
        meat += np.outer(u, u)
    return np.sqrt(np.diag(bread @ meat @ bread))


def test_glm_cluster_cr2_errors_are_the_bell_mccaffrey_ones_and_larger_than_cr1_with_few_unequal_councils():
    rng = np.random.default_rng(4)
    sizes = rng.integers(5, 60, 14)
    council = np.repeat(np.arange(14), sizes)
    x1 = rng.normal(size=14)[council]
    x2 = rng.normal(size=len(council))
    y = (rng.random(len(council)) < 1 / (1 + np.exp(-(0.3 + 0.5 * x1 - 0.4 * x2 + rng.normal(0, 0.4, 14)[council]))))
    frame = pd.DataFrame({"ons_code": [f"C{c:02d}" for c in council], "x1": x1, "x2": x2, "y": y.astype(int)})
    ours = fit_outcome_model(frame, "glm_cluster", outcome="y", predictors=["x1", "x2"], year_effects=False)
    X = np.column_stack([np.ones(len(frame)), x1, x2])
    np.testing.assert_allclose(ours.table["std_error"], _cr2_on_records(X, y.astype(float), council,
                                                                        ours.table["estimate"].to_numpy()), rtol=1e-8)
    cr1 = np.array([ours.details["std_error_cr1"][term] for term in ours.table["term"]])
    assert ours.details["standard_errors"] == "CR2"
    assert ours.term("x1")["std_error"] > cr1[1]  # the council-level slope: CR1 is too small with 14 councils


def test_glm_cluster_recovers_known_effects(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    for term, true in {"x1": 0.4, "x2": -0.2}.items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"]
        assert row["odds_ratio"] == pytest.approx(math.exp(row["estimate"]))


@pytest.mark.parametrize(("n", "k", "seed"), [(300, 3, 0), (5000, 25, 1), (2000, 8, 2)])
def test_newton_logit_is_the_statsmodels_glm_maximum(n, k, seed):
    from msp_analysis.analysis.models.glm_cluster import _logit_statsmodels, logit_mle

    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1)) * rng.uniform(0.2, 3, k - 1)])
    X[:, k // 2:] = (X[:, k // 2:] > 0.3).astype(float)  # indicators beside continuous columns, as in the adjusted model
    trials = rng.integers(1, 5, n).astype(float) if seed != 2 else np.ones(n)
    beta = rng.normal(size=k) * 0.4
    successes = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-X @ beta))).astype(float)
    ours, reference = logit_mle(X, successes, trials), _logit_statsmodels(X, successes, trials)
    np.testing.assert_allclose(ours, reference, rtol=1e-8, atol=1e-10)


def test_newton_logit_falls_back_to_statsmodels_where_the_information_is_singular():
    from msp_analysis.analysis.models.glm_cluster import logit_cluster, logit_mle

    rng = np.random.default_rng(5)
    x = rng.normal(size=200)
    X = np.column_stack([np.ones(200), x, 2 * x])  # collinear
    y = (rng.random(200) < 0.5).astype(float)
    assert logit_mle(X, y, np.ones(200)) is None
    separated = np.column_stack([np.ones(200), x])
    assert logit_mle(separated, (x > 0).astype(float), np.ones(200)) is None  # no finite maximum
    fit = logit_cluster(np.column_stack([np.ones(200), x]), y, np.ones(200), np.arange(200) % 10, 10)
    assert np.all(np.isfinite(fit.params)) and fit.groups == 10
