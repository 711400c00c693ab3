"""How a batch tells its user where it is: a bar on a terminal, a line per step in a log, nothing when quiet.

A progress bar redraws itself many times a second, which is right on a terminal and wrong in a
log file (``make demo > log`` once held thousands of bar frames). So the bar is drawn only when
the output is a terminal (or when asked for); otherwise the batch writes plain lines: one when
it starts, one at every tenth of the work, one at the end — or one per report with ``verbose``.
"""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm.auto import tqdm

STEPS = 10  # plain-line mode reports at every tenth of the batch


def progress_mode(quiet: bool = False, verbose: bool = False, bar: bool | None = None,
                  stream: TextIO | None = None) -> str:
    """``"quiet"``, ``"bar"``, ``"verbose"`` (a line per report) or ``"lines"`` (a line per tenth).

    `bar` None draws the bar only when `stream` (default stderr) is a terminal.
    """
    stream = stream or sys.stderr
    if quiet:
        return "quiet"
    if bar or (bar is None and stream.isatty()):
        return "bar"
    return "verbose" if verbose else "lines"


class Progress:
    """Progress of one batch of `total` reports of which `done` need no work, shown as `mode` says."""

    def __init__(self, total: int, done: int, desc: str, mode: str, stream: TextIO | None = None) -> None:
        self.total, self.done, self.mode, self.failed = total, done, mode, 0
        self.stream = stream or sys.stderr
        self._next_step = 1
        self._bar = tqdm(total=total, initial=done, unit="report", desc=desc, file=self.stream) if mode == "bar" else None
        if mode in ("lines", "verbose"):
            self._line(f"{desc}: {total - done} of {total} reports to render ({done} unchanged)")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def update(self, name: str, status: str, seconds: float, error: str = "") -> None:
        """One report finished (``ok`` or ``failed``)."""
        self.done += 1
        self.failed += status == "failed"
        if self._bar is not None:
            self._bar.set_postfix(failed=self.failed)
            self._bar.update(1)
            if status == "failed":
                self._bar.write(f"FAILED {name}: {error}")
            return
        if self.mode == "verbose" or (self.mode == "lines" and status == "failed"):
            self._line(f"{self.done}/{self.total} {status} {name} {seconds:.2f}s{' ' + error if error else ''}")
        elif self.mode == "lines" and self.done * STEPS >= self._next_step * self.total:
            self._line(f"{self.done} of {self.total} reports done, {self.failed} failed")
        while self.done * STEPS >= self._next_step * self.total:
            self._next_step += 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
