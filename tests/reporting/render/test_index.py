"""The index page: one per folder, shared by separate runs, grouped by notebook, every value escaped."""

import re

from msp_analysis import __version__
from msp_analysis.reporting.render.batch import ReportOutcome
from msp_analysis.reporting.render.index import write_index

HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Making Safeguarding Personal reports</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
td,th{padding:.3rem .8rem;text-align:left;vertical-align:top}table{border-collapse:collapse}
tbody tr:nth-child(odd){background:#f3f3f3}a{color:#0b4f8a}</style>
</head><body>
<h1>Making Safeguarding Personal reports</h1>
"""
TABLE_HEAD = ('<table><thead><tr><th scope="col">Report</th><th scope="col">Status</th><th scope="col">Error</th>'
              "</tr></thead><tbody>")


def _page(path) -> str:
    return re.sub(r"Rendered \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by", "Rendered <time> by", path.read_text(encoding="utf-8"))


def test_separate_runs_into_one_folder_share_one_index(tmp_path):
    for name in ("locality_A_2023-24", "temperature_check_london_2023-24"):
        (tmp_path / f"{name}.html").write_text("<html></html>")
    write_index([ReportOutcome("locality_A_2023-24", "A, 2023-24", "ok", html_path=tmp_path / "locality_A_2023-24.html",
                               notebook="locality")], tmp_path)
    write_index([ReportOutcome("temperature_check_london_2023-24", "Temperature check: <London>", "ok",
                               html_path=tmp_path / "temperature_check_london_2023-24.html", notebook="temperature_check"),
                 ReportOutcome("evaluation_england_fully_achieved", "Evaluation: England", "failed",
                               error="ValueError: <boom>", notebook="evaluation")], tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert index.index("Evaluation (1)") < index.index("Regional temperature checks (1)") < index.index("Locality reports (1)")
    assert 'href="locality_A_2023-24.html"' in index and "Temperature check: &lt;London&gt;" in index
    assert "ValueError: &lt;boom&gt;" in index and "3 reports, 1 failed" in index


def test_the_page_is_exactly_as_before_quotes_escaped_unknown_notebooks_last(tmp_path):
    (tmp_path / "locality_B_2023-24.html").write_text("<html></html>")
    (tmp_path / "b'c.html").write_text("<html></html>")
    write_index([ReportOutcome("locality_B_2023-24", 'B\'s "council" & co', "cached",
                               html_path=tmp_path / "locality_B_2023-24.html", notebook="locality"),
                 ReportOutcome("locality_A_2023-24", "A", "failed", error="KeyError: 'x'", notebook="locality"),
                 ReportOutcome("other_x", "X", "ok", html_path=tmp_path / "b'c.html", notebook="other"),
                 ReportOutcome("locality_gone", "Gone", "ok", html_path=tmp_path / "gone.html", notebook="locality")],
                tmp_path)
    assert _page(tmp_path / "index.html") == HEAD + f"""<p>3 reports, 1 failed. Rendered <time> by msp-analysis {__version__}.
Small numbers are suppressed in every report; each report ends with its provenance.</p>
<h2 id="locality">Locality reports (2)</h2>
{TABLE_HEAD}
<tr><td>A</td><td>failed</td><td>KeyError: &#x27;x&#x27;</td></tr>
<tr><td><a href="locality_B_2023-24.html">B&#x27;s &quot;council&quot; &amp; co</a></td><td>cached</td><td></td></tr>
</tbody></table>
<h2 id="other">other (1)</h2>
{TABLE_HEAD}
<tr><td><a href="b&#x27;c.html">X</a></td><td>ok</td><td></td></tr>
</tbody></table>
</body></html>
"""


def test_an_empty_folder_gets_an_index_with_no_sections(tmp_path):
    write_index([], tmp_path)
    assert _page(tmp_path / "index.html") == HEAD + f"""<p>0 reports, 0 failed. Rendered <time> by msp-analysis {__version__}.
Small numbers are suppressed in every report; each report ends with its provenance.</p>

</body></html>
"""
    assert (tmp_path / "index.json").read_text() == "[]"


def test_an_index_of_simulated_reports_says_so_in_its_title_a_banner_and_beside_each_report(tmp_path):
    for name in ("locality_A_2023-24", "locality_B_2023-24"):
        (tmp_path / f"{name}.html").write_text("<html></html>")
    write_index([ReportOutcome("locality_A_2023-24", "A, 2023-24", "ok", html_path=tmp_path / "locality_A_2023-24.html",
                               notebook="locality", simulated=True),
                 ReportOutcome("locality_B_2023-24", "B, 2023-24", "ok", html_path=tmp_path / "locality_B_2023-24.html",
                               notebook="locality")], tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<title>Simulated data — Making Safeguarding Personal reports</title>" in page
    assert "<h1>Simulated data — Making Safeguarding Personal reports</h1>" in page
    banner = page.split('<div role="note"', 1)[1].split("</div>", 1)[0]
    assert "1 of the 2 reports here (marked below) are built from simulated data" in banner
    assert "not real figures for the councils, regions or England named" in banner
    assert page.index("</h1>") < page.index('<div role="note"') < page.index("<h2")
    assert '<a href="locality_A_2023-24.html">A, 2023-24</a> (simulated data)</td>' in page
    assert '<a href="locality_B_2023-24.html">B, 2023-24</a></td>' in page
    write_index([ReportOutcome("locality_A_2023-24", "A, 2023-24", "ok", html_path=tmp_path / "locality_A_2023-24.html",
                               notebook="locality")], tmp_path)  # rendered again from real data: the mark goes
    assert "imulated" not in (tmp_path / "index.html").read_text(encoding="utf-8")
