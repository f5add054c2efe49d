"""Loading and validating history: the contract's parser against a row-by-row check."""

from __future__ import annotations

import functools

import pandas as pd

from helpers.data import validate
from helpers.schema import HISTORY

from .harness import Case, company


@functools.lru_cache(maxsize=1)  # the engine and the baseline slice read the same frame
def _raw_history(n_reps: int) -> pd.DataFrame:
    """History as a CSV export would give it: every value text."""
    h = company(n_reps).history
    raw = h.astype(str)
    raw["month"] = h["month"].dt.strftime("%Y-%m-%d")
    return raw


def _row_by_row(raw: pd.DataFrame) -> int:
    """The naive validator: one Python call per row and column."""
    bad = 0
    for row in raw.itertuples(index=False):
        for value in (row.revenue, row.deals_won, row.csat):
            try:
                if float(value) < 0:
                    bad += 1
            except ValueError:
                bad += 1
        pd.Timestamp(row.month)
    return bad


def cases(quick: bool = False):
    sizes = (100, 1_000) if quick else (100, 1_000, 10_000, 50_000)
    for n in sizes:
        rows = n * 36
        slice_rows = min(rows, 36_000)
        yield Case(
            goal="validate history (parse + range checks)", size=f"{n:,} reps x 36 months",
            setup=lambda n=n: _raw_history(n), run=lambda raw: validate(raw, HISTORY),
            baseline=_row_by_row,
            baseline_setup=lambda n=n, s=slice_rows: _raw_history(n).iloc[:s],
            baseline_scale=rows / slice_rows, repeat=3 if n >= 10_000 else 5,
        )

