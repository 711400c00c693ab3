"""Tests for msp_analysis.analysis.models.ols_panel: a known slope with year fixed effects."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.models.fit import fit_outcome_model


def test_ols_panel_recovers_a_known_slope_with_year_effects():
    rng = np.random.default_rng(7)
    years = ["2017-18", "2018-19", "2019-20", "2021-22", "2022-23"]
    rows = []
    for c in range(80):
        council = rng.normal(0, 2)
        for k, year in enumerate(years):
            turnover = 28 + 5 * rng.normal()  # unrelated to the council effect: no confounding
            rows.append({"ons_code": f"C{c:03d}", "financial_year": year, "turnover": turnover,
                         "feel_safe": 60 + 0.5 * turnover + 1.5 * k + council + rng.normal(0, 1)})
    result = fit_outcome_model(pd.DataFrame(rows), "ols_panel", outcome="feel_safe", predictors=["turnover"])
    row = result.term("turnover")
    assert row["ci_low"] <= 0.5 <= row["ci_high"] and row["estimate"] == pytest.approx(0.5, abs=0.05)
    assert result.table["term"].tolist() == ["Intercept", "turnover"] + [f"year[{y}]" for y in years[1:]]
    assert result.term("year[2022-23]")["estimate"] == pytest.approx(6.0, abs=0.5)
    assert result.table["odds_ratio"].isna().all()
    assert result.n == 400 and result.clusters == 80
    assert "council averages" in result.caveat
