"""Tests for msp_analysis.disclosure.display: tables shown under a policy, every column controlled."""

import re

import numpy as np
import pandas as pd
import pytest

from msp_analysis.disclosure.display import disclose
from msp_analysis.disclosure.policies import DisclosurePolicy, get_policy


@pytest.fixture
def sac() -> DisclosurePolicy:
    return get_policy("sac")


# --- counts and rates under the SAC rule -----------------------------------------------------

RATES = {"fully_pct": (["fully"], ["fully", "partially", "not_achieved"])}


def _table(fully, partially, not_achieved):
    table = pd.DataFrame({"fully": fully, "partially": partially, "not_achieved": not_achieved}, dtype=float)
    total = table.sum(axis=1)
    table["fully_pct"] = 100 * table["fully"] / total.where(total > 0)
    return table


def test_disclose_hides_a_rate_when_its_numerator_is_suppressed(sac):
    table = _table([3], [40], [7])
    shown = disclose(table, sac, counts=["fully", "partially", "not_achieved"], rates=RATES).display
    assert shown.loc[0, "fully_pct"] == "[c]"
    assert shown.loc[0, "fully"] == "[c]"
    assert shown.loc[0, "partially"] == "40"


def test_disclose_hides_a_rate_when_its_denominator_sum_is_suppressed(sac):
    # numerator 6 is shown, but the denominator sums two small counts to 2 + 2 = 4 < 5
    table = pd.DataFrame({"top": [6.0], "low_a": [2.0], "low_b": [2.0], "ratio_pct": [150.0]})
    rates = {"ratio_pct": (["top"], ["low_a", "low_b"])}
    shown = disclose(table, sac, counts=["top"], rates=rates).display
    assert shown.loc[0, "top"] == "5"
    assert shown.loc[0, "ratio_pct"] == "[c]"


def test_disclose_computes_a_rate_from_the_counts_as_shown_not_the_unrounded_ones(sac):
    # unrounded 28 / 53 = 52.8%; shown 30 of 55 gives 55% (30 / 55 = 54.5, half up)
    table = pd.DataFrame({"fully": [28.0], "expressed": [53.0]})
    shown = disclose(table, sac, counts=["fully", "expressed"], rates={"fully_pct": (["fully"], ["expressed"])})
    assert shown.display.loc[0, ["fully", "expressed", "fully_pct"]].tolist() == ["30", "55", "55%"]
    assert shown.value(0, "fully_pct") == 55.0 and shown.text(0, "fully_pct") == "55%"


def test_disclose_ignores_a_rate_column_computed_from_unrounded_counts(sac):
    table = _table([7], [6], [1])  # fully_pct 50.0 in the table, from unrounded counts
    table["expressed"] = 14.0
    shown = disclose(table, sac, counts=["fully", "expressed"], rates={"fully_pct": (["fully"], ["expressed"])})
    assert shown.display.loc[0, "fully_pct"] == "[c]", "shown denominator 15 is under 20: no percentage"


def test_a_denominator_of_several_columns_is_hidden_when_a_part_is(sac):
    table = _table([30], [20], [1])  # not achieved is [c], so the sum of the shown parts is unknown
    shown = disclose(table, sac, counts=["fully"], rates=RATES)
    assert shown.display.loc[0, "fully_pct"] == "[c]" and bool(shown.hidden.loc[0, "fully_pct"])


def test_disclose_leaves_a_missing_rate_blank_and_does_not_touch_the_input(sac):
    table = pd.DataFrame({"fully": [np.nan, 30.0], "expressed": [np.nan, 40.0], "fully_pct": [np.nan, 12.0]})
    before = table.copy()
    shown = disclose(table, sac, counts=["fully"], rates={"fully_pct": (["fully"], ["expressed"])}).display
    assert shown["fully_pct"].tolist() == ["", "75%"]
    pd.testing.assert_frame_equal(table, before)


def test_a_zero_denominator_is_hidden_not_blank_when_the_policy_hides_zero(sac):
    # a blank would say the denominator is 0, which [c] hides
    table = pd.DataFrame({"fully": [0.0], "expressed": [0.0]})
    shown = disclose(table, sac, counts=["fully"], rates={"fully_pct": (["fully"], ["expressed"])}).display
    assert shown.loc[0, "fully_pct"] == "[c]"
    nhs = disclose(table, "nhs_secondary_care", counts=["fully"], rates={"fully_pct": (["fully"], ["expressed"])})
    assert nhs.display.loc[0, "fully_pct"] == "", "a zero the policy shows is no percentage"


def test_disclose_per_row_hides_only_the_small_rows(sac):
    table = _table([50, 2], [20, 1], [10, 0])
    shown = disclose(table, sac, counts=["fully", "partially", "not_achieved"], rates=RATES).display
    assert shown["fully_pct"].tolist() == ["63%", "[c]"]  # 50 / (50 + 20 + 10) = 62.5, half up
    assert shown["fully"].tolist() == ["50", "[c]"]


# --- percentages at the boundaries of the policy's rule -----------------------------------------

@pytest.mark.parametrize(
    "numerator,denominator,expected",
    [
        (5, 15, "[c]"),          # shown denominator under 20: no percentage
        (5, 19, "[c]"),
        (5, 20, "25%"),          # at 20: whole percentages
        (5, 21, "24%"),
        (1, 8, "[c]"),
        (10, 80, "13%"),         # 12.5 ties round half up
        (15, 40, "38%"),         # 37.5 → 38
        (0, 95, "[c]"),          # 0% of fewer than 100 says what everyone had
        (0, 100, "0%"),
        (95, 95, "[c]"),         # 100% of fewer than 100
        (99, 99.0, "[c]"),
        (100, 100, "100%"),
        (9995, 9995, "100%"),
        (1, 9999, "0%"),         # rounds to 0% but 9,999 people: shown
        (2500, 9995, "25%"),
        (2500, 10_000, "25.0%"),  # one decimal from 10,000
        (1234, 10_000, "12.3%"),
        (1235, 10_000, "12.4%"),  # 12.35 half up
        (np.nan, 50, "[c]"),     # a hidden numerator
        (5, np.nan, "[c]"),
        (5, 0, ""),              # nothing to show
    ],
)
def test_sac_percentage_boundaries(sac, numerator, denominator, expected):
    assert sac.format_pct(numerator, denominator) == expected


@pytest.mark.parametrize("name,numerator,denominator,expected", [
    ("ascs", 3, 19, "[c]"), ("ascs", 3, 20, "15%"), ("ascof", 20, 20, "[c]"), ("nhs_secondary_care", 0, 150, "0%"),
    ("custom:threshold=10,rounding=5,pct_min=50,pct_extreme=10", 10, 45, "[c]"),
    ("custom:threshold=10,rounding=5,pct_min=50,pct_extreme=10", 50, 50, "100%"),
    ("custom:threshold=10,rounding=5,pct_decimals=1", 10, 30, "33.3%"),
])
def test_every_policy_sets_its_percentage_rule(name, numerator, denominator, expected):
    assert get_policy(name).format_pct(numerator, denominator) == expected


def test_secondary_suppression_hides_a_shown_count_and_the_rates_that_use_it(sac):
    table = pd.DataFrame({"fully": [60.0], "expressed": [80.0]})
    shown = disclose(table, sac, counts=["fully", "expressed"], rates={"fully_pct": (["fully"], ["expressed"])},
                     suppressed={"fully": [True]})
    assert shown.display.loc[0, ["fully", "fully_pct"]].tolist() == ["[c]", "[c]"]
    assert shown.hidden_counts == {"primary": 0, "secondary": 1, "percentage": 0}
    assert "worked out from a total" in shown.to_html()


def test_the_note_says_when_a_percentage_is_hidden_for_its_denominator(sac):
    shown = disclose(pd.DataFrame({"a": [10.0], "n": [15.0]}), sac, counts=["n"], rates={"a_pct": (["a"], ["n"])})
    assert shown.hidden_counts["percentage"] == 1 and "Percentages of fewer than 20" in shown.to_html()


# --- the table helper ------------------------------------------------------------------------


def _areas():
    return pd.DataFrame({"name": ["<b>Town</b>", "Region", "England"], "fully": [3, 40, 700], "partially": [3, 20, 250],
                         "not_achieved": [1, 5, 50], "score": [3.456, 3.1, 3.2], "people": [4, 60, 900],
                         "estimate": [0.12345, 0.2, 0.3], "level": ["council", "region", "England"]})


def test_disclose_controls_every_shown_column_and_escapes_text():
    shown = disclose(_areas(), "sac", columns=["name", "fully", "fully_pct", "score", "estimate"], text=["name"],
                     counts=["fully"], rates=RATES, means={"score": "people"}, numbers={"estimate": "{:.2f}"},
                     labels={"fully_pct": "Fully %"}, caption="A <caption>")
    assert shown.display.to_dict("list") == {
        "name": ["<b>Town</b>", "Region", "England"], "fully": ["[c]", "40", "700"],
        "Fully %": ["[c]", "62%", "70%"], "score": ["[c]", "3.1", "3.2"], "estimate": ["0.12", "0.20", "0.30"]}
    html = shown.to_html()
    assert "&lt;b&gt;Town&lt;/b&gt;" in html and "<b>" not in html and "A &lt;caption&gt;" in html
    assert "[c]</abbr> under 5, hidden." in html, "the symbols used are explained under the table"
    assert re.search(r"<p class=\"msp-table-note\"><abbr title=\"hidden[^\"]*\">\[c\]</abbr> under 5", html)


def test_disclose_refuses_a_column_it_was_not_told_how_to_control():
    with pytest.raises(ValueError, match="fully"):
        disclose(_areas(), "sac", columns=["name", "fully"], text=["name"])


def test_disclose_computes_a_missing_rate_from_its_counts_and_hides_it_with_them():
    shown = disclose(_areas(), "sac", columns=["name", "share"], text=["name"],
                     rates={"share": (["not_achieved"], ["fully", "partially", "not_achieved"])})
    assert shown.display["share"].tolist() == ["[c]", "8%", "5%"]  # 5 / 65 and 50 / 1,000 of the shown counts


def test_disclose_national_exemption_and_not_submitted_rows():
    table = _areas()
    shown = disclose(table, "nhs_secondary_care", columns=["fully", "fully_pct"], counts=["fully"], rates=RATES,
                     national=table["level"].eq("England"), not_submitted=[False, True, False])
    assert shown.display["fully"].tolist() == ["*", "[x]", "700"]
    assert shown.display["fully_pct"].tolist() == ["*", "[x]", "70%"]


def test_disclose_signed_changes():
    table = pd.DataFrame({"change": [0.153, -0.02, 0.0], "n": [50, 50, 50]})
    shown = disclose(table, "sac", columns=["change"], means={"change": "n"}, decimals=2, signed=["change"])
    assert shown.display["change"].tolist() == ["+0.15", "-0.02", "0.00"]


@pytest.mark.parametrize("policy", ["sac", "ascof", "nhs_secondary_care"])
def test_rows_of_a_table_disclosed_together_are_the_table_of_those_rows_disclosed_alone(policy):
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"area": [f"A{i}" for i in range(12)], "n": rng.integers(0, 40, 12),
                          "k": rng.integers(0, 12, 12), "mean": rng.random(12), "national": [False, False, True] * 4})
    table["k"] = np.minimum(table["k"], table["n"])
    hidden = [bool(x) for x in rng.integers(0, 2, 12)]
    spec = dict(columns=["area", "n", "k", "k_pct", "mean"], text=["area"], counts=["n", "k"],
                rates={"k_pct": (["k"], ["n"])}, means={"mean": "n"}, national="national")
    together = disclose(table, policy, **spec, suppressed={"k": hidden})
    for start in (0, 3, 6, 9):
        alone = disclose(table.iloc[start:start + 3].reset_index(drop=True), policy, **spec,
                         labels={"n": "People"}, caption="One area", suppressed={"k": hidden[start:start + 3]})
        part = together.rows(start, start + 3, caption="One area", labels={"n": "People"})
        assert part.to_html() == alone.to_html()
        assert part.hidden_counts == alone.hidden_counts
        pd.testing.assert_frame_equal(part.values, alone.values)
        pd.testing.assert_frame_equal(part.hidden, alone.hidden)
    assert sum(together.rows(s, s + 3).hidden_counts["primary"] for s in (0, 3, 6, 9)) == \
        together.hidden_counts["primary"]
