"""The widget panels on data unlike the sample: they offer only what the data supports and
say why the rest is missing (browser tests check what a person sees; these check the logic);
charts compose into a given `ax`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers import grading, load_sample
from helpers.ui.grading import GradingPanel
from helpers.ui.targets import TargetsPanel


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_targets_panel_offers_no_method_the_data_cannot_run(sample):
    bare = replace(sample, roster=sample.roster.drop(columns="territory_potential"))
    panel = TargetsPanel(bare, method="potential")
    assert "potential" not in panel.method.options and panel.method.value == "history"
    assert "potential" not in panel.blend
    assert any("territory_potential" in note for note in panel.left_out)
    assert "potential is not offered" in panel.caption  # under the table
    full = TargetsPanel(sample, method="potential")
    assert full.method.value == "potential" and not full.left_out


def test_grading_panel_places_reps_whose_level_was_assumed(sample):
    roster = sample.roster.assign(assumed="level")
    ds = replace(sample, roster=roster)
    current, said = grading.current_levels(ds)
    assert current.isna().all() and "every rep" in said[0]
    panel = GradingPanel(grading.kpis(ds, ds.last_year), current)
    assert set(panel.result.assigned["change"]) == {"first level"}
    assert "Reps per level" in panel.status.value


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
