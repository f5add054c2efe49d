"""Excel output: same numbers as the frames, and formatted for a human."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from helpers.errors import ExportError
from helpers.export import (
    COUNT_FORMAT,
    HEADERS,
    MACHINE,
    MONEY_FORMAT,
    SHARE_FORMAT,
    machine_name,
    read_workbook,
    write_workbook,
)


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
    back = read_workbook(path)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(back[name], frame, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


def test_headers_formats_panes_and_filters(tmp_path, frames):
    book = load_workbook(write_workbook(tmp_path / "plan.xlsx", frames,
                                        freeze_columns={"Targets": 2}))
    sheet = book["Targets"]
    assert sheet["A1"].font.bold
    assert [c.value for c in sheet[1]] == ["Rep ID", "Month", "Revenue target", "New customers"]
    assert sheet.freeze_panes == "C2"
    assert book["Levels"].freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:D3"
    assert sheet["C2"].number_format == MONEY_FORMAT
    assert sheet["D2"].number_format == COUNT_FORMAT
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert book["Levels"]["C2"].number_format == SHARE_FORMAT


def test_bad_sheet_name_is_refused_before_writing(tmp_path, frames):
    with pytest.raises(ExportError, match="sheet name"):
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
    """Machine name -> the column's data cells (the header is in plain words)."""
    return {machine_name(col[0].value): col[1:] for col in sheet.iter_cols()}


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
    back = read_workbook(path)["Fairness"]
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


# ------------------------------------------------------------- the plan workbook, whole

YEAR = 2027


@pytest.fixture
def outputs(tmp_path):
    """A small run's output folder: the seven CSVs under the names and columns the notebooks
    write, and each notebook's run record."""
    from helpers.records import record_run

    rng = np.random.default_rng(5)
    reps = ["R003", "R001", "R002"]  # not in sorted order: the workbook must not care
    months = pd.date_range(f"{YEAR}-01-01", periods=12, freq="MS")
    keys = pd.DataFrame({"rep_id": reps, "region": ["East", "North", "North"],
                         "team": ["East A", "North A", "North B"]})
    long = []
    for measure, scale in (("revenue", 100_000), ("new_customers", 3)):
        for _, rep in keys.iterrows():
            values = np.round(rng.uniform(0.5, 1.5, 12) * scale, 2 if scale > 10 else 0)
            long.append(pd.DataFrame({**rep.to_dict(), "measure": measure,
                                      "quarter": months.quarter, "month": months,
                                      "target": values}))
    targets = pd.concat(long, ignore_index=True)
    if len(targets):  # a rep hired in March: no target in its first two months
        targets = targets.drop(targets.index[(targets["rep_id"] == "R003")
                                             & (targets["month"] < f"{YEAR}-03-01")])
    weekly = targets.head(6).assign(week_start=lambda f: f["month"], working_days=5)
    frames = {
        "targets": targets,
        "targets_by_week": weekly[["rep_id", "region", "team", "measure", "quarter", "month",
                                   "week_start", "working_days", "target"]],
        "levels": pd.DataFrame({"rep_id": reps, "year": YEAR, "name": ["A", "B", "C"],
                                "score": [61.7, 37.6, 50.0], "level": ["top", "junior",
                                                                      "senior"]}),
        "calibration": pd.DataFrame({"rep_id": reps[:2], "probability": [0.507, 0.482],
                                     "stake": [0.49, 0.51]}),
        "fairness": pd.DataFrame({"outcome": "senior or above", "by": "gender",
                                  "group": ["F", "M"], "n": [52, 62], "selected": [35, 37],
                                  "rate": [0.673, 0.597], "ratio": [1.0, 0.887],
                                  "four_fifths": [False, False], "fisher_p": [np.nan, 0.44],
                                  "ci_low": [np.nan, 0.671], "ci_high": [np.nan, 1.172],
                                  "ci_method": ["", "Katz log"], "reference": [True, False]}),
        "incentives": pd.DataFrame({"year": YEAR, "rep_id": reps * 2,
                                    "level": ["top", "junior", "senior"] * 2,
                                    "plan": ["Current plan"] * 3 + ["Tiered"] * 3,
                                    "target_incentive": [56000.0, 26000.0, 30000.0] * 2,
                                    "expected_attainment": rng.uniform(0.6, 2.4, 6).round(4),
                                    "expected_pay": rng.uniform(1e4, 9e4, 6).round(2),
                                    "replay_pay": [84719.42, np.nan, 1.5, 3.25, 7.0, 8.01]}),
        "incentives_metrics": pd.DataFrame({
            "plan": ["Current plan", "Tiered"], "expected_cost": [4233812.31, 5126123.92],
            "p90_cost": [4677639.62, 5640972.95], "base_salaries": [8317000.0, 8317000.0],
            "variable_cost_of_sales": [0.0300040067, 0.0363276039],
            "total_cost_of_sales": [0.0889445799, 0.0952681771],
            "share_at_target": [0.5415, 0.5415], "top_decile_to_median": [2.03, 2.36],
            "gini": [0.3526, 0.3636], "spearman_pay_perf": [0.798, 0.669],
            "marginal_at_100": [804.01, 769.21]}),
    }
    for stem, frame in frames.items():
        frame.to_csv(tmp_path / f"{stem}_{YEAR}.csv", index=False)
    record_run(tmp_path, "01_targets", year=YEAR, data_path="/srv/clients/acme_2026",
               settings={"growth": 0.05, "method": "history", "year_weights": (0.5, 0.3, 0.2),
                         "seed": np.int64(2027)},
               figures=[("Company target", np.float64(118896125.4), "money"),
                        ("Reps expected at target", 0.542, "share")])
    record_run(tmp_path, "03_incentives", year=YEAR, data_path="/srv/clients/acme_2026",
               settings={"plans": ["Current plan", "Tiered"], "seed": 0, "budget": None},
               figures=[("Expected cost, Current plan", 4233812.31, "money")])
    return tmp_path


def _plain_shown(cell) -> str:
    """What Excel shows for a number under the formats the workbook uses."""
    fmt = cell.number_format
    if fmt == "General":
        return str(cell.value)
    return _shown(cell)


def test_every_percent_cell_holds_a_fraction_that_reads_as_the_csv(outputs):
    """One convention: a percent-formatted cell holds the CSV's fraction, so 0.0303 reads
    3.0%; nothing is a hundred times off, a year reads 2027, and Gini and the fairness
    interval read like the estimates they go with."""
    from helpers.export import COEFFICIENT_FORMAT, PLAN_FILES, plan_workbook

    book = load_workbook(plan_workbook(outputs))
    checked = 0
    for sheet, (stem, _, _) in PLAN_FILES.items():
        if sheet == "Targets" or sheet not in book.sheetnames:  # an optional sheet not written
            continue
        csv = pd.read_csv(outputs / f"{stem}_{YEAR}.csv")
        for name, cells in _columns(book[sheet]).items():
            rows = cells[:len(csv)]  # a blank cell is not written: it shows the column's style
            if not any(c.number_format.endswith("%") for c in rows):
                continue
            for cell, value in zip(rows, csv[name], strict=True):
                if pd.isna(value):
                    assert cell.value is None
                    continue
                assert cell.number_format.endswith("%"), (sheet, name, cell.coordinate)
                assert abs(cell.value) <= 10, (sheet, name, cell.value)
                assert _shown(cell) == f"{value * 100:.1f}%", (sheet, name)
                checked += 1
    assert checked >= 20
    comparison = _columns(book["Plan comparison"])
    assert _shown(comparison["variable_cost_of_sales"][0]) == "3.0%"
    assert {c.number_format for c in comparison["gini"]} == {COEFFICIENT_FORMAT}
    assert _shown(comparison["gini"][0]) == "0.353"
    fairness = _columns(book["Fairness"])
    assert ({c.number_format for c in fairness["ci_low"] + fairness["ci_high"]}
            == {c.number_format for c in fairness["ratio"]} == {SHARE_FORMAT})
    for sheet in ("Levels", "Payouts"):
        assert {_plain_shown(c) for c in _columns(book[sheet])["year"] if c.value} == {"2027"}
    payouts = _columns(book["Payouts"])
    assert [c.value for c in payouts["rep_id"][7:]] == ["Total", "Total"]  # not in the year


def _sum_range(sheet, span: str, where=None) -> tuple[list[int], float]:
    """The rows a range covers and the sum of its numbers (those whose row passes `where`)."""
    from openpyxl.utils import range_boundaries

    col, first, col2, last = range_boundaries(span.replace("$", ""))
    assert col == col2, span
    rows = list(range(first, last + 1))
    values = [sheet.cell(row=r, column=col).value for r in rows if where is None or where(r)]
    return rows, sum(v for v in values if isinstance(v, int | float))


SUMIF = re.compile(r"=SUMIF\((\$[A-Z]+\$\d+:\$[A-Z]+\$\d+),([A-Z]+\d+),([A-Z]+\d+:[A-Z]+\d+)\)")


def test_totals_are_formulas_over_exactly_the_data_rows(outputs):
    """Totals are Excel formulas a reader can follow: each covers exactly the data rows
    (not the header, not another total), totals per measure or plan (never revenue plus
    customers) and per rep's year, and each adds up to the CSV's total to the cent."""
    from openpyxl.utils import column_index_from_string

    from helpers.export import plan_workbook

    book = load_workbook(plan_workbook(outputs))
    long = pd.read_csv(outputs / f"targets_{YEAR}.csv")
    payouts = pd.read_csv(outputs / f"incentives_{YEAR}.csv")
    cases = {"Targets": (long, "measure", None), "Payouts": (payouts, "plan", "expected_pay"),
             "Targets by week": (pd.read_csv(outputs / f"targets_by_week_{YEAR}.csv"),
                                 "measure", "target")}
    for name, (csv, by, column) in cases.items():
        sheet = book[name]
        headers = {machine_name(c.value): c.column for c in sheet[1]}
        data_rows = list(range(2, 2 + (len(csv) if name != "Targets" else
                                       len(csv.groupby(["rep_id", "measure"])))))
        last = data_rows[-1]
        assert all(c.value is None for c in sheet[last + 1]), "a blank row before the totals"
        totals = [r for r in range(last + 2, sheet.max_row + 1)]
        assert [sheet.cell(row=r, column=headers[by]).value for r in totals] == list(
            pd.unique(csv[by]))
        for r in totals:
            group = sheet.cell(row=r, column=headers[by]).value
            columns = [column] if column else [c for c in headers if re.fullmatch(
                r"\d{4}-\d\d", c)] + ["year_total"]
            for col in columns:
                formula = sheet.cell(row=r, column=headers[col]).value
                criteria, cell, span = SUMIF.fullmatch(formula).groups()
                assert sheet[cell].value == group and column_index_from_string(
                    cell.rstrip("0123456789")) == headers[by]
                assert _sum_range(sheet, criteria)[0] == data_rows
                rows, _ = _sum_range(sheet, span)
                assert rows == data_rows
                if col == "year_total":
                    continue  # formulas themselves: checked row by row below
                mask = (csv[by] == group) & (True if column else csv["month"].str[:7] == col)
                expected = csv.loc[mask, column or "target"].sum()
                mine = {row for row in data_rows
                        if sheet.cell(row=row, column=headers[by]).value == group}
                _, got = _sum_range(sheet, span, mine.__contains__)
                assert round(got, 2) == round(expected, 2), (name, group, col)
    # each rep's year: =SUM over its own row's twelve months, the CSV's year to the cent
    sheet = book["Targets"]
    headers = {machine_name(c.value): c.column for c in sheet[1]}
    months = [c for c in headers if re.fullmatch(r"\d{4}-\d\d", c)]
    assert len(months) == 12
    for r in range(2, 2 + len(long.groupby(["rep_id", "measure"]))):
        formula = sheet.cell(row=r, column=headers["year_total"]).value
        first, last_month = sheet.cell(row=r, column=headers[months[0]]).coordinate, \
            sheet.cell(row=r, column=headers[months[-1]]).coordinate
        assert formula == f"=SUM({first}:{last_month})"
        rep, measure = (sheet.cell(row=r, column=headers[k]).value for k in ("rep_id", "measure"))
        expected = long.loc[(long["rep_id"] == rep) & (long["measure"] == measure), "target"]
        got = sum(sheet.cell(row=r, column=headers[m]).value or 0 for m in months)
        assert round(got, 2) == round(expected.sum(), 2)


def test_headers_are_plain_words_and_read_back_as_the_csv_columns(outputs):
    from helpers.export import PLAN_FILES, plain_header, plan_workbook

    path = plan_workbook(outputs)
    book = load_workbook(path)
    assert [c.value for c in book["Plan comparison"][1]][:3] == ["Plan", "Expected cost",
                                                               "P90 cost"]
    assert plain_header("cost_of_sales") == "Cost of sales"
    assert plain_header("expected_cost") == "Expected cost"
    for sheet in book.worksheets:
        assert not any(re.search(r"[a-z]_[a-z]", str(c.value)) for c in sheet[1]), sheet.title
    tables = read_workbook(path)
    for sheet, (stem, _, _) in PLAN_FILES.items():
        if sheet not in tables:  # an optional sheet whose file this folder lacks
            continue
        csv = pd.read_csv(outputs / f"{stem}_{YEAR}.csv")
        assert "_" in "".join(csv.columns)  # the CSVs keep their machine names
        if sheet != "Targets":
            assert list(tables[sheet].columns) == list(csv.columns), sheet
            pd.testing.assert_frame_equal(
                tables[sheet].drop(columns=[c for c in ("month", "week_start")
                                            if c in csv]),
                csv.drop(columns=[c for c in ("month", "week_start") if c in csv]),
                check_dtype=False, obj=sheet)


SNAKE_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,3}", fullmatch=True)


@given(st.one_of(SNAKE_NAMES, st.text(max_size=12).filter(  # not already a plain header
    lambda t: t not in MACHINE and not re.fullmatch(r"[A-Z][a-z0-9]*( [a-z0-9]+)*", t)),
                 st.sampled_from(sorted(HEADERS))))
@settings(max_examples=300, deadline=None)
def test_every_header_leads_back_to_its_column(name):
    """snake_case names, the mapped names and anything not already in sentence case
    ("2027-01") read back exactly; a name already in sentence case reads back in snake_case
    (as documented)."""
    from helpers.export import plain_header

    header = plain_header(name)
    assert machine_name(header) == name
    if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name):
        assert "_" not in header or header == name


@given(st.lists(st.tuples(st.sampled_from(["revenue", "new_customers", "csat"]),
                          st.integers(-10**9, 10**9)), min_size=1, max_size=12),
       st.booleans())
@settings(max_examples=15, deadline=None)
def test_totals_rows_add_up_the_rows_above(tmp_path_factory, rows, grouped):
    """Whatever the rows: a total covers the data rows and nothing else, and equals the
    frame's sum (cents as integers, so the comparison is exact)."""
    from helpers.export import Sheet

    frame = pd.DataFrame(rows, columns=["measure", "cents"]).assign(
        amount=lambda f: f["cents"] / 100, rep_id=lambda f: [f"R{i}" for i in range(len(f))])
    path = write_workbook(tmp_path_factory.mktemp("t") / "t.xlsx", {"T": Sheet(
        frame, totals=("amount",), by="measure" if grouped else None)})
    sheet = load_workbook(path)["T"]
    last = len(frame) + 1
    groups = list(pd.unique(frame["measure"])) if grouped else [None]
    for r, group in enumerate(groups, start=last + 2):
        formula = sheet.cell(row=r, column=3).value
        span = SUMIF.fullmatch(formula).group(3) if grouped else formula[5:-1]
        assert formula.startswith("=SUMIF(" if grouped else "=SUM(")
        rows, _ = _sum_range(sheet, span)
        assert rows == list(range(2, last + 1))
        cents = frame.loc[frame["measure"] == group if grouped else slice(None), "cents"]
        _, got = _sum_range(sheet, span, lambda row, g=group: not grouped
                            or sheet.cell(row=row, column=1).value == g)
        assert round(got * 100) == cents.sum()
    assert sheet.max_row == last + 1 + len(groups)
    assert read_workbook(path)["T"]["amount"].tolist() == frame["amount"].tolist()


def test_the_assumptions_sheet_states_what_the_numbers_come_from(outputs):
    from helpers.export import plan_workbook
    from helpers.records import workbook_version

    path = plan_workbook(outputs)
    book = load_workbook(path)
    assert book.sheetnames[0] == "Assumptions"
    assert book.calculation.fullCalcOnLoad  # Excel computes the totals on opening
    long_text = [c for c in book["Assumptions"]["C"][1:] if len(str(c.value)) > 40]
    assert long_text and all(c.alignment.wrap_text for c in long_text)  # not cut off at 40
    assert not any(c.alignment.wrap_text for c in book["Assumptions"]["A"][1:])  # all short
    table = read_workbook(path)["Assumptions"]
    values = {(s, k): v for s, k, v in table[["section", "setting", "value"]].itertuples(
        index=False)}
    record = json.loads((outputs / "settings_01_targets.json").read_text())
    assert values[("Run", "Run date")] == record["run_date"]
    assert values[("Run", "Data source")] == "acme_2026"  # the folder's name, not its path
    assert not table["value"].str.contains("/srv").any()
    assert values[("Run", "Plan year")] == str(YEAR)
    assert values[("Run", "Workbook version")] == workbook_version()
    assert values[("Targets", "Company growth on last year")] == "5.0%"
    assert values[("Targets", "Split to reps by")] == "history"
    assert values[("Targets", "Weights of the last years, most recent first")] == "0.5, 0.3, 0.2"
    assert values[("Targets", "Random seed")] == "2027"
    assert values[("Targets: key figures", "Company target")] == "118,896,125"
    assert values[("Targets: key figures", "Reps expected at target")] == "54.2%"
    assert values[("Incentives", "Plans compared")] == "Current plan, Tiered"
    assert values[("Incentives", "Budget limits")] == "none (the default)"
    assert values[("Levels", "Settings")].startswith("not recorded")  # 02 wrote no record


def test_a_broken_run_record_is_named(outputs):
    from helpers.export import plan_workbook
    from helpers.records import read_run, record_run

    (outputs / "settings_02_grading.json").write_text("{not json")
    with pytest.raises(ExportError, match="settings_02_grading.json: not JSON"):
        plan_workbook(outputs)
    (outputs / "settings_02_grading.json").write_text('{"run_date": "2026-11-30"}')
    with pytest.raises(ExportError, match="settings_02_grading.json: key 'data_source'"):
        read_run(outputs, "02_grading")
    with pytest.raises(ExportError, match=r"\['Reps'\].*kind"):
        record_run(outputs, "02_grading", year=YEAR, figures=[("Reps", 3, "people")])


# ------------------------------------------------------------------- the HTML reports

def _tiny_notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    return new_notebook(cells=[
        new_markdown_cell("# 01 · Targets: next year's numbers\n\nFor the analyst."),
        new_markdown_cell("## Parameters"),
        new_code_cell("growth = 0.05", metadata={"tags": ["parameters"]}),
        new_code_cell("x = 1", outputs=[new_output("stream", name="stdout", text="120 reps\n")]),
        new_markdown_cell("## Try it: widgets\n\nMove the controls.",
                          metadata={"tags": ["interactive"]}),
        new_code_cell("panel(...)", metadata={"tags": ["nbval-ignore-output", "interactive"]},
                      outputs=[new_output("stream", name="stdout",
                                          text="The panel: not built in this headless run")]),
        new_markdown_cell("## Phasing"),
        new_code_cell("table", outputs=[new_output("execute_result", data={
            "text/html": "<table><tr>" + "<td>wide</td>" * 60 + "</tr></table>"})]),
        new_markdown_cell("## Statements"),
        new_code_cell("viewer", metadata={"tags": ["interactive"]}),
    ])


def test_the_report_has_a_title_a_dated_summary_and_no_empty_interactive_section(tmp_path):
    from helpers.records import read_run, record_run
    from helpers.report import notebook_report

    record_run(tmp_path, "01_targets", year=YEAR, data_path=tmp_path / "acme",
               settings={"growth": 0.05, "method": "history"},
               figures=[("Company target", 118896125.4, "money"),
                        ("Reps expected at target", 0.542, "share")])
    record = read_run(tmp_path, "01_targets")
    nb = _tiny_notebook()
    page = notebook_report(nb, record)
    assert "<title>01 · Targets: next year&#39;s numbers</title>" in page \
        or "<title>01 · Targets: next year's numbers</title>" in page
    body = page[page.index("<body"):]
    summary = body.index("report-summary")
    assert body.index("For the analyst") < summary < body.index("Parameters")
    settings_at = body.index("Settings of this run")
    assert body.index("Parameters") < settings_at < body.index("120 reps")
    assert "Company growth on last year</td><td>5.0%" in body[settings_at:]
    assert f"run {record['run_date']}" in body and "data: acme" in body
    assert "118,896,125" in body and "54.2%" in body
    assert str(tmp_path) not in page
    assert "not built in this headless run" not in body and "Move the controls" not in body
    assert body.count("open the app or the notebook to try this") == 2
    assert body.index("Try it: widgets") < body.index("open the app") < body.index("Phasing")
    assert "overflow-x: auto" in page[:page.index("</head>")]
    assert len(nb.cells) == 10 and "interactive" in nb.cells[4].metadata["tags"]  # unchanged


def test_a_report_without_a_record_has_no_summary():
    from helpers.report import notebook_report

    page = notebook_report(_tiny_notebook())
    assert 'class="report-summary"' not in page
    assert "<title>01 · Targets" in page


def test_targets_phased_to_months_leave_the_weekly_sheet_out_and_say_so(outputs):
    """`run -p grain month` writes no weekly file: the workbook has no weekly sheet and its
    Assumptions say what the targets were phased to; a weekly file missing otherwise is
    still an error naming the notebook."""
    from helpers.export import plan_workbook, read_workbook
    from helpers.records import read_run, record_run

    (outputs / f"targets_by_week_{YEAR}.csv").unlink()
    with pytest.raises(FileNotFoundError, match="01_targets"):
        plan_workbook(outputs)
    record = read_run(outputs, "01_targets")
    record_run(outputs, "01_targets", year=YEAR, settings={**record["settings"], "grain": "month"})
    sheets = read_workbook(plan_workbook(outputs))
    assert "Targets by week" not in sheets and "Targets" in sheets
    said = sheets["Assumptions"]
    assert ((said["setting"] == "Phased to") & (said["value"] == "month")).any()
