"""Leaderboards, honours and contest standings: recognition next to the money (issue 16, §3).

- `leaderboard`: rankings by month, quarter or year, overall and within each level
  (juniors rank among juniors), on attainment of target by default (raw value on request),
  with each rep's change of rank since the period before;
- `award_honours`: the titles a plan's `honours:` list defines (top N or top share,
  rookie, most improved), with why each winner won, in plain words;
- `contest_standings`: a plan's contest components as standings, who wins which prize and
  what the prizes cost (what the payout engine pays them);
- `leaderboard_html`: one ranking as an HTML fragment for a team meeting.

Ties: values within `helpers.ranking.SAME` (relative) of their neighbour in sorted order are
the same score and share the best rank of their run ("min" method: 1, 2, 2, 4), so the
order of a float sum never decides a rank; tied reps are listed by rep_id, never by row
order. An honour's cut (top N) takes every rep tied at the cut. A contest's prizes follow
the payout engine's rule (exact score, ties in its keyed order of rep ids), so the standings
cost what the engine pays.

Inputs are plain tables, so the replay year and the year to date both work: results with
`rep_id`, `month` and the measure (one row a rep and month; transactions are added up), and
targets as a long table (`rep_id`, `month`, `measure`, `target`), a table with a `target`
column, or the results' own `<measure>_target` or `quota` (revenue) columns.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from .. import streams
from ..data import DataError, among
from ..errors import WorkbookError
from ..formatting import fmt
from ..numbers import divide_or_zero
from ..ranking import SAME
from ..schema import LEVELS
from .components import Contest
from .model import MEASURES, PERIODS
from .payouts import inputs_from_results
from .plan import Plan

BASES = ("attainment", "value")
ALL = "all"
"""The `group` of the overall ranking (the others are level names)."""

COLUMNS = ["period", "period_start", "group", "rank", "out_of", "rep_id", "level", "value",
           "target", "attainment", "rank_change"]
"""A leaderboard's columns."""

HONOUR_COLUMNS = ["honour", "period", "rep_id", "name", "rank", "value", "why"]
"""What `award_honours` returns, one row a winner."""


class LeaderboardError(WorkbookError, ValueError):
    """A leaderboard setting that cannot work (period, basis, measure); names it."""


# ------------------------------------------------------------------------- periods


def _period_key(month: pd.Series, period: str) -> np.ndarray:
    """An integer per month that counts periods: consecutive periods differ by 1."""
    y, m = month.dt.year.to_numpy(np.int64), month.dt.month.to_numpy(np.int64)
    per = 12 // PERIODS[period]
    return y * PERIODS[period] + (m - 1) // per


def period_label(key: int, period: str) -> str:
    """A period as people read it: "2026", "2026 Q2" or "Jun 2026".

    Parameters
    ----------
    key : int
        The period's count (year × periods a year + index), as the leaderboard keys it.
    period : {"month", "quarter", "year"}
        The period's length.

    Returns
    -------
    str
        The label.
    """
    n = PERIODS[period]
    year, i = divmod(int(key), n)
    if period == "year":
        return str(year)
    if period == "quarter":
        return f"{year} Q{i + 1}"
    return pd.Timestamp(year=year, month=i + 1, day=1).strftime("%b %Y")


def _period_start(key: np.ndarray, period: str) -> pd.Series:
    n = PERIODS[period]
    year, i = np.divmod(np.asarray(key, dtype=np.int64), n)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": i * (12 // n) + 1, "day": 1}))


def value_kind(measure: str) -> str:
    """How a measure's values read on a document (`helpers.formatting.fmt` kind): revenue as
    money, counted measures as counts, scores (csat) as numbers.

    Parameters
    ----------
    measure : str
        The measure (one of MEASURES).

    Returns
    -------
    str
        "money", "count" or "number".
    """
    if measure == "revenue":
        return "money"
    return "count" if MEASURES.get(measure) == "sum" else "number"


# ------------------------------------------------------------------------- ranking


def _min_ranks(group: np.ndarray, score: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """(order, rank): rows sorted by group, score (high first), rep_id; "min" ranks within
    each group, a run of neighbours within SAME (relative) sharing the run's first rank.
    """
    order = np.lexsort((rep, -score, group))
    g, s = group[order], score[order]
    n = len(order)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    gap = np.abs(np.diff(s))
    tol = SAME * np.maximum(np.abs(s[1:]), np.abs(s[:-1]))
    new_run = new_group.copy()
    new_run[1:] |= ~((gap <= tol) | (s[1:] == s[:-1]))
    pos = np.arange(n)
    first_of_group = np.maximum.accumulate(np.where(new_group, pos, 0))
    first_of_run = np.maximum.accumulate(np.where(new_run, pos, 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = first_of_run - first_of_group + 1
    return order, rank


def _month_number(month: pd.Series) -> np.ndarray:
    """Months as whole numbers (year × 12 + month - 1): integer keys group fast."""
    month = pd.to_datetime(month)
    return month.dt.year.to_numpy(np.int64) * 12 + month.dt.month.to_numpy(np.int64) - 1


def _target_column(results: pd.DataFrame, targets: pd.DataFrame | None, measure: str,
                   rep: np.ndarray, month: np.ndarray,
                   reps: pd.Index) -> tuple[np.ndarray | None, str]:
    """Each results row's target (None when there is none) and where it came from; `rep`
    and `month` are the rows' integer keys, `reps` the rep_ids the codes stand for.
    """
    how = "mean" if MEASURES[measure] == "mean" else "sum"
    if targets is not None:
        t = targets
        if not {"rep_id", "month"} <= set(t.columns):
            raise DataError("targets: need columns rep_id and month; found "
                            f"{', '.join(map(str, t.columns))}")
        if {"measure", "target"} <= set(t.columns):
            t = t[(t["measure"].astype("string") == measure).fillna(False).to_numpy(bool)]
            col = "target"
        else:
            col = next((c for c in ("target", f"{measure}_target") if c in t.columns), None)
            if col is None:
                raise DataError(f"targets: no column 'target' (or 'measure' + 'target', or "
                                f"'{measure}_target'); found {', '.join(map(str, t.columns))}")
        values = pd.to_numeric(t[col], errors="coerce")
        bad = values.isna() & t[col].notna()
        if bad.any():
            raise DataError(f"targets: column '{col}' has values that are not numbers "
                            f"(rows {', '.join(map(str, t.index[bad][:5]))})")
        code = reps.get_indexer(t["rep_id"].astype("string"))
        known = code >= 0  # targets of reps without results rank no one
        cell = pd.Series(values.to_numpy(dtype=float, na_value=np.nan)[known]).groupby(
            code[known] * _SPAN + _month_number(t["month"])[known]).agg(how)
        found = cell.reindex(rep * _SPAN + month).to_numpy(dtype=float)
        return found, "targets"
    for col in (f"{measure}_target", "quota" if measure == "revenue" else None):
        if col and col in results.columns:
            return pd.to_numeric(results[col], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan), col
    return None, ""


_SPAN = 1 << 24  # month numbers stay below this (year 1,398,101): rep × _SPAN + month


def _per_period(results: pd.DataFrame, targets: pd.DataFrame | None, measure: str,
                period: str) -> tuple[pd.DataFrame, str]:
    """One row per rep and period: key, rep (code, in rep_id order), rep_id, value, target,
    attainment; and the target source.
    """
    missing = [c for c in ("rep_id", "month", measure) if c not in results.columns]
    if missing:
        raise DataError(f"results: missing column(s) {', '.join(missing)} (found "
                        f"{', '.join(map(str, results.columns))})")
    how = "mean" if MEASURES[measure] == "mean" else "sum"
    rep, reps = pd.factorize(results["rep_id"].astype("string"), sort=True)
    reps = pd.Index(reps, dtype="string")
    month = _month_number(results["month"])
    value = pd.to_numeric(results[measure], errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan)
    target, source = _target_column(results, targets, measure, rep, month, reps)
    frame = pd.DataFrame({"cell": rep * _SPAN + month, "value": value,
                          "target": np.nan if target is None else target})
    # a month first (transactions add up; a target is the rep's for the month), then the
    # period: a mean measure (csat) averages its months
    by_month = frame.groupby("cell", sort=False)
    months = pd.DataFrame({
        "value": by_month["value"].sum(min_count=1) if how == "sum"
        else by_month["value"].mean(),
        "target": by_month["target"].first()})
    cell = months.index.to_numpy(np.int64)
    n = PERIODS[period]
    m = cell % _SPAN
    months["key"] = m // 12 * n + m % 12 // (12 // n)
    months["rep"] = cell // _SPAN
    grouped = months.groupby(["key", "rep"], sort=True)
    out = (grouped[["value", "target"]].sum(min_count=1) if how == "sum"
           else grouped[["value", "target"]].mean()).reset_index()
    out["rep_id"] = reps.take(out["rep"].to_numpy())
    t = out["target"].to_numpy(dtype=float)
    ok = np.isfinite(t) & (t > 0)
    out["attainment"] = np.where(ok, out["value"].to_numpy() / np.where(ok, t, 1.0), np.nan)
    out.attrs["reps"] = reps
    return out, source


def leaderboard(results: pd.DataFrame, targets: pd.DataFrame | None = None, *,
                period: str = "quarter", measure: str = "revenue", basis: str = "attainment",
                levels: pd.Series | None = None) -> pd.DataFrame:
    """Who leads each period: ranks overall and, with `levels`, within each level.

    Attainment by default, so a junior with a small target is judged on what was asked of
    them, not on raw revenue; juniors rank among juniors in their level's ranking. Values
    within `SAME` share a rank ("min": 1, 2, 2, 4) and are listed by rep_id.

    Parameters
    ----------
    results : pandas.DataFrame
        Actuals: `rep_id`, `month` and the measure (the replay year, the year to date, or a
        whole history), optionally `<measure>_target` or `quota`.
    targets : pandas.DataFrame, optional
        `rep_id`, `month` and `measure` + `target` (long), or `target`, or
        `<measure>_target`; matched on rep and month. None reads the results' own
        `<measure>_target`, else (revenue) `quota`.
    period : {"month", "quarter", "year"}, default "quarter"
        The length of a ranking period.
    measure : str, default "revenue"
        The measure ranked (one of MEASURES; csat averages its months).
    basis : {"attainment", "value"}, default "attainment"
        Rank on attainment of target, or on the raw value.
    levels : pandas.Series, optional
        rep_id -> level; adds a ranking within each level.

    Returns
    -------
    pandas.DataFrame
        One row per period, group and rep ranked (see COLUMNS): `group` is "all" or a
        level; `rank` from 1 (best), `out_of` the reps ranked there, `rank_change` the rank
        in the period before minus this one (positive: moved up; NaN when not ranked
        then). `attrs["note"]` says what was left out or assumed; `attrs["basis"]`,
        `attrs["period"]` and `attrs["measure"]` say what was ranked.

    Raises
    ------
    LeaderboardError
        When `period`, `measure` or `basis` is unknown.
    DataError
        When the results or targets lack a column or a target is not a number.
    """
    if period not in PERIODS:
        raise LeaderboardError(f"period: must be one of {', '.join(PERIODS)}, got {period!r}")
    if measure not in MEASURES:
        raise LeaderboardError(f"measure: must be one of {', '.join(MEASURES)}, got "
                               f"{measure!r}")
    if basis not in BASES:
        raise LeaderboardError(f"basis: must be one of {', '.join(BASES)}, got {basis!r}")
    per, source = _per_period(results, targets, measure, period)
    notes = []
    words = measure.replace("_", " ")
    if basis == "attainment" and not (per["target"] > 0).any():
        basis = "value"
        notes.append(f"no {words} targets (no targets table, no '{measure}_target'"
                     + (" or 'quota'" if measure == "revenue" else "")
                     + f" column), so reps are ranked on {words} itself, not attainment")
    score = per["attainment"] if basis == "attainment" else per["value"]
    no_value = per["value"].isna()
    no_target = ~no_value & score.isna()  # on attainment: a value without a target
    for left, why in ((per[no_value], f"no {words}"), (per[no_target], "no target")):
        if len(left):
            notes.append(f"{left['rep_id'].nunique()} rep(s) left out of {len(left)} ranking "
                         f"period(s) for {why} there (e.g. {', '.join(left['rep_id'][:3])})")
    reps = per.attrs["reps"]
    per = per[score.notna()].assign(score=score[score.notna()])
    names = [ALL, *LEVELS]
    level = np.full(len(reps), None, dtype=object)  # each rep's level, by rep code
    per = per.drop(columns="rep_id").assign(g=0)  # integer keys only until the end
    frames = [per]
    if levels is not None:
        given = levels.copy()
        given.index = given.index.astype("string")
        level = given.astype("string").reindex(reps).to_numpy(dtype=object, na_value=None)
        lacking = pd.isna(level)
        unknown = reps[lacking & np.isin(np.arange(len(reps)), per["rep"].to_numpy())]
        if len(unknown):
            notes.append(f"{len(unknown)} rep(s) without a level are ranked overall only "
                         f"(e.g. {', '.join(unknown[:3])})")
        others = sorted(set(level[~lacking]) - set(LEVELS))  # levels only the data has
        names += others
        code = np.full(len(reps), -1, dtype=np.int64)
        code[~lacking] = pd.Index(names[1:]).get_indexer(level[~lacking]) + 1
        rep_group = code[per["rep"].to_numpy()]
        within = per[rep_group > 0]
        frames.append(within.assign(g=rep_group[rep_group > 0]))
    table = pd.concat(frames, ignore_index=True)
    g = table["g"].to_numpy(np.int64)
    key = table["key"].to_numpy(np.int64)
    cell = key * len(names) + g
    cell_code = pd.factorize(cell, sort=True)[0] if len(cell) else np.empty(0, np.int64)
    _, rank = _min_ranks(cell_code, table["score"].to_numpy(float),  # ties by rep_id
                         table["rep"].to_numpy(np.int64))
    table["rank"] = rank
    table["out_of"] = np.bincount(cell_code, minlength=1)[cell_code] if len(cell) else 0
    prev = table[["key", "g", "rep", "rank"]].assign(key=key + 1)
    table = table.merge(prev.rename(columns={"rank": "before"}), how="left",
                        on=["key", "g", "rep"])
    table["rank_change"] = table["before"] - table["rank"]
    table = table.sort_values(["key", "g", "rank", "rep"], kind="stable", ignore_index=True)
    periods, at = np.unique(table["key"].to_numpy(np.int64), return_inverse=True)
    table["period"] = pd.array([period_label(k, period) for k in periods],
                               dtype="string")[at]
    table["period_start"] = _period_start(periods, period).to_numpy()[at]
    table["group"] = pd.array(names, dtype="string")[table["g"].to_numpy()]
    table["rep_id"] = pd.array(reps.take(table["rep"].to_numpy()), dtype="string")
    table["level"] = pd.array(level[table["rep"].to_numpy()], dtype="string")
    out = table[COLUMNS].copy()
    out["rank"] = out["rank"].astype(np.int64)
    out["out_of"] = out["out_of"].astype(np.int64)
    out["rank_change"] = out["rank_change"].astype(float)
    out.attrs.update(note="; ".join(notes), basis=basis, period=period, measure=measure,
                     target_source=source)
    return out


# ------------------------------------------------------------------------- honours


def _winners(ranked: pd.DataFrame, honour, score: str) -> pd.DataFrame:
    """The rows of one period's ranking (`rank`, `out_of`) that win `honour`."""
    n = (honour.n if honour.n is not None else
         math.ceil(round(honour.share * ranked["out_of"].iloc[0], 9))
         if honour.share is not None else 1)
    won = ranked[ranked["rank"] <= n]
    if honour.min_attainment is not None:
        least = honour.min_attainment * (1 - SAME)
        won = won[won["attainment"].fillna(-np.inf) >= least]
    if honour.rule == "most_improved":
        won = won[won[score] > 0]  # an improvement, not the smallest fall
    return won


def _rerank(frame: pd.DataFrame, score: str) -> pd.DataFrame:
    """Rank `frame` on `score` within each period key (min method, SAME, by rep_id)."""
    if frame.empty:
        return frame.assign(rank=pd.Series(dtype=np.int64), out_of=pd.Series(dtype=np.int64))
    keys = frame["key"].to_numpy(np.int64)
    reps = pd.factorize(frame["rep_id"], sort=True)[0]
    _, rank = _min_ranks(pd.factorize(keys, sort=True)[0], frame[score].to_numpy(float), reps)
    return frame.assign(rank=rank, out_of=frame.groupby("key")["rep_id"].transform("size"))


def award_honours(plan: Plan, results: pd.DataFrame, targets: pd.DataFrame | None,
                  roster: pd.DataFrame | None, *, year: int) -> pd.DataFrame:
    """Who wins each of the plan's honours in `year`, and why, in plain words.

    - `top`: the top `n` (or top `share`, rounded up) of the period's ranking, all reps
      tied at the cut included, who also reach `min_attainment` when it is set;
    - `rookie`: the best among reps hired within `months` before the period starts (and by
      its end), from the roster's `hire_date`;
    - `most_improved`: the largest gain in the score over the same period a year earlier,
      among reps ranked in both (a gain above zero); needs the year before in `results`.

    What cannot be decided (no roster, one year of results, no rep ranked) is skipped with a
    sentence in `attrs["note"]`, never an error.

    Parameters
    ----------
    plan : Plan
        The plan, for its `honours`.
    results : pandas.DataFrame
        Actuals (`rep_id`, `month`, measures), as `leaderboard` reads them; for
        `most_improved` with the year before `year` too.
    targets : pandas.DataFrame or None
        Targets as `leaderboard` reads them (None: the results' own columns).
    roster : pandas.DataFrame or None
        `rep_id`, `name` and (for rookies) `hire_date`.
    year : int
        The year whose periods are honoured.

    Returns
    -------
    pandas.DataFrame
        One row per winner (see HONOUR_COLUMNS), in the plan's honour order, then period,
        rank and rep_id; `value` is what decided (attainment, value or the gain);
        `attrs["note"]` the honours not given and why.

    Raises
    ------
    DataError
        When the results or targets lack a column an honour needs.
    """
    names = (roster.assign(rep_id=roster["rep_id"].astype("string"))
             .drop_duplicates("rep_id").set_index("rep_id")
             if roster is not None else pd.DataFrame(index=pd.Index([], dtype="string")))
    frames, notes = [], []
    for h in plan.honours:
        board = leaderboard(results, targets, period=h.period, measure=h.measure,
                            basis=h.basis)
        if board.attrs["note"]:
            notes.append(f"{h.name}: {board.attrs['note']}")
        basis = board.attrs["basis"]
        words = h.measure.replace("_", " ") + (" attainment" if basis == "attainment" else "")
        keys = board.assign(key=_period_key(board["period_start"], h.period))
        keys = keys[(keys["group"] == ALL) & (keys["period_start"].dt.year == year)]
        keys = keys.assign(score=keys["attainment"] if basis == "attainment" else keys["value"])
        if keys.empty:
            notes.append(f"{h.name}: no rep ranked in {year}")
            continue
        kind = "percent" if basis == "attainment" else value_kind(h.measure)
        if h.rule == "rookie":
            if "hire_date" not in names:
                notes.append(f"{h.name}: the roster has no hire_date, so rookies are unknown")
                continue
            hired = pd.to_datetime(keys["rep_id"].map(names["hire_date"]))
            start = keys["period_start"]
            end = start + pd.DateOffset(months=12 // PERIODS[h.period])
            since = start - pd.DateOffset(months=h.months)
            keys = _rerank(keys[(hired >= since) & (hired < end)].drop(columns=["rank",
                                                                                  "out_of"]),
                           "score")
            if keys.empty:
                notes.append(f"{h.name}: no rep hired within {h.months} months of a "
                             f"period of {year}")
                continue
        elif h.rule == "most_improved":
            before = board[board["group"] == ALL].assign(
                key=_period_key(board.loc[board["group"] == ALL, "period_start"], h.period)
                + PERIODS[h.period])
            before = before.assign(earlier=before["attainment"] if basis == "attainment"
                                   else before["value"])[["key", "rep_id", "earlier",
                                                          "period"]]
            keys = keys.merge(before.rename(columns={"period": "earlier_period"}),
                              on=["key", "rep_id"], how="inner")
            if keys.empty:
                notes.append(f"{h.name}: needs {year - 1} as well as {year} in the results "
                             "to compare each rep with a year earlier; not given")
                continue
            keys = keys.assign(current=keys["score"], score=keys["score"] - keys["earlier"])
            keys = _rerank(keys.drop(columns=["rank", "out_of"]), "score")
        won = pd.concat([_winners(part, h, "score") for _, part in keys.groupby("key")],
                        ignore_index=True)
        if won.empty:
            notes.append(f"{h.name}: no rep met the rule in {year}")
            continue
        won = won.sort_values(["key", "rank", "rep_id"], kind="stable", ignore_index=True)
        why = _why(h, won, words, kind, year)
        frames.append(pd.DataFrame({
            "honour": h.name, "period": won["period"].to_numpy(),
            "rep_id": won["rep_id"].to_numpy(),
            "name": won["rep_id"].map(names["name"]).to_numpy()
            if "name" in names else pd.NA,
            "rank": won["rank"].to_numpy(np.int64), "value": won["score"].to_numpy(float),
            "why": why}))
    out = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame({c: [] for c in HONOUR_COLUMNS}))
    for col in ("honour", "period", "rep_id", "name", "why"):
        out[col] = out[col].astype("string")
    out["rank"] = out["rank"].astype(np.int64)
    out["value"] = out["value"].astype(float)
    if not plan.honours:
        notes.append(f"plan '{plan.name}' defines no honours")
    out.attrs["note"] = "; ".join(notes)
    return out[HONOUR_COLUMNS]


def _why(h, won: pd.DataFrame, words: str, kind: str, year: int) -> list[str]:
    """One plain sentence per winner."""
    out = []
    for row in won.itertuples(index=False):
        place = f"rank {row.rank} of {row.out_of}"
        if h.rule == "top":
            cut = (f"top {fmt(h.share, 'percent', digits=0)}" if h.share is not None
                   else f"top {h.n or 1}")
            text = f"{cut} of {row.period} by {words}: {place} at {fmt(row.score, kind)}"
            if h.min_attainment is not None:
                text += ("" if kind == "percent" else
                         f", with {fmt(row.attainment, 'percent')}")
                text += (f" of target (at least {fmt(h.min_attainment, 'percent')} "
                         "needed)")
        elif h.rule == "rookie":
            text = (f"best {words} in {row.period} among the {row.out_of} rep(s) hired "
                    f"within {h.months} months of its start: {place} at "
                    f"{fmt(row.score, kind)}")
        else:
            gain = (fmt(row.score * 100, "number", digits=1, signed=True) + " points"
                    if kind == "percent" else fmt(row.score, kind, signed=True))
            text = (f"largest gain in {words} over {row.earlier_period}: "
                    f"{fmt(row.earlier, kind)} to {fmt(row.current, kind)} ({gain}), "
                    f"{place}")
        out.append(text[0].upper() + text[1:])
    return out


# ------------------------------------------------------------------------- contests


def contest_standings(plan: Plan, payouts_or_results: pd.DataFrame, *,
                      levels: pd.Series | None = None) -> pd.DataFrame:
    """Standings of the plan's contests: ranks, who wins which prize and what they cost.

    The year's score is the engine's (value summed, or averaged for scores, over the plan's
    periods; attainment = value / target, 0 without a target), so the prizes here are what
    `payout` pays the contest: top N of the eligible levels by exact score, ties in the
    engine's keyed order of rep ids (`helpers.streams.rep_keys`). The shown `rank` treats
    scores within SAME as tied ("min" method).

    Parameters
    ----------
    plan : Plan
        The plan, for its `contest` components.
    payouts_or_results : pandas.DataFrame
        A payout table (`payout` or `replay`: `rep_id`, `level`, `period`, `component`,
        `value`, `target`) or the results `payout` reads (one year: `rep_id`, `month`,
        `level`, measures, `<measure>_target`).
    levels : pandas.Series, optional
        rep_id -> level, for results without a `level` column.

    Returns
    -------
    pandas.DataFrame
        One row per contest and rep: `component`, `rank` (among eligible reps; 0 when not
        eligible), `rep_id`, `level`, `value`, `target`, `attainment`, `score`, `prize`,
        `honours` (the contest's titles, for prize winners), `why`; best first.
        `attrs["cost"]` is the total prize cost, `attrs["cost_by_contest"]` per contest,
        `attrs["note"]` says when the plan has no contest.

    Raises
    ------
    DataError
        When the table lacks a column the plan or a contest needs.
    """
    contests = [c for c in plan.components if isinstance(c, Contest)]
    table = payouts_or_results
    if "level" not in table.columns and levels is not None:
        level = levels.copy()
        level.index = level.index.astype("string")
        table = table.assign(level=table["rep_id"].astype("string").map(level))
    frames = []
    if contests and {"component", "period"} <= set(table.columns):
        arrays = _from_payouts(plan, table, contests)
    elif contests:
        arrays = _from_results(plan, table, contests)
    for c, (reps, level, value, target) in zip(contests, arrays if contests else [],
                                               strict=True):
        frames.append(_standing(plan, c, reps, level, value, target))
    columns = ["component", "rank", "rep_id", "level", "value", "target", "attainment",
               "score", "prize", "honours", "why"]
    out = (pd.concat(frames, ignore_index=True) if frames
           else pd.DataFrame({c: [] for c in columns}))
    out = out[columns]
    by = out.groupby("component", sort=False)["prize"].sum()
    out.attrs.update(cost=float(out["prize"].sum()) if len(out) else 0.0,
                     cost_by_contest={str(k): float(v) for k, v in by.items()},
                     note="" if contests else f"plan '{plan.name}' has no contest")
    return out


def _from_results(plan: Plan, results: pd.DataFrame, contests: list[Contest]):
    """Per contest: (rep_ids, levels, year value, year target), read as the engine reads."""
    reps, data = inputs_from_results(plan, results)
    out = []
    for c in contests:
        a, t = data.actual[c.measure][:, 0, :], data.target[c.measure][:, 0, :]
        mean = MEASURES[c.measure] == "mean"
        out.append((reps["rep_id"].to_numpy(), reps["level"].to_numpy(),
                    a.mean(axis=0) if mean else a.sum(axis=0),
                    t.mean(axis=0) if mean else t.sum(axis=0)))
    return out


def _from_payouts(plan: Plan, payouts: pd.DataFrame, contests: list[Contest]):
    """Per contest: the same four arrays from a payout table's contest rows."""
    need = ["rep_id", "level", "period", "component", "value", "target"]
    missing = [c for c in need if c not in payouts.columns]
    if missing:
        raise DataError(f"payouts: missing column(s) {', '.join(missing)}")
    out = []
    for c in contests:
        rows = payouts[payouts["component"] == c.name]
        if rows.empty:
            raise DataError(f"payouts: no rows for contest {c.name!r} of plan "
                            f"'{plan.name}' (column 'component')")
        rows = rows.sort_values(["rep_id", "period"], kind="stable")
        reps = rows.drop_duplicates("rep_id")
        p = rows["period"].nunique()  # fewer than the plan's in a year the data stops in
        if len(rows) != p * len(reps) or p > plan.n_periods:
            raise DataError(f"payouts: contest {c.name!r} needs the same periods for every "
                            f"rep (at most the plan's {plan.n_periods})")
        a = np.nan_to_num(rows["value"].to_numpy(float)).reshape(-1, p).T
        t = np.nan_to_num(rows["target"].to_numpy(float)).reshape(-1, p).T
        mean = MEASURES[c.measure] == "mean"
        out.append((reps["rep_id"].to_numpy(), reps["level"].to_numpy(),
                    a.mean(axis=0) if mean else a.sum(axis=0),
                    t.mean(axis=0) if mean else t.sum(axis=0)))
    return out


def _standing(plan: Plan, c: Contest, reps: np.ndarray, level: np.ndarray,
              value: np.ndarray, target: np.ndarray) -> pd.DataFrame:
    """One contest's standings from the year's value and target per rep."""
    score = divide_or_zero(value, target) if c.basis == "attainment" else value
    eligible = np.isin(np.asarray(level, dtype=object), c.levels)
    ids = pd.Index(reps).astype("string")
    # the engine's prize order: exact score, high first, ties in its keyed order
    keyed = np.argsort(streams.rep_keys(ids), kind="stable")
    pos = np.empty(len(ids), dtype=np.int64)
    ordered = keyed[np.argsort(-np.where(eligible, score, -np.inf)[keyed], kind="stable")]
    pos[ordered] = np.arange(len(ids))
    n = min(len(c.prizes), len(ids))
    prizes = np.array((*c.prizes[:n], 0.0))
    won = eligible & (pos < n)
    prize = np.where(won, prizes[np.minimum(pos, n)], 0.0)
    rank = np.zeros(len(ids), dtype=np.int64)
    if eligible.any():
        _, r = _min_ranks(np.zeros(int(eligible.sum()), dtype=np.int64), score[eligible],
                          pd.factorize(ids[eligible], sort=True)[0])
        rank[eligible] = r
    counts = np.bincount(rank, minlength=len(ids) + 1)  # rank 0: not eligible
    shared = eligible & (counts[rank] > 1)
    kind = "percent" if c.basis == "attainment" else value_kind(c.measure)
    shown = pd.Series(score).map(lambda x: fmt(float(x), kind))
    paid = pd.Series(prize).map(lambda x: fmt(float(x), "money"))
    text = ("rank " + pd.Series(rank).astype(str) + " at " + shown
            + np.where(shared, " (tied; prizes among tied reps follow the payout engine's "
                       "keyed order of rep ids)", "")
            + np.where(prize > 0, ": prize " + paid, ": no prize"))
    why = np.where(eligible, text.to_numpy(dtype=object),
                   f"not eligible (the contest is for {', '.join(c.levels) or 'no level'})")
    frame = pd.DataFrame({
        "component": c.name, "rank": rank, "rep_id": ids.to_numpy(),
        "level": pd.array(level, dtype="string"), "value": value, "target": target,
        "attainment": divide_or_zero(value, target), "score": score, "prize": prize,
        "honours": np.where(won & bool(c.honours), ", ".join(c.honours), ""),
        "why": why})
    frame["sort"] = np.where(eligible, pos, len(ids) + np.arange(len(ids)))
    frame = frame.sort_values(["sort", "rep_id"], kind="stable", ignore_index=True)
    for col in ("component", "rep_id", "honours", "why"):
        frame[col] = frame[col].astype("string")
    return frame.drop(columns="sort")


# ------------------------------------------------------------------------- HTML


def leaderboard_html(table: pd.DataFrame, *, period: str | None = None, group: str = ALL,
                     top: int = 10, names: pd.Series | None = None,
                     title: str | None = None) -> str:
    """One period's ranking as an HTML fragment for a team meeting (a `<section>`: a
    heading, a sentence, a table; simple tags only, every value escaped).

    Parameters
    ----------
    table : pandas.DataFrame
        From `leaderboard`.
    period : str, optional
        The period label to show (e.g. "2026 Q2"); default the last one.
    group : str, default "all"
        "all" or a level.
    top : int, default 10
        How many places to show (reps tied at the last place are all shown).
    names : pandas.Series, optional
        rep_id -> name, shown instead of the id.
    title : str, optional
        The heading; default "Leaderboard, <period>" (and the level).

    Returns
    -------
    str
        The fragment.

    Raises
    ------
    LeaderboardError
        When the table has no rows for `period` and `group`.
    """
    part, period = _shown(table, period, group, top)
    basis = table.attrs.get("basis", "attainment")
    measure = str(table.attrs.get("measure", "revenue")).replace("_", " ")
    kind = value_kind(str(table.attrs.get("measure", "revenue")))
    heading = title or (f"Leaderboard, {period}"
                        + ("" if group == ALL else f": {group} level"))
    label = dict(zip(names.index.astype(str), names.astype(str), strict=True)) \
        if names is not None else {}
    esc = html.escape
    with_target = bool(part["attainment"].notna().any())
    rows = []
    for row in part.itertuples(index=False):
        change = ("" if pd.isna(row.rank_change) else "=" if row.rank_change == 0
                  else f"{'up' if row.rank_change > 0 else 'down'} {abs(int(row.rank_change))}")
        cells = [row.rank, label.get(str(row.rep_id), str(row.rep_id))]
        cells += [fmt(row.attainment, "percent")] if with_target else []
        cells += [fmt(row.value, kind)]
        cells += [fmt(row.target, kind)] if with_target else []
        rows.append("<tr>" + "".join(f"<td>{esc(str(x))}</td>" for x in (*cells, change))
                    + "</tr>")
    heads = ["Place", "Rep", *(["Attainment"] if with_target else []), measure.capitalize(),
             *(["Target"] if with_target else []), "Change since last period"]
    ranked_on = f"{measure} attainment of target" if basis == "attainment" else measure
    note = table.attrs.get("note", "")
    return ("<section>"
            f"<h2>{esc(heading)}</h2>"
            f"<p>Ranked on {esc(ranked_on)}; {int(part['out_of'].iloc[0])} reps ranked, "
            f"the first {len(part)} shown. Equal results share a place.</p>"
            "<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
            + "".join(rows) + "</table>"
            + (f"<p><i>{esc(note)}</i></p>" if note else "")
            + "</section>")


def team_leaderboards(results: pd.DataFrame, roster: pd.DataFrame,
                      targets: pd.DataFrame | None = None, *, period: str = "quarter",
                      measure: str = "revenue", basis: str = "attainment",
                      by: str = "manager_id", top: int = 10) -> dict[str, tuple[str, str]]:
    """A leaderboard page per manager for the team meeting: the team's reps ranked among
    themselves in the last period (`leaderboard` on the team alone, so ranks are the
    team's), keyed by manager for `helpers.documents.queue_documents`.

    Parameters
    ----------
    results : pandas.DataFrame
        The reps' monthly results (as `leaderboard` takes them).
    roster : pandas.DataFrame
        rep_id, `by` and, when present, name.
    targets : pandas.DataFrame, optional
        As `leaderboard` takes them.
    period : str, default "quarter"
        month, quarter or year.
    measure : str, default "revenue"
        The measure ranked.
    basis : str, default "attainment"
        attainment or value.
    by : str, default "manager_id"
        The roster column naming each team's manager.
    top : int, default 10
        Places shown a team.

    Returns
    -------
    dict of str to (str, str)
        Manager -> (title, HTML fragment), managers sorted; a team with no results in the
        data is left out.

    Raises
    ------
    LeaderboardError
        When the roster lacks rep_id or `by`.
    """
    missing = [c for c in ("rep_id", by) if c not in roster]
    if missing:
        raise LeaderboardError(f"roster: no column {', '.join(missing)} to group teams by")
    names = roster.set_index("rep_id")["name"] if "name" in roster else None
    teams = roster.dropna(subset=[by]).groupby(by, sort=True)["rep_id"]
    pages = {}
    for manager, members in teams:  # one page a manager: a dozen teams, not a rep loop
        mine = results[among(results["rep_id"], members)]
        if mine.empty:
            continue
        table = leaderboard(mine, targets, period=period, measure=measure, basis=basis)
        shown = _shown(table, None, ALL, top)[1]  # the page says which period it ranks
        pages[str(manager)] = (f"Team leaderboard: {manager}, {shown}", leaderboard_html(
            table, top=top, names=names, title=f"Team of {manager}: who leads in {shown}"))
    return pages


def leaderboard_top(table: pd.DataFrame, *, period: str | None = None, group: str = ALL,
                    top: int = 10) -> pd.DataFrame:
    """The first `top` places of one period and group (ties at the last place all kept).

    Parameters
    ----------
    table : pandas.DataFrame
        From `leaderboard`.
    period : str, optional
        The period label; default the last one.
    group : str, default "all"
        "all" or a level.
    top : int, default 10
        Places to keep.

    Returns
    -------
    pandas.DataFrame
        The rows, best first; `attrs["period"]` the period label shown.

    Raises
    ------
    LeaderboardError
        When the table has no rows for `period` and `group`.
    """
    part, label = _shown(table, period, group, top)
    part.attrs = {**table.attrs, "period": label}
    return part


def _shown(table: pd.DataFrame, period: str | None, group: str,
           top: int) -> tuple[pd.DataFrame, str]:
    rows = table[table["group"] == group]
    if rows.empty:
        raise LeaderboardError(f"group: no ranking for {group!r} (groups: "
                               f"{', '.join(dict.fromkeys(table['group'].astype(str)))})")
    if period is None:
        period = str(rows.loc[rows["period_start"].idxmax(), "period"])
    part = rows[rows["period"] == period]
    if part.empty:
        raise LeaderboardError(f"period: no ranking for {period!r} (periods: "
                               f"{', '.join(dict.fromkeys(rows['period'].astype(str)))})")
    return part[part["rank"] <= top].reset_index(drop=True), period


__all__ = ["ALL", "BASES", "COLUMNS", "HONOUR_COLUMNS", "LeaderboardError", "award_honours",
           "team_leaderboards",
           "contest_standings", "leaderboard", "leaderboard_html", "leaderboard_top",
           "period_label", "value_kind"]
