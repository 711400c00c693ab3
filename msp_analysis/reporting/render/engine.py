"""The papermill engine that executes a notebook in a warm kernel instead of starting one.

papermill keeps a registry of engines (one entry per engine name). :func:`register_engine`
adds :class:`WarmEngine` to it under :data:`ENGINE`; the batch runner calls it before it
executes a notebook, in whichever process runs the report, so importing this module changes
nothing in papermill.

The engine sends the notebook's code cells to the kernel in one message rather than one each
(:func:`~msp_analysis.reporting.render.kernel_state.run_cells` runs them there, in order, each as
a cell of its own, and sends every cell's outputs back in one display); each cell gets its own
outputs, so the executed notebook is the one nbclient would have made cell by cell, in one round
trip and one output message instead of one per cell and per display. A cell that fails stops the rest, as nbclient does, and papermill
reports it as usual.

Given ``page=`` (the export's arguments), the kernel also writes the report's page once every cell ran
(:func:`~msp_analysis.reporting.render.export.export_html` on its own copy of the notebook, outputs
filled in as here) and sends it with the outputs; :func:`last_page` gives it. The export is then done
beside the next report's cells by whichever kernel ran the report, instead of in the batch process,
where every worker's export waited for the others' (one interpreter lock).
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import from_dict
from nbformat.v4 import output_from_msg
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from msp_analysis.reporting.render.kernel_state_names import OUTPUTS_BUNDLE

ENGINE = "msp-warm"
_last = threading.local()  # the notebook this thread executed last: kept for a failed report (papermill writes none)


def last_notebook():
    """The notebook this thread's last execution left (outputs and papermill's error cell), or None."""
    return getattr(_last, "notebook", None)


def last_page() -> str | None:
    """The page the kernel wrote for this thread's last execution (``page=`` given, every cell ran), else None."""
    return getattr(_last, "page", None)


class WarmEngine(NBClientEngine):
    """papermill engine that executes in a warm kernel passed as ``warm_kernel=``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        warm = kwargs.pop("warm_kernel")
        kwargs.pop("input_path", None)
        page = kwargs.pop("page", None)
        _last.notebook, _last.page = nb_man.nb, None
        if warm.kc is not None and kwargs.pop("one_message", True):
            return run_in_one_message(nb_man.nb, warm, page)
        client = PapermillNotebookClient(
            nb_man, km=warm.km, kernel_name=kernel_name, log_output=log_output, startup_timeout=start_timeout,
            timeout=execution_timeout, stdout_file=stdout_file, stderr_file=stderr_file,
        )
        client.kc = warm.kc
        try:
            return client.execute()
        finally:
            warm.kc = client.kc


def register_engine() -> str:
    """Register :class:`WarmEngine` with papermill as :data:`ENGINE` and return that name.

    Idempotent: registering again puts the same class under the same name.
    """
    papermill_engines.register(ENGINE, WarmEngine)
    return ENGINE


RUN_CELLS = "import msp_analysis.reporting.render.kernel_state as _state\n_state.run_cells({sources!r}, page={page!r})"
POLL_SECONDS = 5


def run_in_one_message(nb, warm, page: dict | None = None) -> None:
    """Execute every code cell of `nb` in the warm kernel with one execute request; outputs go to their cells.

    The kernel sends every cell's outputs in one display (:data:`OUTPUTS_BUNDLE`, made by
    :func:`~msp_analysis.reporting.render.kernel_state.run_cells`): each output becomes a notebook
    output as nbformat's ``output_from_msg`` would make it, without validating each (the exporter
    validates the notebook once). Anything else the kernel sends (an error, output written outside
    the cells) goes to the last cell run, after that cell's own outputs.

    `page`: :func:`~msp_analysis.reporting.render.export.export_html`'s ``title``, ``simulated`` and
    ``page``; the kernel exports the notebook as it is here, and :func:`last_page` gives the page (None
    when a cell failed or the kernel sent anything besides the outputs: then the caller exports).
    """
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(cells, start=1):
        cell.outputs = []
        cell.execution_count = number
    kc = warm.kc
    export = None
    if page is not None:  # the notebook in a file: in the code, ipykernel would hash it in Python and IPython parse it
        notebook_file = Path(warm.folder) / "page.ipynb"
        notebook_file.write_text(json.dumps(nb), encoding="utf-8")
        export = {**page, "notebook_file": str(notebook_file)}
    msg_id = kc.execute(RUN_CELLS.format(sources=[cell.source for cell in cells], page=export), store_history=False,
                        allow_stdin=False, stop_on_error=True)
    ran, others, html = 1, [], None  # before the bundle: the runner itself failed, and what it sent goes to the first cell
    while True:
        try:
            msg = run_sync(kc.get_iopub_msg)(timeout=POLL_SECONDS)
        except queue.Empty:
            if not warm.alive():
                raise DeadKernelError("the kernel died while running the report") from None
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in ("status", "execute_input", "clear_output", "update_display_data"):
            continue
        bundle = msg["content"].get("data", {}).get(OUTPUTS_BUNDLE) if kind == "display_data" else None
        if bundle is not None:
            ran = max(int(bundle["ran"]), 1)
            for cell, outputs in zip(cells, bundle["outputs"], strict=False):
                cell.outputs = [from_dict(output) for output in outputs]
            html = bundle.get("html")
            continue
        others.append(output_from_msg(msg))
    cells[min(ran, len(cells)) - 1].outputs.extend(others)
    _last.page = None if others else html  # anything sent outside the bundle is not on the kernel's page
    while True:  # the reply, so that nothing of this report is left on the shell channel
        try:
            reply = run_sync(kc.get_shell_msg)(timeout=POLL_SECONDS)
        except queue.Empty:
            if not warm.alive():
                raise DeadKernelError("the kernel died while running the report") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return
