"""Processed outputs: ``KIND.parquet``, ``KIND.rejects.csv`` and ``KIND.manifest.json``, written and read back.

The manifest records the sha256 of every input and the reconciliation of rows (in = clean +
rejected + folded). An input fetched from its publisher (its folder has a ``SOURCES.json``,
:mod:`.fetch`) also carries the publisher's file: address, when it was fetched, size and sha256,
and whether the input is still that file; :func:`publisher_files` reads that chain back for a
report's provenance. Files written by ``msp-analysis simulate`` are marked by a ``SIMULATED.json`` in
their folder (:func:`mark_simulated`); an input so marked is ``"simulated": true`` in the manifest,
and :func:`is_simulated` and :func:`simulation_truth` read that back for the reports, which say
on every page that their data are simulated. :func:`read_clean` keeps the one cache of this layer (see
:mod:`msp_analysis.toolkit.caches`): a warm kernel rendering report after report reads each
processed file once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import pandas as pd
import yaml

from msp_analysis import __version__
from msp_analysis.io.fetch import publisher_file
from msp_analysis.toolkit.caches import BoundedCache, register_source
from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.files import atomic_path, sha256_of, write_csv, write_text
from msp_analysis.toolkit.paths import project_relative, project_root, resolve_path

SCHEMA_VERSION = "1"
SIMULATED_FILE = "SIMULATED.json"  # beside the files `msp-analysis simulate` wrote: they are not real data
TRUTH_FILE = "truth.json"  # the simulator's true effects, beside the files it wrote
_SIMULATED_ABOUT = ("Files written by `msp-analysis simulate`: synthetic data, not real figures for any council they "
                    "name. `msp-analysis clean` marks every processed file made from them as simulated, and every "
                    "report built from those says so.")
# processed frames by file identity; a changed file is a new key (cleared by toolkit.caches.clear)
_PROCESSED = BoundedCache("processed_files", 8)


class CleanOutput(Protocol):
    """What a cleaner returns (``clean.common.CleanResult``), as far as writing it needs."""

    clean: pd.DataFrame
    rejects: pd.DataFrame
    rows_in: int
    rows_rejected: int
    rows_filtered: int
    filter_reasons: dict[str, int]

    @property
    def rows_clean(self) -> int: ...

    def reconciles(self) -> bool: ...


def write_clean_outputs(kind: str, result: CleanOutput, inputs: list[str | Path], out_dir: str | Path) -> dict:
    """Write KIND.parquet, KIND.rejects.csv and KIND.manifest.json; return the manifest.

    A relative `out_dir` or input is read from the project root (:func:`~msp_analysis.toolkit.paths.resolve_path`);
    the manifest records inputs relative to that root when they lie inside it.
    """
    out_dir = resolve_path(out_dir)
    with atomic_path(out_dir / f"{kind}.parquet", private=True) as temp:  # record-level: owner only
        result.clean.to_parquet(temp, index=False)
    write_csv(out_dir / f"{kind}.rejects.csv", result.rejects, private=True)
    entries = [_input_entry(p) for p in inputs]
    manifest = {
        "kind": kind,
        "inputs": entries,
        "rows_in": result.rows_in,
        "rows_clean": result.rows_clean,
        "rows_rejected": result.rows_rejected,
        "rows_folded": result.rows_filtered,
        "folded_reasons": result.filter_reasons,
        "reject_lines": len(result.rejects),
        "reconciles": result.reconciles(),
        "simulated": any(entry.get("simulated", False) for entry in entries),
        "schema_version": SCHEMA_VERSION,
        "package_version": __version__,
    }
    write_text(out_dir / f"{kind}.manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


def _input_entry(path: str | Path) -> dict:
    """An input of the manifest: its path and sha256, and the publisher's file when it was fetched."""
    path = resolve_path(path)
    sha256 = sha256_of(path)
    entry: dict = {"path": project_relative(path), "sha256": sha256}
    source = publisher_file(path, sha256)
    if source is not None:
        entry["publisher_file"] = source
    if _marked_simulated(path):
        entry["simulated"] = True
    return entry


def mark_simulated(folder: str | Path, files: list[str], about: dict) -> Path:
    """Write ``FOLDER/SIMULATED.json``: `files` (names in `folder`) are synthetic, made as `about` says (seed, scale).

    Cleaning one of those files records it as simulated in the manifest (:func:`write_clean_outputs`).
    """
    folder = resolve_path(folder)
    record = {"about": _SIMULATED_ABOUT, "simulated": True, **about,
              "files": {name: sha256_of(folder / name) for name in files}}
    path = folder / SIMULATED_FILE
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return path


def _marked_simulated(path: str | Path) -> bool:
    """True when the ``SIMULATED.json`` beside `path` lists it (by name: an edited simulated file is still simulated)."""
    path = resolve_path(path)
    marker = path.parent / SIMULATED_FILE
    try:
        return marker.is_file() and path.name in json.loads(marker.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        raise UnusableInputError(f"{marker}: cannot be read; run `msp-analysis simulate` again to rewrite it") from None


def _manifests(data_dir: str | Path) -> list[dict]:
    """Every readable ``KIND.manifest.json`` in `data_dir`, in name order."""
    manifests = []
    for path in sorted(resolve_path(data_dir).glob("*.manifest.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UnusableInputError(f"{path}: cannot be read; run `msp-analysis clean` again to rewrite it") from None
        if isinstance(manifest, dict):
            manifests.append(manifest)
    return manifests


def _simulated_inputs(manifest: dict) -> list[Path]:
    """The inputs of `manifest` that were simulated.

    A manifest written before the mark existed (no ``"simulated"`` key) is judged by its inputs' folders
    as they are now: a ``SIMULATED.json`` listing the input, or the simulator's ``truth.json`` beside it.
    A relative input path (as the manifest records one inside the project) is read from the project root.
    """
    inputs = [resolve_path(entry["path"]) for entry in manifest.get("inputs", [])
              if isinstance(entry, dict) and "path" in entry]
    if "simulated" in manifest:
        flags = [bool(entry.get("simulated")) for entry in manifest.get("inputs", [])
                 if isinstance(entry, dict) and "path" in entry]
        return [path for path, flag in zip(inputs, flags, strict=True) if flag]
    return [path for path in inputs if _marked_simulated(path) or (path.parent / TRUTH_FILE).is_file()]


def is_simulated(data_dir: str | Path) -> bool:
    """True when any processed file in `data_dir` was cleaned from simulated data (its manifest says so).

    >>> is_simulated("no/such/folder")
    False
    """
    return any(_simulated_inputs(manifest) for manifest in _manifests(data_dir))


def simulation_truth(data_dir: str | Path) -> dict | None:
    """The simulator's ``truth.json`` behind the simulated processed files of `data_dir`, or None.

    Found beside a simulated input named in a manifest (the path as it was given to ``msp-analysis clean``);
    None when the data are not simulated or the file is no longer there.
    """
    for manifest in _manifests(data_dir):
        for path in _simulated_inputs(manifest):
            truth = path.parent / TRUTH_FILE
            if truth.is_file():
                try:
                    return json.loads(truth.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    raise UnusableInputError(f"{truth}: cannot be read; run `msp-analysis simulate` again") from None
    return None


def publisher_files(path: str | Path, sha256: str | None = None) -> list[dict]:
    """The publisher's files behind `path`, as ``msp-analysis fetch`` recorded them; empty when none are recorded.

    For a processed ``KIND.parquet``, the ``publisher_file`` of each input in the
    ``KIND.manifest.json`` beside it; for any other file (a public file read as it was
    published), its own record in the ``SOURCES.json`` of its folder (`sha256`: its hash, when
    already known). Each record has ``file``, ``url``, ``fetched``, ``size``, ``sha256`` and
    ``unchanged_since_fetch``.
    """
    path = resolve_path(path)
    manifest = path.with_suffix(".manifest.json")
    if path.suffix == ".parquet" and manifest.is_file():
        try:
            inputs = json.loads(manifest.read_text(encoding="utf-8"))["inputs"]
            return [dict(entry["publisher_file"]) for entry in inputs if "publisher_file" in entry]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UnusableInputError(f"{manifest}: cannot be read ({type(error).__name__}: {error}); run "
                                     f"`msp-analysis clean` again to rewrite it") from None
    if not path.is_file():
        return []
    record = publisher_file(path, sha256)
    return [record] if record is not None else []


def read_clean(kind: str, data_dir: str | Path) -> pd.DataFrame:
    """Read DIR/KIND.parquet written by ``msp-analysis clean``; a missing file is a clear error.

    A relative `data_dir` is read from the project root, wherever the kernel started
    (:func:`~msp_analysis.toolkit.paths.resolve_path`); the error for a missing folder or file
    names the path as resolved. Frames are cached by file identity (path, size, modification
    time) so that a warm kernel rendering report after report reads each file once; pandas'
    copy-on-write keeps the cached frame safe from a caller that modifies what it got.
    """
    folder = resolve_path(data_dir)
    path = folder / f"{kind}.parquet"
    if not folder.is_dir():
        read_from = "" if Path(data_dir).expanduser().is_absolute() else \
            f" (the relative path {str(data_dir)!r} is read from the project root {project_root()})"
        raise UnusableInputError(f"{folder}: no such folder{read_from}; make it with `make demo` (simulated data) "
                                 f"or `msp-analysis clean {kind} ... --out {folder}`")
    if not path.is_file():
        raise UnusableInputError(f"{path}: not found; run `msp-analysis clean {kind} ... --out {folder}` first")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return _PROCESSED.get(key, lambda: _read_parquet(path, key))


def _read_parquet(path: Path, key: tuple) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    register_source(frame, repr(key))  # work on it may be shared with other kernels of a batch (toolkit.caches)
    return frame


def clean_exists(kind: str, data_dir: str | Path) -> bool:
    """True when DIR/KIND.parquet exists, for inputs a report uses only when they are there."""
    return (resolve_path(data_dir) / f"{kind}.parquet").is_file()


def read_column_mapping(path: str | Path) -> dict[str, str]:
    """Read a council's ``their column: our column`` YAML mapping (safe_load only)."""
    try:
        mapping = yaml.safe_load(resolve_path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UnusableInputError(f"{path}: cannot read the column mapping ({error})") from None
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise UnusableInputError(f"{path}: a column mapping is lines of 'their column name: our column name'")
    return mapping
