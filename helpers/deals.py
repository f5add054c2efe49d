"""Deals in, history out: a CRM's deal export turned into the workbook's roster and history.

Every CRM exports one row per opportunity (owner, account, stage, created and close dates,
amount). `load_deals` reads such an export (Salesforce and HubSpot column names are known,
anything else through `column_map`) and derives the history contract, one row per rep and
month, plus a roster, then validates both with `helpers.data.from_frames`. It never writes
to its input files. The rules, each checked by tests/test_deals.py:

- **Won, lost, open.** A deal's stage says which: "Closed Won" / "closedwon" / "Won" are
  won, "Closed Lost" / "closedlost" / "Lost" are lost (case and spacing ignored), anything
  else is open. `stages={"won": [...], "lost": [...], "open": [...]}` replaces a list. A
  stage in none of the lists (nor among Salesforce's and HubSpot's default open stages) is
  open and listed in the report. Only won deals count; lost and open deals only show when
  a rep was active.
- **Months.** A won deal counts in the month of its close date. A rep's history runs from
  the month of their first activity to the month of their last, where activity is the
  created date of any deal they are credited on and the close date of their won and lost
  deals (an open deal's close date is only expected). Months in between without a won
  deal are rows of zeros: a gap is a real zero, never a missing month.
- **Revenue** is the sum of the won amounts closed that month, to the cent.
- **Refunds and credit notes** (won deals with a negative amount) net into revenue in the
  month of their close date. When a rep's month nets negative, the shortfall is carried
  into the rep's following months as a clawback against later sales, so monthly revenue
  stays >= 0 and every cent is accounted for; what is still unrecovered at the end of the
  rep's history is listed in the report. A refund is not a deal: it counts in no deal or
  customer number.
- **Deals won**: won deals with an amount >= 0. **Sales cycle days**: their mean days from
  created to close that month (empty when none; a deal created after it closed, as
  imported deals often are, is left out of the mean and counted in the report).
- **New customers**: an account's first-ever won deal (earliest close date, then created
  date, then deal id) makes it a new customer in that month.
- **Renewals**: each month in which an account wins is a purchase that falls due for
  renewal 12 months later. In that month the account is *up for renewal*, and *retained*
  if it won again in the 12 months after the purchase (the month after it up to the due
  month itself), so a due month needs no later data. The renewal is credited like the
  account's first won deal of the purchase month. Renewals due after a rep's last month
  are not counted (the report says how many). Won deals without an account count as deals
  and revenue but never as customers.
- **Splits**: `splits` is a table with one row per deal and credited rep (deal id, rep,
  share); a deal listed there is credited to those reps instead of its owner. Shares are
  percentages (50 or "50%"), or fractions (0.5) when every deal's shares add up to 1, and
  must add up to 100% per deal. Revenue is split to the cent (largest remainder, a tie in
  rep name order), deal and customer counts by share, rounded per rep and month to whole
  numbers (halves up, so a 50/50 deal counts once for each rep); the sales cycle is the
  share-weighted mean.
- **Roster**: from the `teams` table (rep -> region, team, manager and optionally name,
  hire_date, level, leave_date, gender, territory_potential or any group column). A rep
  with deals but no row in `teams` gets region, team and manager "(unassigned)"; a blank
  hire date is the rep's first activity; a blank level is the `level` argument (default
  "junior"); the name is the owner's name as the CRM writes it, which is also the rep_id.
- **CSAT** is not in CRM data: the column is left empty, as the contract allows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .data import (
    NOTES_FILE,
    DataError,
    Dataset,
    _read_csv,
    _read_sheet,
    _Rows,
    from_frames,
    save,
    validate,
    write_atomic,
)
from .errors import DealsError
from .numbers import divide_or_nan
from .schema import LEVELS, Column, Table

FIELDS = ("deal_id", "owner", "account", "stage", "created", "close", "amount")
"""The deal columns `load_deals` reads; a `column_map` maps your column names onto these."""
REQUIRED = ("owner", "account", "stage", "created", "close", "amount")
DESCRIBED = {"deal_id": "deal id", "owner": "deal owner (rep)", "account": "account",
             "stage": "stage", "created": "created date", "close": "close date",
             "amount": "amount"}

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    # Salesforce opportunity report column labels (Opportunity object field labels)
    "salesforce": {
        "deal_id": ("Opportunity ID", "Opportunity ID (18)"),
        "owner": ("Opportunity Owner", "Owner Name", "Owner"),
        "account": ("Account Name", "Account"),
        "stage": ("Stage", "Stage Name"),
        "created": ("Created Date",),
        "close": ("Close Date",),
        "amount": ("Amount",),
    },
    # HubSpot deals export (CRM > Deals > Export) column labels
    "hubspot": {
        "deal_id": ("Record ID", "Deal ID"),
        "owner": ("Deal owner",),
        "account": ("Associated Company", "Associated Company (Primary)", "Company name"),
        "stage": ("Deal Stage",),
        "created": ("Create Date",),
        "close": ("Close Date",),
        "amount": ("Amount",),
    },
    # the field names themselves, for exports mapped by hand or built in pandas
    "generic": {
        "deal_id": ("deal_id", "deal id", "id"),
        "owner": ("owner", "rep", "rep_id"),
        "account": ("account", "customer"),
        "stage": ("stage",),
        "created": ("created", "created_date"),
        "close": ("close", "close_date"),
        "amount": ("amount",),
    },
}
PRESET_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot", "generic": "generic"}

WON = ("Closed Won", "closedwon", "Won")
LOST = ("Closed Lost", "closedlost", "Lost")
OPEN = (  # the CRMs' default open stages: open, and not worth listing as unknown
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review",  # Salesforce
    "Appointment Scheduled", "appointmentscheduled", "Qualified To Buy", "qualifiedtobuy",
    "Presentation Scheduled", "presentationscheduled", "Decision Maker Bought-In",
    "decisionmakerboughtin", "Contract Sent", "contractsent",  # HubSpot
)

TEAM_FIELDS: dict[str, tuple[str, ...]] = {
    "rep": ("rep", "rep_id", "owner", "Opportunity Owner", "Deal owner", "sales rep", "name"),
    "region": ("region",),
    "team": ("team",),
    "manager_id": ("manager_id", "manager"),
    "name": ("name", "full name"),
    "hire_date": ("hire_date",),
    "level": ("level",),
    "leave_date": ("leave_date",),
    "territory_potential": ("territory_potential",),
}
SPLIT_FIELDS: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal_id", "Opportunity ID", "Record ID", "Deal ID"),
    "rep": ("rep", "Team Member", "Split Owner", "owner", "Opportunity Owner", "Deal owner"),
    "share": ("share", "Percent (%)", "Split Percent", "Split %", "Split Percentage",
              "percent"),
}
ALL_FIELDS = set(FIELDS) | set(TEAM_FIELDS) | set(SPLIT_FIELDS)
UNASSIGNED = "(unassigned)"
RENEWAL_MONTHS = 12
SHOW = 10  # names a report line lists before "and N more"



@dataclass(frozen=True)
class DealsReport:
    """What `load_deals` read, decided and assumed; `print(report)` says it in plain words.

    Parameters
    ----------
    source : str
        The export's path, or a DataFrame's description.
    preset : str
        Column names used: "salesforce", "hubspot" or "generic".
    preset_detected : bool
        True when the preset was read from the header, not given.
    columns : dict
        Field -> the export's column used for it.
    rows_read : int
        Deal rows read.
    footer_rows : int
        Blank rows and report footers (totals, copyright) left out.
    won, lost, open : int
        Won deals with an amount >= 0, lost deals, open deals.
    refunds : int
        Won rows with a negative amount: refunds and credit notes.
    refunds_amount : float
        Their total (negative), netted into revenue.
    unknown_stages : dict
        Stage -> rows, for stages counted as open because no list knows them.
    reps : int
        Reps in the history.
    months : tuple
        First and last month of the history, "YYYY-MM".
    history_rows : int
        Rep-months in the history.
    zero_months : int
        Rep-months with no won deal (kept as zeros).
    clawback_months : int
        Rep-months whose shortfall grew (carried into later months).
    clawback_carried : float
        Money carried into later months.
    clawback_left : dict
        Rep -> shortfall still unrecovered at the end of their history.
    split_deals : int
        Deals credited through the splits table.
    split_rows_unmatched : int
        Split rows naming deals that are not in the export.
    no_owner : int
        Open or lost deals without an owner, left out.
    no_account : int
        Won deals without an account: no customer counted.
    cycle_skipped : int
        Won deals created after they closed, left out of the sales cycle.
    renewals_outside : float
        Renewals due after the rep's last month, not counted.
    reps_without_team : list
        Reps with deals but no teams row ("(unassigned)").
    team_reps_without_deals : list
        Reps in the teams table with no deal.
    quiet_reps : list
        Reps whose last activity is before the last month.
    teams_given : bool
        Whether a teams table was given.
    team_columns : list
        The teams table's columns (after renaming) except the rep.
    hire_given, level_given : int
        Reps whose hire date, and whose level, the teams table gives.
    assumptions : list
        Plain-words assumptions made, also kept as `Dataset.notes`.
    """

    source: str
    preset: str  # "salesforce", "hubspot" or "generic"
    preset_detected: bool  # True: read from the header, not given
    columns: dict  # field -> the export's column used for it
    rows_read: int
    footer_rows: int  # blank rows and report footers (totals, copyright) left out
    won: int  # won deals with an amount >= 0
    lost: int
    open: int
    refunds: int  # won rows with a negative amount: refunds and credit notes
    refunds_amount: float  # their total (negative), netted into revenue
    unknown_stages: dict  # stage -> rows, counted as open
    reps: int
    months: tuple  # first and last month of the history, "YYYY-MM"
    history_rows: int
    zero_months: int  # rep-months with no won deal (kept as zeros)
    clawback_months: int  # rep-months whose shortfall grew (carried into later months)
    clawback_carried: float  # money carried into later months
    clawback_left: dict  # rep -> shortfall still unrecovered at the end of their history
    split_deals: int
    split_rows_unmatched: int  # split rows naming deals that are not in the export
    no_owner: int  # open or lost deals without an owner, left out
    no_account: int  # won deals without an account: no customer counted
    cycle_skipped: int  # won deals created after they closed, left out of the sales cycle
    renewals_outside: float  # renewals due after the rep's last month, not counted
    reps_without_team: list
    team_reps_without_deals: list
    quiet_reps: list  # reps whose last activity is before the last month
    teams_given: bool
    team_columns: list
    hire_given: int  # reps whose hire date the teams table gives
    level_given: int  # reps whose level the teams table gives
    assumptions: list

    def lines(self) -> list[str]:
        """The report in plain words, one sentence a line (what `str(report)` joins).

        Returns
        -------
        list of str
            The lines.
        """
        money = "{:,.2f}".format
        out = [
            f"Read {self.rows_read:,} deal rows from {self.source} with the "
            f"{PRESET_NAMES[self.preset]} column names"
            + (" (detected from the header)" if self.preset_detected else "") + ".",
            "Columns used: " + ", ".join(f"{f} = {c!r}" for f, c in self.columns.items()) + ".",
            f"Deals: {self.won:,} won, {self.lost:,} lost, {self.open:,} open"
            + (f", {self.refunds:,} refund(s) or credit note(s) totalling "
               f"{money(self.refunds_amount)}, netted into revenue" if self.refunds else "")
            + ".",
            f"History: {self.reps} reps, {self.months[0]} to {self.months[1]}, "
            f"{self.history_rows:,} rep-months ({self.zero_months:,} with no won deal, "
            "kept as zeros).",
        ]
        if self.footer_rows:
            out.append(f"Left out {self.footer_rows} blank or footer row(s) (e.g. report "
                       "totals, copyright lines).")
        if self.unknown_stages:
            out.append("Stages not known as won or lost, counted as open: "
                       + _listed([f"{s!r} ({n})" for s, n in self.unknown_stages.items()])
                       + ". If one of them means won or lost, pass stages={'won': [...], "
                       "'lost': [...]}.")
        if self.clawback_months:
            out.append(f"Clawback: {self.clawback_months} rep-month(s) netted negative; "
                       f"{money(self.clawback_carried)} was carried into the reps' "
                       "following months.")
        if self.clawback_left:
            out.append("Clawback still unrecovered at the end of history: " + _listed(
                [f"{r} {money(v)}" for r, v in self.clawback_left.items()]) + ".")
        if self.split_deals:
            out.append(f"Splits: {self.split_deals:,} deal(s) credited by share"
                       + (f"; {self.split_rows_unmatched} split row(s) name deals not in "
                          "the export and were left out" if self.split_rows_unmatched
                          else "") + ".")
        if self.no_owner:
            out.append(f"Left out {self.no_owner} open or lost deal(s) without an owner.")
        if self.no_account:
            out.append(f"{self.no_account} won deal(s) have no account: counted as deals "
                       "and revenue, not as customers.")
        if self.cycle_skipped:
            out.append(f"{self.cycle_skipped} won deal(s) were created after they closed "
                       "(or have no created date), left out of the sales cycle.")
        if self.renewals_outside:
            out.append(f"{self.renewals_outside:g} renewal(s) fall due after the rep's last "
                       "month and are not counted.")
        if self.reps_without_team:
            out.append("Reps without a row in the teams table, region/team/manager "
                       f"{UNASSIGNED}: " + _listed(self.reps_without_team) + ".")
        if self.team_reps_without_deals:
            out.append("In the teams table but with no deals (left out): "
                       + _listed(self.team_reps_without_deals) + ".")
        if self.quiet_reps:
            out.append(f"No activity in the last month ({self.months[1]}), history ends "
                       "earlier (left? give leave_date in teams): "
                       + _listed(self.quiet_reps) + ".")
        out.append("Assumptions:")
        out += [f"- {a}" for a in self.assumptions]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_frame(self) -> pd.DataFrame:
        """The report as one row per line, e.g. for a sheet or a notebook table.

        Returns
        -------
        pandas.DataFrame
            One column, "report", one row per line of `lines()`.
        """
        return pd.DataFrame({"report": self.lines()})


class DealsLoad(NamedTuple):
    """What `load_deals` returns: `ds, report = load_deals(...)`.

    Parameters
    ----------
    dataset : Dataset
        The validated roster and history (no reviews).
    report : DealsReport
        What was read, decided and assumed.
    """

    dataset: Dataset
    report: DealsReport

    def write(self, folder: str | os.PathLike) -> list[Path]:
        """Write roster.csv, history.csv, deals_report.txt and assumptions.txt to `folder`
        (atomically): a data folder `helpers.load` (and the notebooks' `data_path`) reads
        back as is, assumptions included (`Dataset.notes`, roster column `assumed`).

        Parameters
        ----------
        folder : str or os.PathLike
            The data folder, created if missing.

        Returns
        -------
        list of pathlib.Path
            The four files written.
        """
        folder = Path(folder)
        written = []
        for name in ("roster", "history"):
            frame = getattr(self.dataset, name).copy()
            for col in frame.select_dtypes("datetime").columns:
                frame[col] = frame[col].dt.strftime("%Y-%m-%d")
            written.append(save(frame, folder / f"{name}.csv"))
        for file, lines in (("deals_report.txt", self.report.lines()),
                            (NOTES_FILE, self.dataset.notes)):
            text = "\n".join(lines) + "\n"
            written.append(write_atomic(folder / file,
                                        lambda tmp, text=text: tmp.write_text(text, "utf-8")))
        return written


# ---------------------------------------------------------------------------- the call


def load_deals(deals, teams=None, *, preset: str | None = None,
               column_map: Mapping | None = None, stages: Mapping | None = None,
               level: str = "junior", splits=None, date_format: str | None = None
               ) -> DealsLoad:
    """Turn a CRM deal export (one row per opportunity) into a validated roster and history.

    Reads the deals, works out which are won, lost or open, and sums the won ones per rep
    and month into the history contract (revenue, deals won, new customers, renewals, sales
    cycle); builds a roster from the teams table; validates both with
    `helpers.data.from_frames`. The rules (refunds, clawback, renewals, splits) are in this
    module's docstring; the report lists what was read and every assumption made.

    Parameters
    ----------
    deals : path or DataFrame
        The export: a CSV (UTF-8), an .xlsx (the sheet named "deals", else the first) or a
        Parquet file, or a DataFrame. Only read, never written.
    teams : path or DataFrame, optional
        One row per rep: the rep as the CRM names the owner (column rep, rep_id or owner),
        region, team, manager (or manager_id); optional name, hire_date, level,
        leave_date, gender, territory_potential and any other group column. Without it
        every rep is "(unassigned)".
    preset : {"salesforce", "hubspot", "generic"}, optional
        Whose column names the export uses; detected from the header when not given.
    column_map : mapping, optional
        Your column -> field, overriding the preset: fields are deal_id, owner, account,
        stage, created, close, amount (deals), rep, region, team, manager_id, name,
        hire_date, level, leave_date, territory_potential (teams), deal_id, rep, share
        (splits). Either one mapping for all tables or {"deals": {...}, "teams": {...},
        "splits": {...}}.
    stages : mapping, optional
        {"won": [...], "lost": [...], "open": [...]}: each list given replaces the default
        for that outcome (case and spacing ignored). Unknown stages count as open.
    level : str, default "junior"
        The level of reps whose teams row gives none (the entry level unless you say).
    splits : path or DataFrame, optional
        One row per split deal and credited rep: deal id, rep, share (percent, or
        fractions adding up to 1). Shares must add up to 100% per deal.
    date_format : str, optional
        strftime format of the created and close dates (e.g. "%d/%m/%Y"); by default ISO
        dates and then month-first dates (as US exports write them) are understood.

    Returns
    -------
    DealsLoad
        A named tuple (dataset, report): the validated `Dataset` (history without quota,
        csat empty; no reviews) and a `DealsReport`, whose `str()` is a plain-words summary
        (rows read, deals won/lost/open, unknown stages, refunds netted, clawback carried,
        reps without a team, assumptions). `.write(folder)` saves roster.csv, history.csv
        and the report for `helpers.load` or the notebooks.

    Raises
    ------
    DataError
        Input that cannot be read as deals: a missing column (naming the preset's expected
        names), a date or amount that does not parse, a won deal without a close date,
        amount or owner, duplicated deal ids, split shares that do not add up to 100%.
    DealsError
        An argument that cannot work (unknown preset or level, a stage both won and lost).
    """
    level = _check_level(level)
    won_set, lost_set, open_set = _stage_sets(stages)
    raw, source = _read(deals, "deals")
    raw, footer = _drop_footer(raw)
    cols, preset_used, detected = _columns(raw, preset, _table_map(column_map, "deals"),
                                           source)
    frame, rows = _parse_deals(raw, cols, source, date_format)

    stage = _norm_series(frame["stage"].fillna(""))
    won = stage.isin(won_set).to_numpy()
    lost = stage.isin(lost_set).to_numpy() & ~won
    is_open = ~won & ~lost
    unknown = frame["stage"].fillna("(blank)")[is_open & ~stage.isin(open_set).to_numpy()]
    frame["won"], frame["lost"] = won, lost

    credit, split_info = _credit(frame, splits, column_map, won)
    _check_won(frame, rows, cols, won, credit)
    frame = frame.assign(m=_month_ord(frame["close"]),
                         cents=np.round(frame["amount"].fillna(0).to_numpy() * 100))

    history, spans, facts = _history(frame, credit, source)
    roster, team_facts = _roster(spans, teams, column_map, level)
    assumptions = _assumptions(team_facts, level, split_info)
    ds = replace(from_frames(roster, history, source=source), notes=tuple(assumptions))

    sales = won & (frame["amount"].to_numpy() >= 0)
    refunds = won & (frame["amount"].to_numpy() < 0)
    last = history["month"].max()
    left_job = (roster.set_index("rep_id")["leave_date"].notna().to_numpy()
                if "leave_date" in roster.columns else np.zeros(len(roster), bool))
    quiet = spans.index[(spans["last"] < _month_ord(pd.Series([last])).iloc[0]).to_numpy()
                        & ~left_job]
    report = DealsReport(
        source=source, preset=preset_used, preset_detected=detected,
        columns={f: c for f, c in cols.items() if f in FIELDS},
        rows_read=len(raw) + footer, footer_rows=footer,
        won=int(sales.sum()), lost=int(lost.sum()), open=int(is_open.sum()),
        refunds=int(refunds.sum()),
        refunds_amount=float(frame.loc[refunds, "cents"].sum() / 100),
        unknown_stages=unknown.value_counts().sort_index().to_dict(),
        reps=len(roster), months=(f"{history['month'].min():%Y-%m}", f"{last:%Y-%m}"),
        history_rows=len(history), quiet_reps=sorted(quiet),
        assumptions=assumptions, **facts, **split_info,
        **team_facts,
    )
    return DealsLoad(ds, report)


# ----------------------------------------------------------------------- reading input


def _read(data, table: str) -> tuple[pd.DataFrame, str]:
    """The table as read (text cells, rows numbered as the file numbers them) and a label."""
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise DataError(f"{table}: the table is empty (expected a header and data rows)")
        frame = data.rename(columns=lambda c: str(c).strip())
        source = data.attrs.get("source", table)
        frame.attrs.update(source=source)
        return frame, source
    path = Path(data)
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected the {table} as .csv, .xlsx or "
                        ".parquet)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, source = _read_csv(path), str(path)
    elif suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for broken files
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
        frame = frame.set_axis(pd.RangeIndex(1, len(frame) + 1))
        frame.attrs["rows"] = "row"
        source = str(path)
    elif suffix == ".xlsx":
        try:
            with pd.ExcelFile(path) as book:  # closed here, not whenever it is collected
                sheets = book.sheet_names
        except Exception as exc:  # openpyxl raises several types for broken workbooks
            raise DataError(f"{path}: not a readable .xlsx workbook ({exc})") from None
        sheet = next((s for s in sheets if s.strip().lower() == table), sheets[0])
        frame, source = _read_sheet(path, sheet), f"{path}[{sheet}]"
    else:
        raise DataError(f"{path}: expected the {table} as .csv, .xlsx or .parquet")
    if frame.empty:
        raise DataError(f"{source}: no data rows (expected a header and one row per "
                        f"{'deal' if table == 'deals' else 'row'})")
    frame = frame.rename(columns=lambda c: str(c).strip())
    frame.attrs.update(source=source)
    return frame, source


def _drop_footer(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop blank rows and the trailing lines a report export adds (totals, copyright):
    rows at the end with at most one filled cell.
    """
    filled = pd.DataFrame({c: _nonblank(raw[c]) for c in raw.columns}).sum(axis=1).to_numpy()
    tail = np.flip(np.cumprod(np.flip(filled <= 1))).astype(bool)
    keep = (filled > 0) & ~tail
    if keep.all():
        return raw, 0
    attrs = dict(raw.attrs)
    out = raw[keep]
    out.attrs.update(attrs)
    return out, int((~keep).sum())


def _nonblank(s: pd.Series) -> np.ndarray:
    return (s.notna() & (s.astype("string").str.strip() != "")).fillna(False).to_numpy(bool)


def _norm(text) -> str:
    return re.sub(r"[\s_]+", " ", str(text)).strip().casefold()


def _norm_series(s: pd.Series) -> pd.Series:
    return (s.astype("string").str.replace(r"[\s_]+", " ", regex=True).str.strip()
            .str.casefold())


def _table_map(column_map: Mapping | None, table: str) -> tuple[dict[str, str], bool]:
    """(your column -> field) for one table, and whether the map was given per table."""
    if not column_map:
        return {}, False
    per_table = any(isinstance(v, Mapping) for v in column_map.values())
    if per_table:
        unknown = set(column_map) - {"deals", "teams", "splits"}
        if unknown:
            raise DealsError(f"column_map: unknown table(s) {sorted(unknown)}; per-table maps "
                             "are keyed 'deals', 'teams', 'splits'")
        return {str(k): v for k, v in column_map.get(table, {}).items()}, True
    return {str(k): v for k, v in column_map.items()}, False


def _resolve(raw: pd.DataFrame, aliases: Mapping[str, tuple[str, ...]],
             mapping: tuple[dict[str, str], bool], source: str, must_exist: bool
             ) -> dict[str, str]:
    """`field` -> the column of `raw` holding it: the first alias found, then `column_map`.

    A flat column_map serves all tables: an entry for another table's field is skipped, and
    a column this table lacks is an error only where `must_exist` (the deals, or a map given
    per table).
    """
    header = {}
    for col in raw.columns:
        header.setdefault(_norm(col), col)
    found = {}
    for name, names in aliases.items():
        col = next((header[_norm(n)] for n in names if _norm(n) in header), None)
        if col is not None and col not in found.values():
            found[name] = col
    given, per_table = mapping
    for col, name in given.items():
        if name not in ALL_FIELDS or (per_table and name not in aliases):
            raise DealsError(f"column_map: {col!r} -> {name!r}: {name!r} is not a field "
                             f"of this table (fields: {', '.join(aliases)})")
        if name not in aliases:
            continue
        if _norm(col) not in header:
            if must_exist:
                raise DataError(f"{source}: column_map names {col!r}, which is not a column "
                                f"(found {', '.join(repr(str(c)) for c in raw.columns)})")
            continue
        found = {k: v for k, v in found.items() if v != header[_norm(col)]}
        found[name] = header[_norm(col)]
    return found


def _columns(raw: pd.DataFrame, preset: str | None, mapping, source: str
             ) -> tuple[dict[str, str], str, bool]:
    if preset is not None:
        key = str(preset).strip().lower()
        if key not in PRESETS:
            raise DealsError(f"preset={preset!r}: expected one of {', '.join(PRESETS)} "
                             "(or None to detect it from the header)")
        detected = False
    else:
        header = {_norm(c) for c in raw.columns}
        scores = {name: sum(any(_norm(n) in header for n in names)
                            for names in spec.values()) for name, spec in PRESETS.items()}
        key = max(scores, key=scores.get)  # ties: the order of PRESETS
        key = key if scores[key] else "generic"
        detected = True
    cols = _resolve(raw, PRESETS[key], mapping, source, must_exist=True)
    missing = [f for f in REQUIRED if f not in cols]
    if missing:
        hints = "; ".join(
            f"{DESCRIBED[f]}: " + ", ".join(f"{PRESET_NAMES[p]} {PRESETS[p][f][0]!r}"
                                            for p in ("salesforce", "hubspot"))
            for f in missing)
        title = any(str(c).startswith("Unnamed") for c in raw.columns)
        raise DataError(
            f"{source}: missing column(s) for {', '.join(missing)} (read with the "
            f"{PRESET_NAMES[key]} column names{', detected from the header' if detected else ''}"
            f"); found {', '.join(repr(str(c)) for c in raw.columns)}. Expected names: "
            f"{hints}. If your export names them differently, pass "
            f"column_map={{'<your column>': '{missing[0]}'}}."
            + (" The first row does not look like a header: export the report as "
               "'Details Only' or delete the lines above the header." if title else ""))
    return cols, key, detected


_CURRENCY = re.compile(r"^\s*(?:[A-Z]{3}\s*)?[$€£¥]?\s*|\s*(?:[A-Z]{3})?\s*$")
_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def _clean_amount(raw: pd.Series) -> pd.Series:
    """Amounts as a report may format them: 'USD 1,234.50', '$1,234.50', '-1,234.50'."""
    if pd.api.types.is_numeric_dtype(raw):
        return raw
    text = raw.astype("string").str.strip()
    text = text.str.replace(r"^-\s*", "-", regex=True)
    stripped = text.str.replace(_CURRENCY, "", regex=True).str.replace(
        r"^([-]?)[$€£¥]", r"\1", regex=True)
    grouped = stripped.str.match(_GROUPED).fillna(False)
    stripped = stripped.where(~grouped, stripped.str.replace(",", "", regex=False))
    ok = pd.to_numeric(stripped, errors="coerce").notna()
    return stripped.where(ok, raw.astype("string")).astype(object).where(raw.notna(), None)


def _parse_deals(raw: pd.DataFrame, cols: dict[str, str], source: str,
                 date_format: str | None) -> tuple[pd.DataFrame, _Rows]:
    """The deal columns parsed (validate's messages name your columns and rows)."""
    sub = raw[[cols[f] for f in FIELDS if f in cols]].copy()
    if "deal_id" not in cols:  # no id column: the row is the deal's name in messages
        kind = raw.attrs.get("rows", "index label")
        sub.insert(0, "deal_id", f"{kind} " + pd.Index(raw.index).astype(str))
        cols = {"deal_id": "deal_id", **cols}
    sub.attrs.update(raw.attrs)
    spec = Table("deals", (
        Column(cols["deal_id"], "str"),
        Column(cols["owner"], "str", nullable=True),
        Column(cols["account"], "str", nullable=True),
        Column(cols["stage"], "str", nullable=True),
        Column(cols["created"], "date", nullable=True),
        Column(cols["close"], "date", nullable=True),
        Column(cols["amount"], "float", nullable=True),
    ), key=(cols["deal_id"],))
    rows = _Rows(sub, source, spec)
    sub[cols["amount"]] = _clean_amount(sub[cols["amount"]])
    if date_format:
        for name in ("created", "close"):
            col = sub[cols[name]]
            if pd.api.types.is_datetime64_any_dtype(col):
                continue
            text = col.astype("string").str.strip()
            parsed = pd.to_datetime(text, format=date_format, errors="coerce")
            example = pd.Timestamp("2024-03-15").strftime(date_format)
            rows.fail(cols[name], pd.Series(_nonblank(col) & parsed.isna().to_numpy()),
                      f"has values that are not dates in the format {date_format!r}",
                      f"dates like {example!r}")
            sub[cols[name]] = parsed
    parsed = validate(sub, spec, source)
    out = parsed.rename(columns={v: k for k, v in cols.items()})
    for name in ("created", "close"):
        out[name] = out[name].dt.normalize()
    return out[list(FIELDS)], rows


def _check_won(frame: pd.DataFrame, rows: _Rows, cols: dict[str, str], won: np.ndarray,
               credit: pd.DataFrame) -> None:
    credited = np.zeros(len(frame), bool)
    credited[credit["pos"].to_numpy()] = True
    for name, bad, expected in (
            ("close", frame["close"].isna().to_numpy(), "a close date on every won deal"),
            ("amount", frame["amount"].isna().to_numpy(), "the amount of every won deal"),
            ("owner", ~credited, "the rep who owns each won deal (or rows for it in splits)")):
        rows.fail(cols[name], pd.Series(won & bad), "is empty on won deals", expected)


# -------------------------------------------------------------------------- parameters


def _check_level(level: str) -> str:
    value = str(level).strip().lower()
    if value not in LEVELS:
        raise DealsError(f"level={level!r}: expected one of {', '.join(LEVELS)}")
    return value


def _stage_sets(stages: Mapping | None) -> tuple[set[str], set[str], set[str]]:
    given = dict(stages or {})
    unknown = set(given) - {"won", "lost", "open"}
    if unknown:
        raise DealsError(f"stages: unknown key(s) {sorted(unknown)}; expected 'won', 'lost' "
                         "and/or 'open', each a list of stage names")

    def names(key: str, default: Iterable[str]) -> set[str]:
        value = given.get(key, default)
        value = [value] if isinstance(value, str) else list(value)
        return {_norm(v) for v in value}

    won, lost, open_ = names("won", WON), names("lost", LOST), names("open", OPEN)
    both = sorted((won & lost) | (won & open_) | (lost & open_))
    if both:
        raise DealsError(f"stages: {both} listed under two outcomes; a stage is won, lost "
                         "or open")
    return won, lost, open_


# ------------------------------------------------------------------------------ splits


def _credit(frame: pd.DataFrame, splits, column_map, won: np.ndarray
            ) -> tuple[pd.DataFrame, dict]:
    """One row per deal and credited rep: pos (the deal's row), rep, share (0-1]."""
    pos = np.arange(len(frame))
    owned = pd.DataFrame({"pos": pos, "rep": frame["owner"].to_numpy(), "share": 1.0})
    info = {"split_deals": 0, "split_rows_unmatched": 0}
    if splits is not None:
        table = _read_splits(splits, column_map)
        where = pd.Series(pos, index=frame["deal_id"].to_numpy())
        matched = table["deal_id"].isin(where.index)
        info["split_rows_unmatched"] = int((~matched).sum())
        table = table[matched]
        split_pos = where.loc[table["deal_id"].to_numpy()].to_numpy()
        split = pd.DataFrame({"pos": split_pos, "rep": table["rep"].to_numpy(),
                              "share": table["share"].to_numpy()})
        owned = owned[~owned["pos"].isin(split_pos)]
        info["split_deals"] = int(pd.unique(split_pos).size)
        owned = pd.concat([owned, split[split["share"] > 0]], ignore_index=True)
    owned = owned[owned["rep"].notna()]
    no_owner = np.ones(len(frame), bool)
    no_owner[owned["pos"].to_numpy()] = False
    info["no_owner"] = int((no_owner & ~won).sum())
    return owned.sort_values(["pos", "rep"], ignore_index=True), info


def _read_splits(splits, column_map) -> pd.DataFrame:
    raw, source = _read(splits, "splits")
    raw, _ = _drop_footer(raw)
    mapping = _table_map(column_map, "splits")
    cols = _resolve(raw, SPLIT_FIELDS, mapping, source, mapping[1])
    missing = [f for f in SPLIT_FIELDS if f not in cols]
    if missing:
        raise DataError(
            f"{source}: missing split column(s) for {', '.join(missing)}; found "
            f"{', '.join(repr(str(c)) for c in raw.columns)}. Expected one row per deal and "
            "credited rep: deal_id (e.g. 'Opportunity ID'), rep (e.g. 'Team Member'), share "
            "(e.g. 'Percent (%)'); or pass column_map={'splits': {'<your column>': "
            f"'{missing[0]}'}}}}.")
    sub = raw[[cols["deal_id"], cols["rep"], cols["share"]]].copy()
    sub.attrs.update(raw.attrs)
    share = sub[cols["share"]]
    if not pd.api.types.is_numeric_dtype(share):
        sub[cols["share"]] = share.astype("string").str.strip().str.rstrip("%").str.strip()
    spec = Table("splits", (Column(cols["deal_id"], "str"), Column(cols["rep"], "str"),
                            Column(cols["share"], "float", min=0)),
                 key=(cols["deal_id"], cols["rep"]))
    parsed = validate(sub, spec, source).set_axis(["deal_id", "rep", "share"], axis=1)
    total = parsed.groupby("deal_id", sort=True)["share"].sum()
    if np.allclose(total.to_numpy(), 1.0, atol=1e-6):
        parsed["share"] *= 100  # fractions
        total *= 100
    off = total[(total - 100).abs() > 0.01]
    if len(off):
        shown = ", ".join(f"{d} ({v:g}%)" for d, v in off.iloc[:SHOW].items())
        more = f" and {len(off) - SHOW} more" if len(off) > SHOW else ""
        raise DataError(
            f"{source}: split shares of {len(off)} deal(s) do not add up to 100%: "
            f"{shown}{more}. Expected the shares of each deal to add up to 100% (or all to "
            "1 as fractions); keep one split type (e.g. revenue splits, not overlay).")
    parsed["share"] /= 100
    return parsed


# ----------------------------------------------------------------------------- history


def _month_ord(dates: pd.Series) -> pd.Series:
    """Months as whole numbers (year * 12 + month - 1), NaN where no date."""
    return (dates.dt.year * 12 + dates.dt.month - 1).astype("float64")


def _split_cents(cents: np.ndarray, credit: pd.DataFrame) -> np.ndarray:
    """Each credited rep's cents of the deal: shares rounded by largest remainder, so the
    parts add up to the deal's amount exactly (ties to the rep first by name).
    """
    deal = credit["pos"].to_numpy()
    total = cents[deal]
    sign, whole = np.sign(total), np.abs(total)
    exact = whole * credit["share"].to_numpy()
    base = np.floor(exact + 1e-6)
    left = (whole - pd.Series(base).groupby(deal).transform("sum").to_numpy()).round()
    order = pd.DataFrame({"deal": deal, "rem": -(exact - base), "rep": credit["rep"].to_numpy()})
    rank = order.sort_values(["deal", "rem", "rep"]).groupby("deal").cumcount()
    extra = (rank.sort_index().to_numpy() < left).astype(float)
    return sign * (base + extra)


def _first_per(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The first won sale per key: earliest close date, then created date, then deal id."""
    ordered = frame.sort_values(keys + ["close", "created", "deal_id"], na_position="last")
    return ordered.drop_duplicates(keys)


def _history(frame: pd.DataFrame, credit: pd.DataFrame, source: str
             ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    pos, share, rep = (credit["pos"].to_numpy(), credit["share"].to_numpy(),
                       credit["rep"].to_numpy())
    amount = frame["amount"].to_numpy()
    won = frame["won"].to_numpy()
    sale = won & (amount >= 0)
    m = frame["m"].to_numpy()
    created = frame["created"]
    days = (frame["close"] - created).dt.days.to_numpy(dtype=float)
    timed = sale & (days >= 0)

    # activity: created dates of every credited deal, close dates of won and lost deals
    closed = won | frame["lost"].to_numpy()
    dates = pd.DataFrame({"created": created, "closed": frame["close"].where(closed)})
    act = pd.DataFrame({"rep": rep, "first": dates.min(axis=1).to_numpy()[pos],
                        "last": dates.max(axis=1).to_numpy()[pos]})
    spans = act.groupby("rep", sort=True).agg(hire=("first", "min"), last_date=("last", "max"))
    spans = spans[spans["hire"].notna()]
    if spans.empty:
        raise DataError(f"{source}: no deal has both a rep (owner "
                        "or split) and a created or close date, so there is no history")
    spans["first"] = _month_ord(spans["hire"]).astype(int)
    spans["last"] = _month_ord(spans["last_date"]).astype(int)

    events = [pd.DataFrame({"rep": rep[won[pos]], "m": m[pos][won[pos]],
                            "cents": _split_cents(frame["cents"].to_numpy(), credit)[won[pos]],
                            "deals": np.where(sale[pos], share, 0.0)[won[pos]],
                            "cycle_sum": np.where(timed[pos], share * np.nan_to_num(days[pos]),
                                                  0.0)[won[pos]],
                            "cycle_n": np.where(timed[pos], share, 0.0)[won[pos]]})]

    sales = frame[sale & frame["account"].notna().to_numpy()].assign(
        pos=np.flatnonzero(sale & frame["account"].notna().to_numpy()))
    newcomers = _first_per(sales, ["account"])
    on_new = credit[credit["pos"].isin(newcomers["pos"])]
    events.append(pd.DataFrame({"rep": on_new["rep"].to_numpy(),
                                "m": m[on_new["pos"].to_numpy()],
                                "new": on_new["share"].to_numpy()}))

    bought = _first_per(sales, ["account", "m"]).sort_values(["account", "m"])
    following = bought.groupby("account")["m"].shift(-1)
    retained = (following <= bought["m"] + RENEWAL_MONTHS).to_numpy()
    due = pd.DataFrame({"pos": bought["pos"].to_numpy(), "due": bought["m"].to_numpy()
                        + RENEWAL_MONTHS, "kept": retained.astype(float)})
    on_due = credit.merge(due, on="pos")
    events.append(pd.DataFrame({"rep": on_due["rep"].to_numpy(), "m": on_due["due"].to_numpy(),
                                "up": on_due["share"].to_numpy(),
                                "kept": (on_due["share"] * on_due["kept"]).to_numpy()}))

    sums = (pd.concat(events, ignore_index=True).fillna(0.0)
            .groupby(["rep", "m"], sort=False).sum())

    # the grid: every month from a rep's first to last activity
    n = (spans["last"] - spans["first"] + 1).to_numpy()
    reps = np.repeat(spans.index.to_numpy(), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    months = np.repeat(spans["first"].to_numpy(), n) + offset
    grid = pd.MultiIndex.from_arrays([reps, months.astype(float)], names=["rep", "m"])
    inside = sums.index.isin(grid)
    outside = sums[~inside]
    got = sums.reindex(grid, fill_value=0.0)

    cents = got["cents"].to_numpy()
    run = pd.Series(cents).groupby(reps).cumsum()
    banked = run.clip(lower=0).groupby(reps).cummax()
    revenue = banked - banked.groupby(reps).shift(fill_value=0.0)
    owed = (banked - run).to_numpy()  # shortfall still carried after each month
    grew = owed - pd.Series(owed).groupby(reps).shift(fill_value=0.0).to_numpy()
    end = np.cumsum(n) - 1
    left = pd.Series(owed[end] / 100, index=spans.index)
    left = left[left > 0.004]

    def count(x: np.ndarray) -> np.ndarray:  # credited shares to whole numbers, halves up
        return np.floor(x + 0.5 + 1e-9).astype("int64")

    up = count(got["up"].to_numpy())
    cycle = divide_or_nan(got["cycle_sum"].to_numpy(), got["cycle_n"].to_numpy())
    history = pd.DataFrame({
        "rep_id": pd.array(reps, dtype="string"),
        "month": _month_start(months),
        "revenue": revenue.to_numpy() / 100,
        "deals_won": count(got["deals"].to_numpy()),
        "new_customers": count(got["new"].to_numpy()),
        "customers_retained": np.minimum(count(got["kept"].to_numpy()), up),
        "customers_up_for_renewal": up,
        "csat": np.nan,
        "sales_cycle_days": cycle,
    })
    facts = {
        "no_account": int((won & (amount >= 0) & frame["account"].isna().to_numpy()).sum()),
        "cycle_skipped": int((sale & ~timed).sum()),
        "clawback_months": int((grew > 0.5).sum()),
        "clawback_carried": float(grew[grew > 0].sum() / 100),
        "clawback_left": left.round(2).to_dict(),
        "renewals_outside": float(np.round(outside["up"].sum(), 6)),
        "zero_months": int((history["deals_won"].eq(0) & history["revenue"].eq(0)).sum()),
    }
    return history, spans, facts


def _month_start(months: np.ndarray) -> pd.Series:
    """Month numbers (year * 12 + month - 1) as the first day of the month."""
    months = np.asarray(months, dtype=np.int64)
    stamps = (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(stamps)


# ------------------------------------------------------------------------------ roster


def _roster(spans: pd.DataFrame, teams, column_map, level: str) -> tuple[pd.DataFrame, dict]:
    reps = spans.index
    roster = pd.DataFrame({"rep_id": pd.array(reps, dtype="string"),
                           "name": pd.array(reps, dtype="string")})
    facts = {"teams_given": teams is not None, "team_columns": [], "hire_given": 0,
             "level_given": 0, "team_reps_without_deals": []}
    table, known = None, np.zeros(len(reps), bool)
    if teams is not None:
        table = _read_teams(teams, column_map)
        facts["team_columns"] = [c for c in table.columns if c != "rep"]
        facts["team_reps_without_deals"] = sorted(table.loc[~table["rep"].isin(reps), "rep"])
        known = reps.isin(table["rep"])
        table = table.set_index("rep").reindex(reps)
    facts["reps_without_team"] = sorted(reps[~known])

    def given(col: str) -> pd.Series:
        if table is None or col not in table.columns:
            return pd.Series(pd.NA, index=reps, dtype="object")
        return table[col]

    for col in ("region", "team", "manager_id"):
        roster[col] = given(col).astype("string").fillna(UNASSIGNED).to_numpy()
    name = given("name").astype("string")
    roster["name"] = name.fillna(pd.Series(reps, index=reps, dtype="string")).to_numpy()
    hire = pd.to_datetime(given("hire_date"))
    facts["hire_given"] = int(hire.notna().sum())
    roster["hire_date"] = hire.fillna(spans["hire"]).dt.normalize().to_numpy()
    levels = given("level").astype("string")
    facts["level_given"] = int(levels.notna().sum())
    roster["level"] = levels.fillna(level).to_numpy()
    assumed = (np.where(levels.isna(), "level ", "") + np.where(hire.isna(), "hire_date", ""))
    roster["assumed"] = pd.array(np.char.strip(assumed.astype(str)), dtype="string")
    roster["assumed"] = roster["assumed"].replace("", pd.NA)
    if table is not None:
        for col in table.columns:
            if col not in roster.columns:
                roster[col] = table[col].to_numpy()
    return roster, facts


def _read_teams(teams, column_map) -> pd.DataFrame:
    raw, source = _read(teams, "teams")
    raw, _ = _drop_footer(raw)
    mapping = _table_map(column_map, "teams")
    cols = _resolve(raw, TEAM_FIELDS, mapping, source, mapping[1])
    if "rep" not in cols:
        raise DataError(
            f"{source}: no rep column; found {', '.join(repr(str(c)) for c in raw.columns)}. "
            "Expected one row per rep with the rep as the CRM names the deal owner (column "
            "'rep', 'rep_id' or 'owner'), region, team and manager; or pass "
            "column_map={'teams': {'<your column>': 'rep'}}.")
    kinds = {"rep": "str", "region": "str", "team": "str", "manager_id": "str", "name": "str",
             "hire_date": "date", "level": "level", "leave_date": "date",
             "territory_potential": "float"}
    spec = Table("teams", tuple(
        Column(cols[f], kind, required=f == "rep", nullable=f != "rep",
               min=0 if kind == "float" else None)
        for f, kind in kinds.items() if f in cols), key=(cols["rep"],))
    used = set(cols.values())
    extras = [c for c in raw.columns if c not in used
              and _norm(c) not in {_norm(f) for f in kinds}]
    sub = raw[list(cols.values()) + extras]
    sub.attrs.update(raw.attrs)
    parsed = validate(sub, spec, source)
    return parsed.rename(columns={v: k for k, v in cols.items()})


def _assumptions(team: dict, level: str, split_info: dict) -> list[str]:
    out = ["The history is derived from the deals: revenue, deals and customers by close "
           "month of won deals; refunds net into revenue, a negative month carries into the "
           "rep's next months.",
           "A rep's history runs from their first to their last activity (a deal created, "
           "won or lost); months without a won deal are zeros.",
           "Renewals: each month an account wins falls due 12 months later; retained if it "
           "won again in those 12 months.",
           "No CSAT in CRM data: csat is empty."]
    n = len(team.get("reps_without_team", []))
    out.append("No teams table: every rep's region, team and manager is (unassigned)."
               if not team["teams_given"] else
               f"Reps missing from the teams table ({n}) are (unassigned)." if n else
               "Region, team and manager come from the teams table.")
    out.append("Hire date = the rep's first activity (created date of their first deal)"
               + (f", except {team['hire_given']} rep(s) whose hire_date the teams table "
                  "gives." if team["hire_given"] else "."))
    out.append(f"Level = {level}" + (f", except {team['level_given']} rep(s) whose level the "
                                     "teams table gives." if team["level_given"] else
                                     " for every rep."))
    out.append("Name and rep_id = the deal owner's name as the CRM writes it.")
    if split_info.get("split_deals"):
        out.append("Split deals: revenue split to the cent by share, counts by share rounded "
                   "per rep and month (halves up).")
    out.append("No quota in CRM data: attainment is measured against the rep's own "
               "previous 12 months.")
    return out


def _listed(items: list[str]) -> str:
    items = list(items)
    more = f" and {len(items) - SHOW} more" if len(items) > SHOW else ""
    return ", ".join(items[:SHOW]) + more


__all__ = ["DealsError", "DealsLoad", "DealsReport", "load_deals", "FIELDS", "PRESETS"]
