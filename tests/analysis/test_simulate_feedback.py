"""Tests for msp_analysis.analysis.simulate_feedback: several locations and sources, and people's feedback."""

import numpy as np
import pandas as pd

from msp_analysis.analysis.simulate_feedback import (
    FEEDBACK_FAULTS,
    several_locations_and_sources,
    with_person_feedback,
)
from msp_analysis.reference.codebook import canonical_labels, person_items


def test_the_simulation_writes_feedback_whose_rejects_the_truth_predicts(simulation):
    from msp_analysis.clean.person_feedback import clean_person_feedback

    truth = simulation.truth["person_feedback"]
    result = clean_person_feedback(simulation.person_feedback.astype(str).replace("nan", ""))
    assert result.reconciles() and result.rows_in == truth["rows"]
    assert result.rows_rejected == truth["expected_rejects"] == sum(truth["faults"].values())
    assert set(truth["faults"]) == set(FEEDBACK_FAULTS)


def test_feedback_is_a_subset_of_the_enquiries_and_asks_the_six_statements(simulation, cleaned_simulation):
    feedback = simulation.person_feedback
    assert set(person_items()["item_id"]) <= set(feedback.columns)
    ids = set(cleaned_simulation.clean["enquiry_id"])
    share = feedback["enquiry_id"].isin(ids).mean()
    assert share > 0.97 and len(feedback) < 0.4 * len(cleaned_simulation.clean)


def test_statements_are_higher_when_the_record_says_fully_achieved(simulation, cleaned_simulation):
    from msp_analysis.clean.person_feedback import clean_person_feedback

    feedback = clean_person_feedback(simulation.person_feedback.astype(str).replace("nan", "")).clean
    joined = feedback.merge(cleaned_simulation.clean[["enquiry_id", "msp_outcome_achieved"]].rename(
        columns={"msp_outcome_achieved": "record"}), on="enquiry_id")
    first = person_items()["item_id"].iloc[0]
    means = joined.groupby(joined["record"].astype(str))[first].mean()
    assert means["Fully Achieved"] > means["Not Achieved"] + 0.5, means


def test_feedback_draws_leave_the_enquiry_draws_alone():
    records = pd.DataFrame({"enquiry_id": ["A", "B"], "ons_code": ["E08000025"] * 2, "financial_year": ["2023-24"] * 2,
                            "risk_location": ["Own Home", "Other"], "risk_source": ["Service Provider"] * 2,
                            "lacked_capacity": ["No, they did not lack capacity"] * 2,
                            "msp_asked": ["No", "No"], "msp_outcome_achieved": ["", ""]})
    first, _, _ = with_person_feedback(3, records)
    second, _, _ = with_person_feedback(3, records)
    pd.testing.assert_frame_equal(first, second)
    assert list(first["enquiry_id"]) == ["A", "B"]


def test_some_enquiries_get_a_second_location_or_source_in_codebook_order():
    n = 4000
    records = pd.DataFrame({"risk_location": ["Other"] * n, "risk_source": ["Other - Unknown to individual"] * n})
    out = several_locations_and_sources(np.random.default_rng(1), records, location=0.06, source=0.05)
    several = out["risk_location"].str.contains("; ")
    assert 0.02 < several.mean() < 0.1
    labels = canonical_labels("risk_location")
    for cell in out.loc[several, "risk_location"].head(50):
        a, b = cell.split("; ")
        assert labels.index(a) < labels.index(b)
    assert out["risk_source"].str.contains("; ").mean() > 0.01


def test_the_written_simulation_holds_person_feedback(tmp_path):
    from msp_analysis.workflows.simulated import PERSON_FEEDBACK_FILE, write_simulation

    written = write_simulation(tmp_path, seed=5, scale=0.01)
    assert (written.folder / PERSON_FEEDBACK_FILE).exists()
    assert written.truth["person_feedback"]["rows"] > 0
