"""Tests for msp_analysis.analysis.models.glm_cluster: counts and records agree, CR1 errors match statsmodels."""

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
    np.testing.assert_allclose(ours.table["std_error"], reference.bse * math.sqrt(g / (g - 1)), rtol=1e-6)


def test_glm_cluster_recovers_known_effects(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    for term, true in {"x1": 0.4, "x2": -0.2}.items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"]
        assert row["odds_ratio"] == pytest.approx(math.exp(row["estimate"]))
