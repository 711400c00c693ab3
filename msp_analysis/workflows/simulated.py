"""Simulated raw data written to a folder as a council and a region would send them, with the truth beside them.

:func:`write_simulation` is what ``msp-analysis simulate`` and the worked notebook
(``notebooks/analysis/reproduce_an_evaluation.ipynb``) run: the enquiry export
(``evaluation.csv``), people's feedback after their enquiries (``person_feedback.csv``), the
temperature-check returns (``temperature_check.csv``), the councils' covariates (``council_covariates.csv``) and the simulator's true effects (``truth.json``), marked as simulated (``SIMULATED.json``) so that
everything cleaned and reported from them says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from msp_analysis.analysis.simulate import COVARIATES_FILE, simulate
from msp_analysis.io.processed import TRUTH_FILE, mark_simulated
from msp_analysis.toolkit.files import write_csv, write_text
from msp_analysis.toolkit.paths import resolve_path

EVALUATION_FILE = "evaluation.csv"
TEMPERATURE_CHECK_FILE = "temperature_check.csv"
PERSON_FEEDBACK_FILE = "person_feedback.csv"


@dataclass(frozen=True)
class WrittenSimulation:
    """Where the simulated files went and how many rows they hold; `truth` is the content of ``truth.json``."""

    folder: Path
    evaluation: Path
    temperature_check: Path
    truth: dict

    @property
    def rows(self) -> tuple[int, int]:
        """(enquiries, temperature-check returns) written."""
        return int(self.truth["rows"]), int(self.truth["temperature_check_rows"])


def write_simulation(out_dir: str | Path, seed: int, scale: float = 1.0, **options: object) -> WrittenSimulation:
    """Simulate every council (:func:`~msp_analysis.analysis.simulate.simulate`) and write the raw files to `out_dir`.

    `out_dir`, when relative, is read from the project root. Files already there are replaced.
    `options` are passed to the simulator as they are (and recorded in ``SIMULATED.json``).
    """
    folder = resolve_path(out_dir)
    sim = simulate(seed=seed, scale=scale, **options)  # type: ignore[arg-type]
    write_csv(folder / EVALUATION_FILE, sim.evaluation)
    write_csv(folder / TEMPERATURE_CHECK_FILE, sim.temperature_check)
    write_csv(folder / COVARIATES_FILE, sim.council_covariates)
    write_csv(folder / PERSON_FEEDBACK_FILE, sim.person_feedback)
    truth_text = json.dumps(sim.truth, indent=2, sort_keys=True)
    write_text(folder / TRUTH_FILE, truth_text + "\n")
    mark_simulated(folder, [EVALUATION_FILE, TEMPERATURE_CHECK_FILE, COVARIATES_FILE, PERSON_FEEDBACK_FILE, TRUTH_FILE],
                   {"seed": seed, "scale": scale, **options})
    return WrittenSimulation(folder=folder, evaluation=folder / EVALUATION_FILE,
                             temperature_check=folder / TEMPERATURE_CHECK_FILE, truth=json.loads(truth_text))
