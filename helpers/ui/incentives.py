"""Panels for notebook 03 (incentives): edit a plan and see its payout curve; read statements.

Thin on purpose: read the widgets, call one helpers function (`edit_plan`, `save_plan`,
`simulate`, `statement`), redraw. The numbers the notebook records come from the plan files
and its parameters cell, so a run is reproducible; the editor is for trying things out, and
can save what it made.

The editor and the simulation panel built on the same plans share one `PlanBook`: a plan
the editor saves joins the book, and so the simulation panel's list, at once (compare it in
the same session), under a name no other plan has.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import Markdown

from ..errors import DataError, SimulationError
from ..formatting import fmt
from ..glossary import GLOSSARY, label, term
from ..incentives import LEVELS, Plan, PlanError, edit_plan, payout_curve, save_plan, statement
from ..plots import incentives as charts
from .base import Checklist, Panel, error_html
from .cards import Figure, KeyFigures
from .downloads import Downloads
from .scenarios import PAGE, ScenarioComparison

NARROW = {"width": "150px"}  # a dict, not a Layout: importing builds no widget
CARDS = (("expected_cost", "Expected cost", "money", "expected cost"),
         ("total_cost_of_sales", "Cost of sales", "percent", "cost of sales"),
         ("p90_cost", "Bad-year cost (P90)", "money", "P90"),
         ("share_at_target", "Reps expected at target", "percent", "expected at target"))
BETTER = {"share_at_target": None}  # 60-70% is the aim, not more; costs: lower is better


def plan_figures(table: pd.DataFrame) -> list[Figure]:
    """The key figures of each plan in a `metrics` table: expected cost, cost of sales, the
    bad-year (P90) cost and the share of reps expected at target, one row per plan (so plans
    stand side by side and a baseline is matched plan by plan).

    Parameters
    ----------
    table : pandas.DataFrame
        `helpers.incentives.metrics`: one row per plan.

    Returns
    -------
    list of Figure
        Up to four figures per plan (those the table has); lower cost is better.
    """
    return [Figure(words, float(row[column]), kind, glossary, BETTER.get(column, "down"),
                   group=str(plan))
            for plan, row in table.iterrows()
            for column, words, kind, glossary in CARDS if column in row]


def metrics_frame(sim) -> pd.DataFrame:
    """The plan comparison of a simulation as the download hands it over: one row per
    plan, a column per metric.

    Parameters
    ----------
    sim : Simulation
        What `simulate` returned.

    Returns
    -------
    pandas.DataFrame
        `metrics(sim)` with the plan as a column.
    """
    from ..incentives import metrics

    return metrics(sim).reset_index()


def metrics_table(table: pd.DataFrame) -> str:
    """A `metrics` table as the page shows it: plans side by side, one plain-worded row per
    metric, money in the currency, shares and cost of sales as percents, ratios to 2 decimals.

    Parameters
    ----------
    table : pandas.DataFrame
        `helpers.incentives.metrics`: one row per plan.

    Returns
    -------
    str
        The HTML table.
    """
    def kind(column: str) -> str:
        if column.endswith("_cost") or column.startswith("marginal") or column == "base_salaries":
            return "money"
        if column.endswith("cost_of_sales") or column.startswith("share_at"):
            return "percent"
        return "number"

    shown = pd.DataFrame({plan: {label(c): fmt(row[c], kind(c)) for c in table.columns}
                          for plan, row in table.iterrows()})
    style = ("<style>.metrics-table th, .metrics-table td {padding: 2px 14px; "
             "text-align: right} .metrics-table tbody th {text-align: left}</style>")
    return style + shown.rename_axis("metric").to_html(classes="metrics-table", border=0)


class PlanBook(dict):
    """The plans a page's panels share, by name: `add` puts a plan in and tells each
    watcher, so a plan saved in the editor can be compared at once.

    `PlanBook.of(plans)` gives the same book for the same mapping, so the panels a
    notebook builds on its one `plans` dict share a book without any wiring; the
    notebook's dict itself is never changed (a batch run reads only its files).

    Parameters
    ----------
    plans : Mapping of str to Plan, default ()
        The first plans, by name.
    """

    _books: dict[int, PlanBook] = {}  # id(mapping) -> its book (which keeps it alive)

    def __init__(self, plans=()):
        super().__init__(plans)
        self.watchers: list = []
        self.source = plans

    @classmethod
    def of(cls, plans) -> PlanBook:
        """The book of `plans`: itself if it is one, else one book per mapping.

        Parameters
        ----------
        plans : Mapping of str to Plan
            The plans the panels were given.

        Returns
        -------
        PlanBook
            The book every panel built on `plans` shares.
        """
        if isinstance(plans, PlanBook):
            return plans
        book = cls._books.get(id(plans))
        if book is None or book.source is not plans:
            book = cls._books[id(plans)] = cls(plans)
        return book

    def watch(self, callback) -> None:
        """Call `callback(plan)` after each plan `add` puts in.

        Parameters
        ----------
        callback : Callable[[Plan], None]
            Told of each plan added.
        """
        self.watchers.append(callback)

    def add(self, plan: Plan) -> None:
        """Put `plan` in under its name and tell the watchers.

        Parameters
        ----------
        plan : Plan
            The plan (its name is its key).
        """
        self[plan.name] = plan
        for callback in self.watchers:
            callback(plan)


class PlanEditor(Panel):
    """Pick a plan, a level and a component; edit its rate table or bonus curve; see pay.

    `targets` is `level_targets(...)`; `folder` is where "Save" writes the plan, as
    `save_plan` names it: a safe file stem (`../../evil` -> `evil.yaml`), and a name
    already used (by a plan here or a file there) gets " (2)", " (3)", ... added, said in
    the status line, so a save never overwrites a plan. The saved plan joins the
    `PlanBook` (the simulation panel's list and this editor's). The edited plan is
    `self.plan` (None while the edits are invalid: the error line says which key).

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
        self.plans, self.targets, self.folder = PlanBook.of(plans), targets, folder
        self.plans.watch(self._listed)
        self.choice = w.Dropdown(options=list(self.plans), description="Plan")
        self.level = w.Dropdown(options=list(LEVELS), value="senior", description="Level")
        self.component = w.Dropdown(description="Component")
        self.ti_scale = w.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05,
                                      readout_format=".2f",  # a multiplier: "× 1.05"
                                      description="Target incentive ×",
                                      style={"description_width": "130px"},
                                      tooltip=GLOSSARY["target incentive"],
                                      continuous_update=False)
        self.rows = w.VBox()
        self.add = w.Button(description="add tier", icon="plus")
        self.remove = w.Button(description="remove last", icon="minus")
        self.name = w.Text(placeholder="name for the edited plan", layout=w.Layout(width="260px"))
        self.save = w.Button(description="Save YAML", icon="save")
        self.fields: list[tuple[w.FloatText, ...]] = []
        self._listing = False  # True while the list of plans grows: no reload
        self.choice.observe(lambda _: self._listing or self._load_plan(), "value")
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
        self.say(f"<b>{escape(plan.name)}</b>: {term('target incentive')} at {level} level "
                 f"{escape(fmt(plan.target_incentive(level), 'money'))}")
        self.show(self.out, charts.editor_curve(payout_curve(plan, level, self.targets[level]),
                                                f"{plan.name} — {level}"))

    def _save(self) -> None:
        if self.plan is None or self.folder is None:
            self.status.value = error_html("nothing valid to save")
            return
        wanted = self.name.value.strip() or f"{self.plan.name} (edited)"
        try:
            plan, path = save_plan(self.plan.replace(name=wanted), self.folder, self.plans)
        except PlanError as exc:
            self.status.value = error_html(exc)
            return
        self.plans.add(plan)
        taken = "" if plan.name == wanted else f"{escape(repr(wanted))} is taken: "
        self.say(f"{taken}saved as <b>{escape(plan.name)}</b> ({escape(path.name)}); "
                 "it can be compared now")

    def _listed(self, plan: Plan) -> None:
        """A plan joined the book: offer it too, keeping the plan being edited."""
        chosen, self._listing = self.choice.value, True
        try:
            self.choice.options = list(self.plans)
            self.choice.value = chosen
        finally:
            self._listing = False


class StatementViewer(Panel):
    """Pick a plan and type or pick a rep; show the rep's statement (from each plan's
    payout table). A rep id the table does not have clears the statement shown and says
    "no rep <id>", so no other rep's statement stands beside it.

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
                              ensure_option=False,  # a typed id reaches us, to be judged
                              continuous_update=False)  # on Enter or leaving the box
        self.assemble([w.HBox([self.choice, self.rep]), self.status, self.out],
                      {"plan": self.choice, "rep": self.rep})

    def compute(self) -> str:
        """The chosen rep's statement under the chosen plan.

        Returns
        -------
        str
            The statement as Markdown.

        Raises
        ------
        DataError
            When no rep id is typed, or the payout table has no rep of that id ("no rep
            <id>", shown in the error line, the old statement cleared).
        """
        rep = self.rep.value.strip()
        if not rep:
            raise DataError("rep: none chosen; type or pick a rep id")
        return statement(self.plans[self.choice.value], rep, self.payouts[self.choice.value])

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
    each change: after a change the results shown are marked out of date until the next
    run; a setting `simulate` refuses (or no plan chosen) is said in the error line. A plan
    saved in the plan editor joins the list at once (a shared `PlanBook`).

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
    baseline : pandas.DataFrame, optional
        `metrics` of the page's own run (the notebook's parameters), the cards' baseline;
        None makes the first run the baseline.

    Notes
    -----
    Two scenarios side by side (`comparison`) run `simulate` for each on the same seed,
    without changing what is shown. `inputs_for`, when set (`helpers.app.follow_scenarios`
    does in the app), gives a scenario's own (targets, levels) by its name, or None to use
    the page's: so A and B are priced as the batch run would price each.
    """

    def __init__(self, plans: dict[str, Plan], ds, targets: pd.DataFrame,
                 levels: pd.Series | None = None, seed: int = 0,
                 spreads: dict[str, float] | None = None,
                 baseline: pd.DataFrame | None = None):
        super().__init__()
        self.plans, self.ds, self.targets, self.levels, self.seed = (plans, ds, targets,
                                                                     levels, seed)
        self.spreads = spreads  # used where history is too short to fit a spread
        self.plans = PlanBook.of(plans)
        self.plans.watch(self._listed)
        self.page_inputs = (targets, levels)  # "this page's settings" in a comparison
        self.inputs_for = None  # name -> (targets, levels) or None; set in the app
        self.choice = Checklist(options=list(self.plans), value=tuple(self.plans),
                                description="Plans")  # ticked, not Ctrl-clicked
        self.market = w.IntSlider(value=0, min=-30, max=30, step=5, description="Market %",
                                  continuous_update=False, tooltip=GLOSSARY["market"])
        self.n = w.IntSlider(value=2000, min=256, max=20_000, step=256,
                             description="Simulated years", continuous_update=False,
                             readout_format=",d",  # 20,000, not 20000
                             style={"description_width": "110px"},
                             tooltip=GLOSSARY["scenarios"])
        self.cards = KeyFigures(None if baseline is None else plan_figures(baseline))
        self.downloads = Downloads(lambda: None if self.sim is None else {
            "Plan comparison": metrics_frame(self.sim)}, "plan_comparison")
        if baseline is not None:  # the page's own run, on screen before the first Simulate
            self.cards.show(self.cards.baseline)
        self.comparison = ScenarioComparison(self)  # A vs B, once the bar exists
        self.run_button = w.Button(description="Simulate", icon="play")
        self.progress = w.IntProgress(min=0, max=1, description="")
        controls = w.HBox([self.choice, w.VBox([self.market, self.n,
                                                w.HBox([self.run_button, self.progress])])])
        controls.add_class("control-grid")  # the panel's controls, together at its top
        self.assemble([controls,
                       self.status, self.stale_note, self.cards,
                       w.HBox([self.downloads, self.comparison],
                              layout={"flex_flow": "row wrap", "grid_gap": "0 24px"}),
                       self.out],
                      {"plans": self.choice, "market_pct": self.market, "scenarios": self.n},
                      "incentives", live=False, button=self.run_button)
        self.comparison.refresh()  # the bar exists now: offer its scenarios

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
            When no plan is chosen, or `simulate` refuses a setting (shown in the error
            line).
        DataError
            When the data cannot give the default targets or a level (shown there too).
        """
        from ..incentives import simulate

        if not self.choice.value:
            raise SimulationError("plans: no plan selected; pick one or more plans, then "
                                  f"press {self.action}")
        chosen = {name: self.plans[name] for name in self.choice.value}
        self.progress.max, self.progress.value = self.n.value, 0
        return simulate(chosen, self.ds, self.targets, n=self.n.value,
                        scenario=1 + self.market.value / 100, seed=self.seed,
                        levels=self.levels, spreads=self.spreads,
                        progress=lambda done: setattr(self.progress, "value", done))

    def key_figures(self, sim) -> list[Figure]:
        """The simulation's key figures, per plan: expected cost, cost of sales, bad-year
        (P90) cost and reps expected at target (`plan_figures` of its `metrics`).

        Parameters
        ----------
        sim : Simulation
            What `compute` returned.

        Returns
        -------
        list of Figure
            The figures, for the cards and the scenario comparison.
        """
        from ..incentives import metrics

        return plan_figures(metrics(sim))

    def figures_with(self, values, inputs=None) -> list[Figure]:
        """The key figures a run with `values` set on the controls would show (the others as
        they are), on `inputs` (targets, levels) or the panel's own, without changing what
        is shown: controls, inputs, progress bar and out-of-date mark are put back.

        Parameters
        ----------
        values : Mapping[str, object]
            Control name -> value, as the scenario's `incentives` section holds them.
        inputs : tuple of (pandas.DataFrame, pandas.Series), optional
            The targets and levels to price on (default: the panel's `targets`, `levels`).

        Returns
        -------
        list of Figure
            `key_figures` of that run (same seed, so the same numbers as pressing Simulate
            with those settings).

        Raises
        ------
        ScenarioError
            When a value cannot be set on its control (nothing is changed).
        WorkbookError
            When `simulate` refuses those settings (no plan, a bad spread, ...).
        """
        kept = (self.targets, self.levels, self.stale, self.progress.max,
                self.progress.value)
        if inputs is not None:
            self.targets, self.levels = inputs
        try:
            return super().figures_with(values)
        finally:
            self.targets, self.levels, stale = kept[0], kept[1], kept[2]
            self.progress.max, self.progress.value = kept[3], kept[4]
            if not stale:  # setting the controls marked what is shown out of date
                self.mark_fresh()

    def scenario_figures(self, name: str, values) -> list[Figure]:
        """The key figures of the scenario `name`: on its own targets and levels when
        `inputs_for` gives them (a scenario with `targets`/`grading` sections, in the app),
        on the page's own for "this page's settings" and otherwise.

        Parameters
        ----------
        name : str
            The scenario's name (`helpers.ui.scenarios.PAGE` for the page's settings).
        values : Mapping[str, object]
            Its `incentives` section.

        Returns
        -------
        list of Figure
            `figures_with(values, inputs)`.

        Raises
        ------
        WorkbookError
            When its targets, levels or settings cannot be priced (named by key).
        """
        inputs = None
        if name != PAGE and self.inputs_for is not None:
            inputs = self.inputs_for(name)
        return self.figures_with(values, inputs if inputs is not None else self.page_inputs)

    def draw(self, sim) -> None:
        """Show the metrics side by side and the cost distribution.

        Parameters
        ----------
        sim : Simulation
            What `compute` returned.
        """
        from ..incentives import distribution, metrics

        table = metrics(sim)
        self.downloads.clear()  # links of an earlier run would hand over other numbers
        self.cards.show(plan_figures(table))  # = key_figures(sim), metrics computed once
        self.show(self.out, metrics_table(table),
                  charts.cost_distribution(distribution(sim)))

    def _listed(self, plan: Plan) -> None:
        """A plan joined the book: list it too, keeping the choice (and what is shown)."""
        chosen, stale = self.choice.value, self.stale
        self.choice.options = list(self.plans)
        self.choice.value = chosen
        if not stale:  # the choice is the same: what is shown is as current as before
            self.mark_fresh()
