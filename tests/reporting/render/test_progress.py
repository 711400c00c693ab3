"""Progress as the user's output allows: a bar on a terminal, a few plain lines in a log, nothing when quiet."""

import io

import pytest

from msp_analysis.reporting.render.progress import Progress, progress_mode


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet,verbose,bar,stream,expected", [
    (True, False, None, Terminal(), "quiet"),
    (False, False, None, Terminal(), "bar"),
    (False, False, None, io.StringIO(), "lines"),
    (False, True, None, io.StringIO(), "verbose"),
    (False, False, True, io.StringIO(), "bar"),
    (False, False, False, Terminal(), "lines"),
])
def test_the_mode_follows_the_flags_and_the_stream(quiet, verbose, bar, stream, expected):
    assert progress_mode(quiet, verbose, bar, stream) == expected


def _run(mode, total=163, done=0, failing=()):
    out = io.StringIO()
    progress = Progress(total, done, "locality", mode, stream=out)
    for i in range(done, total):
        progress.update(f"r{i}", "failed" if i in failing else "ok", 0.1, "boom" if i in failing else "")
    progress.close()
    return out.getvalue().splitlines()


def test_a_log_gets_a_line_at_the_start_and_at_every_tenth():
    lines = _run("lines")
    assert lines[0] == "locality: 163 of 163 reports to render (0 unchanged)"
    assert len(lines) == 1 + 10 and lines[-1] == "163 of 163 reports done, 0 failed"
    assert all("\r" not in line for line in lines)


def test_a_failure_is_always_its_own_line():
    lines = _run("lines", total=20, failing={3})
    assert any(line.startswith("4/20 failed r3") and line.endswith("boom") for line in lines)
    assert lines[-1] == "20 of 20 reports done, 1 failed"


def test_verbose_is_a_line_per_report_and_quiet_is_silent():
    assert len(_run("verbose", total=30)) == 1 + 30
    assert _run("quiet") == []


def test_unchanged_reports_count_towards_the_tenths():
    lines = _run("lines", total=100, done=95)
    assert lines[0].endswith("5 of 100 reports to render (95 unchanged)") and lines[-1].startswith("100 of 100")
