"""Safe division, one rule per name: what a ratio is when there is nothing to divide by;
and the NaN-skipping median the robust fits repeat many times.

Two rules live in the workbook and each has its own function, so a call site says which it
means. A denominator that is not positive (zero, negative or NaN) has no ratio:

- `divide_or_nan`: the ratio is unknown (NaN), so medians, means and charts skip it
  (targets: a season index, a run rate, the growth a target asks for);
- `divide_or_zero`: the ratio counts as 0 (incentives: attainment with no target earns
  nothing), in the numerator's dtype, so the float32 engine stays float32.

Neither warns: numpy's divide-by-zero RuntimeWarnings never reach a report.
"""

from __future__ import annotations

import numpy as np


def divide_or_nan(a, b) -> np.ndarray:
    """`a / b` where b > 0; NaN where b is zero, negative or NaN. A NaN in `a` stays NaN.

    Parameters
    ----------
    a : array_like
        Numerators.
    b : array_like
        Denominators, broadcast against `a`.

    Returns
    -------
    numpy.ndarray
        The ratios, float, NaN where there is no ratio.
    """
    b = np.asarray(b)
    ok = b > 0
    with np.errstate(divide="ignore", invalid="ignore"):  # inf / inf in `a` is NaN anyway
        return np.where(ok, np.asarray(a) / np.where(ok, b, 1), np.nan)


def divide_or_zero(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a / b` where b > 0; 0 where b is zero, negative or NaN. In `a`'s dtype.

    Computed as a * (1 / b): one reciprocal of the (usually much smaller) denominator, then
    a multiply that broadcasts, so the result may differ from a / b in the last bit.

    Parameters
    ----------
    a : numpy.ndarray
        Numerators; their dtype is the result's.
    b : numpy.ndarray
        Denominators, broadcast against `a`.

    Returns
    -------
    numpy.ndarray
        The ratios in `a`'s dtype, 0 where there is no ratio.
    """
    b = np.asarray(b)
    inv = np.divide(1, b, out=np.zeros(b.shape, dtype=b.dtype), where=b > 0)
    return (a * inv).astype(a.dtype, copy=False)


def nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """`np.nanmedian(a, axis)` without its per-call overhead or its all-NaN warning.

    numpy routes small arrays through masked arrays (~1 ms a call); a median polish calls
    it a hundred times. Here one sort puts NaN last and the middle of the rest is read off.
    An all-NaN slice gives NaN.

    Parameters
    ----------
    a : numpy.ndarray
        Values, NaN for missing.
    axis : int
        The axis to take the median along (removed from the result).

    Returns
    -------
    numpy.ndarray
        The medians, float.
    """
    a = np.sort(np.asarray(a, dtype="float64"), axis=axis)
    if a.shape[axis] == 0:
        return np.full(np.delete(a.shape, axis), np.nan)
    n = np.expand_dims((~np.isnan(a)).sum(axis=axis), axis)
    low = np.take_along_axis(a, np.maximum(n - 1, 0) // 2, axis)
    high = np.take_along_axis(a, np.minimum(n // 2, a.shape[axis] - 1), axis)
    return np.squeeze(np.where(n > 0, (low + high) / 2, np.nan), axis)
