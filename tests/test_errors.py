"""One error family: whatever the workbook refuses is a `WorkbookError` with a message that
names the input, so a panel or the CLI catches one thing and shows it."""

from __future__ import annotations

import inspect

import pytest

import helpers
from helpers import errors, fairness, grading, load_sample, targets
from helpers.incentives import load_plans, simulate
from helpers.incentives import plan as plan_module


def test_every_error_is_a_workbook_error_and_the_modules_raise_the_same_classes():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if c.__module__ == errors.__name__]
    assert len(classes) >= 9
    assert all(issubclass(c, errors.WorkbookError) for c in classes)
    assert helpers.DataError is errors.DataError and grading.GradingError is errors.GradingError
    assert targets.TargetError is errors.TargetError
    assert fairness.FairnessError is errors.FairnessError
    assert plan_module.PlanError is errors.PlanError


def test_a_bad_simulation_setting_is_not_called_a_plan_error():
    sample = load_sample()
    plan = next(iter(load_plans(helpers.incentives.PLANS_DIR).values()))
    with pytest.raises(errors.SimulationError, match="n: must be >= 1, got 0") as caught:
        simulate(plan, sample, n=0)
    assert not isinstance(caught.value, errors.PlanError)
    with pytest.raises(errors.WorkbookError, match="cutoffs"):
        grading.assign(sample.history["revenue"].head(3), [1, 2])
