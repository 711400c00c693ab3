import pytest

from msp_analysis.reference.financial_years import financial_year_from_name


@pytest.mark.parametrize(
    "name,year",
    [
        ("sac_2023-24.csv", "2023-24"),
        ("Safeguarding Adults, 2024 to 2025.ods", "2024-25"),
        ("safeguarding_adults_2024_to_2025.csv", "2024-25"),
        ("SAC-2019-20-long.csv", "2019-20"),
        ("data/raw/2021-22/sac.csv", "2021-22"),
        ("sac_2018_19.csv", "2018-19"),
        ("ascof_2019_2020.csv", "2019-20"),
        ("sac.csv", None),
        ("sac_2019-21.csv", None),
        # four digits are not a year unless asked for (an ASCOF file), so a SAC file named 2021 stays unknown
        ("sac_2021.csv", None),
    ],
)
def test_year_spelled_in_a_file_name(name, year):
    assert financial_year_from_name(name) == year


@pytest.mark.parametrize(
    "name,year",
    [("meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx", "2020-21"),
     ("meas-from-asc-of-eng-2122-open-data-csv.csv", "2021-22"),
     ("/data/meas-from-asc-of-eng-1819-open-data-csv.csv", "2018-19"),
     ("ascof_2019-20.csv", "2019-20"), ("ascof.csv", None), ("v2_final.xlsx", None),
     # a spelled year wins over compact digits
     ("meas-2122-for-2019-20.csv", "2019-20")],
)
def test_compact_years_as_nhs_digital_names_its_files(name, year):
    assert financial_year_from_name(name, compact=True) == year

