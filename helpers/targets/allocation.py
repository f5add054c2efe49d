"""Allocation: exact splits by largest remainder, and the company number → regions →
teams → reps split by a named basis (history, potential, capacity, equal or a blend).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from .. import streams
from ..data import Dataset, among
from ..errors import TargetError
from ..memo import remembered
from ..numbers import divide_or_nan
from .history import Outliers, _capped, _history, seasonality

Method = Literal["history", "potential", "capacity", "equal"]
"""A basis to split on; `allocate_targets` also takes "blend" (a mix of these)."""
PRECISION = {"revenue": 0.01, "new_customers": 1.0}
"""Default rounding step per measure: money to the cent, customers to whole numbers."""
DEFAULT_RAMP = (0.2, 0.4, 0.6, 0.8)
"""Share of full productivity in a new hire's tenure months 1, 2, ...; 1.0 after that."""
METHODS: tuple[str, ...] = get_args(Method)
MIN_HIRES = 3
"""Fewest hires with MIN_TENURE months in the history that `fit_ramp` fits a ramp from."""
MIN_TENURE = 6
"""Months of tenure a hire needs in the history to count for `fit_ramp`."""
RAMP_HORIZON = 12
"""Longest ramp `fit_ramp` looks for; a rep past it counts as fully ramped."""
FULL = 0.9
"""`fit_ramp` ends the ramp in the first tenure month at or above this share of full
(the pooled months of ten-odd hires are rarely closer to their plateau than that)."""
MIN_PEERS = 3
"""Fully ramped reps a calendar month needs to be a yardstick for the hires in it."""
NEEDS = {"potential": "territory_potential"}
"""Allocation methods that need an optional roster column (a key of Dataset.lacks())."""


# ---------------------------------------------------------------------------- allocation


def allocate(total: float, weights, precision: float = 1.0) -> pd.Series:
    """Split `total` in proportion to `weights`, rounded to `precision`, summing exactly.

    Largest remainder in integer units of `precision`: each part gets the floor of its
    quota and the units left over go, one each, to the largest fractional parts (ties to
    the earlier position, so the result is deterministic). `total` is first rounded to the
    precision. Zero weights get zero; NaN, infinite or negative weights, a negative total
    and weights that sum to zero raise TargetError.

    Parameters
    ----------
    total : float
        The amount to split (finite, >= 0).
    weights : pandas.Series or array_like of float
        One weight per part (finite, >= 0, not all zero); a Series keeps its index.
    precision : float, default 1.0
        Rounding step (0.01 for cents), > 0.

    Returns
    -------
    pandas.Series
        The parts, on the precision's grid, summing exactly to the rounded total; indexed
        like `weights`.

    Raises
    ------
    TargetError
        If a weight or the total is out of range, the weights sum to zero or are empty, or
        `precision` is not > 0.
    """
    w = weights if isinstance(weights, pd.Series) else pd.Series(weights, dtype="float64")
    values = _check_weights(w.to_numpy(dtype="float64"), "weights", w.index)
    units = _units(total, precision, "total")
    parts = _largest_remainder(np.array([units]), values[None, :])[0]
    return pd.Series(_money(parts, precision), index=w.index, name=w.name)


def _check_weights(values: np.ndarray, name: str, index=None) -> np.ndarray:
    if values.size == 0:
        raise TargetError(f"{name}: nothing to allocate to (no weights given)")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        where = np.flatnonzero(bad)[:5]
        labels = list(index[where]) if index is not None else list(where)
        raise TargetError(f"{name}: must be finite and >= 0; got {values[where].tolist()} "
                          f"at {labels}")
    if values.sum() <= 0:
        raise TargetError(f"{name}: all weights are zero, so there is no basis to split on")
    return values


def _units(total: float, precision: float, name: str) -> int:
    if not precision > 0:
        raise TargetError(f"precision: must be > 0, got {precision!r}")
    if not np.isfinite(total) or total < 0:
        raise TargetError(f"{name}: must be a finite amount >= 0, got {total!r}")
    return int(np.rint(total / precision))


def _decimals(precision: float) -> int:
    """Decimal places that write `precision` exactly: 0.25 -> 2, 2.5 -> 1, 0.125 -> 3."""
    for decimals in range(16):
        if abs(round(precision, decimals) - precision) <= 1e-12 * precision:
            return decimals
    return 15


def _money(units: np.ndarray, precision) -> np.ndarray:
    """Units back to amounts on the precision's grid, rounded to the decimals that write the
    precision, so 0.1 + 0.2 style noise never shows and 0.25 steps stay 0.25 steps.
    """
    step = np.broadcast_to(np.asarray(precision, dtype="float64"), np.shape(units))
    out = units * step
    for value in np.unique(step):  # one or two precisions (one per measure)
        out = np.where(step == value, np.round(out, _decimals(float(value))), out)
    return out


def _largest_remainder(units: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise largest remainder: split units[i] (int64) over weights[i, :] (>= 0)."""
    units = np.asarray(units, dtype=np.int64)
    wsum = weights.sum(axis=1)
    stuck = (units > 0) & ~(wsum > 0)
    if stuck.any():
        raise TargetError(f"cannot split a non-zero amount over all-zero weights "
                          f"(rows {np.flatnonzero(stuck)[:5].tolist()})")
    quota = weights / np.where(wsum > 0, wsum, 1.0)[:, None] * units[:, None]
    base = np.floor(quota)
    frac = np.where(weights > 0, quota - base, -1.0)  # zero weights never get a unit
    short = units - base.sum(axis=1).astype(np.int64)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(weights.shape[1])[None, :], axis=1)
    return base.astype(np.int64) + (rank < short[:, None])


def _allocate_grouped(units: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Largest remainder within groups: units[g] over the weights whose group code is g."""
    counts = np.bincount(groups, minlength=len(units))
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    position = np.arange(len(groups)) - (np.cumsum(counts) - counts)[sorted_groups]
    padded = np.zeros((len(units), max(int(counts.max(initial=0)), 1)))
    padded[sorted_groups, position] = weights[order]
    parts = _largest_remainder(units, padded)
    out = np.empty(len(groups), dtype=np.int64)
    out[order] = parts[sorted_groups, position]
    return out


# ---------------------------------------------------------------------- rep allocation


def linear_ramp(months: int) -> tuple[float, ...]:
    """A straight-line ramp to full productivity after `months` months (3 → .25, .5, .75).

    Parameters
    ----------
    months : int
        Ramp months, >= 0 (0: productive from the first month).

    Returns
    -------
    tuple of float
        The share of full productivity in each ramp month, for `ramp=`.

    Raises
    ------
    TargetError
        If `months` < 0.
    """
    if months < 0:
        raise TargetError(f"ramp months: must be >= 0, got {months!r}")
    return tuple((np.arange(1, months + 1) / (months + 1)).tolist())


def ramp_factors(hire_date: pd.Series, year: int, ramp: Sequence[float] = DEFAULT_RAMP):
    """(reps × 12) share of full productivity in each month of `year`.

    Tenure month 1 is the month of hire; before it 0, during the ramp `ramp[t-1]`, then 1.

    Parameters
    ----------
    hire_date : pandas.Series
        Each rep's hire date.
    year : int
        The calendar year.
    ramp : Sequence of float, default DEFAULT_RAMP
        Share of full productivity in tenure months 1, 2, ... (each 0..1); 1 after.

    Returns
    -------
    numpy.ndarray
        Shares, one row per rep (in `hire_date`'s order) and a column per month.

    Raises
    ------
    TargetError
        If a ramp share is not between 0 and 1.
    """
    ramp = np.asarray(ramp, dtype="float64")
    if ((ramp < 0) | (ramp > 1) | ~np.isfinite(ramp)).any():
        raise TargetError(f"ramp: each month's share must be between 0 and 1, got {list(ramp)}")
    hired = pd.DatetimeIndex(hire_date)
    tenure = ((year - hired.year.to_numpy())[:, None] * 12 + np.arange(1, 13)[None, :]
              - hired.month.to_numpy()[:, None] + 1)
    table = np.concatenate([[0.0], ramp, [1.0]])
    return table[np.clip(tenure, 0, len(ramp) + 1)]


def run_rate(history: pd.DataFrame, hire_date: pd.Series, year: int, *,
             ramp: Sequence[float] = DEFAULT_RAMP, measure: str = "revenue",
             season: pd.Series | None = None) -> pd.Series:
    """Annual run-rate at full productivity over the 12 months before `year`, per rep.

    Each month's actual is divided by that month's ramp share, so a rep hired last summer
    is judged on what they would make fully ramped. A rep with fewer than 12 such months
    (history ends mid-year, or a hire) is annualised by the season index as `annual_totals`
    does: their sum × 12 / (the index of those months), so a strong Q4 is not read as a
    strong year. NaN when a rep has no such month. `hire_date` is indexed by rep_id.

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    hire_date : pandas.Series
        Hire date indexed by rep_id: the reps to rate.
    year : int
        The plan year; the months of `year - 1` are used.
    ramp : Sequence of float, default DEFAULT_RAMP
        Share of full productivity in tenure months 1, 2, ... (each 0..1); 1 after.
    measure : str, default "revenue"
        The history column.
    season : pandas.Series or None, default None
        Season index by month 1..12 (mean 1); None for `seasonality` of the history
        before `year`, computed only when some rep has fewer than 12 months.

    Returns
    -------
    pandas.Series
        "run_rate", indexed like `hire_date`.

    Raises
    ------
    TargetError
        If a ramp share is not between 0 and 1.
    """
    rows = ((history["month"].dt.year == year - 1).to_numpy()
            & among(history["rep_id"], hire_date.index))
    last = history.loc[rows, ["rep_id", "month", measure]]
    rep, ids = pd.factorize(last["rep_id"])  # sums by code: a string groupby costs 10x
    month = last["month"].dt.month.to_numpy() - 1
    share = ramp_factors(pd.Series(hire_date.reindex(ids).to_numpy()[rep]), year - 1, ramp)
    actual = last[measure].to_numpy(dtype="float64")
    full = divide_or_nan(actual, share[np.arange(len(last)), month])
    # a ramp month is grossed up to full productivity, but never above the best month the
    # rep actually sold: a hire with a strong first month is not given 1/0.2 = 5x it
    best = np.full(len(ids), -np.inf)
    np.maximum.at(best, rep, np.where(np.isnan(actual), -np.inf, actual))
    full = np.where(full > best[rep], np.maximum(best[rep], actual), full)
    seen = ~np.isnan(full)
    total = np.bincount(rep, np.where(seen, full, 0.0), minlength=len(ids))
    months = np.bincount(rep, seen, minlength=len(ids))
    rate = divide_or_nan(total * 12, months)
    if (months < 12).any():  # part of a year: annualise by the season, as annual_totals does
        if season is None:
            season = seasonality(history[history["month"].dt.year < year], measure)
        index = np.asarray(season.reindex(range(1, 13)), dtype="float64")
        covered = np.bincount(rep, np.where(seen, index[month], 0.0), minlength=len(ids))
        rate = np.where(months >= 12, rate, divide_or_nan(total * 12, covered))
    rate = pd.Series(rate, index=ids)
    return rate.reindex(hire_date.index).rename("run_rate")


@dataclass(frozen=True)
class Ramp(Sequence):
    """A new hire's ramp: fitted from the hires in history, or the default with the reason.

    It is a sequence of its factors, so it goes wherever a ramp tuple goes (`ramp=`).

    Parameters
    ----------
    factors : tuple of float
        Share of full productivity in tenure months 1, 2, ... (1.0 after the last).
    fitted : bool, default False
        True when fitted from history; False when it is the default.
    hires : int, default 0
        Hires the fit used (or found, when there were too few).
    reason : str, default ""
        Why the default was kept, when not fitted.
    """

    factors: tuple[float, ...]
    fitted: bool = False
    hires: int = 0
    reason: str = ""

    @property
    def months(self) -> int:
        """Tenure months below full productivity (the length of the ramp)."""
        return len(self.factors)

    def __getitem__(self, index):
        """The share of full productivity in tenure month `index + 1`."""
        return self.factors[index]

    def __len__(self) -> int:
        """The ramp's months."""
        return len(self.factors)

    def describe(self) -> str:
        """One plain sentence: how long the ramp is and where it comes from.

        Returns
        -------
        str
            E.g. "New hires reach full productivity in their 10th month, fitted from 12
            hires in the history (12% of full productivity in month 1, 53% in month 5)."
        """
        shares = ", ".join(f"{f:.0%}" for f in self.factors) or "none"
        if not self.fitted:
            return (f"New hires ramp over {self.months} months by the default ({shares}) "
                    f"because {self.reason}.")
        if self.months == 0:
            return (f"New hires are fully productive from their first month, fitted from "
                    f"{self.hires} hires in the history.")
        mid = min(self.months, max(1, (self.months + 1) // 2))
        return (f"New hires reach full productivity in their {_ordinal(self.months + 1)} "
                f"month, fitted from {self.hires} hires in the history "
                f"({self.factors[0]:.0%} of full productivity in month 1, "
                f"{self.factors[mid - 1]:.0%} in month {mid}).")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fit_ramp(history: pd.DataFrame, hire_date: pd.Series, *, measure: str = "revenue",
             min_hires: int = MIN_HIRES, min_tenure: int = MIN_TENURE,
             horizon: int = RAMP_HORIZON, full: float = FULL,
             default: Sequence[float] = DEFAULT_RAMP) -> Ramp:
    """Fit the new-hire ramp from the hires in `history`, or keep `default` and say why.

    A hire is a rep hired inside the history (hire month on or after its first month) with
    `min_tenure` months there. Each of a hire's months in tenure 1..`horizon` is divided by
    the median of the fully ramped reps (tenure > `horizon`) in the same calendar month, so
    the season and the company's growth cancel. A hire is rarely a median rep once ramped
    (hires start on smaller books, and some are better than others), so the ratios are
    split by alternating medians into the hire's own level × a share per tenure month, the
    months past `horizon` being 1 (full productivity) when some hire has them; medians, so
    one big deal or one slow hire does not move it. The shares are scaled by their median
    over the second half of the window and the months past it (the plateau: a ramp
    shorter than half the window ends there, and one noisy late month does not hold the
    curve under 1 for good), made non-decreasing by isotonic regression (scipy, weighted by
    the hires in each month) and cut at the first month at or above `full`. Fewer than
    `min_hires` hires, or no month with MIN_PEERS ramped reps to compare with, keep
    `default` with the reason. Rows are matched on rep_id, so row order and id spelling do
    not matter.

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    hire_date : pandas.Series
        Hire date indexed by rep_id; a rep missing here (or NaT) is left out.
    measure : str, default "revenue"
        The history column productivity is read from.
    min_hires : int, default MIN_HIRES
        Fewest hires to fit from (>= 1).
    min_tenure : int, default MIN_TENURE
        Months a hire needs in the history to count (>= 1).
    horizon : int, default RAMP_HORIZON
        Longest ramp considered, in months (>= 1); reps past it are ramped.
    full : float, default FULL
        Share of full productivity that ends the ramp, in (0, 1].
    default : Sequence of float, default DEFAULT_RAMP
        The ramp kept when the history cannot support a fit.

    Returns
    -------
    Ramp
        The fitted ramp (`fitted=True`, `hires` used), or `default` with `reason`.

    Raises
    ------
    TargetError
        If the history lacks rep_id, month or the measure, or a parameter is out of range.
    """
    frame = _history(history, measure)
    if "rep_id" not in frame.columns:
        raise TargetError(f"history: no column 'rep_id'; columns are {list(frame.columns)}")
    for name, value in (("min_hires", min_hires), ("min_tenure", min_tenure),
                        ("horizon", horizon)):
        if int(value) != value or value < 1:
            raise TargetError(f"fit_ramp: {name} must be a whole number >= 1, got {value!r}")
    if not 0 < full <= 1:
        raise TargetError(f"fit_ramp: full must be in (0, 1], got {full!r}")
    default = tuple(float(f) for f in default)

    def keep(hires: int, reason: str) -> Ramp:
        return Ramp(default, fitted=False, hires=hires, reason=reason)

    rows = frame.loc[frame[measure].notna(), ["rep_id", "month", measure]]
    month = pd.DatetimeIndex(rows["month"])
    at = month.year.to_numpy() * 12 + month.month.to_numpy()
    hired = pd.DatetimeIndex(pd.to_datetime(hire_date).reindex(rows["rep_id"].to_numpy()))
    start = hired.year.to_numpy(dtype="float64") * 12 + hired.month.to_numpy(dtype="float64")
    tenure = at - start + 1  # NaN where the hire date is unknown
    value = rows[measure].to_numpy(dtype="float64")
    ramped = tenure > horizon
    by_month = pd.Series(value[ramped]).groupby(at[ramped])
    scale = by_month.median().where(by_month.count() >= MIN_PEERS).reindex(at).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(scale > 0, value / scale, np.nan)
    is_hire = (start >= at.min()) & (tenure >= 1)
    usable = is_hire & np.isfinite(ratio)
    ids = rows["rep_id"].to_numpy()
    months_had = pd.Series(tenure[is_hire]).groupby(ids[is_hire]).nunique()
    counted = months_had.index[months_had >= min_tenure]
    found = len(counted)
    if found < min_hires:
        return keep(found, f"only {found} hire(s) in the history have {min_tenure} or more "
                           f"months of tenure (a fit needs {min_hires})")
    use = usable & (pd.Index(counted).get_indexer(ids) >= 0)
    if not use.any():
        return keep(found, f"no month has {MIN_PEERS} fully ramped reps (tenure over "
                           f"{horizon} months) to compare the hires with")
    column = np.minimum(tenure[use], horizon + 1).astype(np.int64)  # horizon + 1: ramped
    cells = pd.Series(ratio[use]).groupby([ids[use], column]).median().unstack()
    if not (cells.columns <= horizon).any():
        return keep(found, "the hires have no month in their first "
                           f"{horizon} to compare with fully ramped reps")
    shares = _hire_shares(cells, horizon)
    if shares.empty:  # every hire's months were zero
        return keep(found, "the hires made nothing to compare in their first "
                           f"{horizon} months")
    late = shares[shares.index > horizon // 2]
    if horizon + 1 in cells.columns:
        late = pd.concat([late, pd.Series([1.0])])
    plateau = late.median() if len(late) and late.median() > 0 else 1.0
    count = cells.notna().sum().reindex(shares.index).to_numpy(dtype="float64")
    fit = isotonic_regression(shares.to_numpy() / plateau, weights=count).x
    months = np.arange(1, horizon + 1)
    shares = np.clip(np.interp(months, shares.index.to_numpy(), fit), 0.0, 1.0).round(4)
    done = np.flatnonzero(shares >= full)  # on the rounded shares, so each kept is < full
    length = int(done[0]) if len(done) else horizon
    return Ramp(tuple(float(f) for f in shares[:length]), fitted=True, hires=found)


def _hire_shares(cells: pd.DataFrame, horizon: int, rounds: int = 30) -> pd.Series:
    """Share per tenure month 1..horizon from hires × tenure ratios: ratio ≈ level × share.

    Alternating medians (median polish on the ratio scale); the column horizon + 1 (months
    past the ramp) is the hire's full productivity, 1, when present; without it the
    pooled median of the hires against the ramped reps is the share.
    """
    if horizon + 1 not in cells.columns:
        shares = cells.median()
        return shares[shares.index <= horizon]
    shares = cells.median() / cells[horizon + 1].median()
    for _ in range(rounds):
        level = cells.div(shares, axis=1).median(axis=1)
        level = level.where(level > 0)
        shares = cells.div(level, axis=0).median()
        shares = shares / shares[horizon + 1]
    return shares[shares.index <= horizon].dropna()


def resolve_ramp(ramp: Sequence[float] | Literal["fitted"], ds: Dataset,
                 year: int | None = None) -> Sequence[float]:
    """The ramp a `ramp=` argument means: "fitted" fits it from `ds` before `year`.

    The fit reads revenue (productivity in money) when the history has it, else the first
    plan measure it has; reps whose hire date the loader assumed are left out of it.

    Parameters
    ----------
    ramp : Sequence of float or "fitted"
        Shares by tenure month (returned as they are) or "fitted".
    ds : Dataset
        Roster (hire dates) and history.
    year : int or None, default None
        The plan year: only history before it is read; None for `ds.plan_year`.

    Returns
    -------
    Sequence of float
        A `Ramp` for "fitted", else `ramp` itself.

    Raises
    ------
    TargetError
        If `ramp` is a string other than "fitted".
    """
    if not isinstance(ramp, str):
        return ramp
    if ramp != "fitted":
        raise TargetError(f"ramp: must be shares by tenure month or 'fitted', got {ramp!r}")
    year = ds.plan_year if year is None else int(year)
    history = ds.history[ds.history["month"].dt.year < year]
    measure = next((m for m in ("revenue", *PRECISION) if m in history.columns), None)
    if measure is None or history.empty:
        return Ramp(DEFAULT_RAMP, reason=f"there is no history before {year} to fit from")
    hire = ds.roster.set_index("rep_id")["hire_date"]
    hire = hire.drop(ds.assumed("hire_date"), errors="ignore")
    # asked for many times a notebook (targets, outlook, each simulation): fitted once
    return remembered(ds, ("fitted ramp", year), lambda: fit_ramp(history, hire, measure=measure))


def allocate_targets(ds: Dataset, total: float, *,
                     method: Method | Literal["blend"] = "history",
                     blend: Mapping[str, float] | None = None, over_assign: float = 0.0,
                     ramp: Sequence[float] | Literal["fitted"] = "fitted",
                     planned_hires: int | Mapping[str, int] = 0, measure: str = "revenue",
                     year: int | None = None, precision: float | None = None,
                     hire_month: int = 1, outliers: Outliers = "cap") -> pd.DataFrame:
    """One row per rep (region → team → rep) whose targets sum to total × (1 + over_assign).

    The basis per rep, by `method`:
      history   — own ramp-adjusted run-rate of last year (no history: team median);
      potential — roster `territory_potential` (missing: team median);
      capacity  — the team's median run-rate: what a typical rep in that seat makes;
      equal     — the same for everyone;
      blend     — `blend={"history": .5, "potential": .5}`: weighted mix of the shares.
    The basis is multiplied by each rep's capacity in the plan year (the mean ramp share of
    its 12 months), so new hires carry a ramped target. Leavers (leave_date set) get none;
    `planned_hires` (a count spread over the smallest teams, or {team: count}) add
    placeholder rows starting in `hire_month`. Over-assignment is applied at the top, and
    region, team and rep splits are each exact at `precision` (default: PRECISION[measure]).
    With outliers="cap" (default) last year's outlier months (the quality report's rule,
    `helpers.data.outlier_months`) are capped at the rep's highest usual month before the
    run-rate is taken, so one mega deal does not set a rep's whole next year
    (`outlier_caps` lists them); "keep" uses them as they are. `last_year` stays actual.

    Parameters
    ----------
    ds : Dataset
        Roster and history.
    total : float
        The company number to split (before over-assignment).
    method : {"history", "potential", "capacity", "equal", "blend"}, default "history"
        The basis, as above.
    blend : Mapping of str to float or None, default None
        Method -> weight, for method="blend".
    over_assign : float, default 0.0
        Extra assigned on top of `total` (0.05 for 5%), >= 0.
    ramp : Sequence of float or "fitted", default "fitted"
        Share of full productivity in tenure months 1, 2, ... (each 0..1); 1 after.
        "fitted": `fit_ramp` on the history before `year` (`resolve_ramp`), DEFAULT_RAMP
        when it has too few hires.
    planned_hires : int or Mapping of str to int, default 0
        Placeholder reps: a count, or team -> count.
    measure : str, default "revenue"
        The history column to plan.
    year : int or None, default None
        The plan year; None for `ds.plan_year`.
    precision : float or None, default None
        Rounding step; None for PRECISION[measure] (else 1).
    hire_month : int, default 1
        Month (1..12) the planned hires start.
    outliers : {"cap", "keep"}, default "cap"
        Last year's outlier months in the run-rate: capped, or kept as they are.

    Returns
    -------
    pandas.DataFrame
        One row per rep, sorted by region, team and rep_id: the roster columns, last_year,
        run_rate, status ("active", "new hire", "planned hire"), measure, basis, capacity
        and target.

    Raises
    ------
    TargetError
        If a parameter is out of range or unknown (method, blend, over_assign, ramp,
        planned_hires team or count, hire_month, precision, total, outliers), the roster has no
        active rep, the method needs data the roster lacks, or every rep weighs zero.
    """
    year = ds.plan_year if year is None else int(year)
    ramp = resolve_ramp(ramp, ds, year)
    precision = PRECISION.get(measure, 1.0) if precision is None else precision
    _check_over_assign(over_assign)
    units = _units(total * (1 + over_assign), precision, "total")
    reps = _rep_table(ds, year, ramp, planned_hires, hire_month, measure, outliers)
    return _split_targets(reps, units, method, blend, measure, precision)


def _check_over_assign(over_assign: float) -> None:
    if not np.isfinite(over_assign) or over_assign < 0:
        raise TargetError(f"over_assign: must be >= 0 (e.g. 0.05 for 5%), got {over_assign!r}")


@dataclass(frozen=True, eq=False)
class _Reps:
    """What `allocate_targets` reads before it splits: the same for every total, method
    and over-assignment, so `plan_targets` with a `PlanCache` builds it once.
    """

    frame: pd.DataFrame  # the plan roster in keyed order, with last_year and run_rate
    capacity: np.ndarray  # mean ramp share in the plan year, per row of frame
    region: np.ndarray  # region code per row
    team: np.ndarray  # (region, team) code per row
    team_region: np.ndarray  # region code per team code
    order: np.ndarray  # rows by region, team and rep_id: the order of the result


def _rep_table(ds: Dataset, year: int, ramp: Sequence[float], planned_hires,
               hire_month: int, measure: str, outliers: Outliers) -> _Reps:
    reps = _plan_roster(ds, year, planned_hires, hire_month)
    # equal shares break ties by a fixed order keyed on who each rep is (helpers.streams),
    # so the spare cent never follows the roster's row order or the spelling of the ids
    keys = streams.rep_keys(reps["rep_id"], reps.set_index("rep_id"))
    reps = reps.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)
    capacity = ramp_factors(reps["hire_date"], year, ramp).mean(1)
    hist = _history(ds.history, measure)[["rep_id", "month", measure]]  # filters copy less
    basis_history, _ = _capped(hist, year, measure, outliers)
    rate = run_rate(basis_history, reps.set_index("rep_id")["hire_date"], year, ramp=ramp,
                    measure=measure)
    last = hist[hist["month"].dt.year == year - 1].groupby("rep_id")[measure].sum()
    reps["last_year"] = last.reindex(reps["rep_id"]).to_numpy()
    reps["run_rate"] = rate.to_numpy()
    region = pd.factorize(reps["region"], sort=True)[0]
    team = pd.factorize(reps["region"] + "\x00" + reps["team"], sort=True)[0]
    team_region = np.zeros(team.max() + 1, dtype=np.int64)
    team_region[team] = region
    order = reps.sort_values(["region", "team", "rep_id"]).index.to_numpy()
    return _Reps(reps, capacity, region, team, team_region, order)


def _split_targets(reps: _Reps, units: int, method: str, blend, measure: str,
                   precision: float, basis: np.ndarray | None = None) -> pd.DataFrame:
    """Region, team and rep splits of `units` by the basis of `method` (exact each step);
    `basis` is `_basis(reps.frame, method, blend)` when the caller kept it.
    """
    basis = _basis(reps.frame, method, blend) if basis is None else basis
    weights = basis * reps.capacity
    _check_weights(weights, f"method={method!r}: the rep weights")
    region, team = reps.region, reps.team
    region_units = _allocate_grouped(np.array([units]), np.zeros(region.max() + 1, np.int64),
                                     np.bincount(region, weights))
    team_units = _allocate_grouped(region_units, reps.team_region, np.bincount(team, weights))
    rep_units = _allocate_grouped(team_units, team, weights)
    capacity = reps.capacity
    status = np.where(reps.frame["planned"], "planned hire",
                      np.where(capacity < 1, "new hire", "active"))
    out = reps.frame.drop(columns="planned").assign(
        status=status, measure=measure, basis=basis.copy(), capacity=capacity.copy(),
        target=_money(rep_units, precision))  # copies: a PlanCache keeps basis and capacity
    return out.take(reps.order).reset_index(drop=True)


def _plan_roster(ds: Dataset, year: int, planned_hires, hire_month: int) -> pd.DataFrame:
    columns = ["rep_id", "name", "region", "team", "manager_id", "hire_date"]
    roster = ds.roster[among(ds.roster["rep_id"], ds.employed())]
    roster = roster[roster["hire_date"] < pd.Timestamp(year + 1, 1, 1)]
    extra = ["territory_potential"] if "territory_potential" in roster else []
    reps = roster[columns + extra].reset_index(drop=True).assign(planned=False)
    if reps.empty:
        raise TargetError("roster: no active reps (everyone has a leave_date)")
    if not 1 <= hire_month <= 12:
        raise TargetError(f"hire_month: must be 1..12, got {hire_month!r}")
    hires = _planned(reps, planned_hires)
    if hires.empty:
        return reps
    managers = reps.groupby("team")["manager_id"].agg(lambda s: s.mode().iloc[0])
    regions = reps.groupby("team")["region"].first()
    new = pd.DataFrame({
        "rep_id": [f"TBH{i + 1:03d}" for i in range(len(hires))],
        "name": "planned hire", "region": regions[hires].to_numpy(), "team": hires.to_numpy(),
        "manager_id": managers[hires].to_numpy(),
        "hire_date": pd.Timestamp(year, hire_month, 1), "planned": True,
    })
    return pd.concat([reps, new.astype(reps.dtypes[new.columns].to_dict())],
                     ignore_index=True)


def _planned(reps: pd.DataFrame, planned_hires) -> pd.Series:
    """Team of each planned hire: {team: count}, or a count dealt to the smallest teams first."""
    if not isinstance(planned_hires, Mapping):
        n = int(planned_hires)
        if n < 0:
            raise TargetError(f"planned_hires: must be >= 0, got {planned_hires!r}")
        size = reps.groupby("team").size().sort_index().sort_values(kind="stable")
        return pd.Series(size.index[np.arange(n) % len(size)], dtype="string")
    unknown = set(planned_hires) - set(reps["team"])
    if unknown:
        raise TargetError(f"planned_hires: unknown team(s) {sorted(unknown)}")
    counts = pd.Series(planned_hires, dtype="int64")
    if (counts < 0).any():
        raise TargetError(f"planned_hires: counts must be >= 0, got {dict(counts)}")
    return pd.Series(np.repeat(counts.index.to_numpy(), counts.to_numpy()), dtype="string")


def _basis(reps: pd.DataFrame, method: str, blend) -> np.ndarray:
    if method == "blend":
        if not blend:
            raise TargetError("blend: method='blend' needs blend={'history': .5, ...}")
        unknown = set(blend) - set(METHODS)
        if unknown:
            raise TargetError(f"blend: unknown method(s) {sorted(unknown)}; use {METHODS}")
        mix = _check_weights(np.array(list(blend.values()), dtype="float64"), "blend")
        shares = {m: _basis(reps, m, None) for m in blend}
        empty = [m for m, share in shares.items() if not share.sum() > 0]
        if empty:
            raise TargetError(f"blend: {empty} give every rep zero, so there is nothing to mix")
        return sum(w * s / s.sum() for w, s in zip(mix, shares.values(), strict=True)) * len(reps)
    if method not in METHODS:
        raise TargetError(f"method: expected one of {METHODS + ('blend',)}, got {method!r}")
    if method == "equal":
        return np.ones(len(reps))
    if method == "potential":
        if "territory_potential" not in reps:
            raise TargetError("method='potential' needs the roster column 'territory_potential'")
        return _fill_by_team(reps, reps["territory_potential"], "territory_potential")
    rate = _fill_by_team(reps, reps["run_rate"], "run-rate history")
    if method == "capacity":
        return reps.assign(r=rate).groupby("team")["r"].transform("median").to_numpy()
    return rate


def _fill_by_team(reps: pd.DataFrame, values: pd.Series, what: str) -> np.ndarray:
    """Missing values take the team median, then the company median."""
    values = values.astype("float64")
    team = reps["team"] if "team" in reps else pd.Series(0, index=reps.index)
    filled = values.fillna(values.groupby(team).transform("median"))
    filled = filled.fillna(values.median())
    if filled.isna().all():
        raise TargetError(f"no rep has {what}; choose another method")
    return filled.to_numpy()


def missing_for(ds: Dataset, method: str, blend: Mapping[str, float] | None = None) -> str:
    """Why `method` (or a blend) cannot run on this data: a sentence, or "" when it can.

    Parameters
    ----------
    ds : Dataset
        The data.
    method : str
        An allocation method, or "blend".
    blend : Mapping of str to float or None, default None
        The blend's weights; methods with weight 0 are not needed.

    Returns
    -------
    str
        The sentence naming the missing roster column, or "".
    """
    lacks = ds.lacks()
    needed = [m for m in (blend or {}) if (blend or {})[m] > 0] if method == "blend" else [method]
    gaps = [m for m in needed if NEEDS.get(m) in lacks]
    if not gaps:
        return ""
    column = NEEDS[gaps[0]]
    what = (f"the blend mixes in {', '.join(gaps)}, and {gaps[0]} needs" if method == "blend"
            else f"method {method!r} needs")
    return f"{what} the roster column '{column}', which this data does not have"
