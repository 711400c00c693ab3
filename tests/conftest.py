"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest

from msp_analysis.toolkit.startup import skip_unused_imports

# the test processes do without the grammar nothing they run uses, as the package's CLI and kernels do
# (toolkit.startup says why); subprocesses the tests start (kernels, JupyterLab, the CLI) decide for themselves
skip_unused_imports()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Folder of public data (``../shared/data/real``) named by MSP_REAL_DATA; skip when unset."""
    value = os.environ.get("MSP_REAL_DATA")
    if not value:
        pytest.skip("needs MSP_REAL_DATA pointing at ../shared/data/real")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"MSP_REAL_DATA={value!r} is not a directory; point it at ../shared/data/real")
    return path


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> dict:
    """A small simulated dataset written and cleaned through the CLI, as `make demo` does.

    Returns paths: ``raw`` (folder with evaluation.csv, truth.json) and ``processed``. Made once per run: under
    pytest-xdist the first worker to need it writes it in the run's shared temporary folder, the others wait for
    it and read it (tests only read these folders; one that changes data works on a copy).
    """
    import fcntl

    from msp_analysis.cli import main

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    root = tmp_path_factory.getbasetemp().parent / "small_demo" if shared else tmp_path_factory.mktemp("demo")
    raw, processed = root / "raw", root / "processed"
    done = root / "made"
    with open(f"{root}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when a worker dies
        if not done.is_file():
            assert main(["simulate", "--out", str(raw), "--seed", "7", "--scale", "0.067"]) == 0
            assert main(["clean", "evaluation", str(raw / "evaluation.csv"), "--out", str(processed)]) == 0
            assert main(["clean", "temperature_check", str(raw / "temperature_check.csv"), "--out", str(processed)]) == 0
            done.write_text("made by the small_demo fixture\n", encoding="utf-8")
    return {"raw": raw, "processed": processed}


# Seed and scale of the shared simulation: small enough to keep the suite fast, large enough
# (about 9,000 enquiries over three years; scale 1 is England's 99,000 a year) for the MSP
# proportions to sit inside their published bands.
SIMULATION_SEED = 2
SIMULATION_SCALE = 0.03


def _once_per_run(tmp_path_factory, name: str, make):
    """``make()``; under pytest-xdist, made by the first worker that needs it and read (unpickled) by the others."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make()
    import fcntl
    import pickle

    path = tmp_path_factory.getbasetemp().parent / f"{name}.pickle"
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when a worker dies
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value


@pytest.fixture(scope="session")
def simulation(tmp_path_factory):
    """One simulated evaluation export and temperature check, shared by the whole session."""
    from msp_analysis.analysis.simulate import simulate

    return _once_per_run(tmp_path_factory, "simulation", lambda: simulate(SIMULATION_SEED, scale=SIMULATION_SCALE))


@pytest.fixture(scope="session")
def cleaned_simulation(simulation, tmp_path_factory):
    """``clean_evaluation`` of the shared simulated export (a CleanResult)."""
    from msp_analysis.clean.evaluation import clean_evaluation

    return _once_per_run(tmp_path_factory, "cleaned_simulation",
                         lambda: clean_evaluation(simulation.evaluation, source="simulated.csv"))
