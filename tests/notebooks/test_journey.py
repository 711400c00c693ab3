"""The researcher's journey as a user takes it: `make lab` serves the project's kernel, and every notebook
runs with its own defaults ("Run All") from a kernel started in the notebook's own folder, as JupyterLab
starts it, once the demo data exist: the report notebooks through papermill (its ``cwd``), the worked
analyses of ``notebooks/analysis/`` under nbval, which starts its kernel in the notebook's folder.

The notebooks run in a copy of the project (its marker, its notebooks, demo data made as `make demo` makes
them, with relative paths from the project root) so that the test neither needs nor touches the checkout's
own ``data/``.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from msp_analysis.reporting.registry import KERNEL_NAME
from msp_analysis.toolkit.paths import PROJECT_MARKER

CHECKOUT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = CHECKOUT / "notebooks"
NOTEBOOKS = sorted(p.relative_to(NOTEBOOK_DIR) for p in NOTEBOOK_DIR.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="module")
def project(small_demo, tmp_path_factory) -> Path:
    """A copy of the project: marker, notebooks, and the demo data cleaned from the root with relative paths."""
    from msp_analysis.cli import main

    root = tmp_path_factory.mktemp("journey") / "msp-project"
    root.mkdir()
    shutil.copy(CHECKOUT / PROJECT_MARKER, root / PROJECT_MARKER)
    shutil.copytree(NOTEBOOK_DIR, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(small_demo["raw"], root / "data" / "raw" / "demo")
    here = os.getcwd()
    os.chdir(root)  # as `make demo` runs: from the project root, relative paths
    try:
        for kind in ("evaluation", "temperature_check"):
            assert main(["clean", kind, f"data/raw/demo/{kind}.csv", "--out", "data/processed/demo", "-q"]) == 0
    finally:
        os.chdir(here)
    return root


# what a notebook's defaults write, relative to the project root (nothing beside the notebook)
WRITES = {Path("analysis/reproduce_an_evaluation.ipynb"): "data/processed/worked_example/evaluation.manifest.json"}
REPORT_NOTEBOOKS = [p for p in NOTEBOOKS if p.parent == Path(".")]
WORKED_NOTEBOOKS = [p for p in NOTEBOOKS if p.parent != Path(".")]


@pytest.mark.kernel
@pytest.mark.parametrize("notebook", REPORT_NOTEBOOKS, ids=str)
def test_run_all_works_with_the_defaults_from_the_notebooks_own_folder(notebook, project, tmp_path):
    import papermill

    target = project / "notebooks" / notebook
    papermill.execute_notebook(str(target), str(tmp_path / notebook.name), kernel_name=KERNEL_NAME,
                               cwd=str(target.parent), progress_bar=False)  # raises when a cell fails
    assert not (target.parent / "data").exists(), "no relative path was read from the notebook's folder"


@pytest.mark.kernel
@pytest.mark.parametrize("notebook", WORKED_NOTEBOOKS, ids=str)
def test_a_worked_notebook_passes_nbval_with_its_defaults_from_its_own_folder(notebook, project):
    target = project / "notebooks" / notebook
    (project / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(  # nbval starts the kernel in the notebook's folder, as JupyterLab does
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-kernel-name", KERNEL_NAME, str(target),
         "-c", str(project / "pytest.ini"), "-p", "no:cacheprovider", "-q"],
        capture_output=True, text=True, cwd=target.parent,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "passed" in done.stdout and "failed" not in done.stdout
    assert not (target.parent / "data").exists(), "no relative path was read from the notebook's folder"
    if notebook in WRITES:
        manifest = json.loads((project / WRITES[notebook]).read_text(encoding="utf-8"))
        assert manifest["simulated"] is True and manifest["reconciles"] is True
        assert manifest["inputs"][0]["path"] == "data/raw/worked_example/evaluation.csv", "recorded from the root"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.mark.kernel
@pytest.mark.long
def test_make_lab_serves_the_notebooks_with_the_projects_kernel(tmp_path):
    venv = Path(sys.executable).parent.parent
    if shutil.which("make") is None or not (venv / "bin" / "jupyter").exists():
        pytest.skip("needs make and jupyter in the test interpreter's environment")
    port, token = _free_port(), secrets.token_hex(16)
    options = ["--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
               "--no-browser", "--ServerApp.port_retries=0"] + (["--allow-root"] if os.geteuid() == 0 else [])
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    # the environment is this interpreter's; -o: `make` must not rebuild it (it is current: `make test` built it)
    log = tmp_path / "lab.log"
    with log.open("w") as stderr:
        lab = subprocess.Popen(["make", "--no-print-directory", "-o", f"{venv}/.installed", "lab", f"VENV={venv}",
                                f"LAB_ARGS={' '.join(options)}"], cwd=CHECKOUT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        base = f"http://127.0.0.1:{port}/api"
        deadline, status, specs = time.monotonic() + 90, 0, {}
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                status, specs = _get(f"{base}/kernelspecs", token)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer: {log.read_text()[-2000:]}"
        assert KERNEL_NAME in specs["kernelspecs"], sorted(specs["kernelspecs"])
        assert specs["default"] == KERNEL_NAME, "a new notebook starts in the project's kernel"
        spec = specs["kernelspecs"][KERNEL_NAME]["spec"]
        assert spec["display_name"] == "Python (msp-analysis)" and spec["argv"][0].startswith(str(venv))
        status, contents = _get(f"{base}/contents", token)
        assert status == 200 and {"locality_report.ipynb", "analysis"} <= {item["name"] for item in contents["content"]}, \
            "JupyterLab opens in notebooks/"
        assert _get(f"{base}/kernelspecs", "wrong-token")[0] == 403, "the API needs the token"
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)  # make and the server it started: the group this test made
        lab.wait(timeout=30)
