"""Tests for msp_analysis.analysis.models.glm_cluster: counts and records agree, CR2 errors and their
Satterthwaite degrees of freedom (random-intercept and independence working models) match the dense matrix
definitions on the records, CR1 errors (kept in the details) match statsmodels."""

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


def test_glm_cluster_cr2_errors_are_the_working_model_ones_and_larger_than_cr1_with_few_unequal_councils():
    rng = np.random.default_rng(4)
    sizes = rng.integers(5, 60, 14)
    council = np.repeat(np.arange(14), sizes)
    x1 = rng.normal(size=14)[council]
    x2 = rng.normal(size=len(council))
    y = (rng.random(len(council)) < 1 / (1 + np.exp(-(0.3 + 0.5 * x1 - 0.4 * x2 + rng.normal(0, 0.4, 14)[council]))))
    frame = pd.DataFrame({"ons_code": [f"C{c:02d}" for c in council], "x1": x1, "x2": x2, "y": y.astype(int)})
    ours = fit_outcome_model(frame, "glm_cluster", outcome="y", predictors=["x1", "x2"], year_effects=False)
    X = np.column_stack([np.ones(len(frame)), x1, x2])
    cov, df, _ = _cr2_working_dense(X, y.astype(float), np.ones(len(y)), council, ours.table["estimate"].to_numpy(),
                                    ours.details["council_variance"])
    np.testing.assert_allclose(ours.table["std_error"], np.sqrt(np.diag(cov)), rtol=1e-8)
    np.testing.assert_allclose([ours.details["df"][t] for t in ours.table["term"]], np.minimum(df, 13), rtol=1e-8)
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


def _cr2_working_dense(X, successes, trials, groups, params, tau2):
    """CR2 under a council random-intercept working model and its Satterthwaite df, by the matrix definitions.

    On the whitened working model (A = W^(1/2) X, e = W^(-1/2)(y - mu), Phi_g = I + tau2 a_g a_g',
    a_g = W_g^(1/2) 1): A_g = Phi_g^(1/2) B_g^(-1/2) Phi_g^(1/2) with B_g = Phi_g^(1/2) [(I-H) Phi (I-H)']_gg Phi_g^(1/2),
    and the df of term j (tr C Phi)^2 / tr (C Phi C Phi), C = sum_g u_g u_g', u_g = (I-H)' p_g,
    p_g = A_g A_g M c_j: dense n x n matrices, nothing shared with the package's k x k computation.
    """
    from scipy.linalg import sqrtm

    p = 1 / (1 + np.exp(-X @ params))
    w = trials * p * (1 - p)
    A, e = X * np.sqrt(w)[:, None], (successes - trials * p) / np.sqrt(w)
    M = np.linalg.inv(A.T @ A)
    n = len(X)
    residual_maker = np.eye(n) - A @ M @ A.T
    Phi = np.zeros((n, n))
    councils = [groups == g for g in np.unique(groups)]
    for rows in councils:
        a = np.sqrt(w[rows])
        Phi[np.ix_(rows, rows)] = np.eye(rows.sum()) + tau2 * np.outer(a, a)
    expected = residual_maker @ Phi @ residual_maker.T
    adjust = np.zeros((n, n))
    for rows in councils:
        root = np.real(sqrtm(Phi[np.ix_(rows, rows)]))
        values, vectors = np.linalg.eigh(root @ expected[np.ix_(rows, rows)] @ root)
        adjust[np.ix_(rows, rows)] = root @ vectors @ np.diag(values ** -0.5) @ vectors.T @ root
    u = adjust @ e
    scores = np.array([A[rows].T @ u[rows] for rows in councils])
    cov = M @ scores.T @ scores @ M
    df = []
    for j in range(X.shape[1]):
        C = np.zeros((n, n))
        for rows in councils:
            p_g = np.zeros(n)
            p_g[rows] = adjust[np.ix_(rows, rows)] @ A[rows] @ M[:, j]
            C += np.outer(residual_maker.T @ p_g, residual_maker.T @ p_g)
        CP = C @ Phi
        df.append(np.trace(CP) ** 2 / np.trace(CP @ CP))
    return cov, np.array(df), M @ A.T @ Phi @ A @ M


def _tiny_clustered(seed=3, councils=9):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(councils), rng.integers(3, 15, councils))
    n = len(groups)
    X = np.column_stack([np.ones(n), rng.normal(size=councils)[groups], rng.normal(size=n), rng.random(n) < 0.4])
    trials = rng.integers(1, 4, n).astype(float)
    eta = 0.2 + 0.5 * X[:, 1] + rng.normal(0, 0.6, councils)[groups]
    successes = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    return X.astype(float), successes, trials, groups, councils


@pytest.mark.parametrize("working", ["independence", "random_intercept"])
def test_cr2_and_its_degrees_of_freedom_match_the_dense_matrix_definitions(working):
    from msp_analysis.analysis.models.glm_cluster import logit_cluster

    X, successes, trials, groups, councils = _tiny_clustered()
    fit = logit_cluster(X, successes, trials, groups, councils, working=working)
    assert (fit.council_variance > 0) == (working == "random_intercept")
    cov, df, _ = _cr2_working_dense(X, successes, trials, groups, fit.params, fit.council_variance)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fit.df, np.minimum(df, councils - 1), rtol=1e-9)
    assert (fit.df < councils - 1).all()


def _working_model(logit_cluster, X, successes, trials, groups, councils):
    """The fit and its working model as dense matrices: p, weights w, whitened design A, M = (A'A)^-1 and Phi,
    the whitened residuals' covariance under a council random intercept of the fit's council variance."""
    fit = logit_cluster(X, successes, trials, groups, councils)
    assert fit.council_variance > 0
    p = 1 / (1 + np.exp(-X @ fit.params))
    w = trials * p * (1 - p)
    A = X * np.sqrt(w)[:, None]
    M = np.linalg.inv(A.T @ A)
    Phi = np.eye(len(X))
    for g in range(councils):
        rows = groups == g
        Phi[np.ix_(rows, rows)] += fit.council_variance * np.outer(np.sqrt(w[rows]), np.sqrt(w[rows]))
    return fit, p, w, A, M, Phi


def test_the_council_variance_is_the_moment_estimate_that_matches_the_observed_council_totals():
    from msp_analysis.analysis.models.glm_cluster import logit_cluster

    X, successes, trials, groups, councils = _tiny_clustered(seed=6, councils=12)
    fit, p, w, A, M, Phi = _working_model(logit_cluster, X, successes, trials, groups, councils)
    n = len(X)
    residual_maker = np.eye(n) - A @ M @ A.T
    expected = residual_maker @ Phi @ residual_maker.T
    # sum over councils of E[(total residual)^2] under the working model = the observed sum of squares
    predicted = sum(np.sqrt(w[groups == g]) @ expected[np.ix_(groups == g, groups == g)] @ np.sqrt(w[groups == g])
                    for g in range(councils))
    observed = sum(((successes - trials * p)[groups == g].sum()) ** 2 for g in range(councils))
    assert predicted == pytest.approx(observed, rel=1e-9)


def test_cr2_under_the_working_model_is_unbiased_for_the_variance_it_assumes():
    """E[CR2] = M A' Phi A M exactly when the residuals have the working model's covariance.

    The adjusted council scores are linear in the whitened residuals, so the package's adjustment
    applied to each unit residual gives that linear map; its expectation under (I-H) Phi (I-H)' must be
    the variance the working model implies.
    """
    from msp_analysis.analysis.models.glm_cluster import council_sums, cr2_adjust, logit_cluster

    X, successes, trials, groups, councils = _tiny_clustered(seed=4, councils=10)
    fit, p, w, A, M, Phi = _working_model(logit_cluster, X, successes, trials, groups, councils)
    n, k = X.shape
    informations, _ = council_sums(X, w, np.zeros(n), groups, councils)
    linear = np.zeros((councils * k, n))  # stacked adjusted council scores per unit whitened residual
    for i in range(n):
        unit = np.zeros(n)
        unit[i] = np.sqrt(w[i])  # whitened residual e_i = 1, i.e. a raw residual of sqrt(w_i)
        scores = np.array([X[groups == g].T @ unit[groups == g] for g in range(councils)])
        linear[:, i] = cr2_adjust(informations, scores, M, fit.council_variance)[0].ravel()
    residual_maker = np.eye(n) - A @ M @ A.T
    moments = linear @ residual_maker @ Phi @ residual_maker.T @ linear.T
    expected = sum(M @ moments[g * k:(g + 1) * k, g * k:(g + 1) * k] @ M for g in range(councils))
    np.testing.assert_allclose(expected, M @ A.T @ Phi @ A @ M, rtol=1e-9, atol=1e-14)


def test_glm_cluster_intervals_use_the_per_term_degrees_of_freedom(records):
    from scipy import stats

    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    df = result.details["df"]
    assert set(df) == set(result.table["term"])
    assert all(1 <= value <= result.clusters - 1 for value in df.values())
    row = result.term("x1")
    quantile = stats.t(df["x1"]).ppf(0.975)
    assert row["ci_high"] - row["estimate"] == pytest.approx(quantile * row["std_error"], rel=1e-12)
    assert row["p_value"] == pytest.approx(2 * stats.t(df["x1"]).sf(abs(row["estimate"] / row["std_error"])))
    assert result.details["working_model"] == "council random intercept"


def test_unequal_council_sizes_with_a_council_level_residual_give_fewer_degrees_of_freedom():
    """A council-level slope whose variance the largest councils carry: fewer effective councils than G - 1."""
    from msp_analysis.analysis.models.glm_cluster import logit_cluster

    rng = np.random.default_rng(12)
    councils = 60
    sizes = np.where(np.arange(councils) < 6, 400, 20)  # six large councils, many small ones
    groups = np.repeat(np.arange(councils), sizes)
    x = rng.normal(size=councils)
    eta = 0.3 + 0.4 * x[groups] + rng.normal(0, 0.5, councils)[groups]
    y = (rng.random(len(groups)) < 1 / (1 + np.exp(-eta))).astype(float)
    X = np.column_stack([np.ones(len(groups)), x[groups]])
    random_intercept = logit_cluster(X, y, np.ones(len(y)), groups, councils)
    independence = logit_cluster(X, y, np.ones(len(y)), groups, councils, working="independence")
    assert random_intercept.council_variance > 0.1
    assert random_intercept.df[1] < 0.6 * independence.df[1]
    np.testing.assert_allclose(random_intercept.params, independence.params)
