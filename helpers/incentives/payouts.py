"""Payouts as tables people read: per rep, period and component, with the reason why.

`payout` turns a results table (rep × month, or rep × transaction) into engine arrays, runs
the engine once and explains each number; `payout_curve` runs the same engine on a grid of
attainments; `statement` writes one rep's statement from a payout table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import streams
from ..data import DataError
from ..schema import LEVELS
from .components import join, money, when
from .engine import Inputs, Outcome, row_earnings, run
from .plan import MEASURES, Plan, PlanError

COLUMNS = ["rep_id", "level", "period", "component", "type", "measure", "value", "target",
           "attainment", "amount", "draw_owed", "reason"]
"""A payout table's columns; `draw_owed` is the draw still owed back after the period (on the
draw's rows; empty on the components')."""


def period_of(month: pd.Series, plan: Plan) -> np.ndarray:
    """0-based plan period of each month (quarter 0..3, month 0..11, year 0).

    Parameters
    ----------
    month : pandas.Series
        Months (datetime).
    plan : Plan
        The plan, for its period.

    Returns
    -------
    numpy.ndarray
        The 0-based period of each month (int64).
    """
    return ((month.dt.month.to_numpy() - 1) // (12 // plan.n_periods)).astype(np.int64)


def needed_targets(plan: Plan) -> set[str]:
    """Measures whose target the plan reads (attainment), as opposed to only their value.

    Parameters
    ----------
    plan : Plan
        The plan.

    Returns
    -------
    set of str
        The measures read as attainment.
    """
    return set().union(*(c.targets for c in plan.components))


def payout(plan: Plan, results: pd.DataFrame) -> pd.DataFrame:
    """What `plan` pays each rep, period and component on `results`, and why.

    `results` has one row per rep and month (or per transaction): rep_id, month, level, the
    plan's measures, `<measure>_target` for measures paid on attainment, and `team` when a
    component pays on team results. A component paid per transaction reads each row as
    `count` transactions (1 when the column is absent). Rows: see COLUMNS; the draw, if any,
    is its own component (top-ups positive, recoveries negative; `draw_owed` the balance still
    owed back after each period).

    Parameters
    ----------
    plan : Plan
        The plan.
    results : pandas.DataFrame
        One row per rep and month (or transaction), as above.

    Returns
    -------
    pandas.DataFrame
        One row per rep, period and component (see `COLUMNS`), sorted by rep and period.
        Only the periods up to the last month in `results`: a partial year (data to July)
        pays no Q4, which would otherwise pay the year to date again; `attrs["through"]`
        is that last month.

    Raises
    ------
    DataError
        When `results` lacks a column the plan needs, spans more than one year or has an
        unknown level.
    """
    reps, data = inputs_from_results(plan, results)
    out = run(plan, data, reasons=True)
    table = payout_rows(plan, reps, data, out)
    if not len(results):
        return table
    month = pd.to_datetime(results["month"])
    last = int(period_of(month, plan).max()) + 1
    if last < plan.n_periods:  # a year the data stops in: later periods have nothing to pay
        table = table[table["period"] <= last].reset_index(drop=True)
    table.attrs["through"] = month.max().to_period("M").to_timestamp()
    return table


def inputs_from_results(plan: Plan, results: pd.DataFrame) -> tuple[pd.DataFrame, Inputs]:
    """Aggregate a results table to plan periods; returns (reps with their level, Inputs).

    Parameters
    ----------
    plan : Plan
        The plan, for its measures, targets and period.
    results : pandas.DataFrame
        The results table (see `payout`).

    Returns
    -------
    reps : pandas.DataFrame
        One row per rep, in engine order: `rep_id`, `level` (and `team`).
    inputs : Inputs
        The engine arrays, one scenario.

    Raises
    ------
    DataError
        When `results` lacks a column the plan needs, spans more than one year or has an
        unknown level.
    """
    counts = set().union(*(c.optional for c in plan.components))  # absent: 1 per row
    optional = counts - {c.measure for c in plan.components} - {
        g.measure for c in plan.components for g in c.gates}
    required = ["rep_id", "month", "level", *(m for m in plan.measures if m not in optional),
                *(f"{m}_target" for m in sorted(needed_targets(plan)))]
    if any(c.team for c in plan.components):
        required.append("team")
    missing = [c for c in required if c not in results.columns]
    if missing:
        raise DataError(f"results: missing column(s) {', '.join(missing)} needed by plan "
                        f"'{plan.name}' (found {', '.join(map(str, results.columns))})")
    month = pd.to_datetime(results["month"])
    if month.dt.year.nunique() > 1:
        raise DataError(f"results: months span years {sorted(month.dt.year.unique())}; "
                        "a plan pays one year at a time")
    unknown = ~results["level"].astype("string").isin(LEVELS)
    if unknown.any():
        raise DataError(f"results: column 'level' has unknown levels "
                        f"{sorted(results.loc[unknown, 'level'].astype(str).unique())[:5]}")
    p = plan.n_periods
    frame = pd.DataFrame({"rep_id": results["rep_id"].astype("string").to_numpy(),
                          "period": period_of(month, plan)})
    reps = (results.assign(level=results["level"].astype("string"))
            .drop_duplicates("rep_id")[["rep_id", "level"]
                                       + (["team"] if "team" in results else [])])
    reps = reps.assign(rep_id=reps["rep_id"].astype("string")).reset_index(drop=True)
    rep_index = pd.Index(reps["rep_id"])
    r = len(reps)
    cell = rep_index.get_indexer(frame["rep_id"]) * p + frame["period"].to_numpy()

    def per_period(values: pd.Series | np.ndarray, how: str) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        total = np.bincount(cell, weights=np.nan_to_num(v), minlength=r * p)
        if how == "mean":
            n = np.bincount(cell, weights=~np.isnan(v), minlength=r * p)
            total = np.where(n > 0, total / np.where(n > 0, n, 1), np.nan)
        return total.reshape(r, p).T[:, None, :]  # (P, 1, R)

    actual, target = {}, {}
    for m in plan.measures:
        actual[m] = per_period(results[m] if m in results else np.ones(len(results)),
                               MEASURES[m])
        if MEASURES[m] == "mean":  # a period without a survey reads as the one before (or after)
            actual[m] = _fill_forward(actual[m])
        t = (per_period(results[f"{m}_target"], MEASURES[m]) if f"{m}_target" in results
             else np.zeros((p, 1, r)))
        target[m] = np.nan_to_num(t)
    def column(m: str) -> np.ndarray:  # a measure the results lack counts 1 per row
        return (results[m].to_numpy(np.float64) if m in results
                else np.ones(len(results), dtype=np.float64))

    tx_raw = {name: per_period(each, "sum")
              for name, each in row_earnings(plan, column).items()}
    level = pd.Categorical(reps["level"], categories=LEVELS).codes.astype(np.int64)
    team = (pd.factorize(reps["team"])[0] if "team" in reps else None)
    order = streams.rep_keys(rep_index)  # a contest tie follows the id, never the row
    return reps, Inputs(actual, target, level, team, tx_raw, order)


def _fill_forward(x: np.ndarray) -> np.ndarray:
    out = pd.DataFrame(x[:, 0, :]).ffill().bfill().to_numpy()  # rows are periods
    return np.nan_to_num(out)[:, None, :]


# -------------------------------------------------------------------------- reasons


def payout_rows(plan: Plan, reps: pd.DataFrame, data: Inputs, out: Outcome) -> pd.DataFrame:
    """Long table of one scenario's payouts with a reason per row (see COLUMNS).

    Parameters
    ----------
    plan : Plan
        The plan that was run.
    reps : pandas.DataFrame
        The reps in engine order (`rep_id`, `level`), from `inputs_from_results`.
    data : Inputs
        The engine's inputs (one scenario).
    out : Outcome
        What `run` returned with `reasons=True`.

    Returns
    -------
    pandas.DataFrame
        One row per rep, period and component (see `COLUMNS`).
    """
    p, _, r = data.shape

    def flat(x: np.ndarray) -> np.ndarray:
        """(P, 1, R) -> rep-major rows, periods within each rep."""
        return np.broadcast_to(x, (p, 1, r))[:, 0, :].T.reshape(-1)

    base = pd.DataFrame({"rep_id": np.repeat(reps["rep_id"].to_numpy(), p),
                         "level": np.repeat(reps["level"].to_numpy(), p),
                         "period": np.tile(np.arange(1, p + 1), r)})
    frames = []
    ytd = plan.true_up and plan.n_periods > 1
    for c in plan.components:
        why = {k: flat(v) for k, v in out.info[c.name].items()}
        amount = flat(out.paid[c.name])
        value = why.get("value", flat(data.actual[c.measure]))  # what it reads (YTD...)
        target = why.get("target", flat(data.target[c.measure]))
        frames.append(base.assign(
            component=c.name, type=c.type, measure=c.measure, value=value, target=target,
            attainment=why["attainment"] if "attainment" in why
            else np.where(target > 0, value / np.where(target > 0, target, 1), np.nan),
            amount=amount, draw_owed=np.nan, reason=c.reason(why, amount, ytd)))
    if out.draw is not None:
        adj, owed = flat(out.draw), flat(out.draw_balance)
        reason = join(
            when(adj > 0, "topped up to the draw of " + f"{plan.draw.amount:,.0f}"),
            when(adj < 0, "recovered " + money(-adj) + " of earlier draws"),
            when(owed > 0, "owed back " + money(owed)))
        frames.append(base.assign(component="draw", type="draw", measure="", value=np.nan,
                                  target=np.nan, attainment=np.nan, amount=adj, draw_owed=owed,
                                  reason=reason))
    table = pd.concat(frames, ignore_index=True)
    table[["amount", "draw_owed"]] = table[["amount", "draw_owed"]].round(2)
    table["reason"] = table["reason"].astype("string")
    for col in ("rep_id", "level", "component", "type", "measure"):
        table[col] = table[col].astype("string")
    return table.sort_values(["rep_id", "period"], kind="stable", ignore_index=True)[COLUMNS]


# ------------------------------------------------------------------------- curves


def payout_curve(plan: Plan, level: str, targets: dict[str, float] | None = None,
                 attainment: np.ndarray | None = None) -> pd.DataFrame:
    """Annual pay by component for a `level` rep who attains the same share of every target.

    `targets` gives the annual target per measure (needed for amount-based tiers; see
    `level_targets`); scores read only by value (csat gates, modifiers) sit at their target,
    or just pass the gate when no target is given. Contests are left out (they depend on
    everyone else); draws are in (cash paid). Periods attain evenly.

    Parameters
    ----------
    plan : Plan
        The plan.
    level : str
        The rep's level.
    targets : dict of str to float, optional
        Measure -> annual target.
    attainment : numpy.ndarray, optional
        The attainments to price; default 0 to 2 in steps of 0.01.

    Returns
    -------
    pandas.DataFrame
        One row per attainment: `attainment`, a column per component (and `draw`), `total`.

    Raises
    ------
    PlanError
        When `level` is unknown or a measure paid on amounts has no target.
    """
    if level not in LEVELS:
        raise PlanError(f"level: unknown level {level!r} (known: {', '.join(LEVELS)})")
    grid = np.round(np.linspace(0, 2, 201) if attainment is None else
                    np.asarray(attainment, dtype=np.float64), 6)
    targets = dict(targets or {})
    p, r = plan.n_periods, len(grid)
    main = {c.measure for c in plan.components}
    actual, target = {}, {}
    for m in plan.measures:
        if m not in targets:
            if MEASURES[m] == "sum" and any(c.pays_on_amounts(m) for c in plan.components):
                raise PlanError(f"targets: payout_curve needs an annual target for {m!r} "
                                "(commissions and SPIFs pay on amounts, not attainment)")
            gate_mins = [g.min for c in plan.components for g in c.gates
                         if g.measure == m and g.basis == "value"]
            targets[m] = max(gate_mins, default=1.0) if MEASURES[m] == "mean" else 1.0
        per = targets[m] / p if MEASURES[m] == "sum" else targets[m]
        target[m] = np.full((p, 1, r), per, dtype=np.float64)
        scale = grid if MEASURES[m] == "sum" or m in main else np.ones(r)
        actual[m] = target[m] * scale
    data = Inputs(actual, target, np.full(r, LEVELS.index(level)),
                  team=np.arange(r))  # a team of one: team results = own results
    data.tx_raw = row_earnings(plan, actual.__getitem__)
    out = run(plan.replace(components=tuple(c for c in plan.components if c.in_curves)), data)
    table = pd.DataFrame({"attainment": grid})
    for name, paid in out.paid.items():
        table[name] = paid[:, 0, :].sum(axis=0)
    if out.draw is not None:
        table["draw"] = out.draw[:, 0, :].sum(axis=0)
    table["total"] = table.drop(columns="attainment").sum(axis=1)
    return table


def curve_table(plans: dict[str, Plan], targets: dict[str, dict[str, float]],
                attainment: np.ndarray | None = None) -> pd.DataFrame:
    """Long table (plan, level, attainment, total) of every plan's payout curve per level;
    `targets` is `level_targets(...)` (a typical annual target per level and measure).

    Parameters
    ----------
    plans : dict of str to Plan
        The plans, by name.
    targets : dict of str to dict of str to float
        Level -> measure -> annual target.
    attainment : numpy.ndarray, optional
        The attainments to price (see `payout_curve`).

    Returns
    -------
    pandas.DataFrame
        Columns `plan`, `level`, `attainment`, `total`.

    Raises
    ------
    PlanError
        When a plan needs a target `targets` lacks (see `payout_curve`).
    """
    frames = [payout_curve(plan, lv, targets[lv], attainment)[["attainment", "total"]]
              .assign(plan=name, level=lv)
              for name, plan in plans.items() for lv in LEVELS]
    table = pd.concat(frames, ignore_index=True)
    return table[["plan", "level", "attainment", "total"]]


def level_targets(targets: pd.DataFrame, levels: pd.Series) -> dict[str, dict[str, float]]:
    """Median annual target per level and measure (what a typical rep at that level carries).

    Parameters
    ----------
    targets : pandas.DataFrame
        Long targets: `rep_id`, `measure`, `target` (one row per period).
    levels : pandas.Series
        Rep -> level.

    Returns
    -------
    dict of str to dict of str to float
        Level -> measure -> median annual target (the median over all reps for a level
        with none).
    """
    rep, reps = pd.factorize(targets["rep_id"])  # integer keys: text groupbys are slow
    measure, names = pd.factorize(targets["measure"])
    frame = pd.DataFrame({"rep": rep, "measure": measure,
                          "target": targets["target"].to_numpy(np.float64)})
    grouped = frame[(rep >= 0) & (measure >= 0)].groupby(["rep", "measure"])["target"]
    annual, mean_annual = grouped.sum(), grouped.mean()
    m = annual.index.get_level_values("measure")
    is_mean = np.array([MEASURES.get(x) == "mean" for x in names], dtype=bool)[m]
    annual = pd.DataFrame({
        "level": levels.reindex(reps).to_numpy()[annual.index.get_level_values("rep")],
        "measure": np.asarray(names)[m],
        "annual": np.where(is_mean, mean_annual.to_numpy(), annual.to_numpy())})
    annual = annual[annual["level"].notna()]
    med = annual.groupby(["level", "measure"], observed=True)["annual"].median()
    overall = annual.groupby("measure")["annual"].median()
    return {lv: {m: float(med.get((lv, m), overall[m])) for m in overall.index}
            for lv in LEVELS}


# ---------------------------------------------------------------------- statements


def statement(plan: Plan, rep_id: str, payouts: pd.DataFrame) -> str:
    """One rep's statement as Markdown: what was earned per period and component, and why.

    Parameters
    ----------
    plan : Plan
        The plan the payouts come from.
    rep_id : str
        The rep.
    payouts : pandas.DataFrame
        The plan's payout table (from `payout` or `replay`).

    Returns
    -------
    str
        The statement, as Markdown.

    Raises
    ------
    DataError
        When the payout table has no rows for the rep.
    """
    rows = payouts[payouts["rep_id"] == rep_id]
    if rows.empty:
        raise DataError(f"payouts: no rep {rep_id!r} (no rows for that rep_id)")
    level = str(rows["level"].iloc[0])
    lv = plan.levels[level]
    mix = f", pay mix {lv.pay_mix}" if lv.pay_mix else ""
    label = {"month": "M", "quarter": "Q", "year": "Y"}[plan.period]
    lines = [f"### {plan.name}: statement for {rep_id} ({level})", "",
             f"Target incentive {lv.target_incentive:,.0f}{mix}; paid per {plan.period}"
             f"{' with year-to-date true-up' if plan.true_up and plan.n_periods > 1 else ''}.",
             "", "| period | component | value | target | attainment | paid | why |",
             "|---|---|---:|---:|---:|---:|---|"]
    shown = rows[(rows["amount"] != 0) | (rows["reason"].fillna("") != "")]
    for row in shown.itertuples(index=False):
        value = "" if pd.isna(row.value) else f"{row.value:,.0f}"
        target = "" if pd.isna(row.target) or row.target == 0 else f"{row.target:,.0f}"
        att = "" if pd.isna(row.attainment) or not target else f"{row.attainment:.0%}"
        lines.append(f"| {label}{row.period} | {row.component} | {value} | {target} | {att} "
                     f"| {row.amount:,.2f} | {row.reason} |")
    by_comp = rows.groupby("component", sort=False)["amount"].sum()
    lines += ["", "**Year:** " + ", ".join(f"{k} {v:,.2f}" for k, v in by_comp.items())
              + f"; **total {by_comp.sum():,.2f}**"]
    draw = rows[rows["component"] == "draw"].sort_values("period", kind="stable")
    if not draw.empty and draw["draw_owed"].iloc[-1] > 0:
        lines.append(f"Draw still owed back at year end: {draw['draw_owed'].iloc[-1]:,.0f}.")
    return "\n".join(lines)
