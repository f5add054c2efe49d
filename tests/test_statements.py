"""Statements in bulk: totals equal the payout table, pay dates follow the plan's schedule,
"needed for the next tier" holds against the engine, and no row order or id changes a
statement."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.data import DataError
from helpers.formatting import fmt
from helpers.incentives import (
    PAY_LAG_DAYS,
    PLANS_DIR,
    Plan,
    PlanError,
    build_results,
    default_targets,
    load_plans,
    payout,
    replay,
    statement_html,
    statement_table,
    statements,
)
from helpers.incentives.engine import run
from helpers.incentives.pay_statements import UNITS
from helpers.incentives.payouts import inputs_from_results
from helpers.schema import LEVELS

YEAR = 2027


@pytest.fixture(scope="module")
def plans():
    return load_plans(PLANS_DIR)


@pytest.fixture(scope="module")
def replays(sample, plans):
    return {name: replay(plan, sample) for name, plan in plans.items()}


def with_pay(plan: Plan, pay) -> Plan:
    d = plan.to_dict()
    d["pay"] = pay
    return Plan.from_dict(d)


# ---------------------------------------------------------------------------- totals


@pytest.mark.parametrize("name", ["Current plan", "Tiered commission", "Level bonus + contest"])
def test_statement_totals_equal_the_payout_table_for_every_rep(plans, replays, name):
    plan, pays = plans[name], replays[name]
    table = statement_table(plan, pays, year=YEAR)
    assert len(table) == len(pays)
    key = ["rep_id", "component"]
    want = pays.groupby(key)["amount"].sum()
    got = table.groupby(key)["paid"].sum()
    assert (got.reindex(want.index) - want).abs().max() < 0.005
    last = table[table["period"] == plan.n_periods].set_index(key)
    assert (last["paid_ytd"].reindex(want.index) - want).abs().max() < 0.005
    earned = table[table["component"] != "draw"].groupby(key)["earned"].sum()
    assert (earned - want.reindex(earned.index)).abs().max() < 0.005
    draw = table[table["component"] == "draw"]
    assert (draw["draw_paid"] - draw["draw_recovered"] - draw["paid"]).abs().max() < 0.005 \
        if len(draw) else True
    assert (table.loc[table["component"] != "draw", ["draw_paid", "draw_recovered"]] == 0
            ).all().all()
    keys = ["rep_id", "period", "component"]
    joined = table.merge(pays, on=keys, suffixes=("", "_payout"), validate="one_to_one")
    assert len(joined) == len(pays)
    for col in ("value", "target", "attainment"):  # the payout table's numbers, row for row
        a, b = joined[col].to_numpy(float), joined[f"{col}_payout"].to_numpy(float)
        assert np.array_equal(a, b, equal_nan=True), col
    assert (joined["level"] == joined["level_payout"]).all()

    docs = statements(plan, pays, year=YEAR)
    reps = sorted(pays["rep_id"].unique())
    assert list(docs) == reps
    per_rep = pays.groupby("rep_id")["amount"].sum()
    for rep, (title, fragment) in docs.items():
        assert rep in title and fragment.startswith("<section>")
        assert "<td></td>" not in fragment and "nan" not in fragment.lower()
        assert "_" not in re.sub(r"<[^>]+>", "", fragment)  # no snake_case for people
        total = re.search(r"<td><b>total</b></td><td><b>([^<]+)</b></td><td><b>([^<]+)</b>",
                          fragment)
        assert total.group(2) == fmt(per_rep[rep], "money", digits=2)


def test_draws_and_recoveries_show_on_their_own_rows():
    plan = Plan.from_dict({
        "name": "d", "period": "quarter", "true_up": False,
        "levels": {lv: {"target_incentive": 10_000} for lv in LEVELS},
        "components": [{"name": "c", "type": "commission", "measure": "revenue",
                        "tiers": [{"from": 0, "rate": 0.1}]}],
        "draw": {"amount": 5_000, "recoverable": True, "periods": [1, 2]}})
    results = pd.DataFrame({"rep_id": "A", "level": "senior", "revenue": [0, 0, 120_000, 0],
                            "month": pd.to_datetime([f"{YEAR}-{m:02d}-01" for m in
                                                     (1, 4, 7, 10)])})
    table = statement_table(plan, payout(plan, results), year=YEAR)
    draw = table[table["component"] == "draw"]
    assert draw["draw_paid"].tolist() == [5_000, 5_000, 0, 0]
    assert draw["draw_recovered"].tolist() == [0, 0, 10_000, 0]
    assert draw["draw_owed"].tolist() == [5_000, 10_000, 0, 0]
    paid = table.groupby("period")["paid"].sum().tolist()
    assert paid == [5_000, 5_000, 2_000, 0]
    assert table.loc[table["component"] == "c", "earned_ytd"].tolist() == [0, 0, 12_000, 12_000]


# ------------------------------------------------------------------------- pay dates


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_pay_date_is_the_period_end_plus_the_lag(plans, sample, period):
    lag = 14
    plan = with_pay(plans["Current plan"], {"lag_days": lag})
    plan = plan.replace(period=period)
    targets = default_targets(sample, sample.last_year, measures=plan.measures)
    pays = payout(plan, build_results(sample, targets))
    table = statement_table(plan, pays, year=YEAR)
    freq = {"month": "M", "quarter": "Q", "year": "Y"}[period]
    ends = pd.period_range(f"{YEAR}-01", periods=plan.n_periods, freq=freq).end_time.normalize()
    assert (table["period_end"].to_numpy() == ends[table["period"] - 1].to_numpy()).all()
    assert ((table["pay_date"] - table["period_end"]) == pd.Timedelta(days=lag)).all()
    assert f"{lag} days after the {period} ends" in statements(plan, pays, year=YEAR)[
        table["rep_id"].iloc[0]][1]


def test_a_plan_without_pay_uses_the_default_lag(plans, replays):
    plan = plans["Tiered commission"]
    assert "pay" not in plan.to_dict() and plan.pay.lag_days == PAY_LAG_DAYS == 30
    table = statement_table(plan, replays[plan.name], year=YEAR)
    assert ((table["pay_date"] - table["period_end"]) == pd.Timedelta(days=30)).all()
    q1 = table[table["period"] == 1]
    assert (q1["pay_date"] == pd.Timestamp(f"{YEAR}-04-30")).all()


@pytest.mark.parametrize("bad, why", [("x", "must be a number"), (-3, "must be >= 0"),
                                      (2.5, "must be a whole number"), (400, "must be <= 365")])
def test_bad_lag_days_names_the_key(plans, tmp_path, bad, why):
    with pytest.raises(PlanError, match=rf"^pay\.lag_days: {why}"):
        with_pay(plans["Current plan"], {"lag_days": bad})
    path = tmp_path / "plan.yaml"
    Plan.from_dict(plans["Current plan"].to_dict()).to_yaml(path)
    text = path.read_text() + f"pay:\n  lag_days: {bad!r}\n".replace("'", '"')
    path.write_text(text)
    with pytest.raises(PlanError, match=r"plan\.yaml: pay\.lag_days"):
        Plan.from_yaml(path)


def test_pay_round_trips_through_yaml(plans, tmp_path):
    plan = with_pay(plans["Level bonus + contest"], {"lag_days": 10})
    assert plan.pay.lag_days == 10
    assert Plan.from_yaml(_write(plan, tmp_path)) == plan
    with pytest.raises(PlanError, match=r"^pay\.lag: unknown key"):
        with_pay(plan, {"lag": 3})
    with pytest.raises(PlanError, match=r"^pay: must be a mapping"):
        with_pay(plan, 3)


def _write(plan: Plan, folder) -> str:
    path = folder / "p.yaml"
    plan.to_yaml(path)
    return path


# ------------------------------------------------------------------------- next tier


def _variants(plans) -> list[Plan]:
    out = list(plans.values())
    out += [p.replace(name=p.name + " (per period)", true_up=False) for p in plans.values()]
    return out


@pytest.fixture(scope="module")
def rep_results(sample, plans):
    """Last year's results of a few reps, one plan-ready table a rep (all measures)."""
    targets = default_targets(sample, sample.last_year,
                              measures=["revenue", "new_customers", "csat", "deals_won"])
    results = build_results(sample, targets)
    reps = sorted(results["rep_id"].unique())[::9]
    return {rep: results[results["rep_id"] == rep].reset_index(drop=True) for rep in reps}


def _tiers_reached(plan: Plan, results: pd.DataFrame) -> dict[str, np.ndarray]:
    """The engine's own tier (or curve points) reached per period, by component."""
    _, data = inputs_from_results(plan, results)
    out = run(plan, data, reasons=True)
    return {c.name: out.info[c.name]["tier"][:, 0, 0] for c in plan.components
            if "tier" in out.info[c.name]}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_needed_for_the_next_tier_reaches_it_and_a_unit_less_does_not(plans, rep_results, data):
    plan = data.draw(st.sampled_from(_variants(plans)))
    rep = data.draw(st.sampled_from(sorted(rep_results)))
    factor = data.draw(st.floats(0.2, 1.8))
    k = data.draw(st.integers(1, plan.n_periods))
    base = rep_results[rep].copy()
    base["revenue"] = (base["revenue"] * factor).round(2)
    base["new_customers"] = (base["new_customers"] * factor).round()
    month = base["month"].dt.month
    per = 12 // plan.n_periods
    later = month > k * per  # nothing sold after period k: the rest of the year is to come
    base.loc[later, ["revenue", "new_customers"]] = 0
    table = statement_table(plan, payout(plan, base), year=YEAR)
    rows = table[(table["period"] == k) & table["needed"].notna()]
    for row in rows.itertuples(index=False):
        comp = next(c for c in plan.components if c.name == row.component)
        to_date = plan.true_up and plan.n_periods > 1
        at = plan.n_periods if to_date else k
        where = month == (12 if to_date else k * per)  # the last month it can count in
        unit = UNITS.get(row.measure, 1.0)
        for extra, reached in [(row.needed, True), (row.needed - unit, False)]:
            more = base.copy()
            more.loc[where, row.measure] += extra
            tier = _tiers_reached(plan, more)[comp.name][at - 1]
            assert (tier >= row.next_tier) == reached, (plan.name, rep, k, row.component,
                                                        row.needed, extra, tier)


@st.composite
def toy_plans(draw) -> Plan:
    """A commission (amount or attainment tiers, marginal or retroactive, either boundary,
    maybe an attainment cap) and a bonus (linear or step, maybe capped), paid with or
    without true-up."""
    basis = draw(st.sampled_from(["amount", "attainment"]))
    scale = 100_000 if basis == "amount" else 1.0
    bounds = sorted(draw(st.lists(st.floats(0.1, 2.0), min_size=1, max_size=3, unique=True)))
    tiers = [{"from": 0.0}] + [{"from": round(b * scale, 2)} for b in bounds]
    for t in tiers:
        t["rate"] = draw(st.sampled_from([0.01, 0.03, 0.05]))
    commission = {"name": "c", "type": "commission", "measure": "revenue", "basis": basis,
                  "mode": draw(st.sampled_from(["marginal", "retroactive"])),
                  "boundary": draw(st.sampled_from(["lower_inclusive", "upper_inclusive"])),
                  "tiers": tiers}
    if draw(st.booleans()):
        commission["cap_attainment"] = draw(st.sampled_from([1.2, 1.5]))
    curve = {"shape": draw(st.sampled_from(["linear", "step"])),
             "threshold": {"attainment": 0.7, "payout": 0.4},
             "target": {"attainment": 1.0, "payout": 1.0},
             "excellence": {"attainment": 1.3, "payout": 1.6}}
    bonus = {"name": "b", "type": "bonus", "measure": draw(st.sampled_from(
        ["revenue", "new_customers"])), "weight": 1.0, "curve": curve}
    if draw(st.booleans()):
        bonus["cap_attainment"] = 1.15
    return Plan.from_dict({"name": "toy", "period": draw(st.sampled_from(["quarter", "month"])),
                           "true_up": draw(st.booleans()),
                           "levels": {lv: {"target_incentive": 10_000} for lv in LEVELS},
                           "components": [commission, bonus]})


@settings(max_examples=60, deadline=None)
@given(plan=toy_plans(), data=st.data())
def test_needed_holds_for_any_tier_table_against_the_engine(plan, data):
    months = np.arange(1, 13)
    revenue = data.draw(st.lists(st.integers(0, 2_000_000), min_size=12, max_size=12))
    customers = data.draw(st.lists(st.integers(0, 3), min_size=12, max_size=12))
    results = pd.DataFrame({
        "rep_id": "A", "level": "senior", "month": pd.to_datetime(
            {"year": YEAR, "month": months, "day": 1}),
        "revenue": np.asarray(revenue) / 100, "revenue_target": 8_333.33 + 10 * months,
        "new_customers": customers, "new_customers_target": 1.5})
    k = data.draw(st.integers(1, plan.n_periods))
    per = 12 // plan.n_periods
    later = results["month"].dt.month > k * per
    base = results.assign(revenue=results["revenue"].where(~later, 0),
                          new_customers=results["new_customers"].where(~later, 0))
    table = statement_table(plan, payout(plan, base), year=YEAR)
    to_date = plan.true_up and plan.n_periods > 1
    at = plan.n_periods if to_date else k
    where = base["month"].dt.month == (12 if to_date else k * per)
    for row in table[(table["period"] == k) & table["needed"].notna()].itertuples():
        assert row.needed > 0 and row.next_step
        unit = UNITS.get(row.measure, 1.0)
        for extra, reached in [(row.needed, True), (row.needed - unit, False)]:
            more = base.copy()
            more.loc[where, row.measure] += extra
            tier = _tiers_reached(plan, more)[row.component][at - 1]
            assert (tier >= row.next_tier) == reached, (row.component, row.needed, extra, tier)


def test_a_tier_starting_where_the_credit_stops_is_not_promised():
    """Found by the property above: tiers split at 150%, upper-inclusive, credit capped at
    150% -- no sale reaches the second tier, so no amount is offered for it."""
    levels = {lv: {"target_incentive": 10_000} for lv in LEVELS}
    plan = Plan.from_dict({"name": "t", "period": "quarter", "levels": levels, "components": [
        {"name": "c", "type": "commission", "measure": "revenue", "basis": "attainment",
         "boundary": "upper_inclusive", "cap_attainment": 1.5,
         "tiers": [{"from": 0, "rate": 0.01}, {"from": 1.5, "rate": 0.02}]}]})
    months = np.arange(1, 13)
    results = pd.DataFrame({"rep_id": "A", "level": "senior", "month": pd.to_datetime(
        {"year": YEAR, "month": months, "day": 1}), "revenue": 5_000.0,
        "revenue_target": 10_000.0})
    table = statement_table(plan, payout(plan, results), year=YEAR)
    rows = table[table["component"] == "c"]
    assert rows["needed"].isna().all()
    assert rows["needed_note"].str.contains("credit stops at 150%").all()


def test_no_next_tier_says_why():
    levels = {lv: {"target_incentive": 10_000} for lv in LEVELS}
    plan = Plan.from_dict({"name": "n", "period": "quarter", "levels": levels, "components": [
        {"name": "capped", "type": "commission", "measure": "revenue", "cap_payout": 400,
         "tiers": [{"from": 0, "to": 100_000, "rate": 0.01}, {"from": 100_000, "rate": 0.02}]},
        {"name": "top", "type": "bonus", "measure": "revenue", "weight": 1.0,
         "curve": {"threshold": {"attainment": 0.5, "payout": 0.5},
                   "target": {"attainment": 1.0, "payout": 1.0}}},
        {"name": "flat", "type": "spif", "measure": "new_customers", "amount": 500, "min": 2},
        {"name": "club", "type": "contest", "measure": "revenue", "prizes": [1_000]}]})
    results = pd.DataFrame({"rep_id": "A", "level": "senior", "revenue": [50_000] * 4,
                            "revenue_target": 25_000, "new_customers": 3,
                            "new_customers_target": 1,
                            "month": pd.to_datetime([f"{YEAR}-{m:02d}-01" for m in
                                                     (1, 4, 7, 10)])})
    table = statement_table(plan, payout(plan, results), year=YEAR).set_index(
        ["period", "component"])
    q1 = table.loc[1]
    assert q1["needed"].isna().all() and q1["next_tier"].isna().all()
    assert "cap of $400 is reached" in q1.loc["capped", "needed_note"]
    assert "top tier is reached" in q1.loc["top", "needed_note"]
    assert "flat SPIF" in q1.loc["flat", "needed_note"]
    assert "contest" in q1.loc["club", "needed_note"]


# ------------------------------------------------------------------- keys, not rows


def test_shuffled_rows_and_relabelled_ids_give_the_same_statements(plans, replays):
    plan = plans["Level bonus + contest"]
    pays = replays[plan.name]
    docs = statements(plan, pays, year=YEAR)
    shuffled = pays.sample(frac=1, random_state=3).reset_index(drop=True)
    assert statements(plan, shuffled, year=YEAR) == docs
    made = statement_table(plan, pays, year=YEAR)  # a table the caller already has
    assert statements(plan, pays, year=YEAR, table=made) == docs
    reps = sorted(pays["rep_id"].unique())
    new = {r: f"X{len(reps) - i:04d}" for i, r in enumerate(reps)}  # reversed order
    relabelled = shuffled.assign(rep_id=shuffled["rep_id"].map(new).astype("string"))
    again = statements(plan, relabelled, year=YEAR)
    for rep in reps:
        title, fragment = again[new[rep]]
        assert fragment.replace(new[rep], rep) == docs[rep][1]
        assert title.replace(new[rep], rep) == docs[rep][0]
    table = statement_table(plan, shuffled, year=YEAR)
    assert table.equals(statement_table(plan, pays, year=YEAR))


# ------------------------------------------------------------------------ bad input


def test_bad_payout_tables_name_the_column_or_rows(plans, replays):
    plan, pays = plans["Current plan"], replays["Current plan"]
    with pytest.raises(DataError, match="missing column.*reason"):
        statement_table(plan, pays.drop(columns="reason"), year=YEAR)
    odd = pays.copy()
    odd.loc[5, "component"] = "mystery"
    with pytest.raises(DataError, match=r"'mystery'.*rows \[5\]"):
        statement_table(plan, odd, year=YEAR)
    late = pays.copy()
    late.loc[7, "period"] = 5
    with pytest.raises(DataError, match=r"period.*1\.\.4.*rows \[7\]"):
        statement_table(plan, late, year=YEAR)
    with pytest.raises(DataError, match="year"):
        statement_table(plan, pays, year="2027")
    table = statement_table(plan, pays, year=YEAR)
    with pytest.raises(DataError, match="no rows for rep_id 'nobody'"):
        statement_html(plan, "nobody", table)


def test_values_from_the_data_are_escaped(plans, replays):
    plan = plans["Current plan"]
    pays = replays[plan.name]
    rep = pays["rep_id"].iloc[0]
    evil = pays.assign(rep_id=pays["rep_id"].replace({rep: "<b>x&y</b>"}))
    fragment = statement_html(plan, "<b>x&y</b>", statement_table(plan, evil, year=YEAR))
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in fragment and "<b>x&y</b>" not in fragment
    named = copy.deepcopy(plan.to_dict()) | {"name": "A <script> plan"}
    fragment = statement_html(Plan.from_dict(named), rep, statement_table(
        Plan.from_dict(named), pays, year=YEAR))
    assert "<script>" not in fragment


# ------------------------------------------------------------------- real data shapes


@pytest.mark.parametrize("combo", ["minimal", "partial"])
def test_statements_run_on_real_data_shapes(tmp_path, plans, combo):
    """One region, one year, no csat or quota; or a history that ends in July with shuffled
    ids: every rep replayed gets a statement, and its total is the payout table's."""
    import sys
    from pathlib import Path

    from helpers import load
    from helpers.incentives import adapt_plans, missing_measures

    sys.path.insert(0, str(Path(__file__).parent))
    import shapes

    ds = load(shapes.make(tmp_path / combo, *shapes.COMBINED[combo]))
    adapted, _ = adapt_plans(plans, missing_measures(ds))
    for plan in adapted.values():
        pays = replay(plan, ds)
        docs = statements(plan, pays, year=ds.plan_year)
        assert sorted(docs) == sorted(pays["rep_id"].unique())
        per_rep = pays.groupby("rep_id")["amount"].sum()
        for rep, (_, fragment) in docs.items():
            assert "nan" not in fragment.lower() and "<td></td>" not in fragment
            assert f"<td><b>{fmt(per_rep[rep], 'money', digits=2)}</b></td></tr></table>" \
                in fragment


def test_a_year_the_data_stops_in_is_stated_and_not_paid_past_its_end(sample, plans):
    """History to July: the quarterly plan's statements end at Q3, named "to July only";
    nothing is paid for Q4 (it used to pay the year to date again)."""
    from helpers.targets import cut_history

    cut = cut_history(sample, "2026-07")
    plan = plans["Current plan"]
    table = statement_table(plan, replay(plan, cut), year=2026)
    assert set(table["period_name"]) == {"Q1 2026", "Q2 2026", "Q3 2026 (to July only)"}
    whole = statement_table(plan, replay(plan, sample), year=2026)
    assert "Q4 2026" in set(whole["period_name"]) and "only" not in " ".join(
        whole["period_name"].unique())


def test_bulk_statements_name_their_rep(sample, plans, replays):
    names = sample.roster.set_index("rep_id")["name"]
    docs = statements(plans["Current plan"], replays["Current plan"], year=2026, names=names)
    rep = next(iter(docs))
    title, body = docs[rep]
    assert title == f"Statement 2026: {names[rep]} ({rep})"
    assert f"Statement 2026 for {names[rep]} ({rep})" in body


def test_reps_without_a_statement_are_named(sample, plans, replays):
    """A rep who joined during the year has no statement (a replay pays whole years): the
    sentence names them; with everyone there it says nothing."""
    docs = statements(plans["Current plan"], replays["Current plan"], year=2026)
    from helpers.incentives import without_statement

    worked = set(sample.history.loc[sample.history["month"].dt.year == 2026, "rep_id"])
    said = without_statement(sample, docs, 2026)
    missing = sorted(worked - set(docs))
    assert (said == "") == (not missing)
    assert all(rep in said for rep in missing[:10])
    assert without_statement(sample, dict.fromkeys(worked), 2026) == ""
    fewer = {k: v for k, v in docs.items() if k != next(iter(docs))}
    assert next(iter(docs)) in without_statement(sample, fewer, 2026)


def test_statements_on_stand_in_targets_say_so(sample, plans, replays):
    """Without a quota the targets are the workbook's stand-ins: each statement says it shows
    how the plan works, not pay owed; with the quota it says nothing of the kind."""
    import dataclasses

    from helpers.incentives import statement_caveat

    assert statement_caveat(sample, 2026) == ""
    bare = dataclasses.replace(sample, history=sample.history.drop(columns="quota"))
    caveat = statement_caveat(bare, 2026)
    assert "not pay you are owed" in caveat
    docs = statements(plans["Current plan"], replays["Current plan"], year=2026, caveat=caveat)
    assert all("<b>Note:</b> The data has no targets set for 2026" in body
               for _, body in docs.values())
    plain = statements(plans["Current plan"], replays["Current plan"], year=2026)
    assert not any("Note:" in body for _, body in plain.values())
