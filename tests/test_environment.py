"""The three descriptions of the environment agree: pyproject.toml, requirements.lock, environment.yml."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].strip().lower())


# extras the project's environment does not install: ploomber is only compared with, in a venv of its own
NOT_INSTALLED_EXTRAS = {"bench"}


def _pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for name, extra in project["optional-dependencies"].items()
                                              if name not in NOT_INSTALLED_EXTRAS for r in extra]
    return {_name(r) for r in requirements}


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    return pins


def _conda_packages() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    packages = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, str):
            name, _, version = entry.partition("=")
            packages[_name(name)] = version
    packages.pop("python", None)
    packages.pop("pip", None)
    return packages


def test_environment_yml_lists_exactly_the_pyproject_packages():
    assert set(_conda_packages()) == _pyproject_packages()


def test_every_package_is_pinned_in_the_lock():
    missing = _pyproject_packages() - set(_lock())
    assert not missing, f"not in requirements.lock: {sorted(missing)}"


def test_environment_yml_versions_match_the_lock():
    lock = _lock()
    assert {name: version for name, version in _conda_packages().items()} == {
        name: lock[name] for name in _conda_packages()
    }


def test_lock_pins_exact_versions():
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line) for line in lines)


def test_environment_yml_installs_the_package_itself():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_entries = [e for e in spec["dependencies"] if isinstance(e, dict)][0]["pip"]
    assert "-e ." in pip_entries
