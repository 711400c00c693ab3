"""What a page says beyond its content: links between reports, the publisher (settings file or options)."""

import base64
import json

import pytest

from msp_analysis.reporting.render.batch import validate_parameters
from msp_analysis.reporting.render.page import load_publisher, page_info
from msp_analysis.reporting.render.tables import page_tables
from msp_analysis.toolkit.errors import ParameterError

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_a_council_links_its_region_and_england_and_a_region_lists_its_councils():
    council = page_info("locality", validate_parameters("locality", {"locality": "E06000047", "year": "2023-24"}))
    assert council["area"] == "County Durham" and council["region"] == "North East" and council["period"] == "2023-24"
    assert [href for _, href in council["links"]] == ["index.html", "temperature_check_north-east_2023-24.html",
                                                      "evaluation_england_fully_achieved.html"]
    region = page_info("temperature_check", validate_parameters("temperature_check", {"region": "North East"}))
    assert len(region["children"]) == 12 and ["County Durham", "locality_E06000047_2023-24.html"] in region["children"]
    assert region["policy"]["title"] == "the Safeguarding Adults Collection's rules"
    england = page_info("evaluation", validate_parameters("evaluation", {"scope": "England"}))
    assert [href for _, href in england["links"]] == ["index.html"], "England's report does not link to itself"


def test_an_assurance_report_names_its_council_and_links_its_locality_report_and_region():
    page = page_info("assurance", validate_parameters("assurance", {"locality": "E06000010", "wave": "2023-24"}))
    assert page["area"] == "Hull" and page["region"] == "Yorkshire and the Humber" and page["period"] == "2023-24"
    assert [href for _, href in page["links"]] == [
        "index.html", "locality_E06000010_2023-24.html", "temperature_check_yorkshire-and-the-humber_2023-24.html",
        "evaluation_england_fully_achieved.html"]


def test_a_page_links_only_to_pages_of_its_folder_or_its_batch():
    durham = validate_parameters("locality", {"locality": "E06000047", "year": "2023-24"})
    alone = page_info("locality", durham, available={"locality_E06000047_2023-24.html"})
    assert [href for _, href in alone["links"]] == ["index.html"], "no region or England page in the folder"
    with_region = page_info("locality", durham, available={"temperature_check_north-east_2023-24.html"})
    assert [href for _, href in with_region["links"]] == ["index.html", "temperature_check_north-east_2023-24.html"]
    region = page_info("temperature_check", validate_parameters("temperature_check", {"region": "North East"}),
                       available={"locality_E06000047_2023-24.html", "evaluation_england_fully_achieved.html"})
    assert len(region["children"]) == 12, "a region lists every council"
    assert [pair for pair in region["children"] if pair[1]] == [["County Durham", "locality_E06000047_2023-24.html"]]
    assert [href for _, href in region["links"]] == ["index.html", "evaluation_england_fully_achieved.html"]


def test_the_publisher_comes_from_a_settings_file_with_options_overriding_and_the_logo_embedded(tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    settings = tmp_path / "publisher.json"
    settings.write_text(json.dumps({"name": "Kent County Council", "contact": "a@example.org", "logo": "logo.png"}))
    publisher = load_publisher(settings, contact="b@example.org")
    assert publisher.name == "Kent County Council" and publisher.contact == "b@example.org"
    assert publisher.logo == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert not load_publisher().given


@pytest.mark.parametrize("content,match", [("[1]", "expected an object"), ("{", "not JSON"),
                                           ('{"name": "x", "phone": "1"}', "expected an object")])
def test_a_bad_settings_file_is_a_clean_error(tmp_path, content, match):
    settings = tmp_path / "publisher.json"
    settings.write_text(content)
    with pytest.raises(ParameterError, match=match):
        load_publisher(settings)


def test_a_logo_must_be_an_image_file_of_modest_size(tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    with pytest.raises(ParameterError, match="expected a .png"):
        load_publisher(logo=str(tmp_path / "logo.gif"))
    (tmp_path / "big.png").write_bytes(b"\0" * 300_000)
    with pytest.raises(ParameterError, match="at most"):
        load_publisher(logo=str(tmp_path / "big.png"))
    with pytest.raises(ParameterError, match="cannot read"):
        load_publisher(logo=str(tmp_path / "missing.png"))


def test_page_tables_reads_the_download_links_whatever_the_attribute_order():
    page = ('<a download="a.csv" href="data:text/csv;charset=utf-8,x%2Cy%0D%0A1%2C%5Bc%5D%0D%0A" class="msp-csv">A</a>'
            '<a class="msp-csv" href="data:text/csv;charset=utf-8,z" download="b.csv">B</a><a href="index.html">i</a>')
    assert page_tables(page) == [("a.csv", "x,y\r\n1,[c]\r\n"), ("b.csv", "z")]
