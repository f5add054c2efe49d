"""Plan letters: one page per rep saying what the plan asks of them and what it pays.

A letter holds the rep's level, target incentive and pay mix; the annual targets of the
measures the plan pays on, by quarter and by month, exactly as the targets table has them;
how each component pays in plain words, with its gates and caps; three worked examples at
the rep's own targets; the draw; how often it pays; where to ask; an acknowledgement block.

The worked examples are the plan's own engine (`payout`) run on a results table in which
the rep attains the same share of every monthly target (their own seasonal split), with
scores such as CSAT just passing their gates and team results equal to the rep's own; a
contest is not priced (it depends on everyone else) and the letter says so. Every rep and
example runs in one engine call; only the text is written rep by rep.

A rep whose level the plan does not cover, or who has no targets for the year, gets no
letter: `plan_letters` lists them with the reason in `attrs["skipped"]` and one sentence in
`attrs["note"]` of the `Documents` it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ..documents import FORMATS, DocumentError, Documents, group_by, write_documents
from ..formatting import fmt
from ..glossary import label
from ..schema import LEVELS
from .components import Bonus, Commission, Component, Contest, Spif
from .model import MEASURES
from .payouts import needed_targets, payout
from .plan import Plan

EXAMPLES = (0.8, 1.0, 1.2)
"""Attainments the worked examples are priced at."""

PERIOD_WORDS = {"month": ("month", "monthly", "M"), "quarter": ("quarter", "quarterly", "Q"),
                "year": ("year", "yearly", "Y")}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
SEP = "#"  # rep id + SEP + example index: the engine's row key for one worked example


class LetterError(DocumentError):
    """A letter that cannot be written: the rep's level is not one the plan pays, the rep
    has no targets for the year, or an input lacks a column; the message names which.
    """


# ------------------------------------------------------------------------- inputs


def letter_targets(targets: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's monthly targets in the shape a letter reads: rep_id, measure, quarter,
    month (1..12), target; from the phased table notebook 01 writes (`targets_<year>.csv`:
    rep_id, region, team, measure, quarter, month, target) or the long table `read_targets`
    gives (no quarter: it follows from the month).

    Parameters
    ----------
    targets : pandas.DataFrame
        Monthly targets with `rep_id`, `measure`, `month` (a date) and `target`.
    year : int
        The plan year; other years' rows are left out.

    Returns
    -------
    pandas.DataFrame
        One row per rep, measure and month of `year`.

    Raises
    ------
    LetterError
        When a column is missing or a month is not a date.
    """
    missing = [c for c in ("rep_id", "measure", "month", "target") if c not in targets]
    if missing:
        raise LetterError(f"targets: missing column(s) {', '.join(missing)} (found "
                          f"{', '.join(map(str, targets.columns))})")
    month = pd.to_datetime(targets["month"], errors="coerce")
    if month.isna().any():
        bad = targets.loc[month.isna(), "rep_id"].astype(str).unique()[:5]
        raise LetterError(f"targets: column 'month' has values that are not dates (rep_id "
                          f"{', '.join(bad)})")
    keep = (month.dt.year == year).to_numpy()
    out = pd.DataFrame({"rep_id": targets["rep_id"].astype("string").to_numpy()[keep],
                        "measure": targets["measure"].astype("string").to_numpy()[keep],
                        "month": month.dt.month.to_numpy()[keep],
                        "target": pd.to_numeric(targets["target"], errors="coerce")
                        .to_numpy(dtype=float)[keep]})
    out["quarter"] = (out["month"] - 1) // 3 + 1
    return out


def _reps(roster_or_levels: pd.DataFrame | pd.Series,
          levels: pd.Series | None) -> pd.DataFrame:
    """rep_id, name, level (text or NA), team, region, manager_id; one row per rep."""
    if isinstance(roster_or_levels, pd.Series):
        frame = pd.DataFrame({"rep_id": roster_or_levels.index.astype(str),
                              "level": roster_or_levels.to_numpy()})
    else:
        if "rep_id" not in roster_or_levels:
            raise LetterError("roster: missing column rep_id (found "
                              f"{', '.join(map(str, roster_or_levels.columns))})")
        frame = roster_or_levels.copy()
        if "level" not in frame and levels is None:
            raise LetterError("roster: no column level and no levels given; a letter needs "
                              "each rep's level")
    frame["rep_id"] = frame["rep_id"].astype("string")
    frame = frame.drop_duplicates("rep_id")
    if levels is not None:
        given = pd.Series(levels.to_numpy(), index=levels.index.astype(str))
        frame["level"] = frame["rep_id"].map(given)
    frame["level"] = frame["level"].astype("string").str.strip().str.lower()
    for col in ("name", "team", "region", "manager_id"):
        if col not in frame:
            frame[col] = pd.NA
        frame[col] = frame[col].astype("string")
    frame["name"] = frame["name"].fillna(frame["rep_id"])
    return frame[["rep_id", "name", "level", "team", "region", "manager_id"]]


# ------------------------------------------------------------------- worked examples


def scales(plan: Plan, measure: str) -> bool:
    """Whether a worked example scales `measure` with attainment: a summed measure or one a
    component pays on does; a score only gates or modifiers read (CSAT) stays at its target
    (as in `payout_curve`).

    Parameters
    ----------
    plan : Plan
        The plan.
    measure : str
        The measure.

    Returns
    -------
    bool
        True when the examples scale it.
    """
    return MEASURES[measure] == "sum" or measure in {c.measure for c in plan.components}


def _value_of_score(plan: Plan, measure: str) -> float:
    """A score the targets lack (CSAT) at the least its gates ask (1.0 without a gate)."""
    gates = [g.min for c in plan.components for g in c.gates
             if g.measure == measure and g.basis == "value"]
    return max(gates, default=1.0)


def worked_examples(plan: Plan, levels: pd.Series, targets: pd.DataFrame, *, year: int,
                    examples: Sequence[float] = EXAMPLES) -> pd.DataFrame:
    """What the plan pays each rep in a year in which they attain `examples` of every
    monthly target, by component: the plan's own engine (`payout`), one call for all.

    Each rep is priced alone: team results equal the rep's own; a score only gates or
    modifiers read (CSAT) stays at its target, or at the least its gates ask when it has
    none (`scales`); contests are left out (they depend on the others); draws are in (cash
    paid).

    Parameters
    ----------
    plan : Plan
        The plan.
    levels : pandas.Series
        rep_id -> level, for the reps to price (each a level of the plan).
    targets : pandas.DataFrame
        Monthly targets (see `letter_targets`), with every measure the plan reads on
        attainment.
    year : int
        The plan year.
    examples : Sequence of float, default EXAMPLES
        The attainments to price.

    Returns
    -------
    pandas.DataFrame
        One row per rep, example and component (and `draw`): `rep_id`, `attainment`,
        `component`, `amount` (the year's sum, to the cent); components in plan order.

    Raises
    ------
    LetterError
        When a rep has no target for a measure the plan pays on.
    """
    return _worked(plan, levels, letter_targets(targets, year), year, examples)


def _worked(plan: Plan, levels: pd.Series, t: pd.DataFrame, year: int,
            examples: Sequence[float]) -> pd.DataFrame:
    """`worked_examples` on targets already in `letter_targets`' shape."""
    reps = pd.Index(levels.index.astype(str), name="rep_id")
    t = t[t["rep_id"].isin(reps)]
    priced = plan.replace(components=tuple(c for c in plan.components if c.in_curves))
    measures = priced.measures
    with_target = [m for m in measures if m in set(t["measure"])]
    wide = (t[t["measure"].isin(with_target)]
            .pivot_table(index=["rep_id", "month"], columns="measure", values="target",
                         aggfunc="sum", observed=True)
            .reindex(pd.MultiIndex.from_product([reps, range(1, 13)],
                                                names=["rep_id", "month"])))
    need = [m for m in measures if MEASURES[m] == "sum" or m in needed_targets(priced)]
    lacking = [m for m in need if m not in wide.columns or wide[m].isna().any()]
    if lacking:
        m = lacking[0]
        who = (reps if m not in wide.columns else
               wide.index.get_level_values("rep_id")[wide[m].isna().to_numpy()].unique())
        raise LetterError(f"targets: no {year} target for {label(m).lower()} ({m}) for rep(s) "
                          f"{', '.join(map(str, list(who)[:5]))}; the plan pays on it")
    k, n = len(examples), len(wide)
    att = np.repeat(np.asarray(examples, dtype=float), n)
    rep_ids = np.tile(wide.index.get_level_values("rep_id").astype(str).to_numpy(), k)
    key = pd.array([f"{r}{SEP}{i}" for i, r in zip(np.repeat(np.arange(k), n), rep_ids,
                                                        strict=True)], dtype="string")
    month = pd.to_datetime(pd.DataFrame({"year": year, "month": np.tile(
        wide.index.get_level_values("month").to_numpy(), k), "day": 1}))
    results = pd.DataFrame({"rep_id": key, "month": month,
                            "level": pd.array(levels.reindex(reps).astype("string")
                                              .reindex(rep_ids).to_numpy(), dtype="string"),
                            "team": key})
    for m in measures:
        if m in wide.columns:
            target = np.tile(wide[m].to_numpy(dtype=float), k)
            results[f"{m}_target"] = target
            results[m] = target * att if scales(priced, m) else target
        else:  # a score with no target: at the least its gates ask
            results[m] = _value_of_score(priced, m)
    table = payout(priced, results)
    year_sum = table.groupby(["rep_id", "component"], sort=False)["amount"].sum().round(2)
    out = year_sum.reset_index()
    split = out["rep_id"].astype(str).str.rsplit(SEP, n=1, expand=True)
    order = {c: i for i, c in enumerate([*(c.name for c in priced.components), "draw"])}
    out = pd.DataFrame({"rep_id": split[0].astype("string"),
                        "attainment": np.asarray(examples, dtype=float)[split[1].astype(int)],
                        "component": out["component"].astype("string"),
                        "amount": out["amount"].to_numpy(dtype=float)})
    out["_order"] = out["component"].map(order)
    return (out.sort_values(["rep_id", "attainment", "_order"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


# ------------------------------------------------------------------- plain words


def _m(measure: str) -> str:
    return label(measure).lower() if measure != "csat" else "CSAT"


def _pct(x: float) -> str:
    return fmt(x, "percent", digits=0 if abs(x * 100 - round(x * 100)) < 1e-9 else 1)


def _periods(periods: Sequence[int], plan: Plan) -> str:
    word = PERIOD_WORDS[plan.period][0]
    if not periods:
        return f"every {word}"
    names = [f"{PERIOD_WORDS[plan.period][2]}{p}" if plan.period != "month" else MONTHS[p - 1]
             for p in periods]
    return f"in {' and '.join([', '.join(names[:-1]), names[-1]] if len(names) > 1 else names)}"


def _curve_words(c: Bonus, level: str, ti: float) -> str:
    share = c.weight.get(level, 0.0)
    at_target = share * ti
    whose = "your team's" if c.team else "your"
    points = "; ".join(f"at {_pct(a)} of target it pays {_pct(p)} of it "
                       f"({fmt(p * at_target, 'money')})" for _, a, p in c.curve.points)
    first = c.curve.points[0][1]
    shape = ("in between it rises in a straight line, and no higher after the last point"
             if c.curve.shape == "linear" else
             "it pays the amount of the last point reached (steps, not a line)")
    return (f"pays on {whose} {_m(c.measure)} against target: "
            f"{fmt(at_target, 'money')} at 100% ({_pct(share)} of your target incentive). "
            f"Below {_pct(first)} of target it pays nothing; {points}; {shape}.")


def _tiers_words(c: Commission) -> str:
    def bound(x: float | None) -> str:
        if x is None:
            return ""
        return _pct(x) + " of target" if c.basis == "attainment" else fmt(x, "money")

    parts = []
    for t in c.tiers:
        pay = (f"{fmt(t.amount, 'money')}" if c.mode == "interpolated"
               else f"{fmt(t.rate, 'percent', digits=1 if t.rate * 1000 % 10 else 0)}")
        span = (f"from {bound(t.lo)} to {bound(t.hi)}" if t.hi is not None
                else f"above {bound(t.lo)}")
        parts.append(f"{pay} {span}")
    how = {"marginal": "each part of your {m} earns the rate of the band it falls in",
           "retroactive": "all of your {m} earns the rate of the highest band reached",
           "interpolated": "it pays the amount read between the bands' amounts"}[c.mode]
    per = (" Each deal is paid through the table on its own." if c.per == "transaction"
           else "")
    return (f"a commission on your {_m(c.measure)}: "
            + how.format(m=_m(c.measure)) + ": " + "; ".join(parts) + "." + per)


def _rules(c: Component, plan: Plan) -> list[str]:
    """Gates, modifier and caps of a component, one sentence each."""
    out = []
    word = PERIOD_WORDS[plan.period][0]
    for g in c.gates:
        level = (_pct(g.min) + " of target" if g.basis == "attainment"
                 else fmt(g.min, "number", digits=0 if float(g.min).is_integer() else 1))
        out.append(f"Gate: {c.name} pays only while your {_m(g.measure)} is at least "
                   f"{level} in the {word}.")
    if c.modifier is not None:
        on_att = c.modifier.basis == "attainment"
        bands = ", ".join(f"× {x:g} from {_pct(lo) if on_att else f'{lo:g}'}"
                          for lo, x in c.modifier.bands)
        out.append(f"Modifier: {c.name} is multiplied by the band your "
                   f"{_m(c.modifier.measure)}{' attainment' if on_att else ''}"
                   f" falls in ({bands}).")
    cap_payout = getattr(c, "cap_payout", None)
    if cap_payout is not None:
        out.append(f"Cap: {c.name} pays at most {fmt(cap_payout, 'money')} a year.")
    cap_att = getattr(c, "cap_attainment", None)
    if cap_att is not None:
        out.append(f"Cap: for {c.name}, attainment above {_pct(cap_att)} of target is not "
                   "credited.")
    return out


def component_words(c: Component, plan: Plan, level: str) -> str:
    """How one component pays a rep of `level`, in plain words (no YAML names).

    Parameters
    ----------
    c : Component
        The component.
    plan : Plan
        The plan it belongs to (its period and target incentives).
    level : str
        The rep's level.

    Returns
    -------
    str
        One or two sentences (plain text, not escaped).
    """
    ti = plan.target_incentive(level)
    if isinstance(c, Bonus):
        text = _curve_words(c, level, ti)
    elif isinstance(c, Commission):
        text = _tiers_words(c)
    elif isinstance(c, Spif):
        what = (f"{fmt(c.per_unit, 'money')} for each {_m(c.measure).rstrip('s')}"
                if c.per_unit else f"{fmt(c.amount, 'money')} once")
        floor = f" once you reach {c.min:g}" if c.min and c.per_unit else (
            f" you reach {c.min:g} {_m(c.measure)}" if c.min else "")
        text = f"a sales incentive: {what}{floor} {_periods(c.periods, plan)}."
    elif isinstance(c, Contest):
        prizes = ", ".join(fmt(p, "money") for p in c.prizes)
        basis = "attainment of target" if c.basis == "attainment" else "total"
        honours = (f" Winners are named to {', '.join(c.honours)}." if c.honours else "")
        text = (f"a contest: the top {len(c.prizes)} of the year by {_m(c.measure)} {basis} "
                f"win {prizes} (first place first), paid in the last "
                f"{PERIOD_WORDS[plan.period][0]}."
                f"{honours} It depends on everyone's results, so the worked examples leave "
                "it out.")
    else:  # a kind registered elsewhere: its own line, in words
        text = c.how().replace("_", " ") + "."
    return text


def _draw_words(plan: Plan, level: str) -> str:
    d = plan.draw
    if d is None or level not in d.levels:
        return "Your plan has no draw: each payment is what you earned."
    when = _periods(d.periods, plan)
    word = PERIOD_WORDS[plan.period][0]
    if d.recoverable:
        return (f"A recoverable draw of {fmt(d.amount, 'money')} a {word} {when}: when you "
                f"earn less than that in such a {word}, you are paid {fmt(d.amount, 'money')} "
                "and the difference is an advance, recovered from what you earn later in the "
                "year.")
    return (f"A guarantee of {fmt(d.amount, 'money')} a {word} {when}: when you earn less "
            f"than that in such a {word}, you are paid {fmt(d.amount, 'money')} and keep "
            "the difference (it is not recovered).")


def _schedule_words(plan: Plan) -> str:
    word, often, _ = PERIOD_WORDS[plan.period]
    when = (f" Each {word}'s pay reaches you {plan.pay.lag_days} days after the {word} ends."
            if plan.pay.lag_days else f" Each {word}'s pay reaches you when the {word} ends.")
    if plan.true_up and plan.n_periods > 1:
        return (f"The plan pays {often}. Each {word} pays what you have earned from January "
                "to date less what was already paid, so a strong "
                f"{word} makes good a weak one; nothing already paid is taken back." + when)
    return f"The plan pays {often}, on that {word}'s results alone." + when


# ------------------------------------------------------------------------- letter


def _table(head: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> str:
    cells = ("" if head is None else
             "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead>")
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table>{cells}<tbody>{body}</tbody></table>"


def _target_text(measure: str, value: float) -> str:
    if measure == "revenue" or MEASURES.get(measure) is None:
        return fmt(value, "money", digits=2)
    if MEASURES[measure] == "mean":
        return fmt(value, "number", digits=1)
    return fmt(value, "count") if float(value).is_integer() else fmt(value, "number", digits=2)


def _example_value(measure: str, value: float) -> str:
    if measure == "revenue":
        return fmt(value, "money", digits=2)
    return fmt(value, "number", digits=0 if float(value).is_integer() else 1)


def _total(m: str, months: np.ndarray) -> float:
    """A year's target: the sum of the months to the cent (a score's: their mean)."""
    return float(round(months.sum(), 2)) if MEASURES.get(m) != "mean" else float(months.mean())


def _letter(plan: Plan, rep: Mapping, months: Mapping[str, np.ndarray],
            amounts: Mapping[str, np.ndarray], year: int, shown: Sequence[float],
            zero: Sequence[str] = ()) -> str:
    """The fragment for one rep whose level and targets were checked: `months` holds the
    12 monthly targets per measure, `amounts` the worked examples per component, `zero` the
    measures paid on attainment whose year target is 0 (`_zero_targets`).
    """
    level = str(rep["level"])
    lv = plan.levels[level]
    name = str(rep["name"])
    comps = [c for c in plan.components if level in c.levels]
    measures = list(months)
    out = [f"<section><h1>Your {year} sales plan: {escape(name)}</h1>"]
    about = [f"Plan: {plan.name}", f"level: {label(level)}"]
    about += [f"{k}: {rep[k]}" for k in ("team", "region") if pd.notna(rep.get(k))]
    out.append(f"<p>{escape('; '.join(about))}.</p>")
    if plan.description:
        out.append(f"<p><i>{escape(plan.description)}</i></p>")

    pay = [("Target incentive (variable pay at 100% of target, per year)",
            fmt(lv.target_incentive, "money"))]
    if lv.base_salary is not None:
        pay = [("Base salary, per year", fmt(lv.base_salary, "money")), *pay,
               ("On-target earnings (base + target incentive)",
                fmt(lv.base_salary + lv.target_incentive, "money")),
               ("Pay mix (base / variable)", lv.pay_mix)]
    else:
        pay.append(("Pay mix (base / variable)", "not set by this plan (no base salary in it)"))
    out.append("<h2>Your pay</h2>" + _table(("Pay", "Amount"), pay))

    out.append("<h2>Your targets</h2>")
    for m in zero:  # said where it matters, not left to find
        weight = sum(c.weight.get(level, 0.0) for c in comps if c.measure == m)
        share = f" ({weight:.0%} of your target incentive)" if weight else ""
        out.append(f"<p><b>Note:</b> your {year} target for {escape(label(m).lower())} is "
                   f"0, so the part of the plan paid on it{share} cannot pay you as set: "
                   "ask your manager before you sign.</p>")
    heads = ["Period", *(label(m) if m != "csat" else "CSAT" for m in measures)]
    year_row = ["Year", *(_target_text(m, _total(m, months[m])) for m in measures)]
    out.append(f"<p>Your targets for {year} on what the plan pays, by quarter; the year is "
               "the sum of the months.</p>")
    out.append(_table(heads, [[f"Q{q}", *(_target_text(m, _total(m, months[m][3 * q - 3:3 * q]))
                                          for m in measures)]
                              for q in range(1, 5)] + [year_row]))
    out.append("<h3>By month</h3>")
    out.append(_table(["Month", *heads[1:]], [[MONTHS[i], *(_target_text(m, float(months[m][i]))
                                            for m in measures)] for i in range(12)]))
    unmeasured = [m for m in plan.measures if m not in measures]
    if unmeasured:
        words = ", ".join(_m(m) for m in unmeasured)
        out.append(f"<p>The plan also reads {escape(words)}, which has no target: "
                   "see the gates below.</p>")

    out.append("<h2>How the plan pays you</h2>")
    out.append(f"<p>{escape(_schedule_words(plan))}</p>")
    out.append("<ul>" + "".join(f"<li><b>{escape(c.name)}</b>: "
                                f"{escape(component_words(c, plan, level))}</li>"
                                for c in comps) + "</ul>")
    left_out = [c.name for c in plan.components if level not in c.levels]
    if left_out:
        out.append(f"<p>Not part of your plan at the {escape(label(level).lower())} level: "
                   f"{escape(', '.join(left_out))}.</p>")
    rules = [r for c in comps for r in _rules(c, plan)]
    out.append("<h3>Gates and caps</h3>")
    out.append("<ul>" + "".join(f"<li>{escape(r)}</li>" for r in rules) + "</ul>" if rules
               else "<p>Your plan has no gates or caps: every component pays on your results "
               "alone.</p>")

    out.append("<h2>Worked examples at your targets</h2>")
    fixed = [f"{_m(m)} at its target" if m in measures else
             f"{_m(m)} at {_value_of_score(plan, m):g} (the least its gates ask)"
             for m in plan.measures if not scales(plan, m)]
    assume = "" if not fixed else " with " + " and ".join(fixed)
    team = " and your team at the same share" if any(c.team for c in comps) else ""
    out.append(f"<p>What the plan pays in a year in which you reach the same share of every "
               f"monthly target{escape(team)}{escape(assume)}, computed by the plan's own "
               "payout engine.</p>")
    rows_order = [r for r in amounts if r != "draw" or np.any(amounts[r] != 0)]
    ex_head = ["What", *(f"at {_pct(a)}" for a in shown)]
    ex_rows = [[f"{label(m) if m != 'csat' else 'CSAT'} reached",
                *(_example_value(m, a * _total(m, months[m])) for a in shown)]
               for m in measures if scales(plan, m)]
    ex_rows += [[("Draw (top-up, or recovered if negative)" if r == "draw" else r),
                 *(fmt(float(v), "money", digits=2) for v in amounts[r])] for r in rows_order]
    year_total = np.round(np.sum([amounts[r] for r in amounts], axis=0), 2)
    ex_rows.append(["Total for the year", *(fmt(float(v), "money", digits=2)
                                            for v in year_total)])
    out.append(_table(ex_head, ex_rows))

    out.append("<h2>Draw</h2>")
    out.append(f"<p>{escape(_draw_words(plan, level))}</p>")
    out.append("<h2>Questions</h2>")
    out.append(f"<p>Ask {escape(plan.contact)} about your plan, your targets or a "
               "payment.</p>")
    out.append("<h2>Acknowledgement</h2>")
    out.append(f"<p>I have received my {year} sales plan and read how it pays.</p>")
    out.append(_table(None, [("Name", name), ("Signature", "_" * 30),
                                 ("Date", "_" * 30)]))
    out.append("</section>")
    return "".join(out)


def _zero_targets(plan: Plan, level: str, months: Mapping[str, np.ndarray]) -> list[str]:
    """Measures the rep is paid on by attainment whose year target is 0 (or none)."""
    paid_on = {c.measure for c in plan.components if level in c.levels} & needed_targets(plan)
    return [m for m in months if m in paid_on and not np.nansum(months[m]) > 0]


def _check(plan: Plan, reps: pd.DataFrame, t: pd.DataFrame, year: int) -> dict[str, str]:
    """rep_id -> why no letter, for reps whose level or targets cannot make one."""
    why: dict[str, str] = {}
    has = t.groupby("rep_id")["measure"].agg(lambda s: set(s))
    for rep_id, level in zip(reps["rep_id"], reps["level"], strict=True):
        if pd.isna(level):
            why[str(rep_id)] = "no level"
        elif level not in plan.levels:
            why[str(rep_id)] = (f"level {level!r} is not one the plan pays "
                                f"({', '.join(plan.levels)})")
        elif rep_id not in has.index:
            why[str(rep_id)] = f"no targets for {year}"
    need = [m for m in plan.measures
            if MEASURES[m] == "sum" and any(c.in_curves for c in plan.components)
            or m in needed_targets(plan)]
    for rep_id, got in has.items():
        lacking = [m for m in need if m not in got]
        if rep_id not in why and lacking:
            why[str(rep_id)] = f"no {year} target for {', '.join(map(_m, lacking))}"
    blank = t.loc[~np.isfinite(t["target"].to_numpy(dtype=float)), ["rep_id", "measure"]]
    for rep_id, measure in blank.drop_duplicates().itertuples(index=False):
        why.setdefault(str(rep_id), f"a {year} target for {_m(measure)} that is not a number")
    counts = t.groupby(["rep_id", "measure"]).size()
    short = counts[counts != 12]
    for rep_id, measure in short.index:
        why.setdefault(str(rep_id), f"{short.loc[(rep_id, measure)]} month(s) of {year} "
                                    f"targets for {_m(measure)}, not 12")
    return why


def plan_letters(plan: Plan, roster_or_levels: pd.DataFrame | pd.Series,
                 targets: pd.DataFrame, *, year: int, examples: Sequence[float] = EXAMPLES,
                 levels: pd.Series | None = None) -> Documents:
    """A plan letter for every rep: rep_id -> (title, HTML fragment), ready for
    `helpers.documents.write_documents`.

    Reps are matched on rep_id (row order and id labels never matter); reps without a
    letter are listed in `attrs["skipped"]` (rep_id -> why) and summed up in
    `attrs["note"]`, never given an empty letter.

    Parameters
    ----------
    plan : Plan
        The plan the letters explain.
    roster_or_levels : pandas.DataFrame or pandas.Series
        The roster (rep_id, level, and name, team, region, manager_id when present), or a
        Series rep_id -> level (the letter then names the rep by id).
    targets : pandas.DataFrame
        Monthly targets: the phased table notebook 01 writes (`targets_<year>.csv`) or
        `read_targets`'s long table (see `letter_targets`).
    year : int
        The plan year.
    examples : Sequence of float, default EXAMPLES
        The attainments of the worked examples.
    levels : pandas.Series, optional
        rep_id -> level overriding the roster's (e.g. notebook 02's `levels_<year>.csv`).

    Returns
    -------
    Documents
        rep_id -> (title, fragment), in rep_id order; `attrs["note"]` and
        `attrs["skipped"]` as above.

    Raises
    ------
    LetterError
        When an input lacks a column a letter needs.
    """
    shown = tuple(float(a) for a in examples)
    if not shown or any(not np.isfinite(a) or a < 0 for a in shown):
        raise LetterError(f"examples: need attainments >= 0, got {list(examples)}")
    reps = _reps(roster_or_levels, levels)
    t = letter_targets(targets, year)
    if isinstance(roster_or_levels, pd.DataFrame) and levels is not None:
        # the roster keeps leavers: with next year's levels, the plan's reps are those with
        # a target or a level (a leaver is not "a rep with no level")
        planned = set(t["rep_id"]) | set(levels.index.astype(str))
        reps = reps[reps["rep_id"].isin(pd.Index(sorted(planned), dtype="string"))]
    t = t[t["rep_id"].isin(pd.Index(reps["rep_id"]))]
    skipped = _check(plan, reps, t, year)
    ok = reps[~reps["rep_id"].isin(pd.Index(list(skipped), dtype="string"))]
    ok = ok.sort_values("rep_id", kind="stable")
    docs, zero = Documents(), {}
    if len(ok):
        ex = _worked(plan, ok.set_index("rep_id")["level"], t, year, shown)
        ids = pd.Index(ok["rep_id"].astype(str))
        measures = [m for m in plan.measures if m in set(t["measure"])]
        wide = (t.pivot_table(index=["rep_id", "month"], columns="measure", values="target",
                              aggfunc="sum", observed=True)
                .reindex(pd.MultiIndex.from_product([ids, range(1, 13)]))
                .reindex(columns=measures))
        month_arr = wide.to_numpy(dtype=float).reshape(len(ids), 12, len(measures))
        comps = [c.name for c in plan.components if c.in_curves] + ["draw"]
        got = (ex.pivot_table(index=["rep_id", "component"], columns="attainment",
                              values="amount", aggfunc="sum", observed=True)
               .reindex(pd.MultiIndex.from_product([ids, comps])).reindex(columns=list(shown)))
        ex_arr = got.to_numpy(dtype=float).reshape(len(ids), len(comps), len(shown))
        for i, rep in enumerate(ok.to_dict("records")):
            level = str(rep["level"])
            amounts = {c: ex_arr[i, j] for j, c in enumerate(comps)
                       if not np.isnan(ex_arr[i, j]).all()
                       and (c == "draw" or level in plan.components[
                           [x.name for x in plan.components].index(c)].levels)}
            months = {m: month_arr[i, :, j] for j, m in enumerate(measures)}
            lacking = _zero_targets(plan, level, months)
            docs[ids[i]] = (f"{year} sales plan: {rep['name']}",
                            _letter(plan, rep, months, amounts, year, shown, lacking))
            for m in lacking:
                zero.setdefault(m, []).append(str(ids[i]))
    docs.attrs["skipped"] = dict(sorted(skipped.items()))
    if skipped:
        first = "; ".join(f"{k} ({v})" for k, v in list(docs.attrs["skipped"].items())[:5])
        docs.attrs["note"] = (f"{len(skipped)} rep(s) got no plan letter: {first}"
                              + (" …" if len(skipped) > 5 else ""))
    else:
        docs.attrs["note"] = f"every one of the {len(docs)} reps got a plan letter"
    for m, ids_zero in zero.items():
        docs.attrs["note"] += (f"; {len(ids_zero)} letter(s) say the rep's {year} target for "
                               f"{label(m).lower()} is 0, so the part of the plan paid on it "
                               f"cannot pay them: {', '.join(ids_zero[:5])}"
                               + (" …" if len(ids_zero) > 5 else ""))
    return docs


def plan_letter(plan: Plan, rep: Mapping | pd.Series, targets: pd.DataFrame, *, year: int,
                examples: Sequence[float] = EXAMPLES) -> str:
    """One rep's plan letter as an HTML fragment (see `plan_letters` for the whole force).

    Parameters
    ----------
    plan : Plan
        The plan the letter explains.
    rep : Mapping or pandas.Series
        The rep: `rep_id` and `level`, and `name`, `team`, `region` when known.
    targets : pandas.DataFrame
        Monthly targets (see `letter_targets`); other reps' rows are ignored.
    year : int
        The plan year.
    examples : Sequence of float, default EXAMPLES
        The attainments of the worked examples.

    Returns
    -------
    str
        The letter, a `<section>`.

    Raises
    ------
    LetterError
        When the rep's level is not one the plan pays, the rep has no targets for the year,
        or `rep` has no rep_id.
    """
    rep = dict(rep)
    if "rep_id" not in rep:
        raise LetterError(f"rep: no rep_id (got keys {', '.join(map(str, rep))})")
    frame = pd.DataFrame([{k: rep.get(k) for k in ("rep_id", "name", "level", "team",
                                                   "region", "manager_id")}])
    docs = plan_letters(plan, frame, targets, year=year, examples=examples)
    rid = str(rep["rep_id"])
    if rid not in docs:
        raise LetterError(f"rep {rid}: no plan letter ({docs.attrs['skipped'][rid]})")
    return docs[rid][1]


def write_plan_letters(plan: Plan, roster: pd.DataFrame, targets: pd.DataFrame,
                       folder: str | Path, *, year: int, levels: pd.Series | None = None,
                       by: str | None = "manager_id", formats: Sequence[str] = FORMATS,
                       progress: bool = False) -> pd.DataFrame:
    """Every rep's plan letter as files in `folder`: `<rep_id>.html` and `.pdf`, and one PDF
    per manager (`by_manager/<manager_id>.pdf`) holding their reps' letters in rep_id order.

    Parameters
    ----------
    plan : Plan
        The plan the letters explain.
    roster : pandas.DataFrame
        The roster (rep_id, level, name, team, region, manager_id).
    targets : pandas.DataFrame
        Monthly targets (see `letter_targets`).
    folder : str or pathlib.Path
        Where to write (e.g. `<output>/documents/letters`).
    year : int
        The plan year.
    levels : pandas.Series, optional
        rep_id -> level overriding the roster's (notebook 02's levels).
    by : str or None, default "manager_id"
        The roster column of the combined PDFs; None writes none.
    formats : Sequence of str, default ("html", "pdf")
        The files per rep.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        What `write_documents` wrote; `attrs["note"]` says which reps got no letter and
        why, then anything a PDF left out.

    Raises
    ------
    LetterError
        When an input lacks a column a letter needs (or the roster lacks `by`).
    """
    docs = plan_letters(plan, roster, targets, year=year, levels=levels)
    groups = None
    if by is not None:
        if by not in roster:
            raise LetterError(f"roster: no column {by!r} to combine the letters by (found "
                              f"{', '.join(map(str, roster.columns))})")
        groups = group_by(roster, by, keys=list(docs))
    table = write_documents(docs, folder, groups=groups, formats=formats, progress=progress)
    table.attrs["note"] = "; ".join(n for n in (docs.attrs["note"], table.attrs["note"]) if n)
    return table


__all__ = ["EXAMPLES", "LEVELS", "LetterError", "component_words", "letter_targets",
           "plan_letter", "plan_letters", "scales", "worked_examples", "write_plan_letters"]
