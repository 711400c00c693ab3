"""Kernel-side helpers for warm kernels: import once, reset between reports.

A warm kernel runs report after report; :func:`warm_up` pays the heavy imports once and
records matplotlib's settings, and :func:`reset` puts figures and settings back before the
next report so that nothing leaks from one report into another. The batch runner also
clears the user namespace (``%reset -f``) between reports. This module keeps the one piece
of state it needs (the settings recorded at warm-up) at module level, inside the kernel.
"""

from __future__ import annotations

import warnings

_SETTINGS: dict = {}


def warm_up() -> None:
    """Import what the notebooks use and record matplotlib's start-up settings."""
    import matplotlib
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import seaborn  # noqa: F401
    import statsmodels.api  # noqa: F401

    import msp_analysis.config  # noqa: F401
    import msp_analysis.disclosure  # noqa: F401
    import msp_analysis.io  # noqa: F401
    import msp_analysis.locality  # noqa: F401
    import msp_analysis.plots  # noqa: F401

    _SETTINGS.clear()
    import gc
    gc.collect()
    gc.freeze()
    # the backend and interactive mode belong to the kernel's display machinery, not to a report
    _SETTINGS.update({k: v for k, v in matplotlib.rcParams.items() if k not in ("backend", "interactive")})


def reset() -> None:
    """Close every figure and restore matplotlib's settings to those of a fresh kernel."""
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    if _SETTINGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_SETTINGS)
