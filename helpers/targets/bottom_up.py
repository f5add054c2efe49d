"""Bottom-up targets: managers' (or reps') commitments against the top-down targets.

Notebook 01 splits the company number top-down. The people who must sell it are asked what
they commit to; this module reads those commitments (`load_commitments`), sets them beside
the top-down targets and the rep's own history (`compare_commitments`, rolled up by team and
region with `commitment_gaps`), and builds targets that start from the commitments yet keep
the company total exact to the cent (`reconcile`, every split through the largest remainder
of `allocate`). `sample_commitments` makes the sample company's file.

Flags judge a commitment against the rep's own record, not against the top-down target:

- "soft": below `SOFT_BELOW` (90%) of the rep's own pace, last year's run-rate (ramp-
  adjusted, outlier months capped, as the targets' basis) times the rep's capacity in the
  plan year; a sandbagged number asks for less than the rep already sells.
- "unrealistic": above `UNREALISTIC_ABOVE` (150%) of the rep's best 12 consecutive months
  of history, or of the pace when that is higher (a hire still ramping).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from .. import streams
from ..data import Dataset, _read_file, _Rows, among, validate, write_atomic
from ..deals import _clean_amount
from ..errors import TargetError
from ..formatting import fmt
from ..numbers import divide_or_nan
from ..schema import Column, Table
from .allocation import PRECISION, _allocate_grouped, _money, run_rate

Rule = Literal["proportional", "top_down_gap", "blend"]
RECONCILE_RULES: tuple[str, ...] = get_args(Rule)
"""How `reconcile` moves the difference between the commitments and the total."""
Keep = Literal["company", "region", "team"]
KEEPS: tuple[str, ...] = get_args(Keep)
"""Whose top-down totals `reconcile` keeps: the company's only, or each region's or team's."""
Missing = Literal["keep", "top_down"]
MISSING: tuple[str, ...] = get_args(Missing)
"""What `reconcile` does with a rep without a commitment (see `reconcile`)."""
Rollup = Literal["rep", "team", "region", "company"]
ROLLUPS: tuple[str, ...] = get_args(Rollup)
SOFT_BELOW = 0.9
"""A commitment under this share of the rep's own pace is "soft" (sandbagged)."""
UNREALISTIC_ABOVE = 1.5
"""A commitment over this multiple of the rep's best 12 months (or pace) is "unrealistic"."""
COMMITMENTS_FILE = "commitments.csv"
"""The commitments' file name beside the data (`load_commitments` of a folder)."""
COMMITMENT_FLAGS = ("ok", "soft", "unrealistic", "not judged", "no commitment", "not in targets")
"""What `compare_commitments` says of each row, in plain words."""
COMMITMENT_MEASURES = tuple(PRECISION)
"""Measures a commitment may be in (a history column the targets plan)."""
COMMITMENTS = Table("commitments", (
    Column("rep_id", "str"),
    Column("commitment", "float", min=0, nullable=True, unit="currency/year",
           doc="annual commitment; empty: none submitted"),
    Column("measure", "str", required=False, doc="revenue (default) or new_customers"),
    Column("submitted_by", "str", required=False, nullable=True),
    Column("note", "str", required=False, nullable=True),
), key=("rep_id", "measure"))
"""The commitments file's columns (validated by `helpers.data.validate`)."""


# ------------------------------------------------------------------------------ loading


def load_commitments(path: str | Path, roster: pd.DataFrame | Dataset | None = None
                     ) -> pd.DataFrame:
    """Read submitted commitments (CSV, XLSX or Parquet), or none when the file is absent.

    Amounts are read as the deals loader reads money ("1,234,567.50", "$1,234", "USD
    1,234"); an empty amount means no commitment for that rep (dropped, with a note). The
    measure column is optional (default "revenue"). A missing file is not an error: the
    result is empty and `attrs["note"]` says the top-down targets stand.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, or a folder holding `COMMITMENTS_FILE` (commitments.csv).
    roster : pandas.DataFrame or Dataset or None, default None
        When given, every rep_id must be in its roster.

    Returns
    -------
    pandas.DataFrame
        rep_id, measure, commitment, submitted_by, note (one row per rep and measure, in
        the file's order); `attrs["note"]` says what was read or assumed.

    Raises
    ------
    DataError
        Naming the file, the column and the offending lines: a missing column, an amount
        that is not a number or is negative, a rep twice for one measure, an unknown
        measure, or a rep not in `roster`.
    """
    path = Path(path)
    file = path / COMMITMENTS_FILE if path.is_dir() else path
    if not file.exists():
        out = _empty_commitments()
        out.attrs["note"] = (f"No {file.name} was found, so no commitments were read: the "
                             "top-down targets stand as they are.")
        return out
    raw = _read_file(file)
    if "measure" not in raw.columns:
        raw = raw.assign(measure="revenue")
    raw = raw.assign(measure=raw["measure"].fillna("revenue"))
    if "commitment" in raw.columns:
        raw = raw.assign(commitment=_clean_amount(raw["commitment"]))
    source = raw.attrs.get("source", str(file))
    parsed = validate(raw, COMMITMENTS, source)
    rows = _Rows(raw, source, COMMITMENTS)
    rows.fail("measure", ~parsed["measure"].isin(COMMITMENT_MEASURES).to_numpy(),
              "names a measure that has no targets", f"one of {', '.join(COMMITMENT_MEASURES)}")
    if roster is not None:
        roster = roster.roster if isinstance(roster, Dataset) else roster
        rows.fail("rep_id", ~among(parsed["rep_id"], roster["rep_id"]),
                  "names reps that are not in the roster", "every rep_id in the roster")
    blank = parsed["commitment"].isna()
    out = parsed.loc[~blank].reindex(columns=[c.name for c in COMMITMENTS.columns])
    out = out.reset_index(drop=True).astype(
        {"rep_id": "string", "measure": "string", "submitted_by": "string", "note": "string"})
    note = f"Read {len(out)} commitment(s) from {file.name}."
    if blank.any():
        kind = raw.attrs.get("rows", "row")
        where = ", ".join(str(i) for i in raw.index[blank.to_numpy()][:5])
        note += (f" {int(blank.sum())} row(s) without an amount ({kind} {where}) are read as "
                 "no commitment.")
    out.attrs["note"] = note
    return out


def _empty_commitments() -> pd.DataFrame:
    return pd.DataFrame({"rep_id": pd.Series(dtype="string"),
                         "commitment": pd.Series(dtype="float64"),
                         "measure": pd.Series(dtype="string"),
                         "submitted_by": pd.Series(dtype="string"),
                         "note": pd.Series(dtype="string")})


def _commitment_table(commitments: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """rep_id, measure, commitment from a frame (or a Series indexed by rep_id), checked."""
    if isinstance(commitments, pd.Series):
        commitments = pd.DataFrame({"rep_id": commitments.index.astype("string"),
                                    "commitment": commitments.to_numpy(dtype="float64")})
    missing = [c for c in ("rep_id", "commitment") if c not in commitments.columns]
    if missing:
        raise TargetError(f"commitments: missing column(s) {missing}; expected rep_id and "
                          "commitment (load_commitments reads a file)")
    frame = commitments.assign(
        rep_id=commitments["rep_id"].astype("string"),
        measure=(commitments["measure"].astype("string").fillna("revenue")
                 if "measure" in commitments else "revenue"),
        commitment=pd.to_numeric(commitments["commitment"], errors="coerce"))
    frame = frame[frame["commitment"].notna()]
    bad = ~np.isfinite(frame["commitment"].to_numpy()) | (frame["commitment"] < 0).to_numpy()
    if bad.any():
        shown = frame.loc[bad, ["rep_id", "commitment"]].head(5).to_numpy().tolist()
        raise TargetError(f"commitments: column 'commitment' must be a finite amount >= 0; "
                          f"got (rep_id, commitment) {shown}")
    dup = frame.duplicated(["rep_id", "measure"], keep=False)
    if dup.any():
        shown = sorted(set(frame.loc[dup, "rep_id"].tolist()))[:5]
        raise TargetError(f"commitments: reps {shown} have more than one commitment for the "
                          "same measure; keep one a rep")
    return frame[["rep_id", "measure", "commitment"]].reset_index(drop=True)


def _measures(commitments: pd.DataFrame, measure: str | None) -> list[str]:
    if measure is not None:
        return [measure]
    seen = list(dict.fromkeys(commitments["measure"].tolist()))
    return seen or ["revenue"]


def _targets_of(targets: pd.DataFrame, measure: str) -> pd.DataFrame:
    missing = [c for c in ("rep_id", "target") if c not in targets.columns]
    if missing:
        raise TargetError(f"targets: missing column(s) {missing}; pass TargetPlan.targets or "
                          "allocate_targets' rows")
    rows = targets[targets["measure"] == measure] if "measure" in targets else targets
    rows = rows.assign(measure=measure)
    for column in ("region", "team"):
        if column not in rows:
            rows = rows.assign(**{column: "all"})
    if rows["rep_id"].duplicated().any():
        dup = rows.loc[rows["rep_id"].duplicated(), "rep_id"].head(5).tolist()
        raise TargetError(f"targets: reps {dup} appear twice for {measure!r}")
    return rows.reset_index(drop=True)


# ------------------------------------------------------------------------- comparison


def best_months(history: pd.DataFrame, year: int, measure: str = "revenue",
                months: int = 12) -> pd.Series:
    """Each rep's best run of `months` consecutive months before `year` (their best year).

    Only windows of months the rep has history for count; a rep with fewer months has
    NaN (not judged on it).

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    year : int
        The plan year: only months before it are read.
    measure : str, default "revenue"
        The history column.
    months : int, default 12
        The window's length.

    Returns
    -------
    pandas.Series
        "best_12_months" (for 12), indexed by rep_id.
    """
    rows = history[history["month"].dt.year < year]
    rep, ids = pd.factorize(rows["rep_id"])
    if not len(ids):
        return pd.Series(dtype="float64", name=f"best_{months}_months")
    stamp = rows["month"].dt.year.to_numpy() * 12 + rows["month"].dt.month.to_numpy()
    col = stamp - stamp.min()
    grid = np.zeros((len(ids), col.max() + 1))
    seen = np.zeros_like(grid)
    grid[rep, col] = rows[measure].to_numpy(dtype="float64")
    seen[rep, col] = 1.0
    if grid.shape[1] < months:
        best = np.full(len(ids), np.nan)
    else:
        run = np.cumsum(np.pad(grid, ((0, 0), (1, 0))), axis=1)
        count = np.cumsum(np.pad(seen, ((0, 0), (1, 0))), axis=1)
        sums = run[:, months:] - run[:, :-months]
        full = (count[:, months:] - count[:, :-months]) == months
        best = np.where(full, sums, -np.inf).max(axis=1)
        best = np.where(np.isfinite(best), best, np.nan)
    return pd.Series(best, index=pd.Index(ids, name="rep_id"), name=f"best_{months}_months")


def _pace(rows: pd.DataFrame, history: pd.DataFrame, year: int, measure: str) -> np.ndarray:
    """Last year's run-rate × capacity in the plan year: the targets' own columns, else the
    run-rate of the history (no ramp) at full capacity.
    """
    if "run_rate" in rows:
        rate = rows["run_rate"].to_numpy(dtype="float64")
    else:
        hire = (rows.set_index("rep_id")["hire_date"] if "hire_date" in rows
                else pd.Series(pd.Timestamp("1900-01-01"), index=rows["rep_id"]))
        rate = run_rate(history, hire, year, ramp=(), measure=measure).to_numpy()
    capacity = rows["capacity"].to_numpy(dtype="float64") if "capacity" in rows else 1.0
    return rate * capacity


def compare_commitments(targets: pd.DataFrame, commitments: pd.DataFrame | pd.Series,
                        history: pd.DataFrame, *, year: int | None = None,
                        measure: str | None = None, soft_below: float = SOFT_BELOW,
                        unrealistic_above: float = UNREALISTIC_ABOVE) -> pd.DataFrame:
    """Each rep's commitment beside the top-down target and the rep's own history, flagged.

    Matched on rep_id (and measure). Every rep of the targets has a row, "no commitment"
    when none was submitted; a commitment for a rep the targets do not have (a leaver, a
    typo the roster check let through) gets a row flagged "not in targets" at the end.
    `flag` is "soft" when commitment < soft_below × pace, "unrealistic" when commitment >
    unrealistic_above × max(best 12 months, pace), "not judged" when the rep has neither,
    else "ok" (the boundaries themselves are "ok"); `reason` says why in plain words.

    Parameters
    ----------
    targets : pandas.DataFrame
        Top-down targets: `TargetPlan.targets` (rep_id, region, team, measure, target,
        run_rate, capacity); without run_rate the pace is the history's run-rate.
    commitments : pandas.DataFrame or pandas.Series
        `load_commitments` rows (rep_id, commitment, measure), or amounts by rep_id.
    history : pandas.DataFrame
        Monthly history (rep_id, month, the measure).
    year : int or None, default None
        The plan year; None for the year after the history's last month.
    measure : str or None, default None
        The measure to compare; None for every measure of the commitments (revenue when
        there are none).
    soft_below : float, default SOFT_BELOW
        Share of the pace under which a commitment is soft.
    unrealistic_above : float, default UNREALISTIC_ABOVE
        Multiple of the best 12 months over which a commitment is unrealistic.

    Returns
    -------
    pandas.DataFrame
        One row a rep and measure: rep_id, name (when the targets have it), region, team,
        measure, top_down, commitment, gap (commitment - top_down), gap_share (of
        top_down), last_year, best_12_months, pace, flag (`COMMITMENT_FLAGS`) and reason;
        sorted by measure, region, team and rep_id, reps not in the targets last.
        `attrs["note"]` counts the flags in a sentence.

    Raises
    ------
    TargetError
        If a threshold is not a positive number, the targets or commitments miss a
        column, a commitment is negative or repeated, or `year` is None and the history
        is empty.
    """
    for name, value in (("soft_below", soft_below), ("unrealistic_above", unrealistic_above)):
        if not (np.isfinite(value) and value > 0):
            raise TargetError(f"{name}: must be a number > 0, got {value!r}")
    given = _commitment_table(commitments)
    if year is None and history.empty:
        raise TargetError("year: the history is empty, so the plan year cannot be read from "
                          "it; pass year=")
    year = int(history["month"].max().year + 1) if year is None else int(year)
    frames = []
    for m in _measures(given, measure):  # one or two measures, never reps
        rows = _targets_of(targets, m)
        mine = given[given["measure"] == m].set_index("rep_id")["commitment"]
        frames.append(_compare(rows, mine, history, year, m, soft_below, unrealistic_above))
    out = pd.concat(frames, ignore_index=True)
    counts = out["flag"].value_counts()
    counted = ", ".join(f"{counts[f]} {f}" for f in COMMITMENT_FLAGS if f in counts)
    out.attrs["note"] = (
        f"Commitments: {counted} (soft below {soft_below:.0%} "
        f"of the rep's pace, unrealistic above {unrealistic_above:.0%} of the best 12 months).")
    return out


def _compare(rows: pd.DataFrame, mine: pd.Series, history: pd.DataFrame, year: int,
             measure: str, soft_below: float, unrealistic_above: float) -> pd.DataFrame:
    ids = rows["rep_id"]
    kind = "money" if measure == "revenue" else "count"
    hist = history[["rep_id", "month", measure]] if measure in history else None
    if hist is not None:
        last = hist[hist["month"].dt.year == year - 1].groupby("rep_id")[measure].sum()
        best = best_months(hist, year, measure)
        pace = _pace(rows, hist, year, measure)
    else:
        last = best = pd.Series(dtype="float64")
        pace = np.full(len(rows), np.nan)
    top = rows["target"].to_numpy(dtype="float64")
    c = mine.reindex(ids).to_numpy(dtype="float64")
    best12 = best.reindex(ids).to_numpy(dtype="float64")
    high = np.fmax(best12, pace)
    has = ~np.isnan(c)
    soft = has & (c < soft_below * pace)
    unreal = has & (c > unrealistic_above * high)
    judged = ~np.isnan(pace) | ~np.isnan(high)
    flag = np.select([~has, unreal, soft, ~judged], ["no commitment", "unrealistic", "soft",
                                                     "not judged"], "ok")
    reason = np.select(
        [flag == "no commitment", flag == "not judged"],
        ["no commitment was submitted: the top-down target stands",
         f"no history before {year} to judge the commitment against"],
        "in line with the rep's own history").astype(object)
    for i in np.flatnonzero(soft | unreal):  # the few flagged reps, in plain words
        if unreal[i]:
            reason[i] = (f"{fmt(c[i], kind)} is {fmt(c[i] / high[i], 'percent', digits=0)} of "
                         f"the rep's best 12 months or pace ({fmt(high[i], kind)}): above "
                         f"{fmt(unrealistic_above, 'percent', digits=0)}")
        else:
            reason[i] = (f"{fmt(c[i], kind)} is {fmt(c[i] / pace[i], 'percent', digits=0)} of "
                         f"the rep's own pace ({fmt(pace[i], kind)} a year at last year's "
                         f"run-rate): below {fmt(soft_below, 'percent', digits=0)}")
    keep = [c for c in ("rep_id", "name", "region", "team") if c in rows]
    out = rows[keep].assign(
        measure=measure, top_down=top, commitment=c, gap=c - top,
        gap_share=divide_or_nan(c - top, top), last_year=last.reindex(ids).to_numpy(),
        best_12_months=best12, pace=pace, flag=flag, reason=reason)
    extra = mine[~among(mine.index.to_series(), ids)]
    if len(extra):
        out = pd.concat([out.sort_values(["region", "team", "rep_id"]), pd.DataFrame({
            "rep_id": extra.index.astype("string"), "measure": measure,
            "commitment": extra.to_numpy(), "flag": "not in targets",
            "reason": "a commitment for a rep without a top-down target (left, or not on the "
                      "plan roster): not used"})], ignore_index=True)
        return out
    return out.sort_values(["region", "team", "rep_id"], ignore_index=True)


def commitment_gaps(table: pd.DataFrame, by: Rollup = "team") -> pd.DataFrame:
    """Commitments against the top-down targets rolled up by team, region or the company.

    The gap compares like with like: the commitments with the top-down targets of the reps
    who committed (`top_down_committed`); `uncommitted` is the top-down target of the reps
    without one. Amounts are summed in units of the measure's precision (cents), so a team
    adds up to its reps and a region to its teams exactly. Works on `reconcile`'s table too
    (its `target` column is summed alike).

    Parameters
    ----------
    table : pandas.DataFrame
        `compare_commitments` (or `reconcile`) rows.
    by : {"rep", "team", "region", "company"}, default "team"
        The rollup; "rep" returns the rows of reps in the targets as they are.

    Returns
    -------
    pandas.DataFrame
        One row a measure and group (measure, region, team as `by` asks): reps, committed,
        top_down, commitment, top_down_committed, gap, gap_share, uncommitted, the counts
        soft and unrealistic (when the table has flags) and target (when it has one).

    Raises
    ------
    TargetError
        If `by` is not one of `ROLLUPS`.
    """
    if by not in ROLLUPS:
        raise TargetError(f"by: expected one of {ROLLUPS}, got {by!r}")
    rows = table[table["top_down"].notna()] if "top_down" in table else table
    if by == "rep":
        return rows.reset_index(drop=True)
    keys = ["measure", *{"company": [], "region": ["region"], "team": ["region", "team"]}[by]]
    step = rows["measure"].map(PRECISION).fillna(1.0).to_numpy(dtype="float64")
    has = rows["commitment"].notna().to_numpy()
    units = {
        "top_down": rows["top_down"].to_numpy(dtype="float64"),
        "commitment": np.where(has, rows["commitment"].to_numpy(dtype="float64"), 0.0),
        "top_down_committed": np.where(has, rows["top_down"].to_numpy(dtype="float64"), 0.0),
        "uncommitted": np.where(has, 0.0, rows["top_down"].to_numpy(dtype="float64")),
    }
    if "target" in rows:
        units["target"] = rows["target"].to_numpy(dtype="float64")
    frame = rows[keys].assign(
        reps=1, committed=has.astype("int64"),
        **{k: np.rint(v / step).astype("int64") for k, v in units.items()})
    if "flag" in rows:
        frame = frame.assign(soft=(rows["flag"] == "soft").to_numpy().astype("int64"),
                             unrealistic=(rows["flag"] == "unrealistic").to_numpy()
                             .astype("int64"))
    out = frame.groupby(keys, sort=True).sum().reset_index()
    step = out["measure"].map(PRECISION).fillna(1.0).to_numpy(dtype="float64")
    for k in units:
        out[k] = _money(out[k].to_numpy(), step)
    out["gap"] = _money(np.rint((out["commitment"] - out["top_down_committed"]) / step), step)
    out["gap_share"] = divide_or_nan(out["gap"].to_numpy(), out["top_down_committed"].to_numpy())
    first = [*keys, "reps", "committed", "top_down", "commitment", "top_down_committed", "gap",
             "gap_share", "uncommitted"]
    return out[first + [c for c in out.columns if c not in first]]


# ----------------------------------------------------------------------- reconciliation


def reconcile(targets: pd.DataFrame, commitments: pd.DataFrame | pd.Series, *,
              rule: Rule = "proportional", total: float | Mapping[str, float] | None = None,
              weight: float = 0.5, keep: Keep = "company", missing: Missing = "keep",
              measure: str | None = None, precision: float | None = None) -> pd.DataFrame:
    """Targets that start from the commitments and add up exactly to the total.

    The total kept is the top-down total (or `total`) of the company, or with `keep`
    each region's or team's top-down total (scaled to `total` by largest remainder when
    one is given). Within it, reps without a commitment keep their top-down target
    (missing="keep"; missing="top_down" counts their top-down target as their commitment
    so they are scaled too, as are the reps of a group where nobody committed), and the
    rest is split over the reps who committed, by `rule`:

    - "proportional": in proportion to the commitments (each scaled by the same factor);
    - "top_down_gap": each keeps the commitment, and the difference to the total is spread
      in proportion to the top-down targets; a cut never takes a rep below zero (what a
      rep cannot give is spread over the others, round by round);
    - "blend": in proportion to weight × top-down + (1 - weight) × commitment.

    Every split is a largest remainder in units of `precision` (`allocate`), in the keyed
    order of the reps (`helpers.streams`: who the rep is, not the row or the id), so the
    spare cents are deterministic and the parts sum exactly. A group whose weights are
    all zero is split by the top-down targets, then equally, and the note says so.

    Parameters
    ----------
    targets : pandas.DataFrame
        Top-down targets: `TargetPlan.targets` rows (rep_id, region, team, measure,
        target; name and hire_date key the tie order).
    commitments : pandas.DataFrame or pandas.Series
        `load_commitments` rows (rep_id, commitment, measure), or amounts by rep_id.
    rule : {"proportional", "top_down_gap", "blend"}, default "proportional"
        How the difference is moved, as above.
    total : float or Mapping of str to float or None, default None
        The company total to keep (one amount, or measure -> amount); None keeps the
        top-down total.
    weight : float, default 0.5
        The top-down's weight in rule="blend", 0..1 (0 is "proportional").
    keep : {"company", "region", "team"}, default "company"
        Whose top-down totals are kept.
    missing : {"keep", "top_down"}, default "keep"
        Reps without a commitment keep their top-down target, or are scaled with the rest.
    measure : str or None, default None
        The measure; None for every measure of the commitments (revenue when none).
    precision : float or None, default None
        Rounding step; None for PRECISION[measure] (cents for revenue).

    Returns
    -------
    pandas.DataFrame
        One row a rep and measure, sorted by measure, region, team and rep_id: rep_id,
        name (when given), region, team, measure, top_down, commitment, target, change
        (target - top_down) and basis (in plain words). `attrs["note"]` says what was done
        and what was assumed; `attrs["unused"]` lists commitments for reps not in the
        targets.

    Raises
    ------
    TargetError
        If `rule`, `keep`, `missing`, `weight`, `total` or `precision` is out of range, the
        totals kept are below the targets of the reps who keep theirs, or a commitment is
        negative or repeated.
    """
    if rule not in RECONCILE_RULES:
        raise TargetError(f"rule: expected one of {RECONCILE_RULES}, got {rule!r}")
    if keep not in KEEPS:
        raise TargetError(f"keep: expected one of {KEEPS}, got {keep!r}")
    if missing not in MISSING:
        raise TargetError(f"missing: expected one of {MISSING}, got {missing!r}")
    if not (np.isfinite(weight) and 0 <= weight <= 1):
        raise TargetError(f"weight: must be between 0 and 1, got {weight!r}")
    given = _commitment_table(commitments)
    measures = _measures(given, measure)
    if total is not None and not isinstance(total, Mapping) and len(measures) > 1:
        raise TargetError(f"total: one amount for the measures {measures}; pass "
                          "{measure: amount}")
    frames, notes, unused = [], [], []
    for m in measures:  # one or two measures, never reps
        rows = _targets_of(targets, m)
        mine = given[given["measure"] == m].set_index("rep_id")["commitment"]
        wanted = total.get(m) if isinstance(total, Mapping) else total
        step = PRECISION.get(m, 1.0) if precision is None else precision
        frame, note = _reconcile(rows, mine, rule, wanted, weight, keep, missing, m, step)
        frames.append(frame)
        notes.append(note)
        unused += mine.index[~among(mine.index.to_series(), rows["rep_id"])].tolist()
    out = pd.concat(frames, ignore_index=True)
    if unused:
        notes.append(f"{len(unused)} commitment(s) for reps not in the targets were not used "
                     f"({', '.join(map(str, unused[:5]))}).")
    out.attrs.update(note=" ".join(notes), unused=unused)
    return out


def _reconcile(rows: pd.DataFrame, mine: pd.Series, rule: str, total, weight: float,
               keep: str, missing: str, measure: str, step: float) -> tuple[pd.DataFrame, str]:
    # the keyed order: ties of the largest remainder go to the earlier rep in it
    people = rows.set_index("rep_id")
    order = np.argsort(streams.rep_keys(rows["rep_id"], people), kind="stable")
    rows = rows.iloc[order].reset_index(drop=True)
    top = rows["target"].to_numpy(dtype="float64")
    td = _to_units(top, step, "targets: column 'target'")
    c = mine.reindex(rows["rep_id"]).to_numpy(dtype="float64")
    has = ~np.isnan(c)
    group = _groups(rows, keep)
    n = group.max() + 1
    kept = _group_totals(td, group, n, total, step, keep)
    someone = np.bincount(group, has, minlength=n) > 0
    eligible = has | (missing == "top_down") | ~someone[group]
    amount = np.where(has, c, top)  # what an eligible rep brings: commitment or top-down
    free = kept - np.bincount(group, np.where(eligible, 0, td), minlength=n).astype(np.int64)
    if (free < 0).any():
        g = int(np.flatnonzero(free < 0)[0])
        name = _group_name(rows, group, g, keep)
        raise TargetError(
            f"total: {name} keeps {fmt(kept[g] * step, 'number')} but the reps there without "
            f"a commitment keep top-down targets of {fmt((kept[g] - free[g]) * step, 'number')}"
            "; raise the total or pass missing='top_down' to scale them too")
    fallbacks: list[str] = []
    ones = np.ones_like(top)
    if rule == "top_down_gap":
        own = np.where(eligible, _to_units(amount, step, "commitments"), 0)
        diff = free - np.bincount(group, own, minlength=n).astype(np.int64)
        plus = _split(np.maximum(diff, 0), group, eligible,
                      [(top, ""), (amount, "by the commitments"), (ones, "equally")], fallbacks)
        minus = _cut(np.maximum(-diff, 0), group, eligible, top, own)
        parts = own + plus - minus
    else:
        mix = amount if rule == "proportional" else weight * top + (1 - weight) * amount
        parts = _split(free, group, eligible, [(mix, ""), (top, "by the top-down targets"),
                                               (ones, "equally")], fallbacks)
    new = np.where(eligible, parts, td)
    basis = np.where(has, "from the commitment",
                     np.where(eligible, "top-down target scaled (no commitment)",
                              "top-down target kept (no commitment)"))
    keep_cols = [col for col in ("rep_id", "name", "region", "team") if col in rows]
    out = rows[keep_cols].assign(
        measure=measure, top_down=top, commitment=c, target=_money(new, step),
        change=_money(new - td, step), basis=basis)
    out = out.sort_values(["region", "team", "rep_id"], ignore_index=True)
    return out, _note(out, rule, weight, keep, kept.sum() * step, measure, fallbacks, step)


def _to_units(values: np.ndarray, step: float, what: str) -> np.ndarray:
    if not step > 0:
        raise TargetError(f"precision: must be > 0, got {step!r}")
    values = np.asarray(values, dtype="float64")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise TargetError(f"{what}: must be finite amounts >= 0; got {values[bad][:5].tolist()}")
    return np.rint(values / step).astype(np.int64)


def _groups(rows: pd.DataFrame, keep: str) -> np.ndarray:
    if keep == "company":
        return np.zeros(len(rows), dtype=np.int64)
    label = rows["region"].astype("string")
    if keep == "team":
        label = label + "\x00" + rows["team"].astype("string")
    return pd.factorize(label, sort=True)[0].astype(np.int64)


def _group_name(rows: pd.DataFrame, group: np.ndarray, g: int, keep: str) -> str:
    if keep == "company":
        return "the company"
    first = rows.iloc[int(np.flatnonzero(group == g)[0])]
    return f"{keep} {first[keep]}"


def _group_totals(td: np.ndarray, group: np.ndarray, n: int, total, step: float,
                  keep: str) -> np.ndarray:
    """Units each group keeps: its top-down total, or `total` split over the groups by it."""
    top = np.bincount(group, td, minlength=n)
    if total is None:
        return np.rint(top).astype(np.int64)
    if not (np.isfinite(total) and total >= 0):
        raise TargetError(f"total: must be a finite amount >= 0, got {total!r}")
    units = np.array([int(np.rint(total / step))], dtype=np.int64)
    if n == 1:
        return units
    if units[0] > 0 and not top.sum() > 0:
        raise TargetError(f"total: the top-down targets are all zero, so there is no basis to "
                          f"split {total!r} over the {keep}'s groups; use keep='company'")
    return _allocate_grouped(units, np.zeros(n, dtype=np.int64), top)


def _split(units: np.ndarray, group: np.ndarray, eligible: np.ndarray,
           candidates: list[tuple[np.ndarray, str]], fallbacks: list[str]) -> np.ndarray:
    """Largest remainder of units[g] over the eligible reps of group g, by the first of the
    candidate weights that is not all zero in the group (a later one is a fallback, whose
    words go to `fallbacks`).
    """
    n = len(units)
    weights = np.where(eligible, candidates[0][0], 0.0)
    for later, words in candidates[1:]:
        empty = ~(np.bincount(group, weights, minlength=n) > 0) & (units > 0)
        if not empty.any():
            break
        fallbacks.append(words)
        weights = np.where(empty[group] & eligible, later, weights)
    return _allocate_grouped(units, group, np.where(eligible, weights, 0.0))


def _cut(units: np.ndarray, group: np.ndarray, eligible: np.ndarray, top: np.ndarray,
         own: np.ndarray) -> np.ndarray:
    """Take units[g] from the eligible reps of group g in proportion to `top`, never more
    than a rep's `own`: a rep that would go below zero gives all it has and the rest is
    taken from the others, round by round (each round caps at least one rep).
    """
    n = len(units)
    taken = np.zeros(len(own), dtype=np.int64)
    left = units.astype(np.int64).copy()
    active = eligible & (own > 0)
    while (left > 0).any():
        room = own - taken
        weights = np.where(active, top, 0.0)
        # no top-down weight left: take in proportion to what each still has, which never
        # takes more than a rep has (its quota is at most its room)
        empty = ~(np.bincount(group, weights, minlength=n) > 0)
        weights = np.where(empty[group] & active, room.astype("float64"), weights)
        share = _allocate_grouped(np.where(left > 0, left, 0), group, weights)
        over = active & (share > room)
        if not over.any():
            return taken + share
        taken = np.where(over, own, taken)
        left = left - np.bincount(group, np.where(over, room, 0), minlength=n).astype(np.int64)
        active &= ~over
    return taken


def _note(out: pd.DataFrame, rule: str, weight: float, keep: str, total: float,
          measure: str, fallbacks: list[str], step: float) -> str:
    kind = "money" if measure == "revenue" else "count"
    how = {"proportional": "each commitment scaled by the same factor",
           "top_down_gap": "each commitment plus a share of the difference in proportion to "
                           "the top-down targets",
           "blend": f"a blend of {weight:.0%} top-down and {1 - weight:.0%} commitment, scaled"}
    kept = {"company": f"the company total of {fmt(total, kind)}",
            "region": f"each region's top-down total ({fmt(total, kind)} in all)",
            "team": f"each team's top-down total ({fmt(total, kind)} in all)"}[keep]
    committed = int(out["commitment"].notna().sum())
    note = (f"{measure}: targets start from {committed} commitment(s) and keep {kept} exactly "
            f"to {fmt(step, 'number', digits=2 if step < 1 else 0)}, {how[rule]}.")
    fixed = (out["basis"] == "top-down target kept (no commitment)").sum()
    scaled = (out["basis"] == "top-down target scaled (no commitment)").sum()
    if fixed:
        note += f" {fixed} rep(s) without a commitment keep their top-down target."
    if scaled:
        note += (f" {scaled} rep(s) without a commitment count their top-down target as "
                 "their commitment.")
    if fallbacks:
        note += (" Where the weights of a group were all zero it was split "
                 f"{' then '.join(dict.fromkeys(fallbacks))}.")
    return note


# ------------------------------------------------------------------------ sample file


def sample_commitments(ds: Dataset, year: int | None = None, *, seed: int = 0,
                       targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Plausible managers' commitments for the sample: most near the top-down target, a few
    sandbagged, a couple unrealistic, a few missing, one for a rep who has left.

    Each rep's draws come from their keyed stream (`helpers.streams`), so shuffling the
    roster or relabelling ids changes no rep's commitment. Amounts are rounded to the
    thousand, as people write them.

    Parameters
    ----------
    ds : Dataset
        The sample company.
    year : int or None, default None
        The plan year; None for `ds.plan_year`.
    seed : int, default 0
        The seed of the reps' streams.
    targets : pandas.DataFrame or None, default None
        Top-down revenue targets (`TargetPlan.targets`); None for `plan_targets`' defaults.

    Returns
    -------
    pandas.DataFrame
        rep_id, measure, commitment, submitted_by (the manager), note; sorted by rep_id.
    """
    from .plan import plan_targets

    year = ds.plan_year if year is None else int(year)
    if targets is None:
        targets = plan_targets(ds, year, measures=("revenue",)).targets
    rows = _targets_of(targets, "revenue")
    people = ds.roster.set_index("rep_id")
    keys = streams.rep_keys(rows["rep_id"], people, seed)
    u = streams.uniforms(keys, np.arange(3))  # kind, size, note
    top = rows["target"].to_numpy(dtype="float64")
    pace = np.nan_to_num(_pace(rows, ds.history, year, "revenue"), nan=0.0)
    best = best_months(ds.history, year).reindex(rows["rep_id"]).to_numpy()
    high = np.fmax(np.nan_to_num(best, nan=0.0), pace)
    kind = np.select([u[0] < 0.04, u[0] < 0.12, u[0] < 0.15], ["missing", "soft", "high"],
                     "near")
    amount = np.select(
        [kind == "soft", kind == "high"],
        [pace * (0.65 + 0.2 * u[1]), np.maximum(high, top) * (1.6 + 0.4 * u[1])],
        top * (0.93 + 0.12 * u[1]))
    third = np.minimum((u[2] * 3).astype(int), 2)
    notes = np.array([["two large renewals at risk", "territory split pending", ""],
                      ["counting on the new enterprise pipeline", "big logo in negotiation", ""],
                      ["", "", "agreed in the team meeting"]], dtype=object)
    note = notes[np.select([kind == "soft", kind == "high"], [0, 1], 2), third]
    out = pd.DataFrame({"rep_id": rows["rep_id"].astype("string"), "measure": "revenue",
                        "commitment": np.round(amount, -3),
                        "submitted_by": rows["manager_id"].astype("string")
                        if "manager_id" in rows else pd.NA, "note": note})
    out = out[kind != "missing"]
    left = ds.roster[ds.roster["leave_date"].notna()] if "leave_date" in ds.roster else None
    if left is not None and len(left):
        # the first leaver in the keyed order (who they are, not their id)
        leaver = left.iloc[int(np.argmin(streams.rep_keys(left["rep_id"], people, seed)))]
        rate = best_months(ds.history, year).get(leaver["rep_id"], np.nan)
        out = pd.concat([out, pd.DataFrame({
            "rep_id": [leaver["rep_id"]], "measure": ["revenue"],
            "commitment": [float(np.round(np.nan_to_num(rate, nan=500_000.0), -3))],
            "submitted_by": [leaver["manager_id"]],
            "note": ["submitted before the rep left"]})], ignore_index=True)
    out["note"] = out["note"].replace("", pd.NA)
    return out.sort_values("rep_id", ignore_index=True).astype(
        {"rep_id": "string", "measure": "string", "submitted_by": "string", "note": "string"})


def write_commitments(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write commitments as the loader reads them: CSV, amounts with two decimals.

    Parameters
    ----------
    frame : pandas.DataFrame
        `sample_commitments` (or `load_commitments`) rows.
    path : str or pathlib.Path
        The file to write (atomically).

    Returns
    -------
    pathlib.Path
        `path`.
    """
    columns = [c.name for c in COMMITMENTS.columns if c.name in frame.columns]
    table = frame[columns]
    return write_atomic(path, lambda p: table.to_csv(p, index=False, lineterminator="\n",
                                                      float_format="%.2f"))


__all__ = ["COMMITMENTS", "COMMITMENTS_FILE", "COMMITMENT_FLAGS", "COMMITMENT_MEASURES",
           "KEEPS", "MISSING", "RECONCILE_RULES", "ROLLUPS", "SOFT_BELOW", "UNREALISTIC_ABOVE",
           "Keep", "Missing", "Rollup", "Rule", "best_months", "commitment_gaps",
           "compare_commitments", "load_commitments", "reconcile", "sample_commitments",
           "write_commitments"]
