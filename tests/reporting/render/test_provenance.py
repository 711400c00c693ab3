"""Provenance from source to report: a report built from fetched inputs names the publisher's files."""

import hashlib
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from msp_analysis import __version__
from msp_analysis.cli import main
from msp_analysis.io.fetch import fetch
from msp_analysis.io.processed import write_clean_outputs
from msp_analysis.reporting.render.batch import _cache_key, _plan, render_reports, validate_parameters
from msp_analysis.reporting.render.provenance import provenance_markdown, source_lines
from tests.io.loopback import Publisher
from tests.io.test_processed import Result

WHEN = datetime(2025, 11, 30, 9, 15, 0, tzinfo=timezone.utc)
SHA = "a" * 64
LINE = ("sac.parquet", "sac-eng-2021-22-data-tables.xlsx",
        "https://files.digital.nhs.uk/BE/C03367/sac-eng-2021-22-data-tables.xlsx", "2025-11-30T09:15:00Z", SHA, True)


@pytest.fixture
def publisher():
    with Publisher() as server:
        yield server


def block(**options) -> str:
    return provenance_markdown([("data_dir", "x")], [("sac.parquet", "f" * 64)], "Disclosure control: the Safeguarding Adults Collection's rules (policy sac).",
                               when=WHEN, commit=None, **options)


def test_without_fetched_inputs_the_block_is_as_before():
    assert "Publisher" not in block()
    assert block() == block(sources=())


def test_the_publishers_file_is_named_beside_the_processed_files_hash():
    text = block(sources=[LINE])
    lines = text.splitlines()
    inputs = lines.index("- **Input files (sha256):** `sac.parquet` `" + "f" * 64 + "`")
    assert lines[inputs + 1] == (
        "- **Publisher's files:** `sac-eng-2021-22-data-tables.xlsx` from "
        "<https://files.digital.nhs.uk/BE/C03367/sac-eng-2021-22-data-tables.xlsx>, fetched 2025-11-30T09:15:00Z, "
        f"sha256 `{SHA}` (in `sac.parquet`)")


def test_an_input_changed_since_it_was_fetched_says_so():
    assert "changed since it was fetched" in block(sources=[(*LINE[:5], False)])
    assert "changed since" not in block(sources=[LINE])


def fetched_processed_folder(publisher, tmp_path, kind: str = "temperature_check"):
    """A processed folder whose input was fetched from the loopback publisher: (folder, url, sha256 of the file)."""
    body = b"org_id,wave\nX,2023-24\n"
    url = publisher.serve(f"/returns/{kind}.csv", body, content_type="text/csv")
    raw = fetch(kind, "2023-24", tmp_path / "raw", url=url, now=WHEN).path
    write_clean_outputs(kind, Result(), [raw], tmp_path / "processed")
    return tmp_path / "processed", url, hashlib.sha256(body).hexdigest()


def test_source_lines_follow_the_manifest_to_the_publishers_file(publisher, tmp_path):
    processed, url, sha = fetched_processed_folder(publisher, tmp_path)
    assert source_lines(processed / "temperature_check.parquet") == (
        ("temperature_check.parquet", "temperature_check.csv", url, "2025-11-30T09:15:00Z", sha, True),)
    assert source_lines(processed / "evaluation.parquet") == ()


def test_the_batch_gives_each_report_the_publishers_files_of_its_inputs(publisher, tmp_path):
    processed, url, sha = fetched_processed_folder(publisher, tmp_path)
    params = validate_parameters("temperature_check", {"region": "North East", "wave": "2023-24",
                                                      "data_dir": str(processed)})
    [task], cached = _plan([("temperature_check", params)], tmp_path / "out", "msp-analysis", force=False)
    assert cached == []
    assert task.sources == (("temperature_check.parquet", "temperature_check.csv", url, "2025-11-30T09:15:00Z",
                             sha, True),)
    text = provenance_markdown(task.public_parameters, task.inputs, task.policy, sources=task.sources, commit=None)
    assert url in text and sha in text and "2025-11-30T09:15:00Z" in text


def test_the_cache_key_of_a_report_without_fetched_inputs_adds_only_the_page_and_its_template(tmp_path):
    """Issue 13: a report's page (links, publisher) and the template's files are part of its key, so a new layout
    renders every report once; otherwise the key is what it was, and the same in every plan."""
    from msp_analysis.reporting.render.export import TEMPLATE_VERSION

    processed = tmp_path / "processed"
    processed.mkdir()
    pd.DataFrame({"value": [1]}).to_parquet(processed / "temperature_check.parquet")
    params = validate_parameters("temperature_check", {"region": "North East", "wave": "2023-24",
                                                      "data_dir": str(processed)})
    [task], _ = _plan([("temperature_check", params)], tmp_path / "out", "msp-analysis", force=False)
    [again], _ = _plan([("temperature_check", params)], tmp_path / "out", "msp-analysis", force=False)
    assert task.sources == () and task.cache_key == again.cache_key
    shas = {str(processed / "temperature_check.parquet"): task.inputs[0][1]}
    before = json.dumps({"notebook": "n", "parameters": task.parameters, "inputs": shas, "version": __version__,
                         "page": task.page, "template": TEMPLATE_VERSION}, sort_keys=True)
    assert _cache_key(task, "n", shas) == hashlib.sha256(before.encode()).hexdigest()


@pytest.mark.kernel
def test_a_report_built_from_fetched_inputs_names_them_in_its_provenance(small_demo, publisher, tmp_path):
    body = (small_demo["raw"] / "temperature_check.csv").read_bytes()
    url = publisher.serve("/adass/temperature_check.csv", body, content_type="text/csv")
    raw, processed, out = tmp_path / "raw", tmp_path / "processed", tmp_path / "reports"
    assert main(["fetch", "temperature_check", "--year", "2023-24", "--url", url, "--out", str(raw)]) == 0
    assert main(["clean", "temperature_check", str(raw / "temperature_check.csv"), "--out", str(processed)]) == 0
    params = validate_parameters("temperature_check", {"region": "North East", "wave": "2023-24",
                                                      "data_dir": str(processed)})
    [outcome] = render_reports("temperature_check", [params], out, jobs=1, quiet=True)
    assert outcome.status == "ok", outcome.error
    html = outcome.html_path.read_text(encoding="utf-8")
    assert "Publisher" in html and url in html and hashlib.sha256(body).hexdigest() in html
    assert str(tmp_path) not in html, "a report shows no local path"
