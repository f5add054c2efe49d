"""The calibration meeting: scores steady enough to decide on, a short agenda, the decisions.

A year's score rests on a dozen monthly results, so a rep near a line can land on either
side by luck. `shrunk_scores` puts each month on the annual score's own scale and pools the
months with empirical Bayes: a rep's mean is pulled toward the mean of their current level
by as much as their months are noisy (few or erratic months, more pull). `level_probabilities`
and `change_probabilities` read the chance of each level off that posterior, and
`calibration_agenda` keeps the few reps (15 % by default) whose proposed change is really
in doubt and matters most, each with the evidence that would settle it. The meeting's
decisions come back as a file (`read_decisions`), are applied (`apply_decisions`),
summarised by manager and group (`decision_changes`) and checked for fairness again
(`fairness_on_final`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from .. import fairness, streams
from ..data import Dataset
from ..errors import DataError, GradingError
from ..schema import LEVELS
from .kpi import DIRECTIONS, kpi_arrays, monthly_parts
from .levels import FIRST_LEVEL, _levels_cuts
from .scale import Scale, _context, check_weights, composite_arrays, normalize_arrays

POOL = "(all reps)"
"""The group a rep with no current level is shrunk toward: every graded rep."""
DECISION_COLUMNS = ("final_level", "reason", "decided_by")
"""The columns the meeting fills in on the agenda (blank where the proposal stands)."""
MIN_GROUP = 3
"""Fewest reps in a level for its own mean and spread to be the prior; fewer use `POOL`."""
STAY_STAKE = 0.5
"""Stake size of a proposal to stay: the move in question is one level, but nothing moves."""


# ------------------------------------------------------------------ monthly scores, EB


def monthly_scores(ds: Dataset, weights: Mapping[str, float], *, period=None,
                   method: Scale = "percentile", by: pd.Series | None = None,
                   territory: pd.Series | None = None,
                   reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each rep's months on the annual score's scale: the score a year of such months gives.

    A month is scored as the jackknife pseudo-value n * S - (n - 1) * S_-j, where S is the
    annual score and S_-j the score regraded without that month (same KPIs, normalisation
    and weights, everyone regraded at once, as `stability` does). For a score that is a
    plain average of months this is the month's own score; for ranks and weights it is the
    month's pull on the annual score, on the scale of the cut lines. So the months average
    to the annual score and their spread is its month-to-month noise. Reviews are
    half-yearly and held fixed. A rep with one month has that month's score, the annual one.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    weights : Mapping[str, float]
        KPI name -> weight, summing to 1 (the annual score's).
    period : int or str, optional
        The graded period (see `kpis`); None means the last year.
    method : {"percentile", "zscore", "minmax", "robust"}, default "percentile"
        The scale of `normalize`.
    by : pandas.Series, optional
        Rep -> peer group for the normalisation.
    territory : pandas.Series, optional
        Rep -> territory potential for the normalisation.
    reviews : pandas.DataFrame, optional
        Review scores to use instead of `ds.reviews`.

    Returns
    -------
    pandas.DataFrame
        Rep (index `rep_id`) x worked month (columns 1..12, first month worked first),
        NaN after a rep's last month; `attrs["score"]` is the annual score per rep.

    Raises
    ------
    GradingError
        On bad weights, a period with no history, or a rep with no `by` or `territory` value.
    """
    data = monthly_parts(ds, period, reviews)
    names = list(DIRECTIONS)
    w = check_weights(weights, names).to_numpy()
    groups, potential = _context(by, territory, data.reps)
    n, m = data.parts["revenue"].shape
    months = data.months
    stacked = np.stack([data.parts[k] for k in data.parts])  # (c, n, m)
    total = stacked.sum(axis=2)  # (c, n)
    slot = np.arange(m)[:, None]
    dropped = (slot < months) & (months >= 2)  # (m, n): month j left out of batch j

    def score(sums: np.ndarray, counted: np.ndarray) -> np.ndarray:
        values = kpi_arrays(dict(zip(data.parts, sums, strict=True)), counted, data)
        scaled = normalize_arrays(values, method, DIRECTIONS, groups, potential)
        return composite_arrays(np.stack([scaled[k] for k in names]), w)

    full = score(total, months)  # (n,)
    without = score(total[:, None, :] - stacked.transpose(0, 2, 1) * dropped,
                    months - dropped)  # (m, n): batch j regrades everyone without month j
    pseudo = np.where(dropped, months * full - (months - 1) * without, np.nan).T  # (n, m)
    pseudo[months == 1, 0] = full[months == 1]
    out = pd.DataFrame(pseudo, index=data.reps, columns=pd.RangeIndex(1, m + 1, name="month"))
    out.attrs["score"] = pd.Series(full, index=data.reps, name="score")
    return out


def empirical_bayes(monthly: pd.DataFrame, group: pd.Series | None = None, *,
                    centre: pd.Series | None = None) -> pd.DataFrame:
    """Each rep's true score, pooled across months and shrunk toward their group's mean.

    The normal-normal model: month j of rep i scores x_ij = theta_i + noise (variance
    sigma^2, pooled over reps from each rep's spread around their own mean), and theta_i
    varies around the group mean mu by tau^2 (method of moments: the variance of the reps'
    means in the group less the noise in them, sigma^2 / n on average). The posterior mean is
    mu + B (mean_i - mu) with B = tau^2 / (tau^2 + sigma^2 / n_i), its sd
    sqrt(1 / (1 / tau^2 + n_i / sigma^2)). A group whose reps differ no more than noise
    would make them (tau^2 <= 0) borrows tau^2 pooled over the groups. Reps without a
    group (NaN), or in a group of fewer than `MIN_GROUP`, are shrunk toward all reps
    (`POOL`): a mean of one or two reps is their own score, and would pull no one.
    `centre` replaces the mean of a rep's months as their observed score (the annual
    score, of which the months are jackknife pseudo-values); the noise is still measured
    around each rep's own months.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Rep (index) x month scores, NaN where a rep has no month (e.g. `monthly_scores`).
    group : pandas.Series, optional
        Rep -> group (the current level); None shrinks everyone toward all reps.
    centre : pandas.Series, optional
        Rep -> observed score to shrink; default the mean of the rep's months.

    Returns
    -------
    pandas.DataFrame
        Per rep: `raw_mean`, `months`, `group`, `prior_mean`, `weight` (B), `shrunk` and
        `posterior_sd`; `attrs["sigma2"]` and `attrs["tau2"]` (group -> tau^2).

    Raises
    ------
    GradingError
        When a rep has no month, no rep has two months (no noise to measure), or `group`
        or `centre` has no value for a rep.
    """
    x = monthly.to_numpy(dtype=float)
    n = (~np.isnan(x)).sum(axis=1)
    if (n == 0).any():
        raise GradingError(f"monthly: rep(s) {', '.join(map(str, monthly.index[n == 0][:5]))}"
                           " have no monthly score")
    mean = np.nansum(x, axis=1) / n
    ss = np.nansum((x - mean[:, None]) ** 2, axis=1)
    if not (n > 1).any() or (n - 1).sum() == 0:
        raise GradingError("monthly: no rep has two months, so month-to-month noise cannot "
                           "be measured")
    sigma2 = ss.sum() / (n - 1).sum()
    if centre is not None:
        mean = _align_rep(centre, monthly.index, "centre").astype(float)
    if group is None:
        label = pd.Series(POOL, index=monthly.index, dtype=object)
    else:
        given = pd.Series(_align_rep(group, monthly.index, "group"), index=monthly.index,
                          dtype=object)
        label = given.where(given.notna(), POOL)
        size = label.map(label.value_counts())
        label = label.where(size >= MIN_GROUP, POOL)  # two reps are no level mean to trust
    noise = sigma2 / n
    frame = pd.DataFrame({"mean": mean, "noise": noise, "g": label.to_numpy()},
                         index=monthly.index)
    stats = frame.groupby("g", sort=False).agg(mu=("mean", "mean"), var=("mean", "var"),
                                              noise=("noise", "mean"), k=("mean", "size"))
    if POOL in stats.index:  # reps with no level are shrunk toward everyone
        stats.loc[POOL, ["mu", "var", "noise", "k"]] = [mean.mean(), mean.var(ddof=1)
                                                        if len(mean) > 1 else np.nan,
                                                        noise.mean(), len(mean)]
    tau2 = stats["var"] - stats["noise"]
    ok = (stats["k"] >= MIN_GROUP) & (tau2 > 0)
    if ok.any():
        pooled = float(np.average(tau2[ok], weights=stats.loc[ok, "k"] - 1))
    else:  # no group separates from its noise: the spread of all reps' means
        pooled = max(float(mean.var(ddof=1) - noise.mean()) if len(mean) > 1 else 0.0,
                     sigma2 / n.max() * 1e-3, 1e-12)  # a floor: never 0 / 0
    tau2 = tau2.where(ok, pooled)
    t2 = frame["g"].map(tau2).to_numpy(dtype=float)
    mu = frame["g"].map(stats["mu"]).to_numpy(dtype=float)
    weight = t2 / (t2 + noise)
    out = pd.DataFrame({
        "raw_mean": mean, "months": n, "group": pd.array(label.astype(str), dtype="string"),
        "prior_mean": mu, "weight": weight, "shrunk": mu + weight * (mean - mu),
        "posterior_sd": np.sqrt(1 / (1 / t2 + n / sigma2)) if sigma2 > 0 else np.zeros(len(n)),
    }, index=monthly.index)
    out.attrs["sigma2"] = float(sigma2)
    out.attrs["tau2"] = {str(k): float(v) for k, v in tau2.items()}
    return out


def _align_rep(series: pd.Series, index: pd.Index, key: str) -> np.ndarray:
    missing = index.difference(series.index)
    if len(missing):
        raise GradingError(f"{key}: no entry for rep(s) {', '.join(map(str, missing[:5]))}")
    return series.reindex(index).to_numpy()


def shrunk_scores(ds: Dataset, weights: Mapping[str, float], *, current: pd.Series | None = None,
                  period=None, method: Scale = "percentile", by: pd.Series | None = None,
                  territory: pd.Series | None = None,
                  reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each rep's score pooled across months and shrunk toward their level, to decide on.

    `monthly_scores` puts each month on the annual score's scale; `empirical_bayes` shrinks
    the annual score, with the noise its months show, toward the mean of the rep's current
    level (all reps where the level is unknown). A rep with twelve steady months keeps
    nearly their own score; one with three erratic months is pulled toward their level,
    and their posterior sd says how unsure it stays.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    weights : Mapping[str, float]
        KPI name -> weight, summing to 1 (the annual score's).
    current : pandas.Series, optional
        Rep -> current level (NaN where unknown, see `current_levels`); None pools everyone.
    period : int or str, optional
        The graded period (see `kpis`); None means the last year.
    method : {"percentile", "zscore", "minmax", "robust"}, default "percentile"
        The scale of `normalize`.
    by : pandas.Series, optional
        Rep -> peer group for the normalisation.
    territory : pandas.Series, optional
        Rep -> territory potential for the normalisation.
    reviews : pandas.DataFrame, optional
        Review scores to use instead of `ds.reviews`.

    Returns
    -------
    pandas.DataFrame
        Per rep (index `rep_id`): `score` (annual), then the `empirical_bayes` columns
        (`raw_mean`, `months`, `group`, `prior_mean`, `weight`, `shrunk`, `posterior_sd`);
        `raw_mean` is the annual score (the months' jackknife centre); `attrs["monthly"]`
        holds the `monthly_scores` frame, `attrs["sigma2"]`, `attrs["tau2"]` the variances.

    Raises
    ------
    GradingError
        As `monthly_scores` and `empirical_bayes`.
    """
    monthly = monthly_scores(ds, weights, period=period, method=method, by=by,
                             territory=territory, reviews=reviews)
    group = None
    if current is not None:
        group = pd.Series(current, dtype=object).reindex(monthly.index)
    post = empirical_bayes(monthly, group, centre=monthly.attrs["score"])
    post.insert(0, "score", monthly.attrs["score"])
    post.attrs["monthly"] = monthly
    return post


# ------------------------------------------------------------------ level probabilities


def level_probabilities(posterior: pd.DataFrame, cutoffs,
                        levels: Sequence[str] = LEVELS) -> pd.DataFrame:
    """Chance that each rep's true score lies in each level, from the normal posterior.

    Parameters
    ----------
    posterior : pandas.DataFrame
        Per rep `shrunk` and `posterior_sd` (from `shrunk_scores`).
    cutoffs : Thresholds or Sequence[float]
        The cut lines.
    levels : Sequence[str], default LEVELS
        Level names (ignored when `cutoffs` is a `Thresholds`).

    Returns
    -------
    pandas.DataFrame
        Rep x level probabilities, each row summing to 1.

    Raises
    ------
    GradingError
        On cut lines that do not fit the levels.
    """
    levels, cuts = _levels_cuts(cutoffs, levels)
    above = _above(posterior, cuts)  # (n, k - 1): P(true score >= line)
    ones = np.ones((len(posterior), 1))
    edges = np.hstack([ones, above, np.zeros_like(ones)])
    return pd.DataFrame(edges[:, :-1] - edges[:, 1:], index=posterior.index,
                        columns=list(levels))


def _above(posterior: pd.DataFrame, cuts: np.ndarray) -> np.ndarray:
    mu = posterior["shrunk"].to_numpy(dtype=float)[:, None]
    sd = posterior["posterior_sd"].to_numpy(dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (mu - cuts) / sd, np.where(mu >= cuts, np.inf, -np.inf))
    return norm.cdf(z)


def change_probabilities(assigned: pd.DataFrame, posterior: pd.DataFrame,
                         cutoffs) -> pd.DataFrame:
    """How likely each rep's proposal is right, given the posterior of their true score.

    The probability of the proposal is: for a promotion, P(true level >= proposed); for a
    demotion, P(true level <= proposed); for staying, P(true level = current); for a first
    placement, P(true level = proposed). `promotion` and `demotion` are P(true level above /
    below the current one) whatever was proposed.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign` (`proposed`, and `current` and `change` when given).
    posterior : pandas.DataFrame
        The frame from `shrunk_scores` (or `empirical_bayes`) for the same reps.
    cutoffs : Thresholds or Sequence[float]
        The cut lines the proposal used.

    Returns
    -------
    pandas.DataFrame
        Per rep of `assigned`: `p_proposed` (P(true level = proposed)), `promotion`,
        `demotion` and `probability` (of the proposal, as above).

    Raises
    ------
    GradingError
        When a rep of `assigned` has no posterior, or the cut lines do not fit.
    """
    levels = list(assigned["proposed"].cat.categories)
    probs = _probs_for(assigned, posterior, cutoffs, levels).to_numpy()
    cum = np.cumsum(probs, axis=1)  # P(level <= j)
    rows = np.arange(len(assigned))
    prop = assigned["proposed"].cat.codes.to_numpy()
    cur = (assigned["current"].cat.codes.to_numpy() if "current" in assigned
           else np.full(len(assigned), -1))
    known = cur >= 0
    c = np.where(known, cur, 0)
    below = np.where(known & (c > 0), cum[rows, np.maximum(c - 1, 0)], 0.0)
    above = np.where(known, 1 - cum[rows, c], 0.0)
    p_prop = probs[rows, prop]
    probability = np.select(
        [~known, prop > cur, prop < cur],
        [p_prop, 1 - np.where(prop > 0, cum[rows, np.maximum(prop - 1, 0)], 0.0),
         cum[rows, prop]], probs[rows, c])
    out = pd.DataFrame({"p_proposed": p_prop, "promotion": above, "demotion": below,
                        "probability": probability}, index=assigned.index)
    out.loc[~known, ["promotion", "demotion"]] = np.nan
    return out


def _probs_for(assigned, posterior, cutoffs, levels) -> pd.DataFrame:
    missing = assigned.index.difference(posterior.index)
    if len(missing):
        raise GradingError(f"posterior: no shrunk score for rep(s) "
                           f"{', '.join(map(str, missing[:5]))}")
    return level_probabilities(posterior.reindex(assigned.index), cutoffs, levels)


# ------------------------------------------------------------------------------ agenda


def calibration_agenda(assigned: pd.DataFrame, posterior: pd.DataFrame, cutoffs, *,
                       max_share: float = 0.15, band: tuple[float, float] = (0.2, 0.8),
                       roster: pd.DataFrame | None = None, kpis: pd.DataFrame | None = None,
                       normalized: pd.DataFrame | None = None,
                       weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The calibration meeting's agenda: the few proposals really in doubt, most at stake first.

    A rep is a candidate when the probability of their proposal (`change_probabilities`)
    lies inside `band`: the evidence neither settles it for nor against. Candidates are
    ranked by one stake score,

        stake = size x doubt,  size = levels moved (1 for a first placement, 0.5 for a
        proposal to stay), doubt = 1 - |2p - 1| (1 at 50 %, 0 at 0 % or 100 %),

    so a promotion or demotion weighs more than a stay, a two-level move more than one, and
    a coin-flip more than a near-certainty; ties go to the larger distance between raw and
    shrunk score, then to a key that follows who the rep is (not the id). At most
    `max_share` of all graded reps are kept; `attrs["note"]` says how many candidates were
    left off and why. Each row says, in words, the evidence that would settle it, and has
    blank decision columns (`final_level`, `reason`, `decided_by`) for the meeting.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign`.
    posterior : pandas.DataFrame
        The frame from `shrunk_scores` for the same reps (its `attrs["monthly"]` gives the
        months above the line).
    cutoffs : Thresholds or Sequence[float]
        The cut lines the proposal used.
    max_share : float, default 0.15
        Largest share of graded reps on the agenda, in (0, 1].
    band : tuple of float, default (0.2, 0.8)
        Probabilities of the proposal counted as uncertain (inclusive).
    roster : pandas.DataFrame, optional
        The roster (`rep_id`, `name`, `manager_id`, ...), for names and managers.
    kpis : pandas.DataFrame, optional
        Raw KPIs per rep, to quote the weakest KPI's value.
    normalized : pandas.DataFrame, optional
        KPIs on 0..1 per rep, to find the weakest weighted KPI.
    weights : Mapping[str, float], optional
        KPI weights; only weighted KPIs can be the weakest.

    Returns
    -------
    pandas.DataFrame
        One row per agenda item, most at stake first: `rep_id`, `name` and `manager_id`
        (with a roster), `current`, `proposed`, `change`, `score`, `shrunk`,
        `posterior_sd`, `probability`, `stake`, `evidence`, `final_level`, `reason`,
        `decided_by`; `attrs["note"]` the sentence on who was left off,
        `attrs["candidates"]` how many proposals were in doubt.

    Raises
    ------
    GradingError
        On `max_share` outside (0, 1], a band not within 0..1 and increasing, a rep with no
        posterior, or cut lines that do not fit.
    """
    if not 0 < max_share <= 1:
        raise GradingError(f"max_share={max_share!r}: must be in (0, 1]")
    lo, hi = (float(b) for b in band)
    if not 0 <= lo < hi <= 1:
        raise GradingError(f"band={tuple(band)!r}: need 0 <= low < high <= 1")
    levels = list(assigned["proposed"].cat.categories)
    _, cuts = _levels_cuts(cutoffs, levels)
    chance = change_probabilities(assigned, posterior, cutoffs)
    post = posterior.reindex(assigned.index)
    prop = assigned["proposed"].cat.codes.to_numpy()
    cur = (assigned["current"].cat.codes.to_numpy() if "current" in assigned
           else np.full(len(assigned), -1))
    change = (assigned["change"].astype(str) if "change" in assigned
              else pd.Series(FIRST_LEVEL, index=assigned.index))
    size = np.where(cur < 0, 1.0, np.where(prop == cur, STAY_STAKE, np.abs(prop - cur)))
    p = chance["probability"].to_numpy()
    stake = size * (1 - np.abs(2 * p - 1))
    inside = (p >= lo) & (p <= hi)
    people = roster.set_index("rep_id") if roster is not None else None
    keys = streams.rep_keys(assigned.index, people)
    gap = (post.get("raw_mean", post["shrunk"]) - post["shrunk"]).abs().to_numpy()
    order = np.lexsort((keys, -gap, -stake))  # last key sorts first
    order = order[inside[order]]
    limit = int(np.floor(max_share * len(assigned) + 1e-9))
    kept = order[:limit]
    reps = assigned.index[kept]
    score = assigned["score"]  # the score the proposal was cut on
    agenda = pd.DataFrame({
        "current": (assigned["current"].iloc[kept].astype(str).where(cur[kept] >= 0, "")
                    if "current" in assigned else ""),
        "proposed": assigned["proposed"].iloc[kept].astype(str),
        "change": change.iloc[kept],
        "score": score.iloc[kept].round(1),
        "shrunk": post["shrunk"].iloc[kept].round(1),
        "posterior_sd": post["posterior_sd"].iloc[kept].round(1),
        "probability": chance["probability"].iloc[kept].round(3),
        "stake": np.round(stake[kept], 3),
        "evidence": _evidence(reps, prop[kept], cur[kept], cuts, levels,
                              post.assign(score=score),
                              posterior.attrs.get("monthly"), kpis, normalized, weights),
    }, index=reps)
    for column in DECISION_COLUMNS:
        agenda[column] = pd.array([pd.NA] * len(agenda), dtype="string")
    if people is not None:
        who = people.reindex(reps)[[c for c in ("name", "manager_id") if c in people]]
        agenda = who.join(agenda)
    agenda = agenda.rename_axis("rep_id").reset_index()
    for column in ("current", "proposed", "change", "evidence"):
        agenda[column] = agenda[column].astype("string")
    left = len(order) - len(kept)
    settled = int((~inside).sum())
    note = (f"{len(kept)} of {len(assigned)} reps on the agenda (at most {max_share:.0%}), "
            f"the proposals most at stake whose chance of being right is "
            f"{lo:.0%}–{hi:.0%}.")
    if left:
        note += (f" {left} more uncertain proposal(s) were left off by that cap, as less is "
                 f"at stake (a stay before a move, a surer one before a coin-flip); they "
                 f"stand unless someone raises them.")
    note += (f" {settled} proposal(s) are settled by the evidence (chance outside "
             f"{lo:.0%}–{hi:.0%}) and are not discussed.")
    agenda.attrs["note"] = note
    agenda.attrs["candidates"] = int(len(order))
    return agenda


def _evidence(reps: pd.Index, prop: np.ndarray, cur: np.ndarray, cuts: np.ndarray,
              levels: list[str], post: pd.DataFrame, monthly: pd.DataFrame | None, kpis,
              normalized, weights) -> list[str]:
    """One plain-words sentence per agenda item: the score against the line it turns on
    (a promotion: the proposed level's floor; a demotion: the line the true score must be
    below; a stay or first placement: the level's range), the pooled estimate, the months
    on the right side, and the weakest KPI.
    """
    out = []
    inf = np.inf
    lower = np.concatenate([[-inf], cuts])
    upper = np.concatenate([cuts, [inf]])
    for rep, p, c in zip(reps, prop, cur, strict=True):
        score = float(post.loc[rep, "score"])
        if c >= 0 and p != c:
            cut = float(lower[p] if p > c else upper[p])
            side = "above" if score >= cut else "below"
            parts = [f"score {score:.1f} vs {levels[p if p > c else p + 1]} line {cut:.1f} "
                     f"({abs(score - cut):.1f} {side})"]
            lo, hi, where = (cut, inf, "above") if p > c else (-inf, cut, "below")
        else:
            lo, hi, where = float(lower[p]), float(upper[p]), f"in the {levels[p]} range"
            gaps = [f"{score - lo:.1f} above its floor" if lo > -inf else "",
                    f"{hi - score:.1f} below the {levels[p + 1]} line" if hi < inf else ""]
            parts = [f"score {score:.1f} in the {levels[p]} range "
                     f"{_span(lo, hi)} ({', '.join(g for g in gaps if g)})"]
        parts.append(f"pooled toward {_group(post, rep)}: {post.loc[rep, 'shrunk']:.1f} ± "
                     f"{post.loc[rep, 'posterior_sd']:.1f}")
        if monthly is not None and rep in monthly.index:
            months = monthly.loc[rep].dropna()
            right = int(((months >= lo) & (months < hi)).sum())
            parts.append(f"{right} of {len(months)} months {where}"
                         + (" the line" if where != f"in the {levels[p]} range" else ""))
        weakest = _weakest(rep, kpis, normalized, weights)
        if weakest:
            parts.append(weakest)
        out.append("; ".join(parts))
    return out


def _span(lo: float, hi: float) -> str:
    if lo == -np.inf:
        return f"below {hi:.1f}"
    if hi == np.inf:
        return f"from {lo:.1f}"
    return f"{lo:.1f}–{hi:.1f}"


def _group(post: pd.DataFrame, rep) -> str:
    group = post.loc[rep, "group"] if "group" in post else POOL
    return "the average of all reps" if pd.isna(group) or group == POOL \
        else f"the {group} average"


def _weakest(rep, kpis, normalized, weights) -> str:
    if normalized is None or rep not in normalized.index:
        return ""
    s = normalized.loc[rep]
    if weights is not None:
        w = pd.Series(weights, dtype=float).reindex(s.index).fillna(0)
        s = s[w > 0]
    s = s.dropna()
    if s.empty:
        return ""
    name = str(s.idxmin())
    value = ""
    if kpis is not None and rep in kpis.index and name in kpis.columns \
            and pd.notna(kpis.loc[rep, name]):
        value = f" {_fmt(float(kpis.loc[rep, name]))}"
    return f"weakest KPI {name.replace('_', ' ')}{value} (scaled {s.min():.2f})"


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) < 2:
        return f"{x:.2f}"
    return f"{x:.1f}"


# --------------------------------------------------------------------------- decisions


def _rows(positions, source: str) -> str:
    """'rows 2, 5' (a frame, 1-based) or 'lines 3, 6' (a file, counting the header)."""
    positions = [int(p) for p in positions][:5]
    if source.endswith("(frame)"):
        return "row(s) " + ", ".join(str(p + 1) for p in positions)
    return "line(s) " + ", ".join(str(p + 2) for p in positions)


def read_decisions(path_or_frame, assigned: pd.DataFrame) -> pd.DataFrame:
    """The meeting's decisions, checked: the filled-in agenda or any table with their columns.

    Only rows with a `final_level` are decisions (a blank one leaves the proposal standing).
    Each decision names a graded rep and a level; one that changes the proposed level also
    needs a `reason` and who decided (`decided_by`), so every override can be traced.

    Parameters
    ----------
    path_or_frame : str, os.PathLike or pandas.DataFrame
        A CSV / XLSX file (e.g. the agenda, filled in) or a frame, with columns `rep_id`,
        `final_level`, `reason` and `decided_by` (others are ignored).
    assigned : pandas.DataFrame
        The frame from `assign` the decisions are about.

    Returns
    -------
    pandas.DataFrame
        One row per decision (index `rep_id`): `final_level` (ordered levels), `reason`,
        `decided_by`.

    Raises
    ------
    DataError
        Naming the file, column and offending rows: a missing column, a rep id not graded
        or decided twice, a level that is not one, or a changed level without a reason or
        without who decided.
    """
    if isinstance(path_or_frame, pd.DataFrame):
        source = str(path_or_frame.attrs.get("source", "decisions (frame)"))
        if not source.endswith("(frame)"):
            source += " (frame)"
        frame = path_or_frame.copy()
    else:
        path = Path(os.fspath(path_or_frame))
        source = path.name
        try:
            frame = (pd.read_excel(path, dtype=str) if path.suffix.lower() in (".xlsx", ".xls")
                     else pd.read_csv(path, dtype=str, keep_default_na=False))
        except FileNotFoundError:
            raise DataError(f"{path}: no such decisions file") from None
    need = ["rep_id", *DECISION_COLUMNS]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)} (a decisions file "
                        f"needs {', '.join(need)})")
    text = frame[need].astype("string").apply(lambda c: c.str.strip()).replace("", pd.NA)
    text = text.reset_index(drop=True)
    text = text[text["final_level"].notna()]
    levels = list(assigned["proposed"].cat.categories)
    unknown = text[~text["rep_id"].isin(assigned.index.astype(str))]
    if len(unknown):
        raise DataError(f"{source}, column rep_id: {_rows(unknown.index, source)} name rep(s) "
                        f"not graded: {', '.join(map(str, unknown['rep_id'][:5]))}")
    twice = text[text["rep_id"].duplicated(keep=False)]
    if len(twice):
        raise DataError(f"{source}, column rep_id: {_rows(twice.index, source)} decide rep(s) "
                        f"{', '.join(map(str, twice['rep_id'].unique()[:5]))} more than once")
    bad = text[~text["final_level"].isin(levels)]
    if len(bad):
        raise DataError(f"{source}, column final_level: {_rows(bad.index, source)} have "
                        f"{', '.join(map(repr, bad['final_level'].unique()[:5]))}, not a level "
                        f"({', '.join(levels)})")
    ids = pd.Index(assigned.index.astype(str))
    proposed = assigned["proposed"].astype(str).to_numpy()[ids.get_indexer(text["rep_id"])]
    changed = text["final_level"].to_numpy() != proposed
    for column, what in (("reason", "a reason"), ("decided_by", "who decided")):
        lacking = text[changed & text[column].isna().to_numpy()]
        if len(lacking):
            raise DataError(f"{source}, column {column}: {_rows(lacking.index, source)} change "
                            f"the proposed level of rep(s) "
                            f"{', '.join(map(str, lacking['rep_id'][:5]))} without {what}")
    out = text.set_index(pd.Index(assigned.index[ids.get_indexer(text["rep_id"])],
                                  name="rep_id"))[list(DECISION_COLUMNS)]
    out["final_level"] = pd.Categorical(out["final_level"].astype(str), levels, ordered=True)
    return out


def apply_decisions(assigned: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Final levels: the meeting's decision where there is one, the proposal elsewhere.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign`.
    decisions : pandas.DataFrame
        The frame from `read_decisions` (index `rep_id`).

    Returns
    -------
    pandas.DataFrame
        Per rep of `assigned`: `score`, `current` (when known), `proposed`, `final`,
        `change` (final against current, as `assign` words it), `decision` ('up', 'down'
        or '' against the proposal), `reason` and `decided_by`.

    Raises
    ------
    DataError
        When a decision names a rep not in `assigned` or a level not among its levels.
    """
    levels = list(assigned["proposed"].cat.categories)
    extra = decisions.index.difference(assigned.index)
    if len(extra):
        raise DataError(f"decisions, column rep_id: rep(s) {', '.join(map(str, extra[:5]))} "
                        "are not graded")
    chosen = decisions["final_level"].astype(object).reindex(assigned.index)
    bad = chosen.notna() & ~chosen.isin(levels)
    if bad.any():
        raise DataError(f"decisions, column final_level: rep(s) "
                        f"{', '.join(map(str, chosen.index[bad][:5]))} have a level not among "
                        f"{', '.join(levels)}")
    final = pd.Categorical(chosen.where(chosen.notna(), assigned["proposed"].astype(object)),
                           levels, ordered=True)
    out = pd.DataFrame({"score": assigned["score"]}, index=assigned.index)
    if "current" in assigned:
        out["current"] = assigned["current"]
    out["proposed"] = assigned["proposed"]
    out["final"] = final
    f, p = out["final"].cat.codes.to_numpy(), out["proposed"].cat.codes.to_numpy()
    if "current" in assigned:
        c = assigned["current"].cat.codes.to_numpy()
        out["change"] = np.select([c < 0, f > c, f < c], [FIRST_LEVEL, "promotion", "demotion"],
                                  "same")
    out["decision"] = pd.array(np.select([f > p, f < p], ["up", "down"], ""), dtype="string")
    for column in ("reason", "decided_by"):
        out[column] = decisions[column].reindex(assigned.index).astype("string")
    return out


def decision_changes(assigned: pd.DataFrame, final: pd.DataFrame, roster: pd.DataFrame,
                     by: Sequence[str] = ("manager", "gender", "region")) -> pd.DataFrame:
    """What the meeting changed, by manager and group: reps moved up or down from the proposal.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign` (the proposal).
    final : pandas.DataFrame
        The frame from `apply_decisions`.
    roster : pandas.DataFrame
        The roster with the group columns; "manager" means `manager_id`.
    by : Sequence[str], default ("manager", "gender", "region")
        Group columns; one the roster lacks is skipped and named in `attrs["skipped"]`.

    Returns
    -------
    pandas.DataFrame
        One row per column and group, then a row `all`: `by`, `group`, `reps`, `changed`,
        `up`, `down` and `net` (up - down), counted in levels moved.

    Raises
    ------
    DataError
        When `final` lacks a rep of `assigned`.
    """
    missing = assigned.index.difference(final.index)
    if len(missing):
        raise DataError(f"final: no final level for rep(s) {', '.join(map(str, missing[:5]))}")
    p = assigned["proposed"].cat.codes
    f = final["final"].cat.codes.reindex(assigned.index)
    moved = pd.DataFrame({"reps": 1, "changed": (f != p).astype(int),
                          "up": (f - p).clip(lower=0), "down": (p - f).clip(lower=0)},
                         index=assigned.index)
    people = roster.set_index("rep_id").reindex(assigned.index)
    frames, skipped = [], []
    for name in by:
        column = "manager_id" if name == "manager" else name
        if column not in people.columns:
            skipped.append(f"{name}: not in the roster; not counted.")
            continue
        label = people[column].astype("string").fillna(fairness.MISSING)
        table = moved.groupby(label.to_numpy(), sort=True).sum()
        frames.append(table.rename_axis("group").reset_index().assign(by=name))
    frames.append(moved.sum().to_frame().T.assign(by="all", group="all"))
    out = pd.concat(frames, ignore_index=True)
    out["net"] = out["up"] - out["down"]
    out = out[["by", "group", "reps", "changed", "up", "down", "net"]]
    out[["reps", "changed", "up", "down", "net"]] = out[
        ["reps", "changed", "up", "down", "net"]].astype(int)
    out.attrs["skipped"] = skipped
    return out


def fairness_on_final(final: pd.DataFrame, roster: pd.DataFrame,
                      columns: Sequence[str] = ("gender", "region", "team", "manager_id"), *,
                      level: str = "senior") -> dict[str, pd.DataFrame]:
    """The notebook's fairness audits run again on the final levels after the meeting.

    The same checks as on the proposal (`fairness.audit` of reaching `level` or above, and
    of being promoted), so the two can be read side by side; columns the roster lacks or
    where everyone is in one group are named in each table's `attrs["skipped"]`.

    Parameters
    ----------
    final : pandas.DataFrame
        The frame from `apply_decisions`.
    roster : pandas.DataFrame
        The roster with the group columns.
    columns : Sequence[str], default ("gender", "region", "team", "manager_id")
        The group columns to compare.
    level : str, default "senior"
        The level whose reach ("`level` or above") is audited.

    Returns
    -------
    dict of str to pandas.DataFrame
        "<level> or above" and, when `final` has a `change` column, "promoted": each an
        `audit` table, ready for `fairness.summary` and `fairness.describe_audit`.

    Raises
    ------
    GradingError
        When `level` is not one of the levels.
    FairnessError
        As `fairness.audit`.
    """
    levels = list(final["final"].cat.categories)
    if level not in levels:
        raise GradingError(f"level={level!r}: not a level ({', '.join(levels)})")
    people = roster.set_index("rep_id").reindex(final.index)
    groups, notes = fairness.comparable(people, columns)
    outcomes = {f"{level} or above": final["final"] >= level}
    if "change" in final:
        outcomes["promoted"] = final["change"] == "promotion"
    out = {}
    for name, outcome in outcomes.items():
        table = fairness.audit(outcome, groups)
        table.attrs["skipped"] = [*notes, *table.attrs.get("skipped", [])]
        out[name] = table
    return out
