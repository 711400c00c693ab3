"""Tests for msp_analysis.disclosure.feedback: the feedback cells, protected inside areas and down the hierarchy."""

import math

import pytest

from msp_analysis.analysis.feedback import feedback_counts
from msp_analysis.disclosure.feedback import feedback_protection
from msp_analysis.disclosure.policies import get_policy


@pytest.fixture(scope="module")
def data(simulation, cleaned_simulation):
    from msp_analysis.clean.person_feedback import clean_person_feedback

    return cleaned_simulation.clean, clean_person_feedback(simulation.person_feedback.astype(str).replace("nan", "")).clean


@pytest.mark.parametrize("name", ["sac", "ascof"])
def test_no_hidden_feedback_count_can_be_worked_out(data, name):
    protection = feedback_protection(*data, get_policy(name))
    assert protection.protection.derivable() == []
    assert protection.protection.counts()[0] > 0


def test_small_counts_are_hidden_and_others_shown_as_the_policy_shows_them(data):
    policy = get_policy("sac")
    protection = feedback_protection(*data, policy)
    counts = feedback_counts(*data)
    row = counts.iloc[0]
    key = (row["financial_year"], "council", row["ons_code"], "responses")
    shown = protection.disclosed(*key)
    if row["responses"] < 5:
        assert math.isnan(shown)
    elif not protection.hidden(*key):
        assert shown == policy.disclosed_count(row["responses"])
    region = (row["financial_year"], "region", row["region"], "responses")
    total = counts.loc[(counts["financial_year"] == row["financial_year"]) & (counts["region"] == row["region"]),
                       "responses"].sum()
    assert protection.disclosed(*region) == policy.disclosed_count(total)


def test_exact_counts_get_secondary_partners(data):
    assert feedback_protection(*data, get_policy("ascof")).protection.counts()[1] > 0
