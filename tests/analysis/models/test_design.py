"""Tests for msp_analysis.analysis.models.design: term names, complete cases, counts and records."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.models.design import (
    adjustment_terms,
    binary_records,
    binomial_counts,
    council_level_terms,
    holm,
    model_frame,
    term_columns,
)
from msp_analysis.analysis.models.fit import fit_outcome_model

ROWS = pd.DataFrame({"ons_code": ["A", "A", "A", "B", "B"], "x": [1.0, 1.0, 1.0, 2.0, 2.0],
                     "z": [0.1, 0.2, 0.3, 0.4, 0.5], "y": [1, 0, 1, 0, 0]})


def test_terms_can_be_named_apart_from_their_columns(records):
    result = fit_outcome_model(records, "glm_cluster", outcome="y", predictors={"supervision": "x1"})
    assert result.table["term"].tolist() == ["Intercept", "supervision", "year[2022-23]"]


def test_the_intercept_is_never_a_predictor():
    assert term_columns(["x"]) == {"x": "x"}
    with pytest.raises(ValueError, match="added by the model"):
        term_columns(["Intercept"])


def test_model_frame_keeps_complete_cases_and_counts_the_rest():
    data = ROWS.assign(x=[1.0, np.nan, 1.0, 2.0, np.nan])
    frame, dropped = model_frame(data, ["y", "x", "ons_code"])
    assert list(frame.columns) == ["y", "x", "ons_code"] and len(frame) == 3 and dropped == 2


def test_counts_and_records_are_two_views_of_the_same_people():
    counts = binomial_counts(ROWS, "y", {"x": "x"}, "ons_code", None)
    assert counts[["ons_code", "_s", "_t"]].values.tolist() == [["A", 2.0, 3.0], ["B", 0.0, 2.0]]
    records = binary_records(counts, "_s", {"x": "x"}, "ons_code", "_t")
    assert records["_y"].tolist() == [1.0, 1.0, 0.0, 0.0, 0.0] and records["ons_code"].tolist() == list("AAABB")


def test_counts_above_their_trials_are_refused():
    with pytest.raises(ValueError, match="counts must satisfy 0 <= s <= t"):
        binomial_counts(pd.DataFrame({"ons_code": ["A"], "x": [1.0], "s": [3], "t": [2]}), "s", {"x": "x"},
                        "ons_code", "t")


def test_council_level_terms_are_constant_within_each_council():
    assert council_level_terms(ROWS, {"x": "x", "z": "z"}, "ons_code", None) == ["x"]


# --- adjustment terms, year effects and Holm ------------------------------------------------------



def test_adjustment_terms_keep_numbers_and_turn_categories_into_indicators_against_the_commonest():
    data = pd.DataFrame({"age": [70, 80, 90, 60], "capacity": ["No", "No", "Yes", None],
                         "risk_types": ["Neglect", "Neglect; Self-Neglect", "Physical Abuse", "Neglect"]})
    frame, terms = adjustment_terms(data, ["age", "capacity", "risk_types"])
    assert set(terms) == {"age", "capacity[Yes]", "capacity[(missing)]", "risk_types[Self-Neglect]",
                          "risk_types[Physical Abuse]"}
    values = frame.rename(columns={c: t for t, c in terms.items()})
    assert values["age"].tolist() == [70, 80, 90, 60]
    assert values["capacity[(missing)]"].tolist() == [0, 0, 0, 1]  # a missing value is a level, not a dropped row
    assert values["risk_types[Self-Neglect]"].tolist() == [0, 1, 0, 0]


def test_an_adjustment_that_is_not_a_column_names_the_columns_there_are():
    with pytest.raises(ValueError, match="cannot adjust for nope"):
        adjustment_terms(pd.DataFrame({"age": [1, 2]}), ["nope"])


def test_holm_matches_the_step_down_rule():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.001]), [0.5, 0.002])
    assert np.isnan(holm([np.nan, 0.02])[0]) and holm([np.nan, 0.02])[1] == pytest.approx(0.02)


def test_year_effects_are_in_every_binary_model_unless_turned_off(records):
    with_years = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1"])
    without = fit_outcome_model(records, "glm_cluster", outcome="y", predictors=["x1"], year_effects=False)
    assert "year[2022-23]" in set(with_years.table["term"]) and "year[2022-23]" not in set(without.table["term"])
