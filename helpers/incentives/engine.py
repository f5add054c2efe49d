"""The payout engine: what a plan pays, vectorised over scenarios × reps × periods.

Every array is shaped (P, S, R): plan periods, scenarios, reps (period-major, so running
totals over the year walk contiguous memory, and per-rep arrays broadcast as they are).
`run` works for one scenario (a replay, a statement) and for a chunk of thousands (the
Monte Carlo) with the same code, so what the simulation prices is exactly what a rep's
statement shows. The only Python loops are over periods (running totals, the draw's carried
balance), over a plan's components and over their few tiers; never over reps or scenarios.

The engine knows no kind of component: `run` asks each component of the plan to `earn` on a
`Context` (the plan's arrays as a component reads them); each kind, in `components.py`, does
its own arithmetic with the tools here (rate tables, curves, running totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..numbers import divide_or_zero as ratio  # attainment with no target is 0 (not NaN)
from ..schema import LEVELS
from .model import MEASURES, Curve, Tier

if TYPE_CHECKING:
    from .plan import Plan

REASON_FIELDS = ("tier", "gate_ok", "cap_hit", "multiplier", "capped_att", "rank")


@dataclass
class Inputs:
    """Period values and targets of one plan year, as arrays.

    actual[m]: (P, S, R) values per plan period (sum, or mean for scores like csat);
    target[m]: (P, 1, R) targets per period; level: (R,) index into LEVELS; team: (R,) team
    index; tx_raw: by component, what it earned row by row of the results (a commission paid
    per transaction), summed to periods (see `row_earnings`).

    Parameters
    ----------
    actual : dict of str to numpy.ndarray
        Measure -> (P, S, R) values per plan period.
    target : dict of str to numpy.ndarray
        Measure -> (P, 1, R) targets per period.
    level : numpy.ndarray
        (R,) index into LEVELS.
    team : numpy.ndarray, optional
        (R,) team index, for components paid on team results.
    tx_raw : dict of str to numpy.ndarray, default {}
        Component -> row-by-row earnings summed to periods.
    order : numpy.ndarray, optional
        (R,) who wins a tie (a contest's equal scores): the lower first; keyed by who the
        rep is (`helpers.streams.rep_keys`) so a tie never goes by row order. None: position.
    """

    actual: dict[str, np.ndarray]
    target: dict[str, np.ndarray]
    level: np.ndarray
    team: np.ndarray | None = None
    tx_raw: dict[str, np.ndarray] = field(default_factory=dict)  # see `row_earnings`
    order: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """(P, S, R) of the actual values: periods, scenarios, reps."""
        return next(iter(self.actual.values())).shape


@dataclass
class Outcome:
    """What `run` returns: paid per component (P, S, R), the draw, and why (when asked).

    Parameters
    ----------
    paid : dict of str to numpy.ndarray
        Component -> (P, S, R) paid per period.
    draw : numpy.ndarray or None
        (P, S, R) draw adjustment (+ top-up, - recovery); None without a draw.
    draw_balance : numpy.ndarray or None
        (P, S, R) draw still owed back after each period; None without a draw.
    info : dict of str to dict of str to numpy.ndarray
        Component -> why (tier reached, gates, caps...), when `run` kept reasons.
    """

    paid: dict[str, np.ndarray]
    draw: np.ndarray | None
    draw_balance: np.ndarray | None
    info: dict[str, dict[str, np.ndarray]]

    @property
    def total(self) -> np.ndarray:
        """(P, S, R) total paid per period: every component plus the draw."""
        total = sum(self.paid.values())
        return total + self.draw if self.draw is not None else total


# ----------------------------------------------------------------------- rate tables


TOLERANCE = 1e-9


def below(bound: float) -> float:
    """A bound lowered by a relative hair, so a value that should equal it but lost the last
    bit to rounding (a year-to-date sum, 0.8 * target / target) still counts as reaching it.

    Parameters
    ----------
    bound : float
        The bound.

    Returns
    -------
    float
        The bound less 1e-9 of its size (at least 1e-9).
    """
    return bound - TOLERANCE * max(1.0, abs(bound))


def _above(bound: float) -> float:
    return bound + TOLERANCE * max(1.0, abs(bound))


def tier_index(u: np.ndarray, tiers: tuple[Tier, ...], boundary: str) -> np.ndarray:
    """1-based tier reached by `u` (0 = below the first tier).

    lower_inclusive: a value equal to a tier's `from` is in that tier ([from, to)), as
    Oracle Incentive Compensation pays an amount equal to one tier's To and the next one's
    From at the higher rate. upper_inclusive: (from, to], the value stays in the lower tier.

    Parameters
    ----------
    u : numpy.ndarray
        The values paid through the table.
    tiers : tuple of Tier
        The contiguous tiers, ascending.
    boundary : {"lower_inclusive", "upper_inclusive"}
        Which tier a value equal to a boundary falls in.

    Returns
    -------
    numpy.ndarray
        The tier reached per value (int8, 0 below the first tier).
    """
    idx = np.zeros(u.shape, dtype=np.int8)
    for t in tiers:
        idx += (u >= below(t.lo)) if boundary == "lower_inclusive" else (u > _above(t.lo))
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

    Parameters
    ----------
    u : numpy.ndarray
        The values paid through the table (amounts or attainments).
    tiers : tuple of Tier
        The contiguous tiers, ascending.
    mode : {"marginal", "retroactive", "interpolated"}
        How the table pays.
    boundary : {"lower_inclusive", "upper_inclusive"}, default "lower_inclusive"
        Which tier a value equal to a boundary falls in.
    index : bool, default True
        Also return the tier reached.

    Returns
    -------
    payout : numpy.ndarray
        What `u` pays, same shape.
    tier : numpy.ndarray or None
        The tier reached (see `tier_index`); None unless `index` or retroactive.
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


def curve_payout(att: np.ndarray, curve: Curve,
                 index: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Bonus multiple of target incentive at attainment `att`; returns (multiple, point reached).

    Nothing below the threshold (or the first point); linear interpolates between points and
    stays flat after the last one; step pays the value of the last point reached.

    Parameters
    ----------
    att : numpy.ndarray
        Attainments.
    curve : Curve
        The bonus curve.
    index : bool, default True
        Also return the point reached.

    Returns
    -------
    multiple : numpy.ndarray
        The bonus as a multiple of target incentive, same shape as `att`.
    reached : numpy.ndarray or None
        How many curve points each attainment reached; None unless `index` or a step curve.
    """
    pts = curve.points
    a = np.array([p[1] for p in pts], dtype=att.dtype)
    y = np.array([p[2] for p in pts], dtype=att.dtype)
    reached = None
    if index or curve.shape == "step":
        reached = np.zeros(att.shape, dtype=np.int8)
        for x in a:
            reached += att >= below(x)
    if curve.shape == "step":
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
    out *= att >= below(a[0])  # nothing below the threshold
    return out, reached


# ------------------------------------------------------------------------------ run


def _ytd(x: np.ndarray, measure: str) -> np.ndarray:
    """Year to date along the period axis: a running sum, or running mean for scores."""
    total = running(x, np.add)
    if MEASURES[measure] == "mean":
        total /= np.arange(1, x.shape[0] + 1, dtype=x.dtype)[:, None, None]
    return total


def running(x: np.ndarray, op: np.ufunc, inplace: bool = False) -> np.ndarray:
    """Running total (np.add) or running max (np.maximum) over periods, period by period
    (faster than ufunc.accumulate on a short leading axis); `inplace` for a scratch array.

    Parameters
    ----------
    x : numpy.ndarray
        Values with periods on the first axis.
    op : numpy.ufunc
        `numpy.add` or `numpy.maximum`.
    inplace : bool, default False
        Overwrite `x` instead of copying it.

    Returns
    -------
    numpy.ndarray
        The running totals (or maxima), same shape.
    """
    out = x if inplace else np.array(x, dtype=x.dtype, copy=True)
    for i in range(1, len(out)):
        op(out[i - 1], out[i], out=out[i])
    return out


class Context:
    """What a component reads while it earns: the plan's arrays, and values and targets as a
    component reads them (year to date under true-up, else the period), computed once.

    data: the Inputs; ytd: whether a plan period reads year to date; ti: (R,) each rep's
    target incentive; reasons: whether to keep why (tiers reached...) besides the pay.

    Parameters
    ----------
    plan : Plan
        The plan being paid (its true-up and target incentives).
    data : Inputs
        The plan year's arrays.
    reasons : bool, default False
        Keep why besides the pay.
    """

    def __init__(self, plan: Plan, data: Inputs, reasons: bool = False):
        self.data, self.ytd, self.reasons = data, plan.true_up and data.shape[0] > 1, reasons
        self.dtype = next(iter(data.actual.values())).dtype
        self.ti = self.per_level({lv: plan.target_incentive(lv) for lv in LEVELS})
        self.cache: dict = {}

    def per_level(self, values: dict[str, float]) -> np.ndarray:
        """(R,) each rep's value of a {level: value} mapping (0 for a level it lacks).

        Parameters
        ----------
        values : dict of str to float
            Level -> value.

        Returns
        -------
        numpy.ndarray
            (R,) the value of each rep's level.
        """
        return np.array([values.get(lv, 0.0) for lv in LEVELS], dtype=self.dtype)[self.data.level]

    def eligible(self, levels: tuple[str, ...]) -> np.ndarray:
        """(R,) whether each rep's level is one of `levels`.

        Parameters
        ----------
        levels : tuple of str
            The eligible levels.

        Returns
        -------
        numpy.ndarray
            (R,) booleans.
        """
        return np.isin(np.array(LEVELS), levels)[self.data.level]

    def get(self, measure: str, team: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(value, target), each (P, S, R) or (P, 1, R): the rep's or the rep's team's.

        Parameters
        ----------
        measure : str
            The measure.
        team : bool, default False
            Read the rep's team's totals instead of the rep's own.

        Returns
        -------
        value : numpy.ndarray
            (P, S, R) values, year to date under true-up.
        target : numpy.ndarray
            (P, 1, R) targets, or (P, S, R) for a team, year to date under true-up.
        """
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
        """Value / target of a measure (0 where the target is 0), computed once.

        Parameters
        ----------
        measure : str
            The measure.
        team : bool, default False
            The rep's team's attainment instead of the rep's own.

        Returns
        -------
        numpy.ndarray
            (P, S, R) attainment, year to date under true-up.
        """
        key = ("attainment", measure, team, self.ytd)
        if key not in self.cache:
            self.cache[key] = ratio(*self.get(measure, team))
        return self.cache[key]

    def value(self, measure: str, basis: str) -> np.ndarray:
        """The measure's value (basis "value") or its attainment of target ("attainment").

        Parameters
        ----------
        measure : str
            The measure.
        basis : {"value", "attainment"}
            What to read.

        Returns
        -------
        numpy.ndarray
            (P, S, R) values or attainments.
        """
        return self.get(measure)[0] if basis == "value" else self.attainment(measure)


def _team_total(x: np.ndarray, team: np.ndarray) -> np.ndarray:
    """Each rep's team total (P, S, R): team sums by a one-hot product, then back to reps."""
    onehot = np.zeros((len(team), team.max() + 1), dtype=x.dtype)
    onehot[np.arange(len(team)), team] = 1
    return (x @ onehot)[..., team]


def run(plan: Plan, data: Inputs, reasons: bool = False) -> Outcome:
    """Pay every component of `plan` on `data`; with `reasons`, also keep why (tier, gates...).

    Each component earns on its own (`Component.earn`): (P, S, R) paid per period.

    Parameters
    ----------
    plan : Plan
        The plan.
    data : Inputs
        The plan year's arrays.
    reasons : bool, default False
        Keep why each component paid what it did (`Outcome.info`).

    Returns
    -------
    Outcome
        Paid per component, the draw and its balance, and the reasons.
    """
    ctx = Context(plan, data, reasons)
    paid, info = {}, {}
    for comp in plan.components:
        why: dict[str, np.ndarray] = {}
        paid[comp.name] = comp.earn(ctx, ctx.eligible(comp.levels), why)
        if reasons:
            info[comp.name] = why
    draw, balance = _draw(plan, data, paid)
    return Outcome(paid, draw, balance, info)


def row_earnings(plan: Plan, value) -> dict[str, np.ndarray]:
    """What the components that pay row by row (`Component.per_row`) earn on each row of
    results, by component name; `value(measure)` is that measure's column (an array).

    Parameters
    ----------
    plan : Plan
        The plan.
    value : callable
        Measure name -> that column of the results, as an array.

    Returns
    -------
    dict of str to numpy.ndarray
        Component name -> earnings per row; only components that pay row by row.
    """
    out = {}
    for comp in plan.components:
        each = comp.per_row(value)
        if each is not None:
            out[comp.name] = each
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
