"""Excel output: same numbers as the frames, and formatted for a human."""

from __future__ import annotations

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
