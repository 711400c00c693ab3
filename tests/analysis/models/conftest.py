"""Fixtures of the model tests: the synthetic records and the simulated pipeline, built once."""

import pytest

from tests.analysis.models.synthetic import synthetic_enquiries

RECOVERY_SEED = 11
RECOVERY_SCALE = 0.1


@pytest.fixture(scope="package")
def records():
    """60 councils × 2 years × 60 enquiries, council-level predictors x1 (true 0.4) and x2 (true -0.2)."""
    return synthetic_enquiries()


@pytest.fixture(scope="package")
def recovery():
    """simulate (scenario ``easy``: truth on the scored indicators) → clean → score → link (~21,000 expressed S42 enquiries)."""
    from msp_analysis.analysis.models.fit import model_frame_outcome
    from msp_analysis.analysis.simulate import simulate
    from msp_analysis.clean.evaluation import clean_evaluation
    from msp_analysis.clean.temperature_check import clean_temperature_check

    sim = simulate(RECOVERY_SEED, scale=RECOVERY_SCALE, scenario_name="easy")
    clean_eval = clean_evaluation(sim.evaluation, source="simulated.csv").clean
    clean_tc = clean_temperature_check(sim.temperature_check, source="returns.csv").clean
    linked = model_frame_outcome(clean_eval, clean_tc)
    return {"truth": sim.truth, "clean_eval": clean_eval, "clean_tc": clean_tc, "linked": linked}
