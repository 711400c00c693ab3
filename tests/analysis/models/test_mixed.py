"""Tests for msp_analysis.analysis.models.mixed: maximum likelihood by adaptive quadrature, its intervals,
the ICC and shrinkage."""

import math

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.link import outcome_counts
from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.design import binomial_counts, numeric_matrix, with_intercept
from msp_analysis.analysis.models.fit import fit_outcome_model
from msp_analysis.analysis.models.mixed import LOGISTIC_VARIANCE, _Councils, _hessian_by_differences
from tests.analysis.models.synthetic import synthetic_enquiries


@pytest.fixture(scope="module")
def strong_councils():
    return synthetic_enquiries(n_councils=60, per_council_year=60, council_sd=0.6, seed=5)


def test_mixed_gives_icc_and_shrunken_council_estimates(strong_councils):
    data = strong_councils
    result = fit_outcome_model(data, "mixed", outcome="y", predictors=["x1", "x2"], year_effects=False)
    implied = 0.36 / (0.36 + LOGISTIC_VARIANCE)
    assert result.details["icc"] == pytest.approx(implied, abs=0.05)
    assert result.details["converged"]
    assert result.table["p_value"].notna().all() and result.table["posterior_sd"].isna().all()
    councils = result.details["council_estimates"]
    assert len(councils) == 60 and councils["n"].sum() == len(data)
    raw = np.log(councils["observed_rate"] / (1 - councils["observed_rate"]))
    # shrinkage: council estimates vary less than the raw council log-odds
    assert councils["shrunken_log_odds"].std() < raw.std()
    low, high = result.details["council_sd_interval"]
    assert low < result.details["council_sd"] < high


def test_records_and_counts_give_the_same_mixed_fit(strong_councils):
    counts = outcome_counts(strong_councils, "y", ["ons_code", "financial_year", "x1", "x2"])
    by_record = fit_outcome_model(strong_councils, "mixed", outcome="y", predictors=["x1", "x2"])
    by_count = fit_outcome_model(counts, "mixed", outcome="y", predictors=["x1", "x2"], trials="trials")
    np.testing.assert_allclose(by_count.table["estimate"], by_record.table["estimate"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(by_count.table["std_error"], by_record.table["std_error"], rtol=1e-4)


def _brute_force_loglik(data, beta, sd):
    """The marginal log-likelihood by plain (non-adaptive) quadrature on a fine grid: the reference."""
    grid = np.linspace(-8, 8, 4001)
    density = np.exp(-grid**2 / 2) / math.sqrt(2 * math.pi)
    total = 0.0
    for _, council in data.groupby("ons_code"):
        eta = beta[0] + beta[1] * council["x1"].to_numpy() + beta[2] * council["x2"].to_numpy()
        y = council["y"].to_numpy()
        lin = eta[:, None] + sd * grid[None, :]
        log_f = (y[:, None] * lin - np.logaddexp(0, lin)).sum(axis=0)
        top = log_f.max()
        total += top + math.log(np.trapezoid(np.exp(log_f - top) * density, grid))
    return total


def test_the_quadrature_log_likelihood_and_score_are_right(strong_councils):
    data = strong_councils
    terms = {"x1": "x1", "x2": "x2"}
    counts = binomial_counts(data, "y", terms, "ons_code", None)
    groups, names = pd.factorize(counts["ons_code"], sort=True)
    s, t = counts["_s"].to_numpy(float), counts["_t"].to_numpy(float)
    problem = _Councils(with_intercept(numeric_matrix(counts, terms)), s, t, groups, len(names), 15)
    params = np.array([0.5, 0.4, -0.2, math.log(0.5)])
    # with 0/1 rows the binomial constant is zero, so the two agree exactly up to quadrature error
    cells_constant = problem.constant
    assert problem.evaluate(params, gradient=False) + cells_constant == pytest.approx(
        -_brute_force_loglik(data, params[:3], 0.5), abs=1e-4)
    value, score = problem.evaluate(params)
    step = 1e-6
    numeric = [(problem.evaluate(params + step * e, gradient=False) - problem.evaluate(params - step * e, gradient=False))
               / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(score, numeric, rtol=1e-5, atol=1e-5)


def test_the_analytic_information_is_the_derivative_of_the_score(strong_councils):
    terms = {"x1": "x1", "x2": "x2"}
    counts = binomial_counts(strong_councils, "y", terms, "ons_code", None)
    groups, names = pd.factorize(counts["ons_code"], sort=True)
    problem = _Councils(with_intercept(numeric_matrix(counts, terms)), counts["_s"].to_numpy(float),
                        counts["_t"].to_numpy(float), groups, len(names), 15)
    params = np.array([0.5, 0.4, -0.2, math.log(0.5)])
    analytic = problem.information(params)
    np.testing.assert_allclose(analytic, _hessian_by_differences(problem, params), rtol=1e-5, atol=1e-4)
    assert np.all(np.linalg.eigvalsh(analytic) > 0)


def test_each_councils_share_of_the_information_is_its_own_likelihoods_information(strong_councils):
    terms = {"x1": "x1", "x2": "x2"}
    counts = binomial_counts(strong_councils, "y", terms, "ons_code", None)
    groups, names = pd.factorize(counts["ons_code"], sort=True)
    X, s, t = with_intercept(numeric_matrix(counts, terms)), counts["_s"].to_numpy(float), counts["_t"].to_numpy(float)
    problem = _Councils(X, s, t, groups, len(names), 15)
    params = np.array([0.5, 0.4, -0.2, math.log(0.5)])
    total = problem.information(params)
    shares = problem.council_informations()
    np.testing.assert_allclose(shares.sum(axis=0), total, rtol=1e-10, atol=1e-10)
    for g in (0, 17, 59):  # a council alone: its own likelihood's information, from scratch
        rows = groups == g
        alone = _Councils(X[rows], s[rows], t[rows], np.zeros(rows.sum(), dtype=int), 1, 15)
        np.testing.assert_allclose(shares[g], alone.information(params), rtol=1e-8, atol=1e-10)


def test_mixed_intervals_use_cr2_errors_and_per_term_degrees_of_freedom(strong_councils):
    from scipy import stats

    result = fit_outcome_model(strong_councils, "mixed", outcome="y", predictors=["x1", "x2"])
    df = result.details["df"]
    assert set(df) == set(result.table["term"]) and all(1 <= v <= result.clusters - 1 for v in df.values())
    row = result.term("x1")
    assert row["ci_high"] - row["estimate"] == pytest.approx(stats.t(df["x1"]).ppf(0.975) * row["std_error"])
    # CR2 removes the shrinkage of each council's residuals towards its own fit: at least the G/(G-1) sandwich's
    # size for the council-level slope
    assert row["std_error"] >= 0.99 * result.details["std_error_cr1"]["x1"]


def test_mixed_gives_council_robust_errors_with_the_model_based_ones_beside_them(strong_councils):
    result = fit_outcome_model(strong_councils, "mixed", outcome="y", predictors=["x1", "x2"])
    model = result.table["std_error_model"].to_numpy()
    # the model is right here, so the sandwich and the information agree to sampling error
    np.testing.assert_allclose(result.table["std_error"].to_numpy(), model, rtol=0.35)
    assert result.details["std_error_model"]["x1"] == pytest.approx(model[1])
    assert result.details["std_error_robust"]["x1"] == pytest.approx(result.term("x1")["std_error"])


def test_the_sandwich_widens_what_council_year_variation_the_model_lacks_makes_uncertain():
    # council-year shocks (SD 0.5) beside the council intercept: the information ignores them
    rng = np.random.default_rng(8)
    data = synthetic_enquiries(n_councils=50, per_council_year=400, council_sd=0.3, seed=9)
    shock = {key: rng.normal(0, 0.5) for key in data.groupby(["ons_code", "financial_year"]).groups}
    keys = list(zip(data["ons_code"], data["financial_year"], strict=True))
    logit = 0.5 + 0.4 * data["x1"] - 0.2 * data["x2"] + np.array([shock[k] for k in keys])
    data["y"] = (rng.random(len(data)) < 1 / (1 + np.exp(-logit))).astype(int)
    result = fit_outcome_model(data, "mixed", outcome="y", predictors=["x1", "x2"])
    assert result.term("x1")["std_error"] > 1.5 * result.term("x1")["std_error_model"]


@pytest.mark.long
def test_mixed_intervals_cover_in_a_small_simulation_study():
    """40 datasets with a council random intercept: the 95% intervals of both slopes cover about 95% of the time.

    With 40 replications a method covering 0.95 of the time covers at least 34 with probability 0.99;
    one covering 0.6 does so with probability below 0.001.
    """
    covered = {"x1": 0, "x2": 0}
    for seed in range(40):
        data = synthetic_enquiries(n_councils=40, per_council_year=30, council_sd=0.5, seed=100 + seed)
        result = fit_outcome_model(data, "mixed", outcome="y", predictors=["x1", "x2"])
        for term, true in {"x1": 0.4, "x2": -0.2}.items():
            row = result.term(term)
            covered[term] += row["ci_low"] <= true <= row["ci_high"]
    assert min(covered.values()) >= 34, covered


def test_mixed_icc_is_near_the_simulators_council_variance(recovery):
    one_wave = recovery["linked"].matched_data.query("financial_year == '2021-22'")
    result = fit_outcome_model(one_wave, "mixed", predictors={t: f"z_{t}" for t in CULTURE_TERMS})
    sd = recovery["truth"]["council_random_effect_sd"]
    implied = sd**2 / (sd**2 + LOGISTIC_VARIANCE)  # 0.0186 for sd 0.25
    assert 0.3 * implied < result.details["icc"] < 3 * implied
    assert len(result.details["council_estimates"]) == result.clusters
