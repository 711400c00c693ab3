"""Benchmark: the batch renderer against a naive papermill loop, ploomber's grid and the in-process floor, in one run.

At England's volumes (``msp-analysis simulate --scale 1``: about 99,000 concluded enquiries a
year, cleaned as ``make demo`` cleans them), one run measures:

* **batch**: ``render_batch`` on every council's locality report of the year (153), then the full
  demo set (153 locality + 9 regional temperature checks + 1 England evaluation,
  :func:`msp_analysis.workflows.demo.render_demo`) into a fresh folder, then the same again with
  nothing changed (the rerun); wall time and the peak memory of the process tree;
* **naive**: ``papermill.execute_notebook`` + nbconvert's ``HTMLExporter`` per report, a fresh kernel
  each time, on a sample of councils; its per-report cost times 153 is the naive figure;
* **ploomber** (when ``--ploomber-python`` names an interpreter that imports ploomber): a grid of
  ``NotebookRunner`` tasks on the same sample with the ``Parallel`` executor (one process per core),
  HTML products; extrapolated to 153 the same way;
* **floor**: the same reports with no kernel at all: the notebook's cells run in this process
  (IPython's shell, outputs captured) and the page exported as the batch exports it; the cost a
  renderer cannot go below with this content and this exporter. ``export_ms`` is the export alone,
  beside nbconvert's stock exporter on the same notebooks (``stock_export_ms``).

The last lines are ``key=value``: ``speedup_vs_naive`` (naive at 153 / batch at 153),
``speedup_vs_ploomber`` (ploomber at 153 / batch at 153), ``batch_over_floor`` (batch wall at 153 ×
cores used / floor at 153 in one process), ``full_set_wall_s``, ``rerun_s`` and ``peak_rss_gib``.
The machine may be shared: run it three times and quote medians; the ratios are measured in one
run, so they are the numbers to trust. See benchmarks/README.md.

    .venv/bin/python benchmarks/render_batch.py [--data DIR] [--sample 8] [--jobs N] [--ploomber-python PY]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from msp_analysis.reference import geography
from msp_analysis.reporting.registry import KERNEL_NAME, NOTEBOOK_DIR, REPORTS
from msp_analysis.reporting.render.batch import (
    PROVENANCE_TAG,
    default_jobs,
    render_batch,
    validate_parameters,
)
from msp_analysis.reporting.render.export import REPORT_TEMPLATE, TEMPLATE_DIR, export_html
from msp_analysis.reporting.render.page import page_info
from msp_analysis.reporting.render.provenance import provenance_markdown
from msp_analysis.toolkit.memory import use_system_allocator
from msp_analysis.workflows.demo import demo_requests

COUNCILS = 153  # every council of England in 2023-24: the figure the speed-ups are quoted at
ROOT = Path(__file__).resolve().parents[1]


# --- data ------------------------------------------------------------------------------------------


def make_data(folder: Path, seed: int = 17, scale: float = 1.0) -> Path:
    """Simulated raw files at England's volumes, cleaned: ``folder/processed``."""
    from msp_analysis.cli import main

    raw, processed = folder / "raw", folder / "processed"
    kinds = ("evaluation", "temperature_check", "person_feedback")  # people's feedback: a section of every report
    if all((processed / f"{kind}.parquet").is_file() for kind in kinds):
        return processed
    assert main(["simulate", "--out", str(raw), "--seed", str(seed), "--scale", str(scale)]) == 0
    for kind in kinds:
        assert main(["clean", kind, str(raw / f"{kind}.csv"), "--out", str(processed)]) == 0
    return processed


# --- memory ----------------------------------------------------------------------------------------


class PeakMemory:
    """The largest resident memory of this process and all its children together, sampled every 0.2 s."""

    def __init__(self) -> None:
        try:
            import psutil  # lazy: optional; without it the peak is read from /proc
        except ImportError:
            psutil = None
        self._psutil = psutil
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> int:
        if self._psutil is not None:
            me = self._psutil.Process()
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(self._psutil.Error):  # a process that ended meanwhile
                    total += process.memory_info().rss
            return total
        return _proc_tree_rss(os.getpid())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _proc_tree_rss(pid: int) -> int:
    """RSS in bytes of `pid` and its descendants, read from /proc (Linux, no psutil)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


# --- the four ways ---------------------------------------------------------------------------------


def run_batch(requests: list, out: Path, jobs: int | None) -> tuple[float, int, list]:
    """(wall seconds, peak bytes of the process tree, outcomes) of one render_batch into `out`."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        outcomes = render_batch(requests, out, jobs=jobs, quiet=True)
        wall = time.perf_counter() - start
    return wall, memory.peak, outcomes


def naive(params_list: list, out: Path) -> float:
    """Seconds for papermill + nbconvert per report, a fresh kernel each time."""
    start = time.perf_counter()
    for params in params_list:
        executed = out / f"{params.report_name()}.ipynb"
        papermill.execute_notebook(str(NOTEBOOK_DIR / REPORTS["locality"].notebook), str(executed),
                                   parameters=params.as_parameters(), kernel_name=KERNEL_NAME, progress_bar=False)
        body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nbformat.read(executed, as_version=4))
        (out / f"{params.report_name()}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start


PLOOMBER_DRIVER = r'''
import json, sys, time
from pathlib import Path
from ploomber import DAG
from ploomber.executors import Parallel
from ploomber.products import File
from ploomber.tasks import NotebookRunner
spec = json.loads(sys.argv[1])
dag = DAG(executor=Parallel(processes=spec["processes"]))
for name, params in spec["reports"]:
    NotebookRunner(Path(spec["notebook"]), File(Path(spec["out"]) / f"{name}.html"), dag=dag, name=name,
                   params=params, kernelspec_name=spec["kernel"], nbconvert_export_kwargs={"exclude_input": True},
                   static_analysis="disable")
start = time.perf_counter()
dag.build(force=True)
print(json.dumps({"seconds": time.perf_counter() - start}))
'''


def ploomber_grid(python: str, params_list: list, out: Path, processes: int) -> tuple[float, float] | None:
    """(process seconds, build seconds) of ploomber's grid of NotebookRunner tasks (Parallel executor) run by
    `python`; None if it fails."""
    spec = {"notebook": str(NOTEBOOK_DIR / REPORTS["locality"].notebook), "out": str(out), "kernel": KERNEL_NAME,
            "processes": processes, "reports": [(p.report_name(), p.as_parameters()) for p in params_list]}
    env = dict(os.environ, JUPYTER_PATH=os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                                       os.environ.get("JUPYTER_PATH", "")])))
    start = time.perf_counter()
    done = subprocess.run([python, "-c", PLOOMBER_DRIVER, json.dumps(spec)], env=env, capture_output=True, text=True,
                          cwd=out, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        print(f"ploomber failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    build = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
    return wall, build  # the whole process (imports, the DAG's start-up), and dag.build() alone


def ploomber_python(given: str | None) -> str | None:
    """The interpreter that imports ploomber: `given`, else this one when it can."""
    for python in filter(None, [given, sys.executable]):
        if subprocess.run([python, "-c", "import ploomber"], capture_output=True, check=False).returncode == 0:
            return python
    return None


def floor(params_list: list) -> tuple[float, float, float, float]:
    """The reports without a kernel: (first report s, per-report content ms, export ms, stock export ms), medians.

    The notebook's cells run in this process's IPython shell (outputs captured as the kernel
    would send them); the page is exported as the batch exports it, with the provenance block.
    """
    from IPython.core.interactiveshell import InteractiveShell  # lazy: only the floor needs a shell here
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    source = nbformat.read(NOTEBOOK_DIR / REPORTS["locality"].notebook, as_version=4)
    stock = HTMLExporter(template_name=REPORT_TEMPLATE, extra_template_basedirs=[str(TEMPLATE_DIR)],
                         exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    content, export, stock_export, first = [], [], [], 0.0
    for number, params in enumerate(params_list):
        started = time.perf_counter()
        executed = nbformat.from_dict(json.loads(json.dumps(source)))
        injected = "\n".join(f"{k} = {v!r}" for k, v in params.as_parameters().items())
        for cell in executed.cells:
            if cell.cell_type != "code":
                continue
            code = injected if "parameters" in cell.metadata.get("tags", []) else cell.source
            with capture_output(stdout=True, stderr=True, display=True) as captured:
                result = shell.run_cell(code, store_history=False)
            result.raise_error()
            # as the batch's engine makes them from the kernel's bundle: not validated one by one
            cell.outputs = [nbformat.from_dict({"output_type": "display_data", "data": o.data, "metadata": o.metadata})
                            for o in captured.outputs]
        middle = time.perf_counter()
        executed.cells.append(nbformat.v4.new_markdown_cell(
            provenance_markdown(tuple(params.public_parameters().items()), (), "", commit=None), id=PROVENANCE_TAG))
        page = page_info("locality", params)
        export_html(executed, params.title(), simulated=True, page=page)
        ended = time.perf_counter()
        stock.from_notebook_node(executed)
        if number == 0:
            first = ended - started
        else:
            content.append(middle - started)
            export.append(ended - middle)
            stock_export.append(time.perf_counter() - ended)
        shell.run_line_magic("reset", "-f")
    return (first, 1000 * statistics.median(content), 1000 * statistics.median(export),
            1000 * statistics.median(stock_export))


def host_reference_ms(repeats: int = 7) -> float:
    """Median milliseconds of a fixed CPU workload: pure Python and a pandas group-by of England's size.

    It does not depend on the package, so it compares the machine between runs and sessions: on a
    shared host the same code ran twice as long on one day as on another, and the targets are
    wall times. Printed as ``host_reference_ms``.
    """
    import numpy as np  # lazy: the benchmark's other parts do not need them here
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"council": rng.integers(0, COUNCILS, 200_000), "value": rng.random(200_000)})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sum(i * i for i in range(300_000))
        frame.groupby("council")["value"].agg(["mean", "sum", "count"])
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    use_system_allocator()  # as the package's kernels do, so that the floor is measured on the same allocator
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="cleaned data at England's volumes (default: made under --work)")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "msp-bench-render"),
                        help="folder for the data and the reports (reports are removed at the end)")
    parser.add_argument("--year", default="2023-24")
    parser.add_argument("--sample", type=int, default=8, help="councils for the naive loop, ploomber and the floor")
    parser.add_argument("--jobs", type=int, default=None, help="the batch's workers (default: the batch's own choice)")
    parser.add_argument("--ploomber-python", help="an interpreter with ploomber installed (a separate venv)")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: naive, ploomber, full")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data) if args.data else make_data(work / "data")
    if not (data / "evaluation.parquet").is_file():
        raise SystemExit(f"{data}/evaluation.parquet not found")
    if not (data / "person_feedback.parquet").is_file():
        print(f"note: {data} has no person_feedback.parquet: the reports' feedback sections say so and cost "
              "less than with feedback (make the data again with the current simulator)", flush=True)
    cores = os.cpu_count() or 1
    reference = host_reference_ms()
    codes = geography.councils(args.year)["ons_code"].tolist()
    everyone = [validate_parameters("locality", {"locality": c, "year": args.year, "data_dir": str(data)})
                for c in codes]
    step = max(len(everyone) // args.sample, 1)
    sample = everyone[::step][: args.sample]  # spread over the list: small and large councils
    jobs = args.jobs or default_jobs([("locality", p) for p in everyone])
    print(f"data: {data} ({(data / 'evaluation.parquet').stat().st_size / 1e6:.1f} MB evaluation.parquet); "
          f"{cores} cores; batch jobs={jobs}; sample of {len(sample)}", flush=True)
    results: dict[str, float] = {}
    reports = work / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    try:
        wall, peak, outcomes = run_batch([("locality", p) for p in everyone], reports / "councils", args.jobs)
        failed = sum(o.status == "failed" for o in outcomes)
        print(f"batch: {len(everyone)} locality reports in {wall:.1f} s ({failed} failed), peak {peak / 2**30:.2f} GiB",
              flush=True)
        results.update(batch_153_s=wall, peak_rss_gib=peak / 2**30)
        if "full" not in skip:
            requests = demo_requests(args.year, data)
            wall, peak, outcomes = run_batch(requests, reports / "full", args.jobs)
            failed = sum(o.status == "failed" for o in outcomes)
            print(f"full set: {len(requests)} reports in {wall:.1f} s ({failed} failed), peak {peak / 2**30:.2f} GiB",
                  flush=True)
            results.update(full_set_reports=len(requests), full_set_wall_s=wall,
                           peak_rss_gib=max(results["peak_rss_gib"], peak / 2**30))
            start = time.perf_counter()
            again = render_batch(requests, reports / "full", jobs=args.jobs, quiet=True)
            results["rerun_s"] = time.perf_counter() - start
            print(f"rerun, nothing changed: {results['rerun_s']:.2f} s "
                  f"({sum(o.status == 'cached' for o in again)} of {len(again)} unchanged)", flush=True)
        results["largest_child_rss_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        first, content_ms, export_ms, stock_ms = floor(sample)
        floor_153 = first + (content_ms + export_ms) / 1000 * (COUNCILS - 1)
        print(f"floor (no kernel): first report {first:.2f} s, then content {content_ms:.1f} ms + export "
              f"{export_ms:.1f} ms per report (nbconvert's stock exporter: {stock_ms:.1f} ms); "
              f"{COUNCILS} reports ≈ {floor_153:.1f} s in one process", flush=True)
        results.update(floor_content_ms=content_ms, export_ms=export_ms, stock_export_ms=stock_ms,
                       floor_153_s=floor_153)
        if "naive" not in skip:
            folder = reports / "naive"
            folder.mkdir(parents=True)
            seconds = naive(sample, folder)
            results.update(naive_per_report_s=seconds / len(sample), naive_153_s=seconds / len(sample) * COUNCILS)
            print(f"naive papermill + nbconvert: {seconds:.1f} s for {len(sample)} reports "
                  f"({seconds / len(sample):.2f} s each; × {COUNCILS} ≈ {results['naive_153_s']:.0f} s, linear)",
                  flush=True)
        python = ploomber_python(args.ploomber_python) if "ploomber" not in skip else None
        if python:
            folder = reports / "ploomber"
            folder.mkdir(parents=True)
            timed = ploomber_grid(python, sample, folder, cores)
            if timed is not None:
                wall, build = timed  # start-up once, the build (kernels, execution, export) linear in reports
                results.update(ploomber_per_report_s=build / len(sample),
                               ploomber_153_s=(wall - build) + build / len(sample) * COUNCILS)
                print(f"ploomber grid, Parallel({cores}): {wall:.1f} s for {len(sample)} reports, {build:.1f} s of "
                      f"it dag.build(); ≈ {results['ploomber_153_s']:.0f} s for {COUNCILS} (start-up once + build "
                      f"× {COUNCILS}/{len(sample)})", flush=True)
        elif "ploomber" not in skip:
            print("ploomber: not importable (pass --ploomber-python; see benchmarks/README.md)", flush=True)
    finally:
        shutil.rmtree(reports, ignore_errors=True)
    batch = results["batch_153_s"]
    used = min(jobs, cores)
    lines = {
        "speedup_vs_naive": results.get("naive_153_s", float("nan")) / batch,
        "speedup_vs_ploomber": results.get("ploomber_153_s", float("nan")) / batch,
        "batch_over_floor": batch * used / results["floor_153_s"],
        "batch_153_s": batch,
        "full_set_wall_s": results.get("full_set_wall_s", float("nan")),
        "rerun_s": results.get("rerun_s", float("nan")),
        "peak_rss_gib": results["peak_rss_gib"],
        "largest_child_rss_gib": results["largest_child_rss_gib"],
        "floor_content_ms": results["floor_content_ms"],
        "export_ms": results["export_ms"],
        "stock_export_ms": results["stock_export_ms"],
        "host_reference_ms": (reference + host_reference_ms()) / 2,  # before and after: the host's speed this run
    }
    for key, value in lines.items():
        print(f"{key}={value:.2f}")


if __name__ == "__main__":
    main()
