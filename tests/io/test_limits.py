"""Input limits: named defaults a user can raise, checked before anything is read."""

import os
import zipfile

import pytest

from msp_analysis.io.limits import DEFAULT_LIMITS, Limits, check_input_file, check_zip_parts, parse_limits
from msp_analysis.io.tables import READ_PROBLEM, read_table
from msp_analysis.toolkit.errors import ParameterError, UnusableInputError


def test_limits_are_raised_by_name_and_bad_ones_refused():
    assert parse_limits(None) == DEFAULT_LIMITS
    raised = parse_limits(["file_mb=2048", "cells=1e8", "columns=60000"])
    assert raised.file_mb == 2048 and raised.cells == 100_000_000 and isinstance(raised.columns, int)
    for bad in ("rows=5", "file_mb", "file_mb=abc", "file_mb=0", "cells=inf"):
        with pytest.raises(ParameterError):
            parse_limits([bad])


def test_what_is_not_a_regular_file_is_named_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for path, message in ((fifo, "named pipe"), (tmp_path, "is a folder"), ("/dev/zero", "is a device"),
                          (tmp_path / "gone.csv", "no such file")):
        with pytest.raises(UnusableInputError, match=message):
            check_input_file(path)


def test_a_file_over_the_size_limit_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a\n1\n")
    os.truncate(path, 3 << 20)
    with pytest.raises(UnusableInputError, match=r"the file is 3 MB, more than the limit of 2 \(file_mb\)"):
        check_input_file(path, Limits(file_mb=2))


def test_a_workbook_part_that_would_unpack_too_far_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * (12 << 20) + "</a>")
    with pytest.raises(UnusableInputError, match="zip_ratio"):
        check_zip_parts(path)
    check_zip_parts(path, Limits(zip_ratio=100_000))
    with pytest.raises(UnusableInputError, match="part_mb"):
        check_zip_parts(path, Limits(part_mb=5, zip_ratio=100_000))


def test_rows_the_reader_cannot_vouch_for_carry_their_reason(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("id,name\n1,Café\n".encode() + "2,Café\n".encode("cp1252") + b"3,x\x00y\n")
    frame = read_table(path)
    assert frame["id"].tolist() == ["1", "2", "3"], "no row is dropped"
    assert frame[READ_PROBLEM].tolist()[0] == ""
    assert "mixed encodings" in frame[READ_PROBLEM].iloc[1] and "NUL byte" in frame[READ_PROBLEM].iloc[2]
    assert frame.loc[0, "name"] == "Café"


def test_utf16_is_read_with_or_without_its_byte_order_mark(tmp_path):
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes("id,name\r\n1,Café – x\r\n".encode(encoding))
        assert read_table(path).loc[0, "name"] == "Café – x"


def test_a_fixed_limit_says_what_to_check_instead_of_how_to_raise_it(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)
    with pytest.raises(UnusableInputError, match=r"--limit file_mb=VALUE"):
        check_input_file(big, Limits(file_mb=2))
    with pytest.raises(UnusableInputError, match=r"\(file_mb\); is it the right file\?$"):
        check_input_file(big, Limits(file_mb=2, hint="is it the right file?"))
