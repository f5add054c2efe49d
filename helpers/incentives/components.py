"""The kinds of plan component, one class each: what it reads in YAML, how it pays, and why.

A component class owns everything about its kind:

- `parse` (its own YAML keys, read through `Node`, so every error names its key path) and
  `dump` (the same keys back, so a plan loads back equal);
- `how` (one line in plain words for `describe_plans`);
- `earn` (what it pays per period on the engine's arrays, (P, S, R): vectorised over
  scenarios and reps; never a Python loop over them) and, for kinds that pay row by row of
  the results (a commission per transaction), `per_row`;
- `reason` (the words next to each paid amount in a payout table).

Kinds are found by their YAML `type` in COMPONENTS; `@register` adds one. A new kind (a team
pool, a clawback, an MBO bonus) is a new class here (or anywhere, registered before the plan
is read) and its tests; the plan reader, the engine, the payout tables, the curves and the
simulation ask the component and need no change (tests/test_incentives.py registers a toy
kind to prove it).

Commission and Bonus share the rules of an `Accrued` component: earned to date, then gates,
a modifier, caps on attainment and on the year's payout, paid as the growth of what is owed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from ..errors import PlanError
from ..schema import LEVELS
from .engine import Context, below, curve_payout, rate_table, ratio, running
from .model import (
    BOUNDARIES,
    MEASURES,
    MODES,
    Condition,
    Curve,
    Modifier,
    Node,
    Tier,
    clean,
    number,
    parse_condition,
    parse_curve,
    parse_modifier,
    parse_tiers,
)

COMPONENTS: dict[str, type[Component]] = {}
"""Component classes by their YAML `type`, in the order they were registered."""


def register(cls: type[Component]) -> type[Component]:
    """Class decorator: make `cls` the component read from YAML `type: <cls.kind>`.

    `cls` (a Component subclass with a `kind`) is not listed under Parameters: numpydoc
    takes a first argument named `cls` for a classmethod's and leaves it out.

    Returns
    -------
    type of Component
        `cls`, unchanged.

    Raises
    ------
    TypeError
        When `cls` has no `kind`, its kind is "draw", or another class has that kind.
    """
    kind = getattr(cls, "kind", None)
    if not isinstance(kind, str) or not kind or kind == "draw":
        raise TypeError(f"{cls.__name__}: a component class needs a `kind` (its YAML type, "
                        "not 'draw')")
    known = COMPONENTS.get(kind)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise TypeError(f"{cls.__name__}: type {kind!r} is already {known.__name__}")
    COMPONENTS[kind] = cls
    return cls


class Table(NamedTuple):
    """A component's numbers a person may edit as a table (the plan editor's rows).

    Parameters
    ----------
    heads : tuple of (str, str)
        The two column heads.
    rows : list of (float, float)
        The values, one pair a row.
    labels : list of str, optional
        Row names (None: "tier 1", "tier 2"...).
    resizable : bool, default False
        Whether rows may be added and removed.
    """

    heads: tuple[str, str]  # the two columns
    rows: list[tuple[float, float]]
    labels: list[str] | None = None  # row names (None: "tier 1", "tier 2"...)
    resizable: bool = False  # rows may be added and removed


# ------------------------------------------------------------------------- reasons


def pct(x: np.ndarray) -> pd.Series:
    """Fractions as whole percents ("80%").

    Parameters
    ----------
    x : numpy.ndarray
        Fractions.

    Returns
    -------
    pandas.Series
        One text per value.
    """
    return pd.Series(np.round(100 * x).astype(np.int64).astype(str)) + "%"


def money(x: np.ndarray) -> pd.Series:
    """Amounts with thousands separators and no decimals ("12,500").

    Parameters
    ----------
    x : numpy.ndarray
        Amounts.

    Returns
    -------
    pandas.Series
        One text per value.
    """
    return pd.Series(x).map("{:,.0f}".format)


def join(*parts: pd.Series | np.ndarray) -> np.ndarray:
    """Texts per row joined with '; ', skipping empty ones.

    Parameters
    ----------
    *parts : pandas.Series or numpy.ndarray
        Texts, one per row each.

    Returns
    -------
    numpy.ndarray
        The joined texts (object dtype).
    """
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        part = np.asarray(part, dtype=object)
        glue = np.where((out != "") & (part != ""), "; ", "")
        out = out + glue + part
    return out


def when(mask: np.ndarray, text: pd.Series | str) -> np.ndarray:
    """`text` where `mask` holds, else ''.

    Parameters
    ----------
    mask : numpy.ndarray
        Booleans, one per row.
    text : pandas.Series or str
        The text per row, or one text for all.

    Returns
    -------
    numpy.ndarray
        The texts (object dtype).
    """
    return np.where(mask, np.asarray(text, dtype=object), "")


# ---------------------------------------------------------------------------- base


@dataclass(frozen=True)
class Component(ABC):
    """One way a plan pays. Subclasses set `kind` and are `@register`ed.

    `gates`, `modifier` and `team` are (), None and False for kinds without them, so the
    plan (and `gaps`) can ask any component which measures it reads.

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    """

    kind: ClassVar[str]
    in_curves: ClassVar[bool] = True
    """Whether `payout_curve` prices it for one rep alone (a contest depends on the others)."""

    name: str
    measure: str
    weight: dict[str, float] = field(default_factory=dict)  # level -> share of target incentive
    levels: tuple[str, ...] = LEVELS
    gates: ClassVar[tuple[Condition, ...]] = ()  # fields of the kinds that have them
    modifier: ClassVar[Modifier | None] = None
    team: ClassVar[bool] = False

    @property
    def type(self) -> str:
        """The YAML `type` of the component (its class's `kind`)."""
        return self.kind

    # ---------------------------------------------------------------- YAML

    @classmethod
    def read(cls, node: Node, n_periods: int) -> Component:
        """The component a YAML mapping describes, of the class its `type` names.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        Component
            An instance of the class registered for its `type`.

        Raises
        ------
        PlanError
            On an unknown type, measure or level, a bad weight, a key of its own kind that
            cannot be paid, or an unknown key; the message starts with the key path.
        """
        kind = node.text("type", tuple(COMPONENTS))
        kind_cls = COMPONENTS[kind]
        common: dict[str, Any] = {"name": node.text("name"), "measure": node.measure("measure")}
        common["levels"] = node.levels("levels")
        weight = node.raw("weight", None)
        if isinstance(weight, dict):
            wnode = node.child("weight")
            for key in wnode.data:
                if key not in LEVELS:
                    raise wnode.fail(str(key), f"unknown level (known: {', '.join(LEVELS)})")
            common["weight"] = {lv: wnode.number(lv, 0.0, lo=0, hi=1) for lv in common["levels"]}
        elif weight is not None:
            w = number(weight, node.where("weight"), 0, 1)
            common["weight"] = dict.fromkeys(common["levels"], w)
        own = kind_cls.parse(node, common, n_periods)
        node.done()
        return kind_cls(**common, **own)

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """The kind's own keys -> its fields. `common` holds name, measure, levels and the
        weight (only when given); `n_periods` is how many periods the plan pays in.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            This kind's fields (none for the base).

        Raises
        ------
        PlanError
            In subclasses, on a key of its own that cannot be paid (key path first).
        """
        return {}

    def to_dict(self) -> dict:
        """The component as YAML keys (loads back equal).

        Returns
        -------
        dict
            Name, type, measure, levels and weight when not the defaults, then `dump`'s keys.
        """
        d: dict[str, Any] = {"name": self.name, "type": self.kind, "measure": self.measure}
        if self.levels != LEVELS:
            d["levels"] = list(self.levels)
        if self.weight:
            values = set(self.weight.values())
            d["weight"] = values.pop() if len(values) == 1 else dict(self.weight)
        return d | self.dump()

    def dump(self) -> dict:
        """The kind's own fields -> YAML keys (the inverse of `parse`).

        Returns
        -------
        dict
            YAML keys (none for the base).
        """
        return {}

    # -------------------------------------------------------------- in words

    @abstractmethod
    def how(self) -> str:
        """How it pays, in one line (`describe_plans`).

        Returns
        -------
        str
            The line.
        """

    def reason(self, why: dict[str, np.ndarray], amount: np.ndarray, ytd: bool) -> np.ndarray:
        """Why each row paid what it did: texts, one per row of `amount` (the rows of a
        payout table); `why` is what `earn` kept, flattened to the same rows; `ytd` whether
        the plan reads periods year to date.

        Parameters
        ----------
        why : dict of str to numpy.ndarray
            What `earn` kept, flattened to the payout table's rows.
        amount : numpy.ndarray
            The amount paid on each row.
        ytd : bool
            Whether the plan reads periods year to date.

        Returns
        -------
        numpy.ndarray
            One text per row (object dtype); "" for the base.
        """
        return np.full(len(amount), "", dtype=object)

    # ------------------------------------------------------------------ pay

    @property
    def measures(self) -> set[str]:
        """Every measure it reads."""
        found = {self.measure} | {g.measure for g in self.gates}
        if self.modifier:
            found.add(self.modifier.measure)
        return found

    @property
    def targets(self) -> set[str]:
        """Measures whose target it reads (attainment), not only their value."""
        need = {g.measure for g in self.gates if g.basis == "attainment"}
        if self.modifier and self.modifier.basis == "attainment":
            need.add(self.modifier.measure)
        return need

    @property
    def optional(self) -> set[str]:
        """Measures a results table may lack (then each row counts 1)."""
        return set()

    @property
    def milestones(self) -> dict[str, float]:
        """Named attainment points (threshold, target, excellence) it pays at, if any."""
        return {}

    def pays_on_amounts(self, measure: str) -> bool:
        """Whether it pays in proportion to (or in tiers of) amounts of `measure`, so a payout
        curve needs that measure's target in currency.

        Parameters
        ----------
        measure : str
            The measure asked about.

        Returns
        -------
        bool
            False for the base.
        """
        return False

    @abstractmethod
    def earn(self, ctx: Context, eligible: np.ndarray, why: dict[str, np.ndarray]) -> np.ndarray:
        """What it pays in each period, (P, S, R), to the reps `eligible` ((R,) booleans);
        keeps in `why` the arrays its `reason` explains (when `ctx.reasons`, or always if
        cheap).

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        eligible : numpy.ndarray
            (R,) whether each rep's level is paid.
        why : dict of str to numpy.ndarray
            Filled with the arrays `reason` explains.

        Returns
        -------
        numpy.ndarray
            (P, S, R) paid per period.
        """

    def per_row(self, value: Callable[[str], np.ndarray]) -> np.ndarray | None:
        """What it earns on each row of results before they are summed to periods (None: it
        pays on period totals); `value(measure)` is that measure's column. The engine reads
        the sums as `ctx.data.tx_raw[name]`.

        Parameters
        ----------
        value : callable
            Measure name -> that column of the results, as an array.

        Returns
        -------
        numpy.ndarray or None
            Earnings per row, or None (the base).
        """
        return None

    def table(self) -> Table | None:
        """Its numbers as an editable table (None: nothing to edit in the plan editor).

        Returns
        -------
        Table or None
            None for the base.
        """
        return None

    def edits(self, rows: list[tuple[float, float]]) -> dict:
        """YAML keys that replace its own to give the edited `rows` of `table()`.

        Parameters
        ----------
        rows : list of (float, float)
            The edited rows of `table()`.

        Returns
        -------
        dict
            YAML keys of the component.

        Raises
        ------
        PlanError
            For a kind with no editable table (the base).
        """
        raise PlanError(f"{self.name}: a {self.kind} has no editable table")

    def scaled(self, factor: float) -> dict:
        """YAML keys that replace its own to pay `factor` times as much (its rates, curve
        payouts or amounts; caps, gates and tier bounds stay). The base scales the second
        column of `table()` through `edits`; a kind whose edits move more than that number
        overrides it.

        Parameters
        ----------
        factor : float
            The factor on what it pays, >= 0.

        Returns
        -------
        dict
            YAML keys of the component.

        Raises
        ------
        PlanError
            For a kind with nothing to scale (no editable table and no override).
        """
        table = self.table()
        if table is None:
            raise PlanError(f"{self.name}: a {self.kind} has no rates to scale")
        return self.edits([(x, y * factor) for x, y in table.rows])


# ----------------------------------------------------------------------- accrued


@dataclass(frozen=True)
class Accrued(Component):
    """Earned to date (or in the period), then gated, modified and capped; each period pays
    what is owed so far less what was paid (never clawed back under true-up).

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    gates : tuple of Condition, default ()
        It pays only while all hold.
    modifier : Modifier, optional
        Multiplies the pay by the band a measure falls in.
    cap_payout : float, optional
        The most it pays in a year.
    cap_attainment : float, optional
        Attainment above this is not credited.
    """

    cap_payout: float | None = None  # most this component pays in the year
    cap_attainment: float | None = None  # attainment above this is not credited
    gates: tuple[Condition, ...] = ()
    modifier: Modifier | None = None

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """Read the caps, gates and modifier.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            `cap_payout`, `cap_attainment`, `gates` and, when given, `modifier`.

        Raises
        ------
        PlanError
            On a negative cap, or a gate or modifier that cannot work.
        """
        kw: dict[str, Any] = {"cap_payout": node.number("cap_payout", None, lo=0),
                              "cap_attainment": node.number("cap_attainment", None, lo=0)}
        gates = node.items("gates")
        kw["gates"] = tuple(parse_condition(Node(g, node.where("gates") + f"[{i}]"))
                            for i, g in enumerate(gates))
        if "modifier" in node.data:
            kw["modifier"] = parse_modifier(node.child("modifier"))
        return kw

    def dump(self) -> dict:
        """The caps, gates and modifier as YAML keys.

        Returns
        -------
        dict
            YAML keys, without defaults left empty.
        """
        d = clean({"cap_payout": self.cap_payout, "cap_attainment": self.cap_attainment})
        if self.gates:
            d["gates"] = [{"measure": g.measure, "min": g.min, "basis": g.basis}
                          for g in self.gates]
        if self.modifier:
            m = self.modifier
            d["modifier"] = {"measure": m.measure, "basis": m.basis,
                             "bands": [{"from": lo, "multiplier": x} for lo, x in m.bands]}
        return d

    def extras(self) -> list[str]:
        """Caps, gates and the modifier in words (for `how`).

        Returns
        -------
        list of str
            One phrase per cap, gate and modifier.
        """
        out = []
        if self.cap_payout is not None:
            out.append(f"cap {self.cap_payout:,.0f}/yr")
        if self.cap_attainment is not None:
            out.append(f"credit capped at {self.cap_attainment:.0%}")
        out += [f"gate {g.measure} >= {g.min:g}" for g in self.gates]
        if self.modifier:
            out.append(f"x{'/'.join(f'{m:g}' for _, m in self.modifier.bands)} by "
                       f"{self.modifier.measure}")
        return out

    @abstractmethod
    def accrue(self, ctx: Context, why: dict) -> np.ndarray:
        """Earned to date (YTD under true-up, else in the period) before gates, modifier and
        caps on payout: a new array the caller may change in place.

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        why : dict
            Filled with what `reason_head` and `reason` explain.

        Returns
        -------
        numpy.ndarray
            (P, S, R) earned, a new array.
        """

    @property
    def to_date(self) -> bool:
        """Whether it earns year to date when the plan does (`ctx.ytd`): then `accrue`
        returns what is earned to date, else what is earned in each period.
        """
        return True

    def earn(self, ctx: Context, eligible: np.ndarray, why: dict) -> np.ndarray:
        """What `accrue` earns, gated, modified, limited to the eligible and capped; paid as the
        growth of what is owed (a running max under true-up, so nothing is clawed back).

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        eligible : numpy.ndarray
            (R,) whether each rep's level is paid.
        why : dict of str to numpy.ndarray
            Filled with the arrays `reason` explains.

        Returns
        -------
        numpy.ndarray
            (P, S, R) paid per period.
        """
        earned = self.accrue(ctx, why)
        if self.gates:
            ok = None
            for g in self.gates:
                passed = ctx.value(g.measure, g.basis) >= below(g.min)
                ok = passed if ok is None else ok & passed
            why["gate_ok"] = ok
            earned *= ok
        if self.modifier:
            m = self.modifier
            v = ctx.value(m.measure, m.basis)
            lows = np.array([b[0] for b in m.bands])
            mults = np.array([1.0] + [b[1] for b in m.bands], dtype=earned.dtype)
            band = np.zeros(v.shape, dtype=np.int8)
            for lo in lows:
                band += v >= below(lo)
            why["multiplier"] = mults[band]
            earned = earned * why["multiplier"]
        if not eligible.all():
            earned *= eligible
        cum = running(earned, np.maximum if ctx.ytd and self.to_date else np.add,
                      inplace=True)  # earned is ours
        if self.cap_payout is not None:
            if ctx.reasons:
                why["cap_hit"] = cum > self.cap_payout
            np.minimum(cum, np.asarray(self.cap_payout, dtype=ctx.dtype), out=cum)
        out = cum
        for i in range(out.shape[0] - 1, 0, -1):  # back to per-period payments, in place
            out[i] -= out[i - 1]
        return out

    def credited(self, ctx: Context, why: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(value, target, attainment) as this component reads them, kept in `why`.

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        why : dict
            Gets `attainment`, `value` and `target`.

        Returns
        -------
        value : numpy.ndarray
            (P, S, R) the measure's value (the team's for a team component).
        target : numpy.ndarray
            The target, broadcastable to `value`.
        attainment : numpy.ndarray
            (P, S, R) value / target.
        """
        a, t = ctx.get(self.measure, self.team)
        att = ctx.attainment(self.measure, self.team)
        why.update(attainment=att, value=a, target=t)
        return a, t, att

    def reason(self, why: dict, amount: np.ndarray, ytd: bool) -> np.ndarray:
        """The tier or curve point reached, then the attainment cap, a failed gate, the
        modifier and the payout cap where they applied.

        Parameters
        ----------
        why : dict of str to numpy.ndarray
            What `earn` kept, flattened to the payout table's rows.
        amount : numpy.ndarray
            The amount paid on each row.
        ytd : bool
            Whether the plan reads periods year to date.

        Returns
        -------
        numpy.ndarray
            One text per row (object dtype).
        """
        parts = [self.reason_head(why, "YTD " if ytd and self.to_date else "")]
        if "cap_att_hit" in why:
            parts.append(when(why["cap_att_hit"],
                              f"attainment capped at {self.cap_attainment:.0%}"))
        if "gate_ok" in why:
            rule = ", ".join(f"{g.measure} {'attainment ' if g.basis == 'attainment' else ''}"
                             f">= {g.min:g}" for g in self.gates)
            parts.append(when(~why["gate_ok"], f"gate failed (needs {rule})"))
        if "multiplier" in why:
            mult = why["multiplier"]
            parts.append(when(mult != 1, "× " + pd.Series(mult).map("{:g}".format)
                              + f" {self.modifier.measure} modifier"))
        if "cap_hit" in why:
            parts.append(when(why["cap_hit"], f"cap hit ({self.cap_payout:,.0f} a year)"))
        return join(*parts)

    @abstractmethod
    def reason_head(self, why: dict, ytd: str) -> np.ndarray | pd.Series:
        """The first words of each row's reason (the tier or curve point reached).

        Parameters
        ----------
        why : dict
            What `earn` kept, flattened to the payout table's rows.
        ytd : str
            "YTD " when the rows read year to date, else "".

        Returns
        -------
        numpy.ndarray or pandas.Series
            One text per row.
        """


# -------------------------------------------------------------------- commission


@register
@dataclass(frozen=True)
class Commission(Accrued):
    """Pays through a rate table on the amount (or attainment) sold: marginal, retroactive
    or interpolated; per period, or each transaction through the table.

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    gates : tuple of Condition, default ()
        It pays only while all hold.
    modifier : Modifier, optional
        Multiplies the pay by the band a measure falls in.
    cap_payout : float, optional
        The most it pays in a year.
    cap_attainment : float, optional
        Attainment above this is not credited.
    tiers : tuple of Tier, default ()
        The rate table, ascending.
    mode : {"marginal", "retroactive", "interpolated"}, default "marginal"
        How the table pays.
    basis : {"amount", "attainment"}, default "amount"
        Tier bounds in currency or as fractions of target.
    boundary : {"lower_inclusive", "upper_inclusive"}, default "lower_inclusive"
        Which tier a value equal to a boundary falls in.
    per : {"period", "transaction"}, default "period"
        Pay the period's total through the table, or each transaction.
    count : str, default "deals_won"
        The measure counting the transactions a row holds (per transaction).
    """

    kind: ClassVar[str] = "commission"

    tiers: tuple[Tier, ...] = ()
    mode: str = "marginal"
    basis: str = "amount"  # amount: tier bounds in currency; attainment: fractions of target
    boundary: str = "lower_inclusive"
    per: str = "period"  # period | transaction
    count: str = "deals_won"  # how many transactions a row holds (per: transaction)

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """Read mode, basis, boundary, per, count and the tiers, then the accrued keys.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            The commission's fields.

        Raises
        ------
        PlanError
            On an unknown mode, basis, boundary or per, per-transaction tiers on attainment,
            or tiers that overlap, leave a gap or have a bad number.
        """
        kw: dict[str, Any] = {"mode": node.text("mode", MODES, "marginal"),
                              "basis": node.text("basis", ("amount", "attainment"), "amount"),
                              "boundary": node.text("boundary", BOUNDARIES, "lower_inclusive"),
                              "per": node.text("per", ("period", "transaction"), "period")}
        if kw["per"] == "transaction":
            if kw["basis"] != "amount":
                raise node.fail("per", "per-transaction tiers must be on amount, not attainment")
            kw["count"] = node.measure("count", "deals_won")
        kw["tiers"] = parse_tiers(node, kw["mode"])
        return kw | super().parse(node, common, n_periods)

    def dump(self) -> dict:
        """Mode, basis, boundary, per (and count), the tiers, then the accrued keys.

        Returns
        -------
        dict
            YAML keys, without defaults left empty.
        """
        d: dict[str, Any] = {"mode": self.mode, "basis": self.basis, "boundary": self.boundary,
                             "per": self.per}
        if self.per == "transaction":
            d["count"] = self.count
        d["tiers"] = [clean({"from": t.lo, "to": t.hi,
                             **({"amount": t.amount} if self.mode == "interpolated"
                                else {"rate": t.rate})}) for t in self.tiers]
        return d | super().dump()

    def how(self) -> str:
        """Mode, per, each tier's start and rate (or amount), then caps, gates, modifier.

        Returns
        -------
        str
            One line for `describe_plans`.
        """
        unit = "%" if self.basis == "attainment" else ""
        tiers = ", ".join(
            (f"{t.lo * 100:g}{unit}+" if self.basis == "attainment" else f"{t.lo:,.0f}+")
            + (f" {t.amount:,.0f}" if self.mode == "interpolated" else f" {t.rate:.1%}")
            for t in self.tiers)
        return "; ".join([f"{self.mode} commission {self.per}: {tiers}", *self.extras()])

    @property
    def measures(self) -> set[str]:
        """Every measure it reads: the accrued ones, and `count` when paid per transaction."""
        return super().measures | ({self.count} if self.per == "transaction" else set())

    @property
    def targets(self) -> set[str]:
        """Its measure when paid on or capped on attainment, and the gates' and modifier's."""
        own = {self.measure} if self.basis == "attainment" or self.cap_attainment is not None \
            else set()
        return own | super().targets

    @property
    def optional(self) -> set[str]:
        """`count` when paid per transaction (a row without it holds one)."""
        return {self.count} if self.per == "transaction" else set()

    def pays_on_amounts(self, measure: str) -> bool:
        """Whether it pays in tiers of amounts of `measure` (its measure or its count); an
        amount table on attainment does not.

        Parameters
        ----------
        measure : str
            The measure asked about.

        Returns
        -------
        bool
            True when a payout curve needs the measure's target in currency.
        """
        if measure not in (self.measure, self.count):
            return False
        return not (self.mode == "interpolated" and self.basis == "attainment"
                    and measure == self.measure)

    @property
    def to_date(self) -> bool:
        """True when paid per period; each transaction is paid once, as it comes."""
        return self.per == "period"  # each transaction is paid once, as it comes

    def per_row(self, value: Callable[[str], np.ndarray]) -> np.ndarray | None:
        """Per-transaction commission on each row of results (None when paid per period).

        Parameters
        ----------
        value : callable
            Measure name -> that column of the results, as an array.

        Returns
        -------
        numpy.ndarray or None
            Commission per row, or None.
        """
        if self.per != "transaction":
            return None
        return self.per_transaction(value(self.measure), value(self.count))

    def per_transaction(self, amount: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Commission when each transaction is paid on its own: count × table(amount / count).

        A row holding one deal (count 1) is exact; a month holding n deals is paid as n equal
        deals of its average size, the best history can do without deal-level data.

        Parameters
        ----------
        amount : numpy.ndarray
            The amount sold on each row.
        count : numpy.ndarray
            The transactions each row holds (at least 1 is used).

        Returns
        -------
        numpy.ndarray
            Commission per row; 0 where nothing was sold.
        """
        n = np.maximum(count, 1).astype(amount.dtype)
        each, _ = rate_table(amount / n, self.tiers, self.mode, self.boundary)
        return np.where(amount > 0, each * n, 0)

    def accrue(self, ctx: Context, why: dict) -> np.ndarray:
        """The rate table on the amount or attainment credited (capped on attainment), or the
        per-transaction sums.

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        why : dict
            Filled with what `reason_head` and `reason` explain.

        Returns
        -------
        numpy.ndarray
            (P, S, R) earned, a new array.
        """
        if self.per == "transaction":
            earned = ctx.data.tx_raw[self.name].copy()  # modified in place later
            a, t = ctx.data.actual[self.measure], ctx.data.target[self.measure]
            why.update(attainment=ratio(a, t), value=a, target=t)
            return earned
        a, t, att = self.credited(ctx, why)
        credited = a
        if self.cap_attainment is not None:
            credited = np.minimum(a, self.cap_attainment * t)
            why["cap_att_hit"] = att > self.cap_attainment
        if self.basis == "amount":
            earned, why["tier"] = rate_table(credited, self.tiers, self.mode, self.boundary,
                                             ctx.reasons)
        else:
            u = att if self.cap_attainment is None else ratio(credited, t)
            earned, why["tier"] = rate_table(u, self.tiers, self.mode, self.boundary,
                                             ctx.reasons)
            if self.mode != "interpolated":
                earned *= t
        return earned

    def _slope(self, i: int) -> str:
        """'accelerator, ' / 'decelerator, ' when tier i pays faster / slower than the one
        below.
        """
        if i == 0 or self.mode == "interpolated":
            return ""
        now, before = self.tiers[i].rate, self.tiers[i - 1].rate
        return "accelerator, " if now > before else "decelerator, " if now < before else ""

    def reason_head(self, why: dict, ytd: str) -> np.ndarray | pd.Series:
        """The tier reached (accelerator or decelerator, its rate) and the measure, or that each
        transaction went through the table.

        Parameters
        ----------
        why : dict
            What `earn` kept, flattened to the payout table's rows.
        ytd : str
            "YTD " when the rows read year to date, else "".

        Returns
        -------
        numpy.ndarray or pandas.Series
            One text per row.
        """
        if self.per == "transaction":
            return np.full(len(why["attainment"]),
                           f"each transaction through the {self.mode} rate table", dtype=object)
        tier = why["tier"].astype(int)
        labels = np.array(["below the first tier"] + [
            f"tier {i + 1} ({self._slope(i)}" + (
                f"{t.rate:.2%} on all)" if self.mode == "retroactive" else
                "amount table)" if self.mode == "interpolated" else f"{t.rate:.2%} marginal)")
            for i, t in enumerate(self.tiers)], dtype=object)
        return labels[tier] + f" on {ytd}{self.measure}"

    def table(self) -> Table:
        """Its tiers as rows of (from, rate) or (from, amount).

        Returns
        -------
        Table
            The tiers, resizable.
        """
        key = "amount" if self.mode == "interpolated" else "rate"
        return Table(("from", key), [(t.lo, getattr(t, key)) for t in self.tiers],
                     resizable=True)

    def edits(self, rows: list[tuple[float, float]]) -> dict:
        """New tiers from the edited rows, the last one keeping an end.

        Parameters
        ----------
        rows : list of (float, float)
            The edited rows of `table()`.

        Returns
        -------
        dict
            `{"tiers": [...]}`.
        """
        key = "amount" if self.mode == "interpolated" else "rate"
        tiers = [{"from": lo, key: v} for lo, v in rows]
        if self.tiers and self.tiers[-1].hi is not None:
            tiers[-1]["to"] = max(self.tiers[-1].hi, tiers[-1]["from"] * 1.5 or 1.0)
        return {"tiers": tiers}

    def scaled(self, factor: float) -> dict:
        """Every tier's rate (or amount) times `factor`, the tier bounds as they are.

        Parameters
        ----------
        factor : float
            The factor on the rates, >= 0.

        Returns
        -------
        dict
            `{"tiers": [...]}`.
        """
        key = "amount" if self.mode == "interpolated" else "rate"
        return {"tiers": [{**t, key: t[key] * factor} for t in self.dump()["tiers"]]}


# ------------------------------------------------------------------------- bonus


@register
@dataclass(frozen=True)
class Bonus(Accrued):
    """Pays weight × target incentive × a curve of attainment (the rep's, or the team's).

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    gates : tuple of Condition, default ()
        It pays only while all hold.
    modifier : Modifier, optional
        Multiplies the pay by the band a measure falls in.
    team : bool, default False
        Pay on the attainment of the rep's team.
    cap_payout : float, optional
        The most it pays in a year.
    cap_attainment : float, optional
        Attainment above this is not credited.
    curve : Curve, optional
        The payout curve against attainment (required in YAML).
    """

    kind: ClassVar[str] = "bonus"

    curve: Curve | None = None
    team: bool = False

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """Read the curve and team, then the accrued keys.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            The bonus's fields.

        Raises
        ------
        PlanError
            On a missing weight or curve, a bad curve, or a team bonus on a score such as csat.
        """
        if "weight" not in common:
            raise node.fail("weight", "is required for a bonus (its share of target incentive)")
        kw: dict[str, Any] = {"curve": parse_curve(node.child("curve")),
                              "team": bool(node.raw("team", False))}
        if kw["team"] and MEASURES[common["measure"]] != "sum":
            m = common["measure"]
            raise node.fail("team", f"team results add up reps' {m}; a score like "
                                    f"{m} cannot be added (use a summed measure)")
        return kw | super().parse(node, common, n_periods)

    def dump(self) -> dict:
        """The curve (and team), then the accrued keys.

        Returns
        -------
        dict
            YAML keys, without defaults left empty.
        """
        d: dict[str, Any] = {"curve": {"shape": self.curve.shape, **{
            n: {"attainment": a, "payout": p} for n, a, p in self.curve.points}}}
        if self.team:
            d["team"] = True
        return d | super().dump()

    def how(self) -> str:
        """The curve's shape and points, then caps, gates, modifier.

        Returns
        -------
        str
            One line for `describe_plans`.
        """
        pts = ", ".join(f"{n} {a:.0%}->{p:.0%}" for n, a, p in self.curve.points)
        return "; ".join([f"{self.curve.shape} curve: {pts}", *self.extras()])

    @property
    def targets(self) -> set[str]:
        """Its own measure (it pays on attainment), and the gates' and modifier's."""
        return {self.measure} | super().targets

    @property
    def milestones(self) -> dict[str, float]:
        """The curve's points by name; none for a team bonus."""
        return {} if self.team else self.curve.attainments

    def accrue(self, ctx: Context, why: dict) -> np.ndarray:
        """Weight × target incentive × the curve at the credited attainment, by the share of
        the year to date (or per period).

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        why : dict
            Filled with what `reason_head` and `reason` explain.

        Returns
        -------
        numpy.ndarray
            (P, S, R) earned, a new array.
        """
        _, _, att = self.credited(ctx, why)
        credited = att if self.cap_attainment is None else np.minimum(att, self.cap_attainment)
        if self.cap_attainment is not None:
            why["cap_att_hit"] = att > self.cap_attainment
        multiple, why["tier"] = curve_payout(credited, self.curve, ctx.reasons)
        n = ctx.data.shape[0]
        share = (np.arange(1, n + 1) / n if ctx.ytd else np.full(n, 1 / n)).astype(att.dtype)
        weight = ctx.per_level(self.weight).astype(att.dtype, copy=False)
        multiple *= share[:, None, None] * (ctx.ti * weight)  # one pass: the factor is (P, 1, R)
        return multiple

    def reason_head(self, why: dict, ytd: str) -> np.ndarray | pd.Series:
        """The attainment and the curve point reached.

        Parameters
        ----------
        why : dict
            What `earn` kept, flattened to the payout table's rows.
        ytd : str
            "YTD " when the rows read year to date, else "".

        Returns
        -------
        numpy.ndarray or pandas.Series
            One text per row.
        """
        reached = why["tier"].astype(int)
        names = np.array(["below threshold"] + [f"{name} reached" for name, _, _ in
                                                self.curve.points], dtype=object)
        team = "team " if self.team else ""
        return f"{ytd}{team}attainment " + pct(why["attainment"]) + ": " + pd.Series(
            names[reached])

    def table(self) -> Table:
        """Its curve points as rows of (attainment, payout).

        Returns
        -------
        Table
            The points, named, not resizable.
        """
        return Table(("attainment", "payout"), [(a, p) for _, a, p in self.curve.points],
                     [n for n, _, _ in self.curve.points])

    def edits(self, rows: list[tuple[float, float]]) -> dict:
        """A new curve from the edited points, same names and shape.

        Parameters
        ----------
        rows : list of (float, float)
            The edited rows of `table()`.

        Returns
        -------
        dict
            `{"curve": {...}}`.
        """
        names = [n for n, _, _ in self.curve.points]
        curve = {n: {"attainment": a, "payout": p} for n, (a, p) in zip(names, rows,
                                                                         strict=True)}
        return {"curve": {"shape": self.curve.shape, **curve}}


# -------------------------------------------------------------------------- spif


@register
@dataclass(frozen=True)
class Spif(Component):
    """Pays per unit of the measure (or a flat amount once `min` is reached) in its periods.

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    per_unit : float, default 0.0
        Pay per unit of the measure.
    min : float, default 0.0
        The least value that pays (0: any value above 0).
    amount : float, default 0.0
        A flat amount paid once `min` is reached.
    periods : tuple of int, default ()
        The 1-based plan periods it runs in; () means all.
    """

    kind: ClassVar[str] = "spif"

    per_unit: float = 0.0
    min: float = 0.0
    amount: float = 0.0
    periods: tuple[int, ...] = ()  # 1-based plan periods it runs in; () = all

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """Read per_unit, min, amount and periods.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            The SPIF's fields.

        Raises
        ------
        PlanError
            When neither per_unit nor amount is given, or a number or period is bad.
        """
        kw = {"per_unit": node.number("per_unit", 0.0, lo=0), "min": node.number("min", 0.0, lo=0),
              "amount": node.number("amount", 0.0, lo=0)}
        if not kw["per_unit"] and not kw["amount"]:
            raise node.fail("amount", "a SPIF pays per_unit or a flat amount; give one")
        kw["periods"] = node.periods("periods", n_periods)
        return kw

    def dump(self) -> dict:
        """per_unit, min, amount and periods, where set.

        Returns
        -------
        dict
            YAML keys, without defaults left empty.
        """
        return clean({"per_unit": self.per_unit or None, "min": self.min or None,
                      "amount": self.amount or None, "periods": list(self.periods) or None})

    def scaled(self, factor: float) -> dict:
        """Its per-unit and flat amounts times `factor` (`min` as it is).

        Parameters
        ----------
        factor : float
            The factor on the amounts, >= 0.

        Returns
        -------
        dict
            `per_unit` and `amount`.

        Raises
        ------
        PlanError
            When `factor` is 0 or less: a SPIF that pays nothing is not a SPIF (remove it).
        """
        if not factor > 0:
            raise PlanError(f"{self.name}: a SPIF cannot be scaled to pay nothing (factor "
                            f"{factor:g}); remove it or keep the factor above 0")
        return {"per_unit": self.per_unit * factor, "amount": self.amount * factor}

    def how(self) -> str:
        """Per unit or flat, from what value, in which periods.

        Returns
        -------
        str
            One line for `describe_plans`.
        """
        periods = ", ".join(map(str, self.periods)) or "all"
        return ((f"{self.per_unit:,.0f} per unit" if self.per_unit else
                 f"{self.amount:,.0f} flat")
                + (f" from {self.min:g}" if self.min else "") + f" in periods {periods}")

    def pays_on_amounts(self, measure: str) -> bool:
        """True for its own measure (it pays per unit of it).

        Parameters
        ----------
        measure : str
            The measure asked about.

        Returns
        -------
        bool
            True when a payout curve needs the measure's target in currency.
        """
        return self.measure == measure

    def earn(self, ctx: Context, eligible: np.ndarray, why: dict) -> np.ndarray:
        """Per unit plus the flat amount in each of its periods where `min` is reached.

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        eligible : numpy.ndarray
            (R,) whether each rep's level is paid.
        why : dict of str to numpy.ndarray
            Filled with the arrays `reason` explains.

        Returns
        -------
        numpy.ndarray
            (P, S, R) paid per period.
        """
        v = ctx.data.actual[self.measure]
        p = v.shape[0]
        hit = v >= self.min if self.min else v > 0
        out = np.where(hit, self.per_unit * v + self.amount, 0).astype(ctx.dtype, copy=False)
        if self.periods:
            out = out * np.isin(np.arange(1, p + 1), self.periods).astype(ctx.dtype)[:, None, None]
        return out * eligible

    def reason(self, why: dict, amount: np.ndarray, ytd: bool) -> np.ndarray:
        """"SPIF on <measure>" where it paid.

        Parameters
        ----------
        why : dict of str to numpy.ndarray
            What `earn` kept, flattened to the payout table's rows.
        amount : numpy.ndarray
            The amount paid on each row.
        ytd : bool
            Whether the plan reads periods year to date.

        Returns
        -------
        numpy.ndarray
            One text per row (object dtype).
        """
        return when(amount > 0, f"SPIF on {self.measure}")


# ----------------------------------------------------------------------- contest


@register
@dataclass(frozen=True)
class Contest(Component):
    """Top-N of the year's value (or attainment) win prizes[0..N-1], paid in the last period.

    Parameters
    ----------
    name : str
        The component's name, unique in the plan.
    measure : str
        The measure it pays on (one of MEASURES).
    weight : dict of str to float, default {}
        Level -> share of target incentive (empty when not weighted).
    levels : tuple of str, default LEVELS
        The levels it pays; () when blocked (see `gaps`).
    prizes : tuple of float, default ()
        Prize of rank 1, 2, ...
    honours : tuple of str, default ()
        Titles the winners get (named in the reason).
    basis : {"value", "attainment"}, default "attainment"
        Rank on the year's value or its attainment of target.
    """

    kind: ClassVar[str] = "contest"
    in_curves: ClassVar[bool] = False

    prizes: tuple[float, ...] = ()
    honours: tuple[str, ...] = ()
    basis: str = "attainment"

    @classmethod
    def parse(cls, node: Node, common: dict[str, Any], n_periods: int) -> dict[str, Any]:
        """Read prizes, honours and basis.

        Parameters
        ----------
        node : Node
            The component's YAML mapping.
        common : dict of str to Any
            Name, measure, levels and (when given) weight, already read.
        n_periods : int
            Periods the plan pays in.

        Returns
        -------
        dict of str to Any
            The contest's fields.

        Raises
        ------
        PlanError
            When there is no prize, a prize is not a number >= 0 or the basis is unknown.
        """
        prizes = node.items("prizes")
        if not prizes:
            raise node.fail("prizes", "needs at least one prize (top-N gets prizes[0..N-1])")
        return {"prizes": tuple(number(p, node.where("prizes") + f"[{i}]", 0)
                                for i, p in enumerate(prizes)),
                "honours": tuple(str(h) for h in node.items("honours")),
                "basis": node.text("basis", ("value", "attainment"), "attainment")}

    def dump(self) -> dict:
        """basis, prizes and honours.

        Returns
        -------
        dict
            YAML keys, without defaults left empty.
        """
        d: dict[str, Any] = {"basis": self.basis, "prizes": list(self.prizes)}
        if self.honours:
            d["honours"] = list(self.honours)
        return d

    def scaled(self, factor: float) -> dict:
        """Every prize times `factor`.

        Parameters
        ----------
        factor : float
            The factor on the prizes, >= 0.

        Returns
        -------
        dict
            `{"prizes": [...]}`.
        """
        return {"prizes": [p * factor for p in self.prizes]}

    def how(self) -> str:
        """Top N, by what, the prizes and honours.

        Returns
        -------
        str
            One line for `describe_plans`.
        """
        text = f"top {len(self.prizes)} by {self.basis}: " + "/".join(
            f"{p:,.0f}" for p in self.prizes)
        return text + (f"; {', '.join(self.honours)}" if self.honours else "")

    @property
    def targets(self) -> set[str]:
        """Its own measure when ranked on attainment."""
        return {self.measure} if self.basis == "attainment" else set()

    def earn(self, ctx: Context, eligible: np.ndarray, why: dict) -> np.ndarray:
        """Ties go to the rep first in the inputs' keyed `order` (else the one listed first).

        Parameters
        ----------
        ctx : Context
            The plan's arrays as a component reads them.
        eligible : numpy.ndarray
            (R,) whether each rep's level may win.
        why : dict of str to numpy.ndarray
            Gets `rank` (0: no prize), in the last period.

        Returns
        -------
        numpy.ndarray
            (P, S, R) prizes, all in the last period.
        """
        a = ctx.data.actual[self.measure]
        p, s, r = a.shape
        mean = MEASURES[self.measure] == "mean"
        score = a.mean(axis=0) if mean else a.sum(axis=0)  # (S, R)
        if self.basis == "attainment":
            t = ctx.data.target[self.measure]
            score = ratio(score, t.mean(axis=0) if mean else t.sum(axis=0))
        score = np.where(eligible, score, -np.inf)
        n = min(len(self.prizes), r)
        keyed = (np.arange(r) if ctx.data.order is None
                 else np.argsort(ctx.data.order, kind="stable"))
        score = score[:, keyed]  # in the keyed order: a stable sort then breaks ties by it
        if s * r <= 1_000_000:
            top = np.argsort(-score, axis=1, kind="stable")[:, :n]
        else:  # large simulations: partition, then order the few winners
            top = np.argpartition(-score, n - 1, axis=1)[:, :n]
            top = np.take_along_axis(top, np.lexsort((top, -np.take_along_axis(score, top, 1)),
                                                     axis=1), 1)
            last = np.take_along_axis(score, top[:, -1:], 1)  # a tie at the last prize:
            tied = (score >= last).sum(axis=1) > n  # which of the tied wins is the keyed
            if tied.any():  # order's call, so those scenarios get the full stable sort
                top[tied] = np.argsort(-score[tied], axis=1, kind="stable")[:, :n]
        top = keyed[top]
        rank = np.zeros((s, r), dtype=np.int16)
        np.put_along_axis(rank, top, np.arange(1, n + 1, dtype=np.int16)[None, :], axis=1)
        rank = np.where(eligible, rank, 0)
        prizes = np.array((0.0, *self.prizes[:n]), dtype=a.dtype)
        why["rank"] = np.zeros(a.shape, dtype=np.int16)
        why["rank"][-1] = rank  # the contest is decided (and paid) in the last period
        out = np.zeros(a.shape, dtype=a.dtype)
        out[-1] = prizes[rank]
        return out

    def reason(self, why: dict, amount: np.ndarray, ytd: bool) -> np.ndarray:
        """The rank and prize (and honours) of each winner.

        Parameters
        ----------
        why : dict of str to numpy.ndarray
            What `earn` kept, flattened to the payout table's rows.
        amount : numpy.ndarray
            The amount paid on each row.
        ytd : bool
            Whether the plan reads periods year to date.

        Returns
        -------
        numpy.ndarray
            One text per row (object dtype).
        """
        rank = why["rank"].astype(int)
        prize = np.array((0.0, *self.prizes))[np.minimum(rank, len(self.prizes))]
        text = "rank " + pd.Series(rank).astype(str) + ": prize " + money(prize)
        if self.honours:
            text = text + "; honours: " + ", ".join(self.honours)
        return when(rank > 0, text)
