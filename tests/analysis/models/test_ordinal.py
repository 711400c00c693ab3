"""Tests for msp_analysis.analysis.models.ordinal: the slope, and the proportional-odds check both ways."""

import math

import pytest

from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.fit import fit_outcome_model, model_outcome
from tests.analysis.models.synthetic import synthetic_ordinal

TOLERANCE = 0.1  # about three standard errors at the scale of the recovery fixture


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


def test_an_ordinal_outcome_needs_three_levels(records):
    with pytest.raises(ValueError, match="three or more ordered levels"):
        fit_outcome_model(records, "ordinal", outcome="y", predictors=["x1"])


@pytest.mark.long  # whole simulated frames: in make test, not the quick lane
def test_ordinal_recovers_the_easy_scenarios_truth_where_proportional_odds_hold(recovery):
    # scenario easy draws the three levels from one latent logistic, so proportional odds hold: the
    # ordinal slopes and both cut-point slopes aim at the same (population-averaged) target
    result = model_outcome(recovery["clean_eval"], recovery["clean_tc"], method="ordinal")
    assert result.table["term"].tolist()[:3] == list(CULTURE_TERMS)
    check = result.details["proportional_odds"].set_index("term")
    targets = recovery["truth"]["targets"]["unadjusted"]["marginal"]
    for term, true in targets.items():
        row = result.term(term)
        assert row["ci_low"] <= true <= row["ci_high"], (term, row["estimate"], true)
        assert check.loc[term, "cut_1_estimate"] == pytest.approx(true, abs=TOLERANCE)
        assert check.loc[term, "cut_2_estimate"] == pytest.approx(true, abs=TOLERANCE)
    assert result.details["proportional_odds_test"]["p_value"] > 0.01


@pytest.mark.long  # whole simulated frames: in make test, not the quick lane
def test_ordinal_on_the_realistic_scenario_shows_the_partial_cut_is_flatter():
    # elsewhere "partially vs not" is drawn whatever the culture, so only the top cut carries the effect
    from msp_analysis.analysis.simulate import simulate
    from msp_analysis.clean.evaluation import clean_evaluation
    from msp_analysis.clean.temperature_check import clean_temperature_check

    sim = simulate(5, scale=0.1, scenario_name="realistic")
    result = model_outcome(clean_evaluation(sim.evaluation, source="e.csv").clean,
                           clean_temperature_check(sim.temperature_check, source="t.csv").clean, method="ordinal")
    check = result.details["proportional_odds"].set_index("term")
    assert check.loc["supervision", "cut_1_estimate"] < check.loc["supervision", "cut_2_estimate"]
    assert result.details["proportional_odds_test"]["p_value"] < 0.05


@pytest.mark.long
def test_ordinal_intervals_cover_in_a_small_simulation_study():
    """40 proportional-odds datasets (50 councils, council intercept SD 0.2): the slope's 95% interval covers
    the population-averaged truth at least 34 times (P(fewer | coverage 0.95) = 0.01; P(as many | 0.6) < 0.001),
    and the proportional-odds test rejects at 5% no more than 6 times (P(more | size 0.05) < 0.02)."""
    shrink = 1 / math.sqrt(1 + 0.346 * 0.2**2)
    covered = rejected = 0
    for seed in range(40):
        data = synthetic_ordinal(per_council=60, seed=300 + seed)
        result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x"])
        row = result.term("x")
        covered += row["ci_low"] <= 0.6 * shrink <= row["ci_high"]
        rejected += result.details["proportional_odds_test"]["p_value"] < 0.05
    assert covered >= 34 and rejected <= 6, (covered, rejected)


def _statsmodels_ordinal(data, predictors, gtol=None):
    """statsmodels' OrderedModel on the person rows with council-clustered errors (what fit_ordinal did before)."""
    import numpy as np
    import pandas as pd
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from msp_analysis.analysis.models.ordinal import _start_thresholds

    X, codes = data[predictors].to_numpy(float), data["level"].to_numpy()
    groups = pd.factorize(data["ons_code"], sort=True)[0]
    model = OrderedModel(codes, X, distr="logit")
    start = np.concatenate([np.zeros(X.shape[1]), _start_thresholds(codes, 3)])
    options = {} if gtol is None else {"gtol": gtol, "maxiter": 5000}
    result = model.fit(start_params=start, method="bfgs", disp=False, **{"maxiter": 500, **options},
                       cov_type="cluster", cov_kwds={"groups": groups})
    k = X.shape[1]
    return result.params[:k], result.bse[:k], model.transform_threshold_params(result.params)[1:-1]


@pytest.mark.filterwarnings("ignore:Maximum Likelihood optimization failed")  # the tight reference stops on precision
@pytest.mark.parametrize("kind", ["proportional", "not proportional"])
def test_ordinal_on_cells_is_statsmodels_ordered_model_on_the_people(kind):
    import numpy as np

    from msp_analysis.analysis.models.ordinal import proportional_odds_check

    data = synthetic_ordinal(**({} if kind == "proportional" else {"beta_low_cut": 0.0, "per_council": 120}))
    data["z"] = np.random.default_rng(1).integers(0, 3, len(data)).astype(float)  # a person-level predictor too
    result = fit_outcome_model(data, "ordinal", outcome="level", predictors=["x", "z"], year_effects=False)
    estimate, std_error = result.table["estimate"].to_numpy(), result.table["std_error"].to_numpy()
    thresholds = np.array(list(result.details["thresholds"].values()))
    # the maximum: statsmodels run to a tight gradient; the errors: its numerical derivatives' precision
    tight = _statsmodels_ordinal(data, ["x", "z"], gtol=1e-11)
    np.testing.assert_allclose(estimate, tight[0], atol=1e-8)
    np.testing.assert_allclose(thresholds, tight[2], atol=1e-8)
    np.testing.assert_allclose(std_error, tight[1], rtol=1e-5)
    # statsmodels as fit_ordinal called it (BFGS to its default gradient tolerance): as close as that stops
    default = _statsmodels_ordinal(data, ["x", "z"])
    np.testing.assert_allclose(estimate, default[0], atol=1e-4)
    np.testing.assert_allclose(std_error, default[1], rtol=1e-4)
    # the proportional-odds check from the cells is the one from the people
    groups = data["ons_code"].factorize(sort=True)[0]
    people = proportional_odds_check(data["level"].to_numpy(), data[["x", "z"]].to_numpy(float), groups,
                                     groups.max() + 1, ["x", "z"], estimate)
    assert result.details["proportional_odds_test"]["df"] == people["test"]["df"]
    assert result.details["proportional_odds_test"]["chi2"] == pytest.approx(people["test"]["chi2"], rel=1e-9)
    check = result.details["proportional_odds"]
    np.testing.assert_allclose(check.drop(columns="term").to_numpy(float),
                               people["table"].drop(columns="term").to_numpy(float), rtol=1e-8, atol=1e-12)
