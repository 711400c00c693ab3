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
