"""Widget panel for notebook 01: try a method, growth or ramp and see the plan at once.

Thin by design: read the widgets, call `helpers.targets.plan_targets`, redraw.
"""

from __future__ import annotations

from html import escape

import ipywidgets as w
from IPython.display import Image

from ..data import Dataset
from ..formatting import fmt
from ..glossary import GLOSSARY, label
from ..targets import (
    METHODS,
    PlanCache,
    attainment_draws,
    expected_attainment,
    fit_outlook,
    linear_ramp,
    missing_for,
    plan_targets,
    resolve_ramp,
    seasonality,
)
from .base import Panel, area, control_grid, share_labels, show_shares
from .cards import Figure, KeyFigures
from .downloads import Downloads
from .overview import PlanOverview
from .scenarios import ScenarioComparison

SLIDER = {"continuous_update": False, "style": {"description_width": "110px"},
          "layout": {"width": "350px"}}  # a dict, not a Layout: importing builds no widget
COMPANY = {"growth": "last year + growth", "weighted": "weighted past years",
           "trend": "trend of past years"}  # plain labels of the company-number rules
SPLITS = {"history": "past results", "potential": "territory potential",
          "capacity": "seat capacity", "equal": "equal shares", "blend": "a blend"}


class TargetsPanel(Panel):
    """Controls together at the top, then the key-figure cards (change against the page's own
    settings), the region table and two charts; `.plan` is the
    plan currently shown (None while the settings cannot give one: the error line says why).
    Beside each blend slider, `acting` shows the share it is mixed in with (the sliders
    need not add up: 0.6 and 0.6 mix 50% and 50%).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int, optional
        The plan year; None means `ds.plan_year`.
    growth : float, default 0.05
        Starting company growth.
    method : str, default "history"
        Starting split method (falls back to "history" when the data cannot give it).
    company_method : {"growth", "weighted", "trend"}, default "growth"
        Starting rule for the company number.
    over_assign : float, default 0.0
        Starting over-assignment of the reps' targets.
    ramp_months : int or "fitted", default "fitted"
        Starting ramp for new reps: "fitted" from the hires in history (`fit_ramp`; the
        default ramp when there are too few), or a straight line over this many months.
    grain : {"quarter", "month", "week"}, default "month"
        Starting phasing grain.
    seed : int, default 0
        Seed of the expected-attainment simulation behind the "reps expected at target" card.
    """

    def __init__(self, ds: Dataset, year: int | None = None, growth: float = 0.05,
                 method: str = "history", company_method: str = "growth",
                 over_assign: float = 0.0, ramp_months: int | str = "fitted",
                 grain: str = "month", seed: int = 0):
        super().__init__()
        self.ds, self.year, self.caption = ds, year, ""
        self.season = seasonality(ds, "revenue", by="region")  # the same for every setting
        self.cache = PlanCache(ds)  # run-rates, baselines, ...: what a control does not change
        self.company_method = w.Dropdown(options=[(COMPANY[m], m) for m in COMPANY],
                                         value=company_method, description="Company target",
                                         tooltip=GLOSSARY["company target"], **_plain(SLIDER))
        self.growth = w.FloatSlider(value=growth, min=-0.2, max=0.5, step=0.01,
                                    readout_format=".0%", description="Growth", **SLIDER)
        usable = [m for m in METHODS if not missing_for(ds, m)]  # offer what the data allows
        self.left_out = [f"{SPLITS.get(m, m)} is not offered: {missing_for(ds, m)}"
                         for m in METHODS if m not in usable]
        self.method = w.Dropdown(options=[(SPLITS.get(m, m), m) for m in (*usable, "blend")],
                                 value=method if method in (*usable, "blend") else "history",
                                 description="Split by", tooltip=GLOSSARY["split by"],
                                 **_plain(SLIDER))
        self.blend = {m: w.FloatSlider(value=1.0 if m == "history" else 0.0, min=0, max=1,
                                       step=0.05, description=f"Blend: {SPLITS.get(m, m)}",
                                       readout_format=".0%", **SLIDER)
                      for m in usable}
        self.acting = share_labels(self.blend)  # the share each blend weight acts with
        self.over_assign = w.FloatSlider(value=over_assign, min=0, max=0.3, step=0.01,
                                         readout_format=".0%", description="Over-assign",
                                         tooltip=GLOSSARY["over-assign"], **SLIDER)
        self.fitted = resolve_ramp("fitted", ds, year)  # once: the history does not change
        label = "fitted" if self.fitted.fitted else "default"
        self.ramp = w.Dropdown(  # the fitted ramp, or a straight line over 0..12 months
            options=[(f"{label}: full from month {self.fitted.months + 1}", "fitted"),
                     *((f"{n} months, straight", n) for n in range(13))],
            value=ramp_months, description="New-hire ramp", tooltip=GLOSSARY["ramp"],
            **_plain(SLIDER))
        self.grain = w.ToggleButtons(options=[("Quarter", "quarter"), ("Month", "month"),
                                              ("Week", "week")], value=grain,
                                     description="Phase to", tooltip=GLOSSARY["phase to"],
                                     style={"description_width": "100px",
                                            "button_width": "80px"})
        self.table, self.chart = area(), area()
        self.notes = w.HTML(layout={"flex": "1 1 300px", "min_width": "0"})
        self.notes.add_class("targets-notes")
        self.cards = KeyFigures()  # the first plan (the page's settings) is the baseline
        self.comparison = ScenarioComparison(self)  # A vs B, once the bar exists
        self.downloads = Downloads(self._sheets, f"targets_{year or ds.plan_year}")
        self.seed = seed
        self.overview = PlanOverview()  # one figure, updated in place on each change
        self.method.add_class("key-control")  # what the browser tests turn
        self.table.add_class("key-result")
        controls = {"company_method": self.company_method, "growth": self.growth,
                    "method": self.method, **{f"blend_{m}": s for m, s in self.blend.items()},
                    "over_assign": self.over_assign, "ramp_months": self.ramp,
                    "grain": self.grain}
        self.blend_rows = {m: w.HBox([s, self.acting[m]]) for m, s in self.blend.items()}
        shown = [self.company_method, self.growth, self.over_assign, self.method, self.ramp,
                 self.grain, *self.blend_rows.values()]
        self.assemble([control_grid(shown, "430px"), self.status, self.cards,
                       w.HBox([self.downloads, self.comparison],
                              layout={"flex_flow": "row wrap", "grid_gap": "0 24px"}),
                       w.HBox([self.table, self.notes],
                              layout={"flex_flow": "row wrap", "align_items": "flex-start",
                                      "grid_gap": "0 20px"}),
                       self.chart], controls, "targets")
        self.comparison.refresh()  # the bar exists now: offer its scenarios

    @property
    def plan(self):
        """The `TargetPlan` shown (None while the settings cannot give one)."""
        return self.result

    def compute(self):
        """Plan the targets with the settings the controls hold.

        Returns
        -------
        TargetPlan
            The result of `helpers.targets.plan_targets`.

        Raises
        ------
        TargetError
            When `plan_targets` refuses a setting (shown in the error line).
        """
        blending = self.method.value == "blend"
        for m, slider in self.blend.items():  # the blend's sliders show only for a blend
            slider.disabled = not blending
            self.blend_rows[m].layout.display = None if blending else "none"
        blend = {m: s.value for m, s in self.blend.items() if s.value > 0} if blending else None
        total = sum((blend or {}).values())  # plan_targets mixes in proportion: show it
        show_shares(self.acting, {m: v / total for m, v in blend.items()} if total else None,
                    "= –" if blending else "")
        return plan_targets(
            self.ds, self.year, growth=self.growth.value, method=self.method.value,
            company_method=self.company_method.value, blend=blend,
            over_assign=self.over_assign.value, ramp=self._ramp(),
            grain=self.grain.value, measures=("revenue",), season=self.season,
            cache=self.cache)

    def key_figures(self, plan, summary=None) -> list[Figure]:
        """The plan's key figures: company target, reps' targets, growth on last year and
        the share of reps expected at target (on the panel's seed).

        Parameters
        ----------
        plan : TargetPlan
            What `compute` returned.
        summary : pandas.DataFrame, optional
            `plan.summary()` when the caller has it (a redraw shows it too).

        Returns
        -------
        list of Figure
            The four figures, for the cards.
        """
        total = (plan.summary() if summary is None else summary).loc["total"]
        reps = plan.targets[plan.targets["measure"] == "revenue"]
        # the model and its draws do not move with the amounts: kept for the panel's data
        outlook = self.cache.get(("outlook", "revenue"),
                                 lambda: fit_outlook(self.ds.history, "revenue"))
        drawn = reps[reps["target"] > 0].reset_index(drop=True)
        draws = self.cache.get(("attainment draws", self.seed, tuple(drawn["rep_id"])),
                               lambda: attainment_draws(drawn, outlook, n=1000, seed=self.seed))
        at_target = expected_attainment(reps, self.ds.history, n=1000, seed=self.seed,
                                        outlook=outlook, draws=draws, by=())
        return [Figure("Company target", float(plan.totals["revenue"]), "money",
                       "company target"),
                Figure("Reps' targets", float(total["target"]), "money", "reps' targets"),
                Figure("Growth on last year", float(total["growth"]), "percent"),
                Figure("Reps expected at target", float(at_target["expected_share"].iloc[0]),
                       "percent", "expected at target")]

    def _sheets(self):
        """The plan shown, as the download's sheets (None while there is none)."""
        if self.plan is None:
            return None
        return {"Targets by rep": self.plan.targets,
                f"Targets by {self.grain.value}": self.plan.phased}

    def _ramp(self):
        value = self.ramp.value
        return self.fitted if value == "fitted" else linear_ramp(int(value))

    def draw(self, plan) -> None:
        """Show the region table with its caption and update the two charts.

        Parameters
        ----------
        plan : TargetPlan
            What `compute` returned.
        """
        self.downloads.clear()  # links of earlier settings would hand over other numbers
        summary = plan.summary()
        self.caption = caption = "; ".join([summary.attrs["growth_basis"], *plan.notes,
                                            *self.left_out])
        money = {c: _money for c in ("last_year", "target", "target_same_months")}
        shown = summary.rename_axis(label(summary.index.name or "region"))
        self.show(self.table, shown.style.format({**money, "growth": _change}, na_rep="n/a")
                  .relabel_index([label(c) for c in shown.columns], axis="columns"))
        self.notes.value = ("<div style='font-size:12px; color:#4a5a6a; line-height:1.4'>"
                            f"{escape(caption)}</div>")
        self.cards.show(self.key_figures(plan, summary))
        self.overview.update(summary.drop(index="total"), plan.phased, self.ds.history,
                             plan.year)
        self.show(self.chart, Image(self.overview.png(), format="png"))  # rendered once, here


def _money(value) -> str:
    return fmt(value, "money")


def _change(value) -> str:
    return fmt(value, "percent", signed=True)


def _plain(options: dict) -> dict:
    return {k: v for k, v in options.items() if k != "continuous_update"}
