"""The plan model: a bonus/commission plan is data (YAML), validated on load.

Every check names the key path of the offending value (`components[1].tiers[2].rate: must
be >= 0`), so a consultant editing a YAML file sees where the mistake is. The dataclasses are
frozen: a Plan is a value that can be compared, cached and written back with `to_yaml`.
Each kind of component is a class in `components.py` that reads its own keys (`COMPONENTS`
maps a YAML `type` to it); this module reads the plan around them: levels, period, draw.

The YAML format (see data/sample/plans/ for complete examples)::

    name: Tiered commission          # required, unique among compared plans
    description: ...                 # optional, plain words
    contact: Sales operations, ops@example.com   # optional: where reps ask (plan letters);
                                     # default "your manager"
    period: quarter                  # month | quarter | year: how often it pays
    true_up: true                    # pay year to date: each period pays YTD earned - paid
    levels:                          # every level, each with target_incentive, or
      junior: {target_incentive: 18000, base_salary: 52000}
      top: {base_salary: 95000, pay_mix: 63/37}   # base/variable -> TI = base * 37/63
    components:                      # one or more; `levels: [...]` limits who is eligible
      - name: revenue commission
        type: commission             # commission | bonus | spif | contest (components.py)
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
    honours:                         # optional; titles, no money (see incentives.leaderboards)
      - {name: President's Club, rule: top, period: year, share: 0.1, min_attainment: 1.0}
      - {name: Rookie of the quarter, rule: rookie, period: quarter, months: 12}
      - {name: Most improved, rule: most_improved, period: year}
                                     # rule: top | rookie | most_improved; period: month |
                                     # quarter | year (default year); measure (revenue),
                                     # basis: attainment | value; n (default 1) or share of
                                     # the reps ranked; rookie: hired within `months`
    pay: {lag_days: 30}              # optional: a period's pay reaches the rep lag_days
                                     # after the period ends (default PAY_LAG_DAYS = 30)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..data import SAMPLE_DIR, write_atomic
from ..errors import PlanError, read_yaml
from ..schema import LEVELS
from .components import COMPONENTS, Component, register  # noqa: F401  (re-exported)
from .model import (  # noqa: F401  (re-exported: the plan model's parts)
    BOUNDARIES,
    MEASURES,
    MODES,
    PERIODS,
    Condition,
    Curve,
    Modifier,
    Node,
    Tier,
    clean,
)

PAY_LAG_DAYS = 30
"""Days from a period's end to the day its pay reaches the rep, when a plan has no `pay` key."""

# ------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Level:
    """What one level is paid: its target incentive, and the base salary when the plan gives one.

    Parameters
    ----------
    target_incentive : float
        Variable pay at 100 % of target, per year.
    base_salary : float, optional
        Base salary per year (gives `pay_mix`).
    """

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
    """A floor on each period's pay: recoverable (advance, repaid from later earnings) or not.

    Parameters
    ----------
    amount : float
        The floor per period.
    recoverable : bool, default True
        True: an advance repaid from later earnings; False: a guarantee.
    periods : tuple of int, default ()
        The periods (1-based) it applies in; empty means all.
    levels : tuple of str, default LEVELS
        The levels it applies to.
    """

    amount: float
    recoverable: bool = True
    periods: tuple[int, ...] = ()
    levels: tuple[str, ...] = LEVELS


HONOUR_RULES = ("top", "rookie", "most_improved")
"""How an honour picks its winners: the top of the ranking, the best of the recent hires,
the largest gain over the same period a year earlier."""


@dataclass(frozen=True)
class Honour:
    """A title the plan gives each period by a rule (no money; `incentives.leaderboards`).

    Parameters
    ----------
    name : str
        The honour's name, unique in the plan.
    rule : {"top", "rookie", "most_improved"}
        How winners are picked (see HONOUR_RULES).
    period : {"month", "quarter", "year"}, default "year"
        Given once a period of this length.
    measure : str, default "revenue"
        The measure ranked on (one of MEASURES).
    basis : {"attainment", "value"}, default "attainment"
        Rank on attainment of target, or on the raw value.
    n : int, optional
        How many win (ties at the cut all win); default 1 when `share` is not given.
    share : float, optional
        The share of the reps ranked who win (rounded up), instead of `n`.
    min_attainment : float, optional
        Winners must also attain at least this much of target.
    months : int, default 12
        Rookie: hired within this many months before the period starts.
    """

    name: str
    rule: str
    period: str = "year"
    measure: str = "revenue"
    basis: str = "attainment"
    n: int | None = None
    share: float | None = None
    min_attainment: float | None = None
    months: int = 12


@dataclass(frozen=True)
class Pay:
    """When a period's pay reaches the rep: the period's end plus `lag_days`, so a
    statement can show the pay date and timely payout is visible.

    Parameters
    ----------
    lag_days : int, default PAY_LAG_DAYS
        Days from a period's end to its pay date (0 to 365).
    """

    lag_days: int = PAY_LAG_DAYS


@dataclass(frozen=True)
class Plan:
    """A bonus/commission plan read from YAML (see the module docstring for the format).

    Parameters
    ----------
    name : str
        The plan's name, unique among compared plans.
    levels : dict of str to Level
        Every level's target incentive (and base salary).
    components : tuple of Component
        What it pays, one component each, in YAML order.
    period : {"month", "quarter", "year"}, default "quarter"
        How often it pays.
    true_up : bool, default True
        Pay year to date: each period pays what was earned to date less what was paid.
    draw : Draw, optional
        A floor on each period's pay.
    description : str, default ""
        Plain words about the plan.
    honours : tuple of Honour, default ()
        Titles given by rule (top, rookie, most improved), in YAML order.
    pay : Pay, default Pay()
        The payout schedule (pay date = period end + `pay.lag_days`).
    contact : str, default CONTACT
        Where a rep asks about the plan (named in plan letters).
    """

    name: str
    levels: dict[str, Level]
    components: tuple[Component, ...]
    period: str = "quarter"
    true_up: bool = True
    draw: Draw | None = None
    description: str = ""
    honours: tuple[Honour, ...] = ()
    pay: Pay = Pay()
    contact: str = "your manager"

    @property
    def n_periods(self) -> int:
        """Number of pay periods in a year (12, 4 or 1)."""
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
        (80/100/120% for what it lacks).
        """
        found = next((c.milestones for c in self.components
                      if c.measure == self.primary and c.milestones), {})
        default = {"threshold": 0.8, "target": 1.0, "excellence": 1.2}
        return {k: found.get(k, v) for k, v in default.items()}

    def target_incentive(self, level: str) -> float:
        """Target incentive of one level, per year.

        Parameters
        ----------
        level : str
            The level.

        Returns
        -------
        float
            The level's target incentive.
        """
        return self.levels[level].target_incentive

    def replace(self, **changes) -> Plan:
        """A copy of the plan with some fields changed (not validated again).

        Parameters
        ----------
        **changes
            Field name -> new value.

        Returns
        -------
        Plan
            The changed copy.
        """
        return replace(self, **changes)

    # ------------------------------------------------------------------ I/O

    @classmethod
    def from_dict(cls, d: dict) -> Plan:
        """Read and validate a plan from the mapping a YAML file holds.

        Parameters
        ----------
        d : dict
            The plan's keys, as in the YAML format.

        Returns
        -------
        Plan
            The validated plan.

        Raises
        ------
        PlanError
            On any key that cannot be paid as written; the message starts with its key path.
        """
        return _parse_plan(Node(d, ""))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Plan:
        """Read and validate a plan from a YAML file.

        Parameters
        ----------
        path : str or pathlib.Path
            The YAML file.

        Returns
        -------
        Plan
            The validated plan.

        Raises
        ------
        PlanError
            When the file cannot be read or parsed, or the plan is invalid; the message starts
            with the file's path.
        """
        path = Path(path)
        try:
            return _plan_file(path)
        except PlanError as exc:
            raise PlanError(f"{path}: {exc}") from None

    def to_dict(self) -> dict:
        """The plan as the mapping its YAML file holds (`from_dict` reads it back equal).

        Returns
        -------
        dict
            Plan keys, levels and components, without defaults left empty.
        """
        return _dump_plan(self)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The plan as YAML text (also written to `path` when given); loads back equal.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            A file to write the YAML to.

        Returns
        -------
        str
            The YAML text.
        """
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def load_plans(folder: str | Path) -> dict[str, Plan]:
    """Every *.yaml plan in `folder`, by plan name, in file-name order; strict (a page
    reads them with `read_plans`, which skips a bad file and says so).

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding the plan files.

    Returns
    -------
    dict of str to Plan
        Plan name -> plan.

    Raises
    ------
    PlanError
        When a file cannot be read or holds an invalid plan (the message names the file),
        or two files hold plans of the same name.
    """
    plans: dict[str, Plan] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        plan = Plan.from_yaml(path)
        if plan.name in plans:
            raise PlanError(f"{path}: name: {plan.name!r} is already the name of another "
                            "plan in the folder")
        plans[plan.name] = plan
    return plans


def read_plans(folder: str | Path, names: list[str] | None = None
               ) -> tuple[dict[str, Plan], list[str]]:
    """The valid plans in `folder` and a line per file skipped, so one typo never stops
    a page: what `load_plans` reads, without raising.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding the plan files (*.yaml).
    names : list of str, optional
        Keep only these plans, in this order; a name no valid file holds is a problem.
        None keeps every plan, in file-name order.

    Returns
    -------
    plans : dict of str to Plan
        Plan name -> plan, for the files that read.
    problems : list of str
        One line per file skipped, "<file name>: <key path>: <why>" (the file by its name,
        never its folder), e.g. "02_tiered.yaml: components[0].weight: must be a number,
        got '0.8x'"; one naming the folder (by its name) when it holds no plan file;
        then one per name in `names` that no plan has.
    """
    plans: dict[str, Plan] = {}
    files: dict[str, str] = {}
    paths = sorted(Path(folder).glob("*.yaml"))
    problems = [] if paths else [f"{Path(folder).name}: no plan files (*.yaml) in this "
                                 "folder"]
    for path in paths:
        try:
            plan = _plan_file(path)
        except PlanError as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        if plan.name in plans:
            problems.append(f"{path.name}: name: {plan.name!r} is already the name of "
                            f"{files[plan.name]}")
            continue
        plans[plan.name], files[plan.name] = plan, path.name
    if names is not None:
        missing = [n for n in names if n not in plans]
        problems += [f"compare: no valid plan named {n!r} (valid: {', '.join(plans) or 'none'})"
                     for n in missing]
        plans = {n: plans[n] for n in names if n in plans}
    return plans, problems


def plan_stem(name: str) -> str:
    """A safe file stem for a plan named `name`: lower-case letters (any script), digits,
    `-` and `_`, nothing else, so a typed name never leaves the folder (`../../evil` ->
    `evil`), never hides the file (`.hidden` -> `hidden`) and reads the same on every file
    system.

    Parameters
    ----------
    name : str
        The plan's name as typed.

    Returns
    -------
    str
        The stem: NFKC-normalised and lower-cased; every run of other characters becomes
        one `_`; no `_` or `-` at either end; at most 64 characters; a Windows device name
        (`con`, `nul`, `com1`, ...) gets `_plan` after it.

    Raises
    ------
    PlanError
        When the name has no letter or digit to make a file name of.
    """
    text = unicodedata.normalize("NFKC", str(name)).lower()
    stem = re.sub(r"[^\w-]+", "_", text, flags=re.UNICODE)
    stem = re.sub(r"_{2,}", "_", stem).strip("_-")[:64].strip("_-")
    if not any(ch.isalnum() for ch in stem):
        raise PlanError(f"name: {name!r} has no letter or digit to name its file by; "
                        "type a name such as 'Tiered 2027'")
    if stem in _DEVICES:
        stem += "_plan"
    return stem


def save_plan(plan: Plan, folder: str | Path, taken: Iterable[str] = ()) -> tuple[Plan, Path]:
    """Write `plan` as `<plan_stem>.yaml` in `folder` under a name no other plan has: when
    its name (or its file) is taken, " (2)", " (3)", ... is added to the name (and `_2`,
    `_3`, ... to the file), so a save never overwrites a plan and two plans never share
    a name.

    Parameters
    ----------
    plan : Plan
        The plan to save.
    folder : str or pathlib.Path
        Where to write (created if missing); never the sample's input folder.
    taken : Iterable[str], default ()
        Names already in use (the plans on the page); the files in `folder` are taken too.

    Returns
    -------
    plan : Plan
        The plan as saved (renamed when its name was taken).
    path : pathlib.Path
        The file written.

    Raises
    ------
    PlanError
        When the name has no letter or digit, or `folder` is inside the sample's input
        folder (`data/sample/`).
    """
    folder = Path(folder)
    if folder.resolve().is_relative_to(SAMPLE_DIR.resolve()):
        raise PlanError("folder: the sample's input files are never written; save to the "
                        "output folder")
    used_names = {str(n).strip().lower() for n in taken}
    used_stems = set()
    for other in used_names:
        with suppress(PlanError):  # a name no file could be named by takes no file name
            used_stems.add(plan_stem(other))
    if folder.exists():
        used_stems |= {p.stem.lower() for p in folder.glob("*.yaml")}
    base, root = plan.name.strip(), plan_stem(plan.name)
    name, stem, n = base, root, 1
    while name.lower() in used_names or stem in used_stems:
        n += 1  # the number is kept even when a long name's stem is cut to 64 characters
        name, stem = f"{base} ({n})", f"{root[:63 - len(str(n))].rstrip('_-')}_{n}"
    saved = plan.replace(name=name)
    path = write_atomic(folder / f"{stem}.yaml", lambda tmp: saved.to_yaml(tmp))
    return saved, path


def _plan_file(path: Path) -> Plan:
    """The plan in `path`; errors start with the key path and never name the folder."""
    return Plan.from_dict(read_yaml(path, PlanError))


_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
            *(f"lpt{i}" for i in range(1, 10))}


# ------------------------------------------------------------------------- validation


def _parse_plan(node: Node) -> Plan:
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
    components = tuple(Component.read(Node(c, node.where("components") + f"[{i}]"),
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
    honours = _parse_honours(node)
    pay = _parse_pay(node.child("pay")) if node.raw("pay", None) is not None else Pay()
    contact = _parse_contact(node)
    node.done()
    return Plan(name, {lv: levels[lv] for lv in LEVELS}, components, period, true_up, draw,
                description, honours, pay, contact)


def _parse_honours(node: Node) -> tuple[Honour, ...]:
    """The optional `honours:` list, each checked with its key path (`honours[1].rule`)."""
    out = []
    for i, raw in enumerate(node.items("honours")):
        h = Node(raw, node.where("honours") + f"[{i}]")
        name, rule = h.text("name"), h.text("rule", HONOUR_RULES)
        period = h.text("period", tuple(PERIODS), "year")
        measure = h.measure("measure", "revenue")
        basis = h.text("basis", ("attainment", "value"), "attainment")
        n = h.number("n", None, lo=1)
        if n is not None and n != int(n):
            raise h.fail("n", f"must be a whole number of winners, got {h.data['n']!r}")
        share = h.number("share", None, lo=0, hi=1)
        if share is not None and n is not None:
            raise h.fail("share", "give n or share, not both")
        if share == 0:
            raise h.fail("share", "must be more than 0 (a share of the reps ranked)")
        least = h.number("min_attainment", None, lo=0)
        months = h.number("months", None, lo=1)
        if months is not None and rule != "rookie":
            raise h.fail("months", "only a rookie honour reads months (hired within)")
        if months is not None and months != int(months):
            raise h.fail("months", f"must be a whole number of months, got {h.data['months']!r}")
        if name in {o.name for o in out}:
            raise h.fail("name", f"{name!r} is used twice")
        h.done()
        out.append(Honour(name, rule, period, measure, basis,
                          None if n is None else int(n), share, least,
                          12 if months is None else int(months)))
    return tuple(out)


def _parse_pay(node: Node) -> Pay:
    lag = node.number("lag_days", PAY_LAG_DAYS, lo=0, hi=365)
    if lag != int(lag):
        raise node.fail("lag_days", f"must be a whole number of days, got {lag:g}")
    node.done()
    return Pay(int(lag))


CONTACT = "your manager"
"""Where a rep asks about the plan when the YAML names no `contact`."""


def _parse_contact(node: Node) -> str:
    value = node.raw("contact", CONTACT)
    if not isinstance(value, str) or not value.strip():
        raise node.fail("contact", "must be text saying where reps ask about the plan, e.g. "
                        f"'Sales operations, ops@example.com' (got {value!r})")
    if len(value.strip()) > 300:
        raise node.fail("contact", f"is {len(value.strip())} characters; keep it to 300 "
                        "(a name, a mailbox, a phone number)")
    return " ".join(value.split())


def _parse_level(node: Node) -> Level:
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


def _parse_draw(node: Node, n_periods: int) -> Draw:
    d = Draw(node.number("amount", lo=0), bool(node.raw("recoverable", True)),
             node.periods("periods", n_periods), node.levels("levels"))
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
    if plan.contact != CONTACT:
        out["contact"] = plan.contact
    out["period"] = plan.period
    out["true_up"] = plan.true_up
    out["levels"] = {lv: clean({"target_incentive": v.target_incentive,
                                "base_salary": v.base_salary}) for lv, v in plan.levels.items()}
    out["components"] = [c.to_dict() for c in plan.components]
    if plan.draw:
        d = plan.draw
        out["draw"] = clean({"amount": d.amount, "recoverable": d.recoverable,
                             "periods": list(d.periods) or None,
                             "levels": None if d.levels == LEVELS else list(d.levels)})
    if plan.honours:
        out["honours"] = [clean({"name": h.name, "rule": h.rule, "period": h.period,
                                 "measure": h.measure, "basis": h.basis, "n": h.n,
                                 "share": h.share, "min_attainment": h.min_attainment,
                                 "months": h.months if h.rule == "rookie" else None})
                          for h in plan.honours]
    if plan.pay != Pay():
        out["pay"] = {"lag_days": plan.pay.lag_days}
    return out


# ---------------------------------------------------------------------------- summary


def describe_plans(plans: dict[str, Plan] | list[Plan]) -> pd.DataFrame:
    """One row per plan component, in plain words: what it pays on and how.

    Parameters
    ----------
    plans : dict of str to Plan or list of Plan
        The plans.

    Returns
    -------
    pandas.DataFrame
        One row per component (and draw): `plan`, `component`, `type`, `measure`,
        `weight`, `levels`, `how`.
    """
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
                         "how": c.how()})
        if plan.draw:
            d = plan.draw
            rows.append({"plan": plan.name, "component": "draw", "type": "draw", "measure": "",
                         "weight": "", "levels": ", ".join(d.levels),
                         "how": f"{'recoverable' if d.recoverable else 'guaranteed'} "
                                f"{d.amount:,.0f} in periods "
                                f"{', '.join(map(str, d.periods)) or 'all'}"})
    return pd.DataFrame(rows)


def base_salaries(plan: Plan, levels: pd.Series) -> float:
    """What the plan's reps cost in base salary for the year (paid whatever the results).

    Parameters
    ----------
    plan : Plan
        The plan, for each level's base salary.
    levels : pandas.Series
        The level of each rep on the plan (one entry a rep).

    Returns
    -------
    float
        The sum of the reps' annual base salaries; NaN when a level with reps has no
        base salary in the plan.
    """
    counts = levels.value_counts()
    bases = [plan.levels[lv].base_salary if lv in plan.levels else None for lv in counts.index]
    if any(b is None for b in bases):
        return float("nan")
    return float(np.dot(counts.to_numpy(dtype=float), np.asarray(bases, dtype=float)))


def edit_plan(plan: Plan, component: str, *, tiers: list[dict] | None = None,
              curve: dict | None = None, ti_scale: float = 1.0, name: str | None = None,
              **keys: Any) -> Plan:
    """A copy of `plan` with one component's tiers or curve (or any other of its YAML `keys`,
    such as what its `edits` returns) replaced and target incentives scaled; validated like a
    YAML file, so the editor shows the same errors.

    Parameters
    ----------
    plan : Plan
        The plan to copy.
    component : str
        The name of the component to change.
    tiers : list of dict, optional
        New tiers (YAML form) for the component.
    curve : dict, optional
        A new bonus curve (YAML form) for the component.
    ti_scale : float, default 1.0
        Factor on every level's target incentive.
    name : str, optional
        A new plan name.
    **keys
        Any other YAML keys of the component to replace.

    Returns
    -------
    Plan
        The edited, validated plan.

    Raises
    ------
    PlanError
        When no component has that name or the edited plan is invalid (key path first).
    """
    d = plan.to_dict()
    index = next((i for i, c in enumerate(d["components"]) if c["name"] == component), None)
    if index is None:
        raise PlanError(f"components: no component named {component!r}")
    if tiers is not None:
        d["components"][index]["tiers"] = tiers
    if curve is not None:
        d["components"][index]["curve"] = curve
    d["components"][index].update(keys)
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
