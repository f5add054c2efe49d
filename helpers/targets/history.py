"""History basics shared by the target engine: the season index, calendar-year totals
(partial years annualised and labelled as such) and the sentence that says which.
"""

from __future__ import annotations

import warnings
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..data import Dataset, outlier_months
from ..errors import TargetError
from ..numbers import divide_or_nan, nanmedian

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
Outliers = Literal["cap", "keep"]
"""Outlier months in a rep's basis: "cap" them at the rep's highest usual month, or "keep"."""
OUTLIER_TREATMENTS: tuple[str, ...] = get_args(Outliers)


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
            level = nanmedian(divide_or_nan(cube, index[:, None, :]), axis=2)
            new = nanmedian(divide_or_nan(cube, level[:, :, None]), axis=1)
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


# ----------------------------------------------------------------------- outlier months


def outlier_caps(history, year: int, measure: str = "revenue") -> pd.DataFrame:
    """The months of `year - 1` (a rep's basis) that outliers="cap" caps, and by how much.

    The rule is `helpers.data.outlier_months` (the quality report's "outlier"), judged on
    the history before `year`: a month whose modified z-score of log measure within the rep
    is above `helpers.data.OUTLIER_Z` is capped at the rep's highest usual month, the
    median month × exp(z × MAD / 0.6745). Flag and treatment are the same months.

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history with rep_id, month and the measure, or a Dataset.
    year : int
        The plan year; months of `year - 1` are capped, the rule reads all months before.
    measure : str, default "revenue"
        The history column.

    Returns
    -------
    pandas.DataFrame
        A row per capped month, by rep_id and month: actual, cap and removed (actual − cap).

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column.
    """
    frame = _history(history, measure)
    capped, _ = _capped(frame, year, measure, "cap")
    hit = capped.index[capped[measure].to_numpy() < frame.loc[capped.index, measure].to_numpy()]
    table = pd.DataFrame({"rep_id": frame.loc[hit, "rep_id"].to_numpy(),
                          "month": frame.loc[hit, "month"].to_numpy(),
                          "actual": frame.loc[hit, measure].to_numpy(dtype="float64"),
                          "cap": capped.loc[hit, measure].to_numpy(dtype="float64")})
    table["removed"] = table["actual"] - table["cap"]
    return table.sort_values(["rep_id", "month"], ignore_index=True)


def _capped(frame: pd.DataFrame, year: int, measure: str, outliers: str):
    """(the history before `year` with last year's outlier months capped, True if any was)."""
    if outliers not in OUTLIER_TREATMENTS:
        raise TargetError(f"outliers: expected one of {OUTLIER_TREATMENTS}, got {outliers!r}")
    before = frame[frame["month"].dt.year < year]
    if outliers == "keep" or before.empty:
        return before, False
    rule = outlier_months(before, measure)
    touch = rule["outlier"].to_numpy() & (before["month"].dt.year == year - 1).to_numpy()
    if not touch.any():
        return before, False
    values = before[measure].astype("float64").to_numpy()
    values = np.where(touch, np.minimum(values, rule["cap"].to_numpy()), values)
    return before.assign(**{measure: values}), True


def cap_sentence(caps: pd.DataFrame, measure: str = "revenue") -> str:
    """Which reps the outlier cap touched and by how much, in one sentence ("" for none).

    Parameters
    ----------
    caps : pandas.DataFrame
        An `outlier_caps` table.
    measure : str, default "revenue"
        The measure, named in the sentence.

    Returns
    -------
    str
        E.g. "outlier months capped in the revenue basis (as the quality report flags
        them): R007 2025-06 437,000 → 61,200 (−375,800)"; "" when nothing was capped.
    """
    if caps.empty:
        return ""
    parts = [f"{r} {m:%Y-%m} {a:,.0f} → {c:,.0f} (−{x:,.0f})"
             for r, m, a, c, x in caps[["rep_id", "month", "actual", "cap",
                                        "removed"]].itertuples(index=False)]
    return (f"outlier months capped in the {measure} basis at the rep's highest usual month "
            f"(the months the quality report flags; outliers='keep' uses them as they are): "
            + "; ".join(parts))
