"""Tests for the method registry (msp_analysis.analysis.models): every method fits a small inline frame and
returns the tidy shape its spec promises, and the CLI's choices are the registry's."""

import argparse
import inspect
import json

import numpy as np
import pandas as pd
import pytest

from msp_analysis.analysis.link import outcome_counts
from msp_analysis.analysis.models import BINARY_OUTCOMES, CULTURE_TERMS, FEW_CLUSTERS, METHODS
from msp_analysis.analysis.models.fit import fit_outcome_model
from msp_analysis.analysis.models.result import JSON_TERM_KEYS, TABLE_COLUMNS
from msp_analysis.reference.codebook import culture_terms

COUNCILS, PER_COUNCIL_YEAR = 12, 30
OUTCOME_COLUMNS = {"binary": "y", "ordinal": "level", "continuous": "score"}


@pytest.fixture(scope="module")
def frame():
    """12 councils × 2 years × 30 people: a council-year predictor, and one outcome of each kind."""
    rng = np.random.default_rng(42)
    rows = []
    for c in range(COUNCILS):
        u = rng.normal(0, 0.3)
        for year in ("2021-22", "2022-23"):
            x = rng.normal()
            latent = 0.5 * x + u + rng.logistic(size=PER_COUNCIL_YEAR)
            rows.append(pd.DataFrame({
                "ons_code": f"C{c:02d}", "financial_year": year, "x": x,
                "y": (latent > 0).astype(int),
                "level": np.where(latent > 0.5, 2, np.where(latent > -1.0, 1, 0)),
                "score": 50 + 2 * x + u + rng.normal(size=PER_COUNCIL_YEAR)}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_fits_a_small_frame_and_returns_the_tidy_shape(frame, name):
    spec = METHODS[name]
    result = fit_outcome_model(frame, name, outcome=OUTCOME_COLUMNS[spec.outcome], predictors={"culture": "x"})
    assert result.method == name and result.n == len(frame) and result.clusters == COUNCILS
    assert list(result.table.columns) == TABLE_COLUMNS[:3] + list(spec.table_extra) + TABLE_COLUMNS[3:]
    assert "culture" in set(result.table["term"])
    assert (result.table["method"] == name).all() and (result.table["n"] == len(frame)).all()
    assert result.table["odds_ratio"].notna().all() == spec.odds_ratios
    assert result.table["p_value"].isna().all() == spec.posterior
    assert result.table[["estimate", "std_error", "ci_low", "ci_high"]].notna().all().all()
    # the caveats the spec promises for 12 councils and a council-level predictor
    assert f"Only {COUNCILS} councils (fewer than {FEW_CLUSTERS})" in result.caveat
    assert spec.caveat in result.caveat
    assert result.caveat.startswith(spec.ecological_caveat.format(terms="culture"))
    payload = json.loads(json.dumps(result.to_json_dict()))
    assert payload["method"] == name and payload["n"] == len(frame) and payload["clusters"] == COUNCILS
    for entry in payload["terms"]:
        assert tuple(entry) == JSON_TERM_KEYS + spec.json_extra


@pytest.mark.parametrize("name", list(METHODS))
def test_counts_are_taken_exactly_by_the_methods_that_say_so(frame, name):
    spec = METHODS[name]
    counts = outcome_counts(frame, "y", ["ons_code", "financial_year", "x"])
    if spec.counts:
        by_count = fit_outcome_model(counts, name, outcome="y", predictors=["x"], trials="trials")
        assert by_count.n == len(frame)
    else:
        with pytest.raises(ValueError, match="not counts"):
            fit_outcome_model(counts, name, outcome="y", predictors=["x"], trials="trials")


@pytest.mark.parametrize("name", list(METHODS))
def test_the_options_of_a_spec_are_the_extra_arguments_of_its_fit(name):
    spec = METHODS[name]
    keyword_only = [p.name for p in inspect.signature(spec.fit).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert keyword_only[:2] == ["trials", "year"]
    assert set(keyword_only[2:]) == spec.options


def test_every_method_has_its_own_label_and_a_known_outcome_kind():
    labels = [spec.label for spec in METHODS.values()]
    assert all(labels) and len(set(labels)) == len(labels)
    assert {spec.outcome for spec in METHODS.values()} <= {"binary", "ordinal", "continuous"}
    assert all(name == spec.name for name, spec in METHODS.items())


def test_the_culture_terms_are_the_codebooks():
    assert CULTURE_TERMS == culture_terms() == ("supervision", "staffing", "complaints_learning")


def _choices(command: str, option: str) -> list:
    from msp_analysis.cli import build_parser

    def subcommands(parser):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices

    parser = subcommands(subcommands(build_parser())["model"])[command]
    return next(a for a in parser._actions if option in a.option_strings).choices


def test_the_cli_offers_the_registrys_methods_and_outcomes():
    assert _choices("outcome", "--method") == [
        name for name, spec in METHODS.items() if spec.outcome in ("binary", "ordinal")]
    assert _choices("outcome", "--method") == ["glm_cluster", "gee", "ordinal", "mixed"]
    assert _choices("outcome", "--outcome") == list(BINARY_OUTCOMES)
