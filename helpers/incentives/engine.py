"""The payout engine: what a plan pays, vectorised over scenarios × reps × periods.

Every array is shaped (P, S, R): plan periods, scenarios, reps (period-major, so running
totals over the year walk contiguous memory, and per-rep arrays broadcast as they are).
`run` works for one scenario (a replay, a statement) and for a chunk of thousands (the
Monte Carlo) with the same code, so what the simulation prices is exactly what a rep's
statement shows. The only Python loops are over periods (running totals, the draw's carried
balance) and over a plan's few tiers; never over reps or scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..numbers import divide_or_zero as _ratio  # attainment with no target is 0 (not NaN)
from ..schema import LEVELS
from .plan import MEASURES, Component, Plan, Tier

REASON_FIELDS = ("tier", "gate_ok", "cap_hit", "multiplier", "capped_att", "rank")


@dataclass
class Inputs:
    """Period values and targets of one plan year, as arrays.

    actual[m]: (P, S, R) values per plan period (sum, or mean for scores like csat);
    target[m]: (P, 1, R) targets per period; level: (R,) index into LEVELS; team: (R,) team
    index; tx_raw: per-transaction commission already computed row by row, by component.
    """

    actual: dict[str, np.ndarray]
    target: dict[str, np.ndarray]
    level: np.ndarray
    team: np.ndarray | None = None
    tx_raw: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return next(iter(self.actual.values())).shape


@dataclass
class Outcome:
    """What `run` returns: paid per component (P, S, R), the draw, and why (when asked)."""

    paid: dict[str, np.ndarray]
    draw: np.ndarray | None
    draw_balance: np.ndarray | None
    info: dict[str, dict[str, np.ndarray]]

    @property
    def total(self) -> np.ndarray:
        total = sum(self.paid.values())
        return total + self.draw if self.draw is not None else total


# ----------------------------------------------------------------------- rate tables


TOLERANCE = 1e-9


def _below(bound: float) -> float:
    """A bound lowered by a relative hair, so a value that should equal it but lost the last
    bit to rounding (a year-to-date sum, 0.8 * target / target) still counts as reaching it."""
    return bound - TOLERANCE * max(1.0, abs(bound))


def _above(bound: float) -> float:
    return bound + TOLERANCE * max(1.0, abs(bound))


def tier_index(u: np.ndarray, tiers: tuple[Tier, ...], boundary: str) -> np.ndarray:
    """1-based tier reached by `u` (0 = below the first tier).

    lower_inclusive: a value equal to a tier's `from` is in that tier ([from, to)), as
    Oracle Incentive Compensation pays an amount equal to one tier's To and the next one's
    From at the higher rate. upper_inclusive: (from, to], the value stays in the lower tier.
    """
    idx = np.zeros(u.shape, dtype=np.int8)
    for t in tiers:
        idx += (u >= _below(t.lo)) if boundary == "lower_inclusive" else (u > _above(t.lo))
    return idx


def rate_table(u: np.ndarray, tiers: tuple[Tier, ...], mode: str,
               boundary: str = "lower_inclusive",
               index: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Pay `u` through a rate table; returns (payout, tier reached or None if not `index`).

    marginal: each slice of u at its own tier's rate (step rates; "split nonproportionally").
    retroactive: all of u at the rate of the tier reached (flat; "rate not split").
    interpolated: an amount table: each full tier pays its `amount`, a partial tier the same
    share of it (a proportional split), so payout is piecewise linear in u.
    Above the last tier's `to` nothing more is credited.
    """
    end = tiers[-1].hi
    if end is not None:
        u = np.minimum(u, np.asarray(end, dtype=u.dtype))
    idx = tier_index(u, tiers, boundary) if index or mode == "retroactive" else None
    if mode == "retroactive":
        rates = np.array([0.0] + [t.rate for t in tiers], dtype=u.dtype)
        return rates[idx] * u, idx
    # tiers are contiguous, so the table is piecewise linear: a sum of ramps max(u - from, 0),
    # each with the change of rate at its tier (fewer passes than clipping every tier)
    out, filled, rate = None, np.empty_like(u), 0.0
    for t in tiers:
        slope = t.rate if mode == "marginal" else t.amount / (np.inf if t.hi is None
                                                               else t.hi - t.lo)
        step, rate = slope - rate, slope
        if step == 0:
            continue
        ramp = filled if out is not None else np.empty_like(u)
        np.subtract(u, np.asarray(t.lo, dtype=u.dtype), out=ramp)
        np.maximum(ramp, 0, out=ramp)
        ramp *= np.asarray(step, dtype=u.dtype)
        if out is None:
            out = ramp
        else:
            out += ramp
    return (np.zeros_like(u) if out is None else out), idx


def curve_payout(att: np.ndarray, comp: Component,
                 index: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Bonus multiple of target incentive at attainment `att`; returns (multiple, point reached).

    Nothing below the threshold (or the first point); linear interpolates between points and
    stays flat after the last one; step pays the value of the last point reached.
    """
    pts = comp.curve.points
    a = np.array([p[1] for p in pts], dtype=att.dtype)
    y = np.array([p[2] for p in pts], dtype=att.dtype)
    reached = None
    if index or comp.curve.shape == "step":
        reached = np.zeros(att.shape, dtype=np.int8)
        for x in a:
            reached += att >= _below(x)
    if comp.curve.shape == "step":
        return np.concatenate([[0], y]).astype(att.dtype)[reached], reached
    # linear: the curve on attainment clipped to the points, as a sum of ramps (one per
    # change of slope), zero below the threshold
    out = np.clip(att, a[0], a[-1])
    slopes = np.diff(y) / np.diff(a)
    bends = np.zeros_like(att) if len(slopes) > 1 else None
    ramp = np.empty_like(att) if len(slopes) > 2 else bends
    for k in range(len(slopes) - 1, 0, -1):  # each bend adds a ramp (cheaper than np.interp)
        np.subtract(out, a[k], out=ramp)
        np.maximum(ramp, 0, out=ramp)
        ramp *= slopes[k] - slopes[k - 1]
        if ramp is not bends:
            bends += ramp
    out -= a[0]  # the first segment's line, in place on the clipped attainment
    out *= slopes[0] if len(slopes) else 0
    out += y[0]
    if bends is not None:
        out += bends
    out *= att >= _below(a[0])  # nothing below the threshold
    return out, reached


# ------------------------------------------------------------------------------ run


def _ytd(x: np.ndarray, measure: str) -> np.ndarray:
    """Year to date along the period axis: a running sum, or running mean for scores."""
    total = _running(x, np.add)
    if MEASURES[measure] == "mean":
        total /= np.arange(1, x.shape[0] + 1, dtype=x.dtype)[:, None, None]
    return total


def _running(x: np.ndarray, op: np.ufunc, inplace: bool = False) -> np.ndarray:
    """Running total (np.add) or running max (np.maximum) over periods, period by period
    (faster than ufunc.accumulate on a short leading axis); `inplace` for a scratch array."""
    out = x if inplace else np.array(x, dtype=x.dtype, copy=True)
    for i in range(1, len(out)):
        op(out[i - 1], out[i], out=out[i])
    return out


class _Window:
    """Values and targets as a component reads them: YTD under true-up, else the period."""

    def __init__(self, plan: Plan, data: Inputs):
        self.data, self.ytd = data, plan.true_up and data.shape[0] > 1
        self.cache: dict = {}

    def get(self, measure: str, team: bool = False) -> tuple[np.ndarray, np.ndarray]:
        key = (measure, team, self.ytd)
        if key not in self.cache:
            a, t = self.data.actual[measure], self.data.target[measure]
            if team:
                a = _team_total(a, self.data.team)
                t = _team_total(np.broadcast_to(t, a.shape), self.data.team)
            if self.ytd:
                a, t = _ytd(a, measure), _ytd(t, measure)
            self.cache[key] = (a, t)
        return self.cache[key]

    def attainment(self, measure: str, team: bool = False) -> np.ndarray:
        key = ("attainment", measure, team, self.ytd)
        if key not in self.cache:
            self.cache[key] = _ratio(*self.get(measure, team))
        return self.cache[key]

    def value(self, measure: str, basis: str) -> np.ndarray:
        return self.get(measure)[0] if basis == "value" else self.attainment(measure)


def _team_total(x: np.ndarray, team: np.ndarray) -> np.ndarray:
    """Each rep's team total (P, S, R): team sums by a one-hot product, then back to reps."""
    onehot = np.zeros((len(team), team.max() + 1), dtype=x.dtype)
    onehot[np.arange(len(team)), team] = 1
    return (x @ onehot)[..., team]


def run(plan: Plan, data: Inputs, reasons: bool = False) -> Outcome:
    """Pay every component of `plan` on `data`; with `reasons`, also keep why (tier, gates...)."""
    p, s, r = data.shape
    dtype = next(iter(data.actual.values())).dtype
    window = _Window(plan, data)
    ti = np.array([plan.target_incentive(lv) for lv in LEVELS], dtype=dtype)[data.level]
    paid, info = {}, {}
    for comp in plan.components:
        eligible = np.isin(np.array(LEVELS), comp.levels)[data.level]  # (R,)
        why: dict[str, np.ndarray] = {}
        if comp.type in ("commission", "bonus"):
            earned = _earn(comp, data, window, ti, why, reasons)
            if not eligible.all():
                earned *= eligible
            cum = _running(earned, np.maximum if window.ytd and comp.per == "period"
                           else np.add, inplace=True)  # earned is ours
            if comp.cap_payout is not None:
                if reasons:
                    why["cap_hit"] = cum > comp.cap_payout
                np.minimum(cum, np.asarray(comp.cap_payout, dtype=dtype), out=cum)
            out = cum
            for i in range(p - 1, 0, -1):  # back to per-period payments, in place
                out[i] -= out[i - 1]
        elif comp.type == "spif":
            out = _spif(comp, data, p, dtype) * eligible
        else:
            out = _contest(comp, data, eligible, why)
        paid[comp.name] = out
        if reasons:
            info[comp.name] = why
    draw, balance = _draw(plan, data, paid)
    return Outcome(paid, draw, balance, info)


def _earn(comp: Component, data: Inputs, window: _Window, ti: np.ndarray, why: dict,
          reasons: bool) -> np.ndarray:
    """Earned to date (YTD under true-up, else in the period), before caps on payout."""
    if comp.per == "transaction":
        earned = data.tx_raw[comp.name].copy()  # modified in place below
        a, t = data.actual[comp.measure], data.target[comp.measure]
        att = _ratio(a, t)
    else:
        a, t = window.get(comp.measure, comp.team)
        att = window.attainment(comp.measure, comp.team)
    why.update(attainment=att, value=a, target=t)
    if comp.type == "commission" and comp.per == "period":
        credited = a
        if comp.cap_attainment is not None:
            credited = np.minimum(a, comp.cap_attainment * t)
            why["cap_att_hit"] = att > comp.cap_attainment
        if comp.basis == "amount":
            earned, why["tier"] = rate_table(credited, comp.tiers, comp.mode, comp.boundary,
                                             reasons)
        else:
            u = att if comp.cap_attainment is None else _ratio(credited, t)
            earned, why["tier"] = rate_table(u, comp.tiers, comp.mode, comp.boundary, reasons)
            if comp.mode != "interpolated":
                earned *= t
    elif comp.type == "bonus":
        credited = att if comp.cap_attainment is None else np.minimum(att, comp.cap_attainment)
        if comp.cap_attainment is not None:
            why["cap_att_hit"] = att > comp.cap_attainment
        multiple, why["tier"] = curve_payout(credited, comp, reasons)
        n = data.shape[0]
        share = (np.arange(1, n + 1) / n if window.ytd else np.full(n, 1 / n)).astype(att.dtype)
        weight = np.array([comp.weight.get(lv, 0.0) for lv in LEVELS], att.dtype)[data.level]
        multiple *= share[:, None, None] * (ti * weight)  # one pass: the factor is (P, 1, R)
        earned = multiple
    if comp.gates:
        ok = None
        for g in comp.gates:
            passed = window.value(g.measure, g.basis) >= _below(g.min)
            ok = passed if ok is None else ok & passed
        why["gate_ok"] = ok
        earned *= ok
    if comp.modifier:
        m = comp.modifier
        v = window.value(m.measure, m.basis)
        lows = np.array([b[0] for b in m.bands])
        mults = np.array([1.0] + [b[1] for b in m.bands], dtype=earned.dtype)
        band = np.zeros(v.shape, dtype=np.int8)
        for lo in lows:
            band += v >= _below(lo)
        why["multiplier"] = mults[band]
        earned = earned * why["multiplier"]
    return earned


def transaction_commission(comp: Component, amount: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Commission when each transaction is paid on its own: count × table(amount / count).

    A row holding one deal (count 1) is exact; a month holding n deals is paid as n equal
    deals of its average size, the best history can do without deal-level data.
    """
    n = np.maximum(count, 1).astype(amount.dtype)
    each, _ = rate_table(amount / n, comp.tiers, comp.mode, comp.boundary)
    return np.where(amount > 0, each * n, 0)


def _spif(comp: Component, data: Inputs, p: int, dtype) -> np.ndarray:
    v = data.actual[comp.measure]
    hit = v >= comp.min if comp.min else v > 0
    out = np.where(hit, comp.per_unit * v + comp.amount, 0).astype(dtype, copy=False)
    if comp.periods:
        out = out * np.isin(np.arange(1, p + 1), comp.periods).astype(dtype)[:, None, None]
    return out


def _contest(comp: Component, data: Inputs, eligible: np.ndarray, why: dict) -> np.ndarray:
    """Top-N of the year's value (or attainment) win prizes[0..N-1], paid in the last period.

    Ties go to the rep listed first (a stable sort), so a replay is reproducible.
    """
    a = data.actual[comp.measure]
    p, s, r = a.shape
    mean = MEASURES[comp.measure] == "mean"
    score = a.mean(axis=0) if mean else a.sum(axis=0)  # (S, R)
    if comp.basis == "attainment":
        t = data.target[comp.measure]
        score = _ratio(score, t.mean(axis=0) if mean else t.sum(axis=0))
    score = np.where(eligible, score, -np.inf)
    n = min(len(comp.prizes), r)
    if s * r <= 1_000_000:
        top = np.argsort(-score, axis=1, kind="stable")[:, :n]
    else:  # large simulations: partition, then order the few winners
        top = np.argpartition(-score, n - 1, axis=1)[:, :n]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(score, top, 1), 1), 1)
    rank = np.zeros((s, r), dtype=np.int16)
    np.put_along_axis(rank, top, np.arange(1, n + 1, dtype=np.int16)[None, :], axis=1)
    rank = np.where(eligible, rank, 0)
    prizes = np.array((0.0, *comp.prizes[:n]), dtype=a.dtype)
    why["rank"] = np.zeros(a.shape, dtype=np.int16)
    why["rank"][-1] = rank  # the contest is decided (and paid) in the last period
    out = np.zeros(a.shape, dtype=a.dtype)
    out[-1] = prizes[rank]
    return out


def _draw(plan: Plan, data: Inputs, paid: dict[str, np.ndarray]):
    """Top up each period to the draw; a recoverable draw is repaid from later earnings.

    Returns (adjustment per period: + top-up, - recovery; balance still owed after each period).
    """
    d = plan.draw
    if d is None:
        return None, None
    earned = sum(paid.values())
    p, s, r = earned.shape
    eligible = np.isin(np.array(LEVELS), d.levels)[data.level]
    periods = d.periods or tuple(range(1, p + 1))
    adjust = np.zeros_like(earned)
    owed = np.zeros_like(earned)
    balance = np.zeros((s, r), dtype=earned.dtype)
    for i in range(p):  # a recursion in time; vectorised over scenarios and reps
        floor = np.where(eligible, d.amount, 0) if i + 1 in periods else 0
        e = earned[i]
        if d.recoverable:
            available = e - balance
            pay = np.maximum(available, floor)
            balance = pay - available
        else:
            pay = np.maximum(e, floor)
        adjust[i] = pay - e
        owed[i] = balance
    return adjust, owed
