"""Statements in bulk: per rep and period, what was earned and why, draws, year to date, the
pay date, and what is still needed to reach the next tier or curve point.

`statement_table` turns a payout table (`payout`, `replay`) into one row per rep, period and
component; `statement_html` writes one rep's statement as an HTML fragment (plain words,
money through `helpers.formatting.fmt`) and `statements` writes everyone's, keyed by rep_id.

Pay dates follow the plan's payout schedule: a period's pay reaches the rep `pay.lag_days`
after the period ends (`PAY_LAG_DAYS`, 30, when the plan has no `pay` key), so a late
payout shows on the statement.

"Needed for the next tier" asks the engine's own rules (`tier_index`, `curve_payout`), so a
statement never promises a tier the payout would not pay: for a component paid on year-to-
date results it is what the rep (or the team, for a team bonus) must still sell in the year,
against the year's target, on top of the year to date; for one paid period by period, what
that period needed. It is rounded up to the measure's unit (a cent of revenue, one customer
or deal): that much reaches the next tier, one unit less does not.
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data import DataError
from ..formatting import currency, fmt, person
from .components import Bonus, Commission, Contest, Spif
from .engine import curve_payout, tier_index
from .model import MEASURES
from .payouts import COLUMNS
from .plan import Plan

UNITS = {"revenue": 0.01}
"""The smallest amount of a measure that can be sold (a cent); other summed measures count
whole units (one customer, one deal)."""

STATEMENT_COLUMNS = [
    "rep_id", "level", "period", "period_name", "period_end", "pay_date", "component", "type",
    "measure", "value", "target", "attainment", "earned", "reason", "draw_paid",
    "draw_recovered", "paid", "earned_ytd", "paid_ytd", "draw_owed", "next_tier", "next_step",
    "needed", "needed_note"]
"""A statement table's columns (see `statement_table`)."""


def statement_table(plan: Plan, payouts: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """One row per rep, period and component of `payouts`: what was earned and why, the draw,
    what was paid, year to date, the pay date and what the next tier needs.

    Rows are sorted by rep_id, period and the plan's component order (the draw last), so the
    order of `payouts`' rows never changes a statement.

    Parameters
    ----------
    plan : Plan
        The plan the payouts come from (components, period, pay schedule).
    payouts : pandas.DataFrame
        Its payout table (`payout`, `replay`): the columns of `payouts.COLUMNS`.
    year : int
        The plan year the periods fall in (for period ends and pay dates).

    Returns
    -------
    pandas.DataFrame
        The columns of `STATEMENT_COLUMNS`: `value`, `target` and `attainment` as the
        component reads them (year to date under true-up); `earned` what the component paid
        in the period and `reason` why; `draw_paid` and `draw_recovered` (on the draw's rows);
        `paid` = earned + draw paid - draw recovered; `earned_ytd` and `paid_ytd` by rep and
        component; `period_end` and `pay_date` (period end + `plan.pay.lag_days`);
        `next_tier` (the engine's tier or curve-point number to reach, NA when none),
        `next_step` (its name), `needed` (the amount of the measure still to sell, NaN when
        there is no next tier) and `needed_note` (what is needed, or why nothing can be).

    Raises
    ------
    DataError
        When `payouts` lacks a column, names a component the plan does not have, has a
        period outside the plan's, or `year` is not a year.
    """
    table = _checked(plan, payouts, year)
    order = {c.name: i for i, c in enumerate(plan.components)} | {"draw": len(plan.components)}
    table = (table.assign(_order=table["component"].map(order).astype(np.int64))
             .sort_values(["rep_id", "period", "_order"], kind="stable", ignore_index=True)
             .drop(columns="_order"))
    is_draw = (table["component"] == "draw").to_numpy()
    amount = table["amount"].to_numpy(np.float64)
    table["earned"] = np.where(is_draw, 0.0, amount)
    table["draw_paid"] = np.where(is_draw, np.maximum(amount, 0.0), 0.0)
    table["draw_recovered"] = np.where(is_draw, np.maximum(-amount, 0.0), 0.0)
    table["paid"] = amount
    group = table.groupby(["rep_id", "component"], sort=False)
    table["earned_ytd"] = group["earned"].cumsum().round(2)
    table["paid_ytd"] = group["paid"].cumsum().round(2)
    ends = period_ends(plan, year)
    table["period_end"] = ends[table["period"].to_numpy() - 1]
    table["pay_date"] = table["period_end"] + pd.Timedelta(days=plan.pay.lag_days)
    names = np.array([period_name(plan, year, k) for k in range(1, plan.n_periods + 1)],
                     dtype=object)
    through = payouts.attrs.get("through")
    if through is not None and through.year == year:  # a period the data stops in: say so
        cut = int(np.searchsorted(ends.to_numpy(), through.to_datetime64()))
        if cut < len(names) and ends[cut] > through + pd.offsets.MonthEnd(0):
            names[cut] = f"{names[cut]} (to {through:%B} only)"
    table["period_name"] = pd.array(names[table["period"].to_numpy() - 1], dtype="string")
    table["year_target"] = group["target"].transform("last")  # YTD target at the year's end
    _next_tier(plan, table)
    return table[STATEMENT_COLUMNS]


def period_ends(plan: Plan, year: int) -> pd.DatetimeIndex:
    """The last day of each of the plan's periods in `year`.

    Parameters
    ----------
    plan : Plan
        The plan, for its period (month, quarter or year).
    year : int
        The plan year.

    Returns
    -------
    pandas.DatetimeIndex
        One date per period, in order.
    """
    months = np.arange(1, plan.n_periods + 1) * (12 // plan.n_periods)
    return pd.DatetimeIndex([pd.Timestamp(year, int(m), calendar.monthrange(year, int(m))[1])
                             for m in months])


def period_name(plan: Plan, year: int, period: int) -> str:
    """A plan period as people say it: "Q2 2027", "Mar 2027" or "2027".

    Parameters
    ----------
    plan : Plan
        The plan, for its period.
    year : int
        The plan year.
    period : int
        The 1-based period.

    Returns
    -------
    str
        The period's name.
    """
    if plan.period == "quarter":
        return f"Q{period} {year}"
    if plan.period == "month":
        return f"{calendar.month_abbr[period]} {year}"
    return str(year)


COLUMN_WIDTHS = (("Period", 7), ("Pay date", 9), ("Component", 11), ("Result", 12),
                 ("Target", 12), ("Attainment", 8), ("Earned", 11), ("Draw", 6), ("Paid", 11),
                 ("Why", 13))
"""The statement table's columns and their share of the page (%): a PDF's columns are
equal unless told, and a ten-column table split $1,482,491 over two lines."""


def statement_html(plan: Plan, rep_id: str, table: pd.DataFrame, *,
                   name: str | None = None) -> str:
    """One rep's statement as an HTML fragment: the plan's terms, each period's pay with the
    reason and pay date, the year to date by component, and what the next tier needs.

    Parameters
    ----------
    plan : Plan
        The plan the statement is for.
    rep_id : str
        The rep.
    table : pandas.DataFrame
        A statement table (`statement_table`); only the rep's rows are read.
    name : str, optional
        The rep's name, for the heading (`helpers.formatting.person`).

    Returns
    -------
    str
        A `<section>` with headings, paragraphs and tables (no classes, no scripts); every
        value from the data is escaped.

    Raises
    ------
    DataError
        When the table has no rows for the rep.
    """
    rows = table[table["rep_id"] == rep_id]
    if rows.empty:
        raise DataError(f"statement table: no rows for rep_id {rep_id!r}")
    return _html(plan, rows.to_dict("records"), name)


def _html(plan: Plan, rows: list[dict], name: str | None = None, caveat: str = "") -> str:
    """The fragment from one rep's rows (plain records: pandas per row is slow in bulk)."""
    e, dash, cur = html.escape, "<td>-</td>", currency()  # the setting, read once a rep
    rows = sorted(rows, key=lambda r: r["period"])  # stable: component order stays
    first = rows[0]
    level = str(first["level"])
    lv = plan.levels.get(level)
    year = int(first["period_end"].year)
    when = plan.period
    terms = [f"Level: {e(level)}."]
    if lv is not None:
        terms.append(f"Target incentive {fmt(lv.target_incentive, 'money', unit=cur)} a year"
                     + (f", pay mix {e(lv.pay_mix)} (base/variable)." if lv.pay_mix else "."))
    terms.append(f"Paid each {when}, {plan.pay.lag_days} days after the {when} ends.")
    if plan.true_up and plan.n_periods > 1:
        terms.append(f"Each {when} pays what was earned to date less what was already paid; "
                     "results and targets paid that way are shown year to date.")
    out = [f"<section><h2>Statement {year} for {e(person(first['rep_id'], name))}: "
           f"{e(plan.name)}</h2>",
           *([f"<p><b>Note:</b> {e(caveat[:1].upper() + caveat[1:])}.</p>"] if caveat else []),
           f"<p>{' '.join(terms)}</p>", "<h3>Pay by period</h3>",
           "<table><tr>" + "".join(f'<th width="{w}%">{h}</th>' for h, w in COLUMN_WIDTHS)
           + "</tr>"]
    periods: dict[int, list[dict]] = {}
    for r in rows:
        periods.setdefault(r["period"], []).append(r)
    for period in periods.values():
        for r in period:
            reason = "" if pd.isna(r["reason"]) else plain(str(r["reason"]))
            if r["paid"] == 0 and not reason:
                continue
            draw = r["draw_paid"] - r["draw_recovered"]
            out.append(
                f"<tr><td>{e(r['period_name'])}</td><td>{_date(r['pay_date'])}</td>"
                f"<td>{e(str(r['component']))}</td>"
                f"<td>{_amount(r['value'], r['measure'], cur)}</td>"
                f"<td>{_amount(r['target'], r['measure'], cur)}</td>"
                f"<td>{_share(r['attainment'], r['target'])}</td>"
                f"<td>{_money(r['earned'], cur)}</td>"
                f"<td>{_money(draw, cur) if draw else '-'}</td>"
                f"<td>{_money(r['paid'], cur)}</td><td>{e(reason) if reason else '-'}</td></tr>")
        head = period[0]
        out.append(f"<tr><td><b>{e(head['period_name'])}</b></td><td><b>"
                   f"{_date(head['pay_date'])}</b></td><td><b>total paid</b></td>{dash * 3}"
                   f"<td><b>{_money(round(sum(r['earned'] for r in period), 2), cur)}</b>"
                   f"</td>{dash}"
                   f"<td><b>{_money(round(sum(r['paid'] for r in period), 2), cur)}</b></td>"
                   f"{dash}</tr>")
    out.append("</table>")
    last = list(periods.values())[-1]
    out += ["<h3>Year to date</h3>",
            "<table><tr><th>Component</th><th>Earned</th><th>Paid</th></tr>"]
    out += [f"<tr><td>{e(str(r['component']))}</td><td>{_money(r['earned_ytd'], cur)}</td>"
            f"<td>{_money(r['paid_ytd'], cur)}</td></tr>" for r in last
            if r["component"] != "draw" or r["paid_ytd"] or r["draw_owed"]]
    earned = round(sum(r["earned_ytd"] for r in last), 2)
    paid = round(sum(r["paid_ytd"] for r in last), 2)
    out.append(f"<tr><td><b>total</b></td><td><b>{_money(earned, cur)}</b></td>"
               f"<td><b>{_money(paid, cur)}</b></td></tr>"
               "</table>")
    owed = [r["draw_owed"] for r in last if r["component"] == "draw"]
    if owed and owed[0] > 0:
        out.append(f"<p>Draw still owed back: {_money(owed[0], cur)}.</p>")
    notes = [f"<li><b>{e(str(r['component']))}</b>: {e(str(r['needed_note']))}</li>"
             for r in last if r["component"] != "draw" and not pd.isna(r["needed_note"])
             and r["needed_note"]]
    if notes:
        out += [f"<h3>The next tier (as of {e(last[0]['period_name'])})</h3>", "<ul>", *notes,
                "</ul>"]
    out.append("</section>")
    return "\n".join(out)


def statements(plan: Plan, payouts: pd.DataFrame, *, year: int,
               table: pd.DataFrame | None = None, names: pd.Series | None = None,
               caveat: str = "") -> dict[str, tuple[str, str]]:
    """Every rep's statement, for a bulk run: rep_id -> (title, HTML fragment).

    Parameters
    ----------
    plan : Plan
        The plan the payouts come from.
    payouts : pandas.DataFrame
        Its payout table (`payout`, `replay`).
    year : int
        The plan year.
    table : pandas.DataFrame, optional
        `statement_table(plan, payouts, year=year)` when the caller has made it (a notebook
        shows and saves it too), so it is not made twice.
    names : pandas.Series, optional
        rep_id -> name (e.g. the roster's), so each statement names its rep.
    caveat : str, default ""
        A sentence each statement opens with (`statement_caveat`), e.g. that its targets
        are stand-ins.

    Returns
    -------
    dict of str to (str, str)
        By rep_id in sorted order: the title ("Statement 2027: Kai Olsen (R001)") and the
        fragment (`statement_html`).

    Raises
    ------
    DataError
        When the payout table cannot be read (see `statement_table`).
    """
    if table is None:
        table = statement_table(plan, payouts, year=year)
    by_rep: dict[str, list[dict]] = {}
    for r in table.to_dict("records"):  # sorted by rep_id, period, component
        by_rep.setdefault(str(r["rep_id"]), []).append(r)
    who = {} if names is None else {str(k): v for k, v in names.items()}
    return {rep: (f"Statement {year}: {person(rep, who.get(rep))}",
                  _html(plan, rows, who.get(rep), caveat))
            for rep, rows in sorted(by_rep.items())}


def statement_caveat(ds, year: int) -> str:
    """What a statement must say when its targets are not the ones set ("" when they are:
    the history's `quota` covers the year's revenue): the workbook's own stand-in targets
    show how the plan works, they are not pay anyone is owed.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The year the statements are for.

    Returns
    -------
    str
        The sentence, or "".
    """
    h = ds.history[ds.history["month"].dt.year == year]
    if "quota" in h.columns and len(h) and h["quota"].notna().all():
        return ""
    return (f"the data has no targets set for {year} (no quota), so this statement uses the "
            "workbook's stand-in targets: it shows how the plan works, not pay you are owed")


def without_statement(ds, docs: Mapping[str, object], year: int) -> str:
    """Who worked in `year` but has no statement in `docs`, and why, in a sentence ("" when
    everyone has one): a replay pays reps with every month of the year the history has, so
    reps who joined or left during it are left out, and the run should say who.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    docs : Mapping
        The statements by rep_id (`statements`).
    year : int
        The year the statements are for.

    Returns
    -------
    str
        The sentence, naming up to ten reps.
    """
    worked = ds.history.loc[ds.history["month"].dt.year == year, "rep_id"].astype(str)
    left = sorted(set(worked) - set(map(str, docs)))
    if not left:
        return ""
    shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
    return (f"no statement for {len(left)} rep(s) who did not work every month of {year} in "
            f"the history (joined or left during it): {shown}")


# ----------------------------------------------------------------------------- checks


def _checked(plan: Plan, payouts: pd.DataFrame, year: int) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in payouts.columns]
    if missing:
        raise DataError(f"payouts: missing column(s) {', '.join(missing)} (a payout table from "
                        "`payout` or `replay` has them)")
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or not 1 <= year <= 9999:
        raise DataError(f"year: must be a calendar year such as 2027, got {year!r}")
    table = payouts[COLUMNS].copy()
    names = {c.name for c in plan.components} | {"draw"}
    unknown = ~table["component"].isin(names)
    if unknown.any():
        bad = sorted(table.loc[unknown, "component"].astype(str).unique())[:5]
        raise DataError(f"payouts: column 'component' has {bad} that plan '{plan.name}' does "
                        f"not pay (rows {table.index[unknown][:5].tolist()})")
    period = pd.to_numeric(table["period"], errors="coerce")
    bad = period.isna() | (period < 1) | (period > plan.n_periods) | (period % 1 != 0)
    if bad.any():
        raise DataError(f"payouts: column 'period' must be 1..{plan.n_periods} for a plan paid "
                        f"per {plan.period}; rows {table.index[bad][:5].tolist()} are not")
    table["period"] = period.astype(np.int64)
    return table


# ----------------------------------------------------------------------- next tier


def _words(measure: str) -> str:
    return measure.replace("_", " ")


def _steps(comp) -> tuple[list[float], list[str], str] | str:
    """(boundaries, their names, "attainment" | "amount"), or why there is no tier to reach."""
    if isinstance(comp, Commission):
        if comp.per == "transaction":
            return ("each sale goes through the rate table on its own: there is no tier to "
                    "reach for the year")
        names = [f"tier {i + 1} ("
                 + (f"{t.rate:.2%}" if comp.mode != "interpolated" else "amount table")
                 + (" on all" if comp.mode == "retroactive" else "") + ")"
                 for i, t in enumerate(comp.tiers)]
        return [t.lo for t in comp.tiers], names, comp.basis
    if isinstance(comp, Bonus):
        names = [f"the {n} point (pays {p:.0%} of its share)" for n, _, p in comp.curve.points]
        return [a for _, a, _ in comp.curve.points], names, "attainment"
    if isinstance(comp, Spif):
        return ("a SPIF pays per unit sold, with no tiers" if comp.per_unit else
                "a flat SPIF pays its amount once its minimum is reached, with no tiers")
    if isinstance(comp, Contest):
        return "a contest is decided by rank at the year's end, not by tiers"
    return f"a {comp.kind} has no tiers"


def _reached(comp, u: np.ndarray) -> np.ndarray:
    """The engine's tier (or curve points) reached at `u`, the credited attainment or amount."""
    if isinstance(comp, Commission):
        return tier_index(u, comp.tiers, comp.boundary).astype(np.int64)
    return curve_payout(u, comp.curve, index=True)[1].astype(np.int64)


def _next_tier(plan: Plan, table: pd.DataFrame) -> None:
    """Fill next_tier, next_step, needed and needed_note in place, component by component."""
    n = len(table)
    next_tier = np.full(n, -1, dtype=np.int64)
    step = np.full(n, "", dtype=object)
    needed = np.full(n, np.nan)
    note = np.full(n, "", dtype=object)
    comp_col = table["component"].to_numpy(object)
    for comp in plan.components:
        rows = np.flatnonzero(comp_col == comp.name)
        if not len(rows):
            continue
        found = _steps(comp)
        if isinstance(found, str):
            note[rows] = found
            continue
        if MEASURES[comp.measure] != "sum":
            note[rows] = (f"{_words(comp.measure)} is a score (an average), not an amount to "
                          "sell")
            continue
        bounds, names, basis = found
        sub = table.iloc[rows]
        to_date = plan.true_up and plan.n_periods > 1 and comp.to_date
        value = sub["value"].to_numpy(np.float64)
        period_target = sub["target"].to_numpy(np.float64)
        target = sub["year_target"].to_numpy(np.float64) if to_date else period_target
        cap = comp.cap_attainment

        def credited(v, t, _cap=cap, _basis=basis):
            """What the engine pays on: the attainment (or amount), the credit capped."""
            if _basis == "amount":
                return v if _cap is None else np.minimum(v, _cap * t)
            att = np.divide(v, t, out=np.zeros_like(v), where=t > 0)
            return att if _cap is None else np.minimum(att, _cap)

        now = _reached(comp, credited(value, period_target))
        nxt = now + 1
        top = now >= len(bounds)
        bound = np.asarray(bounds, dtype=np.float64)[np.minimum(now, len(bounds) - 1)]
        no_target = (target <= 0) & (basis == "attainment")
        beyond_cap = np.zeros(len(rows), dtype=bool)
        if cap is not None:
            most = cap if basis == "attainment" else cap * np.maximum(target, 0)
            beyond_cap = ~top & (bound > most + 1e-12)
        capped = np.zeros(len(rows), dtype=bool)
        if getattr(comp, "cap_payout", None) is not None:
            earned_ytd = sub["earned_ytd"].to_numpy(np.float64)
            capped = earned_ytd >= comp.cap_payout - 0.005
        ok = ~(top | no_target | beyond_cap | capped)
        unit = UNITS.get(comp.measure, 1.0)
        goal = np.where(basis == "amount", bound, bound * target)
        amount = np.ceil(np.round((goal - value) / unit, 6)) * unit
        amount = np.where(ok, np.maximum(amount, unit), np.nan)
        for _ in range(3):  # the engine decides: one unit more if short, one less if enough
            short = ok & (_reached(comp, credited(value + np.nan_to_num(amount), target)) < nxt)
            amount = np.where(short, amount + unit, amount)
            less = np.nan_to_num(amount) - unit
            spare = ok & (less > 0) & (_reached(comp, credited(value + less, target)) >= nxt)
            amount = np.where(spare, less, amount)
        # a tier that starts where the credit stops (upper-inclusive at the cap) is never
        # reached, whatever is sold: the engine says so, not the bounds
        unreachable = ok & (_reached(comp, credited(value + np.nan_to_num(amount), target))
                            < nxt)
        beyond_cap |= unreachable
        ok &= ~unreachable
        amount = np.round(np.where(ok, amount, np.nan), 2)
        by = "in the year" if to_date else "in the period"
        who = "the team sells " if getattr(comp, "team", False) else ""
        label = np.asarray(names, dtype=object)[np.minimum(now, len(bounds) - 1)]
        for i in np.flatnonzero(ok):
            shown = fmt(amount[i], "money", digits=2) if comp.measure == "revenue" else fmt(
                amount[i], "count")
            what = _words(comp.measure)
            note[rows[i]] = (f"{shown} more {what} {by} reaches {label[i]}" if not who else
                             f"{shown} more {what} {by} (what the team sells) reaches "
                             f"{label[i]}")
            step[rows[i]] = label[i]
        note[rows[top]] = "the top tier is reached: nothing further to reach"
        if capped.any():
            note[rows[~top & capped]] = (f"the year's cap of {fmt(comp.cap_payout, 'money')} "
                                         "is reached: more sales pay nothing more")
        if beyond_cap.any():
            note[rows[~top & ~capped & beyond_cap]] = (
                f"credit stops at {cap:.0%} attainment: no further tier can be reached"
                if cap is not None else "no further tier can be reached")
        note[rows[~top & ~capped & ~beyond_cap & no_target]] = (
            "no target for the year: no tier to reach on attainment")
        if comp.gates:  # the tier is reached all the same; the pay waits for the gate
            rule = " and ".join(f"{_words(g.measure)} "
                                f"{'attainment ' if g.basis == 'attainment' else ''}"
                                f"of at least {g.min:g}" for g in comp.gates)
            failed = ok & sub["reason"].fillna("").str.contains("gate failed").to_numpy(bool)
            note[rows[failed]] = note[rows[failed]] + f" (it pays only with {rule})"
        next_tier[rows[ok]] = nxt[ok]
        needed[rows] = amount
    table["next_tier"] = pd.arrays.IntegerArray(np.maximum(next_tier, 0), next_tier < 0)
    table["next_step"] = pd.array(step, dtype="string")
    table["needed"] = needed
    table["needed_note"] = pd.array(note, dtype="string")


# ---------------------------------------------------------------------------- words


def _date(day: pd.Timestamp) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _amount(x: float, measure: str, unit=None) -> str:
    if x is None or pd.isna(x):
        return "-"
    if measure == "revenue":
        return fmt(x, "money", unit=unit)
    if MEASURES.get(str(measure)) == "mean":
        return fmt(x, "number", digits=1)
    return fmt(x, "count") if float(x).is_integer() else fmt(x, "number", digits=1)


def plain(text: str) -> str:
    """An engine reason in plain words: measures without underscores, "YTD" spelt out.

    Parameters
    ----------
    text : str
        A reason from a payout table.

    Returns
    -------
    str
        The same reason for a person to read.
    """
    for m in MEASURES:
        text = text.replace(m, _words(m))
    return text.replace("YTD ", "year-to-date ")


def _money(x: float, unit=None) -> str:
    return fmt(x, "money", digits=2, unit=unit)


def _share(att: float, target: float) -> str:
    if att is None or pd.isna(att) or pd.isna(target) or target == 0:
        return "-"
    return fmt(att, "percent", digits=0)
