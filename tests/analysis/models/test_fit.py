"""Tests for msp_analysis.analysis.models.fit: the entry point's checks and caveats, recovery of the
simulator's true effects through the whole pipeline, and the real la panel."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.link import load_real_la_measures
from msp_analysis.analysis.models import CULTURE_TERMS, FEW_CLUSTERS
from msp_analysis.analysis.models.fit import (
    default_method,
    fit_outcome_model,
    model_la_panel,
    model_outcome,
    resolve_measure,
)
from tests.analysis.models.synthetic import synthetic_enquiries

# --- the default method and the caveats ---------------------------------------------------------


def test_gee_is_the_default_with_fewer_than_40_councils():
    assert FEW_CLUSTERS == 40
    assert default_method(39) == "gee" and default_method(40) == "glm_cluster"
    few = synthetic_enquiries(n_councils=20, seed=3)
    result = fit_outcome_model(few, outcome="y", predictors=["x1", "x2"])
    assert result.method == "gee" and result.clusters == 20
    assert "Only 20 councils (fewer than 40)" in result.caveat
    assert "bias-reduced" in result.caveat
    assert fit_outcome_model(synthetic_enquiries(n_councils=45), outcome="y", predictors=["x1"]).method == "glm_cluster"


def test_council_level_predictors_carry_the_ecological_caveat(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    assert "ecological inference" in result.caveat
    assert result.details["council_level_terms"] == ["x1", "x2"]
    assert (result.table["caveat"] == result.caveat).all()


def test_person_level_predictors_with_many_councils_carry_no_caveat():
    data = synthetic_enquiries(record_level_x=True, seed=4)
    result = fit_outcome_model(data, "glm_cluster", outcome="y", predictors=["x2"])
    assert result.caveat == ""


def test_rows_with_missing_values_are_counted_in_the_caveat(records):
    data = records.copy()
    data.loc[:9, "x1"] = np.nan
    result = fit_outcome_model(data, "glm_cluster", outcome="y", predictors=["x1"])
    assert result.n == len(records) - 10
    assert "10 rows with a missing outcome, predictor or council were left out" in result.caveat


@pytest.mark.parametrize("kwargs,error,message", [
    ({"method": "probit"}, ValueError, "unknown method"),
    ({"outcome": "x1"}, ValueError, "must be 0/1"),
    ({"predictors": ["nope"]}, ValueError, "lack column"),
    ({"predictors": []}, ValueError, "no predictors"),
    ({"method": "ordinal", "trials": "y"}, ValueError, "not counts"),
    ({"method": "gee", "seed": 1}, TypeError, "takes no argument"),
])
def test_bad_requests_are_explained(records, kwargs, error, message):
    arguments = {"outcome": "y", "predictors": ["x1"], **kwargs}
    with pytest.raises(error, match=message):
        fit_outcome_model(records, **arguments)


def test_measure_names_of_the_cli_resolve():
    assert resolve_measure("4A") == "feel_safe" and resolve_measure("turnover") == "workforce_turnover"
    with pytest.raises(ValueError, match="unknown measure"):
        resolve_measure("9Z")


# --- recovery of the simulator's truth through the whole pipeline -------------------------------

TOLERANCE = 0.1  # about three standard errors at the scale of the recovery fixture


def test_every_simulated_enquiry_finds_its_council_score(recovery):
    assert recovery["linked"].unmatched.empty
    assert recovery["linked"].data["matched"].all()


@pytest.mark.parametrize("method", ["glm_cluster", "gee"])
def test_true_effects_lie_in_the_95_percent_intervals(recovery, method):
    result = model_outcome(recovery["clean_eval"], recovery["clean_tc"], method=method)
    assert result.clusters >= 150 and result.n == len(recovery["linked"].data)
    for term, true in recovery["truth"]["effects"].items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"], (method, term, row["estimate"], true)
        assert row["estimate"] == pytest.approx(true, abs=TOLERANCE)
    payload = result.to_json_dict()
    assert [t["term"] for t in payload["terms"]] == ["Intercept", *CULTURE_TERMS, "year[2022-23]", "year[2023-24]"]
    assert payload["method"] == method
    assert set(result.details["predicted"]["term"]) == set(CULTURE_TERMS)
    without = model_outcome(recovery["clean_eval"], recovery["clean_tc"], method=method, predicted=False)
    assert "predicted" not in without.details and "predicted_probabilities" not in without.to_json_dict()
    pd.testing.assert_frame_equal(without.table, result.table)


@pytest.mark.parametrize("kwargs,message", [
    ({"outcome": "nope"}, "unknown outcome 'nope'"),
    ({"outcome": "achieved_level"}, "is ordinal; use method='ordinal'"),
])
def test_model_outcome_explains_a_bad_outcome(recovery, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model_outcome(recovery["clean_eval"], recovery["clean_tc"], **kwargs)


# --- fast version of the simulation study (benchmarks/model_recovery.py) --------------------------

FAST_REPLICATIONS = 40
FAST_MIN_COVERED = 34  # of 40: P(fewer | coverage 0.95) = 0.01, P(as many | coverage 0.6) < 0.001


def load_benchmark():
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "model_recovery.py"
    spec = importlib.util.spec_from_file_location("model_recovery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.long
@pytest.mark.parametrize("method", ["glm_cluster", "gee"])
def test_fast_recovery_study_tells_good_coverage_from_poor(method):
    """40 synthetic datasets (40 councils, council random intercept): each 95% interval covers the
    population-averaged truth at least 34 times. The truth of a random-intercept logit's slopes,
    averaged over councils, is the conditional slope shrunk by 1/sqrt(1 + 0.346 sd^2)."""
    shrink = 1 / math.sqrt(1 + 0.346 * 0.5**2)
    covered = {"x1": 0, "x2": 0}
    for seed in range(FAST_REPLICATIONS):
        data = synthetic_enquiries(n_councils=40, per_council_year=30, council_sd=0.5, seed=200 + seed)
        result = fit_outcome_model(data, method, outcome="y", predictors=["x1", "x2"])
        for term, true in {"x1": 0.4 * shrink, "x2": -0.2 * shrink}.items():
            row = result.term(term)
            covered[term] += row["ci_low"] <= true <= row["ci_high"]
    assert min(covered.values()) >= FAST_MIN_COVERED, covered


@pytest.mark.long
def test_the_recovery_benchmark_runs_and_summarises_every_analysis():
    benchmark = load_benchmark()
    rows = benchmark.run(1, scenario="confounded-null", scale=0.02, first_seed=3, ordinal=True)
    table = benchmark.summarise(rows)
    assert set(table["analysis"]) == {"unadjusted", "adjusted", "within_between", "ordinal"}
    # CR1 beside CR2 for the plain logit, the sandwich beside the information for the mixed model
    assert table.loc[table["method"] == "glm_cluster", "coverage_cr1"].notna().all()
    assert table.loc[table["method"] == "mixed", ["coverage_robust", "coverage_model"]].notna().all().all()
    assert "po_test" in set(table["term"]) and "supervision|fully" in set(table["term"])
    assert set(benchmark.timings(rows)["method"]) >= {"glm_cluster", "gee", "mixed", "ordinal"}
    assert set(table.loc[table["analysis"] == "within_between", "method"]) == {"glm_cluster", "gee", "mixed"}
    # the confounded null: the correct analyses' targets are zero, the unadjusted one's is not
    assert (table.loc[table["analysis"] == "adjusted", "target"].abs() < 0.02).all()
    assert table.loc[table["analysis"] == "unadjusted", "target"].sum() > 0.05
    assert table["coverage"].dropna().between(0, 1).all() and table["seconds"].gt(0).all()


def test_the_benchmark_says_how_often_exact_coverage_falls_outside_its_bounds():
    """With coverage exactly 0.95, an observed coverage over R replications is binomial: the chance it
    leaves [0.92, 0.98] (counted here by summing the binomial terms outside) shrinks with R."""
    benchmark = load_benchmark()
    for replications in (40, 200, 240, 459):
        terms = [math.comb(replications, k) * 0.95**k * 0.05 ** (replications - k) for k in range(replications + 1)]
        outside = sum(t for k, t in enumerate(terms) if not 0.92 <= k / replications <= 0.98)
        assert benchmark.chance_outside(replications) == pytest.approx(outside, rel=1e-9)
    assert benchmark.chance_outside(459) < benchmark.chance_outside(240) < benchmark.chance_outside(200) < 0.05


# --- real data -------------------------------------------------------------------------------------

REAL_PANEL_N = 602          # council-years 2017-18..2022-23 with both ASCOF 4A and Oflog turnover
REAL_PANEL_CLUSTERS = 155


@pytest.mark.real_data
def test_real_la_panel_feel_safe_on_turnover(real_data_dir, record_property):
    for name in ("ascof_trend_2017_2024/trend_data.csv", "oflog_asc_la/ASC_data.csv"):
        if not (real_data_dir / name).is_file():
            pytest.fail(f"{real_data_dir / name} is missing from MSP_REAL_DATA; see DATA.md §5")
    result = model_la_panel(load_real_la_measures(real_data_dir), outcome="4A", indicator="turnover")
    row = result.term("workforce_turnover")
    record_property("la_panel", f"estimate {row['estimate']:.4f} se {row['std_error']:.4f} n {result.n} "
                                f"clusters {result.clusters}")
    assert result.method == "ols_panel"
    assert (result.n, result.clusters) == (REAL_PANEL_N, REAL_PANEL_CLUSTERS)
    assert result.details["years"] == ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"]
    assert row["estimate"] > 0  # higher turnover goes with slightly more people feeling safe (between councils)
    assert row["estimate"] == pytest.approx(0.142, abs=0.005)
    assert row["p_value"] < 0.01


@pytest.mark.real_data
def test_real_la_panel_with_council_fixed_effects_is_the_within_council_slope(real_data_dir):
    measures = load_real_la_measures(real_data_dir)
    pooled = model_la_panel(measures, outcome="4A", indicator="turnover").term("workforce_turnover")
    within = model_la_panel(measures, outcome="4A", indicator="turnover", council_effects=True)
    row = within.term("workforce_turnover")
    assert within.details["council_effects"] and (within.n, within.clusters) == (REAL_PANEL_N, REAL_PANEL_CLUSTERS)
    assert row["estimate"] == pytest.approx(0.092, abs=0.005) and row["std_error"] == pytest.approx(0.055, abs=0.005)
    assert row["estimate"] < pooled["estimate"] and row["ci_low"] < 0 < row["ci_high"]
