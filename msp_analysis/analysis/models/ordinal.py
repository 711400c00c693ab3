"""``ordinal``: proportional-odds logit of ordered levels (not < partially < fully achieved).

Standard errors are council-clustered. Proportional odds are checked against the binary logits
at each cut point (``details["proportional_odds"]`` side by side, ``details["proportional_odds_test"]``
a cluster-robust Wald test that their slopes agree).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import numeric_matrix, with_intercept
from msp_analysis.analysis.models.glm_cluster import logit_cluster
from msp_analysis.analysis.models.result import MethodFit
from msp_analysis.toolkit.errors import UnusableInputError


def ordinal_levels(frame: pd.DataFrame, outcome: str) -> tuple[np.ndarray, list[Any]]:
    """Ordinal outcome as codes 0..K-1 (ordered categorical order, or sorted values), and the levels."""
    values = frame[outcome]
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    levels = sorted(values.unique())
    if len(levels) < 3:
        raise UnusableInputError(f"ordinal outcome {outcome!r} needs three or more ordered levels, found {levels}")
    return values.map({v: i for i, v in enumerate(levels)}).to_numpy(dtype="int64"), levels


def fit_ordinal(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
                trials: str | None = None, year: str | None = None) -> MethodFit:
    """Fit ``ordinal``: slopes only (no intercept term; the cut points are in ``details["thresholds"]``).

    Parameters
    ----------
    frame
        One row per person.
    outcome
        Ordered categorical column, or values whose sort order is the order (three or more levels).
    terms
        ``{term: column}``.
    cluster
        The council column.
    trials, year
        Not used: the registry refuses counts for this method, and passes the year to every method.
    """
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    codes, levels = ordinal_levels(frame, outcome)
    groups, names = pd.factorize(frame[cluster], sort=True)
    X = numeric_matrix(frame, terms)
    model = OrderedModel(codes, X, distr="logit")
    start = np.concatenate([np.zeros(X.shape[1]), _start_thresholds(codes, len(levels))])
    result = model.fit(start_params=start, method="bfgs", disp=False, maxiter=500,
                       cov_type="cluster", cov_kwds={"groups": groups})
    k = X.shape[1]
    thresholds = model.transform_threshold_params(result.params)[1:-1]
    check = proportional_odds_check(codes, X, groups, len(names), list(terms), np.asarray(result.params[:k]))
    cut_names = [f"{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    return MethodFit(
        names=list(terms), estimate=np.asarray(result.params[:k]), std_error=np.asarray(result.bse[:k]),
        n=len(frame), clusters=len(names),
        details={"levels": levels, "thresholds": dict(zip(cut_names, thresholds, strict=True)),
                 "proportional_odds": check["table"], "proportional_odds_test": check["test"]})


def _start_thresholds(codes: np.ndarray, k: int) -> np.ndarray:
    """OrderedModel's threshold parameters (first cut, then log increments) from marginal shares."""
    cumulative = np.clip(np.cumsum(np.bincount(codes, minlength=k))[:-1] / len(codes), 1e-6, 1 - 1e-6)
    cuts = np.log(cumulative / (1 - cumulative))
    return np.concatenate([[cuts[0]], np.log(np.maximum(np.diff(cuts), 1e-3))])


def proportional_odds_check(codes: np.ndarray, X: np.ndarray, groups: np.ndarray, n_groups: int,
                            terms: list[str], ordinal: np.ndarray) -> dict[str, Any]:
    """Binary logits at each cut (Y >= j) side by side, and a cluster-robust Wald test that their slopes agree.

    Under proportional odds every cut has the same slopes as the ordinal model. The binary fits
    share their people, so their slopes are compared with the stacked cluster sandwich (a
    Brant-type test robust to clustering).

    Parameters
    ----------
    codes
        Ordinal codes 0..K-1, one per person.
    X
        Predictor matrix without the intercept.
    groups, n_groups
        Council code of each person, and the number of codes.
    terms
        Names of the columns of `X`.
    ordinal
        The slopes of the ordinal model, shown beside the cut-point slopes.

    Returns
    -------
    dict
        ``table`` (one row per term: ordinal and per-cut slopes, last minus first cut and its
        p-value) and ``test`` (joint Wald ``chi2``, ``df``, ``p_value``).
    """
    # lazy: scipy.stats costs 0.8 s to import, and the CLI imports the method registry at start-up
    from scipy import stats

    design = with_intercept(X)
    k = X.shape[1]
    cuts = sorted(set(codes))[1:]
    fits = [logit_cluster(design, (codes >= cut).astype(float), np.ones(len(codes)), groups, n_groups)
            for cut in cuts]
    G = fits[0].groups
    bread = _block_diagonal([f.bread for f in fits])
    scores = np.hstack([f.cluster_scores for f in fits])
    cov = G / max(G - 1, 1) * bread @ scores.T @ scores @ bread
    slopes = [np.asarray(f.params)[1:] for f in fits]
    size = k + 1
    rows = []
    for j, term in enumerate(terms):
        row: dict[str, Any] = {"term": term, "ordinal_estimate": ordinal[j]}
        for c, (cut, fit) in enumerate(zip(cuts, fits, strict=True)):
            row[f"cut_{cut}_estimate"] = slopes[c][j]
            row[f"cut_{cut}_std_error"] = math.sqrt(fit.cov[j + 1, j + 1])
        first, last = 1 + j, (len(cuts) - 1) * size + 1 + j
        contrast = np.zeros(len(cuts) * size)
        contrast[last], contrast[first] = 1, -1
        diff = slopes[-1][j] - slopes[0][j]
        se = math.sqrt(contrast @ cov @ contrast)
        row.update({"difference": diff, "difference_std_error": se,
                    "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan")})
        rows.append(row)
    # Joint Wald test: slopes of every cut equal to those of the first.
    contrasts = []
    for c in range(1, len(cuts)):
        for j in range(k):
            contrast = np.zeros(len(cuts) * size)
            contrast[c * size + 1 + j], contrast[1 + j] = 1, -1
            contrasts.append(contrast)
    A = np.array(contrasts)
    d = A @ np.concatenate([np.asarray(f.params) for f in fits])
    statistic = float(d @ np.linalg.pinv(A @ cov @ A.T) @ d)
    df = A.shape[0]
    return {"table": pd.DataFrame(rows),
            "test": {"chi2": statistic, "df": df, "p_value": float(stats.chi2.sf(statistic, df))}}


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for block in blocks:
        n = block.shape[0]
        out[at:at + n, at:at + n] = block
        at += n
    return out
