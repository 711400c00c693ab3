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

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from msp_analysis import __version__
from msp_analysis.analysis.funnel import (
    OverDispersion,
    compare_to_centre,
    estimate_overdispersion,
    funnel_bands,
    limit_curves,
)
from msp_analysis.analysis.indicators import culture_scores
from msp_analysis.analysis.pathway import (
    COUNT_COLUMNS,
    RATE_DEFINITIONS,
    add_rates,
    change_p_value,
    national_context,
    pathway_by_group,
    series_codes,
)
from msp_analysis.disclosure.areas import (
    PATHWAY_RATES,
    culture_means,
    shown_scores,
    with_pathway_totals,
)
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.groups import (
    CAPACITY_TABLE,
    group_protection_of_year,
    linked_protection_of_year,
    locality_protection,
)
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy, policy_title
from msp_analysis.io.processed import clean_exists, read_clean
from msp_analysis.reference.codebook import LACKED_CAPACITY, canonical_labels, indicator_labels
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting import figures as plots
from msp_analysis.reporting.content.feedback import feedback_section, read_feedback
from msp_analysis.reporting.content.feedback import year_work as feedback_year_work
from msp_analysis.reporting.content.groups import groups_section
from msp_analysis.reporting.content.groups import year_work as groups_year_work
from msp_analysis.reporting.content.other_enquiries import other_enquiries_section
from msp_analysis.reporting.content.other_enquiries import year_work as other_year_work
from msp_analysis.reporting.content.stacked import _level_sums, _three_areas, _three_levels
from msp_analysis.reporting.sections import (
    ReportText,
    Section,
    pct,
    phrase,
    score,
    signed,
    with_article,
)
from msp_analysis.toolkit.caches import compute_shared, frame_cache

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


def _pathway_section(comparison: pd.DataFrame, hidden: pd.DataFrame, table: DisclosedTable, council: str,
                     year: str) -> Section:
    """The pathway table, figure and alt text; `comparison` and `hidden` hold the rates as shown (:func:`_pathway_year`)."""
    bits = [text("pathway_alt_value", name=name, rate=rate)
            for name, rate, hide in zip(comparison["name"], comparison["fully_pct"], hidden["fully_pct"], strict=True)
            if not (hide or pd.isna(rate))]
    alt = text("pathway_alt", year=year, areas=", ".join(comparison["name"]),
               values="; ".join(bits) if bits else text("pathway_alt_hidden"))
    figure = plots.as_image(plots.pathway_figure(comparison, hidden, title=text("pathway_title", year=year)), alt)
    return Section(figure=figure, tables=[table])


def _trend_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, region: str, year: str,
                   policy: DisclosurePolicy) -> tuple[Section, dict]:
    """The fully-achieved rate by year for the council, its region and England: table, sentence and chart.

    Every number (table, sentence, test of change, chart) is a count or percentage as the
    policy shows it; secondary suppression is the pathway table's (one decision for all years).
    """
    stacked = _trend_year(df_enquiries, year, policy)
    start, stop = stacked.bounds[ons_code]
    labels = {"financial_year": text("column_year"), "council_concluded_s42": text("column_concluded_s42"),
              "council_asked_expressed": text("column_expressed"), "council_asked_pct": text("column_asked_pct"),
              "council_fully_pct": text("column_fully_pct_area", area=council),
              "region_fully_pct": text("column_fully_pct_area", area=region),
              "England_fully_pct": text("column_fully_pct_area", area="England")}
    table = stacked.table.rows(start, stop, caption=text("trend_caption", council=council, region=region),
                               labels=labels)
    years = list(stacked.years[start:stop])
    levels = (("council", council), ("region", region), ("England", "England"))
    value_of = {level: table.values[f"{level}_fully_pct"].to_numpy() for level, _ in levels}
    n_of = {level: stacked.shown_n[level][start:stop] for level, _ in levels}
    long = pd.DataFrame({"financial_year": years * 3, "level": [level for level, _ in levels for _ in years],
                         "name": [name for _, name in levels for _ in years],
                         "value": np.concatenate([value_of[level] for level, _ in levels]),
                         "n": np.concatenate([n_of[level] for level, _ in levels])})
    shown_rows = {level: [{"financial_year": y, "value": v, "n": k}  # the years whose rate is shown
                          for y, v, k in zip(years, value_of[level], n_of[level], strict=True) if not np.isnan(v)]
                  for level in ("council", "England")}
    council_values = shown_rows["council"]
    england_values = {row["financial_year"]: row for row in shown_rows["England"]}
    facts: dict = {"trend_years": years}
    if len(years) < 2:
        markdown = (text("trend_one_year", year=year, council=council) if years
                    else text("trend_no_year", year=year, council=council))
    elif len(council_values) >= 2:
        first, last = council_values[0], council_values[-1]
        ends = [first["financial_year"], last["financial_year"]]
        a, a_year, b, b_year = pct(first["value"]), first["financial_year"], pct(last["value"]), last["financial_year"]
        direction = _clear_change(first, last)
        movement = (text("trend_no_clear_change", first=a, first_year=a_year, last=b, last_year=b_year)
                    if direction is None else
                    text("trend_moved", direction=direction, first=a, first_year=a_year, last=b, last_year=b_year))
        england = ""
        if all(y in england_values for y in ends):
            one, two = england_values[ends[0]], england_values[ends[1]]
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
    for level, name in (("council", council), ("England", "England")):
        if shown_rows[level]:
            values = ", ".join(text("trend_alt_value", year=row["financial_year"], rate=row["value"])
                               for row in shown_rows[level])
            bits.append(text("trend_alt_area", name=name, values=values))
    alt = text("trend_alt", values="; ".join(bits) or text("trend_alt_none"))
    figure = plots.as_image(plots.trend_figure(long, text("trend_title", council=council)), alt) \
        if len(years) >= 1 else None
    return Section(markdown=markdown, figure=figure, tables=[table]), facts


def _clear_change(first: Mapping, last: Mapping) -> str | None:
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


@frame_cache(shared=True)
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
    points["where"] = funnel_bands(points["rate"], points["n"], dispersion)  # each council's place, for its report
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
        rate, where = float(m["rate"]), str(m["where"])
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


def _share_rates(levels=("council", "region", "England")) -> dict:
    return {f"{level}_pct": ([f"{level}_count"], [f"{level}_total"]) for level in levels}


def _share_columns(heading: str, council: str, region: str) -> dict[str, str]:
    """Columns of a category table (see :func:`_category_rows`) and their display names."""
    return {"label": heading, "council_count": text("column_enquiries_area", area=council),
            "council_pct": text("column_pct_area", area=council), "region_pct": text("column_pct_area", area=region),
            "England_pct": text("column_pct_area", area="England")}


def _risk_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, region: str, year: str,
                  policy: DisclosurePolicy) -> tuple[Section, dict]:
    facts: dict = {}
    stacked = _category_year(df_enquiries, year, policy)
    start, stop = stacked.bounds["risk_types"][ons_code]
    risks = stacked.frames["risk_types"]
    labels = _share_columns(text("column_risk_type"), council, region)
    risk_table = stacked.tables["risk_types"].rows(start, stop, caption=text("risk_caption", year=year), labels=labels)
    risks = risks.iloc[start:stop].reset_index(drop=True)
    labels_shown = risks["label"].tolist()
    council_pct = risk_table.values["council_pct"].to_numpy(dtype=float)  # the shares as shown
    england_pct = risk_table.values["England_pct"].to_numpy(dtype=float)
    shown = np.flatnonzero(~np.isnan(council_pct))
    sentences = []
    if len(shown):  # the largest share (ties: as pandas sorts them, the first listed)
        t = shown[pd.Series(council_pct[shown]).sort_values(ascending=False).index[0]]
        sentences.append(text("risk_top", council=council, risk=phrase(labels_shown[t]), rate=pct(council_pct[t]),
                              england=pct(england_pct[t])))
        facts["top_risk"] = str(labels_shown[t])
    gap = council_pct[shown] - england_pct[shown]
    gaps = shown[~np.isnan(gap)]
    if len(gaps):
        g = gaps[int(np.argmax(np.abs(gap[~np.isnan(gap)])))]
        if abs(council_pct[g] - england_pct[g]) >= 3:
            sentences.append(text("risk_gap", risk=phrase(labels_shown[g]), rate=pct(council_pct[g]),
                                  england=pct(england_pct[g])))
    tables = [risk_table]
    for key, heading, caption in (("locations", text("column_location"), text("location_caption", year=year)),
                                  ("sources", text("column_source"), text("source_caption", year=year))):
        start, stop = stacked.bounds[key][ons_code]
        rows = stacked.frames[key].iloc[start:stop].reset_index(drop=True)
        shown = stacked.tables[key].rows(start, stop, caption=caption, labels=_share_columns(heading, council, region),
                                         note=text("several_note"))
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


def _capacity_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, year: str,
                      policy: DisclosurePolicy) -> tuple[Section, dict]:
    stacked = _capacity_year(df_enquiries, year, policy)
    start = 3 * stacked.position[ons_code]
    totals = stacked.frame.iloc[start:start + 3].reset_index(drop=True)
    table = stacked.table.rows(start, start + 3)
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


@frame_cache(shared=True)
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
        # beyond 95% binomial limits, or "similar"; and the limits, the band each council's own report draws
        places = [compare_to_centre(r, n, centre / 100) for r, n in zip(points[rate], points[size], strict=True)]
        points[column] = [place for place, _, _ in places]
        points[f"{column}_low"] = [low for _, low, _ in places]
        points[f"{column}_high"] = [high for _, _, high in places]
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
        band = tuple((float(m[f"{column}_low"]), float(m[f"{column}_high"]))
                     for column in ("outcomes_vs_england", "risk_vs_england"))
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
                     policy: DisclosurePolicy, areas: tuple = ()) -> tuple[Section, dict]:
    """The council's culture profile beside its region's and England's means; `areas`: (code, region) of the year."""
    if scores is None or scores.empty:
        return Section(markdown=text("culture_no_returns")), {}
    stacked = _culture_year(scores, year, policy, tuple(areas))
    if ons_code not in stacked.bounds:
        return Section(markdown=text("culture_no_return", council=council, year=year)), {}
    start, stop = stacked.bounds[ons_code]
    wave, row = stacked.wave[ons_code], stacked.row[ons_code]
    profile = stacked.frame.iloc[start:stop].reset_index(drop=True)
    labels = {"label": text("column_indicator"), "council": council,
              "region": text("column_mean_of_councils", area=region),
              "England": text("column_mean_of_councils", area="England")}
    table = stacked.table.rows(start, stop, caption=text("culture_caption", wave=wave), labels=labels,
                               note=stacked.note[ons_code])
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


# --- every council of a year at once ---------------------------------------------------------------
#
# The tables of a locality report are the same computation for every council: its rows beside
# its region's and England's. Each function below builds one family of tables for every council
# of a year in one pass (group-bys and arrays over the per-council counts, one disclose() over the
# rows of all councils) and keeps it per input frame, year and policy (frame_cache), so that a
# report slices its rows (DisclosedTable.rows) instead of filtering, summing and disclosing anew.
# Every cell of a disclosed table depends on its row only, so a slice is the table the report
# would disclose alone. A new section adds its own function of the same shape.


@dataclass(frozen=True)
class StackedTables:
    """Tables of every council of a year disclosed together; a council's rows are ``bounds[code]``."""

    bounds: dict[str, tuple[int, int]]
    table: DisclosedTable
    frame: pd.DataFrame  # the rows before disclosure (counts and their totals)
    extra: dict = field(default_factory=dict)

    @property
    def position(self) -> dict[str, int]:
        return {code: start // 3 for code, (start, _) in self.bounds.items()}


@frame_cache(shared=True)
def _pathway_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> StackedTables:
    """Every council's pathway table of `year` and its comparison (council, region, England) with the rates as shown."""
    context = national_context(df_enquiries)
    protection = locality_protection(df_enquiries, policy).pathway
    codes, totals = _three_levels(context.pathway, COUNT_COLUMNS, year)
    comparison = add_rates(totals)[["level", "name", *COUNT_COLUMNS, *RATE_DEFINITIONS]]
    comparison = with_pathway_totals(comparison).assign(area=[area for _, area in _three_areas(codes, totals)])
    columns = _pathway_columns()
    areas = list(zip(comparison["level"], comparison["area"], strict=True))
    table = disclose(comparison, policy, columns=list(columns), labels=columns, text=["name"],
                     counts=["concluded_s42"], rates=PATHWAY_RATES, national=comparison["level"].eq("England"),
                     suppressed=protection.mask(year, areas, protection.columns))
    hidden = pd.DataFrame({rate: table.hidden[rate].to_numpy() for rate in RATE_DEFINITIONS})
    for rate in RATE_DEFINITIONS:  # from here on, every sentence and figure uses the rates as shown
        comparison[rate] = table.values[rate].to_numpy()
    return StackedTables({code: (3 * i, 3 * i + 3) for i, code in enumerate(codes)}, table, comparison,
                         {"hidden": hidden, "areas": tuple(zip(codes, comparison["name"].iloc[1::3], strict=True))})


@frame_cache(shared=True)
def _trend_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> SimpleNamespace:
    """Every council's trend table up to `year`: its series, its region's and England's, one row per year.

    A council's rows are those of ``area_totals(context.pathway, COUNT_COLUMNS, code, region=region)``
    for the years of its series up to `year`, pivoted wide (``LEVEL_COLUMN``).
    """
    context = national_context(df_enquiries)
    protection = locality_protection(df_enquiries, policy).pathway
    pathway = context.pathway
    in_year = pathway[pathway["financial_year"] == year]
    codes, regions = in_year["ons_code"].astype(str).tolist(), in_year["region"].astype(str).tolist()
    region_sums, england = _level_sums(pathway, COUNT_COLUMNS)
    region_sums = region_sums.set_index(["region", "financial_year"])[COUNT_COLUMNS]
    england = england.set_index("financial_year")[COUNT_COLUMNS]
    all_codes = pathway["ons_code"].astype(str).to_numpy()
    all_years = pathway["financial_year"].astype(str).to_numpy()
    values = pathway[COUNT_COLUMNS].to_numpy()
    rows_of: dict[str, list[int]] = {}
    for i, code in enumerate(all_codes):
        rows_of.setdefault(code, []).append(i)
    parts, years_of, code_of_year, bounds = [], [], [], {}
    for code, region in zip(codes, regions, strict=True):
        members = sorted(i for c in series_codes(code) for i in rows_of.get(c, []))
        years = sorted({all_years[i] for i in members if all_years[i] <= year})
        sums = {y: np.zeros(len(COUNT_COLUMNS), dtype=values.dtype) for y in years}
        code_in: dict[str, str] = {}
        for i in members:
            if all_years[i] in sums:
                sums[all_years[i]] = sums[all_years[i]] + values[i]
                code_in[all_years[i]] = all_codes[i]
        start = len(years_of)
        for y in years:
            parts.append((sums[y], region, y))
            years_of.append(y)
            code_of_year.append((code_in.get(y, code), region))
        bounds[code] = (start, len(years_of))
    council = np.array([p[0] for p in parts]).reshape(len(parts), len(COUNT_COLUMNS))
    regional = region_sums.reindex([(p[1], p[2]) for p in parts]).to_numpy()
    national = england.reindex(years_of).to_numpy()
    level_values = {"England": national, "council": council, "region": regional}
    wide = pd.DataFrame({"financial_year": years_of})
    for j, column in enumerate(COUNT_COLUMNS):  # the column order of DataFrame.pivot: levels sorted
        for level in ("England", "council", "region"):
            wide[f"{level}_{column}"] = level_values[level][:, j]
    # asked, as the pathway table shows it: one protected total, so both tables show or hide the same Asked %
    wide["council_asked"] = wide["council_asked_expressed"] + wide["council_asked_not_expressed"]
    area_of = {"council": [a for a, _ in code_of_year], "region": [r for _, r in code_of_year],
               "England": ["England"] * len(years_of)}
    columns = ("concluded_s42", "asked", "asked_expressed", "fully")
    suppressed = {f"{level}_{c}": [protection.secondary(y, level, a, c) for y, a in zip(years_of, area_of[level],
                                                                                      strict=True)]
                  for level in area_of for c in columns}
    rates = {f"{level}_fully_pct": ([f"{level}_fully"], [f"{level}_asked_expressed"]) for level in area_of}
    rates["council_asked_pct"] = (["council_asked"], ["council_concluded_s42"])
    shown_columns = ["financial_year", "council_concluded_s42", "council_asked_expressed", "council_asked_pct",
                     "council_fully_pct", "region_fully_pct", "England_fully_pct"]
    table = disclose(wide, policy, columns=shown_columns, text=["financial_year"],
                     counts=["council_concluded_s42", "council_asked_expressed"], rates=rates,
                     national=[False] * len(wide), suppressed=suppressed)
    national_table = disclose(wide, policy, columns=["England_fully_pct"], rates=rates, national=[True] * len(wide),
                              suppressed=suppressed)  # England's rate is national: exact under exempting policies
    table.values["England_fully_pct"] = national_table.values["England_fully_pct"]
    shown_n = {level: np.array([protection.disclosed(y, level, a, "asked_expressed")
                                for y, a in zip(years_of, area_of[level], strict=True)], dtype=float)
               for level in area_of}
    return SimpleNamespace(bounds=bounds, table=table, years=years_of, shown_n=shown_n)


def _category_rows(frame: pd.DataFrame, labels: list[str], codes: list[str], regions: list[str],
                   year: str) -> pd.DataFrame:
    """Every council's long category table, one block of ``len(labels)`` rows each: one row per label with the
    council's, its region's and England's counts (``<level>_count``) and denominators (``<level>_total``, the
    ``concluded_s42`` column of `frame`)."""
    rows = frame[frame["financial_year"] == year]
    by_code = rows.set_index(rows["ons_code"].astype(str))
    council = by_code[labels].reindex(codes).fillna(0).to_numpy()
    council_total = by_code["concluded_s42"].reindex(codes).fillna(0).to_numpy(dtype=float)
    by_region = rows.groupby(rows["region"].astype(str))[[*labels, "concluded_s42"]].sum()
    regional = by_region[labels].reindex(regions).fillna(0).to_numpy()
    regional_total = by_region["concluded_s42"].reindex(regions).fillna(0).to_numpy(dtype=float)
    england = rows[labels].sum().to_numpy()
    england_total = float(rows["concluded_s42"].sum())
    n, k = len(codes), len(labels)
    out = pd.DataFrame({"label": labels * n})
    for level, counts, total in (("council", council, council_total), ("region", regional, regional_total),
                                 ("England", np.tile(england, (n, 1)), np.full(n, england_total))):
        out[f"{level}_count"] = counts.reshape(n * k).astype(rows[labels[0]].dtype) if k else []
        out[f"{level}_total"] = total.repeat(k)
    return out


@frame_cache(shared=True)
def _category_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> SimpleNamespace:
    """Every council's risk type, location and source tables of `year`, disclosed once."""
    context = national_context(df_enquiries)
    protection = locality_protection(df_enquiries, policy)
    in_year = context.pathway[context.pathway["financial_year"] == year]
    codes, regions = in_year["ons_code"].astype(str).tolist(), in_year["region"].astype(str).tolist()
    frames, tables, bounds = {}, {}, {}
    for key, column, total in (("risk_types", "risk_types", "concluded_s42"), ("locations", "risk_location", "recorded"),
                               ("sources", "risk_source", "recorded")):
        labels = canonical_labels(column)
        frame = context.categories[key]
        if key == "risk_types":  # the order of England's counts (the same for every council of the year)
            rows = _category_rows(frame, labels, codes[:1], regions[:1], year)
            labels = list(rows.sort_values("England_count", ascending=False, kind="stable")["label"])
        else:  # shares of the enquiries naming one or more: several may apply, so the shares can pass 100%
            frame = frame.drop(columns="concluded_s42").rename(columns={"recorded": "concluded_s42"})
        rows = _category_rows(frame, labels, codes, regions, year)
        family = getattr(protection, key)
        suppressed: dict[str, list[bool]] = {}
        for code, region in zip(codes, regions, strict=True):
            areas = {"council": code, "region": region, "England": "England"}
            for name, flags in family.category_mask(year, labels, areas, total).items():
                suppressed.setdefault(name, []).extend(flags)
        columns = ["label", "council_count", "council_pct", "region_pct", "England_pct"]
        tables[key] = disclose(rows, policy, columns=columns, text=["label"], counts=["council_count"],
                               rates=_share_rates(), suppressed=suppressed or None)
        frames[key] = rows
        bounds[key] = {code: (i * len(labels), (i + 1) * len(labels)) for i, code in enumerate(codes)}
    return SimpleNamespace(frames=frames, tables=tables, bounds=bounds)


@frame_cache(shared=True)
def _capacity_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> StackedTables:
    """Every council's capacity table of `year` (council, region, England), disclosed once."""
    context = national_context(df_enquiries)
    pathway = locality_protection(df_enquiries, policy).pathway
    groups = group_protection_of_year(df_enquiries, policy, year)  # lacked, supported, not known: the group tables'
    frame = _with_unknown(context.categories["capacity"])
    codes, totals = _three_levels(frame, ["concluded_s42", LACKED_CAPACITY, "supported", "unknown"], year)
    totals = totals.rename(columns={LACKED_CAPACITY: "lacked"})
    rates = {"lacked_pct": (["lacked"], ["concluded_s42"]), "supported_pct": (["supported"], ["lacked"]),
             "unknown_pct": (["unknown"], ["concluded_s42"])}
    labels = {"name": text("column_area"), "concluded_s42": text("column_concluded_s42"),
              "lacked": text("column_lacked"), "lacked_pct": text("column_lacked_pct"),
              "supported": text("column_supported"), "supported_pct": text("column_supported_pct"),
              "unknown_pct": text("column_unknown_pct")}
    areas = _three_areas(codes, totals)
    table = disclose(totals, policy, columns=list(labels), labels=labels, text=["name"],
                     counts=["concluded_s42", "lacked", "supported"], rates=rates,
                     national=totals["level"].eq("England"), caption=text("capacity_caption", year=year),
                     suppressed={**pathway.mask(year, areas, ["concluded_s42"]), **groups.capacity_mask(year, areas)})
    return StackedTables({code: (3 * i, 3 * i + 3) for i, code in enumerate(codes)}, table, totals)


@frame_cache(shared=True)
def _culture_year(scores: pd.DataFrame, year: str, policy: DisclosurePolicy, areas: tuple) -> SimpleNamespace:
    """Every council's culture profile of its latest wave up to `year`, disclosed once; `areas`: (code, region) pairs."""
    waves = sorted(w for w in scores["wave"].unique() if w <= year)
    names = indicator_labels()
    indicators = [c for c in names if c in scores.columns]
    in_waves = scores[scores["wave"].isin(waves)]
    shown = shown_scores(in_waves, policy, indicators)
    means = culture_means(scores, policy, tuple(indicators)).set_index(["wave", "area"])
    mean_of = {key: row for key, row in zip(means.index, means.to_dict("records"), strict=True)}
    empty = {c: np.nan for c in indicators} | {"n_councils": 0, "n_organisations": 0, "n_respondents": 0.0}
    rows_of: dict[str, list[int]] = {}
    for i, code in enumerate(in_waves["ons_code"].astype(str)):
        rows_of.setdefault(code, []).append(i)
    wave_values = in_waves["wave"].astype(str).to_numpy()
    n_values = in_waves["n_respondents"].to_numpy()
    shown_values = shown[indicators].to_numpy(dtype=float)
    shown_flags = shown["shown"].to_numpy()
    parts, bounds, wave_of, row_of, note_of = [], {}, {}, {}, {}
    for code, region in areas:
        if code not in rows_of:
            continue
        members = rows_of[code]
        wave = str(max(wave_values[i] for i in members))
        first = next(i for i in members if wave_values[i] == wave)
        regional, england = (mean_of.get((wave, area), empty) for area in (region, "England"))
        parts.append(pd.DataFrame({
            "label": [names[c] for c in indicators],
            "council": shown_values[first],
            "n_council": float(n_values[first]),
            "region": [regional[c] for c in indicators],
            "n_region": float(regional["n_respondents"]),
            "England": [england[c] for c in indicators],
            "n_England": float(england["n_respondents"]),
        }))
        bounds[code] = (len(indicators) * (len(parts) - 1), len(indicators) * len(parts))
        wave_of[code], row_of[code] = wave, {"shown": bool(shown_flags[first])}
        note_of[code] = text("culture_means_note", region=region, region_councils=int(regional["n_councils"]),
                             region_organisations=int(regional["n_organisations"]),
                             region_respondents=policy.format_count(regional["n_respondents"]),
                             england_councils=int(england["n_councils"]),
                             england_organisations=int(england["n_organisations"]),
                             england_respondents=policy.format_count(england["n_respondents"]))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    table = disclose(frame, policy, columns=["label", "council", "region", "England"], text=["label"],
                     means={"council": "n_council", "region": "n_region", "England": "n_England"},
                     decimals=2) if parts else None
    return SimpleNamespace(bounds=bounds, frame=frame, table=table, wave=wave_of, row=row_of, note=note_of)


@frame_cache(shared=True)
def _hidden_cells(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> dict:
    """(primary, secondary) hidden cells of every (level, area) of `year` over every family: one pass over the cells."""
    protection = locality_protection(df_enquiries, policy)
    statuses = [(key, status) for family in ("pathway", "locations", "sources", "risk_types")
                for key, status in getattr(protection, family).protection.status.items()]
    groups = group_protection_of_year(df_enquiries, policy, year)  # the capacity table's cells are the group tables'
    for dimension, column in CAPACITY_TABLE.values():
        statuses += [(key, status) for key, status in groups[dimension].protection.status.items() if key[3] == column]
    out: dict[tuple[str, str], list[int]] = {}
    for key, status in statuses:
        if isinstance(key, tuple) and key[0] == str(year) and status in (1, 2):
            out.setdefault((key[1], key[2]), [0, 0])[status - 1] += 1
    return out


@frame_cache  # asked by every report: once per frame and kernel, not a pass over the export each time
def _years(df_enquiries: pd.DataFrame) -> list[str]:
    """The financial years of the frame, in order."""
    return sorted(pd.unique(df_enquiries["financial_year"].astype(str)))


def _year_work(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy, clean_tc_long: pd.DataFrame | None,
               feedback: pd.DataFrame | None) -> list:
    """The work every locality report of `year` shares, as calls, the costliest first.

    First what every table starts from (the national context, the pathway by group), then every year's linked
    protection (the trend shows every year), each a call of its own so that two kernels do different ones at once.
    """
    work: list = [functools.partial(national_context, df_enquiries), functools.partial(pathway_by_group, df_enquiries)]
    work += [functools.partial(linked_protection_of_year, df_enquiries, policy, y) for y in _years(df_enquiries)]
    work += [functools.partial(_pathway_year, df_enquiries, year, policy), *groups_year_work(df_enquiries, year, policy),
             functools.partial(_capacity_year, df_enquiries, year, policy)]
    if feedback is not None and not feedback.empty:
        work += feedback_year_work(df_enquiries, feedback, year, policy)
    work += [functools.partial(f, df_enquiries, year, policy)
             for f in (_trend_year, _category_year, funnel_data, grid_data, _hidden_cells)]
    work += other_year_work(df_enquiries, year, policy)
    if clean_tc_long is not None:
        work.append(functools.partial(culture_scores, clean_tc_long))
    return work


def build_locality_report(df_enquiries: pd.DataFrame, ons_code: str, year: str, policy: DisclosurePolicy | str,
                          clean_tc_long: pd.DataFrame | None = None, params=None,
                          person_feedback: pd.DataFrame | None = None) -> LocalityReport:
    """Every section of one council's report for `year` (culture profile when `clean_tc_long` is given).

    People's feedback is `person_feedback`, else ``person_feedback.parquet`` beside the data of `params`.

    >>> report = build_locality_report(enquiries, "E06000047", "2023-24", "sac")  # doctest: +SKIP
    >>> report.summary.markdown                                                  # doctest: +SKIP
    """
    policy = get_policy(policy) if isinstance(policy, str) else policy
    feedback_frame = read_feedback(params) if person_feedback is None else person_feedback
    # every council's tables of the year, computed once (by whichever of the batch's kernels is free) and sliced here
    compute_shared(_year_work(df_enquiries, year, policy, clean_tc_long, feedback_frame))
    year_tables = _pathway_year(df_enquiries, year, policy)
    if ons_code not in year_tables.bounds:
        raise ValueError(f"no enquiries for council {ons_code} in {year}")
    start, stop = year_tables.bounds[ons_code]
    comparison = year_tables.frame.iloc[start:stop].reset_index(drop=True)
    hidden = year_tables.extra["hidden"].iloc[start:stop].reset_index(drop=True)
    council, region = short_name(str(comparison["name"].iloc[0])), str(comparison["name"].iloc[1])  # "Hull", "Bristol"
    table = year_tables.table.rows(start, stop, caption=text("pathway_caption", year=year, council=council))
    facts: dict = {}
    pathway = _pathway_section(comparison, hidden, table, council, year)
    trend, more = _trend_section(df_enquiries, ons_code, council, region, year, policy)
    facts.update(more)
    funnel, more = _funnel_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    risks, more = _risk_section(df_enquiries, ons_code, council, region, year, policy)
    facts.update(more)
    capacity, more = _capacity_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    scores = culture_scores(clean_tc_long) if clean_tc_long is not None else None
    culture, more = _culture_section(scores, ons_code, council, region, year, policy, year_tables.extra["areas"])
    facts.update(more)
    grid, more = _grid_section(df_enquiries, ons_code, council, year, policy)
    facts.update(more)
    groups, more = groups_section(df_enquiries, ons_code, council, region, year, policy)
    facts.update(more)
    feedback, more = feedback_section(df_enquiries, feedback_frame, ons_code, council, region, year, policy)
    facts.update(more)
    other, more = other_enquiries_section(df_enquiries, ons_code, council, region, year, policy,
                                          pathway.tables[0].text(0, "fully_pct") if not hidden.loc[0, "fully_pct"] else None)
    facts.update(more)
    summary = _summary(facts, comparison, hidden, council, region, year, policy)
    hidden_cells = _hidden_cells(df_enquiries, year, policy)
    primary, secondary = (sum(hidden_cells.get(area, (0, 0))[i] for area in
                              (("council", ons_code), ("region", region), ("England", "England"))) for i in (0, 1))
    hidden_note = text("notes_hidden", year=year, primary=primary, secondary=secondary, percentages=sum(
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
