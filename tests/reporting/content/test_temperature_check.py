"""The regional temperature-check report's content, without a kernel."""

import pytest

from msp_analysis.clean.temperature_check import clean_temperature_check
from msp_analysis.reporting.content import temperature_check as tr

REGION, WAVE = "North East", "2023-24"


@pytest.fixture(scope="module")
def raw_returns(simulation):
    frame = simulation.temperature_check.astype(str).replace("nan", "")
    frame["notes"] = ""
    first = frame.index[(frame["region"] == REGION) & (frame["wave"] == WAVE)][0]
    frame.loc[first, "notes"] = "<script>alert(1)</script> & <b>bold</b>"
    return frame


@pytest.fixture(scope="module")
def report(raw_returns):
    return tr.build_temperature_check_report(clean_temperature_check(raw_returns).clean, REGION, WAVE, "sac")


def test_indicator_layout_follows_the_cqc_key_questions():
    layout = tr.indicator_layout()
    order = [tr.KEY_QUESTIONS.index(q) for q in layout["key_question"]]
    assert order == sorted(order) and len(layout) == 9
    assert layout.set_index("indicator").loc["leadership", "steps"] == "Steps 1, 2"


def test_coverage_lists_every_council_of_the_region(report):
    coverage = report.coverage.tables[0].display
    assert len(coverage) == 12 and set(coverage["Returned"]) <= {"Yes", "No"}
    assert all(v == "[c]" or int(v.replace(",", "")) % 5 == 0 for v in coverage["Respondents"])


def test_heatmap_table_matches_the_council_scores(report, raw_returns):
    from msp_analysis.analysis.indicators import council_scores
    from msp_analysis.clean.temperature_check import wide_answers

    scores = council_scores(wide_answers(clean_temperature_check(raw_returns).clean))
    durham = scores[(scores["ons_code"] == "E06000047") & (scores["wave"] == WAVE)].iloc[0]
    row = report.heatmap.tables[0].display.set_index("Council").loc["County Durham"]
    assert row["Supervision"] in (f"{durham['supervision']:.2f}", "[c]")
    assert report.heatmap.figure is not None and "Heatmap of 12 councils" in report.heatmap.figure.alt


def test_reliability_is_cronbachs_alpha_per_indicator(report):
    table = report.reliability.tables[0].display
    assert len(table) == 9
    alphas = [float(a) for a in table["Cronbach's alpha"] if a not in ("", "[c]")]
    assert alphas and all(-1 <= a <= 1 for a in alphas)


def test_change_since_the_previous_wave(report):
    assert report.previous_wave == "2022-23"
    change = report.change.tables[0].display
    assert list(change.columns) == ["Indicator", "2022-23", WAVE, "Change"]
    assert all(v.startswith(("+", "-", "0")) or v == "[c]" for v in change["Change"])


def test_strongest_and_weakest_items(report):
    items = report.items.tables[0].display
    assert list(items.iloc[:, 0]) == ["Strongest"] * 3 + ["Weakest"] * 3
    means = [float(m) for m in items["Mean (1-5)"]]
    assert min(means[:3]) >= max(means[3:])


def test_notes_are_text_and_escaped_in_html(report):
    html = report.notes_text.tables[0].to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_a_region_without_returns_still_gives_a_report(raw_returns):
    only_other = raw_returns[raw_returns["region"] != "London"]
    report = tr.build_temperature_check_report(clean_temperature_check(only_other).clean, "London", WAVE, "sac")
    assert "No council in the region returned" in report.summary.markdown
    assert report.coverage.tables[0].display["Returned"].eq("No").all()
