"""Tests for msp_analysis.analysis.funnel: exact binomial control limits and the curves a funnel plot draws."""

import math

import numpy as np
from scipy import stats

from msp_analysis.analysis.funnel import CONTROL_LIMITS, funnel_limits, limit_curves


def test_funnel_limits_match_the_binomial_and_the_normal_approximation():
    n = np.array([20, 100, 1000, 10000])
    low, high = funnel_limits(0.68, n, 0.975)
    assert np.all(low < 0.68) and np.all(high > 0.68) and np.all(np.diff(high) < 0)
    for size, _lo, hi in zip(n, low, high, strict=True):
        assert stats.binom.cdf(math.ceil(hi * size), size, 0.68) >= 0.975 - 0.02
    normal = 1.96 * math.sqrt(0.68 * 0.32 / 10000)
    assert math.isclose(high[-1] - 0.68, normal, rel_tol=0.02) and math.isclose(0.68 - low[-1], normal, rel_tol=0.02)
    wider = funnel_limits(0.68, n, 0.999)
    assert np.all(wider[1] > high) and np.all(wider[0] < low)


def test_limit_curves_run_from_5_to_past_the_largest_volume_in_whole_numbers():
    curves = limit_curves(0.6, 2000)
    assert list(curves.columns) == ["n"] + [f"{side}_{name}" for name in CONTROL_LIMITS for side in ("lower", "upper")]
    assert curves["n"].iloc[0] == 5 and curves["n"].iloc[-1] == round(2000 * 1.03)
    assert np.all(curves["n"] == np.round(curves["n"])) and curves["n"].is_monotonic_increasing
    assert np.all(curves["lower_998"] <= curves["lower_95"]) and np.all(curves["upper_95"] <= curves["upper_998"])
    assert np.all(curves["lower_95"] < 60) and np.all(curves["upper_95"] > 60), "limits in % around the centre"


def test_limit_curves_of_a_tiny_plot_still_reach_10():
    assert limit_curves(0.5, 3)["n"].iloc[-1] == round(10 * 1.03)
