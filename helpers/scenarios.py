"""Named scenarios: the knobs of each notebook saved as YAML, so a demo can be replayed.

One file per scenario in `scenarios/` (or $SALES_SCENARIOS), one section per notebook, e.g.

    name: Aggressive growth
    targets: {growth: 0.12, method: blend}
    grading: {weights: {revenue: 0.4, csat: 0.2}}
    incentives: {plans: [current, tiered]}

Saving one notebook's section keeps the others, so a scenario spans the whole workbook.
A bad file never takes the others down: `read_scenarios` returns the good scenarios and a
sentence per file it skipped (the file by its name, never the server's path).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .data import ROOT, write_atomic
from .errors import ScenarioError, read_yaml

SECTIONS = ("targets", "grading", "incentives")
_NAME = re.compile(r"^[\w][\w \-.]{0,63}$")



def scenario_dir() -> Path:
    """The folder of saved scenarios: $SALES_SCENARIOS, or `scenarios/` in the repository.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist yet).
    """
    return Path(os.environ.get("SALES_SCENARIOS", ROOT / "scenarios"))


def _path(name: str, folder: Path | None) -> Path:
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise ScenarioError(f"scenario name {name!r}: use 1-64 letters, digits, spaces, - _ .")
    slug = re.sub(r"[^\w\-.]+", "-", name.strip().lower())
    return (Path(folder) if folder else scenario_dir()) / f"{slug}.yaml"


def _plain(value):
    """YAML-safe copy: tuples become lists, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ScenarioError(f"cannot save a value of type {type(value).__name__}: {value!r}")


def save_scenario(name: str, section: str, values: dict, folder: Path | None = None) -> Path:
    """Store `values` as `section` of scenario `name`, keeping its other sections.

    Parameters
    ----------
    name : str
        Scenario name: 1-64 letters, digits, spaces, - _ . (its file is the name in lower
        case, `.yaml`).
    section : str
        Notebook section: one of `SECTIONS` ("targets", "grading", "incentives").
    values : dict
        The section's knobs; tuples and numpy scalars are stored as plain YAML.
    folder : pathlib.Path or None, default None
        Where scenarios live; None for `scenario_dir()`.

    Returns
    -------
    pathlib.Path
        The scenario file written.

    Raises
    ------
    ScenarioError
        If the name or section is not allowed, a value cannot be written as YAML, or the
        existing file is not a YAML mapping.
    """
    if section not in SECTIONS:
        raise ScenarioError(f"section {section!r}: expected one of {', '.join(SECTIONS)}")
    path = _path(name, folder)
    data = _read(path) if path.exists() else {"name": name.strip()}
    data[section] = _plain(values)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_scenario(name: str, section: str, folder: Path | None = None) -> dict:
    """The `section` values of scenario `name`.

    Parameters
    ----------
    name : str
        Scenario name: 1-64 letters, digits, spaces, - _ . (its file is the name in lower
        case, `.yaml`).
    section : str
        Notebook section to read.
    folder : pathlib.Path or None, default None
        Where scenarios live; None for `scenario_dir()`.

    Returns
    -------
    dict
        The section's knobs as saved.

    Raises
    ------
    ScenarioError
        If the name is not allowed, no saved scenario has that name (the message lists the
        saved names, never the folder), the file is not a YAML mapping, or its `section`
        is missing or not a mapping.
    """
    path = _path(name, folder)
    if not path.exists():  # a file named otherwise whose `name:` is this name
        found, _ = read_scenarios(folder=folder)
        match = {n.lower(): n for n in found}.get(name.strip().lower())
        if match is None:
            saved = ", ".join(found) or "none"
            raise ScenarioError(f"scenario {name!r}: no saved scenario of that name "
                                f"(saved: {saved})")
        path = found[match]["file"]
    data = _read(path)
    if section not in data:
        raise ScenarioError(f"scenario {name!r} ({path.name}) has no '{section}' section; "
                            f"it has {', '.join(k for k in data if k in SECTIONS) or 'none'}")
    values = data[section]
    if not isinstance(values, dict):
        raise ScenarioError(f"scenario {name!r} ({path.name}): {section}: expected a mapping "
                            f"of control: value, got {type(values).__name__}")
    return values


def read_scenarios(section: str | None = None, folder: Path | None = None
                   ) -> tuple[dict[str, dict], list[str]]:
    """Every readable scenario (those with `section`, if given), and a sentence per file
    skipped, so one bad file never hides the others.

    Parameters
    ----------
    section : str or None, default None
        Only scenarios that have this section; None for all.
    folder : pathlib.Path or None, default None
        Where scenarios live; None for `scenario_dir()`.

    Returns
    -------
    scenarios : dict of str to dict
        Scenario name -> its sections as saved, plus "file" (its path), sorted by name
        case-insensitively; empty if the folder does not exist.
    problems : list of str
        One line per file skipped, "<file name>: <key>: <why>" (the file by its name,
        never its folder): not YAML (with line and column), not a mapping,
        a section that is not a mapping, or a name another file already has.
    """
    folder = Path(folder) if folder else scenario_dir()
    found: dict[str, dict] = {}
    problems = []
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        try:
            data = _read(path)
        except ScenarioError as exc:
            problems.append(str(exc))
            continue
        name = data.get("name", path.stem)
        bad = [k for k in SECTIONS if k in data and not isinstance(data[k], dict)]
        if not isinstance(name, (str, int, float)) or not str(name).strip():
            problems.append(f"{path.name}: name: expected a scenario name, "
                            f"got {name!r}")
        elif bad:
            problems.append(f"{path.name}: {bad[0]}: expected a mapping of "
                            f"control: value, got {type(data[bad[0]]).__name__}")
        elif str(name).strip().lower() in {n.lower() for n in found}:
            first = next(v["file"].name for n, v in found.items()
                         if n.lower() == str(name).strip().lower())
            problems.append(f"{path.name}: name: {str(name).strip()!r} is "
                            f"already the name of {first}")
        else:
            found[str(name).strip()] = {**data, "file": path}
    chosen = {n: v for n, v in found.items() if section is None or section in v}
    return dict(sorted(chosen.items(), key=lambda item: item[0].lower())), problems


def list_scenarios(section: str | None = None, folder: Path | None = None) -> list[str]:
    """Names of the saved scenarios (those with `section`, if given), sorted; strict: a
    bad file raises (a page lists them with `read_scenarios`, which skips it and says so).

    Parameters
    ----------
    section : str or None, default None
        Only scenarios that have this section; None for all.
    folder : pathlib.Path or None, default None
        Where scenarios live; None for `scenario_dir()`.

    Returns
    -------
    list of str
        Scenario names, sorted case-insensitively; empty if the folder does not exist.

    Raises
    ------
    ScenarioError
        If a file in the folder cannot be read as a scenario (the first problem
        `read_scenarios` finds).
    """
    found, problems = read_scenarios(section, folder)
    if problems:
        raise ScenarioError(problems[0])
    return list(found)


def _read(path: Path) -> dict:
    """The mapping in scenario file `path`; errors name the file by its name only."""
    data = read_yaml(path, ScenarioError, f"{path.name}: ")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path.name}: expected a mapping of sections (name:, "
                            f"{', '.join(f'{k}:' for k in SECTIONS)}), got "
                            f"{type(data).__name__}")
    return data
