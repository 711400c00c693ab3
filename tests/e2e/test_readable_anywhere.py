"""Issue 13: reports people can read anywhere. A small set (two councils, their region's temperature check,
England's evaluation) rendered with a publisher, table files and PDFs, then read as a person would: in
chromium at 1280 and 400 px (screenshots saved), printed to A4 PDF (read back with pdftotext), through
its links and its table downloads."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from msp_analysis.toolkit.datauri import uri_text
from tests.e2e.browser_check import CHROMIUM, Browser
from tests.e2e.svg_text import smallest_text

YEAR, REGION = "2023-24", "North East"
DURHAM, DARLINGTON = "E06000047", "E06000005"
PUBLISHER, CONTACT = "North East ADASS <test>", "msp@example.org"
PDFTOTEXT, PDFINFO = shutil.which("pdftotext"), shutil.which("pdfinfo")
IMAGES = """JSON.stringify({
  overflow: document.documentElement.scrollWidth,
  images: [...document.images].filter(i => i.closest('figure')).map(i => ({src: i.src, width: i.getBoundingClientRect().width}))
})"""


@pytest.fixture(scope="module")
def readable_set(small_demo, tmp_path_factory):
    from msp_analysis.reporting.render.batch import render_batch, validate_parameters
    from msp_analysis.reporting.render.page import Publisher

    out = tmp_path_factory.mktemp("readable")
    data = str(small_demo["processed"])
    requests = [
        ("locality", validate_parameters("locality", {"locality": DURHAM, "year": YEAR, "data_dir": data})),
        ("locality", validate_parameters("locality", {"locality": DARLINGTON, "year": YEAR, "data_dir": data})),
        ("temperature_check", validate_parameters("temperature_check", {"region": REGION, "wave": YEAR, "data_dir": data})),
        ("evaluation", validate_parameters("evaluation", {"scope": "England", "data_dir": data})),
    ]
    outcomes = render_batch(requests, out, jobs=2, quiet=True, publisher=Publisher(PUBLISHER, CONTACT),
                            tables_dir=out / "tables", pdf=CHROMIUM is not None)
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.error for o in outcomes]
    return {"out": out, "outcomes": outcomes, "pages": {o.name: o.html_path.read_text(encoding="utf-8") for o in outcomes}}


class _Page(HTMLParser):
    """Headings, column headers, links, table download links and <abbr> of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.columns, self.links, self.downloads, self.tables, self.abbr = [], [], [], [], [], []
        self._heading = self._column = None
        self._row = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = ""
        if tag == "th" and attrs.get("scope") == "col":
            self._column = ""
        if tag == "a":
            if attrs.get("class") == "msp-csv":
                self.downloads.append((attrs.get("download"), uri_text(attrs["href"])))
            else:
                self.links.append(attrs.get("href", ""))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")
        elif tag == "abbr":
            self.abbr.append(attrs.get("title", ""))

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append(self._heading.strip())
            self._heading = None
        elif tag == "th" and self._column is not None:
            self.columns.append(self._column.strip())
            self._column = None
        elif tag == "table":
            self._row = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data
        if self._column is not None:
            self._column += data
        if self._row is not None and self._row:
            self._row[-1] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\-‐]+", "", text).casefold()


@pytest.mark.kernel
def test_the_page_is_lean_in_british_english_with_the_area_in_its_title_and_h1(readable_set):
    for name, html in readable_set["pages"].items():
        assert '<html lang="en-GB">' in html and "tabindex" not in html and "¶" not in html, name
        assert "jp-" not in html and "<script" not in html.lower(), name
    durham = readable_set["pages"][f"locality_{DURHAM}_{YEAR}"]
    assert "<title>Simulated data — County Durham, 2023-24</title>" in durham
    assert _parse(durham).headings[0].startswith("County Durham — Making Safeguarding Personal")
    assert _parse(readable_set["pages"][f"temperature_check_north-east_{YEAR}"]).headings[0].startswith("North East — ")


@pytest.mark.kernel
def test_every_locality_page_is_under_120_kb(readable_set):
    sizes = sorted(len(html.encode()) for name, html in readable_set["pages"].items() if name.startswith("locality"))
    assert sizes[-1] < 120_000, sizes


@pytest.mark.kernel
def test_every_report_links_the_index_its_region_and_england_and_a_region_lists_its_councils(readable_set):
    out = readable_set["out"]
    for name, html in readable_set["pages"].items():
        links = _parse(html).links
        assert "index.html" in links, name
        local = [href for href in links if href and not href.startswith(("#", "data:", "http", "mailto:"))]
        assert all((out / href).is_file() for href in local), (name, [h for h in local if not (out / h).is_file()])
        if not name.startswith("evaluation_england"):
            assert "evaluation_england_fully_achieved.html" in links, name
    durham = _parse(readable_set["pages"][f"locality_{DURHAM}_{YEAR}"]).links
    assert f"temperature_check_north-east_{YEAR}.html" in durham
    region = _parse(readable_set["pages"][f"temperature_check_north-east_{YEAR}"]).links
    assert f"locality_{DURHAM}_{YEAR}.html" in region and f"locality_{DARLINGTON}_{YEAR}.html" in region
    assert sum(href.startswith("locality_") for href in region) == 2, "the councils whose reports are in the folder"
    assert len(re.findall(r"<li>", readable_set["pages"][f"temperature_check_north-east_{YEAR}"].split(
        'class="msp-children"')[1].split("</nav>")[0])) == 12, "every council of the North East is listed"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<summary>North East (2 councils)</summary>" in index and "failed" not in index


@pytest.mark.kernel
def test_a_report_rendered_alone_links_to_no_page_its_folder_lacks(small_demo, tmp_path):
    from msp_analysis.reporting.render.batch import render_reports, validate_parameters

    params = validate_parameters("locality", {"locality": DARLINGTON, "year": YEAR, "data_dir": str(small_demo["processed"])})
    [outcome] = render_reports("locality", [params], tmp_path, jobs=1, quiet=True)
    assert outcome.status == "ok", outcome.error
    links = _parse(outcome.html_path.read_text(encoding="utf-8")).links
    local = [href for href in links if href and not href.startswith(("#", "data:", "http", "mailto:"))]
    assert set(local) == {"index.html"} and (tmp_path / "index.html").is_file()


@pytest.mark.kernel
def test_every_page_names_its_publisher_and_has_the_glossary_and_scope(readable_set):
    for name, html in readable_set["pages"].items():
        assert "Published by North East ADASS &lt;test&gt;. Contact: msp@example.org" in html, name
        assert 'id="glossary"' in html and 'href="#glossary"' in html and "councils in England only" in html, name


@pytest.mark.kernel
def test_each_table_downloads_exactly_what_it_shows_and_the_tables_folder_holds_the_same(readable_set):
    import csv
    import io

    for name, html in readable_set["pages"].items():
        page = _parse(html)
        assert len(page.downloads) == len(page.tables) > 0, name
        files = sorted((readable_set["out"] / "tables" / name).glob("*.csv"))
        assert [f.read_bytes().decode("utf-8") for f in files] == [text for _, text in page.downloads], name
        for table, (_, text) in zip(page.tables, page.downloads, strict=True):
            rows = [row for row in table if row]
            assert list(csv.reader(io.StringIO(text))) == [[c.strip() for c in row] for row in rows], name
    durham = readable_set["pages"][f"locality_{DURHAM}_{YEAR}"]
    assert any("[c]" in text for _, text in _parse(durham).downloads) or "[c]" not in durham


@pytest.mark.kernel
def test_the_hidden_symbol_is_explained_where_it_is_shown(readable_set):
    for name, html in readable_set["pages"].items():
        cells = re.findall(r"<t[dh][^>]*>([^<]*(?:<abbr[^>]*>[^<]*</abbr>)?[^<]*)</t[dh]>", html)
        assert not [c for c in cells if "[c]" in c and "<abbr" not in c], name


@pytest.mark.kernel
@pytest.mark.parametrize("name, first_section", [(f"locality_{DURHAM}_{YEAR}", "The MSP pathway</h2>"),
                                                 (f"temperature_check_north-east_{YEAR}", "Coverage of returns</h2>"),
                                                 ("evaluation_england_fully_achieved", "Descriptives</h2>")])
def test_every_report_opens_with_main_points(readable_set, name, first_section):
    html = readable_set["pages"][name]
    box = re.search(r'<section [^>]*class="msp-points"[^>]*>(.*?)</section>', html, flags=re.S).group(1)
    points = re.findall(r"<li>", box)
    assert 3 <= len(points) <= 5 and "Data quality:" in box
    assert html.count('class="msp-points"') == 1
    assert html.index('class="msp-points"') < html.index(first_section)
    assert "sac disclosure policy" not in html and "Working with this notebook" not in html


@pytest.mark.kernel
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium (installed by .ci/run)")
def test_at_1280_and_400_px_pages_open_cleanly_and_chart_text_stays_at_least_9_px(readable_set, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    pages = [readable_set["out"] / "index.html"] + [o.html_path for o in readable_set["outcomes"]]
    for width in (1280, 400):
        with Browser(tmp_path / f"profile-{width}", width=width, height=900) as browser:
            for path in pages:
                report = browser.check(path, screenshot=shots / f"{path.stem}-{width}.png")
                assert report.errors == [] and report.broken == [] and report.missing_alt == 0, (path.name, width)
                assert report.heading_problems() == [], (path.name, report.headings)
                if path.name == "index.html":
                    continue
                seen = json.loads(browser.evaluate(path, IMAGES))
                assert seen["overflow"] <= width + 1, f"{path.name} at {width} px scrolls sideways as a whole page"
                for image in seen["images"]:
                    svg = uri_text(image["src"])
                    smallest = smallest_text(svg, image["width"])
                    assert smallest >= 9, f"{path.name} at {width} px: chart text {smallest:.1f} px"
    assert len(list(shots.glob("*.png"))) == 2 * len(pages)
    print(f"screenshots at 1280 and 400 px: {shots}")


@pytest.mark.kernel
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or PDFTOTEXT is None, reason="needs chromium and pdftotext (poppler-utils)")
def test_the_pdfs_are_a4_with_every_heading_and_every_column_header(readable_set):
    for outcome in readable_set["outcomes"]:
        assert outcome.pdf_path is not None and outcome.pdf_path.is_file(), outcome.name
        info = subprocess.run([PDFINFO, str(outcome.pdf_path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Page size:\s+59[45](\.\d+)? x 841\.\d+ pts \(A4\)", info), (outcome.name, info)
        text = _squeezed(subprocess.run([PDFTOTEXT, "-raw", str(outcome.pdf_path), "-"], capture_output=True, text=True,
                                        check=True).stdout)
        page = _parse(readable_set["pages"][outcome.name])
        missing = [h for h in page.headings if _squeezed(h) not in text]
        assert missing == [], (outcome.name, missing)
        lost = [c for c in page.columns if _squeezed(c) not in text]
        assert lost == [], (outcome.name, lost)
    pages = {o.name: int(re.search(r"Pages:\s+(\d+)", subprocess.run([PDFINFO, str(o.pdf_path)], capture_output=True,
                                                                    text=True).stdout).group(1))
             for o in readable_set["outcomes"]}
    print(f"PDF pages: {pages}")
