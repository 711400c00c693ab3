"""Shared pytest fixtures."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Folder of public data (``../shared/data/real``) named by MSP_REAL_DATA; skip when unset."""
    value = os.environ.get("MSP_REAL_DATA")
    if not value:
        pytest.skip("needs MSP_REAL_DATA pointing at ../shared/data/real")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"MSP_REAL_DATA={value!r} is not a directory; point it at ../shared/data/real")
    return path
