"""Level stability (issue 4): the vectorised bootstrap against a loop over resamples.

Both draw the same months from each rep's keyed stream (one resample at a time in the
loop, in blocks in the engine), add count x month in month order, and score each resample the same
way (KPIs, percentile normalisation, weighted composite, fixed cut lines), so they give the
same probabilities (see tests/test_benchmarks.py). The loop is vectorised over reps, like any
sane per-sample version: it is the resample loop the engine removes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers import streams
from helpers.grading import (
    DIRECTIONS,
    DRAWS_PER_WORD,
    LEVELS,
    PRESETS,
    WORDS_PER_RESAMPLE,
    check_weights,
    composite_arrays,
    kpi_arrays,
    levels_of,
    monthly_parts,
    normalize_arrays,
    stability,
)

from .harness import Case, company

GOAL_S = {(1_000, 1_000): 10.0, (10_000, 1_000): 5.0}  # (reps, resamples) -> seconds (issue 14)
CUTS = (20.0, 40.0, 60.0, 80.0)
WEIGHTS = PRESETS["balanced"]


@dataclass
class Inputs:
    ds: object
    n_boot: int
    seed: int = 0


def engine(inp: Inputs) -> pd.DataFrame:
    return stability(inp.ds, WEIGHTS, CUTS, n_boot=inp.n_boot, seed=inp.seed).probabilities


def loop(inp: Inputs) -> pd.DataFrame:
    """One resample at a time: draw each rep's months, then KPIs -> scores -> levels."""
    data = monthly_parts(inp.ds)
    names = list(DIRECTIONS)
    w = check_weights(WEIGHTS, names).to_numpy()
    n, m = data.parts["revenue"].shape
    keys = streams.rep_keys(data.reps, inp.ds.roster.set_index("rep_id"), inp.seed)
    drawn = np.arange(m)[:, None] < data.months[None, :]  # (m, n): slots a rep draws
    counts = np.zeros((n, len(LEVELS)))
    rows = np.arange(n)
    for t in range(inp.n_boot):  # the same keyed draws as the engine, one resample at a time
        words = streams.words(keys, t * WORDS_PER_RESAMPLE + np.arange(WORDS_PER_RESAMPLE))
        bits = [(word >> np.uint64(16 * k)) & np.uint64(0xFFFF)  # draw j: 16 bits of a word
                for word in words for k in range(DRAWS_PER_WORD)][:m]
        pick = ((np.array(bits) * data.months.astype(np.uint64)) >> np.uint64(16)).astype(np.int64)
        cells = (rows * m + pick)[drawn]
        draws = np.bincount(cells, minlength=n * m).reshape(n, m).astype(float)
        # count x month, added in month order (a running sum adds one month at a time)
        sums = {c: np.cumsum(draws * part, axis=1)[:, -1] for c, part in data.parts.items()}
        values = kpi_arrays(sums, data.months, data)
        scaled = normalize_arrays(values, "percentile", DIRECTIONS, None, None)
        score = composite_arrays(np.stack([scaled[k] for k in names]), w)
        counts[rows, levels_of(score, CUTS)] += 1
    return pd.DataFrame(counts / inp.n_boot, index=data.reps, columns=list(LEVELS))


def cases(quick: bool = False):
    plan = ((100, 100, 100), (300, 100, 100)) if quick else (
        (100, 1_000, 1_000), (1_000, 1_000, 1_000), (10_000, 1_000, 50), (50_000, 100, 20))
    for n, n_boot, base_boot in plan:
        yield Case(
            goal="grading: stability (bootstrap levels)",
            size=f"{n:,} reps x {n_boot:,} resamples",
            setup=lambda n=n, b=n_boot: Inputs(company(n), b), run=engine,
            baseline=loop, baseline_setup=lambda n=n, b=base_boot: Inputs(company(n), b),
            baseline_scale=n_boot / base_boot,
            limit_s=GOAL_S.get((n, n_boot)),
            repeat=5 if n <= 1_000 else 2, warmup=n <= 1_000,
            notes=("loop over resamples (each vectorised over reps) "
                   + (f"on {base_boot:,} resamples, scaled x{n_boot / base_boot:g}"
                      if base_boot < n_boot else "at full size")
                   + ("; fewer resamples at this size to keep `make bench` short (time "
                      "grows linearly with resamples)" if n_boot < 1_000 else "")),
        )
