"""Figures: titled, labelled, colour-blind-safe, described (alt text), embedded, and nothing unescaped."""

import dataclasses
import io
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from msp_analysis.reporting import figures as plots
from msp_analysis.toolkit import svgchart
from msp_analysis.toolkit.svgchart import LegendEntry, SvgChart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def _comparison():
    return pd.DataFrame({"level": ["council", "region", "England"], "name": ["Town", "North East", "England"],
                         "asked_pct": [80.0, 82, 85], "expressed_pct": [70.0, 75, 79], "fully_pct": [60.0, 64, 68],
                         "fully_or_partially_pct": [90.0, 93, 94]})


def _svg_texts(chart: SvgChart) -> list[str]:
    root = ET.fromstring(chart.render())
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(33, 71) == [40, 50, 60, 70]
    assert nice_ticks(0.2, 1.3) == [0.25, 0.5, 0.75, 1.0, 1.25]
    assert nice_ticks(1, 1) == [1]


def test_svg_chart_is_valid_svg_with_escaped_words():
    chart = SvgChart(title="Rates <&> 'quotes'", xlabel="x <axis>", ylabel="y & axis",
                     legend=[LegendEntry("A & B", "#0072B2")])
    chart.set_x(0, 10)
    chart.set_y(0, 1)
    chart.line([0, 5, float("nan"), 10], [0, 0.5, 0.2, 1], "#000000")
    chart.points([1, 2], [0.1, 0.2], "#E69F00", marker="D")
    chart.label(0.5, 0.5, "<script>", relative=True, box=True)
    root = ET.fromstring(chart.render())
    assert root.find(f"{SVG}title").text == "Rates <&> 'quotes'"
    texts = _svg_texts(chart)
    assert {"Rates <&> 'quotes'", "x <axis>", "y & axis", "A & B", "<script>"} <= set(texts)
    assert "<script>" not in chart.render()


def test_shapes_follow_the_final_layout_whatever_the_order_they_were_added():
    chart = SvgChart()
    chart.set_x(0, 100)
    chart.set_y(0, 1)
    chart.hbar(0.5, 0, 100, 0.2, "#0072B2")
    before = chart.render()
    chart.legend.append(LegendEntry("a much longer legend entry that takes room", "#000000"))
    after = ET.fromstring(chart.render())
    x0, _, x1, _ = chart._area()
    bar = [r for r in after.iter(f"{SVG}rect") if r.get("fill") == "#0072B2"][0]
    assert math.isclose(float(bar.get("x")) + float(bar.get("width")), x1, abs_tol=0.2), "a 100% bar ends at the axis end"
    assert before != chart.render()


@pytest.mark.parametrize("build", [
    lambda: plots.pathway_figure(_comparison(), title="The MSP pathway, 2023-24"),
    lambda: plots.trend_figure(pd.DataFrame({"financial_year": ["2022-23", "2023-24"] * 2, "level": ["council"] * 2 + ["England"] * 2,
                                             "name": ["Town"] * 2 + ["England"] * 2, "value": [60.0, 62, 68, 68]}), "Trend"),
    lambda: plots.funnel_figure(pd.DataFrame({"ons_code": ["A", "B"], "n": [50, 400], "rate": [60.0, 70.0]}),
                                pd.DataFrame({"n": [5.0, 500], "lower_95": [30.0, 64], "upper_95": [95.0, 72],
                                              "lower_998": [20.0, 62], "upper_998": [99.0, 74]}), 68.0, "A", "Funnel", "Town"),
    lambda: plots.profile_figure(pd.DataFrame({"label": ["Supervision", "Staffing"], "council": [3.1, np.nan],
                                               "region": [3.0, 3.2]}), "Profile", {"council": "council", "region": "region"}),
    lambda: plots.grid_figure(pd.DataFrame({"ons_code": ["A", "B"], "wellbeing": [60.0, 70], "safety": [90.0, 92]}),
                              (68.0, 91.0), "A", "Grid", "Town"),
    lambda: plots.heatmap_figure(pd.DataFrame({"Supervision\nStep 4": [3.0, np.nan], "Staffing\nStep 4": [2.5, 4.1]},
                                              index=["A", "B"]), [("Effective", 1), ("Safe", 1)], "Heatmap", "Score"),
    lambda: plots.change_figure(pd.DataFrame({"label": ["Supervision"], "previous": [3.0], "current": [3.2]}), "Change",
                                "2022-23", "2023-24"),
], ids=["pathway", "trend", "funnel", "profile", "grid", "heatmap", "change"])
def test_svg_figures_have_a_title_labelled_axes_and_render(build):
    chart = build()
    assert chart.title and chart.xlabel
    texts = _svg_texts(chart)
    assert chart.title in texts and chart.xlabel in texts
    image = plots.as_image(chart, f"{chart.title}: what it shows")
    assert image.mimetype == "image/svg+xml" and image.width == chart.width
    html = image.to_html()
    assert 'alt="' in html and 'src="data:image/svg+xml,%3Csvg ' in html and ";base64," not in html, "SVG as text"
    [back] = plots.page_figures(html)
    assert back.data.decode("utf-8") == chart.render(), "the page holds the figure byte for byte"
    assert (back.alt, back.width, back.height, back.mimetype) == (image.alt, image.width, image.height, image.mimetype)


def test_the_grid_draws_its_quarter_names_and_the_band_of_councils_like_england():
    points = pd.DataFrame({"ons_code": ["A", "B"], "wellbeing": [60.0, 70], "safety": [90.0, 92]})
    quarters = {"top_left": "lower on outcomes, higher on risk reduced", "top_right": "higher on both",
                "bottom_left": "lower on both", "bottom_right": "higher on outcomes, lower on risk reduced"}
    chart = plots.grid_figure(points, (68.0, 91.0), "A", "Grid", "Town", quarters=quarters,
                              band=((55.0, 80.0), (85.0, 95.0)), band_label="Within England's limits")
    texts = _svg_texts(chart)
    assert {"Higher on both", "Lower on both", "Within England's limits"} <= set(texts)
    assert not any("safe" in t.lower() for t in texts), "no quarter is called safe or less safe"
    shaded = [r for r in ET.fromstring(chart.render()).iter(f"{SVG}rect") if r.get("fill") == "#E4E4E4"]
    assert len(shaded) == 2 + 1, "a band on each axis and the legend swatch"
    plain = _svg_texts(plots.grid_figure(points, (68.0, 91.0), "A", "Grid", "Town"))
    assert "Higher on both" not in plain and "Within England's limits" not in plain


def test_colours_are_the_okabe_ito_palette():
    svg = plots.pathway_figure(_comparison()).render()
    for colour in (plots.OKABE_ITO["blue"], plots.OKABE_ITO["orange"], plots.OKABE_ITO["grey"]):
        assert colour in svg


def test_hidden_rates_are_not_drawn():
    comparison = _comparison()
    hidden = pd.DataFrame(False, index=comparison.index, columns=list(plots.PATHWAY_STAGES))
    hidden.loc[0, "fully_pct"] = True
    bars = [r for r in ET.fromstring(plots.pathway_figure(comparison, hidden).render()).iter(f"{SVG}rect")
            if r.get("fill") == plots.AREA_COLOURS["council"]]
    assert len(bars) == 3 + 1, "three bars and the legend swatch: the hidden stage is left out"
    texts = [t.text for t in ET.fromstring(plots.pathway_figure(comparison, hidden).render()).iter(f"{SVG}text")]
    assert "Town: [c] hidden" in texts, "the hidden bar is marked where it would be"


def test_the_pathway_keeps_its_two_denominators_in_two_panels_with_aligned_axes():
    stack = plots.pathway_figure(_comparison())
    root = ET.fromstring(stack.render())
    panels = root.findall(f"{SVG}svg")
    assert len(panels) == 2 and stack.height == sum(int(p.get("height")) for p in panels)
    words = [[t.text for t in p.iter(f"{SVG}text")] for p in panels]
    assert "% of concluded Section 42 enquiries" in words[0] and "Fully achieved" not in words[0]
    assert "% of people who expressed outcomes" in words[1] and "Fully achieved" in words[1]
    assert stack.panels[0]._area()[0] == stack.panels[1]._area()[0], "the panels' axes start at the same x"


def test_the_council_is_drawn_last_in_the_trend():
    trend = pd.DataFrame({"financial_year": ["2023-24"] * 2, "level": ["council", "England"], "name": ["Town", "England"],
                          "value": [68.0, 68.0]})
    groups = [(g.get("fill"), g.get("stroke")) for g in ET.fromstring(plots.trend_figure(trend, "Trend").render()).iter(f"{SVG}g")]
    council = groups.index((plots.AREA_COLOURS["council"], "white"))
    assert council > groups.index((plots.AREA_COLOURS["England"], None)), "England's marker cannot hide the council's"


@pytest.mark.parametrize("build", [
    lambda: plots.odds_ratio_figure(pd.DataFrame({"label": ["Supervision"], "model": ["Logit"], "odds_ratio": [1.3],
                                                  "or_low": [1.1], "or_high": [1.5]}), "Odds"),
    lambda: plots.calibration_figure(pd.DataFrame({"model": ["with"] * 2, "mean_predicted": [0.5, 0.7],
                                                   "observed_rate": [0.52, 0.69]}), "Calibration"),
    lambda: plots.panel_figure(pd.DataFrame({"financial_year": ["2021-22"] * 3, "x": [10.0, 20, 30], "y": [70.0, 71, 72]}),
                               "x", "y", "Panel", "Turnover (%)", "Feel safe (%)"),
    lambda: plots.outcome_bars(pd.DataFrame({"name": ["North East", "England"], "value": [64.0, 68.0]}), "Outcomes"),
], ids=["odds", "calibration", "panel", "bars"])
def test_matplotlib_figures_have_a_title_labelled_axes_and_render(build):
    fig = build()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") or ax.get_title()
    assert ax.get_xlabel()
    image = plots.as_image(fig, "what it shows")
    assert image.data.lstrip().startswith(b"<?xml") and b"<text" in image.data, "text kept as text"
    assert plots.as_image(fig, "what it shows", fmt="png").data[:4] == b"\x89PNG"


def _drawn(root: ET.Element) -> list[tuple]:
    """Every text, shape and its look, in drawing order, as a browser would take it (groups' own styles folded in)."""
    out = []

    def walk(element, inherited):
        style = "; ".join(filter(None, [inherited, element.get("style", "")]))
        name = element.tag.removeprefix(SVG)
        if name in ("text", "path", "use", "image", "rect"):
            numbers = [float(v) for key in ("x", "y", "d", "width", "height")
                       for v in re.findall(r"-?\d+(?:\.\d+)?", element.get(key, ""))]
            look = [p.strip() for p in style.split(";") if p.strip() and not p.strip().startswith("font-family")]
            out.append((name, (element.text or "").strip(), look, numbers))
        for child in element:
            walk(child, style if name == "g" else inherited)

    walk(root, "")
    return out


def test_a_matplotlib_figure_is_compacted_and_drawn_the_same():
    names = [f"Council number {i}" for i in range(30)]  # a figure of many labels, as the heatmap was
    fig = plots.outcome_bars(pd.DataFrame({"name": names, "value": np.linspace(50, 80, 30)}), "Outcomes")
    raw = io.BytesIO()
    with plots._styled({"svg.fonttype": "none", "svg.hashsalt": "msp-analysis"}):
        fig.savefig(raw, format="svg", dpi=plots.DPI, metadata={"Date": None})
    before, after = ET.fromstring(raw.getvalue()), ET.fromstring(plots.as_image(fig, "Outcomes").data)
    compact = plots.as_image(fig, "Outcomes").data.decode("utf-8")
    assert len(compact) < 0.6 * len(raw.getvalue()), "well under two thirds of matplotlib's bytes"
    assert "<metadata" not in compact and "\n" not in compact and "rotate(-0 " not in compact
    assert after.get("font-family", "").startswith("DejaVu Sans") and "font-family" not in compact.split("<svg", 1)[1].split(">", 1)[1]
    ids = set(re.findall(r"""\sid=["']([^"']+)""", compact))
    assert set(re.findall(r"url\(#([^)]+)\)|href=['\"]#([^'\"]+)", compact)[0]) - {""} <= ids, "what is referred to stays"
    drawn_before, drawn_after = _drawn(before), _drawn(after)
    assert [d[:3] for d in drawn_after] == [d[:3] for d in drawn_before], "the same texts and shapes, in order, same style"
    for (*_, a), (*_, b) in zip(drawn_before, drawn_after, strict=True):
        assert len(a) == len(b) and all(abs(x - y) <= 0.0051 for x, y in zip(a, b, strict=True))


def test_a_figure_without_alt_text_is_refused():
    with pytest.raises(ValueError, match="alt text"):
        plots.as_image(SvgChart(title="x"), "  ")


# --- simulated data: the note on every figure ----------------------------------------------------------

NOTE = "Simulated data: not real figures for any council named"


@pytest.mark.parametrize("draw", [
    lambda: plots.pathway_figure(_comparison()),
    lambda: plots.outcome_bars(pd.DataFrame({"name": ["North East", "England"], "value": [64.0, 68.0]}), "Outcomes"),
], ids=["svgchart", "matplotlib"])
def test_a_noted_figure_is_valid_svg_with_the_figure_whole_and_the_note_below_it(draw):
    image = plots.as_image(draw(), "Bars of the pathway")
    noted = image.with_note(NOTE)
    root = ET.fromstring(noted.data)  # one well-formed document, prolog and doctype of matplotlib's gone
    assert noted.height == image.height + 26 and root.get("height") == str(noted.height) and noted.width == image.width
    nested = root.find(f"{SVG}svg")
    assert nested is not None and nested.get("width") == str(image.width) and nested.get("height") == str(image.height)
    assert [t.text for t in root.findall(f"{SVG}text")] == [NOTE], "the note is text, below the figure"
    assert float(root.find(f"{SVG}text").get("y")) > image.height
    assert noted.alt == f"{NOTE}. Bars of the pathway"
    words = lambda element: [t.text for t in element.iter(f"{SVG}text")]  # noqa: E731
    assert words(nested) == words(ET.fromstring(image.data)) != [], "the figure itself is kept, word for word"


def test_note_figures_marks_every_figure_of_a_page_and_nothing_else():
    first = plots.as_image(plots.pathway_figure(_comparison()), 'Pathway "bars" & more')
    second = plots.as_image(plots.outcome_bars(pd.DataFrame({"name": ["England"], "value": [68.0]}), "Outcomes"), "Bars")
    page = f"<p>Before</p>{first.to_html()}<table><td>1</td></table>{second.to_html()}"
    noted, count = plots.note_figures(page, NOTE)
    assert count == 2 and noted.startswith("<p>Before</p>") and "<table><td>1</td></table>" in noted
    assert first.with_note(NOTE).to_html() in noted and second.with_note(NOTE).to_html() in noted
    assert f'alt="{NOTE}. Pathway &quot;bars&quot; &amp; more"' in noted, "alt text unescaped once, escaped once"
    assert plots.note_figures("<p>No figure</p>", NOTE) == ("<p>No figure</p>", 0)


def test_a_png_figure_gets_the_note_in_its_alt_text():
    png = plots.as_image(plots.outcome_bars(pd.DataFrame({"name": ["England"], "value": [68.0]}), "O"), "Bars", fmt="png")
    noted = png.with_note(NOTE)
    assert noted.data == png.data and noted.alt == f"{NOTE}. Bars"


# --- contrast by construction (WCAG 2.2: 4.5:1 for text, 3:1 for graphical objects) --------------------------


def test_contrast_ratio_matches_the_wcag_examples():
    assert math.isclose(plots.contrast_ratio("#000000", "#FFFFFF"), 21.0)
    assert math.isclose(plots.contrast_ratio("#767676", "#FFFFFF"), 4.54, abs_tol=0.01)  # the familiar 4.5:1 grey
    assert math.isclose(plots.contrast_ratio("#E69F00", "#FFFFFF"), 2.25, abs_tol=0.01)  # the orange


@pytest.mark.parametrize("pair", plots.colour_pairs(), ids=lambda p: p[3])
def test_every_colour_pair_the_figures_use_reaches_the_wcag_threshold(pair):
    foreground, background, least, where = pair
    assert plots.contrast_ratio(foreground, background) >= least, f"{where}: {foreground} on {background}"


@pytest.mark.parametrize("cmap", ["cividis", "PuOr"])
def test_heatmap_cell_text_is_chosen_from_the_fill_and_always_reaches_4_5_to_1(cmap):
    from matplotlib import colormaps

    colours = colormaps[cmap](np.linspace(0, 1, 257))
    worst = min(plots.contrast_ratio(c, "#000000" if plots.text_colour_on(c) == "black" else "#FFFFFF") for c in colours)
    assert worst >= 4.5


def test_the_heatmap_writes_dark_text_on_light_cells_and_light_text_on_dark_cells():
    root = ET.fromstring(plots.heatmap_figure(pd.DataFrame({"A": [1.0, 5.0]}, index=["low", "high"]), [("G", 1)], "H",
                                              "Score").render())
    colours = {t.text: _inherited(root, t, "fill") for t in root.iter(f"{SVG}text") if t.text in ("1.0", "5.0")}
    assert colours == {"1.0": "white", "5.0": "black"}  # cividis runs from dark blue to light yellow


def test_heatmap_cells_take_the_colour_map_and_a_missing_score_is_drawn_as_missing():
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    scores = pd.DataFrame({"A": [1.0, np.nan], "B": [3.0, 5.0]}, index=["first", "second"])
    root = ET.fromstring(plots.heatmap_figure(scores, [("G", 2)], "H", "Score").render())
    fills = [r.get("fill").lower() for r in root.iter(f"{SVG}rect")]
    cividis = [to_hex(colormaps["cividis"](x)) for x in (0.0, 0.5, 1.0)]
    assert all(fills.count(colour) == 1 for colour in cividis), "one cell of each score, in cividis"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert sorted(t for t in texts if t in ("1.0", "3.0", "5.0", "nan")) == ["1.0", "3.0", "5.0"], "no text where no score"
    assert plots.MISSING_FILL in [r.get("fill") for r in root.iter(f"{SVG}rect")] and "No score shown" in texts
    assert root.find(f".//{SVG}linearGradient") is not None, "the colour scale is drawn"
    full = ET.fromstring(plots.heatmap_figure(scores.fillna(2.0), [("G", 2)], "H", "Score").render())
    assert "No score shown" not in [t.text for t in full.iter(f"{SVG}text")], "the swatch only when a score is missing"
    diverging = ET.fromstring(plots.heatmap_figure(scores - 3, [("G", 2)], "H", "Change", diverging=True,
                                                   limits=(-2, 2)).render())
    assert {"-2.0", "+0.0", "+2.0"} <= {t.text for t in diverging.iter(f"{SVG}text")}
    assert to_hex(colormaps["PuOr"](0.0)) in [r.get("fill").lower() for r in diverging.iter(f"{SVG}rect")]


def test_the_change_figure_draws_each_indicator_in_both_waves_and_leaves_out_what_is_not_shown():
    change = pd.DataFrame({"label": ["Supervision", "Staffing", "Advocacy"], "previous": [3.0, 3.4, np.nan],
                           "current": [3.2, 3.1, 3.6]})
    chart = plots.change_figure(change, "Change", "2022-23", "2023-24")
    root = ET.fromstring(chart.render())
    [dots] = [p.get("d") for p in root.iter(f"{SVG}path") if p.get("stroke") == plots.OKABE_ITO["sky"]]  # round dots
    circles = [(float(x), float(y)) for x, y in re.findall(r"M(\S+) (\S+?)h0", dots)]
    diamonds = list(root.iter(f"{SVG}polygon"))
    assert len(circles) == 2 and len(diamonds) == 3 + 1, "two earlier means, three current and the legend's"
    lines = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke") == "#AAAAAA"]
    assert len(lines) == 2, "no line to a mean not shown"
    assert math.isclose(circles[0][0], chart.px(3.0), abs_tol=0.1) and math.isclose(circles[0][1], chart.py(0), abs_tol=0.1)
    texts = _svg_texts(chart)
    assert {"Supervision", "Staffing", "Advocacy", "2022-23", "2023-24", "Wave"} <= set(texts)


def test_the_report_stylesheet_colours_reach_4_5_to_1_on_their_backgrounds():
    import re
    from pathlib import Path

    css = (Path(plots.__file__).parent / "templates" / "msp_report" / "report.css").read_text(encoding="utf-8")
    names = dict(re.findall(r"--(\w+):(#[0-9a-fA-F]{6})", css))
    for text in ("ink", "muted", "link"):
        for background in ("#FFFFFF", names["shade"], "#f3f7fb"):
            assert plots.contrast_ratio(names[text], background) >= 4.5, (text, background)
    assert plots.contrast_ratio("#4A2000", "#FFF1D6") >= 4.5, "the simulated-data banner"


# the regional report's indicators as the heatmap labels them (label, then the essential steps), and two key
# questions of one column each, whose names are wider than a column: the layout that collided when rotated
HEATMAP_COLUMNS = ["Prevention\nStep 6", "Supervision\nStep 4", "Staffing\nStep 4", "MCA awareness\nStep 5",
                   "Advocacy\nSteps 3, 5", "Complaints learning\nStep 7", "Leadership\nSteps 1, 2", "Engagement\nStep 7",
                   "Partnership\nSteps 1, 8"]
HEATMAP_GROUPS = [("Safe", 1), ("Effective", 3), ("Caring", 1), ("Responsive", 1), ("Well-led", 3)]
COUNCILS = ["Bournemouth, Christchurch and Poole", "Hammersmith and Fulham", "Kensington and Chelsea", "Hull",
            "Windsor and Maidenhead", "Bristol"]


def _inherited(root: ET.Element, element: ET.Element, name: str, default: str = "") -> str:
    """An SVG presentation attribute as drawn: the element's own or its nearest ancestor's."""
    parents = {child: parent for parent in root.iter() for child in parent}
    while element is not None:
        if element.get(name) is not None:
            return element.get(name)
        element = parents.get(element)
    return default


@dataclasses.dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float


def text_boxes(svg: str) -> list[tuple[str, float, bool, Box]]:
    """Every text of `svg` as drawn: (words, font size, upright, box in px), read from the SVG alone.

    A text's lines are its own and its tspans' (each ``dy`` lower); it spans from the first line's
    ascent to the last line's descent (DejaVu Sans), and across the widest line as the font measures it
    (:func:`svgchart.text_width`, checked against the font in tests/toolkit), placed by its
    ``text-anchor``; ``rotate(-90 cx cy)`` turns the box about (cx, cy).
    """
    root = ET.fromstring(svg)
    out = []
    for text in root.iter(f"{SVG}text"):
        size = float(_inherited(root, text, "font-size"))
        weight = _inherited(root, text, "font-weight", "normal")
        anchor = _inherited(root, text, "text-anchor", "start")
        lines, drop = [text.text or ""], 0.0
        for span in text.findall(f"{SVG}tspan"):
            lines.append(span.text or "")
            drop += float(span.get("dy", 0))
        width = max(svgchart.text_width(line, size, weight) for line in lines)
        x, y = float(text.get("x")), float(text.get("y"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        box = Box(left, y - svgchart.ASCENT * size, left + width, y + drop + svgchart.DESCENT * size)
        turn = re.fullmatch(r"rotate\(-90 (\S+) (\S+)\)", text.get("transform", ""))
        if turn:  # (u, v) -> (cx + v - cy, cy - u + cx)
            cx, cy = float(turn.group(1)), float(turn.group(2))
            box = Box(cx + box.y0 - cy, cy - box.x1 + cx, cx + box.y1 - cy, cy - box.x0 + cx)
        elif text.get("transform"):
            raise AssertionError(f"a transform these tests cannot read: {text.get('transform')}")
        out.append((" ".join(" ".join(line.split()) for line in lines), size, bool(turn), box))
    return out


def _heatmap_labels(chart, columns, groups, councils) -> dict[str, list]:
    """The heatmap's labels by kind: column, row and group labels, title, axis labels and the colour scale's words."""
    kinds = {"columns": [" ".join(c.split()) for c in columns], "rows": list(councils), "groups": [g for g, _ in groups],
             "title": [chart.title], "axis labels": [chart.xlabel, chart.ylabel]}
    found: dict[str, list] = {kind: [] for kind in [*kinds, "scale"]}
    cells = set()
    for words, size, turn, box in text_boxes(chart.render()):
        kind = next((k for k, names in kinds.items() if words in names), None)
        if kind is None and re.fullmatch(r"[+-]?\d\.\d", words) and size == 11:
            cells.add(words)
            continue
        found[kind or "scale"].append((words, size, turn, box))
    return found


def _overlaps(boxes):
    """Pairs of labels whose drawn boxes share more than a hairline (0.5 px)."""
    flat = [(kind, label[0], label[3]) for kind, group in boxes.items() for label in group]
    return [(a[:2], b[:2]) for n, a in enumerate(flat) for b in flat[n + 1:]
            if min(a[2].x1, b[2].x1) - max(a[2].x0, b[2].x0) > 0.5 and min(a[2].y1, b[2].y1) - max(a[2].y0, b[2].y0) > 0.5]
def _heatmap(columns, groups, councils=COUNCILS):
    rng = np.random.default_rng(4)
    scores = pd.DataFrame(rng.uniform(1, 5, (len(councils), len(columns))), index=councils, columns=columns)
    scores.iloc[3] = np.nan  # a council whose scores are hidden: its cells are drawn as missing, the swatch says so
    return plots.heatmap_figure(scores, groups, "Culture indicators by council, South West, 2023-24",
                                "Mean score (1 poor to 5 good)")


@pytest.mark.parametrize("columns, groups", [
    (HEATMAP_COLUMNS, HEATMAP_GROUPS),
    # the item bank's indicators too: columns too narrow for their words, so labels are turned upright
    (HEATMAP_COLUMNS + [f"Bank indicator {i}\nSteps 2, 3" for i in range(8)], HEATMAP_GROUPS[:4] + [("Well-led", 11)]),
    (HEATMAP_COLUMNS[:2], [("Safe", 1), ("Responsive", 1)]),
], ids=["nine indicators", "seventeen indicators", "two indicators"])
def test_no_two_heatmap_labels_touch_and_all_lie_inside_the_figure(columns, groups):
    chart = _heatmap(columns, groups)
    boxes = _heatmap_labels(chart, columns, groups, COUNCILS)
    assert len(boxes["columns"]) == len(columns) and len(boxes["groups"]) == len(groups)
    assert len(boxes["rows"]) == len(COUNCILS) and len(boxes["title"]) == 1 and len(boxes["axis labels"]) == 2
    assert {"Mean score (1 poor to 5 good)", "1", "5", "No score shown"} <= {label[0] for label in boxes["scale"]}
    assert _overlaps(boxes) == []
    for kind, group in boxes.items():
        for words, _, _, box in group:
            assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= chart.width + 0.5 and box.y1 <= chart.height + 0.5, (kind, words)
    x0, y0, x1, y1 = chart.plot_box()
    for kind in ("columns", "groups", "rows"):  # outside the cells, on their side
        for words, _, _, box in boxes[kind]:
            assert {"columns": box.y0 >= y1, "groups": box.y1 <= y0, "rows": box.x1 <= x0}[kind], (kind, words)
    sizes = [label[1] for label in boxes["columns"] + boxes["groups"]]
    assert min(sizes) >= min(plots.LABEL_SIZES)
    assert len({label[1] for label in boxes["columns"]}) == 1, "one size for a row of labels"
    assert len({label[2] for label in boxes["columns"]}) == 1, "one direction for a row of labels"


def test_a_heatmap_column_label_keeps_its_words_whole_and_its_lines_in_order():
    chart = _heatmap(HEATMAP_COLUMNS, HEATMAP_GROUPS)
    root = ET.fromstring(chart.render())
    wanted = {" ".join(c.split()) for c in HEATMAP_COLUMNS}
    labels = [[t.text] + [span.text for span in t.findall(f"{SVG}tspan")] for t in root.iter(f"{SVG}text")]
    labels = [lines for lines in labels if " ".join(lines) in wanted]
    assert [" ".join(lines) for lines in labels] == [" ".join(c.split()) for c in HEATMAP_COLUMNS], "in column order"
    for lines, column in zip(labels, HEATMAP_COLUMNS, strict=True):
        words = column.split()
        assert [w for line in lines for w in line.split()] == words, "words whole, lines in order"
        assert lines[-1] == column.split("\n")[1], "the essential steps are a line of their own"
    assert all(not t.get("transform") for t in root.iter(f"{SVG}text") if t.text in {lines[0] for lines in labels}), (
        "nine indicators fit across")
    upright = _heatmap(HEATMAP_COLUMNS + [f"Bank indicator {i}\nSteps 2, 3" for i in range(8)],
                       HEATMAP_GROUPS[:4] + [("Well-led", 11)])
    turned = [t for t in ET.fromstring(upright.render()).iter(f"{SVG}text") if t.text == "Prevention"]
    assert turned and turned[0].get("transform", "").startswith("rotate(-90"), "seventeen are turned upright"
    assert plots.wrap_to_width("Complaints learning", 50, 12.5) is None, "a word wider than the column is not cut"
    assert plots.wrap_to_width("Complaints learning", 110, 12.5) == "Complaints\nlearning"
