"""Reading raw files and writing processed outputs, the only file-system code of the pipeline.

Writes are atomic (write to a temporary file in the same folder, then rename), so a
crash never leaves a half-written parquet, CSV or report where a user would find it.
"""

from __future__ import annotations

import codecs
import errno
import csv
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from msp_analysis import __version__
from msp_analysis.clean.common import CleanResult, UnusableInputError
from msp_analysis.schemas import SCHEMA_VERSION

ENCODINGS = ("utf-8-sig", "cp1252")
FORMULA_PREFIXES = ("=", "+", "-", "@")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks (inputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


HEADER_SEARCH_ROWS = 50
DELIMITERS = ",;\t|"


def read_table(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or cp1252), XLSX or ODS table with every cell as text.

    The header row is located automatically (published workbooks open with title rows and
    notes); ``_source_file`` and ``_source_row`` record where each row came from, as a person
    would find it in a spreadsheet. Text keeps leading zeros and lets cleaners decide what is
    a number. Fully blank rows are not data and are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise UnusableInputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise UnusableInputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".ods"):
            grid = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str, keep_default_na=False,
                                 engine="odf" if suffix == ".ods" else "openpyxl")
            return _frame_from_grid(grid.fillna("").astype(str).values.tolist(), path)
        return _read_csv(path)
    except UnusableInputError:
        raise
    except Exception as error:  # pandas/openpyxl/odf errors become one message naming the file
        raise UnusableInputError(f"{path}: cannot be read as a table ({type(error).__name__}: {error})") from None


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
        head = [line[:100_000] for _, line in zip(range(HEADER_SEARCH_ROWS), handle)]
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
    for index, row in enumerate(filled):
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


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it into place only if the block succeeds."""
    target = Path(target)
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        os.chmod(temp, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        yield Path(temp)
        os.replace(temp, target)
    except OSError as error:
        raise OutputError(_explain_write_error(target, error)) from None
    finally:
        if temp and os.path.exists(temp):
            os.unlink(temp)


def ensure_folder(folder: str | Path) -> Path:
    """Create an output folder, or say plainly why it cannot be one."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-")
        probe.close()
    except OSError as error:
        raise OutputError(_explain_write_error(folder / "…", error)) from None
    return folder


class OutputError(OSError):
    """An output cannot be written (folder is a file, no permission, disk full); says which and why."""


def _explain_write_error(target: Path, error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"cannot write {target}: the disk is full; free space or choose another --out folder"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {target}: no permission to write in {target.parent}; choose another --out folder"
    if error.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"cannot write {target}: part of {target.parent} is a file, not a folder; choose another --out folder"
    return f"cannot write {target}: {error.strerror or error}"


def write_text(target: str | Path, text: str) -> None:
    """Write text atomically."""
    with atomic_path(target) as temp:
        temp.write_text(text, encoding="utf-8")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with = + - @ with a quote so spreadsheets show, not run, them."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            out[column] = text.where(~risky, "'" + text)
    return out


def write_csv(target: str | Path, frame: pd.DataFrame) -> None:
    """Write a CSV atomically with formula-like cells neutralised."""
    with atomic_path(target) as temp:
        neutralise_formulas(frame).to_csv(temp, index=False, lineterminator="\n")


def write_clean_outputs(kind: str, result: CleanResult, inputs: list[str | Path], out_dir: str | Path) -> dict:
    """Write KIND.parquet, KIND.rejects.csv and KIND.manifest.json; return the manifest."""
    out_dir = Path(out_dir)
    with atomic_path(out_dir / f"{kind}.parquet") as temp:
        result.clean.to_parquet(temp, index=False)
    write_csv(out_dir / f"{kind}.rejects.csv", result.rejects)
    manifest = {
        "kind": kind,
        "inputs": [{"path": str(p), "sha256": sha256_of(p)} for p in inputs],
        "rows_in": result.rows_in,
        "rows_clean": result.rows_clean,
        "rows_rejected": result.rows_rejected,
        "rows_folded": result.rows_filtered,
        "folded_reasons": result.filter_reasons,
        "reject_lines": len(result.rejects),
        "reconciles": result.reconciles(),
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
    }
    write_text(out_dir / f"{kind}.manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


_CLEAN_CACHE: dict[tuple, pd.DataFrame] = {}


def read_clean(kind: str, data_dir: str | Path) -> pd.DataFrame:
    """Read DIR/KIND.parquet written by ``msp-analysis clean``; a missing file is a clear error.

    Frames are cached by file identity (path, size, modification time) so that a warm kernel
    rendering report after report reads each file once; pandas' copy-on-write keeps the
    cached frame safe from a caller that modifies what it got.
    """
    path = Path(data_dir) / f"{kind}.parquet"
    if not path.is_file():
        raise UnusableInputError(f"{path}: not found; run `msp-analysis clean {kind} ... --out {data_dir}` first")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CLEAN_CACHE:
        if len(_CLEAN_CACHE) >= 8:
            _CLEAN_CACHE.clear()
        _CLEAN_CACHE[key] = pd.read_parquet(path)
    return _CLEAN_CACHE[key]


def read_column_mapping(path: str | Path) -> dict[str, str]:
    """Read a council's ``their column: our column`` YAML mapping (safe_load only)."""
    import yaml

    try:
        mapping = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UnusableInputError(f"{path}: cannot read the column mapping ({error})") from None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise UnusableInputError(f"{path}: a column mapping is lines of 'their column name: our column name'")
    return mapping
