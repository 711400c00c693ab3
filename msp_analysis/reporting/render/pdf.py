"""A PDF beside each HTML report (``--pdf``), printed by the headless Chromium found on the machine.

Chromium is what the browser tests already drive, it is maintained, it needs nothing from PyPI,
and it prints the page exactly as a reader's browser would, with the reports' print stylesheet
(A4, figures and tables kept whole, headings kept with what follows). WeasyPrint is not installed
here and lays out SVG-in-``<img>`` and sticky captions differently. Chromium is started once
per report, after the batch and only with ``--pdf``, so a batch without it pays nothing; a
PDF newer than its HTML is kept.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from msp_analysis.toolkit.errors import OutputError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
         "--no-pdf-header-footer", "--hide-scrollbars"]


def find_chromium() -> str:
    """The Chromium executable (``MSP_CHROMIUM`` or the first of :data:`CHROMIUM_NAMES` on PATH)."""
    found = os.environ.get("MSP_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not found:
        raise OutputError("--pdf needs Chromium (apt-get install chromium), which prints the reports to PDF; "
                          "none was found on PATH")
    return found


def print_pdf(html_path: Path, chromium: str | None = None, timeout: float = 120) -> Path:
    """``REPORT.pdf`` beside ``REPORT.html``; an :class:`OutputError` when Chromium cannot print it."""
    html_path = Path(html_path)
    pdf_path = html_path.with_suffix(".pdf")
    if pdf_path.is_file() and pdf_path.stat().st_mtime >= html_path.stat().st_mtime:
        return pdf_path
    chromium = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="msp-chromium-") as profile:
        scratch = Path(profile) / "page.pdf"
        done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={scratch}",
                               html_path.resolve().as_uri()], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0 or not scratch.is_file() or scratch.stat().st_size == 0:
            raise OutputError(f"Chromium could not print {html_path.name} to PDF: {done.stderr.strip()[-300:]}")
        tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
        shutil.move(scratch, tmp)
        os.replace(tmp, pdf_path)
    return pdf_path


def print_pdfs(outcomes: Iterable, jobs: int = 2) -> None:
    """A PDF for every rendered (or cached) report of a batch; sets each outcome's ``pdf_path``.

    A report Chromium cannot print is marked failed with the reason, as a report that did not render.
    """
    chromium = find_chromium()
    todo = [o for o in outcomes if o.status != "failed" and o.html_path is not None]

    def one(outcome) -> None:
        try:
            outcome.pdf_path = print_pdf(outcome.html_path, chromium)
        except (OutputError, subprocess.TimeoutExpired) as error:
            outcome.status, outcome.error = "failed", str(error)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, todo))
