"""Warm Jupyter kernels: started once per worker thread, reset between reports, stopped at the end.

A naive loop pays a kernel start and the pandas / statsmodels / matplotlib imports for every
report. A :class:`WarmKernel` pays them once (the warm-up cell runs
:func:`~msp_analysis.reporting.render.kernel_state.warm_up` inside the kernel) and then runs
report after report; before each report but the first, :meth:`WarmKernel.notebook_to_run`
puts a reset cell at the top of the notebook (figures closed, matplotlib settings restored,
user namespace cleared) so that a report renders the same whether it ran alone or after
others, in the same round trip as the report itself.

Each thread of a worker keeps its own kernel (:func:`warm_kernel`); :func:`shutdown_kernels`
stops every kernel this process started. A kernel does its linear algebra in one thread
(:data:`ONE_THREAD`): a batch runs a report per core already, and with OpenBLAS's two threads
competing for those cores the England evaluation's record-level logit took 3 to 9 s instead of
0.3 s on this 2-core machine (issue 17).
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
import threading
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from papermill.translators import translate_parameters

from msp_analysis.reporting.registry import KERNEL_NAME
from msp_analysis.toolkit.errors import MspError

WARM_UP = "import msp_analysis.reporting.render.kernel_state as _state\n_state.warm_up({notebook!r})\n%reset -f"
RESET = "import msp_analysis.reporting.render.kernel_state as _state\n_state.reset(namespace=True)"
SHARE = "import msp_analysis.reporting.render.kernel_state as _state\n_state.share({folder!r})"
# the thread pools of numpy's BLAS and of OpenMP libraries, one thread each unless the caller set them
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
RESET_TAG = "msp-reset"  # the reset cell's tag: the exporter leaves it out of the report


class KernelNotRegisteredError(MspError, RuntimeError):
    """The project's Jupyter kernel is not installed; the message says how to install it."""


def require_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Fail early, with the fix, when the project's kernel is not registered."""
    if kernel_name not in KernelSpecManager().find_kernel_specs():
        raise KernelNotRegisteredError(
            f"Jupyter kernel {kernel_name!r} is not registered; run `make env` "
            f"(or `python -m ipykernel install --sys-prefix --name {kernel_name}`)"
        )


class WarmKernel:
    """One long-lived kernel that runs report after report, reset in between."""

    def __init__(self, kernel_name: str, cwd: str, notebook: str | None = None) -> None:
        self.kernel_name = kernel_name
        # IPC sockets in a private folder: no TCP port is opened for a report
        self._sockets = tempfile.mkdtemp(prefix="msp-kernel-")  # private (0700): also what the batch hands the kernel
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(self._sockets, "k"))
        self.kc = None
        self._run_source(WARM_UP.format(notebook=notebook), cwd=cwd, env={**ONE_THREAD, **os.environ})
        self.used = False  # True once a report ran: the next one starts with the reset cell
        atexit.register(self.shutdown)

    def _run_source(self, source: str, **start_options) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        client = NotebookClient(nb, km=self.km, kernel_name=self.kernel_name, allow_errors=False)
        client.kc = self.kc
        client.execute(**start_options)
        self.kc = client.kc

    def notebook_to_run(self, source: Path, scratch: Path, parameters: dict | None = None) -> Path:
        """The notebook to execute next as a file: `source` as it is, or the copy :meth:`notebook_node` makes."""
        if not self.used and not parameters:
            self.used = True
            return source
        path = scratch / "input.ipynb"
        nbformat.write(self.notebook_node(source, parameters), path)
        return path

    def notebook_node(self, source: Path, parameters: dict | None = None,
                      shared: str | None = None) -> nbformat.NotebookNode:
        """The notebook to execute next, in memory: `source` with a parameters cell that does more.

        In a kernel that ran a report before, the reset runs first; with `shared` (the batch's
        folder for work shared between kernels, :func:`~.kernel_state.share`), the kernel is told
        it; with `parameters`, their values follow the notebook's defaults, as papermill would
        inject them. All go into the parameters cell itself (reset, sharing, defaults, values), so
        a report pays one round trip for them instead of several.
        """
        notebook_node = _read_notebook(source)
        cell = next((c for c in notebook_node.cells if "parameters" in c.metadata.get("tags", [])), None)
        injected = translate_parameters(self.kernel_name, "python", parameters, "Parameters") if parameters else ""
        if cell is None:  # no parameters cell: one at the top, which the exporter leaves out too
            cell = nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]})
            notebook_node.cells.insert(0, cell)
        tags = list(cell.metadata.get("tags", []))
        if shared is not None:
            cell.source = f"{SHARE.format(folder=shared)}\n{cell.source}"
        if self.used:
            cell.source = f"{RESET}\n{cell.source}"
            tags.append(RESET_TAG)
        if injected:
            cell.source = f"{cell.source}\n{injected}"
            tags.append("injected-parameters")
        cell.metadata["tags"] = tags
        self.used = True
        return notebook_node

    @property
    def folder(self) -> str:
        """A folder only this process's user can read, removed with the kernel: for files handed to the kernel."""
        return self._sockets

    def alive(self) -> bool:
        return bool(self.km.has_kernel and run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=False)
        except Exception:  # shutting down at exit: nothing useful to report
            pass
        shutil.rmtree(self._sockets, ignore_errors=True)


_notebooks: dict[tuple[str, int, int], nbformat.NotebookNode] = {}


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    """A copy of the notebook at `path`, read (and validated) once per version of the file."""
    status = path.stat()
    key = (str(path), status.st_size, status.st_mtime_ns)
    if key not in _notebooks:
        _notebooks.clear()  # one version of each notebook at a time
        _notebooks[key] = nbformat.read(path, as_version=4)
    return copy.deepcopy(_notebooks[key])


_local = threading.local()
_started: list[WarmKernel] = []
_started_lock = threading.Lock()


def warm_kernel(kernel_name: str, cwd: str, notebook: str | None = None) -> WarmKernel:
    """This thread's warm kernel, started (for `notebook`'s modules) when it has none or it died."""
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
    stopping = [threading.Thread(target=kernel.shutdown) for kernel in kernels]  # side by side: each waits for its exit
    for thread in stopping:
        thread.start()
    for thread in stopping:
        thread.join()
    _local.__dict__.pop("kernel", None)
