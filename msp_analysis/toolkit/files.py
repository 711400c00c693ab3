"""Files written safely: atomic writes, CSV cells that spreadsheets show rather than run, checksums.

Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half-written parquet, CSV or report where a user would find it; a write that fails
says why in words (disk full, no permission, a file where a folder should be).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from msp_analysis.toolkit.errors import OutputError
from msp_analysis.toolkit.paths import resolve_path

FORMULA_PREFIXES = ("=", "+", "-", "@")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks (inputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it into place only if the block succeeds.

    A relative `target` is read from the project root (:func:`~msp_analysis.toolkit.paths.resolve_path`).
    """
    target = resolve_path(target)
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
    folder = resolve_path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as error:
        raise OutputError(_explain_write_error(folder / "…", error)) from None
    return folder


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
