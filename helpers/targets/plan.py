"""The whole plan in one call: company target → reps → periods for each measure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import TargetError
from .allocation import (
    NEEDS,
    PRECISION,
    Method,
    Ramp,
    _basis,
    _check_over_assign,
    _rep_table,
    _split_targets,
    _units,
    missing_for,
    resolve_ramp,
)
from .company import (
    TREND_DAMPING,
    TREND_YEARS,
    CompanyMethod,
    _base_note,
    _baseline,
    _check_growth,
    company_target,
)
from .history import MONTH_NAMES, Outliers, cap_sentence, outlier_caps, seasonality
from .phasing import Grain, _layout, _spread

MEASURES = ("revenue", "new_customers")


# --------------------------------------------------------------------- the whole plan


@dataclass(frozen=True, eq=False)
class TargetPlan:
    """Everything notebook 01 shows and writes, from one call to `plan_targets`.

    Parameters
    ----------
    year : int
        The plan year.
    totals : pandas.Series
        Company target per measure (before over-assignment).
    targets : pandas.DataFrame
        Rep × measure, annual (`allocate_targets` rows).
    monthly : pandas.DataFrame
        Rep × month × measure (`phase` by month).
    phased : pandas.DataFrame
        Rep × period × measure at the chosen grain.
    season : pandas.DataFrame
        Season index by region, columns 1..12.
    last_months : tuple of int, default 1..12
        Months of `year - 1` with history.
    notes : tuple of str, default ()
        What was adapted to the data, one sentence each.
    capped : pandas.DataFrame, default empty
        The outlier months capped in the rep basis (`outlier_caps` rows with a measure
        column); empty with outliers="keep" or when nothing was capped.
    ramp : tuple of float, default ()
        The new-hire ramp the plan used (fitted or given).
    """

    year: int
    totals: pd.Series  # company target per measure (before over-assignment)
    targets: pd.DataFrame  # rep × measure, annual
    monthly: pd.DataFrame  # rep × month × measure
    phased: pd.DataFrame  # rep × period × measure at the chosen grain
    season: pd.DataFrame  # index by region, columns 1..12
    last_months: tuple[int, ...] = tuple(range(1, 13))  # months of year - 1 with history
    notes: tuple[str, ...] = ()  # what was adapted to the data, one sentence each
    capped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["measure", "rep_id", "month", "actual", "cap", "removed"]))
    ramp: tuple[float, ...] = ()  # the new-hire ramp the plan used

    def summary(self, measure: str = "revenue") -> pd.DataFrame:
        """Per region: reps, last year's actual, target and the growth it asks for.

        Growth compares like with like: when last year is partial (say Jan–Jul), the target
        of the same months (column `target_same_months`) against those months' actuals.
        `attrs["growth_basis"]` says which.

        Parameters
        ----------
        measure : str, default "revenue"
            The measure to sum.

        Returns
        -------
        pandas.DataFrame
            Indexed by region, then "total": reps, last_year, target,
            target_same_months (partial last year only) and growth.
        """
        rows = self.targets[self.targets["measure"] == measure]
        by = rows.groupby("region")  # size and sums without named agg's bookkeeping
        table = pd.DataFrame({"reps": by.size(), "last_year": by["last_year"].sum(),
                              "target": by["target"].sum()})
        months, last = self.last_months, self.year - 1
        partial = 0 < len(months) < 12
        if partial:
            monthly = self.monthly[(self.monthly["measure"] == measure)
                                   & self.monthly["month"].dt.month.isin(months)]
            same = monthly.groupby("region")["target"].sum()
            table["target_same_months"] = same.reindex(table.index, fill_value=0.0)
        table.loc["total"] = table.sum()
        compare = table["target_same_months"] if partial else table["target"]
        table["growth"] = compare / table["last_year"] - 1
        if not months:
            table["growth"] = np.nan
            basis = f"growth not computed: no history in {last}"
        elif partial:
            span = (f"{MONTH_NAMES[months[0] - 1]}–{MONTH_NAMES[months[-1] - 1]}, "
                    f"{len(months)} months")
            basis = (f"growth compares the {self.year} targets of the months {last} has "
                     f"history for ({span}) with the same months' actuals of {last}; "
                     f"{last} is a partial year")
        else:
            basis = f"growth compares the full year target with {last}'s full year actual"
        table = table.astype({"reps": "int64"})
        table.attrs["growth_basis"] = basis
        return table


def plan_targets(ds: Dataset, year: int | None = None, *, growth: float = 0.05,
                 amount: Mapping[str, float] | None = None,
                 company_method: CompanyMethod = "growth",
                 method: Method | Literal["blend"] = "history",
                 blend: Mapping[str, float] | None = None, over_assign: float = 0.0,
                 ramp: Sequence[float] | Literal["fitted"] = "fitted",
                 planned_hires: int | Mapping[str, int] = 0, grain: Grain = "month",
                 measures: Sequence[str] = MEASURES, seasonal: bool = True,
                 season: pd.DataFrame | None = None, holidays: Sequence = (),
                 weights: Sequence[float] = (0.5, 0.3, 0.2), outliers: Outliers = "cap",
                 trend_years: int = TREND_YEARS, damping: float = TREND_DAMPING,
                 cache: PlanCache | None = None) -> TargetPlan:
    """Company target → reps → periods for each measure: the notebook's (and widgets') call.

    `amount` sets a measure's company total directly ({"revenue": 120e6}); `seasonal=False`
    phases equally instead of by the region's season index; `season` passes that index in
    when it is already computed (the widget panel caches it); `holidays` are taken out of
    the working days that split months into weeks; `weights` are those of
    company_method="weighted" (fewer years of history: the years there are, rescaled).
    `outliers="cap"` caps last year's outlier months (the quality report's) in the rep
    basis; the company number is left on actuals, since the deal did happen. `trend_years`
    and `damping` shape company_method="trend". `notes` on the plan say, one sentence each,
    what was adapted to the data and which reps the cap touched (`capped` lists them).
    `cache` (a `PlanCache` of `ds`) keeps what a setting does not change between calls
    (the fitted ramp, the company baselines, the reps' run-rates and order), so a widget
    redraws in milliseconds; the numbers are the same with or without it.

    Parameters
    ----------
    ds : Dataset
        Roster and history.
    year : int or None, default None
        The plan year; None for `ds.plan_year`.
    growth : float, default 0.05
        Growth over the company baseline.
    amount : Mapping of str to float or None, default None
        Measure -> company total, set directly.
    company_method : {"growth", "weighted", "trend"}, default "growth"
        The company baseline (`company_target`).
    method : {"history", "potential", "capacity", "equal", "blend"}, default "history"
        The rep split (`allocate_targets`); one the data cannot support falls back, with
        a note.
    blend : Mapping of str to float or None, default None
        Method -> weight, for method="blend".
    over_assign : float, default 0.0
        Extra assigned on top of the company total.
    ramp : Sequence of float or "fitted", default "fitted"
        New hires' share of full productivity in tenure months 1, 2, ...; "fitted" fits
        it from the hires in history (`fit_ramp`), saying how in the notes when some rep
        of the plan ramps.
    planned_hires : int or Mapping of str to int, default 0
        Placeholder reps: a count, or team -> count.
    grain : {"quarter", "month", "week"}, default "month"
        The periods of `phased`.
    measures : Sequence of str, default MEASURES
        The measures to plan.
    seasonal : bool, default True
        Phase by the region's season index; False for equal months.
    season : pandas.DataFrame or None, default None
        The season index by region, if already computed.
    holidays : Sequence of date-like, default ()
        Days taken out of the working days (grain="week").
    weights : Sequence of float, default (0.5, 0.3, 0.2)
        Weights of company_method="weighted", most recent year first.
    outliers : {"cap", "keep"}, default "cap"
        Last year's outlier months in the rep basis (`allocate_targets`).
    trend_years : int, default TREND_YEARS
        Years of history company_method="trend" fits.
    damping : float, default TREND_DAMPING
        Monthly damping of the trend's slope, in (0, 1]; 1 for a straight line.
    cache : PlanCache or None, default None
        What earlier calls on the same `ds` computed; None computes everything.

    Returns
    -------
    TargetPlan
        Totals, rep targets, monthly and phased targets, the season index and notes.

    Raises
    ------
    TargetError
        If a parameter cannot give a sound number (see `company_target`,
        `allocate_targets` and `phase`), or `cache` was built for another dataset.
    """
    if cache is not None and cache.ds is not ds:
        raise TargetError("cache: this PlanCache was built for another dataset; "
                          "build one per dataset")
    memo = (PlanCache(ds) if cache is None else cache).get  # (an empty cache is falsy)
    year = ds.plan_year if year is None else int(year)
    if season is None:
        season = memo(("season",), lambda: seasonality(ds, "revenue", by="region"))
    method, blend, notes = _usable(ds, method, blend)
    if isinstance(ramp, str):  # "fitted": fitted once per cache
        ramp = memo(("ramp", year, ramp), lambda: resolve_ramp(ramp, ds, year))
    shape_of = (tuple(np.ravel(weights).tolist()), trend_years, damping)
    hires = (tuple(sorted(planned_hires.items())) if isinstance(planned_hires, Mapping)
             else planned_hires)
    totals, frames, caps = {}, [], []
    for measure in measures:  # two measures, not reps
        given = (amount or {}).get(measure)
        if given is not None:
            totals[measure] = company_target(ds.history, year, amount=given, measure=measure)
        else:
            g = _check_growth(growth)
            base = memo(("baseline", year, measure, company_method, *shape_of),
                        lambda m=measure: _baseline(ds.history, year, company_method, weights,
                                                    m, True, trend_years, damping))
            totals[measure] = base * (1 + g)  # as company_target: baseline × (1 + growth)
            note = memo(("note", year, measure, company_method, *shape_of),
                        lambda m=measure: _base_note(ds.history, year, company_method,
                                                     weights, m, trend_years, damping))
            if note and note not in notes:
                notes.append(note)
        precision = PRECISION.get(measure, 1.0)
        _check_over_assign(over_assign)
        units = _units(totals[measure] * (1 + over_assign), precision, "total")
        key = ("reps", year, measure, tuple(ramp), hires, outliers)
        reps = memo(key, lambda m=measure: _rep_table(ds, year, ramp, planned_hires, 1, m,
                                                      outliers))
        basis = memo((*key, method, tuple(sorted((blend or {}).items()))),
                     lambda r=reps: _basis(r.frame, method, blend))
        frames.append(_split_targets(reps, units, method, blend, measure, precision, basis))
        if outliers == "cap" and _splits_on_run_rate(method, blend):
            cap, said = memo(("caps", year, measure), lambda m=measure: _caps(ds, year, m))
            if len(cap):
                notes.append(said)
                caps.append(cap.assign(measure=measure))
    targets = pd.concat(frames, ignore_index=True)
    if isinstance(ramp, Ramp) and (targets["capacity"] < 1).any():  # someone ramps: say how
        notes.append(ramp.describe())
    capped = (pd.concat(caps, ignore_index=True)[["measure", "rep_id", "month", "actual",
                                                  "cap", "removed"]]
              if caps else TargetPlan.__dataclass_fields__["capped"].default_factory())
    shape = season if seasonal else None
    rows = ("rows", year, tuple(measures), tuple(ramp), hires, outliers,
            _values(shape), tuple(pd.DatetimeIndex(holidays).tolist()))

    def spread(by: str) -> pd.DataFrame:  # the layout (weights, rows) is the same each time
        layout = memo((*rows, by), lambda: _layout(targets, shape, year, by, None, ramp,
                                                    holidays))
        return _spread(layout, targets["target"])

    monthly = spread("month")
    phased = monthly if grain == "month" else spread(grain)
    last = memo(("last months", year), lambda: tuple(sorted(set(
        ds.history.loc[ds.history["month"].dt.year == year - 1, "month"].dt.month.tolist()))))
    return TargetPlan(year, pd.Series(totals, name="company_target"), targets, monthly,
                      phased, season, last, tuple(notes), capped, tuple(ramp))


class PlanCache:
    """What `plan_targets` computes from one dataset that its settings do not change: the
    fitted ramp, the season index, the company baselines (before growth) and their notes,
    the reps' run-rates, capacity and keyed order, each method's basis, the outlier caps and
    the phasing layouts (season × ramp weights, the rows of the result). A widget panel keeps
    one and passes it on every change, so a change recomputes only the splits and the
    phasing; the numbers are those of `plan_targets` without a cache (each entry is keyed
    by every setting it depends on).

    Parameters
    ----------
    ds : Dataset
        The dataset every call with this cache plans; its tables are read, never changed.
    """

    def __init__(self, ds: Dataset):
        self.ds = ds
        self._values: dict = {}

    def __len__(self) -> int:
        """How many results are kept."""
        return len(self._values)

    def get(self, key: tuple, make):
        """The value kept under `key`, made by `make()` the first time.

        Parameters
        ----------
        key : tuple
            Hashable: what the value is and every setting it depends on.
        make : callable
            Computes the value (an error it raises is raised, and nothing is kept).

        Returns
        -------
        object
            The value.
        """
        if key not in self._values:
            self._values[key] = make()
        return self._values[key]


def _values(table) -> tuple:
    """A season index as a key: its labels and values (None for an equal split)."""
    if table is None:
        return ()
    table = pd.DataFrame(table)
    return (tuple(table.index), tuple(table.columns), tuple(table.to_numpy().ravel()))


def _caps(ds: Dataset, year: int, measure: str) -> tuple[pd.DataFrame, str]:
    """The outlier caps of the rep basis and the sentence that lists them."""
    cap = outlier_caps(ds.history, year, measure)
    return cap, cap_sentence(cap, measure)


def _splits_on_run_rate(method: str, blend) -> bool:
    """Whether the rep split reads run-rates (so a cap on last year's months can move it)."""
    if method == "blend":
        return any(w > 0 and m in ("history", "capacity") for m, w in (blend or {}).items())
    return method in ("history", "capacity")


def _usable(ds: Dataset, method: str, blend):
    """The split method the data supports: 'potential' without territory potential falls
    back to 'history', and a blend drops what it cannot mix; each with a sentence.
    """
    gap = missing_for(ds, method, blend)
    if not gap:
        return method, blend, []
    if method != "blend":
        return "history", None, [f"{gap}: targets are split by 'history' (own run-rate) "
                                 f"instead"]
    rest = {m: w for m, w in blend.items() if not NEEDS.get(m) or NEEDS[m] not in ds.lacks()}
    if not any(w > 0 for w in rest.values()):
        return "history", None, [f"{gap}: targets are split by 'history' (own run-rate) "
                                 f"instead"]
    mix = ", ".join(f"{m} {w:g}" for m, w in rest.items())
    return "blend", rest, [f"{gap}: the blend mixes what is left ({mix}, in proportion)"]
