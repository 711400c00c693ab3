"""Free text made safe to quote: phone numbers, e-mail addresses, postcodes, NHS numbers, dates, names
after a title and ID-like tokens taken out.

Notes in temperature-check returns are free text; people write "ring Jo on 07700 900123" or
"see EQ20931" in them. :func:`scrub_free_text` is the last gate before such text reaches a
report: every match becomes ``[removed]``. It is a safety net, not a licence: a note is shown
only when a person has reviewed it for publication, and the scrubber still runs after that.
"""

from __future__ import annotations

import re

import pandas as pd

REMOVED = "[removed]"
_PATTERNS = [
    # e-mail addresses
    re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    # web addresses can carry names and case numbers
    re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE),
    # UK phone numbers: +44 or 0, then 9-10 digits with spaces, dashes or brackets between
    re.compile(r"(?:\+\s?44\s?(?:\(0\)\s?)?|\(?\b0)(?:[\s().-]*\d){9,10}\b"),
    # NHS numbers (3-3-4 digits) and any run of 6 or more digits
    re.compile(r"\b\d{3}[\s-]?\d{3}[\s-]?\d{4}\b|\b\d{6,}\b"),
    # UK postcodes (SW1A 1AA, NE1 4XF, M1 1AE)
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    # dates, which in a note are often a date of birth
    re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"),
    # a title and the names after it (Mr Smith, Mrs Jane Doe, Dr. Patel)
    re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Cllr)\.?(?:\s+[A-Z][\w'-]+){1,3}"),
    # ID-like tokens: letters and at least three digits together (EQ12345, PN-0045, ENQ/2023/0012)
    re.compile(r"\b(?=[\w/-]*[A-Za-z])(?=(?:[\w/-]*\d){3})[A-Za-z\d]+(?:[/_-][A-Za-z\d]+)*\b"),
]


def scrub_free_text(text: object) -> str:
    """`text` with personal details replaced by ``[removed]``; "" for a missing value.

    >>> scrub_free_text("Call Jo on 07700 900123 or jo@example.org about EQ20931 (NE1 4XF).")
    'Call Jo on [removed] or [removed] about [removed] ([removed]).'
    >>> scrub_free_text("Staffing improved in 2023-24; 3 of 12 posts filled.")
    'Staffing improved in 2023-24; 3 of 12 posts filled.'
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):  # None, NaN, pd.NA
        return ""
    result = str(text)
    for pattern in _PATTERNS:
        result = pattern.sub(REMOVED, result)
    return re.sub(r"(?:\[removed\][\s,;]*){2,}", REMOVED + " ", result).strip()
