"""Tests for msp_analysis.analysis.simulate: deterministic, every council present, known rejects, realistic rates."""

import pandas as pd
import pytest

from msp_analysis.analysis.indicators import council_scores
from msp_analysis.analysis.pathway import add_rates, pathway_counts
from msp_analysis.analysis.simulate import (
    ENQUIRIES_PER_YEAR_AT_SCALE_1,
    EXPRESSED_PUBLISHED_2020_21,
    SCENARIOS,
    SIM_YEARS,
    simulate,
)
from msp_analysis.clean.temperature_check import clean_temperature_check, wide_answers
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import LIKERT_LABELS, likert_items
from msp_analysis.toolkit.files import write_csv

# Single-year simulations are about three times cheaper than the default three years.
ONE_YEAR = ("2023-24",)


@pytest.fixture(scope="module")
def small_simulation():
    return simulate(7, scale=0.05, years=ONE_YEAR)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_frames_truth_and_csv_bytes(small_simulation, tmp_path):
    again = simulate(7, scale=0.05, years=ONE_YEAR)
    pd.testing.assert_frame_equal(small_simulation.evaluation, again.evaluation)
    pd.testing.assert_frame_equal(small_simulation.temperature_check, again.temperature_check)
    assert small_simulation.truth == again.truth
    write_csv(tmp_path / "first.csv", small_simulation.evaluation)
    write_csv(tmp_path / "second.csv", again.evaluation)
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "second.csv").read_bytes()
    assert (tmp_path / "first.csv").stat().st_size > 0


def test_different_seed_gives_different_data(small_simulation):
    other = simulate(8, scale=0.05, years=ONE_YEAR)
    assert not small_simulation.evaluation.equals(other.evaluation)
    assert not small_simulation.temperature_check.equals(other.temperature_check)
    assert other.truth["seed"] == 8


# --- truth --------------------------------------------------------------------------------


def test_truth_records_the_effects_and_the_expected_rejects(simulation):
    truth = simulation.truth
    assert set(truth["effects"]) == {"supervision", "staffing", "complaints_learning"}
    assert all(isinstance(truth["effects"][name], float) for name in truth["effects"])
    assert truth["effects"]["supervision"] > 0
    assert truth["council_random_effect_sd"] > 0
    assert truth["expected_rejects"] == sum(truth["faults"].values()) > 0
    assert truth["rows"] == len(simulation.evaluation)
    assert truth["expected_clean_rows"] == truth["rows"] - truth["expected_rejects"]
    assert truth["years"] == list(SIM_YEARS)


# --- coverage -----------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["2021-22", "2022-23", "2023-24"])
def test_every_council_of_the_year_sends_a_temperature_check(simulation, year):
    returns = simulation.temperature_check
    sent = set(returns.loc[returns["wave"] == year, "ons_code"])
    assert sent == set(geography.councils(year)["ons_code"])


@pytest.mark.parametrize("year", ["2021-22", "2022-23", "2023-24"])
def test_enquiries_of_a_year_come_from_that_years_councils(cleaned_simulation, year):
    clean = cleaned_simulation.clean
    seen = set(clean.loc[clean["financial_year"] == year, "ons_code"])
    expected = set(geography.councils(year)["ons_code"])
    assert seen <= expected
    # Only the tiniest councils (City of London, Isles of Scilly) may have no enquiry at this scale.
    assert len(expected - seen) <= 5


# --- cleaning the simulated export --------------------------------------------------------


def test_cleaning_rejects_exactly_the_injected_faults(simulation, cleaned_simulation):
    result = cleaned_simulation
    assert result.reconciles()
    assert result.rows_in == result.rows_clean + result.rows_rejected == simulation.truth["rows"]
    assert result.rows_rejected == simulation.truth["expected_rejects"]
    assert result.rows_clean == simulation.truth["expected_clean_rows"]


def test_cleaning_after_a_csv_round_trip_rejects_the_same_rows(small_simulation, tmp_path):
    from msp_analysis.clean.evaluation import clean_evaluation
    from msp_analysis.io.tables import read_table

    write_csv(tmp_path / "export.csv", small_simulation.evaluation)
    result = clean_evaluation(read_table(tmp_path / "export.csv"), source="export.csv")
    assert result.reconciles()
    assert result.rows_rejected == small_simulation.truth["expected_rejects"]


@pytest.fixture(scope="module")
def england_rates(cleaned_simulation):
    counts = pathway_counts(cleaned_simulation.clean.assign(all_rows="England"), ["all_rows"])
    return add_rates(counts).iloc[0]


@pytest.mark.parametrize(
    "rate,low,high",
    [("expressed_pct", 75, 85), ("fully_pct", 65, 70), ("fully_or_partially_pct", 93, 95)],
)
def test_msp_proportions_sit_in_the_published_bands(england_rates, rate, low, high):
    assert low <= england_rates[rate] <= high


# --- temperature check --------------------------------------------------------------------


def test_temperature_check_has_several_respondents_per_council_and_wave(simulation):
    per_council = simulation.temperature_check.groupby(["ons_code", "wave"]).size()
    assert per_council.min() >= 2
    assert set(simulation.temperature_check["wave"]) == set(SIM_YEARS)


def test_temperature_check_answers_are_likert_labels(simulation):
    items = likert_items()["item_id"].tolist()
    answers = pd.unique(simulation.temperature_check[items].to_numpy().ravel())
    given = {answer for answer in answers if answer != ""}
    assert given == set(LIKERT_LABELS)  # every label used, nothing else


# --- scale --------------------------------------------------------------------------------


def test_scale_roughly_scales_the_rows(small_simulation):
    double = simulate(7, scale=0.1, years=ONE_YEAR)
    ratio = len(double.evaluation) / len(small_simulation.evaluation)
    assert 1.6 <= ratio <= 2.4


@pytest.mark.parametrize("scale", [0, -0.1])
def test_non_positive_scale_is_an_error(scale):
    with pytest.raises(ValueError, match="scale"):
        simulate(1, scale=scale)


# --- scenarios: the biases real data have, and the truth a correct analysis aims at -------------------



@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario_simulation(request):
    return request.param, simulate(5, scale=0.03, scenario_name=request.param)


def test_every_scenario_states_its_effects_targets_and_why(scenario_simulation):
    name, sim = scenario_simulation
    truth = sim.truth
    assert truth["scenario"] == name and truth["scenario_description"]
    for analysis in ("unadjusted", "adjusted", "within_between", "lag1"):
        target = truth["targets"][analysis]
        assert target["why"] and set(target["conditional"]) == set(target["marginal"])
        # population-averaged targets are the conditional ones shrunk towards zero, never beyond
        for term, conditional in target["conditional"].items():
            assert abs(target["marginal"][term]) <= abs(conditional) + 1e-12
    covariates = sim.council_covariates
    assert list(covariates.columns) == ["ons_code", "financial_year", "deprivation", "size", "log_size"]
    assert not covariates.duplicated(["ons_code", "financial_year"]).any()
    assert set(covariates["financial_year"]) == set(SIM_YEARS)


def test_the_confounded_null_has_no_effect_and_its_adjusted_targets_are_zero():
    truth = simulate(5, scale=0.01, scenario_name="confounded-null").truth
    assert set(truth["effects"].values()) == {0.0} and set(truth["lag_effects"].values()) == {0.0}
    for analysis in ("adjusted", "within_between", "lag1"):
        assert all(abs(v) < 0.01 for v in truth["targets"][analysis]["marginal"].values()), analysis
    # but the unadjusted model, which ignores deprivation and size, has a target away from zero
    assert sum(truth["targets"]["unadjusted"]["marginal"].values()) > 0.1
    assert {"deprivation", "log_size"} <= set(truth["correct_adjustment"])


def test_respondents_agree_as_little_as_staff_surveys_show_except_in_easy(scenario_simulation):
    name, sim = scenario_simulation
    icc = sim.truth["respondent_icc"]
    if name == "easy":
        assert min(icc.values()) > 0.4
    else:
        assert all(0.05 <= value <= 0.25 for value in icc.values()), icc


def test_measurement_error_attenuates_the_targets_of_the_realistic_scenario():
    truth = simulate(5, scale=0.01).truth
    assert truth["scenario"] == "realistic"
    adjusted = truth["targets"]["adjusted"]["conditional"]
    assert all(0 < adjusted[t] < truth["effects"][t] for t in ("supervision", "staffing"))


def test_at_scale_one_the_volumes_are_englands():
    sim = simulate(3, scale=0.05, years=ONE_YEAR, scenario_name="easy")
    assert sim.truth["expressed_s42_per_year"] == pytest.approx(0.05 * EXPRESSED_PUBLISHED_2020_21, rel=0.05)
    assert len(sim.evaluation) == pytest.approx(0.05 * ENQUIRIES_PER_YEAR_AT_SCALE_1, rel=0.05)


@pytest.mark.long
def test_deprivation_drives_culture_in_the_confounded_scenario():
    sim = simulate(4, scale=0.01, scenario_name="confounded-null")
    scores = council_scores(wide_answers(clean_temperature_check(sim.temperature_check).clean))
    joined = scores.merge(sim.council_covariates, left_on=["ons_code", "wave"],
                          right_on=["ons_code", "financial_year"])
    assert joined["supervision"].corr(joined["deprivation"]) < -0.2


@pytest.mark.long
def test_selection_asks_more_people_where_culture_is_better():
    sim = simulate(6, scale=0.05, scenario_name="selection")
    scores = council_scores(wide_answers(clean_temperature_check(sim.temperature_check).clean))
    evaluation = sim.evaluation.assign(ons=sim.evaluation["ons_code"].str.strip().str.upper(),
                                       expressed=sim.evaluation["msp_outcome_achieved"].ne(""))
    share = evaluation[evaluation["ons"] != ""].groupby("ons")["expressed"].mean()
    culture = scores.groupby("ons_code")["supervision"].mean()
    assert share.corr(culture.reindex(share.index)) > 0.2


def test_an_unknown_scenario_is_a_parameter_error():
    with pytest.raises(ValueError, match="unknown scenario 'nope'; expected one of realistic"):
        simulate(1, scale=0.01, scenario_name="nope")


@pytest.mark.long
def test_the_stored_targets_are_what_the_generator_gives_now():
    """The stored targets (simulation_targets.json) are used only while their fingerprint matches; this
    recomputes one scenario with the stored number of replicates and finds the same numbers, so a change
    to the generator that forgot to rewrite them fails here.

    The same numbers within Monte Carlo error, not to the last digit: the draws are the same stream, but
    numpy's vectorised maths differs in the last bit between CPUs (AVX-512 or AVX2), and one probability a
    bit different can change one draw's outcome and, through the counts drawn, every later draw. On the
    2-core machine without AVX-512 (2026-12-02) the targets stored on another machine came back within
    about 2 of their Monte Carlo SEs, not equal. Everything that is not a draw must still be equal."""
    import json
    import math

    from msp_analysis.analysis.simulate import STORED_REPLICATES, STORED_TARGETS, compute_targets, targets

    stored = json.loads(STORED_TARGETS.read_text(encoding="utf-8"))
    assert set(stored) == set(SCENARIOS)
    assert targets("confounded-null") == stored["confounded-null"]

    def agree(old, new, se=None, path="") -> None:
        if isinstance(old, dict):
            assert set(old) == set(new), f"{path}: keys {sorted(old)} != {sorted(new)}"
            errors = old.get("monte_carlo_se")
            for key in old:
                if key == "monte_carlo_se":  # an SE estimated from other draws: the same to within a third
                    for term, value in old[key].items():
                        assert math.isclose(new[key][term], value, rel_tol=0.35), f"{path}/{key}/{term}"
                    continue
                agree(old[key], new[key], errors if isinstance(old[key], dict) else se, f"{path}/{key}")
        elif isinstance(old, list | str | bool) or old is None:
            assert old == new, f"{path}: {old!r} != {new!r}"
        else:  # a number made from the draws: within 6 Monte Carlo SEs of its term (about 4 SDs of a difference)
            term = path.rsplit("/", 1)[-1]  # or 2% of it (an SD of the scores, a term whose SE is 0)
            tolerance = max(6 * se[term] if se and term in se else 0.0, 0.02 * abs(old))
            assert abs(new - old) <= tolerance, f"{path}: {new} against the stored {old} (tolerance {tolerance:.4g})"

    agree(stored["confounded-null"], compute_targets("confounded-null", STORED_REPLICATES))


def test_sweeping_out_replicate_years_gives_the_slopes_of_a_dummy_per_replicate_year():
    import numpy as np

    from msp_analysis.analysis.simulate import _demeaned

    rng = np.random.default_rng(3)
    groups = rng.integers(0, 7, 400)
    X = rng.normal(size=(400, 2)) + groups[:, None] * 0.3
    y = X @ np.array([0.4, -0.2]) + groups * 0.5 + rng.normal(size=400)
    w = rng.uniform(0.5, 3, 400)
    dummies = np.column_stack([np.ones(400), X, *[(groups == g).astype(float) for g in range(1, 7)]])
    full = np.linalg.lstsq(dummies * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0][1:3]
    Xs, ys = _demeaned(X, y, w, groups)
    swept = np.linalg.lstsq(Xs * np.sqrt(w)[:, None], ys * np.sqrt(w), rcond=None)[0]
    np.testing.assert_allclose(swept, full, atol=1e-12)


def test_the_stored_targets_say_how_precise_they_are_and_realistics_resolve_a_200_replication_check():
    """Each stored target carries its Monte Carlo SE; realistic's (checked at 200+ replications, whose
    bias resolves to about 0.003) must be well below that, which 100 draws (0.002-0.003) were not."""
    import json

    from msp_analysis.analysis.simulate import STORED_TARGETS, stored_replicates, targets

    stored = json.loads(STORED_TARGETS.read_text(encoding="utf-8"))
    assert stored_replicates("realistic") >= 1000 and stored["realistic"]["replicates"] == stored_replicates("realistic")
    for name in SCENARIOS:
        assert targets(name) == stored[name]  # every stored entry matches its fingerprint
        for analysis in ("unadjusted", "adjusted", "within_between", "lag1"):
            entry = stored[name][analysis]
            assert set(entry["monte_carlo_se"]) == set(entry["conditional"])
            assert all(0 <= se < 0.01 for se in entry["monte_carlo_se"].values())
    for analysis in ("unadjusted", "adjusted", "within_between"):
        assert max(stored["realistic"][analysis]["monte_carlo_se"].values()) < 0.0015, analysis


@pytest.mark.long
def test_a_logit_fitted_to_millions_of_records_converges_to_the_marginal_target():
    """The target's derivation against an empirical fit: on each of 24 draws of England's councils
    (realistic), binomial cells of about 2,000 records per council-year are drawn from the true
    log-odds plus a council intercept, and a logit of them on the adjusted design is set against the
    same draw's projection shrunk as ``compute_targets`` shrinks it. Paired on the draw, the
    difference averages within 0.005 of zero for each indicator (measured: -0.001 to -0.002 over 60
    draws; the models' bias in the recovery benchmark resolves to about 0.003): the multivariate
    projection of the true log-odds on the scored indicators is what a logit of the records estimates."""
    import math

    import numpy as np

    from msp_analysis.analysis.simulate import LOGIT_MARGINAL, MODEL_TERMS, council_draw, council_frame, scenario

    spec, rng = scenario("realistic"), np.random.default_rng(11)
    frame = council_frame(SIM_YEARS)
    ons = np.array(sorted(frame["ons_code"].unique()))
    columns = [f"z_{t}" for t in MODEL_TERMS] + ["deprivation", "log_size"]
    differences = []
    for _ in range(24):
        cw = council_draw(rng, spec, frame, ons, SIM_YEARS)
        u = cw["ons_code"].map(dict(zip(ons, rng.normal(0, spec.council_sd, len(ons)), strict=True))).to_numpy()
        truth = cw["eta"].to_numpy() + u
        X = np.column_stack([np.ones(len(cw)), cw[columns].to_numpy(float),
                             *[(cw["financial_year"] == y).to_numpy(float) for y in SIM_YEARS[1:]]])
        w = cw["weight"].to_numpy(float)
        projection = np.linalg.lstsq(X * np.sqrt(w)[:, None], truth * np.sqrt(w), rcond=None)[0]
        shrink = 1 / math.sqrt(1 + LOGIT_MARGINAL * np.average((truth - X @ projection) ** 2, weights=w))
        trials = rng.poisson(3_000_000 * w / w.sum()).astype(float)
        successes = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(spec.intercept + truth)))).astype(float)
        beta = np.zeros(X.shape[1])
        for _ in range(30):  # Newton steps of the binomial logit
            p = 1 / (1 + np.exp(-X @ beta))
            beta += np.linalg.solve(X.T @ (X * (trials * p * (1 - p))[:, None]), X.T @ (successes - trials * p))
        differences.append(beta[1:4] - projection[1:4] * shrink)
    mean = np.mean(differences, axis=0)
    assert np.abs(mean).max() < 0.005, dict(zip(MODEL_TERMS, mean.round(4), strict=True))


def test_nothing_the_targets_rest_on_changes_with_the_scale(small_simulation):
    """The targets are computed without a scale: that holds only while the scale moves nothing but the
    records. Same seed, three times the scale: the same councils, covariates, temperature-check
    respondents (so the same score reliability) and targets; only the enquiries differ."""
    triple = simulate(7, scale=0.15, years=ONE_YEAR)
    pd.testing.assert_frame_equal(triple.temperature_check, small_simulation.temperature_check)
    pd.testing.assert_frame_equal(triple.council_covariates, small_simulation.council_covariates)
    assert triple.truth["targets"] == small_simulation.truth["targets"]
    assert triple.truth["score_sd"] == small_simulation.truth["score_sd"]
    assert len(triple.evaluation) > 2 * len(small_simulation.evaluation)


def test_a_simulations_targets_are_per_sd_of_its_own_scores(small_simulation):
    """``this_simulation``: the target per score point times the SD of the scores the models are given
    (score_temperature_check on the cleaned returns), which is the unit of their slopes."""
    from msp_analysis.analysis.indicators import score_temperature_check
    from msp_analysis.analysis.simulate import MODEL_TERMS

    truth = small_simulation.truth
    scores = score_temperature_check(clean_temperature_check(small_simulation.temperature_check, source="t.csv").clean)
    for term in MODEL_TERMS:
        assert truth["score_sd"][term] == pytest.approx(scores[term].std(ddof=1), abs=1e-6)
    adjusted = truth["targets"]["adjusted"]
    for scale in ("conditional", "marginal"):
        for term, per_point in adjusted["per_point"][scale].items():
            expected = round(per_point * truth["score_sd"][term], 4)
            assert adjusted["this_simulation"][scale][term] == expected
            assert expected != 0


def test_the_stored_targets_per_point_agree_with_those_per_sd():
    """Per point times the draws' mean SD is the target per SD to within the spread of the SD (about
    4%, second order here), for every checked analysis of realistic, and precise enough per SD."""
    import json

    from msp_analysis.analysis.simulate import STORED_TARGETS, indicator_of

    stored = json.loads(STORED_TARGETS.read_text(encoding="utf-8"))["realistic"]
    for analysis in ("unadjusted", "adjusted", "within_between", "lag1"):
        entry = stored[analysis]
        point = entry["per_point"]
        for term, per_sd in entry["marginal"].items():
            sd = point["score_sd"][indicator_of(term)]
            assert 0.25 < sd < 0.45
            assert point["marginal"][term] * sd == pytest.approx(per_sd, abs=0.003), (analysis, term)
            assert point["monte_carlo_se"][term] * sd < 0.0015, (analysis, term)
    assert "per_point" not in json.loads(STORED_TARGETS.read_text(encoding="utf-8"))["easy"]["adjusted"]
