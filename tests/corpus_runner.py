"""Run CLI commands under a time and memory bound, each in a child forked from one warm process.

``tests/test_bad_inputs.py`` starts this file once (``python tests/corpus_runner.py``): it imports
the package, then reads one JSON request per line on stdin — ``{"argv": [...], "cwd": DIR,
"umask": 0o077, "seconds": 60, "memory_mb": 1536}`` — and for each forks a child that sets
``RLIMIT_AS`` (the address space it inherited plus ``memory_mb``) and ``RLIMIT_CPU``, runs
``msp_analysis.cli.main(argv)`` with stdout and stderr captured in files, and exits with its
code. The parent kills a child still running after ``seconds`` of wall time, reads its peak
resident memory from ``wait4`` and answers one JSON line: ``code``, ``seconds``, ``peak_mb``
(peak resident set above the warm process's own), ``timed_out``, ``stdout``, ``stderr``.

Forking from a warm process costs a millisecond instead of the 2 s of importing pandas and the
package per case, so every case of the corpus can be bounded in a subprocess.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _vm_and_rss() -> tuple[int, int]:
    with open("/proc/self/statm") as handle:
        size, resident = handle.read().split()[:2]
    return int(size) * PAGE, int(resident) * PAGE


def _child(request: dict, out_path: str, err_path: str) -> None:
    try:
        os.chdir(request.get("cwd") or os.getcwd())
        os.umask(int(request.get("umask", 0o022)))
        vm, _ = _vm_and_rss()
        budget = vm + int(request.get("memory_mb", 1536)) * (1 << 20)
        resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        seconds = int(request.get("seconds", 60))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
        out = os.open(out_path, os.O_WRONLY | os.O_TRUNC)
        err = os.open(err_path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115  (the child exits without closing)
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        from msp_analysis.cli import main

        code = main(request["argv"])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    except SystemExit as stop:  # argparse
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stop.code if isinstance(stop.code, int) else 2)
    except BaseException as error:  # noqa: BLE001  (the child must never return into the server loop)
        try:
            sys.stderr.write(f"runner: {type(error).__name__}: {error}\n")
            sys.stderr.flush()
        finally:
            os._exit(99)


def run(request: dict) -> dict:
    out_handle, out_path = tempfile.mkstemp(prefix="corpus-out-")
    err_handle, err_path = tempfile.mkstemp(prefix="corpus-err-")
    os.close(out_handle)
    os.close(err_handle)
    _, baseline = _vm_and_rss()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(request, out_path, err_path)
    limit = float(request.get("seconds", 60))
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > limit:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    elapsed = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    with open(out_path, encoding="utf-8", errors="replace") as handle:
        stdout = handle.read()
    with open(err_path, encoding="utf-8", errors="replace") as handle:
        stderr = handle.read()
    os.unlink(out_path)
    os.unlink(err_path)
    return {"code": code, "seconds": round(elapsed, 3), "timed_out": timed_out,
            "peak_mb": round(max(usage.ru_maxrss * 1024 - baseline, 0) / (1 << 20), 1),
            "stdout": stdout[-20000:], "stderr": stderr[-20000:]}


def _empty_export():
    import pandas as pd

    from msp_analysis.clean.evaluation import REQUIRED_COLUMNS

    return pd.DataFrame({name: pd.Series([], dtype=str) for name in REQUIRED_COLUMNS})


def serve() -> None:
    from msp_analysis.toolkit.startup import skip_unused_imports

    skip_unused_imports()  # as the CLI does (toolkit.startup says why)
    import msp_analysis.cli  # noqa: F401  (warm: every child starts with the package imported)
    import msp_analysis.reporting.render.batch  # noqa: F401  (and the Jupyter stack the report commands import)
    from msp_analysis.clean import KINDS
    from msp_analysis.clean.schemas import check_output

    check_output(KINDS["evaluation"].schema, KINDS["evaluation"].cleaner(_empty_export()).clean, "warm-up")  # pandera
    from msp_analysis.clean import clean_and_validate
    from msp_analysis.io.tables import read_table

    corpus = Path(__file__).resolve().parent / "bad_inputs"
    for kind, sample in (("evaluation", "ev_extra_columns.csv"), ("sac", "sac_2023-24_markers.csv"),
                         ("temperature_check", "tc_out_of_range_answers.csv"), ("la_measures", "la_bad_values.csv")):
        clean_and_validate(kind, read_table(corpus / sample), source=sample)  # codebook and geography caches, no writes
    import pyarrow.parquet  # noqa: F401  (imported, not used: no thread pool is started before the fork)

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    serve()
