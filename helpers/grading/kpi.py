"""The graded KPIs per rep for a period, and what the data in hand can grade.

`kpis` turns a rep x month history into one row of KPIs per active rep (volumes pro-rated
to a full year); `usable_weights` and `usable_gates` drop what the data lacks and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..data import Dataset, among
from ..errors import GradingError
from ..numbers import divide_or_nan

DIRECTIONS: dict[str, int] = {
    "revenue": 1, "attainment": 1, "new_customers": 1, "retention": 1, "csat": 1,
    "sales_cycle": -1, "product_knowledge": 1, "collaboration": 1,
}
"""The KPIs a rep is graded on: +1 higher is better, -1 lower is better (days to close)."""

REVIEW_KPIS = ("product_knowledge", "collaboration")
MAX_MONTHS = 12  # a graded period is a year at most (see _bounds): draws per resample
VOLUME_KPIS = ("revenue", "new_customers")  # scale with territory size
PRESETS: dict[str, dict[str, float]] = {
    "balanced": {"revenue": 0.15, "attainment": 0.25, "new_customers": 0.10, "retention": 0.10,
                 "csat": 0.10, "sales_cycle": 0.10, "product_knowledge": 0.10,
                 "collaboration": 0.10},
    "results first": {"revenue": 0.30, "attainment": 0.40, "new_customers": 0.15,
                      "retention": 0.05, "csat": 0.05, "sales_cycle": 0.05,
                      "product_knowledge": 0.0, "collaboration": 0.0},
    "customer focus": {"revenue": 0.10, "attainment": 0.15, "new_customers": 0.10,
                       "retention": 0.25, "csat": 0.25, "sales_cycle": 0.05,
                       "product_knowledge": 0.05, "collaboration": 0.05},
}
"""Starting points for the weight sliders; each sums to 1."""


# --------------------------------------------------------------------------------- KPIs


@dataclass(frozen=True)
class MonthlyParts:
    """Additive monthly components per rep, packed left (rep x month), for KPIs and bootstrap.

    Parameters
    ----------
    reps : pandas.Index
        The reps, in row order of every array.
    parts : dict of str to numpy.ndarray
        Component name -> (n_reps, n_months), 0 where a rep has no such month.
    months : numpy.ndarray
        Months worked in the period, per rep.
    baseline : numpy.ndarray
        Mean monthly revenue before the period (attainment when there is no quota).
    reviews : dict of str to numpy.ndarray
        Mean review score per rep, per review KPI.
    tenure_years : numpy.ndarray
        Years since hire at the end of the period.
    """

    reps: pd.Index
    parts: dict[str, np.ndarray]  # name -> (n_reps, n_months), 0 where no month
    months: np.ndarray  # months worked in the period, per rep
    baseline: np.ndarray  # mean monthly revenue before the period (attainment without quota)
    reviews: dict[str, np.ndarray]  # mean review score per rep
    tenure_years: np.ndarray


def _bounds(period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of a period: 2026, '2026', '2026H1' or '2026Q3'."""
    text = str(period).strip().upper()
    try:
        if "H" in text:
            year, half = (int(part) for part in text.split("H"))
            if half not in (1, 2):
                raise ValueError
            start = pd.Timestamp(year, 6 * half - 5, 1)
            return start, start + pd.DateOffset(months=5)
        p = pd.Period(text, freq="Q" if "Q" in text else "Y")
    except (ValueError, TypeError):
        raise GradingError(f"period={period!r}: expected a year like 2026, "
                           "a half like '2026H1' or a quarter like '2026Q3'") from None
    return p.start_time.normalize(), p.end_time.to_period("M").to_timestamp()


@dataclass(frozen=True)
class Period:
    """The months a grading run actually covers: the period, cut at the end of the history.

    Parameters
    ----------
    start : pandas.Timestamp
        First month graded.
    end : pandas.Timestamp
        Last month graded: the period's end, or the history's if earlier.
    months : int
        Number of months from `start` to `end`.
    partial : bool
        True when the history ends before the period does.
    """

    start: pd.Timestamp
    end: pd.Timestamp  # last month graded: the period's end or the history's, if earlier
    months: int
    partial: bool  # the history ends before the period does

    @property
    def text(self) -> str:
        """The period in plain words: months covered, and the pro-rating when partial."""
        span = (f"{self.start:%b}–{self.end:%b %Y}" if self.start.year == self.end.year
                else f"{self.start:%b %Y}–{self.end:%b %Y}")
        out = f"graded on {span}, {self.months} month{'s' if self.months != 1 else ''}"
        if self.partial:
            out += " (the history ends there); volumes are pro-rated to a full year"
        return out


def graded_period(ds: Dataset, period=None) -> Period:
    """Which months `kpis(ds, period)` grades on, and whether that is a partial period.

    Parameters
    ----------
    ds : Dataset
        The loaded data; its history gives the months there are.
    period : int or str, optional
        A year (2026, '2026'), a half ('2026H1') or a quarter ('2026Q3'); None means the
        last year of the history.

    Returns
    -------
    Period
        First and last month graded, the month count and whether it is partial.

    Raises
    ------
    GradingError
        When `period` cannot be read, or the history has no month in it.
    """
    start, end = _bounds(ds.last_year if period is None else period)
    last = min(end, ds.history["month"].max())
    first = max(start, ds.history["month"].min())
    if last < first:
        raise GradingError(f"period={period!r}: the history ({ds.history['month'].min():%Y-%m}"
                           f" to {ds.history['month'].max():%Y-%m}) has no month in it")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return Period(first, last, months, bool(last < end))


def monthly_parts(ds: Dataset, period=None, reviews: pd.DataFrame | None = None
                  ) -> MonthlyParts:
    """Each active rep's additive monthly components for `period`, as arrays (rep x month).

    The array core of `kpis` and `stability`: sum the months (or weigh them by a
    resample's month counts), pass the sums to `kpi_arrays`, and no DataFrame is built
    per resample. Same `period` and `reviews` as `kpis`.

    Parameters
    ----------
    ds : Dataset
        The validated data.
    period : int or str, optional
        2026, '2026H1' or '2026Q3'; default: the last history year.
    reviews : pandas.DataFrame, optional
        Reviews to use instead of `ds.reviews` (e.g. rater-adjusted).

    Returns
    -------
    MonthlyParts
        The components of every rep employed at the end of the period.

    Raises
    ------
    GradingError
        When the period cannot be read or has no history for active reps.
    """
    start, end = _bounds(ds.last_year if period is None else period)
    end = min(end, ds.history["month"].max())  # a partial last year ends with the history
    hist = ds.history[(ds.history["month"] >= start) & (ds.history["month"] <= end)]
    hist = hist[among(hist["rep_id"], ds.employed(end))]
    if hist.empty:
        raise GradingError(f"period={period!r}: no history for active reps between "
                           f"{start:%Y-%m} and {end:%Y-%m}")
    reps = pd.Index(hist["rep_id"].unique(), name="rep_id").sort_values()
    row = reps.get_indexer(hist["rep_id"])
    col = hist.groupby("rep_id").cumcount().to_numpy()
    shape = (len(reps), int(col.max()) + 1)

    def pack(values) -> np.ndarray:
        out = np.zeros(shape)
        out[row, col] = np.nan_to_num(np.asarray(values, dtype=float))
        return out

    cycle = hist["sales_cycle_days"]
    has_quota = "quota" in hist and hist["quota"].notna().all()
    parts = {
        "revenue": pack(hist["revenue"]),
        "quota": pack(hist["quota"]) if has_quota else np.full(shape, np.nan),
        "new_customers": pack(hist["new_customers"]),
        "retained": pack(hist["customers_retained"]),
        "up": pack(hist["customers_up_for_renewal"]),
        "csat": pack(hist["csat"]),
        "csat_n": pack(hist["csat"].notna()),
        "cycle_days": pack(cycle * hist["deals_won"]),
        "deals": pack(hist["deals_won"].where(cycle.notna(), 0)),
    }
    before = ds.history[(ds.history["month"] < start)
                        & (ds.history["month"] >= start - pd.DateOffset(months=12))]
    baseline = before.groupby("rep_id")["revenue"].mean().reindex(reps).to_numpy()
    hired = ds.roster.set_index("rep_id").loc[reps, "hire_date"]
    tenure = (end + pd.offsets.MonthEnd(0) - hired).dt.days / 365.25
    return MonthlyParts(reps, parts, np.bincount(row, minlength=len(reps)).astype(float),
                   baseline, _review_means(ds.reviews if reviews is None else reviews,
                                           reps, start, end), tenure.to_numpy())


def _review_means(reviews: pd.DataFrame, reps: pd.Index, start, end) -> dict[str, np.ndarray]:
    if reviews is None or reviews.empty:
        return {c: np.full(len(reps), np.nan) for c in REVIEW_KPIS}
    periods = pd.Series(reviews["period"].unique())
    begins = periods.map(lambda p: _bounds(p)[0])
    inside = periods[(begins >= start) & (begins <= end)]
    rows = reviews[reviews["period"].isin(inside)]
    means = rows.groupby("rep_id")[list(REVIEW_KPIS)].mean().reindex(reps)
    return {c: means[c].to_numpy(dtype=float) for c in REVIEW_KPIS}


def kpi_arrays(sums: Mapping[str, np.ndarray], months: np.ndarray, data: MonthlyParts
               ) -> dict[str, np.ndarray]:
    """KPIs from summed components; works on (n_reps,) and on (n_boot, n_reps) alike.

    The vectorised core of `kpis`, public so `stability` (and its benchmark) can regrade a
    whole batch of resamples at once: a DataFrame per resample would cost more than the KPIs.

    Parameters
    ----------
    sums : mapping of str to numpy.ndarray
        Each component summed over the months (per rep, or per resample and rep).
    months : numpy.ndarray
        Months counted in those sums, same shape.
    data : MonthlyParts
        Where the baseline, review means and tenure come from.

    Returns
    -------
    dict of str to numpy.ndarray
        KPI name -> values, the shape of `months`.
    """
    per_year = 12 / months  # pro-rate part-year reps to a full year
    quota = sums["quota"]
    attainment = (divide_or_nan(sums["revenue"], quota) if not np.isnan(quota).any()
                  else divide_or_nan(sums["revenue"] / months, data.baseline))
    out = {
        "revenue": sums["revenue"] * per_year,
        "attainment": attainment,
        "new_customers": sums["new_customers"] * per_year,
        "retention": divide_or_nan(sums["retained"], sums["up"]),
        "csat": divide_or_nan(sums["csat"], sums["csat_n"]),
        "sales_cycle": divide_or_nan(sums["cycle_days"], sums["deals"]),
    }
    shape = np.shape(sums["revenue"])  # reviews are half-yearly: held fixed in resamples
    out.update({c: np.broadcast_to(v, shape) for c, v in data.reviews.items()})
    return out


def kpis(ds: Dataset, period=None, *, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per active rep: the graded KPIs for `period` (default: the last year), pro-rated.

    Revenue and new customers are annualised from the months worked, so a rep hired in
    July is compared on a full-year rate. Attainment is revenue / quota when the history
    has a quota, else the monthly rate against the rep's own previous 12 months.
    Pass `reviews` (e.g. from `adjust_raters`) to grade on rater-adjusted review scores.
    Extra columns `months` and `tenure_years` feed the gates in `assign`.

    Parameters
    ----------
    ds : Dataset
        The loaded data (history, roster, reviews).
    period : int or str, optional
        A year, half ('2026H1') or quarter ('2026Q3'); None means the last year.
    reviews : pandas.DataFrame, optional
        Review scores to use instead of `ds.reviews` (e.g. rater-adjusted ones).

    Returns
    -------
    pandas.DataFrame
        One row per active rep (index `rep_id`): a column per KPI in `DIRECTIONS`, plus
        `months` and `tenure_years`.

    Raises
    ------
    GradingError
        When `period` cannot be read or no active rep has history in it.
    """
    data = monthly_parts(ds, period, reviews)
    values = kpi_arrays({k: v.sum(axis=1) for k, v in data.parts.items()}, data.months, data)
    frame = pd.DataFrame(values, index=data.reps)
    frame["months"] = data.months.astype(int)
    frame["tenure_years"] = data.tenure_years.round(2)
    return frame


# ------------------------------------------------------------- what the data can grade

_LABEL = {k: k.replace("_", " ") for k in DIRECTIONS} | {"csat": "CSAT"}


def _why_empty(kpi: str, lacks: Mapping[str, str]) -> str:
    if kpi in REVIEW_KPIS and "reviews" in lacks:
        return "there are no manager reviews in the data"
    if kpi == "csat" and "csat" in lacks:
        return "there is no CSAT in the data"
    if kpi == "attainment" and "quota" in lacks:
        return ("there is no quota in the history, and no rep has the previous 12 months of "
                "revenue to measure attainment against instead")
    return "no graded rep has a value for it in this period"


CUSTOM = "custom"
"""The preset name of weights set by hand (the grading panel's sliders, a saved scenario)."""


def preset_weights(preset: str, kpi_weights: Mapping[str, float] | None = None
                   ) -> dict[str, float]:
    """The KPI weights notebook 02 grades with: `kpi_weights` when given (weights set by
    hand, preset "custom"), else the named preset's; so a scenario saved with hand-set
    sliders runs in batch (`-p kpi_weights '{revenue: 0.4, csat: 0.6}'`).

    Parameters
    ----------
    preset : str
        A key of `PRESETS`, or "custom" (then `kpi_weights` is required).
    kpi_weights : Mapping[str, float], optional
        KPI name -> weight (>= 0, need not add up); None for the preset's weights.

    Returns
    -------
    dict of str to float
        KPI name -> weight, as given (`usable_weights` rescales them).

    Raises
    ------
    GradingError
        When the preset is unknown, "custom" comes without `kpi_weights`, or `kpi_weights`
        is not a mapping, names a KPI that is not graded, holds a weight that is not a
        number >= 0, or every weight is 0.
    """
    if kpi_weights is None:
        if preset == CUSTOM:
            raise GradingError("preset 'custom': the weights were set by hand; give them as "
                               "kpi_weights (KPI -> weight)")
        if preset not in PRESETS:
            raise GradingError(f"preset {preset!r}: not a preset (choices: "
                               f"{', '.join(PRESETS)}, or 'custom' with kpi_weights)")
        return dict(PRESETS[preset])
    if not isinstance(kpi_weights, Mapping):
        raise GradingError(f"kpi_weights: expected KPI -> weight, got {kpi_weights!r}")
    unknown = [k for k in kpi_weights if k not in DIRECTIONS]
    if unknown:
        raise GradingError(f"kpi_weights[{unknown[0]!r}]: not a KPI (KPIs: "
                           f"{', '.join(DIRECTIONS)})")
    weights = {}
    for k, v in kpi_weights.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
            raise GradingError(f"kpi_weights[{k!r}]={v!r}: a weight is a number >= 0")
        weights[k] = float(v)
    if not sum(weights.values()) > 0:
        raise GradingError("kpi_weights: every weight is 0; give at least one KPI a weight")
    return weights


def usable_weights(kpis: pd.DataFrame, weights: Mapping[str, float],
                   lacks: Mapping[str, str] | None = None) -> tuple[pd.Series, list[str]]:
    """The weights that can apply to `kpis`, renormalised, and a sentence per KPI left out.

    A weighted KPI no rep has a value for (no reviews, no CSAT, no quota and no previous
    year) drops out and the remaining weights are rescaled to sum to 1, keeping their
    proportions. `lacks` is `Dataset.lacks()`, used to say why. A KPI only some reps lack
    stays; `composite` spreads its weight for those reps.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The KPI frame from `kpis`.
    weights : Mapping[str, float]
        KPI name -> weight; weights <= 0 are left out.
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to say why a KPI is empty.

    Returns
    -------
    weights : pandas.Series
        The kept weights, rescaled to sum to 1.
    notes : list of str
        One plain-words sentence per reason a KPI was dropped or is partly missing.

    Raises
    ------
    GradingError
        When no weighted KPI has any data.
    """
    lacks = {} if lacks is None else lacks
    w = pd.Series(weights, dtype=float)
    w = w[w > 0]
    has = pd.Series({c: c in kpis.columns and kpis[c].notna().any() for c in w.index},
                    dtype=bool)
    empty = list(w.index[~has])
    kept = w[has]
    if kept.empty:
        raise GradingError(f"weights: no weighted KPI has data ({', '.join(w.index)} are all "
                           "empty); weight a KPI the data has")
    notes = []
    for why in dict.fromkeys(_why_empty(c, lacks) for c in empty):  # one sentence per reason
        names = [c for c in empty if _why_empty(c, lacks) == why]
        notes.append(f"{', '.join(_LABEL.get(c, c) for c in names)}: not graded, because "
                     f"{why}; {'its weight is' if len(names) == 1 else 'their weights are'} "
                     "spread over the KPIs that remain.")
    for c in kept.index:  # a KPI some reps lack: say how many, never a silent gap
        n = int(kpis[c].isna().sum())
        if n:
            who = ("have no quota and no revenue in the 12 months before the period"
                   if c == "attainment" and "quota" in lacks else "have no value")
            notes.append(f"{_LABEL.get(c, c)}: {n} of {len(kpis)} reps {who}; for them its "
                         "weight is spread over their other KPIs.")
    return kept / kept.sum(), notes


GateMissing = Literal["drop", "block"]
GATE_MISSING: tuple[str, ...] = get_args(GateMissing)


def usable_gates(rules: Mapping[str, Mapping] | None, kpis: pd.DataFrame,
                 lacks: Mapping[str, str] | None = None, *,
                 missing: GateMissing = "drop") -> tuple[dict, list[str]]:
    """Gates that can apply to `kpis`, and a sentence for each one that cannot.

    A gate on a measure no rep has (e.g. CSAT when the data has none) is dropped
    (`missing="drop"`) or kept, blocking every promotion to its level
    (`missing="block"`); either way the sentence says so, so no one is blocked
    silently. A gate on a measure only some reps lack stays, and the sentence counts
    the reps it blocks for want of a value.

    Parameters
    ----------
    rules : Mapping[str, Mapping], optional
        Level -> {column: bound}; a bound is a number (>=) or a tuple such as ("<=", 45).
    kpis : pandas.DataFrame
        The KPI frame the gates read.
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to say why a gate cannot apply.
    missing : {"drop", "block"}, default "drop"
        What to do with a gate on a measure no rep has.

    Returns
    -------
    gates : dict
        The gates that stay, level -> {column: bound}.
    notes : list of str
        One plain-words sentence per gate dropped, kept as blocking or partly missing.

    Raises
    ------
    GradingError
        When `missing` is not one of `GATE_MISSING`.
    """
    if missing not in GATE_MISSING:
        raise GradingError(f"missing={missing!r}: expected 'drop' or 'block'")
    lacks = {} if lacks is None else lacks
    kept, notes = {}, []
    for level, conditions in (rules or {}).items():
        keep = {}
        for column, bound in conditions.items():
            op, value = bound if isinstance(bound, tuple) else (">=", bound)
            sign = {">=": "≥", "<=": "≤"}.get(op, op)
            gate = f"gate {column} {sign} {value:g} for {level}"
            values = kpis[column] if column in kpis.columns else None
            if values is None or values.isna().all():
                why = ("there is no CSAT in the data" if column == "csat" and "csat" in lacks
                       else f"no graded rep has a {column} value")
                why = why.replace("there is no", "no")
                if missing == "drop":
                    notes.append(f"{gate} cannot apply: {why} — dropped.")
                    continue
                notes.append(f"{gate} cannot apply: {why} — kept as blocking, so no rep can "
                             f"move up to {level} or above.")
            elif values.isna().any():
                notes.append(f"{gate}: {int(values.isna().sum())} of {len(values)} reps have "
                             f"no {column} value and cannot pass it.")
            keep[column] = bound
        if keep:
            kept[level] = keep
    return kept, notes
