"""Tests for msp_analysis.reporting.sections: sections display in order, sentences follow the house style, data is inert."""

import re

import pandas as pd
import pytest

from msp_analysis.disclosure.display import DisclosedTable, disclose
from msp_analysis.reference.codebook import canonical_labels, label_phrases
from msp_analysis.reporting.figures import FigureImage
from msp_analysis.reporting.sections import Section, inert, pct, phrase, with_article


@pytest.mark.parametrize("value,text", [(68.4, "68%"), (68.5, "68%"), (0, "0%"), (100, "100%"), (99.6, "100%")])
def test_pct_writes_whole_percentages(value, text):
    assert pct(value) == text


@pytest.mark.parametrize("label,text", [
    ("Own Home", "the person's own home"), ("Care Home - Nursing", "a nursing care home"),
    ("Other - Unknown to individual", "someone the person did not know"),
    ("MCA awareness", "MCA awareness"),          # an initialism keeps its capitals
    ("Complaints learning", "complaints learning"), ("Financial or Material Abuse", "financial or material abuse"),
])
def test_phrase_reads_a_label_inside_a_sentence(label, text):
    assert phrase(label) == text


def test_every_phrase_is_lower_case_prose():
    assert all(text[:1].islower() for text in label_phrases().values())


def test_every_location_and_source_of_risk_has_a_phrase():
    assert set(label_phrases()) == set(canonical_labels("risk_location")) | set(canonical_labels("risk_source"))


@pytest.mark.parametrize("region,text", [("North East", "the North East"), ("London", "London"),
                                         ("Yorkshire and the Humber", "Yorkshire and the Humber"),
                                         ("East of England", "the East of England")])
def test_with_article(region, text):
    assert with_article(region) == text


def test_inert_escapes_html_and_breaks_links():
    text = inert('<script>alert(1)</script> [click](javascript:alert(1)) & "quotes"')
    assert "<" not in text and "&lt;script&gt;" in text
    assert "\\[click\\](javascript" in text, "a bracket that could open a link is escaped"
    assert re.search(r"(?<!\\)[\[\]]", text) is None, "no unescaped bracket is left"
    assert '"quotes"' in text, "quotes need no escaping in Markdown text"


def test_section_outputs_markdown_figure_tables_then_markdown_after_all_inert():
    table = disclose(pd.DataFrame({"area": ["A"], "n": [3]}), "sac", counts=["n"], text=["area"])
    figure = FigureImage(data=b"<svg/>", alt="A figure", width=10, height=10)
    section = Section(markdown="Before <b>bold</b>", figure=figure, tables=[table], after="After [x](y)")
    items = section.outputs()
    assert [type(item).__name__ for item in items] == ["Markdown", "FigureImage", "SectionTable", "Markdown"]
    assert items[0].data == "Before &lt;b&gt;bold&lt;/b&gt;" and items[3].data == "After \\[x\\](y)"


def test_an_empty_section_shows_nothing():
    assert Section().outputs() == []
    assert Section(tables=[]).outputs() == []


def test_a_section_table_gives_its_disclosed_values_as_a_frame_headed_as_shown():
    table = disclose(pd.DataFrame({"area": ["A", "B"], "n": [3, 47], "k": [1, 30]}), "sac", counts=["n", "k"],
                     rates={"pct": (["k"], ["n"])}, text=["area"], labels={"n": "Enquiries", "pct": "Share"})
    section = Section(tables=[table])
    frame = section.tables[0].frame
    assert isinstance(section.tables[0], DisclosedTable)
    assert list(frame.columns) == list(table.display.columns) == ["area", "Enquiries", "k", "Share"]
    assert frame["area"].tolist() == ["A", "B"]
    assert pd.isna(frame.loc[0, "Enquiries"]) and pd.isna(frame.loc[0, "k"]), "a suppressed count is NaN, not 3"
    assert frame.loc[1, "Enquiries"] == table.value(1, "n") and frame.loc[1, "Enquiries"] % 5 == 0, "rounded as shown"
    assert frame.loc[1, "Share"] == pytest.approx(table.value(1, "pct"))
    assert pd.isna(frame.loc[0, "Share"]), "a percentage hidden with its counts is NaN"
    frame.loc[1, "Enquiries"] = -1
    assert section.tables[0].frame.loc[1, "Enquiries"] != -1, "the frame is a copy"


def test_scores_and_differences_are_tidy():
    from msp_analysis.reporting.sections import score, signed

    assert score(4.97) == "4.97" and score(4.94) == "4.9" and score(5.0) == "5.0" and score(3.25) == "3.2"
    assert signed(0.44) == "+0.4" and signed(-0.2) == "-0.2" and signed(-0.001) == "0.0" and signed(0.04) == "0.0"


def test_the_main_points_box_escapes_its_sentences_and_explains_the_hidden_symbol():
    from msp_analysis.reporting.sections import MainPoints

    html = MainPoints(("A <b> & [c] point.", "Another.")).to_html()
    assert "&lt;b&gt; &amp;" in html and html.count("<li>") == 2 and '<abbr title="hidden' in html
    assert html.startswith('<section class="msp-points"') and "<h2>Main points</h2>" in html
