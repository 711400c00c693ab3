"""Reading raw files and writing processed outputs, the only file-system code of the pipeline.

Writes are atomic (write to a temporary file in the same folder, then rename), so a
crash never leaves a half-written parquet, CSV or report where a user would find it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from msp_analysis import __version__
from msp_analysis.clean.common import CleanResult, UnusableInputError

ENCODINGS = ("utf-8-sig", "cp1252")
SCHEMA_VERSION = "1"
FORMULA_PREFIXES = ("=", "+", "-", "@")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks (inputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or cp1252), XLSX or ODS file with every cell as text.

    Text keeps leading zeros of CASSR codes and lets the cleaners decide what is a number.
    """
    path = Path(path)
    if not path.is_file():
        raise UnusableInputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".ods"):
            return pd.read_excel(path, dtype=str, keep_default_na=False, engine="odf" if suffix == ".ods" else None)
        raw = path.read_bytes()
        if not raw.strip():
            raise UnusableInputError(f"{path}: the file is empty")
        for encoding in ENCODINGS:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        from io import StringIO

        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    except UnusableInputError:
        raise
    except Exception as error:  # pandas/openpyxl errors become one message naming the file
        raise UnusableInputError(f"{path}: cannot be read as a table ({type(error).__name__}: {error})") from None


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it into place only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    os.chmod(temp, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
    try:
        yield Path(temp)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


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
        "reject_lines": len(result.rejects),
        "reconciles": result.reconciles(),
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
    }
    write_text(out_dir / f"{kind}.manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_clean(kind: str, data_dir: str | Path) -> pd.DataFrame:
    """Read DIR/KIND.parquet written by ``msp-analysis clean``; a missing file is a clear error."""
    path = Path(data_dir) / f"{kind}.parquet"
    if not path.is_file():
        raise UnusableInputError(f"{path}: not found; run `msp-analysis clean {kind} ... --out {data_dir}` first")
    return pd.read_parquet(path)
