"""Tests for msp_analysis.toolkit.paths: relative paths are read from the project root wherever a program starts."""

from pathlib import Path

import pytest

from msp_analysis.toolkit import paths
from msp_analysis.toolkit.paths import PROJECT_MARKER, project_relative, project_root, resolve_path

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path):
    """A project folder of one's own: the marker at its top, a notebooks/ folder inside."""
    root = tmp_path / "study"
    (root / "notebooks" / "analysis").mkdir(parents=True)
    (root / PROJECT_MARKER).write_text("marker\n")
    return root


def test_the_checkout_holds_the_marker():
    assert (CHECKOUT / PROJECT_MARKER).is_file(), "kernels started in notebooks/ find the root by it"


def test_a_relative_path_is_read_from_the_marked_folder_above_the_working_directory(project, monkeypatch):
    for start in (project, project / "notebooks", project / "notebooks" / "analysis"):
        monkeypatch.chdir(start)
        assert project_root() == project
        assert resolve_path("data/processed/demo") == project / "data" / "processed" / "demo"


def test_outside_any_project_the_root_is_the_package_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert project_root() == CHECKOUT
    assert resolve_path("data/raw/demo") == CHECKOUT / "data" / "raw" / "demo"


def test_with_no_marker_anywhere_a_relative_path_keeps_its_usual_meaning(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "_PACKAGE_DIR", tmp_path / "site-packages" / "msp_analysis")  # installed from a wheel
    monkeypatch.chdir(tmp_path)
    assert project_root() == tmp_path
    assert resolve_path("x.csv") == tmp_path / "x.csv"


def test_an_absolute_path_is_used_as_given(project, monkeypatch):
    monkeypatch.chdir(project / "notebooks")
    assert resolve_path("/srv/data/processed") == Path("/srv/data/processed")
    assert resolve_path(Path("/srv/x.csv")) == Path("/srv/x.csv")


def test_home_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_path("~/exports/e.csv") == tmp_path / "exports" / "e.csv"


def test_records_keep_paths_inside_the_project_relative(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project / "notebooks")
    assert project_relative("data/raw/demo/evaluation.csv") == "data/raw/demo/evaluation.csv"
    assert project_relative(project / "data" / "raw" / "e.csv") == "data/raw/e.csv"
    outside = tmp_path / "elsewhere" / "e.csv"
    assert project_relative(outside) == str(outside)
