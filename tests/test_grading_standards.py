"""Criteria-based levels: standards read from YAML, cumulative levels, the margin, missing
KPIs, calibration aids, territory potential, and how many reps change level on the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data import load_sample
from helpers.grading import (
    AIDS,
    PRESETS,
    SAMPLE_STANDARDS,
    VOLUME_KPIS,
    GradingError,
    LevelStandards,
    assign_by_standards,
    calibration_aids,
    composite,
    current_levels,
    grade,
    kpis,
    levels_of,
    load_standards,
    normalize,
    standard_levels,
    suggest_standards,
    territory_potential,
    thresholds,
    usable_standards,
    usable_weights,
)
from helpers.schema import LEVELS

SHARES = (0.1, 0.2, 0.4, 0.2, 0.1)
MARGIN = 2.0  # the notebook's margin

# a small hand-made standard: the level follows from each requirement by hand
SMALL = {
    "intermediate": {"kpis": {"csat": 60}},
    "senior": {"min_score": 50, "kpis": {"csat": 70, "product_knowledge": 3}},
    "principal": {"min_score": 70, "kpis": {"csat": 80, "sales_cycle": 40}},
    "top": {"min_score": 85, "kpis": {"csat": 90, "collaboration": 4}},
}


@pytest.fixture(scope="module")
def small() -> LevelStandards:
    return LevelStandards.from_dict(SMALL)


def _reps(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"csat": 95.0, "product_knowledge": 5.0, "sales_cycle": 30.0, "collaboration": 5.0}
    frame = pd.DataFrame({k: np.full(n, v) for k, v in base.items()},
                         index=pd.Index([f"R{i:03d}" for i in range(n)], name="rep_id"))
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float)
    return frame


# ------------------------------------------------------------------------- the YAML


def test_the_sample_standards_load_and_round_trip(tmp_path):
    std = load_standards(SAMPLE_STANDARDS)
    assert std.levels == LEVELS and set(std.standards) == set(LEVELS[1:])
    assert {"attainment", "csat", "product_knowledge", "collaboration"} <= set(std.kpis)
    std.to_yaml(tmp_path / "copy.yaml")
    assert load_standards(tmp_path / "copy.yaml").standards == std.standards


@pytest.mark.parametrize("change, where, says", [
    (lambda d: d["senior"]["kpis"].update(csat="x"), "senior.kpis.csat",
     "must be a number, got 'x'"),
    (lambda d: d["senior"]["kpis"].update(charm=3), "senior.kpis.charm", "unknown KPI"),
    (lambda d: d.update(wizard={"min_score": 99}), "wizard", "unknown level"),
    (lambda d: d.update(junior={"min_score": 1}), "junior", "first level has no standard"),
    (lambda d: d.pop("principal"), "principal", "is required"),
    (lambda d: d["top"]["kpis"].update(csat=65), "top.kpis.csat", "asks less than principal"),
    (lambda d: d["top"]["kpis"].update(sales_cycle=55), "top.kpis.sales_cycle",
     "asks more than principal"),
    (lambda d: d["principal"].update(min_score=40), "principal.min_score",
     "asks less than senior"),
    (lambda d: d["senior"].update(min_score=140), "senior.min_score", "must be <= 100"),
    (lambda d: d["senior"].update(minscore=40), "senior.minscore", "unknown key"),
])
def test_a_bad_standard_names_the_file_and_key_path(tmp_path, change, where, says):
    data = yaml.safe_load(yaml.safe_dump(SMALL))
    change(data)
    path = tmp_path / "levels.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(GradingError, match="levels.yaml: ") as err:
        load_standards(path)
    assert f"levels.yaml: {where}: " in str(err.value) and says in str(err.value)


def test_an_unreadable_file_is_a_grading_error(tmp_path):
    path = tmp_path / "levels.yaml"
    path.write_text("senior: [unclosed", encoding="utf-8")
    with pytest.raises(GradingError, match="levels.yaml: cannot read"):
        load_standards(path)


# ----------------------------------------------------------------------- assignment


def test_levels_are_cumulative_and_name_the_first_unmet_requirement(small):
    # R000 meets top's csat and collaboration but not senior's product knowledge: it
    # cannot skip a level, so it stays intermediate, and says why
    reps = _reps(csat=[95, 95, 75, 55, 95], product_knowledge=[2, 5, 5, 5, 5],
                 sales_cycle=[30, 30, 30, 30, 45])
    scores = pd.Series([99, 99, 75, 99, 99.0], index=reps.index)
    out = assign_by_standards(reps, scores, small)
    assert list(out["proposed"]) == ["intermediate", "top", "senior", "junior", "senior"]
    assert out.loc["R000", "needs"] == "product knowledge 2 < 3 for senior"
    assert out.loc["R002", "needs"] == "CSAT 75 < 80 for principal"  # score 75 clears 70
    assert out.loc["R003", "needs"] == "CSAT 55 < 60 for intermediate"
    assert out.loc["R004", "needs"] == "sales cycle 45 > 40 for principal"
    assert out.loc["R001", "needs"].startswith("meets every standard")
    assert "change" not in out and list(out.columns[:2]) == ["score", "proposed"]


def test_a_score_just_under_the_minimum_misses_it_and_the_margin_keeps_a_current_level(small):
    reps = _reps(csat=[75, 75, 75, 75])
    scores = pd.Series([49.0, 49.0, 47.0, 49.0], index=reps.index)
    current = pd.Series(["senior", "senior", "senior", np.nan], index=reps.index)
    plain = assign_by_standards(reps, scores, small, current=current, demote=True)
    assert list(plain["proposed"]) == ["intermediate"] * 4
    held = assign_by_standards(reps, scores, small, current=current, hysteresis=MARGIN,
                               demote=True)
    # 49 is within 2 points of senior's 50: kept; 47 is not; no current level: no margin
    assert list(held["proposed"]) == ["senior", "senior", "intermediate", "intermediate"]
    assert list(held["change"]) == ["same", "same", "demotion", "first level"]
    assert "margin kept senior" in held.loc["R000", "note"]
    assert held.loc["R002", "note"] == ""
    # the margin on a KPI is a share of its bound: csat 69 is within 2 % of senior's 70
    kpi = assign_by_standards(_reps(csat=[69.0, 68.0]), pd.Series([60.0, 60.0],
                              index=["R000", "R001"]), small, hysteresis=MARGIN,
                              current=pd.Series(["senior", "senior"], index=["R000", "R001"]),
                              demote=True)
    assert list(kpi["proposed"]) == ["senior", "intermediate"]


def test_below_the_standard_keeps_the_level_on_a_development_plan_unless_demote(small):
    """A job level is not taken away on one year's numbers by default: a rep below their
    level's standard (beyond the margin) keeps it, noted for a development plan."""
    reps = _reps(csat=[75, 75, 75])
    scores = pd.Series([47.0, 47.0, 49.0], index=reps.index)
    current = pd.Series(["senior", np.nan, "senior"], index=reps.index)
    kept = assign_by_standards(reps, scores, small, current=current, hysteresis=MARGIN)
    assert list(kept["proposed"]) == ["senior", "intermediate", "senior"]
    assert list(kept["change"]) == ["same", "first level", "same"]
    assert kept.loc["R000", "note"].startswith("below the senior standard: kept on a "
                                               "development plan")
    assert "margin kept senior" in kept.loc["R002", "note"]  # within the margin: as before
    now = assign_by_standards(reps, scores, small, current=current, hysteresis=MARGIN,
                              demote=True)
    assert list(now["change"]) == ["demotion", "first level", "same"]


def test_the_margin_never_promotes(small):
    reps = _reps(csat=[75, 75])
    scores = pd.Series([49.0, 49.0], index=reps.index)
    current = pd.Series(["intermediate", "junior"], index=reps.index)
    out = assign_by_standards(reps, scores, small, current=current, hysteresis=5)
    assert list(out["proposed"]) == ["intermediate", "intermediate"]
    assert list(out["change"]) == ["same", "promotion"]


def test_a_kpi_the_data_lacks_is_dropped_with_a_sentence_or_blocks(small):
    reps = _reps(csat=[95, 95]).drop(columns="csat")
    scores = pd.Series([99.0, 40.0], index=reps.index)
    out = assign_by_standards(reps, scores, small, lacks={"csat": "no CSAT"})
    assert list(out["proposed"]) == ["top", "intermediate"]
    (note,) = out.attrs["notes"]
    assert "CSAT" in note and "dropped" in note and "there is no CSAT in the data" in note
    blocked = assign_by_standards(reps, scores, small, missing="block")
    assert list(blocked["proposed"]) == ["junior", "junior"]
    assert "no rep can reach intermediate" in blocked.attrs["notes"][0]
    with pytest.raises(GradingError, match="missing='skip'"):
        assign_by_standards(reps, scores, small, missing="skip")


def test_a_rep_without_a_value_is_not_promoted_over_it_nor_demoted_for_it(small):
    reps = _reps(csat=[95, 95, 95], collaboration=[np.nan, np.nan, 5])
    scores = pd.Series([99.0, 99.0, 99.0], index=reps.index)
    current = pd.Series(["top", "principal", "principal"], index=reps.index)
    out = assign_by_standards(reps, scores, small, current=current, hysteresis=0.5)
    assert list(out["proposed"]) == ["top", "principal", "top"]
    assert out.loc["R001", "needs"] == "no collaboration value for top"
    assert "2 of 3 reps have no value" in out.attrs["notes"][0]


def test_bad_inputs_are_refused_by_name(small):
    reps = _reps(csat=[95.0])
    with pytest.raises(GradingError, match="hysteresis"):
        assign_by_standards(reps, pd.Series([1.0], index=reps.index), small, hysteresis=-1)
    with pytest.raises(GradingError, match=r"scores: no value for rep\(s\) R000"):
        assign_by_standards(reps, pd.Series([1.0], index=["X"]), small)
    with pytest.raises(GradingError, match="current: no valid level"):
        assign_by_standards(reps, pd.Series([1.0], index=reps.index), small,
                            current=pd.Series(["wizard"], index=reps.index))
    with pytest.raises(GradingError, match="pass the composite scores"):
        assign_by_standards(reps, None, small)


# ------------------------------------------------------------------ invariants


rep_kpis = st.lists(st.tuples(st.floats(40, 100), st.floats(1, 5), st.floats(20, 60),
                              st.floats(1, 5), st.floats(0, 100)), min_size=1, max_size=30)


def _frame(rows) -> tuple[pd.DataFrame, pd.Series]:
    cols = np.array(rows, dtype=float).T
    reps = _reps(csat=cols[0], product_knowledge=cols[1], sales_cycle=cols[2],
                 collaboration=cols[3])
    return reps, pd.Series(cols[4], index=reps.index)


@settings(max_examples=80, deadline=None)
@given(rep_kpis, st.integers(0, 29), st.sampled_from(["csat", "product_knowledge",
                                                      "sales_cycle", "collaboration", "score"]),
       st.floats(0, 50), st.floats(0, 10))
def test_a_better_kpi_never_lowers_the_level(rows, who, what, by, margin):
    small = LevelStandards.from_dict(SMALL)
    reps, scores = _frame(rows)
    who = reps.index[who % len(reps)]
    current = pd.Series(np.array(LEVELS, dtype=object)[np.arange(len(reps)) % 5],
                        index=reps.index)
    before = assign_by_standards(reps, scores, small, current=current, hysteresis=margin)
    better, better_scores = reps.copy(), scores.copy()
    if what == "score":
        better_scores[who] += by
    else:  # 'better' is lower for days to close
        better.loc[who, what] += -by if what == "sales_cycle" else by
    after = assign_by_standards(better, better_scores, small, current=current,
                                hysteresis=margin)
    assert LEVELS.index(after.loc[who, "proposed"]) >= LEVELS.index(before.loc[who, "proposed"])
    others = reps.index != who  # no one else moves
    assert (after["proposed"][others] == before["proposed"][others]).all()


@settings(max_examples=40, deadline=None)
@given(rep_kpis, st.randoms(use_true_random=False))
def test_shuffled_and_relabelled_reps_keep_their_levels(rows, rnd):
    small = LevelStandards.from_dict(SMALL)
    reps, scores = _frame(rows)
    current = pd.Series(np.array(LEVELS, dtype=object)[np.arange(len(reps)) % 5],
                        index=reps.index)
    out = assign_by_standards(reps, scores, small, current=current, hysteresis=1)
    order = list(reps.index)
    rnd.shuffle(order)
    names = {r: f"X{i}" for i, r in enumerate(reversed(order))}
    shuffled = assign_by_standards(reps.loc[order].rename(index=names),
                                   scores.rename(index=names).sample(frac=1, random_state=1),
                                   small, current=current.rename(index=names), hysteresis=1)
    back = shuffled.rename(index={v: k for k, v in names.items()}).loc[out.index]
    pd.testing.assert_frame_equal(back, out)


@settings(max_examples=40, deadline=None)
@given(rep_kpis)
def test_the_array_core_places_reps_as_assign_by_standards_does(rows):
    small = LevelStandards.from_dict(SMALL)
    reps, scores = _frame(rows)
    reps.iloc[::3, 0] = np.nan  # a missing CSAT fails its requirement in both
    by_frame = assign_by_standards(reps, scores, small)["proposed"].cat.codes.to_numpy()
    values = {c: reps[c].to_numpy() for c in reps.columns}
    checked, _ = usable_standards(small, reps)  # all CSAT missing: dropped in both
    assert (standard_levels(values, scores.to_numpy(), checked) == by_frame).all()


# -------------------------------------------------------------------- on the sample


@pytest.fixture(scope="module")
def sample_run():
    ds = load_sample()
    k = kpis(ds)
    current, _ = current_levels(ds)
    w, _ = usable_weights(k, PRESETS["balanced"], ds.lacks())
    territory, _ = territory_potential(ds)
    std = load_standards(SAMPLE_STANDARDS)
    return ds, k, current, w.to_dict(), territory, std


def test_a_typical_rep_of_each_level_meets_their_own_standard(sample_run):
    _, k, current, weights, territory, std = sample_run
    scores = composite(normalize(k, territory=territory), weights)
    typical = k.assign(score=scores).groupby(current.reindex(k.index).astype(str)).median()
    for level in LEVELS[1:]:
        score, bounds = std.requirements(level)
        row = typical.loc[level]
        assert score is None or row["score"] >= score, level
        for kpi, bound in bounds.items():
            assert (row[kpi] <= bound) if kpi == "sales_cycle" else (row[kpi] >= bound), \
                (level, kpi)


# Measured (issue 13) on the regenerated sample: 114 graded reps, balanced weights,
# percentile scale, territory potential, margin 2. Standards (data/sample/levels.yaml): 15
# promoted, none demoted (44 below their level's standard keep it on a development plan;
# demote=True would move them down); forced shares 10/20/40/20/10 with the same margin: 48
# move (32 up, 16 down). The bar: the standards move at most 20 % of reps, and at least 25
# fewer than forced shares.
STANDARDS_BAR = 0.20


def test_standards_move_fewer_reps_than_forced_shares_on_the_sample(sample_run):
    _, k, current, weights, territory, std = sample_run
    by_std = grade(k, weights, standards=std, current=current, hysteresis=MARGIN,
                   territory=territory)
    forced = grade(k, weights, threshold_method="quantile", shares=SHARES, current=current,
                   hysteresis=MARGIN, territory=territory)
    moved = {name: int(g.assigned["change"].isin(["promotion", "demotion"]).sum())
             for name, g in (("standards", by_std), ("quantile", forced))}
    assert moved["standards"] <= STANDARDS_BAR * len(k)
    assert moved["standards"] <= moved["quantile"] - 25
    kept = by_std.assigned["note"].str.startswith("below the")
    assert kept.sum() > 0 and (by_std.assigned.loc[kept, "change"] == "same").all()
    # the standards' grading still feeds everything built for cut lines
    assert by_std.thresholds.method == "standards" and by_std.thresholds.levels == LEVELS
    assert by_std.thresholds.cutoffs == std.min_scores
    assert by_std.thresholds.counts.sum() == len(k)
    assert list(by_std.assigned.columns[:5]) == list(forced.assigned.columns)


def test_grade_keeps_the_old_rules_and_refuses_a_mix(sample_run):
    _, k, current, weights, _, std = sample_run
    old = grade(k, weights, shares=SHARES)
    assert old.thresholds.method == "quantile" and "needs" not in old.assigned
    with pytest.raises(GradingError, match="pass standards="):
        grade(k, weights, threshold_method="standards")
    with pytest.raises(GradingError, match="gates are requirements"):
        grade(k, weights, standards=std, rules={"senior": {"csat": 70}})
    jenks = grade(k, weights, standards=std, threshold_method="jenks")
    assert jenks.thresholds.method == "jenks"


def test_calibration_aids_count_the_moves_each_rule_would_make(sample_run):
    _, k, current, weights, _, std = sample_run
    g = grade(k, weights, standards=std, current=current)
    table = calibration_aids(g.scores, g.assigned["proposed"], current=current,
                             shares=SHARES, seed=0)
    assert list(table.index) == ["standards", *AIDS]
    assert table.loc["standards", "moved vs standards"] == 0
    known = current.reindex(k.index).notna()
    for method in AIDS:  # recount by hand from the rule's own cut lines
        t = thresholds(g.scores, method, shares=SHARES, seed=0)
        assert tuple(table.loc[method, [f"min {lvl}" for lvl in LEVELS[1:]]]) == t.cutoffs
        placed = pd.Series(np.array(LEVELS)[levels_of(g.scores, t.cutoffs)], index=k.index)
        assert table.loc[method, "moved vs standards"] == int(
            (placed != g.assigned["proposed"].astype(str)).sum())
        assert table.loc[method, "moved vs current"] == int(
            (placed != current.reindex(k.index))[known].sum())


def test_suggested_standards_take_a_rules_lines_and_keep_the_kpis(sample_run, tmp_path):
    _, k, _, weights, _, std = sample_run
    scores = grade(k, weights, standards=std).scores
    draft = suggest_standards(scores, "jenks", base=std)
    t = thresholds(scores, "jenks")
    assert draft.min_scores == pytest.approx(t.cutoffs, abs=0.05)
    assert all(draft.standards[lvl].kpis == std.standards[lvl].kpis for lvl in LEVELS[1:])
    draft.to_yaml(tmp_path / "levels.yaml")
    assert load_standards(tmp_path / "levels.yaml").standards == draft.standards


# ---------------------------------------------------------------------- territory


def test_territory_potential_adjusts_volume_kpis_only(sample_run):
    ds, k, *_ = sample_run
    potential, note = territory_potential(ds)
    assert potential is not None and (potential > 0).all() and "revenue" in note
    plain, adjusted = normalize(k), normalize(k, territory=potential)
    for column in plain.columns:
        same = np.allclose(plain[column], adjusted[column], equal_nan=True)
        assert same == (column not in VOLUME_KPIS), column


def test_territory_potential_fills_gaps_and_says_when_there_is_none(sample_run):
    ds, *_ = sample_run
    from dataclasses import replace

    roster = ds.roster.copy()
    roster.loc[roster.index[:3], "territory_potential"] = np.nan
    potential, note = territory_potential(replace(ds, roster=roster))
    assert potential.notna().all() and "3 rep(s)" in note
    first = roster.iloc[0]
    team = roster[(roster["team"] == first["team"])]["territory_potential"]
    assert potential[first["rep_id"]] == team.median()
    none, why = territory_potential(replace(ds, roster=roster.drop(
        columns="territory_potential")))
    assert none is None and "not adjusted" in why


# ---------------------------------------------------------------------- stability


def test_stability_by_standards_matches_the_cut_lines_and_fixed_facts(sample_run):
    from helpers.grading import stability

    ds, k, _, weights, territory, _ = sample_run
    # only minimum scores: the same as the cut-line path with those lines
    scores_only = LevelStandards.from_dict({lvl: {"min_score": cut} for lvl, cut in zip(
        LEVELS[1:], (20, 40, 60, 80), strict=True)})
    by_std = stability(ds, weights, scores_only.min_scores, n_boot=30, seed=3,
                       territory=territory, standards=scores_only)
    by_cut = stability(ds, weights, scores_only.min_scores, n_boot=30, seed=3,
                       territory=territory)
    pd.testing.assert_frame_equal(by_std.probabilities, by_cut.probabilities)
    pd.testing.assert_frame_equal(by_std.sensitivity, by_cut.sensitivity)
    # only tenure, which no resample changes: every rep sure of the plain standard's level
    tenure = LevelStandards.from_dict({lvl: {"kpis": {"tenure_years": y}} for lvl, y in zip(
        LEVELS[1:], (1, 3, 6, 9), strict=True)})
    sure = stability(ds, weights, tenure.min_scores, n_boot=20, seed=3, standards=tenure)
    plain = assign_by_standards(k, None, tenure)["proposed"].astype(str)
    assert (sure.probabilities.max(axis=1) == 1).all() and sure.borderline.empty
    assert (sure.probabilities.idxmax(axis=1) == plain.reindex(sure.probabilities.index)).all()
    assert (sure.sensitivity.to_numpy() == 0).all()  # weights do not move tenure
