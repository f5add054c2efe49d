"""Sales plan workbook: targets, levels and incentives from last year's history.

The names below load on first use (PEP 562): `python -m helpers run` starts its kernels
without first importing scipy, pandas and the engines it does not call itself.
"""

from __future__ import annotations

import importlib

_HOME = {
    ".data": ("DataError", "Dataset", "beside_data", "from_frames", "load", "load_sample",
              "quality_report", "save"),
    ".deals": ("load_deals",),
    ".errors": ("WorkbookError",),
    ".grading": ("GradingError", "adjust_raters", "grade", "kpis", "stability"),
    ".incentives": ("Plan", "PlanError", "load_plans", "metrics", "payout", "replay",
                    "simulate"),
    ".notebook": ("Start", "start"),
    ".sample": ("make_company",),
    ".targets": ("TargetError", "allocate", "allocate_targets", "backtest", "company_target",
                 "expected_attainment", "phase", "plan_targets", "seasonality", "smart_audit"),
}
_WHERE = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "WorkbookError", "DataError", "Dataset", "beside_data", "from_frames", "load", "load_sample",
    "make_company", "quality_report", "save", "load_deals", "Start", "start",
    "GradingError", "adjust_raters", "grade", "kpis", "stability",
    "Plan", "PlanError", "load_plans", "metrics", "payout", "replay", "simulate",
    "TargetError", "allocate", "allocate_targets", "backtest", "company_target",
    "expected_attainment", "phase", "plan_targets", "seasonality", "smart_audit",
]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
