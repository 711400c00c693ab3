"""Content of the regional temperature-check report: coverage, heatmap, reliability, change, items, notes.

An ADASS region sends councils and their partners a return; this module turns the clean
returns (``clean_temperature_check``'s long frame) into what a regional lead reads: who
returned, how each council rated itself on each culture indicator (grouped by the CQC key
question Table 1 of the resource files its items under, with the MSP essential steps they come
from) and on each group of essential steps and key question as the resource lays them out,
whether each indicator's items
hang together (Cronbach's alpha), what changed since the previous wave, the strongest and
weakest items across the region, the respondents' free-text notes, shown as text, and what of the
resource the instrument covers (items per step, group, key question, principle and NHS England theme).

Shared work (wide answers, council scores of every wave) is cached per worker through
``toolkit.caches.frame_cache``; every table goes through :func:`msp_analysis.disclosure.display.disclose`.
The report's fixed words (sentences, headings, captions, column names, alt text, notes) are in
``reporting/text/temperature_check.yaml``; this module chooses which to use and fills in the numbers and names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.analysis.indicators import (
    culture_scores,
    grouped_culture_scores,
    instrument_coverage,
    reliability,
)
from msp_analysis.clean.temperature_check import wide_answers
from msp_analysis.disclosure.areas import culture_means, shown_scores
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    indicator_labels,
    instrument,
    likert_items,
    positive_wordings,
    step_groups,
)
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.sections import ReportText, Section, phrase, quoted, score, signed, with_article
from msp_analysis.toolkit.caches import frame_cache
from msp_analysis.toolkit.privacy import scrub_free_text

KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")
MAX_NOTES = 60
REVIEWED = "notes_reviewed"  # a note is printed only where the return marks it reviewed for publication
ALPHA_GOOD = 0.7
CHANGE_LEVEL = 0.05  # a change of an indicator is named only when a paired test across councils gives p below this

text = ReportText("temperature_check")


@frame_cache
def wide_returns(clean_tc_long: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent (wide item columns) with org type, region and notes, for every wave."""
    wide = wide_answers(clean_tc_long)
    keys = ["org_id", "ons_code", "wave", "respondent"]
    reviewed = [REVIEWED] if REVIEWED in clean_tc_long.columns else []  # the return's "reviewed for publication" flag
    first = clean_tc_long.drop_duplicates(keys)[keys + ["org_type", "region", "notes", *reviewed]].astype(
        {"org_id": str, "ons_code": str, "wave": str, "respondent": str})
    first = first.rename(columns={"respondent": "respondent_id"})
    return wide.merge(first, on=["org_id", "ons_code", "wave", "respondent_id"], how="left")


def indicator_layout() -> pd.DataFrame:
    """Indicators in key-question order with their key question, group of steps and MSP essential steps.

    An indicator belongs to the key question most of its Likert items are filed under in the resource's
    Table 1 (``table1_column``; ties go to the first in ``KEY_QUESTIONS`` order) and to the group of
    steps most of its items come from; its steps are every step its items name (``Steps 1, 2``). The items
    the return asks decide; an indicator only the item bank has is laid out by its bank items (the report
    shows only the indicators the returns carry).
    """
    items = likert_items(include_bank=True)
    asked_indicators = set(likert_items()["indicator"])
    items = items[(items["asked"] == "return") | ~items["indicator"].isin(asked_indicators)]
    names = indicator_labels()
    order = {q: i for i, q in enumerate(KEY_QUESTIONS)}
    rows = []
    for indicator, group in items.groupby("indicator", sort=False):
        counts = group["table1_column"].value_counts()
        question = min(counts.index[counts == counts.max()], key=lambda q: order.get(q, 99))
        steps = sorted({s.split(":")[0].replace("Step ", "") for s in group["msp_step"]}, key=int)
        rows.append({"indicator": indicator, "label": names.get(indicator, indicator),
                     "key_question": question, "step_group": group["step_group"].value_counts().index[0],
                     "steps": text("steps_one" if len(steps) == 1 else "steps_many", steps=", ".join(steps))})
    layout = pd.DataFrame(rows)
    layout["_order"] = layout["key_question"].map(order).fillna(99)
    return layout.sort_values(["_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


@dataclass
class TemperatureCheckReport:
    """Every section of one region's temperature-check report for one wave."""

    region: str
    wave: str
    previous_wave: str | None
    policy: DisclosurePolicy
    summary: Section
    coverage: Section
    heatmap: Section
    by_group: Section
    reliability: Section
    change: Section
    items: Section
    notes_text: Section
    notes: Section
    instrument: Section = field(default_factory=Section)
    facts: dict = field(default_factory=dict)


def _previous(wave: str) -> str:
    start = int(wave[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _coverage(wide: pd.DataFrame, councils: pd.DataFrame, wave: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    returned = wide.groupby("ons_code").agg(
        respondents=("respondent_id", "size"), organisations=("org_id", "nunique"),
        types=("org_type", lambda s: ", ".join(sorted({str(v) for v in s.dropna()}))))
    table = councils[["ons_code", "name"]].merge(returned, left_on="ons_code", right_index=True, how="left")
    has_returned = table["respondents"].notna()
    table["returned"] = np.where(has_returned, text("returned_yes"), text("returned_no"))
    table["respondents"] = table["respondents"].fillna(0)
    table["types"] = table["types"].fillna("")
    labels = {"name": text("column_council"), "returned": text("column_returned"), "types": text("column_org_types"),
              "respondents": text("column_respondents")}
    shown = disclose(table, policy, columns=list(labels), labels=labels, text=["name", "returned", "types"],
                     counts=["respondents"], caption=text("coverage_caption", wave=wave))
    n_returned = int(has_returned.sum())
    counted = has_returned & table["respondents"].map(lambda n: not policy.is_suppressed(n))
    total_respondents = float(sum(policy.disclosed_count(n) for n in table.loc[counted, "respondents"]))
    n_orgs = int(table.loc[counted, "organisations"].sum())
    facts = {"councils": len(table), "councils_returned": n_returned, "respondents": total_respondents}
    if n_returned:
        if n_returned == len(table):
            who = text("coverage_who_all", councils=len(table))
        else:
            who = text("coverage_who_some", returned=n_returned, councils=len(table))
        markdown = text("coverage_returned", who=who, wave=wave, respondents=f"{total_respondents:,.0f}",
                        organisations=n_orgs)
        facts.update(coverage_sentence=markdown, councils_hidden=n_returned - int(counted.sum()))
        if n_returned > int(counted.sum()):
            hidden = n_returned - int(counted.sum())
            markdown += " " + (text("coverage_hidden_one") if hidden == 1 else text("coverage_hidden_many", hidden=hidden))
        missing = table.loc[~has_returned, "name"].tolist()
        if missing:
            markdown += " " + text("coverage_missing", councils=", ".join(missing))
    else:
        markdown = text("coverage_none", wave=wave)
        facts["coverage_sentence"] = markdown
    return Section(markdown=markdown, tables=[shown]), facts


def _heatmap(scores: pd.DataFrame, councils: pd.DataFrame, layout: pd.DataFrame, region: str, wave: str,
             policy: DisclosurePolicy) -> tuple[Section, dict]:
    names = indicator_labels()
    in_wave = scores[(scores["wave"] == wave) & scores["ons_code"].isin(councils["ons_code"])]
    in_wave = shown_scores(in_wave, policy, [i for i in layout["indicator"] if i in scores.columns])
    table = councils[["ons_code", "name"]].merge(in_wave, on="ons_code", how="inner")
    indicators = [i for i in layout["indicator"] if i in table.columns]
    lay = layout[layout["indicator"].isin(indicators)]
    hidden = [policy.is_suppressed(n) for n in table["n_respondents"]]
    grid = table.set_index("name")[indicators].astype(float)
    grid[np.array(hidden)] = np.nan
    grid.columns = [f"{label}\n{steps}" for label, steps in zip(lay["label"], lay["steps"], strict=True)]
    groups = [(q, int((lay["key_question"] == q).sum())) for q in dict.fromkeys(lay["key_question"])]
    facts: dict = {"heatmap_councils": len(table)}
    if table.empty:
        return Section(markdown=text("heatmap_none")), facts
    alt_rows = []
    for name, row in grid.iterrows():
        if row.isna().all():
            alt_rows.append(text("heatmap_alt_hidden", council=name))
        else:
            alt_rows.append(text("heatmap_alt_row", council=name, highest=row.idxmax().split("\n")[0],
                                 highest_score=score(row.max()), lowest=row.idxmin().split("\n")[0],
                                 lowest_score=score(row.min())))
    alt = text("heatmap_alt", councils=len(grid), indicators=len(indicators), wave=wave, rows="; ".join(alt_rows))
    figure = plots.as_image(plots.heatmap_figure(grid, groups, text("heatmap_title", region=region, wave=wave),
                                                 text("heatmap_scale")), alt)
    labels = {"name": text("column_council"), **{i: names.get(i, i) for i in indicators}}
    shown = disclose(table, policy, columns=list(labels), labels=labels, text=["name"],
                     means={i: "n_respondents" for i in indicators}, decimals=2,
                     caption=text("heatmap_caption", wave=wave))
    region_means = _region_means(scores, policy, wave, region, indicators)[0]
    if region_means.notna().any():
        markdown = text("heatmap_summary", region=with_article(region),
                        highest=phrase(names[region_means.idxmax()]), highest_score=score(region_means.max()),
                        lowest=phrase(names[region_means.idxmin()]), lowest_score=score(region_means.min()))
        facts.update(best_indicator=region_means.idxmax(), worst_indicator=region_means.idxmin())
    else:
        markdown = text("heatmap_all_hidden")
    return Section(markdown=markdown, figure=figure, tables=[shown], after=text("heatmap_after")), facts


def _region_means(scores: pd.DataFrame, policy: DisclosurePolicy, wave: str, region: str,
                  indicators: list[str]) -> tuple[pd.Series, float]:
    """The region's means of its shown council scores in `wave` (:func:`culture_means`) and their respondents."""
    means = culture_means(scores, policy, tuple(indicators))
    row = means[(means["wave"] == wave) & (means["level"] == "region") & (means["area"] == region)]
    if row.empty:
        return pd.Series(np.nan, index=indicators, dtype=float), 0.0
    return row.iloc[0][indicators].astype(float), float(row.iloc[0]["n_respondents"])


def _group_table(scores: pd.DataFrame, councils: pd.DataFrame, columns: list[str], labels: dict[str, str],
                 region: str, wave: str, policy: DisclosurePolicy, caption: str):
    """Councils' scores over `columns` (groups of steps or key questions) with the region's mean of the shown
    councils as a last row; a council whose count is hidden shows no score and adds nothing to the mean."""
    in_wave = scores[(scores["wave"] == wave) & scores["ons_code"].isin(councils["ons_code"])]
    table = councils[["ons_code", "name"]].merge(in_wave, on="ons_code", how="inner")  # disclose hides small councils
    means = culture_means(scores, policy, tuple(columns))
    row = means[(means["wave"] == wave) & (means["level"] == "region") & (means["area"] == region)]
    region_row = pd.DataFrame([{"name": text("by_group_region_row", region=region),
                                **{c: (row.iloc[0][c] if len(row) else np.nan) for c in columns},
                                "n_respondents": float(row.iloc[0]["n_respondents"]) if len(row) else 0.0}])
    both = pd.concat([table[["name", *columns, "n_respondents"]], region_row], ignore_index=True)
    shown_table = disclose(both, policy, columns=["name", *columns], labels={"name": text("column_council"), **labels},
                           text=["name"], means={c: "n_respondents" for c in columns}, decimals=2, caption=caption)
    region_means = region_row.iloc[0][columns].astype(float)
    return shown_table, region_means


def _by_group(clean_tc_long: pd.DataFrame, councils: pd.DataFrame, region: str, wave: str,
              policy: DisclosurePolicy) -> tuple[Section, dict]:
    """Scores over every item of each group of essential steps and each key question, as the resource lays them out."""
    groups = step_groups()
    by_step = grouped_culture_scores(clean_tc_long, "step_group")
    by_question = grouped_culture_scores(clean_tc_long, "table1_column")
    group_columns = [g for g in groups["group"] if g in by_step.columns]
    question_columns = [q for q in KEY_QUESTIONS if q in by_question.columns]
    if not group_columns or by_step[(by_step["wave"] == wave) & by_step["ons_code"].isin(councils["ons_code"])].empty:
        return Section(markdown=text("by_group_none")), {}
    titles = dict(zip(groups["group"], groups["title"], strict=True))
    steps = dict(zip(groups["group"], groups["steps"], strict=True))
    group_labels = {g: text("by_group_column_many" if ";" in steps[g] else "by_group_column_one", title=titles[g],
                            steps=steps[g].replace(";", ", ")) for g in group_columns}
    step_table, step_means = _group_table(by_step, councils, group_columns, group_labels, region, wave, policy,
                                          text("by_group_steps_caption", wave=wave))
    question_table, question_means = _group_table(by_question, councils, question_columns,
                                                  {q: q for q in question_columns}, region, wave, policy,
                                                  text("by_group_questions_caption", wave=wave))
    facts: dict = {}
    sentences = []
    if step_means.notna().any():
        high, low = step_means.idxmax(), step_means.idxmin()
        sentences.append(text("by_group_steps_summary", region=with_article(region), high=titles[high],
                              high_score=f"{step_means.max():.2f}", low=titles[low], low_score=f"{step_means.min():.2f}"))
        facts.update(best_step_group=high, worst_step_group=low)
    if question_means.notna().any():
        high, low = question_means.idxmax(), question_means.idxmin()
        sentences.append(text("by_group_questions_summary", high=high, high_score=f"{question_means.max():.2f}",
                              low=low, low_score=f"{question_means.min():.2f}"))
        facts.update(best_key_question=high, worst_key_question=low)
    markdown = " ".join(sentences) or text("heatmap_all_hidden")
    return Section(markdown=markdown, tables=[step_table, question_table], after=text("by_group_after")), facts


def _instrument_coverage(policy: DisclosurePolicy) -> Section:
    """What of the resource the instrument covers: items per step, group, key question, principle and NHS theme."""
    titles = dict(zip(step_groups()["group"], step_groups()["title"], strict=True))
    dimensions = {"msp_step": text("instrument_dimension_msp_step"),
                  "step_group": text("instrument_dimension_step_group"),
                  "table1_column": text("instrument_dimension_table1_column"),
                  "principle": text("instrument_dimension_principle"),
                  "nhs_theme": text("instrument_dimension_nhs_theme")}
    parts = []
    for dimension, heading in dimensions.items():
        table = instrument_coverage(dimension)
        table.insert(0, "dimension", heading)
        if dimension == "step_group":
            table["value"] = table["value"].map(titles)
        parts.append(table)
    table = pd.concat(parts, ignore_index=True)
    labels = {"dimension": "", "value": text("instrument_column_value"), "asked": text("instrument_column_asked"),
              "bank": text("instrument_column_bank")}
    shown = disclose(table, policy, columns=list(labels), labels=labels, text=["dimension", "value"],
                     numbers={"asked": "{:.0f}", "bank": "{:.0f}"}, caption=text("instrument_caption"),
                     note=text("instrument_note"))
    return Section(markdown=text("instrument_intro", asked=len(instrument()),
                                 bank=len(instrument(include_bank=True)) - len(instrument())), tables=[shown])


def _reliability(wide: pd.DataFrame, policy: DisclosurePolicy) -> tuple[Section, dict]:
    result = reliability(wide)
    facts: dict = {}
    if result.empty:
        return Section(markdown=text("reliability_none")), facts
    weakest = result.sort_values("item_rest_correlation").groupby("indicator", sort=False).first()
    per = result.groupby("indicator", sort=False).agg(n_items=("n_items", "first"), n_respondents=("n_respondents", "first"),
                                                      alpha=("alpha", "first"))
    per = per.join(weakest[["item_id", "item_rest_correlation"]]).reset_index()
    wording = instrument(include_bank=True).set_index("item_id")["wording"]
    names = indicator_labels()
    per["label"] = per["indicator"].map(lambda i: names.get(i, i))
    per["weakest"] = per["item_id"].map(wording)
    labels = {"label": text("column_indicator"), "n_respondents": text("column_complete_respondents"),
              "alpha": text("column_alpha"), "weakest": text("column_weakest_item"),
              "item_rest_correlation": text("column_item_rest")}
    shown = disclose(per, policy, columns=list(labels), labels=labels, text=["label", "weakest"],
                     counts=["n_respondents"],
                     means={"alpha": "n_respondents", "item_rest_correlation": "n_respondents"}, decimals=2,
                     caption=text("reliability_caption"))
    ok = per[[not policy.is_suppressed(n) for n in per["n_respondents"]]].dropna(subset=["alpha"])
    if len(ok):
        good = int((ok["alpha"].round(2) >= ALPHA_GOOD).sum())  # as the table shows alpha: 0.697 is 0.70
        low = ok.loc[ok["alpha"].idxmin()]
        markdown = text("reliability_summary", threshold=ALPHA_GOOD, good=good, indicators=len(ok),
                        lowest=phrase(low["label"]), lowest_alpha=f"{low['alpha']:.2f}", item=quoted(low["weakest"]))
        facts.update(alpha_good=good, alpha_lowest=low["indicator"], alpha_indicators=len(ok),
                     alpha_lowest_label=phrase(low["label"]), alpha_lowest_value=f"{low['alpha']:.2f}")
    else:
        markdown = text("reliability_all_hidden")
    return Section(markdown=markdown, tables=[shown], after=text("reliability_after", threshold=ALPHA_GOOD)), facts


def _change(scores: pd.DataFrame, councils: pd.DataFrame, layout: pd.DataFrame, region: str, wave: str,
            previous: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    names = indicator_labels()
    indicators = [i for i in layout["indicator"] if i in scores.columns]
    mine = scores[scores["ons_code"].isin(councils["ons_code"])]
    now, before = mine[mine["wave"] == wave], mine[mine["wave"] == previous]
    if before.empty or now.empty:
        return Section(markdown=text("change_no_previous", previous=previous, region=with_article(region))), {}
    shown_now, shown_before = (part[part["shown"]] for part in (shown_scores(frame, policy, indicators)
                                                                  for frame in (now, before)))
    (means_before, n_before), (means_now, n_now) = (_region_means(scores, policy, w, region, indicators)
                                                    for w in (previous, wave))
    region_change = pd.DataFrame({
        "label": [names.get(i, i) for i in indicators],
        "previous": means_before.to_numpy(),
        "current": means_now.to_numpy(),
        "n_previous": n_before,
        "n_current": n_now,
    })
    # rounded as shown, and + 0.0 turns -0.0 into 0.0: no "-0.00" for an indicator that did not move
    region_change["change"] = (region_change["current"] - region_change["previous"]).round(2) + 0.0
    labels = {"label": text("column_indicator"), "previous": previous, "current": wave, "change": text("column_change")}
    table = disclose(region_change, policy, columns=list(labels), labels=labels, text=["label"],
                     means={"previous": "n_previous", "current": "n_current", "change": "n_current"}, decimals=2,
                     signed=["change"],
                     caption=text("change_caption", previous=previous, wave=wave))
    both = shown_now.merge(shown_before, on="ons_code", suffixes=("", "_before"))
    per_council = pd.DataFrame({
        "ons_code": both["ons_code"],
        "overall_before": both[[f"{i}_before" for i in indicators]].mean(axis=1),
        "overall": both[indicators].mean(axis=1),
        "n": np.minimum(both["n_respondents"], both["n_respondents_before"]).astype(float),
    }).merge(councils[["ons_code", "name"]], on="ons_code")
    per_council["change"] = (per_council["overall"] - per_council["overall_before"]).round(2) + 0.0
    per_council = per_council.sort_values("change", ascending=False).reset_index(drop=True)
    labels = {"name": text("column_council"), "overall_before": text("column_council_mean", wave=previous),
              "overall": text("column_council_mean", wave=wave), "change": text("column_change")}
    council_table = disclose(per_council, policy, columns=list(labels), labels=labels, text=["name"],
                             means={"overall_before": "n", "overall": "n", "change": "n"}, decimals=2, signed=["change"],
                             caption=text("change_council_caption", previous=previous, wave=wave))
    valid = region_change.dropna(subset=["change"])
    facts: dict = {"previous_wave": previous, "indicator_changes": indicator_changes(shown_now, shown_before, indicators)}
    sentences = []
    if len(valid):
        up, down = valid.loc[valid["change"].idxmax()], valid.loc[valid["change"].idxmin()]
        sentences.append(text("change_region", previous=previous, up=phrase(up["label"]), up_change=signed(up["change"], 2),
                              down=phrase(down["label"]), down_change=signed(down["change"], 2)))
    if len(per_council) >= 2:
        first, last = per_council.iloc[0], per_council.iloc[-1]
        sentences.append(text("change_councils", first=first["name"], first_change=signed(first["change"], 2),
                              last=last["name"], last_change=signed(last["change"], 2)))
    figure = None
    if len(valid):
        rows = "; ".join(text("change_alt_row", indicator=r.label, previous=f"{r.previous:.2f}", current=f"{r.current:.2f}")
                         for r in valid.itertuples())
        alt = text("change_alt", previous=previous, wave=wave, rows=rows)
        title = text("change_title", previous=previous, region=region)
        figure = plots.as_image(plots.change_figure(region_change, title, previous, wave), alt)
    return Section(markdown=" ".join(sentences), figure=figure, tables=[table, council_table]), facts


def indicator_changes(now: pd.DataFrame, before: pd.DataFrame, indicators: list[str]) -> pd.DataFrame:
    """Per indicator, the change of the councils shown in both waves: mean change, councils, p and whether it is clear.

    `now` and `before` are the shown councils' scores of two waves (``ons_code`` and one column per
    indicator), taken as the tables show them (two decimals). The test is a paired t-test across those
    councils, each counting once; an indicator's change is ``clear`` when Holm's step-down adjustment
    across the indicators keeps it below :data:`CHANGE_LEVEL`, so that nine indicators tested together do
    not name a change that chance alone made.
    """
    from scipy import stats  # lazy: 0.6 s to import, and a kernel may need it for nothing else

    both = now.merge(before, on="ons_code", suffixes=("", "_before"))
    rows = []
    for indicator in indicators:
        if indicator not in both.columns:
            continue
        change = (both[indicator].astype(float).round(2) - both[f"{indicator}_before"].astype(float).round(2)).dropna()
        p = float(stats.ttest_1samp(change, 0.0).pvalue) if len(change) >= 3 and change.std() > 0 else np.nan
        rows.append({"indicator": indicator, "change": float(change.mean()) if len(change) else np.nan,
                     "councils": len(change), "p": p})
    table = pd.DataFrame(rows, columns=["indicator", "change", "councils", "p"])
    tested = table["p"].notna()
    order = table.loc[tested, "p"].sort_values(kind="stable").index
    clear = pd.Series(False, index=table.index)
    for rank, row in enumerate(order):  # Holm: stop at the first p above its adjusted level
        if table.loc[row, "p"] > CHANGE_LEVEL / (len(order) - rank):
            break
        clear[row] = True
    return table.assign(clear=clear)


def _items(wide: pd.DataFrame, policy: DisclosurePolicy, wave: str) -> tuple[Section, dict]:
    items = likert_items(include_bank=True)
    items = items[items["item_id"].isin(wide.columns)]
    values = wide[items["item_id"].tolist()].astype(float)
    reversed_items = items.loc[items["reverse_coded"], "item_id"].tolist()
    values[reversed_items] = 6 - values[reversed_items]
    table = items[["item_id", "wording", "indicator", "table1_column", "reverse_coded"]].copy()
    table["mean"] = values.mean().reindex(table["item_id"]).to_numpy()
    table["n"] = values.notna().sum().reindex(table["item_id"]).to_numpy().astype(float)
    table["agree_pct"] = (values >= 4).sum().reindex(table["item_id"]).to_numpy() / table["n"].where(table["n"] > 0) * 100
    table["agree"] = (values >= 4).sum().reindex(table["item_id"]).to_numpy().astype(float)
    names = indicator_labels()
    table["label"] = table["indicator"].map(lambda i: names.get(i, i))
    # a reverse-worded item is listed in its positive form (codebook positive_wordings.csv), so that a strength
    # never reads as a failing; one without a positive form is not ranked at all
    positive = positive_wordings()
    table = table[~table["reverse_coded"] | table["item_id"].isin(positive)].copy()
    table["wording_shown"] = [text("items_positive_form", positive=positive[i].rstrip("."), wording=quoted(w)) if r else w
                              for i, w, r in zip(table["item_id"], table["wording"], table["reverse_coded"], strict=True)]
    table = table[[not policy.is_suppressed(n) for n in table["n"]]].dropna(subset=["mean"])
    facts: dict = {}
    if table.empty:
        return Section(markdown=text("items_none")), facts
    ranked = table.sort_values("mean", ascending=False, kind="stable")
    strongest = ranked.head(3).assign(group=text("items_group_strongest"))
    weakest = ranked.tail(3).iloc[::-1].assign(group=text("items_group_weakest"))
    both = pd.concat([strongest, weakest], ignore_index=True)
    labels = {"group": "", "wording_shown": text("column_item"), "label": text("column_indicator"),
              "table1_column": text("column_key_question"), "mean": text("column_item_mean"),
              "agree_pct": text("column_favourable_pct")}
    shown = disclose(both, policy, columns=list(labels), labels=labels,
                     text=["group", "wording_shown", "label", "table1_column"], means={"mean": "n"},
                     rates={"agree_pct": (["agree"], ["n"])}, decimals=1,
                     caption=text("items_caption", wave=wave), note=text("items_note"))
    top, bottom = strongest.iloc[0], weakest.iloc[0]

    def said(row: pd.Series) -> str:
        if row["reverse_coded"]:  # in its positive form, scored so that disagreeing with the asked wording is good
            return text("items_said_reversed", wording=quoted(positive[row["item_id"]]), mean=score(row["mean"]),
                        asked=quoted(row["wording"]))
        return text("items_said", wording=quoted(row["wording"]), mean=score(row["mean"]))

    markdown = text("items_summary", strongest=said(top), weakest=said(bottom))
    facts.update(strongest_item=top["item_id"], weakest_item=bottom["item_id"])
    return Section(markdown=markdown, tables=[shown]), facts


def _notes_text(wide: pd.DataFrame, councils: pd.DataFrame, policy: DisclosurePolicy) -> Section:
    """Notes marked reviewed for publication (column ``notes_reviewed``), as text; of the others only how many,
    by organisation type, as disclosed counts: a note beside its council and organisation type can name its writer."""
    notes = wide[wide["notes"].notna() & wide["notes"].astype(str).str.strip().ne("")]
    if notes.empty:
        return Section(markdown=text("notes_none"))
    flags = notes[REVIEWED] if REVIEWED in notes.columns else pd.Series(False, index=notes.index)
    reviewed = flags.map(lambda v: str(v).strip().casefold() in ("true", "yes", "1", "y")).astype(bool)
    tables, sentences = [], []
    unreviewed = notes[~reviewed]
    if len(unreviewed):
        counts = (unreviewed["org_type"].fillna(text("notes_org_unknown")).value_counts().sort_index()
                  .rename_axis("org_type").reset_index(name="notes"))
        tables.append(disclose(counts, policy, columns=["org_type", "notes"], text=["org_type"], counts=["notes"],
                               labels={"org_type": text("column_org_type"), "notes": text("column_notes_count")},
                               caption=text("notes_count_caption")))
        sentences.append(text("notes_unreviewed"))
    shown = notes[reviewed]
    if len(shown):
        names = councils.set_index("ons_code")["name"]
        frame = pd.DataFrame({"council": shown["ons_code"].map(names).fillna(shown["ons_code"]),
                              "org_type": shown["org_type"].fillna(""), "note": shown["notes"].map(scrub_free_text)})  # phone numbers, e-mails, IDs removed
        frame = frame.sort_values(["council", "org_type"], kind="stable").reset_index(drop=True)
        total = len(frame)
        frame = frame.head(MAX_NOTES)
        labels = {"council": text("column_council"), "org_type": text("column_org_type"), "note": text("column_note")}
        tables.append(disclose(frame, policy, columns=list(labels), labels=labels, text=list(labels),
                               caption=text("notes_caption")))
        sentences.append(text("notes_intro"))
        if total > MAX_NOTES:
            sentences.append(text("notes_more", shown=MAX_NOTES, total=total))
    return Section(markdown=" ".join(sentences), tables=tables)


def _main_points(facts: dict, heatmap: Section, previous: str) -> list[str]:
    """Three to five sentences a board reads first, from the numbers of the body: who returned, the highest and
    lowest indicator, a change only when a test across councils says it is clear, and the data quality."""
    names = indicator_labels()
    points = [facts["coverage_sentence"]]
    if heatmap.markdown:
        points.append(heatmap.markdown)
    changes = facts.get("indicator_changes")
    if changes is not None and len(changes) and changes["councils"].max() >= 3:
        clear = changes[changes["clear"]]
        if len(clear):
            row = clear.loc[clear["change"].abs().idxmax()]
            points.append(text("points_change_clear", councils=int(row["councils"]), previous=previous,
                               indicator=phrase(names.get(row["indicator"], row["indicator"])),
                               direction=text("points_rose") if row["change"] > 0 else text("points_fell"),
                               change=f"{abs(row['change']):.2f}"))
        else:
            points.append(text("points_change_none", previous=previous, councils=int(changes["councils"].max())))
    if "alpha_good" in facts:
        points.append(text("points_reliability", good=facts["alpha_good"], indicators=facts["alpha_indicators"],
                           threshold=ALPHA_GOOD, lowest=facts["alpha_lowest_label"], alpha=facts["alpha_lowest_value"]))
    else:
        points.append(text("points_reliability_none"))
    hidden = facts.get("councils_hidden", 0)
    if hidden == 1:
        points.append(text("points_hidden_one"))
    elif hidden > 1:
        points.append(text("points_hidden_many", hidden=hidden))
    return points[:5]


def _data_notes(params, policy: DisclosurePolicy) -> Section:
    dataset = Path(str(params.data_dir)).name if params is not None else text("data_notes_default_dataset")
    lines = [text("data_notes_source", dataset=dataset), text("data_notes_scores"), text("data_notes_instrument"),
             text("data_notes_reliability"), text("data_notes_change", level=CHANGE_LEVEL), policy.statement(),
             text("data_notes_scope")]
    if params is not None:
        lines.append(text("data_notes_parameters", region=params.region, wave=params.wave))
    return Section(markdown="\n".join(f"- {line}" for line in lines))


def build_temperature_check_report(clean_tc_long: pd.DataFrame, region: str, wave: str, policy: DisclosurePolicy | str,
                                   params=None) -> TemperatureCheckReport:
    """Every section of `region`'s temperature-check report for `wave` from the clean long returns.

    >>> report = build_temperature_check_report(tc, "North East", "2023-24", "sac")  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    region = geography.canonical_region(region)
    councils = geography.councils(wave, region)
    councils = councils.assign(name=councils["name"].map(short_name))  # "Hull", "Bristol": as people say them
    wide_all = wide_returns(clean_tc_long)
    scores = culture_scores(clean_tc_long)
    wide_region = wide_all[(wide_all["wave"] == wave) & wide_all["ons_code"].isin(councils["ons_code"])]
    shown = shown_scores(scores[scores["wave"] == wave], policy, [])
    counted = set(shown.loc[shown["shown"], "ons_code"])
    wide = wide_region[wide_region["ons_code"].isin(counted)]  # a council whose count is hidden adds nothing
    layout = indicator_layout()
    previous = _previous(wave)
    facts: dict = {}
    coverage, more = _coverage(wide_region, councils, wave, policy)
    facts.update(more)
    heatmap, more = _heatmap(scores, councils, layout, region, wave, policy)
    facts.update(more)
    by_group, more = _by_group(clean_tc_long, councils, region, wave, policy)
    facts.update(more)
    reliability, more = _reliability(wide, policy) if len(wide) else (Section(markdown=text("no_returns")), {})
    facts.update(more)
    previous_councils = geography.councils(previous, region) if previous in geography.FINANCIAL_YEARS else councils
    previous_councils = previous_councils.assign(name=previous_councils["name"].map(short_name))
    change, more = _change(scores, pd.concat([councils, previous_councils]).drop_duplicates("ons_code"), layout, region,
                           wave, previous, policy)
    facts.update(more)
    items, more = _items(wide, policy, wave) if len(wide) else (Section(markdown=text("no_returns")), {})
    facts.update(more)
    notes_text = _notes_text(wide, councils, policy)
    heading = text("summary_heading", region=region, wave=wave)
    summary_text = f"## {heading}\n\n{coverage.markdown} {heatmap.markdown}".strip()
    return TemperatureCheckReport(
        region=region, wave=wave, previous_wave=facts.get("previous_wave"), policy=policy,
        summary=Section(markdown=summary_text, points=_main_points(facts, heatmap, previous)),
        coverage=Section(tables=coverage.tables), heatmap=heatmap,
        by_group=by_group, reliability=reliability, change=change, items=items, notes_text=notes_text,
        notes=_data_notes(params, policy), instrument=_instrument_coverage(policy), facts=facts)
