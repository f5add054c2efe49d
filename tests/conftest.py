"""Shared fixtures; notebooks under nbval write into a temporary outputs folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from helpers import load_sample
from helpers.data import SAMPLE_DIR


def pytest_configure(config):
    # Kernels started by nbval inherit this, so test runs never touch the user's outputs/.
    os.environ.setdefault("SALES_OUTPUTS", tempfile.mkdtemp(prefix="sales-outputs-"))


@pytest.fixture(scope="session")
def sample():
    return load_sample()


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A writable copy of data/sample/ as plain CSV text, for tests that break it."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("roster", "history", "reviews"):
        (folder / f"{name}.csv").write_bytes((SAMPLE_DIR / f"{name}.csv").read_bytes())
    return folder


def edit_csv(path: Path, change) -> None:
    """Apply `change(frame)` to a CSV read as text, then write it back as text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)
