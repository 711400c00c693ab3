"""Outcome models with one entry point and one tidy result.

People are nested in councils, culture is measured per council, and a region has 10-35
councils, so every method here accounts for clustering by council:

* ``glm_cluster`` — binomial logit, council-clustered (CR1) sandwich standard errors. Record
  rows are collapsed to successes/trials per council × predictor values before fitting, which
  gives the same maximum-likelihood estimates and the same clustered standard errors as the
  record-level fit (the scores summed within a council do not change), and is much faster;
* ``gee`` — exchangeable working correlation; reports robust and bias-reduced (Mancl-DeRouen)
  standard errors, the bias-reduced ones in ``std_error``. Default with fewer than 40 councils;
* ``ordinal`` — proportional-odds logit of not < partially < fully achieved, with a check of
  proportional odds against the two cut-point binary logits (``details["proportional_odds"]``);
* ``mixed`` — Bayesian binomial mixed model with a council random intercept (variational Bayes):
  latent-scale intra-council correlation and shrunken council estimates;
* ``ols_panel`` — continuous council measures with year fixed effects, council-clustered errors.

Intervals and p-values of the cluster-robust methods use a t distribution with (councils - 1)
degrees of freedom, which matters when councils are few. :func:`model_outcome` and
:func:`model_la_panel` are the whole pipelines behind ``msp-analysis model outcome`` and
``msp-analysis model la-panel``; :func:`prediction_check` asks whether the culture indicators
help predict outcomes in councils the model has not seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from msp_analysis.analysis.link import (
    LinkResult,
    expressed_outcomes,
    la_panel,
    link_outcomes,
)

METHODS = ("glm_cluster", "gee", "ordinal", "mixed", "ols_panel")
FEW_CLUSTERS = 40
CULTURE_TERMS = ("supervision", "staffing", "complaints_learning")
BINARY_OUTCOMES = ("fully_achieved", "fully_or_partially_achieved")
ORDINAL_OUTCOME = "achieved_level"
INTERCEPT = "Intercept"
LOGISTIC_VARIANCE = math.pi**2 / 3  # variance of the standard logistic distribution (latent scale)
TABLE_COLUMNS = ["term", "estimate", "std_error", "odds_ratio", "ci_low", "ci_high", "p_value", "posterior_sd",
                 "n", "clusters", "method", "caveat"]
JSON_TERM_KEYS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value")
# Names the CLI accepts for published measures (ASCOF codes, short names) -> la_measures measure ids.
MEASURE_ALIASES = {
    "4a": "feel_safe", "feel_safe": "feel_safe",
    "4b": "services_made_feel_safe", "services_made_feel_safe": "services_made_feel_safe",
    "turnover": "workforce_turnover", "workforce_turnover": "workforce_turnover", "asc7": "workforce_turnover",
}

CAVEAT_ECOLOGICAL = ("The predictors {terms} are measured per council, not per person: the estimates compare "
                     "councils (and years) and do not show what happens to any one person (ecological inference); "
                     "they are associations, not effects of changing a council's culture.")
CAVEAT_FEW_CLUSTERS = ("Only {clusters} councils (fewer than 40): clustered standard errors are unreliable with few "
                       "councils; intervals use t with {df} degrees of freedom{extra}, and results near p = 0.05 "
                       "should be read with caution.")
CAVEAT_VARIATIONAL = ("Posterior SDs come from a mean-field variational approximation, which can understate "
                      "uncertainty (most for council-level predictors); read intervals from glm_cluster or gee.")
CAVEAT_DROPPED = "{rows} rows with a missing outcome, predictor or council were left out."


@dataclass
class ModelResult:
    """The tidy table of one fit plus its size, method, caveats and method-specific details.

    ``table`` has one row per term with TABLE_COLUMNS (``std_error_robust`` too for ``gee``);
    ``details`` holds what only some methods have (the ICC and shrunken council estimates of
    ``mixed``, the proportional-odds check of ``ordinal``, the link summary of
    :func:`model_outcome`).
    """

    table: pd.DataFrame
    method: str
    n: int
    clusters: int
    caveat: str
    details: dict = field(default_factory=dict)

    def term(self, name: str) -> pd.Series:
        """The table row of one term (KeyError naming the terms if absent)."""
        rows = self.table[self.table["term"] == name]
        if rows.empty:
            raise KeyError(f"no term {name!r}; terms: {', '.join(self.table['term'])}")
        return rows.iloc[0]

    def to_json_dict(self) -> dict:
        """``{"terms": [{term, estimate, std_error, ci_low, ci_high, p_value}...], "n", "clusters", "method", "caveat"}``.

        Missing numbers (the p-value of a Bayesian fit) are ``None``; ``mixed`` terms also carry
        ``posterior_sd``.
        """
        def number(value: object) -> float | None:
            return None if value is None or pd.isna(value) else float(value)

        terms = []
        for row in self.table.to_dict(orient="records"):
            entry = {"term": str(row["term"]), **{k: number(row[k]) for k in JSON_TERM_KEYS[1:]}}
            if self.method == "mixed":
                entry["posterior_sd"] = number(row["posterior_sd"])
            terms.append(entry)
        return {"terms": terms, "n": int(self.n), "clusters": int(self.clusters), "method": self.method,
                "caveat": self.caveat}


# --- shared preparation ------------------------------------------------------------------------


def default_method(n_clusters: int) -> str:
    """``gee`` (bias-reduced errors) with fewer than 40 councils, else ``glm_cluster``."""
    return "gee" if n_clusters < FEW_CLUSTERS else "glm_cluster"


def _terms(predictors: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """Predictors as {term name: column}; a list names each term after its column."""
    terms = dict(predictors) if isinstance(predictors, Mapping) else {p: p for p in predictors}
    if not terms:
        raise ValueError("no predictors given")
    if INTERCEPT in terms:
        raise ValueError(f"{INTERCEPT!r} is added by the model; do not pass it as a predictor")
    return terms


def _model_frame(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Complete cases of `columns` (and how many rows were left out)."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"data lack column(s) {', '.join(missing)}; columns: {', '.join(map(str, data.columns))}")
    frame = data[columns]
    complete = frame.notna().all(axis=1).to_numpy()
    return frame[complete].reset_index(drop=True), int((~complete).sum())


def _numeric(frame: pd.DataFrame, terms: dict[str, str]) -> np.ndarray:
    try:
        return frame[list(terms.values())].to_numpy(dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(f"predictors {', '.join(terms.values())} must be numeric") from None


def _council_level(frame: pd.DataFrame, terms: dict[str, str], cluster: str, year: str | None) -> list[str]:
    """Terms whose values are constant within each council (and year): measured per council."""
    keys = [cluster] + ([year] if year and year in frame.columns else [])
    grouped = frame.groupby(keys, sort=False)
    return [term for term, column in terms.items() if (grouped[column].nunique(dropna=True) <= 1).all()]


def _caveat(council_terms: list[str], clusters: int, dropped: int, method: str, panel: bool = False) -> str:
    parts = []
    if council_terms:
        text = CAVEAT_ECOLOGICAL.format(terms=", ".join(council_terms))
        if panel:
            text = ("Outcome and predictor are both council averages: the estimate compares councils and years "
                    "and does not show what happens to any one person (ecological inference); it is an "
                    "association, not an effect.")
        parts.append(text)
    if clusters < FEW_CLUSTERS:
        extra = " and the bias-reduced (Mancl-DeRouen) standard errors" if method == "gee" else ""
        if method == "mixed":
            parts.append(f"Only {clusters} councils (fewer than 40): the council variance is poorly estimated "
                         "and the posterior leans on its prior.")
        else:
            parts.append(CAVEAT_FEW_CLUSTERS.format(clusters=clusters, df=max(clusters - 1, 1), extra=extra))
    if method == "mixed":
        parts.append(CAVEAT_VARIATIONAL)
    if dropped:
        parts.append(CAVEAT_DROPPED.format(rows=dropped))
    return " ".join(parts)


def _table(terms: list[str], estimate: np.ndarray, std_error: np.ndarray, *, method: str, n: int, clusters: int,
           caveat: str, logit: bool, df: float | None, posterior: bool = False) -> pd.DataFrame:
    """The tidy table: Wald (t with `df`, or normal) intervals and p-values, or posterior summaries."""
    estimate, std_error = np.asarray(estimate, float), np.asarray(std_error, float)
    if posterior:
        quantile, p_value, posterior_sd = stats.norm.ppf(0.975), np.full(len(terms), np.nan), std_error
    else:
        dist = stats.t(df) if df else stats.norm
        quantile = dist.ppf(0.975)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_value = 2 * dist.sf(np.abs(estimate / std_error))
        posterior_sd = np.full(len(terms), np.nan)
    return pd.DataFrame({
        "term": terms,
        "estimate": estimate,
        "std_error": std_error,
        "odds_ratio": np.exp(estimate) if logit else np.nan,
        "ci_low": estimate - quantile * std_error,
        "ci_high": estimate + quantile * std_error,
        "p_value": p_value,
        "posterior_sd": posterior_sd,
        "n": n,
        "clusters": clusters,
        "method": method,
        "caveat": caveat,
    }, columns=TABLE_COLUMNS)


def _design(values: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(values)), values])


def _binary_outcome(frame: pd.DataFrame, outcome: str) -> pd.Series:
    """The 0/1 outcome column; anything else is an error naming the column."""
    y = pd.to_numeric(frame[outcome], errors="coerce")
    if not y.isin([0, 1]).all():
        raise ValueError(f"outcome {outcome!r} must be 0/1 per row (or pass trials= for counts)")
    return y


def _binomial_counts(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                     trials: str | None) -> pd.DataFrame:
    """Successes and trials per council × predictor values, from 0/1 rows or from counts."""
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        y = _binary_outcome(frame, outcome)
        counts = frame[columns].assign(_s=y.to_numpy(dtype=float), _t=1.0)
    else:
        s = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
        t = pd.to_numeric(frame[trials], errors="coerce").to_numpy(dtype=float)
        if np.isnan(s).any() or np.isnan(t).any() or (s < 0).any() or (s > t).any():
            raise ValueError(f"counts must satisfy 0 <= {outcome} <= {trials}")
        counts = frame[columns].assign(_s=s, _t=t)
    counts = counts.groupby(columns, sort=True, observed=True)[["_s", "_t"]].sum().reset_index()
    return counts[counts["_t"] > 0].reset_index(drop=True)


def _binary_records(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                    trials: str | None) -> pd.DataFrame:
    """One 0/1 row per person (``_y``), expanding counts when given; sorted by council."""
    columns = list(dict.fromkeys([cluster, *terms.values()]))
    if trials is None:
        y = _binary_outcome(frame, outcome)
        records = frame[columns].assign(_y=y.to_numpy(dtype=float))
    else:
        counts = _binomial_counts(frame, outcome, terms, cluster, trials)
        s, t = counts["_s"].to_numpy(dtype="int64"), counts["_t"].to_numpy(dtype="int64")
        rows = np.repeat(np.arange(len(counts)), t)
        first = np.repeat(np.cumsum(t) - t, t)
        records = counts.loc[rows, columns].reset_index(drop=True)
        records["_y"] = (np.arange(len(rows)) - first < np.repeat(s, t)).astype(float)
    return records.sort_values(cluster, kind="stable").reset_index(drop=True)


def _logit_cluster(X: np.ndarray, successes: np.ndarray, trials: np.ndarray, groups: np.ndarray,
                   n_groups: int) -> dict:
    """Binomial logit MLE and its CR1 cluster sandwich: G/(G-1) * H^-1 (sum_g s_g s_g') H^-1.

    Returns params, cov, bread (H^-1) and the per-council score sums (for stacking models).
    The correction G/(G-1) depends only on the number of councils, so the record-level and the
    aggregated fit give identical standard errors.
    """
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
    return {"params": params, "cov": cov, "bread": bread, "cluster_scores": cluster_scores, "groups": used}


# --- methods ------------------------------------------------------------------------------------


def _fit_glm_cluster(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str,
                     trials: str | None) -> dict:
    counts = _binomial_counts(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(counts[cluster], sort=True)
    fit = _logit_cluster(_design(_numeric(counts, terms)), counts["_s"].to_numpy(), counts["_t"].to_numpy(),
                         groups, len(names))
    return {"names": [INTERCEPT, *terms], "estimate": fit["params"], "std_error": np.sqrt(np.diag(fit["cov"])),
            "n": int(counts["_t"].sum()), "clusters": fit["groups"], "logit": True,
            "details": {"cells": len(counts), "cov": fit["cov"]}}


def _fit_gee(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, trials: str | None) -> dict:
    import statsmodels.api as sm

    records = _binary_records(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(records[cluster], sort=True)
    model = sm.GEE(records["_y"].to_numpy(), _design(_numeric(records, terms)), groups=groups,
                   family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())
    result = model.fit(cov_type="bias_reduced")
    if result is None or result.cov_robust_bc is None:
        raise RuntimeError("GEE did not converge or its bias-reduced covariance is singular")
    robust = np.sqrt(np.diag(result.cov_robust))
    return {"names": [INTERCEPT, *terms], "estimate": np.asarray(result.params),
            "std_error": np.sqrt(np.diag(result.cov_robust_bc)), "n": len(records), "clusters": len(names),
            "logit": True, "extra_columns": {"std_error_robust": robust},
            "details": {"working_correlation": float(np.asarray(result.cov_struct.dep_params).ravel()[0]),
                        "std_error_robust": dict(zip([INTERCEPT, *terms], robust))}}


def _ordinal_levels(frame: pd.DataFrame, outcome: str) -> tuple[np.ndarray, list]:
    """Ordinal outcome as codes 0..K-1 (ordered categorical order, or sorted values)."""
    values = frame[outcome]
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    levels = sorted(values.unique())
    if len(levels) < 3:
        raise ValueError(f"ordinal outcome {outcome!r} needs three or more ordered levels, found {levels}")
    return values.map({v: i for i, v in enumerate(levels)}).to_numpy(dtype="int64"), levels


def _fit_ordinal(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str) -> dict:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    codes, levels = _ordinal_levels(frame, outcome)
    groups, names = pd.factorize(frame[cluster], sort=True)
    X = _numeric(frame, terms)
    model = OrderedModel(codes, X, distr="logit")
    start = np.concatenate([np.zeros(X.shape[1]), _start_thresholds(codes, len(levels))])
    result = model.fit(start_params=start, method="bfgs", disp=False, maxiter=500,
                       cov_type="cluster", cov_kwds={"groups": groups})
    k = X.shape[1]
    thresholds = model.transform_threshold_params(result.params)[1:-1]
    check = _proportional_odds_check(codes, X, groups, len(names), list(terms), np.asarray(result.params[:k]))
    return {"names": list(terms), "estimate": np.asarray(result.params[:k]), "std_error": np.asarray(result.bse[:k]),
            "n": len(frame), "clusters": len(names), "logit": True,
            "details": {"levels": levels, "thresholds": dict(zip(
                [f"{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)], thresholds)),
                        "proportional_odds": check["table"], "proportional_odds_test": check["test"]}}


def _start_thresholds(codes: np.ndarray, k: int) -> np.ndarray:
    """OrderedModel's threshold parameters (first cut, then log increments) from marginal shares."""
    cumulative = np.clip(np.cumsum(np.bincount(codes, minlength=k))[:-1] / len(codes), 1e-6, 1 - 1e-6)
    cuts = np.log(cumulative / (1 - cumulative))
    return np.concatenate([[cuts[0]], np.log(np.maximum(np.diff(cuts), 1e-3))])


def _proportional_odds_check(codes: np.ndarray, X: np.ndarray, groups: np.ndarray, n_groups: int,
                             terms: list[str], ordinal: np.ndarray) -> dict:
    """Binary logits at each cut (Y >= j) side by side, and a cluster-robust Wald test that their slopes agree.

    Under proportional odds every cut has the same slopes as the ordinal model. The binary fits
    share their people, so their slopes are compared with the stacked cluster sandwich (a
    Brant-type test robust to clustering).
    """
    design = _design(X)
    k = X.shape[1]
    cuts = sorted(set(codes))[1:]
    fits = [_logit_cluster(design, (codes >= cut).astype(float), np.ones(len(codes)), groups, n_groups)
            for cut in cuts]
    G = fits[0]["groups"]
    bread = _block_diagonal([f["bread"] for f in fits])
    scores = np.hstack([f["cluster_scores"] for f in fits])
    cov = G / max(G - 1, 1) * bread @ scores.T @ scores @ bread
    slopes = [np.asarray(f["params"])[1:] for f in fits]
    size = k + 1
    rows = []
    for j, term in enumerate(terms):
        row = {"term": term, "ordinal_estimate": ordinal[j]}
        for c, (cut, fit) in enumerate(zip(cuts, fits)):
            row[f"cut_{cut}_estimate"] = slopes[c][j]
            row[f"cut_{cut}_std_error"] = math.sqrt(fit["cov"][j + 1, j + 1])
        first, last = 1 + j, (len(cuts) - 1) * size + 1 + j
        contrast = np.zeros(len(cuts) * size)
        contrast[last], contrast[first] = 1, -1
        diff = slopes[-1][j] - slopes[0][j]
        se = math.sqrt(contrast @ cov @ contrast)
        row.update({"difference": diff, "difference_std_error": se,
                    "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else float("nan")})
        rows.append(row)
    # Joint Wald test: slopes of every cut equal to those of the first.
    contrasts = []
    for c in range(1, len(cuts)):
        for j in range(k):
            row = np.zeros(len(cuts) * size)
            row[c * size + 1 + j], row[1 + j] = 1, -1
            contrasts.append(row)
    A = np.array(contrasts)
    d = A @ np.concatenate([np.asarray(f["params"]) for f in fits])
    statistic = float(d @ np.linalg.pinv(A @ cov @ A.T) @ d)
    df = A.shape[0]
    return {"table": pd.DataFrame(rows), "test": {"chi2": statistic, "df": df, "p_value": float(stats.chi2.sf(statistic, df))}}


def _block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for block in blocks:
        n = block.shape[0]
        out[at:at + n, at:at + n] = block
        at += n
    return out


def _fit_mixed(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, trials: str | None,
               vcp_p: float = 1.0, fe_p: float = 2.0, seed: int = 0) -> dict:
    from scipy import sparse
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    records = _binary_records(frame, outcome, terms, cluster, trials)
    groups, names = pd.factorize(records[cluster], sort=True)
    n = len(records)
    exog_vc = sparse.csr_matrix((np.ones(n), (np.arange(n), groups)), shape=(n, len(names)))
    X = _design(_numeric(records, terms))
    y = records["_y"].to_numpy()
    model = BinomialBayesMixedGLM(y, X, exog_vc, ident=np.zeros(len(names), dtype=int), vcp_p=vcp_p, fe_p=fe_p,
                                  fep_names=[INTERCEPT, *terms], vcp_names=["council"], vc_names=list(map(str, names)))
    # Start from the plain logit (fixed effects) and a council SD of 0.2: fewer BFGS steps.
    start = _logit_cluster(X, y, np.ones(n), groups, len(names))
    mean = np.concatenate([start["params"], [math.log(0.2)], np.zeros(len(names))])
    sd = np.concatenate([np.sqrt(np.diag(start["cov"])), [0.5], np.full(len(names), 0.2)])
    result = model.fit_vb(mean=mean, sd=sd, rng=seed)
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
    return {"names": [INTERCEPT, *terms], "estimate": np.asarray(result.fe_mean), "std_error": np.asarray(result.fe_sd),
            "n": n, "clusters": len(names), "logit": True, "posterior": True,
            "details": {"council_sd": sd, "council_sd_interval": (math.exp(log_sd - 1.96 * log_sd_sd),
                                                                  math.exp(log_sd + 1.96 * log_sd_sd)),
                        "icc": icc, "icc_scale": "latent: sd^2 / (sd^2 + pi^2/3)", "council_estimates": councils}}


def _fit_ols_panel(frame: pd.DataFrame, outcome: str, terms: dict[str, str], cluster: str, year: str | None) -> dict:
    import statsmodels.api as sm

    X = _numeric(frame, terms)
    names = [INTERCEPT, *terms]
    if year:
        years = sorted(frame[year].astype(str).unique())
        dummies = np.column_stack([frame[year].astype(str).eq(y).to_numpy(float) for y in years[1:]]) \
            if len(years) > 1 else np.empty((len(frame), 0))
        X = np.column_stack([X, dummies])
        names += [f"year[{y}]" for y in years[1:]]
    groups, clusters = pd.factorize(frame[cluster], sort=True)
    y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
    result = sm.OLS(y, _design(X)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    order = [0] + list(range(1, len(names)))
    return {"names": [names[i] for i in order], "estimate": np.asarray(result.params)[order],
            "std_error": np.asarray(result.bse)[order], "n": len(frame), "clusters": len(clusters), "logit": False,
            "details": {"r_squared": float(result.rsquared), "years": sorted(frame[year].astype(str).unique())
                        if year else []}}


# --- the entry point ----------------------------------------------------------------------------


def fit_outcome_model(
    data: pd.DataFrame | LinkResult,
    method: str | None = None,
    outcome: str = "fully_achieved",
    predictors: Sequence[str] | Mapping[str, str] = CULTURE_TERMS,
    cluster: str = "ons_code",
    *,
    trials: str | None = None,
    year: str | None = "financial_year",
    **kw,
) -> ModelResult:
    """Fit one outcome model and return the tidy :class:`ModelResult`.

    `data` has one row per enquiry (0/1 `outcome`) or per council-year with counts (`outcome`
    successes out of `trials`; ``glm_cluster``, ``gee`` and ``mixed`` accept both). `predictors`
    are columns, or ``{term: column}`` to name terms (e.g. ``{"supervision": "z_supervision"}``).
    `method` None picks ``gee`` under 40 councils, else ``glm_cluster``. `year` names the year
    column: ``ols_panel`` adds year fixed effects; the others use it only to tell council-level
    predictors (ecological caveat). ``mixed`` takes ``vcp_p``, ``fe_p`` (prior SDs) and ``seed``.

    >>> fit_outcome_model(linked.data, "gee", predictors={"supervision": "z_supervision"}).table  # doctest: +SKIP
    """
    if isinstance(data, LinkResult):
        data = data.data
    if method is not None and method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    terms = _terms(predictors)
    year = year if year and year in data.columns else None
    needed = list(dict.fromkeys([outcome, *terms.values(), cluster] + ([trials] if trials else [])
                                + ([year] if year else [])))
    frame, dropped = _model_frame(data, needed)
    if frame.empty:
        raise ValueError("no complete rows to fit: every row lacks the outcome, a predictor or the council")
    n_clusters = frame[cluster].nunique()
    method = method or default_method(n_clusters)
    if trials and method in ("ordinal", "ols_panel"):
        raise ValueError(f"method {method!r} takes one row per person or council-year, not counts (trials=)")
    unknown = set(kw) - ({"vcp_p", "fe_p", "seed"} if method == "mixed" else set())
    if unknown:
        raise TypeError(f"method {method!r} takes no argument(s) {', '.join(sorted(unknown))}")

    # The fits multiply many small matrices (per council, per optimiser step), where threaded BLAS
    # costs more than it saves: the bias-reduced GEE covariance ran 14x faster on one thread.
    with threadpool_limits(limits=1, user_api="blas"):
        if method == "glm_cluster":
            fit = _fit_glm_cluster(frame, outcome, terms, cluster, trials)
        elif method == "gee":
            fit = _fit_gee(frame, outcome, terms, cluster, trials)
        elif method == "ordinal":
            fit = _fit_ordinal(frame, outcome, terms, cluster)
        elif method == "mixed":
            fit = _fit_mixed(frame, outcome, terms, cluster, trials, **kw)
        else:
            fit = _fit_ols_panel(frame, outcome, terms, cluster, year)

    council_terms = _council_level(frame, terms, cluster, year)
    caveat = _caveat(council_terms, fit["clusters"], dropped, method, panel=method == "ols_panel")
    posterior = fit.get("posterior", False)
    table = _table(fit["names"], fit["estimate"], fit["std_error"], method=method, n=fit["n"],
                   clusters=fit["clusters"], caveat=caveat, logit=fit["logit"],
                   df=None if posterior else max(fit["clusters"] - 1, 1), posterior=posterior)
    for column, values in fit.get("extra_columns", {}).items():
        table.insert(3, column, values)
    details = {**fit["details"], "rows_dropped": dropped, "council_level_terms": council_terms}
    return ModelResult(table=table, method=method, n=fit["n"], clusters=fit["clusters"], caveat=caveat,
                       details=details)


# --- pipelines behind the CLI -------------------------------------------------------------------


def model_frame_outcome(
    clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, lag: int = 0, standardise_by: str | None = None
) -> LinkResult:
    """Expressed S42 outcomes linked to the council culture scores of the temperature check.

    Scores are standardised across all council-waves in the temperature check (``z_`` columns);
    see :func:`msp_analysis.analysis.link.link_outcomes` for the boundary-change rule.
    """
    from msp_analysis.analysis.indicators import score_temperature_check

    scores = score_temperature_check(clean_tc_long, standardise_by=standardise_by)
    return link_outcomes(expressed_outcomes(clean_eval), scores, lag=lag)


def model_outcome(
    clean_eval: pd.DataFrame,
    clean_tc_long: pd.DataFrame,
    method: str | None = None,
    outcome: str = "fully_achieved",
    predictors: Sequence[str] = CULTURE_TERMS,
    lag: int = 0,
    standardise_by: str | None = None,
) -> ModelResult:
    """Outcome achievement against council culture: the pipeline of ``msp-analysis model outcome``.

    Among concluded Section 42 enquiries where outcomes were expressed, `outcome`
    ``fully_achieved`` (fully vs partially or not; default) or ``fully_or_partially_achieved``
    is modelled on the council indicators `predictors` (z-scores across all council-waves, terms
    named ``supervision``, ``staffing``, ``complaints_learning``). Method ``ordinal`` models not
    < partially < fully achieved whatever `outcome` says. Council-years without a score are
    left out and counted in the caveat; ``details["unmatched"]`` lists them.

    >>> model_outcome(clean_eval, clean_tc_long, method="gee").to_json_dict()  # doctest: +SKIP
    """
    if outcome not in BINARY_OUTCOMES + (ORDINAL_OUTCOME,):
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(BINARY_OUTCOMES)}")
    if method == "ordinal":
        outcome = ORDINAL_OUTCOME
    elif outcome == ORDINAL_OUTCOME:
        raise ValueError(f"outcome {ORDINAL_OUTCOME!r} is ordinal; use method='ordinal'")
    linked = model_frame_outcome(clean_eval, clean_tc_long, lag=lag, standardise_by=standardise_by)
    matched = linked.matched_data
    if matched.empty:
        raise ValueError("no enquiry matched a temperature-check score (same council and financial year); "
                         f"unmatched council-years: {len(linked.unmatched)}")
    result = fit_outcome_model(matched, method, outcome=outcome, predictors={t: f"z_{t}" for t in predictors},
                               cluster="ons_code", year="financial_year")
    summary = linked.summary()
    if summary["rows_unmatched"]:
        note = (f"{summary['council_years_unmatched']} council-years ({summary['rows_unmatched']} enquiries) had no "
                "culture score and were left out (details['unmatched']).")
        result.caveat = f"{result.caveat} {note}".strip()
        result.table["caveat"] = result.caveat
    result.details.update({"link": summary, "unmatched": linked.unmatched, "outcome": outcome})
    return result


def resolve_measure(name: str) -> str:
    """A measure id of the clean la_measures frame from a CLI name (``4A``, ``turnover``) or the id itself."""
    key = str(name).strip().casefold()
    if key not in MEASURE_ALIASES:
        raise ValueError(f"unknown measure {name!r}; expected one of {', '.join(sorted(MEASURE_ALIASES))}")
    return MEASURE_ALIASES[key]


def model_la_panel(
    clean_measures: pd.DataFrame, outcome: str = "4A", indicator: str = "turnover",
    years: tuple[str, ...] | None = None,
) -> ModelResult:
    """ASCOF outcome on a council measure with year fixed effects: ``msp-analysis model la-panel``.

    Builds the council-year panel (:func:`msp_analysis.analysis.link.la_panel`, 2017-18 to 2022-23 by
    default: every council-year with both values) and fits ``ols_panel`` with council-clustered
    standard errors. The term is named after the indicator's measure id (``workforce_turnover``).

    >>> model_la_panel(load_real_la_measures("../shared/data/real")).to_json_dict()  # doctest: +SKIP
    """
    outcome_id, indicator_id = resolve_measure(outcome), resolve_measure(indicator)
    panel = la_panel(clean_measures, outcome_id, indicator_id, **({"years": years} if years else {}))
    result = fit_outcome_model(panel, "ols_panel", outcome=outcome_id, predictors=[indicator_id],
                               cluster="ons_code", year="financial_year")
    result.details["panel"] = panel
    result.details["years"] = sorted(panel["financial_year"].unique())
    return result


# --- prediction check ---------------------------------------------------------------------------


def prediction_check(
    linked: pd.DataFrame | LinkResult,
    groups: str = "ons_code",
    n_splits: int = 5,
    outcome: str = "fully_achieved",
    indicators: Sequence[str] = tuple(f"z_{t}" for t in CULTURE_TERMS),
    base_features: Sequence[str] = ("financial_year",),
    n_bins: int = 10,
    n_repeats: int = 5,
    random_state: int = 0,
) -> dict:
    """Do the culture indicators predict outcomes in councils the model has not seen?

    Grouped cross-validation (GroupKFold by council) of a logistic model on `base_features`
    alone and with the `indicators` added. Returns a dict of DataFrames: ``summary`` (out-of-council
    AUC pooled over folds and per fold, Brier score), ``calibration`` (mean predicted against
    observed rate per bin of out-of-fold predictions, ``calibration_curve`` with quantile bins),
    ``permutation_importance`` (drop in held-out AUC when one feature is shuffled, mean and SD
    over folds and repeats) and ``folds``. Categorical base features are one-hot encoded.

    >>> prediction_check(linked)["summary"]  # doctest: +SKIP
    """
    from sklearn.calibration import calibration_curve
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold

    if isinstance(linked, LinkResult):
        linked = linked.data
    columns = list(dict.fromkeys([outcome, groups, *indicators, *base_features]))
    frame, dropped = _model_frame(linked, columns)
    y = pd.to_numeric(frame[outcome]).to_numpy(dtype=int)
    if set(np.unique(y)) != {0, 1}:
        raise ValueError(f"outcome {outcome!r} must take both values 0 and 1")
    n_groups = frame[groups].nunique()
    if n_groups < n_splits:
        raise ValueError(f"{n_groups} councils cannot be split into {n_splits} folds")
    base = _features(frame, list(base_features))
    full = pd.concat([base, frame[list(indicators)].astype(float)], axis=1)
    designs = {"without culture indicators": base, "with culture indicators": full}
    splitter = GroupKFold(n_splits=n_splits)
    predictions = {name: np.zeros(len(frame)) for name in designs}
    fold_rows, importance = [], []
    for fold, (train, test) in enumerate(splitter.split(full, y, frame[groups])):
        for name, X in designs.items():
            model = LogisticRegression(max_iter=1000).fit(X.iloc[train], y[train])
            p = model.predict_proba(X.iloc[test])[:, 1]
            predictions[name][test] = p
            fold_rows.append({"model": name, "fold": fold, "n": len(test),
                              "auc": roc_auc_score(y[test], p) if len(set(y[test])) == 2 else np.nan,
                              "brier": brier_score_loss(y[test], p)})
            if name == "with culture indicators":
                perm = permutation_importance(model, X.iloc[test], y[test], scoring="roc_auc",
                                              n_repeats=n_repeats, random_state=random_state + fold)
                importance.append(pd.DataFrame(perm.importances, index=X.columns))
    folds = pd.DataFrame(fold_rows)
    summary, calibration = [], []
    for name, p in predictions.items():
        per_fold = folds[folds["model"] == name]
        summary.append({"model": name, "features": list(designs[name].columns), "auc": roc_auc_score(y, p),
                        "auc_fold_mean": per_fold["auc"].mean(), "auc_fold_sd": per_fold["auc"].std(ddof=1),
                        "brier": brier_score_loss(y, p), "n": len(y), "councils": n_groups, "n_splits": n_splits,
                        "rows_dropped": dropped})
        observed, predicted = calibration_curve(y, p, n_bins=n_bins, strategy="quantile")
        calibration.append(pd.DataFrame({"model": name, "mean_predicted": predicted, "observed_rate": observed}))
    scores = pd.concat(importance, axis=1)
    permutation = pd.DataFrame({"feature": scores.index, "importance_mean": scores.mean(axis=1).to_numpy(),
                                "importance_sd": scores.std(axis=1, ddof=1).to_numpy()})
    return {"summary": pd.DataFrame(summary), "calibration": pd.concat(calibration, ignore_index=True),
            "permutation_importance": permutation.sort_values("importance_mean", ascending=False)
            .reset_index(drop=True), "folds": folds}


def _features(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Numeric columns as they are, others one-hot (first level dropped); a constant when there are none."""
    parts = []
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).rename(column))
        else:
            parts.append(pd.get_dummies(values.astype(str), prefix=column, drop_first=True, dtype=float))
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)
    if out.shape[1] == 0:
        out = pd.DataFrame({"constant": np.zeros(len(frame))}, index=frame.index)
    return out

