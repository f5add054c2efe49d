"""`python -m helpers run` is the main job: notebooks headless -> executed copies + HTML."""

from __future__ import annotations

import json

import pytest

from helpers.cli import NOTEBOOKS, main


def test_run_writes_executed_notebooks_and_code_free_reports(sample_copy, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--data", str(sample_copy), "--out", str(out)]) == 0
    for name in NOTEBOOKS:
        executed = json.loads((out / f"{name}.ipynb").read_text())
        params = next(c for c in executed["cells"]
                      if "injected-parameters" in c["metadata"].get("tags", []))
        assert str(sample_copy) in "".join(params["source"])
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o["output_type"] == "error"]
        assert errors == []
        html = (out / f"{name}.html").read_text()
        assert "load_sample" not in html  # code cells are hidden in the report
        assert "120 reps" in html
    assert f"wrote {out}" in capsys.readouterr().out
    assert not any(p.name.startswith(".") for p in out.iterdir()), "temp files left behind"


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit):
        main(["fly"])
