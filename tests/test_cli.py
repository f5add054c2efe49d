"""`python -m helpers run` is the main job: notebooks headless -> executed copies + HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import copy_sample
from openpyxl import load_workbook

from helpers.cli import NOTEBOOKS, main
from helpers.export import PLAN_FILES, TARGET_KEYS


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    """One headless run on a copy of the sample, shared by the tests below."""
    data = copy_sample(tmp_path_factory.mktemp("data"))
    out = tmp_path_factory.mktemp("out")
    assert main(["run", "--data", str(data), "--out", str(out)]) == 0
    return data, out


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
    assert not any(p.name.startswith(".") for p in out.iterdir()), "temp files left behind"


def test_plan_workbook_numbers_equal_the_csvs(run_out):
    _, out = run_out
    book = out / "plan_2027.xlsx"
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == list(PLAN_FILES)
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
    grid = sheets["Targets"].melt(id_vars=TARGET_KEYS + ["year"], var_name="month",
                                  value_name="target").dropna(subset=["target"])
    long["month"] = long["month"].str[:7]
    merged = long.merge(grid, on=TARGET_KEYS + ["month"], suffixes=("", "_xlsx"))
    assert len(merged) == len(long)
    assert (merged["target"] == merged["target_xlsx"]).all()
    years = grid.groupby(TARGET_KEYS)["year"].first()
    sums = long.groupby(TARGET_KEYS)["target"].sum().round(2)
    assert (years.reindex(sums.index) == sums).all()


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


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit):
        main(["fly"])
