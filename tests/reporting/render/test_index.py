"""The front page: one per folder, shared by separate runs, councils under their region, every value escaped,
the data period, publication date, policy in words and the method; status only when something failed."""

import json
import re

from msp_analysis.reporting.render.batch import ReportOutcome
from msp_analysis.reporting.render.index import write_index

SAC = {"name": "sac", "title": "the Safeguarding Adults Collection's rules", "words": "Counts under 5 are shown as [c]."}


def _ok(tmp_path, name, title, notebook, region="", period="2023-24", **more):
    (tmp_path / f"{name}.html").write_text("<html></html>")
    return ReportOutcome(name, title, "ok", html_path=tmp_path / f"{name}.html", notebook=notebook, region=region,
                         period=period, policy=SAC, **more)


def test_separate_runs_into_one_folder_share_one_index_grouped_by_region(tmp_path):
    write_index([_ok(tmp_path, "locality_A_2023-24", "Alpha, 2023-24", "locality", "London"),
                 _ok(tmp_path, "locality_B_2023-24", "Beta, 2023-24", "locality", "North East")], tmp_path)
    write_index([_ok(tmp_path, "temperature_check_london_2023-24", "Temperature check: <London>", "temperature_check",
                     "London"),
                 ReportOutcome("evaluation_england_fully_achieved", "Evaluation: England", "failed",
                               error="ValueError: <boom>", notebook="evaluation")], tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert 'href="locality_A_2023-24.html"' in index and "Temperature check: &lt;London&gt;" in index
    north_east, london = index.index("<summary>North East (1 council)"), index.index("<summary>London (1 council)")
    assert north_east < london, "regions in the ADASS order"
    london_group = index[london:index.index("</details>", london)]
    assert "Temperature check: &lt;London&gt;" in london_group and "Alpha, 2023-24" in london_group
    assert london_group.index("Temperature check") < london_group.index("Alpha"), "the region's report leads its group"
    assert "Reports that failed (1)" in index and "ValueError: &lt;boom&gt;" in index
    assert len(json.loads((tmp_path / "index.json").read_text())) == 4


def test_without_failures_there_is_no_status_and_the_page_explains_itself(tmp_path):
    write_index([_ok(tmp_path, "evaluation_england_fully_achieved", "Evaluation: England, fully achieved", "evaluation",
                     period=""),
                 _ok(tmp_path, "locality_A_2023-24", "Alpha, 2023-24", "locality", "London")], tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert "failed" not in index and "Status" not in index and "cached" not in index
    assert "data for 2023-24" in index and re.search(r"Published \d{1,2} [A-Z][a-z]+ \d{4}", index)
    assert "Small numbers are hidden under the Safeguarding Adults Collection&#x27;s rules: Counts under 5" in index
    assert '<a href="method.html">' in index and (tmp_path / "method.html").is_file()
    assert index.index('<h2 id="england">') < index.index('<h2 id="regions">')
    assert "<script" not in index and 'lang="en-GB"' in index
    method = (tmp_path / "method.html").read_text()
    assert 'id="glossary"' in method and "Section 42 enquiry" in method and "England only" in method


def test_quotes_are_escaped_and_old_records_without_a_region_are_still_listed(tmp_path):
    (tmp_path / "b'c.html").write_text("<html></html>")
    write_index([ReportOutcome("locality_B_2023-24", 'B\'s "council" & co', "cached", html_path=tmp_path / "b'c.html",
                               notebook="locality"),
                 ReportOutcome("locality_gone", "Gone", "ok", html_path=tmp_path / "gone.html", notebook="locality")],
                tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert '<a href="b&#x27;c.html">B&#x27;s &quot;council&quot; &amp; co</a>' in index
    assert "Gone" not in index, "a report whose file is gone is dropped"


def test_an_empty_folder_gets_an_index_that_says_so(tmp_path):
    write_index([], tmp_path)
    assert "No report has been rendered into this folder yet." in (tmp_path / "index.html").read_text()
    assert (tmp_path / "index.json").read_text() == "[]"


def test_an_index_of_simulated_reports_says_so_in_its_title_a_banner_and_beside_each_report(tmp_path):
    write_index([_ok(tmp_path, "locality_A_2023-24", "A, 2023-24", "locality", "London", simulated=True),
                 _ok(tmp_path, "locality_B_2023-24", "B, 2023-24", "locality", "London")], tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<title>Simulated data — Making Safeguarding Personal reports</title>" in page
    assert "<h1>Simulated data — Making Safeguarding Personal reports</h1>" in page
    banner = page.split('<div role="note"', 1)[1].split("</div>", 1)[0]
    assert "1 of the 2 reports here (marked below) are built from simulated data" in banner
    assert "not real figures for the councils, regions or England named" in banner
    assert page.index("</h1>") < page.index('<div role="note"') < page.index("<h2")
    assert '<a href="locality_A_2023-24.html">A, 2023-24</a> (simulated data)</li>' in page
    assert '<a href="locality_B_2023-24.html">B, 2023-24</a></li>' in page
    assert (tmp_path / "method.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    write_index([_ok(tmp_path, "locality_A_2023-24", "A, 2023-24", "locality", "London")], tmp_path)  # real data again
    assert "imulated" not in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "imulated" not in (tmp_path / "method.html").read_text(encoding="utf-8")
