"""The locality report's content, without a kernel: sections, sentences that respect suppression,
the funnel plot, the wellbeing/safety grid, the culture profile and the per-worker cache; and its
words, kept in reporting/text/locality.yaml."""

import ast
import math
import string
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml

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


# --- the report's words: reporting/text/locality.yaml ---------------------------------------------


def _entries() -> dict:
    with resources.files("msp_analysis.reporting.text").joinpath("locality.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _text_calls() -> list[ast.Call]:
    """Every ``text(...)`` call in the content module's source."""
    tree = ast.parse(Path(locality.__file__).read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"]


def _fields(entry: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(entry) if name is not None}


class _AnyValue:
    """Stands in for any placeholder value; its format spec must be one a number accepts."""

    def __format__(self, spec: str) -> str:
        format(1.5, spec)
        return "x"


def test_the_module_reads_its_own_text_file():
    assert locality.text.report == "locality"


def test_every_text_key_the_module_uses_exists_and_every_entry_is_used():
    calls = _text_calls()
    assert calls, "the module takes its words from the text file"
    for call in calls:
        assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str), (
            f"line {call.lineno}: the key is written out as a string, so it can be checked")
    used = {call.args[0].value for call in calls}
    entries = _entries()
    assert not used - set(entries), f"keys missing from locality.yaml: {sorted(used - set(entries))}"
    assert not set(entries) - used, f"entries of locality.yaml the module never uses: {sorted(set(entries) - used)}"


def test_every_entry_formats_with_the_placeholders_the_module_gives():
    entries = _entries()
    for call in _text_calls():
        key = call.args[0].value
        names = [keyword.arg for keyword in call.keywords]
        assert None not in names, f"line {call.lineno}: placeholders are passed by name, not **mapping"
        assert _fields(entries[key]) == set(names), (key, call.lineno, sorted(_fields(entries[key])), sorted(names))
        entries[key].format(**dict.fromkeys(names, _AnyValue()))


def test_entries_are_single_lines_of_plain_text():
    for key, entry in _entries().items():
        assert isinstance(entry, str) and entry, key
        assert entry == entry.strip() and "\n" not in entry and "  " not in entry, (key, entry)
