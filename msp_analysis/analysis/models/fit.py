"""The entry point of every method, and the pipelines behind ``msp-analysis model outcome`` and ``model la-panel``.

:func:`fit_outcome_model` checks a request against the method's :class:`~msp_analysis.analysis.models.MethodSpec`,
fits it on the complete cases, and builds the tidy :class:`~msp_analysis.analysis.models.result.ModelResult`
with the caveats the spec says. :func:`model_outcome` links S42 outcomes to council culture
scores first; :func:`model_la_panel` builds the council-year panel of published measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
from msp_analysis.analysis.models.design import council_level_terms, model_frame, term_columns
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
        The year column: ``ols_panel`` adds year fixed effects; the others use it only to tell
        council-level predictors (ecological caveat). Ignored when absent from `data`.
    **options
        Options of the method (``MethodSpec.options``): ``mixed`` takes ``vcp_p``, ``fe_p``
        (prior SDs) and ``seed``.

    >>> fit_outcome_model(linked.data, "gee", predictors={"supervision": "z_supervision"}).table  # doctest: +SKIP
    """
    if isinstance(data, LinkResult):
        data = data.data
    if method is not None and method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    terms = term_columns(predictors)
    year = year if year and year in data.columns else None
    needed = list(dict.fromkeys([outcome, *terms.values(), cluster] + ([trials] if trials else [])
                                + ([year] if year else [])))
    frame, dropped = model_frame(data, needed)
    if frame.empty:
        raise UnusableInputError("no complete rows to fit: every row lacks the outcome, a predictor or the council")
    spec = METHODS[method or default_method(frame[cluster].nunique())]
    if trials and not spec.counts:
        raise ParameterError(f"method {spec.name!r} takes one row per person or council-year, not counts (trials=)")
    unknown = set(options) - spec.options
    if unknown:
        raise TypeError(f"method {spec.name!r} takes no argument(s) {', '.join(sorted(unknown))}")

    # The fits multiply many small matrices (per council, per optimiser step), where threaded BLAS
    # costs more than it saves: the bias-reduced GEE covariance ran 14x faster on one thread.
    with threadpool_limits(limits=1, user_api="blas"):
        fit = spec.fit(frame, outcome, terms, cluster, trials=trials, year=year, **options)

    council_terms = council_level_terms(frame, terms, cluster, year)
    caveat = spec.caveats(council_terms, fit.clusters, dropped)
    table = tidy_table(fit.names, fit.estimate, fit.std_error, method=spec.name, n=fit.n, clusters=fit.clusters,
                       caveat=caveat, odds_ratios=spec.odds_ratios,
                       df=None if spec.posterior else max(fit.clusters - 1, 1), posterior=spec.posterior)
    for offset, column in enumerate(spec.table_extra):
        table.insert(3 + offset, column, fit.extra_columns[column])
    details = {**fit.details, "rows_dropped": dropped, "council_level_terms": council_terms}
    return ModelResult(table=table, method=spec.name, n=fit.n, clusters=fit.clusters, caveat=caveat,
                       details=details, term_keys=JSON_TERM_KEYS + spec.json_extra)


def model_frame_outcome(
    clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, lag: int = 0, standardise_by: str | None = None
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
    """
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

    Among concluded Section 42 enquiries where outcomes were expressed, the outcome is modelled
    on the council indicators `predictors` (z-scores across all council-waves, terms named after
    the indicators). An ordinal method models not < partially < fully achieved whatever
    `outcome` says. Council-years without a score are left out and counted in the caveat;
    ``details["unmatched"]`` lists them.

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
    lag, standardise_by
        As in :func:`model_frame_outcome`.

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
    linked = model_frame_outcome(clean_eval, clean_tc_long, lag=lag, standardise_by=standardise_by)
    matched = linked.matched_data
    if matched.empty:
        raise UnusableInputError("no enquiry matched a temperature-check score (same council and financial year); "
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
    years: tuple[str, ...] | None = None,
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

    >>> model_la_panel(load_real_la_measures("path/to/real")).to_json_dict()  # doctest: +SKIP
    """
    outcome_id, indicator_id = resolve_measure(outcome), resolve_measure(indicator)
    panel = (la_panel(clean_measures, outcome_id, indicator_id, years=years) if years
             else la_panel(clean_measures, outcome_id, indicator_id))
    result = fit_outcome_model(panel, "ols_panel", outcome=outcome_id, predictors=[indicator_id],
                               cluster="ons_code", year="financial_year")
    result.details["panel"] = panel
    result.details["years"] = sorted(panel["financial_year"].unique())
    return result
