"""The client demo app in a real browser: Voila serving the notebooks, driven by Playwright
with Debian's Chromium, on a 1366x768 laptop screen. Each notebook's panel marks its key
control `key-control` (a dropdown) and its live result `key-result`; the test changes the one
with a real click and the keyboard, as a person would, and waits for the other. Each page's
first block of controls (`control-grid`) must be on the first screen, every control in it
with a box of its own; the home page lists the three steps and every page links to the others.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port, stop_app

from helpers.cli import NOTEBOOKS
from helpers.data import output_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # make check: a server and Chromium
PAGE_TIMEOUT = 300_000  # ms: Voila executes the whole notebook before showing it (~50 s idle)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Start `python -m helpers app` on a free port; yield its base URL."""
    port = free_port()
    folder = tmp_path_factory.mktemp("app")
    env = {**os.environ, "SALES_SCENARIOS": str(folder / "scenarios")}
    with (folder / "voila.log").open("w") as log:  # the child keeps its own copy
        proc = subprocess.Popen([sys.executable, "-m", "helpers", "app", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group: kernels included
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"voila did not start: {(folder / 'voila.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, folder / "scenarios"
    stop_app(proc, timeout=20)



class Watch:
    """Collects the page's JavaScript errors and failed requests to our own server."""

    def __init__(self, page, base: str):
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", lambda req: req.url.startswith(base) and self.errors.append(
            f"request failed: {req.url} {req.failure}"))
        page.on("response", lambda res: res.url.startswith(base) and res.status >= 400
                and self.errors.append(f"HTTP {res.status}: {res.url}"))


LAPTOP = {"width": 1366, "height": 768}  # the laptop screen a consultant demos on


def _usable(page, control) -> None:
    """A person can see and click `control`: on screen, wide enough to read, not covered."""
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box is not None and box["width"] >= 120 and box["height"] >= 16, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], box
    control.click(trial=True)  # fails if another element would take the click


def _screenshot(page, name: str, focus=None) -> Path:
    """Viewport picture centred on `focus` (a locator): Voila scrolls an inner panel, so a
    full-page shot would only ever show the title."""
    if focus is not None:
        focus.evaluate("el => el.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
    path = Path(os.environ.get("SCREENSHOTS") or output_dir() / "screenshots") / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path


def _open(browser, base: str, notebook: str):
    """A new page on `notebook` in the app, and the watch over its errors."""
    page = browser.new_page(viewport=LAPTOP)
    watch = Watch(page, base)
    page.goto(f"{base}/voila/render/{notebook}.ipynb", timeout=PAGE_TIMEOUT)
    return page, watch


RAW = re.compile(r"\d\.\d{3,}|\d[eE][+-]\d")  # a raw float (2983587.42) or e-notation
ANALYST = ("make run", "papermill", "parameters cell")  # instructions for whoever runs it


def _on_first_screen(page, control) -> None:
    """`control` has a box of its own, wholly inside the first screen (no scrolling)."""
    box = control.bounding_box()
    assert box is not None and box["width"] >= 8 and box["height"] >= 8, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], box


def _choose_by_keyboard(page, select) -> int:
    """Pick another option of a dropdown as a person does: click it, arrow, Enter."""
    before = select.evaluate("el => el.selectedIndex")
    count = select.locator("option").count()
    assert count > 1
    select.click()  # a real click: fails if the control is hidden, covered or zero-sized
    page.keyboard.press("ArrowUp" if before == count - 1 else "ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("([el, old]) => el.selectedIndex !== old",
                           arg=[select.element_handle(), before], timeout=30_000)
    return select.evaluate("el => el.selectedIndex")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_key_control_changes_visible_result(app, browser, notebook):
    base, _ = app
    page, watch = _open(browser, base, notebook)
    result = page.locator(".key-result").first
    result.wait_for(state="visible", timeout=PAGE_TIMEOUT)
    page.wait_for_function("el => el.innerText.trim().length > 0", arg=result.element_handle(),
                           timeout=60_000)
    assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, "the app must hide code"
    assert page.title().startswith(notebook[:2] + " · "), page.title()  # the page's heading
    links = page.locator("nav.wb-nav a")
    assert links.count() == 1 + len(NOTEBOOKS) and page.locator("nav a.wb-current").count() == 1
    grid = page.locator(".control-grid").first
    controls = grid.locator("select, input, button, .noUi-handle")  # handle: a slider
    shown = [controls.nth(i) for i in range(controls.count())  # not laid out: display none
             if controls.nth(i).evaluate("el => el.getClientRects().length > 0")]
    assert len(shown) >= 3
    for control in shown:  # every control of the first block, on the first screen
        _on_first_screen(page, control)  # (a control squeezed to 0 px has a box: it fails)
    text = page.locator("#rendered_cells").inner_text()
    assert not any(words in text for words in ANALYST), "analyst-only text on screen"
    before = result.inner_text()
    select = page.locator(".key-control select").first
    _usable(page, select)
    _choose_by_keyboard(page, select)
    page.wait_for_function("([el, old]) => el.innerText !== old && el.innerText.trim() !== ''",
                           arg=[result.element_handle(), before], timeout=60_000)
    assert result.inner_text() != before
    shown = " ".join(page.locator(f"{sel}").nth(i).inner_text()
                     for sel in (".key-result", ".key-figures")
                     for i in range(page.locator(sel).count()))
    assert not RAW.search(shown), RAW.search(shown)  # formatted numbers only
    page.locator(".wb-cell.wb-first").first.evaluate("el => el.scrollIntoView()")  # the top
    page.wait_for_timeout(300)
    assert _screenshot(page, notebook).stat().st_size > 10_000
    assert watch.errors == []
    page.close()


def test_scenario_saved_and_loaded_from_the_app(app, browser):
    base, scenarios = app
    page, watch = _open(browser, base, NOTEBOOKS[0])
    name = page.locator(".scenario-name input").first
    name.wait_for(state="visible", timeout=PAGE_TIMEOUT)
    select = page.locator(".key-control select").first
    saved = select.evaluate("el => el.selectedIndex")
    name.fill("Browser demo")
    name.press("Enter")
    page.locator("button.scenario-save").first.click()
    page.locator(".scenario-status", has_text="saved").wait_for(timeout=30_000)
    assert (scenarios / "browser-demo.yaml").exists()
    select.select_option(index=1 if saved == 0 else 0)
    page.locator("button.scenario-load").first.click()
    page.locator(".scenario-status", has_text="loaded").wait_for(timeout=30_000)
    page.wait_for_function("([el, i]) => el.selectedIndex === i",
                           arg=[select.element_handle(), saved], timeout=30_000)
    assert watch.errors == []
    page.close()


def test_app_home_shows_the_three_steps_and_links_to_each(app, browser):
    base, _ = app
    page = browser.new_page(viewport=LAPTOP)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base, timeout=PAGE_TIMEOUT, wait_until="networkidle")
    assert page.title() == "Sales plan · Home"
    steps = page.locator("section.wb-step")
    assert steps.count() == len(NOTEBOOKS)
    for i, notebook in enumerate(NOTEBOOKS):
        step = steps.nth(i)
        assert step.get_attribute("data-step") == notebook
        assert "Decides:" in step.inner_text() and ".ipynb" not in step.inner_text()
        _on_first_screen(page, step.locator("a.wb-open"))
    assert "Select items to open" not in page.content()
    _screenshot(page, "app")
    steps.first.locator("a.wb-open").click()  # a real click, to the first step's page
    page.wait_for_url(re.compile(f"{NOTEBOOKS[0]}.ipynb"), timeout=PAGE_TIMEOUT)
    page.locator("nav.wb-nav a.wb-nav-home").wait_for(timeout=PAGE_TIMEOUT)
    assert errors == []
    page.close()


def test_plans_ticked_simulated_compared_with_the_baseline_and_downloaded(app, browser):
    base, _ = app
    page, watch = _open(browser, base, NOTEBOOKS[-1])
    plans = page.locator(".checklist input[type=checkbox]")
    plans.first.wait_for(state="visible", timeout=PAGE_TIMEOUT)
    assert plans.count() >= 2
    cards = page.locator(".key-figure-row")
    assert cards.count() == plans.count()  # the page's own run: one row of cards a plan
    assert page.locator(".key-figures").first.inner_text().count("same as baseline") >= 3
    _on_first_screen(page, plans.nth(1))
    plans.nth(1).click()  # untick the second plan: a real click on a box, no Ctrl-click
    market = page.locator(".control-grid .widget-slider").first
    market.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowLeft")  # a worse market, by the keyboard: every cost moves
    page.keyboard.press("Tab")
    page.locator("button", has_text="Simulate").click()
    page.wait_for_function("() => document.querySelectorAll('.key-figure-row').length === "
                           f"{plans.count() - 1}", timeout=120_000)
    text = page.locator(".key-figures").first.inner_text()
    assert not RAW.search(text)
    if "-5" in market.inner_text():  # the market moved: no cost is the baseline's
        assert "same as baseline" not in text and text.count("vs baseline") >= 3
    page.locator("button.download-button").first.click()
    link = page.locator("a.download-link").first
    link.wait_for(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "plan_comparison.xlsx"
    _screenshot(page, "03_incentives_simulated")
    assert watch.errors == []
    page.close()


def test_a_reps_letter_read_in_the_app_is_the_letter_the_run_writes(app, browser, sample_run):
    """The letter viewer on page 03 is on screen and takes a typed rep id; the letter shown
    has the same figures as that rep's letter in the batch run's documents (the hand-over)."""
    base, _ = app
    _, out = sample_run
    page, watch = _open(browser, base, NOTEBOOKS[-1])
    viewer = page.locator(".document-viewer").first
    box = viewer.locator("input").first
    box.wait_for(state="visible", timeout=PAGE_TIMEOUT)
    first = box.input_value()
    files = sorted((out / "documents" / "letters").glob("*.html"))
    rep = next(f.stem for f in files if f.stem != first)
    handed = (out / "documents" / "letters" / f"{rep}.html").read_text(encoding="utf-8")
    title = html.unescape(re.search(r"<h1>(.*?)</h1>", handed).group(1))
    _usable(page, box)
    box.click()
    box.fill(rep)
    box.press("Enter")
    page.wait_for_function("([el, title]) => el.innerText.includes(title) || "
                           "el.innerText.includes('no rep')",
                           arg=[viewer.element_handle(), title], timeout=60_000)
    shown = viewer.inner_text()
    assert title in shown, shown[:300]
    money = re.findall(r"\$[\d,]+(?:\.\d+)?", handed.split("<body>")[1])
    assert len(money) >= 8
    assert [m for m in money if m not in shown] == []
    _screenshot(page, "03_incentives_letter", focus=box)
    assert watch.errors == []
    page.close()
