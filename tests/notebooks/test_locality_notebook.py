"""The report notebooks: thin, output-free when committed, parameters matching their models, and each
runs under ``pytest --nbval-lax`` in the project kernel on a small simulated dataset."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from msp_analysis.reporting.registry import KERNEL_NAME, REPORTS

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
REPORT_NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
# the reports' notebooks and the worked analyses of notebooks/analysis/ (not JupyterLab's checkpoint copies)
ALL_NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(NOTEBOOK_DIR)))
def test_committed_notebook_is_thin_and_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert not any("def " in c.source or "class " in c.source or "lambda" in c.source for c in code), \
        "notebooks define nothing"
    assert all(len(c.source.splitlines()) <= 15 for c in code), "a cell is a few lines calling the library"
    assert nb.metadata.kernelspec.name == KERNEL_NAME


def test_every_notebook_is_registered():
    assert sorted(spec.notebook for spec in REPORTS.values()) == sorted(p.name for p in REPORT_NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_parameters_cell_matches_the_parameter_model(name):
    file, model = REPORTS[name].notebook, REPORTS[name].params
    nb = nbformat.read(NOTEBOOK_DIR / file, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line}
    assert names == set(model().as_parameters())
    defaults = {}
    exec(cell.source, {}, defaults)  # the committed defaults validate
    assert model.validate(defaults)


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_notebook_passes_nbval_on_a_small_simulated_dataset(name, small_demo_tc, tmp_path):
    file, model = REPORTS[name].notebook, REPORTS[name].params
    parameters = {**REPORTS[name].example, "data_dir": str(small_demo_tc["processed"])}
    model.validate(parameters)
    parameterised = parameterize_notebook(load_notebook_node(str(NOTEBOOK_DIR / file)), parameters)
    target = tmp_path / file
    nbformat.write(parameterised, target)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-kernel-name", KERNEL_NAME, str(target),
         "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider", "-q"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_the_jupyterlab_paragraph_is_in_the_notebook_and_not_in_the_report(path):
    from msp_analysis.reporting.render.export import NOTEBOOK_ONLY_TAG, REMOVED_TAGS, export_html

    nb = nbformat.read(path, as_version=4)
    lab = [c for c in nb.cells if "Working with this notebook in JupyterLab" in c.source]
    assert len(lab) == 1 and lab[0].cell_type == "markdown" and lab[0].metadata.get("tags") == [NOTEBOOK_ONLY_TAG]
    assert NOTEBOOK_ONLY_TAG in REMOVED_TAGS
    intro = nb.cells[0].source.splitlines()[2]  # the paragraph under the title, meant for every reader
    page = export_html(nb, "A report")
    assert "Working with this notebook" not in page and "Run All" not in page
    assert intro[:60] in page
