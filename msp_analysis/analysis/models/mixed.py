"""``mixed``: maximum-likelihood binomial logit with a council random intercept (adaptive Gauss-Hermite).

The likelihood of each council integrates its random intercept out by adaptive Gauss-Hermite
quadrature (nodes centred and scaled at the mode of each council's integrand, recomputed at
every parameter value), on successes out of trials per council × predictor values, so record rows
and aggregated cells give the same fit. The score is exact for the quadrature (the posterior-
weighted cell scores); the observed information, the Hessian of the log-likelihood, is analytic
(Louis' identity on the quadrature nodes; checked against central differences of the score in the
tests).

Standard errors are the council-robust sandwich I^-1 (sum_g s~_g s~_g') I^-1, s~_g each council's score
bias-reduced CR2-style in the model's own metric: s~_g = K_g^(1/2)-coordinates of (I - H_gg)^(-1/2), with
H_gg the council's share K_g of the observed information I times I^-1 (the working-model CR2 of
Pustejovsky & Tipton 2018 with the fitted random-intercept model as working model, through its
linearisation: :func:`~msp_analysis.analysis.models.glm_cluster.cr2_adjust` on the per-council
information), and intervals use t with each term's Satterthwaite (Bell-McCaffrey) degrees of
freedom from the same pieces (:func:`~msp_analysis.analysis.models.glm_cluster.satterthwaite_df`):
the G/(G-1) sandwich with t(G - 1), as before, covered 0.92 for the between-council supervision
slope in the recovery study (``benchmarks/model_recovery.py``, realistic, 240 replications), SD of
the estimates over the mean SE 1.11. The G/(G-1) one is kept in ``details["std_error_cr1"]`` and
the observed-information ones beside them (``std_error_model``).
Why: the model has one random intercept per council, but the culture a council's scores do not
capture varies from wave to wave (the scores measure culture with error, and culture changes), so
council-years differ by more than a council intercept and binomial noise allow. The information
then understates the uncertainty of anything learnt from change within councils, the more so the
more people a council-year has: on the simulated demo at England's volumes (``--scale 1``,
realistic) the information gave 0.0103 for the pooled supervision slope against 0.0137 from the
sandwich (and 0.013 from GEE's robust errors); at a third of that volume the two agree within
about 10%. The sandwich is right whether or not the council-year variation is there. Estimates are *conditional* on the council
(a council's log-odds), so they are a little larger than the population-averaged ones of
``glm_cluster`` and ``gee`` (by about sqrt(1 + 0.346 council SD^2)).

Gives the latent-scale intra-council correlation (``details["icc"]``) and shrunken council
estimates (``details["council_estimates"]``: the posterior mean and SD of each council's intercept
given the estimates, i.e. empirical Bayes).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binomial_counts, numeric_matrix, with_intercept
from msp_analysis.analysis.models.glm_cluster import _council_rows, cr2_adjust, logit_cluster, satterthwaite_df
from msp_analysis.analysis.models.result import MethodFit
from msp_analysis.toolkit.errors import UnusableInputError

LOGISTIC_VARIANCE = math.pi**2 / 3  # variance of the standard logistic distribution (latent scale)


def latent_icc(council_sd: float) -> float:
    """The latent-scale ICC of a council random intercept with this SD (logit scale): ``s² / (s² + π²/3)``."""
    return council_sd**2 / (council_sd**2 + LOGISTIC_VARIANCE)
QUADRATURE_POINTS = 15
MIN_LOG_SD = math.log(1e-4)
MAX_LOG_SD = math.log(20.0)
CONVERGED_SCORE = 1e-2  # largest |score| of a converged fit (log-likelihood units)


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function without overflow warnings (scipy's, imported when first needed)."""
    from scipy.special import expit as logistic

    return logistic(x)


class _Councils:
    """Cells of a binomial logit grouped by council, with the adaptive quadrature of the random intercept."""

    def __init__(self, X: np.ndarray, s: np.ndarray, t: np.ndarray, groups: np.ndarray, n_groups: int,
                 points: int) -> None:
        self.X, self.s, self.t, self.g, self.G = X, s, t, groups, n_groups
        nodes, weights = np.polynomial.hermite.hermgauss(points)
        self.nodes, self.log_weights = nodes, np.log(weights)
        self.mode = np.zeros(n_groups)
        # the binomial coefficients do not depend on the parameters, but make the log-likelihood a true one
        from scipy.special import gammaln

        self.constant = float((gammaln(t + 1) - gammaln(s + 1) - gammaln(t - s + 1)).sum())

    def _sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.g, weights=values, minlength=self.G)

    def _modes(self, fixed: np.ndarray, sd: float) -> tuple[np.ndarray, np.ndarray]:
        """Mode of each council's integrand in z (intercept = sd z, z standard normal) and its scale."""
        z = self.mode.copy()
        for _ in range(50):
            p = expit(fixed + sd * z[self.g])
            gradient = sd * self._sum(self.s - self.t * p) - z
            curvature = sd**2 * self._sum(self.t * p * (1 - p)) + 1
            step = gradient / curvature
            z += step
            if np.abs(step).max() < 1e-9:
                break
        p = expit(fixed + sd * z[self.g])
        curvature = sd**2 * self._sum(self.t * p * (1 - p)) + 1
        self.mode = z
        return z, 1 / np.sqrt(curvature)

    def evaluate(self, params: np.ndarray, gradient: bool = True):
        """(minus log-likelihood, minus score) at ``params`` = (fixed effects..., log council SD)."""
        beta, log_sd = params[:-1], max(float(params[-1]), MIN_LOG_SD)
        sd = math.exp(log_sd)
        fixed = self.X @ beta
        mode, scale = self._modes(fixed, sd)
        z = mode[:, None] + math.sqrt(2) * scale[:, None] * self.nodes[None, :]  # council x node
        eta = fixed[:, None] + sd * z[self.g]  # cell x node
        log_f = self.s[:, None] * eta - self.t[:, None] * np.logaddexp(0, eta)
        per_council = np.zeros_like(z)
        np.add.at(per_council, self.g, log_f)
        log_terms = per_council - z**2 / 2 + self.nodes[None, :] ** 2 + self.log_weights[None, :]
        top = log_terms.max(axis=1, keepdims=True)
        log_integral = top[:, 0] + np.log(np.exp(log_terms - top).sum(axis=1))
        loglik = float((log_integral + np.log(math.sqrt(2) * scale) - 0.5 * math.log(2 * math.pi)).sum()
                       + self.constant)
        if not gradient:
            return -loglik
        posterior = np.exp(log_terms - log_integral[:, None])  # council x node weights
        residual = self.s[:, None] - self.t[:, None] * expit(eta)  # cell x node
        weighted = (posterior[self.g] * residual).sum(axis=1)
        score_beta = self.X.T @ weighted
        score_log_sd = sd * float((posterior[self.g] * residual * z[self.g]).sum())
        self.posterior, self.z = posterior, z
        self._at = (params.copy(), sd, eta, residual)
        return -loglik, -np.concatenate([score_beta, [score_log_sd]])

    def information(self, params: np.ndarray) -> np.ndarray:
        """Observed information (the Hessian of minus the log-likelihood) at ``params``, analytically.

        With the quadrature's nodes fixed, each council's likelihood is a posterior-weighted sum
        over nodes q of f_gq, so its Hessian is E_q[Hessian of log f_gq] + Var_q[score of log f_gq]
        (Louis' identity on the quadrature): per-cell and per-council-node sums, no differencing.
        """
        self.evaluate(params)
        _, sd, eta, residual = self._at
        posterior_cell = self.posterior[self.g]  # cell x node
        p = expit(eta)
        W = self.t[:, None] * p * (1 - p)  # cell x node
        u = sd * self.z[self.g]  # d eta / d log sd, cell x node
        k = self.X.shape[1]
        out = np.zeros((k + 1, k + 1))
        omega = (posterior_cell * W).sum(axis=1)
        out[:k, :k] = self.X.T @ (self.X * omega[:, None])
        out[:k, k] = out[k, :k] = self.X.T @ (posterior_cell * W * u).sum(axis=1)
        out[k, k] = float((posterior_cell * (W * u**2 - residual * u)).sum())
        # minus the posterior variance of the council-node scores
        nodes = self.posterior.shape[1]
        scores = np.zeros((self.G, nodes, k + 1))
        for q in range(nodes):
            scores[:, q, :k] = np.stack([self._sum(self.X[:, j] * residual[:, q]) for j in range(k)], axis=1)
            scores[:, q, k] = self._sum(residual[:, q] * u[:, q])
        mean = np.einsum("gq,gqi->gi", self.posterior, scores)
        out -= np.einsum("gq,gqi,gqj->ij", self.posterior, scores, scores) - mean.T @ mean
        self.council_scores = mean  # each council's score (the sandwich's meat)
        self._node_scores, self._cell_weights = scores, (omega, (posterior_cell * W * u).sum(axis=1),
                                                         (posterior_cell * (W * u**2 - residual * u)).sum(axis=1))
        return (out + out.T) / 2

    def council_informations(self) -> np.ndarray:
        """Each council's share of the observed information of the last :meth:`information` (G x (k+1) x (k+1)).

        The same Louis identity per council: the sum over councils is the information.
        """
        omega, cross, corner = self._cell_weights
        k = self.X.shape[1]
        out = np.zeros((self.G, k + 1, k + 1))
        for g, rows in enumerate(_council_rows(self.g, self.G)):
            if rows is None:
                continue
            Xg = self.X[rows]
            out[g, :k, :k] = Xg.T @ (Xg * omega[rows, None])
            out[g, :k, k] = out[g, k, :k] = Xg.T @ cross[rows]
            out[g, k, k] = corner[rows].sum()
        mean = self.council_scores
        out -= (np.einsum("gq,gqi,gqj->gij", self.posterior, self._node_scores, self._node_scores)
                - mean[:, :, None] * mean[:, None, :])
        return (out + out.transpose(0, 2, 1)) / 2


def fit_mixed(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
              trials: str | None = None, year: str | None = None,
              quadrature_points: int = QUADRATURE_POINTS) -> MethodFit:
    """Fit ``mixed`` by maximum likelihood on 0/1 rows or counts (aggregated to cells first).

    Parameters
    ----------
    frame, outcome, terms, cluster, trials
        As in :func:`msp_analysis.analysis.models.design.binomial_counts`.
    year
        Not used (the registry passes it to every method).
    quadrature_points
        Gauss-Hermite nodes per council (15 by default; 1 would be the Laplace approximation).
    """
    counts = binomial_counts(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(counts[cluster], sort=True)
    X = with_intercept(numeric_matrix(counts, terms))
    s, t = counts["_s"].to_numpy(dtype=float), counts["_t"].to_numpy(dtype=float)
    # fit on centred and scaled predictors (a linear reparametrisation: same fit, better conditioned)
    centre = np.concatenate([[0.0], X[:, 1:].mean(axis=0)])
    spread = np.concatenate([[1.0], X[:, 1:].std(axis=0)])
    spread[spread == 0] = 1.0
    Xs = np.column_stack([np.ones(len(X)), (X[:, 1:] - centre[1:]) / spread[1:]])
    start = logit_cluster(Xs, s, t, groups, len(names))
    problem = _Councils(Xs, s, t, groups, len(names), quadrature_points)
    x0 = np.concatenate([np.asarray(start.params), [math.log(0.2)]])
    params, hessian, score, iterations = _newton(problem, x0)
    if not np.all(np.isfinite(params)):
        raise UnusableInputError("the mixed model's likelihood could not be maximised on these data; "
                                 "try --method gee")
    boundary = params[-1] <= MIN_LOG_SD + 1
    if np.abs(score[:-1] if boundary else score).max() >= CONVERGED_SCORE:
        raise UnusableInputError(f"the mixed model did not converge in {iterations} Newton steps "
                                 f"(largest score {np.abs(score).max():.3g}); try --method gee")
    try:
        cov_s = np.linalg.inv(hessian[:-1, :-1] if boundary else hessian)
    except np.linalg.LinAlgError:
        raise UnusableInputError("the mixed model's information matrix is singular on these data "
                                 "(a predictor constant or collinear?); try --method gee") from None
    problem.information(params)  # each council's score at the estimates
    meat_scores = problem.council_scores[:, :-1] if boundary else problem.council_scores
    shares = problem.council_informations()
    if boundary:
        shares = shares[:, :-1, :-1]
    G = len(names)
    robust_cr1_s = G / max(G - 1, 1) * cov_s @ (meat_scores.T @ meat_scores) @ cov_s
    # CR2 in the model's own metric: each council's score through (I - H_gg)^(-1/2), H_gg from its share of the
    # information (the fitted random intercept is the working model), and Satterthwaite df per parameter
    adjusted, pieces = cr2_adjust(shares, meat_scores, cov_s, 0.0)
    robust_s = cov_s @ adjusted.T @ adjusted @ cov_s
    # back to the predictors' own scale: beta = A beta_scaled
    k = X.shape[1]
    A = np.eye(k)
    A[1:, 1:] = np.diag(1 / spread[1:])
    A[0, 1:] = -centre[1:] / spread[1:]
    cov = cov_s.copy()
    cov[:k, :k] = A @ cov_s[:k, :k] @ A.T
    if not boundary:
        cov[:k, k:] = A @ cov_s[:k, k:]
        cov[k:, :k] = cov[:k, k:].T
    robust = A @ robust_s[:k, :k] @ A.T
    robust_cr1 = A @ robust_cr1_s[:k, :k] @ A.T
    # the df of each original parameter: its row of A as a contrast of the fitted (centred, scaled) ones
    contrasts = np.zeros((cov_s.shape[0], k))
    contrasts[:k, :] = A.T
    df = satterthwaite_df(pieces, shares, cov_s, 0.0, contrasts=contrasts)
    df = np.where(np.isfinite(df), np.clip(df, 1.0, max(G - 1, 1)), max(G - 1, 1))
    estimate_s = params[:k]
    problem.evaluate(params)  # leaves the posterior weights at the estimates
    estimate = A @ estimate_s
    std_error = np.sqrt(np.diag(cov)[:k])
    log_sd = float(params[-1])
    sd = math.exp(log_sd)
    log_sd_se = float(math.sqrt(cov[-1, -1])) if not boundary and cov[-1, -1] > 0 else float("nan")
    icc = latent_icc(sd)
    random_effect = sd * (problem.posterior * problem.z).sum(axis=1)
    random_sd = sd * np.sqrt(np.maximum((problem.posterior * problem.z**2).sum(axis=1)
                                        - (random_effect / sd) ** 2, 0))
    fixed = X @ estimate
    per_council = pd.DataFrame({"g": groups, "s": s, "t": t, "fixed": fixed * t}).groupby("g").sum()
    councils = pd.DataFrame({
        cluster: list(map(str, names)),
        "n": per_council["t"].to_numpy(),
        "observed_rate": (per_council["s"] / per_council["t"]).to_numpy(),
        "random_effect": random_effect,
        "random_effect_sd": random_sd,
    })
    councils["shrunken_log_odds"] = (per_council["fixed"] / per_council["t"]).to_numpy() + random_effect
    councils["shrunken_rate"] = 1 / (1 + np.exp(-councils["shrunken_log_odds"]))
    interval = ((math.exp(log_sd - 1.96 * log_sd_se), math.exp(log_sd + 1.96 * log_sd_se))
                if math.isfinite(log_sd_se) else (0.0, float("nan")))
    return MethodFit(
        names=[INTERCEPT, *terms], estimate=estimate, std_error=np.sqrt(np.diag(robust)), n=int(t.sum()),
        clusters=len(names), cov=robust, df=df, extra_columns={"std_error_model": std_error},
        details={"council_sd": sd, "council_sd_interval": interval, "icc": icc,
                 "icc_scale": "latent: sd^2 / (sd^2 + pi^2/3)", "council_estimates": councils,
                 "log_likelihood": -float(problem.evaluate(params, gradient=False)),
                 "converged": True, "largest_score": float(np.abs(score).max()), "newton_steps": iterations,
                 "quadrature_points": quadrature_points,
                 "cells": len(counts), "estimates_are": "conditional on the council (random intercept 0)",
                 "standard_errors": ("council-robust sandwich, CR2 in the model's metric, Satterthwaite df per term "
                                     "(std_error_model: observed information; std_error_cr1: G/(G-1) sandwich)"),
                 "df": dict(zip([INTERCEPT, *terms], df.tolist(), strict=True)),
                 "std_error_cr1": dict(zip([INTERCEPT, *terms], np.sqrt(np.diag(robust_cr1)), strict=True)),
                 "cov_model": cov[:k, :k],
                 "std_error_model": dict(zip([INTERCEPT, *terms], std_error, strict=True)),
                 "std_error_robust": dict(zip([INTERCEPT, *terms], np.sqrt(np.diag(robust)), strict=True))})


def _newton(problem: _Councils, params: np.ndarray, steps: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Newton-Raphson on the observed information with step halving, from the plain logit's estimates.

    Stops when the Newton decrement (the log-likelihood still to gain, about) is below 1e-9 or the
    score below CONVERGED_SCORE / 100. Where the information is not positive definite (far from
    the maximum) it takes a steepest-ascent step instead. Returns the parameters, the Hessian of
    minus the log-likelihood there, the score and the number of steps.
    """
    value, gradient = problem.evaluate(params)
    hessian = _hessian(problem, params)
    for step_number in range(1, steps + 1):
        try:
            np.linalg.cholesky(hessian)
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = gradient / max(np.abs(gradient).max(), 1.0)
        decrement = float(gradient @ step)
        if abs(decrement) < 1e-9 or np.abs(gradient).max() < CONVERGED_SCORE / 100:
            return params, hessian, -gradient, step_number - 1
        size = 1.0
        while size > 1e-8:
            candidate = params - size * step
            candidate[-1] = min(max(candidate[-1], MIN_LOG_SD), MAX_LOG_SD)
            new_value, new_gradient = problem.evaluate(candidate)
            if np.isfinite(new_value) and new_value <= value + 1e-10:
                break
            size /= 2
        else:
            return params, hessian, -gradient, step_number
        params, value, gradient = candidate, new_value, new_gradient
        hessian = _hessian(problem, params)
    return params, hessian, -gradient, steps


def _hessian(problem: _Councils, params: np.ndarray) -> np.ndarray:
    """Observed information: the analytic one (:meth:`_Councils.information`)."""
    return problem.information(params)


def _hessian_by_differences(problem: _Councils, params: np.ndarray) -> np.ndarray:
    """Observed information by central differences of the analytic score, symmetrised (a check of the analytic one)."""
    k = len(params)
    out = np.zeros((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(params[j]))
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        out[:, j] = (problem.evaluate(up)[1] - problem.evaluate(down)[1]) / (2 * step)
    return (out + out.T) / 2
