"""Clean people's own feedback after a safeguarding enquiry (kind ``person_feedback``), one row per person asked.

A council asks the person (or, for them, a representative or an advocate) at the enquiry's closure or within
eight weeks after: the SG4a questions as the person answers them — were they asked about the outcomes they
wanted, did they express any, were those fully, partly or not achieved — and the six 'I' statements of the
founding resource (``codebook/person_items.csv``, verbatim from its Appendix 2), each on the five-point
agreement scale (*Strongly disagree* … *Strongly agree*, stored 1-5; the variants of
``codebook/answer_scales.csv`` and the unknown markers are read as for the temperature check). The wording is
the resource's: nothing is invented.

Input columns (matched ignoring case and punctuation): ``enquiry_id``, ``ons_code``, ``financial_year`` (the
year the enquiry concluded) required; ``answered_by``, ``answered_when``, ``msp_asked``,
``msp_outcome_achieved`` and the six ``i_<principle>`` columns optional. What rejects a row (each problem is
one reject line naming its column; the row counts once): a blank ``enquiry_id``; an unreadable year or one
outside the geography's years; an ``ons_code`` that is not a council that year; a label that is neither a
known variant nor an unknown marker; an 'I' statement answer that is not on the agreement scale; an
achievement given although no outcomes were expressed; the same enquiry answered twice at the same time.
Unknown markers (*Don't know*, blank …) are missing answers, not errors.
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
    normalise_column_name,
    parse_financial_years,
    reject_lines,
    with_source,
)
from msp_analysis.clean.schemas import (
    COUNCIL_CODE,
    DatasetKind,
    labels,
    output_columns,
    output_dtypes,
    rule,
    schema,
    typed_column,
)
from msp_analysis.clean.temperature_check import answer_key, answer_scales
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import EXPRESSED, feedback_labels, normalise_label, person_items, unknown_markers
from msp_analysis.toolkit.errors import UnusableInputError

REQUIRED = ["enquiry_id", "ons_code", "financial_year"]
OPTIONAL_LABELS = {"answered_by": "answered_by", "answered_when": "answered_when"}
SG4A = ("msp_asked", "msp_outcome_achieved")


def statement_columns() -> list[str]:
    """The 'I' statement columns, in the resource's order of the principles (``i_empowerment`` …)."""
    return person_items()["item_id"].tolist()


def _feedback_column(field: str, description: str) -> pa.Column:
    choices = list(dict.fromkeys(feedback_labels(field).values()))
    return typed_column("string", pa.Check.isin(choices), nullable=True,
                        description=f"{description} One of: {'; '.join(choices)}.")


def _statement_columns() -> dict[str, pa.Column]:
    items = person_items()
    return {item: typed_column("Int64", pa.Check.in_range(1, 5), nullable=True,
                               description=f"'{wording}' ({principle}; 1 strongly disagree to 5 strongly agree).")
            for item, principle, wording in zip(items["item_id"], items["principle"], items["wording"], strict=True)}


SCHEMA = schema("person_feedback", {
    "enquiry_id": typed_column("string", description="The council's enquiry reference the feedback is about."),
    "ons_code": typed_column("string", COUNCIL_CODE, description="ONS code of the council in that financial year."),
    "financial_year": typed_column("string", pa.Check.str_matches(r"^\d{4}-\d{2}$"),
                                   description="YYYY-YY: the year the enquiry concluded."),
    "region": typed_column("string", description="ADASS region of the council."),
    "answered_by": _feedback_column("answered_by", "Who answered."),
    "answered_when": _feedback_column("answered_when", "When they were asked."),
    "msp_asked": labels("msp_asked", "SG4a as the person says: asked about desired outcomes."),
    "msp_outcome_achieved": labels("msp_outcome_achieved", "SG4a as the person says; only when outcomes were expressed."),
    **_statement_columns(),
    "source_file": typed_column("string", description="File the row came from."),
    "source_row": typed_column("int64", description="Row of that file (its header is row 1)."),
}, rules=[rule("achieved_only_when_expressed", "msp_outcome_achieved only when outcomes were expressed",
              lambda df: df["msp_outcome_achieved"].isna() | df["msp_asked"].eq(EXPRESSED).fillna(False))])

KIND_DESCRIPTION = ("People's own feedback after an enquiry, one row per person asked: SG4a as they say it and the "
                    "six 'I' statements (docs/instrument.md).")


def _labels(values: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    lookup, markers = feedback_labels(field), unknown_markers()
    keys = values.astype("string").fillna("").map(normalise_label)
    canonical = keys.map(lookup).astype("string")
    unrecognised = canonical.isna() & ~keys.isin(markers.keys()) & keys.ne("")
    return canonical, unrecognised


def _agreement(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Likert answers as 1-5 (Int64, NA when not known) and a mask of answers not on the scale."""
    scales, markers = answer_scales(), unknown_markers()
    text = values.astype("string").fillna("").str.strip().str.lstrip("'")
    out, bad = [], []
    for cell in text:
        key = answer_key(cell)
        if normalise_label(cell) in markers or key == "" or scales.get(key, ("",))[0] == "unknown":
            out.append(pd.NA)
            bad.append(False)
        elif key in scales and scales[key][0] == "likert5":
            out.append(int(scales[key][1]))
            bad.append(False)
        else:
            out.append(pd.NA)
            bad.append(True)
    return pd.Series(out, index=values.index, dtype="Int64"), pd.Series(bad, index=values.index)


def clean_person_feedback(frame: pd.DataFrame, source: str = "person_feedback.csv") -> CleanResult:
    """Clean people's feedback read as text (see the module docstring); rejects reconcile with the rows in.

    >>> result = clean_person_feedback(read_table("feedback.csv"))  # doctest: +SKIP
    >>> result.reconciles()                                          # doctest: +SKIP
    True
    """
    df = with_source(frame, source)
    df = df.rename(columns={c: normalise_column_name(c) for c in df.columns if not str(c).startswith("_source")})
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise UnusableInputError(f"{source}: missing column(s) {', '.join(missing)}; a person-feedback file needs "
                                 f"{', '.join(REQUIRED)} (see docs/instrument.md)")
    statements = statement_columns()
    for column in [*OPTIONAL_LABELS, *SG4A, *statements]:
        if column not in df:
            df[column] = ""
    text = {c: df[c].astype("string").fillna("").str.strip() for c in [*REQUIRED, *OPTIONAL_LABELS, *SG4A, *statements]}
    rejects = []
    bad = pd.Series(False, index=df.index)

    def reject(mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        nonlocal bad
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rejects.append(reject_lines(df.assign(**{column: text.get(column, df.get(column))}), mask, column, reason))
            bad |= mask

    reject(text["enquiry_id"].eq(""), "enquiry_id", "blank enquiry_id; every feedback row names the enquiry it is about")
    year = parse_financial_years(text["financial_year"]).astype("string")
    known_year = year.isin(geography.FINANCIAL_YEARS)
    reject(~known_year, "financial_year", "not a financial year of the package's geography (e.g. 2023-24)")
    code = text["ons_code"].str.upper()
    region = pd.Series(pd.NA, index=df.index, dtype="string")
    for wave in year[known_year].dropna().unique():
        councils = geography.councils(str(wave)).set_index("ons_code")["region"]
        here = year.eq(wave).fillna(False)
        region[here] = code[here].map(councils)
    reject(known_year & region.isna(), "ons_code", "not a council's ONS code in that financial year")
    clean_labels = {}
    for column, field in OPTIONAL_LABELS.items():
        clean_labels[column], unrecognised = _labels(text[column], field)
        reject(unrecognised, column, "not a known answer; expected one of: "
               + ", ".join(dict.fromkeys(feedback_labels(field).values())))
    for column in SG4A:
        clean_labels[column], unrecognised, _ = canonicalise(text[column], column)
        reject(unrecognised, column, "not a known SG4a answer (codebook labels.csv)")
    achieved_without = clean_labels["msp_outcome_achieved"].notna() & clean_labels["msp_asked"].ne(EXPRESSED).fillna(True)
    reject(achieved_without, "msp_outcome_achieved", "an achievement is given although no outcomes were expressed")
    answers = {}
    for column in statements:
        answers[column], off_scale = _agreement(text[column])
        reject(off_scale, column, "not an answer on the agreement scale (Strongly disagree … Strongly agree)")
    keys = pd.DataFrame({"e": text["enquiry_id"], "c": code, "w": clean_labels["answered_when"].fillna("")})
    repeat = pd.Series(False, index=df.index)
    repeat[~bad] = keys[~bad].duplicated(keep="first")  # a rejected row does not make a later one a repeat
    reject(repeat, "enquiry_id", "the same enquiry's feedback at the same time is already on an earlier row")
    keep = ~bad
    clean = pd.DataFrame({
        "enquiry_id": text["enquiry_id"], "ons_code": code, "financial_year": year, "region": region,
        **clean_labels, **answers,
        "source_file": df[SOURCE_FILE].astype(str), "source_row": df[SOURCE_ROW].astype("int64"),
    })[keep][output_columns(SCHEMA)].astype(output_dtypes(SCHEMA)).reset_index(drop=True)
    columns = ["file", "row", "column", "value", "reason"]
    reject_frame = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(columns=columns)
    return CleanResult(clean=clean, rejects=reject_frame.sort_values(["row", "column"], kind="stable")
                       .reset_index(drop=True), rows_in=len(df), rows_rejected=int(np.sum(bad)))


KIND = DatasetKind("person_feedback", clean_person_feedback, SCHEMA, KIND_DESCRIPTION)
