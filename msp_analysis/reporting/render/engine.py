"""The papermill engine that executes a notebook in a warm kernel instead of starting one.

papermill keeps a registry of engines (one entry per engine name). :func:`register_engine`
adds :class:`WarmEngine` to it under :data:`ENGINE`; the batch runner calls it before it
executes a notebook, in whichever process runs the report, so importing this module changes
nothing in papermill.
"""

from __future__ import annotations

import threading

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

ENGINE = "msp-warm"
_last = threading.local()  # the notebook this thread executed last: kept for a failed report (papermill writes none)


def last_notebook():
    """The notebook this thread's last execution left (outputs and papermill's error cell), or None."""
    return getattr(_last, "notebook", None)


class WarmEngine(NBClientEngine):
    """papermill engine that executes in a warm kernel passed as ``warm_kernel=``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
        warm = kwargs.pop("warm_kernel")
        kwargs.pop("input_path", None)
        _last.notebook = nb_man.nb
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
