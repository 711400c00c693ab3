"""Tests for msp_analysis.analysis.power: the design-effect approximation agrees with simulation,
power behaves as it must (councils, odds ratio, ICC, null), the batched fit is statsmodels'
fit, and bad inputs are refused with messages that name the input."""

import itertools
import json
import math
import time
from itertools import pairwise

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import special, stats

from msp_analysis.analysis.power import (
    NATIONAL_FULLY_ACHIEVED,
    council_intercept_sd,
    design_effect,
    fit_clustered_glm,
    marginal_intercept,
    power_design_effect,
    power_json,
    power_simulation,
    proportion_scale_icc,
    simulate_design,
)

GRID = list(itertools.product([20, 40], [50, 200], [0.02, 0.05], [1.2, 1.4]))
AGREEMENT_REPLICATIONS = 4000  # Monte Carlo SE <= 0.8 points, so a 5-point gap is a real gap


# ------------------------------------------------------------------ approximation vs simulation


@pytest.mark.parametrize("standard_errors", ["bias_reduced", "cluster"])
def test_design_effect_and_simulation_agree_within_5_points(standard_errors):
    gaps = {}
    for councils, enquiries, icc, odds_ratio in GRID:
        approx = power_design_effect(councils, enquiries, icc, odds_ratio, standard_errors=standard_errors)
        simulated = power_simulation(councils, enquiries, icc, odds_ratio, replications=AGREEMENT_REPLICATIONS,
                                     seed=11, standard_errors=standard_errors)
        gaps[(councils, enquiries, icc, odds_ratio)] = (approx, simulated, approx - simulated)
    worst = max(gaps.items(), key=lambda item: abs(item[1][2]))
    assert abs(worst[1][2]) < 0.05, f"worst disagreement {worst}"


def test_textbook_formula_without_few_council_correction_overstates_power():
    """Why power_design_effect models the clustered variance estimate: the plain formula
    (S = N - 1, t with N - 2 df) is more than 5 points too optimistic with 20 councils."""
    councils, enquiries, icc, odds_ratio = 20, 200, 0.02, 1.2
    slope = math.log(odds_ratio) / math.sqrt(1 + 0.346 * council_intercept_sd(icc) ** 2)
    information = enquiries * 0.68 * 0.32 * (councils - 1) / design_effect(enquiries, icc)
    critical = stats.t.ppf(0.975, councils - 2)
    textbook = stats.nct.sf(critical, councils - 2, slope * math.sqrt(information))
    simulated = power_simulation(councils, enquiries, icc, odds_ratio, replications=AGREEMENT_REPLICATIONS, seed=3)
    assert textbook - simulated > 0.05
    assert abs(power_design_effect(councils, enquiries, icc, odds_ratio) - simulated) < 0.03


# ------------------------------------------------------------------ how power must behave


@pytest.mark.parametrize("method", ["design_effect", "simulation"])
def test_power_rises_with_councils(method):
    values = [_power(method, councils, 100, 0.03, 1.25) for councils in (10, 20, 40, 80)]
    assert all(later > earlier for earlier, later in pairwise(values)), values


@pytest.mark.parametrize("method", ["design_effect", "simulation"])
def test_power_rises_with_odds_ratio(method):
    values = [_power(method, 30, 100, 0.03, odds_ratio) for odds_ratio in (1.1, 1.2, 1.3, 1.5)]
    assert all(later > earlier for earlier, later in pairwise(values)), values


@pytest.mark.parametrize("method", ["design_effect", "simulation"])
def test_power_falls_as_icc_rises(method):
    values = [_power(method, 30, 100, icc, 1.3) for icc in (0.0, 0.02, 0.05, 0.1, 0.2)]
    assert all(later < earlier for earlier, later in pairwise(values)), values


def test_power_rises_with_enquiries_but_levels_off():
    values = [power_design_effect(30, m, 0.05, 1.3) for m in (10, 50, 200, 1000, 5000)]
    assert all(later > earlier for earlier, later in pairwise(values))
    assert values[-1] - values[-2] < 0.01  # beyond a few hundred per council, add councils, not enquiries


@pytest.mark.parametrize("councils", [20, 40])
def test_power_is_alpha_when_there_is_no_effect(councils):
    simulated = power_simulation(councils, 100, 0.05, 1.0, replications=8000, seed=5)
    assert simulated == pytest.approx(0.05, abs=0.01)  # Monte Carlo SE 0.0024
    assert power_design_effect(councils, 100, 0.05, 1.0) == pytest.approx(0.05, abs=0.015)
    assert power_simulation(councils, 100, 0.05, 1.0, alpha=0.10, replications=8000, seed=5) == pytest.approx(
        0.10, abs=0.015)


def test_cr1_clustered_errors_over_reject_with_few_councils():
    """The reason bias-reduced errors are the default: CR1 rejects a true null ~8% of the
    time with 20 councils, and the approximation predicts it."""
    simulated = power_simulation(20, 100, 0.05, 1.0, replications=8000, seed=5, standard_errors="cluster")
    assert 0.07 < simulated < 0.10
    assert power_design_effect(20, 100, 0.05, 1.0, standard_errors="cluster") == pytest.approx(simulated, abs=0.015)


def test_protective_and_harmful_effects_of_the_same_size_have_the_same_power():
    assert power_design_effect(30, 100, 0.03, 1.25) == pytest.approx(power_design_effect(30, 100, 0.03, 1 / 1.25))


def test_results_are_reproducible():
    assert power_design_effect(25, 80, 0.04, 1.3) == power_design_effect(25, 80, 0.04, 1.3)
    assert power_simulation(25, 80, 0.04, 1.3, seed=9) == power_simulation(25, 80, 0.04, 1.3, seed=9)


def test_tiny_designs_do_not_crash():
    assert 0.0 <= power_simulation(3, 1, 0.0, 1.5, replications=200) <= 1.0
    assert 0.0 <= power_design_effect(3, 1, 0.0, 1.5) <= 1.0
    assert power_design_effect(200, 1000, 0.01, 3.0) == pytest.approx(1.0)


# ------------------------------------------------------------------ scales and the simulated design


def test_latent_icc_round_trips_to_the_simulator_council_sd():
    sd = 0.25
    latent_icc = sd**2 / (sd**2 + math.pi**2 / 3)
    assert council_intercept_sd(latent_icc) == pytest.approx(sd)


def test_proportion_scale_icc_is_smaller_than_latent_and_matches_simulation():
    assert proportion_scale_icc(0.0) == 0.0
    assert 0 < proportion_scale_icc(0.05) < 0.05
    culture, successes = simulate_design(400, 2000, 0.05, 1.0, replications=20, seed=2)
    share = successes / 2000
    # between-council variance of the observed share, minus binomial noise, over p(1 - p)
    between = share.var(axis=1, ddof=1).mean() - (share * (1 - share)).mean() / 2000
    assert between / (0.68 * 0.32) == pytest.approx(proportion_scale_icc(0.05), rel=0.08)


def test_baseline_is_the_rate_averaged_over_councils():
    assert marginal_intercept(0.68, 0.0) == pytest.approx(special.logit(0.68))
    assert marginal_intercept(0.68, 0.1) > special.logit(0.68)  # averaging pulls the rate towards 0.5
    _, successes = simulate_design(1000, 500, 0.1, 1.0, replications=4, seed=1)
    assert successes.mean() / 500 == pytest.approx(NATIONAL_FULLY_ACHIEVED, abs=0.005)


def test_design_effect_uses_the_proportion_scale():
    assert design_effect(1, 0.2) == 1.0
    assert design_effect(200, 0.05) == pytest.approx(1 + 199 * proportion_scale_icc(0.05))
    assert design_effect(200, 0.05) < 1 + 199 * 0.05


# ------------------------------------------------------------------ the batched fit is statsmodels' fit


def test_batched_cr1_fit_equals_statsmodels_record_level_glm():
    culture, successes = simulate_design(12, 30, 0.05, 1.3, replications=3, seed=4)
    slope, std_error, converged = fit_clustered_glm(successes, 30, culture, "cluster")
    assert converged.all()
    for r in range(3):
        outcome = (np.arange(30)[None, :] < successes[r][:, None]).astype(float).ravel()
        fit = sm.GLM(outcome, sm.add_constant(np.repeat(culture[r], 30)), family=sm.families.Binomial()).fit(
            cov_type="cluster", cov_kwds={"groups": np.repeat(np.arange(12), 30)})
        assert slope[r] == pytest.approx(fit.params[1], abs=1e-8)
        assert std_error[r] == pytest.approx(fit.bse[1], rel=1e-8)


def test_batched_bias_reduced_fit_equals_statsmodels_gee_exchangeable():
    culture, successes = simulate_design(12, 30, 0.05, 1.3, replications=3, seed=4)
    slope, std_error, converged = fit_clustered_glm(successes, 30, culture, "bias_reduced")
    assert converged.all()
    for r in range(3):
        outcome = (np.arange(30)[None, :] < successes[r][:, None]).astype(float).ravel()
        fit = sm.GEE(outcome, sm.add_constant(np.repeat(culture[r], 30)), groups=np.repeat(np.arange(12), 30),
                     family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable()).fit(
            cov_type="bias_reduced")
        assert slope[r] == pytest.approx(fit.params[1], abs=1e-6)
        assert std_error[r] == pytest.approx(fit.bse[1], rel=1e-5)


@pytest.mark.parametrize("standard_errors,replications", [("cluster", 100), ("bias_reduced", 30)])
def test_numpy_and_statsmodels_engines_give_the_same_power(standard_errors, replications):
    kwargs = dict(replications=replications, seed=8, standard_errors=standard_errors)
    assert power_simulation(10, 20, 0.05, 1.4, engine="numpy", **kwargs) == power_simulation(
        10, 20, 0.05, 1.4, engine="statsmodels", **kwargs)


def test_simulation_of_500_replications_is_fast():
    start = time.perf_counter()
    power_simulation(30, 200, 0.05, 1.3, replications=500)
    assert time.perf_counter() - start < 2.0


# ------------------------------------------------------------------ CLI payload


def test_power_json_reports_the_design_effect_power():
    payload = power_json(30, 100, 0.02, 1.3)
    assert payload["power"] == power_design_effect(30, 100, 0.02, 1.3)
    assert payload["method"] == "design_effect"
    assert payload["icc_scale"] == "latent"
    assert "power_simulation" not in payload
    json.dumps(payload)


def test_power_json_adds_simulation_on_request():
    payload = power_json(30, 100, 0.02, 1.3, simulate=True, replications=300, seed=2)
    assert payload["power_simulation"] == power_simulation(30, 100, 0.02, 1.3, replications=300, seed=2)
    assert abs(payload["power_simulation"] - payload["power"]) < 0.06
    assert payload["replications"] == 300
    json.dumps(payload)


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "kwargs,named",
    [
        (dict(councils=2), "councils"),
        (dict(councils=1), "councils"),
        (dict(councils=20.5), "councils"),
        (dict(councils=True), "councils"),
        (dict(enquiries_per_council=0), "enquiries_per_council"),
        (dict(enquiries_per_council=2.5), "enquiries_per_council"),
        (dict(icc=-0.01), "icc"),
        (dict(icc=1.0), "icc"),
        (dict(icc=float("nan")), "icc"),
        (dict(odds_ratio=0.0), "odds_ratio"),
        (dict(odds_ratio=-1.2), "odds_ratio"),
        (dict(odds_ratio=float("inf")), "odds_ratio"),
        (dict(baseline=0.0), "baseline"),
        (dict(baseline=1.0), "baseline"),
        (dict(alpha=0.0), "alpha"),
        (dict(standard_errors="robust"), "standard_errors"),
    ],
)
@pytest.mark.parametrize("function", [power_design_effect, power_simulation, power_json])
def test_bad_inputs_are_refused_by_name(function, kwargs, named):
    arguments = dict(councils=20, enquiries_per_council=50, icc=0.02, odds_ratio=1.3) | kwargs
    with pytest.raises(ValueError, match=named):
        function(**arguments)


@pytest.mark.parametrize("kwargs,named", [(dict(replications=0), "replications"), (dict(engine="R"), "engine")])
def test_bad_simulation_settings_are_refused(kwargs, named):
    with pytest.raises(ValueError, match=named):
        power_simulation(20, 50, 0.02, 1.3, **kwargs)


def test_whole_number_floats_and_numpy_integers_are_accepted():
    assert power_design_effect(20.0, np.int64(50), 0.02, 1.3) == power_design_effect(20, 50, 0.02, 1.3)


def _power(method, councils, enquiries, icc, odds_ratio):
    if method == "design_effect":
        return power_design_effect(councils, enquiries, icc, odds_ratio)
    return power_simulation(councils, enquiries, icc, odds_ratio, replications=4000, seed=1)


# --- the design that is analysed: a region simulated by the simulator --------------------------


@pytest.mark.long
def test_region_power_simulates_the_regions_design_beside_the_formula():
    from msp_analysis.analysis.power import region_power

    result = region_power("North East", 9, 1.5, replications=10, seed=3, scale=0.5)
    assert result["region"] == "North East" and result["councils"] == 12 and result["waves"] == 3
    assert 6 <= result["respondents_per_council"] <= 12
    for key in ("power_three_indicators", "power_supervision_alone", "power_design_effect_formula"):
        assert 0 <= result[key] <= 1
    # three correlated indicators share the information supervision alone has to itself
    assert result["power_supervision_alone"] >= result["power_three_indicators"]


@pytest.mark.parametrize("kwargs,message", [
    ({"respondents_per_council": 2}, "at least 3"),
    ({"odds_ratio": -1}, "odds ratio must be positive"),
    ({"replications": 3}, "replications must be at least 10"),
])
def test_region_power_refuses_a_design_it_cannot_simulate(kwargs, message):
    from msp_analysis.analysis.power import region_power

    arguments = {"region": "North East", "respondents_per_council": 8, "odds_ratio": 1.3, **kwargs}
    with pytest.raises(ValueError, match=message):
        region_power(**arguments)
