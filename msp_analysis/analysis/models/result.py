"""The one result type of every model method: what a fit returns, the tidy table and its JSON.

A method's fit function returns a :class:`MethodFit` (names, estimates and standard errors on
the scale of its link, plus what only that method has); :func:`tidy_table` turns it into one
row per term with Wald or posterior intervals, and :class:`ModelResult` carries that table
with the fit's size, method, caveats and details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TABLE_COLUMNS = ["term", "estimate", "std_error", "odds_ratio", "ci_low", "ci_high", "p_value", "posterior_sd",
                 "n", "clusters", "method", "caveat"]
JSON_TERM_KEYS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value")


@dataclass
class MethodFit:
    """What one method's fit function returns, before caveats and intervals are added.

    ``estimate`` and ``std_error`` are per name in ``names`` (log-odds for the logit methods,
    posterior means and SDs for a Bayesian one); ``extra_columns`` holds the table columns the
    method adds (``MethodSpec.table_extra``), ``details`` what only this method has, ``cov`` the
    covariance matrix the standard errors come from.
    """

    names: list[str]
    estimate: np.ndarray
    std_error: np.ndarray
    n: int
    clusters: int
    details: dict[str, Any] = field(default_factory=dict)
    extra_columns: dict[str, np.ndarray] = field(default_factory=dict)
    cov: np.ndarray | None = None  # covariance of ``estimate`` (for predictions); None when the method has none
    df: np.ndarray | None = None  # t degrees of freedom per name (a small-sample correction); None: councils - 1


JSON_DETAIL_KEYS = ("estimand", "adjusted_for", "year_effects", "lag", "within_between", "multiplicity", "sd_points",
                    "fallback", "proportional_odds_test", "council_sd", "icc", "df", "council_variance", "working_model")


def _jsonable(value: Any) -> Any:
    """Details as JSON: frames as lists of records, numbers as floats (missing ones None)."""
    if isinstance(value, pd.DataFrame):
        return [{k: _jsonable(v) for k, v in row.items()} for row in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return _number(value)
    return str(value)


def _number(value: Any) -> float | None:
    """A JSON number, or None for a missing one (the p-value of a Bayesian fit)."""
    return None if value is None or pd.isna(value) else float(value)


@dataclass
class ModelResult:
    """The tidy table of one fit plus its size, method, caveats and method-specific details.

    ``table`` has one row per term with TABLE_COLUMNS (and the columns a method adds, such as
    ``std_error_robust`` for ``gee``); ``details`` holds what only some methods have (the ICC
    and shrunken council estimates of ``mixed``, the proportional-odds check of ``ordinal``,
    the link summary of :func:`~msp_analysis.analysis.models.fit.model_outcome`);
    ``term_keys`` are the table columns each JSON term carries.
    """

    table: pd.DataFrame
    method: str
    n: int
    clusters: int
    caveat: str
    details: dict[str, Any] = field(default_factory=dict)
    term_keys: tuple[str, ...] = JSON_TERM_KEYS

    def term(self, name: str) -> pd.Series:
        """The table row of one term (KeyError naming the terms if absent)."""
        rows = self.table[self.table["term"] == name]
        if rows.empty:
            raise KeyError(f"no term {name!r}; terms: {', '.join(self.table['term'])}")
        return rows.iloc[0]

    def to_json_dict(self) -> dict[str, Any]:
        """``{"terms": [{term, estimate, std_error, ci_low, ci_high, p_value}...], "n", "clusters", "method", "caveat"}``.

        Missing numbers (the p-value of a Bayesian fit) are ``None``; terms also carry the keys a
        method adds (``posterior_sd`` for ``mixed``).
        """
        terms = []
        for row in self.table.to_dict(orient="records"):
            terms.append({"term": str(row["term"]), **{key: _number(row[key]) for key in self.term_keys[1:]}})
        out: dict[str, Any] = {"terms": terms, "n": int(self.n), "clusters": int(self.clusters),
                               "method": self.method, "caveat": self.caveat}
        for key in JSON_DETAIL_KEYS:
            if key in self.details:
                out[key] = _jsonable(self.details[key])
        if isinstance(self.details.get("predicted"), pd.DataFrame):
            out["predicted_probabilities"] = _jsonable(self.details["predicted"])
        return out


def tidy_table(terms: list[str], estimate: np.ndarray, std_error: np.ndarray, *, method: str, n: int,
               clusters: int, caveat: str, odds_ratios: bool, df: float | np.ndarray | None,
               posterior: bool = False) -> pd.DataFrame:
    """One row per term: Wald intervals and p-values (t with `df`, or normal), or posterior summaries.

    Parameters
    ----------
    terms, estimate, std_error
        Term names and their estimates and standard errors (posterior means and SDs when
        `posterior`).
    method, n, clusters, caveat
        Repeated on every row, so the table stands on its own.
    odds_ratios
        Fill ``odds_ratio`` with exp(estimate) (logit methods); NaN otherwise.
    df
        Degrees of freedom of the t reference, one for every term or one per term (a small-sample
        correction such as Bell and McCaffrey's per-coefficient Satterthwaite degrees of freedom for
        CR2, when a method computes them); None (or 0) for the normal.
    posterior
        A Bayesian fit: normal 95% credible intervals, no p-values, ``posterior_sd`` filled.
    """
    # lazy: scipy.stats costs 0.8 s to import, and the CLI imports the method registry at start-up
    from scipy import stats

    estimate, std_error = np.asarray(estimate, float), np.asarray(std_error, float)
    if posterior:
        quantile, p_value, posterior_sd = stats.norm.ppf(0.975), np.full(len(terms), np.nan), std_error
    else:
        dfs = None if df is None else np.broadcast_to(np.asarray(df, float), estimate.shape)
        dist = stats.t(dfs) if dfs is not None and (dfs > 0).all() else stats.norm
        quantile = dist.ppf(0.975)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = 2 * dist.sf(np.abs(estimate / std_error))
        posterior_sd = np.full(len(terms), np.nan)
    return pd.DataFrame({
        "term": terms,
        "estimate": estimate,
        "std_error": std_error,
        "odds_ratio": np.exp(estimate) if odds_ratios else np.nan,
        "ci_low": estimate - quantile * std_error,
        "ci_high": estimate + quantile * std_error,
        "p_value": p_value,
        "posterior_sd": posterior_sd,
        "n": n,
        "clusters": clusters,
        "method": method,
        "caveat": caveat,
    }, columns=TABLE_COLUMNS)
