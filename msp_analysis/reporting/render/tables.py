"""Every table of a report as a CSV file (``--tables DIR``): exactly what the page shows.

Each table on a page carries its CSV as an inert ``data:`` link
(:meth:`msp_analysis.disclosure.display.DisclosedTable.to_html`): the cells as shown, hidden
cells as their symbols. This module writes those same bytes as files, so the file and the
download cannot differ: ``DIR/REPORT-NAME/NN-caption.csv``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from msp_analysis.toolkit.datauri import uri_text
from msp_analysis.toolkit.files import ensure_folder, write_text

CSV_LINK = re.compile(r'<a\b[^>]*\bclass="msp-csv"[^>]*>')
_ATTRIBUTE = re.compile(r'\b(href|download)="([^"]*)"')
DATA_PREFIX = "data:text/csv;charset=utf-8,"


def page_tables(page_html: str) -> list[tuple[str, str]]:
    """(file name, CSV text) of every table download link on a page, in page order (attributes in any order)."""
    found = []
    for link in CSV_LINK.finditer(page_html):
        attributes = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(link.group(0))}
        if attributes.get("href", "").startswith(DATA_PREFIX):
            found.append((attributes.get("download") or "table.csv", uri_text(attributes["href"])))
    return found


def write_tables(page_html: str, tables_dir: Path, report_name: str) -> list[Path]:
    """Write the page's tables into ``tables_dir/report_name/``, numbered in page order; returns the paths."""
    folder = ensure_folder(Path(tables_dir) / report_name)
    written = []
    for number, (name, text) in enumerate(page_tables(page_html), start=1):
        path = folder / f"{number:02d}-{name}"
        write_text(path, text)
        written.append(path)
    return written
