"""Explanations and sheets: why a rep scored what they did, the threshold rules side by
side, the levels CSV and the calibration meeting's list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import GradingError
from ..schema import LEVELS
from .bootstrap import Stability
from .levels import thresholds
from .scale import check_weights

TRAINING: dict[str, str] = {
    "revenue": "pipeline building and deal sizing",
    "attainment": "forecasting and pipeline coverage against quota",
    "new_customers": "prospecting and outbound",
    "retention": "account management and renewals",
    "csat": "customer care and follow-up",
    "sales_cycle": "qualification and closing technique",
    "product_knowledge": "product training",
    "collaboration": "teamwork and cross-functional selling",
}
"""The training that addresses a weak KPI (shown by `explain_score`)."""


# ------------------------------------------------------------------------------ explain


def explain_score(rep_id: str, normalized: pd.DataFrame, weights: Mapping[str, float],
                  kpis: pd.DataFrame | None = None, *, strong: float = 0.7,
                  weak: float = 0.3) -> pd.DataFrame:
    """Why a rep scored what they did: points per KPI, strengths, weaknesses, training.

    `points` are the KPI's share of the 0..100 score (they add up to it); `lost` is what
    the KPI would add at the top of the scale. A KPI scoring >= `strong` on the 0..1
    scale is a strength, <= `weak` a weakness; the weakest weighted KPI gets a training
    suggestion, as does any other weakness.

    Parameters
    ----------
    rep_id : str
        The rep to explain.
    normalized : pandas.DataFrame
        KPIs on 0..1 per rep (from `normalize`).
    weights : Mapping[str, float]
        KPI name -> weight, summing to 1.
    kpis : pandas.DataFrame, optional
        Raw KPIs per rep, shown as `value`.
    strong : float, default 0.7
        Scaled value at or above which a KPI is a strength.
    weak : float, default 0.3
        Scaled value at or below which a KPI is a weakness.

    Returns
    -------
    pandas.DataFrame
        One row per KPI (index `kpi`), most points lost first: `value`, `scaled`, `weight`,
        `points`, `lost`, `verdict` and `training`; `attrs["score"]` is the total.

    Raises
    ------
    GradingError
        When `rep_id` is not graded or the weights are bad (see `check_weights`).
    """
    if rep_id not in normalized.index:
        raise GradingError(f"rep_id={rep_id!r}: not among the graded reps")
    w = check_weights(weights, list(normalized.columns))
    s = normalized.loc[rep_id]
    have = s.notna()
    used = w.where(have, 0.0)
    used = used / used.sum()
    value = kpis.loc[rep_id].reindex(s.index) if kpis is not None else np.nan
    out = pd.DataFrame({"value": value,
                        "scaled": s, "weight": used, "points": 100 * used * s.fillna(0),
                        "lost": 100 * used * (1 - s.fillna(1))})
    out.index.name = "kpi"
    verdict = np.select([~have, s >= strong, s <= weak], ["no data", "strength", "weakness"],
                        "")
    out["verdict"] = pd.array(verdict, dtype="string")
    weighted = out[(out["weight"] > 0) & have]
    weakest = weighted["scaled"].idxmin() if len(weighted) else None
    needs = (out["verdict"] == "weakness") & (out["weight"] > 0)
    if weakest is not None:
        needs[weakest] = True
    out["training"] = pd.array([TRAINING.get(k, "") if needs[k] else "" for k in out.index],
                               dtype="string")
    out.attrs["score"] = float(out["points"].sum())
    return out.sort_values("lost", ascending=False)


# -------------------------------------------------------------------------------- sheets


def compare_methods(scores: pd.Series, shares: Sequence[float] | None = None, *,
                    levels: Sequence[str] = LEVELS, seed: int = 0) -> pd.DataFrame:
    """The data-driven threshold rules side by side: cut lines, head counts, fit, empty levels.

    Parameters
    ----------
    scores : pandas.Series
        One score per rep.
    shares : Sequence[float], optional
        Shares per level for the quantile rule (default equal).
    levels : Sequence[str], default LEVELS
        Level names, lowest first.
    seed : int, default 0
        Seed of the "gmm" rule.

    Returns
    -------
    pandas.DataFrame
        One row per rule (index `method`): `cutoffs`, `gvf`, reps per level and `empty
        levels`.

    Raises
    ------
    GradingError
        When a rule refuses the scores (see `thresholds`).
    """
    rows = {}
    for method in ("quantile", "jenks", "kmeans", "gmm"):
        t = thresholds(scores, method, levels=levels, shares=shares, seed=seed)
        rows[method] = {"cutoffs": ", ".join(f"{c:.1f}" for c in t.cutoffs), "gvf": t.gvf,
                        **t.counts.to_dict(), "empty levels": ", ".join(t.empty)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def levels_table(assigned: pd.DataFrame, roster: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per graded rep: who they are, score, current and proposed level, for the CSV.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign`.
    roster : pandas.DataFrame
        The roster (`rep_id`, `name`, `region`, `team`, `manager_id`).
    year : int
        The plan year, written in the `year` column.

    Returns
    -------
    pandas.DataFrame
        One row per graded rep, sorted by rep_id: `rep_id`, `year`, `name`, `region`,
        `team`, `manager_id`, then the columns of `assigned` (score rounded to 2 places).
    """
    people = roster.set_index("rep_id")[["name", "region", "team", "manager_id"]]
    out = people.join(assigned, how="inner").sort_index().reset_index()
    out.insert(1, "year", year)
    out["score"] = out["score"].round(2)
    return out


def calibration_sheet(assigned: pd.DataFrame, stab: Stability,
                      roster: pd.DataFrame) -> pd.DataFrame:
    """Every rep with a finding (move, borderline, hold), with why each is on the list.

    The long list, for reference: on the sample most reps are on it. The meeting's short
    agenda, ranked by what is at stake, is `calibration_agenda`.

    A rep is listed when promoted, demoted, borderline (no level is 80 % likely under
    resampling) or held back by a margin or gate; one plain-words reason per finding.
    Every column is joined on rep_id, whatever order the roster, levels and
    probabilities come in.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign`.
    stab : Stability
        The result of `stability` for the same reps.
    roster : pandas.DataFrame
        The roster, for names, regions, teams and managers.

    Returns
    -------
    pandas.DataFrame
        The listed reps, promotions first, then demotions, then by probability: roster
        columns, score, levels, `probability` (of the most likely level) and `reason`.
    """
    probs = stab.probabilities.reindex(assigned.index)
    sure = probs.max(axis=1)
    likely = probs.idxmax(axis=1)
    border = pd.Series(assigned.index.isin(stab.borderline.index), index=assigned.index)
    change = assigned.get("change", pd.Series("same", index=assigned.index)).astype(str)
    parts = pd.DataFrame({
        "change": change.where(change != "same", ""),
        "borderline": ("borderline: " + (100 * sure).round().astype("Int64").astype(str)
                       + "% " + likely.astype(str)).where(border, ""),
        "note": assigned["note"].fillna("").astype(str),
    }, index=assigned.index)
    reason = parts["change"]
    for extra in (parts["borderline"], parts["note"]):
        reason = reason.where(extra == "", reason.where(reason == "", reason + "; ") + extra)
    listed = reason.index[reason != ""]
    sheet = levels_table(assigned.loc[listed], roster, year=0).drop(columns=["year", "note"])
    sheet["probability"] = sheet["rep_id"].map(sure.round(3)).to_numpy()
    sheet["reason"] = pd.array(sheet["rep_id"].map(reason).to_numpy(), dtype="string")
    order = {"promotion": 0, "demotion": 1}
    key = sheet["change"].map(order).fillna(2) if "change" in sheet else 0
    return (sheet.assign(_k=key).sort_values(["_k", "probability", "rep_id"])
            .drop(columns="_k").reset_index(drop=True))
