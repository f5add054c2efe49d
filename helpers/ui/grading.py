"""Panel for notebook 02 (levels): weight sliders with presets, method choices, live levels.

Thin on purpose: read the widgets, call `helpers.grading.grade`, redraw the counts and
the score strip. Given level standards, the rule defaults to them and the data-driven
rules are listed as calibration aids ("Aid: natural breaks", ...). The numbers the
notebook records come from its parameters cell, not from here, so a run is reproducible;
the panel is for trying things out.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import ipywidgets as w
import pandas as pd

from ..errors import GradingError
from ..formatting import fmt
from ..glossary import GLOSSARY, label, term
from ..grading import (
    AIDS,
    CUSTOM,
    DIRECTIONS,
    METHODS,
    PRESETS,
    RULE_LABELS,
    effective_weights,
    grade,
    preset_weights,
)
from ..plots import grading as charts
from .base import Panel, control_grid, share_labels, show_shares
from .cards import Figure, KeyFigures
from .downloads import Downloads
from .scenarios import ScenarioComparison

SCALES = {"percentile": "rank among peers", "zscore": "distance from average",
          "minmax": "lowest to highest", "robust": "robust (median based)"}


class GradingPanel(Panel):
    """Sliders for the weights, scale and cut-line rule, live result.

    The sliders need not add up: beside each, `acting` shows the weight as it acts (the
    slider over the sum: 0.6 and 0.6 act as 50% and 50%). All at zero is refused in the
    error line, with the levels cleared, as the targets panel refuses a blend of zeros:
    equal weights would be a choice the sliders do not show.

    Parameters
    ----------
    kpis : pandas.DataFrame
        KPIs per rep (from `helpers.grading.kpis`); a slider per KPI column it has.
    current : pandas.Series, optional
        Rep -> current level, for the margin and the promotions.
    shares : sequence of float, default (0.1, 0.2, 0.4, 0.2, 0.1)
        Shares per level for the quantile rule.
    preset : str, default "balanced"
        The starting weights, a key of `PRESETS`.
    weights : Mapping[str, float], optional
        Weights set by hand (notebook 02's `kpi_weights`): the sliders start there and the
        preset reads "custom".
    standards : LevelStandards, optional
        Written level standards: the default rule, the others offered as aids.
    territory : pandas.Series, optional
        Rep -> territory potential, dividing the volume KPIs.
    lacks : dict, optional
        What the data lacks (`Dataset.lacks()`), to word the standards' notes.
    """

    def __init__(self, kpis: pd.DataFrame, current: pd.Series | None = None,
                 shares=(0.1, 0.2, 0.4, 0.2, 0.1), preset: str = "balanced",
                 weights: Mapping[str, float] | None = None, standards=None,
                 territory: pd.Series | None = None, lacks=None):
        super().__init__()
        self.kpis, self.current, self.shares = kpis, current, tuple(shares)
        self.standards, self.territory, self.lacks = standards, territory, lacks
        names = [k for k in DIRECTIONS if k in kpis.columns]
        start = preset_weights(preset, weights)
        self.preset = w.Dropdown(options=[*PRESETS, CUSTOM],
                                 value=CUSTOM if weights is not None else preset,
                                 description="Weights preset",
                                 style={"description_width": "110px"})
        self.sliders = {k: w.FloatSlider(value=start.get(k, 0.0), min=0, max=0.6,
                                         step=0.05, description=label(k),
                                         continuous_update=False, readout_format=".0%",
                                         style={"description_width": "130px"},
                                         layout={"width": "340px"})
                        for k in names}
        self.acting = share_labels(names)
        self.method = w.Dropdown(options=[(SCALES.get(m, m), m) for m in METHODS],
                                 value="percentile", description="Score scale",
                                 tooltip=GLOSSARY["score scale"])
        rules = (["standards"] if standards is not None else []) + sorted(
            AIDS, key=lambda r: r != "quantile")  # without standards: forced shares, as before
        self.rule = w.Dropdown(options=[(RULE_LABELS[r], r) for r in rules],
                               value=rules[0], description="Levels by",
                               tooltip=GLOSSARY["level rule"])
        self.margin = w.FloatSlider(value=0.0, min=0, max=10, step=0.5, description="Margin",
                                    continuous_update=False, tooltip=GLOSSARY["margin"])
        self.cards = KeyFigures()  # the first grading (the page's settings) is the baseline
        self.comparison = ScenarioComparison(self)  # A vs B, once the bar exists
        self.downloads = Downloads(lambda: None if self.result is None else {
            "Levels": self.result.assigned.reset_index()}, "levels")
        self.rule.add_class("key-control")  # what the browser tests turn
        self.status.add_class("key-result")
        sliders = [w.HBox([s, self.acting[k]]) for k, s in self.sliders.items()]
        self.assemble([control_grid([self.preset, self.method, self.rule, self.margin,
                                     *sliders], "430px"),
                       w.HTML("<i style='font-size:12px'>Each weight is followed by the share "
                              "it acts with: the weights need not add up.</i>"),
                       self.cards,
                       w.HBox([self.downloads, self.comparison],
                              layout={"flex_flow": "row wrap", "grid_gap": "0 24px"}),
                       self.status, self.out], {
            "preset": self.preset, **{f"weight_{k}": s for k, s in self.sliders.items()},
            "method": self.method, "rule": self.rule, "margin": self.margin}, "grading")
        self.comparison.refresh()  # the bar exists now: offer its scenarios

    def weights(self) -> dict[str, float]:
        """The weights as they act (`effective_weights` of the sliders), also shown beside
        each slider ("–" while every slider is at zero).

        Returns
        -------
        dict of str to float
            KPI name -> weight, summing to 1.

        Raises
        ------
        GradingError
            When every slider is at zero (shown in the error line).
        """
        try:
            acting = effective_weights({k: s.value for k, s in self.sliders.items()})
        except GradingError:
            show_shares(self.acting, None)
            raise
        show_shares(self.acting, acting)
        return acting.to_dict()

    def changed(self, change) -> None:
        """A preset sets the weight sliders; moving one makes the preset "custom".

        Parameters
        ----------
        change : dict
            The traitlets change (`owner`, `new`, ...).
        """
        if change["owner"] is self.preset:
            if change["new"] == CUSTOM:
                return
            with self.quiet():
                for k, slider in self.sliders.items():
                    slider.value = PRESETS[change["new"]].get(k, 0.0)
        elif self.preset.value != CUSTOM and change["owner"] in self.sliders.values():
            with self.quiet():
                self.preset.value = CUSTOM
        self.redraw()

    def compute(self):
        """Grade with the weights, scale, cut-line rule and margin the controls hold.

        Returns
        -------
        Grading
            The result of `helpers.grading.grade`.

        Raises
        ------
        GradingError
            When `grade` refuses the settings (shown in the error line).
        """
        return grade(self.kpis, self.weights(), method=self.method.value,
                     threshold_method=self.rule.value, shares=self.shares,
                     current=self.current, hysteresis=self.margin.value,
                     standards=self.standards, territory=self.territory, lacks=self.lacks)

    def key_figures(self, result) -> list[Figure]:
        """The grading's key figures: reps at the top two levels, reps changing level (when
        current levels are known) and the fit of the level lines.

        Parameters
        ----------
        result : Grading
            What `compute` returned.

        Returns
        -------
        list of Figure
            The figures, for the cards.
        """
        t = result.thresholds
        levels = list(t.counts.index)
        top = levels[-2:] if len(levels) > 1 else levels
        figures = [Figure(f"Reps at {top[0]} or above" if len(top) > 1 else f"Reps at {top[0]}",
                          float(t.counts.loc[top].sum()), "count"),
                   Figure("Fit of the level lines", float(t.gvf), "number", "fit", "up")]
        if "change" in result.assigned:
            moved = result.assigned["change"].isin(["promotion", "demotion"]).sum()
            figures.insert(1, Figure("Reps changing level", float(moved), "count"))
        return figures

    def draw(self, result) -> None:
        """Say the reps per level, cut lines and fit; draw the score strip.

        Parameters
        ----------
        result : Grading
            What `compute` returned.
        """
        self.downloads.clear()  # links of earlier settings would hand over other levels
        t = result.thresholds
        counts = ", ".join(f"{lvl} {n}" for lvl, n in t.counts.items())
        notes = [t.note, *result.notes] if t.note else list(result.notes)
        note = "".join(f"<br><span style='color:#b35900'>{escape(n)}</span>" for n in notes)
        lines = "Minimum scores" if t.method == "standards" else "Cut lines"
        moved = ""
        if "change" in result.assigned:
            change = result.assigned["change"]
            n = int(change.isin(["promotion", "demotion"]).sum())
            moved = f"<br><b>Change level:</b> {n} of {len(change)} reps"
        self.say(f"<b>Reps per level:</b> {counts}<br>"
                 f"<b>{lines}:</b> {', '.join(f'{c:.1f}' for c in t.cutoffs)}"
                 f"<br><b>{term('fit', 'Fit')}:</b> {fmt(t.gvf, digits=2)}{moved}{note}")
        self.cards.show(self.key_figures(result))
        self.show(self.out, charts.score_strip(result.scores, t, result.assigned["proposed"]))
