"""Tests for msp_analysis.disclosure.display: tables shown under a policy, every column controlled."""

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


def test_disclose_keeps_a_rate_whose_counts_are_shown_and_uses_unrounded_counts(sac):
    table = _table([7], [6], [1])  # 7 / 14 = 50.0%; rounded counts (5, 5, [c]) would say otherwise
    shown = disclose(table, sac, counts=["fully", "partially", "not_achieved"], rates=RATES).display
    assert shown.loc[0, "fully_pct"] == "50.0%"
    assert shown.loc[0, ["fully", "partially", "not_achieved"]].tolist() == ["5", "5", "[c]"]
    assert not sac.hidden_rates(table, RATES).loc[0, "fully_pct"]


def test_disclose_leaves_a_missing_rate_blank_and_does_not_touch_the_input(sac):
    table = pd.DataFrame({"fully": [10.0, 30.0], "partially": [5.0, 0.0], "not_achieved": [5.0, 0.0],
                          "fully_pct": [np.nan, 100.0]})
    before = table.copy()
    shown = disclose(table, sac, counts=["fully"], rates=RATES).display
    assert shown["fully_pct"].tolist() == ["", "100.0%"]
    pd.testing.assert_frame_equal(table, before)


def test_disclose_per_row_hides_only_the_small_rows(sac):
    table = _table([50, 2], [20, 1], [10, 0])
    shown = disclose(table, sac, counts=["fully"], rates=RATES).display
    assert shown["fully_pct"].tolist() == ["62.5%", "[c]"]
    assert shown["fully"].tolist() == ["50", "[c]"]


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
        "Fully %": ["[c]", "61.5%", "70.0%"], "score": ["[c]", "3.1", "3.2"], "estimate": ["0.12", "0.20", "0.30"]}
    html = shown.to_html()
    assert "&lt;b&gt;Town&lt;/b&gt;" in html and "<b>" not in html and "A &lt;caption&gt;" in html
    assert "[c] under 5, hidden." in html, "the symbols used are explained under the table"


def test_disclose_refuses_a_column_it_was_not_told_how_to_control():
    with pytest.raises(ValueError, match="fully"):
        disclose(_areas(), "sac", columns=["name", "fully"], text=["name"])


def test_disclose_computes_a_missing_rate_from_its_counts_and_hides_it_with_them():
    shown = disclose(_areas(), "sac", columns=["name", "share"], text=["name"],
                     rates={"share": (["not_achieved"], ["fully", "partially", "not_achieved"])})
    assert shown.display["share"].tolist() == ["[c]", "7.7%", "5.0%"]


def test_disclose_national_exemption_and_not_submitted_rows():
    table = _areas()
    shown = disclose(table, "nhs_secondary_care", columns=["fully", "fully_pct"], counts=["fully"], rates=RATES,
                     national=table["level"].eq("England"), not_submitted=[False, True, False])
    assert shown.display["fully"].tolist() == ["*", "[x]", "700"]
    assert shown.display["fully_pct"].tolist() == ["*", "[x]", "70.0%"]


def test_disclose_signed_changes():
    table = pd.DataFrame({"change": [0.153, -0.02, 0.0], "n": [50, 50, 50]})
    shown = disclose(table, "sac", columns=["change"], means={"change": "n"}, decimals=2, signed=["change"])
    assert shown.display["change"].tolist() == ["+0.15", "-0.02", "0.00"]
