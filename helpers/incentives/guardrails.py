"""Guardrails: what a plan does to a typical rep of each level that the plan's author did
not mean, said in plain words where the plans are described.

- `quota_to_ote`: a level's typical revenue target over its on-target earnings (base +
  target incentive), against the usual range QUOTA_TO_OTE;
- `guardrails`: gates a typical rep cannot pass, caps most reps hit, cliffs and falling pay
  on the payout curve, pay at target far from the target incentive.

Everything is read off the payout curves of a typical rep of each level (`payout_curve`
with `level_targets`), and off the simulation for how many reps hit a cap.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..schema import LEVELS
from .payouts import payout_curve
from .plan import Plan

QUOTA_TO_OTE = (4.0, 6.0)
"""The usual range of annual quota over on-target earnings (base + target incentive) for
salespeople carrying a revenue quota: roughly 4× to 6×. Above it the quota is high for what
the level is paid (or the pay low for the quota); below it, the reverse."""
POINTS = (0.8, 1.0, 1.2)
"""Attainments at which a typical rep's pay is quoted (threshold, target, excellence)."""
COLUMNS = ["plan", "level", "check", "detail"]
"""A guardrails table's columns."""


def _as_plans(plans: Plan | dict[str, Plan]) -> dict[str, Plan]:
    return {plans.name: plans} if isinstance(plans, Plan) else dict(plans)


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _pct(a: float) -> str:
    return f"{a:.0%}"


def quota_to_ote(plans: Plan | dict[str, Plan],
                 targets: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Quota-to-OTE per plan and level: the typical annual revenue target of the level over
    its on-target earnings (base salary + target incentive), with a sentence when it is
    outside the usual range QUOTA_TO_OTE (4× to 6×).

    Parameters
    ----------
    plans : Plan or dict of str to Plan
        The plans (base salary and target incentive per level).
    targets : dict of str to dict of str to float
        Level -> measure -> typical annual target (`level_targets`); reads `revenue`.

    Returns
    -------
    pandas.DataFrame
        One row per plan and level: `plan`, `level`, `quota` (typical annual revenue
        target), `ote` (NaN without a base salary), `quota_to_ote` (NaN without one) and
        `note` (plain words; empty when within the usual range).
    """
    lo, hi = QUOTA_TO_OTE
    rows = []
    for name, plan in _as_plans(plans).items():
        for lv in LEVELS:
            quota = targets.get(lv, {}).get("revenue", np.nan)
            level = plan.levels[lv]
            ote = (np.nan if level.base_salary is None
                   else level.base_salary + level.target_incentive)
            ratio = quota / ote if ote and ote > 0 else np.nan
            if np.isnan(quota):
                note = "no revenue target: quota-to-OTE unknown"
            elif np.isnan(ote):
                note = "no base salary in the plan: on-target earnings unknown"
            elif ratio > hi:
                note = (f"quota is {ratio:.1f}× on-target earnings, above the usual "
                        f"{lo:g}–{hi:g}×: a high quota for what the level is paid")
            elif ratio < lo:
                note = (f"quota is {ratio:.1f}× on-target earnings, below the usual "
                        f"{lo:g}–{hi:g}×: a low quota for what the level is paid")
            else:
                note = ""
            rows.append({"plan": name, "level": lv, "quota": quota, "ote": ote,
                         "quota_to_ote": ratio, "note": note})
    out = pd.DataFrame(rows)
    for col in ("plan", "level", "note"):
        out[col] = out[col].astype("string")
    return out


def guardrails(plans: Plan | dict[str, Plan], targets: dict[str, dict[str, float]],
               sim=None, *, cap_share: float = 0.2, tolerance: float = 0.15,
               cliff: float = 0.25, gate_margin: float = 0.02) -> pd.DataFrame:
    """What each plan does to a typical rep of each level that needs a second look.

    Checks, on the payout curve of a typical rep of the level (`payout_curve` with
    `targets`, the same share of every target; contests left out):

    - `gate`: a gate the typical rep fails at 100% attainment, so the component pays
      nothing; the detail gives the level's pay at 80/100/120%;
    - `gate margin`: a gate on a score the typical rep passes by less than `gate_margin`
      (relative), so an ordinary dip in one period stops the component;
    - `cliff`: pay that jumps by more than `cliff` × the target incentive within one point
      of attainment;
    - `negative marginal`: pay that falls as attainment rises;
    - `pay at target`: pay at 100% off the target incentive by more than `tolerance`;
    - `cap` (with `sim`): a component whose cap more than `cap_share` of the level's
      simulated reps reach (mean over the simulated years).

    Parameters
    ----------
    plans : Plan or dict of str to Plan
        The plans.
    targets : dict of str to dict of str to float
        Level -> measure -> typical annual target (`level_targets`).
    sim : Simulation, optional
        The simulation of these plans, for the share of reps hitting a cap.
    cap_share : float, default 0.2
        Share of a level's reps above which a cap is reported.
    tolerance : float, default 0.15
        Relative gap between pay at target and the target incentive above which it is
        reported.
    cliff : float, default 0.25
        Jump in pay within one point of attainment, as a share of the target incentive,
        above which it is reported.
    gate_margin : float, default 0.02
        Relative margin by which a typical rep passes a score gate below which it is
        reported.

    Returns
    -------
    pandas.DataFrame
        One row per finding: `plan`, `level`, `check`, `detail` (plain words); no rows
        when nothing needs a second look.
    """
    rows: list[dict] = []
    for name, plan in _as_plans(plans).items():
        for lv in LEVELS:
            typical = targets.get(lv, {})
            ti = plan.target_incentive(lv)
            points = payout_curve(plan, lv, typical, np.array(POINTS))
            rows += [{"plan": name, "level": lv, "check": check, "detail": detail}
                     for check, detail in _gates(plan, lv, typical, points, gate_margin)]
            curve = payout_curve(plan, lv, typical)
            rows += [{"plan": name, "level": lv, "check": check, "detail": detail}
                     for check, detail in _shape(curve, ti, cliff)]
            at = float(points["total"].iloc[1])
            if ti > 0 and abs(at / ti - 1) > tolerance:
                rows.append({"plan": name, "level": lv, "check": "pay at target",
                             "detail": f"a typical {lv} at 100% earns {_money(at)}, "
                                       f"{abs(at / ti - 1):.0%} "
                                       f"{'above' if at > ti else 'below'} the target "
                                       f"incentive of {_money(ti)} (tolerance "
                                       f"{tolerance:.0%})"})
            if sim is not None and name in sim.stats and "capped" in sim.stats[name]:
                rows += [{"plan": name, "level": lv, "check": "cap", "detail": d}
                         for d in _caps(plan, sim, name, lv, cap_share)]
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.astype("string")


def _gates(plan: Plan, lv: str, typical: dict[str, float], points: pd.DataFrame,
           margin: float) -> list[tuple[str, str]]:
    """Gates that stop a component for a typical rep of `lv`, or that it barely passes."""
    found = []
    pay = ", ".join(_money(x) for x in points["total"])
    only_draw = "draw" in points and np.allclose(points["total"], points["draw"])
    for i, c in enumerate(plan.components):
        if not c.gates or lv not in c.levels or c.name not in points:
            continue
        if points[c.name].iloc[1] <= 0:
            free = plan.replace(components=tuple(
                replace(x, gates=()) if j == i else x for j, x in enumerate(plan.components)))
            ungated = payout_curve(free, lv, typical, np.array([1.0]))[c.name].iloc[0]
            if ungated > 0:
                what = [f"{g.measure} >= {g.min:g}" + (" attainment" if g.basis == "attainment"
                                                       else "") for g in c.gates]
                has = [f"{g.measure} {typical[g.measure]:g}" for g in c.gates
                       if g.basis == "value" and g.measure in typical
                       and typical[g.measure] < g.min]
                found.append(("gate", (
                    f"a typical {lv}" + (f" ({', '.join(has)})" if has else "")
                    + f" does not pass the gate ({', '.join(what)}) of '{c.name}', which "
                    f"then pays nothing: at {'/'.join(_pct(a) for a in POINTS)} attainment "
                    f"the level earns {pay} in all" + (" (the draw only)" if only_draw
                                                       else ""))))
                continue
        for g in c.gates:
            value = typical.get(g.measure)
            if (g.basis == "value" and value is not None and g.min > 0
                    and g.min <= value < g.min * (1 + margin)):
                found.append(("gate margin", (
                    f"a typical {lv} ({g.measure} {value:.1f}) passes the gate "
                    f"{g.measure} >= {g.min:g} of '{c.name}' by only {value - g.min:.1f}: "
                    f"one below-average {plan.period} and it pays nothing for it")))
    return found


def _shape(curve: pd.DataFrame, ti: float, cliff: float) -> list[tuple[str, str]]:
    """Jumps above `cliff` × ti and falls in the level's payout curve."""
    a = curve["attainment"].to_numpy()
    total = curve["total"].to_numpy()
    step = np.diff(total)
    found = []
    tol = 1e-6 * max(ti, 1.0)
    jumps = np.flatnonzero(step > cliff * ti) if ti > 0 else np.array([], dtype=int)
    if len(jumps):
        found.append(("cliff", "pay jumps " + "; ".join(
            f"by {_money(step[k])} ({step[k] / ti:.0%} of the target incentive) between "
            f"{_pct(a[k])} and {_pct(a[k + 1])} attainment" for k in jumps)))
    falls = np.flatnonzero(step < -tol)
    if len(falls):
        found.append(("negative marginal", "pay falls as attainment rises: " + "; ".join(
            f"by {_money(-step[k])} between {_pct(a[k])} and {_pct(a[k + 1])}"
            for k in falls[:5]) + (f" (and {len(falls) - 5} more steps)"
                                   if len(falls) > 5 else "")))
    return found


def _caps(plan: Plan, sim, name: str, lv: str, share: float) -> list[str]:
    """Caps reached by more than `share` of the level's simulated reps."""
    j = LEVELS.index(lv)
    if not (sim.reps["level"] == lv).any():
        return []
    hit = sim.stats[name]["capped"].mean(axis=0)[:, j]  # (components,)
    caps = sim.caps[name][:, j]
    return [f"{hit[i]:.0%} of the {lv}s reach the cap of '{c.name}' ({_money(caps[i])} a "
            f"year; more than {share:.0%}): pay stops rising for them there"
            for i, c in enumerate(plan.components) if hit[i] > share]
