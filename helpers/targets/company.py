"""The company number for the plan year: last year, a weighted blend of years or a
robust trend, times growth; partial years annualised by the season index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy.stats import theilslopes

from ..errors import TargetError
from ..numbers import divide_or_nan
from .allocation import _check_weights
from .history import _history, annual_totals, seasonality, year_totals

CompanyMethod = Literal["growth", "weighted", "trend"]
COMPANY_METHODS: tuple[str, ...] = get_args(CompanyMethod)
TREND_YEARS = 3
"""Years of history (the latest 12 × this months before the plan year) the trend fits."""
TREND_DAMPING = 0.98
"""Monthly damping of the trend's slope past the last month of history (1: a straight
line): month h ahead adds slope × (φ + φ² + … + φʰ), as in Gardner's damped trend."""


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


def company_target(history, year: int, *, growth: float | None = None,
                   amount: float | None = None, method: CompanyMethod = "growth",
                   weights: Sequence[float] = (0.5, 0.3, 0.2), measure: str = "revenue",
                   renormalise: bool = False, trend_years: int = TREND_YEARS,
                   damping: float = TREND_DAMPING) -> float:
    """The company's total for `year` (one measure): a baseline × (1 + growth).

    The baseline, by `method`:
    - "growth": last year's total;
    - "weighted": blend of the last years' totals, most recent first (`weights`, e.g. 0.5,
      0.3, 0.2): steadier than one year, but lags a growing business;
    - "trend": a Theil–Sen line through the de-seasonalised monthly totals of the last
      `trend_years` years (the latest 12 × trend_years months; robust to a mega-deal
      month, and blind to an older regime), projected over `year` from the last month of
      history with its slope damped by `damping` a month, and re-seasonalised. The line
      already carries the growth, so `growth` here is an adjustment on top (leave it at 0
      for the pure trend).
    `amount` sets the total directly (a board number) and ignores the rest. Partial years
    are annualised with the season index (see `annual_totals`). With `renormalise=True` a
    weighted baseline over more years than history has uses the years there are, their
    weights scaled to add up to one (see `company_baselines` for the sentence that says so).

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    year : int
        The plan year; only history before it is used.
    growth : float or None, default None
        Growth over the baseline (0.08 for 8%), >= -1; None for 0.
    amount : float or None, default None
        The total itself (finite, >= 0); ignores everything else.
    method : {"growth", "weighted", "trend"}, default "growth"
        The baseline, as above.
    weights : Sequence of float, default (0.5, 0.3, 0.2)
        Weights of the last years, most recent first ("weighted" only).
    measure : str, default "revenue"
        The history column to plan.
    renormalise : bool, default False
        Let "weighted" use fewer years than `weights` asks for.
    trend_years : int, default TREND_YEARS
        Years of history the trend fits, >= 1 ("trend" only).
    damping : float, default TREND_DAMPING
        Monthly damping of the trend's slope, in (0, 1]; 1 for a straight line ("trend"
        only).

    Returns
    -------
    float
        The company total for `year`.

    Raises
    ------
    TargetError
        If `amount`, `growth`, `trend_years` or `damping` is out of range, `method`
        unknown, the weights are not
        valid, or the history lacks the months the method needs (any before `year`; the
        base year for "growth"; every weighted year unless `renormalise`; two months
        for "trend").
    """
    if amount is not None:
        if not np.isfinite(amount) or amount < 0:
            raise TargetError(f"amount: must be a finite amount >= 0, got {amount!r}")
        return float(amount)
    g = _check_growth(growth)
    return _baseline(history, year, method, weights, measure, renormalise, trend_years,
                     damping) * (1 + g)


def _check_growth(growth: float | None) -> float:
    g = 0.0 if growth is None else float(growth)
    if not np.isfinite(g) or g < -1:
        raise TargetError(f"growth: must be >= -1 (-100%), got {growth!r}")
    return g


def _baseline(history, year: int, method: str, weights, measure: str, renormalise: bool,
              trend_years: int, damping: float) -> float:
    """`company_target` before growth (the same for every growth, so cached by the panel)."""
    if method not in COMPANY_METHODS:
        raise TargetError(f"method: expected one of {COMPANY_METHODS}, got {method!r}")
    _check_trend(trend_years, damping)
    frame = _history(history, measure)
    frame = frame[frame["month"].dt.year < year]
    if frame.empty:
        raise TargetError(f"history: no months before {year} (year={year})")
    if method == "trend":
        return _trend_total(frame, year, measure, trend_years, damping)
    totals = annual_totals(frame, measure)
    if method == "growth":
        if year - 1 not in totals.index:
            raise TargetError(f"history: no months in {year - 1}, the base year of "
                              f"method='growth' for year={year}")
        return float(totals[year - 1])
    wanted, w, _ = _weighted_years(totals, year, weights, renormalise)
    return float(np.dot(w, totals[wanted].to_numpy()) / w.sum())


def _check_trend(trend_years, damping) -> None:
    if not (isinstance(trend_years, (int, np.integer)) and trend_years >= 1):
        raise TargetError(f"trend_years: must be a whole number of years >= 1, "
                          f"got {trend_years!r}")
    if not (np.isfinite(damping) and 0 < damping <= 1):
        raise TargetError(f"damping: must be in (0, 1] (1: no damping), got {damping!r}")


def _trend_window(months: pd.Series, trend_years: int) -> pd.Series:
    """The latest 12 × trend_years months of company totals."""
    start = months.index.max() - pd.DateOffset(months=12 * trend_years - 1)
    return months[months.index >= start]


def _base_note(history, year: int, method: str, weights, measure: str,
               trend_years: int = TREND_YEARS, damping: float = TREND_DAMPING) -> str:
    """What a baseline rests on when history is short or partial ("" when nothing to say)."""
    frame = _history(history, measure)
    frame = frame[frame["month"].dt.year < year]
    if method == "trend":
        window = _trend_window(frame.groupby("month")[measure].sum(), trend_years)
        span = f"{window.index.min():%Y-%m} to {window.index.max():%Y-%m}"
        damped = (f", its slope damped by {damping:g} a month past the last month"
                  if damping < 1 else ", undamped")
        return (f"trend fits the last {trend_years} year(s) of history ({span}, "
                f"{len(window)} months){damped}")
    table = year_totals(frame, measure)
    if method == "growth":
        used, note = [year - 1], ""
    else:
        used, _, note = _weighted_years(table["annualised"], year, weights, True)
    partial = [table.loc[y, "label"] for y in used if table.loc[y, "partial"]]
    if partial:
        note = "; ".join(filter(None, [note, f"{method} uses {' and '.join(partial)} "
                                             f"annualised by the season index (an estimate)"]))
    return note


def company_baselines(history, year: int, *, weights: Sequence[float] = (0.5, 0.3, 0.2),
                      measure: str = "revenue", trend_years: int = TREND_YEARS,
                      damping: float = TREND_DAMPING) -> pd.DataFrame:
    """Each company method's baseline for `year` (no growth) with a note: which years a
    shortened weighted blend rests on, or why a method could not be computed (NaN).

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    year : int
        The plan year.
    weights : Sequence of float, default (0.5, 0.3, 0.2)
        Weights of the "weighted" method, most recent year first.
    measure : str, default "revenue"
        The history column to plan.
    trend_years : int, default TREND_YEARS
        Years of history the "trend" method fits.
    damping : float, default TREND_DAMPING
        Monthly damping of the trend's slope, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        Indexed by method ("growth", "weighted", "trend"): baseline and note.
    """
    rows = {}
    for method in COMPANY_METHODS:  # three methods
        try:
            value = company_target(history, year, method=method, weights=weights,
                                   measure=measure, renormalise=True,
                                   trend_years=trend_years, damping=damping)
        except TargetError as error:
            rows[method] = (np.nan, f"{method} not computed: {error}")
            continue
        rows[method] = (value, _base_note(history, year, method, weights, measure,
                                          trend_years, damping))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["baseline", "note"])


def _trend_total(frame: pd.DataFrame, year: int, measure: str, trend_years: int,
                 damping: float) -> float:
    """Line and season fitted together on the window, so growth inside a year is not read
    as season; then projected with a damped slope from the last month of the window.
    """
    months = _trend_window(frame.groupby("month")[measure].sum(), trend_years)
    if len(months) < 2:
        raise TargetError("history: method='trend' needs at least two months of history")
    window = frame[frame["month"].isin(months.index)]
    t = (months.index.year * 12 + months.index.month).to_numpy(dtype="float64")
    m = months.index.month.to_numpy() - 1
    y = months.to_numpy()
    index = seasonality(window, measure).to_numpy()
    for _ in range(5):  # a few rounds settle it
        slope, intercept, *_ = theilslopes(y / index[m], t)
        ratio = pd.Series(divide_or_nan(y, intercept + slope * t)).groupby(m).median()
        index = ratio.reindex(range(12)).fillna(ratio.mean()).to_numpy()
        index = index / index.mean()
    end = t.max()
    ahead = year * 12 + np.arange(1, 13) - end  # months past the last one of history
    steps = (ahead if damping == 1
             else damping * (1 - damping ** ahead) / (1 - damping))  # φ + φ² + … + φʰ
    level = intercept + slope * end + slope * steps
    return float(np.clip(level * index, 0, None).sum())
