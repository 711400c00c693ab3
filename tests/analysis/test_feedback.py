"""Tests for msp_analysis.analysis.feedback: people's feedback linked to the record and counted per council and year."""

import pandas as pd
import pytest

from msp_analysis.analysis.feedback import feedback_columns, feedback_counts, feedback_sets, link_feedback
from msp_analysis.reference.codebook import person_items

EXPRESSED = "Yes they were asked and outcomes were expressed"
NOT_EXPRESSED = "Yes they were asked but no outcomes were expressed"
AREA = {"ons_code": "E08000025", "council_name": "Birmingham", "region": "West Midlands", "financial_year": "2023-24"}


def _enquiries():
    rows = [("E1", EXPRESSED, "Fully Achieved"), ("E2", EXPRESSED, "Not Achieved"), ("E3", NOT_EXPRESSED, None),
            ("E4", "No", None)]
    frame = pd.DataFrame([{**AREA, "enquiry_id": i, "enquiry_type": "Section 42", "msp_asked": a,
                           "msp_outcome_achieved": b} for i, a, b in rows])
    other = pd.DataFrame([{**AREA, "enquiry_id": "E5", "enquiry_type": "Other", "msp_asked": EXPRESSED,
                           "msp_outcome_achieved": "Fully Achieved"}])
    return pd.concat([frame, other], ignore_index=True)


def _feedback():
    items = list(person_items()["item_id"])
    rows = [
        # enquiry, by, when, says asked, says achieved, first statement
        ("E1", "The person", "At closure", EXPRESSED, "Partially Achieved", 5),
        ("E2", "An advocate", "Within eight weeks after closure", EXPRESSED, "Not Achieved", 2),
        ("E3", "A representative", None, None, None, None),
        ("E5", "The person", "At closure", EXPRESSED, "Fully Achieved", 4),  # an Other enquiry: not linked
        ("E9", "The person", "At closure", "No", None, 3),                      # no such enquiry: not linked
    ]
    frame = pd.DataFrame([{"enquiry_id": e, "ons_code": AREA["ons_code"], "financial_year": "2023-24",
                           "region": AREA["region"], "answered_by": by, "answered_when": when, "msp_asked": asked,
                           "msp_outcome_achieved": achieved, items[0]: first, **{i: pd.NA for i in items[1:]}}
                          for e, by, when, asked, achieved, first in rows])
    return frame.astype({i: "Int64" for i in items})


def test_only_feedback_on_a_section_42_enquiry_of_the_data_is_linked():
    linked, unlinked = link_feedback(_enquiries(), _feedback())
    assert sorted(linked["enquiry_id"]) == ["E1", "E2", "E3"] and unlinked == 2


def test_the_record_and_what_people_say_are_counted_for_the_same_people():
    counts = feedback_counts(_enquiries(), _feedback()).iloc[0]
    assert counts["responses"] == 3
    assert (counts["record_asked"], counts["record_expressed"], counts["record_fully"]) == (3, 2, 1)
    assert (counts["said_answered"], counts["said_unanswered"]) == (2, 1)
    assert (counts["said_expressed"], counts["said_achieved"], counts["said_fully"]) == (2, 2, 0)
    assert (counts["by_person"], counts["by_advocate"], counts["by_representative"]) == (1, 1, 1)
    assert (counts["at_closure"], counts["within_eight_weeks"], counts["when_not_recorded"]) == (1, 1, 1)
    first = person_items()["item_id"].iloc[0]
    assert (counts[f"{first}_answered"], counts[f"{first}_agree"], counts[f"{first}_not_agree"]) == (2, 1, 1)


def test_every_set_adds_up():
    counts = feedback_counts(_enquiries(), _feedback())
    for total, parts in feedback_sets():
        assert (counts[list(parts)].sum(axis=1) == counts[total]).all(), (total, parts)
    assert set(feedback_columns()) <= set(counts.columns)


@pytest.mark.parametrize("item", list(person_items()["item_id"]))
def test_each_statement_has_its_four_counts(item):
    assert {f"{item}_answered", f"{item}_unanswered", f"{item}_agree", f"{item}_not_agree"} <= set(feedback_columns())


def test_on_the_simulation_people_mostly_agree_with_the_record(simulation, cleaned_simulation):
    from msp_analysis.clean.person_feedback import clean_person_feedback

    feedback = clean_person_feedback(simulation.person_feedback.astype(str).replace("nan", "")).clean
    counts = feedback_counts(cleaned_simulation.clean, feedback).sum(numeric_only=True)
    assert counts["responses"] > 500
    record, said = counts["record_expressed"] / counts["responses"], counts["said_expressed"] / counts["said_answered"]
    assert abs(record - said) < 0.08, (record, said)
