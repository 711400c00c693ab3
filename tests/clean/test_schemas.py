"""The data contract: clean outputs meet their schema, broken rows do not, and the docs are current."""

from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from msp_analysis.clean.schemas import SCHEMAS, data_dictionary, validate

ROOT = Path(__file__).resolve().parents[2]


def test_cleaned_simulation_meets_the_evaluation_schema(cleaned_simulation):
    validate("evaluation", cleaned_simulation.clean)


@pytest.mark.parametrize(
    "column,value,rule",
    [
        ("msp_outcome_achieved", pd.NA, "msp_outcome_achieved must be present exactly when"),
        ("risk_outcome", pd.NA, "risk_outcome must be present exactly when"),
        ("age", 16, "in_range"),
        ("msp_asked", "Maybe", "isin"),
        ("cassr_code", "16", "str_matches"),
    ],
)
def test_a_broken_row_breaks_the_contract(cleaned_simulation, column, value, rule):
    frame = cleaned_simulation.clean.head(50).copy()
    row = frame.index[frame["msp_asked"].eq("Yes they were asked and outcomes were expressed")
                      & frame["risk_assessment_outcome"].eq("Risk identified and action taken")][0]
    frame.loc[row, column] = value
    with pytest.raises(pandera.errors.SchemaErrors) as error:
        validate("evaluation", frame)
    assert rule in str(error.value)


def test_data_dictionary_is_current():
    committed = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(), "run `msp-analysis data-dictionary` and commit docs/data_dictionary.md"


def test_every_schema_column_is_documented():
    for schema in SCHEMAS.values():
        assert all(column.description for column in schema.columns.values()), schema.name
