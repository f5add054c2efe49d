"""Results kept per dataset while its tables are unchanged: the fits a notebook asks for often.

A notebook fits the same ramp, market model and run-rates many times (the targets, the
outlook, each simulation, each price the budget solver tries). `remembered` keeps a
result per dataset (weakly: it goes when the dataset goes) under a fingerprint of the
dataset's tables and the call's own inputs, so a table changed in place is computed again,
never served stale; each caller gets its own deep copy, so changing a result changes no
one else's.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd

from .data import Dataset

T = TypeVar("T")
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Dataset -> (stamp, results)


def fingerprint(*frames: pd.DataFrame | pd.Series) -> tuple:
    """Shape, columns and a hash of every value of each frame: equal when the data is.

    Parameters
    ----------
    *frames : pandas.DataFrame or pandas.Series
        The tables a result depends on.

    Returns
    -------
    tuple
        Hashable; it changes when any value, row or column changes.
    """
    out = []
    for frame in frames:
        columns = tuple(frame.columns) if isinstance(frame, pd.DataFrame) else (frame.name,)
        out += [frame.shape, columns, tuple(frame.index.names),
                int(pd.util.hash_pandas_object(frame, index=True).sum())]
    return tuple(out)


def remembered(ds: Dataset, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` once per dataset, `key` and content of the dataset's tables.

    Parameters
    ----------
    ds : Dataset
        The dataset the result is computed from.
    key : hashable
        What else the result depends on (the function's name and its other arguments).
    compute : callable
        Computes the result from `ds` (and what `key` names).

    Returns
    -------
    object
        A deep copy of the kept result.
    """
    stamp = fingerprint(ds.roster, ds.history, ds.reviews)
    entry = _KEPT.get(ds)
    if entry is None or entry[0] != stamp:  # new, or a table changed in place: start afresh
        entry = _KEPT[ds] = (stamp, {})
    results = entry[1]
    if key not in results:
        results[key] = compute()
    return copy.deepcopy(results[key])

__all__ = ["fingerprint", "remembered"]
