"""Normalisation (each KPI on one 0..1 'higher is better' scale) and the composite score."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..errors import GradingError
from ..ranking import SAME, rank_rows
from .kpi import DIRECTIONS, VOLUME_KPIS

Scale = Literal["percentile", "zscore", "minmax", "robust"]
METHODS: tuple[str, ...] = get_args(Scale)  # the scales, as the widgets list them


# ---------------------------------------------------------------------------- normalise


def _scale(x: np.ndarray, method: str) -> np.ndarray:
    """Put `x` (higher is better) on 0..1 along the last axis; NaN stays NaN."""
    valid = ~np.isnan(x)
    n = valid.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "percentile":
            whole = bool(valid.all())  # nothing missing: skip the masking (the bootstrap's case)
            rank = rank_rows(x if whole else np.where(valid, x, np.inf), rtol=SAME)
            rank -= 0.5  # ties share the mid-rank
            rank /= n
            if whole:
                return rank
            out = rank
        elif method == "minmax":
            lo = np.where(valid, x, np.inf).min(axis=-1, keepdims=True)
            hi = np.where(valid, x, -np.inf).max(axis=-1, keepdims=True)
            out = np.where(hi > lo, (x - lo) / (hi - lo), 0.5)
        else:  # z-scores are squashed through the normal CDF so one outlier cannot dominate
            if method == "zscore":
                centre = np.where(valid, x, 0).sum(axis=-1, keepdims=True) / np.maximum(n, 1)
                spread = np.sqrt((np.where(valid, x - centre, 0) ** 2).sum(axis=-1, keepdims=True)
                                 / np.maximum(n, 1))
            else:
                centre = _nanmedian(x)
                spread = 1.4826 * _nanmedian(np.abs(x - centre))
            out = ndtr(np.where(spread > 0, (x - centre) / spread, 0.0))
    return np.where(valid, out, np.nan)


def _nanmedian(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():  # all-NaN rows warn; they stay NaN, which is meant
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=-1, keepdims=True)


def normalize_arrays(values: Mapping[str, np.ndarray], method: str,
                     directions: Mapping[str, int], groups: np.ndarray | None = None,
                     potential: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """`normalize` on arrays: each KPI (n_reps,) or (n_boot, n_reps) on 0..1 along reps.

    The vectorised core of `normalize`, public so `stability` (and its benchmark) can scale
    a whole batch of resamples at once. It checks nothing: `normalize` checks the method
    and directions, and `groups` / `potential` are per-rep arrays as `normalize` makes them.

    Parameters
    ----------
    values : mapping of str to numpy.ndarray
        KPI name -> values, (n_reps,) or (n_boot, n_reps).
    method : str
        One of `METHODS` ('percentile', 'zscore', 'minmax', 'robust').
    directions : mapping of str to int
        +1 where higher is better, -1 where lower is.
    groups : numpy.ndarray, optional
        Peer-group code per rep: each group is scaled on its own.
    potential : numpy.ndarray, optional
        Relative territory potential per rep; volume KPIs are divided by it.

    Returns
    -------
    dict of str to numpy.ndarray
        KPI name -> scaled values in 0..1, the shape given.
    """
    out = {}
    for name, x in values.items():
        x = np.asarray(x, dtype=float)
        if directions[name] != 1:
            x = x * directions[name]
        if potential is not None and name in VOLUME_KPIS:
            x = x / potential
        if groups is None:
            out[name] = _scale(x, method)
        else:
            scaled = np.empty_like(x)
            for g in np.unique(groups):  # a handful of regions/teams, never reps
                mask = groups == g
                scaled[..., mask] = _scale(x[..., mask], method)
            out[name] = scaled
    return out


def _align(series, index: pd.Index, key: str) -> np.ndarray:
    series = pd.Series(series)
    missing = index.difference(series.index)
    if len(missing):
        raise GradingError(f"{key}: no value for rep(s) {', '.join(map(str, missing[:5]))}")
    return series.reindex(index).to_numpy()


def _context(by, territory, index: pd.Index) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Peer group per rep and relative territory potential (1 = average), checked."""
    groups = None if by is None else _align(by, index, f"by ({by.name})").astype(str)
    potential = None
    if territory is not None:
        potential = _align(territory, index, "territory").astype(float)
        if not (potential > 0).all():
            bad = index[~(potential > 0)][:5]
            raise GradingError(f"territory: potential must be > 0 (rep(s) "
                               f"{', '.join(map(str, bad))})")
        potential = potential / potential.mean()
    return groups, potential


def normalize(kpis: pd.DataFrame, method: Scale = "percentile", *,
              by: pd.Series | None = None, directions: Mapping[str, int] | None = None,
              territory: pd.Series | None = None) -> pd.DataFrame:
    """Each KPI on a 0..1 'higher is better' scale, so weights compare like with like.

    percentile: mid-rank / n (robust, uniform); minmax: (x - min) / (max - min);
    zscore / robust: normal CDF of (x - mean) / sd or (x - median) / (1.4826 MAD), so all
    methods share the 0..1 scale of the composite. Lower-is-better KPIs are flipped.
    `by` (rep -> group, e.g. region) ranks reps within their group; `territory`
    (rep -> territory potential) divides volume KPIs by the rep's relative potential, so a
    rep in a poor territory is not graded down for its size. Missing values stay NaN.

    Parameters
    ----------
    kpis : pandas.DataFrame
        KPIs per rep; only columns named in `directions` are used.
    method : {"percentile", "zscore", "minmax", "robust"}, default "percentile"
        The scale (see `METHODS`).
    by : pandas.Series, optional
        Rep -> peer group; reps are scaled within their group.
    directions : Mapping[str, int], optional
        KPI -> +1 (higher is better) or -1; default `DIRECTIONS`.
    territory : pandas.Series, optional
        Rep -> territory potential (> 0), dividing the volume KPIs.

    Returns
    -------
    pandas.DataFrame
        The KPI columns on 0..1, same index as `kpis`; missing values stay NaN.

    Raises
    ------
    GradingError
        On an unknown method, no KPI column, a direction other than +1/-1, a rep with no
        `by` or `territory` value, or a potential <= 0.
    """
    directions = dict(DIRECTIONS if directions is None else directions)
    if method not in METHODS:
        raise GradingError(f"method={method!r}: expected one of {', '.join(METHODS)}")
    columns = [c for c in kpis.columns if c in directions]
    if not columns:
        raise GradingError(f"kpis: none of the KPI columns {', '.join(directions)} found")
    for name, sign in directions.items():
        if sign not in (1, -1):
            raise GradingError(f"directions[{name!r}]={sign!r}: expected 1 or -1")
    groups, potential = _context(by, territory, kpis.index)
    values = {c: kpis[c].to_numpy(dtype=float) for c in columns}
    return pd.DataFrame(normalize_arrays(values, method, directions, groups, potential),
                        index=kpis.index)


# ---------------------------------------------------------------------------- composite


def check_weights(weights: Mapping[str, float], columns: Sequence[str]) -> pd.Series:
    """Weights as a Series over `columns`, or GradingError naming the bad key.

    Parameters
    ----------
    weights : Mapping[str, float]
        KPI name -> weight.
    columns : Sequence[str]
        The KPI columns the weights may name.

    Returns
    -------
    pandas.Series
        The weights over `columns`, 0 for a column not weighted.

    Raises
    ------
    GradingError
        When a key is not in `columns`, a weight is negative or NaN, or they do not sum to 1.
    """
    weights = pd.Series(weights, dtype=float)
    unknown = [k for k in weights.index if k not in columns]
    if unknown:
        raise GradingError(f"weights[{unknown[0]!r}]: not a KPI here "
                           f"(expected some of {', '.join(columns)})")
    bad = weights[~(weights >= 0)]
    if len(bad):
        raise GradingError(f"weights[{bad.index[0]!r}]={bad.iloc[0]:g}: weights must be >= 0")
    if not np.isclose(weights.sum(), 1.0, atol=1e-6):
        raise GradingError(f"weights: sum to {weights.sum():.4g}, expected 1 "
                           f"({', '.join(f'{k}={v:g}' for k, v in weights.items())})")
    return weights.reindex(list(columns), fill_value=0.0)


def effective_weights(weights: Mapping[str, float]) -> pd.Series:
    """The weights as they act: each divided by their sum (0.6 and 0.6 act as 0.5 and
    0.5), so a panel can show what grading uses next to sliders that need not add up.

    Parameters
    ----------
    weights : Mapping[str, float]
        KPI name -> raw weight (a slider's value), each >= 0.

    Returns
    -------
    pandas.Series
        KPI name -> weight, summing to 1, in the order given.

    Raises
    ------
    GradingError
        When a weight is negative or not a number, or every weight is 0 (there is no
        share to take: equal weights would be a choice the sliders do not show).
    """
    raw = pd.Series(weights, dtype=float)
    bad = raw[~(raw >= 0)]
    if len(bad):
        raise GradingError(f"weights[{bad.index[0]!r}]={bad.iloc[0]:g}: weights must be >= 0")
    total = raw.sum()
    if not total > 0:
        raise GradingError("weights: every weight is 0; give at least one KPI a weight "
                           "(the levels shown are cleared until then)")
    return raw / total


def composite_arrays(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """100 * weighted mean over the KPIs a rep has: values (k, ..., n), w (..., k).

    The vectorised core of `composite` (NaN where a rep has no weighted KPI), public so
    `stability` (and its benchmark) can score many resamples or weightings at once. The
    KPIs are added one after the other, element by element: a rep's score is the same
    whatever else is in the batch, and no BLAS threads spin (a matrix product here made
    the bootstrap's CPU time grow with its blocks on a busy machine).

    Parameters
    ----------
    values : numpy.ndarray
        Normalised KPIs, (k, ..., n): KPI first, rep last; NaN where a rep lacks one.
    w : numpy.ndarray
        Weights, (..., k): KPI last.

    Returns
    -------
    numpy.ndarray
        Scores 0..100, NaN where a rep has no weighted KPI.
    """
    values = np.asarray(values, dtype=float)
    w = np.asarray(w, dtype=float)
    lead, rest = w.shape[:-1], values.shape[1:]
    w = w.reshape(lead + (1,) * len(rest) + w.shape[-1:])  # weight j of each weighting
    gaps = bool(np.isnan(values).any())
    num = np.zeros(lead + rest)
    den = np.zeros(lead + rest) if gaps else np.zeros(lead + (1,) * len(rest))
    for j, v in enumerate(values):
        if gaps:
            have = ~np.isnan(v)
            num += w[..., j] * np.where(have, v, 0.0)
            den += w[..., j] * have
        else:
            num += w[..., j] * v
            den += w[..., j]
    num *= 100
    with np.errstate(invalid="ignore", divide="ignore"):
        num /= den
    return num


def composite(normalized: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Score 0..100: the weighted mean of normalised KPIs (a missing KPI's weight is spread).

    Weights must be non-negative and sum to 1; a rep with no data on any weighted KPI
    is an error rather than a silent zero.

    Parameters
    ----------
    normalized : pandas.DataFrame
        KPIs on 0..1, from `normalize`.
    weights : Mapping[str, float]
        KPI name -> weight, non-negative and summing to 1.

    Returns
    -------
    pandas.Series
        The score per rep, 0..100, named "score".

    Raises
    ------
    GradingError
        On bad weights (see `check_weights`) or a rep with no value for any weighted KPI.
    """
    w = check_weights(weights, list(normalized.columns))
    score = composite_arrays(normalized.to_numpy(dtype=float).T, w.to_numpy())
    if np.isnan(score).any():
        reps = normalized.index[np.isnan(score)]
        raise GradingError(f"weights: rep(s) {', '.join(map(str, reps[:5]))} have no value "
                           f"for any weighted KPI ({', '.join(w.index[w > 0])})")
    return pd.Series(score, index=normalized.index, name="score")
