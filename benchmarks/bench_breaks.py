"""Break-finding (issue 14) against the library a user would otherwise pick, same run.

- `natural_breaks` vs jenkspy: the same breaks (checked), O(k n log n) against O(k n^2);
- `exact_kmeans` vs scikit-learn KMeans(n_init=10): time, and the within-class sum of
  squares each reaches (ours is the least there is, KMeans' Lloyd runs may stop above);
- `fit_gaussian_mixture` (10 EM starts) vs scikit-learn GaussianMixture(n_init=10): time,
  and the log-likelihood of each fitted mixture on the same scores (one formula).

The scores are composite-like: 0..100 to two decimals (so with ties), three bumps.
"""

from __future__ import annotations

import numpy as np

from helpers.grading import exact_kmeans, fit_gaussian_mixture, levels_of, natural_breaks

from .harness import Case, version

K = 5  # classes, as in issue 14's timings
SPEEDUP_GOAL = 3.0  # natural breaks against jenkspy at 50,000 scores (aim 10x)


def scores(n: int, seed: int = 0) -> np.ndarray:
    """n scores on 0..100 to two decimals: bumps at 35, 60 and 85 (50/35/15%)."""
    rng = np.random.default_rng(seed)
    bump = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    x = rng.normal(np.array([35.0, 60.0, 85.0])[bump], np.array([8.0, 6.0, 4.0])[bump])
    return np.round(np.clip(x, 0, 100), 2)


def class_ss(x: np.ndarray, labels: np.ndarray) -> float:
    """Within-class sum of squares of the classes `labels` makes."""
    size = np.bincount(labels)
    means = np.bincount(labels, weights=x) / np.maximum(size, 1)
    return float(((x - means[labels]) ** 2).sum())


def breaks_ss(x: np.ndarray, breaks) -> float:
    """SS of the classes the breaks make (a score on a break is in the class below)."""
    return class_ss(x, levels_of(x, np.nextafter(np.asarray(breaks[1:-1], dtype=float),
                                                 np.inf)))


def mixture_loglik(x: np.ndarray, weights, means, variances) -> float:
    """sum(log(sum_j w_j N(x | m_j, v_j))): the same formula for both fits."""
    w, m, v = (np.ravel(a) for a in (weights, means, variances))
    logp = np.log(w) - 0.5 * np.log(2 * np.pi * v) - (x[:, None] - m) ** 2 / (2 * v)
    top = logp.max(axis=1)
    return float((top + np.log(np.exp(logp - top[:, None]).sum(axis=1))).sum())


def jenks(x: np.ndarray) -> list[float]:
    import jenkspy

    return [float(b) for b in jenkspy.jenks_breaks(x, n_classes=K)]


def sk_kmeans(x: np.ndarray):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=K, n_init=10, random_state=0).fit(x[:, None])


def sk_mixture(x: np.ndarray):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=K, n_init=10, random_state=0).fit(x[:, None])


def breaks_quality(x, ours, theirs) -> str:
    same = "identical" if ours == theirs else "**differ**"
    return (f"breaks {same} to jenkspy's; within-class SS {breaks_ss(x, ours):,.2f} "
            f"(jenkspy {breaks_ss(x, theirs):,.2f})")


def kmeans_quality(x, ours, theirs) -> str:
    _, _, ss = ours
    return (f"within-class SS {ss:,.2f} (KMeans {theirs.inertia_:,.2f}, "
            f"{(theirs.inertia_ - ss) / ss:+.2e} relative)")


def mixture_quality(x, ours, theirs) -> str:
    w, m, v, _ = ours
    sk = (theirs.weights_, theirs.means_, theirs.covariances_)
    return (f"log-likelihood {mixture_loglik(x, w, m, v):,.2f} "
            f"(GaussianMixture {mixture_loglik(x, *sk):,.2f})")


def cases(quick: bool = False):
    for n in (300, 1_000) if quick else (1_000, 10_000, 50_000):
        big = n >= 50_000
        size = f"{n:,} scores, k={K}"
        yield Case(
            goal="grading: natural breaks vs jenkspy", size=size,
            setup=lambda n=n: scores(n), run=lambda x: natural_breaks(x, K), baseline=jenks,
            min_speedup=SPEEDUP_GOAL if big else None, repeat=3 if big else 5,
            warmup=not big, quality=breaks_quality, peer=f"jenkspy {version('jenkspy')}",
            notes="baseline jenkspy.jenks_breaks (C, O(k n^2)) at full size")
        yield Case(
            goal="grading: exact 1-D k-means vs scikit-learn KMeans(n_init=10)", size=size,
            setup=lambda n=n: scores(n), run=lambda x: exact_kmeans(x, K),
            baseline=sk_kmeans, repeat=3 if big else 5, quality=kmeans_quality,
            peer=f"scikit-learn {version('scikit-learn')} KMeans",
            notes="baseline KMeans(n_clusters=5, n_init=10, random_state=0), its own threads")
        yield Case(
            goal="grading: Gaussian mixture (10 starts) vs scikit-learn GaussianMixture",
            size=size, setup=lambda n=n: scores(n),
            run=lambda x: fit_gaussian_mixture(x, K, seed=0), baseline=sk_mixture,
            repeat=1 if big else 3, warmup=not big, quality=mixture_quality,
            peer=f"scikit-learn {version('scikit-learn')} GaussianMixture",
            notes="baseline GaussianMixture(n_components=5, n_init=10, random_state=0)")
