"""``glm_cluster``: binomial logit with council-clustered (CR1) sandwich standard errors.

Record rows are collapsed to successes/trials per council × predictor values before fitting,
which gives the same maximum-likelihood estimates and the same clustered standard errors as the
record-level fit (the scores summed within a council do not change), and is much faster.
:func:`logit_cluster` is also the building block of the proportional-odds check of ``ordinal``
and the starting values of ``mixed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binomial_counts, numeric_matrix, with_intercept
from msp_analysis.analysis.models.result import MethodFit


@dataclass
class ClusterLogit:
    """A binomial logit fit with its CR1 sandwich, and the pieces needed to stack several fits."""

    params: np.ndarray
    cov: np.ndarray
    bread: np.ndarray  # H^-1, the inverse information
    cluster_scores: np.ndarray  # score sums per council, one row per council code
    groups: int  # councils with at least one row


def logit_cluster(X: np.ndarray, successes: np.ndarray, trials: np.ndarray, groups: np.ndarray,
                  n_groups: int) -> ClusterLogit:
    """Binomial logit MLE and its CR1 cluster sandwich: G/(G-1) * H^-1 (sum_g s_g s_g') H^-1.

    The correction G/(G-1) depends only on the number of councils, so the record-level and the
    aggregated fit give identical standard errors.

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
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    import statsmodels.api as sm

    model = sm.GLM(np.column_stack([successes, trials - successes]), X, family=sm.families.Binomial())
    params = model.fit().params
    p = 1 / (1 + np.exp(-X @ params))
    scores = X * (successes - trials * p)[:, None]
    bread = np.linalg.inv(X.T @ (X * (trials * p * (1 - p))[:, None]))
    cluster_scores = np.zeros((n_groups, X.shape[1]))
    np.add.at(cluster_scores, groups, scores)
    used = len(np.unique(groups))
    meat = cluster_scores.T @ cluster_scores
    cov = used / max(used - 1, 1) * bread @ meat @ bread
    return ClusterLogit(params=params, cov=cov, bread=bread, cluster_scores=cluster_scores, groups=used)


def fit_glm_cluster(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
                    trials: str | None = None, year: str | None = None) -> MethodFit:
    """Fit ``glm_cluster`` on 0/1 rows or counts; ``details["cov"]`` is the clustered covariance.

    Parameters
    ----------
    frame, outcome, terms, cluster, trials
        As in :func:`msp_analysis.analysis.models.design.binomial_counts`.
    year
        Not used (the registry passes it to every method).
    """
    counts = binomial_counts(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(counts[cluster], sort=True)
    fit = logit_cluster(with_intercept(numeric_matrix(counts, terms)), counts["_s"].to_numpy(),
                        counts["_t"].to_numpy(), groups, len(names))
    return MethodFit(names=[INTERCEPT, *terms], estimate=fit.params, std_error=np.sqrt(np.diag(fit.cov)),
                     n=int(counts["_t"].sum()), clusters=fit.groups, details={"cells": len(counts), "cov": fit.cov},
                     cov=fit.cov)
