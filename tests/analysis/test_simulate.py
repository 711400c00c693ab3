"""Tests for msp_analysis.analysis.simulate: deterministic, every council present, known rejects, realistic rates."""

import pandas as pd
import pytest

from msp_analysis.analysis.pathway import add_rates, pathway_counts
from msp_analysis.analysis.simulate import SIM_YEARS, simulate
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
