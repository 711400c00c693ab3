"""Readers and writers: encodings, header location, row numbers people can find, atomic writes."""

import pandas as pd
import pytest
from openpyxl import Workbook

from msp_analysis.clean.common import apply_column_mapping
from msp_analysis.io.processed import read_column_mapping
from msp_analysis.io.tables import read_table
from msp_analysis.toolkit.errors import UnusableInputError
from msp_analysis.toolkit.files import (
    atomic_path,
    neutralise_formulas,
    sha256_of,
    write_csv,
)

ROWS = "ons_code,name,value\nE06000047,County Durham,\"1,234\"\nE08000021,Newcastle upon Tyne,5\n"


@pytest.mark.parametrize(
    "encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")], ids=["utf8", "bom", "cp1252"]
)
def test_csv_encodings_are_detected(tmp_path, encoding, prefix):
    path = tmp_path / "t.csv"
    path.write_bytes(prefix + (ROWS + "E09000001,Caf\u00e9 \u2013 City,7\n").encode(encoding))
    frame = read_table(path)
    assert list(frame.columns[:3]) == ["ons_code", "name", "value"]
    assert frame.loc[2, "name"] == "Caf\u00e9 \u2013 City"
    assert frame.loc[0, "value"] == "1,234", "numbers stay text; cleaners parse them"


def test_title_rows_are_skipped_and_row_numbers_match_the_file(tmp_path):
    path = tmp_path / "published.csv"
    path.write_text("Safeguarding Adults Collection 2023-24\nSource: NHS England\n\n" + ROWS + "\nE06000001,Hartlepool,3\n")
    frame = read_table(path)
    assert list(frame["ons_code"]) == ["E06000047", "E08000021", "E06000001"]
    assert list(frame["_source_row"]) == [5, 6, 8], "blank lines are skipped but rows keep their line numbers"
    assert set(frame["_source_file"]) == {str(path)}


def test_semicolon_delimiter_is_detected(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text(ROWS.replace(",", ";").replace('"1;234"', "1234"))
    assert read_table(path).shape[0] == 2 and read_table(path).loc[0, "value"] == "1234"


def test_xlsx_with_title_rows_and_group_header(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Table 8: Making Safeguarding Personal"])
    sheet.append([])
    sheet.append(["", "", "Outcomes achieved", "", ""])
    sheet.append(["ONS area code", "CASSR Name", "Fully", "Partially", "Not"])
    sheet.append(["E06000047", "County Durham", "100", "20", "[c]"])
    path = tmp_path / "t8.xlsx"
    book.save(path)
    frame = read_table(path)
    assert list(frame.columns[:5]) == ["ONS area code", "CASSR Name", "Outcomes achieved Fully",
                                       "Outcomes achieved Partially", "Outcomes achieved Not"]
    assert frame.loc[0, "_source_row"] == 5 and frame.loc[0, "Outcomes achieved Not"] == "[c]"


def test_ods_is_read(tmp_path):
    path = tmp_path / "t.ods"
    pd.DataFrame({"ons_code": ["E06000047"], "value": ["[c]"]}).to_excel(path, engine="odf", index=False)
    assert read_table(path).loc[0, "value"] == "[c]"


@pytest.mark.parametrize(
    "content,message",
    [(b"", "the file is empty"), (b"\x00\x01\x02garbage\x00", "binary content"), (b"\n\n\n", "no table found")],
)
def test_unusable_files_give_one_message_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnusableInputError, match=message) as error:
        read_table(path)
    assert str(path) in str(error.value)


def test_missing_and_truncated_files(tmp_path):
    with pytest.raises(UnusableInputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(UnusableInputError, match="cannot be read as a table"):
        read_table(truncated)


def test_atomic_write_leaves_nothing_when_the_block_fails(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_text("half")
        raise RuntimeError("crash")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_written_csv_neutralises_formulas(tmp_path):
    frame = pd.DataFrame({"value": ["=HYPERLINK(\"x\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "plain"]})
    write_csv(tmp_path / "out.csv", frame)
    values = pd.read_csv(tmp_path / "out.csv", dtype=str)["value"].tolist()
    assert all(v.startswith("'") for v in values[:4]) and values[4] == "plain"
    assert neutralise_formulas(pd.DataFrame({"n": [1, -2]}))["n"].tolist() == [1, -2], "numbers are left alone"


def test_column_mapping_renames_a_councils_own_names(tmp_path):
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text("Case Ref: enquiry_id\n'Date Closed': concluded_date\n")
    mapping = read_column_mapping(mapping_file)
    frame = apply_column_mapping(pd.DataFrame(columns=["case ref", "DATE CLOSED", "other"]), mapping)
    assert list(frame.columns) == ["enquiry_id", "concluded_date", "other"]


@pytest.mark.parametrize("text", ["- just\n- a list\n", "!!python/object/apply:os.system ['echo hi']\n", "a: [1, 2]\n"])
def test_column_mapping_rejects_anything_but_a_mapping_of_names(tmp_path, text):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    with pytest.raises(UnusableInputError, match="mapping"):
        read_column_mapping(path)


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    assert sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
