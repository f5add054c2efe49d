"""The app's hand-over and scenario controls: download buttons (the files hold what the panel
shows, read back with pandas and the workbook's own reader, built in a temporary folder so
the batch outputs are untouched, the links carrying the files under safe names), Reset,
plans ticked in a `Checklist`, and two scenarios side by side.
"""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest

from helpers.data import output_dir
from helpers.export import read_workbook
from helpers.formatting import fmt
from helpers.ui.downloads import Downloads, download_files, file_stem, links_html


@pytest.fixture
def table():
    return pd.DataFrame({"rep_id": ["R2", "R1", "R3"], "target": [1234567.891, 2.5, 0.0],
                         "level": ["senior", "junior", "top"]})


def test_files_hold_the_tables_as_shown(table, tmp_path, monkeypatch):
    monkeypatch.setenv("SALES_OUTPUTS", str(tmp_path / "outputs"))
    files = download_files({"Targets by rep": table, "Levels": table[["rep_id", "level"]]},
                           "Targets 2027")
    assert list(files) == ["targets_2027.xlsx", "targets_2027_targets_by_rep.csv",
                           "targets_2027_levels.csv"]
    back = pd.read_csv(io.BytesIO(files["targets_2027_targets_by_rep.csv"]))
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    book = tmp_path / "book.xlsx"
    book.write_bytes(files["targets_2027.xlsx"])
    sheets = read_workbook(book)
    assert list(sheets) == ["Targets by rep", "Levels"]
    pd.testing.assert_frame_equal(sheets["Targets by rep"].reset_index(drop=True), table,
                                  check_dtype=False)
    assert not any(output_dir().rglob("*"))  # nothing written where the batch run writes


def test_links_carry_the_files_under_safe_names(table):
    files = download_files({"Plan comparison": table}, "../../evil <b>")
    assert all(re.fullmatch(r"[a-z0-9_.-]+", name) for name in files)
    html = links_html(files)
    for name, content in files.items():
        data = re.search(rf"download='{re.escape(name)}' href='data:[^;]+;base64,([^']+)'",
                         html).group(1)
        assert base64.b64decode(data) == content
    assert file_stem("  ") == "download"


def test_the_button_builds_links_from_what_is_shown_now(table):
    shown = {"now": None}
    downloads = Downloads(lambda: shown["now"], "levels")
    downloads.prepare()
    assert "nothing to download yet" in downloads.links.value
    shown["now"] = {"Levels": table}
    downloads.button.click()
    assert "levels.xlsx" in downloads.links.value and "levels_levels.csv" in downloads.links.value
    downloads.clear()
    assert downloads.links.value == ""
    shown["now"] = {"bad:name": table}  # Excel refuses the sheet name: said, not raised
    downloads.prepare()
    assert "panel-error" in downloads.links.value and "bad:name" in downloads.links.value


def test_targets_panel_hands_over_the_plan_on_screen_and_resets_to_its_settings(tmp_path):
    from helpers import load_sample
    from helpers.ui.targets import TargetsPanel

    panel = TargetsPanel(load_sample(), growth=0.05, grain="quarter")
    panel.growth.value = 0.12  # the plan on screen now is not the page's own
    panel.downloads.prepare()
    names = re.findall(r"download='([^']+)'", panel.downloads.links.value)
    assert names == [f"targets_{panel.plan.year}.xlsx",
                     f"targets_{panel.plan.year}_targets_by_rep.csv",
                     f"targets_{panel.plan.year}_targets_by_quarter.csv"]
    data = re.search(r"targets_by_rep.csv' href='data:text/csv;base64,([^']+)'",
                     panel.downloads.links.value).group(1)
    handed = pd.read_csv(io.BytesIO(base64.b64decode(data)))
    shown = panel.plan.targets
    key = ["rep_id", "measure"]  # matched by key, not by row order
    merged = handed.merge(shown[[*key, "target"]], on=key, suffixes=("", "_shown"))
    assert len(merged) == len(shown) == len(handed)
    assert (merged["target"] - merged["target_shown"]).abs().max() < 1e-6
    assert "+7.0 pts vs baseline" in panel.cards.value  # growth 12% against 5%
    panel.scenarios.reset_button.click()
    assert panel.growth.value == 0.05 and panel.downloads.links.value == ""
    assert panel.cards.value.count("same as baseline") == 4
    assert "back to this page" in panel.scenarios.status.value


def test_plans_are_picked_by_ticking_boxes_and_saved_in_a_scenario(tmp_path):
    from traitlets import TraitError

    from helpers.ui.base import Checklist
    from helpers.ui.scenarios import ScenarioBar, check_setting

    plans = Checklist(["A", "B", "C"], value=("A", "C"), description="Plans")
    assert [box.value for box in plans.boxes.values()] == [True, False, True]
    plans.boxes["B"].value = True  # a person ticks B: the value follows, in shown order
    assert plans.value == ("A", "B", "C")
    plans.boxes["A"].value = False
    assert plans.value == ("B", "C")
    plans.value = ("C",)  # set by code (a scenario load): the boxes follow
    assert [box.value for box in plans.boxes.values()] == [False, False, True]
    with pytest.raises(TraitError, match="not offered: D"):
        plans.value = ("D",)
    with pytest.raises(Exception, match="not offered here"):
        check_setting(plans, ["A", "D"])
    bar = ScenarioBar("incentives", {"plans": plans}, folder=tmp_path)
    bar.name.value = "Two plans"
    plans.value = ("A", "B")
    bar.save_button.click()
    plans.value = ()
    bar.load_button.click()
    assert plans.value == ("A", "B") and plans.boxes["B"].value
    plans.options = ("B", "E")  # an option gone is unticked, a new one offered
    assert plans.value == ("B",) and list(plans.boxes) == ["B", "E"]


def test_two_scenarios_side_by_side_leave_the_panel_as_it_was(tmp_path):
    from helpers import load_sample, targets
    from helpers.ui.targets import TargetsPanel

    ds = load_sample()
    panel = TargetsPanel(ds, growth=0.05)
    panel.scenarios.folder = tmp_path
    panel.growth.value = 0.15
    panel.scenarios.name.value = "High growth"
    panel.scenarios.save_button.click()
    panel.growth.value = 0.08  # what is on screen now: neither A nor B
    shown = panel.plan.totals["revenue"]
    compare = panel.comparison
    assert compare.second.options == ("this page's settings", "High growth")  # offered at once
    compare.second.value = "High growth"
    compare.button.click()
    rows = compare.out.value.split("key-figure-row")[1:]
    assert len(rows) == 2 and "A: this page" in rows[0] and "B: High growth" in rows[1]
    assert "vs A" not in rows[0] and "vs A" in rows[1]
    high = targets.plan_targets(ds, panel.plan.year, growth=0.15, ramp=panel.fitted,
                                measures=("revenue",)).totals["revenue"]
    assert fmt(high, "money", compact=True) in rows[1]  # B: the saved scenario's own plan
    assert panel.growth.value == 0.08 and panel.plan.totals["revenue"] == shown
    (tmp_path / "broken.yaml").write_text("targets: {growth: 9}\n")  # outside the slider
    panel.scenarios.refresh()
    compare.second.value = "broken"
    compare.compare()
    said = compare.out.value
    assert "panel-error" in said and "B: scenario &#x27;broken&#x27;: growth: 9" in said
    assert panel.growth.value == 0.08
