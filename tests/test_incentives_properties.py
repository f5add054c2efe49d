"""Properties of the payout engine that must hold for any plan of the right shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.incentives.engine import Inputs, rate_table, run
from helpers.incentives.plan import Plan
from helpers.schema import LEVELS

money = st.floats(0, 5e6, allow_nan=False)


@st.composite
def tier_tables(draw, increasing: bool = False):
    """A valid rate table: ascending bounds from 0 and non-negative rates."""
    k = draw(st.integers(1, 5))
    widths = draw(st.lists(st.floats(1, 1e6), min_size=k - 1, max_size=k - 1))
    bounds = np.concatenate([[0.0], np.cumsum(widths)]).round(2)
    rates = draw(st.lists(st.floats(0, 0.5), min_size=k, max_size=k))
    if increasing:
        rates = sorted(rates)
    tiers = [{"from": float(lo), "rate": r} for lo, r in zip(bounds, rates, strict=True)]
    return plan_with({"name": "c", "type": "commission", "measure": "revenue", "tiers": tiers})


def plan_with(*components, **kw) -> Plan:
    return Plan.from_dict({"name": "p", "period": "quarter",
                           "levels": {lv: {"target_incentive": 20_000} for lv in LEVELS},
                           "components": list(components), **kw})


def amounts(draw_list) -> np.ndarray:
    return np.sort(np.array(draw_list, dtype=np.float64))


@settings(max_examples=60, deadline=None)
@given(tier_tables(increasing=True), st.lists(money, min_size=2, max_size=30),
       st.sampled_from(["marginal", "retroactive"]))
def test_commission_never_falls_as_sales_rise_with_increasing_rates(plan, xs, mode):
    pay, _ = rate_table(amounts(xs), plan.components[0].tiers, mode)
    assert (np.diff(pay) >= -1e-6).all()


@settings(max_examples=60, deadline=None)
@given(tier_tables(), st.lists(money, min_size=2, max_size=30))
def test_marginal_commission_is_monotone_for_any_rates(plan, xs):
    pay, _ = rate_table(amounts(xs), plan.components[0].tiers, "marginal")
    assert (np.diff(pay) >= -1e-6).all()


@settings(max_examples=60, deadline=None)
@given(tier_tables(increasing=True), st.lists(money, min_size=1, max_size=30))
def test_marginal_never_exceeds_retroactive_when_rates_increase(plan, xs):
    x = np.array(xs)
    tiers = plan.components[0].tiers
    marginal, _ = rate_table(x, tiers, "marginal")
    retro, _ = rate_table(x, tiers, "retroactive")
    assert (marginal <= retro + 1e-6).all()


def sim_inputs(rng, s: int, r: int, p: int = 4) -> Inputs:
    revenue = rng.lognormal(np.log(250_000), 0.5, (p, s, r))
    customers = rng.poisson(5, (p, s, r)).astype(float)
    return Inputs({"revenue": revenue, "new_customers": customers,
                   "csat": rng.uniform(50, 100, (p, s, r))},
                  {"revenue": np.full((p, 1, r), 250_000.0),
                   "new_customers": np.full((p, 1, r), 5.0),
                   "csat": np.full((p, 1, r), 78.0)},
                  rng.integers(0, len(LEVELS), r), rng.integers(0, 3, r))


CAPPED = {"name": "c", "type": "commission", "measure": "revenue", "basis": "attainment",
          "tiers": [{"from": 0, "to": 1, "rate": 0.03}, {"from": 1, "rate": 0.08}],
          "gates": [{"measure": "csat", "min": 70}]}
BONUS = {"name": "b", "type": "bonus", "measure": "new_customers", "weight": 1,
         "curve": {"threshold": {"attainment": 0.8, "payout": 0.5},
                   "target": {"attainment": 1, "payout": 1},
                   "cap": {"attainment": 1.5, "payout": 2}}}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1_000, 200_000), st.booleans())
def test_caps_hold_for_any_results(seed, cap, true_up):
    plan = plan_with(CAPPED | {"cap_payout": cap}, BONUS, true_up=true_up)
    out = run(plan, sim_inputs(np.random.default_rng(seed), 20, 15))
    yearly = out.paid["c"].sum(axis=0)
    assert (yearly <= cap + 1e-6).all()
    assert (out.paid["c"] >= -1e-9).all() and (out.paid["b"] >= -1e-9).all()
    # a bonus never pays above its curve's cap: 2 x target incentive over the year
    assert (out.paid["b"].sum(axis=0) <= 2 * 20_000 + 1e-6).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 3.0))
def test_more_results_never_pay_less(seed, lift):
    """Scaling every rep's results up, period by period, never lowers a monotone plan's pay."""
    plan = plan_with({**CAPPED, "gates": []}, BONUS, true_up=True)
    data = sim_inputs(np.random.default_rng(seed), 10, 12)
    more = Inputs({m: v * lift for m, v in data.actual.items()}, data.target, data.level,
                  data.team)
    low = run(plan, data).total.sum(axis=0)
    high = run(plan, more).total.sum(axis=0)
    assert (high >= low - 1e-6).all()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_engine_is_deterministic_and_scenario_independent(seed):
    """Same inputs, same pay; and each scenario's pay depends on that scenario alone."""
    plan = plan_with(CAPPED | {"cap_payout": 50_000}, BONUS)
    data = sim_inputs(np.random.default_rng(seed), 8, 10)
    a, b = run(plan, data), run(plan, data)
    np.testing.assert_array_equal(a.total, b.total)
    one = Inputs({m: v[:, 3:4] for m, v in data.actual.items()}, data.target, data.level,
                 data.team)
    np.testing.assert_allclose(run(plan, one).total[:, 0], a.total[:, 3])


# ------------------------------------------------- the engine against a plain loop


def loop_payout(plan: Plan, revenue, customers, csat, targets, level) -> np.ndarray:
    """Reference: one rep, one period at a time, the way a spreadsheet would do it."""
    comm, bon = plan.components
    p = len(revenue)
    paid_c, paid_b, out = 0.0, 0.0, []
    balance = 0.0
    for i in range(p):
        ytd = plan.true_up
        a = sum(revenue[: i + 1]) if ytd else revenue[i]
        t = sum(targets["revenue"][: i + 1]) if ytd else targets["revenue"][i]
        nc = sum(customers[: i + 1]) if ytd else customers[i]
        nt = sum(targets["new_customers"][: i + 1]) if ytd else targets["new_customers"][i]
        cs = np.mean(csat[: i + 1]) if ytd else csat[i]
        att = a / t
        earned_c = 0.0
        for tier in comm.tiers:  # marginal tiers on attainment, as amounts of target
            hi = tier.hi if tier.hi is not None else np.inf
            earned_c += tier.rate * max(0.0, min(att, hi) - tier.lo) * t
        if cs < comm.gates[0].min:
            earned_c = 0.0
        a_nc = nc / nt
        pts = [(x, y) for _, x, y in bon.curve.points]
        if a_nc < pts[0][0]:
            mult = 0.0
        elif a_nc >= pts[-1][0]:
            mult = pts[-1][1]
        else:
            k = max(j for j in range(len(pts)) if pts[j][0] <= a_nc)
            (x0, y0), (x1, y1) = pts[k], pts[k + 1]
            mult = y0 + (y1 - y0) * (a_nc - x0) / (x1 - x0)
        share = (i + 1) / p if ytd else 1 / p
        earned_b = mult * plan.target_incentive(level) * bon.weight[level] * share
        if ytd:
            new_c = min(max(paid_c, earned_c), comm.cap_payout) - paid_c
            new_b = max(paid_b, earned_b) - paid_b
        else:
            new_c = min(paid_c + earned_c, comm.cap_payout) - paid_c
            new_b = earned_b
        paid_c, paid_b = paid_c + new_c, paid_b + new_b
        earned = new_c + new_b
        floor = plan.draw.amount if (i + 1) in plan.draw.periods else 0.0
        available = earned - balance
        pay = max(available, floor)
        balance = pay - available
        out.append(pay)
    return np.array(out)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.floats(5_000, 80_000))
def test_vectorised_engine_matches_a_per_rep_loop(seed, true_up, cap):
    plan = plan_with(
        CAPPED | {"cap_payout": cap, "weight": 0.5,
                  "tiers": [{"from": 0, "to": 0.5, "rate": 0.02}, {"from": 0.5, "to": 1.0,
                                                                    "rate": 0.05},
                            {"from": 1.0, "rate": 0.09}]},
        BONUS | {"weight": 0.5}, true_up=true_up,
        draw={"amount": 3_000, "recoverable": True, "periods": [1, 2]})
    rng = np.random.default_rng(seed)
    data = sim_inputs(rng, 3, 7)
    total = run(plan, data).total  # (P, S, R)
    for s in range(3):
        for r in range(7):
            level = LEVELS[data.level[r]]
            targets = {m: data.target[m][:, 0, r] for m in data.target}
            want = loop_payout(plan, data.actual["revenue"][:, s, r],
                               data.actual["new_customers"][:, s, r],
                               data.actual["csat"][:, s, r], targets, level)
            np.testing.assert_allclose(total[:, s, r], want, rtol=1e-9, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_row_ranks_match_scipy_with_ties(rows, cols, seed):
    from scipy.stats import rankdata

    from helpers.ranking import rank_rows
    x = np.random.default_rng(seed).integers(0, 5, (rows, cols)).astype(float)  # many ties
    np.testing.assert_array_equal(rank_rows(x), rankdata(x, axis=1))
    # float noise from summation order is a tie under a tolerance, never a rank
    noisy = x * (1 + np.random.default_rng(seed + 1).uniform(-1e-15, 1e-15, x.shape))
    np.testing.assert_array_equal(rank_rows(noisy, rtol=1e-12), rankdata(x, axis=1))
    np.testing.assert_array_equal(rank_rows(x[0], rtol=1e-12), rankdata(x[0]))
    padded = np.where(x > 3, np.inf, x)  # infinities tie with each other, never with a number
    np.testing.assert_array_equal(rank_rows(padded, rtol=1e-12), rankdata(padded, axis=1))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(2, 300), st.integers(0, 2**32 - 1),
       st.integers(-1000, 1000))
def test_row_ranks_exact_for_values_a_few_bits_apart(rows, cols, seed, exponent):
    """Values that differ only in their last bits (one sort cannot tell them apart by its
    high bits), zeros of both signs and infinities rank as scipy ranks them, and a
    tolerance gives each value the same rank wherever it stands in the row."""
    from scipy.stats import rankdata

    from helpers.ranking import SAME, rank_rows
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0]) * 2.0 ** exponent * (
        1 + rng.integers(-8, 8, (rows, cols)) * 2.0 ** -50 + rng.integers(0, 3, (rows, cols)))
    for value, share in ((np.inf, 0.1), (-np.inf, 0.05), (0.0, 0.05), (-0.0, 0.05)):
        x[rng.random(x.shape) < share] = value
    np.testing.assert_array_equal(rank_rows(x), rankdata(x, axis=1))
    perm = rng.permutation(cols)
    for rtol in (0.0, SAME, 1e-6):
        np.testing.assert_array_equal(rank_rows(x[:, perm], rtol), rank_rows(x, rtol)[:, perm])


def _ranks_by_the_rule(x: np.ndarray, rtol: float) -> np.ndarray:
    """The ranking rule written out plainly: sort each row exactly, tie each neighbour
    within rtol of the larger (or equal), give each tie group its mean position."""
    out = np.empty(x.shape)
    for i, row in enumerate(x):
        order = np.argsort(row, kind="stable")
        v = row[order]
        with np.errstate(invalid="ignore", over="ignore"):
            gap = v[1:] - v[:-1]
            tie = ((gap <= rtol * np.abs(v[1:])) & np.isfinite(gap)) | (v[1:] == v[:-1])
        group = np.concatenate(([0], np.cumsum(~tie)))
        mean = np.bincount(group, np.arange(1.0, len(v) + 1)) / np.bincount(group)
        out[i, order] = mean[group]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3000), st.integers(0, 2**32 - 1),
       st.sampled_from(["noise", "few", "boundary", "whole", "wide"]))
def test_row_ranks_follow_the_rule_near_the_tolerance(rows, cols, seed, kind):
    """Float-noise duplicates (a few, or rows full of them), neighbours just inside and just
    outside SAME, whole numbers and values spanning the float range rank as the rule
    says, whichever way the sort finds them (links checked sparsely, densely, or resorted)."""
    from helpers.ranking import SAME, rank_rows
    rng = np.random.default_rng(seed)
    base = rng.integers(0, max(2, cols // 8), (rows, cols)) * 0.1 + 80
    if kind == "noise":  # sums of a tenth in another order: a few ulps apart
        x = base * (1 + rng.integers(-3, 4, (rows, cols)) * 2.0 ** -52)
    elif kind == "few":  # distinct values, a few of them repeated a few ulps apart
        x = rng.uniform(1, 2, (rows, cols))
        copy = rng.random(x.shape) < 0.005
        x[copy] = x[0, 0] * (1 + rng.integers(-3, 4, copy.sum()) * 2.0 ** -52)
    elif kind == "boundary":  # relative gaps from 0.1 to 4 SAME
        x = base * (1 + rng.integers(0, 40, (rows, cols)) * 0.1 * SAME)
    elif kind == "whole":
        x = rng.integers(-3, 4, (rows, cols)).astype(float)
    else:
        x = rng.choice([-1.0, 1.0], (rows, cols)) * 10.0 ** rng.uniform(-310, 308, (rows, cols))
    x[rng.random(x.shape) < 0.02] = np.inf
    for rtol in (0.0, SAME, 1e-6):
        np.testing.assert_array_equal(rank_rows(x, rtol), _ranks_by_the_rule(x, rtol))
