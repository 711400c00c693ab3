"""Power and sample size for a planned temperature check.

The question asked before funding a temperature check: with N councils and about M enquiries
(with expressed outcomes) per council, how likely is the planned analysis to detect a culture
effect of a given size on *outcomes fully achieved*?  Two answers, checked against each other
in ``tests/test_power.py``:

* :func:`power_design_effect` — the Wald test of the culture slope with the variance inflated
  by the design effect 1 + (M - 1)·ICC, plus the few-council behaviour of clustered errors;
* :func:`power_simulation` — simulate the design and count how often the fitted model
  (binomial GLM on council aggregates, council-clustered standard errors) rejects H0.

Conventions shared by both, so that they answer the same question:

* **ICC is on the latent (logit) scale**, ``icc = s² / (s² + π²/3)`` with ``s`` the SD of the
  council random intercept — the scale of the simulator's ``council_random_effect_sd`` (0.25,
  ICC ≈ 0.019) and of a mixed model's ICC.  The design effect needs the ICC of the observed
  0/1 outcome, which is smaller; :func:`proportion_scale_icc` converts.
* **The odds ratio is per SD of a council-level culture indicator and council-specific**
  (conditional on the council intercept), as in the simulator's ``truth.json``.  The GLM
  estimates the slightly attenuated population-averaged slope; the approximation allows for it.
* **baseline** is the population ("national") rate of fully achieved outcomes for councils at
  the mean culture score, averaged over councils: 0.68 by default.
* **Standard errors** ``"bias_reduced"`` (default): Mancl-DeRouen clustered errors, the
  project's choice for fewer than 40 councils, referred to t with ``councils - 2`` df — the
  test that keeps its 5% size with 10-40 councils.  ``"cluster"``: the usual CR1 clustered
  errors (statsmodels ``cov_type="cluster"`` on record-level rows) referred to t with
  ``councils - 1`` df; with 20 councils it rejects a true null about 8% of the time, so part
  of its "power" is false positives.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal

import numpy as np
from scipy import optimize, special, stats

from msp_analysis.toolkit.errors import ParameterError

NATIONAL_FULLY_ACHIEVED = 0.68
LOGISTIC_VARIANCE = math.pi**2 / 3
# Zeger, Liang & Albert (1988): population-averaged slope ≈ council-specific slope / sqrt(1 + c²s²)
ZEGER_C2 = (16 * math.sqrt(3) / (15 * math.pi)) ** 2
GEOMETRY_DRAWS = 4000     # culture-score layouts averaged over by the approximation
GEOMETRY_SEED = 20240101  # fixed, so the approximation is a deterministic function of its inputs

StandardErrors = Literal["bias_reduced", "cluster"]


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def _is_whole(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Integral):
        return True
    return isinstance(value, Real) and math.isfinite(value) and float(value).is_integer()


def _validate(councils: int, enquiries_per_council: int, icc: float, odds_ratio: float,
              baseline: float, alpha: float, standard_errors: str = "bias_reduced") -> None:
    if not _is_whole(councils) or councils < 3:
        # the brief allowed 2, but intercept + slope from 2 councils leave 0 degrees of freedom
        raise ParameterError(f"councils must be a whole number of at least 3 (got {councils!r}): a slope "
                         "and an intercept estimated from N councils leave N - 2 degrees of freedom")
    if not _is_whole(enquiries_per_council) or enquiries_per_council < 1:
        raise ParameterError(f"enquiries_per_council must be a whole number of at least 1 "
                         f"(got {enquiries_per_council!r})")
    if not (isinstance(icc, Real) and math.isfinite(icc) and 0 <= icc < 1):
        raise ParameterError(f"icc must satisfy 0 <= icc < 1 (got {icc!r}); it is the latent-scale "
                         "(logit) intra-council correlation")
    if not (isinstance(odds_ratio, Real) and math.isfinite(odds_ratio) and odds_ratio > 0):
        raise ParameterError(f"odds_ratio must be a positive number (got {odds_ratio!r}); "
                         "1 means no culture effect")
    if not (isinstance(baseline, Real) and math.isfinite(baseline) and 0 < baseline < 1):
        raise ParameterError(f"baseline must be a probability strictly between 0 and 1 (got {baseline!r})")
    if not (isinstance(alpha, Real) and math.isfinite(alpha) and 0 < alpha < 1):
        raise ParameterError(f"alpha must be strictly between 0 and 1 (got {alpha!r})")
    if standard_errors not in ("bias_reduced", "cluster"):
        raise ParameterError(f"standard_errors must be 'bias_reduced' or 'cluster' (got {standard_errors!r})")


def _reference_df(councils: int, standard_errors: StandardErrors) -> int:
    """Degrees of freedom of the t reference: N - 2 (bias-reduced) or N - 1 (CR1, Stata/statsmodels)."""
    return councils - 2 if standard_errors == "bias_reduced" else councils - 1


def _cr1_factor(councils: int, enquiries: int) -> float:
    """statsmodels/Stata CR1 factor G/(G-1)·(n-1)/(n-k) with n the number of enquiries, k = 2."""
    n = councils * enquiries
    return councils / (councils - 1) * ((n - 1) / (n - 2) if n > 2 else 1.0)


def council_intercept_sd(icc: float) -> float:
    """SD of the council random intercept (logit scale) implied by a latent-scale ICC.

    Inverts ``icc = s² / (s² + π²/3)`` so the simulation matches the ICC it is given.
    Example: ``council_intercept_sd(0.019)`` ≈ 0.25, the simulator's council SD.
    """
    return math.sqrt(icc * LOGISTIC_VARIANCE / (1 - icc))


def _hermite() -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    return nodes, weights / weights.sum()


def marginal_intercept(baseline: float, icc: float) -> float:
    """Council-specific intercept whose average over councils gives the rate ``baseline``.

    Why: the national rate averages councils, and the average of expit(b0 + u) is pulled
    towards 0.5, so b0 is not logit(baseline) once councils differ (Gauss-Hermite + root find).
    Example: ``marginal_intercept(0.68, 0.0)`` = logit(0.68) ≈ 0.754; at ICC 0.05 ≈ 0.784.
    """
    sd = council_intercept_sd(icc)
    start = float(special.logit(baseline))
    if sd == 0:
        return start
    nodes, weights = _hermite()

    def gap(b0: float) -> float:
        return float(weights @ special.expit(b0 + sd * nodes)) - baseline

    return float(optimize.brentq(gap, start - 20, start + 20, xtol=1e-12))


def proportion_scale_icc(icc: float, baseline: float = NATIONAL_FULLY_ACHIEVED) -> float:
    """Intra-council correlation of the observed 0/1 outcome implied by a latent-scale ICC.

    Why: the design effect 1 + (M - 1)·ρ describes the variance of a council's observed
    proportion, so ρ must be on the proportion scale: ρ = Var(p_council) / (p̄(1 - p̄)),
    integrated over the council random intercept.  Using the latent ICC directly would
    overstate the design effect (10.95 instead of 8.0 at ICC 0.05, M = 200).
    Example: ``proportion_scale_icc(0.05)`` ≈ 0.035.
    """
    sd = council_intercept_sd(icc)
    if sd == 0:
        return 0.0
    nodes, weights = _hermite()
    p = special.expit(marginal_intercept(baseline, icc) + sd * nodes)
    mean = float(weights @ p)
    return float(weights @ (p - mean) ** 2) / (mean * (1 - mean))


def design_effect(enquiries_per_council: int, icc: float, baseline: float = NATIONAL_FULLY_ACHIEVED) -> float:
    """Kish design effect 1 + (M - 1)·ρ with ρ the proportion-scale ICC of a latent ``icc``.

    Example: ``design_effect(200, 0.05)`` ≈ 8.0: 200 enquiries in a council are worth 25
    independent ones.
    """
    return 1 + (enquiries_per_council - 1) * proportion_scale_icc(icc, baseline)


# --------------------------------------------------------------------------------------------
# design-effect approximation
# --------------------------------------------------------------------------------------------


def _sandwich_geometry(councils: int, standard_errors: StandardErrors, cr1_factor: float,
                       draws: int = GEOMETRY_DRAWS, seed: int = GEOMETRY_SEED
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per drawn layout of culture scores x ~ N(0, 1): (S, κ, ν).

    Linearised at the council level, the slope is an OLS slope on N council log-odds with
    residual variance τ² = deff / (M·p(1 - p)): Var(b̂ | x) = τ²/S, S = Σ(x_j - x̄)².  The
    clustered variance estimate is a quadratic form eᵀDe in the residuals e ~ N(0, τ²(I - H)),
    so E = τ²·tr(D(I - H)) = κ·τ²/S and, by Satterthwaite, it behaves like
    κ·(τ²/S)·χ²_ν/ν with ν = tr(D(I - H))² / tr((D(I - H))²) (Bell & McCaffrey 2002).
    D = diag(x̃_j²/((1 - h_j)² S²)) for Mancl-DeRouen and cr1·diag(x̃_j²/S²) for CR1.
    """
    x = np.random.default_rng(seed).standard_normal((draws, councils))
    centred = x - x.mean(axis=1, keepdims=True)
    s = (centred**2).sum(axis=1)
    leverage = 1 / councils + centred**2 / s[:, None]
    if standard_errors == "bias_reduced":
        d = centred**2 / ((1 - leverage) ** 2 * s[:, None] ** 2)
    else:
        d = cr1_factor * centred**2 / s[:, None] ** 2
    trace = (d * (1 - leverage)).sum(axis=1)
    # tr((D(I-H))²) = tr(D²) - 2 tr(D²H) + ||UᵀDU||², H = UUᵀ, U = [1/√N, x̃/√S]
    u1u1 = d.sum(axis=1) / councils
    u1u2 = (d * centred).sum(axis=1) / np.sqrt(councils * s)
    u2u2 = (d * centred**2).sum(axis=1) / s
    trace_sq = (d**2).sum(axis=1) - 2 * (d**2 * leverage).sum(axis=1) + u1u1**2 + 2 * u1u2**2 + u2u2**2
    return s, trace * s, trace**2 / trace_sq


def power_design_effect(councils: int, enquiries_per_council: int, icc: float, odds_ratio: float,
                        baseline: float = NATIONAL_FULLY_ACHIEVED, alpha: float = 0.05,
                        standard_errors: StandardErrors = "bias_reduced") -> float:
    """Power of the two-sided Wald test of the culture slope, by the design-effect approximation.

    Why: a quick, transparent planning answer; :func:`power_simulation` checks it.

    Formula (β = log(odds_ratio), p = baseline, log-odds scale):

    1. One enquiry carries information p(1 - p) per unit variance of the predictor (Hsieh,
       Bloch & Larsen 1998, Stat Med 17:1623, logistic slope of a continuous covariate).
    2. Enquiries within a council are correlated: N·M of them are worth
       n_eff = N·M / deff, deff = 1 + (M - 1)·ρ (Kish 1965; Donner & Klar 2000), ρ the
       proportion-scale ICC.  All of deff applies because culture is constant within a
       council — the information comes from the N councils:
       Var(β̂) = deff / (M · p(1 - p) · S), S = Σ_j (x_j - x̄)² (expectation N - 1).
    3. The GLM's population-averaged slope is β / sqrt(1 + c²s²), c = 16√3/(15π)
       (Zeger, Liang & Albert 1988, Biometrics 44:1049).
    4. Few councils: the clustered variance estimate is biased and noisy — with normal culture
       scores it has only about N/3 effective degrees of freedom, not N - 2.  Treating it as
       κ·Var(β̂)·χ²_ν/ν (Satterthwaite; Bell & McCaffrey 2002, Survey Methodology 28:169;
       Mancl & DeRouen 2001, Biometrics 57:126), the statistic is a non-central t_ν with
       non-centrality β_pa / sqrt(Var(β̂)) compared with t_{1-α/2, df}·sqrt(κ),
       df = N - 2 (bias-reduced) or N - 1 (CR1).
    5. S, κ and ν depend on where the councils' culture scores fall; the power is averaged
       over 4000 fixed draws of N standard-normal scores (deterministic, a few ms).

    Without steps 4-5 (S = N - 1, ν = N - 2, κ = 1: the textbook formula) the power is 4-11
    points too high for clustered errors with 20 councils, 8-19 with 10; see the tests.
    Example: ``power_design_effect(30, 100, 0.02, 1.3)`` ≈ 0.95 (simulation: 0.94).
    """
    _validate(councils, enquiries_per_council, icc, odds_ratio, baseline, alpha, standard_errors)
    councils, enquiries_per_council = int(councils), int(enquiries_per_council)
    slope = math.log(odds_ratio) / math.sqrt(1 + ZEGER_C2 * council_intercept_sd(icc) ** 2)
    per_unit_s = enquiries_per_council * baseline * (1 - baseline) / design_effect(
        enquiries_per_council, icc, baseline)
    s, kappa, nu = _sandwich_geometry(councils, standard_errors, _cr1_factor(councils, enquiries_per_council))
    critical = stats.t.ppf(1 - alpha / 2, _reference_df(councils, standard_errors)) * np.sqrt(kappa)
    noncentrality = np.minimum(abs(slope) * np.sqrt(per_unit_s * s), 60.0)
    with np.errstate(all="ignore"):
        power = stats.nct.sf(critical, nu, noncentrality) + stats.nct.cdf(-critical, nu, noncentrality)
    # scipy's non-central t can return nan far in the tail; there the power is ~1 (or ~0)
    power = np.where(np.isfinite(power), power, (noncentrality > critical).astype(float))
    return float(np.clip(power, 0.0, 1.0).mean())


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------


def simulate_design(councils: int, enquiries_per_council: int, icc: float, odds_ratio: float,
                    baseline: float = NATIONAL_FULLY_ACHIEVED, replications: int = 500,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``replications`` temperature checks as (culture, successes), each shaped (R, N).

    Culture x ~ N(0, 1) per council; council intercept u ~ N(0, s²), s from the latent ICC;
    successes ~ Binomial(M, expit(b0 + u + log(OR)·x)) with b0 from :func:`marginal_intercept`.
    Example: ``simulate_design(30, 100, 0.02, 1.3, replications=2)[1].shape == (2, 30)``.
    """
    _validate(councils, enquiries_per_council, icc, odds_ratio, baseline, 0.05)
    rng = np.random.default_rng(seed)
    shape = (int(replications), int(councils))
    culture = rng.standard_normal(shape)
    council_effect = council_intercept_sd(icc) * rng.standard_normal(shape)
    logit = marginal_intercept(baseline, icc) + council_effect + math.log(odds_ratio) * culture
    return culture, rng.binomial(int(enquiries_per_council), special.expit(logit))


def _information(weight: np.ndarray, culture: np.ndarray) -> np.ndarray:
    sw, swx, swxx = weight.sum(axis=1), (weight * culture).sum(axis=1), (weight * culture**2).sum(axis=1)
    return np.stack([np.stack([sw, swx], axis=1), np.stack([swx, swxx], axis=1)], axis=1)


def fit_clustered_glm(successes: np.ndarray, trials: int, culture: np.ndarray,
                      standard_errors: StandardErrors = "bias_reduced",
                      max_iter: int = 50, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Binomial logit GLM a + b·culture on council aggregates, one fit per row, all rows at once.

    Why: 500 statsmodels fits take ~1 s; this batched Newton-Raphson takes ~10 ms and gives
    the same numbers (tested): ``"cluster"`` equals statsmodels GLM ``cov_type="cluster"`` on
    record-level rows (on aggregated rows statsmodels counts n = councils in its CR1 factor and
    reports SEs larger by sqrt((G-1)/(G-2)·(n-2)/(n-1))); ``"bias_reduced"`` equals statsmodels
    GEE ``cov_type="bias_reduced"`` (Mancl-DeRouen; independence or exchangeable working
    correlation give the same fit when culture is council-level and councils are equal-sized).
    Returns (slope, standard error, converged), each of length R.
    Example: ``fit_clustered_glm(np.array([[30, 40, 50]]), 60, np.array([[-1.0, 0.0, 1.0]]))``.
    """
    successes = np.asarray(successes, dtype=float)
    culture = np.asarray(culture, dtype=float)
    replications, councils = successes.shape
    total = councils * trials
    share = np.clip(successes.sum(axis=1) / total, 0.5 / total, 1 - 0.5 / total)
    params = np.column_stack([special.logit(share), np.zeros(replications)])
    converged = np.zeros(replications, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            mean = trials * special.expit(params[:, [0]] + params[:, [1]] * culture)
            residual = successes - mean
            score = np.stack([residual.sum(axis=1), (residual * culture).sum(axis=1)], axis=1)
            info = _information(mean * (1 - mean / trials), culture)
            singular = ~(np.abs(np.linalg.det(info)) > 1e-300)
            info[singular] = np.eye(2)
            step = np.linalg.solve(info, score[..., None])[..., 0]
            step = np.where(np.isfinite(step) & ~singular[:, None], step, 0.0)
            params = params + np.clip(step, -5, 5)
            converged = (np.abs(step).max(axis=1) < tol) & ~singular
            if converged.all():
                break
        mean = trials * special.expit(params[:, [0]] + params[:, [1]] * culture)
        weight = mean * (1 - mean / trials)
        residual = successes - mean
        info = _information(weight, culture)
        bad = ~(np.abs(np.linalg.det(info)) > 1e-300)
        info[bad] = np.eye(2)
        bread = np.linalg.inv(info)
        design = np.stack([np.ones_like(culture), culture], axis=2)                # (R, G, 2)
        if standard_errors == "bias_reduced":
            leverage = weight * np.einsum("rgi,rij,rgj->rg", design, bread, design)
            residual = residual / (1 - leverage)
            factor = 1.0
        else:
            factor = _cr1_factor(councils, trials)
        scores = design * residual[..., None]
        meat = np.einsum("rgi,rgj->rij", scores, scores)
        std_error = np.sqrt(factor * (bread @ meat @ bread)[:, 1, 1])
    converged &= ~bad & np.isfinite(params).all(axis=1) & np.isfinite(std_error) & (std_error > 0)
    return params[:, 1], std_error, converged


def _fit_statsmodels(successes: np.ndarray, trials: int, culture: np.ndarray,
                     standard_errors: StandardErrors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference engine: one statsmodels fit per replication (slow; for checking the batch fit).

    CR1: GLM on aggregated successes/failures, SE rescaled to the record-level CR1 factor.
    Bias-reduced: GEE (independence) with ``cov_type="bias_reduced"`` on record-level rows,
    since statsmodels GEE takes 0/1 outcomes.
    """
    # lazy: statsmodels costs about 1.7 s to import and only this reference engine needs it
    import statsmodels.api as sm

    replications, councils = successes.shape
    # statsmodels' CR1 factor on N aggregated rows is G/(G-1)·(G-1)/(G-2) = G/(G-2)
    rescale = math.sqrt(_cr1_factor(councils, trials) / (councils / (councils - 2)))
    slope, std_error = np.full(replications, np.nan), np.full(replications, np.nan)
    groups = np.repeat(np.arange(councils), trials)
    for r in range(replications):
        try:
            if standard_errors == "cluster":
                endog = np.column_stack([successes[r], trials - successes[r]])
                fit = sm.GLM(endog, sm.add_constant(culture[r], has_constant="add"),
                             family=sm.families.Binomial()).fit(cov_type="cluster",
                                                               cov_kwds={"groups": np.arange(councils)})
                slope[r], std_error[r] = fit.params[1], fit.bse[1] * rescale
            else:
                outcome = (np.arange(trials)[None, :] < successes[r][:, None]).astype(float).ravel()
                exog = sm.add_constant(np.repeat(culture[r], trials), has_constant="add")
                fit = sm.GEE(outcome, exog, groups=groups, family=sm.families.Binomial(),
                             cov_struct=sm.cov_struct.Independence()).fit(cov_type="bias_reduced")
                slope[r], std_error[r] = fit.params[1], fit.bse[1]
        except Exception:  # noqa: BLE001 — a failed fit counts as a non-rejection, as in the batch engine
            continue
    converged = np.isfinite(slope) & np.isfinite(std_error) & (std_error > 0)
    return slope, std_error, converged


def power_simulation(councils: int, enquiries_per_council: int, icc: float, odds_ratio: float,
                     baseline: float = NATIONAL_FULLY_ACHIEVED, alpha: float = 0.05,
                     replications: int = 500, seed: int = 0,
                     standard_errors: StandardErrors = "bias_reduced",
                     engine: Literal["numpy", "statsmodels"] = "numpy") -> float:
    """Share of simulated temperature checks in which the culture slope is significant at ``alpha``.

    Why: checks :func:`power_design_effect` without its linearisation.  Each replication
    (:func:`simulate_design`) fits a binomial GLM on council aggregates (successes/trials: the
    record-level estimate from N rows instead of N·M) with council-clustered standard errors
    and refers slope/SE to t with N - 2 (bias-reduced) or N - 1 (CR1) df.  ``engine="numpy"``
    fits all replications at once (500 × 30 councils in ~10 ms); ``engine="statsmodels"``
    loops over statsmodels fits and gives the same answer.  Failed fits (separation with tiny
    M) count as non-rejections.  Monte Carlo SE: sqrt(power·(1 - power)/replications).
    Example: ``power_simulation(30, 100, 0.02, 1.3, replications=4000)`` ≈ 0.94.
    """
    _validate(councils, enquiries_per_council, icc, odds_ratio, baseline, alpha, standard_errors)
    if not _is_whole(replications) or replications < 1:
        raise ParameterError(f"replications must be a positive whole number (got {replications!r})")
    if engine not in ("numpy", "statsmodels"):
        raise ParameterError(f"engine must be 'numpy' or 'statsmodels' (got {engine!r})")
    councils, trials = int(councils), int(enquiries_per_council)
    culture, successes = simulate_design(councils, trials, icc, odds_ratio, baseline, int(replications), seed)
    if engine == "numpy":
        slope, std_error, converged = fit_clustered_glm(successes, trials, culture, standard_errors)
    else:
        slope, std_error, converged = _fit_statsmodels(successes, trials, culture, standard_errors)
    critical = stats.t.ppf(1 - alpha / 2, _reference_df(councils, standard_errors))
    with np.errstate(all="ignore"):
        reject = converged & (np.abs(slope / std_error) > critical)
    return float(reject.mean())


# --------------------------------------------------------------------------------------------
# CLI payload
# --------------------------------------------------------------------------------------------


def power_json(councils: int, enquiries_per_council: int, icc: float, odds_ratio: float,
               simulate: bool = False, baseline: float = NATIONAL_FULLY_ACHIEVED, alpha: float = 0.05,
               replications: int = 500, seed: int = 0,
               standard_errors: StandardErrors = "bias_reduced") -> dict:
    """JSON-ready payload for ``msp-analysis power``: design-effect power, simulated power on request.

    Example: ``power_json(30, 100, 0.02, 1.3)["power"]`` ≈ 0.95, ``["method"] == "design_effect"``;
    with ``simulate=True`` also ``"power_simulation"``, ``"replications"`` and ``"seed"``.
    """
    payload: dict = {
        "power": power_design_effect(councils, enquiries_per_council, icc, odds_ratio, baseline, alpha,
                                     standard_errors),
        "method": "design_effect",
        "councils": int(councils),
        "enquiries_per_council": int(enquiries_per_council),
        "icc": float(icc),
        "icc_scale": "latent",
        "odds_ratio": float(odds_ratio),
        "baseline": float(baseline),
        "alpha": float(alpha),
        "standard_errors": standard_errors,
        "design_effect": design_effect(int(enquiries_per_council), icc, baseline),
    }
    if simulate:
        payload["power_simulation"] = power_simulation(councils, enquiries_per_council, icc, odds_ratio,
                                                       baseline, alpha, replications, seed, standard_errors)
        payload["replications"] = int(replications)
        payload["seed"] = int(seed)
    return payload


# --------------------------------------------------------------------------------------------
# the design that is analysed: a region's councils, sizes, waves, respondents and reliability
# --------------------------------------------------------------------------------------------


def region_power(region: str, respondents_per_council: int, odds_ratio: float, replications: int = 100,
                 seed: int = 1, scale: float = 1.0, alpha: float = 0.05, method: str = "gee") -> dict:
    """Power of the analysis actually run on one region, by simulating that design from the simulator.

    Why: the design-effect formula assumes one predictor measured without error, one wave and
    equal councils; the analysis has three correlated indicators scored from a few respondents who
    agree modestly, three waves, and councils of England's unequal sizes. Each replication draws
    the region's councils from :mod:`msp_analysis.analysis.simulate` (scenario ``realistic``
    without confounding or selection, which bias rather than blur: culture acts on outcomes
    through supervision only, with odds ratio `odds_ratio` per SD of *latent* culture), scores the
    temperature check, links expressed Section 42 outcomes and fits `method` twice: the three
    indicators together (the report's model) and supervision alone. Power is the share of
    replications in which supervision's p-value is below `alpha`, with its Monte Carlo SE.

    Parameters
    ----------
    region
        An ADASS region name or E12 code.
    respondents_per_council
        Mean temperature-check respondents per council and wave (spread over the council and
        1-3 partners, as the simulator does).
    odds_ratio
        Per SD of latent supervision culture, conditional on the council.
    replications, seed
        Simulated datasets and the seed of the first.
    scale
        Enquiry volumes relative to England's (1: published volumes).
    alpha
        Two-sided test level.
    method
        ``gee`` (bias-reduced errors: the report's choice under 40 councils) or ``glm_cluster``.
    """
    from dataclasses import replace

    from msp_analysis.analysis import simulate as sim
    from msp_analysis.analysis.models.fit import fit_outcome_model
    from msp_analysis.reference import geography

    if not (isinstance(respondents_per_council, Integral) and respondents_per_council >= 3):
        raise ParameterError(f"respondents per council must be a whole number of at least 3, got {respondents_per_council}")
    if not (isinstance(odds_ratio, Real) and odds_ratio > 0):
        raise ParameterError(f"odds ratio must be positive, got {odds_ratio}")
    if not (isinstance(replications, Integral) and replications >= 10):
        raise ParameterError(f"replications must be at least 10, got {replications}")
    name = geography.canonical_region(region)
    per_org = max(respondents_per_council / 3, 1.0)  # the council itself and on average two partners
    low = max(1, int(round(per_org)) - 1)
    spec = replace(sim.SCENARIOS["realistic"], name="power",
                   effects={"supervision": math.log(odds_ratio), "staffing": 0.0, "complaints_learning": 0.0},
                   lag_effects={}, deprivation_on_outcome=0.0, size_on_outcome=0.0, selection_culture=0.0,
                   selection_difficulty=0.0, respondents=(low, low + 3 if per_org >= 2 else low + 1))
    england = sim.council_frame()
    frame = england[england["region"] == name].reset_index(drop=True)
    terms = {t: f"z_{t}" for t in sim.MODEL_TERMS}
    rejected = {"three indicators": 0, "supervision alone": 0}
    sizes, respondents = [], []
    for rep in range(int(replications)):
        rng = np.random.default_rng(seed + rep)
        ons_all = np.array(sorted(england["ons_code"].unique()))
        context = sim._council_context(rng, england, ons_all)
        latent = sim._latent_culture(rng, spec, context, sim.SIM_YEARS)
        returns = sim._temperature_check(rng, spec, frame, latent)
        respondents.append(len(returns) / len(frame))
        scored = sim._scored_indicators(returns).reset_index().rename(columns={"wave": "financial_year"})
        effect = dict(zip(ons_all, rng.normal(0, spec.council_sd, len(ons_all)), strict=True))
        size = england["ons_code"].map(context.set_index("ons_code")["size"])
        share = size[england["region"] == name].sum() / size.sum()
        records, _ = sim._records(rng, spec, frame, context, latent, scored.set_index(["ons_code", "financial_year"]),
                                  effect, scale * share)
        expressed = records[(records["enquiry_type"] == "Section 42") & (records["msp_asked"] == sim.EXPRESSED)]
        data = expressed.assign(fully=(expressed["msp_outcome_achieved"] == "Fully Achieved").astype(int)).merge(
            scored, on=["ons_code", "financial_year"])
        sizes.append(len(data) / len(frame))
        for label, predictors in (("three indicators", terms), ("supervision alone", {"supervision": "z_supervision"})):
            result = fit_outcome_model(data, method, outcome="fully", predictors=predictors)
            rejected[label] += bool(result.term("supervision")["p_value"] < alpha)
    councils = int(frame.loc[frame["financial_year"] == sim.SIM_YEARS[-1], "ons_code"].nunique())
    per_council_year = float(np.mean(sizes))
    icc = spec.council_sd**2 / (spec.council_sd**2 + LOGISTIC_VARIANCE)
    power = {label: count / replications for label, count in rejected.items()}
    return {
        "region": name, "councils": councils, "waves": len(sim.SIM_YEARS), "method": method,
        "odds_ratio_latent": float(odds_ratio), "respondents_per_council": float(np.mean(respondents)),
        "expressed_outcomes_per_council_year": per_council_year, "replications": int(replications),
        "power_three_indicators": power["three indicators"], "power_supervision_alone": power["supervision alone"],
        "monte_carlo_se": {label: math.sqrt(p * (1 - p) / replications) for label, p in power.items()},
        "power_design_effect_formula": power_design_effect(councils, max(int(round(per_council_year)), 2), icc,
                                                           odds_ratio, alpha=alpha),
        "formula_assumes": ("one wave, one indicator measured without error, equal councils of the mean size; "
                            "the simulation has the region's real councils, three waves, three correlated "
                            "indicators scored from the respondents, and unequal sizes"),
        "icc_latent": icc, "seed": int(seed), "scale": float(scale),
    }
