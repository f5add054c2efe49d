"""Named scenarios round-trip through YAML and keep the other notebooks' sections."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pytest

from helpers.scenarios import ScenarioError, list_scenarios, load_scenario, save_scenario
from helpers.ui.scenarios import ScenarioBar


def test_round_trip_and_sections_are_kept(tmp_path):
    save_scenario("Aggressive growth", "targets", {"growth": 0.12, "ramp": (0.25, 0.5)}, tmp_path)
    save_scenario("Aggressive growth", "grading", {"weights": {"revenue": np.float64(0.4)}},
                  tmp_path)
    assert load_scenario("Aggressive growth", "targets", tmp_path) == {
        "growth": 0.12, "ramp": [0.25, 0.5]}
    assert load_scenario("aggressive growth", "grading", tmp_path) == {"weights": {"revenue": 0.4}}
    assert list_scenarios(folder=tmp_path) == ["Aggressive growth"]
    assert list_scenarios("incentives", folder=tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == ["aggressive-growth.yaml"]


@pytest.mark.parametrize("name", ["", "../etc/passwd", "x" * 70, None])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ScenarioError, match="scenario name"):
        save_scenario(name, "targets", {}, tmp_path)


def test_errors_name_the_scenario_and_section(tmp_path):
    with pytest.raises(ScenarioError, match="section 'plans'"):
        save_scenario("a", "plans", {}, tmp_path)
    with pytest.raises(ScenarioError, match="scenario 'missing'"):
        load_scenario("missing", "targets", tmp_path)
    save_scenario("a", "targets", {"growth": 0.1}, tmp_path)
    with pytest.raises(ScenarioError, match="no 'grading' section; it has targets"):
        load_scenario("a", "grading", tmp_path)
    (tmp_path / "broken.yaml").write_text("a: [1,\n")
    with pytest.raises(ScenarioError, match="broken.yaml: not valid YAML"):
        list_scenarios(folder=tmp_path)
    with pytest.raises(ScenarioError, match="cannot save a value of type"):
        save_scenario("b", "targets", {"f": object()}, tmp_path)


def test_bar_saves_and_restores_widget_values(tmp_path):
    controls = {"growth": w.FloatSlider(value=0.05, min=-0.5, max=0.5),
                "method": w.Dropdown(options=["history", "equal"], value="history"),
                "ramp": w.FloatRangeSlider(value=(0.2, 0.6), min=0, max=1)}
    bar = ScenarioBar("targets", controls, folder=tmp_path)
    bar.name.value = "Demo"
    bar.save_button.click()
    assert "saved" in bar.status.value and bar.name.options == ("Demo",)
    controls["growth"].value, controls["method"].value = 0.2, "equal"
    controls["ramp"].value = (0.1, 0.9)
    bar.load_button.click()
    assert controls["growth"].value == pytest.approx(0.05)
    assert controls["method"].value == "history"
    assert controls["ramp"].value == pytest.approx((0.2, 0.6))
    bar.name.value = "nothing here"
    bar.load_button.click()
    assert "no file" in bar.status.value


def test_bar_reports_a_saved_value_the_control_no_longer_offers(tmp_path):
    save_scenario("Old", "targets", {"method": "territory"}, tmp_path)
    method = w.Dropdown(options=["history", "equal"], value="history")
    bar = ScenarioBar("targets", {"method": method}, folder=tmp_path)
    bar.name.value = "Old"
    bar.load_button.click()
    assert "territory" in bar.status.value and method.value == "history"
