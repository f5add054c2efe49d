"""Charts, one function per chart, each returning a matplotlib Figure (one module a notebook).

Every chart function takes `ax=None`, as lifelines' plotting functions do: without it the
chart gets a figure of its own; with it the chart is drawn into `ax` and the figure that
holds `ax` is returned, so several charts compose into one figure. (The two charts of
small multiples, `incentives.payout_curves` and `incentives.metric_bars`, take a sequence
of axes, one a panel.) A chart's legend sits outside its axes (`legend_outside`), so it
never hides a bar, line or point (issue 15).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend

LEGEND_GAP = 0.02
"""Space between the axes and a legend beside it, in axes widths."""


def style() -> None:
    """One look for every chart: small enough to keep committed notebooks light."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update({"figure.figsize": (8, 3.6), "figure.dpi": 72, "savefig.dpi": 72,
                         "axes.titleweight": "bold", "figure.autolayout": True})


def figure_axes(ax: Axes | None = None, figsize: tuple[float, float] | None = None
                ) -> tuple[Figure, Axes]:
    """The figure holding `ax` and `ax`; without `ax`, a new figure (`figsize`, else the
    style's size, tight layout) and its one axes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        The axes to draw into.
    figsize : tuple of float, optional
        Size of a new figure, in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes.
    ax : matplotlib.axes.Axes
        The axes.
    """
    if ax is not None:
        return ax.get_figure(root=True), ax
    return plt.subplots(figsize=figsize, layout="tight")  # room for a legend beside it


def figure_axes_row(ax, n: int, figsize: tuple[float, float], **kw
                    ) -> tuple[Figure, list[Axes]]:
    """For small multiples: the figure holding the `n` axes in `ax`, or a new figure with a
    row of `n` axes, tight layout (`kw` goes to `plt.subplots`, e.g. sharey).

    Parameters
    ----------
    ax : sequence of matplotlib.axes.Axes or None
        The `n` axes to draw into (an array of axes works too).
    n : int
        Number of panels.
    figsize : tuple of float
        Size of a new figure, in inches.
    **kw
        Passed to `matplotlib.pyplot.subplots` for a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the axes.
    axes : list of matplotlib.axes.Axes
        The `n` axes.

    Raises
    ------
    ValueError
        When `ax` holds a number of axes other than `n`.
    """
    if ax is None:
        fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False, layout="tight", **kw)
        return fig, list(axes[0])
    axes = list(ax.flat) if hasattr(ax, "flat") else list(ax)
    if len(axes) != n:
        raise ValueError(f"ax: this chart draws {n} panels and needs {n} axes, "
                         f"got {len(axes)}")
    return axes[0].get_figure(root=True), axes


def legend_outside(ax: Axes, handles=None, labels=None, *, title: str | None = None,
                   ncols: int = 1, **kw) -> Legend | None:
    """Put `ax`'s legend to the right of the axes, top-aligned, where no bar, line or point
    is: a legend inside the axes hid bars on small charts (issue 15). The one place every
    chart's legend is made, so they all look and sit alike. A chart's own figure has the
    tight layout (`figure_axes`), which makes room for it; a caller's figure is the caller's
    to lay out (`helpers.ui.overview.PlanOverview` measures its legends).

    Without `handles` it keeps the legend `ax` has (seaborn's and pandas', with their title)
    or collects the labelled artists, as `Axes.legend` does.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes the legend belongs to.
    handles : sequence of matplotlib.artist.Artist, optional
        The legend's entries; None for the legend `ax` has, else its labelled artists.
    labels : sequence of str, optional
        Their labels; None for each handle's own label.
    title : str, optional
        The legend title; None keeps the title of the legend `ax` had.
    ncols : int, default 1
        Columns of entries.
    **kw
        Passed to `Axes.legend` (e.g. `reverse=True`).

    Returns
    -------
    matplotlib.legend.Legend or None
        The legend, or None when there is nothing to list (any old legend removed).
    """
    old = ax.get_legend()
    if handles is None and old is not None:
        handles, labels = old.legend_handles, [t.get_text() for t in old.get_texts()]
        title = old.get_title().get_text() or None if title is None else title
    elif handles is None:
        handles, labels = ax.get_legend_handles_labels()
    elif labels is None:
        labels = [h.get_label() for h in handles]
    if not len(handles):
        if old is not None:
            old.remove()
        return None
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1 + LEGEND_GAP, 1),
                     borderaxespad=0, frameon=False, fontsize=8, title=title,
                     title_fontsize=8, alignment="left", ncols=ncols, **kw)
