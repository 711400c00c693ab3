"""Files written safely: atomic writes, CSV cells that spreadsheets show rather than run, checksums.

Writes go to a temporary file in the same folder and are renamed into place, so a crash never
leaves a half-written parquet, CSV or report where a user would find it; a write that fails
says why in words (disk full, no permission, a file where a folder should be).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from msp_analysis.toolkit.errors import OutputError
from msp_analysis.toolkit.paths import resolve_path

FORMULA_PREFIXES = ("=", "+", "-", "@")
# what a spreadsheet may read as the start of a formula: the four signs, their full-width forms, and the
# tab, carriage return and NUL a spreadsheet skips before them (``\t=1+1`` runs as ``=1+1``)
FULL_WIDTH_PREFIXES = ("\uff1d", "\uff0b", "\uff0d", "\uff20")
RISKY_PREFIXES = (*FORMULA_PREFIXES, *FULL_WIDTH_PREFIXES, "\t", "\r", "\n", "\x00")
# record-level outputs (clean parquet, rejects) are for their owner: read and write for the user only
PRIVATE, SHARED = 0o600, 0o666
LOCK_FILE = ".msp-analysis.lock"


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in blocks (inputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux: /proc/self/status; elsewhere set and reset)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | Path, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it into place only if the block succeeds.

    The file gets the permissions a plain ``open()`` would give under the user's umask, or, when
    `private` (record-level data), read and write for its owner only whatever the umask. A
    relative `target` is read from the project root (:func:`~msp_analysis.toolkit.paths.resolve_path`).
    """
    target = resolve_path(target)
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        os.chmod(temp, (PRIVATE if private else SHARED) & ~current_umask())
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


def neutralise_text(value: str) -> str:
    """One cell as a spreadsheet should show it: a quote before anything it could run as a formula
    (``=`` ``+`` ``-`` ``@``, their full-width forms, or a tab, CR, LF or NUL before them), NUL bytes shown.

    >>> neutralise_text("\\t=1+1"), neutralise_text("\\uff1d1+1"), neutralise_text("plain")
    ("'\\t=1+1", "'＝1+1", 'plain')
    """
    risky = value.startswith(RISKY_PREFIXES)
    value = value.replace("\x00", "\\x00")
    return "'" + value if risky else value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Quote-prefix text cells (and column names) a spreadsheet would run, so it shows them instead."""
    out = frame.copy()
    out.columns = [neutralise_text(c) if isinstance(c, str) else c for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            text = column.astype("string")
            risky = (text.str.startswith(RISKY_PREFIXES) | text.str.contains("\x00", regex=False)).fillna(False)
            if risky.any():
                out.iloc[:, position] = text.where(~risky, text[risky].map(neutralise_text))
    return out


def write_csv(target: str | Path, frame: pd.DataFrame, private: bool = False) -> None:
    """Write a CSV atomically with formula-like cells neutralised (`private`: owner-only, for record-level rows)."""
    with atomic_path(target, private=private) as temp:
        neutralise_formulas(frame).to_csv(temp, index=False, lineterminator="\n")


class OutputLock:
    """One writer per output folder: ``DIR/.msp-analysis.lock`` holds the writer's PID, start time and command.

    Created atomically (``O_CREAT | O_EXCL``). A lock whose process is gone (or is another process
    that reused its PID, told apart by its start time) is taken over with a message; a live one
    makes the second writer stop with an :class:`OutputError` naming the holder.

    >>> with OutputLock("pack/", "pack"):   # doctest: +SKIP
    ...     write_everything()
    """

    def __init__(self, folder: str | Path, command: str, say=None):
        self.folder, self.command, self.say = Path(folder), command, say
        self.path = self.folder / LOCK_FILE
        self.held = False
        self.created = False

    def __enter__(self) -> OutputLock:
        self.created = not self.folder.exists()  # a folder made only for the lock goes when the run wrote nothing
        ensure_folder(self.folder)
        record = json.dumps({"pid": os.getpid(), "started": _process_start(os.getpid()), "command": self.command,
                             "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        for _ in range(3):
            try:
                _create_whole(self.path, record)
            except FileExistsError:
                holder = _read_lock(self.path)
                if holder is not None and holder.get("pid") == os.getpid():
                    return self  # this process holds it already (the CLI, then the batch it runs): not held twice
                if holder is not None and holder_alive(holder):
                    raise OutputError(
                        f"{self.folder} is in use by another msp-analysis {holder.get('command', '')} (process "
                        f"{holder.get('pid')}, since {holder.get('since', '?')}); wait for it to finish or choose "
                        "another --out folder") from None
                if self.say is not None:
                    self.say(f"{self.folder}: taking over the lock of msp-analysis process "
                             f"{(holder or {}).get('pid', '?')}, which is no longer running")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
                continue
            except OSError as error:
                raise OutputError(_explain_write_error(self.path, error)) from None
            self.held = True
            return self
        raise OutputError(f"{self.folder}: could not take the lock {self.path}; another run keeps taking it")

    def __exit__(self, *exc) -> None:
        if self.held:
            holder = _read_lock(self.path)
            if holder is not None and holder.get("pid") == os.getpid():
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            self.held = False
            if self.created:
                with contextlib.suppress(OSError):
                    self.folder.rmdir()  # only when empty


def _create_whole(path: Path, text: str) -> None:
    """Create `path` holding `text`, atomically and only if it does not exist (FileExistsError if it does).

    The text is written to a file of its own first and hard-linked into place, so a reader never
    sees a half-written lock; where hard links are not supported, ``O_EXCL`` does the same job.
    """
    staged = path.with_name(f"{path.name}.{os.getpid()}.new")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, SHARED & ~current_umask())
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        os.link(staged, path)
    except FileExistsError:
        raise
    except OSError:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SHARED & ~current_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    finally:
        staged.unlink(missing_ok=True)


def _read_lock(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _process_start(pid: int) -> str:
    """The start time of a process in clock ticks since boot (Linux), to tell a reused PID apart; "" elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def holder_alive(holder: dict) -> bool:
    """True when the process that wrote a lock record (``pid``, ``started``) is still running."""
    try:
        pid = int(holder.get("pid", 0))
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    started = holder.get("started", "")
    return not started or not _process_start(pid) or _process_start(pid) == started
