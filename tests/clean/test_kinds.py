"""The kind registry (msp_analysis.clean): one spec per kind, clean-then-validate, the data dictionary."""

import dataclasses
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from msp_analysis.clean import KINDS, DatasetKind, SchemaViolation, clean_and_validate, data_dictionary
from msp_analysis.clean.sac import clean_sac
from msp_analysis.clean.schemas import output_dtypes
from msp_analysis.cli import build_parser, main
from msp_analysis.reference.codebook import instrument
from tests.clean.sac_frames import frame, row

ROOT = Path(__file__).resolve().parents[2]
LIKERT = instrument().query("answer_scale == 'likert5'")["item_id"].tolist()

# One small valid input per kind, all text as io.read_table gives it.
INLINE = {
    "sac": (frame(row(), row(CATEGORY="Not Achieved", VALUE="[c]")), "sac_2023-24.csv"),
    "evaluation": (pd.DataFrame([{
        "enquiry_id": "EQ1", "ons_code": "E08000025", "enquiry_type": "Section 42", "concluded_date": "2023-07-14",
        "age": "82", "risk_assessment_outcome": "Risk identified and action taken", "risk_outcome": "Risk reduced",
        "lacked_capacity": "Yes", "capacity_support": "Yes", "msp_asked": "Asked and expressed",
        "msp_outcome_achieved": "Fully Achieved",
    }]), "export.csv"),
    "temperature_check": (pd.DataFrame([{
        "org_id": "BHM-LA", "ons_code": "E08000025", "wave": "2023-24", **{item: "Agree" for item in LIKERT},
        "stf_turnover_pct": "21.5", "stf_vacancy_pct": "8", "stf_caseload": "14.5",
    }]), "returns.csv"),
    "la_measures": (pd.DataFrame([{
        "Financial year": "2022-23", "Local authority code": "E06000005", "Local authority name": "Darlington",
        "Measure": "Turnover rate of directly employed staff", "Code": "ASC7", "Value": "27.4",
    }]), "ASC_data.csv"),
    "person_feedback": (pd.DataFrame([{
        "enquiry_id": "EQ1", "ons_code": "E08000025", "financial_year": "2023-24", "answered_by": "The person",
        "answered_when": "At closure", "msp_asked": "Asked and expressed", "msp_outcome_achieved": "Fully",
        "i_empowerment": "Agree", "i_accountability": "Strongly agree",
    }]), "feedback.csv"),
    "assurance": (pd.DataFrame([{
        "kind": "provider", "ons_code": "E08000025", "region": "West Midlands", "wave": "2023-24",
        "org_name": "Acme Care", "name_published": "No", "check_id": "medication", "answer": "Partly",
        "source": "policy file", "date": "31/03/2024", "notes": "",
    }]), "assurance.csv"),
}


def test_one_frozen_spec_per_kind():
    assert list(KINDS) == ["sac", "evaluation", "temperature_check", "la_measures", "person_feedback", "assurance"]
    for name, kind in KINDS.items():
        assert isinstance(kind, DatasetKind) and kind.name == name == kind.schema.name
        assert callable(kind.cleaner) and kind.description
    with pytest.raises(dataclasses.FrozenInstanceError):
        KINDS["sac"].name = "other"


@pytest.mark.parametrize("command", ["clean", "validate"])
def test_cli_kind_choices_come_from_the_registry(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    kind = next(a for a in sub._actions if a.dest == "kind")
    assert list(kind.choices) == list(KINDS)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_cleaner_output_passes_its_schema(name):
    raw, source = INLINE[name]
    result = clean_and_validate(name, raw, source=source)
    assert len(result.clean) >= 1 and result.rows_rejected == 0, result.rejects.to_dict("records")
    assert {c: str(d) for c, d in result.clean.dtypes.items()} == {
        c: str(pd.api.types.pandas_dtype(d)) for c, d in output_dtypes(KINDS[name].schema).items()}


@pytest.mark.parametrize("name", list(KINDS))
def test_an_empty_clean_frame_passes_its_schema(name):
    raw, source = INLINE[name]
    rejected = raw.head(0)
    result = clean_and_validate(name, rejected, source=source)
    assert result.clean.empty and list(result.clean.columns) == list(KINDS[name].schema.columns)


def broken_sac(frame: pd.DataFrame, source: str, **options) -> object:
    """clean_sac, then a bug: a negative count and a suppressed cell that kept its value."""
    result = clean_sac(frame, source=source, **options)
    result.clean.loc[0, ["value", "value_lower", "value_upper"]] = -3.0
    result.clean.loc[1, "value"] = 2.0
    return result


def test_a_schema_violation_is_reported_clearly(monkeypatch):
    monkeypatch.setitem(KINDS, "sac", dataclasses.replace(KINDS["sac"], cleaner=broken_sac))
    raw, source = INLINE["sac"]
    with pytest.raises(SchemaViolation) as error:
        clean_and_validate("sac", raw, source=source)
    message = str(error.value)
    assert message.startswith("sac_2023-24.csv: the clean sac frame breaks its schema")
    assert "the sac cleaner let through what it should have rejected" in message
    assert "column value: greater_than_or_equal_to(0): 1 row(s), e.g. -3.0 (row 0 of the clean frame)" in message
    assert "rule: a suppressed count has no value and bounds 0 to 4: 1 row(s) (row 1 of the clean frame)" in message


def test_the_clean_command_validates_before_writing(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(KINDS, "sac", dataclasses.replace(KINDS["sac"], cleaner=broken_sac))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the CLI logs the traceback of a bug here
    raw, _ = INLINE["sac"]
    source = tmp_path / "sac_2023-24.csv"
    raw.to_csv(source, index=False)
    out = tmp_path / "out"
    assert main(["clean", "sac", str(source), "--out", str(out)]) == 1  # a bug, not the user's input
    assert "breaks its schema" in capsys.readouterr().err
    assert not out.exists() or not list(out.glob("sac.*"))


def test_data_dictionary_covers_every_kind_and_is_current():
    text = data_dictionary()
    for name, kind in KINDS.items():
        assert f"## `{name}`" in text and kind.description in text
        assert all(f"| `{column}` |" in text for column in kind.schema.columns)
    committed = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == text, "run `msp-analysis data-dictionary` and commit docs/data_dictionary.md"
