"""Targets (issue 3): company number -> regions -> teams -> reps -> weeks, against a per-rep loop.

The engine case is what "allocate + phase to weeks" means in `plan_targets`: both measures
allocated (run-rate basis from 36 months of history, ramp, region/team/rep largest
remainder) and phased year -> quarter -> month -> (week, month) piece. The season index and
company totals are computed once in setup, as the widget panel caches them.

The baseline is the same arithmetic written the plain way: a Python loop over regions,
teams and reps, each split a Python largest remainder on lists of floats. It is given the
per-rep basis and ramp capacity the engine computed (so it does less work than the engine:
no history pass), and gives the same cents (see tests/test_benchmarks.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.targets import (
    MEASURES,
    PRECISION,
    allocate_targets,
    company_target,
    phase,
    plan_targets,
    ramp_factors,
    resolve_ramp,
    seasonality,
    working_weeks,
)

from .harness import Case, company

GOAL_S = 5.0


@dataclass
class Inputs:
    ds: object
    year: int
    totals: dict[str, float]
    season: pd.DataFrame
    ramp: tuple[float, ...]  # the new-hire ramp fitted from the history, as plan_targets does


def setup(n_reps: int) -> Inputs:
    ds = company(n_reps)
    year = ds.plan_year
    totals = {m: company_target(ds.history, year, growth=0.05, measure=m) for m in MEASURES}
    ramp = tuple(resolve_ramp("fitted", ds, year))
    return Inputs(ds, year, totals, seasonality(ds, "revenue", by="region"), ramp)


def engine(inp: Inputs) -> pd.DataFrame:
    """allocate_targets per measure, then one `phase` to (week, month) pieces."""
    frames = [allocate_targets(inp.ds, total, measure=m, year=inp.year, ramp=inp.ramp)
              for m, total in inp.totals.items()]
    annual = pd.concat(frames, ignore_index=True)
    return phase(annual, inp.season, inp.year, "week", ramp=inp.ramp)


def end_to_end(inp: Inputs):
    return plan_targets(inp.ds, inp.year, growth=0.05, grain="week")


# ------------------------------------------------------------------ the per-rep loop


@dataclass
class LoopInputs:
    """What the loop is handed: per rep and measure the engine's basis and ramp; the rest
    as plain Python lists."""

    units: dict[str, int]  # company total per measure, in units of precision
    step: dict[str, float]
    rep_id: list[str]
    region: list[str]
    team: list[str]
    weight: dict[str, list[float]]  # basis x capacity per rep
    season: dict[str, list[float]]  # region -> 12 month index
    ramp: list[list[float]]  # per rep, 12 monthly ramp shares
    pieces: list[tuple[int, int]]  # (month 0..11, slot) of each (week, month) piece
    slots: list[list[float]]  # per month, working days by slot (zero padded)


def loop_setup(n_reps: int) -> LoopInputs:
    inp = setup(n_reps)
    ds, year = inp.ds, inp.year
    units, step, weight = {}, {}, {}
    first = None
    for m, total in inp.totals.items():
        annual = allocate_targets(ds, total, measure=m, year=year, ramp=inp.ramp)
        first = annual if first is None else first
        weight[m] = (annual["basis"].to_numpy() * annual["capacity"].to_numpy()).tolist()
        step[m] = PRECISION[m]
        units[m] = int(np.rint(total / step[m]))
    pieces = working_weeks(year)
    month = (pieces["month"].dt.month - 1).tolist()
    slot = pieces.groupby("month").cumcount().tolist()
    width = max(slot) + 1
    slots = [[0.0] * width for _ in range(12)]
    for mo, sl, days in zip(month, slot, pieces["working_days"].tolist(), strict=True):
        slots[mo][sl] = float(days)
    return LoopInputs(
        units, step, first["rep_id"].tolist(), first["region"].tolist(),
        first["team"].tolist(), weight,
        {r: [float(v) for v in row] for r, row in inp.season.iterrows()},
        ramp_factors(first["hire_date"], year, inp.ramp).tolist(),
        list(zip(month, slot, strict=True)), slots)


def pairwise_sum(a: list[float]) -> float:
    """Sum in numpy's pairwise order, so a loop and an array op round alike."""
    n = len(a)
    if n < 8:
        total = 0.0
        for x in a:
            total += x
        return total
    if n <= 128:
        r = list(a[:8])
        end = n - n % 8
        for i in range(8, end, 8):
            for j in range(8):
                r[j] += a[i + j]
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(end, n):
            total += a[i]
        return total
    half = n // 2
    half -= half % 8
    return pairwise_sum(a[:half]) + pairwise_sum(a[half:])


def split(units: int, weights: list[float]) -> list[int]:
    """Largest remainder on Python numbers: floors, then one unit each to the largest
    fractional parts (ties to the earlier position); zero weights get nothing."""
    total = pairwise_sum(weights)
    if total <= 0:
        return [0] * len(weights)
    quota = [w / total * units for w in weights]
    base = [math.floor(q) for q in quota]
    frac = [q - b if w > 0 else -1.0 for q, b, w in zip(quota, base, weights, strict=True)]
    short = units - int(sum(base))
    for i in sorted(range(len(weights)), key=lambda i: -frac[i])[:short]:
        base[i] += 1
    return base


def _money(units: int, step: float) -> float:
    scale = 10 ** max(0, math.ceil(-math.log10(step) - 1e-9))
    return round(units * step * scale) / scale


def loop(inp: LoopInputs) -> list[tuple[str, str, int, float]]:
    """(rep_id, measure, piece, target) for every rep, measure and (week, month) piece."""
    out = []
    for m in inp.units:
        w = inp.weight[m]
        regions: dict[str, list[int]] = {}
        teams: dict[tuple[str, str], list[int]] = {}
        for i, (region, team) in enumerate(zip(inp.region, inp.team, strict=True)):
            regions.setdefault(region, []).append(i)
            teams.setdefault((region, team), []).append(i)
        region_w = {r: 0.0 for r in regions}
        team_w = {t: 0.0 for t in teams}
        for i, (region, team) in enumerate(zip(inp.region, inp.team, strict=True)):
            region_w[region] += w[i]
            team_w[(region, team)] += w[i]
        region_units = dict(zip(regions, split(inp.units[m], list(region_w.values())),
                                strict=True))
        rep_units = [0] * len(w)
        # the engine splits each group on a row padded with zeros to the largest group;
        # pad alike so the sums round alike (zero weights never get a unit)
        team_width = max(sum(t[0] == r for t in teams) for r in regions)
        rep_width = max(len(members) for members in teams.values())
        for region in regions:
            names = [t for t in teams if t[0] == region]
            pad = [0.0] * (team_width - len(names))
            for t, u in zip(names, split(region_units[region], [team_w[t] for t in names] + pad),
                            strict=False):
                members = teams[t]
                pad = [0.0] * (rep_width - len(members))
                for i, v in zip(members, split(u, [w[i] for i in members] + pad), strict=False):
                    rep_units[i] = v
        for i, rep in enumerate(inp.rep_id):  # phase: year -> quarters -> months -> weeks
            season = inp.season[inp.region[i]]
            mw = [season[k] * inp.ramp[i][k] for k in range(12)]
            quarters = split(rep_units[i], [pairwise_sum(mw[3 * q:3 * q + 3]) for q in range(4)])
            months = []
            for q in range(4):
                months += split(quarters[q], mw[3 * q:3 * q + 3])
            weeks = [split(months[k], inp.slots[k]) for k in range(12)]
            for p, (k, slot) in enumerate(inp.pieces):
                out.append((rep, m, p, _money(weeks[k][slot], inp.step[m])))
    return out


def cases(quick: bool = False):
    sizes = (100, 300) if quick else (100, 1_000, 10_000, 50_000)
    for n in sizes:
        base_n = min(n, 2_000)
        yield Case(
            goal="targets: allocate + phase to weeks (2 measures)",
            size=f"{n:,} reps x 36 months",
            setup=lambda n=n: setup(n), run=engine,
            baseline=loop, baseline_setup=lambda b=base_n: loop_setup(b),
            baseline_scale=n / base_n,
            limit_s=GOAL_S if n == 50_000 else None,
            repeat=3 if n >= 10_000 else 5,
            notes=("baseline (per-rep Python loop over the splits, handed the engine's "
                   "basis and ramp) " + (f"on {base_n:,} reps, scaled x{n / base_n:g}"
                                          if base_n < n else "at full size")),
        )
    if not quick:
        yield Case(
            goal="targets: plan_targets(grain='week') end to end",
            size="50,000 reps x 36 months",
            setup=lambda: setup(50_000), run=end_to_end, repeat=3,
            notes="what the notebook calls: also fits the season index, the company numbers "
                  "and the monthly view (a second phase); informational, no goal of its own",
        )
