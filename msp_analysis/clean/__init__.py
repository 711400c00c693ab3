"""Cleaners, one module per dataset kind; each returns clean rows plus reasoned rejects.

``KINDS`` holds one :class:`~msp_analysis.clean.schemas.DatasetKind` per kind, defined in the
kind's module beside what it names: its pure cleaner ``clean_KIND(frame, source=..., **options)
-> CleanResult``, the pandera ``SCHEMA`` its output must meet, and a description. :func:`clean_and_validate` is the one way to produce
processed outputs: it cleans, then checks the result against the schema. The CLI's choice
lists and the data dictionary (:func:`data_dictionary`) are derived from ``KINDS``.
"""

from __future__ import annotations

import functools
import importlib

import pandas as pd

from msp_analysis.clean.common import CleanResult, add_read_rejects, split_read_problems
from msp_analysis.clean.schemas import DatasetKind, SchemaViolation, check_output
from msp_analysis.io.processed import SCHEMA_VERSION

# the kinds' modules, in the order the CLI and the data dictionary list them
KIND_MODULES = ("sac", "evaluation", "temperature_check", "la_measures", "person_feedback", "assurance")


@functools.cache
def _kinds() -> dict[str, DatasetKind]:
    """``KINDS``, its modules imported on first use: a report's kernel imports one cleaner's reshaping
    (``temperature_check.wide_answers``), not every cleaner and what they read with (openpyxl, 0.4 s)."""
    modules = [importlib.import_module(f"{__name__}.{name}") for name in KIND_MODULES]
    return {module.KIND.name: module.KIND for module in modules}


def __getattr__(name: str) -> dict[str, DatasetKind]:
    if name == "KINDS":  # one entry per dataset kind (KIND_MODULES' order)
        return _kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clean_and_validate(kind: str, frame: pd.DataFrame, source: str, **options: object) -> CleanResult:
    """Clean `frame` as `kind`, then check the clean rows against the kind's schema.

    Raises :class:`~msp_analysis.clean.schemas.SchemaViolation` (every failure listed at once)
    when the cleaner let through a row its schema forbids: a bug, so nothing broken is written.

    >>> result = clean_and_validate("sac", read_table("sac_2023-24.csv"), source="sac_2023-24.csv")  # doctest: +SKIP
    """
    spec = _kinds()[kind]
    frame, unread = split_read_problems(frame)
    result = spec.cleaner(frame, source=source, **options)
    check_output(spec.schema, result.clean, source)
    return add_read_rejects(result, unread)


def data_dictionary() -> str:
    """Markdown data dictionary of every kind (the text of ``docs/data_dictionary.md``)."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from the dataset kinds of `msp_analysis/clean` (each kind's SCHEMA in `msp_analysis/clean/KIND.py`) "
        "by `msp-analysis data-dictionary`; do not edit by hand.",
        f"Schema version {SCHEMA_VERSION}. Every column has exactly the pandas dtype shown.",
    ]
    for kind in _kinds().values():
        lines += ["", f"## `{kind.name}`", "", kind.description, "", "| column | type | nullable | meaning |",
                  "|---|---|---|---|"]
        for name, column in kind.schema.columns.items():
            meaning = (column.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {column.metadata['dtype']} | {'yes' if column.nullable else 'no'} | {meaning} |")
        if kind.schema.checks:
            lines += ["", "Rules across columns:", ""]
            lines += [f"- `{check.name}`: {check.error}" for check in kind.schema.checks]
    return "\n".join(lines) + "\n"


__all__ = ["KINDS", "CleanResult", "DatasetKind", "SchemaViolation", "clean_and_validate", "data_dictionary"]
