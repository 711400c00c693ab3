"""Written files: permissions under the user's umask, owner-only record-level outputs, inert CSV cells,
one writer per output folder."""

import json
import os
import stat
import subprocess
import sys

import pandas as pd
import pytest

from msp_analysis.toolkit.errors import OutputError
from msp_analysis.toolkit.files import (
    LOCK_FILE,
    OutputLock,
    _process_start,
    current_umask,
    holder_alive,
    neutralise_formulas,
    neutralise_text,
    write_csv,
    write_text,
)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


@pytest.mark.parametrize("mask,shared,private", [(0o022, 0o644, 0o600), (0o077, 0o600, 0o600), (0o002, 0o664, 0o600)])
def test_files_follow_the_umask_and_record_level_ones_are_owner_only(tmp_path, umask, mask, shared, private):
    umask(mask)
    assert current_umask() == mask
    write_text(tmp_path / "manifest.json", "{}")
    write_csv(tmp_path / "rejects.csv", pd.DataFrame({"a": ["x"]}), private=True)
    assert mode(tmp_path / "manifest.json") == shared
    assert mode(tmp_path / "rejects.csv") == private


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1", "\x00=1",
                                  "\uff1d1+1", "\uff0bcmd", "\uff0d1", "\uff20SUM(A1)", "\t@SUM(A1:A9)"])
def test_every_cell_a_spreadsheet_could_run_gets_a_quote(cell):
    shown = neutralise_text(cell)
    assert shown.startswith("'") and "\x00" not in shown


def test_neutralising_leaves_plain_text_numbers_and_missing_values(tmp_path):
    frame = pd.DataFrame({"text": ["plain", None, "a=b", "=x"], "n": [1, -2, 3, 4], "=name": ["a", "b", "c", "d"]})
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:1] + out["text"].tolist()[2:] == ["plain", "a=b", "'=x"]
    assert pd.isna(out["text"].iloc[1]) and out["n"].tolist() == [1, -2, 3, 4]
    assert list(out.columns) == ["text", "n", "'=name"], "a column name from data is a cell too"


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": sleeper.pid, "started": _process_start(sleeper.pid),
                                                      "command": "clean", "since": "then"}))
        with pytest.raises(OutputError, match=f"in use by another msp-analysis clean \\(process {sleeper.pid}"), \
                OutputLock(tmp_path, "reports"):
            pass
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == sleeper.pid, "the holder's lock is kept"
    finally:
        sleeper.kill()
        sleeper.wait()
    said = []
    with OutputLock(tmp_path, "reports", say=said.append):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert said and "no longer running" in said[0], "a stale lock is taken over with a message"
    assert not (tmp_path / LOCK_FILE).exists(), "released at the end"


def test_a_reused_pid_is_not_mistaken_for_the_holder():
    assert holder_alive({"pid": os.getpid(), "started": _process_start(os.getpid())})
    assert not holder_alive({"pid": os.getpid(), "started": "1"}), "same PID, another start time: another process"
    assert not holder_alive({"pid": "x"}) and not holder_alive({})


def test_the_lock_is_reentrant_within_one_process_and_leaves_no_empty_folder(tmp_path):
    folder = tmp_path / "new"
    with OutputLock(folder, "pack"):
        with OutputLock(folder, "reports"):  # the pack renders its report into its own folder
            pass
        assert (folder / LOCK_FILE).exists(), "the inner use does not release the outer lock"
    assert not folder.exists(), "a folder made only for the lock goes when nothing was written"
