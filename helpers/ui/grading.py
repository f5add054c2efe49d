"""Panel for notebook 02 (levels): weight sliders with presets, method choices, live levels.

Thin on purpose: read the widgets, call `helpers.grading.grade`, redraw the counts and
the score strip. The numbers the notebook records come from its parameters cell, not
from here, so a run is reproducible; the panel is for trying things out.
"""

from __future__ import annotations

from html import escape

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from ..grading import DIRECTIONS, METHODS, PRESETS, GradingError, grade
from ..plots import grading as charts
from .scenarios import ScenarioBar

CUSTOM = "custom"


class GradingPanel(w.VBox):
    """Sliders for the weights (rescaled to sum to 1), scale and cut-line rule, live result."""

    def __init__(self, kpis: pd.DataFrame, current: pd.Series | None = None,
                 shares=(0.1, 0.2, 0.4, 0.2, 0.1), preset: str = "balanced"):
        self.kpis, self.current, self.shares = kpis, current, tuple(shares)
        self.result = None
        self._quiet = False
        names = [k for k in DIRECTIONS if k in kpis.columns]
        self.preset = w.Dropdown(options=[*PRESETS, CUSTOM], value=preset,
                                 description="Preset")
        self.sliders = {k: w.FloatSlider(value=PRESETS[preset].get(k, 0.0), min=0, max=0.6,
                                         step=0.05, description=k.replace("_", " "),
                                         continuous_update=False, readout_format=".2f",
                                         style={"description_width": "120px"})
                        for k in names}
        self.method = w.Dropdown(options=METHODS, value="percentile", description="Scale")
        self.rule = w.Dropdown(options=["quantile", "jenks", "kmeans", "gmm"],
                               value="quantile", description="Cut lines")
        self.margin = w.FloatSlider(value=0.0, min=0, max=10, step=0.5, description="Margin",
                                    continuous_update=False)
        self.status = w.HTML()
        self.out = w.Output()
        self.preset.observe(self._on_preset, "value")
        for control in (*self.sliders.values(), self.method, self.rule, self.margin):
            control.observe(self._on_change, "value")
        self.rule.add_class("key-control")  # what the browser tests turn
        self.status.add_class("key-result")
        self.scenarios = ScenarioBar("grading", {
            "preset": self.preset, **{f"weight_{k}": s for k, s in self.sliders.items()},
            "method": self.method, "rule": self.rule, "margin": self.margin})
        left = w.VBox([self.preset, *self.sliders.values()])
        right = w.VBox([self.method, self.rule, self.margin, self.status])
        super().__init__([self.scenarios, w.HBox([left, right]), self.out])
        self.redraw()

    def weights(self) -> dict[str, float]:
        """Slider values rescaled to sum to 1 (all zero means equal weights)."""
        raw = {k: s.value for k, s in self.sliders.items()}
        total = sum(raw.values())
        return {k: (v / total if total else 1 / len(raw)) for k, v in raw.items()}

    def _on_preset(self, change) -> None:
        if self._quiet or change["new"] == CUSTOM:
            return
        self._quiet = True
        for k, slider in self.sliders.items():
            slider.value = PRESETS[change["new"]].get(k, 0.0)
        self._quiet = False
        self.redraw()

    def _on_change(self, _change) -> None:
        if self._quiet:
            return
        self._quiet = True
        self.preset.value = CUSTOM
        self._quiet = False
        self.redraw()

    def redraw(self) -> None:
        try:
            self.result = grade(self.kpis, self.weights(), method=self.method.value,
                                threshold_method=self.rule.value, shares=self.shares,
                                current=self.current, hysteresis=self.margin.value)
        except GradingError as exc:
            self.status.value = f"<span style='color:#c33'>{exc}</span>"
            return
        t = self.result.thresholds
        counts = ", ".join(f"{lvl} {n}" for lvl, n in t.counts.items())
        note = f"<br><span style='color:#b35900'>{escape(t.note)}</span>" if t.note else ""
        self.status.value = (f"<b>Reps per level:</b> {counts}<br>"
                             f"<b>Cut lines:</b> {', '.join(f'{c:.1f}' for c in t.cutoffs)}"
                             f"<br><b>Fit (GVF):</b> {t.gvf:.2f}{note}")
        with self.out:
            self.out.clear_output(wait=True)
            fig = charts.score_strip(self.result.scores, t, self.result.assigned["proposed"])
            display(fig)
            plt.close(fig)
