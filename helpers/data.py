"""Load, validate and save the workbook's tables.

Everything that enters the workbook passes `validate`, so the engines downstream can trust
dtypes and ranges. Bad input raises `DataError` naming the file, the column, the first
offending rows and what was expected; input files are only ever read.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .schema import HISTORY, LEVELS, OPTIONAL_TABLES, REVIEWS, ROSTER, TABLES, Column, Table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
SHOW_ROWS = 5  # how many offending rows an error message lists
FORMATS = (".csv", ".parquet", ".xlsx")
NOTES_FILE = "assumptions.txt"  # beside the tables: one line per assumption made building them



@dataclass(frozen=True, eq=False)
class Dataset:
    """The three validated tables of one sales organisation.

    Built by `load`, `from_frames` or `load_deals`, which validate the tables first.

    Parameters
    ----------
    roster : pandas.DataFrame
        One row per rep (`schema.ROSTER`).
    history : pandas.DataFrame
        One row per rep and month (`schema.HISTORY`), sorted by rep_id and month.
    reviews : pandas.DataFrame, optional
        Manager reviews (`schema.REVIEWS`); empty when the data has none.
    source : str, default ""
        Where the tables came from (a path, or a description), for messages.
    notes : tuple of str, default ()
        How the data was made, e.g. a deals export's assumptions.
    """

    roster: pd.DataFrame
    history: pd.DataFrame
    reviews: pd.DataFrame = field(default_factory=lambda: _empty(REVIEWS))
    source: str = ""
    notes: tuple[str, ...] = ()  # how the data was made, e.g. a deals export's assumptions

    def summary(self, year: int | None = None) -> list[str]:
        """What was loaded, in a line, then how it was made (`notes`): a notebook's opening.

        Parameters
        ----------
        year : int or None, default None
            Plan year to name; None for `plan_year`.

        Returns
        -------
        list of str
            Lines to print.
        """
        h = self.history["month"]
        return [f"{len(self.roster)} reps, {len(self.history):,} rep-months ({h.min():%b %Y} "
                f"to {h.max():%b %Y}); planning {year or self.plan_year}",
                *(["Assumed when the data was loaded:"] if self.notes else []),
                *(f"- {note}" for note in self.notes)]

    def employed(self, on=None) -> pd.Index:
        """The reps still employed after day `on` (hired by then, no leave date on or before
        it); with no `on`, the reps without a leave date: those a future plan covers.
        The one rule for who is active, in roster order.

        Parameters
        ----------
        on : date-like or None, default None
            The day; None for reps with no leave date.

        Returns
        -------
        pandas.Index
            Their rep_ids, named "rep_id".
        """
        r = self.roster
        leave = r["leave_date"] if "leave_date" in r else pd.Series(pd.NaT, r.index)
        if on is None:
            keep = leave.isna()
        else:
            on = pd.Timestamp(on)
            keep = (r["hire_date"] <= on) & ~(leave <= on)
        return pd.Index(r.loc[keep, "rep_id"], name="rep_id")

    def assumed(self, column: str) -> pd.Index:
        """The reps whose `column` the loader assumed rather than read (roster `assumed`).

        Parameters
        ----------
        column : str
            A roster column, e.g. "level" or "hire_date".

        Returns
        -------
        pandas.Index
            Their rep_ids, named "rep_id"; empty when the roster has no `assumed` column.
        """
        if "assumed" not in self.roster:
            return pd.Index([], name="rep_id", dtype=object)
        fields = self.roster["assumed"].fillna("").astype(str).str.split()
        return pd.Index(self.roster.loc[fields.map(lambda f: column in f).astype(bool),
                                        "rep_id"], name="rep_id")

    @property
    def last_year(self) -> int:
        """The last calendar year with any history: the 'last year' of the plan."""
        return int(self.history["month"].dt.year.max())

    @property
    def plan_year(self) -> int:
        """The year being planned: the one after `last_year`."""
        return self.last_year + 1

    def lacks(self) -> dict[str, str]:
        """What this data does not have, each with one sentence a notebook can print.

        Keys: 'reviews', 'csat', 'quota', 'territory_potential', 'gender', 'leave_date'.

        Returns
        -------
        dict of str to str
            For each missing thing, the sentence saying what it costs; empty when the data
            has everything.
        """
        h, r = self.history, self.roster
        gaps = {
            "reviews": (self.reviews.empty, "no manager reviews: product knowledge and "
                        "collaboration are not graded and rater leniency is not estimated"),
            "csat": ("csat" not in h or h["csat"].isna().all(), "no CSAT in the data: "
                     "customer satisfaction is not graded, targeted or used as a gate"),
            "quota": ("quota" not in h or h["quota"].isna().all(), "no quota in the "
                      "history: attainment can only be measured against a rep's own "
                      "previous 12 months, where the history has them"),
            "territory_potential": ("territory_potential" not in r
                                    or r["territory_potential"].isna().all(),
                                    "no territory potential: targets cannot be split by "
                                    "potential and volume KPIs are not adjusted for it"),
            "gender": ("gender" not in r or r["gender"].isna().all(),
                       "no gender column: fairness is not checked by gender"),
            "leave_date": ("leave_date" not in r, "no leave dates: every rep in the roster "
                           "is taken to be employed"),
        }
        return {key: text for key, (missing, text) in gaps.items() if missing}


def output_dir() -> Path:
    """Where runs write (`outputs/` at the repo root, or $SALES_OUTPUTS).

    Returns
    -------
    pathlib.Path
        The folder, created if missing.
    """
    path = Path(os.environ.get("SALES_OUTPUTS", ROOT / "outputs"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- loading


def beside_data(data_path: str | os.PathLike | None, name: str) -> Path:
    """Where an optional file that goes with the data sits (e.g. potential.csv,
    training.yaml): in the data folder, the folder of an .xlsx, or the sample's.

    Parameters
    ----------
    data_path : str, os.PathLike or None
        The notebooks' `data_path` (None: the sample).
    name : str
        The file's name.

    Returns
    -------
    pathlib.Path
        The path (the file may not exist: optional files are optional).
    """
    folder = SAMPLE_DIR if data_path is None else Path(data_path)
    return (folder if folder.is_dir() else folder.parent) / name


def load_sample() -> Dataset:
    """The committed synthetic company in data/sample/ (see helpers.sample).

    Returns
    -------
    Dataset
        The sample company.
    """
    return load(SAMPLE_DIR)


def load(path: str | os.PathLike, column_map: Mapping | None = None,
         date_format: str | None = None) -> Dataset:
    """Load a folder of CSV/Parquet files (roster, history, reviews) or one .xlsx with sheets.

    `column_map` renames the columns of a CRM export to the contract's names, either for all
    tables (`{"Owner ID": "rep_id"}`) or per table (`{"history": {"Amount": "revenue"}}`).
    `date_format` says how to read dates like 05/04/2016 ('%d/%m/%Y', 'dayfirst',
    'monthfirst'); by default one order is inferred for the whole load (see `date_order`).
    A folder's `assumptions.txt` (as `load_deals(...).write` leaves) becomes `Dataset.notes`.

    Parameters
    ----------
    path : str or os.PathLike
        A folder with roster, history and (optionally) reviews as .csv or .parquet, or an
        .xlsx with sheets of those names.
    column_map : Mapping or None, default None
        Export column name -> contract name, for all tables or keyed by table.
    date_format : str or None, default None
        'dayfirst', 'monthfirst' or a strftime format; None to infer one order.

    Returns
    -------
    Dataset
        The validated tables.

    Raises
    ------
    DataError
        If the path does not exist or is not a folder or .xlsx, a required table is
        missing, or a table breaks the data contract (the message names the file, column
        and first offending rows).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        raw = {name: _read_table_file(path, name) for name in TABLES}
    elif path.suffix.lower() == ".xlsx":
        raw = _read_workbook(path)
    else:
        raise DataError(f"{path}: expected a folder of {', '.join(FORMATS)} files or an .xlsx")
    for name in TABLES:
        if raw[name] is None and name not in OPTIONAL_TABLES:
            raise DataError(f"{path}: no '{name}' table found (expected {name}.csv, "
                            f"{name}.parquet or a sheet named '{name}')")
    frames = {name: _rename(frame, column_map, name) for name, frame in raw.items()}
    ds = from_frames(frames["roster"], frames["history"], frames["reviews"], source=str(path),
                     date_format=date_format)
    notes = path / NOTES_FILE if path.is_dir() else None
    if notes is not None and notes.exists():
        lines = notes.read_text(encoding="utf-8").splitlines()
        ds = replace(ds, notes=tuple(line.strip() for line in lines if line.strip()))
    return ds


def from_frames(roster: pd.DataFrame, history: pd.DataFrame,
                reviews: pd.DataFrame | None = None, *, source: str = "",
                date_format: str | None = None) -> Dataset:
    """Validate in-memory tables (e.g. from `pd.read_sql`) into a Dataset.

    Dates written like 05/04/2016 are read in one order for all tables: `date_format`, or
    the order the unambiguous rows show (`date_order`).

    Parameters
    ----------
    roster : pandas.DataFrame
        One row per rep.
    history : pandas.DataFrame
        One row per rep and month.
    reviews : pandas.DataFrame or None, default None
        Manager reviews; None for none.
    source : str, default ""
        Name for messages (a frame's attrs["source"] wins).
    date_format : str or None, default None
        'dayfirst', 'monthfirst' or a strftime format; None to infer one order.

    Returns
    -------
    Dataset
        The validated tables, history sorted by rep_id and month.

    Raises
    ------
    DataError
        If a table breaks the data contract, dates are in both orders, or history or
        reviews name a rep the roster lacks.
    """
    dated = {f"{_label(frame, source, table.name)}: {c.name}": frame[c.name]
             for frame, table in ((roster, ROSTER), (history, HISTORY))
             for c in table.columns if c.kind in ("date", "month") and c.name in frame}
    order = date_order(dated, months=[c.name for c in HISTORY.columns if c.kind == "month"],
                       date_format=date_format)
    roster_v = validate(roster, ROSTER, _label(roster, source, "roster"), date_order=order)
    history_v = validate(history, HISTORY, _label(history, source, "history"),
                         date_order=order)
    reviews_v = (_empty(REVIEWS) if reviews is None
                 else validate(reviews, REVIEWS, _label(reviews, source, "reviews")))
    _check_reps_known(history, history_v, roster_v, _label(history, source, "history"))
    _check_reps_known(reviews, reviews_v, roster_v, _label(reviews, source, "reviews"))
    history_v = history_v.sort_values(["rep_id", "month"], ignore_index=True)
    return Dataset(roster_v, history_v, reviews_v, source)


def _label(frame: pd.DataFrame | None, source: str, table: str) -> str:
    if frame is not None and "source" in frame.attrs:
        return frame.attrs["source"]
    return f"{source}:{table}" if source else table


def _read_table_file(folder: Path, name: str) -> pd.DataFrame | None:
    for suffix in FORMATS:
        file = folder / f"{name}{suffix}"
        if file.exists():
            return _read_file(file)
    return None


def _read_file(file: Path) -> pd.DataFrame:
    """The file's table, its index numbering the rows as the file does (see `_Rows`)."""
    if file.suffix == ".csv":
        frame = _read_csv(file)
    elif file.suffix == ".parquet":
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises many types for broken files
            raise DataError(f"{file}: not a readable Parquet file ({exc})") from None
        frame = _numbered(frame, 1, "row")
    else:
        frame = _read_sheet(file, None)
    frame.attrs.update(source=str(file))
    return frame


def _numbered(frame: pd.DataFrame, first: int, rows: str) -> pd.DataFrame:
    """Index the rows first, first + 1, ... and say what the numbers are (`_Rows`)."""
    frame = frame.set_axis(pd.RangeIndex(first, first + len(frame)))
    frame.attrs["rows"] = rows
    return frame


def _read_csv(file: Path) -> pd.DataFrame:
    data = file.read_bytes()
    if not data.strip():
        raise DataError(f"{file}: the file is empty (expected a header row and data rows)")
    try:
        text = data.decode("utf-8-sig")  # -sig drops the BOM Excel writes
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{file}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as 'CSV UTF-8' from Excel, or convert it with iconv"
        ) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            na_values=[""], skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise DataError(f"{file}: not a well-formed CSV ({exc})") from None
    lines = _record_lines(text)
    if len(lines) != len(frame):  # a quirk the csv module reads differently: count rows
        return _numbered(frame, 1, "row")
    frame.index = pd.Index(lines)
    frame.attrs["rows"] = "line"
    return frame


def _record_lines(text: str) -> list[int]:
    """The line each data record starts on (header = line 1), skipping blank lines as
    pandas does; quoted fields may span lines, so this is not the position + 2.
    """
    if '"' not in text:  # one record a line: the fast way
        lines = (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text
                 else text).split("\n")
        return [n for n, line in enumerate(lines, start=1) if line.strip()][1:]
    reader = csv.reader(io.StringIO(text, newline=None), skipinitialspace=True)
    starts, line = [], 1
    try:
        for record in reader:
            if len(record) > 1 or "".join(record).strip():
                starts.append(line)
            line = reader.line_num + 1
    except csv.Error:
        return []
    return starts[1:]


def _read_workbook(file: Path) -> dict[str, pd.DataFrame | None]:
    try:
        with pd.ExcelFile(file) as book:  # closed here, not whenever it is collected
            sheets = book.sheet_names
    except Exception as exc:  # openpyxl raises several types for broken workbooks
        raise DataError(f"{file}: not a readable .xlsx workbook ({exc})") from None
    out = {}
    for name in TABLES:
        match = next((s for s in sheets if s.strip().lower() == name), None)
        out[name] = None if match is None else _read_sheet(file, match)
        if match is not None:
            out[name].attrs.update(source=f"{file}[{match}]")
    return out


def _read_sheet(file: Path, sheet: str | None) -> pd.DataFrame:
    frame = pd.read_excel(file, sheet_name=sheet or 0, dtype=object)
    if frame.empty:
        raise DataError(f"{file}[{sheet}]: the sheet is empty (expected a header row and data)")
    return _numbered(frame, 2, "sheet row")  # pandas keeps blank rows; row 1 is the header


def _rename(frame: pd.DataFrame | None, column_map: Mapping | None, table: str):
    if frame is None:
        return None
    attrs = dict(frame.attrs)
    frame = frame.rename(columns=lambda c: str(c).strip())
    if column_map:
        per_table = any(isinstance(v, Mapping) for v in column_map.values())
        mapping = column_map.get(table, {}) if per_table else column_map
        frame = frame.rename(columns={str(k): v for k, v in mapping.items()})
    frame.attrs.update(attrs)
    return frame


# ---------------------------------------------------------------------------- validation


def validate(frame: pd.DataFrame, table: Table, source: str | None = None,
             date_order: str | None = None) -> pd.DataFrame:
    """Return `frame` parsed to the contract's dtypes, or raise DataError saying what is wrong.

    `date_order` ('dayfirst', 'monthfirst' or a strftime format) reads dates like 05/04/2016.

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table; columns beyond the contract are kept as text.
    table : Table
        Its spec in `helpers.schema`.
    source : str or None, default None
        Name for messages; None for frame.attrs["source"] or the table's name.
    date_order : str or None, default None
        How to read ambiguous dates.

    Returns
    -------
    pandas.DataFrame
        A new frame in the contract's dtypes, with a fresh 0..n-1 index.

    Raises
    ------
    DataError
        If the frame is empty, has duplicated or missing columns, a value cannot be parsed
        or is out of range, a key repeats, or (history) more customers are retained than
        were up for renewal.
    """
    source = source or frame.attrs.get("source", table.name)
    if frame is None or len(frame) == 0:
        raise DataError(f"{source}: no data rows (expected columns {', '.join(table.required)})")
    dupes = [c for c in frame.columns[frame.columns.duplicated()]]
    if dupes:
        raise DataError(f"{source}: column(s) {dupes} appear more than once")
    missing = [c for c in table.required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {', '.join(repr(str(c)) for c in frame.columns)}. If your export names "
            f"them differently, pass column_map={{'<your name>': '{missing[0]}'}}"
        )
    rows = _Rows(frame, source, table)
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    for column in table.columns:
        if column.name in frame.columns:
            out[column.name] = _parse(frame[column.name], column, rows, date_order)
        elif column.fill:
            out[column.name] = np.nan
    for extra in frame.columns.difference([c.name for c in table.columns], sort=False):
        out[extra] = _parse_text(frame[extra])  # group columns for fairness checks
    duplicated = out.duplicated(list(table.key), keep=False)
    if duplicated.any():
        rows.fail(", ".join(table.key), duplicated, "is duplicated",
                  f"one row per {' and '.join(table.key)}")
    if table is HISTORY:
        over = out["customers_retained"] > out["customers_up_for_renewal"]
        rows.fail("customers_retained", over, "exceeds customers_up_for_renewal",
                  "retained <= up for renewal")
    return out


class _Rows:
    """Names the offending rows of one table in error messages, as the reader can find them.

    A file's reader indexes its rows as the file numbers them and sets attrs["rows"]: "line"
    (CSV, header = line 1), "sheet row" (xlsx) or "row" (data rows counted from 1). An
    in-memory frame's rows are named by their index label, never by a 0-based position.
    """

    def __init__(self, raw: pd.DataFrame, source: str, table: Table):
        self.raw, self.source, self.table = raw.reset_index(drop=True), source, table
        self.index = raw.index
        self.kind = raw.attrs.get("rows", "index label")

    def name(self, i: int) -> str:
        label = _shown(self.index[i])
        return f"{self.kind} {label!r}" if isinstance(label, str) else f"{self.kind} {label}"

    def fail(self, column: str, bad, problem: str, expected: str) -> None:
        if not bad.any():
            return
        where = np.flatnonzero(np.asarray(bad))
        ids = [c for c in self.table.key if c in self.raw.columns and c != column]
        shown = []
        for i in where[:SHOW_ROWS]:
            key = ", ".join(f"{c}={_shown(self.raw.at[i, c])}" for c in ids)
            value = ", ".join(f"{c}={_shown(self.raw.at[i, c])!r}" for c in column.split(", "))
            shown.append(f"{self.name(i)} ({key}{'; ' if key else ''}{value})")
        more = f" and {len(where) - SHOW_ROWS} more" if len(where) > SHOW_ROWS else ""
        note = " Rows are data rows counted from 1." if self.kind == "row" else ""
        raise DataError(
            f"{self.source}: column '{column}' {problem} in {len(where)} row(s): "
            f"{'; '.join(shown)}{more}. Expected {expected}.{note}"
        )


def _shown(value):
    """A cell as the reader wrote it: plain numbers, dates without midnight."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return value.item() if isinstance(value, np.generic) else value


def _parse_text(raw: pd.Series) -> pd.Series:
    text = raw.astype("string").str.strip()
    return text.mask(text == "")


def _parse(raw: pd.Series, column: Column, rows: _Rows,
           date_order: str | None = None) -> pd.Series:
    blank = raw.isna() | (raw.astype("string").str.strip() == "")
    if column.kind in ("str", "level"):
        value = _parse_text(raw)
        if column.kind == "level":
            value = value.str.lower()
            rows.fail(column.name, ~blank & ~value.isin(LEVELS), "has an unknown level",
                      column.expected)
            value = pd.Categorical(value, categories=LEVELS, ordered=True)
            value = pd.Series(value, index=raw.index)
    elif column.kind in ("date", "month"):
        value = _to_datetime(raw, date_order)
        rows.fail(column.name, ~blank & value.isna(), "has values that are not dates",
                  column.expected)
        if column.kind == "month":
            rows.fail(column.name, value.notna() & (value.dt.day != 1),
                      "has dates that are not the first of a month", column.expected)
    else:
        value = pd.to_numeric(raw, errors="coerce")
        rows.fail(column.name, ~blank & value.isna(), "has values that are not numbers",
                  column.expected)
        if column.kind == "int":
            rows.fail(column.name, value.notna() & (value % 1 != 0),
                      "has values that are not whole numbers", column.expected)
        value = value.astype("float64")
        if column.min is not None:
            rows.fail(column.name, value < column.min, f"has values below {column.min:g}",
                      column.expected)
        if column.max is not None:
            rows.fail(column.name, value > column.max, f"has values above {column.max:g}",
                      column.expected)
        if column.kind == "int" and not blank.any():
            value = value.astype("int64")
    if not column.nullable and column.required:
        rows.fail(column.name, blank, "has empty values", column.expected)
    return value


DATE_ORDERS = ("dayfirst", "monthfirst")
_NUMERIC_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T].*)?$"


def _numeric_dates(raw: pd.Series) -> pd.DataFrame:
    """First and second number of dates written like 05/04/2016 (other values dropped)."""
    if pd.api.types.is_datetime64_any_dtype(raw) or raw.empty:
        return pd.DataFrame({"a": [], "b": [], "text": []})
    text = raw.dropna().astype("string")
    parts = text.str.extract(_NUMERIC_DATE).dropna()
    return pd.DataFrame({"a": parts[0].astype(int), "b": parts[1].astype(int),
                         "text": text.loc[parts.index]})


def date_order(columns: Mapping[str, pd.Series], months: Sequence[str] = (),
               date_format: str | None = None) -> str | None:
    """How to read dates like 05/04/2016 in every date column of one load: 'dayfirst',
    'monthfirst', a strftime format, or None when no such date occurs.

    One order for the whole load, taken from the rows that can only be read one way
    (25/11/2016 is day first, 11/25/2016 month first). A column (or a load) with both is an
    error, never a silent mix. When every such date is ambiguous, a column of months
    decides (01/06/2026 is a first of the month only read day first); otherwise the
    loader stops and asks for `date_format`. `columns` maps 'source: column' to raw values.

    Parameters
    ----------
    columns : Mapping of str to pandas.Series
        'source: column' -> raw values of every date column of the load.
    months : Sequence of str, default ()
        Names of the columns holding months (first days), which can decide.
    date_format : str or None, default None
        Given by the caller: returned as it is.

    Returns
    -------
    str or None
        'dayfirst', 'monthfirst', `date_format`, or None when no such date occurs.

    Raises
    ------
    DataError
        If dates occur in both orders, or every such date is ambiguous and no column of
        months decides.
    """
    if date_format:
        return date_format
    seen: dict[str, tuple[str, str]] = {}  # order -> (where, example)
    ambiguous = {}
    for where, raw in columns.items():
        parts = _numeric_dates(raw)
        if parts.empty:
            continue
        day = parts[(parts["a"] > 12) & (parts["b"] <= 12)]  # both > 12: not a date at all,
        month = parts[(parts["b"] > 12) & (parts["a"] <= 12)]  # which validation reports
        if len(day) and len(month):
            raise DataError(
                f"{_where(where)} has dates in both orders, e.g. {day['text'].iloc[0]!r} "
                f"(day first) and {month['text'].iloc[0]!r} (month first); fix the column or pass "
                "date_format='%d/%m/%Y' (or '%m/%d/%Y')")
        for order, rows in (("dayfirst", day), ("monthfirst", month)):
            if len(rows):
                seen.setdefault(order, (where, rows["text"].iloc[0]))
        both = parts[(parts["a"] <= 12) & (parts["b"] <= 12)]
        if not (len(day) or len(month)) and len(both):
            ambiguous[where] = both
    if len(seen) == 2:
        (w1, e1), (w2, e2) = seen["dayfirst"], seen["monthfirst"]
        raise DataError(f"dates in both orders: {_where(w1)} has {e1!r} (day first) but "
                        f"{_where(w2)} has "
                        f"{e2!r} (month first); pass date_format= to say which is meant")
    if seen:
        return next(iter(seen))
    if not ambiguous:
        return None
    for where in (w for w in ambiguous if w.rsplit(": ", 1)[-1] in months):
        parts = ambiguous[where]
        fits = [o for o, col in (("dayfirst", "a"), ("monthfirst", "b"))
                if (parts[col] == 1).all()]
        if len(fits) == 1:
            return fits[0]
    where, parts = next(iter(ambiguous.items()))
    raise DataError(f"{_where(where)} has dates like {parts['text'].iloc[0]!r} that could be "
                    "day or month first and no row says which; pass date_format='%d/%m/%Y' "
                    "(day first) or '%m/%d/%Y' (month first)")


def _where(key: str) -> str:
    """'file: column' as errors name a column: "file: column 'month'"."""
    source, column = key.rsplit(": ", 1)
    return f"{source}: column '{column}'"


def _to_datetime(raw: pd.Series, order: str | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        raw = raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
        return raw.astype("datetime64[ns]")
    text = raw.astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    retry = parsed.isna() & text.notna() & (text != "")
    if retry.any():  # exports from spreadsheets: 15/03/2024, Mar 2024, datetime objects
        if order in DATE_ORDERS or order is None:
            parsed[retry] = pd.to_datetime(raw[retry], errors="coerce", format="mixed",
                                           dayfirst=order == "dayfirst")
        else:
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", format=order)
    return parsed.astype("datetime64[ns]")


def among(column: pd.Series, keys) -> np.ndarray:
    """`column.isin(keys)` as a bool array, fast for ids at scale.

    pandas' arrow-string `isin` builds a Python object per key (0.35 s for 50,000 rep ids,
    paid on every filter by rep); pyarrow's `is_in` compares the arrays as they are.

    Parameters
    ----------
    column : pandas.Series
        The values to look up (e.g. a table's rep_id).
    keys : array_like
        The keys wanted (list, set, Index, Series or array).

    Returns
    -------
    numpy.ndarray
        bool, one per row of `column`: exactly `column.isin(keys)`.
    """
    dtype = column.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return np.asarray(column.isin(keys), dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc
    if not isinstance(keys, (pd.Index, pd.Series, pd.api.extensions.ExtensionArray)):
        keys = np.asarray(list(keys), dtype=object)
    values = pa.array(column.array)
    wanted = pa.array(pd.array(keys, dtype=dtype)).cast(values.type)
    return np.asarray(pc.is_in(values, value_set=wanted, skip_nulls=False), dtype=bool)


def _check_reps_known(raw, parsed: pd.DataFrame, roster: pd.DataFrame, source: str) -> None:
    if parsed.empty:
        return
    unknown = ~among(parsed["rep_id"], roster["rep_id"])
    table = HISTORY if "month" in parsed.columns else REVIEWS
    _Rows(raw, source, table).fail(
        "rep_id", unknown, "names reps that are not in the roster", "every rep_id in the roster")


def _empty(table: Table) -> pd.DataFrame:
    dtypes = {"str": "string", "date": "datetime64[ns]", "month": "datetime64[ns]",
              "float": "float64", "int": "int64", "level": "string"}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in table.columns})


# --------------------------------------------------------------------------- data quality

OUTLIER_Z = 3.5
"""A month is an outlier when the modified z-score of its log measure within the rep is
above this (Iglewicz and Hoaglin's cut-off); `outlier_months` applies it."""


def outlier_months(history: pd.DataFrame, measure: str = "revenue", *,
                   z: float = OUTLIER_Z) -> pd.DataFrame:
    """The one rule for "outlier month": the quality report flags it, the targets cap it.

    Within each rep, over the months with a positive measure: the modified z-score of the
    log measure, 0.6745 × (log x − median) / MAD, above `z`. Only spikes count (low months
    are mostly ramp-up); a rep whose months barely vary (MAD 0) has none. The same rule
    reads as a cap: a month is an outlier exactly when it is above
    `cap` = median month × exp(z × MAD / 0.6745), a robust multiple of the rep's median
    month, so capping the flagged months at `cap` treats what the report flags, no more.

    Parameters
    ----------
    history : pandas.DataFrame
        Monthly history with rep_id, month and the measure.
    measure : str, default "revenue"
        The history column.
    z : float, default OUTLIER_Z
        The modified z-score above which a month is an outlier.

    Returns
    -------
    pandas.DataFrame
        Indexed like `history`: score (NaN for months that are not positive or a rep with
        MAD 0), cap (the rep's highest usual month; NaN likewise) and outlier (bool).
    """
    values = history[measure].astype("float64")
    positive = values > 0
    logs = np.log(values.where(positive))
    reps = pd.factorize(history["rep_id"])[0]  # once: each string groupby factorizes again
    med = logs.groupby(reps).transform("median")
    mad = (logs - med).abs().groupby(reps).transform("median")
    mad = mad.where(mad > 0)
    score = 0.6745 * (logs - med) / mad
    cap = np.exp(med + z * mad / 0.6745)
    return pd.DataFrame({"score": score, "cap": cap, "outlier": (score > z).to_numpy()},
                        index=history.index)


def quality_report(ds: Dataset) -> pd.DataFrame:
    """Warnings that don't stop the workbook but change how to read it, one row per finding.

    Checks: months missing inside a rep's employment, active reps with no history, new hires
    (under 12 full calendar months at the end of history), leavers, revenue spikes (modified
    z-score of log revenue within the rep above 3.5), history outside employment.

    Parameters
    ----------
    ds : Dataset
        The loaded data.

    Returns
    -------
    pandas.DataFrame
        Columns severity ("warning" or "info"), check, rep_id and detail, warnings first;
        empty when nothing was found.
    """
    roster, history = ds.roster, ds.history
    first, last = history["month"].min(), history["month"].max()
    found: list[pd.DataFrame] = []

    def add(check: str, severity: str, reps: pd.Series, detail: pd.Series | str) -> None:
        found.append(pd.DataFrame({"severity": severity, "check": check,
                                   "rep_id": reps.to_numpy(), "detail": detail}))

    hired = roster["hire_date"].dt.to_period("M").dt.to_timestamp()
    start = hired.clip(lower=first)
    leave = roster["leave_date"] if "leave_date" in roster else pd.Series(pd.NaT, roster.index)
    end = leave.dt.to_period("M").dt.to_timestamp().fillna(last).clip(upper=last)
    expected = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month) + 1
    inside = history.merge(pd.DataFrame({"rep_id": roster["rep_id"], "s": start, "e": end}))
    inside = inside[(inside["month"] >= inside["s"]) & (inside["month"] <= inside["e"])]
    have = inside.groupby("rep_id").size().reindex(roster["rep_id"], fill_value=0).to_numpy()
    gap = pd.Series(np.clip(expected.to_numpy(), 0, None) - have, index=roster.index)
    has_rows = among(roster["rep_id"], history["rep_id"])
    missing = has_rows & (gap > 0)
    add("missing months", "warning", roster.loc[missing, "rep_id"],
        gap[missing].astype(str) + " month(s) with no row while employed")
    none = ~has_rows & (expected > 0)
    add("no history", "warning", roster.loc[none, "rep_id"], "active in the roster, no history")
    outside = history.merge(pd.DataFrame({"rep_id": roster["rep_id"], "h": hired, "l": leave}))
    outside = outside[(outside["month"] < outside["h"]) | (outside["month"] > outside["l"])]
    n_out = outside.groupby("rep_id").size()
    add("history outside employment", "warning", pd.Series(n_out.index),
        n_out.astype(str).to_numpy() + " month(s) before hire or after leaving")

    # full calendar months from hire to the end of history (the first of the month after
    # `last`): hired 2016-12-02 has 12 by the end of Dec 2017, hired 2017-01-15 has 11
    hire, end = roster["hire_date"], last + pd.offsets.MonthBegin(1)
    tenure = ((end.year - hire.dt.year) * 12 + (end.month - hire.dt.month)
              - (hire.dt.day > 1).astype(int))
    new = (tenure < 12) & leave.isna()
    add("new hire", "info", roster.loc[new, "rep_id"],
        "hired " + roster.loc[new, "hire_date"].dt.strftime("%Y-%m-%d")
        + f"; under 12 full months' tenure by the end of {last:%Y-%m}")
    left = leave.notna()
    add("leaver", "info", roster.loc[left, "rep_id"],
        "left " + leave[left].dt.strftime("%Y-%m-%d"))

    out = history[outlier_months(history)["outlier"].to_numpy()]
    add("outlier", "warning", out["rep_id"],
        "revenue " + out["revenue"].map("{:,.0f}".format).astype("string") + " in "
        + out["month"].dt.strftime("%Y-%m") + " is far above the rep's usual month "
        "(the targets cap it unless outliers='keep')")

    report = pd.concat(found, ignore_index=True)
    order = {"warning": 0, "info": 1}
    return report.sort_values(["severity", "check", "rep_id"], key=lambda s: s.map(order)
                              if s.name == "severity" else s, ignore_index=True)


# ------------------------------------------------------------------------------ writing


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` then move tmp over `path`, so readers never see a half-written file.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder is created if missing.
    write : Callable[[pathlib.Path], None]
        Writes the content to the temporary path it is given (same folder and suffix).

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save(frame: pd.DataFrame, path: str | os.PathLike, **kwargs) -> Path:
    """Write a table as .csv, .parquet or .xlsx (by suffix), atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, written without its index.
    path : str or os.PathLike
        Where; the suffix picks the format.
    **kwargs
        Passed to pandas' writer (e.g. float_format for CSV).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If the suffix is not .csv, .parquet or .xlsx.
    """
    path = Path(path)
    writers = {
        ".csv": lambda p: frame.to_csv(p, index=False, lineterminator="\n", **kwargs),
        ".parquet": lambda p: frame.to_parquet(p, index=False, **kwargs),
        ".xlsx": lambda p: frame.to_excel(p, index=False, **kwargs),
    }
    if path.suffix not in writers:
        raise ValueError(f"{path}: can only write {', '.join(writers)}")
    return write_atomic(path, writers[path.suffix])
