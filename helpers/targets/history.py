"""History basics shared by the target engine: the season index, calendar-year totals
(partial years annualised and labelled as such) and the sentence that says which.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import TargetError
from ..numbers import divide_or_nan

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


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


def seasonality(history, measure: str = "revenue", *, by: str | None = None):
    """Monthly index (mean 1, sums to 12) from several years of history.

    Fits total[year, month] ≈ level[year] × index[month] by alternating medians on the
    months that exist, so a partial first year or a missing month does not bias the index
    the way averaging raw monthly shares would, and one mega-deal month does not move it.
    A calendar month with no data in any year gets 1.0 (neutral).

    `history` is a history frame or a Dataset. With by="region" (a column of history, or of
    the roster for a Dataset) there is one index per group: a DataFrame with a row per group
    and columns 1..12. Without `by`, a Series indexed 1..12.

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    measure : str, default "revenue"
        The history column to total.
    by : str or None, default None
        A column to index each group of separately, e.g. "region".

    Returns
    -------
    pandas.Series or pandas.DataFrame
        The index by month 1..12; with `by`, one row per group.

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column, or no `by` column.
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

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    measure : str, default "revenue"
        The history column to total.

    Returns
    -------
    pandas.Series
        Total (annualised where partial) by calendar year, named after the measure.

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column.
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
    "2026 (Jan–Jul, 7 months)". An annualised figure is an estimate, never an actual.

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    measure : str, default "revenue"
        The history column to total.

    Returns
    -------
    pandas.DataFrame
        Indexed by year: months, first, last, actual, annualised, partial and label.

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column.
    """
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
    """One line on a year's total that says whether it is actual, partial or annualised.

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history (a `month` column and the measure), or a Dataset.
    year : int
        The calendar year.
    measure : str, default "revenue"
        The history column to total.

    Returns
    -------
    str
        E.g. "2025: 1,234 actual", or "<year>: no history".

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column.
    """
    table = year_totals(history, measure)
    if year not in table.index:
        return f"{year}: no history"
    row = table.loc[year]
    if not row["partial"]:
        return f"{year}: {row['actual']:,.0f} actual"
    return (f"{row['label']}: {row['actual']:,.0f} actual; "
            f"annualised {row['annualised']:,.0f}")
