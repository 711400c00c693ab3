"""Relative paths that mean the same wherever a program starts: read from the project root.

JupyterLab starts each kernel in the notebook's folder (``notebooks/``), the CLI runs wherever
its user stands, and a batch worker wherever it was launched; a default such as
``data_dir = "data/processed/demo"`` must name the same folder in all of them. So every path
a user gives (a notebook parameter, a CLI argument, a library call) goes through
:func:`resolve_path`: an absolute path is used as given, a relative one is read from the
project root.

The project root (:func:`project_root`) is the nearest folder holding the marker file
``.msp-project``, looked for from the working directory upward (a study folder of one's own
becomes a project by holding a copy of the marker), then from the package's own folder upward
(the checkout ``make`` installed from, which holds the marker). When neither has one (the
package installed from a wheel, run outside any project) it is the working directory, and
relative paths behave as they do everywhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_MARKER = ".msp-project"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _marked_ancestor(start: Path) -> Path | None:
    """The nearest of `start` and its parents holding PROJECT_MARKER, or None."""
    for folder in (start, *start.parents):
        if (folder / PROJECT_MARKER).is_file():
            return folder
    return None


def project_root() -> Path:
    """The folder relative paths are read from: marker above the working directory, else above the package, else cwd.

    Looked up on every call (a kernel may change its directory), a few ``stat`` calls.
    """
    cwd = Path(os.getcwd())
    return _marked_ancestor(cwd) or _marked_ancestor(_PACKAGE_DIR) or cwd


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """`path` as an absolute path: used as given when absolute, else read from :func:`project_root`.

    ``~`` is expanded first. Nothing is checked for existence: the caller says what is missing,
    naming this resolved path.

    >>> resolve_path("/tmp/data") == Path("/tmp/data")
    True
    >>> resolve_path("data/processed/demo") == project_root() / "data" / "processed" / "demo"
    True
    """
    given = Path(path).expanduser()
    return given if given.is_absolute() else project_root() / given


def project_relative(path: str | os.PathLike[str]) -> str:
    """`path` as a record keeps it: relative to the project root when inside it, else absolute.

    Manifests record their inputs this way, so a project folder can be moved or shared without
    its records pointing at the old place, and no home-folder path is written when none is needed.

    >>> project_relative(project_root() / "data" / "raw" / "demo" / "evaluation.csv")
    'data/raw/demo/evaluation.csv'
    """
    resolved = resolve_path(path)
    try:
        return resolved.relative_to(project_root()).as_posix()
    except ValueError:
        return str(resolved)
