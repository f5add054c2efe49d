"""Targets (notebook 01): next year's targets from history, company number → regions →
teams → reps → periods.

Pure functions on DataFrames. Every split that must add up is done in integer units of the
chosen precision (cents as int64) with largest-remainder rounding, so the parts sum to the
whole exactly, at every level (company, region, team, rep, quarter, month, week).

- `history`: season index, calendar-year totals (partial years annualised and labelled),
  outlier months capped in a rep's basis (the quality report's rule);
- `company`: the company number (last year, weighted years or trend) × growth;
- `allocation`: exact splits (`allocate`), ramps (fitted from the hires: `fit_ramp`) and
  run-rates, the rep split by a basis;
- `phasing`: annual targets over quarters, months or working weeks;
- `outlook`: what each rep may sell next year (run-rate × market × own variation), the one
  model behind expected attainment here and the incentives' Monte Carlo;
- `audit`: SMART flags, what could not be judged, backtests, expected attainment;
- `pacing`: the plan year under way: year to date against the phased targets, pace, the
  odds of target from the outlook, the rest of the year's incentive cost (`pace`,
  `rest_of_year_cost`), and `cut_history` to plan a year from the history before it;
- `plan`: `plan_targets`, the whole plan in one call (`TargetPlan`); `PlanCache` keeps
  what its settings do not change, for a widget that calls it on every change;
- `bottom_up`: managers' commitments against the top-down targets (`load_commitments`,
  `compare_commitments`, `commitment_gaps`) and targets reconciled from them that keep the
  total exact to the cent (`reconcile`).
"""

from ..errors import TargetError
from .allocation import (
    DEFAULT_RAMP,
    FULL,
    METHODS,
    MIN_HIRES,
    MIN_TENURE,
    NEEDS,
    PRECISION,
    RAMP_HORIZON,
    Method,
    Ramp,
    allocate,
    allocate_targets,
    fit_ramp,
    linear_ramp,
    missing_for,
    ramp_factors,
    resolve_ramp,
    run_rate,
)
from .audit import (
    FLAGS,
    attainment_draws,
    audit_notes,
    backtest,
    backtest_methods,
    backtest_year,
    expected_attainment,
    full_years,
    monte_carlo_error,
    smart_audit,
)
from .bottom_up import (
    COMMITMENT_FLAGS,
    COMMITMENT_MEASURES,
    COMMITMENTS,
    COMMITMENTS_FILE,
    KEEPS,
    MISSING,
    RECONCILE_RULES,
    ROLLUPS,
    SOFT_BELOW,
    UNREALISTIC_ABOVE,
    best_months,
    commitment_gaps,
    compare_commitments,
    load_commitments,
    reconcile,
    sample_commitments,
    write_commitments,
)
from .company import (
    COMPANY_METHODS,
    TREND_DAMPING,
    TREND_YEARS,
    CompanyMethod,
    company_baselines,
    company_target,
)
from .history import (
    MONTH_NAMES,
    OUTLIER_TREATMENTS,
    Outliers,
    annual_totals,
    cap_sentence,
    outlier_caps,
    seasonality,
    year_sentence,
    year_totals,
)
from .outlook import (
    DEFAULT_MARKET_SD,
    DEFAULT_OWN_SD,
    Outlook,
    assumed_clause,
    baseline_results,
    fit_outlook,
    market_normals,
)
from .pacing import (
    PACED_FILE,
    YearSoFar,
    cut_history,
    pace,
    pace_rollup,
    paced_year,
    rest_of_year_cost,
    year_scenarios,
    year_so_far,
)
from .phasing import GRAINS, Grain, phase, working_weeks
from .plan import MEASURES, PlanCache, TargetPlan, plan_targets

__all__ = [
    "TargetError",
    "DEFAULT_RAMP", "FULL", "METHODS", "MIN_HIRES", "MIN_TENURE", "NEEDS", "PRECISION",
    "RAMP_HORIZON", "Method", "Ramp", "allocate", "allocate_targets", "fit_ramp",
    "linear_ramp", "missing_for", "ramp_factors", "resolve_ramp", "run_rate",
    "FLAGS", "audit_notes", "backtest", "backtest_methods", "backtest_year",
    "attainment_draws", "expected_attainment", "full_years", "monte_carlo_error", "smart_audit",
    "DEFAULT_MARKET_SD", "DEFAULT_OWN_SD", "Outlook", "assumed_clause", "baseline_results",
    "fit_outlook", "market_normals",
    "COMPANY_METHODS", "TREND_DAMPING", "TREND_YEARS", "CompanyMethod", "company_baselines",
    "company_target",
    "MONTH_NAMES", "OUTLIER_TREATMENTS", "Outliers", "annual_totals", "cap_sentence",
    "outlier_caps", "seasonality", "year_sentence", "year_totals",
    "GRAINS", "Grain", "phase", "working_weeks",
    "cut_history", "pace", "pace_rollup", "rest_of_year_cost", "year_scenarios",
    "YearSoFar", "year_so_far", "paced_year", "PACED_FILE",
    "MEASURES", "PlanCache", "TargetPlan", "plan_targets",
    "COMMITMENT_FLAGS", "COMMITMENT_MEASURES", "COMMITMENTS", "COMMITMENTS_FILE", "KEEPS",
    "MISSING", "RECONCILE_RULES", "ROLLUPS", "SOFT_BELOW", "UNREALISTIC_ABOVE", "best_months",
    "commitment_gaps", "compare_commitments", "load_commitments", "reconcile",
    "sample_commitments", "write_commitments",
]
