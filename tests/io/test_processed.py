"""Processed outputs: the manifest names the publisher's file of every input fetched with ``msp-analysis fetch``."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
import pytest

from msp_analysis.cli import main
from msp_analysis.io.fetch import SOURCES_FILE, fetch
from msp_analysis.io.processed import publisher_files, write_clean_outputs
from msp_analysis.toolkit.errors import UnusableInputError
from tests.clean.sac_frames import frame, row
from tests.io.loopback import Publisher

WHEN = datetime(2025, 11, 30, 9, 15, 0, tzinfo=timezone.utc)


@dataclass
class Result:
    """The smallest CleanOutput: two clean rows, nothing rejected."""

    clean: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"value": [1, 2]}))
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "row", "column", "value",
                                                                                "reason"]))
    rows_in: int = 2
    rows_rejected: int = 0
    rows_filtered: int = 0
    filter_reasons: dict = field(default_factory=dict)

    @property
    def rows_clean(self) -> int:
        return len(self.clean)

    def reconciles(self) -> bool:
        return True


@pytest.fixture
def publisher():
    with Publisher() as server:
        yield server


def test_an_input_without_sources_json_is_recorded_as_before(tmp_path):
    raw = tmp_path / "raw" / "evaluation.csv"
    raw.parent.mkdir()
    raw.write_text("enquiry_id\n1\n2\n", encoding="utf-8")
    manifest = write_clean_outputs("evaluation", Result(), [raw], tmp_path / "processed")
    assert manifest["inputs"] == [{"path": str(raw), "sha256": hashlib.sha256(raw.read_bytes()).hexdigest()}]
    assert publisher_files(tmp_path / "processed" / "evaluation.parquet") == []


def test_a_fetched_input_carries_the_publishers_file_into_the_manifest(publisher, tmp_path):
    body = b"ons_code,value\nE06000047,12\n"
    url = publisher.serve("/sac/sac-eng-2023-24.csv", body, content_type="text/csv")
    fetched = fetch("sac", "2023-24", tmp_path / "raw", url=url, now=WHEN).path
    other = tmp_path / "raw" / "by-hand.csv"
    other.write_text("ons_code,value\n", encoding="utf-8")  # same folder, not fetched: no record
    manifest = write_clean_outputs("sac", Result(), [fetched, other], tmp_path / "processed")
    first, second = manifest["inputs"]
    assert first["sha256"] == hashlib.sha256(body).hexdigest()
    source = first["publisher_file"]
    assert source["file"] == "sac-eng-2023-24.csv" and source["url"] == url
    assert source["fetched"] == "2025-11-30T09:15:00Z" and source["size"] == len(body)
    assert source["sha256"] == first["sha256"] and source["unchanged_since_fetch"] is True
    assert "publisher_file" not in second
    on_disk = json.loads((tmp_path / "processed" / "sac.manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert publisher_files(tmp_path / "processed" / "sac.parquet") == [source]


def test_an_input_edited_after_it_was_fetched_says_so(publisher, tmp_path):
    url = publisher.serve("/sac-eng-2023-24.csv", b"ons_code,value\nE06000047,12\n", content_type="text/csv")
    fetched = fetch("sac", "2023-24", tmp_path / "raw", url=url, now=WHEN).path
    fetched.write_text("ons_code,value\nE06000047,13\n", encoding="utf-8")
    manifest = write_clean_outputs("sac", Result(), [fetched], tmp_path / "processed")
    source = manifest["inputs"][0]["publisher_file"]
    assert source["unchanged_since_fetch"] is False and source["sha256"] != manifest["inputs"][0]["sha256"]


def test_clean_of_a_fetched_sac_file_records_the_chain(publisher, tmp_path, capsys):
    csv = frame(row(FINANCIAL_YEAR="2023-24")).to_csv(index=False).encode()
    url = publisher.serve("/files/sac-eng-2023-24-csv.csv", csv, content_type="text/csv")
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    assert main(["fetch", "sac", "--year", "2023-24", "--url", url, "--out", str(raw)]) == 0
    assert main(["clean", "sac", str(raw / "sac-eng-2023-24-csv.csv"), "--out", str(processed)]) == 0
    [source] = publisher_files(processed / "sac.parquet")
    assert source["url"] == url and source["sha256"] == hashlib.sha256(csv).hexdigest()
    assert (raw / SOURCES_FILE).is_file()


def test_a_raw_public_file_names_its_own_record(publisher, tmp_path):
    url = publisher.serve("/trend_data.csv", b"Year,Measure_Value\n2023-24,71.1\n", content_type="text/csv")
    done = fetch("la_measures", "2023-24", tmp_path / "ascof_trend_2017_2024", url=url, now=WHEN)
    [source] = publisher_files(done.path)
    assert source["url"] == url and source["unchanged_since_fetch"] is True
    assert publisher_files(tmp_path / "nothing-here.csv") == []


def test_a_broken_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "sac.parquet").write_bytes(b"PAR1")
    (tmp_path / "sac.manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(UnusableInputError, match=r"sac.manifest.json: cannot be read .*msp-analysis clean"):
        publisher_files(tmp_path / "sac.parquet")


# --- simulated data: the mark the simulator leaves, carried into the manifest ---------------------------


def test_files_the_simulator_wrote_are_simulated_in_the_manifest_and_others_are_not(small_demo, tmp_path):
    from msp_analysis.io.processed import SIMULATED_FILE, is_simulated, simulation_truth

    raw, processed = small_demo["raw"], small_demo["processed"]
    marker = json.loads((raw / SIMULATED_FILE).read_text(encoding="utf-8"))
    assert marker["simulated"] is True and marker["seed"] == 7
    assert sorted(marker["files"]) == ["council_covariates.csv", "evaluation.csv", "person_feedback.csv",
                                      "temperature_check.csv", "truth.json"]
    for kind in ("evaluation", "temperature_check"):
        manifest = json.loads((processed / f"{kind}.manifest.json").read_text(encoding="utf-8"))
        assert manifest["simulated"] is True and [entry["simulated"] for entry in manifest["inputs"]] == [True]
    assert is_simulated(processed)
    assert simulation_truth(processed) == json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    # a file of the user's own in the same folder is not listed by the marker: not simulated
    own = raw / "own_extract.csv"
    own.write_text("enquiry_id\n1\n2\n", encoding="utf-8")
    manifest = write_clean_outputs("evaluation", Result(), [own], tmp_path / "own")
    assert manifest["simulated"] is False and "simulated" not in manifest["inputs"][0]
    assert not is_simulated(tmp_path / "own") and simulation_truth(tmp_path / "own") is None
    own.unlink()


def test_a_folder_cleaned_from_a_file_without_the_mark_is_not_simulated(tmp_path, capsys):
    from msp_analysis.io.processed import is_simulated, simulation_truth

    source = "tests/bad_inputs/ev_extra_columns.csv"
    assert main(["clean", "evaluation", source, "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "evaluation.manifest.json").read_text(encoding="utf-8"))
    assert manifest["simulated"] is False and manifest["inputs"][0] == {"path": source, "sha256": manifest["inputs"][0]["sha256"]}
    assert not is_simulated(tmp_path) and simulation_truth(tmp_path) is None
    assert not is_simulated(tmp_path / "no-such-folder")


def test_a_manifest_from_before_the_mark_is_judged_by_the_folder_of_its_inputs(tmp_path):
    from msp_analysis.io.processed import is_simulated, simulation_truth

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "evaluation.csv").write_text("enquiry_id\n1\n", encoding="utf-8")
    old = {"kind": "evaluation", "inputs": [{"path": str(raw / "evaluation.csv"), "sha256": "x"}]}  # no "simulated"
    (tmp_path / "evaluation.manifest.json").write_text(json.dumps(old), encoding="utf-8")
    assert not is_simulated(tmp_path)
    (raw / "truth.json").write_text(json.dumps({"effects": {"staffing": 0.2}}), encoding="utf-8")  # the simulator's
    assert is_simulated(tmp_path) and simulation_truth(tmp_path) == {"effects": {"staffing": 0.2}}
    (tmp_path / "evaluation.manifest.json").write_text(json.dumps({**old, "simulated": False}), encoding="utf-8")
    assert not is_simulated(tmp_path), "a manifest that says it is not simulated is believed"


def test_an_unreadable_marker_or_manifest_is_an_error_that_says_what_to_do(tmp_path):
    from msp_analysis.io.processed import SIMULATED_FILE, is_simulated

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "evaluation.csv").write_text("enquiry_id\n1\n", encoding="utf-8")
    (raw / SIMULATED_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="SIMULATED.json: cannot be read; run `msp-analysis simulate`"):
        write_clean_outputs("evaluation", Result(), [raw / "evaluation.csv"], tmp_path / "processed")
    (tmp_path / "broken.manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="broken.manifest.json: cannot be read"):
        is_simulated(tmp_path)


# --- relative paths: read from the project root wherever the kernel starts --------------------------------


def test_processed_files_are_found_from_notebooks_as_from_the_project_root(small_demo, tmp_path, monkeypatch):
    import shutil

    from msp_analysis.io.processed import is_simulated, read_clean, simulation_truth

    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / ".msp-project").write_text("marker\n")
    shutil.copytree(small_demo["raw"], root / "data" / "raw" / "demo")
    monkeypatch.chdir(root)
    assert main(["clean", "evaluation", "data/raw/demo/evaluation.csv", "--out", "data/processed/demo"]) == 0
    manifest = json.loads((root / "data/processed/demo/evaluation.manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"][0]["path"] == "data/raw/demo/evaluation.csv", "recorded relative to the root"
    rows = len(read_clean("evaluation", "data/processed/demo"))
    monkeypatch.chdir(root / "notebooks")  # where JupyterLab starts the kernel
    assert len(read_clean("evaluation", "data/processed/demo")) == rows > 0
    assert is_simulated("data/processed/demo")
    assert simulation_truth("data/processed/demo") == json.loads(
        (root / "data/raw/demo/truth.json").read_text(encoding="utf-8")), "the truth is found from notebooks/ too"


def test_a_missing_data_folder_is_named_as_resolved(tmp_path, monkeypatch):
    from msp_analysis.io.processed import read_clean

    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / ".msp-project").write_text("marker\n")
    monkeypatch.chdir(root / "notebooks")
    with pytest.raises(UnusableInputError) as caught:
        read_clean("evaluation", "data/processed/demo")
    message = str(caught.value)
    assert message.startswith(f"{root / 'data' / 'processed' / 'demo'}: no such folder")
    assert f"read from the project root {root}" in message and "make demo" in message
    (root / "data" / "processed" / "demo").mkdir(parents=True)
    with pytest.raises(UnusableInputError, match=f"^{root}/data/processed/demo/evaluation.parquet: not found"):
        read_clean("evaluation", "data/processed/demo")
    with pytest.raises(UnusableInputError, match=f"^{tmp_path}/absent: no such folder; make it"):
        read_clean("evaluation", tmp_path / "absent")


def test_record_level_outputs_are_owner_only_and_the_manifest_follows_the_umask(tmp_path):
    import os
    import stat

    raw = tmp_path / "evaluation.csv"
    raw.write_text("enquiry_id\n1\n2\n", encoding="utf-8")
    old = os.umask(0o022)
    try:
        write_clean_outputs("evaluation", Result(), [raw], tmp_path / "processed")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "processed").iterdir()}
    assert modes == {"evaluation.parquet": 0o600, "evaluation.rejects.csv": 0o600, "evaluation.manifest.json": 0o644}
