"""Charts, one function per chart, each returning a matplotlib Figure (one module a notebook).

Every chart function takes `ax=None`, as lifelines' plotting functions do: without it the
chart gets a figure of its own; with it the chart is drawn into `ax` and the figure that
holds `ax` is returned, so several charts compose into one figure. (The two charts of
small multiples, `incentives.payout_curves` and `incentives.metric_bars`, take a sequence
of axes, one a panel.)
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def style() -> None:
    """One look for every chart: small enough to keep committed notebooks light."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update({"figure.figsize": (8, 3.6), "figure.dpi": 72, "savefig.dpi": 72,
                         "axes.titleweight": "bold", "figure.autolayout": True})


def figure_axes(ax: Axes | None = None, figsize: tuple[float, float] | None = None
                ) -> tuple[Figure, Axes]:
    """The figure holding `ax` and `ax`; without `ax`, a new figure (`figsize`, else the
    style's size) and its one axes.

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
    return plt.subplots(figsize=figsize)


def figure_axes_row(ax, n: int, figsize: tuple[float, float], **kw
                    ) -> tuple[Figure, list[Axes]]:
    """For small multiples: the figure holding the `n` axes in `ax`, or a new figure with a
    row of `n` axes (`kw` goes to `plt.subplots`, e.g. sharey).

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
        fig, axes = plt.subplots(1, n, figsize=figsize, squeeze=False, **kw)
        return fig, list(axes[0])
    axes = list(ax.flat) if hasattr(ax, "flat") else list(ax)
    if len(axes) != n:
        raise ValueError(f"ax: this chart draws {n} panels and needs {n} axes, "
                         f"got {len(axes)}")
    return axes[0].get_figure(root=True), axes
