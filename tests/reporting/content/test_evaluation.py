"""The evaluation report's content, without a kernel: descriptives, models, ICC, prediction check, caveats."""

import math

import pytest

from msp_analysis.clean.temperature_check import clean_temperature_check
from msp_analysis.reporting.content import evaluation as er


@pytest.fixture(scope="module")
def report(cleaned_simulation, simulation):
    returns = clean_temperature_check(simulation.temperature_check.astype(str).replace("nan", "")).clean
    return er.build_evaluation_report(cleaned_simulation.clean, returns, "England", "fully_achieved", "sac",
                                      methods=("glm_cluster", "gee", "mixed"))


def test_descriptives_match_the_data(report, cleaned_simulation):
    from msp_analysis.analysis.link import expressed_outcomes

    expressed = expressed_outcomes(cleaned_simulation.clean)
    assert math.isclose(report.facts["rate"], 100 * expressed["fully_achieved"].mean())
    assert f"{100 * expressed['fully_achieved'].mean():.1f}%" in report.summary.markdown


def test_models_give_odds_ratios_for_the_three_indicators(report):
    table = report.models.tables[0].display
    assert set(table["Indicator (per 1 SD)"]) == {"Supervision", "Staffing", "Complaints learning"}
    assert len(table) == 9 and all(float(v) > 0 for v in table["Odds ratio"])
    assert report.models.figure is not None and "Forest plot" in report.models.figure.alt
    main = report.results["glm_cluster"].term("supervision")
    assert f"{math.exp(main['estimate']):.2f} times the odds" in report.summary.markdown


def test_intra_council_correlation_from_the_mixed_model(report):
    icc = report.results["mixed"].details["icc"]
    assert report.facts["icc"] == icc and 0 <= icc < 1
    assert f"{icc:.3f}" in report.icc.markdown


def test_grouped_cross_validation_and_caveats(report):
    assert 0 <= report.facts["auc_with"] <= 1 and "by council" in report.prediction.tables[0].caption
    assert "Associations, not effects" in report.caveats.markdown


def test_without_real_data_the_panel_says_so(report):
    assert "real_data_dir" in report.panel.markdown and report.panel.figure is None


def test_the_real_ascof_panel(real_data_dir):
    section, facts = er._panel_section(str(real_data_dir), er.get_policy("sac"))
    assert facts["panel_n"] > 500 and section.figure is not None
    assert "ASCOF 4A" in section.markdown
