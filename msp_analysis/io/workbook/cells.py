"""Writing workbook cells safely, and the styles and sheet set-up the return workbooks share.

Every text cell written through :func:`put` that starts with ``= + - @`` is stored as text
with a quote prefix (never as a formula): council returns are untrusted input, and their
text is copied into feedback workbooks.
"""

from __future__ import annotations

from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.worksheet import Worksheet

from msp_analysis.toolkit.files import FORMULA_PREFIXES

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")


def put(ws: Worksheet, row: int, column: int, value: object, font: Font | None = None,
        fill: PatternFill | None = None, wrap: bool = False, unlocked: bool = False) -> Cell:
    """Write one cell; text that looks like a formula is stored as text with a quote prefix."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = WRAP
    if unlocked:
        cell.protection = Protection(locked=False)
    return cell


def fit_height(ws: Worksheet, row: int, text: object, chars_per_line: float, minimum: int = 1) -> None:
    """Set a row tall enough for wrapped text: spreadsheets do not all grow rows on opening."""
    lines = max(minimum, sum(max(1, -(-len(part) // int(chars_per_line))) for part in str(text or "").split("\n")))
    current = ws.row_dimensions[row].height or 15
    ws.row_dimensions[row].height = max(current, 15 * lines + 2)


def print_setup(ws: Worksheet, landscape: bool = True) -> None:
    """A4, fitted to the page width, as many pages down as needed."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def protect(ws: Worksheet) -> None:
    """Protect against accidental edits (no password): columns and rows can still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
