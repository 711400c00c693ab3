"""The locality report's content, without a kernel: sections, sentences that respect suppression,
the funnel plot, the wellbeing/safety grid, the culture profile and the per-worker cache."""

import math

import pandas as pd
import pytest

from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.content import locality
from msp_analysis.reporting.registry import LocalityReportParams

DURHAM, YEAR = "E06000047", "2023-24"


@pytest.fixture(scope="module")
def enquiries(cleaned_simulation):
    return cleaned_simulation.clean


@pytest.fixture(scope="module")
def returns(simulation):
    from msp_analysis.clean.temperature_check import clean_temperature_check

    return clean_temperature_check(simulation.temperature_check.astype(str).replace("nan", "")).clean


@pytest.fixture(scope="module")
def report(enquiries, returns):
    return locality.build_locality_report(enquiries, DURHAM, YEAR, "sac", returns,
                                          LocalityReportParams.validate({"locality": DURHAM, "data_dir": "/secret/place/demo"}))


def test_every_section_is_there_and_every_figure_is_described(report):
    for name in ("summary", "pathway", "trend", "funnel", "risks", "capacity", "culture", "grid", "notes"):
        section = getattr(report, name)
        assert section.markdown or section.figure or section.tables, name
    figures = [getattr(report, n).figure for n in ("pathway", "trend", "funnel", "culture", "grid")]
    assert all(f is not None and len(f.alt) > 40 for f in figures)
    assert report.summary.markdown.startswith(f"## County Durham, {YEAR}")


def test_headline_numbers_are_the_pathway_rates(report, enquiries):
    s42 = enquiries[(enquiries["enquiry_type"] == "Section 42") & (enquiries["financial_year"] == YEAR)]
    achieved = s42["msp_outcome_achieved"].dropna()
    council = achieved[s42["ons_code"] == DURHAM]
    expected_council = 100 * (council == "Fully Achieved").mean()
    expected_england = 100 * (achieved == "Fully Achieved").mean()
    assert f"{expected_council:.0f}% of people in County Durham" in report.summary.markdown
    assert f"{expected_england:.0f}% in England" in report.summary.markdown
    assert math.isclose(report.facts["england_fully"], expected_england)


def test_the_notes_state_the_policy_and_no_local_path(report):
    assert "Disclosure control: sac policy" in report.notes.markdown
    assert "/secret/place" not in report.notes.markdown and "`demo`" in report.notes.markdown


def test_a_council_with_few_people_is_described_without_its_hidden_numbers(enquiries, returns):
    s42 = enquiries[(enquiries["enquiry_type"] == "Section 42") & (enquiries["financial_year"] == YEAR)]
    tiny = s42.groupby("ons_code").size().sort_values().index[0]  # the council with fewest enquiries
    report = locality.build_locality_report(enquiries, tiny, YEAR, "sac", returns)
    comparison = report.comparison.set_index("level")
    assert report.hidden.loc[comparison.index.get_loc("council"), "fully_pct"], "the fixture has a small council"
    assert "too few people" in report.summary.markdown
    assert "not on the funnel plot" in report.funnel.markdown and "cannot be placed on the grid" in report.grid.markdown
    hidden_rate = comparison.loc["council", "fully_pct"]
    if not pd.isna(hidden_rate):
        assert f"{hidden_rate:.0f}% of people" not in report.summary.markdown
    text = " ".join(getattr(report, n).markdown for n in ("summary", "trend", "funnel", "risks", "capacity", "grid"))
    counts = report.comparison.loc[report.comparison["level"] == "council", ["fully", "partially", "not_achieved"]]
    for value in counts.to_numpy().ravel():
        if 1 <= value <= 4:
            assert f" {int(value)} people" not in text


def test_tables_show_no_count_from_1_to_4(report):
    for name in ("pathway", "trend", "risks", "capacity", "culture"):
        for table in getattr(report, name).tables:
            for value in table.display.to_numpy().ravel():
                text = str(value).replace(",", "")
                if text.isdigit():
                    assert not 1 <= int(text) <= 4, (name, value)


def test_another_policy_changes_what_is_shown(enquiries, returns):
    nhs = locality.build_locality_report(enquiries, DURHAM, YEAR, get_policy("nhs_secondary_care"), returns)
    england = nhs.pathway.tables[0].display.iloc[2]
    exact = int(nhs.comparison.loc[2, "concluded_s42"])
    assert england["Concluded S42 enquiries"] == f"{exact:,}", "national counts are exempt under the NHS policy"


def test_without_a_temperature_check_the_culture_section_says_so(enquiries):
    report = locality.build_locality_report(enquiries, DURHAM, YEAR, "sac")
    assert report.culture.figure is None and "temperature-check" in report.culture.markdown


def test_grid_places_the_council_in_a_quarter_relative_to_england(report):
    quarter = report.facts["grid_quarter"]
    x, y = report.facts["grid_wellbeing"], report.facts["grid_safety"]
    ex, ey = report.facts["grid_england"]
    assert ("higher" in quarter) == (x >= ex) and quarter.startswith("safe") == (y >= ey)
    assert quarter in report.grid.markdown


def test_shared_work_is_done_once_per_frame(enquiries):
    assert locality.funnel_data(enquiries, YEAR, get_policy("sac")) is locality.funnel_data(enquiries, YEAR, get_policy("sac"))
    assert locality.grid_data(enquiries, YEAR, get_policy("sac")) is locality.grid_data(enquiries, YEAR, get_policy("sac"))


def test_a_council_without_enquiries_in_the_year_is_an_error(enquiries):
    with pytest.raises(ValueError, match="no enquiries for council E10000006"):
        locality.build_locality_report(enquiries, "E10000006", YEAR, "sac")


def test_read_inputs_reads_the_enquiries_and_the_temperature_check_only_when_it_is_there(tmp_path, enquiries):
    enquiries.head(20).to_parquet(tmp_path / "evaluation.parquet", index=False)
    frame, tc = locality.read_inputs(tmp_path)
    assert len(frame) == 20 and tc is None
