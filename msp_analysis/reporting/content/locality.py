"""Content of the locality report: every table, figure and sentence, built from the numbers.

The notebook only calls :func:`read_inputs` and :func:`build_locality_report` and shows its
sections, so everything a report says can be tested without a kernel. Work shared by every
council's report (the pathway of all councils for the funnel plot and the grid, risk,
location, source and capacity counts, the culture scores) is done once per input frame and
worker (:func:`msp_analysis.analysis.pathway.national_context`,
:func:`msp_analysis.analysis.indicators.culture_scores`, :func:`funnel_data`, :func:`grid_data`;
see :func:`msp_analysis.toolkit.caches.frame_cache`).

Every table goes through :func:`msp_analysis.disclosure.display.disclose`; figures draw only what
the tables may show; sentences use the same rule (a hidden rate is never written out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis import __version__
from msp_analysis.analysis.funnel import CONTROL_LIMITS, funnel_limits, limit_curves
from msp_analysis.analysis.indicators import culture_scores
from msp_analysis.analysis.pathway import (
    COUNT_COLUMNS,
    RATE_DEFINITIONS,
    NationalContext,
    add_rates,
    area_totals,
    national_context,
)
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import LACKED_CAPACITY, canonical_labels, indicator_labels
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.sections import Section, pct, phrase, with_article
from msp_analysis.toolkit.caches import frame_cache

DISPLAY_COLUMNS = {
    "name": "Area",
    "concluded_s42": "Concluded S42 enquiries",
    "asked_pct": "Asked %",
    "expressed_pct": "Expressed %",
    "fully_pct": "Fully achieved %",
    "partially_pct": "Partially achieved %",
    "not_pct": "Not achieved %",
    "fully_or_partially_pct": "Fully or partially %",
}
CAPACITY_UNKNOWN = ("Don't know", "Not recorded")
SAFER = ("Risk reduced", "Risk removed")


# --- the report -----------------------------------------------------------------------------------


@dataclass
class LocalityReport:
    """Every section of one council's report and the numbers behind its sentences."""

    ons_code: str
    council: str
    region: str
    year: str
    policy: DisclosurePolicy
    comparison: pd.DataFrame
    hidden: pd.DataFrame
    summary: Section
    pathway: Section
    trend: Section
    funnel: Section
    risks: Section
    capacity: Section
    culture: Section
    grid: Section
    notes: Section
    facts: dict = field(default_factory=dict)


def _rate_or_none(policy: DisclosurePolicy, top: float, bottom: float, national: bool = False) -> float | None:
    """A percentage the policy lets us say, else None."""
    if bottom <= 0 or policy.is_suppressed(top, national) or policy.is_suppressed(bottom, national):
        return None
    return 100 * top / bottom


def _pathway_section(comparison: pd.DataFrame, hidden: pd.DataFrame, policy: DisclosurePolicy, council: str,
                     year: str) -> Section:
    table = disclose(comparison, policy, columns=list(DISPLAY_COLUMNS), labels=DISPLAY_COLUMNS, text=["name"],
                     counts=["concluded_s42"], rates=RATE_DEFINITIONS, national=comparison["level"].eq("England"),
                     caption=f"The MSP pathway in {year}: {council} beside its region and England")
    shown = comparison.assign(**{r: comparison[r].where(~hidden[r]) for r in RATE_DEFINITIONS})
    bits = [f"{name} {shown.loc[i, 'fully_pct']:.0f}%" for i, name in zip(shown.index, shown["name"], strict=True)
            if not pd.isna(shown.loc[i, "fully_pct"])]
    alt = (f"Bar chart of the MSP pathway in {year} for {', '.join(comparison['name'])}. Fully achieved: "
           + ("; ".join(bits) if bits else "hidden by the disclosure policy") + ".")
    figure = plots.as_image(plots.pathway_figure(comparison, hidden, title=f"The MSP pathway, {year}"), alt)
    return Section(figure=figure, tables=[table])


def _trend_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                   policy: DisclosurePolicy) -> tuple[Section, dict]:
    per_year = area_totals(context.pathway, COUNT_COLUMNS, ons_code, region=region)
    years = sorted(per_year.loc[per_year["level"] == "council", "financial_year"])
    years = [y for y in years if y <= year]
    per_year = per_year[per_year["financial_year"].isin(years)]
    wide = per_year.pivot(index="financial_year", columns="level", values=COUNT_COLUMNS)
    wide.columns = [f"{level}_{column}" for column, level in wide.columns]
    wide = wide.reset_index()
    expressed = {level: [f"{level}_fully", f"{level}_partially", f"{level}_not_achieved"]
                 for level in ("council", "region", "England")}
    rates = {f"{level}_fully_pct": ([f"{level}_fully"], expressed[level]) for level in expressed}
    rates["council_asked_pct"] = (["council_asked_expressed", "council_asked_not_expressed"], ["council_concluded_s42"])
    wide["council_expressed"] = wide[expressed["council"]].sum(axis=1)
    labels = {"financial_year": "Year", "council_concluded_s42": "Concluded S42 enquiries",
              "council_expressed": "Expressed outcomes", "council_asked_pct": "Asked %",
              "council_fully_pct": f"Fully achieved %, {council}",
              "region_fully_pct": f"Fully achieved %, {region}", "England_fully_pct": "Fully achieved %, England"}
    table = disclose(wide, policy, columns=list(labels), labels=labels, text=["financial_year"],
                     counts=["council_concluded_s42", "council_expressed"], rates=rates,
                     caption=f"Fully achieved outcomes by year: {council}, {region} and England")
    hidden = policy.hidden_rates(wide, rates)
    long = []
    for level, name in (("council", council), ("region", region), ("England", "England")):
        column = f"{level}_fully_pct"
        top, bottom = wide[f"{level}_fully"], wide[expressed[level]].sum(axis=1)
        value = (100 * top / bottom.where(bottom > 0)).where(~hidden[column])
        long.append(pd.DataFrame({"financial_year": wide["financial_year"], "level": level, "name": name,
                                  "value": value}))
    trend = pd.concat(long, ignore_index=True)
    council_values = trend[trend["level"] == "council"].dropna(subset=["value"])
    england_values = trend[trend["level"] == "England"].dropna(subset=["value"])
    facts: dict = {"trend_years": years}
    if len(years) < 2:
        text = (f"Only {year} is in the data for {council}, so there is no trend to show yet."
                if years else f"No year up to {year} is in the data for {council}.")
    elif len(council_values) >= 2:
        first, last = council_values.iloc[0], council_values.iloc[-1]
        change = last["value"] - first["value"]
        direction = "rose" if change >= 0.5 else "fell" if change <= -0.5 else "stayed about the same"
        movement = (f"{direction} from {pct(first['value'])} in {first['financial_year']} to {pct(last['value'])} in "
                    f"{last['financial_year']}") if direction != "stayed about the same" else (
            f"stayed about the same ({pct(first['value'])} in {first['financial_year']}, {pct(last['value'])} in "
            f"{last['financial_year']})")
        england_first = england_values[england_values["financial_year"] == first["financial_year"]]["value"]
        england_last = england_values[england_values["financial_year"] == last["financial_year"]]["value"]
        text = f"In {council} the share of people whose outcomes were fully achieved {movement}"
        if len(england_first) and len(england_last):
            a, b = pct(england_first.iloc[0]), pct(england_last.iloc[0])
            text += f"; in England it stayed at {a}" if a == b else f"; in England it went from {a} to {b}"
        text += "."
        facts.update(trend_first=float(first["value"]), trend_last=float(last["value"]))
    else:
        text = f"Too few people in {council} expressed outcomes in these years to show a trend under the disclosure policy."
    bits = []
    for level in ("council", "England"):
        rows = trend[(trend["level"] == level)].dropna(subset=["value"])
        if len(rows):
            bits.append(f"{rows['name'].iloc[0]}: " + ", ".join(f"{y} {v:.0f}%" for y, v in zip(rows["financial_year"],
                                                                                              rows["value"], strict=True)))
    alt = f"Line chart of the fully achieved rate by financial year. {'; '.join(bits) or 'No values shown'}."
    figure = plots.as_image(plots.trend_figure(trend, f"Fully achieved outcomes by year, {council}"), alt) \
        if len(years) >= 1 else None
    return Section(markdown=text, figure=figure, tables=[table]), facts


@frame_cache
def funnel_data(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> tuple:
    """Every council's (volume, rate) in `year` that `policy` lets us show, the control limits and England's rate.

    Shared by every council's report of the year, so computed once per worker.
    """
    context = national_context(df_enquiries)
    rows = context.pathway[context.pathway["financial_year"] == year]
    n = rows[["fully", "partially", "not_achieved"]].sum(axis=1)
    k = rows["fully"]
    centre = float(k.sum() / n.sum())
    shown = [not (policy.is_suppressed(a) or policy.is_suppressed(b)) and b > 0 for a, b in zip(k, n, strict=True)]
    points = pd.DataFrame({"ons_code": rows["ons_code"], "name": rows["council_name"], "n": n, "k": k,
                           "rate": 100 * k / n.where(n > 0)})[shown].reset_index(drop=True)
    limits = limit_curves(centre, float(n.max()))
    return points, limits, centre, len(rows) - len(points)


def _funnel_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, year: str,
                    policy: DisclosurePolicy) -> tuple[Section, dict]:
    points, limits, centre, left_out = funnel_data(df_enquiries, year, policy)
    mine = points[points["ons_code"] == ons_code]
    facts: dict = {"england_fully": 100 * centre, "funnel_councils": len(points)}
    if mine.empty:
        text = (f"{council} is not on the funnel plot: too few people expressed outcomes in {year} to show its "
                "rate under the disclosure policy.")
        alt_mine = f"{council} is not shown."
    else:
        m = mine.iloc[0]
        low95, high95 = (100 * v[0] for v in funnel_limits(centre, [m["n"]], CONTROL_LIMITS["95"]))
        low998, high998 = (100 * v[0] for v in funnel_limits(centre, [m["n"]], CONTROL_LIMITS["998"]))
        rate = float(m["rate"])
        if low95 <= rate <= high95:
            position = ("within the 95% limits: the difference from England is about what chance alone would give "
                        "for a council of this size")
            band = "within the 95% limits"
        elif low998 <= rate <= high998:
            side = "above" if rate > high95 else "below"
            position = (f"{side} the 95% limits but within the 99.8% limits: worth a look, though about 1 council "
                        "in 20 lands here by chance")
            band = f"{side} the 95% limits"
        else:
            side = "above" if rate > high998 else "below"
            position = f"{side} the 99.8% limits: chance alone would rarely put a council there"
            band = f"{side} the 99.8% limits"
        text = (f"In {year}, {pct(rate)} of the about {policy.format_count(m['n'])} people in {council} who expressed "
                f"outcomes had them fully achieved, against {pct(100 * centre)} in England. On the funnel plot this "
                f"is {position}.")
        alt_mine = f"{council}: {rate:.1f}% of {policy.format_count(m['n'])} people, {band}."
        facts.update(funnel_rate=rate, funnel_band=band)
    if left_out:
        text += (f" {left_out} council{'s are' if left_out != 1 else ' is'} left out of the plot because the "
                 "disclosure policy hides their numbers.")
    alt = (f"Funnel plot of fully achieved rate against number of people who expressed outcomes for "
           f"{len(points)} councils in {year}, with 95% and 99.8% control limits around England's {100 * centre:.1f}%. "
           + alt_mine)
    figure = plots.as_image(plots.funnel_figure(points, limits, 100 * centre, ons_code,
                                                f"Fully achieved outcomes by council, {year}", highlight_label=council), alt)
    return Section(markdown=text, figure=figure), facts


def _category_table(frame: pd.DataFrame, labels: list[str], ons_code: str, region: str, year: str) -> pd.DataFrame:
    """Long table: one row per label with council / region / England counts and their denominators."""
    rows = frame[frame["financial_year"] == year]
    council = rows[rows["ons_code"] == ons_code]
    regional = rows[rows["region"] == region]
    out = pd.DataFrame({"label": labels})
    for level, part in (("council", council), ("region", regional), ("England", rows)):
        sums = part[labels].sum()
        out[f"{level}_count"] = sums.reindex(labels).to_numpy()
        out[f"{level}_total"] = float(part["concluded_s42"].sum())
    return out


def _share_rates(levels=("council", "region", "England")) -> dict:
    return {f"{level}_pct": ([f"{level}_count"], [f"{level}_total"]) for level in levels}


def _risk_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                  policy: DisclosurePolicy) -> tuple[Section, dict]:
    facts: dict = {}
    risk_labels = canonical_labels("risk_types")
    risks = _category_table(context.categories["risk_types"], risk_labels, ons_code, region, year)
    risks = risks.sort_values("England_count", ascending=False, kind="stable").reset_index(drop=True)
    rates = _share_rates()
    labels = {"label": "Type of risk", "council_count": f"Enquiries, {council}", "council_pct": f"%, {council}",
              "region_pct": f"%, {region}", "England_pct": "%, England"}
    risk_table = disclose(risks, policy, columns=list(labels), labels=labels, text=["label"], counts=["council_count"],
                          rates=rates, caption=f"Type of risk in concluded Section 42 enquiries, {year} "
                          "(% of enquiries; an enquiry can involve several types)")
    hidden = policy.hidden_rates(risks, rates)
    chart = pd.DataFrame({"label": risks["label"]})
    for level in ("council", "region", "England"):
        chart[level] = (100 * risks[f"{level}_count"] / risks[f"{level}_total"].where(risks[f"{level}_total"] > 0)
                        ).where(~hidden[f"{level}_pct"])
    chart.attrs["area_names"] = {"council": council, "region": region, "England": "England"}
    shown = chart.dropna(subset=["council"])
    top = shown.sort_values("council", ascending=False).head(1)
    sentences = []
    if len(top):
        t = top.iloc[0]
        sentences.append(f"The most common type of risk in {council}'s enquiries was {phrase(t['label'])} "
                         f"({pct(t['council'])} of enquiries; England {pct(t['England'])}).")
        facts["top_risk"] = str(t["label"])
    gaps = shown.assign(gap=shown["council"] - shown["England"]).dropna(subset=["gap"])
    if len(gaps):
        g = gaps.loc[gaps["gap"].abs().idxmax()]
        if abs(g["gap"]) >= 3:
            sentences.append(f"The largest difference from England is in {phrase(g['label'])}: {pct(g['council'])} "
                             f"against {pct(g['England'])}.")
    tables = [risk_table]
    for key, title, heading in (("locations", "Location of risk", "Location"), ("sources", "Source of risk", "Source")):
        names = canonical_labels("risk_location" if key == "locations" else "risk_source")
        frame = context.categories[key]
        rows = _category_table(frame, names, ons_code, region, year)
        totals = rows[["council_count", "region_count", "England_count"]].sum()
        for level in ("council", "region", "England"):
            rows[f"{level}_total"] = float(totals[f"{level}_count"])
        labels = {"label": heading, "council_count": f"Enquiries, {council}", "council_pct": f"%, {council}",
                  "region_pct": f"%, {region}", "England_pct": "%, England"}
        tables.append(disclose(rows, policy, columns=list(labels), labels=labels, text=["label"],
                               counts=["council_count"], rates=_share_rates(),
                               caption=f"{title}, {year} (% of enquiries where it was recorded)"))
        kept = rows[~policy.hidden_rates(rows, _share_rates())["council_pct"]]
        if len(kept) and kept["council_total"].iloc[0] > 0:
            best = kept.loc[kept["council_count"].idxmax()]
            share = 100 * best["council_count"] / best["council_total"]
            facts[f"top_{key}"] = str(best["label"])
            if key == "locations":
                sentences.append(f"Most often the risk was in {phrase(best['label'])} ({pct(share)} of enquiries "
                                 "where the location was recorded).")
            else:
                sentences.append(f"The most common source of risk was {phrase(best['label'])} ({pct(share)}).")
    return Section(markdown=" ".join(sentences), tables=tables), facts


def _capacity_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                      policy: DisclosurePolicy) -> tuple[Section, dict]:
    frame = context.categories["capacity"].copy()
    frame["unknown"] = frame[[c for c in CAPACITY_UNKNOWN if c in frame]].sum(axis=1)
    columns = ["concluded_s42", LACKED_CAPACITY, "supported", "unknown"]
    totals = area_totals(frame, columns, ons_code, year, region)
    totals = totals.rename(columns={LACKED_CAPACITY: "lacked"})
    rates = {"lacked_pct": (["lacked"], ["concluded_s42"]), "supported_pct": (["supported"], ["lacked"]),
             "unknown_pct": (["unknown"], ["concluded_s42"])}
    labels = {"name": "Area", "concluded_s42": "Concluded S42 enquiries", "lacked": "Lacked capacity",
              "lacked_pct": "Lacked capacity %", "supported": "Supported by advocate, family or friend",
              "supported_pct": "Supported % (of those lacking capacity)", "unknown_pct": "Capacity not known %"}
    table = disclose(totals, policy, columns=list(labels), labels=labels, text=["name"],
                     counts=["concluded_s42", "lacked", "supported"], rates=rates,
                     national=totals["level"].eq("England"),
                     caption=f"Mental capacity and advocacy in concluded Section 42 enquiries, {year}")
    row = totals.set_index("level")
    facts: dict = {}
    lacked = _rate_or_none(policy, row.loc["council", "lacked"], row.loc["council", "concluded_s42"])
    supported = _rate_or_none(policy, row.loc["council", "supported"], row.loc["council", "lacked"])
    england = _rate_or_none(policy, row.loc["England", "supported"], row.loc["England", "lacked"], True)
    sentences = []
    if lacked is not None:
        sentences.append(f"In {pct(lacked)} of {council}'s concluded Section 42 enquiries the person lacked capacity "
                         "to make decisions about the enquiry.")
        facts["lacked_pct"] = lacked
    if supported is not None:
        sentences.append(f"Of them, {pct(supported)} were supported by an advocate, family member or friend"
                         + (f", compared with {pct(england)} in England." if england is not None else "."))
        facts["supported_pct"] = supported
    if not sentences:
        sentences.append("Too few enquiries involved people who lacked capacity to show these figures under the "
                         "disclosure policy.")
    return Section(markdown=" ".join(sentences), tables=[table]), facts


@frame_cache
def grid_data(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> tuple:
    """Every council's wellbeing and safety measures in `year` that `policy` lets us show, and England's."""
    context = national_context(df_enquiries)
    pathway = context.pathway[context.pathway["financial_year"] == year].set_index("ons_code")
    outcomes = context.categories["risk_outcomes"]
    outcomes = outcomes[outcomes["financial_year"] == year].set_index("ons_code")
    outcome_labels = canonical_labels("risk_outcome")
    frame = pd.DataFrame({
        "name": pathway["council_name"],
        "fully": pathway["fully"],
        "expressed": pathway[["fully", "partially", "not_achieved"]].sum(axis=1),
        "safer": outcomes.reindex(pathway.index)[list(SAFER)].sum(axis=1),
        "assessed": outcomes.reindex(pathway.index)[outcome_labels].sum(axis=1),
    }).fillna(0)
    england_x = 100 * frame["fully"].sum() / frame["expressed"].sum()
    england_y = 100 * frame["safer"].sum() / max(frame["assessed"].sum(), 1)
    shown = [not any(policy.is_suppressed(v) for v in values) and values[1] > 0 and values[3] > 0
             for values in frame[["fully", "expressed", "safer", "assessed"]].itertuples(index=False)]
    points = frame[shown].assign(wellbeing=lambda f: 100 * f["fully"] / f["expressed"],
                                 safety=lambda f: 100 * f["safer"] / f["assessed"]).reset_index()
    return points, england_x, england_y


def _grid_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, year: str,
                  policy: DisclosurePolicy) -> tuple[Section, dict]:
    points, england_x, england_y = grid_data(df_enquiries, year, policy)
    facts: dict = {"grid_england": (england_x, england_y)}
    mine = points[points["ons_code"] == ons_code]
    if mine.empty:
        text = (f"{council} cannot be placed on the grid for {year}: too few enquiries to show both measures under "
                "the disclosure policy.")
        alt_mine = f"{council} is not shown."
    else:
        m = mine.iloc[0]
        wellbeing = "higher" if m["wellbeing"] >= england_x else "lower"
        safety = "safer" if m["safety"] >= england_y else "less safe"
        quarter = {("higher", "safer"): "safe, higher wellbeing and choice",
                   ("lower", "safer"): "safe, lower wellbeing and choice",
                   ("higher", "less safe"): "less safe, higher wellbeing and choice",
                   ("lower", "less safe"): "less safe, lower wellbeing and choice"}[(wellbeing, safety)]
        question = {"safe, higher wellbeing and choice": "what keeps both high",
                    "safe, lower wellbeing and choice": "how to raise wellbeing and choice without losing safety",
                    "less safe, higher wellbeing and choice": "how to make people safer without losing their "
                                                               "choice and control",
                    "less safe, lower wellbeing and choice": "how to move towards both"}[quarter]
        text = (f"Placed on the wellbeing/safety grid of the resource's Appendix 2, {council} falls in the "
                f"\"{quarter}\" quarter relative to England: {pct(m['wellbeing'])} of people who expressed outcomes had "
                f"them fully achieved (England {pct(england_x)}), and risk was reduced or removed in "
                f"{pct(m['safety'])} of enquiries where it was assessed (England {pct(england_y)}). The grid's "
                f"question for the board is {question}.")
        alt_mine = (f"{council} at wellbeing {m['wellbeing']:.1f}% and safety {m['safety']:.1f}%, in the "
                    f"{quarter} quarter.")
        facts.update(grid_wellbeing=float(m["wellbeing"]), grid_safety=float(m["safety"]), grid_quarter=quarter)
    alt = (f"Scatter plot placing {len(points)} councils on the wellbeing/safety grid for {year}: wellbeing (outcomes "
           f"fully achieved) across, safety (risk reduced or removed) up, quartered at England's {england_x:.1f}% and "
           f"{england_y:.1f}%. " + alt_mine)
    figure = plots.as_image(plots.grid_figure(points, (england_x, england_y), ons_code,
                                              f"Wellbeing and safety, {year}", highlight_label=council), alt)
    after = ("*How the grid is read here:* the resource's grid asks how an action moves people from low to high on "
             "independence, wellbeing and choice (across) and on safety (up). This report places councils with two "
             "measures from the enquiries: the share of people who expressed outcomes and had them fully achieved "
             "(wellbeing and choice), and the share of enquiries with an assessed risk where the risk was reduced or "
             "removed (safety, SAC table SG2e). The lines are England's values; the quarters are relative, not "
             "standards.")
    return Section(markdown=text, figure=figure, after=after), facts


def _culture_section(scores: pd.DataFrame | None, ons_code: str, council: str, region: str, year: str,
                     policy: DisclosurePolicy) -> tuple[Section, dict]:
    if scores is None or scores.empty:
        return Section(markdown="No temperature-check returns are in the data for this report, so the council's "
                                "culture-indicator profile is not shown. Clean the region's returns with "
                                "`msp-analysis clean temperature_check` into the same folder to add it."), {}
    waves = sorted(w for w in scores["wave"].unique() if w <= year)
    mine = scores[(scores["ons_code"] == ons_code) & scores["wave"].isin(waves)]
    if mine.empty:
        return Section(markdown=f"{council} sent no temperature-check return up to {year}, so its culture-indicator "
                                "profile is not shown."), {}
    wave = str(mine["wave"].max())
    in_wave = scores[scores["wave"] == wave]
    region_codes = set(geography.councils(wave, region)["ons_code"]) if wave in geography.FINANCIAL_YEARS else set()
    regional = in_wave[in_wave["ons_code"].isin(region_codes)]
    names = indicator_labels()
    indicators = [c for c in names if c in scores.columns]
    row = mine[mine["wave"] == wave].iloc[0]
    profile = pd.DataFrame({
        "label": [names[c] for c in indicators],
        "council": [row[c] for c in indicators],
        "n_council": float(row["n_respondents"]),
        "region": [regional[c].mean() for c in indicators],
        "n_region": float(regional["n_respondents"].sum()),
        "England": [in_wave[c].mean() for c in indicators],
        "n_England": float(in_wave["n_respondents"].sum()),
    })
    labels = {"label": "Indicator", "council": council, "region": f"{region} (mean of councils)",
              "England": "England (mean of councils)"}
    table = disclose(profile, policy, columns=list(labels), labels=labels, text=["label"],
                     means={"council": "n_council", "region": "n_region", "England": "n_England"}, decimals=2,
                     caption=f"Culture-indicator scores (1-5), temperature check {wave}")
    hidden_council = policy.is_suppressed(row["n_respondents"])
    chart = profile.assign(council=np.nan if hidden_council else profile["council"])
    chart.attrs["area_names"] = {"council": council, "region": region, "England": "England"}
    facts: dict = {"culture_wave": wave}
    if hidden_council:
        text = (f"Too few people answered {council}'s {wave} temperature check to show its scores under the "
                "disclosure policy; the region and England are shown.")
    else:
        diff = (profile["council"] - profile["region"]).to_numpy()
        best, worst = int(np.nanargmax(profile["council"])), int(np.nanargmin(profile["council"]))
        above, below = int(np.nanargmax(diff)), int(np.nanargmin(diff))
        text = (f"In the {wave} temperature check, {council} rated itself highest on "
                f"{phrase(profile['label'][best])} ({profile['council'][best]:.1f} of 5) and lowest on "
                f"{phrase(profile['label'][worst])} ({profile['council'][worst]:.1f}). Against the mean of "
                f"{with_article(region)}'s councils it is furthest above on {phrase(profile['label'][above])} "
                f"({diff[above]:+.1f}) and furthest below on {phrase(profile['label'][below])} ({diff[below]:+.1f}).")
        facts.update(culture_best=profile["label"][best], culture_worst=profile["label"][worst])
    alt = (f"Dot plot of culture-indicator scores from 1 to 5 in the {wave} temperature check for {council}, "
           f"{region} and England. " + "; ".join(
               f"{r.label}: " + ("hidden" if pd.isna(r.council) else f"{r.council:.1f}") + f" (region {r.region:.1f})"
               for r in chart.itertuples()) + ".")
    figure = plots.as_image(plots.profile_figure(chart, f"Culture indicators, {council} ({wave})",
                                                 {"council": "council", "region": "region", "England": "England"}), alt)
    return Section(markdown=text, figure=figure, tables=[table]), facts


def _summary(report_facts: dict, comparison: pd.DataFrame, hidden: pd.DataFrame, council: str, region: str,
             year: str, policy: DisclosurePolicy) -> Section:
    def phrase(level: str, rate: str) -> str | None:
        row = comparison.index[comparison["level"] == level][0]
        if hidden.loc[row, rate] or pd.isna(comparison.loc[row, rate]):
            return None
        return pct(comparison.loc[row, rate])

    council_rate, region_rate, england_rate = (phrase(level, "fully_pct") for level in ("council", "region", "England"))
    asked = phrase("council", "asked_pct")
    sentences = []
    if council_rate is None:
        sentences.append(f"In {year}, too few people in {council} expressed outcomes to show how many were fully "
                         f"achieved under the {policy.name} disclosure policy.")
    else:
        sentences.append(f"In {year}, {council_rate} of people in {council} who expressed the outcomes they wanted "
                         f"from a Section 42 enquiry said those outcomes were fully achieved, compared with "
                         f"{region_rate or 'a hidden share'} in {with_article(region)} and {england_rate} in England.")
    if asked is not None:
        sentences.append(f"{asked} of concluded Section 42 enquiries asked the person what outcomes they wanted.")
    if "funnel_band" in report_facts:
        band = report_facts["funnel_band"]
        sentences.append("Given its size, the council's rate is " + (
            "in line with England's." if band == "within the 95% limits" else f"{band} on the funnel plot."))
    if "grid_quarter" in report_facts:
        sentences.append(f"On the wellbeing/safety grid it sits in the \"{report_facts['grid_quarter']}\" quarter.")
    return Section(markdown=f"## {council}, {year}\n\n" + " ".join(sentences))


def _notes(params, policy: DisclosurePolicy, has_culture: bool) -> Section:
    dataset = Path(str(params.data_dir)).name or "data"
    lines = [
        f"- **Source:** cleaned record-level enquiries, dataset `{dataset}` (`evaluation.parquet`)"
        + ("; temperature-check returns (`temperature_check.parquet`)." if has_culture else "."),
        "- **Definitions:** asked % and expressed % are shares of concluded Section 42 enquiries; achieved "
        "percentages are shares of enquiries where outcomes were expressed (SAC table SG4a). Types of risk "
        "(SG2a) can be several per enquiry, so their shares add up to more than 100%.",
        "- **Funnel plot:** exact binomial 95% and 99.8% control limits around England's rate for the number of "
        "people who expressed outcomes (Spiegelhalter, 2005). Councils the disclosure policy hides are left out.",
        "- **Culture indicators:** each respondent's mean over an indicator's items (reverse-worded items flipped), "
        "averaged per organisation and then per council, each organisation counting equally.",
        f"- {policy.statement()} Figures draw only values the tables may show.",
        f"- **Parameters:** council {params.locality}, year {params.year}.",
        f"- **Produced by** msp-analysis {__version__}.",
    ]
    return Section(markdown="\n".join(lines))


def build_locality_report(df_enquiries: pd.DataFrame, ons_code: str, year: str, policy: DisclosurePolicy | str,
                          clean_tc_long: pd.DataFrame | None = None, params=None) -> LocalityReport:
    """Every section of one council's report for `year` (culture profile when `clean_tc_long` is given).

    >>> report = build_locality_report(enquiries, "E06000047", "2023-24", "sac")  # doctest: +SKIP
    >>> report.summary.markdown                                                  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    context = national_context(df_enquiries)
    rows = context.pathway[(context.pathway["financial_year"] == year) & (context.pathway["ons_code"] == ons_code)]
    if rows.empty:
        raise ValueError(f"no enquiries for council {ons_code} in {year}")
    council, region = str(rows["council_name"].iloc[0]), str(rows["region"].iloc[0])
    totals = area_totals(context.pathway, COUNT_COLUMNS, ons_code, year, region)
    comparison = add_rates(totals.drop(columns="financial_year"))[["level", "name", *COUNT_COLUMNS, *RATE_DEFINITIONS]]
    national = comparison["level"].eq("England")
    hidden = policy.hidden_rates(comparison, RATE_DEFINITIONS, national)
    facts: dict = {}
    pathway = _pathway_section(comparison, hidden, policy, council, year)
    trend, more = _trend_section(context, ons_code, council, region, year, policy)
    facts.update(more)
    funnel, more = _funnel_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    risks, more = _risk_section(context, ons_code, council, region, year, policy)
    facts.update(more)
    capacity, more = _capacity_section(context, ons_code, council, region, year, policy)
    facts.update(more)
    scores = culture_scores(clean_tc_long) if clean_tc_long is not None else None
    culture, more = _culture_section(scores, ons_code, council, region, year, policy)
    facts.update(more)
    grid, more = _grid_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    summary = _summary(facts, comparison, hidden, council, region, year, policy)
    notes = _notes(params, policy, scores is not None) if params is not None else Section()
    return LocalityReport(ons_code=ons_code, council=council, region=region, year=year, policy=policy,
                          comparison=comparison, hidden=hidden, summary=summary, pathway=pathway, trend=trend,
                          funnel=funnel, risks=risks, capacity=capacity, culture=culture, grid=grid, notes=notes,
                          facts=facts)


def read_inputs(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The clean enquiries and, when ``temperature_check.parquet`` exists, the clean temperature check."""
    tc = read_clean("temperature_check", data_dir) if clean_exists("temperature_check", data_dir) else None
    return read_clean("evaluation", data_dir), tc
