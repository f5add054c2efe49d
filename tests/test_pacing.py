"""In-year pacing (issue 16 §5): the sample planned for 2026 from its history to 2025 and
paced on its Jan–Jun 2026 actuals; the split, the pace, the odds and the rest-of-year cost.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import shapes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.data import DataError, Dataset, load
from helpers.errors import TargetError
from helpers.incentives import PLANS_DIR, Plan, load_plans, payout
from helpers.targets import (
    PACED_FILE,
    attainment_draws,
    baseline_results,
    cut_history,
    fit_outlook,
    pace,
    pace_rollup,
    paced_year,
    plan_targets,
    rest_of_year_cost,
    year_scenarios,
    year_so_far,
)

AS_OF = "2026-06"
FIXTURES = [HealthCheck.function_scoped_fixture]  # module fixtures, read only


@pytest.fixture(scope="module")
def planned(sample):
    """(targets of 2026 set from history to Dec 2025, the data as at the end of June 2026)."""
    plan = plan_targets(cut_history(sample, "2025-12"), 2026)
    return plan, cut_history(sample, AS_OF)


@pytest.fixture(scope="module")
def paced(planned):
    plan, now = planned
    return pace(plan.monthly, now, n=400, seed=3)


def cents(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float) * 100).astype(np.int64)


def test_cut_history_ends_at_the_month_and_keeps_who_was_there(sample):
    cut = cut_history(sample, "2025-12-15")
    assert cut.history["month"].max() == pd.Timestamp("2025-12-01")
    assert cut.plan_year == 2026
    assert (cut.roster["hire_date"] <= pd.Timestamp("2025-12-31")).all()
    later = sample.roster["hire_date"] > pd.Timestamp("2025-12-31")
    assert later.any() and not cut.roster["rep_id"].isin(sample.roster.loc[later, "rep_id"]).any()
    assert not (cut.roster["leave_date"] > pd.Timestamp("2025-12-31")).any()
    with pytest.raises(DataError, match="as_of"):
        cut_history(sample, "2019-01")
    with pytest.raises(DataError, match="not a date"):
        cut_history(sample, "no such month")


def test_pacing_reproduces_the_full_year_split_to_the_cent(planned, paced):
    """The issue's test: YTD target + remaining = the full-year target, YTD = Jan–Jun."""
    plan, _ = planned
    annual = plan.targets[plan.targets["measure"] == "revenue"].set_index("rep_id")["target"]
    monthly = plan.monthly[plan.monthly["measure"] == "revenue"]
    first_half = monthly[monthly["month"] <= pd.Timestamp("2026-06-01")]
    jan_jun = first_half.groupby("rep_id")["target"].apply(lambda s: cents(s).sum())
    rows = paced[paced["target"].notna()].set_index("rep_id")
    assert set(rows.index) == set(annual.index)
    assert (cents(rows["ytd_target"]) + cents(rows["remaining_target"])
            == cents(annual.reindex(rows.index))).all()
    assert (cents(rows["ytd_target"]) == jan_jun.reindex(rows.index).to_numpy()).all()
    assert (cents(rows["target"]) == cents(annual.reindex(rows.index))).all()
    assert (rows["months_left"] == 6).all()


@settings(max_examples=10, deadline=None, suppress_health_check=FIXTURES)
@given(scale=st.floats(0.05, 3.0))
def test_a_rep_on_pace_has_pace_one_and_pace_scales(planned, scale):
    """Actuals = c × the phased months give pace c for every rep (1 exactly on pace)."""
    plan, _ = planned
    monthly = plan.monthly[(plan.monthly["measure"] == "revenue")
                           & (plan.monthly["month"] <= pd.Timestamp("2026-06-01"))]
    actuals = monthly[["rep_id", "month"]].assign(revenue=monthly["target"] * scale)
    table = pace(plan.monthly, actuals).set_index("rep_id")
    live = table[table["ytd_target"] > 0]
    # the YTD actual is kept to the cent, as the targets: pace is off by at most that cent
    assert (np.abs(live["pace"] - scale) * live["ytd_target"] <= 0.005 + 1e-9).all()
    assert np.allclose(live["attainment_to_date"], live["pace"], rtol=1e-12)
    exact = pace(plan.monthly, monthly[["rep_id", "month"]].assign(revenue=monthly["target"]))
    exact = exact[exact["ytd_target"] > 0]
    assert (exact["pace"] == 1.0).all()
    assert "probability not computed" in table.attrs["note"]


@pytest.fixture(scope="module")
def model(planned, sample):
    """The outlook and expected results as at the start of 2026, passed explicitly."""
    plan, _ = planned
    start = cut_history(sample, "2025-12")
    reps = plan.targets.loc[plan.targets["measure"] == "revenue", ["rep_id"]]
    return fit_outlook(start.history), baseline_results(start, reps, 2026)


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(low=st.floats(0.0, 2.0), extra=st.floats(0.0, 1.0))
def test_probability_is_monotone_in_the_year_to_date(planned, model, low, extra):
    plan, now = planned
    outlook, expected = model
    actuals = now.history[now.history["month"].dt.year == 2026]

    def odds(factor):
        scaled = actuals.assign(revenue=actuals["revenue"] * factor)
        table = pace(plan.monthly, scaled, outlook=outlook, expected=expected, n=200)
        return table.set_index("rep_id")["chance_of_target"]

    lo, hi = odds(low), odds(low + extra)
    both = lo.notna() & hi.notna()
    assert both.sum() > 50
    assert (hi[both] >= lo[both]).all()


def test_probability_means_something(paced):
    """Far ahead: near certain; far behind with the same model: near hopeless."""
    rows = paced[paced["chance_of_target"].notna()]
    assert rows["chance_of_target"].between(0, 1).all()
    ahead = rows[rows["attainment_to_date"] > 1.6]
    behind = rows[rows["attainment_to_date"] < 0.6]
    assert len(ahead) and len(behind)
    assert ahead["chance_of_target"].min() > behind["chance_of_target"].max()
    # the model's year end is the YTD plus a positive rest: above what is already in
    assert (rows["expected_year_end"] > rows["ytd_actual"]).all()
    assert (rows["year_end_p10"] <= rows["expected_year_end"]).all()
    assert (rows["expected_year_end"] <= rows["year_end_p90"] * 1.5).all()


def test_flags_follow_the_rule_and_say_why(planned, paced):
    rows = paced[paced["chance_of_target"].notna()]
    expected = (rows["chance_of_target"] < 0.5) & (rows["months_left"] >= 3)
    assert (rows["flag"] == expected).all()
    assert rows.loc[rows["flag"], "reason"].str.contains("likely to reach target").all()
    assert (rows.loc[~rows["flag"], "reason"] == "").all()
    plan, now = planned
    late = pace(plan.monthly, now.history, as_of="2026-06", outlook=fit_outlook(
        cut_history(now, "2025-12").history), expected=pd.Series(
        paced.set_index("rep_id")["target"]), n=100, months_to_act=7)
    assert not late["flag"].any()
    assert late["reason"].str.contains("too late to act").any()


def test_no_nan_without_a_note(paced):
    """A rep the pace cannot judge says why (no target, left, no actuals), never a bare NaN."""
    judged = ["ytd_actual", "ytd_target", "pace", "chance_of_target"]
    unexplained = paced[paced[judged].isna().any(axis=1) & (paced["note"] == "")]
    assert unexplained.empty, unexplained[["rep_id", *judged]]
    untargeted = paced[paced["target"].isna()]
    assert len(untargeted) and untargeted["note"].str.contains("no target").all()
    assert paced["rep_id"].is_unique and paced["rep_id"].is_monotonic_increasing


def test_same_seed_same_numbers_and_the_seed_matters(planned, paced):
    plan, now = planned
    again = pace(plan.monthly, now, n=400, seed=3)
    pd.testing.assert_frame_equal(again, paced)
    other = pace(plan.monthly, now, n=400, seed=4)
    assert not np.allclose(other["chance_of_target"].fillna(-1),
                           paced["chance_of_target"].fillna(-1))


def test_shuffled_and_relabelled_reps_keep_their_numbers(planned, paced):
    plan, now = planned
    ids = now.roster["rep_id"].astype(str)
    new = dict(zip(ids, [f"X{(k * 37) % 1000:04d}" for k in range(len(ids))], strict=True))
    rng = np.random.default_rng(5)

    def relabel(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(rep_id=frame["rep_id"].astype(str).map(new).astype("string"))
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    moved = Dataset(relabel(now.roster), relabel(now.history), relabel(now.reviews),
                    source="relabelled")
    table = pace(relabel(plan.monthly), moved, n=400, seed=3)
    back = {v: k for k, v in new.items()}
    table = table.assign(rep_id=table["rep_id"].map(back).astype("string"))
    table, mine = table.set_index("rep_id"), paced.set_index("rep_id")
    numbers = ["ytd_actual", "ytd_target", "target", "pace", "expected_year_end",
               "chance_of_target"]
    pd.testing.assert_frame_equal(table.loc[mine.index, numbers], mine[numbers],
                                  check_exact=False, rtol=1e-9)
    assert (table.loc[mine.index, "flag"] == mine["flag"]).all()


def test_rollup_sums_the_reps_with_a_target(paced):
    roll = pace_rollup(paced)
    company = roll[roll["level"] == "company"].iloc[0]
    rows = paced[paced["target"] > 0]
    assert company["reps"] == len(rows)
    assert cents(company["ytd_target"]) == cents(rows["ytd_target"]).sum()
    assert company["ytd_actual"] == pytest.approx(rows["ytd_actual"].sum())
    regions = roll[roll["level"] == "region"]
    assert regions["ytd_target"].sum() == pytest.approx(company["ytd_target"])
    assert regions["flagged"].sum() == rows["flag"].sum()
    assert company["expected_at_target"] == pytest.approx(rows["chance_of_target"].mean())


def test_bad_input_names_what_is_wrong(planned):
    plan, now = planned
    with pytest.raises(TargetError, match="as_of: the actuals of 2026 end in Jun 2026"):
        pace(plan.monthly, now, as_of="2026-09")
    with pytest.raises(TargetError, match="not in 2026"):
        pace(plan.monthly, now, as_of="2025-09")
    with pytest.raises(TargetError, match="phased: no column"):
        pace(plan.monthly.drop(columns="target"), now)
    with pytest.raises(TargetError, match="no months of 2026"):
        pace(plan.monthly, cut_history(now, "2025-12"))
    with pytest.raises(TargetError, match="n:"):
        pace(plan.monthly, now, n=0)


def test_a_history_that_ends_mid_year_runs(tmp_path):
    """The partial shape: history to July 2026, ids shuffled, day-first dates."""
    ds = load(shapes.make(tmp_path / "partial", *shapes.COMBINED["partial"]))
    plan = plan_targets(cut_history(ds, "2025-12"), 2026)
    table = pace(plan.monthly, ds, n=200)
    assert table.attrs["as_of"] == pd.Timestamp("2026-07-01")
    rows = table[table["target"] > 0]
    assert (rows["months_left"] == 5).all() and rows["chance_of_target"].notna().any()


def test_no_history_before_the_year_says_so(tmp_path, planned):
    plan, _ = planned
    one = load(shapes.make(tmp_path / "one", *shapes.COMBINED["minimal"]))  # 2026 only
    phased = plan.monthly[plan.monthly["rep_id"].isin(one.roster["rep_id"])]
    alone = pace(phased, one, n=50)
    assert alone.loc[alone["target"] > 0, "pace"].notna().all()
    assert alone["chance_of_target"].isna().all()
    assert "no history before 2026" in alone.attrs["note"]


def test_the_year_to_pace_is_the_one_under_way_else_a_june_demonstration(sample, planned,
                                                                          tmp_path):
    """A complete last year (the sample) is paced as it stood in June against targets planned
    from the history before it; a history ending mid-year is paced to its last month; with
    no history before the year and no targets given, nothing is paced and the note says so."""
    plan, now = planned
    planned_only = dataclasses.replace(sample, history=sample.history.drop(columns="quota"))
    demo = year_so_far(planned_only, measures=("revenue", "csat"))  # a score has no target
    assert (demo.year, demo.as_of) == (2026, pd.Timestamp("2026-06-01"))
    assert "demonstration" in demo.note and "planned from the history" in demo.note
    pd.testing.assert_frame_equal(demo.targets, plan.monthly[plan.monthly["measure"]
                                                             == "revenue"].reset_index(drop=True),
                                  check_like=True)
    pd.testing.assert_frame_equal(demo.pace(n=400, seed=3), pace(plan.monthly, now, n=400,
                                                                 seed=3))
    partial = load(shapes.make(tmp_path / "partial", *shapes.COMBINED["partial"]))
    under_way = year_so_far(partial)
    assert (under_way.year, under_way.as_of) == (2026, pd.Timestamp("2026-07-01"))
    assert "demonstration" not in under_way.note
    given_targets = year_so_far(partial, targets=plan.monthly)
    assert given_targets.targets is plan.monthly and "targets given" in given_targets.note
    one = load(shapes.make(tmp_path / "one", *shapes.COMBINED["minimal"]))  # 2026 only
    none = year_so_far(one)
    assert none.targets is None and "cannot be paced" in none.note
    empty = none.pace(n=50)
    assert empty.empty and list(empty.columns) == list(paced_columns(plan, now))
    assert empty.attrs["note"] == none.note
    assert empty[empty["flag"]].columns.equals(empty.columns)  # a mask, not a column list


def paced_columns(plan, now) -> pd.Index:
    return pace(plan.monthly, now, n=20).columns


# ------------------------------------------------------------------------ the cost


@pytest.fixture(scope="module")
def plans():
    return load_plans(PLANS_DIR)


@pytest.mark.parametrize("name", ["Current plan", "Level bonus + contest"])
def test_rest_of_year_plus_earned_is_the_year_the_plan_pays(planned, plans, name):
    """Oracle: the public `payout` (the statements' engine) on each simulated year."""
    plan, now = planned
    incentive = plans[name]
    actuals = now.history[now.history["month"].dt.year == 2026]
    n = 4
    cost = rest_of_year_cost(incentive, now, plan.monthly, actuals, n=n, seed=2)
    years = year_scenarios(now, plan.monthly, actuals, measures=incentive.measures, n=n, seed=2)
    targets = plan.monthly.pivot_table(index=["rep_id", "month"], columns="measure",
                                       values="target", aggfunc="sum")
    targets.columns = [f"{c}_target" for c in targets.columns]
    roster = now.roster.set_index("rep_id")
    levels = roster["level"].astype("string")
    paid, early = [], []
    for s in range(n):  # a few scenarios, each a whole year through `payout`
        results = years[years["scenario"] == s].drop(columns="scenario")
        results = results.merge(targets.reset_index(), on=["rep_id", "month"], how="left")
        results = results.assign(level=results["rep_id"].map(levels).fillna("junior"),
                                 team=results["rep_id"].map(roster["team"]))
        table = payout(incentive, results)
        paid.append(table.groupby("rep_id")["amount"].sum())
        early.append(table[table["period"] <= 2].groupby("rep_id")["amount"].sum())
    year = pd.concat(paid, axis=1).mean(axis=1)
    closed = pd.concat(early, axis=1)
    mine = cost.set_index("rep_id")
    assert set(mine.index) == set(year.index)
    assert np.allclose(mine["expected_year"], year.reindex(mine.index), atol=0.05 * n)
    assert np.allclose(closed.max(axis=1) - closed.min(axis=1), 0)  # the past is known
    assert np.allclose(mine["earned_to_date"], closed.mean(axis=1).reindex(mine.index),
                       atol=0.01)
    total = cost.attrs["total"]
    assert total["p10"] <= total["expected"] <= total["p90"]
    assert total["expected"] == pytest.approx(cost["expected_rest"].sum(), abs=0.01 * len(cost))


def test_a_rep_at_the_annual_cap_costs_nothing_more(planned):
    capped = Plan.from_dict({
        "name": "capped commission", "period": "quarter", "true_up": True,
        "levels": {lv: {"target_incentive": 10000} for lv in
                   ("junior", "intermediate", "senior", "principal", "top")},
        "components": [{"name": "commission", "type": "commission", "measure": "revenue",
                        "weight": 1.0, "mode": "marginal", "basis": "amount",
                        "tiers": [{"from": 0, "rate": 0.02}], "cap_payout": 8000}]})
    plan, now = planned
    actuals = now.history[now.history["month"].dt.year == 2026]
    cost = rest_of_year_cost(capped, now, plan.monthly, actuals, n=100).set_index("rep_id")
    ytd = actuals.groupby("rep_id")["revenue"].sum().reindex(cost.index)
    at_cap = ytd * 0.02 >= 8000
    assert at_cap.any() and (~at_cap).any()
    assert (cost.loc[at_cap, "rest_p90"] == 0).all()
    assert (cost.loc[at_cap, "earned_to_date"] == 8000).all()
    assert (cost.loc[~at_cap, "expected_rest"] > 0).all()
    assert (cost["expected_year"] <= 8000 + 1e-6).all()


def test_cost_refuses_a_plan_paid_on_targets_it_lacks(planned, plans):
    plan, now = planned
    revenue_only = plan.monthly[plan.monthly["measure"] == "revenue"]
    with pytest.raises(TargetError, match="new_customers"):
        rest_of_year_cost(plans["Current plan"], now, revenue_only, now.history, n=10)


def test_a_season_index_gives_the_share_for_targets_phased_equally(planned, paced):
    """Targets phased by the season (no ramp): the season's Jan–Jun share is theirs."""
    plan, now = planned
    by_season = pace(plan.monthly, now.history, season=plan.season)
    full = plan.targets[(plan.targets["measure"] == "revenue")
                        & (plan.targets["capacity"] == 1)]["rep_id"]
    mine = paced.set_index("rep_id").loc[full, "ytd_share"]
    theirs = by_season.set_index("rep_id").loc[full, "ytd_share"]
    assert np.allclose(mine, theirs, atol=1e-6)  # the targets' cents, nothing more
    flat = pace(plan.monthly, now.history, season=pd.Series(1.0, index=range(1, 13)))
    assert np.allclose(flat["ytd_share"].dropna(), 0.5)
    with pytest.raises(TargetError, match="season: an index by region"):
        pace(plan.monthly.drop(columns="region"), now.history, season=plan.season)


def test_a_rep_without_a_score_so_far_is_priced_without_a_warning(planned, plans):
    """No csat in the year yet: the gate reads none (as a replay does), never a warning."""
    plan, now = planned
    actuals = now.history[now.history["month"].dt.year == 2026]
    rep = actuals["rep_id"].iloc[0]
    actuals = actuals.assign(csat=actuals["csat"].where(actuals["rep_id"] != rep))
    cost = rest_of_year_cost(plans["Tiered commission"], now, plan.monthly, actuals, n=20)
    assert cost["expected_rest"].notna().all()
    years = year_scenarios(now, plan.monthly, actuals, measures=["csat"], n=2)
    assert years.loc[years["rep_id"] == rep, "csat"].isna().all()


def test_weeks_and_planned_hires(sample):
    """Weekly targets are summed to their months; a planned hire with no actuals yet is
    said to have none, not flagged; reps who joined after the targets are listed apart."""
    past, now = cut_history(sample, "2025-12"), cut_history(sample, "2026-03")
    plan = plan_targets(past, 2026, planned_hires=2, grain="week", measures=("revenue",))
    weekly, monthly = pace(plan.phased, now.history), pace(plan.monthly, now.history)
    assert (cents(weekly["ytd_target"].fillna(0)) == cents(monthly["ytd_target"].fillna(0))).all()
    assert weekly["months_left"].dtype == np.int64 and (weekly["months_left"] == 9).all()
    hires = weekly[~weekly["rep_id"].isin(sample.roster["rep_id"])]
    assert len(hires) == 2 and hires["note"].str.contains("no actuals").all()
    assert not hires["flag"].any()
    joined = weekly[weekly["target"].isna()]
    assert joined["ytd_actual"].gt(0).all() and joined["note"].str.contains("joined").all()


def test_the_odds_use_the_targets_model_and_its_keyed_draws(planned, model, paced):
    """The months left = expected × (1 − YTD share) × exp(the very draws notebook 01's
    expected attainment uses for these reps and seed)."""
    plan, _ = planned
    outlook, expected = model
    rows = paced[paced["chance_of_target"].notna()]
    targets = plan.targets[plan.targets["measure"] == "revenue"].set_index("rep_id")
    reps = targets.loc[rows["rep_id"]].reset_index()
    draws = attainment_draws(reps, outlook, n=400, seed=3)
    base = expected.reindex(rows["rep_id"]).to_numpy()
    rest = base * (1 - rows["ytd_share"].to_numpy()) * np.exp(draws)
    hit = rows["ytd_actual"].to_numpy() + rest >= rows["target"].to_numpy() * (1 - 1e-9)
    assert np.array_equal(hit.mean(0), rows["chance_of_target"].to_numpy())


def test_notebook_03_prices_the_year_notebook_01_paced(sample, tmp_path):
    """What notebook 01 writes (`to_frame`) is read back as the same year: same targets,
    same last month, even with the file's rows shuffled; other settings in notebook 01
    (here growth 20%) reach notebook 03 through it. No file: planned here, and said."""
    from helpers.app import page_year_so_far

    own = year_so_far(sample, as_of="2026-04", growth=0.2)
    frame = own.to_frame().sample(frac=1, random_state=5)
    frame.to_csv(tmp_path / PACED_FILE.format(year=2027), index=False)
    back = paced_year(sample, tmp_path, 2027)
    assert (back.year, back.as_of) == (own.year, own.as_of)
    key = ["rep_id", "month", "measure"]
    pd.testing.assert_frame_equal(
        back.targets.sort_values(key).reset_index(drop=True)[[*key, "target"]],
        own.targets.sort_values(key).reset_index(drop=True)[[*key, "target"]],
        check_dtype=False)
    assert PACED_FILE.format(year=2027) in back.note
    batch = page_year_so_far(sample, 2027, tmp_path, headless=True)
    assert batch.as_of == own.as_of and batch.note == back.note
    planned_here = page_year_so_far(sample, 2027, tmp_path, headless=False)
    assert planned_here.as_of == pd.Timestamp("2026-06-01")
    assert "planned from the history" in planned_here.note
    assert paced_year(sample, tmp_path / "none", 2027).note == year_so_far(sample).note
    # a year that could not be paced writes no rows: planned here instead
    year_so_far(load(shapes.make(tmp_path / "one", *shapes.COMBINED["minimal"]))).to_frame(
    ).to_csv(tmp_path / PACED_FILE.format(year=2028), index=False)
    assert paced_year(sample, tmp_path, 2028).note == year_so_far(sample).note
    frame.drop(columns="as_of").to_csv(tmp_path / PACED_FILE.format(year=2029), index=False)
    with pytest.raises(DataError, match=r"pacing_targets_2029.csv: no as_of"):
        paced_year(sample, tmp_path, 2029)


def test_the_targets_set_are_paced_when_the_history_has_them(sample, tmp_path):
    """A history with `quota` (the targets actually set) is paced against it: every month
    with a quota is that quota, to the cent; a year the quota stops in (July) continues
    along each rep's planned season scaled to their quota; a rep without one keeps the plan."""
    whole = year_so_far(sample, measures=("revenue",))
    assert "targets set for it" in whole.note
    got = whole.targets.merge(sample.history[["rep_id", "month", "quota"]],
                              on=["rep_id", "month"], how="inner")
    assert len(got) and (cents(got["target"]) == cents(got["quota"])).all()
    planned = plan_targets(cut_history(sample, "2025-12"), 2026, measures=("revenue",)).monthly
    history = sample.history.copy()
    history.loc[history["month"] > "2026-07-01", "quota"] = np.nan
    history.loc[history["rep_id"] == "R003", "quota"] = np.nan
    to_july = year_so_far(dataclasses.replace(sample, history=history), measures=("revenue",))
    assert "continued past July" in to_july.note
    t = to_july.targets.set_index(["rep_id", "month"])["target"]
    p = planned.set_index(["rep_id", "month"])["target"]
    q = history.set_index(["rep_id", "month"])["quota"]
    rep = "R001"
    early = [m for m in t[rep].index if m <= pd.Timestamp("2026-07-01")]
    late = [m for m in t[rep].index if m > pd.Timestamp("2026-07-01")]
    assert (cents(t[rep][early]) == cents(q[rep][early])).all()
    scale = q[rep][early].sum() / p[rep][early].sum()
    assert np.allclose(t[rep][late], np.round(p[rep][late] * scale, 2))
    assert (cents(t["R003"]) == cents(p["R003"])).all()  # no quota: the plan
