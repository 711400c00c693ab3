"""People's own feedback beside the record: what people say of the MSP pathway, and the six 'I' statements.

:func:`feedback_counts` links each clean ``person_feedback`` row to its concluded Section 42
enquiry (same ``enquiry_id`` and council) and counts, per council and financial year of the
enquiry, what the record says of those same people (asked, expressed, fully achieved) and what
they say (the SG4a questions as they answer them), who answered and when, and for each 'I'
statement how many answered and how many agreed (*Agree* or *Strongly agree*). Every count is
the total of two others (:data:`FEEDBACK_SETS`), so a table can be protected as the pathway is.
Feedback rows whose enquiry is not among the Section 42 enquiries are not counted (``unlinked``
in :func:`link_feedback`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msp_analysis.analysis.pathway import AREA_COLUMNS, section_42_rows
from msp_analysis.reference.codebook import ASKED_NOT_EXPRESSED, EXPRESSED, person_items
from msp_analysis.toolkit.caches import frame_cache

AGREE = 4  # Agree (4) or Strongly agree (5) on the 1-5 scale
ANSWERED_BY = {"The person": "by_person", "A representative": "by_representative", "An advocate": "by_advocate"}
ANSWERED_WHEN = {"At closure": "at_closure", "Within eight weeks after closure": "within_eight_weeks"}


def statement_counts(item: str) -> tuple[str, str, str, str]:
    """The count columns of one 'I' statement: answered, not answered, agree, do not agree."""
    return f"{item}_answered", f"{item}_unanswered", f"{item}_agree", f"{item}_not_agree"


def feedback_sets() -> list[tuple[str, tuple[str, ...]]]:
    """(total, parts) of the counts inside one area: each a total of the others it names."""
    sets = [
        ("responses", ("record_asked", "record_not_asked")),
        ("record_asked", ("record_expressed", "record_asked_not_expressed")),
        ("record_expressed", ("record_fully", "record_not_fully")),
        ("responses", ("said_answered", "said_unanswered")),
        ("said_answered", ("said_asked", "said_not_asked")),
        ("said_asked", ("said_expressed", "said_asked_not_expressed")),
        ("said_expressed", ("said_achieved", "said_achievement_unanswered")),
        ("said_achieved", ("said_fully", "said_not_fully")),
        ("responses", (*ANSWERED_BY.values(), "by_not_recorded")),
        ("responses", (*ANSWERED_WHEN.values(), "when_not_recorded")),
    ]
    for item in person_items()["item_id"]:
        answered, unanswered, agree, not_agree = statement_counts(item)
        sets += [("responses", (answered, unanswered)), (answered, (agree, not_agree))]
    return sets


def feedback_columns() -> list[str]:
    """Every count of :func:`feedback_counts`, totals first."""
    return list(dict.fromkeys(c for total, parts in feedback_sets() for c in (total, *parts)))


def link_feedback(df_enquiries: pd.DataFrame, feedback: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Feedback rows joined to their concluded Section 42 enquiry (the record's columns prefixed ``record_``).

    Returns the linked rows and the number of feedback rows that name no Section 42 enquiry of the data.
    """
    s42 = section_42_rows(df_enquiries)
    record = s42[[*AREA_COLUMNS, "enquiry_id", "msp_asked", "msp_outcome_achieved"]].astype(
        {c: "string" for c in [*AREA_COLUMNS, "enquiry_id"]})
    record = record.rename(columns={"msp_asked": "record_msp_asked", "msp_outcome_achieved": "record_msp_achieved"})
    said = feedback.drop(columns=[c for c in ("financial_year", "region") if c in feedback.columns])
    said = said.astype({"enquiry_id": "string", "ons_code": "string"})
    linked = said.merge(record.drop_duplicates("enquiry_id"), on=["enquiry_id", "ons_code"], how="inner")
    return linked, int(len(feedback) - len(linked))


@frame_cache
def feedback_counts(df_enquiries: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Per council and financial year: what the record and the people say, who answered, when, and each 'I' statement.

    Parameters
    ----------
    df_enquiries : pandas.DataFrame
        Clean enquiries (``evaluation``).
    feedback : pandas.DataFrame
        Clean people's feedback (``person_feedback``).

    Returns
    -------
    pandas.DataFrame
        One row per council and year with any linked feedback: the AREA_COLUMNS and
        :func:`feedback_columns` (int64).
    """
    linked, _ = link_feedback(df_enquiries, feedback)
    rec_asked = linked["record_msp_asked"].astype("string")
    rec_expressed = rec_asked.eq(EXPRESSED).fillna(False).to_numpy()
    rec_any = rec_asked.isin([EXPRESSED, ASKED_NOT_EXPRESSED]).to_numpy()
    rec_fully = linked["record_msp_achieved"].astype("string").eq("Fully Achieved").fillna(False).to_numpy()
    said = linked["msp_asked"].astype("string")
    said_answered = said.notna().to_numpy()
    said_expressed = said.eq(EXPRESSED).fillna(False).to_numpy()
    said_any = said.isin([EXPRESSED, ASKED_NOT_EXPRESSED]).to_numpy()
    achieved = linked["msp_outcome_achieved"].astype("string")
    said_achieved = achieved.notna().to_numpy() & said_expressed
    said_fully = achieved.eq("Fully Achieved").fillna(False).to_numpy() & said_expressed
    flags = {
        "responses": np.ones(len(linked), dtype=bool),
        "record_asked": rec_any, "record_not_asked": ~rec_any, "record_expressed": rec_expressed,
        "record_asked_not_expressed": rec_any & ~rec_expressed, "record_fully": rec_fully & rec_expressed,
        "record_not_fully": rec_expressed & ~rec_fully,
        "said_answered": said_answered, "said_unanswered": ~said_answered, "said_asked": said_any,
        "said_not_asked": said_answered & ~said_any, "said_expressed": said_expressed,
        "said_asked_not_expressed": said_any & ~said_expressed, "said_achieved": said_achieved,
        "said_achievement_unanswered": said_expressed & ~said_achieved, "said_fully": said_fully,
        "said_not_fully": said_achieved & ~said_fully,
    }
    by = linked["answered_by"].astype("string")
    for label, column in ANSWERED_BY.items():
        flags[column] = by.eq(label).fillna(False).to_numpy()
    flags["by_not_recorded"] = ~by.isin(list(ANSWERED_BY)).to_numpy()
    when = linked["answered_when"].astype("string")
    for label, column in ANSWERED_WHEN.items():
        flags[column] = when.eq(label).fillna(False).to_numpy()
    flags["when_not_recorded"] = ~when.isin(list(ANSWERED_WHEN)).to_numpy()
    for item in person_items()["item_id"]:
        answered, unanswered, agree, not_agree = statement_counts(item)
        values = pd.to_numeric(linked[item], errors="coerce") if item in linked else pd.Series(np.nan, index=linked.index)
        flags[answered] = values.notna().to_numpy()
        flags[unanswered] = ~flags[answered]
        flags[agree] = (values >= AGREE).fillna(False).to_numpy()
        flags[not_agree] = flags[answered] & ~flags[agree]
    columns = feedback_columns()
    frame = pd.DataFrame({c: flags[c].astype("int64") for c in columns}, index=linked.index)
    keys = linked[AREA_COLUMNS].astype(str)
    counts = frame.groupby([keys[c] for c in AREA_COLUMNS], sort=True).sum().reset_index()
    return counts[[*AREA_COLUMNS, *columns]]
