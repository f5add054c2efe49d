"""Next year's targets from history: company number → regions → teams → reps → periods.

Pure functions on DataFrames. Every split that must add up is done in integer units of the
chosen precision (cents as int64) with largest-remainder rounding, so the parts sum to the
whole exactly, at every level (company, region, team, rep, quarter, month, week).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm, theilslopes

from . import streams
from .data import Dataset
from .errors import TargetError
from .numbers import divide_or_nan

MEASURES = ("revenue", "new_customers")
PRECISION = {"revenue": 0.01, "new_customers": 1.0}
"""Default rounding step per measure: money to the cent, customers to whole numbers."""
DEFAULT_RAMP = (0.2, 0.4, 0.6, 0.8)
"""Share of full productivity in a new hire's tenure months 1, 2, ...; 1.0 after that."""
METHODS = ("history", "potential", "capacity", "equal")
COMPANY_METHODS = ("growth", "weighted", "trend")
GRAINS = ("quarter", "month", "week")
FLAGS = ("not_achievable", "sandbagging", "ramp", "missing_history")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
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
    precision, so 0.1 + 0.2 style noise never shows and 0.25 steps stay 0.25 steps."""
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


# ----------------------------------------------------------------------- history basics


def _history(history, measure: str) -> pd.DataFrame:
    frame = _with_roster(history) if isinstance(history, Dataset) else history
    if frame is None or len(frame) == 0:
        raise TargetError("history: no rows; targets need at least some monthly history")
    for column in ("month", measure):
        if column not in frame.columns:
            raise TargetError(f"history: no column '{column}' (measure={measure!r}); "
                              f"columns are {list(frame.columns)}")
    return frame


def _with_roster(ds: Dataset) -> pd.DataFrame:
    extra = ["rep_id"] + [c for c in ds.roster.columns if c not in ds.history.columns]
    return ds.history.merge(ds.roster[extra], on="rep_id", how="left")


def seasonality(history, measure: str = "revenue", by: str | None = None):
    """Monthly index (mean 1, sums to 12) from several years of history.

    Fits total[year, month] ≈ level[year] × index[month] by alternating medians on the
    months that exist, so a partial first year or a missing month does not bias the index
    the way averaging raw monthly shares would, and one mega-deal month does not move it.
    A calendar month with no data in any year gets 1.0 (neutral).

    `history` is a history frame or a Dataset. With by="region" (a column of history, or of
    the roster for a Dataset) there is one index per group: a DataFrame with a row per group
    and columns 1..12. Without `by`, a Series indexed 1..12.
    """
    frame = _history(history, measure)
    if by is not None and by not in frame.columns:
        raise TargetError(f"by: no column '{by}' in history (pass a Dataset to use roster "
                          f"columns such as 'region')")
    keys = frame[by] if by else pd.Series("all", index=frame.index)
    month = frame["month"]
    totals = frame.groupby([keys.rename("group"), month.dt.year.rename("year"),
                            month.dt.month.rename("m")])[measure].sum()
    index = _fit_index(_cube(totals))
    result = pd.DataFrame(index, index=totals.index.levels[0].rename(by or "group"),
                          columns=pd.RangeIndex(1, 13, name="month"))
    return result if by else result.iloc[0].rename(measure)


def _cube(totals: pd.Series) -> np.ndarray:
    groups, years = totals.index.levels[0], totals.index.levels[1]
    cube = np.full((len(groups), len(years), 12), np.nan)
    g, y, m = (totals.index.codes[0], totals.index.codes[1],
               totals.index.get_level_values(2).to_numpy() - 1)
    cube[g, y, m] = totals.to_numpy()
    return cube


def _fit_index(cube: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Multiplicative median polish on (group, year, month) totals: robust to a mega deal."""
    seen = ~np.isnan(cube)
    index = np.ones(cube.shape[::2])  # (groups, 12)
    with warnings.catch_warnings():  # all-NaN slices (a month never seen) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(iterations):
            level = np.nanmedian(divide_or_nan(cube, index[:, None, :]), axis=2)
            new = np.nanmedian(divide_or_nan(cube, level[:, :, None]), axis=1)
            new = divide_or_nan(new, np.nanmean(new, axis=1, keepdims=True))
            settled = np.allclose(new, index, rtol=1e-12, atol=0, equal_nan=True)
            index = new
            if settled:
                break
    index = np.where(seen.any(1) & np.isfinite(index), index, 1.0)
    index = np.where(index.sum(1, keepdims=True) > 0, index, 1.0)  # all-zero group: flat
    return index * 12 / index.sum(1, keepdims=True)


def annual_totals(history, measure: str = "revenue") -> pd.Series:
    """Company total per calendar year; partial years are annualised by the season index.

    A year with only Jan–Jun counts as total × 12 / (index of Jan..Jun), not × 2, since the
    first half of a year is usually not half of it.
    """
    frame = _history(history, measure)
    months = frame.groupby("month")[measure].sum()
    years = months.index.year
    totals = months.groupby(years).sum()
    if (months.groupby(years).size() == 12).all():
        return totals.rename(measure)  # nothing to annualise
    index = seasonality(frame, measure)
    covered = pd.Series(index.loc[months.index.month].to_numpy(), index=months.index)
    return (totals * 12 / covered.groupby(years).sum()).rename(measure)


def year_totals(history, measure: str = "revenue") -> pd.DataFrame:
    """Per calendar year: months with history, the actual total, the annualised estimate
    (= actual for a full year) and a label that says when a year is partial, e.g.
    "2026 (Jan–Jul, 7 months)". An annualised figure is an estimate, never an actual."""
    frame = _history(history, measure)
    months = frame.groupby("month")[measure].sum()
    years = pd.Index(months.index.year, name="year")
    number = pd.Series(months.index.month, index=months.index)
    table = pd.DataFrame({"months": number.groupby(years).size(),
                          "first": number.groupby(years).min(),
                          "last": number.groupby(years).max(),
                          "actual": months.groupby(years).sum()})
    table["annualised"] = annual_totals(frame, measure).reindex(table.index)
    table["partial"] = table["months"] < 12
    table["label"] = [str(y) if not partial else
                      f"{y} ({MONTH_NAMES[a - 1]}–{MONTH_NAMES[b - 1]}, {n} months)"
                      for y, partial, a, b, n in zip(table.index, table["partial"],
                                                     table["first"], table["last"],
                                                     table["months"], strict=True)]
    return table


def year_sentence(history, year: int, measure: str = "revenue") -> str:
    """One line on a year's total that says whether it is actual, partial or annualised."""
    table = year_totals(history, measure)
    if year not in table.index:
        return f"{year}: no history"
    row = table.loc[year]
    if not row["partial"]:
        return f"{year}: {row['actual']:,.0f} actual"
    return (f"{row['label']}: {row['actual']:,.0f} actual; "
            f"annualised {row['annualised']:,.0f}")


def _weighted_years(totals: pd.Series, year: int, weights, renormalise: bool):
    """(years, weights) of the weighted baseline, and a note when history is shorter."""
    w = _check_weights(np.asarray(weights, dtype="float64"), "weights")
    wanted = list(range(year - 1, year - 1 - len(w), -1))
    missing = [y for y in wanted if y not in totals.index]
    if not missing:
        return wanted, w, ""
    have = [y for y in wanted if y in totals.index]
    keep = np.array([y in totals.index for y in wanted])
    if not renormalise or not have or not w[keep].sum() > 0:
        raise TargetError(f"weights: {len(w)} weights need history for {wanted}, "
                          f"but {missing} have no months; pass fewer weights")
    shown = "/".join(f"{x:g}" for x in w)
    only = (f"{have[0]} only" if len(have) == 1
            else ", ".join(str(y) for y in have[:-1]) + f" and {have[-1]}")
    note = (f"weighted baseline over {only}: weights {shown} ask for {len(w)} years, history "
            f"has no months in {', '.join(str(y) for y in missing)}, so the weights of the "
            f"years there are were scaled to add up to 100%")
    return have, w[keep], note


def company_target(history, year: int, growth: float | None = None, amount: float | None = None,
                   method: str = "growth", weights: Sequence[float] = (0.5, 0.3, 0.2),
                   measure: str = "revenue", renormalise: bool = False) -> float:
    """The company's total for `year` (one measure): a baseline × (1 + growth).

    The baseline, by `method`:
    - "growth": last year's total;
    - "weighted": blend of the last years' totals, most recent first (`weights`, e.g. 0.5,
      0.3, 0.2): steadier than one year, but lags a growing business;
    - "trend": a Theil–Sen line through the de-seasonalised monthly totals (robust to a
      mega-deal month), projected over `year` and re-seasonalised. The line already carries
      the growth, so `growth` here is an adjustment on top (leave it at 0 for the pure trend).
    `amount` sets the total directly (a board number) and ignores the rest. Partial years
    are annualised with the season index (see `annual_totals`). With `renormalise=True` a
    weighted baseline over more years than history has uses the years there are, their
    weights scaled to add up to one (see `company_baselines` for the sentence that says so).
    """
    if amount is not None:
        if not np.isfinite(amount) or amount < 0:
            raise TargetError(f"amount: must be a finite amount >= 0, got {amount!r}")
        return float(amount)
    g = 0.0 if growth is None else float(growth)
    if not np.isfinite(g) or g < -1:
        raise TargetError(f"growth: must be >= -1 (-100%), got {growth!r}")
    if method not in COMPANY_METHODS:
        raise TargetError(f"method: expected one of {COMPANY_METHODS}, got {method!r}")
    frame = _history(history, measure)
    frame = frame[frame["month"].dt.year < year]
    if frame.empty:
        raise TargetError(f"history: no months before {year} (year={year})")
    if method == "trend":
        return _trend_total(frame, year, measure) * (1 + g)
    totals = annual_totals(frame, measure)
    if method == "growth":
        if year - 1 not in totals.index:
            raise TargetError(f"history: no months in {year - 1}, the base year of "
                              f"method='growth' for year={year}")
        return float(totals[year - 1]) * (1 + g)
    wanted, w, _ = _weighted_years(totals, year, weights, renormalise)
    return float(np.dot(w, totals[wanted].to_numpy()) / w.sum()) * (1 + g)


def _base_note(history, year: int, method: str, weights, measure: str) -> str:
    """What a baseline rests on when history is short or partial ("" when nothing to say)."""
    frame = _history(history, measure)
    table = year_totals(frame[frame["month"].dt.year < year], measure)
    if method == "trend":
        return ""
    if method == "growth":
        used, note = [year - 1], ""
    else:
        used, _, note = _weighted_years(table["annualised"], year, weights, True)
    partial = [table.loc[y, "label"] for y in used if table.loc[y, "partial"]]
    if partial:
        note = "; ".join(filter(None, [note, f"{method} uses {' and '.join(partial)} "
                                             f"annualised by the season index (an estimate)"]))
    return note


def company_baselines(history, year: int, weights: Sequence[float] = (0.5, 0.3, 0.2),
                      measure: str = "revenue") -> pd.DataFrame:
    """Each company method's baseline for `year` (no growth) with a note: which years a
    shortened weighted blend rests on, or why a method could not be computed (NaN)."""
    rows = {}
    for method in COMPANY_METHODS:  # three methods
        try:
            value = company_target(history, year, method=method, weights=weights,
                                   measure=measure, renormalise=True)
        except TargetError as error:
            rows[method] = (np.nan, f"{method} not computed: {error}")
            continue
        rows[method] = (value, _base_note(history, year, method, weights, measure))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["baseline", "note"])


def _trend_total(frame: pd.DataFrame, year: int, measure: str) -> float:
    """Line and season fitted together, so growth inside a year is not read as season."""
    months = frame.groupby("month")[measure].sum()
    if len(months) < 2:
        raise TargetError("history: method='trend' needs at least two months of history")
    t = (months.index.year * 12 + months.index.month).to_numpy(dtype="float64")
    m = months.index.month.to_numpy() - 1
    y = months.to_numpy()
    index = seasonality(frame, measure).to_numpy()
    for _ in range(5):  # a few rounds settle it
        slope, intercept, *_ = theilslopes(y / index[m], t)
        ratio = pd.Series(divide_or_nan(y, intercept + slope * t)).groupby(m).median()
        index = ratio.reindex(range(12)).fillna(ratio.mean()).to_numpy()
        index = index / index.mean()
    future = year * 12 + np.arange(1, 13)
    return float(np.clip((intercept + slope * future) * index, 0, None).sum())


# ---------------------------------------------------------------------- rep allocation


def linear_ramp(months: int) -> tuple[float, ...]:
    """A straight-line ramp to full productivity after `months` months (3 → .25, .5, .75)."""
    if months < 0:
        raise TargetError(f"ramp months: must be >= 0, got {months!r}")
    return tuple((np.arange(1, months + 1) / (months + 1)).tolist())


def ramp_factors(hire_date: pd.Series, year: int, ramp: Sequence[float] = DEFAULT_RAMP):
    """(reps × 12) share of full productivity in each month of `year`.

    Tenure month 1 is the month of hire; before it 0, during the ramp `ramp[t-1]`, then 1.
    """
    ramp = np.asarray(ramp, dtype="float64")
    if ((ramp < 0) | (ramp > 1) | ~np.isfinite(ramp)).any():
        raise TargetError(f"ramp: each month's share must be between 0 and 1, got {list(ramp)}")
    hired = pd.DatetimeIndex(hire_date)
    tenure = ((year - hired.year.to_numpy())[:, None] * 12 + np.arange(1, 13)[None, :]
              - hired.month.to_numpy()[:, None] + 1)
    table = np.concatenate([[0.0], ramp, [1.0]])
    return table[np.clip(tenure, 0, len(ramp) + 1)]


def run_rate(history: pd.DataFrame, hire_date: pd.Series, year: int,
             ramp: Sequence[float] = DEFAULT_RAMP, measure: str = "revenue") -> pd.Series:
    """Annual run-rate at full productivity over the 12 months before `year`, per rep.

    Each month's actual is divided by that month's ramp share, so a rep hired last summer
    is judged on what they would make fully ramped. NaN when a rep has no such month.
    `hire_date` is indexed by rep_id.
    """
    last = history[(history["month"].dt.year == year - 1)
                   & history["rep_id"].isin(hire_date.index)]
    hired = hire_date.reindex(last["rep_id"]).to_numpy()
    share = ramp_factors(pd.Series(hired), year - 1, ramp)
    share = share[np.arange(len(last)), last["month"].dt.month.to_numpy() - 1]
    full = pd.Series(divide_or_nan(last[measure].to_numpy(), share), index=last.index)
    return (full.groupby(last["rep_id"]).mean() * 12).reindex(hire_date.index).rename("run_rate")


def allocate_targets(ds: Dataset, total: float, method: str = "history",
                     blend: Mapping[str, float] | None = None, over_assign: float = 0.0,
                     ramp: Sequence[float] = DEFAULT_RAMP,
                     planned_hires: int | Mapping[str, int] = 0, measure: str = "revenue",
                     year: int | None = None, precision: float | None = None,
                     hire_month: int = 1) -> pd.DataFrame:
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
    """
    year = ds.plan_year if year is None else int(year)
    precision = PRECISION.get(measure, 1.0) if precision is None else precision
    if not np.isfinite(over_assign) or over_assign < 0:
        raise TargetError(f"over_assign: must be >= 0 (e.g. 0.05 for 5%), got {over_assign!r}")
    units = _units(total * (1 + over_assign), precision, "total")
    reps = _plan_roster(ds, year, planned_hires, hire_month)
    # equal shares break ties by a fixed order keyed on who each rep is (helpers.streams),
    # so the spare cent never follows the roster's row order or the spelling of the ids
    keys = streams.rep_keys(reps["rep_id"], reps.set_index("rep_id"))
    reps = reps.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)
    capacity = ramp_factors(reps["hire_date"], year, ramp).mean(1)
    hist = _history(ds.history, measure)
    rate = run_rate(hist, reps.set_index("rep_id")["hire_date"], year, ramp, measure)
    last = hist[hist["month"].dt.year == year - 1].groupby("rep_id")[measure].sum()
    reps["last_year"] = last.reindex(reps["rep_id"]).to_numpy()
    reps["run_rate"] = rate.to_numpy()
    basis = _basis(reps, method, blend)
    weights = basis * capacity
    _check_weights(weights, f"method={method!r}: the rep weights")

    region = pd.factorize(reps["region"], sort=True)[0]
    team = pd.factorize(reps["region"] + "\x00" + reps["team"], sort=True)[0]
    team_region = np.zeros(team.max() + 1, dtype=np.int64)
    team_region[team] = region
    region_units = _allocate_grouped(np.array([units]), np.zeros(region.max() + 1, np.int64),
                                     np.bincount(region, weights))
    team_units = _allocate_grouped(region_units, team_region, np.bincount(team, weights))
    rep_units = _allocate_grouped(team_units, team, weights)
    status = np.where(reps["planned"], "planned hire", np.where(capacity < 1, "new hire",
                                                                "active"))
    out = reps.drop(columns="planned").assign(
        status=status, measure=measure, basis=basis, capacity=capacity,
        target=_money(rep_units, precision))
    return out.sort_values(["region", "team", "rep_id"], ignore_index=True)


def _plan_roster(ds: Dataset, year: int, planned_hires, hire_month: int) -> pd.DataFrame:
    columns = ["rep_id", "name", "region", "team", "manager_id", "hire_date"]
    roster = ds.roster[ds.roster["rep_id"].isin(ds.employed())]
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


# -------------------------------------------------------------------------------- phasing


def working_weeks(year: int, holidays: Sequence = ()) -> pd.DataFrame:
    """The (week, month) pieces of `year` with their working days (Mon–Fri minus holidays).

    A week that straddles two months is two pieces, one per month, so monthly totals stay
    exact when weeks are summed. Weeks start on Monday; pieces with no working day are left
    out.
    """
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    working = (days.day_of_week < 5) & ~days.isin(pd.DatetimeIndex(holidays))
    frame = pd.DataFrame({"month": days.to_period("M").to_timestamp(),
                          "week_start": days - pd.to_timedelta(days.day_of_week, unit="D"),
                          "working_days": working.astype("int64")})
    pieces = frame.groupby(["month", "week_start"], as_index=False)["working_days"].sum()
    return pieces[pieces["working_days"] > 0].reset_index(drop=True)


def phase(annual: pd.DataFrame, seasonality=None, year: int | None = None,
          grain: str = "month", precision=None, ramp: Sequence[float] = DEFAULT_RAMP,
          holidays: Sequence = ()) -> pd.DataFrame:
    """Spread each rep's annual target over quarters, months or (week, month) pieces.

    Top-down, exact at each step: year → quarters → months → weeks, each split by largest
    remainder, so year = Σ quarters = Σ months = Σ weeks per rep to the unit of precision.
    Month weights are the season index (a Series 1..12, or a DataFrame by region matched on
    annual['region']; None = equal split) times the rep's ramp share when `annual` has
    `hire_date`. Weeks split their month by working days. `precision` is a number or
    {measure: number}; default PRECISION per measure.
    """
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
    target = annual["target"].to_numpy(dtype="float64")
    if (~np.isfinite(target) | (target < 0)).any():
        raise TargetError("annual: column 'target' must be finite and >= 0")
    units = np.rint(target / step).astype(np.int64)
    quarters = _largest_remainder(units, weights.reshape(-1, 4, 3).sum(2))
    months = _largest_remainder(quarters.ravel(), weights.reshape(-1, 3)).reshape(-1, 12)
    keep = [c for c in ("rep_id", "region", "team", "measure") if c in annual]
    n = len(annual)
    if grain == "quarter":
        rep = np.repeat(np.arange(n), 4)
        periods = {"quarter": np.tile(np.arange(1, 5), n)}
        parts = quarters.ravel()
    elif grain == "month":
        rep = np.repeat(np.arange(n), 12)
        month = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
        periods = {"quarter": np.tile(np.repeat(np.arange(1, 5), 3), n),
                   "month": np.tile(month.to_numpy(), n)}
        parts = months.ravel()
    else:
        pieces = working_weeks(year, holidays)
        m = pieces["month"].dt.month.to_numpy() - 1
        slot = pieces.groupby("month").cumcount().to_numpy()
        table = np.zeros((12, slot.max() + 1))
        table[m, slot] = pieces["working_days"].to_numpy()
        if (table.sum(1) == 0).any():
            raise TargetError("holidays: a month has no working day left to carry its target")
        split = _largest_remainder(months.ravel(), np.tile(table, (n, 1))).reshape(n, 12, -1)
        rep = np.repeat(np.arange(n), len(pieces))
        periods = {"quarter": np.tile(m // 3 + 1, n),
                   "month": np.tile(pieces["month"].to_numpy(), n),
                   "week_start": np.tile(pieces["week_start"].to_numpy(), n),
                   "working_days": np.tile(pieces["working_days"].to_numpy(), n)}
        parts = split[:, m, slot].ravel()
    out = pd.DataFrame({c: annual[c].take(rep).reset_index(drop=True) for c in keep} | periods)
    out["target"] = _money(parts, step[rep])
    return out


def _month_weights(annual, seasonality, year, ramp) -> np.ndarray:
    n = len(annual)
    if seasonality is None:
        season = np.ones((n, 12))
    elif isinstance(seasonality, pd.DataFrame):
        if "region" not in annual:
            raise TargetError("seasonality: an index by region needs annual['region']")
        unknown = set(annual["region"]) - set(seasonality.index)
        if unknown:
            raise TargetError(f"seasonality: no index for region(s) {sorted(unknown)}")
        season = seasonality.reindex(columns=range(1, 13)).loc[annual["region"]].to_numpy()
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


# ------------------------------------------------------------------------------ auditing


def full_years(history: pd.DataFrame, measure: str = "revenue") -> pd.DataFrame:
    """Rep × year totals for the calendar years a rep has all 12 months of."""
    frame = _history(history, measure)
    by = frame.groupby(["rep_id", frame["month"].dt.year.rename("year")])[measure]
    totals = by.agg(["sum", "size"])
    return totals.loc[totals["size"] == 12, "sum"].unstack("year")


def smart_audit(targets: pd.DataFrame, history: pd.DataFrame, year: int | None = None,
                margin: float = 0.0, monthly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flags per rep and measure, for the calibration conversation before targets go out.

    - not_achievable: the growth the target asks for is above the best year-on-year growth
      the rep ever made (+ margin), i.e. outside their own track record;
    - sandbagging: below what the rep did last year;
    - ramp: a new or planned hire whose target is ramped (capacity < 1);
    - missing_history: no full last year, so the target rests on peers, not the rep.

    When last year is partial (history ends mid-year) and `monthly` targets (rep × month,
    as `phase` gives) are passed, like is compared with like: the targets of the months last
    year has (`target_same_months`) against the rep's actuals of those months (`last_year`);
    a rep without all of them has missing history.
    """
    year = int(history["month"].dt.year.max()) + 1 if year is None else year
    shown = history.loc[history["month"].dt.year == year - 1, "month"].dt.month.unique()
    same_months = monthly is not None and 0 < len(shown) < 12
    targets = targets.reset_index(drop=True)
    measures = targets["measure"] if "measure" in targets else pd.Series("revenue",
                                                                         targets.index)
    pieces = []
    for measure, rows in targets.groupby(measures, sort=False):  # a handful of measures
        years = full_years(history, str(measure))
        last = years.get(year - 1, pd.Series(dtype="float64")).reindex(rows["rep_id"])
        growth = years / years.shift(axis=1) - 1
        growth = growth.replace([np.inf, -np.inf], np.nan)
        best = growth.max(axis=1).reindex(rows["rep_id"])
        piece = {"last_year": last.to_numpy(), "best_growth": best.to_numpy()}
        if same_months:
            piece.update(_same_months(history, monthly, rows, str(measure), year, shown))
        pieces.append(pd.DataFrame(piece, index=rows.index))
    audit = pd.concat(pieces).sort_index()
    keep = [c for c in ("rep_id", "name", "region", "team", "status", "measure", "target")
            if c in targets]
    out = pd.concat([targets[keep], audit], axis=1)
    compare = out["target_same_months"] if same_months else out["target"]
    out["required_growth"] = divide_or_nan(compare.to_numpy(), out["last_year"].to_numpy()) - 1
    capacity = targets.get("capacity", pd.Series(1.0, index=targets.index))
    out["not_achievable"] = out["required_growth"] > out["best_growth"] + margin
    out["sandbagging"] = compare < out["last_year"]
    out["ramp"] = (capacity < 1).to_numpy()
    out["missing_history"] = out["last_year"].isna().to_numpy()
    named = np.array([f.replace("_", " ") for f in FLAGS], dtype=object)
    hits = out[list(FLAGS)].to_numpy()
    out["flags"] = ["; ".join(named[row]) for row in hits]
    return out


def _same_months(history, monthly, rows, measure: str, year: int, shown) -> dict:
    """Last year's actuals of the months it has, and the targets of the same months."""
    last = history[(history["month"].dt.year == year - 1)]
    sums = last.groupby("rep_id")[measure].agg(["sum", "size"])
    actual = sums["sum"].where(sums["size"] == len(shown)).reindex(rows["rep_id"])
    plan = monthly[monthly["month"].dt.month.isin(shown)]
    if "measure" in plan:
        plan = plan[plan["measure"] == measure]
    same = plan.groupby("rep_id")["target"].sum().reindex(rows["rep_id"])
    return {"target_same_months": same.to_numpy(), "last_year": actual.to_numpy()}


def audit_notes(audit: pd.DataFrame, history: pd.DataFrame, year: int,
                measure: str = "revenue") -> list[str]:
    """Sentences on the flags `smart_audit` could not judge for `measure`, and why."""
    rows = audit[audit["measure"] == measure] if "measure" in audit else audit
    last = year_totals(history, measure)
    notes = []
    if year - 1 not in last.index:
        notes.append(f"no history in {year - 1}: 'sandbagging' and 'not achievable' cannot be "
                     f"judged and every rep shows 'missing history'")
    elif last.loc[year - 1, "partial"] and "target_same_months" in rows:
        notes.append(f"{last.loc[year - 1, 'label']} is not a full year: 'sandbagging' and "
                     f"the growth a target asks for compare the targets of the same months "
                     f"with those months' actuals; a rep without all of them shows 'missing "
                     f"history'")
    elif last.loc[year - 1, "partial"]:
        notes.append(f"{last.loc[year - 1, 'label']} is not a full year: 'sandbagging' and "
                     f"'not achievable' need a full last year, so they cannot be judged and "
                     f"every rep shows 'missing history'")
    if len(rows) and rows["best_growth"].isna().all():
        notes.append("no rep has two full years of history: 'not achievable' (growth beyond "
                     "the rep's best year so far) cannot be judged")
    return notes


def backtest(ds: Dataset, method: str | Sequence[str] = "history", year: int | None = None,
             company_method: str = "growth", growth: float | None = None,
             measure: str = "revenue", **allocate_kwargs) -> pd.DataFrame:
    """Set targets as if it were a year earlier and compare with what reps then did.

    History up to `year` (default: `backtest_year`, the last full year after a full year)
    is cut off; a partial `year` raises, since a full-year target and part of a year of
    actuals are not like with like. Reps hired before it
    are the roster, leavers during it still count as employed. For each allocation method:
    the company error, the WAPE of rep targets against actuals (Σ|actual − target| /
    Σ actual) and the share of reps who would have hit, both over reps with 12 months of
    actuals in `year`.
    """
    covered = year_totals(ds.history, measure)
    if year is None:
        year = backtest_year(ds.history, measure)
        if year is None:
            raise TargetError(f"year: the backtest needs a full year (12 months) of history "
                              f"before the last full one, and history has "
                              f"{_coverage(covered)}")
    year = int(year)
    start = pd.Timestamp(year, 1, 1)
    past_history = ds.history[ds.history["month"] < start]
    if past_history.empty:
        raise TargetError(f"year: no history before {year} to backtest from")
    if year not in covered.index or covered.loc[year, "partial"]:
        have = covered.loc[year, "label"] if year in covered.index else f"{year}: no months"
        raise TargetError(f"year: {have} of history; a full-year target cannot be compared "
                          f"with them, so backtest a full year")
    roster = ds.roster[ds.roster["rep_id"].isin(ds.employed(start - pd.Timedelta(days=1)))]
    if "leave_date" in roster:  # who was there when the year's targets were set
        roster = roster.assign(leave_date=pd.NaT)
    past = Dataset(roster, past_history, source=f"{ds.source} before {year}")
    total = company_target(past_history, year, growth=growth, method=company_method,
                           measure=measure, renormalise=True)
    actual = full_years(ds.history[ds.history["month"].dt.year == year], measure)
    actual = actual.get(year, pd.Series(dtype="float64"))
    company_actual = ds.history.loc[ds.history["month"].dt.year == year, measure].sum()
    rows = []
    for name in [method] if isinstance(method, str) else method:  # a few methods, not reps
        t = allocate_targets(past, total, method=name, measure=measure, year=year,
                             **allocate_kwargs)
        t = t.set_index("rep_id")["target"]
        both = actual.index.intersection(t.index)
        a, p = actual[both].to_numpy(), t[both].to_numpy()
        rows.append({"method": name, "company_target": total, "company_actual": company_actual,
                     "company_error": total / company_actual - 1 if company_actual else np.nan,
                     "reps": len(both), "wape": np.abs(a - p).sum() / a.sum(),
                     "hit_rate": float((a >= p).mean()) if len(both) else np.nan})
    return pd.DataFrame(rows)


def backtest_year(history, measure: str = "revenue") -> int | None:
    """The last calendar year with 12 months of history whose previous year has 12 too
    (what a like-for-like backtest needs); None when there is none."""
    table = year_totals(history, measure)
    full = set(table.index[~table["partial"]])
    fit = [y for y in full if y - 1 in full]
    return max(fit) if fit else None


def _coverage(table: pd.DataFrame) -> str:
    return ", ".join(table["label"]) if len(table) else "no months"


def missing_for(ds: Dataset, method: str, blend: Mapping[str, float] | None = None) -> str:
    """Why `method` (or a blend) cannot run on this data: a sentence, or "" when it can."""
    lacks = ds.lacks()
    needed = [m for m in (blend or {}) if (blend or {})[m] > 0] if method == "blend" else [method]
    gaps = [m for m in needed if NEEDS.get(m) in lacks]
    if not gaps:
        return ""
    column = NEEDS[gaps[0]]
    what = (f"the blend mixes in {', '.join(gaps)}, and {gaps[0]} needs" if method == "blend"
            else f"method {method!r} needs")
    return f"{what} the roster column '{column}', which this data does not have"


def backtest_methods(ds: Dataset, methods: Sequence[str], blend: Mapping | None = None,
                     **kwargs) -> tuple[pd.DataFrame, list[str]]:
    """`backtest` of every method the data supports, and a sentence for each thing left out.

    Methods that need data the set lacks (e.g. 'potential' without territory_potential, or a
    blend that mixes it in) are left out with a note; when there is no full year to backtest
    (see `backtest_year`) or no method is left, the table is empty and a note says why.
    """
    notes, keep = [], []
    for name in methods:  # a handful of methods
        gap = missing_for(ds, name, blend)
        if gap:
            notes.append(f"{name} left out of the backtest: {gap}")
        else:
            keep.append(name)
    if not keep:
        return pd.DataFrame(), notes + ["no method left to backtest"]
    try:
        table = backtest(ds, keep, blend=blend if "blend" in keep else None, **kwargs)
    except TargetError as error:
        reason = str(error).removeprefix("year: ")
        return pd.DataFrame(), [f"backtest skipped: {reason}"] + notes
    return table, notes


def expected_attainment(targets: pd.DataFrame, history: pd.DataFrame, n: int = 1000,
                        seed: int = 0, market_sd: float = 0.05, tolerance: float = 0.10,
                        band: tuple[float, float] = (0.6, 0.7),
                        own_sd: float | None = None) -> pd.DataFrame:
    """Simulated share of reps hitting target, overall and by region and team (one measure).

    Each rep's plan-year result is their run-rate (targets['run_rate'] × capacity; peers'
    median when missing) × exp(market + own), where `market` ~ Normal(median historical
    growth, market_sd) is shared by everyone in a scenario and `own` is bootstrapped from
    the reps' historical year-on-year log growth around that year's median. Rows: company,
    each region and each team; `flag` says 'harder' or 'easier' when a group's expected
    share is more than `tolerance` away from the company's. Practitioners aim for 60–70%.

    History without two full years for any rep has no year-to-year variation to learn: then
    `own` ~ Normal(0, `own_sd`) (an assumption, stated in `result.attrs["note"]`) and the
    market is centred on no growth; with `own_sd=None` that stops with a TargetError.
    """
    if n < 1:
        raise TargetError(f"n: need at least one scenario, got {n!r}")
    if "measure" in targets and targets["measure"].nunique() > 1:
        raise TargetError("targets: pass one measure at a time (filter targets['measure'])")
    measure = str(targets["measure"].iloc[0]) if "measure" in targets else "revenue"
    targets = targets[targets["target"] > 0].reset_index(drop=True)
    if targets.empty:
        raise TargetError("targets: no rep has a target above zero")
    growth = full_years(history, measure)
    logs = np.log(growth / growth.shift(axis=1)).replace([np.inf, -np.inf], np.nan)
    yearly = logs.median()
    own = (logs - yearly).stack().dropna().to_numpy()
    note = ""
    if own.size == 0:
        if own_sd is None:
            raise TargetError("history: needs two full years for some reps to learn how much "
                              "results vary from year to year (or pass own_sd= to assume a "
                              "spread)")
        if not np.isfinite(own_sd) or own_sd < 0:
            raise TargetError(f"own_sd: must be a finite spread >= 0, got {own_sd!r}")
        note = (f"no rep has two full years of history, so each rep's year-to-year variation "
                f"is an assumption: a spread of {own_sd:.0%} (standard deviation of log "
                f"growth, adjustable), and the market swing ({market_sd:.0%}) is centred on "
                f"no growth")
    capacity = targets.get("capacity", pd.Series(1.0, index=targets.index))
    rate = targets["run_rate"] if "run_rate" in targets else run_rate(
        history, targets.set_index("rep_id")["hire_date"], int(history["month"].dt.year.max())
        + 1, measure=measure).reset_index(drop=True)
    base = _fill_by_team(targets, rate, "a run-rate") * capacity.to_numpy()
    rng = np.random.default_rng(seed)
    drift = float(yearly.dropna().mean()) if yearly.notna().any() else 0.0
    market = rng.normal(drift, market_sd, n)
    # each rep draws from the pool (in value order) with its own keyed stream: the draws
    # follow the rep, not its row or id (helpers.streams)
    people = targets.set_index("rep_id") if "rep_id" in targets else None
    keys = streams.rep_keys(targets["rep_id"] if people is not None else targets.index,
                            people, seed)
    uniform = streams.uniforms(keys, np.arange(n))
    if own.size:
        draws = np.sort(own)[(uniform * own.size).astype(np.int64)]
    else:
        draws = own_sd * norm.ppf(uniform)
    hit = base[None, :] * np.exp(market[:, None] + draws) >= targets["target"].to_numpy()
    rows = [_shares(hit, np.zeros(len(targets), int), ["company"], "company")]
    for level in ("region", "team"):
        if level in targets:
            codes, names = pd.factorize(targets[level], sort=True)
            rows.append(_shares(hit, codes, list(names), level))
    out = pd.concat(rows, ignore_index=True)
    company = out["expected_share"].iloc[0]
    out["vs_company"] = out["expected_share"] - company
    out["flag"] = np.select([out["vs_company"] < -tolerance, out["vs_company"] > tolerance],
                            ["harder", "easier"], "")
    out["in_band"] = out["expected_share"].between(*band)
    if note:
        out.attrs["note"] = note
    return out


def _shares(hit: np.ndarray, codes: np.ndarray, names: list, level: str) -> pd.DataFrame:
    onehot = np.eye(len(names))[codes]
    share = hit @ onehot / onehot.sum(0)
    return pd.DataFrame({"level": level, "group": names, "reps": onehot.sum(0).astype(int),
                         "expected_share": share.mean(0),
                         "p10": np.quantile(share, 0.1, axis=0),
                         "p90": np.quantile(share, 0.9, axis=0)})


# --------------------------------------------------------------------- the whole plan


@dataclass(frozen=True, eq=False)
class TargetPlan:
    """Everything notebook 01 shows and writes, from one call to `plan_targets`."""

    year: int
    totals: pd.Series  # company target per measure (before over-assignment)
    targets: pd.DataFrame  # rep × measure, annual
    monthly: pd.DataFrame  # rep × month × measure
    phased: pd.DataFrame  # rep × period × measure at the chosen grain
    season: pd.DataFrame  # index by region, columns 1..12
    last_months: tuple[int, ...] = tuple(range(1, 13))  # months of year - 1 with history
    notes: tuple[str, ...] = ()  # what was adapted to the data, one sentence each

    def summary(self, measure: str = "revenue") -> pd.DataFrame:
        """Per region: reps, last year's actual, target and the growth it asks for.

        Growth compares like with like: when last year is partial (say Jan–Jul), the target
        of the same months (column `target_same_months`) against those months' actuals.
        `attrs["growth_basis"]` says which.
        """
        rows = self.targets[self.targets["measure"] == measure]
        table = rows.groupby("region").agg(reps=("rep_id", "size"),
                                           last_year=("last_year", "sum"),
                                           target=("target", "sum"))
        months, last = self.last_months, self.year - 1
        partial = 0 < len(months) < 12
        if partial:
            monthly = self.monthly[(self.monthly["measure"] == measure)
                                   & self.monthly["month"].dt.month.isin(months)]
            same = monthly.groupby("region")["target"].sum()
            table["target_same_months"] = same.reindex(table.index, fill_value=0.0)
        table.loc["total"] = table.sum()
        compare = table["target_same_months"] if partial else table["target"]
        table["growth"] = compare / table["last_year"] - 1
        if not months:
            table["growth"] = np.nan
            basis = f"growth not computed: no history in {last}"
        elif partial:
            span = (f"{MONTH_NAMES[months[0] - 1]}–{MONTH_NAMES[months[-1] - 1]}, "
                    f"{len(months)} months")
            basis = (f"growth compares the {self.year} targets of the months {last} has "
                     f"history for ({span}) with the same months' actuals of {last}; "
                     f"{last} is a partial year")
        else:
            basis = f"growth compares the full year target with {last}'s full year actual"
        table = table.astype({"reps": "int64"})
        table.attrs["growth_basis"] = basis
        return table


def plan_targets(ds: Dataset, year: int | None = None, growth: float = 0.05,
                 amount: Mapping[str, float] | None = None, company_method: str = "growth",
                 method: str = "history", blend: Mapping[str, float] | None = None,
                 over_assign: float = 0.0, ramp: Sequence[float] = DEFAULT_RAMP,
                 planned_hires: int | Mapping[str, int] = 0, grain: str = "month",
                 measures: Sequence[str] = MEASURES, seasonal: bool = True,
                 season: pd.DataFrame | None = None, holidays: Sequence = (),
                 weights: Sequence[float] = (0.5, 0.3, 0.2)) -> TargetPlan:
    """Company target → reps → periods for each measure: the notebook's (and widgets') call.

    `amount` sets a measure's company total directly ({"revenue": 120e6}); `seasonal=False`
    phases equally instead of by the region's season index; `season` passes that index in
    when it is already computed (the widget panel caches it); `holidays` are taken out of
    the working days that split months into weeks; `weights` are those of
    company_method="weighted" (fewer years of history: the years there are, rescaled).
    `notes` on the plan say, one sentence each, what was adapted to the data.
    """
    year = ds.plan_year if year is None else int(year)
    season = seasonality(ds, "revenue", by="region") if season is None else season
    method, blend, notes = _usable(ds, method, blend)
    totals, frames = {}, []
    for measure in measures:  # two measures, not reps
        given = (amount or {}).get(measure)
        totals[measure] = company_target(ds.history, year, growth=growth, method=company_method,
                                         amount=given, measure=measure, weights=weights,
                                         renormalise=True)
        if given is None:
            note = _base_note(ds.history, year, company_method, weights, measure)
            if note and note not in notes:
                notes.append(note)
        frames.append(allocate_targets(ds, totals[measure], method=method, blend=blend,
                                       over_assign=over_assign, ramp=ramp, year=year,
                                       planned_hires=planned_hires, measure=measure))
    targets = pd.concat(frames, ignore_index=True)
    shape = season if seasonal else None
    monthly = phase(targets, shape, year, "month", ramp=ramp)
    phased = (monthly if grain == "month"
              else phase(targets, shape, year, grain, ramp=ramp, holidays=holidays))
    last = ds.history.loc[ds.history["month"].dt.year == year - 1, "month"].dt.month
    return TargetPlan(year, pd.Series(totals, name="company_target"), targets, monthly,
                      phased, season, tuple(sorted(set(last.tolist()))), tuple(notes))


def _usable(ds: Dataset, method: str, blend):
    """The split method the data supports: 'potential' without territory potential falls
    back to 'history', and a blend drops what it cannot mix; each with a sentence."""
    gap = missing_for(ds, method, blend)
    if not gap:
        return method, blend, []
    if method != "blend":
        return "history", None, [f"{gap}: targets are split by 'history' (own run-rate) "
                                 f"instead"]
    rest = {m: w for m, w in blend.items() if not NEEDS.get(m) or NEEDS[m] not in ds.lacks()}
    if not any(w > 0 for w in rest.values()):
        return "history", None, [f"{gap}: targets are split by 'history' (own run-rate) "
                                 f"instead"]
    mix = ", ".join(f"{m} {w:g}" for m, w in rest.items())
    return "blend", rest, [f"{gap}: the blend mixes what is left ({mix}, in proportion)"]
