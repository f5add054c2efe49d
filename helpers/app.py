"""App mode: one state for the pages `python -m helpers app` serves, and nothing written
into the batch `outputs/`.

`python -m helpers app` sets `$SALES_APP` (and `$SALES_APP_OUTPUTS`, a folder of its own
for this server); a page then writes into a folder of its kernel (`session_dir`), never
into `output_dir()`, so a page view cannot overwrite what `make run` handed over.

Page 03 prices plans on the targets and levels pages 01 and 02 give for the current
scenario: `scenario_inputs` computes them with the calls notebooks 01 and 02 make, from the
notebooks' own parameter defaults (read from their parameters cells, so there is one list
of defaults) overridden by the scenario's `targets` and `grading` sections, exactly as
`python -m helpers run -p NAME VALUE` overrides them (`scenario_parameters` gives those
`-p` values). So the app and the batch give the same numbers for the same settings.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from .data import ROOT, Dataset, output_dir
from .errors import GradingError, ScenarioError

APP_ENV = "SALES_APP"
"""Set to 1 by `python -m helpers app`: the kernels it starts serve app pages."""
APP_OUTPUTS_ENV = "SALES_APP_OUTPUTS"
"""The app server's own output folder (a fresh temporary folder per server)."""
APP_SCENARIO_ENV = "SALES_APP_SCENARIO"
"""The scenario page 03 prices on when the app starts (`python -m helpers app --scenario`)."""
NOTEBOOK_DIR = ROOT / "notebooks"

# scenario key (a panel's control) -> notebook parameter, per section; blend_<method> keys
# make the `blend` mapping and `weight_<kpi>` keys belong to the "custom" grading preset
TARGET_KEYS = {"company_method": "company_method", "growth": "growth", "method": "method",
               "over_assign": "over_assign", "ramp_months": "ramp_months", "grain": "grain"}
GRADING_KEYS = {"preset": "preset", "method": "scale", "rule": "cut_rule", "margin": "margin"}


def app_mode() -> bool:
    """Whether this process serves an app page (`$SALES_APP` set by `python -m helpers app`).

    Returns
    -------
    bool
        True in a kernel the app started.
    """
    return os.environ.get(APP_ENV, "") not in ("", "0")


def app_root() -> Path:
    """The app server's output folder: `$SALES_APP_OUTPUTS`, else a temporary folder (never
    `outputs/`).

    Returns
    -------
    pathlib.Path
        The folder, created if missing.
    """
    given = os.environ.get(APP_OUTPUTS_ENV)
    path = Path(given) if given else Path(tempfile.gettempdir()) / "sales-app"
    path.mkdir(parents=True, exist_ok=True)
    return path


def session_dir() -> Path:
    """Where this app page writes: a folder of its own kernel (process) in `app_root()`, so
    pages open side by side never overwrite each other's files.

    Returns
    -------
    pathlib.Path
        The folder, created if missing.
    """
    path = app_root() / f"session-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def page_output_dir() -> Path:
    """Where a notebook writes when no output folder is given: `session_dir()` in the app,
    else the batch `output_dir()`.

    Returns
    -------
    pathlib.Path
        The folder, created if missing.
    """
    return session_dir() if app_mode() else output_dir()


def notebook_parameters(name: str) -> dict:
    """A notebook's parameters cell as values (name -> default), read from the notebook, so
    the app's defaults are the notebook's and `make run`'s.

    Parameters
    ----------
    name : str
        Notebook name without `.ipynb`, e.g. "01_targets".

    Returns
    -------
    dict
        Parameter name -> default value (literals only: numbers, text, tuples, dicts, None).

    Raises
    ------
    ScenarioError
        When the notebook has no cell tagged `parameters`, or a default is not a literal.
    """
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = next(("".join(c["source"]) for c in cells
                   if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if source is None:
        raise ScenarioError(f"{path.name}: no cell tagged 'parameters'")
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ScenarioError(f"{path.name}: parameter {node.targets[0].id!r} is not "
                                    "a literal value") from None
    return values


def scenario_parameters(scenario: str | None, folder: str | os.PathLike | None = None) -> dict:
    """The `python -m helpers run -p NAME VALUE` parameters that give the scenario's targets
    and levels: its `targets` section for notebook 01, its `grading` section for notebook 02.

    Keys are the controls a page's scenario bar saves: `growth`, `method`, `blend_<method>`
    (kept when `method` is "blend"), ... for targets; `preset`, `method` (the scale),
    `rule` (the cut rule) and `margin` for grading; with preset "custom" (weights set by
    hand) its `weight_<kpi>` keys become notebook 02's `kpi_weights`. Other keys (the
    page-only controls) are not parameters and are left out.

    Parameters
    ----------
    scenario : str or None
        A saved scenario's name; None for no scenario (no parameters: the notebooks'
        defaults).
    folder : str or path-like, optional
        Where scenarios are kept (default: `helpers.scenarios.scenario_dir()`).

    Returns
    -------
    dict
        Parameter name -> value, as `helpers.cli.run(parameters=...)` takes them.

    Raises
    ------
    ScenarioError
        When the scenario is missing or unreadable, or its hand-set grading weights (preset
        "custom") cannot grade: none saved, a KPI that is not graded, or all at zero.
    """
    if scenario is None:
        return {}
    from .scenarios import read_scenarios

    found, _ = read_scenarios(folder=Path(folder) if folder else None)
    match = {n.lower(): n for n in found}.get(str(scenario).strip().lower())
    if match is None:
        raise ScenarioError(f"scenario {scenario!r}: no saved scenario of that name "
                            f"(saved: {', '.join(found) or 'none'})")
    sections = found[match]
    params = {}
    targets = sections.get("targets") or {}
    params.update({TARGET_KEYS[k]: v for k, v in targets.items() if k in TARGET_KEYS})
    if isinstance(params.get("ramp_months"), float) and params["ramp_months"].is_integer():
        params["ramp_months"] = int(params["ramp_months"])
    if params.get("method") == "blend":  # as the targets panel mixes: weights above zero
        params["blend"] = {k[6:]: v for k, v in targets.items()
                           if k.startswith("blend_") and v > 0}
    grading = sections.get("grading") or {}
    params.update({GRADING_KEYS[k]: v for k, v in grading.items() if k in GRADING_KEYS})
    if grading.get("preset") == "custom":  # the sliders as saved: notebook 02's kpi_weights
        from .grading import preset_weights

        weights = {k[7:]: v for k, v in grading.items() if k.startswith("weight_")}
        try:
            params["kpi_weights"] = preset_weights("custom", weights)
        except GradingError as exc:
            raise ScenarioError(f"scenario {match!r}: grading: preset 'custom' (weights set "
                                f"by hand, keys weight_<kpi>): {exc}") from None
    return params


def _settings(name: str, parameters: dict) -> dict:
    """A notebook's defaults, with the `parameters` it has (as papermill sets them)."""
    values = notebook_parameters(name)
    values.update({k: v for k, v in parameters.items() if k in values})
    return values


def targets_for(ds: Dataset, year: int, parameters: dict | None = None):
    """Notebook 01's target plan for these parameters (its defaults, overridden).

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year.
    parameters : dict, optional
        Notebook parameters, name -> value (those notebook 01 lacks are ignored).

    Returns
    -------
    TargetPlan
        What `helpers.targets.plan_targets` returns for notebook 01's call; its `monthly`
        frame is `targets_<year>.csv`.

    Raises
    ------
    TargetError
        When a setting cannot give a sound plan.
    """
    from . import targets as tg

    p = _settings("01_targets", parameters or {})
    return tg.plan_targets(ds, year, planned_hires=p["planned_hires"], grain=p["grain"],
                           **_plan_settings(p))


def year_so_far_for(ds: Dataset, parameters: dict | None = None):
    """Notebook 01's paced year for these parameters (its defaults, overridden): the year's
    targets planned with the same settings as the plan's, or `pace_targets` when given.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    parameters : dict, optional
        Notebook parameters, name -> value (those notebook 01 lacks are ignored).

    Returns
    -------
    helpers.targets.YearSoFar
        What notebook 01's `year_so_far` call gives.

    Raises
    ------
    TargetError
        When a setting cannot give a sound plan.
    """
    from . import targets as tg
    from .incentives import read_targets

    p = _settings("01_targets", parameters or {})
    given = read_targets(p["pace_targets"]) if p["pace_targets"] else None
    return tg.year_so_far(ds, as_of=p["pace_as_of"], targets=given, **_plan_settings(p))


def _plan_settings(p: dict) -> dict:
    """Notebook 01's `plan_targets` settings (but hires and grain) from its parameters."""
    from . import targets as tg

    ramp = "fitted" if p["ramp_months"] == "fitted" else tg.linear_ramp(p["ramp_months"])
    return {"growth": p["growth"], "company_method": p["company_method"],
            "method": p["method"], "blend": p["blend"] if p["method"] == "blend" else None,
            "over_assign": p["over_assign"], "ramp": ramp, "weights": p["weights"],
            "outliers": p["outliers"], "trend_years": p["trend_years"],
            "damping": p["damping"]}


def levels_for(ds: Dataset, year: int, parameters: dict | None = None,
               decisions: str | os.PathLike | None = None) -> pd.DataFrame:
    """Notebook 02's levels table for these parameters: the proposal by its `grade` call,
    with the calibration meeting's decisions when a decisions file is given.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year (the graded year is the one before).
    parameters : dict, optional
        Notebook parameters, name -> value (those notebook 02 lacks are ignored).
    decisions : str or path-like, optional
        A filled-in decisions file; None or a missing file: the proposal stands.

    Returns
    -------
    pandas.DataFrame
        `levels_<year>.csv` as notebook 02 writes it (`level` is the final level).

    Raises
    ------
    GradingError
        When a grading setting cannot work.
    DataError
        When the decisions file is malformed.
    """
    from . import grading

    p = _settings("02_grading", parameters or {})
    period = year - 1
    raw = grading.kpis(ds, period)
    adjusted = None if "reviews" in ds.lacks() else grading.adjust_raters(ds.reviews, raw)[0]
    use_adjusted = p["adjust_reviews"] and adjusted is not None
    k = grading.kpis(ds, period, reviews=adjusted if use_adjusted else None)
    current, _ = grading.current_levels(ds)
    chosen = grading.preset_weights(p["preset"], p["kpi_weights"])
    weights = grading.usable_weights(k, chosen, ds.lacks())[0].to_dict()
    standards = grading.load_standards(p["standards_file"] or grading.SAMPLE_STANDARDS)
    territory = grading.territory_potential(ds)[0] if p["adjust_territory"] else None
    rules = ({} if p["cut_rule"] == "standards" else
             grading.usable_gates(p["gates"], k, ds.lacks(), missing=p["gate_missing"])[0])
    result = grading.grade(k, weights, method=p["scale"], threshold_method=p["cut_rule"],
                           shares=p["shares"], cutoffs=p["cutoffs"], current=current,
                           hysteresis=p["margin"], rules=rules, standards=standards,
                           missing=p["gate_missing"], lacks=ds.lacks(), territory=territory,
                           demote=p["demote"], seed=p["seed"])
    final = result.assigned["proposed"]
    if decisions is not None and Path(decisions).exists():
        chosen = grading.read_decisions(decisions, result.assigned)
        final = grading.apply_decisions(result.assigned, chosen)["final"]
    return grading.levels_table(result.assigned.assign(level=final), ds.roster, year)


def scenario_inputs(ds: Dataset, year: int, scenario: str | None = None, *,
                    measures: list[str] | None = None, folder: str | os.PathLike | None = None,
                    parameters: dict | None = None, data_key: str = "",
                    ) -> tuple[pd.DataFrame, pd.Series, str]:
    """(targets, levels, where they came from) for page 03: what pages 01 and 02 give for
    `scenario`, written once to a folder of the app keyed by the settings and read back as
    notebook 03 reads the batch files (`load_inputs`), so the numbers are the batch's.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year.
    scenario : str or None, default None
        A saved scenario's name; None for the notebooks' defaults.
    measures : list of str, optional
        The measures to have targets for (default: every plan measure).
    folder : str or path-like, optional
        Where scenarios are kept (default: `helpers.scenarios.scenario_dir()`).
    parameters : dict, optional
        More notebook parameters, applied over the scenario's (e.g. a data-specific one).
    data_key : str, default ""
        Says which data `ds` is (e.g. its path), so two data sets never share the cache.

    Returns
    -------
    targets : pandas.DataFrame
        Long targets (`rep_id`, `month`, `measure`, `target`).
    levels : pandas.Series
        Level per rep on the plan.
    note : str
        Which scenario and where the targets and levels came from, in plain words.

    Raises
    ------
    ScenarioError
        When the scenario is missing, unreadable or cannot be expressed as parameters.
    TargetError
        When the scenario's targets settings cannot give a plan.
    GradingError
        When its grading settings cannot work.
    """
    from .data import save, write_atomic
    from .incentives import load_inputs

    params = {**scenario_parameters(scenario, folder), **(parameters or {})}
    key = json.dumps({"data": data_key, "year": int(year), "rows": len(ds.history),
                      "params": params}, sort_keys=True, default=str)
    cache = app_root() / "inputs" / hashlib.sha256(key.encode()).hexdigest()[:16]
    targets_file, levels_file = cache / f"targets_{year}.csv", cache / f"levels_{year}.csv"
    if not targets_file.exists():
        save(targets_for(ds, year, params).monthly, targets_file)
    if not levels_file.exists():
        save(levels_for(ds, year, params), levels_file)
    write_atomic(cache / "settings.json", lambda tmp: tmp.write_text(key))
    targets, levels, note = load_inputs(ds, year, cache, measures)
    which = f"scenario {scenario!r}" if scenario else "the notebooks' default settings"
    return targets, levels, f"pages 01 and 02 for {which}: {note}"


def current_scenario() -> str | None:
    """The scenario the app prices page 03 on: `$SALES_APP_SCENARIO`, or None (defaults).

    Returns
    -------
    str or None
        The scenario name, or None.
    """
    return os.environ.get(APP_SCENARIO_ENV) or None


def page_inputs(ds: Dataset, year: int, out: str | os.PathLike, measures: list[str], *,
                upstream: bool | None = None, headless: bool = False,
                data_path: str | os.PathLike | None = None,
                ) -> tuple[pd.DataFrame, pd.Series, str]:
    """Notebook 03's targets and levels: in the app, those of pages 01 and 02 for the current
    scenario (`scenario_inputs`); in a notebook or batch run, the files notebooks 01/02
    wrote to `out` when `upstream` (None: only in a headless run), else the defaults.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year.
    out : str or path-like
        The notebook's output folder.
    measures : list of str
        The measures the plans pay on.
    upstream : bool or None, default None
        Read notebooks 01/02's outputs: True, False, or None (only in a headless run, and
        always in the app).
    headless : bool, default False
        Whether this is a headless run (an output folder was passed).
    data_path : str or path-like, optional
        The notebook's data path, to key the app's cache.

    Returns
    -------
    targets : pandas.DataFrame
        Long targets.
    levels : pandas.Series
        Level per rep on the plan.
    note : str
        Where they came from, in plain words.

    Raises
    ------
    DataError
        When a file is malformed or there is no history to base the defaults on.
    """
    from .incentives import load_inputs

    if app_mode() and upstream is not False:
        scenario = current_scenario()
        key = str(Path(data_path).resolve()) if data_path else "sample"
        try:
            return scenario_inputs(ds, year, scenario, measures=measures, data_key=key)
        except ScenarioError as exc:  # the page goes on, on the defaults, and says why
            targets, levels, note = scenario_inputs(ds, year, None, measures=measures,
                                                    data_key=key)
            return targets, levels, f"{exc}; {note}"
    use_files = upstream if upstream is not None else headless
    return load_inputs(ds, year, out if use_files else None, measures)


def page_year_so_far(ds: Dataset, year: int, out: str | os.PathLike, *,
                     upstream: bool | None = None, headless: bool = False):
    """Notebook 03's year under way, the one notebook 01 paces: in the app, page 01's for
    the current scenario (`year_so_far_for`); in a batch run, the one notebook 01 wrote to
    `out` (`helpers.targets.paced_year`); else planned here on notebook 01's defaults.

    Parameters
    ----------
    ds : Dataset
        The loaded data.
    year : int
        The plan year.
    out : str or path-like
        The notebook's output folder.
    upstream : bool or None, default None
        As for `page_inputs`.
    headless : bool, default False
        Whether this is a headless run.

    Returns
    -------
    helpers.targets.YearSoFar
        The year, its last month, targets, data and a note saying where they came from.
    """
    from . import targets as tg

    if app_mode() and upstream is not False:
        try:
            parameters = scenario_parameters(current_scenario())
        except ScenarioError:  # page_inputs has said why; the page goes on, on the defaults
            parameters = {}
        return year_so_far_for(ds, parameters)
    use_files = upstream if upstream is not None else headless
    return tg.paced_year(ds, out if use_files else None, year,
                         **_plan_settings(_settings("01_targets", {})))


def follow_scenarios(panel, ds: Dataset, year: int, measures: list[str] | None = None, *,
                     data_path: str | os.PathLike | None = None):
    """In the app, make loading a scenario on page 03's simulation panel also price the plans
    on that scenario's targets and levels (`scenario_inputs`), the scenario checked whole
    before anything changes; outside the app, `panel` as it is.

    A scenario saved on pages 01/02 only (no `incentives` section) loads too: its targets
    and levels are used and the panel's own controls stay. The panel's scenario comparison
    prices each side the same way (`inputs_for`): a scenario with `targets`/`grading`
    sections on its own targets and levels, so A vs B shows what the batch run gives each.

    Parameters
    ----------
    panel : helpers.ui.incentives.SimulationPanel
        The panel; its `targets` and `levels` are replaced on a load.
    ds : Dataset
        The loaded data.
    year : int
        The plan year.
    measures : list of str, optional
        The measures the plans pay on.
    data_path : str or path-like, optional
        The notebook's data path, to key the app's cache.

    Returns
    -------
    helpers.ui.incentives.SimulationPanel
        `panel`, its scenario bar's `load` wrapped in the app.
    """
    bar = getattr(panel, "scenarios", None)
    if bar is None or not app_mode():
        return panel
    from .scenarios import read_scenarios

    own_load, key = bar.load, str(Path(data_path).resolve()) if data_path else "sample"

    def inputs_for(name: str):
        """The scenario's own (targets, levels), or None when it has no targets or grading
        section (the page's are used).
        """
        found, _ = read_scenarios(folder=bar.folder)
        sections = {n.lower(): v for n, v in found.items()}.get(str(name).strip().lower(), {})
        if "targets" in sections or "grading" in sections:
            return scenario_inputs(ds, year, name, measures=measures, folder=bar.folder,
                                   data_key=key)[:2]
        return None

    def load() -> str:
        name = str(bar.name.value).strip()
        found, _ = read_scenarios(folder=bar.folder)
        sections = {n.lower(): v for n, v in found.items()}.get(name.lower(), {})
        inputs = inputs_for(name)  # checked before anything is set
        line = own_load() if "incentives" in sections or inputs is None else "loaded"
        if inputs is not None:
            panel.targets, panel.levels = inputs[0], inputs[1]
            panel.mark_stale()
            line += "; plans priced on its targets and levels"
        return line

    bar.load = load
    panel.inputs_for = inputs_for
    return panel


__all__ = ["APP_ENV", "APP_OUTPUTS_ENV", "APP_SCENARIO_ENV", "app_mode", "app_root",
           "current_scenario", "follow_scenarios", "levels_for", "notebook_parameters",
           "page_inputs", "page_output_dir", "scenario_inputs", "scenario_parameters",
           "session_dir", "targets_for"]
