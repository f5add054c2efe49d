"""Every chart's legend sits where no data is (issue 15: "small charts whose legend hides
bars"): each chart function is drawn on the sample, and the legend's box on the rendered
figure must not meet the box of any bar, line or point, and must lie inside the figure.
"""

from __future__ import annotations

import inspect

import matplotlib
import numpy as np
import pytest
from matplotlib.transforms import Bbox

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from helpers import fairness, grading, load_sample  # noqa: E402
from helpers import incentives as inc  # noqa: E402
from helpers import targets as tg  # noqa: E402
from helpers.data import SAMPLE_DIR  # noqa: E402
from helpers.plots import grading as grading_charts  # noqa: E402
from helpers.plots import incentives as incentive_charts  # noqa: E402
from helpers.plots import legend_outside, style  # noqa: E402
from helpers.plots import targets as target_charts  # noqa: E402
from helpers.ui.overview import PlanOverview  # noqa: E402

MODULES = (target_charts, grading_charts, incentive_charts)


@pytest.fixture(scope="module")
def charts():
    """Chart name -> a function drawing it on the sample, as the notebooks call it."""
    ds = load_sample()
    year = ds.plan_year
    plan = tg.plan_targets(ds, year, measures=("revenue",), grain="month")
    weekly = tg.plan_targets(ds, year, measures=("revenue",), grain="week")
    summary = plan.summary().drop(index="total")
    audit = tg.smart_audit(plan.targets, ds.history, year, monthly=plan.monthly)
    reps = plan.targets[plan.targets["measure"] == "revenue"]
    attainment = tg.expected_attainment(reps, ds.history, n=200, seed=0)
    commitments = tg.compare_commitments(plan.targets, tg.load_commitments(SAMPLE_DIR),
                                         ds.history)

    k = grading.kpis(ds, year - 1)
    weights = grading.usable_weights(k, grading.PRESETS["balanced"], ds.lacks())[0].to_dict()
    result = grading.grade(k, weights, threshold_method="quantile",
                           current=grading.current_levels(ds)[0])
    stab = grading.stability(ds, weights, result.thresholds, period=year - 1, n_boot=20,
                             workers=1)
    groups, _ = fairness.comparable(ds.roster.set_index("rep_id").loc[k.index],
                                    ("gender", "region"))
    senior = fairness.audit(result.assigned["proposed"] >= "senior", groups)
    rep = result.scores.idxmax()
    box = grading.nine_box(result.scores, names=ds.roster.set_index("rep_id")["name"])
    why = grading.explain_score(rep, result.normalized, weights, k)

    plans = inc.load_plans(inc.PLANS_DIR)
    targets, levels, _ = inc.load_inputs(ds)
    typical = inc.level_targets(targets, levels)
    first = next(iter(plans.values()))
    replays = {name: inc.replay(p, ds) for name, p in plans.items()}
    sim = inc.simulate(plans, ds, targets, n=256, seed=0, levels=levels, workers=1)
    return {
        "history_trend": lambda: target_charts.history_trend(ds.history),
        "seasonality_heatmap": lambda: target_charts.seasonality_heatmap(
            tg.seasonality(ds, "revenue", by="region")),
        "history_by_region": lambda: target_charts.history_by_region(ds),
        "targets_by_region": lambda: target_charts.targets_by_region(summary),
        "phasing": lambda: target_charts.phasing(plan.monthly, ds.history, year),
        "phasing by week": lambda: target_charts.phasing(weekly.phased, ds.history, year),
        "plan_overview": lambda: target_charts.plan_overview(summary, plan.phased, ds.history,
                                                             year),
        "required_growth": lambda: target_charts.required_growth(
            audit[audit["measure"] == "revenue"]),
        "attainment": lambda: target_charts.attainment(attainment),
        "pacing_chart": lambda: target_charts.pacing_chart(tg.pace(
            tg.plan_targets(tg.cut_history(ds, "2025-12"), 2026,
                            measures=("revenue",)).monthly,
            tg.cut_history(ds, "2026-06"), n=200)),
        "commitments_chart": lambda: target_charts.commitments_chart(commitments),
        "commitments_chart by rep": lambda: target_charts.commitments_chart(commitments,
                                                                             by="rep"),
        "score_strip": lambda: grading_charts.score_strip(result.scores, result.thresholds,
                                                          result.assigned["proposed"]),
        "level_counts": lambda: grading_charts.level_counts(result.assigned),
        "transition_heatmap": lambda: grading_charts.transition_heatmap(
            grading.transition_matrix(result.assigned)),
        "leniency_bars": lambda: grading_charts.leniency_bars(
            grading.adjust_raters(ds.reviews, k)[1]),
        "level_probabilities": lambda: grading_charts.level_probabilities(stab.probabilities),
        "weight_sensitivity": lambda: grading_charts.weight_sensitivity(stab.sensitivity),
        "selection_rates": lambda: grading_charts.selection_rates(senior, groups.columns[0],
                                                                  "senior or above"),
        "contributions": lambda: grading_charts.contributions(why, rep),
        "nine_box_chart": lambda: grading_charts.nine_box_chart(box),
        "payout_curves": lambda: incentive_charts.payout_curves(
            inc.curve_table(plans, typical)),
        "editor_curve": lambda: incentive_charts.editor_curve(
            inc.payout_curve(first, "senior", typical["senior"]), first.name),
        "replay_by_level": lambda: incentive_charts.replay_by_level(replays),
        "cost_distribution": lambda: incentive_charts.cost_distribution(inc.distribution(sim)),
        "pay_vs_performance": lambda: incentive_charts.pay_vs_performance(
            inc.rep_summary(sim, replays, year)),
        "metric_bars": lambda: incentive_charts.metric_bars(inc.metrics(sim)),
        "leaderboard_chart": lambda: incentive_charts.leaderboard_chart(
            inc.leaderboard(ds.history, levels=levels), group="junior"),
    }


def _data_boxes(fig, renderer) -> list[tuple[str, Bbox]]:
    """The box of every bar, line and point drawn, as much of it as its axes shows."""
    boxes = []
    for ax in fig.axes:
        artists = [*ax.patches, *ax.lines, *ax.collections]
        for artist in artists:
            if not artist.get_visible():
                continue
            box = artist.get_window_extent(renderer)
            if not np.isfinite(box.get_points()).all() or box.width == box.height == 0:
                continue
            shown = Bbox.intersection(box, ax.bbox) if artist.get_clip_on() else box
            if shown is not None and shown.width > 0 and shown.height > 0:
                boxes.append((f"{ax.get_title()!r}: {artist}", shown))
    return boxes


def _check(fig) -> int:
    """Assert no legend of `fig` meets a data box or leaves the figure; the legends seen."""
    fig.canvas.draw()  # the layout (tight) runs on a draw: measure what is shown
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        inside = fig.bbox.padded(0.5)  # half a pixel of rounding
        assert inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1), (
            f"legend {box} leaves the figure {fig.bbox}")
        for what, data in _data_boxes(fig, renderer):
            assert not box.overlaps(data), f"the legend covers {what}"
    return len(legends)


def test_every_chart_function_is_drawn_here(charts):
    """A new chart gets its legend checked too."""
    public = {name for module in MODULES for name, fn in inspect.getmembers(
        module, inspect.isfunction) if fn.__module__ == module.__name__
        and not name.startswith("_")}
    assert public <= {name.split(" ")[0] for name in charts}


@pytest.mark.parametrize("styled", [True, False])
def test_no_legend_covers_data_or_leaves_the_figure(charts, styled):
    """In the notebooks' style and in matplotlib's own (no automatic layout: a chart's own
    figure has the tight layout, which makes room for the legend)."""
    with matplotlib.rc_context():
        if styled:
            style()
        with_legend = 0
        for name, draw in charts.items():
            fig = draw()
            try:
                with_legend += bool(_check(fig))
            except AssertionError as error:
                raise AssertionError(f"{name}: {error}") from None
            finally:
                plt.close(fig)
    assert with_legend >= 15  # the charts that have a legend have one


def test_the_targets_panels_figure_keeps_its_legends_beside_the_charts(charts):
    """`PlanOverview` places its own axes (no layout pass on a control change): the room
    it makes for the legends is measured, so they cover no bar for any number of regions
    and label lengths (a partial last year's longer labels, a single region)."""
    ds = load_sample()
    year = ds.plan_year
    overview = PlanOverview()
    for grain, growth in (("month", 0.05), ("quarter", 0.3), ("week", -0.1), ("month", 0.1)):
        plan = tg.plan_targets(ds, year, growth=growth, measures=("revenue",), grain=grain)
        overview.update(plan.summary().drop(index="total"), plan.phased, ds.history, year)
        overview.png()
        assert _check(overview.fig) == 2
    one = ds.roster.assign(region="North")
    from dataclasses import replace

    alone = replace(ds, roster=one)
    plan = tg.plan_targets(alone, year, measures=("revenue",), grain="month")
    overview.update(plan.summary().drop(index="total"), plan.phased, ds.history, year)
    assert _check(overview.fig) == 2


def test_legend_outside_keeps_a_seaborn_legend_and_says_nothing_without_one():
    import pandas as pd
    import seaborn as sns

    fig, ax = plt.subplots()
    sns.lineplot(pd.DataFrame({"x": [1, 2, 1, 2], "y": [1, 2, 2, 1], "year": [1, 1, 2, 2]}),
                 x="x", y="y", hue="year", ax=ax)
    legend = legend_outside(ax)
    assert [t.get_text() for t in legend.get_texts()] == ["1", "2"]
    assert legend.get_title().get_text() == "year" and ax.get_legend() is legend
    bare = plt.subplots()[1]
    bare.plot([1, 2])
    assert legend_outside(bare) is None and bare.get_legend() is None
    plt.close("all")
