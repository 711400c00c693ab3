"""Kernel-side helpers for warm kernels: import once, reset between reports, cache shared work.

A warm kernel runs report after report; :func:`warm_up` pays the heavy imports once and
records matplotlib's settings, and :func:`reset` puts figures and settings back before the
next report so that nothing leaks from one report into another. The batch runner also
clears the user namespace (``%reset -f``) between reports.

:func:`frame_cache` memoises library functions whose work is shared by many reports (every
council's funnel-plot data, regional aggregates) on the *identity* of the DataFrames they
are given: ``io.read_clean`` hands every report of a worker the same cached frame, so such a
function runs once per worker and input, not once per report. The cache holds its frames
weakly and never outlives them, and the results are read-only by convention (pandas'
copy-on-write protects them from a caller that modifies what it got).

This module keeps that state (the settings recorded at warm-up, the cache) at module level,
inside the kernel; ``%reset -f`` does not clear it.
"""

from __future__ import annotations

import functools
import gc
import warnings
import weakref
from typing import Callable, TypeVar

_SETTINGS: dict = {}
_FRAME_CACHE: dict = {}
_FRAME_CACHE_SIZE = 64
T = TypeVar("T")


# what each notebook imports beyond the shared core: paid at warm-up by a kernel started for it
NOTEBOOK_MODULES = {
    "locality": ("msp_analysis.locality",),
    "temperature_check": ("msp_analysis.temperature_report",),
    "evaluation": ("statsmodels.api", "msp_analysis.evaluation_report"),
}


def warm_up(notebook: str | None = None) -> None:
    """Import what the notebooks use, record matplotlib's start-up settings, freeze the imports for the GC.

    A kernel started for one notebook imports that notebook's modules now and any other
    notebook's on first use, so a batch of locality reports does not pay for statsmodels.
    """
    import importlib

    import matplotlib
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    from matplotlib.backends import backend_svg  # noqa: F401  (figures are written as SVG)

    import msp_analysis.config  # noqa: F401
    import msp_analysis.disclosure  # noqa: F401
    import msp_analysis.io  # noqa: F401
    import msp_analysis.plots  # noqa: F401

    wanted = NOTEBOOK_MODULES.get(notebook) if notebook else None
    for name in wanted or [m for modules in NOTEBOOK_MODULES.values() for m in modules]:
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
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    if _SETTINGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_SETTINGS)


def _is_frame(value: object) -> bool:
    import pandas as pd

    return isinstance(value, (pd.DataFrame, pd.Series))


def frame_cache(func: Callable[..., T]) -> Callable[..., T]:
    """Memoise `func` on the identity of its DataFrame arguments and the value of the others.

    Other arguments must be hashable. A frame that dies takes its entries with it (a new
    frame at the same address is a different key); the cache is cleared when it holds
    more than 64 entries.

    >>> @frame_cache
    ... def council_totals(df_enquiries): ...  # doctest: +SKIP
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        frames = [a for a in list(args) + list(kwargs.values()) if _is_frame(a)]
        key = (func.__module__, func.__qualname__,
               tuple(("frame", id(a)) if _is_frame(a) else a for a in args),
               tuple(sorted((k, ("frame", id(v)) if _is_frame(v) else v) for k, v in kwargs.items())))
        hit = _FRAME_CACHE.get(key)
        if hit is not None and all(ref() is frame for ref, frame in zip(hit[0], frames)):
            return hit[1]
        value = func(*args, **kwargs)
        if len(_FRAME_CACHE) >= _FRAME_CACHE_SIZE:
            _FRAME_CACHE.clear()
        _FRAME_CACHE[key] = ([weakref.ref(f) for f in frames], value)
        return value

    wrapper.cache_clear = _FRAME_CACHE.clear  # type: ignore[attr-defined]
    return wrapper
