"""Tests and benchmarks use `helpers` through public names only (issue 12).

A private name (`_name`) may change or go with any refactor, and a check written against
one tests the wiring instead of what the workbook offers; what a test or a benchmark needs
is made public, with a name that says what it is. This scans every source file under
tests/ and benchmarks/ and fails on any use of a private helpers name.
"""

from __future__ import annotations

import ast
import re

import pytest

from helpers.data import ROOT

PACKAGE = "helpers"
DOTTED = re.compile(r"helpers(?:\.\w+)+")  # a dotted path in a string (monkeypatch targets)
BY_NAME = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _in_package(module: str | None) -> bool:
    return module is not None and module.split(".")[0] == PACKAGE


def private_uses(source: str) -> list[str]:
    """Each use of a private helpers name in `source`, as 'line N: what'.

    Counts imports of a private name or module (`from helpers.x import _y`,
    `import helpers._x`), attributes reached through a name bound by a helpers import
    (`helpers.x._y`, `module._y`, `Class._y`), `getattr(module, "_y")` and the like, and
    dotted paths in strings (`monkeypatch.setattr("helpers.x._y", ...)`).
    """
    tree = ast.parse(source)
    bound: set[str] = set()  # local names that stand for helpers modules or objects
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _in_package(alias.name):
                    bound.add(alias.asname or PACKAGE)
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _in_package(node.module):
            for alias in node.names:
                bound.add(alias.asname or alias.name)
                if any(_private(part) for part in [*node.module.split("."), alias.name]):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in bound:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            target, attr = node.args[:2]
            if (name in BY_NAME and isinstance(target, ast.Name) and target.id in bound
                    and isinstance(attr, ast.Constant) and isinstance(attr.value, str)
                    and _private(attr.value)):
                found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and DOTTED.fullmatch(node.value)
              and any(_private(part) for part in node.value.split("."))):
            found.append((node.lineno, repr(node.value)))
    return [f"line {line}: {what}" for line, what in sorted(set(found))]


def test_tests_and_benchmarks_use_only_public_helpers():
    files = sorted(p for folder in ("tests", "benchmarks") for p in (ROOT / folder).rglob("*.py"))
    assert any(p.name == "bench_grading.py" for p in files), "the scan found the sources"
    uses = {str(p.relative_to(ROOT)): private_uses(p.read_text(encoding="utf-8"))
            for p in files}
    uses = {path: found for path, found in uses.items() if found}
    assert not uses, ("private helpers names used (make what is needed public, with a "
                      f"name that says what it is): {uses}")


# The snippets are split so no string in this file is itself a private dotted path.
@pytest.mark.parametrize("source", [
    "from helpers.grading.breaks import _gmm",
    "from helpers.grading.breaks import (\n    gvf,\n    _gmm as gmm,\n)",
    "from helpers._impl import thing",
    "import helpers._impl",
    "import helpers.grading.breaks as b\nb._gmm(1)",
    "from helpers.grading import breaks\nbreaks._gmm(1)",
    "import helpers\nhelpers.grading.breaks._gmm(1)",
    "from helpers.incentives import Plan\nPlan._parse(1)",
    "from helpers.grading import breaks\ngetattr(breaks, '_gmm')",
    "def f(monkeypatch):\n    monkeypatch.setattr('helpers.incentives.simulation" + "._draw', 1)",
])
def test_the_scan_finds_private_uses(source):
    assert private_uses(source), source


@pytest.mark.parametrize("source", [
    "from helpers.grading import gvf, levels_of\nlevels_of([1], [0])",
    "import helpers.grading\nhelpers.grading.natural_breaks([1, 2], 2)",
    "from helpers import __name__ as name",
    "import numpy as np\nnp._NoValue",
    "from .harness import _local\n_local()",
    "def f(x):\n    return x._cache",
    "def f(monkeypatch, cli):\n    monkeypatch.setattr(cli, 'NOTEBOOKS', ())",
])
def test_the_scan_allows_public_uses(source):
    assert private_uses(source) == [], source
