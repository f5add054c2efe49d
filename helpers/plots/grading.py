"""Charts for notebook 02 (levels): one function a chart, each returns the Figure
(drawn into `ax` when given, see `helpers.plots`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ..fairness import FOUR_FIFTHS
from . import figure_axes, legend_outside


def score_strip(scores: pd.Series, cutoffs, levels: pd.Series | None = None,
                title: str = "Scores and cut lines", ax: Axes | None = None) -> Figure:
    """Every rep as a dot on the 0-100 score, the level lines on top: who sits near a line.

    Parameters
    ----------
    scores : pandas.Series
        Composite score per rep, 0..100.
    cutoffs : Thresholds or Sequence[float]
        The cut lines to draw.
    levels : pandas.Series, optional
        Level per rep (aligned on the index), to colour the dots.
    title : str, default "Scores and cut lines"
        The chart title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax, figsize=(8, 2.6))
    frame = pd.DataFrame({"score": scores.to_numpy(), "y": 0})
    order = None
    if levels is not None:
        levels = pd.Series(levels).reindex(scores.index)
        frame["level"] = levels.to_numpy()
        order = (list(levels.cat.categories) if isinstance(levels.dtype, pd.CategoricalDtype)
                 else sorted(levels.unique()))
    rng = np.random.default_rng(0)  # fixed jitter: the same chart every run
    frame["y"] = rng.uniform(-0.35, 0.35, len(frame))
    sns.scatterplot(frame, x="score", y="y", hue="level" if levels is not None else None,
                    hue_order=order, palette="viridis", s=22, ax=ax, legend=levels is not None)
    for cut in getattr(cutoffs, "cutoffs", cutoffs):
        ax.axvline(cut, color="#c33", lw=1.2, ls="--")
        ax.text(cut, -0.48, f" {cut:.1f}", color="#c33", ha="left", va="bottom", fontsize=8)
    ax.set(xlim=(0, 100), ylim=(-0.5, 0.4), yticks=[], ylabel="", xlabel="score (0-100)",
           title=title)
    legend_outside(ax)
    return fig


def level_counts(assigned: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Reps per level now and as proposed, side by side.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `helpers.grading.assign` (`proposed`, and `current` when known).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    cols = [c for c in ("current", "proposed") if c in assigned]
    counts = pd.DataFrame({c: assigned[c].value_counts(sort=False) for c in cols})
    fig, ax = figure_axes(ax)
    counts.plot.bar(ax=ax, rot=0, color=["#9bb", "#357"][: len(cols)])
    ax.set(xlabel="", ylabel="reps", title="Reps per level")
    legend_outside(ax)
    return fig


def transition_heatmap(matrix: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Current level (rows) to proposed level (columns): the diagonal is 'no change'.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Level x level counts, from `helpers.grading.transition_matrix`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax, figsize=(5.5, 4))
    sns.heatmap(matrix, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax)
    ax.set(xlabel="proposed", ylabel="current", title="Current → proposed level")
    return fig


def leniency_bars(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Each manager's estimated leniency in review points, flagged ones in colour.

    Parameters
    ----------
    table : pandas.DataFrame
        The rater table from `helpers.grading.adjust_raters` (`leniency`, `se`, `flag`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    table = table.sort_values("leniency")
    colours = table["flag"].map({"lenient": "#d62", "severe": "#26c"}).fillna("#aaa")
    fig, ax = figure_axes(ax, figsize=(7, 0.28 * len(table) + 1.2))
    ax.barh(table.index, table["leniency"], xerr=1.96 * table["se"], color=colours.to_numpy())
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="review points above (+) or below (-) the average manager", ylabel="",
           title="Manager leniency (after allowing for the team's results)")
    return fig


def level_probabilities(probabilities: pd.DataFrame, reps=None, top: int = 15,
                        ax: Axes | None = None) -> Figure:
    """Stacked probability of each level for the least certain reps (or `reps`).

    Parameters
    ----------
    probabilities : pandas.DataFrame
        Rep x level probabilities, from `Stability.probabilities`.
    reps : sequence of str, optional
        The reps to show; None shows the `top` least certain.
    top : int, default 15
        How many of the least certain reps to show when `reps` is None.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    probs = probabilities if reps is None else probabilities.loc[list(reps)]
    if reps is None:
        probs = probs.loc[probs.max(axis=1).sort_values().index[:top]]
    fig, ax = figure_axes(ax, figsize=(8, 0.3 * len(probs) + 1.2))
    probs.iloc[::-1].plot.barh(stacked=True, ax=ax, colormap="viridis", width=0.8)
    ax.axvline(0.8, color="#c33", ls="--", lw=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlim=(0, 1), xlabel="share of resamples", ylabel="",
           title="How sure is each level? (least certain reps)")
    legend_outside(ax)
    return fig


def weight_sensitivity(sensitivity: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Share of reps changing level when one KPI's weight moves up or down.

    Parameters
    ----------
    sensitivity : pandas.DataFrame
        KPI x (`weight_up`, `weight_down`) shares, from `Stability.sensitivity`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax)
    sensitivity.plot.barh(ax=ax, color=["#357", "#9bb"])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="reps changing level", ylabel="", title="Weight sensitivity")
    legend_outside(ax)
    return fig


def selection_rates(impact: pd.DataFrame, by: str, what: str = "selected",
                    ax: Axes | None = None) -> Figure:
    """Rate per group with four fifths of the best group's rate drawn as the line to clear.

    Parameters
    ----------
    impact : pandas.DataFrame
        The fairness table (`by`, `group`, `rate`, `reference`, `four_fifths`).
    by : str
        The grouping to show (a value of the `by` column).
    what : str, default "selected"
        What the rate counts, for the labels.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    rows = impact[impact["by"] == by]
    best = rows.loc[rows["reference"], "rate"].iloc[0]
    colours = np.where(rows["four_fifths"], "#d62", "#357")
    fig, ax = figure_axes(ax, figsize=(7, 0.3 * len(rows) + 1.2))
    ax.barh(rows["group"].astype(str), rows["rate"], color=colours)
    ax.axvline(FOUR_FIFTHS * best, color="#c33", ls="--", lw=1, label="4/5 of the best rate")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlim=(0, 1), xlabel=f"share {what}", ylabel="", title=f"{what.capitalize()} by {by}")
    legend_outside(ax)
    return fig


def contributions(explained: pd.DataFrame, rep_id: str = "", ax: Axes | None = None) -> Figure:
    """Points each KPI adds to a rep's score, and the points it leaves on the table.

    Parameters
    ----------
    explained : pandas.DataFrame
        The frame from `helpers.grading.explain_score` (`points`, `lost`).
    rep_id : str, default ""
        The rep, for the title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    frame = explained[["points", "lost"]].iloc[::-1]
    fig, ax = figure_axes(ax, figsize=(7, 0.32 * len(frame) + 1.2))
    frame.plot.barh(stacked=True, ax=ax, color=["#357", "#ddd"])
    ax.set(xlabel="score points", ylabel="",
           title=f"Why {rep_id} scores {explained.attrs.get('score', np.nan):.1f}")
    legend_outside(ax)
    return fig


NINE_BOX_GROUPS: dict[str, str] = {"grow": "#8c6", "develop": "#fd8", "act": "#f98"}
"""The 9-box chart's colours: grow (high on both axes together), develop, act."""


def nine_box_chart(box_table: pd.DataFrame, ax: Axes | None = None, *,
                   names: int = 3) -> Figure:
    """The 9-box as a 3 x 3 grid: performance across, potential up; each box's name, how
    many reps sit in it and the first few of them (highest score first).

    Parameters
    ----------
    box_table : pandas.DataFrame
        The frame from `helpers.grading.development.nine_box` (`performance`,
        `potential`, `box`, `score`; `name` when it has names, else the rep ids show).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.
    names : int, default 3
        Most names written in a box (then "+ N more").

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    from matplotlib.patches import Patch, Rectangle

    from ..grading.development import BOXES, GRADES

    fig, ax = figure_axes(ax, figsize=(8, 6))
    table = box_table.assign(
        _who=(box_table["name"].astype(object).fillna(pd.Series(box_table.index,
                                                                index=box_table.index))
              if "name" in box_table else pd.Series(box_table.index, index=box_table.index)),
        _id=box_table.index.astype(str))
    table = table.sort_values(["score", "_id"], ascending=[False, True])
    groups = {key: list(frame["_who"].astype(str))
              for key, frame in table.groupby([table["performance"].astype(str),
                                               table["potential"].astype(str)])}
    colour = list(NINE_BOX_GROUPS.values())
    for i, perf in enumerate(GRADES):
        for j, pot in enumerate(GRADES):
            group = 0 if i + j >= 3 else (1 if i + j == 2 else 2)
            ax.add_patch(Rectangle((i, j), 1, 1, facecolor=colour[group], edgecolor="white",
                                   lw=3))
            who = groups.get((perf, pot), [])
            listed = who[:names] + ([f"+ {len(who) - names} more"] if len(who) > names else [])
            ax.text(i + 0.05, j + 0.93, BOXES[(perf, pot)][0], va="top", fontsize=10,
                    fontweight="bold")
            ax.text(i + 0.95, j + 0.93, f"{len(who)}", va="top", ha="right", fontsize=10)
            ax.text(i + 0.05, j + 0.72, "\n".join(listed), va="top", fontsize=7.5)
    ax.set(xlim=(0, 3), ylim=(0, 3), xticks=[0.5, 1.5, 2.5], yticks=[0.5, 1.5, 2.5],
           xticklabels=GRADES, yticklabels=GRADES, xlabel="performance (score terciles)",
           ylabel="potential", title=f"9-box: {len(box_table)} reps")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    legend_outside(ax, [Patch(facecolor=c) for c in colour], list(NINE_BOX_GROUPS),
                   title="outlook")
    return fig
