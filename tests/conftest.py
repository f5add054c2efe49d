"""Shared fixtures; notebooks under nbval write into a temporary outputs folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

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


# fewer resamples and scenarios than a user's run: every whole-run test compares runs made
# alike, or checks shapes and keys, so the numbers' precision does not matter to them
FAST = ["-p", "n_boot", "50", "-p", "n_scenarios", "300", "--documents", "html"]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, worker_id) -> tuple[Path, Path]:
    """One `python -m helpers run` on a copy of the sample, shared by every test file on
    both xdist workers (the first to ask runs it, the other waits on a file lock): (data, out).

    An earlier failed run's `02_grading.failed.ipynb` is left in `out` first, for the test
    that checks a run clears it.
    """
    from helpers.cli import main

    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each worker has its own basetemp; the session's is the parent
        root = root.parent
    folder = root / "sample_run"
    with FileLock(str(root / "sample_run.lock")):
        data, out = folder / "data", folder / "out"
        if not (folder / "done").exists():
            copy_sample(data)
            out.mkdir(parents=True, exist_ok=True)
            (out / "02_grading.failed.ipynb").write_text("{}")
            assert main(["run", "--data", str(data), "--out", str(out), *FAST]) == 0
            (folder / "done").touch()
    return data, out


def edit_csv(path: Path, change) -> None:
    """Apply `change(frame)` to a CSV read as text, then write it back as text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)


# ------------------------------------------------------------------ the browser tests

CHROMIUM = Path("/usr/bin/chromium")  # Debian's: Playwright's own download does not work here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    """A port nothing listens on now, for a test's own app server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_app(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Stop an app started in its own process group: Voila and every kernel it started."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (/usr/bin/chromium) driven by Playwright, one per test file."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run installs it (apt chromium)")
        pytest.skip("no /usr/bin/chromium here (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
