"""The public files the package reads for real-data figures, found in one folder named by the user.

Researchers keep the published Open Government Licence files (ASCOF, Oflog workforce measures) in
one folder, laid out as ``docs/data.md`` describes, and pass it as ``--real-data`` /
``real_data_dir`` (the tests use the ``MSP_REAL_DATA`` environment variable). Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from msp_analysis.io.tables import READ_PROBLEM, READ_VALUE, read_table
from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.paths import resolve_path

# ASCOF trend table (4A, 2017-18 to 2023-24) and Oflog's council measures (ASC7 workforce turnover)
LA_MEASURE_FILES = (
    "ascof_trend_2017_2024/trend_data.csv",
    "oflog_asc_la/ASC_data.csv",
)


def read_real_tables(real_dir: str | Path, files: tuple[str, ...] = LA_MEASURE_FILES) -> list[tuple[Path, pd.DataFrame]]:
    """Each named file of `real_dir` (relative: from the project root) as a raw table (every cell text); a missing
    file is an error naming it."""
    real_dir = resolve_path(real_dir)
    tables = []
    for name in files:
        path = real_dir / name
        if not path.is_file():
            raise UnusableInputError(f"{path}: not found; expected the public files listed in docs/data.md in {real_dir}")
        table = read_table(path)
        if READ_PROBLEM in table and table[READ_PROBLEM].ne("").any():  # a damaged download: say so, drop nothing
            bad = table[table[READ_PROBLEM].ne("")].iloc[0]
            raise UnusableInputError(f"{path}: row {bad['_source_row']} {bad[READ_PROBLEM]}; download the file again")
        tables.append((path, table.drop(columns=[c for c in (READ_PROBLEM, READ_VALUE) if c in table])))
    return tables
