"""Guardrails and quota-to-OTE: each check pinned on a small plan built here, and the sample
plans' known problem (the junior CSAT gate) reported."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.incentives import (
    PLANS_DIR,
    QUOTA_TO_OTE,
    Plan,
    default_levels,
    default_targets,
    guardrails,
    level_targets,
    load_plans,
    metrics,
    quota_to_ote,
    simulate,
)
from helpers.schema import LEVELS

TYPICAL = {lv: {"revenue": 1_000_000.0, "new_customers": 10.0, "csat": 80.0} for lv in LEVELS}
SMOOTH = {"threshold": {"attainment": 0.0, "payout": 0.0},
          "target": {"attainment": 1.0, "payout": 1.0},
          "cap": {"attainment": 3.0, "payout": 3.0}}


def plan_of(*components, base=None, **kw) -> Plan:
    levels = {lv: {"target_incentive": 10_000, **({"base_salary": base} if base else {})}
              for lv in LEVELS}
    return Plan.from_dict({"name": "t", "levels": levels, "components": list(components),
                           **kw})


def bonus(curve=None, **kw) -> dict:
    return {"name": "b", "type": "bonus", "measure": "revenue", "weight": 1.0,
            "curve": curve or SMOOTH, **kw}


def checks(table, level="senior") -> dict[str, str]:
    rows = table[table["level"] == level]
    return dict(zip(rows["check"], rows["detail"], strict=True))


def test_a_plan_without_problems_has_no_findings():
    assert guardrails(plan_of(bonus()), TYPICAL).empty
    assert list(guardrails(plan_of(bonus()), TYPICAL).columns) == ["plan", "level", "check",
                                                                    "detail"]


def test_a_gate_above_the_levels_typical_value_is_reported():
    plan = plan_of(bonus(gates=[{"measure": "csat", "min": 85}]),
                   draw={"amount": 500, "recoverable": False})
    found = checks(guardrails(plan, TYPICAL))
    assert set(found) == {"gate", "pay at target"}  # the draw alone is far off the TI
    assert "csat 80" in found["gate"] and "csat >= 85" in found["gate"]
    assert "'b'" in found["gate"] and "(the draw only)" in found["gate"]
    assert "2,000, 2,000, 2,000" in found["gate"]  # the draw, 500 a quarter, at 80/100/120%


def test_a_gate_passed_by_a_hair_is_reported_apart():
    plan = plan_of(bonus(gates=[{"measure": "csat", "min": 79.5}]))
    found = checks(guardrails(plan, TYPICAL))
    assert set(found) == {"gate margin"} and "by only 0.5" in found["gate margin"]
    assert guardrails(plan, TYPICAL, gate_margin=0.001).empty


def test_a_cliff_is_reported_where_it_is():
    step = {"shape": "step", "threshold": {"attainment": 0.8, "payout": 0.5},
            "target": {"attainment": 1.0, "payout": 1.0}}
    found = checks(guardrails(plan_of(bonus(step)), TYPICAL))
    assert "cliff" in found and "between 79% and 80% attainment" in found["cliff"]
    assert "(50% of the target incentive)" in found["cliff"]
    assert "cliff" not in checks(guardrails(plan_of(bonus(step)), TYPICAL, cliff=0.6))


def test_a_negative_marginal_rate_is_reported():
    modifier = {"measure": "revenue", "basis": "attainment",
                "bands": [{"from": 0.0, "multiplier": 1.0}, {"from": 1.2, "multiplier": 0.5}]}
    found = checks(guardrails(plan_of(bonus(modifier=modifier)), TYPICAL))
    assert "negative marginal" in found
    assert "between 119% and 120%" in found["negative marginal"]


def test_pay_at_target_off_the_target_incentive_is_reported():
    rate = {"name": "c", "type": "commission", "measure": "revenue",
            "tiers": [{"from": 0, "rate": 0.03}]}  # 30,000 at a 1M target, TI 10,000
    found = checks(guardrails(plan_of(rate), TYPICAL))
    assert set(found) == {"pay at target"}
    assert "earns 30,000, 200% above the target incentive of 10,000" in found["pay at target"]
    assert guardrails(plan_of(rate), TYPICAL, tolerance=2.5).empty


def test_a_cap_most_reps_hit_is_reported(sample):
    low_cap = {"threshold": {"attainment": 0.0, "payout": 0.0},
               "target": {"attainment": 0.5, "payout": 1.0},
               "cap": {"attainment": 0.6, "payout": 1.2}}
    plans = {"low cap": plan_of(bonus(low_cap)).replace(name="low cap"),
             "smooth": plan_of(bonus()).replace(name="smooth")}
    sim = simulate(plans, sample, n=32)
    table = guardrails(plans, sim.level_targets, sim)
    caps = table[table["check"] == "cap"]
    assert set(caps["plan"]) == {"low cap"}
    assert set(caps["level"]) == set(sim.reps["level"].dropna())
    assert caps["detail"].str.contains("of 'b' (12,000 a year; more than 20%)",
                                       regex=False).all()
    assert guardrails(plans, sim.level_targets).query("check == 'cap'").empty  # no sim
    assert guardrails(plans, sim.level_targets, sim, cap_share=1.0).query(
        "check == 'cap'").empty


@pytest.fixture(scope="module")
def sample_inputs(sample):
    plans = load_plans(PLANS_DIR)
    targets = default_targets(sample, sample.plan_year,
                              measures=["revenue", "new_customers", "csat"])
    return plans, level_targets(targets, default_levels(sample))


def test_the_sample_junior_csat_gate_is_reported(sample_inputs):
    """The tiered plan gates its commission at csat 70. The sample's typical junior passes
    it with room (about 76: no gate check); just above 70 it is a gate margin, and at 68
    the gate stops the commission."""
    plans, typical = sample_inputs
    assert typical["junior"]["csat"] >= 70 * 1.02
    table = guardrails(plans, typical)
    junior = table[(table["plan"] == "Tiered commission") & (table["level"] == "junior")]
    assert not {"gate", "gate margin"} & set(junior["check"])
    near = {lv: dict(t) for lv, t in typical.items()}
    near["junior"]["csat"] = 70.5
    found = checks(guardrails(plans["Tiered commission"], near), "junior")
    assert "csat >= 70 of 'revenue commission'" in found["gate margin"]
    low = {lv: dict(t) for lv, t in typical.items()}
    low["junior"]["csat"] = 68.0
    found = checks(guardrails(plans["Tiered commission"], low), "junior")
    assert "csat 68" in found["gate"] and "'revenue commission'" in found["gate"]


def test_quota_to_ote_against_the_usual_range(sample_inputs):
    plans, typical = sample_inputs
    table = quota_to_ote(plans, typical).set_index(["plan", "level"])
    current = table.loc["Current plan"]
    assert current.loc["junior", "quota_to_ote"] == pytest.approx(
        typical["junior"]["revenue"] / (52_000 + 18_000))
    assert current.loc["junior", "quota_to_ote"] == pytest.approx(7.33, abs=0.05)
    assert current.loc["top", "quota_to_ote"] == pytest.approx(12.57, abs=0.05)
    assert QUOTA_TO_OTE == (4.0, 6.0)
    assert current["note"].str.contains("above the usual 4–6×").all()
    within = quota_to_ote(plan_of(bonus(), base=190_000), TYPICAL)  # 1M / 200k = 5×
    assert (within["quota_to_ote"] == 5.0).all() and (within["note"] == "").all()
    below = quota_to_ote(plan_of(bonus(), base=290_000), TYPICAL)
    assert below["note"].str.contains("below the usual").all()
    unknown = quota_to_ote(plan_of(bonus()), TYPICAL)  # no base salary
    assert unknown["quota_to_ote"].isna().all()
    assert unknown["note"].str.contains("no base salary").all()


def test_total_cost_of_sales_is_unknown_without_a_base_salary(sample):
    m = metrics(simulate(plan_of(bonus()), sample, n=16))
    assert np.isnan(m.loc["t", "base_salaries"]) and np.isnan(m.loc["t", "total_cost_of_sales"])
    assert m.loc["t", "variable_cost_of_sales"] > 0
