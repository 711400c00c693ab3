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


def _adjustment_terms_by_level(data, adjust):
    """The adjustment terms as they were built before they were vectorised: one comparison per level."""
    from msp_analysis.analysis.models.design import ADJUSTMENT_PREFIX, MISSING_LEVEL, MULTI_VALUE_COLUMNS

    columns = {}
    for name in adjust:
        values = data[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            columns[name] = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
            continue
        text = values.astype("string").fillna(MISSING_LEVEL).astype(str)
        if name in MULTI_VALUE_COLUMNS:
            parts = text.str.split("; ")
            for level in parts.explode().value_counts().index[1:]:
                columns[f"{name}[{level}]"] = parts.map(lambda cell, lv=level: lv in cell).to_numpy(dtype="float64")
        else:
            for level in text.value_counts().index[1:]:
                columns[f"{name}[{level}]"] = (text == level).to_numpy(dtype="float64")
    kept = {t: v for t, v in columns.items() if pd.Series(v).nunique(dropna=True) > 1}
    return (pd.DataFrame({f"{ADJUSTMENT_PREFIX}{t}": v for t, v in kept.items()}, index=data.index),
            {t: f"{ADJUSTMENT_PREFIX}{t}" for t in kept})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_adjustment_terms_are_the_level_by_level_ones(seed):
    rng = np.random.default_rng(seed)
    n = 400
    kinds = ["Neglect", "Physical Abuse", "Self-Neglect", "Domestic Abuse", ""]
    risk = ["; ".join(rng.choice(kinds, size=rng.integers(1, 4))) for _ in range(n)]  # repeats like "A; A" too
    risk = [None if rng.random() < 0.05 else cell for cell in risk]
    capacity = rng.choice(["Yes", "No", "Don't know", None], size=n, p=[0.3, 0.3, 0.2, 0.2])
    capacity[:4] = ["Yes", "No", "Yes", "No"]  # near-ties among the levels' counts
    data = pd.DataFrame({
        "age": pd.array(rng.integers(18, 100, n), dtype="Int64"), "deprivation": rng.normal(size=n),
        "constant": np.ones(n), "risk_types": pd.array(risk, dtype="string"), "capacity": pd.array(capacity, dtype="string"),
        "location": rng.choice(["Own home", "Care home"], size=n).astype(object), "flag": rng.random(n) < 0.4,
        "always": pd.array(["Same"] * n, dtype="string"),
        "risk_source": pd.array(["Known; Known"] * (n - 1) + ["Known"], dtype="string")})  # one value in every cell
    adjust = list(data.columns)
    frame, terms = adjustment_terms(data, adjust)
    expected_frame, expected_terms = _adjustment_terms_by_level(data, adjust)
    assert terms == expected_terms  # the same terms in the same order: the same reference levels
    pd.testing.assert_frame_equal(frame, expected_frame)


def _binomial_counts_by_groupby(frame, outcome, terms, cluster, trials):
    """The counts as they were made before the cells were coded by hand: a pandas groupby."""
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        counts = frame[columns].assign(_s=pd.to_numeric(frame[outcome]).to_numpy(dtype=float), _t=1.0)
    else:
        counts = frame[columns].assign(_s=frame[outcome].to_numpy(dtype=float), _t=frame[trials].to_numpy(dtype=float))
    counts = counts.groupby(columns, sort=True, observed=True)[["_s", "_t"]].sum().reset_index()
    return counts[counts["_t"] > 0].reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_binomial_counts_are_the_cells_and_order_of_a_groupby(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame({
        "ons_code": pd.array(rng.choice(["E06000001", "E08000025", "E10000002", None], size=n, p=[0.4, 0.3, 0.29, 0.01]),
                             dtype="string"),
        "z": rng.choice(rng.normal(size=7), size=n), "flag": rng.integers(0, 2, n).astype(float),
        "never": np.zeros(n), "age": pd.array(rng.integers(18, 30, n), dtype="Int64"),
        "band": pd.Categorical(rng.choice(["old", "young", "mid"], size=n), categories=["young", "mid", "old", "none"]),
        "y": rng.integers(0, 2, n), "t": rng.integers(0, 4, n)})
    frame.loc[rng.random(n) < 0.02, "z"] = np.nan
    frame["s"] = np.minimum(frame["y"] * 2, frame["t"])
    terms = {"z": "z", "flag": "flag", "never": "never", "age": "age", "band": "band"}
    for outcome, trials in (("y", None), ("s", "t")):
        expected = _binomial_counts_by_groupby(frame, outcome, terms, "ons_code", trials)
        pd.testing.assert_frame_equal(binomial_counts(frame, outcome, terms, "ons_code", trials), expected)
    assert len(expected) < n / 2


def test_binomial_counts_compress_codes_that_would_overflow():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=500).round(1) for j in range(12)})  # ~60^12 > 2^62 combinations
    frame["ons_code"], frame["y"] = rng.choice(["A", "B"], size=500), rng.integers(0, 2, 500)
    terms = {c: c for c in frame.columns if c.startswith("x")}
    pd.testing.assert_frame_equal(binomial_counts(frame, "y", terms, "ons_code", None),
                                  _binomial_counts_by_groupby(frame, "y", terms, "ons_code", None))
