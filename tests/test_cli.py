"""`python -m helpers run` is the main job: notebooks headless -> executed copies + HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from helpers.cli import NOTEBOOKS, main
from helpers.export import ASSUMPTIONS, PLAN_FILES, TARGET_KEYS, read_workbook


@pytest.fixture(scope="module")
def run_out(sample_run):
    """The shared headless run on a copy of the sample (conftest.sample_run)."""
    return sample_run


def test_run_writes_executed_notebooks_and_code_free_reports(run_out):
    data, out = run_out
    for name in NOTEBOOKS:
        executed = json.loads((out / f"{name}.ipynb").read_text())
        params = next(c for c in executed["cells"]
                      if "injected-parameters" in c["metadata"].get("tags", []))
        assert str(data) in "".join(params["source"])
        errors = [o for c in executed["cells"] for o in c.get("outputs", [])
                  if o["output_type"] == "error"]
        assert errors == []
        html = (out / f"{name}.html").read_text()
        assert "load_sample" not in html  # code cells are hidden in the report
        assert "120 reps" in html
        # a client's report: a real title, a dated summary, no empty interactive section
        assert "<title>Notebook</title>" not in html and f"<title>{name[:2]} · " in html
        record = json.loads((out / f"settings_{name}.json").read_text())
        assert f"run {record['run_date']}" in html and 'class="report-summary"' in html
        assert "not built in this headless run" not in html
        assert "open the app or the notebook to try this" in html
        assert str(data) not in html and data.name in html  # the folder's name, no path
    assert not any(p.name.startswith(".") for p in out.iterdir()), "temp files left behind"
    assert not list(out.glob("*.failed.ipynb")), "a stale .failed.ipynb was kept"


def test_targets_and_grading_run_side_by_side_and_incentives_after_both(run_out):
    """Issue 14 §6: 03 reads what 01 and 02 write, so only 01 and 02 may overlap."""
    _, out = run_out
    when = {name: json.loads((out / f"{name}.ipynb").read_text())["metadata"]["papermill"]
            for name in NOTEBOOKS}
    first, second, third = NOTEBOOKS
    assert when[second]["start_time"] < when[first]["end_time"]
    assert when[first]["start_time"] < when[second]["end_time"]
    assert when[third]["start_time"] >= max(when[first]["end_time"], when[second]["end_time"])


def test_headless_run_builds_no_widgets(run_out):
    """Issue 10: a widget in a headless run could freeze it; panels and bars are off there."""
    _, out = run_out
    for name in NOTEBOOKS:
        executed = json.loads((out / f"{name}.ipynb").read_text())
        assert "widgets" not in executed["metadata"], name
        views = [c["source"] for c in executed["cells"] for o in c.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert views == [], name
        texts = "".join("".join(o.get("text", "")) for c in executed["cells"]
                        for o in c.get("outputs", []))
        assert "not built in this headless run" in texts, name


def test_plan_workbook_numbers_equal_the_csvs(run_out):
    data, out = run_out
    book = out / "plan_2027.xlsx"
    sheets = read_workbook(book)  # machine names, data rows, row totals summed
    assert list(sheets) == [ASSUMPTIONS, *PLAN_FILES]
    for sheet, (stem, _, _) in PLAN_FILES.items():
        csv = pd.read_csv(out / f"{stem}_2027.csv")
        if sheet == "Targets":
            continue
        for column in csv.select_dtypes("number").columns:
            values = csv[column].to_numpy()
            exact = bool((values[~pd.isna(values)] * 100 % 1 == 0).all())  # money, counts
            # Excel keeps 15 significant digits, so a ratio like 13/27 may differ in the 17th
            assert sheets[sheet][column].to_numpy() == pytest.approx(
                values, rel=0 if exact else 1e-15, abs=0, nan_ok=True), f"{sheet}.{column}"
    long = pd.read_csv(out / "targets_2027.csv")
    grid = sheets["Targets"].melt(id_vars=TARGET_KEYS + ["year_total"], var_name="month",
                                  value_name="target").dropna(subset=["target"])
    long["month"] = long["month"].str[:7]
    merged = long.merge(grid, on=TARGET_KEYS + ["month"], suffixes=("", "_xlsx"))
    assert len(merged) == len(long)
    assert (merged["target"] == merged["target_xlsx"]).all()
    years = grid.groupby(TARGET_KEYS)["year_total"].first().round(2)  # =SUM of the months
    sums = long.groupby(TARGET_KEYS)["target"].sum().round(2)
    assert (years.reindex(sums.index) == sums).all()
    stated = sheets[ASSUMPTIONS].set_index("setting")["value"]
    assert stated["Data source"] == data.name and stated["Plan year"] == "2027"


def test_plan_workbook_is_formatted_for_a_reader(run_out):
    _, out = run_out
    book = load_workbook(out / "plan_2027.xlsx")
    for name in book.sheetnames:
        sheet = book[name]
        assert sheet["A1"].font.bold, name
        assert sheet.freeze_panes is not None and sheet.auto_filter.ref, name
    targets = book["Targets"]
    assert targets.freeze_panes == "E2"
    assert targets["E2"].number_format == "#,##0.00"


def test_the_run_writes_every_queued_document_for_the_people(run_out):
    """Letters, statements and development pages: the notebooks queue them, the run writes
    a page for each (FAST: HTML only) where the queue says, and a letter shows the rep's own
    year target from the targets the run wrote."""
    import re
    from html import unescape

    from helpers.formatting import fmt

    _, out = run_out
    folder = out / "documents"
    for kind in ("letters", "statements", "development"):
        queued = json.loads((folder / f"{kind}.json").read_text())["docs"]
        assert len(queued) > 50, kind
        written = sorted(p.stem for p in (folder / kind).glob("*.html"))
        assert written == sorted(queued), kind
        assert not list((folder / kind).glob("*.pdf"))  # --documents html
    teams = json.loads((folder / "leaderboards.json").read_text())["docs"]  # a page a manager
    assert sorted(p.stem for p in (folder / "leaderboards").glob("*.html")) == sorted(teams)
    assert len(teams) >= 2
    targets = pd.read_csv(out / "targets_2027.csv")
    revenue = targets[targets["measure"] == "revenue"].groupby("rep_id")["target"].sum()
    for rep in sorted(json.loads((folder / "letters.json").read_text())["docs"])[:5]:
        text = unescape(re.sub(r"<[^>]+>", " ", (folder / "letters" / f"{rep}.html")
                               .read_text()))
        assert fmt(round(revenue[rep], 2), "money", digits=2) in text, rep


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit):
        main(["fly"])


# --------------------------------------------------------------- failures stay short

PARAMS = 'data_path = None\noutput_path = None\nyear = None\ninteractive = True'


@pytest.fixture
def tiny_run(tmp_path, monkeypatch):
    """`python -m helpers run` on one tiny notebook whose last cell is `source`: returns
    (exit code, stderr, out folder)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from helpers import cli

    folder, out = tmp_path / "notebooks", tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr(cli, "NOTEBOOK_DIR", folder)
    monkeypatch.setattr(cli, "NOTEBOOKS", ("01_tiny",))

    def run(source: str, *flags: str):
        nb = new_notebook(cells=[
            new_markdown_cell("# A tiny notebook"),
            new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
            new_markdown_cell("## The step that goes wrong\n\nSome words."),
            new_code_cell("x = 1"), new_code_cell(source)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, folder / "01_tiny.ipynb")
        code = main(["run", "--out", str(out), *flags])
        return code, out

    return run


def _error_lines(err: str) -> list[str]:
    """stderr without the progress bars (tqdm redraws with carriage returns)."""
    return [line for line in err.splitlines() if line.strip() and "\r" not in line
            and "it/s]" not in line and "nb/s]" not in line and "cell/s]" not in line
            and "Timeout waiting for execute reply" not in line]


def test_a_hanging_cell_stops_the_run_with_a_short_message(tiny_run, capsys):
    code, out = tiny_run("import time\ntime.sleep(120)", "--cell-timeout", "5")
    err = capsys.readouterr().err
    kept = out / "01_tiny.failed.ipynb"
    assert code == 1
    assert "Traceback" not in err
    assert _error_lines(err)[-2:] == [
        'error: 01_tiny.ipynb stopped at cell 6 of 6 ("The step that goes wrong"): '
        "cell did not finish within 5 s",
        f"partly executed notebook: {kept}"]
    executed = json.loads(kept.read_text())
    assert "x = 1" in "".join(executed["cells"][4]["source"])
    assert executed["cells"][4]["execution_count"] == 3  # the cells before it did run
    assert not (out / "01_tiny.ipynb").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temp files left behind"


def test_a_failing_cell_gives_the_exception_in_one_line(tiny_run, capsys):
    code, out = tiny_run('raise ValueError("tiers overlap at 100%\\nsecond line")')
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert _error_lines(err)[-2:] == [
        'error: 01_tiny.ipynb stopped at cell 6 of 6 ("The step that goes wrong"): '
        "ValueError: tiers overlap at 100%",
        f"partly executed notebook: {out / '01_tiny.failed.ipynb'}"]
    executed = json.loads((out / "01_tiny.failed.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ValueError"]
