"""`PlanOverview`: the targets panel's two charts kept in one figure and updated in place.

It is a widget-speed cache, not a chart function, so it lives with the panels: the charts
themselves (`helpers.plots.targets.targets_by_region` and `phasing`, composed by
`plan_overview`) draw a fresh figure. This draws the same two views with the same labels
(`_compared`, `_actual_label`, `_money` are shared with them) and then moves only what a
control change moves (benchmarks/bench_widgets.py measures it against a fresh figure).
"""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.image  # noqa: F401  (mpl.image.imsave)
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..plots import legend_outside
from ..plots.targets import MONTHS, _actual_label, _compared, _money

LEFT, RIGHT = 0.08, 0.99  # the figure's margins (fractions of its width)
Y_LABELS = 0.09  # room left of the right chart for its y tick labels and label
PAD = 0.01  # between a legend and what follows it


class PlanOverview:
    """The widget panel's two charts in one figure that is built once and then updated in
    place: a control change only moves bar heights, labels and y-limits, so nothing is
    created, laid out or styled again (no pyplot, no seaborn, no automatic layout pass).
    `png()` renders it once, at the figure's dpi, for the panel to show as an image.

    Parameters
    ----------
    figsize : tuple of float, default (12, 3.6)
        The figure size, in inches.
    """

    def __init__(self, figsize: tuple[float, float] = (12, 3.6)):
        self.fig = Figure(figsize=figsize, layout="none")
        FigureCanvasAgg(self.fig)
        self.left, self.right = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": (2, 3)})
        self.fig.subplots_adjust(left=LEFT, right=RIGHT, bottom=0.12, top=0.9, wspace=0.22)
        self._left_key = self._right_key = None
        self._background = None  # the pixels no control moves, copied after a rebuild

    def update(self, summary: pd.DataFrame, phased: pd.DataFrame, history: pd.DataFrame,
               year: int, measure: str = "revenue") -> Figure:
        """Move the two charts to a new plan, rebuilding a chart only when its shape changed.

        Parameters
        ----------
        summary : pandas.DataFrame
            `TargetPlan.summary` without the total row.
        phased : pandas.DataFrame
            The phased targets (`region`, `target`, and `week_start`, `month` or `quarter`).
        history : pandas.DataFrame
            The rep x month history, for last year's actuals.
        year : int
            The plan year.
        measure : str, default "revenue"
            The measure phased.

        Returns
        -------
        matplotlib.figure.Figure
            The same figure, updated.
        """
        self._update_left(summary)
        self._update_right(phased, history, year, measure)
        if self._background is None:  # a chart was rebuilt: its legend may be wider
            self._fit_legends()
        return self.fig

    def _fit_legends(self) -> None:
        """Make room beside each chart for its legend (`legend_outside`), measured: this
        figure places its axes itself, so no layout pass runs on a control change.
        """
        renderer = self.fig.canvas.get_renderer()

        def width(ax) -> float:
            legend = ax.get_legend()
            return 0.0 if legend is None else (legend.get_window_extent(renderer).width
                                               / self.fig.bbox.width + PAD)

        right = RIGHT - width(self.right)
        gap = Y_LABELS + width(self.left)
        self.fig.subplots_adjust(right=right, wspace=2 * gap / (right - LEFT - gap))

    def png(self) -> bytes:
        """Render the figure as PNG, at its dpi: the parts no control moves (backgrounds,
        x axes, titles) are drawn once after a rebuild and copied back; only the y axes,
        bars, notes, lines and spines are drawn again, in the order a full draw
        uses, so the picture is the one a full draw gives (tests compare the pixels).

        Returns
        -------
        bytes
            The PNG image.
        """
        canvas = self.fig.canvas
        if self._background is None:
            moving = [a for ax in self.fig.axes for a in _moving(ax)]
            for artist in moving:  # a plain draw skips animated artists: the background
                artist.set_animated(True)
            try:
                canvas.draw()
            finally:
                for artist in moving:
                    artist.set_animated(False)
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for ax in self.fig.axes:
            ax._unstale_viewLim()  # as Axes.draw does first
            for artist in _moving(ax):
                artist.draw(renderer)
        buffer = io.BytesIO()
        # what savefig's print_png writes, without drawing the figure again
        mpl.image.imsave(buffer, canvas.buffer_rgba(), format="png", dpi=self.fig.dpi,
                         pil_kwargs={"compress_level": 1})
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
            legend_outside(ax)
            _axis_style(ax)
            self._left_key, self._background = key, None
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
            self._right_key, self._background = key, None
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
        ax.set_ylim(0, _top([top]) * 1.06)  # the legend is beside the chart, not on it

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
        legend_outside(ax, handles)
        ax.set(xlabel="", ylabel=measure,
               title=f"{year} {measure} target by {period.replace('_start', '')}")
        _axis_style(ax)


def _moving(ax) -> list:
    """What a control change can move in `ax`, in the order `Axes.draw` draws it: every
    visible child from the first one that is not the x axis on (the y axis's limits follow
    the data; with the axis above the bars the x axis is drawn over them, so it is redrawn
    too), except the titles above the axes and the legend beside them (`legend_outside`),
    where nothing that moves reaches.
    """
    still = {ax.title, ax._left_title, ax._right_title, ax.get_legend()}
    drawn = sorted((a for a in ax.get_children() if a.get_visible() and a is not ax.patch),
                   key=lambda a: a.get_zorder())  # stable, as Axes.draw sorts
    start = next(i for i, a in enumerate(drawn) if a is not ax.xaxis and a not in still)
    return [a for a in drawn[start:] if a not in still]


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
