"""Content of the locality report: the pathway table, its display form and its sentences.

The notebook only calls these, so everything a report says can be tested without a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from msp_analysis import __version__
from msp_analysis.disclosure import DisclosurePolicy
from msp_analysis.pathway import COUNT_COLUMNS, RATE_DEFINITIONS, locality_comparison

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


@dataclass
class LocalityPathway:
    """Numbers behind one council's report, plus what the disclosure policy lets us show."""

    comparison: pd.DataFrame
    hidden: pd.DataFrame
    display: pd.DataFrame
    policy: DisclosurePolicy

    @property
    def council_name(self) -> str:
        return str(self.comparison.loc[self.comparison["level"] == "council", "name"].iloc[0])

    @property
    def region_name(self) -> str:
        return str(self.comparison.loc[self.comparison["level"] == "region", "name"].iloc[0])

    def styled_table(self):
        """The display table without its index, every cell HTML-escaped (names come from data)."""
        return self.display.style.hide(axis="index").format(escape="html").set_uuid("msp-pathway")


def locality_pathway(df_enquiries: pd.DataFrame, ons_code: str, year: str, policy: DisclosurePolicy) -> LocalityPathway:
    """Council, region and England pathway for `year`, with the policy applied for display."""
    comparison = locality_comparison(df_enquiries, ons_code, year)
    hidden = policy.hidden_rates(comparison, RATE_DEFINITIONS)
    shown = policy.apply(comparison, COUNT_COLUMNS, RATE_DEFINITIONS)
    display = shown[list(DISPLAY_COLUMNS)].rename(columns=DISPLAY_COLUMNS)
    return LocalityPathway(comparison=comparison, hidden=hidden, display=display, policy=policy)


def _rate_phrase(pathway: LocalityPathway, level: str, rate: str) -> str | None:
    row = pathway.comparison.index[pathway.comparison["level"] == level][0]
    if pathway.hidden.loc[row, rate] or pd.isna(pathway.comparison.loc[row, rate]):
        return None
    return f"{pathway.comparison.loc[row, rate]:.0f}%"


def _with_article(region: str) -> str:
    """'the North East' but 'London' and 'Yorkshire and the Humber', as people write them."""
    return region if region in ("London", "Yorkshire and the Humber") else f"the {region}"


def headline(pathway: LocalityPathway, year: str) -> str:
    """Narrative sentences generated from the numbers, respecting suppression."""
    council = _rate_phrase(pathway, "council", "fully_pct")
    region = _rate_phrase(pathway, "region", "fully_pct")
    england = _rate_phrase(pathway, "England", "fully_pct")
    asked = _rate_phrase(pathway, "council", "asked_pct")
    sentences = []
    if council is None:
        sentences.append(
            f"In {year}, too few people in {pathway.council_name} expressed outcomes to show how many "
            f"were fully achieved under the {pathway.policy.name} disclosure policy."
        )
    else:
        sentences.append(
            f"In {year}, {council} of people in {pathway.council_name} who expressed the outcomes they "
            f"wanted from a Section 42 enquiry said those outcomes were fully achieved, compared with "
            f"{region} in {_with_article(pathway.region_name)} and {england} in England."
        )
    if asked is not None:
        sentences.append(f"{asked} of concluded Section 42 enquiries asked the person what outcomes they wanted.")
    return " ".join(sentences)


def summary_markdown(pathway: LocalityPathway, year: str) -> str:
    """Heading and headline sentences for the top of the report."""
    return f"## {pathway.council_name}, {year}\n\n{headline(pathway, year)}"


def notes_markdown(pathway: LocalityPathway, params) -> str:
    """Data notes: source, definitions, disclosure policy and provenance of this run."""
    return "\n".join([
        f"- **Source:** cleaned record-level enquiries, dataset `{Path(params.data_dir).name}` (`evaluation.parquet`).",
        "- **Definitions:** asked % and expressed % are shares of concluded Section 42 enquiries; achieved "
        "percentages are shares of enquiries where outcomes were expressed (SAC table SG4a).",
        f"- {pathway.policy.statement()}",
        f"- **Parameters:** council {params.locality}, year {params.year}.",
        f"- **Produced by** msp-analysis {__version__}.",
    ])
