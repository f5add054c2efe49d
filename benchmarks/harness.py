"""Time and memory of an engine against a peer, measured in the same run.

The peer (`Case.peer` names it) is the library a user would otherwise pick, or the naive
loop written here when there is none; the table says which and how many times faster the
engine is (below 1x when it is slower).

Time is the median of `repeat` runs (after one warm-up); peak memory is taken in one
extra run under tracemalloc (numpy reports its buffers to it), so tracing never slows the
timed runs. A baseline too slow for the full size runs on a slice and is scaled linearly
by size; the table says so.
"""

from __future__ import annotations

import functools
import gc
import importlib.metadata
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NAIVE = "naive loop written here"


@dataclass
class Case:
    goal: str                      # what the issue asks, in words
    size: str                      # e.g. "50,000 reps x 36 months"
    setup: Callable[[], Any]       # builds the input, not timed
    run: Callable[[Any], Any]      # the engine
    baseline: Callable[[Any], Any] | None = None  # the naive version on the same input
    baseline_setup: Callable[[], Any] | None = None  # a smaller input for a slow baseline
    baseline_scale: float = 1.0    # full size / baseline size
    limit_s: float | None = None   # goal for the median time
    limit_mb: float | None = None  # goal for peak memory
    min_speedup: float | None = None
    repeat: int = 5
    warmup: bool = True            # one untimed run first (off for the slowest sizes)
    notes: str = ""
    # how good the answers are, in words, from (input, engine output, baseline output or
    # None when the baseline ran on a slice): the last timed runs' outputs, nothing rerun
    quality: Callable[[Any, Any, Any], str] | None = None
    # what the baseline is: a library and its version (`version`), or the loop written here
    peer: str = NAIVE


def version(dist: str) -> str:
    """The installed version of a distribution, as the results name a peer by."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


@dataclass
class Result:
    case: Case
    median_s: float
    runs_s: list[float]
    peak_mb: float
    baseline_s: float | None = None
    checks: list[str] = field(default_factory=list)

    @property
    def speedup(self) -> float | None:
        return self.baseline_s / self.median_s if self.baseline_s else None

    @property
    def passed(self) -> bool:
        c = self.case
        return ((c.limit_s is None or self.median_s <= c.limit_s)
                and (c.limit_mb is None or self.peak_mb <= c.limit_mb)
                and (c.min_speedup is None or (self.speedup or 0) >= c.min_speedup))


@functools.lru_cache(maxsize=8)
def company(n_reps: int, seed: int = 1):
    """The synthetic company at a size, built once per process (50,000 reps take ~15 s)."""
    from helpers import make_company

    return make_company(n_reps=n_reps, seed=seed)


def timed(fn: Callable[[], Any], repeat: int, warmup: bool = True) -> list[float]:
    if warmup:
        fn()  # warm-up: imports, caches, page faults
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def peak_memory_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(case: Case) -> Result:
    data = case.setup()
    out: dict[str, Any] = {}
    runs = timed(lambda: out.update(run=case.run(data)), case.repeat, case.warmup)
    result = Result(case, statistics.median(runs), runs, peak_memory_mb(lambda: case.run(data)))
    if case.baseline is not None:
        base_data = case.baseline_setup() if case.baseline_setup else data
        base_runs = timed(lambda: out.update(baseline=case.baseline(base_data)),
                          max(1, min(3, case.repeat)), case.warmup)
        result.baseline_s = statistics.median(base_runs) * case.baseline_scale
    if case.quality is not None:
        result.checks.append(case.quality(
            data, out["run"], None if case.baseline_setup else out.get("baseline")))
    return result


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_x(speedup: float | None) -> str:
    """A speed-up: whole numbers from 10x, two digits below (a slower engine shows 0.25x)."""
    if not speedup:
        return "–"
    return f"{speedup:,.0f}x" if speedup >= 10 else f"{speedup:.2g}x"


def table(results: list[Result]) -> str:
    rows = ["| goal | size | median | runs | peak memory | compared with | peer time "
            "| x faster than peer | target | ok |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        c = r.case
        target = ", ".join(t for t in (
            c.limit_s and f"<= {fmt_s(c.limit_s)}", c.limit_mb and f"<= {c.limit_mb:,.0f} MB",
            c.min_speedup and f">= {c.min_speedup:.0f}x") if t) or "–"
        base = fmt_s(r.baseline_s) + (" (scaled)" if c.baseline_scale != 1 and r.baseline_s
                                      else "")
        rows.append(
            f"| {c.goal} | {c.size} | {fmt_s(r.median_s)} | {len(r.runs_s)} | "
            f"{r.peak_mb:,.0f} MB | {c.peer if c.baseline else '–'} | {base} | "
            f"{fmt_x(r.speedup)} | {target} | "
            f"{'yes' if r.passed else '**no**'} |")
    return "\n".join(rows)
