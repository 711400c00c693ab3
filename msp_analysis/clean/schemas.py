"""The building blocks of the output contracts: one pandera schema per dataset kind, defined in its module.

Each cleaner takes its output column order and dtypes from its schema (:func:`output_columns`,
:func:`output_dtypes`); the kind registry (``msp_analysis.clean.KINDS``) checks every result
against it before processed outputs are written (:func:`check_output`); and
``docs/data_dictionary.md`` is generated from it. The schemas carry the consistency rules
across fields, so a cleaner that lets a broken row through fails instead of writing it.

pandera checks dtypes loosely (an ``object`` column passes as ``string``, ``datetime64[ns]``
as ``datetime64[us]``), and the reports read the processed files, so every column also
checks its exact pandas dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandas.api.types import pandas_dtype

from msp_analysis.reference.codebook import (
    canonical_labels,
)
from msp_analysis.reference.geography import FINANCIAL_YEARS, REGIONS

YEAR = pa.Check.isin(list(FINANCIAL_YEARS))
REGION_NAMES = [name for _, name in REGIONS]
COUNCIL_CODE = pa.Check.str_matches(r"^E(06|08|09|10)\d{6}$")
AREA_CODE = pa.Check.str_matches(r"^E\d{8}$")


@dataclass(frozen=True)
class DatasetKind:
    """One dataset kind: its name, its cleaner, the schema of the cleaner's output, what one row is.

    Each kind module (``clean/KIND.py``) defines its ``SCHEMA`` and its ``KIND``; ``clean.KINDS``
    lists them.
    """

    name: str
    cleaner: Callable[..., Any]
    schema: pa.DataFrameSchema
    description: str


class SchemaViolation(Exception):
    """A cleaner's output breaks its schema: a bug in the cleaner, which should have rejected those rows.

    Deliberately not an :class:`~msp_analysis.toolkit.errors.MspError`: the user cannot fix
    it, so the CLI shows a traceback and exits 1.
    """


def typed_column(dtype: str, *checks: pa.Check, description: str, nullable: bool = False, unique: bool = False) -> pa.Column:
    """A schema column whose pandas dtype must be exactly `dtype` (kept in ``metadata["dtype"]``)."""
    exact = pa.Check(lambda s: s.dtype == pandas_dtype(dtype), name=f"dtype_is_{dtype}",
                     error=f"dtype must be exactly {dtype}")
    return pa.Column(dtype, [*checks, exact], nullable=nullable, unique=unique, description=description,
                     metadata={"dtype": dtype})


def labels(field: str, description: str, nullable: bool = True) -> pa.Column:
    return typed_column("string", pa.Check.isin(canonical_labels(field)), nullable=nullable,
                  description=f"{description} Canonical SAC labels: {'; '.join(canonical_labels(field))}.")


def rule(name: str, error: str, fn: Callable[[pd.DataFrame], pd.Series]) -> pa.Check:
    return pa.Check(fn, name=name, error=error, element_wise=False)


def schema(name: str, columns: dict[str, pa.Column], rules: list[pa.Check] | None = None) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, checks=rules or [], strict=True, ordered=True, name=name)


def output_columns(schema: pa.DataFrameSchema) -> list[str]:
    """The columns of a clean frame of `schema`, in order."""
    return list(schema.columns)


def output_dtypes(schema: pa.DataFrameSchema) -> dict[str, str]:
    """Column -> exact pandas dtype of a clean frame of `schema` (for ``DataFrame.astype``)."""
    return {name: col.metadata["dtype"] for name, col in schema.columns.items()}


# --- checking an output ------------------------------------------------------------------------------


def check_output(schema: pa.DataFrameSchema, frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """`frame` unchanged when it meets `schema`; else :class:`SchemaViolation` listing every failure at once.

    `source` names the input in the message (the file the user cleaned).
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        lines = _failure_lines(errors.failure_cases, frame)
        shown = "\n".join(f"  - {line}" for line in lines[:20])
        more = f"\n  … and {len(lines) - 20} more" if len(lines) > 20 else ""
        raise SchemaViolation(
            f"{source}: the clean {schema.name} frame breaks its schema (msp_analysis/clean/schemas.py): the "
            f"{schema.name} cleaner let through what it should have rejected with a reason, so nothing is "
            f"written:\n{shown}{more}"
        ) from errors
    return frame


def _failure_lines(failures: pd.DataFrame, frame: pd.DataFrame) -> list[str]:
    """One line per failed check: what failed, how many rows, a few values and rows of the clean frame."""
    lines = []
    keys = ["schema_context", "column", "check"]
    failures = failures.astype({k: str for k in keys})
    rule = failures["schema_context"].eq("DataFrameSchema") & failures["index"].notna()
    failures.loc[rule, "column"] = ""  # a rule fails per row, whichever of its columns pandera names
    for (context, name, check), group in failures.groupby(keys, sort=False):
        values = list(dict.fromkeys(str(v) for v in group["failure_case"]))
        rows = list(dict.fromkeys(str(int(i)) if isinstance(i, float) else str(i) for i in group["index"].dropna()))
        if not rows:  # about the frame or a whole column: missing, extra, misplaced, wrong dtype
            if check.startswith("dtype must be exactly") and name in frame.columns:
                values = [str(frame[name].dtype)]  # the check itself only says False
            where = f"column {name}: " if context == "Column" else ""
            lines.append(f"{where}{check} (found {', '.join(values[:5])})")
            continue
        check = check if len(check) <= 80 else check[:77] + "..."  # isin([...]) lists every label
        where = f"column {name}" if context == "Column" else "rule"
        sample = f", e.g. {', '.join(values[:3])}" if context == "Column" else ""
        at = ", ".join(rows[:5]) + (" …" if len(rows) > 5 else "")
        lines.append(f"{where}: {check}: {len(rows)} row(s){sample} ({'row' if len(rows) == 1 else 'rows'} {at} "
                     "of the clean frame)")
    return lines
