"""The budget solver (issue 13 section 4): scale a plan until its simulated cost fits."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.errors import PlanError, SimulationError
from helpers.incentives import (
    PLANS_DIR,
    Plan,
    fit_budget,
    load_plans,
    metrics,
    scale_plan,
    simulate,
)

N = 300  # simulated years: enough for stable costs, quick to re-price


@pytest.fixture(scope="module")
def plans():
    return load_plans(PLANS_DIR)


@pytest.fixture(scope="module")
def current(plans):
    return plans["Current plan"]


@pytest.fixture(scope="module")
def before(sample, current):
    return metrics(simulate(current, sample, n=N, seed=0)).iloc[0]


def test_solved_plan_meets_the_budget_when_simulated_again(sample, current, before):
    cap = 0.9 * before["variable_cost_of_sales"]
    budget = fit_budget(current, sample, max_cost_of_sales=cap, n=N, seed=0)
    again = metrics(simulate(budget.plan, sample, n=N, seed=0)).iloc[0]
    assert again["variable_cost_of_sales"] <= cap
    assert again["variable_cost_of_sales"] == pytest.approx(cap, rel=1e-3)
    assert 0.85 < budget.factor < 0.95 and budget.binding == "cost of sales"
    assert budget.table.loc["variable_cost_of_sales", "after"] == pytest.approx(
        again["variable_cost_of_sales"], rel=1e-12)
    assert budget.table.loc["expected_cost", "before"] == pytest.approx(
        before["expected_cost"], rel=1e-12)
    assert budget.table.loc["variable_cost_of_sales", "budget"] == cap
    assert np.isnan(budget.table.loc["expected_cost", "budget"])
    assert "over the budget" in budget.sentence and "binds" in budget.sentence
    # target incentives scaled, the original plan untouched
    lv = "senior"
    assert budget.plan.levels[lv].target_incentive == pytest.approx(
        current.levels[lv].target_incentive * budget.factor, abs=0.01)
    assert budget.plan.name == "Current plan within budget"
    assert "fit_budget" in budget.plan.description


@pytest.mark.parametrize(("name", "scale"), [
    ("Current plan", "target_incentive"),
    ("Tiered commission", ("rate", "revenue commission")),
    ("Level bonus + contest", ("rate", "President's Club")),
])
def test_cost_grows_with_the_factor_on_shared_draws(sample, plans, name, scale):
    factors = [0.0, 0.5, 0.9, 1.0, 1.3, 2.0]
    scaled = {str(f): scale_plan(plans[name], f, scale) for f in factors}
    table = metrics(simulate(scaled, sample, n=N, seed=0))
    for column in ("expected_cost", "p90_cost", "variable_cost_of_sales"):
        assert table[column].is_monotonic_increasing, column
    assert table.loc["1.0", "expected_cost"] == pytest.approx(
        metrics(simulate(plans[name], sample, n=N, seed=0)).iloc[0]["expected_cost"])


def test_the_tighter_limit_binds(sample, current, before):
    cos = 0.95 * before["variable_cost_of_sales"]
    p90 = 0.85 * before["p90_cost"]
    only_cos = fit_budget(current, sample, max_cost_of_sales=cos, n=N)
    only_p90 = fit_budget(current, sample, max_p90_cost=p90, n=N)
    both = fit_budget(current, sample, max_cost_of_sales=cos, max_p90_cost=p90, n=N)
    assert only_p90.factor < only_cos.factor
    assert both.binding == "P90 cost" and only_cos.binding == "cost of sales"
    assert both.factor == pytest.approx(only_p90.factor, abs=2e-4)
    assert both.table.loc["p90_cost", "after"] <= p90
    assert both.table.loc["variable_cost_of_sales", "after"] < cos
    loose = fit_budget(current, sample, max_cost_of_sales=cos, max_p90_cost=10 * p90, n=N)
    assert loose.binding == "cost of sales"
    assert loose.factor == pytest.approx(only_cos.factor, abs=2e-4)


def test_room_is_used_and_named(sample, current, before):
    cap = 1.1 * before["variable_cost_of_sales"]
    budget = fit_budget(current, sample, max_cost_of_sales=cap, n=N)
    assert budget.factor > 1
    assert "already meets the budget with room" in budget.sentence
    assert "percentage points of room" in budget.sentence
    roomy = fit_budget(current, sample, max_cost_of_sales=0.5, n=N, bounds=(0.0, 2.0))
    assert roomy.factor == 2.0 and roomy.binding == "upper bound"
    assert "upper bound" in roomy.sentence


def test_an_impossible_budget_says_why(sample, current, before):
    base = before["total_cost_of_sales"] - before["variable_cost_of_sales"]
    with pytest.raises(SimulationError, match="Base salaries alone are"):
        fit_budget(current, sample, max_cost_of_sales=0.9 * base, basis="total", n=N)
    total = fit_budget(current, sample, max_cost_of_sales=base + 0.01, basis="total", n=N)
    assert total.table.loc["total_cost_of_sales", "after"] <= base + 0.01
    # rates of one component: the other component's pay alone is over the cap
    with pytest.raises(SimulationError, match="does not scale"):
        fit_budget(current, sample, max_cost_of_sales=0.001, n=N,
                   scale=("rate", "revenue bonus"))
    with pytest.raises(SimulationError, match="max_cost_of_sales"):
        fit_budget(current, sample, n=N)
    with pytest.raises(SimulationError, match="bounds"):
        fit_budget(current, sample, max_p90_cost=1e6, bounds=(2.0, 1.0), n=N)
    with pytest.raises(PlanError, match="no component named 'nope'"):
        fit_budget(current, sample, max_p90_cost=1e6, scale=("rate", "nope"), n=N)
    with pytest.raises(SimulationError, match="name other than"):
        fit_budget(current, sample, max_p90_cost=1e6, name=current.name, n=N)


def test_a_factor_that_changes_nothing_is_refused(sample, plans):
    """A commission-only plan pays on rates: scaling its target incentives moves no cost,
    so the solver says to scale the rates instead of returning a meaningless factor."""
    d = plans["Tiered commission"].to_dict()
    d["components"] = [{k: v for k, v in d["components"][0].items() if k != "weight"}]
    d.pop("draw", None)
    commission = Plan.from_dict(d)
    with pytest.raises(SimulationError, match="do not change what"):
        fit_budget(commission, sample, max_cost_of_sales=0.02, n=N)
    fitted = fit_budget(commission, sample, max_cost_of_sales=0.02, n=N,
                        scale=("rate", "revenue commission"))
    assert fitted.table.loc["variable_cost_of_sales", "after"] <= 0.02


def test_same_seed_same_factor(sample, current, before):
    cap = 0.9 * before["p90_cost"]
    one = fit_budget(current, sample, max_p90_cost=cap, n=N, seed=3)
    two = fit_budget(current, sample, max_p90_cost=cap, n=N, seed=3)
    assert one.factor == two.factor and one.plan == two.plan
    assert one.table.equals(two.table)


def test_saved_yaml_loads_back_equal(sample, current, before, tmp_path):
    budget = fit_budget(current, sample, max_cost_of_sales=before["variable_cost_of_sales"],
                        n=N, scale=("rate", "new customer bonus"))
    path = budget.save(tmp_path)
    assert path.name == "current_plan_within_budget.yaml"
    assert load_plans(tmp_path) == {budget.plan.name: budget.plan}
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left
    with pytest.raises(PlanError, match="never written"):
        budget.save(PLANS_DIR)
    assert not (PLANS_DIR / path.name).exists()


def test_scale_plan_per_kind(plans):
    tiered = plans["Tiered commission"]
    scaled = scale_plan(tiered, 0.5, ("rate", "revenue commission"))
    old, new = tiered.components[0], scaled.components[0]
    assert [(t.lo, t.hi) for t in new.tiers] == [(t.lo, t.hi) for t in old.tiers]
    assert [t.rate for t in new.tiers] == pytest.approx([t.rate * 0.5 for t in old.tiers])
    assert new.cap_payout == old.cap_payout
    mixed = plans["Level bonus + contest"]
    club = scale_plan(mixed, 2.0, ("rate", "President's Club")).components[-1]
    assert club.prizes == tuple(2 * p for p in mixed.components[-1].prizes)
    spif = next(c for c in mixed.components if c.type == "spif")
    doubled = next(c for c in scale_plan(mixed, 2.0, ("rate", spif.name)).components
                   if c.name == spif.name)
    assert (doubled.per_unit, doubled.amount) == (2 * spif.per_unit, 2 * spif.amount)
    with pytest.raises(PlanError, match="cannot be scaled to pay nothing"):
        scale_plan(mixed, 0.0, ("rate", spif.name))
    bonus = scale_plan(mixed, 0.5, ("rate", "revenue bonus")).components[0]
    assert [p for _, _, p in bonus.curve.points] == pytest.approx(
        [p * 0.5 for _, _, p in mixed.components[0].curve.points])
    with pytest.raises(PlanError, match="scale"):
        scale_plan(mixed, 1.0, "rates")
    with pytest.raises(PlanError, match="factor"):
        scale_plan(mixed, -1.0)
