"""Figures for the reports (seaborn on matplotlib)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

PATHWAY_STAGES = {
    "asked_pct": "Asked about outcomes",
    "expressed_pct": "Expressed outcomes",
    "fully_pct": "Fully achieved",
    "fully_or_partially_pct": "Fully or partially achieved",
}


def pathway_figure(comparison: pd.DataFrame, hidden: pd.DataFrame | None = None) -> plt.Figure:
    """Bars of the MSP pathway for a council beside its region and England.

    `hidden` (booleans, same index, rate columns) marks rates the disclosure policy hid;
    those bars are left out rather than drawn from suppressed numbers.
    """
    rates = comparison[list(PATHWAY_STAGES)]
    if hidden is not None:
        rates = rates.mask(hidden[list(PATHWAY_STAGES)])
    long = rates.assign(name=comparison["name"]).melt(id_vars="name", var_name="stage", value_name="percent")
    long["stage"] = long["stage"].map(PATHWAY_STAGES)
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.barplot(data=long.dropna(), y="stage", x="percent", hue="name", ax=ax, palette="colorblind")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of concluded Section 42 enquiries (achievement: % of those expressing outcomes)")
    ax.set_ylabel("")
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    sns.despine(fig=fig)
    fig.tight_layout()
    return fig
