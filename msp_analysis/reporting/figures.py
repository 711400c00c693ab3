"""Figures for the reports, embedded as described images.

Every figure has a title and labelled axes, uses the Okabe-Ito colour-blind-safe palette
(or cividis / purple-orange diverging maps for heatmaps), is sized for a report about 60 rem
wide (900 px), and is shown through :func:`as_image`: an SVG (text kept as text) in an
``<img>`` with alt text, so a rendered report is self-contained and a screen reader can
say what each figure shows. Only values a disclosure policy lets a table show are drawn.
The SVG is embedded as a lightly percent-encoded ``data:`` URI (:mod:`msp_analysis.toolkit.datauri`;
attributes single-quoted), not base64, which would make it a third longer; :func:`page_figures`
reads the figures of a page back.

The five figures every locality report repeats, and the temperature check's heatmap and change
figure (nine regional reports a set), are written as SVG directly (:mod:`msp_analysis.toolkit.svgchart`,
about a millisecond each; a heatmap of 33 councils about 12 ms, where matplotlib took about 330 ms):
the heatmap takes only its colours from matplotlib (:data:`matplotlib.colormaps`, no figure is built)
and measures its labels as svgchart does (:func:`msp_analysis.toolkit.svgchart.text_width`, DejaVu
Sans's widths). The evaluation report's figures use matplotlib's object API
(:class:`matplotlib.figure.Figure`, never pyplot: nothing is shown twice and nothing needs closing
between reports).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from msp_analysis.toolkit.datauri import text_uri, uri_bytes
from msp_analysis.toolkit.svgchart import (
    NOTE_HEIGHT,
    SWATCH_EDGE,
    ColourScale,
    LegendEntry,
    SvgChart,
    SvgStack,
    nice_ticks,
    text_height,
    text_width,
)
from msp_analysis.toolkit.svgchart import with_note as svg_with_note

if TYPE_CHECKING:  # matplotlib is imported where a figure is drawn with it: the SVG figures never load it
    from matplotlib.figure import Figure

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency. Orange, sky blue and
# yellow are darkened (same hue) so that every series and mark reaches 3:1 against white (WCAG 1.4.11);
# the originals were #E69F00 (2.25:1), #56B4E9 (2.31:1) and #F0E442 (1.32:1).
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#C27000", "sky": "#3A8FC7", "green": "#009E73",
    "vermillion": "#D55E00", "purple": "#CC79A7", "yellow": "#8A6D00", "grey": "#7F7F7F", "black": "#000000",
}
WHITE, INK = "#FFFFFF", "#222222"
TEXT_CONTRAST, GRAPHIC_CONTRAST = 4.5, 3.0  # WCAG 2.2 success criteria 1.4.3 (text) and 1.4.11 (graphical objects)
AREA_COLOURS = {"council": OKABE_ITO["blue"], "region": OKABE_ITO["orange"], "England": OKABE_ITO["grey"]}
AREA_MARKERS = {"council": "o", "region": "D", "England": "s"}
WIDTH = 9.0  # inches at 100 dpi: 900 px, the width of the report column
DPI = 100
STYLE = {
    "font.size": 10, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 10, "xtick.labelsize": 9.5, "ytick.labelsize": 9.5, "legend.fontsize": 9.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6, "axes.axisbelow": True, "figure.facecolor": "white", "savefig.facecolor": "white",
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
}
PATHWAY_STAGES = {
    "asked_pct": "Asked about outcomes",
    "expressed_pct": "Expressed outcomes",
    "fully_pct": "Fully achieved",
    "fully_or_partially_pct": "Fully or partially achieved",
}


def relative_luminance(colour: str | Sequence[float]) -> float:
    """WCAG relative luminance of ``#RRGGBB`` or an (r, g, b[, a]) tuple of floats in 0-1."""
    if isinstance(colour, str):
        hexa = colour.lstrip("#")
        rgb = [int(hexa[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    else:
        rgb = [float(c) for c in list(colour)[:3]]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str | Sequence[float], second: str | Sequence[float]) -> float:
    """WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour_on(fill: str | Sequence[float]) -> str:
    """Black or white, whichever contrasts more with `fill`: at least 4.58:1 on any fill, by construction."""
    return "black" if contrast_ratio(fill, "#000000") >= contrast_ratio(fill, WHITE) else "white"


def colour_pairs() -> list[tuple[str, str, float, str]]:
    """(foreground, background, least contrast WCAG asks, where) for every colour pair the figures draw.

    Series colours and marks against the white plot area (3:1); text against what it is written on (4.5:1).
    The heatmaps' cell text is chosen per cell by :func:`text_colour_on` and checked over each colour map.
    """
    pairs = [(colour, WHITE, GRAPHIC_CONTRAST, f"series {name}") for name, colour in OKABE_ITO.items()]
    pairs += [(colour, WHITE, GRAPHIC_CONTRAST, f"area {name}") for name, colour in AREA_COLOURS.items()]
    pairs += [(INK, WHITE, TEXT_CONTRAST, "chart text"), ("#444444", WHITE, GRAPHIC_CONTRAST, "axes and ticks"),
              (INK, GRID_BAND, TEXT_CONTRAST, "text over the grid's band"),
              (NOTE_INK, NOTE_FILL, TEXT_CONTRAST, "simulated-data note"),
              (SWATCH_EDGE, WHITE, GRAPHIC_CONTRAST, "heatmap: edge of the no-score swatch")]
    return pairs


GRID_BAND = "#E4E4E4"
NOTE_INK, NOTE_FILL = "#7A3300", "#FFF1D6"  # toolkit.svgchart.with_note


@dataclass(frozen=True)
class FigureImage:
    """A rendered figure (SVG or PNG bytes) and the alt text that says what it shows."""

    data: bytes
    alt: str
    width: int
    height: int
    mimetype: str = "image/svg+xml"

    def uri(self) -> str:
        """The figure as a ``data:`` URI: SVG as text, lightly percent-encoded (attributes single-quoted); PNG base64."""
        if self.mimetype == "image/svg+xml":
            return text_uri(_single_quoted(self.data.decode("utf-8")), self.mimetype)
        return f"data:{self.mimetype};base64,{base64.b64encode(self.data).decode('ascii')}"

    def to_html(self) -> str:
        return (f'<figure class="msp-figure"><img src="{self.uri()}" alt="{html.escape(self.alt)}" '
                f'width="{self.width}" height="{self.height}" style="max-width:100%;height:auto"></figure>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def with_note(self, note: str) -> FigureImage:
        """This figure with `note` written in a strip below it (SVG) and before its alt text.

        A PNG cannot take text without redrawing; its note goes into the alt text only, which
        is why every figure of the package is SVG unless asked otherwise.
        """
        alt = f"{note}. {self.alt}"
        if self.mimetype != "image/svg+xml":
            return dataclasses.replace(self, alt=alt)
        svg = svg_with_note(self.data.decode("utf-8"), note, self.width, self.height)
        return dataclasses.replace(self, data=svg.encode("utf-8"), alt=alt, height=self.height + NOTE_HEIGHT)


_TAG = re.compile(r"<[^>]*>")
_DOUBLE_QUOTED = re.compile(r'(\s[\w:.-]+=)"([^"\']*)"')


def _single_quoted(svg: str) -> str:
    """`svg` with each tag's double-quoted attributes single-quoted (a ``"`` costs three bytes in a data: URI).

    Only inside tags, and only values holding no quote: the text between tags is kept as it is.
    """
    if '"' not in svg:  # toolkit.svgchart writes single quotes already
        return svg
    return _TAG.sub(lambda tag: _DOUBLE_QUOTED.sub(r"\1'\2'", tag.group(0)), svg)


# exactly what FigureImage.to_html writes (the alt text is escaped and the URI percent-encoded: no double quote)
_FIGURE_HTML = re.compile(r'<figure class="msp-figure"><img src="(?P<uri>data:[^"]*)" '
                          r'alt="(?P<alt>[^"]*)" width="(?P<width>\d+)" height="(?P<height>\d+)" '
                          r'style="max-width:100%;height:auto"></figure>')


def _figure_of(match: re.Match) -> FigureImage:
    mimetype, data = uri_bytes(html.unescape(match["uri"]))
    return FigureImage(data=data, alt=html.unescape(match["alt"]), width=int(match["width"]),
                       height=int(match["height"]), mimetype=mimetype)


def page_figures(page_html: str) -> list[FigureImage]:
    """Every figure :meth:`FigureImage.to_html` wrote into `page_html`, read back, in page order.

    ``image.data`` is the figure's SVG (or PNG) as drawn, whichever way it was embedded; tests
    read the figures' words and coordinates through this, as a reader of the page could.
    """
    return [_figure_of(match) for match in _FIGURE_HTML.finditer(page_html)]


def note_figures(page_html: str, note: str) -> tuple[str, int]:
    """Every figure :meth:`FigureImage.to_html` wrote into `page_html`, with `note` on it (:meth:`FigureImage.with_note`).

    Returns the new HTML and how many figures were noted. The batch uses this to mark each figure
    of a report built from simulated data, whichever section drew it.
    """
    return _FIGURE_HTML.subn(lambda match: _figure_of(match).with_note(note).to_html(), page_html)


def _styled(extra: dict | None = None):
    """matplotlib's settings for the package's figures (:data:`STYLE`, and `extra`), for a ``with`` block."""
    from matplotlib import rc_context  # lazy: see the imports

    return rc_context({**STYLE, **(extra or {})})


def as_image(fig: Figure | SvgChart | SvgStack, alt: str, fmt: str = "svg") -> FigureImage:
    """Render a figure once (no tight bounding-box pass) with its alt text; SVG by default.

    An :class:`~msp_analysis.toolkit.svgchart.SvgChart` is written as it is; a matplotlib figure is
    saved as SVG with text kept as text (``svg.fonttype: none``: sharp at any width, a third
    of the bytes and under half the time of a PNG), or as a 100 dpi PNG with ``fmt="png"``.
    """
    if not alt.strip():
        raise ValueError("a figure needs alt text saying what it shows")
    if isinstance(fig, (SvgChart, SvgStack)):
        return FigureImage(data=fig.render().encode("utf-8"), alt=alt, width=fig.width, height=fig.height)
    buffer = io.BytesIO()
    with _styled({"svg.fonttype": "none", "svg.hashsalt": "msp-analysis"}):
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
    width, height = (int(round(v * DPI)) for v in fig.get_size_inches())
    if fmt != "svg":
        return FigureImage(data=buffer.getvalue(), alt=alt, width=width, height=height, mimetype=f"image/{fmt}")
    return FigureImage(data=compact_svg(buffer.getvalue().decode("utf-8")).encode("utf-8"), alt=alt, width=width,
                       height=height)


_FONT_FAMILY = re.compile(r";?\s*font-family:\s*([^;\"]+?)\s*(?=;|\")")
_TEXT_OR_GAP = re.compile(r"(<text\b.*?</text>)|>\s+<", re.S)
_BASE64_HREF = re.compile(r"(href=[\"']data:[^;,\"']+;base64,)([^\"']*)")
_NO_TURN = re.compile(r"""\stransform=(["'])rotate\(-?0 [^)"']*\)\1""")  # matplotlib's rotate(-0 x y) of level text
_LONG_DECIMAL = re.compile(r"(?<![\w.#-])-?\d+\.\d{3,}")
_ID = re.compile(r"""\sid=(["'])([^"']*)\1""")
_REFERENCE = re.compile(r"""(?:url\(#|href=["']#)([^)"']+)""")
_GROUP_TAG = re.compile(r"<(/?)g(?=[\s/>])([^>]*)>")


def _unwrap_bare_groups(svg: str) -> str:
    """`svg` without the ``<g>`` elements that carry no attribute (their children kept where they are)."""
    bare: list[bool] = []

    def group(match: re.Match) -> str:
        closing, rest = match.group(1), match.group(2).strip()
        if closing:
            return "" if bare.pop() else match.group(0)
        if rest.endswith("/"):  # an empty group
            return "" if rest == "/" else match.group(0)
        bare.append(rest == "")
        return "" if rest == "" else match.group(0)

    return _GROUP_TAG.sub(group, svg)


def _two_decimals(match: re.Match) -> str:
    text = f"{float(match.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def compact_svg(svg: str) -> str:
    """A matplotlib SVG drawn the same in fewer bytes: what every text repeats said once, layout whitespace gone.

    - the ``<metadata>`` block (the creator's name) is dropped;
    - the font family every text's style repeats (``svg.fonttype: none`` writes it on each of the hundreds
      of labels of a heatmap) is said once on the root element, when every text uses the same one;
    - whitespace between elements is dropped (never inside a ``<text>``), line breaks inside tags (path data,
      an embedded PNG's base64) become spaces or go: XML reads a line break in an attribute as a space anyway;
    - inside tags, numbers are written to two decimals (of a point: a hundredth of a pixel), a turn by 0 degrees
      is dropped, and so is every id nothing refers to (matplotlib names each artist's group); a group left
      with no attribute at all is unwrapped.
    """
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    families = set(_FONT_FAMILY.findall(svg))
    opening = re.search(r"<svg\b[^>]*>", svg)
    if len(families) == 1 and opening is not None and "font-family" not in opening.group(0):
        family = families.pop().replace("'", "").replace('"', "")
        svg = _FONT_FAMILY.sub("", svg).replace(' style=""', "")
        svg = svg[:opening.end() - 1] + f' font-family="{html.escape(family)}"' + svg[opening.end() - 1:]
    svg = _TEXT_OR_GAP.sub(lambda m: m.group(1) or "><", svg)
    svg = _BASE64_HREF.sub(lambda m: m.group(1) + re.sub(r"\s+", "", m.group(2)), svg)
    referenced = set(_REFERENCE.findall(svg))

    def tag(match: re.Match) -> str:
        text = _NO_TURN.sub("", re.sub(r"\s*\n\s*", " ", match.group(0)))
        text = _ID.sub(lambda m: m.group(0) if m.group(2) in referenced else "", text)
        return _LONG_DECIMAL.sub(_two_decimals, text) if not text.startswith("<image") else text

    return _unwrap_bare_groups(_TAG.sub(tag, svg)).strip()


def _figure(height: float, width: float = WIDTH, **adjust) -> tuple[Figure, object]:
    from matplotlib.figure import Figure  # lazy: see the imports

    with _styled():
        fig = Figure(figsize=(width, height), dpi=DPI)
        ax = fig.add_subplot()
    fig.subplots_adjust(**{"left": 0.08, "right": 0.97, "top": 0.88, "bottom": 0.14, **adjust})
    return fig, ax


def _percent_axis(axis, label: str, upper: float = 100) -> None:
    axis.set_label_text(label)
    axis.set_major_formatter(lambda value, _: f"{value:.0f}%")


# --- locality report (written as SVG directly: these repeat in every council's report) --------------


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def pathway_figure(comparison: pd.DataFrame, hidden: pd.DataFrame | None = None,
                   title: str = "The MSP pathway") -> SvgStack:
    """Bars of the MSP pathway for a council beside its region and England, in two panels, one per denominator.

    The first panel is a share of concluded Section 42 enquiries (asked, expressed), the second a share of
    the people who expressed outcomes (fully, fully or partially achieved), so no bar is read against the
    wrong base. `hidden` (booleans, same index, rate columns) marks rates the disclosure policy hid:
    those bars are not drawn, and "[c] hidden" is written where they would be.
    """
    rates = comparison[list(PATHWAY_STAGES)].astype(float)
    masked = (hidden[list(PATHWAY_STAGES)].astype(bool) if hidden is not None
              else pd.DataFrame(False, index=rates.index, columns=list(PATHWAY_STAGES)))
    rates = rates.mask(masked)
    stages = list(PATHWAY_STAGES)
    panels = []
    for part, (columns, xlabel) in enumerate(((stages[:2], "% of concluded Section 42 enquiries"),
                                               (stages[2:], "% of people who expressed outcomes"))):
        chart = SvgChart(title=title if part == 0 else "Outcomes achieved", xlabel=xlabel, height=250, top=46 if part == 0 else 40)
        chart.set_y_categories([PATHWAY_STAGES[c] for c in columns])
        chart.set_x(0, 100, list(range(0, 101, 20)), fmt=_pct)
        n = len(comparison)
        band = 0.8 / max(n, 1)
        for i, (level, name) in enumerate(zip(comparison["level"], comparison["name"], strict=True)):
            colour = AREA_COLOURS.get(level, OKABE_ITO["sky"])
            for j, column in enumerate(columns):
                y = j - 0.4 + band * (i + 0.5)
                value = rates.iloc[i][column]
                if not np.isnan(value):
                    chart.hbar(y, 0, value, band * 0.92, colour)
                elif bool(masked.iloc[i][column]):
                    chart.label(1, y, f"{name}: [c] hidden", size=11, dy=4)
            if part == 0:
                chart.legend.append(LegendEntry(str(name), colour))
        panels.append(chart)
    return SvgStack(panels)


def trend_figure(trend: pd.DataFrame, title: str) -> SvgChart:
    """Lines of a rate over financial years, one per area (``financial_year, level, name, value``)."""
    years = sorted(trend["financial_year"].unique())
    position = {year: i for i, year in enumerate(years)}
    values = trend["value"].dropna()
    low = max(0.0, math.floor((values.min() if len(values) else 0) / 10) * 10 - 5)
    high = min(100.0, math.ceil((values.max() if len(values) else 100) / 10) * 10 + 5)
    chart = SvgChart(title=title, xlabel="Financial year (enquiries concluded)", ylabel="Fully achieved (% of expressed)",
                     height=340)
    chart.set_x_categories(years)
    chart.set_y(low, high, fmt=_pct)
    legend = {}
    for level in ("England", "region", "council"):  # the council last and larger: nothing hides its points
        rows = trend[trend["level"] == level]
        if rows.empty:
            continue
        xs = [position[y] for y in rows["financial_year"]]
        ys = rows["value"].astype(float).tolist()
        colour = AREA_COLOURS[level]
        mine = level == "council"
        chart.line(xs, ys, colour, width=3 if mine else 2, overlay=mine)
        chart.points(xs, ys, colour, size=6.5 if mine else 4.5, marker=AREA_MARKERS[level],
                     stroke="white" if mine else "none", overlay=mine)
        legend[level] = LegendEntry(str(rows["name"].iloc[0]), colour, "line", AREA_MARKERS[level])
    chart.legend += [legend[level] for level in ("council", "region", "England") if level in legend]
    return chart


def funnel_figure(points: pd.DataFrame, limits: pd.DataFrame, centre: float, highlight: str | None,
                  title: str, highlight_label: str = "") -> SvgChart:
    """Funnel plot: each council's rate against its volume, with control limits around `centre`.

    `points`: ``ons_code, n, rate`` (rate in %); `limits`: ``n`` and columns ``lower_95,
    upper_95, lower_998, upper_998`` (%). The council `highlight` is drawn large and labelled.
    """
    chart = SvgChart(title=title, xlabel="People who expressed outcomes (volume)",
                     ylabel="Fully achieved (% of expressed)", height=440)
    x_high = float(max(points["n"].max() if len(points) else 1, limits["n"].max())) * 1.03
    rates = pd.concat([points["rate"], limits["lower_998"].iloc[[-1]], limits["upper_998"].iloc[[-1]]]).astype(float)
    y_low, y_high = max(0.0, float(rates.min()) - 5), min(100.0, float(rates.max()) + 5)
    chart.set_x(0, x_high, fmt=lambda v: f"{v:,.0f}")
    chart.set_y(y_low, y_high, fmt=_pct)
    black = OKABE_ITO["black"]
    clip = lambda values: [min(max(v, y_low), y_high) for v in values]  # noqa: E731
    n = limits["n"].astype(float).tolist()
    chart.line(n, clip(limits["upper_95"]), black, 1.2, "6,4")
    chart.line(n, clip(limits["lower_95"]), black, 1.2, "6,4")
    chart.line(n, clip(limits["upper_998"]), black, 1.4, "2,3")
    chart.line(n, clip(limits["lower_998"]), black, 1.4, "2,3")
    chart.hline(centre, OKABE_ITO["grey"], 1.2)
    others = points[points["ons_code"] != highlight]
    chart.points(others["n"].astype(float), others["rate"].astype(float), OKABE_ITO["sky"], size=3.5)
    chart.legend += [LegendEntry("95% limits", black, "line", "", "6,4"), LegendEntry("99.8% limits", black, "line", "", "2,3"),
                     LegendEntry(f"England {centre:.1f}%", OKABE_ITO["grey"], "line", ""),
                     LegendEntry("Other councils", OKABE_ITO["sky"], "marker")]
    mine = points[points["ons_code"] == highlight]
    if len(mine):
        chart.points(mine["n"].astype(float), mine["rate"].astype(float), OKABE_ITO["vermillion"], size=7,
                     stroke=black, overlay=True)
        chart.legend.append(LegendEntry(highlight_label or str(highlight), OKABE_ITO["vermillion"], "marker"))
    return chart


def profile_figure(profile: pd.DataFrame, title: str, areas: dict[str, str]) -> SvgChart:
    """Dot plot of culture-indicator scores (1-5) per indicator, one marker per area column."""
    chart = SvgChart(title=title, xlabel="Mean score, 1 (strongly disagree) to 5 (strongly agree), reverse-worded "
                     "items flipped", height=int(max(300, 30 * len(profile) + 120)))
    chart.set_y_categories(profile["label"].tolist())
    chart.set_x(1, 5, [1, 2, 3, 4, 5], fmt=lambda v: {1: "1 poor", 5: "5 good"}.get(int(v), f"{v:.0f}"))
    chart.y_grid = True
    names = profile.attrs.get("area_names", {})
    for column, level in reversed(list(areas.items())):
        colour = AREA_COLOURS.get(level, OKABE_ITO["sky"])
        marker = AREA_MARKERS.get(level, "o")
        values = profile[column].astype(float).tolist()
        chart.points(values, list(range(len(profile))), colour, size=6 if level == "council" else 5, marker=marker,
                     stroke=OKABE_ITO["black"] if level == "council" else "none")
    for level in areas.values():
        chart.legend.append(LegendEntry(names.get(level, level), AREA_COLOURS.get(level, OKABE_ITO["sky"]), "marker",
                                        AREA_MARKERS.get(level, "o")))
    return chart


def grid_figure(points: pd.DataFrame, centre: tuple[float, float], highlight: str | None, title: str,
                highlight_label: str = "", quarters: dict[str, str] | None = None,
                band: tuple[tuple[float, float], tuple[float, float]] | None = None, band_label: str = "") -> SvgChart:
    """Every council by outcome achievement (x) and risk reduced or removed (y), with lines at England's values.

    `points`: ``ons_code, wellbeing, safety`` (%: fully achieved, risk reduced or removed).
    `quarters`: neutral names of the four quarters relative to England (keys ``top_left,
    top_right, bottom_left, bottom_right``; none drawn when omitted). `band`: the (low, high)
    limits in % on each axis within which a council of the highlighted council's size is not
    distinguishable from England, drawn as a shaded cross labelled `band_label`.
    """
    x0, y0 = centre
    xs = pd.concat([points["wellbeing"], pd.Series([x0])]).astype(float)
    ys = pd.concat([points["safety"], pd.Series([y0])]).astype(float)
    xpad, ypad = max(2.0, float(xs.max() - xs.min()) * 0.06), max(1.0, float(ys.max() - ys.min()) * 0.08)
    chart = SvgChart(title=title, xlabel="Outcomes fully achieved (% of people who expressed outcomes)",
                     ylabel="Risk reduced or removed (% of enquiries where risk was assessed)", height=520)
    x_low, x_high = float(xs.min()) - xpad, float(xs.max()) + xpad
    y_low, y_high = float(ys.min()) - ypad * 2.5, float(ys.max()) + ypad * 2.5
    chart.set_x(x_low, x_high, fmt=_pct)
    chart.set_y(y_low, y_high, fmt=_pct)
    if band is not None:
        shade = GRID_BAND
        bx_low, bx_high = max(band[0][0], x_low), min(band[0][1], x_high)
        by_low, by_high = max(band[1][0], y_low), min(band[1][1], y_high)
        chart.hbar((y_low + y_high) / 2, bx_low, bx_high, y_high - y_low, shade)
        chart.hbar((by_low + by_high) / 2, x_low, x_high, by_high - by_low, shade)
        chart.legend.append(LegendEntry(band_label, shade, "box"))
    chart.vline(x0, OKABE_ITO["grey"], 1.2)
    chart.hline(y0, OKABE_ITO["grey"], 1.2)
    others = points[points["ons_code"] != highlight]
    chart.points(others["wellbeing"].astype(float), others["safety"].astype(float), OKABE_ITO["sky"], size=3.5)
    chart.legend.append(LegendEntry("Other councils", OKABE_ITO["sky"], "marker"))
    mine = points[points["ons_code"] == highlight]
    if len(mine):
        chart.points(mine["wellbeing"].astype(float), mine["safety"].astype(float), OKABE_ITO["vermillion"], size=7.5,
                     stroke=OKABE_ITO["black"], overlay=True)
        chart.legend.append(LegendEntry(highlight_label or str(highlight), OKABE_ITO["vermillion"], "marker"))
    chart.legend.append(LegendEntry("England", OKABE_ITO["grey"], "line", ""))
    corners = {"top_left": (0.015, 0.955, "start"), "top_right": (0.985, 0.955, "end"),
               "bottom_left": (0.015, 0.025, "start"), "bottom_right": (0.985, 0.025, "end")}
    for corner, words in (quarters or {}).items():
        fx, fy, anchor = corners[corner]
        chart.label(fx, fy, words[:1].upper() + words[1:], anchor=anchor, size=11, box=True, relative=True,
                    dx=5 if anchor == "start" else -5, dy=-4 if fy < 0.5 else 4)
    return chart


# --- temperature-check report (written as SVG directly too: nine regional reports a set) -----------------


LABEL_SIZES = (12.5, 11.8, 11.1, 10.4)  # px; 10.4 px in a 900 px figure is 9.2 px at the 800 px a phone scrolls
MISSING_FILL = "#EEEEEE"  # a heatmap cell with no score shown: the plot area, not a colour of the scale
SCALE_STEPS = 17  # colours of a colour bar's gradient (the map sampled at equal steps)


def line_height(size: float, lines: int = 1) -> float:
    """Height in px of `lines` lines of text at `size` px, from the first's ascent to the last's descent."""
    return text_height(lines, size)


def wrap_to_width(text: str, width: float, size: float, weight: str = "normal") -> str | None:
    """`text` broken between words into lines no wider than `width` px at `size` px; None if a word is wider.

    Widths are :func:`msp_analysis.toolkit.svgchart.text_width`'s (the font the charts are drawn in).
    """
    lines: list[str] = []
    for word in text.split():
        if text_width(word, size, weight) > width:
            return None
        if lines and text_width(f"{lines[-1]} {word}", size, weight) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


@dataclass(frozen=True)
class _Label:
    text: str
    size: float
    vertical: bool  # turned 90 degrees (read bottom to top): a narrow column cannot hold its words across
    weight: str = "normal"

    def extent(self) -> tuple[float, float]:
        """(across, up) in px as drawn."""
        lines = self.text.count("\n") + 1
        width, height = text_width(self.text, self.size, self.weight), line_height(self.size, lines)
        return (height, width) if self.vertical else (width, height)


def _fit_labels(labels: Sequence[Sequence[str]], widths: Sequence[float], weight: str = "normal",
                each: bool = False) -> list[_Label]:
    """Labels (each a list of parts, wrapped between words) at one legible size, the largest at which they fit.

    All across their `widths` px if they fit at some size of :data:`LABEL_SIZES`. Otherwise, with `each`,
    a label that fits across stays across and one that does not is turned upright; without it, all are
    turned upright (a row of column labels reads as one), at the largest size whose lines fit side by side.
    """
    def across(parts: Sequence[str], width: float, size: float) -> str | None:
        wrapped = [wrap_to_width(part, width, size, weight) for part in parts]
        return None if any(w is None for w in wrapped) else "\n".join(w for w in wrapped if w)

    for size in LABEL_SIZES:
        fitted = [across(parts, width, size) for parts, width in zip(labels, widths, strict=True)]
        if all(f is not None for f in fitted):
            return [_Label(str(f), size, False, weight) for f in fitted]
    lines = max((len(parts) for parts in labels), default=1)
    size = next((s for s in LABEL_SIZES if line_height(s, lines) <= min(widths, default=0.0)), LABEL_SIZES[-1])
    if each:
        fitted = [across(parts, width, size) for parts, width in zip(labels, widths, strict=True)]
        return [_Label(f, size, False, weight) if f is not None else _Label("\n".join(parts), size, True, weight)
                for f, parts in zip(fitted, labels, strict=True)]
    return [_Label("\n".join(parts), size, True, weight) for parts in labels]


def _hex(rgba: Sequence[float]) -> str:
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in list(rgba)[:3])


def heatmap_figure(scores: pd.DataFrame, column_groups: Sequence[tuple[str, int]], title: str,
                   colorbar_label: str, diverging: bool = False, limits: tuple[float, float] = (1, 5)) -> SvgChart:
    """Councils (rows) × indicators (columns) heatmap, values written in the cells, columns grouped.

    `scores` is indexed by council name with one column per indicator label (NaN: not shown); a label's
    lines (``"Supervision\\nStep 4"``) are kept as lines. `column_groups` is ``[(group label, number of
    columns), ...]`` in column order and is written above the columns (CQC key questions).

    Cells take the colours of matplotlib's cividis map (PuOr, purple to orange, when `diverging`) over
    `limits`, as a colour bar below the chart shows; a cell with no score is left the plot area's grey, named
    beside the colour bar, and has no text. A cell's text is black or white, whichever contrasts more with
    its fill (:func:`text_colour_on`). Labels are laid out so that none touches another: each column's label
    is wrapped between words to the column's width, horizontally, at the largest of :data:`LABEL_SIZES`
    its words fit; a column too narrow for its words has its label turned upright; the margins are
    measured from the labels (:func:`msp_analysis.toolkit.svgchart.text_width`).
    """
    from matplotlib import colormaps  # the map's colours only (no figure is built): a few microseconds a cell

    rows, cols = scores.shape
    chart = SvgChart(title=title, xlabel="Culture indicator (grouped by CQC key question)", ylabel="Council",
                     right=16, top=None, bottom=None, axes=False, tick_length=0, plot_fill=MISSING_FILL,
                     x_grid=False)
    chart.set_y_categories([wrap_to_width(str(r), 190, chart.font_size) or str(r) for r in scores.index])
    x0, _, x1, _ = chart.plot_box()
    column_px = (x1 - x0) / max(cols, 1)
    column_labels = _fit_labels([str(c).split("\n") for c in scores.columns], [column_px - 4] * cols)
    group_labels = _fit_labels([[label] for label, _ in column_groups], [column_px * span - 4 for _, span in column_groups],
                               weight="bold", each=True)
    chart.set_x_categories([label.text for label in column_labels], pad=0)
    if column_labels:  # one size and one direction for the row of labels
        chart.x_label_size, chart.x_label_turn = column_labels[0].size, column_labels[0].vertical
    cmap = colormaps["PuOr" if diverging else "cividis"]
    low, high = limits
    values = scores.to_numpy(dtype=float)
    shown = ~np.isnan(values)
    fills = cmap(np.clip((values - low) / (high - low), 0, 1))
    cells = [(j, i, _hex(fills[i, j]), f"{values[i, j]:+.1f}" if diverging else f"{values[i, j]:.1f}",
              text_colour_on(fills[i, j])) for i, j in zip(*np.nonzero(shown), strict=True)]
    chart.tiles(cells, size=11)
    start = 0
    for (_, span), fitted in zip(column_groups, group_labels, strict=True):
        if start:
            chart.vline(start - 0.5, WHITE, 3)
        chart.group_x(fitted.text, start - 0.5, start + span - 0.5, size=fitted.size, turn=fitted.vertical)
        start += span
    chart.scale = ColourScale([_hex(c) for c in cmap(np.linspace(0, 1, SCALE_STEPS))], low, high, colorbar_label,
                              missing="No score shown" if not shown.all() else "")
    top, bottom = chart.vertical_margins()
    chart.height = int(math.ceil(max(320.0, rows * 30 + top + bottom)))  # a row is 30 px
    return chart


def change_figure(change: pd.DataFrame, title: str, previous: str, current: str) -> SvgChart:
    """Dumbbell chart of region-level indicator means in two waves (``label, previous, current``), one row each.

    A mean not shown (NaN) is not drawn, nor the line to it.
    """
    n = len(change)
    chart = SvgChart(title=title, xlabel="Regional mean score (1-5, councils weighted equally)",
                     height=int(max(300, 38 * n + 130)), legend_title="Wave")
    chart.set_y_categories(change["label"].astype(str).tolist())
    chart.y_grid = True
    before, after = change["previous"].astype(float).tolist(), change["current"].astype(float).tolist()
    values = [v for v in before + after if not math.isnan(v)]
    low, high = (max(1.0, min(values) - 0.3), min(5.0, max(values) + 0.3)) if values else (1.0, 5.0)
    chart.set_x(low, high, nice_ticks(low, high, 8), fmt=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        chart.line([a, b], [i, i], "#AAAAAA", width=2)
    rows = list(range(n))
    chart.points(before, rows, OKABE_ITO["sky"], size=5)
    chart.points(after, rows, OKABE_ITO["blue"], size=5, marker="D")
    chart.legend += [LegendEntry(previous, OKABE_ITO["sky"], "marker", "o"),
                     LegendEntry(current, OKABE_ITO["blue"], "marker", "D")]
    return chart


# --- evaluation report -------------------------------------------------------------------------


def odds_ratio_figure(terms: pd.DataFrame, title: str) -> Figure:
    """Forest plot of odds ratios with 95% intervals (``label, model, odds_ratio, or_low, or_high``), log scale."""
    models = list(dict.fromkeys(terms["model"]))
    labels = list(dict.fromkeys(terms["label"]))
    colours = [OKABE_ITO[c] for c in ("blue", "orange", "green", "purple", "vermillion")]
    markers = ["o", "D", "s", "^", "v"]
    with _styled():
        fig, ax = _figure(max(3.0, 0.55 * len(labels) * max(1, len(models)) ** 0.5 + 1.4), left=0.24, right=0.72,
                          bottom=0.16, top=0.88)
        step = 0.7 / max(len(models), 1)
        for m, model in enumerate(models):
            rows = terms[terms["model"] == model]
            y = np.array([labels.index(label) for label in rows["label"]]) - 0.35 + step * (m + 0.5)
            ax.errorbar(rows["odds_ratio"], y, xerr=[rows["odds_ratio"] - rows["or_low"], rows["or_high"] - rows["odds_ratio"]],
                        fmt=markers[m % 5], color=colours[m % 5], capsize=3, label=model, markersize=6, linewidth=1.5)
        ax.axvline(1, color=OKABE_ITO["grey"], linewidth=1)
        ax.set_xscale("log")
        lows, highs = terms["or_low"].min(), terms["or_high"].max()
        ax.set_xlim(min(0.8, lows * 0.95), max(1.25, highs * 1.05))
        ticks = [t for t in (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2.0, 3.0) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("Odds ratio per 1 SD higher indicator (log scale; 1 = no association)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="Model")
    return fig


def calibration_figure(calibration: pd.DataFrame, title: str) -> Figure:
    """Out-of-council calibration: observed rate against mean predicted probability, per model."""
    colours = [OKABE_ITO["sky"], OKABE_ITO["blue"]]
    with _styled():
        fig, ax = _figure(4.2, width=7.5, left=0.12, right=0.7, bottom=0.13)
        values = pd.concat([calibration["mean_predicted"], calibration["observed_rate"]]) * 100
        low, high = max(0, float(values.min()) - 5), min(100, float(values.max()) + 5)
        ax.plot([low, high], [low, high], color=OKABE_ITO["grey"], linewidth=1, linestyle="--", label="Perfect calibration")
        for i, (model, rows) in enumerate(calibration.groupby("model", sort=False)):
            ax.plot(rows["mean_predicted"] * 100, rows["observed_rate"] * 100, marker="os"[i % 2], color=colours[i % 2],
                    label=str(model).capitalize(), linewidth=1.5)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        _percent_axis(ax.xaxis, "Predicted chance of full achievement (held-out councils)")
        _percent_axis(ax.yaxis, "Observed rate")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def panel_figure(panel: pd.DataFrame, x: str, y: str, title: str, xlabel: str, ylabel: str) -> Figure:
    """Scatter of a council-year panel (one colour per year, Okabe-Ito) with a pooled least-squares line."""
    colours = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black", "yellow")]
    with _styled():
        fig, ax = _figure(4.6, left=0.1, right=0.76, bottom=0.12)
        for i, (year, rows) in enumerate(panel.groupby("financial_year", sort=True)):
            ax.scatter(rows[x], rows[y], s=14, color=colours[i % len(colours)], label=str(year),
                       edgecolor="white", linewidth=0.4)
        if len(panel) > 2:
            slope, intercept = np.polyfit(panel[x].astype(float), panel[y].astype(float), 1)
            xs = np.linspace(float(panel[x].min()), float(panel[x].max()), 50)
            ax.plot(xs, intercept + slope * xs, color=OKABE_ITO["black"], linewidth=1.5, label="Pooled line")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="Year")
    return fig


def outcome_bars(table: pd.DataFrame, title: str) -> Figure:
    """Horizontal bars of a rate per area (``name, value``, %), sorted as given."""
    n = len(table)
    with _styled():
        fig, ax = _figure(max(2.6, 0.34 * n + 1.2), left=0.28, right=0.95, bottom=0.14 if n < 8 else 0.1,
                          top=0.9 if n < 8 else 0.93)
        colours = [AREA_COLOURS["England"] if name == "England" else OKABE_ITO["blue"] for name in table["name"]]
        ax.barh(np.arange(n), table["value"].astype(float).fillna(0), color=colours, height=0.7)
        ax.set_yticks(np.arange(n), table["name"].astype(str).tolist())
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        _percent_axis(ax.xaxis, "Fully achieved (% of people who expressed outcomes)")
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
    return fig
