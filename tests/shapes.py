"""Data shapes unlike the sample, built from it (no new committed data): the test matrix.

Each shape writes a folder of CSVs that `python -m helpers run --data FOLDER` must run to the
end on. Real exports are the norm: one or two years, a partial last year, no reviews or
CSAT, no optional roster columns, one region, ids in another order, day-first dates, deals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import SAMPLE_DIR


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def _since(history: pd.DataFrame, first: str, last: str | None = None) -> pd.DataFrame:
    keep = history["month"] >= first
    if last is not None:
        keep &= history["month"] <= last
    return history[keep]


def one_year(t: dict) -> None:
    t["history"] = _since(t["history"], "2026-01-01")


def eighteen_months(t: dict) -> None:
    t["history"] = _since(t["history"], "2025-07-01")


def partial_last_year(t: dict) -> None:
    """History that ends in July: the plan year is the next calendar year all the same."""
    t["history"] = _since(t["history"], "2024-01-01", "2026-07-01")


def no_reviews(t: dict) -> None:
    t.pop("reviews")


def no_csat(t: dict) -> None:
    t["history"] = t["history"].drop(columns="csat")


def no_quota(t: dict) -> None:
    t["history"] = t["history"].drop(columns="quota")


def bare_roster(t: dict) -> None:
    """Only the required roster columns: no gender, leave dates or territory potential."""
    t["roster"] = t["roster"].drop(columns=["gender", "leave_date", "territory_potential"])
    leavers = _read("roster").query("leave_date != ''")["rep_id"]
    t["history"] = t["history"][~t["history"]["rep_id"].isin(leavers)]
    t["roster"] = t["roster"][~t["roster"]["rep_id"].isin(leavers)]
    if "reviews" in t:
        t["reviews"] = t["reviews"][~t["reviews"]["rep_id"].isin(leavers)]


def one_region(t: dict) -> None:
    t["roster"] = t["roster"].assign(region="Home")


def shuffled_ids(t: dict, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    ids = t["roster"]["rep_id"]
    new = dict(zip(ids, [f"{x:05d}-{k}" for k, x in
                         enumerate(rng.permutation(len(ids)) * 97 % 99991)], strict=True))
    for name, frame in t.items():
        frame = frame.assign(rep_id=frame["rep_id"].map(new))
        t[name] = frame.iloc[rng.permutation(len(frame))]


def day_first_dates(t: dict) -> None:
    """Dates as a European spreadsheet writes them: 05/04/2016 is the 5th of April."""
    def dmy(s: pd.Series) -> pd.Series:
        d = pd.to_datetime(s.where(s != ""), format="ISO8601")
        return d.dt.strftime("%d/%m/%Y").fillna("")

    t["roster"] = t["roster"].assign(hire_date=dmy(t["roster"]["hire_date"]))
    if "leave_date" in t["roster"]:
        t["roster"] = t["roster"].assign(leave_date=dmy(t["roster"]["leave_date"]))
    t["history"] = t["history"].assign(month=dmy(t["history"]["month"]))


SHAPES: dict[str, Callable[[dict], None]] = {
    "one_year": one_year, "eighteen_months": eighteen_months,
    "partial_last_year": partial_last_year, "no_reviews": no_reviews, "no_csat": no_csat,
    "no_quota": no_quota, "bare_roster": bare_roster, "one_region": one_region,
    "shuffled_ids": shuffled_ids, "day_first_dates": day_first_dates,
}
COMBINED = {  # what the end-to-end runs cover, a few shapes at a time (each run ~40 s)
    "minimal": ("one_year", "no_reviews", "no_csat", "no_quota", "bare_roster", "one_region"),
    "partial": ("eighteen_months", "partial_last_year", "shuffled_ids", "day_first_dates"),
}


def make(folder: Path, *shapes: str) -> Path:
    """Write the sample, changed by `shapes` in order, as CSVs in `folder`."""
    tables = {name: _read(name) for name in ("roster", "history", "reviews")}
    for shape in shapes:
        SHAPES[shape](tables)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
