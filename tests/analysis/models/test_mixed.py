"""Tests for msp_analysis.analysis.models.mixed: the ICC, shrinkage, and the simulator's council variance."""

import numpy as np
import pytest

from msp_analysis.analysis.models import CULTURE_TERMS
from msp_analysis.analysis.models.fit import fit_outcome_model
from msp_analysis.analysis.models.mixed import LOGISTIC_VARIANCE
from tests.analysis.models.synthetic import synthetic_enquiries


def test_mixed_gives_icc_and_shrunken_council_estimates():
    data = synthetic_enquiries(n_councils=60, per_council_year=60, council_sd=0.6, seed=5)
    result = fit_outcome_model(data, "mixed", outcome="y", predictors=["x1", "x2"])
    implied = 0.36 / (0.36 + LOGISTIC_VARIANCE)
    assert result.details["icc"] == pytest.approx(implied, abs=0.05)
    assert result.table["p_value"].isna().all()
    assert (result.table["posterior_sd"] == result.table["std_error"]).all()
    councils = result.details["council_estimates"]
    assert len(councils) == 60 and councils["n"].sum() == len(data)
    raw = np.log(councils["observed_rate"] / (1 - councils["observed_rate"]))
    # shrinkage: council estimates vary less than the raw council log-odds
    assert councils["shrunken_log_odds"].std() < raw.std()
    assert result.to_json_dict()["terms"][1]["posterior_sd"] > 0


def test_mixed_icc_is_near_the_simulators_council_variance(recovery):
    one_wave = recovery["linked"].matched_data.query("financial_year == '2021-22'")
    result = fit_outcome_model(one_wave, "mixed", predictors={t: f"z_{t}" for t in CULTURE_TERMS})
    sd = recovery["truth"]["council_random_effect_sd"]
    implied = sd**2 / (sd**2 + LOGISTIC_VARIANCE)  # 0.0186 for sd 0.25
    assert 0.3 * implied < result.details["icc"] < 3 * implied
    assert len(result.details["council_estimates"]) == result.clusters
