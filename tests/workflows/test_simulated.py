"""Tests for msp_analysis.workflows.simulated: the raw files of a simulation, marked, with the truth beside them."""

import json

from msp_analysis.clean import clean_and_validate
from msp_analysis.io.processed import SIMULATED_FILE, TRUTH_FILE
from msp_analysis.io.tables import read_table
from msp_analysis.workflows.simulated import write_simulation


def test_a_written_simulation_is_marked_and_cleans_to_its_expected_rejects(tmp_path):
    written = write_simulation(tmp_path / "raw", seed=3, scale=0.01)
    assert written.folder == tmp_path / "raw"
    truth = json.loads((tmp_path / "raw" / TRUTH_FILE).read_text(encoding="utf-8"))
    assert truth == written.truth and truth["seed"] == 3
    marker = json.loads((tmp_path / "raw" / SIMULATED_FILE).read_text(encoding="utf-8"))
    assert sorted(marker["files"]) == ["council_covariates.csv", "evaluation.csv", "person_feedback.csv",
                                       "temperature_check.csv", "truth.json"]
    raw = read_table(written.evaluation)
    assert len(raw) == written.rows[0] == truth["rows"]
    cleaned = clean_and_validate("evaluation", raw, source=str(written.evaluation))
    assert cleaned.rows_rejected == truth["expected_rejects"] and cleaned.reconciles()
    assert len(read_table(written.temperature_check)) == written.rows[1]


def test_options_reach_the_simulator_and_its_mark(tmp_path):
    written = write_simulation(tmp_path, seed=4, scale=0.01, years=("2023-24",))
    assert written.truth["years"] == ["2023-24"]
    assert json.loads((tmp_path / SIMULATED_FILE).read_text(encoding="utf-8"))["years"] == ["2023-24"]
