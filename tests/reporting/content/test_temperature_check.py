"""The regional temperature-check report's content, without a kernel."""

import ast
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msp_analysis.clean.temperature_check import clean_temperature_check
from msp_analysis.reference import codebook
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
def clean(raw_returns):
    return clean_temperature_check(raw_returns).clean


@pytest.fixture(scope="module")
def report(clean):
    return tr.build_temperature_check_report(clean, REGION, WAVE, "sac")


def test_indicator_layout_follows_the_key_questions_of_table_1():
    layout = tr.indicator_layout()
    order = [tr.KEY_QUESTIONS.index(q) for q in layout["key_question"]]
    assert order == sorted(order) and len(layout) == len(codebook.indicator_labels())
    by_indicator = layout.set_index("indicator")
    assert by_indicator.loc["leadership", "steps"] == "Steps 1, 2"
    # staffing levels are Effective in Table 1 (CQC files staffing under Safe; the reports follow the resource)
    assert by_indicator.loc["staffing", "key_question"] == "Effective"
    assert by_indicator.loc["caring", "key_question"] == "Caring" and by_indicator.loc["partnership", "step_group"] == (
        "across_organisations")


def test_scores_by_group_of_steps_and_key_question_leave_out_hidden_councils(report, clean):
    from msp_analysis.analysis.indicators import council_scores
    from msp_analysis.clean.temperature_check import wide_answers
    from msp_analysis.disclosure.policies import get_policy

    steps, questions = (t.display for t in report.by_group.tables)
    assert list(questions.columns) == ["Council", "Safe", "Effective", "Caring", "Responsive", "Well-led"]
    assert steps.columns[1].startswith("Leading Making Safeguarding Personal (steps 1, 2, 3)")
    assert len(steps) == 13 and steps.iloc[-1]["Council"].startswith(REGION)
    wide = wide_answers(clean)
    scores = council_scores(wide, by="table1_column")
    scores = scores[(scores["wave"] == WAVE)]
    from msp_analysis.reference import geography

    mine = scores[scores["ons_code"].isin(geography.councils(WAVE, REGION)["ons_code"])]
    policy = get_policy("sac")
    shown = mine[[not policy.is_suppressed(n) for n in mine["n_respondents"]]]
    assert 0 < len(shown) <= len(mine)
    expected = shown["Effective"].round(2).mean()
    assert float(questions.iloc[-1]["Effective"]) == pytest.approx(expected, abs=0.006)
    hidden = questions.iloc[:-1][questions.iloc[:-1]["Safe"] == "[c]"]
    assert len(hidden) == len(mine) - len(shown)
    assert report.facts["best_key_question"] in tr.KEY_QUESTIONS


def test_instrument_section_counts_items_per_part_of_the_resource(report):
    table = report.instrument.tables[0].display
    steps = table[table.iloc[:, 0] == "Essential step"]
    assert steps["Part of the resource"].tolist() == [f"Step {n}" for n in range(1, 9)]
    totals = steps["Items on the return"].astype(int) + steps["Items in the bank"].astype(int)
    assert (totals >= 3).all() and steps["Items on the return"].astype(int).sum() == len(codebook.instrument())
    assert set(table.iloc[:, 0]) == {"Essential step", "Group of steps", "Key question (Table 1)",
                                     "Safeguarding principle", "NHS England assurance theme"}
    assert "30 items" in report.instrument.markdown


def test_coverage_lists_every_council_of_the_region(report):
    coverage = report.coverage.tables[0].display
    assert len(coverage) == 12 and set(coverage["Returned"]) <= {"Yes", "No"}
    assert all(v == "[c]" or int(v.replace(",", "")) % 5 == 0 for v in coverage["Respondents"])


def test_heatmap_table_matches_the_council_scores(report, clean):
    from msp_analysis.analysis.indicators import council_scores
    from msp_analysis.clean.temperature_check import wide_answers

    scores = council_scores(wide_answers(clean))
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


def test_the_report_opens_with_three_to_five_main_points_from_the_body(report):
    points = report.summary.points
    assert 3 <= len(points) <= 5
    assert points[0] in report.summary.markdown, "who returned: the coverage sentence of the body"
    assert report.heatmap.markdown in points, "the highest and lowest indicator: the heatmap's sentence"
    assert sum(p.startswith("Data quality:") for p in points) == 1
    quality = next(p for p in points if p.startswith("Data quality:"))
    assert f"{report.facts['alpha_good']} of {report.facts['alpha_indicators']} indicators" in quality
    assert report.facts["alpha_lowest_value"] in report.reliability.markdown, "the same alpha as the body"
    html = report.summary.outputs()[0].to_html()
    assert html.startswith('<section class="msp-points"') and html.count("<li>") == len(points)


def test_a_change_is_named_only_when_a_paired_test_across_councils_says_it_is_clear():
    councils = [f"E0600{i:04d}" for i in range(12)]
    rng = np.random.default_rng(7)
    before = pd.DataFrame({"ons_code": councils, "up": rng.uniform(2.5, 3.5, 12), "noise": rng.uniform(2.5, 3.5, 12)})
    now = before.assign(up=before["up"] + 0.4 + rng.normal(0, 0.05, 12), noise=before["noise"] + rng.normal(0, 0.3, 12))
    changes = tr.indicator_changes(now, before, ["up", "noise"]).set_index("indicator")
    assert changes.loc["up", "clear"] and not changes.loc["noise", "clear"]
    assert changes.loc["up", "change"] == pytest.approx(0.4, abs=0.05) and changes.loc["up", "councils"] == 12
    assert tr.indicator_changes(now.head(2), before.head(2), ["up"])["clear"].tolist() == [False], "two councils"
    points = tr._main_points({"coverage_sentence": "All 12 councils returned.", "indicator_changes": changes.reset_index(),
                              "alpha_good": 2, "alpha_indicators": 2, "alpha_lowest_label": "up",
                              "alpha_lowest_value": "0.80"}, tr.Section(markdown="Highest up."), "2022-23")
    assert f"the score for up rose by {changes.loc['up', 'change']:.2f} since 2022-23, more than chance" in points[2]
    flat = changes.assign(clear=False).reset_index()
    points = tr._main_points({"coverage_sentence": "x", "indicator_changes": flat}, tr.Section(), "2022-23")
    assert points[1].startswith("No indicator's score changed since 2022-23") and "rose" not in " ".join(points)


def test_holm_keeps_nine_indicators_from_naming_a_change_chance_alone_made():
    councils = [f"E0600{i:04d}" for i in range(10)]
    wobble = np.array([1.0, -1.0] * 5) * 0.1  # paired changes of 0.1 ± 0.1: p about 0.015 on its own
    before = pd.DataFrame({"ons_code": councils, **{f"i{k}": 3.0 for k in range(9)}})
    now = before.assign(i0=3.1 + wobble, **{f"i{k}": 3.0 + wobble for k in range(1, 9)})
    alone = tr.indicator_changes(now, before, ["i0"])
    assert alone["p"].iloc[0] < 0.05 and alone["clear"].iloc[0]
    together = tr.indicator_changes(now, before, [f"i{k}" for k in range(9)])
    assert together["p"].iloc[0] == pytest.approx(alone["p"].iloc[0]) and not together["clear"].any()


def test_reverse_worded_items_are_listed_in_their_positive_form(raw_returns):
    reverse = codebook.likert_items(include_bank=True).query("reverse_coded")
    assert set(reverse["item_id"]) <= set(codebook.positive_wordings()), "every reverse-worded item has a positive form"
    # the region strongly disagrees that complaints are handled without reaching the staff who could learn: a strength
    frame = raw_returns.copy()
    frame.loc[(frame["region"] == REGION) & (frame["wave"] == WAVE), "cmp_3"] = "Strongly disagree"
    report = tr.build_temperature_check_report(clean_temperature_check(frame).clean, REGION, WAVE, "sac")
    items = report.items.tables[0].display
    strongest = items[items.iloc[:, 0] == "Strongest"]["Item"].tolist()
    assert strongest[0].startswith("Complaints reach the staff who could learn from them (its positive form")
    asked = reverse["wording"].tolist()
    assert not [item for item in items["Item"] if any(item.startswith(w.rstrip(".")) for w in asked)], \
        "no reverse-worded item is listed in its negative wording"
    assert 'the item rated best is "Complaints reach the staff who could learn from them" (mean 5.0' in \
        report.items.markdown


def test_no_sentence_ends_in_a_double_full_stop_and_councils_go_by_their_short_names(clean):
    import re

    report = tr.build_temperature_check_report(clean, "Yorkshire and the Humber", WAVE, "sac")
    words = [getattr(report, f).markdown for f in ("summary", "heatmap", "by_group", "reliability", "change", "items")]
    words += [getattr(report, f).after for f in ("heatmap", "by_group", "reliability")] + report.summary.points
    assert not [w for w in words if re.search(r"\.[\"”')]?\.(?!\.)", w)]
    councils = report.coverage.tables[0].display["Council"].tolist()
    assert "Hull" in councils and not [c for c in councils if c.endswith(", City of")]
    assert "Hull:" in report.heatmap.figure.alt


def test_notes_not_reviewed_are_counted_not_printed(report):
    assert len(report.notes_text.tables) == 1, "only the counts"
    html = report.notes_text.tables[0].to_html()
    assert "alert(1)" not in html and "bold" not in html and "not yet reviewed" in html
    assert "not printed" in report.notes_text.markdown


def test_reviewed_notes_are_text_and_escaped_in_html(clean):
    clean = clean.copy()
    clean["notes_reviewed"] = clean["notes"].notna()  # as a return whose notes were reviewed for publication marks them
    notes = tr.build_temperature_check_report(clean, REGION, WAVE, "sac").notes_text
    html = notes.tables[-1].to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html


def test_a_region_without_returns_still_gives_a_report(clean):
    only_other = clean[clean["region"] != "London"]
    report = tr.build_temperature_check_report(only_other, "London", WAVE, "sac")
    assert "No council in the region returned" in report.summary.markdown
    assert report.coverage.tables[0].display["Returned"].eq("No").all()


# The report's fixed words live in reporting/text/temperature_check.yaml; the module only picks and fills them.

def _text_file() -> dict:
    import yaml

    path = Path(tr.__file__).parents[1] / "text" / "temperature_check.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _text_calls() -> list[tuple[str, set[str]]]:
    """Every ``text("key", name=...)`` call in the module's source: (key, placeholder names), one per key it can use."""
    tree = ast.parse(Path(tr.__file__).read_text(encoding="utf-8"))
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"):
            continue
        key = node.args[0]
        choices = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
        assert all(isinstance(c, ast.Constant) and isinstance(c.value, str) for c in choices), \
            f"line {node.lineno}: a text() key must be written out (or a choice between two written-out keys)"
        assert all(k.arg is not None for k in node.keywords), f"line {node.lineno}: placeholders are named one by one"
        calls += [(c.value, {k.arg for k in node.keywords}) for c in choices]
    return calls


def _placeholders(entry: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(entry) if name is not None}


def test_the_text_file_is_a_flat_mapping_of_trimmed_strings():
    entries = _text_file()
    assert entries and all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items())
    assert all(v == v.strip() and "\n" not in v for v in entries.values()), "a folded entry gained a newline or space"


def test_every_text_entry_is_used_and_every_key_used_exists():
    entries, used = _text_file(), {key for key, _ in _text_calls()}
    assert sorted(used - set(entries)) == [], "keys the module uses that the text file lacks"
    assert sorted(set(entries) - used) == [], "entries of the text file the module never uses"


def test_every_entry_formats_with_the_placeholders_the_module_gives():
    entries = _text_file()
    for key, names in _text_calls():
        assert _placeholders(entries[key]) == names, f"{key}: the entry's placeholders and the module's differ"
        assert "{" not in tr.text(key, **{name: "x" for name in names}).replace("{{", ""), key


def test_the_module_writes_its_sentences_from_the_text_file(report):
    assert report.heatmap.after == tr.text("heatmap_after")
    assert report.summary.markdown.startswith(f"## {tr.text('summary_heading', region=REGION, wave=WAVE)}\n\n")
    assert report.coverage.tables[0].display.columns[0] == tr.text("column_council")


def test_a_council_with_too_few_respondents_shows_no_group_score_and_adds_nothing_to_the_region():
    from msp_analysis.disclosure.policies import get_policy
    from msp_analysis.reference import geography

    councils = geography.councils(WAVE, REGION).head(3)
    scores = pd.DataFrame({"ons_code": councils["ons_code"].to_numpy(), "wave": WAVE, "Safe": [4.0, 2.0, 1.0],
                           "n_respondents": [20, 30, 2], "n_organisations": [4, 5, 1]})
    table, means = tr._group_table(scores, councils, ["Safe"], {"Safe": "Safe"}, REGION, WAVE, get_policy("sac"), "")
    assert table.display["Safe"].tolist() == ["4.00", "2.00", "[c]", "3.00"]
    assert means["Safe"] == pytest.approx(3.0)
