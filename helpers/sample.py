"""A deterministic synthetic sales organisation, realistic enough to exercise every notebook.

What it builds in, so the later notebooks have something true to find:
- 4 regions whose territory potential differs (North richest, West poorest), 3 teams each;
- persistent rep skill, levels that follow skill and tenure, a Q4 peak and a February dip;
- hires and leavers mid-history with a 9-month ramp, one big-deal outlier, one missing month;
- quotas set the way a company sets them, imperfectly: from a shrunk, misjudged read of each
  rep's skill, phased by season and ramped over the 4 months the company assumed. Results add
  the rep's true skill, a good or bad year and monthly noise, so yearly attainment spreads
  like a real sales force (10th-90th percentile about 55%-145%, a little over half at quota);
- CSAT that rises with skill, reachable by a typical rep of each level (the plans' gates);
- manager reviews where one manager is lenient (+0.8 points) and one severe (-0.8).
The same seed always gives the same company (`python -m helpers sample` writes data/sample/).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .data import Dataset, from_frames, save
from .schema import LEVELS

REGIONS = {"North": 1.25, "South": 1.0, "East": 0.9, "West": 0.75}
TEAMS_PER_REGION = 3
SEASON = np.array([0.85, 0.70, 1.00, 0.95, 1.00, 1.10, 0.90, 0.85, 1.05, 1.05, 1.15, 1.40])
SEASON = SEASON * 12 / SEASON.sum()
LEVEL_SHARES = (0.15, 0.25, 0.30, 0.20, 0.10)
LEVEL_BOOK = np.array([0.85, 0.95, 1.05, 1.15, 1.25])  # senior reps own bigger accounts
RAMP_MONTHS = 9
QUOTA_RAMP_MONTHS = 4  # what the company assumed when it set hires' quotas (too short)
QUOTA_READ = 0.55  # quota follows skill**QUOTA_READ: a shrunk read of who is good
QUOTA_MISREAD = 0.08  # log-sd of misjudging a rep when setting the year's quota
STRETCH = 0.85  # quota under the full-potential read: bad years and ramps happen
FORM = 0.1  # log-sd of a rep's good or bad year
SETBACK = (0.12, 0.4, 0.8)  # chance of a bad year (lost account) and its multiplier range
OVERREACH = (0.2, 1.5, 2.2)  # chance the quota assumes accounts the rep does not have, and how much
BASE_REVENUE = 900_000.0  # a fully ramped, average rep in an average region, per year
GROWTH = 0.06
LENIENT, SEVERE = "M03", "M08"
FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery",
         "Quinn", "Robin", "Drew", "Kai", "Noa", "Eli", "Rowan", "Sasha", "Toni", "Lee", "Mika"]
LAST = ["Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
        "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Olsen", "Petrov", "Rossi",
        "Schmidt", "Tanaka", "Varga", "Weber", "Yilmaz", "Zhang"]


def make_company(n_reps: int = 120, years: int = 3, seed: int = 2026,
                 end_year: int = 2026) -> Dataset:
    """Build roster, monthly history and half-yearly reviews for `n_reps` reps.

    Parameters
    ----------
    n_reps : int, default 120
        Reps on the roster, hires and leavers included (at least 12: one per team).
    years : int, default 3
        Calendar years of monthly history.
    seed : int, default 2026
        Seed; the same seed gives the same company.
    end_year : int, default 2026
        Last year of history (the plan year is the one after).

    Returns
    -------
    Dataset
        The company, validated like a loaded one.

    Raises
    ------
    ValueError
        If `n_reps` < 12 or `years` < 1.
    """
    if n_reps < 4 * TEAMS_PER_REGION or years < 1:
        raise ValueError("make_company needs n_reps >= 12 and years >= 1")
    rng = np.random.default_rng(seed)
    months = pd.date_range(f"{end_year - years + 1}-01-01", f"{end_year}-12-01", freq="MS")
    roster, skill = _roster(n_reps, months, rng)
    history = _history(roster, skill, months, rng)
    reviews = _reviews(roster, skill, months, rng)
    return from_frames(roster, history, reviews, source=f"make_company(seed={seed})")


def write_sample(folder: str | Path, **kwargs) -> Dataset:
    """Write roster.csv, history.csv and reviews.csv of `make_company(**kwargs)` to `folder`.

    Parameters
    ----------
    folder : str or pathlib.Path
        Where the three CSVs go (created if missing).
    **kwargs
        Passed to `make_company` (n_reps, years, seed, end_year).

    Returns
    -------
    Dataset
        The company written.
    """
    ds = make_company(**kwargs)
    folder = Path(folder)
    for name in ("roster", "history", "reviews"):
        frame = getattr(ds, name).copy()
        for col in frame.select_dtypes("datetime").columns:
            frame[col] = frame[col].dt.strftime("%Y-%m-%d")
        save(frame, folder / f"{name}.csv", float_format="%.2f")
    return ds


def _roster(n: int, months: pd.DatetimeIndex, rng) -> tuple[pd.DataFrame, np.ndarray]:
    start, end = months[0], months[-1] + pd.offsets.MonthEnd(0)
    team_names = [f"{r} {chr(65 + t)}" for r in REGIONS for t in range(TEAMS_PER_REGION)]
    team = np.sort(rng.permutation(np.arange(n) % len(team_names)))
    region = np.array([t.split()[0] for t in team_names])[team]
    skill = rng.lognormal(0.0, 0.3, n)
    span = (end - start).days
    new_hire = rng.random(n) < 0.15
    hired = np.where(new_hire, rng.integers(0, span - 60, n), -rng.integers(180, 3650, n))
    hire_date = start + pd.to_timedelta(hired, unit="D")
    leaver = ~new_hire & (rng.random(n) < 0.10)
    leave_day = rng.integers(90, span - 30, n)
    leave_date = pd.Series(start + pd.to_timedelta(leave_day, unit="D")).where(leaver)
    tenure = np.asarray((end - hire_date).days) / 365.25
    score = 0.6 * _z(np.log(skill)) + 0.4 * _z(np.log1p(np.clip(tenure, 0, None)))
    score += rng.normal(0, 0.35, n)
    cuts = np.quantile(score, np.cumsum(LEVEL_SHARES)[:-1])
    level = np.array(LEVELS)[np.searchsorted(cuts, score)]
    potential = (np.array([REGIONS[r] for r in region]) * BASE_REVENUE * 1.3
                 * rng.uniform(0.8, 1.2, n))
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    roster = pd.DataFrame({
        "rep_id": [f"R{i + 1:03d}" for i in range(n)],
        "name": np.char.add(np.char.add(first, " "), last),
        "region": region,
        "team": np.array(team_names)[team],
        "manager_id": [f"M{t + 1:02d}" for t in team],
        "hire_date": hire_date.normalize(),
        "level": level,
        "leave_date": leave_date.dt.normalize(),
        "gender": np.where(rng.random(n) < 0.42, "F", "M"),
        "territory_potential": np.round(potential, -3),
    })
    return roster, skill


def _history(roster: pd.DataFrame, skill: np.ndarray, months: pd.DatetimeIndex,
             rng) -> pd.DataFrame:
    n, m = len(roster), len(months)
    rep = np.repeat(np.arange(n), m)
    month = pd.DatetimeIndex(np.tile(months, n))
    hire = pd.DatetimeIndex(roster["hire_date"].dt.to_period("M").dt.to_timestamp())[rep]
    leave = roster["leave_date"].to_numpy()[rep]
    employed = np.asarray((month >= hire) & ~(month > leave))
    tenure_m = np.asarray((month.year - hire.year) * 12 + month.month - hire.month)
    ramp = np.clip((tenure_m + 1) / RAMP_MONTHS, 0, 1)
    quota_ramp = np.clip((tenure_m + 1) / QUOTA_RAMP_MONTHS, 0, 1)
    level_idx = pd.Categorical(roster["level"], categories=LEVELS).codes[rep]
    region_mult = roster["region"].map(REGIONS).to_numpy()[rep]
    year_idx = np.asarray(month.year - months[0].year)
    n_years = len(set(months.year))
    market = np.exp(rng.normal(0, 0.03, n_years))[year_idx]
    seat = (BASE_REVENUE / 12 * region_mult * LEVEL_BOOK[level_idx] * (1 + GROWTH) ** year_idx
            * SEASON[np.asarray(month.month) - 1])
    # the year's quota: the company's shrunk and misjudged read of the rep, on a 4-month ramp
    read = skill[:, None] ** QUOTA_READ * rng.lognormal(0, QUOTA_MISREAD, (n, n_years))
    chance, low, high = OVERREACH
    read *= np.where(rng.random((n, n_years)) < chance, rng.uniform(low, high, (n, n_years)), 1)
    quota = np.round(seat * read[rep, year_idx] * STRETCH * quota_ramp, -2)
    # results: true skill, the real 9-month ramp, the market, a good or bad year, the month
    form = rng.lognormal(0, FORM, (n, n_years))
    chance, low, high = SETBACK
    form *= np.where(rng.random((n, n_years)) < chance, rng.uniform(low, high, (n, n_years)), 1)
    expected = seat * skill[rep] * market * ramp * form[rep, year_idx]
    revenue = expected * rng.lognormal(-0.045, 0.3, n * m)
    revenue[rng.random(n * m) < 0.02] = 0.0  # a month with nothing closed
    z = _z(np.log(skill))[rep]
    deal_size = 22_000 * region_mult
    deals = np.where(revenue > 0, np.maximum(1, rng.poisson(revenue / deal_size)), 0)
    new_customers = rng.binomial(deals, np.clip(0.35 + 0.08 * z, 0.05, 0.9))
    up = rng.poisson(2.5 + level_idx)
    retained = rng.binomial(up, np.clip(0.84 + 0.05 * z, 0.4, 0.99))
    csat = np.clip(rng.normal(81 + 4 * z, 7), 0, 100)
    csat[rng.random(n * m) < 0.05] = np.nan  # no survey returned that month
    cycle = np.where(deals > 0, np.clip(rng.normal(58 - 8 * z, 10), 10, None), np.nan)
    history = pd.DataFrame({
        "rep_id": roster["rep_id"].to_numpy()[rep], "month": month,
        "revenue": np.round(revenue, 2), "deals_won": deals,
        "new_customers": new_customers, "customers_retained": retained,
        "customers_up_for_renewal": up, "csat": np.round(csat, 1),
        "sales_cycle_days": np.round(cycle, 1), "quota": quota,
    })[employed].reset_index(drop=True)
    tenured = roster["leave_date"].isna() & (roster["hire_date"] < months[0])
    stays = history["rep_id"].isin(roster.loc[tenured, "rep_id"])
    closed = history.index[(history["revenue"] > 0) & stays]  # a rep there all along
    big = closed[len(closed) // 3]
    mega = 5 * history["revenue"].quantile(0.99)  # one mega deal on top of the month
    history.loc[big, "revenue"] = round(history.loc[big, "revenue"] + mega, 2)
    history.loc[big, "deals_won"] += 1
    return history.drop(index=len(history) // 2).reset_index(drop=True)  # one missing month


def _reviews(roster: pd.DataFrame, skill: np.ndarray, months: pd.DatetimeIndex,
             rng) -> pd.DataFrame:
    halves = [(y, h) for y in sorted(set(months.year)) for h in (1, 2)]
    n = len(roster)
    z = _z(np.log(skill))
    level_idx = pd.Categorical(roster["level"], categories=LEVELS).codes
    lean = roster["manager_id"].map({LENIENT: 0.8, SEVERE: -0.8}).fillna(0.0).to_numpy()
    frames = []
    for year, half in halves:
        end = pd.Timestamp(year, 6 * half, 1) + pd.offsets.MonthEnd(0)
        start = pd.Timestamp(year, 6 * half - 5, 1)
        there = (roster["hire_date"] <= end - pd.Timedelta(days=60)) & ~(
            roster["leave_date"] < start)
        knowledge = 3.0 + 0.8 * z + 0.15 * (level_idx - 2) + lean + rng.normal(0, 0.5, n)
        collab = 3.3 + 0.3 * z + lean + rng.normal(0, 0.6, n)
        frames.append(pd.DataFrame({
            "rep_id": roster["rep_id"], "period": f"{year}H{half}",
            "rater_id": roster["manager_id"],
            "product_knowledge": np.clip(np.round(knowledge), 1, 5),
            "collaboration": np.clip(np.round(collab), 1, 5),
        })[there.to_numpy()])
    return pd.concat(frames, ignore_index=True)


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()
