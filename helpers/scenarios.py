"""Named scenarios: the knobs of each notebook saved as YAML, so a demo can be replayed.

One file per scenario in `scenarios/` (or $SALES_SCENARIOS), one section per notebook, e.g.

    name: Aggressive growth
    targets: {growth: 0.12, method: blend}
    grading: {weights: {revenue: 0.4, csat: 0.2}}
    incentives: {plans: [current, tiered]}

Saving one notebook's section keeps the others, so a scenario spans the whole workbook.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .data import ROOT, write_atomic
from .errors import ScenarioError

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
    return (folder or scenario_dir()) / f"{slug}.yaml"


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
        If the name is not allowed, there is no such scenario file, the file is not a YAML
        mapping, or it has no `section`.
    """
    path = _path(name, folder)
    if not path.exists():
        raise ScenarioError(f"scenario {name!r}: no file {path.name} in {path.parent}")
    data = _read(path)
    if section not in data:
        raise ScenarioError(f"scenario {name!r} ({path.name}) has no '{section}' section; "
                            f"it has {', '.join(k for k in data if k in SECTIONS) or 'none'}")
    return data[section]


def list_scenarios(section: str | None = None, folder: Path | None = None) -> list[str]:
    """Names of the saved scenarios (those with `section`, if given), sorted.

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
        If a file in the folder is not a YAML mapping.
    """
    folder = folder or scenario_dir()
    names = []
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        data = _read(path)
        if section is None or section in data:
            names.append(str(data.get("name", path.stem)))
    return sorted(names, key=str.lower)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of sections, got {type(data).__name__}")
    return data
