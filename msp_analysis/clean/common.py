"""Building blocks shared by the cleaners: labels, financial years, rejects, reconciliation.

Every cleaner returns a :class:`CleanResult` so that ``rows_in == rows_clean +
rows_rejected`` can be checked in one place and every reject carries the file, row,
column, value and a reason a person can act on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from msp_analysis.io.tables import READ_PROBLEM, READ_VALUE  # rows io.tables.read_table could not vouch for
from msp_analysis.reference.codebook import (
    field_info,
    label_lookup,
    normalise_label,
    unknown_markers,
)
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import ParameterError, UnusableInputError

REJECT_COLUMNS = ["file", "row", "column", "value", "reason"]
MAX_REJECT_VALUE = 200
SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"
# Levels of the published council tables (SAC, ASCOF, Oflog), from England down.
GEOGRAPHY_LEVELS = ("England", "Region", "Council type", "Council")


@dataclass
class CleanResult:
    """Clean rows, one reject line per problem, and the count of rows that came in.

    `rows_kept` is for cleaners whose output is not one row per input row (the long
    temperature-check frame has one row per answer): it counts the input rows kept, so
    reconciliation stays at the level of input rows. Left as None, it is ``len(clean)``.
    `rows_filtered` counts input rows folded into another clean row (a published numerator
    row placed beside its outcome), with their reasons in `filter_reasons`.
    """

    clean: pd.DataFrame
    rejects: pd.DataFrame
    rows_in: int
    rows_rejected: int = field(default=0)
    rows_kept: int | None = field(default=None)
    rows_filtered: int = field(default=0)
    filter_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_clean(self) -> int:
        """Input rows kept: ``rows_kept`` when the cleaner reshapes its output, else ``len(clean)``."""
        return len(self.clean) if self.rows_kept is None else self.rows_kept

    def reconciles(self) -> bool:
        """True when no row was lost: rows in = rows kept + rows rejected (+ rows folded)."""
        return self.rows_in == self.rows_clean + self.rows_rejected + self.rows_filtered




def split_read_problems(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows the reader flagged (``_read_problem``) as reject lines, and the other rows to clean.

    The reader keeps such rows rather than drop them (a quote left open, a NUL byte, a line in
    another encoding); they are rejected here, once, with the reader's reason, before any
    cleaner could mistake them for data.
    """
    if READ_PROBLEM not in frame:
        return frame, pd.DataFrame(columns=REJECT_COLUMNS)
    bad = frame[READ_PROBLEM].astype("string").fillna("").ne("").to_numpy()
    hit = frame.loc[bad]
    rejects = pd.DataFrame({
        "file": hit[SOURCE_FILE].astype(str) if SOURCE_FILE in hit else "",
        "row": hit[SOURCE_ROW].astype("int64") if SOURCE_ROW in hit else 0,
        "column": "(whole row)",
        "value": hit[READ_VALUE].astype(str).str.slice(0, MAX_REJECT_VALUE) if READ_VALUE in hit else "",
        "reason": hit[READ_PROBLEM].astype(str) + "; the whole row is left out",
    }).reset_index(drop=True)
    return frame.loc[~bad].drop(columns=[c for c in (READ_PROBLEM, READ_VALUE) if c in frame]), rejects


def add_read_rejects(result: CleanResult, rejects: pd.DataFrame) -> CleanResult:
    """`result` with the reader's rejected rows counted in and listed (see :func:`split_read_problems`)."""
    if not len(rejects):
        return result
    result.rows_in += len(rejects)
    result.rows_rejected += len(rejects)
    combined = pd.concat([result.rejects, rejects], ignore_index=True) if len(result.rejects) else rejects
    combined["row"] = combined["row"].astype("int64")
    result.rejects = combined.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)
    return result


def with_source(frame: pd.DataFrame, source: str, first_row: int = 2) -> pd.DataFrame:
    """Tag rows with the file and the row number a person sees there (header on row 1)."""
    frame = frame.copy()
    if SOURCE_FILE not in frame:
        frame[SOURCE_FILE] = source
    if SOURCE_ROW not in frame:
        frame[SOURCE_ROW] = np.arange(first_row, first_row + len(frame))
    return frame


_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]")


def normalise_identifier(value: object) -> str:
    """An ID as compared for duplicates: Unicode NFKC (full-width ``ＥＱ７`` is ``EQ7``), invisible characters
    (zero-width spaces, joiners, BOMs, direction marks) removed, spaces trimmed and runs of spaces made one.

    >>> normalise_identifier("\ufeffE\u200bQ7\u00a0")
    'EQ7'
    """
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(_INVISIBLE.sub("", text).split())


def normalise_column_name(name: object) -> str:
    """Header matching key: case, spaces and punctuation do not matter (``"Enquiry ID "`` → ``enquiry_id``)."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).casefold()).strip("_")


def match_columns(frame: pd.DataFrame, expected: list[str], source: str) -> pd.DataFrame:
    """Rename columns to the canonical names; an input missing a required column is unusable."""
    renamed = {c: normalise_column_name(c) for c in frame.columns if not str(c).startswith("_source")}
    frame = frame.rename(columns=renamed)
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise UnusableInputError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, renamed))}"
        )
    return frame


def apply_column_mapping(frame: pd.DataFrame, mapping: dict[str, str], source: str = "the input") -> pd.DataFrame:
    """Rename a council's own export columns to ours; names match case/space/punctuation-insensitively.

    Two columns may not end up with one name (two mapped onto ``age``, or one mapped onto a name
    another column already has): that is a ParameterError naming both, not a frame with a
    duplicated column.
    """
    wanted = {normalise_column_name(theirs): ours for theirs, ours in mapping.items()}
    renames = {c: wanted[normalise_column_name(c)] for c in frame.columns if normalise_column_name(c) in wanted}
    final: dict[str, str] = {}
    for column in frame.columns:
        name = renames.get(column, column)
        key = normalise_column_name(name) if not str(name).startswith("_source") else str(name)
        if key in final:
            raise ParameterError(f"--columns: {source}: columns {final[key]!r} and {column!r} would both be "
                                 f"{name!r}; map only one of them onto it")
        final[key] = str(column)
    return frame.rename(columns=renames)


def reject_lines(frame: pd.DataFrame, mask, column: str, reason: str | pd.Series) -> pd.DataFrame:
    """Reject lines for rows of `frame` where `mask` holds, naming `column`, its value and why.

    `reason` is one text, or a Series aligned with `frame` when each row has its own.
    """
    columns = [SOURCE_FILE, SOURCE_ROW] + ([column] if column in frame else [])
    hit = frame.loc[mask, columns]
    values = hit[column].astype("string").fillna("") if column in hit else pd.Series("", index=hit.index)
    if isinstance(reason, pd.Series):
        reason = reason[mask].astype(str).to_numpy()
    values = values.str.slice(0, MAX_REJECT_VALUE)  # a 10 MB cell is named, not copied
    return pd.DataFrame(
        {
            "file": hit[SOURCE_FILE].astype(str),
            "row": hit[SOURCE_ROW].astype("int64"),
            "column": column,
            "value": values.astype(str),
            "reason": reason,
        }
    )


def _broadcast(codes: np.ndarray, per_unique: pd.Series, index: pd.Index, dtype: str) -> pd.Series:
    """Spread results computed per distinct value back to every row (code -1 = missing)."""
    per_unique = pd.Series(per_unique).astype(dtype)
    if len(per_unique) == 0:
        return pd.Series(pd.NA, index=index, dtype=dtype)
    out = per_unique.take(np.where(codes < 0, 0, codes)).set_axis(index)
    return out.mask(codes < 0) if (codes < 0).any() else out


def map_unique(values: pd.Series, transform, dtype: str = "string") -> pd.Series:
    """Apply `transform` (Series of distinct values -> Series of results) once per distinct value.

    Exports repeat a few thousand distinct labels, dates and codes across a million rows, so
    parsing the distinct values and broadcasting them back is the fast path of every cleaner.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return _broadcast(codes, transform(pd.Series(uniques, dtype=object)), values.index, dtype)


def canonicalise(values: pd.Series, field_name: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Map raw labels of `field_name` to canonical SAC labels.

    Returns (canonical values, unrecognised mask, unknown-marker mask). Unknown markers
    become the field's own unknown label when it has one (``Not Known``), else missing.
    """
    lookup = label_lookup(field_name)
    markers = unknown_markers()
    unknown_label = field_info(field_name)["unknown_label"] or pd.NA
    codes, uniques = pd.factorize(values.astype("string").fillna(""), use_na_sentinel=True)
    keys = pd.Series(uniques, dtype=object).map(normalise_label)
    mapped = keys.map(lookup)
    is_marker = mapped.isna() & keys.isin(markers.keys())
    mapped = mapped.where(~is_marker, unknown_label)
    canonical = _broadcast(codes, mapped, values.index, "string")
    unknown = _broadcast(codes, is_marker, values.index, "boolean").fillna(False).astype(bool)
    unrecognised = canonical.isna() & ~unknown
    return canonical, unrecognised, unknown


MULTI_SEPARATOR = "; "


def canonicalise_multi(values: pd.Series, field_name: str) -> tuple[pd.Series, pd.Series]:
    """Canonicalise multi-valued cells (``"Physical; Financial"``, ``"Physical/Financial"``).

    Returns (canonical labels joined by ``"; "`` in codebook order, unrecognised mask).
    A ``/`` splits a cell only when the whole part is not itself a known label
    (``Financial/Material Abuse`` stays one label).
    """
    lookup = label_lookup(field_name)
    markers = unknown_markers()
    order = {label: i for i, label in enumerate(dict.fromkeys(lookup.values()))}

    def one(cell: str) -> str | None:
        labels: list[str] = []
        if normalise_label(cell) in markers:  # "Unknown", "N/K", blank: not known, not wrong
            return ""
        for part in re.split(r"[;|,]", cell):
            key = normalise_label(part)
            if not key:
                continue
            if key in lookup:
                labels.append(lookup[key])
                continue
            found = _split_on_slashes(key, lookup)
            if found is None:
                return None
            labels.extend(found)
        if not labels:
            return ""
        return MULTI_SEPARATOR.join(sorted(set(labels), key=order.__getitem__))

    text = values.astype("string").fillna("")
    canonical = map_unique(text, lambda uniques: uniques.map(one, na_action="ignore"))
    unrecognised = canonical.isna()
    return canonical.replace("", pd.NA), unrecognised


def _split_on_slashes(key: str, lookup: dict[str, str]) -> list[str] | None:
    """Read ``a/b/c`` as known labels, longest match first, so ``Financial/Material Abuse`` survives."""
    pieces = [normalise_label(p) for p in key.split("/")]
    labels, start = [], 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            candidate = "/".join(pieces[start:end])
            if candidate in lookup:
                labels.append(lookup[candidate])
                start = end
                break
        else:
            return None
    return labels


def parse_financial_years(values: pd.Series) -> pd.Series:
    """Vectorised :func:`parse_financial_year`: each distinct spelling is parsed once."""
    return map_unique(values, lambda uniques: uniques.map(parse_financial_year))


def financial_years_of(dates: pd.Series) -> pd.Series:
    """Vectorised :func:`financial_year_of_date`; missing dates give missing years."""
    start = dates.dt.year.astype("Int64") - (dates.dt.month < 4).astype("Int64")  # Int64: NaT must not make years floats
    end = (start + 1) % 100
    out = start.astype("string") + "-" + end.astype("string").str.zfill(2)
    return out.where(dates.notna())


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ISO (``2023-05-01``) and UK (``01/05/2023``) dates; anything else becomes NaT."""
    def parse(uniques: pd.Series) -> pd.Series:
        text = uniques.astype("string").str.strip()
        iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        uk = pd.to_datetime(text.where(iso.isna()), format="%d/%m/%Y", errors="coerce")
        return iso.fillna(uk)

    return map_unique(values, parse, dtype="datetime64[us]")
