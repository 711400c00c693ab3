"""Faults a batch run meets: killed mid-run, no network, a full disk, an output path that is a file."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = str(Path(sys.executable).with_name("msp-analysis"))
UNSHARE = shutil.which("unshare")


def _can(*args) -> bool:
    return UNSHARE is not None and subprocess.run([UNSHARE, *args, "true"], capture_output=True).returncode == 0


def _normalised(html: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|[.+\d:]*)?", "<time>", html)


def _reports(small_demo, out, *extra):
    return [SCRIPT, "reports", "locality", "--region", "North East", "--param", f"data_dir={small_demo['processed']}",
            "--out", str(out), "--quiet", *extra]


@pytest.mark.kernel
def test_killed_run_leaves_no_partial_report_and_a_rerun_matches_an_uninterrupted_run(small_demo, tmp_path):
    interrupted, clean = tmp_path / "interrupted", tmp_path / "uninterrupted"
    process = subprocess.Popen(_reports(small_demo, interrupted), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(interrupted.glob("*.html"))) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the runner and its kernels, mid-run
    process.wait()
    done_before = sorted(interrupted.glob("locality_*.html"))
    assert 2 <= len(done_before) < 12, "killed part-way through"
    for page in done_before:
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"{page.name} is partial"
    assert not [p for p in interrupted.glob("*.html") if p.name.startswith(".")]

    rerun = subprocess.run(_reports(small_demo, interrupted), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({len(done_before)} unchanged)" in rerun.stdout, "the rerun resumes instead of starting over"
    subprocess.run(_reports(small_demo, clean), check=True, capture_output=True)
    names = sorted(p.name for p in clean.glob("locality_*.html"))
    assert names == sorted(p.name for p in interrupted.glob("locality_*.html")) and len(names) == 12
    for name in names:
        assert _normalised((interrupted / name).read_text()) == _normalised((clean / name).read_text()), name
    assert not list(interrupted.rglob("*.tmp")), "no temporary files left visible"


@pytest.mark.kernel
@pytest.mark.skipif(not _can("-n"), reason="needs `unshare -n` (a network namespace) to cut the network")
def test_demo_pipeline_runs_with_the_network_cut(tmp_path):
    probe = subprocess.run([UNSHARE, "-n", sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), timeout=2)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0, "the namespace really has no network"
    steps = (
        f"{SCRIPT} simulate --out {tmp_path}/raw --seed 5 --scale 0.05 && "
        f"{SCRIPT} clean evaluation {tmp_path}/raw/evaluation.csv --out {tmp_path}/processed && "
        f"{SCRIPT} report locality --param locality=E06000047 --param data_dir={tmp_path}/processed "
        f"--out {tmp_path}/reports --quiet"
    )
    done = subprocess.run([UNSHARE, "-n", "sh", "-c", steps], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "reports" / "locality_E06000047_2023-24.html").is_file()


@pytest.mark.long
@pytest.mark.skipif(not _can("-rm"), reason="needs `unshare -rm` to mount a tiny private disk")
def test_a_full_disk_gives_a_clear_message(tmp_path):
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    source = Path(__file__).resolve().parents[1] / "bad_inputs" / "ev_extra_columns.csv"
    big = tmp_path / "big.csv"
    lines = source.read_text().splitlines()
    big.write_text("\n".join([lines[0]] + [lines[1].replace("EQ1", f"EQ{i}", 1) for i in range(20_000)]) + "\n")
    done = subprocess.run(
        [UNSHARE, "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tiny} && "
                                     f"{SCRIPT} clean evaluation {big} --out {tiny}/out"],
        capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "the disk is full" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.long
def test_an_output_path_that_is_a_file_gives_a_clear_message(small_demo, tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder")
    done = subprocess.run(_reports(small_demo, blocker / "run"), capture_output=True, text=True)
    assert done.returncode == 2
    assert "is a file, not a folder" in done.stderr and "Traceback" not in done.stderr
