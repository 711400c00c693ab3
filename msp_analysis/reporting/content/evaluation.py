"""Content of the evaluation report: descriptives, outcome models, intra-council correlation, prediction check.

For England or one region, the report asks the question of the LGA/ADASS resource: do
councils whose staff and partners rate their culture better (supervision, staffing,
learning from complaints) achieve more of the outcomes people want? It fits the models of
:mod:`msp_analysis.analysis.models` (the default cluster-robust logit, GEE, the ordinal model and the
Bayesian mixed model for the intra-council correlation), plots their odds ratios, asks
whether the indicators predict outcomes in councils the model has not seen (grouped
cross-validation), and says the caveats in plain words. Given the public data folder it
adds the real ASCOF 4A (feeling safe) × workforce-turnover panel.

Every table goes through :func:`msp_analysis.disclosure.display.disclose`: counts are controlled;
model estimates and intervals need no control (NHS Digital's rule), and are shown as numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.analysis.link import expressed_outcomes, load_real_la_measures
from msp_analysis.analysis.models import FEW_CLUSTERS, METHODS
from msp_analysis.analysis.models.fit import default_method, fit_outcome_model, model_frame_outcome, model_la_panel
from msp_analysis.analysis.models.prediction import prediction_check
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import culture_terms, indicator_labels, indicator_phrase
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.sections import Section, with_article

ENGLAND = "England"
MODEL_LABELS = {name: spec.label for name, spec in METHODS.items()}  # the labels live on the method registry
OUTCOME_WORDS = {"fully_achieved": "fully achieved", "fully_or_partially_achieved": "fully or partially achieved"}


@dataclass
class EvaluationReport:
    """Every section of one evaluation report and the fitted results behind them."""

    scope: str
    outcome: str
    policy: DisclosurePolicy
    summary: Section
    descriptives: Section
    models: Section
    icc: Section
    prediction: Section
    caveats: Section
    panel: Section
    notes: Section
    results: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)


def in_scope(clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, scope: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The enquiries and temperature-check returns of England or one region."""
    if scope == ENGLAND:
        return clean_eval, clean_tc_long
    return (clean_eval[clean_eval["region"].astype(str) == scope],
            clean_tc_long[clean_tc_long["region"].astype(str) == scope])


def _descriptives(clean_eval: pd.DataFrame, scope: str, outcome: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    expressed = expressed_outcomes(clean_eval)
    s42 = clean_eval["enquiry_type"].astype("string").eq("Section 42").fillna(False)
    by_year = clean_eval[s42.to_numpy()].groupby(clean_eval.loc[s42.to_numpy(), "financial_year"].astype(str)).size()
    per_year = expressed.groupby(expressed["financial_year"].astype(str)).agg(
        expressed=(outcome, "size"), achieved=(outcome, "sum"), councils=("ons_code", "nunique"))
    per_year = per_year.join(by_year.rename("concluded")).reset_index().rename(columns={"financial_year": "year"})
    per_year["councils_text"] = per_year["councils"].map(lambda n: f"{n} councils")
    labels = {"year": "Year", "councils_text": "Councils", "concluded": "Concluded S42 enquiries",
              "expressed": "Expressed outcomes", "rate": f"{OUTCOME_WORDS[outcome].capitalize()} %"}
    national = [scope == ENGLAND] * len(per_year)
    year_table = disclose(per_year, policy, columns=list(labels), labels=labels, text=["year", "councils_text"],
                          counts=["concluded", "expressed"], rates={"rate": (["achieved"], ["expressed"])},
                          national=national, caption=f"Outcomes by year, {scope}")
    if scope == ENGLAND:
        key, names = "region", None
        groups = expressed.groupby(expressed["region"].astype(str))
    else:
        key = "ons_code"
        groups = expressed.groupby(expressed["ons_code"].astype(str))
        names = expressed.drop_duplicates("ons_code").set_index("ons_code")["council_name"].astype(str)
    per_area = groups[outcome].agg(["sum", "size"]).reset_index().rename(columns={key: "area"})
    per_area["name"] = per_area["area"] if names is None else per_area["area"].map(names)
    shown = [not (policy.is_suppressed(a) or policy.is_suppressed(b)) for a, b in zip(per_area["sum"], per_area["size"], strict=True)]
    per_area["value"] = np.where(shown, 100 * per_area["sum"] / per_area["size"], np.nan)
    total = pd.DataFrame({"name": [scope], "sum": [expressed[outcome].sum()], "size": [len(expressed)]})
    total["value"] = 100 * total["sum"] / total["size"]
    chart = pd.concat([per_area.sort_values("value", ascending=False), total], ignore_index=True)
    chart.loc[chart["name"] == scope, "name"] = ENGLAND if scope == ENGLAND else f"{scope} (all)"
    area_labels = {"name": "Region" if scope == ENGLAND else "Council", "size": "Expressed outcomes",
                   "value_pct": f"{OUTCOME_WORDS[outcome].capitalize()} %"}
    area_table = disclose(chart, policy, columns=list(area_labels), labels=area_labels, text=["name"], counts=["size"],
                          rates={"value_pct": (["sum"], ["size"])},
                          national=chart["name"].eq(ENGLAND), caption=f"Outcomes by {'region' if scope == ENGLAND else 'council'}, all years")
    rate = 100 * expressed[outcome].mean() if len(expressed) else float("nan")
    visible = chart.dropna(subset=["value"])
    alt = (f"Bar chart of the share of expressed outcomes {OUTCOME_WORDS[outcome]} by "
           f"{'region' if scope == ENGLAND else 'council'}, all years: "
           + "; ".join(f"{n} {v:.0f}%" for n, v in zip(visible["name"], visible["value"], strict=True)) + ".")
    figure = plots.as_image(plots.outcome_bars(visible, f"Outcomes {OUTCOME_WORDS[outcome]}, {scope}"), alt) \
        if len(visible) else None
    text = (f"The data hold about {policy.format_count(s42.sum(), scope == ENGLAND)} concluded Section 42 enquiries in "
            f"{clean_eval['ons_code'].nunique()} councils over {len(per_year)} year{'s' if len(per_year) != 1 else ''}; in "
            f"about {policy.format_count(len(expressed), scope == ENGLAND)} of them the person expressed the outcomes "
            f"they wanted, and {rate:.1f}% of those were {OUTCOME_WORDS[outcome]}.")
    facts = {"rate": rate, "expressed": len(expressed), "councils": clean_eval["ons_code"].nunique()}
    return Section(markdown=text, figure=figure, tables=[year_table, area_table]), facts


def p_text(value: float) -> str:
    """A p-value as people read it: ``<0.001`` rather than 0.000; blank for a Bayesian fit."""
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _model_terms(results: dict) -> pd.DataFrame:
    rows = []
    for method, result in results.items():
        for term in culture_terms():
            if term not in set(result.table["term"]):
                continue
            row = result.term(term)
            rows.append({"model": MODEL_LABELS.get(method, method), "method": method, "term": term,
                         "label": indicator_labels().get(term, term), "estimate": row["estimate"],
                         "odds_ratio": math.exp(row["estimate"]), "or_low": math.exp(row["ci_low"]),
                         "or_high": math.exp(row["ci_high"]), "p_value": row["p_value"], "n": float(result.n),
                         "clusters": result.clusters})
    return pd.DataFrame(rows)


def _models_section(results: dict, main: str, outcome: str, scope: str, linked_summary: dict,
                    policy: DisclosurePolicy) -> tuple[Section, dict]:
    terms = _model_terms(results)
    labels = {"model": "Model", "label": "Indicator (per 1 SD)", "odds_ratio": "Odds ratio", "or_low": "95% interval from",
              "or_high": "to", "p_value": "p", "n": "People", "clusters_text": "Councils"}
    terms["clusters_text"] = terms["clusters"].map(lambda n: f"{n} councils")
    terms["p_text"] = terms["p_value"].map(p_text)
    labels["p_text"] = labels.pop("p_value")
    labels = {k: labels[k] for k in ("model", "label", "odds_ratio", "or_low", "or_high", "p_text", "n", "clusters_text")}
    table = disclose(terms, policy, columns=list(labels), labels=labels,
                     text=["model", "label", "clusters_text", "p_text"],
                     numbers={"odds_ratio": "{:.2f}", "or_low": "{:.2f}", "or_high": "{:.2f}"},
                     counts=["n"], national=[scope == ENGLAND] * len(terms),
                     caption=f"Odds of outcomes being {OUTCOME_WORDS[outcome]} per 1 SD higher culture indicator, {scope}")
    mains = terms[terms["method"] == main]
    sentences = []
    for row in mains.itertuples():
        direction = "higher" if row.odds_ratio >= 1 else "lower"
        clear = row.or_low > 1 or row.or_high < 1
        sentences.append(f"councils rating {indicator_phrase(row.term)} one standard deviation higher had "
                         f"{row.odds_ratio:.2f} times the odds of {OUTCOME_WORDS[outcome]} outcomes ({direction}; 95% "
                         f"interval {row.or_low:.2f} to {row.or_high:.2f}{'' if clear else ', which includes no difference'})")
    text = (f"In the main model ({MODEL_LABELS.get(main, main)}), with the three indicators together, "
            + "; ".join(sentences) + ".") if sentences else "No model could be fitted."
    if linked_summary.get("rows_unmatched"):
        text += (f" {linked_summary['council_years_unmatched']} council-years without a temperature-check score were "
                 "left out.")
    alt = ("Forest plot of odds ratios with 95% intervals, log scale, per model and indicator. "
           + "; ".join(f"{r.model}, {r.label}: {r.odds_ratio:.2f} ({r.or_low:.2f} to {r.or_high:.2f})"
                       for r in terms.itertuples()) + ".")
    figure = plots.as_image(plots.odds_ratio_figure(terms, f"Culture indicators and outcomes {OUTCOME_WORDS[outcome]}, "
                                                           f"{scope}"), alt) if len(terms) else None
    facts = {f"or_{r.term}": r.odds_ratio for r in mains.itertuples()}
    return Section(markdown=text, figure=figure, tables=[table]), facts


def _icc_section(results: dict) -> tuple[Section, dict]:
    rows, facts = [], {}
    mixed, gee = results.get("mixed"), results.get("gee")
    if mixed is not None and "icc" in mixed.details:
        low_sd, high_sd = mixed.details["council_sd_interval"]
        icc = mixed.details["icc"]
        to_icc = lambda sd: sd**2 / (sd**2 + math.pi**2 / 3)  # noqa: E731
        rows.append({"measure": "Intra-council correlation, latent (logit) scale, mixed model", "value": icc,
                     "low": to_icc(low_sd), "high": to_icc(high_sd)})
        rows.append({"measure": "SD of council effects (log-odds), mixed model", "value": mixed.details["council_sd"],
                     "low": low_sd, "high": high_sd})
        facts["icc"] = icc
    if gee is not None and "working_correlation" in gee.details:
        rows.append({"measure": "Exchangeable working correlation (0/1 scale), GEE",
                     "value": gee.details["working_correlation"], "low": np.nan, "high": np.nan})
        facts["working_correlation"] = gee.details["working_correlation"]
    if not rows:
        return Section(markdown="The intra-council correlation was not estimated."), facts
    table = disclose(pd.DataFrame(rows), "sac", columns=["measure", "value", "low", "high"],
                     labels={"measure": "Measure", "value": "Estimate", "low": "95% interval from", "high": "to"},
                     text=["measure"], numbers={"value": "{:.3f}", "low": "{:.3f}", "high": "{:.3f}"},
                     caption="How alike are outcomes within a council?")
    if "icc" in facts:
        text = (f"After the culture indicators, the intra-council correlation is {facts['icc']:.3f} on the latent scale: "
                f"about {100 * facts['icc']:.1f}% of the variation in whether a person's outcomes are fully achieved "
                "lies between councils rather than between people in the same council. Small as it is, with hundreds "
                "of people per council it makes each council's people count for far fewer independent observations, "
                "which is why every model here accounts for clustering.")
    else:
        text = (f"The GEE working correlation between two people's outcomes in the same council is "
                f"{facts['working_correlation']:.3f}.")
    return Section(markdown=text, tables=[table]), facts


def _prediction_section(check: dict | None, outcome: str, error: str = "") -> tuple[Section, dict]:
    if check is None:
        return Section(markdown=f"The prediction check could not be run: {error}"), {}
    summary = check["summary"].copy()
    summary["model_label"] = summary["model"].str.capitalize()
    summary["councils_text"] = summary["councils"].map(lambda n: f"{n} councils")
    labels = {"model_label": "Model", "auc": "AUC, held-out councils", "auc_fold_mean": "AUC, mean of folds",
              "auc_fold_sd": "SD over folds", "brier": "Brier score", "councils_text": "Councils"}
    table = disclose(summary, "sac", columns=list(labels), labels=labels, text=["model_label", "councils_text"],
                     numbers={"auc": "{:.3f}", "auc_fold_mean": "{:.3f}", "auc_fold_sd": "{:.3f}", "brier": "{:.4f}"},
                     caption=f"Grouped cross-validation by council ({int(summary['n_splits'].iloc[0])} folds)")
    importance = check["permutation_importance"].copy()
    names = indicator_labels()
    importance["feature_label"] = importance["feature"].map(
        lambda f: names.get(f.removeprefix("z_"), f.replace("financial_year_", "year ")))
    imp_table = disclose(importance, "sac", columns=["feature_label", "importance_mean", "importance_sd"],
                         labels={"feature_label": "Feature", "importance_mean": "Drop in held-out AUC when shuffled",
                                 "importance_sd": "SD"}, text=["feature_label"],
                         numbers={"importance_mean": "{:+.4f}", "importance_sd": "{:.4f}"},
                         caption="Permutation importance in held-out councils (model with culture indicators)")
    without = summary.loc[summary["model"] == "without culture indicators"].iloc[0]
    with_ = summary.loc[summary["model"] == "with culture indicators"].iloc[0]
    gain = with_["auc"] - without["auc"]
    text = (f"Trained on some councils and tested on councils it had not seen, a model of whether outcomes are "
            f"{OUTCOME_WORDS[outcome]} reaches an AUC of {with_['auc']:.3f} with the culture indicators against "
            f"{without['auc']:.3f} without them (0.5 is guessing, 1 is perfect). "
            + ("The indicators add a little to prediction in new councils" if gain > 0.005 else
               "The indicators add little or nothing to prediction in new councils")
            + "; most of what decides an individual's outcome is not in a council-level score.")
    alt = ("Calibration plot of observed against predicted rates in held-out councils, with and without the culture "
           f"indicators. AUC with {with_['auc']:.3f}, without {without['auc']:.3f}.")
    figure = plots.as_image(plots.calibration_figure(check["calibration"], "Calibration in held-out councils"), alt)
    return Section(markdown=text, figure=figure, tables=[table, imp_table]), {"auc_with": with_["auc"],
                                                                             "auc_without": without["auc"]}


def _caveats(results: dict, main: str, scope: str) -> Section:
    items = [
        "**Associations, not effects.** The culture scores are councils' and partners' ratings of themselves, measured "
        "per council; the models compare councils (and years). They cannot show that improving supervision in a "
        "council would change what happens to any one person (the ecological fallacy), and councils that rate "
        "themselves well may differ in other ways that matter.",
        "**Self-rating.** A temperature check is a self-assessment; optimism and different readings of the items "
        "vary between organisations. The reliability section of the regional reports shows how well items hang together.",
        "**Clustering.** People in the same council share practice, so the models use council-clustered or "
        "council-level random effects; intervals are wider than a naive model would give.",
        "**Missing scores.** Council-years without a temperature-check return are left out, which biases results if "
        "councils that did not return differ.",
    ]
    main_result = results.get(main)
    if main_result is not None and main_result.caveat:
        items.append(f"**From the model itself:** {main_result.caveat}")
    return Section(markdown="\n".join(f"- {item}" for item in items))


def _panel_section(real_data_dir: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    if not real_data_dir:
        return Section(markdown="No real-data folder was given (parameter `real_data_dir`), so the public ASCOF "
                                "panel is not shown."), {}
    measures = load_real_la_measures(real_data_dir)
    result = model_la_panel(measures, "4A", "turnover")
    panel = result.details["panel"]
    row = result.term("workforce_turnover")
    labels = {"term_label": "Term", "estimate": "Estimate (points of 4A per point of turnover)", "ci_low": "95% interval from",
              "ci_high": "to", "p_text": "p"}
    table_rows = pd.DataFrame([{"term_label": "Workforce turnover (%)", "estimate": row["estimate"], "ci_low": row["ci_low"],
                                "ci_high": row["ci_high"], "p_text": p_text(row["p_value"])}])
    table = disclose(table_rows, policy, columns=list(labels), labels=labels, text=["term_label", "p_text"],
                     numbers={"estimate": "{:+.3f}", "ci_low": "{:+.3f}", "ci_high": "{:+.3f}"},
                     caption=f"ASCOF 4A (feel safe, %) on workforce turnover (%), year fixed effects, "
                             f"{result.clusters} councils, {result.n} council-years")
    years = result.details["years"]
    direction = "more" if row["estimate"] > 0 else "fewer"
    text = (f"In the public data ({years[0]} to {years[-1]}, {result.n} council-years from {result.clusters} councils), "
            f"a council-year with one percentage point higher social-care workforce turnover had {abs(row['estimate']):.2f} "
            f"points {direction} people saying they feel safe (ASCOF 4A) once each year's national level is allowed for "
            f"(95% interval {row['ci_low']:+.2f} to {row['ci_high']:+.2f}). {result.caveat}")
    alt = (f"Scatter plot of ASCOF 4A (people who use services who feel safe, %) against workforce turnover (%) for "
           f"{len(panel)} council-years, coloured by year, with a pooled straight line. The fixed-effects slope is "
           f"{row['estimate']:+.3f}.")
    figure = plots.as_image(plots.panel_figure(panel, "workforce_turnover", "feel_safe",
                                               "Feeling safe and workforce turnover, councils in England",
                                               "Social-care workforce turnover (%, Skills for Care via Oflog)",
                                               "People who use services who feel safe (%, ASCOF 4A)"), alt)
    after = ("Source: public ASCOF trend data (NHS England) and Oflog's adult social care measures, Open Government "
             "Licence; published council percentages, so no small-number control is needed.")
    return Section(markdown=text, figure=figure, tables=[table], after=after), {"panel_slope": float(row["estimate"]),
                                                                                "panel_n": int(result.n)}


def _data_notes(params, scope: str, outcome: str, policy: DisclosurePolicy, methods: list[str]) -> Section:
    dataset = Path(str(params.data_dir)).name if params is not None else "data"
    lines = [
        f"- **Sources:** cleaned record-level enquiries and temperature-check returns, dataset `{dataset}` "
        "(`evaluation.parquet`, `temperature_check.parquet`)"
        + (f"; public data folder `{Path(params.real_data_dir).name}`." if params is not None and params.real_data_dir
           else "."),
        f"- **Outcome:** among concluded Section 42 enquiries where the person expressed outcomes, whether they were "
        f"{OUTCOME_WORDS[outcome]}.",
        f"- **Culture indicators:** council scores from the temperature check of the same financial year, standardised "
        f"across every council-wave in {'England' if scope == ENGLAND else 'the region'} (z-scores); a score never "
        "crosses a boundary change.",
        "- **Models:** " + ", ".join(MODEL_LABELS.get(m, m) for m in methods) + " from `msp_analysis.analysis.models`; the "
        f"first is the main model (GEE with bias-reduced errors under {FEW_CLUSTERS} councils).",
        f"- {policy.statement()} Model estimates and intervals are shown without control.",
    ]
    if params is not None:
        lines.append(f"- **Parameters:** scope {params.scope}, outcome {params.outcome}.")
    return Section(markdown="\n".join(lines))


def build_evaluation_report(clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, scope: str, outcome: str,
                            policy: DisclosurePolicy | str, real_data_dir: str = "", params=None,
                            methods: tuple[str, ...] | None = None) -> EvaluationReport:
    """Every section of the evaluation report for England or one region.

    `methods` default: the main method (``glm_cluster`` with 40 councils or more, else ``gee``),
    then ``gee`` (if not main), ``ordinal`` and ``mixed`` (the intra-council correlation).

    >>> report = build_evaluation_report(enquiries, tc, "England", "fully_achieved", "sac")  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    scope = ENGLAND if scope == ENGLAND else geography.canonical_region(scope)
    enquiries, returns = in_scope(clean_eval, clean_tc_long, scope)
    if enquiries.empty:
        raise ValueError(f"no enquiries in {scope}")
    descriptives, facts = _descriptives(enquiries, scope, outcome, policy)
    linked = model_frame_outcome(enquiries, returns)
    matched = linked.matched_data
    main = default_method(matched["ons_code"].nunique())
    methods = list(methods or dict.fromkeys([main, "gee", "ordinal", "mixed"]))
    predictors = {t: f"z_{t}" for t in culture_terms()}
    results = {}
    for method in methods:
        target = "achieved_level" if method == "ordinal" else outcome
        results[method] = fit_outcome_model(matched, method, outcome=target, predictors=predictors, cluster="ons_code",
                                            year="financial_year")
    models, more = _models_section(results, methods[0], outcome, scope, linked.summary(), policy)
    facts.update(more)
    icc, more = _icc_section(results)
    facts.update(more)
    try:
        check, error = prediction_check(linked, outcome=outcome, n_repeats=3), ""
    except ValueError as problem:
        check, error = None, str(problem)
    prediction, more = _prediction_section(check, outcome, error)
    facts.update(more)
    panel, more = _panel_section(real_data_dir, policy)
    facts.update(more)
    where = "England" if scope == ENGLAND else with_article(scope)
    headline = (f"## {scope}: culture and outcomes\n\n{descriptives.markdown} Across {where}, "
                + (models.markdown[0].lower() + models.markdown[1:] if models.markdown else ""))
    return EvaluationReport(
        scope=scope, outcome=outcome, policy=policy, summary=Section(markdown=headline),
        descriptives=Section(figure=descriptives.figure, tables=descriptives.tables),
        models=Section(figure=models.figure, tables=models.tables, after=models.after), icc=icc, prediction=prediction,
        caveats=_caveats(results, methods[0], scope), panel=panel,
        notes=_data_notes(params, scope, outcome, policy, methods), results=results, facts=facts)
