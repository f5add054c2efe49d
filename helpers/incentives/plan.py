"""The plan model: a bonus/commission plan is data (YAML), validated on load.

Every check names the key path of the offending value (`components[1].tiers[2].rate: must
be >= 0`), so a consultant editing a YAML file sees where the mistake is. The dataclasses are
frozen: a Plan is a value that can be compared, cached and written back with `to_yaml`.

The YAML format (see data/sample/plans/ for complete examples)::

    name: Tiered commission          # required, unique among compared plans
    description: ...                 # optional, plain words
    period: quarter                  # month | quarter | year: how often it pays
    true_up: true                    # pay year to date: each period pays YTD earned - paid
    levels:                          # every level, each with target_incentive, or
      junior: {target_incentive: 18000, base_salary: 52000}
      top: {base_salary: 95000, pay_mix: 63/37}   # base/variable -> TI = base * 37/63
    components:                      # one or more; `levels: [...]` limits who is eligible
      - name: revenue commission
        type: commission             # commission | bonus | spif | contest
        measure: revenue             # revenue, deals_won, new_customers, customers_retained, csat
        weight: 0.9                  # share of TI (a number or {level: share}); per level,
                                     # the weights of weighted components sum to 1
        mode: marginal               # marginal | retroactive | interpolated (amount table)
        basis: attainment            # amount (bounds in currency) | attainment (of target)
        boundary: lower_inclusive    # a value equal to a tier's `from` is in that tier;
                                     # upper_inclusive keeps it in the tier below
        per: period                  # period | transaction (each deal through the table;
        count: deals_won             #   a row holding n deals = n deals of average size)
        tiers:                       # ascending, no gaps or overlaps; `to` optional except
          - {from: 0, to: 1.0, rate: 0.04}   # on the last tier (end of the table) and in
          - {from: 1.0, rate: 0.07}          # interpolated tables, whose tiers pay `amount`
        cap_payout: 150000           # most the component pays in a year
        cap_attainment: 1.6          # attainment above this is not credited
        gates: [{measure: csat, min: 70, basis: value}]     # pays only while all hold
        modifier: {measure: new_customers, basis: attainment,
                   bands: [{from: 0, multiplier: 0.9}, {from: 1.2, multiplier: 1.1}]}
      - name: new customer bonus
        type: bonus                  # pays weight x TI x curve(attainment)
        measure: new_customers
        weight: 0.1
        team: false                  # true: attainment of the rep's team
        curve:                       # threshold, target (required), excellence, cap:
          shape: linear              # linear between points | step (last point reached)
          threshold: {attainment: 0.8, payout: 0.5}
          target: {attainment: 1.0, payout: 1.0}
          cap: {attainment: 1.5, payout: 2.0}
      - {name: Q1 SPIF, type: spif, measure: new_customers, per_unit: 300, periods: [1]}
                                     # or amount: 1000 with min: 5 (flat once reached)
      - {name: Club, type: contest, measure: revenue, basis: attainment,
         prizes: [10000, 5000], honours: [President's Club]}   # top-N of the year
    draw: {amount: 5000, recoverable: true, periods: [1, 2], levels: [junior]}
                                     # recoverable: advance repaid from later earnings;
                                     # false: a guarantee (non-recoverable)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import PlanError
from ..schema import LEVELS

MEASURES: dict[str, str] = {
    "revenue": "sum", "deals_won": "sum", "new_customers": "sum",
    "customers_retained": "sum", "csat": "mean",
}
"""Measures a plan can pay on, and how months add up to a period (sum, or mean for scores)."""

PERIODS = {"month": 12, "quarter": 4, "year": 1}
MODES = ("marginal", "retroactive", "interpolated")
BOUNDARIES = ("lower_inclusive", "upper_inclusive")
TYPES = ("commission", "bonus", "spif", "contest")



# ------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Tier:
    """One row of a rate table: lo..hi pays `rate` per unit (or `amount` for the whole tier).

    The last tier's `hi` ends the table: nothing above it is credited (None = open-ended).
    """

    lo: float
    hi: float | None
    rate: float = 0.0
    amount: float = 0.0


@dataclass(frozen=True)
class Curve:
    """Bonus payout (multiple of target incentive) against attainment, as named points."""

    points: tuple[tuple[str, float, float], ...]  # (name, attainment, payout), ascending
    shape: str = "linear"  # linear: interpolate between points; step: pay the last point reached

    @property
    def attainments(self) -> dict[str, float]:
        return {name: a for name, a, _ in self.points}


@dataclass(frozen=True)
class Condition:
    """A measure compared with a number: its period value, or its attainment of target."""

    measure: str
    min: float
    basis: str = "value"  # value | attainment


@dataclass(frozen=True)
class Modifier:
    """Multiply a component's payout by the band the measure falls in (bands by lower bound)."""

    measure: str
    bands: tuple[tuple[float, float], ...]  # (from, multiplier), ascending
    basis: str = "value"


@dataclass(frozen=True)
class Component:
    name: str
    type: str
    measure: str
    weight: dict[str, float] = field(default_factory=dict)  # level -> share of target incentive
    levels: tuple[str, ...] = LEVELS
    # commission
    tiers: tuple[Tier, ...] = ()
    mode: str = "marginal"
    basis: str = "amount"  # amount: tier bounds in currency; attainment: fractions of target
    boundary: str = "lower_inclusive"
    per: str = "period"  # period | transaction
    count: str = "deals_won"  # how many transactions a row holds (per: transaction)
    # bonus
    curve: Curve | None = None
    team: bool = False
    # both
    cap_payout: float | None = None  # most this component pays in the year
    cap_attainment: float | None = None  # attainment above this is not credited
    gates: tuple[Condition, ...] = ()
    modifier: Modifier | None = None
    # spif
    per_unit: float = 0.0
    min: float = 0.0
    amount: float = 0.0
    periods: tuple[int, ...] = ()  # 1-based plan periods it runs in; () = all
    # contest
    prizes: tuple[float, ...] = ()
    honours: tuple[str, ...] = ()

    @property
    def measures(self) -> set[str]:
        found = {self.measure}
        found |= {g.measure for g in self.gates}
        if self.modifier:
            found.add(self.modifier.measure)
        if self.per == "transaction":
            found.add(self.count)
        return found


@dataclass(frozen=True)
class Level:
    target_incentive: float
    base_salary: float | None = None

    @property
    def pay_mix(self) -> str | None:
        """Base/variable split of on-target earnings, e.g. '70/30'."""
        if self.base_salary is None:
            return None
        base = round(100 * self.base_salary / (self.base_salary + self.target_incentive))
        return f"{base}/{100 - base}"


@dataclass(frozen=True)
class Draw:
    """A floor on each period's pay: recoverable (advance, repaid from later earnings) or not."""

    amount: float
    recoverable: bool = True
    periods: tuple[int, ...] = ()
    levels: tuple[str, ...] = LEVELS


@dataclass(frozen=True)
class Plan:
    name: str
    levels: dict[str, Level]
    components: tuple[Component, ...]
    period: str = "quarter"
    true_up: bool = True
    draw: Draw | None = None
    description: str = ""

    @property
    def n_periods(self) -> int:
        return PERIODS[self.period]

    @property
    def measures(self) -> list[str]:
        """Every measure the plan reads, in a stable order."""
        used = set().union(*(c.measures for c in self.components))
        return [m for m in MEASURES if m in used]

    @property
    def primary(self) -> str:
        """The measure performance is judged on: the first component's."""
        return self.components[0].measure

    @property
    def milestones(self) -> dict[str, float]:
        """Threshold, target and excellence attainment of the main measure's first bonus curve
        (80/100/120% for what it lacks)."""
        curve = next((c.curve for c in self.components
                      if c.curve and c.measure == self.primary and not c.team), None)
        found = curve.attainments if curve else {}
        default = {"threshold": 0.8, "target": 1.0, "excellence": 1.2}
        return {k: found.get(k, v) for k, v in default.items()}

    def target_incentive(self, level: str) -> float:
        return self.levels[level].target_incentive

    def replace(self, **changes) -> Plan:
        return replace(self, **changes)

    # ------------------------------------------------------------------ I/O

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        return _parse_plan(_Node(d, ""))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PlanError(f"{path}: cannot read the plan ({exc})") from None
        try:
            return cls.from_dict(data)
        except PlanError as exc:
            raise PlanError(f"{path}: {exc}") from None

    def to_dict(self) -> dict:
        return _dump_plan(self)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The plan as YAML text (also written to `path` when given); loads back equal."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def load_plans(folder: str | Path) -> dict[str, Plan]:
    """Every *.yaml plan in `folder`, by plan name, in file-name order."""
    plans = [Plan.from_yaml(p) for p in sorted(Path(folder).glob("*.yaml"))]
    return {p.name: p for p in plans}


# ------------------------------------------------------------------------- validation


class _Node:
    """A mapping being read, with the key path used in every error message."""

    def __init__(self, data: Any, path: str):
        if not isinstance(data, dict):
            raise PlanError(f"{path or 'plan'}: must be a mapping of keys, got {data!r}")
        self.data, self.path, self.used = data, path, set()

    def where(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str | int, problem: str) -> PlanError:
        return PlanError(f"{self.where(key)}: {problem}")

    def raw(self, key: str, default: Any = ..., required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required or default is ...:
                raise self.fail(key, "is required")
            return default
        return self.data[key]

    def number(self, key: str, default: Any = ..., lo: float | None = None,
               hi: float | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        return _number(value, self.where(key), lo, hi)

    def text(self, key: str, choices: tuple[str, ...] | None = None, default: Any = ...) -> Any:
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        value = str(value).strip()
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def items(self, key: str, default: Any = ()) -> list:
        value = self.raw(key, default)
        if value is default:
            return list(default)
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, got {value!r}")
        return value

    def child(self, key: str) -> _Node:
        return _Node(self.raw(key), self.where(key))

    def done(self) -> None:
        extra = [k for k in self.data if k not in self.used]
        if extra:
            raise self.fail(str(extra[0]), "unknown key (expected one of "
                            f"{', '.join(sorted(map(str, self.used)))})")


def _number(value: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PlanError(f"{where}: must be a number, got {value!r}")
    if lo is not None and value < lo:
        raise PlanError(f"{where}: must be >= {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise PlanError(f"{where}: must be <= {hi:g}, got {value:g}")
    return float(value)


def _measure(node: _Node, key: str, default: Any = ...) -> str:
    name = node.text(key, default=default)
    if name not in MEASURES:
        raise node.fail(key, f"unknown measure {name!r} (known: {', '.join(MEASURES)})")
    return name


def _level_list(node: _Node, key: str) -> tuple[str, ...]:
    names = node.items(key, LEVELS)
    for i, name in enumerate(names):
        if name not in LEVELS:
            raise PlanError(f"{node.where(key)}[{i}]: unknown level {name!r} "
                            f"(known: {', '.join(LEVELS)})")
    return tuple(n for n in LEVELS if n in names)


def _periods(node: _Node, key: str, n_periods: int) -> tuple[int, ...]:
    found = node.items(key)
    for i, p in enumerate(found):
        if not isinstance(p, int) or not 1 <= p <= n_periods:
            raise PlanError(f"{node.where(key)}[{i}]: must be a period number 1..{n_periods}, "
                            f"got {p!r}")
    return tuple(sorted(set(found)))


def _parse_plan(node: _Node) -> Plan:
    name = node.text("name")
    period = node.text("period", tuple(PERIODS), "quarter")
    true_up = bool(node.raw("true_up", True))
    levels_node = node.child("levels")
    levels = {}
    for key in levels_node.data:
        if key not in LEVELS:
            raise levels_node.fail(str(key), f"unknown level (known: {', '.join(LEVELS)})")
        levels[key] = _parse_level(levels_node.child(key))
    missing = [lv for lv in LEVELS if lv not in levels]
    if missing:
        raise levels_node.fail(missing[0], "is required (every level needs a target incentive)")
    raw_components = node.items("components")
    if not raw_components:
        raise node.fail("components", "needs at least one component")
    components = tuple(_parse_component(_Node(c, node.where("components") + f"[{i}]"),
                                        PERIODS[period])
                       for i, c in enumerate(raw_components))
    names = [c.name for c in components]
    for i, c in enumerate(names):
        if names.index(c) != i:
            raise PlanError(f"components[{i}].name: {c!r} is used twice")
    _check_weights(components)
    draw = None
    if "draw" in node.data and node.data["draw"] is not None:
        draw = _parse_draw(node.child("draw"), PERIODS[period])
    description = str(node.raw("description", "")).strip()
    node.done()
    return Plan(name, {lv: levels[lv] for lv in LEVELS}, components, period, true_up, draw,
                description)


def _parse_level(node: _Node) -> Level:
    base = node.number("base_salary", None, lo=0)
    if "pay_mix" in node.data:
        if base is None:
            raise node.fail("pay_mix", "needs base_salary to turn the mix into an amount")
        mix = node.text("pay_mix")
        parts = mix.split("/")
        try:
            fixed, variable = (float(x) for x in parts)
        except ValueError:
            fixed, variable = 0.0, -1.0
        if len(parts) != 2 or fixed <= 0 or variable < 0:
            raise node.fail("pay_mix", f"must read like '70/30' (base/variable), got {mix!r}")
        ti = base * variable / fixed
        if "target_incentive" in node.data:
            raise node.fail("target_incentive", "give target_incentive or pay_mix, not both")
    else:
        ti = node.number("target_incentive", lo=0)
    node.done()
    return Level(round(ti, 2), base)


def _parse_component(node: _Node, n_periods: int) -> Component:
    kind = node.text("type", TYPES)
    name = node.text("name")
    measure = _measure(node, "measure")
    levels = _level_list(node, "levels")
    kw: dict[str, Any] = {}
    weight = node.raw("weight", None)
    if isinstance(weight, dict):
        wnode = node.child("weight")
        for key in wnode.data:
            if key not in LEVELS:
                raise wnode.fail(str(key), f"unknown level (known: {', '.join(LEVELS)})")
        kw["weight"] = {lv: wnode.number(lv, 0.0, lo=0, hi=1) for lv in levels}
    elif weight is not None:
        w = _number(weight, node.where("weight"), 0, 1)
        kw["weight"] = {lv: w for lv in levels}
    if kind == "bonus" and "weight" not in kw:
        raise node.fail("weight", "is required for a bonus (its share of target incentive)")
    if kind == "commission":
        kw["mode"] = node.text("mode", MODES, "marginal")
        kw["basis"] = node.text("basis", ("amount", "attainment"), "amount")
        kw["boundary"] = node.text("boundary", BOUNDARIES, "lower_inclusive")
        kw["per"] = node.text("per", ("period", "transaction"), "period")
        if kw["per"] == "transaction":
            if kw["basis"] != "amount":
                raise node.fail("per", "per-transaction tiers must be on amount, not attainment")
            kw["count"] = _measure(node, "count", "deals_won")
        kw["tiers"] = _parse_tiers(node, kw["mode"])
    if kind == "bonus":
        kw["curve"] = _parse_curve(node.child("curve"))
        kw["team"] = bool(node.raw("team", False))
        if kw["team"] and MEASURES[measure] != "sum":
            raise node.fail("team", f"team results add up reps' {measure}; a score like "
                                    f"{measure} cannot be added (use a summed measure)")
    if kind in ("commission", "bonus"):
        kw["cap_payout"] = node.number("cap_payout", None, lo=0)
        kw["cap_attainment"] = node.number("cap_attainment", None, lo=0)
        gates = node.items("gates")
        kw["gates"] = tuple(_parse_condition(_Node(g, node.where("gates") + f"[{i}]"))
                            for i, g in enumerate(gates))
        if "modifier" in node.data:
            kw["modifier"] = _parse_modifier(node.child("modifier"))
    if kind == "spif":
        kw["per_unit"] = node.number("per_unit", 0.0, lo=0)
        kw["min"] = node.number("min", 0.0, lo=0)
        kw["amount"] = node.number("amount", 0.0, lo=0)
        if not kw["per_unit"] and not kw["amount"]:
            raise node.fail("amount", "a SPIF pays per_unit or a flat amount; give one")
        kw["periods"] = _periods(node, "periods", n_periods)
    if kind == "contest":
        prizes = node.items("prizes")
        if not prizes:
            raise node.fail("prizes", "needs at least one prize (top-N gets prizes[0..N-1])")
        kw["prizes"] = tuple(_number(p, node.where("prizes") + f"[{i}]", 0)
                             for i, p in enumerate(prizes))
        kw["honours"] = tuple(str(h) for h in node.items("honours"))
        kw["basis"] = node.text("basis", ("value", "attainment"), "attainment")
    node.done()
    return Component(name, kind, measure, levels=levels, **kw)


def _parse_tiers(node: _Node, mode: str) -> tuple[Tier, ...]:
    raw = node.items("tiers")
    if not raw:
        raise node.fail("tiers", "a commission needs at least one tier")
    tiers = []
    for i, t in enumerate(raw):
        tn = _Node(t, node.where("tiers") + f"[{i}]")
        lo = tn.number("from", lo=0)
        hi = tn.number("to", None, lo=0)
        if mode == "interpolated":
            amount = tn.number("amount", lo=0)
            rate = 0.0
            if hi is None and i == len(raw) - 1:
                raise tn.fail("to", "the last tier of an interpolated (amount) table needs 'to'")
        else:
            rate, amount = tn.number("rate", lo=0), 0.0
        tn.done()
        if hi is not None and hi <= lo:
            raise tn.fail("to", f"must be above from ({lo:g}), got {hi:g}")
        if tiers:
            prev = tiers[-1]
            if prev.hi is None:  # an open tier ends where the next one starts
                if lo <= prev.lo:
                    raise tn.fail("from", f"overlaps tiers[{i - 1}] (which starts at "
                                          f"{prev.lo:g}); tiers go up")
                tiers[-1] = replace(prev, hi=lo)
            elif lo < prev.hi:
                raise tn.fail("from", f"overlaps tiers[{i - 1}] (which runs to {prev.hi:g})")
            elif lo > prev.hi:
                raise tn.fail("from", f"leaves a gap after tiers[{i - 1}] "
                                      f"(which ends at {prev.hi:g})")
        tiers.append(Tier(lo, hi, rate, amount))
    return tuple(tiers)


CURVE_POINTS = ("threshold", "target", "excellence", "cap")


def _parse_curve(node: _Node) -> Curve:
    shape = node.text("shape", ("linear", "step"), "linear")
    points = []
    for name in CURVE_POINTS:
        if name not in node.data:
            if name == "target":
                raise node.fail(name, "is required (the attainment that pays 100%)")
            node.used.add(name)
            continue
        pn = node.child(name)
        a = pn.number("attainment", lo=0)
        p = pn.number("payout", lo=0)
        pn.done()
        if points and a <= points[-1][1]:
            raise pn.fail("attainment", f"must be above {points[-1][0]}'s "
                                        f"({points[-1][1]:g}), got {a:g}")
        if points and p < points[-1][2]:
            raise pn.fail("payout", f"must be >= {points[-1][0]}'s ({points[-1][2]:g}), "
                                    f"got {p:g}")
        points.append((name, a, p))
    node.done()
    return Curve(tuple(points), shape)


def _parse_condition(node: _Node) -> Condition:
    c = Condition(_measure(node, "measure"), node.number("min"),
                  node.text("basis", ("value", "attainment"), "value"))
    node.done()
    return c


def _parse_modifier(node: _Node) -> Modifier:
    measure = _measure(node, "measure")
    basis = node.text("basis", ("value", "attainment"), "value")
    bands = []
    for i, b in enumerate(node.items("bands")):
        bn = _Node(b, node.where("bands") + f"[{i}]")
        lo, mult = bn.number("from"), bn.number("multiplier", lo=0)
        bn.done()
        if bands and lo <= bands[-1][0]:
            raise bn.fail("from", f"overlaps bands[{i - 1}] (bands go up: from must be "
                                  f"above {bands[-1][0]:g})")
        bands.append((lo, mult))
    if not bands:
        raise node.fail("bands", "needs at least one band")
    node.done()
    return Modifier(measure, tuple(bands), basis)


def _parse_draw(node: _Node, n_periods: int) -> Draw:
    d = Draw(node.number("amount", lo=0), bool(node.raw("recoverable", True)),
             _periods(node, "periods", n_periods), _level_list(node, "levels"))
    node.done()
    return d


def _check_weights(components: tuple[Component, ...]) -> None:
    """Weights split each level's target incentive across measures: per level they sum to 1.

    A bonus pays its weight × target incentive at target; a commission's weight is the
    share of target incentive its rates are designed to pay (documented, not used to pay).
    """
    weighted = [(i, c) for i, c in enumerate(components) if c.weight]
    if not weighted:
        return
    for level in LEVELS:
        total = sum(c.weight.get(level, 0.0) for _, c in weighted)
        if abs(total - 1) > 1e-9:
            parts = " + ".join(f"components[{i}].weight {c.weight.get(level, 0.0):g}"
                               for i, c in weighted)
            raise PlanError(f"components[*].weight: weights for level '{level}' sum to "
                            f"{total:g} ({parts}); they must sum to 1")


# ---------------------------------------------------------------------------- dumping


def _dump_plan(plan: Plan) -> dict:
    out: dict[str, Any] = {"name": plan.name}
    if plan.description:
        out["description"] = plan.description
    out["period"] = plan.period
    out["true_up"] = plan.true_up
    out["levels"] = {lv: _clean({"target_incentive": v.target_incentive,
                                 "base_salary": v.base_salary}) for lv, v in plan.levels.items()}
    out["components"] = [_dump_component(c) for c in plan.components]
    if plan.draw:
        d = plan.draw
        out["draw"] = _clean({"amount": d.amount, "recoverable": d.recoverable,
                              "periods": list(d.periods) or None,
                              "levels": None if d.levels == LEVELS else list(d.levels)})
    return out


def _dump_component(c: Component) -> dict:
    d: dict[str, Any] = {"name": c.name, "type": c.type, "measure": c.measure}
    if c.levels != LEVELS:
        d["levels"] = list(c.levels)
    if c.weight:
        values = set(c.weight.values())
        d["weight"] = values.pop() if len(values) == 1 else dict(c.weight)
    if c.type == "commission":
        d.update(mode=c.mode, basis=c.basis, boundary=c.boundary, per=c.per)
        if c.per == "transaction":
            d["count"] = c.count
        tiers = c.tiers
        d["tiers"] = [_clean({"from": t.lo, "to": t.hi,
                              **({"amount": t.amount} if c.mode == "interpolated"
                                 else {"rate": t.rate})}) for t in tiers]
    if c.type == "bonus":
        d["curve"] = {"shape": c.curve.shape,
                      **{n: {"attainment": a, "payout": p} for n, a, p in c.curve.points}}
        if c.team:
            d["team"] = True
    if c.type in ("commission", "bonus"):
        d.update(_clean({"cap_payout": c.cap_payout, "cap_attainment": c.cap_attainment}))
        if c.gates:
            d["gates"] = [{"measure": g.measure, "min": g.min, "basis": g.basis} for g in c.gates]
        if c.modifier:
            m = c.modifier
            d["modifier"] = {"measure": m.measure, "basis": m.basis,
                             "bands": [{"from": lo, "multiplier": x} for lo, x in m.bands]}
    if c.type == "spif":
        d.update(_clean({"per_unit": c.per_unit or None, "min": c.min or None,
                         "amount": c.amount or None, "periods": list(c.periods) or None}))
    if c.type == "contest":
        d.update(basis=c.basis, prizes=list(c.prizes))
        if c.honours:
            d["honours"] = list(c.honours)
    return d


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


# ---------------------------------------------------------------------------- summary


def describe(plans: dict[str, Plan] | list[Plan]) -> pd.DataFrame:
    """One row per plan component, in plain words: what it pays on and how."""
    plans = list(plans.values()) if isinstance(plans, dict) else list(plans)
    rows = []
    for plan in plans:
        for c in plan.components:
            weights = ([] if not c.weight else [next(iter(c.weight.values()))]
                       if len(set(c.weight.values())) == 1 else [c.weight.get(lv, 0.0)
                                                                 for lv in LEVELS])
            rows.append({"plan": plan.name, "component": c.name, "type": c.type,
                         "measure": c.measure + (" (team)" if c.team else ""),
                         "weight": "" if not weights else "/".join(f"{w:g}" for w in weights),
                         "levels": "all" if c.levels == LEVELS else ", ".join(c.levels)
                         or "none (blocked)",
                         "how": _how(c)})
        if plan.draw:
            d = plan.draw
            rows.append({"plan": plan.name, "component": "draw", "type": "draw", "measure": "",
                         "weight": "", "levels": ", ".join(d.levels),
                         "how": f"{'recoverable' if d.recoverable else 'guaranteed'} "
                                f"{d.amount:,.0f} in periods "
                                f"{', '.join(map(str, d.periods)) or 'all'}"})
    return pd.DataFrame(rows)


def _how(c: Component) -> str:
    extras = []
    if c.cap_payout is not None:
        extras.append(f"cap {c.cap_payout:,.0f}/yr")
    if c.cap_attainment is not None:
        extras.append(f"credit capped at {c.cap_attainment:.0%}")
    extras += [f"gate {g.measure} >= {g.min:g}" for g in c.gates]
    if c.modifier:
        extras.append(f"x{'/'.join(f'{m:g}' for _, m in c.modifier.bands)} by "
                      f"{c.modifier.measure}")
    if c.type == "commission":
        unit = "%" if c.basis == "attainment" else ""
        tiers = ", ".join(
            (f"{t.lo * 100:g}{unit}+" if c.basis == "attainment" else f"{t.lo:,.0f}+")
            + (f" {t.amount:,.0f}" if c.mode == "interpolated" else f" {t.rate:.1%}")
            for t in c.tiers)
        text = f"{c.mode} commission {c.per}: {tiers}"
    elif c.type == "bonus":
        pts = ", ".join(f"{n} {a:.0%}->{p:.0%}" for n, a, p in c.curve.points)
        text = f"{c.curve.shape} curve: {pts}"
    elif c.type == "spif":
        periods = ", ".join(map(str, c.periods)) or "all"
        text = (f"{c.per_unit:,.0f} per unit" if c.per_unit else f"{c.amount:,.0f} flat") + \
            (f" from {c.min:g}" if c.min else "") + f" in periods {periods}"
    else:
        text = f"top {len(c.prizes)} by {c.basis}: " + "/".join(f"{p:,.0f}" for p in c.prizes)
        if c.honours:
            text += f"; {', '.join(c.honours)}"
    return "; ".join([text, *extras])


def edit_plan(plan: Plan, component: str, tiers: list[dict] | None = None,
              curve: dict | None = None, ti_scale: float = 1.0, name: str | None = None) -> Plan:
    """A copy of `plan` with one component's tiers or curve replaced and target incentives
    scaled; validated like a YAML file, so the editor shows the same errors."""
    d = plan.to_dict()
    index = next((i for i, c in enumerate(d["components"]) if c["name"] == component), None)
    if index is None:
        raise PlanError(f"components: no component named {component!r}")
    if tiers is not None:
        d["components"][index]["tiers"] = tiers
    if curve is not None:
        d["components"][index]["curve"] = curve
    for level in d["levels"].values():
        level["target_incentive"] = round(level["target_incentive"] * ti_scale, 2)
    if name:
        d["name"] = name
    # a component blocked for this data (paid to no level, see incentives.gaps) is validated
    # as the file has it, then blocked again
    blocked = {c.name for c in plan.components if not c.levels}
    for c in d["components"]:
        if c["name"] in blocked:
            c.pop("levels", None)
    edited = Plan.from_dict(d)
    if not blocked:
        return edited
    return edited.replace(components=tuple(replace(c, levels=()) if c.name in blocked else c
                                           for c in edited.components))
