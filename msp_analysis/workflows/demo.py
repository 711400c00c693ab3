"""The demo: every report the package can make, from the simulated data of ``make demo``, in one batch.

One England evaluation (with the real ASCOF 4A × turnover panel when a folder of public
files is given), the nine regional temperature checks of one wave and every council's
locality report, rendered in one pool of warm kernels into one folder with one index.
``msp-analysis reports-demo`` runs it.
"""

from __future__ import annotations

from pathlib import Path

from msp_analysis.reporting.render.batch import (
    ReportOutcome,
    region_parameters,
    render_batch,
    validate_parameters,
)
from msp_analysis.reporting.render.page import Publisher


def demo_requests(year: str, data_dir: str | Path, real_data_dir: str | Path | None = None) -> list[tuple[str, object]]:
    """The demo's report set: one England evaluation (with the real ASCOF panel when `real_data_dir`
    is given), the nine regional temperature checks of wave `year`, every council's locality report."""
    raw = {"data_dir": str(data_dir)}
    real = {"real_data_dir": str(real_data_dir)} if real_data_dir else {}
    return ([("evaluation", validate_parameters("evaluation", {**raw, **real, "scope": "England"}))]
            + [("temperature_check", p) for p in region_parameters("temperature_check", None, {**raw, "wave": year})]
            + [("locality", p) for p in region_parameters("locality", None, {**raw, "year": year})])


def render_demo(year: str, data_dir: str | Path, out_dir: str | Path, real_data_dir: str | Path | None = None,
                jobs: int | None = None, force: bool = False, quiet: bool = False, verbose: bool = False,
                progress: bool | None = None, publisher: Publisher | None = None, pdf: bool = False,
                tables_dir: str | Path | None = None) -> list[ReportOutcome]:
    """Render the demo's report set (:func:`demo_requests`) in one batch of warm kernels, with one index.

    `publisher`, `pdf` and `tables_dir` as for :func:`~msp_analysis.reporting.render.batch.render_batch`: the
    publisher's details on every page, a PDF beside each HTML, every table as CSV under `tables_dir`.
    """
    return render_batch(demo_requests(year, data_dir, real_data_dir), out_dir, jobs=jobs, force=force, quiet=quiet,
                        verbose=verbose, progress=progress, publisher=publisher, pdf=pdf, tables_dir=tables_dir)
