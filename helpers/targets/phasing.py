"""Phasing: each rep's annual target over quarters, months or working weeks, exact at
every step (year = Σ quarters = Σ months = Σ weeks to the unit of precision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..errors import TargetError
from .allocation import DEFAULT_RAMP, PRECISION, _largest_remainder, _money, ramp_factors

Grain = Literal["quarter", "month", "week"]
GRAINS: tuple[str, ...] = get_args(Grain)


# -------------------------------------------------------------------------------- phasing


def working_weeks(year: int, holidays: Sequence = ()) -> pd.DataFrame:
    """The (week, month) pieces of `year` with their working days (Mon–Fri minus holidays).

    A week that straddles two months is two pieces, one per month, so monthly totals stay
    exact when weeks are summed. Weeks start on Monday; pieces with no working day are left
    out.

    Parameters
    ----------
    year : int
        The calendar year.
    holidays : Sequence of date-like, default ()
        Days taken out of the working days.

    Returns
    -------
    pandas.DataFrame
        One row per piece: month, week_start and working_days.
    """
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    working = (days.day_of_week < 5) & ~days.isin(pd.DatetimeIndex(holidays))
    frame = pd.DataFrame({"month": days.to_period("M").to_timestamp(),
                          "week_start": days - pd.to_timedelta(days.day_of_week, unit="D"),
                          "working_days": working.astype("int64")})
    pieces = frame.groupby(["month", "week_start"], as_index=False)["working_days"].sum()
    return pieces[pieces["working_days"] > 0].reset_index(drop=True)


def phase(annual: pd.DataFrame, seasonality=None, year: int | None = None,
          grain: Grain = "month", *, precision=None, ramp: Sequence[float] = DEFAULT_RAMP,
          holidays: Sequence = ()) -> pd.DataFrame:
    """Spread each rep's annual target over quarters, months or (week, month) pieces.

    Top-down, exact at each step: year → quarters → months → weeks, each split by largest
    remainder, so year = Σ quarters = Σ months = Σ weeks per rep to the unit of precision.
    Month weights are the season index (a Series 1..12, or a DataFrame by region matched on
    annual['region']; None = equal split) times the rep's ramp share when `annual` has
    `hire_date`. Weeks split their month by working days. `precision` is a number or
    {measure: number}; default PRECISION per measure.

    Parameters
    ----------
    annual : pandas.DataFrame
        One row per rep (and measure): rep_id and target; optional region, team, measure
        (kept) and hire_date (ramp).
    seasonality : pandas.Series or pandas.DataFrame or None, default None
        The season index, as above; None for an equal split.
    year : int or None, default None
        The plan year (required; None raises).
    grain : {"quarter", "month", "week"}, default "month"
        The periods of the result.
    precision : float or Mapping of str to float or None, default None
        Rounding step, for all rows or by measure; None for PRECISION.
    ramp : Sequence of float, default DEFAULT_RAMP
        New hires' share of full productivity in tenure months 1, 2, ...
    holidays : Sequence of date-like, default ()
        Days taken out of the working days (grain="week").

    Returns
    -------
    pandas.DataFrame
        One row per rep and period: the kept columns, quarter, then month (month and week),
        week_start and working_days (week), and target.

    Raises
    ------
    TargetError
        If `grain` is unknown, `year` is None, `annual` lacks rep_id or target or has a
        target that is not finite and >= 0, the season index is invalid or lacks a
        region, a precision is missing or not > 0, or holidays leave a month no working
        day.
    """
    layout = _layout(annual, seasonality, year, grain, precision, ramp, holidays)
    return _spread(layout, annual["target"])


@dataclass(frozen=True, eq=False)
class _Layout:
    """What `phase` reads before it splits: the same for every target of the same reps, so
    `plan_targets` with a `PlanCache` builds it once per grain.
    """

    weights: np.ndarray  # (reps, 12) season × ramp
    step: np.ndarray  # precision per rep
    grain: str
    frame: pd.DataFrame  # the result without its target column
    rep: np.ndarray  # rep position of each row of frame
    weeks: tuple | None  # (month, slot, working-days table) for grain="week"


def _layout(annual: pd.DataFrame, seasonality, year, grain, precision, ramp,
            holidays) -> _Layout:
    if grain not in GRAINS:
        raise TargetError(f"grain: expected one of {GRAINS}, got {grain!r}")
    if year is None:
        raise TargetError("year: phase needs the plan year")
    for column in ("rep_id", "target"):
        if column not in annual:
            raise TargetError(f"annual: no column '{column}'")
    annual = annual.reset_index(drop=True)
    weights = _month_weights(annual, seasonality, year, ramp)
    step = _precisions(annual, precision)
    keep = [c for c in ("rep_id", "region", "team", "measure") if c in annual]
    n, weeks = len(annual), None
    if grain == "quarter":
        rep = np.repeat(np.arange(n), 4)
        periods = {"quarter": np.tile(np.arange(1, 5), n)}
    elif grain == "month":
        rep = np.repeat(np.arange(n), 12)
        month = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
        periods = {"quarter": np.tile(np.repeat(np.arange(1, 5), 3), n),
                   "month": np.tile(month.to_numpy(), n)}
    else:
        pieces = working_weeks(year, holidays)
        m = pieces["month"].dt.month.to_numpy() - 1
        slot = pieces.groupby("month").cumcount().to_numpy()
        table = np.zeros((12, slot.max() + 1))
        table[m, slot] = pieces["working_days"].to_numpy()
        weeks = (m, slot, table)
        rep = np.repeat(np.arange(n), len(pieces))
        periods = {"quarter": np.tile(m // 3 + 1, n),
                   "month": np.tile(pieces["month"].to_numpy(), n),
                   "week_start": np.tile(pieces["week_start"].to_numpy(), n),
                   "working_days": np.tile(pieces["working_days"].to_numpy(), n)}
    frame = pd.DataFrame({c: _repeated(annual[c], rep) for c in keep} | periods)
    return _Layout(weights, step, grain, frame, rep, weeks)


def _repeated(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """`column.take(rows)` with a fresh index, by its distinct values: taking the few region,
    team and measure names is 3x faster than taking millions of strings row by row.
    """
    codes, names = pd.factorize(column, use_na_sentinel=False)
    return pd.Series(names.take(codes[rows]), name=column.name)


def _spread(layout: _Layout, target: pd.Series) -> pd.DataFrame:
    """Year → quarters → months (→ weeks) of each rep's `target` (in the layout's rows)."""
    weights, step = layout.weights, layout.step
    target = target.to_numpy(dtype="float64")
    if (~np.isfinite(target) | (target < 0)).any():
        raise TargetError("annual: column 'target' must be finite and >= 0")
    units = np.rint(target / step).astype(np.int64)
    quarters = _largest_remainder(units, weights.reshape(-1, 4, 3).sum(2))
    months = _largest_remainder(quarters.ravel(), weights.reshape(-1, 3)).reshape(-1, 12)
    if layout.grain == "quarter":
        parts = quarters.ravel()
    elif layout.grain == "month":
        parts = months.ravel()
    else:
        m, slot, table = layout.weeks
        if (table.sum(1) == 0).any():
            raise TargetError("holidays: a month has no working day left to carry its target")
        n = len(target)
        split = _largest_remainder(months.ravel(), np.tile(table, (n, 1))).reshape(n, 12, -1)
        parts = split[:, m, slot].ravel()
    return layout.frame.assign(target=_money(parts, step[layout.rep]))


def _month_weights(annual, seasonality, year, ramp) -> np.ndarray:
    n = len(annual)
    if seasonality is None:
        season = np.ones((n, 12))
    elif isinstance(seasonality, pd.DataFrame):
        if "region" not in annual:
            raise TargetError("seasonality: an index by region needs annual['region']")
        region, names = pd.factorize(annual["region"], use_na_sentinel=False)
        unknown = set(names) - set(seasonality.index)
        if unknown:
            raise TargetError(f"seasonality: no index for region(s) {sorted(unknown, key=str)}")
        season = seasonality.reindex(index=names, columns=range(1, 13)).to_numpy()[region]
    else:
        season = np.broadcast_to(pd.Series(seasonality).reindex(range(1, 13)).to_numpy(),
                                 (n, 12))
    season = np.asarray(season, dtype="float64")
    if (~np.isfinite(season) | (season < 0)).any():
        raise TargetError("seasonality: needs 12 finite values >= 0 (months 1..12)")
    if "hire_date" in annual:
        season = season * ramp_factors(annual["hire_date"], year, ramp)
    return np.ascontiguousarray(season)


def _precisions(annual: pd.DataFrame, precision) -> np.ndarray:
    """One rounding step per row: a number for all, or {measure: step} (default PRECISION)."""
    if precision is not None and not isinstance(precision, Mapping):
        step = np.full(len(annual), float(precision))
    else:
        measures = annual.get("measure", pd.Series("revenue", index=annual.index))
        step = measures.map(PRECISION | dict(precision or {})).to_numpy(dtype="float64")
        if np.isnan(step).any():
            raise TargetError(f"precision: no precision for measure(s) "
                              f"{sorted(set(measures[np.isnan(step)]))}")
    if not (step > 0).all():
        raise TargetError(f"precision: must be > 0, got {precision!r}")
    return step
