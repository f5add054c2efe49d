"""Where classes of scores break: natural breaks (Fisher-Jenks), exact 1-D k-means, a
Gaussian mixture, a forced distribution, and the goodness of variance fit (GVF).

Plain arrays in, cut lines or labels out; `levels.thresholds` picks one by name.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import GradingError


def levels_of(scores, cutoffs: Sequence[float]) -> np.ndarray:
    """Level index of each score: how many cut lines it reaches.

    Parameters
    ----------
    scores : array_like
        The scores.
    cutoffs : Sequence[float]
        Increasing cut lines; a score equal to a line reaches it.

    Returns
    -------
    numpy.ndarray
        The level index (0 .. len(cutoffs)) of each score.
    """
    return np.searchsorted(np.asarray(cutoffs, dtype=float), np.asarray(scores, dtype=float),
                           side="right")


def gvf(values, cutoffs: Sequence[float]) -> float:
    """Goodness of variance fit of the classes the cut lines make (1 = classes are tight).

    Parameters
    ----------
    values : array_like
        The scores.
    cutoffs : Sequence[float]
        Increasing cut lines making the classes.

    Returns
    -------
    float
        1 - within-class / total sum of squares; 1.0 when all values are equal.
    """
    x = np.asarray(values, dtype=float)
    total = ((x - x.mean()) ** 2).sum()
    if total == 0:
        return 1.0
    cls = levels_of(x, cutoffs)
    sums = np.bincount(cls, weights=x)
    counts = np.bincount(cls)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return float(1 - ((x - means[cls]) ** 2).sum() / total)


def natural_breaks(values, k: int) -> list[float]:
    """Exact Fisher-Jenks breaks: [min, upper bound of class 1, ..., max] (as jenkspy).

    Fisher's dynamic programme over the sorted values minimises the within-class sum of
    squares exactly. It follows jenkspy's arithmetic (sums accumulated from each class's
    end, ties resolved towards the longer last class), so the breaks are identical, not
    just equally good; each end point is one vectorised step over all class starts.

    Parameters
    ----------
    values : array_like
        The scores.
    k : int
        Number of classes, 1 .. the number of distinct values.

    Returns
    -------
    list of float
        The k + 1 break points: the minimum, each class's upper bound, the maximum.

    Raises
    ------
    GradingError
        When `k` is not an integer between 1 and the number of distinct values.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    _check_k(x, k, "k")
    big = np.finfo(float).max
    cost = np.full((n, k), big)  # cost[l, j]: best SS of x[:l + 1] in j + 1 classes
    start = np.ones((n, k), dtype=int)  # 1-based first index of the last class
    for end in range(n):
        tail = x[end::-1]  # x[end], x[end - 1], ..., x[0]: the last class grows downwards
        s1, s2 = np.cumsum(tail), np.cumsum(tail * tail)
        ss = s2 - (s1 * s1) / np.arange(1.0, end + 2)
        cost[end, 0] = ss[-1]
        if end == 0:
            continue
        first = end - np.arange(end)  # 0-based start of the last class, for m < end
        for j in range(1, k):
            total = ss[:end] + cost[first - 1, j - 1]
            best = total.min()
            m = end - 1 - np.argmin(total[::-1] > best)  # last m reaching the minimum
            if best <= cost[end, j]:
                cost[end, j], start[end, j] = best, first[m] + 1
    breaks, m = [float(x[0])] * (k + 1), n
    breaks[k] = float(x[-1])
    for j in range(k - 1, 0, -1):
        breaks[j] = float(x[start[m - 1, j] - 2])
        m = start[m - 1, j] - 1
    return breaks


def _check_k(x: np.ndarray, k: int, key: str) -> None:
    distinct = len(np.unique(x))
    if not isinstance(k, (int, np.integer)) or k < 1 or k > distinct:
        raise GradingError(f"{key}={k!r}: need 1 <= {key} <= the number of distinct scores "
                           f"({distinct})")


def _largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    raw = shares * n
    counts = np.floor(raw + 1e-9).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")  # ties go to the lower level first
    counts[order[: n - counts.sum()]] += 1
    return counts


def _mid(lo: float, hi: float) -> float:
    """A cut line between two scores that keeps lo below and hi at or above it."""
    mid = lo + (hi - lo) / 2
    return mid if lo < mid <= hi else hi


def _forced_cuts(x: np.ndarray, shares: np.ndarray) -> list[float]:
    """Cut lines giving each level its share of reps; a tie never straddles a line.

    A tied group at a line goes to the side that moves fewer reps (up on an even split),
    so equal scores always get the same level and the result depends only on the scores.
    """
    n = len(x)
    cuts = []
    for c in np.cumsum(_largest_remainder(shares, n))[:-1]:
        if c <= 0:
            cuts.append(x[0])
        elif c >= n:
            cuts.append(np.nextafter(x[-1], np.inf))
        elif x[c - 1] < x[c]:
            cuts.append(_mid(x[c - 1], x[c]))
        else:
            a = np.searchsorted(x, x[c], side="left")
            b = np.searchsorted(x, x[c], side="right")
            if b - c >= c - a:  # more of the tie above the line: the tie goes up
                cuts.append(_mid(x[a - 1], x[a]) if a > 0 else x[a])
            else:
                cuts.append(_mid(x[b - 1], x[b]) if b < n else np.nextafter(x[-1], np.inf))
    return list(np.maximum.accumulate(cuts))


def _cuts_from_labels(x: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """Midpoints between consecutive classes of sorted `x`, labels made monotone."""
    labels = np.maximum.accumulate(labels)
    cuts = []
    for j in range(1, k):
        below, above = x[labels < j], x[labels >= j]
        if len(above) == 0:
            cuts.append(np.nextafter(x[-1], np.inf))
        elif len(below) == 0:
            cuts.append(x[0])
        else:
            cuts.append(_mid(below[-1], above[0]))
    return cuts


def _kmeans_labels(x: np.ndarray, k: int) -> np.ndarray:
    """Exact 1-D k-means classes of sorted `x`: the Fisher-Jenks partition.

    In one dimension the best k-means classes are runs of sorted scores, and Fisher's
    programme finds the split into runs with the least within-class sum of squares (the
    k-means objective) exactly; a Lloyd run from one start can stop far above it.
    """
    breaks = natural_breaks(x, k)
    return levels_of(x, np.nextafter(np.array(breaks[1:-1]), np.inf))


def fit_gaussian_mixture(x, k: int, *, seed: int = 0, starts: int = 10, iters: int = 500):
    """EM for a 1-D Gaussian mixture from several starts; the most likely fit wins.

    EM climbs to the nearest optimum, so one start can stop at a poor fit. Start 0 is the
    exact k-means partition, the others split sorted `x` at k distinct scores drawn with
    `seed`; all starts run as one array (a row each). Variances have a floor (1e-4 of the
    score variance) so no component collapses onto one score. Returns weights, means and
    variances sorted by mean, and the log-likelihood sum(log(sum_j w_j N(x | m_j, v_j))).
    The "gmm" rule of `thresholds` levels the scores with it (and `most_likely_intervals`).

    Parameters
    ----------
    x : array-like of float
        The scores (one per rep).
    k : int
        Components (levels), 1..the number of distinct scores.
    seed : int, default 0
        Seeds the random starts; same seed, same fit.
    starts : int, default 10
        EM starts, the exact k-means partition first.
    iters : int, default 500
        Most EM steps per start (all stop once the log-likelihood stops rising).

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray, numpy.ndarray, float)
        Weights, means and variances of the best start, sorted by mean, and its
        log-likelihood.

    Raises
    ------
    GradingError
        When `k` is not a whole number between 1 and the number of distinct scores.
    """
    x = np.asarray(x, dtype=float)
    _check_k(x, k, "k")
    n, distinct = len(x), np.unique(x)
    draws = np.random.default_rng(seed).random((starts - 1, len(distinct)))
    centres = distinct[np.sort(draws.argsort(axis=1)[:, :k], axis=1)]
    mids = (centres[:, 1:] + centres[:, :-1]) / 2
    labels = np.vstack([_kmeans_labels(x, k), (x[:, None] >= mids[:, None, :]).sum(axis=2)])
    resp = (labels[:, :, None] == np.arange(k)).astype(float)  # start x score x component
    floor = max(x.var(), 1e-12) * 1e-4
    last = np.full(starts, -np.inf)
    for _ in range(iters):
        nk = resp.sum(axis=1) + 1e-12
        w, m = nk / n, (resp * x[:, None]).sum(axis=1) / nk
        d2 = (x[:, None] - m[:, None, :]) ** 2
        v = np.maximum((resp * d2).sum(axis=1) / nk, floor)
        logp = (np.log(w) - 0.5 * np.log(2 * np.pi * v))[:, None, :] - d2 / (2 * v[:, None, :])
        top = logp.max(axis=2, keepdims=True)
        ll = top[..., 0] + np.log(np.exp(logp - top).sum(axis=2))
        total = ll.sum(axis=1)
        if np.all(total - last <= 1e-9 * np.abs(total)):
            break
        resp, last = np.exp(logp - ll[..., None]), total
    best = int(np.argmax(total))
    order = np.argsort(m[best], kind="stable")
    return w[best, order], m[best, order], v[best, order], float(total[best])


def most_likely_intervals(x, logp) -> np.ndarray:
    """Levels of sorted `x` as score intervals that agree best with `logp` (score x level).

    With unequal variances a wide component can be the most likely one at both ends of
    the scale, so each rep's most likely component need not give a level one range of
    scores. This takes the non-decreasing labelling with the largest summed log-
    probability (a dynamic programme over levels, each step vectorised over split
    points). Equal scores share a label; a level may come out empty.

    Parameters
    ----------
    x : array-like of float
        The scores, sorted ascending.
    logp : array-like of float
        Log-probability of each score (rows) under each level's component (columns).

    Returns
    -------
    numpy.ndarray
        Level number (0 = lowest) per score, non-decreasing along `x`.

    Raises
    ------
    GradingError
        When `logp` does not have one row per score.
    """
    x, logp = np.asarray(x, dtype=float), np.asarray(logp, dtype=float)
    if logp.ndim != 2 or logp.shape[0] != len(x):
        raise GradingError(f"logp: expected one row per score ({len(x)} x levels), "
                           f"got shape {logp.shape}")
    distinct, first, counts = np.unique(x, return_index=True, return_counts=True)
    gain = np.cumsum(counts[:, None] * logp[first], axis=0)
    gain = np.vstack([np.zeros(logp.shape[1]), gain])  # gain[i, j]: level j for the first i
    best, back = gain[:, 0], []
    for j in range(1, logp.shape[1]):
        back.append(best - gain[:, j])  # best below a split at i, less level j's gain there
        best = gain[:, j] + np.maximum.accumulate(back[-1])
    splits, end = [], len(distinct)
    for h in back[::-1]:
        end = int(np.argmax(h[: end + 1]))
        splits.append(end)
    return np.searchsorted(splits[::-1], np.searchsorted(distinct, x), side="right")


def _gmm_labels(x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Level of each sorted score under the best mixture: most likely component, as intervals."""
    w, m, v, _ = fit_gaussian_mixture(x, k, seed=seed)
    return most_likely_intervals(x, np.log(w) - 0.5 * np.log(2 * np.pi * v)
                                 - (x[:, None] - m) ** 2 / (2 * v))
