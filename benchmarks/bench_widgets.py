"""Widget response (issue 3): a control change in the targets panel, end to end, headless.

The run sets `panel.growth` (alternating between two values, so every run is a change) and
stops when the observer -- `TargetsPanel.redraw`, from `helpers.ui.base.Panel` -- returns:
the plan is recomputed, the region table rendered, and the chart (`helpers.ui.overview`)
updated and rendered to the PNG the browser is sent (Agg backend). The panel keeps a
`helpers.targets.PlanCache` (the fitted ramp, run-rates, baselines are not recomputed) and
its chart copies back what no control moves. The baseline is how the
panel used to redraw, measured in the same run: recompute the same plan, then build a fresh
two-axes figure and render it as Jupyter's inline backend does (PNG with
bbox_inches="tight", i.e. a layout draw plus the real one).
"""

from __future__ import annotations

import contextlib
import io
import itertools
from dataclasses import dataclass

import matplotlib

from .harness import Case, company

GOAL_S = 0.1  # issue 14 §2: headroom on a loaded laptop (was 0.2)


@dataclass
class Panel:
    panel: object
    values: itertools.cycle


def setup(n_reps: int, grain: str) -> Panel:
    matplotlib.use("Agg")
    from helpers.plots import style
    from helpers.ui.targets import TargetsPanel

    style()
    with contextlib.redirect_stdout(io.StringIO()):  # no kernel: display() prints
        panel = TargetsPanel(company(n_reps), grain=grain)
    return Panel(panel, itertools.cycle((0.06, 0.07)))


def change(p: Panel) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        p.panel.growth.value = next(p.values)


def rebuild(p: Panel) -> bytes:
    """The old redraw: same plan, a new figure each time, rendered the inline way."""
    import matplotlib.pyplot as plt

    from helpers.plots.targets import phasing, targets_by_region
    from helpers.targets import linear_ramp, plan_targets

    panel = p.panel
    plan = plan_targets(panel.ds, panel.year, growth=next(p.values), method=panel.method.value,
                        company_method=panel.company_method.value,
                        over_assign=panel.over_assign.value,
                        ramp=panel.fitted if panel.ramp.value == "fitted"
                        else linear_ramp(panel.ramp.value), grain=panel.grain.value,
                        measures=("revenue",), season=panel.season)
    summary = plan.summary()
    summary.style.format({"last_year": "{:,.0f}", "target": "{:,.0f}",
                          "growth": "{:+.1%}"}).to_html()
    # the panel's chart before the fix, line for line: a new pyplot figure per change
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6), layout="none",
                                      gridspec_kw={"width_ratios": (2, 3)})
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.12, top=0.9, wspace=0.2)
    targets_by_region(summary.drop(index="total"), ax=left)
    phasing(plan.phased, panel.ds.history, plan.year, "revenue", ax=right)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def cases(quick: bool = False):
    n = 200 if quick else 1_000
    for grain in ("month", "week"):
        yield Case(
            goal=f"targets panel: growth change -> plan + table + chart PNG (by {grain})",
            size=f"{n:,} reps",
            setup=lambda g=grain: setup(n, g), run=change, baseline=rebuild,
            limit_s=None if quick else GOAL_S, repeat=3 if quick else 9,
            peer="uncached plan and a new figure (as the inline backend draws)",
            notes="headless, Agg; the run ends when the panel's observer returns, PNG "
                  "rendered (cached plan inputs, unchanged pixels copied back); baseline = "
                  "plan recomputed from scratch and a new figure per change rendered with "
                  "bbox_inches='tight' as the inline backend does",
        )
