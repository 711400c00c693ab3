"""Pandera schemas of the tidy outputs: the data contract every cleaner's output must meet.

The schemas carry the consistency rules across fields, so a cleaner that lets a broken row
through fails its tests, and ``docs/data_dictionary.md`` is generated from them so the
documentation cannot drift from the code (``msp-analysis data-dictionary``).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from msp_analysis.reference.codebook import canonical_labels
from msp_analysis.reference.geography import FINANCIAL_YEARS

SCHEMA_VERSION = "1"
YEAR = pa.Check.isin(list(FINANCIAL_YEARS))


def _labels(field: str, description: str, nullable: bool = True) -> pa.Column:
    return pa.Column("string", pa.Check.isin(canonical_labels(field)), nullable=nullable,
                     description=f"{description} Canonical SAC labels: {'; '.join(canonical_labels(field))}.")


def _rule(name: str, error: str, fn) -> pa.Check:
    return pa.Check(fn, name=name, error=error, element_wise=False)


EXPRESSED = "Yes they were asked and outcomes were expressed"
ACTION = "Risk identified and action taken"

EVALUATION = pa.DataFrameSchema(
    {
        "enquiry_id": pa.Column("string", unique=True, description="The council's enquiry reference; unique."),
        "person_id": pa.Column("string", nullable=True, description="Pseudonymised person reference; may repeat."),
        "ons_code": pa.Column("string", pa.Check.str_matches(r"^E(06|08|09|10)\d{6}$"),
                              description="ONS code of the council in that financial year."),
        "cassr_code": pa.Column("string", pa.Check.str_matches(r"^\d{3}$"), description="3-digit CASSR code (text)."),
        "council_name": pa.Column("string", description="Council name from the package geography."),
        "region": pa.Column("string", description="ADASS region of the council."),
        "locality": pa.Column("string", nullable=True, description="Team or locality, when the export has one."),
        "enquiry_type": _labels("enquiry_type", "Section 42 or other enquiry.", nullable=False),
        "concern_date": pa.Column("datetime64[us]", nullable=True, description="Date the concern was raised."),
        "enquiry_start_date": pa.Column("datetime64[us]", nullable=True, description="Date the enquiry started."),
        "concluded_date": pa.Column("datetime64[us]", description="Date the enquiry concluded."),
        "financial_year": pa.Column("string", YEAR, description="YYYY-YY, from the concluded date (1 April to 31 March)."),
        "age": pa.Column("Int64", pa.Check.in_range(18, 120), nullable=True, description="Age in years (18+)."),
        "age_band": pa.Column("string", pa.Check.isin(["18-64", "65-74", "75-84", "85-94", "95+"]), nullable=True,
                              description="SG1a age band derived from age."),
        "sex": _labels("sex", "SG1b sex."),
        "ethnicity": _labels("ethnicity", "SG1c ethnicity."),
        "primary_support_reason": _labels("primary_support_reason", "SG1d primary support reason."),
        "risk_types": pa.Column("string", nullable=True,
                                description="SG2a types of risk, several joined by '; ' in codebook order."),
        "risk_location": _labels("risk_location", "SG2b location of risk."),
        "risk_source": _labels("risk_source", "SG2b source of risk."),
        "risk_assessment_outcome": _labels("risk_assessment_outcome", "SG2c risk assessment outcome."),
        "risk_outcome": _labels("risk_outcome", "SG2e; present exactly when a risk was identified and action taken."),
        "lacked_capacity": _labels("lacked_capacity", "SG3a mental capacity."),
        "capacity_support": _labels("capacity_support", "SG3a advocate, family or friend; only when capacity was lacking."),
        "msp_asked": _labels("msp_asked", "SG4a asked about desired outcomes."),
        "msp_outcome_achieved": _labels("msp_outcome_achieved", "SG4a; present exactly when outcomes were expressed."),
    },
    checks=[
        _rule("achieved_exactly_when_expressed", "msp_outcome_achieved must be present exactly when outcomes were expressed",
              lambda d: d["msp_outcome_achieved"].notna() == d["msp_asked"].isin([EXPRESSED])),
        _rule("risk_outcome_exactly_when_action", "risk_outcome must be present exactly when a risk was identified and action taken",
              lambda d: d["risk_outcome"].notna() == d["risk_assessment_outcome"].isin([ACTION])),
        _rule("start_not_after_concluded", "enquiry_start_date must not be after concluded_date",
              lambda d: ~(d["enquiry_start_date"] > d["concluded_date"]).fillna(False)),
        _rule("capacity_support_only_when_lacked", "capacity_support only when the person lacked capacity",
              lambda d: d["capacity_support"].isna() | d["lacked_capacity"].isin(["Yes, they lacked capacity"])),
    ],
    strict=True,
    ordered=True,
    name="evaluation",
    description="Record-level concluded enquiries (one row per enquiry), DATA.md §1.2.",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {"evaluation": EVALUATION}


def validate(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate a clean frame against the contract of `kind`; every failure is reported at once."""
    return SCHEMAS[kind].validate(frame, lazy=True)


def data_dictionary() -> str:
    """Markdown data dictionary of every schema (the text of ``docs/data_dictionary.md``)."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `msp_analysis/schemas.py` by `msp-analysis data-dictionary`; do not edit by hand.",
        f"Schema version {SCHEMA_VERSION}.",
    ]
    for kind, schema in SCHEMAS.items():
        lines += ["", f"## `{kind}`", "", schema.description or "", "", "| column | type | nullable | meaning |",
                  "|---|---|---|---|"]
        for name, column in schema.columns.items():
            meaning = (column.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {column.dtype} | {'yes' if column.nullable else 'no'} | {meaning} |")
        if schema.checks:
            lines += ["", "Rules across columns:", ""]
            lines += [f"- `{check.name}`: {check.error}" for check in schema.checks]
    return "\n".join(lines) + "\n"
