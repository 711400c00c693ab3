"""Tests for msp_analysis.disclosure.groups: the cells of the pathway-by-group tables, their sets and their protection."""

import math

import pandas as pd
import pytest

from msp_analysis.analysis.pathway import GROUP_COUNTS, group_dimensions, pathway_by_group
from msp_analysis.disclosure.groups import ALL, cell, dimension_frame, dimension_sets, group_protection
from msp_analysis.disclosure.policies import get_policy
from msp_analysis.disclosure.secondary import SHOWN


def test_a_dimensions_sets_cover_each_group_and_each_count_across_the_groups():
    sets = dimension_sets("capacity")
    totals = {total for total, _, _ in sets}
    assert cell("lacked", "asked_expressed") in totals and cell(ALL, "fully") in totals
    across = dict((total, parts) for total, parts, name in sets if name == "capacity groups")
    assert across[cell(ALL, "fully")] == (cell("lacked", "fully"), cell("not_lacked", "fully"), cell("not_known", "fully"))
    assert len(sets) == 3 * (len(group_dimensions()["capacity"]) + 1) + len(GROUP_COUNTS)


def test_the_dimension_frame_has_a_row_per_council_and_year_and_totals_that_add_up(cleaned_simulation):
    frame = dimension_frame(pathway_by_group(cleaned_simulation.clean), "sex")
    assert not frame.duplicated(["financial_year", "ons_code"]).any()
    for count in GROUP_COUNTS:
        parts = frame[[cell(g, count) for g in group_dimensions()["sex"]]].sum(axis=1)
        assert (parts == frame[cell(ALL, count)]).all(), count


@pytest.fixture(scope="module")
def protected(cleaned_simulation):
    return {name: group_protection(cleaned_simulation.clean, get_policy(name)) for name in ("sac", "ascof")}


@pytest.mark.parametrize("name", ["sac", "ascof"])
def test_no_hidden_group_cell_can_be_worked_out_from_what_is_shown(protected, name):
    for dimension, protection in protected[name].dimensions.items():
        assert protection.protection.derivable() == [], dimension


def test_exact_counts_need_partners_and_rounded_counts_rarely_do(protected):
    sac = sum(p.protection.counts()[1] for p in protected["sac"].dimensions.values())
    ascof = sum(p.protection.counts()[1] for p in protected["ascof"].dimensions.values())
    assert ascof > sac, (sac, ascof)
    assert ascof > 100


def test_a_shown_cell_is_the_count_as_the_policy_shows_it(protected, cleaned_simulation):
    policy = get_policy("sac")
    by_group = pathway_by_group(cleaned_simulation.clean)
    row = by_group[(by_group["level"] == "England") & (by_group["dimension"] == "capacity")
                   & (by_group["group"] == "lacked")].iloc[-1]
    key = (row["financial_year"], "England", "England", cell("lacked", "concluded_s42"))
    protection = protected["sac"]["capacity"]
    assert protection.protection.status[key] == SHOWN
    assert protection.disclosed(*key) == policy.disclosed_count(row["concluded_s42"], True)


def test_a_small_group_is_hidden(protected, cleaned_simulation):
    by_group = pathway_by_group(cleaned_simulation.clean)
    small = by_group[(by_group["level"] == "council") & by_group["concluded_s42"].between(1, 4)].iloc[0]
    key = (small["financial_year"], "council", small["area"], cell(small["group"], "concluded_s42"))
    assert math.isnan(protected["sac"][small["dimension"]].disclosed(*key))


def test_the_decision_is_made_once_per_frame_and_policy(cleaned_simulation, protected):
    assert group_protection(cleaned_simulation.clean, get_policy("sac")) is protected["sac"]
    assert group_protection(cleaned_simulation.clean.copy(), get_policy("sac")) is not protected["sac"]


def test_an_empty_frame_gives_no_cells():
    empty = pd.DataFrame(columns=["financial_year", "ons_code", "council_name", "region", "enquiry_type",
                                  "lacked_capacity", "capacity_support", "age_band", "sex", "ethnicity",
                                  "primary_support_reason", "msp_asked", "msp_outcome_achieved"])
    assert all(not p.shown for p in group_protection(empty, get_policy("sac")).dimensions.values())


def test_a_change_in_one_year_reuses_the_other_years_decisions_and_gives_what_a_fresh_decision_gives(
        cleaned_simulation, protected):
    from msp_analysis.toolkit import caches

    frame = cleaned_simulation.clean
    years = sorted(frame["financial_year"].unique())
    changed = frame.copy()
    first = changed.index[(changed["financial_year"] == years[-1]) & (changed["sex"] == "Female")][0]
    changed.loc[first, "sex"] = "Male"
    reused = group_protection(changed, get_policy("sac"))["sex"]
    before = protected["sac"]["sex"]
    for key, status in before.protection.status.items():  # an earlier year: the same decision
        if key[0] != years[-1]:
            assert reused.protection.status[key] == status
    caches.clear()
    fresh = group_protection(changed, get_policy("sac"))["sex"]
    assert fresh.protection.status == reused.protection.status and fresh.shown.keys() == reused.shown.keys()


@pytest.mark.parametrize("name", ["sac", "ascof"])
def test_one_years_decisions_alone_are_that_years_decisions_of_the_whole_frame(cleaned_simulation, protected, name):
    from msp_analysis.disclosure.groups import group_protection_of_year
    from msp_analysis.toolkit import caches

    frame = cleaned_simulation.clean
    year = str(sorted(frame["financial_year"].astype(str).unique())[-1])
    caches.clear()  # decided afresh, not taken from the whole frame's decisions kept by content
    alone = group_protection_of_year(frame, get_policy(name), year)
    whole = protected[name]
    for dimension in group_dimensions():
        mine, theirs = alone[dimension], whole[dimension]
        of_year = {k: v for k, v in theirs.protection.status.items() if k[0] == year}
        assert mine.protection.status == of_year and of_year
        assert mine.shown == {k: v for k, v in theirs.shown.items() if k[0] == year}
    assert any(v == 2 for d in group_dimensions() for v in alone[d].protection.status.values())  # secondary cells too
