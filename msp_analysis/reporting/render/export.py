"""Executed notebook → one self-contained HTML page: figures embedded, no code, no parameters, no CDN.

The nbconvert template ``templates/msp_report`` (nbconvert's lean ``basic`` cells with the
project's own stylesheet, ``report.css``, a few KB) lays the page out: ``lang="en-GB"``, the
area in the title and the ``h1``, a header of links to the index, the region and England
(:mod:`.page`), the publisher's name, a glossary; no heading anchors and no ``tabindex``.
The exporter drops every input cell and prompt, the parameters, injected-parameters and
reset cells, and every stderr stream (warnings can carry local paths). Each worker thread
keeps one exporter: building it parses the templates.

A report built from simulated data says so three times: its title starts "Simulated data —",
a banner opens the page, and every figure carries the note in the image and its alt text.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from pathlib import Path

import nbformat
from jinja2 import pass_context
from nbconvert import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from msp_analysis.reporting.figures import note_figures
from msp_analysis.reporting.render.kernel import RESET_TAG

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
REPORT_TEMPLATE = "msp_report"
NOTEBOOK_ONLY_TAG = "notebook-only"  # markdown for whoever opens the notebook in JupyterLab, not for the report's reader
REMOVED_TAGS = ("parameters", "injected-parameters", RESET_TAG, NOTEBOOK_ONLY_TAG)  # cells left out of every report
SIMULATED_TITLE = "Simulated data"  # the title of a page of simulated data starts with this and " — "
SIMULATED_BANNER = ("Every number, table and figure comes from data made up by the package's simulator "
                    "(msp-analysis simulate) to show what the reports look like. They are not real figures for the "
                    "councils, regions or England named, and must not be quoted as such.")
SIMULATED_FIGURE_NOTE = "Simulated data: not real figures for any council named"
EXPORTER_VERSION = b"lean-1"  # how the page is written (LeanHTMLExporter): part of TEMPLATE_VERSION
# the template's files, hashed: a report whose page layout changed is not "unchanged" to the batch's cache
TEMPLATE_VERSION = hashlib.sha256(EXPORTER_VERSION + b"".join(
    p.read_bytes() for p in sorted((TEMPLATE_DIR / REPORT_TEMPLATE).iterdir()) if p.is_file())).hexdigest()[:16]

_local = threading.local()


class _RemoveStderr(Preprocessor):
    """Drop stderr streams: warnings can carry local paths that have no place in a report."""

    def preprocess_cell(self, cell, resources, index):
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


class LeanHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter, validating the notebook once and writing the template's page as it is.

    nbconvert's exporter validates the notebook after every preprocessor and then parses its
    own page again (BeautifulSoup) to add a placeholder alt text to images without one and
    ``tabindex`` to JupyterLab's cells. The report template has no JupyterLab cells and every
    figure carries its alt text (:class:`~msp_analysis.reporting.figures.FigureImage`), so that
    pass only cost time: about half of the export.

    It also copies the notebook once, not twice (nbconvert's preprocessing copies the copy it was
    given), and converts each Markdown text once per exporter: the notebook's own Markdown cells
    are the same in every report of a batch, and half of a page's Markdown.
    """

    _MARKDOWN_CACHE = 512  # distinct Markdown texts kept per exporter (a notebook has a few dozen static ones)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._markdown: dict[tuple[str, str], str] = {}

    @pass_context  # as nbconvert's: jinja passes the template's context
    def markdown2html(self, context, source):  # type: ignore[override]
        cell = context.get("cell", {})
        if cell.get("attachments"):  # images of the cell itself: not worth keeping
            return super().markdown2html(context, source)
        key = (source, context.get("resources", {}).get("metadata", {}).get("path", ""))
        html_text = self._markdown.get(key)
        if html_text is None:
            if len(self._markdown) >= self._MARKDOWN_CACHE:
                self._markdown.clear()
            html_text = self._markdown[key] = super().markdown2html(context, source)
        return html_text

    def _preprocess(self, nb, resources):
        """nbconvert's preprocessing without its second copy of the notebook (``from_notebook_node`` made one)."""
        if hasattr(nbformat.validator, "normalize"):
            _, nb = nbformat.validator.normalize(nb)
        resources = copy.deepcopy(resources)
        for preprocessor in self._preprocessors:
            nb, resources = preprocessor(nb, resources)
        self._validate_preprocessor(nb, self._preprocessors[-1] if self._preprocessors else None)
        return nb, resources

    def from_notebook_node(self, nb, resources=None, **kw):  # type: ignore[override]
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get("highlight_code",
                                                                Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


def _exporter() -> HTMLExporter:
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = LeanHTMLExporter(template_name=REPORT_TEMPLATE, extra_template_basedirs=[str(TEMPLATE_DIR)])
        exporter.optimistic_validation = True  # validated once, after every preprocessor ran
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.exclude_anchor_links = True
        exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVED_TAGS), enabled=True), enabled=True)
        exporter.register_preprocessor(_RemoveStderr(enabled=True), enabled=True)
        _local.exporter = exporter
    return exporter


def simulated_title(title: str) -> str:
    """The title of a page built from simulated data: ``"Simulated data — County Durham, 2023-24"``."""
    return f"{SIMULATED_TITLE} — {title}"


def _note_figures(executed: nbformat.NotebookNode) -> None:
    """Write the simulated-data note on every figure of every output (the image and its alt text)."""
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            page = output.get("data", {}).get("text/html")
            if page is not None:
                output["data"]["text/html"] = note_figures("".join(page), SIMULATED_FIGURE_NOTE)[0]


def _area_heading(executed: nbformat.NotebookNode, area: str) -> None:
    """The notebook's first ``# heading`` with the area in front: "Kent — Making Safeguarding Personal: locality report"."""
    for cell in executed.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            first, _, rest = cell.source.partition("\n")
            if area and not first[2:].startswith(area):
                cell.source = f"# {area} — {first[2:].strip()}\n{rest}"
            return


def export_html(executed: nbformat.NotebookNode, title: str, simulated: bool = False, page: dict | None = None) -> str:
    """Self-contained HTML: figures embedded, no input code, no parameters, nothing from a CDN.

    `simulated`: the report's data are simulated; the title, a banner at the top and every figure say so.
    `page`: what :func:`.page.page_info` says of the report (area, links, publisher), printed around it.
    """
    page = page or {}
    executed.metadata["msp_page"] = page
    _area_heading(executed, page.get("area", ""))
    if simulated:
        title = simulated_title(title)
        executed.metadata["msp_simulated"] = {"heading": SIMULATED_TITLE, "text": SIMULATED_BANNER}
        _note_figures(executed)
    executed.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(executed)
    return body
