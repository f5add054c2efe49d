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


def test_pinned_versions_meet_pyproject():
    """constraints.txt (what make installs) satisfies every range pyproject.toml states, so
    the ranges say what the workbook is really run on (pandas 3, numpy 2)."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(line.split("==", 1) for line in
                (ROOT / "constraints.txt").read_text().split()
                if "==" in line and not line.startswith("#"))
    pins = {name.lower().replace("_", "-"): version for name, version in pins.items()}
    wanted = [Requirement(r) for r in
              project["dependencies"] + project["optional-dependencies"]["dev"]]
    missing = [r.name for r in wanted if r.name.lower() not in pins]
    assert not missing, f"constraints.txt pins no version of {missing} (make lock)"
    wrong = [f"{r} (pinned {pins[r.name.lower()]})" for r in wanted
             if not r.specifier.contains(pins[r.name.lower()], prereleases=True)]
    assert not wrong, wrong
    # CONTRIBUTING names the majors the code is written for; the ranges must not admit older
    for r in wanted:
        if r.name in ("pandas", "numpy"):
            low = next(s.version for s in r.specifier if s.operator == ">=")
            assert low.split(".")[0] == pins[r.name].split(".")[0], (str(r), pins[r.name])
