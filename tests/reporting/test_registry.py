"""Parameter models of the three notebooks, the batches the CLI asks for, and provenance."""

from pathlib import Path

import pytest

from msp_analysis.reporting.registry import (
    EvaluationParams,
    LocalityReportParams,
    TemperatureCheckParams,
)
from msp_analysis.reporting.render.batch import region_parameters, validate_parameters
from msp_analysis.reporting.render.provenance import git_commit, provenance_markdown
from msp_analysis.toolkit.errors import ParameterError


def test_temperature_check_parameters_are_canonicalised():
    params = TemperatureCheckParams.validate({"region": "eastern", "wave": "2023/24"})
    assert (params.region, params.wave) == ("East of England", "2023-24")
    assert params.report_name() == "temperature_check_east-of-england_2023-24"
    assert params.title() == "Temperature check: East of England, 2023-24"


@pytest.mark.parametrize("model,raw,message", [
    (TemperatureCheckParams, {"region": "Narnia"}, "region='Narnia'"),
    (TemperatureCheckParams, {"wave": "2031-32"}, "wave='2031-32'"),
    (TemperatureCheckParams, {"council": "x"}, "unknown parameter 'council'"),
    (EvaluationParams, {"outcome": "happiness"}, "outcome='happiness'"),
    (EvaluationParams, {"scope": "Atlantis"}, "scope='Atlantis'"),
    (EvaluationParams, {"real_data_dir": "/no/such/folder"}, "real_data_dir="),
    (LocalityReportParams, {"disclosure_policy": "lax"}, "disclosure_policy='lax'"),
])
def test_bad_parameters_name_the_key(model, raw, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        model.validate(raw)


def test_evaluation_scope_is_england_or_a_region():
    assert EvaluationParams.validate({"scope": "england"}).scope == "England"
    assert EvaluationParams.validate({"scope": "E12000007", "outcome": "fully-or-partially-achieved"}).report_name() \
        == "evaluation_london_fully_or_partially_achieved"


def test_a_custom_disclosure_policy_is_a_valid_parameter():
    params = LocalityReportParams.validate({"disclosure_policy": "custom:threshold=10,rounding=5"})
    assert params.disclosure_policy.startswith("custom:threshold=10,rounding=5")


def test_reports_show_folder_names_not_paths():
    params = EvaluationParams.validate({"data_dir": "/home/someone/secret/processed"})
    assert params.public_parameters()["data_dir"] == "processed"
    assert "/home" not in str(params.public_parameters())


@pytest.mark.parametrize("notebook,region,count", [
    ("locality", "North East", 12), ("locality", None, 153), ("temperature_check", "London", 1),
    ("temperature_check", None, 9), ("evaluation", "South West", 1), ("evaluation", None, 10),
])
def test_batches_the_cli_asks_for(notebook, region, count):
    found = region_parameters(notebook, region, {"year": "2023-24"} if notebook == "locality" else {})
    assert len(found) == count and len({p.report_name() for p in found}) == count


def test_unknown_notebook_is_a_parameter_error():
    with pytest.raises(ParameterError, match="unknown notebook 'nope'"):
        validate_parameters("nope", {})


# --- provenance -----------------------------------------------------------------------------


def _repo(tmp_path: Path, head: str) -> Path:
    (tmp_path / ".git" / "refs" / "heads").mkdir(parents=True)
    (tmp_path / ".git" / "HEAD").write_text(head)
    return tmp_path


def test_git_commit_is_read_without_git(tmp_path):
    sha = "a" * 40
    repo = _repo(tmp_path / "branch", "ref: refs/heads/main\n")
    (repo / ".git" / "refs" / "heads" / "main").write_text(sha + "\n")
    assert git_commit(repo) == sha
    packed = _repo(tmp_path / "packed", "ref: refs/heads/main\n")
    (packed / ".git" / "packed-refs").write_text(f"# pack-refs\n{'b' * 40} refs/heads/main\n")
    assert git_commit(packed) == "b" * 40
    assert git_commit(_repo(tmp_path / "detached", "c" * 40 + "\n")) == "c" * 40
    assert git_commit(tmp_path / "not-a-repo") is None
    assert git_commit(_repo(tmp_path / "broken", "ref: refs/heads/gone\n")) is None


def test_provenance_names_files_not_paths():
    text = provenance_markdown([("data_dir", "demo"), ("real_data_dir", "")],
                               [("/home/x/evaluation.parquet", "f" * 64), ("temperature_check.parquet", "missing")],
                               "Disclosure control: the Safeguarding Adults Collection's rules (policy sac).", commit=None)
    assert "`evaluation.parquet` `" + "f" * 64 + "`" in text and "/home" not in text
    assert "`temperature_check.parquet` not present" in text and "git commit not available" in text
    assert "real_data_dir" not in text and "data_dir: `demo`" in text


@pytest.mark.parametrize("model", [LocalityReportParams, TemperatureCheckParams, EvaluationParams])
def test_a_relative_data_dir_is_read_from_the_project_root_wherever_the_kernel_starts(model, tmp_path, monkeypatch):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / ".msp-project").write_text("marker\n")
    monkeypatch.chdir(root / "notebooks")  # where JupyterLab starts a kernel
    params = model.validate({"data_dir": "data/processed/demo"})
    assert params.data_dir == str(root / "data" / "processed" / "demo")
    assert all(path.is_relative_to(root / "data" / "processed" / "demo") for path in params.input_files())
    assert params.public_parameters()["data_dir"] == "demo"
    assert model.validate({"data_dir": "/srv/processed"}).data_dir == "/srv/processed", "absolute: as given"
    assert model.validate(params.as_parameters()) == params, "the notebook rebuilds the same model"


def test_a_missing_real_data_dir_names_the_resolved_folder(tmp_path, monkeypatch):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / ".msp-project").write_text("marker\n")
    monkeypatch.chdir(root / "notebooks")
    with pytest.raises(ParameterError, match="real_data_dir='real'") as caught:
        EvaluationParams.validate({"real_data_dir": "real"})
    assert str(root / "real") in str(caught.value) and "project root" in str(caught.value)
    (root / "real").mkdir()
    assert EvaluationParams.validate({"real_data_dir": "real"}).real_data_dir == str(root / "real")
    assert EvaluationParams.validate({}).real_data_dir == "", "empty stays empty: no panel"


def test_a_council_report_is_titled_by_its_short_name():
    params = validate_parameters("locality", {"locality": "E06000010", "year": "2023-24"})
    assert params.title() == "Hull, 2023-24"
