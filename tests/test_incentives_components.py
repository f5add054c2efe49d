"""Kinds of plan component are classes found by their YAML `type`: a new kind is a class and
its tests. The toy kind here is registered by the test alone (no helpers file knows it) and
is read, written back, described, paid with reasons, priced on a curve and simulated."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from helpers.incentives import (
    Plan,
    PlanError,
    describe_plans,
    edit_plan,
    payout,
    payout_curve,
    simulate,
)
from helpers.incentives.components import (
    COMPONENTS,
    Bonus,
    Commission,
    Component,
    Contest,
    Spif,
    register,
    when,
)
from helpers.schema import LEVELS


@dataclass(frozen=True)
class TeamPool(Component):
    """A toy fifth kind: `amount` each period to every member of a team at or above `min`
    of the team's target (year to date under true-up)."""

    kind: ClassVar[str] = "pool"
    team: ClassVar[bool] = True

    amount: float = 0.0
    min: float = 1.0

    @classmethod
    def parse(cls, node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        return {"amount": node.number("amount", lo=0), "min": node.number("min", 1.0, lo=0)}

    def dump(self) -> dict:
        return {"amount": self.amount, "min": self.min}

    def how(self) -> str:
        return f"{self.amount:,.0f} a period while the team attains {self.min:.0%}"

    @property
    def targets(self) -> set[str]:
        return {self.measure}

    def earn(self, ctx, eligible: np.ndarray, why: dict) -> np.ndarray:
        att = ctx.attainment(self.measure, team=True)
        why["attainment"] = att
        return np.where((att >= self.min) & eligible, self.amount, 0).astype(ctx.dtype)

    def reason(self, why: dict, amount: np.ndarray, ytd: bool) -> np.ndarray:
        return when(amount > 0, f"team at {self.min:.0%} of target or more")


@pytest.fixture
def pool():
    register(TeamPool)
    yield TeamPool
    COMPONENTS.pop("pool")


POOL = {"name": "pool", "type": "pool", "measure": "revenue", "amount": 500}
BONUS = {"name": "bonus", "type": "bonus", "measure": "revenue", "weight": 1.0,
         "curve": {"threshold": {"attainment": 0.8, "payout": 0.5},
                   "target": {"attainment": 1.0, "payout": 1.0},
                   "cap": {"attainment": 1.5, "payout": 2.0}}}


def plan_of(*components, **kw) -> Plan:
    return Plan.from_dict({"name": kw.pop("name", "t"), "period": "quarter", "true_up": False,
                           "levels": {lv: {"target_incentive": 10_000} for lv in LEVELS},
                           "components": [copy.deepcopy(c) for c in components], **kw})


def test_the_four_kinds_are_registered_by_type():
    registered = dict(COMPONENTS)
    assert registered == {"commission": Commission, "bonus": Bonus, "spif": Spif,
                          "contest": Contest}
    # the plan editor's table of each kind that has one gives the plan back unchanged
    plan = plan_of(BONUS, {"name": "c", "type": "commission", "measure": "revenue",
                           "tiers": [{"from": 0, "to": 10, "rate": 0.1}]},
                   {"name": "s", "type": "spif", "measure": "new_customers", "amount": 100})
    assert [c.table() is not None for c in plan.components] == [True, True, False]
    for c in plan.components[:2]:
        assert edit_plan(plan, c.name, **c.edits(c.table().rows)) == plan
    with pytest.raises(PlanError, match=r"components\[1\]\.type: must be one of commission, "
                                        r"bonus, spif, contest, got 'pool'"):
        plan_of(BONUS, POOL)


def test_a_kind_registered_outside_helpers_is_read_written_and_described(pool, tmp_path):
    plan = plan_of(BONUS, POOL)
    assert isinstance(plan.components[1], TeamPool) and plan.components[1].type == "pool"
    assert plan.measures == ["revenue"]
    path = tmp_path / "p.yaml"
    plan.to_yaml(path)
    assert Plan.from_yaml(path) == plan
    rows = describe_plans([plan]).set_index("component")
    assert rows.loc["pool", "how"] == "500 a period while the team attains 100%"
    assert rows.loc["pool", "measure"] == "revenue (team)"
    # its own keys keep their key paths
    with pytest.raises(PlanError, match=r"components\[1\]\.amount: is required"):
        plan_of(BONUS, {k: v for k, v in POOL.items() if k != "amount"})
    with pytest.raises(PlanError, match=r"components\[1\]\.amout: unknown key"):
        plan_of(BONUS, POOL | {"amout": 5})
    with pytest.raises(PlanError, match=r"components\[1\]\.min: must be >= 0, got -1"):
        plan_of(BONUS, POOL | {"min": -1})
    with pytest.raises(TypeError, match="already"):
        register(type("Other", (TeamPool,), {}))
    # the budget solver asks a kind to scale its pay: without a table or its own `scaled`
    # it says so; the bonus beside it scales through its table (curve payouts)
    with pytest.raises(PlanError, match="pool: a pool has no rates to scale"):
        plan.components[1].scaled(2.0)
    assert plan.components[0].scaled(2.0)["curve"]["target"]["payout"] == 2.0


def test_a_registered_kind_pays_through_payout_curves_and_simulate(pool, sample):
    plan = plan_of(BONUS, POOL)
    rows = []
    for rep, team, rev in [("A", "x", 120), ("B", "x", 100), ("C", "y", 80), ("D", "y", 90)]:
        rows += [{"rep_id": rep, "team": team, "level": "senior", "month": pd.Timestamp(
            2027, m, 1), "revenue": rev, "revenue_target": 100} for m in (1, 4, 7, 10)]
    table = payout(plan, pd.DataFrame(rows))
    by = table.pivot_table(index="rep_id", columns="component", values="amount",
                           aggfunc="sum")
    # team x attains 110%, team y 85%: the pool pays x's members 500 a quarter
    assert by["pool"].to_dict() == {"A": 2_000, "B": 2_000, "C": 0, "D": 0}
    assert (table.loc[table["component"] == "pool", "type"] == "pool").all()
    reasons = table.loc[(table["component"] == "pool") & (table["rep_id"] == "A"), "reason"]
    assert set(reasons) == {"team at 100% of target or more"}
    with pytest.raises(Exception, match="team"):  # a team kind needs the team column
        payout(plan, pd.DataFrame(rows).drop(columns="team"))

    curve = payout_curve(plan, "senior", None, np.array([0.5, 1.0]))
    assert curve["pool"].tolist() == [0, 2_000]

    without = plan_of(BONUS, name="without")
    sim = simulate([plan, without], sample, n=64, seed=1)
    pool_paid = sim.stats["t"]["components"][:, 1]
    assert pool_paid.mean() > 0
    np.testing.assert_allclose(sim.stats["t"]["cost"] - sim.stats["without"]["cost"],
                               pool_paid, rtol=1e-6)  # pay is summed in float32
