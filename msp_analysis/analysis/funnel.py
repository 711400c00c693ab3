"""Funnel-plot control limits: how far a unit's rate may sit from the centre by chance alone.

A council with few people can land far from England's rate by chance; a large council
cannot. Funnel plots (Spiegelhalter, 2005) draw, for every volume ``n``, the range a rate
would fall in with the given probability if the council's true rate were the centre's. The
limits here are exact binomial quantiles, interpolated so that they are smooth in ``n``
(Spiegelhalter's appendix), not the normal approximation, which is too narrow for small
councils.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# limit name → upper-tail probability: 95% limits use 0.975, 99.8% limits 0.999
CONTROL_LIMITS = {"95": 0.975, "998": 0.999}


def funnel_limits(centre: float, n: np.ndarray, probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits (proportions) around `centre` for sample sizes `n`.

    Spiegelhalter (2005): the `probability` quantile of Binomial(n, centre), interpolated
    so the limits are smooth in n. 95% limits use 0.975, 99.8% limits 0.999.

    Parameters
    ----------
    centre : float
        The target proportion (0-1), e.g. England's rate.
    n : array-like
        Sample sizes (rounded to whole numbers: binomial n are whole).
    probability : float
        Upper-tail probability of the limits (0.975 for 95% limits).

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits as proportions, clipped to [0, 1].

    >>> low, high = funnel_limits(0.5, np.array([100]), 0.975)
    >>> bool(low[0] < 0.5 < high[0])
    True
    """
    n = np.round(np.asarray(n, dtype=float))

    def limit(p: float) -> np.ndarray:
        r = stats.binom.ppf(p, n, centre)
        upper_cdf = stats.binom.cdf(r, n, centre)
        lower_cdf = stats.binom.cdf(r - 1, n, centre)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(upper_cdf > lower_cdf, (upper_cdf - p) / (upper_cdf - lower_cdf), 0.0)
        return np.clip((r - alpha) / n, 0, 1)

    return limit(1 - probability), limit(probability)


def limit_curves(centre: float, n_max: float, points: int = 150) -> pd.DataFrame:
    """The control limits to draw: ``n`` from 5 to just past `n_max`, and each limit in %.

    Columns ``n, lower_95, upper_95, lower_998, upper_998`` (see :data:`CONTROL_LIMITS`).

    Parameters
    ----------
    centre : float
        The target proportion (0-1).
    n_max : float
        The largest volume on the plot; the curves run to 3% beyond it (at least to 10).
    points : int
        Number of volumes, spaced evenly on a log scale (fewer once rounded to whole numbers).
    """
    grid = np.unique(np.round(np.geomspace(5, max(float(n_max), 10) * 1.03, points)))  # binomial n are whole
    limits = pd.DataFrame({"n": grid})
    for name, probability in CONTROL_LIMITS.items():
        low, high = funnel_limits(centre, grid, probability)
        limits[f"lower_{name}"], limits[f"upper_{name}"] = 100 * low, 100 * high
    return limits
