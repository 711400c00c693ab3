"""Tests for msp_analysis.analysis.funnel: exact binomial control limits, the curves a funnel plot draws, and
limits that allow for over-dispersion (Spiegelhalter 2005), checked against a hand computation."""

import math

import numpy as np
import pytest
from scipy import stats

from msp_analysis.analysis.funnel import (
    CONTROL_LIMITS,
    DEFAULT_METHOD,
    OverDispersion,
    _binom_cdf,
    _binom_ppf,
    adjusted_limits,
    compare_to_centre,
    estimate_overdispersion,
    funnel_band,
    funnel_bands,
    funnel_limits,
    limit_curves,
    winsorise,
    z_scores,
)


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


def test_the_binomial_quantiles_and_tails_are_scipy_stats_own_to_the_last_bit():
    """funnel_limits calls SciPy's binomial functions without importing scipy.stats: the same numbers exactly."""
    for n_max in (10, 300, 3000, 30000):
        n = np.unique(np.round(np.geomspace(5, n_max * 1.03, 150)))
        for centre in np.linspace(0.01, 0.99, 25):
            for q in (0.001, 0.025, 0.975, 0.999):
                r = stats.binom.ppf(q, n, centre)
                assert np.array_equal(_binom_ppf(q, n, centre), r)
                for k in (r, r - 1, r + 0.5, np.full_like(r, -1.0), n):
                    assert np.array_equal(_binom_cdf(k, n, centre), stats.binom.cdf(k, n, centre))


def test_limit_curves_run_from_5_to_past_the_largest_volume_in_whole_numbers():
    curves = limit_curves(0.6, 2000)
    assert list(curves.columns) == ["n"] + [f"{side}_{name}" for name in CONTROL_LIMITS for side in ("lower", "upper")]
    assert curves["n"].iloc[0] == 5 and curves["n"].iloc[-1] == round(2000 * 1.03)
    assert np.all(curves["n"] == np.round(curves["n"])) and curves["n"].is_monotonic_increasing
    assert np.all(curves["lower_998"] <= curves["lower_95"]) and np.all(curves["upper_95"] <= curves["upper_998"])
    assert np.all(curves["lower_95"] < 60) and np.all(curves["upper_95"] > 60), "limits in % around the centre"


def test_limit_curves_of_a_tiny_plot_still_reach_10():
    assert limit_curves(0.5, 3)["n"].iloc[-1] == round(10 * 1.03)


# --- over-dispersion: a hand computation -------------------------------------------------------------
# Ten councils of 100 people around a centre of 0.5: s = sqrt(0.25 / 100) = 0.05, so z = (k - 50) / 5.
HAND_K = np.array([30, 40, 45, 48, 50, 50, 52, 55, 60, 75])
HAND_N = np.full(10, 100)
HAND_Z = [-4, -2, -1, -0.4, 0, 0, 0.4, 1, 2, 5]
# 10% of 10 is one z-score at each end: -4 becomes -2 and 5 becomes 2.
HAND_Z_WINSORISED = [-2, -2, -1, -0.4, 0, 0, 0.4, 1, 2, 2]
HAND_PHI = (4 + 4 + 1 + 0.16 + 0 + 0 + 0.16 + 1 + 4 + 4) / 10  # 1.832
# w = n / (0.5 * 0.5) = 400 each: sum w = 4000, sum w^2 / sum w = 400; I * phi - (I - 1) = 18.32 - 9 = 9.32
HAND_TAU2 = 9.32 / (4000 - 400)  # 0.0025889


def test_z_scores_and_winsorising_by_hand():
    assert np.allclose(z_scores(HAND_K, HAND_N, 0.5), HAND_Z)
    assert np.allclose(winsorise(np.array(HAND_Z)), HAND_Z_WINSORISED)


def test_phi_and_tau2_by_hand():
    dispersion = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    assert math.isclose(dispersion.phi, HAND_PHI) and math.isclose(dispersion.tau2, HAND_TAU2)
    assert dispersion.units == 10 and dispersion.method == DEFAULT_METHOD == "additive" and dispersion.adjusts
    assert math.isclose(dispersion.tau, math.sqrt(HAND_TAU2))


def test_additive_and_multiplicative_limits_by_hand():
    additive = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    low, high = adjusted_limits(np.array([100]), 0.975, additive)
    half_width = 1.959964 * math.sqrt(0.0025 + HAND_TAU2)  # 0.14118
    assert math.isclose(high[0] - 0.5, half_width, rel_tol=1e-5) and math.isclose(0.5 - low[0], half_width, rel_tol=1e-5)
    multiplicative = estimate_overdispersion(HAND_K, HAND_N, 0.5, method="multiplicative")
    low, high = adjusted_limits(np.array([100]), 0.975, multiplicative)
    assert math.isclose(high[0] - 0.5, 1.959964 * math.sqrt(HAND_PHI) * 0.05, rel_tol=1e-5)  # 0.13264


def test_the_additive_limits_stay_wide_for_large_councils_and_the_multiplicative_ones_do_not():
    additive = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    multiplicative = estimate_overdispersion(HAND_K, HAND_N, 0.5, method="multiplicative")
    huge = np.array([1_000_000])
    assert adjusted_limits(huge, 0.999, additive)[1][0] - 0.5 >= stats.norm.ppf(0.999) * math.sqrt(HAND_TAU2)
    assert adjusted_limits(huge, 0.999, multiplicative)[1][0] - 0.5 < 0.01


def test_without_over_dispersion_the_limits_are_the_binomial_ones():
    # every council at the centre: phi = 0, I * phi < I - 1, so tau2 = 0
    calm = estimate_overdispersion([50, 100, 25], [100, 200, 50], 0.5)
    assert calm.tau2 == 0 and calm.phi == 0 and not calm.adjusts
    n = np.array([20, 100, 1000])
    for got, want in zip(adjusted_limits(n, 0.999, calm), funnel_limits(0.5, n, 0.999), strict=True):
        assert np.array_equal(got, want)
    off = OverDispersion(centre=0.5, phi=HAND_PHI, tau2=HAND_TAU2, units=10, method="none")
    assert not off.adjusts and np.array_equal(adjusted_limits(n, 0.975, off)[1], funnel_limits(0.5, n, 0.975)[1])


def test_overdispersion_edge_cases():
    one = estimate_overdispersion([30], [100], 0.5)
    assert (one.phi, one.tau2, one.units) == (1.0, 0.0, 1)
    assert estimate_overdispersion(HAND_K.tolist() + [0], HAND_N.tolist() + [0], 0.5).units == 10, "n = 0 left out"
    with pytest.raises(ValueError, match="method"):
        estimate_overdispersion(HAND_K, HAND_N, 0.5, method="bayes")
    with pytest.raises(ValueError, match="centre"):
        estimate_overdispersion(HAND_K, HAND_N, 1.0)
    with pytest.raises(ValueError, match="fraction"):
        winsorise(np.array([1.0, 2.0]), 0.5)


def test_winsorise_keeps_order_and_pulls_in_the_floor_of_the_fraction_at_each_end():
    values = np.arange(20, dtype=float)[::-1]
    pulled = winsorise(values)
    assert pulled[0] == pulled[1] == pulled[2] == 17 and pulled[-1] == pulled[-2] == pulled[-3] == 2
    assert np.array_equal(pulled[3:-3], values[3:-3])
    assert np.array_equal(winsorise(values[:9]), values[:9]), "10% of 9 values is none"


def test_funnel_band_names_where_a_rate_sits():
    dispersion = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    # at n = 100 the additive 95% limits are 50 +- 14.1 and the 99.8% limits 50 +- 22.3 (in %)
    assert funnel_band(60, 100, dispersion) == "within"
    assert funnel_band(66, 100, dispersion) == "above_95"
    assert funnel_band(30, 100, dispersion) == "below_95"
    assert funnel_band(75, 100, dispersion) == "above_998"
    # the plain binomial limits are much narrower: 60% of 100 is already above the 95% ones
    assert funnel_band(60, 100, None, centre=0.5) == "above_95"
    with pytest.raises(ValueError, match="centre"):
        funnel_band(60, 100, None)


def test_funnel_bands_place_every_council_as_funnel_band_places_each():
    rng = np.random.default_rng(5)
    n = np.round(rng.uniform(5, 3000, 400))
    rates = np.round(rng.uniform(20, 95, 400), 1)
    dispersion = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    for spread, centre in ((dispersion, None), (None, 0.62)):
        bands = funnel_bands(rates, n, spread, centre=centre)
        assert bands == [funnel_band(r, v, spread, centre=centre) for r, v in zip(rates, n, strict=True)]
        assert len(set(bands)) == 5, "every band occurs, so the comparison covers each branch"
    assert funnel_bands([], [], dispersion) == []
    with pytest.raises(ValueError, match="centre"):
        funnel_bands([60], [100], None)


def test_limit_curves_with_over_dispersion_are_wider():
    dispersion = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    plain, wide = limit_curves(0.5, 1000), limit_curves(0.5, 1000, dispersion=dispersion)
    assert np.array_equal(plain["n"], wide["n"])
    assert np.all(wide["upper_998"] >= plain["upper_998"]) and np.all(wide["lower_998"] <= plain["lower_998"])
    assert np.all((wide["upper_998"] > plain["upper_998"])[wide["n"] >= 20])
    assert np.all(wide["upper_95"] < wide["upper_998"])


def test_adjusted_limits_are_never_narrower_than_the_binomial_ones():
    dispersion = estimate_overdispersion(HAND_K, HAND_N, 0.5)
    n = np.array([5, 6, 10, 50, 500])
    for probability in CONTROL_LIMITS.values():
        (low, high), (plain_low, plain_high) = adjusted_limits(n, probability, dispersion), funnel_limits(0.5, n, probability)
        assert np.all(low <= plain_low) and np.all(high >= plain_high)
    # at n = 5 the normal approximation's lower 95% limit (5.1%) is above the exact one (0%)
    assert adjusted_limits(np.array([5]), 0.975, dispersion)[0][0] == 0


def test_compare_to_centre_uses_the_binomial_95_percent_limits():
    side, low, high = compare_to_centre(60.0, 100, 0.5)
    assert side == "higher" and low < 50 < high < 60
    assert compare_to_centre(35.0, 100, 0.5)[0] == "lower" and compare_to_centre(40.0, 100, 0.5)[0] == "similar"
    assert compare_to_centre(high, 100, 0.5)[0] == "similar", "on the limit counts as within"
