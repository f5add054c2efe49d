"""Errors a user meets in the panels, headless (issue 15 §4): a bad plan file is skipped
and named, weights are shown as they act, a result computed on a button is marked out of
date after a change, an unknown rep clears the statement, and "Save" writes a safe, unique
plan file that can be compared at once. Widgets are driven from Python as a user would."""

from __future__ import annotations

import contextlib
import html
import io
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import grading, load_sample
from helpers.incentives import (
    PLANS_DIR,
    PlanError,
    level_targets,
    load_inputs,
    load_plans,
    metrics,
    plan_stem,
    read_plans,
    replay,
    save_plan,
)
from helpers.scenarios import save_scenario
from helpers.ui.grading import GradingPanel
from helpers.ui.incentives import PlanBook, PlanEditor, SimulationPanel, StatementViewer
from helpers.ui.targets import TargetsPanel


def _quietly(action):
    with contextlib.redirect_stdout(io.StringIO()):
        return action()


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def inputs(sample):
    plans = load_plans(PLANS_DIR)
    targets, levels, _ = load_inputs(sample)
    return plans, targets, levels, level_targets(targets, levels)


# ---------------------------------------------------------------- plan files: skip and say


def _plans_folder(tmp_path):
    folder = tmp_path / "plans"
    shutil.copytree(PLANS_DIR, folder)
    tiered = (folder / "02_tiered_commission.yaml").read_text()
    typo = re.sub(r"weight: [0-9.]+", "weight: 0.8x", tiered, count=1)
    assert typo != tiered
    (folder / "02_tiered_commission.yaml").write_text(typo)
    (folder / "04_twin.yaml").write_text((folder / "01_current.yaml").read_text())
    (folder / "05_broken.yaml").write_text("name: Broken\ncomponents: [\n")
    return folder


def test_read_plans_keeps_the_good_files_and_names_each_bad_one(tmp_path):
    folder = _plans_folder(tmp_path)
    plans, problems = read_plans(folder)
    assert list(plans) == ["Current plan", "Level bonus + contest"]
    assert plans["Current plan"] == load_plans(PLANS_DIR)["Current plan"]
    assert len(problems) == 3
    typo, twin, broken = problems
    assert typo.startswith("02_tiered_commission.yaml: components[0].weight")
    assert "must be a number, got '0.8x'" in typo
    assert twin == ("04_twin.yaml: name: 'Current plan' is already the name of "
                    "01_current.yaml")
    assert broken.startswith("05_broken.yaml: not valid YAML (line 3, column 1")
    assert not any(str(tmp_path) in p for p in problems)
    with pytest.raises(PlanError, match="02_tiered_commission.yaml"):
        load_plans(folder)  # the strict reader still refuses
    chosen, said = read_plans(folder, ["Level bonus + contest", "Tiered commission"])
    assert list(chosen) == ["Level bonus + contest"]
    assert said[-1].startswith("compare: no valid plan named 'Tiered commission'")


def test_read_plans_says_when_a_folder_holds_no_plan(tmp_path):
    plans, problems = read_plans(tmp_path / "nothing")
    assert plans == {} and problems == ["nothing: no plan files (*.yaml) in this folder"]


def test_notebook_03_goes_on_without_a_bad_plan_and_a_headless_run_stops(sample, tmp_path):
    """The cell of notebook 03 that reads the plans, run as written on a folder with a
    typo: in the app the page goes on with the good plans and prints what it skipped."""
    import nbformat
    import pandas as pd

    import helpers.incentives as inc
    from helpers.app import page_inputs
    from helpers.data import ROOT
    from helpers.plots import style

    nb = nbformat.read(ROOT / "notebooks" / "03_incentives.ipynb", as_version=4)
    (cell,) = [c.source for c in nb.cells if "inc.read_plans(" in c.source]
    folder = _plans_folder(tmp_path)
    names = {"inc": inc, "pd": pd, "style": style, "ds": sample, "year": None,
             "out": tmp_path, "plans_path": folder, "compare": None, "on_missing": "drop",
             "upstream": None, "output_path": None, "page_inputs": page_inputs,
             "data_path": None}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(cell, {**names, "interactive": True})
    lines = printed.getvalue().splitlines()
    skipped = [line for line in lines if line.startswith("- skipped ")]
    assert [line.split(":")[0] for line in skipped] == [
        "- skipped 02_tiered_commission.yaml", "- skipped 04_twin.yaml",
        "- skipped 05_broken.yaml"]
    assert "weight: must be a number, got '0.8x'" in skipped[0]
    assert str(tmp_path) not in printed.getvalue()
    with pytest.raises(PlanError, match="02_tiered_commission.yaml"):
        exec(cell, {**names, "interactive": False})


# ------------------------------------------------------------------ weights as they act


def test_grading_panel_shows_the_weights_as_they_act(sample):
    kpis = grading.kpis(sample, sample.last_year)
    panel = _quietly(lambda: GradingPanel(kpis))
    a, b, *others = panel.sliders
    with panel.quiet():
        for slider in panel.sliders.values():
            slider.value = 0.0
        panel.sliders[a].value = 0.6
    _quietly(lambda: setattr(panel.sliders[b], "value", 0.6))
    assert panel.acting[a].value == panel.acting[b].value == "= 50%"
    assert all(panel.acting[k].value == "= 0%" for k in others)
    alone = grading.grade(kpis, {a: 0.5, b: 0.5, **dict.fromkeys(others, 0.0)},
                          threshold_method=panel.rule.value, shares=panel.shares)
    assert panel.result.scores.equals(alone.scores)


def test_grading_panel_refuses_all_weights_at_zero_and_recovers(sample):
    panel = _quietly(lambda: GradingPanel(grading.kpis(sample, sample.last_year)))
    assert panel.out.children
    first, *rest = panel.sliders.values()
    with panel.quiet():
        for slider in rest:
            slider.value = 0.0
    _quietly(lambda: setattr(first, "value", 0.0))
    assert panel.result is None and "every weight is 0" in panel.error
    assert not panel.out.children  # no levels of weights the sliders do not show
    assert all(label.value == "= –" for label in panel.acting.values())
    _quietly(lambda: setattr(first, "value", 0.2))
    assert panel.result is not None and panel.acting[next(iter(panel.sliders))].value == (
        "= 100%")


def test_targets_panel_shows_the_blend_as_it_mixes(sample):
    from helpers.targets import plan_targets

    panel = _quietly(lambda: TargetsPanel(sample, method="blend"))
    first, second, *rest = panel.blend
    with panel.quiet():
        for slider in panel.blend.values():
            slider.value = 0.0
        panel.blend[first].value = 0.6
    _quietly(lambda: setattr(panel.blend[second], "value", 0.6))
    assert panel.acting[first].value == panel.acting[second].value == "= 50%"
    assert all(panel.acting[m].value == "= 0%" for m in rest)
    even = plan_targets(sample, method="blend", blend={first: 0.5, second: 0.5},
                        measures=("revenue",))
    assert panel.plan.targets["target"].equals(even.targets["target"])
    _quietly(lambda: setattr(panel.method, "value", "history"))
    assert all(label.value == "" for label in panel.acting.values())  # no blend in use


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["revenue", "csat", "growth", "deals"]),
                       st.floats(0, 5), min_size=1))
def test_effective_weights_keep_the_proportions_and_sum_to_one(raw):
    total = sum(raw.values())
    if total == 0:
        with pytest.raises(grading.GradingError, match="every weight is 0"):
            grading.effective_weights(raw)
        return
    acting = grading.effective_weights(raw)
    assert acting.sum() == pytest.approx(1.0)
    for key, value in raw.items():
        assert acting[key] == pytest.approx(value / total)


# ---------------------------------------------------------------- out of date until run


def test_simulation_results_are_marked_out_of_date_until_the_next_run(sample, inputs,
                                                                      tmp_path):
    plans, targets, levels, _ = inputs
    panel = SimulationPanel(plans, sample, targets, levels)
    panel.choice.value, panel.n.value = ("Current plan",), 256
    assert not panel.stale and panel.stale_note.value == ""  # nothing shown: nothing stale
    _quietly(panel.run_button.click)
    shown = panel.sim
    assert shown is not None and not panel.stale
    panel.market.value = -10
    assert panel.stale and panel.sim is shown  # still shown, but marked
    assert "Out of date — press Simulate" in panel.stale_note.value
    assert "result-stale" in panel.out._dom_classes
    _quietly(panel.run_button.click)
    assert not panel.stale and panel.stale_note.value == ""
    assert "result-stale" not in panel.out._dom_classes and panel.sim.scenario == 0.9
    panel.scenarios.folder = tmp_path  # a scenario load sets the controls quietly: stale too
    save_scenario("Down", "incentives", {"market_pct": -20}, tmp_path)
    panel.scenarios.name.value = "Down"
    panel.scenarios.load_button.click()
    assert panel.market.value == -20 and panel.stale


def test_simulate_with_no_plan_selected_says_so(sample, inputs):
    plans, targets, levels, _ = inputs
    panel = SimulationPanel(plans, sample, targets, levels)
    panel.choice.value = ()
    _quietly(panel.run_button.click)
    assert panel.result is None
    assert "no plan selected" in panel.error and "press Simulate" in panel.error
    assert "panel-error" in panel.status.value


# ------------------------------------------------------------------ unknown rep: cleared


def test_statement_viewer_clears_the_statement_of_an_unknown_rep(sample, inputs):
    plans, *_ = inputs
    replays = {"Current plan": replay(plans["Current plan"], sample)}
    viewer = _quietly(lambda: StatementViewer(plans, replays))
    first = viewer.rep.value
    assert first in viewer.out.children[0].value
    _quietly(lambda: setattr(viewer.rep, "value", "R-NOBODY"))
    assert viewer.result is None and not viewer.out.children
    assert "no rep 'R-NOBODY'" in viewer.error and "panel-error" in viewer.status.value
    _quietly(lambda: setattr(viewer.rep, "value", ""))
    assert "none chosen" in viewer.error
    other = viewer.rep.options[1]
    _quietly(lambda: setattr(viewer.rep, "value", other))
    assert viewer.error is None and other in viewer.out.children[0].value


def test_document_viewer_shows_the_typed_reps_page_and_clears_an_unknown_one(sample, inputs):
    from helpers.incentives import plan_letters
    from helpers.ui.documents import DocumentViewer

    plans, targets, levels, *_ = inputs
    letters = plan_letters(plans["Current plan"], sample.roster, targets,
                           year=sample.plan_year, levels=levels)
    viewer = _quietly(lambda: DocumentViewer(letters))
    first = viewer.key.value
    assert viewer.out.children[0].value == letters[first][1]
    _quietly(lambda: setattr(viewer.key, "value", "R-NOBODY"))
    assert viewer.result is None and not viewer.out.children
    assert "no rep 'R-NOBODY'" in viewer.error and "panel-error" in viewer.status.value
    other = viewer.key.options[1]
    _quietly(lambda: setattr(viewer.key, "value", f" {other} "))
    assert viewer.error is None and viewer.out.children[0].value == letters[other][1]


# ------------------------------------------------------------- save: safe, unique, listed


@pytest.mark.parametrize("typed, stem", [
    ("../../evil", "evil"), (".hidden", "hidden"), ("Tiered 2027", "tiered_2027"),
    ("Prämie für Top", "prämie_für_top"), ("奖金计划", "奖金计划"), ("Ｔｉｅｒ", "tier"),
    ("a/b\\c:d", "a_b_c_d"), ("nul", "nul_plan"), ("x" * 80, "x" * 64)])
def test_plan_stem_is_a_safe_file_stem(typed, stem):
    assert plan_stem(typed) == stem


@pytest.mark.parametrize("typed", ["", "   ", "../..", "...", "/"])
def test_plan_stem_refuses_a_name_with_nothing_to_name_a_file_by(typed):
    with pytest.raises(PlanError, match="no letter or digit"):
        plan_stem(typed)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_plan_stem_never_leaves_the_folder_or_hides_the_file(typed):
    try:
        stem = plan_stem(typed)
    except PlanError:
        return
    assert re.fullmatch(r"[\w-]{1,64}", stem) and not stem.startswith(("-", "_"))
    assert "." not in stem and "/" not in stem and "\\" not in stem


def test_save_plan_never_overwrites_and_never_shares_a_name(inputs, tmp_path):
    plans, *_ = inputs
    plan = plans["Current plan"].replace(name="../../evil")
    first, path = save_plan(plan, tmp_path / "out", plans)
    assert path == tmp_path / "out" / "evil.yaml" and first.name == "../../evil"
    second, again = save_plan(plan, tmp_path / "out", [*plans, first.name])
    assert second.name == "../../evil (2)" and again.name == "evil_2.yaml"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["evil.yaml",
                                                                    "evil_2.yaml"]
    assert not list(tmp_path.glob("*.yaml"))  # nothing above the folder
    assert load_plans(tmp_path / "out") == {first.name: first, second.name: second}
    taken, _ = save_plan(plans["Tiered commission"], tmp_path / "out", plans)
    assert taken.name == "Tiered commission (2)"  # a plan on the page has that name
    with pytest.raises(PlanError, match="sample's input files"):
        save_plan(plan, PLANS_DIR, plans)
    long = plans["Current plan"].replace(name="Quarterly accelerator " * 5)
    stems = [save_plan(long, tmp_path / "long")[1].stem for _ in range(3)]
    assert len(set(stems)) == 3 and all(len(stem) <= 64 for stem in stems)
    assert stems[1].endswith("_2") and stems[2].endswith("_3")


def test_a_saved_plan_can_be_compared_in_the_same_session(sample, inputs, tmp_path):
    plans, targets, levels, typical = dict(inputs[0]), *inputs[1:]
    editor = _quietly(lambda: PlanEditor(plans, typical, folder=tmp_path))
    sim = SimulationPanel(plans, sample, targets, levels)
    assert PlanBook.of(plans) is editor.plans is sim.plans
    _quietly(lambda: setattr(editor.choice, "value", "Tiered commission"))
    _quietly(lambda: setattr(editor.ti_scale, "value", 1.2))
    editor.name.value = "../../evil"
    _quietly(editor.save.click)
    assert "saved as <b>../../evil</b> (evil.yaml)" in editor.status.value
    assert [p.name for p in tmp_path.iterdir()] == ["evil.yaml"]
    _quietly(editor.save.click)  # the same name again: a second plan, said
    assert "is taken" in editor.status.value and "evil (2)" in editor.status.value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml", "evil_2.yaml"]
    assert sim.choice.options[-2:] == ("../../evil", "../../evil (2)")
    assert editor.choice.value == "Tiered commission" and editor.fields  # edits kept
    assert len(plans) == 3  # the notebook's own dict is not changed
    sim.choice.value, sim.n.value = ("Tiered commission", "../../evil"), 256
    _quietly(sim.run_button.click)
    assert list(sim.sim.plans) == ["Tiered commission", "../../evil"]
    table = metrics(sim.sim)  # the saved plan pays TI x 1.2: it costs more on the same draws
    assert table.loc["../../evil", "expected_cost"] > table.loc["Tiered commission",
                                                                "expected_cost"]


# ------------------------------------------------------ a scenario is applied whole or not


def test_targets_panel_is_not_half_changed_by_a_bad_scenario(sample, tmp_path):
    panel = _quietly(lambda: TargetsPanel(sample))
    panel.scenarios.folder = tmp_path
    save_scenario("Half", "targets", {"growth": 0.5, "method": "magic"}, tmp_path)
    before, plan = panel.growth.value, panel.plan
    panel.scenarios.name.value = "Half"
    _quietly(panel.scenarios.load_button.click)
    assert panel.growth.value == before and panel.plan is plan  # nothing set, no redraw
    said = html.unescape(panel.scenarios.status.value)
    assert "not loaded, nothing changed: method: 'magic' is not offered here" in said
