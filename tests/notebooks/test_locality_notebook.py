"""The locality notebook: thin, output-free when committed, and runs under nbval in the project kernel."""

import subprocess
import sys
from pathlib import Path

import nbformat
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook
import pytest

from msp_analysis.config import KERNEL_NAME, LocalityReportParams

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
LOCALITY = Path(__file__).resolve().parents[2] / "notebooks" / "locality_report.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_thin_and_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert not any("def " in c.source or "class " in c.source for c in code), "notebooks define nothing"
    assert nb.metadata.kernelspec.name == KERNEL_NAME


def test_parameters_cell_matches_the_parameter_model():
    nb = nbformat.read(LOCALITY, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line}
    assert names == set(LocalityReportParams().as_parameters())


def test_notebook_passes_nbval_on_a_small_simulated_dataset(small_demo, tmp_path):
    parameterised = parameterize_notebook(
        load_notebook_node(str(LOCALITY)), {"locality": "E06000047", "year": "2023-24", "data_dir": str(small_demo["processed"])}
    )
    target = tmp_path / "locality_report.ipynb"
    nbformat.write(parameterised, target)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-kernel-name", KERNEL_NAME, str(target),
         "-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider", "-q"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "passed" in done.stdout
