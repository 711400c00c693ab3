"""Guards of a render batch: parameters and inputs checked before any kernel, weak policies refused, scratch
of a live run left alone, failed notebooks kept outside the report folder, no paths in the index."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from msp_analysis.reporting.render.batch import (
    SCRATCH_PREFIX,
    _sweep_leftovers,
    check_policy,
    check_report_inputs,
    render_reports,
    validate_parameters,
)
from msp_analysis.reporting.render.index import without_paths
from msp_analysis.toolkit.errors import ParameterError


def locality(data_dir, **extra):
    return validate_parameters("locality", {"locality": "E06000047", "year": "2023-24", "data_dir": str(data_dir),
                                            **extra})


@pytest.mark.parametrize("folder,message", [("/etc", "holds no evaluation.parquet"),
                                            ("../../", "holds no evaluation.parquet"),
                                            ("/no/such/folder", "is not a folder")])
def test_a_data_dir_without_the_reports_inputs_is_refused_before_any_kernel(folder, message, tmp_path):
    with pytest.raises(ParameterError, match=message):
        render_reports("locality", [locality(folder)], tmp_path / "out", kernel_name="no-such-kernel")
    assert not (tmp_path / "out").exists(), "nothing is made, no kernel is asked for"


def test_a_data_dir_holding_the_inputs_passes(tmp_path):
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "evaluation.parquet")
    check_report_inputs("locality", locality(tmp_path))
    with pytest.raises(ParameterError, match="temperature_check.parquet"):
        check_report_inputs("evaluation", validate_parameters("evaluation", {"data_dir": str(tmp_path)}))


@pytest.mark.parametrize("policy", ["ascs", "custom:threshold=1", "custom:threshold=4,rounding=5"])
def test_a_policy_weaker_than_the_publishers_is_refused_unless_allowed(policy):
    with pytest.raises(ParameterError, match="--allow-weak-policy"):
        check_policy(policy)
    assert "Weaker disclosure control than the publisher" in check_policy(policy, allow_weak=True)


@pytest.mark.parametrize("policy", ["sac", "nhs_secondary_care", "custom:threshold=10,rounding=5,symbol=*"])
def test_policies_at_least_as_strict_as_the_publishers_pass(policy):
    assert check_policy(policy) == ""


@pytest.mark.parametrize("symbol", ["<img src=x onerror=alert(1)>", "`x`", "a&b", "\"q\""])
def test_a_policy_symbol_that_is_markup_is_refused(symbol):
    with pytest.raises(ParameterError, match="is not allowed"):
        check_policy(f"custom:threshold=10,symbol={symbol}")


def test_the_sweep_removes_only_scratch_whose_owner_is_gone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    finished = subprocess.Popen(["true"])
    finished.wait()
    try:
        live = tmp_path / f"{SCRATCH_PREFIX}{sleeper.pid}-abc"
        dead = tmp_path / f"{SCRATCH_PREFIX}{finished.pid}-def"
        old_style = tmp_path / f"{SCRATCH_PREFIX}xyz"
        for folder in (live, dead, old_style):
            folder.mkdir()
        _sweep_leftovers(tmp_path)
        assert live.exists() and not dead.exists() and not old_style.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_index_shows_no_local_paths():
    error = "FileNotFoundError: [Errno 2] No such file: '/home/ann/secret/evaluation.parquet' (from ../../x/y.csv)"
    shown = without_paths(error)
    assert "/home" not in shown and "ann" not in shown and "../" not in shown
    assert "evaluation.parquet" in shown and "y.csv" in shown


@pytest.mark.kernel
def test_a_failed_report_leaves_no_executed_notebook_in_the_report_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "evaluation.parquet").write_bytes(b"not a parquet file")
    out = tmp_path / "out"
    [outcome] = render_reports("locality", [locality(data)], out, jobs=1, quiet=True)
    assert outcome.status == "failed"
    assert not list(out.glob("*.ipynb")) and not list(out.rglob("*.ipynb")), "no notebook with local paths here"
    assert outcome.notebook_path is not None and outcome.notebook_path.is_file()
    assert out not in outcome.notebook_path.parents
    assert oct(os.stat(outcome.notebook_path.parent).st_mode & 0o777) == "0o700"
    assert str(outcome.notebook_path) in (out / "run.log").read_text(), "the log links it"
    records = json.loads((out / "index.json").read_text())
    assert str(tmp_path) not in json.dumps(records) and str(tmp_path) not in (out / "index.html").read_text()
