"""Paths, defaults and the parameter model of each notebook, in one place.

The CLI validates a notebook's parameters with its model before any kernel starts, and the
notebook rebuilds the same model from its injected values: one source of truth, and a bad
value is an error that names the key, not a traceback from inside a kernel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Mapping

from msp_analysis import geography
from msp_analysis.clean.common import parse_financial_year
from msp_analysis.disclosure import POLICIES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
DEMO_RAW_DIR = Path("data/raw/demo")
DEMO_PROCESSED_DIR = Path("data/processed/demo")
KERNEL_NAME = "msp-analysis"


class ParameterError(ValueError):
    """A notebook parameter is unknown or has a bad value; the message names the key."""


def _check_keys(model: type, raw: Mapping[str, object]) -> None:
    known = [f.name for f in fields(model)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter {unknown[0]!r}; this notebook takes: {', '.join(known)}")


@dataclass(frozen=True)
class LocalityReportParams:
    """Parameters of ``notebooks/locality_report.ipynb``: one council in one financial year."""

    locality: str = "E06000047"
    year: str = "2023-24"
    data_dir: str = str(DEMO_PROCESSED_DIR)
    disclosure_policy: str = "sac"

    @classmethod
    def validate(cls, raw: Mapping[str, object]) -> "LocalityReportParams":
        """Check and canonicalise raw values (strings from the command line or a notebook).

        >>> LocalityReportParams.validate({"locality": "County Durham", "year": "2023/24"}).locality
        'E06000047'
        """
        _check_keys(cls, raw)
        values = {**asdict(cls()), **{k: str(v).strip() for k, v in raw.items()}}
        year = parse_financial_year(values["year"])
        if year not in geography.FINANCIAL_YEARS:
            raise ParameterError(
                f"year={values['year']!r} is not a financial year this package covers "
                f"({geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]})"
            )
        ons_code = geography.resolve_council(values["locality"], year)
        if ons_code is None:
            raise ParameterError(
                f"locality={values['locality']!r} is not a council in {year}; "
                f"see `msp-analysis councils --year {year}`"
            )
        if values["disclosure_policy"] not in POLICIES:
            raise ParameterError(
                f"disclosure_policy={values['disclosure_policy']!r} is unknown; known: {', '.join(POLICIES)}"
            )
        return cls(locality=ons_code, year=year, data_dir=values["data_dir"],
                   disclosure_policy=values["disclosure_policy"])

    def as_parameters(self) -> dict[str, str]:
        """Values papermill injects into the notebook."""
        return asdict(self)

    def input_files(self) -> list[Path]:
        """Files the report reads: their sha256 decides whether a cached report is still current."""
        return [Path(self.data_dir) / "evaluation.parquet"]

    def report_name(self) -> str:
        """File stem of the rendered report."""
        return f"locality_{self.locality}_{self.year}"

    def title(self) -> str:
        """Human title used in the index page."""
        council = geography.councils(self.year).set_index("ons_code").loc[self.locality, "name"]
        return f"{council}, {self.year}"
