"""The entry point of every method, and the pipelines behind ``msp-analysis model outcome`` and ``model la-panel``.

:func:`fit_outcome_model` checks a request against the method's :class:`~msp_analysis.analysis.models.MethodSpec`,
fits it on the complete cases, and builds the tidy :class:`~msp_analysis.analysis.models.result.ModelResult`
with the caveats the spec says. :func:`model_outcome` links S42 outcomes to council culture
scores first; :func:`model_la_panel` builds the council-year panel of published measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from msp_analysis.analysis.indicators import score_temperature_check
from msp_analysis.analysis.link import LinkResult, expressed_outcomes, la_panel, link_outcomes
from msp_analysis.analysis.models import (
    BINARY_OUTCOMES,
    CULTURE_TERMS,
    FEW_CLUSTERS,
    METHODS,
    ORDINAL_OUTCOME,
)
from msp_analysis.analysis.models.design import (
    adjustment_terms,
    council_level_terms,
    holm,
    model_frame,
    term_columns,
    year_terms,
)
from msp_analysis.analysis.models.effects import predicted_probabilities
from msp_analysis.analysis.models.result import JSON_TERM_KEYS, ModelResult, tidy_table
from msp_analysis.toolkit.errors import ParameterError, UnusableInputError

# Names the CLI accepts for published measures (ASCOF codes, short names) -> la_measures measure ids.
MEASURE_ALIASES = {
    "4a": "feel_safe", "feel_safe": "feel_safe",
    "4b": "services_made_feel_safe", "services_made_feel_safe": "services_made_feel_safe",
    "turnover": "workforce_turnover", "workforce_turnover": "workforce_turnover", "asc7": "workforce_turnover",
}


def default_method(n_clusters: int) -> str:
    """``gee`` (bias-reduced errors) with fewer than FEW_CLUSTERS councils, else ``glm_cluster``.

    Parameters
    ----------
    n_clusters
        Councils in the data to be fitted.
    """
    return "gee" if n_clusters < FEW_CLUSTERS else "glm_cluster"


def fit_outcome_model(
    data: pd.DataFrame | LinkResult,
    method: str | None = None,
    outcome: str = "fully_achieved",
    predictors: Sequence[str] | Mapping[str, str] = CULTURE_TERMS,
    cluster: str = "ons_code",
    *,
    trials: str | None = None,
    year: str | None = "financial_year",
    adjust: Sequence[str] = (),
    year_effects: bool = True,
    family: Sequence[str] | None = None,
    levels: Mapping[str, tuple[float, float]] | None = None,
    sd_points: Mapping[str, float] | None = None,
    **options: Any,
) -> ModelResult:
    """Fit one outcome model and return the tidy :class:`ModelResult`.

    Parameters
    ----------
    data
        One row per enquiry (0/1 `outcome`) or per council-year with counts (`outcome`
        successes out of `trials`, for methods that accept counts); or a LinkResult.
    method
        A name in ``METHODS``; None picks ``gee`` under FEW_CLUSTERS councils, else ``glm_cluster``.
    outcome
        The outcome column.
    predictors
        Columns, or ``{term: column}`` to name terms (e.g. ``{"supervision": "z_supervision"}``).
    cluster
        The council column.
    trials
        The trials column of count rows.
    year
        The year column: year effects (``year[<year>]`` against the first year) are in every
        model when it has more than one year (``ols_panel`` adds its own); it also tells
        council-level predictors (ecological caveat). Ignored when absent from `data`.
    adjust
        Columns of `data` to adjust for (see :func:`~msp_analysis.analysis.models.design.adjustment_terms`:
        numeric as they are, categories as indicators against their most frequent level).
    year_effects
        False leaves the year effects out (a check; the models always have them).
    family
        Terms whose p-values form one family for Holm's adjustment (``p_value_holm``); None: no
        adjustment column.
    levels
        ``{term: (mean, SD)}`` across council-waves: binary methods then give predicted
        probabilities at −1 SD, the mean and +1 SD of each term in `family` (``details["predicted"]``).
    sd_points
        ``{term: SD of the indicator in score points}``, printed beside the predictions.
    **options
        Options of the method (``MethodSpec.options``): ``mixed`` takes ``quadrature_points``.

    >>> fit_outcome_model(linked.data, "gee", predictors={"supervision": "z_supervision"}).table  # doctest: +SKIP
    """
    if isinstance(data, LinkResult):
        data = data.data
    if method is not None and method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    predictor_terms = term_columns(predictors)
    year = year if year and year in data.columns else None
    extra_terms: dict[str, str] = {}
    spec_name = method
    if adjust or (year_effects and year):
        pieces = [data]
        if adjust:
            adjustments, terms_adj = adjustment_terms(data, list(adjust))
            pieces.append(adjustments)
            extra_terms.update(terms_adj)
        if year_effects and year and (spec_name is None or METHODS[spec_name].outcome != "continuous"):
            years, terms_year = year_terms(data, year)
            pieces.append(years)
            extra_terms.update(terms_year)
        data = pd.concat(pieces, axis=1)
    clash = sorted(set(predictor_terms) & set(extra_terms))
    if clash:
        raise ParameterError(f"{', '.join(clash)} both a predictor and an adjustment")
    terms = {**predictor_terms, **extra_terms}
    needed = list(dict.fromkeys([outcome, *terms.values(), cluster] + ([trials] if trials else [])
                                + ([year] if year else [])))
    frame, dropped = model_frame(data, needed)
    if frame.empty:
        raise UnusableInputError("no complete rows to fit: every row lacks the outcome, a predictor or the council")
    spec = METHODS[method or default_method(frame[cluster].nunique())]
    if spec.outcome == "continuous":
        terms = {t: c for t, c in terms.items() if not t.startswith("year[")}
    if trials and not spec.counts:
        raise ParameterError(f"method {spec.name!r} takes one row per person or council-year, not counts (trials=)")
    unknown = set(options) - spec.options
    if unknown:
        raise TypeError(f"method {spec.name!r} takes no argument(s) {', '.join(sorted(unknown))}")

    # The fits multiply many small matrices (per council, per optimiser step), where threaded BLAS
    # costs more than it saves: the bias-reduced GEE covariance ran 14x faster on one thread.
    with threadpool_limits(limits=1, user_api="blas"):
        fit = spec.fit(frame, outcome, terms, cluster, trials=trials, year=year, **options)

    council_terms = council_level_terms(frame, predictor_terms, cluster, year)
    caveat = spec.caveats(council_terms, fit.clusters, dropped)
    if fit.details.get("fallback"):
        caveat = f"{caveat} {CAVEAT_FALLBACK.format(fallback=fit.details['fallback'])}".strip()
    table = tidy_table(fit.names, fit.estimate, fit.std_error, method=spec.name, n=fit.n, clusters=fit.clusters,
                       caveat=caveat, odds_ratios=spec.odds_ratios,
                       df=None if spec.posterior else (fit.df if fit.df is not None
                                                          else max(fit.clusters - 1, 1)),
                       posterior=spec.posterior)
    for offset, column in enumerate(spec.table_extra):
        table.insert(3 + offset, column, fit.extra_columns[column])
    details = {**fit.details, "rows_dropped": dropped, "council_level_terms": council_terms,
               "adjusted_for": list(adjust), "adjustment_terms": list(extra_terms),
               "year_effects": [t for t in extra_terms if t.startswith("year[")]}
    term_keys = JSON_TERM_KEYS + spec.json_extra
    if family is not None:
        members = [t for t in family if t in set(table["term"])]
        in_family = table["term"].isin(members).to_numpy()
        adjusted = np.full(len(table), np.nan)
        adjusted[in_family] = holm(table.loc[in_family, "p_value"].to_numpy(dtype=float))
        table.insert(list(table.columns).index("p_value") + 1, "p_value_holm", adjusted)
        details["multiplicity"] = {"rule": "Holm", "family": members,
                                   "note": MULTIPLICITY_NOTE.format(k=len(members))}
        term_keys = term_keys + ("p_value_holm",)
        if levels is not None and spec.outcome == "binary" and fit.cov is not None:
            # averaged over the model frame's rows, weighted by their trials: the same average as over the cells
            X = [np.ones(len(frame)), *(frame[c].to_numpy(dtype=float) for c in terms.values())]  # no copy
            weights = np.ones(len(frame)) if trials is None else frame[trials].to_numpy(dtype=float)
            index = {t: 1 + list(terms).index(t) for t in members if t in levels}
            details["predicted"] = predicted_probabilities(
                X, weights, fit.names, fit.estimate, fit.cov, index, dict(levels), dict(sd_points or {}),
                df=None if fit.df is None else dict(zip(fit.names, np.asarray(fit.df, float).tolist(), strict=True)))
    return ModelResult(table=table, method=spec.name, n=fit.n, clusters=fit.clusters, caveat=caveat,
                       details=details, term_keys=term_keys)


def model_frame_outcome(
    clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, lag: int = 0, standardise_by: str | None = None,
    scores: pd.DataFrame | None = None,
) -> LinkResult:
    """Expressed S42 outcomes linked to the council culture scores of the temperature check.

    Scores are standardised across all council-waves in the temperature check (``z_`` columns);
    see :func:`msp_analysis.analysis.link.link_outcomes` for the boundary-change rule.

    Parameters
    ----------
    clean_eval, clean_tc_long
        The clean evaluation export and temperature-check returns.
    lag
        Years between a culture score and the outcomes it is linked to.
    standardise_by
        None: z-scores across all council-waves; a column (``wave``): within each of its values.
    scores
        The council × wave scores of `clean_tc_long` when already computed (as :func:`model_outcome` takes them).
    """
    if scores is None:
        scores = score_temperature_check(clean_tc_long, standardise_by=standardise_by)
    return link_outcomes(expressed_outcomes(clean_eval), scores, lag=lag)


def read_council_covariates(path: str | Path) -> pd.DataFrame:
    """A council covariates file (``ons_code,financial_year,<covariate>...``, CSV or parquet), checked.

    Parameters
    ----------
    path
        The file (``msp-analysis simulate`` writes ``council_covariates.csv``).
    """
    path = Path(path)
    if not path.is_file():
        raise UnusableInputError(f"{path}: no such council covariates file")
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={
            "ons_code": str, "financial_year": str})
    except (OSError, ValueError) as problem:
        raise UnusableInputError(f"{path}: cannot be read as a table ({problem})") from None
    return check_council_covariates(frame, str(path))


def check_council_covariates(frame: pd.DataFrame, source: str = "council covariates") -> pd.DataFrame:
    """The council covariates with keys as text, one row per council-year (an error naming what is wrong)."""
    missing = [c for c in ("ons_code", "financial_year") if c not in frame.columns]
    if missing:
        raise UnusableInputError(f"{source}: lacks column(s) {', '.join(missing)}; expected "
                                 "ons_code,financial_year,<covariate>...")
    out = frame.astype({"ons_code": str, "financial_year": str})
    duplicated = out.duplicated(["ons_code", "financial_year"])
    if duplicated.any():
        first = out.loc[duplicated, ["ons_code", "financial_year"]].iloc[0].tolist()
        raise UnusableInputError(f"{source}: more than one row for {first[0]} in {first[1]}")
    return out


def model_outcome(
    clean_eval: pd.DataFrame,
    clean_tc_long: pd.DataFrame,
    method: str | None = None,
    outcome: str = "fully_achieved",
    predictors: Sequence[str] = CULTURE_TERMS,
    lag: int = 0,
    standardise_by: str | None = None,
    *,
    adjust: Sequence[str] = (),
    council_covariates: pd.DataFrame | None = None,
    within_between: bool = False,
    scores: pd.DataFrame | None = None,
    linked: LinkResult | None = None,
    **options: Any,
) -> ModelResult:
    """Outcome achievement against council culture: the pipeline of ``msp-analysis model outcome``.

    Among concluded Section 42 enquiries where outcomes were expressed, the outcome is modelled
    on the council indicators `predictors` (z-scores across all council-waves, terms named after
    the indicators), with year effects, adjusted for `adjust`. An ordinal method models not <
    partially < fully achieved whatever `outcome` says. Council-years without a score are left
    out and counted in the caveat; ``details["unmatched"]`` lists them. The indicators are one
    family for Holm's adjustment (``p_value_holm``); binary methods add predicted probabilities at
    −1 SD, the mean and +1 SD of each indicator (``details["predicted"]``), with "1 SD" in score points.

    Parameters
    ----------
    clean_eval, clean_tc_long
        The clean evaluation export and temperature-check returns.
    method
        A name in ``METHODS``; None: see :func:`fit_outcome_model`.
    outcome
        One of BINARY_OUTCOMES: ``fully_achieved`` (fully vs partially or not; default) or
        ``fully_or_partially_achieved``.
    predictors
        Indicators (``CULTURE_TERMS`` by default: supervision, staffing, complaints learning).
    lag
        Use the culture score of the wave `lag` years before the outcome year.
    standardise_by
        As in :func:`model_frame_outcome`.
    adjust
        Record-level columns of the evaluation data (``age``, ``lacked_capacity``, ``risk_types``,
        ``risk_location``, ``primary_support_reason`` …) and columns of `council_covariates`.
    council_covariates
        ``ons_code, financial_year, <covariate>...`` (:func:`read_council_covariates`), joined on
        the outcome's council and year.
    within_between
        Split each indicator into its council mean over the waves linked (``<indicator>_between``)
        and the wave's deviation from it (``<indicator>_within``), Mundlak style, and fit both.
    scores
        The council × wave scores of `clean_tc_long` when already computed
        (:func:`~msp_analysis.analysis.indicators.score_temperature_check` with `standardise_by`).
    linked
        The link of `clean_eval`'s outcomes to those scores when already made
        (:func:`model_frame_outcome` with the same `lag`, `standardise_by` and `scores`): several
        fits of one report share it.
    **options
        Options of the method.

    >>> model_outcome(clean_eval, clean_tc_long, method="gee").to_json_dict()  # doctest: +SKIP
    """
    if outcome not in (*BINARY_OUTCOMES, ORDINAL_OUTCOME):
        raise ParameterError(f"unknown outcome {outcome!r}; expected one of {', '.join(BINARY_OUTCOMES)}")
    spec = METHODS.get(method) if method is not None else None
    if spec is not None and spec.outcome == "ordinal":
        outcome = ORDINAL_OUTCOME
    elif outcome == ORDINAL_OUTCOME:
        ordinal = [name for name, s in METHODS.items() if s.outcome == "ordinal"]
        raise ParameterError(f"outcome {ORDINAL_OUTCOME!r} is ordinal; use "
                         + " or ".join(f"method={name!r}" for name in ordinal))
    if scores is None:
        scores = score_temperature_check(clean_tc_long, standardise_by=standardise_by)
    if linked is None:
        linked = link_outcomes(expressed_outcomes(clean_eval), scores, lag=lag)
    matched = linked.matched_data
    if matched.empty:
        raise UnusableInputError("no enquiry matched a temperature-check score (same council and financial year); "
                         f"unmatched council-years: {len(linked.unmatched)}")
    if council_covariates is not None:
        covariates = check_council_covariates(council_covariates)
        clash = sorted((set(covariates.columns) - {"ons_code", "financial_year"}) & set(matched.columns))
        if clash:
            raise UnusableInputError(f"council covariate(s) {', '.join(clash)} clash with columns of the evaluation data")
        matched = matched.astype({"ons_code": str, "financial_year": str}).merge(
            covariates, on=["ons_code", "financial_year"], how="left")
    terms, family, matched = culture_predictors(matched, predictors, within_between)
    levels = council_wave_levels(matched, terms)
    sd_points = indicator_sd_points(scores, predictors, terms, within_between, levels)
    result = fit_outcome_model(matched, method, outcome=outcome, predictors=terms, cluster="ons_code",
                               year="financial_year", adjust=adjust, family=family, levels=levels,
                               sd_points=sd_points, **options)
    summary = linked.summary()
    if summary["rows_unmatched"]:
        note = (f"{summary['council_years_unmatched']} council-years ({summary['rows_unmatched']} enquiries) had no "
                "culture score and were left out (details['unmatched']).")
        result.caveat = f"{result.caveat} {note}".strip()
        result.table["caveat"] = result.caveat
    result.details.update({"link": summary, "unmatched": linked.unmatched, "outcome": outcome, "lag": lag,
                           "within_between": within_between, "sd_points": sd_points,
                           "estimand": ESTIMAND.format(lag=LAG_WORDS[min(lag, 1)].format(lag=lag),
                                                       split=SPLIT_WORDS if within_between else "")})
    return result


ESTIMAND = ("the difference in the log-odds that a person's expressed outcomes are fully achieved between councils "
            "(and years) whose staff rate a culture indicator 1 SD apart, {lag}, holding the other indicators, the "
            "year and the adjustment variables fixed: an association between councils, not the effect of changing "
            "one council's culture{split}")
LAG_WORDS = ("culture measured in the same year as the outcomes", "culture measured {lag} year(s) before the outcomes")
SPLIT_WORDS = ("; split into the difference between councils' means over the waves (between) and a council's "
               "change from its own mean (within), which is free of anything constant within a council")
MULTIPLICITY_NOTE = ("Holm's step-down adjustment across the {k} culture indicators of the model (one family: the "
                     "question is whether any of them goes with outcomes); year effects and adjustment terms are not "
                     "in the family")
CAVEAT_FALLBACK = "GEE fallback: {fallback}."


def culture_predictors(matched: pd.DataFrame, predictors: Sequence[str],
                       within_between: bool) -> tuple[dict[str, str], list[str], pd.DataFrame]:
    """The culture terms ``{term: column}``, the family of terms, and the frame with any split columns added.

    With `within_between`, each indicator's council mean over the council-waves linked (each
    council-wave counting once) and the deviation from it are added as ``<term>_between`` and
    ``<term>_within`` columns.
    """
    if not within_between:
        terms = {t: f"z_{t}" for t in predictors}
        return terms, list(terms), matched
    waves = matched.drop_duplicates(["ons_code", "score_wave"])
    out = matched.copy(deep=False)  # new columns only: the rows' own are shared, not copied
    codes, councils = pd.factorize(out["ons_code"])
    terms = {}
    for t in predictors:
        means = waves.groupby("ons_code")[f"z_{t}"].mean()
        # each row's council mean (as out["ons_code"].map(means)), looked up once per council
        out[f"{t}_between"] = np.append(means.reindex(councils).to_numpy(dtype=float), np.nan)[codes]
        out[f"{t}_within"] = out[f"z_{t}"].to_numpy(dtype=float) - out[f"{t}_between"].to_numpy()
        terms[f"{t}_between"], terms[f"{t}_within"] = f"{t}_between", f"{t}_within"
    return terms, list(terms), out


def council_wave_levels(matched: pd.DataFrame, terms: dict[str, str]) -> dict[str, tuple[float, float]]:
    """``{term: (mean, SD)}`` of each culture term across the council-waves linked (each counting once)."""
    waves = matched.drop_duplicates(["ons_code", "score_wave"])
    return {t: (float(waves[c].mean()), float(waves[c].std(ddof=1))) for t, c in terms.items()}


def indicator_sd_points(scores: pd.DataFrame, predictors: Sequence[str], terms: dict[str, str],
                        within_between: bool, levels: dict[str, tuple[float, float]]) -> dict[str, float]:
    """The SD of each culture term in score points (1-5 answer scale): the z-score's SD times the raw SD.

    `scores` are the council × wave scores (:func:`~msp_analysis.analysis.indicators.score_temperature_check`).
    """
    raw_sd = {t: float(scores[t].std(ddof=1)) for t in predictors if t in scores.columns}
    out = {}
    for term in terms:
        base = term.removesuffix("_between").removesuffix("_within") if within_between else term
        if base in raw_sd:
            out[term] = raw_sd[base] * levels[term][1]
    return out


def resolve_measure(name: str) -> str:
    """A measure id of the clean la_measures frame from a CLI name (``4A``, ``turnover``) or the id itself.

    Parameters
    ----------
    name
        An ASCOF code, a short name or a measure id (any case).
    """
    key = str(name).strip().casefold()
    if key not in MEASURE_ALIASES:
        raise ParameterError(f"unknown measure {name!r}; expected one of {', '.join(sorted(MEASURE_ALIASES))}")
    return MEASURE_ALIASES[key]


def model_la_panel(
    clean_measures: pd.DataFrame, outcome: str = "4A", indicator: str = "turnover",
    years: tuple[str, ...] | None = None, council_effects: bool = False,
) -> ModelResult:
    """ASCOF outcome on a council measure with year fixed effects: ``msp-analysis model la-panel``.

    Builds the council-year panel (:func:`msp_analysis.analysis.link.la_panel`: every
    council-year with both values) and fits ``ols_panel`` with council-clustered standard
    errors. The term is named after the indicator's measure id (``workforce_turnover``).

    Parameters
    ----------
    clean_measures
        The clean la_measures frame.
    outcome, indicator
        Measure names (see :func:`resolve_measure`).
    years
        Financial years of the panel; None: la_panel's default, 2017-18 to 2022-23.
    council_effects
        Add council fixed effects: the slope then says how a council's outcome moved in the years
        its turnover was higher than its own average (within councils), not how councils with
        higher turnover differ from others (the pooled slope, mostly between councils).

    >>> model_la_panel(load_real_la_measures("path/to/real")).to_json_dict()  # doctest: +SKIP
    """
    outcome_id, indicator_id = resolve_measure(outcome), resolve_measure(indicator)
    panel = (la_panel(clean_measures, outcome_id, indicator_id, years=years) if years
             else la_panel(clean_measures, outcome_id, indicator_id))
    result = fit_outcome_model(panel, "ols_panel", outcome=outcome_id, predictors=[indicator_id],
                               cluster="ons_code", year="financial_year", council_effects=council_effects)
    result.details["panel"] = panel
    result.details["years"] = sorted(panel["financial_year"].unique())
    return result
