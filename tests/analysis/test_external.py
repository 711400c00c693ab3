"""Tests for msp_analysis.analysis.external: CQC's safeguarding score beside the published measures."""

import pandas as pd
import pytest

from msp_analysis.analysis.external import _spearman, cqc_check, latest_measures, load_cqc_scores


def test_spearman_is_the_rank_correlation_with_an_interval_around_it():
    x = pd.Series([1, 2, 3, 4, 5, 6, 7, 8])
    rho, low, high, n = _spearman(x, x**3)
    assert rho == pytest.approx(1.0) and n == 8
    rho, low, high, n = _spearman(x, pd.Series([2, 1, 4, 3, 6, 5, 8, 7]))
    assert low < rho < high and 0 < rho < 1


def test_latest_measures_take_each_councils_last_published_year():
    frame = pd.DataFrame({"ons_code": ["A", "A", "B"], "geography_level": "Council", "disaggregation": "Total",
                          "measure": "feel_safe", "financial_year": ["2021-22", "2023-24", "2022-23"],
                          "value": [60.0, 70.0, 65.0]})
    latest = latest_measures(frame, ("feel_safe",)).set_index("ons_code")
    assert latest.loc["A", "feel_safe"] == 70.0 and latest.loc["A", "feel_safe_year"] == "2023-24"
    assert latest.loc["B", "feel_safe"] == 65.0


def test_a_missing_cqc_table_is_an_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match="cqc_la_assessment_scores_72_councils.csv: no such file"):
        load_cqc_scores(tmp_path)


@pytest.mark.real_data
def test_every_cqc_council_resolves_and_joins_the_published_measures(real_data_dir):
    from msp_analysis.analysis.link import load_real_la_measures

    scores = load_cqc_scores(real_data_dir)
    assert len(scores) == 72 and scores["ons_code"].is_unique
    check = cqc_check(real_data_dir, load_real_la_measures(real_data_dir))
    qs7 = check["correlations"].set_index(["cqc_score", "measure"]).loc["qs7_safeguarding"]
    assert qs7.loc["feel_safe", "councils"] >= 70
    assert -1 <= qs7.loc["feel_safe", "ci_low"] < qs7.loc["feel_safe", "spearman_rho"] < qs7.loc["feel_safe", "ci_high"]
