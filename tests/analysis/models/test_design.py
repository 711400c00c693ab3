"""Tests for msp_analysis.analysis.models.design: term names, complete cases, counts and records."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.models.design import (
    binary_records,
    binomial_counts,
    council_level_terms,
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
