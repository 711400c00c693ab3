"""The SVG chart writer's measurement and the primitives a heatmap needs: cells, group labels, colour scale."""

import math
import xml.etree.ElementTree as ET

import pytest

from msp_analysis.toolkit import svgchart
from msp_analysis.toolkit.svgchart import ColourScale, SvgChart

SVG = "{http://www.w3.org/2000/svg}"
WORDS = ["Newham", "MCA awareness", "Complaints learning", "Bournemouth, Christchurch and Poole", "Well-led",
         "Steps 1, 2", "WWW iii", "Culture indicators by council, Yorkshire and the Humber, 2023-24", "£5 – 10%"]


@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_text_width_is_what_dejavu_sans_draws_never_less(weight):
    """Against matplotlib's copy of the font laid out by FreeType, unhinted (fractional advances, as browsers draw)."""
    from matplotlib import ft2font
    from matplotlib.font_manager import FontProperties, findfont

    path = findfont(FontProperties(family="DejaVu Sans", weight=weight))
    assert "DejaVuSans" in path
    face = ft2font.FT2Font(path)
    face.set_size(13, 72)  # 72 dpi: a point is a pixel
    for words in WORDS:
        face.set_text(words, 0, flags=ft2font.LoadFlags.NO_HINTING)
        drawn = face.get_width_height()[0] / 64
        ours = svgchart.text_width(words, 13, weight)
        assert drawn - 0.1 <= ours <= drawn * 1.03 + 1, (words, drawn, ours)  # kerning only narrows what is drawn


def test_text_width_takes_the_widest_line_and_counts_an_unknown_character_wide():
    assert svgchart.text_width("Supervision\nStep 4", 12) == svgchart.text_width("Supervision", 12)
    assert svgchart.text_width("\u4e2d", 10) == 10.0
    assert svgchart.text_width("Well-led", 12, "bold") > svgchart.text_width("Well-led", 12)
    assert math.isclose(svgchart.text_height(2, 10), 10 * (1.2 + svgchart.ASCENT + svgchart.DESCENT))


def test_dejavu_sans_ascent_and_descent_are_the_fonts():
    from matplotlib import ft2font
    from matplotlib.font_manager import FontProperties, findfont

    face = ft2font.FT2Font(findfont(FontProperties(family="DejaVu Sans")))
    assert math.isclose(svgchart.ASCENT, face.ascender / face.units_per_EM, abs_tol=0.005)
    assert math.isclose(svgchart.DESCENT, -face.descender / face.units_per_EM, abs_tol=0.005)


def _heat() -> SvgChart:
    chart = SvgChart(title="Cells", xlabel="Column", top=None, bottom=None, axes=False, tick_length=0, plot_fill="#EEEEEE")
    chart.set_y_categories(["first row", "second\nrow"])
    chart.set_x_categories(["A\nStep 1", "B\nStep 2", "C"], pad=0)
    chart.tiles([(0, 0, "#102030", "1.0", "white"), (2, 1, "#F0E0D0", "<5>", "black")], size=11)
    chart.group_x("Group one", -0.5, 1.5)
    chart.group_x("Two", 1.5, 2.5, size=10, turn=True)
    chart.scale = ColourScale(["#000000", "#808080", "#FFFFFF"], 1, 5, "Score", missing="None")
    return chart


def test_tiles_fill_their_bands_edge_to_edge_and_write_their_text_in_their_ink():
    chart = _heat()
    root = ET.fromstring(chart.render())
    x0, y0, x1, y1 = chart.plot_box()
    rects = {r.get("fill"): r for r in root.iter(f"{SVG}rect")}
    first, last = rects["#102030"], rects["#F0E0D0"]
    assert math.isclose(float(first.get("x")), x0, abs_tol=0.1) and math.isclose(float(first.get("y")), y0, abs_tol=0.1)
    assert math.isclose(float(last.get("x")) + float(last.get("width")), x1, abs_tol=0.2), "bands edge to edge"
    assert math.isclose(float(last.get("y")) + float(last.get("height")), y1, abs_tol=0.2)
    assert math.isclose(float(first.get("width")), (x1 - x0) / 3, abs_tol=0.2)
    inks = {g.get("fill"): [t.text for t in g.iter(f"{SVG}text")] for g in root.iter(f"{SVG}g") if g.get("fill")}
    assert inks["white"] == ["1.0"] and inks["black"] == ["<5>"], "escaped, grouped by ink"
    assert rects["#EEEEEE"] is not None, "the plot area's fill shows where there is no cell"
    assert not [line for line in root.iter(f"{SVG}line") if line.get("stroke") == "#444444" and line.get("y1") ==
                line.get("y2") and float(line.get("x2")) - float(line.get("x1")) > 100], "no axis line when axes=False"


def test_multi_line_labels_are_written_as_lines_and_turned_labels_are_rotated():
    chart = _heat()
    root = ET.fromstring(chart.render())
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    assert [s.text for s in texts["A"].findall(f"{SVG}tspan")] == ["Step 1"], "the second line a tspan"
    assert [s.text for s in texts["second"].findall(f"{SVG}tspan")] == ["row"]
    assert texts["Two"].get("transform", "").startswith("rotate(-90 ") and texts["Group one"].get("transform") is None
    assert texts["Group one"].get("font-weight") == "bold"
    chart.x_label_turn = True
    turned = {t.text: t for t in ET.fromstring(chart.render()).iter(f"{SVG}text")}
    assert turned["A"].get("transform", "").startswith("rotate(-90 ") and turned["A"].get("text-anchor") == "end"


def test_measured_margins_make_room_for_groups_labels_and_the_scale():
    chart = _heat()
    top, bottom = chart.vertical_margins()
    plain = SvgChart(title="Cells", xlabel="Column")
    assert top > 46 and bottom > 58, "taller than a chart without groups, two-line labels and a colour bar"
    root = ET.fromstring(chart.render())
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    _, y0, _, y1 = chart.plot_box()
    assert float(texts["Cells"].get("y")) < float(texts["Group one"].get("y")) < y0, "title above the groups"
    assert y1 < float(texts["A"].get("y")) < float(texts["Column"].get("y")) < float(texts["Score"].get("y")) < chart.height
    assert plain.vertical_margins() == (46, 58), "set margins are kept"


def test_the_colour_scale_is_a_gradient_through_its_colours_with_ticks_a_label_and_the_missing_swatch():
    root = ET.fromstring(_heat().render())
    stops = root.findall(f".//{SVG}linearGradient/{SVG}stop")
    assert [s.get("stop-color") for s in stops] == ["#000000", "#808080", "#FFFFFF"]
    assert [s.get("offset") for s in stops] == ["0%", "50%", "100%"]
    assert [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "url(#colour-scale)"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"1", "2", "3", "4", "5", "Score", "None"} <= set(texts)


def test_an_x_axis_of_bands_runs_edge_to_edge_and_of_points_keeps_its_padding():
    chart = SvgChart()
    chart.set_x_categories(["a", "b"], pad=0)
    assert chart._x == (-0.5, 1.5)
    chart.set_x_categories(["a"], pad=0)
    assert chart._x == (-0.5, 0.5)
    chart.set_x_categories(["a", "b"])
    assert chart._x == (-0.35, 1.35)


def test_a_title_too_long_for_its_place_moves_left_to_stay_inside():
    chart = SvgChart(title="A title " * 12, left=400)
    title = [t for t in ET.fromstring(chart.render()).iter(f"{SVG}text") if t.get("font-weight") == "bold"][0]
    assert float(title.get("x")) + svgchart.text_width(chart.title, chart.font_size + 3, "bold") <= chart.width - 7.9


@pytest.mark.parametrize("legend_title", ["", "A long bold legend title, wider than any entry"])
def test_the_legend_fits_inside_the_chart_with_room_to_spare(legend_title):
    chart = SvgChart(legend=[svgchart.LegendEntry("Within England's limits", "#E4E4E4"),
                             svgchart.LegendEntry("WWW Capitals MMM", "#0072B2")], legend_title=legend_title)
    chart.set_x(0, 1)
    chart.set_y(0, 1)
    root = ET.fromstring(chart.render())
    _, _, x1, _ = chart.plot_box()
    for text in root.iter(f"{SVG}text"):
        if float(text.get("x")) > x1:  # the legend's words, right of the plot area
            weight = text.get("font-weight", "normal")
            assert float(text.get("x")) + svgchart.text_width(text.text, chart.font_size, weight) <= chart.width - 8
