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
    """Exact Fisher-Jenks breaks: [min, upper bound of class 1, ..., max], as jenkspy's.

    The classes are the split of the sorted scores into k runs with the least within-class
    sum of squares (the exact 1-D k-means, `exact_kmeans`), found in O(k n log n) instead
    of jenkspy's O(k n^2). Where two splits are equally good up to rounding, jenkspy's own
    sums decide, so the breaks are jenkspy's, not just equally good ones. Scores so far
    from zero for their spread (1e6 +- 1) that jenkspy's sums round off more than the
    splits differ get the exact least-SS breaks instead, which jenkspy then misses.

    Parameters
    ----------
    values : array_like
        The scores, all finite.
    k : int
        Number of classes, 1 .. the number of distinct values.

    Returns
    -------
    list of float
        The k + 1 break points: the minimum, each class's upper bound, the maximum.

    Raises
    ------
    GradingError
        When a score is not finite, or `k` is not an integer between 1 and the number of
        distinct values.
    """
    x = np.sort(_check_scores(values))
    _check_k(x, k, "k")
    starts = _Partition(x, k).split()
    return [float(x[0]), *(float(x[i - 1]) for i in starts), float(x[-1])]


def exact_kmeans(values, k: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The k-means classes of one score, exactly: the natural-breaks classes.

    On one dimension the best k-means classes are runs of the sorted scores, so the least
    within-class sum of squares is found exactly (no random starts, no local optimum a
    Lloyd run can stop at); equal scores share a class.

    Parameters
    ----------
    values : array_like
        The scores, all finite.
    k : int
        Number of classes, 1 .. the number of distinct values.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray, float)
        The class (0 = lowest) of each score in the order given, the mean of each class,
        and the within-class sum of squares.

    Raises
    ------
    GradingError
        When a score is not finite, or `k` is not an integer between 1 and the number of
        distinct values.
    """
    x = _check_scores(values)
    labels = np.searchsorted(natural_breaks(x, k)[1:-1], x, side="left")
    size = np.bincount(labels, minlength=k)
    means = np.bincount(labels, weights=x, minlength=k) / np.maximum(size, 1)
    return labels, means, float(((x - means[labels]) ** 2).sum())


def _check_k(x: np.ndarray, k: int, key: str) -> None:
    distinct = len(np.unique(x))
    if not isinstance(k, (int, np.integer)) or k < 1 or k > distinct:
        raise GradingError(f"{key}={k!r}: need 1 <= {key} <= the number of distinct scores "
                           f"({distinct})")


_HALF_ULP = np.finfo(float).eps / 2
_PAIRS = 32768  # a DP layer with at most this many (end, start) pairs is one numpy pass


def _check_scores(values, key: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise GradingError(f"{key}: need finite scores, got {x[bad[:5]].tolist()} at "
                           f"positions {bad[:5].tolist()}")
    return x


def _least_ss(base: np.ndarray, s1: np.ndarray, s2: np.ndarray, ends: np.ndarray,
              lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each end l: min over starts i in lo..min(l, hi) of prev[i - 1] + SS(x[i:l + 1]).

    `base[i]` is prev[i - 1] - s2[i], so a pair costs two gathers. One numpy pass over
    all (end, start) pairs; returns the least cost and the first start reaching it.
    """
    size = np.minimum(ends, hi) - lo + 1
    first = np.cumsum(size) - size
    i = np.arange(first[-1] + size[-1]) + np.repeat(lo - first, size)
    stop = ends + 1
    d = np.repeat(s1[stop], size) - s1[i]
    cost = base[i] + np.repeat(s2[stop], size) - d * d / (np.repeat(stop, size) - i)
    best = np.minimum.reduceat(cost, first)
    return best, np.minimum.reduceat(np.where(cost <= np.repeat(best, size), i, len(base)),
                                     first)


def _dp_layer(prev: np.ndarray, s1: np.ndarray, s2: np.ndarray, j: int, last: int,
              pairs: int = _PAIRS, ways: int | None = None) -> np.ndarray:
    """Least SS of x[:l + 1] in j + 1 classes for l in j..last, given `prev` for j classes.

    The best start of the last class never moves left as l grows (the SS is Monge), so
    divide and conquer solves `ways` - 1 ends spread over each open range of ends and
    narrows the starts left for the ends between them; each depth of the recursion is
    one numpy pass over all its ranges (about (ways - 1) n pairs), log_ways(n) passes a
    layer. Fewer, wider passes pay where numpy's per-call cost dominates: 6 ways for a
    thousand ends, 2 from 10,000 (measured), and one pass for a layer of at most `pairs`
    (end, start) pairs.
    """
    out = np.full(len(prev), np.inf)
    base = np.concatenate([[np.inf], prev]) - s2
    ends = np.arange(j, last + 1)
    if len(ends) ** 2 <= 2 * pairs:
        out[ends] = _least_ss(base, s1, s2, ends, np.full_like(ends, j), ends)[0]
        return out
    ways = ways or int(np.clip(20_000 // len(ends), 2, 6))
    l_lo, l_hi = np.array([j]), np.array([last])
    o_lo, o_hi = np.array([j]), np.array([last])
    while l_lo.size:
        m = np.minimum(ways - 1, l_hi - l_lo + 1)  # ends solved in each range
        first = np.cumsum(m) - m
        seg = np.repeat(np.arange(m.size), m)
        t = np.arange(first[-1] + m[-1]) - first[seg]
        piv = l_lo[seg] + (t + 1) * (l_hi - l_lo + 2)[seg] // (m + 1)[seg] - 1
        out[piv], arg = _least_ss(base, s1, s2, piv, o_lo[seg], o_hi[seg])
        head, end = t == 0, first + m - 1  # first and last solved end of each range
        before = np.where(head, o_lo[seg], np.roll(arg, 1))
        l_lo, l_hi, o_lo, o_hi = (np.concatenate(pair) for pair in (
            (np.where(head, l_lo[seg], np.roll(piv, 1) + 1), piv[end] + 1),
            (piv - 1, l_hi),
            (np.minimum(before, arg), arg[end]),  # rounding among equal costs can swap
            (np.maximum(before, arg), o_hi)))     # two neighbours' best starts
        keep = l_lo <= l_hi
        l_lo, l_hi, o_lo, o_hi = l_lo[keep], l_hi[keep], o_lo[keep], o_hi[keep]
    return out


def _tail_ss(x: np.ndarray, first: int, end: int) -> np.ndarray:
    """The SS of x[first + m:end] for each m as jenkspy sums it, from the class's end down.

    The same operations in the same order as jenkspy's C loop (sum, sum of squares, then
    sum_squares - sum * sum / w), so each number is bit for bit the one jenkspy compares.
    """
    tail = x[first:end][::-1]
    s1, s2 = np.cumsum(tail), np.cumsum(tail * tail)
    return (s2 - s1 * s1 / np.arange(1.0, len(tail) + 1))[::-1]


class _OverBudget(Exception):
    """Following jenkspy's rounding would cost too much (`_Partition.split` falls back)."""


class _Partition:
    """The least-SS split of sorted `x` into k runs, ties decided as jenkspy decides them.

    `cost[j][l]` is the least SS of x[:l + 1] in j + 1 classes, exact up to rounding
    (centred prefix sums, one `_dp_layer` per j). Walking back from the end, a class start
    is the one with the least cost; when rounding could reorder two starts (within `tol`,
    a bound on the rounding of both sums), jenkspy's own sums are computed for those few
    (`_value`) and the smallest wins, the earlier start on an exact tie, as jenkspy's `>=`.
    Following jenkspy costs a pass over a class per start it weighs; scores far from zero
    for their spread (1e6 +- 1) make its rounding larger than the differences it compares,
    so that would be nearly all starts: past `budget` values summed, the walk takes the
    least cost in centred sums instead (the exact optimum, which jenkspy then misses).
    """

    def __init__(self, x: np.ndarray, k: int):
        self.x, self.k, n = x, k, len(x)
        c = x - x.mean()
        self.s1 = s1 = np.concatenate([[0.0], np.cumsum(c)])
        self.s2 = s2 = np.concatenate([[0.0], np.cumsum(c * c)])
        ends = np.arange(1, n + 1)
        self.cost = [s2[1:] - s1[1:] ** 2 / ends]
        for j in range(1, k - 1):
            self.cost.append(_dp_layer(self.cost[-1], s1, s2, j, n - k + j))
        # rounding of jenkspy's sums (uncentred) and of ours, over any prefix's classes
        self.tol = 8 * (ends + k) * _HALF_ULP * (np.cumsum(x * x) + s2[1:])
        self.budget = 8 * k * n + 2**16
        self.starts: dict[tuple[int, int], int] = {}
        self.values: dict[tuple[int, int], float] = {}

    def split(self) -> list[int]:
        """First index of classes 2..k."""
        try:
            return self._walk(self._start)
        except _OverBudget:
            return self._walk(self._least_start)

    def _walk(self, start) -> list[int]:
        out, end = [], len(self.x) - 1
        for j in range(self.k - 1, 0, -1):
            out.append(start(end, j))
            end = out[-1] - 1
        return out[::-1]

    def _least_start(self, end: int, j: int) -> int:
        """First index of the last of j + 1 classes of x[:end + 1], by centred sums."""
        i = np.arange(j, end + 1)
        d = self.s1[end + 1] - self.s1[i]
        total = (self.cost[j - 1][i - 1] + (self.s2[end + 1] - self.s2[i])
                 - d * d / (end + 1 - i))
        return int(i[np.argmin(total)])

    def _tail(self, first: int, end: int) -> np.ndarray:
        self.budget -= end - first
        if self.budget < 0:
            raise _OverBudget
        return _tail_ss(self.x, first, end)

    def _start(self, end: int, j: int) -> int:
        """First index of the last of j + 1 classes of x[:end + 1], as jenkspy picks it."""
        if (end, j) not in self.starts:
            ss = self._tail(j, end + 1)  # ss[i - j]: class x[i:end + 1], i = j..end
            total = ss + self.cost[j - 1][j - 1:end]
            near = np.flatnonzero(total <= total.min() + self.tol[end]) + j
            if near.size > 1:
                if near.size * (end + 1) > (j + 1) * self.budget:  # a class sum each, at least
                    raise _OverBudget
                exact = np.array([ss[i - j] + self._value(i - 1, j - 1) for i in near])
                near = near[exact == exact.min()]
            self.starts[end, j] = int(near[0])
        return self.starts[end, j]

    def _value(self, end: int, j: int) -> float:
        """The cost of x[:end + 1] in j + 1 classes as jenkspy has it (its rounding, path)."""
        path = []
        while j > 0 and (end, j) not in self.values:
            path.append((end, j, self._start(end, j)))
            end, j = path[-1][2] - 1, j - 1
        value = self.values.get((end, j))
        if value is None:
            value = self.values[end, 0] = float(self._tail(0, end + 1)[0])
        for end, j, first in path[::-1]:
            value = self.values[end, j] = float(self._tail(first, end + 1)[0] + value)
        return value


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
    """Exact 1-D k-means class of each score of `x` (`exact_kmeans`)."""
    return exact_kmeans(x, k)[0]


GMM_TOL = 1e-6
"""EM stops when a step raises the log-likelihood by less than this per score: 1,000 times
stricter than scikit-learn's GaussianMixture (1e-3), so the fit is at least as likely."""


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
        Most EM steps per start (each stops once a step adds under GMM_TOL per score).

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
    fits = np.zeros((3, starts, k))  # weights, means, variances of each start's last step
    total, active = np.full(starts, -np.inf), np.arange(starts)
    for _ in range(iters):
        nk = resp.sum(axis=1) + 1e-12
        w, m = nk / n, (resp * x[:, None]).sum(axis=1) / nk
        d2 = (x[:, None] - m[:, None, :]) ** 2
        v = np.maximum((resp * d2).sum(axis=1) / nk, floor)
        logp = (np.log(w) - 0.5 * np.log(2 * np.pi * v))[:, None, :] - d2 / (2 * v[:, None, :])
        top = logp.max(axis=2, keepdims=True)
        ll = top[..., 0] + np.log(np.exp(logp - top).sum(axis=2))
        now = ll.sum(axis=1)
        # a start is done when a step adds under GMM_TOL per score (scikit-learn stops at
        # 1e-3); done starts leave the array, so the slow ones do not make all pay
        going = now - total[active] > GMM_TOL * n
        fits[:, active] = w, m, v
        total[active] = now
        if not going.any():
            break
        active = active[going]
        resp = np.exp(logp[going] - ll[going][..., None])
    best = int(np.argmax(total))
    w, m, v = fits[:, best]
    order = np.argsort(m, kind="stable")
    return w[order], m[order], v[order], float(total[best])


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
