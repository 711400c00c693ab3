"""Optional modules the package's own processes (its command line and its kernels) do without.

jsonschema registers an "iri" format checker when ``rfc3987_syntax`` is installed (it comes with
JupyterLab, through jupyter_events' ``jsonschema[format-nongpl]``), and that module builds an Earley
grammar when imported: 2.7 s of CPU on the project's 2-core machine, in every process that imports
nbformat, so in every kernel of a batch (each exports its pages) and in the batch process. Nothing
these processes run checks an "iri" format (nbformat validates notebooks against draft 4, which has
none), so they do without it, as jsonschema does when it is not installed. Other programs that
import the package as a library are left alone: only :func:`skip_unused_imports` changes this.
"""

from __future__ import annotations

import sys

UNUSED_MODULES = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Make importing :data:`UNUSED_MODULES` fail in this process (as if not installed), unless already imported."""
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]
