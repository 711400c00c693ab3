"""Other enquiries in the locality report: the MSP pathway of enquiries other than Section 42, beside Section 42's.

The resource says MSP "must not simply be seen in the context of … Section 42"; record-level
exports often hold other enquiries too, which the national collection does not count. When the data
hold them, this section shows their pathway for the council, its region and England in the layout
of the Section 42 pathway table, under the same disclosure rules (its own primary and secondary
suppression: :func:`msp_analysis.disclosure.groups.other_enquiry_protection`). Words:
``reporting/text/other_enquiries.yaml``.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pandas as pd

from msp_analysis.analysis.pathway import COUNT_COLUMNS, add_rates, area_totals, other_enquiry_pathways
from msp_analysis.disclosure.areas import PATHWAY_RATES, with_pathway_totals
from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.disclosure.groups import other_enquiry_protection
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting.content.stacked import _three_areas, _three_levels
from msp_analysis.reporting.sections import ReportText, Section
from msp_analysis.toolkit.caches import frame_cache

text = ReportText("other_enquiries")


def other_enquiries_section(df_enquiries: pd.DataFrame, ons_code: str, council: str, region: str, year: str,
                            policy: DisclosurePolicy, s42_fully: str | None = None) -> tuple[Section, dict]:
    """The pathway of the council's other enquiries beside its region's and England's; a sentence when there are none.

    `s42_fully` is the Section 42 fully-achieved percentage as the pathway table shows it (for the
    comparison sentence), None when hidden.
    """
    council = short_name(council)
    pathways = other_enquiry_pathways(df_enquiries)
    if pathways.empty:
        return Section(markdown=text("none_in_data")), {}
    stacked = _other_year(df_enquiries, year, policy)
    if ons_code not in stacked.bounds:
        return Section(markdown=text("none_here", council=council, year=year)), {}
    start, stop = stacked.bounds[ons_code]
    caption = text("caption", year=year, council=council, region=region)
    if list(stacked.table.values["name"].iloc[start:stop]) == [council, region, "England"]:  # sliced, as alone
        shown = stacked.table.rows(start, stop, caption=caption, labels=_labels())
    else:
        shown = _table_alone(df_enquiries, ons_code, council, region, year, policy, caption)
    sentences = [text("intro")]
    facts: dict = {}
    other = shown.value(0, "fully_pct")
    if other is not None and s42_fully is not None:
        sentences.append(text("compare", council=council, other=shown.text(0, "fully_pct"), s42=s42_fully))
        facts["other_fully"] = other
    return Section(markdown=" ".join(sentences), tables=[shown]), facts


def _labels() -> dict[str, str]:
    return {"name": text("column_area"), "concluded_s42": text("column_concluded"),
            **{rate: text(f"column_{rate}") for rate in PATHWAY_RATES}}


def _table_alone(df_enquiries: pd.DataFrame, ons_code: str, council: str, region: str, year: str,
                 policy: DisclosurePolicy, caption: str) -> DisclosedTable:
    """The council's table disclosed on its own: its, its region's and England's sums of the year."""
    totals = area_totals(other_enquiry_pathways(df_enquiries), COUNT_COLUMNS, ons_code, year, region)
    table = with_pathway_totals(add_rates(totals.drop(columns="financial_year"))).assign(name=[council, region, "England"])
    protection = other_enquiry_protection(df_enquiries, policy)
    areas = list(zip(table["level"], [ons_code, region, "England"], strict=True))
    labels = _labels()
    return disclose(table, policy, columns=list(labels), labels=labels, text=["name"], counts=["concluded_s42"],
                    rates=PATHWAY_RATES, national=table["level"].eq("England"), caption=caption,
                    suppressed=protection.mask(year, areas, protection.columns))


def year_work(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> list:
    """The shared work of this section for every council's report of `year` (:func:`~msp_analysis.toolkit.caches.compute_shared`)."""
    return [functools.partial(_other_year, df_enquiries, year, policy)]


@frame_cache(shared=True)
def _other_year(df_enquiries: pd.DataFrame, year: str, policy: DisclosurePolicy) -> SimpleNamespace:
    """Every council's table of `year` (council, region, England: three rows each), disclosed once.

    The rows are what :func:`~msp_analysis.analysis.pathway.area_totals` sums for each council
    (:func:`~msp_analysis.reporting.content.stacked._three_levels`, its series codes included); a council's three rows, renamed, are
    the table :func:`_table_alone` gives when their names are the report's.
    """
    pathways = other_enquiry_pathways(df_enquiries)
    if pathways.empty or not pathways["financial_year"].eq(year).any():
        return SimpleNamespace(bounds={}, table=None)
    codes, totals = _three_levels(pathways, COUNT_COLUMNS, year)
    table = with_pathway_totals(totals)
    protection = other_enquiry_protection(df_enquiries, policy)
    areas = _three_areas(codes, totals)
    columns = list(_labels())
    shown = disclose(table, policy, columns=columns, text=["name"], counts=["concluded_s42"], rates=PATHWAY_RATES,
                     national=table["level"].eq("England"), suppressed=protection.mask(year, areas, protection.columns))
    return SimpleNamespace(bounds={code: (3 * i, 3 * i + 3) for i, code in enumerate(codes)}, table=shown)
