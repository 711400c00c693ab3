"""Council geography: which councils exist in each financial year, and what their codes are.

Files join on codes, but users bring names (``Bristol, City of``, ``St. Helens``), CASSR codes
stored as integers and pre-2013 ONS codes. Everything here turns those into the canonical ONS
code for the financial year, using the tables in ``codebook/`` (``councils.csv``,
``council_aliases.csv``, ``ons_recodes.csv``), so a new variant is a one-line data change.
The tables are read on first use and cached; nothing is read at import.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from importlib import resources

import numpy as np
import pandas as pd

from msp_analysis.toolkit.errors import ParameterError

FINANCIAL_YEARS: tuple[str, ...] = (
    "2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21",
    "2021-22", "2022-23", "2023-24", "2024-25", "2025-26",
)

# The nine English regions (ADASS branches follow them), in ONS code order.
REGIONS: tuple[tuple[str, str], ...] = (
    ("E12000001", "North East"),
    ("E12000002", "North West"),
    ("E12000003", "Yorkshire and the Humber"),
    ("E12000004", "East Midlands"),
    ("E12000005", "West Midlands"),
    ("E12000006", "East of England"),
    ("E12000007", "London"),
    ("E12000008", "South East"),
    ("E12000009", "South West"),
)

# Region spellings found in published files, beyond case, spacing and "&".
_REGION_ALIASES: dict[str, str] = {
    "eastern": "East of England",
    "east": "East of England",
    "yorkshire and humber": "Yorkshire and the Humber",
}

# Boundary changes on 1 April as (first financial year of the successor, old code, new code).
# Old Dorset county also passes to BCP because Christchurch was part of it.
BOUNDARY_CHANGES: tuple[tuple[str, str, str], ...] = (
    ("2019-20", "E06000028", "E06000058"),  # Bournemouth -> BCP
    ("2019-20", "E06000029", "E06000058"),  # Poole -> BCP
    ("2019-20", "E10000009", "E06000058"),  # Dorset county (Christchurch) -> BCP
    ("2019-20", "E10000009", "E06000059"),  # Dorset county -> Dorset
    ("2020-21", "E10000002", "E06000060"),  # Buckinghamshire
    ("2021-22", "E10000021", "E06000061"),  # Northamptonshire -> North Northamptonshire
    ("2021-22", "E10000021", "E06000062"),  # Northamptonshire -> West Northamptonshire
    ("2023-24", "E10000006", "E06000063"),  # Cumbria -> Cumberland
    ("2023-24", "E10000006", "E06000064"),  # Cumbria -> Westmorland and Furness
    ("2023-24", "E10000023", "E06000065"),  # North Yorkshire
    ("2023-24", "E10000027", "E06000066"),  # Somerset
)

COUNCIL_COLUMNS: tuple[str, ...] = ("ons_code", "cassr_code", "name", "council_type", "region")

_ONS_COUNCIL_CODE = re.compile(r"E\d{8}")
_CASSR_CODE = re.compile(r"\d{1,3}(?:\.0*)?")
_REORDER = re.compile(r"^(?P<place>.+?)\s*,\s*(?P<kind>city|county) of$")
_PREFIXES = (
    "the ", "london borough of ", "royal borough of ", "metropolitan borough of ", "borough of ",
)
_SUFFIXES = (
    " metropolitan borough council", " metropolitan district council", " county borough council",
    " london borough council", " london borough", " unitary authority", " borough council",
    " district council", " county council", " city council", " council", " mbc", " cc",
)


def _read_codebook(filename: str) -> pd.DataFrame:
    """Read one codebook CSV shipped with the package, every column as text."""
    text = (resources.files("msp_analysis.reference.codebook") / filename).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=1)
def _council_table() -> pd.DataFrame:
    """councils.csv with the lifetime as year positions (first_index, last_index)."""
    table = _read_codebook("councils.csv")
    table["first_index"] = table["first_year"].map(FINANCIAL_YEARS.index)
    last = table["last_year"].where(table["last_year"] != "", FINANCIAL_YEARS[-1])
    table["last_index"] = last.map(FINANCIAL_YEARS.index)
    # Latest council first, so a code or name shared across a boundary change picks the current one.
    return table.sort_values(["last_index", "first_index"], ascending=False).reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _lifetimes() -> dict[str, tuple[int, int]]:
    table = _council_table()
    return dict(zip(table["ons_code"], zip(table["first_index"], table["last_index"], strict=True), strict=True))


@functools.lru_cache(maxsize=1)
def _recodes() -> dict[str, str]:
    table = _read_codebook("ons_recodes.csv")
    return dict(zip(table["old_code"], table["new_code"], strict=True))


@functools.lru_cache(maxsize=1)
def _cassr_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for cassr, ons in zip(_council_table()["cassr_code"], _council_table()["ons_code"], strict=True):
        index[cassr] = index.get(cassr, ()) + (ons,)
    return index


@functools.lru_cache(maxsize=1)
def _name_index() -> dict[str, tuple[str, ...]]:
    """Normalised name or alias -> ONS codes, latest council first."""
    table = _council_table()
    aliases = _read_codebook("council_aliases.csv")
    unknown = sorted(set(aliases["ons_code"]) - set(table["ons_code"]))
    if unknown:
        raise ValueError(f"council_aliases.csv names ONS codes not in councils.csv: {unknown}")
    rank = {code: position for position, code in enumerate(table["ons_code"])}
    index: dict[str, tuple[str, ...]] = {}
    names = list(zip(table["name"], table["ons_code"], strict=True))
    for name, ons in names + list(zip(aliases["alias"], aliases["ons_code"], strict=True)):
        key = normalise_council_name(name)
        if ons not in index.get(key, ()):
            index[key] = tuple(sorted(index.get(key, ()) + (ons,), key=rank.__getitem__))
    return index


def _year_index(year: str) -> int:
    """Position of a canonical financial year, or a ParameterError (a ValueError) listing the valid ones."""
    cleaned = year.strip() if isinstance(year, str) else year
    if cleaned not in FINANCIAL_YEARS:
        raise ParameterError(
            f"Unknown financial year {year!r}; expected one of: {', '.join(FINANCIAL_YEARS)}"
        )
    return FINANCIAL_YEARS.index(cleaned)


def _exists(ons_code: str, year_index: int) -> bool:
    first, last = _lifetimes()[ons_code]
    return first <= year_index <= last


def _pick(candidates: tuple[str, ...] | None, year_index: int | None) -> str | None:
    """The latest candidate, or with a year the one existing that year (None if none does)."""
    if not candidates:
        return None
    if year_index is None:
        return candidates[0]
    return next((code for code in candidates if _exists(code, year_index)), None)


def _canonical_ons(code: str) -> str:
    cleaned = code.strip().upper()
    return _recodes().get(cleaned, cleaned)


def canonical_region(region: str) -> str:
    """Return the canonical region name for a name variant or E12 code.

    Published files spell regions differently ("Eastern", "Yorkshire and The Humber").
    Example: ``canonical_region("eastern") == "East of England"``.
    """
    names = [name for _, name in REGIONS]
    key = re.sub(r"\s+", " ", str(region).replace("&", " and ")).strip().casefold()
    by_key = {name.casefold(): name for name in names}
    by_key.update({code.casefold(): name for code, name in REGIONS})
    by_key.update(_REGION_ALIASES)
    if key not in by_key:
        raise ParameterError(
            f"Unknown region {region!r}; expected one of: {', '.join(names)} "
            f"(or their codes E12000001 to E12000009)"
        )
    return by_key[key]


def normalise_council_name(name: str) -> str:
    """Reduce a council name to a comparison key, so spelling variants meet.

    Casefolds, writes ``&`` as ``and``, turns ``X, City of`` into ``city of x``, drops
    punctuation and suffixes such as ``County Council`` or prefixes such as ``London Borough of``.
    Example: ``normalise_council_name("St. Helens Council") == "st helens"``.
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = re.sub(r"\s+", " ", text.replace("&", " and ")).strip()
    reordered = _REORDER.match(text)
    if reordered:
        text = f"{reordered['kind']} of {reordered['place']}"
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^\w\s]|_", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text, changed = text[len(prefix):], True
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
    return text


def councils(year: str, region: str | None = None) -> pd.DataFrame:
    """Return the councils with adult social services responsibilities in one financial year.

    One row per council, columns ``ons_code, cassr_code, name, council_type, region`` (text),
    sorted by region (in ONS order, North East first) then name. Boundary changes follow the
    year, so a region's list is right for that year's returns.
    Example: ``len(councils("2023-24", region="North East")) == 12``.
    """
    region_name = None if region is None else canonical_region(region)
    return _councils_cached(_year_index(year), region_name).copy()


@functools.cache
def _councils_cached(year_index: int, region_name: str | None) -> pd.DataFrame:
    table = _council_table()
    alive = table[(table["first_index"] <= year_index) & (table["last_index"] >= year_index)]
    if region_name is not None:
        alive = alive[alive["region"] == region_name]
    region_rank = {name: rank for rank, (_, name) in enumerate(REGIONS)}
    ordered = alive.assign(
        _region_rank=alive["region"].map(region_rank), _name_key=alive["name"].str.casefold()
    ).sort_values(["_region_rank", "_name_key"])
    return ordered[list(COUNCIL_COLUMNS)].reset_index(drop=True)


def councils_csv(year: str, region: str | None = None) -> str:
    """Return ``councils(year, region)`` as CSV text, the output of ``msp-analysis councils``.

    Example: ``councils_csv("2023-24").splitlines()[0]`` is
    ``"ons_code,cassr_code,name,council_type,region"``.
    """
    return councils(year, region).to_csv(index=False, lineterminator="\n")


SHORT_NAMES = {"Kingston upon Hull, City of": "Hull"}  # as people say them; others drop ", City of" / ", County of"


def short_name(name: str) -> str:
    """A council's name as a sentence or heading says it: 'Bristol, City of' → 'Bristol', 'Kingston upon Hull, City of' → 'Hull'."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    for tail in (", City of", ", County of"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name


def resolve_council(value: object, year: str | None = None) -> str | None:
    """Return the canonical ONS code for an ONS code, CASSR code or council name, else None.

    Accepts ONS codes in any case (pre-2013 codes are recoded), CASSR codes as text or numbers
    (``116``, ``"116"``) and name variants (``Bristol, City of``, ``Durham``). With a year the
    council must exist that year, which also settles codes and names reused across boundary
    changes; without one the latest council wins. Unknown years raise ValueError.
    Example: ``resolve_council("Dorset", "2018-19") == "E10000009"``.
    """
    year_index = None if year is None else _year_index(year)
    if value is None or isinstance(value, bool):
        return None
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if pd.api.types.is_float(value):
        if not float(value).is_integer():
            return None
        value = int(value)
    if pd.api.types.is_integer(value):
        in_range = 0 <= int(value) <= 999
        return _pick(_cassr_index().get(f"{int(value):03d}"), year_index) if in_range else None
    text = str(value).strip()
    if _ONS_COUNCIL_CODE.fullmatch(text.upper()):
        code = _canonical_ons(text)
        return _pick((code,), year_index) if code in _lifetimes() else None
    if _CASSR_CODE.fullmatch(text):
        return _pick(_cassr_index().get(f"{int(float(text)):03d}"), year_index)
    return _pick(_name_index().get(normalise_council_name(text)), year_index)


def resolve_councils(values: pd.Series, years: pd.Series | None = None) -> pd.Series:
    """Vectorised ``resolve_council``: each distinct (value, year) pair is resolved only once.

    ``years`` is aligned by position; a missing year resolves without a year. Returns an object
    Series of ONS codes (None where nothing matched) with the index of ``values``.
    Example: ``resolve_councils(pd.Series(["Durham", 116])).tolist() == ["E06000047"] * 2``.
    """
    value_codes, value_uniques = pd.factorize(values, use_na_sentinel=True)
    year_uniques: list[object] = []
    pair_codes = value_codes.astype("int64")
    if years is not None:
        if len(years) != len(values):
            raise ValueError(f"values has {len(values)} rows but years has {len(years)}")
        year_codes, year_uniques = pd.factorize(years, use_na_sentinel=True)
        pair_codes = pair_codes * (len(year_uniques) + 1) + (year_codes + 1)
    pair_index, pair_uniques = pd.factorize(pair_codes)
    resolved = np.empty(len(pair_uniques), dtype=object)
    for position, pair in enumerate(pair_uniques):
        if years is None:
            value_code, year_code = int(pair), 0
        else:
            value_code, year_code = divmod(int(pair), len(year_uniques) + 1)
        if value_code < 0:
            continue
        year = year_uniques[year_code - 1] if year_code > 0 else None
        resolved[position] = resolve_council(value_uniques[value_code], year)
    result = resolved[pair_index]
    return pd.Series(result, index=values.index, dtype=object, name="ons_code")


def successors(ons_code: str) -> list[str]:
    """Return the councils that took over from this one at a boundary change (empty if none).

    Useful to carry a council's history forward. Example: ``successors("E10000021") ==
    ["E06000061", "E06000062"]``. Codes that are not councils raise ValueError.
    """
    code = _known_code(ons_code)
    return sorted(new for _, old, new in BOUNDARY_CHANGES if old == code)


def predecessors(ons_code: str) -> list[str]:
    """Return the councils this one replaced at a boundary change (empty if none).

    Example: ``predecessors("E06000058") == ["E06000028", "E06000029", "E10000009"]``.
    """
    code = _known_code(ons_code)
    return sorted(old for _, old, new in BOUNDARY_CHANGES if new == code)


def _known_code(ons_code: str) -> str:
    code = _canonical_ons(str(ons_code))
    if code not in _lifetimes():
        raise ParameterError(f"{ons_code!r} is not the ONS code of a council in 2015-16 to 2025-26")
    return code


def region_of(ons_code: str, year: str | None = None) -> str | None:
    """Return the region name of a council (any value ``resolve_council`` accepts), else None.

    With a year the council must exist that year.
    Example: ``region_of("E06000047") == "North East"``.
    """
    code = resolve_council(ons_code, year)
    if code is None:
        return None
    table = _council_table()
    return table.loc[table["ons_code"] == code, "region"].iloc[0]
