"""environment.yml (conda) and pyproject.toml (pip) name the same dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from helpers.data import ROOT


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    wanted = dict(_split(r) for r in project["dependencies"])
    wanted["python"] = project["requires-python"]
    have = dict(_split(d) for d in conda if d != "pip")
    assert have == wanted
    assert "-e .[dev]" in pip, "conda users get the dev extras through pip"
