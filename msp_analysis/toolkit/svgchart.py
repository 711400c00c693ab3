"""A very small SVG chart writer for the figures every locality report repeats.

A locality report has five figures and the demo renders 153 of them; matplotlib spends
about 50 ms laying out the text of each, which made figures half the cost of a report.
These charts (grouped bars, lines, scatter with curves, dot plots) need only axes, ticks,
gridlines, markers, a legend and a title, so they are written here as SVG directly, in a
millisecond, with text kept as text (sharp at any width, read by screen readers' "find").
The regional reports' heatmaps (:meth:`SvgChart.tiles`, :meth:`SvgChart.group_x`, :class:`ColourScale`)
are drawn the same way; the evaluation report's figures still use matplotlib.

Text is measured with DejaVu Sans's advance widths (the first font the charts ask for, and the widest of
them; :func:`text_width`), enough to size margins and legends and to lay out a heatmap's labels so that
none touches another. Everything written is escaped. Attributes are single-quoted and coordinates written
to one decimal without a trailing ".0": a chart goes into a page as a ``data:`` URI
(:mod:`msp_analysis.toolkit.datauri`), where a double quote costs three bytes.

>>> chart = SvgChart(title="Demo", xlabel="x", ylabel="y")
>>> chart.set_x(0, 10); chart.set_y(0, 1)
>>> chart.line([0, 10], [0, 1], "#0072B2")
>>> chart.render().startswith("<svg")
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
ASCENT, DESCENT = 0.93, 0.24  # em above and below the baseline (DejaVu Sans: 1901 and 483 of 2048 units per em)
LINE_SPACING = 1.2  # em from one line's baseline to the next
SWATCH_EDGE = "#767676"  # the edge of a pale legend swatch (4.5:1 on white)

# DejaVu Sans and DejaVu Sans Bold: advance width of each character of _CHARS in thousandths of an em, rounded up
# (read from the fonts' hmtx tables with fontTools; kerning, which only narrows a line, is left out). A
# character not listed counts 1 em, as wide as an em dash and wider than all but a few capitals (W, Æ).
_CHARS = ("".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0xA0, 0x100))
          + "\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2022\u2212\u2264\u2265")
_ADVANCES = {weight: dict(zip(_CHARS, map(int, widths.split()), strict=True)) for weight, widths in {
    "normal": (
        "318 401 460 838 637 951 780 275 391 391 500 838 318 361 318 337 637 637 637 637 637 637 637 637 637 637 "
        "337 337 838 838 838 531 1000 685 687 699 771 632 576 775 752 295 295 656 558 863 749 788 604 788 695 635 "
        "611 732 685 989 686 611 686 391 337 391 838 500 500 613 635 550 635 616 353 635 634 278 278 580 278 975 "
        "634 612 635 635 412 521 393 634 592 818 592 592 525 637 337 637 838 318 401 637 637 637 637 337 500 500 "
        "1000 472 612 838 361 1000 500 500 838 401 401 500 637 637 318 500 401 472 612 970 970 970 531 685 685 "
        "685 685 685 685 975 699 632 632 632 632 295 295 295 295 775 749 788 788 788 788 788 838 788 732 732 732 "
        "732 611 605 630 613 613 613 613 613 613 982 550 616 616 616 616 278 278 278 278 612 634 612 612 612 612 "
        "612 838 612 634 634 634 634 592 635 592 500 1000 318 318 519 519 1000 590 838 838 838 "
    ),
    "bold": (
        "349 457 521 838 696 1002 873 307 458 458 523 838 380 416 380 366 696 696 696 696 696 696 696 696 696 696 "
        "400 400 838 838 838 581 1000 774 763 734 831 684 684 821 837 373 373 775 638 996 837 851 733 851 771 721 "
        "683 813 774 1104 771 725 726 458 366 458 838 500 500 675 716 593 716 679 436 716 712 343 343 666 343 "
        "1042 712 688 716 716 494 596 479 712 652 924 646 652 583 712 366 712 838 349 457 696 696 637 696 366 500 "
        "500 1000 564 646 838 416 1000 500 500 838 438 438 500 736 637 380 500 438 564 646 1036 1036 1036 581 774 "
        "774 774 774 774 774 1085 734 684 684 684 684 373 373 373 373 838 837 851 851 851 851 851 838 851 813 813 "
        "813 813 725 738 720 675 675 675 675 675 675 1048 593 679 679 679 679 343 343 343 343 688 712 688 688 688 "
        "688 688 838 688 712 712 712 712 652 716 652 500 1000 380 380 658 658 1000 640 838 838 838 "
    ),
}.items()}


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in px of the widest line of `text` at font `size` px (``weight`` normal or bold), in DejaVu Sans.

    DejaVu Sans is the first of :data:`FONT` and the widest of them: Liberation Sans and Arial (metric twins)
    draw a word narrower but for a few letters (J, for one), so a line in a fallback font is narrower still.
    """
    advances = _ADVANCES["bold" if weight == "bold" else "normal"]
    return max(sum(advances.get(c, 1000) for c in line) for line in str(text).split("\n")) * size / 1000


def text_height(lines: int, size: float) -> float:
    """Height in px from the top of the first line's letters to the bottom of the last's (`lines` lines)."""
    return (lines - 1) * size * LINE_SPACING + (ASCENT + DESCENT) * size


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 × 10^k)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _n(value: float) -> str:
    """A coordinate in px to one decimal, without a trailing ".0" (``12`` not ``12.0``): sharp enough, fewer bytes."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


@dataclass
class LegendEntry:
    label: str
    color: str
    kind: str = "box"  # box, line, marker
    marker: str = "o"
    dash: str = ""


@dataclass
class ColourScale:
    """A colour bar for a continuous colour scale, drawn centred below a chart's x-axis label.

    `colours` are the scale's colours at equal steps from `low` to `high` (drawn as a gradient through
    them); `missing`, when given, labels a swatch of the chart's ``plot_fill``: what a cell with no value shows.
    """

    colours: Sequence[str]
    low: float
    high: float
    label: str = ""
    ticks: Sequence[float] | None = None
    fmt: Callable[[float], str] = _number
    missing: str = ""

    BAR = 12.0  # px high
    SIZE = 12.0  # px, the ticks' and label's font

    def depth(self) -> float:
        """Px from the bar's top to the bottom of its label."""
        return self.BAR + 4 + text_height(1, self.SIZE) + (self.SIZE * LINE_SPACING + 2 if self.label else 0)


@dataclass
class SvgChart:
    """One chart: a plot area with scales, the shapes drawn in it, and its words.

    x and y are linear scales (``set_x``/``set_y``) or categories (``set_y_categories``,
    ``set_x_categories``: band centres at 0, 1, 2, …). Shapes are added in data units.
    A category label may have several lines (``"Supervision\\nStep 4"``); ``x_label_size`` and
    ``x_label_turn`` (read bottom to top) set how the x labels are written. ``top`` and ``bottom``
    left as None are measured from what is drawn above and below the plot area (see :meth:`vertical_margins`).
    """

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    width: int = 900
    height: int = 400
    font_size: float = 13
    left: float | None = None
    right: float | None = None
    top: float | None = 46
    bottom: float | None = 58
    legend: list[LegendEntry] = field(default_factory=list)
    legend_title: str = ""
    x_format: Callable[[float], str] = _number
    y_format: Callable[[float], str] = _number
    x_grid: bool = True
    y_grid: bool = True
    axes: bool = True  # the left and bottom axis lines
    tick_length: float = 5
    plot_fill: str = ""  # the plot area's background (white when empty)
    x_label_size: float | None = None
    x_label_turn: bool = False
    scale: ColourScale | None = None
    _x: tuple = (0.0, 1.0)
    _y: tuple = (0.0, 1.0)
    _x_ticks: list = field(default_factory=list)
    _y_ticks: list = field(default_factory=list)
    _x_labels: list | None = None
    _y_labels: list | None = None
    _shapes: list = field(default_factory=list)
    _overlay: list = field(default_factory=list)
    _groups: list = field(default_factory=list)

    # --- scales --------------------------------------------------------------------------

    def set_x(self, low: float, high: float, ticks: Sequence[float] | None = None,
              fmt: Callable[[float], str] | None = None) -> None:
        self._x = (float(low), float(high))
        self._x_ticks = list(ticks) if ticks is not None else nice_ticks(low, high)
        self._x_labels = None
        if fmt is not None:
            self.x_format = fmt

    def set_y(self, low: float, high: float, ticks: Sequence[float] | None = None,
              fmt: Callable[[float], str] | None = None) -> None:
        self._y = (float(low), float(high))
        self._y_ticks = list(ticks) if ticks is not None else nice_ticks(low, high)
        self._y_labels = None
        if fmt is not None:
            self.y_format = fmt

    def set_y_categories(self, labels: Sequence[str]) -> None:
        """Categories top to bottom at y = 0, 1, 2, …"""
        self._y = (len(labels) - 0.5, -0.5)
        self._y_ticks = list(range(len(labels)))
        self._y_labels = [str(label) for label in labels]
        self.y_grid = False

    def set_x_categories(self, labels: Sequence[str], pad: float = 0.15) -> None:
        """Categories left to right at x = 0, 1, 2, …; the axis runs from half a band less `pad` before the first.

        ``pad=0``: bands edge to edge, the first starting at the axis (a heatmap's columns).
        """
        n = len(labels)
        self._x = (pad - 0.5, n - 0.5 - pad) if n > 1 or pad == 0 else (-1, 1)
        self._x_ticks = list(range(n))
        self._x_labels = [str(label) for label in labels]
        self.x_grid = False

    # --- geometry ------------------------------------------------------------------------

    def _margins(self) -> tuple[float, float]:
        labels = self._y_labels if self._y_labels is not None else [self.y_format(t) for t in self._y_ticks]
        left = self.left if self.left is not None else (
            max([text_width(label, self.font_size) for label in labels] + [20]) + 18 + (24 if self.ylabel else 0))
        if self.right is not None:
            right = self.right
        elif self.legend:
            widest = max([text_width(e.label, self.font_size) for e in self.legend]
                         + [text_width(self.legend_title, self.font_size, "bold")])
            right = widest + 60  # swatch 32 px, the words, 10 px to the edge
        else:
            right = 24
        return left, right

    def _x_label_depth(self) -> float:
        """Px from the plot area's bottom to the bottom of the lowest x tick label."""
        size = self.x_label_size or self.font_size
        labels = self._x_labels if self._x_labels is not None else [self.x_format(t) for t in self._x_ticks]
        if not labels:
            return self.tick_length
        if self.x_label_turn:
            return self.tick_length + 4 + max(text_width(label, size) for label in labels)
        lines = max(str(label).count("\n") + 1 for label in labels)
        return self.tick_length + 14 * size / 13 + (lines - 1) * size * LINE_SPACING + DESCENT * size

    def _xlabel_offset(self) -> float:
        """Px from the plot area's bottom to the x-axis label's baseline (42 below one line of tick labels)."""
        return max(42.0, self._x_label_depth() + 6 + ASCENT * (self.font_size + 0.5))

    def _above(self) -> float:
        """Px the group labels take above the plot area (with their gap), 0 without any."""
        return max((7 + _block(*group[:4])[1] for group in self._groups), default=0.0)

    def vertical_margins(self) -> tuple[float, float]:
        """(top, bottom) margins in px: as set, or measured when None (title and groups; tick labels, x label, scale)."""
        top = self.top if self.top is not None else 46 + self._above()
        if self.bottom is not None:
            return top, self.bottom
        below = self._xlabel_offset() + DESCENT * (self.font_size + 0.5) if self.xlabel else self._x_label_depth()
        if self.scale is not None:
            below += 12 + self.scale.depth()
        return top, below + 8

    def _area(self) -> tuple[float, float, float, float]:
        fixed = self.__dict__.get("_area_fixed")
        if fixed is not None:  # inside render(): nothing changes the margins, so every point uses the same area
            return fixed
        left, right = self._margins()
        top, bottom = self.vertical_margins()
        return left, top, self.width - right, self.height - bottom

    def plot_box(self) -> tuple[float, float, float, float]:
        """The plot area (x0, y0, x1, y1) in px, as the margins are now."""
        return self._area()

    def px(self, x: float) -> float:
        x0, _, x1, _ = self._area()
        low, high = self._x
        return x0 + (x - low) / (high - low) * (x1 - x0) if high != low else (x0 + x1) / 2

    def py(self, y: float) -> float:
        _, y0, _, y1 = self._area()
        low, high = self._y
        return y1 - (y - low) / (high - low) * (y1 - y0) if high != low else (y0 + y1) / 2

    # --- shapes (data units) -------------------------------------------------------------

    def hbar(self, y: float, x_from: float, x_to: float, thickness: float, color: str) -> None:
        """A horizontal bar at category `y`, `thickness` in category units."""
        def draw() -> str:
            top, bottom = self.py(y - thickness / 2), self.py(y + thickness / 2)
            x0, x1 = sorted((self.px(x_from), self.px(x_to)))
            return (f"<rect x='{_n(x0)}' y='{_n(min(top, bottom))}' width='{_n(x1 - x0)}' "
                    f"height='{_n(abs(bottom - top))}' fill='{color}'/>")
        self._shapes.append(draw)

    def tiles(self, cells: Sequence[tuple[float, float, str, str, str]], size: float | None = None) -> None:
        """Cells of a heatmap: ``(x, y, fill, text, ink)``, each filling the band of category x and y, its text centred in `ink`.

        A cell left out shows the plot area (``plot_fill``): a missing value is not drawn as a colour.
        The texts are grouped by ink, so the colour is written once per ink, not once per cell.
        """
        cells = list(cells)
        size = size or self.font_size - 2

        def draw() -> str:
            rects: list[str] = []
            inks: dict[str, list[str]] = {}
            for x, y, fill, words, ink in cells:
                left, right = sorted((self.px(x - 0.5), self.px(x + 0.5)))
                top, bottom = sorted((self.py(y - 0.5), self.py(y + 0.5)))
                rects.append(f"<rect x='{_n(left)}' y='{_n(top)}' width='{_n(right - left)}' height='{_n(bottom - top)}' "
                             f"fill='{fill}'/>")
                if words:
                    baseline = (top + bottom) / 2 + (ASCENT - DESCENT) * size / 2
                    inks.setdefault(ink, []).append(f"<text x='{_n((left + right) / 2)}' y='{_n(baseline)}'>"
                                                    f"{html.escape(str(words))}</text>")
            texts = "".join(f"<g fill='{ink}'>{''.join(parts)}</g>" for ink, parts in inks.items())
            return (f"<g shape-rendering='crispEdges'>{''.join(rects)}</g>"  # no seam of background between cells
                    + (f"<g text-anchor='middle' font-size='{_n(size)}'>{texts}</g>" if texts else ""))
        self._shapes.append(draw)

    def group_x(self, text: str, x_from: float, x_to: float, size: float | None = None, turn: bool = False,
                weight: str = "bold") -> None:
        """A label above the plot area, centred over x from `x_from` to `x_to` (the key question over its columns).

        Its lines (``\\n``) are kept; `turn` writes it upright, read bottom to top, when the span is too narrow.
        The chart's top margin, when measured (``top=None``), makes room for the tallest group label.
        """
        self._groups.append((str(text), size or self.font_size, turn, weight, float(x_from), float(x_to)))

    def line(self, xs: Sequence[float], ys: Sequence[float], color: str, width: float = 2, dash: str = "",
             overlay: bool = False) -> None:
        """A polyline through the finite points (a gap where a value is missing)."""
        pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]

        def draw() -> str:
            segments, current = [], []
            for x, y in pairs:
                if not (math.isfinite(x) and math.isfinite(y)):
                    if current:
                        segments.append(current)
                    current = []
                    continue
                current.append(f"{_n(self.px(x))},{_n(self.py(y))}")
            if current:
                segments.append(current)
            dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
            return "".join(f"<polyline points='{' '.join(points)}' fill='none' stroke='{color}' "
                           f"stroke-width='{width}'{dash_attr} stroke-linejoin='round'/>"
                           for points in segments if len(points) > 1)
        (self._overlay if overlay else self._shapes).append(draw)

    def hline(self, y: float, color: str, width: float = 1, dash: str = "") -> None:
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""

        def draw() -> str:
            x0, _, x1, _ = self._area()
            return (f"<line x1='{_n(x0)}' x2='{_n(x1)}' y1='{_n(self.py(y))}' y2='{_n(self.py(y))}' "
                    f"stroke='{color}' stroke-width='{width}'{dash_attr}/>")
        self._shapes.append(draw)

    def vline(self, x: float, color: str, width: float = 1, dash: str = "") -> None:
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""

        def draw() -> str:
            _, y0, _, y1 = self._area()
            return (f"<line x1='{_n(self.px(x))}' x2='{_n(self.px(x))}' y1='{_n(y0)}' y2='{_n(y1)}' "
                    f"stroke='{color}' stroke-width='{width}'{dash_attr}/>")
        self._shapes.append(draw)

    def points(self, xs: Sequence[float], ys: Sequence[float], color: str, size: float = 4, marker: str = "o",
               stroke: str = "none", opacity: float = 1.0, overlay: bool = False) -> None:
        """Markers (``o`` circle, ``D`` diamond, ``s`` square) of radius `size` px at finite points.

        Plain opaque circles (no outline: the "other councils" of a funnel or grid, a hundred and fifty of
        them) are drawn as one path of zero-length strokes with round caps, a third of the bytes of as many
        ``<circle>`` elements and drawn the same (SVG 2, 'stroke-linecap': a zero-length subpath with round
        caps is a dot of the stroke's width).
        """
        pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        pairs = [(x, y) for x, y in pairs if math.isfinite(x) and math.isfinite(y)]
        if marker == "o" and stroke == "none" and opacity >= 1:
            def dots() -> str:
                path = "".join(f"M{_n(self.px(x))} {_n(self.py(y))}h0" for x, y in pairs)
                return (f"<path d='{path}' stroke='{color}' stroke-width='{_n(2 * size)}' stroke-linecap='round'/>"
                        if path else "")
            (self._overlay if overlay else self._shapes).append(dots)
            return
        stroke_attr = f" stroke='{stroke}' stroke-width='1'" if stroke != "none" else ""
        opacity_attr = f" fill-opacity='{opacity}'" if opacity < 1 else ""

        def draw() -> str:
            parts = "".join(_marker(self.px(x), self.py(y), size, marker) for x, y in pairs)
            return f"<g fill='{color}'{stroke_attr}{opacity_attr}>{parts}</g>" if parts else ""
        (self._overlay if overlay else self._shapes).append(draw)

    def label(self, x: float, y: float, text: str, anchor: str = "start", size: float | None = None,
              box: bool = False, dx: float = 0, dy: float = 0, weight: str = "normal", relative: bool = False) -> None:
        """Text at data point (x, y), or at fractions of the plot area when `relative`."""
        size = size or self.font_size

        def draw() -> str:
            x0, y0, x1, y1 = self._area()
            px, py = (x0 + x * (x1 - x0), y1 - y * (y1 - y0)) if relative else (self.px(x), self.py(y))
            px, py = px + dx, py + dy
            out = ""
            if box:
                w = text_width(text, size) + 10
                bx = px - 5 if anchor == "start" else px - w + 5 if anchor == "end" else px - w / 2
                out = (f"<rect x='{_n(bx)}' y='{_n(py - size - 1)}' width='{_n(w)}' height='{_n(size + 8)}' "
                       "rx='4' fill='white' fill-opacity='0.92' stroke='#BBBBBB'/>")
            return out + (f"<text x='{_n(px)}' y='{_n(py)}' text-anchor='{anchor}' font-size='{size}' "
                          f"font-weight='{weight}'>{html.escape(str(text))}</text>")
        self._overlay.append(draw)

    # --- output --------------------------------------------------------------------------

    def render(self) -> str:
        """The chart as a standalone SVG document (text as text, every string escaped)."""
        self._area_fixed = None
        self._area_fixed = self._area()  # measured once (the margins measure every label), not once per point
        try:
            return self._render()
        finally:
            self._area_fixed = None

    def _words(self, x: float, y: float, text: str, size: float, anchor: str = "start", weight: str = "normal",
               turn: bool = False) -> str:
        """A ``<text>`` of one or more lines, the first line's baseline at (x, y) and each next one a line lower;
        `turn`: the whole turned -90 degrees about (x, y) (read bottom to top, the next line to the right)."""
        first, *rest = str(text).split("\n")
        more = "".join(f"<tspan x='{_n(x)}' dy='{_n(size * LINE_SPACING)}'>{html.escape(line)}</tspan>" for line in rest)
        attrs = f" text-anchor='{anchor}'" if anchor != "start" else ""
        attrs += f" font-size='{_n(size)}'" if size != self.font_size else ""
        attrs += f" font-weight='{weight}'" if weight != "normal" else ""
        attrs += f" transform='rotate(-90 {_n(x)} {_n(y)})'" if turn else ""
        return f"<text x='{_n(x)}' y='{_n(y)}'{attrs}>{html.escape(first)}{more}</text>"

    def _render(self) -> str:
        x0, y0, x1, y1 = self._area()
        esc = html.escape
        out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}' "
               f"viewBox='0 0 {self.width} {self.height}' font-family='{FONT}' font-size='{self.font_size}' "
               "fill='#222222'>",
               f"<rect width='{self.width}' height='{self.height}' fill='white'/>"]
        if self.title:
            size = self.font_size + 3
            x = max(8.0, min(x0, self.width - 8 - text_width(self.title, size, "bold")))  # a long title moves left
            out.append(f'<title>{esc(self.title)}</title>')
            out.append(f"<text x='{_n(x)}' y='{_n(y0 - 18 - self._above())}' font-size='{size}' font-weight='bold'>"
                       f'{esc(self.title)}</text>')
        if self.plot_fill:
            out.append(f"<rect x='{_n(x0)}' y='{_n(y0)}' width='{_n(x1 - x0)}' height='{_n(y1 - y0)}' "
                       f"fill='{self.plot_fill}'/>")
        grid, ticks, tick = [], [], self.tick_length
        size = self.x_label_size or self.font_size
        for value in self._x_ticks:
            x = self.px(value)
            if x < x0 - 0.5 or x > x1 + 0.5:
                continue
            if self.x_grid:
                grid.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{_n(y0)}' y2='{_n(y1)}'/>")
            label = self._x_labels[int(value)] if self._x_labels is not None else self.x_format(value)
            if tick:
                ticks.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{_n(y1)}' y2='{_n(y1 + tick)}' stroke='#444444'/>")
            if self.x_label_turn:
                lines = str(label).count("\n") + 1
                across = x - ((lines - 1) * size * LINE_SPACING + (DESCENT - ASCENT) * size) / 2  # the lines centred on x
                ticks.append(self._words(across, y1 + tick + 4, label, size, "end", turn=True))
            else:
                ticks.append(self._words(x, y1 + tick + 14 * size / 13, label, size, "middle"))
        for value in self._y_ticks:
            y = self.py(value)
            if y < y0 - 0.5 or y > y1 + 0.5:
                continue
            if self.y_grid:
                grid.append(f"<line x1='{_n(x0)}' x2='{_n(x1)}' y1='{_n(y)}' y2='{_n(y)}'/>")
            label = self._y_labels[int(value)] if self._y_labels is not None else self.y_format(value)
            if tick:
                ticks.append(f"<line x1='{_n(x0 - tick)}' x2='{_n(x0)}' y1='{_n(y)}' y2='{_n(y)}' stroke='#444444'/>")
            lines = str(label).count("\n") + 1
            baseline = y + 4.5 * self.font_size / 13 - (lines - 1) * self.font_size * LINE_SPACING / 2
            ticks.append(self._words(x0 - tick - 3, baseline, label, self.font_size, "end"))
        out.append(f"<g stroke='#E3E3E3' stroke-width='1'>{''.join(grid)}</g>")
        out.extend(draw() for draw in self._shapes)
        if self.axes:
            out.append(f"<g stroke='#444444' stroke-width='1'><line x1='{_n(x0)}' x2='{_n(x0)}' y1='{_n(y0)}' "
                       f"y2='{_n(y1)}'/><line x1='{_n(x0)}' x2='{_n(x1)}' y1='{_n(y1)}' y2='{_n(y1)}'/></g>")
        out.extend(draw() for draw in self._overlay)
        out.append(f'<g>{"".join(ticks)}</g>')
        if self._groups:
            out.append(f"<g>{''.join(self._group(*group) for group in self._groups)}</g>")
        below = y1
        if self.xlabel:
            below = y1 + self._xlabel_offset()
            out.append(f"<text x='{_n((x0 + x1) / 2)}' y='{_n(below)}' text-anchor='middle' "
                       f"font-size='{self.font_size + 0.5}'>{esc(self.xlabel)}</text>")
            below += DESCENT * (self.font_size + 0.5)
        else:
            below += self._x_label_depth()
        if self.ylabel:
            cx, cy = 16, (y0 + y1) / 2
            out.append(f"<text x='{cx}' y='{_n(cy)}' text-anchor='middle' font-size='{self.font_size + 0.5}' "
                       f"transform='rotate(-90 {cx} {_n(cy)})'>{esc(self.ylabel)}</text>")
        if self.scale is not None:
            out.append(self._scale(self.scale, below + 12))
        out.extend(self._legend(x1 + 18, y0))
        out.append("</svg>")
        return "".join(out)

    def _group(self, text: str, size: float, turn: bool, weight: str, x_from: float, x_to: float) -> str:
        _, y0, _, _ = self._area()
        centre, lines = (self.px(x_from) + self.px(x_to)) / 2, text.count("\n") + 1
        if turn:  # upright, its foot 7 px above the plot area, the lines centred on the span
            across = centre - ((lines - 1) * size * LINE_SPACING + (DESCENT - ASCENT) * size) / 2
            return self._words(across, y0 - 7, text, size, "start", weight, turn=True)
        first = y0 - 7 - DESCENT * size - (lines - 1) * size * LINE_SPACING
        return self._words(centre, first, text, size, "middle", weight)

    def _scale(self, scale: ColourScale, top: float) -> str:
        x0, _, x1, _ = self._area()
        width = (x1 - x0) / 2
        left, bar, size = x0 + width / 2, scale.BAR, scale.SIZE
        n = len(scale.colours)
        stops = "".join(f"<stop offset='{_n(i / max(n - 1, 1) * 100)}%' stop-color='{colour}'/>"
                        for i, colour in enumerate(scale.colours))
        out = [f"<defs><linearGradient id='colour-scale'>{stops}</linearGradient></defs>",
               f"<rect x='{_n(left)}' y='{_n(top)}' width='{_n(width)}' height='{_n(bar)}' fill='url(#colour-scale)' "
               "stroke='#444444' stroke-width='0.5'/>"]
        span = scale.high - scale.low
        ticks = scale.ticks if scale.ticks is not None else nice_ticks(scale.low, scale.high)
        baseline = top + bar + 4 + ASCENT * size
        marks = []
        for value in ticks:
            x = left + (value - scale.low) / span * width if span else left + width / 2
            marks.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{_n(top + bar)}' y2='{_n(top + bar + 3)}' stroke='#444444'/>"
                         + self._words(x, baseline, scale.fmt(value), size, "middle"))
        out.append(f"<g>{''.join(marks)}</g>")
        if scale.label:
            out.append(self._words(left + width / 2, baseline + size * LINE_SPACING + 2, scale.label, size, "middle"))
        if scale.missing:
            x = left + width + 24
            out.append(f"<rect x='{_n(x)}' y='{_n(top)}' width='{_n(bar)}' height='{_n(bar)}' "
                       f"fill='{self.plot_fill or 'white'}' stroke='{SWATCH_EDGE}'/>"
                       + self._words(x + bar + 6, top + bar / 2 + (ASCENT - DESCENT) * size / 2, scale.missing, size))
        return "".join(out)

    def _legend(self, x: float, y: float) -> list[str]:
        if not self.legend:
            return []
        out, row = [], y + 4
        if self.legend_title:
            out.append(f"<text x='{_n(x)}' y='{_n(row + 9)}' font-weight='bold'>{html.escape(self.legend_title)}</text>")
            row += 22
        for entry in self.legend:
            mid = row + 5
            if entry.kind == "line":
                dash = f" stroke-dasharray='{entry.dash}'" if entry.dash else ""
                out.append(f"<line x1='{_n(x)}' x2='{_n(x + 24)}' y1='{_n(mid)}' y2='{_n(mid)}' stroke='{entry.color}' "
                           f"stroke-width='2'{dash}/>")
                if entry.marker:
                    out.append(f"<g fill='{entry.color}'>{_marker(x + 12, mid, 4.5, entry.marker)}</g>")
            elif entry.kind == "marker":
                out.append(f"<g fill='{entry.color}' stroke='#222222' stroke-width='0.8'>"
                           f'{_marker(x + 12, mid, 5, entry.marker)}</g>')
            else:
                out.append(f"<rect x='{_n(x + 2)}' y='{_n(mid - 6)}' width='20' height='12' fill='{entry.color}'/>")
            out.append(f"<text x='{_n(x + 32)}' y='{_n(mid + 4.5)}'>{html.escape(entry.label)}</text>")
            row += 22
        return out


@dataclass
class SvgStack:
    """Charts drawn one above the other in one SVG (panels sharing a width), e.g. two denominators kept apart.

    The panels' plot areas are aligned: every panel gets the widest left and right margins of them all.
    ``title`` and ``xlabel`` are the first panel's, so a stack reads like a chart to its callers.
    """

    panels: list[SvgChart]

    @property
    def width(self) -> int:
        return max(panel.width for panel in self.panels)

    @property
    def height(self) -> int:
        return sum(panel.height for panel in self.panels)

    @property
    def title(self) -> str:
        return self.panels[0].title

    @property
    def xlabel(self) -> str:
        return self.panels[0].xlabel

    def render(self) -> str:
        margins = [panel._margins() for panel in self.panels]
        left, right = max(m[0] for m in margins), max(m[1] for m in margins)
        parts, y = [], 0
        for panel in self.panels:
            panel.left, panel.right = left, right
            inner = panel.render()
            parts.append(f"<svg x='0' y='{y}'{inner[4:]}")
            y += panel.height
        title = html.escape(" / ".join(p.title for p in self.panels if p.title))
        return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}' "
                f"viewBox='0 0 {self.width} {self.height}'><title>{title}</title>{''.join(parts)}</svg>")


NOTE_HEIGHT = 26  # px of the strip :func:`with_note` adds below a figure


def with_note(svg: str, note: str, width: int, height: int) -> str:
    """Any SVG document (this module's or matplotlib's) `width` × `height` px, with `note` in a strip below it.

    The figure is kept whole as a nested ``<svg>``; the result is ``NOTE_HEIGHT`` px taller, and the
    note is text, so it is read out and found like the figure's own words.

    >>> marked = with_note(SvgChart(title="Demo").render(), "Simulated data", 900, 400)
    >>> "height='426'" in marked and ">Simulated data</text>" in marked
    True
    """
    inner = re.sub(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", "", svg)
    opening = re.match(r"<svg\b[^>]*>", inner)
    if opening is None:
        raise ValueError("not an SVG document: it does not start with <svg")
    tag = re.sub(r'\s(width|height)=("[^"]*"|\'[^\']*\')', "", opening.group(0))
    inner = f"{tag[:4]} x='0' y='0' width='{width}' height='{height}'{tag[4:]}{inner[opening.end():]}"
    total = height + NOTE_HEIGHT
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{total}' viewBox='0 0 {width} {total}'>"
            f"<rect width='{width}' height='{total}' fill='white'/>{inner}"
            f"<rect x='0' y='{height}' width='{width}' height='{NOTE_HEIGHT}' fill='#FFF1D6'/>"
            f"<text x='10' y='{height + NOTE_HEIGHT - 8}' font-family='{FONT}' font-size='13' font-weight='bold' "
            f"fill='#7A3300'>{html.escape(note)}</text></svg>")


def _block(text: str, size: float, turn: bool = False, weight: str = "normal") -> tuple[float, float]:
    """(across, up) px a label of one or more lines takes as drawn, upright when `turn`."""
    across, up = text_width(text, size, weight), text_height(str(text).count("\n") + 1, size)
    return (up, across) if turn else (across, up)


def _marker(x: float, y: float, size: float, marker: str) -> str:
    if marker == "D":
        s = size * 1.25
        return f"<polygon points='{_n(x)},{_n(y - s)} {_n(x + s)},{_n(y)} {_n(x)},{_n(y + s)} {_n(x - s)},{_n(y)}'/>"
    if marker == "s":
        return f"<rect x='{_n(x - size)}' y='{_n(y - size)}' width='{_n(2 * size)}' height='{_n(2 * size)}'/>"
    return f"<circle cx='{_n(x)}' cy='{_n(y)}' r='{_n(size)}'/>"
