"""data: URIs of text: back exactly as written, holding nothing an HTML attribute or a URL parser would change."""

import base64
import json
import re
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msp_analysis.toolkit.datauri import percent_encode, text_uri, uri_bytes, uri_text

AWKWARD = [" lead and trail ", "a,b,c\r\n1,\"2,5\",[c]\r\n", "100% %41 %zz #frag ?q=1 & &amp; <b>x</b> 'single' \"double\"",
           "tab\there\nline\rcr", "Ōtautahi £5 – ’quoted’ 😀", "".join(chr(i) for i in range(1, 128))]


@given(st.text())
def test_any_text_comes_back_exactly(text):
    assert uri_text(text_uri(text, "text/csv;charset=utf-8")) == text


@given(st.text())
def test_the_uri_holds_nothing_an_attribute_or_a_url_parser_would_change(text):
    body = text_uri(text, "text/plain").split(",", 1)[1]
    assert not re.search(r'[\x00-\x1f\x7f"&#<>]', body), "no quote, ampersand, fragment, angle bracket or control"
    assert not re.search(r"%(?![0-9A-F]{2})", body), "every % starts an escape"
    assert not body.startswith(" ") and not body.endswith(" "), "no space the URL parser would trim"


@given(st.text(alphabet=st.sampled_from([" ", "\n", "\r", "\t", "\x00", "\x1b", "\x7f", "%", "#", "<", ">", "&", '"',
                                         "a", "é", "😀"])) | st.text())
def test_escaping_is_what_the_rule_says_character_by_character(text):
    """percent_encode (one replace per common character) is the module's rule written as one pattern."""
    rule = re.compile(r'[\x00-\x1f\x7f%#"&<>]|^ | $')
    expected = rule.sub(lambda m: "".join(f"%{byte:02X}" for byte in m.group(0).encode()), text)
    assert percent_encode(text) == expected


def test_only_what_must_be_is_escaped():
    csv = "Area,Concluded S42 enquiries,Fully achieved %\r\nCounty Durham,65,70%\r\nNorth East,\"1,485\",69%\r\n"
    assert percent_encode(csv) == ("Area,Concluded S42 enquiries,Fully achieved %25%0D%0ACounty Durham,65,70%25%0D%0A"
                                   "North East,%221,485%22,69%25%0D%0A")
    assert percent_encode("Ō – ’") == "Ō – ’", "text outside ASCII is written as it is (the page is UTF-8)"


def test_base64_and_percent_encoded_uris_read_the_same():
    svg = "<svg xmlns='http://www.w3.org/2000/svg'><title>A & B #1</title></svg>"
    encoded = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    assert uri_bytes(encoded) == uri_bytes(text_uri(svg, "image/svg+xml")) == ("image/svg+xml", svg.encode())
    with pytest.raises(ValueError, match="not a data: URI"):
        uri_bytes("https://example.org/a.svg")


XHR = """JSON.stringify({
  texts: [...document.querySelectorAll('a.t')].map(a => { const x = new XMLHttpRequest(); x.open('GET', a.href, false);
                                                         x.send(); return x.responseText; }),
  svg: (() => { const x = new XMLHttpRequest(); x.open('GET', document.images[0].src, false); x.send();
                return x.responseText; })(),
  width: document.images[0].complete ? document.images[0].naturalWidth : 0
})"""


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian chromium (installed by .ci/run)")
def test_chromium_reads_every_uri_back_exactly_and_draws_the_figure(tmp_path):
    from msp_analysis.reporting.figures import as_image
    from msp_analysis.toolkit.svgchart import SvgChart
    from tests.e2e.browser_check import Browser

    chart = SvgChart(title="Title with ' \" & < > # % and Ō", xlabel="x")
    chart.set_x(0, 1)
    chart.set_y(0, 1)
    chart.points([0.5], [0.5], "#0072B2")
    figure = as_image(chart, "A dot")
    links = "".join(f'<a class="t" href="{text_uri(text, "text/plain;charset=utf-8")}">x</a>' for text in AWKWARD)
    page = tmp_path / "page.html"
    page.write_text(f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>t</title></head>'
                    f"<body>{links}{figure.to_html()}</body></html>", encoding="utf-8")
    with Browser(tmp_path / "profile") as browser:
        seen = json.loads(browser.evaluate(page, XHR))
    assert seen["texts"] == AWKWARD
    assert seen["svg"] == figure.data.decode("utf-8") and seen["width"] == figure.width
