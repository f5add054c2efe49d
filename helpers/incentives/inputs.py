"""What a plan is paid on: targets and levels (from notebooks 01/02, or simple defaults).

The defaults keep notebook 03 runnable alone, and are deliberately simple so a reader can
check them by hand:

- target = the rep's actual in the year before × (1 + growth), annualised when the rep
  worked part of that year (at least 3 months; otherwise the median of their level), and
  phased by month with the company's monthly share of that year; a new hire's months are
  read at full productivity (each divided by the rep's ramp share that month, the ramp
  fitted from the hires in history) and the year's target is then × the rep's capacity in
  the target year, so a hire of last autumn is not set a year of ramp months (the same
  run-rate the targets notebook and the Monte Carlo's results use); scores (csat) are not
  grown: the target is the rep's mean that year;
- for a year whose history carries `quota` (a replay of last year), revenue's target is it
  in every month that has one;
- with no complete calendar year before, the last 12 months of history stand in for it;
  with no history before the year at all, targets are the median of the rep's level that
  year (see `target_basis`, which says which in one sentence);
- level = the roster's current level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import DataError, Dataset, among
from ..numbers import divide_or_nan
from ..schema import LEVELS
from ..targets.allocation import ramp_factors, resolve_ramp
from .payouts import payout
from .plan import MEASURES, Plan, base_salaries

GROWTH = 0.06
MIN_MONTHS = 3


def plan_reps(ds: Dataset, year: int) -> pd.Index:
    """Who a year's plan covers: for a future year the reps still employed at the end of
    history; for a past year the reps with every month of it that the history has (all 12,
    or all the months of a partial year).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year.

    Returns
    -------
    pandas.Index
        The rep_ids covered, named `rep_id`.
    """
    if year > ds.last_year:
        return ds.employed()
    h = ds.history[ds.history["month"].dt.year == year]
    n = h.groupby("rep_id")["month"].nunique()
    return pd.Index(n.index[n == h["month"].nunique()], name="rep_id")


def default_levels(ds: Dataset) -> pd.Series:
    """rep_id -> level (the roster's current level).

    Parameters
    ----------
    ds : Dataset
        The loaded data.

    Returns
    -------
    pandas.Series
        Level per rep_id (`string` dtype), named `level`.
    """
    return ds.roster.set_index("rep_id")["level"].astype("string").rename("level")


ENTRY_LEVEL = LEVELS[0]
"""The level a rep on the plan without one is paid at: new and planned hires start here."""


def fill_levels(levels: pd.Series, rep_ids, level: str = ENTRY_LEVEL) -> tuple[pd.Series, pd.Index]:
    """Every rep in `rep_ids` with a level: theirs, or `level` (default: the entry level).

    Returns the levels and the reps given `level`, so callers can say how many and who:
    new and planned hires are graded by no one yet, but a plan must still pay them.

    Parameters
    ----------
    levels : pandas.Series
        Rep -> level, for the reps that have one.
    rep_ids : array_like
        Every rep on the plan.
    level : str, default ENTRY_LEVEL
        The level given to a rep without one.

    Returns
    -------
    levels : pandas.Series
        Level per rep in `rep_ids`.
    assumed : pandas.Index
        The reps given `level`.

    Raises
    ------
    DataError
        When `level` is not a level.
    """
    if level not in LEVELS:
        raise DataError(f"level: {level!r} is not a level ({', '.join(LEVELS)})")
    rep_ids = pd.Index(rep_ids, name="rep_id")
    known = levels.reindex(rep_ids)
    assumed = rep_ids[known.isna().to_numpy()]
    filled = known.astype("string").fillna(level).rename("level")
    return filled, assumed


def describe_assumed(assumed: pd.Index, level: str = ENTRY_LEVEL, show: int = 5) -> str:
    """One sentence on the reps priced at an assumed level (empty when there are none).

    Parameters
    ----------
    assumed : pandas.Index
        The reps given an assumed level (from `fill_levels`).
    level : str, default ENTRY_LEVEL
        The level they are paid at.
    show : int, default 5
        How many rep_ids to name.

    Returns
    -------
    str
        The sentence, or "" when `assumed` is empty.
    """
    if not len(assumed):
        return ""
    names = ", ".join(map(str, assumed[:show])) + (" …" if len(assumed) > show else "")
    return (f"{len(assumed)} rep(s) on the plan have no level (new or planned hires: "
            f"{names}); they are paid at the {level!r} level")


def _span(months: pd.Series) -> str:
    lo, hi = months.min(), months.max()
    return f"{lo:%b %Y}" if lo == hi else f"{lo:%b %Y}–{hi:%b %Y}"


def target_basis(ds: Dataset, year: int | None = None,
                 growth: float = GROWTH) -> tuple[pd.DataFrame, bool, str]:
    """(history the default targets of `year` are based on, whether they are level medians
    of `year` itself, one sentence saying which).

    The calendar year before when history has all 12 of its months; else the last 12 months
    of history before `year` (fewer if that is all there is); with no history before
    `year` at all (a replay of the only year there is), `year`'s own months, each rep's target
    being the median of the rep's level that year (so a typical rep attains 100%).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int, optional
        The target year; None means `ds.plan_year`.
    growth : float, default GROWTH
        The growth named in the sentence.

    Returns
    -------
    history : pandas.DataFrame
        The history rows the targets are based on.
    peers : bool
        True when targets are level medians of `year` itself.
    sentence : str
        Which basis, in plain words.

    Raises
    ------
    DataError
        When the history has no month in or before `year`.
    """
    year = year or ds.plan_year
    h = ds.history
    before = h[h["month"].dt.year < year]
    prev = before[before["month"].dt.year == year - 1]
    if prev["month"].nunique() == 12:
        return prev, False, f"{year}'s default targets: {year - 1}'s actuals × {1 + growth:g}"
    if not before.empty:
        start = before["month"].max() - pd.DateOffset(months=11)
        base = before[before["month"] >= start]
        n = base["month"].nunique()
        why = (f"{year - 1} has {prev['month'].nunique()} month(s) of history"
               if not prev.empty else f"there is no history in {year - 1}")
        return base, False, (
            f"{year}'s default targets: {why}, so they are based on the last {n} month(s) "
            f"available ({_span(base['month'])}) × {1 + growth:g}, matched by calendar month"
            + ("" if n == 12 else " (annualised; months without history phased evenly)"))
    own = h[h["month"].dt.year == year]
    if own.empty:
        raise DataError(f"history: no months in or before {year} to base {year}'s targets on")
    return own, True, (
        f"{year}'s targets: there is no history before {year}, so each rep's target is the "
        f"median of the rep's level in {year} ({_span(own['month'])}; a typical rep attains "
        "100%)")


def default_targets(ds: Dataset, year: int | None = None, *, growth: float = GROWTH,
                    measures: list[str] | None = None,
                    reps: pd.Index | None = None) -> pd.DataFrame:
    """Monthly targets (rep_id, month, measure, target) for `year` by the rule in the module
    doc, for `reps` (default: `plan_reps(ds, year)`), on the history `target_basis` picks.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int, optional
        The target year; None means `ds.plan_year`.
    growth : float, default GROWTH
        Growth on the base's volumes (not applied to level medians or scores).
    measures : list of str, optional
        The measures to set (default: every plan measure).
    reps : pandas.Index, optional
        The reps to set targets for.

    Returns
    -------
    pandas.DataFrame
        One row per rep, month and measure: `rep_id`, `month`, `measure`, `target`.

    Raises
    ------
    DataError
        When the history has no month in or before `year`.
    """
    year = year or ds.plan_year
    measures = list(measures or MEASURES)
    base, peers, _ = target_basis(ds, year, growth)
    if peers:
        growth = 0.0
    reps = plan_reps(ds, year) if reps is None else pd.Index(reps, name="rep_id")
    level = default_levels(ds).reindex(reps)
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    n_months = base.groupby("rep_id").size().reindex(reps)
    full, capacity = _ramp_adjusted(ds, base, reps, year, peers)
    frames = []
    for m in measures:
        by_rep = base.groupby("rep_id")[m] if m in base else None
        if by_rep is None:
            values = np.full((len(reps), 12), np.nan)
        elif MEASURES[m] == "sum":
            at_full = divide_or_nan(base[m].to_numpy(dtype=float), full)
            annual = (pd.Series(at_full, index=base.index).groupby(base["rep_id"]).sum()
                      .reindex(reps) * 12 / n_months).where(n_months >= MIN_MONTHS) * capacity
            if peers:
                annual = annual.groupby(level.to_numpy()).transform("median")
            annual = annual.fillna(annual.groupby(level.to_numpy()).transform("median"))
            annual = annual.fillna(annual.median()) * (1 + growth)
            season = base.groupby(base["month"].dt.month)[m].sum().reindex(range(1, 13))
            season = season.fillna(season.mean())  # a calendar month the base lacks
            share = (season / season.sum()).to_numpy() if season.sum() > 0 else np.full(12, 1 / 12)
            values = np.outer(annual.to_numpy(), share)
        else:
            mean = by_rep.mean().reindex(reps)
            if peers:
                mean = mean.groupby(level.to_numpy()).transform("median")
            mean = mean.fillna(mean.groupby(level.to_numpy()).transform("median"))
            values = np.repeat(mean.fillna(mean.median()).to_numpy()[:, None], 12, axis=1)
        frame = pd.DataFrame({"rep_id": np.repeat(reps.to_numpy(), 12),
                              "month": np.tile(months, len(reps)), "measure": m,
                              "target": np.round(values.reshape(-1), 2)})
        if m == "revenue" and year <= ds.last_year and "quota" in ds.history:
            quota = ds.history.set_index(["rep_id", "month"])["quota"]
            got = quota.reindex(pd.MultiIndex.from_arrays([frame["rep_id"], frame["month"]]))
            got = pd.to_numeric(got, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            frame["target"] = np.where(np.isnan(got), frame["target"].to_numpy(), got)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["rep_id"] = out["rep_id"].astype("string")
    out["measure"] = out["measure"].astype("string")
    return out


def _ramp_adjusted(ds: Dataset, base: pd.DataFrame, reps: pd.Index, year: int,
                   peers: bool) -> tuple[np.ndarray, np.ndarray]:
    """(each base row's share of full productivity, each rep's capacity in `year`), by the
    ramp fitted from the hires in history; all ones when targets are level medians.
    """
    if peers:
        return np.ones(len(base)), np.ones(len(reps))
    ramp = resolve_ramp("fitted", ds, year)
    hire = ds.roster.set_index("rep_id")["hire_date"]
    hired = hire.reindex(base["rep_id"]).reset_index(drop=True)
    month = pd.DatetimeIndex(base["month"])
    share = np.ones(len(base))
    for y in np.unique(month.year):  # as `run_rate` reads a month: its ramp share that year
        rows = np.flatnonzero(month.year == y)
        share[rows] = ramp_factors(hired.iloc[rows], int(y), ramp)[np.arange(len(rows)),
                                                                  month.month[rows] - 1]
    share = np.where(share > 0, share, 1.0)  # a month before the hire date: read as is
    known = hire.reindex(reps)
    capacity = np.ones(len(reps))
    if known.notna().any():
        capacity[known.notna().to_numpy()] = ramp_factors(known.dropna(), year, ramp).mean(1)
    return share, capacity


def read_targets(path: str | Path) -> pd.DataFrame:
    """Targets written by notebook 01: long (rep_id, month, measure, target) or wide
    (rep_id, month and one column per measure, optionally named `<measure>_target`).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Long targets: `rep_id`, `month`, `measure`, `target` (and `team` when given).

    Raises
    ------
    DataError
        When `rep_id`/`month` or every target column is missing, or a target is not a number.
    """
    frame = pd.read_csv(path)
    if not {"rep_id", "month"} <= set(frame.columns):
        raise DataError(f"{path}: targets need columns rep_id and month; "
                        f"found {', '.join(frame.columns)}")
    if {"measure", "target"} <= set(frame.columns):
        long = frame[["rep_id", "month", "measure", "target"]
                     + [c for c in ("team",) if c in frame.columns]]
    else:
        rename = {f"{m}_target": m for m in MEASURES}
        if "target" in frame.columns and "revenue" not in frame.columns:
            rename["target"] = "revenue"
        wide = frame.rename(columns=rename)
        found = [m for m in MEASURES if m in wide.columns]
        if not found:
            raise DataError(f"{path}: no target columns found (expected 'measure'+'target' "
                            f"or columns named like {', '.join(MEASURES)})")
        long = wide.melt(["rep_id", "month"], found, "measure", "target")
    long = long.assign(rep_id=long["rep_id"].astype("string"),
                       month=pd.to_datetime(long["month"]),
                       measure=long["measure"].astype("string"),
                       target=pd.to_numeric(long["target"], errors="coerce"))
    if long["target"].isna().any():
        raise DataError(f"{path}: column 'target' has values that are not numbers")
    return long


def read_levels(path: str | Path) -> pd.Series:
    """Levels written by notebook 02: rep_id and `level` (or `proposed`, the calibrated
    level notebook 02 writes) -> a Series rep_id -> level.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.Series
        Lower-case level per rep_id.

    Raises
    ------
    DataError
        When the columns are missing or a level is unknown.
    """
    frame = pd.read_csv(path, dtype=str)
    if "level" not in frame.columns and "proposed" in frame.columns:
        frame = frame.rename(columns={"proposed": "level"})
    if not {"rep_id", "level"} <= set(frame.columns):
        raise DataError(f"{path}: levels need columns rep_id and level (or proposed); "
                        f"found {', '.join(frame.columns)}")
    bad = ~frame["level"].str.lower().isin(LEVELS)
    if bad.any():
        raise DataError(f"{path}: column 'level' has unknown levels "
                        f"{sorted(frame.loc[bad, 'level'].unique())[:5]}")
    return frame.set_index("rep_id")["level"].str.lower().astype("string")


def load_inputs(ds: Dataset, year: int | None = None, folder: str | Path | None = None,
                measures: list[str] | None = None) -> tuple[pd.DataFrame, pd.Series, str]:
    """(targets, levels, where they came from): notebook 01/02 outputs in `folder` when
    given and present, else the defaults; measures the file lacks come from the defaults.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int, optional
        The plan year; None means `ds.plan_year`.
    folder : str or pathlib.Path, optional
        Where notebooks 01/02 wrote `targets_<year>.csv` and `levels_<year>.csv`.
    measures : list of str, optional
        The measures to have targets for (default: every plan measure).

    Returns
    -------
    targets : pandas.DataFrame
        Long targets (`rep_id`, `month`, `measure`, `target`).
    levels : pandas.Series
        Level per rep on the plan (the entry level where none is known).
    note : str
        Where the targets and levels came from, in plain words.

    Raises
    ------
    DataError
        When a file is malformed or there is no history to base the defaults on.
    """
    year = year or ds.plan_year
    targets, levels = default_targets(ds, year, measures=measures), default_levels(ds)
    notes = []
    if folder is not None and (Path(folder) / f"targets_{year}.csv").exists():
        theirs = read_targets(Path(folder) / f"targets_{year}.csv")
        missing = [m for m in (measures or MEASURES) if m not in set(theirs["measure"])]
        if missing:  # the measures notebook 01 does not set, for the same reps
            extra = default_targets(ds, year, measures=missing,
                                    reps=pd.Index(theirs["rep_id"].unique()))
            theirs = pd.concat([theirs, extra], ignore_index=True)
        targets = theirs
        notes.append(f"targets from targets_{year}.csv")
    else:
        notes.append(target_basis(ds, year)[2])
    if folder is not None and (Path(folder) / f"levels_{year}.csv").exists():
        levels = read_levels(Path(folder) / f"levels_{year}.csv")
        notes.append(f"levels from levels_{year}.csv")
    else:
        guessed = len(ds.assumed("level").intersection(levels.index))
        notes.append("levels from the roster" + (
            f" ({guessed} of them assumed when the data was loaded)" if guessed else ""))
    levels, assumed = fill_levels(levels, targets["rep_id"].unique())
    notes.append(describe_assumed(assumed) or "every rep on the plan has a level")
    return targets, levels, "; ".join(notes)


def build_results(ds: Dataset, targets: pd.DataFrame, levels: pd.Series | None = None,
                  year: int | None = None) -> pd.DataFrame:
    """The results table `payout` reads: `year`'s actuals per rep and month, with targets
    matched by calendar month (so next year's targets can be replayed on last year) and the
    rep's level and team. Reps need every month of `year` the history has (a partial year
    is replayed on the months it has).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    targets : pandas.DataFrame
        Long targets (`rep_id`, `month`, `measure`, `target`).
    levels : pandas.Series, optional
        Rep -> level (default: the roster's).
    year : int, optional
        The year of actuals; None means `ds.last_year`.

    Returns
    -------
    pandas.DataFrame
        One row per rep and month: the history's columns (less `quota`),
        `<measure>_target`, `level` and `team`.
    """
    year = year or ds.last_year
    levels = default_levels(ds) if levels is None else levels
    reps = plan_reps(ds, year).intersection(pd.Index(targets["rep_id"].unique()))
    reps = reps.intersection(levels.index)
    h = ds.history[(ds.history["month"].dt.year == year) & among(ds.history["rep_id"], reps)]
    t = targets.assign(m=pd.to_datetime(targets["month"]).dt.month)
    wide = t.pivot_table(index=["rep_id", "m"], columns="measure", values="target",
                         aggfunc="sum", observed=True)
    wide.columns = [f"{c}_target" for c in wide.columns]
    out = h.drop(columns=[c for c in ("quota",) if c in h]).assign(m=h["month"].dt.month)
    out = out.merge(wide.reset_index().assign(rep_id=lambda f: f["rep_id"].astype("string")),
                    on=["rep_id", "m"], how="left").drop(columns="m")
    roster = ds.roster.set_index("rep_id")
    out["level"] = out["rep_id"].map(levels).astype("string")
    out["team"] = out["rep_id"].map(roster["team"]).astype("string")
    return out.sort_values(["rep_id", "month"], ignore_index=True)


def replay(plan: Plan, ds: Dataset, targets: pd.DataFrame | None = None,
           levels: pd.Series | None = None) -> pd.DataFrame:
    """What `plan` would have paid on last year's actuals (reps who worked the whole year).

    `targets` default to last year's (revenue: the history's quota); pass next year's to ask
    what the plan pays if everyone repeats last year against the new targets.

    Parameters
    ----------
    plan : Plan
        The plan.
    ds : Dataset
        The loaded data.
    targets : pandas.DataFrame, optional
        Long targets matched by calendar month.
    levels : pandas.Series, optional
        Rep -> level (default: the roster's).

    Returns
    -------
    pandas.DataFrame
        The payout table (see `payout`).

    Raises
    ------
    DataError
        When the results lack a column the plan needs (see `payout`).
    """
    if targets is None:
        targets = default_targets(ds, ds.last_year, measures=plan.measures)
    return payout(plan, build_results(ds, targets, levels, ds.last_year))


def year_label(ds: Dataset, year: int | None = None) -> str:
    """'2026', or '2026 (Jan–Jul only: a partial year)' when history lacks some months.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int, optional
        The year; None means `ds.last_year`.

    Returns
    -------
    str
        The label.
    """
    year = year or ds.last_year
    months = ds.history.loc[ds.history["month"].dt.year == year, "month"]
    if months.nunique() == 12 or months.empty:
        return str(year)
    return (f"{year} ({months.min():%b}–{months.max():%b} only, "
            f"{months.nunique()} months: a partial year)")


def replay_note(ds: Dataset, measures: list[str] | None = None) -> str:
    """What the replay of last year runs on, in plain sentences: the year (partial or not),
    who, and where last year's targets come from (quota or the default rule).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    measures : list of str, optional
        The measures the plans read (default: every plan measure).

    Returns
    -------
    str
        The note, as sentences.
    """
    year = ds.last_year
    reps = plan_reps(ds, year)
    parts = [f"Replayed on {year_label(ds, year)}, for the {len(reps)} reps with every month "
             "of it in the history"]
    lacks = ds.lacks()
    _, peers, basis = target_basis(ds, year)
    others = [m for m in (measures or MEASURES) if m != "revenue"]
    if "quota" in lacks:
        parts.append(f"{lacks['quota'].split(':')[0]}, so revenue targets follow the default "
                     f"rule too: {basis}")
    else:
        parts.append("revenue targets are the history's quota")
        if others:
            parts.append(f"targets for {', '.join(others)}: {basis}")
    if peers:
        parts.append("this replay compares reps with their level's peers, not with targets "
                     "set in advance")
    return ". ".join(p[0].upper() + p[1:] for p in parts) + "."


def replay_summary(replays: dict[str, pd.DataFrame], ds: Dataset, *,
                   plans: dict[str, Plan] | None = None) -> pd.DataFrame:
    """One row per plan: what it would have paid last year in total and per rep, and its
    cost of sales as fractions of the revenue those reps sold (NaN if none):
    `variable_cost_of_sales` (what the plan paid) and `total_cost_of_sales` (with the reps'
    base salaries for the year, from `plans`; NaN without them or a base salary).

    Parameters
    ----------
    replays : dict of str to pandas.DataFrame
        Plan name -> its replayed payout table.
    ds : Dataset
        The loaded data, for last year's revenue.
    plans : dict of str to Plan, optional
        The plans replayed, for their base salaries.

    Returns
    -------
    pandas.DataFrame
        One row per plan (index `plan`): `reps`, `total_paid`, mean/median/max per rep,
        `paid_nothing`, `base_salaries`, `variable_cost_of_sales`, `total_cost_of_sales`
        and `<type>_paid` per component type.
    """
    h = ds.history[ds.history["month"].dt.year == ds.last_year]
    rows = []
    for name, table in replays.items():
        per_rep = table.groupby("rep_id")["amount"].sum()
        revenue = h.loc[among(h["rep_id"], per_rep.index), "revenue"].sum()
        by_type = table.groupby("type")["amount"].sum()
        level = table.drop_duplicates("rep_id")["level"]
        base = (base_salaries(plans[name], level) if plans is not None and name in plans
                else np.nan)
        rows.append({"plan": name, "reps": len(per_rep), "total_paid": per_rep.sum(),
                     "mean_per_rep": per_rep.mean(), "median_per_rep": per_rep.median(),
                     "max_per_rep": per_rep.max(), "paid_nothing": int((per_rep <= 0).sum()),
                     "base_salaries": base,
                     "variable_cost_of_sales": per_rep.sum() / revenue if revenue else np.nan,
                     "total_cost_of_sales": ((per_rep.sum() + base) / revenue if revenue
                                             else np.nan),
                     **{f"{k}_paid": v for k, v in by_type.items()}})
    out = pd.DataFrame(rows).set_index("plan")
    paid = [c for c in out.columns if c.endswith("_paid") and c != "total_paid"]
    return out.fillna(dict.fromkeys(paid, 0.0))  # a type a plan lacks paid 0
