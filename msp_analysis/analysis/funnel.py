"""Funnel-plot control limits: how far a unit's rate may sit from the centre by chance alone.

A council with few people can land far from England's rate by chance; a large council
cannot. Funnel plots (Spiegelhalter, 2005) draw, for every volume ``n``, the range a rate
would fall in with the given probability if the council's true rate were the centre's. The
plain limits here are exact binomial quantiles, interpolated so that they are smooth in ``n``
(Spiegelhalter's appendix), not the normal approximation, which is too narrow for small
councils.

Councils differ by more than chance: their true rates are not all England's. Plain binomial
limits then flag most large councils. :func:`estimate_overdispersion` measures that extra
variation as Spiegelhalter (2005, "Funnel plots for comparing institutional performance",
section 6) does: z-scores against the centre, winsorised at 10% each end, give the
multiplicative over-dispersion factor ``phi``; from it a DerSimonian-Laird style moment
estimate gives the additive between-council variance ``tau2``. :func:`adjusted_limits` widens
the limits with either; the **additive** random-effects method is the default
(:data:`DEFAULT_METHOD`), because it widens the limits of large councils most, which is where
plain limits mislead, and leaves small councils' limits close to the binomial ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy import special

# limit name → upper-tail probability: 95% limits use 0.975, 99.8% limits 0.999
CONTROL_LIMITS = {"95": 0.975, "998": 0.999}
# how over-dispersion widens the limits: "additive" (random effects, tau2), "multiplicative" (phi) or "none"
OVERDISPERSION_METHODS = ("additive", "multiplicative", "none")
DEFAULT_METHOD = "additive"
WINSOR_FRACTION = 0.10  # the share of z-scores pulled in at each end before phi is estimated


def _binom_ppf(q: float, n: np.ndarray, p: float) -> np.ndarray:
    """``scipy.stats.binom.ppf(q, n, p)`` for 0 < q < 1, whole n > 0 and 0 < p < 1: the function it calls, without
    importing scipy.stats (about 2 s of a kernel's CPU on the 2-core machine, for this alone)."""
    if not hasattr(special, "_ufuncs") or not hasattr(special._ufuncs, "_binom_ppf"):  # another SciPy: its stats
        from scipy import stats
        return stats.binom.ppf(q, n, p)
    return special._ufuncs._binom_ppf(q, n, p)


def _binom_cdf(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """``scipy.stats.binom.cdf(k, n, p)`` for whole n > 0 and 0 < p < 1 (0 below 0 and 1 from n, as it is)."""
    if not hasattr(special, "_ufuncs") or not hasattr(special._ufuncs, "_binom_cdf"):
        from scipy import stats
        return stats.binom.cdf(k, n, p)
    k = np.floor(k)
    return np.where(k < 0, 0.0, np.where(k >= n, 1.0, special._ufuncs._binom_cdf(k, n, p)))


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
        r = _binom_ppf(p, n, centre)
        upper_cdf = _binom_cdf(r, n, centre)
        lower_cdf = _binom_cdf(r - 1, n, centre)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(upper_cdf > lower_cdf, (upper_cdf - p) / (upper_cdf - lower_cdf), 0.0)
        return np.clip((r - alpha) / n, 0, 1)

    return limit(1 - probability), limit(probability)


def limit_curves(centre: float, n_max: float, points: int = 150,
                 dispersion: OverDispersion | None = None) -> pd.DataFrame:
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
    dispersion : OverDispersion, optional
        When given, the limits allow for over-dispersion (:func:`adjusted_limits`); its centre
        must be `centre`. Without it they are the exact binomial limits.
    """
    grid = np.unique(np.round(np.geomspace(5, max(float(n_max), 10) * 1.03, points)))  # binomial n are whole
    limits = pd.DataFrame({"n": grid})
    for name, probability in CONTROL_LIMITS.items():
        low, high = (funnel_limits(centre, grid, probability) if dispersion is None
                     else adjusted_limits(grid, probability, dispersion))
        limits[f"lower_{name}"], limits[f"upper_{name}"] = 100 * low, 100 * high
    return limits


# --- over-dispersion (Spiegelhalter 2005, section 6) --------------------------------------------------


@dataclass(frozen=True)
class OverDispersion:
    """How much more councils vary than chance alone would make them, and how the limits allow for it.

    Attributes
    ----------
    centre : float
        The target proportion (0-1) the z-scores were taken against.
    phi : float
        Multiplicative over-dispersion factor: the mean squared winsorised z-score (1 when
        councils vary as chance alone would).
    tau2 : float
        Additive between-council variance of the true proportions (proportion², 0 when
        ``units * phi <= units - 1``).
    units : int
        Number of councils the estimate rests on.
    method : str
        Which adjustment :func:`adjusted_limits` applies: one of :data:`OVERDISPERSION_METHODS`.
    """

    centre: float
    phi: float
    tau2: float
    units: int
    method: str = DEFAULT_METHOD

    @property
    def tau(self) -> float:
        """Between-council standard deviation of the true proportions (0-1)."""
        return math.sqrt(self.tau2)

    @property
    def adjusts(self) -> bool:
        """True when the limits are wider than the binomial ones."""
        if self.method == "additive":
            return self.tau2 > 0
        return self.method == "multiplicative" and self.phi > 1


def z_scores(k: np.ndarray, n: np.ndarray, centre: float) -> np.ndarray:
    """Binomial z-scores of proportions ``k / n`` against `centre`: ``(k/n - centre) / sqrt(centre(1-centre)/n)``.

    Parameters
    ----------
    k, n : array-like
        Numerators and denominators (each ``n > 0``).
    centre : float
        The target proportion (0-1), strictly between 0 and 1.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    return (k / n - centre) / np.sqrt(centre * (1 - centre) / n)


def winsorise(values: np.ndarray, fraction: float = WINSOR_FRACTION) -> np.ndarray:
    """`values` with the ``floor(fraction * len)`` smallest and largest set to the next value in.

    With 20 values and 10%, the two smallest become the third smallest and the two largest the
    third largest (Spiegelhalter 2005: the 10% most extreme z-scores at each end are set to the
    10th and 90th percentiles). Order is kept.

    Parameters
    ----------
    values : array-like
        The z-scores.
    fraction : float
        Share pulled in at each end, from 0 up to (not including) 0.5.
    """
    if not 0 <= fraction < 0.5:
        raise ValueError(f"the winsorising fraction must be from 0 to below 0.5, not {fraction}")
    values = np.asarray(values, dtype=float)
    cut = int(math.floor(fraction * len(values)))
    if cut == 0:
        return values.copy()
    ordered = np.sort(values)
    return np.clip(values, ordered[cut], ordered[-cut - 1])


def estimate_overdispersion(k: np.ndarray, n: np.ndarray, centre: float, method: str = DEFAULT_METHOD,
                            fraction: float = WINSOR_FRACTION) -> OverDispersion:
    """Spiegelhalter's (2005) over-dispersion estimates from the councils' counts.

    ``phi = mean(winsorised z²)``; with weights ``w = 1 / s²``, ``s² = centre(1-centre)/n``,
    ``tau2 = (I·phi - (I-1)) / (Σw - Σw²/Σw)``, or 0 when ``I·phi <= I-1`` (I councils).

    Parameters
    ----------
    k, n : array-like
        Each council's numerator and denominator; councils with ``n == 0`` are left out.
    centre : float
        The target proportion (0-1), e.g. England's rate, strictly between 0 and 1.
    method : str
        The adjustment the result asks :func:`adjusted_limits` for (:data:`OVERDISPERSION_METHODS`).
    fraction : float
        Winsorising fraction at each end (10% by default).

    Returns
    -------
    OverDispersion
        ``phi`` and ``tau2``, 1 and 0 with fewer than two councils.

    >>> d = estimate_overdispersion([50, 50], [100, 100], 0.5)
    >>> d.phi, d.tau2
    (0.0, 0.0)
    """
    if method not in OVERDISPERSION_METHODS:
        raise ValueError(f"unknown over-dispersion method {method!r}; expected one of {OVERDISPERSION_METHODS}")
    if not 0 < centre < 1:
        raise ValueError(f"the centre must be strictly between 0 and 1, not {centre}")
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    keep = n > 0
    k, n = k[keep], n[keep]
    units = len(n)
    if units < 2:
        return OverDispersion(centre=centre, phi=1.0, tau2=0.0, units=units, method=method)
    phi = float(np.mean(winsorise(z_scores(k, n, centre), fraction) ** 2))
    weights = n / (centre * (1 - centre))
    excess = units * phi - (units - 1)
    tau2 = max(0.0, excess / (weights.sum() - (weights ** 2).sum() / weights.sum()))
    return OverDispersion(centre=centre, phi=phi, tau2=float(tau2), units=units, method=method)


def adjusted_limits(n: np.ndarray, probability: float,
                    dispersion: OverDispersion) -> tuple[np.ndarray, np.ndarray]:
    """Control limits (proportions) around ``dispersion.centre`` that allow for over-dispersion.

    Additive: ``centre ± z·sqrt(s² + tau2)``; multiplicative: ``centre ± z·sqrt(phi)·s``, with
    ``s² = centre(1-centre)/n`` and ``z`` the normal quantile of `probability` (Spiegelhalter
    2005). They are never narrower than the exact binomial limits of :func:`funnel_limits`
    (the normal approximation is too narrow for small councils), and are those limits when
    the method does not widen them (``tau2 == 0``, ``phi <= 1`` or ``"none"``).

    Parameters
    ----------
    n : array-like
        Sample sizes.
    probability : float
        Upper-tail probability of the limits (0.975 for 95% limits).
    dispersion : OverDispersion
        From :func:`estimate_overdispersion`.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits as proportions, clipped to [0, 1].
    """
    centre = dispersion.centre
    if not dispersion.adjusts:
        return funnel_limits(centre, n, probability)
    n = np.round(np.asarray(n, dtype=float))
    variance = centre * (1 - centre) / n
    if dispersion.method == "additive":
        spread = np.sqrt(variance + dispersion.tau2)
    else:
        spread = np.sqrt(dispersion.phi * variance)
    z = float(special.ndtri(probability))  # the normal quantile (scipy.stats.norm.ppf is this function)
    exact_low, exact_high = funnel_limits(centre, n, probability)  # the normal approximation is too narrow for small n
    low = np.minimum(np.clip(centre - z * spread, 0, 1), exact_low)
    high = np.maximum(np.clip(centre + z * spread, 0, 1), exact_high)
    return low, high


def funnel_band(rate: float, n: float, dispersion: OverDispersion | None, centre: float | None = None) -> str:
    """Where a rate (%) of volume `n` sits: ``"within"``, ``"above_95"``, ``"below_95"``, ``"above_998"``, ``"below_998"``.

    The ``_95`` bands are outside the 95% limits but inside the 99.8% ones. Limits are
    :func:`adjusted_limits` when `dispersion` is given, else the binomial limits around `centre`.

    Parameters
    ----------
    rate : float
        The council's rate in % (0-100).
    n : float
        Its volume (the rate's denominator).
    dispersion : OverDispersion or None
        Over-dispersion estimate, or None for the plain binomial limits.
    centre : float, optional
        The target proportion (0-1); needed when `dispersion` is None.
    """
    return funnel_bands([rate], [n], dispersion, centre)[0]


def funnel_bands(rates: Sequence[float], n: Sequence[float], dispersion: OverDispersion | None,
                 centre: float | None = None) -> list[str]:
    """:func:`funnel_band` of every (rate, volume) pair at once: the limits computed for every volume in one call.

    A batch of locality reports places every council once, with the year's shared work, instead of each
    report computing its own council's limits (and loading the binomial quantiles for it).
    """
    shown, volumes = np.asarray(rates, dtype=float), np.asarray(n, dtype=float)
    if dispersion is None and centre is None:
        raise ValueError("funnel_band needs a centre or an over-dispersion estimate")

    def limits(probability: float) -> tuple[np.ndarray, np.ndarray]:
        low, high = (funnel_limits(cast(float, centre), volumes, probability) if dispersion is None
                     else adjusted_limits(volumes, probability, dispersion))
        return 100 * low, 100 * high

    (low95, high95), (low998, high998) = limits(CONTROL_LIMITS["95"]), limits(CONTROL_LIMITS["998"])
    side = np.where(shown > high95, "above", "below")
    beyond = np.where((low998 <= shown) & (shown <= high998), "95", "998")
    within = (low95 <= shown) & (shown <= high95)
    return ["within" if w else f"{s}_{b}" for w, s, b in zip(within, side, beyond, strict=True)]


def compare_to_centre(rate: float, n: float, centre: float,
                      probability: float = CONTROL_LIMITS["95"]) -> tuple[str, float, float]:
    """Whether a rate (%) of volume `n` is distinguishable from `centre` by chance alone, and the limits.

    Returns ``("higher" | "lower" | "similar", lower, upper)``: "similar" when the rate is within
    the exact binomial limits (:func:`funnel_limits`, 95% by default) around `centre` for `n`;
    the limits are in %.

    Parameters
    ----------
    rate : float
        The rate in % (0-100).
    n : float
        Its denominator.
    centre : float
        The proportion (0-1) compared with, e.g. England's.
    probability : float
        Upper-tail probability of the limits (0.975 for 95% limits).

    >>> compare_to_centre(60.0, 100, 0.5)[0], compare_to_centre(55.0, 100, 0.5)[0]
    ('higher', 'similar')
    """
    low, high = (100 * float(v[0]) for v in funnel_limits(centre, np.array([n]), probability))
    side = "similar" if low <= rate <= high else "higher" if rate > high else "lower"
    return side, low, high
