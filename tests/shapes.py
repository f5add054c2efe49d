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


def deals_export(sample, hubspot: bool = False, seed: int = 1):
    """The sample's history exploded into won deals (its revenue in cents split over its
    deals_won), plus a lost deal in each rep's first and last month (so the history spans
    the same months) and some lost and open deals; owners named like the CRM would."""
    rng = np.random.default_rng(seed)
    h, roster = sample.history, sample.roster.set_index("rep_id")
    owner = roster["name"] + " (" + roster.index + ")"  # names alone are not unique
    won = h[h["revenue"] > 0]
    k = won["deals_won"].to_numpy()
    row = np.repeat(np.arange(len(won)), k)
    cents = np.round(won["revenue"].to_numpy() * 100).astype(np.int64)
    w = rng.uniform(0.5, 1.5, len(row))
    share = w / np.bincount(row, w)[row]
    parts = np.floor(cents[row] * share).astype(np.int64)
    first = np.r_[True, row[1:] != row[:-1]]
    parts[first] += cents - np.bincount(row, parts, minlength=len(won)).astype(np.int64)
    month = won["month"].to_numpy()[row]
    close = pd.DatetimeIndex(month) + pd.to_timedelta(rng.integers(0, 28, len(row)), "D")
    rep = won["rep_id"].to_numpy()[row]
    start = h.groupby("rep_id")["month"].min()
    end = h.groupby("rep_id")["month"].max()
    created = (close - pd.to_timedelta(rng.integers(5, 90, len(row)), "D")).to_numpy()
    created = np.maximum(created, start.reindex(rep).to_numpy())
    deals = pd.DataFrame({"rep": rep, "account": [f"{r}-A{a}" for r, a in zip(
        rep, rng.integers(0, 12, len(row)), strict=True)], "stage": "won",
        "created": created, "close": close, "amount": parts / 100})
    reps = start.index.to_numpy()
    edges = pd.DataFrame({"rep": np.r_[reps, reps], "account": "prospect", "stage": "lost",
                          "created": np.r_[start.to_numpy(), end.to_numpy()],
                          "close": np.r_[start.to_numpy(), end.to_numpy()]
                          + pd.Timedelta(days=3), "amount": 5000.0})
    some = h.sample(300, random_state=seed)
    others = pd.DataFrame({"rep": some["rep_id"].to_numpy(), "account": "prospect",
                           "stage": np.where(np.arange(300) % 2, "lost", "open"),
                           "created": some["month"].to_numpy() + pd.Timedelta(days=2),
                           "close": some["month"].to_numpy() + pd.Timedelta(days=20),
                           "amount": 7777.0})
    others.loc[others["stage"] == "open", "close"] = pd.Timestamp("2027-03-31")
    deals = pd.concat([deals, edges, others], ignore_index=True)
    deals["owner"] = owner.reindex(deals["rep"]).to_numpy()
    ids = rng.permutation(len(deals))
    if hubspot:
        stage = deals["stage"].map({"won": "closedwon", "lost": "closedlost",
                                    "open": "appointmentscheduled"})
        out = pd.DataFrame({
            "Record ID": 9_000_000 + ids, "Deal Name": "Deal " + deals["account"],
            "Deal Stage": stage, "Close Date": deals["close"] + pd.Timedelta(hours=10),
            "Deal owner": deals["owner"], "Amount": deals["amount"],
            "Create Date": deals["created"] + pd.Timedelta(hours=9, minutes=30),
            "Associated Company": deals["account"], "Pipeline": "Sales Pipeline"})
    else:
        stage = deals["stage"].map({"won": "Closed Won", "lost": "Closed Lost",
                                    "open": "Negotiation/Review"})
        out = pd.DataFrame({
            "Opportunity Owner": deals["owner"], "Account Name": deals["account"],
            "Opportunity Name": deals["account"] + " deal", "Stage": stage,
            "Created Date": deals["created"].dt.strftime("%m/%d/%Y"),  # as US exports do
            "Close Date": deals["close"].dt.strftime("%m/%d/%Y"),
            "Amount": deals["amount"].map("{:.2f}".format),
            "Opportunity ID": [f"006{i:012d}" for i in ids]})
    teams = pd.DataFrame({"rep": owner.to_numpy(), "region": roster["region"].to_numpy(),
                          "team": roster["team"].to_numpy(),
                          "manager_id": roster["manager_id"].to_numpy(),
                          "leave_date": roster["leave_date"].dt.strftime("%Y-%m-%d")})
    return out.iloc[rng.permutation(len(out))], teams, dict(zip(owner, owner.index,
                                                               strict=True))


def make(folder: Path, *shapes: str) -> Path:
    """Write the sample, changed by `shapes` in order, as CSVs in `folder`."""
    tables = {name: _read(name) for name in ("roster", "history", "reviews")}
    for shape in shapes:
        SHAPES[shape](tables)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
