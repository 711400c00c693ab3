"""Tests for msp_analysis.disclosure: named policies, boundaries of the SAC rule, hidden rates."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from msp_analysis.disclosure import POLICIES, DisclosurePolicy, get_policy


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


def test_apply_hides_a_rate_when_its_numerator_is_suppressed(sac):
    table = _table([3], [40], [7])
    shown = sac.apply(table, ["fully", "partially", "not_achieved"], RATES)
    assert shown.loc[0, "fully_pct"] == "[c]"
    assert shown.loc[0, "fully"] == "[c]"
    assert shown.loc[0, "partially"] == "40"


def test_apply_hides_a_rate_when_its_denominator_sum_is_suppressed(sac):
    # numerator 6 is shown, but the denominator sums two small counts to 2 + 2 = 4 < 5
    table = pd.DataFrame({"top": [6.0], "low_a": [2.0], "low_b": [2.0], "ratio_pct": [150.0]})
    rates = {"ratio_pct": (["top"], ["low_a", "low_b"])}
    shown = sac.apply(table, ["top"], rates)
    assert shown.loc[0, "top"] == "5"
    assert shown.loc[0, "ratio_pct"] == "[c]"


def test_denominator_is_the_sum_of_its_parts_not_each_part(sac):
    # each part of the denominator is under 5, their sum (3 + 3 + 3 = 9) is not
    table = _table([3], [3], [3])
    assert not sac.hidden_rates(table, {"all_pct": (["fully", "partially", "not_achieved"],
                                                    ["fully", "partially", "not_achieved"])}).loc[0, "all_pct"]
    assert sac.hidden_rates(table, RATES).loc[0, "fully_pct"]  # numerator 3 is suppressed


def test_apply_keeps_a_rate_whose_counts_are_shown_and_uses_unrounded_counts(sac):
    table = _table([7], [6], [1])  # 7 / 14 = 50.0%; rounded counts (5, 5, [c]) would say otherwise
    shown = sac.apply(table, ["fully", "partially", "not_achieved"], RATES)
    assert shown.loc[0, "fully_pct"] == "50.0%"
    assert shown.loc[0, ["fully", "partially", "not_achieved"]].tolist() == ["5", "5", "[c]"]
    assert not sac.hidden_rates(table, RATES).loc[0, "fully_pct"]


def test_apply_leaves_a_missing_rate_blank_and_does_not_touch_the_input(sac):
    table = pd.DataFrame({"fully": [10.0, 30.0], "partially": [5.0, 0.0], "not_achieved": [5.0, 0.0],
                          "fully_pct": [np.nan, 100.0]})
    before = table.copy()
    shown = sac.apply(table, ["fully"], RATES)
    assert shown["fully_pct"].tolist() == ["", "100.0%"]
    pd.testing.assert_frame_equal(table, before)


def test_apply_per_row_hides_only_the_small_rows(sac):
    table = _table([50, 2], [20, 1], [10, 0])
    shown = sac.apply(table, ["fully"], RATES)
    assert shown["fully_pct"].tolist() == ["62.5%", "[c]"]
    assert shown["fully"].tolist() == ["50", "[c]"]


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
