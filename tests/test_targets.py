"""Target engine: exact sums at every level, sound methods, clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers.data import from_frames
from helpers.targets import (
    COMPANY_METHODS,
    DEFAULT_RAMP,
    FLAGS,
    FULL,
    METHODS,
    PlanCache,
    TargetError,
    allocate,
    allocate_targets,
    annual_totals,
    attainment_draws,
    backtest,
    backtest_methods,
    backtest_year,
    company_baselines,
    company_target,
    expected_attainment,
    fit_outlook,
    fit_ramp,
    linear_ramp,
    phase,
    plan_targets,
    ramp_factors,
    resolve_ramp,
    seasonality,
    smart_audit,
    working_weeks,
    year_sentence,
    year_totals,
)

SEASON = np.array([0.8, 0.7, 1.0, 0.9, 1.0, 1.1, 0.9, 0.8, 1.0, 1.1, 1.2, 1.5])
SEASON = SEASON * 12 / SEASON.sum()


def units(values, precision):
    return np.rint(np.asarray(values, dtype="float64") / precision).astype(np.int64)


def company(levels: dict[str, float], years=(2024, 2025, 2026), growth=0.0, hires=None,
            leavers=None, regions=("North", "South")) -> object:
    """A tiny Dataset: rep i makes levels[rep]/12 × season × (1+growth)^k each month."""
    reps = list(levels)
    hires = hires or {}
    roster = pd.DataFrame({
        "rep_id": reps, "name": reps,
        "region": [regions[i % len(regions)] for i in range(len(reps))],
        "team": [f"{regions[i % len(regions)]} A" for i in range(len(reps))],
        "manager_id": [f"M{i % len(regions)}" for i in range(len(reps))],
        "hire_date": [hires.get(r, "2015-01-01") for r in reps], "level": "senior",
        "leave_date": [(leavers or {}).get(r) for r in reps],
        "territory_potential": [1000.0 * (i + 1) for i in range(len(reps))],
    })
    months = pd.date_range(f"{years[0]}-01-01", f"{years[-1]}-12-01", freq="MS")
    rows = []
    for rep in reps:
        start = pd.Timestamp(hires.get(rep, "2015-01-01")).to_period("M").to_timestamp()
        for m in months[months >= start]:
            k = m.year - years[0]
            rows.append({"rep_id": rep, "month": m,
                         "revenue": round(levels[rep] / 12 * SEASON[m.month - 1]
                                          * (1 + growth) ** k, 2),
                         "deals_won": 2, "new_customers": 1, "customers_retained": 1,
                         "customers_up_for_renewal": 1, "csat": 80.0, "sales_cycle_days": 30.0})
    return from_frames(roster, pd.DataFrame(rows))


# ------------------------------------------------------------------------------ allocate


def test_allocate_gives_leftover_units_to_largest_remainders():
    parts = allocate(100, pd.Series([0.5, 0.3, 0.2], index=list("abc")), precision=3)
    # 100 is 33 units of 3; quotas 16.5, 9.9, 6.6 → floors 16, 9, 6 leave 2 units, which go
    # to the two largest fractions (.9 and .6)
    assert units(parts, 3).tolist() == [16, 10, 7]
    assert parts.tolist() == [48, 30, 21]
    assert list(parts.index) == list("abc")


def test_allocate_classic_thirds_are_exact_to_the_cent():
    parts = allocate(500_000, [1, 1, 1], precision=0.01)
    assert sorted(parts.tolist()) == [166_666.66, 166_666.67, 166_666.67]
    assert units(parts, 0.01).sum() == 50_000_000
    assert parts.iloc[0] == 166_666.67  # ties go to the earlier position


def test_allocate_zero_weight_gets_nothing():
    parts = allocate(10, [0, 1, 1, 0], precision=1)
    assert parts.tolist() == [0, 5, 5, 0]


@pytest.mark.parametrize("weights, word", [
    ([1, np.nan, 2], "weights"), ([1, -1], "weights"), ([0, 0, 0], "weights"),
    ([], "weights"), ([1, np.inf], "weights"),
])
def test_allocate_rejects_bad_weights(weights, word):
    with pytest.raises(TargetError, match=word):
        allocate(100, weights)


def test_allocate_rejects_bad_total_and_precision():
    with pytest.raises(TargetError, match="total"):
        allocate(-5, [1, 2])
    with pytest.raises(TargetError, match="total"):
        allocate(np.nan, [1, 2])
    with pytest.raises(TargetError, match="precision"):
        allocate(5, [1, 2], precision=0)


def on_grid(values, precision) -> bool:
    """Every value is a whole number of precision steps (not merely close after rounding)."""
    steps = np.asarray(values, dtype="float64") / precision
    return bool(np.all(np.abs(steps - np.rint(steps)) <= np.maximum(1e-9, 1e-12 * steps)))


@pytest.mark.parametrize("precision, total, n", [
    (0.25, 1, 4), (2.5, 10, 4), (0.125, 1, 8), (0.05, 1, 20), (0.2, 1, 5), (7, 70, 10)])
def test_allocate_any_precision_lands_on_its_grid_and_sums_exactly(precision, total, n):
    parts = allocate(total, [1] * n, precision=precision)
    assert parts.tolist() == [total / n] * n  # e.g. 0.25 steps stay 0.25, not 0.2
    assert on_grid(parts, precision) and units(parts, precision).sum() * precision == total


def test_phase_at_a_quarter_precision_sums_to_the_annual():
    annual = pd.DataFrame({"rep_id": ["A"], "target": [13.0],
                           "hire_date": pd.to_datetime(["2020-01-01"])})
    out = phase(annual, None, 2027, "month", precision=0.25)
    assert out["target"].sum() == 13.0 and on_grid(out["target"], 0.25)


@settings(max_examples=200, deadline=None)
@given(total=st.floats(0, 1e10, allow_nan=False),
       weights=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40)
       .filter(lambda w: sum(w) > 0),
       precision=st.sampled_from([0.01, 0.125, 0.25, 2.5, 1.0, 5.0, 1000.0]))
def test_allocate_properties(total, weights, precision):
    parts = allocate(total, weights, precision)
    assert on_grid(parts, precision)
    got = units(parts, precision)
    want = int(np.rint(total / precision))
    assert got.sum() == want  # exact, in integer units
    assert (got >= 0).all()
    w = np.asarray(weights)
    assert (got[w == 0] == 0).all()
    quota = want * w / w.sum()
    assert (np.abs(got - quota) < 1 + 1e-6).all()  # each part within one unit of its quota
    assert allocate(total, weights, precision).equals(parts)  # deterministic


# --------------------------------------------------------------------------- seasonality


def test_seasonality_recovers_index_despite_partial_year_and_missing_month():
    ds = company({"A": 120_000, "B": 240_000}, growth=0.2)
    history = ds.history
    history = history[~((history["month"].dt.year == 2024) & (history["month"].dt.month < 7))]
    history = history[history["month"] != "2025-03-01"]
    index = seasonality(history)
    assert index.sum() == pytest.approx(12)
    np.testing.assert_allclose(index.to_numpy(), SEASON, rtol=1e-3)
    naive = history.groupby(history["month"].dt.month)["revenue"].sum()
    assert not np.allclose(naive / naive.mean(), SEASON, rtol=1e-2)  # why the fit is needed


def test_seasonality_by_region_one_index_per_group():
    ds = company({"A": 120_000, "B": 240_000, "C": 60_000})
    table = seasonality(ds, by="region")
    assert list(table.index) == ["North", "South"]
    np.testing.assert_allclose(table.sum(axis=1), 12)
    np.testing.assert_allclose(table.to_numpy(), np.tile(SEASON, (2, 1)), rtol=1e-3)
    assert list(seasonality(ds, by="manager_id").index) == ["M0", "M1"]  # any roster column


def test_seasonality_month_never_seen_is_neutral():
    ds = company({"A": 120_000})
    index = seasonality(ds.history[ds.history["month"].dt.month != 2])
    assert index.sum() == pytest.approx(12)
    assert index[2] == pytest.approx(1.0)
    others = np.delete(SEASON, 1)
    np.testing.assert_allclose(index.drop(2).to_numpy(), others / others.mean(), rtol=1e-3)


def test_seasonality_errors_name_the_problem():
    with pytest.raises(TargetError, match="history"):
        seasonality(pd.DataFrame(columns=["rep_id", "month", "revenue"]))
    ds = company({"A": 1.0})
    with pytest.raises(TargetError, match="'quota'"):
        seasonality(ds.history, measure="quota")
    with pytest.raises(TargetError, match="by"):
        seasonality(ds.history, by="region")


# ------------------------------------------------------------------------ company target


def test_company_target_methods():
    ds = company({"A": 100_000, "B": 200_000}, growth=0.1)
    totals = annual_totals(ds.history)
    np.testing.assert_allclose(totals.to_numpy(), 300_000 * 1.1 ** np.arange(3), rtol=1e-6)
    last = totals[2026]
    assert company_target(ds.history, 2027, growth=0.05) == pytest.approx(last * 1.05)
    assert company_target(ds.history, 2027) == pytest.approx(last)
    weighted = company_target(ds.history, 2027, method="weighted", weights=(3, 1))
    assert weighted == pytest.approx((3 * totals[2026] + totals[2025]) / 4)
    assert company_target(ds.history, 2027, amount=1e6, growth=0.5) == 1e6
    # geometric growth is convex, so a straight line through it lands a bit below 10%
    trend = company_target(ds.history, 2027, method="trend")
    assert last < trend < last * 1.1


def test_company_target_trend_follows_a_straight_line_and_ignores_one_spike():
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    level = 1000 + 10 * np.arange(len(months))
    history = pd.DataFrame({"rep_id": "A", "month": months,
                            "revenue": level * SEASON[months.month - 1]})
    history.loc[5, "revenue"] *= 8  # a mega deal
    want = ((1000 + 10 * np.arange(36, 48)) * SEASON).sum()
    assert company_target(history, 2027, method="trend") == pytest.approx(want, rel=0.01)


def test_company_target_annualises_a_partial_last_year():
    ds = company({"A": 120_000}, years=(2025, 2026))
    half = ds.history[ds.history["month"] < "2026-07-01"]
    assert company_target(half, 2027) == pytest.approx(120_000, rel=1e-4)


@pytest.mark.parametrize("kwargs, word", [
    ({"growth": -1.5}, "growth"), ({"method": "magic"}, "method"),
    ({"method": "weighted", "weights": (1, 1, 1, 1)}, "weights"),
    ({"method": "weighted", "weights": (0, 0)}, "weights"), ({"amount": -1}, "amount"),
])
def test_company_target_bad_parameters(kwargs, word):
    ds = company({"A": 1000.0})
    with pytest.raises(TargetError, match=word):
        company_target(ds.history, 2027, **kwargs)


def test_company_target_needs_history():
    ds = company({"A": 1000.0})
    with pytest.raises(TargetError, match="history"):
        company_target(ds.history.iloc[:0], 2027)
    with pytest.raises(TargetError, match="2029"):
        company_target(ds.history, 2030)


# ------------------------------------------------------------------- allocate_targets


def test_allocate_targets_sums_exactly_with_over_assignment(sample):
    total = 123_456_789.01
    out = allocate_targets(sample, total, over_assign=0.07)
    assert units(out["target"], 0.01).sum() == round(total * 1.07 * 100)
    assert out["rep_id"].is_unique
    leavers = sample.roster.loc[sample.roster["leave_date"].notna(), "rep_id"]
    assert not out["rep_id"].isin(leavers).any()
    assert len(out) == sample.roster["leave_date"].isna().sum()


def test_allocate_targets_history_method_follows_run_rate():
    ds = company({"A": 100_000, "B": 300_000, "C": 200_000, "D": 400_000})
    out = allocate_targets(ds, 1_000_000, precision=1)
    assert out.set_index("rep_id")["target"].to_dict() == pytest.approx(
        {"A": 100_000, "B": 300_000, "C": 200_000, "D": 400_000}, abs=1)


@pytest.mark.parametrize("method", [*METHODS, "blend"])
def test_allocate_targets_every_method_is_exact_and_non_negative(sample, method):
    blend = {"history": 0.6, "potential": 0.4} if method == "blend" else None
    out = allocate_targets(sample, 50_000_000, method=method, blend=blend)
    assert units(out["target"], 0.01).sum() == 5_000_000_000
    assert (out["target"] >= 0).all()


def test_allocate_targets_region_and_team_splits_follow_weights():
    ds = company({"A": 100_000, "B": 100_000, "C": 100_000, "D": 100_000})
    out = allocate_targets(ds, 1_000, method="potential", precision=1)
    # potentials 1000..4000: North (A, C) holds 4000 of 10000
    assert out.groupby("region")["target"].sum().to_dict() == {"North": 400, "South": 600}


def test_ramp_and_planned_hires():
    ds = company({"A": 120_000, "B": 120_000, "C": 120_000}, hires={"C": "2027-03-15"})
    out = allocate_targets(ds, 1_000_000, method="equal", planned_hires={"South A": 1},
                           hire_month=7, ramp=(0.5,), precision=1).set_index("rep_id")
    assert out.loc["C", "status"] == "new hire"
    assert out.loc["C", "capacity"] == pytest.approx((0.5 + 9) / 12)
    hire = out.loc["TBH001"]
    assert hire["status"] == "planned hire" and hire["team"] == "South A"
    assert hire["capacity"] == pytest.approx((0.5 + 5) / 12)
    ratio = out["target"] / out["capacity"]  # equal method: same target per productive month
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-4)
    assert out["target"].sum() == 1_000_000


def test_planned_hires_count_goes_to_smallest_teams_first():
    ds = company({"A": 1.0, "B": 1.0, "C": 1.0})  # North A has 2 reps, South A 1
    out = allocate_targets(ds, 100, method="equal", planned_hires=1)
    assert out.loc[out["status"] == "planned hire", "team"].tolist() == ["South A"]


def test_ramp_factors_by_tenure_month():
    hired = pd.Series(pd.to_datetime(["2026-11-20", "2027-04-01", "2020-01-01", "2028-01-01"]))
    table = ramp_factors(hired, 2027, (0.25, 0.5, 0.75))
    assert table[0, :3].tolist() == [0.75, 1, 1]  # Nov = month 1, Dec = 2, Jan = 3
    assert table[1, :7].tolist() == [0, 0, 0, 0.25, 0.5, 0.75, 1]
    assert (table[2] == 1).all() and (table[3] == 0).all()
    with pytest.raises(TargetError, match="ramp"):
        ramp_factors(hired, 2027, (1.5,))


@pytest.mark.parametrize("kwargs, word", [
    ({"method": "nope"}, "method"), ({"method": "blend"}, "blend"),
    ({"method": "blend", "blend": {"luck": 1}}, "blend"), ({"over_assign": -0.1}, "over_assign"),
    ({"planned_hires": {"Atlantis": 2}}, "planned_hires"), ({"planned_hires": -1},
                                                            "planned_hires"),
    ({"total": -1}, "total"),
])
def test_allocate_targets_bad_parameters(sample, kwargs, word):
    kwargs = {"total": 1e6} | kwargs
    with pytest.raises(TargetError, match=word):
        allocate_targets(sample, **kwargs)


def test_blend_and_history_with_nothing_to_go_on():
    ds = company({"A": 0.0, "B": 0.0})
    with pytest.raises(TargetError, match="all weights are zero"):
        allocate_targets(ds, 100, method="history")
    with pytest.raises(TargetError, match="blend.*history"):
        allocate_targets(ds, 100, method="blend", blend={"history": 1, "equal": 1})
    assert allocate_targets(ds, 100, method="equal", precision=1)["target"].tolist() == [50, 50]


def test_potential_needs_the_roster_column(sample):
    ds = from_frames(sample.roster.drop(columns="territory_potential"), sample.history)
    with pytest.raises(TargetError, match="territory_potential"):
        allocate_targets(ds, 1e6, method="potential")


def test_new_customers_are_whole_numbers(sample):
    out = allocate_targets(sample, 2_000.4, measure="new_customers")
    assert (out["target"] == out["target"].round()).all()
    assert out["target"].sum() == 2_000


# -------------------------------------------------------------------------------- phasing


def test_phase_classic_equal_split_is_exact_to_the_cent():
    annual = pd.DataFrame({"rep_id": ["A"], "target": [2_000_000.0]})
    quarters = phase(annual, None, 2027, "quarter", precision=0.01)
    assert quarters["target"].tolist() == [500_000.0] * 4
    months = phase(annual, None, 2027, "month", precision=0.01)
    assert set(months["target"]) == {166_666.67, 166_666.66}
    assert (units(months.groupby("quarter")["target"].sum(), 0.01) == 50_000_000).all()
    weeks = phase(annual, None, 2027, "week", precision=0.01)
    by_month = units(weeks["target"], 0.01).reshape(-1)
    assert pd.Series(by_month).groupby(weeks["month"].to_numpy()).sum().tolist() == \
        units(months["target"], 0.01).tolist()
    # February 2027 is exactly four Mon–Fri weeks: the textbook ~41,666.67 a week
    february = weeks[weeks["month"] == "2027-02-01"]["target"]
    assert sorted(february) == [41_666.66, 41_666.67, 41_666.67, 41_666.67]
    # every piece is within a cent of its month's share by working days
    month_total = weeks["month"].map(months.set_index("month")["target"])
    month_days = weeks.groupby("month")["working_days"].transform("sum")
    share = month_total * weeks["working_days"] / month_days
    assert (np.abs(weeks["target"] - share) < 0.01 + 1e-9).all()


def test_working_weeks_split_straddling_weeks():
    pieces = working_weeks(2027)
    assert pieces["working_days"].sum() == 261  # Mon–Fri days of 2027
    straddle = pieces[pieces["week_start"] == pd.Timestamp("2027-03-29")]
    assert straddle["month"].dt.month.tolist() == [3, 4]
    assert straddle["working_days"].tolist() == [3, 2]  # Mon–Wed in March, Thu–Fri April
    assert pieces.iloc[0]["week_start"] == pd.Timestamp("2026-12-28")
    holiday = working_weeks(2027, holidays=["2027-01-01"])
    assert holiday["working_days"].sum() == 260


@settings(max_examples=60, deadline=None)
@given(targets=st.lists(st.floats(0, 5e6, allow_nan=False), min_size=1, max_size=8),
       season=st.lists(st.floats(0.01, 3), min_size=12, max_size=12),
       hire_month=st.integers(1, 12), precision=st.sampled_from([0.01, 0.25, 2.5, 1.0]),
       grain_seed=st.integers(0, 2**31))
def test_phase_properties(targets, season, hire_month, precision, grain_seed):
    n = len(targets)
    annual = pd.DataFrame({
        "rep_id": [f"R{i}" for i in range(n)], "target": targets,
        "hire_date": [pd.Timestamp(2027, hire_month, 1) if i == 0 else pd.Timestamp(2020, 1, 1)
                      for i in range(n)]})
    index = pd.Series(season, index=range(1, 13))
    want = units(targets, precision)
    per = {}
    for grain in ("quarter", "month", "week"):
        out = phase(annual, index, 2027, grain, precision=precision, ramp=(0.5,))
        assert on_grid(out["target"], precision)
        got = units(out["target"], precision)
        assert (got >= 0).all()
        assert np.array_equal(pd.Series(got).groupby(out["rep_id"].to_numpy(), sort=False)
                              .sum().to_numpy(), want)
        per[grain] = out.assign(u=got)
    monthly = per["month"].groupby(["rep_id", "month"])["u"].sum()
    weekly = per["week"].groupby(["rep_id", "month"])["u"].sum()
    assert weekly.reindex(monthly.index, fill_value=0).equals(monthly)  # months stay exact
    quarterly = per["month"].groupby(["rep_id", "quarter"])["u"].sum()
    assert quarterly.equals(per["quarter"].set_index(["rep_id", "quarter"])["u"])
    before_hire = per["month"][(per["month"]["rep_id"] == "R0")
                               & (per["month"]["month"].dt.month < hire_month)]
    assert (before_hire["u"] == 0).all()  # no target before the hire date
    again = phase(annual, index, 2027, "week", precision=precision, ramp=(0.5,))
    assert again.equals(per["week"].drop(columns="u"))


def test_phase_seasonality_by_region_and_ramp_shape():
    annual = pd.DataFrame({"rep_id": ["A", "B"], "region": ["N", "S"],
                           "target": [1200.0, 1200.0],
                           "hire_date": pd.to_datetime(["2020-01-01", "2027-01-01"])})
    season = pd.DataFrame([np.ones(12), SEASON], index=["N", "S"], columns=range(1, 13))
    out = phase(annual, season, 2027, "month", precision=1e-6, ramp=(0.5,))
    a = out[out["rep_id"] == "A"]["target"].to_numpy()
    b = out[out["rep_id"] == "B"]["target"].to_numpy()
    np.testing.assert_allclose(a, 100, atol=1e-5)
    shape = SEASON * np.r_[0.5, np.ones(11)]
    np.testing.assert_allclose(b, 1200 * shape / shape.sum(), atol=1e-5)


def test_phase_per_measure_precision(sample):
    plan = plan_targets(sample, grain="week")
    nc = plan.phased[plan.phased["measure"] == "new_customers"]["target"]
    assert (nc == nc.round()).all()
    for frame in (plan.monthly, plan.phased):
        sums = frame.groupby(["rep_id", "measure"])["target"].sum()
        annual = plan.targets.set_index(["rep_id", "measure"])["target"]
        np.testing.assert_array_equal(units(sums.reindex(annual.index), 0.01),
                                      units(annual, 0.01))


@pytest.mark.parametrize("kwargs, word", [
    ({"grain": "day"}, "grain"), ({"year": None}, "year"), ({"precision": -1}, "precision"),
    ({"seasonality": pd.Series([1.0] * 11 + [np.nan], index=range(1, 13))}, "seasonality"),
])
def test_phase_bad_parameters(kwargs, word):
    annual = pd.DataFrame({"rep_id": ["A"], "target": [10.0]})
    with pytest.raises(TargetError, match=word):
        phase(annual, **({"year": 2027} | kwargs))


def test_holidays_move_weekly_targets_but_not_months(sample):
    christmas = ["2027-12-24", "2027-12-27", "2027-12-28", "2027-12-29", "2027-12-30",
                 "2027-12-31"]
    plain = plan_targets(sample, grain="week", measures=("revenue",))
    off = plan_targets(sample, grain="week", measures=("revenue",), holidays=christmas)
    def days(plan, week):
        return set(plan.phased.loc[plan.phased["week_start"] == week, "working_days"])

    assert days(plain, "2027-12-27") == {5} and days(off, "2027-12-27") == set()
    assert days(plain, "2027-12-20") == {5} and days(off, "2027-12-20") == {4}
    assert off.monthly.equals(plain.monthly)
    december = off.phased[off.phased["month"] == "2027-12-01"].groupby("rep_id")["target"].sum()
    want = plain.monthly[plain.monthly["month"] == "2027-12-01"].set_index("rep_id")["target"]
    np.testing.assert_array_equal(units(december.reindex(want.index), 0.01), units(want, 0.01))


def test_phase_rejects_target_without_capacity():
    annual = pd.DataFrame({"rep_id": ["A"], "target": [10.0],
                           "hire_date": [pd.Timestamp("2028-01-01")]})
    with pytest.raises(TargetError, match="zero weights"):
        phase(annual, None, 2027)


# ------------------------------------------------------------------- audit and checks


def test_smart_audit_flags():
    ds = company({"A": 100_000, "B": 100_000, "C": 100_000}, growth=0.1,
                 hires={"C": "2026-05-01"})
    targets = pd.DataFrame({"rep_id": ["A", "B", "C", "TBH001"],
                            "target": [150_000.0, 90_000.0, 80_000.0, 50_000.0],
                            "capacity": [1.0, 1.0, 1.0, 0.5]})
    audit = smart_audit(targets, ds.history).set_index("rep_id")
    assert audit.loc["A", "required_growth"] == pytest.approx(150 / 121 - 1, rel=1e-4)
    assert audit.loc["A", "best_growth"] == pytest.approx(0.1, rel=1e-4)
    assert audit.loc["A", "flags"] == "not achievable"
    assert audit.loc["B", "flags"] == "soft target"
    assert audit.loc["C", "flags"] == "missing history"
    assert audit.loc["TBH001", "flags"] == "ramp; missing history"
    assert list(audit.columns[-5:]) == [*FLAGS, "flags"]


def test_backtest_on_a_steady_company_is_perfect_with_the_history_method():
    ds = company({"A": 100_000, "B": 200_000, "C": 300_000})
    result = backtest(ds, ["history", "equal"]).set_index("method")
    assert result.loc["history", "wape"] == pytest.approx(0, abs=1e-6)
    assert result.loc["history", "hit_rate"] == pytest.approx(1 / 3, abs=1 / 3)
    assert result.loc["equal", "wape"] == pytest.approx(200_000 / 600_000, rel=1e-4)
    assert result.loc["equal", "hit_rate"] == pytest.approx(1 / 3)
    assert result["company_error"].abs().max() < 1e-6


def test_backtest_needs_earlier_history():
    ds = company({"A": 1.0}, years=(2026,))
    with pytest.raises(TargetError, match="year"):
        backtest(ds)


def test_expected_attainment_tracks_difficulty(sample):
    targets = allocate_targets(sample, company_target(sample.history, 2027, growth=0.0))
    easy = expected_attainment(targets.assign(target=targets["target"] * 0.5), sample.history)
    hard = expected_attainment(targets.assign(target=targets["target"] * 2.0), sample.history)
    assert easy["expected_share"].iloc[0] > 0.9 > 0.1 > hard["expected_share"].iloc[0]
    north = targets["region"] == "North"
    skewed = targets.assign(target=targets["target"].where(~north, targets["target"] * 1.3))
    out = expected_attainment(skewed, sample.history, n=500, seed=1).set_index("group")
    assert out.loc["North", "flag"] == "harder"
    assert out.loc["North", "expected_share"] < out.loc["company", "expected_share"]
    again = expected_attainment(skewed, sample.history, n=500, seed=1).set_index("group")
    assert again.equals(out)
    assert ((out["p10"] <= out["expected_share"]) & (out["expected_share"] <= out["p90"])).all()


def test_kept_attainment_draws_give_the_same_shares_for_any_amounts(sample):
    """A panel keeps the model and draws across changes of the amounts: same shares."""
    targets = allocate_targets(sample, company_target(sample.history, 2027, growth=0.05))
    outlook = fit_outlook(sample.history, "revenue")
    drawn = targets[targets["target"] > 0].reset_index(drop=True)
    draws = attainment_draws(drawn, outlook, n=300, seed=4)
    for scale in (0.8, 1.0, 1.3):
        moved = targets.assign(target=targets["target"] * scale)
        kept = expected_attainment(moved, sample.history, n=300, seed=4, outlook=outlook,
                                   draws=draws)
        fresh = expected_attainment(moved, sample.history, n=300, seed=4)
        pd.testing.assert_frame_equal(kept, fresh)
    with pytest.raises(TargetError, match="draws"):
        expected_attainment(targets, sample.history, n=300, seed=4, outlook=outlook,
                            draws=draws[:, 1:])


def test_company_share_alone_is_the_breakdowns_first_row_and_a_direct_count(sample):
    """`by=()` (a key-figure card) gives the company row of the full table, and that share
    is the plain count of simulated results at or above target."""
    targets = allocate_targets(sample, company_target(sample.history, 2027, growth=0.08))
    outlook = fit_outlook(sample.history, "revenue")
    alone = expected_attainment(targets, sample.history, n=400, seed=2, outlook=outlook, by=())
    full = expected_attainment(targets, sample.history, n=400, seed=2, outlook=outlook)
    assert list(alone["level"]) == ["company"]
    assert set(full["level"]) == {"company", "region", "team"}
    pd.testing.assert_frame_equal(alone.drop(columns=["vs_company", "flag"]),
                                  full.iloc[:1].drop(columns=["vs_company", "flag"]))
    drawn = targets[targets["target"] > 0].reset_index(drop=True)
    results = (drawn["run_rate"] * drawn["capacity"]).to_numpy() * np.exp(
        attainment_draws(drawn, outlook, n=400, seed=2))
    direct = (results >= drawn["target"].to_numpy()).mean()
    assert alone["expected_share"].iloc[0] == pytest.approx(direct, abs=1e-12)


def test_expected_attainment_bad_inputs(sample):
    targets = allocate_targets(sample, 1e6)
    with pytest.raises(TargetError, match="n"):
        expected_attainment(targets, sample.history, n=0)
    both = pd.concat([targets, targets.assign(measure="new_customers")])
    with pytest.raises(TargetError, match="measure"):
        expected_attainment(both, sample.history)
    with pytest.raises(TargetError, match="spreads"):
        expected_attainment(targets, sample.history, spreads={"own": -0.1})


def test_plan_targets_totals_and_fitted_ramp(sample):
    plan = plan_targets(sample, growth=0.04, over_assign=0.1, planned_hires=2)
    assert plan.year == 2027
    for measure, total in plan.totals.items():
        got = plan.targets.loc[plan.targets["measure"] == measure, "target"]
        step = 0.01 if measure == "revenue" else 1.0
        assert units(got, step).sum() == round(total * 1.1 / step)
    hires = plan.targets[plan.targets["status"] == "planned hire"]
    assert len(hires) == 4  # 2 per measure
    # the default ramp is the one fitted from the sample's hires, and the plan says so
    ramp = fit_ramp(sample.history, sample.roster.set_index("rep_id")["hire_date"])
    assert ramp.fitted and plan.ramp == ramp.factors
    assert hires["capacity"].iloc[0] == pytest.approx((sum(ramp) + 12 - len(ramp)) / 12)
    assert ramp.describe() in plan.notes
    given = plan_targets(sample, growth=0.04, over_assign=0.1, planned_hires=2,
                         ramp=DEFAULT_RAMP)
    assert given.ramp == DEFAULT_RAMP and ramp.describe() not in given.notes
    hires = given.targets[given.targets["status"] == "planned hire"]
    assert hires["capacity"].iloc[0] == pytest.approx((sum(DEFAULT_RAMP) + 12
                                                       - len(DEFAULT_RAMP)) / 12)


def test_linear_ramp_and_plan_summary(sample):
    assert linear_ramp(3) == (0.25, 0.5, 0.75)
    assert linear_ramp(0) == ()
    with pytest.raises(TargetError, match="ramp"):
        linear_ramp(-1)
    plan = plan_targets(sample, growth=0.0, company_method="growth")
    summary = plan.summary()
    assert summary.loc["total", "target"] == pytest.approx(plan.totals["revenue"], abs=0.01)
    actual = sample.history.loc[sample.history["month"].dt.year == 2026, "revenue"]
    leavers = sample.roster.loc[sample.roster["leave_date"].notna(), "rep_id"]
    stay = sample.history.loc[(sample.history["month"].dt.year == 2026)
                              & ~sample.history["rep_id"].isin(leavers), "revenue"]
    assert summary.loc["total", "last_year"] == pytest.approx(stay.sum())
    assert stay.sum() < actual.sum()
    assert summary.loc["total", "reps"] == summary["reps"].drop("total").sum()


def test_seasonality_ignores_one_mega_deal_month():
    ds = company({"A": 120_000, "B": 240_000}, growth=0.1)
    history = ds.history.copy()
    spike = history.index[(history["rep_id"] == "A") & (history["month"] == "2025-06-01")]
    history.loc[spike, "revenue"] *= 8
    np.testing.assert_allclose(seasonality(history).to_numpy(), SEASON, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(levels=st.lists(st.floats(0, 2e6, allow_nan=False), min_size=2, max_size=6)
       .filter(lambda v: max(v) > 100),
       total=st.floats(0, 1e8, allow_nan=False), over=st.floats(0, 0.5),
       method=st.sampled_from([*METHODS, "blend"]), hires=st.integers(0, 3),
       ramp_months=st.integers(0, 6))
def test_allocate_targets_properties(levels, total, over, method, hires, ramp_months):
    # capacity splits by the team's median rep: teams of mostly idle reps give no basis
    # (a TargetError says so; test_capacity_with_no_basis_says_so)
    # (under 1 a year, a rep's months round to 0.00: idle too)
    sold = [v if v >= 1 else 0.0 for v in levels]
    assume(method != "capacity" or max(np.median(sold[0::2]), np.median(sold[1::2])) > 0)
    ds = company({f"R{i}": v for i, v in enumerate(levels)})
    kwargs = dict(method=method, over_assign=over, planned_hires=hires,
                  ramp=linear_ramp(ramp_months), blend={"history": 1, "equal": 1})
    out = allocate_targets(ds, total, **kwargs)
    assert units(out["target"], 0.01).sum() == int(np.rint(total * (1 + over) / 0.01))
    assert (out["target"] >= 0).all()
    assert (out["status"] == "planned hire").sum() == hires
    hire = out[out["status"] == "planned hire"]
    np.testing.assert_allclose(hire["capacity"], (sum(linear_ramp(ramp_months)) + 12
                                                  - ramp_months) / 12)
    assert allocate_targets(ds, total, **kwargs).equals(out)


def test_capacity_with_no_basis_says_so():
    """Found by the property test: every team's median rep sold nothing."""
    ds = company({"R0": 101.0, "R1": 0.0, "R2": 0.0, "R3": 0.0, "R4": 0.0})
    with pytest.raises(TargetError, match="capacity.*all weights are zero"):
        allocate_targets(ds, 1000.0, method="capacity")


# --------------------------------------------------- real data: short, partial, thin (issue 11)


def _cut(ds, last: str):
    """The same company with history up to and including the month `last`."""
    return from_frames(ds.roster, ds.history[ds.history["month"] <= last])


def _bare(ds):
    """The same company without the optional roster column territory_potential."""
    return from_frames(ds.roster.drop(columns="territory_potential"), ds.history)


def test_weighted_baseline_uses_the_years_there_are_when_asked():
    ds = company({"A": 120_000, "B": 60_000}, years=(2026,))
    with pytest.raises(TargetError, match="weights"):
        company_target(ds.history, 2027, method="weighted")
    got = company_target(ds.history, 2027, method="weighted", renormalise=True)
    assert got == pytest.approx(180_000, rel=1e-6)
    two = company({"A": 100_000}, years=(2025, 2026), growth=0.1)
    got = company_target(two.history, 2027, method="weighted", renormalise=True)
    assert got == pytest.approx((0.5 * 110_000 + 0.3 * 100_000) / 0.8, rel=1e-6)


def test_company_baselines_say_which_years_they_rest_on():
    ds = company({"A": 120_000}, years=(2026,))
    table = company_baselines(ds.history, 2027)
    assert list(table.index) == list(COMPANY_METHODS)
    assert table.loc["weighted", "baseline"] == pytest.approx(120_000, rel=1e-6)
    assert "2026 only" in table.loc["weighted", "note"]
    assert table.loc["growth", "note"] == ""
    none = company_baselines(ds.history, 2029)  # no history in 2028: growth cannot be set
    assert np.isnan(none.loc["growth", "baseline"]) and "2028" in none.loc["growth", "note"]


def test_year_totals_label_a_partial_year_and_never_call_an_estimate_actual():
    ds = _cut(company({"A": 120_000}, years=(2025, 2026)), "2026-07-01")
    table = year_totals(ds.history)
    row = table.loc[2026]
    assert row["months"] == 7 and bool(row["partial"])
    assert row["actual"] == pytest.approx(ds.history.loc[ds.history["month"].dt.year == 2026,
                                                         "revenue"].sum())
    assert row["annualised"] == pytest.approx(120_000, rel=1e-4)
    assert row["label"] == "2026 (Jan–Jul, 7 months)"
    text = year_sentence(ds.history, 2026)
    assert text == (f"2026 (Jan–Jul, 7 months): {row['actual']:,.0f} actual; "
                    f"annualised {row['annualised']:,.0f}")
    assert year_sentence(ds.history, 2025) == f"2025: {table.loc[2025, 'actual']:,.0f} actual"
    assert "no history" in year_sentence(ds.history, 2024)


def test_plan_summary_compares_growth_on_the_same_months_when_last_year_is_partial():
    ds = _cut(company({"A": 120_000, "B": 60_000, "C": 90_000}, years=(2025, 2026)),
              "2026-07-01")
    plan = plan_targets(ds, 2027, growth=0.0, measures=("revenue",))
    summary = plan.summary()
    assert "target_same_months" in summary
    same = plan.monthly[plan.monthly["month"].dt.month <= 7]
    assert summary.loc["total", "target_same_months"] == pytest.approx(same["target"].sum())
    assert summary.loc["total", "growth"] == pytest.approx(
        summary.loc["total", "target_same_months"] / summary.loc["total", "last_year"] - 1)
    assert abs(summary.loc["total", "growth"]) < 0.01  # flat company, no growth asked
    assert "Jan–Jul" in summary.attrs["growth_basis"]
    full = plan_targets(company({"A": 1000.0}), 2027, measures=("revenue",)).summary()
    assert "target_same_months" not in full and "full year" in full.attrs["growth_basis"]


def test_one_region_summary_and_charts_have_one_row():
    from helpers.plots import targets as charts

    ds = company({"A": 100_000, "B": 50_000}, regions=("Home",))
    plan = plan_targets(ds, 2027, measures=("revenue",))
    summary = plan.summary()
    assert list(summary.index) == ["Home", "total"]
    charts.targets_by_region(summary.drop(index="total"))
    charts.history_by_region(ds)
    charts.seasonality_heatmap(plan.season)


def test_backtest_year_is_the_last_full_year_after_a_full_year():
    ds = company({"A": 100_000, "B": 200_000})
    assert backtest_year(ds.history) == 2026
    assert backtest_year(_cut(ds, "2026-07-01").history) == 2025
    assert backtest_year(_cut(company({"A": 1.0}, years=(2025, 2026)), "2026-07-01").history) \
        is None
    partial = backtest(_cut(ds, "2026-07-01"), "history")  # full 2025 against full 2025
    assert partial["company_error"].abs().max() < 1e-6
    with pytest.raises(TargetError, match="7 months"):
        backtest(_cut(ds, "2026-07-01"), "history", year=2026)


def test_backtest_methods_skip_with_a_sentence():
    one = company({"A": 1.0, "B": 2.0}, years=(2026,))
    table, notes = backtest_methods(one, ["history", "equal"])
    assert table.empty and len(notes) == 1
    assert "full year" in notes[0] and "before" in notes[0]
    bare = _bare(company({"A": 100_000, "B": 200_000}))
    table, notes = backtest_methods(bare, [*METHODS, "blend"],
                                    blend={"history": 0.6, "potential": 0.4})
    assert list(table["method"]) == ["history", "capacity", "equal"]
    assert any("potential" in n and "territory_potential" in n for n in notes)
    assert any("blend" in n for n in notes)


@pytest.fixture(scope="module")
def plan_cache(sample):
    return PlanCache(sample)  # shared by every example: it holds other settings' results


@settings(max_examples=10, deadline=None)
@given(growth=st.floats(-0.2, 0.5), company_method=st.sampled_from(COMPANY_METHODS),
       method=st.sampled_from([*METHODS, "blend"]), over_assign=st.floats(0, 0.3),
       ramp=st.one_of(st.just("fitted"), st.integers(0, 12)),
       grain=st.sampled_from(["quarter", "month", "week"]), hires=st.integers(0, 2))
def test_a_plan_cache_gives_the_numbers_of_plan_targets_without_one(
        sample, plan_cache, growth, company_method, method, over_assign, ramp, grain, hires):
    settings_ = dict(growth=growth, company_method=company_method, method=method,
                     blend={"history": 0.5, "equal": 0.5} if method == "blend" else None,
                     over_assign=over_assign,
                     ramp=ramp if ramp == "fitted" else linear_ramp(ramp), grain=grain,
                     planned_hires=hires)
    cached = plan_targets(sample, cache=plan_cache, **settings_)
    fresh = plan_targets(sample, **settings_)
    for name in ("targets", "monthly", "phased", "capped"):
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(fresh, name),
                                      check_exact=True)
    pd.testing.assert_series_equal(cached.totals, fresh.totals, check_exact=True)
    pd.testing.assert_frame_equal(cached.summary(), fresh.summary(), check_exact=True)
    assert (cached.notes, cached.ramp, cached.last_months) == (
        fresh.notes, fresh.ramp, fresh.last_months)
    # and the engines it is built from, called one by one, give the same rep targets
    year, ramp_ = sample.plan_year, resolve_ramp(settings_["ramp"], sample)
    for measure, total in cached.totals.items():
        assert total == company_target(sample.history, year, growth=growth,
                                       method=company_method,
                                       measure=measure, renormalise=True)
        alone = allocate_targets(sample, total, method=method, blend=settings_["blend"],
                                 over_assign=over_assign, ramp=ramp_, measure=measure,
                                 planned_hires=hires)
        pd.testing.assert_frame_equal(
            cached.targets[cached.targets["measure"] == measure].reset_index(drop=True),
            alone, check_exact=True, check_dtype=False)  # concat: new_customers as float


def test_a_plan_cache_fits_the_ramp_once_and_serves_one_dataset(sample, monkeypatch):
    import helpers.targets.allocation as allocation

    calls = []
    real = allocation.fit_ramp
    monkeypatch.setattr(allocation, "fit_ramp", lambda *a, **k: calls.append(1) or real(*a, **k))
    ds = from_frames(sample.roster, sample.history.copy())  # fitted by no other test
    cache = PlanCache(ds)
    for growth in (0.03, 0.06, 0.09):
        plan_targets(ds, growth=growth, measures=("revenue",), cache=cache)
    assert len(calls) == 1 and len(cache) > 0
    plan_targets(ds, growth=0.03, measures=("revenue",))  # no cache: the dataset's own fit
    assert len(calls) == 1
    first = resolve_ramp("fitted", ds)
    hire = ds.roster.loc[ds.roster["hire_date"] >= ds.history["month"].min(), "rep_id"]
    rows = ds.history["rep_id"].isin(hire.iloc[:5])
    ds.history.loc[rows, "revenue"] *= 3  # changed in place: fitted again, never served stale
    assert resolve_ramp("fitted", ds) != first and len(calls) == 2
    with pytest.raises(TargetError, match="another dataset"):
        plan_targets(from_frames(sample.roster, sample.history), cache=cache)


def test_plan_targets_falls_back_from_potential_with_a_note():
    bare = _bare(company({"A": 100_000, "B": 200_000}))
    plan = plan_targets(bare, 2027, method="potential", measures=("revenue",))
    assert set(plan.targets["basis"]) == set(
        plan_targets(bare, 2027, method="history", measures=("revenue",)).targets["basis"])
    assert any("territory_potential" in n and "history" in n for n in plan.notes)
    blend = plan_targets(bare, 2027, method="blend", blend={"history": 0.6, "potential": 0.4},
                         measures=("revenue",))
    assert any("blend" in n for n in blend.notes)
    with pytest.raises(TargetError, match="territory_potential"):
        allocate_targets(bare, 1e6, method="potential")


def test_plan_targets_weighted_on_short_history_says_so():
    ds = company({"A": 120_000}, years=(2026,))
    plan = plan_targets(ds, 2027, growth=0.0, company_method="weighted", measures=("revenue",))
    assert plan.totals["revenue"] == pytest.approx(120_000, rel=1e-6)
    assert any("2026 only" in n for n in plan.notes)


def test_expected_attainment_assumes_a_stated_spread_without_two_full_years(sample):
    targets = allocate_targets(sample, 1e6)
    one_year = sample.history[sample.history["month"].dt.year == 2026]
    out = expected_attainment(targets, one_year, seed=3)  # the stated default, never 0%
    assert 0 <= out["expected_share"].iloc[0] <= 1
    assert "own variation (15%" in out.attrs["note"] and "market swing (5%" in out.attrs["note"]
    again = expected_attainment(targets, one_year, spreads={"own": 0.15}, seed=3)
    assert again.equals(out)
    above = targets.assign(target=targets["run_rate"].fillna(0) * targets["capacity"] * 1.2)
    narrow = expected_attainment(above, one_year, spreads={"own": 0.01}, seed=3)
    wide = expected_attainment(above, one_year, spreads={"own": 0.5}, seed=3)
    assert "own variation (50%" in wide.attrs["note"]  # 20% above run-rate: luck decides
    assert narrow["expected_share"].iloc[0] < 0.05 < 0.25 < wide["expected_share"].iloc[0]
    learned = expected_attainment(targets, sample.history, spreads={"own": 0.5})
    assert "note" not in learned.attrs  # two full years: learned, nothing assumed


@pytest.mark.parametrize("combo", ["minimal", "partial"])
def test_plan_backtest_and_attainment_run_on_the_shape_matrix(tmp_path, combo):
    import shapes

    from helpers import load

    ds = load(shapes.make(tmp_path / combo, *shapes.COMBINED[combo]))
    plan = plan_targets(ds, method="blend", blend={"history": 0.6, "potential": 0.4},
                        company_method="weighted")
    assert plan.summary().loc["total", "reps"] > 0
    assert len(company_baselines(ds.history, plan.year)) == 3
    table, notes = backtest_methods(ds, [*METHODS, "blend"],
                                    blend={"history": 0.6, "potential": 0.4})
    assert notes  # neither shape has a full year before a full last year
    reps = plan.targets[plan.targets["measure"] == "revenue"]
    out = expected_attainment(reps, ds.history)
    assert "assumed" in out.attrs["note"]


def test_audit_notes_say_which_flags_cannot_be_judged():
    from helpers.targets import audit_notes

    ds = company({"A": 100_000, "B": 120_000})
    audit = smart_audit(plan_targets(ds, 2027, measures=("revenue",)).targets, ds.history, 2027)
    assert audit_notes(audit, ds.history, 2027) == []
    one = company({"A": 100_000, "B": 120_000}, years=(2026,))
    audit = smart_audit(plan_targets(one, 2027, measures=("revenue",)).targets, one.history, 2027)
    assert "two full years" in audit_notes(audit, one.history, 2027)[0]
    cut = _cut(ds, "2026-07-01")
    audit = smart_audit(plan_targets(cut, 2027, measures=("revenue",)).targets, cut.history, 2027)
    assert audit["missing_history"].all()
    assert "2026 (Jan–Jul, 7 months) is not a full year" in audit_notes(audit, cut.history, 2027)[0]


def test_backtest_with_the_weighted_company_number_on_two_years():
    ds = company({"A": 100_000, "B": 200_000}, years=(2025, 2026))
    result = backtest(ds, "history", company_method="weighted")
    assert result["company_error"].abs().max() < 1e-6


def test_baselines_and_plan_say_when_they_rest_on_an_annualised_partial_year():
    ds = _cut(company({"A": 120_000, "B": 60_000}, years=(2025, 2026)), "2026-07-01")
    table = company_baselines(ds.history, 2027)
    assert "2026 (Jan–Jul, 7 months) annualised" in table.loc["growth", "note"]
    assert "annualised" in table.loc["weighted", "note"]
    plan = plan_targets(ds, 2027, measures=("revenue",))
    assert any("annualised" in n for n in plan.notes)
    assert plan_targets(company({"A": 1.0}), 2027, measures=("revenue",)).notes == ()


def test_smart_audit_on_a_partial_last_year_compares_the_same_months_when_given_them():
    from helpers.targets import audit_notes

    ds = company({"A": 100_000, "B": 100_000, "C": 100_000}, growth=0.1,
                 hires={"C": "2026-03-01"})
    cut = _cut(ds, "2026-07-01")
    plan = plan_targets(cut, 2027, growth=0.0, measures=("revenue",))
    audit = smart_audit(plan.targets, cut.history, 2027, monthly=plan.monthly).set_index("rep_id")
    jan_jul = cut.history[cut.history["month"].dt.year == 2026].groupby("rep_id")["revenue"].sum()
    same = plan.monthly[plan.monthly["month"].dt.month <= 7].groupby("rep_id")["target"].sum()
    assert audit.loc["A", "last_year"] == pytest.approx(jan_jul["A"])
    assert audit.loc["A", "target_same_months"] == pytest.approx(same["A"])
    assert audit.loc["A", "required_growth"] == pytest.approx(same["A"] / jan_jul["A"] - 1)
    assert not audit.loc["A", "missing_history"]
    assert audit.loc["C", "missing_history"]  # hired in March: not all of Jan–Jul
    notes = audit_notes(audit.reset_index(), cut.history, 2027)
    assert "same months" in notes[0] and "Jan–Jul" in notes[0]
    full = smart_audit(plan.targets, ds.history, 2027, monthly=plan.monthly)
    assert "target_same_months" not in full  # a full last year: the annual target as before


# ------------------------------------------------- issue 13: what the field would expect


def _spiked(factor: float = 8.0):
    """Four reps over 2024–2026; A closes one mega deal in June 2026 (× factor)."""
    ds = company({"A": 100_000, "B": 300_000, "C": 200_000, "D": 400_000})
    history = ds.history.copy()
    spike = (history["rep_id"] == "A") & (history["month"] == "2026-06-01")
    history.loc[spike, "revenue"] *= factor
    return from_frames(ds.roster, history)


def test_one_mega_month_is_capped_in_the_basis_and_keep_gives_the_old_number():
    from scipy.stats import median_abs_deviation

    from helpers.data import OUTLIER_Z, quality_report
    from helpers.targets import outlier_caps

    ds = _spiked()
    a = ds.history[ds.history["rep_id"] == "A"].set_index("month")["revenue"]
    others = ds.history[(ds.history["rep_id"] != "A")
                        & (ds.history["month"].dt.year == 2026)].groupby("rep_id")["revenue"]
    # oracle: scipy's MAD scaled to a normal sigma is MAD / 0.67449 (the rule's 0.6745)
    logs = np.log(a)
    cap = np.exp(np.median(logs) + OUTLIER_Z * median_abs_deviation(logs, scale="normal"))
    kept_basis = a["2026"].sum()
    capped_basis = a["2026"].clip(upper=cap).sum()
    assert capped_basis < kept_basis

    def share(basis):
        return 1_000_000 * basis / (basis + others.sum().sum())

    keep = allocate_targets(ds, 1_000_000, precision=1, outliers="keep").set_index("rep_id")
    capped = allocate_targets(ds, 1_000_000, precision=1).set_index("rep_id")  # cap: default
    assert keep.loc["A", "target"] == pytest.approx(share(kept_basis), abs=1)
    assert capped.loc["A", "target"] == pytest.approx(share(capped_basis), abs=1, rel=1e-4)
    assert capped["target"].sum() == keep["target"].sum() == 1_000_000
    assert capped.loc["A", "last_year"] == keep.loc["A", "last_year"]  # the actual, uncapped
    assert keep.loc["A", "last_year"] == pytest.approx(kept_basis, rel=1e-12)

    # the flag and the treatment are the same months: one rule
    flagged = quality_report(ds).query("check == 'outlier'")
    table = outlier_caps(ds, 2027)
    assert list(flagged["rep_id"]) == list(table["rep_id"]) == ["A"]
    assert "2026-06" in flagged["detail"].iloc[0]
    assert table["month"].iloc[0] == pd.Timestamp("2026-06-01")
    assert table["cap"].iloc[0] == pytest.approx(cap, rel=1e-4)
    assert table["removed"].iloc[0] == pytest.approx(a["2026-06-01"] - cap, rel=1e-4)

    plan = plan_targets(ds, 2027, growth=0.0, measures=("revenue",))
    assert list(plan.capped["rep_id"]) == ["A"]
    said = [n for n in plan.notes if "capped" in n]
    assert len(said) == 1 and "A 2026-06" in said[0]
    old = plan_targets(ds, 2027, growth=0.0, measures=("revenue",), outliers="keep")
    assert old.capped.empty and not any("capped" in n for n in old.notes)
    assert (old.targets.set_index("rep_id").loc["A", "target"]
            > plan.targets.set_index("rep_id").loc["A", "target"])


def test_a_month_below_the_outlier_rule_is_left_alone():
    from helpers.data import quality_report
    from helpers.targets import outlier_caps

    ds = _spiked(1.3)  # a good month, not an outlier
    assert outlier_caps(ds, 2027).empty
    assert "outlier" not in set(quality_report(ds)["check"])
    keep = allocate_targets(ds, 1_000_000, precision=1, outliers="keep")
    assert allocate_targets(ds, 1_000_000, precision=1).equals(keep)


@settings(max_examples=20, deadline=None)
@given(factor=st.floats(1, 50), total=st.floats(0, 1e8, allow_nan=False),
       outliers=st.sampled_from(["cap", "keep"]),
       method=st.sampled_from([*METHODS, "blend"]))
def test_allocations_with_outlier_treatment_still_add_up_exactly(factor, total, outliers,
                                                                 method):
    ds = _spiked(factor)
    out = allocate_targets(ds, total, method=method, blend={"history": 1, "equal": 1},
                           outliers=outliers)
    assert units(out["target"], 0.01).sum() == int(np.rint(total / 0.01))
    assert (out["target"] >= 0).all()


def _two_regimes():
    """2015–2023 a big shrinking business, then from 2024 a straight line (one spike)."""
    months = pd.date_range("2015-01-01", "2026-12-01", freq="MS")
    k = np.arange(len(months), dtype="float64")
    revenue = np.where(months.year < 2024, 9000 - 40 * k, 1000 + 10 * (k - 108))
    revenue[months == "2025-03-01"] *= 6  # a mega deal inside the window
    return pd.DataFrame({"rep_id": "A", "month": months, "revenue": revenue})


def test_trend_fits_only_the_window_and_damps_the_slope():
    from scipy.stats import theilslopes

    history = _two_regimes()
    window = history[history["month"] >= "2024-01-01"]
    t = (window["month"].dt.year * 12 + window["month"].dt.month).to_numpy(dtype="float64")
    slope, intercept, *_ = theilslopes(window["revenue"].to_numpy(), t)  # oracle
    assert slope == pytest.approx(10)
    end, future = t.max(), 2027 * 12 + np.arange(1, 13)
    straight = (intercept + slope * future).sum()
    # the season index is fitted with the line in a few rounds: equal to the oracle's line
    # up to that fit (a flat season here, so any index other than 1 is the fit's residue)
    got = company_target(history, 2027, method="trend", damping=1.0)
    assert got == pytest.approx(straight, rel=1e-3)
    assert company_target(window, 2027, method="trend") == pytest.approx(
        company_target(history, 2027, method="trend"), rel=1e-12)  # the old regime is unseen
    # all history (the old behaviour, now opt-in): the old, bigger regime holds the line up
    assert company_target(history, 2027, method="trend", trend_years=12) > 1.5 * straight
    phi = 0.9
    h = future - end
    damped = (intercept + slope * end + slope * phi * (1 - phi ** h) / (1 - phi)).sum()
    assert company_target(history, 2027, method="trend", damping=phi) == pytest.approx(
        damped, rel=1e-3)
    assert damped < straight
    note = company_baselines(history, 2027).loc["trend", "note"]
    assert "last 3 year(s)" in note and "2024-01 to 2026-12" in note and "damped" in note


@pytest.mark.parametrize("kwargs, word", [
    ({"method": "trend", "trend_years": 0}, "trend_years"),
    ({"method": "trend", "trend_years": 1.5}, "trend_years"),
    ({"method": "trend", "damping": 0}, "damping"),
    ({"method": "trend", "damping": 1.2}, "damping"),
])
def test_trend_bad_parameters(kwargs, word):
    with pytest.raises(TargetError, match=word):
        company_target(_two_regimes(), 2027, **kwargs)


def test_outliers_bad_parameter_names_itself(sample):
    with pytest.raises(TargetError, match="outliers"):
        allocate_targets(sample, 1e6, outliers="trim")
    with pytest.raises(TargetError, match="outliers"):
        plan_targets(sample, outliers="trim")


def test_partial_last_year_run_rate_is_the_seasonally_adjusted_annual_figure():
    from helpers.targets import run_rate

    ds = _cut(company({"A": 120_000}, years=(2025, 2026)), "2026-07-01")
    hired = ds.roster.set_index("rep_id")["hire_date"]
    rate = run_rate(ds.history, hired, 2027, ramp=())
    annual = year_totals(ds.history).loc[2026, "annualised"]
    assert rate["A"] == pytest.approx(annual, rel=1e-12)
    assert rate["A"] == pytest.approx(120_000, rel=1e-4)
    jan_jul = ds.history.loc[ds.history["month"].dt.year == 2026, "revenue"]
    assert jan_jul.mean() * 12 < 0.95 * 120_000  # the old run-rate: a weak half read as a year


def test_a_target_below_last_year_is_a_soft_target():
    from helpers.targets import audit_notes

    assert "soft_target" in FLAGS and "sandbagging" not in FLAGS
    ds = company({"A": 100_000, "B": 100_000})
    targets = pd.DataFrame({"rep_id": ["A", "B"], "target": [90_000.0, 110_000.0]})
    audit = smart_audit(targets, ds.history, 2027).set_index("rep_id")
    assert audit.loc["A", "soft_target"] and audit.loc["A", "flags"] == "soft target"
    assert not audit.loc["B", "soft_target"]
    cut = _cut(ds, "2026-07-01")
    notes = audit_notes(smart_audit(targets, cut.history, 2027), cut.history, 2027)
    assert "'soft target'" in notes[0]


def test_on_the_sample_the_capped_months_are_last_years_flagged_outliers(sample):
    from helpers.data import quality_report
    from helpers.targets import outlier_caps

    year = sample.plan_year
    flagged = quality_report(sample).query("check == 'outlier'")
    when = flagged["detail"].str.extract(r" in (\d{4}-\d{2}) ")[0]
    last = flagged[when.str.startswith(str(year - 1))]
    caps = outlier_caps(sample, year)
    assert len(caps) > 0
    assert (set(zip(last["rep_id"], when[last.index], strict=True))
            == set(zip(caps["rep_id"], caps["month"].dt.strftime("%Y-%m"), strict=True)))
    assert (caps["removed"] > 0).all() and (caps["cap"] < caps["actual"]).all()


# ------------------------------------------------------------------ fitted new-hire ramp


def hires_history(ramp, *, hires=12, ramped=30, years=3, noise=0.15, seed=0):
    """Monthly revenue of `ramped` tenured reps and `hires` spread over the history, whose
    revenue in tenure month t is `ramp[t-1]` of their own full productivity (1 after)."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(f"{2027 - years}-01-01", periods=12 * years, freq="MS")
    n = ramped + hires
    hire = pd.Series(pd.Timestamp("2010-03-15"), index=[f"R{i:03d}" for i in range(n)])
    starts = np.linspace(0, len(months) - 9, hires).astype(int)
    hire.iloc[ramped:] = months[starts] + pd.Timedelta(days=9)
    skill = rng.lognormal(0, 0.3, n)
    t = (np.arange(len(months))[None, :]
         - ((hire.dt.year.to_numpy() - months[0].year) * 12
            + hire.dt.month.to_numpy() - 1)[:, None] + 1)
    share = np.concatenate([[0.0], ramp, [1.0]])[np.clip(t, 0, len(ramp) + 1)]
    season = SEASON[months.month.to_numpy() - 1] * 1.05 ** (months.year.to_numpy() - 2024)
    revenue = 50_000 * skill[:, None] * season[None, :] * share * rng.lognormal(
        0, noise, (n, len(months)))
    rep, month = np.nonzero(t >= 1)
    history = pd.DataFrame({"rep_id": hire.index[rep], "month": months[month],
                            "revenue": revenue[rep, month]})
    return history, hire


@pytest.mark.parametrize("months,seed", [(6, 0), (6, 1), (3, 2), (9, 3)])
def test_fit_ramp_recovers_a_known_ramp(months, seed):
    truth = linear_ramp(months)
    history, hire = hires_history(truth, hires=15, seed=seed)
    ramp = fit_ramp(history, hire)
    assert ramp.fitted and ramp.hires == 15 and ramp.reason == ""
    assert abs(ramp.months - months) <= 1
    got = np.array(ramp.factors[:months])
    np.testing.assert_allclose(got, truth[:len(got)], atol=0.12)
    assert np.all(np.diff(ramp.factors) >= 0) and all(0 <= f < FULL for f in ramp)
    assert f"{ramp.months + 1}th month" in ramp.describe()


def test_fit_ramp_sees_no_ramp_when_hires_start_at_full_speed():
    history, hire = hires_history((), hires=10, seed=4)
    ramp = fit_ramp(history, hire)
    assert ramp.fitted and ramp.months <= 1
    assert ramp_factors(pd.Series([pd.Timestamp("2027-01-01")]), 2027, ramp)[0, 2] == 1.0


def test_fit_ramp_follows_reps_not_rows_or_labels():
    history, hire = hires_history(linear_ramp(6), seed=5)
    ramp = fit_ramp(history, hire)
    relabel = {rid: f"X{(i * 37) % 101:04d}" for i, rid in enumerate(hire.index)}
    shuffled = history.sample(frac=1, random_state=1).assign(
        rep_id=lambda h: h["rep_id"].map(relabel))
    other = fit_ramp(shuffled, hire.rename(relabel).sample(frac=1, random_state=2))
    assert other == ramp
    scaled = fit_ramp(history.assign(revenue=history["revenue"] * 100), hire)  # a ratio
    np.testing.assert_allclose(scaled.factors, ramp.factors, atol=1e-9)


def test_fit_ramp_is_robust_to_one_mega_deal():
    history, hire = hires_history(linear_ramp(6), seed=6)
    ramp = fit_ramp(history, hire)
    first_month = history.index[history["rep_id"] == hire.index[-3]][0]
    history.loc[first_month, "revenue"] *= 40
    assert abs(fit_ramp(history, hire).months - ramp.months) <= 1


def test_fit_ramp_keeps_the_default_with_a_reason_when_hires_are_too_few():
    history, hire = hires_history(linear_ramp(6), hires=2, seed=7)
    ramp = fit_ramp(history, hire)
    assert not ramp.fitted and ramp.factors == DEFAULT_RAMP and ramp.hires == 2
    assert "only 2 hire(s)" in ramp.reason and ramp.reason in ramp.describe()
    # hires with too little tenure in the history do not count
    short = history[~(history["rep_id"].isin(hire.index[-4:])
                      & (history["month"] > hire.iloc[-4:].min()))]
    assert fit_ramp(short, hire.iloc[:-2], min_hires=9).hires < 9
    lone, hire = hires_history(linear_ramp(6), hires=6, ramped=0, years=1, seed=7)
    assert "fully ramped" in fit_ramp(lone, hire).reason  # hires, nobody to compare with
    assert fit_ramp(history, hire, default=(0.5,)).factors == (0.5,)


def test_fit_ramp_rejects_what_cannot_work():
    history, hire = hires_history(linear_ramp(6), seed=8)
    with pytest.raises(TargetError, match="rep_id"):
        fit_ramp(history.drop(columns="rep_id"), hire)
    with pytest.raises(TargetError, match="deals"):
        fit_ramp(history, hire, measure="deals")
    with pytest.raises(TargetError, match="min_hires"):
        fit_ramp(history, hire, min_hires=0)
    with pytest.raises(TargetError, match="full"):
        fit_ramp(history, hire, full=1.5)
    with pytest.raises(TargetError, match="fitted"):
        allocate_targets(company({"A": 1000, "B": 1000}), 100, ramp="linear")
    # a company without hires plans with the default ramp, and says why
    ramp = resolve_ramp("fitted", company({"A": 1000, "B": 1000}))
    assert not ramp.fitted and ramp.factors == DEFAULT_RAMP and "only 0 hire(s)" in ramp.reason


@settings(max_examples=15, deadline=None)
@given(months=st.integers(0, 10), hires=st.integers(3, 12), seed=st.integers(0, 10_000),
       noise=st.floats(0.0, 0.4))
def test_fit_ramp_is_a_ramp_whatever_the_history(months, hires, seed, noise):
    history, hire = hires_history(linear_ramp(months), hires=hires, noise=noise, seed=seed)
    ramp = fit_ramp(history, hire)
    assert ramp.fitted and ramp.hires == hires
    assert ramp.months <= 12 and len(ramp) == ramp.months
    assert all(0 <= f < FULL for f in ramp)
    assert list(ramp.factors) == sorted(ramp.factors)


def test_the_sample_s_hires_ramp_over_about_nine_months(sample):
    ramp = fit_ramp(sample.history, sample.roster.set_index("rep_id")["hire_date"])
    assert ramp.fitted and ramp.hires >= 10
    assert 7 <= ramp.months <= 10  # the sample builds in a 9-month ramp
    assert ramp.factors[0] < 0.25 and ramp.factors[ramp.months // 2] < 0.75


def test_allocate_targets_fits_the_ramp_by_default(sample):
    fitted = resolve_ramp("fitted", sample)
    assert fitted == fit_ramp(sample.history, sample.roster.set_index("rep_id")["hire_date"])
    default = allocate_targets(sample, 50_000_000, planned_hires=2)
    given = allocate_targets(sample, 50_000_000, planned_hires=2, ramp=fitted.factors)
    pd.testing.assert_frame_equal(default, given)
    old = allocate_targets(sample, 50_000_000, planned_hires=2, ramp=DEFAULT_RAMP)
    planned = old["status"] == "planned hire"
    assert (default.loc[planned, "capacity"] < old.loc[planned, "capacity"]).all()
    # the backtest's past plan fits only on the history before its year
    before = resolve_ramp("fitted", sample, 2026)
    assert before.hires < fitted.hires


def test_a_fitted_share_that_rounds_to_full_ends_the_ramp():
    """A 10-month straight ramp fits 0.1 ... 0.9 (the tenth month 0.8999.. rounds to 0.9 =
    FULL): that month is full productivity, not a ramp month (hypothesis found it)."""
    history, hire = hires_history(linear_ramp(10), hires=3, noise=0.0, seed=8)
    ramp = fit_ramp(history, hire)
    assert all(f < FULL for f in ramp) and ramp.months == 8


def test_a_year_without_new_customers_has_no_growth_and_no_warning():
    """A rep with a zero year (no new customers) has no log growth that year: that rep-year
    is left out of the own variation instead of a -inf (and a numpy warning)."""
    months = pd.date_range("2023-01-01", "2025-12-01", freq="MS")
    rows = [{"rep_id": rep, "month": m, "new_customers": 0.0 if rep == "Z" and m.year == 2024
             else 3.0 + (i % 4) + k}
            for k, rep in enumerate(["A", "B", "C", "Z"]) for i, m in enumerate(months)]
    outlook = fit_outlook(pd.DataFrame(rows), "new_customers")  # warnings are errors here
    assert np.isfinite(outlook.own).all()
    assert len(outlook.own) == 4 * 2 - 2  # Z's two growths touch its zero year


def test_a_hires_ramp_months_are_grossed_up_no_higher_than_their_best_month():
    """Ramp months are read at full productivity, but a hire who sold as much in month one as
    later is not credited five times it (a 20% ramp share): a partial-year shape gave a
    4-month hire 9x last year's revenue as a target."""
    from helpers.targets import run_rate

    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    rows = [{"rep_id": "FLAT", "month": m, "revenue": 50_000.0} for m in months]
    rows += [{"rep_id": "HIRE", "month": m, "revenue": 60_000.0} for m in months[8:]]
    rows += [{"rep_id": "SLOW", "month": m, "revenue": v}
             for m, v in zip(months[8:], (10_000.0, 20_000.0, 30_000.0, 40_000.0), strict=True)]
    history = pd.DataFrame(rows)
    hired = pd.Series(pd.to_datetime(["2020-01-01", "2026-09-01", "2026-09-01"]),
                      index=pd.Index(["FLAT", "HIRE", "SLOW"], name="rep_id"))
    rate = run_rate(history, hired, 2027, ramp=(0.2, 0.4, 0.6, 0.8))
    as_sold = run_rate(history, hired, 2027, ramp=())  # the months as they are (annualised)
    assert rate["FLAT"] == pytest.approx(600_000) == as_sold["FLAT"]
    assert rate["HIRE"] == pytest.approx(as_sold["HIRE"])  # 60,000 a month, not 60,000 / 0.2
    # SLOW: 10k/0.2, 20k/0.4, 30k/0.6 = 50k each, capped at its best, 40k: 4 x 40k vs 100k sold
    assert rate["SLOW"] == pytest.approx(as_sold["SLOW"] * 160_000 / 100_000)
