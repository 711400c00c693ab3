"""The data contract: clean outputs meet their schema, broken rows do not, and dtypes are exact."""

import pandas as pd
import pytest

from msp_analysis.clean import evaluation, la_measures, sac, temperature_check
from msp_analysis.clean.schemas import (
    SchemaViolation,
    check_output,
    output_columns,
    output_dtypes,
)
from tests.clean.sac_frames import cleaned, frame, row

EVALUATION, SAC, TEMPERATURE_CHECK, LA_MEASURES = (m.SCHEMA for m in (evaluation, sac, temperature_check, la_measures))
SCHEMAS = [EVALUATION, SAC, TEMPERATURE_CHECK, LA_MEASURES]


def test_cleaned_simulation_meets_the_evaluation_schema(cleaned_simulation):
    assert check_output(EVALUATION, cleaned_simulation.clean, "simulated.csv") is cleaned_simulation.clean


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
    with pytest.raises(SchemaViolation) as error:
        check_output(EVALUATION, frame, "export.csv")
    assert rule in str(error.value)
    assert f"row {row} of the clean frame" in str(error.value)


def test_every_failure_is_listed_in_one_message(cleaned_simulation):
    frame = cleaned_simulation.clean.head(10).copy()
    frame.loc[1, "age"] = 16
    frame.loc[[2, 3], "cassr_code"] = "16"
    with pytest.raises(SchemaViolation) as error:
        check_output(EVALUATION, frame, "export.csv")
    message = str(error.value)
    assert message.startswith("export.csv: the clean evaluation frame breaks its schema")
    assert "column age: in_range(18, 120): 1 row(s), e.g. 16 (row 1 of the clean frame)" in message
    assert "column cassr_code: str_matches" in message and "2 row(s)" in message and "(rows 2, 3 " in message


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)
def test_columns_and_dtypes_come_from_the_schema(schema):
    dtypes = output_dtypes(schema)
    assert list(dtypes) == output_columns(schema) == list(schema.columns)
    assert set(dtypes.values()) <= {"string", "float64", "bool", "int64", "Int64", "datetime64[us]"}


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)
def test_every_schema_column_is_documented(schema):
    assert all(column.description for column in schema.columns.values()), schema.name


def test_a_column_of_the_wrong_dtype_is_caught_although_pandera_would_accept_it():
    clean = cleaned(frame(row())).clean
    as_object = clean.astype({"name": object})
    with pytest.raises(SchemaViolation, match="column name: dtype must be exactly string"):
        check_output(SAC, as_object, "sac.csv")
    with pytest.raises(SchemaViolation, match="column_in_dataframe"):
        check_output(SAC, clean.drop(columns="marker"), "sac.csv")
    with pytest.raises(SchemaViolation, match="column_ordered"):
        check_output(SAC, clean[clean.columns[::-1]], "sac.csv")


@pytest.mark.parametrize(
    "changes,rule",
    [
        ({"value_lower": 0.0}, "a known value has value_lower = value = value_upper"),
        ({"suppressed": True}, "a suppressed count has no value and bounds 0 to 4"),
        ({"not_submitted": True}, "a count not submitted has no value"),
        ({"value": -1.0, "value_lower": -1.0, "value_upper": -1.0}, "greater_than_or_equal_to(0)"),
        ({"label": "Mostly Achieved"}, "isin"),
        ({"geography_level": "Planet"}, "isin"),
    ],
)
def test_sac_rules(changes, rule):
    clean = cleaned(frame(row())).clean
    for name, value in changes.items():
        clean[name] = pd.Series([value], dtype=clean[name].dtype)
    with pytest.raises(SchemaViolation) as error:
        check_output(SAC, clean, "sac.csv")
    assert rule in str(error.value)


def test_temperature_check_rules():
    clean = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in output_dtypes(TEMPERATURE_CHECK).items()})
    check_output(TEMPERATURE_CHECK, clean, "returns.csv")  # an empty frame of the right dtypes is valid
    good = {"org_id": "A", "ons_code": "E08000025", "region": "West Midlands", "wave": "2023-24", "respondent": "1",
            "item_id": "sup_1", "indicator": "supervision", "answer": "Agree", "scale": "likert5", "value": 4.0,
            "reverse_coded": False, "missing": False, "answer_rejected": False, "source_file": "returns.csv",
            "source_row": 2}
    one = pd.DataFrame([good]).reindex(columns=list(clean.columns)).astype(output_dtypes(TEMPERATURE_CHECK))
    check_output(TEMPERATURE_CHECK, one, "returns.csv")
    for changes, rule in [({"value": 7.0}, "Likert and RAG values run from 1 to 5"),
                          ({"answer_rejected": True}, "a missing or rejected answer has no value"),
                          ({"item_id": "sup_99"}, "isin")]:
        broken = one.copy()
        for name, value in changes.items():
            broken[name] = pd.Series([value], dtype=one[name].dtype)
        with pytest.raises(SchemaViolation, match=rule):
            check_output(TEMPERATURE_CHECK, broken, "returns.csv")


def test_la_measures_rule_value_or_marker():
    good = {"ons_code": "E06000005", "geography_level": "Council", "name": "Darlington", "financial_year": "2022-23",
            "measure": "turnover", "value": 27.4, "disaggregation": "Total", "source": "oflog:ASC_data.csv"}
    one = pd.DataFrame([good]).reindex(columns=output_columns(LA_MEASURES)).astype(output_dtypes(LA_MEASURES))
    check_output(LA_MEASURES, one, "ASC_data.csv")
    both = one.assign(value_marker=pd.Series(["suppressed"], dtype="string"))
    with pytest.raises(SchemaViolation, match="every row has a value or a value_marker, never both"):
        check_output(LA_MEASURES, both, "ASC_data.csv")
