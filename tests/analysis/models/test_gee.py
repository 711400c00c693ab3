"""Tests for msp_analysis.analysis.models.gee: robust and bias-reduced errors, counts as well as records."""

import numpy as np

from msp_analysis.analysis.link import outcome_counts
from msp_analysis.analysis.models.fit import fit_outcome_model
from msp_analysis.analysis.models.result import TABLE_COLUMNS


def test_gee_reports_robust_and_bias_reduced_errors(records):
    result = fit_outcome_model(records, "gee", outcome="y", predictors=["x1", "x2"])
    assert list(result.table.columns) == TABLE_COLUMNS[:3] + ["std_error_robust"] + TABLE_COLUMNS[3:]
    # Mancl-DeRouen inflates the robust errors (leverage of each council is removed from its residuals)
    assert (result.table["std_error"] >= result.table["std_error_robust"]).all()
    assert 0 <= result.details["working_correlation"] < 0.2
    for term, true in {"x1": 0.4, "x2": -0.2}.items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"]


def test_gee_accepts_counts_as_well_as_records(records):
    counts = outcome_counts(records, "y", ["ons_code", "financial_year", "x1", "x2"])
    by_record = fit_outcome_model(records, "gee", outcome="y", predictors=["x1", "x2"])
    by_count = fit_outcome_model(counts, "gee", outcome="y", predictors=["x1", "x2"], trials="trials")
    np.testing.assert_allclose(by_count.table["estimate"], by_record.table["estimate"], rtol=1e-6)
    np.testing.assert_allclose(by_count.table["std_error"], by_record.table["std_error"], rtol=1e-6)


# --- a fit that cannot be returned is refitted, never returned as NaN ------------------------------

from types import SimpleNamespace  # noqa: E402

from msp_analysis.analysis.models.gee import _problem  # noqa: E402


def _fake(params=(0.1, 0.2), rho=0.01, converged=True):
    cov = np.eye(len(params)) * 0.01
    return SimpleNamespace(params=np.array(params), cov_robust_bc=cov, converged=converged,
                           cov_struct=SimpleNamespace(dep_params=rho))


def test_a_gee_fit_with_non_finite_estimates_or_an_impossible_correlation_is_not_returned():
    groups = np.repeat(np.arange(3), [300, 10, 10])  # the largest council has 300 people
    assert _problem(_fake(), groups) == ""
    assert "non-finite" in _problem(_fake(params=(np.nan, 0.2)), groups)
    assert "below the -0.0033" in _problem(_fake(rho=-0.01), groups)  # -1/(300-1)
    assert _problem(_fake(converged=False), groups) == "did not converge"
    assert "no bias-reduced covariance" in _problem(None, groups)


# --- the bias-reduced covariance in O(n p^2) is statsmodels' own -----------------------------------


def test_bias_reduced_covariance_equals_statsmodels_dense_computation():
    import statsmodels.api as sm

    from msp_analysis.analysis.models.gee import bias_reduced_cov

    rng = np.random.default_rng(7)
    sizes = rng.integers(3, 60, size=25)  # unequal councils, as in England
    groups = np.repeat(np.arange(len(sizes)), sizes)
    X = np.column_stack([np.ones(len(groups)), rng.normal(size=len(groups)), rng.normal(size=len(sizes))[groups]])
    latent = X @ [0.2, 0.5, -0.3] + rng.normal(scale=0.6, size=len(sizes))[groups]
    y = (rng.random(len(groups)) < 1 / (1 + np.exp(-latent))).astype(float)
    for structure in (sm.cov_struct.Exchangeable, sm.cov_struct.Independence):
        model = sm.GEE(y, X, groups=groups, family=sm.families.Binomial(), cov_struct=structure())
        dense = model.fit(cov_type="bias_reduced")
        fast = bias_reduced_cov(model, np.asarray(dense.cov_naive))
        np.testing.assert_allclose(fast, dense.cov_robust_bc, rtol=1e-9, atol=1e-14)
