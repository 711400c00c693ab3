"""What every method fits from: complete-case model frames, 0/1 outcomes as counts or records, design matrices.

Predictors are named terms (``{term: column}``); the intercept is added here, never passed.
Binary outcomes come either as one 0/1 row per person or as successes out of trials per
council-year; :func:`binomial_counts` and :func:`binary_records` turn either into the form a
method needs, so every binary method accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    if complete.all():  # nothing to leave out: no copy of every column
        return frame.reset_index(drop=True), 0
    return frame[complete].reset_index(drop=True), int((~complete).sum())


def numeric_matrix(frame: pd.DataFrame, terms: dict[str, str]) -> np.ndarray:
    """The predictor columns of `terms` as a float matrix (an error naming them if not numeric)."""
    try:
        return frame[list(terms.values())].to_numpy(dtype="float64")
    except (TypeError, ValueError):
        raise UnusableInputError(f"predictors {', '.join(terms.values())} must be numeric") from None


def design_matrix(frame: pd.DataFrame, terms: dict[str, str], rows: np.ndarray | None = None) -> np.ndarray:
    """``with_intercept(numeric_matrix(frame, terms))`` (of `rows` only, when given) filled in place: one matrix."""
    out = np.empty((len(frame) if rows is None else len(rows), 1 + len(terms)), order="F")  # filled by column
    out[:, 0] = 1.0
    try:
        for j, column in enumerate(terms.values()):
            values = frame[column].to_numpy(dtype="float64")
            out[:, 1 + j] = values if rows is None else values[rows]
    except (TypeError, ValueError):
        raise UnusableInputError(f"predictors {', '.join(terms.values())} must be numeric") from None
    return out


def with_intercept(values: np.ndarray) -> np.ndarray:
    """The design matrix: a column of ones, then `values`."""
    values = np.asarray(values, dtype="float64")
    out = np.empty((len(values), 1 + (values.shape[1] if values.ndim == 2 else 1)))
    out[:, 0] = 1.0
    out[:, 1:] = values if values.ndim == 2 else values[:, None]
    return out


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

    The cells and their order are those of a groupby of `cluster` and the term columns
    (sorted; rows with a missing key left out); cells without trials are dropped.

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
    cells = binomial_cells(frame, outcome, terms, cluster, trials)
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    return frame[columns].take(cells.first).reset_index(drop=True).assign(_s=cells.successes, _t=cells.trials)


@dataclass
class BinomialCells:
    """The cells of :func:`binomial_counts` as arrays: a representative row of each, and their sums."""

    first: np.ndarray  # the first row of `frame` in each cell, cells in sorted order
    successes: np.ndarray
    trials: np.ndarray


def binomial_cells(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                   trials: str | None) -> BinomialCells:
    """What :func:`binomial_counts` tabulates, without building its frame (parameters as there)."""
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        s = binary_outcome(frame, outcome).to_numpy(dtype=float)
        t = np.ones(len(frame))
    else:
        s = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
        t = pd.to_numeric(frame[trials], errors="coerce").to_numpy(dtype=float)
        if np.isnan(s).any() or np.isnan(t).any() or (s < 0).any() or (s > t).any():
            raise UnusableInputError(f"counts must satisfy 0 <= {outcome} <= {trials}")
    cell, first = cell_index(frame, columns)
    keep = cell >= 0
    s_sum = np.bincount(cell[keep], weights=s[keep], minlength=len(first))
    t_sum = np.bincount(cell[keep], weights=t[keep], minlength=len(first))
    used = t_sum > 0
    if not used.all():
        first, s_sum, t_sum = first[used], s_sum[used], t_sum[used]
    return BinomialCells(first=first, successes=s_sum, trials=t_sum)


RADIX_LIMIT = 2 ** 62  # combined cell codes are compressed before they could overflow int64


def cell_index(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell (rows alike in `columns`), numbered in the sorted order of the columns; -1 when one is missing.

    The cells and their order are those of ``frame.groupby(columns, sort=True)`` (rows with a
    missing key left out, as groupby does); returns the cell of every row and the first row of
    each cell. One code per column (a 0/1 column is its own code), combined in mixed radix.
    """
    n = len(frame)
    key = np.zeros(n, dtype="int64")
    size = 1
    missing = np.zeros(n, dtype=bool)
    for column in columns:
        values = frame[column]
        array = values.to_numpy() if pd.api.types.is_float_dtype(values.dtype) and isinstance(
            values.dtype, np.dtype) else None
        if array is not None and ((array == 0) | (array == 1)).all():
            codes, levels = array.astype("int64"), 2
        else:
            codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
            missing |= codes < 0
            codes, levels = codes.astype("int64"), max(len(uniques), 1)
        if size * levels >= RADIX_LIMIT:
            key, size = _compress(key)
        key = key * levels + np.maximum(codes, 0)
        size *= levels
    key[missing] = -1
    cell, first = _compress(key, with_first=True)
    return cell, first


def _compress(key: np.ndarray, with_first: bool = False):
    """Combined codes renumbered 0..m-1 in sorted order (-1 stays -1); with the first row of each number."""
    present = key >= 0
    uniques, first, inverse = np.unique(key[present], return_index=True, return_inverse=True)
    out = np.full(len(key), -1, dtype="int64")
    out[present] = inverse
    if not with_first:
        return out, len(uniques)
    return out, np.flatnonzero(present)[first]


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


MISSING_LEVEL = "(missing)"
ADJUSTMENT_PREFIX = "_adj:"  # the model frame's column of an adjustment term (the term keeps the plain name)
MULTI_VALUE_SEPARATOR = "; "
MULTI_VALUE_COLUMNS = ("risk_types", "risk_location", "risk_source")  # one cell may name several values: one indicator per value


def adjustment_terms(data: pd.DataFrame, adjust: Sequence[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Numeric columns for the adjustment variables `adjust`, and their terms ``{term: column}``.

    A numeric column is used as it is (term named after it). Any other column becomes one 0/1
    indicator per level but its most frequent one (the reference), named ``column[level]``; a
    missing value is a level of its own (``(missing)``) so that adjusting never drops rows. A
    column whose cells can list several values (``risk_types``: ``"Neglect; Self-Neglect"``) gets
    one indicator per value named.

    Parameters
    ----------
    data
        The frame the model is fitted on.
    adjust
        Its columns to adjust for; one that is not there is an error naming the columns there are.
    """
    missing = [c for c in adjust if c not in data.columns]
    if missing:
        raise UnusableInputError(f"cannot adjust for {', '.join(missing)}: not a column of the data or the council "
                                 f"covariates; columns: {', '.join(map(str, data.columns))}")
    # first the terms (numeric columns as they are; one factorisation per category, then integer comparisons
    # per level, not a string comparison), then one block of values for them all
    pieces: list[tuple[str, np.ndarray | None, np.ndarray | None]] = []  # (term, numeric values | rows with it)
    for name in adjust:
        values = data[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            pieces.append((name, pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64"), None))
            continue
        text = values.astype("string").fillna(MISSING_LEVEL).astype(str)
        if name in MULTI_VALUE_COLUMNS:
            rows, parts = _split_cells(text)
            levels = parts.value_counts()
        else:
            rows, parts = np.arange(len(text)), text
            levels = text.value_counts()
        codes, uniques = pd.factorize(parts)
        position = {level: i for i, level in enumerate(uniques)}
        pieces.extend((f"{name}[{level}]", None, rows[codes == position[level]]) for level in levels.index[1:])
    block = np.zeros((len(pieces), len(data)))
    for row, (_term, numbers, hits) in enumerate(pieces):
        if numbers is not None:
            block[row] = numbers
        else:
            block[row, hits] = 1.0
    varies = [not (_constant(block[row]) if numbers is not None else _constant_indicator(block[row]))
              for row, (_term, numbers, _hits) in enumerate(pieces)]
    kept = [term for (term, _n, _h), keep in zip(pieces, varies, strict=True) if keep]
    if not all(varies):
        block = block[np.flatnonzero(varies)]
    frame = pd.DataFrame(block.T, columns=[f"{ADJUSTMENT_PREFIX}{term}" for term in kept], index=data.index,
                         copy=False)
    return frame, {term: f"{ADJUSTMENT_PREFIX}{term}" for term in kept}


def _split_cells(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The values named in each cell of a multi-value column: (row of each value, the values), row by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = pc.split_pattern(pa.array(text.array), MULTI_VALUE_SEPARATOR)
    rows = np.asarray(pc.list_parent_indices(parts), dtype="int64")
    return rows, pd.Series(pc.list_flatten(parts).to_numpy(zero_copy_only=False), dtype=object)


def _constant_indicator(values: np.ndarray) -> bool:
    """A 0/1 column with one value only."""
    total = values.sum()
    return bool(total == 0 or total == len(values))


def _constant(values: np.ndarray) -> bool:
    """A numeric column with at most one value besides missing ones (``nunique(dropna=True) <= 1``)."""
    present = values[~np.isnan(values)]
    return bool(len(present) == 0 or present.min() == present.max())


def year_terms(data: pd.DataFrame, year: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """0/1 columns ``year[<year>]`` for every year but the first: the year effects of a model."""
    years = sorted(data[year].dropna().astype(str).unique())
    frame = pd.DataFrame({f"_year:{y}": data[year].astype(str).eq(y).to_numpy(dtype="float64") for y in years[1:]},
                         index=data.index)
    return frame, {f"year[{y}]": f"_year:{y}" for y in years[1:]}


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (missing ones stay missing).

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    present = np.flatnonzero(~np.isnan(p))
    m = len(present)
    order = present[np.argsort(p[present], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        out[index] = running
    return out
