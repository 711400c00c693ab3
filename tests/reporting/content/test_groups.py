"""The pathway-by-group section (locality report) and the gaps table (evaluation report): tables under the
disclosure rules, percentages of shown counts only, sentences from shown values, and the words in groups.yaml."""

import ast
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml

from msp_analysis.analysis.pathway import GROUP_RATES, group_dimensions, pathway_by_group
from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.content import groups, locality
from tests.e2e.attack import group_leaks

YEAR = "2023-24"


@pytest.fixture(scope="module")
def enquiries(cleaned_simulation):
    return cleaned_simulation.clean


def _biggest(enquiries):
    s42 = enquiries[(enquiries["enquiry_type"] == "Section 42") & (enquiries["financial_year"] == YEAR)]
    return s42.groupby("ons_code").size().idxmax()


@pytest.fixture(scope="module")
def big(enquiries):
    code = _biggest(enquiries)
    row = enquiries[enquiries["ons_code"] == code].iloc[0]
    return code, str(row["council_name"]), str(row["region"])


def test_one_table_per_dimension_with_the_council_region_and_england(enquiries, big):
    code, council, region = big
    section, _ = groups.groups_section(enquiries, code, council, region, YEAR, get_policy("sac"))
    assert len(section.tables) == len(group_dimensions())
    capacity = section.tables[0]
    assert capacity.caption.startswith("The MSP pathway by mental capacity in 2023-24")
    header = list(capacity.display.columns)
    assert header[0] == "Mental capacity" and header[1].startswith("Concluded S42 enquiries")
    assert sum(council in h for h in header) == 4 and sum(region in h for h in header) == 3
    assert sum("England" in h for h in header) == 3
    assert list(capacity.display.iloc[:, 0]) == ["Lacked capacity", "Did not lack capacity", "Not known"]


def test_percentages_are_of_the_counts_as_shown(enquiries, big):
    code, council, region = big
    policy = get_policy("sac")
    section, _ = groups.groups_section(enquiries, code, council, region, YEAR, policy)
    by_group = pathway_by_group(enquiries)
    rows = by_group[(by_group["financial_year"] == YEAR) & (by_group["level"] == "England")
                    & (by_group["dimension"] == "age_band")].set_index("group")
    table = section.tables[2]
    for position, band in enumerate(["18-64", "65-74", "75-84", "85-94", "95+"]):
        shown = [policy.disclosed_count(rows.loc[band, c], True) for c in ("fully", "asked_expressed")]
        expected, _ = policy.percentage(*shown)
        assert table.value(position, "England_fully_pct") == expected, band


def test_a_hidden_count_hides_the_percentages_built_on_it(enquiries):
    policy = get_policy("sac")
    by_group = pathway_by_group(enquiries)
    small = by_group[(by_group["financial_year"] == YEAR) & (by_group["level"] == "council")
                     & (by_group["dimension"] == "capacity") & by_group["concluded_s42"].between(1, 4)].iloc[0]
    row = enquiries[enquiries["ons_code"] == small["area"]].iloc[0]
    section, facts = groups.groups_section(enquiries, small["area"], str(row["council_name"]), str(row["region"]), YEAR,
                                           policy)
    table = section.tables[0]
    position = list(table.values["group"]).index(groups.group_label("capacity", small["group"]))
    for column in ("council_concluded_s42", "council_asked_pct", "council_expressed_pct", "council_fully_pct"):
        assert table.value(position, column) is None, column
    assert table.text(position, "council_concluded_s42") == policy.symbol
    if "capacity_asked" not in facts:
        assert "too small to compare" in section.markdown


def test_the_capacity_sentence_quotes_the_table(enquiries, big):
    code, council, region = big
    section, facts = groups.groups_section(enquiries, code, council, region, YEAR, get_policy("sac"))
    table = section.tables[0]
    assert "capacity_asked" in facts or "capacity_fully" in facts
    for key, column, words in (("capacity_asked", "council_asked_pct", "of people who lacked capacity were asked"),
                               ("capacity_fully", "council_fully_pct", "of people who lacked capacity said")):
        if key in facts:
            assert facts[key]["lacked"] == table.text(0, column) and facts[key]["not_lacked"] == table.text(1, column)
            assert f"{facts[key]['lacked']} {words}" in section.markdown
        else:
            assert table.value(0, column) is None or table.value(1, column) is None


@pytest.mark.long
@pytest.mark.parametrize("policy", ["sac", "ascof"])
def test_no_group_table_gives_a_small_count_back(enquiries, policy):
    """Every council's group tables, attacked from their HTML as the pathway tables are (tests/e2e/attack.py)."""
    chosen = get_policy(policy)
    base = chosen.rounding_base
    councils = enquiries[enquiries["financial_year"] == YEAR].drop_duplicates("ons_code")
    leaks, attacked = [], 0
    for row in councils.itertuples():
        section, _ = groups.groups_section(enquiries, row.ons_code, row.council_name, row.region, YEAR, chosen)
        page = "\n".join(t.to_html() for t in section.tables)
        attacked += len(section.tables)
        leaks += group_leaks(row.ons_code, page, base=base, of_shown=True)
    assert attacked > 500 and leaks == [], leaks[:5]


def test_the_locality_report_carries_the_section(enquiries, big):
    report = locality.build_locality_report(enquiries, big[0], YEAR, "sac")
    assert len(report.groups.tables) == len(group_dimensions())
    assert report.groups.markdown.startswith("The resource behind MSP")


def test_the_gaps_table_is_englands_cells_as_the_locality_reports_show_them(enquiries):
    policy = get_policy("sac")
    section, facts = groups.gaps_section(enquiries, "England", policy)
    table = section.tables[0]
    assert facts["gaps_year"] == YEAR
    assert len(table.display) == sum(map(len, group_dimensions().values()))
    gaps = table.values["gap"].dropna()
    assert len(gaps) > 10 and gaps.abs().max() < 60
    dimension, group, gap = facts["largest_gap"]
    assert gap == gaps.min()
    assert "The largest gap in England in 2023-24" in section.markdown
    by_group = pathway_by_group(enquiries)
    white = by_group[(by_group["financial_year"] == YEAR) & (by_group["level"] == "England")
                     & (by_group["group"] == "White")].iloc[0]
    position = list(table.values["group"]).index("White")
    assert table.value(position, "concluded_s42") == policy.disclosed_count(white["concluded_s42"], True)


def test_a_regions_gaps_use_the_region_rows(enquiries):
    section, facts = groups.gaps_section(enquiries, "London", get_policy("sac"))
    assert section.tables[0].caption == f"The MSP pathway by group in London, {YEAR}"


# --- the words: reporting/text/groups.yaml ----------------------------------------------------------------


def _entries() -> dict:
    with resources.files("msp_analysis.reporting.text").joinpath("groups.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _calls() -> list[ast.Call]:
    tree = ast.parse(Path(groups.__file__).read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text"]


def test_every_key_the_module_uses_exists_and_every_entry_is_used():
    constant = {c.args[0].value for c in _calls() if isinstance(c.args[0], ast.Constant)}
    dynamic = ({f"dimension_{d}" for d in group_dimensions()} | {f"column_{r}" for r in GROUP_RATES}
               | {"group_lacked", "group_not_lacked", "group_not_known", "group_supported", "group_not_supported"})
    entries = _entries()
    assert not (constant | dynamic) - set(entries)
    assert not set(entries) - (constant | dynamic), sorted(set(entries) - (constant | dynamic))
    for key in dynamic:
        assert not {n for _, n, _, _ in string.Formatter().parse(entries[key]) if n} - {"area"}, key


def test_group_labels_are_the_codebooks_or_the_text_files():
    assert groups.group_label("sex", "Female") == "Female"
    assert groups.group_label("capacity", "lacked") == "Lacked capacity"
    assert groups.group_label("age_band", "not_known") == "Not known"
    assert groups.group_label("capacity_support", "supported") == "Supported by an advocate, family member or friend"


def _same_table(sliced, alone):
    assert sliced.to_html() == alone.to_html()
    assert (sliced.caption, sliced.note, sliced.numeric, sliced.hidden_counts) == \
        (alone.caption, alone.note, alone.numeric, alone.hidden_counts)
    for mine, theirs in ((sliced.values, alone.values), (sliced.hidden, alone.hidden)):
        assert mine.columns.tolist() == theirs.columns.tolist()
        assert mine.astype(object).where(mine.notna(), None).to_numpy().tolist() == \
            theirs.astype(object).where(theirs.notna(), None).to_numpy().tolist()


@pytest.mark.long  # every dimension of ten councils disclosed alone as well: in make test, not the quick lane
@pytest.mark.parametrize("policy", ["sac", "ascof"])
def test_the_tables_disclosed_once_for_every_council_are_each_councils_own(enquiries, policy):
    from msp_analysis.disclosure.groups import group_protection
    from msp_analysis.reference.geography import short_name

    chosen = get_policy(policy)
    by_group = pathway_by_group(enquiries)
    protection = group_protection(enquiries, chosen)
    councils = by_group[(by_group["financial_year"] == YEAR) & (by_group["level"] == "council")]
    councils = councils.drop_duplicates("area").sort_values("concluded_s42")  # the smallest first: the most hidden
    checked = 0
    for row in councils.head(10).itertuples():
        name = short_name(str(row.name))
        section, _ = groups.groups_section(enquiries, row.area, name, row.region, YEAR, chosen)
        alone = [t for d in group_dimensions() if (t := groups.group_table(by_group, protection[d], d, row.area, name,
                                                                         row.region, YEAR, chosen)) is not None]
        assert len(section.tables) == len(alone)
        for sliced, table in zip(section.tables, alone, strict=True):
            _same_table(sliced, table)
            checked += table.hidden_counts["secondary"] + table.hidden_counts["primary"]
    assert checked > 0  # some of the cells compared are hidden
