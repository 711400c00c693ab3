"""Other enquiries in the locality report: their MSP pathway beside Section 42's, under the disclosure rules,
and the sentence every report carries that the national collection covers Section 42 only."""

from importlib import resources

import pytest
import yaml

from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.content import locality
from msp_analysis.reporting.content import other_enquiries as content
from tests.e2e.attack import pathway_leaks

YEAR = "2023-24"


@pytest.fixture(scope="module")
def enquiries(cleaned_simulation):
    return cleaned_simulation.clean


def _council(enquiries, code):
    row = enquiries[enquiries["ons_code"] == code].iloc[0]
    return code, str(row["council_name"]), str(row["region"])


def test_the_pathway_of_other_enquiries_is_counted_and_shown_as_section_42s(enquiries):
    other = enquiries[(enquiries["enquiry_type"] == "Other") & (enquiries["financial_year"] == YEAR)]
    code = other["ons_code"].value_counts().index[0]
    section, _ = content.other_enquiries_section(enquiries, *_council(enquiries, code), YEAR, get_policy("nhs_secondary_care"))
    table = section.tables[0]
    assert table.caption.startswith(f"The MSP pathway of other enquiries in {YEAR}")
    england = len(other)
    assert table.value(2, "concluded_s42") == england, "England's count is national: exact under this policy"
    assert "cover Section 42 enquiries only" in section.markdown


def test_no_other_enquiries_in_the_data_says_so(enquiries):
    only_s42 = enquiries[enquiries["enquiry_type"] == "Section 42"].reset_index(drop=True)
    code = only_s42["ons_code"].iloc[0]
    section, facts = content.other_enquiries_section(only_s42, *_council(only_s42, code), YEAR, get_policy("sac"))
    assert section.markdown == content.text("none_in_data") and not section.tables


def test_a_council_without_other_enquiries_that_year_says_so(enquiries):
    without = enquiries[~((enquiries["enquiry_type"] == "Other") & (enquiries["ons_code"] == "E06000047"))]
    section, _ = content.other_enquiries_section(without.reset_index(drop=True), *_council(without, "E06000047"), YEAR,
                                                 get_policy("sac"))
    assert "none of County Durham's" in section.markdown


@pytest.mark.long
def test_no_other_enquiries_table_gives_a_small_count_back(enquiries):
    """The pathway attacker of tests/e2e/attack.py, on every council's other-enquiries table (its own caption)."""
    leaks, attacked = [], 0
    for code in sorted(enquiries.loc[enquiries["financial_year"] == YEAR, "ons_code"].unique()):
        section, _ = content.other_enquiries_section(enquiries, *_council(enquiries, code), YEAR, get_policy("sac"))
        if section.tables:
            attacked += 1
            leaks += pathway_leaks(code, section.tables[0].to_html(), of_shown=True)
    assert attacked > 50 and leaks == [], leaks[:5]


def test_the_locality_report_carries_the_section_and_every_report_names_the_scope(enquiries):
    report = locality.build_locality_report(enquiries, "E06000047", YEAR, "sac")
    assert report.other_enquiries.markdown
    for name, key in (("locality", "notes_scope"), ("evaluation", "notes_scope"),
                      ("temperature_check", "data_notes_scope")):
        with resources.files("msp_analysis.reporting.text").joinpath(f"{name}.yaml").open(encoding="utf-8") as handle:
            assert "Section 42 enquiries only" in yaml.safe_load(handle)[key], name


def test_every_entry_of_the_text_file_is_used():
    from pathlib import Path

    source = Path(content.__file__).read_text(encoding="utf-8")
    with resources.files("msp_analysis.reporting.text").joinpath("other_enquiries.yaml").open(encoding="utf-8") as h:
        entries = yaml.safe_load(h)
    from msp_analysis.disclosure.areas import PATHWAY_RATES

    dynamic = {f"column_{rate}" for rate in PATHWAY_RATES}
    assert all(f'"{key}"' in source or key in dynamic for key in entries), entries


@pytest.mark.parametrize("policy", ["sac", "ascof"])
def test_the_table_disclosed_once_for_every_council_is_each_councils_own(enquiries, policy):
    from msp_analysis.analysis.pathway import other_enquiry_pathways
    from msp_analysis.reference.geography import short_name
    from tests.reporting.content.test_groups import _same_table

    chosen = get_policy(policy)
    pathways = other_enquiry_pathways(enquiries)
    councils = pathways[pathways["financial_year"] == YEAR].sort_values("concluded_s42")
    for row in councils.head(8).itertuples():
        name = short_name(str(row.council_name))
        section, _ = content.other_enquiries_section(enquiries, row.ons_code, name, str(row.region), YEAR, chosen)
        assert row.ons_code in content._other_year(enquiries, YEAR, chosen).bounds  # the sliced path
        alone = content._table_alone(enquiries, row.ons_code, name, str(row.region), YEAR, chosen,
                                     section.tables[0].caption)
        _same_table(section.tables[0], alone)
