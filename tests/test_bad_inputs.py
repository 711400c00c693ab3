"""The corpus of bad inputs in tests/bad_inputs/: each file gets one clear message (exit 2) or a
reconciled clean where every bad row is rejected with its reason. No traceback ever."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from msp_analysis.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = list(csv.DictReader((CORPUS / "cases.csv").open(encoding="utf-8")))


def _generated(name: str, folder: Path) -> Path:
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
    return path


@pytest.mark.parametrize("case", CASES, ids=[c["file"].replace("GENERATED:", "") for c in CASES])
def test_bad_input_gives_a_clear_message_or_a_reconciled_clean(case, tmp_path, capsys):
    name = case["file"]
    source = _generated(name.split(":", 1)[1], tmp_path) if name.startswith("GENERATED:") else CORPUS / name
    out = tmp_path / "out"
    code = main(["clean", case["kind"], str(source), "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code == int(case["exit_code"]), captured.err
    if code == 2:
        assert captured.err.count("msp-analysis: error:") == 1
        assert str(source) in captured.err, "the message names the file"
        assert case["expect"] in captured.err
        assert not out.exists() or not list(out.glob("*.parquet")), "nothing half-written"
        return
    manifest = json.loads((out / f"{case['kind']}.manifest.json").read_text())
    assert manifest["reconciles"] and manifest["rows_in"] == (
        manifest["rows_clean"] + manifest["rows_rejected"] + manifest.get("rows_folded", 0))
    rejects = pd.read_csv(out / f"{case['kind']}.rejects.csv", dtype=str, keep_default_na=False)
    assert rejects["reason"].str.len().gt(0).all()
    assert rejects["value"].str.len().le(1000).all(), "huge cells are named, not copied"
    expect = case["expect"]
    if expect.startswith("rows_"):
        key, value = expect.split("=")
        assert manifest[key] == int(value)
    else:
        for part in expect.split("|"):
            found = rejects["reason"].str.contains(part, regex=False) | rejects["value"].str.contains(part, regex=False) \
                | rejects["column"].str.contains(part, regex=False)
            assert found.any(), f"no reject mentions {part!r}: {rejects.to_dict('records')}"
        assert (rejects["file"] == str(source)).all() and rejects["row"].astype(int).ge(1).all()


def test_corpus_has_at_least_thirty_cases_across_the_four_kinds():
    assert len(CASES) >= 30
    assert {c["kind"] for c in CASES} == {"evaluation", "sac", "temperature_check", "la_measures"}
    on_disk = {p.name for p in CORPUS.iterdir()} - {"cases.csv"}
    listed = {c["file"] for c in CASES if not c["file"].startswith("GENERATED:")}
    assert on_disk == listed, "every file in the corpus has a stated expectation"


def test_formula_cells_in_written_rejects_are_neutralised(tmp_path):
    assert main(["clean", "evaluation", str(CORPUS / "ev_formula_strings.csv"), "--out", str(tmp_path)]) == 0
    values = pd.read_csv(tmp_path / "evaluation.rejects.csv", dtype=str, keep_default_na=False)["value"]
    risky = values[values.str.lstrip("'").str[:1].isin(list("=+-@"))]
    assert len(risky) and risky.str.startswith("'").all()
