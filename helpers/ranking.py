"""Average ranks along rows, the one ranking rule of the workbook (grading and Monte Carlo)."""

from __future__ import annotations

import numpy as np

SAME = 1e-12
"""Relative gap under which two numbers are the same score: float noise from the order of a
sum (3 - x + 3 - x against 6 - 2x) must never decide who ranks first."""

_PACK_MAX = 1 << 24  # rows up to this long sort as packed floats (see _order_rows)
_BIG = np.finfo(np.float64).max
_DENSE = 0.25  # above this share of neighbours sharing high bits, check every link


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
    x = np.ascontiguousarray(x.reshape(-1, shape[-1]) if x.ndim != 2 else x)
    s, n = x.shape
    if s * n == 0:
        return np.empty(shape)
    flat = x.ravel()
    src, near, ordered = _order_rows(x, rtol)  # src: flat index of each sorted slot
    ranks = np.empty(s * n)
    pos = np.tile(np.arange(1.0, n + 1), s)  # without ties the rank is the position
    if ordered is not None:  # many links may tie (whole numbers): check them all at once
        starts = np.ones((s, n), dtype=bool)  # a slot that does not tie with the one before
        np.logical_not(_close(ordered[:, :-1], ordered[:, 1:], rtol), out=starts[:, 1:])
        starts = starts.ravel()
        first = np.flatnonzero(starts)  # tie groups, row after row (a row starts a group)
        if first.size < s * n:
            mid = first % n + (np.diff(first, append=s * n) + 1) / 2  # (first + last) / 2 + 1
            group = np.cumsum(starts)
            group -= 1
            pos = np.take(mid, group)
    elif near.size:  # a few links may tie: check those only
        e = near[_close(flat[src[near]], flat[src[near + 1]], rtol)]  # slot e ties with e + 1
        if e.size:
            new = np.empty(e.size, dtype=bool)  # a run of tied links is one group
            new[0] = True
            np.not_equal(np.diff(e), 1, out=new[1:])
            run = np.cumsum(new)
            run -= 1
            first = e[new]
            last = e[np.append(new[1:], True)] + 1
            mid = (first + last) / 2 - first // n * n + 1
            pos[e] = mid[run]
            pos[e + 1] = mid[run]
    ranks[src] = pos
    return ranks.reshape(shape)


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    """Neighbours a <= b tie: equal, or within rtol of b (never across an infinity)."""
    if rtol <= 0:
        return a == b
    with np.errstate(invalid="ignore"):  # inf - inf is nan: equal infinities tie below
        gap = b - a
        close = np.abs(b)
        close *= rtol
        close = gap <= close
        close &= np.isfinite(gap)
    close |= a == b
    return close


def _order_rows(x: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each row's exact ascending order as flat indices into x; the sorted slots e (flat,
    s x n) whose link to slot e + 1 may tie (every link that does is among them); and the
    sorted values (s, n) when many values repeat, every link then checked (else None).

    argsort is 3x slower than sorting floats, so the row position rides in the low bits
    of each value (its low mantissa bits cleared: the order of the cleared values is the
    order of the values, up to values that share their high bits) and one float sort
    brings the positions along. Only values sharing their high bits can come out of
    order: those runs are sorted exactly. Neighbours whose cleared values are further
    apart than the tolerance and the cleared bits allow cannot tie; the others are the
    links returned. A row with a NaN (or longer than _PACK_MAX) falls back to argsort,
    every link checked.
    """
    s, n = x.shape
    rows = (np.arange(s) * n)[:, None]
    if n > _PACK_MAX or np.isnan(x).any():
        order = np.argsort(x, axis=1)
        order += rows
        src = order.ravel()
        return src, np.empty(0, dtype=np.intp), x.ravel()[src].reshape(s, n)
    width = max(1, (n - 1).bit_length())
    low = np.uint64((1 << width) - 1)
    key = np.clip(x, -_BIG, _BIG)  # infinities share the top run with the largest floats
    bits = key.view(np.uint64)
    bits &= ~low
    bits |= np.arange(n, dtype=np.uint64)
    key.sort(axis=1)
    order = (bits & low).view(np.intp)
    order += rows
    bits &= ~low  # key: the cleared values, ascending
    src = order.ravel()
    flat = x.ravel()
    if _DENSE * s * n < np.count_nonzero(key[:, 1:] == key[:, :-1]):
        # many repeated values (whole numbers, float noise): gather every value once, sort
        # the runs that came out of order, check every link
        ordered = flat[src].reshape(s, n)
        wrong = ordered[:, 1:] < ordered[:, :-1]  # only within runs of equal cleared values
        if wrong.any():
            _sort_row_runs(order, ordered, key[:, 1:] == key[:, :-1], wrong)
        return src, np.empty(0, dtype=np.intp), ordered
    # a cleared value is within 2**(width - 52) (relative) of its value, so neighbours
    # that tie (or share their high bits) have cleared values within this bound
    bound = np.abs(key[:, 1:])
    bound *= 2 * (rtol + 2.0 ** (width - 52))
    bound += 2.0 ** (width + 1 - 1074)  # subnormals: the cleared bits are absolute there
    with np.errstate(over="ignore"):  # -max to max overflows to inf: far apart, as meant
        may = key[:, 1:] - key[:, :-1] <= bound
    near = np.flatnonzero(may)
    near += near // (n - 1) if n > 1 else 0  # (s, n - 1) links -> flat slots
    if near.size:
        wrong = flat[src[near + 1]] < flat[src[near]]
        if wrong.any():
            _sort_runs(src, flat, n, near, wrong)
    return src, near, None


def _sort_runs(src: np.ndarray, flat: np.ndarray, n: int, near: np.ndarray,
               wrong: np.ndarray) -> None:
    """Sort exactly (in place) the runs of linked slots with a pair out of order (values
    sharing their high bits: float-noise near-ties). Runs of a row are apart in value, so
    one argsort per row of all its slots to sort, NaN-padded to the longest, sorts them.
    """
    new = np.empty(near.size, dtype=bool)
    new[0] = True
    np.not_equal(np.diff(near), 1, out=new[1:])
    run = np.cumsum(new)
    run -= 1
    bad = np.zeros(run[-1] + 1, dtype=bool)
    bad[run[wrong]] = True
    first = near[new][bad]  # first and last slot of each run to sort
    size = near[np.append(new[1:], True)][bad] + 2 - first
    start = np.cumsum(size) - size
    slots = np.arange(size.sum()) - np.repeat(start - first, size)
    row, count = np.unique(slots // n, return_counts=True)
    at = np.cumsum(count) - count  # first of each row's slots in `slots`
    col = np.arange(slots.size) - np.repeat(at, count)
    which = np.repeat(np.arange(row.size), count)
    moved = src[slots]
    values = np.full((row.size, count.max()), np.nan)  # NaN sorts last
    values[which, col] = flat[moved]
    by = np.argsort(values, axis=1)
    by += at[:, None]
    src[slots] = moved[by[which, col]]


def _sort_row_runs(order: np.ndarray, ordered: np.ndarray, same: np.ndarray,
                   wrong: np.ndarray) -> None:
    """Sort (in place) the runs of slots sharing high bits whose values came out of order,
    row by row (only rows with such a run; a dense block has few rows, many runs).
    """
    for row in np.flatnonzero(wrong.any(axis=1)):
        run = np.cumsum(np.concatenate(([True], ~same[row])))  # run number of each slot
        bad = np.zeros(run[-1] + 1, dtype=bool)
        bad[run[1:][wrong[row]]] = True
        slots = np.flatnonzero(bad[run])  # runs are in order: sorting their slots sorts each
        resort = slots[np.argsort(ordered[row, slots], kind="stable")]
        order[row, slots] = order[row, resort]
        ordered[row, slots] = ordered[row, resort]
