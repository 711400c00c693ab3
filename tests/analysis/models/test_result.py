"""Tests for msp_analysis.analysis.models.result: the tidy table and its JSON, for every binary method."""

import json

import numpy as np
import pytest

from msp_analysis.analysis.models import METHODS
from msp_analysis.analysis.models.fit import fit_outcome_model
from msp_analysis.analysis.models.result import JSON_TERM_KEYS, TABLE_COLUMNS, ModelResult, tidy_table

BINARY_METHODS = [name for name, spec in METHODS.items() if spec.outcome == "binary"]


def test_the_binary_methods_are_the_three_record_level_logits():
    assert BINARY_METHODS == ["glm_cluster", "gee", "mixed"]


@pytest.mark.parametrize("method", BINARY_METHODS)
def test_every_binary_method_returns_the_tidy_shape_and_json(records, method):
    result = fit_outcome_model(records, method, outcome="y", predictors=["x1", "x2"])
    assert [c for c in result.table.columns if c not in METHODS[method].table_extra] == TABLE_COLUMNS
    assert result.table["term"].tolist() == ["Intercept", "x1", "x2", "year[2022-23]"]
    assert (result.table["method"] == method).all()
    assert (result.table["n"] == len(records)).all() and (result.table["clusters"] == 60).all()
    payload = result.to_json_dict()
    assert set(payload) >= {"terms", "n", "clusters", "method"}
    assert payload["method"] == method and payload["n"] == len(records) and payload["clusters"] == 60
    for entry in payload["terms"]:
        assert set(JSON_TERM_KEYS) <= set(entry)
    if method in ("glm_cluster", "mixed"):  # the degrees of freedom each interval used, per term
        assert set(payload["df"]) == set(result.table["term"])
    json.dumps(payload)  # plain types only


def tiny_result(posterior=False, term_keys=JSON_TERM_KEYS):
    table = tidy_table(["Intercept", "x"], np.array([0.1, 0.5]), np.array([0.05, 0.2]), method="m", n=100,
                       clusters=10, caveat="", odds_ratios=True, df=None if posterior else 9, posterior=posterior)
    return ModelResult(table=table, method="m", n=100, clusters=10, caveat="", term_keys=term_keys)


def test_wald_intervals_use_t_with_the_given_degrees_of_freedom():
    from scipy import stats

    row = tiny_result().term("x")
    assert row["ci_high"] - row["estimate"] == pytest.approx(stats.t(9).ppf(0.975) * 0.2)
    assert row["p_value"] == pytest.approx(2 * stats.t(9).sf(2.5))
    assert row["odds_ratio"] == pytest.approx(np.exp(0.5))


def test_degrees_of_freedom_may_differ_per_term():
    from scipy import stats

    table = tidy_table(["Intercept", "x", "z"], np.array([0.1, 0.5, -0.3]), np.array([0.05, 0.2, 0.1]), method="m",
                       n=100, clusters=40, caveat="", odds_ratios=True, df=np.array([39.0, 12.5, 39.0]))
    half = (table["ci_high"] - table["estimate"]).to_numpy()
    np.testing.assert_allclose(half, stats.t([39.0, 12.5, 39.0]).ppf(0.975) * np.array([0.05, 0.2, 0.1]))
    assert table.loc[1, "p_value"] == pytest.approx(2 * stats.t(12.5).sf(2.5))
    assert half[1] / 0.2 > half[2] / 0.1  # fewer degrees of freedom, wider


def test_a_posterior_table_has_no_p_values_and_json_says_none():
    result = tiny_result(posterior=True, term_keys=(*JSON_TERM_KEYS, "posterior_sd"))
    assert result.table["p_value"].isna().all()
    entry = result.to_json_dict()["terms"][1]
    assert entry["p_value"] is None and entry["posterior_sd"] == pytest.approx(0.2)


def test_an_unknown_term_is_a_key_error_naming_the_terms():
    with pytest.raises(KeyError, match="terms: Intercept, x"):
        tiny_result().term("nope")
