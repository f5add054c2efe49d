"""The app's kernels come and go (issue 15 §3): `python -m helpers app` pre-executes a
kernel per notebook (Voila's preheat pool), a page taken from the pool is usable at once,
and opening and closing pages again and again leaves the kernel count at the pool's and
the server's memory where it was. Nothing is written into the batch outputs folder.

Kernels are counted as the server's `ipykernel_launcher` child processes (standalone Voila
has no kernel listing endpoint) and memory as the resident set of the server and its
kernels (psutil). Each page view makes the pool execute a notebook again in the background,
so the number of views is `APP_VIEWS` (default 6, two per notebook: about 2 minutes on two
busy cores; 50 views take about 15 minutes there).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port, stop_app

from helpers.cli import NOTEBOOKS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
psutil = pytest.importorskip("psutil")
VIEWS = int(os.environ.get("APP_VIEWS", "6"))
CULL_IDLE = 20  # s: short, so a kernel whose page left without a word goes within the test
POOL = 1
WARM_TIMEOUT = 600  # s: the pool executes the three notebooks at once at start
USABLE = 2.0  # s: the goal for a page taken from the pool (reported; see test below)
USABLE_BOUND = 30.0  # s: what the test enforces on a shared machine (no pool: 50 s and more)
MEMORY_SLACK = 1.25  # the server's and kernels' memory after the views, against before


def _kernels(server: psutil.Process) -> list[psutil.Process]:
    """The server's kernels: its child processes running ipykernel."""
    found = []
    for child in server.children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _memory(server: psutil.Process) -> int:
    """Resident bytes of the server and all its children."""
    total = server.memory_info().rss
    for child in server.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _executed(root: Path) -> int:
    """Pages (pooled or served) whose notebook ran to its write cell: each kernel writes its
    run record into its own session folder."""
    return sum(1 for _ in root.glob("session-*/settings_*.json"))


def _wait(condition, timeout: float, what: str, step: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python -m helpers app` with a short cull time, its pool warm; yields (url, process,
    app output root, batch outputs folder, server log, scenarios folder)."""
    port = free_port()
    folder = tmp_path_factory.mktemp("app_ops")
    batch, root = folder / "outputs", folder / "app"
    batch.mkdir()
    env = {**os.environ, "SALES_SCENARIOS": str(folder / "scenarios"),
           "SALES_OUTPUTS": str(batch), "SALES_APP_OUTPUTS": str(root)}
    with (folder / "voila.log").open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "helpers", "app", "--port", str(port),
                                 "--pool", str(POOL), "--cull-idle", str(CULL_IDLE)],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            pytest.fail(f"voila stopped: {(folder / 'voila.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except OSError:
            return False

    try:
        _wait(up, 60, "the app to answer", 0.5)
        _wait(lambda: _executed(root) >= POOL * len(NOTEBOOKS), WARM_TIMEOUT,
              "the pool to execute every notebook")
        yield url, psutil.Process(proc.pid), root, batch, folder / "voila.log", folder / "scenarios"
    finally:
        stop_app(proc)



SHUTDOWN_RACE = "zmq.error.ZMQError: Socket operation on non-socket"
"""A kernel's last "idle" status racing its own IOPub socket closing at shutdown: printed to
the kernel's stderr (the server's log) as it goes away, never seen on a page. ipykernel
7.4 swallows it in `_really_send` (ipython/ipykernel#1518) but not on the event-pipe path."""


def _tracebacks(log: str) -> list[str]:
    """The tracebacks in the server's log, less the kernel-shutdown race above."""
    blocks = log.split("Traceback (most recent call last):")[1:]
    return [b for b in blocks
            if not b.split("\n[", 1)[0].rstrip().endswith(SHUTDOWN_RACE)]


def _view(person, base: str, notebook: str) -> float:
    """Open `notebook` in a new tab of `person`'s browser (a context: its cache is warm
    after the first page, as a consultant's is), return the seconds until its key control
    is on screen, then leave it as a person does (the page's unload beacon asks the server
    to shut its kernel down; headless Chromium sends it on navigating away, not on
    `close`) and close the tab."""
    page = person.new_page()
    start = time.monotonic()
    page.goto(f"{base}/voila/render/{notebook}.ipynb", timeout=300_000, wait_until="commit")
    page.locator(".key-control select").first.wait_for(state="visible", timeout=300_000)
    seconds = time.monotonic() - start
    page.goto("about:blank")
    page.close()
    return seconds


def test_pages_come_and_go_without_leaving_kernels_or_memory(server, browser, capsys):
    base, proc, root, batch, log, _ = server
    pooled = POOL * len(NOTEBOOKS)
    _wait(lambda: len(_kernels(proc)) == pooled, 120, f"{pooled} pooled kernels at start")
    baseline = _memory(proc)
    times = {}
    person = browser.new_context(viewport={"width": 1366, "height": 768})
    for i in range(VIEWS):
        notebook = NOTEBOOKS[i % len(NOTEBOOKS)]
        times.setdefault(notebook, []).append(_view(person, base, notebook))
    person.close()
    executed = pooled + VIEWS  # every view takes a pooled kernel; the pool runs a new one
    _wait(lambda: _executed(root) >= executed, WARM_TIMEOUT, "the pool to refill")
    _wait(lambda: len(_kernels(proc)) == pooled, CULL_IDLE + 3 * 60,
          f"the kernel count to return to the pool's {pooled}")
    after = _memory(proc)
    first = {nb: t[0] for nb, t in times.items()}
    culled = log.read_text().count("Culling '")
    with capsys.disabled():
        print(f"\n{VIEWS} page views; seconds to a usable page (key control on screen): "
              + "; ".join(f"{nb} " + ", ".join(f"{t:.1f}" for t in ts)
                          for nb, ts in times.items())
              + f"; goal {USABLE:g} s. Memory (server + kernels): {baseline / 2**20:,.0f} MB "
                f"before, {after / 2**20:,.0f} MB after; kernels {len(_kernels(proc))}; "
                f"{culled} culled, the rest shut down by the page's unload beacon.")
    assert max(first.values()) <= USABLE_BOUND, first
    assert after <= baseline * MEMORY_SLACK, (baseline, after)
    assert culled < VIEWS, "no kernel was shut down when its page was left (beacon refused?)"
    assert list(batch.iterdir()) == [], "the app wrote into the batch outputs folder"
    assert not _tracebacks(log.read_text())


def test_a_page_left_without_unloading_is_culled(server, browser):
    """A tab that dies without its unload beacon (crash, sleep) leaves a kernel the culler
    shuts down after `--cull-idle` seconds."""
    base, proc, root, _, _, _ = server
    pooled = POOL * len(NOTEBOOKS)
    _wait(lambda: len(_kernels(proc)) == pooled, CULL_IDLE + 3 * 60, "the pool's kernels")
    before = _executed(root)
    page = browser.new_page()
    page.goto(f"{base}/voila/render/{NOTEBOOKS[0]}.ipynb", timeout=300_000)
    page.locator(".key-control select").first.wait_for(state="visible", timeout=300_000)
    page.close()  # no unload beacon from a closed headless tab: the kernel is not told
    _wait(lambda: _executed(root) >= before + 1, WARM_TIMEOUT, "the pool to refill")
    _wait(lambda: len(_kernels(proc)) == pooled, CULL_IDLE + 3 * 60,
          "the culler to shut the orphaned kernel down")


def test_page_03_loads_a_scenario_saved_on_pages_01_and_02(server, browser):
    """The scenario bar of page 03 takes a scenario with only targets and levels settings
    and says the plans are now priced on them (issue 15 §2, one state)."""
    from helpers.scenarios import save_scenario

    base, _, _, _, _, scenarios = server
    save_scenario("Growth demo", "targets", {"growth": 0.1}, scenarios)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{base}/voila/render/03_incentives.ipynb", timeout=300_000)
    name = page.locator(".scenario-name input").first
    name.wait_for(state="visible", timeout=300_000)
    name.fill("Growth demo")
    name.press("Enter")
    page.locator("button.scenario-load").first.click()
    page.locator(".scenario-status", has_text="priced on its targets and levels").wait_for(
        timeout=120_000)
    page.goto("about:blank")
    page.close()
