"""Tests for msp_analysis.disclosure.sac_export: record-level enquiries → a SAC-format file → clean again."""

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.msp_rates import msp_rates
from msp_analysis.analysis.pathway import COUNT_COLUMNS, RATE_DEFINITIONS, add_rates, pathway_counts
from msp_analysis.clean.sac import clean_sac
from msp_analysis.clean.sac_codebook import SAC_LONG_COLUMNS, YEAR_COLUMN
from msp_analysis.disclosure.policies import POLICIES
from msp_analysis.disclosure.sac_export import aggregate_to_sac
from tests.clean.sac_frames import MSP_LABELS, cleaned, long_layout

# --- aggregate_to_sac on a small inline frame ---------------------------------------------------------


def enquiries(n: int, ons_code: str, **changes: object) -> list[dict]:
    """`n` clean concluded enquiries (clean_evaluation output) of one council in 2023-24."""
    base = {"financial_year": "2023-24", "ons_code": ons_code, "enquiry_type": "Section 42",
            "risk_types": "Physical Abuse; Neglect and Acts of Omission", "risk_location": "Own Home",
            "risk_source": "Service Provider", "risk_assessment_outcome": "Risk identified and action taken",
            "risk_outcome": "Risk reduced", "lacked_capacity": "Yes, they lacked capacity", "capacity_support": "Yes",
            "msp_asked": "Yes they were asked and outcomes were expressed", "msp_outcome_achieved": "Fully Achieved"}
    return [{**base, **changes} for _ in range(n)]


def test_aggregate_to_sac_counts_and_discloses_a_small_frame():
    records = pd.DataFrame(enquiries(8, "E08000025") + enquiries(3, "E08000026", msp_outcome_achieved=
                                                                   "Partially Achieved")
                           + enquiries(4, "E08000025", enquiry_type="Other"))
    sac = aggregate_to_sac(records)
    shown = sac.set_index(["GEOGRAPHY", "LA_NAME", "REGION_NAME", "TABLE_REFERENCE", "CATEGORY", "SUBCATEGORY"])["VALUE"]
    assert shown[("England", "England", "", "SG2a", "Physical Abuse", "")] == "10"           # 11 → 10
    assert shown[("England", "England", "", "SG2a", "Neglect and Acts of Omission", "")] == "10"
    assert shown[("England", "England", "", "SG2a", "Self-Neglect", "")] == "[c]"            # 0 is under 5
    assert shown[("Region", "", "West Midlands", "SG2b", "Own Home", "Service Provider")] == "10"
    assert shown[("Council", "Birmingham", "West Midlands", "SG4a", "Desired outcomes achieved (where expressed)",
                  "Fully Achieved")] == "10"                                                # 8 → 10, Other not counted
    assert shown[("Council", "Coventry", "West Midlands", "SG4a", "Desired outcomes achieved (where expressed)",
                  "Partially Achieved")] == "[c]"
    assert shown[("Council", "Birmingham", "West Midlands", "SG3a", "Yes, they lacked capacity",
                  "Supported by an advocate, family or friend")] == "10"
    assert sac["ENQUIRY_TYPE"].eq("Concluded Section 42 Enquiries").all()
    per_geography = 11 + 9 * 3 + 7 + 3 + (4 + 1) + (5 + 3)  # SG2a, SG2b, SG2c, SG2e, SG3a, SG4a
    assert sac.groupby("GEOGRAPHY").size().to_dict() == {"Council": 2 * per_geography, "England": per_geography,
                                                       "Region": per_geography}


# --- round trip: record-level → SAC file → clean ---------------------------------------------------


@pytest.fixture(scope="module")
def round_trip():
    from msp_analysis.analysis.simulate import simulate
    from msp_analysis.clean.evaluation import clean_evaluation

    enquiries = clean_evaluation(simulate(11, scale=0.1).evaluation, source="simulated.csv").clean
    published = aggregate_to_sac(enquiries)
    return enquiries, published, clean_sac(published, source="simulated_sac.csv")


def test_aggregate_writes_the_sac_long_layout_under_the_disclosure_rule(round_trip):
    enquiries, published, _ = round_trip
    assert list(published.columns) == [YEAR_COLUMN, *SAC_LONG_COLUMNS]
    assert published.map(lambda v: isinstance(v, str)).all().all()
    assert set(published["GEOGRAPHY"]) == {"England", "Region", "Council"}
    assert set(published["TABLE_REFERENCE"]) == {"SG2a", "SG2b", "SG2c", "SG2e", "SG3a", "SG4a"}
    numbers = published.loc[published["VALUE"] != "[c]", "VALUE"].str.replace(",", "").astype(int)
    assert (numbers % 5 == 0).all() and (numbers >= 5).all()
    assert published.loc[published["GEOGRAPHY"] == "England", "LA_CODE"].eq("1010").all()
    councils = published[published["GEOGRAPHY"] == "Council"].groupby(YEAR_COLUMN)["ONS_CODE"].nunique()
    assert councils.to_dict() == enquiries.groupby("financial_year")["ons_code"].nunique().to_dict()


def test_aggregate_counts_are_the_rounded_pathway_counts(round_trip):
    enquiries, published, _ = round_trip
    policy = POLICIES["sac"]
    truth = pathway_counts(enquiries, ["financial_year"]).set_index("financial_year")
    england = published[(published["GEOGRAPHY"] == "England") & (published["TABLE_REFERENCE"] == "SG4a")]
    for (year, label), value in england.set_index([YEAR_COLUMN, "SUBCATEGORY"])["VALUE"].items():
        column = {"Fully Achieved": "fully", "Partially Achieved": "partially", "Not Achieved": "not_achieved",
                  MSP_LABELS[0]: "asked_expressed", MSP_LABELS[1]: "asked_not_expressed", "No": "not_asked"}.get(label)
        if column:
            assert value == policy.format_count(truth.loc[year, column]), (year, label)
    capacity = published[(published["GEOGRAPHY"] == "England") & (published["TABLE_REFERENCE"] == "SG3a")
                         & (published["SUBCATEGORY"] == "")]
    assert len(capacity) == 4 * len(truth)


def test_round_trip_gives_back_the_published_counts(round_trip):
    _, published, result = round_trip
    assert result.reconciles() and result.rows_rejected == 0 and result.rows_clean == len(published)
    back = result.clean
    suppressed = published["VALUE"].eq("[c]").to_numpy()
    assert (back["suppressed"].to_numpy() == suppressed).all()
    numbers = published.loc[~suppressed, "VALUE"].str.replace(",", "").astype(float).to_numpy()
    assert (back.loc[~suppressed, "value"].to_numpy() == numbers).all()
    assert (back["value_lower"][suppressed] == 0).all() and (back["value_upper"][suppressed] == 4).all()
    assert back["label"].notna().all() and not back["not_submitted"].any()
    assert set(back["geography_level"]) == {"England", "Region", "Council"}


def test_round_trip_rates_equal_pathway_rates_from_the_rounded_counts(round_trip):
    _, published, result = round_trip
    rates = msp_rates(result.clean).set_index(["ons_code", "financial_year"])
    number = published.assign(n=published["VALUE"].str.replace(",", "").replace("[c]", np.nan).astype(float))
    bridge = {label: column for label, column in [
        (MSP_LABELS[0], "asked_expressed"), (MSP_LABELS[1], "asked_not_expressed"), ("No", "not_asked"),
        ("Don't Know", "asked_unknown"), ("Not Recorded", "asked_unknown"), ("Fully Achieved", "fully"),
        ("Partially Achieved", "partially"), ("Not Achieved", "not_achieved")]}
    sg4a = number[number["TABLE_REFERENCE"] == "SG4a"].assign(column=lambda d: d["SUBCATEGORY"].map(bridge))
    sg3a = number[(number["TABLE_REFERENCE"] == "SG3a") & (number["SUBCATEGORY"] == "")].assign(column="concluded_s42")
    both = pd.concat([sg4a, sg3a])
    # sum(min_count) keeps a suppressed part as NaN, so the whole count is unknown
    counts = both.groupby(["ONS_CODE", YEAR_COLUMN, "column"])["n"].sum(min_count=1)
    unknown = both.groupby(["ONS_CODE", YEAR_COLUMN, "column"])["n"].apply(lambda s: s.isna().any())
    counts = counts.where(~unknown).unstack("column")[COUNT_COLUMNS]
    want = add_rates(counts.fillna(0))
    checked = 0
    for rate, (numerator, denominator) in RATE_DEFINITIONS.items():
        usable = counts[numerator + denominator].notna().all(axis=1)
        got = rates[rate].reindex(counts.index)
        assert got[~usable].isna().all(), rate
        assert np.allclose(got[usable], want.loc[usable, rate], equal_nan=True), rate
        checked += int(usable.sum())
    assert checked > 0
    levels = rates.reset_index()
    assert levels.loc[levels["ons_code"] == "E92000001", "fully_pct"].notna().all()


def test_round_trip_is_idempotent_through_the_long_layout(round_trip):
    _, _, result = round_trip
    again = cleaned(long_layout(result.clean), source="again.csv")
    assert again.rows_rejected == 0
    columns = ["financial_year", "geography_level", "ons_code", "table", "label", "sublabel", "value", "suppressed",
               "value_lower", "value_upper", "not_submitted"]
    pd.testing.assert_frame_equal(again.clean[columns], result.clean[columns])


def test_sg2b_counts_one_for_each_location_and_source_that_apply():
    records = pd.DataFrame(enquiries(6, "E08000025", risk_location="Own Home; Care Home - Nursing",
                                     risk_source="Service Provider; Other - Known to individual")
                           + enquiries(5, "E08000025"))
    sac = aggregate_to_sac(records, POLICIES["ascof"])  # exact counts above the threshold
    council = sac[(sac["GEOGRAPHY"] == "Council") & (sac["TABLE_REFERENCE"] == "SG2b")]
    shown = council.set_index(["CATEGORY", "SUBCATEGORY"])["VALUE"]
    assert shown[("Own Home", "Service Provider")] == "11"  # 6 with several + 5 with one
    assert shown[("Own Home", "Other - Known to individual")] == "6"
    assert shown[("Care Home - Nursing", "Service Provider")] == "6"
    assert shown[("Care Home - Nursing", "Other - Known to individual")] == "6"
    total = council["VALUE"].replace("[c]", "0").str.replace(",", "").astype(int).sum()
    assert total == 6 * 4 + 5, "more than the 11 enquiries: one for each pair that applies"
