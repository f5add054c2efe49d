"""Natural breaks and the exact 1-D k-means (issue 14): jenkspy's breaks, the least SS.

Oracles: jenkspy (the same breaks, to the last bit), a brute-force O(k n^2) programme
over every split written here (the least within-class sum of squares) and scikit-learn's
KMeans from many starts (never below it).
"""

from __future__ import annotations

import jenkspy
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.grading import GradingError, exact_kmeans, levels_of, natural_breaks


def jenks(x, k) -> list[float]:
    return [float(b) for b in jenkspy.jenks_breaks(np.asarray(x, dtype=float), n_classes=k)]


def class_ss(x, labels) -> float:
    """Within-class sum of squares, each class's mean taken over its own members."""
    x = np.asarray(x, dtype=float)
    return float(sum(((x[labels == c] - x[labels == c].mean()) ** 2).sum()
                     for c in np.unique(labels)))


def breaks_ss(x, breaks, shift: float = 0.0) -> float:
    """SS of the classes the breaks make (a score equal to a break is in the class below),
    summed over x - shift (exact for scores far from zero)."""
    x = np.asarray(x, dtype=float)
    return class_ss(x - shift, levels_of(x, np.nextafter(np.array(breaks[1:-1]), np.inf)))


def brute_least_ss(x, k) -> float:
    """The least SS of sorted x in k runs, every start of every class tried (O(k n^2))."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    ss = np.full((n, n), np.inf)  # ss[i, l]: one class x[i..l], mean over its members
    for i in range(n):
        for last in range(i, n):
            c = x[i:last + 1]
            ss[i, last] = ((c - c.mean()) ** 2).sum()
    best = ss[0].copy()  # best[l]: least SS of x[:l + 1] in j classes
    for _ in range(1, k):
        best = np.array([min((best[i - 1] + ss[i, last] for i in range(1, last + 1)),
                             default=np.inf) for last in range(n)])
    return float(best[-1])


def brute_least_ss_wide(x, k) -> float:
    """The same programme for a few hundred scores: each class's SS summed about its own
    first score (little cancellation), every start of every class still tried."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    ss = np.full((n, n), np.inf)
    for i in range(n):
        y = x[i:] - x[i]
        w = np.arange(1, n - i + 1)
        ss[i, i:] = np.maximum(np.cumsum(y * y) - np.cumsum(y) ** 2 / w, 0)
    best = ss[0].copy()
    for _ in range(1, k):
        best = (best[:-1, None] + ss[1:, :]).min(axis=0)  # start i >= 1 after best[i - 1]
    return float(best[-1])


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# ------------------------------------------------------------------ same breaks as jenkspy


@settings(max_examples=200, deadline=None)
@given(st.lists(finite, min_size=1, max_size=120), st.integers(1, 7))
def test_breaks_equal_jenkspy_on_any_scores(values, k):
    assume(len(set(values)) >= k)
    assert natural_breaks(values, k) == jenks(values, k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=150), st.integers(2, 7),
       st.sampled_from([3, 7, 100, 10_000]), st.sampled_from([1, 10, 100]))
def test_breaks_equal_jenkspy_with_many_ties(values, k, spread, scale):
    x = np.array(values, dtype=float) % spread / scale  # small spreads: nearly all tied
    assume(len(set(x)) >= k)
    assert natural_breaks(x, k) == jenks(x, k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3, 1.0, 2.5]), min_size=1, max_size=8),
       st.integers(1, 6))
def test_breaks_equal_jenkspy_on_a_handful_of_scores(values, k):
    assume(len(set(values)) >= k)
    assert natural_breaks(values, k) == jenks(values, k)


@pytest.mark.parametrize("seed", range(3))
def test_breaks_equal_jenkspy_on_thousands_of_scores(seed):
    rng = np.random.default_rng(seed)
    shapes = {
        "three bumps": np.concatenate([rng.normal(30, 5, 2000), rng.normal(60, 4, 1500),
                                       rng.normal(85, 3, 500)]),
        "whole points": np.round(rng.normal(50, 20, 4000)).clip(0, 100),
        "unit scale": rng.beta(2, 5, 4000),
        "clumps": np.concatenate([np.full(1500, 10.0), np.full(1000, 50.0),
                                  rng.normal(80, 1, 1498), [0.0, 99.0]]),
    }
    for name, x in shapes.items():
        for k in (2, 5, 7):
            assert natural_breaks(x, k) == jenks(x, k), (name, k)


def test_breaks_equal_jenkspy_on_tens_of_thousands_of_scores():
    x = np.round(np.random.default_rng(9).normal(50, 20, 16_000), 1)  # halving ranges here
    assert natural_breaks(x, 4) == jenks(x, 4)


def test_breaks_do_not_depend_on_the_order_given():
    x = np.random.default_rng(4).gamma(2.0, 10.0, 500)
    assert natural_breaks(x[::-1], 5) == natural_breaks(x, 5) == jenks(x, 5)


# ------------------------------------------------------------------------ the least SS


@settings(max_examples=120, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=2, max_size=30), st.integers(1, 5),
       st.sampled_from([1.0, 3.0, 0.01]))
def test_least_ss_equals_brute_force(values, k, scale):
    x = np.array(values, dtype=float) / scale
    assume(len(set(x)) >= k)
    best = brute_least_ss(x, k)
    labels, means, ss = exact_kmeans(x, k)
    tol = 1e-9 * ((x - x.mean()) ** 2).sum() + 1e-12
    assert ss == pytest.approx(best, abs=tol)
    assert class_ss(x, labels) == pytest.approx(best, abs=tol)
    assert breaks_ss(x, natural_breaks(x, k)) == pytest.approx(best, abs=tol)
    np.testing.assert_allclose(means, [x[labels == c].mean() for c in range(k)], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(300, 600), st.integers(3, 7), st.integers(0, 2**32 - 1),
       st.sampled_from(["bumps", "whole points", "gamma"]))
def test_hundreds_of_scores_least_ss_and_jenkspy(n, k, seed, shape):
    # past a few hundred scores each layer is solved by divide and conquer, not one pass
    rng = np.random.default_rng(seed)
    x = {"bumps": lambda: np.concatenate([rng.normal(30, 5, n // 2),
                                          rng.normal(70, 8, n - n // 2)]),
         "whole points": lambda: np.round(rng.normal(50, 20, n)),
         "gamma": lambda: rng.gamma(1.5, 10.0, n)}[shape]()
    assume(len(set(x)) >= k)
    assert natural_breaks(x, k) == jenks(x, k)
    best = brute_least_ss_wide(x, k)
    assert exact_kmeans(x, k)[2] == pytest.approx(best, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-10**5, 10**5), min_size=5, max_size=60), st.integers(2, 5),
       st.integers(0, 3))
def test_scikit_learn_kmeans_never_beats_it(values, k, seed):
    from sklearn.cluster import KMeans

    x = np.array(values) / 1000  # scores to 3 decimals
    assume(len(set(values)) >= k)
    _, _, ours = exact_kmeans(x, k)
    theirs = KMeans(n_clusters=k, n_init=20, random_state=seed).fit(x[:, None]).inertia_
    assert ours <= theirs * (1 + 1e-9) + 1e-9 * ((x - x.mean()) ** 2).sum() + 1e-12


def test_classes_are_runs_of_scores_and_equal_scores_share_one():
    x = np.round(np.random.default_rng(8).normal(50, 15, 400))
    labels, means, ss = exact_kmeans(x, 5)
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(labels[order]) >= 0)
    assert all(len(set(labels[x == v])) == 1 for v in np.unique(x))
    assert np.all(np.diff(means) > 0) and sorted(set(labels)) == list(range(5))
    assert ss == pytest.approx(class_ss(x, labels), rel=1e-12)


def test_far_from_zero_the_breaks_are_the_least_ss_where_jenkspy_rounds_off():
    # 1e6 +- 1: jenkspy's uncentred sums round off more than the splits differ by
    x = 1e6 + np.random.default_rng(2).normal(0, 1, 2000)
    small = x[::50]  # a size brute force takes
    for k in (3, 5):
        ours, theirs = natural_breaks(x, k), jenks(x, k)
        assert breaks_ss(x, ours, 1e6) <= breaks_ss(x, theirs, 1e6) * (1 + 1e-12)
        assert breaks_ss(small, natural_breaks(small, k), 1e6) == pytest.approx(
            brute_least_ss(small - 1e6, k), rel=1e-9)


def test_one_class_and_simple_groups():
    assert natural_breaks([5.0], 1) == [5.0, 5.0]
    assert natural_breaks([3, 1, 2], 1) == [1.0, 3.0]
    assert natural_breaks([1, 2, 3, 10, 11, 12, 30, 31], 3) == [1, 3, 12, 31]
    labels, means, ss = exact_kmeans([9.0, 1.0, 5.0, 1.2, 9.1, 5.1], 3)
    assert labels.tolist() == [2, 0, 1, 0, 2, 1]
    np.testing.assert_allclose(means, [1.1, 5.05, 9.05])
    assert ss == pytest.approx(0.02 + 0.005 + 0.005)


def test_bad_scores_or_k_are_named():
    with pytest.raises(GradingError, match="k=4: need 1 <= k <= the number of distinct"):
        natural_breaks([1, 1, 2, 2, 3], 4)
    with pytest.raises(GradingError, match="k=0"):
        exact_kmeans([1.0, 2.0], 0)
    with pytest.raises(GradingError, match="k=2.5"):
        natural_breaks([1.0, 2.0, 3.0], 2.5)
    with pytest.raises(GradingError, match=r"values: need finite scores, got \[nan, inf\] "
                                           r"at positions \[1, 3\]"):
        natural_breaks([1.0, np.nan, 2.0, np.inf], 2)
    with pytest.raises(GradingError, match="the number of distinct scores \\(0\\)"):
        exact_kmeans([], 1)


def test_a_tie_far_from_the_mean_is_decided_as_jenkspy_decides_it():
    """Two equally good splits of [0, .1, .2, .3] next to a far class: our centred sums
    round by more than jenkspy's there, so the tie must still reach jenkspy's own sums
    (hypothesis found it)."""
    values = [0.0, 0.1, 0.2, 0.3, 2.5, 2.5]
    assert natural_breaks(values, 4) == jenks(values, 4)
