"""End to end: a small report set (two councils, a region's temperature check, a regional evaluation)
rendered in one batch, checked against numbers computed independently from the raw files, for
leaks (identifiers, small counts, local paths, scripts) and, in headless chromium, as a person sees it."""

import csv
import hashlib
import re
from collections import defaultdict
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest

from tests.e2e.browser_check import CHROMIUM, Browser
from tests.e2e.independent import rounded, shown_pct

YEAR, REGION = "2023-24", "North East"
DURHAM, DARLINGTON = "E06000047", "E06000005"
LIKERT = {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5}


@pytest.fixture(scope="module")
def report_set(small_demo_tc, tmp_path_factory):
    from msp_analysis.reporting.render.batch import render_batch, validate_parameters

    out = tmp_path_factory.mktemp("report_set")
    data = str(small_demo_tc["processed"])
    requests = [
        ("locality", validate_parameters("locality", {"locality": DURHAM, "year": YEAR, "data_dir": data})),
        ("locality", validate_parameters("locality", {"locality": DARLINGTON, "year": YEAR, "data_dir": data})),
        ("temperature_check", validate_parameters("temperature_check", {"region": REGION, "wave": YEAR, "data_dir": data})),
        ("evaluation", validate_parameters("evaluation", {"scope": REGION, "data_dir": data})),
    ]
    outcomes = render_batch(requests, out, jobs=2, quiet=True)
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.error for o in outcomes]
    pages = {o.name: (out / f"{o.name}.html").read_text(encoding="utf-8") for o in outcomes}
    return {"out": out, "pages": pages, "outcomes": outcomes, **small_demo_tc}


def page(report_set, prefix: str) -> str:
    return next(html for name, html in report_set["pages"].items() if name.startswith(prefix))


class _Tables(HTMLParser):
    """Every table (caption and rows of cell texts), every cell with its class, every img, every heading level."""

    def __init__(self):
        super().__init__()
        self.cells, self.images, self.headings, self.tables = [], [], [], []
        self._cell, self._caption = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = {"text": "", "class": attrs.get("class") or ""}
        elif tag == "img":
            self.images.append(attrs)
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            cell = {**self._cell, "text": self._cell["text"].strip(),
                    "table": self.tables[-1]["caption"] if self.tables else ""}
            self.cells.append(cell)
            if self.tables and self.tables[-1]["rows"]:
                self.tables[-1]["rows"][-1].append(cell["text"])
            self._cell = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = self._caption.strip()
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        elif self._caption is not None:
            self._caption += data

    def table(self, caption_start: str) -> list[dict]:
        """The rows of the table whose caption starts with `caption_start`, as dicts keyed by the header."""
        found = next(t for t in self.tables if t["caption"].startswith(caption_start))
        header, *rows = found["rows"]
        return [dict(zip(header, row, strict=True)) for row in rows]


def parsed(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'"data:image/[^"]*"', " ", html)  # embedded figures (base64 or percent-encoded)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- independent computations from the raw files (deliberately simple, separate rules) -----------


def raw_enquiries(raw: Path, processed: Path) -> list[dict]:
    """Clean-enough raw enquiry rows: rejected rows dropped, year from the concluded date, S42 only."""
    rejected = {int(r["row"]) for r in csv.DictReader((processed / "evaluation.rejects.csv").open())}
    rows = []
    with (raw / "evaluation.csv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if number in rejected or row["enquiry_type"].strip().lower() not in ("section 42", "s42", "section 42 enquiry"):
                continue
            concluded = row["concluded_date"]
            year, month = ((int(concluded[6:]), int(concluded[3:5])) if "/" in concluded
                           else (int(concluded[:4]), int(concluded[5:7])))
            start = year if month >= 4 else year - 1
            achieved = row["msp_outcome_achieved"].strip().lower()
            level = ("fully" if achieved.startswith("fully") else "partially" if achieved.startswith(("partial", "partly"))
                     else "not" if achieved.startswith("not") else "")
            rows.append({"year": f"{start}-{(start + 1) % 100:02d}", "ons": row["ons_code"].strip().upper(),
                         "cassr": row["cassr_code"].split(".")[0].strip().zfill(3), "level": level})
    return rows


def raw_council_score(raw: Path, ons_code: str, wave: str, items: dict[str, bool]) -> float:
    """Mean over organisations of the mean over respondents of the mean of the indicator's items (reversed flipped)."""
    per_org = defaultdict(list)
    with (raw / "temperature_check.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["ons_code"] != ons_code or row["wave"] != wave:
                continue
            answers = [(6 - LIKERT[row[i]]) if reverse else LIKERT[row[i]] for i, reverse in items.items() if row[i] in LIKERT]
            if len(answers) >= 2:
                per_org[row["org_id"]].append(sum(answers) / len(answers))
    means = [sum(v) / len(v) for v in per_org.values()]
    return sum(means) / len(means)


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.kernel
def test_one_index_lists_every_report_under_its_region(report_set):
    index = (report_set["out"] / "index.html").read_text(encoding="utf-8")
    group = index[index.index(f"<summary>{REGION} (2 councils)</summary>"):]
    group = group[:group.index("</details>")]
    for outcome in report_set["outcomes"]:
        assert f'href="{outcome.name}.html"' in group, "the region's temperature check, evaluation and councils"


@pytest.mark.kernel
def test_locality_headline_numbers_equal_independent_computation(report_set):
    rows = raw_enquiries(report_set["raw"], report_set["processed"])
    in_year = [r for r in rows if r["year"] == YEAR]
    durham = [r for r in in_year if r["ons"] == DURHAM or (r["ons"] == "" and r["cassr"] == "116")]
    text = visible_text(page(report_set, f"locality_{DURHAM}"))

    def fully(group):
        levels = [r["level"] for r in group if r["level"]]
        return shown_pct(levels.count("fully"), len(levels))

    pathway = {row["Area"]: row for row in parsed(page(report_set, f"locality_{DURHAM}")).table("The MSP pathway in")}
    assert pathway["County Durham"]["Fully achieved %"] == fully(durham), "council fully achieved % (pathway table)"
    assert pathway["England"]["Fully achieved %"] == fully(in_year), "England fully achieved % (pathway table)"
    if fully(durham) != "[c]":
        assert f"{fully(durham)} of people in County Durham" in text, "the headline sentence"
    assert rounded(len(durham)) in text and rounded(len(in_year)) in text, "concluded S42 counts rounded to 5"


@pytest.mark.kernel
def test_temperature_check_numbers_equal_independent_computation(report_set):
    rows = {r["Council"]: r for r in parsed(page(report_set, "temperature_check")).table("Culture-indicator scores by council")}
    supervision = {"sup_1": False, "sup_2": False, "sup_3": True}
    staffing = {"stf_1": False, "stf_2": False, "stf_3": True}
    for ons, name in ((DURHAM, "County Durham"), (DARLINGTON, "Darlington")):
        for label, items in (("Supervision", supervision), ("Staffing", staffing)):
            expected = raw_council_score(report_set["raw"], ons, YEAR, items)
            assert rows[name][label] in (f"{expected:.2f}", "[c]"), (name, label, expected, rows[name])
    coverage = parsed(page(report_set, "temperature_check")).table("Returns to the 2023-24 temperature check")
    assert len(coverage) == 12 and {r["Returned"] for r in coverage} <= {"Yes", "No"}


@pytest.mark.kernel
def test_evaluation_numbers_equal_independent_computation(report_set):
    rows = [r for r in raw_enquiries(report_set["raw"], report_set["processed"]) if r["level"]]
    from msp_analysis.reference import geography

    region_codes = set(geography.councils(YEAR, REGION)["ons_code"])
    cassr = dict(zip(geography.councils(YEAR, REGION)["cassr_code"], geography.councils(YEAR, REGION)["ons_code"], strict=True))
    mine = [r for r in rows if r["year"] == YEAR and (r["ons"] in region_codes or (r["ons"] == "" and r["cassr"] in cassr))]
    text = visible_text(page(report_set, "evaluation"))
    share = shown_pct(sum(r["level"] == "fully" for r in mine), len(mine))
    assert f"{YEAR}" in text and rounded(len(mine)) in text and share in text


@pytest.mark.kernel
def test_the_attacker_gets_no_count_of_0_to_4_from_the_rendered_pages(report_set):
    from tests.e2e.attack import pathway_leaks

    assert [leak for name, html in report_set["pages"].items() for leak in pathway_leaks(name, html)] == []


@pytest.mark.kernel
def test_no_enquiry_or_person_id_appears_anywhere(report_set):
    with (report_set["raw"] / "evaluation.csv").open(encoding="utf-8") as handle:
        ids = {v for row in csv.DictReader(handle) for v in (row["enquiry_id"], row["person_id"]) if v}
    everything = "".join(report_set["pages"].values()) + (report_set["out"] / "index.html").read_text(encoding="utf-8")
    tokens = set(re.findall(r"[A-Za-z0-9]+", everything))  # IDs are letters and digits: any leak is a whole token
    assert ids and not ids & tokens
    sample = sorted(ids)[:: max(1, len(ids) // 500)]  # and, exactly, as substrings for a sample
    assert not [i for i in sample if i in everything]


@pytest.mark.kernel
def test_under_the_sac_policy_no_table_shows_a_count_from_1_to_4(report_set):
    checked = 0
    for name, html in report_set["pages"].items():
        for cell in parsed(html).cells:
            if cell["table"].startswith("Items of the instrument"):
                continue  # numbers of questions in the instrument, not of people
            number = cell["text"].replace(",", "")
            if re.fullmatch(r"\d+", number):
                checked += 1
                assert not 1 <= int(number) <= 4, f"{name}: count {number} shown"
                if "text" not in cell["class"]:  # a number cell (text cells carry class=text)
                    assert int(number) % 5 == 0, f"{name}: count {number} not rounded to 5"
    assert checked > 50
    for name, html in report_set["pages"].items():
        assert "Disclosure control: the Safeguarding Adults Collection's rules (policy sac)" in visible_text(html), name


@pytest.mark.kernel
def test_free_text_notes_are_shown_as_text_and_nothing_runs(report_set):
    html = page(report_set, "temperature_check")
    script_note, plain_note = report_set["notes"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert plain_note.replace("&", "&amp;") in html
    for name, body in report_set["pages"].items():
        assert "<script" not in body.lower(), f"{name} carries a script"
        assert not re.search(r"\son\w+\s*=", body, flags=re.I), f"{name} carries an event handler"


@pytest.mark.kernel
def test_no_local_paths_input_code_or_parameters_cell(report_set):
    for name, html in report_set["pages"].items():
        text = visible_text(html)
        assert str(report_set["processed"]) not in html and str(report_set["out"]) not in html, name
        assert "/tmp/" not in html and "/work/" not in html, name
        assert "import " not in text and "injected-parameters" not in html and "data_dir =" not in text, name
        assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|jp-InputPrompt|highlight)', html), name


@pytest.mark.kernel
def test_every_report_ends_with_its_provenance(report_set):
    from msp_analysis import __version__

    sha = hashlib.sha256((report_set["processed"] / "evaluation.parquet").read_bytes()).hexdigest()
    for name, html in report_set["pages"].items():
        text = visible_text(html)
        tail = text[text.rindex("Provenance"):]
        assert f"msp-analysis {__version__}" in tail and "git commit" in tail, name
        assert "Disclosure control: the Safeguarding Adults Collection's rules (policy sac)" in tail and re.search(r"Rendered: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", tail)
        assert "data_dir: processed" in tail, "a folder is named, not its path"
        if not name.startswith("temperature_check"):
            assert sha in tail, name


@pytest.mark.kernel
def test_every_figure_is_embedded_with_alt_text_and_headings_are_in_order(report_set):
    for name, html in report_set["pages"].items():
        found = parsed(html)
        assert found.images, name
        for image in found.images:
            assert image["src"].startswith("data:image/"), name
            assert len(image.get("alt", "").strip()) > 30, (name, image.get("alt"))
            assert "No description has been provided" not in image["alt"]
        assert found.headings[0] == 1 and all(b <= a + 1 for a, b in pairwise(found.headings)), name


@pytest.mark.browser
def test_browser_check_catches_what_it_is_for(tmp_path):
    if CHROMIUM is None:
        pytest.skip("needs Debian chromium (installed by .ci/run)")
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><h2>No h1</h2><img src="missing.png">'
                   '<script>console.error("boom"); undefined_function();</script></body></html>')
    with Browser(tmp_path / "profile") as browser:
        report = browser.check(bad)
    assert report.broken and report.missing_alt == 1 and report.heading_problems()
    assert any("boom" in e for e in report.errors) and len(report.errors) >= 2


@pytest.mark.kernel
@pytest.mark.browser
def test_index_and_reports_open_cleanly_in_headless_chromium(report_set, tmp_path):
    if CHROMIUM is None:
        pytest.skip("needs Debian chromium (installed by .ci/run)")
    pages = [report_set["out"] / "index.html"] + [report_set["out"] / f"{name}.html" for name in report_set["pages"]]
    with Browser(tmp_path / "profile") as browser:
        for path in pages:
            shot = tmp_path / f"{path.stem}.png"
            report = browser.check(path, screenshot=shot)
            assert report.errors == [], (path.name, report.errors)
            assert report.broken == [] and report.missing_alt == 0, path.name
            assert report.heading_problems() == [], (path.name, report.headings)
            assert report.scripts == 0 and report.text_length > 300, path.name
            assert shot.stat().st_size > 20_000, f"screenshot of {path.name} looks empty"
            if path.name != "index.html":
                assert report.images >= 2, path.name
    print(f"screenshots: {tmp_path}/*.png")


@pytest.mark.kernel
def test_the_regional_mean_in_a_locality_report_is_the_mean_of_the_councils_the_regional_report_shows(report_set):
    """Issue 12's culture attack: n x regional mean - the shown councils gives a hidden council back unless it is left out."""
    councils = parsed(page(report_set, "temperature_check")).table("Culture-indicator scores by council")
    culture = parsed(page(report_set, f"locality_{DURHAM}")).table("Culture-indicator scores")
    column = f"{REGION} (mean of councils)"
    checked = 0
    for row in culture:
        shown = [float(c[row["Indicator"]]) for c in councils if c[row["Indicator"]] not in ("[c]", "")]
        if row[column] in ("[c]", "") or not shown:
            continue
        assert abs(float(row[column]) - sum(shown) / len(shown)) <= 0.005 + 1e-9, (row, shown)
        checked += 1
    assert checked >= 5
