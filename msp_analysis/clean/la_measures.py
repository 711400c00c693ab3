"""Clean council-level outcome and workforce measures (kind ``la_measures``).

Three published layouts carry them (docs/data.md: "Council measures", "Public files for real-data figures"):

* ``ascof_trend`` — the compiled ASCOF trend table (one Outcome row per council, region,
  council type or England, measure and year);
* ``ascof_nhsd`` — NHS Digital's official ASCOF open-data file: long, with Outcome,
  Numerator, Denominator, Base and Margin Of Error rows for every disaggregation;
* ``oflog`` — Oflog's ``ASC_data.csv`` (ASC1–ASC7, ASC7 = workforce turnover %).

:func:`clean_la_measures` maps all three to one tidy table, one row per geography × year ×
measure × disaggregation. Measure codes were renumbered in 2023-24 and descriptions drift,
so measures are matched by *meaning* through ``codebook/measures.csv`` (one row per published
description variant); unknown measures are kept as ``other``. Suppression markers become
a missing value plus a ``value_marker``; nothing is dropped silently: every row is clean,
rejected with a reason, or — for the numerator/denominator/base/margin rows of the
official file — folded into its outcome row and counted in ``rows_filtered``. All
disaggregations (Total, Male, 65 and over, …) are kept, in the ``disaggregation`` column.
Oflog's MEDIAN, MADs_from_median and rank_order are derived from the values and not carried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import PurePath

import numpy as np
import pandas as pd
import pandera.pandas as pa

from msp_analysis.clean.common import (
    GEOGRAPHY_LEVELS,
    SOURCE_FILE,
    SOURCE_ROW,
    CleanResult,
    normalise_column_name,
    parse_financial_years,
    reject_lines,
    with_source,
)
from msp_analysis.clean.sac_codebook import ENGLAND_ONS_CODE
from msp_analysis.clean.schemas import (
    AREA_CODE,
    DatasetKind,
    output_columns,
    output_dtypes,
    rule,
    schema,
    typed_column,
)
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import (
    normalise_label,
    read_codebook,
    unknown_markers,
)
from msp_analysis.reference.financial_years import financial_year_from_name, parse_financial_year
from msp_analysis.toolkit.errors import UnusableInputError

# the output contract: column order, exact dtypes and the rules across columns
SCHEMA = schema("la_measures", {
    "ons_code": typed_column("string", AREA_CODE, nullable=True,
                       description="E92000001 (England), the region's E12 code or the council's code in that year; "
                                   "missing for a council type."),
    "geography_level": typed_column("string", pa.Check.isin(list(GEOGRAPHY_LEVELS)),
                              description="England, Region, Council type or Council."),
    "name": typed_column("string", nullable=True, description="England, the region, the council type or the council."),
    "financial_year": typed_column("string", pa.Check.str_matches(r"^\d{4}-\d{2}$"), description="YYYY-YY."),
    "measure": typed_column("string", description="Measure matched by meaning (codebook measures.csv); 'other' when unknown."),
    "measure_code": typed_column("string", nullable=True, description="Measure code as published (renumbered in 2023-24)."),
    "description": typed_column("string", nullable=True, description="Measure description as published."),
    "value": typed_column("float64", nullable=True, description="The outcome value; missing where a marker stood."),
    "value_marker": typed_column("string", pa.Check.isin(sorted(set(unknown_markers().values()))), nullable=True,
                           description="Kind of marker published instead of a value (suppressed, not_available, missing …)."),
    "numerator": typed_column("float64", nullable=True, description="Numerator row of the official file, folded in."),
    "denominator": typed_column("float64", nullable=True, description="Denominator row of the official file, folded in."),
    "base": typed_column("float64", nullable=True, description="Base row of the official file, folded in."),
    "margin_of_error": typed_column("float64", nullable=True, description="Margin Of Error row of the official file, folded in."),
    "disaggregation": typed_column("string", description="Total, or the published disaggregation (Male, 65 and over …)."),
    "source": typed_column("string", description="Layout and file name, e.g. ascof_trend:trend_data.csv."),
}, [
    rule("value_or_marker", "every row has a value or a value_marker, never both",
          lambda d: d["value"].notna() != d["value_marker"].notna()),
])

OUTPUT_COLUMNS = output_columns(SCHEMA)
OUTPUT_DTYPES = output_dtypes(SCHEMA)
OTHER_MEASURE = "other"
LEVEL_BY_KEY = {normalise_label(level): level for level in GEOGRAPHY_LEVELS}  # "council type" -> "Council type"
# Measure Type rows of the official file; the non-outcome ones become columns of the outcome row.
MEASURE_TYPES = {
    "outcome": "value", "numerator": "numerator", "denominator": "denominator",
    "base": "base", "margin of error": "margin_of_error",
}
# Published council-type names, singular and plural, in one spelling (the plural, as most years).
COUNCIL_TYPE_NAMES = {
    "metropolitan district": "Metropolitan Districts",
    "unitary authority": "Unitary Authorities",
    "shire county": "Shire Counties",
    "london borough": "London Boroughs",
    "county": "Counties",
}

# Column sets of each layout, as normalise_column_name spells them. ``optional`` columns are
# used when present; ``year`` of the official file may come from the file name or `year=`.
LAYOUTS: dict[str, dict[str, list[str]]] = {
    "ascof_nhsd": {
        "required": [
            "geographical_code", "geographical_description", "geographical_level", "ons_code",
            "ascof_measure_code", "disaggregation_level", "measure_type", "measure_value",
            "measure_group", "measure_group_description",
        ],
        "optional": ["year"],
    },
    "ascof_trend": {
        "required": [
            "year", "geographical_description", "ons_code", "measure_group",
            "measure_group_description", "measure_value", "geographical_level",
            "disaggregation_level", "measure_type",
        ],
        "optional": [],
    },
    "oflog": {
        "required": ["financial_year", "local_authority_code", "measure", "value"],
        "optional": ["local_authority_name", "code"],
    },
}
LAYOUT_TITLES = {
    "ascof_nhsd": "NHS Digital ASCOF open data (Geographical Code, Geographical Description, "
                  "Geographical Level, ONS Code, ASCOF Measure Code, Disaggregation Level, Measure Type, "
                  "Measure Value, Measure Group, Measure Group Description)",
    "ascof_trend": "ASCOF trend table (Year, Geographical Description, ONS Code, Measure Group, "
                   "Measure Group Description, Measure_Value, Geographical Level, Disaggregation Level, "
                   "Measure Type)",
    "oflog": "Oflog ASC_data.csv (Financial year, Local authority code, Local authority name, "
             "Measure, Code, Value)",
}
FOLDED_REASON = (
    "Numerator, Denominator, Base and Margin Of Error rows are folded into their Outcome row "
    "(columns numerator, denominator, base, margin_of_error)"
)

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|[+-]?\.\d+(?:[eE][+-]?\d+)?")
_C1_DASH = "\x96"  # cp1252 en dash read as Latin-1/UTF-8 control character


# --- measures codebook -----------------------------------------------------------------------


def measure_key(description: object) -> str:
    """Matching key for a measure description: case, dashes, brackets, punctuation and a leading
    "The" do not matter, so ``"The proportion … (aged 18-64)"`` meets ``"Proportion … aged 18–64"``.

    >>> measure_key("The proportion of people who use services who feel safe")
    'proportion of people who use services who feel safe'
    """
    text = normalise_label(str(description).replace(_C1_DASH, "-"))
    text = re.sub(r"[^0-9a-z]+", " ", text).strip()
    return re.sub(r"^the ", "", text)


@lru_cache(maxsize=1)
def _measure_rules() -> tuple[tuple[str, str, frozenset[str], str], ...]:
    """measures.csv as (key, code, years, measure) rules, most specific first; checks for clashes."""
    table = read_codebook("measures.csv")
    rules = []
    for row in table.itertuples(index=False):
        years = frozenset(y.strip() for y in row.years.split(";") if y.strip())
        bad_years = [y for y in years if parse_financial_year(y) != y]
        if bad_years:
            raise ValueError(f"measures.csv: years {bad_years} of {row.measure!r} are not YYYY-YY")
        rules.append((measure_key(row.description), row.code.strip().upper(), years, row.measure))
    seen: dict[tuple, str] = {}
    for key, code, years, measure in rules:
        if seen.setdefault((key, code, years), measure) != measure:
            raise ValueError(
                f"measures.csv: description {key!r} (code {code or 'any'}) maps to both "
                f"{seen[(key, code, years)]!r} and {measure!r}"
            )
    rules.sort(key=lambda rule: (bool(rule[1]), bool(rule[2])), reverse=True)
    return tuple(rules)


def match_measure(description: object, code: object = "", year: object = "") -> str:
    """The measure id of a published description (``other`` when measures.csv does not know it).

    Rows of measures.csv with a code or years apply only to that code or those years and win
    over plain description rows; they settle descriptions published against the wrong code.
    Example: ``match_measure("The proportion of people who use services who feel safe") == "feel_safe"``.
    """
    key = measure_key("" if pd.isna(description) else description)
    code = "" if pd.isna(code) else str(code).strip().upper()
    year = "" if pd.isna(year) else str(year)
    for rule_key, rule_code, rule_years, measure in _measure_rules():
        if rule_key == key and rule_code in ("", code) and (not rule_years or year in rule_years):
            return measure
    return OTHER_MEASURE


def match_measures(descriptions: pd.Series, codes: pd.Series, years: pd.Series) -> pd.Series:
    """Vectorised :func:`match_measure`: each distinct (description, code, year) is matched once."""
    triples = pd.DataFrame({"d": descriptions, "c": codes, "y": years}).astype("string").fillna("")
    uniques = triples.drop_duplicates()
    uniques = uniques.assign(m=[match_measure(d, c, y)
                                for d, c, y in zip(uniques["d"], uniques["c"], uniques["y"], strict=True)])
    return triples.merge(uniques, on=["d", "c", "y"], how="left")["m"].set_axis(descriptions.index)


# --- values ----------------------------------------------------------------------------------


def parse_values(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read published values: numbers (``1,234``, ``69.9``, ``12%``) or markers (``[x]``, ``[c]``, blank).

    Returns (float values, marker kind such as ``suppressed``/``not_available``/``missing``
    where a marker stood, mask of text that is neither).
    """
    text = values.astype("string").fillna("").str.strip()
    markers = unknown_markers()
    uniques = pd.Series(text.unique(), dtype="string")

    def read(cell: str) -> tuple[float, object]:
        kind = markers.get(normalise_label(cell))
        if kind is not None:
            return np.nan, kind
        number = cell[:-1].strip() if cell.endswith("%") else cell
        if _NUMBER.fullmatch(number):
            value = float(number.replace(",", ""))
            return (value, None) if np.isfinite(value) else (np.nan, "invalid")  # 1e999 or 400 nines: infinity
        return np.nan, "invalid"

    parsed = dict(zip(uniques, map(read, uniques), strict=True))
    numbers = text.map({k: v[0] for k, v in parsed.items()}).astype("float64")
    kinds = text.map({k: v[1] for k, v in parsed.items()}).astype("string")
    invalid = kinds.eq("invalid").fillna(False)
    return numbers, kinds.mask(invalid), invalid


# --- layouts ---------------------------------------------------------------------------------


def detect_layout(frame: pd.DataFrame, source: str) -> str:
    """Name the layout of `frame` from its columns, or say which column sets are expected."""
    columns = {normalise_column_name(c) for c in frame.columns if not str(c).startswith("_source")}
    for name, spec in LAYOUTS.items():  # official first: its columns include the trend table's but Year
        if set(spec["required"]) <= columns:
            return name
    expected = "\n".join(f"  - {title}" for title in LAYOUT_TITLES.values())
    found = ", ".join(map(str, frame.columns)) or "no columns"
    raise UnusableInputError(
        f"{source}: not a council-measures file (la_measures); found columns {found}. "
        f"Expected one of these column sets:\n{expected}"
    )


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text ('' when absent), so blanks are one value, not three."""
    if column not in df:
        return pd.Series("", index=df.index, dtype="string")
    return df[column].astype("string").fillna("").str.strip()


def _standardise(df: pd.DataFrame, layout: str, year: str | None) -> pd.DataFrame:
    """One long frame for every layout: year, level, name, code, measure code and type, value text."""
    if layout == "oflog":
        code = _text(df, "local_authority_code")
        upper = code.str.upper()
        level = pd.Series("Council", index=df.index, dtype="string")
        level = level.mask(upper.str.startswith("E92"), "England").mask(upper.str.startswith("E12"), "Region")
        return pd.DataFrame({
            "year_raw": _text(df, "financial_year"),
            "level_raw": level,
            "name_raw": _text(df, "local_authority_name"),
            "ons_raw": code,
            "cassr_raw": "",
            "code_raw": _text(df, "code"),
            "description": _text(df, "measure"),
            "disaggregation_raw": "",
            "type_raw": "",
            "value_raw": _text(df, "value"),
        }, index=df.index)
    year_raw = _text(df, "year")
    if layout == "ascof_nhsd":
        missing_year = year_raw.eq("")
        if missing_year.any():
            fallback = year or None
            files = df.loc[missing_year, SOURCE_FILE].astype(str)
            by_file = {name: fallback or financial_year_from_name(name, compact=True) for name in files.unique()}
            unknown = sorted(name for name, found in by_file.items() if found is None)
            if unknown:
                raise UnusableInputError(
                    f"{', '.join(unknown)}: the ASCOF open-data file has no Year column and its name does "
                    f"not state the financial year; pass year='2020-21' (CLI: --year 2020-21)"
                )
            year_raw = year_raw.mask(missing_year, files.map(by_file).astype("string"))
    return pd.DataFrame({
        "year_raw": year_raw,
        "level_raw": _text(df, "geographical_level"),
        "name_raw": _text(df, "geographical_description"),
        "ons_raw": _text(df, "ons_code"),
        "cassr_raw": _text(df, "geographical_code") if layout == "ascof_nhsd" else "",
        "code_raw": _text(df, "measure_group"),
        "description": _text(df, "measure_group_description"),
        "disaggregation_raw": _text(df, "disaggregation_level"),
        "type_raw": _text(df, "measure_type"),
        "value_raw": _text(df, "measure_value"),
    }, index=df.index)


# --- the cleaner -----------------------------------------------------------------------------


def clean_la_measures(
    frame: pd.DataFrame, source: str = "la_measures.csv", year: str | None = None
) -> CleanResult:
    """Clean an ASCOF trend table, an NHS Digital ASCOF open-data file or Oflog's ASC_data.csv.

    `frame` is all text (as ``io.read_table`` gives) and may carry ``_source_file``/``_source_row``.
    `year` names the financial year of an official ASCOF file that has no Year column (otherwise
    it is read from the file name, e.g. ``…-eng-2021-…`` = 2020-21). Returns one row per
    geography × year × measure × disaggregation with OUTPUT_COLUMNS.

    >>> result = clean_la_measures(read_table("trend_data.csv"), source="trend_data.csv")  # doctest: +SKIP
    >>> result.clean.query("measure == 'feel_safe' and geography_level == 'England'")  # doctest: +SKIP
    """
    df = with_source(frame, source).reset_index(drop=True)
    files = df[SOURCE_FILE].astype(str)
    if files.nunique() <= 1:
        return _clean_one_file(df, str(files.iloc[0]) if len(df) else source, year)
    # Several files stacked by the CLI: each keeps its own layout (its columns are those it filled).
    results = []
    for name in files.unique():
        part = df[files.eq(name)]
        results.append(_clean_one_file(part.loc[:, part.notna().any()].reset_index(drop=True), name, year))
    return _combine(results)


def _combine(results: list[CleanResult]) -> CleanResult:
    """One result from the results of several files, counts summed."""
    reasons: dict[str, int] = {}
    for result in results:
        for reason, count in result.filter_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    rejects = pd.concat([r.rejects for r in results], ignore_index=True)
    return CleanResult(
        clean=pd.concat([r.clean for r in results], ignore_index=True),
        rejects=rejects.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True),
        rows_in=sum(r.rows_in for r in results),
        rows_rejected=sum(r.rows_rejected for r in results),
        rows_filtered=sum(r.rows_filtered for r in results),
        filter_reasons=reasons,
    )


def _clean_one_file(df: pd.DataFrame, source: str, year: str | None) -> CleanResult:
    """Clean the rows of one file (one layout); `df` already carries its source columns."""
    layout = detect_layout(df, source)
    df = df.rename(columns={c: normalise_column_name(c) for c in df.columns if not str(c).startswith("_source")})
    if df.columns.duplicated().any():
        twice = sorted(set(df.columns[df.columns.duplicated()]))
        raise UnusableInputError(f"{source}: columns {twice} appear twice (after ignoring case and spacing)")
    std = _standardise(df, layout, year)
    std[SOURCE_FILE], std[SOURCE_ROW] = df[SOURCE_FILE].astype(str), df[SOURCE_ROW]
    reject = _Rejects(std)

    fy = parse_financial_years(std["year_raw"])
    reject(fy.isna(), "year_raw", "not a financial year; expected e.g. 2019-20")
    std["financial_year"] = fy

    level_key = std["level_raw"].map(normalise_label)
    std["geography_level"] = level_key.map(LEVEL_BY_KEY).astype("string")
    reject(std["geography_level"].isna(), "level_raw",
           "unknown geographical level; expected Council, Region, Council type or England")
    _resolve_geography(std, reject)

    mtype = std["type_raw"].map(normalise_label).replace("", "outcome")
    std["measure_type"] = mtype.map(MEASURE_TYPES).astype("string")
    reject(std["measure_type"].isna(), "type_raw",
           "unknown Measure Type; expected Outcome, Numerator, Denominator, Base or Margin Of Error")
    disaggregation = std["disaggregation_raw"].mask(std["disaggregation_raw"].eq(""), "Total")
    std["disaggregation"] = disaggregation.mask(disaggregation.str.casefold().eq("total"), "Total")

    numbers, kinds, invalid = parse_values(std["value_raw"])
    reject(invalid, "value_raw", "not a number or a known marker ([x], [c], blank…); expected e.g. 69.9")
    std["number"], std["value_marker"] = numbers, kinds

    reject(std["code_raw"].eq("") & std["description"].eq(""), "code_raw",
           "no measure code and no description; cannot tell which measure this row is")
    std["measure_code"] = std["code_raw"].mask(std["code_raw"].eq(""))
    std["measure"] = match_measures(std["description"], std["code_raw"], std["financial_year"])
    std["source"] = layout + ":" + _map_unique(std[SOURCE_FILE], lambda path: PurePath(path).name)

    clean, folded = _pivot(std, reject)
    rejects = reject.lines()
    rejects["column"] = rejects["column"].map(_published_column(layout)).fillna(rejects["column"])
    rejects = rejects.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    return CleanResult(
        clean=clean, rejects=rejects, rows_in=len(std), rows_rejected=int(reject.rows().sum()),
        rows_filtered=folded, filter_reasons={FOLDED_REASON: folded} if folded else {},
    )


def _published_column(layout: str) -> dict[str, str]:
    """Internal column -> the column name the user sees in their file (for reject lines)."""
    if layout == "oflog":
        return {"year_raw": "Financial year", "ons_raw": "Local authority code", "level_raw": "Local authority code",
                "name_raw": "Local authority name", "value_raw": "Value", "code_raw": "Code", "description": "Measure"}
    return {"year_raw": "Year", "level_raw": "Geographical Level", "name_raw": "Geographical Description",
            "ons_raw": "ONS Code", "cassr_raw": "Geographical Code", "code_raw": "Measure Group",
            "description": "Measure Group Description", "type_raw": "Measure Type",
            "value_raw": "Measure Value" if layout == "ascof_nhsd" else "Measure_Value",
            "disaggregation_raw": "Disaggregation Level"}


class _Rejects:
    """Collects reject lines for the rows of one standardised frame; callable like ``reject(mask, column, reason)``.

    A reason may be one text or a Series of texts aligned with the frame (e.g. naming the first row).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.parts: list[pd.DataFrame] = []
        self.rejected = pd.Series(False, index=frame.index)

    def __call__(self, mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        mask = mask.reindex(self.frame.index, fill_value=False).fillna(False).astype(bool)
        if not mask.any():
            return
        lines = reject_lines(self.frame, mask, column, "")
        lines["reason"] = reason[mask] if isinstance(reason, pd.Series) else reason
        self.parts.append(lines)
        self.rejected |= mask

    def rows(self) -> pd.Series:
        """Mask of rows with at least one reject line."""
        return self.rejected.copy()

    def lines(self) -> pd.DataFrame:
        """All reject lines so far (an empty frame with the reject columns when there are none)."""
        if not self.parts:
            return reject_lines(self.frame, self.frame.index < 0, "", "")
        return pd.concat(self.parts, ignore_index=True)


def _resolve_geography(std: pd.DataFrame, reject: _Rejects) -> None:
    """Set ons_code, name and geo_key per row; reject councils, regions unknown in their year."""
    level, year = std["geography_level"], std["financial_year"]
    ons, cassr, name = std["ons_raw"], std["cassr_raw"], std["name_raw"]
    std["ons_code"] = pd.Series(pd.NA, index=std.index, dtype="string")
    std["name"] = pd.Series(pd.NA, index=std.index, dtype="string")

    is_england = level.eq("England").fillna(False)
    std.loc[is_england, "ons_code"], std.loc[is_england, "name"] = ENGLAND_ONS_CODE, "England"

    is_region = level.eq("Region").fillna(False)
    by_name = _map_unique(name[is_region], _region_or_none)
    by_code = _map_unique(ons[is_region], _region_or_none)
    region = by_name.fillna(by_code)
    reject(is_region & region.reindex(std.index).isna(), "name_raw",
           "unknown region; expected one of the nine English regions (e.g. North East) or its E12 code")
    reject(is_region & (by_name.notna() & by_code.notna() & by_name.ne(by_code)).reindex(std.index, fill_value=False),
           "ons_raw", "ONS Code names a different region from the Geographical Description")
    region_codes = {region_name: code for code, region_name in geography.REGIONS}
    std.loc[is_region, "name"] = region
    std.loc[is_region, "ons_code"] = region.map(region_codes)

    is_type = level.eq("Council type").fillna(False)
    std.loc[is_type, "name"] = _map_unique(
        name[is_type], lambda n: COUNCIL_TYPE_NAMES.get(normalise_label(n), n) if n else None)
    reject(is_type & name.eq(""), "name_raw", "council type name is blank; expected e.g. Shire Counties")

    is_council = level.eq("Council").fillna(False)
    known_year = year.isin(geography.FINANCIAL_YEARS).fillna(False)
    reject(is_council & year.notna() & ~known_year, "year_raw",
           f"no council list for this financial year; the council codebook covers "
           f"{geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]}")
    ask = is_council & known_year
    code = ons.where(ons.ne(""), cassr.where(cassr.ne(""), name))
    resolved = pd.Series(pd.NA, index=std.index, dtype="string")
    if ask.any():
        resolved[ask] = geography.resolve_councils(code[ask], year[ask]).astype("string")
    reject(ask & code.eq(""), "ons_raw", "no council code; give the ONS code (E06…, E08…, E09…, E10…)")
    reject(ask & code.ne("") & resolved.isna(), "ons_raw",
           "unknown council code for that financial year; see `msp-analysis councils --year YEAR`")
    both = ask & ons.ne("") & cassr.ne("") & resolved.notna()
    if both.any():
        by_cassr = geography.resolve_councils(cassr[both], year[both]).astype("string")
        reject((by_cassr.ne(resolved[both]) | by_cassr.isna()).reindex(std.index, fill_value=False), "cassr_raw",
               "the CASSR code (Geographical Code) and the ONS Code name different councils")
    std.loc[ask, "ons_code"] = resolved[ask]
    years = year[ask & resolved.notna()].unique()
    if len(years):
        lookup = pd.concat([geography.councils(y).assign(financial_year=y) for y in years], ignore_index=True)
        names = std[["ons_code", "financial_year"]].merge(
            lookup[["ons_code", "financial_year", "name"]], on=["ons_code", "financial_year"], how="left")["name"]
        std.loc[ask, "name"] = names.set_axis(std.index)[ask]
    std["geo_key"] = std["ons_code"].fillna(std["name"]).fillna("")


def _region_or_none(value: str) -> str | None:
    try:
        return geography.canonical_region(value) if value else None
    except ValueError:
        return None


def _map_unique(values: pd.Series, function: Callable[[str], str | None]) -> pd.Series:
    """Apply `function` once per distinct value (vectorised for big frames)."""
    uniques = values.unique()
    return values.map(dict(zip(uniques, map(function, uniques), strict=True))).astype("string")


def _pivot(std: pd.DataFrame, reject: _Rejects) -> tuple[pd.DataFrame, int]:
    """Put numerator, denominator, base and margin beside their outcome; reject duplicates and orphans.

    Returns (clean frame, rows folded into an outcome row).
    """
    valid = ~reject.rows()
    description_key = _map_unique(std["description"], measure_key)
    code_or_text = std["code_raw"].str.upper().mask(std["code_raw"].eq(""), description_key)
    group = [SOURCE_FILE, "financial_year", "geography_level", "geo_key", "disaggregation"]
    key = code_or_text.astype("string")
    for column in group:  # string concatenation, not a per-row join: the files have ~50,000 rows
        key = std[column].astype("string").fillna("") + "\x1f" + key
    std["_group"] = key

    keyed = std[valid]
    first_row = keyed.groupby(["_group", "measure_type"])[SOURCE_ROW].transform("min")
    duplicate = keyed.duplicated(["_group", "measure_type"], keep="first")
    reject(duplicate.reindex(std.index, fill_value=False), "code_raw",
           "duplicate row: the same year, geography, measure, disaggregation and measure type as row "
           + first_row.astype(str).reindex(std.index).fillna(""))
    valid &= ~duplicate.reindex(std.index, fill_value=False)

    outcome = valid & std["measure_type"].eq("value")
    same = ["source", "financial_year", "geography_level", "geo_key", "disaggregation", "measure"]
    clash = outcome & std["measure"].ne(OTHER_MEASURE) & std[outcome].duplicated(same, keep=False).reindex(
        std.index, fill_value=False)
    if clash.any():
        codes = std[clash].groupby(same)["code_raw"].transform(lambda s: ", ".join(sorted(set(s))))
        reject(clash, "description", "measure codes " + codes.reindex(std.index).fillna("")
               + " mean the same measure in one year; fix reference/codebook/measures.csv")
        outcome &= ~clash
        valid &= ~clash

    component = valid & ~std["measure_type"].eq("value")
    orphan = component & ~std["_group"].isin(std.loc[outcome, "_group"])
    reject(orphan, "type_raw", "no usable Outcome row for the same year, geography, measure and "
           "disaggregation; this row only describes one")
    folded = component & ~orphan

    out = std[outcome].set_index("_group")
    for column in ["numerator", "denominator", "base", "margin_of_error"]:
        part = std[folded & std["measure_type"].eq(column)].set_index("_group")["number"]
        out[column] = part.reindex(out.index).astype("float64")
    out = out.rename(columns={"number": "value"}).reset_index(drop=True)
    out["description"] = out["description"].mask(out["description"].eq(""))
    clean = out[OUTPUT_COLUMNS].astype(OUTPUT_DTYPES).reset_index(drop=True)
    return clean, int(folded.sum())


KIND = DatasetKind("la_measures", clean_la_measures, SCHEMA, (
    "Council outcome and workforce measures (ASCOF, Oflog), one row per geography × year × measure × "
    "disaggregation (docs/data.md, Council measures)."))
