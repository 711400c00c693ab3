"""Tests for msp_analysis.disclosure.policies: named policies, boundaries of the SAC rule, hidden rates."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from msp_analysis.disclosure.policies import POLICIES, ZERO_SHOW, DisclosurePolicy, custom_policy, get_policy


@pytest.fixture
def sac() -> DisclosurePolicy:
    return get_policy("sac")


# --- counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count,expected",
    [
        (0, "[c]"),
        (1, "[c]"),
        (4, "[c]"),
        (4.9, "[c]"),      # not an integer, still under 5
        (5, "5"),
        (7, "5"),
        (7.4, "5"),
        (7.5, "10"),       # half-way ties round up
        (8, "10"),
        (12.5, "15"),
        (12.49, "10"),
        (1234, "1,235"),   # thousands separator; 1232.5 and up round to 1,235
        (1232, "1,230"),
        (np.nan, ""),
        (float("nan"), ""),
        (None, ""),
    ],
)
def test_sac_format_count_boundaries(sac, count, expected):
    assert sac.format_count(count) == expected


@pytest.mark.parametrize("count", [-1, -0.5, -5])
def test_negative_count_is_an_error(sac, count):
    with pytest.raises(ValueError, match="negative"):
        sac.format_count(count)


@pytest.mark.parametrize("count,expected", [(5, 5), (7, 5), (7.5, 10), (12.5, 15), (17.5, 20), (2.5, 5)])
def test_round_count_rounds_half_up_to_base(sac, count, expected):
    assert sac.round_count(count) == expected


def test_round_count_of_negative_is_an_error(sac):
    with pytest.raises(ValueError):
        sac.round_count(-3)


@pytest.mark.parametrize("count,suppressed", [(0, True), (4, True), (4.999, True), (5, False), (np.nan, False)])
def test_is_suppressed_boundary(sac, count, suppressed):
    assert sac.is_suppressed(count) is suppressed


@pytest.mark.parametrize(
    "kwargs",
    [{"threshold": -1, "rounding_base": 5}, {"threshold": 5, "rounding_base": 0}],
)
def test_policy_with_impossible_parameters_is_an_error(kwargs):
    with pytest.raises(ValueError):
        DisclosurePolicy(name="bad", symbol="*", description="", **kwargs)


# --- rates --------------------------------------------------------------------------------

RATES = {"fully_pct": (["fully"], ["fully", "partially", "not_achieved"])}


def _table(fully, partially, not_achieved):
    table = pd.DataFrame({"fully": fully, "partially": partially, "not_achieved": not_achieved}, dtype=float)
    total = table.sum(axis=1)
    table["fully_pct"] = 100 * table["fully"] / total.where(total > 0)
    return table


def test_denominator_is_the_sum_of_its_parts_not_each_part(sac):
    # each part of the denominator is under 5, their sum (3 + 3 + 3 = 9) is not
    table = _table([3], [3], [3])
    assert not sac.hidden_rates(table, {"all_pct": (["fully", "partially", "not_achieved"],
                                                    ["fully", "partially", "not_achieved"])}).loc[0, "all_pct"]
    assert sac.hidden_rates(table, RATES).loc[0, "fully_pct"]  # numerator 3 is suppressed


# --- policy registry ----------------------------------------------------------------------


def test_get_policy_returns_the_sac_policy():
    policy = get_policy("sac")
    assert (policy.threshold, policy.rounding_base, policy.symbol) == (5, 5, "[c]")
    assert "sac" in policy.statement()


def test_unknown_policy_is_an_error_naming_the_known_ones():
    with pytest.raises(ValueError) as error:
        get_policy("nope")
    message = str(error.value)
    assert "nope" in message
    assert all(name in message for name in POLICIES)


def test_policy_is_immutable(sac):
    with pytest.raises(dataclasses.FrozenInstanceError):
        sac.threshold = 1  # type: ignore[misc]


# --- every named policy at its boundaries ----------------------------------------------------


BOUNDARIES = {
    # policy: {count: shown}; half-way ties round up; non-integers follow the same thresholds
    "sac": {0: "[c]", 1: "[c]", 4: "[c]", 4.5: "[c]", 5: "5", 7: "5", 7.5: "10", 8: "10", 12.5: "15", 2.5: "[c]"},
    "sac_2018": {0: "*", 1: "*", 4: "*", 4.9: "*", 5: "5", 7: "5", 7.5: "10", 8: "10", 22.5: "25"},
    "nhs_secondary_care": {0: "0", 0.5: "*", 1: "*", 4: "*", 5: "*", 7: "*", 7.5: "*", 8: "10", 12.5: "15", 1234: "1,235"},
    "ascs": {0: "[w]", 1: "[c]", 2: "[c]", 2.5: "[c]", 3: "3", 4: "4", 5: "5", 7: "7", 8: "8", 7.5: "8"},
    "ascof": {0: "[c]", 1: "[c]", 4: "[c]", 4.5: "[c]", 5: "5", 7: "7", 8: "8", 12.5: "13"},
}


@pytest.mark.parametrize("name,count,expected",
                         [(name, count, shown) for name, cases in BOUNDARIES.items() for count, shown in cases.items()])
def test_named_policies_at_their_boundaries(name, count, expected):
    assert get_policy(name).format_count(count) == expected


@pytest.mark.parametrize("name", sorted(BOUNDARIES))
@pytest.mark.parametrize("missing", [None, np.nan, float("nan"), pd.NA])
def test_missing_counts_are_blank_under_every_policy(name, missing):
    assert get_policy(name).format_count(missing) == ""
    assert not get_policy(name).is_suppressed(missing)


@pytest.mark.parametrize("name", sorted(BOUNDARIES))
@pytest.mark.parametrize("count", [-1, -0.5, -7])
def test_negative_counts_are_errors_under_every_policy(name, count):
    with pytest.raises(ValueError, match="negative"):
        get_policy(name).format_count(count)


def test_not_submitted_is_x_whatever_the_count():
    assert get_policy("sac").format_count(123, submitted=False) == "[x]"
    assert get_policy("sac").format_count(np.nan, submitted=False) == "[x]"


@pytest.mark.parametrize("count,sub_national,national", [(0, "0", "0"), (3, "*", "3"), (7, "*", "7"), (8, "10", "8"),
                                                         (1233, "1,235", "1,233")])
def test_nhs_national_counts_are_exempt(count, sub_national, national):
    nhs = get_policy("nhs_secondary_care")
    assert nhs.format_count(count) == sub_national
    assert nhs.format_count(count, national=True) == national
    assert get_policy("sac").format_count(3, national=True) == "[c]", "SAC rounds and hides England too"


@pytest.mark.parametrize("name,people,shown", [("sac", 4, "[c]"), ("sac", 5, "3.4"), ("nhs_secondary_care", 7, "*"),
                                              ("nhs_secondary_care", 8, "3.4"), ("ascs", 2, "[c]"), ("ascs", 3, "3.4"),
                                              ("sac", 0, ""), ("sac", np.nan, "")])
def test_means_of_few_people_are_hidden(name, people, shown):
    assert get_policy(name).format_mean(3.42, people) == shown


def test_nhs_mean_of_a_national_group_is_exempt():
    assert get_policy("nhs_secondary_care").format_mean(3.42, 3, national=True) == "3.4"


# --- custom policies -------------------------------------------------------------------------


def test_custom_policy_from_its_parts():
    policy = custom_policy(10, 5, "~", zero=ZERO_SHOW, national_exempt=True)
    assert [policy.format_count(c) for c in (0, 1, 9, 9.9, 10, 12, 12.5)] == ["0", "~", "~", "~", "10", "10", "15"]
    assert policy.format_count(9, national=True) == "9"
    assert "Counts from 1 to 9 are shown as ~" in policy.statement()


def test_custom_policy_from_a_parameter_string_round_trips():
    policy = get_policy("custom:threshold=3,rounding=1,symbol=<3,zero=[z],national=controlled")
    assert [policy.format_count(c) for c in (0, 2, 3)] == ["[z]", "<3", "3"]
    assert get_policy(policy.name) == policy, "the canonical name validates to the same policy"


@pytest.mark.parametrize("spec,message", [("custom:", "threshold"), ("custom:threshold=x", "whole numbers"),
                                          ("custom:threshold=5,colour=red", "colour"),
                                          ("custom:threshold=5,national=maybe", "national")])
def test_bad_custom_policies_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        get_policy(spec)
