"""What each rep may sell next year: one model of results, fitted once and shared.

result = expected × exp(market + own), where `expected` is the rep's run-rate (last year at
full productivity, outlier months capped as in the targets' basis) × their capacity in the
plan year (the ramp) × the usual yearly growth, `market` is one swing shared by everyone in a
simulated year and `own` is the rep's own year-to-year variation. Results do not depend on
the targets: attainment is results / targets, so harder targets mean a lower share at target.

Notebook 01's expected attainment (`expected_attainment`) and notebook 03's Monte Carlo
(`helpers.incentives.simulate`) draw from the same Outlook with the same keyed streams, so
for the same targets and seed they report the same share of reps reaching target.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri  # the normal quantile (norm.ppf) without its per-call checks

from .. import streams
from ..data import Dataset
from ..errors import TargetError
from ..memo import fingerprint, remembered
from .allocation import _fill_by_team, ramp_factors, resolve_ramp, run_rate
from .history import Outliers, _capped, _history

DEFAULT_MARKET_SD = 0.05
"""Spread of the shared market swing of a year (log) when history cannot show it."""
DEFAULT_OWN_SD = 0.15
"""Spread of a rep's own year-to-year variation (log) when no rep has two full years."""
MIN_DOF = 2
"""Degrees of freedom below which a spread is not fitted (the default is used instead)."""
OWN_SALT = 0x0_3A7_0C0E
"""Keys a rep's own-variation draws apart from the rep's period noise (same rep keys)."""


@dataclass(frozen=True)
class Outlook:
    """log(result / expected) = drift + market + own, fitted from history for one measure.

    Parameters
    ----------
    measure : str
        The history column (e.g. "revenue").
    drift : float
        The usual yearly log growth of a rep's results (the median rep, averaged over years).
    market_sd : float
        Spread of the shared market swing of a year (log standard deviation).
    own : numpy.ndarray
        Sorted pool of reps' own yearly log deviations around that year's median; empty
        when no rep has two full years (then own ~ Normal(0, own_sd)).
    own_sd : float
        Spread of the own variation: the pool's, or the assumed one when the pool is empty.
    assumed : dict of str to str, default {}
        Spread -> why it was assumed rather than fitted.
    """

    measure: str
    drift: float
    market_sd: float
    own: np.ndarray
    own_sd: float
    assumed: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """The model in one plain sentence, saying what was assumed.

        Returns
        -------
        str
            The sentence.
        """
        text = (f"{self.measure}: run-rate × usual growth {np.expm1(self.drift):+.1%} × a "
                f"market swing of {self.market_sd:.1%} × each rep's own year-to-year "
                f"variation of {self.own_sd:.1%} (log standard deviations)")
        return text + assumed_clause(self.assumed)

    def market(self, seed: int, scenarios: np.ndarray) -> np.ndarray:
        """The shared log swing of each scenario (drift included), keyed by seed and number.

        Parameters
        ----------
        seed : int
            The run's seed.
        scenarios : numpy.ndarray
            Scenario numbers.

        Returns
        -------
        numpy.ndarray
            float64, one per scenario.
        """
        return self.drift + self.market_sd * market_normals(seed, scenarios).astype(np.float64)

    def own_draws(self, keys: np.ndarray, scenarios: np.ndarray) -> np.ndarray:
        """Each rep's own log deviation in each scenario, from the rep's keyed stream.

        From the pool by a smoothed bootstrap: a pooled value plus a little normal jitter
        (Silverman's bandwidth), rescaled to keep the pool's spread, so two reps never draw
        exactly the same value (a finite pool would make ties that only row order breaks).

        Parameters
        ----------
        keys : numpy.ndarray
            One stream key per rep (`helpers.streams.rep_keys`).
        scenarios : numpy.ndarray
            Scenario numbers.

        Returns
        -------
        numpy.ndarray
            float64 (scenarios, reps).
        """
        salt = np.uint64(OWN_SALT ^ zlib.crc32(self.measure.encode()))
        counters = np.asarray(scenarios, dtype=np.uint64) * np.uint64(2)
        keys = np.asarray(keys, dtype=np.uint64) ^ salt
        pick, jitter = streams.uniforms(keys, counters), streams.uniforms(keys, counters + 1)
        if not self.own.size:
            return self.own_sd * ndtri(pick)
        centre = self.own.mean()
        h = 1.06 * self.own_sd * self.own.size ** -0.2  # Silverman's rule of thumb
        value = self.own[(pick * self.own.size).astype(np.int64)] - centre + h * ndtri(jitter)
        return centre + value / np.sqrt(1 + (h / self.own_sd) ** 2 if self.own_sd > 0 else 1)


def assumed_clause(assumed: Mapping[str, str]) -> str:
    """"; assumed, not fitted: <spread> (<why>); ..." for a model sentence, or "".

    Parameters
    ----------
    assumed : Mapping of str to str
        Spread -> why it was assumed rather than fitted.

    Returns
    -------
    str
        The clause to append.
    """
    if not assumed:
        return ""
    return "; assumed, not fitted: " + "; ".join(f"{k} ({why})" for k, why in assumed.items())


def market_normals(seed: int, scenarios: np.ndarray) -> np.ndarray:
    """Standard normal market draws, one per scenario number: shared by every measure.

    Parameters
    ----------
    seed : int
        The run's seed.
    scenarios : numpy.ndarray
        Scenario numbers.

    Returns
    -------
    numpy.ndarray
        float32, one per scenario.
    """
    counters = np.asarray(scenarios, dtype=np.uint64)
    return streams.normals(streams.rep_keys(["market"], seed=seed), counters)[:, 0]


def fit_outlook(history: pd.DataFrame, measure: str = "revenue", *,
                defaults: Mapping[str, float] | None = None) -> Outlook:
    """Fit growth, the market swing and the reps' own variation of one measure from history.

    Own variation: each rep-year's log growth on the rep's previous full year, minus that
    year's median (needs two full calendar years for some rep). Drift: the mean over years
    of the median log growth. Market swing: the spread of the quarters' median results
    across reps once the season and a linear trend are taken out (needs full quarters over
    two calendar years). What cannot be fitted takes `defaults` (DEFAULT_MARKET_SD,
    DEFAULT_OWN_SD) and is named in `Outlook.assumed`, never 0% (which would understate risk).

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    measure : str, default "revenue"
        The history column.
    defaults : Mapping of str to float, optional
        `market` and/or `own` spreads used where history is too short (each >= 0).

    Returns
    -------
    Outlook
        The fitted model.

    Raises
    ------
    TargetError
        If the history lacks the columns, or a default is unknown or not a spread >= 0.
    """
    given = dict(defaults or {})
    bad = {k: v for k, v in given.items()
           if k not in ("market", "own") or not (np.isfinite(v) and v >= 0)}
    if bad:
        raise TargetError(f"spreads: {bad} (known: market, own; each a spread >= 0)")
    frame = _history(history, measure)
    years = _full_years(frame, measure)
    ratio = years / years.shift(axis=1)  # a zero year (no new customers) has no log growth
    logs = np.log(ratio.where((ratio > 0) & np.isfinite(ratio)))
    yearly = logs.median()
    own = np.sort((logs - yearly).stack().dropna().to_numpy())
    assumed: dict[str, str] = {}
    drift = float(yearly.dropna().mean()) if yearly.notna().any() else 0.0
    if own.size >= 2:
        own_sd = float(own.std(ddof=1))
    else:
        own = np.zeros(0)
        own_sd = float(given.get("own", DEFAULT_OWN_SD))
        assumed["own variation"] = (f"{own_sd:.0%}: no rep has two full calendar years of "
                                    "history to learn it from, and growth is taken as none")
    market_sd, why = _market_spread(frame, measure)
    if why:
        market_sd = float(given.get("market", DEFAULT_MARKET_SD))
        assumed["market swing"] = f"{market_sd:.0%}: {why}"
    return Outlook(measure, drift, market_sd, own, own_sd, assumed)


def _full_years(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    by = frame.groupby(["rep_id", frame["month"].dt.year.rename("year")])[measure]
    totals = by.agg(["sum", "size"])
    return totals.loc[totals["size"] == 12, "sum"].unstack("year")


def _market_spread(frame: pd.DataFrame, measure: str) -> tuple[float, str]:
    """(spread of the de-seasoned, de-trended quarter medians, "" or why it cannot be fitted)."""
    month = frame["month"].dt
    t = (month.year * 4 + (month.month - 1) // 3).to_numpy()
    cells = frame.assign(t=t).groupby(["rep_id", "t"])[measure].agg(["sum", "size"])
    full = cells[(cells["size"] == 3) & (cells["sum"] > 0)]["sum"]
    quarters = full.index.get_level_values("t")
    n_years = len(np.unique(quarters // 4))
    if full.empty or n_years < 2:
        return 0.0, (f"{quarters.nunique()} full quarter(s) of history in {n_years} calendar "
                     "year(s), too few to tell a market swing from the season")
    y = np.log(full / full.groupby(level="rep_id").transform("mean"))
    medians = y.groupby(level="t").median()
    season = medians.index % 4
    shocks = medians - medians.groupby(season).transform("mean")
    x = medians.index.to_numpy(dtype=float)
    if len(x) > 2:
        shocks = shocks - np.polyval(np.polyfit(x, shocks.to_numpy(), 1), x)
    dof = len(medians) - season.nunique() - 1
    if dof < MIN_DOF:
        return 0.0, (f"{len(medians)} full quarter(s) of history, too few to tell a market "
                     "swing from the season")
    return float(np.sqrt((shocks ** 2).sum() / dof)), ""


def baseline_results(ds: Dataset, reps: pd.DataFrame, year: int, *, measure: str = "revenue",
                     ramp: Sequence[float] | Literal["fitted"] = "fitted",
                     outliers: Outliers = "cap") -> pd.Series:
    """What each rep makes in `year` at last year's rate: run-rate × capacity (no growth).

    The run-rate is the targets' (`run_rate` on the history with last year's outlier months
    capped, as `allocate_targets` does); a rep without one (a planned hire) takes the team's
    median, then the company's. Capacity is the rep's mean ramp share over the year's
    months. `Outlook.market` adds the growth and the swing, `Outlook.own_draws` the rep's luck.

    Parameters
    ----------
    ds : Dataset
        History, and the roster for hire dates and teams `reps` lacks.
    reps : pandas.DataFrame
        rep_id, and hire_date and team when known (a planned hire is not on the roster:
        without a hire date it is taken as hired on 1 January of `year`).
    year : int
        The plan year.
    measure : str, default "revenue"
        The history column.
    ramp : Sequence of float or "fitted", default "fitted"
        Share of full productivity in tenure months 1, 2, ... ("fitted": from the hires in
        history, `resolve_ramp`, as the targets use).
    outliers : {"cap", "keep"}, default "cap"
        Last year's outlier months in the run-rate.

    Returns
    -------
    pandas.Series
        "baseline", indexed by rep_id in the order of `reps`.

    Raises
    ------
    TargetError
        If no rep has a run-rate.
    """
    key = ("baseline", fingerprint(reps), year, measure,
           ramp if isinstance(ramp, str) else tuple(ramp), outliers)
    return remembered(ds, key, lambda: _baseline(ds, reps, year, measure, ramp, outliers))


def _baseline(ds: Dataset, reps: pd.DataFrame, year: int, measure: str,
              ramp: Sequence[float] | Literal["fitted"], outliers: Outliers) -> pd.Series:
    roster = ds.roster.set_index("rep_id")
    frame = reps.set_index("rep_id")[[c for c in ("hire_date", "team") if c in reps]].copy()
    for column in ("hire_date", "team"):
        known = roster[column].reindex(frame.index) if column in roster else None
        if known is None:
            continue
        frame[column] = frame[column].fillna(known) if column in frame else known
    hire = pd.to_datetime(frame["hire_date"]).fillna(pd.Timestamp(year, 1, 1))
    ramp = resolve_ramp(ramp, ds, year)
    basis, _ = _capped(_history(ds.history, measure), year, measure, outliers)
    rate = run_rate(basis, hire, year, ramp=ramp, measure=measure)
    filled = _fill_by_team(frame.reset_index(), rate.reset_index(drop=True), "a run-rate")
    capacity = ramp_factors(hire, year, ramp).mean(axis=1)
    return pd.Series(filled * capacity, index=frame.index, name="baseline")
