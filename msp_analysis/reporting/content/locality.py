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

The words (sentences, headings, captions, alt text, notes, column labels) are in
``reporting/text/locality.yaml``; this module decides which entry is used when and fills in the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from msp_analysis import __version__
from msp_analysis.analysis.funnel import (
    OverDispersion,
    compare_to_centre,
    estimate_overdispersion,
    funnel_band,
    limit_curves,
)
from msp_analysis.analysis.indicators import culture_scores
from msp_analysis.analysis.pathway import (
    COUNT_COLUMNS,
    RATE_DEFINITIONS,
    NationalContext,
    add_rates,
    area_totals,
    change_p_value,
    national_context,
    series_codes,
)
from msp_analysis.disclosure.areas import (
    PATHWAY_RATES,
    AreaProtection,
    LocalityProtection,
    culture_means,
    locality_protection,
    shown_scores,
)
from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference.codebook import LACKED_CAPACITY, canonical_labels, indicator_labels
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.content.feedback import feedback_section, read_feedback
from msp_analysis.reporting.content.groups import groups_section
from msp_analysis.reporting.content.other_enquiries import other_enquiries_section
from msp_analysis.reporting.sections import (
    ReportText,
    Section,
    pct,
    phrase,
    policy_title,
    score,
    short_name,
    signed,
    with_article,
)
from msp_analysis.toolkit.caches import frame_cache

text = ReportText("locality")
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
    groups: Section = field(default_factory=Section)  # the pathway by group (reporting/content/groups.py)
    feedback: Section = field(default_factory=Section)  # people's own feedback (reporting/content/feedback.py)
    other_enquiries: Section = field(default_factory=Section)  # reporting/content/other_enquiries.py


def _pathway_columns() -> dict[str, str]:
    """The pathway table's columns and their display names."""
    return {
        "name": text("column_area"),
        "concluded_s42": text("column_concluded_s42"),
        "asked_pct": text("column_asked_pct"),
        "expressed_pct": text("column_expressed_pct"),
        "fully_pct": text("column_fully_pct"),
        "partially_pct": text("column_partially_pct"),
        "not_pct": text("column_not_pct"),
        "fully_or_partially_pct": text("column_fully_or_partially_pct"),
    }


def _pathway_section(comparison: pd.DataFrame, hidden: pd.DataFrame, policy: DisclosurePolicy, council: str,
                     year: str, protection: AreaProtection) -> Section:
    """The pathway table, figure and alt text; `comparison` and `hidden` get the rates as shown (in place)."""
    columns = _pathway_columns()
    areas = list(zip(comparison["level"], comparison["area"], strict=True))
    table = disclose(comparison, policy, columns=list(columns), labels=columns, text=["name"],
                     counts=["concluded_s42"], rates=PATHWAY_RATES, national=comparison["level"].eq("England"),
                     caption=text("pathway_caption", year=year, council=council),
                     suppressed=protection.mask(year, areas, protection.columns))
    for rate in RATE_DEFINITIONS:  # from here on, every sentence and figure uses the rates as shown
        comparison[rate], hidden[rate] = table.values[rate].to_numpy(), table.hidden[rate].to_numpy()
    shown = comparison.assign(**{r: comparison[r].where(~hidden[r]) for r in RATE_DEFINITIONS})
    bits = [text("pathway_alt_value", name=name, rate=shown.loc[i, "fully_pct"])
            for i, name in zip(shown.index, shown["name"], strict=True) if not pd.isna(shown.loc[i, "fully_pct"])]
    alt = text("pathway_alt", year=year, areas=", ".join(comparison["name"]),
               values="; ".join(bits) if bits else text("pathway_alt_hidden"))
    figure = plots.as_image(plots.pathway_figure(comparison, hidden, title=text("pathway_title", year=year)), alt)
    return Section(figure=figure, tables=[table])


def _trend_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                   policy: DisclosurePolicy, protection: AreaProtection) -> tuple[Section, dict]:
    """The fully-achieved rate by year for the council, its region and England: table, sentence and chart.

    Every number (table, sentence, test of change, chart) is a count or percentage as the
    policy shows it; secondary suppression is the pathway table's (one decision for all years).
    """
    per_year = area_totals(context.pathway, COUNT_COLUMNS, ons_code, region=region)
    years = sorted(y for y in per_year.loc[per_year["level"] == "council", "financial_year"] if y <= year)
    per_year = per_year[per_year["financial_year"].isin(years)]
    wide = per_year.pivot(index="financial_year", columns="level", values=COUNT_COLUMNS)
    wide.columns = [f"{level}_{column}" for column, level in wide.columns]
    wide = wide.reset_index()
    code_in = context.pathway[context.pathway["ons_code"].isin(series_codes(ons_code))]
    code_in = code_in.set_index("financial_year")["ons_code"].astype(str)
    area_of = {"council": lambda y: code_in.get(y, ons_code), "region": lambda y: region, "England": lambda y: "England"}
    columns = ("concluded_s42", "asked_expressed", "asked_not_expressed", "fully")
    suppressed = {f"{level}_{c}": [protection.secondary(y, level, area(y), c) for y in wide["financial_year"]]
                  for level, area in area_of.items() for c in columns}
    rates = {f"{level}_fully_pct": ([f"{level}_fully"], [f"{level}_asked_expressed"]) for level in area_of}
    rates["council_asked_pct"] = (["council_asked_expressed", "council_asked_not_expressed"], ["council_concluded_s42"])
    labels = {"financial_year": text("column_year"), "council_concluded_s42": text("column_concluded_s42"),
              "council_asked_expressed": text("column_expressed"), "council_asked_pct": text("column_asked_pct"),
              "council_fully_pct": text("column_fully_pct_area", area=council),
              "region_fully_pct": text("column_fully_pct_area", area=region),
              "England_fully_pct": text("column_fully_pct_area", area="England")}
    table = disclose(wide, policy, columns=list(labels), labels=labels, text=["financial_year"],
                     counts=["council_concluded_s42", "council_asked_expressed"], rates=rates,
                     national=[False] * len(wide), suppressed=suppressed,
                     caption=text("trend_caption", council=council, region=region))
    national_table = disclose(wide, policy, columns=["England_fully_pct"], rates=rates, national=[True] * len(wide),
                              suppressed=suppressed)  # England's rate is national: exact under exempting policies
    table.values["England_fully_pct"] = national_table.values["England_fully_pct"]
    shown_n = {level: [protection.disclosed(y, level, area(y), "asked_expressed") for y in wide["financial_year"]]
               for level, area in area_of.items()}
    long = pd.concat([pd.DataFrame({"financial_year": wide["financial_year"], "level": level, "name": name,
                                    "value": table.values[f"{level}_fully_pct"].to_numpy(),
                                    "n": shown_n[level]})
                      for level, name in (("council", council), ("region", region), ("England", "England"))],
                     ignore_index=True)
    council_values = long[long["level"] == "council"].dropna(subset=["value"])
    england_values = long[long["level"] == "England"].dropna(subset=["value"]).set_index("financial_year")
    facts: dict = {"trend_years": years}
    if len(years) < 2:
        markdown = (text("trend_one_year", year=year, council=council) if years
                    else text("trend_no_year", year=year, council=council))
    elif len(council_values) >= 2:
        first, last = council_values.iloc[0], council_values.iloc[-1]
        ends = [first["financial_year"], last["financial_year"]]
        a, a_year, b, b_year = pct(first["value"]), first["financial_year"], pct(last["value"]), last["financial_year"]
        direction = _clear_change(first, last)
        movement = (text("trend_no_clear_change", first=a, first_year=a_year, last=b, last_year=b_year)
                    if direction is None else
                    text("trend_moved", direction=direction, first=a, first_year=a_year, last=b, last_year=b_year))
        england = ""
        if all(y in england_values.index for y in ends):
            one, two = england_values.loc[ends[0]], england_values.loc[ends[1]]
            a, b = pct(one["value"]), pct(two["value"])
            direction = _clear_change(one, two)
            england = (text("trend_england_same", rate=a) if a == b else
                       text("trend_england_no_clear_change", first=a, last=b) if direction is None else
                       text("trend_england_moved", direction=direction, first=a, last=b))
        markdown = text("trend_sentence", council=council, movement=movement, england=england)
        facts.update(trend_first=float(first["value"]), trend_last=float(last["value"]))
        if (change := _clear_change(first, last)) is not None:  # the main points name a change only when it is real
            facts["trend_change"] = text("points_change", council=council, direction=change, first=pct(first["value"]),
                                         first_year=first["financial_year"], last=pct(last["value"]),
                                         last_year=last["financial_year"])
    else:
        markdown = text("trend_hidden", council=council)
    bits = []
    for level in ("council", "England"):
        rows = long[(long["level"] == level)].dropna(subset=["value"])
        if len(rows):
            values = ", ".join(text("trend_alt_value", year=y, rate=v)
                               for y, v in zip(rows["financial_year"], rows["value"], strict=True))
            bits.append(text("trend_alt_area", name=rows["name"].iloc[0], values=values))
    alt = text("trend_alt", values="; ".join(bits) or text("trend_alt_none"))
    figure = plots.as_image(plots.trend_figure(long, text("trend_title", council=council)), alt) \
        if len(years) >= 1 else None
    return Section(markdown=markdown, figure=figure, tables=[table]), facts


def _clear_change(first: pd.Series, last: pd.Series) -> str | None:
    """'rose' or 'fell' when the rounded rates differ and a 95% test on disclosed values says so, else None.

    `first` and `last` hold a shown rate (``value``, %) and the shown number who expressed
    outcomes (``n``); the test is :func:`~msp_analysis.analysis.pathway.change_p_value` on
    those, never on the exact counts behind them.
    """
    if pct(first["value"]) == pct(last["value"]) or pd.isna(first["n"]) or pd.isna(last["n"]):
        return None
    k = [row["value"] / 100 * row["n"] for row in (first, last)]
    if change_p_value(k[0], first["n"], k[1], last["n"]) >= 0.05:
        return None
    return text("trend_rose") if last["value"] > first["value"] else text("trend_fell")


def _shown_rates(policy: DisclosurePolicy, k: pd.Series, n: pd.Series) -> pd.Series:
    """Percentages of shown counts (NaN where hidden), as the tables show them."""
    return pd.Series([np.nan if value is None else value
                      for value, _ in (policy.percentage(a, b) for a, b in zip(k, n, strict=True))], index=k.index)


@frame_cache
def funnel_data(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> tuple:
    """Every council's (volume, rate) in `year` as the reports show them, the control limits and England's rate.

    Returns ``(points, limits, centre, left_out, dispersion)``. A point is the council's number
    who expressed outcomes and its fully-achieved percentage *as disclosed* (rounded count,
    percentage of the shown counts; councils with either hidden are left out), so the figure
    gives back nothing the pathway tables do not; the centre is England's shown rate and the
    limits allow for the over-dispersion (:class:`~msp_analysis.analysis.funnel.OverDispersion`,
    additive random effects) estimated from the points shown. Shared by every council's report
    of the year, so computed once per worker.
    """
    context = national_context(df_enquiries)
    shown = locality_protection(df_enquiries, policy).pathway
    rows = context.pathway[context.pathway["financial_year"] == year]
    n = pd.Series([shown.disclosed(year, "council", c, "asked_expressed") for c in rows["ons_code"]], index=rows.index)
    k = pd.Series([shown.disclosed(year, "council", c, "fully") for c in rows["ons_code"]], index=rows.index)
    rate = _shown_rates(policy, k, n)
    points = pd.DataFrame({"ons_code": rows["ons_code"], "name": rows["council_name"], "n": n, "rate": rate})
    points = points.dropna(subset=["n", "rate"]).reset_index(drop=True)
    points["k"] = points["rate"] / 100 * points["n"]
    england = [shown.disclosed(year, "England", "England", c) for c in ("fully", "asked_expressed")]
    centre = float(_shown_rates(policy, pd.Series(england[:1]), pd.Series(england[1:])).iloc[0]) / 100
    dispersion = estimate_overdispersion(points["k"], points["n"], centre)
    limits = limit_curves(centre, float(points["n"].max()) if len(points) else 1.0, dispersion=dispersion)
    return points, limits, centre, len(rows) - len(points), dispersion


def _funnel_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, year: str,
                    policy: DisclosurePolicy) -> tuple[Section, dict]:
    points, limits, centre, left_out, dispersion = funnel_data(df_enquiries, year, policy)
    mine = points[points["ons_code"] == ons_code]
    facts: dict = {"england_fully": 100 * centre, "funnel_councils": len(points), "funnel_dispersion": dispersion}
    if mine.empty:
        markdown = text("funnel_absent", council=council, year=year)
        alt_mine = text("alt_not_shown", council=council)
    else:
        m = mine.iloc[0]
        rate = float(m["rate"])
        where = funnel_band(rate, float(m["n"]), dispersion)
        side = text("funnel_above") if where.startswith("above") else text("funnel_below")
        if where == "within":
            band = text("funnel_band_within")
            position = text("funnel_position_within", band=band)
        elif where.endswith("_95"):
            band = text("funnel_band_95", side=side)
            position = text("funnel_position_95", band=band)
        else:
            band = text("funnel_band_998", side=side)
            position = text("funnel_position_998", band=band)
        people = policy.format_count(m["n"])
        markdown = text("funnel_sentence", year=year, rate=pct(rate), people=people, council=council,
                        england=pct(100 * centre), position=position)
        alt_mine = text("funnel_alt_council", council=council, rate=rate, people=people, band=band)
        facts.update(funnel_rate=rate, funnel_band=band, funnel_where=where)
    if left_out:
        markdown += " " + (text("funnel_left_out_one", count=left_out) if left_out == 1
                           else text("funnel_left_out_many", count=left_out))
    alt = text("funnel_alt", councils=len(points), year=year, england=100 * centre, council_alt=alt_mine)
    figure = plots.as_image(plots.funnel_figure(points, limits, 100 * centre, ons_code,
                                                text("funnel_title", year=year), highlight_label=council), alt)
    return Section(markdown=markdown, figure=figure), facts


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


def _share_columns(heading: str, council: str, region: str) -> dict[str, str]:
    """Columns of a category table (see :func:`_category_table`) and their display names."""
    return {"label": heading, "council_count": text("column_enquiries_area", area=council),
            "council_pct": text("column_pct_area", area=council), "region_pct": text("column_pct_area", area=region),
            "England_pct": text("column_pct_area", area="England")}


def _risk_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                  policy: DisclosurePolicy, protection: LocalityProtection) -> tuple[Section, dict]:
    areas = {"council": ons_code, "region": region, "England": "England"}
    facts: dict = {}
    risk_labels = canonical_labels("risk_types")
    risks = _category_table(context.categories["risk_types"], risk_labels, ons_code, region, year)
    risks = risks.sort_values("England_count", ascending=False, kind="stable").reset_index(drop=True)
    rates = _share_rates()
    labels = _share_columns(text("column_risk_type"), council, region)
    risk_table = disclose(risks, policy, columns=list(labels), labels=labels, text=["label"], counts=["council_count"],
                          rates=rates, caption=text("risk_caption", year=year),
                          suppressed=protection.risk_types.category_mask(year, risks["label"], areas, "concluded_s42"))
    chart = pd.DataFrame({"label": risks["label"]})
    for level in ("council", "region", "England"):
        chart[level] = risk_table.values[f"{level}_pct"].to_numpy()  # the shares as shown
    chart.attrs["area_names"] = {"council": council, "region": region, "England": "England"}
    shown = chart.dropna(subset=["council"])
    top = shown.sort_values("council", ascending=False).head(1)
    sentences = []
    if len(top):
        t = top.iloc[0]
        sentences.append(text("risk_top", council=council, risk=phrase(t["label"]), rate=pct(t["council"]),
                              england=pct(t["England"])))
        facts["top_risk"] = str(t["label"])
    gaps = shown.assign(gap=shown["council"] - shown["England"]).dropna(subset=["gap"])
    if len(gaps):
        g = gaps.loc[gaps["gap"].abs().idxmax()]
        if abs(g["gap"]) >= 3:
            sentences.append(text("risk_gap", risk=phrase(g["label"]), rate=pct(g["council"]),
                                  england=pct(g["England"])))
    tables = [risk_table]
    for key, heading, caption in (("locations", text("column_location"), text("location_caption", year=year)),
                                  ("sources", text("column_source"), text("source_caption", year=year))):
        names = canonical_labels("risk_location" if key == "locations" else "risk_source")
        frame = context.categories[key]
        rows = _category_table(frame.drop(columns="concluded_s42").rename(columns={"recorded": "concluded_s42"}),
                               names, ons_code, region, year)  # shares of enquiries naming one or more
        labels = _share_columns(heading, council, region)
        shown = disclose(rows, policy, columns=list(labels), labels=labels, text=["label"],
                         counts=["council_count"], rates=_share_rates(), caption=caption, note=text("several_note"),
                         suppressed=getattr(protection, key).category_mask(year, rows["label"], areas, "recorded"))
        tables.append(shown)
        shares = shown.values["council_pct"]
        if shares.notna().any():  # the largest share as shown (ties: the first listed)
            best = int(shares.fillna(-1).to_numpy().argmax())
            facts[f"top_{key}"] = str(rows.loc[best, "label"])
            share = shown.text(best, "council_pct")
            if key == "locations":
                sentences.append(text("location_top", location=phrase(rows.loc[best, "label"]), rate=share))
            else:
                sentences.append(text("source_top", source=phrase(rows.loc[best, "label"]), rate=share))
    return Section(markdown=" ".join(sentences), tables=tables), facts


@frame_cache
def _with_unknown(capacity: pd.DataFrame) -> pd.DataFrame:
    """The capacity counts with capacity not known (don't know + not recorded) as one column; once per frame."""
    return capacity.assign(unknown=capacity[[c for c in CAPACITY_UNKNOWN if c in capacity]].sum(axis=1))


def _capacity_section(context: NationalContext, ons_code: str, council: str, region: str, year: str,
                      policy: DisclosurePolicy, protection: LocalityProtection) -> tuple[Section, dict]:
    frame = _with_unknown(context.categories["capacity"])
    columns = ["concluded_s42", LACKED_CAPACITY, "supported", "unknown"]
    totals = area_totals(frame, columns, ons_code, year, region)
    totals = totals.rename(columns={LACKED_CAPACITY: "lacked"})
    rates = {"lacked_pct": (["lacked"], ["concluded_s42"]), "supported_pct": (["supported"], ["lacked"]),
             "unknown_pct": (["unknown"], ["concluded_s42"])}
    labels = {"name": text("column_area"), "concluded_s42": text("column_concluded_s42"),
              "lacked": text("column_lacked"), "lacked_pct": text("column_lacked_pct"),
              "supported": text("column_supported"), "supported_pct": text("column_supported_pct"),
              "unknown_pct": text("column_unknown_pct")}
    areas = [(level, {"council": ons_code, "region": region}.get(level, "England")) for level in totals["level"]]
    table = disclose(totals, policy, columns=list(labels), labels=labels, text=["name"],
                     counts=["concluded_s42", "lacked", "supported"], rates=rates,
                     national=totals["level"].eq("England"), caption=text("capacity_caption", year=year),
                     suppressed=protection.capacity.mask(year, areas, ["concluded_s42", "lacked", "supported", "unknown"]))
    mine, england = list(totals["level"]).index("council"), list(totals["level"]).index("England")
    facts: dict = {k: v for k in ("lacked_pct", "supported_pct") if (v := table.value(mine, k)) is not None}
    sentences = [text("capacity_lacked", rate=table.text(mine, "lacked_pct"), council=council)] if "lacked_pct" in facts else []
    if "supported_pct" in facts:  # the percentages as the table shows them
        shown, england_shown = table.text(mine, "supported_pct"), table.text(england, "supported_pct")
        sentences.append(text("capacity_supported", supported=shown) if table.value(england, "supported_pct") is None
                         else text("capacity_supported_england", supported=shown, england=england_shown))
    if not sentences:
        sentences.append(text("capacity_hidden"))
    return Section(markdown=" ".join(sentences), tables=[table]), facts


@frame_cache
def grid_data(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> tuple:
    """Every council's outcome and risk measures in `year` as the reports show them, and England's.

    Outcomes: the fully-achieved percentage of the pathway table (shown counts); risk: the
    share of enquiries with a risk assessed whose risk was reduced or removed, from the two
    counts as the policy shows them. A council with either hidden is left out.
    """
    context = national_context(df_enquiries)
    shown = locality_protection(df_enquiries, policy).pathway
    pathway = context.pathway[context.pathway["financial_year"] == year].set_index("ons_code")
    outcomes = context.categories["risk_outcomes"]
    outcomes = outcomes[outcomes["financial_year"] == year].set_index("ons_code").reindex(pathway.index)
    outcome_labels = canonical_labels("risk_outcome")
    codes = pathway.index
    frame = pd.DataFrame({
        "name": pathway["council_name"],
        "expressed": [shown.disclosed(year, "council", c, "asked_expressed") for c in codes],
        "fully": [shown.disclosed(year, "council", c, "fully") for c in codes],
        "safer": [policy.disclosed_count(v) for v in outcomes[list(SAFER)].fillna(0).sum(axis=1)],
        "assessed": [policy.disclosed_count(v) for v in outcomes[outcome_labels].fillna(0).sum(axis=1)],
    }, index=codes)
    frame["wellbeing"] = _shown_rates(policy, frame["fully"], frame["expressed"])
    frame["safety"] = _shown_rates(policy, frame["safer"], frame["assessed"])
    england = [shown.disclosed(year, "England", "England", c) for c in ("fully", "asked_expressed")]
    england_x = float(_shown_rates(policy, pd.Series(england[:1]), pd.Series(england[1:])).iloc[0])
    safer = [policy.disclosed_count(outcomes[list(SAFER)].fillna(0).to_numpy().sum(), True),
             policy.disclosed_count(outcomes[outcome_labels].fillna(0).to_numpy().sum(), True)]
    england_y = float(_shown_rates(policy, pd.Series(safer[:1]), pd.Series(safer[1:])).iloc[0])
    points = frame.dropna(subset=["wellbeing", "safety"]).reset_index()
    for column, rate, size, centre in (("outcomes_vs_england", "wellbeing", "expressed", england_x),
                                       ("risk_vs_england", "safety", "assessed", england_y)):
        points[column] = [compare_to_centre(r, n, centre / 100)[0]  # beyond 95% binomial limits, or "similar"
                          for r, n in zip(points[rate], points[size], strict=True)]
    return points, england_x, england_y


def _grid_place(outcomes: str, risk: str) -> str:
    """Neutral name of a council's place on the grid relative to England ('higher on both', ...)."""
    if outcomes == risk:
        return {"higher": text("grid_place_higher_both"), "lower": text("grid_place_lower_both"),
                "similar": text("grid_place_similar_both")}[outcomes]
    words = {"higher": (text("grid_outcomes_higher"), text("grid_risk_higher")),
             "lower": (text("grid_outcomes_lower"), text("grid_risk_lower")),
             "similar": (text("grid_outcomes_similar"), text("grid_risk_similar"))}
    return text("grid_place_mixed", outcomes=words[outcomes][0], risk=words[risk][1])


def _grid_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, year: str,
                  policy: DisclosurePolicy) -> tuple[Section, dict]:
    points, england_x, england_y = grid_data(df_enquiries, year, policy)
    facts: dict = {"grid_england": (england_x, england_y)}
    mine = points[points["ons_code"] == ons_code]
    if mine.empty:
        markdown = text("grid_absent", council=council, year=year)
        alt_mine = text("alt_not_shown", council=council)
        band = None
    else:
        m = mine.iloc[0]
        place = _grid_place(m["outcomes_vs_england"], m["risk_vs_england"])
        markdown = text("grid_sentence", council=council, place=place, wellbeing=pct(m["wellbeing"]),
                        england_wellbeing=pct(england_x), safety=pct(m["safety"]), england_safety=pct(england_y))
        alt_mine = text("grid_alt_council", council=council, wellbeing=m["wellbeing"], safety=m["safety"],
                        place=place)
        band = tuple(compare_to_centre(centre, m[size], centre / 100)[1:]
                     for centre, size in ((england_x, "expressed"), (england_y, "assessed")))
        facts.update(grid_wellbeing=float(m["wellbeing"]), grid_safety=float(m["safety"]), grid_place=place)
    alt = text("grid_alt", councils=len(points), year=year, england_wellbeing=england_x, england_safety=england_y,
               council_alt=alt_mine)
    quarters = {"top_left": _grid_place("lower", "higher"), "top_right": _grid_place("higher", "higher"),
                "bottom_left": _grid_place("lower", "lower"), "bottom_right": _grid_place("higher", "lower")}
    figure = plots.as_image(plots.grid_figure(points, (england_x, england_y), ons_code, text("grid_title", year=year),
                                              highlight_label=council, quarters=quarters,
                                              band=band,
                                              band_label=text("grid_band_label", council=council)), alt)
    return Section(markdown=markdown, figure=figure, after=text("grid_after")), facts


def _culture_section(scores: pd.DataFrame | None, ons_code: str, council: str, region: str, year: str,
                     policy: DisclosurePolicy) -> tuple[Section, dict]:
    if scores is None or scores.empty:
        return Section(markdown=text("culture_no_returns")), {}
    waves = sorted(w for w in scores["wave"].unique() if w <= year)
    mine = scores[(scores["ons_code"] == ons_code) & scores["wave"].isin(waves)]
    if mine.empty:
        return Section(markdown=text("culture_no_return", council=council, year=year)), {}
    wave = str(mine["wave"].max())
    names = indicator_labels()
    indicators = [c for c in names if c in scores.columns]
    row = shown_scores(mine[mine["wave"] == wave], policy, indicators).iloc[0]
    means = culture_means(scores, policy, tuple(indicators)).set_index(["wave", "area"])
    empty = pd.Series({c: np.nan for c in indicators} | {"n_councils": 0, "n_organisations": 0, "n_respondents": 0.0})
    regional, england = (means.loc[(wave, area)] if (wave, area) in means.index else empty
                         for area in (region, "England"))
    profile = pd.DataFrame({
        "label": [names[c] for c in indicators],
        "council": [row[c] for c in indicators],
        "n_council": float(mine.loc[mine["wave"] == wave, "n_respondents"].iloc[0]),
        "region": [regional[c] for c in indicators],
        "n_region": float(regional["n_respondents"]),
        "England": [england[c] for c in indicators],
        "n_England": float(england["n_respondents"]),
    })
    based_on = text("culture_means_note", region=region, region_councils=int(regional["n_councils"]),
                    region_organisations=int(regional["n_organisations"]),
                    region_respondents=policy.format_count(regional["n_respondents"]),
                    england_councils=int(england["n_councils"]),
                    england_organisations=int(england["n_organisations"]),
                    england_respondents=policy.format_count(england["n_respondents"]))
    labels = {"label": text("column_indicator"), "council": council,
              "region": text("column_mean_of_councils", area=region),
              "England": text("column_mean_of_councils", area="England")}
    table = disclose(profile, policy, columns=list(labels), labels=labels, text=["label"],
                     means={"council": "n_council", "region": "n_region", "England": "n_England"}, decimals=2,
                     caption=text("culture_caption", wave=wave), note=based_on)
    hidden_council = not row["shown"]
    chart = profile.assign(council=np.nan if hidden_council else profile["council"])
    chart.attrs["area_names"] = {"council": council, "region": region, "England": "England"}
    facts: dict = {"culture_wave": wave}
    if hidden_council:
        markdown = text("culture_hidden", council=council, wave=wave)
    else:
        diff = (profile["council"] - profile["region"]).to_numpy()
        best, worst = int(np.nanargmax(profile["council"])), int(np.nanargmin(profile["council"]))
        above, below = int(np.nanargmax(diff)), int(np.nanargmin(diff))
        label_of = profile["label"]
        # direction words from the sign: "furthest below" only for a score that is below
        a_label, a_diff = phrase(label_of[above]), signed(diff[above])
        b_label, b_diff = phrase(label_of[below]), signed(diff[below])
        high = (text("culture_furthest_above", label=a_label, diff=a_diff) if diff[above] > 0
                else text("culture_least_below", label=a_label, diff=a_diff))
        low = (text("culture_furthest_below", label=b_label, diff=b_diff) if diff[below] < 0
               else text("culture_least_above", label=b_label, diff=b_diff))
        markdown = text("culture_profile", wave=wave, council=council, best=phrase(label_of[best]),
                        best_score=score(profile["council"][best]), worst=phrase(label_of[worst]),
                        worst_score=score(profile["council"][worst]), region=with_article(region),
                        high=high, low=low)
        facts.update(culture_best=profile["label"][best], culture_worst=profile["label"][worst])
    values = "; ".join(text("culture_alt_value_hidden", label=r.label, region=r.region) if pd.isna(r.council)
                       else text("culture_alt_value", label=r.label, council=r.council, region=r.region)
                       for r in chart.itertuples())
    alt = text("culture_alt", wave=wave, council=council, region=region, values=values)
    figure = plots.as_image(plots.profile_figure(chart, text("culture_title", council=council, wave=wave),
                                                 {"council": "council", "region": "region", "England": "England"}), alt)
    return Section(markdown=markdown, figure=figure, tables=[table]), facts


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
        sentences.append(text("summary_hidden", year=year, council=council, policy=policy_title(policy.name)))
    else:
        sentences.append(text("summary_rates", year=year, council_rate=council_rate, council=council,
                              region_rate=region_rate or text("summary_hidden_share"), region=with_article(region),
                              england_rate=england_rate))
    if asked is not None:
        sentences.append(text("summary_asked", rate=asked))
    if report_facts.get("funnel_where", "within") != "within":  # only limits that allow for over-dispersion
        sentences.append(text("summary_funnel_band", band=report_facts["funnel_band"]))
    points = [sentences[0]]  # the main points: the same numbers as the body, three to five sentences
    if council_rate is None:
        points.append(text("points_context", region=with_article(region), year=year,
                           region_rate=region_rate or text("summary_hidden_share"), england_rate=england_rate))
    if "funnel_band" in report_facts:
        points.append(text("points_funnel", band=report_facts["funnel_band"]))
    if "trend_change" in report_facts:
        points.append(report_facts["trend_change"])
    points.append(text("points_asked", rate=asked) if asked is not None else text("points_asked_hidden"))
    return Section(markdown=text("summary_heading", council=council, year=year) + "\n\n" + " ".join(sentences),
                   points=points)


def _notes(params, policy: DisclosurePolicy, has_culture: bool, dispersion: OverDispersion | None = None,
           hidden_note: str = "") -> Section:
    dataset = Path(str(params.data_dir)).name or "data"
    lines = [
        text("notes_source_with_culture", dataset=dataset) if has_culture else text("notes_source", dataset=dataset),
        text("notes_definitions"),
        text("notes_funnel") if dispersion is None or not dispersion.adjusts else
        text("notes_funnel_adjusted", phi=dispersion.phi, tau=100 * dispersion.tau, councils=dispersion.units),
        text("notes_trend"),
        text("notes_culture"),
        text("notes_policy", statement=policy.statement()),
        text("notes_scope"),
        *([hidden_note] if hidden_note else []),
        text("notes_parameters", locality=params.locality, year=params.year),
        text("notes_produced_by", version=__version__),
    ]
    return Section(markdown="\n".join(f"- {line}" for line in lines))


def build_locality_report(df_enquiries: pd.DataFrame, ons_code: str, year: str, policy: DisclosurePolicy | str,
                          clean_tc_long: pd.DataFrame | None = None, params=None,
                          person_feedback: pd.DataFrame | None = None) -> LocalityReport:
    """Every section of one council's report for `year` (culture profile when `clean_tc_long` is given).

    People's feedback is `person_feedback`, else ``person_feedback.parquet`` beside the data of `params`.

    >>> report = build_locality_report(enquiries, "E06000047", "2023-24", "sac")  # doctest: +SKIP
    >>> report.summary.markdown                                                  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    context = national_context(df_enquiries)
    rows = context.pathway[(context.pathway["financial_year"] == year) & (context.pathway["ons_code"] == ons_code)]
    if rows.empty:
        raise ValueError(f"no enquiries for council {ons_code} in {year}")
    council, region = short_name(str(rows["council_name"].iloc[0])), str(rows["region"].iloc[0])  # "Hull", "Bristol"
    totals = area_totals(context.pathway, COUNT_COLUMNS, ons_code, year, region)
    comparison = add_rates(totals.drop(columns="financial_year"))[["level", "name", *COUNT_COLUMNS, *RATE_DEFINITIONS]]
    comparison = comparison.assign(asked=comparison["asked_expressed"] + comparison["asked_not_expressed"],
                                   fully_or_partially=comparison["fully"] + comparison["partially"],
                                   area=[ons_code, region, "England"])
    national = comparison["level"].eq("England")
    hidden = policy.hidden_rates(comparison, RATE_DEFINITIONS, national)
    protection = locality_protection(df_enquiries, policy)  # one decision for every council's report
    facts: dict = {}
    pathway = _pathway_section(comparison, hidden, policy, council, year, protection.pathway)
    trend, more = _trend_section(context, ons_code, council, region, year, policy, protection.pathway)
    facts.update(more)
    funnel, more = _funnel_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    risks, more = _risk_section(context, ons_code, council, region, year, policy, protection)
    facts.update(more)
    capacity, more = _capacity_section(context, ons_code, council, region, year, policy, protection)
    facts.update(more)
    scores = culture_scores(clean_tc_long) if clean_tc_long is not None else None
    culture, more = _culture_section(scores, ons_code, council, region, year, policy)
    facts.update(more)
    grid, more = _grid_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    groups, more = groups_section(df_enquiries, ons_code, council, region, year, policy)
    facts.update(more)
    feedback, more = feedback_section(df_enquiries, read_feedback(params) if person_feedback is None else person_feedback,
                                      ons_code, council, region, year, policy)
    facts.update(more)
    other, more = other_enquiries_section(df_enquiries, ons_code, council, region, year, policy,
                                          pathway.tables[0].text(0, "fully_pct") if not hidden.loc[0, "fully_pct"] else None)
    facts.update(more)
    summary = _summary(facts, comparison, hidden, council, region, year, policy)
    primary, secondary = protection.counts(year, [("council", ons_code), ("region", region), ("England", "England")])
    hidden_note = text("notes_hidden", primary=primary, secondary=secondary, percentages=sum(
        t.hidden_counts.get("percentage", 0) for section in (pathway, trend, risks, capacity) for t in section.tables))
    notes = (_notes(params, policy, scores is not None, facts.get("funnel_dispersion"), hidden_note)
             if params is not None else Section())
    return LocalityReport(ons_code=ons_code, council=council, region=region, year=year, policy=policy,
                          comparison=comparison, hidden=hidden, summary=summary, pathway=pathway, trend=trend,
                          funnel=funnel, risks=risks, capacity=capacity, culture=culture, grid=grid, notes=notes,
                          facts=facts, groups=groups, feedback=feedback, other_enquiries=other)


def read_inputs(data_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The clean enquiries and, when ``temperature_check.parquet`` exists, the clean temperature check."""
    tc = read_clean("temperature_check", data_dir) if clean_exists("temperature_check", data_dir) else None
    return read_clean("evaluation", data_dir), tc
