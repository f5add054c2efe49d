"""Sales plan workbook: targets, levels and incentives from last year's history."""

from .data import DataError, Dataset, from_frames, load, load_sample, quality_report, save
from .deals import load_deals
from .errors import WorkbookError
from .grading import GradingError, adjust_raters, grade, kpis, stability
from .incentives import Plan, PlanError, load_plans, metrics, payout, replay, simulate
from .notebook import Start, start
from .sample import make_company
from .targets import (
    TargetError,
    allocate,
    allocate_targets,
    backtest,
    company_target,
    expected_attainment,
    phase,
    plan_targets,
    seasonality,
    smart_audit,
)

__all__ = [
    "WorkbookError", "DataError", "Dataset", "from_frames", "load", "load_sample", "make_company",
    "quality_report", "save", "load_deals", "Start", "start",
    "GradingError", "adjust_raters", "grade", "kpis", "stability",
    "Plan", "PlanError", "load_plans", "metrics", "payout", "replay", "simulate",
    "TargetError", "allocate", "allocate_targets", "backtest", "company_target",
    "expected_attainment", "phase", "plan_targets", "seasonality", "smart_audit",
]
