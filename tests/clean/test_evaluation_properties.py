"""Property tests of the evaluation cleaner: any mix of good and bad rows reconciles, and
cleaning is idempotent and independent of row order."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msp_analysis.clean.evaluation import OUTPUT_COLUMNS, clean_evaluation

TODAY = pd.Timestamp("2025-01-31")
INPUT_COLUMNS = [c for c in OUTPUT_COLUMNS if c not in ("council_name", "region", "age_band")]
CHOICES = {
    "ons_code": ["E08000025", " e06000047", "", "E99999999", "E10000006"],
    "cassr_code": ["406", "116.0", "", "999"],
    "locality": ["North team", ""],
    "enquiry_type": ["Section 42", "S42", "Other", "", "Section 44"],
    "concern_date": ["2023-05-02", "02/05/2023", "", "2031-01-01", "not a date"],
    "enquiry_start_date": ["2023-05-10", "", "2023-12-01"],
    "concluded_date": ["2023-07-14", "14/07/2023", "2014-07-14", "", "2024-04-01"],
    "financial_year": ["2023-24", "2023/24", "FY2023", "", "2022-23", "twenty"],
    "age": ["82", "17", "", "abc", "121", "18"],
    "sex": ["Female", "M", "Unknown", "", "Robot"],
    "ethnicity": ["White", "", "Martian"],
    "primary_support_reason": ["Physical Support", "N/K", "Magic"],
    "risk_types": ["Neglect", "Physical; Financial", "Physical/Financial", "Unknown", "Dragons"],
    "risk_location": ["Own Home", "Care Home \u2013 Nursing", "Moon"],
    "risk_source": ["Service Provider", ""],
    "risk_assessment_outcome": ["Risk identified and action taken", "No risk identified and no action taken", ""],
    "risk_outcome": ["Risk reduced", "", "Reduced"],
    "lacked_capacity": ["Yes, they lacked capacity", "No", "DK", ""],
    "capacity_support": ["Yes", "", "N"],
    "msp_asked": ["Yes they were asked and outcomes were expressed", "No", "DK", "", "Perhaps"],
    "msp_outcome_achieved": ["Fully Achieved", "partly achieved", "", "Not met"],
}
rows = st.fixed_dictionaries({column: st.sampled_from(values) for column, values in CHOICES.items()})
exports = st.lists(rows, min_size=0, max_size=25)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_export(drawn: list[dict], ids: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(drawn, columns=[c for c in INPUT_COLUMNS if c not in ("enquiry_id", "person_id")])
    frame.insert(0, "enquiry_id", ids if ids is not None else [f"EQ{i:04d}" for i in range(len(frame))])
    frame.insert(1, "person_id", [f"PN{i:04d}" for i in range(len(frame))])
    return frame[INPUT_COLUMNS]


@SETTINGS
@given(exports, st.lists(st.sampled_from(["EQ1", "EQ2", "", "EQ3"]), min_size=25, max_size=25))
def test_any_mix_reconciles_and_every_reject_has_a_reason(drawn, ids):
    result = clean_evaluation(as_export(drawn, ids[: len(drawn)]), source="x.csv", today=TODAY)
    assert result.reconciles()
    assert result.rows_rejected == result.rejects["row"].nunique()
    assert result.rejects["reason"].str.len().gt(0).all()
    assert set(result.rejects["row"]) <= set(range(2, len(drawn) + 2))


@pytest.mark.long  # twenty examples of two cleanings each, about 5 s: in make test, not the quick lane
@SETTINGS
@given(exports)
def test_cleaning_clean_output_changes_nothing(drawn):
    first = clean_evaluation(as_export(drawn), source="x.csv", today=TODAY).clean
    as_text = first[INPUT_COLUMNS].astype("string").fillna("")
    for column in ("concern_date", "enquiry_start_date", "concluded_date"):
        as_text[column] = first[column].dt.strftime("%Y-%m-%d").fillna("")
    second = clean_evaluation(as_text, source="x.csv", today=TODAY)
    assert second.rows_rejected == 0
    pd.testing.assert_frame_equal(second.clean, first)


@pytest.mark.long  # twenty examples of two cleanings each, about 5 s: in make test, not the quick lane
@SETTINGS
@given(exports, st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_result(drawn, random):
    export = as_export(drawn)
    shuffled = export.sample(frac=1, random_state=random.randint(0, 10_000))
    a = clean_evaluation(export, source="x.csv", today=TODAY)
    b = clean_evaluation(shuffled.reset_index(drop=True), source="x.csv", today=TODAY)
    key = ["enquiry_id"]
    pd.testing.assert_frame_equal(a.clean.sort_values(key).reset_index(drop=True),
                                  b.clean.sort_values(key).reset_index(drop=True))
    assert a.rows_rejected == b.rows_rejected
    assert sorted(a.rejects["reason"]) == sorted(b.rejects["reason"])
