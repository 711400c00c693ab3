"""Where a report came from: package version, git commit, parameters, inputs, policy, time.

The batch runner (:func:`~msp_analysis.reporting.render.batch.render_task`) appends
:func:`provenance_markdown` to every report before it is exported, so each rendered page
ends with the facts a reader needs to reproduce it. Inputs are named by file name only and
parameters that are folders by their last component: a report shows no local path. Every value
from data or parameters is inert: shown as code, or escaped (:func:`~msp_analysis.reporting.sections.inert`),
so a folder or policy symbol written as markup shows as text. When an
input was fetched from its publisher (``msp-analysis fetch``, recorded through the processed
file's manifest), the block also names the publisher's file: its address, when it was
fetched and its sha256 (:func:`source_lines`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from msp_analysis import __version__
from msp_analysis.io.processed import publisher_files
from msp_analysis.reporting.registry import PROJECT_ROOT
from msp_analysis.reporting.sections import inert

_URL = re.compile(r"https?://[^\s<>`\\]+")

# (input file name, publisher's file name, address, when fetched, sha256, unchanged since fetched)
SourceLine = tuple[str, str, str, str, str, bool]


def git_commit(root: str | Path = PROJECT_ROOT) -> str | None:
    """The commit checked out at `root`, read from ``.git`` without running git; None when unknown.

    Handles a ``.git`` file (worktrees), symbolic and detached HEADs and packed refs; any
    problem (no repository, an installed package, no git on the machine) gives None.

    >>> git_commit("/nonexistent") is None
    True
    """
    try:
        root = Path(root)
        git = root / ".git"
        if git.is_file():
            pointer = git.read_text(encoding="utf-8").strip()
            if not pointer.startswith("gitdir:"):
                return None
            git = (root / pointer.split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head if len(head) == 40 else None
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                commit = (base / ref).read_text(encoding="utf-8").strip()
                return commit if len(commit) == 40 else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except (OSError, UnicodeDecodeError):
        return None
    return None


@cache
def _commit_once(root: str) -> str | None:
    return git_commit(root)


def source_lines(path: str | Path, sha256: str | None = None) -> tuple[SourceLine, ...]:
    """The publisher's files behind input `path` as :func:`provenance_markdown` shows them; empty when none."""
    return tuple((Path(path).name, str(record.get("file", "")), str(record.get("url", "")),
                  str(record.get("fetched", "")), str(record.get("sha256", "")),
                  bool(record.get("unchanged_since_fetch", True)))
                 for record in publisher_files(path, sha256))


def _code(value: object) -> str:
    """A value shown as code: inert whatever it holds (a backtick would end the code span, so none is kept)."""
    return "`" + str(value).replace("`", "'").replace("\n", " ") + "`"


def _source_text(line: Sequence) -> str:
    used_by, name, url, fetched, sha, unchanged = line
    link = f"<{url}>" if _URL.fullmatch(str(url)) else _code(url)  # only an http(s) address becomes a link
    text = f"{_code(name)} from {link}, fetched {inert(str(fetched or 'at an unrecorded time'))}, sha256 {_code(sha)}"
    if name != used_by:
        text += f" (in {_code(used_by)})"
    return text if unchanged else text + ", changed since it was fetched"


def provenance_markdown(parameters: Iterable[tuple[str, str]], inputs: Iterable[tuple[str, str]], policy: str,
                        when: datetime | None = None, commit: str | None | bool = True,
                        sources: Iterable[Sequence] = ()) -> str:
    """The block that ends every report.

    `parameters`: (key, value) pairs as the report may print them; `inputs`: (file name,
    sha256 or ``"missing"``); `policy`: the disclosure policy's statement. `commit` True reads
    the project's git commit (once per process); a string is used as given; None says it is
    not available. `sources`: the publisher's files behind the inputs (:func:`source_lines`);
    their line appears only when there are some.
    """
    when = when or datetime.now(timezone.utc)
    sources = list(sources)
    if commit is True:
        commit = _commit_once(str(PROJECT_ROOT))
    shown_parameters = ", ".join(f"{inert(str(k))}: {_code(v)}" for k, v in parameters if v not in ("", None)) or "none"
    files = "; ".join(f"{_code(Path(name).name)} not present" if sha == "missing" else
                      f"{_code(Path(name).name)} {_code(sha)}" for name, sha in inputs) or "none"
    lines = [
        "## Provenance",
        "",
        f"- **Package:** msp-analysis {__version__}, "
        + (f"git commit `{commit}`" if commit else "git commit not available"),
        f"- **Parameters:** {shown_parameters}",
        f"- **Input files (sha256):** {files}",
        *([f"- **Publisher's files:** {'; '.join(map(_source_text, sources))}"] if sources else []),
        f"- **{inert(policy)}**" if policy else "- **Disclosure control:** not stated",  # a policy's symbol is data
        f"- **Rendered:** {when.strftime('%Y-%m-%d %H:%M:%S')} UTC",
    ]
    return "\n".join(lines)
