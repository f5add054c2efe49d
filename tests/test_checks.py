"""tools/check_notebooks.py, the pre-commit hook that validates notebooks against nbformat."""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from helpers.data import ROOT


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("check_notebooks",
                                                  ROOT / "tools" / "check_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_notebooks_are_valid(check, capsys):
    assert check.main([]) == 0
    assert capsys.readouterr().out == ""


def test_a_broken_notebook_is_named_with_where_and_what(check, tmp_path, capsys):
    good = tmp_path / "good.ipynb"
    shutil.copy(ROOT / "notebooks" / "01_targets.ipynb", good)
    nb = json.loads(good.read_text())
    nb["cells"][1]["source"] = 3
    del nb["cells"][2]["id"]
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(nb))
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    assert check.main([str(good), str(bad), str(broken)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"{bad}: cells/1/source: 3 is not valid") for line in lines)
    assert any(line.startswith(f"{bad}: cells/2: 'id' is a required property")
               for line in lines)
    assert any(line.startswith(f"{broken}: not a readable notebook") for line in lines)
    assert not any(line.startswith(str(good)) for line in lines)
    assert bad.read_text() == json.dumps(nb), "the check repairs nothing"


def test_duplicate_cell_ids_are_caught(check, tmp_path):
    nb = json.loads((ROOT / "notebooks" / "02_grading.ipynb").read_text())
    nb["cells"][1]["id"] = nb["cells"][0]["id"]
    path = tmp_path / "twins.ipynb"
    path.write_text(json.dumps(nb))
    assert check.notebook_problems(path) == [
        f"{path}: cells/1: id {nb['cells'][0]['id']!r} is also the id of cells/0"]
