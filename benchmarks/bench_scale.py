"""Scale (issue 14 §5): the whole plan for 100,000 reps on one machine, and its ceiling.

Each step a notebook runs, at 100,000 reps (a sales force larger than any single company's
field team we know of), once each (a warm-up would double a long suite):

- targets end to end: `plan_targets(grain="week")` (season index, company numbers, the
  allocation, a month and a week phasing for both measures);
- grading: KPIs, the written standards, and the stability bootstrap (100 resamples);
- the incentive Monte Carlo with enough scenarios for a stable P90 of the plan's cost (the
  95% interval of the P90, from the order statistics of the scenarios, is reported).

`sections(results)` turns the measured times and peaks into the ceiling paragraph of
RESULTS.md: per-rep time and memory at 100,000 reps, and the largest sales force that stays
inside the machine's memory (the peak grows linearly with reps).
"""

from __future__ import annotations

import math
import os

import numpy as np

from helpers import grading
from helpers.incentives import default_levels, default_targets, simulate
from helpers.targets import plan_targets

from .bench_incentives import plan
from .harness import Case, Result, company, fmt_s

N_REPS = 100_000
N_SCENARIOS = 1_000
N_BOOT = 100
GOAL_S = 300.0  # a step of the batch run: minutes at most, even for the largest sales force
P90 = 0.9


def _targets(ds):
    return plan_targets(ds, ds.plan_year, growth=0.05, grain="week")


def _grading(ds):
    k = grading.kpis(ds)
    standards = grading.load_standards(grading.SAMPLE_STANDARDS)
    return grading.grade(k, grading.PRESETS["balanced"], standards=standards,
                         current=grading.current_levels(ds)[0], lacks=ds.lacks())


def _stability(ds):
    return grading.stability(ds, grading.PRESETS["balanced"], (20.0, 40.0, 60.0, 80.0),
                             n_boot=N_BOOT, seed=0)


def _simulation_inputs():
    ds = company(N_REPS)
    return ds, default_targets(ds), default_levels(ds)


def _simulate(inp):
    ds, targets, levels = inp
    return simulate(plan(), ds, targets, n=N_SCENARIOS, levels=levels, workers=2)


def p90_interval(costs: np.ndarray) -> tuple[float, float, float]:
    """The P90 of `costs` and its distribution-free 95% interval (order statistics)."""
    x = np.sort(np.asarray(costs, dtype=float))
    n = len(x)
    half = 1.959963984540054 * math.sqrt(n * P90 * (1 - P90))  # z of 95%, binomial count
    lo, hi = max(0, math.floor(n * P90 - half) - 1), min(n - 1, math.ceil(n * P90 + half) - 1)
    return float(np.quantile(x, P90)), float(x[lo]), float(x[hi])


def _p90_quality(_inp, sim, _base) -> str:
    name = next(iter(sim.stats))
    p90, lo, hi = p90_interval(sim.stats[name]["cost"])
    return (f"P90 of the plan's cost {p90:,.0f}, 95% interval {lo:,.0f}–{hi:,.0f} "
            f"(±{(hi - lo) / 2 / p90:.1%} of it) from {N_SCENARIOS:,} scenarios")


def cases(quick: bool = False):
    if quick:
        return
    size = f"{N_REPS:,} reps x 36 months"
    common = dict(repeat=1, warmup=False, limit_s=GOAL_S)
    yield Case(goal="scale: targets end to end (plan_targets, weeks)", size=size,
               setup=lambda: company(N_REPS), run=_targets, **common)
    yield Case(goal="scale: grading (KPIs + written standards)", size=size,
               setup=lambda: company(N_REPS), run=_grading, **common)
    yield Case(goal="scale: grading stability (bootstrap levels)",
               size=f"{N_REPS:,} reps x {N_BOOT} resamples",
               setup=lambda: company(N_REPS), run=_stability, **common)
    yield Case(goal="scale: incentives simulate (plan cost and its P90)",
               size=f"{N_REPS:,} reps x {N_SCENARIOS:,} scenarios x 4 quarters",
               setup=_simulation_inputs, run=_simulate, quality=_p90_quality, **common)


def machine_memory_mb() -> float:
    """Physical memory of this machine in MB (Linux: sysconf)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def dataset_mb(n_reps: int = N_REPS) -> float:
    """The loaded dataset's own memory (roster, history, reviews; deep), in MB."""
    ds = company(n_reps)
    return sum(float(t.memory_usage(deep=True).sum())
               for t in (ds.roster, ds.history, ds.reviews)) / 2**20


def sections(results: list[Result], quick: bool = False) -> list[str]:
    """The RESULTS.md paragraph: the ceiling of one machine, with the arithmetic."""
    mine = [r for r in results if r.case.goal.startswith("scale:")]
    if not mine:
        return []
    ram, data = machine_memory_mb(), dataset_mb()
    rows = ["| step at 100,000 reps | time | per 1,000 reps | peak memory of the step | "
            "with the data, per 1,000 reps | reps in this machine's memory |",
            "| --- | --- | --- | --- | --- | --- |"]
    ceilings = []
    for r in mine:
        per_rep = (r.peak_mb + data) / N_REPS
        ceiling = ram / per_rep
        ceilings.append((ceiling, r))
        rows.append(f"| {r.case.goal.removeprefix('scale: ')} | {fmt_s(r.median_s)} | "
                    f"{fmt_s(r.median_s / N_REPS * 1_000)} | {r.peak_mb:,.0f} MB | "
                    f"{per_rep * 1_000:,.1f} MB | {ceiling:,.0f} |")
    ceiling, worst = min(ceilings, key=lambda c: c[0])
    per_rep = (worst.peak_mb + data) / N_REPS
    total = sum(r.median_s for r in mine)
    return [
        "## Scale: the largest sales force on one machine", "",
        f"Measured in this run at {N_REPS:,} reps (one run each, no warm-up), on "
        f"{os.cpu_count()} cores and {ram / 1024:,.0f} GB of memory. A step's peak is what "
        "tracemalloc sees while it runs (Python and numpy buffers); the loaded data it works "
        f"on takes {data:,.0f} MB more (its tables, deep).", "",
        *rows, "",
        f"Arithmetic: time and memory grow linearly with reps (compare the 10,000 and 50,000 "
        f"rows above), so a step's ceiling = machine memory / (its peak + the data) per rep. "
        f"The tightest is *{worst.case.goal.removeprefix('scale: ')}*: {ram:,.0f} MB / "
        f"({worst.peak_mb:,.0f} + {data:,.0f}) MB × {N_REPS:,} reps ≈ "
        f"**{ceiling:,.0f} reps**, leaving nothing for the system, so plan on about half "
        f"that. The four steps take {fmt_s(total)} together at {N_REPS:,} reps; time grows "
        f"linearly too, so at {ceiling / 2:,.0f} reps about "
        f"{total * ceiling / 2 / N_REPS / 60:,.0f} minutes. Each step's goal is "
        f"{fmt_s(GOAL_S)} at {N_REPS:,} reps: "
        f"{'all met' if all(r.passed for r in mine) else 'see the goals missed above'}.",
        "",
        f"One machine is enough for a sales force of up to about {ceiling / 2:,.0f} reps, "
        "field sales forces and most agent forces. Past that, the Monte Carlo is the step "
        "to spread: it already runs in chunks of "
        "scenarios with draws keyed by seed and rep, so chunks on an existing engine "
        "(dask.distributed) give the same numbers; targets and grading are one pass over "
        "the history each.",
        "",
    ]
