"""``data:`` URIs of text (SVG figures, CSV downloads) percent-encoded as little as a browser needs.

A report embeds its figures and table downloads as ``data:`` URIs in double-quoted HTML attributes.
Base64 makes text a third longer, and percent-encoding every byte that is not a letter or digit
(:func:`urllib.parse.quote` with ``safe=""``) makes a CSV's commas and spaces three bytes each. Only a
few characters must be encoded for the URI to reach the browser's data-URL reader unchanged:

- ``%`` (it starts an escape) and ``#`` (it starts a fragment, which the reader drops);
- tab, line feed and carriage return, which the URL parser removes, and the other control characters;
- ``"`` (it closes the attribute) and ``&`` (the HTML parser reads it as a character reference);
- ``<`` and ``>``: browsers take them as they are, but they are not URL code points, so they are
  encoded for tools stricter than a browser (the cost is small, see ``tests/toolkit/test_datauri.py``);
- a space at either end (the URL parser trims it).

Everything else (spaces, commas, letters outside ASCII) is written as it is: the HTML parser keeps it,
the URL parser percent-encodes what it must itself, and the data-URL reader decodes it back. SVG
written with single-quoted attributes (as :mod:`msp_analysis.toolkit.svgchart` writes it) then costs
a few per cent over its own size, against 33% as base64.

>>> uri = text_uri("a,b 100%\\r\\n", "text/csv;charset=utf-8")
>>> uri
'data:text/csv;charset=utf-8,a,b 100%25%0D%0A'
>>> uri_text(uri)
'a,b 100%\\r\\n'
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote_to_bytes

# what must be escaped (see the module's docstring): the common characters one replace each (an SVG figure has
# thousands of < > # and line feeds: a regular expression with a callback per match cost four times as much), the
# other control characters by a pattern, and a space at either end
_COMMON = tuple((c, f"%{ord(c):02X}") for c in '%#"&<>\n\t\r')  # "%" first: the others bring a "%"
_RARE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _escape(match: re.Match) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8"))


def percent_encode(text: str) -> str:
    """`text` with only the characters a ``data:`` URI in an HTML attribute cannot hold as they are escaped."""
    body = text
    for character, escaped in _COMMON:
        if character in body:
            body = body.replace(character, escaped)
    if _RARE.search(body):
        body = _RARE.sub(_escape, body)
    if body.startswith(" "):
        body = "%20" + body[1:]
    if len(text) > 1 and text.endswith(" "):
        body = body[:-1] + "%20"
    elif len(text) > 2 and text.endswith(" \n"):  # a space before a last line feed ends the text once that goes
        body = body[: -len(" %0A")] + "%20%0A"
    return body


def text_uri(text: str, mimetype: str) -> str:
    """A ``data:`` URI of `text` (`mimetype` may carry parameters, ``text/csv;charset=utf-8``), percent-encoded lightly."""
    return f"data:{mimetype},{percent_encode(text)}"


def uri_bytes(uri: str) -> tuple[str, bytes]:
    """(media type with its parameters, bytes) of a ``data:`` URI, base64 or percent-encoded (as a browser reads it)."""
    if not uri.startswith("data:") or "," not in uri:
        raise ValueError(f"not a data: URI: {uri[:40]!r}")
    head, body = uri[len("data:"):].split(",", 1)
    if head.endswith(";base64"):
        return head[: -len(";base64")], base64.b64decode(unquote_to_bytes(body))
    return head, unquote_to_bytes(body)


def uri_text(uri: str) -> str:
    """The text of a ``data:`` URI (:func:`uri_bytes` read as UTF-8)."""
    return uri_bytes(uri)[1].decode("utf-8")
