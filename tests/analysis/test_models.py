"""Tests for msp_analysis.analysis.models: each method on small synthetic data with a known answer, recovery of
the simulator's true effects through the whole pipeline, the prediction check, and the real la panel."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from msp_analysis.analysis.link import load_real_la_measures, outcome_counts
from msp_analysis.analysis.models import (
    CULTURE_TERMS,
    JSON_TERM_KEYS,
    LOGISTIC_VARIANCE,
    TABLE_COLUMNS,
    default_method,
    fit_outcome_model,
    model_frame_outcome,
    model_la_panel,
    model_outcome,
    prediction_check,
    resolve_measure,
)

YEARS = ("2021-22", "2022-23")


def synthetic_enquiries(n_councils=60, per_council_year=60, effects=(0.4, -0.2), intercept=0.5, council_sd=0.3,
                        seed=0, record_level_x=False):
    """0/1 outcomes from a logit with two council × year predictors and a council random intercept."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_councils):
        u = rng.normal(0, council_sd)
        for year in YEARS:
            x1, x2 = rng.normal(size=2)
            n = per_council_year
            x = np.column_stack([np.full(n, x1), rng.normal(size=n) if record_level_x else np.full(n, x2)])
            logit = intercept + x @ np.array(effects) + u
            y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
            rows.append(pd.DataFrame({"ons_code": f"C{c:03d}", "financial_year": year, "x1": x[:, 0],
                                      "x2": x[:, 1], "y": y}))
    return pd.concat(rows, ignore_index=True)


def synthetic_ordinal(n_councils=50, per_council=100, beta=0.6, beta_low_cut=None, seed=2):
    """Three ordered levels (0 < 1 < 2) from one council-level predictor `x` (true slope `beta`).

    By default a latent logistic cut at -1.5 and -0.5, so odds are proportional. With
    `beta_low_cut` each cut has its own logit, log-odds(Y >= 1) = 2 + beta_low_cut * x and
    log-odds(Y = 2) = -0.5 + beta * x, which breaks proportional odds.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_councils):
        x, u = rng.normal(), rng.normal(0, 0.2)
        if beta_low_cut is None:
            latent = beta * x + u + rng.logistic(size=per_council)
            level = np.where(latent > -0.5, 2, np.where(latent > -1.5, 1, 0))
        else:
            draw = rng.random(per_council)
            top = 1 / (1 + np.exp(-(-0.5 + beta * x + u)))
            not_bottom = max(top, 1 / (1 + np.exp(-(2.0 + beta_low_cut * x + u))))
            level = np.where(draw < top, 2, np.where(draw < not_bottom, 1, 0))
        rows.append(pd.DataFrame({"ons_code": f"C{c:03d}", "financial_year": "2022-23", "x": x, "level": level}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def records():
    return synthetic_enquiries()


# --- glm_cluster ------------------------------------------------------------------------------


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
    ours = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    g = 60
    np.testing.assert_allclose(ours.table["estimate"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(ours.table["std_error"], reference.bse * math.sqrt(g / (g - 1)), rtol=1e-6)


def test_glm_cluster_recovers_known_effects(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1", "x2"])
    for term, true in {"x1": 0.4, "x2": -0.2}.items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"]
        assert row["odds_ratio"] == pytest.approx(math.exp(row["estimate"]))


# --- gee --------------------------------------------------------------------------------------


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


def test_gee_is_the_default_with_fewer_than_40_councils():
    assert default_method(39) == "gee" and default_method(40) == "glm_cluster"
    few = synthetic_enquiries(n_councils=20, seed=3)
    result = fit_outcome_model(few, outcome="y", predictors=["x1", "x2"])
    assert result.method == "gee" and result.clusters == 20
    assert "Only 20 councils (fewer than 40)" in result.caveat
    assert "bias-reduced" in result.caveat
    assert fit_outcome_model(synthetic_enquiries(n_councils=45), outcome="y", predictors=["x1"]).method == "glm_cluster"


# --- caveats and the tidy result ----------------------------------------------------------------


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


def test_terms_can_be_named_apart_from_their_columns(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors={"supervision": "x1"})
    assert result.table["term"].tolist() == ["Intercept", "supervision"]


@pytest.mark.parametrize("method", ["glm_cluster", "gee", "mixed"])
def test_every_binary_method_returns_the_tidy_shape_and_json(records, method):
    result = fit_outcome_model(records, method, outcome="y", predictors=["x1", "x2"])
    assert [c for c in result.table.columns if c != "std_error_robust"] == TABLE_COLUMNS
    assert result.table["term"].tolist() == ["Intercept", "x1", "x2"]
    assert (result.table["method"] == method).all()
    assert (result.table["n"] == len(records)).all() and (result.table["clusters"] == 60).all()
    payload = result.to_json_dict()
    assert set(payload) >= {"terms", "n", "clusters", "method"}
    assert payload["method"] == method and payload["n"] == len(records) and payload["clusters"] == 60
    for entry in payload["terms"]:
        assert set(JSON_TERM_KEYS) <= set(entry)
    import json
    json.dumps(payload)  # plain types only


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


# --- ordinal ------------------------------------------------------------------------------------


def test_ordinal_recovers_the_slope_and_passes_the_check_when_odds_are_proportional():
    data = synthetic_ordinal()
    result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x"])
    assert result.table["term"].tolist() == ["x"]
    row = result.term("x")
    assert row["ci_low"] <= 0.6 <= row["ci_high"]
    check = result.details["proportional_odds"]
    assert list(check.columns) == ["term", "ordinal_estimate", "cut_1_estimate", "cut_1_std_error", "cut_2_estimate",
                                   "cut_2_std_error", "difference", "difference_std_error", "p_value"]
    assert result.details["proportional_odds_test"]["p_value"] > 0.05
    assert list(result.details["thresholds"]) == ["0|1", "1|2"]


def test_ordinal_check_flags_different_slopes_at_the_two_cuts():
    data = synthetic_ordinal(beta_low_cut=0.0, per_council=200)
    result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x"])
    check = result.details["proportional_odds"].set_index("term")
    assert check.loc["x", "cut_2_estimate"] == pytest.approx(0.6, abs=0.2)
    assert check.loc["x", "cut_1_estimate"] == pytest.approx(0.0, abs=0.2)
    assert result.details["proportional_odds_test"]["p_value"] < 0.001


# --- mixed --------------------------------------------------------------------------------------


def test_mixed_gives_icc_and_shrunken_council_estimates():
    data = synthetic_enquiries(n_councils=60, per_council_year=60, council_sd=0.6, seed=5)
    result = fit_outcome_model(data, "mixed", outcome="y", predictors=["x1", "x2"])
    implied = 0.36 / (0.36 + LOGISTIC_VARIANCE)
    assert result.details["icc"] == pytest.approx(implied, abs=0.05)
    assert result.table["p_value"].isna().all()
    assert (result.table["posterior_sd"] == result.table["std_error"]).all()
    councils = result.details["council_estimates"]
    assert len(councils) == 60 and councils["n"].sum() == len(data)
    raw = np.log(councils["observed_rate"] / (1 - councils["observed_rate"]))
    # shrinkage: council estimates vary less than the raw council log-odds
    assert councils["shrunken_log_odds"].std() < raw.std()
    assert result.to_json_dict()["terms"][1]["posterior_sd"] > 0


# --- ols_panel ----------------------------------------------------------------------------------


def test_ols_panel_recovers_a_known_slope_with_year_effects():
    rng = np.random.default_rng(7)
    years = ["2017-18", "2018-19", "2019-20", "2021-22", "2022-23"]
    rows = []
    for c in range(80):
        council = rng.normal(0, 2)
        for k, year in enumerate(years):
            turnover = 28 + 5 * rng.normal()  # unrelated to the council effect: no confounding
            rows.append({"ons_code": f"C{c:03d}", "financial_year": year, "turnover": turnover,
                         "feel_safe": 60 + 0.5 * turnover + 1.5 * k + council + rng.normal(0, 1)})
    result = fit_outcome_model(pd.DataFrame(rows), "ols_panel", outcome="feel_safe", predictors=["turnover"])
    row = result.term("turnover")
    assert row["ci_low"] <= 0.5 <= row["ci_high"] and row["estimate"] == pytest.approx(0.5, abs=0.05)
    assert result.table["term"].tolist() == ["Intercept", "turnover"] + [f"year[{y}]" for y in years[1:]]
    assert result.term("year[2022-23]")["estimate"] == pytest.approx(6.0, abs=0.5)
    assert result.table["odds_ratio"].isna().all()
    assert result.n == 400 and result.clusters == 80
    assert "council averages" in result.caveat


def test_measure_names_of_the_cli_resolve():
    assert resolve_measure("4A") == "feel_safe" and resolve_measure("turnover") == "workforce_turnover"
    with pytest.raises(ValueError, match="unknown measure"):
        resolve_measure("9Z")


# --- recovery of the simulator's truth through the whole pipeline -------------------------------

RECOVERY_SEED = 11
RECOVERY_SCALE = 0.3
TOLERANCE = 0.1  # about three standard errors at this scale


@pytest.fixture(scope="module")
def recovery():
    """simulate → clean → score → link, at a scale that keeps the module fast (~21,000 expressed S42 enquiries)."""
    from msp_analysis.analysis.simulate import simulate
    from msp_analysis.clean.evaluation import clean_evaluation
    from msp_analysis.clean.temperature_check import clean_temperature_check

    sim = simulate(RECOVERY_SEED, scale=RECOVERY_SCALE)
    clean_eval = clean_evaluation(sim.evaluation, source="simulated.csv").clean
    clean_tc = clean_temperature_check(sim.temperature_check, source="returns.csv").clean
    linked = model_frame_outcome(clean_eval, clean_tc)
    return {"truth": sim.truth, "clean_eval": clean_eval, "clean_tc": clean_tc, "linked": linked}


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


def test_ordinal_runs_on_the_simulation_and_shows_the_partial_cut_is_flatter(recovery):
    result = model_outcome(recovery["clean_eval"], recovery["clean_tc"], method="ordinal")
    assert result.table["term"].tolist() == list(CULTURE_TERMS)
    check = result.details["proportional_odds"].set_index("term")
    # The simulator draws "partially vs not" independently of culture, so only the top cut carries the
    # full effect: the cut-2 (fully achieved) slopes are the truth, the cut-1 slopes are smaller.
    for term, true in recovery["truth"]["effects"].items():
        assert check.loc[term, "cut_2_estimate"] == pytest.approx(true, abs=TOLERANCE)
        assert check.loc[term, "cut_1_estimate"] < check.loc[term, "cut_2_estimate"]


def test_mixed_icc_is_near_the_simulators_council_variance(recovery):
    one_wave = recovery["linked"].matched_data.query("financial_year == '2021-22'")
    result = fit_outcome_model(one_wave, "mixed", predictors={t: f"z_{t}" for t in CULTURE_TERMS})
    sd = recovery["truth"]["council_random_effect_sd"]
    implied = sd**2 / (sd**2 + LOGISTIC_VARIANCE)  # 0.0186 for sd 0.25
    assert 0.3 * implied < result.details["icc"] < 3 * implied
    assert len(result.details["council_estimates"]) == result.clusters


def test_prediction_check_finds_culture_helps_out_of_council(recovery):
    check = prediction_check(recovery["linked"], n_splits=5, n_repeats=2)
    summary = check["summary"].set_index("model")
    with_culture, without = summary.loc["with culture indicators"], summary.loc["without culture indicators"]
    assert with_culture["auc"] > without["auc"] + 0.05
    assert with_culture["brier"] < without["brier"]
    assert 0.45 < without["auc"] < 0.55  # the year alone predicts nothing here
    assert set(check["calibration"]["model"]) == set(summary.index)
    assert check["calibration"]["mean_predicted"].between(0, 1).all()
    assert check["permutation_importance"]["feature"].iloc[0] == "z_supervision"  # the largest true effect
    assert len(check["folds"]) == 10


# --- fast version of the simulation study (benchmarks/model_recovery.py) --------------------------

FAST_REPLICATIONS = 6


def load_benchmark():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "model_recovery.py"
    spec = importlib.util.spec_from_file_location("model_recovery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
