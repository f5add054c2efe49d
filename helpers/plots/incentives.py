"""Charts for notebook 03 (incentives): one function a chart, each returns the Figure
(drawn into `ax` when given, see `helpers.plots`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..incentives.leaderboards import leaderboard_top
from ..schema import LEVELS
from . import figure_axes, figure_axes_row, legend_outside

THOUSANDS = FuncFormatter(lambda x, _: f"{x / 1000:,.0f}k")


def payout_curves(curves: pd.DataFrame, title: str = "Annual pay by attainment",
                  ax: Sequence[Axes] | None = None) -> Figure:
    """One panel a plan, one line a level: where pay starts, accelerates and stops.

    `curves` is `helpers.incentives.curve_table(...)` (plan, level, attainment, total);
    `ax`, if given, is one axes a plan (the title then goes to the caller's figure only
    when it has none).

    Parameters
    ----------
    curves : pandas.DataFrame
        From `helpers.incentives.curve_table` (`plan`, `level`, `attainment`, `total`).
    title : str, default "Annual pay by attainment"
        The figure title.
    ax : sequence of matplotlib.axes.Axes, optional
        One axes a panel to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).

    Raises
    ------
    ValueError
        When `ax` does not hold one axes a plan.
    """
    names = list(dict.fromkeys(curves["plan"]))
    fig, axes = figure_axes_row(ax, len(names), (3.4 * len(names), 3.2), sharey=True)
    for one, name in zip(axes, names, strict=True):
        part = curves[curves["plan"] == name]
        sns.lineplot(part, x="attainment", y="total", hue="level", hue_order=list(LEVELS),
                     palette="viridis", ax=one, legend=one is axes[-1])
        for x in (0.8, 1.0, 1.2):
            one.axvline(x, color="#999", lw=0.8, ls=":")
        one.set(title=name, xlabel="attainment", ylabel="annual pay")
        one.xaxis.set_major_formatter(PercentFormatter(1.0))
        one.yaxis.set_major_formatter(THOUSANDS)
    legend_outside(axes[-1])
    if ax is None or fig.get_suptitle() == "":
        fig.suptitle(title, fontweight="bold")
    return fig


def editor_curve(curve: pd.DataFrame, title: str, ax: Axes | None = None) -> Figure:
    """A single plan and level: stacked components against attainment (the editor's view).

    Parameters
    ----------
    curve : pandas.DataFrame
        From `helpers.incentives.payout_curve`: `attainment`, a column per component, `total`.
    title : str
        The chart title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax, figsize=(7, 3.2))
    parts = [c for c in curve.columns if c not in ("attainment", "total")]
    ax.stackplot(curve["attainment"], *[curve[c].clip(lower=0) for c in parts], labels=parts,
                 alpha=0.8)
    ax.plot(curve["attainment"], curve["total"], color="black", lw=1.2, label="total")
    ax.set(title=title, xlabel="attainment", ylabel="annual pay")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(THOUSANDS)
    legend_outside(ax)
    return fig


def replay_by_level(replays: dict[str, pd.DataFrame], ax: Axes | None = None) -> Figure:
    """Average pay per rep and level each plan would have paid last year.

    Parameters
    ----------
    replays : dict of str to pandas.DataFrame
        Plan name -> replayed payouts (`rep_id`, `level`, `amount`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    frame = pd.concat([t.groupby(["rep_id", "level"], observed=True)["amount"].sum()
                       .reset_index().assign(plan=name) for name, t in replays.items()])
    fig, ax = figure_axes(ax)
    sns.barplot(frame, x="level", y="amount", hue="plan", order=list(LEVELS), errorbar=None,
                ax=ax)
    ax.set(title="Last year replayed: average pay per rep", xlabel="", ylabel="pay")
    ax.yaxis.set_major_formatter(THOUSANDS)
    legend_outside(ax)
    return fig


def cost_distribution(dist: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Simulated total cost per plan: the spread is the budget risk (P50 and P90 marked).

    Parameters
    ----------
    dist : pandas.DataFrame
        Simulated cost per plan and scenario (`plan`, `cost`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax)
    sns.histplot(dist, x="cost", hue="plan", element="step", stat="density",
                 common_norm=False, bins=50, ax=ax)
    palette = sns.color_palette(n_colors=dist["plan"].nunique())
    for color, (_, part) in zip(palette, dist.groupby("plan", sort=False), strict=False):
        for q, ls in ((0.5, "-"), (0.9, "--")):
            ax.axvline(np.quantile(part["cost"], q), color=color, lw=1, ls=ls)
    ax.set(title="Simulated total cost next year (solid P50, dashed P90)", xlabel="total cost",
           ylabel="")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e6:,.1f}M"))
    ax.set_yticks([])
    legend_outside(ax)
    return fig


def pay_vs_performance(summary: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Expected pay against expected attainment, per rep and plan: is pay earned?

    Parameters
    ----------
    summary : pandas.DataFrame
        Per rep and plan: `plan`, `expected_attainment`, `expected_pay`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax)
    sns.scatterplot(summary, x="expected_attainment", y="expected_pay", hue="plan",
                    style="plan", s=22, ax=ax)
    ax.set(title="Expected pay by expected attainment (one dot per rep)",
           xlabel="expected attainment", ylabel="expected pay")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(THOUSANDS)
    legend_outside(ax)
    return fig


def metric_bars(table: pd.DataFrame, columns: list[str] | None = None,
                ax: Sequence[Axes] | None = None) -> Figure:
    """Small multiples of plan metrics side by side (one panel a metric; `ax`, if given,
    is one axes a metric).

    Parameters
    ----------
    table : pandas.DataFrame
        Plan metrics, one row a plan (from `helpers.incentives.metrics`).
    columns : list of str, optional
        The metrics to show; default cost, P90 cost, total cost of sales, Gini, Spearman and
        marginal pay at 100 %.
    ax : sequence of matplotlib.axes.Axes, optional
        One axes a panel to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).

    Raises
    ------
    ValueError
        When `ax` does not hold one axes a metric.
    """
    columns = columns or ["expected_cost", "p90_cost", "total_cost_of_sales", "gini",
                          "spearman_pay_perf", "marginal_at_100"]
    fig, axes = figure_axes_row(ax, len(columns), (2.2 * len(columns), 2.8))
    colors = sns.color_palette(n_colors=len(table))
    for one, col in zip(axes, columns, strict=True):
        one.bar(range(len(table)), table[col], color=colors)
        one.set_title(col.replace("_", " "), fontsize=9)
        one.set_xticks(range(len(table)), [str(i)[:12] for i in table.index], rotation=45,
                       ha="right", fontsize=7)
        one.tick_params(axis="y", labelsize=7)
        if col.endswith("cost_of_sales"):  # a fraction of revenue
            one.yaxis.set_major_formatter(PercentFormatter(1.0))
        elif "cost" in col:
            one.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e6:,.1f}M"))
    return fig


def leaderboard_chart(table: pd.DataFrame, ax: Axes | None = None, *, period: str | None = None,
                      group: str = "all", top: int = 10,
                      names: pd.Series | None = None) -> Figure:
    """The top of one period's leaderboard as horizontal bars, best at the top, for a team
    meeting: attainment with the 100% line (or the value, when ranked on value).

    Parameters
    ----------
    table : pandas.DataFrame
        From `helpers.incentives.leaderboard`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.
    period : str, optional
        The period label (e.g. "2026 Q2"); default the last one.
    group : str, default "all"
        "all" or a level.
    top : int, default 10
        Places shown (reps tied at the last place are all shown).
    names : pandas.Series, optional
        rep_id -> name for the bar labels (default the rep_id).

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).

    Raises
    ------
    LeaderboardError
        When the table has no ranking for `period` and `group`.
    """
    part = leaderboard_top(table, period=period, group=group, top=top)
    on_attainment = part.attrs.get("basis", "attainment") == "attainment"
    x = part["attainment" if on_attainment else "value"].to_numpy(dtype=float)
    label = part["rep_id"].astype(str)
    if names is not None:
        label = label.map(dict(zip(names.index.astype(str), names.astype(str),
                                   strict=True))).fillna(label)
    ylabels = [f"{r}. {n}" for r, n in zip(part["rank"], label, strict=True)]
    fig, ax = figure_axes(ax, figsize=(7, 0.9 + 0.28 * max(len(part), 3)))
    y = np.arange(len(part))
    ax.barh(y, x, color=sns.color_palette()[0],
            label="attainment" if on_attainment else part.attrs.get("measure", "value"))
    if on_attainment:
        ax.axvline(1.0, color="black", lw=1, ls="--", label="target (100%)")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_yticks(y, ylabels)
    ax.invert_yaxis()  # first place at the top
    where = "" if group == "all" else f", {group} level"
    ax.set(title=f"Leaderboard, {part.attrs['period']}{where}", xlabel="", ylabel="")
    legend_outside(ax)
    return fig
