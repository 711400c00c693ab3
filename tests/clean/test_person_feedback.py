"""People's own feedback after an enquiry (kind person_feedback): labels, the agreement scale, rejects that reconcile."""

import pandas as pd
import pytest

from msp_analysis.clean import clean_and_validate
from msp_analysis.clean.person_feedback import clean_person_feedback, statement_columns
from msp_analysis.reference import codebook
from msp_analysis.toolkit.errors import UnusableInputError

GOOD = {"enquiry_id": "EQ1", "ons_code": "e08000025", "financial_year": "2023/24", "answered_by": "IMCA",
        "answered_when": "Within 8 weeks", "msp_asked": "Asked and expressed", "msp_outcome_achieved": "Partially",
        "i_empowerment": "Agree", "i_prevention": "5", "i_proportionality": "Don't know",
        "i_protection": "Tend to agree", "i_partnership": "SD", "i_accountability": ""}


def frame(*rows):
    return pd.DataFrame([{**{k: "" for k in GOOD}, **row} for row in rows])


def test_the_statement_columns_are_the_six_i_statements_in_principle_order():
    assert statement_columns() == [f"i_{p.lower()}" for p, _ in codebook.safeguarding_principles()]


def test_a_good_row_is_read_into_canonical_labels_and_1_to_5():
    result = clean_and_validate("person_feedback", frame(GOOD), source="fb.csv")
    row = result.clean.iloc[0]
    assert (row["ons_code"], row["financial_year"], row["region"]) == ("E08000025", "2023-24", "West Midlands")
    assert (row["answered_by"], row["answered_when"]) == ("An advocate", "Within eight weeks after closure")
    assert (row["msp_asked"], row["msp_outcome_achieved"]) == (codebook.EXPRESSED, "Partially Achieved")
    assert [row[c] if not pd.isna(row[c]) else None for c in statement_columns()] == [4, 5, None, 4, 1, None]
    assert result.reconciles() and result.rows_rejected == 0


def test_every_problem_is_a_reject_line_and_the_rows_reconcile():
    raw = frame(GOOD, {"enquiry_id": "", "ons_code": "E08000025", "financial_year": "2023-24"},
                {"enquiry_id": "EQ2", "ons_code": "E99999999", "financial_year": "2023-24", "msp_asked": "No",
                 "msp_outcome_achieved": "Fully"},
                {"enquiry_id": "EQ3", "ons_code": "E08000025", "financial_year": "2023-24", "i_empowerment": "Red",
                 "answered_by": "cat"},
                {**GOOD, "answered_when": "within eight weeks after closure"},
                {**GOOD, "answered_when": "At closure"},
                {"enquiry_id": "EQ4", "ons_code": "E08000025", "financial_year": "1890-91"})
    result = clean_person_feedback(raw, source="fb.csv")
    assert result.rows_in == 7 and result.rows_clean == 2 and result.rows_rejected == 5 and result.reconciles()
    lines = {(r.row, r.column) for r in result.rejects.itertuples()}
    assert lines == {(3, "enquiry_id"), (4, "ons_code"), (4, "msp_outcome_achieved"), (5, "answered_by"),
                     (5, "i_empowerment"), (6, "enquiry_id"), (8, "financial_year")}
    assert sorted(result.clean["answered_when"]) == ["At closure", "Within eight weeks after closure"]


def test_a_file_without_the_required_columns_is_unusable():
    with pytest.raises(UnusableInputError, match="enquiry_id, ons_code, financial_year"):
        clean_person_feedback(pd.DataFrame({"person": ["x"]}), source="fb.csv")
