"""Content of the regional temperature-check report: coverage, heatmap, reliability, change, items, notes.

An ADASS region sends councils and their partners a return; this module turns the clean
returns (``clean_temperature_check``'s long frame) into what a regional lead reads: who
returned, how each council rated itself on each culture indicator (grouped by the CQC key
question and MSP essential step the instrument ties it to), whether each indicator's items
hang together (Cronbach's alpha), what changed since the previous wave, the strongest and
weakest items across the region, and the respondents' free-text notes, shown as text.

Shared work (wide answers, council scores of every wave) is cached per worker through
``toolkit.caches.frame_cache``; every table goes through :func:`msp_analysis.disclosure.display.disclose`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis.analysis.indicators import culture_scores, reliability
from msp_analysis.clean.temperature_check import wide_answers
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import indicator_labels, instrument, likert_items
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.sections import Section, phrase, with_article
from msp_analysis.toolkit.caches import frame_cache

KEY_QUESTIONS = ("Safe", "Effective", "Caring", "Responsive", "Well-led")
MAX_NOTES = 60
ALPHA_GOOD = 0.7


@frame_cache
def wide_returns(clean_tc_long: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent (wide item columns) with org type, region and notes, for every wave."""
    wide = wide_answers(clean_tc_long)
    keys = ["org_id", "ons_code", "wave", "respondent"]
    first = clean_tc_long.drop_duplicates(keys)[keys + ["org_type", "region", "notes"]].astype(
        {"org_id": str, "ons_code": str, "wave": str, "respondent": str})
    first = first.rename(columns={"respondent": "respondent_id"})
    return wide.merge(first, on=["org_id", "ons_code", "wave", "respondent_id"], how="left")


def indicator_layout() -> pd.DataFrame:
    """Indicators in CQC key-question order with their key question and MSP essential steps.

    An indicator belongs to the key question most of its Likert items name; its steps are
    every step its items name (``Steps 1, 2``).
    """
    items = likert_items()
    names = indicator_labels()
    rows = []
    for indicator, group in items.groupby("indicator", sort=False):
        question = group["cqc_key_question"].value_counts().index[0]
        steps = sorted({s.split(":")[0].replace("Step ", "") for s in group["msp_step"]}, key=int)
        rows.append({"indicator": indicator, "label": names.get(indicator, indicator),
                     "key_question": question, "steps": ("Step " if len(steps) == 1 else "Steps ") + ", ".join(steps)})
    layout = pd.DataFrame(rows)
    layout["_order"] = layout["key_question"].map({q: i for i, q in enumerate(KEY_QUESTIONS)}).fillna(99)
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
    reliability: Section
    change: Section
    items: Section
    notes_text: Section
    notes: Section
    facts: dict = field(default_factory=dict)


def _previous(wave: str) -> str:
    start = int(wave[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _coverage(wide: pd.DataFrame, councils: pd.DataFrame, wave: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    returned = wide.groupby("ons_code").agg(
        respondents=("respondent_id", "size"), organisations=("org_id", "nunique"),
        types=("org_type", lambda s: ", ".join(sorted({str(v) for v in s.dropna()}))))
    table = councils[["ons_code", "name"]].merge(returned, left_on="ons_code", right_index=True, how="left")
    table["returned"] = np.where(table["respondents"].notna(), "Yes", "No")
    table["respondents"] = table["respondents"].fillna(0)
    table["types"] = table["types"].fillna("")
    labels = {"name": "Council", "returned": "Returned", "types": "Organisations that answered",
              "respondents": "Respondents"}
    shown = disclose(table, policy, columns=list(labels), labels=labels, text=["name", "returned", "types"],
                     counts=["respondents"], caption=f"Returns to the {wave} temperature check by council")
    n_returned = int((table["returned"] == "Yes").sum())
    total_respondents = float(table["respondents"].sum())
    n_orgs = int(table["organisations"].fillna(0).sum())
    facts = {"councils": len(table), "councils_returned": n_returned, "respondents": total_respondents}
    if n_returned:
        who = f"All {len(table)} councils" if n_returned == len(table) else f"{n_returned} of the {len(table)} councils"
        text = (f"{who} returned the {wave} temperature check, with about "
                f"{policy.format_count(total_respondents)} respondents from {n_orgs} organisations (the council and its "
                "partners).")
        missing = table.loc[table["returned"] == "No", "name"].tolist()
        if missing:
            text += " No return from: " + ", ".join(missing) + "."
    else:
        text = f"No council in the region returned the {wave} temperature check."
    return Section(markdown=text, tables=[shown]), facts


def _heatmap(scores: pd.DataFrame, councils: pd.DataFrame, layout: pd.DataFrame, region: str, wave: str,
             policy: DisclosurePolicy) -> tuple[Section, dict]:
    names = indicator_labels()
    in_wave = scores[(scores["wave"] == wave) & scores["ons_code"].isin(councils["ons_code"])]
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
        return Section(markdown="No council of the region has scores for this wave."), facts
    alt_rows = []
    for name, row in grid.iterrows():
        if row.isna().all():
            alt_rows.append(f"{name}: hidden")
        else:
            alt_rows.append(f"{name}: highest {row.idxmax().split(chr(10))[0]} {row.max():.1f}, lowest "
                            f"{row.idxmin().split(chr(10))[0]} {row.min():.1f}")
    alt = (f"Heatmap of {len(grid)} councils by {len(indicators)} culture indicators (mean score 1 to 5) in the {wave} "
           f"temperature check, columns grouped by CQC key question. " + "; ".join(alt_rows) + ".")
    figure = plots.as_image(plots.heatmap_figure(grid, groups, f"Culture indicators by council, {region}, {wave}",
                                                 "Mean score (1 poor to 5 good)"), alt)
    labels = {"name": "Council", **{i: names.get(i, i) for i in indicators}}
    shown = disclose(table, policy, columns=list(labels), labels=labels, text=["name"],
                     means={i: "n_respondents" for i in indicators}, decimals=2,
                     caption=f"Culture-indicator scores by council (1-5), {wave}")
    region_means = table.loc[~np.array(hidden), indicators].mean()
    if region_means.notna().any():
        text = (f"Across {with_article(region)}'s councils the highest mean score is for "
                f"{phrase(names[region_means.idxmax()])} ({region_means.max():.1f} of 5) and the lowest for "
                f"{phrase(names[region_means.idxmin()])} ({region_means.min():.1f}).")
        facts.update(best_indicator=region_means.idxmax(), worst_indicator=region_means.idxmin())
    else:
        text = "Too few people answered in each council to show council scores under the disclosure policy."
    after = ("Columns follow the CQC key questions (safe, effective, caring, responsive, well-led) the instrument ties "
             "each indicator to, with the MSP essential step(s) its items come from. Grey cells: too few respondents "
             "to show under the disclosure policy.")
    return Section(markdown=text, figure=figure, tables=[shown], after=after), facts


def _reliability(wide: pd.DataFrame, policy: DisclosurePolicy) -> tuple[Section, dict]:
    result = reliability(wide)
    facts: dict = {}
    if result.empty:
        return Section(markdown="No answers to assess reliability."), facts
    weakest = result.sort_values("item_rest_correlation").groupby("indicator", sort=False).first()
    per = result.groupby("indicator", sort=False).agg(n_items=("n_items", "first"), n_respondents=("n_respondents", "first"),
                                                      alpha=("alpha", "first"))
    per = per.join(weakest[["item_id", "item_rest_correlation"]]).reset_index()
    wording = instrument().set_index("item_id")["wording"]
    names = indicator_labels()
    per["label"] = per["indicator"].map(lambda i: names.get(i, i))
    per["weakest"] = per["item_id"].map(wording)
    labels = {"label": "Indicator", "n_respondents": "Respondents answering every item",
              "alpha": "Cronbach's alpha", "weakest": "Item that fits least", "item_rest_correlation": "Its item-rest correlation"}
    shown = disclose(per, policy, columns=list(labels), labels=labels, text=["label", "weakest"],
                     counts=["n_respondents"],
                     means={"alpha": "n_respondents", "item_rest_correlation": "n_respondents"}, decimals=2,
                     caption="Reliability of each indicator's items (respondents who answered every item)")
    ok = per[[not policy.is_suppressed(n) for n in per["n_respondents"]]].dropna(subset=["alpha"])
    if len(ok):
        good = int((ok["alpha"] >= ALPHA_GOOD).sum())
        low = ok.loc[ok["alpha"].idxmin()]
        text = (f"Cronbach's alpha is {ALPHA_GOOD} or above for {good} of {len(ok)} indicators: their items tend to move "
                f"together, so an indicator's score summarises them fairly. The lowest is "
                f"{phrase(low['label'])} ({low['alpha']:.2f}); its item that fits least is \"{low['weakest']}\".")
        facts.update(alpha_good=good, alpha_lowest=low["indicator"])
    else:
        text = "Too few respondents answered every item to assess reliability under the disclosure policy."
    after = ("Alpha compares how much the items vary on their own with how much their total varies; near 0.7 or above "
             "is usually read as the items measuring one thing. A low or negative item-rest correlation marks an item "
             "people read differently, or a reverse-worded item answered as if it were not.")
    return Section(markdown=text, tables=[shown], after=after), facts


def _change(scores: pd.DataFrame, councils: pd.DataFrame, layout: pd.DataFrame, region: str, wave: str,
            previous: str, policy: DisclosurePolicy) -> tuple[Section, dict]:
    names = indicator_labels()
    indicators = [i for i in layout["indicator"] if i in scores.columns]
    mine = scores[scores["ons_code"].isin(councils["ons_code"])]
    now, before = mine[mine["wave"] == wave], mine[mine["wave"] == previous]
    if before.empty or now.empty:
        return Section(markdown=f"There is no {previous} wave for {with_article(region)} in the data, so change since the "
                                "previous wave cannot be shown."), {}
    shown_now = now[[not policy.is_suppressed(n) for n in now["n_respondents"]]]
    shown_before = before[[not policy.is_suppressed(n) for n in before["n_respondents"]]]
    region_change = pd.DataFrame({
        "label": [names.get(i, i) for i in indicators],
        "previous": [shown_before[i].mean() for i in indicators],
        "current": [shown_now[i].mean() for i in indicators],
        "n_previous": float(shown_before["n_respondents"].sum()),
        "n_current": float(shown_now["n_respondents"].sum()),
    })
    region_change["change"] = region_change["current"] - region_change["previous"]
    labels = {"label": "Indicator", "previous": previous, "current": wave, "change": "Change"}
    table = disclose(region_change, policy, columns=list(labels), labels=labels, text=["label"],
                     means={"previous": "n_previous", "current": "n_current", "change": "n_current"}, decimals=2,
                     signed=["change"],
                     caption=f"Regional mean score by indicator, {previous} and {wave} (councils weighted equally)")
    both = shown_now.merge(shown_before, on="ons_code", suffixes=("", "_before"))
    per_council = pd.DataFrame({
        "ons_code": both["ons_code"],
        "overall_before": both[[f"{i}_before" for i in indicators]].mean(axis=1),
        "overall": both[indicators].mean(axis=1),
        "n": np.minimum(both["n_respondents"], both["n_respondents_before"]).astype(float),
    }).merge(councils[["ons_code", "name"]], on="ons_code")
    per_council["change"] = per_council["overall"] - per_council["overall_before"]
    per_council = per_council.sort_values("change", ascending=False).reset_index(drop=True)
    labels = {"name": "Council", "overall_before": f"Mean of indicators, {previous}", "overall": f"Mean of indicators, {wave}",
              "change": "Change"}
    council_table = disclose(per_council, policy, columns=list(labels), labels=labels, text=["name"],
                             means={"overall_before": "n", "overall": "n", "change": "n"}, decimals=2, signed=["change"],
                             caption=f"Change in each council's mean score across indicators, {previous} to {wave}")
    valid = region_change.dropna(subset=["change"])
    facts: dict = {"previous_wave": previous}
    sentences = []
    if len(valid):
        up, down = valid.loc[valid["change"].idxmax()], valid.loc[valid["change"].idxmin()]
        sentences.append(f"Since {previous}, the regional mean rose most for {phrase(up['label'])} ({up['change']:+.2f}) "
                         f"and fell most (or rose least) for {phrase(down['label'])} ({down['change']:+.2f}).")
    if len(per_council) >= 2:
        first, last = per_council.iloc[0], per_council.iloc[-1]
        sentences.append(f"Among councils that returned both waves, {first['name']} moved up most ({first['change']:+.2f}) "
                         f"and {last['name']} down most ({last['change']:+.2f}); with a few respondents per council, "
                         "changes of a few tenths can be chance.")
    alt = (f"Dumbbell chart of regional mean scores per indicator in {previous} and {wave}. "
           + "; ".join(f"{r.label}: {r.previous:.2f} to {r.current:.2f}" for r in valid.itertuples()) + ".")
    figure = plots.as_image(plots.change_figure(region_change, f"Change since {previous}, {region}", previous, wave), alt) \
        if len(valid) else None
    return Section(markdown=" ".join(sentences), figure=figure, tables=[table, council_table]), facts


def _items(wide: pd.DataFrame, policy: DisclosurePolicy, wave: str) -> tuple[Section, dict]:
    items = likert_items()
    items = items[items["item_id"].isin(wide.columns)]
    values = wide[items["item_id"].tolist()].astype(float)
    reversed_items = items.loc[items["reverse_coded"], "item_id"].tolist()
    values[reversed_items] = 6 - values[reversed_items]
    table = items[["item_id", "wording", "indicator", "cqc_key_question", "reverse_coded"]].copy()
    table["mean"] = values.mean().reindex(table["item_id"]).to_numpy()
    table["n"] = values.notna().sum().reindex(table["item_id"]).to_numpy().astype(float)
    table["agree_pct"] = (values >= 4).sum().reindex(table["item_id"]).to_numpy() / table["n"].where(table["n"] > 0) * 100
    table["agree"] = (values >= 4).sum().reindex(table["item_id"]).to_numpy().astype(float)
    names = indicator_labels()
    table["label"] = table["indicator"].map(lambda i: names.get(i, i))
    table["wording_shown"] = [w + (" (reverse-worded: scored so that disagreeing is good)" if r else "")
                              for w, r in zip(table["wording"], table["reverse_coded"], strict=True)]
    table = table[[not policy.is_suppressed(n) for n in table["n"]]].dropna(subset=["mean"])
    facts: dict = {}
    if table.empty:
        return Section(markdown="Too few answers to rank the items under the disclosure policy."), facts
    ranked = table.sort_values("mean", ascending=False, kind="stable")
    strongest, weakest = ranked.head(3).assign(group="Strongest"), ranked.tail(3).iloc[::-1].assign(group="Weakest")
    both = pd.concat([strongest, weakest], ignore_index=True)
    labels = {"group": "", "wording_shown": "Item", "label": "Indicator", "cqc_key_question": "CQC key question",
              "mean": "Mean (1-5)", "agree_pct": "Favourable answers %"}
    shown = disclose(both, policy, columns=list(labels), labels=labels,
                     text=["group", "wording_shown", "label", "cqc_key_question"], means={"mean": "n"},
                     rates={"agree_pct": (["agree"], ["n"])}, decimals=1,
                     caption=f"Strongest and weakest items across the region, {wave}",
                     note="Favourable: agree or strongly agree, or for a reverse-worded item disagree or strongly disagree.")
    top, bottom = strongest.iloc[0], weakest.iloc[0]

    def said(row: pd.Series, best: bool) -> str:
        if row["reverse_coded"]:  # scored so that disagreeing is good
            verb = "disagreed most" if best else "disagreed least"
            return f"{verb} with \"{row['wording']}\" (mean {row['mean']:.1f} once reverse-scored)"
        return f"{'agreed most' if best else 'agreed least'} with \"{row['wording']}\" (mean {row['mean']:.1f})"

    text = f"Across the region, respondents {said(top, True)} and {said(bottom, False)}."
    facts.update(strongest_item=top["item_id"], weakest_item=bottom["item_id"])
    return Section(markdown=text, tables=[shown]), facts


def _notes_text(wide: pd.DataFrame, councils: pd.DataFrame, policy: DisclosurePolicy) -> Section:
    notes = wide[wide["notes"].notna() & wide["notes"].astype(str).str.strip().ne("")]
    if notes.empty:
        return Section(markdown="No respondent left a note.")
    names = councils.set_index("ons_code")["name"]
    frame = pd.DataFrame({"council": notes["ons_code"].map(names).fillna(notes["ons_code"]),
                          "org_type": notes["org_type"].fillna(""), "note": notes["notes"].astype(str).str.strip()})
    frame = frame.sort_values(["council", "org_type"], kind="stable").reset_index(drop=True)
    total = len(frame)
    frame = frame.head(MAX_NOTES)
    labels = {"council": "Council", "org_type": "Organisation type", "note": "Note"}
    table = disclose(frame, policy, columns=list(labels), labels=labels, text=list(labels),
                     caption="Respondents' notes, as written (shown as text)")
    more = f" The first {MAX_NOTES} of {total} are shown." if total > MAX_NOTES else ""
    return Section(markdown=f"Notes are shown exactly as respondents wrote them, as plain text; they are not "
                            f"checked or interpreted.{more}", tables=[table])


def _data_notes(params, policy: DisclosurePolicy) -> Section:
    dataset = Path(str(params.data_dir)).name if params is not None else "data"
    lines = [
        f"- **Source:** cleaned temperature-check returns, dataset `{dataset}` (`temperature_check.parquet`).",
        "- **Scores:** each respondent's mean over an indicator's Likert items (1 strongly disagree to 5 strongly "
        "agree; reverse-worded items flipped; at least two items answered), averaged per organisation and then per "
        "council with each organisation counting equally (`msp_analysis.analysis.indicators`). RAG answers are on the same "
        "1-5 scale.",
        "- **Instrument:** items, CQC key questions and MSP essential steps from the LGA/ADASS resource (2017), "
        "Table 1; see `codebook/instrument.csv`.",
        "- **Reliability:** Cronbach's alpha on respondents who answered every item of the indicator (listwise).",
        f"- {policy.statement()}",
    ]
    if params is not None:
        lines.append(f"- **Parameters:** region {params.region}, wave {params.wave}.")
    return Section(markdown="\n".join(lines))


def build_temperature_check_report(clean_tc_long: pd.DataFrame, region: str, wave: str, policy: DisclosurePolicy | str,
                                   params=None) -> TemperatureCheckReport:
    """Every section of `region`'s temperature-check report for `wave` from the clean long returns.

    >>> report = build_temperature_check_report(tc, "North East", "2023-24", "sac")  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    region = geography.canonical_region(region)
    councils = geography.councils(wave, region)
    wide_all = wide_returns(clean_tc_long)
    wide = wide_all[(wide_all["wave"] == wave) & wide_all["ons_code"].isin(councils["ons_code"])]
    scores = culture_scores(clean_tc_long)
    layout = indicator_layout()
    previous = _previous(wave)
    facts: dict = {}
    coverage, more = _coverage(wide, councils, wave, policy)
    facts.update(more)
    heatmap, more = _heatmap(scores, councils, layout, region, wave, policy)
    facts.update(more)
    reliability, more = _reliability(wide, policy) if len(wide) else (Section(markdown="No returns this wave."), {})
    facts.update(more)
    previous_councils = geography.councils(previous, region) if previous in geography.FINANCIAL_YEARS else councils
    change, more = _change(scores, pd.concat([councils, previous_councils]).drop_duplicates("ons_code"), layout, region,
                           wave, previous, policy)
    facts.update(more)
    items, more = _items(wide, policy, wave) if len(wide) else (Section(markdown="No returns this wave."), {})
    facts.update(more)
    notes_text = _notes_text(wide, councils, policy)
    summary_text = (f"## {region}, {wave}\n\n{coverage.markdown} {heatmap.markdown}").strip()
    return TemperatureCheckReport(
        region=region, wave=wave, previous_wave=facts.get("previous_wave"), policy=policy,
        summary=Section(markdown=summary_text), coverage=Section(tables=coverage.tables), heatmap=heatmap,
        reliability=reliability, change=change, items=items, notes_text=notes_text,
        notes=_data_notes(params, policy), facts=facts)
