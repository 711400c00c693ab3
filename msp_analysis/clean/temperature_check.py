"""Clean temperature-check returns (kind ``temperature_check``) into one row per answer.

A region's return file has one row per organisation × respondent × wave and one column
per instrument item (``codebook/instrument.csv``: the items the return template asks and, where a
return carries their columns, the item bank drawn from the same resource), answered on a 5-point Likert scale, on
a RAG scale (``Red`` … ``Green``), as numbers, or — for the staffing items — as
percentages and caseloads. :func:`clean_temperature_check` reads every variant through
``codebook/answer_scales.csv`` and returns a tidy long frame that keeps the scale each
answer was given on; :func:`wide_answers` turns it into the wide frame
:func:`msp_analysis.analysis.indicators.council_scores` expects.

What is rejected, and how much of the row goes with it:

* **the whole row** (counted in ``rows_rejected``): blank ``org_id``; blank or unreadable
  ``wave``; a wave outside the council codebook's years; a blank ``ons_code`` or one that
  is not a council in that wave; a ``region`` that is not an English region or differs
  from the host council's; a respondent that repeats within organisation × wave. Without
  these the answers cannot be attributed to a council, a wave or one person.
* **one answer** (the row is kept; the answer has ``answer_rejected`` set and no value):
  text that is neither a known answer nor an unknown marker; a number outside 1-5 (or not
  whole) for a Likert item; a percentage outside 0-100; a negative or non-numeric
  caseload; a RAG rating of a reverse-coded (negatively worded) item, where it is unclear
  whether ``Red`` means "this happens" or "poor". One bad cell should not cost the rest
  of a respondent's answers.
* **a column** (reject line on row 1, the header; no data row is counted): a column that
  is not an identity column, ``respondent_id``, ``notes`` or an instrument item. Its
  answers are not used; the rows are kept.

Reconciliation is at the level of input rows: ``CleanResult.rows_kept`` counts the input
rows kept (each has one output row per item), so ``rows_in == rows_clean +
rows_rejected`` still holds although the output is long. Free-text ``notes`` are carried
as text and never interpreted.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pandera.pandas as pa

from msp_analysis.clean.common import (
    REJECT_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    CleanResult,
    normalise_column_name,
    with_source,
)
from msp_analysis.clean.schemas import (
    COUNCIL_CODE,
    REGION_NAMES,
    YEAR,
    DatasetKind,
    output_columns,
    output_dtypes,
    rule,
    schema,
    typed_column,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    instrument,
    normalise_label,
    read_codebook,
    unknown_markers,
)
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.caches import frame_cache
from msp_analysis.toolkit.errors import UnusableInputError

REQUIRED_COLUMNS = ["org_id", "ons_code", "wave"]
IDENTITY_COLUMNS = ["org_id", "org_name", "org_type", "ons_code", "region", "wave", "respondent_role"]
RESPONDENT_ID = "respondent_id"
NOTES = "notes"
NOTES_REVIEWED = "notes_reviewed"  # the return marks the note as reviewed for publication
REVIEWED_YES, REVIEWED_NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")
# the output contract: column order, exact dtypes and the rules across columns
_ANSWER_SCALES = sorted((set(instrument(include_bank=True)["answer_scale"])
                         | set(read_codebook("answer_scales.csv")["scale"])) - {"unknown"})

SCHEMA = schema("temperature_check", {
    "org_id": typed_column("string", description="The organisation's ID as the return gives it."),
    "org_name": typed_column("string", nullable=True, description="Organisation name (text, never interpreted)."),
    "org_type": typed_column("string", nullable=True, description="Kind of organisation (council, NHS trust, police …)."),
    "ons_code": typed_column("string", COUNCIL_CODE, description="ONS code of the host council in the wave's year."),
    "region": typed_column("string", pa.Check.isin(REGION_NAMES), description="ADASS region of the host council."),
    "wave": typed_column("string", YEAR, description="Financial year of the return (YYYY-YY)."),
    "respondent": typed_column("string", description="respondent_id, else 1, 2, … by position within organisation and wave."),
    "respondent_role": typed_column("string", nullable=True, description="The respondent's role, as given."),
    "item_id": typed_column("string", pa.Check.isin(list(instrument(include_bank=True)["item_id"])),
                      description="Instrument item (codebook instrument.csv)."),
    "indicator": typed_column("string", pa.Check.isin(list(instrument(include_bank=True)["indicator"].unique())),
                        description="Culture indicator the item measures (indicators.csv)."),
    "answer": typed_column("string", nullable=True, description="The answer as given; missing when blank."),
    "scale": typed_column("string", pa.Check.isin(_ANSWER_SCALES),
                    description="Scale the answer was read on: likert5, rag5, percent or number."),
    "value": typed_column("float64", nullable=True,
                    description="1-5 for Likert and RAG answers, the number for staffing items; missing when "
                                "the answer is missing or rejected."),
    "reverse_coded": typed_column("bool", description="The item is negatively worded (instrument.csv)."),
    "missing": typed_column("bool", description="Blank, or an unknown marker (Don't know, Prefer not to say …)."),
    "answer_rejected": typed_column("bool", description="The answer could not be read; a reject line says why."),
    "notes": typed_column("string", nullable=True, description="Free text, verbatim, never interpreted."),
    "notes_reviewed": typed_column("bool", description="The return marks the note as reviewed for publication "
                                                       "(yes / no; blank or no column: no). Reports print only such notes."),
    "source_file": typed_column("string", description="File the answer came from."),
    "source_row": typed_column("int64", pa.Check.ge(1), description="Row of that file (its header is row 1)."),
}, [
    rule("no_value_when_missing_or_rejected", "a missing or rejected answer has no value",
          lambda d: ~(d["missing"] | d["answer_rejected"]) | d["value"].isna()),
    rule("ordinal_values_1_to_5", "Likert and RAG values run from 1 to 5",
          lambda d: d["value"].isna() | ~d["scale"].isin(["likert5", "rag5"]) | d["value"].between(1, 5)),
])

OUTPUT_COLUMNS = output_columns(SCHEMA)
OUTPUT_DTYPES = output_dtypes(SCHEMA)
WIDE_ID_COLUMNS = ["org_id", "ons_code", "wave", RESPONDENT_ID]
ORDINAL_SCALES = ("likert5", "rag5")
HEADER_ROW = 1

ROW_LEFT_OUT = "; the whole row is left out"
ANSWER_LEFT_OUT = "; this answer is left out, the rest of the row is kept"
EXPECTED_ORDINAL = ("expected Strongly disagree … Strongly agree, 1-5, or Red / Red/Amber / Amber / Amber/Green / "
                    "Green (variants in codebook answer_scales.csv)")


# --- reading one answer ---------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s/\\\-_.,:;=()\[\]]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_NUMBERED_LABEL = (
    re.compile(r"^(?P<number>[1-5]) (?P<label>\D.*)$"),  # "4 - Agree"
    re.compile(r"^(?P<label>\D.*) (?P<number>[1-5])$"),  # "Agree (4)"
)


def answer_key(text: str) -> str:
    """Matching key for an answer: case, dash style and separators (``/ - _`` spaces) do not matter.

    >>> answer_key("Red-Amber") == answer_key("red / amber")
    True
    """
    return _SEPARATORS.sub(" ", normalise_label(text)).strip()


@cache
def answer_scales() -> dict[str, tuple[str, float]]:
    """Map answer keys to (scale, value) from ``codebook/answer_scales.csv``.

    Scale ``unknown`` marks survey non-answers (``Prefer not to say``); their value is NaN.
    A key listed twice with different meanings is an error in the codebook, not a guess.
    """
    table = read_codebook("answer_scales.csv")
    lookup: dict[str, tuple[str, float]] = {}
    seen: dict[str, tuple[str, str]] = {}
    for scale, variant, value in zip(table["scale"], table["variant"], table["value"], strict=True):
        key = answer_key(variant)
        if seen.setdefault(key, (scale, value)) != (scale, value):
            raise ValueError(f"answer_scales.csv: {variant!r} is listed as {seen[key]} and {(scale, value)}")
        lookup[key] = (scale, float(value) if value else float("nan"))
    return lookup


class _Answer(NamedTuple):
    """What one distinct answer text can mean; the item decides which reading applies."""

    missing: bool = False
    label_scale: str = ""
    label_value: float = np.nan
    number: float = np.nan
    percent_sign: bool = False
    mismatch: bool = False


def _read_answer(raw: object) -> _Answer:
    """Read one answer text as an unknown marker, a scale label, a number, or none of these."""
    if raw is None or raw is pd.NA or (isinstance(raw, float) and np.isnan(raw)):
        return _Answer(missing=True)
    text = str(raw).strip().lstrip("'").strip()  # a leading ' is a spreadsheet text prefix (write_csv adds it)
    if normalise_label(text) in unknown_markers():
        return _Answer(missing=True)
    number, percent_sign = _read_number(text)
    key = answer_key(text)
    scales = answer_scales()
    if key in scales:
        scale, value = scales[key]
        if scale == "unknown":
            return _Answer(missing=True)
        return _Answer(label_scale=scale, label_value=value, number=number, percent_sign=percent_sign)
    for pattern in _NUMBERED_LABEL:  # "4 - Agree", "Agree (4)", "1 = Red"
        match = pattern.match(key)
        if match and match["label"] in scales and scales[match["label"]][0] in ORDINAL_SCALES:
            scale, value = scales[match["label"]]
            if float(match["number"]) != value:
                return _Answer(mismatch=True)
            return _Answer(label_scale=scale, label_value=value)
    return _Answer(number=number, percent_sign=percent_sign)


def _read_number(text: str) -> tuple[float, bool]:
    """A plain number (``12.5``, ``1,250``, ``12 %``) and whether it carried a percent sign."""
    compact = text.replace(" ", "")
    percent_sign = compact.endswith("%")
    if percent_sign:
        compact = compact[:-1]
    if _THOUSANDS.fullmatch(compact):
        compact = compact.replace(",", "")
    return (float(compact), percent_sign) if _NUMBER.fullmatch(compact) else (np.nan, percent_sign)


# --- the cleaner ------------------------------------------------------------------------------

ROW_REASONS = {
    "org_id": "org_id is blank; every organisation needs its own ID",
    "wave_blank": "wave is blank; expected the financial year of the return, e.g. 2023-24",
    "wave_unreadable": "not a financial year; expected e.g. 2023-24 (2023/24, 2023-2024 and FY2023 also work)",
    "wave_outside": f"wave outside {geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]}, "
                    "the years of the council codebook (councils.csv)",
    "ons_blank": "no council code; give the host council's ons_code (E06…/E08…/E09…/E10…) or CASSR code",
    "ons_unknown": "unknown council code for that wave; see `msp-analysis councils --year YEAR`",
    "region_unknown": "not an English region; expected e.g. North West or its code E12000002",
}


MAX_CASELOAD = 10_000  # open enquiries per worker; more is a typing error, and 10**400 would be infinity
# Why an answer is rejected, in the order of the conditions in `_answers` (0: no problem).
ANSWER_REASONS = (
    "",
    "number outside 1-5 or not a whole number; Likert answers run from 1 (Strongly disagree) to 5 (Strongly agree)",
    "the number and the label disagree (e.g. '5 - Agree'); give one of them",
    "RAG rating of a negatively worded (reverse-coded) item: unclear whether Red means 'this happens' or 'poor'; "
    "answer it on the Likert scale",
    "not a recognised answer; " + EXPECTED_ORDINAL,
    "percentage outside 0-100",
    "not a percentage; expected a number from 0 to 100, e.g. 12.5",
    f"caseload outside 0 to {MAX_CASELOAD:,}; expected the average number of open enquiries per worker, e.g. 14.5",
    "not a number; expected the average number of open enquiries per worker, e.g. 14.5",
)


def clean_temperature_check(frame: pd.DataFrame, source: str = "temperature_check.csv") -> CleanResult:
    """Clean temperature-check returns read as text into one row per respondent × item.

    `frame` may carry ``_source_file``/``_source_row`` (several files combined); otherwise
    rows are numbered as in a CSV with its header on row 1 of `source`. The result lists
    kept rows in source order, each with one row per item in instrument order, so it does
    not depend on the order of `frame`. See the module docstring for what rejects a row,
    an answer or a column.

    >>> result = clean_temperature_check(raw_returns)                  # doctest: +SKIP
    >>> result.reconciles(), council_scores(wide_answers(result.clean))  # doctest: +SKIP
    """
    df, original_names = _match_columns(with_source(frame, source), source)
    items = instrument(include_bank=True).set_index("item_id")
    item_columns = [item for item in items.index if item in df.columns]
    extra = [c for c in df.columns if not c.startswith("_source") and c not in item_columns
             and c not in IDENTITY_COLUMNS + [RESPONDENT_ID, NOTES, NOTES_REVIEWED]]
    if not item_columns:
        raise UnusableInputError(
            f"{source}: no instrument item columns (expected e.g. {', '.join(items.index[:3])}, see codebook "
            f"instrument.csv); found {', '.join(original_names.values())}. Is this a temperature-check return?"
        )
    files = df[SOURCE_FILE].astype(str).to_numpy(dtype=object)
    rows = df[SOURCE_ROW].to_numpy(dtype="int64")
    order = np.lexsort((rows, files.astype(str)))  # source order, so the result does not depend on row order
    df, files, rows = df.iloc[order].reset_index(drop=True), files[order], rows[order]
    raw = {c: _cells(df[c]) if c in df else np.full(len(df), "", dtype=object)
           for c in IDENTITY_COLUMNS + [RESPONDENT_ID, NOTES, NOTES_REVIEWED]}
    text = {c: np.array([v.strip() for v in values], dtype=object) for c, values in raw.items()}
    blank = {c: values == "" for c, values in text.items()}

    row_lines: list[dict[str, np.ndarray]] = []
    row_rejected = np.zeros(len(df), dtype=bool)

    def reject_rows(mask: np.ndarray, column: str, reason: str | np.ndarray) -> None:
        hit = np.flatnonzero(mask)
        if len(hit):
            reasons = reason[hit] if isinstance(reason, np.ndarray) else np.full(len(hit), reason, dtype=object)
            row_lines.append({"file": files[hit], "row": rows[hit], "column": np.full(len(hit), column, dtype=object),
                              "value": raw[column][hit], "reason": reasons + ROW_LEFT_OUT})
            row_rejected[hit] = True

    reject_rows(blank["org_id"], "org_id", ROW_REASONS["org_id"])
    reviewed_text = np.array([v.casefold() for v in text[NOTES_REVIEWED]], dtype=object)
    reject_rows(~np.isin(reviewed_text, REVIEWED_YES + REVIEWED_NO), NOTES_REVIEWED,
                "notes_reviewed must be yes or no (blank: no)")
    parsed = {value: parse_financial_year(value) for value in set(text["wave"]) if value}
    wave = np.array([parsed.get(value) for value in text["wave"]], dtype=object)
    known_year = np.array([year in geography.FINANCIAL_YEARS for year in wave], dtype=bool)
    reject_rows(blank["wave"], "wave", ROW_REASONS["wave_blank"])
    reject_rows(~blank["wave"] & pd.isna(wave), "wave", ROW_REASONS["wave_unreadable"])
    reject_rows(pd.notna(wave) & ~known_year, "wave", ROW_REASONS["wave_outside"])

    pairs = list(zip(text["ons_code"], wave, strict=True))
    resolved = {pair: geography.resolve_council(*pair) for pair in set(pairs)
                if pair[0] and pair[1] in geography.FINANCIAL_YEARS}
    ons_code = np.array([resolved.get(pair) for pair in pairs], dtype=object)
    reject_rows(blank["ons_code"], "ons_code", ROW_REASONS["ons_blank"])
    reject_rows(~blank["ons_code"] & known_year & pd.isna(ons_code), "ons_code", ROW_REASONS["ons_unknown"])

    council_region = _council_regions(ons_code, wave)
    given_region = _canonical_regions(text["region"])
    reject_rows(~blank["region"] & pd.isna(given_region), "region", ROW_REASONS["region_unknown"])
    contradicts = pd.notna(given_region) & pd.notna(council_region) & (given_region != council_region)
    reject_rows(contradicts, "region", np.array(
        [f"region differs from the host council's ({region}); check ons_code and region" for region in council_region],
        dtype=object))

    respondent = _respondents(text["org_id"], wave, text["wave"], text[RESPONDENT_ID])
    repeated, first_seen = _repeated_respondents(text["org_id"], wave, respondent, ~row_rejected)
    if repeated.any():
        reject_rows(repeated, RESPONDENT_ID, np.array(
            ["respondent repeats within this organisation and wave (a blank respondent_id is numbered 1, 2, … "
             f"by position); first seen at {files[first]} row {rows[first]}" for first in first_seen], dtype=object))

    long, answer_rejects = _answers(df, files, rows, item_columns, items, original_names)
    keep = ~row_rejected[long["_row"]]
    at = long["_row"][keep]

    def column(values: np.ndarray, dtype: str = "string") -> pd.api.extensions.ExtensionArray:
        return pd.array(values[at], dtype=dtype)

    def text_or_na(name: str) -> np.ndarray:
        return np.where(blank[name], None, text[name])

    clean = pd.DataFrame({
        "org_id": column(text["org_id"]),
        "org_name": column(text_or_na("org_name")),
        "org_type": column(text_or_na("org_type")),
        "ons_code": column(ons_code),
        "region": column(council_region),
        "wave": column(wave),
        "respondent": column(respondent),
        "respondent_role": column(text_or_na("respondent_role")),
        **{name: pd.array(values[keep], dtype="string") if values.dtype == object else values[keep]
           for name, values in long.items() if name != "_row"},
        "notes": column(np.where(blank[NOTES], None, raw[NOTES])),  # verbatim, never read
        "notes_reviewed": column(np.isin(reviewed_text, REVIEWED_YES), "bool"),
        "source_file": column(files),
        "source_row": column(rows, "int64"),
    })[OUTPUT_COLUMNS].astype(OUTPUT_DTYPES)

    row_rejects = pd.DataFrame({name: np.concatenate([line[name] for line in row_lines]) for name in REJECT_COLUMNS}
                               if row_lines else {name: [] for name in REJECT_COLUMNS})
    rejects = pd.concat([_header_rejects(df, extra, original_names), row_rejects, answer_rejects], ignore_index=True)
    rejects = rejects.astype({"file": str, "row": "int64", "column": str, "value": str, "reason": str})
    rejects = rejects.sort_values(["file", "row", "column", "reason"], kind="stable").reset_index(drop=True)
    rows_rejected = int(row_rejected.sum())
    return CleanResult(clean=clean, rejects=rejects, rows_in=len(df), rows_rejected=rows_rejected,
                       rows_kept=len(df) - rows_rejected)


def _cells(values: pd.Series) -> np.ndarray:
    """Cells as Python strings, missing ones as ``""`` (CSV readers give either)."""
    return np.array(["" if pd.isna(v) else str(v) for v in values.to_numpy(dtype=object)], dtype=object)


def _match_columns(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Canonical column names, plus each one's spelling in the file for reject lines."""
    original: dict[str, str] = {}
    for column in frame.columns:
        if str(column).startswith("_source"):
            continue
        name = normalise_column_name(column)
        if name in original:
            raise UnusableInputError(
                f"{source}: columns {original[name]!r} and {column!r} both read as {name!r}; keep one of them"
            )
        original[name] = str(column)
    df = frame.rename(columns={v: k for k, v in original.items()})
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise UnusableInputError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(original.values())}"
        )
    return df, original


def _header_rejects(df: pd.DataFrame, extra: list[str], original_names: dict[str, str]) -> pd.DataFrame:
    """One line per unknown column and file, on row 1: the header is where to fix it."""
    lines = []
    for column in extra:
        present = df[column].notna()  # a column of one combined file is NaN in the others
        header = original_names[column]
        filled = present & df[column].astype("string").str.strip().ne("")
        if not filled.any() and (not header.strip() or header.startswith("Unnamed:")):
            continue  # an empty, unnamed column (a trailing comma) holds nothing to lose
        files = df.loc[present if present.any() else df.index, SOURCE_FILE].astype(str).unique()
        for file in sorted(files):
            lines.append({
                "file": file, "row": HEADER_ROW, "column": header, "value": header,
                "reason": "not an item of the instrument (codebook instrument.csv), an identity column, "
                          "respondent_id, notes or notes_reviewed; its answers are not used, the rows are kept",
            })
    return pd.DataFrame(lines, columns=REJECT_COLUMNS)


def _canonical_regions(region: np.ndarray) -> np.ndarray:
    """Canonical region names; blank or text that is not a region gives None."""
    mapping: dict[str, str | None] = {"": None}
    for value in set(region) - {""}:
        try:
            mapping[value] = geography.canonical_region(value)
        except ValueError:
            mapping[value] = None
    return np.array([mapping[value] for value in region], dtype=object)


def _council_regions(ons_code: np.ndarray, wave: np.ndarray) -> np.ndarray:
    """Region of each row's host council in its wave (None where the council is not known)."""
    lookup = {}
    for year in {year for code, year in zip(ons_code, wave, strict=True) if code is not None}:
        table = geography.councils(year)
        lookup.update({(code, year): region for code, region in zip(table["ons_code"], table["region"], strict=True)})
    return np.array([lookup.get(pair) for pair in zip(ons_code, wave, strict=True)], dtype=object)


def _respondents(org_id: np.ndarray, wave: np.ndarray, wave_text: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Respondent ID if given, else the row's position (1, 2, …) in source order within org × wave.

    Positions count every row of the organisation and wave, rejected or not, so fixing a
    rejected row does not renumber the others.
    """
    seen: dict[tuple, int] = {}
    out = np.empty(len(org_id), dtype=object)
    for i, key in enumerate(zip(org_id, [w or t for w, t in zip(wave, wave_text, strict=True)], strict=True)):
        seen[key] = seen.get(key, 0) + 1
        out[i] = given[i] or str(seen[key])
    return out


def _repeated_respondents(org_id: np.ndarray, wave: np.ndarray, respondent: np.ndarray,
                          candidates: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Rows (in source order) repeating an earlier kept respondent of the same org × wave, and that row."""
    first: dict[tuple, int] = {}
    repeated = np.zeros(len(org_id), dtype=bool)
    first_seen = []
    for i in np.flatnonzero(candidates):
        key = (org_id[i], wave[i], respondent[i])
        if key in first:
            repeated[i] = True
            first_seen.append(first[key])
        else:
            first[key] = i
    first_of_row = np.zeros(len(org_id), dtype="int64")
    first_of_row[repeated] = first_seen
    return repeated, list(first_of_row)


def _answers(df: pd.DataFrame, files: np.ndarray, rows: np.ndarray, item_columns: list[str], items: pd.DataFrame,
             original_names: dict[str, str]) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Melt the item columns and read each distinct answer once; return answer columns and answer rejects."""
    n_rows, n_items = len(df), len(item_columns)
    row = np.repeat(np.arange(n_rows), n_items)
    item = np.tile(np.asarray(item_columns, dtype=object), n_rows)
    meta = {name: dict(zip(items.index, items[name], strict=True))
            for name in ("answer_scale", "reverse_coded", "indicator")}
    item_scale = np.tile(np.array([meta["answer_scale"][c] for c in item_columns], dtype=object), n_rows)
    reverse = np.tile(np.array([meta["reverse_coded"][c] for c in item_columns], dtype=bool), n_rows)
    indicator = np.tile(np.array([meta["indicator"][c] for c in item_columns], dtype=object), n_rows)

    cells = np.column_stack([df[c].to_numpy(dtype=object) for c in item_columns]).ravel()  # row by row
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    readings = pd.DataFrame([_read_answer(value) for value in uniques] + [_Answer(missing=True)],
                            columns=_Answer._fields)
    codes = np.where(codes < 0, len(uniques), codes)  # a missing cell reads as the last, "missing" reading
    answer = np.array([str(value) for value in uniques] + [None], dtype=object)[codes]
    read = {name: readings[name].to_numpy()[codes] for name in _Answer._fields}

    missing = read["missing"].astype(bool)
    number = read["number"].astype(float)
    has_number = ~np.isnan(number) & ~read["percent_sign"].astype(bool)
    label_scale = read["label_scale"].astype(object)
    label_value = read["label_value"].astype(float)
    ordinal = np.isin(item_scale, ORDINAL_SCALES)
    percent, count = item_scale == "percent", item_scale == "number"
    percent_number = ~np.isnan(number)  # "12%" is a fine percentage

    whole_1_to_5 = has_number & (number == np.round(number)) & (number >= 1) & (number <= 5)
    ordinal_label = np.isin(label_scale, ORDINAL_SCALES)
    ordinal_number = ordinal & ~missing & whole_1_to_5
    ordinal_by_label = ordinal & ~missing & ~whole_1_to_5 & ~has_number & ordinal_label
    rag_on_reversed = ordinal_by_label & (label_scale == "rag5") & reverse

    conditions = [
        missing,
        ordinal & has_number & ~whole_1_to_5,
        ordinal & read["mismatch"].astype(bool),
        rag_on_reversed,
        ordinal & ~ordinal_number & ~ordinal_by_label,
        percent & percent_number & ((number < 0) | (number > 100)),
        percent & ~percent_number,
        count & has_number & ((number < 0) | ~(number <= MAX_CASELOAD)),  # inf (400 nines) is out of range too
        count & ~has_number,
    ]
    problem = np.select(conditions, np.arange(len(conditions)), default=0)  # index into ANSWER_REASONS
    rejected = problem > 0
    value = np.select(
        [rejected | missing, ordinal_number, ordinal_by_label, percent | count],
        [np.nan, number, label_value, number],
        default=np.nan,
    )
    scale = np.where(ordinal_by_label & ~rejected, label_scale, item_scale)

    long = {
        "_row": row,
        "item_id": item,
        "indicator": indicator,
        "answer": answer,
        "scale": scale,
        "value": value.astype("float64"),
        "reverse_coded": reverse,
        "missing": missing,
        "answer_rejected": rejected,
    }
    hit = np.flatnonzero(rejected)
    rejects = pd.DataFrame({
        "file": files[row[hit]],
        "row": rows[row[hit]],
        "column": np.array([original_names[c] for c in item[hit]], dtype=object),
        "value": np.array(["" if a is None else a for a in answer[hit]], dtype=object),
        "reason": np.array([ANSWER_REASONS[p] + ANSWER_LEFT_OUT for p in problem[hit]], dtype=object),
    }, columns=REJECT_COLUMNS)
    return long, rejects


# --- back to the wide frame the indicators expect ---------------------------------------------


@frame_cache  # a report scores the same returns several ways (indicators, step groups, key questions): pivoted once
def wide_answers(clean_long: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent with numeric item columns, the frame ``council_scores`` expects.

    Likert and RAG answers are both on 1-5; staffing items keep their numbers; missing and
    rejected answers are NaN. Rows keep the order of the long frame. ``respondent_id`` makes
    the result a valid input to :func:`clean_temperature_check` again.

    >>> council_scores(wide_answers(clean_temperature_check(raw).clean))  # doctest: +SKIP
    """
    keys = ["org_id", "ons_code", "wave", "respondent"]
    absent = [c for c in keys + ["item_id", "value"] if c not in clean_long]
    if absent:
        raise ValueError(f"not a clean temperature-check frame: missing column(s) {', '.join(absent)}")
    present = set(clean_long["item_id"].dropna().unique())
    item_order = [i for i in instrument(include_bank=True)["item_id"] if i in present]
    # each key column factorised alone, the codes combined into one integer per row and that factorised: the
    # respondents in first-seen order, as factorising the rows' key tuples gives, without building the tuples
    codes = [pd.factorize(clean_long[key], use_na_sentinel=False) for key in keys]
    combined = np.ravel_multi_index([c for c, _ in codes], [max(len(u), 1) for _, u in codes])
    respondent, _ = pd.factorize(combined)
    first_rows = np.unique(respondent, return_index=True)[1]
    column = clean_long["item_id"].map({item: i for i, item in enumerate(item_order)}).to_numpy(dtype="int64")
    grid = np.full((len(first_rows), len(item_order)), np.nan)
    grid[respondent, column] = clean_long["value"].to_numpy(dtype=float)
    wide = clean_long[keys].iloc[first_rows].reset_index(drop=True)
    wide = wide.set_axis(WIDE_ID_COLUMNS, axis=1).astype(str)
    return pd.concat([wide, pd.DataFrame(grid, columns=item_order)], axis=1)


KIND = DatasetKind("temperature_check", clean_temperature_check, SCHEMA, (
    "Temperature-check returns, one row per respondent × instrument item, each answer on the scale it "
    "was given (docs/data.md, Temperature-check returns)."))
