"""Incentives: plan validation, payout mechanics, published worked examples, replay, simulation."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from helpers.data import DataError
from helpers.errors import SimulationError
from helpers.incentives import (
    PLANS_DIR,
    Plan,
    PlanError,
    default_levels,
    default_targets,
    load_inputs,
    load_plans,
    metrics,
    payout,
    payout_curve,
    replay,
    simulate,
    statement,
)
from helpers.schema import LEVELS

TI = {lv: {"target_incentive": 10_000} for lv in LEVELS}


def plan_of(*components, **kw) -> Plan:
    return Plan.from_dict({"name": "t", "levels": copy.deepcopy(TI),
                           "components": list(components), **kw})


def commission(tiers, **kw) -> dict:
    return {"name": "c", "type": "commission", "measure": "revenue", "tiers": tiers, **kw}


def bonus(measure="revenue", weight=1.0, **kw) -> dict:
    curve = kw.pop("curve", {"threshold": {"attainment": 0.8, "payout": 0.5},
                             "target": {"attainment": 1.0, "payout": 1.0},
                             "excellence": {"attainment": 1.2, "payout": 1.5},
                             "cap": {"attainment": 1.5, "payout": 2.0}})
    return {"name": f"b {measure}", "type": "bonus", "measure": measure, "weight": weight,
            "curve": curve, **kw}


def results(rows: list[dict], year: int = 2027) -> pd.DataFrame:
    """Rows with rep_id, month (1-12) and measures; level defaults to senior."""
    frame = pd.DataFrame(rows)
    frame["month"] = pd.to_datetime({"year": year, "month": frame["month"], "day": 1})
    frame["rep_id"] = frame.get("rep_id", "A")
    if "level" not in frame:
        frame["level"] = "senior"
    return frame


def transactions(amounts: list[float]) -> pd.DataFrame:
    return results([{"rep_id": f"T{i + 1}", "month": 1, "revenue": a}
                    for i, a in enumerate(amounts)])


def paid(table: pd.DataFrame, component: str | None = None) -> pd.Series:
    rows = table if component is None else table[table["component"] == component]
    return rows.groupby("rep_id")["amount"].sum()


# ------------------------------------------------------------- published worked examples


def test_oracle_flat_rate_not_split_per_transaction():
    """Oracle Incentive Compensation, "Options for Splitting Attainment Numbers Across Rate
    Tiers", Rate Not Split: tiers 0-10,000 1%, 10,000-50,000 2%, 50,000-100,000 3%,
    100,000+ 4%; a 5,000 transaction pays at 1% (50.00), 15,000 at 2% (300.00), 60,000 at
    3% (1,800.00): the whole transaction at the rate of the tier it reaches."""
    plan = plan_of(commission([{"from": 0, "to": 10_000, "rate": 0.01},
                               {"from": 10_000, "to": 50_000, "rate": 0.02},
                               {"from": 50_000, "to": 100_000, "rate": 0.03},
                               {"from": 100_000, "rate": 0.04}],
                              mode="retroactive", per="transaction"), true_up=False)
    out = paid(payout(plan, transactions([5_000, 15_000, 60_000])))
    assert out.to_dict() == {"T1": 50.00, "T2": 300.00, "T3": 1_800.00}


def test_oracle_equal_tier_values_go_to_the_higher_tier():
    """Oracle, "Equal Tier Values": with 0-25,000 1%, 25,000-50,000 2%, 50,000-75,000 3%,
    75,000-100,000 4%, a transaction of exactly 50,000 is paid at 3% = 1,500.00. That is our
    lower_inclusive boundary; upper_inclusive keeps it in the 2% tier (1,000.00)."""
    tiers = [{"from": 0, "to": 25_000, "rate": 0.01}, {"from": 25_000, "to": 50_000, "rate": 0.02},
             {"from": 50_000, "to": 75_000, "rate": 0.03},
             {"from": 75_000, "to": 100_000, "rate": 0.04}]
    lower = plan_of(commission(tiers, mode="retroactive", per="transaction"))
    upper = plan_of(commission(tiers, mode="retroactive", per="transaction",
                               boundary="upper_inclusive"))
    assert paid(payout(lower, transactions([50_000])))["T1"] == 1_500.00
    assert paid(payout(upper, transactions([50_000])))["T1"] == 1_000.00


def test_oracle_interpolated_amount_table():
    """Oracle, "Examples of Calculating Earnings Using Interpolated Rates": amount table
    0-1,000 pays 10, 1,000-3,000 pays 40, 3,000-8,000 pays 100, 8,000-20,000 pays 2,000;
    transactions processed individually: T1 200 -> (200/1000)*10 = 2; T2 300 -> 3;
    T3 1,500 -> 10 + (500/2000)*40 = 20; T4 1,200 -> 10 + (200/2000)*40 = 14."""
    plan = plan_of(commission([{"from": 0, "to": 1_000, "amount": 10},
                               {"from": 1_000, "to": 3_000, "amount": 40},
                               {"from": 3_000, "to": 8_000, "amount": 100},
                               {"from": 8_000, "to": 20_000, "amount": 2_000}],
                              mode="interpolated", per="transaction"))
    out = paid(payout(plan, transactions([200, 300, 1_500, 1_200])))
    assert out.to_dict() == {"T1": 2.00, "T2": 3.00, "T3": 20.00, "T4": 14.00}


def test_salesforce_spiff_marginal_blended_rate_on_accumulated_attainment():
    """Salesforce Spiff, "Use Marginal Payout Rule Functions" (mamount): tiers below 150,000
    at 4%, 150,000-250,000 at 6%, above 250,000 at 8%. A rep with 145,000 closed adds a
    20,000 deal: 5,000 at 4% + 15,000 at 6% = 1,100 (a blended 5.5%). Here: a monthly plan
    with year-to-date true-up, 145,000 in January (5,800.00) and 20,000 in February."""
    plan = plan_of(commission([{"from": 0, "to": 150_000, "rate": 0.04},
                               {"from": 150_000, "to": 250_000, "rate": 0.06},
                               {"from": 250_000, "rate": 0.08}]),
                   period="month", true_up=True)
    table = payout(plan, results([{"month": 1, "revenue": 145_000},
                                  {"month": 2, "revenue": 20_000}]))
    assert table.loc[table["period"] == 1, "amount"].item() == 5_800.00
    assert table.loc[table["period"] == 2, "amount"].item() == 1_100.00
    assert table["period"].max() == 2  # the data ends in February: no later month is paid
    assert table.attrs["through"] == pd.Timestamp("2027-02-01")


def test_a_year_the_data_stops_in_pays_no_period_after_it():
    """A quarterly bonus with year-to-date true-up on data to July: Q4 has no month, and
    paying it would pay the year to date again (the share of the year grows, the results do
    not). Q1-Q3 are paid as on the whole year's data; Q4 is not in the table."""
    plan = plan_of(bonus(), period="quarter", true_up=True)
    year = [{"month": m, "revenue": 12_000, "revenue_target": 10_000} for m in range(1, 13)]
    whole = payout(plan, results(year))
    to_july = payout(plan, results(year[:7]))
    assert sorted(to_july["period"].unique()) == [1, 2, 3]
    pd.testing.assert_frame_equal(to_july[to_july["period"] < 3],
                                  whole[whole["period"] < 3], check_like=True)
    assert to_july["amount"].sum() < whole["amount"].sum()
    assert to_july.attrs["through"] == pd.Timestamp("2027-07-01")


@pytest.mark.parametrize(("sales", "expected"), [(4_000, 400.00), (5_000, 500.00),
                                                 (6_000, 620.00)])
def test_two_tier_marginal_textbook(sales, expected):
    """Textbook two-tier marginal commission: 10% up to 5,000 and 12% above.
    6,000 -> 5,000*10% + 1,000*12% = 620; at the boundary 5,000 -> 500; 4,000 -> 400."""
    plan = plan_of(commission([{"from": 0, "to": 5_000, "rate": 0.10},
                               {"from": 5_000, "rate": 0.12}]), period="year")
    assert paid(payout(plan, results([{"month": 6, "revenue": sales}])))["A"] == expected


def test_three_tier_marginal_vs_retroactive():
    """5% on the first 10,000, 7% on the next 15,000, 10% above 25,000; on 30,000:
    marginal 10,000*5% + 15,000*7% + 5,000*10% = 2,050; retroactive 30,000*10% = 3,000."""
    tiers = [{"from": 0, "to": 10_000, "rate": 0.05}, {"from": 10_000, "to": 25_000, "rate": 0.07},
             {"from": 25_000, "rate": 0.10}]
    rows = results([{"month": 3, "revenue": 30_000}])
    table = payout(plan_of(commission(tiers), period="year"), rows)
    assert paid(table)["A"] == 2_050.00
    assert table["reason"].item() == "tier 3 (accelerator, 10.00% marginal) on revenue"
    retro = plan_of(commission(tiers, mode="retroactive"), period="year")
    assert paid(payout(retro, rows))["A"] == 3_000.00


# ------------------------------------------------------------------------ mechanics


def test_bonus_curve_points_linear_and_step():
    rows = results([{"rep_id": f"R{a}", "month": 1, "revenue": a * 10,
                     "revenue_target": 1000} for a in (79, 80, 90, 100, 110, 150, 200)])
    linear = paid(payout(plan_of(bonus(), period="year"), rows))
    # TI 10,000: 0 below 80%, 0.5 at 80%, 0.75 at 90%, 1.0 at target, 1.25 at 110%, 2.0 cap
    assert linear.to_dict() == {"R79": 0, "R80": 5_000, "R90": 7_500, "R100": 10_000,
                                "R110": 12_500, "R150": 20_000, "R200": 20_000}
    step = bonus()
    step["curve"]["shape"] = "step"
    stepped = paid(payout(plan_of(step, period="year"), rows))
    assert stepped.to_dict() == {"R79": 0, "R80": 5_000, "R90": 5_000, "R100": 10_000,
                                 "R110": 10_000, "R150": 20_000, "R200": 20_000}


def quarters(values: list[float]) -> pd.DataFrame:
    return results([{"month": 3 * q + 1, "revenue": v, "revenue_target": 100}
                    for q, v in enumerate(values)])


def test_ytd_true_up_catches_up_and_never_claws_back():
    linear = {"threshold": {"attainment": 0.0, "payout": 0.0},
              "target": {"attainment": 1.0, "payout": 1.0},
              "cap": {"attainment": 2.0, "payout": 2.0}}
    plan = plan_of(bonus(curve=linear), period="quarter")
    # an empty Q1 and a 300% Q2: year to date 0%, 150%, 133%, 125% of 10,000 x 1/4, 2/4, ...
    assert payout(plan, quarters([0, 300, 100, 100]))["amount"].tolist() == [
        0, 7_500, 2_500, 2_500]
    # quarter by quarter, Q2's 300% is capped at 200% and the empty Q1 stays lost
    assert payout(plan.replace(true_up=False), quarters([0, 300, 100, 100]))[
        "amount"].tolist() == [0, 5_000, 2_500, 2_500]
    # a Q4 collapse drops year-to-date attainment below threshold: no clawback
    assert payout(plan_of(bonus(), period="quarter"), quarters([100, 100, 100, 0]))[
        "amount"].tolist() == [2_500, 2_500, 2_500, 0]


def test_gate_cap_and_modifier_with_reasons():
    comp = commission([{"from": 0, "rate": 0.10}], cap_payout=12_500,
                      gates=[{"measure": "csat", "min": 75}],
                      modifier={"measure": "new_customers", "bands": [
                          {"from": 0, "multiplier": 0.5}, {"from": 5, "multiplier": 1.0},
                          {"from": 10, "multiplier": 1.2}]})
    plan = plan_of(comp, period="quarter", true_up=False)
    rows = results([{"month": m, "revenue": rev, "csat": cs, "new_customers": nc}
                    for m, rev, cs, nc in [(1, 50_000, 80, 6), (4, 50_000, 70, 6),
                                           (7, 50_000, 90, 12), (10, 50_000, 90, 2)]])
    table = payout(plan, rows)
    # Q1 5,000; Q2 gate fails; Q3 5,000 x 1.2; Q4 5,000 x 0.5 = 2,500 but the cap leaves 1,500
    assert table["amount"].tolist() == [5_000, 0, 6_000, 1_500]
    reasons = table["reason"].tolist()
    assert "cap hit" not in reasons[0] and "gate failed" not in reasons[0]
    assert "gate failed (needs csat >= 75)" in reasons[1]
    assert "× 1.2 new_customers modifier" in reasons[2]
    assert "× 0.5 new_customers modifier" in reasons[3]
    assert "cap hit (12,500 a year)" in reasons[3]


def test_attainment_tiers_scale_with_each_reps_target():
    comp = commission([{"from": 0, "to": 1.0, "rate": 0.02}, {"from": 1.0, "rate": 0.05}],
                      basis="attainment")
    plan = plan_of(comp, period="year")
    rows = results([{"rep_id": "small", "month": 1, "revenue": 150, "revenue_target": 100},
                    {"rep_id": "big", "month": 1, "revenue": 1_500, "revenue_target": 1_000}])
    out = paid(payout(plan, rows))
    assert out["small"] == pytest.approx(100 * 0.02 + 50 * 0.05)
    assert out["big"] == pytest.approx(10 * out["small"])


def test_cap_on_attainment_limits_credit():
    plan = plan_of(bonus(cap_attainment=1.1), period="year")
    rows = results([{"month": 1, "revenue": 1_400, "revenue_target": 1_000}])
    table = payout(plan, rows)
    assert table["amount"].item() == 12_500  # credited at 110%, not 140%
    assert "attainment capped at 110%" in table["reason"].item()


@pytest.mark.parametrize(("recoverable", "draw", "owed"), [
    (True, [5_000, 5_000, -10_000, 0], [5_000, 10_000, 0, 0]),
    (False, [5_000, 5_000, 0, 0], [0, 0, 0, 0])])
def test_draws_recoverable_and_guaranteed(recoverable, draw, owed):
    plan = plan_of(commission([{"from": 0, "rate": 0.10}]), period="quarter", true_up=False,
                   draw={"amount": 5_000, "recoverable": recoverable, "periods": [1, 2]})
    rows = results([{"month": m, "revenue": r} for m, r in [(1, 0), (4, 0), (7, 120_000),
                                                          (10, 0)]])
    table = payout(plan, rows)
    got = table[table["component"] == "draw"]
    assert got["amount"].tolist() == draw
    text = got["reason"].tolist()
    assert [int(t.split("owed back ")[1].replace(",", "")) if "owed back" in t else 0
            for t in text] == owed
    assert got["draw_owed"].tolist() == owed  # the same number, as a column
    assert table.loc[table["component"] != "draw", "draw_owed"].isna().all()
    assert table.groupby("period")["amount"].sum().tolist() == (
        [5_000, 5_000, 2_000, 0] if recoverable else [5_000, 5_000, 12_000, 0])


def test_statement_says_the_draw_owed_at_year_end_from_the_column():
    """A draw repaid by Q3 is not owed at year end (though Q2's reason said 'owed back');
    one never earned back is, at its year-end balance."""
    plan = plan_of(commission([{"from": 0, "rate": 0.10}]), period="quarter", true_up=False,
                   draw={"amount": 5_000, "recoverable": True, "periods": [1, 2]})
    repaid = payout(plan, results([{"month": m, "revenue": r} for m, r in
                                   [(1, 0), (4, 0), (7, 120_000), (10, 0)]]))
    assert "still owed" not in statement(plan, "A", repaid)
    unpaid = payout(plan, results([{"month": m, "revenue": r} for m, r in
                                   [(1, 0), (4, 0), (7, 30_000), (10, 0)]]))
    assert unpaid.loc[unpaid["component"] == "draw", "draw_owed"].tolist() == [
        5_000, 10_000, 7_000, 7_000]
    assert "Draw still owed back at year end: 7,000." in statement(plan, "A", unpaid)


def test_spif_contest_team_and_levels():
    comps = [bonus(weight=0.5), bonus(weight=0.5, team=True) | {"name": "team"},
             {"name": "spif", "type": "spif", "measure": "new_customers", "per_unit": 100,
              "periods": [1]},
             {"name": "club", "type": "contest", "measure": "revenue", "prizes": [1_000, 500],
              "honours": ["Club"], "levels": ["senior", "principal", "top"]}]
    plan = plan_of(*comps, period="quarter")
    rows = []
    for rep, team, level, rev in [("A", "x", "senior", 120), ("B", "x", "senior", 80),
                                  ("C", "y", "junior", 200), ("D", "y", "senior", 100)]:
        rows += [{"rep_id": rep, "team": team, "level": level, "month": m, "revenue": rev,
                  "revenue_target": 100, "new_customers": 2} for m in (1, 4, 7, 10)]
    table = payout(plan, results(rows))
    by = table.pivot_table(index="rep_id", columns="component", values="amount", aggfunc="sum")
    assert by["spif"].tolist() == [200, 200, 200, 200]  # 2 new customers x 100, Q1 only
    # team x: (120+80)/200 = 100% -> 5,000 each; team y: 300/200 = 150% -> 10,000 each
    assert by["team"].tolist() == [5_000, 5_000, 10_000, 10_000]
    # C (junior) is not eligible: A wins (120%), D second (100%)
    assert by["club"].to_dict() == {"A": 1_000, "B": 0, "C": 0, "D": 500}
    reason = table.loc[(table["rep_id"] == "A") & (table["component"] == "club"), "reason"]
    assert reason.iloc[-1] == "rank 1: prize 1,000; honours: Club"


def test_weights_by_level_and_pay_mix():
    plan = Plan.from_dict({
        "name": "mix", "period": "year",
        "levels": {lv: {"base_salary": 60_000, "pay_mix": "75/25"} for lv in LEVELS},
        "components": [bonus(weight={lv: 0.8 if lv == "top" else 0.5 for lv in LEVELS}),
                       bonus("new_customers",
                             weight={lv: 0.2 if lv == "top" else 0.5 for lv in LEVELS})]})
    assert plan.levels["top"].target_incentive == 20_000
    assert plan.levels["top"].pay_mix == "75/25"
    curve = payout_curve(plan, "top", {"revenue": 1e6, "new_customers": 20},
                         np.array([1.0]))
    assert curve["b revenue"].item() == 16_000 and curve["b new_customers"].item() == 4_000


# ------------------------------------------------------------------------ validation


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["components"][0]["tiers"].__setitem__(1, {"from": 50_000, "rate": 0.05}),
     "components[0].tiers[1].from: overlaps tiers[0] (which runs to 100000)"),
    (lambda d: d["components"][0]["tiers"][2].__setitem__("rate", -0.01),
     "components[0].tiers[2].rate: must be >= 0, got -0.01"),
    (lambda d: d["components"][1].__setitem__("measure", "revnue"),
     "components[1].measure: unknown measure 'revnue'"),
    (lambda d: d["components"][1].__setitem__("weight", 0.9),
     "weights for level 'junior' sum to 0.9"),
    (lambda d: d["components"][0]["tiers"][0].__setitem__("rat", 0.1),
     "components[0].tiers[0].rat: unknown key"),
    (lambda d: d["components"][0]["tiers"][1].__setitem__("from", 120_000),
     "components[0].tiers[1].from: leaves a gap after tiers[0]"),
    (lambda d: d["components"][1]["curve"]["target"].__setitem__("attainment", 0.7),
     "components[1].curve.target.attainment: must be above threshold's (0.8)"),
    (lambda d: d["levels"].pop("top"), "levels.top: is required"),
    (lambda d: d["components"][0].__setitem__("gates", [{"measure": "csat"}]),
     "components[0].gates[0].min: is required"),
    (lambda d: d.__setitem__("period", "week"), "period: must be one of month, quarter, year"),
    (lambda d: d["components"][1].update(measure="csat", team=True),
     "components[1].team: team results add up reps' csat"),
    (lambda d: d["levels"].__setitem__("junior", {"base_salary": 5e4, "pay_mix": "seventy"}),
     "levels.junior.pay_mix: must read like '70/30'"),
])
def test_bad_plans_name_the_key(change, message):
    d = {"name": "bad", "levels": copy.deepcopy(TI), "components": [
        commission([{"from": 0, "to": 100_000, "rate": 0.02},
                    {"from": 100_000, "to": 200_000, "rate": 0.04},
                    {"from": 200_000, "rate": 0.06}]), bonus("new_customers")]}
    Plan.from_dict(copy.deepcopy(d))  # the unbroken plan is fine
    change(d)
    with pytest.raises(PlanError) as err:
        Plan.from_dict(d)
    assert message in str(err.value)


def test_bad_yaml_file_names_the_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nlevels: [1, 2]\ncomponents: []\n")
    with pytest.raises(PlanError, match=r"x\.yaml: levels: must be a mapping"):
        Plan.from_yaml(path)


def test_sample_plans_load_and_round_trip(tmp_path):
    plans = load_plans(PLANS_DIR)
    assert len(plans) >= 3
    kinds = {c.type for p in plans.values() for c in p.components}
    assert kinds == {"commission", "bonus", "spif", "contest"}
    for plan in plans.values():
        path = tmp_path / "p.yaml"
        plan.to_yaml(path)
        assert Plan.from_yaml(path) == plan


def test_results_missing_columns_are_named():
    from helpers.data import DataError
    with pytest.raises(DataError, match="missing column.*revenue_target"):
        payout(plan_of(bonus()), results([{"month": 1, "revenue": 5}]))


# --------------------------------------------------------------- replay and curves


@pytest.fixture(scope="module")
def plans():
    return load_plans(PLANS_DIR)


def test_replay_on_last_year(sample, plans):
    for plan in plans.values():
        table = replay(plan, sample)
        full = sample.history[sample.history["month"].dt.year == sample.last_year]
        n_full = (full.groupby("rep_id").size() == 12).sum()
        assert table["rep_id"].nunique() == n_full
        assert len(table) == n_full * plan.n_periods * (len(plan.components) + bool(plan.draw))
        assert (table.loc[table["type"] != "draw", "amount"] >= 0).all()
        assert table["reason"].notna().all()
    current = replay(plans["Current plan"], sample)
    rev = current[current["component"] == "revenue bonus"]
    # paid through the year >= the curve at Q4's year-to-date attainment (the true-up pays
    # what the year earned; more only if an earlier quarter paid more and was not clawed back)
    q4 = rev[rev["period"] == 4].set_index("rep_id")
    ti = q4["level"].map(lambda lv: plans["Current plan"].target_incentive(lv) * 0.8)
    curve = np.interp(q4["attainment"], [0.8, 1.0, 1.2, 1.5], [0.5, 1.0, 1.5, 2.0])
    expected = np.where(q4["attainment"] >= 0.8, curve, 0) * ti
    total = rev.groupby("rep_id")["amount"].sum()
    assert (total >= expected - 0.02).all()


def test_payout_curve_is_monotone_and_statement_adds_up(sample, plans):
    targets = {"revenue": 1_000_000, "new_customers": 20, "csat": 78, "deals_won": 50}
    for plan in plans.values():
        for level in LEVELS:
            curve = payout_curve(plan, level, targets)
            assert (np.diff(curve["total"]) >= -1e-9).all(), (plan.name, level)
    current = payout_curve(plans["Current plan"], "senior", targets, np.array([1.0]))
    assert current["total"].item() == pytest.approx(34_000)
    assert payout_curve(plans["Current plan"], "senior")["total"].iloc[100] == 34_000
    with pytest.raises(PlanError, match="needs an annual target for 'revenue'"):
        payout_curve(plans["Tiered commission"], "senior")
    table = replay(plans["Level bonus + contest"], sample)
    rep = table["rep_id"].iloc[0]
    text = statement(plans["Level bonus + contest"], rep, table)
    assert f"statement for {rep}" in text
    total = table.loc[table["rep_id"] == rep, "amount"].sum()
    assert f"**total {total:,.2f}**" in text


def test_default_targets_rule(sample):
    targets = default_targets(sample, measures=["revenue", "csat"])
    year = sample.last_year
    h = sample.history[sample.history["month"].dt.year == year]
    full = h.groupby("rep_id").size()
    rep = next(r for r in full.index[full == 12] if r in set(targets["rep_id"]))
    got = targets[(targets["rep_id"] == rep)].groupby("measure")["target"]
    assert got.sum()["revenue"] == pytest.approx(h.loc[h["rep_id"] == rep, "revenue"].sum()
                                                 * 1.06, rel=1e-6)
    assert got.mean()["csat"] == pytest.approx(h.loc[h["rep_id"] == rep, "csat"].mean(),
                                               abs=0.01)
    assert set(targets["month"].dt.year) == {sample.plan_year}


def test_load_inputs_prefers_upstream_files(sample, tmp_path):
    targets, levels, note = load_inputs(sample, folder=tmp_path, measures=["revenue"])
    assert "default targets" in note and "roster" in note
    theirs = targets.assign(target=targets["target"] * 2)
    theirs.to_csv(tmp_path / f"targets_{sample.plan_year}.csv", index=False)
    pd.DataFrame({"rep_id": levels.index, "level": "top"}).to_csv(
        tmp_path / f"levels_{sample.plan_year}.csv", index=False)
    again, lv, note = load_inputs(sample, folder=tmp_path, measures=["revenue", "csat"])
    assert "targets_" in note and "levels_" in note
    rev = again[again["measure"] == "revenue"]["target"].sum()
    assert rev == pytest.approx(2 * targets["target"].sum())
    assert set(again["measure"]) == {"revenue", "csat"}  # csat filled from the defaults
    assert set(lv) == {"top"}


# ------------------------------------------------------------------------ simulation


def test_simulation_is_deterministic_and_chunk_independent(sample, plans):
    chosen = [plans["Current plan"], plans["Tiered commission"]]
    a = simulate(chosen, sample, n=600, seed=3, chunk=256)
    b = simulate(chosen, sample, n=600, seed=3, chunk=1024, workers=1)
    c = simulate(chosen, sample, n=600, seed=4, chunk=256)
    d = simulate(chosen, sample, n=600, seed=3, chunk=1)  # one block at a time
    for name in a.stats:
        np.testing.assert_allclose(a.stats[name]["cost"], b.stats[name]["cost"], rtol=1e-6)
        np.testing.assert_allclose(a.stats[name]["cost"], d.stats[name]["cost"], rtol=1e-6)
    assert not np.allclose(a.stats["Current plan"]["cost"], c.stats["Current plan"]["cost"])
    assert len(a.stats["Current plan"]["cost"]) == 600


def test_every_thread_gets_chunks_and_memory_follows_the_chunk_not_n(sample, plans,
                                                                    monkeypatch):
    """Default chunks: at least two per thread (so small rep counts use every core); under a
    tiny cell budget a chunk is one block, and the peak stays put however many scenarios."""
    import sys
    import tracemalloc

    module = sys.modules["helpers.incentives.simulation"]
    plan = plans["Current plan"]
    seen: list[int] = []
    simulate(plan, sample, n=600, workers=3, progress=seen.append)
    assert len(seen) >= 6 and seen[-1] == 600

    monkeypatch.setattr(module, "CHUNK_CELLS", 1)
    seen.clear()
    simulate(plan, sample, n=100, progress=seen.append)
    assert len(seen) == -(-100 // module.BLOCK)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            simulate(plan, sample, n=n)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few, many = peak(64), peak(4096)
    assert many < few + 600 * 4096  # + the per-scenario results (~400 bytes each)


def test_reps_without_a_level_are_priced_at_the_entry_level_and_named(sample, plans):
    """New and planned hires have targets but no graded level: they must still be paid
    (at the plan's entry level, or the one the analyst sets) and be named, never dropped."""
    plan = plans["Current plan"]
    targets = default_targets(sample, sample.plan_year)
    graded = default_levels(sample).drop(index=["R001", "R002"])
    planned = targets[targets["rep_id"] == "R003"].assign(rep_id="TBH001")
    targets = pd.concat([targets, planned], ignore_index=True)
    sim = simulate(plan, sample, targets, n=64, levels=graded)
    assert set(sim.reps["rep_id"]) == set(targets["rep_id"])
    assert sorted(sim.assumed_levels) == ["R001", "R002", "TBH001"]
    assert (sim.reps.set_index("rep_id").loc[["R001", "R002", "TBH001"], "level"]
            == "junior").all()
    fewer = simulate(plan, sample, targets[targets["rep_id"].isin(graded.index)], n=64,
                     levels=graded)
    assert sim.stats[plan.name]["cost"].mean() > fewer.stats[plan.name]["cost"].mean()
    senior = simulate(plan, sample, targets, n=64, levels=graded, default_level="senior")
    assert (senior.reps.set_index("rep_id").loc["TBH001", "level"]) == "senior"
    _, _, source = load_inputs(sample, sample.plan_year, None)
    assert "every rep on the plan has a level" in source
    with pytest.raises(DataError, match="level"):
        simulate(plan, sample, targets, n=16, levels=graded, default_level="boss")


def test_same_draws_for_every_plan(sample, plans):
    twin = plans["Current plan"].replace(name="twin")
    sim = simulate([plans["Current plan"], twin], sample, n=300, seed=1)
    np.testing.assert_array_equal(sim.stats["Current plan"]["cost"], sim.stats["twin"]["cost"])


def test_scenarios_move_cost_and_metrics_are_sane(sample, plans):
    plan = plans["Current plan"]
    costs = {s: simulate(plan, sample, n=400, scenario=s).stats[plan.name]["cost"].mean()
             for s in ("downturn", "plan", "-10%", "upturn")}
    assert costs["downturn"] < costs["-10%"] < costs["plan"] < costs["upturn"]
    with pytest.raises(SimulationError, match="scenario"):
        simulate(plan, sample, n=10, scenario="boom")
    m = metrics(simulate(list(plans.values()), sample, n=500))
    assert list(m.index) == list(plans)
    assert (m["p50_cost"] <= m["p90_cost"]).all() and (m["p90_cost"] <= m["p99_cost"]).all()
    assert (m["share_at_threshold"] >= m["share_at_target"]).all()
    assert (m["share_at_target"] >= m["share_at_excellence"]).all()
    assert m["gini"].between(0, 1).all() and m["spearman_pay_perf"].between(0, 1).all()
    assert m["variable_cost_of_sales"].between(0.005, 0.10).all()  # a fraction: 0.5% to 10%
    assert (m["total_cost_of_sales"] > m["variable_cost_of_sales"]).all()  # with base
    # the current plan at 100%: 1pp more attainment pays 2.5% of the revenue weight's TI
    senior = payout_curve(plans["Current plan"], "senior", None, np.array([1.0, 1.01]))
    assert senior["total"].diff().iloc[1] == pytest.approx(34_000 * (0.8 * 2.5 + 0.2 * 5/3)
                                                           / 100, rel=1e-6)


def test_without_noise_every_rep_hits_target_and_cost_is_the_target_incentive(
        sample, plans, monkeypatch):
    """No growth, market, own variation or noise, and targets equal to each rep's run-rate
    results: everyone attains 100%, so the current plan costs exactly the sum of its reps'
    target incentives, in every scenario; a component whose measure has a zero target (a
    hire with no new customer yet) has no attainment and pays nothing."""
    import sys

    from helpers.targets import Outlook, baseline_results

    module = sys.modules["helpers.incentives.simulation"]
    fitted = module.fit_market(sample, 4)
    still = module.MarketModel(
        {m: Outlook(m, 0.0, 0.0, np.zeros(0), 0.0) for m in fitted.outlooks},
        dict.fromkeys(fitted.sigma_noise, 0.0), 4)
    monkeypatch.setattr(module, "fit_market", lambda ds, periods: still)
    plan = plans["Current plan"]
    targets = default_targets(sample)
    reps = pd.DataFrame({"rep_id": targets["rep_id"].unique()})
    for m in fitted.outlooks:  # a twelfth of the year's run-rate results each month
        year = baseline_results(sample, reps, sample.plan_year, measure=m)
        rows = targets["measure"] == m
        targets.loc[rows, "target"] = targets.loc[rows, "rep_id"].map(year / 12).to_numpy()
    sim = simulate(plan, sample, targets, n=300)
    annual = targets.groupby(["rep_id", "measure"])["target"].sum().unstack()
    level = sim.reps.set_index("rep_id")["level"]
    expected = sum(plan.target_incentive(level[rep]) * c.weight[level[rep]]
                   for rep in level.index for c in plan.components
                   if annual.loc[rep, c.measure] > 0)
    np.testing.assert_allclose(sim.stats[plan.name]["cost"], expected, rtol=1e-5)
    np.testing.assert_allclose(sim.stats[plan.name]["shares"][:, 1], 1.0)


def test_harder_targets_lower_the_share_at_target_and_the_pay(sample, plans):
    """Results do not follow the targets (issue 13): 30% higher targets, same draws, fewer
    reps at target and less pay — the quota is the plan's main lever."""
    targets = default_targets(sample)
    harder = targets.assign(target=targets["target"].where(targets["measure"] != "revenue",
                                                           targets["target"] * 1.3))
    base = metrics(simulate(plans, sample, targets, n=512, seed=4))
    hard = metrics(simulate(plans, sample, harder, n=512, seed=4))
    assert (hard["share_at_target"] < base["share_at_target"] - 0.2).all()
    assert (hard["expected_cost"] < base["expected_cost"]).all()


def test_notebooks_01_and_03_report_the_same_share_at_target(sample, plans):
    """The same targets and seed give the same share at target in the targets' expected
    attainment and in the Monte Carlo (one model, the same keyed draws); another seed lands
    within the stated Monte Carlo error."""
    from helpers.targets import expected_attainment, plan_targets

    plan = plan_targets(sample, growth=0.05, over_assign=0.05, planned_hires=2)
    annual = plan.targets[plan.targets["measure"] == "revenue"]
    for seed in (1, 2):
        ea = expected_attainment(annual, sample.history, n=1000, seed=seed)
        sim = simulate(plans["Current plan"], sample, plan.monthly, n=1000, seed=seed)
        share = metrics(sim)["share_at_target"].item()
        assert share == pytest.approx(ea["expected_share"].iloc[0], abs=0.002)
    other = simulate(plans["Current plan"], sample, plan.monthly, n=1000, seed=9)
    assert metrics(other)["share_at_target"].item() == pytest.approx(
        ea["expected_share"].iloc[0], abs=2 * ea.attrs["error"])


@pytest.mark.parametrize("r", [5, 250_001])  # a full sort, and the partition of big runs
def test_a_contest_tie_follows_the_keyed_order_not_the_row(r):
    """Equal scores (counts tie often): the prize goes by the inputs' keyed order, so
    shuffling the reps gives the same rep the same prize."""
    from helpers.incentives.engine import Inputs, run

    plan = plan_of({"name": "club", "type": "contest", "measure": "new_customers",
                    "basis": "value", "prizes": [300, 200]})
    count = np.zeros((1, 4, r))
    count[..., :3] = 7.0  # three reps tie for two prizes
    order = np.random.default_rng(1).permutation(r).astype(np.uint64)
    prizes = []
    for perm in (np.arange(r), np.random.default_rng(2).permutation(r)):
        out = run(plan, Inputs({"new_customers": count[..., perm]},
                               {"new_customers": np.ones((1, 1, r))},
                               np.zeros(r, dtype=int), order=order[perm]))
        paid = np.empty_like(out.paid["club"][-1])
        paid[:, perm] = out.paid["club"][-1]
        prizes.append(paid)
    np.testing.assert_array_equal(prizes[0], prizes[1])
    winners = np.argsort(order[:3], kind="stable")[:2]
    assert (prizes[0][:, winners] == [300, 200]).all()


def test_large_contest_ranks_like_a_full_sort():
    """Big simulations pick winners by partition; the prizes must match a stable full sort."""
    from helpers.incentives.engine import Inputs, run

    rng = np.random.default_rng(7)
    s, r = 1_000, 1_100  # s * r above the partition threshold
    revenue = rng.lognormal(12, 0.4, (4, s, r))
    plan = plan_of({"name": "club", "type": "contest", "measure": "revenue", "basis": "value",
                    "prizes": [300, 200, 100]})
    out = run(plan, Inputs({"revenue": revenue}, {"revenue": np.ones((4, 1, r))},
                           np.zeros(r, dtype=int)))
    prize = out.paid["club"][-1]
    order = np.argsort(-revenue.sum(axis=0), axis=1, kind="stable")[:, :3]
    expected = np.zeros((s, r))
    np.put_along_axis(expected, order, np.array([[300, 200, 100]]), axis=1)
    np.testing.assert_array_equal(prize, expected)
    assert (out.paid["club"][:-1] == 0).all()


def test_per_transaction_commission_in_simulation_pays_average_deals(sample):
    """Months hold several deals: paid as `deals` equal deals of the average size, so a deal
    tier above every average deal pays nothing, one below every deal pays on everything."""
    low = plan_of(commission([{"from": 0, "rate": 0.01}, {"from": 1, "rate": 0.05}],
                             mode="retroactive", per="transaction"))
    high = plan_of(commission([{"from": 0, "rate": 0.0}, {"from": 1e9, "rate": 0.05}],
                              mode="retroactive", per="transaction"), name="high")
    sim = simulate([low, high], sample, n=256)
    np.testing.assert_allclose(sim.stats["t"]["cost"], 0.05 * sim.stats["t"]["revenue"],
                               rtol=1e-4)
    assert (sim.stats["high"]["cost"] == 0).all()


def test_editor_helper_and_summaries(sample, plans):
    from helpers.incentives import describe_plans, edit_plan, rep_summary, replay_summary

    plan = plans["Tiered commission"]
    edited = edit_plan(plan, "revenue commission", tiers=[{"from": 0, "rate": 0.05}],
                       ti_scale=1.1, name="flat 5%")
    assert edited.components[0].tiers[0].rate == 0.05 and len(edited.components[0].tiers) == 1
    assert edited.target_incentive("senior") == pytest.approx(1.1 * plan.target_incentive(
        "senior"))
    with pytest.raises(PlanError, match=r"components\[0\]\.tiers\[0\]\.rate: must be >= 0"):
        edit_plan(plan, "revenue commission", tiers=[{"from": 0, "rate": -1}])
    rows = describe_plans(plans)
    assert set(rows["plan"]) == set(plans) and rows["how"].str.len().gt(0).all()
    replays = {name: replay(p, sample) for name, p in plans.items()}
    table = replay_summary(replays, sample)
    for name, t in replays.items():
        assert table.loc[name, "total_paid"] == pytest.approx(t["amount"].sum())
    sim = simulate(plans, sample, n=256)
    summary = rep_summary(sim, replays, 2027)
    assert len(summary) == len(sim.reps) * len(plans)
    mean_pay = summary.groupby("plan")["expected_pay"].sum()
    for name in plans:
        assert mean_pay[name] == pytest.approx(sim.stats[name]["cost"].mean(), rel=1e-6)


def test_cost_of_sales_is_a_fraction_in_every_table(sample, plans):
    """One convention: shares are fractions (0.0303), shown as percentages; no `_pct` column
    holds a fraction, nothing holds a percentage number."""
    from helpers.incentives import replay_summary, scenario_costs

    sim = simulate(plans, sample, n=256)
    m = metrics(sim)
    for name in plans:
        st = sim.stats[name]
        assert m.loc[name, "variable_cost_of_sales"] == pytest.approx(
            st["cost"].mean() / st["revenue"].mean())
        base = sum(plans[name].levels[lv].base_salary for lv in sim.reps["level"])
        assert m.loc[name, "base_salaries"] == pytest.approx(base)
        assert m.loc[name, "total_cost_of_sales"] == pytest.approx(
            (st["cost"].mean() + base) / st["revenue"].mean())
    replays = {name: replay(p, sample) for name, p in plans.items()}
    table = replay_summary(replays, sample, plans=plans)
    last = sample.history[sample.history["month"].dt.year == sample.last_year]
    for name, t in replays.items():
        sold = last.loc[last["rep_id"].isin(t["rep_id"]), "revenue"].sum()
        assert table.loc[name, "variable_cost_of_sales"] == pytest.approx(
            t["amount"].sum() / sold)
        base = sum(plans[name].levels[lv].base_salary
                   for lv in t.drop_duplicates("rep_id")["level"])
        assert table.loc[name, "total_cost_of_sales"] == pytest.approx(
            (t["amount"].sum() + base) / sold)
    costs = scenario_costs(plans, sample, n=256, scenarios=["plan"])
    for col in ("variable_cost_of_sales", "total_cost_of_sales"):
        assert costs.loc["plan", col].to_numpy() == pytest.approx(m[col].to_numpy())
    for frame in (m, table, costs):
        assert not [c for c in frame.columns if "pct" in c], list(frame.columns)


def test_replay_summary_without_revenue_has_no_cost_of_sales(sample):
    """No revenue: cost of sales is unknown (NaN), never a reassuring 0%."""
    from helpers.incentives import replay_summary

    paid = pd.DataFrame({"rep_id": ["X1"], "level": ["junior"], "type": ["bonus"],
                         "amount": [100.0]})
    table = replay_summary({"p": paid}, sample)
    assert table.loc["p", "total_paid"] == 100.0
    assert np.isnan(table.loc["p", "variable_cost_of_sales"])
    assert np.isnan(table.loc["p", "total_cost_of_sales"])


def test_metric_bars_show_cost_of_sales_as_a_percentage(sample, plans):
    import matplotlib.pyplot as plt

    from helpers.plots.incentives import metric_bars

    m = metrics(simulate(plans, sample, n=256))
    fig = metric_bars(m, ["expected_cost", "variable_cost_of_sales", "total_cost_of_sales"])
    money, share, total = fig.axes
    fig.canvas.draw()
    assert all(t.get_text().endswith("M") for t in money.get_yticklabels())
    assert all(t.get_text().endswith("%") for t in share.get_yticklabels())
    assert all(t.get_text().endswith("%") for t in total.get_yticklabels())
    plt.close(fig)


def test_panels_build_and_show_plan_errors(sample, plans):
    """The editor rebuilds the plan on every edit and names the bad key; the simulation panel
    runs the Monte Carlo on the chosen plans."""
    from helpers.incentives import level_targets, load_inputs
    from helpers.ui.incentives import PlanEditor, SimulationPanel, StatementViewer

    targets, levels, _ = load_inputs(sample)
    editor = PlanEditor(plans, level_targets(targets, levels))
    editor.choice.value = "Tiered commission"
    assert editor.plan is not None and editor.plan.name == "Tiered commission"
    editor.fields[1][1].value = -0.1
    assert editor.plan is None and "components[0].tiers[1].rate: must be >= 0" in editor.error
    assert "must be &gt;= 0" in editor.status.value  # the error line shows it escaped
    editor.fields[1][1].value = 0.05
    assert editor.plan.components[0].tiers[1].rate == 0.05
    panel = SimulationPanel(plans, sample, targets, levels)
    panel.choice.value = ("Current plan",)
    panel.n.value = 256
    panel.redraw()
    assert list(panel.sim.plans) == ["Current plan"] and panel.progress.value == 256
    viewer = StatementViewer(plans, {"Current plan": replay(plans["Current plan"], sample)})
    assert viewer.rep.value in viewer.rep.options


@pytest.mark.parametrize("target", [1_042_756.0, 123_456.78, 0.3, 7.0, 33_333.33])
def test_exactly_at_threshold_counts_despite_rounding(plans, target):
    """80% of a target, computed as (0.8 x target / 4 per quarter, summed) / target, can land
    a hair under 0.8 in floating point; the threshold still counts as reached."""
    curve = payout_curve(plans["Current plan"], "senior",
                         {"revenue": target, "new_customers": target}, np.array([0.8]))
    assert curve["revenue bonus"].item() == pytest.approx(0.5 * 0.8 * 34_000)


def test_market_model_without_quota_and_by_period(sample):
    """Results are modelled with or without a quota column; seasonality is not a shock; the
    noise of a longer period is smaller than a month's (results add up over months)."""
    from helpers import from_frames
    from helpers.incentives import fit_market

    bare = from_frames(sample.roster, sample.history.drop(columns="quota"), sample.reviews)
    for ds in (sample, bare):
        monthly, quarterly, yearly = (fit_market(ds, p) for p in (12, 4, 1))
        assert monthly.sigma_noise["revenue"] > quarterly.sigma_noise["revenue"] > (
            yearly.sigma_noise["revenue"])
        revenue = quarterly.outlooks["revenue"]
        assert 0 < revenue.market_sd < 0.15  # the sample's seasons swing far more
        assert revenue.own.size > 0 and not quarterly.assumed  # results need no quota


# ------------------------------------------------ real data shapes (issue 11): say, don't crash


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    """Load the sample changed by `shapes` (tests/shapes.py), once per combination."""
    import sys
    from pathlib import Path

    from helpers import load

    sys.path.insert(0, str(Path(__file__).parent))
    import shapes

    cache = {}

    def make(*names: str):
        if names not in cache:
            folder = tmp_path_factory.mktemp("_".join(names))
            cache[names] = load(shapes.make(folder, *names))
        return cache[names]

    return make


def test_one_year_of_history_replays_against_level_peers_and_says_so(shaped, plans):
    """No year before the only year: last year's targets cannot come from the year before,
    so the replay runs against the level's median (without quota) and the note says so."""
    from helpers.incentives import replay_note

    ds = shaped("one_year", "no_quota")
    for plan in plans.values():
        table = replay(plan, ds)
        assert table["rep_id"].nunique() == 106 and table["amount"].sum() > 0
    note = replay_note(ds, ["revenue", "new_customers"])
    assert "no history before 2026" in note and "No quota in the history" in note
    assert "median of the rep's level" in note
    targets = default_targets(ds, 2026, measures=["revenue"])
    annual = targets.groupby("rep_id")["target"].sum()
    level = default_levels(ds).reindex(annual.index)
    assert (annual.groupby(level.to_numpy()).nunique() == 1).all()  # one target per level


def test_partial_year_before_plan_uses_the_last_12_months(shaped):
    """History ending in July: next year's default targets are the last 12 months (Aug-Jul)
    grown, phased by calendar month, so no month of the plan year has a zero target."""
    from helpers.incentives import target_basis

    ds = shaped("partial_last_year")
    base, peers, text = target_basis(ds, 2027)
    assert not peers and base["month"].min() == pd.Timestamp("2025-08-01")
    assert "last 12 month(s) available (Aug 2025–Jul 2026)" in text
    t = default_targets(ds, 2027, measures=["revenue"])
    monthly = t.groupby(t["month"].dt.month)["target"].sum()
    assert len(monthly) == 12 and (monthly > 0).all()
    rep = base["rep_id"].iloc[0]
    if base.query("rep_id == @rep")["month"].nunique() == 12:
        own = base.loc[base["rep_id"] == rep, "revenue"].sum() * 1.06
        assert t.loc[t["rep_id"] == rep, "target"].sum() == pytest.approx(own, rel=1e-6)


def test_partial_last_year_replays_the_months_it_has_and_labels_them(shaped, plans):
    """A last year of 7 months is replayed on those months (targets by calendar month, the
    quota for revenue), for the reps with all 7, and called partial."""
    from helpers.incentives import build_results, replay_note, year_label

    ds = shaped("partial_last_year")
    assert year_label(ds) == "2026 (Jan–Jul only, 7 months: a partial year)"
    assert "a partial year" in replay_note(ds)
    for plan in plans.values():
        assert replay(plan, ds)["amount"].sum() > 0
    t = default_targets(ds, 2026, measures=["revenue", "new_customers"])
    res = build_results(ds, t, year=2026)
    assert res["month"].dt.month.max() == 7 and res["revenue_target"].notna().all()
    h = ds.history.set_index(["rep_id", "month"])["quota"]
    got = res.set_index(["rep_id", "month"])["revenue_target"]
    assert np.allclose(got, h.reindex(got.index).to_numpy(dtype=float))


@pytest.mark.parametrize("on_missing", ["drop", "block"])
def test_gate_on_a_measure_the_data_lacks_is_reported_not_zeroed(shaped, plans, on_missing):
    """No CSAT: the tiered plan's csat gate would zero its commission silently. It is named
    up front and dropped (the commission pays) or blocks the component (pays nothing), the same
    way for the replay, the curves and the simulation."""
    from helpers.incentives import (
        adapt_plans,
        curve_table,
        describe_plans,
        edit_plan,
        level_targets,
        missing_measures,
    )

    ds = shaped("no_csat")
    missing = missing_measures(ds)
    assert set(missing) == {"csat"}
    adapted, notes = adapt_plans(plans, missing, on_missing)
    gate = ("gate csat ≥ 70 in 'Tiered commission' ('revenue commission') cannot apply: "
            "no CSAT in the data — ")
    assert any(n.startswith(gate) for n in notes)
    tiered = adapted["Tiered commission"]
    assert all(g.measure != "csat" for c in tiered.components for g in c.gates)
    names = [c.name for c in tiered.components]
    if on_missing == "drop":
        assert gate + "dropped" in notes and "revenue commission" in names
        assert paid(replay(tiered, ds), "revenue commission").sum() > 0
    else:
        assert any(n.startswith(gate) and "blocked" in n for n in notes)
        assert tiered.components[names.index("revenue commission")].levels == ()
        assert paid(replay(tiered, ds), "revenue commission").sum() == 0
        assert tiered.primary == plans["Tiered commission"].primary  # milestones unchanged
        assert "none (blocked)" in set(describe_plans(adapted)["levels"])
        edited = edit_plan(tiered, "new customer bonus", ti_scale=1.1)  # the editor's path
        assert edited.components[names.index("revenue commission")].levels == ()
    assert "csat" not in tiered.measures
    targets = default_targets(ds, measures=["revenue", "new_customers"])
    curve = curve_table(adapted, level_targets(targets, default_levels(ds)))
    assert curve["total"].notna().all()
    sim = simulate(adapted, ds, targets, n=32)
    assert (metrics(sim)["expected_cost"] > 0).all()


def test_modifier_and_component_on_a_missing_measure():
    """A modifier on a missing measure is dropped (×1) or blocks; a component paid on it
    is left out either way, and a plan left with nothing is named and left out."""
    from helpers.incentives import adapt_plans

    modified = plan_of(bonus(weight=0.5,
                             modifier={"measure": "csat", "basis": "value",
                                       "bands": [{"from": 0, "multiplier": 0.5},
                                                 {"from": 80, "multiplier": 1.2}]}),
                       bonus("new_customers", weight=0.5), name="m")
    only = plan_of(bonus("csat"), name="only")
    why = {"csat": "no CSAT in the data"}
    kept, notes = adapt_plans({"m": modified, "only": only}, why, "drop")
    assert kept["m"].components[0].modifier is None and len(kept["m"].components) == 2
    assert "modifier by csat in 'm' ('b revenue') cannot apply: no CSAT in the data — dropped" \
        in notes
    assert "only" not in kept and any("'only' has nothing left" in n for n in notes)
    blocked, notes = adapt_plans({"m": modified}, why, "block")
    assert [c.levels for c in blocked["m"].components] == [(), LEVELS]
    with pytest.raises(PlanError, match="on_missing"):
        adapt_plans({"m": modified}, why, "ignore")


def test_short_history_uses_stated_default_spreads_not_zero(shaped, sample):
    """One year of quarters cannot separate a market swing from the season, and no rep has
    two full years to show its own variation: the defaults are used and named; `spreads`
    changes them; the sample's full history fits everything."""
    from helpers.incentives import DEFAULT_SPREADS, fit_market

    ds = shaped("one_year")
    model = fit_market(ds, 4)
    revenue = model.outlooks["revenue"]
    assert revenue.market_sd == DEFAULT_SPREADS["market"] > 0
    assert revenue.own_sd == DEFAULT_SPREADS["own"] > 0
    assert {"market swing", "own variation"} <= set(model.assumed)
    assert "assumed, not fitted:" in model.describe()
    assert "market swing (5%: 4 full quarter(s)" in model.describe()
    assert "4 full quarter(s) of history in 1 calendar year(s)" in model.assumed["market swing"]
    assert fit_market(ds, 4, {"market": 0.2}).outlooks["revenue"].market_sd == 0.2
    with pytest.raises(SimulationError, match="spreads"):
        fit_market(ds, 4, {"market": -1})
    assert fit_market(sample, 4).assumed == {}
    assert fit_market(shaped("no_quota"), 4).assumed == {}  # results, not attainment
    plan = load_plans(PLANS_DIR)["Current plan"]
    wide = metrics(simulate(plan, ds, n=256, spreads={"market": 0.3}))
    narrow = metrics(simulate(plan, ds, n=256, spreads={"market": 0.0}))
    assert (wide["p90_cost"] - wide["p50_cost"]).item() > (
        narrow["p90_cost"] - narrow["p50_cost"]).item()


def test_load_inputs_says_which_history_next_years_targets_rest_on(shaped, sample):
    _, _, source = load_inputs(shaped("partial_last_year"), 2027)
    assert "based on the last 12 month(s) available (Aug 2025–Jul 2026)" in source
    _, _, source = load_inputs(sample, sample.plan_year)
    assert f"{sample.last_year}'s actuals × 1.06" in source


def test_assumed_own_variation_follows_the_rep_not_the_row_or_id(shaped):
    """Own variation drawn from an assumed spread (one year) is keyed by who the rep is:
    relabelled, shuffled ids give every rep the same simulated pay."""
    plan = load_plans(PLANS_DIR)["Current plan"]
    pays = []
    for ds in (shaped("one_year", "no_quota"), shaped("one_year", "no_quota", "shuffled_ids")):
        sim = simulate(plan, ds, n=64, seed=3)
        assert "own variation" in sim.model.assumed
        who = ds.roster.set_index("rep_id")[["name", "hire_date"]].astype(str).agg("|".join,
                                                                                  axis=1)
        pays.append(pd.Series(sim.rep_pay["Current plan"],
                              index=sim.reps["rep_id"].map(who)).sort_index())
    assert np.allclose(pays[0].to_numpy(), pays[1].to_numpy(), rtol=1e-5)
    assert pays[0].index.equals(pays[1].index)


def test_default_targets_read_a_hires_ramp_months_at_full_productivity(sample, plans):
    """A hire of last year is set a target on their months at full productivity × their
    capacity next year, the run-rate the simulated results use: hires and the rest reach
    their targets alike (they attained 160-275% when set a year of their ramp months)."""
    sim = simulate(plans["Current plan"], sample, n=256, seed=2)
    att = pd.Series(sim.rep_attainment, index=sim.reps["rep_id"])
    hired = sample.roster.set_index("rep_id")["hire_date"].reindex(att.index)
    recent = hired.dt.year >= sample.last_year - 1
    assert recent.sum() >= 5
    assert att[recent].median() == pytest.approx(att[~recent].median(), rel=0.15)
    assert att.max() < 1.6
