"""``ols_panel``: a continuous council measure on council measures, year fixed effects, council-clustered errors.

Intervals and p-values use t with (councils - 1) degrees of freedom, like the other
cluster-robust methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, numeric_matrix, with_intercept
from msp_analysis.analysis.models.result import MethodFit


def fit_ols_panel(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, *,
                  trials: str | None = None, year: str | None = None, council_effects: bool = False) -> MethodFit:
    """Fit ``ols_panel``; terms ``year[<year>]`` are the year effects against the first year.

    Parameters
    ----------
    frame
        One row per council-year.
    outcome
        The continuous outcome column.
    terms
        ``{term: column}``.
    cluster
        The council column.
    trials
        Not used: the registry refuses counts for this method.
    year
        The year column (None: no year effects).
    council_effects
        Add council fixed effects (the within-council estimator: each slope then compares a
        council's years with its own average, not councils with each other). Their
        coefficients are not reported; councils seen once add nothing to the slope.
    """
    # lazy: statsmodels costs 1.7 s to import, and the CLI imports the method registry at start-up
    from statsmodels.regression.linear_model import OLS

    X = numeric_matrix(frame, terms)
    names = [INTERCEPT, *terms]
    years: list[str] = sorted(frame[year].astype(str).unique()) if year else []
    if year:
        dummies = np.column_stack([frame[year].astype(str).eq(y).to_numpy(float) for y in years[1:]]) \
            if len(years) > 1 else np.empty((len(frame), 0))
        X = np.column_stack([X, dummies])
        names += [f"year[{y}]" for y in years[1:]]
    groups, clusters = pd.factorize(frame[cluster], sort=True)
    k = len(names)
    if council_effects and len(clusters) > 1:
        X = np.column_stack([X, np.eye(len(clusters))[groups][:, 1:]])
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    result = OLS(y, with_intercept(X)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return MethodFit(names=names, estimate=np.asarray(result.params)[:k], std_error=np.asarray(result.bse)[:k],
                     n=len(frame), clusters=len(clusters), cov=np.asarray(result.cov_params())[:k, :k],
                     details={"r_squared": float(result.rsquared), "years": years, "council_effects": council_effects})
