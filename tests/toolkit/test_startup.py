"""Tests for msp_analysis.toolkit.startup: the package's processes start without a grammar they never use."""

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import sys
    {before}
    import nbformat
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    print(sys.modules.get("rfc3987_syntax") is not None)
""")


def _loaded(before: str) -> bool:
    done = subprocess.run([sys.executable, "-c", CHECK.format(before=before)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip() == "True"


def test_after_skip_unused_imports_notebooks_validate_without_the_grammar():
    assert not _loaded("from msp_analysis.toolkit.startup import skip_unused_imports\nskip_unused_imports()")


def test_the_package_alone_changes_nothing_for_a_program_that_imports_it():
    from importlib.metadata import PackageNotFoundError, version

    try:  # by its distribution: this test process does without the module itself (conftest)
        installed = bool(version("rfc3987-syntax"))
    except PackageNotFoundError:
        installed = False
    assert _loaded("import msp_analysis.reporting.render.batch") is installed
