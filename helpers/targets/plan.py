"""The whole plan in one call: company target → reps → periods for each measure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..data import Dataset
from .allocation import DEFAULT_RAMP, NEEDS, Method, allocate_targets, missing_for
from .company import CompanyMethod, _base_note, company_target
from .history import MONTH_NAMES, seasonality
from .phasing import Grain, phase

MEASURES = ("revenue", "new_customers")


# --------------------------------------------------------------------- the whole plan


@dataclass(frozen=True, eq=False)
class TargetPlan:
    """Everything notebook 01 shows and writes, from one call to `plan_targets`."""

    year: int
    totals: pd.Series  # company target per measure (before over-assignment)
    targets: pd.DataFrame  # rep × measure, annual
    monthly: pd.DataFrame  # rep × month × measure
    phased: pd.DataFrame  # rep × period × measure at the chosen grain
    season: pd.DataFrame  # index by region, columns 1..12
    last_months: tuple[int, ...] = tuple(range(1, 13))  # months of year - 1 with history
    notes: tuple[str, ...] = ()  # what was adapted to the data, one sentence each

    def summary(self, measure: str = "revenue") -> pd.DataFrame:
        """Per region: reps, last year's actual, target and the growth it asks for.

        Growth compares like with like: when last year is partial (say Jan–Jul), the target
        of the same months (column `target_same_months`) against those months' actuals.
        `attrs["growth_basis"]` says which.
        """
        rows = self.targets[self.targets["measure"] == measure]
        table = rows.groupby("region").agg(reps=("rep_id", "size"),
                                           last_year=("last_year", "sum"),
                                           target=("target", "sum"))
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
                 ramp: Sequence[float] = DEFAULT_RAMP,
                 planned_hires: int | Mapping[str, int] = 0, grain: Grain = "month",
                 measures: Sequence[str] = MEASURES, seasonal: bool = True,
                 season: pd.DataFrame | None = None, holidays: Sequence = (),
                 weights: Sequence[float] = (0.5, 0.3, 0.2)) -> TargetPlan:
    """Company target → reps → periods for each measure: the notebook's (and widgets') call.

    `amount` sets a measure's company total directly ({"revenue": 120e6}); `seasonal=False`
    phases equally instead of by the region's season index; `season` passes that index in
    when it is already computed (the widget panel caches it); `holidays` are taken out of
    the working days that split months into weeks; `weights` are those of
    company_method="weighted" (fewer years of history: the years there are, rescaled).
    `notes` on the plan say, one sentence each, what was adapted to the data.
    """
    year = ds.plan_year if year is None else int(year)
    season = seasonality(ds, "revenue", by="region") if season is None else season
    method, blend, notes = _usable(ds, method, blend)
    totals, frames = {}, []
    for measure in measures:  # two measures, not reps
        given = (amount or {}).get(measure)
        totals[measure] = company_target(ds.history, year, growth=growth, method=company_method,
                                         amount=given, measure=measure, weights=weights,
                                         renormalise=True)
        if given is None:
            note = _base_note(ds.history, year, company_method, weights, measure)
            if note and note not in notes:
                notes.append(note)
        frames.append(allocate_targets(ds, totals[measure], method=method, blend=blend,
                                       over_assign=over_assign, ramp=ramp, year=year,
                                       planned_hires=planned_hires, measure=measure))
    targets = pd.concat(frames, ignore_index=True)
    shape = season if seasonal else None
    monthly = phase(targets, shape, year, "month", ramp=ramp)
    phased = (monthly if grain == "month"
              else phase(targets, shape, year, grain, ramp=ramp, holidays=holidays))
    last = ds.history.loc[ds.history["month"].dt.year == year - 1, "month"].dt.month
    return TargetPlan(year, pd.Series(totals, name="company_target"), targets, monthly,
                      phased, season, tuple(sorted(set(last.tolist()))), tuple(notes))


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
