"""Clean Safeguarding Adults Collection (SAC) published tables (kind ``sac``) into one tidy frame of counts.

The SAC is published as one long CSV per year and as wide T-tables (T1–T9; T8 is MSP), with
England, region and council-type rows mixed in with council rows, labels that drift between
years and disclosure markers (``*``, ``[c]``, ``[x]``). :func:`clean_sac` turns either layout
into one row per count with its bounds; what each table reference, label, value and geography
means is read through the codebook by :mod:`msp_analysis.clean.sac_codebook`. Going the other
way (record-level enquiries → a SAC-format file) is ``disclosure.sac_export``; the published
MSP percentages of a clean SAC frame are ``analysis.msp_rates``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from msp_analysis.clean.common import (
    GEOGRAPHY_LEVELS,
    REJECT_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    CleanResult,
    normalise_column_name,
    parse_financial_years,
    with_source,
)
from msp_analysis.clean.sac_codebook import (
    MSP_TABLE,
    SAC_LONG_COLUMNS,
    SUPPRESSED_UPPER,
    TOTAL_LABEL,
    canonical_table,
    known_issues,
    label_index,
    parse_value,
    resolve_geography,
    resolve_label,
    tables,
    terms,
)
from msp_analysis.clean.schemas import (
    AREA_CODE,
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
from msp_analysis.reference.codebook import normalise_label, read_codebook
from msp_analysis.reference.financial_years import financial_year_from_name, parse_financial_year
from msp_analysis.toolkit.errors import UnusableInputError

# --- layouts ---------------------------------------------------------------------------------

_LONG_KEYS = [normalise_column_name(c) for c in SAC_LONG_COLUMNS]
_LONG_REQUIRED = ["table_reference", "category", "value"]
_GEOGRAPHY_KEYS = ["geography", "council_type", "region_code", "region_name", "ons_code", "la_code", "la_name"]
# Wide T-table identifier columns (normalised header -> long key).
_WIDE_ID_COLUMNS = {
    "ons_area_code": "ons_code",
    "ons_code": "ons_code",
    "cassr_code": "la_code",
    "cassr_name": "la_name",
    "council_type_region_name": "type_or_region",
    "council_type_region": "type_or_region",
    "region_name_council_type": "type_or_region",
}
_YEAR_COLUMNS = ("financial_year", "year", "reporting_year", "reporting_period", "period", "fin_year")

# the output contract: column order, exact dtypes and the rules across columns
_SAC_LABELS = sorted(set(read_codebook("sac_labels.csv")["label"]) | {TOTAL_LABEL})

SCHEMA = schema("sac", {
    "financial_year": typed_column("string", YEAR, description="YYYY-YY: the file's year column, else --year, else the file name."),
    "geography_level": typed_column("string", pa.Check.isin(list(GEOGRAPHY_LEVELS)),
                              description="England, Region, Council type or Council."),
    "ons_code": typed_column("string", AREA_CODE, nullable=True,
                       description="E92000001 (England), the region's E12 code or the council's code in that year; "
                                   "missing for a council type."),
    "cassr_code": typed_column("string", pa.Check.str_matches(r"^\d{3}$"), nullable=True,
                         description="3-digit CASSR code of a council (text)."),
    "name": typed_column("string", nullable=True,
                   description="England, the region, the council type or the council's name in the package geography."),
    "region": typed_column("string", pa.Check.isin(REGION_NAMES), nullable=True, description="Region of a council or region row."),
    "table": typed_column("string", pa.Check.isin(list(tables()["table"])),
                    description="SAC table (SG1a … SG5b; wide T8 is SG4a), as in codebook sac_tables.csv."),
    "enquiry_type": typed_column("string", description="SAC enquiry type as published, else the table's (sac_tables.csv)."),
    "label": typed_column("string", pa.Check.isin(_SAC_LABELS), description="Canonical SAC label (sac_labels.csv) or Total."),
    "sublabel": typed_column("string", pa.Check.isin(_SAC_LABELS), nullable=True,
                       description="The second label of a crossed table (SG2b: the source of risk)."),
    "value": typed_column("float64", pa.Check.ge(0), nullable=True,
                    description="The count; missing when suppressed, not submitted or not applicable."),
    "suppressed": typed_column("bool", description="Published as * or [c]: a count of 0 to 4."),
    "value_lower": typed_column("float64", pa.Check.ge(0), nullable=True,
                          description="Lowest count the cell allows (the value, or 0 when suppressed)."),
    "value_upper": typed_column("float64", pa.Check.ge(0), nullable=True,
                          description="Highest count the cell allows (the value, or 4 when suppressed)."),
    "not_submitted": typed_column("bool", description="Published as [x], or a council's SG4a block of zeros only "
                                                "(docs/data.md, Safeguarding Adults Collection)."),
    "marker": typed_column("string", nullable=True, description="The marker as published (*, [c], [x], [z] …), if any."),
    "known_issue": typed_column("string", nullable=True,
                          description="Known revision or reading of the cell (sac_known_issues.csv); values are never changed."),
    "source_file": typed_column("string", description="File the count came from."),
    "source_row": typed_column("int64", pa.Check.ge(1), description="Row of that file (its header is row 1)."),
}, [
    rule("bounds_hold_the_value", "a known value has value_lower = value = value_upper",
          lambda d: d["value"].isna() | (d["value_lower"].eq(d["value"]) & d["value_upper"].eq(d["value"]))),
    rule("suppressed_is_0_to_4", "a suppressed count has no value and bounds 0 to 4",
          lambda d: ~d["suppressed"] | (d["value"].isna() & d["value_lower"].eq(0)
                                        & d["value_upper"].eq(SUPPRESSED_UPPER))),
    rule("not_submitted_has_no_value", "a count not submitted has no value",
          lambda d: ~d["not_submitted"] | d["value"].isna()),
])

OUTPUT_COLUMNS = output_columns(SCHEMA)
OUTPUT_DTYPES = output_dtypes(SCHEMA)
ALL_ZERO_MSP_NOTE = "SG4a block all zero: read as not submitted (docs/data.md, Safeguarding Adults Collection)"
# --- helpers -----------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    """Cells as text, missing as ''. Spaces are stripped later, once per distinct value."""
    return values.astype("string").fillna("")


def _text_frame(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Columns {key: header} of `df` as text named by key (one conversion for all)."""
    block = df[list(columns.values())].astype("string").fillna("")
    block.columns = list(columns)
    return block


def _map_unique(columns: pd.DataFrame, func: Callable[..., tuple], names: list[str]) -> pd.DataFrame:
    """Apply `func` once per distinct row of `columns` (text, no missing) and align to every row."""
    if columns.empty:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names}, index=columns.index)
    arrays = [columns[c].to_numpy(dtype=object) for c in columns.columns]
    codes = np.zeros(len(columns), dtype="int64")
    for array in arrays:  # combine per-column codes, re-numbering each time so they never overflow
        column_codes, uniques = pd.factorize(array)
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + column_codes)
    _, first = np.unique(codes, return_index=True)  # codes number distinct rows in order of first appearance
    results = pd.DataFrame([func(*row) for row in zip(*(a[first] for a in arrays), strict=True)], columns=names)
    out = results.iloc[codes].reset_index(drop=True)
    out.index = columns.index
    return out


def _map_each(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``values.map(func)`` calling `func` once per distinct value."""
    values = values.astype(object)
    uniques = values.unique()
    return values.map(dict(zip(uniques, map(func, uniques), strict=True)))


# --- clean_sac ---------------------------------------------------------------------------------


def clean_sac(frame: pd.DataFrame, source: str = "sac.csv", year: str | None = None) -> CleanResult:
    """Clean a SAC long CSV or wide T-table read as text into one tidy frame of counts.

    One clean row per count (a wide table is melted first, so a "row" is one cell). The
    financial year comes from a year column, else `year`, else the file name; councils are
    resolved for that year. Markers keep their meaning: ``*``/``[c]`` are 0–4
    (``value_lower``/``value_upper``), ``[x]`` and an all-zero SG4a block of a council are "not
    submitted". Known revisions are noted in ``known_issue``; values are never changed.

    >>> result = clean_sac(read_table("sac_2023-24.csv"))   # doctest: +SKIP
    >>> result.reconciles(), result.clean.groupby("table").size()  # doctest: +SKIP
    """
    default_year = None
    if year is not None and str(year).strip():
        default_year = parse_financial_year(year)
        if default_year is None:
            raise UnusableInputError(f"{source}: year={year!r} is not a financial year; expected e.g. 2023-24")
    df = with_source(frame, source).reset_index(drop=True)
    headers = {normalise_column_name(c): c for c in df.columns if not str(c).startswith("_source")}
    if {"table_reference", "value"} <= set(headers):
        layout, cells = "long", _long_cells(df, headers, source)
    elif "ons_area_code" in headers or {"cassr_code", "cassr_name"} <= set(headers):
        layout, cells = "wide", _wide_cells(df, headers, source)
    else:
        raise UnusableInputError(
            f"{source}: not a SAC table; expected the long CSV columns {', '.join(SAC_LONG_COLUMNS)} or a wide "
            f"T-table starting 'ONS area code, CASSR Code, CASSR Name, Council Type / Region Name'; "
            f"found {', '.join(map(str, headers.values()))}"
        )
    return _clean_cells(cells, headers, source, default_year, wide=layout == "wide")


def _long_cells(df: pd.DataFrame, headers: dict[str, str], source: str) -> pd.DataFrame:
    """The long CSV as cells: one per row, named by the long keys."""
    missing = [SAC_LONG_COLUMNS[_LONG_KEYS.index(k)] for k in _LONG_REQUIRED if k not in headers]
    if missing:
        raise UnusableInputError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, headers.values()))}")
    if not any(k in headers for k in ("ons_code", "la_code", "la_name", "geography", "region_name", "region_code")):
        raise UnusableInputError(f"{source}: no geography column; expected ONS_CODE, LA_CODE or LA_NAME (and GEOGRAPHY)")
    cells = _text_frame(df, {key: headers[key] for key in _LONG_KEYS if key in headers})
    for key in _LONG_KEYS:
        if key not in cells:
            cells[key] = ""
    cells["type_or_region"] = ""
    cells["_value_column"] = headers["value"]
    cells["_col_order"] = 0
    return _with_year_and_source(cells, df, headers)


def _with_year_and_source(cells: pd.DataFrame, df: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    year_key = next((k for k in _YEAR_COLUMNS if k in headers), None)
    cells["_year_text"] = _text(df[headers[year_key]]) if year_key else ""
    cells[SOURCE_FILE] = df[SOURCE_FILE].astype(str).to_numpy()
    cells[SOURCE_ROW] = df[SOURCE_ROW].astype("int64").to_numpy()
    return cells


def _wide_cells(df: pd.DataFrame, headers: dict[str, str], source: str) -> pd.DataFrame:
    """A wide T-table melted to cells: one per (row, category column), label from the header."""
    year_key = next((k for k in _YEAR_COLUMNS if k in headers), None)
    id_keys = [k for k in headers if k in _WIDE_ID_COLUMNS]
    value_headers = [c for c in df.columns if not str(c).startswith("_source")
                     and normalise_column_name(c) not in _WIDE_ID_COLUMNS and normalise_column_name(c) != year_key]
    if not value_headers:
        raise UnusableInputError(f"{source}: a wide SAC table needs one column per category after the identifiers")
    table_of = _wide_header_tables(value_headers, source)
    base = _with_year_and_source(
        _text_frame(df, {_WIDE_ID_COLUMNS[k]: headers[k] for k in id_keys}), df, headers
    )
    pieces = []
    for order, header in enumerate(value_headers):
        piece = base.copy()
        piece["value"] = _text(df[header])
        piece["category"] = str(header)
        piece["table_reference"] = table_of[header]
        piece["_value_column"] = str(header)
        piece["_col_order"] = order
        piece["_row_pos"] = np.arange(len(df))
        pieces.append(piece)
    cells = pd.concat(pieces, ignore_index=True).sort_values(["_row_pos", "_col_order"], kind="stable")
    cells = cells.drop(columns="_row_pos").reset_index(drop=True)
    for key in _LONG_KEYS + ["type_or_region"]:
        if key not in cells:
            cells[key] = ""
    return cells


def _wide_header_tables(value_headers: list[str], source: str) -> dict[str, str]:
    """The SAC table of each wide column: the majority table of the unambiguous headers."""
    index = label_index()
    candidates = {
        header: [t for t, labels in index.items() if labels.get(normalise_label(header), ("", "total"))[1] != "total"]
        for header in value_headers
    }
    if not any(candidates.values()):
        raise UnusableInputError(
            f"{source}: cannot tell which SAC table this is: no column header is a SAC label "
            f"(headers: {', '.join(map(str, value_headers))})"
        )
    votes = Counter(c[0] for c in candidates.values() if len(c) == 1) or Counter(t for c in candidates.values() for t in c)
    majority = votes.most_common(1)[0][0]
    return {h: majority if (majority in c or not c) else c[0] for h, c in candidates.items()}


def _clean_cells(cells: pd.DataFrame, headers: dict[str, str], source: str, default_year: str | None,
                 wide: bool = False) -> CleanResult:
    """The shared pipeline: year, table, enquiry type, label, value, geography, duplicates, flags."""
    display = {key: headers.get(key, column) for key, column in zip(_LONG_KEYS, SAC_LONG_COLUMNS, strict=True)}
    display["type_or_region"] = next(
        (headers[k] for k, v in _WIDE_ID_COLUMNS.items() if v == "type_or_region" and k in headers),
        "Council Type / Region Name")
    display["ons_code"] = headers.get("ons_code", headers.get("ons_area_code", "ONS_CODE"))
    display["la_code"] = headers.get("la_code", headers.get("cassr_code", "LA_CODE"))
    display["la_name"] = headers.get("la_name", headers.get("cassr_name", "LA_NAME"))
    display["_year_text"] = next((headers[k] for k in _YEAR_COLUMNS if k in headers), "financial_year")
    problems: dict[str, list] = {"cell": [], "column": [], "value": [], "reason": []}

    def reject(mask: pd.Series, key: str, reason: str | pd.Series) -> None:
        """Note one reject line per cell where `mask` holds (gathered as arrays: files can be large)."""
        hit = np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))
        if not hit.size:
            return
        header_label = wide and key == "category"  # a wide table's label is its column header
        column = (cells["_value_column"].to_numpy(dtype=object)[hit] if key == "value" or header_label
                  else np.full(hit.size, display.get(key, key), dtype=object))
        reasons = (reason.to_numpy(dtype=object)[hit] if isinstance(reason, pd.Series)
                   else np.full(hit.size, reason, dtype=object))
        if header_label:
            reasons = ("column header is " + pd.Series(reasons, dtype=object)).to_numpy(dtype=object)
        problems["cell"].append(hit)
        problems["column"].append(column)
        problems["value"].append(cells["value" if header_label else key].to_numpy(dtype=object)[hit])
        problems["reason"].append(reasons)

    has_year_column = any(k in headers for k in _YEAR_COLUMNS)
    year = _financial_years(cells, has_year_column, default_year, source, reject)
    table = _map_each(cells["table_reference"], canonical_table)
    reject(table.isna(), "table_reference",
           f"not a SAC table reference; expected one of {', '.join(tables()['table'])} (reference/codebook/sac_tables.csv)")

    enquiry = _enquiry_types(cells, table, reject)
    labels = _labels(cells, table, reject)
    values = _values(cells, reject)
    places = _geographies(cells, year, reject)

    rejected = _rejected_cells(problems, len(cells))
    out = pd.DataFrame({
        "financial_year": year,
        "geography_level": places["geography_level"],
        "ons_code": places["ons_code"],
        "cassr_code": places["cassr_code"],
        "name": places["name"],
        "region": places["region"],
        "table": table,
        "enquiry_type": enquiry,
        "label": labels["label"],
        "sublabel": labels["sublabel"],
        "value": values["value"],
        "suppressed": values["suppressed"],
        "value_lower": values["value_lower"],
        "value_upper": values["value_upper"],
        "not_submitted": values["not_submitted"],
        "marker": values["marker"],
        "source_file": cells[SOURCE_FILE],
        "source_row": cells[SOURCE_ROW],
        "_col_order": cells["_col_order"],
        "_value_text": cells["value"],
    }, index=cells.index)

    duplicates = _duplicates(out.loc[~rejected])
    if len(duplicates):
        problems["cell"].append(duplicates.index.to_numpy())
        for name in ("column", "value", "reason"):
            problems[name].append(duplicates[name].to_numpy(dtype=object))
        rejected = _rejected_cells(problems, len(cells))
    clean = out.loc[~rejected].copy()
    clean = _flag_all_zero_msp(clean)
    clean["known_issue"] = _known_issue_notes(clean)
    clean = clean.sort_values(["source_file", "source_row", "_col_order"], kind="stable")
    clean = clean[OUTPUT_COLUMNS].reset_index(drop=True).astype(OUTPUT_DTYPES)

    rejects = _reject_frame(cells, problems)
    return CleanResult(clean=clean, rejects=rejects, rows_in=len(cells), rows_rejected=int(rejected.sum()))


def _rejected_cells(problems: dict[str, list], size: int) -> np.ndarray:
    """Boolean per cell: True when any reject line names it."""
    rejected = np.zeros(size, dtype=bool)
    for positions in problems["cell"]:
        rejected[positions] = True
    return rejected


def _reject_frame(cells: pd.DataFrame, problems: dict[str, list]) -> pd.DataFrame:
    """All reject lines (file, row, column, value, reason), sorted by file, row and column."""
    if not problems["cell"]:
        return pd.DataFrame({name: pd.Series(dtype="int64" if name == "row" else object) for name in REJECT_COLUMNS})
    at = np.concatenate(problems["cell"])
    lines = pd.DataFrame({
        "file": cells[SOURCE_FILE].to_numpy(dtype=object)[at],
        "row": cells[SOURCE_ROW].to_numpy(dtype="int64")[at],
        "column": np.concatenate(problems["column"]).astype(str),
        "value": np.concatenate(problems["value"]).astype(str),
        "reason": np.concatenate(problems["reason"]),
    })
    return lines.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)


def _financial_years(cells: pd.DataFrame, has_year_column: bool, default_year: str | None, source: str,
                     reject) -> pd.Series:
    """Year of each cell: its year column, else `year=`, else its file name (else an error)."""
    files = cells[SOURCE_FILE]
    fallback_by_file = {
        name: default_year or financial_year_from_name(name) or financial_year_from_name(source) for name in files.unique()
    }
    fallback = files.map(fallback_by_file).astype("string")
    outside = (f"outside {geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]}, "
               "the SAC years the council codebook covers")
    if not has_year_column:
        missing = [name for name, y in fallback_by_file.items() if y is None]
        if missing:
            raise UnusableInputError(
                f"{missing[0]}: cannot tell the financial year: there is no year column, no year was given and the "
                f"file name carries none (e.g. sac_2023-24.csv); pass --year 2023-24 (year='2023-24' in Python)"
            )
        wrong = {name: y for name, y in fallback_by_file.items() if y not in geography.FINANCIAL_YEARS}
        for name, y in wrong.items():
            raise UnusableInputError(f"{name}: financial year {y} is {outside}")
        return fallback
    given = cells["_year_text"].str.strip()
    parsed = parse_financial_years(given.where(given.ne(""))).astype("string")
    reject(given.ne("") & parsed.isna(), "_year_text", "not a financial year; expected e.g. 2023-24")
    reject(given.eq("") & fallback.isna(), "_year_text",
           "financial year missing; fill the year column or pass --year 2023-24")
    year = parsed.where(given.ne(""), fallback)
    out_of_range = year.notna() & ~year.isin(geography.FINANCIAL_YEARS)
    reject(out_of_range, "_year_text", f"financial year {outside}")
    return year.where(~out_of_range).astype("string")


def _enquiry_types(cells: pd.DataFrame, table: pd.Series, reject) -> pd.Series:
    lookup = terms("enquiry_type")
    raw = cells["enquiry_type"]
    mapped = _map_each(raw, lambda v: lookup.get(normalise_label(v)) or ("" if not v.strip() else None))
    default = table.map(tables()["enquiry_type"])
    reject(mapped.isna(), "enquiry_type",
           f"not a SAC enquiry type; expected one of {', '.join(dict.fromkeys(lookup.values()))} (reference/codebook/sac_terms.csv)")
    blank = mapped.eq("").to_numpy(dtype=bool)  # object dtype: an unknown (None) is not blank
    return mapped.where(~blank, default).astype("string")


def _labels(cells: pd.DataFrame, table: pd.Series, reject) -> pd.DataFrame:
    keys = pd.DataFrame({"table": table.fillna(""), "category": cells["category"], "subcategory": cells["subcategory"]})
    found = _map_unique(keys, resolve_label, ["label", "sublabel", "problem_key", "reason"])
    for key in ("category", "subcategory"):
        mask = found["problem_key"].eq(key)
        reject(mask, key, found["reason"])
    return found


def _values(cells: pd.DataFrame, reject) -> pd.DataFrame:
    found = _map_unique(cells[["value"]], parse_value,
                        ["value", "value_lower", "value_upper", "suppressed", "not_submitted", "marker", "reason"])
    reject(found["reason"].notna(), "value", found["reason"])
    return found


def _geographies(cells: pd.DataFrame, year: pd.Series, reject) -> pd.DataFrame:
    keys = cells[_GEOGRAPHY_KEYS + ["type_or_region"]].copy()
    keys["year"] = year.fillna("").astype(object)
    found = _map_unique(keys, resolve_geography,
                        ["geography_level", "ons_code", "cassr_code", "name", "region", "problem_key", "reason"])
    for key in found["problem_key"].dropna().unique():
        reject(found["problem_key"].eq(key), key, found["reason"])
    return found


_KEY = ["financial_year", "geography_level", "ons_code", "name", "table", "enquiry_type", "label", "sublabel"]


def _duplicates(clean: pd.DataFrame) -> pd.DataFrame:
    """Reject lines for counts given twice: all copies when they differ, else all but the first row."""
    if clean.empty:
        return pd.DataFrame(columns=["file", "row", "column", "value", "reason"])
    dup = clean.duplicated(subset=_KEY, keep=False)
    if not dup.any():
        return pd.DataFrame(columns=["file", "row", "column", "value", "reason"])
    part = clean.loc[dup].sort_values(["source_file", "source_row", "_col_order"], kind="stable")
    group = part.groupby(_KEY, dropna=False, sort=False).ngroup().to_numpy()
    # Few rows are duplicates, so plain Python over them is clear and cheap.
    shown = [(None if pd.isna(v) else v, m, n) for v, m, n in
             zip(part["value"].to_numpy(), part["marker"].to_numpy(), part["not_submitted"].to_numpy(), strict=True)]
    files, rows = part["source_file"].to_numpy(), part["source_row"].to_numpy()
    where = [f"{f} row {r}" for f, r in zip(files, rows, strict=True)]
    kinds: dict[int, set] = {}
    places: dict[int, list[str]] = {}
    for g, s, w in zip(group, shown, where, strict=True):
        kinds.setdefault(g, set()).add(s)
        places.setdefault(g, []).append(w)
    lines = []
    texts = part["_value_text"].to_numpy()
    for index, g, w, file, row, text in zip(part.index, group, where, files, rows, texts, strict=True):
        if len(kinds[g]) > 1:
            reason = f"conflicting counts for the same year, geography, table and label ({', '.join(places[g])}); keep one"
        elif places[g][0] != w:
            reason = f"duplicate of {places[g][0]}"
        else:
            continue
        lines.append((index, file, int(row), "VALUE", str(text), reason))
    frame = pd.DataFrame(lines, columns=["index", "file", "row", "column", "value", "reason"]).set_index("index")
    frame.index.name = None
    return frame


def _flag_all_zero_msp(clean: pd.DataFrame) -> pd.DataFrame:
    """A council's SG4a block of zeros only means "not submitted" (docs/data.md): flag it, value unknown."""
    clean["_zero_note"] = pd.NA
    msp = clean["geography_level"].eq("Council") & clean["table"].eq(MSP_TABLE)
    if not (msp & clean["value"].eq(0)).any():
        return clean
    is_zero = clean.loc[msp, "value"].eq(0) & clean.loc[msp, "marker"].isna()
    block = [clean.loc[msp, "financial_year"].astype(str), clean.loc[msp, "ons_code"].astype(str)]
    all_zero = is_zero.groupby(block).transform("all")
    idx = all_zero[all_zero].index
    clean.loc[idx, ["value", "value_lower", "value_upper"]] = np.nan
    clean.loc[idx, "not_submitted"] = True
    clean.loc[idx, "_zero_note"] = ALL_ZERO_MSP_NOTE
    return clean


def _known_issue_notes(clean: pd.DataFrame) -> pd.Series:
    issues = known_issues()
    notes = pd.Series(None, index=clean.index, dtype=object)
    zero = clean["_zero_note"]
    affected = clean["ons_code"].isin({ons for _, ons, _ in issues})
    if not affected.any() and zero.isna().all():
        return notes
    keys = clean[["financial_year", "ons_code", "table"]].astype("string").fillna("")

    def note(year: str, ons: str, table: str) -> tuple:
        found = [n for n in (issues.get((year, ons, "")), issues.get((year, ons, table))) if n]
        return ("; ".join(found) or None,)

    notes = _map_unique(keys, note, ["note"])["note"].astype(object)
    has_zero = zero.notna()
    notes[has_zero] = [z if n is None or pd.isna(n) else f"{n}; {z}"
                       for n, z in zip(notes[has_zero], zero[has_zero], strict=True)]
    return notes


KIND = DatasetKind("sac", clean_sac, SCHEMA, (
    "Safeguarding Adults Collection published tables (long CSV or wide T-tables), one row per count: "
    "year × geography × table × label, with the bounds a suppressed cell allows "
    "(docs/data.md, Safeguarding Adults Collection)."))
