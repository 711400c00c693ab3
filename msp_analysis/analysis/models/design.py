"""What every method fits from: complete-case model frames, 0/1 outcomes as counts or records, design matrices.

Predictors are named terms (``{term: column}``); the intercept is added here, never passed.
Binary outcomes come either as one 0/1 row per person or as successes out of trials per
council-year; :func:`binomial_counts` and :func:`binary_records` turn either into the form a
method needs, so every binary method accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from msp_analysis.toolkit.errors import ParameterError, UnusableInputError

INTERCEPT = "Intercept"


def term_columns(predictors: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """Predictors as ``{term name: column}``; a list names each term after its column.

    Parameters
    ----------
    predictors
        Column names, or ``{term: column}`` to name terms apart from their columns.
    """
    terms = dict(predictors) if isinstance(predictors, Mapping) else {p: p for p in predictors}
    if not terms:
        raise ParameterError("no predictors given")
    if INTERCEPT in terms:
        raise ParameterError(f"{INTERCEPT!r} is added by the model; do not pass it as a predictor")
    return terms


def model_frame(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Complete cases of `columns` (and how many rows were left out).

    Parameters
    ----------
    data
        Any frame holding `columns`; a missing column is an error naming the columns there are.
    columns
        The columns the model uses, in order.
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise UnusableInputError(f"data lack column(s) {', '.join(missing)}; columns: {', '.join(map(str, data.columns))}")
    frame = data[columns]
    complete = frame.notna().all(axis=1).to_numpy()
    return frame[complete].reset_index(drop=True), int((~complete).sum())


def numeric_matrix(frame: pd.DataFrame, terms: dict[str, str]) -> np.ndarray:
    """The predictor columns of `terms` as a float matrix (an error naming them if not numeric)."""
    try:
        return frame[list(terms.values())].to_numpy(dtype="float64")
    except (TypeError, ValueError):
        raise UnusableInputError(f"predictors {', '.join(terms.values())} must be numeric") from None


def with_intercept(values: np.ndarray) -> np.ndarray:
    """The design matrix: a column of ones, then `values`."""
    return np.column_stack([np.ones(len(values)), values])


def council_level_terms(frame: pd.DataFrame, terms: dict[str, str], cluster: str, year: str | None) -> list[str]:
    """Terms whose values are constant within each council (and year): measured per council.

    Parameters
    ----------
    frame
        The model frame.
    terms
        ``{term: column}``.
    cluster, year
        The council column, and the year column (None, or absent from `frame`: councils only).
    """
    keys = [cluster] + ([year] if year and year in frame.columns else [])
    grouped = frame.groupby(keys, sort=False)
    return [term for term, column in terms.items() if (grouped[column].nunique(dropna=True) <= 1).all()]


def binary_outcome(frame: pd.DataFrame, outcome: str) -> pd.Series:
    """The 0/1 outcome column; anything else is an error naming the column."""
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if not y.isin([0, 1]).all():
        raise UnusableInputError(f"outcome {outcome!r} must be 0/1 per row (or pass trials= for counts)")
    return y


def binomial_counts(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                    trials: str | None) -> pd.DataFrame:
    """Successes ``_s`` and trials ``_t`` per council × predictor values, from 0/1 rows or from counts.

    Parameters
    ----------
    frame
        The model frame.
    outcome
        The 0/1 column, or the successes column when `trials` is given.
    terms
        ``{term: column}``.
    cluster
        The council column.
    trials
        The trials column of count rows; None for one 0/1 row per person.
    """
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        y = binary_outcome(frame, outcome)
        counts = frame[columns].assign(_s=y.to_numpy(dtype=float), _t=1.0)
    else:
        s = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
        t = pd.to_numeric(frame[trials], errors="coerce").to_numpy(dtype=float)
        if np.isnan(s).any() or np.isnan(t).any() or (s < 0).any() or (s > t).any():
            raise UnusableInputError(f"counts must satisfy 0 <= {outcome} <= {trials}")
        counts = frame[columns].assign(_s=s, _t=t)
    counts = counts.groupby(columns, sort=True, observed=True)[["_s", "_t"]].sum().reset_index()
    return counts[counts["_t"] > 0].reset_index(drop=True)


def binary_records(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                   trials: str | None) -> pd.DataFrame:
    """One 0/1 row per person (``_y``), expanding counts when given; sorted by council.

    Parameters are those of :func:`binomial_counts`.
    """
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        y = binary_outcome(frame, outcome)
        records = frame[columns].assign(_y=y.to_numpy(dtype=float))
    else:
        counts = binomial_counts(frame, outcome, terms, cluster, trials)
        s, t = counts["_s"].to_numpy(dtype="int64"), counts["_t"].to_numpy(dtype="int64")
        rows = np.repeat(np.arange(len(counts)), t)
        first = np.repeat(np.cumsum(t) - t, t)
        records = counts.loc[rows, columns].reset_index(drop=True)
        records["_y"] = (np.arange(len(rows)) - first < np.repeat(s, t)).astype(float)
    return records.sort_values(cluster, kind="stable").reset_index(drop=True)
