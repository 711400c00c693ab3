"""What the text of a SAC file means: tables, labels, values and geographies, read through the codebook.

The Safeguarding Adults Collection (SAC) names the same table, label or place in many ways
across years and layouts; the variants are data (``codebook/sac_tables.csv``,
``sac_labels.csv``, ``sac_terms.csv``, ``sac_known_issues.csv``). Each reader here takes one
distinct text (or tuple of texts) and says what it means, or why it means nothing, so
:func:`msp_analysis.clean.sac.clean_sac` can call it once per distinct value. The layout
constants are shared with the SAC-format export (``disclosure.sac_export``) and the MSP
rates (``analysis.msp_rates``).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from msp_analysis.clean.common import GEOGRAPHY_LEVELS
from msp_analysis.reference import geography
from msp_analysis.reference.codebook import normalise_label, read_codebook, unknown_markers

SAC_LONG_COLUMNS = [
    "GEOGRAPHY", "COUNCIL_TYPE", "REGION_CODE", "REGION_NAME", "ONS_CODE", "LA_CODE", "LA_NAME",
    "TABLE_REFERENCE", "ENQUIRY_TYPE", "CATEGORY", "SUBCATEGORY", "VALUE",
]
YEAR_COLUMN = "FINANCIAL_YEAR"  # written by this package so one file can hold several years
ENGLAND_ONS_CODE = "E92000001"
ENGLAND_LA_CODE = "1010"
CONCLUDED_S42 = "Concluded Section 42 Enquiries"
MSP_TABLE = "SG4a"
CAPACITY_TABLE = "SG3a"
TOTAL_LABEL = "Total"
# A published * or [c] stands for a count of 0 to 4: the SAC suppresses counts under 5.
SUPPRESSED_UPPER = 4.0

_ACCEPTED_MARKER_KINDS = ("suppressed", "not_available", "not_applicable", "no_data", "missing")
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_NEGATIVE = re.compile(r"^-\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


# --- codebook tables ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def tables() -> pd.DataFrame:
    """``sac_tables.csv`` indexed by table: dimensions (a list), crossed (bool), enquiry type, wide name."""
    rows = read_codebook("sac_tables.csv")
    rows["crossed"] = rows["crossed"].eq("true")
    rows["dimensions"] = rows["dimensions"].str.split(";")
    return rows.set_index("table", drop=False)


@functools.lru_cache(maxsize=1)
def label_index() -> dict[str, dict[str, tuple[str, str]]]:
    """table -> normalised variant -> (canonical label, dimension); table ``*`` rows join every table."""
    labels = read_codebook("sac_labels.csv")
    names = list(tables()["table"])
    index: dict[str, dict[str, tuple[str, str]]] = {table: {} for table in names}
    for table, dimension, label, variant in labels[["table", "dimension", "label", "variant"]].itertuples(index=False):
        if table != "*" and table not in index:
            raise ValueError(f"sac_labels.csv: table {table!r} is not in sac_tables.csv")
        for target in names if table == "*" else [table]:
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


@functools.cache
def _canonical_labels(table: str, dimension: str | None) -> tuple[str, ...]:
    labels = read_codebook("sac_labels.csv")
    rows = labels[(labels["table"] == table) & (labels["label"] == labels["variant"])]
    if dimension is not None:
        rows = rows[rows["dimension"] == dimension]
    return tuple(rows["label"])


@functools.cache
def terms(field: str) -> dict[str, str]:
    """Normalised variant -> canonical term of `field` in ``sac_terms.csv`` (geography level, council type…)."""
    rows = read_codebook("sac_terms.csv")
    rows = rows[rows["field"] == field]
    return {normalise_label(v): c for v, c in zip(rows["variant"], rows["canonical"], strict=True)}


@functools.lru_cache(maxsize=1)
def known_issues() -> dict[tuple[str, str, str], str]:
    """(financial year, ONS code, table or '') -> note."""
    issues = read_codebook("sac_known_issues.csv")
    return {(y, c, t): n for y, c, t, n in issues[["financial_year", "ons_code", "table", "note"]].itertuples(index=False)}


@functools.cache
def council_lookup(year: str) -> dict[str, tuple[str, str, str, str]]:
    """ONS code -> (CASSR code, name, council type, region) of the councils of `year`."""
    table = geography.councils(year)
    return {
        ons: (cassr, name, kind, region)
        for ons, cassr, name, kind, region in table[list(geography.COUNCIL_COLUMNS)].itertuples(index=False)
    }


def _table_key(value: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"^table\s*", "", value.strip(), flags=re.IGNORECASE)).casefold()


@functools.lru_cache(maxsize=1)
def _table_lookup() -> dict[str, str]:
    rows = tables()
    lookup = {_table_key(t): t for t in rows["table"]}
    lookup.update({_table_key(w): t for t, w in zip(rows["table"], rows["wide_table"], strict=True) if w})
    return lookup


def canonical_table(reference: str) -> str | None:
    """The SAC table a TABLE_REFERENCE means (``Table SG4a``, ``sg4a``, ``T8``), else None."""
    return _table_lookup().get(_table_key(reference))


# --- one label, one value, one geography ----------------------------------------------------------


def resolve_label(table: str, category: str, subcategory: str) -> tuple:
    """(label, sublabel, problem column, reason) of one CATEGORY/SUBCATEGORY pair of `table`."""
    if not table:
        return (None, None, None, None)  # the table reference is rejected already
    category, subcategory = category.strip(), subcategory.strip()
    index = label_index()[table]
    info = tables().loc[table]
    neutral = terms("neutral_subcategory")
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


def parse_value(text: str) -> tuple:
    """(value, lower, upper, suppressed, not_submitted, marker, reason) of one VALUE cell."""
    text = text.strip()
    kind = unknown_markers().get(normalise_label(text)) if not _NUMBER.match(text) or text == "999999" else None
    if kind in _ACCEPTED_MARKER_KINDS:
        if kind == "suppressed":
            return (np.nan, 0.0, SUPPRESSED_UPPER, True, False, text, None)
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


def _region_of(*values: str) -> str | None:
    """The canonical English region the first of `values` names, else None."""
    for value in values:
        if value:
            try:
                return geography.canonical_region(value)
            except ValueError:
                continue
    return None


def resolve_geography(level_text: str, council_type: str, region_code: str, region_name: str, ons: str, la_code: str,
                      la_name: str, type_or_region: str, year: str) -> tuple:
    """(level, ONS code, CASSR code, name, region, problem column, reason) of one geography."""
    levels = terms("geography_level")
    types = terms("council_type")
    level_text, council_type, region_code, region_name, la_name, type_or_region = (
        v.strip() for v in (level_text, council_type, region_code, region_name, la_name, type_or_region))
    ons = ons.strip().upper()
    la_code = re.sub(r"\.0+$", "", la_code.strip())
    level = levels.get(normalise_label(level_text)) if level_text else None
    if level_text and level is None:
        return (None,) * 5 + ("geography", f"not a geography level; expected one of {', '.join(GEOGRAPHY_LEVELS)}")
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
    cassr, name, _kind, region = council_lookup(known_year)[code]
    return ("Council", code, cassr, name, region, None, None)
