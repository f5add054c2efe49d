"""Charts, one function per chart, each returning a matplotlib Figure (one module a notebook)."""

from __future__ import annotations

import matplotlib as mpl
import seaborn as sns


def style() -> None:
    """One look for every chart: small enough to keep committed notebooks light."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    mpl.rcParams.update({"figure.figsize": (8, 3.6), "figure.dpi": 72, "savefig.dpi": 72,
                         "axes.titleweight": "bold", "figure.autolayout": True})
