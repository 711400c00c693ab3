"""Kernel-side helpers for warm kernels: import once, reset between reports.

A warm kernel runs report after report; :func:`warm_up` pays the heavy imports once and
records matplotlib's settings, and :func:`reset` puts figures and settings back before the
next report so that nothing leaks from one report into another, and clears the user namespace
(:func:`clear_namespace`, what ``%reset -f`` does without its garbage collections). Work shared
by many reports is cached by :mod:`msp_analysis.toolkit.caches`, which the reset leaves alone.

The settings recorded at warm-up live at module level, inside the kernel: this module is
imported only there (by the warm-up and reset cells of :mod:`.kernel`), never by the batch.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import warnings

from msp_analysis.reporting.registry import REPORTS
from msp_analysis.reporting.render.kernel_state_names import OUTPUTS_BUNDLE
from msp_analysis.toolkit.memory import use_system_allocator
from msp_analysis.toolkit.startup import skip_unused_imports

_SETTINGS: dict = {}
# imported by every kernel, whatever its first report: the libraries and the shared layers. Not matplotlib: the
# locality and temperature-check figures are written as SVG directly; the evaluation's warm-up imports it.
CORE_MODULES = (
    "numpy", "pandas",
    "msp_analysis.disclosure.policies", "msp_analysis.io.processed", "msp_analysis.reporting.figures",
    "msp_analysis.reporting.registry", "msp_analysis.reporting.render.export",
)


def warm_up(notebook: str | None = None) -> None:
    """Import what the notebooks use, record matplotlib's start-up settings, freeze the imports for the GC.

    A kernel started for one notebook imports that notebook's modules (its registry entry's
    ``warm_modules``) now and any other notebook's on first use, so a batch of locality
    reports does not pay for statsmodels. With no notebook named, every report's modules load.
    """
    skip_unused_imports()  # before nbformat is imported (toolkit.startup says why)
    use_system_allocator()  # before any frame is read (toolkit.memory says why)
    for name in CORE_MODULES:
        importlib.import_module(name)
    specs = [REPORTS[notebook]] if notebook in REPORTS else list(REPORTS.values())
    for spec in specs:
        for name in spec.warm_modules:
            importlib.import_module(name)

    _SETTINGS.clear()
    if "matplotlib" in sys.modules:
        _record_settings(sys.modules["matplotlib"].rcParams)
    # `%reset -f` runs the garbage collector several times between reports; the hundreds of
    # thousands of objects the imports created never die, so move them out of its way.
    gc.collect()
    gc.freeze()


def _record_settings(params) -> None:
    # the backend and interactive mode belong to the kernel's display machinery, not to a report
    _SETTINGS.update({k: v for k, v in params.items() if k not in ("backend", "interactive")})


def reset(namespace: bool = False) -> None:
    """Close every figure and restore matplotlib's settings to those of a fresh kernel; with `namespace`, clear
    the user namespace too (:func:`clear_namespace`)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None and not _SETTINGS:  # first loaded by a report: the settings it was loaded with
        _record_settings(matplotlib.rcParamsOrig)
    if matplotlib is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_SETTINGS)
    if namespace:
        clear_namespace()
        # what the reports so far left alive is mostly the work they share (caches.frame_cache): out of the
        # collector's way, as warm_up does for the imports, so that each report's collections scan its own objects
        gc.collect()
        gc.freeze()


def share(folder: str | None) -> None:
    """Share the work of this kernel's reports with the batch's other kernels through `folder` (None: not at all).

    See :func:`msp_analysis.toolkit.caches.share_between_processes`; the name this cell imported
    is removed again, so a report's namespace is the same whether it shares or not.
    """
    from IPython import get_ipython  # lazy: inside a kernel only

    from msp_analysis.toolkit.caches import share_between_processes

    share_between_processes(folder)
    get_ipython().user_ns.pop("_state", None)


def clear_namespace() -> None:
    """What ``%reset -f`` does for a report, without its two full garbage collections (about 25 ms a report).

    The user namespace is emptied and set up again as in a fresh kernel (IPython's own
    ``init_user_ns``), the output history and the ``_`` results are dropped, so nothing a
    report defined is visible to the next. The objects they held are freed by reference
    counting as usual, and any cycles by the collector's own schedule.
    """
    from IPython import get_ipython  # lazy: this runs inside a kernel, where IPython is loaded

    shell = get_ipython()
    if shell.history_manager is not None:
        shell.history_manager.reset(new_session=False)  # output history (Out, _oh) and input history
    shell.last_execution_succeeded = True
    shell.last_execution_result = None
    hook = shell.displayhook
    hook._, hook.__, hook.___ = "", "", ""
    namespace = shell.user_global_ns
    if shell.user_ns is not namespace:
        shell.user_ns.clear()
    for key in [k for k in namespace if k not in ("__builtin__", "__builtins__", "__name__")]:
        del namespace[key]
    shell.user_ns_hidden.clear()
    shell.init_user_ns()
    shell.clear_main_mod_cache()


class _Stream:
    """``sys.stdout`` / ``sys.stderr`` while a report runs: text kept as the cell's stream outputs, in order."""

    def __init__(self, name: str, outputs: list) -> None:
        self.name = name
        self.outputs = outputs  # the running cell's outputs (run_cells swaps the list)
        self.encoding = "utf-8"

    def write(self, text: str) -> int:
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == self.name:
            last["text"] += text  # one output for consecutive writes, as the kernel's buffered stream sends them
        elif text:
            self.outputs.append({"output_type": "stream", "name": self.name, "text": text})
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _publisher(outputs: list):
    """A display publisher that keeps each display as an output of the running cell instead of sending it."""
    from IPython.core.displaypub import DisplayPublisher  # lazy: inside a kernel only

    class Keep(DisplayPublisher):
        current: list = outputs

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            if not update:  # an update of an earlier display changes nothing in an executed notebook
                self.current.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

        def clear_output(self, wait=False):
            pass  # as the engine always did: a report's outputs are what it displayed

    return Keep()


class _DisplayHook:
    """``sys.displayhook`` while a report runs: a cell's last expression kept as its ``execute_result``."""

    def __init__(self, shell, outputs: list) -> None:
        self.shell = shell
        self.current = outputs
        self.source = ""

    def __call__(self, result=None) -> None:
        if result is None or self.shell.displayhook.semicolon_at_end_of_expression(self.source):
            return
        data, metadata = self.shell.display_formatter.format(result)  # {} when it displayed itself
        if data:
            self.current.append({"output_type": "execute_result", "execution_count": self.shell.execution_count,
                                 "data": data, "metadata": metadata})


def run_cells(sources: list[str], page: dict | None = None) -> None:
    """Run each source as a cell of its own, in order, stop at a failure; send every cell's outputs in one display.

    The batch's engine (:mod:`.engine`) sends a report's code cells in one message. Their displays,
    results and printed text are kept here, per cell, and sent together at the end as one
    :data:`~.kernel_state_names.OUTPUTS_BUNDLE` display (one message instead of one per display, and
    no stream flush per display); an error goes out as the kernel sends it, and the engine gives it
    to the last cell run. So the report is what running the cells one by one gives.

    With `page` (``notebook_file``: the notebook as JSON, whose code cells are `sources`; ``title``,
    ``simulated``, ``page``: :func:`~.export.export_html`'s arguments), once every cell ran the
    notebook is exported here with these outputs and the page goes in the display as ``html``.
    """
    from IPython import get_ipython  # lazy: this runs inside a kernel, where IPython is loaded

    shell = get_ipython()
    cells: list[list] = []
    html = None
    publisher, hook = _publisher([]), _DisplayHook(shell, [])
    streams = _Stream("stdout", []), _Stream("stderr", [])
    saved = shell.display_pub, sys.displayhook, sys.stdout, sys.stderr
    shell.display_pub, sys.displayhook, (sys.stdout, sys.stderr) = publisher, hook, streams
    try:
        for source in sources:
            outputs: list = []
            cells.append(outputs)
            publisher.current = hook.current = streams[0].outputs = streams[1].outputs = outputs
            hook.source = source
            if not shell.run_cell(source, store_history=False).success:
                break
        else:
            html = _export(page, cells) if page is not None else None
    finally:
        shell.display_pub, sys.displayhook, sys.stdout, sys.stderr = saved
        bundle = {"ran": len(cells), "outputs": cells}
        if html is not None:
            bundle["html"] = html
        shell.display_pub.publish({OUTPUTS_BUNDLE: bundle}, {})


def _export(page: dict, cells: list[list]) -> str:
    """The page of the notebook in `page["notebook_file"]` with `cells`' outputs in its code cells, as the engine fills
    them."""
    import nbformat  # lazy: inside a kernel, which imports the exporter at warm-up

    from msp_analysis.reporting.render.export import export_html

    with open(page["notebook_file"], encoding="utf-8") as handle:
        notebook = nbformat.from_dict(json.load(handle))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, (cell, outputs) in enumerate(zip(code, cells, strict=True), start=1):
        cell.outputs = [nbformat.from_dict(output) for output in outputs]
        cell.execution_count = number
    return export_html(notebook, page["title"], simulated=page["simulated"], page=page["page"])
