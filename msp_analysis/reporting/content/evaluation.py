"""Content of the evaluation report: descriptives, outcome models, intra-council correlation, prediction check.

For England or one region, the report asks the question of the LGA/ADASS resource: do
councils whose staff and partners rate their culture better (supervision, staffing,
learning from complaints) achieve more of the outcomes people want? It fits the models of
:mod:`msp_analysis.analysis.models` (the default cluster-robust logit, GEE, the ordinal model and the
maximum-likelihood mixed model for the intra-council correlation), plots their odds ratios, asks
whether the indicators predict outcomes in councils the model has not seen (grouped
cross-validation), and says the caveats in plain words. Given the public data folder it
adds the real ASCOF 4A (feeling safe) × workforce-turnover panel.

Every table goes through :func:`msp_analysis.disclosure.display.disclose`: counts are controlled;
model estimates and intervals need no control (NHS Digital's rule), and are shown as numbers.
The report's fixed words are in ``reporting/text/evaluation.yaml``; this module chooses and fills them.
"""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.analysis.external import cqc_check
from msp_analysis.analysis.indicators import score_temperature_check
from msp_analysis.analysis.link import expressed_outcomes, link_outcomes, load_real_la_measures
from msp_analysis.analysis.models import FEW_CLUSTERS, METHODS
from msp_analysis.analysis.models.fit import (
    default_method,
    fit_outcome_model,
    model_frame_outcome,
    model_la_panel,
    model_outcome,
    read_council_covariates,
)
from msp_analysis.analysis.models.mixed import latent_icc
from msp_analysis.analysis.models.prediction import prediction_check
from msp_analysis.analysis.pathway import series_codes
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.disclosure.secondary import SECONDARY, CellSet, protect
from msp_analysis.io.processed import simulation_truth
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import culture_terms, indicator_labels, indicator_phrase
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.content.groups import gaps_section
from msp_analysis.reporting.sections import ReportText, Section, with_article
from msp_analysis.toolkit.errors import UnusableInputError

ENGLAND = "England"
CASE_MIX = ("age", "lacked_capacity", "risk_types", "risk_location", "primary_support_reason")
# the columns of the evaluation export the report's descriptives, link and models read (besides CASE_MIX)
EXPRESSED_COLUMNS = ("ons_code", "financial_year", "region", "council_name", "enquiry_type", "msp_asked",
                     "msp_outcome_achieved")
COVARIATES_FILE = "council_covariates.csv"  # beside the raw inputs, as `msp-analysis simulate` writes it
MODEL_LABELS = {name: spec.label for name, spec in METHODS.items()}  # the labels live on the method registry
text = ReportText("evaluation")


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
    estimates: Section = field(default_factory=Section)
    groups: Section = field(default_factory=Section)  # where the gaps are (reporting/content/groups.py)
    results: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)


def in_scope(clean_eval: pd.DataFrame, clean_tc_long: pd.DataFrame, scope: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The enquiries and temperature-check returns of England or one region."""
    if scope == ENGLAND:
        return clean_eval, clean_tc_long
    return (clean_eval[clean_eval["region"].astype(str) == scope],
            clean_tc_long[clean_tc_long["region"].astype(str) == scope])


def outcome_words(outcome: str) -> str:
    """The outcome as a sentence says it: 'fully_achieved' → 'fully achieved'."""
    return {"fully_achieved": text("outcome_fully_achieved"),
            "fully_or_partially_achieved": text("outcome_fully_or_partially_achieved")}[outcome]


def _descriptives(clean_eval: pd.DataFrame, scope: str, outcome: str, policy: DisclosurePolicy,
                  expressed: pd.DataFrame | None = None) -> tuple[Section, dict]:
    """Enquiries and outcomes by year and by area: tables, bars and sentence from the disclosed counts only.

    Every count shown adds up to a total the sentence gives (years to all years, areas to the
    scope), so the cells are protected together (:func:`~msp_analysis.disclosure.secondary.protect`)
    and the bars and the sentence use the counts and percentages as shown. `expressed`: the
    :func:`~msp_analysis.analysis.link.expressed_outcomes` of `clean_eval` when already made.
    """
    if expressed is None:
        expressed = expressed_outcomes(clean_eval)
    s42 = clean_eval["enquiry_type"].astype("string").eq("Section 42").fillna(False)
    s42_years = clean_eval["financial_year"][s42.to_numpy()].astype(str)  # the year column only: no copy of the rows
    by_year = s42_years.groupby(s42_years).size()
    per_year = expressed.groupby(expressed["financial_year"].astype(str)).agg(
        expressed=(outcome, "size"), achieved=(outcome, "sum"), councils=("ons_code", "nunique"))
    per_year = per_year.join(by_year.rename("concluded"), how="outer").fillna(0).reset_index()
    per_year = per_year.rename(columns={"financial_year": "year", "index": "year"})
    if scope == ENGLAND:
        key, names = "region", None
        groups = expressed.groupby(expressed["region"].astype(str))
    else:
        key = "ons_code"
        groups = expressed.groupby(expressed["ons_code"].astype(str))
        names = expressed.drop_duplicates("ons_code").set_index("ons_code")["council_name"].astype(str)
    per_area = groups[outcome].agg(["sum", "size"]).reset_index().rename(columns={key: "area"})
    per_area["name"] = per_area["area"] if names is None else per_area["area"].map(names)
    national = scope == ENGLAND
    values = {("all", c): float(v) for c, v in (("concluded", s42.sum()), ("expressed", len(expressed)),
                                                 ("achieved", expressed[outcome].sum()))}
    values |= {(("year", y), c): float(v) for y, row in per_year.set_index("year").iterrows()
               for c, v in row[["concluded", "expressed", "achieved"]].items()}
    values |= {(("area", a), c): float(v) for a, row in per_area.set_index("area").iterrows()
               for c, v in (("expressed", row["size"]), ("achieved", row["sum"]))}
    sets = [CellSet(("all", c), tuple((("year", y), c) for y in per_year["year"]), "years")
            for c in ("concluded", "expressed", "achieved")]
    sets += [CellSet(("all", c), tuple((("area", a), c) for a in per_area["area"]), "areas")
             for c in ("expressed", "achieved")]
    national_keys = [k for k in values if k[0] == "all" or (national and k[0][0] == "year")]
    protection = protect(values, sets, policy, national_keys)
    words = outcome_words(outcome)
    per_year["councils_text"] = per_year["councils"].map(lambda n: text("councils_count", n=int(n)))
    labels = {"year": text("column_year"), "councils_text": text("column_councils"),
              "concluded": text("column_concluded"), "expressed": text("column_expressed"),
              "rate": text("rate_column", outcome=words.capitalize())}
    year_table = disclose(per_year, policy, columns=list(labels), labels=labels, text=["year", "councils_text"],
                          counts=["concluded", "expressed"], rates={"rate": (["achieved"], ["expressed"])},
                          national=[national] * len(per_year), caption=text("year_table_caption", scope=scope),
                          suppressed={c: [protection.status[(("year", y), c)] == SECONDARY for y in per_year["year"]]
                                      for c in ("concluded", "expressed", "achieved")})
    total = pd.DataFrame({"area": ["all"], "name": [ENGLAND if national else text("area_all", scope=scope)],
                          "sum": [values[("all", "achieved")]], "size": [values[("all", "expressed")]]})
    chart = pd.concat([per_area, total], ignore_index=True)
    area_labels = {"name": text("column_region") if national else text("column_council"),
                   "size": text("column_expressed"), "value_pct": text("rate_column", outcome=words.capitalize())}

    def area_table(rows: pd.DataFrame) -> DisclosedTable:
        keys = [("all" if a == "all" else ("area", a)) for a in rows["area"]]
        return disclose(rows, policy, columns=list(area_labels), labels=area_labels, text=["name"], counts=["size"],
                        rates={"value_pct": (["sum"], ["size"])}, national=[k == "all" for k in keys],
                        caption=text("area_table_caption", area=text("area_word_region") if national
                                     else text("area_word_council")),
                        suppressed={"size": [protection.status[(k, "expressed")] == SECONDARY for k in keys],
                                    "sum": [protection.status[(k, "achieved")] == SECONDARY for k in keys]})

    chart["value"] = area_table(chart).values["value_pct"].to_numpy()  # the bars are the shares as shown
    chart = pd.concat([chart.iloc[:-1].sort_values("value", ascending=False, kind="stable"), chart.iloc[-1:]],
                      ignore_index=True)
    shown_areas = area_table(chart)
    area = text("area_word_region") if national else text("area_word_council")
    visible = chart.dropna(subset=["value"])
    bars = "; ".join(text("outcome_bars_alt_bar", name=n, value=v)
                     for n, v in zip(visible["name"], visible["value"], strict=True))
    alt = text("outcome_bars_alt", outcome=words, area=area, bars=bars)
    figure = plots.as_image(plots.outcome_bars(visible, text("outcome_bars_title", outcome=words, scope=scope)), alt) \
        if len(visible) else None
    years = text("year_count_one", n=len(per_year)) if len(per_year) == 1 else text("year_count_many", n=len(per_year))
    codes, year_of = clean_eval["ons_code"].astype(str), clean_eval["financial_year"].astype(str)
    latest = str(year_of.max()) if len(clean_eval) else ""
    councils = codes[year_of == latest].nunique()  # councils that exist: those of one year, not codes over years
    areas = len({series_codes(code)[0] for code in codes.unique()})  # a one-to-one code change is one area
    rate = shown_areas.value(len(chart) - 1, "value_pct")

    def shown_total(column: str) -> str:
        key = ("all", column)
        return policy.symbol if protection.hidden(key) else policy.format_count(values[key], national)

    markdown = text("descriptives", concluded=shown_total("concluded"), councils=councils, latest_year=latest,
                    areas=areas, years=years, expressed=shown_total("expressed"),
                    rate=shown_areas.text(len(chart) - 1, "value_pct") if rate is not None else text("rate_hidden"),
                    outcome=words)
    facts = {"rate": rate, "expressed": len(expressed), "councils": councils, "council_areas": areas,
             "points_descriptives": text("points_descriptives", expressed=shown_total("expressed"), years=years,
                                         rate=shown_areas.text(len(chart) - 1, "value_pct") if rate is not None
                                         else text("rate_hidden"), outcome=words, councils=councils)}
    return Section(markdown=markdown, figure=figure, tables=[year_table, shown_areas]), facts


def p_text(value: float) -> str:
    """A p-value as people read it: ``<0.001`` rather than 0.000; blank for a Bayesian fit."""
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _ordinal_rejected(result) -> bool:
    """The ordinal model's own proportional-odds check rejects it (p < 0.05)."""
    test = result.details.get("proportional_odds_test") if result is not None else None
    return bool(test) and test.get("p_value", 1.0) < 0.05


def _cut_point_rows(result) -> list[dict]:
    """The two cut-point logits of a rejected ordinal model, one row per cut and indicator."""
    check = result.details["proportional_odds"].set_index("term")
    cuts = {"cut_1": text("model_ordinal_cut_partial"), "cut_2": text("model_ordinal_cut_fully")}
    rows = []
    for cut, label in cuts.items():
        for term in culture_terms():
            if term not in check.index or f"{cut}_estimate" not in check.columns:
                continue
            estimate, se = float(check.loc[term, f"{cut}_estimate"]), float(check.loc[term, f"{cut}_std_error"])
            rows.append({"model": label, "method": "ordinal", "cut": cut, "term": term,
                         "label": indicator_labels().get(term, term), "estimate": estimate,
                         "odds_ratio": math.exp(estimate), "or_low": math.exp(estimate - 1.96 * se),
                         "or_high": math.exp(estimate + 1.96 * se), "p_value": float("nan"),
                         "n": float(result.n), "clusters": result.clusters})
    return rows


def _model_terms(results: dict) -> pd.DataFrame:
    rows = []
    for method, result in results.items():
        if method == "ordinal" and _ordinal_rejected(result):
            rows.extend(_cut_point_rows(result))
            continue
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
    words = outcome_words(outcome)
    terms["clusters_text"] = terms["clusters"].map(lambda n: text("councils_count", n=n))
    terms["p_text"] = terms["p_value"].map(p_text)
    labels = {"model": text("column_model"), "label": text("column_indicator"), "odds_ratio": text("column_odds_ratio"),
              "or_low": text("interval_from"), "or_high": text("interval_to"), "p_text": text("column_p"),
              "n": text("column_people"), "clusters_text": text("column_councils")}
    table = disclose(terms, policy, columns=list(labels), labels=labels,
                     text=["model", "label", "clusters_text", "p_text"],
                     numbers={"odds_ratio": "{:.2f}", "or_low": "{:.2f}", "or_high": "{:.2f}"},
                     counts=["n"], national=[scope == ENGLAND] * len(terms),
                     caption=text("models_table_caption", outcome=words, scope=scope))
    mains = terms[terms["method"] == main]
    findings = []
    for row in mains.itertuples():
        direction = text("models_direction_higher") if row.odds_ratio >= 1 else text("models_direction_lower")
        clear = row.or_low > 1 or row.or_high < 1
        findings.append(text("models_finding", indicator=indicator_phrase(row.term), odds_ratio=row.odds_ratio,
                             outcome=words, direction=direction, low=row.or_low, high=row.or_high,
                             includes_one="" if clear else text("models_includes_one")))
    markdown = text("models", model=MODEL_LABELS.get(main, main), findings="; ".join(findings)) if findings \
        else text("models_none")
    if linked_summary.get("rows_unmatched"):
        markdown += " " + text("models_unmatched", n=linked_summary["council_years_unmatched"])
    if _ordinal_rejected(results.get("ordinal")):
        test = results["ordinal"].details["proportional_odds_test"]
        markdown += " " + text("models_ordinal_rejected", chi2=test["chi2"], df=test["df"], p=p_text(test["p_value"]))
    items = "; ".join(text("forest_alt_item", model=r.model, indicator=r.label, odds_ratio=r.odds_ratio, low=r.or_low,
                           high=r.or_high) for r in terms.itertuples())
    alt = text("forest_alt", items=items)
    figure = plots.as_image(plots.odds_ratio_figure(terms, text("forest_title", outcome=words, scope=scope)), alt) \
        if len(terms) else None
    facts = {f"or_{r.term}": r.odds_ratio for r in mains.itertuples()}
    return Section(markdown=markdown, figure=figure, tables=[table]), facts


def _truth_section(results: dict, outcome: str, truth: dict | None) -> tuple[Section, dict]:
    """Simulated data only: each model's estimate and interval beside the target of what it estimates.

    A model of the scored indicators cannot reach the simulator's effect on latent culture (the
    scores measure culture with error, and context confounds it), so every estimate is compared
    with ``truth["targets"]["unadjusted"]``, the target of an unadjusted analysis of the scores:
    population-averaged (``marginal``) for the logit with clustered errors, GEE and the ordinal
    model, conditional on the council for the mixed model. The pooled slope of GEE and the mixed
    model weights within-council change more than the plain logit does, so it shares that target
    only when the between- and within-council targets agree; otherwise, and for an ordinal model
    whose odds are not proportional in the simulation (its "at least partially" cut), the row says
    there is no single target. The latent effect is shown for reference.
    """
    if not truth or not isinstance(truth.get("effects"), dict):
        return Section(), {}
    if outcome != "fully_achieved":
        return Section(markdown=text("truth_other_outcome", outcome=outcome_words(outcome))), {}
    terms = _model_terms(results)
    terms = terms[terms["term"].isin(truth["effects"])].copy()
    if terms.empty:
        return Section(), {}
    terms["true_odds_ratio"] = terms["term"].map(lambda term: math.exp(float(truth["effects"][term])))
    terms["target_odds_ratio"] = [_pooled_target(truth, row.method, row.term, getattr(row, "cut", None))
                                  for row in terms.itertuples()]
    has_target = terms["target_odds_ratio"].notna()
    holds = has_target & (terms["or_low"] <= terms["target_odds_ratio"]) & (terms["target_odds_ratio"] <= terms["or_high"])
    terms["holds_text"] = np.where(~has_target, text("truth_no_target"),
                                   np.where(holds, text("truth_holds_yes"), text("truth_holds_no")))
    labels = {"model": text("column_model"), "label": text("column_indicator"),
              "true_odds_ratio": text("column_true_odds_ratio"), "target_odds_ratio": text("column_target_odds_ratio"),
              "odds_ratio": text("column_odds_ratio"), "or_low": text("interval_from"), "or_high": text("interval_to"),
              "holds_text": text("column_holds_truth")}
    table = disclose(terms, "sac", columns=list(labels), labels=labels, text=["model", "label", "holds_text"],
                     numbers={"true_odds_ratio": "{:.2f}", "target_odds_ratio": "{:.2f}", "odds_ratio": "{:.2f}",
                              "or_low": "{:.2f}", "or_high": "{:.2f}"}, caption=text("truth_table_caption"))
    markdown = text("truth", held=int(holds.sum()), intervals=int(has_target.sum()))
    facts = {f"true_or_{term}": math.exp(float(value)) for term, value in truth["effects"].items()}
    facts.update({f"target_or_{row.method}_{row.term}" + (f"_{row.cut}" if isinstance(getattr(row, "cut", None), str)
                                                          else ""): row.target_odds_ratio
                  for row in terms.itertuples()})
    return Section(markdown=markdown, tables=[table]), facts


POOLED_TARGET_TOLERANCE = 0.01  # log-odds: between and within targets this close make one pooled target


def _pooled_target(truth: dict, method: str, term: str, cut: object = None) -> float:
    """The odds ratio an unadjusted, pooled fit of `method` should find on simulated data; NaN when it has none."""
    scale = "conditional" if method == "mixed" else "marginal"
    value = _targets_of(truth, "unadjusted").get(scale, {}).get(term)
    if value is None:
        return float("nan")
    if method in ("gee", "mixed"):
        split = _targets_of(truth, "within_between").get(scale, {})
        between, within = split.get(f"{term}_between"), split.get(f"{term}_within")
        if between is None or within is None or abs(between - within) > POOLED_TARGET_TOLERANCE:
            return float("nan")
    if method == "ordinal":
        proportional = bool(truth.get("parameters", {}).get("partial_log_odds"))
        if not proportional and cut != "cut_2":  # only "fully achieved" keeps the binary target
            return float("nan")
    return math.exp(float(value))


def council_covariates_beside(data_dir: str | Path) -> pd.DataFrame | None:
    """The council covariates file beside the raw inputs the processed evaluation was cleaned from, or None.

    Read from ``DATA_DIR/evaluation.manifest.json``'s input paths (where ``msp-analysis simulate``
    wrote ``council_covariates.csv``); real exports have none, and the models then adjust for the
    record-level case mix only.
    """
    manifest = Path(data_dir) / "evaluation.manifest.json"
    try:
        inputs = json.loads(manifest.read_text(encoding="utf-8")).get("inputs", [])
    except (OSError, ValueError):
        return None
    for entry in inputs:
        path = Path(str(entry.get("path", ""))).parent / COVARIATES_FILE if isinstance(entry, dict) else None
        if path is not None and path.is_file():
            return read_council_covariates(path)
    return None


def _estimate_rows(result, terms: list[str]) -> dict:
    rows = {}
    for term in terms:
        if term in set(result.table["term"]):
            row = result.term(term)
            rows[term] = {"or": math.exp(row["estimate"]), "low": math.exp(row["ci_low"]),
                          "high": math.exp(row["ci_high"]), "p_holm": row.get("p_value_holm", np.nan),
                          "estimate": row["estimate"]}
    return rows


def _targets_of(truth: dict | None, analysis: str) -> dict:
    """An analysis's targets on simulated data: per 1 SD of this simulation's own scores (``this_simulation``)
    when the truth has them (the unit the models' slopes are in), else the scenario's average per SD."""
    entry = (truth or {}).get("targets", {}).get(analysis, {})
    return entry.get("this_simulation", entry)


def _target(truth: dict | None, analysis: str, term: str, method: str) -> float:
    """The odds ratio a correct analysis should find on simulated data (NaN when not known)."""
    scale = "conditional" if method == "mixed" else "marginal"
    value = _targets_of(truth, analysis).get(scale, {}).get(term)
    return math.exp(value) if value is not None else float("nan")


def _estimates_section(enquiries: pd.DataFrame, returns: pd.DataFrame, main: str, outcome: str,
                       covariates: pd.DataFrame | None, truth: dict | None,
                       scores: pd.DataFrame | None = None, linked=None) -> tuple[Section, dict, str]:
    """What the models estimate: unadjusted beside adjusted, between beside within, predicted probabilities.

    The main method fits the indicators three ways (year effects always): unadjusted; adjusted for
    the case mix of the export and, when given, the council covariates; and adjusted with each
    indicator split into its council mean over the waves and the wave's deviation from it. The
    indicators are one family for Holm's adjustment. On simulated data each estimate has beside it
    the target a correct analysis should reach (``truth["targets"]``). `scores`: the council × wave
    scores of `returns` (:func:`score_temperature_check`) when already computed, shared by the three fits;
    `linked`, the link of `enquiries` to those scores (:func:`model_frame_outcome`) when already made.
    """
    if scores is None:
        scores = score_temperature_check(returns)
    case_mix = [c for c in CASE_MIX if c in enquiries.columns]
    council = [c for c in (covariates.columns if covariates is not None else []) if c not in
               ("ons_code", "financial_year", "size")]
    adjust = case_mix + council
    terms = list(culture_terms())
    if linked is None:
        linked = model_frame_outcome(enquiries, returns, scores=scores)
    # only the adjusted fit's predicted probabilities are shown
    fits = {"unadjusted": model_outcome(enquiries, returns, method=main, outcome=outcome, scores=scores, linked=linked,
                                        predicted=False),
            "adjusted": model_outcome(enquiries, returns, method=main, outcome=outcome, adjust=adjust,
                                      council_covariates=covariates, scores=scores, linked=linked)}
    with contextlib.suppress(ValueError):  # one wave only: nothing varies within a council
        fits["within_between"] = model_outcome(enquiries, returns, method=main, outcome=outcome, adjust=adjust,
                                               council_covariates=covariates, within_between=True, scores=scores,
                                               linked=linked, predicted=False)
    unadjusted, adjusted = _estimate_rows(fits["unadjusted"], terms), _estimate_rows(fits["adjusted"], terms)
    simulated = bool(truth and truth.get("targets"))
    rows = []
    for term in terms:
        if term not in adjusted:
            continue
        rows.append({"label": indicator_labels().get(term, term),
                     "or_unadjusted": unadjusted[term]["or"], "low_unadjusted": unadjusted[term]["low"],
                     "high_unadjusted": unadjusted[term]["high"], "or_adjusted": adjusted[term]["or"],
                     "low_adjusted": adjusted[term]["low"], "high_adjusted": adjusted[term]["high"],
                     "p_holm": p_text(adjusted[term]["p_holm"]),
                     "target": _target(truth, "adjusted", term, main)})
    labels = {"label": text("column_indicator"), "or_unadjusted": text("column_unadjusted"),
              "low_unadjusted": text("interval_from"), "high_unadjusted": text("interval_to"),
              "or_adjusted": text("column_adjusted"), "low_adjusted": text("interval_from"),
              "high_adjusted": text("interval_to"), "p_holm": text("column_p_holm")}
    if simulated:
        labels["target"] = text("column_target")
    number = {c: "{:.2f}" for c in labels if c not in ("label", "p_holm")}
    tables = [disclose(pd.DataFrame(rows), "sac", columns=list(labels), labels=labels, text=["label", "p_holm"],
                       numbers=number, caption=text("adjusted_table_caption", model=MODEL_LABELS.get(main, main)))]
    split = fits.get("within_between")
    if split is not None:
        parts = _estimate_rows(split, [f"{t}_{p}" for t in terms for p in ("between", "within")])
        rows = [{"label": indicator_labels().get(t, t),
                 **{f"{key}_{p}": parts[f"{t}_{p}"][key] for p in ("between", "within") for key in ("or", "low", "high")},
                 "target_between": _target(truth, "within_between", f"{t}_between", main),
                 "target_within": _target(truth, "within_between", f"{t}_within", main)}
                for t in terms if f"{t}_between" in parts]
        labels = {"label": text("column_indicator"), "or_between": text("column_between"),
                  "low_between": text("interval_from"), "high_between": text("interval_to"),
                  "or_within": text("column_within"), "low_within": text("interval_from"),
                  "high_within": text("interval_to")}
        if simulated:
            labels.update({"target_between": text("column_target_between"),
                           "target_within": text("column_target_within")})
        number = {c: "{:.2f}" for c in labels if c != "label"}
        tables.append(disclose(pd.DataFrame(rows), "sac", columns=list(labels), labels=labels, text=["label"],
                               numbers=number, caption=text("split_table_caption")))
    predicted = fits["adjusted"].details.get("predicted")
    headline = []
    if isinstance(predicted, pd.DataFrame) and len(predicted):
        shown = predicted.assign(label=predicted["term"].map(lambda t: indicator_labels().get(t, t)))
        labels = {"label": text("column_indicator"), "sd_points": text("column_sd_points"),
                  "p_low": text("column_p_low"), "p_mean": text("column_p_mean"), "p_high": text("column_p_high"),
                  "difference_points": text("column_difference"), "difference_low": text("interval_from"),
                  "difference_high": text("interval_to")}
        tables.append(disclose(shown, "sac", columns=list(labels), labels=labels, text=["label"],
                               numbers={"sd_points": "{:.2f}", "p_low": "{:.1f}", "p_mean": "{:.1f}",
                                        "p_high": "{:.1f}", "difference_points": "{:+.1f}",
                                        "difference_low": "{:+.1f}", "difference_high": "{:+.1f}"},
                               caption=text("predicted_table_caption", outcome=outcome_words(outcome))))
        for row in shown.itertuples():
            headline.append(text("predicted_finding", indicator=indicator_phrase(row.term), points=row.sd_points,
                                 low=row.p_low, high=row.p_high, difference=row.difference_points,
                                 difference_low=row.difference_low, difference_high=row.difference_high))
    details = fits["adjusted"].details
    covariate_words = ", ".join(adjust) if adjust else text("estimates_no_covariates")
    markdown = " ".join(filter(None, [
        text("estimates_estimand", estimand=details["estimand"]),
        text("estimates_adjustment", covariates=covariate_words, lag=details["lag"]),
        text("estimates_multiplicity", rule=details["multiplicity"]["rule"],
             family=", ".join(indicator_labels().get(t, t) for t in details["multiplicity"]["family"])),
        text("estimates_headline", outcome=outcome_words(outcome), findings="; ".join(headline)) if headline else "",
        text("estimates_truth") if simulated else ""]))
    facts = {f"adjusted_or_{t}": adjusted[t]["or"] for t in adjusted}
    facts.update({f"unadjusted_or_{t}": unadjusted[t]["or"] for t in unadjusted})
    if isinstance(predicted, pd.DataFrame):
        facts.update({f"difference_points_{r.term}": r.difference_points for r in predicted.itertuples()})
    facts["adjusted_for"] = adjust
    summary = text("summary_adjusted", findings="; ".join(headline)) if headline else ""
    return Section(markdown=markdown, tables=tables), facts, summary


def _icc_section(results: dict) -> tuple[Section, dict]:
    rows, facts = [], {}
    mixed, gee = results.get("mixed"), results.get("gee")
    if mixed is not None and "icc" in mixed.details:
        low_sd, high_sd = mixed.details["council_sd_interval"]
        icc = mixed.details["icc"]
        rows.append({"measure": text("icc_measure_latent"), "value": icc, "low": latent_icc(low_sd),
                     "high": latent_icc(high_sd)})
        rows.append({"measure": text("icc_measure_council_sd"), "value": mixed.details["council_sd"],
                     "low": low_sd, "high": high_sd})
        facts["icc"] = icc
    if gee is not None and "working_correlation" in gee.details:
        rows.append({"measure": text("icc_measure_working"),
                     "value": gee.details["working_correlation"], "low": np.nan, "high": np.nan})
        facts["working_correlation"] = gee.details["working_correlation"]
    if not rows:
        return Section(markdown=text("icc_none")), facts
    labels = {"measure": text("column_measure"), "value": text("column_estimate"), "low": text("interval_from"),
              "high": text("interval_to")}
    table = disclose(pd.DataFrame(rows), "sac", columns=list(labels), labels=labels,
                     text=["measure"], numbers={"value": "{:.3f}", "low": "{:.3f}", "high": "{:.3f}"},
                     caption=text("icc_table_caption"))
    if "icc" in facts:
        markdown = text("icc_mixed", icc=facts["icc"], share=100 * facts["icc"])
    else:
        markdown = text("icc_gee", correlation=facts["working_correlation"])
    return Section(markdown=markdown, tables=[table]), facts


def _prediction_section(check: dict | None, outcome: str, error: str = "") -> tuple[Section, dict]:
    if check is None:
        return Section(markdown=text("prediction_failed", error=error)), {}
    summary = check["summary"].copy()
    summary["model_label"] = summary["model"].str.capitalize()
    summary["councils_text"] = summary["councils"].map(lambda n: text("councils_count", n=n))
    labels = {"model_label": text("column_model"), "auc": text("column_auc"),
              "auc_fold_mean": text("column_auc_fold_mean"), "auc_fold_sd": text("column_auc_fold_sd"),
              "brier": text("column_brier"), "councils_text": text("column_councils")}
    table = disclose(summary, "sac", columns=list(labels), labels=labels, text=["model_label", "councils_text"],
                     numbers={"auc": "{:.3f}", "auc_fold_mean": "{:.3f}", "auc_fold_sd": "{:.3f}", "brier": "{:.4f}"},
                     caption=text("prediction_table_caption", folds=int(summary["n_splits"].iloc[0])))
    importance = check["permutation_importance"].copy()
    importance["feature_label"] = importance["feature"].map(_feature_label)
    imp_labels = {"feature_label": text("column_feature"), "importance_mean": text("column_importance"),
                  "importance_sd": text("column_sd")}
    imp_table = disclose(importance, "sac", columns=list(imp_labels), labels=imp_labels, text=["feature_label"],
                         numbers={"importance_mean": "{:+.4f}", "importance_sd": "{:.4f}"},
                         caption=text("importance_table_caption"))
    without = summary.loc[summary["model"] == "without culture indicators"].iloc[0]
    with_ = summary.loc[summary["model"] == "with culture indicators"].iloc[0]
    gain = with_["auc"] - without["auc"]
    verdict = text("prediction_gain") if gain > 0.005 else text("prediction_no_gain")
    markdown = text("prediction", outcome=outcome_words(outcome), auc_with=with_["auc"], auc_without=without["auc"],
                    verdict=verdict)
    alt = text("calibration_alt", auc_with=with_["auc"], auc_without=without["auc"])
    figure = plots.as_image(plots.calibration_figure(check["calibration"], text("calibration_title")), alt)
    return Section(markdown=markdown, figure=figure, tables=[table, imp_table]), {"auc_with": with_["auc"],
                                                                                 "auc_without": without["auc"]}


def _feature_label(feature: str) -> str:
    """A model feature as the importance table names it: an indicator's label, or 'year 2022-23'."""
    names = indicator_labels()
    if feature.removeprefix("z_") in names:
        return names[feature.removeprefix("z_")]
    if feature.startswith("financial_year_"):
        return text("feature_year", year=feature.removeprefix("financial_year_"))
    return feature


def _main_points(facts: dict, results: dict, main: str, outcome: str, linked_summary: dict) -> list[str]:
    """Three to five sentences a board reads first, from the body's numbers: the disclosed descriptives, the main
    model's odds ratios and the adjusted predicted differences (model output, which DESIGN.md lets a report
    show), that these are associations, and what the models had to leave out."""
    words = outcome_words(outcome)
    points = [facts["points_descriptives"]]
    terms = _model_terms({main: results[main]}) if main in results else pd.DataFrame()
    if len(terms):
        findings = [text("points_model_term", odds_ratio=r.odds_ratio, indicator=indicator_phrase(r.term), low=r.or_low,
                         high=r.or_high) for r in terms.itertuples()]
        clear = [indicator_phrase(r.term) for r in terms.itertuples() if r.or_low > 1 or r.or_high < 1]
        points.append(text("points_models", model=MODEL_LABELS.get(main, main), outcome=words,
                           findings=_listed(findings),
                           clear=text("points_models_all_clear") if len(clear) == len(findings) else
                           text("points_models_clear", indicators=_listed(clear)) if clear
                           else text("points_models_none_clear")))
    differences = [(t, facts[f"difference_points_{t}"]) for t in culture_terms() if f"difference_points_{t}" in facts]
    if differences:
        points.append(text("points_adjusted", outcome=words, findings=_listed(
            [text("points_adjusted_term", difference=d, indicator=indicator_phrase(t)) for t, d in differences])))
    points.append(text("points_associations"))
    unmatched = int(linked_summary.get("council_years_unmatched", 0) or 0)
    points.append(text("points_unmatched", n=unmatched) if unmatched else text("points_all_matched"))
    return points[:5]


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _caveats(results: dict, main: str, scope: str) -> Section:
    items = [text("caveat_associations"), text("caveat_common_method"), text("caveat_reverse"),
             text("caveat_self_rating"), text("caveat_measurement"), text("caveat_clustering"), text("caveat_missing")]
    main_result = results.get(main)
    if main_result is not None and main_result.caveat:
        items.append(text("caveat_from_model", caveat=main_result.caveat))
    return Section(markdown="\n".join(f"- {item}" for item in items))


def _panel_section(real_data_dir: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    if not real_data_dir:
        return Section(markdown=text("panel_no_data")), {}
    measures = load_real_la_measures(real_data_dir)
    result = model_la_panel(measures, "4A", "turnover")
    within = model_la_panel(measures, "4A", "turnover", council_effects=True)
    panel = result.details["panel"]
    row = result.term("workforce_turnover")
    fixed = within.term("workforce_turnover")
    labels = {"term_label": text("column_term"), "estimate": text("column_panel_estimate"),
              "std_error": text("column_standard_error"), "ci_low": text("interval_from"),
              "ci_high": text("interval_to"), "p_text": text("column_p")}
    table_rows = pd.DataFrame([
        {"term_label": text("panel_term_pooled"), "estimate": row["estimate"], "std_error": row["std_error"],
         "ci_low": row["ci_low"], "ci_high": row["ci_high"], "p_text": p_text(row["p_value"])},
        {"term_label": text("panel_term_fixed"), "estimate": fixed["estimate"], "std_error": fixed["std_error"],
         "ci_low": fixed["ci_low"], "ci_high": fixed["ci_high"], "p_text": p_text(fixed["p_value"])}])
    table = disclose(table_rows, policy, columns=list(labels), labels=labels, text=["term_label", "p_text"],
                     numbers={"estimate": "{:+.3f}", "std_error": "{:.3f}", "ci_low": "{:+.3f}", "ci_high": "{:+.3f}"},
                     caption=text("panel_table_caption", councils=result.clusters, n=result.n))
    years = result.details["years"]
    direction = text("panel_direction_more") if row["estimate"] > 0 else text("panel_direction_fewer")
    markdown = text("panel", first_year=years[0], last_year=years[-1], n=result.n, councils=result.clusters,
                    size=abs(row["estimate"]), direction=direction, low=row["ci_low"], high=row["ci_high"],
                    caveat=result.caveat)
    reading = (text("panel_fixed_smaller") if abs(fixed["estimate"]) < abs(row["estimate"])
               else text("panel_fixed_not_smaller"))
    markdown += " " + text("panel_fixed", slope=fixed["estimate"], low=fixed["ci_low"], high=fixed["ci_high"],
                           pooled=row["estimate"], reading=reading)
    alt = text("panel_alt", n=len(panel), slope=row["estimate"])
    figure = plots.as_image(plots.panel_figure(panel, "workforce_turnover", "feel_safe", text("panel_title"),
                                               text("panel_xlabel"), text("panel_ylabel")), alt)
    tables, facts = [table], {"panel_slope": float(row["estimate"]),
                              "panel_fixed_effects_slope": float(fixed["estimate"]), "panel_n": int(result.n)}
    try:
        check = cqc_check(real_data_dir, measures)
    except UnusableInputError:
        check = None
    if check is not None:
        correlations = check["correlations"]
        shown = correlations[correlations["cqc_score"] == "qs7_safeguarding"].assign(
            measure_label=lambda d: d["measure"].map({"feel_safe": text("cqc_measure_4a"),
                                                      "services_made_feel_safe": text("cqc_measure_4b"),
                                                      "workforce_turnover": text("cqc_measure_turnover")}),
            councils_text=lambda d: d["councils"].map(lambda n: text("councils_count", n=n)))
        cqc_labels = {"measure_label": text("column_measure"), "years": text("column_year"),
                      "spearman_rho": text("column_rho"), "ci_low": text("interval_from"),
                      "ci_high": text("interval_to"), "councils_text": text("column_councils")}
        tables.append(disclose(shown, policy, columns=list(cqc_labels), labels=cqc_labels,
                               text=["measure_label", "years", "councils_text"],
                               numbers={"spearman_rho": "{:+.2f}", "ci_low": "{:+.2f}", "ci_high": "{:+.2f}"},
                               caption=text("cqc_table_caption")))
        first = shown[shown["measure"] == "feel_safe"].iloc[0]
        verdict = (text("cqc_verdict_more") if first["ci_low"] > 0 else text("cqc_verdict_fewer")
                   if first["ci_high"] < 0 else text("cqc_verdict_none"))
        markdown += " " + text("cqc", councils=int(first["councils"]), verdict=verdict, rho=first["spearman_rho"],
                               low=first["ci_low"], high=first["ci_high"])
        facts["cqc_qs7_feel_safe_rho"] = float(first["spearman_rho"])
    return Section(markdown=markdown, figure=figure, tables=tables, after=text("panel_source")), facts


def _data_notes(params, scope: str, outcome: str, policy: DisclosurePolicy, methods: list[str]) -> Section:
    dataset = Path(str(params.data_dir)).name if params is not None else "data"
    public_folder = text("notes_public_folder", folder=Path(params.real_data_dir).name) \
        if params is not None and params.real_data_dir else ""
    items = [
        text("notes_sources", dataset=dataset, public_folder=public_folder),
        text("notes_outcome", outcome=outcome_words(outcome)),
        text("notes_culture", area=ENGLAND if scope == ENGLAND else text("notes_area_region")),
        text("notes_models", methods=", ".join(MODEL_LABELS.get(m, m) for m in methods), few_clusters=FEW_CLUSTERS),
        text("notes_disclosure", statement=policy.statement()),
        text("notes_scope"),
    ]
    if params is not None:
        items.append(text("notes_parameters", scope=params.scope, outcome=params.outcome))
    return Section(markdown="\n".join(f"- {item}" for item in items))


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
    # once, with the columns this report uses: the descriptives, the link and every fit share it
    used = [c for c in enquiries.columns if c in EXPRESSED_COLUMNS or c in CASE_MIX]
    expressed = expressed_outcomes(enquiries[used])
    descriptives, facts = _descriptives(enquiries, scope, outcome, policy, expressed)
    scores = score_temperature_check(returns)  # once: the link below and the three fits of the estimates share it
    linked = link_outcomes(expressed, scores)  # model_frame_outcome(enquiries, returns, scores=scores), shared
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
    truth_dict = simulation_truth(params.data_dir) if params is not None else None
    truth, more = _truth_section(results, outcome, truth_dict)
    facts.update(more)
    covariates = council_covariates_beside(params.data_dir) if params is not None else None
    estimates, more, adjusted_summary = _estimates_section(enquiries, returns, methods[0], outcome, covariates,
                                                           truth_dict, scores, linked)
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
    where = ENGLAND if scope == ENGLAND else with_article(scope)
    headline = text("summary", scope=scope, descriptives=descriptives.markdown, where=where,
                    models=models.markdown[:1].lower() + models.markdown[1:])
    if adjusted_summary:
        headline += " " + adjusted_summary
    points = _main_points(facts, results, methods[0], outcome, linked.summary())
    return EvaluationReport(
        scope=scope, outcome=outcome, policy=policy, summary=Section(markdown=headline, points=points),
        descriptives=Section(figure=descriptives.figure, tables=descriptives.tables),
        models=Section(figure=models.figure, tables=models.tables + truth.tables,
                       after=" ".join(filter(None, [models.after, truth.markdown]))), icc=icc, prediction=prediction,
        caveats=_caveats(results, methods[0], scope), panel=panel,
        notes=_data_notes(params, scope, outcome, policy, methods), estimates=estimates, results=results, facts=facts,
        groups=gaps_section(clean_eval, scope, policy)[0])  # the whole frame: the locality reports' decisions
