"""The corpus of bad inputs in tests/bad_inputs/: each case gets one clear message (exit 2) or a
reconciled clean where every bad row is rejected with its reason. No traceback ever, and every
case finishes within a time and memory bound measured on its own process.

Each case runs the real CLI in a child forked from one warm process (``tests/corpus_runner.py``)
with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set, under ``umask 077``; the child's peak resident memory
(from ``wait4``) and wall time are checked against :data:`SECONDS` and :data:`MEMORY_MB`. Files
too big or too odd to keep in git (workbook bombs, a 2 GiB sparse CSV, a FIFO) are made at test
time by :func:`_generated`. Run the corpus alone with
``PYTHONPATH=$PWD .venv/bin/python -m pytest -q tests/test_bad_inputs.py``.
"""

import csv
import io
import json
import os
import shlex
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
RUNNER = Path(__file__).resolve().parent / "corpus_runner.py"
CASES = list(csv.DictReader((CORPUS / "cases.csv").open(encoding="utf-8")))
SECONDS = 60  # wall time of any one case (the attack allowed 120 s; most cases take well under 1 s)
MEMORY_MB = 1024  # peak resident memory any one case may add to the warm process
HEADER = ("enquiry_id,person_id,ons_code,cassr_code,locality,enquiry_type,concern_date,enquiry_start_date,"
          "concluded_date,financial_year,age,sex,ethnicity,primary_support_reason,risk_types,risk_location,"
          "risk_source,risk_assessment_outcome,risk_outcome,lacked_capacity,capacity_support,msp_asked,"
          "msp_outcome_achieved")
GOOD = ["EQ{i}", "PN{i}", "E08000025", "406", "North team", "Section 42", "2023-05-02", "2023-05-10", "2023-07-14",
        "2023-24", "82", "Female", "White", "Physical Support", "Neglect and Acts of Omission", "Own Home",
        "Service Provider", "Risk identified and action taken", "Risk reduced", "Don't know", "",
        "Yes they were asked and outcomes were expressed", "Fully Achieved"]


def _good_rows(count: int, start: int = 1) -> list[list[str]]:
    return [[cell.format(i=i) for cell in GOOD] for i in range(start, start + count)]


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([HEADER.split(","), *rows])
    return buffer.getvalue()


def _workbook(path: Path, change=None) -> Path:
    book = Workbook()
    sheet = book.active
    for row in [HEADER.split(","), *_good_rows(2)]:
        sheet.append(row)
    if change is not None:
        change(sheet)
    book.save(path)
    return path


def _rewrite_part(path: Path, part: str, edit) -> Path:
    """Rewrite one part of a zip (xlsx) in place through `edit(text) -> text`."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[part] = edit(parts.get(part, b"").decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _ods(path: Path, body_rows: str) -> Path:
    """A minimal ODS whose one table is the header and `body_rows` (table-row XML)."""
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{name}</text:p></table:table-cell>'
                    for name in HEADER.split(","))
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
               f'<table:table-row>{cells}</table:table-row>{body_rows}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


def _ods_row(values: list[str], repeat: int = 1) -> str:
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
                    if v else "<table:table-cell/>" for v in values)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{cells}</table:table-row>'


def _return(folder: Path, name: str, change) -> Path:
    import numpy as np

    from msp_analysis.io.workbook.template import write_template
    from tests.io.workbook.filling import REGION, WAVE, fill, simulated_people

    template = folder / "template.xlsx"
    if not template.exists():
        write_template(REGION, WAVE, template)
    people = simulated_people(np.random.default_rng(7), "County Durham", 2, 2)
    return fill(template, folder / name, "County Durham", people, change)


def _assurance(folder: Path, name: str, change=None) -> Path:
    """A provider's filled assurance return, `change(ws, rows)` applied to its Assurance sheet."""
    from msp_analysis.io.workbook.assurance import write_assurance_template
    from tests.io.workbook.filling import REGION, WAVE, assurance_answers, assurance_fill

    template = folder / "assurance_template.xlsx"
    if not template.exists():
        write_assurance_template("provider", REGION, WAVE, template)
    return assurance_fill(template, folder / name, assurance_answers("provider"), council="County Durham",
                          organisation="Durham Care", change=change)


def _formula_answers(ws, rows) -> None:
    for row in rows.values():
        ws.cell(row=row, column=5).value = '=IF(1,"Yes")'


def _hidden_scale_rag_for_reversed_items(book) -> None:
    from msp_analysis.reference.codebook import instrument

    reversed_items = set(instrument().query("reverse_coded")["item_id"])
    meta = book["_template"] if "_template" in book.sheetnames else book.worksheets[-1]
    for row in meta.iter_rows(min_col=1, max_col=2):
        if row[0].value in reversed_items:
            row[1].value = "rag5"


def _generated(name: str, folder: Path) -> list[Path]:
    """Files too big or too broken to keep in git, made the same way every time."""
    path = folder / name
    if name == "ev_ten_megabyte_cell.csv":
        good = pd.read_csv(CORPUS / "ev_extra_columns.csv", dtype=str, keep_default_na=False)
        good.loc[0, "risk_types"] = "Neglect" + "x" * 10_000_000
        good.to_csv(path, index=False)
    elif name == "ev_truncated.xlsx":
        book = Workbook()
        book.active.append(["enquiry_id", "age"])
        book.save(path)
        path.write_bytes(path.read_bytes()[:300])
    elif name == "ev_xlsx_cell_at_A1048576.xlsx":
        _workbook(path, lambda sheet: sheet.cell(row=1_048_576, column=1, value="x"))
    elif name == "ev_xlsx_cell_at_XFD1048576.xlsx":
        _workbook(path, lambda sheet: sheet.cell(row=1_048_576, column=16_384, value="x"))
    elif name == "ev_xlsx_declares_a_million_rows.xlsx":
        empty_rows = "".join(f'<row r="{r}" ht="15" customHeight="1"/>' for r in range(10, 1_000_000))
        _rewrite_part(_workbook(path), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
            "</sheetData>", empty_rows + "</sheetData>").replace('<dimension ref="A1:W3"/>',
                                                                 '<dimension ref="A1:XFD1048576"/>'))
    elif name == "ev_xlsx_shared_strings_bomb.xlsx":
        bomb = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                "<si><t>" + "a" * 60_000_000 + "</t></si></sst>")
        _rewrite_part(_workbook(path), "xl/sharedStrings.xml", lambda xml: bomb)
    elif name == "ev_ods_filled_row_repeated_a_million_times.ods":
        _ods(path, _ods_row(_good_rows(1)[0], repeat=1_048_576))
    elif name == "ev_ods_padded_with_a_million_empty_rows.ods":
        rows = "".join(_ods_row(row) for row in _good_rows(2))
        _ods(path, rows + '<table:table-row table:number-rows-repeated="1048570">'
                          '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    elif name == "ev_million_column_header.csv":
        path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n")
    elif name == "ev_sparse_two_gigabytes.csv":
        path.write_text(_csv_text(_good_rows(1)))
        os.truncate(path, 2 << 30)
    elif name == "ev_nul_after_four_kibibytes.csv":
        rows = _good_rows(40)
        rows[30][4] = "North\x00team"
        path.write_text(_csv_text(rows))
    elif name == "ev_fifo.csv":
        os.mkfifo(path)
    elif name == "ev_a_folder.csv":
        path.mkdir()
    elif name == "dev_zero":
        return [Path("/dev/zero")]
    elif name == "ev_fifty_thousand_columns.csv":
        names = HEADER.split(",") + [f"extra_{i}" for i in range(50_000 - len(HEADER.split(",")))]
        row = _good_rows(1)[0] + [""] * (len(names) - len(GOOD))
        path.write_text(",".join(names) + "\n" + ",".join(f'"{v}"' if "," in v else v for v in row) + "\n")
    elif name == "ev_duplicate_across_two_files.csv":
        other = folder / "ev_second_file.csv"
        path.write_text(_csv_text(_good_rows(2)))
        other.write_text(_csv_text(_good_rows(2, start=2)))
        return [path, other]
    elif name == "\t=1+1ev.csv":
        rows = _good_rows(2)
        rows[0][11] = "\t=1+1"
        path.write_text(_csv_text(rows))
    elif name == "ev_two_columns_mapped_onto_age.csv":
        path.write_text(_csv_text(_good_rows(1)).replace("age,", "Age in years,", 1).replace(
            "financial_year,", "financial_year,Years old,", 1).replace("2023-24,", "2023-24,80,", 1))
        (folder / "mapping.yaml").write_text("Age in years: age\nYears old: age\n")
    elif name == "tc_return_stray_cell_at_last_row.xlsx":
        _return(folder, name, lambda book: book["Return"].cell(row=1_048_576, column=16_384, value="stray"))
    elif name == "tc_return_hidden_sheet_claims_rag_scale.xlsx":
        _return(folder, name, _hidden_scale_rag_for_reversed_items)
    elif name == "as_return_stray_cell_at_last_row.xlsx":
        _assurance(folder, name, lambda ws, rows: ws.cell(row=1_048_576, column=16_384, value="stray"))
    elif name == "as_formula_answers.xlsx":
        _assurance(folder, name, _formula_answers)
    elif name == "as_temperature_check_return.xlsx":
        _return(folder, name, None)
    elif name == "as_shared_strings_bomb.xlsx":
        bomb = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                "<si><t>" + "a" * 60_000_000 + "</t></si></sst>")
        _rewrite_part(_assurance(folder, name), "xl/sharedStrings.xml", lambda xml: bomb)
    elif name == "clean_evaluation.parquet":
        from msp_analysis.clean.evaluation import clean_evaluation
        from msp_analysis.io.tables import read_table

        clean_evaluation(read_table(CORPUS / "ev_extra_columns.csv")).clean.to_parquet(path)
    elif name == "processed":
        from msp_analysis.clean.evaluation import clean_evaluation
        from msp_analysis.io.tables import read_table

        path.mkdir()
        clean_evaluation(read_table(CORPUS / "ev_extra_columns.csv")).clean.to_parquet(path / "evaluation.parquet")
    elif name in ("ev_out_folder_in_use.csv", "ev_out_folder_stale_lock.csv"):
        from msp_analysis.toolkit.files import LOCK_FILE, _process_start

        path.write_text(_csv_text(_good_rows(2)))
        if name.endswith("in_use.csv"):
            pid = os.getpid()  # this test process: alive while the case runs
        else:
            finished = subprocess.Popen(["true"])
            finished.wait()
            pid = finished.pid
        (folder / "out").mkdir()
        (folder / "out" / LOCK_FILE).write_text(json.dumps({"pid": pid, "started": _process_start(pid),
                                                            "command": "clean", "since": "earlier"}))
        (folder / "out").chmod(0o700)  # as the first writer would have made them under the corpus's umask 077
        (folder / "out" / LOCK_FILE).chmod(0o600)
    elif name == "-":
        return []
    else:
        raise AssertionError(f"no generator for {name}")
    return [path]


@pytest.fixture(scope="module")
def runner():
    """One warm process that forks a bounded child per case (tests/corpus_runner.py)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(RUNNER.parents[1]), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, str(RUNNER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=env, cwd=RUNNER.parents[1])
    assert json.loads(process.stdout.readline()) == {"ready": True}

    def run(argv: list[str], cwd: Path) -> dict:
        request = {"argv": argv, "cwd": str(cwd), "umask": 0o077, "seconds": SECONDS, "memory_mb": MEMORY_MB + 512}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    yield run
    process.stdin.close()
    process.wait(timeout=30)


def _argv(case: dict, inputs: list[Path], out: Path, folder: Path) -> list[str]:
    command = (case.get("command") or "clean").split()
    extra = shlex.split((case.get("extra") or "").format(dir=folder, input=inputs[0] if inputs else ""))
    if command == ["clean"]:
        return ["clean", case["kind"], *map(str, inputs), "--out", str(out), *extra]
    if command == ["validate"]:
        return ["validate", case["kind"], *map(str, inputs), *extra]
    return [*command, *extra]


# cases that take 5-15 s each (a million empty XML rows, 50,000 columns read): `make test` runs them, test-fast not
LONG_CASES = {("GENERATED:ev_xlsx_declares_a_million_rows.xlsx", ""),
              ("GENERATED:ev_fifty_thousand_columns.csv", "--limit columns=60000")}


FAST_SAMPLE = 4  # test-fast runs every 4th case (about 20 s); `make test` runs them all


def _param(case: dict, position: int):
    slow = (case["file"], case.get("extra") or "") in LONG_CASES or position % FAST_SAMPLE
    marks = [pytest.mark.long] if slow else []
    name = case["file"].replace("GENERATED:", "") + ("-" + case["command"] if case.get("command") else "")
    return pytest.param(case, marks=marks, id=name)


@pytest.mark.parametrize("case", [_param(c, i) for i, c in enumerate(CASES)])
def test_bad_input_gives_a_clear_message_or_a_reconciled_clean_within_bounds(case, tmp_path, runner):
    name = case["file"]
    inputs = _generated(name.split(":", 1)[1], tmp_path) if name.startswith("GENERATED:") else [CORPUS / name]
    out = tmp_path / "out"
    relative = name.startswith("GENERATED:\t")  # a file name that is a formula, as a council would type it
    if relative:  # a relative path is read from the project root (toolkit.paths): make the case's folder one
        (tmp_path / ".msp-project").write_text("a project folder for this case\n", encoding="utf-8")
    argv = _argv(case, [Path(p.name) for p in inputs] if relative else inputs, out, tmp_path)
    result = runner(argv, tmp_path)
    shown = result["stdout"] + result["stderr"]
    if os.environ.get("MSP_CORPUS_REPORT"):  # one line per case: how long it took and what it cost
        with open(os.environ["MSP_CORPUS_REPORT"], "a", encoding="utf-8") as report:
            report.write(json.dumps({"case": name, "command": case.get("command") or "clean", "code": result["code"],
                                     "seconds": result["seconds"], "peak_mb": result["peak_mb"]}) + "\n")
    assert not result["timed_out"], f"took more than {SECONDS} s"
    assert result["peak_mb"] < MEMORY_MB, f"{result['peak_mb']} MB"
    assert "Traceback" not in shown and "internal error" not in shown, shown[-2000:]
    assert result["code"] == int(case["exit_code"]), shown[-2000:]
    for folder in (out, tmp_path / "pack", tmp_path / "feedback", tmp_path / "sim"):  # what the command wrote
        for written in folder.rglob("*") if folder.exists() else []:
            assert stat.S_IMODE(written.stat().st_mode) & 0o077 == 0, f"{written} is open to others under umask 077"
    if case.get("command") not in (None, "", "clean"):
        for part in case["expect"].split("|"):
            assert part in shown, shown[-2000:]
        if result["code"] == 2:
            assert result["stderr"].count("msp-analysis: error:") == 1 and result["stderr"].count("\n") == 1
        return
    if result["code"] == 2:
        assert result["stderr"].count("msp-analysis: error:") == 1 and result["stderr"].count("\n") == 1, \
            "one message, on one line"
        assert str(inputs[0]) in result["stderr"] or str(out) in result["stderr"], "the message names the file"
        assert case["expect"] in result["stderr"]
        assert not out.exists() or not list(out.glob("*.parquet")), "nothing half-written"
        return
    manifest = json.loads((out / f"{case['kind']}.manifest.json").read_text())
    assert manifest["reconciles"] and manifest["rows_in"] == (
        manifest["rows_clean"] + manifest["rows_rejected"] + manifest.get("rows_folded", 0))
    rejects = pd.read_csv(out / f"{case['kind']}.rejects.csv", dtype=str, keep_default_na=False)
    assert rejects["reason"].str.len().gt(0).all()
    assert rejects["value"].str.len().le(1000).all(), "huge cells are named, not copied"
    for column in rejects.columns:
        risky = rejects[column].str.lstrip("'").str.match("[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")
        assert rejects.loc[risky, column].str.startswith("'").all(), f"a formula-like {column} is not neutralised"
    counts = [part for part in case["expect"].split("|") if part.startswith("rows_")]
    for condition in counts:
        key, value = condition.split("=")
        assert manifest[key] == int(value), manifest
    for part in [part for part in case["expect"].split("|") if part not in counts]:
        found = rejects["reason"].str.contains(part, regex=False) | rejects["value"].str.contains(part, regex=False) \
            | rejects["column"].str.contains(part, regex=False)
        assert found.any(), f"no reject mentions {part!r}: {rejects.to_dict('records')}"
    files = {str(p) for p in inputs} | {p.name for p in inputs} | {"'" + p.name for p in inputs}
    assert rejects["file"].isin(files).all() and rejects["row"].astype(int).ge(1).all()


def test_corpus_covers_the_four_kinds_and_every_class_of_attack():
    assert len(CASES) >= 60
    assert {c["kind"] for c in CASES} >= {"evaluation", "sac", "temperature_check", "la_measures"}
    on_disk = {p.name for p in CORPUS.iterdir()} - {"cases.csv"}
    listed = {c["file"] for c in CASES if not c["file"].startswith("GENERATED:")}
    assert on_disk == listed, "every file in the corpus has a stated expectation"


def test_return_with_a_stray_cell_at_the_last_row_reads_without_filling_the_sheet(tmp_path):
    from msp_analysis.io.workbook.returns import read_return

    path = _generated("tc_return_stray_cell_at_last_row.xlsx", tmp_path)[0]
    reading = read_return(path)
    assert reading.usable and reading.respondents
    assert [p.cell for p in reading.problems if p.code == "extra_column"] == ["XFD1048576"]
    assert load_workbook(path)["Return"].max_row == 1_048_576, "the stray cell is really there"
