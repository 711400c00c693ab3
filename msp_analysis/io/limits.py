"""How much work one input may cost: named limits, checked before a file is read.

A 2 KB workbook can declare a million rows, a 1 KB ODS can repeat a row a million times and
a 2 MB shared-strings part can unpack to gigabytes; none of that is data. Every reader of this
layer checks these limits first (file size, the uncompressed size of every part of a
workbook, header width, line length) and counts the actual cells as it streams, so no input
costs more than a bounded multiple of its size. Each exceeded limit is one message naming the
file, the limit and how to raise it (``--limit NAME=VALUE`` on ``clean``, ``validate`` and
``pack``). The defaults, in :data:`DEFAULT_LIMITS` and docs/data.md:

============================  ==========  ==================================================
name                          default     what it bounds
============================  ==========  ==================================================
``file_mb``                   1024        size of one input file, in MB
``line_mb``                   64          one line of a CSV, in MB (a 10 MB cell is read)
``columns``                   16384       columns of a header (Excel's own maximum)
``cells``                     50000000    filled cells of one worksheet or ODS table
``part_mb``                   512         one unpacked part (sheet XML) of an xlsx or ods
``shared_strings_mb``         256         the unpacked shared-strings part of an xlsx
``zip_ratio``                 100         unpacked / packed size of a part over 10 MB
``repeated_rows``             10000       times an ODS table may repeat one filled row
============================  ==========  ==================================================
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from msp_analysis.toolkit.errors import ParameterError, UnusableInputError

MB = 1 << 20
RATIO_CHECKED_ABOVE = 10 * MB  # small parts compress well (repeated XML); only large ones can be bombs


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one input may cost; see the module docstring for each default."""

    file_mb: float = 1024
    line_mb: float = 64
    columns: int = 16_384
    cells: int = 50_000_000
    part_mb: float = 512
    shared_strings_mb: float = 256
    zip_ratio: float = 100
    repeated_rows: int = 10_000
    # what the message says to do when a limit is passed: raise it, or (fixed limits) what to check instead
    hint: str = field(default="raise it with --limit {name}=VALUE if the file is genuine", compare=False)


DEFAULT_LIMITS = Limits()


def parse_limits(pairs: list[str] | None) -> Limits:
    """``["file_mb=2048", "cells=1e8"]`` → :class:`Limits`; an unknown name or bad value is a ParameterError."""
    known = {f.name: f.type for f in fields(Limits) if f.name != "hint"}
    changes: dict[str, float | int] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ParameterError(f"--limit {pair!r}: expected NAME=VALUE with NAME one of {', '.join(known)}")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not number > 0 or number == float("inf"):
            raise ParameterError(f"--limit {name}={value!r}: expected a positive number")
        changes[name] = int(number) if known[name] in (int, "int") else number
    return replace(DEFAULT_LIMITS, **changes)


def exceeded(path: Path | str, what: str, found: str, name: str, limit: float,
             hint: str = DEFAULT_LIMITS.hint) -> UnusableInputError:
    """The one-line error for a limit: the file, what was found, the limit and how to raise it (`hint`)."""
    shown = f"{limit:,.0f}" if float(limit).is_integer() else f"{limit:,}"
    return UnusableInputError(f"{path}: {what} is {found}, more than the limit of {shown} ({name}); "
                              + hint.format(name=name))


def check_input_file(path: Path | str, limits: Limits = DEFAULT_LIMITS) -> Path:
    """An input that exists, is a regular file (not a folder, pipe or device), is not empty and not too large.

    Nothing is opened: a named pipe or ``/dev/zero`` would block or never end.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UnusableInputError(f"{path}: no such file") from None
    except OSError as error:
        raise UnusableInputError(f"{path}: cannot be read ({error.strerror or error})") from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise UnusableInputError(f"{path}: is a folder, not a file; give the files in it (e.g. {path}/*.csv)")
    if stat.S_ISFIFO(mode):
        raise UnusableInputError(f"{path}: is a named pipe (FIFO), not a file; save the data to a file first")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise UnusableInputError(f"{path}: is a device, not a file; give a CSV, XLSX or ODS file")
    if stat.S_ISSOCK(mode) or not stat.S_ISREG(mode):
        raise UnusableInputError(f"{path}: is not a regular file; give a CSV, XLSX or ODS file")
    if not os.access(path, os.R_OK):
        raise UnusableInputError(f"{path}: no permission to read it")
    if info.st_size == 0:
        raise UnusableInputError(f"{path}: the file is empty")
    if info.st_size > limits.file_mb * MB:
        raise exceeded(path, "the file", f"{info.st_size / MB:,.0f} MB", "file_mb", limits.file_mb, limits.hint)
    return path


def check_zip_parts(path: Path | str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook (xlsx or ods: a zip) any of whose parts would unpack beyond the limits.

    Read from the zip's directory, before anything is unpacked; a file that is not a zip is
    left for the workbook reader to name.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    for info in infos:
        size = info.file_size
        if info.filename.endswith("sharedStrings.xml") and size > limits.shared_strings_mb * MB:
            raise exceeded(path, "its shared-strings part unpacked", f"{size / MB:,.0f} MB", "shared_strings_mb",
                           limits.shared_strings_mb, limits.hint)
        if size > limits.part_mb * MB:
            raise exceeded(path, f"part {info.filename} unpacked", f"{size / MB:,.0f} MB", "part_mb", limits.part_mb, limits.hint)
        if size > RATIO_CHECKED_ABOVE and size > limits.zip_ratio * max(info.compress_size, 1):
            raise exceeded(path, f"part {info.filename} unpacks {size / MB:,.0f} MB from "
                           f"{info.compress_size / MB:,.1f} MB; its ratio", f"{size / max(info.compress_size, 1):,.0f}",
                           "zip_ratio", limits.zip_ratio, limits.hint)
