"""Charts for notebook 01 (targets): one function a chart, each returns the Figure."""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _money(ax, axis: str = "y") -> None:
    def fmt(x, _):
        for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
            if abs(x) >= size:
                return f"{x / size:,.1f}{suffix}"
        return f"{x:,.0f}"
    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(fmt))


def history_trend(history: pd.DataFrame, measure: str = "revenue") -> Figure:
    """Company total per month, one line a year: growth is the gap, season the shape."""
    totals = history.groupby("month")[measure].sum()
    table = pd.DataFrame({"year": totals.index.year, "m": totals.index.month,
                          measure: totals.to_numpy()})
    fig, ax = plt.subplots()
    sns.lineplot(table, x="m", y=measure, hue="year", marker="o", palette="crest", ax=ax)
    ax.set(xticks=range(1, 13), xticklabels=MONTHS, xlabel="", ylabel=measure,
           title=f"Company {measure} by month, one line a year")
    _money(ax)
    return fig


def seasonality_heatmap(season: pd.DataFrame) -> Figure:
    """Season index by group × month (1.0 = an average month)."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(season) + 1.2))
    sns.heatmap(season.set_axis(MONTHS, axis=1), annot=True, fmt=".2f", cmap="RdBu_r",
                center=1.0, cbar=False, ax=ax)
    ax.set(xlabel="", ylabel="", title="Season index (1.00 = an average month)")
    return fig


def history_by_region(ds, measure: str = "revenue") -> Figure:
    """Annual total per region and year: who grows, who carries the company."""
    from ..targets import year_totals

    frame = ds.history.merge(ds.roster[["rep_id", "region"]], on="rep_id")
    table = (frame.groupby(["region", frame["month"].dt.year.rename("year")])[measure].sum()
             .reset_index())
    labels = year_totals(ds.history, measure)["label"]  # "2026 (Jan–Jul, 7 months)"
    table["year"] = table["year"].map(labels).astype(str)
    regions = table["region"].nunique()
    fig, ax = plt.subplots()
    sns.barplot(table, x="region", y=measure, hue="year", palette="crest", ax=ax)
    title = f"{measure.capitalize()} by region and year (actuals)"
    ax.set(xlabel="", ylabel=measure,
           title=title if regions > 1 else f"{title}: one region")
    _money(ax)
    return fig


def targets_by_region(summary: pd.DataFrame) -> Figure:
    """Next year's target against last year's actual, per region (from TargetPlan.summary)."""
    fig, ax = plt.subplots()
    _region_bars(ax, summary)
    return fig


def phasing(phased: pd.DataFrame, history: pd.DataFrame, year: int,
            measure: str = "revenue") -> Figure:
    """Company target per period (stacked by region) against last year's actuals."""
    fig, ax = plt.subplots()
    _phase_bars(ax, phased, history, year, measure)
    return fig


def plan_overview(summary: pd.DataFrame, phased: pd.DataFrame, history: pd.DataFrame,
                  year: int) -> Figure:
    """Both charts above side by side in one light figure (see `PlanOverview`)."""
    return PlanOverview().update(summary, phased, history, year)


class PlanOverview:
    """The widget panel's two charts in one figure that is built once and then updated in
    place: a control change only moves bar heights, labels and y-limits, so nothing is
    created, laid out or styled again (no pyplot, no seaborn, no automatic layout pass).
    `png()` renders it once, at the figure's dpi, for the panel to show as an image."""

    def __init__(self, figsize: tuple[float, float] = (12, 3.6)):
        self.fig = Figure(figsize=figsize, layout="none")
        FigureCanvasAgg(self.fig)
        self.left, self.right = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": (2, 3)})
        self.fig.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.9, wspace=0.22)
        self._left_key = self._right_key = None
        self._actuals: dict = {}

    def update(self, summary: pd.DataFrame, phased: pd.DataFrame, history: pd.DataFrame,
               year: int, measure: str = "revenue") -> Figure:
        self._update_left(summary)
        self._update_right(phased, history, year, measure)
        return self.fig

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # savefig restores the figure's layout engine from rcParams afterwards; with the
        # style's figure.autolayout that would turn on tight layout (an extra draw) for
        # every later render of this reused figure
        with mpl.rc_context({"figure.autolayout": False}):
            self.fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    # ------------------------------------------------------------------ left: regions
    def _update_left(self, summary: pd.DataFrame) -> None:
        column, label, last_label = _compared(summary)
        ax, key = self.left, (tuple(summary.index), column)
        last, target = summary["last_year"].to_numpy(), summary[column].to_numpy()
        if key != self._left_key:
            ax.clear()
            x = np.arange(len(summary))
            self._last = ax.bar(x - 0.2, last, width=0.4, color="#9aa5b1", label=last_label)
            self._target = ax.bar(x + 0.2, target, width=0.4, color="#2a6f97", label=label)
            self._notes = [ax.annotate("", (i + 0.2, 0), ha="center", va="bottom", fontsize=9)
                           for i in range(len(summary))]
            ax.set_xticks(x, summary.index)
            ax.set(ylabel="revenue", title="Target vs last year, by region")
            ax.legend(loc="lower right", fontsize=8)
            _axis_style(ax)
            self._left_key = key
        for bars, values in ((self._last, last), (self._target, target)):
            for rect, value in zip(bars, values, strict=True):
                rect.set_height(value)
        for note, growth, value in zip(self._notes, summary["growth"], target, strict=True):
            note.set_text(f"{growth:+.1%}")
            note.xy = note.xyann = (note.xy[0], value)
        ax.set_ylim(0, _top(np.concatenate([last, target])) * 1.12)

    # ------------------------------------------------------------------ right: periods
    def _update_right(self, phased: pd.DataFrame, history: pd.DataFrame, year: int,
                      measure: str) -> None:
        ax = self.right
        frame = phased[phased["measure"] == measure] if "measure" in phased else phased
        period = next(c for c in ("week_start", "month", "quarter") if c in frame)
        table = _period_table(frame, period)
        values = table.fillna(0).to_numpy()
        key = (period, year, measure, tuple(table.index), tuple(table.columns))
        if key != self._right_key:
            ax.clear()
            self._stack = None
            self._draw_right(ax, table, period, history, year, measure)
            self._right_key = key
        top = values.sum(axis=1).max(initial=0)
        if period == "week_start":
            if self._stack is not None:
                for band in self._stack:
                    band.remove()
            self._stack = ax.stackplot(np.arange(len(table)), values.T, colors=self._colors,
                                       step="mid")
        else:
            bottom = np.zeros(len(table))
            for bars, column in zip(self._bars, values.T, strict=True):
                for rect, b, h in zip(bars, bottom, column, strict=True):
                    rect.set_y(b)
                    rect.set_height(h)
                bottom += column
            top = max(top, self._actual_top)
        ax.set_ylim(0, _top([top]) * 1.18)  # room for the legend on top

    def _draw_right(self, ax, table: pd.DataFrame, period: str, history: pd.DataFrame,
                    year: int, measure: str) -> None:
        x = np.arange(len(table))
        self._colors = sns.color_palette("deep", len(table.columns))
        handles = [Patch(color=c, label=region) for region, c in
                   zip(table.columns, self._colors, strict=True)]
        if period == "week_start":  # 50+ weeks: one band a region draws far faster than bars
            labels = [f"{d:%d %b}" for d in table.index]
            self._bars = []
        else:
            labels = MONTHS if period == "month" else [f"Q{q}" for q in table.index]
            zero = np.zeros(len(table))
            self._bars = [ax.bar(x, zero, width=0.8, color=c) for c in self._colors]
            actual = _last_year(history, year, measure, period)
            handles += ax.plot(actual.index - 1, actual.to_numpy(), "k--", marker="o",
                               label=_actual_label(history, year, measure))
            self._actual_top = float(actual.max()) if len(actual) else 0.0
        every = 8 if period == "week_start" else 1
        ax.set_xticks(x[::every], labels[::every])
        ax.set_xlim(-0.6, len(table) - 0.4)
        ax.legend(handles=handles, ncols=5, fontsize=8, loc="upper left")
        ax.set(xlabel="", ylabel=measure,
               title=f"{year} {measure} target by {period.replace('_start', '')}")
        _axis_style(ax)


def _axis_style(ax) -> None:
    ax.yaxis.set_major_locator(MaxNLocator(5))  # few y labels: text is most of a draw
    _money(ax)


def _top(values) -> float:
    top = float(np.nanmax(values)) if len(values) else 0.0
    return top if top > 0 else 1.0


def _period_table(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Target per period x region (what groupby().sum().unstack() gives, by bincount)."""
    p, periods = pd.factorize(frame[period], sort=True)
    r, regions = pd.factorize(frame["region"], sort=True)
    sums = np.bincount(p * len(regions) + r, weights=frame["target"].to_numpy(dtype=float),
                       minlength=len(periods) * len(regions))
    seen = np.bincount(p * len(regions) + r, minlength=len(periods) * len(regions)) > 0
    table = np.where(seen, sums, np.nan).reshape(len(periods), len(regions))
    return pd.DataFrame(table, index=pd.Index(periods, name=period),
                        columns=pd.Index(regions, name="region"))


def _last_year(history: pd.DataFrame, year: int, measure: str, period: str) -> pd.Series:
    last = history[history["month"].dt.year == year - 1]
    key = last["month"].dt.month if period == "month" else last["month"].dt.quarter
    return last.groupby(key)[measure].sum()


def _compared(summary: pd.DataFrame) -> tuple[str, str, str]:
    """(target column, its label, last year's label): the same months when last year is
    partial (TargetPlan.summary adds `target_same_months`), else the full year."""
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


def _region_bars(ax, summary: pd.DataFrame) -> None:
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
    ax.legend(loc="lower right", fontsize=8)
    _money(ax)


def _phase_bars(ax, phased: pd.DataFrame, history: pd.DataFrame, year: int,
                measure: str) -> None:
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
        ax.stackplot(x, table.fillna(0).to_numpy().T, labels=table.columns, colors=colors,
                     step="mid")
    else:
        bottom = np.zeros(len(table))
        for region, color in zip(table.columns, colors, strict=True):
            ax.bar(x, table[region], width=0.8, bottom=bottom, label=region, color=color)
            bottom += table[region].to_numpy()
        ax.plot(actual.index - 1, actual.to_numpy(), "k--", marker="o",
                label=_actual_label(history, year, measure))
    every = 8 if period == "week_start" else 1
    ax.set_xticks(x[::every], labels[::every])
    ax.legend(ncols=5, fontsize=8, loc="upper left")
    ax.set(xlabel="", ylabel=measure,
           title=f"{year} {measure} target by {period.replace('_start', '')}")
    _money(ax)


def required_growth(audit: pd.DataFrame) -> Figure:
    """Growth each target asks for against the rep's best year so far; above the line (red)
    is outside the rep's own track record."""
    frame = audit.dropna(subset=["required_growth", "best_growth"])
    fig, ax = plt.subplots()
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
    ax.legend(fontsize=8)
    return fig


def attainment(result: pd.DataFrame, band: tuple[float, float] = (0.6, 0.7)) -> Figure:
    """Expected share of reps hitting target per group, with the 10–90% range of scenarios."""
    frame = result[result["level"] != "team"].iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(frame) + 1.2))
    ax.axvspan(*band, color="#2ecc71", alpha=0.15, label="practitioners' target band")
    y = np.arange(len(frame))
    ax.errorbar(frame["expected_share"], y, xerr=[frame["expected_share"] - frame["p10"],
                                                  frame["p90"] - frame["expected_share"]],
                fmt="o", color="#2a6f97", capsize=3)
    ax.set(yticks=y, yticklabels=frame["group"], xlim=(0, 1), xlabel="share of reps at 100%+",
           title="Expected attainment (10–90% of scenarios)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="lower right", fontsize=8)
    return fig
