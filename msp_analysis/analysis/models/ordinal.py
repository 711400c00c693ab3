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

from msp_analysis.analysis.models.design import cell_index, numeric_matrix, with_intercept
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

    People alike in council and predictors are one cell (the predictors are council-wave
    values, so a few thousand cells stand for every person): the proportional-odds likelihood
    is maximised on the cells' counts per level by Newton-Raphson with its exact gradient and
    Hessian, and the standard errors are statsmodels' ``cov_type="cluster"`` ones (the inverse
    Hessian around the council score sums, times G/(G-1) (N-1)/(N-p)) computed from the same
    sums. The answer is statsmodels' ``OrderedModel`` fit on the person rows, to the precision
    of its optimiser and numerical derivatives (:func:`_fit_statsmodels`, also the fallback
    when Newton's method fails).

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
    codes, levels = ordinal_levels(frame, outcome)
    groups, names = pd.factorize(frame[cluster], sort=True)
    cell, first = cell_index(frame, list(dict.fromkeys([cluster, *terms.values()])))
    K = len(levels)
    counts = np.bincount(cell * K + codes, minlength=len(first) * K).reshape(len(first), K)
    pair_cell, pair_level = np.nonzero(counts)  # one row per cell and level that occurs
    X = numeric_matrix(frame, terms)[first][pair_cell]
    weights, pair_groups = counts[pair_cell, pair_level].astype(float), groups[first][pair_cell]
    fit = proportional_odds_mle(X, pair_level, weights, K)
    k = X.shape[1]
    if fit is None:
        slopes, std_error, thresholds = _fit_statsmodels(codes, numeric_matrix(frame, terms), groups, K)
    else:
        params, information, scores = fit
        council_scores = np.column_stack([np.bincount(pair_groups, weights=scores[:, j], minlength=len(names))
                                          for j in range(scores.shape[1])])
        bread = np.linalg.inv(information)
        G, n, p = len(names), len(frame), len(params)
        cov = bread @ council_scores.T @ council_scores @ bread * G / (G - 1.0) * (n - 1.0) / (n - p)
        slopes, std_error, thresholds = params[:k], np.sqrt(np.diag(cov)[:k]), params[k:]
    check = proportional_odds_check(pair_level, X, pair_groups, len(names), list(terms), slopes, weights=weights)
    cut_names = [f"{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
    return MethodFit(
        names=list(terms), estimate=slopes, std_error=std_error, n=len(frame), clusters=len(names),
        details={"levels": levels, "thresholds": dict(zip(cut_names, thresholds, strict=True)),
                 "proportional_odds": check["table"], "proportional_odds_test": check["test"]})


NEWTON_MAX_STEPS = 100
NEWTON_TOLERANCE = 1e-10  # largest step, relative to the parameters' size, taken as converged


def proportional_odds_mle(X: np.ndarray, level: np.ndarray, weights: np.ndarray, n_levels: int,
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The proportional-odds logit MLE from weighted rows, by Newton-Raphson; None if it fails.

    P(Y <= j | x) = F(theta_j - x'beta) with F the logistic distribution, as statsmodels'
    ``OrderedModel(distr="logit")``. Each row's log-probability depends on the parameters through
    its upper and lower bounds a = theta_j - x'beta and b = theta_(j-1) - x'beta, so the gradient
    and Hessian are those of a function of two linear indices.

    Parameters
    ----------
    X
        Predictors (no intercept), one row per cell and level.
    level
        The row's level, 0..n_levels-1.
    weights
        People in the row.
    n_levels
        Levels of the outcome.

    Returns
    -------
    tuple or None
        The parameters (slopes, then the cut points), the information (minus the Hessian of the
        log-likelihood) and each row's score times its weight; None when the information is not
        positive definite or the steps do not converge (the caller falls back to statsmodels).
    """
    n, k = X.shape
    cuts = n_levels - 1
    # the rows of the two linear indices: a = Za phi, b = Zb phi, phi = (beta, theta)
    Za, Zb = np.zeros((n, k + cuts)), np.zeros((n, k + cuts))
    Za[:, :k], Zb[:, :k] = -X, -X
    top, bottom = level == n_levels - 1, level == 0
    Za[np.flatnonzero(~top), k + level[~top]] = 1.0
    Zb[np.flatnonzero(~bottom), k + level[~bottom] - 1] = 1.0
    shares = np.bincount(level, weights=weights, minlength=n_levels)
    start = _cut_points(shares)
    if start is None:
        return None
    phi = np.concatenate([np.zeros(k), start])
    current = _ordinal_loglik(phi, Za, Zb, top, bottom, weights)
    for _ in range(NEWTON_MAX_STEPS):
        gradient, information, scores = _ordinal_derivatives(phi, Za, Zb, top, bottom, weights)
        try:
            np.linalg.cholesky(information)
            step = np.linalg.solve(information, gradient)
        except np.linalg.LinAlgError:
            return None
        for _halving in range(30):  # halve until the cut points are in order and the likelihood does not fall
            trial = phi + step
            value = _ordinal_loglik(trial, Za, Zb, top, bottom, weights) if np.all(np.diff(trial[k:]) > 0) \
                else -np.inf
            if value >= current - 1e-12 * abs(current):
                break
            step = step / 2
        else:
            return None
        phi, current = trial, value
        if np.abs(step).max() <= NEWTON_TOLERANCE * (1 + np.abs(phi).max()):
            _gradient, information, scores = _ordinal_derivatives(phi, Za, Zb, top, bottom, weights)
            return phi, information, scores
    return None


def _cut_points(shares: np.ndarray) -> np.ndarray | None:
    """The logits of the cumulative shares of the levels: the cut points with no predictors (None if a level is empty)."""
    if (shares <= 0).any():
        return None
    cumulative = np.cumsum(shares)[:-1] / shares.sum()
    return np.log(cumulative / (1 - cumulative))


def _bounds(phi, Za, Zb, top, bottom):
    """F and its first two derivatives at each row's upper (a) and lower (b) bound, 0 beyond the end levels."""
    from scipy.special import expit

    out = []
    for Z, infinite, value in ((Za, top, 1.0), (Zb, bottom, 0.0)):
        F = expit(Z @ phi)
        F[infinite] = value
        f = F * (1 - F)
        out.extend([F, f, f * (1 - 2 * F)])
    return out


def _ordinal_loglik(phi, Za, Zb, top, bottom, weights) -> float:
    Fa, _fa, _da, Fb, _fb, _db = _bounds(phi, Za, Zb, top, bottom)
    probability = Fa - Fb
    if (probability <= 0).any():
        return -np.inf
    return float(weights @ np.log(probability))


def _ordinal_derivatives(phi, Za, Zb, top, bottom, weights):
    """Gradient, information and weighted row scores of the log-likelihood at `phi`."""
    Fa, fa, da, Fb, fb, db = _bounds(phi, Za, Zb, top, bottom)
    probability = Fa - Fb
    ua, ub = fa / probability, -fb / probability  # d log p / da, d log p / db
    scores = (Za * ua[:, None] + Zb * ub[:, None]) * weights[:, None]
    haa = da / probability - ua ** 2
    hbb = -db / probability - ub ** 2
    hab = -ua * ub  # fa fb / p^2
    hessian = (Za.T @ (Za * (weights * haa)[:, None]) + Zb.T @ (Zb * (weights * hbb)[:, None])
               + Za.T @ (Zb * (weights * hab)[:, None]) + Zb.T @ (Za * (weights * hab)[:, None]))
    return scores.sum(axis=0), -(hessian + hessian.T) / 2, scores


def _fit_statsmodels(codes: np.ndarray, X: np.ndarray, groups: np.ndarray, n_levels: int,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slopes, their cluster standard errors and the cut points from statsmodels' OrderedModel on person rows."""
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    model = OrderedModel(codes, X, distr="logit")
    start = np.concatenate([np.zeros(X.shape[1]), _start_thresholds(codes, n_levels)])
    result = model.fit(start_params=start, method="bfgs", disp=False, maxiter=500,
                       cov_type="cluster", cov_kwds={"groups": groups})
    k = X.shape[1]
    return (np.asarray(result.params[:k]), np.asarray(result.bse[:k]),
            np.asarray(model.transform_threshold_params(result.params)[1:-1]))


def _start_thresholds(codes: np.ndarray, k: int) -> np.ndarray:
    """OrderedModel's threshold parameters (first cut, then log increments) from marginal shares."""
    cumulative = np.clip(np.cumsum(np.bincount(codes, minlength=k))[:-1] / len(codes), 1e-6, 1 - 1e-6)
    cuts = np.log(cumulative / (1 - cumulative))
    return np.concatenate([[cuts[0]], np.log(np.maximum(np.diff(cuts), 1e-3))])


def proportional_odds_check(codes: np.ndarray, X: np.ndarray, groups: np.ndarray, n_groups: int,
                            terms: list[str], ordinal: np.ndarray,
                            weights: np.ndarray | None = None) -> dict[str, Any]:
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
    weights
        People per row when a row stands for several alike (same council, predictors and
        level); None: one person per row. The binary fits are the same either way.

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
    cuts = sorted(set(codes.tolist()))[1:]
    w = np.ones(len(codes)) if weights is None else np.asarray(weights, dtype=float)
    fits = [logit_cluster(design, (codes >= cut) * w, w, groups, n_groups) for cut in cuts]
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
