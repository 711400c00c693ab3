"""``gee``: binomial GEE with an exchangeable working correlation and bias-reduced standard errors.

Reports both the robust (sandwich) and the bias-reduced (Mancl-DeRouen) standard errors, the
bias-reduced ones in ``std_error`` and the robust ones in ``std_error_robust``; with few
councils the robust ones are too small, which is why ``gee`` is the default then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.analysis.models.design import INTERCEPT, binary_records, numeric_matrix, with_intercept
from msp_analysis.analysis.models.result import MethodFit
from msp_analysis.toolkit.errors import UnusableInputError


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

    records = binary_records(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(records[cluster], sort=True)
    model = sm.GEE(records["_y"].to_numpy(), with_intercept(numeric_matrix(records, terms)), groups=groups,
                   family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())
    result = model.fit(cov_type="bias_reduced")
    if result is None or result.cov_robust_bc is None:
        raise UnusableInputError("GEE did not converge or its bias-reduced covariance is singular on these data; "
                                 "try --method glm_cluster, or check that every council has both outcomes")
    robust = np.sqrt(np.diag(result.cov_robust))
    return MethodFit(
        names=[INTERCEPT, *terms], estimate=np.asarray(result.params),
        std_error=np.sqrt(np.diag(result.cov_robust_bc)), n=len(records), clusters=len(names),
        extra_columns={"std_error_robust": robust},
        details={"working_correlation": float(np.asarray(result.cov_struct.dep_params).ravel()[0]),
                 "std_error_robust": dict(zip([INTERCEPT, *terms], robust, strict=True))})
