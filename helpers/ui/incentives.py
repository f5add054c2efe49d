"""Panels for notebook 03 (incentives): edit a plan and see its payout curve; read statements.

Thin on purpose: read the widgets, call one helpers function (`edit_plan`, `statement`),
redraw. The numbers the notebook records come from the plan files and its parameters cell,
so a run is reproducible; the editor is for trying things out, and can save what it made.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import Markdown

from ..incentives import LEVELS, Plan, edit_plan, payout_curve, statement
from ..plots import incentives as charts
from .base import Panel, error_html

NARROW = {"width": "150px"}  # a dict, not a Layout: importing builds no widget


class PlanEditor(Panel):
    """Pick a plan, a level and a component; edit its rate table or bonus curve; see pay.

    `targets` is `level_targets(...)`; `folder` is where "Save" writes `<name>.yaml`.
    The edited plan is `self.plan` (None while the edits are invalid: the error line says
    which key).

    Parameters
    ----------
    plans : dict of str to Plan
        The plans to pick from, by name.
    targets : dict of str to dict of str to float
        Level -> measure -> annual target, from `level_targets`.
    folder : str or pathlib.Path, optional
        Where "Save" writes the edited plan; None disables saving.
    """

    def __init__(self, plans: dict[str, Plan], targets: dict[str, dict[str, float]],
                 folder: str | Path | None = None):
        super().__init__()
        self.plans, self.targets, self.folder = plans, targets, folder
        self.choice = w.Dropdown(options=list(plans), description="Plan")
        self.level = w.Dropdown(options=list(LEVELS), value="senior", description="Level")
        self.component = w.Dropdown(description="Component")
        self.ti_scale = w.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05,
                                      description="TI ×", continuous_update=False)
        self.rows = w.VBox()
        self.add = w.Button(description="add tier", icon="plus")
        self.remove = w.Button(description="remove last", icon="minus")
        self.name = w.Text(placeholder="name for the edited plan", layout=w.Layout(width="260px"))
        self.save = w.Button(description="Save YAML", icon="save")
        self.fields: list[tuple[w.FloatText, ...]] = []
        self.choice.observe(lambda _: self._load_plan(), "value")
        self.component.observe(lambda _: self._load_component(), "value")
        self.add.on_click(lambda _: self._resize(+1))
        self.remove.on_click(lambda _: self._resize(-1))
        self.save.on_click(lambda _: self._save())
        self.choice.add_class("key-control")  # what the browser tests turn
        self.status.add_class("key-result")
        controls = w.VBox([self.choice, self.level, self.component, self.ti_scale,
                           w.HBox([self.name, self.save])])
        table = w.VBox([self.rows, w.HBox([self.add, self.remove]), self.status])
        self.assemble([w.HBox([controls, table]), self.out],
                      {"level": self.level, "ti_scale": self.ti_scale})  # no rows yet: no draw
        self._load_plan()

    @property
    def plan(self) -> Plan | None:
        """The edited plan (None while the edits are invalid)."""
        return self.result

    # ------------------------------------------------------------------ widgets

    def _base(self) -> Plan:
        return self.plans[self.choice.value]

    def _editable(self):
        return next(c for c in self._base().components if c.name == self.component.value)

    def _load_plan(self) -> None:
        names = [c.name for c in self._base().components if c.table() is not None]
        self._quiet = True
        self.component.options = names
        self.component.value = names[0] if names else None
        self._quiet = False
        self._load_component()

    def _load_component(self) -> None:
        if self._quiet or self.component.value is None:
            return
        table = self._editable().table()  # the component says what can be edited
        self._build(table.rows, table.heads, table.labels)
        self.add.disabled = self.remove.disabled = not table.resizable
        self.redraw()

    def _build(self, values, heads, labels=None) -> None:
        self.fields = [tuple(w.FloatText(value=v, layout=NARROW, continuous_update=False)
                             for v in row) for row in values]
        for row in self.fields:
            for field in row:
                field.observe(lambda _: self.redraw(), "value")
        header = w.HBox([w.HTML(f"<b>{h}</b>", layout=NARROW) for h in ("", *heads)])
        names = labels or [f"tier {i + 1}" for i in range(len(values))]
        self.rows.children = [header] + [w.HBox([w.Label(n, layout=NARROW), *row])
                                         for n, row in zip(names, self.fields, strict=True)]

    def _resize(self, step: int) -> None:
        values = [tuple(f.value for f in row) for row in self.fields]
        if step > 0:
            last = values[-1] if values else (0.0, 0.0)
            values.append((last[0] * 1.5 if last[0] else 1.0, last[1]))
        elif len(values) > 1:
            values.pop()
        self._build(values, ("from", "rate"))
        self.redraw()

    def _edits(self) -> dict:
        values = [tuple(f.value for f in row) for row in self.fields]
        return self._editable().edits(values)

    # ------------------------------------------------------------------- redraw

    def compute(self) -> Plan | None:
        """The chosen plan with the edited component and target-incentive scale.

        Returns
        -------
        Plan or None
            The result of `edit_plan`; None while there is no table to edit.

        Raises
        ------
        PlanError
            When the edits make a plan that cannot be paid (shown in the error line).
        """
        if not self.fields:
            return None
        return edit_plan(self._base(), self.component.value, ti_scale=self.ti_scale.value,
                         name=self.name.value.strip() or None, **self._edits())

    def draw(self, plan: Plan) -> None:
        """Say the plan's target incentive at the level and draw its payout curve.

        Parameters
        ----------
        plan : Plan
            What `compute` returned.
        """
        level = self.level.value
        self.say(f"<b>{escape(plan.name)}</b>: target incentive {level} "
                 f"{plan.target_incentive(level):,.0f}")
        self.show(self.out, charts.editor_curve(payout_curve(plan, level, self.targets[level]),
                                                f"{plan.name} — {level}"))

    def _save(self) -> None:
        if self.plan is None or self.folder is None:
            self.status.value = error_html("nothing valid to save")
            return
        name = self.name.value.strip() or f"{self.plan.name} (edited)"
        plan = self.plan.replace(name=name)
        path = Path(self.folder) / (name.lower().replace(" ", "_").replace("/", "-") + ".yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        plan.to_yaml(path)
        self.say(f"saved {escape(path.name)}")


class StatementViewer(Panel):
    """Pick a plan and a rep; show the rep's statement (from each plan's payout table).

    Parameters
    ----------
    plans : dict of str to Plan
        The plans, by name.
    payouts : dict of str to pandas.DataFrame
        Plan name -> its payout table (from `payout`); the reps come from the first.
    """

    def __init__(self, plans: dict[str, Plan], payouts: dict[str, pd.DataFrame]):
        super().__init__()
        self.plans, self.payouts = plans, payouts
        reps = sorted(next(iter(payouts.values()))["rep_id"].unique())
        self.choice = w.Dropdown(options=list(payouts), description="Plan")
        self.rep = w.Combobox(options=reps, value=reps[0], description="Rep",
                              ensure_option=True)
        self.assemble([w.HBox([self.choice, self.rep]), self.status, self.out],
                      {"plan": self.choice, "rep": self.rep})

    def compute(self) -> str | None:
        """The chosen rep's statement under the chosen plan.

        Returns
        -------
        str or None
            The statement as Markdown; None while the rep name is half typed.

        Raises
        ------
        DataError
            When the payout table has no rows for the rep (shown in the error line).
        """
        if self.rep.value not in self.rep.options:  # a name half typed: keep the last one
            return None
        return statement(self.plans[self.choice.value], self.rep.value,
                         self.payouts[self.choice.value])

    def draw(self, text: str) -> None:
        """Show the statement.

        Parameters
        ----------
        text : str
            The Markdown statement `compute` returned.
        """
        self.show(self.out, Markdown(text))


class SimulationPanel(Panel):
    """Choose plans, the market and the number of scenarios; run the Monte Carlo; compare.

    Each run calls `simulate` on the same seed (so plans are compared on the same draws) and
    shows `metrics` side by side with the cost distribution. It runs on the button, not on
    each change; a setting `simulate` refuses is said in the error line.

    Parameters
    ----------
    plans : dict of str to Plan
        The plans to choose from, by name.
    ds : Dataset
        The loaded data.
    targets : pandas.DataFrame
        The reps' targets (see `simulate`).
    levels : pandas.Series, optional
        Rep -> level (see `simulate`).
    seed : int, default 0
        The seed of every run, so plans are compared on the same draws.
    spreads : dict of str to float, optional
        Spreads used where the history is too short to fit one.
    """

    def __init__(self, plans: dict[str, Plan], ds, targets: pd.DataFrame,
                 levels: pd.Series | None = None, seed: int = 0,
                 spreads: dict[str, float] | None = None):
        super().__init__()
        self.plans, self.ds, self.targets, self.levels, self.seed = (plans, ds, targets,
                                                                     levels, seed)
        self.spreads = spreads  # used where history is too short to fit a spread
        self.choice = w.SelectMultiple(options=list(plans), value=tuple(plans),
                                       description="Plans", rows=min(len(plans), 5))
        self.market = w.IntSlider(value=0, min=-30, max=30, step=5, description="Market %",
                                  continuous_update=False)
        self.n = w.IntSlider(value=2000, min=256, max=20_000, step=256,
                             description="Scenarios", continuous_update=False)
        self.run_button = w.Button(description="Simulate", icon="play")
        self.progress = w.IntProgress(min=0, max=1, description="")
        self.run_button.on_click(lambda _: self.redraw())
        self.assemble([w.HBox([self.choice, w.VBox([self.market, self.n,
                                                    w.HBox([self.run_button,
                                                            self.progress])])]),
                       self.status, self.out],
                      {"plans": self.choice, "market_pct": self.market, "scenarios": self.n},
                      "incentives", live=False)

    @property
    def sim(self):
        """The last `Simulation` shown (None before a run and after a refused one)."""
        return self.result

    def compute(self):
        """Run `simulate` on the chosen plans, market and number of scenarios.

        Returns
        -------
        Simulation
            The result of `simulate`.

        Raises
        ------
        SimulationError
            When `simulate` refuses a setting (shown in the error line).
        DataError
            When the data cannot give the default targets or a level (shown there too).
        """
        from ..incentives import simulate

        chosen = {name: self.plans[name] for name in self.choice.value}
        self.progress.max, self.progress.value = self.n.value, 0
        return simulate(chosen, self.ds, self.targets, n=self.n.value,
                        scenario=1 + self.market.value / 100, seed=self.seed,
                        levels=self.levels, spreads=self.spreads,
                        progress=lambda done: setattr(self.progress, "value", done))

    def draw(self, sim) -> None:
        """Show the metrics side by side and the cost distribution.

        Parameters
        ----------
        sim : Simulation
            What `compute` returned.
        """
        from ..incentives import distribution, metrics

        table = metrics(sim).T  # cost of sales is a fraction: shown as a percent
        self.show(self.out, table.style.format(precision=3)
                  .format("{:.2%}", subset=pd.IndexSlice[["variable_cost_of_sales",
                                                           "total_cost_of_sales"], :]),
                  charts.cost_distribution(distribution(sim)))
