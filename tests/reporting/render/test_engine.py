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


@pytest.mark.kernel
def test_cells_sent_in_one_message_keep_their_own_outputs_and_stop_at_a_failure(tmp_path):
    import nbformat
    from papermill.exceptions import PapermillExecutionError
    from papermill.execute import raise_for_execution_errors

    from msp_analysis.reporting.registry import KERNEL_NAME
    from msp_analysis.reporting.render.kernel import shutdown_kernels, warm_kernel

    cells = [nbformat.v4.new_code_cell("x = 1\nprint('first')"), nbformat.v4.new_markdown_cell("between"),
             nbformat.v4.new_code_cell("from IPython.display import Markdown\nMarkdown(f'**{x + 1}**')"),
             nbformat.v4.new_code_cell("print('third')\nraise ValueError('stop here')"),
             nbformat.v4.new_code_cell("print('never')")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["papermill"] = {"default_parameters": {}, "parameters": {}, "environment_variables": {}}
    kernel = warm_kernel(KERNEL_NAME, str(tmp_path))
    try:
        executed = papermill_engines.execute_notebook_with_engine(
            register_engine(), notebook, kernel_name=KERNEL_NAME, warm_kernel=kernel, input_path=None,
            output_path=None, progress_bar=False, log_output=False)
        code = [c for c in executed.cells if c.cell_type == "code"]
        assert [o.get("text") for o in code[0].outputs] == ["first\n"]
        assert code[1].outputs[0]["data"]["text/markdown"] == "**2**"
        assert code[2].outputs[0].get("text") == "third\n" and code[2].outputs[-1].output_type == "error"
        assert code[3].outputs == [], "a cell after a failure does not run"
        with pytest.raises(PapermillExecutionError, match="stop here"):
            raise_for_execution_errors(executed, None)
    finally:
        shutdown_kernels()


@pytest.mark.kernel
def test_the_kernel_writes_the_page_the_batch_process_would_and_none_after_a_failure(tmp_path):
    import copy

    import nbformat

    from msp_analysis.reporting.registry import KERNEL_NAME
    from msp_analysis.reporting.render.engine import last_page
    from msp_analysis.reporting.render.export import export_html
    from msp_analysis.reporting.render.kernel import shutdown_kernels, warm_kernel

    def notebook(*sources):
        cells = [nbformat.v4.new_markdown_cell("# Report\n\nSome *text*.")]
        cells += [nbformat.v4.new_code_cell(source) for source in sources]
        made = nbformat.v4.new_notebook(cells=cells)
        made.metadata["papermill"] = {"default_parameters": {}, "parameters": {}, "environment_variables": {}}
        return made

    page = {"title": "Kent, 2023-24", "simulated": True, "page": {"area": "Kent"}}
    kernel = warm_kernel(KERNEL_NAME, str(tmp_path))
    try:
        run = papermill_engines.execute_notebook_with_engine
        executed = run(register_engine(), notebook("from IPython.display import HTML, Markdown\nMarkdown('**42**')",
                                                   "HTML('<p>a table</p>')"),
                       kernel_name=KERNEL_NAME, warm_kernel=kernel, input_path=None, output_path=None,
                       progress_bar=False, log_output=False, page=page)
        written = last_page()
        assert written is not None and "<strong>42</strong>" in written and "<p>a table</p>" in written
        assert written == export_html(copy.deepcopy(executed), **page), "the kernel's page is the batch process's"
        assert "Simulated data — Kent, 2023-24" in written and "Kent — Report" in written
        run(register_engine(), notebook("raise ValueError('stop')"), kernel_name=KERNEL_NAME, warm_kernel=kernel,
            input_path=None, output_path=None, progress_bar=False, log_output=False, page=page)
        assert last_page() is None, "no page from a report whose cell failed"
    finally:
        shutdown_kernels()
