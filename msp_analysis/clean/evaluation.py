"""Clean record-level enquiry exports (kind ``evaluation``): one row per concluded enquiry.

Councils' case-management exports differ in labels, codes, year spellings and quality.
:func:`clean_evaluation` maps them to the tidy schema (``schemas.EVALUATION``, docs/data.md) with SAC labels,
and rejects — with a reason per problem — every row that breaks a consistency rule,
so that nothing is dropped silently.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from msp_analysis.clean.common import (
    SOURCE_FILE,
    SOURCE_ROW,
    CleanResult,
    canonicalise,
    canonicalise_multi,
    financial_years_of,
    map_unique,
    match_columns,
    normalise_identifier,
    parse_dates,
    parse_financial_years,
    reject_lines,
    with_source,
)
from msp_analysis.clean.schemas import (
    COUNCIL_CODE,
    YEAR,
    DatasetKind,
    labels,
    output_columns,
    output_dtypes,
    rule,
    schema,
    typed_column,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import ACTION_ON_RISK, EXPRESSED, LACKED_CAPACITY

REQUIRED_COLUMNS = ["enquiry_id", "enquiry_type", "concluded_date", "msp_asked", "msp_outcome_achieved"]
MULTI_FIELDS = {  # several labels per cell, cleaned alike: the collection counts one for each that applies
    "risk_types": "not a recognised risk type (SG2a); separate several with ';'",
    "risk_location": "not a recognised location of risk (SG2b); separate several with ';'",
    "risk_source": "not a recognised source of risk (SG2b); separate several with ';'",
}
LABEL_FIELDS = [
    "enquiry_type",
    "sex",
    "ethnicity",
    "primary_support_reason",
    "risk_assessment_outcome",
    "risk_outcome",
    "lacked_capacity",
    "capacity_support",
    "msp_asked",
    "msp_outcome_achieved",
]
# the output contract: column order, exact dtypes and the rules across columns
SCHEMA = schema("evaluation", {
    "enquiry_id": typed_column("string", unique=True, description="The council's enquiry reference; unique."),
    "person_id": typed_column("string", nullable=True, description="Pseudonymised person reference; may repeat."),
    "ons_code": typed_column("string", COUNCIL_CODE, description="ONS code of the council in that financial year."),
    "cassr_code": typed_column("string", pa.Check.str_matches(r"^\d{3}$"), description="3-digit CASSR code (text)."),
    "council_name": typed_column("string", description="Council name from the package geography."),
    "region": typed_column("string", description="ADASS region of the council."),
    "locality": typed_column("string", nullable=True, description="Team or locality, when the export has one."),
    "enquiry_type": labels("enquiry_type", "Section 42 or other enquiry.", nullable=False),
    "concern_date": typed_column("datetime64[us]", nullable=True, description="Date the concern was raised."),
    "enquiry_start_date": typed_column("datetime64[us]", nullable=True, description="Date the enquiry started."),
    "concluded_date": typed_column("datetime64[us]", description="Date the enquiry concluded."),
    "financial_year": typed_column("string", YEAR, description="YYYY-YY, from the concluded date (1 April to 31 March)."),
    "age": typed_column("Int64", pa.Check.in_range(18, 120), nullable=True, description="Age in years (18+)."),
    "age_band": typed_column("string", pa.Check.isin(["18-64", "65-74", "75-84", "85-94", "95+"]), nullable=True,
                       description="SG1a age band derived from age."),
    "sex": labels("sex", "SG1b sex."),
    "ethnicity": labels("ethnicity", "SG1c ethnicity."),
    "primary_support_reason": labels("primary_support_reason", "SG1d primary support reason."),
    "risk_types": typed_column("string", nullable=True,
                         description="SG2a types of risk, several joined by '; ' in codebook order."),
    "risk_location": typed_column("string", nullable=True,
                                  description="SG2b locations of risk, several joined by '; ' in codebook order."),
    "risk_source": typed_column("string", nullable=True,
                                description="SG2b sources of risk, several joined by '; ' in codebook order."),
    "risk_assessment_outcome": labels("risk_assessment_outcome", "SG2c risk assessment outcome."),
    "risk_outcome": labels("risk_outcome", "SG2e; present exactly when a risk was identified and action taken."),
    "lacked_capacity": labels("lacked_capacity", "SG3a mental capacity."),
    "capacity_support": labels("capacity_support", "SG3a advocate, family or friend; only when capacity was lacking."),
    "msp_asked": labels("msp_asked", "SG4a asked about desired outcomes."),
    "msp_outcome_achieved": labels("msp_outcome_achieved", "SG4a; present exactly when outcomes were expressed."),
}, [
    rule("achieved_exactly_when_expressed", "msp_outcome_achieved must be present exactly when outcomes were expressed",
          lambda d: d["msp_outcome_achieved"].notna() == d["msp_asked"].isin([EXPRESSED])),
    rule("risk_outcome_exactly_when_action", "risk_outcome must be present exactly when a risk was identified and action taken",
          lambda d: d["risk_outcome"].notna() == d["risk_assessment_outcome"].isin([ACTION_ON_RISK])),
    rule("start_not_after_concluded", "enquiry_start_date must not be after concluded_date",
          lambda d: ~(d["enquiry_start_date"] > d["concluded_date"]).fillna(False)),
    rule("capacity_support_only_when_lacked", "capacity_support only when the person lacked capacity",
          lambda d: d["capacity_support"].isna() | d["lacked_capacity"].isin([LACKED_CAPACITY])),
])

OUTPUT_COLUMNS = output_columns(SCHEMA)
OUTPUT_DTYPES = output_dtypes(SCHEMA)
DATE_COLUMNS = ("concern_date", "enquiry_start_date", "concluded_date")
FIRST_FINANCIAL_YEAR_START = pd.Timestamp("2015-04-01")
AGE_BANDS = [(18, 64, "18-64"), (65, 74, "65-74"), (75, 84, "75-84"), (85, 94, "85-94"), (95, 200, "95+")]


def age_band(age: pd.Series) -> pd.Series:
    """SG1a age band of each age; missing ages give missing bands."""
    bands = pd.Series(pd.NA, index=age.index, dtype="string")
    for low, high, label in AGE_BANDS:
        bands = bands.mask(age.between(low, high).fillna(False), label)  # nullable NA is not a band
    return bands


def clean_evaluation(
    frame: pd.DataFrame, source: str = "evaluation.csv", today: pd.Timestamp | None = None
) -> CleanResult:
    """Clean one or more enquiry exports read as text.

    `frame` may carry ``_source_file``/``_source_row`` (several files combined); otherwise
    rows are numbered as in a CSV with its header on row 1 of `source`.

    >>> result = clean_evaluation(raw_export)          # doctest: +SKIP
    >>> result.reconciles(), result.rejects.reason.value_counts()  # doctest: +SKIP
    """
    today = today or pd.Timestamp.today().normalize()
    df = match_columns(with_source(frame, source), REQUIRED_COLUMNS, source).reset_index(drop=True)
    for optional in OUTPUT_COLUMNS:
        if optional not in df:
            df[optional] = pd.NA
    problems: list[pd.DataFrame] = []
    rejected = np.zeros(len(df), dtype=bool)

    def reject(mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        if mask.any():
            problems.append(reject_lines(df, mask, column, reason))
            rejected[mask] = True

    out = pd.DataFrame(index=df.index)
    ids = map_unique(df["enquiry_id"], lambda u: u.map(normalise_identifier, na_action="ignore"))
    reject(ids.isna() | ids.eq(""), "enquiry_id", "enquiry_id is blank; every enquiry needs its own ID")
    duplicate = ids.duplicated(keep="first") & ids.notna() & ids.ne("")
    if duplicate.any():
        reject(duplicate, "enquiry_id", _duplicate_reasons(df, ids, duplicate))
    out["enquiry_id"] = ids
    out["person_id"] = df["person_id"].astype("string").str.strip()
    out["locality"] = df["locality"].astype("string").str.strip()

    unrecognised_by_field = {}
    for name in LABEL_FIELDS:
        canonical, unrecognised_by_field[name], _ = canonicalise(df[name], name)
        reject(unrecognised_by_field[name], name, f"not a recognised {name} label; see the codebook labels.csv")
        out[name] = canonical
    for name, reason in MULTI_FIELDS.items():
        several, unrecognised = canonicalise_multi(df[name], name)
        reject(unrecognised, name, reason)
        out[name] = several
    reject(out["enquiry_type"].isna() & ~unrecognised_by_field["enquiry_type"], "enquiry_type",
           "enquiry type missing or unknown; expected 'Section 42' or 'Other'")

    for name in DATE_COLUMNS:
        parsed = parse_dates(df[name])
        reject(parsed.isna() & df[name].notna() & df[name].astype("string").str.strip().ne(""), name,
               "not a date; expected YYYY-MM-DD or DD/MM/YYYY")
        out[name] = parsed
    concluded = out["concluded_date"]
    concluded_blank = df["concluded_date"].astype("string").str.strip().fillna("").eq("")  # CSVs give "", not NaN
    reject(concluded_blank, "concluded_date", "concluded date missing; the financial year comes from it")
    reject(concluded > today, "concluded_date", "concluded date is in the future")
    reject(concluded < FIRST_FINANCIAL_YEAR_START, "concluded_date", "concluded before 2015-16, the first SAC year")
    reject(out["enquiry_start_date"] > concluded, "enquiry_start_date", "enquiry starts after it was concluded")
    reject(out["concern_date"] > out["enquiry_start_date"], "concern_date", "concern raised after the enquiry started")

    derived_year = financial_years_of(concluded)
    given_year = parse_financial_years(df["financial_year"])
    given_raw = df["financial_year"].astype("string").str.strip()
    reject(given_year.isna() & given_raw.notna() & given_raw.ne(""), "financial_year",
           "not a financial year; expected e.g. 2023-24")
    reject(given_year.notna() & derived_year.notna() & given_year.ne(derived_year), "financial_year",
           "financial year contradicts the concluded date (years run 1 April to 31 March)")
    out["financial_year"] = derived_year

    out = out.join(_resolve_councils(df, derived_year, reject))

    age = map_unique(df["age"], lambda uniques: pd.to_numeric(uniques, errors="coerce"), dtype="Float64")
    reject(age.isna() & df["age"].notna() & df["age"].astype("string").str.strip().ne(""), "age", "age is not a number")
    reject(age < 18, "age", "age under 18; adult safeguarding covers people aged 18 and over")
    reject(age > 120, "age", "age over 120; check the date of birth")
    reject(age.notna() & (age % 1 != 0), "age", "age is not a whole number of years; give the age in completed "
           "years (e.g. 64.5 is 64)")
    out["age"] = age.where(age % 1 == 0).astype("Int64")  # fractional ages are rejected above, never truncated
    out["age_band"] = age_band(age)

    expressed = out["msp_asked"].isin([EXPRESSED])
    achieved = out["msp_outcome_achieved"].notna()
    reject(achieved & ~expressed, "msp_outcome_achieved",
           "achievement recorded but the person did not express outcomes (msp_asked)")
    reject(expressed & ~achieved, "msp_outcome_achieved",
           "outcomes were expressed but whether they were achieved is not recorded")
    action = out["risk_assessment_outcome"].isin([ACTION_ON_RISK])
    has_outcome = out["risk_outcome"].notna()
    reject(has_outcome & ~action, "risk_outcome",
           "risk outcome given but no action was taken on an identified risk")
    reject(action & ~has_outcome, "risk_outcome",
           "action taken on an identified risk but the risk outcome is missing")
    reject(out["capacity_support"].notna() & ~out["lacked_capacity"].isin([LACKED_CAPACITY]), "capacity_support",
           "capacity support recorded but the person did not lack capacity")

    rejects = pd.concat(problems, ignore_index=True) if problems else reject_lines(df, df.index < 0, "", "")
    rejects = rejects.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    clean = out.loc[~rejected, OUTPUT_COLUMNS].reset_index(drop=True).astype(OUTPUT_DTYPES)
    return CleanResult(clean=clean, rejects=rejects, rows_in=len(df), rows_rejected=int(rejected.sum()))


def _duplicate_reasons(df: pd.DataFrame, ids: pd.Series, duplicate: pd.Series) -> pd.Series:
    """Why each repeated ID is rejected: where it was first seen, naming that file when it is another one."""
    first = ~duplicate & ids.isin(ids[duplicate])
    first_row = df.loc[first, SOURCE_ROW].astype("int64").set_axis(ids[first])
    first_file = df.loc[first, SOURCE_FILE].astype(str).set_axis(ids[first])
    rows, files = ids.map(first_row).astype("Int64"), ids.map(first_file)
    reasons = [
        "duplicate enquiry_id" + ("" if str(raw).strip() == shown else
                                  f" ({shown!r} once invisible characters and full-width forms are ignored)")
        + f"; first seen at row {row}" + (f" of {file}" if file != here else "")
        for shown, raw, row, file, here in zip(ids, df["enquiry_id"], rows, files, df[SOURCE_FILE].astype(str),
                                              strict=True)
    ]
    return pd.Series(reasons, index=df.index, dtype=object)


def _pair_codes(code: pd.Series, year: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer code of each row's (council code, year) pair, and the distinct pairs.

    Resolving a council is slow-ish Python; an export has a few hundred distinct pairs across
    a million rows, so each pair is resolved once and the answers are spread back by code.
    """
    code_codes, code_values = pd.factorize(code, use_na_sentinel=True)
    year_codes, year_values = pd.factorize(year, use_na_sentinel=True)
    valid = (code_codes >= 0) & (year_codes >= 0)
    combined = np.where(valid, code_codes.astype(np.int64) * (len(year_values) + 1) + year_codes, -1)
    pairs, pair_codes = np.unique(combined, return_inverse=True)
    distinct = pd.DataFrame({
        "code": [code_values[p // (len(year_values) + 1)] if p >= 0 else None for p in pairs],
        "year": [year_values[p % (len(year_values) + 1)] if p >= 0 else None for p in pairs],
    })
    return pair_codes.reshape(-1), distinct


def _resolve_pairs(code: pd.Series, year: pd.Series) -> pd.Series:
    """Canonical ONS code of each row's council in its year (missing when unknown)."""
    pair_codes, distinct = _pair_codes(code, year)
    resolved = np.array([
        geography.resolve_council(c, y) if c and y in geography.FINANCIAL_YEARS else None
        for c, y in zip(distinct["code"], distinct["year"], strict=True)
    ], dtype=object)
    return pd.Series(resolved[pair_codes] if len(resolved) else [], index=code.index, dtype="string")


def _resolve_councils(df: pd.DataFrame, year: pd.Series, reject) -> pd.DataFrame:
    """ONS code, CASSR code, name and region of each row's council in its financial year."""
    ons = df["ons_code"].astype("string").str.strip()
    cassr = map_unique(df["cassr_code"], lambda u: u.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True))
    code = ons.where(ons.notna() & ons.ne(""), cassr)
    known_year = year.isin(geography.FINANCIAL_YEARS)  # other years have no council list to resolve against
    ons_resolved = _resolve_pairs(code, year)
    has_code = code.notna() & code.ne("")
    both = has_code & ons.ne("") & cassr.notna() & cassr.ne("") & known_year
    by_cassr = _resolve_pairs(cassr.where(both), year)
    reject(both & ons_resolved.notna() & by_cassr.notna() & ons_resolved.ne(by_cassr), "cassr_code",
           "ons_code and cassr_code name different councils; correct one of them")
    reject(~has_code, "ons_code", "no council code; give ons_code (E06…/E08…/E09…/E10…) or cassr_code")
    reject(has_code & known_year & ons_resolved.isna(), "ons_code",
           "unknown council code for that financial year; see `msp-analysis councils --year YEAR`")
    reject(year.notna() & (year > geography.FINANCIAL_YEARS[-1]), "concluded_date",
           f"concluded after {geography.FINANCIAL_YEARS[-1]}, the last year of the council codebook (councils.csv)")
    pair_codes, distinct = _pair_codes(ons_resolved, year)
    by_year = {y: geography.councils(y).set_index("ons_code")[["cassr_code", "name", "region"]]
               for y in distinct["year"].dropna().unique() if y in geography.FINANCIAL_YEARS}
    details = pd.DataFrame(
        [by_year[y].loc[c].tolist() if c is not None and y in by_year else [None, None, None]
         for c, y in zip(distinct["code"], distinct["year"], strict=True)],
        columns=["cassr_code", "name", "region"], dtype="string",
    )
    spread = details.take(pair_codes).set_axis(df.index) if len(details) else details.reindex(range(len(df)))
    return pd.DataFrame({
        "ons_code": ons_resolved,
        "cassr_code": spread["cassr_code"],
        "council_name": spread["name"],
        "region": spread["region"],
    })


KIND = DatasetKind("evaluation", clean_evaluation, SCHEMA, (
    "Record-level concluded enquiries, one row per enquiry (docs/data.md, Record-level enquiries)."))
