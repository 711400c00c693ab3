"""``gee``: binomial GEE with an exchangeable working correlation and bias-reduced standard errors.

Reports both the robust (sandwich) and the bias-reduced (Mancl-DeRouen) standard errors, the
bias-reduced ones in ``std_error`` and the robust ones in ``std_error_robust``; with few
councils the robust ones are too small, which is why ``gee`` is the default then.

A fit is checked before it is returned: non-finite estimates or standard errors, an exchangeable
correlation below what the largest council allows (-1 / (size - 1): the working covariance is then
not positive definite), or a fit that did not converge are refitted with an **independence**
working correlation (the logit of ``glm_cluster`` with the same bias-reduced errors), and
``details["fallback"]`` says why. A table of NaN is never returned.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binary_records, numeric_matrix, with_intercept
from msp_analysis.analysis.models.glm_cluster import logit_mle
from msp_analysis.analysis.models.result import MethodFit
from msp_analysis.toolkit.errors import UnusableInputError

FALLBACK = ("the exchangeable fit {reason}, so it was refitted with an independence working correlation "
            "(same estimates as glm_cluster, bias-reduced standard errors)")


def bias_reduced_cov(model, cov_naive: np.ndarray) -> np.ndarray | None:
    """Mancl and DeRouen's bias-reduced sandwich of a fitted statsmodels GEE, as ``cov_type="bias_reduced"`` gives it.

    statsmodels solves ``(I - H_i) a = r_i`` with a dense n_i x n_i matrix per council, which costs minutes
    when a council has thousands of people. ``H_i = D_i M W_i'`` has rank p (the number of terms), so
    ``(I - H_i)^-1 r = r + D_i M (I_p - W_i' D_i M)^-1 W_i' r`` (Woodbury) gives the same result in
    O(n_i p^2). `model` is the GEE after its fit (its cached means are the final ones); None when the
    working covariance cannot be solved, as in statsmodels.
    """
    naive = cov_naive / model.scaling_factor
    scale = model.estimate_scale()
    p = naive.shape[0]
    middle = np.zeros((p, p))
    for i in range(model.num_group):
        expval, lpr = model.cached_means[i]
        resid = model.endog_li[i] - expval
        dmat = model.mean_deriv(model.exog_li[i], lpr)
        sdev = np.sqrt(model.family.variance(expval))
        solved = model.cov_struct.covariance_matrix_solve(expval, i, sdev, (dmat,))
        if solved is None:
            return None
        w = solved[0] / scale  # V_i^-1 D_i / scale
        u = dmat @ naive  # D_i M
        aresid = resid + u @ np.linalg.solve(np.eye(p) - w.T @ u, w.T @ resid)
        solved = model.cov_struct.covariance_matrix_solve(expval, i, sdev, (aresid,))
        if solved is None:
            return None
        weight = model.weights_li[i] if model.weights is not None else 1.0
        score = weight * (dmat.T @ solved[0]) / scale
        middle += np.outer(score, score)
    return naive @ middle @ naive * model.scaling_factor


def _problem(result, groups: np.ndarray) -> str:
    """Why a GEE fit cannot be returned ('' when it can)."""
    if result is None or result.cov_robust_bc is None:
        return "has no bias-reduced covariance"
    params, cov = np.asarray(result.params), np.asarray(result.cov_robust_bc)
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(cov))) or (np.diag(cov) <= 0).any():
        return "gave non-finite estimates or standard errors"
    dependence = getattr(result.cov_struct, "dep_params", None)  # None before the first iteration
    rho = np.asarray(np.nan if dependence is None else dependence, dtype=float).ravel()
    largest = int(np.bincount(groups).max())
    if rho.size and np.isfinite(rho[0]) and largest > 1 and rho[0] <= -1 / (largest - 1):
        return (f"estimated a working correlation of {rho[0]:.4f}, below the {-1 / (largest - 1):.4f} "
                f"the largest council ({largest} people) allows")
    if getattr(result, "converged", True) is False:
        return "did not converge"
    return ""


def fit_gee(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
            trials: str | None = None, year: str | None = None) -> MethodFit:
    """Fit ``gee`` on 0/1 rows or counts (expanded to one row per person).

    Parameters
    ----------
    frame, outcome, terms, cluster, trials
        As in :func:`msp_analysis.analysis.models.design.binary_records`.
    year
        Not used (the registry passes it to every method).
    """
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    records = binary_records(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(records[cluster], sort=True)
    y, X = records["_y"].to_numpy(), with_intercept(numeric_matrix(records, terms))
    # GEE starts from the independence logit's maximum, which statsmodels finds by IRLS on every record (about a
    # second on England's); the package's Newton (glm_cluster.logit_mle) finds the same maximum to ~1e-10 in a
    # fraction of it. None (collinear, separated): statsmodels finds its own start, as before.
    start = logit_mle(X, y.astype(float), np.ones(len(y)))

    def fit(structure):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="ignore"):
                try:
                    model = sm.GEE(y, X, groups=groups, family=sm.families.Binomial(), cov_struct=structure)
                    result = model.fit(cov_type="robust", start_params=start)
                    # the bias-reduced errors in O(n p^2), not statsmodels' dense solve per council
                    result.cov_robust_bc = bias_reduced_cov(model, np.asarray(result.cov_naive))
                except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
                    return None, True
        return result, any(issubclass(w.category, ConvergenceWarning) for w in caught)

    result, warned = fit(sm.cov_struct.Exchangeable())
    reason = _problem(result, groups) or ("did not converge" if warned else "")
    fallback = ""
    if reason:
        fallback = FALLBACK.format(reason=reason)
        result, _ = fit(sm.cov_struct.Independence())
        if _problem(result, groups):
            raise UnusableInputError("GEE could not be fitted on these data, with an exchangeable or an independence "
                                     "working correlation; check that every council has both outcomes")
    robust = np.sqrt(np.diag(result.cov_robust))
    rho = np.asarray(result.cov_struct.dep_params).ravel() if not fallback else np.array([0.0])
    return MethodFit(
        names=[INTERCEPT, *terms], estimate=np.asarray(result.params),
        std_error=np.sqrt(np.diag(result.cov_robust_bc)), n=len(records), clusters=len(names),
        extra_columns={"std_error_robust": robust}, cov=np.asarray(result.cov_robust_bc),
        details={"working_correlation": float(rho[0]) if rho.size else 0.0,
                 "working_structure": "independence" if fallback else "exchangeable", "fallback": fallback,
                 "std_error_robust": dict(zip([INTERCEPT, *terms], robust, strict=True))})
