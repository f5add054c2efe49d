"""The widget panels, headless: on data unlike the sample they offer only what the data
supports and say why the rest is missing; every panel shows a refused setting in its error
line and recovers on the next change that works; charts compose into a given `ax`
(browser tests check what a person sees; these check the logic).
"""

from __future__ import annotations

import contextlib
import html
import io
from dataclasses import replace

import ipywidgets
import pytest

from helpers import grading, load_sample
from helpers.errors import WorkbookError
from helpers.ui.grading import GradingPanel
from helpers.ui.targets import TargetsPanel


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_targets_panel_offers_no_method_the_data_cannot_run(sample):
    bare = replace(sample, roster=sample.roster.drop(columns="territory_potential"))
    panel = TargetsPanel(bare, method="potential")
    offered = [value for _, value in panel.method.options]  # (plain label, value) pairs
    assert "potential" not in offered and panel.method.value == "history"
    assert "potential" not in panel.blend
    assert any("territory_potential" in note for note in panel.left_out)
    assert "potential is not offered" in panel.caption  # under the table
    full = TargetsPanel(sample, method="potential")
    assert full.method.value == "potential" and not full.left_out


def test_targets_panel_starts_on_the_fitted_ramp_and_offers_straight_lines(sample):
    from helpers.targets import fit_ramp, linear_ramp

    panel = _quietly(lambda: TargetsPanel(sample))
    fitted = fit_ramp(sample.history, sample.roster.set_index("rep_id")["hire_date"])
    assert panel.ramp.value == "fitted" and panel.plan.ramp == fitted.factors
    assert f"fitted: full from month {fitted.months + 1}" in panel.ramp.options[0][0]
    _quietly(lambda: setattr(panel.ramp, "value", 4))
    assert panel.plan.ramp == linear_ramp(4)
    old = _quietly(lambda: TargetsPanel(sample, ramp_months=2))  # a number still works
    assert old.plan.ramp == linear_ramp(2)


def test_targets_panel_shows_the_numbers_of_plan_targets_after_a_change(sample, monkeypatch):
    import pandas as pd

    import helpers.targets.allocation as allocation
    from helpers.targets import plan_targets

    panel = _quietly(lambda: TargetsPanel(sample))
    fits = []
    real = allocation.fit_ramp
    monkeypatch.setattr(allocation, "fit_ramp", lambda *a, **k: fits.append(1) or real(*a, **k))
    for control, value in (("growth", 0.12), ("method", "equal"), ("grain", "week"),
                           ("over_assign", 0.05), ("ramp", 3), ("ramp", "fitted")):
        _quietly(lambda c=control, v=value: setattr(getattr(panel, c), "value", v))
    assert not fits  # the fitted ramp is fitted once, when the panel is built
    alone = plan_targets(sample, growth=0.12, method="equal", grain="week", over_assign=0.05,
                         measures=("revenue",))
    pd.testing.assert_series_equal(panel.plan.totals, alone.totals, check_exact=True)
    pd.testing.assert_frame_equal(panel.plan.phased, alone.phased, check_exact=True)
    summary = alone.summary()
    pd.testing.assert_frame_equal(panel.plan.summary(), summary, check_exact=True)
    assert f"{summary.loc['total', 'target']:,.0f}" in panel.table.children[0].value


@pytest.mark.parametrize("grain, styled", [("month", True), ("week", False)])
def test_targets_panel_picture_is_a_full_draw_of_its_chart(sample, grain, styled):
    """The panel copies back what no control moves and draws the rest: the pixels are
    those of drawing the whole figure, at the same size, after any number of changes
    (in the notebooks' style, grid below the bars, and matplotlib's, axes above them)."""
    import matplotlib
    import numpy as np
    from PIL import Image

    from helpers.plots import style

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)))

    matplotlib.use("Agg")
    with matplotlib.rc_context():  # style() sets rcParams: restored after the test
        if styled:
            style()
        panel = _quietly(lambda: TargetsPanel(sample, grain=grain))
        fig = panel.overview.fig
        for control, value in (("growth", 0.3), ("grain", "quarter"), ("growth", -0.1),
                               ("grain", grain), ("growth", 0.07)):  # a rebuild, then moves
            _quietly(lambda c=control, v=value: setattr(getattr(panel, c), "value", v))
            shown = pixels(panel.chart.children[0].value)
            whole = io.BytesIO()
            with matplotlib.rc_context({"figure.autolayout": False}):
                fig.savefig(whole, format="png")  # every artist drawn, nothing copied back
            np.testing.assert_array_equal(shown, pixels(whole.getvalue()))
            width, height = fig.get_size_inches() * fig.dpi
            assert shown.shape[:2] == (round(height), round(width))


def test_grading_panel_places_reps_whose_level_was_assumed(sample):
    roster = sample.roster.assign(assumed="level")
    ds = replace(sample, roster=roster)
    current, said = grading.current_levels(ds)
    assert current.isna().all() and "every rep" in said[0]
    panel = GradingPanel(grading.kpis(ds, ds.last_year), current)
    assert set(panel.result.assigned["change"]) == {"first level"}
    assert "Reps per level" in panel.status.value


def test_grading_panel_defaults_to_level_standards_and_offers_the_aids(sample):
    k = grading.kpis(sample, sample.last_year).assign(csat=float("nan"))
    current, _ = grading.current_levels(sample)
    std = grading.load_standards(grading.SAMPLE_STANDARDS)
    panel = _quietly(lambda: GradingPanel(k, current, standards=std))
    labels = dict(panel.rule.options)
    assert panel.rule.value == "standards"
    assert labels["Level standards (criteria)"] == "standards"
    assert {labels[grading.RULE_LABELS[a]] for a in grading.AIDS} == set(grading.AIDS)
    _recovered(panel)
    assert panel.result.thresholds.method == "standards"
    assert "Minimum scores" in panel.status.value and "Change level" in panel.status.value
    assert "CSAT requirement" in panel.status.value  # the data has no CSAT: said, dropped
    _quietly(lambda: setattr(panel.rule, "value", "jenks"))
    _recovered(panel)
    assert panel.result.thresholds.method == "jenks" and "Cut lines" in panel.status.value


# ---------------------------------------------------------------- one base: errors, redraw


def _quietly(action):
    """Run `action` with stdout swallowed: outside a kernel an Output widget prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        return action()


@pytest.fixture(scope="module")
def incentive_inputs(sample):
    from helpers.incentives import PLANS_DIR, level_targets, load_inputs, load_plans, replay

    plans = load_plans(PLANS_DIR)
    targets, levels, _ = load_inputs(sample)
    replays = {"Current plan": replay(plans["Current plan"], sample)}
    return plans, targets, levels, level_targets(targets, levels), replays


def _clears(*outs) -> list:
    """The areas among `outs` that show nothing now (call after the change)."""
    return lambda: [out for out in outs if not out.children]


def _shows_error(panel, *words):
    assert panel.result is None and panel.error
    assert all(word in panel.error for word in words), panel.error
    assert "panel-error" in panel.status.value
    assert html.escape(panel.error) in panel.status.value  # escaped, whatever it quotes


def _recovered(panel):
    assert panel.result is not None and panel.error is None
    assert "panel-error" not in panel.status.value


def test_targets_panel_says_an_impossible_blend_and_recovers(sample):
    panel = _quietly(lambda: TargetsPanel(sample, method="blend"))
    assert panel.plan is not None and not panel.blend["history"].disabled
    # results are plain widgets (no Output widget for a front end to capture): the table
    # as HTML, the charts as one PNG image
    assert isinstance(panel.table.children[0], ipywidgets.HTML)
    assert "Target" in panel.table.children[0].value
    assert panel.chart.children[0].value[:4] == b"\x89PNG"
    cleared = _clears(panel.table, panel.chart)
    _quietly(lambda: setattr(panel.blend["history"], "value", 0.0))  # every weight zero
    _shows_error(panel, "blend")
    assert panel.plan is None and cleared() == [panel.table, panel.chart]  # nothing stale
    panel.caption = ""
    _quietly(lambda: setattr(panel.blend["history"], "value", 0.5))
    _recovered(panel)
    assert panel.plan is panel.result and "growth" in panel.caption


def test_grading_panel_says_weights_on_a_kpi_without_data_and_recovers(sample):
    kpis = grading.kpis(sample, sample.last_year).assign(csat=float("nan"))
    panel = _quietly(lambda: GradingPanel(kpis))
    cleared = _clears(panel.out)
    with panel.quiet():  # set several sliders, no redraw
        for slider in panel.sliders.values():
            slider.value = 0.0
    _quietly(lambda: setattr(panel.sliders["csat"], "value", 0.5))
    _shows_error(panel, "csat")
    assert cleared() == [panel.out]
    _quietly(lambda: setattr(panel.sliders["revenue"], "value", 0.3))
    _recovered(panel)
    assert "Reps per level" in panel.status.value and panel.preset.value == "custom"


def test_plan_editor_says_the_bad_key_and_recovers(incentive_inputs):
    from helpers.ui.incentives import PlanEditor

    plans, _, _, typical, _ = incentive_inputs
    editor = _quietly(lambda: PlanEditor(plans, typical))
    _quietly(lambda: setattr(editor.choice, "value", "Tiered commission"))
    _quietly(lambda: setattr(editor.fields[1][1], "value", -0.1))
    _shows_error(editor, "components[0].tiers[1].rate", ">= 0")
    assert editor.plan is None and "&gt;=" in editor.status.value
    _quietly(lambda: setattr(editor.level, "value", "junior"))  # still invalid: still said
    _shows_error(editor, "components[0].tiers[1].rate")
    _quietly(lambda: setattr(editor.fields[1][1], "value", 0.05))
    _recovered(editor)
    assert "Tiered commission" in editor.status.value


def test_simulation_panel_says_a_bad_setting_and_recovers(sample, incentive_inputs):
    from helpers.ui.incentives import SimulationPanel

    plans, targets, levels, _, _ = incentive_inputs
    panel = SimulationPanel(plans, sample, targets, levels)
    assert panel.sim is None and panel.error is None  # runs on the button only
    panel.choice.value, panel.n.value = (), 256
    _quietly(panel.run_button.click)  # nothing chosen: refused, not raised
    _shows_error(panel, "plans: no plan selected")
    panel.choice.value = ("Current plan",)
    _quietly(panel.run_button.click)
    _recovered(panel)
    assert list(panel.sim.plans) == ["Current plan"] and panel.progress.value == 256
    bad = SimulationPanel(plans, sample, targets, levels, spreads={"revenue": -1.0})
    bad.choice.value, bad.n.value = ("Current plan",), 256
    _quietly(bad.run_button.click)
    _shows_error(bad, "spreads")


@pytest.mark.parametrize("module, name", [
    ("helpers.ui.targets", "plan_targets"), ("helpers.ui.grading", "grade"),
    ("helpers.ui.incentives", "edit_plan"), ("helpers.ui.incentives", "statement")])
def test_every_live_panel_shows_a_workbook_error_and_raises_a_bug(
        sample, incentive_inputs, monkeypatch, module, name):
    """The same wiring in each: the helpers function refuses -> the error line, the next
    change that works -> the result again; any other exception is a bug and is raised."""
    import importlib

    from helpers.ui.incentives import PlanEditor, StatementViewer

    plans, _, _, typical, replays = incentive_inputs
    real = getattr(importlib.import_module(module), name)
    failure: list[Exception] = []

    def call(*args, **kwargs):
        if failure:
            raise failure[0]
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{module}.{name}", call)
    make, control, values = {
        "plan_targets": (lambda: TargetsPanel(sample), "growth", (0.07, 0.08, 0.09)),
        "grade": (lambda: GradingPanel(grading.kpis(sample, sample.last_year)), "margin",
                  (1.0, 2.0, 3.0)),
        "edit_plan": (lambda: PlanEditor(plans, typical), "ti_scale", (1.1, 1.2, 1.3)),
        "statement": (lambda: StatementViewer(plans, replays), "choice",
                      ("Current plan",) * 3),
    }[name]
    panel = _quietly(make)
    widget = getattr(panel, control)
    _recovered(panel)

    def change(value):
        if widget.value == value:  # a dropdown with one option: change it by redrawing
            return _quietly(panel.redraw)
        return _quietly(lambda: setattr(widget, "value", value))

    failure.append(WorkbookError(f"{name}: refused <here> & said"))
    change(values[0])
    _shows_error(panel, "refused <here> & said")
    assert "&lt;here&gt; &amp; said" in panel.status.value
    failure.clear()
    change(values[1])
    _recovered(panel)
    failure.append(KeyError("a bug"))
    with pytest.raises(KeyError):
        change(values[2])


def test_loading_a_scenario_redraws_once(sample, tmp_path, monkeypatch):
    import helpers.ui.targets as module

    panel = _quietly(lambda: TargetsPanel(sample))
    panel.scenarios.folder, panel.scenarios.name.value = tmp_path, "Demo"
    panel.growth.value, panel.ramp.value = 0.12, 2
    _quietly(panel.scenarios.save_button.click)
    assert "saved" in panel.scenarios.status.value
    panel.growth.value, panel.ramp.value = 0.05, 4
    calls = []
    real = module.plan_targets
    monkeypatch.setattr(module, "plan_targets", lambda *a, **k: calls.append(1) or real(*a, **k))
    _quietly(panel.scenarios.load_button.click)
    assert "loaded" in panel.scenarios.status.value and len(calls) == 1
    assert panel.growth.value == pytest.approx(0.12) and panel.plan.totals["revenue"] > 0


# ---------------------------------------------------------------- charts compose: ax=None


def test_a_chart_drawn_into_a_given_ax_lands_in_that_figure(sample):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.plots import grading as grading_charts
    from helpers.plots import targets as charts
    from helpers.targets import plan_targets

    plan = plan_targets(sample, measures=("revenue",))
    summary = plan.summary().drop(index="total")
    before = len(plt.get_fignums())
    fig, (left, right) = plt.subplots(1, 2)
    assert charts.targets_by_region(summary, ax=left) is fig
    assert charts.phasing(plan.phased, sample.history, plan.year, ax=right) is fig
    assert len(plt.get_fignums()) == before + 1  # no figure of their own
    assert left.patches and right.patches and "by region" in left.get_title()
    sub = plt.figure().subfigures(1, 2)[1].subplots()  # axes in a subfigure: the root figure
    kpis = grading.kpis(sample, sample.last_year)
    graded = grading.grade(kpis, grading.PRESETS["balanced"])
    assert grading_charts.score_strip(graded.scores, graded.thresholds,
                                      graded.assigned["proposed"], ax=sub) is sub.get_figure(
        root=True)
    alone = charts.targets_by_region(summary)  # without ax: a figure of its own, as before
    assert alone is not fig and alone.axes[0].patches
    composed = charts.plan_overview(summary, plan.phased, sample.history, plan.year)
    assert len(composed.axes) == 2 and all(ax.patches for ax in composed.axes)
    plt.close("all")


def test_small_multiples_take_one_axes_a_panel():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from helpers.plots.incentives import metric_bars

    table = pd.DataFrame({"expected_cost": [1e6, 2e6], "gini": [0.2, 0.3]}, index=["A", "B"])
    fig, axes = plt.subplots(2, 2)
    assert metric_bars(table, ["expected_cost", "gini"], ax=axes[1]) is fig
    assert axes[1, 1].get_title() == "gini" and not axes[0, 0].patches
    with pytest.raises(ValueError, match="needs 2 axes, got 4"):
        metric_bars(table, ["expected_cost", "gini"], ax=axes)
    plt.close("all")


# ---------------------------------------------------------------- readable slider values


def _sliders(widget) -> list:
    """Every slider shown in `widget`, however deep in its boxes."""
    found = [widget] if isinstance(widget, ipywidgets.FloatSlider | ipywidgets.IntSlider
                                   ) else []
    for child in getattr(widget, "children", ()):
        found += _sliders(child)
    return found


def test_sliders_read_shares_as_percents_and_counts_with_thousands(sample, incentive_inputs):
    """Issue 15: a weight read 0.25. A slider whose whole range lies within -100%..100% is
    a share (weights, blend, growth, over-assign) and reads as a percent; a count in the
    thousands reads with separators; other scales (the margin's points, the target
    incentive's ×) keep their decimals. The readouts are d3 formats, which Python's
    format spec reads alike for these."""
    from helpers.ui.incentives import PlanEditor, SimulationPanel

    plans, targets, levels, typical, _ = incentive_inputs
    k = grading.kpis(sample, sample.last_year)
    panels = [_quietly(lambda: TargetsPanel(sample, method="blend")),
              _quietly(lambda: GradingPanel(k.loc[:, k.notna().any()])),
              _quietly(lambda: PlanEditor(plans, typical)),
              SimulationPanel(plans, sample, targets, levels)]
    sliders = [s for p in panels for s in _sliders(p)]
    shares = [s for s in sliders if isinstance(s, ipywidgets.FloatSlider)
              and s.min >= -1 and s.max <= 1]
    assert len(shares) >= 8  # 8 weights (or fewer KPIs), 3 blend weights, growth, over-assign
    assert {s.readout_format for s in shares} == {".0%"}, [s.description for s in shares]
    grading_panel = panels[1]
    weight = grading_panel.sliders["attainment"]
    assert format(weight.value, weight.readout_format) == "25%"  # the balanced preset
    counts = [s for s in sliders if isinstance(s, ipywidgets.IntSlider) and s.max >= 10_000]
    assert counts and all(format(s.max, s.readout_format) == f"{s.max:,}" for s in counts)
    others = {s.description: s.readout_format for s in sliders
              if isinstance(s, ipywidgets.FloatSlider) and s not in shares}
    assert others == {"Margin": ".2f", "Target incentive ×": ".2f"}


def test_grading_panel_starts_on_weights_set_by_hand(sample):
    """Notebook 02's `kpi_weights` (a custom scenario run in batch) start the panel's
    sliders, the preset reading "custom", and grade as `grade` with their shares."""
    k = grading.kpis(sample, sample.last_year)
    k = k.loc[:, k.notna().any()]
    hand = {"revenue": 0.5, "attainment": 0.3, "collaboration": 0.2}
    panel = _quietly(lambda: GradingPanel(k, preset="balanced", weights=hand))
    assert panel.preset.value == "custom"
    assert {n: s.value for n, s in panel.sliders.items() if s.value} == hand
    _recovered(panel)
    alone = grading.grade(k, grading.effective_weights(hand).to_dict(),
                          threshold_method=panel.rule.value, shares=panel.shares)
    assert panel.result.scores.equals(alone.scores)
