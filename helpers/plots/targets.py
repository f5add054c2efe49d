"""Charts for notebook 01 (targets): one function a chart, each returns the Figure (drawn
into `ax` when given, see `helpers.plots`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from . import figure_axes, legend_outside

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _money(ax, axis: str = "y") -> None:
    def fmt(x, _):
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(x) >= size:
                return f"{x / size:,.1f}{suffix}"
        return f"{x:,.0f}"
    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(fmt))


def history_trend(history: pd.DataFrame, measure: str = "revenue",
ax: Axes | None = None) -> Figure:
    """Company total per month, one line a year: growth is the gap, season the shape.

    Parameters
    ----------
    history : pandas.DataFrame
        The rep x month history (`month` and `measure`).
    measure : str, default "revenue"
        The column to total.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    totals = history.groupby("month")[measure].sum()
    table = pd.DataFrame({"year": totals.index.year, "m": totals.index.month,
                          measure: totals.to_numpy()})
    fig, ax = figure_axes(ax)
    sns.lineplot(table, x="m", y=measure, hue="year", marker="o", palette="crest", ax=ax)
    ax.set(xticks=range(1, 13), xticklabels=MONTHS, xlabel="", ylabel=measure,
           title=f"Company {measure} by month, one line a year")
    _money(ax)
    legend_outside(ax)
    return fig


def seasonality_heatmap(season: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Season index by group × month (1.0 = an average month).

    Parameters
    ----------
    season : pandas.DataFrame
        Season index, one row a group and twelve month columns.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax, figsize=(8, 0.5 * len(season) + 1.2))
    sns.heatmap(season.set_axis(MONTHS, axis=1), annot=True, fmt=".2f", cmap="RdBu_r",
                center=1.0, cbar=False, ax=ax)
    ax.set(xlabel="", ylabel="", title="Season index (1.00 = an average month)")
    return fig


def history_by_region(ds, measure: str = "revenue", ax: Axes | None = None) -> Figure:
    """Annual total per region and year: who grows, who carries the company.

    Parameters
    ----------
    ds : Dataset
        The loaded data (history and roster).
    measure : str, default "revenue"
        The column to total.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    from ..targets import year_totals

    frame = ds.history.merge(ds.roster[["rep_id", "region"]], on="rep_id")
    table = (frame.groupby(["region", frame["month"].dt.year.rename("year")])[measure].sum()
             .reset_index())
    labels = year_totals(ds.history, measure)["label"]  # "2026 (Jan–Jul, 7 months)"
    table["year"] = table["year"].map(labels).astype(str)
    regions = table["region"].nunique()
    fig, ax = figure_axes(ax)
    sns.barplot(table, x="region", y=measure, hue="year", palette="crest", ax=ax)
    title = f"{measure.capitalize()} by region and year (actuals)"
    ax.set(xlabel="", ylabel=measure,
           title=title if regions > 1 else f"{title}: one region")
    _money(ax)
    legend_outside(ax)
    return fig


def targets_by_region(summary: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Next year's target against last year's actual, per region (from TargetPlan.summary).

    Parameters
    ----------
    summary : pandas.DataFrame
        `TargetPlan.summary`, one row a region (`last_year`, `target`, `growth`, and
        `target_same_months` when last year is partial).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax)
    column, label, last_label = _compared(summary)
    x = np.arange(len(summary))
    ax.bar(x - 0.2, summary["last_year"], width=0.4, color="#9aa5b1", label=last_label)
    ax.bar(x + 0.2, summary[column], width=0.4, color="#2a6f97", label=label)
    for i, (growth, target) in enumerate(zip(summary["growth"], summary[column],
                                             strict=True)):
        ax.annotate(f"{growth:+.1%}", (i + 0.2, target), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, summary.index)
    title = "Target vs last year, by region" + ("" if len(summary) > 1 else " (one region)")
    ax.set(ylabel="revenue", title=title)
    legend_outside(ax)
    _money(ax)
    return fig


def phasing(phased: pd.DataFrame, history: pd.DataFrame, year: int,
            measure: str = "revenue", ax: Axes | None = None) -> Figure:
    """Company target per period (stacked by region) against last year's actuals.

    Parameters
    ----------
    phased : pandas.DataFrame
        Phased targets (`region`, `target`, and `week_start`, `month` or `quarter`).
    history : pandas.DataFrame
        The rep x month history, for last year's actuals.
    year : int
        The plan year.
    measure : str, default "revenue"
        The measure phased.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    fig, ax = figure_axes(ax)
    frame = phased[phased["measure"] == measure] if "measure" in phased else phased
    period = next(c for c in ("week_start", "month", "quarter") if c in frame)
    table = frame.groupby([period, "region"])["target"].sum().unstack("region")
    last = history[history["month"].dt.year == year - 1]
    if period == "week_start":
        labels = [f"{d:%d %b}" for d in table.index]
    elif period == "month":
        labels = MONTHS
        actual = last.groupby(last["month"].dt.month)[measure].sum()
    else:
        labels = [f"Q{q}" for q in table.index]
        actual = last.groupby(last["month"].dt.quarter)[measure].sum()
    x = np.arange(len(table))
    colors = sns.color_palette("deep", len(table.columns))
    if period == "week_start":  # 50+ weeks: one band a region draws far faster than bars
        handles = ax.stackplot(x, table.fillna(0).to_numpy().T, labels=table.columns,
                               colors=colors, step="mid")
    else:
        bottom, handles = np.zeros(len(table)), []
        for region, color in zip(table.columns, colors, strict=True):
            handles.append(ax.bar(x, table[region], width=0.8, bottom=bottom, label=region,
                                  color=color))
            bottom += table[region].to_numpy()
        handles += ax.plot(actual.index - 1, actual.to_numpy(), "k--", marker="o",
                           label=_actual_label(history, year, measure))
    every = 8 if period == "week_start" else 1
    ax.set_xticks(x[::every], labels[::every])
    legend_outside(ax, handles)  # regions, then last year, as the targets panel lists them
    ax.set(xlabel="", ylabel=measure,
           title=f"{year} {measure} target by {period.replace('_start', '')}")
    _money(ax)
    return fig


def plan_overview(summary: pd.DataFrame, phased: pd.DataFrame, history: pd.DataFrame,
                  year: int, measure: str = "revenue") -> Figure:
    """The two charts above side by side in one figure, as the targets panel shows them
    (the panel keeps its figure and updates it in place: `helpers.ui.overview`).

    Parameters
    ----------
    summary : pandas.DataFrame
        `TargetPlan.summary`, for `targets_by_region`.
    phased : pandas.DataFrame
        Phased targets, for `phasing`.
    history : pandas.DataFrame
        The rep x month history.
    year : int
        The plan year.
    measure : str, default "revenue"
        The measure phased.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure with the two charts.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6), layout="tight",
                                      gridspec_kw={"width_ratios": (2, 3)})
    targets_by_region(summary, ax=left)
    phasing(phased, history, year, measure, ax=right)
    return fig


def _compared(summary: pd.DataFrame) -> tuple[str, str, str]:
    """(target column, its label, last year's label): the same months when last year is
    partial (TargetPlan.summary adds `target_same_months`), else the full year.
    """
    if "target_same_months" in summary:
        return "target_same_months", "target, same months", "last year (same months)"
    return "target", "target", "last year"


def _actual_label(history: pd.DataFrame, year: int, measure: str) -> str:
    """"2026 actual", or "2026 (Jan–Jul, 7 months) actual" for a partial year."""
    from ..targets import year_totals

    table = year_totals(history, measure) if len(history) else None
    if table is None or year - 1 not in table.index:
        return f"{year - 1} actual (no history)"
    return f"{table.loc[year - 1, 'label']} actual"


def required_growth(audit: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Growth each target asks for against the rep's best year so far; above the line (red)
    is outside the rep's own track record.

    Parameters
    ----------
    audit : pandas.DataFrame
        Per rep: `required_growth`, `best_growth`, `not_achievable`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    frame = audit.dropna(subset=["required_growth", "best_growth"])
    fig, ax = figure_axes(ax)
    if frame.empty:
        ax.text(0.5, 0.5, "No rep has two full years of history and a full last year:\n"
                "no track record to compare the targets with", ha="center", va="center")
        ax.set(xticks=[], yticks=[], title="Each rep's target against their own record")
        return fig
    for flagged, color, label in ((False, "#2a6f97", "within own track record"),
                                  (True, "#c0392b", "beyond best year so far")):
        rows = frame[frame["not_achievable"] == flagged]
        ax.scatter(rows["best_growth"], rows["required_growth"], s=18, color=color,
                   alpha=0.8, label=f"{label} ({len(rows)})")
    low = min(frame["best_growth"].min(), frame["required_growth"].min(), 0)
    high = max(frame["best_growth"].max(), frame["required_growth"].max())
    ax.plot([low, high], [low, high], color="k", lw=1, ls="--")
    ax.axhline(0, color="#9aa5b1", lw=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="best year-on-year growth so far", ylabel="growth the target asks for",
           title="Each rep's target against their own record")
    legend_outside(ax)
    return fig


def attainment(result: pd.DataFrame, band: tuple[float, float] = (0.6, 0.7),
               ax: Axes | None = None) -> Figure:
    """Expected share of reps hitting target per group, with the 10–90% range of scenarios.

    Parameters
    ----------
    result : pandas.DataFrame
        Expected attainment per group (`group`, `level`, `expected_share`, `p10`, `p90`).
    band : tuple of float, default (0.6, 0.7)
        The target band of the share of reps at 100 %+, shaded.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    frame = result[result["level"] != "team"].iloc[::-1]
    fig, ax = figure_axes(ax, figsize=(8, 0.4 * len(frame) + 1.2))
    ax.axvspan(*band, color="#2ecc71", alpha=0.15, label="practitioners' target band")
    y = np.arange(len(frame))
    ax.errorbar(frame["expected_share"], y, xerr=[frame["expected_share"] - frame["p10"],
                                                  frame["p90"] - frame["expected_share"]],
                fmt="o", color="#2a6f97", capsize=3)
    ax.set(yticks=y, yticklabels=frame["group"], xlim=(0, 1), xlabel="share of reps at 100%+",
           title="Expected attainment (10–90% of scenarios)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    legend_outside(ax)
    return fig


def pacing_chart(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Each rep's attainment to date against the odds of reaching target, flags in red.

    Reps right of 100% are ahead of their phased target; those low on the chart are
    unlikely to reach the year's. Without a probability (`pace` could not model the months
    left) the pace is shown instead.

    Parameters
    ----------
    table : pandas.DataFrame
        A `helpers.targets.pacing.pace` table (attainment_to_date, probability, pace,
        flag).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).
    """
    rows = table[np.isfinite(table["attainment_to_date"].to_numpy(dtype=float))]
    odds = rows["chance_of_target"].notna().any()
    y = rows["chance_of_target"] if odds else rows["pace"]
    fig, ax = figure_axes(ax)
    flag = rows["flag"].to_numpy(dtype=bool)
    ax.scatter(rows["attainment_to_date"][~flag], y[~flag], s=18, color="#2a6f97",
               alpha=0.8, label="on track")
    ax.scatter(rows["attainment_to_date"][flag], y[flag], s=24, color="#c0392b",
               label="off pace, time to act")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--", label="on pace (100% to date)")
    if odds:
        ax.axhline(0.5, color="grey", lw=0.8, ls=":", label="even odds")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    as_of = table.attrs.get("as_of")
    when = f" to {as_of:%b %Y}" if as_of is not None else ""
    ax.set(xlabel=f"attainment{when}",
           ylabel="probability of reaching target" if odds else "pace to year end",
           title="Who is on pace" + when)
    if odds:
        ax.set_ylim(-0.03, 1.03)
    legend_outside(ax)
    return fig


FLAG_COLORS = {"ok": "#2a6f97", "soft": "#e67e22", "unrealistic": "#c0392b",
               "not judged": "#9aa5b1"}
"""Colour of each commitment flag in `commitments_chart`."""


def commitments_chart(table: pd.DataFrame, by: str = "team", measure: str = "revenue",
                      ax: Axes | None = None) -> Figure:
    """Commitments against the top-down targets, by team (bars) or rep (points, flagged).

    By team, the top-down target of the reps who committed beside what they committed, the
    reps flagged soft or unrealistic counted above the bars; by rep, each commitment
    against its top-down target, coloured by its flag, the diagonal where they agree.

    Parameters
    ----------
    table : pandas.DataFrame
        `helpers.targets.compare_commitments` rows.
    by : {"team", "rep"}, default "team"
        Bars per team, or a point per rep.
    measure : str, default "revenue"
        The measure shown.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; None gives the chart a figure of its own.

    Returns
    -------
    matplotlib.figure.Figure
        The chart's figure (the one holding `ax` when given).

    Raises
    ------
    ValueError
        When `by` is neither "team" nor "rep".
    """
    from ..targets import commitment_gaps

    rows = table[(table["measure"] == measure) & table["top_down"].notna()]
    unit = "" if measure == "revenue" else f" ({measure.replace('_', ' ')})"
    if by == "rep":
        fig, ax = figure_axes(ax)
        rows = rows[rows["commitment"].notna()]
        for flag, color in FLAG_COLORS.items():
            some = rows[rows["flag"] == flag]
            if len(some):
                ax.scatter(some["top_down"], some["commitment"], s=18, color=color,
                           alpha=0.85, label=f"{flag} ({len(some)})")
        if len(rows):
            high = float(np.nanmax(rows[["top_down", "commitment"]].to_numpy()))
            ax.plot([0, high], [0, high], color="k", lw=1, ls="--", label="commitment = target")
        ax.set(xlabel="top-down target", ylabel="commitment",
               title=f"Each rep's commitment against the top-down target{unit}")
        _money(ax, "x")
        _money(ax)
        legend_outside(ax, title="flag")
        return fig
    if by != "team":
        raise ValueError(f"by: expected 'team' or 'rep', got {by!r}")
    gaps = commitment_gaps(rows, "team")
    fig, ax = figure_axes(ax, figsize=(8, 0.45 * len(gaps) + 1.4))
    y = np.arange(len(gaps))[::-1]
    ax.barh(y + 0.2, gaps["top_down_committed"], height=0.4, color="#9aa5b1",
            label="top-down target (reps who committed)")
    ax.barh(y - 0.2, gaps["commitment"], height=0.4, color="#2a6f97", label="commitment")
    for yi, (soft, unreal, end) in zip(y, gaps[["soft", "unrealistic", "commitment"]]
                                       .to_numpy(), strict=True):
        marks = ", ".join(f"{n:.0f} {w}" for n, w in ((soft, "soft"), (unreal, "unrealistic"))
                          if n)
        if marks:
            ax.annotate(marks, (end, yi - 0.2), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=8, color="#c0392b")
    ax.set_yticks(y, gaps["team"])
    ax.set(xlabel=measure.replace("_", " "), ylabel="",
           title=f"Commitments against the top-down targets, by team{unit}")
    ax.set_xlim(0, float(np.nanmax(gaps[["top_down_committed", "commitment"]].to_numpy(),
                                   initial=0)) * 1.25 or 1)
    _money(ax, "x")
    legend_outside(ax)
    return fig
