"""The budget solver: scale a plan until its simulated cost fits a budget.

"Scale the target incentives (or the rates of one component) so that the expected cost of
sales is at most X% and the P90 cost at most Y": every trial factor is priced by `simulate`
with the same seed, so on the very same draws (common random numbers: a rep's draws are
keyed streams, `helpers.streams`), and the cost is a deterministic, non-decreasing
function of the factor. `scipy.optimize.brentq` finds where each constraint is met
exactly; the largest factor meeting every constraint wins (the tighter one binds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..data import SAMPLE_DIR, Dataset, output_dir, write_atomic
from ..errors import PlanError, SimulationError
from .plan import Plan, base_salaries, edit_plan, plan_stem
from .simulation import simulate

BASES = ("variable", "total")
"""What cost of sales counts: what the plan pays, or that plus the reps' base salaries."""
SHOWN = ("expected_cost", "p90_cost", "base_salaries", "variable_cost_of_sales",
         "total_cost_of_sales")
"""The rows of `Budget.table`: cost, risk and cost of sales, before and after."""


@dataclass(frozen=True)
class Budget:
    """A plan scaled to fit a budget, with what it costs before and after.

    Parameters
    ----------
    plan : Plan
        The scaled plan (a new name; its description says how it was scaled).
    factor : float
        The factor found (1 leaves the plan as it was).
    scale : str
        What was scaled, in words ("target incentives", "the rates of 'revenue bonus'").
    table : pandas.DataFrame
        Index `metric` (SHOWN); columns `before`, `after` and `budget` (the limit, NaN for
        a metric without one), on the same draws.
    binding : str
        What stopped the factor: "cost of sales", "P90 cost" or "upper bound".
    sentence : str
        The result in plain words, with the room there was (or that had to be cut).
    """

    plan: Plan
    factor: float
    scale: str
    table: pd.DataFrame
    binding: str
    sentence: str

    @property
    def file_name(self) -> str:
        """The YAML file name of the scaled plan (as the plan editor names a saved plan)."""
        return plan_stem(self.plan.name) + ".yaml"

    def save(self, folder: str | Path | None = None) -> Path:
        """Write the scaled plan as YAML, atomically, to `folder`/`file_name`.

        Parameters
        ----------
        folder : str or pathlib.Path, optional
            Where to write (default `output_dir()`); never the sample's input folder.

        Returns
        -------
        pathlib.Path
            The file written; `load_plans` reads it back.

        Raises
        ------
        PlanError
            When `folder` is inside the sample's input folder (`data/sample/`).
        """
        path = Path(output_dir() if folder is None else folder) / self.file_name
        if path.resolve().is_relative_to(SAMPLE_DIR.resolve()):
            raise PlanError(f"{path}: the sample's input files are never written; save the "
                            "scaled plan to the output folder (folder=None)")
        return write_atomic(path, lambda tmp: self.plan.to_yaml(tmp))


def scale_plan(plan: Plan, factor: float, scale: str | tuple[str, str] = "target_incentive",
               name: str | None = None) -> Plan:
    """A copy of `plan` paying `factor` times as much through its target incentives, or
    through the rates (curve payouts, amounts, prizes) of one component.

    Parameters
    ----------
    plan : Plan
        The plan.
    factor : float
        The factor, >= 0.
    scale : "target_incentive" or ("rate", str), default "target_incentive"
        Every level's target incentive, or the rates of the named component (its
        `scaled`); caps, gates and tier bounds stay as they are.
    name : str, optional
        A new plan name.

    Returns
    -------
    Plan
        The scaled, validated plan.

    Raises
    ------
    PlanError
        When `scale` is not understood, names no component, the factor is negative, or the
        component cannot be scaled (a SPIF to 0).
    """
    if not factor >= 0:
        raise PlanError(f"factor: must be >= 0, got {factor!r}")
    if scale == "target_incentive":
        return edit_plan(plan, plan.components[0].name, ti_scale=factor, name=name)
    if isinstance(scale, tuple) and len(scale) == 2 and scale[0] == "rate":
        component = next((c for c in plan.components if c.name == scale[1]), None)
        if component is None:
            raise PlanError(f"scale: no component named {scale[1]!r} (the plan has "
                            f"{', '.join(repr(c.name) for c in plan.components)})")
        return edit_plan(plan, component.name, name=name, **component.scaled(factor))
    raise PlanError(f"scale: {scale!r} is not 'target_incentive' or ('rate', component name)")


def _what(scale: str | tuple[str, str]) -> str:
    return "target incentives" if scale == "target_incentive" else f"the rates of {scale[1]!r}"


def fit_budget(plan: Plan, ds: Dataset, targets: pd.DataFrame | None = None, *,
               levels: pd.Series | None = None, max_cost_of_sales: float | None = None,
               max_p90_cost: float | None = None,
               scale: str | tuple[str, str] = "target_incentive", basis: str = "variable",
               n: int = 2000, seed: int = 0, scenario: float | str = "plan",
               bounds: tuple[float, float] = (0.0, 3.0), tol: float = 1e-4,
               name: str | None = None,
               spreads: dict[str, float] | None = None) -> Budget:
    """Scale a plan so its expected cost of sales and its P90 cost fit a budget.

    Each trial factor is priced on the same simulated years (`simulate` with the same
    seed); `brentq` solves each constraint and the largest factor within `bounds` that
    meets every one is kept (to `tol`; it meets them on these draws, never just over).
    A plan that meets the budget at factor 1 is scaled up to use the room, and the
    sentence says how much room there was.

    Parameters
    ----------
    plan : Plan
        The plan to scale (left as it is).
    ds : Dataset
        The loaded data.
    targets : pandas.DataFrame, optional
        Long targets (see `simulate`).
    levels : pandas.Series, optional
        Rep -> level.
    max_cost_of_sales : float, optional
        The most the expected cost of sales may be, a fraction of expected revenue (0.10
        for 10%), counted as `basis` says.
    max_p90_cost : float, optional
        The most the P90 of the year's cost may be (currency; `metrics`' `p90_cost`, what
        the plan pays: base salaries do not vary, so they are not in it).
    scale : "target_incentive" or ("rate", str), default "target_incentive"
        What the factor multiplies (see `scale_plan`).
    basis : {"variable", "total"}, default "variable"
        Cost of sales as what the plan pays, or plus the reps' base salaries.
    n : int, default 2000
        Simulated years.
    seed : int, default 0
        The seed: same seed, same factor.
    scenario : float or str, default "plan"
        The market scenario priced.
    bounds : tuple of (float, float), default (0.0, 3.0)
        The factors searched, 0 <= low < high.
    tol : float, default 1e-4
        How close to the best factor the answer is (absolute, on the factor).
    name : str, optional
        The scaled plan's name (default: the plan's name + " within budget").
    spreads : dict of str to float, optional
        Spreads used where history is too short to fit them.

    Returns
    -------
    Budget
        The scaled plan, its factor, the before/after table and a sentence.

    Raises
    ------
    SimulationError
        When no limit is given, `basis`, `bounds`, `tol` or `name` is bad, total cost of
        sales is asked of a plan without base salaries, the factor does not change the cost
        (target incentives of a plan paying on rates alone), or even the lower bound cannot
        meet the budget (the message says what is over, and by how much).
    PlanError
        When `scale` is not understood or the component cannot be scaled.
    """
    limits = {k: v for k, v in (("cost of sales", max_cost_of_sales),
                                ("P90 cost", max_p90_cost)) if v is not None}
    if not limits:
        raise SimulationError("fit_budget: give max_cost_of_sales (a fraction of revenue, "
                              "0.10 for 10%) or max_p90_cost (currency), or both")
    bad = {k: v for k, v in limits.items() if not v > 0}
    if bad:
        raise SimulationError(f"fit_budget: limits must be > 0, got {bad}")
    if basis not in BASES:
        raise SimulationError(f"basis: {basis!r} is not one of {', '.join(BASES)}")
    lo, hi = (float(b) for b in bounds)
    if not 0 <= lo < hi:
        raise SimulationError(f"bounds: need 0 <= low < high, got {bounds!r}")
    if not 0 < tol < hi - lo:
        raise SimulationError(f"tol: must be > 0 and below high - low, got {tol!r}")
    new_name = name or f"{plan.name} within budget"
    if new_name == plan.name:
        raise SimulationError(f"name: the scaled plan needs a name other than {plan.name!r}, "
                              "so it never replaces the plan it comes from")
    scale_plan(plan, hi, scale, new_name)  # a bad `scale` fails here, before simulating
    what = _what(scale)
    column = f"{basis}_cost_of_sales"
    cache: dict[float, dict[str, float]] = {}

    def price(factors: list[float]) -> None:
        """Price the factors not yet priced, in one simulation (shared draws)."""
        todo = sorted({f for f in factors if f not in cache})
        if not todo:
            return
        plans = {str(i): scale_plan(plan, f, scale, new_name) for i, f in enumerate(todo)}
        sim = simulate(plans, ds, targets, n=n, scenario=scenario, seed=seed, levels=levels,
                       spreads=spreads)
        for (key, p), f in zip(plans.items(), todo, strict=True):
            cache[f] = _costs(sim.stats[key]["cost"], sim.stats[key]["revenue"],
                              base_salaries(p, sim.reps["level"]))

    def over(f: float, limit: str) -> float:
        """How far factor f is over the limit (<= 0: within), on the shared draws."""
        price([f])
        got = cache[f][column] if limit == "cost of sales" else cache[f]["p90_cost"]
        return got - limits[limit]

    price([lo, hi] + ([1.0] if lo <= 1.0 <= hi else []))
    if basis == "total" and "cost of sales" in limits and np.isnan(cache[lo][column]):
        raise SimulationError(f"basis: {plan.name!r} gives a level with reps no base salary, "
                              "so its total cost of sales is unknown; use basis='variable'")
    if all(_got(k, cache[lo], basis) == _got(k, cache[hi], basis) for k in limits):
        raise SimulationError(f"scale: {what} do not change what {plan.name!r} pays "
                              f"(the same cost at × {lo:g} and × {hi:g}); scale what it "
                              "pays on instead, e.g. scale=('rate', component name)")
    failing = [k for k in limits if over(lo, k) > 0]
    if failing:
        raise SimulationError(_impossible(plan, what, lo, cache[lo], limits, failing, basis))
    factor, binding = hi, "upper bound"
    for limit in limits:  # the tighter limit wins: each search stays below the last answer
        if over(factor, limit) <= 0:
            continue
        root = brentq(over, lo, factor, args=(limit,), xtol=tol)
        while over(root, limit) > 0:  # brentq may land just past: step back inside
            root = max(lo, root - tol)
        factor, binding = root, limit
    factor = float(factor)
    after = scale_plan(plan, factor, scale, new_name)
    note = (f"{what.capitalize()} × {factor:.4g} to fit a budget (fit_budget: "
            + ", ".join(f"{_label(k, basis)} <= {_fmt(k, v, basis)}"
                        for k, v in limits.items())
            + f"; seed {seed}, {n} simulated years).")
    after = after.replace(description=f"{plan.description} {note}".strip())
    price([1.0])
    table = pd.DataFrame({"before": pd.Series(cache[1.0]), "after": pd.Series(cache[factor])}
                         ).loc[list(SHOWN)]
    table["budget"] = np.nan
    if "cost of sales" in limits:
        table.loc[column, "budget"] = limits["cost of sales"]
    if "P90 cost" in limits:
        table.loc["p90_cost", "budget"] = limits["P90 cost"]
    table.index.name = "metric"
    sentence = _sentence(what, factor, binding, cache[1.0], cache[factor], limits, basis, hi)
    return Budget(after, factor, what, table, binding, sentence)


def _costs(cost: np.ndarray, revenue: np.ndarray, base: float) -> dict[str, float]:
    """The budget's metrics of one plan, as `metrics` computes them."""
    expected, income = float(cost.mean()), float(revenue.mean())
    return {"expected_cost": expected, "p90_cost": float(np.quantile(cost, 0.9)),
            "base_salaries": base,
            "variable_cost_of_sales": expected / income if income > 0 else np.nan,
            "total_cost_of_sales": (expected + base) / income if income > 0 else np.nan}


def _fmt(limit: str, value: float, basis: str) -> str:
    return f"{value:.2%} of revenue" if limit == "cost of sales" else f"{value:,.0f}"


def _label(limit: str, basis: str) -> str:
    return f"{basis} cost of sales" if limit == "cost of sales" else limit


def _got(limit: str, costs: dict[str, float], basis: str) -> float:
    return costs[f"{basis}_cost_of_sales"] if limit == "cost of sales" else costs["p90_cost"]


def _impossible(plan: Plan, what: str, lo: float, costs: dict[str, float],
                limits: dict[str, float], failing: list[str], basis: str) -> str:
    """Why no factor in bounds fits: what is still over at the lower bound."""
    parts = [f"{_label(k, basis)} {_fmt(k, _got(k, costs, basis), basis)} against "
             f"{_fmt(k, limits[k], basis)}" for k in failing]
    text = (f"{plan.name!r} cannot meet the budget: even with {what} × {lo:g} (the lower "
            f"bound) its " + " and ".join(parts) + ".")
    base_share = costs["total_cost_of_sales"] - costs["variable_cost_of_sales"]
    if "cost of sales" in failing and basis == "total" and base_share >= limits["cost of sales"]:
        text += (f" Base salaries alone are {base_share:.2%} of revenue: raise the cap or "
                 "lower base salaries.")
    else:
        text += (" What the factor does not scale (other components, draws, caps"
                 + (", base salaries" if basis == "total" else "") + ") is over the limit.")
    return text


def _sentence(what: str, factor: float, binding: str, before: dict[str, float],
              after: dict[str, float], limits: dict[str, float], basis: str,
              hi: float) -> str:
    """The result in plain words: room before, the factor, what binds."""
    room = {k: limits[k] - _got(k, before, basis) for k in limits}

    def gap(k: str) -> str:
        amount = abs(room[k])
        return (f"{amount * 100:.2f} percentage points" if k == "cost of sales"
                else f"{amount:,.0f}")

    state = "; ".join(f"{_label(k, basis)} {_fmt(k, _got(k, before, basis), basis)} against "
                      f"{_fmt(k, limits[k], basis)} ("
                      + (f"{gap(k)} of room" if room[k] >= 0 else f"{gap(k)} over") + ")"
                      for k in limits)
    head = ("The plan already meets the budget with room: " if min(room.values()) >= 0
            else "The plan is over the budget: ") + state + ". "
    after_text = ", ".join(f"{_label(k, basis)} {_fmt(k, _got(k, after, basis), basis)}"
                           for k in limits)
    if binding == "upper bound":
        tail = (f"Even {what} × {hi:g} (the upper bound) stays within it ({after_text}); "
                "the factor stops there.")
    else:
        tail = (f"Scaling {what} by {factor:.4g} gives {after_text}; the "
                f"{_label(binding, basis)} limit binds.")
    return head + tail
