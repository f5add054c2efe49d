"""Excel workbooks a client can open and use: formatted headers, number formats, frozen
panes and filters, written atomically. The numbers are the frames' numbers, unrounded;
only the display format rounds.

One convention for every sheet and CSV: shares and ratios are stored as fractions (0.0303)
and shown with a percent format (3.0%); nothing is multiplied by 100. A column named `_pct`
or `percent` holds percentage numbers and never gets a percent format.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .data import write_atomic

MONEY = re.compile(r"revenue|target|quota|payout|cost|amount|commission|bonus|pay|draw|prize"
                   r"|incentive|earn|potential|salar|p\d\d|expected", re.I)
WORD = r"(?<![a-z])({})s?(?![a-z])"  # a whole word of a snake_case name: not "generated"
FRACTION = re.compile(WORD.format("share|rate|probability|gini") + "|cost_of_sales", re.I)
MULTIPLE = re.compile(WORD.format("attainment|ratio"), re.I)  # may pass 100%: 240% of target
PERCENT_NUMBER = re.compile(r"pct|percent", re.I)
YEAR = re.compile(WORD.format("year"), re.I)
MONEY_FORMAT, COUNT_FORMAT, SHARE_FORMAT, YEAR_FORMAT = "#,##0.00", "#,##0", "0.0%", "0"
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")


def number_format(column: str, values: pd.Series) -> str | None:
    """Display format for a column, from its dtype and its name.

    A share-like name gets a percent format only while its values can be fractions (up to
    1.5, or 10 for attainment and ratios): larger ones are percentage numbers, and shown as
    they are rather than 100 times too big.

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
    largest = values.abs().max(skipna=True)
    limit = 10 if MULTIPLE.search(column) else 1.5 if FRACTION.search(column) else None
    if limit and not PERCENT_NUMBER.search(column) and not largest > limit:  # NaN: all empty
        return SHARE_FORMAT
    if MONEY.search(column):
        return MONEY_FORMAT
    if pd.api.types.is_integer_dtype(values):
        return COUNT_FORMAT
    return "#,##0.00"


def write_workbook(path: str | Path, sheets: dict[str, pd.DataFrame],
                   freeze_columns: dict[str, int] | None = None) -> Path:
    """Write `sheets` (name -> frame) to one .xlsx, each formatted for reading.

    `freeze_columns` says how many leading columns stay visible when scrolling right
    (default 1: the rep or key column).

    Parameters
    ----------
    path : str or pathlib.Path
        The .xlsx to write (atomically).
    sheets : dict of str to pandas.DataFrame
        Sheet name -> table, in sheet order; written without the index.
    freeze_columns : dict of str to int or None, default None
        Sheet name -> leading columns kept visible; 1 for a sheet not named.

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    ValueError
        If a sheet name is longer than 31 characters or has a character Excel
        forbids ([ ] : * ? / or a backslash).
    """
    freeze_columns = freeze_columns or {}
    for name in sheets:
        if len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"sheet name {name!r}: at most 31 characters, none of []:*?/\\")

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)
                _format(writer.sheets[name], frame, freeze_columns.get(name, 1))

    return write_atomic(path, write)


def _format(sheet, frame: pd.DataFrame, freeze: int) -> None:
    n_rows, n_cols = len(frame) + 1, max(len(frame.columns), 1)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = sheet.cell(row=2, column=min(freeze, n_cols) + 1)
    sheet.auto_filter.ref = f"A1:{get_column_letter(n_cols)}{n_rows}"
    for i, column in enumerate(frame.columns, start=1):
        values = frame[column]
        fmt = number_format(str(column), values)
        letter = get_column_letter(i)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=n_rows, min_col=i, max_col=i):
                cell.number_format = fmt
        lengths = values.head(200).astype("string").str.len().fillna(0)  # all-empty: 0
        sample = int(lengths.max()) if len(lengths) else 0
        width = max(len(str(column)), sample + (3 if fmt == MONEY_FORMAT else 1))
        sheet.column_dimensions[letter].width = min(max(width, 8), 40)


# ------------------------------------------------------------------- the plan workbook

PLAN_FILES = {  # sheet -> (file stem written by a notebook, the notebook, frozen columns)
    "Targets": ("targets", "01_targets", 4),
    "Targets by week": ("targets_by_week", "01_targets", 4),
    "Levels": ("levels", "02_grading", 2),
    "Calibration": ("calibration", "02_grading", 2),
    "Fairness": ("fairness", "02_grading", 3),
    "Plan comparison": ("incentives_metrics", "03_incentives", 1),
    "Payouts": ("incentives", "03_incentives", 2),
}
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
        One row per rep and measure: the keys, a column per month ("YYYY-MM") and "year".
    """
    frame = targets.assign(month=pd.to_datetime(targets["month"]).dt.strftime("%Y-%m"))
    wide = frame.pivot_table(index=TARGET_KEYS, columns="month", values="target",
                             aggfunc="sum", sort=True)
    total = frame.groupby(TARGET_KEYS)["target"].sum()
    wide["year"] = total.round(2)  # money is cent-exact; the sum only drifts in float
    wide.columns.name = None
    return wide.reset_index()


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
    """
    folder = Path(folder)
    year = year or plan_year(folder)
    sheets = {}
    for sheet, (stem, notebook, _) in PLAN_FILES.items():
        file = folder / f"{stem}_{year}.csv"
        if not file.exists():
            raise FileNotFoundError(f"{file}: missing; run notebooks/{notebook}.ipynb first")
        frame = pd.read_csv(file)
        for column in ("month", "week_start"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        sheets[sheet] = targets_wide(frame) if sheet == "Targets" else frame
    frozen = {sheet: spec[2] for sheet, spec in PLAN_FILES.items()}
    return write_workbook(path or folder / f"plan_{year}.xlsx", sheets, freeze_columns=frozen)
