"""End to end: simulated raw file → clean → one rendered locality report, checked as a reader sees it."""

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from msp_analysis.reporting.figures import page_figures
from tests.e2e.attack import tables
from tests.e2e.independent import shown_pct

COUNCIL, COUNCIL_NAME, YEAR = "E06000047", "County Durham", "2023-24"
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.kernel  # every test reads the report the `rendered` fixture renders


@pytest.fixture(scope="module")
def rendered(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    script = Path(sys.executable).with_name("msp-analysis")
    done = subprocess.run(
        [str(script), "report", "locality", "--param", f"locality={COUNCIL}", "--param", f"year={YEAR}",
         "--param", f"data_dir={small_demo['processed']}", "--out", str(out)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    html = (out / f"locality_{COUNCIL}_{YEAR}.html").read_text(encoding="utf-8")
    return {"out": out, "html": html, "raw": small_demo["raw"], "processed": small_demo["processed"]}


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'"data:image/[^"]*"', " ", html)  # embedded figures (base64 or percent-encoded)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _fully_achieved_pct_from_raw(raw_csv: Path, rejects_csv: Path) -> str:
    """Fully-achieved % recomputed from the raw file with deliberately simple, separate rules.

    As the SAC policy shows it: whole per cent, half up, of the two counts each rounded to 5.
    """
    rejected = {int(r["row"]) for r in csv.DictReader(rejects_csv.open())}
    cassr = "116"
    counts = {"fully": 0, "partially": 0, "not": 0}
    with raw_csv.open(encoding="utf-8") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            if row_number in rejected:
                continue
            code = row["ons_code"].strip().upper()
            if code != COUNCIL and not (code == "" and row["cassr_code"].split(".")[0] == cassr):
                continue
            concluded = row["concluded_date"]
            year, month = (int(concluded[6:]), int(concluded[3:5])) if "/" in concluded else (int(concluded[:4]), int(concluded[5:7]))
            if (year if month >= 4 else year - 1) != 2023:
                continue
            if row["enquiry_type"].strip().lower() not in ("section 42", "s42", "section 42 enquiry"):
                continue
            achieved = row["msp_outcome_achieved"].strip().lower()
            if achieved.startswith("fully"):
                counts["fully"] += 1
            elif achieved.startswith("partial") or achieved.startswith("partly"):
                counts["partially"] += 1
            elif achieved.startswith("not"):
                counts["not"] += 1
    return shown_pct(counts["fully"], sum(counts.values()))


def test_report_names_the_council_and_shows_the_independently_computed_rate(rendered):
    text = _visible_text(rendered["html"])
    assert COUNCIL_NAME in text
    expected = _fully_achieved_pct_from_raw(rendered["raw"] / "evaluation.csv", rendered["processed"] / "evaluation.rejects.csv")
    pathway = next(rows for caption, rows in tables(rendered["html"]) if caption.startswith("The MSP pathway in"))
    header = pathway[0]
    council = next(row for row in pathway[1:] if row[0] == COUNCIL_NAME)
    assert council[header.index("Fully achieved %")] == expected, f"fully achieved {expected} not shown"
    assert "Disclosure control: the Safeguarding Adults Collection's rules (policy sac)" in text


def test_report_carries_no_input_code_parameters_or_cdn_scripts(rendered):
    html = rendered["html"]
    text = _visible_text(html)
    assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|jp-InputPrompt|highlight)', html), "code cells shown"
    assert "import " not in text and "msp_analysis" not in text
    assert "injected-parameters" not in html and "data_dir =" not in text
    assert "<script" not in html, "a report runs no script and fetches nothing"
    assert str(rendered["processed"]) not in html, "no local paths in a report"
    figures = page_figures(html)
    assert figures and all(f.mimetype == "image/svg+xml" and f.data.startswith(b"<svg") for f in figures), "embedded"


def test_report_contains_no_enquiry_or_person_ids(rendered):
    html = rendered["html"] + (rendered["out"] / "index.html").read_text(encoding="utf-8")
    with (rendered["raw"] / "evaluation.csv").open(encoding="utf-8") as handle:
        ids = {v for row in csv.DictReader(handle) for v in (row["enquiry_id"], row["person_id"]) if v}
    assert ids and not [i for i in ids if i in html]


def test_index_links_the_report(rendered):
    index = (rendered["out"] / "index.html").read_text(encoding="utf-8")
    assert f'href="locality_{COUNCIL}_{YEAR}.html"' in index and "County Durham, 2023-24" in index


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium (installed by .ci/run)")
def test_report_renders_in_headless_chromium(rendered, tmp_path):
    page = rendered["out"] / f"locality_{COUNCIL}_{YEAR}.html"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert COUNCIL_NAME in dom and "Fully achieved" in dom
    assert "<img" in dom
