"""Development plans by level: where a rep stands (9-box), what the next level asks that
they do not meet yet, and the training that closes it at their level.

- `nine_box`: performance x potential, each low / medium / high. Performance is the
  composite score in terciles of the graded reps: tercile floor(3 (rank - 1/2) / n),
  ranks averaged over ties (within `helpers.ranking.SAME`), so equal scores share a
  tercile, a team all tied sits in the middle, and no row order decides it. Potential
  is the manager's word where there is one (`load_potential`, an optional
  `potential.csv`: rep_id, potential as low/medium/high or 1/2/3, an optional note).
  **The default, where a manager gave none**, is a transparent data proxy: the rep's
  change of attainment on the year before, in terciles of the reps that have both years
  (`potential_trend` on `year_before`); "medium" where there is no earlier year (one
  year of history, or a rep hired since). Each rep's `potential_source` says which
  ("manager" or "proxy: ..."); the two are never mixed silently.
- `load_catalogue`: the training catalogue (YAML: course, levels it is for, the KPI it
  addresses, hours, format, description), with key-path errors; without a file, the
  workbook's one generic course per KPI (`TRAINING`) for every level, and a note.
- `level_gaps`: each rep against the **next** level's standard (the cumulative
  requirements of `LevelStandards.requirements`): value, required, gap in the KPI's
  direction, met or not, or why it cannot be checked (no CSAT in the data); a rep at the
  top level has no next level and gets a row saying so.
- `development_plan`: the courses for a rep's unmet gaps at the rep's level, largest
  relative gap first; `development_page` / `development_pages`: a plain HTML fragment
  per rep (level, 9-box and action, gaps, courses), for the documents module to wrap.

Everything is joined on rep_id; ties are broken by the requirement's place in the
standard and the course's place in the catalogue, never by the order of the rows.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import SAMPLE_DIR, Dataset
from ..errors import DataError, GradingError, PlanError, read_yaml
from ..formatting import fmt, person
from ..incentives.model import Node
from ..ranking import SAME, rank_rows
from ..schema import LEVELS
from .kpi import _LABEL, DIRECTIONS, REVIEW_KPIS
from .kpi import kpis as kpi_table
from .sheets import TRAINING
from .standards import FACTS, LevelStandards

SAMPLE_CATALOGUE = SAMPLE_DIR / "training.yaml"
"""The sample company's training catalogue (a starting point to edit)."""

GRADES: tuple[str, ...] = ("low", "medium", "high")
"""The three grades of each 9-box axis, lowest first."""

BOXES: dict[tuple[str, str], tuple[str, str]] = {
    ("high", "high"): ("Star", "Stretch them: a bigger territory or key accounts, and a "
                               "plan for the next level now."),
    ("medium", "high"): ("High potential", "Develop: coaching and the courses for the next "
                                           "level; review progress each quarter."),
    ("low", "high"): ("Rough diamond", "Coach closely: find what holds the results back "
                                       "(territory, ramp-up, skills) and fix it first."),
    ("high", "medium"): ("High performer", "Recognise and keep: broaden the role, and let "
                                           "them share what works."),
    ("medium", "medium"): ("Core player", "Develop in the role: targeted training on the "
                                          "largest gaps."),
    ("low", "medium"): ("Inconsistent player", "Agree clear goals for the next quarter, with "
                                               "support and a check-in each month."),
    ("high", "low"): ("Trusted professional", "Reward and retain: a mentor or product expert "
                                              "for others, in the current role."),
    ("medium", "low"): ("Effective employee", "Keep engaged: training in the current role, "
                                              "clear expectations."),
    ("low", "low"): ("Talent risk", "A performance plan with clear goals and dates; review "
                                    "whether the role fits."),
}
"""(performance, potential) -> (box name, suggested action), the usual 9-box labels."""

POTENTIAL_COLUMNS: tuple[str, ...] = ("rep_id", "potential", "note")
"""The columns of potential.csv (`note` is optional)."""

_NUMBERS = {"1": "low", "2": "medium", "3": "high"}
_KEYS = ("course", "levels", "kpi", "hours", "format", "description")
_PROXY = "proxy: {what} in terciles"
_NO_EARLIER = "proxy: medium (no earlier year to compare)"
_TOP = "at the top level: there is no next level"


def _label(key: str) -> str:
    if key == "score":
        return "composite score"
    if key == "tenure_years":
        return "years since hire"
    return _LABEL.get(key, key.replace("_", " "))


def _sign(key: str) -> int:
    return {**DIRECTIONS, **FACTS, "score": 1}[key]


def _rows(positions, source: str) -> str:
    """'line(s) 2, 5' of a file (counting the header), or 'row(s) 1, 4' of a frame."""
    positions = [int(p) for p in positions][:5]
    if source.endswith("(frame)"):
        return "row(s) " + ", ".join(str(p + 1) for p in positions)
    return "line(s) " + ", ".join(str(p + 2) for p in positions)


def _terciles(values: pd.Series) -> pd.Series:
    """Low / medium / high by rank: equal values (within SAME) share their average rank,
    so they share a tercile whatever the row order.
    """
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    ranks = rank_rows(values.to_numpy(dtype=float)[None, :], rtol=SAME)[0]
    # the mid-rank share: everyone tied (or one rep alone) sits in the middle tercile
    third = np.clip(np.floor(3 * (ranks - 0.5) / len(values)).astype(int), 0, 2)
    return pd.Series(np.asarray(GRADES, dtype=object)[third], index=values.index)


# ------------------------------------------------------------------------------ 9-box


def load_potential(path: str | os.PathLike | pd.DataFrame,
                   reps: pd.Index | None = None) -> pd.DataFrame:
    """The managers' potential ratings, checked: low / medium / high (or 1 / 2 / 3).

    A missing file is no error (potential is optional): the result is empty and
    `attrs["note"]` says the data proxy stands in for every rep. A blank potential is no
    rating for that rep (the proxy stands in).

    Parameters
    ----------
    path : str, os.PathLike or pandas.DataFrame
        The CSV (columns rep_id, potential, optional note), or a frame with them.
    reps : pandas.Index, optional
        The reps a rating may name (e.g. the graded reps); None accepts any rep_id.

    Returns
    -------
    pandas.DataFrame
        Index `rep_id`: `potential` (ordered low < medium < high) and `note`;
        `attrs["note"]` says where the ratings came from.

    Raises
    ------
    DataError
        Naming the file, the column and the lines: a missing column, a value that is not
        low / medium / high / 1 / 2 / 3, a rep rated twice, or a rep not among `reps`.
    """
    if isinstance(path, pd.DataFrame):
        source = str(path.attrs.get("source", "potential")) + " (frame)"
        frame = path.astype("string")
    else:
        file = Path(os.fspath(path))
        source = file.name
        if not file.exists():
            out = _potential_frame([], [], [])
            out.attrs["note"] = (f"No {file.name}: no manager rated potential, so the data "
                                 "proxy stands in for every rep.")
            return out
        try:
            frame = pd.read_csv(file, dtype="string", keep_default_na=False)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise DataError(f"{source}: cannot be read ({exc})") from None
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in POTENTIAL_COLUMNS[:2] if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)} (expected "
                        f"{', '.join(POTENTIAL_COLUMNS)}; note is optional)")
    frame = frame.reset_index(drop=True)
    ids = frame["rep_id"].fillna("").str.strip()
    raw = frame["potential"].fillna("").str.strip().str.lower()
    note = (frame["note"].fillna("").str.strip() if "note" in frame.columns
            else pd.Series("", index=frame.index, dtype="string"))
    blank_id = ids == ""
    if blank_id.any():
        raise DataError(f"{source}, column rep_id: {_rows(frame.index[blank_id], source)} "
                        "have no rep_id")
    value = raw.map(lambda v: _NUMBERS.get(v, v)).astype(object)
    rated = raw != ""
    bad = rated & ~value.isin(GRADES)
    if bad.any():
        shown = ", ".join(map(repr, frame.loc[bad, "potential"].unique()[:5]))
        raise DataError(f"{source}, column potential: {_rows(frame.index[bad], source)} have "
                        f"{shown}, not a potential (low, medium, high, or 1, 2, 3)")
    twice = ids.duplicated(keep=False)
    if twice.any():
        raise DataError(f"{source}, column rep_id: {_rows(frame.index[twice], source)} list "
                        f"rep(s) {', '.join(ids[twice].unique()[:5])} more than once")
    if reps is not None:
        unknown = rated & ~ids.isin(pd.Index(reps).astype(str))
        if unknown.any():
            raise DataError(f"{source}, column rep_id: {_rows(frame.index[unknown], source)} "
                            f"name rep(s) not graded: {', '.join(ids[unknown].unique()[:5])}")
    out = _potential_frame(ids[rated], value[rated], note[rated])
    out.attrs["note"] = f"{len(out)} manager rating(s) of potential from {source}."
    return out


def _potential_frame(ids, values, notes) -> pd.DataFrame:
    out = pd.DataFrame({"potential": pd.Categorical(list(values), GRADES, ordered=True),
                        "note": pd.array(list(notes), dtype="string")},
                       index=pd.Index(list(ids), name="rep_id", dtype="string"))
    return out.sort_index()


def year_before(ds: Dataset, period=None, *, reviews: pd.DataFrame | None = None
                ) -> pd.DataFrame | None:
    """The KPIs of the year before `period`, for the potential proxy; None when the
    history has no month in it (one year of history), which `nine_box` reads as "medium".

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    period : int or str, optional
        The graded year (2026 or '2026'); None means the last year of the history.
    reviews : pandas.DataFrame, optional
        Review scores to use instead of `ds.reviews` (e.g. rater-adjusted ones).

    Returns
    -------
    pandas.DataFrame or None
        The frame `kpis` gives for the year before, or None.

    Raises
    ------
    GradingError
        When `period` is not a year.
    """
    text = str(ds.last_year if period is None else period).strip()
    if not text.isdigit():
        raise GradingError(f"period={period!r}: the potential proxy compares whole years; "
                           "give a year like 2026")
    try:
        return kpi_table(ds, int(text) - 1, reviews=reviews)
    except GradingError:
        return None


def potential_trend(kpis_now: pd.DataFrame, kpis_before: pd.DataFrame | None,
                    kpi: str = "attainment") -> tuple[pd.Series | None, str]:
    """The default potential proxy's input: each rep's change of `kpi` on the year before,
    in the KPI's direction (better is positive), and what it is in plain words.

    Parameters
    ----------
    kpis_now : pandas.DataFrame
        KPIs of the graded period (from `kpis`), index rep_id.
    kpis_before : pandas.DataFrame or None
        KPIs of the year before; None when the history has no earlier year.
    kpi : str, default "attainment"
        The KPI whose change stands for potential.

    Returns
    -------
    trend : pandas.Series or None
        rep_id -> change (NaN for a rep without both years); None when there is no
        earlier year at all.
    what : str
        The proxy in plain words, for `nine_box(trend_label=...)`.

    Raises
    ------
    GradingError
        When `kpi` is not a graded KPI.
    """
    if kpi not in DIRECTIONS:
        raise GradingError(f"kpi={kpi!r}: not a KPI (KPIs: {', '.join(DIRECTIONS)})")
    what = f"{_label(kpi)} change on the year before"
    if kpis_before is None or kpi not in kpis_before or kpis_before[kpi].isna().all():
        return None, what
    now = kpis_now[kpi].astype(float)
    before = kpis_before[kpi].astype(float).reindex(now.index)  # joined on rep_id
    return (DIRECTIONS[kpi] * (now - before)).rename("trend"), what


def nine_box(performance: pd.Series, potential: pd.DataFrame | pd.Series | None = None, *,
             trend: pd.Series | None = None,
             trend_label: str = "attainment change on the year before",
             names: pd.Series | None = None) -> pd.DataFrame:
    """Each rep on the 9-box: performance (score terciles) x potential (the manager's
    rating, else the data proxy), the box's name and the suggested action.

    Performance is the composite score in terciles of the reps given: ranks, with equal
    scores (within `helpers.ranking.SAME`) sharing their average rank and so their
    tercile. Potential is the manager's rating where there is one; elsewhere the terciles
    of `trend` among the reps that have one (`potential_trend`: the change of attainment
    on the year before), and "medium" for a rep without it (one year of history, or
    hired since). `potential_source` says which, rep by rep.

    Parameters
    ----------
    performance : pandas.Series
        Composite score per rep (index rep_id).
    potential : pandas.DataFrame or pandas.Series, optional
        Manager ratings (from `load_potential`, or rep_id -> low/medium/high); ratings
        for reps not in `performance` are left out and counted in the note.
    trend : pandas.Series, optional
        rep_id -> the proxy's measure (higher is better); None when there is none.
    trend_label : str, default "attainment change on the year before"
        The proxy in plain words, as `potential_trend` returns it.
    names : pandas.Series, optional
        rep_id -> name, for the chart and the pages.

    Returns
    -------
    pandas.DataFrame
        Index `rep_id` (sorted): `name` (when given), `score`, `performance`,
        `potential` (ordered low < medium < high), `potential_source`, `manager_note`,
        `box` and `action`; `attrs["note"]` says how potential was set, in plain words.

    Raises
    ------
    GradingError
        When a rep has no score, or a rating is not low / medium / high.
    """
    score = pd.Series(performance, dtype=float).sort_index()
    score.index = score.index.rename("rep_id")
    if score.isna().any():
        raise GradingError(f"performance: no score for rep(s) "
                           f"{', '.join(map(str, score.index[score.isna()][:5]))}")
    if potential is None:
        given = pd.Series([], dtype=object)
        notes_given = pd.Series([], dtype="string")
    elif isinstance(potential, pd.DataFrame):
        given = potential["potential"].astype(object)
        notes_given = (potential["note"] if "note" in potential
                       else pd.Series("", index=potential.index)).astype("string")
    else:
        given = pd.Series(potential).astype(object)
        notes_given = pd.Series("", index=given.index, dtype="string")
    given = given.dropna().map(lambda v: _NUMBERS.get(str(v).strip().lower(),
                                                       str(v).strip().lower()))
    if (~given.isin(GRADES)).any():
        bad = given[~given.isin(GRADES)]
        raise GradingError(f"potential: rep(s) {', '.join(map(str, bad.index[:5]))} have "
                           f"{', '.join(map(repr, bad.unique()[:5]))}, not low/medium/high")
    outside = int((~given.index.isin(score.index)).sum())
    manager = given.reindex(score.index)
    by_manager = manager.notna()
    proxy = pd.Series("medium", index=score.index, dtype=object)
    source = pd.Series(_NO_EARLIER, index=score.index, dtype=object)
    if trend is not None:
        t = pd.Series(trend, dtype=float).reindex(score.index)
        has = t.notna()
        proxy[has] = _terciles(t[has])
        source[has] = _PROXY.format(what=trend_label)
    level = manager.where(by_manager, proxy)
    source = source.where(~by_manager, "manager")
    perf = _terciles(score)
    out = pd.DataFrame(index=score.index)
    if names is not None:
        out["name"] = pd.array(pd.Series(names).reindex(score.index), dtype="string")
    out["score"] = score
    out["performance"] = pd.Categorical(perf, GRADES, ordered=True)
    out["potential"] = pd.Categorical(level, GRADES, ordered=True)
    out["potential_source"] = pd.array(source, dtype="string")
    out["manager_note"] = pd.array(notes_given.reindex(score.index).where(by_manager, ""),
                                   dtype="string").fillna("")
    cell = 3 * out["performance"].cat.codes.to_numpy() + out["potential"].cat.codes.to_numpy()
    grid = [BOXES[(p, q)] for p in GRADES for q in GRADES]  # cell 3 * performance + potential
    out["box"] = pd.array(np.array([b[0] for b in grid], dtype=object)[cell], dtype="string")
    out["action"] = pd.array(np.array([b[1] for b in grid], dtype=object)[cell],
                             dtype="string")
    n_manager, n_proxy = int(by_manager.sum()), int((source.str.startswith("proxy: ")
                                                     & (source != _NO_EARLIER)).sum())
    n_medium = len(score) - n_manager - n_proxy
    parts = [f"Performance is the composite score in terciles of the {len(score)} reps "
             "(equal scores share a tercile)."]
    parts.append(f"Potential: {n_manager} rep(s) rated by their manager"
                 + (f"; {n_proxy} by the data proxy, the {trend_label} in terciles"
                    if n_proxy else "")
                 + (f"; {n_medium} set to medium, as there is no earlier year to compare"
                    if n_medium else "") + ".")
    if outside:
        parts.append(f"{outside} manager rating(s) name reps not graded here and are left out.")
    out.attrs["note"] = " ".join(parts)
    return out


# ------------------------------------------------------------------ training catalogue


def load_catalogue(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The training catalogue: which course, for which levels, closes which KPI's gap.

    The YAML (see data/sample/training.yaml)::

        courses:
          - course: Negotiation basics
            levels: [junior, intermediate]
            kpi: attainment
            hours: 8
            format: workshop          # optional
            description: ...          # optional

    A missing file is no error: the result is the workbook's generic course per KPI
    (`helpers.grading.TRAINING`) for every level, and `attrs["note"]` says so.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The YAML file; None means the sample's (`SAMPLE_CATALOGUE`).

    Returns
    -------
    pandas.DataFrame
        One row per course in file order: `course`, `levels` (tuple, in level order),
        `kpi`, `hours`, `format`, `description`; `attrs["note"]` says where it came from.

    Raises
    ------
    DataError
        Naming the file and the key path (`training.yaml: courses[2].kpi: unknown KPI
        'cust'`): not YAML, no `courses` list, a missing or unknown key, a KPI or level
        that is not one, hours that are not a number > 0, a course listed twice.
    """
    file = Path(os.fspath(path)) if path is not None else SAMPLE_CATALOGUE
    if not file.exists():
        rows = [{"course": text[0].upper() + text[1:], "levels": tuple(LEVELS), "kpi": kpi,
                 "hours": np.nan, "format": "", "description": ""}
                for kpi, text in TRAINING.items()]
        out = _catalogue_frame(rows)
        out.attrs["note"] = (f"No {file.name}: the courses are the workbook's generic "
                             "suggestions, one per KPI, for every level.")
        return out
    data = read_yaml(file, DataError, f"{file.name}: ")
    try:
        rows = _read_courses(data)
    except PlanError as exc:
        raise DataError(f"{file.name}: {exc}") from None
    out = _catalogue_frame(rows)
    out.attrs["note"] = f"{len(out)} course(s) from {file.name}."
    return out


def _read_courses(data) -> list[dict]:
    top = Node(data if data is not None else {}, "")
    courses = top.items("courses", None) if "courses" in top.data else None
    if not courses:
        raise PlanError("courses: is required, a list of courses (course, levels, kpi, hours)")
    extra = set(top.data) - {"courses"}
    if extra:
        raise top.fail(sorted(map(str, extra))[0], "unknown key (expected courses)")
    known = [k for k in DIRECTIONS]
    rows, seen = [], {}
    for i, item in enumerate(courses):
        where = f"courses[{i}]"
        node = Node(item, where)
        name = node.text("course")
        if not name:
            raise node.fail("course", "is empty; give the course's name")
        if name in seen:
            raise node.fail("course", f"{name!r} is listed twice (first at {seen[name]})")
        seen[name] = where
        kpi = node.text("kpi")
        if kpi not in known:
            raise node.fail("kpi", f"unknown KPI {kpi!r} (known: {', '.join(known)})")
        raw = node.raw("levels")
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or not raw:
            raise node.fail("levels", f"must be a list of levels, got {raw!r}")
        for j, level in enumerate(raw):
            if level not in LEVELS:
                raise PlanError(f"{where}.levels[{j}]: unknown level {level!r} (levels: "
                                f"{', '.join(LEVELS)})")
        hours = node.number("hours", lo=0)
        if not hours > 0:
            raise node.fail("hours", f"must be more than 0, got {hours:g}")
        fmt_ = node.text("format", default="")
        text = node.text("description", default="")
        unknown = set(node.data) - node.used
        if unknown:
            raise node.fail(sorted(map(str, unknown))[0],
                            f"unknown key (expected {', '.join(_KEYS)})")
        rows.append({"course": name, "levels": tuple(lv for lv in LEVELS if lv in raw),
                     "kpi": kpi, "hours": float(hours), "format": fmt_,
                     "description": text})
    return rows


def _catalogue_frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(_KEYS))
    for col in ("course", "kpi", "format", "description"):
        out[col] = out[col].astype("string")
    out["hours"] = out["hours"].astype(float)
    return out


# ---------------------------------------------------------------------------- gaps


def level_gaps(kpis: pd.DataFrame, levels: pd.Series, standards: LevelStandards, *,
               scores: pd.Series | None = None,
               lacks: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Each rep against the next level's standard: value, required, gap, met or not.

    The requirements are the next level's cumulative ones (`standards.requirements`),
    in the order the standard states them (the minimum score first). `gap` is how far
    short the rep is, in the KPI's direction (days over a sales-cycle ceiling, points
    under a floor); zero or less is met, within the same float tolerance as
    `assign_by_standards`. A requirement on a KPI the data lacks is listed as "cannot be
    checked: no CSAT in the data", never dropped; a rep at the top level gets one row
    saying there is no next level.

    Parameters
    ----------
    kpis : pandas.DataFrame
        KPIs per rep (from `kpis`), index rep_id; also the facts (`tenure_years`).
    levels : pandas.Series
        rep_id -> the rep's level (final or proposed); every rep must have KPIs.
    standards : LevelStandards
        The level standards (from `load_standards`).
    scores : pandas.Series, optional
        Composite score per rep, for a standard's minimum score; without it that
        requirement cannot be checked.
    lacks : Mapping[str, str], optional
        What the data lacks (`Dataset.lacks()`), to say why a KPI cannot be checked.

    Returns
    -------
    pandas.DataFrame
        One row per rep and requirement, by rep_id then the standard's order:
        `rep_id`, `level`, `next_level`, `requirement` (KPI name, or "score"), `label`,
        `rule` ("at least" / "at most"), `value`, `required`, `gap`, `relative_gap`
        (gap / required), `met` (boolean, NA when it cannot be checked) and `status`
        ("met", "not met", "cannot be checked: ..." or the top level's sentence);
        `attrs["notes"]` has a sentence per requirement no rep can be checked on.

    Raises
    ------
    GradingError
        When a rep has no level, a level is not one of the standards', or a rep with a
        level has no KPIs.
    """
    names = list(standards.levels)
    lv = pd.Series(levels).astype(object)
    lv.index = lv.index.rename("rep_id")
    if lv.isna().any():
        raise GradingError(f"levels: no level for rep(s) "
                           f"{', '.join(map(str, lv.index[lv.isna()][:5]))}")
    code = lv.map({name: i for i, name in enumerate(names)})
    if code.isna().any():
        bad = lv[code.isna()]
        raise GradingError(f"levels: rep(s) {', '.join(map(str, bad.index[:5]))} have "
                           f"{', '.join(map(repr, bad.unique()[:5]))}, not a level "
                           f"({', '.join(names)})")
    absent = lv.index[~lv.index.isin(kpis.index)]
    if len(absent):
        raise GradingError(f"kpis: no KPIs for rep(s) {', '.join(map(str, absent[:5]))}")
    code = code.astype(int).sort_index()
    lacks = {} if lacks is None else lacks
    view = kpis.reindex(code.index)  # joined on rep_id
    x_score = (None if scores is None
               else pd.Series(scores, dtype=float).reindex(code.index).to_numpy())
    pieces, notes = [], []
    for target in names[1:]:
        who = code.index[code.to_numpy() == names.index(target) - 1]
        min_score, bounds = standards.requirements(target)
        items = ([("score", min_score)] if min_score is not None else []) + list(bounds.items())
        for order, (key, bound) in enumerate(items):
            sign = _sign(key)
            rows = code.index.get_indexer(who)
            if key == "score":
                column = x_score
                why = "no composite score was given"
            else:
                column = (view[key].to_numpy(dtype=float) if key in kpis.columns
                          and kpis[key].notna().any() else None)
                why = ("no manager reviews in the data" if key in REVIEW_KPIS
                       and "reviews" in lacks else
                       "no quota in the data, nor an earlier year to measure it against"
                       if key == "attainment" and "quota" in lacks
                       else f"no {_label(key)} in the data")
            if column is None:
                value = np.full(len(who), np.nan)
                status = np.full(len(who), f"cannot be checked: {why}", dtype=object)
                if len(who):
                    notes.append(f"The {_label(key)} requirement for {target} cannot be "
                                 f"checked for {len(who)} rep(s): {why}.")
            else:
                value = column[rows]
                status = np.where(np.isnan(value), f"cannot be checked: no {_label(key)} "
                                  "value for this rep", "")
            gap = sign * (bound - value)
            with np.errstate(invalid="ignore"):
                met = -gap >= -1e-9 * max(1.0, abs(bound))
            known = np.isnan(value) == False  # noqa: E712  (numpy array)
            status = np.where(status != "", status, np.where(met, "met", "not met"))
            pieces.append(pd.DataFrame({
                "rep_id": who, "level": names[names.index(target) - 1],
                "next_level": target, "_order": order, "requirement": key,
                "label": _label(key), "rule": "at least" if sign > 0 else "at most",
                "value": value, "required": float(bound), "gap": gap,
                "relative_gap": gap / max(abs(bound), 1e-12),
                "met": pd.array(np.where(known, met, False), dtype="boolean"),
                "status": status, "_known": known}))
    top = code.index[code.to_numpy() == len(names) - 1]
    pieces.append(pd.DataFrame({
        "rep_id": top, "level": names[-1], "next_level": None, "_order": 0,
        "requirement": None, "label": None, "rule": None, "value": np.nan,
        "required": np.nan, "gap": np.nan, "relative_gap": np.nan,
        "met": pd.array([pd.NA] * len(top), dtype="boolean"), "status": _TOP,
        "_known": False}))
    out = pd.concat([p for p in pieces if len(p)] or pieces[-1:], ignore_index=True)
    out.loc[~out["_known"], "met"] = pd.NA
    out = (out.sort_values(["rep_id", "_order"], kind="stable")
           .drop(columns=["_order", "_known"]).reset_index(drop=True))
    for col in ("rep_id", "next_level", "requirement", "label", "rule", "status"):
        out[col] = out[col].astype("string")
    out["level"] = pd.Categorical(out["level"], names, ordered=True)
    out["next_level"] = pd.Categorical(out["next_level"], names, ordered=True)
    out.attrs["notes"] = notes
    return out


# --------------------------------------------------------------------------- the plan


def development_plan(gaps: pd.DataFrame, catalogue: pd.DataFrame,
                     levels: pd.Series | None = None, *, per_rep: int = 3) -> pd.DataFrame:
    """Per rep, the courses at the rep's level that close their unmet gaps.

    Unmet requirements are taken largest relative gap first (ties: the standard's
    order); each gets the catalogue's first course for its KPI at the rep's level, then
    the next round of courses, up to `per_rep` courses a rep (ties: catalogue order).
    An unmet requirement no course addresses (time in role, the composite score, a KPI
    the catalogue has no course for at that level) gets a row with no course and a note.

    Parameters
    ----------
    gaps : pandas.DataFrame
        The frame from `level_gaps`.
    catalogue : pandas.DataFrame
        The frame from `load_catalogue`.
    levels : pandas.Series, optional
        rep_id -> level the courses must be for; None means the `level` in `gaps`.
    per_rep : int, default 3
        Most courses listed per rep.

    Returns
    -------
    pandas.DataFrame
        Rows by rep_id, then `priority` (1 first; NA for the uncovered): `rep_id`,
        `level`, `next_level`, `priority`, `requirement`, `label`, `relative_gap`,
        `course`, `hours`, `format`, `description`, `note`.

    Raises
    ------
    GradingError
        When `per_rep` is not a whole number >= 1, or a rep in `gaps` has no level.
    """
    if isinstance(per_rep, bool) or not isinstance(per_rep, int | np.integer) or per_rep < 1:
        raise GradingError(f"per_rep={per_rep!r}: a whole number >= 1")
    unmet = gaps[gaps["met"].eq(False).fillna(False).to_numpy()].copy()
    if levels is not None:
        lv = pd.Series(levels).astype(object)
        unmet["level"] = unmet["rep_id"].map(lv)
        if unmet["level"].isna().any():
            bad = unmet.loc[unmet["level"].isna(), "rep_id"].unique()[:5]
            raise GradingError(f"levels: no level for rep(s) {', '.join(map(str, bad))}")
    unmet["level"] = unmet["level"].astype(str)
    unmet["_pos"] = np.arange(len(unmet))  # the standard's order within a rep
    unmet = unmet.sort_values(["rep_id", "relative_gap", "_pos"],
                              ascending=[True, False, True], kind="stable")
    unmet["_gap_rank"] = unmet.groupby("rep_id").cumcount()
    offer = catalogue.reset_index(drop=True).assign(_course_pos=lambda f: np.arange(len(f)))
    offer = offer.explode("levels").rename(columns={"levels": "level", "kpi": "requirement"})
    offer["level"] = offer["level"].astype(str)
    offer["requirement"] = offer["requirement"].astype(str)
    unmet["requirement"] = unmet["requirement"].astype(str)
    matched = unmet.merge(offer, on=["level", "requirement"], how="left")
    covered = matched[matched["course"].notna()].copy()
    covered = covered.sort_values(["rep_id", "_gap_rank", "_course_pos"], kind="stable")
    covered["_round"] = covered.groupby(["rep_id", "requirement"]).cumcount()
    covered = covered.sort_values(["rep_id", "_round", "_gap_rank"], kind="stable")
    covered["priority"] = covered.groupby("rep_id").cumcount() + 1
    covered = covered[covered["priority"] <= per_rep]
    covered["note"] = ""
    bare = matched[matched["course"].isna()].copy()
    bare["priority"] = pd.NA
    pairs = bare[["requirement", "level"]].drop_duplicates()
    said = pd.Series([_uncovered(r, lv) for r, lv in pairs.itertuples(index=False)],
                     index=pd.MultiIndex.from_frame(pairs))  # one sentence per kind of gap
    bare["note"] = said.reindex(pd.MultiIndex.from_frame(bare[["requirement", "level"]])
                                ).to_numpy()
    cols = ["rep_id", "level", "next_level", "priority", "requirement", "label",
            "relative_gap", "course", "hours", "format", "description", "note"]
    out = pd.concat([covered, bare], ignore_index=True) if len(bare) else covered
    out = out.assign(_p=out["priority"].astype("Float64").fillna(np.inf))
    out = out.sort_values(["rep_id", "_p", "_gap_rank"], kind="stable")[cols]
    out = out.reset_index(drop=True)
    out["priority"] = out["priority"].astype("Int64")
    for col in ("rep_id", "requirement", "label", "course", "format", "description", "note"):
        out[col] = out[col].astype("string")
    out["level"] = pd.Categorical(out["level"], LEVELS, ordered=True)
    return out


def _uncovered(requirement: str, level: str) -> str:
    if requirement == "tenure_years":
        return "time in the role: no course shortens it"
    if requirement == "score":
        return "the composite score rises with the KPIs above; no course of its own"
    return f"no course in the catalogue addresses {_label(requirement)} at {level} level"


# ---------------------------------------------------------------------------- pages


def _show(key: str, value: float) -> str:
    """A requirement's value as a rep reads it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not known"
    if key in ("attainment", "retention"):
        return fmt(value, "percent")
    if key == "revenue":
        return fmt(value, "money")
    if key == "new_customers":
        return fmt(value, "number", digits=1)
    if key == "sales_cycle":
        return f"{fmt(value, 'number', digits=0)} days"
    if key == "tenure_years":
        return f"{fmt(value, 'number', digits=1)} years"
    if key in ("product_knowledge", "collaboration"):
        return f"{fmt(value, 'number', digits=1)} of 5"
    if key == "score":
        return f"{fmt(value, 'number', digits=1)} points"
    return fmt(value, "number", digits=1)


def _gap_text(status: str, key: str, rule: str, gap: float) -> str:
    if status != "not met":
        return status
    size = (fmt(abs(gap) * 100, "number", digits=1) + " points"
            if key in ("attainment", "retention") else _show(key, abs(gap)))
    return f"not met: {'over' if rule == 'at most' else 'short'} by {size}"


def _text(value) -> str:
    """A cell as text: '' for a missing value (NA, NaN, None)."""
    return "" if value is None or value is pd.NA or (isinstance(value, float)
                                                     and np.isnan(value)) else str(value)


def _gap_rows(gaps: pd.DataFrame) -> list[str]:
    """The gap table's rows as HTML, one per row of `gaps` (top-level rows give '')."""
    e = html.escape
    cols = [gaps[c].astype(object).tolist() for c in ("requirement", "label", "rule", "value",
                                                      "required", "gap", "status")]
    out, needs = [], {}  # a requirement's bound is written once, not once a rep
    for key, label, rule, value, required, gap, status in zip(*cols, strict=True):
        key, status = _text(key), _text(status)
        if not key:
            out.append("")
            continue
        need = needs.get((key, rule, required))
        if need is None:
            need = needs[(key, rule, required)] = f"{rule} {_show(key, required)}"
        out.append(f"<tr><td>{e(_text(label))}</td><td>{e(_show(key, value))}</td>"
                   f"<td>{e(need)}</td><td>{e(_gap_text(status, key, _text(rule), gap))}"
                   "</td></tr>")
    return out


def _plan_items(plan: pd.DataFrame) -> list[str]:
    """Each plan row as a list item: a course, or a gap no course closes and why."""
    e = html.escape
    cols = [plan[c].astype(object).tolist() for c in ("course", "hours", "format",
                                                      "description", "label", "note")]
    out = []
    for course, hours, form, desc, label, note in zip(*cols, strict=True):
        course = _text(course)
        if not course:
            out.append(f"<li>{e(_text(label))}: {e(_text(note))}</li>")
            continue
        what = ", ".join(x for x in (f"{fmt(hours, 'number', digits=0)} hours"
                                     if _text(hours) else "", _text(form)) if x)
        desc = f" {e(_text(desc))}" if _text(desc) else ""
        out.append(f"<li><b>{e(course)}</b>" + (f" ({e(what)})" if what else "")
                   + f": for {e(_text(label))}.{desc}</li>")
    return out


def _page(rep: str, name: str, box: dict | None, level: str, nxt: str, rows: list[str],
          met: list, items: list[str], courses: list[bool]) -> tuple[str, str]:
    e = html.escape
    title = f"Development plan: {person(rep, name)}"
    parts = ["<section>", f"<h1>{e(title)}</h1>"]
    if level:
        parts.append(f"<p>Level: <b>{e(level)}</b>. "
                     + (f"Next level: <b>{e(nxt)}</b>.</p>" if nxt
                        else "This is the top level: there is no next level.</p>"))
    else:
        parts.append("<p>Level: not graded.</p>")
    parts.append("<h2>Where you stand</h2>")
    if box is None:
        parts.append("<p>Not placed on the 9-box: there is no composite score.</p>")
    else:
        source = _text(box["potential_source"])
        said = ("rated by your manager" if source == "manager"
                else source.replace("proxy: ", "from the data: ", 1))
        parts.append(f"<p>9-box: <b>{e(_text(box['box']))}</b> ({e(_text(box['performance']))}"
                     f" performance, {e(_text(box['potential']))} potential; potential "
                     f"{e(said)}).</p>")
        if _text(box.get("manager_note")):
            parts.append(f"<p>Manager's note: {e(_text(box['manager_note']))}</p>")
        parts.append(f"<p>Suggested action: {e(_text(box['action']))}</p>")
    if nxt:
        unmet = sum(m is False for m in met)
        unknown = sum(m is None for m in met)
        parts += [f"<h2>Gaps to the next level ({e(nxt)})</h2>",
                  "<table><tr><th>Requirement</th><th>You</th><th>Needed</th>"
                  "<th>Status</th></tr>", *rows, "</table>",
                  f"<p>All {len(met)} requirements of the next level are met.</p>"
                  if unmet == unknown == 0 else
                  f"<p>{unmet} of {len(met)} requirements not met yet"
                  + (f"; {unknown} cannot be checked with the data in hand" if unknown
                     else "") + ".</p>"]
    parts.append("<h2>Training</h2>")
    listed = [item for item, is_course in zip(items, courses, strict=True) if is_course]
    rest = [item for item, is_course in zip(items, courses, strict=True) if not is_course]
    if listed:
        parts += ["<ul>", *listed, "</ul>"]
    elif nxt:
        parts.append("<p>No course is needed: every requirement that can be checked is "
                     "met.</p>" if not rest else
                     "<p>No course in the catalogue closes these gaps at this level.</p>")
    else:
        parts.append("<p>No course for a next level: this is the top level.</p>")
    if rest:
        parts += ["<ul>", *rest, "</ul>"]
    parts.append("</section>")
    return title, "\n".join(parts)


def development_page(rep_id: str, box: pd.DataFrame | None, gaps: pd.DataFrame,
                     plan: pd.DataFrame, *, names: pd.Series | None = None) -> str:
    """One rep's development page, an HTML fragment: level, 9-box and action, the gaps to
    the next level, the courses.

    Simple HTML only (a `<section>` with headings, paragraphs, a table and lists; every
    value from data escaped), for `helpers.documents` to wrap into a page or a PDF. The
    same fragment `development_pages` gives for the rep.

    Parameters
    ----------
    rep_id : str
        The rep.
    box : pandas.DataFrame or None
        The frame from `nine_box` (None: no 9-box).
    gaps : pandas.DataFrame
        The frame from `level_gaps`.
    plan : pandas.DataFrame
        The frame from `development_plan`.
    names : pandas.Series, optional
        rep_id -> name; None uses `box`'s names when it has them.

    Returns
    -------
    str
        The fragment.

    Raises
    ------
    GradingError
        When the rep is in neither `gaps` nor `box`.
    """
    mine = gaps[gaps["rep_id"] == rep_id]
    in_box = box is not None and rep_id in box.index
    if not len(mine) and not in_box:
        raise GradingError(f"rep_id={rep_id!r}: not among the reps with gaps or a 9-box")
    pages = development_pages(box.loc[[rep_id]] if in_box else None, mine,
                              plan[plan["rep_id"] == rep_id],
                              names=names if names is not None or box is None
                              or "name" not in box else box["name"])
    return pages[rep_id][1]


def development_pages(box: pd.DataFrame | None, gaps: pd.DataFrame, plan: pd.DataFrame, *,
                      names: pd.Series | None = None) -> dict[str, tuple[str, str]]:
    """Every rep's development page, keyed by rep_id (in rep_id order).

    Each table row and list item is written once from plain lists, then the pages are
    put together rep by rep (a few microseconds a page; see `development_page`).

    Parameters
    ----------
    box : pandas.DataFrame or None
        The frame from `nine_box` (None: no 9-box).
    gaps : pandas.DataFrame
        The frame from `level_gaps`.
    plan : pandas.DataFrame
        The frame from `development_plan`.
    names : pandas.Series, optional
        rep_id -> name; None uses `box`'s names when it has them.

    Returns
    -------
    dict of str to tuple of (str, str)
        rep_id -> (title, HTML fragment), for every rep in `gaps` or `box`.
    """
    if names is None:
        names = (box["name"] if box is not None and "name" in box
                 else pd.Series([], dtype=object))
    who = {str(k): _text(v) for k, v in pd.Series(names).astype(object).items()}
    boxes = {}
    if box is not None:
        fields = [c for c in ("box", "performance", "potential", "potential_source",
                              "manager_note", "action") if c in box]
        lists = [box[c].astype(object).tolist() for c in fields]
        boxes = {str(rep): dict(zip(fields, values, strict=True))
                 for rep, *values in zip(box.index, *lists, strict=True)}
    reps = sorted(set(gaps["rep_id"].astype(str)) | set(boxes))
    rows, items = _gap_rows(gaps), _plan_items(plan)
    g_rep = gaps["rep_id"].astype(str).tolist()
    g_level = gaps["level"].astype(object).tolist()
    g_next = gaps["next_level"].astype(object).tolist()
    g_met = [None if m is pd.NA else bool(m) for m in gaps["met"].astype(object).tolist()]
    p_rep = plan["rep_id"].astype(str).tolist()
    p_course = plan["course"].notna().tolist()
    by_gap: dict[str, list[int]] = {}
    for i, rep in enumerate(g_rep):
        by_gap.setdefault(rep, []).append(i)
    by_plan: dict[str, list[int]] = {}
    for i, rep in enumerate(p_rep):
        by_plan.setdefault(rep, []).append(i)
    out = {}
    for rep in reps:
        gi, pi = by_gap.get(rep, []), by_plan.get(rep, [])
        level = _text(g_level[gi[0]]) if gi else ""
        nxt = next((_text(g_next[i]) for i in gi if _text(g_next[i])), "")
        out[rep] = _page(rep, who.get(rep, ""), boxes.get(rep), level, nxt,
                         [rows[i] for i in gi if rows[i]],
                         [g_met[i] for i in gi if rows[i]], [items[i] for i in pi],
                         [p_course[i] for i in pi])
    return out


__all__ = ["BOXES", "GRADES", "POTENTIAL_COLUMNS", "SAMPLE_CATALOGUE", "development_page",
           "development_pages", "development_plan", "level_gaps", "load_catalogue",
           "load_potential", "nine_box", "potential_trend", "year_before"]
