"""Effects readers can translate: predicted probabilities at −1 SD, the mean and +1 SD of each indicator.

For a binary logit (``glm_cluster``, ``gee``, ``mixed``) the average predicted probability of the
outcome is computed with one indicator set to a value for every person and everything else as
observed (an average marginal prediction), at the indicator's council-wave mean minus one SD,
its mean, and its mean plus one SD; the difference between +1 SD and −1 SD is given in
percentage points. Intervals are delta-method Wald intervals from the fit's covariance matrix
(clustered for ``glm_cluster`` and ``gee``, the council sandwich for ``mixed``, whose
predictions are for a council with a random intercept of zero: a typical council), with the t
quantile of the term's degrees of freedom when the fit has them per term (``glm_cluster``'s
Satterthwaite df: the slope is what the predictions at -1 and +1 SD differ by), else the normal one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from msp_analysis.analysis.models.design import INTERCEPT

Z_95 = 1.959963984540054


def predicted_probabilities(X: np.ndarray | Sequence[np.ndarray], weights: np.ndarray, names: list[str], estimate: np.ndarray,
                            cov: np.ndarray, terms: dict[str, int], levels: dict[str, tuple[float, float]],
                            sd_points: dict[str, float] | None = None,
                            df: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per term of `terms`: probabilities (%) at −1 SD, mean, +1 SD and the +1/−1 SD difference (points).

    Parameters
    ----------
    X
        The design matrix the model was fitted on (intercept first), one row per cell or person;
        or its columns (a list of arrays), which need not be copied into one matrix.
    weights
        People per row (trials).
    names, estimate, cov
        The fit's term names, estimates and their covariance (log-odds scale).
    terms
        ``{term: column index in X}`` of the terms to translate.
    levels
        ``{term: (mean, sd)}`` of each term's values across council-waves.
    sd_points
        ``{term: SD in score points}`` (the 1-5 answer scale) to print beside the SD; optional.
    df
        ``{term: degrees of freedom}`` of each term's t reference; a term without one uses the normal.
    """
    if INTERCEPT not in names:
        raise ValueError("predicted probabilities need a model with an intercept")
    w = np.asarray(weights, dtype=float) / float(np.sum(weights))
    estimate = np.asarray(estimate, dtype=float)
    columns = [X[:, j] for j in range(X.shape[1])] if isinstance(X, np.ndarray) else list(X)
    linear = np.zeros(len(w))
    for b, column_values in zip(estimate, columns, strict=True):
        linear += b * column_values
    # the design with one column set to a value, without copying it: X b moves by that column's share, and the
    # gradient's entry for the column is value * sum(w p (1 - p)); every term's three values in one pass over X
    settings = [(term, column, key, value) for term, column in terms.items()
                for key, value in zip(("low", "mean", "high"), _levels(levels[term]), strict=True)]
    slopes = np.empty((len(settings), len(w)))
    points = np.empty(len(settings))
    for i, (_term, column, _key, value) in enumerate(settings):
        p = expit(linear + (value - columns[column]) * estimate[column])
        points[i] = w @ p
        slopes[i] = w * p * (1 - p)
    gradients = np.column_stack([slopes @ values for values in columns])
    for i, (_term, column, _key, value) in enumerate(settings):
        gradients[i, column] = value * slopes[i].sum()
    at = {(term, key): i for i, (term, _column, key, _value) in enumerate(settings)}
    rows = []
    for term in terms:
        mean, sd = levels[term]
        values = {"low": mean - sd, "mean": mean, "high": mean + sd}
        point = {key: float(points[at[term, key]]) for key in values}
        gradient = {key: gradients[at[term, key]] for key in values}
        row = {"term": term, "sd": sd, "sd_points": (sd_points or {}).get(term, np.nan)}
        quantile = _quantile((df or {}).get(term))
        for key in values:
            se = float(np.sqrt(gradient[key] @ cov @ gradient[key]))
            row.update({f"p_{key}": 100 * point[key], f"p_{key}_low": 100 * (point[key] - quantile * se),
                        f"p_{key}_high": 100 * (point[key] + quantile * se)})
        diff_gradient = gradient["high"] - gradient["low"]
        diff = point["high"] - point["low"]
        se = float(np.sqrt(diff_gradient @ cov @ diff_gradient))
        row.update({"difference_points": 100 * diff, "difference_low": 100 * (diff - quantile * se),
                    "difference_high": 100 * (diff + quantile * se)})
        rows.append(row)
    return pd.DataFrame(rows)


def _quantile(df: float | None) -> float:
    """The 97.5% point of t with `df` degrees of freedom, or of the normal when there are none."""
    if df is None or not np.isfinite(df) or df <= 0:
        return Z_95
    # lazy: scipy.stats costs 0.8 s to import, and the CLI imports the method registry at start-up
    from scipy import stats

    return float(stats.t(df).ppf(0.975))


def _levels(mean_sd: tuple[float, float]) -> tuple[float, float, float]:
    mean, sd = mean_sd
    return mean - sd, mean, mean + sd
