"""Calibration meeting: empirical-Bayes scores, level probabilities, the agenda, decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from helpers.data import DataError, from_frames, load_sample, save
from helpers.errors import GradingError
from helpers.fairness import audit
from helpers.grading import (
    DIRECTIONS,
    POOL,
    PRESETS,
    adjust_raters,
    apply_decisions,
    assign,
    calibration_agenda,
    calibration_sheet,
    change_probabilities,
    composite_arrays,
    current_levels,
    decision_changes,
    empirical_bayes,
    fairness_on_final,
    grade,
    kpi_arrays,
    kpis,
    level_probabilities,
    monthly_parts,
    monthly_scores,
    normalize_arrays,
    read_decisions,
    shrunk_scores,
    stability,
    usable_gates,
    usable_weights,
)

SHARES = (0.10, 0.20, 0.40, 0.20, 0.10)
GATES = {"senior": {"tenure_years": 2, "csat": 75}}


def run(ds):
    """Notebook 02's proposal on record, and the pooled scores for the same reps."""
    raw = kpis(ds)
    adjusted, _ = adjust_raters(ds.reviews, raw)
    k = kpis(ds, reviews=adjusted)
    current, _ = current_levels(ds)
    w, _ = usable_weights(k, PRESETS["balanced"], ds.lacks())
    rules, _ = usable_gates(GATES, k, ds.lacks())
    weights = w.to_dict()
    res = grade(k, weights, shares=SHARES, current=current, hysteresis=2.0, rules=rules)
    post = shrunk_scores(ds, weights, current=current, reviews=adjusted)
    return k, weights, res, post


@pytest.fixture(scope="module")
def ds():
    return load_sample()


@pytest.fixture(scope="module")
def sample_run(ds):
    return run(ds)


# ---------------------------------------------------------------------- empirical Bayes


def test_empirical_bayes_by_hand():
    # group g: means 2, 6, 10, within-rep variance 2 -> sigma2 = 2, noise 2/2 = 1,
    # between-rep variance 16 -> tau2 = 15, weight 15/16, posterior sd sqrt(15/16).
    # group h: means 1, 2, 3 -> variance 1 = noise: tau2 = 0, so it borrows g's 15.
    monthly = pd.DataFrame([[1, 3], [5, 7], [9, 11], [0, 2], [1, 3], [2, 4]],
                           index=list("abcdef"), dtype=float)
    group = pd.Series(["g"] * 3 + ["h"] * 3, index=list("fedcba")[::-1])  # matched by key
    out = empirical_bayes(monthly, group)
    assert out.attrs["sigma2"] == pytest.approx(2.0)
    assert out.attrs["tau2"] == pytest.approx({"g": 15.0, "h": 15.0})
    assert out["weight"].to_numpy() == pytest.approx([15 / 16] * 6)
    assert out["shrunk"].to_numpy() == pytest.approx([2.25, 6, 9.75, 1.0625, 2, 2.9375])
    assert out["posterior_sd"].to_numpy() == pytest.approx([np.sqrt(15 / 16)] * 6)
    assert list(out["prior_mean"]) == pytest.approx([6, 6, 6, 2, 2, 2])


def test_empirical_bayes_reps_without_a_level_or_in_a_tiny_one_go_to_the_pool():
    monthly = pd.DataFrame([[1, 3], [5, 7], [9, 11], [20, 22], [30, 32]],
                           index=list("abcde"), dtype=float)
    out = empirical_bayes(monthly, pd.Series(["g", "g", "g", np.nan, "k"],
                                             index=list("abcde")))
    assert list(out["group"]) == ["g", "g", "g", POOL, POOL]
    assert out.loc["d", "prior_mean"] == pytest.approx(np.mean([2, 6, 10, 21, 31]))
    assert out.loc["e", "shrunk"] < 31  # pulled toward everyone, not its own mean


def test_empirical_bayes_beats_raw_means_and_matches_the_closed_form_blup():
    """Simulated random-intercept data: known tau and sigma, unequal months per rep."""
    rng = np.random.default_rng(11)
    reps, tau, sigma, mu = 600, 4.0, 12.0, 50.0
    theta = mu + rng.normal(0, tau, reps)
    months = rng.integers(2, 13, reps)
    x = theta[:, None] + rng.normal(0, sigma, (reps, 12))
    x[np.arange(12) >= months[:, None]] = np.nan
    out = empirical_bayes(pd.DataFrame(x))
    raw_mse = np.mean((out["raw_mean"] - theta) ** 2)
    eb_mse = np.mean((out["shrunk"] - theta) ** 2)
    assert eb_mse < 0.75 * raw_mse
    assert out.attrs["sigma2"] == pytest.approx(sigma**2, rel=0.05)
    assert out.attrs["tau2"][POOL] == pytest.approx(tau**2, rel=0.35)
    # the BLUP of a random-intercept model with the true variances, in closed form
    b = tau**2 / (tau**2 + sigma**2 / months)
    blup = mu + b * (out["raw_mean"].to_numpy() - mu)
    assert np.abs(out["shrunk"].to_numpy() - blup).max() < 1.5
    assert np.mean((blup - theta) ** 2) == pytest.approx(eb_mse, rel=0.1)
    # the posterior sd is honest: about 95 % of true scores inside +/- 1.96 sd
    inside = np.abs(out["shrunk"] - theta) <= 1.96 * out["posterior_sd"]
    assert 0.9 < inside.mean() < 0.99


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 30), st.floats(0.1, 20), st.floats(0.1, 20))
def test_shrunk_lies_between_raw_and_level_mean_and_sd_shrinks(seed, reps, tau, sigma):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, tau, reps)[:, None] + rng.normal(0, sigma, (reps, 12))
    x[np.arange(12) >= rng.integers(1, 13, reps)[:, None]] = np.nan
    x[0, 1] = x[0, 0] + 1.0  # at least one rep has two months
    group = pd.Series(rng.choice(["a", "b", None], reps), dtype=object)
    out = empirical_bayes(pd.DataFrame(x), group)
    lo = np.minimum(out["raw_mean"], out["prior_mean"]) - 1e-9
    hi = np.maximum(out["raw_mean"], out["prior_mean"]) + 1e-9
    assert ((out["shrunk"] >= lo) & (out["shrunk"] <= hi)).all()
    assert ((out["weight"] > 0) & (out["weight"] <= 1)).all()
    noise = np.sqrt(out.attrs["sigma2"] / out["months"])
    assert (out["posterior_sd"] <= noise + 1e-9).all()


def test_empirical_bayes_refuses_what_it_cannot_measure():
    with pytest.raises(GradingError, match="no rep has two months"):
        empirical_bayes(pd.DataFrame({1: [1.0, 2.0]}, index=["a", "b"]))
    with pytest.raises(GradingError, match="monthly: rep\\(s\\) b have no monthly score"):
        empirical_bayes(pd.DataFrame({1: [1.0, np.nan], 2: [3.0, np.nan]}, index=["a", "b"]))
    with pytest.raises(GradingError, match="group: no entry for rep\\(s\\) b"):
        empirical_bayes(pd.DataFrame({1: [1.0, 2.0], 2: [2.0, 4.0]}, index=["a", "b"]),
                        pd.Series(["x"], index=["a"]))


# ------------------------------------------------------------------------ monthly scores


def test_monthly_scores_centre_on_the_annual_score_and_their_noise_matches_a_bootstrap(ds):
    weights = PRESETS["balanced"]
    monthly = monthly_scores(ds, weights)
    annual = grade(kpis(ds), weights).scores
    assert np.allclose(monthly.attrs["score"].reindex(annual.index), annual)
    months = monthly.notna().sum(axis=1)
    assert (months == kpis(ds)["months"].reindex(months.index)).all()
    # the months' spread measures the annual score's noise: a plain bootstrap of the months
    # (public array cores, numpy's generator) gives noise of the same size
    data = monthly_parts(ds)
    n, m = data.parts["revenue"].shape
    rng = np.random.default_rng(5)
    pick = (rng.random((150, n, m)) * data.months[None, :, None]).astype(int)
    pick = np.where(np.arange(m) < data.months[:, None], pick, m)  # m: no month
    counts = (pick[..., None] == np.arange(m)).sum(axis=2).astype(float)  # (b, n, m)
    stacked = np.stack([data.parts[k] for k in data.parts])
    sums = np.einsum("bnm,cnm->cbn", counts, stacked)
    scaled = normalize_arrays(kpi_arrays(dict(zip(data.parts, sums, strict=True)),
                                         data.months, data), "percentile", DIRECTIONS)
    w = np.array([weights.get(k, 0.0) for k in DIRECTIONS])
    boot = composite_arrays(np.stack([scaled[k] for k in DIRECTIONS]), w).std(axis=0)
    jack = np.sqrt(monthly.var(axis=1, ddof=1) / months).to_numpy()
    ratio = np.sqrt(np.mean(jack**2) / np.mean(boot**2))
    assert 0.8 < ratio < 1.6  # the jackknife is the (slightly) more cautious of the two
    assert np.corrcoef(jack, boot)[0, 1] > 0.7


def test_shrunk_scores_pool_toward_the_current_level(sample_run, ds):
    _, _, res, post = sample_run
    current = ds.roster.set_index("rep_id")["level"]
    assert (post["group"] == current.reindex(post.index).astype(str)).all()
    assert (post["raw_mean"] == post["score"]).all()
    assert np.allclose(post["score"], res.scores.reindex(post.index))
    level_mean = post.groupby("group")["score"].transform("mean")
    assert np.allclose(post["prior_mean"], level_mean)
    # pulled toward the level: never further from its mean than the raw score
    assert ((post["shrunk"] - level_mean).abs() <= (post["score"] - level_mean).abs()
            + 1e-9).all()


# -------------------------------------------------------------------------- probabilities


def test_level_and_change_probabilities_by_hand():
    post = pd.DataFrame({"shrunk": [50.0, 25.0, 90.0], "posterior_sd": [10.0, 5.0, 1e-9]},
                        index=["a", "b", "c"])
    cuts = [20.0, 40.0, 60.0, 80.0]
    probs = level_probabilities(post, cuts)
    assert np.allclose(probs.sum(axis=1), 1)
    assert probs.loc["a", "senior"] == pytest.approx(norm.cdf(1) - norm.cdf(-1))
    assert probs.loc["c", "top"] == pytest.approx(1)
    assigned = assign(pd.Series([62.0, 25.0, 90.0], index=["a", "b", "c"]), cuts,
                      current=pd.Series(["intermediate", "senior", np.nan],
                                        index=["a", "b", "c"]))
    assert list(assigned["change"]) == ["promotion", "demotion", "first level"]
    chance = change_probabilities(assigned, post, cuts)
    # a: promoted two levels to principal; P(true score >= 60) = 1 - cdf(1)
    assert chance.loc["a", "probability"] == pytest.approx(1 - norm.cdf(1))
    assert chance.loc["a", "promotion"] == pytest.approx(1 - norm.cdf(-1))
    # b: demoted to intermediate; P(true score < 40) = cdf(3)
    assert chance.loc["b", "probability"] == pytest.approx(norm.cdf(3))
    assert chance.loc["c", "probability"] == pytest.approx(1)
    assert np.isnan(chance.loc["c", "promotion"])


# ---------------------------------------------------------------------------------- agenda


def test_agenda_is_short_ranked_by_stake_and_says_who_was_left_off(sample_run, ds):
    k, weights, res, post = sample_run
    agenda = calibration_agenda(res.assigned, post, res.thresholds, roster=ds.roster,
                                kpis=k, normalized=res.normalized, weights=weights)
    stab = stability(ds, weights, res.thresholds, n_boot=60, seed=0)
    old = calibration_sheet(res.assigned, stab, ds.roster)
    n = len(res.assigned)
    print(f"agenda {len(agenda)} of {n} reps at 15 %; the old sheet lists {len(old)}")
    assert 0 < len(agenda) <= 0.15 * n < len(old)
    assert agenda["stake"].is_monotonic_decreasing
    assert agenda["probability"].between(0.2, 0.8).all()
    chance = change_probabilities(res.assigned, post, res.thresholds)["probability"]
    candidates = chance.between(0.2, 0.8)
    assert agenda.attrs["candidates"] == candidates.sum()
    left = agenda.attrs["candidates"] - len(agenda)
    assert f"{left} more uncertain proposal(s) were left off" in agenda.attrs["note"]
    # stake = levels moved (0.5 for a stay) x (1 - |2p - 1|), and nothing left off had more
    cur = res.assigned["current"].cat.codes
    prop = res.assigned["proposed"].cat.codes
    size = np.where(prop == cur, 0.5, (prop - cur).abs())
    stake = pd.Series(size * (1 - (2 * chance - 1).abs()), index=chance.index)
    assert np.allclose(agenda["stake"], stake.reindex(agenda["rep_id"]).round(3))
    off = stake[candidates & ~stake.index.isin(agenda["rep_id"])]
    assert off.max() <= stake.reindex(agenda["rep_id"]).min() + 1e-12
    managers = ds.roster.set_index("rep_id")["manager_id"]
    assert (agenda["manager_id"] == managers.reindex(agenda["rep_id"]).to_numpy()).all()
    moves = agenda["change"] != "same"
    assert agenda["evidence"][moves].str.match(r"score \d+\.\d vs \w+ line \d+\.\d").all()
    assert agenda["evidence"][~moves].str.match(r"score \d+\.\d in the \w+ range").all()
    assert agenda["evidence"].str.contains(r"\d+ of 1?\d months (?:above|below|in) the").all()
    assert agenda["evidence"].str.contains("weakest KPI").all()
    assert agenda[["final_level", "reason", "decided_by"]].isna().all().all()
    wider = calibration_agenda(res.assigned, post, res.thresholds, max_share=0.3)
    assert len(agenda) <= len(wider) <= 0.3 * n
    assert list(wider["rep_id"][: len(agenda)]) == list(agenda["rep_id"])


def test_agenda_follows_reps_not_rows_or_ids(ds, sample_run):
    _, _, res, post = sample_run
    agenda = calibration_agenda(res.assigned, post, res.thresholds, roster=ds.roster)
    ids = ds.roster["rep_id"]
    order = np.random.default_rng(3).permutation(len(ids))
    new = dict(zip(ids, [f"{chr(65 + k % 26)}-{k * 37 % 1000:03d}" for k in order],
                   strict=True))
    back = {v: k for k, v in new.items()}
    rng = np.random.default_rng(4)

    def moved(frame):
        frame = frame.assign(rep_id=frame["rep_id"].map(new))
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    other = from_frames(moved(ds.roster), moved(ds.history), moved(ds.reviews))
    _, _, res2, post2 = run(other)
    agenda2 = calibration_agenda(res2.assigned, post2, res2.thresholds, roster=other.roster)
    agenda2["rep_id"] = agenda2["rep_id"].map(back)
    pd.testing.assert_frame_equal(agenda2, agenda, check_dtype=False)


def test_agenda_parameters_and_first_placements():
    post = pd.DataFrame({"shrunk": [39.0, 41.0, 70.0], "posterior_sd": [2.0, 100.0, 1.0],
                         "raw_mean": [39.0, 41.0, 70.0], "score": [39.0, 41.0, 70.0]},
                        index=["a", "b", "c"])
    assigned = assign(post["score"], [20.0, 40.0, 60.0, 80.0])  # no current level
    agenda = calibration_agenda(assigned, post, [20.0, 40.0, 60.0, 80.0], max_share=1)
    assert list(agenda["rep_id"]) == ["a"]  # b is too unsure of anything, c is settled
    assert agenda.loc[0, "change"] == "first level"
    assert agenda.loc[0, "evidence"] == (
        "score 39.0 in the intermediate range 20.0–40.0 (19.0 above its floor, 1.0 below the "
        "senior line); pooled toward the average of all reps: 39.0 ± 2.0")
    for bad in ({"max_share": 0}, {"band": (0.8, 0.2)}, {"band": (-0.1, 0.5)}):
        with pytest.raises(GradingError):
            calibration_agenda(assigned, post, [20.0, 40.0, 60.0, 80.0], **bad)


# ------------------------------------------------------------------------------- decisions


def small():
    assigned = assign(pd.Series([10.0, 30.0, 50.0, 70.0, 90.0], index=list("abcde")),
                      [20.0, 40.0, 60.0, 80.0],
                      current=pd.Series(["junior", "senior", "senior", "principal", "top"],
                                        index=list("abcde")))
    roster = pd.DataFrame({"rep_id": list("edcba"), "manager_id": ["M2", "M2", "M1", "M1", "M1"],
                           "gender": ["F", "M", "F", "M", "F"]})
    return assigned, roster


def test_decisions_file_round_trip_apply_and_changes(tmp_path):
    assigned, roster = small()
    post = pd.DataFrame({"shrunk": assigned["score"], "posterior_sd": 15.0,
                         "raw_mean": assigned["score"], "score": assigned["score"]})
    agenda = calibration_agenda(assigned, post, [20.0, 40.0, 60.0, 80.0], max_share=1,
                                band=(0, 1), roster=roster)
    agenda = agenda.set_index("rep_id")
    agenda.loc["a", ["final_level", "reason", "decided_by"]] = ["senior", "covers two desks",
                                                                "HR panel"]
    agenda.loc["e", ["final_level", "reason", "decided_by"]] = ["principal", "on leave", "M2"]
    agenda.loc["c", "final_level"] = "senior"  # the proposal, confirmed: no reason needed
    path = save(agenda.reset_index(), tmp_path / "calibration_2027.csv")
    decisions = read_decisions(path, assigned)
    assert list(decisions.index) == sorted(["a", "c", "e"], key=list(agenda.index).index)
    final = apply_decisions(assigned, decisions)
    assert list(final["final"].astype(str)) == ["senior", "intermediate", "senior",
                                                "principal", "principal"]
    assert list(final["decision"]) == ["up", "", "", "", "down"]
    assert list(final["change"]) == ["promotion", "demotion", "same", "same", "demotion"]
    assert final.loc["a", "decided_by"] == "HR panel" and pd.isna(final.loc["b", "reason"])
    table = decision_changes(assigned, final, roster).set_index(["by", "group"])
    assert table.loc[("manager", "M1"), ["reps", "changed", "up", "down", "net"]].tolist() \
        == [3, 1, 2, 0, 2]  # a: junior -> senior is two levels up
    assert table.loc[("manager", "M2"), ["changed", "up", "down", "net"]].tolist() == [1, 0, 1, -1]
    assert table.loc[("gender", "F"), ["changed", "net"]].tolist() == [2, 1]
    assert table.loc[("all", "all"), ["reps", "changed", "up", "down", "net"]].tolist() \
        == [5, 2, 2, 1, 1]
    assert decision_changes(assigned, final, roster, by=("region",)).attrs["skipped"] == [
        "region: not in the roster; not counted."]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.drop(columns="decided_by"), r"decisions\.csv: missing column\(s\) decided_by"),
    (lambda f: f.assign(rep_id=["a", "zz", "c"]),
     r"decisions\.csv, column rep_id: line\(s\) 3 name rep\(s\) not graded: zz"),
    (lambda f: f.assign(rep_id=["a", "a", "c"]),
     r"decisions\.csv, column rep_id: line\(s\) 2, 3 decide rep\(s\) a more than once"),
    (lambda f: f.assign(final_level=["senior", "boss", "senior"]),
     r"decisions\.csv, column final_level: line\(s\) 3 have 'boss', not a level"),
    (lambda f: f.assign(reason=["", "x", "x"]),
     r"decisions\.csv, column reason: line\(s\) 2 change the proposed level of rep\(s\) a "
     r"without a reason"),
    (lambda f: f.assign(decided_by=["HR", "", " "]),
     r"decisions\.csv, column decided_by: line\(s\) 3 change the proposed level of rep\(s\) b"
     r" without who decided"),
])
def test_read_decisions_names_file_column_and_rows(tmp_path, edit, message):
    assigned, _ = small()
    good = pd.DataFrame({"rep_id": ["a", "b", "c"],
                         "final_level": ["senior", "senior", "senior"],
                         "reason": ["x", "x", ""], "decided_by": ["HR", "HR", ""]})
    assert len(read_decisions(good, assigned)) == 3
    edit(good).to_csv(tmp_path / "decisions.csv", index=False)
    with pytest.raises(DataError, match=message):
        read_decisions(tmp_path / "decisions.csv", assigned)


def test_read_decisions_frame_rows_and_missing_file(tmp_path):
    assigned, _ = small()
    frame = pd.DataFrame({"rep_id": ["a", "q"], "final_level": ["junior", "top"],
                          "reason": ["", "x"], "decided_by": ["", "x"]})
    with pytest.raises(DataError, match=r"decisions \(frame\), column rep_id: row\(s\) 2"):
        read_decisions(frame, assigned)
    blank = frame.assign(final_level=["", None])  # no level: no decision, nothing to check
    assert read_decisions(blank, assigned).empty
    with pytest.raises(DataError, match="no such decisions file"):
        read_decisions(tmp_path / "none.csv", assigned)


def test_fairness_reruns_on_final_levels(sample_run, ds):
    _, _, res, _ = sample_run
    a = res.assigned
    gender = ds.roster.set_index("rep_id")["gender"]
    women_below = a.index[(a["proposed"] < "senior") & (gender.reindex(a.index) == "F")]
    assert len(women_below) > 2
    lift = pd.DataFrame({"final_level": "senior", "reason": "calibration",
                         "decided_by": "panel"}, index=women_below[:3])
    final = apply_decisions(a, read_decisions(lift.rename_axis("rep_id").reset_index(), a))
    before = fairness_on_final(apply_decisions(a, lift.iloc[:0]), ds.roster)
    after = fairness_on_final(final, ds.roster)
    proposal = audit(a["proposed"] >= "senior",
                     ds.roster.set_index("rep_id").reindex(a.index)[["gender"]])
    rate = before["senior or above"].set_index(["by", "group"])["rate"]
    assert rate[("gender", "F")] == pytest.approx(
        proposal.set_index("group").loc["F", "rate"])
    women = int((gender.reindex(a.index) == "F").sum())
    new = after["senior or above"].set_index(["by", "group"])
    assert new.loc[("gender", "F"), "rate"] == pytest.approx(rate[("gender", "F")] + 3 / women)
    assert new.loc[("gender", "M"), "rate"] == pytest.approx(rate[("gender", "M")])
    assert set(after) == {"senior or above", "promoted"}
    with pytest.raises(GradingError, match="level='boss'"):
        fairness_on_final(final, ds.roster, level="boss")
