"""Raw tables as users receive them: CSV (UTF-8, UTF-8 with BOM, cp1252), XLSX and ODS, every cell as text.

The reader finds the delimiter, the encoding and the header row (published workbooks open with
title rows and notes) and records where each row came from, so a reject can point a person to
the row they see in their spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import pandas as pd

from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.paths import resolve_path

ENCODINGS = ("utf-8-sig", "cp1252")
HEADER_SEARCH_ROWS = 50
DELIMITERS = ",;\t|"


def read_table(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or cp1252), XLSX or ODS table with every cell as text.

    The header row is located automatically (published workbooks open with title rows and
    notes); ``_source_file`` and ``_source_row`` record where each row came from, as a person
    would find it in a spreadsheet. Text keeps leading zeros and lets cleaners decide what is
    a number. Fully blank rows are not data and are skipped. A relative `path` is read from the
    project root (:func:`~msp_analysis.toolkit.paths.resolve_path`).
    """
    given, path = str(path), resolve_path(path)
    if not path.is_file():
        raise UnusableInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise UnusableInputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".ods"):
            grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, keep_default_na=False,
                                 engine="odf" if suffix == ".ods" else "openpyxl")
            frame = _frame_from_grid(grid.fillna("").astype(str).values.tolist(), path)
        else:
            frame = _read_csv(path)
    except UnusableInputError:
        raise
    except Exception as error:  # pandas/openpyxl/odf errors become one message naming the file
        raise UnusableInputError(f"{path}: cannot be read as a table ({type(error).__name__}: {error})") from None
    frame["_source_file"] = given  # rejects name the file as the caller gave it
    return frame


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else cp1252."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if b"\x00" in head:
            raise UnusableInputError(f"{path}: not a text table (binary content); export it as CSV, XLSX or ODS")
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head)
            for block in iter(lambda: handle.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _read_csv(path: Path) -> pd.DataFrame:
    encoding = _detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        # only the shape of the first lines matters here; a huge cell is cut short, not parsed
        head = [line[:100_000] for _, line in zip(range(HEADER_SEARCH_ROWS), handle, strict=False)]
    delimiter = max(DELIMITERS, key=lambda d: max((line.count(d) for line in head), default=0))
    rows = list(csv.reader(head, delimiter=delimiter))
    header_index, header = _locate_header(rows, path)
    frame = pd.read_csv(path, sep=delimiter, skiprows=header_index + 1, header=None, names=header,
                        dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False,
                        encoding=encoding, encoding_errors="replace", on_bad_lines="error", engine="c")
    return _finish(frame, path, first_row=header_index + 2)


def _frame_from_grid(grid: list[list[str]], path: Path) -> pd.DataFrame:
    header_index, header = _locate_header(grid[:HEADER_SEARCH_ROWS], path)
    body = [row[: len(header)] + [""] * (len(header) - len(row)) for row in grid[header_index + 1:]]
    return _finish(pd.DataFrame(body, columns=header, dtype=str), path, first_row=header_index + 2)


def _finish(frame: pd.DataFrame, path: Path, first_row: int) -> pd.DataFrame:
    frame = frame.fillna("")
    empty_unnamed = [c for c in frame.columns if str(c).startswith("unnamed_") and frame[c].str.strip().eq("").all()]
    frame = frame.drop(columns=empty_unnamed)
    frame.insert(len(frame.columns), "_source_row", range(first_row, first_row + len(frame)))
    frame.insert(len(frame.columns), "_source_file", str(path))
    data_columns = [c for c in frame.columns if not str(c).startswith("_source")]
    candidates = frame.index[frame[data_columns[0]].eq("")] if data_columns else frame.index
    blank = candidates[frame.loc[candidates, data_columns].apply(lambda c: c.str.strip().eq("")).all(axis=1)]
    return frame.drop(index=blank).reset_index(drop=True) if len(blank) else frame


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
        return True
    except ValueError:
        return False


def _locate_header(rows: list[list[str]], path: Path) -> tuple[int, list[str]]:
    """Index and names of the header: the first wide row of mostly text. A row of group titles
    directly above it (merged cells; not a title starting in column A) is folded into the names."""
    filled = [[c.strip() for c in row] for row in rows]
    widths = [sum(bool(c) for c in row) for row in filled]
    if not widths or max(widths) == 0:
        raise UnusableInputError(f"{path}: no table found (the first {HEADER_SEARCH_ROWS} rows are blank)")
    widest = max(widths)
    for index, row in enumerate(filled):  # noqa: B007  (the header index is used after the loop)
        cells = [c for c in row if c]
        if len(cells) >= max(1, 0.6 * widest) and sum(not _is_number(c) for c in cells) >= 0.6 * len(cells):
            break
    else:
        raise UnusableInputError(f"{path}: no header row found; the first row should name the columns")
    names = list(filled[index])
    above = filled[index - 1] if index > 0 else []
    is_group_row = widths[index - 1] >= 2 or (widths[index - 1] == 1 and not above[0]) if index > 0 else False
    if is_group_row and widths[index - 1] < widths[index]:
        group = ""
        for position, title in enumerate(filled[index - 1] + [""] * (len(names) - len(filled[index - 1]))):
            group = title or group
            if group and position < len(names) and names[position] and group != names[position]:
                names[position] = f"{group} {names[position]}"
    names = [name or f"unnamed_{position + 1}" for position, name in enumerate(names)]
    seen: dict[str, str] = {}
    for name in names:
        key = re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")
        if key in seen:
            raise UnusableInputError(f"{path}: columns {seen[key]!r} and {name!r} in the header row "
                                     f"(row {index + 1}) name the same column; keep one")
        seen[key] = name
    return index, names


