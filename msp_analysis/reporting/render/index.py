"""The index page of a report folder: every report rendered into it, grouped by notebook.

``index.json`` keeps one record per report (name, title, status, error, notebook, HTML file,
and whether it was built from simulated data), so separate runs into one folder (localities,
then regions, then England) share one index; ``index.html`` is laid out by the Jinja2 template
``templates/index.html.j2``, with every value escaped. When any report is built from simulated
data, the index says so in its title, in a banner at the top and beside each such report.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from msp_analysis import __version__
from msp_analysis.reporting.registry import REPORTS
from msp_analysis.reporting.render.export import SIMULATED_BANNER, SIMULATED_TITLE, simulated_title
from msp_analysis.toolkit.files import write_text

INDEX_RECORDS = "index.json"
INDEX_PAGE = "index.html"
INDEX_TEMPLATE = "index.html.j2"
INDEX_TITLE = "Making Safeguarding Personal reports"


class Outcome(Protocol):
    """What the index needs to know of one report (a batch's ``ReportOutcome``)."""

    name: str
    title: str
    status: str
    error: str
    notebook: str
    html_path: Path | None


def without_paths(text: str) -> str:
    """An error as the index may show it: absolute, home and parent-relative paths cut to their last part.

    >>> without_paths("FileNotFoundError: /home/ann/data/x.parquet not found")
    'FileNotFoundError: …/x.parquet not found'
    """
    return re.sub(r"(?:(?<=\s)|(?<=^)|(?<=['\"(=]))(?:/|\.\./|~/)[^\s'\"()<>]*",
                  lambda m: "…/" + Path(m.group(0)).name if Path(m.group(0)).name else "…", str(text))


def _escaped(value: object) -> Markup:
    """Every value the template prints, escaped as :func:`html.escape` does (quotes too)."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


_templates = Environment(loader=PackageLoader("msp_analysis.reporting", "templates"), autoescape=True,
                         finalize=_escaped, keep_trailing_newline=True)


def _index_records(outcomes: Iterable[Outcome], out_dir: Path) -> list[dict]:
    """This run's outcomes merged into the records of earlier runs into the same folder (by report name)."""
    path = out_dir / INDEX_RECORDS
    try:
        records = {r["name"]: r for r in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError, TypeError):
        records = {}
    for o in outcomes:
        records[o.name] = {"name": o.name, "title": o.title, "status": o.status, "error": without_paths(o.error),
                           "notebook": o.notebook or o.name.split("_")[0],
                           "html": o.html_path.name if o.html_path is not None and o.status != "failed" else ""}
        if getattr(o, "simulated", False):  # only then: the records of real data stay as they were
            records[o.name]["simulated"] = True
    kept = [{**r, "error": without_paths(r.get("error", ""))} for r in records.values()
            if r["status"] == "failed" or (out_dir / r["html"]).is_file()]
    write_text(path, json.dumps(kept, indent=1, sort_keys=True))
    return kept


def _sections(records: list[dict]) -> list[dict]:
    """One section per notebook, in registry order (unknown notebooks last), rows by title."""
    order = {name: i for i, name in enumerate(REPORTS)}
    sections = []
    for group in sorted({r["notebook"] for r in records}, key=lambda g: (order.get(g, 99), g)):
        rows = [{**record, "linked": record["status"] != "failed"}
                for record in sorted((r for r in records if r["notebook"] == group), key=lambda r: r["title"])]
        sections.append({"group": group, "heading": REPORTS[group].heading if group in REPORTS else group,
                         "rows": rows})
    return sections


def write_index(outcomes: Iterable[Outcome], out_dir: str | Path) -> Path:
    """``index.html`` linking each report in `out_dir`, grouped by notebook, with its status and any error.

    Reports rendered into the same folder by earlier runs stay listed (``index.json`` keeps
    their records), so separate runs for localities, regions and England share one index.
    All text is escaped.
    """
    out_dir = Path(out_dir)
    records = _index_records(outcomes, out_dir)
    simulated = sum(bool(r.get("simulated")) for r in records)
    page = _templates.get_template(INDEX_TEMPLATE).render(
        title=simulated_title(INDEX_TITLE) if simulated else INDEX_TITLE, simulated=simulated,
        simulated_heading=SIMULATED_TITLE, simulated_text=SIMULATED_BANNER,
        reports=len(records), failed=sum(r["status"] == "failed" for r in records),
        when=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), version=__version__,
        sections=_sections(records))
    index = out_dir / INDEX_PAGE
    write_text(index, page)
    return index
