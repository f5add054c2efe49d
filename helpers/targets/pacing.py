"""In-year pacing and reforecast: where each rep stands part way through the plan year.

Given the plan year's phased targets (rep × month, `TargetPlan.monthly`) and the actuals of
the months done so far, `pace` says per rep: year-to-date actual against the year-to-date
target, the season-adjusted pace (YTD actual ÷ the share of the year's target the phasing
puts in those months: a rep with YTD actual = YTD target is on pace for 100%), what is left
and the monthly run-rate it needs, and the probability of reaching the full-year target.

The probability comes from the same model as the targets' expected attainment
(`helpers.targets.outlook`): the months still to come are the rep's expected result for
them (run-rate × capacity, `baseline_results`, spread over the months like the rep's
target phasing) × exp(market + own), the market swing shared by a scenario and the own
variation drawn from the rep's keyed stream (`attainment_draws`: the very draws notebook 01
used at the start of the year). The year to date is known, and the model is the one fitted
at the start of the year: what a rep did so far does not move the view of the months left
(a simple, stated assumption; the months left of a rep far behind are not drawn lower).

`rest_of_year_cost` prices the rest of the year with the plan's own engine on the YTD
actuals plus the simulated months (the same draws), less what the closed periods already
earned. `cut_history` gives a dataset whose history ends at a month, so the sample can plan
a year from the history before it and pace the first months of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import DataError, TargetError
from ..formatting import fmt
from ..numbers import divide_or_nan
from .allocation import PRECISION
from .audit import attainment_draws
from .outlook import Outlook, assumed_clause, baseline_results, fit_outlook

PROBABILITY_BELOW = 0.5
"""A rep whose probability of reaching target is below this is flagged off pace."""
MONTHS_TO_ACT = 3
"""Months that must be left in the year for a flag: later than that, too late to act."""
PACE_BELOW = 0.9
"""Pace below which a rep is flagged when no probability could be computed."""
COLUMNS = ["rep_id", "region", "team", "months_done", "ytd_actual", "ytd_target",
           "attainment_to_date", "target", "ytd_share", "projected", "pace",
           "remaining_target", "months_left", "needed_per_month", "expected_year_end",
           "year_end_p10", "year_end_p90", "expected_attainment", "chance_of_target", "flag",
           "reason", "note"]
"""The columns of a `pace` table, in order."""


# --------------------------------------------------------------------------- the cut


def cut_history(ds: Dataset, as_of) -> Dataset:
    """The dataset as it stood at the end of month `as_of`: history through that month.

    The roster keeps the reps hired by then; a leave date after `as_of` is dropped (they
    were still employed), as a backtest does. Reviews of a half-year that ended after
    `as_of` (period like "2026H1") are left out. So `plan_targets(cut_history(ds,
    "2025-12"), 2026)` plans 2026 as it would have been planned at the end of 2025.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    as_of : date-like
        The last month kept (any day of it).

    Returns
    -------
    Dataset
        The cut dataset; its `plan_year` is the year after the last month kept.

    Raises
    ------
    DataError
        If `as_of` is not a date, or no history is left on or before it.
    """
    month = _month(as_of, "as_of", DataError)
    end = month + pd.offsets.MonthEnd(0)
    history = ds.history[ds.history["month"] <= month]
    if history.empty:
        first = ds.history["month"].min()
        raise DataError(f"as_of: {month:%b %Y} is before the history starts "
                        f"({first:%b %Y}); nothing is left to plan from")
    roster = ds.roster[ds.roster["hire_date"] <= end]
    if "leave_date" in roster:
        roster = roster.assign(leave_date=roster["leave_date"].where(
            roster["leave_date"] <= end))
    reviews = ds.reviews
    if len(reviews) and "period" in reviews:
        text = reviews["period"].astype("string").str.upper()
        year = pd.to_numeric(text.str[:4], errors="coerce")
        half_end = np.where(text.str[4:].fillna("") == "H1", 6, 12)
        done = (year * 12 + half_end) <= end.year * 12 + end.month
        reviews = reviews[done.fillna(True).to_numpy(dtype=bool)]
    return Dataset(roster.reset_index(drop=True), history.reset_index(drop=True),
                   reviews.reset_index(drop=True), source=f"{ds.source} to {month:%b %Y}",
                   notes=ds.notes)


@dataclass(frozen=True)
class YearSoFar:
    """A plan year under way: its monthly targets, the data to its last month and why.

    Parameters
    ----------
    year : int
        The year being paced.
    as_of : pandas.Timestamp
        Its last month with actuals.
    targets : pandas.DataFrame or None
        Its monthly targets (rep × month × measure, as `TargetPlan.monthly`); None when
        there were none to give and no history before the year to plan them from.
    data : Dataset
        The data through `as_of` (what `pace` and `rest_of_year_cost` take as actuals).
    note : str
        Where the targets come from and whether the year is real or a demonstration, or
        why it cannot be paced.
    """

    year: int
    as_of: pd.Timestamp
    targets: pd.DataFrame | None
    data: Dataset
    note: str

    def pace(self, **options) -> pd.DataFrame:
        """`pace` of this year (options as `pace`'s), or an empty table whose note says why
        there is nothing to pace.

        Parameters
        ----------
        **options
            `pace` keywords (measure, n, seed, ...).

        Returns
        -------
        pandas.DataFrame
            The `pace` table.
        """
        if self.targets is None:
            empty = pd.DataFrame(columns=COLUMNS).astype({"flag": bool})  # masks still work
            empty.attrs["note"] = self.note
            return empty
        return pace(self.targets, self.data, as_of=self.as_of, **options)

    def to_frame(self) -> pd.DataFrame:
        """The year's monthly targets with the month its actuals run to (`as_of`): what
        notebook 01 writes as `pacing_targets_<plan year>.csv` so notebook 03 prices the
        rest of the same year (`paced_year`); no rows when the year cannot be paced.

        Returns
        -------
        pandas.DataFrame
            rep_id, month, measure, target (and team when given) and as_of.
        """
        if self.targets is None:
            return pd.DataFrame(columns=["rep_id", "month", "measure", "target", "as_of"])
        return self.targets.assign(as_of=self.as_of)


def year_so_far(ds: Dataset, *, as_of=None, targets: pd.DataFrame | None = None,
                **settings) -> YearSoFar:
    """The year to pace: the history's last year when it is under way (its last month before
    December), else -- a full last year, as in the sample -- that year cut at June, a
    demonstration of what pacing shows. Its targets are `targets` (the monthly targets set
    for that year, e.g. last year's `targets_<year>.csv`) or, when none are given, planned
    by `plan_targets(**settings)` from the history before that year, as they would have
    been set then (stated in `note`).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    as_of : date-like, optional
        The last month of actuals to pace (default: as above).
    targets : pandas.DataFrame, optional
        The year's monthly targets (rep_id, measure, month, target).
    **settings
        `plan_targets` settings (growth, method, ...) for targets planned here; of
        `measures`, those `plan_targets` plans (a score such as CSAT gates, it has no
        target).

    Returns
    -------
    YearSoFar
        The year, its last month, targets, data and a note.

    Raises
    ------
    TargetError
        If `as_of` is not a month.
    """
    from .plan import MEASURES as PLANNED  # the whole plan: plan.py imports the pieces
    from .plan import plan_targets

    last = ds.history["month"].max()
    if as_of is not None:
        month = _month(as_of, "as_of")
    elif last.month < 12:
        month = last
    else:
        month = pd.Timestamp(year=last.year, month=6, day=1)
    year, real = month.year, as_of is not None or last.month < 12
    data = cut_history(ds, month)
    what = (f"{year} to {month:%B}" + ("" if real else
            f" (a demonstration: the history's {year} is complete, so pacing is shown "
            f"as it stood at the end of {month:%B})"))
    if targets is not None:
        return YearSoFar(year, month, targets, data, f"Pacing {what} against the targets "
                                                      "given for it.")
    if ds.history["month"].min().year >= year:
        return YearSoFar(year, month, None, data,
                         f"{year} cannot be paced: there is no history before it to plan its "
                         "targets from; pass the targets set for it (pace_targets, a "
                         "targets_<year>.csv).")
    if "measures" in settings:  # a score such as CSAT has no target to plan: it gates
        settings["measures"] = [m for m in settings["measures"] if m in PLANNED]
    plan = plan_targets(cut_history(ds, f"{year - 1}-12"), year, **settings)
    targets, set_to = _quota_targets(plan.monthly, ds, year)
    if set_to is None:
        return YearSoFar(year, month, targets, data,
                         f"Pacing {what} against targets planned from the history to "
                         f"December {year - 1} (the targets actually set for it can be "
                         "passed instead).")
    rest = ("" if set_to.month == 12 else
            f", continued past {set_to:%B} along each rep's planned season")
    return YearSoFar(year, month, targets, data,
                     f"Pacing {what} against the revenue targets set for it (the history's "
                     f"quota{rest}); reps without a quota, and other measures, against "
                     f"targets planned from the history to December {year - 1}.")


def _quota_targets(planned: pd.DataFrame, ds: Dataset, year: int,
                   ) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """The planned monthly targets with revenue replaced by the history's `quota` (the
    targets actually set) where a rep has one in `year`; a rep's months after their last
    quota follow their planned season, scaled by quota ÷ plan over the months both have.
    Returns the targets and the last month with a quota (None: no quota, planned kept).
    """
    h = ds.history
    if "quota" not in h.columns:
        return planned, None
    quota = h.loc[(h["month"].dt.year == year) & h["quota"].notna(),
                  ["rep_id", "month", "quota"]]
    revenue = planned["measure"] == "revenue"
    rows = planned[revenue].merge(quota.astype({"rep_id": "string"}),
                                  on=["rep_id", "month"], how="left")
    if quota.empty or rows["quota"].isna().all():
        return planned, None
    by_rep = rows.groupby("rep_id", sort=False)
    both = rows["quota"].notna()
    scale = divide_or_nan(rows["quota"].where(both, 0.0).groupby(rows["rep_id"]).transform("sum"),
                          rows["target"].where(both, 0.0).groupby(rows["rep_id"]).transform("sum"))
    has = by_rep["quota"].transform("count") > 0
    after = np.round(rows["target"] * np.where(np.isfinite(scale), scale, 1.0), 2)
    rows["target"] = np.where(both, rows["quota"], np.where(has, after, rows["target"]))
    out = pd.concat([rows.drop(columns="quota"), planned[~revenue]], ignore_index=True)
    return out[planned.columns].astype(planned.dtypes.to_dict()), quota["month"].max()


PACED_FILE = "pacing_targets_{year}.csv"
"""Notebook 01's paced year (`YearSoFar.to_frame`), named by the plan year."""


def paced_year(ds: Dataset, folder=None, year: int | None = None, **settings) -> YearSoFar:
    """The year notebook 01 paced, as it paced it: its targets and last month read back from
    `<folder>/pacing_targets_<year>.csv`, so the rest-of-year cost of notebook 03 is priced
    on the very targets the pacing table shows; without that file, `year_so_far(ds,
    **settings)` (and its note says so).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    folder : str or path-like, optional
        Where notebook 01 wrote its files (None: plan the year here).
    year : int, optional
        The plan year (the file's name); needed with `folder`.
    **settings
        `year_so_far` keywords for the year planned here.

    Returns
    -------
    YearSoFar
        The year, its last month, targets, data and a note.

    Raises
    ------
    DataError
        When the file is there but malformed (names the file and the column).
    """
    from pathlib import Path

    from ..incentives.inputs import read_targets

    file = Path(folder) / PACED_FILE.format(year=year) if folder is not None else None
    if file is None or not file.exists():
        return year_so_far(ds, **settings)
    frame = pd.read_csv(file)
    if "as_of" not in frame.columns:
        raise DataError(f"{file.name}: no as_of column (the last month of actuals paced)")
    if frame.empty:  # notebook 01 could not pace the year: neither can this
        return year_so_far(ds, **settings)
    as_of = _month(frame["as_of"].iloc[0], f"{file.name}: as_of", DataError)
    so_far = year_so_far(ds, as_of=as_of, targets=read_targets(file))
    return YearSoFar(so_far.year, so_far.as_of, so_far.targets, so_far.data,
                     f"Pacing {so_far.year} to {as_of:%B} against the targets notebook 01 "
                     f"paced it on ({file.name}).")


def _month(value, name: str, error: type[Exception] = TargetError) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise error(f"{name}: {value!r} is not a date (e.g. '2026-06')") from None
    if stamp is pd.NaT:
        raise error(f"{name}: {value!r} is not a date (e.g. '2026-06')")
    return stamp.to_period("M").to_timestamp()


# --------------------------------------------------------------------------- pacing


def pace(phased: pd.DataFrame, actuals: pd.DataFrame | Dataset, *, as_of=None,
         measure: str = "revenue", season: pd.Series | pd.DataFrame | None = None,
         outlook: Outlook | None = None, expected: pd.Series | None = None,
         n: int = 1000, seed: int = 0, probability_below: float = PROBABILITY_BELOW,
         months_to_act: int = MONTHS_TO_ACT, pace_below: float = PACE_BELOW) -> pd.DataFrame:
    """Each rep's year so far against the phased targets, the pace and the odds of target.

    YTD target is the phased months January..`as_of` (exact: the months are summed in units
    of the measure's precision, so YTD target + remaining target = the full-year target to
    the cent). Pace = (YTD actual ÷ YTD share of the year's target) ÷ target, the share
    being the rep's own target phasing (season × ramp), or `season`'s months when given
    (for targets phased equally): 100% when YTD actual = YTD target. The probability of
    reaching target, the expected year end and its P10–P90 come from the outlook model
    (module doc); they need the history before the plan year and the roster, so `actuals`
    is then a Dataset (its history holds both the earlier years and the year's actuals).
    A rep is flagged when the probability is below `probability_below` (the pace below
    `pace_below` when no probability could be computed) with at least `months_to_act`
    months left; `reason` says why in plain words, `note` what was unusual (hired during
    the year, no actuals yet, no target). Reps tie nowhere: rows are sorted by rep_id.

    Parameters
    ----------
    phased : pandas.DataFrame
        The plan year's targets by month: rep_id, month, target (measure, region and team
        when present; `TargetPlan.monthly`). Weeks are summed to their months.
    actuals : pandas.DataFrame or Dataset
        Rep × month history rows (rep_id, month, the measure); rows of other years and
        after `as_of` are ignored. A Dataset adds its roster and earlier history for the
        probability.
    as_of : date-like, optional
        The last month done; default the last month of the plan year with actuals.
    measure : str, default "revenue"
        The measure paced.
    season : pandas.Series or pandas.DataFrame, optional
        Season index (months 1..12, or by region with a region column in `phased`) for
        the YTD share; None uses the targets' own phasing.
    outlook : Outlook, optional
        The model (default: fitted on the history before the plan year).
    expected : pandas.Series, optional
        rep_id -> the rep's expected plan-year result before growth and luck (default:
        `baseline_results` on the history before the plan year).
    n : int, default 1000
        Scenarios for the probability, >= 1.
    seed : int, default 0
        Seed of the market draws and the reps' keyed streams (as the targets used).
    probability_below : float, default PROBABILITY_BELOW
        Flag below this probability.
    months_to_act : int, default MONTHS_TO_ACT
        Months that must be left for a flag.
    pace_below : float, default PACE_BELOW
        Flag below this pace when the probability is unknown.

    Returns
    -------
    pandas.DataFrame
        One row per rep (COLUMNS): the targets' reps, then reps with actuals and no target
        (their target columns empty, said in `note`). attrs["note"] says what the
        probability rests on, or why it is missing; attrs["as_of"] the month.

    Raises
    ------
    TargetError
        If `phased` or `actuals` lack a column, `phased` spans several years or holds no
        target for `measure`, `as_of` is not in the plan year or after the actuals end, or
        `n` < 1.
    """
    if n < 1:
        raise TargetError(f"n: need at least one scenario, got {n!r}")
    ds = actuals if isinstance(actuals, Dataset) else None
    history = ds.history if ds is not None else actuals
    monthly, year, step = _monthly_targets(phased, measure)
    as_of, done = _actuals_to_date(history, measure, year, as_of)
    k = as_of.month
    units = monthly.to_numpy()  # (reps, 12) integer units of the precision
    reps = monthly.index
    ytd_units, full_units = units[:, :k].sum(1), units.sum(1)
    decimals = max(0, -int(np.floor(np.log10(step) + 1e-9)))
    ytd_target = np.round(ytd_units * step, decimals)
    target = np.round(full_units * step, decimals)
    remaining = np.round((full_units - ytd_units) * step, decimals)
    if season is None:
        share = divide_or_nan(ytd_units.astype(float), full_units.astype(float))
    else:
        share = _season_share(season, phased, reps, k)
    got = done.groupby("rep_id")[measure].agg(["sum", "size"])
    # to the precision's decimals (at least cents), as the targets are: a rep whose months
    # equal their targets is on pace exactly, not within the float noise of a sum
    ytd_actual = np.round(got["sum"].reindex(reps).to_numpy(dtype=float), max(decimals, 2))
    months_done = got["size"].reindex(reps).fillna(0).to_numpy(dtype=int)
    left = 12 - k
    projected = divide_or_nan(ytd_actual, share)
    with np.errstate(invalid="ignore"):
        needed = np.maximum(target - np.nan_to_num(ytd_actual), 0) / left if left else \
            np.full(len(reps), np.nan)
    table = pd.DataFrame({"rep_id": reps.astype("string")})
    info = _rep_info(phased, ds, reps)
    for column in ("region", "team"):
        table[column] = info[column].to_numpy() if column in info else pd.NA
    table = table.assign(
        months_done=months_done, ytd_actual=ytd_actual, ytd_target=ytd_target,
        attainment_to_date=divide_or_nan(ytd_actual, ytd_target), target=target,
        ytd_share=share, projected=projected,
        pace=divide_or_nan(ytd_actual, ytd_target) if season is None  # the same, exactly
        else divide_or_nan(projected, target),
        remaining_target=remaining, months_left=left, needed_per_month=needed)
    odds, note = _odds(table, ds, year, measure, outlook, expected, share, n, seed)
    table = pd.concat([table, odds], axis=1)
    table["note"] = _notes(table, info, as_of, year)
    gone = table["note"].str.contains("left on").to_numpy(dtype=bool)
    table.loc[gone, list(odds.columns)] = np.nan  # a leaver is not paced
    table["flag"], table["reason"] = _flags(table, probability_below, months_to_act,
                                            pace_below, as_of, "money" if step < 1 else "count")
    extra = _untargeted(done, reps, measure, ds, year)
    if len(extra):
        table = pd.concat([table, extra], ignore_index=True)
    table["months_left"] = left  # the year's, for every row
    table = table.astype({"months_done": "int64", "months_left": "int64", "flag": "bool",
                          "reason": "string", "note": "string"})
    table = table.sort_values("rep_id", kind="stable", ignore_index=True)[COLUMNS]
    table.attrs["note"] = note
    table.attrs["as_of"] = as_of
    return table


def _monthly_targets(phased: pd.DataFrame, measure: str):
    """(rep × month 1..12 integer units, plan year, precision step) of one measure."""
    missing = [c for c in ("rep_id", "month", "target") if c not in phased]
    if missing:
        raise TargetError(f"phased: no column(s) {', '.join(missing)} (expected the plan's "
                          f"monthly targets, TargetPlan.monthly)")
    rows = phased[phased["measure"] == measure] if "measure" in phased else phased
    if rows.empty:
        raise TargetError(f"phased: no targets for measure {measure!r}")
    month = pd.to_datetime(rows["month"])
    years = sorted(month.dt.year.unique())
    if len(years) != 1:
        raise TargetError(f"phased: targets span years {years}; pace one plan year at a time")
    step = PRECISION.get(measure, 1.0)
    units = np.rint(rows["target"].to_numpy(dtype=float) / step).astype(np.int64)
    frame = pd.DataFrame({"rep_id": rows["rep_id"].astype("string").to_numpy(),
                          "m": month.dt.month.to_numpy(), "units": units})
    table = frame.pivot_table(index="rep_id", columns="m", values="units", aggfunc="sum",
                              fill_value=0).reindex(columns=range(1, 13), fill_value=0)
    return table.astype(np.int64), int(years[0]), step


def _actuals_to_date(history: pd.DataFrame, measure: str, year: int, as_of):
    missing = [c for c in ("rep_id", "month", measure) if c not in history]
    if missing:
        raise TargetError(f"actuals: no column(s) {', '.join(missing)}")
    month = pd.to_datetime(history["month"])
    this = history[month.dt.year == year]
    if this.empty:
        raise TargetError(f"actuals: no months of {year}, the targets' year, to pace")
    last = pd.to_datetime(this["month"]).max()
    if as_of is None:
        as_of = last
    as_of = _month(as_of, "as_of")
    if as_of.year != year:
        raise TargetError(f"as_of: {as_of:%b %Y} is not in {year}, the targets' year")
    if as_of > last:
        raise TargetError(f"as_of: the actuals of {year} end in {last:%b %Y}; pace up to a "
                          f"month they cover, not {as_of:%b %Y}")
    done = this[pd.to_datetime(this["month"]) <= as_of]
    done = done.assign(rep_id=done["rep_id"].astype("string"))
    return as_of, done


def _season_share(season, phased, reps: pd.Index, k: int) -> np.ndarray:
    """Share of the year in months 1..k by a season index (by region when a DataFrame)."""
    if isinstance(season, pd.DataFrame):
        if "region" not in phased:
            raise TargetError("season: an index by region needs a region column in phased")
        region = phased.drop_duplicates("rep_id").set_index(
            phased.drop_duplicates("rep_id")["rep_id"].astype("string"))["region"]
        index = season.reindex(index=region.reindex(reps).to_numpy(), columns=range(1, 13))
        values = index.to_numpy(dtype=float)
    else:
        values = np.broadcast_to(pd.Series(season).reindex(range(1, 13)).to_numpy(dtype=float),
                                 (len(reps), 12))
    if not np.isfinite(values).all() or (values < 0).any():
        raise TargetError("season: needs 12 finite values >= 0 (months 1..12) for every rep")
    return divide_or_nan(values[:, :k].sum(1), values.sum(1))


def _rep_info(phased: pd.DataFrame, ds: Dataset | None, reps: pd.Index) -> pd.DataFrame:
    """region, team (and hire/leave dates with a dataset) of each rep, by rep_id."""
    keep = [c for c in ("region", "team") if c in phased]
    first = phased.drop_duplicates("rep_id")
    info = pd.DataFrame(first[keep].to_numpy(), columns=keep,
                        index=pd.Index(first["rep_id"].astype("string"), name="rep_id"))
    info = info.reindex(reps)
    if ds is not None:
        roster = ds.roster.set_index(ds.roster["rep_id"].astype("string"))
        for column in ("region", "team", "hire_date", "leave_date"):
            if column in roster:
                known = roster[column].reindex(reps)
                info[column] = info[column].fillna(known) if column in info else known
    return info


def _odds(table: pd.DataFrame, ds: Dataset | None, year: int, measure: str,
          outlook: Outlook | None, expected: pd.Series | None, share: np.ndarray, n: int,
          seed: int) -> tuple[pd.DataFrame, str]:
    """The outlook's year end per rep: expected, P10, P90, attainment and probability."""
    empty = pd.DataFrame(np.nan, index=table.index,
                         columns=["expected_year_end", "year_end_p10", "year_end_p90",
                                  "expected_attainment", "chance_of_target"])
    model = _model(ds, year, measure, outlook, expected, table["rep_id"])
    if isinstance(model, str):
        return empty, model
    outlook, base, people = model
    ytd = table["ytd_actual"].to_numpy()
    target = table["target"].to_numpy()
    use = np.isfinite(ytd) & (target > 0) & np.isfinite(base) & np.isfinite(share)
    if not use.any():
        return empty, "no rep has a target, actuals and an expected result to model"
    ids = table.loc[use, "rep_id"]
    draws = attainment_draws(people.reindex(ids).reset_index(), outlook, n=n, seed=seed)
    rest = (base[use] * (1 - share[use]))[None, :] * np.exp(draws)  # the months left
    year_end = ytd[use][None, :] + rest
    hit = year_end >= target[use][None, :] * (1 - 1e-9)
    out = empty.copy()
    out.loc[use, "expected_year_end"] = year_end.mean(0)
    out.loc[use, "year_end_p10"] = np.quantile(year_end, 0.1, axis=0)
    out.loc[use, "year_end_p90"] = np.quantile(year_end, 0.9, axis=0)
    out.loc[use, "expected_attainment"] = year_end.mean(0) / target[use]
    out.loc[use, "chance_of_target"] = hit.mean(0)
    note = (f"probability of reaching target over {n:,} scenarios of the months left: each "
            f"rep's expected result for them (run-rate × capacity, spread like the rep's "
            f"targets) × usual growth {np.expm1(outlook.drift):+.1%} × a market swing of "
            f"{outlook.market_sd:.1%} × the rep's own variation of {outlook.own_sd:.1%}; the "
            f"year to date is known and does not change the model's view of the months "
            f"left{assumed_clause(outlook.assumed)}")
    return out, note


def _model(ds, year, measure, outlook, expected, rep_ids):
    """(outlook, expected per rep aligned to rep_ids, identity table) or why there is none."""
    if ds is None and (outlook is None or expected is None):
        return ("probability not computed: pass the dataset as `actuals` (its history before "
                f"{year} and its roster give the model), or both `outlook` and `expected`")
    if ds is not None:
        before = ds.history[ds.history["month"] < pd.Timestamp(year, 1, 1)]
        if before.empty:
            return (f"probability not computed: no history before {year} to learn the "
                    "rest of the year from")
        start = Dataset(ds.roster, before.reset_index(drop=True), source=ds.source)
        if outlook is None:
            outlook = fit_outlook(before, measure)
        if expected is None:
            reps = pd.DataFrame({"rep_id": rep_ids.to_numpy()})
            try:
                expected = baseline_results(start, reps, year, measure=measure)
            except TargetError as error:
                return f"probability not computed: {error}"
        roster = ds.roster.set_index(ds.roster["rep_id"].astype("string"))
        cols = [c for c in ("name", "hire_date") if c in roster]
        people = roster[cols].reindex(rep_ids)
    else:
        people = pd.DataFrame(index=pd.Index(rep_ids.to_numpy(), name="rep_id"))
    people.index = pd.Index(rep_ids.to_numpy(), name="rep_id")
    expected = pd.Series(expected)
    expected.index = expected.index.astype("string")
    base = expected.reindex(rep_ids.to_numpy()).to_numpy(dtype=float)
    return outlook, base, people


def _notes(table: pd.DataFrame, info: pd.DataFrame, as_of: pd.Timestamp,
           year: int) -> list[str]:
    notes = []
    hire = info["hire_date"].to_numpy() if "hire_date" in info else [pd.NaT] * len(info)
    leave = info["leave_date"].to_numpy() if "leave_date" in info else [pd.NaT] * len(info)
    for done, ytd, t, h, lv in zip(table["months_done"], table["ytd_target"], table["target"],
                                   hire, leave, strict=True):  # words per rep, not numbers
        said = []
        if pd.notna(lv) and pd.Timestamp(lv) <= as_of + pd.offsets.MonthEnd(0):
            said.append(f"left on {pd.Timestamp(lv):%d %b %Y}: not paced")
        if pd.notna(h) and pd.Timestamp(h).year == year:
            said.append(f"hired {pd.Timestamp(h):%d %b %Y}: targets and pace from the hire")
        if done == 0:
            said.append(f"no actuals in {year} through {as_of:%b}: pace and probability "
                        "not computed")
        elif done < as_of.month and not said:
            said.append(f"actuals for {done} of the {as_of.month} months so far")
        if t <= 0:
            said.append("no target above zero this year: not paced")
        elif ytd <= 0 and done:
            said.append(f"no target in the months through {as_of:%b} yet: pace not computed")
        notes.append("; ".join(said))
    return notes


def _flags(table: pd.DataFrame, below: float, months: int, pace_below: float,
           as_of: pd.Timestamp, kind: str) -> tuple[np.ndarray, list[str]]:
    p = table["chance_of_target"].to_numpy()
    pace_ = table["pace"].to_numpy()
    left = table["months_left"].to_numpy()
    left_rep = table["note"].str.contains("not paced").to_numpy(dtype=bool)
    known = np.isfinite(p)
    low = np.where(known, p < below, np.isfinite(pace_) & (pace_ < pace_below)) & ~left_rep
    flag = low & (left >= months)
    reasons = []
    for i, is_low in enumerate(low):  # words per rep
        if not is_low:
            reasons.append("")
            continue
        row = table.iloc[i]
        odds = (f"{fmt(row['chance_of_target'], 'percent', digits=0)} likely to reach target"
                if known[i] else f"on pace for {fmt(row['pace'], 'percent', digits=0)} "
                "of target")
        so_far = row["ytd_actual"] / as_of.month
        needs = (f"needs {fmt(row['needed_per_month'], kind, digits=0 if kind == 'money' else 1)}"
                 f" a month for the {int(row['months_left'])} months left, against "
                 f"{fmt(so_far, kind, digits=0 if kind == 'money' else 1)} a month so far")
        if flag[i]:
            reasons.append(f"{odds}; {needs}")
        else:
            reasons.append(f"{odds}, but only {int(row['months_left'])} month(s) left: "
                           "too late to act")
    return flag, reasons


def _untargeted(done: pd.DataFrame, reps: pd.Index, measure: str, ds: Dataset | None,
                year: int) -> pd.DataFrame:
    """Rows for reps with actuals this year and no target (joined after the targets)."""
    extra = done[~done["rep_id"].isin(reps)]
    if extra.empty:
        return pd.DataFrame(columns=COLUMNS)
    got = extra.groupby("rep_id")[measure].agg(["sum", "size"])
    frame = pd.DataFrame({"rep_id": got.index.astype("string"),
                          "months_done": got["size"].to_numpy(),
                          "ytd_actual": got["sum"].to_numpy(), "flag": False, "reason": "",
                          "note": f"no target in the {year} plan (joined after the targets "
                                  "were set): not paced"})
    if ds is not None:
        roster = ds.roster.set_index(ds.roster["rep_id"].astype("string"))
        for column in ("region", "team"):
            if column in roster:
                frame[column] = roster[column].reindex(frame["rep_id"]).to_numpy()
    return frame


def pace_rollup(table: pd.DataFrame, by: Sequence[str] = ("region", "team")) -> pd.DataFrame:
    """Company, region and team rows of a `pace` table: sums, attainment, pace and flags.

    Sums are over the reps with a target (a rep without one adds its actuals to no
    group's attainment); `expected_at_target` is the mean probability, the share of the
    group's reps the model expects at target (NaN when no probability was computed).

    Parameters
    ----------
    table : pandas.DataFrame
        A `pace` table.
    by : Sequence of str, default ("region", "team")
        The groups after the company row (those the table holds).

    Returns
    -------
    pandas.DataFrame
        level, group, reps, ytd_actual, ytd_target, attainment_to_date, target, projected,
        pace, expected_at_target and flagged.
    """
    rows = table[table["target"].notna() & (table["target"] > 0)]
    frames = [_sums(rows.assign(company="company"), "company")]
    frames += [_sums(rows, level) for level in by if level in rows and rows[level].notna().any()]
    return pd.concat(frames, ignore_index=True)


def _sums(rows: pd.DataFrame, level: str) -> pd.DataFrame:
    by = rows.groupby(level, sort=True)
    sums = by[["ytd_actual", "ytd_target", "target", "projected"]].sum(min_count=1)
    out = pd.DataFrame({"level": level, "group": sums.index.astype(str),
                        "reps": by.size().to_numpy(),
                        "ytd_actual": sums["ytd_actual"].to_numpy(),
                        "ytd_target": sums["ytd_target"].to_numpy()})
    out["attainment_to_date"] = divide_or_nan(out["ytd_actual"].to_numpy(),
                                              out["ytd_target"].to_numpy())
    out["target"] = sums["target"].to_numpy()
    out["projected"] = sums["projected"].to_numpy()
    out["pace"] = divide_or_nan(out["projected"].to_numpy(), out["target"].to_numpy())
    probability = by["chance_of_target"].agg(lambda s: s.mean() if s.notna().any() else np.nan)
    out["expected_at_target"] = probability.to_numpy(dtype=float)
    out["flagged"] = by["flag"].sum().to_numpy(dtype=int)
    return out


# ------------------------------------------------------------------ the rest of the year


def year_scenarios(ds: Dataset, phased: pd.DataFrame, actuals: pd.DataFrame, *,
                   measures: Sequence[str] = ("revenue",), as_of=None, n: int = 1000,
                   seed: int = 0) -> pd.DataFrame:
    """The plan year's months per scenario: the actuals to `as_of`, then simulated months.

    The months left are drawn as `pace` draws them (module doc): a volume measure's
    expected result for the rest of the year (`baseline_results`) spread over the months
    like the rep's targets of that measure (equally without them) × exp(market + own) of the
    measure's outlook, keyed by the rep; a score (csat) stays at the rep's mean so far.
    Each simulated month is its share of the rest-of-year draw, so a month has no noise of
    its own (what decides pay here is the rest of the year's total). `rest_of_year_cost`
    prices these; public so a check can pay them month by month with `payout`.

    Parameters
    ----------
    ds : Dataset
        Roster (who each rep is, leave dates) and the history before the plan year (the
        model).
    phased : pandas.DataFrame
        The plan year's monthly targets (rep_id, month, measure, target).
    actuals : pandas.DataFrame
        Rep × month rows of the plan year (others are ignored).
    measures : Sequence of str, default ("revenue",)
        The history columns to give.
    as_of : date-like, optional
        The last month done; default the last month of the plan year with actuals.
    n : int, default 1000
        Scenarios, >= 1.
    seed : int, default 0
        Seed of the market draws and the reps' keyed streams.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, rep and month: scenario, rep_id, month and the measures; the
        reps are those with targets who had not left by `as_of`.

    Raises
    ------
    TargetError
        As `pace`, or when there is no history before the plan year to model the months
        left.
    DataError
        When the history lacks a measure.
    """
    months, reps, year = _year_arrays(ds, phased, actuals, list(measures), as_of, n, seed)
    s, r = n, len(reps)
    frame = {"scenario": np.repeat(np.arange(s), r * 12),
             "rep_id": np.tile(np.repeat(reps.to_numpy(), 12), s),
             "month": np.tile(pd.date_range(f"{year}-01-01", periods=12, freq="MS"), s * r)}
    for m, x in months.items():  # (12, S, R) -> scenario, rep, month
        frame[m] = x.transpose(1, 2, 0).reshape(-1)
    out = pd.DataFrame(frame)
    out["rep_id"] = out["rep_id"].astype("string")
    return out


def _year_arrays(ds: Dataset, phased: pd.DataFrame, actuals: pd.DataFrame,
                 measures: list[str], as_of, n: int, seed: int):
    """({measure: (12, S, R) months}, reps, year) for `year_scenarios` and the cost."""
    if n < 1:
        raise TargetError(f"n: need at least one scenario, got {n!r}")
    from ..incentives.plan import MEASURES as KINDS  # sum or mean per measure

    first = "revenue" if "measure" not in phased or (phased["measure"] == "revenue").any() \
        else str(phased["measure"].iloc[0])
    main, year, _ = _monthly_targets(phased, first)
    as_of, done = _actuals_to_date(actuals, first, year, as_of)
    k = as_of.month
    roster = ds.roster.set_index(ds.roster["rep_id"].astype("string"))
    leave = (roster["leave_date"].reindex(main.index) if "leave_date" in roster
             else pd.Series(pd.NaT, index=main.index))
    reps = main.index[~(leave <= as_of + pd.offsets.MonthEnd(0)).to_numpy(dtype=bool)]
    before = ds.history[ds.history["month"] < pd.Timestamp(year, 1, 1)]
    if before.empty:
        raise TargetError(f"actuals: no history before {year} to model the months left")
    start = Dataset(ds.roster, before.reset_index(drop=True), source=ds.source)
    cols = [c for c in ("name", "hire_date") if c in roster]
    people = roster[cols].reindex(reps).reset_index(names="rep_id")
    out = {}
    for m in measures:
        if m not in done and m not in before:
            raise DataError(f"history: no column {m!r}, which the plan pays on")
        known = np.zeros((12, len(reps)))
        how = "mean" if KINDS.get(m, "sum") == "mean" else "sum"  # a score: none stays none
        got = done.assign(m=pd.to_datetime(done["month"]).dt.month).pivot_table(
            index="m", columns="rep_id", values=m, aggfunc=how) if m in done else None
        if got is not None:
            known = got.reindex(index=range(1, 13), columns=reps).to_numpy(dtype=float)
        x = np.repeat(known[:, None, :], n, axis=1)
        if KINDS.get(m, "sum") == "mean":
            x[k:] = _mean_of_known(known[:k], axis=0)[None, None, :]  # NaN: none yet
        else:
            x[:k] = np.nan_to_num(x[:k])
            x[k:] = _rest_months(start, phased, m, reps, people, year, k, n, seed)
        out[m] = x
    return out, reps, year


def _mean_of_known(x: np.ndarray, axis: int) -> np.ndarray:
    """The mean of the values that are not NaN, NaN where there is none (no warning)."""
    known = ~np.isnan(x)
    return divide_or_nan(np.where(known, x, 0).sum(axis), known.sum(axis).astype(float))


def _rest_months(start: Dataset, phased: pd.DataFrame, m: str, reps: pd.Index,
                 people: pd.DataFrame, year: int, k: int, n: int, seed: int) -> np.ndarray:
    """(12 - k, S, R) simulated months of a volume measure."""
    has = "measure" not in phased or (phased["measure"] == m).any()
    if has:
        units = _monthly_targets(phased, m)[0].reindex(reps, fill_value=0).to_numpy(float)
    else:
        units = np.ones((len(reps), 12))
    total = units.sum(1, keepdims=True)
    share = np.where(total > 0, units / np.where(total > 0, total, 1), 1 / 12)  # (R, 12)
    outlook = fit_outlook(start.history, m)
    base = baseline_results(start, pd.DataFrame({"rep_id": reps.to_numpy()}), year,
                            measure=m).reindex(reps.to_numpy()).to_numpy(dtype=float)
    draws = attainment_draws(people, outlook, n=n, seed=seed)  # (S, R)
    return (base * share[:, k:].T)[:, None, :] * np.exp(draws)[None, :, :]


def rest_of_year_cost(plan, ds: Dataset, phased: pd.DataFrame, actuals: pd.DataFrame, *,
                      as_of=None, n: int = 1000, seed: int = 0,
                      levels: pd.Series | None = None) -> pd.DataFrame:
    """Expected incentive cost of the rest of the year per rep, by the plan's own engine.

    The plan is run (`helpers.incentives.engine.run`, as `payout` and `simulate` run it)
    on each scenario of `year_scenarios`: the year-to-date actuals plus the simulated months
    left. `earned_to_date` is what the periods closed by `as_of` pay (a quarterly plan at
    May: Q1); the rest is the later periods, so rest + earned = the year's pay in each
    scenario. A rep already at an annual payout cap costs nothing more.

    Parameters
    ----------
    plan : helpers.incentives.Plan
        The plan.
    ds : Dataset
        Roster and the history before the plan year (the model), as `year_scenarios`.
    phased : pandas.DataFrame
        The plan year's monthly targets (rep_id, month, measure, target) of the measures
        the plan pays on attainment.
    actuals : pandas.DataFrame
        Rep × month rows of the plan year.
    as_of : date-like, optional
        The last month done; default the last month of the plan year with actuals.
    n : int, default 1000
        Scenarios, >= 1.
    seed : int, default 0
        Seed of the market draws and the reps' keyed streams (as `pace`).
    levels : pandas.Series, optional
        rep_id -> level (default the roster's; a rep without one is paid at the entry
        level, as `simulate` pays a new hire).

    Returns
    -------
    pandas.DataFrame
        One row per rep: rep_id, level, earned_to_date, expected_rest, rest_p10, rest_p90
        and expected_year. attrs["total"] holds the expected, P10 and P90 of the whole
        rest of the year over scenarios; attrs["note"] the basis in words.

    Raises
    ------
    TargetError
        As `year_scenarios`, or when `phased` lacks targets of a measure the plan pays
        on attainment.
    DataError
        When the history lacks a measure the plan needs.
    """
    from ..incentives.engine import row_earnings, run
    from ..incentives.inputs import default_levels, fill_levels
    from ..incentives.payouts import inputs_from_results, needed_targets

    lacking = sorted(m for m in needed_targets(plan)
                     if "measure" in phased and not (phased["measure"] == m).any())
    if lacking:
        raise TargetError(f"phased: no targets for {', '.join(lacking)}, which plan "
                          f"'{plan.name}' pays on attainment")
    months, reps, year = _year_arrays(ds, phased, actuals, list(plan.measures), as_of, n,
                                      seed)
    as_of = _actuals_to_date(actuals, "revenue" if "revenue" in actuals else
                             plan.measures[0], year, as_of)[0]
    levels, assumed = fill_levels(default_levels(ds) if levels is None else levels, reps)
    results = _one_scenario(months, reps, year, phased, plan, levels, ds)
    order, data = inputs_from_results(plan, results)
    at = pd.Index(reps).get_indexer(order["rep_id"].astype("string"))
    p = plan.n_periods
    period = np.arange(12) // (12 // p)
    from ..incentives.plan import MEASURES as KINDS

    actual = {}
    for m, x in months.items():
        x = x[:, :, at]
        sums = np.stack([x[period == i].sum(0) for i in range(p)])
        if KINDS.get(m, "sum") == "mean":
            sums = np.stack([_mean_of_known(x[period == i], axis=0) for i in range(p)])
            sums = np.nan_to_num(pd.DataFrame(sums[:, 0, :]).ffill().bfill().to_numpy())
            sums = np.broadcast_to(sums[:, None, :], (p, n, len(at))).copy()
        actual[m] = sums
    data.actual = actual
    data.tx_raw = row_earnings(plan, actual.__getitem__)
    total = run(plan, data).total  # (P, S, R)
    closed = as_of.month // (12 // p)
    earned = total[:closed].sum(0).mean(0)
    rest = total[closed:].sum(0)
    whole = rest.sum(1)
    out = pd.DataFrame({"rep_id": order["rep_id"].astype("string").to_numpy(),
                        "level": order["level"].astype("string").to_numpy(),
                        "earned_to_date": np.round(earned, 2),
                        "expected_rest": np.round(rest.mean(0), 2),
                        "rest_p10": np.round(np.quantile(rest, 0.1, axis=0), 2),
                        "rest_p90": np.round(np.quantile(rest, 0.9, axis=0), 2)})
    out["expected_year"] = out["earned_to_date"] + out["expected_rest"]
    out = out.sort_values("rep_id", kind="stable", ignore_index=True)
    out.attrs["total"] = {"expected": float(whole.mean()),
                          "p10": float(np.quantile(whole, 0.1)),
                          "p90": float(np.quantile(whole, 0.9))}
    label = {1: "year", 2: "half", 4: "quarter", 12: "month"}.get(p, "period")
    out.attrs["note"] = (
        f"'{plan.name}' on the actuals to {as_of:%b %Y} and {n:,} scenarios of the months "
        f"left; earned to date = the {closed} {label}(s) closed by then"
        + (f"; {len(assumed)} rep(s) without a level paid at the entry level"
           if len(assumed) else ""))
    return out


def _one_scenario(months: dict, reps: pd.Index, year: int, phased: pd.DataFrame, plan,
                  levels: pd.Series, ds: Dataset) -> pd.DataFrame:
    """A results table (rep × month, scenario 0) with targets, level and team: the shape
    `inputs_from_results` reads (the scenarios' values replace its actuals).
    """
    from ..incentives.payouts import needed_targets

    r = len(reps)
    frame = pd.DataFrame({"rep_id": np.repeat(reps.to_numpy(), 12),
                          "month": np.tile(pd.date_range(f"{year}-01-01", periods=12,
                                                         freq="MS"), r)})
    for m, x in months.items():
        frame[m] = x[:, 0, :].T.reshape(-1)
    for m in sorted(needed_targets(plan)):
        units, _, step = _monthly_targets(phased, m)
        frame[f"{m}_target"] = (units.reindex(reps, fill_value=0).to_numpy(float)
                                * step).reshape(-1)
    frame["level"] = np.repeat(levels.reindex(reps).to_numpy(), 12)
    roster = ds.roster.set_index(ds.roster["rep_id"].astype("string"))
    team = roster["team"].reindex(reps) if "team" in roster else pd.Series(pd.NA, reps)
    frame["team"] = np.repeat(team.fillna("no team").astype(str).to_numpy(), 12)
    frame["rep_id"] = frame["rep_id"].astype("string")
    return frame
