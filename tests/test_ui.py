"""The widget panels on data unlike the sample: they offer only what the data supports and
say why the rest is missing (browser tests check what a person sees; these check the logic).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers import grading, load_sample
from helpers.ui.grading import GradingPanel
from helpers.ui.targets import TargetsPanel


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_targets_panel_offers_no_method_the_data_cannot_run(sample):
    bare = replace(sample, roster=sample.roster.drop(columns="territory_potential"))
    panel = TargetsPanel(bare, method="potential")
    assert "potential" not in panel.method.options and panel.method.value == "history"
    assert "potential" not in panel.blend
    assert any("territory_potential" in note for note in panel.left_out)
    assert "potential is not offered" in panel.caption  # under the table
    full = TargetsPanel(sample, method="potential")
    assert full.method.value == "potential" and not full.left_out


def test_grading_panel_places_reps_whose_level_was_assumed(sample):
    roster = sample.roster.assign(assumed="level")
    ds = replace(sample, roster=roster)
    current, said = grading.current_levels(ds)
    assert current.isna().all() and "every rep" in said[0]
    panel = GradingPanel(grading.kpis(ds, ds.last_year), current)
    assert set(panel.result.assigned["change"]) == {"first level"}
    assert "Reps per level" in panel.status.value
