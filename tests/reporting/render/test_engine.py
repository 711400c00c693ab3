"""The warm papermill engine: registered by the batch before it executes, never by an import."""

import subprocess
import sys
import textwrap

import pytest
from papermill.engines import papermill_engines

from msp_analysis.reporting.render.engine import ENGINE, WarmEngine, register_engine

REGISTERED = textwrap.dedent("""
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillException

    def registered():
        try:
            return papermill_engines.get_engine({engine!r}) is not None
        except PapermillException:
            return False
""").format(engine=ENGINE)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", REGISTERED + textwrap.dedent(code)], capture_output=True, text=True)


@pytest.mark.long
def test_importing_the_render_modules_registers_no_engine():
    done = _run("""
        import msp_analysis.reporting.render.engine
        import msp_analysis.reporting.render.batch
        assert not registered(), "an import registered the engine"
        """)
    assert done.returncode == 0, done.stderr[-2000:]


def test_register_engine_is_idempotent():
    assert register_engine() == register_engine() == ENGINE
    assert papermill_engines.get_engine(ENGINE) is WarmEngine


@pytest.mark.kernel
def test_the_batch_registers_the_engine_before_executing(small_demo, tmp_path):
    done = _run(f"""
        from msp_analysis.reporting.render.batch import render_reports, validate_parameters

        assert not registered()
        params = validate_parameters("locality", {{"locality": "E06000047", "data_dir": {str(small_demo["processed"])!r}}})
        outcomes = render_reports("locality", [params], {str(tmp_path)!r}, jobs=1, quiet=True)
        assert outcomes[0].status == "ok", outcomes[0].error
        assert registered(), "the batch ran without registering the engine"
        """)
    assert done.returncode == 0, done.stderr[-2000:]
