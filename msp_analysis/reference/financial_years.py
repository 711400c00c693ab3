"""Financial years (1 April to 31 March) in the spellings councils and publishers use.

Canonical form ``YYYY-YY``; ``1999-00`` is the year after ``1998-99``.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import numpy as np
import pandas as pd

from msp_analysis.reference.codebook import normalise_label

_FY_PATTERNS = [
    (re.compile(r"^(?:fy\s*)?(\d{4})\s*(?:-|/|to)\s*(\d{2}|\d{4})$"), "span"),
    (re.compile(r"^fy\s*(\d{4})$"), "fy"),
    (re.compile(r"^(\d{2})\s*/\s*(\d{2})$"), "short"),
]


def _fy_from_start(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def parse_financial_year(value: object) -> str | None:
    """Canonical ``YYYY-YY`` for the financial-year spellings councils use, else None.

    Accepts ``2019-20``, ``2019/20``, ``2019-2020``, ``2019 to 2020``, ``FY2019``, ``19/20``
    and Excel serial dates; ``1999-00`` is the year after ``1998-99``.

    >>> parse_financial_year("2019 to 2020"), parse_financial_year("1999/2000")
    ('2019-20', '1999-00')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = normalise_label(value).replace("\u2013", "-")
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # Excel serial date
        date = pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(float(text)))
        return financial_year_of_date(date)
    for pattern, kind in _FY_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        if kind == "fy":
            return _fy_from_start(int(match.group(1)))
        if kind == "short":
            first, second = int(match.group(1)), int(match.group(2))
            if (first + 1) % 100 != second:
                return None
            return _fy_from_start(2000 + first if first < 90 else 1900 + first)
        start, end = int(match.group(1)), match.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end) + (100 if int(end) < start % 100 else 0)
        return _fy_from_start(start) if end_year == start + 1 else None
    return None


def financial_year_of_date(date: pd.Timestamp) -> str:
    """The financial year (1 April to 31 March) a date falls in."""
    start = date.year if date.month >= 4 else date.year - 1
    return _fy_from_start(start)


# a year spelled out in a file or folder name: 2023-24, 2023_24, 2023/24, 2024 to 2025, 2024_to_2025
_YEAR_IN_NAME = re.compile(r"(?<!\d)(\d{4})[\s_]*(?:-|\u2013|_|/|to)[\s_]*(\d{4}|\d{2})(?!\d)", re.IGNORECASE)


def financial_year_from_name(name: object, compact: bool = False) -> str | None:
    """The financial year a file name states (its base name first, then its folders), else None.

    Spelled years count anywhere (``sac_2023-24.csv``, ``..., 2024 to 2025.ods``, ``2024_to_2025``).
    With ``compact``, four digits naming two consecutive years also count, as NHS Digital names
    its ASCOF files (``meas-from-asc-of-eng-2021-...`` is 2020-21), in the base name only.

    >>> financial_year_from_name("SAC-2019-20-long.csv"), financial_year_from_name("sac.csv")
    ('2019-20', None)
    >>> financial_year_from_name("meas-from-asc-of-eng-2122-open-data.csv", compact=True)
    '2021-22'
    """
    text = str(name)
    base = PurePath(text).name
    for candidate in (base, text):
        for start, end in _YEAR_IN_NAME.findall(candidate):
            year = parse_financial_year(f"{start}-{end}")
            if year:
                return year
    if compact:
        for first, second in re.findall(r"(?<!\d)(\d{2})(\d{2})(?!\d)", base):
            if int(first) >= 10 and int(second) == int(first) + 1:
                return f"20{first}-{second}"
    return None
