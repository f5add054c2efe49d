"""One state (issue 15 §2): in app mode page 03 prices plans on the targets and levels pages
01 and 02 give for the scenario, the same numbers as `python -m helpers run` with the
scenario's parameters, and an app page never writes into the batch outputs folder.

The app's pages are executed headless here (papermill, with the app's environment), which
is what Voila does in the app's kernels.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import start
from helpers.app import (
    APP_ENV,
    APP_OUTPUTS_ENV,
    APP_SCENARIO_ENV,
    app_mode,
    follow_scenarios,
    notebook_parameters,
    page_inputs,
    scenario_inputs,
    scenario_parameters,
    session_dir,
)
from helpers.cli import NOTEBOOK_DIR, NOTEBOOKS, app_command, run
from helpers.errors import ScenarioError
from helpers.incentives import load_inputs, read_levels
from helpers.scenarios import save_scenario

DEMO = {"targets": {"company_method": "growth", "growth": 0.08, "method": "history",
                    "over_assign": 0.02, "ramp_months": 4, "grain": "week"},
        "grading": {"preset": "results first", "method": "zscore", "rule": "standards",
                    "margin": 1.0}}
FAST = {"n_boot": 10, "n_scenarios": 300}  # what the numbers compared do not depend on
# grain "week": a run with another grain stops at the plan workbook (it needs
# targets_by_week_<year>.csv), which is not what this test is about


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """App mode with its own folder; the batch outputs folder is `tmp_path/outputs`."""
    batch = tmp_path / "outputs"
    batch.mkdir()
    monkeypatch.setenv("SALES_OUTPUTS", str(batch))
    monkeypatch.setenv(APP_ENV, "1")
    monkeypatch.setenv(APP_OUTPUTS_ENV, str(tmp_path / "app"))
    monkeypatch.setenv("SALES_SCENARIOS", str(tmp_path / "scenarios"))
    monkeypatch.delenv(APP_SCENARIO_ENV, raising=False)
    return batch, tmp_path / "app", tmp_path / "scenarios"


def test_app_mode_is_what_the_app_command_sets(monkeypatch):
    monkeypatch.delenv(APP_ENV, raising=False)
    monkeypatch.delenv(APP_OUTPUTS_ENV, raising=False)
    assert not app_mode()
    argv, env = app_command(8866, scenario="Demo")
    made = Path(env[APP_OUTPUTS_ENV])
    assert made.is_dir() and not any(made.iterdir()) and "outputs" not in made.parts
    made.rmdir()  # a fresh folder per server
    assert env[APP_ENV] == "1" and env[APP_SCENARIO_ENV] == "Demo"
    options = " ".join(argv)
    assert "--preheat_kernel=True" in options and "cull_idle_timeout" in options
    monkeypatch.setenv(APP_OUTPUTS_ENV, "/somewhere/given")  # kept, not made
    assert "--preheat_kernel=False" in " ".join(app_command(8866, pool=0)[0])
    assert app_command(8866)[1][APP_OUTPUTS_ENV] == "/somewhere/given"
    monkeypatch.setenv(APP_ENV, env[APP_ENV])
    assert app_mode()


def test_an_app_page_writes_into_its_own_folder_not_outputs(app_env):
    batch, root, _ = app_env
    opened = start(show=False)
    assert opened.out == session_dir()
    assert opened.out.parent == root and opened.out != batch
    assert batch.resolve() not in opened.out.resolve().parents


def test_outside_the_app_pages_write_to_outputs(tmp_path, monkeypatch):
    monkeypatch.delenv(APP_ENV, raising=False)
    monkeypatch.setenv("SALES_OUTPUTS", str(tmp_path))
    assert start(show=False).out == tmp_path


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_parameters_are_the_parameters_cell(name):
    """Python running the parameters cell is the oracle (papermill's own reader skips lines
    with comments it cannot parse)."""
    import nbformat

    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    ran: dict = {}
    exec(cell.source, {}, ran)  # our own committed cell of assignments
    assert notebook_parameters(name) == ran
    assert "interactive" in ran and "output_path" in ran


def test_scenario_parameters_map_the_sections_to_notebook_parameters(app_env):
    _, _, folder = app_env
    for section, values in DEMO.items():
        save_scenario("Demo", section, {**values, "page_only": 3}, folder)
    params = scenario_parameters("demo")  # names are matched as the scenario bar does
    assert params == {"company_method": "growth", "growth": 0.08, "method": "history",
                      "over_assign": 0.02, "ramp_months": 4, "grain": "week",
                      "preset": "results first", "scale": "zscore", "cut_rule": "standards",
                      "margin": 1.0}
    nb01, nb02 = notebook_parameters("01_targets"), notebook_parameters("02_grading")
    assert set(params) <= set(nb01) | set(nb02)
    assert scenario_parameters(None) == {}


def test_scenario_blend_keeps_the_weights_above_zero(app_env):
    save_scenario("Mix", "targets", {"method": "blend", "blend_history": 0.7,
                                     "blend_potential": 0.3, "blend_equal": 0.0})
    assert scenario_parameters("Mix")["blend"] == {"history": 0.7, "potential": 0.3}


def test_a_custom_weights_scenario_maps_to_notebook_02s_kpi_weights(app_env):
    """Weights set by hand (preset "custom", a `weight_<kpi>` key a slider) become notebook
    02's `kpi_weights`; notebook 01 has a `weights` of its own, so the name differs."""
    save_scenario("Hand", "grading", {"preset": "custom", "weight_revenue": 0.5,
                                      "weight_csat": 0.25, "weight_collaboration": 0.0,
                                      "method": "zscore", "margin": 1.0})
    params = scenario_parameters("Hand")
    assert params == {"preset": "custom", "scale": "zscore", "margin": 1.0,
                      "kpi_weights": {"revenue": 0.5, "csat": 0.25, "collaboration": 0.0}}
    assert "kpi_weights" in notebook_parameters("02_grading")
    assert "kpi_weights" not in notebook_parameters("01_targets")


def test_custom_weights_grade_as_grade_called_with_them(app_env, sample):
    """notebook 02's levels for a custom scenario are `grading.grade` with those weights
    (and the notebook's other defaults), rep by rep; weights that need not add up act as
    their shares, so twice a preset's weights give the preset's levels."""
    from helpers import grading
    from helpers.app import levels_for

    year = sample.plan_year
    save_scenario("Hand", "grading", {"preset": "custom", "weight_revenue": 0.6,
                                      "weight_attainment": 0.2, "weight_csat": 0.2})
    ours = levels_for(sample, year, scenario_parameters("Hand")).set_index("rep_id")["level"]
    d = notebook_parameters("02_grading")
    k = grading.kpis(sample, year - 1,
                     reviews=grading.adjust_raters(sample.reviews, grading.kpis(sample,
                                                                                year - 1))[0])
    weights = grading.usable_weights(k, {"revenue": 0.6, "attainment": 0.2, "csat": 0.2},
                                     sample.lacks())[0].to_dict()
    expected = grading.grade(
        k, weights, method=d["scale"], threshold_method=d["cut_rule"], current=grading.
        current_levels(sample)[0], hysteresis=d["margin"], missing=d["gate_missing"],
        standards=grading.load_standards(grading.SAMPLE_STANDARDS), lacks=sample.lacks(),
        territory=grading.territory_potential(sample)[0], demote=d["demote"], seed=d["seed"])
    theirs = expected.assigned["proposed"].astype(str)
    pd.testing.assert_series_equal(ours.astype(str).sort_index(),
                                   theirs.reindex(ours.index).sort_index(), check_names=False)
    preset = grading.PRESETS["results first"]
    save_scenario("Twice", "grading", {"preset": "custom",
                                       **{f"weight_{k}": 2 * v for k, v in preset.items()}})
    twice = levels_for(sample, year, scenario_parameters("Twice"))
    named = levels_for(sample, year, {"preset": "results first"})
    pd.testing.assert_frame_equal(twice, named)
    assert not twice.equals(levels_for(sample, year, {}))  # the weights do act


def test_run_takes_kpi_weights_as_yaml(monkeypatch):
    """`python -m helpers run -p kpi_weights '{revenue: 0.4, csat: 0.6}'` hands notebook 02
    the mapping (papermill injects it as a dict literal)."""
    import helpers.cli as cli

    given = {}
    monkeypatch.setattr(cli, "run", lambda *a, parameters=None, **k: given.update(parameters)
                        or [])
    assert cli.main(["run", "-p", "kpi_weights", "{revenue: 0.4, csat: 0.6}",
                     "-p", "preset", "custom"]) == 0
    assert given == {"kpi_weights": {"revenue": 0.4, "csat": 0.6}, "preset": "custom"}


@pytest.mark.parametrize("grading_section, says", [
    ({"preset": "custom"}, "every weight is 0"),  # no slider saved
    ({"preset": "custom", "weight_revenue": 0.0}, "every weight is 0"),
    ({"preset": "custom", "weight_luck": 0.5}, "['luck']: not a KPI"),
])
def test_a_scenario_the_batch_cannot_run_is_refused_by_name(app_env, grading_section, says):
    _, _, folder = app_env
    save_scenario("Hand", "grading", grading_section)
    with pytest.raises(ScenarioError, match="'Hand'.*custom") as caught:
        scenario_parameters("Hand")
    assert says in str(caught.value)
    with pytest.raises(ScenarioError, match="'Nope'") as caught:
        scenario_parameters("Nope")
    assert str(folder) not in str(caught.value)


def test_a_missing_scenario_leaves_page_03_on_the_defaults_and_says_so(app_env, sample,
                                                                       monkeypatch):
    monkeypatch.setenv(APP_SCENARIO_ENV, "Nope")
    year = sample.plan_year
    targets, levels, note = page_inputs(sample, year, "unused", ["revenue"])
    default_targets, default_levels, _ = scenario_inputs(sample, year, None,
                                                         measures=["revenue"],
                                                         data_key="sample")
    assert note.startswith("scenario 'Nope': no saved scenario")
    pd.testing.assert_frame_equal(targets, default_targets)
    pd.testing.assert_series_equal(levels, default_levels)


def test_scenario_inputs_follow_the_scenario(app_env, sample):
    """A scenario with more growth gives page 03 higher targets (and the cache is keyed by
    the settings: the two scenarios never share files)."""
    save_scenario("Low", "targets", {"growth": 0.0})
    save_scenario("High", "targets", {"growth": 0.2})
    year = sample.plan_year
    low = scenario_inputs(sample, year, "Low", measures=["revenue"])[0]
    high = scenario_inputs(sample, year, "High", measures=["revenue"])[0]
    assert high["target"].sum() > low["target"].sum() * 1.15


def _simulation_panel(sample):
    from helpers.incentives import PLANS_DIR, load_inputs, load_plans
    from helpers.ui.incentives import SimulationPanel

    targets, levels, _ = load_inputs(sample)
    return SimulationPanel(load_plans(PLANS_DIR), sample, targets, levels)


def test_loading_a_scenario_on_page_03_prices_on_its_targets_and_levels(app_env, sample):
    """A scenario saved on pages 01/02 (no incentives section) loads on page 03's bar: the
    simulation then runs on its targets and levels and the shown results are out of date."""
    save_scenario("High", "targets", {"growth": 0.2})
    year = sample.plan_year
    panel = follow_scenarios(_simulation_panel(sample), sample, year, ["revenue"])
    panel.choice.value, panel.n.value = ("Current plan",), 256
    panel.run_button.click()
    shown = panel.sim
    before = panel.targets
    panel.scenarios.name.value = "High"
    panel.scenarios.load_button.click()
    assert "priced on its targets and levels" in panel.scenarios.status.value
    expected, levels, _ = scenario_inputs(sample, year, "High", measures=["revenue"],
                                          data_key="sample")
    pd.testing.assert_frame_equal(panel.targets, expected)
    pd.testing.assert_series_equal(panel.levels, levels)
    assert not panel.targets.equals(before) and panel.stale
    panel.run_button.click()
    assert not panel.stale and panel.sim is not shown


def test_page_03_compares_scenarios_on_their_own_targets_and_levels(app_env, sample):
    """In the app, A vs B on page 03 prices each scenario on the targets and levels pages 01
    and 02 give it (what the batch run gives each), without touching the page's own."""
    from helpers.incentives import metrics, simulate

    year = sample.plan_year
    for name, growth in (("Flat", 0.0), ("High", 0.2)):
        save_scenario(name, "targets", {"growth": growth})
        save_scenario(name, "incentives", {"plans": ["Current plan"], "market_pct": 0,
                                           "scenarios": 256})
    panel = follow_scenarios(_simulation_panel(sample), sample, year, ["revenue"])
    before = panel.targets
    compare = panel.comparison
    compare.first.value, compare.second.value = "Flat", "High"
    compare.button.click()
    assert "panel-error" not in compare.out.value
    for name, figures in zip(("Flat", "High"), compare.sides, strict=True):
        targets, levels, _ = scenario_inputs(sample, year, name, measures=["revenue"],
                                             data_key="sample")
        plan = panel.plans["Current plan"]
        expected = metrics(simulate({plan.name: plan}, sample, targets, n=256, seed=0,
                                    levels=levels)).loc[plan.name]
        assert [f.value for f in figures] == [expected["expected_cost"],
                                              expected["total_cost_of_sales"],
                                              expected["p90_cost"],
                                              expected["share_at_target"]]
    flat, high = (dict((f.label, f.value) for f in side) for side in compare.sides)
    assert high["Reps expected at target"] < flat["Reps expected at target"]  # higher targets
    assert panel.targets is before and not panel.stale


def test_a_scenario_page_03_cannot_price_changes_nothing(app_env, sample):
    save_scenario("Hand", "grading", {"preset": "custom", "weight_revenue": 0.0})
    panel = follow_scenarios(_simulation_panel(sample), sample, sample.plan_year)
    before = panel.targets
    panel.scenarios.name.value = "Hand"
    panel.scenarios.load_button.click()
    assert "custom" in panel.scenarios.status.value
    assert panel.targets is before and not panel.stale


def test_outside_the_app_page_03_keeps_its_inputs(app_env, sample, monkeypatch):
    monkeypatch.delenv(APP_ENV)
    panel = _simulation_panel(sample)
    load = panel.scenarios.load
    assert follow_scenarios(panel, sample, sample.plan_year).scenarios.load == load


@pytest.mark.slow
def test_app_page_03_prices_the_scenario_as_the_batch_run(app_env, tmp_path, sample,
                                                          monkeypatch):
    """The scenario's targets, levels and every plan's metrics on page 03 in the app equal
    those of `python -m helpers run` with the scenario's parameters (same seed)."""
    import papermill as pm

    batch, root, folder = app_env
    for section, values in DEMO.items():
        save_scenario("Demo", section, values, folder)
    params = {**scenario_parameters("Demo"), **FAST}
    out = tmp_path / "batch_run"
    monkeypatch.delenv(APP_ENV)  # the batch run, as `make run` runs it
    run(None, out, parameters=params)
    monkeypatch.setenv(APP_ENV, "1")
    year = sample.plan_year

    targets, levels, _ = scenario_inputs(sample, year, "Demo", data_key="in-process")
    theirs, their_levels, note = load_inputs(sample, year, out)  # what batch page 03 reads
    assert f"targets from targets_{year}.csv" in note
    pd.testing.assert_frame_equal(targets, theirs)
    pd.testing.assert_series_equal(levels, their_levels)
    graded = read_levels(out / f"levels_{year}.csv")
    assert graded.index.isin(levels.index).all()

    monkeypatch.setenv(APP_SCENARIO_ENV, "Demo")  # the page's kernel inherits the app's env

    def page_03(folder, **parameters) -> pd.DataFrame:
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(APP_OUTPUTS_ENV, str(folder))
        pm.execute_notebook(NOTEBOOK_DIR / "03_incentives.ipynb", folder / "page03.ipynb",
                            parameters={"interactive": False, **FAST, **parameters},
                            cwd=NOTEBOOK_DIR, progress_bar=False, kernel_name="python3")
        written = list(folder.glob(f"session-*/incentives_metrics_{year}.csv"))
        assert len(written) == 1, written
        return pd.read_csv(written[0])

    batch_metrics = pd.read_csv(out / f"incentives_metrics_{year}.csv")
    pd.testing.assert_frame_equal(page_03(root), batch_metrics)
    # the complaint's app: page 03 on its own default targets prices the plans otherwise
    alone = page_03(tmp_path / "app_alone", upstream=False)
    assert not alone["expected_cost"].equals(batch_metrics["expected_cost"])
    assert list(batch.iterdir()) == [], "the app page wrote into the batch outputs folder"
