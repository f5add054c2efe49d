"""Hand-overs a client can open: the plan workbook and the notebooks' HTML reports.

The workbook: headers in plain words (one mapping, `HEADERS`; CSVs keep their machine
names), number formats, frozen panes and filters, totals as Excel formulas, an
Assumptions sheet, written atomically. The numbers are the frames' numbers, unrounded;
only the display format rounds.

One convention for every sheet and CSV: shares and ratios are stored as fractions (0.0303)
and shown with a percent format (3.0%); nothing is multiplied by 100. A column named `_pct`
or `percent` holds percentage numbers and never gets a percent format. A coefficient (Gini,
a rank correlation) is an index, shown as 0.353; an interval (`ci_low`, `ci_high`) is shown
in the format of the estimate it bounds.

The notebooks record their settings and key figures with `record_run`
(`settings_<notebook>.json` in the output folder); the workbook's Assumptions sheet and the
reports' summary read them back (`read_run`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from .data import write_atomic
from .errors import ExportError
from .records import assumptions, plain_words, read_run

MONEY = re.compile(r"revenue|target|quota|payout|cost|amount|commission|bonus|pay|draw|prize"
                   r"|incentive|earn|potential|salar|p\d\d|expected|actual|projected|needed", re.I)
WORD = r"(?<![a-z])({})s?(?![a-z])"  # a whole word of a snake_case name: not "generated"
FRACTION = re.compile(WORD.format("share|rate|probability|chance") + "|cost_of_sales", re.I)
MULTIPLE = re.compile(WORD.format("attainment|ratio|pace"), re.I)  # may pass 100%: 240% of target
COEFFICIENT = re.compile(WORD.format("gini|spearman|correlation"), re.I)  # an index, not a share
PERCENT_NUMBER = re.compile(r"pct|percent", re.I)
YEAR = re.compile(WORD.format("year"), re.I)
INTERVAL = re.compile(r"(?:(?P<stem>.+)_)?ci_(?:low|high)")
BARE_INTERVAL_OF = ("ratio", "estimate", "mean")  # what a bare ci_low / ci_high bounds
MONEY_FORMAT, COUNT_FORMAT, SHARE_FORMAT, YEAR_FORMAT = "#,##0.00", "#,##0", "0.0%", "0"
COEFFICIENT_FORMAT = "0.000"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_STYLE = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3A5F",
                "text_wrap": True, "valign": "vcenter", "border": 0}
TOTAL_STYLE = {"bold": True, "bg_color": "#E8EEF5"}

HEADERS = {  # machine name -> header in plain words; any other snake_case name: sentence case
    "rep_id": "Rep ID", "manager_id": "Manager ID", "name": "Name", "region": "Region",
    "team": "Team", "measure": "Measure", "quarter": "Quarter", "month": "Month",
    "week_start": "Week starting", "working_days": "Working days", "target": "Target",
    "year": "Year", "year_total": "Year total", "level": "Level", "score": "Score",
    "current": "Current level", "proposed": "Proposed level", "change": "Change",
    "note": "Note", "needs": "Needs to reach the level", "shrunk": "Pooled score",
    "posterior_sd": "Pooled score ± (sd)", "probability": "Chance the level is right",
    "stake": "Stake", "evidence": "Evidence", "final_level": "Final level",
    "reason": "Reason", "decided_by": "Decided by", "outcome": "Outcome",
    "by": "Grouped by", "group": "Group", "n": "Reps", "selected": "Selected",
    "rate": "Selection rate", "ratio": "Ratio to reference group",
    "four_fifths": "Below four-fifths", "fisher_p": "Fisher p-value",
    "ci_low": "Ratio, low end (95%)", "ci_high": "Ratio, high end (95%)",
    "ci_method": "Interval method", "reference": "Reference group", "plan": "Plan",
    "target_incentive": "Target incentive", "expected_attainment": "Expected attainment",
    "expected_pay": "Expected pay", "replay_pay": "Paid on last year's results",
    "expected_cost": "Expected cost", "p50_cost": "Median cost", "p90_cost": "P90 cost",
    "p99_cost": "P99 cost", "base_salaries": "Base salaries",
    "variable_cost_of_sales": "Variable cost of sales",
    "total_cost_of_sales": "Total cost of sales",
    "share_at_threshold": "Reps at threshold", "share_at_target": "Reps at target",
    "share_at_excellence": "Reps at excellence",
    "top_decile_to_median": "Top tenth's pay ÷ median pay", "gini": "Gini (pay spread)",
    "spearman_pay_perf": "Pay-performance rank correlation",
    "marginal_at_80": "Extra pay per 1% at 80%", "marginal_at_100": "Extra pay per 1% at 100%",
    "marginal_at_120": "Extra pay per 1% at 120%",
    "months_done": "Months done", "ytd_actual": "Actual, year to date",
    "ytd_target": "Target, year to date", "attainment_to_date": "Attainment to date",
    "ytd_share": "Share of the year's target done", "projected": "Projected at this pace",
    "pace": "Pace", "remaining_target": "Target still to go", "months_left": "Months left",
    "needed_per_month": "Needed a month", "expected_year_end": "Expected year end",
    "year_end_p10": "Year end, low (P10)", "year_end_p90": "Year end, high (P90)",
    "flag": "Flag", "as_of": "As of", "top_down": "Top-down target",
    "gap_share": "Gap (% of top-down)", "best_12_months": "Best 12 months",
    "earned_ytd": "Earned, year to date", "paid_ytd": "Paid, year to date",
    "period_end": "Period ends", "pay_date": "Pay date", "needed": "Needed for the next step",
    "needed_note": "About the next step", "rank_change": "Rank change",
    "chance_of_target": "Chance of reaching target",
}
MACHINE = {header: name for name, header in HEADERS.items()}
SENTENCE = re.compile(r"[A-Z][a-z0-9]*(?: [a-z0-9]+)*")


def machine_name(header: str) -> str:
    """The column name a workbook header stands for (the inverse of `plain_header`).

    Parameters
    ----------
    header : str
        A header as written in the workbook.

    Returns
    -------
    str
        The machine (CSV) name: from `HEADERS`, else sentence case back to snake_case,
        else the header as it is (so a column named in sentence case to begin with,
        "Value", reads back as "value").
    """
    if header in MACHINE:
        return MACHINE[header]
    if SENTENCE.fullmatch(header):
        return header.lower().replace(" ", "_")
    return header


def plain_header(column: str) -> str:
    """The header a reader sees for a column: `HEADERS`, or snake_case in sentence case.

    A name whose plain header would read back as another column (`machine_name`) keeps its
    machine name, so every header leads back to exactly one column.

    Parameters
    ----------
    column : str
        The machine (CSV) name.

    Returns
    -------
    str
        The header in plain words ("cost_of_sales" -> "Cost of sales"); a name that is not
        snake_case as it is ("2027-01").
    """
    header = HEADERS.get(column) or plain_words(column)
    return header if machine_name(header) == column else column


def number_format(column: str, values: pd.Series) -> str | None:
    """Display format for a column, from its dtype and its name.

    A share-like name gets a percent format only while its values can be fractions (up to
    1.5, or 10 for attainment and ratios): larger ones are percentage numbers, and shown as
    they are rather than 100 times too big. Coefficients (Gini, rank correlations) are
    indices, shown with three decimals.

    Parameters
    ----------
    column : str
        Column name (words such as revenue, share, attainment, year decide).
    values : pandas.Series
        The column's values (dtype, and the largest for share-like names).

    Returns
    -------
    str or None
        An Excel number format, or None for text and booleans.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return "yyyy-mm-dd"
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if YEAR.search(column) and pd.api.types.is_integer_dtype(values):
        return YEAR_FORMAT  # 2027, not 2,027
    if COEFFICIENT.search(column):
        return COEFFICIENT_FORMAT
    largest = values.abs().max(skipna=True)
    limit = 10 if MULTIPLE.search(column) else 1.5 if FRACTION.search(column) else None
    if limit and not PERCENT_NUMBER.search(column) and not largest > limit:  # NaN: all empty
        return SHARE_FORMAT
    if MONEY.search(column):
        return MONEY_FORMAT
    if pd.api.types.is_integer_dtype(values):
        return COUNT_FORMAT
    return "#,##0.00"


def column_formats(frame: pd.DataFrame) -> dict[str, str | None]:
    """Each column's display format (`number_format`), an interval in its estimate's.

    `x_ci_low` / `x_ci_high` take the format of `x`; a bare `ci_low` / `ci_high` that of
    the first of `BARE_INTERVAL_OF` in the frame (a fairness table's `ratio`), so an
    estimate and its interval always read alike.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to format.

    Returns
    -------
    dict of str to str or None
        Column name -> Excel number format (None for text and booleans).
    """
    formats = {str(c): number_format(str(c), frame[c]) for c in frame.columns}
    for column in formats:
        match = INTERVAL.fullmatch(column)
        if not match or formats[column] is None:
            continue
        estimate = match["stem"] or next((c for c in BARE_INTERVAL_OF if c in formats), None)
        if estimate in formats and formats[estimate] is not None:
            formats[column] = formats[estimate]
    return formats


@dataclass(frozen=True)
class Sheet:
    """A table and how its sheet is laid out: frozen columns, totals as Excel formulas.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows, written without the index under plain headers (`plain_header`).
    freeze : int, default 1
        Leading columns kept visible when scrolling right.
    totals : tuple of str, default ()
        Columns summed in totals rows under the data (one blank row between), as
        `=SUM(...)` over exactly the data rows.
    by : str or None, default None
        One totals row per value of this column (`=SUMIF(...)`), for a sheet whose rows
        mix what must not be added up (measures, plans); None for one "Total" row.
    row_total : str or None, default None
        A column written as `=SUM(...)` of the `row_sum` columns on its own row.
    row_sum : tuple of str, default ()
        The columns `row_total` adds up.
    """

    frame: pd.DataFrame
    freeze: int = 1
    totals: tuple[str, ...] = ()
    by: str | None = None
    row_total: str | None = None
    row_sum: tuple[str, ...] = ()


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame | Sheet],
                   freeze_columns: dict[str, int] | None = None) -> Path:
    """Write `sheets` (name -> frame or `Sheet`) to one .xlsx, each formatted for reading.

    Headers are in plain words (`plain_header`), numbers keep every digit under a display
    format (`column_formats`), totals are formulas a reader can follow. `read_workbook`
    reads the tables back under their machine names.

    Parameters
    ----------
    path : str or pathlib.Path
        The .xlsx to write (atomically).
    sheets : mapping of str to pandas.DataFrame or Sheet
        Sheet name -> table, in sheet order; a bare frame is a `Sheet` without totals.
    freeze_columns : dict of str to int or None, default None
        Sheet name -> leading columns kept visible, for sheets given as bare frames;
        1 for a sheet not named.

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    ExportError
        If a sheet name is longer than 31 characters or has a character Excel forbids
        ([ ] : * ? / or a backslash), or a sheet's totals name a column it lacks.
    """
    freeze_columns = freeze_columns or {}
    specs = {name: spec if isinstance(spec, Sheet)
             else Sheet(spec, freeze=freeze_columns.get(name, 1)) for name, spec in sheets.items()}
    for name, spec in specs.items():
        if len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ExportError(f"sheet name {name!r}: at most 31 characters, none of []:*?/\\")
        named = [*spec.totals, *([spec.by] if spec.by else []),
                 *([spec.row_total] if spec.row_total else []), *spec.row_sum]
        missing = [c for c in named if c not in spec.frame.columns]
        if missing:
            raise ExportError(f"sheet {name!r}: totals name columns it lacks: {missing}")

    def write(tmp: Path) -> None:
        # xlsxwriter, cell by cell from the columns (openpyxl and pandas' writer build an
        # object per cell: 2-4x slower on the weekly sheet); Excel computes totals on opening
        import xlsxwriter

        book = xlsxwriter.Workbook(str(tmp))
        try:
            style = _Styles(book)
            for name, spec in specs.items():
                sheet = book.add_worksheet(name)
                formats = column_formats(spec.frame)
                for i, column in enumerate(spec.frame.columns):
                    _write_column(sheet, i, spec.frame[column], style, formats[str(column)])
                _format(sheet, spec, style)
        finally:
            book.close()

    return write_atomic(path, write)


def _write_column(sheet, col: int, values: pd.Series, style: _Styles,
                  fmt: str | None) -> None:
    """One column's data rows (from row 2): numbers as numbers, dates as dates, text as text
    (never read as a formula or a link); empty and non-finite values stay blank, in the
    column's number format (`fmt`) like the rest of it.
    """
    if fmt:
        blank = style(fmt)
        for row in np.flatnonzero(values.isna().to_numpy()):
            sheet.write_blank(int(row) + 1, col, None, blank)
    if pd.api.types.is_datetime64_any_dtype(values):
        for row, value in enumerate(values, start=1):
            if not pd.isna(value):
                sheet.write_datetime(row, col, value.to_pydatetime(), style(DATE_FORMAT))
    elif pd.api.types.is_bool_dtype(values):
        for row, value in enumerate(values.tolist(), start=1):
            sheet.write_boolean(row, col, bool(value))
    elif pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        for row in np.flatnonzero(np.isfinite(numbers)):
            sheet.write_number(int(row) + 1, col, float(numbers[row]))
    else:
        for row, value in enumerate(values.tolist(), start=1):
            if isinstance(value, str):
                sheet.write_string(row, col, value)
            elif isinstance(value, dt.datetime | dt.date):
                sheet.write_datetime(row, col, value, style(DATE_FORMAT))
            elif isinstance(value, bool | np.bool_):
                sheet.write_boolean(row, col, bool(value))
            elif isinstance(value, int | float | np.number) and np.isfinite(value):
                sheet.write_number(row, col, float(value))
            elif value is not None and not pd.isna(value):
                sheet.write_string(row, col, str(value))


class _Styles:
    """xlsxwriter formats made once per workbook: (number format, role) -> Format."""

    def __init__(self, book):
        self.book, self.made = book, {}

    def __call__(self, number: str | None = None, role: str = "") -> object:
        key = (number, role)
        if key not in self.made:
            props = dict({"header": HEADER_STYLE, "total": TOTAL_STYLE}.get(role, {}))
            if role == "wrap":
                props.update(text_wrap=True, valign="top")
            if number:
                props["num_format"] = number
            self.made[key] = self.book.add_format(props)
        return self.made[key]


def _format(sheet, spec: Sheet, style: _Styles) -> None:
    frame = spec.frame
    columns = [str(c) for c in frame.columns]
    last, n_cols = len(frame) + 1, max(len(columns), 1)  # `last`: the last data row, 1-based
    letter = {c: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    formats = column_formats(frame)
    for i, column in enumerate(columns):
        sheet.write_string(0, i, plain_header(column), style(role="header"))
    sheet.freeze_panes(1, min(spec.freeze, n_cols))
    sheet.autofilter(0, 0, last - 1, n_cols - 1)
    for i, column in enumerate(columns):
        fmt = formats[column]
        lengths = frame[column].head(200).astype("string").str.len().fillna(0)  # all-empty: 0
        sample = int(lengths.max()) if len(lengths) else 0
        header = max(len(word) for word in plain_header(column).split(" ") or [""])
        width = max(min(len(plain_header(column)), 14), header,
                    sample + (3 if fmt == MONEY_FORMAT else 1))
        wrap = fmt is None and sample > 40  # long text (notes, reasons): wrapped, not cut off
        sheet.set_column(i, i, min(max(width, 8), 40), style(fmt, "wrap" if wrap else ""))
    if spec.row_total:
        at = columns.index(spec.row_total)
        fmt = style(formats[spec.row_total])
        for row in range(2, last + 1):
            sheet.write_formula(row - 1, at, _sum([f"{letter[c]}{row}" for c in spec.row_sum]),
                                fmt)
    _total_rows(sheet, spec, columns, letter, last, formats, style)


def _sum(cells: list[str]) -> str:
    """=SUM(E2:P2) over cells next to each other on a row, =SUM(E2,G2) otherwise."""
    columns = [range_boundaries(f"{c}:{c}")[0] for c in cells]
    if columns == list(range(columns[0], columns[0] + len(columns))):
        return f"=SUM({cells[0]}:{cells[-1]})"
    return f"=SUM({','.join(cells)})"


def _total_rows(sheet, spec: Sheet, columns: list[str], letter: dict[str, str], last: int,
                formats: dict[str, str | None], style: _Styles) -> None:
    """Totals rows under the data (one blank row between): =SUM over exactly rows 2..last,
    or =SUMIF on the `by` column, one row per value.
    """
    if not spec.totals or last < 2:
        return
    groups = (list(pd.unique(spec.frame[spec.by].dropna())) if spec.by else [None])
    free = [c for c in columns if c not in spec.totals and c != spec.by]
    label = next((c for c in free if not pd.api.types.is_numeric_dtype(spec.frame[c])),
                 free[0] if free else None)  # "Total" in a text column, not under a year
    for row, group in enumerate(groups, start=last + 2):
        cells = {c: ("", style(formats[c], "total")) for c in columns}
        if label:
            cells[label] = ("Total", cells[label][1])
        if spec.by:
            cells[spec.by] = (group.item() if hasattr(group, "item") else group,
                              cells[spec.by][1])
        for column in spec.totals:
            span = f"{letter[column]}2:{letter[column]}{last}"
            cells[column] = ((f"=SUMIF(${letter[spec.by]}$2:${letter[spec.by]}${last},"
                              f"{letter[spec.by]}{row},{span})" if spec.by
                              else f"=SUM({span})"), cells[column][1])
        for i, column in enumerate(columns):
            value, fmt = cells[column]
            if isinstance(value, str) and value.startswith("="):
                sheet.write_formula(row - 1, i, value, fmt)
            elif value == "":
                sheet.write_blank(row - 1, i, None, fmt)
            else:
                sheet.write(row - 1, i, value, fmt)


def read_workbook(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a workbook `write_workbook` wrote, as the frames they came from.

    Columns under their machine names (`machine_name`), the data rows only (totals rows
    sit under a blank row), and a row total's `=SUM(...)` read as the sum it stands for.

    Parameters
    ----------
    path : str or pathlib.Path
        The .xlsx to read.

    Returns
    -------
    dict of str to pandas.DataFrame
        Sheet name -> table, in sheet order.
    """
    book = load_workbook(path, read_only=True)
    tables = {}
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, ())
            data = []
            for row in rows:
                if all(value is None for value in row):
                    break
                data.append([_row_sum(row, v) if isinstance(v, str) and v.startswith("=SUM(")
                             else np.nan if v is None else v for v in row])  # empty: NaN
            frame = pd.DataFrame(data, columns=[machine_name(str(h)) for h in header])
            tables[sheet.title] = frame.infer_objects()
    finally:
        book.close()
    return tables


def _row_sum(row: tuple, formula: str) -> float:
    """A row total's =SUM(E2:P2) or =SUM(E2,G2) as the sum of those cells of `row`."""
    total = 0.0
    for part in formula[len("=SUM("):-1].split(","):
        first, _, last, _ = range_boundaries(part if ":" in part else f"{part}:{part}")
        total += sum(v for v in row[first - 1:last] if isinstance(v, int | float))
    return total


# ------------------------------------------------------------------- the plan workbook

PLAN_FILES = {  # sheet -> (file stem written by a notebook, the notebook, frozen columns)
    "Targets": ("targets", "01_targets", 4),
    "Targets by week": ("targets_by_week", "01_targets", 4),
    "Levels": ("levels", "02_grading", 2),
    "Calibration": ("calibration", "02_grading", 2),
    "Fairness": ("fairness", "02_grading", 3),
    "Commitments": ("commitments", "01_targets", 2),
    "Reconciled targets": ("targets_reconciled", "01_targets", 2),
    "Year under way": ("pacing", "01_targets", 3),
    "Development": ("development", "02_grading", 2),
    "Plan comparison": ("incentives_metrics", "03_incentives", 1),
    "Payouts": ("incentives", "03_incentives", 2),
    "Statements": ("statements", "03_incentives", 4),
    "Leaderboard": ("leaderboard", "03_incentives", 4),
}
OPTIONAL_SHEETS = frozenset({"Commitments", "Reconciled targets", "Year under way",
                             "Development", "Statements", "Leaderboard"})
"""Sheets left out when their file is missing (the notebooks write them; older runs lack
them): the plan itself -- targets, levels, payouts -- is never left out."""
TARGET_KEYS = ["rep_id", "region", "team", "measure"]


def plan_year(folder: str | Path) -> int:
    """The latest year for which notebook 01 wrote targets in `folder`.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run's output folder.

    Returns
    -------
    int
        The year of the latest `targets_<year>.csv`.

    Raises
    ------
    FileNotFoundError
        If the folder has no `targets_<year>.csv`.
    """
    years = [int(m.group(1)) for p in Path(folder).glob("targets_*.csv")
             if (m := re.fullmatch(r"targets_(\d{4})\.csv", p.name))]
    if not years:
        raise FileNotFoundError(f"{folder}: no targets_<year>.csv; run notebook 01 first")
    return max(years)


def targets_wide(targets: pd.DataFrame) -> pd.DataFrame:
    """Rep x month grid of the long targets file, with the year's total at the end.

    Parameters
    ----------
    targets : pandas.DataFrame
        Long targets as notebook 01 writes them: rep_id, region, team, measure, month,
        target.

    Returns
    -------
    pandas.DataFrame
        One row per rep and measure, revenue first: the keys, a column per month
        ("YYYY-MM") and "year_total" (in the workbook, a formula over the months).
    """
    frame = targets.assign(month=pd.to_datetime(targets["month"]).dt.strftime("%Y-%m"))
    wide = frame.pivot_table(index=TARGET_KEYS, columns="month", values="target",
                             aggfunc="sum", sort=True)
    total = frame.groupby(TARGET_KEYS)["target"].sum()
    wide["year_total"] = total.round(2)  # money is cent-exact; the sum only drifts in float
    wide.columns.name = None
    wide = wide.reset_index()
    order = {m: i for i, m in enumerate(pd.unique(targets["measure"]))}  # as notebook 01 wrote
    return wide.sort_values(["measure", "rep_id"], key=lambda c: c.map(order) if c.name ==
                            "measure" else c, kind="stable", ignore_index=True)


PLAN_TOTALS = {  # sheet -> (totals per value of, columns summed); Targets: every month
    "Targets": ("measure", ()),
    "Targets by week": ("measure", ("target",)),
    "Payouts": ("plan", ("target_incentive", "expected_pay", "replay_pay")),
}
ASSUMPTIONS = "Assumptions"


def plan_sheets(folder: str | Path, year: int) -> dict[str, Sheet]:
    """The plan workbook's sheets from the notebooks' CSVs: the Assumptions first, then one
    sheet a file (`PLAN_FILES`), money totals as formulas (`PLAN_TOTALS`).

    Parameters
    ----------
    folder : str or pathlib.Path
        A run's output folder with the notebooks' `<stem>_<year>.csv` files.
    year : int
        Plan year.

    Returns
    -------
    dict of str to Sheet
        Sheet name -> layout, in sheet order.

    Raises
    ------
    FileNotFoundError
        If a notebook's file for the year is missing (the message names the notebook); the
        weekly targets are left out instead when notebook 01 recorded another grain.
    ExportError
        If a notebook's run record is malformed (`read_run`).
    """
    folder = Path(folder)
    sheets = {ASSUMPTIONS: Sheet(assumptions(folder, year), freeze=2)}
    targets_run = read_run(folder, "01_targets") or {}
    grain = targets_run.get("settings", {}).get("grain", "week")
    for sheet, (stem, notebook, frozen) in PLAN_FILES.items():
        file = folder / f"{stem}_{year}.csv"
        if stem == "targets_by_week" and grain != "week" and not file.exists():
            continue  # phased to months or quarters: the Assumptions sheet says which
        if not file.exists() and sheet in OPTIONAL_SHEETS:
            continue  # a run folder from before these sheets, or written by hand
        if not file.exists():
            raise FileNotFoundError(f"{file.name}: missing in the output folder; run "
                                    f"notebooks/{notebook}.ipynb first")
        frame = pd.read_csv(file)
        for column in ("month", "week_start"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        by, totals = PLAN_TOTALS.get(sheet, (None, ()))
        if sheet == "Targets":
            frame = targets_wide(frame)
            months = tuple(c for c in frame.columns if re.fullmatch(r"\d{4}-\d\d", str(c)))
            sheets[sheet] = Sheet(frame, frozen, (*months, "year_total"), by, "year_total",
                                  months)
        else:
            totals = tuple(c for c in totals if c in frame.columns)
            sheets[sheet] = Sheet(frame, frozen, totals, by if totals else None)
    return sheets


def plan_workbook(folder: str | Path, year: int | None = None,
                  path: str | Path | None = None) -> Path:
    """`plan_<year>.xlsx` from what the three notebooks wrote to `folder`.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run's output folder with the notebooks' `<stem>_<year>.csv` files.
    year : int or None, default None
        Plan year; None for the latest year notebook 01 wrote (`plan_year`).
    path : str or pathlib.Path or None, default None
        Where to write; None for `<folder>/plan_<year>.xlsx`.

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    FileNotFoundError
        If a notebook's file for the year is missing (the message names the notebook).
    ExportError
        If a notebook's run record is malformed (`read_run`).
    """
    folder = Path(folder)
    year = year or plan_year(folder)
    return write_workbook(path or folder / f"plan_{year}.xlsx", plan_sheets(folder, year))
