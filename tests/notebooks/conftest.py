"""Fixtures of the notebook tests: the small simulated dataset with its temperature check cleaned."""

import shutil

import pytest


@pytest.fixture(scope="session")
def small_demo_tc(small_demo, tmp_path_factory) -> dict:
    """``small_demo`` when it has a cleaned temperature check; else a copy with one (the shared folder is untouched)."""
    from msp_analysis.cli import main

    if (small_demo["processed"] / "temperature_check.parquet").is_file():
        return small_demo
    processed = tmp_path_factory.mktemp("notebook_data") / "processed"
    shutil.copytree(small_demo["processed"], processed)
    assert main(["clean", "temperature_check", str(small_demo["raw"] / "temperature_check.csv"),
                 "--out", str(processed)]) == 0
    return {"raw": small_demo["raw"], "processed": processed}
