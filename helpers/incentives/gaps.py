"""What a plan cannot read in the data in hand, said up front.

A gate or modifier on a measure the data lacks (no CSAT column, a column left empty) would
otherwise read that measure as zero and silently stop or shrink the pay; `adapt_plans`
takes the decision once, in words, so the payout curves, the replay and the simulation all
price the same plan:

- on_missing="drop" (the default): the gate or modifier is dropped, the component pays as
  if it were not there;
- on_missing="block": the component the gate or modifier guards pays nothing (it stays in
  the plan, paid to no level, so the plan's main measure and milestones do not change).

A component paid on a missing measure itself cannot pay in either case and is left out; a
plan left with no component is left out.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..data import Dataset
from .plan import MEASURES, Plan, PlanError

ON_MISSING = ("drop", "block")


def missing_measures(ds: Dataset) -> dict[str, str]:
    """Measure -> why it cannot be read (absent, or every value empty), for plan measures.

    Parameters
    ----------
    ds : Dataset
        The loaded data.

    Returns
    -------
    dict of str to str
        Plan measure -> the reason it cannot be read; empty when every measure can.
    """
    lacks = ds.lacks()
    out = {}
    for m in MEASURES:
        h = ds.history
        if m not in h or pd.to_numeric(h[m], errors="coerce").isna().all():
            out[m] = (lacks[m].split(":")[0] if m in lacks
                      else f"no {m} in the data")
    return out


def adapt_plans(plans: dict[str, Plan], missing: dict[str, str],
                on_missing: str = "drop") -> tuple[dict[str, Plan], list[str]]:
    """(plans as they can be paid on this data, one sentence per change made).

    Parameters
    ----------
    plans : dict of str to Plan
        The plans, by name.
    missing : dict of str to str
        Measure -> why it cannot be read, from `missing_measures`.
    on_missing : {"drop", "block"}, default "drop"
        What happens to a gate or modifier on a missing measure (see the module docstring).

    Returns
    -------
    plans : dict of str to Plan
        The plans that can still pay, adapted; a plan with nothing left is left out.
    notes : list of str
        One sentence per change made.

    Raises
    ------
    PlanError
        When `on_missing` is not one of `ON_MISSING`.
    """
    if on_missing not in ON_MISSING:
        raise PlanError(f"on_missing: {on_missing!r} is not one of {', '.join(ON_MISSING)}")
    out, notes = {}, []
    for name, plan in plans.items():
        kept = []
        for c in plan.components:
            if c.measure in missing:
                notes.append(f"'{c.name}' in '{name}' pays on {c.measure}, which cannot be "
                             f"read ({missing[c.measure]}): left out")
                continue
            rules = [(f"gate {g.measure} ≥ {g.min:g}", g.measure) for g in c.gates
                     if g.measure in missing]
            if c.modifier and c.modifier.measure in missing:
                rules.append((f"modifier by {c.modifier.measure}", c.modifier.measure))
            for rule, m in rules:
                what = ("dropped" if on_missing == "drop"
                        else f"'{c.name}' blocked: it pays nothing")
                notes.append(f"{rule} in '{name}' ('{c.name}') cannot apply: "
                             f"{missing[m]} — {what}")
            if rules:  # blocked: kept (the plan's main measure stays), paid to no level
                c = replace(c, gates=tuple(g for g in c.gates if g.measure not in missing),
                            modifier=None if c.modifier and c.modifier.measure in missing
                            else c.modifier,
                            levels=() if on_missing == "block" else c.levels)
            kept.append(c)
        if not kept:
            notes.append(f"'{name}' has nothing left to pay on this data: left out")
            continue
        out[name] = plan if len(kept) == len(plan.components) and all(
            a is b for a, b in zip(kept, plan.components, strict=True)) else plan.replace(
            components=tuple(kept))
    return out, notes
