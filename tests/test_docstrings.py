"""Every public callable in `helpers` has a numpydoc docstring: under the plain-words
summary, a `Parameters` section naming exactly its parameters (in order, each with a type
and a description) and a `Returns` (or `Yields`) section when it returns something
(issue 12, item 5). ruff's pydocstyle rules (numpy convention) check the layout; this
checks the sections against the signatures, with `numpydoc.validate`.

Public means: the names in a module's or package's `__all__` (or, where it has none, its
names without a leading underscore), that are functions or classes, checked once in the
module that defines them; for a class also its constructor (the class docstring documents
`__init__`'s parameters) and its own public methods and properties.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings

import pytest
from numpydoc.validate import validate

import helpers

# Packages whose docstrings are still to do (none: every module is checked).
PENDING: list[str] = []

# numpydoc.validate codes that say a docstring does not document the callable it is on
CHECKS = {
    "GL08",  # no docstring
    "GL06",  # a section numpydoc does not know (a typo such as "Return")
    "GL07",  # sections out of order
    "PR01",  # a parameter not documented
    "PR02",  # a documented parameter the signature does not have
    "PR03",  # parameters documented in another order than the signature's
    "PR04",  # a parameter without a type
    "PR07",  # a parameter without a description
    "PR10",  # "name: type" instead of "name : type"
    "RT01",  # returns something, but no Returns section
    "RT03",  # a Returns entry without a description
    "YD01",  # a generator without a Yields section
}


def _pending(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PENDING)


def _modules() -> list:
    names = ["helpers"] + [m.name for m in pkgutil.walk_packages(helpers.__path__, "helpers.")]
    # __main__ runs the command line when imported; it defines nothing
    return [importlib.import_module(n) for n in names if n != "helpers.__main__"]


def _public(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return names


def _members(cls) -> list[str]:
    """The public methods and properties a class defines itself (not inherited ones)."""
    out = []
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        func = attr.__func__ if isinstance(attr, classmethod | staticmethod) else attr
        if inspect.isfunction(func) or isinstance(attr, property):
            out.append(name)
    return out


def _callables() -> dict[str, list[str]]:
    """Import paths of the public callables, grouped by the module that defines them."""
    found: dict[str, set[str]] = {}
    for module in _modules():
        for name in _public(module):
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants, Literal aliases
            home = obj.__module__
            if not home.startswith("helpers") or _pending(home):
                continue
            paths = found.setdefault(home, set())
            paths.add(f"{home}.{obj.__qualname__}")
            if inspect.isclass(obj):
                paths.update(f"{home}.{obj.__qualname__}.{m}" for m in _members(obj))
    return {home: sorted(paths) for home, paths in sorted(found.items())}


CALLABLES = _callables()


def problems(path: str) -> list[str]:
    """The CHECKS numpydoc finds in the docstring of the object at `path`."""
    with warnings.catch_warnings():  # numpydoc reads every class attribute, and
        # ipywidgets warns on its deprecated ones (Widget._active_widgets): not our docstring
        warnings.simplefilter("ignore", DeprecationWarning)
        result = validate(path)
    return [f"{path}: {code} {message}" for code, message in result["errors"]
            if code in CHECKS]


@pytest.mark.parametrize("module", list(CALLABLES))
def test_public_callables_have_numpydoc_sections(module):
    found = [p for path in CALLABLES[module] for p in problems(path)]
    assert not found, "\n".join(found)


def test_every_module_is_checked_or_pending():
    """A new module is checked as soon as it defines a public callable; nothing is pending
    but the packages named in PENDING."""
    homes = {m.__name__ for m in _modules()}
    assert all(any(h == p or h.startswith(p + ".") for h in homes) for p in PENDING)
    assert "helpers.data" in CALLABLES and "helpers.targets.allocation" in CALLABLES


def test_an_undocumented_parameter_fails():
    """The check has teeth: a parameter the docstring does not name is reported."""
    found = problems(f"{__name__}._documented_but_one")
    assert any("PR01" in p and "extra" in p for p in found), found
    assert not problems(f"{__name__}._documented")


def _documented(rows: int) -> int:
    """Twice the rows.

    Parameters
    ----------
    rows : int
        How many rows.

    Returns
    -------
    int
        Twice `rows`.
    """
    return 2 * rows


def _documented_but_one(rows: int, extra: int = 0) -> int:
    """Twice the rows.

    Parameters
    ----------
    rows : int
        How many rows.

    Returns
    -------
    int
        Twice `rows`.
    """
    return 2 * rows + extra
