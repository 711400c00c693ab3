"""Primary and secondary suppression of people's feedback beside the record, decided once for every report.

The locality report shows, for its council, region and England, the share of the people who gave
feedback that the record says were asked, expressed outcomes and had them fully achieved, beside
what those people say, who answered, when, and how many agree with each 'I' statement
(:func:`msp_analysis.analysis.feedback.feedback_counts`). The counts add up inside each area
(:func:`~msp_analysis.analysis.feedback.feedback_sets`) and down the hierarchy, and are protected
together (:func:`msp_analysis.disclosure.areas.protect_areas`).
"""

from __future__ import annotations

import pandas as pd

from msp_analysis.analysis.feedback import feedback_columns, feedback_counts, feedback_sets
from msp_analysis.disclosure.areas import AreaProtection, protect_areas
from msp_analysis.disclosure.policies import DisclosurePolicy
from msp_analysis.toolkit.caches import frame_cache


@frame_cache(shared=True)
def feedback_protection(df_enquiries: pd.DataFrame, feedback: pd.DataFrame, policy: DisclosurePolicy) -> AreaProtection:
    """Every count of the feedback tables, protected for every council, region and England and year.

    Parameters
    ----------
    df_enquiries, feedback : pandas.DataFrame
        Clean enquiries and clean people's feedback.
    policy : DisclosurePolicy
        The policy; England's cells are national.
    """
    counts = feedback_counts(df_enquiries, feedback)
    sets = tuple((total, parts, "feedback") for total, parts in feedback_sets())
    return protect_areas(counts, feedback_columns(), sets, policy)
