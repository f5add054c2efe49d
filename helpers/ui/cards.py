"""Key-figure cards: the few numbers a page is about, each with its change against the baseline.

A panel builds a `KeyFigures` once and calls `show` after each redraw with the `Figure`s of
what it shows; the first figures shown (the page's own settings: the notebook's parameters)
are the baseline unless the panel gives one. Numbers are formatted by `helpers.formatting.fmt`
(money in the session's currency), labels carry the glossary's tooltip. Styles are inline,
so the cards look the same in JupyterLab and in the app. Importing this builds no widget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

import ipywidgets as w

from ..formatting import fmt
from ..glossary import term

CARD = ("display:inline-block; vertical-align:top; min-width:170px; margin:0 10px 8px 0; "
        "padding:8px 14px; border:1px solid #d6dde4; border-radius:8px; background:#fff; "
        "font-family:var(--jp-ui-font-family, sans-serif)")
COLOURS = {"better": "#1a7f37", "worse": "#b3261e", "same": "#6b7c8c"}


@dataclass(frozen=True)
class Figure:
    """One key figure.

    Parameters
    ----------
    label : str
        The plain label ("Expected cost").
    value : float
        The figure now (None or NaN: "n/a").
    kind : str, default "money"
        How it is formatted (`helpers.formatting.KINDS`).
    term : str, optional
        The glossary term its label explains on hover (default: none).
    better : {"up", "down", None}, default None
        Which way is good news, to colour the change; None leaves it grey.
    group : str, optional
        The row it is shown in, under this title (e.g. a plan's name), so groups stand
        side by side; it is part of the figure's name against the baseline.
    """

    label: str
    value: float | None
    kind: str = "money"
    term: str | None = None
    better: str | None = None
    group: str | None = None


def change_text(value: float | None, baseline: float | None, kind: str,
                versus: str = "baseline") -> tuple[str, str]:
    """The change of `value` against `baseline` in words, and whether it is up or down.

    Percents change by points ("+1.2 pts"); money, counts and numbers by their own unit and
    by a percent of the baseline ("+$1.2m (+2.1%)").

    Parameters
    ----------
    value : float or None
        The figure now.
    baseline : float or None
        The baseline's figure.
    kind : str
        The figure's kind (`helpers.formatting.KINDS`).
    versus : str, default "baseline"
        What the change is against, in the words ("vs baseline", "vs A").

    Returns
    -------
    tuple of (str, str)
        The words ("" when either is missing) and "up", "down" or "same".
    """
    if value is None or baseline is None or math.isnan(value) or math.isnan(baseline):
        return "", "same"
    delta = value - baseline
    if abs(delta) <= 1e-9 * max(1.0, abs(baseline)):
        return f"same as {versus}", "same"
    way = "up" if delta > 0 else "down"
    if kind == "percent":
        points = delta * 100
        return f"{'+' if points > 0 else '−'}{abs(points):.1f} pts vs {versus}", way
    text = fmt(delta, kind, compact=True, signed=True)
    if baseline:
        text += f" ({fmt(delta / abs(baseline), 'percent', signed=True)})"
    return f"{text} vs {versus}", way


def cards_html(figures: Iterable[Figure], baseline: Sequence[Figure] | None = None,
               versus: str = "baseline") -> str:
    """The cards' HTML: label (with its tooltip), value, and change against `baseline` (the
    figure of the same group and label there); one row per group, groups one under another.

    Parameters
    ----------
    figures : Iterable[Figure]
        The figures now.
    baseline : Sequence[Figure], optional
        The baseline's figures; None shows no change line.
    versus : str, default "baseline"
        What the baseline is called in the change line.

    Returns
    -------
    str
        A `<div class='key-figures'>` holding one `<div class='key-figure'>` per figure.
    """
    before = {(f.group, f.label): f.value for f in baseline or ()}
    rows: dict[str | None, list[str]] = {}
    for figure in figures:
        words, way = change_text(figure.value, before.get((figure.group, figure.label)),
                                 figure.kind, versus)
        good = (way != "same" and figure.better is not None
                and (way == "up") == (figure.better == "up"))
        colour = (COLOURS["same"] if way == "same" or figure.better is None
                  else COLOURS["better"] if good else COLOURS["worse"])
        name = term(figure.term, figure.label) if figure.term else escape(figure.label)
        rows.setdefault(figure.group, []).append(
            f"<div class='key-figure' style='{CARD}'>"
            f"<div style='font-size:12px; color:#4a5a6a'>{name}</div>"
            f"<div class='key-figure-value' style='font-size:22px; font-weight:600; "
            f"color:#1d2b36'>{escape(fmt(figure.value, figure.kind, compact=True))}</div>"
            f"<div class='key-figure-change' style='font-size:12px; color:{colour}'>"
            f"{escape(words) or '&nbsp;'}</div></div>")
    html = []
    for group, cards in rows.items():
        title = ("" if group is None else
                 f"<div style='display:inline-block; vertical-align:top; width:170px; "
                 f"padding:10px 8px 0 0; font-weight:600'>{escape(group)}</div>")
        html.append(f"<div class='key-figure-row'>{title}{''.join(cards)}</div>")
    return f"<div class='key-figures'>{''.join(html)}</div>"


class KeyFigures(w.HTML):
    """The page's key-figure cards; the first `show` (or `baseline`) is the baseline.

    Parameters
    ----------
    baseline : Sequence[Figure], optional
        The baseline's figures; None makes the first figures shown the baseline.
    """

    def __init__(self, baseline: Sequence[Figure] | None = None):
        super().__init__()
        self.baseline = list(baseline) if baseline is not None else None
        self.figures: list[Figure] = []
        self.add_class("key-figure-cards")

    def show(self, figures: Iterable[Figure]) -> None:
        """Show `figures`, each with its change against the baseline.

        Parameters
        ----------
        figures : Iterable[Figure]
            The figures now (the first call's are the baseline unless one was given).
        """
        self.figures = list(figures)
        if self.baseline is None:
            self.baseline = self.figures
        self.value = cards_html(self.figures, self.baseline)

    def reset_baseline(self) -> None:
        """Make the figures shown now the baseline."""
        self.baseline = list(self.figures)
        self.value = cards_html(self.figures, self.baseline)
