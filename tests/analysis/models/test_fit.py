"""Tests for msp_analysis.analysis.models.fit: the entry point's checks and caveats, recovery of the
simulator's true effects through the whole pipeline, and the real la panel."""

import importlib.util
from pathlib import Path

import numpy as np
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
    assert [t["term"] for t in payload["terms"]] == ["Intercept", *CULTURE_TERMS]
    assert payload["method"] == method


@pytest.mark.parametrize("kwargs,message", [
    ({"outcome": "nope"}, "unknown outcome 'nope'"),
    ({"outcome": "achieved_level"}, "is ordinal; use method='ordinal'"),
])
def test_model_outcome_explains_a_bad_outcome(recovery, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model_outcome(recovery["clean_eval"], recovery["clean_tc"], **kwargs)


# --- fast version of the simulation study (benchmarks/model_recovery.py) --------------------------

FAST_REPLICATIONS = 6


def load_benchmark():
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "model_recovery.py"
    spec = importlib.util.spec_from_file_location("model_recovery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.long
def test_fast_recovery_study_covers_the_truth():
    """A few replications at small scale with wide bounds; the full study is the benchmark."""
    benchmark = load_benchmark()
    rows = benchmark.run(FAST_REPLICATIONS, scale=0.05, first_seed=1001)
    table = benchmark.summarise(rows)
    assert len(table) == 6 and (table["replications"] == FAST_REPLICATIONS).all()
    assert (table["coverage"] >= 0.6).all(), table
    assert (table["bias"].abs() < 0.1).all(), table
    assert 0.6 <= benchmark.worst_coverage(table) <= 1.0


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
