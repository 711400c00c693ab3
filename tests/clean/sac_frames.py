"""SAC long-CSV rows for tests, the cleaner with its invariants, and a writer back to the long layout.

Shared by tests/clean/test_sac.py, tests/analysis/test_msp_rates.py and
tests/disclosure/test_sac_export.py.
"""

import pandas as pd

from msp_analysis.clean.sac import OUTPUT_COLUMNS, clean_sac
from msp_analysis.clean.sac_codebook import ENGLAND_LA_CODE, SAC_LONG_COLUMNS, YEAR_COLUMN, sac_labels
from msp_analysis.reference import geography

SOURCE = "sac_2023-24.csv"
BIRMINGHAM = {"GEOGRAPHY": "Council", "COUNCIL_TYPE": "Metropolitan District", "REGION_CODE": "E12000005",
              "REGION_NAME": "West Midlands", "ONS_CODE": "E08000025", "LA_CODE": "406", "LA_NAME": "Birmingham"}
ENGLAND = {"GEOGRAPHY": "England", "COUNCIL_TYPE": "", "REGION_CODE": "", "REGION_NAME": "", "ONS_CODE": "",
           "LA_CODE": "1010", "LA_NAME": "England"}
MSP_LABELS = sac_labels("SG4a")
CAPACITY_LABELS = sac_labels("SG3a", "capacity")


def row(**changes: object) -> dict:
    """One valid long-CSV row: Birmingham, SG4a, fully achieved, 12."""
    base = {**BIRMINGHAM, "TABLE_REFERENCE": "SG4a", "ENQUIRY_TYPE": "Concluded Section 42 Enquiries",
            "CATEGORY": "Fully Achieved", "SUBCATEGORY": "", "VALUE": "12"}
    unknown = set(changes) - set(base) - {YEAR_COLUMN}
    assert not unknown, f"not a SAC column: {unknown}"
    base.update(changes)
    return base


def frame(*rows: dict) -> pd.DataFrame:
    columns = ([YEAR_COLUMN] if any(YEAR_COLUMN in r for r in rows) else []) + SAC_LONG_COLUMNS
    return pd.DataFrame(list(rows), columns=columns).fillna("")


def cleaned(data: pd.DataFrame, source: str = SOURCE, **options):
    """clean_sac, checking the invariants every result must keep."""
    result = clean_sac(data, source=source, **options)
    assert result.reconciles(), (result.rows_in, result.rows_clean, result.rows_rejected)
    assert result.rows_in == len(result.clean) + result.rows_rejected
    assert list(result.clean.columns) == OUTPUT_COLUMNS
    assert list(result.rejects.columns) == ["file", "row", "column", "value", "reason"]
    assert result.rejects["reason"].str.len().gt(0).all()
    return result


def long_layout(df_sac: pd.DataFrame) -> pd.DataFrame:
    """A clean SAC frame written back in the long CSV layout (text), with a ``FINANCIAL_YEAR`` column first.

    Values show as a published file would: ``1,234``, the marker given, ``[c]`` for suppressed
    and ``[x]`` for not submitted, so cleaning the result must give the same values again.
    """
    level = df_sac["geography_level"].astype("string")
    region = df_sac["region"].astype("string")
    region_code = region.map(dict((n, c) for c, n in geography.REGIONS))
    number = df_sac["value"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    shown = df_sac["marker"].astype("string").fillna("")
    shown = shown.where(shown.ne("") | ~df_sac["suppressed"], "[c]")
    shown = shown.where(~df_sac["not_submitted"] | df_sac["marker"].notna(), "[x]")
    return pd.DataFrame({
        YEAR_COLUMN: df_sac["financial_year"],
        "GEOGRAPHY": level,
        "COUNCIL_TYPE": df_sac["name"].where(level.eq("Council type")),
        "REGION_CODE": region_code,
        "REGION_NAME": region,
        "ONS_CODE": df_sac["ons_code"],
        "LA_CODE": df_sac["cassr_code"].where(level.ne("England"), ENGLAND_LA_CODE),
        "LA_NAME": df_sac["name"].where(level.isin(["England", "Council"])),
        "TABLE_REFERENCE": df_sac["table"],
        "ENQUIRY_TYPE": df_sac["enquiry_type"],
        "CATEGORY": df_sac["label"],
        "SUBCATEGORY": df_sac["sublabel"],
        "VALUE": shown.where(shown.ne(""), number),
    }).astype("string").fillna("").reset_index(drop=True)
