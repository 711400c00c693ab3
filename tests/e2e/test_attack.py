"""The attacker of issue 12, kept: from the rendered HTML alone, no count of 0 to 4 comes back by arithmetic."""

import pytest

from tests.e2e.attack import Percent, count_values, pathway_leaks, solutions

HEADER = ("<tr><th>Area</th><th>Concluded S42 enquiries</th><th>Asked %</th><th>Expressed %</th>"
          "<th>Fully achieved %</th><th>Partially achieved %</th><th>Not achieved %</th><th>Fully or partially %</th></tr>")


def _page(*cells: str) -> str:
    row = "<tr><th>Somewhere</th>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"
    return f"<table><caption>The MSP pathway in 2023-24: Somewhere</caption>{HEADER}{row}</table>"


def test_the_attacker_finds_a_hidden_cell_that_one_decimal_percentages_give_back():
    # 117 concluded, 100 asked, 94 expressed: 75 fully, 15 partially, 4 not achieved (shown as [c])
    leaks = pathway_leaks("p", _page("117", "85.5%", "80.3%", "79.8%", "16.0%", "[c]", "95.7%"))
    assert [(leak.quantity, leak.value) for leak in leaks] == [("not_achieved", 4)]


def test_whole_percentages_of_rounded_counts_alone_still_give_a_hidden_cell_back():
    leaks = pathway_leaks("p", _page("115", "85%", "80%", "80%", "16%", "[c]", "96%"))
    assert [(leak.quantity, leak.value) for leak in leaks] == [("not_achieved", 4)]


def test_percentages_of_rounded_counts_leave_the_hidden_cell_open():
    # South West: 130 concluded; 100% fully or partially of about 100 expressed; not achieved 2, hidden
    page = _page("130", "85%", "77%", "70%", "30%", "[c]", "100%")
    wrong = pathway_leaks("p", page, of_shown=False)
    assert [(leak.quantity, leak.value) for leak in wrong] == [("not_achieved", 0)], (
        "read as percentages of exact counts the row pins a value, and a wrong one (the truth was 2)")
    assert pathway_leaks("p", page, of_shown=True) == []
    values = {s[6] for s in solutions("130", "85%", "77%", "70%", "30%", "[c]", "100%", 5, True)}
    assert values == set(range(0, 5)), "not achieved is anything from 0 to 4"


def test_the_attacker_of_shown_percentages_still_finds_an_exact_complement():
    # exact counts (a policy that does not round) and a [c] beside 100 - the other shares
    leaks = pathway_leaks("p", _page("117", "85%", "80%", "80%", "16%", "[c]", "96%"), base=1, of_shown=True)
    assert [(leak.quantity, leak.value) for leak in leaks] == [("not_achieved", 4)]


def test_hiding_the_complementary_cells_closes_it():
    assert pathway_leaks("p", _page("115", "85%", "80%", "80%", "[c]", "[c]", "[c]")) == []


@pytest.mark.parametrize("cell,values", [("115", range(113, 118)), ("117", range(117, 118)), ("[c]", range(0, 5)),
                                         ("1,825", range(1823, 1828)), ("1,826", range(1826, 1827))])
def test_a_shown_count_allows_what_rounds_to_it(cell, values):
    assert count_values(cell) == values


def test_percent_numerators_are_exactly_those_that_read_the_same():
    assert list(Percent.of("50.0%").numerators(10)) == [5]
    assert list(Percent.of("33%").numerators(100)) == [33]
    assert list(Percent.of("[c]").numerators(3)) == [0, 1, 2, 3]
    assert solutions("10", "[c]", "[c]", "[c]", "[c]", "[c]")  # hidden everywhere: many solutions, nothing pinned


@pytest.mark.long
def test_no_councils_pathway_table_gives_a_count_of_0_to_4_back(cleaned_simulation):
    """Every council's pathway table (council, region, England rows) under the SAC policy, attacked."""
    from msp_analysis.reporting.content.locality import build_locality_report

    frame = cleaned_simulation.clean
    year = "2023-24"
    codes = sorted(frame.loc[(frame["financial_year"] == year) & (frame["enquiry_type"] == "Section 42"), "ons_code"]
                   .dropna().unique())
    leaks, attacked = [], 0
    for code in codes:
        table = build_locality_report(frame, code, year, "sac").pathway.tables[0]
        attacked += 1
        leaks += pathway_leaks(code, table.to_html(), of_shown=True)  # the rule the report's notes state
    assert attacked > 100 and leaks == [], leaks[:10]


# --- the pathway-by-group tables ------------------------------------------------------------------------

GROUP_HEADER = ("<tr><th>Mental capacity</th><th>Concluded S42 enquiries, Somewhere</th><th>Asked %, Somewhere</th>"
                "<th>Expressed %, Somewhere</th><th>Fully achieved %, Somewhere</th><th>Asked %, England</th></tr>")


def _group_page(*cells: str) -> str:
    row = "<tr><th>Lacked capacity</th>" + "".join(f"<td>{cell}</td>" for cell in cells) + "<td>85%</td></tr>"
    return f"<table><caption>The MSP pathway by mental capacity in 2023-24: Somewhere</caption>{GROUP_HEADER}{row}</table>"


def test_a_group_row_of_exact_counts_gives_its_complement_back():
    # 20 concluded, 20 asked (100%), 18 expressed (90%), 18 fully (100%): not fully = 0, not asked = 0
    from tests.e2e.attack import group_leaks

    leaks = group_leaks("p", _group_page("20", "100%", "90%", "100%"), base=1, of_shown=True)
    assert {(leak.quantity, leak.value) for leak in leaks} >= {("not_asked", 0), ("not_fully", 0),
                                                               ("asked_not_expressed", 2)}


def test_a_group_row_of_rounded_counts_leaves_small_complements_open():
    from tests.e2e.attack import group_leaks, group_solutions

    # 20 concluded, all asked, 15 expressed (75%), all of them fully: each shown count is 18-22 or 13-17
    assert group_leaks("p", _group_page("20", "100%", "75%", "100%"), base=5, of_shown=True) == []
    values = group_solutions("20", "100%", "75%", "100%", base=5)
    assert values[6] == set(range(0, 5)) and values[2] == set(range(0, 5))


def test_a_hidden_group_row_pins_nothing():
    from tests.e2e.attack import group_leaks

    assert group_leaks("p", _group_page("[c]", "[c]", "[c]", "[c]")) == []


def test_group_tables_are_found_by_caption_and_their_first_columns():
    from tests.e2e.attack import group_leaks

    page = _group_page("20", "100%", "90%", "100%").replace("The MSP pathway by", "Something else by")
    assert group_leaks("p", page, base=1, of_shown=True) == []
