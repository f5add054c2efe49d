"""Grading engine: KPIs by hand, scales, weights, cut lines, margins, gates, stability."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from helpers import make_company
from helpers.data import from_frames, load_sample
from helpers.grading import (
    CUSTOM,
    DIRECTIONS,
    PRESETS,
    GradingError,
    adjust_raters,
    assign,
    bootstrap,
    calibration_sheet,
    compare_methods,
    composite,
    effective_weights,
    explain_score,
    fit_gaussian_mixture,
    grade,
    gvf,
    kpis,
    levels_of,
    levels_table,
    most_likely_intervals,
    natural_breaks,
    normalize,
    preset_weights,
    stability,
    thresholds,
    transition_matrix,
    usable_weights,
)
from helpers.schema import LEVELS

SHARES = (0.1, 0.2, 0.4, 0.2, 0.1)


# ------------------------------------------------------------------------------ fixtures


def tiny(quota: bool = True):
    """Three reps in 2026: A full year, B hired in July, C left in March (not graded)."""
    roster = pd.DataFrame({
        "rep_id": ["A", "B", "C"], "name": ["a", "b", "c"], "region": ["N", "N", "S"],
        "team": ["N1", "N1", "S1"], "manager_id": ["M1", "M1", "M2"],
        "hire_date": ["2020-01-01", "2026-07-01", "2019-01-01"],
        "level": ["senior", "junior", "top"], "leave_date": [None, None, "2026-03-15"],
    })
    rows = []
    for m in range(1, 13):
        rows.append(("A", f"2026-{m:02d}-01", 100.0, 2, 1, 3, 4, 80.0 if m != 5 else None,
                     30.0, 120.0))
    for m in range(7, 13):
        rows.append(("B", f"2026-{m:02d}-01", 50.0, 1, 2, 1, 1, 90.0, 60.0, 50.0))
    for m in range(1, 4):
        rows.append(("C", f"2026-{m:02d}-01", 999.0, 1, 1, 1, 1, 50.0, 10.0, 10.0))
    for m in range(1, 13):  # 2025, for A's baseline
        rows.append(("A", f"2025-{m:02d}-01", 80.0, 1, 1, 1, 1, 70.0, 40.0, 100.0))
    history = pd.DataFrame(rows, columns=[
        "rep_id", "month", "revenue", "deals_won", "new_customers", "customers_retained",
        "customers_up_for_renewal", "csat", "sales_cycle_days", "quota"])
    if not quota:
        history = history.drop(columns="quota")
    reviews = pd.DataFrame({
        "rep_id": ["A", "A", "B", "A"], "period": ["2026H1", "2026H2", "2026H2", "2025H2"],
        "rater_id": ["M1"] * 4, "product_knowledge": [4.0, 3.0, 2.0, 1.0],
        "collaboration": [5.0, 5.0, 3.0, 1.0]})
    return from_frames(roster, history, reviews)


@pytest.fixture(scope="module")
def ds():
    return load_sample()


@pytest.fixture(scope="module")
def sample_kpis(ds):
    return kpis(ds)


# ---------------------------------------------------------------------------------- KPIs


def test_kpis_by_hand():
    k = kpis(tiny(), 2026)
    assert list(k.index) == ["A", "B"]  # C left in March: not graded
    a, b = k.loc["A"], k.loc["B"]
    assert a["revenue"] == 1200 and b["revenue"] == 50 * 6 * 12 / 6  # B pro-rated to a year
    assert a["attainment"] == pytest.approx(1200 / 1440)
    assert b["new_customers"] == 2 * 6 * 2
    assert a["retention"] == pytest.approx(3 / 4) and b["retention"] == 1.0
    assert a["csat"] == pytest.approx(80.0)  # the month with no survey is skipped
    assert a["sales_cycle"] == pytest.approx(30.0)
    assert a["product_knowledge"] == 3.5 and a["collaboration"] == 5.0  # 2025 review excluded
    assert b["months"] == 6 and a["months"] == 12
    assert b["tenure_years"] == pytest.approx(0.5, abs=0.01)


def test_kpis_without_quota_use_own_baseline():
    k = kpis(tiny(quota=False), 2026)
    assert k.loc["A", "attainment"] == pytest.approx(100 / 80)  # monthly rate vs 2025
    assert np.isnan(k.loc["B", "attainment"])  # no history before: no baseline


def test_kpis_for_a_half_year_and_bad_period():
    k = kpis(tiny(), "2026H1")
    assert list(k.index) == ["A"]
    assert k.loc["A", "product_knowledge"] == 4.0
    with pytest.raises(GradingError, match="period='26-H7'"):
        kpis(tiny(), "26-H7")
    with pytest.raises(GradingError, match="period=2030: no history"):
        kpis(tiny(), 2030)


def test_sample_kpis_are_plausible(sample_kpis):
    assert sample_kpis["retention"].between(0, 1).all()
    assert sample_kpis["csat"].between(0, 100).all()
    assert (sample_kpis["revenue"] > 0).all()


# ------------------------------------------------------------------------------ normalise


def test_percentile_zscore_minmax_robust_by_hand():
    k = pd.DataFrame({"revenue": [1.0, 2.0, 3.0, 10.0], "sales_cycle": [40.0, 30.0, 20.0, 10.0]},
                     index=list("abcd"))
    p = normalize(k, "percentile")
    assert p["revenue"].tolist() == [0.125, 0.375, 0.625, 0.875]
    assert p["sales_cycle"].tolist() == [0.125, 0.375, 0.625, 0.875]  # fewer days is better
    m = normalize(k, "minmax")
    assert m["revenue"].tolist() == pytest.approx([0, 1 / 9, 2 / 9, 1])
    z = normalize(k, "zscore")
    x = k["revenue"].to_numpy()
    assert z["revenue"].to_numpy() == pytest.approx(ndtr((x - x.mean()) / x.std()))
    r = normalize(k, "robust")
    med, mad = 2.5, 1.4826 * 1.0  # |x - 2.5| = 1.5, .5, .5, 7.5 -> median 1.0
    assert r["revenue"].to_numpy() == pytest.approx(ndtr((x - med) / mad))


def test_normalize_ties_missing_groups_and_territory():
    k = pd.DataFrame({"revenue": [5.0, 5.0, np.nan, 1.0]}, index=list("abcd"))
    p = normalize(k)
    assert p.loc["a", "revenue"] == p.loc["b", "revenue"] == pytest.approx((2.5 - 0.5) / 3)
    assert np.isnan(p.loc["c", "revenue"])
    k = pd.DataFrame({"revenue": [10.0, 20.0, 1.0, 2.0]}, index=list("abcd"))
    region = pd.Series(["N", "N", "W", "W"], index=list("abcd"), name="region")
    assert normalize(k, by=region)["revenue"].tolist() == [0.25, 0.75, 0.25, 0.75]
    potential = pd.Series([10.0, 10.0, 1.0, 1.0], index=list("abcd"))
    adjusted = normalize(k, "minmax", territory=potential)["revenue"]
    assert adjusted["d"] == adjusted["b"] == 1.0  # 2 in a tenth of the territory = 20


def test_normalize_bad_inputs_name_the_key():
    k = pd.DataFrame({"revenue": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(GradingError, match="method='rank'"):
        normalize(k, "rank")
    with pytest.raises(GradingError, match="by \\(region\\): no value for rep\\(s\\) b"):
        normalize(k, by=pd.Series({"a": "N"}, name="region"))
    with pytest.raises(GradingError, match="directions\\['revenue'\\]=2"):
        normalize(k, directions={"revenue": 2})
    with pytest.raises(GradingError, match="territory"):
        normalize(k, territory=pd.Series({"a": 1.0, "b": 0.0}))


# ------------------------------------------------------------------------------ composite


def test_composite_by_hand_and_missing_kpi_reweighting():
    n = pd.DataFrame({"revenue": [1.0, 0.5], "csat": [0.0, np.nan]}, index=["a", "b"])
    score = composite(n, {"revenue": 0.75, "csat": 0.25})
    assert score["a"] == pytest.approx(75.0)
    assert score["b"] == pytest.approx(50.0)  # no CSAT: revenue carries all the weight


@pytest.mark.parametrize("weights, message", [
    ({"revenue": 0.5, "csat": 0.4}, "weights: sum to 0.9"),
    ({"revenue": 1.2, "csat": -0.2}, "weights\\['csat'\\]=-0.2"),
    ({"revenue": 0.5, "bonus": 0.5}, "weights\\['bonus'\\]: not a KPI"),
])
def test_weights_are_validated(weights, message):
    n = pd.DataFrame({"revenue": [1.0], "csat": [0.0]}, index=["a"])
    with pytest.raises(GradingError, match=message):
        composite(n, weights)


def test_rep_with_no_weighted_data_is_an_error():
    n = pd.DataFrame({"revenue": [1.0, 0.5], "csat": [0.2, np.nan]}, index=["a", "b"])
    with pytest.raises(GradingError, match="rep\\(s\\) b have no value"):
        composite(n, {"revenue": 0.0, "csat": 1.0})


def test_presets_sum_to_one():
    for name, weights in PRESETS.items():
        assert sum(weights.values()) == pytest.approx(1.0), name


# ----------------------------------------------------------------------------- thresholds


def test_fixed_cutoffs_and_gvf_by_hand():
    scores = pd.Series([10.0, 20.0, 30.0, 70.0, 80.0, 90.0])
    t = thresholds(scores, "fixed", levels=("low", "high"), cutoffs=[50])
    assert t.counts.tolist() == [3, 3]
    # total SS = 6800 - ... : mean 50, deviations 40,30,20,20,30,40 -> 2*(1600+900+400)=5800
    # within: each class has mean 20 / 80 and SS 200 -> GVF = 1 - 400/5800
    assert t.gvf == pytest.approx(1 - 400 / 5800)
    assert gvf(scores, [50]) == t.gvf
    with pytest.raises(GradingError, match="cutoffs: method 'fixed' needs 1"):
        thresholds(scores, "fixed", levels=("low", "high"))
    with pytest.raises(GradingError, match="increasing"):
        thresholds(scores, "fixed", levels=("a", "b", "c"), cutoffs=[50, 40])


def test_forced_distribution_hits_shares():
    scores = pd.Series(np.linspace(0, 100, 100))
    t = thresholds(scores, "quantile", shares=SHARES)
    assert t.counts.tolist() == [10, 20, 40, 20, 10]
    assert t.table()["reps"].sum() == 100


def test_forced_distribution_keeps_ties_together_deterministically():
    scores = pd.Series([1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    t = thresholds(scores, "quantile", levels=("low", "high"), shares=(0.3, 0.7))
    # the line falls inside the tie at 3 (two of three would sit above): the tie goes up
    assert t.counts.tolist() == [2, 8]
    t = thresholds(scores, "quantile", levels=("low", "high"), shares=(0.4, 0.6))
    assert t.counts.tolist() == [5, 5]  # two of three below: the tie goes down
    shuffled = scores.sample(frac=1, random_state=1)
    assert thresholds(shuffled, "quantile", levels=("low", "high"),
                      shares=(0.4, 0.6)).cutoffs == t.cutoffs


def test_bad_shares_and_methods_name_the_key():
    scores = pd.Series([1.0, 2.0, 3.0])
    with pytest.raises(GradingError, match="shares="):
        thresholds(scores, "quantile", shares=(0.5, 0.6, 0, 0, 0))
    with pytest.raises(GradingError, match="method='median'"):
        thresholds(scores, "median")
    with pytest.raises(GradingError, match="levels=5: need 1 <= levels <= .* \\(3\\)"):
        thresholds(scores, "jenks")
    with pytest.raises(GradingError, match="scores: need a score for every rep"):
        thresholds(pd.Series([1.0, np.nan]), "quantile", levels=("a", "b"))


def test_data_driven_methods_find_separated_clusters():
    x = pd.Series([1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1, 9.3])
    for method in ("jenks", "kmeans", "gmm"):
        t = thresholds(x, method, levels=("a", "b", "c"))
        assert t.counts.tolist() == [3, 3, 3], method
        assert t.gvf > 0.99


def test_kmeans_never_beats_exact_jenks():
    rng = np.random.default_rng(3)
    x = pd.Series(rng.gamma(2.0, 10.0, 300))
    assert thresholds(x, "jenks").gvf >= thresholds(x, "kmeans").gvf - 1e-12


score_lists = st.lists(st.floats(0, 100, allow_nan=False), min_size=10, max_size=120)


@settings(max_examples=60, deadline=None)
@given(score_lists, st.sampled_from(["quantile", "jenks", "kmeans", "gmm"]))
def test_levels_monotone_in_score_and_order_free(values, method):
    scores = pd.Series(values)
    assume(method == "quantile" or scores.nunique() >= len(LEVELS))
    t = thresholds(scores, method, shares=SHARES if method == "quantile" else None)
    order = np.argsort(scores.to_numpy(), kind="stable")
    assert np.all(np.diff(levels_of(scores.to_numpy()[order], t.cutoffs)) >= 0)
    again = thresholds(scores.sample(frac=1, random_state=0).reset_index(drop=True), method,
                       shares=SHARES if method == "quantile" else None)
    assert again.cutoffs == t.cutoffs  # deterministic, independent of row order
    assert t.counts.sum() == len(scores)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=5, max_size=200, unique=True),
       st.lists(st.integers(0, 10), min_size=5, max_size=5).filter(lambda w: sum(w) > 0))
def test_counts_match_shares_when_scores_are_distinct(values, raw):
    shares = np.array(raw) / sum(raw)
    t = thresholds(pd.Series(values), "quantile", shares=shares)
    target = shares * len(values)
    assert t.counts.sum() == len(values)
    assert np.all(np.abs(t.counts.to_numpy() - target) < 1)  # largest remainder


# ------------------------------------------- exact k-means, mixture starts, empty levels


def within_ss(x, cuts) -> float:
    """Within-class sum of squares of the classes the cut lines make."""
    cls = levels_of(x, cuts)
    size = np.bincount(cls, minlength=len(cuts) + 1)
    means = np.bincount(cls, weights=x, minlength=len(cuts) + 1) / np.maximum(size, 1)
    return float(((x - means[cls]) ** 2).sum())


def mixture_loglik(x, weights, means, variances) -> float:
    """Log-likelihood of the data under a 1-D Gaussian mixture: one formula for both fits."""
    from scipy.special import logsumexp

    w, m, v = (np.ravel(a) for a in (weights, means, variances))
    logp = np.log(w) - 0.5 * np.log(2 * np.pi * v) - (np.ravel(x)[:, None] - m) ** 2 / (2 * v)
    return float(logsumexp(logp, axis=1).sum())


def sample_scores(ds, scale, preset):
    normalized = normalize(kpis(ds, ds.last_year), scale)
    return composite(normalized, PRESETS[preset]).to_numpy()


def hard_inputs(ds) -> dict[str, np.ndarray]:
    """Random and adversarial scores: heavy tails, clumps of equal scores, outliers."""
    rng = np.random.default_rng(11)
    return {
        "three bumps": np.concatenate([rng.normal(30, 5, 200), rng.normal(60, 4, 150),
                                       rng.normal(85, 3, 50)]),
        "heavy tail": rng.pareto(1.5, 200) * 10,
        "lognormal": rng.lognormal(3, 1, 150),
        "clumps": np.concatenate([np.full(40, 10.0), np.full(30, 50.0), rng.normal(80, 1, 20),
                                  [0.0, 99.0]]),
        "duplicates": np.round(rng.normal(50, 15, 300)),
        "outliers": np.concatenate([rng.normal(50, 5, 100), [200, 210, 500, 1000]]),
        "sample minmax": sample_scores(ds, "minmax", "results first"),
        "sample percentile": sample_scores(ds, "percentile", "balanced"),
    }


def test_kmeans_is_the_exact_one_dimensional_optimum(ds):
    from sklearn.cluster import KMeans

    for name, x in hard_inputs(ds).items():
        for k in (3, 5):
            levels = LEVELS[:k]
            t = thresholds(x, "kmeans", levels=levels)
            ours = within_ss(x, t.cutoffs)
            best = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x[:, None]).inertia_
            assert ours <= best * (1 + 1e-9) + 1e-9, (name, k, ours, best)
            breaks = natural_breaks(x, k)  # the Fisher-Jenks partition, class by class
            jenks = levels_of(x, np.nextafter(np.array(breaks[1:-1]), np.inf))
            means = np.bincount(jenks, weights=x) / np.bincount(jenks)
            assert ours == pytest.approx(((x - means[jenks]) ** 2).sum(), rel=1e-12), name
            assert t.empty == () and (t.counts > 0).all(), (name, k, t.counts.tolist())
            assert np.all(np.diff(t.cutoffs) > 0), (name, k)


def test_gmm_is_at_least_as_likely_as_scikit_learn(ds):
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(5)
    inputs = {
        "three bumps": np.concatenate([rng.normal(30, 5, 200), rng.normal(60, 4, 150),
                                       rng.normal(85, 3, 50)]),
        "gamma": rng.gamma(2.0, 10.0, 300),
        "sample minmax": sample_scores(ds, "minmax", "results first"),
        "sample percentile": sample_scores(ds, "percentile", "balanced"),
    }
    for name, x in inputs.items():
        x = np.sort(x)
        floor = x.var() * 1e-4  # our variance floor: sklearn's fit must respect it too
        for k in (3, 5):
            w, m, v, ll = fit_gaussian_mixture(x, k, seed=0)
            assert ll == pytest.approx(mixture_loglik(x, w, m, v), rel=1e-12)
            assert np.all(np.diff(m) >= 0) and w.sum() == pytest.approx(1)
            g = GaussianMixture(n_components=k, n_init=5, random_state=0,
                                reg_covar=floor).fit(x[:, None])
            theirs = mixture_loglik(x, g.weights_, g.means_, g.covariances_)
            assert ll >= theirs - 1e-6 * abs(theirs), (name, k, ll, theirs)
            again = fit_gaussian_mixture(x, k, seed=0)
            assert all(np.array_equal(a, b) for a, b in zip(again, (w, m, v, ll), strict=True))


def test_gmm_levels_are_the_most_likely_intervals():
    from itertools import combinations_with_replacement

    rng = np.random.default_rng(4)
    for _ in range(40):
        x = np.sort(rng.integers(0, 6, 7)).astype(float)  # ties: equal scores share a level
        k = int(rng.integers(2, 4))
        logp = rng.normal(0, 3, (len(np.unique(x)), k))[np.searchsorted(np.unique(x), x)]
        labels = most_likely_intervals(x, logp)
        assert np.all(np.diff(labels) >= 0)
        assert len(set(zip(x, labels, strict=True))) == len(np.unique(x))
        lines = np.r_[np.unique(x) - 0.5, x.max() + 0.5]  # every way to cut into intervals
        best = max(logp[np.arange(len(x)), levels_of(x, cuts)].sum()
                   for cuts in combinations_with_replacement(lines, k - 1))
        assert logp[np.arange(len(x)), labels].sum() == pytest.approx(best)


def test_gmm_functions_refuse_what_they_cannot_fit():
    with pytest.raises(GradingError, match=r"k=3: need 1 <= k <= .* distinct scores \(2\)"):
        fit_gaussian_mixture([1.0, 1.0, 2.0], 3)
    with pytest.raises(GradingError, match=r"logp: expected one row per score \(3 x levels\)"):
        most_likely_intervals([1.0, 2.0, 3.0], np.zeros((2, 2)))


def test_gmm_on_the_sample_company_fills_every_level(ds):
    x = pd.Series(sample_scores(ds, "minmax", "results first"))
    t = thresholds(x, "gmm")
    assert t.empty == () and t.note == "" and (t.counts > 0).all(), t.counts.tolist()
    assert np.all(np.diff(t.cutoffs) > 0)
    assert thresholds(x, "gmm", seed=0).cutoffs == t.cutoffs  # same seed, same lines
    shuffled = x.sample(frac=1, random_state=3).reset_index(drop=True)
    assert thresholds(shuffled, "gmm").cutoffs == t.cutoffs


def test_empty_levels_are_named_in_plain_words():
    scores = pd.Series(np.linspace(0, 100, 50))
    t = thresholds(scores, "fixed", cutoffs=[20, 40, 60, 60])
    assert t.empty == ("principal",) and t.counts["principal"] == 0
    assert t.note.startswith("no rep falls in level 'principal' with these cut lines; ")
    t = thresholds(scores, "fixed", cutoffs=[-10, 40, 200, 300])
    assert t.empty == ("junior", "principal", "top")
    assert t.note.startswith("no rep falls in levels 'junior', 'principal' and 'top' ")
    t = thresholds(scores, "quantile", shares=(0, 0.25, 0.25, 0.25, 0.25))
    assert t.empty == ("junior",) and "level 'junior'" in t.note
    full = thresholds(scores, "quantile", shares=SHARES)
    assert full.empty == () and full.note == ""
    table = compare_methods(scores, (0, 0.25, 0.25, 0.25, 0.25))
    assert table.loc["quantile", "empty levels"] == "junior"
    assert (table.loc[["jenks", "kmeans", "gmm"], "empty levels"] == "").all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=8, max_size=90), st.integers(2, 5),
       st.sampled_from(["jenks", "kmeans", "gmm"]), st.integers(0, 3))
def test_data_driven_lines_increase_whenever_every_level_has_reps(values, k, method, seed):
    x = pd.Series(values, dtype=float) / 3  # many ties
    assume(x.nunique() >= k)
    t = thresholds(x, method, levels=LEVELS[:k], seed=seed)
    assert t.empty == tuple(t.counts.index[t.counts == 0])
    assert (t.note == "") == (t.empty == ())
    if not t.empty:
        assert np.all(np.diff(t.cutoffs) > 0), t.cutoffs
    if method == "kmeans":
        assert t.cutoffs == thresholds(x, "jenks", levels=LEVELS[:k]).cutoffs


def test_panel_status_shows_the_empty_level_note(sample_kpis):
    import matplotlib

    matplotlib.use("Agg")
    from helpers.ui.grading import GradingPanel

    panel = GradingPanel(sample_kpis, shares=(0, 0.25, 0.25, 0.25, 0.25))
    assert "no rep falls in level &#x27;junior&#x27; with these cut lines" in panel.status.value
    panel.rule.value = "jenks"
    assert "no rep falls" not in panel.status.value
    matplotlib.pyplot.close("all")


# --------------------------------------------------------------------------------- assign


def test_assign_hysteresis_margins():
    scores = pd.Series([61.0, 64.0, 57.0, 54.0], index=list("abcd"))
    current = pd.Series(["intermediate", "intermediate", "senior", "senior"], index=list("abcd"))
    cuts = [40, 60, 80, 90]
    out = assign(scores, cuts, current=current, hysteresis=3)
    # a: 61 is over the senior line by 1 (< 3): stays; b: by 4: promoted
    # c: 57 is under by 3 (not more): stays; d: under by 6: demoted
    assert out["proposed"].tolist() == ["intermediate", "senior", "senior", "intermediate"]
    assert out["change"].tolist() == ["same", "promotion", "same", "demotion"]
    assert out.loc["a", "note"].startswith("3-point margin")
    plain = assign(scores, cuts)
    assert plain["proposed"].tolist() == ["senior", "senior", "intermediate", "intermediate"]


def test_assign_gates_block_promotion_but_never_demote():
    idx = list("abc")
    scores = pd.Series([95.0, 95.0, 95.0], index=idx)
    facts = pd.DataFrame({"tenure_years": [1.0, 3.0, 1.0], "csat": [90.0, 70.0, 90.0]},
                         index=idx)
    rules = {"senior": {"tenure_years": 2}, "top": {"csat": 80}}
    out = assign(scores, [40, 60, 80, 90], rules=rules, facts=facts)
    assert out["proposed"].tolist() == ["intermediate", "principal", "intermediate"]
    assert out.loc["a", "note"] == "gate for senior not met"
    current = pd.Series(["junior", "junior", "principal"], index=idx)
    out = assign(scores, [40, 60, 80, 90], current=current, rules=rules, facts=facts)
    assert out.loc["c", "proposed"] == "principal"  # fails a gate but was already there
    with pytest.raises(GradingError, match="rules\\['boss'\\]: not a level"):
        assign(scores, [40, 60, 80, 90], rules={"boss": {"csat": 1}}, facts=facts)
    with pytest.raises(GradingError, match="rules\\['senior'\\]\\['age'\\]: no such column"):
        assign(scores, [40, 60, 80, 90], rules={"senior": {"age": 1}}, facts=facts)
    lower = assign(scores, [40, 60, 80, 90], rules={"top": {"csat": ("<=", 80)}}, facts=facts)
    assert lower["proposed"].tolist() == ["principal", "top", "principal"]


def test_assign_bad_inputs():
    scores = pd.Series([50.0], index=["a"])
    with pytest.raises(GradingError, match="cutoffs=.*need 4 increasing"):
        assign(scores, [10, 20])
    with pytest.raises(GradingError, match="current: no valid level for rep\\(s\\) a"):
        assign(scores, [10, 20, 30, 40], current=pd.Series({"a": "boss"}))
    with pytest.raises(GradingError, match="hysteresis=-1"):
        assign(scores, [10, 20, 30, 40], hysteresis=-1)


def test_a_rep_without_a_current_level_is_placed_by_the_plain_cut():
    """A level the loader only assumed is no level: no margin, no promotion, no demotion."""
    scores = pd.Series([21.0, 21.0, 5.0, 95.0], index=list("abcd"))
    cuts = [20, 40, 60, 80]
    current = pd.Series({"a": "junior", "b": None, "c": np.nan, "d": pd.NA}, dtype=object)
    out = assign(scores, cuts, current=current, hysteresis=5,
                 rules={"top": {"csat": 90}}, facts=pd.DataFrame({"csat": [0.0] * 4},
                                                                 index=list("abcd")))
    assert out["proposed"].astype(str).tolist() == ["junior", "intermediate", "junior",
                                                    "principal"]
    assert out["change"].tolist() == ["same", "first level", "first level", "first level"]
    assert out["current"].isna().tolist() == [False, True, True, True]
    assert out.loc["d", "note"].startswith("gate for top not met")
    assert transition_matrix(out).to_numpy().sum() == 1  # only the rep with a level


def test_transition_matrix_counts_every_rep():
    scores = pd.Series([10.0, 50.0, 95.0], index=list("abc"))
    current = pd.Series(["junior", "junior", "top"], index=list("abc"))
    table = transition_matrix(assign(scores, [20, 40, 60, 80], current=current))
    assert table.shape == (5, 5) and table.to_numpy().sum() == 3
    assert table.loc["junior", "senior"] == 1 and table.loc["top", "top"] == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=1, max_size=40),
       st.floats(0, 10), st.integers(0, 4))
def test_hysteresis_only_ever_keeps_reps_closer_to_current(values, margin, start):
    scores = pd.Series(values)
    current = pd.Series([LEVELS[start]] * len(values))
    cuts = [20, 40, 60, 80]
    plain = assign(scores, cuts)["proposed"].cat.codes
    held = assign(scores, cuts, current=current, hysteresis=margin)["proposed"].cat.codes
    assert ((held - start).abs() <= (plain - start).abs()).all()
    assert (np.sign(held - start) * np.sign(plain - start) >= 0).all()


# ------------------------------------------------------------------------- grade, explain


def test_grade_and_explain_add_up(sample_kpis):
    weights = PRESETS["balanced"]
    res = grade(sample_kpis, weights, shares=SHARES)
    assert res.scores.between(0, 100).all()
    assert res.thresholds.counts.tolist() == [11, 23, 46, 23, 11]
    rep = res.scores.idxmax()
    why = explain_score(rep, res.normalized, weights, sample_kpis)
    assert why["points"].sum() == pytest.approx(res.scores[rep])
    assert why.attrs["score"] == pytest.approx(res.scores[rep])
    worst = res.scores.idxmin()
    why = explain_score(worst, res.normalized, weights, sample_kpis)
    weighted = why[why["weight"] > 0]
    weakest = weighted["scaled"].idxmin()
    assert why.loc[weakest, "training"] != ""
    assert (why.loc[why["verdict"] == "strength", "scaled"] >= 0.7).all()
    with pytest.raises(GradingError, match="rep_id='R999'"):
        explain_score("R999", res.normalized, weights)


# ------------------------------------------------------------------------------ stability


def test_stability_is_seeded_and_sums_to_one(ds, sample_kpis):
    weights = PRESETS["balanced"]
    cuts = grade(sample_kpis, weights, shares=SHARES).thresholds
    a = stability(ds, weights, cuts, n_boot=60, seed=4)
    b = stability(ds, weights, cuts, n_boot=60, seed=4)
    pd.testing.assert_frame_equal(a.probabilities, b.probabilities)
    assert np.allclose(a.probabilities.sum(axis=1), 1.0)
    assert (a.borderline["probability"] < 0.8).all()
    assert set(a.borderline.index) == set(
        a.probabilities.index[a.probabilities.max(axis=1) < 0.8])
    assert a.sensitivity.to_numpy().max() <= 1 and a.sensitivity.to_numpy().min() >= 0
    assert stability(ds, weights, cuts, n_boot=5, delta=0.0).sensitivity.to_numpy().sum() == 0


def test_stability_certain_when_months_do_not_vary():
    data = tiny()
    weights = {"revenue": 1.0}
    k = kpis(data, 2026)
    cuts = [40, 45, 50, 55]  # percentile of 2 reps: 25 and 75
    s = stability(data, weights, cuts, period=2026, n_boot=50, seed=1)
    assert s.probabilities.loc["A", "top"] == 1.0  # identical months: every resample agrees
    assert s.probabilities.loc["B", "junior"] == 1.0
    assert s.borderline.empty
    assert grade(k, weights, threshold_method="fixed", cutoffs=cuts).assigned.loc[
        "A", "proposed"] == "top"


@cache
def small_company(seed: int):
    return make_company(n_reps=40, seed=seed)


def relabelled_shuffled(ds, seed: int):
    """The same people under new ids that sort differently, every table's rows shuffled."""
    rng = np.random.default_rng(seed)
    ids = ds.roster["rep_id"]
    new = dict(zip(ids, [f"Z{k:03d}" for k in rng.permutation(len(ids))], strict=True))

    def moved(frame):
        frame = frame.assign(rep_id=frame["rep_id"].map(new))
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    return from_frames(moved(ds.roster), moved(ds.history), moved(ds.reviews)), new


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 1), st.integers(0, 2**32 - 1), st.integers(1, 120),
       st.sampled_from(["percentile", "zscore"]))
def test_stability_follows_reps_not_rows_ids_blocks_or_threads(company, seed, n_boot, method):
    """Each rep's level probabilities sum to 1 and follow who the rep is: shuffled rows,
    relabelled ids, smaller blocks of resamples and one thread or two change none of them."""
    ds = small_company(company)
    cuts = (20, 40, 60, 80)
    base = stability(ds, PRESETS["balanced"], cuts, n_boot=n_boot, seed=seed, method=method)
    probs = base.probabilities
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert ((probs * n_boot).round(9) % 1 == 0).all().all()  # whole resamples per level
    other, new = relabelled_shuffled(ds, seed)
    moved = stability(other, PRESETS["balanced"], cuts, n_boot=n_boot, seed=seed,
                      method=method).probabilities
    moved.index = moved.index.map({v: k for k, v in new.items()})
    pd.testing.assert_frame_equal(moved.sort_index(), probs.sort_index(), check_names=False,
                                  check_index_type=False)
    with pytest.MonkeyPatch.context() as patch:  # blocks of 3 resamples, on one thread
        patch.setattr(bootstrap, "BLOCK_CELLS", 3 * len(probs))
        for workers in (1, 2):
            small = stability(ds, PRESETS["balanced"], cuts, n_boot=n_boot, seed=seed,
                              method=method, workers=workers)
            pd.testing.assert_frame_equal(small.probabilities, probs)


# -------------------------------------------------------------------------- adjust raters


def test_adjust_raters_finds_the_sample_lenient_and_severe_managers(ds, sample_kpis):
    adjusted, table = adjust_raters(ds.reviews, sample_kpis)
    flagged = table.loc[table["flag"] != "", "flag"].to_dict()
    assert flagged == {"M03": "lenient", "M08": "severe"}
    assert table.loc["M03", "leniency"] > 0.5 and table.loc["M08", "leniency"] < -0.5
    m03 = ds.reviews["rater_id"] == "M03"
    assert adjusted.loc[m03, "collaboration"].mean() < ds.reviews.loc[m03, "collaboration"].mean()


def test_model_separates_leniency_from_a_strong_team():
    rng = np.random.default_rng(0)
    reps = [f"R{i}" for i in range(80)]
    skill = np.r_[rng.normal(1.0, 0.3, 40), rng.normal(-1.0, 0.3, 40)]  # team X is better
    rater = np.array(["X"] * 40 + ["Y"] * 40)
    k = pd.DataFrame({"attainment": skill}, index=reps)
    reviews = pd.DataFrame({"rep_id": reps, "rater_id": rater, "period": "2026H1",
                            "product_knowledge": 3 + 0.8 * skill + rng.normal(0, 0.1, 80),
                            "collaboration": 3 + 0.8 * skill + rng.normal(0, 0.1, 80)})
    _, centred = adjust_raters(reviews)  # centring alone blames team X's manager
    _, model = adjust_raters(reviews, k)
    assert centred.loc["X", "leniency"] > 0.6
    assert abs(model.loc["X", "leniency"]) < 0.1 and (model["flag"] == "").all()


def test_adjust_raters_bad_input():
    with pytest.raises(GradingError, match="reviews: missing column\\(s\\) collaboration"):
        adjust_raters(pd.DataFrame({"rep_id": ["a"], "rater_id": ["m"],
                                    "product_knowledge": [3.0]}))


# -------------------------------------------------------------------------------- sheets


def test_calibration_sheet_lists_every_move_borderline_and_hold(ds, sample_kpis):
    current = ds.roster.set_index("rep_id")["level"]
    res = grade(sample_kpis, PRESETS["balanced"], shares=SHARES, current=current,
                hysteresis=2, rules={"senior": {"tenure_years": 2}})
    stab = stability(ds, PRESETS["balanced"], res.thresholds, n_boot=40, seed=2)
    sheet = calibration_sheet(res.assigned, stab, ds.roster)
    a = res.assigned
    expected = set(a.index[(a["change"] != "same") | (a["note"] != "")]) | set(
        stab.borderline.index)
    assert set(sheet["rep_id"]) == expected
    promoted = sheet[sheet["change"] == "promotion"]
    assert promoted["reason"].str.startswith("promotion").all()
    assert sheet["change"].iloc[: len(promoted)].eq("promotion").all()  # promotions first
    table = levels_table(a, ds.roster, 2027)
    assert len(table) == len(a) and (table["year"] == 2027).all()
    assert table.set_index("rep_id").loc["R001", "name"] == ds.roster.iloc[0]["name"]


def test_compare_methods_side_by_side(sample_kpis):
    scores = grade(sample_kpis, PRESETS["balanced"]).scores
    table = compare_methods(scores, SHARES)
    assert list(table.index) == ["quantile", "jenks", "kmeans", "gmm"]
    assert (table[list(LEVELS)].sum(axis=1) == len(scores)).all()
    assert table.loc["jenks", "gvf"] == table["gvf"].max()  # exact optimum of the fit


def test_missing_scores_and_bad_territory_are_named(ds):
    with pytest.raises(GradingError, match="scores: missing for rep\\(s\\) b"):
        assign(pd.Series([1.0, np.nan], index=["a", "b"]), [10, 20, 30, 40])
    potential = ds.roster.set_index("rep_id")["territory_potential"].copy()
    potential.iloc[0] = 0.0
    with pytest.raises(GradingError, match="territory: potential must be > 0 \\(rep\\(s\\) R001"):
        stability(ds, PRESETS["balanced"], [20, 40, 60, 80], n_boot=2, territory=potential)


# ----------------------------------------------------------------------- charts and panel


def test_charts_return_figures_and_panel_redraws(ds, sample_kpis):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from helpers.fairness import audit
    from helpers.plots import grading as charts
    from helpers.ui.grading import GradingPanel

    current = ds.roster.set_index("rep_id")["level"]
    panel = GradingPanel(sample_kpis, current)
    before = panel.result.scores.copy()
    panel.preset.value = "customer focus"
    assert panel.sliders["csat"].value == PRESETS["customer focus"]["csat"]
    assert not panel.result.scores.equals(before)
    panel.sliders["csat"].value = 0.6
    assert panel.preset.value == "custom"
    assert sum(panel.weights().values()) == pytest.approx(1.0)
    res = panel.result
    stab = stability(ds, panel.weights(), res.thresholds, n_boot=5)
    groups = ds.roster.set_index("rep_id").loc[sample_kpis.index, ["gender"]]
    impact = audit(res.assigned["proposed"] >= "senior", groups)
    figures = [
        charts.score_strip(res.scores, res.thresholds, res.assigned["proposed"]),
        charts.level_counts(res.assigned),
        charts.transition_heatmap(transition_matrix(res.assigned)),
        charts.leniency_bars(adjust_raters(ds.reviews, sample_kpis)[1]),
        charts.level_probabilities(stab.probabilities),
        charts.weight_sensitivity(stab.sensitivity),
        charts.selection_rates(impact, "gender"),
        charts.contributions(explain_score("R001", res.normalized, panel.weights()), "R001"),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    matplotlib.pyplot.close("all")


# ------------------------------------------------------------- real data shapes (issue 11)


def shaped(tmp_path, *names):
    import sys
    from pathlib import Path

    from helpers.data import load
    sys.path.insert(0, str(Path(__file__).parent))
    import shapes
    return load(shapes.make(tmp_path / "_".join(names), *names))


def test_missing_review_and_csat_kpis_drop_out_of_the_weights(tmp_path):
    from helpers.grading import usable_weights
    ds = shaped(tmp_path, "no_reviews", "no_csat")
    k = kpis(ds)
    w, notes = usable_weights(k, PRESETS["balanced"], ds.lacks())
    assert set(w.index) == {"revenue", "attainment", "new_customers", "retention",
                            "sales_cycle"}
    assert w.sum() == pytest.approx(1)
    assert w["attainment"] / w["revenue"] == pytest.approx(0.25 / 0.15)
    assert w["attainment"] == pytest.approx(0.25 / 0.70)
    assert any(n.startswith("product knowledge, collaboration: not graded") and "review" in n
               for n in notes)
    assert any(n.startswith("CSAT: not graded") and "CSAT" in n for n in notes)
    # grading on what remains runs and every rep gets a score
    result = grade(k, w.to_dict(), shares=SHARES)
    assert result.scores.notna().all()
    full, none = usable_weights(kpis(load_sample()), PRESETS["balanced"], {})
    assert none == [] and full.to_dict() == pytest.approx(PRESETS["balanced"])


def test_no_weighted_kpi_with_data_is_an_error():
    from helpers.grading import usable_weights
    k = pd.DataFrame({"revenue": [1.0, 2.0], "csat": [np.nan, np.nan]}, index=["a", "b"])
    with pytest.raises(GradingError, match="no weighted KPI has data"):
        usable_weights(k, {"csat": 1.0}, {})


def test_one_year_without_quota_drops_attainment_and_says_why(tmp_path):
    from helpers.grading import usable_weights
    ds = shaped(tmp_path, "one_year", "no_quota")
    k = kpis(ds, ds.last_year)
    assert k["attainment"].isna().all()
    w, notes = usable_weights(k, PRESETS["balanced"], ds.lacks())
    assert "attainment" not in w.index and w.sum() == pytest.approx(1)
    assert any(n.startswith("attainment: not graded") and "quota" in n
               and "previous 12 months" in n for n in notes)


def test_gate_on_a_measure_the_data_lacks_is_dropped_or_blocks_and_says_so(tmp_path):
    from helpers.grading import usable_gates
    ds = shaped(tmp_path, "no_csat")
    k = kpis(ds)
    gates = {"senior": {"tenure_years": 2, "csat": 75}}
    kept, notes = usable_gates(gates, k, ds.lacks())
    assert kept == {"senior": {"tenure_years": 2}}
    assert notes == ["gate csat ≥ 75 for senior cannot apply: no CSAT in the data — dropped."]
    blocked, notes = usable_gates(gates, k, ds.lacks(), missing="block")
    assert blocked == gates
    assert notes[0].startswith("gate csat ≥ 75 for senior cannot apply: no CSAT in the data "
                               "— kept as blocking, so no rep can move up to senior")
    # dropped, the scores alone decide: as many reach senior+ as without any csat gate
    w, _ = usable_weights_for(k, ds)
    plain = grade(k, w, shares=SHARES, rules={"senior": {"tenure_years": 2}})
    dropped = grade(k, w, shares=SHARES, rules=kept)
    assert (dropped.assigned["proposed"] >= "senior").sum() \
        == (plain.assigned["proposed"] >= "senior").sum() > 0
    with pytest.raises(GradingError, match="missing="):
        usable_gates(gates, k, ds.lacks(), missing="maybe")


def usable_weights_for(k, ds):
    from helpers.grading import usable_weights
    w, notes = usable_weights(k, PRESETS["balanced"], ds.lacks())
    return w.to_dict(), notes


def test_gate_on_a_partly_missing_measure_names_the_blocked_count():
    from helpers.grading import usable_gates
    k = pd.DataFrame({"csat": [80.0, np.nan, 70.0]}, index=list("abc"))
    kept, notes = usable_gates({"senior": {"csat": 75}}, k, {})
    assert kept == {"senior": {"csat": 75}}
    assert notes == ["gate csat ≥ 75 for senior: 1 of 3 reps have no csat value and "
                     "cannot pass it."]


def test_partial_last_year_is_graded_on_its_months_and_says_so(tmp_path):
    from helpers.grading import graded_period
    ds = shaped(tmp_path, "partial_last_year")
    p = graded_period(ds, 2026)
    assert (p.months, p.partial) == (7, True)
    assert p.text == ("graded on Jan–Jul 2026, 7 months (the history ends there); "
                      "volumes are pro-rated to a full year")
    full = graded_period(ds, 2025)
    assert (full.months, full.partial) == (12, False)
    assert full.text == "graded on Jan–Dec 2025, 12 months"
    k = kpis(ds, 2026)
    assert k["months"].max() == 7
    # tenure counts to the end of the history, not to December
    hire = ds.roster.set_index("rep_id")["hire_date"].reindex(k.index)
    expected = ((pd.Timestamp("2026-07-31") - hire).dt.days / 365.25).round(2)
    assert k["tenure_years"].to_numpy() == pytest.approx(expected.to_numpy())


def test_a_kpi_some_reps_lack_stays_and_the_count_is_said():
    from helpers.grading import usable_weights
    k = pd.DataFrame({"revenue": [1.0, 2.0, 3.0], "attainment": [1.0, np.nan, 0.9]},
                     index=list("abc"))
    w, notes = usable_weights(k, {"revenue": 0.5, "attainment": 0.5}, {"quota": "..."})
    assert w.to_dict() == {"revenue": 0.5, "attainment": 0.5}
    assert notes == ["attainment: 1 of 3 reps have no quota and no revenue in the 12 months "
                     "before the period; for them its weight is spread over their other KPIs."]
    _, notes = usable_weights(k, {"revenue": 0.5, "attainment": 0.5}, {})
    assert notes == ["attainment: 1 of 3 reps have no value; for them its weight is spread "
                     "over their other KPIs."]


def test_panel_offers_only_the_kpis_the_data_has(tmp_path):
    from helpers.ui.grading import GradingPanel
    ds = shaped(tmp_path, "no_reviews", "no_csat")
    k = kpis(ds)
    panel = GradingPanel(k.loc[:, k.notna().any()])
    assert set(panel.sliders) == {"revenue", "attainment", "new_customers", "retention",
                                  "sales_cycle"}
    assert panel.result is not None and panel.result.scores.notna().all()
    assert sum(panel.weights().values()) == pytest.approx(1)


def test_a_gate_blocking_for_want_of_a_value_says_which():
    scores = pd.Series([90.0, 90.0, 90.0], index=list("abc"))
    facts = pd.DataFrame({"csat": [80.0, np.nan, 60.0], "tenure_years": [3.0, 3.0, np.nan]},
                         index=list("abc"))
    out = assign(scores, [20, 40, 60, 80], rules={"senior": {"csat": 75, "tenure_years": 2}},
                 facts=facts)
    assert list(out["proposed"].astype(str)) == ["top", "intermediate", "intermediate"]
    assert list(out["note"]) == ["", "gate for senior not met (no csat value)",
                                 "gate for senior not met (no tenure_years value)"]


# ------------------------------------------------------------- weights set by hand (custom)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(list(DIRECTIONS)),
                       st.one_of(st.just(0.0), st.floats(1e-3, 5)), min_size=1))
def test_hand_set_weights_act_as_their_shares(raw):
    """notebook 02's `kpi_weights` are taken as given and act as their shares: what
    `usable_weights` makes of them is `effective_weights` of the same sliders."""
    assume(sum(raw.values()) > 0)
    chosen = preset_weights(CUSTOM, raw)
    assert chosen == {k: float(v) for k, v in raw.items()}
    full = pd.DataFrame({k: [1.0, 2.0] for k in DIRECTIONS})
    kept, _ = usable_weights(full, chosen)
    acting = effective_weights(chosen)
    pd.testing.assert_series_equal(kept, acting[acting > 0], check_names=False)


def test_preset_weights_are_the_preset_unless_set_by_hand():
    assert preset_weights("balanced") == PRESETS["balanced"]
    assert preset_weights("balanced", {"csat": 1}) == {"csat": 1.0}  # given weights win
    for preset, given_weights, says in (
            (CUSTOM, None, "give them as kpi_weights"),
            ("lucky", None, "'lucky': not a preset"),
            (CUSTOM, [0.5, 0.5], "expected KPI -> weight"),
            (CUSTOM, {"csat": -1}, "kpi_weights['csat']=-1"),
            (CUSTOM, {"csat": "high"}, "kpi_weights['csat']='high'"),
            (CUSTOM, {"csat": 0}, "every weight is 0")):
        with pytest.raises(GradingError, match=None) as caught:
            preset_weights(preset, given_weights)
        assert says in str(caught.value)
