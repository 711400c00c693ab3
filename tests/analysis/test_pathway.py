"""Tests for msp_analysis.analysis.pathway: the published MSP counts and rates, the locality comparison and the
per-council counts every locality report shares."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from msp_analysis.analysis.pathway import (
    COUNT_COLUMNS,
    RATE_DEFINITIONS,
    add_rates,
    area_totals,
    change_p_value,
    locality_comparison,
    national_context,
    pathway_counts,
    series_codes,
)
from msp_analysis.reference.codebook import LACKED_CAPACITY, canonical_labels

EXPRESSED = "Yes they were asked and outcomes were expressed"
NOT_EXPRESSED = "Yes they were asked but no outcomes were expressed"
YEAR = "2023-24"
COUNCILS = {
    "E08000025": ("Birmingham", "West Midlands"),
    "E08000026": ("Coventry", "West Midlands"),
    "E09000002": ("Barking and Dagenham", "London"),
}


def enquiries(ons_code, spec, enquiry_type="Section 42", year=YEAR):
    """Rows for one council from {(msp_asked, msp_outcome_achieved): how many}."""
    name, region = COUNCILS[ons_code]
    rows = [
        {"ons_code": ons_code, "council_name": name, "region": region, "financial_year": year,
         "enquiry_type": enquiry_type, "msp_asked": asked, "msp_outcome_achieved": achieved}
        for (asked, achieved), n in spec.items() for _ in range(n)
    ]
    return pd.DataFrame(rows, columns=["ons_code", "council_name", "region", "financial_year",
                                       "enquiry_type", "msp_asked", "msp_outcome_achieved"])


BIRMINGHAM = {
    (EXPRESSED, "Fully Achieved"): 3,
    (EXPRESSED, "Partially Achieved"): 2,
    (EXPRESSED, "Not Achieved"): 1,
    (NOT_EXPRESSED, None): 2,
    ("No", None): 1,
    ("Don't Know", None): 1,
}
COVENTRY = {(EXPRESSED, "Fully Achieved"): 1, (EXPRESSED, "Not Achieved"): 1, ("Not Recorded", None): 2}
BARKING = {(EXPRESSED, "Fully Achieved"): 4, (NOT_EXPRESSED, None): 4}


@pytest.fixture
def df_enquiries():
    return pd.concat([
        enquiries("E08000025", BIRMINGHAM),
        # Other enquiries are not part of the SAC MSP measures
        enquiries("E08000025", {(EXPRESSED, "Not Achieved"): 5, ("No", None): 5}, enquiry_type="Other"),
        # another year must not leak into 2023-24
        enquiries("E08000025", {(EXPRESSED, "Not Achieved"): 7}, year="2022-23"),
        enquiries("E08000026", COVENTRY),
        enquiries("E09000002", BARKING),
    ], ignore_index=True)


def test_counts_of_one_council_by_hand(df_enquiries):
    counts = pathway_counts(df_enquiries, ["ons_code", "financial_year"])
    row = counts.set_index(["ons_code", "financial_year"]).loc[("E08000025", YEAR)]
    assert row[COUNT_COLUMNS].tolist() == [10, 6, 2, 1, 1, 3, 2, 1]


def test_other_enquiries_are_excluded(df_enquiries):
    only_other = df_enquiries[df_enquiries["enquiry_type"] == "Other"]
    assert pathway_counts(only_other, ["ons_code"]).empty
    counts = pathway_counts(df_enquiries[df_enquiries["financial_year"] == YEAR], ["ons_code"])
    assert counts["concluded_s42"].sum() == 10 + 4 + 8


def test_rates_match_the_published_definitions(df_enquiries):
    counts = pathway_counts(df_enquiries[df_enquiries["financial_year"] == YEAR], ["ons_code"])
    rates = add_rates(counts).set_index("ons_code").loc["E08000025"]
    # asked % = (asked & expressed + asked not expressed) / concluded S42
    assert rates["asked_pct"] == pytest.approx(100 * (6 + 2) / 10)
    # expressed % = expressed / concluded S42
    assert rates["expressed_pct"] == pytest.approx(100 * 6 / 10)
    # achieved % are shares of fully + partially + not
    assert rates["fully_pct"] == pytest.approx(100 * 3 / 6)
    assert rates["partially_pct"] == pytest.approx(100 * 2 / 6)
    assert rates["not_pct"] == pytest.approx(100 * 1 / 6)
    assert rates["fully_or_partially_pct"] == pytest.approx(100 * 5 / 6)


def test_achieved_rates_of_a_group_sum_to_100(df_enquiries):
    rates = add_rates(pathway_counts(df_enquiries, ["ons_code", "financial_year"]))
    total = rates[["fully_pct", "partially_pct", "not_pct"]].sum(axis=1)
    assert np.allclose(total, 100)


def test_zero_denominators_give_missing_rates():
    counts = pd.DataFrame([dict.fromkeys(COUNT_COLUMNS, 0), {**dict.fromkeys(COUNT_COLUMNS, 0),
                                                            "concluded_s42": 4, "asked_not_expressed": 4}])
    rates = add_rates(counts)
    assert rates.loc[0, list(RATE_DEFINITIONS)].isna().all()
    assert rates.loc[1, "asked_pct"] == pytest.approx(100)
    assert rates.loc[1, "expressed_pct"] == 0
    assert rates.loc[1, ["fully_pct", "partially_pct", "not_pct", "fully_or_partially_pct"]].isna().all()


def test_add_rates_keeps_the_counts_and_the_input_unchanged(df_enquiries):
    counts = pathway_counts(df_enquiries, ["ons_code"])
    before = counts.copy()
    rates = add_rates(counts)
    pd.testing.assert_frame_equal(counts, before)
    pd.testing.assert_frame_equal(rates[before.columns], before)


# --- locality comparison ------------------------------------------------------------------


def test_locality_comparison_has_council_region_and_england_rows(df_enquiries):
    table = locality_comparison(df_enquiries, "E08000025", YEAR)
    assert table["level"].tolist() == ["council", "region", "England"]
    assert table["name"].tolist() == ["Birmingham", "West Midlands", "England"]
    assert table["concluded_s42"].tolist() == [10, 10 + 4, 10 + 4 + 8]
    assert table["asked_expressed"].tolist() == [6, 6 + 2, 6 + 2 + 4]
    assert table["fully"].tolist() == [3, 3 + 1, 3 + 1 + 4]


def test_locality_comparison_rates_by_hand(df_enquiries):
    table = locality_comparison(df_enquiries, "E08000025", YEAR).set_index("level")
    assert table.loc["council", "fully_pct"] == pytest.approx(50.0)
    assert table.loc["region", "fully_pct"] == pytest.approx(100 * 4 / 8)
    assert table.loc["region", "asked_pct"] == pytest.approx(100 * 10 / 14)
    assert table.loc["England", "fully_pct"] == pytest.approx(100 * 8 / 12)
    assert table.loc["England", "asked_pct"] == pytest.approx(100 * (8 + 2 + 8) / 22)
    assert list(table.columns) == ["name", *COUNT_COLUMNS, *RATE_DEFINITIONS]


@pytest.mark.parametrize("ons_code,year", [("E06000001", YEAR), ("E08000026", "2022-23")])
def test_locality_comparison_without_rows_for_the_council_is_an_error(df_enquiries, ons_code, year):
    with pytest.raises(ValueError, match=f"{ons_code}.*{year}"):
        locality_comparison(df_enquiries, ons_code, year)


# --- one series per area; changes between two years ---------------------------------------------------


@pytest.mark.parametrize(("code", "series"), [
    ("E06000065", ["E10000023", "E06000065"]),  # North Yorkshire: new code, same area
    ("E06000066", ["E10000027", "E06000066"]),  # Somerset
    ("E06000060", ["E10000002", "E06000060"]),  # Buckinghamshire
    ("E06000063", ["E06000063"]),  # Cumberland: Cumbria split in two, so a new series
    ("E06000059", ["E06000059"]),  # Dorset: the old county also passed part to BCP
    ("E06000058", ["E06000058"]),  # BCP: a merger
    ("E08000025", ["E08000025"]),  # Birmingham: no change
    ("E10000023", ["E10000023"]),  # the old code is its own series' start
    ("X", ["X"]),  # not a council
])
def test_series_codes_follow_one_to_one_successors_only(code, series):
    assert series_codes(code) == series


def _per_council(rows):
    columns = ["financial_year", "ons_code", "council_name", "region", "fully"]
    return pd.DataFrame(rows, columns=columns)


def test_area_totals_carry_a_predecessors_years_into_its_successors_series():
    per_council = _per_council([
        ("2022-23", "E10000023", "North Yorkshire", "Yorkshire and the Humber", 10),
        ("2022-23", "E08000019", "Sheffield", "Yorkshire and the Humber", 5),
        ("2023-24", "E06000065", "North Yorkshire", "Yorkshire and the Humber", 12),
        ("2023-24", "E08000019", "Sheffield", "Yorkshire and the Humber", 6),
    ])
    totals = area_totals(per_council, ["fully"], "E06000065")
    council = totals[totals["level"] == "council"]
    assert council["financial_year"].tolist() == ["2022-23", "2023-24"] and council["fully"].tolist() == [10, 12]
    region = totals[totals["level"] == "region"]
    assert region["fully"].tolist() == [15, 18]
    cumbria = _per_council([("2022-23", "E10000006", "Cumbria", "North West", 9),
                            ("2023-24", "E06000063", "Cumberland", "North West", 4)])
    council = area_totals(cumbria, ["fully"], "E06000063").query("level == 'council'")
    assert council["financial_year"].tolist() == ["2023-24"], "a split starts a new series"


def test_change_p_value_by_hand():
    # 50/100 against 70/100: pooled p = 0.6, se = sqrt(0.6 * 0.4 * (1/100 + 1/100)) = 0.069282, z = 2.8868
    assert change_p_value(50, 100, 70, 100) == pytest.approx(2 * stats.norm.sf(0.2 / 0.069282), rel=1e-4)
    assert change_p_value(50, 100, 70, 100) == pytest.approx(0.003892, abs=1e-5)
    assert change_p_value(70, 100, 50, 100) == change_p_value(50, 100, 70, 100), "two-sided"
    # 90% to 88% on about 70 people is no clear change
    assert change_p_value(63, 70, 62, 70) > 0.05
    assert change_p_value(5, 10, 5, 10) == pytest.approx(1.0)


def test_change_p_value_uses_fishers_exact_test_for_small_expected_counts():
    # pooled p = 3/20: expected 'yes' count 1.5 per year, below 5
    assert change_p_value(0, 10, 3, 10) == pytest.approx(stats.fisher_exact([[0, 10], [3, 7]])[1])
    assert change_p_value(0, 0, 3, 10) == 1.0 and change_p_value(0, 10, 0, 10) == 1.0 and change_p_value(10, 10, 10, 10) == 1.0


# --- per-council counts shared by every council's report --------------------------------------------


@pytest.fixture(scope="module")
def simulated(cleaned_simulation):
    return cleaned_simulation.clean


def test_several_locations_count_once_each_and_recorded_once_per_enquiry():
    frame = enquiries("E08000025", {(EXPRESSED, "Fully Achieved"): 3}).assign(
        risk_location=["Own Home; Other", "Own Home", None], risk_source=["Service Provider"] * 3, risk_types=None,
        lacked_capacity=None, capacity_support=None, risk_outcome=None)
    counts = national_context(frame).categories["locations"].iloc[0]
    assert (counts["Own Home"], counts["Other"], counts["recorded"], counts["concluded_s42"]) == (2, 1, 2, 3)


def test_shared_work_is_done_once_per_frame(simulated):
    first = national_context(simulated)
    assert national_context(simulated) is first
    copy = simulated.copy()
    assert national_context(copy) is not first, "another frame is another key"


def test_national_context_counts_agree_with_the_pathway(simulated):
    context = national_context(simulated)
    keys = ["financial_year", "ons_code"]
    pathway = context.pathway.set_index(keys)["concluded_s42"]
    for name, counts in context.categories.items():
        assert counts.set_index(keys)["concluded_s42"].reindex(pathway.index).eq(pathway).all(), name
    for key, column in (("locations", "risk_location"), ("sources", "risk_source")):
        counts = context.categories[key]
        mentions = counts[canonical_labels(column)].sum(axis=1)
        assert (counts["recorded"] <= counts["concluded_s42"]).all(), key
        assert (mentions >= counts["recorded"]).all(), key  # several per enquiry: each counts once per label
        if key == "sources":  # the simulator gives some enquiries several sources (not locations: see simulate_feedback)
            assert (mentions > counts["recorded"]).any(), "some enquiries name several sources"
    capacity = context.categories["capacity"]
    assert (capacity["supported"] <= capacity[LACKED_CAPACITY]).all()


# --- the pathway by group ---------------------------------------------------------------------------


def _grouped_frame():
    """Birmingham: 4 who lacked capacity (3 supported), 2 who did not, 1 not recorded; Coventry: 2 who did not."""
    rows = [
        # ons_code, capacity, support, age_band, sex, ethnicity, psr, asked, achieved
        ("E08000025", LACKED_CAPACITY, "Yes", "65-74", "Female", "White", "Physical Support", EXPRESSED, "Fully Achieved"),
        ("E08000025", LACKED_CAPACITY, "Yes", "95+", "Female", "White", "Physical Support", EXPRESSED, "Not Achieved"),
        ("E08000025", LACKED_CAPACITY, "Yes", "95+", None, None, None, NOT_EXPRESSED, None),
        ("E08000025", LACKED_CAPACITY, "No", "18-64", "Male", "Asian / Asian British", "Mental Health Support", "No",
         None),
        ("E08000025", "No, they did not lack capacity", None, "18-64", "Male", "White", "Physical Support", EXPRESSED,
         "Fully Achieved"),
        ("E08000025", "No, they did not lack capacity", None, None, "Male", "White", "Physical Support", EXPRESSED,
         "Partially Achieved"),
        ("E08000025", None, None, "75-84", "Female", "Refused", "Not Known", "Don't Know", None),
        ("E08000026", "No, they did not lack capacity", None, "18-64", "Female", "White", "Physical Support", EXPRESSED,
         "Fully Achieved"),
        ("E08000026", "No, they did not lack capacity", None, "18-64", "Female", "White", "Physical Support", EXPRESSED,
         "Fully Achieved"),
    ]
    frame = pd.DataFrame(rows, columns=["ons_code", "lacked_capacity", "capacity_support", "age_band", "sex", "ethnicity",
                                        "primary_support_reason", "msp_asked", "msp_outcome_achieved"])
    frame["council_name"] = frame["ons_code"].map(lambda c: COUNCILS[c][0])
    frame["region"] = frame["ons_code"].map(lambda c: COUNCILS[c][1])
    frame["financial_year"] = YEAR
    frame["enquiry_type"] = "Section 42"
    other = frame.iloc[:2].assign(enquiry_type="Other")  # other enquiries are not in the pathway by group
    return pd.concat([frame, other], ignore_index=True).astype("object").where(lambda f: f.notna(), None)


def _row(table, level, area, dimension, group):
    from msp_analysis.analysis.pathway import GROUP_COUNTS

    row = table[(table["level"] == level) & (table["area"] == area) & (table["dimension"] == dimension)
                & (table["group"] == group)]
    assert len(row) == 1, (level, area, dimension, group)
    return row.iloc[0][list(GROUP_COUNTS)].astype(int).to_dict()


def test_the_pathway_by_capacity_counts_each_section_42_enquiry_once_in_its_group():
    from msp_analysis.analysis.pathway import pathway_by_group

    table = pathway_by_group(_grouped_frame())
    assert _row(table, "council", "E08000025", "capacity", "lacked") == {
        "concluded_s42": 4, "asked": 3, "not_asked": 1, "asked_expressed": 2, "asked_not_expressed": 1, "fully": 1,
        "not_fully": 1}
    assert _row(table, "council", "E08000025", "capacity", "not_lacked")["fully"] == 1
    assert _row(table, "council", "E08000025", "capacity", "not_known") == {
        "concluded_s42": 1, "asked": 0, "not_asked": 1, "asked_expressed": 0, "asked_not_expressed": 0, "fully": 0,
        "not_fully": 0}


def test_support_is_counted_only_among_people_who_lacked_capacity():
    from msp_analysis.analysis.pathway import pathway_by_group

    table = pathway_by_group(_grouped_frame())
    support = table[(table["level"] == "council") & (table["area"] == "E08000025")
                    & (table["dimension"] == "capacity_support")]
    assert support.set_index("group")["concluded_s42"].to_dict() == {"supported": 3, "not_supported": 1, "not_known": 0}


def test_missing_values_join_the_dimensions_own_not_known_group_so_groups_add_up():
    from msp_analysis.analysis.pathway import group_dimensions, pathway_by_group

    table = pathway_by_group(_grouped_frame())
    assert _row(table, "council", "E08000025", "age_band", "not_known")["concluded_s42"] == 1
    assert _row(table, "council", "E08000025", "sex", "Not Known")["concluded_s42"] == 1
    assert _row(table, "council", "E08000025", "ethnicity", "Undeclared / Not Known")["concluded_s42"] == 1
    council = table[(table["level"] == "council") & (table["area"] == "E08000025")]
    totals = council.groupby("dimension")["concluded_s42"].sum()
    assert totals.drop("capacity_support").eq(7).all(), totals
    for dimension, groups in group_dimensions().items():  # every group is there, zeros included
        assert council.loc[council["dimension"] == dimension, "group"].tolist() == groups


def test_regions_and_england_are_the_sums_of_their_councils():
    from msp_analysis.analysis.pathway import pathway_by_group

    table = pathway_by_group(_grouped_frame())
    west_midlands = _row(table, "region", "West Midlands", "capacity", "not_lacked")
    assert west_midlands["concluded_s42"] == 4 and west_midlands["fully"] == 3
    assert _row(table, "England", "England", "capacity", "not_lacked") == west_midlands
    assert set(table["level"]) == {"council", "region", "England"}


def test_the_counts_add_up_inside_every_group():
    from msp_analysis.analysis.pathway import pathway_by_group

    table = pathway_by_group(_grouped_frame())
    assert (table["asked"] + table["not_asked"] == table["concluded_s42"]).all()
    assert (table["asked_expressed"] + table["asked_not_expressed"] == table["asked"]).all()
    assert (table["fully"] + table["not_fully"] == table["asked_expressed"]).all()


def test_the_pathway_by_group_agrees_with_the_pathway_on_the_simulation(cleaned_simulation):
    from msp_analysis.analysis.pathway import pathway_by_group

    frame = cleaned_simulation.clean
    table = pathway_by_group(frame)
    capacity = table[(table["level"] == "council") & (table["dimension"] == "capacity")]
    summed = capacity.groupby(["financial_year", "area"])[["concluded_s42", "asked_expressed", "fully"]].sum()
    pathway = national_context(frame).pathway.set_index(["financial_year", "ons_code"])
    summed.index.names = pathway.index.names
    joined = summed.join(pathway[["concluded_s42", "asked_expressed", "fully"]].add_suffix("_pathway"))
    for column in ("concluded_s42", "asked_expressed", "fully"):
        assert (joined[column] == joined[f"{column}_pathway"]).all(), column


def _category_counts_by_strings(s42, column, labels, multi=False):
    """The string-keyed version _category_counts replaced: the reference it must equal."""
    from msp_analysis.analysis.pathway import AREA_COLUMNS

    values = s42[column].astype("string")
    keys = area_keys = s42[AREA_COLUMNS].astype(str)
    if multi:
        exploded = values.str.split("; ").explode()
        keys = keys.loc[exploded.index]
        values = exploded
    frame = keys.assign(_label=values.to_numpy())
    frame = frame[frame["_label"].isin(labels)]
    counts = frame.groupby(AREA_COLUMNS + ["_label"], sort=False).size().unstack("_label", fill_value=0)
    counts = counts.reindex(columns=labels, fill_value=0)
    out = area_keys.value_counts().rename("concluded_s42").to_frame().join(counts, how="left")
    if multi:
        named = frame[~frame.index.duplicated()]
        out = out.join(named.groupby(AREA_COLUMNS, sort=False).size().rename("recorded"), how="left")
    out = out.fillna(0).astype("int64").reset_index()
    out.columns.name = None
    return out.sort_values(["financial_year", "ons_code"]).reset_index(drop=True)


@pytest.mark.parametrize("multi", [False, True])
def test_category_counts_on_codes_equal_the_string_keyed_counts(multi):
    from msp_analysis.analysis.pathway import _category_counts

    rng = np.random.default_rng(8)
    n = 3000
    labels = ["Own Home", "Care Home", "Hospital", "Never seen"]
    cells = np.array(["Own Home", "Care Home", "Hospital", "Other", "", None, "Own Home; Hospital",
                      "Own Home; Own Home", "Care Home; Other", "Hospital;Other"], dtype=object)
    codes = rng.integers(0, 7, n)
    s42 = pd.DataFrame({
        "financial_year": np.where(rng.random(n) < 0.5, "2022-23", "2023-24"),
        "ons_code": np.array([f"E0600000{c}" for c in codes], dtype=object),
        "council_name": np.array([f"Council {c}" for c in codes], dtype=object),
        "region": np.array(["North East", "London"], dtype=object)[codes % 2],
        "risk_location": cells[rng.integers(0, len(cells), n)],
    }, index=rng.permutation(n) + 10)
    s42.loc[s42.index[:5], "region"] = None  # an area key missing: left out, as value_counts leaves it out
    ours = _category_counts(s42, "risk_location", labels, multi=multi)
    reference = _category_counts_by_strings(s42, "risk_location", labels, multi=multi)
    pd.testing.assert_frame_equal(ours, reference)
    assert ours["Never seen"].eq(0).all() and ours["concluded_s42"].sum() == n - 5
