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


def copy_sample(folder: Path) -> Path:
    """Copy data/sample/'s CSVs into `folder`, byte for byte: inputs a test may break."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("roster", "history", "reviews"):
        (folder / f"{name}.csv").write_bytes((SAMPLE_DIR / f"{name}.csv").read_bytes())
    return folder


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A writable copy of data/sample/ as plain CSV text, for tests that break it."""
    return copy_sample(tmp_path / "data")


def edit_csv(path: Path, change) -> None:
    """Apply `change(frame)` to a CSV read as text, then write it back as text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)
