"""Thresholds and assignment: cut lines by a named rule, then levels with a margin
(hysteresis) around a current level and gates; `grade` runs the whole chain in one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import GradingError
from ..schema import LEVELS
from .breaks import (
    _check_k,
    _cuts_from_labels,
    _forced_cuts,
    _gmm_labels,
    _kmeans_labels,
    gvf,
    levels_of,
)
from .scale import Scale, _align, composite, normalize

ThresholdMethod = Literal["fixed", "quantile", "jenks", "kmeans", "gmm"]
THRESHOLD_METHODS: tuple[str, ...] = get_args(ThresholdMethod)


# --------------------------------------------------------------------------- thresholds

_EMPTY_WHY = {
    "fixed": "move the cut-offs so that every level has a range with scores in it",
    "quantile": "its share rounds to no rep, or equal scores at a line all went to the "
                "next level",
    "jenks": "the scores do not form that many groups; use fewer levels or another rule",
    "kmeans": "the scores do not form that many groups; use fewer levels or another rule",
    "gmm": "no component of the fitted mixture is the most likely one for a range of "
           "scores there; use fewer levels or another rule",
    "standards": "no rep meets that level's standard (or keeps it by the margin); the "
                 "calibration aids suggest where its minimum score could sit",
}


@dataclass(frozen=True)
class Thresholds:
    """Cut lines between levels: a score >= cutoffs[i] reaches levels[i + 1].

    Parameters
    ----------
    method : str
        The rule that set the lines (see `THRESHOLD_METHODS`).
    levels : tuple of str
        The level names, lowest first.
    cutoffs : tuple of float
        The len(levels) - 1 increasing cut lines.
    gvf : float
        Goodness of variance fit: 1 - within-level / total sum of squares.
    counts : pandas.Series
        Reps per level.
    """

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
        """One row per level: the score range and head count, for the calibration sheet.

        Returns
        -------
        pandas.DataFrame
            Index `level`; columns `from`, `below` (score range) and `reps`.
        """
        lower = (-np.inf, *self.cutoffs)
        upper = (*self.cutoffs, np.inf)
        return pd.DataFrame({"from": lower, "below": upper, "reps": self.counts.to_numpy()},
                            index=pd.Index(self.levels, name="level"))



def thresholds(scores, method: ThresholdMethod = "quantile", *,
               levels: Sequence[str] = LEVELS, shares: Sequence[float] | None = None,
               cutoffs: Sequence[float] | None = None, seed: int = 0) -> Thresholds:
    """Where the level lines sit, by one of five rules, with the fit (GVF) of the result.

    fixed: the `cutoffs` HR typed in; quantile: a forced distribution by `shares` (equal
    if None), ties kept together; jenks: exact natural breaks; kmeans: exact k-means,
    which on one score is the natural-breaks partition (so the same lines as jenks);
    gmm: a Gaussian mixture, the most likely of several EM starts drawn with `seed`.
    Lines sit midway between neighbouring classes. The data-driven rules need as many
    distinct scores as levels; a level left empty is named in `Thresholds.note`.

    Parameters
    ----------
    scores : array_like or pandas.Series
        One score per rep, none missing.
    method : {"fixed", "quantile", "jenks", "kmeans", "gmm"}, default "quantile"
        The rule.
    levels : Sequence[str], default LEVELS
        Two or more distinct level names, lowest first.
    shares : Sequence[float], optional
        For "quantile": the share of reps per level, summing to 1 (default equal).
    cutoffs : Sequence[float], optional
        For "fixed": len(levels) - 1 finite increasing cut lines.
    seed : int, default 0
        For "gmm": the seed of the EM starts.

    Returns
    -------
    Thresholds
        The levels, cut lines, GVF and head count per level.

    Raises
    ------
    GradingError
        On fewer than two or repeated levels, a missing score, cut-offs or shares that do
        not fit the levels, too few distinct scores for a data-driven rule, or an unknown
        method.
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
    columns it has no value for ('' when none), so a block for want of data says so.
    """
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


def assign(scores: pd.Series, cutoffs, *, current: pd.Series | None = None,
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

    Parameters
    ----------
    scores : pandas.Series
        Score per rep, none missing.
    cutoffs : Thresholds or Sequence[float]
        The cut lines; a `Thresholds` also brings its levels.
    current : pandas.Series, optional
        Rep -> current level; NaN where unknown (a first placement).
    hysteresis : float, default 0.0
        The margin in points a score must clear a line by to move a rep.
    rules : Mapping[str, Mapping], optional
        Gates: level -> {column: bound}, read from `facts`.
    facts : pandas.DataFrame, optional
        Per-rep values the gates read (e.g. the `kpis` frame).
    levels : Sequence[str], default LEVELS
        Level names, lowest first (ignored when `cutoffs` is a `Thresholds`).

    Returns
    -------
    pandas.DataFrame
        Per rep: `score`, `current` and `change` (with `current`), `proposed` and `note`
        (why the level differs from the plain cut).

    Raises
    ------
    GradingError
        On cut lines that do not fit the levels, a negative margin, a missing score, a rep
        without a `current` value or with an unknown level, or a gate on an unknown level,
        a column not in `facts` or an operator other than '>=' / '<='.
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
    level would be invented, so those reps are placed for the first time instead.

    Parameters
    ----------
    ds : Dataset
        The loaded data; its roster has the levels and `ds.assumed` says which were assumed.

    Returns
    -------
    current : pandas.Series
        Level per rep_id, NaN where it was assumed.
    notes : list of str
        A sentence when some levels were assumed, else empty.
    """
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
    for the first time (no current level) are not in it.

    Parameters
    ----------
    assigned : pandas.DataFrame
        The frame from `assign`, called with `current`.

    Returns
    -------
    pandas.DataFrame
        Level x level counts, every level on both axes.

    Raises
    ------
    GradingError
        When `assigned` has no `current` column.
    """
    if "current" not in assigned:
        raise GradingError("assigned: no 'current' column (call assign with current=...)")
    levels = list(assigned["proposed"].cat.categories)
    table = pd.crosstab(assigned["current"], assigned["proposed"], dropna=False)
    return table.reindex(index=levels, columns=levels, fill_value=0)


# -------------------------------------------------------------------------------- grade


@dataclass(frozen=True)
class Grading:
    """Everything one calibration run produces, for the notebook to show.

    Parameters
    ----------
    normalized : pandas.DataFrame
        KPIs on 0..1.
    scores : pandas.Series
        The composite score per rep.
    thresholds : Thresholds
        The cut lines.
    assigned : pandas.DataFrame
        The frame from `assign` (or `assign_by_standards`).
    notes : tuple of str, default ()
        Sentences on requirements the data could not check (level standards).
    """

    normalized: pd.DataFrame
    scores: pd.Series
    thresholds: Thresholds
    assigned: pd.DataFrame
    notes: tuple[str, ...] = ()


def grade(kpis: pd.DataFrame, weights: Mapping[str, float], *, method: Scale = "percentile",
          threshold_method: str | None = None, shares: Sequence[float] | None = None,
          cutoffs: Sequence[float] | None = None, current: pd.Series | None = None,
          hysteresis: float = 0.0, rules: Mapping | None = None, by: pd.Series | None = None,
          territory: pd.Series | None = None, seed: int = 0, standards=None,
          missing: str = "drop", lacks: Mapping[str, str] | None = None,
          demote: bool = False) -> Grading:
    """`normalize` -> `composite` -> levels in one call (what a widget redraws).

    With `standards` the levels are criteria-based (`assign_by_standards`, the default
    rule then); otherwise, or with another `threshold_method`, score cut lines by
    `thresholds` and `assign`.

    Parameters
    ----------
    kpis : pandas.DataFrame
        KPIs per rep (from `kpis`); also the facts the gates read.
    weights : Mapping[str, float]
        KPI name -> weight, summing to 1.
    method : {"percentile", "zscore", "minmax", "robust"}, default "percentile"
        The scale of `normalize`.
    threshold_method : {"standards", "fixed", "quantile", "jenks", "kmeans", "gmm"}, optional
        "standards" (the default when `standards` are given) or a rule of `thresholds`
        ("quantile" by default without standards).
    shares : Sequence[float], optional
        For "quantile": the share of reps per level.
    cutoffs : Sequence[float], optional
        For "fixed": the cut lines.
    current : pandas.Series, optional
        Rep -> current level, for the margin and the change column.
    hysteresis : float, default 0.0
        The margin in points (see `assign`).
    rules : Mapping, optional
        Gates (see `assign`).
    by : pandas.Series, optional
        Rep -> peer group for `normalize`.
    territory : pandas.Series, optional
        Rep -> territory potential for `normalize`.
    seed : int, default 0
        Seed of the "gmm" rule.
    standards : LevelStandards, optional
        The written level standards (`load_standards`).
    missing : {"drop", "block"}, default "drop"
        A standard's requirement on a KPI no rep has: drop it or let it block.
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to word the notes.
    demote : bool, default False
        With standards: whether a rep below their level's standard moves down now or keeps
        the level on a development plan (see `assign_by_standards`).

    Returns
    -------
    Grading
        The normalised KPIs, scores, thresholds (for standards: their minimum scores),
        assignment and notes.

    Raises
    ------
    GradingError
        When any step refuses its parameters (see `normalize`, `composite`, `thresholds`,
        `assign`, `assign_by_standards`), on "standards" without standards, or on gates
        (`rules`) together with standards (put them in the standards instead).
    """
    normalized = normalize(kpis, method, by=by, territory=territory)
    scores = composite(normalized, weights)
    if threshold_method is None:
        threshold_method = "quantile" if standards is None else "standards"
    if threshold_method == "standards":
        from .standards import assign_by_standards, standards_thresholds

        if standards is None:
            raise GradingError("threshold_method='standards': pass standards= "
                               "(load_standards('levels.yaml'))")
        if rules:
            raise GradingError(f"rules={dict(rules)!r}: gates are requirements of the level "
                               "standards; write them in the standards file instead")
        assigned = assign_by_standards(kpis, scores, standards, current=current,
                                       hysteresis=hysteresis, missing=missing, lacks=lacks,
                                       demote=demote)
        notes = tuple(assigned.attrs.pop("notes", ()))
        return Grading(normalized, scores, standards_thresholds(scores, assigned, standards),
                       assigned, notes)
    cuts = thresholds(scores, threshold_method, shares=shares, cutoffs=cutoffs, seed=seed)
    assigned = assign(scores, cuts, current=current, hysteresis=hysteresis, rules=rules,
                      facts=kpis)  # levels come with the Thresholds
    return Grading(normalized, scores, cuts, assigned)
