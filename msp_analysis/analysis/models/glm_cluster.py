"""``glm_cluster``: binomial logit with council-clustered, bias-reduced (CR2) sandwich standard errors.

Record rows are collapsed to successes/trials per council × predictor values before fitting,
which gives the same maximum-likelihood estimates and the same clustered standard errors as the
record-level fit (the scores summed within a council do not change), and is much faster.

Why CR2 and not the usual CR1 (``G/(G-1)`` times the sandwich, what Stata and statsmodels give):
the residuals of a council are shrunk towards its own fit in proportion to the council's
leverage, so the plain sandwich is too small by about the share of the fit each council carries.
A model of outcomes on council-level culture scores, year effects and council covariates has a
dozen council-level parameters and councils of very unequal size, so the leverage is not small:
in the recovery study (``benchmarks/model_recovery.py``, 120 replications of ``confounded-null``
at 155 councils) the CR1 z-statistics had SD 1.04-1.21 and the adjusted model rejected a true
null for complaints learning in 11.7% of replications. CR2 (Bell & McCaffrey 2002, "Bias
reduction in standard errors for linear regression with multi-stage samples", Survey
Methodology 28(2); the GLM form of Pustejovsky & Tipton 2018, JBES 36(4)) rescales each council's
score by ``(I - H_gg)^(-1/2)``, H_gg the council's block of the (weighted) hat matrix, which makes
the sandwich unbiased under independence and is what ``clubSandwich`` and Stata's ``vce(hc2)``
give; intervals and p-values then use t with G - 1 degrees of freedom (``models.__init__``).
``details["cov_cr1"]`` keeps the CR1 covariance for comparison.
:func:`logit_cluster` is also the building block of the proportional-odds check of ``ordinal``
and the starting values of ``mixed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binomial_cells, design_matrix
from msp_analysis.analysis.models.result import MethodFit


@dataclass
class ClusterLogit:
    """A binomial logit fit with its CR1 sandwich, and the pieces needed to stack several fits."""

    params: np.ndarray
    cov: np.ndarray  # CR2 (bias-reduced)
    bread: np.ndarray  # H^-1, the inverse information
    cluster_scores: np.ndarray  # score sums per council, one row per council code
    groups: int  # councils with at least one row
    cov_cr1: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # G/(G-1) x plain sandwich (Stata)


def logit_cluster(X: np.ndarray, successes: np.ndarray, trials: np.ndarray, groups: np.ndarray,
                  n_groups: int) -> ClusterLogit:
    """Binomial logit MLE with its CR2 cluster sandwich (and the CR1 one, G/(G-1) H^-1 (sum_g s_g s_g') H^-1).

    Both depend on the rows only through each council's information and score sums, so the
    record-level and the aggregated fit give identical standard errors.

    Parameters
    ----------
    X
        Design matrix, intercept included.
    successes, trials
        Per row; 0/1 rows have trials 1.
    groups
        Council code of each row, 0..n_groups-1.
    n_groups
        Number of council codes (rows of ``cluster_scores``).
    """
    params = logit_mle(X, successes, trials)
    if params is None:  # singular information or no convergence: statsmodels' IRLS, as before
        params = _logit_statsmodels(X, successes, trials)
    p = 1 / (1 + np.exp(-X @ params))
    residual = successes - trials * p
    weight = trials * p * (1 - p)
    # each council's information and score sum from its own rows (one pass; their sum is the information)
    informations, cluster_scores = council_sums(X, weight, residual, groups, n_groups)
    bread = np.linalg.inv(informations.sum(axis=0))
    used = len(np.unique(groups))
    meat = cluster_scores.T @ cluster_scores
    cov_cr1 = used / max(used - 1, 1) * bread @ meat @ bread
    adjusted = cr2_scores(X, weight, groups, n_groups, cluster_scores, bread, informations)
    cov = bread @ adjusted.T @ adjusted @ bread
    return ClusterLogit(params=params, cov=cov, bread=bread, cluster_scores=cluster_scores, groups=used,
                        cov_cr1=cov_cr1)


NEWTON_MAX_STEPS = 100
NEWTON_TOLERANCE = 1e-11  # largest Newton step (relative to the parameters' size) taken as converged


def logit_mle(X: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray | None:
    """The binomial logit MLE by Newton-Raphson on the normal equations; None when it cannot be had that way.

    Each step solves ``(X' W X) step = X' (s - t p)`` (a k x k system; the information is
    checked positive definite by its Cholesky factor) and is halved until the log-likelihood does
    not fall. The same maximum as statsmodels' IRLS (which factorises the whole weighted design
    at every iteration) to ~1e-10, several times faster on many rows. None when the information
    is not positive definite (collinear predictors) or the steps do not converge (separation):
    the caller then falls back to statsmodels.

    Parameters
    ----------
    X
        Design matrix, intercept included.
    successes, trials
        Per row.
    """
    s, t = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    beta = np.zeros(X.shape[1])
    total, size = s.sum(), t.sum()
    if len(X) and 0 < total < size and (X[:, 0] == 1).all():  # start at the overall rate (the intercept-only fit)
        beta[0] = np.log(total / (size - total))
    eta = X @ beta
    current = _loglik(eta, s, t)
    with np.errstate(over="ignore"):  # exp(-eta) of a huge |eta| (separation) is inf and p 0: no warning
        for _ in range(NEWTON_MAX_STEPS):
            p = 1 / (1 + np.exp(-eta))
            information = _information(X, t * p * (1 - p))
            try:
                np.linalg.cholesky(information)
                step = np.linalg.solve(information, X.T @ (s - t * p))
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(step)):
                return None
            for _halving in range(30):  # halve the step until the log-likelihood does not fall
                trial = beta + step
                trial_eta = X @ trial
                value = _loglik(trial_eta, s, t)
                if value >= current - 1e-12 * abs(current):
                    break
                step = step / 2
            else:
                return None
            beta, eta, current = trial, trial_eta, value
            if np.abs(step).max() <= NEWTON_TOLERANCE * (1 + np.abs(beta).max()):
                return beta
    return None


def _loglik(eta: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> float:
    """The binomial log-likelihood at linear predictor `eta` (without the binomial coefficients)."""
    return float(successes @ eta - trials @ np.logaddexp(0.0, eta))


INFORMATION_CHUNK = 16384  # rows per block of X' W X: small temporaries (fresh memory is slow to touch)


def _information(X: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``X' diag(weight) X`` as the sum over blocks of rows of ``A'A``, ``A = X sqrt(weight)`` (symmetric products)."""
    root = np.sqrt(weight)
    out = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), INFORMATION_CHUNK):
        A = X[start:start + INFORMATION_CHUNK] * root[start:start + INFORMATION_CHUNK, None]
        out += A.T @ A
    return out


def _logit_statsmodels(X: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """The binomial logit MLE by statsmodels' GLM (IRLS): the fallback of :func:`logit_mle`."""
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    import statsmodels.api as sm

    model = sm.GLM(np.column_stack([successes, trials - successes]), X, family=sm.families.Binomial())
    return np.asarray(model.fit().params)


def council_sums(X: np.ndarray, weight: np.ndarray, residual: np.ndarray, groups: np.ndarray,
                 n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each council's information ``X_g' W_g X_g`` (n_groups x k x k) and score sum ``X_g' r_g`` (n_groups x k)."""
    k = X.shape[1]
    informations, scores = np.zeros((n_groups, k, k)), np.zeros((n_groups, k))
    for g, rows in enumerate(_council_rows(groups, n_groups)):
        if rows is None:
            continue
        Xg = X[rows]
        A = Xg * np.sqrt(weight[rows])[:, None]
        informations[g] = A.T @ A
        scores[g] = Xg.T @ residual[rows]
    return informations, scores


def _council_rows(groups: np.ndarray, n_groups: int):
    """The rows of each council code in turn: a slice when `groups` is sorted (cells are), else an index; None if none."""
    ordered = len(groups) < 2 or bool((groups[1:] >= groups[:-1]).all())
    order = None if ordered else np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups if ordered else groups[order], np.arange(n_groups + 1))
    for g in range(n_groups):
        start, stop = bounds[g], bounds[g + 1]
        if start == stop:
            yield None
        else:
            yield slice(start, stop) if order is None else order[start:stop]


def cr2_scores(X: np.ndarray, weight: np.ndarray, groups: np.ndarray, n_groups: int, cluster_scores: np.ndarray,
               bread: np.ndarray, informations: np.ndarray | None = None) -> np.ndarray:
    """Each council's score sum multiplied through by ``(I - H_gg)^(-1/2)``: the CR2 (Bell-McCaffrey) adjustment.

    With A_g = W_g^(1/2) X_g (one row per cell or person, W the GLM weights) and e_g the working
    residuals, the score sum is s_g = A_g' e_g and H_gg = A_g M A_g' (M = `bread`). Writing the
    council information A_g'A_g = U S U' (S > 0), H_gg = Q B Q' with Q = A_g U S^(-1/2)
    orthonormal and B = S^(1/2) U' M U S^(1/2) = V L V', so
    A_g' (I - H_gg)^(-1/2) e_g = s_g + U S^(1/2) V ((1 - L)^(-1/2) - 1) V' S^(-1/2) U' s_g:
    only k x k matrices per council, the same from records as from aggregated cells.
    A direction of leverage 1 (a council-only parameter) has residual 0 and is left as it is.

    Parameters
    ----------
    X, weight
        Design matrix and GLM weights (trials p (1 - p)) per row.
    groups, n_groups
        Council code of each row (0..n_groups-1) and their number.
    cluster_scores
        Score sums per council (n_groups x k).
    bread
        The inverse information (k x k).
    informations
        Each council's information A_g'A_g when already computed (:func:`council_sums`).
    """
    out = cluster_scores.copy()
    for g, rows in enumerate(_council_rows(groups, n_groups)):
        if rows is None:
            continue
        if informations is None:
            Xg = X[rows]
            information = Xg.T @ (Xg * weight[rows, None])
        else:
            information = informations[g]
        values, vectors = np.linalg.eigh(information)
        keep = values > values.max(initial=0.0) * 1e-10
        if not keep.any():
            continue
        root, U = np.sqrt(values[keep]), vectors[:, keep]
        B = (root[:, None] * (U.T @ bread @ U)) * root[None, :]
        leverage, V = np.linalg.eigh((B + B.T) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            stretch = np.where(leverage < 1 - 1e-10, 1 / np.sqrt(np.maximum(1 - leverage, 1e-300)) - 1, 0.0)
        inner = V @ (stretch * (V.T @ ((U.T @ cluster_scores[g]) / root)))
        out[g] = cluster_scores[g] + U @ (root * inner)
    return out


def fit_glm_cluster(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
                    trials: str | None = None, year: str | None = None) -> MethodFit:
    """Fit ``glm_cluster`` on 0/1 rows or counts; ``details["cov"]`` is the CR2 covariance, ``cov_cr1`` the CR1 one.

    Parameters
    ----------
    frame, outcome, terms, cluster, trials
        As in :func:`msp_analysis.analysis.models.design.binomial_counts`.
    year
        Not used (the registry passes it to every method).
    """
    cells = binomial_cells(frame, outcome, terms, cluster, trials)  # the rows of binomial_counts, as arrays
    groups, names = pd.factorize(frame[cluster].take(cells.first), sort=True)
    fit = logit_cluster(design_matrix(frame, terms, rows=cells.first), cells.successes, cells.trials, groups,
                        len(names))
    return MethodFit(names=[INTERCEPT, *terms], estimate=fit.params, std_error=np.sqrt(np.diag(fit.cov)),
                     n=int(cells.trials.sum()), clusters=fit.groups,
                     details={"cells": len(cells.first), "cov": fit.cov, "cov_cr1": fit.cov_cr1, "standard_errors": "CR2",
                              "std_error_cr1": dict(zip([INTERCEPT, *terms], np.sqrt(np.diag(fit.cov_cr1)),
                                                        strict=True))},
                     cov=fit.cov)
