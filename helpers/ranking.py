"""Average ranks along rows, the one ranking rule of the workbook (grading and Monte Carlo)."""

from __future__ import annotations

import numpy as np

SAME = 1e-12
"""Relative gap under which two numbers are the same score: float noise from the order of a
sum (3 - x + 3 - x against 6 - 2x) must never decide who ranks first."""

_PACK_MAX = 1 << 24  # rows up to this long sort as packed floats (see _order_rows)
_BIG = np.finfo(np.float64).max


def rank_rows(x: np.ndarray, rtol: float = 0.0) -> np.ndarray:
    """Ranks 1..n along the last axis, ties sharing their average rank (as scipy's rankdata).

    Vectorised over rows: one sort, then each tie group's first position and size. Values
    within `rtol` (relative) of their neighbour in sorted order tie; rtol=0 is exact. The
    order within a tie group does not matter, so the sort need not be stable.

    Parameters
    ----------
    x : numpy.ndarray
        Scores, ranked along the last axis (any number of leading axes).
    rtol : float, default 0.0
        Relative gap under which neighbours tie (`SAME` for float noise); 0 ties only
        equal values.

    Returns
    -------
    numpy.ndarray
        Float ranks from 1 (lowest) to n, the shape of `x`; ties share their average rank.
    """
    x = np.asarray(x, dtype=float)
    shape = x.shape
    x = x.reshape(-1, shape[-1]) if x.ndim != 2 else x
    s, n = x.shape
    if s * n == 0:
        return np.empty(shape)
    order, ordered = _order_rows(x)
    starts = np.ones((s, n), dtype=bool)
    if rtol > 0:
        with np.errstate(invalid="ignore"):  # inf - inf is nan: equal infinities tie below
            gap = ordered[:, 1:] - ordered[:, :-1]  # sorted: >= 0 (or nan)
            close = np.abs(ordered[:, 1:])
            close *= rtol
            close = gap <= close
            close &= np.isfinite(gap)
        close |= ordered[:, 1:] == ordered[:, :-1]
        np.logical_not(close, out=starts[:, 1:])
    else:
        np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    order += (np.arange(s) * n)[:, None]
    ranks = np.empty(s * n)
    if starts.all():  # no ties: the rank is the position
        ranks[order.ravel()] = np.tile(np.arange(1.0, n + 1), s)
        return ranks.reshape(shape)
    starts = starts.ravel()
    first = np.flatnonzero(starts)  # tie groups, row after row (a row starts a group)
    mid = first % n + (np.diff(first, append=s * n) + 1) / 2  # (first + last) / 2 + 1
    group = np.cumsum(starts)
    group -= 1
    ranks[order.ravel()] = np.take(mid, group)
    return ranks.reshape(shape)


def _order_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ascending order (ties in any order) and the sorted values, exactly.

    argsort is 3x slower than sorting floats, so the row position rides in the low bits
    of each value (its low mantissa bits cleared: the order of the cleared values is the
    order of the values, up to ties among values that share their high bits) and one
    float sort brings the positions along; the rare runs sharing high bits whose values
    came out of order are then sorted exactly. A row with a NaN falls back to argsort.
    """
    s, n = x.shape
    if n > _PACK_MAX or np.isnan(x).any():
        order = np.argsort(x, axis=1)
        return order, _gather(x, order)
    low = np.uint64((1 << max(1, (n - 1).bit_length())) - 1)
    key = np.clip(x, -_BIG, _BIG)  # infinities share the top run with the largest floats
    bits = key.view(np.uint64)
    bits &= ~low
    bits |= np.arange(n, dtype=np.uint64)
    key.sort(axis=1)
    order = (bits & low).view(np.intp)
    ordered = _gather(x, order)
    bits &= ~low
    same = bits[:, 1:] == bits[:, :-1]
    if (same & (ordered[:, 1:] < ordered[:, :-1])).any():
        _sort_runs(order, ordered, same)
    return order, ordered


def _gather(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """x[i, order[i, j]] for every row i: a flat take, faster than take_along_axis."""
    s, n = x.shape
    return np.take(x.ravel(), (order + (np.arange(s) * n)[:, None]).ravel()).reshape(s, n)


def _sort_runs(order: np.ndarray, ordered: np.ndarray, same: np.ndarray) -> None:
    """Sort (in place) the runs of slots sharing high bits whose values came out of order,
    row by row (only rows with such a run: float-noise near-ties, a few per block).
    """
    wrong = same & (ordered[:, 1:] < ordered[:, :-1])
    for row in np.flatnonzero(wrong.any(axis=1)):
        run = np.cumsum(np.concatenate(([True], ~same[row])))  # run number of each slot
        bad = np.zeros(run[-1] + 1, dtype=bool)
        bad[run[1:][wrong[row]]] = True
        slots = np.flatnonzero(bad[run])  # runs are in order: sorting their slots sorts each
        resort = slots[np.argsort(ordered[row, slots], kind="stable")]
        order[row, slots] = order[row, resort]
        ordered[row, slots] = ordered[row, resort]
