"""The app's hand-over and scenario controls: download buttons (the files hold what the panel
shows, read back with pandas and the workbook's own reader, built in a temporary folder so
the batch outputs are untouched, the links carrying the files under safe names), Reset,
plans ticked in a `Checklist`, and two scenarios side by side.
"""

from __future__ import annotations

import base64
import io
import re
from html import unescape

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data import output_dir
from helpers.export import read_workbook
from helpers.formatting import fmt
from helpers.ui.downloads import Downloads, download_files, file_stem, links_html


@pytest.fixture
def table():
    return pd.DataFrame({"rep_id": ["R2", "R1", "R3"], "target": [1234567.891, 2.5, 0.0],
                         "level": ["senior", "junior", "top"]})


def test_files_hold_the_tables_as_shown(table, tmp_path, monkeypatch):
    monkeypatch.setenv("SALES_OUTPUTS", str(tmp_path / "outputs"))
    files = download_files({"Targets by rep": table, "Levels": table[["rep_id", "level"]]},
                           "Targets 2027")
    assert list(files) == ["targets_2027.xlsx", "targets_2027_targets_by_rep.csv",
                           "targets_2027_levels.csv"]
    back = pd.read_csv(io.BytesIO(files["targets_2027_targets_by_rep.csv"]))
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    book = tmp_path / "book.xlsx"
    book.write_bytes(files["targets_2027.xlsx"])
    sheets = read_workbook(book)
    assert list(sheets) == ["Targets by rep", "Levels"]
    pd.testing.assert_frame_equal(sheets["Targets by rep"].reset_index(drop=True), table,
                                  check_dtype=False)
    assert not any(output_dir().rglob("*"))  # nothing written where the batch run writes


def test_links_carry_the_files_under_safe_names(table):
    files = download_files({"Plan comparison": table}, "../../evil <b>")
    assert all(re.fullmatch(r"[a-z0-9_.-]+", name) for name in files)
    html = links_html(files)
    for name, content in files.items():
        data = re.search(rf"download='{re.escape(name)}' href='data:[^;]+;base64,([^']+)'",
                         html).group(1)
        assert base64.b64decode(data) == content
    assert file_stem("  ") == "download"


def test_the_button_builds_links_from_what_is_shown_now(table):
    shown = {"now": None}
    downloads = Downloads(lambda: shown["now"], "levels")
    downloads.prepare()
    assert "nothing to download yet" in downloads.links.value
    shown["now"] = {"Levels": table}
    downloads.button.click()
    assert "levels.xlsx" in downloads.links.value and "levels.csv" in downloads.links.value
    assert "levels_levels" not in downloads.links.value  # a sheet named like the file
    downloads.clear()
    assert downloads.links.value == ""
    shown["now"] = {"bad:name": table}  # Excel refuses the sheet name: said, not raised
    downloads.prepare()
    assert "panel-error" in downloads.links.value and "bad:name" in downloads.links.value


def test_targets_panel_hands_over_the_plan_on_screen_and_resets_to_its_settings(tmp_path):
    from helpers import load_sample
    from helpers.ui.targets import TargetsPanel

    panel = TargetsPanel(load_sample(), growth=0.05, grain="quarter")
    panel.growth.value = 0.12  # the plan on screen now is not the page's own
    panel.downloads.prepare()
    names = re.findall(r"download='([^']+)'", panel.downloads.links.value)
    assert names == [f"targets_{panel.plan.year}.xlsx",
                     f"targets_{panel.plan.year}_targets_by_rep.csv",
                     f"targets_{panel.plan.year}_targets_by_quarter.csv"]
    data = re.search(r"targets_by_rep.csv' href='data:text/csv;base64,([^']+)'",
                     panel.downloads.links.value).group(1)
    handed = pd.read_csv(io.BytesIO(base64.b64decode(data)))
    shown = panel.plan.targets
    key = ["rep_id", "measure"]  # matched by key, not by row order
    merged = handed.merge(shown[[*key, "target"]], on=key, suffixes=("", "_shown"))
    assert len(merged) == len(shown) == len(handed)
    assert (merged["target"] - merged["target_shown"]).abs().max() < 1e-6
    assert "+7.0 pts vs baseline" in panel.cards.value  # growth 12% against 5%
    panel.scenarios.reset_button.click()
    assert panel.growth.value == 0.05 and panel.downloads.links.value == ""
    assert panel.cards.value.count("same as baseline") == 4
    assert "back to this page" in panel.scenarios.status.value


def test_plans_are_picked_by_ticking_boxes_and_saved_in_a_scenario(tmp_path):
    from traitlets import TraitError

    from helpers.ui.base import Checklist
    from helpers.ui.scenarios import ScenarioBar, check_setting

    plans = Checklist(["A", "B", "C"], value=("A", "C"), description="Plans")
    assert [box.value for box in plans.boxes.values()] == [True, False, True]
    plans.boxes["B"].value = True  # a person ticks B: the value follows, in shown order
    assert plans.value == ("A", "B", "C")
    plans.boxes["A"].value = False
    assert plans.value == ("B", "C")
    plans.value = ("C",)  # set by code (a scenario load): the boxes follow
    assert [box.value for box in plans.boxes.values()] == [False, False, True]
    with pytest.raises(TraitError, match="not offered: D"):
        plans.value = ("D",)
    with pytest.raises(Exception, match="not offered here"):
        check_setting(plans, ["A", "D"])
    bar = ScenarioBar("incentives", {"plans": plans}, folder=tmp_path)
    bar.name.value = "Two plans"
    plans.value = ("A", "B")
    bar.save_button.click()
    plans.value = ()
    bar.load_button.click()
    assert plans.value == ("A", "B") and plans.boxes["B"].value
    plans.options = ("B", "E")  # an option gone is unticked, a new one offered
    assert plans.value == ("B",) and list(plans.boxes) == ["B", "E"]


def test_two_scenarios_side_by_side_leave_the_panel_as_it_was(tmp_path):
    from helpers import load_sample, targets
    from helpers.ui.targets import TargetsPanel

    ds = load_sample()
    panel = TargetsPanel(ds, growth=0.05)
    panel.scenarios.folder = tmp_path
    panel.growth.value = 0.15
    panel.scenarios.name.value = "High growth"
    panel.scenarios.save_button.click()
    panel.growth.value = 0.08  # what is on screen now: neither A nor B
    shown = panel.plan.totals["revenue"]
    compare = panel.comparison
    assert compare.second.options == ("this page's settings", "High growth")  # offered at once
    compare.second.value = "High growth"
    compare.button.click()
    rows = compare.out.value.split("key-figure-row")[1:]
    assert len(rows) == 2 and "A: this page" in rows[0] and "B: High growth" in rows[1]
    assert "vs A" not in rows[0] and "vs A" in rows[1]
    high = targets.plan_targets(ds, panel.plan.year, growth=0.15, ramp=panel.fitted,
                                measures=("revenue",)).totals["revenue"]
    assert fmt(high, "money", compact=True) in rows[1]  # B: the saved scenario's own plan
    assert panel.growth.value == 0.08 and panel.plan.totals["revenue"] == shown
    (tmp_path / "broken.yaml").write_text("targets: {growth: 9}\n")  # outside the slider
    panel.scenarios.refresh()
    compare.second.value = "broken"
    compare.compare()
    said = compare.out.value
    assert "panel-error" in said and "B: scenario &#x27;broken&#x27;: growth: 9" in said
    assert panel.growth.value == 0.08


def _simulation_panel(sample, seed=3):
    from helpers.incentives import PLANS_DIR, load_inputs, load_plans
    from helpers.ui.incentives import SimulationPanel

    targets, levels, _ = load_inputs(sample)
    return SimulationPanel(load_plans(PLANS_DIR), sample, targets, levels, seed=seed)


def _save(panel, name, plans, market, n=256):
    panel.choice.value, panel.market.value, panel.n.value = plans, market, n
    panel.scenarios.name.value = name
    panel.scenarios.save_button.click()
    assert "saved" in panel.scenarios.status.value


def _numbers(figures):
    return [(f.group, f.label, f.value) for f in figures]


def test_page_03_compares_two_scenarios_as_fresh_panels_show_them(tmp_path, sample):
    """Each side's figures are those a fresh panel set to that scenario shows after
    Simulate (and those of `simulate` itself, same seed); the panel's own view stays."""
    from helpers.incentives import metrics, simulate

    panel = _simulation_panel(sample)
    panel.scenarios.folder = tmp_path
    _save(panel, "Steady", ("Current plan", "Tiered commission"), 0)
    _save(panel, "Downturn", ("Tiered commission",), -10)
    panel.choice.value, panel.market.value, panel.n.value = ("Current plan",), 5, 512
    panel.run_button.click()  # what is on screen: neither A nor B
    shown, cards = panel.sim, panel.cards.value
    compare = panel.comparison
    assert compare.first.options == ("this page's settings", "Downturn", "Steady")
    compare.first.value, compare.second.value = "Steady", "Downturn"
    compare.button.click()
    steady, downturn = compare.sides
    assert [f.group for f in downturn] == ["Tiered commission"] * 4
    for name, got in (("Steady", steady), ("Downturn", downturn)):
        fresh = _simulation_panel(sample)
        fresh.scenarios.folder = tmp_path
        fresh.scenarios.name.value = name
        fresh.scenarios.load_button.click()
        fresh.run_button.click()
        assert fresh.error is None and _numbers(got) == _numbers(fresh.cards.figures)
    plan = panel.plans["Tiered commission"]
    alone = metrics(simulate({plan.name: plan}, sample, panel.targets, n=256, scenario=0.9,
                             seed=3, levels=panel.levels)).loc[plan.name]
    assert [f.value for f in downturn[:3]] == [
        alone["expected_cost"], alone["total_cost_of_sales"], alone["p90_cost"]]
    rows = compare.out.value.split("key-figure-row")[1:]  # plan by plan, A above B
    assert ["A: Steady · Current plan" in rows[0], "A: Steady · Tiered commission" in rows[1],
            "B: Downturn · Tiered commission" in rows[2]] == [True] * 3 and len(rows) == 3
    assert "vs A" not in rows[1] and "vs A" in rows[2]  # B's change against A's same plan
    assert fmt(downturn[0].value, "money", compact=True) in rows[2]
    assert (panel.choice.value, panel.market.value, panel.n.value) == (("Current plan",), 5,
                                                                       512)
    assert panel.sim is shown and panel.cards.value == cards and not panel.stale
    assert panel.progress.value == panel.progress.max == 512


def test_page_03_says_which_scenario_cannot_be_compared(tmp_path, sample):
    panel = _simulation_panel(sample)
    panel.scenarios.folder = tmp_path
    _save(panel, "Steady", ("Current plan",), 0)
    (tmp_path / "gone plan.yaml").write_text(
        "incentives: {plans: [Old plan], market_pct: 0, scenarios: 256}\n")
    (tmp_path / "few.yaml").write_text("incentives: {plans: [Current plan], scenarios: 5}\n")
    panel.scenarios.refresh()
    compare = panel.comparison
    compare.first.value = "Steady"
    for name, words in (("gone plan", "plans: ('Old plan',) is not offered here"),
                        ("few", "scenarios: 5 is outside this control's range")):
        compare.second.value = name
        compare.button.click()  # said, not raised
        said = unescape(compare.out.value)
        assert "panel-error" in said and f"B: scenario '{name}': {words}" in said, said
        assert compare.sides == ([], [])
    compare.second.value = "Steady"
    (tmp_path / "steady.yaml").unlink()  # deleted after it was picked
    compare.button.click()
    said = unescape(compare.out.value)  # A first: named once, with what is saved
    assert "A: scenario 'Steady': no saved scenario of that name (saved: few, gone plan)" \
        in said and said.count("Steady") == 1
    assert panel.sim is None and not panel.stale and panel.error is None


@pytest.fixture(scope="module")
def shown_panel():
    """One simulated page-03 panel (shared: every property example must leave it as it was)."""
    from helpers import load_sample

    panel = _simulation_panel(load_sample(), seed=11)
    panel.choice.value, panel.market.value, panel.n.value = ("Current plan",), 10, 256
    panel.run_button.click()
    return panel


@settings(max_examples=6, deadline=None)
@given(ticked=st.lists(st.sampled_from(["Current plan", "Tiered commission",
                                        "Level bonus + contest"]),
                       min_size=1, max_size=2, unique=True),
       market=st.sampled_from(range(-30, 35, 5)))
def test_page_03_figures_with_any_settings_are_a_run_with_them(shown_panel, ticked, market):
    """Whatever the scenario's settings, `figures_with` gives `metrics` of `simulate` with
    them on the panel's seed, and what the panel shows and holds stays as it was."""
    from helpers.incentives import metrics, simulate

    panel = shown_panel
    sim, cards, stale = panel.sim, panel.cards.value, panel.stale
    got = panel.figures_with({"plans": ticked, "market_pct": market, "scenarios": 256})
    table = metrics(simulate({n: panel.plans[n] for n in ticked}, panel.ds, panel.targets,
                             n=256, scenario=1 + market / 100, seed=11, levels=panel.levels))
    assert [(f.group, f.value) for f in got] == [
        (plan, row[c]) for plan, row in table.iterrows()
        for c in ("expected_cost", "total_cost_of_sales", "p90_cost", "share_at_target")]
    assert (panel.choice.value, panel.market.value, panel.n.value) == (("Current plan",), 10,
                                                                       256)
    assert panel.sim is sim and panel.cards.value == cards and panel.stale == stale
