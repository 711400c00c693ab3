"""The smallest text of an SVG figure as a browser draws it: font sizes through nested viewBoxes, times the shown width."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def _size(element: ET.Element) -> float | None:
    style = element.get("style", "")
    found = re.search(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px", style)
    if found:
        return float(found.group(1))
    if element.get("font-size"):
        return float(re.sub(r"px$", "", element.get("font-size")))
    return None


def _scale(svg: ET.Element) -> float:
    box = svg.get("viewBox")
    width = svg.get("width")
    if not box or not width:
        return 1.0
    return float(re.sub(r"[a-z]+$", "", width)) / float(box.split()[2])


def smallest_text(svg_text: str, shown_width: float) -> float:
    """The smallest font size, in CSS px, of any text in `svg_text` drawn `shown_width` px wide."""
    root = ET.fromstring(svg_text)
    root_width = float(root.get("viewBox").split()[2]) if root.get("viewBox") else float(re.sub(r"[a-z]+$", "", root.get("width")))
    sizes = []

    def walk(element: ET.Element, scale: float, size: float) -> None:
        if element.tag == f"{SVG}svg" and element is not root:
            scale *= _scale(element)
        own = _size(element)
        size = own if own is not None else size
        if element.tag == f"{SVG}text" and (element.text or "").strip():
            sizes.append(size * scale)
        for child in element:
            walk(child, scale, size)

    walk(root, shown_width / root_width, 16.0)
    return min(sizes) if sizes else float("inf")
