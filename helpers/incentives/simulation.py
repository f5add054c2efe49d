"""Monte Carlo of next year: what each plan costs, how risky it is, how well it pays for results.

A rep's year of a volume measure (revenue, new customers) is drawn from the model the targets'
expected attainment uses (`helpers.targets.outlook`): run-rate × capacity × exp(growth +
market swing + own variation), then spread over the plan's periods by the rep's target
phasing with the rep's period-to-period noise (the year's total is kept). Attainment is
results / targets, so harder targets lower the share at target and the pay, and notebook 01
and 03 report the same share at target for the same targets and seed. Scores (CSAT) vary
around their target with the fitted noise. Every plan compared sees the very same
draws, so differences between plans are the plans', not luck. Each rep's noise is its own
stream keyed by the seed and who the rep is (`helpers.streams`), so the numbers depend on the
seed only — not on row order, id spelling, chunk size or threads — and scenarios are
simulated in chunks of blocks of BLOCK, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .. import streams
from ..data import Dataset, among
from ..errors import SimulationError
from ..memo import remembered
from ..ranking import rank_rows
from ..schema import LEVELS
from ..targets.allocation import resolve_ramp
from ..targets.outlook import (
    DEFAULT_MARKET_SD,
    DEFAULT_OWN_SD,
    Outlook,
    assumed_clause,
    baseline_results,
    fit_outlook,
    market_normals,
)
from .engine import Inputs, row_earnings, run
from .inputs import ENTRY_LEVEL, default_levels, default_targets, fill_levels
from .payouts import level_targets, payout_curve
from .plan import MEASURES, Plan, base_salaries

BLOCK = 16
"""Scenarios drawn from one generator: small, so a chunk at many reps can shrink to the
memory budget (a scenario's reps stay together: teams and contests need them all)."""
FLOAT32 = 1e-6
"""Relative gap below which two simulated values are the same (float32 keeps ~7 digits)."""
SCENARIOS = {"downturn": 0.8, "plan": 1.0, "upturn": 1.2}
"""Named market scenarios: everyone's results scaled by this factor (-20% / plan / +20%)."""
CHUNK_CELLS = 1 << 19
"""Scenarios × reps × periods held at once per worker when `chunk` is not given (~2 MB a
float32 array: small enough that the engine's many passes over a chunk stay in the CPU's
cache, which is faster than bigger chunks), so memory stays flat however many reps or
scenarios are simulated (at least one BLOCK of scenarios, and at most a 1 / (2 × workers)
share, so every thread works)."""
RANKED = 256
"""Pay distribution metrics (Gini, top decile / median, Spearman pay-for-performance) are
averaged over the first RANKED scenarios: plenty for a mean, and sorting every scenario's
reps would cost more than the rest of the simulation."""


DEFAULT_SPREADS = {"market": DEFAULT_MARKET_SD, "own": DEFAULT_OWN_SD, "noise": 0.10}
"""Spreads (log standard deviations) used when history is too short to fit them, so the
Monte Carlo does not price risk at 0%: the market swing of a year, a rep's own year-to-year
variation (`helpers.targets.outlook`) and a rep's noise over a year (per period it is ×
sqrt(periods a year), periods being independent). Pass `spreads=` to `simulate` /
`fit_market` to change them."""
MIN_DOF = 2
"""Degrees of freedom below which a spread is not fitted (the default is used instead)."""


@dataclass(frozen=True)
class MarketModel:
    """Next year's results: an Outlook per volume measure, and period noise per measure.

    Parameters
    ----------
    outlooks : dict of str to Outlook
        Volume measure -> its fitted Outlook (run-rate × growth × market × own variation).
    sigma_noise : dict of str to float
        Measure -> log standard deviation of a rep's noise per period.
    periods : int
        Periods a year the noise was fitted on (12, 4 or 1).
    assumed : dict of str to str, default {}
        Spread name -> why it was assumed rather than fitted (the outlooks' included).
    """

    outlooks: dict[str, Outlook]
    sigma_noise: dict[str, float]
    periods: int
    assumed: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """The model in one plain sentence (for the notebook), saying what is assumed.

        Returns
        -------
        str
            The sentence.
        """
        period = _PERIOD[self.periods]
        main = self.outlooks.get("revenue") or next(iter(self.outlooks.values()), None)
        text = "" if main is None else (
            f"results = run-rate × usual growth {np.expm1(main.drift):+.1%} × a market "
            f"swing of {main.market_sd:.1%} × each rep's own year-to-year variation of "
            f"{main.own_sd:.1%}, ")
        text += (f"spread over the {period}s with noise of "
                 f"{self.sigma_noise.get('revenue', 0):.1%} a {period} (log standard "
                 "deviations)")
        return text + assumed_clause(self.assumed)


def fit_market(ds: Dataset, periods: int = 4,
               spreads: dict[str, float] | None = None) -> MarketModel:
    """Fit the results model: an Outlook per volume measure and each measure's period noise.

    Volume measures get `helpers.targets.fit_outlook` (growth, market swing, own variation).
    Period noise is the spread of a rep's full periods around the rep's own mean once each
    period's mean across reps is taken out (revenue against quota when the history has one,
    so a rep's season is not read as noise; counts +0.5 so a period with none stays finite).

    History too short to fit a spread: the market swing needs full quarters over two
    calendar years, the own variation two full years for some rep, the noise two full
    periods per rep; what cannot be fitted takes `spreads` (default DEFAULT_SPREADS) and is
    named in `MarketModel.assumed`.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    periods : int, default 4
        Periods a year (12, 4 or 1) to fit the noise on.
    spreads : dict of str to float, optional
        Spreads (`market`, `own`, `noise`, each >= 0) replacing DEFAULT_SPREADS.

    Returns
    -------
    MarketModel
        The fitted model.

    Raises
    ------
    SimulationError
        When `spreads` names an unknown spread or a negative one.
    """
    spreads = {**DEFAULT_SPREADS, **(spreads or {})}
    bad = {k: v for k, v in spreads.items() if k not in DEFAULT_SPREADS or not v >= 0}
    if bad:
        raise SimulationError(f"spreads: {bad} (known: {', '.join(DEFAULT_SPREADS)}, each >= 0)")
    # every simulation (each scenario, each price the budget solver tries) fits it: once
    return remembered(ds, ("market", periods, tuple(sorted(spreads.items()))),
                      lambda: _fit_market(ds, periods, spreads))


def _fit_market(ds: Dataset, periods: int, spreads: dict[str, float]) -> MarketModel:
    h = ds.history
    rep, _ = pd.factorize(h["rep_id"])  # integer keys: text groupbys are slow
    key = [rep, h["month"].dt.year * periods + (h["month"].dt.month - 1) // (12 // periods)]
    size = h.groupby(key).size()
    full = size[size == 12 // periods].index
    volumes = [m for m in MEASURES if MEASURES[m] == "sum" and m in h]
    sums = h.groupby(key)[volumes + (["quota"] if "quota" in h else [])].sum()
    means = h.groupby(key)[[m for m in MEASURES if MEASURES[m] == "mean" and m in h]].mean()
    agg = sums.join(means).loc[full]
    agg.index.names = ["rep_id", "t"]
    assumed: dict[str, str] = {}
    outlooks = {}
    for m in volumes:
        outlooks[m] = fit_outlook(h, m, defaults={k: spreads[k] for k in ("market", "own")})
        if m == "revenue":
            assumed.update(outlooks[m].assumed)
    noise = {}
    for m in MEASURES:
        if m not in agg:
            noise[m] = spreads["noise"] * float(np.sqrt(periods))
            continue
        if m == "revenue" and "quota" in agg:
            ok = (agg["revenue"] > 0) & (agg["quota"] > 0)
            y = np.log(agg.loc[ok, "revenue"] / agg.loc[ok, "quota"])
        elif MEASURES[m] == "sum" and m != "revenue":  # counts: +0.5 keeps none finite
            x = agg[m] + 0.5
            y = np.log(x / x.groupby(level="rep_id").transform("mean"))
        else:
            x = agg[m].dropna()
            x = x[x > 0]
            y = np.log(x / x.groupby(level="rep_id").transform("mean"))
        resid = y - y.groupby(level="t").transform("mean")
        within = resid - resid.groupby(level="rep_id").transform("mean")
        dof = len(within) - resid.index.get_level_values("rep_id").nunique()
        noise[m] = float(np.sqrt((within ** 2).sum() / max(dof, 1)))
        if dof < MIN_DOF:
            noise[m] = spreads["noise"] * float(np.sqrt(periods))
            if m == "revenue":
                assumed["noise"] = (f"{noise[m]:.1%} a {_PERIOD[periods]}: too few full "
                                    f"{_PERIOD[periods]}s per rep to fit it")
    return MarketModel(outlooks, noise, periods, assumed)


_PERIOD = {12: "month", 4: "quarter", 1: "year"}


@dataclass
class Simulation:
    """Per-scenario results of each plan (arrays of length n), on the same draws.

    Parameters
    ----------
    plans : dict of str to Plan
        The plans evaluated, by name.
    n : int
        Number of simulated years.
    scenario : float
        The market factor on everyone's results.
    seed : int
        The seed of the draws.
    reps : pandas.DataFrame
        The reps simulated: `rep_id`, `level`.
    level_targets : dict of str to dict of str to float
        Level -> measure -> typical annual target (for the payout curves).
    model : MarketModel
        The fitted market model.
    stats : dict of str to dict of str to numpy.ndarray, default {}
        Plan -> per-scenario statistics (`cost`, `revenue`, `shares`, `median_rep`,
        `p90_rep`, `gini`, `spearman`, `capped`).
    rep_pay : dict of str to numpy.ndarray, default {}
        Plan -> mean pay per rep.
    rep_attainment : numpy.ndarray, optional
        Mean attainment of the main measure per rep.
    assumed_levels : pandas.Index, default empty
        Reps paid at the default level for want of one.
    caps : dict of str to numpy.ndarray, default {}
        Plan -> (components, levels) the most a component pays a typical rep of the level
        in a year (inf when its pay keeps growing; see `cap_pay`); `stats[plan]["capped"]`
        is the share of each level's reps paid that much, per scenario.
    """

    plans: dict[str, Plan]
    n: int
    scenario: float
    seed: int
    reps: pd.DataFrame  # rep_id, level
    level_targets: dict[str, dict[str, float]]
    model: MarketModel
    stats: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    rep_pay: dict[str, np.ndarray] = field(default_factory=dict)  # mean pay per rep
    rep_attainment: np.ndarray | None = None  # mean primary attainment per rep
    assumed_levels: pd.Index = field(default_factory=pd.Index)  # reps paid at default_level
    caps: dict[str, np.ndarray] = field(default_factory=dict)  # plan -> (components, levels)


def _scenario_factor(scenario: float | str) -> float:
    if isinstance(scenario, str):
        text = scenario.strip().lower()
        if text in SCENARIOS:
            return SCENARIOS[text]
        try:
            return 1 + float(text.rstrip("%")) / 100
        except ValueError:
            raise SimulationError(f"scenario: {scenario!r} is not one of {', '.join(SCENARIOS)} "
                            "or a change like '-20%'") from None
    return float(scenario)


def _as_plans(plans: Plan | Iterable[Plan] | dict[str, Plan]) -> dict[str, Plan]:
    if isinstance(plans, Plan):
        return {plans.name: plans}
    if isinstance(plans, dict):
        return dict(plans)
    return {p.name: p for p in plans}


def simulate(plans: Plan | Iterable[Plan] | dict[str, Plan], ds: Dataset,
             targets: pd.DataFrame | None = None, *, n: int = 10_000,
             scenario: float | str = "plan", seed: int = 0, levels: pd.Series | None = None,
             chunk: int | None = None, workers: int = 2,
             progress: bool | Callable[[int], None] = False,
             default_level: str = ENTRY_LEVEL,
             spreads: dict[str, float] | None = None,
             ramp: Sequence[float] | Literal["fitted"] = "fitted") -> Simulation:
    """Simulate next year `n` times and evaluate every plan on the same draws.

    `targets` (rep_id, month, measure, target) default to `default_targets(ds)`; `scenario`
    scales the market ("downturn", "plan", "upturn", "-20%" or a factor); `chunk` scenarios
    are held in memory at a time (rounded to blocks of BLOCK; default: about CHUNK_CELLS
    scenario-rep-periods), `workers` threads share them;
    `progress` shows a bar (True) or is called with the scenarios done so far. Every rep
    with a target is simulated: one without a level (a new or planned hire) is paid at
    `default_level` and listed in `Simulation.assumed_levels`. `spreads` replaces
    DEFAULT_SPREADS where history is too short to fit a spread (see `fit_market`).

    Parameters
    ----------
    plans : Plan, iterable of Plan or dict of str to Plan
        The plans to compare.
    ds : Dataset
        The loaded data (history for the model, roster for levels, teams and keys).
    targets : pandas.DataFrame, optional
        Long targets (`rep_id`, `month`, `measure`, `target`).
    n : int, default 10000
        Number of simulated years, >= 1.
    scenario : float or str, default "plan"
        The market scenario.
    seed : int, default 0
        The seed; same seed, same numbers.
    levels : pandas.Series, optional
        Rep -> level (default: the roster's).
    chunk : int, optional
        Scenarios held in memory at a time.
    workers : int, default 2
        Threads.
    progress : bool or callable, default False
        A progress bar (True) or a callback given the scenarios done.
    default_level : str, default ENTRY_LEVEL
        The level of a rep without one.
    spreads : dict of str to float, optional
        Spreads used where history is too short to fit them.
    ramp : Sequence of float or "fitted", default "fitted"
        A new hire's share of full productivity by tenure month (their expected results;
        "fitted": from the hires in history, as the targets use).

    Returns
    -------
    Simulation
        Per-scenario results of every plan on the same draws.

    Raises
    ------
    SimulationError
        When there is no plan, `n` < 1, the scenario is not understood or `spreads` is bad.
    DataError
        When `default_level` is not a level or there is no history for the default targets.
    """
    plans = _as_plans(plans)
    if not plans:
        raise SimulationError("plans: nothing to simulate")
    if n < 1:
        raise SimulationError(f"n: must be >= 1, got {n}")
    factor = _scenario_factor(scenario)
    year = ds.plan_year
    measures = sorted({"revenue"}.union(*(p.measures for p in plans.values())),
                      key=list(MEASURES).index)
    if targets is None:
        targets = default_targets(ds, year, measures=measures)
    have = set(targets["measure"].unique())
    if not set(measures) <= have:  # fill what the targets file lacks from the defaults
        extra = default_targets(ds, year, measures=[m for m in measures if m not in have])
        targets = pd.concat([targets, extra[among(extra["rep_id"], targets["rep_id"])]])
    rep_ids = pd.Index(targets["rep_id"].unique()).sort_values().rename("rep_id")
    levels, assumed = fill_levels(default_levels(ds) if levels is None else levels, rep_ids,
                                  default_level)
    level = pd.Categorical(levels.reindex(rep_ids), categories=LEVELS).codes.astype(np.int64)
    team = _team_codes(ds, targets, rep_ids)
    g = max(p.n_periods for p in plans.values())
    model = fit_market(ds, g) if spreads is None else fit_market(ds, g, spreads)
    draws = ResultDraws.build(ds, targets, rep_ids, measures, g, model=model, seed=seed,
                              factor=factor, ramp=ramp)
    target, keys = draws.target, draws.keys
    sim = Simulation(plans, n, factor, seed, pd.DataFrame({"rep_id": rep_ids,
                                                           "level": levels.reindex(rep_ids)}),
                     level_targets(targets[_codes(targets["rep_id"], rep_ids) >= 0], levels), model,
                     assumed_levels=assumed)
    sim.caps = {name: cap_pay(plan, sim.level_targets) for name, plan in plans.items()}

    r = len(rep_ids)
    n_blocks = -(-n // BLOCK)
    if chunk is None:  # the cell budget, but at least two chunks per thread
        per_chunk = min(CHUNK_CELLS // max(r * g * BLOCK, 1),
                        -(-n_blocks // (2 * max(1, workers))))
    else:
        per_chunk = chunk // BLOCK
    per_chunk = -(-n_blocks // -(-n_blocks // max(1, per_chunk)))  # chunks of even size
    chunks = [range(b, min(b + per_chunk, n_blocks)) for b in range(0, n_blocks, per_chunk)]

    def one(blocks: range) -> dict:
        k = min(n, blocks[-1] * BLOCK + BLOCK) - blocks[0] * BLOCK
        _, x = draw_scenarios(keys, seed, blocks[0], k, g, measures, draws.to_actual)
        actual = dict(zip(measures, x, strict=True))
        ranked = min(max(RANKED - blocks[0] * BLOCK, 0), k)  # of the first RANKED
        return {name: _evaluate(plan, actual, target, level, team, g, ranked, sim.caps[name],
                               keys)
                for name, plan in plans.items()}

    bar = None
    if progress is True:
        from tqdm.auto import tqdm
        bar = tqdm(total=n, desc="scenarios", unit="sc")
    parts: list[dict] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        mapped = pool.map(one, chunks) if workers > 1 else map(one, chunks)
        for blocks, part in zip(chunks, mapped, strict=True):
            parts.append(part)
            step = min(n, blocks[-1] * BLOCK + BLOCK) - blocks[0] * BLOCK
            done += step
            if bar is not None:
                bar.update(step)
            elif callable(progress):
                progress(done)
    if bar is not None:
        bar.close()
    for name in plans:
        stats = {k: np.concatenate([p[name][k] for p in parts]) for k in parts[0][name]
                 if not k.startswith("rep_")}
        sim.stats[name] = stats
        sim.rep_pay[name] = sum(p[name]["rep_pay"] for p in parts) / n
        sim.rep_attainment = sum(p[name]["rep_att"] for p in parts) / n
    return sim


@dataclass
class ResultDraws:
    """How `simulate` turns a block's keyed normals into results, in place (see the module doc).

    Public so a check (the benchmark's per-rep loop) can rebuild `simulate`'s scenarios
    exactly: `draw_scenarios(draws.keys, seed, 0, k, g, measures, draws.to_actual)`.

    Parameters
    ----------
    model : MarketModel
        The fitted model.
    measures : list of str
        The measures drawn, in draw order.
    target : dict of str to numpy.ndarray
        Measure -> period targets (g, 1, reps) float32 (`period_targets`).
    baseline : dict of str to numpy.ndarray
        Volume measure -> each rep's year at last year's rate (`baseline_results`), float64.
    keys : numpy.ndarray
        One stream key per rep.
    seed : int
        The seed.
    factor : float
        The market scenario's factor on volumes.
    """

    model: MarketModel
    measures: list[str]
    target: dict[str, np.ndarray]
    baseline: dict[str, np.ndarray]
    keys: np.ndarray
    seed: int
    factor: float
    _shares: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, ds: Dataset, targets: pd.DataFrame, rep_ids: pd.Index, measures: list[str],
              g: int, *, model: MarketModel, seed: int, factor: float = 1.0,
              ramp: Sequence[float] | Literal["fitted"] = "fitted") -> ResultDraws:
        """Everything a block needs, from the data, the targets and the fitted model.

        A rep the roster lacks (a planned hire) is taken as hired in the first month the
        targets give it a revenue target, in its targets' team (else a team of its own).

        Parameters
        ----------
        ds : Dataset
            History and roster.
        targets : pandas.DataFrame
            Monthly targets (rep_id, month, measure, target; team when known).
        rep_ids : pandas.Index
            The reps simulated, in order.
        measures : list of str
            The measures drawn.
        g : int
            Periods a year.
        model : MarketModel
            The fitted model.
        seed : int
            The seed.
        factor : float, default 1.0
            The market scenario's factor on volumes.
        ramp : Sequence of float or "fitted", default "fitted"
            A new hire's share of full productivity by tenure month.

        Returns
        -------
        ResultDraws
            Ready for `draw_scenarios`.
        """
        target = period_targets(targets, rep_ids, measures, g)
        keys = streams.rep_keys(rep_ids, ds.roster.set_index("rep_id"), seed)
        reps = _plan_reps(ds, targets, rep_ids)
        ramp = resolve_ramp(ramp, ds)  # fitted once for every measure
        baseline = {m: baseline_results(ds, reps, ds.plan_year, measure=m, ramp=ramp)
                    .reindex(rep_ids).to_numpy(np.float64)
                    for m in measures if m in model.outlooks}
        return cls(model, measures, target, baseline, keys, seed, factor)

    def phasing(self, measure: str) -> np.ndarray:
        """Each rep's share of the year in each period, from its targets (equal when none):
        the same for every block, so it is worked out once per measure.

        Parameters
        ----------
        measure : str
            A measure of `target`.

        Returns
        -------
        numpy.ndarray
            (periods, 1, reps) shares in the targets' dtype, summing to 1 per rep.
        """
        kept = self._shares.get(measure)
        if kept is None:
            target = self.target[measure]
            total = target.sum(axis=0, keepdims=True)
            kept = self._shares[measure] = np.where(
                total > 0, target / np.where(total > 0, total, 1),
                np.asarray(1 / len(target), dtype=target.dtype))
        return kept

    def to_actual(self, i: int, z: np.ndarray, x: np.ndarray, at: np.ndarray) -> None:
        """Noise of measure i -> results, in place on one block (while it is in cache).

        Parameters
        ----------
        i : int
            The measure's place in `measures`.
        z : numpy.ndarray
            The block's market normals.
        x : numpy.ndarray
            The block's noise (periods, scenarios, reps), float32; overwritten.
        at : numpy.ndarray
            The block's scenario numbers.
        """
        m = self.measures[i]
        s = np.float32(self.model.sigma_noise[m])
        x *= s
        outlook = self.model.outlooks.get(m)
        if outlook is not None:  # the year from the outlook, spread by the target phasing
            np.exp(x, out=x)
            x *= self.phasing(m)
            x /= x.sum(axis=0, keepdims=True)
            log_year = (outlook.drift + outlook.market_sd * z.astype(np.float64))[:, None] \
                + outlook.own_draws(self.keys, at)
            x *= (self.baseline[m] * self.factor * np.exp(log_year)).astype(np.float32)
        elif MEASURES[m] == "sum":  # a volume the history lacks: around its target
            x -= s * s / 2
            np.exp(x, out=x)
            x *= self.target[m] * np.float32(self.factor)
        else:
            x -= s * s / 2
            np.exp(x, out=x)
            x *= self.target[m]
            np.minimum(x, np.float32(100), out=x)


def _plan_reps(ds: Dataset, targets: pd.DataFrame, rep_ids: pd.Index) -> pd.DataFrame:
    """rep_id, hire_date and team of the reps simulated; a planned hire's from its targets."""
    reps = ds.roster.set_index("rep_id").reindex(rep_ids)[["hire_date", "team"]]
    lacking = reps["hire_date"].isna()
    if lacking.any():
        rows = targets[among(targets["rep_id"], rep_ids[lacking]) & (targets["target"] > 0)]
        first = pd.to_datetime(rows["month"]).groupby(rows["rep_id"]).min()
        reps.loc[lacking, "hire_date"] = first.reindex(rep_ids[lacking]).to_numpy()
        if "team" in targets:
            team = targets.drop_duplicates("rep_id").set_index("rep_id")["team"]
            reps["team"] = reps["team"].fillna(team.reindex(rep_ids))
    return reps.reset_index()


def _team_codes(ds: Dataset, targets: pd.DataFrame, rep_ids: pd.Index) -> np.ndarray:
    """Team code per rep: the roster's team, else the targets' (planned hires), else a team
    of one, so a rep without a team never pools with another team's results.
    """
    names = ds.roster.set_index("rep_id")["team"].reindex(rep_ids)
    if "team" in targets:
        names = names.fillna(targets.drop_duplicates("rep_id").set_index("rep_id")["team"]
                             .reindex(rep_ids))
    codes = pd.factorize(names, sort=True)[0]
    alone = codes < 0
    codes[alone] = codes.max(initial=-1) + 1 + np.arange(alone.sum())
    return codes


def draw_scenarios(keys: np.ndarray, seed: int, block: int, k: int, g: int,
                   measures: list[str],
                   transform: Callable[[int, np.ndarray, np.ndarray, np.ndarray], None]
                   | None = None):
    """Draws of the `k` scenarios from `block` on: market z (k,) and noise
    (measures, periods, k, reps), block by block straight into the chunk's array.

    Each rep's noise is its own keyed stream (`helpers.streams`), numbered by scenario,
    measure (its place in MEASURES) and period, so a rep's luck depends on the seed and
    who the rep is, never on the row, the chunking, the threads or which other measures
    the plans compared use. `transform(measure index, z, noise, scenario numbers)` may turn
    a block's noise into results in place while it is still in cache.

    `simulate` draws with it; it is public so a check (the benchmark's per-rep loop) can
    rebuild `simulate`'s scenarios exactly, with `keys` from `streams.rep_keys`.

    Parameters
    ----------
    keys : numpy.ndarray
        One stream key per rep (`streams.rep_keys`).
    seed : int
        The simulation's seed (keys the market draws).
    block : int
        First block of `BLOCK` scenarios to draw.
    k : int
        Scenarios to draw.
    g : int
        Plan periods per year.
    measures : list of str
        The measures drawn, each keyed by its place in MEASURES.
    transform : callable, optional
        Called per block and measure to turn noise into results in place.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Market z (k,) and noise (measures, periods, k, reps), float32.
    """
    blocks = -(-k // BLOCK)
    first = block * BLOCK
    scenarios = np.arange(first, first + blocks * BLOCK, dtype=np.uint64)
    z = market_normals(seed, scenarios)
    eps = np.empty((len(measures), g, blocks * BLOCK, len(keys)), dtype=np.float32)
    pairs = np.arange(-(-g // 2), dtype=np.uint64)
    for b in range(blocks):
        at = slice(b * BLOCK, (b + 1) * BLOCK)
        for i, m in enumerate(measures):
            stream = scenarios[at, None] * np.uint64(len(MEASURES)) + np.uint64(
                list(MEASURES).index(m))
            even, odd = streams.normal_pairs(keys, (stream * np.uint64(8) + pairs).T)
            eps[i, 0::2, at] = even
            eps[i, 1::2, at] = odd[: g // 2]
            if transform is not None:
                transform(i, z[at], eps[i, :, at], scenarios[at])
    return z[:k], eps[:, :, :k]


def period_targets(targets: pd.DataFrame, reps: pd.Index, measures: list[str],
                   g: int) -> dict[str, np.ndarray]:
    """Targets per measure as (G, 1, R) float32: sums (or means for scores) of the months of
    each plan period, 0 where there is none. By bincount on integer codes: a groupby on
    the text columns costs seconds at 50,000 reps. The targets `simulate` pays against,
    public so a check (the benchmark's per-rep loop) can use the very same arrays.

    Parameters
    ----------
    targets : pandas.DataFrame
        Monthly targets: rep_id, month, measure, target.
    reps : pandas.Index
        The reps, in the order of the last axis.
    measures : list of str
        The measures wanted.
    g : int
        Plan periods per year (1, 2, 4 or 12).

    Returns
    -------
    dict of str to numpy.ndarray
        Measure -> targets (g, 1, reps), float32.
    """
    r = len(reps)
    rep = _codes(targets["rep_id"], reps)
    measure = _codes(targets["measure"], pd.Index(measures))
    period = (pd.to_datetime(targets["month"]).dt.month.to_numpy() - 1) // (12 // g)
    value = targets["target"].to_numpy(np.float64)
    keep = (rep >= 0) & (measure >= 0) & ~np.isnan(value)
    cell = ((measure * r + rep) * g + period)[keep]
    total = np.bincount(cell, weights=value[keep], minlength=len(measures) * r * g)
    count = np.bincount(cell, minlength=len(measures) * r * g)
    out = {}
    for i, m in enumerate(measures):
        at = slice(i * r * g, (i + 1) * r * g)
        x = total[at] if MEASURES[m] == "sum" else total[at] / np.maximum(count[at], 1)
        out[m] = np.ascontiguousarray(x.reshape(r, g).T, dtype=np.float32)[:, None, :]
    return out


def _codes(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in `index` (-1 if absent), looking up each distinct value once
    (texts repeat: 12 months × measures per rep).
    """
    codes, uniques = pd.factorize(values)  # missing values: code -1, the appended -1
    return np.append(index.get_indexer(uniques), -1)[codes]


def cap_pay(plan: Plan, targets: dict[str, dict[str, float]]) -> np.ndarray:
    """The most each component pays a typical rep of each level in a year, where it stops.

    A component is capped for a level when its pay on the level's payout curve is the same
    at 300% and 400% attainment (and above 0): that pay is its cap (a payout cap, a curve's
    last point, a capped attainment). Contests and components still growing there get inf.

    Parameters
    ----------
    plan : Plan
        The plan.
    targets : dict of str to dict of str to float
        Level -> measure -> typical annual target (`level_targets`).

    Returns
    -------
    numpy.ndarray
        (components, levels) in plan and LEVELS order: the capped annual pay, or inf.
    """
    out = np.full((len(plan.components), len(LEVELS)), np.inf)
    for j, lv in enumerate(LEVELS):
        curve = payout_curve(plan, lv, targets[lv], np.array([3.0, 4.0]))
        for i, c in enumerate(plan.components):
            if c.name not in curve:
                continue
            lo, hi = curve[c.name].to_numpy()
            if hi > 0 and abs(hi - lo) <= FLOAT32 * hi:
                out[i, j] = hi
    return out


def _evaluate(plan: Plan, actual: dict, target: dict, level: np.ndarray, team: np.ndarray,
              g: int, ranked: int, caps: np.ndarray,
              order: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Run one plan on a chunk and reduce it to per-scenario statistics (the pay
    distribution ones on its first `ranked` scenarios only).
    """
    p = plan.n_periods
    k = g // p

    def fold(x: np.ndarray, m: str) -> np.ndarray:
        if k == 1:
            return x
        x = x.reshape(p, k, *x.shape[1:])
        return x.sum(axis=1) if MEASURES[m] == "sum" else x.mean(axis=1)

    a = {m: fold(actual[m], m) for m in plan.measures}
    t = {m: fold(target[m], m) for m in plan.measures}
    out = run(plan, Inputs(a, t, level, team, row_earnings(plan, a.__getitem__),
                          order))
    # the year per rep: periods summed in float32 (a few terms, so float32 is exact enough
    # and the big arrays are read once, without casts), then float64 from here on
    paid = [x.sum(axis=0) for x in out.paid.values()] + (
        [out.draw.sum(axis=0)] if out.draw is not None else [])
    pay = sum(paid[1:], paid[0]).astype(np.float64)  # (S, R)
    primary = plan.primary
    pa = a[primary].sum(axis=0).astype(np.float64)  # as the targets: 100% stays exactly 1
    pt = t[primary].sum(axis=0).astype(np.float64)
    att = np.where(pt > 0, pa / np.where(pt > 0, pt, 1), 0.0)
    r = pay.shape[1]
    total = pay.sum(axis=1)
    ordered = np.sort(pay[:ranked], axis=1)
    sums = ordered.sum(axis=1)
    gini = np.where(sums > 0, (2 * (ordered @ np.arange(1, r + 1))
                               / (r * np.where(sums > 0, sums, 1))) - (r + 1) / r, 0.0)
    rest = np.full(len(pay) - ranked, np.nan)
    onehot = np.zeros((r, len(LEVELS)))
    onehot[np.arange(r), level] = 1
    per_level = (pay @ onehot) / np.maximum(onehot.sum(axis=0), 1)
    capped = np.stack([((x >= (caps[i, level] * (1 - 1e-4)).astype(x.dtype)) @ onehot)
                       / np.maximum(onehot.sum(axis=0), 1)
                       for i, x in enumerate(paid[:len(plan.components)])], axis=1)
    rho = _spearman(att[:ranked], pay[:ranked])
    miles = np.array(list(plan.milestones.values()))
    shares = np.zeros((len(att), len(miles)))  # share of reps at or above each milestone
    for i, m in enumerate(miles):
        shares[:, i] = np.count_nonzero(att >= m, axis=1) / r
    return {
        "cost": total,
        "revenue": actual["revenue"].sum(axis=0).sum(axis=1, dtype=np.float64),
        "components": np.stack([x.sum(axis=1, dtype=np.float64) for x in paid], axis=1),
        "shares": shares,
        "gini": np.concatenate([gini, rest]),
        "p90_rep": np.concatenate([_sorted_quantile(ordered, 0.9), rest]),
        "median_rep": np.concatenate([_sorted_quantile(ordered, 0.5), rest]),
        "per_level": per_level,
        "capped": capped,
        "spearman": np.concatenate([rho, rest]),
        "rep_pay": pay.sum(axis=0),
        "rep_att": att.sum(axis=0),
    }


def _sorted_quantile(ordered: np.ndarray, q: float) -> np.ndarray:
    """Row quantiles of an already sorted array (linear, as numpy's default)."""
    pos = q * (ordered.shape[1] - 1)
    lo, frac = int(np.floor(pos)), pos - np.floor(pos)
    hi = min(lo + 1, ordered.shape[1] - 1)
    return ordered[:, lo] * (1 - frac) + ordered[:, hi] * frac


def _spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Spearman correlation (average ranks for ties, e.g. many zero payouts).

    Values within FLOAT32 (relative) tie: results and pay are computed in float32, whose
    seventh digit is noise, so two reps paid the same cap must not be ranked by it.
    """
    if len(x) == 0:
        return np.zeros(0)
    rx = rank_rows(x, rtol=FLOAT32)
    ry = rank_rows(y, rtol=FLOAT32)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx ** 2).sum(axis=1) * (ry ** 2).sum(axis=1))
    return np.where(den > 0, (rx * ry).sum(axis=1) / np.where(den > 0, den, 1), 0.0)


# --------------------------------------------------------------------------- metrics


def metrics(sim: Simulation) -> pd.DataFrame:
    """One row per plan: cost and its risk, cost of sales, who reaches the milestones, how
    unequal and how performance-linked pay is, and the marginal pay per extra point of
    attainment at 80/100/120% (headcount-weighted over levels, from the payout curves).

    Cost of sales is a fraction of expected revenue, twice: `variable_cost_of_sales` is
    what the plan pays (components, SPIFs, contests, draws), `total_cost_of_sales` adds the
    reps' base salaries (`base_salaries`, NaN when the plan gives no base salary).

    Parameters
    ----------
    sim : Simulation
        The result of `simulate`.

    Returns
    -------
    pandas.DataFrame
        One row per plan (index `plan`): `expected_cost`, `p50_cost`, `p90_cost`,
        `p99_cost`, `base_salaries`, `variable_cost_of_sales`, `total_cost_of_sales`,
        `share_at_<milestone>`, `top_decile_to_median`,
        `gini`, `spearman_pay_perf` and `marginal_at_80/100/120`.
    """
    rows = []
    counts = sim.reps["level"].value_counts().reindex(LEVELS, fill_value=0)
    for name, plan in sim.plans.items():
        st = sim.stats[name]
        cost = st["cost"]
        row = {"plan": name,
               "expected_cost": cost.mean(), "p50_cost": np.quantile(cost, 0.5),
               "p90_cost": np.quantile(cost, 0.9), "p99_cost": np.quantile(cost, 0.99),
               "base_salaries": base_salaries(plan, sim.reps["level"])}
        revenue = st["revenue"].mean()  # cost of sales: fractions of expected revenue
        row["variable_cost_of_sales"] = cost.mean() / revenue if revenue > 0 else np.nan
        row["total_cost_of_sales"] = ((cost.mean() + row["base_salaries"]) / revenue
                                      if revenue > 0 else np.nan)
        for i, milestone in enumerate(plan.milestones):
            row[f"share_at_{milestone}"] = st["shares"][:, i].mean()
        median = np.nanmean(st["median_rep"])
        row["top_decile_to_median"] = (np.nanmean(st["p90_rep"]) / median if median > 0
                                       else np.nan)
        row["gini"] = np.nanmean(st["gini"])
        row["spearman_pay_perf"] = np.nanmean(st["spearman"])
        for a in (0.8, 1.0, 1.2):
            row[f"marginal_at_{round(a * 100)}"] = _marginal(plan, sim, counts, a)
        rows.append(row)
    return pd.DataFrame(rows).set_index("plan")


def _marginal(plan: Plan, sim: Simulation, counts: pd.Series, a: float) -> float:
    """Extra annual pay for one more point of attainment above `a` (forward difference, so
    a threshold exactly at `a` counts as reached, as the plan pays it).
    """
    slopes = []
    for lv in LEVELS:
        if counts[lv] == 0:
            slopes.append(0.0)
            continue
        curve = payout_curve(plan, lv, sim.level_targets[lv], np.array([a, a + 0.01]))
        slopes.append(curve["total"].iloc[1] - curve["total"].iloc[0])
    return float(np.average(slopes, weights=counts.to_numpy()))


def distribution(sim: Simulation) -> pd.DataFrame:
    """Long table of per-scenario cost by plan (for histograms and box plots).

    Parameters
    ----------
    sim : Simulation
        The result of `simulate`.

    Returns
    -------
    pandas.DataFrame
        One row per plan and scenario: `plan`, `scenario`, `cost`, `revenue`.
    """
    return pd.concat([pd.DataFrame({"plan": name, "scenario": np.arange(sim.n),
                                    "cost": st["cost"], "revenue": st["revenue"]})
                      for name, st in sim.stats.items()], ignore_index=True)


def rep_summary(sim: Simulation, replays: dict[str, pd.DataFrame] | None = None,
                year: int | None = None) -> pd.DataFrame:
    """One row per rep and plan: target incentive, expected pay next year (simulated mean),
    expected attainment, and what the plan would have paid last year (replay), if given.

    Parameters
    ----------
    sim : Simulation
        The result of `simulate`.
    replays : dict of str to pandas.DataFrame, optional
        Plan name -> replayed payout table, for `replay_pay`.
    year : int, optional
        Written as a first `year` column when given.

    Returns
    -------
    pandas.DataFrame
        One row per rep and plan: `rep_id`, `level`, `plan`, `target_incentive`,
        `expected_attainment`, `expected_pay` (and `replay_pay`).
    """
    frames = []
    for name, plan in sim.plans.items():
        frame = sim.reps.assign(
            plan=name,
            target_incentive=sim.reps["level"].map(plan.target_incentive).astype(float),
            expected_attainment=np.round(sim.rep_attainment, 4),
            expected_pay=np.round(sim.rep_pay[name], 2))
        if replays is not None and name in replays:
            last = replays[name].groupby("rep_id")["amount"].sum().round(2)
            frame["replay_pay"] = frame["rep_id"].map(last)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if year is not None:
        out.insert(0, "year", year)
    return out


def scenario_costs(plans: dict[str, Plan], ds: Dataset, targets: pd.DataFrame | None = None,
                   *, n: int = 2000, seed: int = 0, levels: pd.Series | None = None,
                   scenarios: Iterable[str] = tuple(SCENARIOS),
                   spreads: dict[str, float] | None = None) -> pd.DataFrame:
    """Expected and P90 cost of each plan under each market scenario (same seed each time).

    Parameters
    ----------
    plans : dict of str to Plan
        The plans.
    ds : Dataset
        The loaded data.
    targets : pandas.DataFrame, optional
        Long targets (see `simulate`).
    n : int, default 2000
        Simulated years per scenario.
    seed : int, default 0
        The seed, the same for every scenario.
    levels : pandas.Series, optional
        Rep -> level.
    scenarios : iterable of str, default all of SCENARIOS
        The market scenarios.
    spreads : dict of str to float, optional
        Spreads used where history is too short to fit them.

    Returns
    -------
    pandas.DataFrame
        Index (`scenario`, `plan`); columns `expected_cost`, `p90_cost`,
        `variable_cost_of_sales`, `total_cost_of_sales`.

    Raises
    ------
    SimulationError
        When `simulate` refuses a setting.
    """
    rows = []
    for scenario in scenarios:
        table = metrics(simulate(plans, ds, targets, n=n, scenario=scenario, seed=seed,
                                 levels=levels, spreads=spreads))
        rows.append(table[["expected_cost", "p90_cost", "variable_cost_of_sales",
                           "total_cost_of_sales"]]
                    .assign(scenario=scenario).reset_index())
    return pd.concat(rows, ignore_index=True).set_index(["scenario", "plan"])
