"""``mixed``: Bayesian binomial mixed model with a council random intercept (variational Bayes).

Gives the latent-scale intra-council correlation (``details["icc"]``) and shrunken council
estimates (``details["council_estimates"]``). Posterior SDs of a mean-field approximation can
understate uncertainty, so intervals are better read from ``glm_cluster`` or ``gee``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binary_records, numeric_matrix, with_intercept
from msp_analysis.analysis.models.glm_cluster import logit_cluster
from msp_analysis.analysis.models.result import MethodFit

LOGISTIC_VARIANCE = math.pi**2 / 3  # variance of the standard logistic distribution (latent scale)


def fit_mixed(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
              trials: str | None = None, year: str | None = None,
              vcp_p: float = 1.0, fe_p: float = 2.0, seed: int = 0) -> MethodFit:
    """Fit ``mixed`` on 0/1 rows or counts (expanded to one row per person).

    Parameters
    ----------
    frame, outcome, terms, cluster, trials
        As in :func:`msp_analysis.analysis.models.design.binary_records`.
    year
        Not used (the registry passes it to every method).
    vcp_p
        Prior SD of the log council SD.
    fe_p
        Prior SD of the fixed effects.
    seed
        Seed of the variational optimiser.
    """
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    from scipy import sparse
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    records = binary_records(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(records[cluster], sort=True)
    n = len(records)
    exog_vc = sparse.csr_matrix((np.ones(n), (np.arange(n), groups)), shape=(n, len(names)))
    X = with_intercept(numeric_matrix(records, terms))
    y = records["_y"].to_numpy()
    model = BinomialBayesMixedGLM(y, X, exog_vc, ident=np.zeros(len(names), dtype=int), vcp_p=vcp_p, fe_p=fe_p,
                                  fep_names=[INTERCEPT, *terms], vcp_names=["council"], vc_names=list(map(str, names)))
    # Start from the plain logit (fixed effects) and a council SD of 0.2: fewer BFGS steps.
    start = logit_cluster(X, y, np.ones(n), groups, len(names))
    start_mean = np.concatenate([start.params, [math.log(0.2)], np.zeros(len(names))])
    start_sd = np.concatenate([np.sqrt(np.diag(start.cov)), [0.5], np.full(len(names), 0.2)])
    result = model.fit_vb(mean=start_mean, sd=start_sd, rng=seed)
    log_sd, log_sd_sd = float(result.vcp_mean[0]), float(result.vcp_sd[0])
    sd = math.exp(log_sd)
    icc = sd**2 / (sd**2 + LOGISTIC_VARIANCE)
    fixed = X @ np.asarray(result.fe_mean)
    per_council = pd.DataFrame({"cluster": groups, "y": y, "fixed": fixed}).groupby("cluster").agg(
        n=("y", "size"), observed_rate=("y", "mean"), fixed_log_odds=("fixed", "mean"))
    councils = pd.DataFrame({
        cluster: list(map(str, names)),
        "n": per_council["n"].to_numpy(),
        "observed_rate": per_council["observed_rate"].to_numpy(),
        "random_effect": np.asarray(result.vc_mean),
        "random_effect_sd": np.asarray(result.vc_sd),
    })
    councils["shrunken_log_odds"] = per_council["fixed_log_odds"].to_numpy() + councils["random_effect"]
    councils["shrunken_rate"] = 1 / (1 + np.exp(-councils["shrunken_log_odds"]))
    return MethodFit(
        names=[INTERCEPT, *terms], estimate=np.asarray(result.fe_mean), std_error=np.asarray(result.fe_sd),
        n=n, clusters=len(names),
        details={"council_sd": sd,
                 "council_sd_interval": (math.exp(log_sd - 1.96 * log_sd_sd), math.exp(log_sd + 1.96 * log_sd_sd)),
                 "icc": icc, "icc_scale": "latent: sd^2 / (sd^2 + pi^2/3)", "council_estimates": councils})
