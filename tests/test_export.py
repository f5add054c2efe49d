"""Excel output: same numbers as the frames, and formatted for a human."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from helpers.export import COUNT_FORMAT, MONEY_FORMAT, SHARE_FORMAT, write_workbook


@pytest.fixture
def frames():
    targets = pd.DataFrame({"rep_id": ["R001", "R002"], "month": pd.to_datetime(
        ["2027-01-01", "2027-02-01"]), "revenue_target": [166666.67, 41666.66],
        "new_customers": [3, 4]})
    levels = pd.DataFrame({"rep_id": ["R001", "R002"], "level": ["senior", "top"],
                           "probability": [0.82, 0.55]})
    return {"Targets": targets, "Levels": levels}


def test_numbers_round_trip_exactly(tmp_path, frames):
    path = write_workbook(tmp_path / "plan.xlsx", frames)
    for name, frame in frames.items():
        back = pd.read_excel(path, sheet_name=name)
        pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_headers_formats_panes_and_filters(tmp_path, frames):
    book = load_workbook(write_workbook(tmp_path / "plan.xlsx", frames,
                                        freeze_columns={"Targets": 2}))
    sheet = book["Targets"]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "C2"
    assert book["Levels"].freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:D3"
    assert sheet["C2"].number_format == MONEY_FORMAT
    assert sheet["D2"].number_format == COUNT_FORMAT
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert book["Levels"]["C2"].number_format == SHARE_FORMAT


def test_bad_sheet_name_is_refused_before_writing(tmp_path, frames):
    with pytest.raises(ValueError, match="sheet name"):
        write_workbook(tmp_path / "plan.xlsx", {"Targets/Week": frames["Targets"]})
    assert not (tmp_path / "plan.xlsx").exists()


def _shown(cell) -> str:
    """What Excel shows for a number in a percent format ("0.0%") or a plain one."""
    fmt = cell.number_format
    decimals = len(fmt.split(".")[1].rstrip("%")) if "." in fmt else 0
    if fmt.endswith("%"):
        return f"{cell.value * 100:.{decimals}f}%"
    return f"{cell.value:{',' if ',' in fmt else ''}.{decimals}f}"


def _columns(sheet) -> dict:
    """Header -> the column's data cells."""
    return {col[0].value: col[1:] for col in sheet.iter_cols()}


def test_fractions_show_as_percentages_and_nothing_is_scaled(tmp_path):
    frame = pd.DataFrame({"plan": ["A", "B"], "cost_of_sales": [0.0303, 0.0326],
                          "share_at_target": [0.48, 0.51], "expected_attainment": [0.99, 2.4],
                          "ratio": [0.81, 1.6], "commission_rate": [2.5, 3.0],
                          "cost_of_sales_pct": [0.98, 3.26]})
    sheet = load_workbook(write_workbook(tmp_path / "plan.xlsx", {"Plans": frame}))["Plans"]
    cells = _columns(sheet)
    assert cells["cost_of_sales"][0].value == 0.0303
    assert _shown(cells["cost_of_sales"][0]) == "3.0%"
    for name in ("share_at_target", "expected_attainment", "ratio"):
        assert cells[name][0].number_format == SHARE_FORMAT, name
    assert _shown(cells["expected_attainment"][1]) == "240.0%"
    # percentages held as numbers (3.0 = 3%) must never be shown as 300%
    assert _shown(cells["commission_rate"][1]) == "3.00"
    assert _shown(cells["cost_of_sales_pct"][0]) == "0.98"


def test_integer_year_columns_have_no_thousands_separator(tmp_path):
    frame = pd.DataFrame({"year": [2027, 2027], "rep_id": ["R001", "R002"],
                          "deals": [1200, 3]})
    sheet = load_workbook(write_workbook(tmp_path / "plan.xlsx", {"Payouts": frame}))["Payouts"]
    assert _shown(sheet["A2"]) == "2027"
    assert sheet["C2"].number_format == COUNT_FORMAT


def test_all_empty_columns_are_written(tmp_path):
    """A fairness ratio with no one selected is all NaN; a note column may be all NA."""
    frame = pd.DataFrame({"group": ["F", "M"], "ratio": [np.nan, np.nan],
                          "note": pd.Series([pd.NA, pd.NA], dtype="string")})
    path = write_workbook(tmp_path / "plan.xlsx", {"Fairness": frame})
    back = pd.read_excel(path)
    assert list(back.columns) == ["group", "ratio", "note"]
    assert back["ratio"].isna().all() and back["note"].isna().all()
    sheet = load_workbook(path)["Fairness"]
    assert sheet.column_dimensions["C"].width >= len("note")


def test_plan_tables_show_cost_of_sales_and_shares_as_percentages(tmp_path, sample):
    """Every table notebook 03 hands over, through the workbook: cost of sales reads as the
    simulated cost over revenue, and no column shown as a percentage holds a number that
    cannot be a share (attainment and ratios may exceed 100%)."""
    from helpers.incentives import (
        PLANS_DIR,
        load_plans,
        metrics,
        rep_summary,
        replay,
        replay_summary,
        scenario_costs,
        simulate,
    )

    plans = load_plans(PLANS_DIR)
    sim = simulate(plans, sample, n=256)
    replays = {name: replay(plan, sample) for name, plan in plans.items()}
    sheets = {"Plan comparison": metrics(sim).reset_index(),
              "Replay": replay_summary(replays, sample, plans=plans).reset_index(),
              "Scenarios": scenario_costs(plans, sample, n=256).reset_index(),
              "Payouts": rep_summary(sim, replays, 2027)}
    book = load_workbook(write_workbook(tmp_path / "plan.xlsx", sheets))
    stats = sim.stats["Current plan"]
    expected = f"{100 * stats['cost'].mean() / stats['revenue'].mean():.1f}%"
    comparison = _columns(book["Plan comparison"])
    assert _shown(comparison["variable_cost_of_sales"][list(plans).index("Current plan")]) \
        == expected
    for col in ("variable_cost_of_sales", "total_cost_of_sales"):
        assert all(_shown(c).endswith("%") for c in comparison[col])
        assert all(_shown(c).endswith("%") for c in _columns(book["Replay"])[col])
        assert all(_shown(c).endswith("%") for c in _columns(book["Scenarios"])[col])
    assert all(_shown(c).endswith(".00") for c in comparison["base_salaries"])
    assert all(_shown(c) == "2027" for c in _columns(book["Payouts"])["year"])
    for sheet in book:
        for name, cells in _columns(sheet).items():
            if any(c.number_format.endswith("%") for c in cells):
                big = [c.value for c in cells if c.value is not None and abs(c.value) > 1.5]
                assert not big or re.search("attainment|ratio", name), (sheet.title, name)
