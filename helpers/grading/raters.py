"""Rater adjustment: each manager's leniency or severity taken out of review scores."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import GradingError
from .kpi import DIRECTIONS, REVIEW_KPIS

# -------------------------------------------------------------------------- adjust raters


def adjust_raters(reviews: pd.DataFrame, kpis: pd.DataFrame | None = None, *,
                  columns: Sequence[str] = REVIEW_KPIS, objective: Sequence[str] | None = None,
                  flag_at: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove each rater's leniency or severity from review scores.

    Model per score column: rating = b * objective(rep) + rater effect + noise, fitted by
    least squares, where objective is the rep's mean z-score on the objective KPIs in
    `kpis` (default: all non-review KPIs). A rater's leniency is their effect minus the
    average rater's, so a manager whose team really performs better is not called
    lenient. Without `kpis` it falls back to centring each rater on the average rater.
    Returns (reviews with adjusted scores, one row per rater: n, leniency per column,
    mean leniency, its standard error and a 'lenient'/'severe' flag when
    |leniency| >= flag_at and |t| >= 2). Adjusted scores may sit slightly outside 1..5.

    Parameters
    ----------
    reviews : pandas.DataFrame
        One row per review: `rep_id`, `rater_id` and the score `columns`.
    kpis : pandas.DataFrame, optional
        KPIs per rep for the objective index; without it, raters are centred only.
    columns : Sequence[str], default REVIEW_KPIS
        The review score columns to adjust.
    objective : Sequence[str], optional
        KPI columns of `kpis` making the objective index (default: the non-review KPIs).
    flag_at : float, default 0.3
        The leniency (in score points) at which a significant rater is flagged.

    Returns
    -------
    adjusted : pandas.DataFrame
        `reviews` with the score columns adjusted.
    raters : pandas.DataFrame
        One row per rater, most lenient first: `n`, `leniency_<column>`, `leniency`, `se`
        and `flag`.

    Raises
    ------
    GradingError
        When a column is missing, `reviews` is empty or an objective column is not a KPI
        of `kpis`.
    """
    missing = [c for c in ("rep_id", "rater_id", *columns) if c not in reviews.columns]
    if missing:
        raise GradingError(f"reviews: missing column(s) {', '.join(missing)}")
    if reviews.empty:
        raise GradingError("reviews: no rows to estimate rater leniency from")
    raters = pd.Index(sorted(reviews["rater_id"].unique()), name="rater_id")
    r = raters.get_indexer(reviews["rater_id"])
    design = np.zeros((len(reviews), len(raters)))
    design[np.arange(len(reviews)), r] = 1.0
    if kpis is not None:
        obj_cols = list(objective) if objective is not None else [
            c for c in kpis.columns if c in DIRECTIONS and c not in REVIEW_KPIS]
        unknown = [c for c in obj_cols if c not in kpis.columns or c not in DIRECTIONS]
        if unknown:
            raise GradingError(f"objective: {unknown[0]!r} is not a KPI column of kpis")
        x = kpis[obj_cols] * pd.Series({c: DIRECTIONS[c] for c in obj_cols})
        z = ((x - x.mean()) / x.std(ddof=0).replace(0, 1)).to_numpy(dtype=float)
        with warnings.catch_warnings():  # a rep with no objective KPI stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            index = pd.Series(np.nanmean(z, axis=1), index=kpis.index)
        index = (index - index.mean()) / (index.std() or 1.0)
        obj = index.reindex(reviews["rep_id"]).to_numpy()
        known = ~np.isnan(obj)
        design = np.column_stack([design, np.nan_to_num(obj)])
    else:
        known = np.ones(len(reviews), dtype=bool)
    n = np.bincount(r[known], minlength=len(raters))
    table = pd.DataFrame({"n": n}, index=raters)
    adjusted = reviews.copy()
    resid_sd = []
    for column in columns:
        y = reviews[column].to_numpy(dtype=float)
        coef, *_ = np.linalg.lstsq(design[known], y[known], rcond=None)
        effect = coef[: len(raters)]
        lean = effect - effect[n > 0].mean()
        lean[n == 0] = 0.0  # a rater with no comparable reviews is left as is
        table[f"leniency_{column}"] = lean
        adjusted[column] = y - lean[r]
        resid = y[known] - design[known] @ coef
        resid_sd.append(resid.std(ddof=min(design.shape[1], known.sum() - 1)))
    table["leniency"] = table[[f"leniency_{c}" for c in columns]].mean(axis=1)
    table["se"] = np.mean(resid_sd) / np.sqrt(len(columns) * np.maximum(n, 1))
    t = table["leniency"] / table["se"]
    table["flag"] = pd.array(np.select(
        [(table["leniency"] >= flag_at) & (t >= 2), (table["leniency"] <= -flag_at) & (t <= -2)],
        ["lenient", "severe"], ""), dtype="string")
    return adjusted, table.sort_values("leniency", ascending=False)
