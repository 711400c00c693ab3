"""Kernel-side helpers for warm kernels: import once, reset between reports.

A warm kernel runs report after report; :func:`warm_up` pays the heavy imports once and
records matplotlib's settings, and :func:`reset` puts figures and settings back before the
next report so that nothing leaks from one report into another. The batch runner also
clears the user namespace (``%reset -f``) between reports. Work shared by many reports is
cached by :mod:`msp_analysis.toolkit.caches`, which ``%reset -f`` leaves alone.

The settings recorded at warm-up live at module level, inside the kernel: this module is
imported only there (by the warm-up and reset cells of :mod:`.kernel`), never by the batch.
"""

from __future__ import annotations

import gc
import importlib
import warnings

import matplotlib
import matplotlib.pyplot as plt

from msp_analysis.reporting.registry import REPORTS
from msp_analysis.reporting.render.kernel_state_names import CELL_MARKER

_SETTINGS: dict = {}
# imported by every kernel, whatever its first report: the libraries and the shared layers
CORE_MODULES = (
    "numpy", "pandas", "matplotlib.pyplot", "matplotlib.backends.backend_svg",
    "msp_analysis.disclosure.policies", "msp_analysis.io.processed", "msp_analysis.reporting.figures",
    "msp_analysis.reporting.registry",
)


def warm_up(notebook: str | None = None) -> None:
    """Import what the notebooks use, record matplotlib's start-up settings, freeze the imports for the GC.

    A kernel started for one notebook imports that notebook's modules (its registry entry's
    ``warm_modules``) now and any other notebook's on first use, so a batch of locality
    reports does not pay for statsmodels. With no notebook named, every report's modules load.
    """
    for name in CORE_MODULES:
        importlib.import_module(name)
    specs = [REPORTS[notebook]] if notebook in REPORTS else list(REPORTS.values())
    for spec in specs:
        for name in spec.warm_modules:
            importlib.import_module(name)

    _SETTINGS.clear()
    # the backend and interactive mode belong to the kernel's display machinery, not to a report
    _SETTINGS.update({k: v for k, v in matplotlib.rcParams.items() if k not in ("backend", "interactive")})
    # `%reset -f` runs the garbage collector several times between reports; the hundreds of
    # thousands of objects the imports created never die, so move them out of its way.
    gc.collect()
    gc.freeze()


def reset() -> None:
    """Close every figure and restore matplotlib's settings to those of a fresh kernel."""
    plt.close("all")
    if _SETTINGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_SETTINGS)


def run_cells(sources: list[str]) -> None:
    """Run each source as a cell of its own, in order, announcing each with a marker display; stop at a failure.

    The batch's engine (:mod:`.engine`) sends a report's code cells in one message and gives each
    cell the outputs that follow its marker, so the report is what running the cells one by one gives.
    """
    from IPython import get_ipython  # lazy: this runs inside a kernel, where IPython is loaded
    from IPython.display import publish_display_data

    shell = get_ipython()
    for index, source in enumerate(sources):
        publish_display_data({CELL_MARKER: index})
        if not shell.run_cell(source, store_history=False).success:
            return
