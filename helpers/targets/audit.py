"""Audits of a target set: flags per rep (SMART), what could not be judged, a backtest
against a year already done, and the simulated share of reps expected to hit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import streams
from ..data import Dataset, among
from ..errors import TargetError
from ..numbers import divide_or_nan
from .allocation import _fill_by_team, allocate_targets, missing_for, run_rate
from .company import CompanyMethod, company_target
from .history import _history, year_totals
from .outlook import Outlook, assumed_clause, fit_outlook

FLAGS = ("not_achievable", "soft_target", "ramp", "missing_history")


# ------------------------------------------------------------------------------ auditing


def full_years(history: pd.DataFrame, measure: str = "revenue") -> pd.DataFrame:
    """Rep × year totals for the calendar years a rep has all 12 months of.

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    measure : str, default "revenue"
        The history column.

    Returns
    -------
    pandas.DataFrame
        Indexed by rep_id, a column per year; NaN where a rep's year is not full.

    Raises
    ------
    TargetError
        If the history has no rows, or no `month` or `measure` column.
    """
    frame = _history(history, measure)
    by = frame.groupby(["rep_id", frame["month"].dt.year.rename("year")])[measure]
    totals = by.agg(["sum", "size"])
    return totals.loc[totals["size"] == 12, "sum"].unstack("year")


def smart_audit(targets: pd.DataFrame, history: pd.DataFrame, year: int | None = None, *,
                margin: float = 0.0, monthly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flags per rep and measure, for the calibration conversation before targets go out.

    - not_achievable: the growth the target asks for is above the best year-on-year growth
      the rep ever made (+ margin), i.e. outside their own track record;
    - soft_target: below what the rep did last year (a target the rep already beat; in the
      field "sandbagging" means a rep holding back deals or low-balling a forecast, which
      a target set from history cannot see);
    - ramp: a new or planned hire whose target is ramped (capacity < 1);
    - missing_history: no full last year, so the target rests on peers, not the rep.

    When last year is partial (history ends mid-year) and `monthly` targets (rep × month,
    as `phase` gives) are passed, like is compared with like: the targets of the months last
    year has (`target_same_months`) against the rep's actuals of those months (`last_year`);
    a rep without all of them has missing history.

    Parameters
    ----------
    targets : pandas.DataFrame
        Annual targets (`allocate_targets` rows): rep_id and target; optional measure,
        capacity and the roster columns, which are kept.
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    year : int or None, default None
        The plan year; None for the year after the last history.
    margin : float, default 0.0
        Growth above the rep's best before a target is not achievable.
    monthly : pandas.DataFrame or None, default None
        Monthly targets, to compare the same months when last year is partial.

    Returns
    -------
    pandas.DataFrame
        A row per target: the kept columns, last_year, best_growth, target_same_months
        (partial last year with `monthly`), required_growth, a bool column per FLAGS and
        `flags` in words.
    """
    year = int(history["month"].dt.year.max()) + 1 if year is None else year
    shown = history.loc[history["month"].dt.year == year - 1, "month"].dt.month.unique()
    same_months = monthly is not None and 0 < len(shown) < 12
    targets = targets.reset_index(drop=True)
    measures = targets["measure"] if "measure" in targets else pd.Series("revenue",
                                                                         targets.index)
    pieces = []
    for measure, rows in targets.groupby(measures, sort=False):  # a handful of measures
        years = full_years(history, str(measure))
        last = years.get(year - 1, pd.Series(dtype="float64")).reindex(rows["rep_id"])
        growth = years / years.shift(axis=1) - 1
        growth = growth.replace([np.inf, -np.inf], np.nan)
        best = growth.max(axis=1).reindex(rows["rep_id"])
        piece = {"last_year": last.to_numpy(), "best_growth": best.to_numpy()}
        if same_months:
            piece.update(_same_months(history, monthly, rows, str(measure), year, shown))
        pieces.append(pd.DataFrame(piece, index=rows.index))
    audit = pd.concat(pieces).sort_index()
    keep = [c for c in ("rep_id", "name", "region", "team", "status", "measure", "target")
            if c in targets]
    out = pd.concat([targets[keep], audit], axis=1)
    compare = out["target_same_months"] if same_months else out["target"]
    out["required_growth"] = divide_or_nan(compare.to_numpy(), out["last_year"].to_numpy()) - 1
    capacity = targets.get("capacity", pd.Series(1.0, index=targets.index))
    out["not_achievable"] = out["required_growth"] > out["best_growth"] + margin
    out["soft_target"] = compare < out["last_year"]
    out["ramp"] = (capacity < 1).to_numpy()
    out["missing_history"] = out["last_year"].isna().to_numpy()
    named = np.array([f.replace("_", " ") for f in FLAGS], dtype=object)
    hits = out[list(FLAGS)].to_numpy()
    out["flags"] = ["; ".join(named[row]) for row in hits]
    return out


def _same_months(history, monthly, rows, measure: str, year: int, shown) -> dict:
    """Last year's actuals of the months it has, and the targets of the same months."""
    last = history[(history["month"].dt.year == year - 1)]
    sums = last.groupby("rep_id")[measure].agg(["sum", "size"])
    actual = sums["sum"].where(sums["size"] == len(shown)).reindex(rows["rep_id"])
    plan = monthly[monthly["month"].dt.month.isin(shown)]
    if "measure" in plan:
        plan = plan[plan["measure"] == measure]
    same = plan.groupby("rep_id")["target"].sum().reindex(rows["rep_id"])
    return {"target_same_months": same.to_numpy(), "last_year": actual.to_numpy()}


def audit_notes(audit: pd.DataFrame, history: pd.DataFrame, year: int, *,
                measure: str = "revenue") -> list[str]:
    """Sentences on the flags `smart_audit` could not judge for `measure`, and why.

    Parameters
    ----------
    audit : pandas.DataFrame
        A `smart_audit` table.
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    year : int
        The plan year.
    measure : str, default "revenue"
        The history column.

    Returns
    -------
    list of str
        The sentences; empty when every flag could be judged.
    """
    rows = audit[audit["measure"] == measure] if "measure" in audit else audit
    last = year_totals(history, measure)
    notes = []
    if year - 1 not in last.index:
        notes.append(f"no history in {year - 1}: 'soft target' and 'not achievable' cannot be "
                     f"judged and every rep shows 'missing history'")
    elif last.loc[year - 1, "partial"] and "target_same_months" in rows:
        notes.append(f"{last.loc[year - 1, 'label']} is not a full year: 'soft target' and "
                     f"the growth a target asks for compare the targets of the same months "
                     f"with those months' actuals; a rep without all of them shows 'missing "
                     f"history'")
    elif last.loc[year - 1, "partial"]:
        notes.append(f"{last.loc[year - 1, 'label']} is not a full year: 'soft target' and "
                     f"'not achievable' need a full last year, so they cannot be judged and "
                     f"every rep shows 'missing history'")
    if len(rows) and rows["best_growth"].isna().all():
        notes.append("no rep has two full years of history: 'not achievable' (growth beyond "
                     "the rep's best year so far) cannot be judged")
    return notes


def backtest(ds: Dataset, method: str | Sequence[str] = "history", *,
             year: int | None = None, company_method: CompanyMethod = "growth",
             growth: float | None = None, measure: str = "revenue",
             **allocate_kwargs) -> pd.DataFrame:
    """Set targets as if it were a year earlier and compare with what reps then did.

    History up to `year` (default: `backtest_year`, the last full year after a full year)
    is cut off; a partial `year` raises, since a full-year target and part of a year of
    actuals are not like with like. Reps hired before it
    are the roster, leavers during it still count as employed. For each allocation method:
    the company error, the WAPE of rep targets against actuals (Σ|actual − target| /
    Σ actual) and the share of reps who would have hit, both over reps with 12 months of
    actuals in `year`.

    Parameters
    ----------
    ds : Dataset
        Roster and history.
    method : str or Sequence of str, default "history"
        Allocation method(s) to test (`allocate_targets`).
    year : int or None, default None
        The year to backtest; None for `backtest_year`.
    company_method : {"growth", "weighted", "trend"}, default "growth"
        The company baseline (`company_target`).
    growth : float or None, default None
        Growth over that baseline; None for 0.
    measure : str, default "revenue"
        The history column.
    **allocate_kwargs
        Passed to `allocate_targets` (blend, ramp, over_assign...).

    Returns
    -------
    pandas.DataFrame
        A row per method: method, company_target, company_actual, company_error, reps,
        wape and hit_rate.

    Raises
    ------
    TargetError
        If there is no full year to backtest, no history before `year`, `year` is not a
        full year, or a company or allocation parameter is unsound.
    """
    covered = year_totals(ds.history, measure)
    if year is None:
        year = backtest_year(ds.history, measure)
        if year is None:
            raise TargetError(f"year: the backtest needs a full year (12 months) of history "
                              f"before the last full one, and history has "
                              f"{_coverage(covered)}")
    year = int(year)
    start = pd.Timestamp(year, 1, 1)
    past_history = ds.history[ds.history["month"] < start]
    if past_history.empty:
        raise TargetError(f"year: no history before {year} to backtest from")
    if year not in covered.index or covered.loc[year, "partial"]:
        have = covered.loc[year, "label"] if year in covered.index else f"{year}: no months"
        raise TargetError(f"year: {have} of history; a full-year target cannot be compared "
                          f"with them, so backtest a full year")
    roster = ds.roster[among(ds.roster["rep_id"], ds.employed(start - pd.Timedelta(days=1)))]
    if "leave_date" in roster:  # who was there when the year's targets were set
        roster = roster.assign(leave_date=pd.NaT)
    past = Dataset(roster, past_history, source=f"{ds.source} before {year}")
    total = company_target(past_history, year, growth=growth, method=company_method,
                           measure=measure, renormalise=True)
    actual = full_years(ds.history[ds.history["month"].dt.year == year], measure)
    actual = actual.get(year, pd.Series(dtype="float64"))
    company_actual = ds.history.loc[ds.history["month"].dt.year == year, measure].sum()
    rows = []
    for name in [method] if isinstance(method, str) else method:  # a few methods, not reps
        t = allocate_targets(past, total, method=name, measure=measure, year=year,
                             **allocate_kwargs)
        t = t.set_index("rep_id")["target"]
        both = actual.index.intersection(t.index)
        a, p = actual[both].to_numpy(), t[both].to_numpy()
        rows.append({"method": name, "company_target": total, "company_actual": company_actual,
                     "company_error": total / company_actual - 1 if company_actual else np.nan,
                     "reps": len(both), "wape": np.abs(a - p).sum() / a.sum(),
                     "hit_rate": float((a >= p).mean()) if len(both) else np.nan})
    return pd.DataFrame(rows)


def backtest_year(history, measure: str = "revenue") -> int | None:
    """The last calendar year with 12 months of history whose previous year has 12 too
    (what a like-for-like backtest needs); None when there is none.

    Parameters
    ----------
    history : pandas.DataFrame or Dataset
        Monthly history.
    measure : str, default "revenue"
        The history column.

    Returns
    -------
    int or None
        The year, or None.
    """
    table = year_totals(history, measure)
    full = set(table.index[~table["partial"]])
    fit = [y for y in full if y - 1 in full]
    return max(fit) if fit else None


def _coverage(table: pd.DataFrame) -> str:
    return ", ".join(table["label"]) if len(table) else "no months"


def backtest_methods(ds: Dataset, methods: Sequence[str], *, blend: Mapping | None = None,
                     **kwargs) -> tuple[pd.DataFrame, list[str]]:
    """`backtest` of every method the data supports, and a sentence for each thing left out.

    Methods that need data the set lacks (e.g. 'potential' without territory_potential, or a
    blend that mixes it in) are left out with a note; when there is no full year to backtest
    (see `backtest_year`) or no method is left, the table is empty and a note says why.

    Parameters
    ----------
    ds : Dataset
        Roster and history.
    methods : Sequence of str
        Allocation methods to try, "blend" among them if wanted.
    blend : Mapping or None, default None
        Method -> weight, for "blend".
    **kwargs
        Passed to `backtest` (year, company_method, growth, measure...).

    Returns
    -------
    table : pandas.DataFrame
        The `backtest` rows of the methods kept; empty when nothing could be tested.
    notes : list of str
        A sentence for each method left out, and why the backtest was skipped when
        `backtest` refused (its TargetError becomes a note, never raised).
    """
    notes, keep = [], []
    for name in methods:  # a handful of methods
        gap = missing_for(ds, name, blend)
        if gap:
            notes.append(f"{name} left out of the backtest: {gap}")
        else:
            keep.append(name)
    if not keep:
        return pd.DataFrame(), notes + ["no method left to backtest"]
    try:
        table = backtest(ds, keep, blend=blend if "blend" in keep else None, **kwargs)
    except TargetError as error:
        reason = str(error).removeprefix("year: ")
        return pd.DataFrame(), [f"backtest skipped: {reason}"] + notes
    return table, notes


def attainment_draws(targets: pd.DataFrame, outlook: Outlook, *, n: int = 1000,
                     seed: int = 0) -> np.ndarray:
    """Each rep's log deviation from its run-rate in each scenario: the market swing shared
    by the scenario plus the rep's own keyed draw (what `expected_attainment` compares with
    the targets). It does not depend on the target amounts, so a panel that only moves
    them keeps it and draws again only when the reps or the seed change.

    Parameters
    ----------
    targets : pandas.DataFrame
        The reps with a target above zero, in order: rep_id (and the roster's identity
        columns when present) or only an index.
    outlook : Outlook
        The fitted model (`fit_outlook`).
    n : int, default 1000
        Scenarios, >= 1.
    seed : int, default 0
        Seed of the market draws and the reps' keyed streams.

    Returns
    -------
    numpy.ndarray
        float64 (n, reps).
    """
    scenarios = np.arange(n)
    people = targets.set_index("rep_id") if "rep_id" in targets else None
    keys = streams.rep_keys(targets["rep_id"] if people is not None else targets.index,
                            people, seed)
    return outlook.market(seed, scenarios)[:, None] + outlook.own_draws(keys, scenarios)


def expected_attainment(targets: pd.DataFrame, history: pd.DataFrame, *, n: int = 1000,
                        seed: int = 0, tolerance: float = 0.10,
                        band: tuple[float, float] = (0.6, 0.7),
                        spreads: Mapping[str, float] | None = None,
                        outlook: Outlook | None = None,
                        draws: np.ndarray | None = None,
                        by: Sequence[str] = ("region", "team")) -> pd.DataFrame:
    """Simulated share of reps hitting target, overall and by region and team (one measure).

    Each rep's plan-year result comes from the shared model of `helpers.targets.outlook`:
    run-rate (targets['run_rate'] × capacity; peers' median when missing) × exp(market +
    own), the market swing shared by everyone in a scenario and the own variation drawn
    from the rep's keyed stream. `helpers.incentives.simulate` draws the same results, so
    notebook 03 reports the same share at target for the same targets and seed. Rows:
    company, each region and each team; `flag` says 'harder' or 'easier' when a group's
    expected share is more than `tolerance` away from the company's. Practitioners aim for
    60–70%. A spread the history is too short to fit takes `spreads` (else the defaults)
    and is stated in `result.attrs["note"]`.

    Parameters
    ----------
    targets : pandas.DataFrame
        Annual targets of one measure: rep_id and target; run_rate (else computed from
        hire_date), capacity, region and team when present.
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    n : int, default 1000
        Scenarios to simulate, >= 1.
    seed : int, default 0
        Seed of the market draws and the reps' keyed streams.
    tolerance : float, default 0.10
        Gap from the company's share beyond which a group is flagged.
    band : tuple of float, default (0.6, 0.7)
        The share of reps hitting that practitioners aim for (`in_band`).
    spreads : Mapping of str to float, optional
        `market` and `own` spreads used where history is too short to fit them.
    outlook : Outlook, optional
        A model already fitted (default: `fit_outlook(history, measure, defaults=spreads)`).
    draws : numpy.ndarray, optional
        `attainment_draws` of the reps with a target above zero on this outlook, n and seed,
        when the caller kept them (a widget panel whose change moves only the amounts).
    by : sequence of str, default ("region", "team")
        The groups broken down after the company row (those the targets hold); () for the
        company alone, as a key-figure card needs it.

    Returns
    -------
    pandas.DataFrame
        Rows for the company, each region and each team: level, group, reps,
        expected_share, p10, p90, vs_company, flag and in_band; attrs["note"] states an
        assumed spread, attrs["outlook"] is the model.

    Raises
    ------
    TargetError
        If `n` < 1, targets hold several measures or none above zero, or a spread is bad.
    """
    if n < 1:
        raise TargetError(f"n: need at least one scenario, got {n!r}")
    if "measure" in targets and targets["measure"].nunique() > 1:
        raise TargetError("targets: pass one measure at a time (filter targets['measure'])")
    measure = str(targets["measure"].iloc[0]) if "measure" in targets else "revenue"
    targets = targets[targets["target"] > 0].reset_index(drop=True)
    if targets.empty:
        raise TargetError("targets: no rep has a target above zero")
    if outlook is None:
        outlook = fit_outlook(history, measure, defaults=spreads)
    capacity = targets.get("capacity", pd.Series(1.0, index=targets.index))
    rate = targets["run_rate"] if "run_rate" in targets else run_rate(
        history, targets.set_index("rep_id")["hire_date"], int(history["month"].dt.year.max())
        + 1, measure=measure).reset_index(drop=True)
    base = _fill_by_team(targets, rate, "a run-rate") * capacity.to_numpy()
    if draws is None:
        draws = attainment_draws(targets, outlook, n=n, seed=seed)
    elif np.shape(draws) != (n, len(targets)):
        raise TargetError(f"draws: expected (n, reps with a target) = {(n, len(targets))}, "
                          f"got {np.shape(draws)}")
    with np.errstate(divide="ignore"):  # no run-rate: the rep never reaches a target
        needed = np.log(targets["target"].to_numpy() / base)  # result >= target, in logs
    hit = draws >= needed[None, :]
    rows = [_shares(hit, np.zeros(len(targets), int), ["company"], "company")]
    for level in by:
        if level in targets:
            codes, names = pd.factorize(targets[level], sort=True)
            rows.append(_shares(hit, codes, list(names), level))
    out = pd.concat(rows, ignore_index=True)
    company = out["expected_share"].iloc[0]
    out["vs_company"] = out["expected_share"] - company
    out["flag"] = np.select([out["vs_company"] < -tolerance, out["vs_company"] > tolerance],
                            ["harder", "easier"], "")
    out["in_band"] = out["expected_share"].between(*band)
    if outlook.assumed:
        out.attrs["note"] = assumed_clause(outlook.assumed).removeprefix("; ")
    out.attrs["outlook"] = outlook
    out.attrs["error"] = monte_carlo_error(float(company), n)
    return out


def monte_carlo_error(share: float, n: int) -> float:
    """Two standard errors of a simulated share over `n` scenarios (a bound: reps in one
    scenario are not independent, so it uses scenarios, not rep-scenarios).

    Parameters
    ----------
    share : float
        The simulated share (0..1).
    n : int
        Scenarios.

    Returns
    -------
    float
        2 × sqrt(share × (1 − share) / n).
    """
    return 2 * float(np.sqrt(share * (1 - share) / max(n, 1)))


def _shares(hit: np.ndarray, codes: np.ndarray, names: list, level: str) -> pd.DataFrame:
    onehot = np.eye(len(names))[codes]
    share = hit @ onehot / onehot.sum(0)
    return pd.DataFrame({"level": level, "group": names, "reps": onehot.sum(0).astype(int),
                         "expected_share": share.mean(0),
                         "p10": np.quantile(share, 0.1, axis=0),
                         "p90": np.quantile(share, 0.9, axis=0)})
