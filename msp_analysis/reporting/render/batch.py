"""Render parameterised notebooks as self-contained HTML reports, fast and incrementally.

A naive loop of ``papermill.execute_notebook`` pays a kernel start and the pandas /
statsmodels / seaborn imports for every report. Here each worker keeps one *warm* Jupyter
kernel (started once, heavy imports paid once) and runs report after report in it through
papermill, resetting the kernel between reports (figures closed, matplotlib settings
restored, user namespace cleared) so that a report renders the same whether it ran alone
or after others. Data read by the library is cached inside the kernel, so shared work
(loading, national aggregates) is done once per worker rather than once per report.

Reports whose inputs have not changed are skipped (a cache keyed on the notebook, the
parameters, the sha256 of every input file and the package version). Every file is written
atomically, so an interrupted run leaves no partial report and a rerun resumes.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import html
import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from msp_analysis import __version__
from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.registry import (
    KERNEL_NAME,
    NOTEBOOK_DIR,
    REPORTS,
    report_spec,
)
from msp_analysis.reporting.render.provenance import provenance_markdown
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.files import ensure_folder, sha256_of, write_text

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
INDEX_RECORDS = "index.json"
PROVENANCE_TAG = "msp-provenance"
CACHE_DIR = ".msp-cache"
ENGINE = "msp-warm"
WARM_UP = "import msp_analysis.reporting.render.kernel_state as _state\n_state.warm_up({notebook!r})\n%reset -f"
RESET = "import msp_analysis.reporting.render.kernel_state as _state\n_state.reset()\n%reset -f"
RESET_TAG = "msp-reset"


@dataclass
class ReportOutcome:
    """What happened to one report: where its HTML is, or why it failed."""

    name: str
    title: str
    status: str  # "ok", "cached" or "failed"
    html_path: Path | None = None
    notebook_path: Path | None = None
    error: str = ""
    seconds: float = 0.0
    notebook: str = ""


@dataclass(frozen=True)
class RenderTask:
    """Everything a worker needs to render one report; plain data so any executor can ship it."""

    notebook: str
    parameters: dict
    name: str
    title: str
    out_dir: str
    kernel_name: str = KERNEL_NAME
    cwd: str = field(default_factory=os.getcwd)
    inputs: tuple = ()  # (file name, sha256 or "missing") of every input, for the provenance block
    public_parameters: tuple = ()  # (key, value) as the report may print them: no local paths
    policy: str = ""  # the disclosure policy's statement
    cache_key: str = ""  # written next to the HTML, before it, so every report on disk is known to the cache


# --- parameters -----------------------------------------------------------------------------


def validate_parameters(notebook: str, raw: Mapping[str, object]):
    """The notebook's parameter model built from raw values; errors name the bad key."""
    return report_spec(notebook).params.validate(raw)


def region_parameters(notebook: str, region: str | None, raw: Mapping[str, object]) -> list:
    """The parameter sets of ``msp-analysis reports NOTEBOOK --region R`` (``--all``: `region` None).

    locality: one per council of the region (of England); temperature_check: the region (each
    of the nine); evaluation: the region (England and each of the nine).
    """
    return report_spec(notebook).params.batch(region, raw)


def demo_requests(year: str, data_dir: str | Path, real_data_dir: str | Path | None = None) -> list[tuple[str, object]]:
    """The demo's report set: one England evaluation (with the real ASCOF panel when `real_data_dir`
    is given), the nine regional temperature checks of wave `year`, every council's locality report."""
    raw = {"data_dir": str(data_dir)}
    real = {"real_data_dir": str(real_data_dir)} if real_data_dir else {}
    return ([("evaluation", validate_parameters("evaluation", {**raw, **real, "scope": "England"}))]
            + [("temperature_check", p) for p in region_parameters("temperature_check", None, {**raw, "wave": year})]
            + [("locality", p) for p in region_parameters("locality", None, {**raw, "year": year})])


def require_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Fail early, with the fix, when the project's kernel is not registered."""
    if kernel_name not in KernelSpecManager().find_kernel_specs():
        raise RuntimeError(
            f"Jupyter kernel {kernel_name!r} is not registered; run `make env` "
            f"(or `python -m ipykernel install --sys-prefix --name {kernel_name}`)"
        )


# --- warm kernels (worker side) ---------------------------------------------------------------


class WarmKernel:
    """One long-lived kernel that runs report after report, reset in between."""

    def __init__(self, kernel_name: str, cwd: str, notebook: str | None = None) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.kernel_name = kernel_name
        # IPC sockets in a private folder: no TCP port is opened for a report
        self._sockets = tempfile.mkdtemp(prefix="msp-kernel-")
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self._sockets, "k"))
        self.kc = None
        self._run_source(WARM_UP.format(notebook=notebook), cwd=cwd)
        self.used = False  # True once a report ran: the next one starts with the reset cell
        atexit.register(self.shutdown)

    def _run_source(self, source: str, **start_options) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, allow_errors=False)
        client.kc = self.kc
        client.execute(**start_options)
        self.kc = client.kc

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(self.km.has_kernel and run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=False)
        except Exception:  # shutting down at exit: nothing useful to report
            pass
        shutil.rmtree(self._sockets, ignore_errors=True)


class WarmEngine(NBClientEngine):
    """papermill engine that executes in a warm kernel passed as ``warm_kernel=``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        warm = kwargs.pop("warm_kernel")
        kwargs.pop("input_path", None)
        client = PapermillNotebookClient(
            nb_man, km=warm.km, kernel_name=kernel_name, log_output=log_output, startup_timeout=start_timeout,
            timeout=execution_timeout, stdout_file=stdout_file, stderr_file=stderr_file,
        )
        client.kc = warm.kc
        try:
            return client.execute()
        finally:
            warm.kc = client.kc


papermill_engines.register(ENGINE, WarmEngine)
_local = threading.local()
_started: list[WarmKernel] = []
_started_lock = threading.Lock()


def _warm_kernel(kernel_name: str, cwd: str, notebook: str | None = None) -> WarmKernel:
    kernel = getattr(_local, "kernel", None)
    if kernel is None or not kernel.alive():
        kernel = WarmKernel(kernel_name, cwd, notebook)
        _local.kernel = kernel
        with _started_lock:
            _started.append(kernel)
    return kernel


def shutdown_kernels() -> None:
    """Stop every warm kernel this process started (end of a local batch)."""
    with _started_lock:
        kernels, _started[:] = list(_started), []
    for kernel in kernels:
        kernel.shutdown()
    _local.__dict__.pop("kernel", None)


class _RemoveStderr(Preprocessor):
    """Drop stderr streams: warnings can carry local paths that have no place in a report."""

    def preprocess_cell(self, cell, resources, index):
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


def _exporter() -> HTMLExporter:
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        exporter = HTMLExporter(template_name="msp_report", extra_template_basedirs=[str(TEMPLATE_DIR)])
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", RESET_TAG}, enabled=True),
            enabled=True,
        )
        exporter.register_preprocessor(_RemoveStderr(enabled=True), enabled=True)
        _local.exporter = exporter
    return exporter


def export_html(executed: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML: figures embedded, no input code, no parameters, nothing from a CDN."""
    executed.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(executed)
    return body


def render_task(task: RenderTask) -> ReportOutcome:
    """Render one report in this worker's warm kernel; failures are returned, not raised."""
    started = time.perf_counter()
    out_dir = Path(task.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = NOTEBOOK_DIR / REPORTS[task.notebook].notebook
    executed_path = out_dir / f"{task.name}.ipynb"
    try:
        kernel = _warm_kernel(task.kernel_name, task.cwd, task.notebook)
    except Exception as error:
        return ReportOutcome(task.name, task.title, "failed", error=f"kernel did not start: {error}")
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".run-") as scratch:
        scratch_nb = Path(scratch) / f"{task.name}.ipynb"
        if kernel.used:  # put the kernel back to its fresh state in the same round trip as the report
            notebook_node = nbformat.read(source, as_version=4)
            notebook_node.cells.insert(0, nbformat.v4.new_code_cell(RESET, metadata={"tags": [RESET_TAG]}))
            source = Path(scratch) / "input.ipynb"
            nbformat.write(notebook_node, source)
        kernel.used = True
        try:
            executed = papermill.execute_notebook(
                str(source), str(scratch_nb), parameters=task.parameters, kernel_name=task.kernel_name,
                engine_name=ENGINE, warm_kernel=kernel, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False,
            )
        except papermill.PapermillExecutionError as error:
            shutil.move(scratch_nb, executed_path)
            return ReportOutcome(task.name, task.title, "failed", notebook_path=executed_path,
                                 error=f"{error.ename}: {error.evalue}", seconds=time.perf_counter() - started)
    executed.cells.append(nbformat.v4.new_markdown_cell(
        provenance_markdown(task.public_parameters, task.inputs, task.policy), id=PROVENANCE_TAG,
        metadata={"tags": [PROVENANCE_TAG]}))  # a fixed id: the HTML of a report must not change between runs
    html_path = out_dir / f"{task.name}.html"
    body = export_html(executed, task.title)
    if task.cache_key:  # before the HTML: a run killed in between re-renders this report rather than miss its entry
        write_text(out_dir / CACHE_DIR / f"{task.name}.json", json.dumps({"key": task.cache_key}))
    write_text(html_path, body)
    executed_path.unlink(missing_ok=True)
    return ReportOutcome(task.name, task.title, "ok", html_path=html_path, seconds=time.perf_counter() - started)


# --- batch (parent side) --------------------------------------------------------------------


def _cache_key(task: RenderTask, notebook_sha: str, input_shas: dict[str, str]) -> str:
    payload = json.dumps({"notebook": notebook_sha, "parameters": task.parameters, "inputs": input_shas,
                          "version": __version__}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _is_cached(out_dir: Path, task: RenderTask, key: str) -> bool:
    entry = out_dir / CACHE_DIR / f"{task.name}.json"
    if not (entry.is_file() and (out_dir / f"{task.name}.html").is_file()):
        return False
    try:
        return json.loads(entry.read_text())["key"] == key
    except (ValueError, KeyError):
        return False


def _sweep_leftovers(out_dir: Path) -> None:
    """Remove temporary files and scratch folders a killed run left behind (one run per folder at a time)."""
    for leftover in [*out_dir.glob(".*.tmp"), *(out_dir / CACHE_DIR).glob(".*.tmp")]:
        leftover.unlink(missing_ok=True)
    for scratch in out_dir.glob(".run-*"):
        shutil.rmtree(scratch, ignore_errors=True)


def render_reports(
    notebook: str,
    params_list: Iterable,
    out_dir: str | Path,
    jobs: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = False,
    kernel_name: str = KERNEL_NAME,
) -> list[ReportOutcome]:
    """Render a report per parameter set, skipping unchanged ones; then write the index.

    Runs on `jobs` local warm kernels (default: number of cores), or on any
    ``concurrent.futures.Executor`` given (a process pool, a Dask cluster's executor).
    One failure does not stop the others.
    """
    return render_batch([(notebook, params) for params in params_list], out_dir, jobs=jobs, executor=executor,
                        force=force, quiet=quiet, kernel_name=kernel_name)


def render_batch(
    requests: Iterable[tuple[str, object]],
    out_dir: str | Path,
    jobs: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = False,
    kernel_name: str = KERNEL_NAME,
) -> list[ReportOutcome]:
    """Render (notebook, parameters) requests of any notebooks in one pool of warm kernels; write the index.

    As :func:`render_reports`; the costliest reports start first (``ReportSpec.render_weight``) so that one
    long report does not leave the other workers idle at the end. The index lists every
    report rendered into `out_dir` so far, grouped by notebook.
    """
    from tqdm.auto import tqdm

    require_kernel(kernel_name)
    out_dir = ensure_folder(out_dir)
    _sweep_leftovers(out_dir)
    requests = sorted(requests, key=lambda r: -REPORTS[r[0]].render_weight)  # stable: order kept within a notebook
    params_list = [params for _, params in requests]
    notebooks = list(dict.fromkeys(name for name, _ in requests))
    notebook_shas = {name: sha256_of(NOTEBOOK_DIR / REPORTS[name].notebook) for name in notebooks}
    notebook = "+".join(notebooks)
    input_shas: dict[str, str] = {}
    tasks, keys, outcomes = [], {}, []
    for name, params in requests:
        for path in params.input_files():
            if str(path) not in input_shas:
                input_shas[str(path)] = sha256_of(path) if Path(path).is_file() else "missing"
        task = RenderTask(name, params.as_parameters(), params.report_name(), params.title(), str(out_dir),
                          kernel_name, inputs=tuple((Path(p).name, input_shas[str(p)]) for p in params.input_files()),
                          public_parameters=tuple(params.public_parameters().items()),
                          policy=get_policy(params.disclosure_policy).statement())
        key = _cache_key(task, notebook_shas[name], {str(p): input_shas[str(p)] for p in params.input_files()})
        task = dataclasses.replace(task, cache_key=key)
        if not force and _is_cached(out_dir, task, key):
            outcomes.append(ReportOutcome(task.name, task.title, "cached", html_path=out_dir / f"{task.name}.html",
                                          notebook=name))
        else:
            tasks.append(task)
            keys[task.name] = key
    own_executor = executor is None
    executor = executor or ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1)
    failures = 0
    log_path = out_dir / "run.log"
    with open(log_path, "a", encoding="utf-8") as log, tqdm(
        total=len(params_list), initial=len(outcomes), disable=quiet, unit="report", desc=notebook
    ) as progress:
        log.write(f"{datetime.now(timezone.utc).isoformat()} start {len(tasks)} to render, {len(outcomes)} unchanged\n")
        try:
            futures = {executor.submit(render_task, task): task for task in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:  # a worker died: report it, keep going
                    outcome = ReportOutcome(task.name, task.title, "failed", error=f"{type(error).__name__}: {error}")
                outcome.notebook = outcome.notebook or task.notebook
                outcomes.append(outcome)
                if outcome.status == "ok":
                    write_text(out_dir / CACHE_DIR / f"{task.name}.json", json.dumps({"key": keys[task.name]}))
                else:
                    failures += 1
                log.write(f"{outcome.name} {outcome.status} {outcome.seconds:.2f}s {outcome.error}\n")
                progress.set_postfix(failed=failures)
                progress.update(1)
        finally:
            if own_executor:
                executor.shutdown(wait=True)
                shutdown_kernels()
        log.write(f"{datetime.now(timezone.utc).isoformat()} done, {failures} failed\n")
    write_index(outcomes, out_dir, notebook)
    return outcomes


def render_demo(year: str, data_dir: str | Path, out_dir: str | Path, real_data_dir: str | Path | None = None,
                jobs: int | None = None, force: bool = False, quiet: bool = False) -> list[ReportOutcome]:
    """Render the demo's report set (:func:`demo_requests`) in one batch of warm kernels, with one index."""
    return render_batch(demo_requests(year, data_dir, real_data_dir), out_dir, jobs=jobs, force=force, quiet=quiet)


def _index_records(outcomes: list[ReportOutcome], out_dir: Path) -> list[dict]:
    """This run's outcomes merged into the records of earlier runs into the same folder (by report name)."""
    path = out_dir / INDEX_RECORDS
    try:
        records = {r["name"]: r for r in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError, TypeError):
        records = {}
    for o in outcomes:
        records[o.name] = {"name": o.name, "title": o.title, "status": o.status, "error": o.error,
                           "notebook": o.notebook or o.name.split("_")[0],
                           "html": o.html_path.name if o.html_path is not None and o.status != "failed" else ""}
    kept = [r for r in records.values() if r["status"] == "failed" or (out_dir / r["html"]).is_file()]
    write_text(path, json.dumps(kept, indent=1, sort_keys=True))
    return kept


def write_index(outcomes: list[ReportOutcome], out_dir: str | Path, notebook: str) -> Path:
    """``index.html`` linking each report in `out_dir`, grouped by notebook, with its status and any error.

    Reports rendered into the same folder by earlier runs stay listed (``index.json`` keeps
    their records), so separate runs for localities, regions and England share one index.
    All text is escaped.
    """
    out_dir = Path(out_dir)
    records = _index_records(outcomes, out_dir)
    order = {name: i for i, name in enumerate(REPORTS)}
    sections = []
    for group in sorted({r["notebook"] for r in records}, key=lambda g: (order.get(g, 99), g)):
        rows = []
        for record in sorted((r for r in records if r["notebook"] == group), key=lambda r: r["title"]):
            title = html.escape(record["title"])
            link = f'<a href="{html.escape(record["html"])}">{title}</a>' if record["status"] != "failed" else title
            rows.append(f"<tr><td>{link}</td><td>{html.escape(record['status'])}</td>"
                        f"<td>{html.escape(record['error'])}</td></tr>")
        heading = html.escape(REPORTS[group].heading if group in REPORTS else group)
        sections.append(f"""<h2 id="{html.escape(group)}">{heading} ({len(rows)})</h2>
<table><thead><tr><th scope="col">Report</th><th scope="col">Status</th><th scope="col">Error</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>""")
    failed = sum(r["status"] == "failed" for r in records)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Making Safeguarding Personal reports</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}}
td,th{{padding:.3rem .8rem;text-align:left;vertical-align:top}}table{{border-collapse:collapse}}
tbody tr:nth-child(odd){{background:#f3f3f3}}a{{color:#0b4f8a}}</style>
</head><body>
<h1>Making Safeguarding Personal reports</h1>
<p>{len(records)} reports, {failed} failed. Rendered {when} by msp-analysis {html.escape(__version__)}.
Small numbers are suppressed in every report; each report ends with its provenance.</p>
{chr(10).join(sections)}
</body></html>
"""
    index = out_dir / "index.html"
    write_text(index, page)
    return index



def _demo_main(argv: list[str] | None = None) -> int:
    """``python -m msp_analysis.reporting.render.batch --year Y --data-dir D --out O [--real-data-dir R]``: the demo's reports.

    Exit 0 when every report rendered, 1 when some failed (the index shows them), 2 on bad parameters.
    Until the CLI has a command for it, ``make demo`` calls this.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m msp_analysis.reporting.render.batch", description=_demo_main.__doc__.splitlines()[0])
    parser.add_argument("--year", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--real-data-dir", default="")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        outcomes = render_demo(args.year, args.data_dir, args.out, args.real_data_dir or None, jobs=args.jobs,
                               force=args.force, quiet=args.quiet)
    except (ParameterError, ValueError, RuntimeError, OSError) as error:
        print(f"msp-analysis: error: {error}", file=sys.stderr)
        return 2
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        print(f"FAILED {outcome.name}: {outcome.error}", file=sys.stderr)
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} reports ready; index: {Path(args.out) / 'index.html'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(_demo_main())
