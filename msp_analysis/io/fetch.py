"""Published national files, downloaded with a record of where they came from: ``DIR/SOURCES.json``.

``msp-analysis fetch KIND --year YYYY-YY --out DIR`` downloads the file that the codebook's
``sources.csv`` names for that kind and year (or an address given with ``--url``) and records its
address, when it was fetched, its size and its sha256 in ``DIR/SOURCES.json``. A file already in
``DIR`` whose bytes differ from what the publisher now serves is kept unless ``force`` is given:
a publisher revising a file must not silently change the figures built on it.

This is the only module of the package that uses the network, and only when asked to.
:func:`publisher_file` reads the record back, so that the manifest of a processed file
(:mod:`.processed`) and through it every report's provenance can name the publisher's file.
Where each dataset is published, including those with no known address, is in
``docs/data_sources.md``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from msp_analysis import __version__
from msp_analysis.reference.codebook import published_files
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import OutputError, ParameterError, UnusableInputError
from msp_analysis.toolkit.files import atomic_path, sha256_of, write_text
from msp_analysis.toolkit.paths import resolve_path

SOURCES_FILE = "SOURCES.json"
SOURCES_PAGE = "docs/data_sources.md"
TIMEOUT_SECONDS = 60.0
_BLOCK = 1 << 16
_ABOUT = ("Files downloaded by `msp-analysis fetch`: the address each came from, when, its size in bytes and "
          "its sha256. `msp-analysis clean` copies the record of each input into its manifest.")
# what a record carries from the codebook row besides the address
_DESCRIPTION = ("publisher", "publication", "licence")


@dataclass(frozen=True)
class Fetched:
    """One fetched file: where it is, its record in ``SOURCES.json`` and what happened to it.

    `status` is ``downloaded`` (new in the folder), ``unchanged`` (the same bytes as the file
    already there) or ``replaced`` (different bytes, written over the old file with ``force``).
    """

    path: Path
    record: dict
    status: str


class _KeepExisting(Exception):
    """Raised inside the atomic write so that the file already there stays; not an OSError on purpose."""


def financial_year(year: object) -> str:
    """`year` as ``YYYY-YY`` (``2021/22`` and ``2021 to 2022`` are accepted); anything else is a ParameterError."""
    text = str(year).strip()
    canonical = None if text.isdigit() else parse_financial_year(text)  # digits alone would read as an Excel date
    if canonical is None:
        raise ParameterError(f"--year {year!r} is not a financial year; expected e.g. 2021-22")
    return canonical


def known_source(kind: str, year: object) -> dict[str, str]:
    """The ``sources.csv`` row of `kind` and `year`; when there is none, a ParameterError that says where to look.

    >>> known_source("sac", "2021/22")["file_name"]
    'sac-eng-2021-22-data-tables.xlsx'
    """
    year = financial_year(year)
    rows = published_files()
    for row in rows:
        if row["kind"] == kind and row["year"] == year:
            return dict(row)
    known = ", ".join(f"{row['kind']} {row['year']}" for row in rows) or "none"
    raise ParameterError(
        f"no published address is known for {kind} {year} (known: {known}); {SOURCES_PAGE} says who publishes "
        f"each dataset and where: download the file from its publication page, or give its address with --url")


def given_source(kind: str, year: object, url: str) -> dict[str, str]:
    """A source for an address the user found (``--url``); described from ``sources.csv`` when it is the known one."""
    year = financial_year(year)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(f"--url {url!r} is not an http:// or https:// address")
    name = unquote(PurePosixPath(parts.path).name)
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise ParameterError(f"--url {url!r} does not end in a file name")
    for row in published_files():
        if row["url"] == url:
            return {**row, "kind": kind, "year": year}
    return {"kind": kind, "year": year, "url": url, "file_name": name, "address_from": "given with --url"}


def read_sources(folder: str | Path) -> dict[str, dict]:
    """The records of ``folder/SOURCES.json`` by file name; empty when the folder has none."""
    path = resolve_path(folder) / SOURCES_FILE
    if not path.is_file():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict) or not all(isinstance(record, dict) for record in files.values()):
            raise ValueError("'files' is not a table of records by file name")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UnusableInputError(f"{path}: not a {SOURCES_FILE} written by `msp-analysis fetch` ({error}); "
                                 f"fix it or delete it and fetch again") from None
    return files


def publisher_file(path: str | Path, sha256: str | None = None) -> dict | None:
    """The ``SOURCES.json`` record of `path` (from its own folder), or None when it was not fetched.

    The record gains ``file`` (its name) and ``unchanged_since_fetch``: whether `path` still has
    the sha256 it had when fetched (`sha256`, when the caller has already computed it).
    """
    path = resolve_path(path)
    record = read_sources(path.parent).get(path.name)
    if record is None:
        return None
    current = sha256 or sha256_of(path)
    return {"file": path.name, **record, "unchanged_since_fetch": record.get("sha256") == current}


def fetch(kind: str, year: object, out_dir: str | Path, *, url: str | None = None, force: bool = False,
          timeout: float = TIMEOUT_SECONDS, now: datetime | None = None) -> Fetched:
    """Download the published file of `kind` and `year` into `out_dir` and record it in ``SOURCES.json``.

    The address is the one ``sources.csv`` knows for the kind and year, or `url`. The file is
    written atomically (an interrupted download leaves nothing behind). A file of the same name
    already there is replaced only when its bytes are the same, or with `force`; otherwise an
    :class:`~msp_analysis.toolkit.errors.OutputError` names both hashes. A network that cannot be
    reached, a server error or a page served instead of a file is an
    :class:`~msp_analysis.toolkit.errors.UnusableInputError` in one line.
    """
    source = given_source(kind, year, url) if url else known_source(kind, year)
    out_dir = resolve_path(out_dir)
    target = out_dir / source["file_name"]
    records = read_sources(out_dir)  # a broken SOURCES.json stops us before anything is downloaded
    previous = sha256_of(target) if target.is_file() else None
    try:
        with atomic_path(target) as temp:
            size, sha256, final_url = _download(source["url"], temp, target.name, timeout)
            if previous not in (None, sha256) and not force:
                raise _KeepExisting
    except _KeepExisting:
        raise OutputError(
            f"{target}: already there with sha256 {previous}, but {source['url']} now serves a different file "
            f"(sha256 {sha256}); the publisher may have revised it. Kept the old file; rerun with --force to "
            f"replace it") from None
    status = "downloaded" if previous is None else "unchanged" if previous == sha256 else "replaced"
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = records.get(target.name, {})
    record = {"kind": source["kind"], "year": source["year"], "url": source["url"]}
    if final_url != source["url"]:
        record["final_url"] = final_url
    record |= {"fetched": stamp, "size": size, "sha256": sha256}
    if status == "unchanged" and old.get("sha256") == sha256:
        record |= {"fetched": old.get("fetched", stamp), "checked": stamp}
    if status == "replaced":
        record["replaces"] = {"sha256": previous, "fetched": old.get("fetched", "")}
    record |= {key: source[key] for key in _DESCRIPTION if source.get(key)}
    record["address_from"] = source.get("address_from", "")
    records[target.name] = record
    write_text(out_dir / SOURCES_FILE,
               json.dumps({"about": _ABOUT, "files": dict(sorted(records.items()))}, indent=2) + "\n")
    return Fetched(target, record, status)


def _download(url: str, temp: Path, name: str, timeout: float) -> tuple[int, str, str]:
    """Stream `url` into `temp` (for the file `name`); (size, sha256, the address finally served). Network problems become one line."""
    host = urlsplit(url).netloc
    request = urllib.request.Request(url, headers={"User-Agent": f"msp-analysis/{__version__}"})
    digest, size = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(temp, "wb") as out:
            served = response.headers.get_content_type()
            if served == "text/html" and not name.lower().endswith((".html", ".htm")):
                raise UnusableInputError(
                    f"{url} served a web page, not a data file: the file may have moved; find it on its publication "
                    f"page ({SOURCES_PAGE}) and give its address with --url")
            expected = response.headers.get("Content-Length")
            for block in iter(lambda: response.read(_BLOCK), b""):
                digest.update(block)
                size += len(block)
                out.write(block)
            final_url = response.geturl()
    except urllib.error.HTTPError as error:
        raise UnusableInputError(
            f"{url}: the server answered {error.code} {error.reason}; the address may have moved: find the file "
            f"on its publication page ({SOURCES_PAGE}) and give its address with --url") from None
    except urllib.error.URLError as error:
        reason = getattr(error.reason, "strerror", None) or str(error.reason)
        raise UnusableInputError(f"cannot reach {host} ({reason}): is this machine online (or behind a proxy)? "
                                 f"Try again, or download the file by hand ({SOURCES_PAGE})") from None
    except TimeoutError:
        raise UnusableInputError(f"{host} did not answer within {timeout:g} s; try again later, or download the "
                                 f"file by hand ({SOURCES_PAGE})") from None
    except (ConnectionError, http.client.HTTPException) as error:
        raise UnusableInputError(f"the download from {host} broke off ({type(error).__name__}); try again") from None
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise UnusableInputError(f"the download of {url} was cut short ({size:,} of {int(expected):,} bytes); "
                                 f"try again")
    return size, digest.hexdigest(), final_url
