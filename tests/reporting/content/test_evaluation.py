"""The evaluation report's content, without a kernel: descriptives, models, ICC, prediction check, caveats."""

import ast
import math
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml

from msp_analysis.clean.temperature_check import clean_temperature_check
from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.content import evaluation as er


@pytest.fixture(scope="module")
def report(cleaned_simulation, simulation):
    returns = clean_temperature_check(simulation.temperature_check.astype(str).replace("nan", "")).clean
    return er.build_evaluation_report(cleaned_simulation.clean, returns, "England", "fully_achieved", "sac",
                                      methods=("glm_cluster", "gee", "mixed"))


def test_descriptives_match_the_data(report, cleaned_simulation):
    from msp_analysis.analysis.link import expressed_outcomes

    expressed = expressed_outcomes(cleaned_simulation.clean)
    policy = get_policy("sac")
    shown = policy.percentage(policy.round_count(expressed["fully_achieved"].sum()), policy.round_count(len(expressed)))
    assert report.facts["rate"] == shown[0], "the rate of the counts as shown (rounded to 5), not of the exact ones"
    assert abs(shown[0] - 100 * expressed["fully_achieved"].mean()) < 1
    assert f"{shown[0]:.0f}% of those" in report.summary.markdown


def test_the_council_count_is_of_councils_that_exist_in_one_year(report, cleaned_simulation):
    clean = cleaned_simulation.clean
    year = clean["financial_year"].astype(str)
    latest = year.max()
    in_latest = clean.loc[year == latest, "ons_code"].nunique()
    assert report.facts["councils"] == in_latest < clean["ons_code"].nunique(), "codes over the years overcount"
    assert f"from {in_latest} councils in {latest}" in report.summary.markdown
    # North Yorkshire and Somerset changed code without a boundary change: one area each
    assert report.facts["council_areas"] == clean["ons_code"].nunique() - 2


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


def _text_calls() -> list[ast.Call]:
    """Every ``text(...)`` call in the module's source."""
    tree = ast.parse(Path(er.__file__).read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"]


def _entries() -> dict[str, str]:
    source = resources.files("msp_analysis.reporting.text").joinpath("evaluation.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(source)


def test_every_text_entry_is_used_and_every_key_used_exists():
    calls = _text_calls()
    assert calls and all(isinstance(c.args[0], ast.Constant) and isinstance(c.args[0].value, str) for c in calls)
    used = {c.args[0].value for c in calls}
    entries = _entries()
    assert used - set(entries) == set(), "keys the module uses but evaluation.yaml lacks"
    assert set(entries) - used == set(), "entries of evaluation.yaml the module never uses"


def test_every_entry_formats_with_the_placeholders_the_module_gives():
    entries = _entries()
    for call in _text_calls():
        key, given = call.args[0].value, {k.arg for k in call.keywords}
        fields = {name: spec for _, name, spec, _ in string.Formatter().parse(entries[key]) if name is not None}
        assert set(fields) == given, f"{key}: the text has {sorted(fields)}, the module gives {sorted(given)}"
        values = {name: 1.5 if spec else "x" for name, spec in fields.items()}  # a format spec means a number
        assert er.text(key, **values) == entries[key].format(**values)


def test_entries_survive_yaml_folding():
    for key, entry in _entries().items():
        assert entry == entry.strip() and "  " not in entry, key


def _expected_target(targets: dict, partial_log_odds: float, row) -> float:
    """What the truth table should set beside one row: the unadjusted target of that method's estimand."""
    scale = "conditional" if row.method == "mixed" else "marginal"
    value = targets["unadjusted"][scale][row.term]
    split = targets["within_between"][scale]
    if row.method in ("gee", "mixed") and abs(split[f"{row.term}_between"] - split[f"{row.term}_within"]) > 0.01:
        return math.nan
    if row.method == "ordinal" and not partial_log_odds and getattr(row, "cut", None) != "cut_2":
        return math.nan
    return math.exp(value)


@pytest.mark.parametrize("scenario", ["realistic", "easy"])
def test_simulated_data_show_each_estimate_beside_the_target_of_what_it_estimates(report, scenario):
    from msp_analysis.analysis.simulate import SCENARIOS, targets

    spec = SCENARIOS[scenario]
    truth = {"effects": dict(spec.effects), "targets": targets(scenario),
             "parameters": {"partial_log_odds": spec.partial_log_odds}}
    section, facts = er._truth_section(report.results, "fully_achieved", truth)
    [table] = section.tables
    terms = er._model_terms(report.results)
    assert len(table.display) == len(terms) == 3 * len(report.results)
    assert {k: v for k, v in facts.items() if k.startswith("true_or_")} == {
        f"true_or_{term}": pytest.approx(math.exp(value)) for term, value in truth["effects"].items()}
    shown = table.display.set_index([er.text("column_model"), er.text("column_indicator")])
    held = with_target = 0
    for row in terms.itertuples():
        line = shown.loc[(row.model, row.label)]
        expected = _expected_target(truth["targets"], spec.partial_log_odds, row)
        assert line[er.text("column_true_odds_ratio")] == f"{math.exp(truth['effects'][row.term]):.2f}"
        if math.isnan(expected):
            assert line[er.text("column_holds_truth")] == er.text("truth_no_target")
            continue
        with_target += 1
        assert line[er.text("column_target_odds_ratio")] == f"{expected:.2f}"
        holds = row.or_low <= expected <= row.or_high
        held += holds
        assert line[er.text("column_holds_truth")] == er.text("truth_holds_yes" if holds else "truth_holds_no")
    # the plain logit always has a target; in realistic, GEE's and the mixed model's pooled slopes have none
    assert with_target >= 3
    if scenario == "realistic":
        assert (table.display[er.text("column_holds_truth")] == er.text("truth_no_target")).sum() >= 6
    assert f"in {held} of the {with_target} rows" in section.markdown


def test_the_target_beside_an_estimate_is_per_sd_of_this_simulations_own_scores():
    """A slope is per 1 SD of the scores the model was given: the truth's ``this_simulation`` target, not the average."""
    stored = {"marginal": {"staffing": 0.09}, "conditional": {"staffing": 0.1},
              "this_simulation": {"marginal": {"staffing": 0.08}, "conditional": {"staffing": 0.095}}}
    truth = {"targets": {"adjusted": stored, "unadjusted": stored,
                         "within_between": {"marginal": {"staffing_between": 0.0, "staffing_within": 0.0}}}}
    assert er._target(truth, "adjusted", "staffing", "glm_cluster") == pytest.approx(math.exp(0.08))
    assert er._target(truth, "adjusted", "staffing", "mixed") == pytest.approx(math.exp(0.095))
    assert er._pooled_target(truth, "glm_cluster", "staffing") == pytest.approx(math.exp(0.08))
    del stored["this_simulation"]  # a truth written before this_simulation existed: the scenario's average
    assert er._target(truth, "adjusted", "staffing", "glm_cluster") == pytest.approx(math.exp(0.09))


def test_no_truth_no_table_and_an_outcome_the_truth_was_not_set_on_says_so(report):
    assert er._truth_section(report.results, "fully_achieved", None) == (er.Section(), {})
    section, facts = er._truth_section(report.results, "fully_or_partially_achieved", {"effects": {"staffing": 0.2}})
    assert section.tables == [] and facts == {} and "sets its true effects on full achievement only" in section.markdown
    assert report.models.tables[-1].caption != er.text("truth_table_caption"), "a report without params shows no truth"


CAUSAL_WORDS = ("because", "caused", "causes", "leads to", "led to", "improves", "improved", "drives", "effect of",
                "impact")


def test_the_report_opens_with_three_to_five_main_points_from_the_body_and_no_causal_wording(report):
    points = report.summary.points
    assert 3 <= len(points) <= 5
    areas = report.descriptives.tables[1]
    assert f"{areas.text(len(areas.display) - 1, 'value_pct')} of them" in points[0], "the overall rate as shown"
    expressed = report.summary.markdown.split("in about ")[1].split(" ")[0]  # the body's shown total
    assert f"about {expressed} people" in points[0]
    model = next(p for p in points if p.startswith("In the main model"))
    main = report.models.tables[0].display
    for value in main[main["Model"] == main["Model"].iloc[0]]["Odds ratio"]:
        assert value in model, "the main model's odds ratios as the table shows them"
    assert points[-1].startswith("Data quality:")
    assert any("not effects" in p for p in points)
    lowered = " ".join(p for p in points if "not effects" not in p).lower()
    assert not [w for w in CAUSAL_WORDS if w in lowered]
