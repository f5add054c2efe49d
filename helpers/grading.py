"""Level calibration: KPIs -> normalise -> weights -> composite -> thresholds -> levels.

Every step is a pure function on DataFrames so HR can see (and change) each rule:
which KPIs count and in which direction, how they are put on one scale, how much each
weighs, where the cut lines sit, how sticky a current level is, who is borderline and
why a rep got their score. Bad parameters raise `GradingError` naming the key.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from . import streams
from .data import Dataset
from .errors import GradingError
from .ranking import SAME, rank_rows
from .schema import LEVELS

DIRECTIONS: dict[str, int] = {
    "revenue": 1, "attainment": 1, "new_customers": 1, "retention": 1, "csat": 1,
    "sales_cycle": -1, "product_knowledge": 1, "collaboration": 1,
}
"""The KPIs a rep is graded on: +1 higher is better, -1 lower is better (days to close)."""

REVIEW_KPIS = ("product_knowledge", "collaboration")
MAX_MONTHS = 12  # a graded period is a year at most (see _bounds): draws per resample
VOLUME_KPIS = ("revenue", "new_customers")  # scale with territory size
METHODS = ("percentile", "zscore", "minmax", "robust")
THRESHOLD_METHODS = ("fixed", "quantile", "jenks", "kmeans", "gmm")

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
"""The training that addresses a weak KPI (shown by `explain`)."""



# --------------------------------------------------------------------------------- KPIs


@dataclass(frozen=True)
class _Months:
    """Additive monthly components per rep, packed left (rep x month), for KPIs and bootstrap."""

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
    """The months a grading run actually covers: the period, cut at the end of the history."""

    start: pd.Timestamp
    end: pd.Timestamp  # last month graded: the period's end or the history's, if earlier
    months: int
    partial: bool  # the history ends before the period does

    @property
    def text(self) -> str:
        span = (f"{self.start:%b}–{self.end:%b %Y}" if self.start.year == self.end.year
                else f"{self.start:%b %Y}–{self.end:%b %Y}")
        out = f"graded on {span}, {self.months} month{'s' if self.months != 1 else ''}"
        if self.partial:
            out += " (the history ends there); volumes are pro-rated to a full year"
        return out


def graded_period(ds: Dataset, period=None) -> Period:
    """Which months `kpis(ds, period)` grades on, and whether that is a partial period."""
    start, end = _bounds(ds.last_year if period is None else period)
    last = min(end, ds.history["month"].max())
    first = max(start, ds.history["month"].min())
    if last < first:
        raise GradingError(f"period={period!r}: the history ({ds.history['month'].min():%Y-%m}"
                           f" to {ds.history['month'].max():%Y-%m}) has no month in it")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return Period(first, last, months, bool(last < end))


def _collect(ds: Dataset, period=None, reviews: pd.DataFrame | None = None) -> _Months:
    start, end = _bounds(ds.last_year if period is None else period)
    end = min(end, ds.history["month"].max())  # a partial last year ends with the history
    hist = ds.history[(ds.history["month"] >= start) & (ds.history["month"] <= end)]
    hist = hist[hist["rep_id"].isin(ds.employed(end))]
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
    return _Months(reps, parts, np.bincount(row, minlength=len(reps)).astype(float),
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


def _kpi_arrays(sums: Mapping[str, np.ndarray], months: np.ndarray, data: _Months
                ) -> dict[str, np.ndarray]:
    """KPIs from summed components; works on (n_reps,) and on (n_boot, n_reps) alike."""
    def ratio(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)

    per_year = 12 / months  # pro-rate part-year reps to a full year
    quota = sums["quota"]
    attainment = (ratio(sums["revenue"], quota) if not np.isnan(quota).any()
                  else ratio(sums["revenue"] / months, data.baseline))
    out = {
        "revenue": sums["revenue"] * per_year,
        "attainment": attainment,
        "new_customers": sums["new_customers"] * per_year,
        "retention": ratio(sums["retained"], sums["up"]),
        "csat": ratio(sums["csat"], sums["csat_n"]),
        "sales_cycle": ratio(sums["cycle_days"], sums["deals"]),
    }
    shape = np.shape(sums["revenue"])  # reviews are half-yearly: held fixed in resamples
    out.update({c: np.broadcast_to(v, shape) for c, v in data.reviews.items()})
    return out


def kpis(ds: Dataset, period=None, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per active rep: the graded KPIs for `period` (default: the last year), pro-rated.

    Revenue and new customers are annualised from the months worked, so a rep hired in
    July is compared on a full-year rate. Attainment is revenue / quota when the history
    has a quota, else the monthly rate against the rep's own previous 12 months.
    Pass `reviews` (e.g. from `adjust_raters`) to grade on rater-adjusted review scores.
    Extra columns `months` and `tenure_years` feed the gates in `assign`.
    """
    data = _collect(ds, period, reviews)
    values = _kpi_arrays({k: v.sum(axis=1) for k, v in data.parts.items()}, data.months, data)
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


def usable_weights(kpis: pd.DataFrame, weights: Mapping[str, float],
                   lacks: Mapping[str, str] | None = None) -> tuple[pd.Series, list[str]]:
    """The weights that can apply to `kpis`, renormalised, and a sentence per KPI left out.

    A weighted KPI no rep has a value for (no reviews, no CSAT, no quota and no previous
    year) drops out and the remaining weights are rescaled to sum to 1, keeping their
    proportions. `lacks` is `Dataset.lacks()`, used to say why. A KPI only some reps lack
    stays; `composite` spreads its weight for those reps.
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


GATE_MISSING = ("drop", "block")


def usable_gates(rules: Mapping[str, Mapping] | None, kpis: pd.DataFrame,
                 lacks: Mapping[str, str] | None = None,
                 missing: str = "drop") -> tuple[dict, list[str]]:
    """Gates that can apply to `kpis`, and a sentence for each one that cannot.

    A gate on a measure no rep has (e.g. CSAT when the data has none) is dropped
    (`missing="drop"`) or kept, blocking every promotion to its level
    (`missing="block"`); either way the sentence says so, so no one is blocked
    silently. A gate on a measure only some reps lack stays, and the sentence counts
    the reps it blocks for want of a value.
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


# ---------------------------------------------------------------------------- normalise


def _scale(x: np.ndarray, method: str) -> np.ndarray:
    """Put `x` (higher is better) on 0..1 along the last axis; NaN stays NaN."""
    valid = ~np.isnan(x)
    n = valid.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "percentile":
            rank = rank_rows(np.where(valid, x, np.inf), rtol=SAME)  # ties share the mid-rank
            out = (rank - 0.5) / n
        elif method == "minmax":
            lo = np.where(valid, x, np.inf).min(axis=-1, keepdims=True)
            hi = np.where(valid, x, -np.inf).max(axis=-1, keepdims=True)
            out = np.where(hi > lo, (x - lo) / (hi - lo), 0.5)
        else:  # z-scores are squashed through the normal CDF so one outlier cannot dominate
            if method == "zscore":
                centre = np.where(valid, x, 0).sum(axis=-1, keepdims=True) / np.maximum(n, 1)
                spread = np.sqrt((np.where(valid, x - centre, 0) ** 2).sum(axis=-1, keepdims=True)
                                 / np.maximum(n, 1))
            else:
                centre = _nanmedian(x)
                spread = 1.4826 * _nanmedian(np.abs(x - centre))
            out = ndtr(np.where(spread > 0, (x - centre) / spread, 0.0))
    return np.where(valid, out, np.nan)


def _nanmedian(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():  # all-NaN rows warn; they stay NaN, which is meant
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=-1, keepdims=True)


def _normalize_arrays(values: Mapping[str, np.ndarray], method: str,
                      directions: Mapping[str, int], groups: np.ndarray | None,
                      potential: np.ndarray | None) -> dict[str, np.ndarray]:
    out = {}
    for name, x in values.items():
        x = np.asarray(x, dtype=float) * directions[name]
        if potential is not None and name in VOLUME_KPIS:
            x = x / potential
        if groups is None:
            out[name] = _scale(x, method)
        else:
            scaled = np.empty_like(x)
            for g in np.unique(groups):  # a handful of regions/teams, never reps
                mask = groups == g
                scaled[..., mask] = _scale(x[..., mask], method)
            out[name] = scaled
    return out


def _align(series, index: pd.Index, key: str) -> np.ndarray:
    series = pd.Series(series)
    missing = index.difference(series.index)
    if len(missing):
        raise GradingError(f"{key}: no value for rep(s) {', '.join(map(str, missing[:5]))}")
    return series.reindex(index).to_numpy()


def _context(by, territory, index: pd.Index) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Peer group per rep and relative territory potential (1 = average), checked."""
    groups = None if by is None else _align(by, index, f"by ({by.name})").astype(str)
    potential = None
    if territory is not None:
        potential = _align(territory, index, "territory").astype(float)
        if not (potential > 0).all():
            bad = index[~(potential > 0)][:5]
            raise GradingError(f"territory: potential must be > 0 (rep(s) "
                               f"{', '.join(map(str, bad))})")
        potential = potential / potential.mean()
    return groups, potential


def normalize(kpis: pd.DataFrame, method: str = "percentile", by: pd.Series | None = None,
              directions: Mapping[str, int] | None = None,
              territory: pd.Series | None = None) -> pd.DataFrame:
    """Each KPI on a 0..1 'higher is better' scale, so weights compare like with like.

    percentile: mid-rank / n (robust, uniform); minmax: (x - min) / (max - min);
    zscore / robust: normal CDF of (x - mean) / sd or (x - median) / (1.4826 MAD), so all
    methods share the 0..1 scale of the composite. Lower-is-better KPIs are flipped.
    `by` (rep -> group, e.g. region) ranks reps within their group; `territory`
    (rep -> territory potential) divides volume KPIs by the rep's relative potential, so a
    rep in a poor territory is not graded down for its size. Missing values stay NaN.
    """
    directions = dict(DIRECTIONS if directions is None else directions)
    if method not in METHODS:
        raise GradingError(f"method={method!r}: expected one of {', '.join(METHODS)}")
    columns = [c for c in kpis.columns if c in directions]
    if not columns:
        raise GradingError(f"kpis: none of the KPI columns {', '.join(directions)} found")
    for name, sign in directions.items():
        if sign not in (1, -1):
            raise GradingError(f"directions[{name!r}]={sign!r}: expected 1 or -1")
    groups, potential = _context(by, territory, kpis.index)
    values = {c: kpis[c].to_numpy(dtype=float) for c in columns}
    return pd.DataFrame(_normalize_arrays(values, method, directions, groups, potential),
                        index=kpis.index)


# ---------------------------------------------------------------------------- composite


def check_weights(weights: Mapping[str, float], columns: Sequence[str]) -> pd.Series:
    """Weights as a Series over `columns`, or GradingError naming the bad key."""
    weights = pd.Series(weights, dtype=float)
    unknown = [k for k in weights.index if k not in columns]
    if unknown:
        raise GradingError(f"weights[{unknown[0]!r}]: not a KPI here "
                           f"(expected some of {', '.join(columns)})")
    bad = weights[~(weights >= 0)]
    if len(bad):
        raise GradingError(f"weights[{bad.index[0]!r}]={bad.iloc[0]:g}: weights must be >= 0")
    if not np.isclose(weights.sum(), 1.0, atol=1e-6):
        raise GradingError(f"weights: sum to {weights.sum():.4g}, expected 1 "
                           f"({', '.join(f'{k}={v:g}' for k, v in weights.items())})")
    return weights.reindex(list(columns), fill_value=0.0)


def _composite(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """100 * weighted mean over the KPIs a rep has: values (k, ..., n), w (..., k)."""
    have = ~np.isnan(values)
    filled = np.where(have, values, 0.0)
    num = np.tensordot(w, filled, axes=([-1], [0]))
    den = np.tensordot(w, have.astype(float), axes=([-1], [0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * num / den


def composite(normalized: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Score 0..100: the weighted mean of normalised KPIs (a missing KPI's weight is spread).

    Weights must be non-negative and sum to 1; a rep with no data on any weighted KPI
    is an error rather than a silent zero.
    """
    w = check_weights(weights, list(normalized.columns))
    score = _composite(normalized.to_numpy(dtype=float).T, w.to_numpy())
    if np.isnan(score).any():
        reps = normalized.index[np.isnan(score)]
        raise GradingError(f"weights: rep(s) {', '.join(map(str, reps[:5]))} have no value "
                           f"for any weighted KPI ({', '.join(w.index[w > 0])})")
    return pd.Series(score, index=normalized.index, name="score")


# --------------------------------------------------------------------------- thresholds

_EMPTY_WHY = {
    "fixed": "move the cut-offs so that every level has a range with scores in it",
    "quantile": "its share rounds to no rep, or equal scores at a line all went to the "
                "next level",
    "jenks": "the scores do not form that many groups; use fewer levels or another rule",
    "kmeans": "the scores do not form that many groups; use fewer levels or another rule",
    "gmm": "no component of the fitted mixture is the most likely one for a range of "
           "scores there; use fewer levels or another rule",
}


@dataclass(frozen=True)
class Thresholds:
    """Cut lines between levels: a score >= cutoffs[i] reaches levels[i + 1]."""

    method: str
    levels: tuple[str, ...]
    cutoffs: tuple[float, ...]
    gvf: float  # goodness of variance fit: 1 - within-level / total sum of squares
    counts: pd.Series  # reps per level

    @property
    def empty(self) -> tuple[str, ...]:
        """Levels no rep falls in, so a count of 0 is never shown without a word."""
        return tuple(self.counts.index[self.counts.to_numpy() == 0])

    @property
    def note(self) -> str:
        """Plain-words warning naming the empty levels and why; '' when all have reps."""
        if not self.empty:
            return ""
        names = [f"'{level}'" for level in self.empty]
        which = (f"level {names[0]}" if len(names) == 1
                 else f"levels {', '.join(names[:-1])} and {names[-1]}")
        return f"no rep falls in {which} with these cut lines; {_EMPTY_WHY[self.method]}"

    def table(self) -> pd.DataFrame:
        """One row per level: the score range and head count, for the calibration sheet."""
        lower = (-np.inf, *self.cutoffs)
        upper = (*self.cutoffs, np.inf)
        return pd.DataFrame({"from": lower, "below": upper, "reps": self.counts.to_numpy()},
                            index=pd.Index(self.levels, name="level"))


def levels_of(scores, cutoffs: Sequence[float]) -> np.ndarray:
    """Level index of each score: how many cut lines it reaches."""
    return np.searchsorted(np.asarray(cutoffs, dtype=float), np.asarray(scores, dtype=float),
                           side="right")


def gvf(values, cutoffs: Sequence[float]) -> float:
    """Goodness of variance fit of the classes the cut lines make (1 = classes are tight)."""
    x = np.asarray(values, dtype=float)
    total = ((x - x.mean()) ** 2).sum()
    if total == 0:
        return 1.0
    cls = levels_of(x, cutoffs)
    sums = np.bincount(cls, weights=x)
    counts = np.bincount(cls)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return float(1 - ((x - means[cls]) ** 2).sum() / total)


def natural_breaks(values, k: int) -> list[float]:
    """Exact Fisher-Jenks breaks: [min, upper bound of class 1, ..., max] (as jenkspy).

    Fisher's dynamic programme over the sorted values minimises the within-class sum of
    squares exactly. It follows jenkspy's arithmetic (sums accumulated from each class's
    end, ties resolved towards the longer last class), so the breaks are identical, not
    just equally good; each end point is one vectorised step over all class starts.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    _check_k(x, k, "k")
    big = np.finfo(float).max
    cost = np.full((n, k), big)  # cost[l, j]: best SS of x[:l + 1] in j + 1 classes
    start = np.ones((n, k), dtype=int)  # 1-based first index of the last class
    for end in range(n):
        tail = x[end::-1]  # x[end], x[end - 1], ..., x[0]: the last class grows downwards
        s1, s2 = np.cumsum(tail), np.cumsum(tail * tail)
        ss = s2 - (s1 * s1) / np.arange(1.0, end + 2)
        cost[end, 0] = ss[-1]
        if end == 0:
            continue
        first = end - np.arange(end)  # 0-based start of the last class, for m < end
        for j in range(1, k):
            total = ss[:end] + cost[first - 1, j - 1]
            best = total.min()
            m = end - 1 - np.argmin(total[::-1] > best)  # last m reaching the minimum
            if best <= cost[end, j]:
                cost[end, j], start[end, j] = best, first[m] + 1
    breaks, m = [float(x[0])] * (k + 1), n
    breaks[k] = float(x[-1])
    for j in range(k - 1, 0, -1):
        breaks[j] = float(x[start[m - 1, j] - 2])
        m = start[m - 1, j] - 1
    return breaks


def _check_k(x: np.ndarray, k: int, key: str) -> None:
    distinct = len(np.unique(x))
    if not isinstance(k, (int, np.integer)) or k < 1 or k > distinct:
        raise GradingError(f"{key}={k!r}: need 1 <= {key} <= the number of distinct scores "
                           f"({distinct})")


def _largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    raw = shares * n
    counts = np.floor(raw + 1e-9).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")  # ties go to the lower level first
    counts[order[: n - counts.sum()]] += 1
    return counts


def _mid(lo: float, hi: float) -> float:
    """A cut line between two scores that keeps lo below and hi at or above it."""
    mid = lo + (hi - lo) / 2
    return mid if lo < mid <= hi else hi


def _forced_cuts(x: np.ndarray, shares: np.ndarray) -> list[float]:
    """Cut lines giving each level its share of reps; a tie never straddles a line.

    A tied group at a line goes to the side that moves fewer reps (up on an even split),
    so equal scores always get the same level and the result depends only on the scores.
    """
    n = len(x)
    cuts = []
    for c in np.cumsum(_largest_remainder(shares, n))[:-1]:
        if c <= 0:
            cuts.append(x[0])
        elif c >= n:
            cuts.append(np.nextafter(x[-1], np.inf))
        elif x[c - 1] < x[c]:
            cuts.append(_mid(x[c - 1], x[c]))
        else:
            a = np.searchsorted(x, x[c], side="left")
            b = np.searchsorted(x, x[c], side="right")
            if b - c >= c - a:  # more of the tie above the line: the tie goes up
                cuts.append(_mid(x[a - 1], x[a]) if a > 0 else x[a])
            else:
                cuts.append(_mid(x[b - 1], x[b]) if b < n else np.nextafter(x[-1], np.inf))
    return list(np.maximum.accumulate(cuts))


def _cuts_from_labels(x: np.ndarray, labels: np.ndarray, k: int) -> list[float]:
    """Midpoints between consecutive classes of sorted `x`, labels made monotone."""
    labels = np.maximum.accumulate(labels)
    cuts = []
    for j in range(1, k):
        below, above = x[labels < j], x[labels >= j]
        if len(above) == 0:
            cuts.append(np.nextafter(x[-1], np.inf))
        elif len(below) == 0:
            cuts.append(x[0])
        else:
            cuts.append(_mid(below[-1], above[0]))
    return cuts


def _kmeans_labels(x: np.ndarray, k: int) -> np.ndarray:
    """Exact 1-D k-means classes of sorted `x`: the Fisher-Jenks partition.

    In one dimension the best k-means classes are runs of sorted scores, and Fisher's
    programme finds the split into runs with the least within-class sum of squares (the
    k-means objective) exactly; a Lloyd run from one start can stop far above it.
    """
    breaks = natural_breaks(x, k)
    return levels_of(x, np.nextafter(np.array(breaks[1:-1]), np.inf))


def _gmm(x: np.ndarray, k: int, seed: int = 0, starts: int = 10, iters: int = 500):
    """EM for a 1-D Gaussian mixture from several starts; the most likely fit wins.

    EM climbs to the nearest optimum, so one start can stop at a poor fit. Start 0 is the
    exact k-means partition, the others split sorted `x` at k distinct scores drawn with
    `seed`; all starts run as one array (a row each). Variances have a floor (1e-4 of the
    score variance) so no component collapses onto one score. Returns weights, means and
    variances sorted by mean, and the log-likelihood sum(log(sum_j w_j N(x | m_j, v_j))).
    """
    n, distinct = len(x), np.unique(x)
    draws = np.random.default_rng(seed).random((starts - 1, len(distinct)))
    centres = distinct[np.sort(draws.argsort(axis=1)[:, :k], axis=1)]
    mids = (centres[:, 1:] + centres[:, :-1]) / 2
    labels = np.vstack([_kmeans_labels(x, k), (x[:, None] >= mids[:, None, :]).sum(axis=2)])
    resp = (labels[:, :, None] == np.arange(k)).astype(float)  # start x score x component
    floor = max(x.var(), 1e-12) * 1e-4
    last = np.full(starts, -np.inf)
    for _ in range(iters):
        nk = resp.sum(axis=1) + 1e-12
        w, m = nk / n, (resp * x[:, None]).sum(axis=1) / nk
        d2 = (x[:, None] - m[:, None, :]) ** 2
        v = np.maximum((resp * d2).sum(axis=1) / nk, floor)
        logp = (np.log(w) - 0.5 * np.log(2 * np.pi * v))[:, None, :] - d2 / (2 * v[:, None, :])
        top = logp.max(axis=2, keepdims=True)
        ll = top[..., 0] + np.log(np.exp(logp - top).sum(axis=2))
        total = ll.sum(axis=1)
        if np.all(total - last <= 1e-9 * np.abs(total)):
            break
        resp, last = np.exp(logp - ll[..., None]), total
    best = int(np.argmax(total))
    order = np.argsort(m[best], kind="stable")
    return w[best, order], m[best, order], v[best, order], float(total[best])


def _interval_labels(x: np.ndarray, logp: np.ndarray) -> np.ndarray:
    """Levels of sorted `x` as score intervals that agree best with `logp` (score x level).

    With unequal variances a wide component can be the most likely one at both ends of
    the scale, so each rep's most likely component need not give a level one range of
    scores. This takes the non-decreasing labelling with the largest summed log-
    probability (a dynamic programme over levels, each step vectorised over split
    points). Equal scores share a label; a level may come out empty.
    """
    distinct, first, counts = np.unique(x, return_index=True, return_counts=True)
    gain = np.cumsum(counts[:, None] * logp[first], axis=0)
    gain = np.vstack([np.zeros(logp.shape[1]), gain])  # gain[i, j]: level j for the first i
    best, back = gain[:, 0], []
    for j in range(1, logp.shape[1]):
        back.append(best - gain[:, j])  # best below a split at i, less level j's gain there
        best = gain[:, j] + np.maximum.accumulate(back[-1])
    splits, end = [], len(distinct)
    for h in back[::-1]:
        end = int(np.argmax(h[: end + 1]))
        splits.append(end)
    return np.searchsorted(splits[::-1], np.searchsorted(distinct, x), side="right")


def _gmm_labels(x: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Level of each sorted score under the best mixture: most likely component, as intervals."""
    w, m, v, _ = _gmm(x, k, seed)
    return _interval_labels(x, np.log(w) - 0.5 * np.log(2 * np.pi * v)
                            - (x[:, None] - m) ** 2 / (2 * v))


def thresholds(scores, method: str = "quantile", levels: Sequence[str] = LEVELS,
               shares: Sequence[float] | None = None,
               cutoffs: Sequence[float] | None = None, seed: int = 0) -> Thresholds:
    """Where the level lines sit, by one of five rules, with the fit (GVF) of the result.

    fixed: the `cutoffs` HR typed in; quantile: a forced distribution by `shares` (equal
    if None), ties kept together; jenks: exact natural breaks; kmeans: exact k-means,
    which on one score is the natural-breaks partition (so the same lines as jenks);
    gmm: a Gaussian mixture, the most likely of several EM starts drawn with `seed`.
    Lines sit midway between neighbouring classes. The data-driven rules need as many
    distinct scores as levels; a level left empty is named in `Thresholds.note`.
    """
    levels = tuple(levels)
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise GradingError(f"levels={list(levels)}: need two or more distinct levels")
    k = len(levels)
    x = pd.Series(scores, dtype=float)
    if x.empty or x.isna().any():
        bad = list(x.index[x.isna()][:5])
        raise GradingError(f"scores: need a score for every rep (missing: {bad})")
    xs = np.sort(x.to_numpy())
    if method == "fixed":
        if cutoffs is None or len(cutoffs) != k - 1:
            raise GradingError(f"cutoffs: method 'fixed' needs {k - 1} cut-offs "
                               f"(one between each pair of levels), got {cutoffs!r}")
        cuts = [float(c) for c in cutoffs]
        if not np.all(np.isfinite(cuts)) or np.any(np.diff(cuts) < 0):
            raise GradingError(f"cutoffs={cuts}: must be finite and increasing")
    elif method == "quantile":
        shares = np.full(k, 1 / k) if shares is None else np.asarray(shares, dtype=float)
        if shares.shape != (k,) or (shares < 0).any() or not np.isclose(shares.sum(), 1):
            raise GradingError(f"shares={list(shares)}: need {k} non-negative shares "
                               f"summing to 1 (one per level {', '.join(levels)})")
        cuts = _forced_cuts(xs, shares)
    elif method in ("jenks", "kmeans", "gmm"):
        _check_k(xs, k, "levels")
        labels = _gmm_labels(xs, k, seed) if method == "gmm" else _kmeans_labels(xs, k)
        cuts = _cuts_from_labels(xs, labels, k)
    else:
        raise GradingError(f"method={method!r}: expected one of {', '.join(THRESHOLD_METHODS)}")
    cuts = tuple(float(c) for c in cuts)
    counts = pd.Series(np.bincount(levels_of(xs, cuts), minlength=k), index=list(levels),
                       name="reps")
    return Thresholds(method, levels, cuts, gvf(xs, cuts), counts)


# ------------------------------------------------------------------------------- assign


def _gate_mask(rules: Mapping, facts: pd.DataFrame | None, index: pd.Index,
               levels: Sequence[str]) -> dict[int, np.ndarray]:
    """For each gated level index: which reps pass its gate, and for each rep the gate
    columns it has no value for ('' when none), so a block for want of data says so."""
    out = {}
    for level, conditions in rules.items():
        if level not in levels:
            raise GradingError(f"rules[{level!r}]: not a level ({', '.join(levels)})")
        ok = np.ones(len(index), dtype=bool)
        lacking = np.full(len(index), "", dtype=object)
        for column, bound in conditions.items():
            if facts is None or column not in facts.columns:
                raise GradingError(f"rules[{level!r}][{column!r}]: no such column in facts")
            op, value = bound if isinstance(bound, tuple) else (">=", bound)
            if op not in (">=", "<="):
                raise GradingError(f"rules[{level!r}][{column!r}]: operator {op!r}, "
                                   "expected '>=' or '<='")
            x = _align(facts[column], index, f"facts[{column!r}]").astype(float)
            ok &= (x >= value) if op == ">=" else (x <= value)  # NaN fails, and says so
            lacking[np.isnan(x)] += f", no {column} value"
        out[list(levels).index(level)] = ok, lacking
    return out


def _levels_cuts(cutoffs, levels: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Levels and cut lines from a Thresholds or a plain list, checked against each other."""
    if isinstance(cutoffs, Thresholds):
        levels, cutoffs = cutoffs.levels, cutoffs.cutoffs
    cuts = np.asarray(cutoffs, dtype=float)
    if cuts.shape != (len(levels) - 1,) or np.any(np.diff(cuts) < 0) or np.isnan(cuts).any():
        raise GradingError(f"cutoffs={list(cuts)}: need {len(levels) - 1} increasing values "
                           f"(one between each pair of {', '.join(levels)})")
    return tuple(levels), cuts


def assign(scores: pd.Series, cutoffs, current: pd.Series | None = None,
           hysteresis: float = 0.0, rules: Mapping[str, Mapping] | None = None,
           facts: pd.DataFrame | None = None, levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """Proposed level per rep, with the reason when it differs from the plain cut.

    With `current`, a rep moves up only when the score clears the new level's line by
    `hysteresis` points and down only when it falls below their level's line by the
    same margin, so scores hovering at a line do not flip every year. A missing current
    level (e.g. one a deals export only assumed, see `current_levels`) is a first
    placement: the plain cut, change 'first level', no margin. `rules` are gates:
    {"senior": {"tenure_years": 2, "csat": 80}} means senior and above need tenure >= 2
    and CSAT >= 80 (a tuple ("<=", 45) for lower-is-better), read from `facts` (e.g. the
    `kpis` frame); a gate blocks a promotion, it never demotes a rep already there.
    """
    levels, cuts = _levels_cuts(cutoffs, levels)
    if not hysteresis >= 0:
        raise GradingError(f"hysteresis={hysteresis!r}: must be >= 0")
    x = scores.to_numpy(dtype=float)
    if np.isnan(x).any():
        bad = scores.index[np.isnan(x)][:5]
        raise GradingError(f"scores: missing for rep(s) {', '.join(map(str, bad))}")
    plain = levels_of(x, cuts)
    proposed, note = plain.copy(), np.full(len(x), "", dtype=object)
    if current is not None:
        code = {name: i for i, name in enumerate(levels)}
        given = pd.Series(_align(current, scores.index, "current"), dtype=object)
        unknown = given.isna().to_numpy()
        cur = given.map(code).fillna(-1).to_numpy(dtype=int)
        if (~unknown & (cur < 0)).any():
            bad = scores.index[~unknown & (cur < 0)][:5]
            raise GradingError(f"current: no valid level for rep(s) {', '.join(map(str, bad))}")
        up, down = levels_of(x, cuts + hysteresis), levels_of(x, cuts - hysteresis)
        proposed = np.where(unknown, plain, np.clip(cur, up, down))
        held = proposed != plain
        note[held] = [f"{hysteresis:g}-point margin: cut lines alone say {levels[p]}"
                      for p in plain[held]]
    else:
        cur = None
    gated = _gate_mask(rules or {}, facts, scores.index, levels)
    for level, (ok, lacking) in sorted(gated.items()):
        floor = level - 1 if cur is None else np.maximum(cur, level - 1)  # unknown: -1
        blocked = ~ok & (proposed > floor)
        proposed = np.where(blocked, floor, proposed)
        lack = pd.Series(lacking, dtype="string").str.removeprefix(", ")
        why = f"gate for {levels[level]} not met" + (" (" + lack + ")").where(lack != "", "")
        note[blocked] = why.to_numpy(dtype=object)[blocked]
    out = pd.DataFrame({"score": x}, index=scores.index)
    if cur is not None:
        out["current"] = pd.Categorical.from_codes(cur, levels, ordered=True)  # -1: NaN
    out["proposed"] = pd.Categorical.from_codes(proposed, levels, ordered=True)
    if cur is not None:
        out["change"] = np.select([cur < 0, proposed > cur, proposed < cur],
                                  [FIRST_LEVEL, "promotion", "demotion"], "same")
    out["note"] = pd.array(note, dtype="string")
    return out


FIRST_LEVEL = "first level"  # the change of a rep graded without a current level


def current_levels(ds: Dataset) -> tuple[pd.Series, list[str]]:
    """rep_id -> current level, missing where the loader only assumed it (a deals export's
    default level), and a sentence saying so: promotions and demotions against a guessed
    level would be invented, so those reps are placed for the first time instead."""
    current = ds.roster.set_index("rep_id")["level"]
    assumed = ds.assumed("level")
    if not len(assumed):
        return current, []
    current = current.astype(object).where(~current.index.isin(assumed))
    share = "every rep" if len(assumed) == len(current) else f"{len(assumed)} rep(s)"
    return current, [f"The current level of {share} was assumed when the data was loaded "
                     "(no level in the data): they are placed for the first time, with no "
                     "promotion, demotion or margin; give levels in the roster (or teams "
                     "table) to compare."]


def transition_matrix(assigned: pd.DataFrame) -> pd.DataFrame:
    """Counts of reps from current level (rows) to proposed level (columns); reps placed
    for the first time (no current level) are not in it."""
    if "current" not in assigned:
        raise GradingError("assigned: no 'current' column (call assign with current=...)")
    levels = list(assigned["proposed"].cat.categories)
    table = pd.crosstab(assigned["current"], assigned["proposed"], dropna=False)
    return table.reindex(index=levels, columns=levels, fill_value=0)


# -------------------------------------------------------------------------------- grade


@dataclass(frozen=True)
class Grading:
    """Everything one calibration run produces, for the notebook to show."""

    normalized: pd.DataFrame
    scores: pd.Series
    thresholds: Thresholds
    assigned: pd.DataFrame


def grade(kpis: pd.DataFrame, weights: Mapping[str, float], method: str = "percentile",
          threshold_method: str = "quantile", shares: Sequence[float] | None = None,
          cutoffs: Sequence[float] | None = None, current: pd.Series | None = None,
          hysteresis: float = 0.0, rules: Mapping | None = None, by: pd.Series | None = None,
          territory: pd.Series | None = None, seed: int = 0) -> Grading:
    """normalize -> composite -> thresholds -> assign in one call (what a widget redraws)."""
    normalized = normalize(kpis, method, by=by, territory=territory)
    scores = composite(normalized, weights)
    cuts = thresholds(scores, threshold_method, shares=shares, cutoffs=cutoffs, seed=seed)
    assigned = assign(scores, cuts, current=current, hysteresis=hysteresis, rules=rules,
                      facts=kpis)  # levels come with the Thresholds
    return Grading(normalized, scores, cuts, assigned)


# ---------------------------------------------------------------------------- stability


@dataclass(frozen=True)
class Stability:
    probabilities: pd.DataFrame  # rep x level: share of resamples landing there
    borderline: pd.DataFrame  # reps whose most likely level has probability < threshold
    sensitivity: pd.DataFrame  # KPI x (weight up, weight down): share of reps changing level


def stability(ds: Dataset, weights: Mapping[str, float], cutoffs, period=None,
              method: str = "percentile", n_boot: int = 1000, seed: int = 0,
              by: pd.Series | None = None, territory: pd.Series | None = None,
              reviews: pd.DataFrame | None = None, delta: float = 0.05,
              borderline_below: float = 0.8, levels: Sequence[str] = LEVELS) -> Stability:
    """How sure each rep's level is: resample each rep's months, regrade, count levels.

    Each bootstrap draws every rep's worked months with replacement (a multinomial count
    per month), recomputes KPIs, normalisation and score, and places the score against
    the fixed cut lines. Reviews are half-yearly, so they are held fixed. Borderline reps
    are those whose most likely level has probability < `borderline_below`. Weight
    sensitivity moves each KPI's weight by +/- `delta` (others rescaled to sum 1) and
    reports the share of reps whose level changes. Vectorised over reps and resamples.
    """
    levels, cuts = _levels_cuts(cutoffs, levels)
    k = len(levels)
    if n_boot < 1:
        raise GradingError(f"n_boot={n_boot!r}: must be >= 1")
    data = _collect(ds, period, reviews)
    names = list(DIRECTIONS)
    w = check_weights(weights, names).to_numpy()
    groups, potential = _context(by, territory, data.reps)
    n, m = data.parts["revenue"].shape
    stacked = np.stack([data.parts[k] for k in data.parts])  # (c, n, m)
    keys = streams.rep_keys(data.reps, ds.roster.set_index("rep_id"), seed)
    counts = np.zeros((n, k))
    chunk = max(1, 4_000_000 // (n * m))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        draws = _resample(keys, data.months, start, b, m)
        sums = np.einsum("bnm,cnm->cbn", draws, stacked)
        values = _kpi_arrays(dict(zip(data.parts, sums, strict=True)), data.months, data)
        scaled = _normalize_arrays(values, method, DIRECTIONS, groups, potential)
        score = _composite(np.stack([scaled[k] for k in names]), w)
        level = levels_of(score, cuts)  # (b, n)
        counts += (level[..., None] == np.arange(k)).sum(axis=0)
    probs = pd.DataFrame(counts / n_boot, index=data.reps, columns=list(levels))
    top = probs.to_numpy().argsort(axis=1, kind="stable")[:, ::-1]
    p = np.take_along_axis(probs.to_numpy(), top, axis=1)
    border = pd.DataFrame({
        "most_likely": pd.Categorical.from_codes(top[:, 0], levels, ordered=True),
        "probability": p[:, 0],
        "runner_up": pd.Categorical.from_codes(top[:, 1], levels, ordered=True),
        "runner_up_probability": p[:, 1],
    }, index=data.reps)
    border = border[border["probability"] < borderline_below].sort_values("probability")
    point = _kpi_arrays({k: v.sum(axis=1) for k, v in data.parts.items()}, data.months, data)
    scaled = np.stack([_normalize_arrays(point, method, DIRECTIONS, groups, potential)[k]
                       for k in names])
    return Stability(probs, border, _sensitivity(scaled, w, cuts, names, delta))


def _resample(keys: np.ndarray, months: np.ndarray, start: int, b: int, m: int) -> np.ndarray:
    """Bootstrap resamples `start`..`start + b` of each rep's months: (b, reps, m) counts.

    Draw j of resample t picks month floor(u * months) with u number t * MAX_MONTHS + j of
    the rep's keyed stream, so a rep's resamples follow the rep, not its row.
    """
    n = len(keys)
    counters = (np.arange(start, start + b)[:, None] * MAX_MONTHS + np.arange(m)).astype(np.uint64)
    pick = (streams.uniforms(keys, counters) * months).astype(np.int64)  # (b, m, n)
    drawn = np.arange(m)[None, :, None] < months[None, None, :]
    cell = (np.arange(b)[:, None, None] * n + np.arange(n)) * m + pick
    cells = cell[np.broadcast_to(drawn, cell.shape)]
    return np.bincount(cells, minlength=b * n * m).reshape(b, n, m).astype(float)


def _sensitivity(scaled: np.ndarray, w: np.ndarray, cuts: np.ndarray, names: list[str],
                 delta: float) -> pd.DataFrame:
    base = levels_of(_composite(scaled, w), cuts)
    bump = np.eye(len(w)) * delta
    moved = np.concatenate([np.clip(w + bump, 0, None), np.clip(w - bump, 0, None)])
    moved = moved / moved.sum(axis=1, keepdims=True)
    changed = levels_of(_composite(scaled, moved), cuts) != base  # (2k, n)
    share = changed.mean(axis=1)
    return pd.DataFrame({"weight_up": share[: len(w)], "weight_down": share[len(w):]},
                        index=pd.Index(names, name="kpi"))


# -------------------------------------------------------------------------- adjust raters


def adjust_raters(reviews: pd.DataFrame, kpis: pd.DataFrame | None = None,
                  columns: Sequence[str] = REVIEW_KPIS, objective: Sequence[str] | None = None,
                  flag_at: float = 0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove each rater's leniency or severity from review scores.

    Model per score column: rating = b * objective(rep) + rater effect + noise, fitted by
    least squares, where objective is the rep's mean z-score on the objective KPIs in
    `kpis` (default: all non-review KPIs). A rater's leniency is their effect minus the
    average rater's, so a manager whose team really performs better is not called
    lenient. Without `kpis` it falls back to centring each rater on the average rater.
    Returns (reviews with adjusted scores, one row per rater: n, leniency per column,
    mean leniency, its standard error and a 'lenient'/'severe' flag when
    |leniency| >= flag_at and |t| >= 2). Adjusted scores may sit slightly outside 1..5.
    """
    missing = [c for c in ("rep_id", "rater_id", *columns) if c not in reviews.columns]
    if missing:
        raise GradingError(f"reviews: missing column(s) {', '.join(missing)}")
    if reviews.empty:
        raise GradingError("reviews: no rows to estimate rater leniency from")
    raters = pd.Index(sorted(reviews["rater_id"].unique()), name="rater_id")
    r = raters.get_indexer(reviews["rater_id"])
    design = np.zeros((len(reviews), len(raters)))
    design[np.arange(len(reviews)), r] = 1.0
    if kpis is not None:
        obj_cols = list(objective) if objective is not None else [
            c for c in kpis.columns if c in DIRECTIONS and c not in REVIEW_KPIS]
        unknown = [c for c in obj_cols if c not in kpis.columns or c not in DIRECTIONS]
        if unknown:
            raise GradingError(f"objective: {unknown[0]!r} is not a KPI column of kpis")
        x = kpis[obj_cols] * pd.Series({c: DIRECTIONS[c] for c in obj_cols})
        z = ((x - x.mean()) / x.std(ddof=0).replace(0, 1)).to_numpy(dtype=float)
        with warnings.catch_warnings():  # a rep with no objective KPI stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            index = pd.Series(np.nanmean(z, axis=1), index=kpis.index)
        index = (index - index.mean()) / (index.std() or 1.0)
        obj = index.reindex(reviews["rep_id"]).to_numpy()
        known = ~np.isnan(obj)
        design = np.column_stack([design, np.nan_to_num(obj)])
    else:
        known = np.ones(len(reviews), dtype=bool)
    n = np.bincount(r[known], minlength=len(raters))
    table = pd.DataFrame({"n": n}, index=raters)
    adjusted = reviews.copy()
    resid_sd = []
    for column in columns:
        y = reviews[column].to_numpy(dtype=float)
        coef, *_ = np.linalg.lstsq(design[known], y[known], rcond=None)
        effect = coef[: len(raters)]
        lean = effect - effect[n > 0].mean()
        lean[n == 0] = 0.0  # a rater with no comparable reviews is left as is
        table[f"leniency_{column}"] = lean
        adjusted[column] = y - lean[r]
        resid = y[known] - design[known] @ coef
        resid_sd.append(resid.std(ddof=min(design.shape[1], known.sum() - 1)))
    table["leniency"] = table[[f"leniency_{c}" for c in columns]].mean(axis=1)
    table["se"] = np.mean(resid_sd) / np.sqrt(len(columns) * np.maximum(n, 1))
    t = table["leniency"] / table["se"]
    table["flag"] = pd.array(np.select(
        [(table["leniency"] >= flag_at) & (t >= 2), (table["leniency"] <= -flag_at) & (t <= -2)],
        ["lenient", "severe"], ""), dtype="string")
    return adjusted, table.sort_values("leniency", ascending=False)


# ------------------------------------------------------------------------------ explain


def explain(rep_id: str, normalized: pd.DataFrame, weights: Mapping[str, float],
            kpis: pd.DataFrame | None = None, strong: float = 0.7,
            weak: float = 0.3) -> pd.DataFrame:
    """Why a rep scored what they did: points per KPI, strengths, weaknesses, training.

    `points` are the KPI's share of the 0..100 score (they add up to it); `lost` is what
    the KPI would add at the top of the scale. A KPI scoring >= `strong` on the 0..1
    scale is a strength, <= `weak` a weakness; the weakest weighted KPI gets a training
    suggestion, as does any other weakness.
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


def compare_methods(scores: pd.Series, shares: Sequence[float] | None = None,
                    levels: Sequence[str] = LEVELS, seed: int = 0) -> pd.DataFrame:
    """The data-driven threshold rules side by side: cut lines, head counts, fit, empty levels."""
    rows = {}
    for method in ("quantile", "jenks", "kmeans", "gmm"):
        t = thresholds(scores, method, levels=levels, shares=shares, seed=seed)
        rows[method] = {"cutoffs": ", ".join(f"{c:.1f}" for c in t.cutoffs), "gvf": t.gvf,
                        **t.counts.to_dict(), "empty levels": ", ".join(t.empty)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def levels_table(assigned: pd.DataFrame, roster: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per graded rep: who they are, score, current and proposed level, for the CSV."""
    people = roster.set_index("rep_id")[["name", "region", "team", "manager_id"]]
    out = people.join(assigned, how="inner").sort_index().reset_index()
    out.insert(1, "year", year)
    out["score"] = out["score"].round(2)
    return out


def calibration_sheet(assigned: pd.DataFrame, stab: Stability,
                      roster: pd.DataFrame) -> pd.DataFrame:
    """The reps the calibration meeting should discuss, with why each is on the list.

    A rep is listed when promoted, demoted, borderline (no level is 80 % likely under
    resampling) or held back by a margin or gate; one plain-words reason per finding.
    Every column is joined on rep_id, whatever order the roster, levels and
    probabilities come in.
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
