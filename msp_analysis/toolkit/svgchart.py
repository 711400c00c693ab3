"""A very small SVG chart writer for the figures every locality report repeats.

A locality report has five figures and the demo renders 153 of them; matplotlib spends
about 50 ms laying out the text of each, which made figures half the cost of a report.
These charts (grouped bars, lines, scatter with curves, dot plots) need only axes, ticks,
gridlines, markers, a legend and a title, so they are written here as SVG directly, in a
millisecond, with text kept as text (sharp at any width, read by screen readers' "find").
Figures drawn once per report set (heatmaps, forest plots) still use matplotlib.

Text widths are estimated (0.6 em per character for sans-serif, on the generous side), which is enough to size
margins and legends. Everything written is escaped. Attributes are single-quoted and coordinates written
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

CHAR_WIDTH = 0.6  # average width of a sans-serif character, in em (generous, so nothing is clipped)
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"


def text_width(text: str, size: float) -> float:
    """Estimated width in px of `text` at font `size`."""
    return len(str(text)) * size * CHAR_WIDTH


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
class SvgChart:
    """One chart: a plot area with scales, the shapes drawn in it, and its words.

    x and y are linear scales (``set_x``/``set_y``) or categories (``set_y_categories``,
    ``set_x_categories``: band centres at 0, 1, 2, …). Shapes are added in data units.
    """

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    width: int = 900
    height: int = 400
    font_size: float = 13
    left: float | None = None
    right: float | None = None
    top: float = 46
    bottom: float = 58
    legend: list[LegendEntry] = field(default_factory=list)
    legend_title: str = ""
    x_format: Callable[[float], str] = _number
    y_format: Callable[[float], str] = _number
    x_grid: bool = True
    y_grid: bool = True
    _x: tuple = (0.0, 1.0)
    _y: tuple = (0.0, 1.0)
    _x_ticks: list = field(default_factory=list)
    _y_ticks: list = field(default_factory=list)
    _x_labels: list | None = None
    _y_labels: list | None = None
    _shapes: list = field(default_factory=list)
    _overlay: list = field(default_factory=list)

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

    def set_x_categories(self, labels: Sequence[str]) -> None:
        """Categories left to right at x = 0, 1, 2, …"""
        n = len(labels)
        self._x = (-0.35, n - 0.65) if n > 1 else (-1, 1)
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
                         + [text_width(self.legend_title, self.font_size)])
            right = widest + 52
        else:
            right = 24
        return left, right

    def _area(self) -> tuple[float, float, float, float]:
        fixed = self.__dict__.get("_area_fixed")
        if fixed is not None:  # inside render(): nothing changes the margins, so every point uses the same area
            return fixed
        left, right = self._margins()
        return left, self.top, self.width - right, self.height - self.bottom

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

    def _render(self) -> str:
        x0, y0, x1, y1 = self._area()
        esc = html.escape
        out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}' height='{self.height}' "
               f"viewBox='0 0 {self.width} {self.height}' font-family='{FONT}' font-size='{self.font_size}' "
               "fill='#222222'>",
               f"<rect width='{self.width}' height='{self.height}' fill='white'/>"]
        if self.title:
            out.append(f'<title>{esc(self.title)}</title>')
            out.append(f"<text x='{_n(x0)}' y='{_n(y0 - 18)}' font-size='{self.font_size + 3}' font-weight='bold'>"
                       f'{esc(self.title)}</text>')
        grid, ticks = [], []
        for value in self._x_ticks:
            x = self.px(value)
            if x < x0 - 0.5 or x > x1 + 0.5:
                continue
            if self.x_grid:
                grid.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{_n(y0)}' y2='{_n(y1)}'/>")
            label = self._x_labels[int(value)] if self._x_labels is not None else self.x_format(value)
            ticks.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{_n(y1)}' y2='{_n(y1 + 5)}' stroke='#444444'/>"
                         f"<text x='{_n(x)}' y='{_n(y1 + 19)}' text-anchor='middle'>{esc(label)}</text>")
        for value in self._y_ticks:
            y = self.py(value)
            if y < y0 - 0.5 or y > y1 + 0.5:
                continue
            if self.y_grid:
                grid.append(f"<line x1='{_n(x0)}' x2='{_n(x1)}' y1='{_n(y)}' y2='{_n(y)}'/>")
            label = self._y_labels[int(value)] if self._y_labels is not None else self.y_format(value)
            ticks.append(f"<line x1='{_n(x0 - 5)}' x2='{_n(x0)}' y1='{_n(y)}' y2='{_n(y)}' stroke='#444444'/>"
                         f"<text x='{_n(x0 - 8)}' y='{_n(y + 4.5)}' text-anchor='end'>{esc(label)}</text>")
        out.append(f"<g stroke='#E3E3E3' stroke-width='1'>{''.join(grid)}</g>")
        out.extend(draw() for draw in self._shapes)
        out.append(f"<g stroke='#444444' stroke-width='1'><line x1='{_n(x0)}' x2='{_n(x0)}' y1='{_n(y0)}' y2='{_n(y1)}'/>"
                   f"<line x1='{_n(x0)}' x2='{_n(x1)}' y1='{_n(y1)}' y2='{_n(y1)}'/></g>")
        out.extend(draw() for draw in self._overlay)
        out.append(f'<g>{"".join(ticks)}</g>')
        if self.xlabel:
            out.append(f"<text x='{_n((x0 + x1) / 2)}' y='{_n(y1 + 42)}' text-anchor='middle' "
                       f"font-size='{self.font_size + 0.5}'>{esc(self.xlabel)}</text>")
        if self.ylabel:
            cx, cy = 16, (y0 + y1) / 2
            out.append(f"<text x='{cx}' y='{_n(cy)}' text-anchor='middle' font-size='{self.font_size + 0.5}' "
                       f"transform='rotate(-90 {cx} {_n(cy)})'>{esc(self.ylabel)}</text>")
        out.extend(self._legend(x1 + 18, y0))
        out.append("</svg>")
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


def _marker(x: float, y: float, size: float, marker: str) -> str:
    if marker == "D":
        s = size * 1.25
        return f"<polygon points='{_n(x)},{_n(y - s)} {_n(x + s)},{_n(y)} {_n(x)},{_n(y + s)} {_n(x - s)},{_n(y)}'/>"
    if marker == "s":
        return f"<rect x='{_n(x - size)}' y='{_n(y - size)}' width='{_n(2 * size)}' height='{_n(2 * size)}'/>"
    return f"<circle cx='{_n(x)}' cy='{_n(y)}' r='{_n(size)}'/>"
