"""Executed notebook → one self-contained HTML page: figures embedded, no code, no parameters, no CDN.

The nbconvert template ``templates/msp_report`` (based on JupyterLab's) lays the page out;
the exporter drops every input cell and prompt, the parameters, injected-parameters and
reset cells, and every stderr stream (warnings can carry local paths). Each worker thread
keeps one exporter: building it parses the templates.
"""

from __future__ import annotations

import threading
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from msp_analysis.reporting.render.kernel import RESET_TAG

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
REPORT_TEMPLATE = "msp_report"
REMOVED_TAGS = ("parameters", "injected-parameters", RESET_TAG)  # cells left out of every report

_local = threading.local()


class _RemoveStderr(Preprocessor):
    """Drop stderr streams: warnings can carry local paths that have no place in a report."""

    def preprocess_cell(self, cell, resources, index):
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


def _exporter() -> HTMLExporter:
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = HTMLExporter(template_name=REPORT_TEMPLATE, extra_template_basedirs=[str(TEMPLATE_DIR)])
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVED_TAGS), enabled=True), enabled=True)
        exporter.register_preprocessor(_RemoveStderr(enabled=True), enabled=True)
        _local.exporter = exporter
    return exporter


def export_html(executed: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML: figures embedded, no input code, no parameters, nothing from a CDN."""
    executed.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(executed)
    return body
