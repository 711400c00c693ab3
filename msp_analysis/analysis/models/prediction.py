"""Do the culture indicators help predict outcomes in councils a model has not seen?

Grouped cross-validation by council of a logistic model with and without the indicators:
held-out AUC and Brier score, calibration of the out-of-fold predictions, and permutation
importance of each feature in the held-out councils.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from msp_analysis.analysis.link import LinkResult
from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.design import cell_index, model_frame
from msp_analysis.toolkit.errors import UnusableInputError

CULTURE_INDICATORS = tuple(f"z_{term}" for term in CULTURE_TERMS)


def prediction_check(
    linked: pd.DataFrame | LinkResult,
    groups: str = "ons_code",
    n_splits: int = 5,
    outcome: str = "fully_achieved",
    indicators: Sequence[str] = CULTURE_INDICATORS,
    base_features: Sequence[str] = ("financial_year",),
    n_bins: int = 10,
    n_repeats: int = 5,
    random_state: int = 0,
) -> dict[str, pd.DataFrame]:
    """Do the culture indicators predict outcomes in councils the model has not seen?

    Grouped cross-validation (GroupKFold by council) of a logistic model on `base_features`
    alone and with the `indicators` added. Categorical base features are one-hot encoded.

    Parameters
    ----------
    linked
        Linked enquiries (one row per person, 0/1 `outcome`), or a LinkResult.
    groups
        The council column: folds never split a council.
    n_splits
        Folds; there must be at least as many councils.
    outcome
        The 0/1 outcome column; both values must occur.
    indicators
        Indicator columns added in the second model (``z_`` scores of CULTURE_TERMS by default).
    base_features
        Features of both models.
    n_bins
        Quantile bins of the calibration curve.
    n_repeats, random_state
        Shuffles per feature and fold in the permutation importance, and their seed.

    Returns
    -------
    dict of DataFrame
        ``summary`` (out-of-council AUC pooled over folds and per fold, Brier score),
        ``calibration`` (mean predicted against observed rate per bin of out-of-fold
        predictions), ``permutation_importance`` (drop in held-out AUC when one feature is
        shuffled, mean and SD over folds and repeats) and ``folds``.

    >>> prediction_check(linked)["summary"]  # doctest: +SKIP
    """
    # lazy: scikit-learn costs 1 s to import and only this check uses it
    from sklearn.calibration import calibration_curve
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold

    if isinstance(linked, LinkResult):
        linked = linked.data
    columns = list(dict.fromkeys([outcome, groups, *indicators, *base_features]))
    frame, dropped = model_frame(linked, columns)
    y = pd.to_numeric(frame[outcome]).to_numpy(dtype=int)
    if set(np.unique(y)) != {0, 1}:
        raise UnusableInputError(f"outcome {outcome!r} must take both values 0 and 1")
    n_groups = frame[groups].nunique()
    if n_groups < n_splits:
        raise UnusableInputError(f"{n_groups} councils cannot be split into {n_splits} folds")
    base = _features(frame, list(base_features))
    full = pd.concat([base, frame[list(indicators)].astype(float)], axis=1)
    designs = {"without culture indicators": base, "with culture indicators": full}
    splitter = GroupKFold(n_splits=n_splits)
    predictions = {name: np.zeros(len(frame)) for name in designs}
    fold_rows: list[dict[str, Any]] = []
    importance: list[pd.DataFrame] = []
    # People alike in every feature and the outcome are one cell: each fold's models are fitted on the cells of
    # its training people, weighted by how many they are (the same objective as one row per person), and predict
    # each cell once. With council-level features a few thousand cells stand for every person.
    cell, first = cell_index(full.assign(_y=y), [*full.columns, "_y"])
    for fold, (train, test) in enumerate(splitter.split(full, y, frame[groups])):
        weights = np.bincount(cell[train], minlength=len(first)).astype(float)
        used = np.flatnonzero(weights > 0)
        for name, X in designs.items():
            cells = X.iloc[first]
            model = LogisticRegression(max_iter=1000).fit(cells.iloc[used], y[first[used]], sample_weight=weights[used])
            p = model.predict_proba(cells)[:, 1][cell[test]]
            predictions[name][test] = p
            fold_rows.append({"model": name, "fold": fold, "n": len(test),
                              "auc": roc_auc_score(y[test], p) if len(set(y[test])) == 2 else np.nan,
                              "brier": brier_score_loss(y[test], p)})
            if name == "with culture indicators":
                importance.append(pd.DataFrame(permutation_importance(
                    model, X.iloc[test].to_numpy(dtype=float), y[test], n_repeats, random_state + fold),
                    index=X.columns))
    folds = pd.DataFrame(fold_rows)
    summary, calibration = [], []
    for name, p in predictions.items():
        per_fold = folds[folds["model"] == name]
        summary.append({"model": name, "features": list(designs[name].columns), "auc": roc_auc_score(y, p),
                        "auc_fold_mean": per_fold["auc"].mean(), "auc_fold_sd": per_fold["auc"].std(ddof=1),
                        "brier": brier_score_loss(y, p), "n": len(y), "councils": n_groups, "n_splits": n_splits,
                        "rows_dropped": dropped})
        observed, predicted = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
        calibration.append(pd.DataFrame({"model": name, "mean_predicted": predicted, "observed_rate": observed}))
    scores = pd.concat(importance, axis=1)
    permutation = pd.DataFrame({"feature": scores.index, "importance_mean": scores.mean(axis=1).to_numpy(),
                                "importance_sd": scores.std(axis=1, ddof=1).to_numpy()})
    return {"summary": pd.DataFrame(summary), "calibration": pd.concat(calibration, ignore_index=True),
            "permutation_importance": permutation.sort_values("importance_mean", ascending=False)
            .reset_index(drop=True), "folds": folds}


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random 1 scores above a random 0, ties counting half.

    The Mann–Whitney form of scikit-learn's ``roc_auc_score`` (equal to it to rounding), in one ranking.
    """
    from scipy.stats import rankdata  # lazy: only this check uses it

    positive = y == 1
    n1 = int(positive.sum())
    n0 = len(y) - n1
    if not (n1 and n0):
        return float("nan")
    return float((rankdata(score)[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def permutation_importance(model, X: np.ndarray, y: np.ndarray, n_repeats: int, random_state: int) -> np.ndarray:
    """Drop in held-out AUC when each column of `X` is shuffled, per repeat: (columns, repeats).

    scikit-learn's ``permutation_importance(model, X, y, scoring="roc_auc", n_repeats=…,
    random_state=…)`` for a fitted binary ``LogisticRegression``, computed the same way (the same
    seed per column, each repeat shuffling the column as the previous repeat left it) with the
    predicted probabilities and the AUC computed here: scikit-learn's scorer costs about 30 ms a
    call in input checks, 80 calls in the England evaluation.
    """
    from scipy.special import expit  # lazy: as above

    def score(matrix: np.ndarray) -> float:
        return auc(y, expit(matrix @ model.coef_.T + model.intercept_)[:, 0])

    baseline = score(X)
    seed = np.random.RandomState(random_state).randint(np.iinfo(np.int32).max + 1)
    out = np.empty((X.shape[1], n_repeats))
    for column in range(X.shape[1]):
        rng = np.random.RandomState(seed)
        permuted = X.copy()
        order = np.arange(len(X))
        for repeat in range(n_repeats):
            rng.shuffle(order)
            permuted[:, column] = permuted[order, column]
            out[column, repeat] = baseline - score(permuted)
    return out


def _features(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Numeric columns as they are, others one-hot (first level dropped); a constant when there are none."""
    parts: list[pd.Series | pd.DataFrame] = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).rename(column))
        else:
            parts.append(pd.get_dummies(values.astype(str), prefix=column, drop_first=True, dtype=float))
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    if out.shape[1] == 0:
        out = pd.DataFrame({"constant": np.zeros(len(frame))}, index=frame.index)
    return out
