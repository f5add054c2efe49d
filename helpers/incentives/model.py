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

    Parameters
    ----------
    lo : float
        Where the tier starts (`from`).
    hi : float or None
        Where it ends (`to`); None while open-ended.
    rate : float, default 0.0
        Pay per unit (marginal and retroactive tables).
    amount : float, default 0.0
        Pay for the whole tier (interpolated tables).
    """

    lo: float
    hi: float | None
    rate: float = 0.0
    amount: float = 0.0


@dataclass(frozen=True)
class Curve:
    """Bonus payout (multiple of target incentive) against attainment, as named points.

    Parameters
    ----------
    points : tuple of (str, float, float)
        (name, attainment, payout) per point, ascending.
    shape : {"linear", "step"}, default "linear"
        Interpolate between points, or pay the last point reached.
    """

    points: tuple[tuple[str, float, float], ...]  # (name, attainment, payout), ascending
    shape: str = "linear"  # linear: interpolate between points; step: pay the last point reached

    @property
    def attainments(self) -> dict[str, float]:
        """Point name -> attainment (threshold, target, excellence, cap)."""
        return {name: a for name, a, _ in self.points}


@dataclass(frozen=True)
class Condition:
    """A measure compared with a number: its period value, or its attainment of target.

    Parameters
    ----------
    measure : str
        The measure (one of MEASURES).
    min : float
        The least value (or attainment) that passes.
    basis : {"value", "attainment"}, default "value"
        Compare the period value or its attainment of target.
    """

    measure: str
    min: float
    basis: str = "value"  # value | attainment


@dataclass(frozen=True)
class Modifier:
    """Multiply a component's payout by the band the measure falls in (bands by lower bound).

    Parameters
    ----------
    measure : str
        The measure (one of MEASURES).
    bands : tuple of (float, float)
        (from, multiplier) per band, ascending.
    basis : {"value", "attainment"}, default "value"
        Band on the period value or its attainment of target.
    """

    measure: str
    bands: tuple[tuple[float, float], ...]  # (from, multiplier), ascending
    basis: str = "value"


# ------------------------------------------------------------------------ reading YAML


class Node:
    """A mapping being read, with the key path used in every error message.

    Each read marks its key as used; `done()` then names any key left over (a typo).

    Parameters
    ----------
    data : Any
        The mapping read.
    path : str
        Its key path ("" for the plan itself).

    Raises
    ------
    PlanError
        When `data` is not a mapping.
    """

    def __init__(self, data: Any, path: str):
        if not isinstance(data, dict):
            raise PlanError(f"{path or 'plan'}: must be a mapping of keys, got {data!r}")
        self.data, self.path, self.used = data, path, set()

    def where(self, key: str | int) -> str:
        """The key path of `key` under this node.

        Parameters
        ----------
        key : str or int
            A key, or a list index.

        Returns
        -------
        str
            E.g. `components[1].tiers`.
        """
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str | int, problem: str) -> PlanError:
        """The error to raise for `key`: its key path, then the problem.

        Parameters
        ----------
        key : str or int
            The offending key or index.
        problem : str
            What is wrong, in plain words.

        Returns
        -------
        PlanError
            The error (not raised).
        """
        return PlanError(f"{self.where(key)}: {problem}")

    def raw(self, key: str, default: Any = ..., required: bool = False) -> Any:
        """The value of `key` as written, marking the key as used.

        Parameters
        ----------
        key : str
            The key.
        default : Any, optional
            Returned when the key is absent or null; without it the key is required.
        required : bool, default False
            Require the key even when `default` is given.

        Returns
        -------
        Any
            The value, or `default`.

        Raises
        ------
        PlanError
            When a required key is absent or null.
        """
        self.used.add(key)
        if key not in self.data or self.data[key] is None:
            if required or default is ...:
                raise self.fail(key, "is required")
            return default
        return self.data[key]

    def number(self, key: str, default: Any = ..., lo: float | None = None,
               hi: float | None = None) -> Any:
        """The value of `key` as a number within `lo`..`hi`.

        Parameters
        ----------
        key : str
            The key.
        default : Any, optional
            Returned as is when the key is absent; without it the key is required.
        lo : float, optional
            The least value allowed.
        hi : float, optional
            The greatest value allowed.

        Returns
        -------
        Any
            The number as a float, or `default`.

        Raises
        ------
        PlanError
            When the key is required and absent, or the value is not a number in range.
        """
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        return number(value, self.where(key), lo, hi)

    def text(self, key: str, choices: tuple[str, ...] | None = None, default: Any = ...) -> Any:
        """The value of `key` as stripped text, one of `choices` when given.

        Parameters
        ----------
        key : str
            The key.
        choices : tuple of str, optional
            The values allowed.
        default : Any, optional
            Returned as is when the key is absent; without it the key is required.

        Returns
        -------
        Any
            The text, or `default`.

        Raises
        ------
        PlanError
            When the key is required and absent, or the value is not one of `choices`.
        """
        value = self.raw(key, default)
        if value is default and default is not ...:
            return value
        value = str(value).strip()
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def items(self, key: str, default: Any = ()) -> list:
        """The value of `key` as a list.

        Parameters
        ----------
        key : str
            The key.
        default : Any, default ()
            Returned (as a list) when the key is absent.

        Returns
        -------
        list
            The items.

        Raises
        ------
        PlanError
            When the value is not a list.
        """
        value = self.raw(key, default)
        if value is default:
            return list(default)
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, got {value!r}")
        return value

    def measure(self, key: str, default: Any = ...) -> str:
        """A measure's name (one of MEASURES).

        Parameters
        ----------
        key : str
            The key.
        default : Any, optional
            Returned when the key is absent; without it the key is required.

        Returns
        -------
        str
            The measure.

        Raises
        ------
        PlanError
            When the key is required and absent, or the measure is unknown.
        """
        name = self.text(key, default=default)
        if name not in MEASURES:
            raise self.fail(key, f"unknown measure {name!r} (known: {', '.join(MEASURES)})")
        return name

    def levels(self, key: str) -> tuple[str, ...]:
        """A list of levels, in LEVELS order (all of them when the key is absent).

        Parameters
        ----------
        key : str
            The key.

        Returns
        -------
        tuple of str
            The levels named.

        Raises
        ------
        PlanError
            When an item is not a level.
        """
        names = self.items(key, LEVELS)
        for i, name in enumerate(names):
            if name not in LEVELS:
                raise PlanError(f"{self.where(key)}[{i}]: unknown level {name!r} "
                                f"(known: {', '.join(LEVELS)})")
        return tuple(n for n in LEVELS if n in names)

    def periods(self, key: str, n_periods: int) -> tuple[int, ...]:
        """A list of 1-based plan periods, sorted (none when the key is absent).

        Parameters
        ----------
        key : str
            The key.
        n_periods : int
            Periods in the plan year.

        Returns
        -------
        tuple of int
            The periods, sorted, without repeats.

        Raises
        ------
        PlanError
            When an item is not a whole number from 1 to `n_periods`.
        """
        found = self.items(key)
        for i, p in enumerate(found):
            if not isinstance(p, int) or not 1 <= p <= n_periods:
                raise PlanError(f"{self.where(key)}[{i}]: must be a period number "
                                f"1..{n_periods}, got {p!r}")
        return tuple(sorted(set(found)))

    def child(self, key: str) -> Node:
        """The mapping under `key`, as a Node with its key path.

        Parameters
        ----------
        key : str
            The key (required).

        Returns
        -------
        Node
            The child node.

        Raises
        ------
        PlanError
            When the key is absent or its value is not a mapping.
        """
        return Node(self.raw(key), self.where(key))

    def done(self) -> None:
        """Check that every key of the mapping was read.

        Raises
        ------
        PlanError
            Naming the first key left over (a typo) and the keys expected.
        """
        extra = [k for k in self.data if k not in self.used]
        if extra:
            raise self.fail(str(extra[0]), "unknown key (expected one of "
                            f"{', '.join(sorted(map(str, self.used)))})")


def number(value: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    """`value` as a float, checked to be a number within `lo`..`hi`.

    Parameters
    ----------
    value : Any
        The value read.
    where : str
        Its key path, for the message.
    lo : float, optional
        The least value allowed.
    hi : float, optional
        The greatest value allowed.

    Returns
    -------
    float
        The number.

    Raises
    ------
    PlanError
        When `value` is not a number (a bool or NaN is not) or is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PlanError(f"{where}: must be a number, got {value!r}")
    if lo is not None and value < lo:
        raise PlanError(f"{where}: must be >= {lo:g}, got {value:g}")
    if hi is not None and value > hi:
        raise PlanError(f"{where}: must be <= {hi:g}, got {value:g}")
    return float(value)


def parse_tiers(node: Node, mode: str) -> tuple[Tier, ...]:
    """The `tiers` of a rate table: ascending, with no gaps or overlaps.

    Parameters
    ----------
    node : Node
        The component's mapping.
    mode : {"marginal", "retroactive", "interpolated"}
        The table's mode (interpolated tiers pay `amount`, the others `rate`).

    Returns
    -------
    tuple of Tier
        The tiers; an open tier ends where the next one starts.

    Raises
    ------
    PlanError
        On no tiers, a bad number, a tier that overlaps or leaves a gap, or an interpolated
        table whose last tier has no `to`.
    """
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
    """A bonus curve: its shape and the points threshold, target (required), excellence, cap.

    Parameters
    ----------
    node : Node
        The `curve` mapping.

    Returns
    -------
    Curve
        The curve.

    Raises
    ------
    PlanError
        On a missing target, a bad number, points whose attainments do not go up or whose
        payouts go down, or an unknown key.
    """
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
    """A gate: measure, min and basis.

    Parameters
    ----------
    node : Node
        The gate's mapping.

    Returns
    -------
    Condition
        The gate.

    Raises
    ------
    PlanError
        On an unknown measure or basis, a missing min or an unknown key.
    """
    c = Condition(node.measure("measure"), node.number("min"),
                  node.text("basis", ("value", "attainment"), "value"))
    node.done()
    return c


def parse_modifier(node: Node) -> Modifier:
    """A modifier: measure, basis and its bands.

    Parameters
    ----------
    node : Node
        The modifier's mapping.

    Returns
    -------
    Modifier
        The modifier.

    Raises
    ------
    PlanError
        On an unknown measure or basis, no bands, bands that do not go up, or an unknown key.
    """
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
    """The mapping without its None values (for dumping to YAML).

    Parameters
    ----------
    d : dict
        The mapping.

    Returns
    -------
    dict
        The mapping less its None values.
    """
    return {k: v for k, v in d.items() if v is not None}
