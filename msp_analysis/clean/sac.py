"""Clean Safeguarding Adults Collection (SAC) published tables (kind ``sac``), and write them.

The SAC is published as one long CSV per year and as wide T-tables (T1–T9; T8 is MSP), with
England, region and council-type rows mixed in with council rows, labels that drift between
years and disclosure markers (``*``, ``[c]``, ``[x]``). :func:`clean_sac` turns either layout
into one tidy frame of counts with their bounds; :func:`aggregate_to_sac` goes the other way
(record-level enquiries → a SAC-format file under the SAC disclosure rule), and
:func:`msp_rates` gives the published MSP percentages through :func:`pathway.add_rates`.
Labels, tables, geography terms and known issues are codebook data (``codebook/sac_*.csv``).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import PurePath
from typing import Callable

import numpy as np
import pandas as pd

from msp_analysis.clean.common import (
    REJECT_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    CleanResult,
    normalise_column_name,
    parse_financial_years,
    with_source,
)
from msp_analysis.clean.evaluation import EXPRESSED, LACKED_CAPACITY
from msp_analysis.disclosure.policies import POLICIES, DisclosurePolicy
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    normalise_label,
    read_codebook,
    unknown_markers,
)
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import UnusableInputError

# --- layouts ---------------------------------------------------------------------------------

SAC_LONG_COLUMNS = [
    "GEOGRAPHY", "COUNCIL_TYPE", "REGION_CODE", "REGION_NAME", "ONS_CODE", "LA_CODE", "LA_NAME",
    "TABLE_REFERENCE", "ENQUIRY_TYPE", "CATEGORY", "SUBCATEGORY", "VALUE",
]
YEAR_COLUMN = "FINANCIAL_YEAR"  # written by this package so one file can hold several years
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

OUTPUT_COLUMNS = [
    "financial_year", "geography_level", "ons_code", "cassr_code", "name", "region", "table",
    "enquiry_type", "label", "sublabel", "value", "suppressed", "value_lower", "value_upper",
    "not_submitted", "marker", "known_issue", "source_file", "source_row",
]
LEVELS = ("England", "Region", "Council type", "Council")
ENGLAND_ONS_CODE = "E92000001"
ENGLAND_LA_CODE = "1010"
CONCLUDED_S42 = "Concluded Section 42 Enquiries"
MSP_TABLE = "SG4a"
CAPACITY_TABLE = "SG3a"
TOTAL_LABEL = "Total"
SUPPORT_LABEL = "Supported by an advocate, family or friend"
ASKED_NOT_EXPRESSED = "Yes they were asked but no outcomes were expressed"
SG4A_ASKED_HEADING = "Asked about desired outcomes"
SG4A_ACHIEVED_HEADING = "Desired outcomes achieved (where expressed)"
ALL_ZERO_MSP_NOTE = "SG4a block all zero: read as not submitted (DATA.md 1.1)"

# SAC labels feeding the pathway count columns of msp_analysis.analysis.pathway (several labels may add up).
PATHWAY_COUNTS: dict[tuple[str, str], str] = {
    (CAPACITY_TABLE, LACKED_CAPACITY): "concluded_s42",
    (CAPACITY_TABLE, "No, they did not lack capacity"): "concluded_s42",
    (CAPACITY_TABLE, "Don't know"): "concluded_s42",
    (CAPACITY_TABLE, "Not recorded"): "concluded_s42",
    (MSP_TABLE, EXPRESSED): "asked_expressed",
    (MSP_TABLE, ASKED_NOT_EXPRESSED): "asked_not_expressed",
    (MSP_TABLE, "No"): "not_asked",
    (MSP_TABLE, "Don't Know"): "asked_unknown",
    (MSP_TABLE, "Not Recorded"): "asked_unknown",
    (MSP_TABLE, "Fully Achieved"): "fully",
    (MSP_TABLE, "Partially Achieved"): "partially",
    (MSP_TABLE, "Not Achieved"): "not_achieved",
}
_ACCEPTED_MARKER_KINDS = ("suppressed", "not_available", "not_applicable", "no_data", "missing")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_NEGATIVE = re.compile(r"^-\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)(\d{4})\s*(?:-|\u2013|_|/|\s+to\s+)\s*(\d{4}|\d{2})(?!\d)", re.IGNORECASE)


# --- codebook ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _tables() -> pd.DataFrame:
    tables = read_codebook("sac_tables.csv")
    tables["crossed"] = tables["crossed"].eq("true")
    tables["dimensions"] = tables["dimensions"].str.split(";")
    return tables.set_index("table", drop=False)


@functools.lru_cache(maxsize=1)
def _label_index() -> dict[str, dict[str, tuple[str, str]]]:
    """table -> normalised variant -> (canonical label, dimension); table ``*`` rows join every table."""
    labels = read_codebook("sac_labels.csv")
    tables = list(_tables()["table"])
    index: dict[str, dict[str, tuple[str, str]]] = {table: {} for table in tables}
    for table, dimension, label, variant in labels[["table", "dimension", "label", "variant"]].itertuples(index=False):
        if table != "*" and table not in index:
            raise ValueError(f"sac_labels.csv: table {table!r} is not in sac_tables.csv")
        for target in tables if table == "*" else [table]:
            key = normalise_label(variant)
            if index[target].get(key, (label, dimension)) != (label, dimension):
                raise ValueError(f"sac_labels.csv: {variant!r} means two labels in table {target}")
            index[target][key] = (label, dimension)
    return index


def sac_labels(table: str, dimension: str | None = None) -> list[str]:
    """Canonical SAC labels of `table` (optionally one dimension) in publication order.

    >>> sac_labels("SG4a", "achieved")
    ['Fully Achieved', 'Partially Achieved', 'Not Achieved']
    """
    return list(_canonical_labels(table, dimension))


@functools.lru_cache(maxsize=None)
def _canonical_labels(table: str, dimension: str | None) -> tuple[str, ...]:
    labels = read_codebook("sac_labels.csv")
    rows = labels[(labels["table"] == table) & (labels["label"] == labels["variant"])]
    if dimension is not None:
        rows = rows[rows["dimension"] == dimension]
    return tuple(rows["label"])


@functools.lru_cache(maxsize=None)
def _terms(field: str) -> dict[str, str]:
    terms = read_codebook("sac_terms.csv")
    rows = terms[terms["field"] == field]
    return {normalise_label(v): c for v, c in zip(rows["variant"], rows["canonical"])}


@functools.lru_cache(maxsize=1)
def _known_issues() -> dict[tuple[str, str, str], str]:
    """(financial year, ONS code, table or '') -> note."""
    issues = read_codebook("sac_known_issues.csv")
    return {(y, c, t): n for y, c, t, n in issues[["financial_year", "ons_code", "table", "note"]].itertuples(index=False)}


@functools.lru_cache(maxsize=None)
def _council_lookup(year: str) -> dict[str, tuple[str, str, str, str]]:
    """ONS code -> (CASSR code, name, council type, region) of the councils of `year`."""
    table = geography.councils(year)
    return {
        ons: (cassr, name, kind, region)
        for ons, cassr, name, kind, region in table[list(geography.COUNCIL_COLUMNS)].itertuples(index=False)
    }


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
    results = pd.DataFrame([func(*row) for row in zip(*(a[first] for a in arrays))], columns=names)
    out = results.iloc[codes].reset_index(drop=True)
    out.index = columns.index
    return out


def _map_each(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``values.map(func)`` calling `func` once per distinct value."""
    values = values.astype(object)
    uniques = values.unique()
    return values.map(dict(zip(uniques, map(func, uniques))))


def financial_year_from_name(name: str) -> str | None:
    """The financial year a file name carries (``sac_2023-24.csv``, ``..., 2024 to 2025.ods``), else None.

    >>> financial_year_from_name("SAC-2019-20-long.csv"), financial_year_from_name("sac.csv")
    ('2019-20', None)
    """
    text = str(name)
    for candidate in (PurePath(text).name, text):
        for start, end in _YEAR_IN_NAME.findall(candidate):
            year = parse_financial_year(f"{start}-{end}")
            if year:
                return year
    return None


def _table_key(value: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"^table\s*", "", value.strip(), flags=re.IGNORECASE)).casefold()


@functools.lru_cache(maxsize=1)
def _table_lookup() -> dict[str, str]:
    tables = _tables()
    lookup = {_table_key(t): t for t in tables["table"]}
    lookup.update({_table_key(w): t for t, w in zip(tables["table"], tables["wide_table"]) if w})
    return lookup


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
    index = _label_index()
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
    display = {key: headers.get(key, column) for key, column in zip(_LONG_KEYS, SAC_LONG_COLUMNS)}
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
    table = _map_each(cells["table_reference"], lambda v: _table_lookup().get(_table_key(v)))
    reject(table.isna(), "table_reference",
           f"not a SAC table reference; expected one of {', '.join(_tables()['table'])} (reference/codebook/sac_tables.csv)")

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
    clean = _typed(clean[OUTPUT_COLUMNS].reset_index(drop=True))

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
    lookup = _terms("enquiry_type")
    raw = cells["enquiry_type"]
    mapped = _map_each(raw, lambda v: lookup.get(normalise_label(v)) or ("" if not v.strip() else None))
    default = table.map(_tables()["enquiry_type"])
    reject(mapped.isna(), "enquiry_type",
           f"not a SAC enquiry type; expected one of {', '.join(dict.fromkeys(lookup.values()))} (reference/codebook/sac_terms.csv)")
    blank = mapped.eq("").to_numpy(dtype=bool)  # object dtype: an unknown (None) is not blank
    return mapped.where(~blank, default).astype("string")


def _labels(cells: pd.DataFrame, table: pd.Series, reject) -> pd.DataFrame:
    keys = pd.DataFrame({"table": table.fillna(""), "category": cells["category"], "subcategory": cells["subcategory"]})
    found = _map_unique(keys, _resolve_label, ["label", "sublabel", "problem_key", "reason"])
    for key in ("category", "subcategory"):
        mask = found["problem_key"].eq(key)
        reject(mask, key, found["reason"])
    return found


def _resolve_label(table: str, category: str, subcategory: str) -> tuple:
    """(label, sublabel, problem column, reason) of one CATEGORY/SUBCATEGORY pair of `table`."""
    if not table:
        return (None, None, None, None)  # the table reference is rejected already
    category, subcategory = category.strip(), subcategory.strip()
    index = _label_index()[table]
    info = _tables().loc[table]
    neutral = _terms("neutral_subcategory")
    cat = index.get(normalise_label(category)) if category else None
    sub = index.get(normalise_label(subcategory)) if subcategory else None
    expected = ", ".join(sac_labels(table))
    unknown = f"not a SAC label of table {table}; expected one of: {expected} (add a variant to reference/codebook/sac_labels.csv)"
    if info["crossed"]:
        dims = info["dimensions"]
        real = [m for m in (cat, sub) if m and m[1] != "total"]
        if len(real) == 2:
            if real[0][1] == real[1][1]:
                return (None, None, "subcategory", f"CATEGORY and SUBCATEGORY are both {real[0][1]} labels; "
                        f"table {table} crosses {' by '.join(dims)}")
            first, second = sorted(real, key=lambda m: dims.index(m[1]))
            return (first[0], second[0], None, None)
        pairs = ((cat, subcategory, sub, "subcategory"), (sub, category, cat, "category"))
        for match, other_text, other_match, other_key in pairs:
            if match and match[1] != "total":
                if other_text and not other_match and normalise_label(other_text) not in neutral:
                    other_dim = next(d for d in dims if d != match[1])
                    return (None, None, other_key, f"not a SAC {other_dim} label of table {table}; expected one of: "
                            f"{', '.join(sac_labels(table, other_dim))} or Total")
                return (match[0], None, None, None)
        if cat or sub:
            other_key, other_text = ("subcategory", subcategory) if cat else ("category", category)
            if other_text and not (cat and sub) and normalise_label(other_text) not in neutral:
                return (None, None, other_key, unknown)
            return (TOTAL_LABEL, None, None, None)
        return (None, None, "subcategory" if subcategory else "category", unknown)
    if sub and sub[1] != "total":
        return (sub[0], None, None, None)  # CATEGORY is a heading (or the parent label)
    if cat and (not subcategory or sub or normalise_label(subcategory) in neutral):
        return (cat[0] if cat[1] != "total" else TOTAL_LABEL, None, None, None)
    if sub:
        return (TOTAL_LABEL, None, None, None)
    return (None, None, "subcategory" if subcategory else "category", unknown)


def _values(cells: pd.DataFrame, reject) -> pd.DataFrame:
    found = _map_unique(cells[["value"]], _parse_value,
                        ["value", "value_lower", "value_upper", "suppressed", "not_submitted", "marker", "reason"])
    reject(found["reason"].notna(), "value", found["reason"])
    return found


def _parse_value(text: str) -> tuple:
    """(value, lower, upper, suppressed, not_submitted, marker, reason) of one VALUE cell."""
    policy = POLICIES["sac"]
    text = text.strip()
    kind = unknown_markers().get(normalise_label(text)) if not _NUMBER.match(text) or text == "999999" else None
    if kind in _ACCEPTED_MARKER_KINDS:
        if kind == "suppressed":
            return (np.nan, 0.0, float(policy.threshold - 1), True, False, text, None)
        return (np.nan, np.nan, np.nan, False, kind == "not_available", text or None, None)
    if kind is not None:
        return (np.nan, np.nan, np.nan, False, False, None,
                f"{text!r} is an 'unknown' code, not a SAC value; published files use a number, *, [c], [x] or [z]")
    if _NUMBER.match(text):
        number = float(text.replace(",", ""))
        if not number.is_integer():
            return (np.nan, np.nan, np.nan, False, False, None, "not a whole number; SAC values are counts")
        return (number, number, number, False, False, None, None)
    if _NEGATIVE.match(text):
        return (np.nan, np.nan, np.nan, False, False, None, "a count cannot be negative")
    return (np.nan, np.nan, np.nan, False, False, None,
            "neither a number nor a SAC marker; expected e.g. 1,234, *, [c] (under 5), [x] (not submitted) or [z]")


def _geographies(cells: pd.DataFrame, year: pd.Series, reject) -> pd.DataFrame:
    keys = cells[_GEOGRAPHY_KEYS + ["type_or_region"]].copy()
    keys["year"] = year.fillna("").astype(object)
    found = _map_unique(keys, _resolve_geography,
                        ["geography_level", "ons_code", "cassr_code", "name", "region", "problem_key", "reason"])
    for key in found["problem_key"].dropna().unique():
        reject(found["problem_key"].eq(key), key, found["reason"])
    return found


def _region_of(*values: str) -> str | None:
    for value in values:
        if value:
            try:
                return geography.canonical_region(value)
            except ValueError:
                continue
    return None


def _resolve_geography(level_text: str, council_type: str, region_code: str, region_name: str, ons: str, la_code: str,
                       la_name: str, type_or_region: str, year: str) -> tuple:
    """(level, ONS code, CASSR code, name, region, problem column, reason) of one geography."""
    levels = _terms("geography_level")
    types = _terms("council_type")
    level_text, council_type, region_code, region_name, la_name, type_or_region = (
        v.strip() for v in (level_text, council_type, region_code, region_name, la_name, type_or_region))
    ons = ons.strip().upper()
    la_code = re.sub(r"\.0+$", "", la_code.strip())
    level = levels.get(normalise_label(level_text)) if level_text else None
    if level_text and level is None:
        return (None,) * 5 + ("geography", f"not a geography level; expected one of {', '.join(LEVELS)}")
    names = {normalise_label(v) for v in (la_name, type_or_region) if v}
    if la_code == ENGLAND_LA_CODE or ons == ENGLAND_ONS_CODE or (not level and "england" in names):
        return ("England", ENGLAND_ONS_CODE, None, "England", None, None, None)
    name_is_area = bool(la_name) and (
        _region_of(la_name) is not None or normalise_label(la_name) in types or normalise_label(la_name) == "england")
    if level is None:
        if ons.startswith("E12"):
            level = "Region"
        elif (ons and not ons.startswith("E12")) or la_code or (la_name and not name_is_area):
            level = "Council"
        elif council_type or normalise_label(la_name) in types or normalise_label(type_or_region) in types:
            level = "Council type"
        elif region_name or region_code or _region_of(la_name, type_or_region):
            level = "Region"
        else:
            return (None,) * 5 + ("ons_code", "no geography: give ONS_CODE or LA_CODE (or GEOGRAPHY and a region name)")
    if level == "England":
        return ("England", ENGLAND_ONS_CODE, None, "England", None, None, None)
    if level == "Region":
        region = _region_of(ons if ons.startswith("E12") else "", region_code, region_name, la_name, type_or_region)
        if region is None:
            given = (("ons_code", ons[:3] == "E12"), ("region_code", region_code), ("region_name", region_name),
                     ("la_name", la_name), ("type_or_region", type_or_region))
            key = next((k for k, v in given if v), "region_name")
            return (None,) * 5 + (key, "not an English region; expected one of "
                                  + ", ".join(n for _, n in geography.REGIONS) + " or their E12 codes")
        code = next(c for c, n in geography.REGIONS if n == region)
        return ("Region", code, None, region, region, None, None)
    if level == "Council type":
        kind = next((types[normalise_label(v)] for v in (council_type, la_name, type_or_region)
                     if v and normalise_label(v) in types), None)
        if kind is None:
            return (None,) * 5 + ("council_type", "not a council type; expected one of "
                                  + ", ".join(dict.fromkeys(types.values())))
        return ("Council type", None, None, kind, None, None, None)
    given = [(key, value) for key, value in (("ons_code", ons), ("la_code", la_code), ("la_name", la_name)) if value]
    if not given:
        return (None,) * 5 + ("ons_code", "no council code; give ONS_CODE (E06…/E08…/E09…/E10…) or LA_CODE (CASSR)")
    known_year = year if year in geography.FINANCIAL_YEARS else None
    key, value = given[0]
    code = geography.resolve_council(value, known_year)
    if code is None:
        what = "council name" if key == "la_name" else "council code"
        return (None,) * 5 + (key, f"unknown {what} for {year or 'that year'}; see `msp-analysis councils --year "
                              f"{year or 'YEAR'}`")
    if key == "ons_code" and la_code:
        other = geography.resolve_council(la_code, known_year)
        if other is not None and other != code:
            return (None,) * 5 + ("la_code", f"LA_CODE {la_code} is a different council from ONS_CODE {ons}")
    if known_year is None:
        return ("Council", code, None, None, None, None, None)
    cassr, name, _kind, region = _council_lookup(known_year)[code]
    return ("Council", code, cassr, name, region, None, None)


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
             zip(part["value"].to_numpy(), part["marker"].to_numpy(), part["not_submitted"].to_numpy())]
    files, rows = part["source_file"].to_numpy(), part["source_row"].to_numpy()
    where = [f"{f} row {r}" for f, r in zip(files, rows)]
    kinds: dict[int, set] = {}
    places: dict[int, list[str]] = {}
    for g, s, w in zip(group, shown, where):
        kinds.setdefault(g, set()).add(s)
        places.setdefault(g, []).append(w)
    lines = []
    for index, g, w, file, row, text in zip(part.index, group, where, files, rows, part["_value_text"].to_numpy()):
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
    """A council's SG4a block of zeros only means "not submitted" (DATA.md 1.1): flag it, value unknown."""
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
    issues = _known_issues()
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
    notes[has_zero] = [z if n is None or pd.isna(n) else f"{n}; {z}" for n, z in zip(notes[has_zero], zero[has_zero])]
    return notes


_OUTPUT_TYPES = {
    **{c: "string" for c in ["financial_year", "geography_level", "ons_code", "cassr_code", "name", "region", "table",
                             "enquiry_type", "label", "sublabel", "marker", "known_issue", "source_file"]},
    **{c: "float64" for c in ["value", "value_lower", "value_upper"]},
    "suppressed": "bool", "not_submitted": "bool", "source_row": "int64",
}


def _typed(clean: pd.DataFrame) -> pd.DataFrame:
    """The output dtypes: nullable text, float values and bounds, boolean flags."""
    return clean.astype(_OUTPUT_TYPES)


# --- writing SAC files -------------------------------------------------------------------------


def format_sac_long(df_sac: pd.DataFrame) -> pd.DataFrame:
    """Write a clean SAC frame back in the long CSV layout (text), with a ``FINANCIAL_YEAR`` column first.

    Values show as a published file would: ``1,234``, the marker given, ``[c]`` for suppressed
    and ``[x]`` for not submitted. Cleaning the result gives the same values again.
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


def _aggregate_specs() -> pd.DataFrame:
    """The rows of one geography in a SAC file made from record-level data, in publication order."""
    rows = [("SG2a", label, "") for label in sac_labels("SG2a")]
    rows += [("SG2b", loc, src) for loc in sac_labels("SG2b", "location") for src in sac_labels("SG2b", "source")]
    rows += [(t, label, "") for t in ("SG2c", "SG2e") for label in sac_labels(t)]
    rows += [(CAPACITY_TABLE, label, "") for label in sac_labels(CAPACITY_TABLE, "capacity")]
    rows += [(CAPACITY_TABLE, LACKED_CAPACITY, SUPPORT_LABEL)]
    rows += [(MSP_TABLE, SG4A_ASKED_HEADING, label) for label in sac_labels(MSP_TABLE, "asked")]
    rows += [(MSP_TABLE, SG4A_ACHIEVED_HEADING, label) for label in sac_labels(MSP_TABLE, "achieved")]
    specs = pd.DataFrame(rows, columns=["table", "category", "subcategory"])
    specs["spec"] = np.arange(len(specs))
    return specs


def aggregate_to_sac(df_enquiries: pd.DataFrame, policy: DisclosurePolicy = POLICIES["sac"]) -> pd.DataFrame:
    """Aggregate clean enquiries (``clean_evaluation`` output) into the SAC long CSV layout.

    England, region and council rows per financial year (councils that appear in the data),
    tables SG2a (several risks per enquiry), SG2b, SG2c, SG2e, SG3a and SG4a over concluded
    Section 42 enquiries. Counts are computed unrounded at every level, then shown under
    `policy` (SAC: under 5 → ``[c]``, others to the nearest 5, ties up) as text exactly as a
    published file shows them. A leading ``FINANCIAL_YEAR`` column lets one file hold several
    years; drop it and split by year to mimic the published files.

    >>> sac = aggregate_to_sac(clean_evaluation(export).clean)   # doctest: +SKIP
    """
    specs = _aggregate_specs()
    s42 = df_enquiries[df_enquiries["enquiry_type"].astype("string").eq("Section 42").fillna(False)]
    s42 = s42.assign(financial_year=s42["financial_year"].astype(str), ons_code=s42["ons_code"].astype(str))
    contributions = []

    def add(frame: pd.DataFrame, table: str, category: pd.Series | str, subcategory: pd.Series | str = "") -> None:
        """Each row of `frame` counts once in the SAC row (table, category, subcategory)."""
        contributions.append(pd.DataFrame({
            "financial_year": frame["financial_year"], "ons_code": frame["ons_code"], "table": table,
            "category": category, "subcategory": subcategory,
        }, index=frame.index))

    risks = s42.assign(risk=s42["risk_types"].astype("string").str.split("; ")).explode("risk")
    risks = risks[risks["risk"].notna()]
    add(risks, "SG2a", risks["risk"].astype(str))
    both = s42[s42["risk_location"].notna() & s42["risk_source"].notna()]
    add(both, "SG2b", both["risk_location"].astype(str), both["risk_source"].astype(str))
    for table, column in (("SG2c", "risk_assessment_outcome"), ("SG2e", "risk_outcome"), (CAPACITY_TABLE, "lacked_capacity")):
        part = s42[s42[column].notna()]
        add(part, table, part[column].astype(str))
    supported = s42[s42["lacked_capacity"].astype("string").eq(LACKED_CAPACITY).fillna(False)
                    & s42["capacity_support"].astype("string").eq("Yes").fillna(False)]
    add(supported, CAPACITY_TABLE, LACKED_CAPACITY, SUPPORT_LABEL)
    asked = s42[s42["msp_asked"].notna()]
    add(asked, MSP_TABLE, SG4A_ASKED_HEADING, asked["msp_asked"].astype(str))
    achieved = s42[s42["msp_outcome_achieved"].notna()]
    add(achieved, MSP_TABLE, SG4A_ACHIEVED_HEADING, achieved["msp_outcome_achieved"].astype(str))
    counted = pd.concat(contributions, ignore_index=True).merge(specs, on=["table", "category", "subcategory"])
    per_council = counted.groupby(["financial_year", "ons_code", "spec"]).size()

    present = df_enquiries[["financial_year", "ons_code"]].dropna().astype(str).drop_duplicates()
    grid = pd.MultiIndex.from_frame(
        present.merge(specs[["spec"]], how="cross").sort_values(["financial_year", "ons_code", "spec"])
    )
    councils = per_council.reindex(grid, fill_value=0).rename("count").reset_index()
    meta = pd.DataFrame(
        [(y, ons, *_council_lookup(y).get(ons, (None, None, None, None))) for y, ons in present.itertuples(index=False)],
        columns=["financial_year", "ons_code", "cassr_code", "name", "council_type", "region"],
    )
    councils = councils.merge(meta, on=["financial_year", "ons_code"], how="left")
    regions = councils.groupby(["financial_year", "region", "spec"], as_index=False)["count"].sum()
    england = councils.groupby(["financial_year", "spec"], as_index=False)["count"].sum()
    region_code = dict((n, c) for c, n in geography.REGIONS)
    region_rank = {n: i for i, (_, n) in enumerate(geography.REGIONS)}
    levels = pd.concat([
        england.assign(GEOGRAPHY="England", COUNCIL_TYPE="", REGION_CODE="", REGION_NAME="", ONS_CODE=ENGLAND_ONS_CODE,
                       LA_CODE=ENGLAND_LA_CODE, LA_NAME="England", _level=0, _rank=-1, _name=""),
        regions.assign(GEOGRAPHY="Region", COUNCIL_TYPE="", REGION_CODE=regions["region"].map(region_code),
                       REGION_NAME=regions["region"], ONS_CODE=regions["region"].map(region_code), LA_CODE="",
                       LA_NAME="", _level=1, _rank=regions["region"].map(region_rank), _name=""),
        councils.assign(GEOGRAPHY="Council", COUNCIL_TYPE=councils["council_type"],
                        REGION_CODE=councils["region"].map(region_code), REGION_NAME=councils["region"],
                        ONS_CODE=councils["ons_code"], LA_CODE=councils["cassr_code"], LA_NAME=councils["name"],
                        _level=2, _rank=councils["region"].map(region_rank), _name=councils["name"].str.casefold()),
    ], ignore_index=True)
    levels = levels.sort_values(["financial_year", "_level", "_rank", "_name", "ONS_CODE", "spec"], kind="stable")
    levels = levels.merge(specs, on="spec", how="left", sort=False)
    counts = levels["count"].astype("int64")
    shown = {c: policy.format_count(int(c)) for c in counts.unique()}
    out = pd.DataFrame({
        YEAR_COLUMN: levels["financial_year"],
        **{c: levels[c] for c in SAC_LONG_COLUMNS[:7]},
        "TABLE_REFERENCE": levels["table"],
        "ENQUIRY_TYPE": CONCLUDED_S42,
        "CATEGORY": levels["category"],
        "SUBCATEGORY": levels["subcategory"],
        "VALUE": counts.map(shown),
    })
    return out.astype("string").fillna("").astype(object).reset_index(drop=True)


# --- MSP rates ---------------------------------------------------------------------------------

MSP_RATE_KEY = ["ons_code", "name", "financial_year"]


def msp_rates(df_sac: pd.DataFrame) -> pd.DataFrame:
    """The published MSP percentages per geography and year from a clean SAC frame.

    concluded_s42 is the sum of the four SG3a capacity categories; asked/expressed % are shares
    of it and fully/partially/not % shares of the achieved counts (``pathway.RATE_DEFINITIONS``,
    computed by ``pathway.add_rates``). A rate with any suppressed, not-submitted or missing
    input is NaN — never a number computed from a guess.

    >>> msp_rates(clean_sac(frame).clean)   # doctest: +SKIP
    """
    from msp_analysis.analysis import (
        pathway,  # imported here: pathway imports the clean package
    )

    columns = MSP_RATE_KEY + ["concluded_s42", *pathway.RATE_DEFINITIONS]
    bridge = pd.DataFrame([(t, l, c) for (t, l), c in PATHWAY_COUNTS.items()], columns=["table", "label", "count_column"])
    count_column = df_sac[["table", "label"]].astype(object).merge(bridge, how="left")["count_column"]
    count_column.index = df_sac.index
    use = (count_column.notna() & df_sac["sublabel"].isna()
           & df_sac["enquiry_type"].astype("string").fillna(CONCLUDED_S42).eq(CONCLUDED_S42))
    rows = df_sac.loc[use]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    group_keys = ["financial_year", "geography_level", "ons_code", "name"]
    keyed = rows[group_keys].astype("string").fillna("")
    keyed["count_column"] = count_column[use]
    keyed["label"] = rows["label"].astype(str)
    duplicated = keyed.duplicated(subset=group_keys + ["label"])
    if duplicated.any():
        raise ValueError("msp_rates: a geography and year has the same SAC label twice; clean the files together "
                         "so duplicates are rejected, or pass one release per year")
    keyed["value"] = rows["value"].astype(float)
    keyed["usable"] = ~rows["suppressed"].astype(bool) & ~rows["not_submitted"].astype(bool) & rows["value"].notna()
    grouped = keyed.groupby(group_keys + ["count_column"])
    counts = grouped["value"].sum().unstack("count_column")
    complete = grouped["usable"].all().unstack("count_column").fillna(False).astype(bool)
    needed = Counter(PATHWAY_COUNTS.values())
    present = grouped.size().unstack("count_column").fillna(0)
    for column in pathway.COUNT_COLUMNS:
        if column not in counts:
            counts[column], complete[column], present[column] = np.nan, False, 0
        complete[column] &= present[column].eq(needed[column])
    counts = counts[pathway.COUNT_COLUMNS].where(complete[pathway.COUNT_COLUMNS])
    rates = pathway.add_rates(counts.fillna(0))
    for rate, (numerator, denominator) in pathway.RATE_DEFINITIONS.items():
        rates[rate] = rates[rate].where(complete[numerator + denominator].all(axis=1))
    rates["concluded_s42"] = counts["concluded_s42"]
    rates = rates.reset_index()
    level_rank = {level: i for i, level in enumerate(LEVELS)}
    rates = rates.assign(_level=rates["geography_level"].map(level_rank)).sort_values(
        ["financial_year", "_level", "ons_code", "name"], kind="stable")
    out = rates[columns].replace({"ons_code": {"": pd.NA}}).reset_index(drop=True)
    out.columns.name = None
    for column in ["ons_code", "name", "financial_year"]:
        out[column] = out[column].astype("string")
    return out


def _round_half_up(values: pd.Series, digits: int = 1) -> pd.Series:
    scale = 10 ** digits
    return np.floor(values.astype(float) * scale + 0.5 + 1e-9) / scale


def msp_rates_csv(df_sac: pd.DataFrame) -> str:
    """:func:`msp_rates` as CSV text, rates rounded half up to 1 dp (the output of ``msp-analysis msp-rates``).

    >>> msp_rates_csv(clean).splitlines()[0]   # doctest: +SKIP
    'ons_code,name,financial_year,concluded_s42,asked_pct,expressed_pct,fully_pct,partially_pct,not_pct,fully_or_partially_pct'
    """
    rates = msp_rates(df_sac)
    for column in rates.columns[4:]:
        rates[column] = _round_half_up(rates[column])
    rates["concluded_s42"] = rates["concluded_s42"].astype(float).round().astype("Int64")
    return rates.to_csv(index=False, lineterminator="\n", float_format="%.1f")
