"""Incentives (notebook 03): plan model, payout engine, history replay, Monte Carlo, metrics.

- `plan`: plans are data (YAML), validated with key paths in every error (`PlanError`);
- `components`: one class per kind of component (commission, bonus, SPIF, contest), found
  by its YAML `type` in `COMPONENTS`: it reads, writes, describes, pays and explains itself;
- `model`: what plans and components share (measures, tiers, curves, gates, `Node`);
- `engine`: the vectorised payout core (periods × scenarios × reps);
- `payouts`: payouts per rep, period and component with reasons; curves; statements;
- `pay_statements`: statements in bulk (per rep, period and component, pay dates, the next tier);
- `inputs`: targets and levels (from notebooks 01/02 or simple defaults); `replay`;
- `gaps`: plans adapted to the data in hand (gates and modifiers on missing measures);
- `simulation`: the Monte Carlo on shared draws, and plan `metrics`;
- `guardrails`: quota-to-OTE and what a plan does to a typical rep that needs a second look;
- `budget`: scale target incentives (or a component's rates) to fit a cost budget;
- `leaderboards`: rankings by period and level, the plan's honours, contest standings.
- `letters`: a plan letter per rep (HTML fragments for `helpers.documents`).

The modules are named apart from the functions the notebooks call (`payout`, `simulate`),
so `helpers.incentives.payout` is always the function, never a shadowed module.
"""

from ..data import SAMPLE_DIR
from .budget import Budget, fit_budget, scale_plan
from .gaps import ON_MISSING, adapt_plans, missing_measures
from .guardrails import QUOTA_TO_OTE, guardrails, quota_to_ote
from .inputs import (
    GROWTH,
    build_results,
    default_levels,
    default_targets,
    load_inputs,
    plan_reps,
    read_levels,
    read_targets,
    replay,
    replay_note,
    replay_summary,
    target_basis,
    year_label,
)
from .leaderboards import (
    LeaderboardError,
    award_honours,
    contest_standings,
    leaderboard,
    leaderboard_html,
    leaderboard_top,
    team_leaderboards,
)
from .letters import (
    LetterError,
    plan_letter,
    plan_letters,
    worked_examples,
    write_plan_letters,
)
from .pay_statements import (
    statement_caveat,
    statement_html,
    statement_table,
    statements,
    without_statement,
)
from .payouts import curve_table, level_targets, payout, payout_curve, statement
from .plan import (
    HONOUR_RULES,
    LEVELS,
    MEASURES,
    PAY_LAG_DAYS,
    Honour,
    Pay,
    Plan,
    PlanError,
    describe_plans,
    edit_plan,
    load_plans,
    plan_stem,
    read_plans,
    save_plan,
)
from .simulation import (
    DEFAULT_SPREADS,
    SCENARIOS,
    Simulation,
    distribution,
    fit_market,
    metrics,
    rep_summary,
    scenario_costs,
    simulate,
)

PLANS_DIR = SAMPLE_DIR / "plans"

__all__ = [
    "Budget", "fit_budget", "scale_plan",
    "LetterError", "plan_letter", "plan_letters", "worked_examples", "write_plan_letters",
    "DEFAULT_SPREADS", "ON_MISSING", "QUOTA_TO_OTE", "guardrails", "quota_to_ote",
    "adapt_plans", "missing_measures", "replay_note",
    "target_basis", "year_label",
    "GROWTH", "LEVELS", "MEASURES", "PLANS_DIR", "SCENARIOS", "Plan", "PlanError", "Simulation",
    "build_results", "curve_table", "default_levels", "default_targets", "describe_plans",
    "edit_plan", "plan_stem", "read_plans", "save_plan",
    "distribution", "fit_market", "level_targets", "load_inputs", "load_plans", "metrics",
    "payout", "payout_curve", "plan_reps", "read_levels", "read_targets", "rep_summary",
    "replay", "replay_summary", "scenario_costs", "simulate", "statement",
    "HONOUR_RULES", "Honour", "LeaderboardError", "award_honours", "contest_standings",
    "leaderboard", "leaderboard_html", "leaderboard_top", "team_leaderboards",
    "PAY_LAG_DAYS", "Pay", "statement_html", "statement_table", "statements",
    "without_statement", "statement_caveat",
]
