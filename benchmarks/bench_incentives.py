"""Incentive Monte Carlo (issue 5): `simulate` against a per-rep, per-scenario Python loop.

The plan has the shape the issue names: two paid measures, marginal commission tiers on
year-to-date revenue attainment with a yearly payout cap and a csat gate, plus a
new-customer bonus curve, quarterly with true-up. The engine case is the whole
`simulate` (draws, payout, per-scenario statistics) on 2 threads, in chunks.

The baseline is the spreadsheet way: for every rep and scenario, a scalar Python walk over
the quarters (the reference loop of tests/test_incentives_properties.py, for this plan),
on the very draws `simulate` makes for its first scenarios; its total cost per scenario
equals the engine's (see tests/test_benchmarks.py). Scalar on purpose: that is the loop the
engine replaces, and the 100x goal is stated against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.incentives import Plan, default_levels, default_targets, simulate
from helpers.incentives.engine import Inputs
from helpers.incentives.plan import MEASURES
from helpers.incentives.simulation import ResultDraws, draw_scenarios, fit_market
from helpers.schema import LEVELS

from .harness import Case, company

GOAL_S, GOAL_MB, GOAL_SPEEDUP = 3.0, 2048.0, 100.0

PLAN = {
    "name": "benchmark plan", "period": "quarter", "true_up": True,
    "levels": {lv: {"target_incentive": ti} for lv, ti in
               zip(LEVELS, (18_000, 26_000, 34_000, 44_000, 56_000), strict=True)},
    "components": [
        {"name": "revenue commission", "type": "commission", "measure": "revenue",
         "basis": "attainment", "mode": "marginal", "weight": 0.8, "cap_payout": 90_000,
         "tiers": [{"from": 0.0, "to": 0.5, "rate": 0.02}, {"from": 0.5, "to": 1.0, "rate": 0.04},
                   {"from": 1.0, "to": 1.5, "rate": 0.07}, {"from": 1.5, "rate": 0.03}],
         "gates": [{"measure": "csat", "min": 70}]},
        {"name": "new customer bonus", "type": "bonus", "measure": "new_customers",
         "weight": 0.2,
         "curve": {"threshold": {"attainment": 0.8, "payout": 0.5},
                   "target": {"attainment": 1.0, "payout": 1.0},
                   "cap": {"attainment": 1.5, "payout": 2.0}}},
    ],
}


def plan() -> Plan:
    return Plan.from_dict(PLAN)


@dataclass
class SimInputs:
    ds: object
    targets: pd.DataFrame
    levels: pd.Series
    n: int
    chunk: int | None = None  # None: simulate's own default (a budget of cells per chunk)


def setup(n_reps: int, n: int, chunk: int | None = None) -> SimInputs:
    ds = company(n_reps)
    return SimInputs(ds, default_targets(ds), default_levels(ds), n, chunk)


def engine(inp: SimInputs):
    return simulate(plan(), inp.ds, inp.targets, n=inp.n, levels=inp.levels, chunk=inp.chunk,
                    workers=2)


# ------------------------------------------------------------------ the per-rep loop


def draws(inp: SimInputs, k: int, seed: int = 0) -> Inputs:
    """The first `k` (<= 256) scenarios exactly as `simulate` draws them, as engine Inputs
    (P, k, R), float32 like the simulation."""
    p = plan()
    ds = inp.ds
    measures = sorted({"revenue"}.union(p.measures), key=list(MEASURES).index)
    rep_ids = pd.Index(sorted(set(inp.targets["rep_id"]) & set(inp.levels.index)),
                       name="rep_id")
    level = pd.Categorical(inp.levels.reindex(rep_ids), categories=LEVELS).codes
    model = fit_market(ds, p.n_periods)
    results = ResultDraws.build(ds, inp.targets, rep_ids, measures, p.n_periods, model=model,
                                seed=seed)
    _, eps = draw_scenarios(results.keys, seed, 0, k, p.n_periods, measures,
                            results.to_actual)  # as simulate does it, in the same float32 steps
    actual = dict(zip(measures, eps, strict=True))
    target = results.target
    return Inputs(actual, target, level.astype(np.int64))


def rep_payout(p: Plan, revenue, customers, csat, t_revenue, t_customers, level: str) -> float:
    """One rep, one scenario: the year's pay, quarter by quarter, in plain Python floats."""
    comm, bonus = p.components
    points = [(x, y) for _, x, y in bonus.curve.points]
    ti = p.target_incentive(level) * bonus.weight[level]
    n = len(revenue)
    a = t = nc = nt = cs = 0.0
    paid_c = paid_b = total = 0.0
    for i in range(n):
        a += revenue[i]
        t += t_revenue[i]
        nc += customers[i]
        nt += t_customers[i]
        cs += csat[i]
        att = a / t if t > 0 else 0.0
        earned = 0.0
        for tier in comm.tiers:  # marginal tiers on attainment, as amounts of target
            hi = tier.hi if tier.hi is not None else float("inf")
            earned += tier.rate * max(0.0, min(att, hi) - tier.lo) * t
        if cs / (i + 1) < comm.gates[0].min:
            earned = 0.0
        new_c = min(max(paid_c, earned), comm.cap_payout) - paid_c
        a_nc = nc / nt if nt > 0 else 0.0
        if a_nc < points[0][0]:
            mult = 0.0
        elif a_nc >= points[-1][0]:
            mult = points[-1][1]
        else:
            j = max(j for j in range(len(points)) if points[j][0] <= a_nc)
            (x0, y0), (x1, y1) = points[j], points[j + 1]
            mult = y0 + (y1 - y0) * (a_nc - x0) / (x1 - x0)
        new_b = max(paid_b, mult * ti * (i + 1) / n) - paid_b
        paid_c += new_c
        paid_b += new_b
        total += new_c + new_b
    return total


def loop(data: Inputs) -> np.ndarray:
    """Total pay per scenario: a Python loop over reps and scenarios, scalar inside."""
    p = plan()
    rev, cus, csa = (data.actual[m].astype(float).tolist()
                     for m in ("revenue", "new_customers", "csat"))
    t_rev = data.target["revenue"][:, 0, :].astype(float).T.tolist()
    t_cus = data.target["new_customers"][:, 0, :].astype(float).T.tolist()
    n_periods, n_scen, n_reps = data.actual["revenue"].shape
    cost = [0.0] * n_scen
    for r in range(n_reps):
        level = LEVELS[data.level[r]]
        for s in range(n_scen):
            cost[s] += rep_payout(p, [rev[q][s][r] for q in range(n_periods)],
                                  [cus[q][s][r] for q in range(n_periods)],
                                  [csa[q][s][r] for q in range(n_periods)],
                                  t_rev[r], t_cus[r], level)
    return np.array(cost)


def cases(quick: bool = False):
    # (reps, scenarios): simulate picks its chunk size itself (blocks of BLOCK scenarios);
    # memory must stay under 2 GiB at every size ("larger sizes are simulated in chunks")
    plan_sizes = ((100, 512), (300, 512)) if quick else (
        (100, 10_000), (1_000, 10_000), (10_000, 2_048), (50_000, 256))
    for n_reps, n in plan_sizes:
        k = max(1, min(256, 20_000 // n_reps))  # baseline: ~20,000 rep-scenarios
        goal = (n_reps, n) == (1_000, 10_000)
        yield Case(
            goal="incentives: simulate (2 measures, tiers, cap, gate)",
            size=f"{n_reps:,} reps x {n:,} scenarios x 4 quarters",
            setup=lambda r=n_reps, n=n: setup(r, n), run=engine,
            baseline=loop, baseline_setup=lambda r=n_reps, k=k: draws(setup(r, k), k),
            baseline_scale=n / k,
            limit_s=GOAL_S if goal else None, limit_mb=None if quick else GOAL_MB,
            min_speedup=GOAL_SPEEDUP if goal else None,
            repeat=5 if n_reps <= 1_000 else 2, warmup=n_reps <= 1_000,
            notes=("simulate's default chunks, 2 threads; baseline: scalar Python per rep "
                   f"and scenario on simulate's own draws for {k} scenarios x all reps, "
                   f"scaled x{n / k:g}"
                   + ("; fewer scenarios at this size to keep `make bench` short (time grows "
                      "linearly with scenarios)" if n < 10_000 else "")),
        )
