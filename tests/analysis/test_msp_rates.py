"""Tests for msp_analysis.analysis.msp_rates: the published MSP percentages of clean SAC counts."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.msp_rates import msp_rates, msp_rates_csv
from msp_analysis.analysis.pathway import RATE_DEFINITIONS, add_rates
from tests.clean.sac_frames import CAPACITY_LABELS, ENGLAND, MSP_LABELS, cleaned, frame, row


def sac_counts(counts: dict[str, str], **geography) -> list[dict]:
    """Rows of SG3a (capacity) and SG4a from {label: value}."""
    rows = []
    for label, value in counts.items():
        table = "SG3a" if label in CAPACITY_LABELS else "SG4a"
        rows.append(row(TABLE_REFERENCE=table, CATEGORY=label, VALUE=value, **geography))
    return rows


EXACT = (dict(zip(CAPACITY_LABELS, ["100", "250", "30", "20"], strict=True))
         | dict(zip(MSP_LABELS, ["300", "60", "25", "10", "5", "200", "70", "30"], strict=True)))


def expected_rates(counts: dict[str, float]) -> pd.Series:
    table = pd.DataFrame([{
        "concluded_s42": sum(counts[label] for label in CAPACITY_LABELS),
        "asked_expressed": counts[MSP_LABELS[0]], "asked_not_expressed": counts[MSP_LABELS[1]],
        "not_asked": counts["No"], "asked_unknown": counts["Don't Know"] + counts["Not Recorded"],
        "fully": counts["Fully Achieved"], "partially": counts["Partially Achieved"],
        "not_achieved": counts["Not Achieved"],
    }])
    return add_rates(table).iloc[0]


def test_msp_rates_follow_the_published_definitions():
    rates = msp_rates(cleaned(frame(*sac_counts(EXACT))).clean)
    assert list(rates.columns) == ["ons_code", "name", "financial_year", "concluded_s42", *RATE_DEFINITIONS]
    got = rates.iloc[0]
    want = expected_rates({k: float(v) for k, v in EXACT.items()})
    assert (got["ons_code"], got["name"], got["financial_year"], got["concluded_s42"]) == (
        "E08000025", "Birmingham", "2023-24", 400)
    for rate in RATE_DEFINITIONS:
        assert got[rate] == pytest.approx(want[rate])
    assert got["asked_pct"] == pytest.approx(100 * 360 / 400)
    assert got["fully_pct"] == pytest.approx(100 * 200 / 300)


@pytest.mark.parametrize(
    "label,value,empty",
    [
        ("Not Achieved", "[c]", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
        ("Not Achieved", "*", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
        ("Don't know", "[c]", {"asked_pct", "expressed_pct"}),       # concluded_s42 is unknown
        (MSP_LABELS[1], "[x]", {"asked_pct"}),
        ("No", "[c]", set()),                                          # not an input of any rate
        ("Fully Achieved", "", {"fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"}),
    ],
)
def test_a_suppressed_or_missing_input_empties_exactly_its_rates(label, value, empty):
    rates = msp_rates(cleaned(frame(*sac_counts({**EXACT, label: value}))).clean).iloc[0]
    for rate in RATE_DEFINITIONS:
        assert pd.isna(rates[rate]) == (rate in empty), rate


def test_msp_rates_need_all_four_capacity_categories():
    counts = {k: v for k, v in EXACT.items() if k != "Not recorded"}
    rates = msp_rates(cleaned(frame(*sac_counts(counts))).clean).iloc[0]
    assert pd.isna(rates["concluded_s42"]) and pd.isna(rates["asked_pct"])
    assert rates["fully_pct"] == pytest.approx(100 * 200 / 300)


def test_msp_rates_of_an_all_zero_block_are_empty():
    rates = msp_rates(cleaned(frame(*sac_counts({**EXACT, **{k: "0" for k in MSP_LABELS}}))).clean).iloc[0]
    assert rates[list(RATE_DEFINITIONS)].isna().all()


def test_msp_rates_csv_rounds_half_up_to_one_decimal():
    counts = {**EXACT, "Fully Achieved": "49", "Partially Achieved": "300", "Not Achieved": "51"}  # 49/400 = 12.25%
    text = msp_rates_csv(cleaned(frame(*sac_counts(counts))).clean)
    lines = text.splitlines()
    assert lines[0] == ("ons_code,name,financial_year,concluded_s42,asked_pct,expressed_pct,fully_pct,partially_pct,"
                        "not_pct,fully_or_partially_pct")
    assert lines[1] == "E08000025,Birmingham,2023-24,400,90.0,75.0,12.3,75.0,12.8,87.3"


def test_msp_rates_csv_shows_a_formula_in_a_name_as_text():
    clean = cleaned(frame(*sac_counts(EXACT))).clean.assign(name='=HYPERLINK("http://x","Birmingham")')
    line = msp_rates_csv(clean).splitlines()[1]
    assert line.startswith("E08000025,\"'=HYPERLINK(") and ",2023-24,400," in line


def test_msp_rates_refuse_the_same_label_twice():
    twice = cleaned(frame(*sac_counts(EXACT))).clean
    with pytest.raises(ValueError, match="twice"):
        msp_rates(pd.concat([twice, twice]))


# --- aggregate_to_sac on a small inline frame ---------------------------------------------------------


# --- published figures (real data) ------------------------------------------------------------------

OVERVIEW = Path("asc_overview_nhsd_2022") / "ASC_OVERVIEW_DATA_TABLES_TEMPLATE_21-22.xlsx"
PUBLISHED_FULLY = [67.2, 67.8, 68.1, 66.7, 68.1, 68.1]
PUBLISHED_FULLY_OR_PARTLY = [89.1, 94.1, 94.2, 93.1, 94.3, 94.8]
YEARS = ["2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21"]


@pytest.mark.real_data
def test_msp_rates_reproduce_the_published_national_percentages(real_data_dir):
    path = real_data_dir / OVERVIEW
    assert path.is_file(), f"{path} is missing; MSP_REAL_DATA must hold the public data (see its SOURCE.md)"
    sheet = pd.read_excel(path, sheet_name="Table 8", header=None, dtype=str)
    header = sheet.index[sheet[0].eq("Measure")][0]
    years = {str(sheet.loc[header, c]): c for c in sheet.columns[1:] if pd.notna(sheet.loc[header, c])}
    measure = sheet[0].fillna("")

    def line(start: str, ending: str) -> pd.Series:
        hit = sheet[measure.str.startswith(start) & measure.str.endswith(ending)]
        assert len(hit) == 1, (start, ending)
        return hit.iloc[0]

    ending = "indicated that the desired outcomes were {} achieved"
    counts = {label: line("Safeguarding Enquiries", ending.format(word)) for label, word in
              [("Fully Achieved", "fully"), ("Partly Achieved", "partly"), ("Not Achieved", "not")]}
    shares = {name: line("% Safeguarding Enquiries", ending.format(word)) for name, word in
              [("fully_pct", "fully"), ("partially_pct", "partly"), ("fully_or_partially_pct", "fully or partly")]}
    rows = [row(FINANCIAL_YEAR=year, **ENGLAND, CATEGORY=label, VALUE=f"{int(float(values[years[year]])):,}")
            for year in YEARS for label, values in counts.items()]  # "Partly Achieved" is a codebook variant
    result = cleaned(frame(*rows), source=str(path))
    assert result.rows_rejected == 0
    rates = msp_rates(result.clean).set_index("financial_year").loc[YEARS]
    assert rates["ons_code"].eq("E92000001").all() and rates["asked_pct"].isna().all()
    for name, published in shares.items():
        expected = np.array([100 * float(published[years[y]]) for y in YEARS])
        assert np.abs(rates[name].to_numpy() - expected).max() <= 0.1 + 1e-9, name
    assert np.abs(rates["fully_pct"].to_numpy() - PUBLISHED_FULLY).max() <= 0.1 + 1e-9
    assert np.abs(rates["fully_or_partially_pct"].to_numpy() - PUBLISHED_FULLY_OR_PARTLY).max() <= 0.1 + 1e-9
    text = msp_rates_csv(result.clean).splitlines()
    assert [line.split(",")[6] for line in text[1:]] == [f"{v:.1f}" for v in PUBLISHED_FULLY]


