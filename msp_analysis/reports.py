"""Run parameterised notebooks with papermill and export them as self-contained HTML reports.

Each report is executed in the project's own Jupyter kernel, exported with nbconvert with
input code, prompts, the parameters cell and stderr removed, and written atomically. A
failing report keeps its executed notebook for diagnosis and does not stop the others;
``index.html`` lists every report with its status.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpecManager
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from msp_analysis import __version__, geography
from msp_analysis.config import KERNEL_NAME, NOTEBOOK_DIR, LocalityReportParams, ParameterError
from msp_analysis.io import write_text

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
NOTEBOOKS = {"locality": ("locality_report.ipynb", LocalityReportParams)}


@dataclass
class ReportOutcome:
    """What happened to one report: where its HTML is, or why it failed."""

    name: str
    title: str
    status: str
    html_path: Path | None = None
    notebook_path: Path | None = None
    error: str = ""


def validate_parameters(notebook: str, raw: Mapping[str, object]):
    """The notebook's parameter model built from raw values; errors name the bad key."""
    if notebook not in NOTEBOOKS:
        raise ParameterError(f"unknown notebook {notebook!r}; known: {', '.join(NOTEBOOKS)}")
    return NOTEBOOKS[notebook][1].validate(raw)


def region_parameters(notebook: str, region: str, raw: Mapping[str, object]) -> list:
    """One validated parameter set per council of `region` in the year given in `raw`."""
    base = validate_parameters(notebook, raw)
    try:
        codes = geography.councils(base.year, region)["ons_code"]
    except ValueError as error:
        raise ParameterError(str(error)) from None
    return [validate_parameters(notebook, {**raw, "locality": code}) for code in codes]


def require_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Fail early, with the fix, when the project's kernel is not registered."""
    if kernel_name not in KernelSpecManager().find_kernel_specs():
        raise RuntimeError(
            f"Jupyter kernel {kernel_name!r} is not registered; run `make env` "
            f"(or `python -m ipykernel install --sys-prefix --name {kernel_name}`)"
        )


class _RemoveStderr(Preprocessor):
    """Drop stderr streams: warnings can carry local paths that have no place in a report."""

    def preprocess_cell(self, cell, resources, index):
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


def export_html(executed: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML: figures embedded, no input code, no parameters, nothing from a CDN."""
    executed.metadata["title"] = title
    exporter = HTMLExporter(template_name="msp_report", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters"}, enabled=True), enabled=True
    )
    exporter.register_preprocessor(_RemoveStderr(enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(executed)
    return body


def render_report(notebook: str, params, out_dir: str | Path, kernel_name: str = KERNEL_NAME) -> ReportOutcome:
    """Execute one notebook with `params` and write ``OUT/NAME.html``; failures are reported, not raised."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name, title = params.report_name(), params.title()
    source = NOTEBOOK_DIR / NOTEBOOKS[notebook][0]
    executed_path = out_dir / f"{name}.ipynb"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".run-") as scratch:
        scratch_nb = Path(scratch) / f"{name}.ipynb"
        try:
            papermill.execute_notebook(
                str(source), str(scratch_nb), parameters=params.as_parameters(), kernel_name=kernel_name,
                progress_bar=False, log_output=False, cwd=os.getcwd(),
            )
        except papermill.PapermillExecutionError as error:
            shutil.move(scratch_nb, executed_path)
            return ReportOutcome(name, title, "failed", notebook_path=executed_path, error=f"{error.ename}: {error.evalue}")
        executed = nbformat.read(scratch_nb, as_version=4)
    html_path = out_dir / f"{name}.html"
    write_text(html_path, export_html(executed, title))
    executed_path.unlink(missing_ok=True)
    return ReportOutcome(name, title, "ok", html_path=html_path)


def render_reports(notebook: str, params_list: Iterable, out_dir: str | Path, kernel_name: str = KERNEL_NAME) -> list[ReportOutcome]:
    """Render every parameter set, then write the index; one failure does not stop the rest."""
    require_kernel(kernel_name)
    outcomes = [render_report(notebook, params, out_dir, kernel_name) for params in params_list]
    write_index(outcomes, out_dir, notebook)
    return outcomes


def write_index(outcomes: list[ReportOutcome], out_dir: str | Path, notebook: str) -> Path:
    """``index.html`` linking each report, with its status and any error, all text escaped."""
    rows = []
    for outcome in sorted(outcomes, key=lambda o: o.title):
        if outcome.status == "ok":
            link = f'<a href="{html.escape(outcome.html_path.name)}">{html.escape(outcome.title)}</a>'
        else:
            link = html.escape(outcome.title)
        rows.append(
            f"<tr><td>{link}</td><td>{html.escape(outcome.status)}</td><td>{html.escape(outcome.error)}</td></tr>"
        )
    failed = sum(o.status != "ok" for o in outcomes)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MSP reports: {html.escape(notebook)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}td,th{{padding:.3rem .8rem;text-align:left}}</style>
</head><body>
<h1>Making Safeguarding Personal reports</h1>
<p>{len(outcomes)} reports, {failed} failed. Rendered {when} by msp-analysis {html.escape(__version__)}.</p>
<table><thead><tr><th>Report</th><th>Status</th><th>Error</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    index = Path(out_dir) / "index.html"
    write_text(index, page)
    return index
