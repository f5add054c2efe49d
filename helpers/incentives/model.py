"""What plans are made of: measures, periods, rate tables, curves, gates and modifiers, and
`Node`, the reader of a YAML mapping that names the key path in every error.

Shared by the plan (`plan.py`) and every kind of component (`components.py`), and by the
engine (how a measure adds up over months), so none of them imports the others for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

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


# ------------------------------------------------------------------------ reading YAML


class Node:
    """A mapping being read, with the key path used in every error message.

    Each read marks its key as used; `done()` then names any key left over (a typo).
    """

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
        return number(value, self.where(key), lo, hi)

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

    def measure(self, key: str, default: Any = ...) -> str:
        """A measure's name (one of MEASURES)."""
        name = self.text(key, default=default)
        if name not in MEASURES:
            raise self.fail(key, f"unknown measure {name!r} (known: {', '.join(MEASURES)})")
        return name

    def levels(self, key: str) -> tuple[str, ...]:
        """A list of levels, in LEVELS order (all of them when the key is absent)."""
        names = self.items(key, LEVELS)
        for i, name in enumerate(names):
            if name not in LEVELS:
                raise PlanError(f"{self.where(key)}[{i}]: unknown level {name!r} "
                                f"(known: {', '.join(LEVELS)})")
        return tuple(n for n in LEVELS if n in names)

    def periods(self, key: str, n_periods: int) -> tuple[int, ...]:
        """A list of 1-based plan periods, sorted (none when the key is absent)."""
        found = self.items(key)
        for i, p in enumerate(found):
            if not isinstance(p, int) or not 1 <= p <= n_periods:
                raise PlanError(f"{self.where(key)}[{i}]: must be a period number "
                                f"1..{n_periods}, got {p!r}")
        return tuple(sorted(set(found)))

    def child(self, key: str) -> Node:
        return Node(self.raw(key), self.where(key))

    def done(self) -> None:
        extra = [k for k in self.data if k not in self.used]
        if extra:
            raise self.fail(str(extra[0]), "unknown key (expected one of "
                            f"{', '.join(sorted(map(str, self.used)))})")


def number(value: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PlanError(f"{where}: must be a number, got {value!r}")
    if lo is not None and value < lo:
        raise PlanError(f"{where}: must be >= {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise PlanError(f"{where}: must be <= {hi:g}, got {value:g}")
    return float(value)


def parse_tiers(node: Node, mode: str) -> tuple[Tier, ...]:
    raw = node.items("tiers")
    if not raw:
        raise node.fail("tiers", "a commission needs at least one tier")
    tiers = []
    for i, t in enumerate(raw):
        tn = Node(t, node.where("tiers") + f"[{i}]")
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


def parse_curve(node: Node) -> Curve:
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


def parse_condition(node: Node) -> Condition:
    c = Condition(node.measure("measure"), node.number("min"),
                  node.text("basis", ("value", "attainment"), "value"))
    node.done()
    return c


def parse_modifier(node: Node) -> Modifier:
    measure = node.measure("measure")
    basis = node.text("basis", ("value", "attainment"), "value")
    bands = []
    for i, b in enumerate(node.items("bands")):
        bn = Node(b, node.where("bands") + f"[{i}]")
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


def clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}
