"""People's feedback in the locality report: what people say beside the record, the six 'I' statements verbatim,
who answered and when, all under the disclosure rules; and the words in feedback.yaml."""

import ast
from importlib import resources
from pathlib import Path

import pytest
import yaml

from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reference.codebook import person_items
from msp_analysis.reporting.content import feedback as content
from msp_analysis.reporting.content import locality

YEAR = "2023-24"


@pytest.fixture(scope="module")
def data(simulation, cleaned_simulation):
    from msp_analysis.clean.person_feedback import clean_person_feedback

    return cleaned_simulation.clean, clean_person_feedback(simulation.person_feedback.astype(str).replace("nan", "")).clean


@pytest.fixture(scope="module")
def big(data):
    enquiries, _ = data
    s42 = enquiries[(enquiries["enquiry_type"] == "Section 42") & (enquiries["financial_year"] == YEAR)]
    code = s42.groupby("ons_code").size().idxmax()
    row = enquiries[enquiries["ons_code"] == code].iloc[0]
    return code, str(row["council_name"]), str(row["region"])


def test_three_tables_record_beside_people_statements_and_who_answered(data, big):
    section, facts = content.feedback_section(*data, *big, YEAR, get_policy("sac"))
    compare, statements, who = section.tables
    assert compare.caption.startswith(f"What people say and what the record says, {YEAR}")
    assert list(compare.display.columns)[1:4] == [f"The record, {big[1]}", f"People say, {big[1]}",
                                                  f"People who answered, {big[1]}"]
    assert list(statements.values["label"]) == list(person_items()["wording"]), "the codebook's words, verbatim"
    assert list(who.values["label"])[:3] == ["The person", "A representative", "An advocate"]
    assert facts["feedback_responses"] > 0
    assert f"{big[1].split(',')[0]}: " in section.markdown and "people whose enquiries concluded" in section.markdown


def test_percentages_are_of_the_counts_as_shown(data, big):
    from msp_analysis.analysis.feedback import feedback_counts

    policy = get_policy("sac")
    section, _ = content.feedback_section(*data, *big, YEAR, policy)
    counts = feedback_counts(*data)
    year = counts[counts["financial_year"] == YEAR].sum(numeric_only=True)
    record = policy.percentage(policy.disclosed_count(year["record_asked"], True),
                               policy.disclosed_count(year["responses"], True))[0]
    assert section.tables[0].value(0, "England_0_pct") == record


def test_a_council_with_little_feedback_shows_no_small_number(data):
    from msp_analysis.analysis.feedback import feedback_counts

    policy = get_policy("sac")
    counts = feedback_counts(*data)
    small = counts[(counts["financial_year"] == YEAR) & counts["responses"].between(1, 4)].iloc[0]
    enquiries, _ = data
    name = str(enquiries.loc[enquiries["ons_code"] == small["ons_code"], "council_name"].iloc[0])
    section, facts = content.feedback_section(*data, small["ons_code"], name, small["region"], YEAR, policy)
    assert "too few people gave feedback" in section.markdown
    for table in section.tables:
        council_columns = [c for c in table.values.columns if c.startswith("council_")]
        assert all(table.value(r, c) is None for r in range(len(table.values)) for c in council_columns)


def test_no_feedback_says_so(data, big):
    enquiries, _ = data
    section, facts = content.feedback_section(enquiries, None, *big, YEAR, get_policy("sac"))
    assert section.markdown == content.text("no_feedback") and not section.tables and facts == {}


@pytest.mark.long  # whole simulated frames: in make test, not the quick lane
def test_the_locality_report_takes_feedback_given_or_beside_its_data(data, big, tmp_path):
    from msp_analysis.cli import main
    from msp_analysis.reporting.registry import LocalityReportParams

    enquiries, feedback = data
    report = locality.build_locality_report(enquiries, big[0], YEAR, "sac", person_feedback=feedback)
    assert len(report.feedback.tables) == 3
    alone = locality.build_locality_report(enquiries, big[0], YEAR, "sac")
    assert alone.feedback.markdown == content.text("no_feedback")
    raw, processed = tmp_path / "raw", tmp_path / "processed"  # the CLI round trip: simulate, clean both kinds
    assert main(["simulate", "--out", str(raw), "--seed", "3", "--scale", "0.02"]) == 0
    assert main(["clean", "evaluation", str(raw / "evaluation.csv"), "--out", str(processed)]) == 0
    assert main(["clean", "person_feedback", str(raw / "person_feedback.csv"), "--out", str(processed)]) == 0
    assert (processed / "person_feedback.parquet").exists() and (processed / "person_feedback.rejects.csv").exists()
    from msp_analysis.io.processed import read_clean

    clean = read_clean("evaluation", processed)
    code = clean.loc[clean["financial_year"] == YEAR, "ons_code"].value_counts().index[0]
    params = LocalityReportParams.validate({"locality": code, "year": YEAR, "data_dir": str(processed)})
    beside = locality.build_locality_report(clean, code, YEAR, "sac", params=params)
    assert beside.feedback.markdown != content.text("no_feedback")


def _entries() -> dict:
    with resources.files("msp_analysis.reporting.text").joinpath("feedback.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_every_key_the_module_uses_exists_and_every_entry_is_used():
    tree = ast.parse(Path(content.__file__).read_text(encoding="utf-8"))
    constants = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    entries = _entries()
    from msp_analysis.reporting.content.feedback import WHO

    used = {key for key in entries if key in constants} | set(WHO)
    assert not set(entries) - used, sorted(set(entries) - used)
    assert set(WHO) <= set(entries)


@pytest.mark.parametrize("policy", ["sac", "ascof"])
def test_the_tables_disclosed_once_for_every_council_are_each_councils_own(data, policy):
    from msp_analysis.analysis.feedback import feedback_counts
    from msp_analysis.reference.geography import short_name
    from tests.reporting.content.test_groups import _same_table

    chosen = get_policy(policy)
    counts = feedback_counts(*data)
    councils = counts[counts["financial_year"] == YEAR].sort_values("responses")  # the smallest first
    hidden = 0
    for row in councils.head(8).itertuples():
        names = {"council": short_name(str(row.council_name)), "region": str(row.region), "England": "England"}
        section, _ = content.feedback_section(*data, row.ons_code, names["council"], names["region"], YEAR, chosen)
        *alone, _ = content._tables_alone(*data, row.ons_code, names["region"], YEAR, chosen, names)
        assert len(section.tables) == 3
        for sliced, table in zip(section.tables, alone, strict=True):
            _same_table(sliced, table)
            hidden += table.hidden_counts["primary"] + table.hidden_counts["secondary"]
    assert hidden > 0
