"""Render parameterised notebooks as self-contained HTML reports, fast and incrementally.

A batch is a list of (notebook, parameters) requests. Each worker adds the provenance block
to the notebook and runs it in one warm kernel (:mod:`.kernel`) through papermill
(:mod:`.engine`); the kernel also exports the page (:mod:`.export`), which the worker writes;
the batch then writes the folder's index (:mod:`.index`). Data read by the library is cached inside the kernel, so shared work
(loading, national aggregates) is done once per worker rather than once per report.

Reports whose inputs have not changed are skipped (a cache keyed on the notebook, the
parameters, the sha256 of every input file and the package version). Every file is written
atomically, so an interrupted run leaves no partial report and a rerun resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import papermill
from papermill.engines import papermill_engines
from papermill.execute import raise_for_execution_errors

from msp_analysis import __version__
from msp_analysis.disclosure.policies import get_policy
from msp_analysis.reporting.registry import (
    KERNEL_NAME,
    NOTEBOOK_DIR,
    REPORTS,
    report_spec,
)
from msp_analysis.reporting.render.engine import last_notebook, last_page, register_engine
from msp_analysis.reporting.render.export import TEMPLATE_VERSION, export_html
from msp_analysis.reporting.render.index import write_index
from msp_analysis.reporting.render.kernel import require_kernel, shutdown_kernels, warm_kernel
from msp_analysis.reporting.render.page import Publisher, page_info
from msp_analysis.reporting.render.pdf import print_pdfs
from msp_analysis.reporting.render.progress import Progress, progress_mode
from msp_analysis.reporting.render.provenance import provenance_markdown, source_lines
from msp_analysis.reporting.render.tables import write_tables
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.files import OutputLock, ensure_folder, holder_alive, sha256_of, write_text

PROVENANCE_TAG = "msp-provenance"
CACHE_DIR = ".msp-cache"
SCRATCH_PREFIX = ".run-"  # + the PID of the run that owns the scratch folder + "-"
WEAK_POLICY_TAG = "msp-weak-policy"
# The publishers' rule for counts of safeguarding enquiries (SAC, NHS England): counts under 5 are suppressed.
PUBLISHER_THRESHOLD = 5
# The processed files each report cannot do without (others, like a locality's returns, are optional).
REQUIRED_INPUTS = {"locality": ("evaluation",), "temperature_check": ("temperature_check",),
                   "evaluation": ("evaluation", "temperature_check")}
_SAFE_SYMBOL = re.compile(r"[^<>&\"'`\\\x00-\x1f]{1,12}")
# Workers (:func:`default_jobs`). A second warm kernel pays its start-up and the work shared by every report of
# the year (read, national context, protection, every council's tables) again, so below this many reports one
# worker finishes first. Measured at England's volumes on the 2-core machine (locality reports, jobs 1 / jobs 2):
# 20 reports 12.3 / 15.6 s, 40: 13.3 / 15.3 s, 60: 21.9 / 20.9 s, 100: 27.1 / 25.5 s, 153: 61.8 / 33.9 s.
SECOND_WORKER_FROM = 50
# A warm kernel's memory: its imports, plus the frames read and the work shared by its reports, which grow with
# the processed files. Measured at England's volumes (8.5 MB of parquet): a locality kernel holds about 0.6 GB
# after reading, the kernel that also runs the England evaluation's models 2.1 GiB (benchmarks/render_batch.py).
KERNEL_BASE_BYTES = 400 * 2**20
KERNEL_BYTES_PER_INPUT_BYTE = 200
MEMORY_SHARE = 0.75  # of the memory available when the batch starts, at most this much for its kernels


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
    simulated: bool = False  # built from simulated data: the page and the index say so
    region: str = ""  # the ADASS region of the report's area (the index groups councils under it)
    period: str = ""  # the financial year or wave the report covers
    pdf_path: Path | None = None  # with ``pdf=True``: the PDF written beside the HTML
    policy: dict = field(default_factory=dict)  # the disclosure policy's name, title and words (page.page_info)


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
    sources: tuple = ()  # the publisher's files behind the inputs (provenance.source_lines), when they were fetched
    cache_key: str = ""  # written next to the HTML, before it, so every report on disk is known to the cache
    simulated: bool = False  # the processed data are simulated: title, banner and every figure say so
    weak_policy: str = ""  # the policy is weaker than the publisher's (allowed by the user): every page says so
    page: dict = field(default_factory=dict)  # area, links and publisher printed around the report (page.page_info)
    tables_dir: str = ""  # when set: every table of the report also written there as a CSV file
    shared_dir: str = ""  # the run's private folder where kernels share the work their reports have in common


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


def check_report_inputs(notebook: str, params) -> None:
    """Before any kernel starts: ``data_dir`` is a folder holding the processed files the report needs.

    ``data_dir=/etc`` or ``../../`` is refused here in one line, not after a kernel ran the notebook.
    """
    data_dir = Path(str(getattr(params, "data_dir", "")))
    if not data_dir.is_dir():
        raise ParameterError(f"data_dir={data_dir.name or str(data_dir)!r} is not a folder; give the --out folder "
                             "of `msp-analysis clean`")
    missing = [kind for kind in REQUIRED_INPUTS.get(notebook, ()) if not (data_dir / f"{kind}.parquet").is_file()]
    if missing:
        raise ParameterError(f"data_dir={data_dir.name or str(data_dir)!r} holds no {' or '.join(missing)}.parquet, "
                             f"which the {notebook} report needs; make it with `msp-analysis clean {missing[0]} FILE "
                             "--out DIR`")


def check_policy(policy_name: str, allow_weak: bool = False) -> str:
    """Refuse a disclosure policy that would show counts the publisher suppresses, or a symbol that is markup.

    Returns "" for a policy at least as strict as the publisher's, else the warning every page
    shows at the top (when `allow_weak`; without it the policy is a ParameterError).
    """
    policy = get_policy(policy_name)
    symbols = [policy.symbol, *([policy.zero] if policy.zero not in ("suppress", "show") else [])]
    for symbol in symbols:
        if not _SAFE_SYMBOL.fullmatch(str(symbol)):
            raise ParameterError(f"disclosure_policy: the symbol {str(symbol)[:40]!r} is not allowed; use 1 to 12 "
                                 "characters without < > & quotes, backticks or control characters, e.g. [c] or *")
    if policy.threshold >= PUBLISHER_THRESHOLD:
        return ""
    if not allow_weak:
        raise ParameterError(f"disclosure_policy={policy_name!r} shows counts from {max(policy.threshold, 1)} to "
                             f"{PUBLISHER_THRESHOLD - 1}, which the publishers of safeguarding data suppress "
                             f"(threshold {PUBLISHER_THRESHOLD}); use the default policy, or pass --allow-weak-policy "
                             "and every page will say so at the top")
    return (f"Weaker disclosure control than the publisher's: counts under {PUBLISHER_THRESHOLD} that the "
            f"publishers suppress may be shown (policy {policy_name}). Do not publish this report.")


def _private_copy(notebook: nbformat.NotebookNode, name: str) -> Path:
    """Keep a failed report's executed notebook (it may hold local paths) in a folder only its owner can read,
    outside the report folder; its path goes to the run log and the terminal, never to the index."""
    folder = Path(tempfile.mkdtemp(prefix="msp-analysis-failed-"))  # 0700
    target = folder / f"{name}.ipynb"
    target.touch(mode=0o600)
    nbformat.write(notebook, target)
    os.chmod(target, 0o600)
    return target


def _available_memory() -> int | None:
    """Bytes of memory available now (MemAvailable on Linux), None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def kernel_bytes(requests: Iterable[tuple[str, object]]) -> int:
    """A warm kernel's expected memory for these reports: its imports plus a multiple of the largest inputs it reads."""
    sizes = [sum(Path(p).stat().st_size for p in params.input_files() if Path(p).is_file())  # type: ignore[attr-defined]
             for _, params in requests]
    return KERNEL_BASE_BYTES + KERNEL_BYTES_PER_INPUT_BYTE * max(sizes, default=0)


def default_jobs(requests: Iterable[tuple[str, object]], reports: int | None = None, cores: int | None = None,
                 available: int | None = None) -> int:
    """Workers for a batch when ``--jobs`` is not given: one per core, by the work and by the memory.

    One worker below :data:`SECOND_WORKER_FROM` reports to render (`reports`, default all of
    them: a second costs more than it saves),
    and no more kernels than :data:`MEMORY_SHARE` of the available memory holds at
    :func:`kernel_bytes` each. `cores` and `available` (bytes) default to this machine's.
    """
    requests = list(requests)
    cores = cores or os.cpu_count() or 1
    reports = len(requests) if reports is None else reports
    if reports < SECOND_WORKER_FROM:
        return 1
    available = available if available is not None else _available_memory()
    by_memory = cores if available is None else int(MEMORY_SHARE * available // kernel_bytes(requests))
    return max(1, min(cores, by_memory, reports))


# --- one report (worker side) -----------------------------------------------------------------


def render_task(task: RenderTask) -> ReportOutcome:
    """Render one report in this worker's warm kernel; failures are returned, not raised."""
    started = time.perf_counter()
    out_dir = Path(task.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = NOTEBOOK_DIR / REPORTS[task.notebook].notebook
    executed_path = out_dir / f"{task.name}.ipynb"
    try:
        kernel = warm_kernel(task.kernel_name, task.cwd, task.notebook)
    except Exception as error:
        return ReportOutcome(task.name, task.title, "failed", error=f"kernel did not start: {error}")
    engine = register_engine()  # here, not at import: this may be a fresh worker process of another executor
    notebook = kernel.notebook_node(source, task.parameters, shared=task.shared_dir or None)  # reset, parameters
    notebook.metadata["papermill"] = {"default_parameters": {}, "parameters": dict(task.parameters),
                                      "environment_variables": {}, "version": papermill.__version__}
    if task.weak_policy:  # at the top of the page, in bold, escaped like any text of ours
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**{html.escape(task.weak_policy)}**", id=WEAK_POLICY_TAG, metadata={"tags": [WEAK_POLICY_TAG]}))
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        provenance_markdown(task.public_parameters, task.inputs, task.policy, sources=task.sources), id=PROVENANCE_TAG,
        metadata={"tags": [PROVENANCE_TAG]}))  # a fixed id: the HTML of a report must not change between runs
    page = {"title": task.title, "simulated": task.simulated, "page": task.page}
    try:  # papermill's engine on the notebook in memory: no input file read, no output file written, no copy;
        # the kernel exports the page too (engine.last_page), beside the other kernels' work
        executed = papermill_engines.execute_notebook_with_engine(
            engine, notebook, kernel_name=task.kernel_name, warm_kernel=kernel, input_path=None, output_path=None,
            progress_bar=False, log_output=False, page=page)
        raise_for_execution_errors(executed, None)
    except papermill.PapermillExecutionError as error:
        failed = last_notebook()
        kept = _private_copy(failed, task.name) if failed is not None else None
        executed_path.unlink(missing_ok=True)  # a notebook an earlier version left in the report folder
        return ReportOutcome(task.name, task.title, "failed", notebook_path=kept,
                             error=f"{error.ename}: {error.evalue}", seconds=time.perf_counter() - started)
    html_path = out_dir / f"{task.name}.html"
    body = last_page() or export_html(executed, **page)
    if task.tables_dir:
        write_tables(body, Path(task.tables_dir), task.name)
    if task.cache_key:  # before the HTML: a run killed in between re-renders this report rather than miss its entry
        write_text(out_dir / CACHE_DIR / f"{task.name}.json", json.dumps({"key": task.cache_key}))
    write_text(html_path, body)
    executed_path.unlink(missing_ok=True)
    return ReportOutcome(task.name, task.title, "ok", html_path=html_path, seconds=time.perf_counter() - started,
                         simulated=task.simulated, region=task.page.get("region", ""),
                         period=task.page.get("period", ""), policy=task.page.get("policy", {}))


# --- batch (parent side) --------------------------------------------------------------------


def _cache_key(task: RenderTask, notebook_sha: str, input_shas: dict[str, str]) -> str:
    key = {"notebook": notebook_sha, "parameters": task.parameters, "inputs": input_shas, "version": __version__}
    if task.sources:  # only then, so that the key of a report without fetched inputs stays what it was
        key["sources"] = task.sources
    if task.simulated:  # likewise: a folder found to be simulated renders again, with its banner
        key["simulated"] = True
    if task.weak_policy:
        key["weak_policy"] = task.weak_policy
    key["page"] = task.page  # links and publisher are part of the page
    key["template"] = TEMPLATE_VERSION
    if task.tables_dir:
        key["tables"] = task.tables_dir
    payload = json.dumps(key, sort_keys=True)
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
    """Remove temporary files and scratch folders a killed run left behind.

    Called while this run holds the folder's lock (:class:`~msp_analysis.toolkit.files.OutputLock`), so no other
    writer's temporary file is here; a scratch folder is removed only when the process named in it is gone.
    """
    for leftover in [*out_dir.glob(".*.tmp"), *(out_dir / CACHE_DIR).glob(".*.tmp")]:
        leftover.unlink(missing_ok=True)
    for scratch in out_dir.glob(f"{SCRATCH_PREFIX}*"):
        owner = scratch.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and (int(owner) == os.getpid() or holder_alive({"pid": int(owner)})):
            continue
        shutil.rmtree(scratch, ignore_errors=True)


def _plan(requests: list[tuple[str, object]], out_dir: Path, kernel_name: str, force: bool,
          allow_weak_policy: bool = False, publisher: Publisher | None = None,
          tables_dir: Path | None = None) -> tuple[list[RenderTask], list[ReportOutcome]]:
    """The tasks to render and the outcomes of the reports whose cache entry is still current."""
    notebooks = dict.fromkeys(name for name, _ in requests)
    notebook_shas = {name: sha256_of(NOTEBOOK_DIR / REPORTS[name].notebook) for name in notebooks}
    input_shas: dict[str, str] = {}
    sources: dict[str, tuple] = {}  # the publisher's files behind each input, read from its manifest once
    simulated: dict[str, bool] = {}  # per data folder, read from its manifests once
    tasks: list[RenderTask] = []
    outcomes: list[ReportOutcome] = []
    # the pages a report may link to: those of this batch and those already in the folder
    available = {f"{params.report_name()}.html" for _, params in requests} | {p.name for p in out_dir.glob("*.html")}
    for name, params in requests:
        weak = check_policy(params.disclosure_policy, allow_weak_policy)
        for path in params.input_files():
            if str(path) not in input_shas:
                input_shas[str(path)] = sha256_of(path) if Path(path).is_file() else "missing"
                sources[str(path)] = source_lines(path, input_shas[str(path)])
        task = RenderTask(name, params.as_parameters(), params.report_name(), params.title(), str(out_dir),
                          kernel_name, inputs=tuple((Path(p).name, input_shas[str(p)]) for p in params.input_files()),
                          public_parameters=tuple(params.public_parameters().items()),
                          policy=get_policy(params.disclosure_policy).statement(),
                          sources=tuple(line for p in params.input_files() for line in sources[str(p)]),
                          simulated=simulated.setdefault(str(params.data_dir), params.simulated()), weak_policy=weak,
                          page=page_info(name, params, publisher, available), tables_dir=str(tables_dir) if tables_dir else "")
        key = _cache_key(task, notebook_shas[name], {str(p): input_shas[str(p)] for p in params.input_files()})
        task = dataclasses.replace(task, cache_key=key)
        if not force and _is_cached(out_dir, task, key):
            outcomes.append(ReportOutcome(task.name, task.title, "cached", html_path=out_dir / f"{task.name}.html",
                                          notebook=name, simulated=task.simulated, region=task.page.get("region", ""),
                                          period=task.page.get("period", ""), policy=task.page.get("policy", {})))
        else:
            tasks.append(task)
    return tasks, outcomes


def render_reports(
    notebook: str,
    params_list: Iterable,
    out_dir: str | Path,
    jobs: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = False,
    kernel_name: str = KERNEL_NAME,
    verbose: bool = False,
    progress: bool | None = None,
    allow_weak_policy: bool = False,
    publisher: Publisher | None = None,
    pdf: bool = False,
    tables_dir: str | Path | None = None,
) -> list[ReportOutcome]:
    """Render a report per parameter set, skipping unchanged ones; then write the index.

    Runs on `jobs` local warm kernels (default: :func:`default_jobs`, by cores, work and memory), or on any
    ``concurrent.futures.Executor`` given (a process pool, a Dask cluster's executor).
    One failure does not stop the others. Progress: a bar on a terminal (`progress` True
    forces it, False stops it), else plain lines (one per report with `verbose`); nothing
    with `quiet` (:mod:`~msp_analysis.reporting.render.progress`).
    """
    return render_batch([(notebook, params) for params in params_list], out_dir, jobs=jobs, executor=executor,
                        force=force, quiet=quiet, kernel_name=kernel_name, verbose=verbose, progress=progress,
                        allow_weak_policy=allow_weak_policy, publisher=publisher, pdf=pdf, tables_dir=tables_dir)


def render_batch(
    requests: Iterable[tuple[str, object]],
    out_dir: str | Path,
    jobs: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    quiet: bool = False,
    kernel_name: str = KERNEL_NAME,
    verbose: bool = False,
    progress: bool | None = None,
    allow_weak_policy: bool = False,
    publisher: Publisher | None = None,
    pdf: bool = False,
    tables_dir: str | Path | None = None,
) -> list[ReportOutcome]:
    """Render (notebook, parameters) requests of any notebooks in one pool of warm kernels; write the index.

    As :func:`render_reports`; the costliest reports start first (``ReportSpec.render_weight``) so that one
    long report does not leave the other workers idle at the end. The index lists every
    report rendered into `out_dir` so far, councils grouped by region.

    `publisher`: name, contact and logo on every page (:mod:`.page`); `tables_dir`: every table also
    written there as CSV (:mod:`.tables`); `pdf`: a PDF beside each HTML, printed by headless
    Chromium after the batch (:mod:`.pdf`), so a batch without it pays nothing.
    """
    requests = sorted(requests, key=lambda r: -REPORTS[r[0]].render_weight)  # stable: order kept within a notebook
    for name, params in requests:  # every parameter checked before any kernel starts
        check_report_inputs(name, params)
        check_policy(params.disclosure_policy, allow_weak_policy)
    require_kernel(kernel_name)
    out_dir = ensure_folder(out_dir)
    with OutputLock(out_dir, "reports"):
        return _render_locked(requests, out_dir, jobs, executor, force, quiet, kernel_name, verbose, progress,
                              allow_weak_policy, publisher, pdf, tables_dir)


def _render_locked(requests, out_dir: Path, jobs, executor, force, quiet, kernel_name, verbose, progress,
                   allow_weak_policy, publisher, pdf, tables_dir) -> list[ReportOutcome]:
    _sweep_leftovers(out_dir)
    notebook = "+".join(dict.fromkeys(name for name, _ in requests))
    tables_dir = ensure_folder(tables_dir) if tables_dir else None
    tasks, outcomes = _plan(requests, out_dir, kernel_name, force, allow_weak_policy, publisher, tables_dir)
    # work every report of the year shares (every council's tables), computed by one kernel and read by the others
    # (toolkit.caches.share_between_processes): a private folder of this run, removed at its end
    shared_dir = tempfile.mkdtemp(prefix="msp-shared-")
    tasks = [dataclasses.replace(task, shared_dir=shared_dir) for task in tasks]
    own_executor = executor is None
    executor = executor or ThreadPoolExecutor(max_workers=jobs or default_jobs(requests, len(tasks)))
    failures = 0
    log_path = out_dir / "run.log"
    shown = Progress(len(requests), len(outcomes), notebook, progress_mode(quiet, verbose, progress))
    with open(log_path, "a", encoding="utf-8") as log:
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
                outcome.region = outcome.region or task.page.get("region", "")
                outcome.period = outcome.period or task.page.get("period", "")
                outcome.policy = outcome.policy or task.page.get("policy", {})
                outcomes.append(outcome)
                if outcome.status == "ok":
                    write_text(out_dir / CACHE_DIR / f"{task.name}.json", json.dumps({"key": task.cache_key}))
                else:
                    failures += 1
                kept = f" (executed notebook: {outcome.notebook_path})" if outcome.notebook_path else ""
                log.write(f"{outcome.name} {outcome.status} {outcome.seconds:.2f}s {outcome.error}{kept}\n")
                shown.update(outcome.name, outcome.status, outcome.seconds, outcome.error)
        finally:
            shown.close()
            if own_executor:
                executor.shutdown(wait=True)
                shutdown_kernels()
            shutil.rmtree(shared_dir, ignore_errors=True)
        log.write(f"{datetime.now(timezone.utc).isoformat()} done, {failures} failed\n")
    if pdf:
        print_pdfs(outcomes)
    write_index(outcomes, out_dir)
    return outcomes

