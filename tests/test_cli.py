"""The `msp-analysis` command: outputs, exit codes and messages a person can act on."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from msp_analysis.cli import main
from msp_analysis.toolkit.paths import resolve_path

COUNTS = {"2015-16": 152, "2018-19": 152, "2019-20": 151, "2020-21": 151, "2021-22": 152,
          "2022-23": 152, "2023-24": 153, "2025-26": 153}


@pytest.mark.parametrize("year,count", COUNTS.items())
def test_councils_prints_one_row_per_council(capsys, year, count):
    assert main(["councils", "--year", year, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == count
    assert list(rows[0]) == ["ons_code", "cassr_code", "name", "council_type", "region"]


def test_councils_filters_by_region(capsys):
    assert main(["councils", "--year", "2023-24", "--region", "North East"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 12 and {r["region"] for r in rows} == {"North East"}


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("msp-analysis")
    done = subprocess.run([str(script), "councils", "--year", "2019-20"], capture_output=True, text=True, check=True)
    assert len(done.stdout.strip().splitlines()) == 1 + 151


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["report", "locality", "--param", "colour=blue", "--out", "x"], "unknown parameter 'colour'"),
        (["report", "locality", "--param", "locality=Atlantis", "--out", "x"], "locality='Atlantis' is not a council"),
        (["report", "locality", "--param", "locality=E10000006", "--param", "year=2023-24", "--out", "x"],
         "is not a council in 2023-24"),
        (["report", "locality", "--param", "year=2031-32", "--out", "x"], "year='2031-32'"),
        (["report", "locality", "--param", "novalue", "--out", "x"], "not KEY=VALUE"),
        (["reports", "locality", "--region", "Narnia", "--out", "x"], "Narnia"),
        (["clean", "evaluation", "does-not-exist.csv", "--out", "x"], "does-not-exist.csv: no such file"),
        (["councils", "--year", "1999-00"], "1999-00"),
        (["clean", "evaluation", "a.csv", "--out", "x", "--limit", "rows=5"], "NAME one of file_mb"),
        (["clean", "evaluation", "a.csv", "--out", "x", "--limit", "file_mb=-1"], "expected a positive number"),
        (["simulate", "--out", "x", "--seed", "1", "--scale", "0"], "--scale 0 is outside the allowed range"),
        (["simulate", "--out", "x", "--seed", "1", "--scale", "nan"], "outside the allowed range"),
        (["power", "--councils", "1", "--enquiries-per-council", "10", "--icc", "0.1", "--odds-ratio", "1.2"],
         "--councils 1 is outside"),
        (["power", "--councils", "10", "--enquiries-per-council", "10", "--icc", "1.5", "--odds-ratio", "1.2"],
         "--icc 1.5 is outside"),
        (["report", "locality", "--param", "locality=E06000047", "--param", "data_dir=/etc", "--out", "x"],
         "holds no evaluation.parquet"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(capsys, tmp_path, monkeypatch, argv, expected):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "x").exists() and not resolve_path("x").exists(), \
        "nothing is rendered when parameters are invalid (a relative --out is read from the project root)"


def test_clean_of_an_empty_file_is_unusable(capsys, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["clean", "evaluation", str(empty), "--out", str(tmp_path / "out")]) == 2
    assert "empty.csv: the file is empty" in capsys.readouterr().err


def test_clean_of_a_file_without_required_columns_is_unusable(capsys, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    assert main(["clean", "evaluation", str(wrong), "--out", str(tmp_path / "out")]) == 2
    assert "missing column(s) enquiry_id" in capsys.readouterr().err


def test_model_outcome_prints_the_json_contract(small_demo, capsys):
    import json

    processed = small_demo["processed"]
    assert main(["model", "outcome", "--evaluation", str(processed / "evaluation.parquet"),
                 "--temperature-check", str(processed / "temperature_check.parquet"), "--method", "gee",
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "gee" and result["clusters"] > 100 and result["n"] > 1000
    terms = {t["term"]: t for t in result["terms"]}
    truth = json.loads((small_demo["raw"] / "truth.json").read_text())["effects"]
    for name, effect in truth.items():
        assert set(terms[name]) >= {"estimate", "std_error", "ci_low", "ci_high", "p_value"}
        assert terms[name]["ci_low"] - 0.1 < effect < terms[name]["ci_high"] + 0.1, name


def test_model_outcome_adjusts_splits_and_translates(small_demo, capsys):
    import json

    processed, raw = small_demo["processed"], small_demo["raw"]
    assert main(["model", "outcome", "--evaluation", str(processed / "evaluation.parquet"),
                 "--temperature-check", str(processed / "temperature_check.parquet"), "--method", "glm_cluster",
                 "--council-covariates", str(raw / "council_covariates.csv"),
                 "--adjust", "deprivation,log_size,lacked_capacity,risk_types", "--within-between"]) == 0
    result = json.loads(capsys.readouterr().out)
    terms = {t["term"]: t for t in result["terms"]}
    assert {"supervision_between", "supervision_within", "deprivation", "log_size", "year[2022-23]"} <= set(terms)
    assert any(name.startswith("risk_types[") for name in terms)
    assert result["adjusted_for"] == ["deprivation", "log_size", "lacked_capacity", "risk_types"]
    assert result["multiplicity"]["rule"] == "Holm" and len(result["multiplicity"]["family"]) == 6
    assert all(terms[t]["p_value_holm"] >= terms[t]["p_value"] for t in result["multiplicity"]["family"])
    predicted = {row["term"]: row for row in result["predicted_probabilities"]}
    assert set(predicted) == set(result["multiplicity"]["family"])
    row = predicted["supervision_between"]
    assert row["p_low"] < row["p_mean"] < row["p_high"] or row["difference_points"] <= 0
    assert 0 < row["sd_points"] < 1.5 and row["difference_low"] < row["difference_points"] < row["difference_high"]
    assert "association between councils" in result["estimand"]


def test_model_outcome_refuses_an_adjustment_that_is_not_a_column(small_demo, capsys):
    processed = small_demo["processed"]
    assert main(["model", "outcome", "--evaluation", str(processed / "evaluation.parquet"),
                 "--temperature-check", str(processed / "temperature_check.parquet"), "--adjust", "nonsense"]) == 2
    assert "cannot adjust for nonsense" in capsys.readouterr().err


def test_power_prints_json(capsys):
    import json

    assert main(["power", "--councils", "30", "--enquiries-per-council", "100", "--icc", "0.02",
                 "--odds-ratio", "1.3", "--format", "json"]) == 0
    assert 0 < json.loads(capsys.readouterr().out)["power"] < 1


def test_power_rejects_bad_values_with_a_message(capsys):
    assert main(["power", "--councils", "1", "--enquiries-per-council", "100", "--icc", "0.02",
                 "--odds-ratio", "1.3"]) == 2
    assert "councils" in capsys.readouterr().err


def test_model_la_panel_on_the_real_files(real_data_dir, capsys):
    import json

    assert main(["model", "la-panel", "--outcome", "4A", "--indicator", "turnover",
                 "--real-data", str(real_data_dir), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    term = next(t for t in result["terms"] if t["term"] == "workforce_turnover")
    assert result["method"] == "ols_panel" and result["n"] > 500 and result["clusters"] > 140
    assert term["estimate"] > 0 and term["ci_low"] < term["estimate"] < term["ci_high"]


@pytest.mark.parametrize("error", [KeyError("ons_code"), ValueError("a bug"), RuntimeError("a bug"), OSError("a bug")])
def test_a_bug_exits_1_asks_for_a_report_and_logs_the_traceback(monkeypatch, capsys, tmp_path, error):
    import msp_analysis.cli as cli

    def broken(args):
        raise error

    monkeypatch.setattr(cli, "cmd_councils", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(cli.tempfile, "tempdir", None)  # re-read TMPDIR
    assert main(["councils", "--year", "2023-24"]) == 1
    message = capsys.readouterr().err
    assert "internal error" in message and "bug in msp-analysis" in message and "Traceback" not in message
    logs = list(tmp_path.glob("msp-analysis-error-*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text() and "broken" in logs[0].read_text()


@pytest.mark.parametrize("argv", [["councils", "--year", "2023-24", "--region", "Atlantis"],
                                  ["councils", "--year", "1066-67"]])
def test_bad_user_values_are_one_line_and_exit_2(capsys, argv):
    assert main(argv) == 2
    message = capsys.readouterr().err
    assert message.startswith("msp-analysis: error: ") and len(message.strip().splitlines()) == 1


def test_version_names_the_packages_numbers_depend_on(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("msp-analysis ") and all(name in text for name in ("pandas", "statsmodels", "papermill"))


def test_every_command_says_what_it_does_gives_an_example_and_takes_verbose_and_quiet():
    from msp_analysis.cli import _leaf_commands, build_parser

    commands = dict(_leaf_commands(build_parser()))
    assert {"clean", "validate", "report", "reports", "model outcome", "power"} <= set(commands)
    for name, command in commands.items():
        text = command.format_help()
        assert "--verbose" in text and "--quiet" in text, name
        assert "example:\n  msp-analysis " + name.split()[0] in text, name
        assert command.description and command.description[0].isupper(), name


def test_verbose_clean_says_which_input_it_is_on(capsys, tmp_path):
    corpus = Path(__file__).resolve().parent / "bad_inputs" / "ev_extra_columns.csv"
    assert main(["clean", "evaluation", str(corpus), "--out", str(tmp_path), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert f"reading {corpus}" in err and "checking them against its schema" in err


def test_quiet_clean_says_no_steps_but_still_gives_its_result(capsys, tmp_path):
    corpus = Path(__file__).resolve().parent / "bad_inputs" / "ev_extra_columns.csv"
    assert main(["clean", "evaluation", str(corpus), "--out", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out.startswith("evaluation: ") and (tmp_path / "evaluation.manifest.json").is_file()


def test_relative_paths_mean_the_same_from_a_subfolder_of_the_project(tmp_path, monkeypatch, capsys):
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / ".msp-project").write_text("marker\n")
    monkeypatch.chdir(root / "notebooks")
    assert main(["simulate", "--out", "data/raw/demo", "--seed", "5", "--scale", "0.01"]) == 0
    assert (root / "data" / "raw" / "demo" / "truth.json").is_file() and not (root / "notebooks" / "data").exists()
    assert main(["clean", "evaluation", "data/raw/demo/evaluation.csv", "--out", "data/processed/demo"]) == 0
    assert (root / "data" / "processed" / "demo" / "evaluation.parquet").is_file()
    assert f"to {root / 'data' / 'raw' / 'demo'}" in capsys.readouterr().out, "the message names the resolved folder"
    assert main(["clean", "evaluation", "data/raw/elsewhere.csv", "--out", "x"]) == 2
    assert f"{root / 'data' / 'raw' / 'elsewhere.csv'}: no such file" in capsys.readouterr().err


def test_clean_refuses_its_own_output_as_input_and_a_folder(capsys, tmp_path):
    source = tmp_path / "export.csv"
    source.write_text("enquiry_id\nEQ1\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "evaluation.rejects.csv").write_text("file,row\n")
    assert main(["clean", "evaluation", str(out / "evaluation.rejects.csv"), "--out", str(out)]) == 2
    assert "is an output of this command" in capsys.readouterr().err
    assert main(["clean", "evaluation", str(out), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not a file" in err and err.count("\n") == 1


def test_two_columns_mapped_onto_one_name_is_a_parameter_error(capsys, tmp_path):
    source = tmp_path / "export.csv"
    source.write_text("Age in years,Years old\n80,81\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("Age in years: age\nYears old: age\n")
    assert main(["clean", "evaluation", str(source), "--out", str(tmp_path / "o"), "--columns", str(mapping)]) == 2
    err = capsys.readouterr().err
    assert "'Age in years' and 'Years old' would both be 'age'" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["report", "locality"], ["reports", "locality", "--all"], ["reports-demo"]])
def test_every_rendering_command_takes_the_page_options(command, tmp_path):
    from msp_analysis.cli import _page_options, build_parser

    args = build_parser().parse_args([*command, "--out", str(tmp_path / "out"), "--pdf", "--tables",
                                      str(tmp_path / "tables"), "--publisher-name", "North East ADASS",
                                      "--contact", "msp@example.org"])
    options = _page_options(args)
    assert options["pdf"] is True and str(options["tables_dir"]) == str(tmp_path / "tables")
    assert options["publisher"].name == "North East ADASS" and options["publisher"].contact == "msp@example.org"


def test_reports_demo_reads_its_page_options_before_it_renders(capsys, tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    argv = ["reports-demo", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--logo", str(tmp_path / "logo.gif")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--logo" in err and "expected a .png" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "index.html").exists()
