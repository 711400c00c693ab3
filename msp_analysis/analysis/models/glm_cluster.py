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
score so that the sandwich is unbiased under a *working model* of the council's covariance.

Why a random-intercept working model, and per-term degrees of freedom: the first CR2 here assumed
independent records within a council ((I - H_gg)^(-1/2)) and t with G - 1 df, and the recovery
study found it 4-15% too narrow where the council-level residual is largest (realistic, 240
replications: unadjusted supervision covered 0.879, SD of the estimates over the mean SE 1.15). A
council-level residual (the council intercept, the part of culture the noisy scores miss, omitted
context) makes the variance of a council's score grow with the square of its size, not its size,
so the largest councils (counties have three times the records of most unitaries) carry most of a
council-level slope's variance: the sandwich is then an average over few effective councils, its
own sampling error is large, and t with G - 1 = 154 df understates it. A fast simulation of the
same councils (the simulator's council draws, binomial records per council-year, 500
replications) gave Satterthwaite df of about 54 under independence and 29 under the random
intercept for the unadjusted slopes, the council variance estimated at 0.12 (the simulator's
council SD 0.25 plus the projection's residual, about 0.05); with equal council sizes the SD of
the estimates over the SE fell to 0.92-1.0. So the CR2 adjustment is taken under a working model in which a
council's outcomes share a log-odds shift of variance tau^2 (estimated by moments from the fit's
own residuals, :func:`council_variance`), and intervals and p-values use t with each term's
Satterthwaite df under the same working model (:func:`satterthwaite_df`; Bell & McCaffrey's
"BM" df, what ``clubSandwich::coef_test(test = "Satterthwaite")`` gives for a working model),
capped at G - 1. The working model need not be right: the sandwich stays consistent whatever the
truth; it only sets the small-sample correction. Estimates are unchanged. ``details["cov_cr1"]``
keeps the CR1 covariance for comparison, ``details["df"]`` the df and ``details["council_variance"]``
tau^2. ``working="independence"`` gives the earlier CR2 (tau^2 = 0).
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
    df: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Satterthwaite (Bell-McCaffrey) df per parameter
    council_variance: float = 0.0  # tau^2 of the working model (log-odds scale); 0: independence


def logit_cluster(X: np.ndarray, successes: np.ndarray, trials: np.ndarray, groups: np.ndarray,
                  n_groups: int, *, working: str = "random_intercept") -> ClusterLogit:
    """Binomial logit MLE with its CR2 cluster sandwich, Satterthwaite df per parameter, and the CR1 sandwich.

    CR2 is bias-reduced under a working model of the council-level variation: ``random_intercept``
    (the default) lets the council's outcomes share a log-odds shift of variance tau^2, estimated
    from the fit's residuals (:func:`council_variance`); ``independence`` is the earlier CR2, exact
    only when a council's records are independent. Everything depends on the rows only through
    each council's information and score sums, so the record-level and the aggregated fit give
    identical standard errors and degrees of freedom.

    Parameters
    ----------
    X
        Design matrix, intercept first (without an intercept column the working model is independence).
    successes, trials
        Per row; 0/1 rows have trials 1.
    groups
        Council code of each row, 0..n_groups-1.
    n_groups
        Number of council codes (rows of ``cluster_scores``).
    working
        ``random_intercept`` or ``independence``: the working model of the CR2 adjustment and the df.
    """
    if working not in ("random_intercept", "independence"):
        raise ValueError(f"unknown working model {working!r}")
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
    intercept = bool(len(X)) and bool((X[:, 0] == 1).all())
    tau2 = council_variance(informations, cluster_scores, bread) if working == "random_intercept" and intercept else 0.0
    adjusted, pieces = cr2_adjust(informations, cluster_scores, bread, tau2)
    cov = bread @ adjusted.T @ adjusted @ bread
    # at most councils - 1 (the earlier reference) and at least 1; a parameter without variance keeps G - 1
    df = satterthwaite_df(pieces, informations, bread, tau2)
    df = np.where(np.isfinite(df), np.clip(df, 1.0, max(used - 1, 1)), max(used - 1, 1))
    return ClusterLogit(params=params, cov=cov, bread=bread, cluster_scores=cluster_scores, groups=used,
                        cov_cr1=cov_cr1, df=df, council_variance=tau2)


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


def council_variance(informations: np.ndarray, cluster_scores: np.ndarray, bread: np.ndarray) -> float:
    """tau^2 of the random-intercept working model: the moment estimate from each council's total residual.

    With a_g = W_g^(1/2) 1 (W the GLM weights of council g's rows), m_g = X_g' W_g 1 (the intercept
    column of its information), M = `bread` and P = sum_g m_g m_g', a council's total residual
    s_g0 = 1' (y_g - mu_g) has, under the working model, expectation of its square
    W_g - m_g' M m_g + tau^2 (W_g^2 - 2 W_g m_g' M m_g + m_g' M P M m_g) (the fitted mean absorbs
    part of every council's shift). Summing over councils and solving for tau^2 (0 when negative)
    gives an unbiased moment estimate without another fit; councils weigh in by their size, as
    in the sandwich itself. Needs the intercept in the first column.
    """
    m = informations[:, :, 0]
    W = m[:, 0]
    Mm = m @ bread
    own = np.einsum("gi,gi->g", Mm, m)  # m_g' M m_g, the council's leverage on the intercept direction
    P = m.T @ m
    spread = np.einsum("gi,ij,gj->g", Mm, P, Mm)  # m_g' M P M m_g
    denominator = float(np.sum(W**2 - 2 * W * own + spread))
    numerator = float(np.sum(cluster_scores[:, 0] ** 2) - np.sum(W - own))
    return max(numerator / denominator, 0.0) if denominator > 0 else 0.0


def cr2_adjust(informations: np.ndarray, cluster_scores: np.ndarray, bread: np.ndarray,
               tau2: float = 0.0) -> tuple[np.ndarray, list]:
    """Each council's score sum multiplied through by its CR2 adjustment under a random-intercept working model.

    In the whitened working linear model of the logit (rows A = W^(1/2) X, residuals
    e = W^(-1/2)(y - mu), hat matrix H = A M A', M = `bread`) the working covariance of council g is
    Phi_g = I + tau^2 a_g a_g', a_g = W_g^(1/2) 1 (a council shift of variance tau^2 on the log-odds
    scale, independence when tau^2 = 0). The CR2 adjustment (Bell & McCaffrey 2002; Pustejovsky &
    Tipton 2018, JBES 36(4), section 3, with the symmetric root for their Cholesky factor) is
    A_g = Phi_g^(1/2) B_g^(-1/2) Phi_g^(1/2), B_g = Phi_g^(1/2) E_g Phi_g^(1/2), E_g the council's block
    of (I - H) Phi (I - H)': then E[A_g e_g e_g' A_g] = Phi_g exactly under the working model, so the
    sandwich is unbiased under it. With tau^2 = 0 this is the independence CR2, (I - H_gg)^(-1/2).

    Every matrix involved is the identity plus a part inside the column space of A_g (the
    intercept is a column, so a_g = A_g e_0): with A_g'A_g = U S U' (S > 0) and R = S^(1/2) U',
    A_g = Q R for an orthonormal Q, E_g = I + Q R (tau^2 T_g - M) R' Q' with
    T_g = e_0 e_0' - e_0 m_g' M - M m_g e_0' + M P M (m_g = A_g' a_g, P = sum_h m_h m_h'), and
    Phi_g = I + Q F Q', F = tau^2 (R e_0)(R e_0)'. So A_g = I + Q G Q' with
    G = (I + F)^(1/2) C^(-1/2) (I + F)^(1/2) - I, C = (I + F)^(1/2) (I + E) (I + F)^(1/2), and the
    adjusted score is A_g' A_g e_g = s_g + U S^(1/2) G S^(-1/2) U' s_g: r x r matrices per council
    (r <= k), the same from records as from cells. A direction of leverage 1 (C's eigenvalue 0:
    a council-only parameter, whose residual is 0) is left as it is.

    Returns the adjusted score sums (n_groups x k) and, per council, ``(R, G, F)`` (None for a
    council without rows), what :func:`satterthwaite_df` needs.
    """
    out = cluster_scores.copy()
    k = bread.shape[0]
    e0 = np.zeros(k)
    e0[0] = 1.0
    P = informations[:, :, 0].T @ informations[:, :, 0] if tau2 else np.zeros((k, k))
    MPM = bread @ P @ bread
    pieces: list = []
    for g in range(len(informations)):
        information = informations[g]
        values, vectors = np.linalg.eigh(information)
        keep = values > values.max(initial=0.0) * 1e-10
        if not keep.any():
            pieces.append(None)
            continue
        root, U = np.sqrt(values[keep]), vectors[:, keep]
        R = root[:, None] * U.T  # S^(1/2) U'
        r = len(root)
        if tau2:
            m = information[:, 0]
            T = np.outer(e0, e0) - np.outer(e0, bread @ m) - np.outer(bread @ m, e0) + MPM
            E = R @ (tau2 * T - bread) @ R.T
            v = R @ e0
            length = float(v @ v)
            F = tau2 * np.outer(v, v)
            Fh = np.eye(r) + (np.sqrt(1 + tau2 * length) - 1) * np.outer(v, v) / length
        else:
            E, F, Fh = -(R @ bread @ R.T), np.zeros((r, r)), np.eye(r)
        C = Fh @ (np.eye(r) + E) @ Fh
        lam, V = np.linalg.eigh((C + C.T) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse_root = np.where(lam > 1e-10, 1 / np.sqrt(np.maximum(lam, 1e-300)), 1.0)
        G = Fh @ (V * inverse_root) @ V.T @ Fh - np.eye(r)
        G = (G + G.T) / 2
        pieces.append((R, G, F))
        out[g] = cluster_scores[g] + U @ (root * (G @ ((U.T @ cluster_scores[g]) / root)))
    return out, pieces


def satterthwaite_df(pieces: list, informations: np.ndarray, bread: np.ndarray, tau2: float = 0.0,
                     contrasts: np.ndarray | None = None) -> np.ndarray:
    """Satterthwaite degrees of freedom of each parameter's CR2 variance under the working model (Bell-McCaffrey).

    The CR2 variance of c'beta is V = sum_g (p_g' e^_g)^2, p_g = A_g A_g M c, a quadratic form in
    the working residuals; under the working model (covariance Phi) its Satterthwaite df is
    (tr Omega)^2 / ||Omega||_F^2 with Omega_gh = p_g' [(I - H) Phi (I - H)']_gh p_h (Bell & McCaffrey
    2002, eq. 8; Pustejovsky & Tipton 2018, section 3.2). Writing p_g = Q_g pi_g,
    pi_g = (I + G_g) R_g M c, and alpha_g = R_g' pi_g, beta_g = R_g' (I + F_g) pi_g,
    gamma_g = pi_g' (I + F_g) pi_g: Omega_gh = [g = h] gamma_g - alpha_g' M beta_h - beta_g' M alpha_h
    + alpha_g' M J M alpha_h, J = sum_g A_g' Phi_g A_g = M^(-1) + tau^2 P; k-vectors per council and
    one G x G matrix per parameter. Large when every council carries a similar share of a
    coefficient's variance, small when a few (the largest councils, under a council-level
    residual) carry most of it. The trace is the coefficient's variance under the working model.
    `contrasts` (k x m): the df of each column's combination c of the parameters; None: each parameter.
    """
    k = bread.shape[0]
    C = np.eye(k) if contrasts is None else np.asarray(contrasts, dtype=float)
    m = C.shape[1]
    P = informations[:, :, 0].T @ informations[:, :, 0] if tau2 else np.zeros((k, k))
    MJM = bread + tau2 * bread @ P @ bread
    rows = [piece for piece in pieces if piece is not None]
    alpha = np.zeros((len(rows), k, m))
    beta = np.zeros((len(rows), k, m))
    gamma = np.zeros((len(rows), m))
    for i, (R, G, F) in enumerate(rows):
        pi = (np.eye(len(G)) + G) @ R @ bread @ C  # r x m: one column per contrast
        alpha[i] = R.T @ pi
        weighted = (np.eye(len(F)) + F) @ pi
        beta[i] = R.T @ weighted
        gamma[i] = np.einsum("ij,ij->j", pi, weighted)
    out = np.zeros(m)
    for j in range(m):
        a, b = alpha[:, :, j], beta[:, :, j]
        aMb = a @ bread @ b.T
        omega = np.diag(gamma[:, j]) - aMb - aMb.T + a @ MJM @ a.T
        frobenius = float(np.sum(omega**2))
        out[j] = np.trace(omega) ** 2 / frobenius if frobenius > 0 else np.nan
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
    names_all = [INTERCEPT, *terms]
    return MethodFit(names=names_all, estimate=fit.params, std_error=np.sqrt(np.diag(fit.cov)),
                     n=int(cells.trials.sum()), clusters=fit.groups,
                     details={"cells": len(cells.first), "cov": fit.cov, "cov_cr1": fit.cov_cr1, "standard_errors": "CR2",
                              "working_model": "council random intercept",
                              "council_variance": fit.council_variance,
                              "df": dict(zip(names_all, fit.df.tolist(), strict=True)),
                              "std_error_cr1": dict(zip(names_all, np.sqrt(np.diag(fit.cov_cr1)), strict=True))},
                     cov=fit.cov, df=fit.df)
