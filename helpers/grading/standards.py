"""Criteria-based levels: a written standard per level, read from YAML, and the
data-driven cut lines offered only as calibration aids.

A forced curve (10/20/40/20/10) moves a third of the team every year whatever they did;
job levels are a standard a rep meets or not (定级标准: results, customer satisfaction,
product knowledge, collaboration, experience). Each level above the first has a minimum
composite score and minimums on named KPIs; levels are cumulative (a senior also meets
intermediate's standard), and the YAML must never ask less of a higher level.

The YAML (see data/sample/levels.yaml)::

    intermediate:                       # every level above the first, lowest first
      description: sells on their own   # optional, plain words
      min_score: 30                     # optional: composite score 0..100
      kpis: {attainment: 0.75, csat: 68, product_knowledge: 2}
    senior:
      min_score: 40
      kpis: {attainment: 0.8, csat: 74, collaboration: 2.5, tenure_years: 3}
      ...

A KPI minimum is a floor ("at least") for a higher-is-better KPI and a ceiling ("at
most") for a lower-is-better one (`sales_cycle` in days), as `DIRECTIONS` says.

Hysteresis (`margin`) protects a rep's current level only: they keep it while they miss
its requirements by less than the margin, read as `margin` score points below the minimum
score and `margin` percent of each KPI minimum (2 -> a CSAT floor of 80 holds down to
78.4; a 50-day cycle ceiling up to 51). A promotion needs the standard as written: a
standard is what the level means, so no margin is added on the way up. A rep with no
value for a requirement cannot be promoted over it but is not demoted for the gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..data import SAMPLE_DIR, Dataset
from ..errors import GradingError, PlanError
from ..incentives.model import Node
from ..schema import LEVELS
from .breaks import gvf, levels_of
from .kpi import _LABEL, DIRECTIONS, GATE_MISSING, GateMissing, _why_empty
from .levels import FIRST_LEVEL, Thresholds, thresholds
from .scale import _align

SAMPLE_STANDARDS = SAMPLE_DIR / "levels.yaml"
"""The sample company's level standards (a starting point to edit)."""

FACTS: dict[str, int] = {"tenure_years": 1}
"""Facts a standard may ask for besides the KPIs (direction +1): years since hire."""

RANGES: dict[str, tuple[float, float]] = {
    "revenue": (0, np.inf), "attainment": (0, 10), "new_customers": (0, np.inf),
    "retention": (0, 1), "csat": (0, 100), "sales_cycle": (0, np.inf),
    "product_knowledge": (1, 5), "collaboration": (1, 5), "tenure_years": (0, 60),
}
"""The values a KPI minimum may take (retention and attainment are ratios: 0.8 = 80 %)."""

AIDS: tuple[str, ...] = ("jenks", "kmeans", "gmm", "quantile")
"""The data-driven cut-line rules offered as calibration aids."""

RULE_LABELS: dict[str, str] = {
    "standards": "Level standards (criteria)",
    "jenks": "Aid: natural breaks",
    "kmeans": "Aid: k-means",
    "gmm": "Aid: Gaussian mixture",
    "quantile": "Aid: forced shares",
    "fixed": "Fixed score lines",
}
"""Plain labels of the level rules, for a dropdown and the aids table."""


def _directions() -> dict[str, int]:
    return {**DIRECTIONS, **FACTS}


def _label(kpi: str) -> str:
    return _LABEL.get(kpi, kpi.replace("_", " "))


# -------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Standard:
    """What one level asks: a minimum composite score and minimums per KPI.

    Parameters
    ----------
    min_score : float, optional
        The least composite score (0..100); None when the level asks no score.
    kpis : dict of str to float
        KPI -> minimum (a maximum for a lower-is-better KPI such as `sales_cycle`).
    description : str, default ""
        The level in plain words.
    """

    min_score: float | None = None
    kpis: dict[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class LevelStandards:
    """The written standard of every level above the first, lowest first.

    Parameters
    ----------
    standards : dict of str to Standard
        Level -> its standard, for every level but the first.
    levels : tuple of str, default LEVELS
        All level names, lowest first; the first needs no standard.
    source : str, default ""
        The file it was read from, for messages.
    """

    standards: dict[str, Standard]
    levels: tuple[str, ...] = LEVELS
    source: str = ""

    def requirements(self, level: str) -> tuple[float | None, dict[str, float]]:
        """What reaching `level` takes, its own standard and every lower one's together.

        Parameters
        ----------
        level : str
            A level above the first.

        Returns
        -------
        min_score : float or None
            The strictest minimum score up to `level`.
        kpis : dict of str to float
            KPI -> the strictest bound up to `level`, in the order first stated.
        """
        score, kpis = None, {}
        for name in self.levels[1:self.levels.index(level) + 1]:
            std = self.standards[name]
            if std.min_score is not None:
                score = std.min_score if score is None else max(score, std.min_score)
            for kpi, bound in std.kpis.items():
                tight = max if _directions()[kpi] > 0 else min
                kpis[kpi] = tight(kpis.get(kpi, bound), bound)
        return score, kpis

    @property
    def min_scores(self) -> tuple[float, ...]:
        """The minimum score of each level above the first (0 where none is asked), so
        charts can draw the standards as cut lines on the score.
        """
        return tuple(float(self.requirements(level)[0] or 0.0) for level in self.levels[1:])

    @property
    def kpis(self) -> list[str]:
        """Every KPI some standard asks for, in the order first stated."""
        names: dict[str, None] = {}
        for level in self.levels[1:]:
            names.update(dict.fromkeys(self.standards[level].kpis))
        return list(names)

    def table(self) -> pd.DataFrame:
        """One row per level above the first: minimum score and each KPI's cumulative bound.

        Returns
        -------
        pandas.DataFrame
            Index `level`; `min_score`, then a column per KPI ('≥ 80' or '≤ 50').
        """
        rows = {}
        for level in self.levels[1:]:
            score, kpis = self.requirements(level)
            rows[level] = {"min_score": score, **{
                _label(k): f"{'≥' if _directions()[k] > 0 else '≤'} {v:g}"
                for k, v in kpis.items()}}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("level")

    def to_dict(self) -> dict:
        """The standards as the mapping their YAML holds (`from_dict` reads it back equal).

        Returns
        -------
        dict
            Level -> {description, min_score, kpis}, without empty keys.
        """
        out = {}
        for level in self.levels[1:]:
            std = self.standards[level]
            item: dict[str, Any] = {}
            if std.description:
                item["description"] = std.description
            if std.min_score is not None:
                item["min_score"] = float(std.min_score)
            if std.kpis:
                item["kpis"] = {k: float(v) for k, v in std.kpis.items()}
            out[level] = item
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The standards as YAML text (also written to `path` when given).

        Parameters
        ----------
        path : str or pathlib.Path, optional
            A file to write to.

        Returns
        -------
        str
            The YAML text; `load_standards` reads it back equal.
        """
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: Any, levels: Sequence[str] = LEVELS,
                  source: str = "") -> LevelStandards:
        """Read and check standards from a mapping (what the YAML file holds).

        Parameters
        ----------
        data : Any
            Level -> {description, min_score, kpis: {KPI: bound}}.
        levels : Sequence[str], default LEVELS
            All levels, lowest first.
        source : str, default ""
            The file name to put before every message.

        Returns
        -------
        LevelStandards
            The checked standards.

        Raises
        ------
        GradingError
            Naming the file and key path: not a mapping, an unknown level or KPI, a
            missing level, a value that is not a number in range, a standard for the first
            level, or a higher level asking less than a lower one.
        """
        levels = tuple(levels)
        try:
            return cls(_read(data, levels), levels, source)
        except (PlanError, GradingError) as exc:
            raise GradingError(f"{source}: {exc}" if source else str(exc)) from None


def _read(data: Any, levels: tuple[str, ...]) -> dict[str, Standard]:
    """Parse and check the mapping; errors start with the key path (the file is added)."""
    if not isinstance(data, dict):
        raise GradingError(f"must be a mapping of level -> standard, got {data!r}")
    first, rest = levels[0], levels[1:]
    for key in data:
        if key == first:
            raise GradingError(f"{key}: the first level has no standard (every graded rep "
                               "reaches it); give standards for "
                               f"{', '.join(rest)}")
        if key not in rest:
            raise GradingError(f"{key}: unknown level (expected {', '.join(rest)})")
    known = _directions()
    out = {}
    for level in rest:
        if level not in data:
            raise GradingError(f"{level}: is required (a standard for every level above "
                               f"{first}: {', '.join(rest)})")
        node = Node(data[level] if data[level] is not None else {}, level)
        score = node.number("min_score", None, lo=0, hi=100)
        text = node.text("description", default="")
        bounds = node.raw("kpis", {})
        kpis_node = Node(bounds, node.where("kpis"))
        kpis = {}
        for kpi in bounds:
            if kpi not in known:
                raise kpis_node.fail(kpi, f"unknown KPI (known: {', '.join(known)})")
            lo, hi = RANGES[kpi]
            kpis[str(kpi)] = kpis_node.number(kpi, lo=lo, hi=None if np.isinf(hi) else hi)
        unknown = set(node.data) - node.used
        if unknown:
            raise node.fail(sorted(map(str, unknown))[0],
                            "unknown key (expected description, min_score, kpis)")
        out[level] = Standard(score, kpis, text)
    _check_monotone(out, rest)
    return out


def _check_monotone(standards: Mapping[str, Standard], rest: Sequence[str]) -> None:
    """A higher level never asks less than a lower one, on the score or any KPI."""
    best: dict[str, tuple[str, float]] = {}
    for level in rest:
        std = standards[level]
        items = ([("min_score", std.min_score, 1)] if std.min_score is not None else [])
        items += [(k, v, _directions()[k]) for k, v in std.kpis.items()]
        for key, value, sign in items:
            if key in best and sign * (value - best[key][1]) < 0:
                lower, was = best[key]
                what = "min_score" if key == "min_score" else f"kpis.{key}"
                word = "less" if sign > 0 else "more"
                raise GradingError(
                    f"{level}.{what}: {value:g} asks {word} than {lower} ({was:g}); a higher "
                    "level must ask at least as much as a lower one")
            if key not in best or sign * (value - best[key][1]) >= 0:
                best[key] = (level, value)


def load_standards(path: str | Path, levels: Sequence[str] = LEVELS) -> LevelStandards:
    """Read the level standards from a YAML file, checked; errors name the file and key.

    Parameters
    ----------
    path : str or pathlib.Path
        The YAML file (see the module docstring for its format).
    levels : Sequence[str], default LEVELS
        All levels, lowest first.

    Returns
    -------
    LevelStandards
        The checked standards.

    Raises
    ------
    GradingError
        When the file cannot be read or parsed, or a standard is invalid; the message
        starts with the file, then the key path (`levels.yaml: senior.kpis.csat: ...`).
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GradingError(f"{path}: cannot read the level standards ({exc})") from None
    return LevelStandards.from_dict(data, levels, str(path))


# ------------------------------------------------------------- what the data can check


def usable_standards(standards: LevelStandards, kpis: pd.DataFrame,
                     lacks: Mapping[str, str] | None = None, *,
                     missing: GateMissing = "drop") -> tuple[LevelStandards, list[str]]:
    """The standards the data can check, and a sentence for each requirement it cannot.

    A requirement on a KPI no graded rep has (no CSAT, no reviews) is dropped
    (`missing="drop"`) or kept, so that no rep can reach that level or above
    (`missing="block"`); either way a sentence says so. A KPI only some reps lack stays,
    and the sentence counts them (they cannot be promoted over it).

    Parameters
    ----------
    standards : LevelStandards
        The standards as written.
    kpis : pandas.DataFrame
        The KPI frame (from `kpis`).
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to say why.
    missing : {"drop", "block"}, default "drop"
        What to do with a requirement on a KPI no rep has.

    Returns
    -------
    standards : LevelStandards
        With the requirements dropped that cannot apply (`missing="drop"`).
    notes : list of str
        One sentence per KPI dropped, blocking or partly missing.

    Raises
    ------
    GradingError
        When `missing` is not one of `GATE_MISSING`.
    """
    if missing not in GATE_MISSING:
        raise GradingError(f"missing={missing!r}: expected 'drop' or 'block'")
    lacks = {} if lacks is None else lacks
    notes, absent = [], []
    for kpi in standards.kpis:
        values = kpis[kpi] if kpi in kpis.columns else None
        where = [lvl for lvl in standards.levels[1:] if kpi in standards.standards[lvl].kpis]
        if values is None or values.isna().all():
            why = _why_empty(kpi, lacks)  # the sentence usable_weights gives
            if missing == "drop":
                notes.append(f"The {_label(kpi)} requirement (for {', '.join(where)}) cannot "
                             f"apply, because {why}: it is dropped and the other "
                             "requirements decide.")
                absent.append(kpi)
            else:
                notes.append(f"The {_label(kpi)} requirement (for {', '.join(where)}) cannot "
                             f"apply, because {why}: it is kept as blocking, so no rep can "
                             f"reach {where[0]} or above.")
        elif values.isna().any():
            notes.append(f"{_label(kpi)}: {int(values.isna().sum())} of {len(values)} reps "
                         "have no value; they cannot be promoted over that requirement (nor "
                         "demoted for it).")
    if not absent:
        return standards, notes
    kept = {lvl: Standard(s.min_score, {k: v for k, v in s.kpis.items() if k not in absent},
                          s.description) for lvl, s in standards.standards.items()}
    return LevelStandards(kept, standards.levels, standards.source), notes


# --------------------------------------------------------------------------- assignment


def _fmt(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:.3g}" for v in values], dtype=object)


def _meets(kpis: pd.DataFrame, scores: np.ndarray | None, standards: LevelStandards,
           relax: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per level above the first (rows) and rep (columns): meets the cumulative standard
    as written, meets it within the margin `relax` (a missing value passes), and the first
    unmet requirement in words ('' where met).
    """
    n = len(kpis)
    k = len(standards.levels) - 1
    strict = np.ones((k, n), dtype=bool)
    loose = np.ones((k, n), dtype=bool)
    first = np.full((k, n), "", dtype=object)
    for i, level in enumerate(standards.levels[1:]):
        score, bounds = standards.requirements(level)
        checks = []
        if score is not None:
            if scores is None:
                raise GradingError(f"scores: the standard for {level} asks a min_score; "
                                   "pass the composite scores")
            checks.append(("score", scores, score, 1, relax))
        for kpi, bound in bounds.items():
            if kpi not in kpis.columns:
                raise GradingError(f"kpis: no column {kpi!r} for the {level} standard "
                                   "(call usable_standards first to drop or block it)")
            sign = _directions()[kpi]
            checks.append((kpi, kpis[kpi].to_numpy(dtype=float), bound, sign,
                           abs(bound) * relax / 100))
        for name, x, bound, sign, slack in checks:
            gap = np.isnan(x)
            with np.errstate(invalid="ignore"):
                ok = sign * (x - bound) >= -1e-9 * max(1.0, abs(bound))
                near = sign * (x - bound) >= -slack - 1e-9 * max(1.0, abs(bound))
            ok &= ~gap
            near |= gap
            word = "<" if sign > 0 else ">"
            text = np.where(gap, f"no {_label(name)} value for {level}",
                            _label(name) + " " + _fmt(x) + f" {word} {bound:g} for {level}")
            first[i] = np.where((first[i] == "") & ~ok, text, first[i])
            strict[i] &= ok
            loose[i] &= near
    return strict, loose, first


def assign_by_standards(kpis: pd.DataFrame, scores: pd.Series | None,
                        standards: LevelStandards, *, current: pd.Series | None = None,
                        hysteresis: float = 0.0, missing: GateMissing = "drop",
                        lacks: Mapping[str, str] | None = None,
                        demote: bool = False) -> pd.DataFrame:
    """Level per rep by the written standards: the highest level whose every requirement
    (its own and every lower level's) the rep meets.

    With `current`, a rep keeps their current level while missing its requirements by
    less than `hysteresis` (score points off the minimum score, percent off each KPI
    bound); a promotion needs the standard as written. A rep further below their level's
    standard keeps the level for this cycle, noted "below the ... standard" for a
    development plan (a job level is not taken away on one year's numbers); `demote=True`
    moves them down at once. A missing current level is a first
    placement. Requirements on a KPI the data lacks are dropped or block (`missing`, see
    `usable_standards`); the sentences are in `attrs["notes"]` of the result.

    Parameters
    ----------
    kpis : pandas.DataFrame
        KPIs per rep (from `kpis`), index rep_id.
    scores : pandas.Series or None
        Composite score per rep (joined on rep_id); None when no standard asks a score.
    standards : LevelStandards
        The standards (from `load_standards`).
    current : pandas.Series, optional
        Rep -> current level; NaN where unknown (a first placement).
    hysteresis : float, default 0.0
        The margin that keeps a current level (points on the score, percent on KPIs).
    missing : {"drop", "block"}, default "drop"
        A requirement on a KPI no rep has: drop it, or let no rep pass it.
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to say why a requirement is dropped.
    demote : bool, default False
        Whether a rep below their current level's standard (beyond the margin) moves down
        now, or keeps the level on a development plan.

    Returns
    -------
    pandas.DataFrame
        The columns `assign` gives (`score`, `current`, `proposed`, `change`, `note`), and
        `needs`: the first unmet requirement of the next level up ('csat 76 < 80 for
        senior'), or that the rep meets every standard.

    Raises
    ------
    GradingError
        On a negative margin, a missing score when a standard asks one, a rep without a
        `current` value or with an unknown level, or `missing` not 'drop' / 'block'.
    """
    if not hysteresis >= 0:
        raise GradingError(f"hysteresis={hysteresis!r}: must be >= 0")
    checked, notes = usable_standards(standards, kpis, lacks, missing=missing)
    levels = standards.levels
    x = None
    if scores is not None:
        x = _align(scores, kpis.index, "scores").astype(float)
        if np.isnan(x).any():
            bad = kpis.index[np.isnan(x)][:5]
            raise GradingError(f"scores: missing for rep(s) {', '.join(map(str, bad))}")
    view = kpis.copy()
    for kpi in checked.kpis:  # blocking: a KPI no rep has is all-NaN, so no one passes
        if kpi not in view.columns:
            view[kpi] = np.nan
    strict, loose, first = _meets(view, x, checked, hysteresis)
    n = len(kpis)
    reach = np.vstack([np.ones((1, n), dtype=bool), np.logical_and.accumulate(strict)])
    plain = reach.sum(axis=0) - 1  # cumulative: the first level missed stops the climb
    keep = np.vstack([np.ones((1, n), dtype=bool), np.logical_and.accumulate(loose)])
    needs = np.where(plain < len(levels) - 1,
                     first[np.minimum(plain, len(levels) - 2), np.arange(n)],
                     f"meets every standard up to {levels[-1]}")
    proposed, note = plain.copy(), np.full(n, "", dtype=object)
    cur = None
    if current is not None:
        code = {name: i for i, name in enumerate(levels)}
        given = pd.Series(_align(current, kpis.index, "current"), dtype=object)
        unknown = given.isna().to_numpy()
        cur = given.map(code).fillna(-1).to_numpy(dtype=int)
        if (~unknown & (cur < 0)).any():
            bad = kpis.index[~unknown & (cur < 0)][:5]
            raise GradingError(f"current: no valid level for rep(s) {', '.join(map(str, bad))}")
        held_at = np.minimum(keep.sum(axis=0) - 1, np.maximum(cur, 0))  # margin, at most current
        proposed = np.where(unknown, plain, np.maximum(plain, held_at))
        held = proposed != plain
        note[held] = [f"{hysteresis:g} margin kept {levels[q]}: the standards alone say "
                      f"{levels[p]} ({first[p, i]})"
                      for p, q, i in zip(plain[held], proposed[held], np.flatnonzero(held),
                                         strict=True)]
        below = ~unknown & (proposed < cur)
        if not demote and below.any():
            note[below] = [f"below the {levels[c]} standard: kept on a development plan "
                           f"({first[p, i]}; the standards alone say {levels[p]})"
                           for p, c, i in zip(proposed[below], cur[below],
                                              np.flatnonzero(below), strict=True)]
            proposed = np.where(below, cur, proposed)
    out = pd.DataFrame({"score": np.full(n, np.nan) if x is None else x}, index=kpis.index)
    if cur is not None:
        out["current"] = pd.Categorical.from_codes(cur, levels, ordered=True)
    out["proposed"] = pd.Categorical.from_codes(proposed, levels, ordered=True)
    if cur is not None:
        out["change"] = np.select([cur < 0, proposed > cur, proposed < cur],
                                  [FIRST_LEVEL, "promotion", "demotion"], "same")
    out["note"] = pd.array(note, dtype="string")
    out["needs"] = pd.array(needs, dtype="string")
    out.attrs["notes"] = notes
    return out


def standard_levels(values: Mapping[str, np.ndarray], scores: np.ndarray | None,
                    standards: LevelStandards) -> np.ndarray:
    """Level index by the standards as written (no margin), on arrays of any shape.

    The array core that `stability` regrades every resample with; a missing value fails
    its requirement. Pass standards already checked against the data (`usable_standards`).

    Parameters
    ----------
    values : mapping of str to numpy.ndarray
        KPI (or fact) name -> values, all one shape, e.g. (n_boot, n_reps).
    scores : numpy.ndarray or None
        Composite scores, the same shape (or broadcastable); None when no standard asks
        a score.
    standards : LevelStandards
        The standards.

    Returns
    -------
    numpy.ndarray
        Integer level index (0 = the first level), the broadcast shape.

    Raises
    ------
    GradingError
        When a standard asks a KPI `values` does not have, or a score and `scores` is None.
    """
    arrays = [np.asarray(v, dtype=float) for v in values.values()]
    if scores is not None:
        arrays.append(np.asarray(scores, dtype=float))
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    reach = np.ones(shape, dtype=bool)
    level = np.zeros(shape, dtype=int)
    for level_name in standards.levels[1:]:
        score, bounds = standards.requirements(level_name)
        if score is not None:
            if scores is None:
                raise GradingError(f"scores: the standard for {level_name} asks a min_score;"
                                   " pass the composite scores")
            reach = reach & (np.asarray(scores, dtype=float) >= score - 1e-9 * max(1, score))
        for kpi, bound in bounds.items():
            if kpi not in values:
                raise GradingError(f"values: no {kpi!r} for the {level_name} standard "
                                   "(call usable_standards first to drop or block it)")
            x = np.asarray(values[kpi], dtype=float)
            with np.errstate(invalid="ignore"):
                reach = reach & (_directions()[kpi] * (x - bound)
                                 >= -1e-9 * max(1.0, abs(bound)))
        level = level + reach
    return level


def standards_thresholds(scores: pd.Series, assigned: pd.DataFrame,
                         standards: LevelStandards) -> Thresholds:
    """The standards seen as cut lines on the score, for charts and the stability check:
    the cumulative minimum scores, and the reps per level the standards give.

    Parameters
    ----------
    scores : pandas.Series
        Composite score per rep.
    assigned : pandas.DataFrame
        The frame from `assign_by_standards`.
    standards : LevelStandards
        The standards.

    Returns
    -------
    Thresholds
        Method "standards"; `counts` are the proposed levels, `gvf` the fit of the score
        lines.
    """
    cuts = standards.min_scores
    counts = (assigned["proposed"].value_counts().reindex(list(standards.levels),
                                                          fill_value=0).rename("reps"))
    return Thresholds("standards", standards.levels, cuts,
                      gvf(scores.to_numpy(dtype=float), cuts), counts)


# ------------------------------------------------------------------------ calibration


def calibration_aids(scores: pd.Series, levels_by_standards: pd.Series, *,
                     methods: Sequence[str] = AIDS, current: pd.Series | None = None,
                     shares: Sequence[float] | None = None, seed: int = 0) -> pd.DataFrame:
    """What each data-driven rule would suggest as minimum scores, and how many reps it
    would move compared with the standards' levels and with the current ones.

    The aids are for setting a standard's `min_score`, not for levelling: a rule's lines
    are where the scores bunch (jenks, kmeans, gmm) or a forced share (quantile). Moves
    are counted on the plain cut lines (no margin), and reps are joined on rep_id; a rule
    that cannot cut these scores gets a row with its reason in `note`.

    Parameters
    ----------
    scores : pandas.Series
        Composite score per rep.
    levels_by_standards : pandas.Series
        Rep -> level by the standards (the `proposed` column of `assign_by_standards`).
    methods : Sequence[str], default AIDS
        Rules of `thresholds` to show.
    current : pandas.Series, optional
        Rep -> current level (NaN where unknown: not counted).
    shares : Sequence[float], optional
        For "quantile": the share per level (default equal).
    seed : int, default 0
        For "gmm".

    Returns
    -------
    pandas.DataFrame
        Index `rule` (a first row "standards"): `label`, a `min <level>` column per
        level above the first, `moved vs standards`, `moved vs current`, `note`.

    Raises
    ------
    GradingError
        When a rep has no score or a level is not one of the levels.
    """
    levels = (list(levels_by_standards.cat.categories)
              if isinstance(levels_by_standards.dtype, pd.CategoricalDtype) else list(LEVELS))
    code = {name: i for i, name in enumerate(levels)}
    by_std = levels_by_standards.astype(object).map(code)
    if by_std.isna().any():
        raise GradingError(f"levels_by_standards: not a level for rep(s) "
                           f"{', '.join(map(str, by_std.index[by_std.isna()][:5]))}")
    x = _align(scores, by_std.index, "scores").astype(float)
    by_std = by_std.to_numpy(dtype=int)
    cur = None
    if current is not None:
        cur = pd.Series(_align(current, levels_by_standards.index, "current"),
                        dtype=object).map(code).to_numpy(dtype=float)
    cols = [f"min {lvl}" for lvl in levels[1:]]

    def row(rule, cuts, placed, note=""):
        moved_cur = (np.nan if cur is None
                     else int(((placed != cur) & ~np.isnan(cur)).sum()))
        return {"label": RULE_LABELS.get(rule, rule), **dict(zip(cols, cuts, strict=True)),
                "moved vs standards": int((placed != by_std).sum()),
                "moved vs current": moved_cur, "note": note}

    rows = {"standards": row("standards", [np.nan] * len(cols), by_std,
                             "the levels the written standards give")}
    for method in methods:
        try:
            t = thresholds(x, method, levels=levels, shares=shares, seed=seed)
        except GradingError as exc:
            rows[method] = row(method, [np.nan] * len(cols), by_std, str(exc))
            rows[method]["moved vs standards"] = np.nan
            rows[method]["moved vs current"] = np.nan
            continue
        rows[method] = row(method, t.cutoffs, levels_of(x, t.cutoffs), t.note)
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("rule")
    return out.astype({"moved vs standards": "Int64", "moved vs current": "Int64"})


def suggest_standards(scores: pd.Series, method: str = "jenks", *,
                      base: LevelStandards | None = None,
                      shares: Sequence[float] | None = None, seed: int = 0) -> LevelStandards:
    """Standards whose minimum scores are one rule's cut lines, the KPI minimums kept
    from `base`: a draft to edit and save with `to_yaml`, never applied unread.

    Parameters
    ----------
    scores : pandas.Series
        Composite score per rep.
    method : str, default "jenks"
        A rule of `thresholds` ("jenks", "kmeans", "gmm", "quantile").
    base : LevelStandards, optional
        The standards whose KPI minimums and descriptions are kept.
    shares : Sequence[float], optional
        For "quantile": the share per level.
    seed : int, default 0
        For "gmm".

    Returns
    -------
    LevelStandards
        The draft, checked like a file (a KPI minimum that would ask less of a higher
        level than the new scores do is still refused).

    Raises
    ------
    GradingError
        When the rule cannot cut the scores.
    """
    levels = LEVELS if base is None else base.levels
    t = thresholds(scores, method, levels=levels, shares=shares, seed=seed)
    draft = {}
    for level, cut in zip(levels[1:], t.cutoffs, strict=True):
        old = base.standards[level] if base is not None else Standard()
        draft[level] = {"min_score": round(float(cut), 1), "kpis": dict(old.kpis),
                        **({"description": old.description} if old.description else {})}
    return LevelStandards.from_dict(draft, levels, f"suggested by {method}")


# --------------------------------------------------------------------------- territory


def territory_potential(ds: Dataset) -> tuple[pd.Series | None, str]:
    """The roster's territory potential per rep, for `grade(territory=...)`, and a
    sentence: what it adjusts, or why there is none.

    Only the volume KPIs (revenue, new customers) are divided by a rep's relative
    potential; rates (attainment, retention, CSAT) are already relative. A rep with no
    potential (or 0) takes their team's median, then the company's, and the sentence
    counts them.

    Parameters
    ----------
    ds : Dataset
        The loaded data.

    Returns
    -------
    potential : pandas.Series or None
        rep_id -> potential (> 0); None when the roster has none.
    note : str
        One plain-words sentence.
    """
    roster = ds.roster.set_index("rep_id")
    if "territory_potential" in ds.lacks():
        return None, ("Volume KPIs (revenue, new customers) are not adjusted for territory "
                      "potential: the roster has none.")
    raw = roster["territory_potential"].astype("float64")
    values = raw.where(raw > 0)
    team = roster["team"] if "team" in roster else pd.Series("all", index=roster.index)
    filled = values.fillna(values.groupby(team).transform("median")).fillna(values.median())
    n = int(values.isna().sum())
    gap = (f" {n} rep(s) without a potential take their team's median." if n else "")
    return filled.rename("territory_potential"), (
        "Volume KPIs (revenue, new customers) are divided by each rep's territory potential "
        "relative to the average, so a small territory is not graded down for its size; "
        "rates (attainment, retention, CSAT) are left as they are." + gap)
