"""Raw tables as users receive them: CSV (UTF-8, UTF-8 with BOM, cp1252, UTF-16), XLSX and ODS, every cell as text.

The reader finds the delimiter, the encoding and the header row (published workbooks open with
title rows and notes) and records where each row came from, so a reject can point a person to
the row they see in their spreadsheet.

Bounded work (:mod:`.limits`): the file's kind, size and (for workbooks) the unpacked size of
every part are checked before anything is read; workbooks are streamed, so a sheet that
declares a million rows or repeats one a million times costs only its filled cells, which are
counted against a limit as they are read.

No silent loss: a CSV's physical lines are counted apart from the parser and reconciled with
the records it returns. A record the reader cannot vouch for is kept as a row whose
``_read_problem`` says why (a quote left open that swallowed the lines after it, more fields
than the header, a NUL byte, a line in another encoding, a byte that is no character), so the
cleaners reject it with that reason instead of cleaning a corrupted row or dropping it.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from msp_analysis.io.limits import DEFAULT_LIMITS, MB, Limits, check_input_file, check_zip_parts, exceeded
from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.paths import resolve_path

ENCODINGS = ("utf-8-sig", "cp1252", "utf-16")
HEADER_SEARCH_ROWS = 50
DELIMITERS = ",;\t|"
READ_PROBLEM = "_read_problem"  # why the reader could not vouch for a row ("" when it can)
READ_VALUE = "_read_value"  # the raw line(s) of such a row, for the reject's value
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_BLOCK = 1 << 24
_SENTINEL_CANDIDATES = "\ue000\ue001\ue002\ue003\ue004\ue005"


def read_table(path: str | Path, sheet: str | int = 0, limits: Limits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM, cp1252 or UTF-16), XLSX or ODS table with every cell as text.

    The header row is located automatically (published workbooks open with title rows and
    notes); ``_source_file`` and ``_source_row`` record where each row came from, as a person
    would find it in a spreadsheet. Text keeps leading zeros and lets cleaners decide what is
    a number. Fully blank rows are not data and are skipped. Rows the reader could not read
    faithfully carry a reason in ``_read_problem`` (the column is there only when some do). A
    relative `path` is read from the project root (:func:`~msp_analysis.toolkit.paths.resolve_path`).
    """
    given = str(path)
    path = check_input_file(resolve_path(path), limits)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            check_zip_parts(path, limits)
            frame = _frame_from_rows(_xlsx_rows(path, sheet, limits), path, limits)
        elif suffix == ".ods":
            check_zip_parts(path, limits)
            frame = _frame_from_rows(_ods_rows(path, sheet, limits), path, limits)
        else:
            frame = _read_csv(path, limits)
    except UnusableInputError:
        raise
    except MemoryError:
        raise UnusableInputError(f"{path}: too large to read in the memory available; see the limits in "
                                 "docs/data.md (--limit)") from None
    except Exception as error:  # pandas/openpyxl/zip/XML errors become one message naming the file
        detail = " ".join(str(error).split())[:200]
        raise UnusableInputError(f"{path}: cannot be read as a table ({type(error).__name__}: {detail})") from None
    frame["_source_file"] = given  # rejects name the file as the caller gave it
    return frame


# --- workbooks, streamed -------------------------------------------------------------------------

def _cell_text(value: object) -> str:
    """A workbook cell as text, as pandas gives it (12.0 → "12"; errors and blanks → "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return str(pd.Timestamp(value)) if hasattr(value, "year") else str(value)
    return str(value)


def _xlsx_rows(path: Path, sheet: str | int, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the filled rows of a worksheet, streamed; no empty row is made."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    class _Parser(WorkSheetParser):
        def parse_row(self, row):  # like openpyxl's, without keeping a dimension per row
            number = row.get("r")
            self.row_counter = int(float(number)) if number else self.row_counter + 1
            self.col_counter = 0
            return self.row_counter, [self.parse_cell(cell) for cell in row]

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        names = book.sheetnames
        name = names[sheet] if isinstance(sheet, int) else sheet
        if name not in names:
            raise UnusableInputError(f"{path}: no sheet {name!r}; its sheets are {', '.join(names)}")
        ws = book[name]
        cells = 0
        with ws._get_source() as source:
            parser = _Parser(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                             date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
            for number, row in parser.parse():
                filled = [(c["column"], _cell_text(c["value"] if c["data_type"] != "e" else None)) for c in row]
                filled = [(column, text) for column, text in filled if text != ""]
                if not filled:
                    continue
                cells += len(filled)
                if cells > limits.cells:
                    raise exceeded(path, f"sheet {name!r} has filled cells beyond row {number:,}; their number",
                                   f"over {limits.cells:,}", "cells", limits.cells)
                width = max(column for column, _ in filled)
                if width > limits.columns:
                    raise exceeded(path, f"row {number:,} of sheet {name!r} reaches column {width:,}; its width",
                                   f"{width:,}", "columns", limits.columns)
                texts = [""] * width
                for column, text in filled:
                    texts[column - 1] = text
                yield number, texts
    finally:
        book.close()


_ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
_T = "{" + _ODS["table"] + "}"
_O = "{" + _ODS["office"] + "}"
_X = "{" + _ODS["text"] + "}"


def _ods_text(element: ElementTree.Element) -> str:
    """Text of an ODS paragraph: runs, spans, ``text:s`` spaces, tabs and line breaks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _X + "s":
            parts.append(" " * int(child.get(_X + "c", "1")))
        elif child.tag == _X + "tab":
            parts.append("\t")
        elif child.tag == _X + "line-break":
            parts.append("\n")
        else:
            parts.append(_ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _ods_cell(cell: ElementTree.Element) -> str:
    kind = cell.get(_O + "value-type", "")
    if kind in ("float", "percentage", "currency"):
        return _cell_text(float(cell.get(_O + "value", "nan")))
    if kind == "date":
        return str(pd.Timestamp(cell.get(_O + "date-value")))
    if kind == "boolean":
        return str(cell.get(_O + "boolean-value", "").lower() == "true")
    paragraphs = [_ods_text(p) for p in cell if p.tag == _X + "p"]
    return "\n".join(paragraphs)


def _ods_rows(path: Path, sheet: str | int, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the filled rows of an ODS table, streamed; repeats are counted before
    they are expanded, and empty repeated rows and cells (how ODS pads a sheet) are never made."""
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
        table, target, number, cells = -1, False, 0, 0
        for event, element in ElementTree.iterparse(content, events=("start", "end")):
            if element.tag == _T + "table":
                if event == "start":
                    table += 1
                    target = (table == sheet) if isinstance(sheet, int) else element.get(_T + "name") == sheet
                elif target:
                    return
                continue
            if event != "end" or not target or element.tag != _T + "table-row":
                continue
            repeat = int(element.get(_T + "number-rows-repeated", "1"))
            runs = [(_ods_cell(c), int(c.get(_T + "number-columns-repeated", "1")))
                    for c in element if c.tag in (_T + "table-cell", _T + "covered-table-cell")]
            element.clear()
            while runs and runs[-1][0] == "":
                runs.pop()
            if not runs:
                number += repeat
                continue
            if repeat > limits.repeated_rows:
                raise exceeded(path, f"row {number + 1:,} is a filled row repeated {repeat:,} times; the repeat",
                               f"{repeat:,}", "repeated_rows", limits.repeated_rows)
            width = sum(count for _, count in runs)
            if width > limits.columns:
                raise exceeded(path, f"row {number + 1:,} reaches column {width:,}; its width", f"{width:,}",
                               "columns", limits.columns)
            cells += repeat * sum(count for text, count in runs if text)
            if cells > limits.cells:
                raise exceeded(path, f"the table repeats filled rows to beyond row {number + repeat:,}; its filled "
                               "cells", f"over {limits.cells:,}", "cells", limits.cells)
            texts = [text for text, count in runs for _ in range(count)]
            for _ in range(repeat):
                number += 1
                yield number, texts
    if table < 0 or (isinstance(sheet, int) and sheet > table):
        raise UnusableInputError(f"{path}: no sheet {sheet!r} in the workbook")


def _frame_from_rows(rows: Iterator[tuple[int, list[str]]], path: Path, limits: Limits) -> pd.DataFrame:
    head: list[tuple[int, list[str]]] = []
    for number, texts in rows:
        head.append((number, texts))
        if number >= HEADER_SEARCH_ROWS:
            break
    dense = [[] for _ in range(min(HEADER_SEARCH_ROWS, max((n for n, _ in head), default=0)))]
    for number, texts in head:
        if number <= HEADER_SEARCH_ROWS:
            dense[number - 1] = texts
    header_index, header = _locate_header(dense, path)
    width = len(header)
    numbers, body = [], []
    for number, texts in [*head, *rows]:
        if number <= header_index + 1:
            continue
        numbers.append(number)
        body.append(texts[:width] + [""] * (width - len(texts)))
    frame = pd.DataFrame(body, columns=header, dtype=str) if body else pd.DataFrame(columns=header, dtype=str)
    return _finish(frame, path, numbers)


# --- CSV -----------------------------------------------------------------------------------------

class _Scan:
    """What one pass over a CSV's bytes finds, before any parser sees it."""

    def __init__(self, path: Path, limits: Limits):
        self.crlf = self.lf = self.cr = 0
        self.nul = False
        self.utf8 = True
        self.longest = 0
        self.head = b""
        decoder = codecs.getincrementaldecoder("utf-8")()
        carry = 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                if not self.head:
                    self.head = block[:4096]
                self.crlf += block.count(b"\r\n")
                self.lf += block.count(b"\n")
                self.cr += block.count(b"\r")
                self.nul = self.nul or b"\x00" in block
                if self.utf8:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        self.utf8 = False
                pieces = block.split(b"\n")
                if len(pieces) == 1:
                    carry += len(block)
                else:
                    self.longest = max(self.longest, carry + len(pieces[0]), max(map(len, pieces[1:-1]), default=0))
                    carry = len(pieces[-1])
                if max(self.longest, carry) > limits.line_mb * MB:
                    raise exceeded(path, "a line", f"over {limits.line_mb:,.0f} MB", "line_mb", limits.line_mb)
            if self.utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    self.utf8 = False
        self.longest = max(self.longest, carry)
        # a boundary "\r" + "\n" across blocks is rare and only makes the count of bare CRs one too high
        self.bare_cr = self.cr - self.crlf

    @property
    def terminator(self) -> str:
        if self.lf == 0 and self.cr:
            return "\r"
        return "\r\n" if self.crlf and self.crlf >= self.lf / 2 else "\n"


def _utf16(head: bytes) -> str | None:
    """"utf-16" when the file starts with a UTF-16 byte-order mark or looks like UTF-16 text without one."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:1024] if len(head) % 2 == 0 else head[:1023]
    if len(sample) >= 8:
        odd, even = sample[1::2], sample[0::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def _read_csv(path: Path, limits: Limits) -> pd.DataFrame:
    csv.field_size_limit(max(csv.field_size_limit(), int(limits.line_mb * MB)))  # a cell may be as long as a line
    scan = _Scan(path, limits)
    utf16 = _utf16(scan.head)
    if utf16:
        try:
            text = path.read_bytes().decode(utf16)
        except UnicodeDecodeError:
            raise UnusableInputError(f"{path}: looks like UTF-16 text but is not valid UTF-16; save it as CSV "
                                     "UTF-8") from None
        return _careful_csv(path, _text_lines(text.lstrip("\ufeff")), limits)
    if _binary(scan.head):
        raise UnusableInputError(f"{path}: not a text table (binary content); export it as CSV, XLSX or ODS")
    encoding = "utf-8-sig" if scan.utf8 else "cp1252"
    clean_bytes = not scan.nul and (scan.utf8 or not _has_undefined_cp1252(path))
    if clean_bytes and (scan.utf8 or not _has_utf8_lines(path)) and not (scan.bare_cr and scan.terminator != "\r"):
        frame = _fast_csv(path, encoding, scan, limits)
        if frame is not None:
            return frame
    return _careful_csv(path, _byte_lines(path, scan), limits)


def _binary(head: bytes) -> bool:
    """True when the first 4 KiB look like a binary file: several NUL bytes, or more than 1% control bytes.

    A lone NUL in a text file is not that: its line is rejected with the reason (:func:`_byte_lines`).
    """
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return head.count(0) > 2 or control > max(2, len(head) // 100)


def _has_undefined_cp1252(path: Path) -> bool:
    with open(path, "rb") as handle:
        return any(not CP1252_UNDEFINED.isdisjoint(block) for block in iter(lambda: handle.read(_BLOCK), b""))


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _has_utf8_lines(path: Path) -> bool:
    """True when a file that is not UTF-8 as a whole still has lines that are (mixed encodings)."""
    with open(path, "rb") as handle:
        data = handle.read()
    data = data.removeprefix(codecs.BOM_UTF8)
    for line in data.splitlines():
        if _UTF8_MULTIBYTE.search(line):
            try:
                line.decode("utf-8")
                return True
            except UnicodeDecodeError:
                continue
    return False


def _sniff(lines: list[str], path: Path, limits: Limits) -> tuple[str, int, list[str]]:
    """Delimiter, header index and names from the first lines; a header wider than the limit is refused."""
    head = [line[:100_000] for line in lines[:HEADER_SEARCH_ROWS]]
    delimiter = max(DELIMITERS, key=lambda d: max((line.count(d) for line in head), default=0))
    widest = max((line.count(delimiter) + 1 for line in lines[:HEADER_SEARCH_ROWS]), default=0)
    if widest > limits.columns:
        raise exceeded(path, "the header", f"{widest:,} columns wide", "columns", limits.columns)
    rows = list(csv.reader(lines[:HEADER_SEARCH_ROWS], delimiter=delimiter))
    header_index, header = _locate_header(rows, path)
    return delimiter, header_index, header


def _first_lines(path: Path, encoding: str) -> list[str]:
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        return [line.rstrip("\r\n") for _, line in zip(range(HEADER_SEARCH_ROWS), handle, strict=False)]


def _fast_csv(path: Path, encoding: str, scan: _Scan, limits: Limits) -> pd.DataFrame | None:
    """The C parser, when the bytes are clean; None (use the careful reader) when its records do not
    reconcile with the file's physical lines or one of them looks like a quote left open."""
    delimiter, header_index, header = _sniff(_first_lines(path, encoding), path, limits)
    try:
        frame = pd.read_csv(path, sep=delimiter, skiprows=header_index + 1, header=None, names=header,
                            dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False,
                            encoding=encoding, on_bad_lines="error", engine="c")
    except pd.errors.ParserError:
        return None
    newline = "\r" if scan.terminator == "\r" else "\n"
    physical = (scan.cr if newline == "\r" else scan.lf) + (0 if _ends_with_newline(path) else 1)
    one_line_each = header_index + 1 + len(frame)
    if physical != one_line_each:  # some records span lines: each line break must be inside a value
        data_columns = [c for c in frame.columns if not str(c).startswith("_source")]
        embedded = frame[data_columns].apply(lambda c: c.str.count(newline))
        if physical != one_line_each + int(embedded.to_numpy().sum()):
            return None
        multi = embedded.sum(axis=1) > 0
        threshold = max(2, len(header) // 2)
        for _, row in frame.loc[multi, data_columns].iterrows():
            if any(part.count(delimiter) >= threshold for cell in row if newline in cell
                   for part in cell.split(newline)):
                return None
    numbers = _record_numbers(header_index, len(frame))
    return _finish(frame, path, numbers)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


def _record_numbers(header_index: int, count: int) -> range:
    return range(header_index + 2, header_index + 2 + count)


def _text_lines(text: str) -> list[tuple[str, str]]:
    """(line, problem) pairs of decoded text; the terminator is the file's dominant one."""
    crlf, lf, cr = text.count("\r\n"), text.count("\n"), text.count("\r")
    terminator = "\r" if not lf and cr else ("\r\n" if crlf and crlf >= lf / 2 else "\n")
    lines = text.split(terminator)
    if lines and lines[-1] == "":
        lines.pop()
    if terminator == "\n":
        lines = [line.removesuffix("\r") for line in lines]
    return [(line, "holds a NUL character" if "\x00" in line else "") for line in lines]


def _byte_lines(path: Path, scan: _Scan) -> list[tuple[str, str]]:
    """(line, problem) pairs, decoded line by line: the file's encoding is decided from every byte, and a
    line that does not fit it (another encoding, a byte that is no character, a NUL) says so."""
    data = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    terminator = scan.terminator.encode()
    raw_lines = data.split(terminator)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    if terminator == b"\n":
        raw_lines = [line.removesuffix(b"\r") for line in raw_lines]
    utf8_file = scan.utf8 or any(_UTF8_MULTIBYTE.search(line) and _decodes(line) for line in raw_lines)
    out = []
    for line in raw_lines:
        problem = ""
        if b"\x00" in line:
            problem = f"holds a NUL byte at position {line.index(0) + 1}; the file is damaged or not all text"
        if utf8_file:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                byte = line[error.start]
                text = line.decode("utf-8", errors="replace")
                problem = problem or (f"is not UTF-8 like the rest of the file (byte 0x{byte:02X} at position "
                                      f"{error.start + 1}; mixed encodings); save the file as CSV UTF-8")
        else:
            bad = next((b for b in line if b in CP1252_UNDEFINED), None)
            text = line.decode("cp1252", errors="replace")
            if bad is not None:
                problem = problem or (f"byte 0x{bad:02X} is not a character in Windows-1252, the file's encoding; "
                                      "save the file as CSV UTF-8")
        out.append((text.replace("\x00", ""), problem))
    return out


def _decodes(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _careful_csv(path: Path, lines: list[tuple[str, str]], limits: Limits) -> pd.DataFrame:
    """Parse line by line, knowing which physical lines make each record; reconcile and flag, never drop."""
    texts = [text for text, _ in lines]
    bare_cr = [("\r" in t) for t in texts]
    sentinel = next((c for c in _SENTINEL_CANDIDATES if all(c not in t for t in texts)), "\ue000") if any(bare_cr) \
        else "\ue000"
    texts = [t.replace("\r", sentinel) if has else t for t, has in zip(texts, bare_cr, strict=True)]
    delimiter, header_index, header = _sniff(texts, path, limits)
    width = len(header)
    threshold = max(2, width // 2)
    reader = csv.reader((text + "\n" for text in texts), delimiter=delimiter)  # a quoted line break stays one
    records: list[tuple[int, int, list[str]]] = []  # first line, last line (0-based), fields
    previous = 0
    for fields in reader:
        records.append((previous, reader.line_num - 1, fields))
        previous = reader.line_num
    # the header record is the one starting at the physical line the sniffer found
    rows, numbers, problems, values = [], [], [], []
    body = [r for r in records if r[0] > header_index]
    number = header_index + 1
    for first, last, fields in body:
        number += 1
        line_problems = [f"line {i + 1} {lines[i][1]}" for i in range(first, last + 1) if lines[i][1]]
        swallowed = last > first and (
            len(fields) != width or any(part.count(delimiter) >= threshold for f in fields if "\n" in f
                                        for part in f.split("\n")))
        if swallowed:
            reason = (f"a quote opened on line {first + 1} is not closed until line {last + 1}, so lines "
                      f"{first + 1}-{last + 1} would be read as one row; fix the quote (a \" inside a value is "
                      "written \"\") and export again")
            for i in range(first, last + 1):
                parts = next(csv.reader([texts[i]], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
                rows.append(_restore(parts, sentinel, width))
                numbers.append(number)
                problems.append(reason)
                values.append(texts[i].replace(sentinel, "\r")[:200])
                number += 1
            number -= 1
            continue
        problem = "; ".join(line_problems)
        if not problem and len(fields) > width:
            problem = (f"has {len(fields)} fields but the header has {width}; a value holding the delimiter "
                       f"{delimiter!r} must be in quotes")
        if not problem and any(bare_cr[first:last + 1]):
            problem = ("holds a bare carriage return (CR) inside a value, which spreadsheets read as a line "
                       "break; remove it and export again")
        rows.append(_restore(fields, sentinel, width))
        numbers.append(number)
        problems.append(problem)
        values.append("\n".join(texts[first:last + 1]).replace(sentinel, "\r")[:200] if problem else "")
    frame = pd.DataFrame(rows, columns=header, dtype=str) if rows else pd.DataFrame(columns=header, dtype=str)
    if any(problems):
        frame[READ_PROBLEM] = problems
        frame[READ_VALUE] = values
    return _finish(frame, path, numbers)


def _restore(fields: list[str], sentinel: str, width: int) -> list[str]:
    fields = [f.replace(sentinel, "\r") for f in fields[:width]]
    return fields + [""] * (width - len(fields))


def _finish(frame: pd.DataFrame, path: Path, numbers) -> pd.DataFrame:
    short = frame.columns[frame.isna().any().to_numpy()] if frame.shape[1] else []  # cells of short rows
    if len(short):
        frame[short] = frame[short].fillna("")
    empty_unnamed = [c for c in frame.columns if str(c).startswith("unnamed_") and frame[c].str.strip().eq("").all()]
    frame = frame.drop(columns=empty_unnamed)
    frame.insert(len(frame.columns), "_source_row", list(numbers) if not isinstance(numbers, range) else numbers)
    frame.insert(len(frame.columns), "_source_file", str(path))
    data_columns = [c for c in frame.columns if not str(c).startswith("_")]
    candidates = frame.index[frame[data_columns[0]].eq("")] if data_columns else frame.index
    blank = candidates[frame.loc[candidates, data_columns].apply(lambda c: c.str.strip().eq("")).all(axis=1)] \
        if len(candidates) else candidates
    if READ_PROBLEM in frame:
        blank = blank[frame.loc[blank, READ_PROBLEM].eq("")]
    return frame.drop(index=blank).reset_index(drop=True) if len(blank) else frame


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
        return True
    except ValueError:
        return False


def _locate_header(rows: list[list[str]], path: Path) -> tuple[int, list[str]]:
    """Index and names of the header: the first wide row of mostly text. A row of group titles
    directly above it (merged cells; not a title starting in column A) is folded into the names."""
    filled = [[c.strip() for c in row] for row in rows]
    widths = [sum(bool(c) for c in row) for row in filled]
    if not widths or max(widths) == 0:
        raise UnusableInputError(f"{path}: no table found (the first {HEADER_SEARCH_ROWS} rows are blank)")
    widest = max(widths)
    for index, row in enumerate(filled):  # noqa: B007  (the header index is used after the loop)
        cells = [c for c in row if c]
        if len(cells) >= max(1, 0.6 * widest) and sum(not _is_number(c) for c in cells) >= 0.6 * len(cells):
            break
    else:
        raise UnusableInputError(f"{path}: no header row found; the first row should name the columns")
    names = list(filled[index])
    above = filled[index - 1] if index > 0 else []
    is_group_row = widths[index - 1] >= 2 or (widths[index - 1] == 1 and not above[0]) if index > 0 else False
    if is_group_row and widths[index - 1] < widths[index]:
        group = ""
        for position, title in enumerate(filled[index - 1] + [""] * (len(names) - len(filled[index - 1]))):
            group = title or group
            if group and position < len(names) and names[position] and group != names[position]:
                names[position] = f"{group} {names[position]}"
    names = [name or f"unnamed_{position + 1}" for position, name in enumerate(names)]
    seen: dict[str, str] = {}
    for position, name in enumerate(names):
        key = re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_") or name
        if key in seen:
            raise UnusableInputError(f"{path}: columns {seen[key]!r} and {name!r} (column {position + 1}) in the "
                                     f"header row (row {index + 1}) name the same column; keep one")
        seen[key] = name
    return index, names
