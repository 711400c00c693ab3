"""Simulated data say so on every page: a banner at the top, the title, and every figure (image and alt text).

Rendered through the batch as ``make demo`` renders: the simulator marks what it writes, cleaning carries
the mark into the manifests, the batch reads it from there. A folder cleaned from a file without the mark
renders as before: no banner, no note.
"""

import json
import math
import shutil
from html.parser import HTMLParser

import pytest

from msp_analysis.cli import main
from msp_analysis.reporting.render.batch import render_batch, validate_parameters
from msp_analysis.reporting.render.export import SIMULATED_FIGURE_NOTE
from msp_analysis.toolkit.datauri import uri_bytes

YEAR, REGION = "2023-24", "North East"
DURHAM, DARLINGTON = "E06000047", "E06000005"


class _Page(HTMLParser):
    """The title, the banner (and where it sits) and every image of a page."""

    def __init__(self):
        super().__init__()
        self.title, self.images, self.banner, self.banner_at, self.first_heading_at = "", [], "", None, None
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in = "title"
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "div" and attrs.get("role") == "note":
            self._in, self.banner_at = "banner", self.getpos()
        elif tag in ("h1", "h2") and self.first_heading_at is None:
            self.first_heading_at = self.getpos()

    def handle_endtag(self, tag):
        if tag in ("title", "div"):
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "banner":
            self.banner += data


def _read(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _svg(image: dict) -> str:
    kind, data = uri_bytes(image["src"])
    assert kind == "image/svg+xml", "every figure is SVG"
    return data.decode("utf-8")


@pytest.fixture(scope="module")
def simulated_set(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("simulated_set")
    data = str(small_demo["processed"])
    requests = [
        ("locality", validate_parameters("locality", {"locality": DURHAM, "year": YEAR, "data_dir": data})),
        ("locality", validate_parameters("locality", {"locality": DARLINGTON, "year": YEAR, "data_dir": data})),
        ("temperature_check", validate_parameters("temperature_check", {"region": REGION, "wave": YEAR, "data_dir": data})),
        ("evaluation", validate_parameters("evaluation", {"scope": REGION, "data_dir": data})),
    ]
    outcomes = render_batch(requests, out, jobs=2, quiet=True)
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.error for o in outcomes]
    assert all(o.simulated for o in outcomes)
    return out


@pytest.mark.kernel
def test_every_page_of_simulated_data_says_so_at_the_top_in_the_title_and_on_each_figure(simulated_set):
    pages = sorted(simulated_set.glob("*.html"))
    assert [p.name for p in pages] == ["evaluation_north-east_fully_achieved.html", "index.html",
                                       f"locality_{DARLINGTON}_{YEAR}.html", f"locality_{DURHAM}_{YEAR}.html",
                                       "method.html", f"temperature_check_north-east_{YEAR}.html"]
    figures = 0
    for path in pages:
        page = _read(path)
        assert page.title.startswith("Simulated data — "), path.name
        assert page.banner.startswith("Simulated data.") and "not real figures for the councils" in page.banner, path.name
        if path.name not in ("index.html", "method.html"):  # a report: the banner opens the page, above its first heading
            assert page.banner_at < page.first_heading_at, path.name
            assert page.images, f"{path.name} has figures"
        for image in page.images:
            assert image["alt"].startswith(f"{SIMULATED_FIGURE_NOTE}. "), path.name
            assert f">{SIMULATED_FIGURE_NOTE}</text>" in _svg(image), path.name
            figures += 1
    assert _read(simulated_set / f"locality_{DURHAM}_{YEAR}.html").title == f"Simulated data — County Durham, {YEAR}"
    assert figures >= 12


@pytest.mark.kernel
def test_the_evaluation_of_simulated_data_shows_the_target_of_each_estimate_beside_it(simulated_set, small_demo):
    truth = json.loads((small_demo["raw"] / "truth.json").read_text(encoding="utf-8"))["effects"]
    page = (simulated_set / "evaluation_north-east_fully_achieved.html").read_text(encoding="utf-8")
    table = page.split("Simulated data: the target of each estimate beside it", 1)[1].split("</table>", 1)[0]
    assert "Target of this estimate (simulation)" in table and "Interval holds the target" in table
    assert "Effect on latent culture (simulation)" in table  # for reference: no analysis of the scores reaches it
    for effect in truth.values():
        assert f">{math.exp(effect):.2f}<" in table
    assert "These data are simulated, so what each model should find is known" in page


@pytest.mark.kernel
def test_a_folder_cleaned_from_a_file_without_the_mark_shows_no_banner(small_demo, tmp_path):
    """The same rows copied to a folder without ``SIMULATED.json`` (as a council's own extract would come):
    the mark, not the look of the data, decides. (``io/test_processed.py`` cleans ev_extra_columns.csv.)"""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy(small_demo["raw"] / "evaluation.csv", raw / "extract.csv")
    assert main(["clean", "evaluation", str(raw / "extract.csv"), "--out", str(processed)]) == 0
    params = validate_parameters("locality", {"locality": DURHAM, "year": YEAR, "data_dir": str(processed)})
    [outcome] = render_batch([("locality", params)], tmp_path / "out", jobs=1, quiet=True)
    assert outcome.status == "ok" and not outcome.simulated, outcome.error
    for path in (outcome.html_path, tmp_path / "out" / "index.html"):
        text = path.read_text(encoding="utf-8")
        assert "imulated" not in text, path.name
        page = _read(path)
        assert page.banner == "" and not page.title.startswith("Simulated")
        assert all(not image["alt"].startswith("Simulated") for image in page.images)
    page = _read(outcome.html_path)
    assert page.title == f"County Durham, {YEAR}" and len(page.images) >= 4
    assert all(SIMULATED_FIGURE_NOTE not in _svg(image) for image in page.images)
