"""Named scenarios round-trip through YAML and keep the other notebooks' sections; a bad
file is skipped with a line naming it and its key (never the folder), and a scenario with
one bad value changes no control."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.scenarios import (
    ScenarioError,
    list_scenarios,
    load_scenario,
    read_scenarios,
    save_scenario,
)
from helpers.ui.scenarios import ScenarioBar, check_setting


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
    assert "no saved scenario of that name (saved: Demo)" in bar.status.value
    assert str(tmp_path) not in bar.status.value  # never the server's folder


def test_bar_reports_a_saved_value_the_control_no_longer_offers(tmp_path):
    save_scenario("Old", "targets", {"method": "territory"}, tmp_path)
    method = w.Dropdown(options=["history", "equal"], value="history")
    bar = ScenarioBar("targets", {"method": method}, folder=tmp_path)
    bar.name.value = "Old"
    bar.load_button.click()
    assert "territory" in bar.status.value and method.value == "history"


# ------------------------------------------------------------- bad files: skipped and said


def _bad_folder(tmp_path):
    """Two good scenarios and one file of each kind of mistake."""
    save_scenario("Good one", "targets", {"growth": 0.1}, tmp_path)
    save_scenario("Other", "targets", {"growth": 0.2}, tmp_path)
    (tmp_path / "broken.yaml").write_text("name: Broken\ntargets: {growth: [0.1,\n")
    (tmp_path / "listed.yaml").write_text("- growth\n- 0.1\n")
    (tmp_path / "flat.yaml").write_text("name: Flat\ntargets: 0.12\n")
    (tmp_path / "twin.yaml").write_text("name: good one\ntargets: {growth: 0.3}\n")
    return {"broken.yaml": "not valid YAML (line 3", "listed.yaml": "expected a mapping",
            "flat.yaml": "targets: expected a mapping", "twin.yaml": "name: 'good one'"}


def test_read_scenarios_skips_each_bad_file_and_names_it_and_its_key(tmp_path):
    expected = _bad_folder(tmp_path)
    found, problems = read_scenarios("targets", tmp_path)
    assert list(found) == ["Good one", "Other"]
    assert found["Other"]["targets"] == {"growth": 0.2}
    assert len(problems) == len(expected)
    for problem in problems:
        name = problem.split(":")[0]
        assert expected[name] in problem, problem
        assert str(tmp_path) not in problem and "Traceback" not in problem
    assert "already the name of good-one.yaml" in next(p for p in problems if "twin" in p)
    with pytest.raises(ScenarioError, match="broken.yaml: not valid YAML"):
        list_scenarios(folder=tmp_path)  # the strict listing still refuses


def test_a_scenario_is_found_by_its_name_whatever_its_file_is_called(tmp_path):
    (tmp_path / "renamed-by-hand.yaml").write_text("name: Board deck\ntargets: {growth: 0.2}\n")
    assert load_scenario("board deck", "targets", tmp_path) == {"growth": 0.2}


def test_bar_lists_the_good_scenarios_and_names_the_skipped_files(tmp_path):
    expected = _bad_folder(tmp_path)
    growth = w.FloatSlider(value=0.05, min=-0.5, max=0.5)
    bar = ScenarioBar("targets", {"growth": growth}, folder=tmp_path)  # builds: no raise
    assert bar.name.options == ("Good one", "Other")
    assert ScenarioBar("targets", {}, folder=str(tmp_path)).name.options == bar.name.options
    assert len(bar.messages.lines) == len(expected)
    assert "workbook-message" in bar.messages.value and "Skipped broken.yaml" in (
        bar.messages.value)
    assert str(tmp_path) not in bar.messages.value
    bar.name.value = "Other"
    bar.load_button.click()
    assert growth.value == pytest.approx(0.2)
    (tmp_path / "broken.yaml").unlink()
    bar.refresh()
    assert len(bar.messages.lines) == len(expected) - 1


def test_a_scenario_with_one_bad_value_changes_no_control(tmp_path):
    controls = {"growth": w.FloatSlider(value=0.05, min=-0.2, max=0.5),
                "method": w.Dropdown(options=["history", "equal"], value="history"),
                "ramp": w.Dropdown(options=[("fitted", "fitted"), ("2 months", 2)],
                                   value="fitted"),
                "shares": w.FloatRangeSlider(value=(0.2, 0.6), min=0, max=1)}
    before = {k: c.value for k, c in controls.items()}
    seen = []
    for control in controls.values():
        control.observe(seen.append, "value")
    bar = ScenarioBar("targets", controls, folder=tmp_path)
    cases = {"method": {"growth": 0.5, "ramp": 2, "method": "magic"},
             "growth": {"method": "equal", "growth": 0.9},  # a slider would clamp it
             "shares": {"growth": 0.1, "shares": [0.1, 1.5]}}
    for key, values in cases.items():
        save_scenario(f"Bad {key}", "targets", values, tmp_path)
        bar.name.value = f"Bad {key}"
        bar.load_button.click()
        assert {k: c.value for k, c in controls.items()} == before and not seen
        assert f"{key}: " in bar.status.value and "nothing changed" in bar.status.value
    save_scenario("Fine", "targets", {"growth": 0.5, "ramp": 2, "shares": [0.1, 0.9]},
                  tmp_path)
    bar.name.value = "Fine"
    bar.load_button.click()
    assert controls["growth"].value == 0.5 and controls["ramp"].value == 2
    assert controls["shares"].value == (0.1, 0.9) and "loaded" in bar.status.value


@settings(max_examples=60, deadline=None)
@given(low=st.floats(-10, 10), span=st.floats(0.01, 10), value=st.floats(-30, 30))
def test_check_setting_accepts_a_number_exactly_when_the_slider_would_keep_it(low, span,
                                                                              value):
    slider = w.FloatSlider(min=low, max=low + span, value=low, step=None)
    try:
        checked = check_setting(slider, value)
    except ScenarioError as exc:
        assert "outside" in str(exc)
        assert not slider.min <= value <= slider.max
        return
    slider.value = checked  # accepted: the slider keeps it as it is (no clamping)
    assert slider.value == value


def test_check_setting_refuses_what_the_control_cannot_hold():
    with pytest.raises(ScenarioError, match="not a number|does not fit"):
        check_setting(w.FloatSlider(), "fast")
    with pytest.raises(ScenarioError, match="not offered"):
        check_setting(w.SelectMultiple(options=["a", "b"]), ["a", "c"])
    assert check_setting(w.SelectMultiple(options=["a", "b"]), ["b", "a"]) == ("b", "a")
    with pytest.raises(ScenarioError, match="does not fit"):
        check_setting(w.Checkbox(), "yes")
    assert check_setting(w.IntSlider(max=5), 2) == 2
    with pytest.raises(ScenarioError, match="whole number"):
        check_setting(w.IntSlider(max=5), 2.5)  # the slider would keep 2, silently
