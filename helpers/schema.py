"""The data contract: every table, column, dtype, unit and allowed range in one place.

`helpers.data` validates against these specs, so an error message, the README table and
the loaders all read the same definition.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS: tuple[str, ...] = ("junior", "intermediate", "senior", "principal", "top")
"""Rep levels, lowest first (an ordered category everywhere in the workbook)."""


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind drives parsing, min/max the range check.

    Parameters
    ----------
    name : str
        Column name as it appears in the CSV.
    kind : str
        How it is parsed: "str", "date", "month", "float", "int" or "level".
    required : bool, default True
        Whether a table without this column is refused.
    min, max : float or None, default None
        Allowed range (inclusive); None for no bound.
    nullable : bool, default False
        Whether an empty cell is allowed.
    unit : str, default ""
        Unit shown in the README table (e.g. "currency").
    doc : str, default ""
        Plain-words note on the column.
    fill : bool, default False
        Optional, and an absent column is read as all empty.
    """

    name: str
    kind: str  # "str" | "date" | "month" | "float" | "int" | "level"
    required: bool = True
    min: float | None = None
    max: float | None = None
    nullable: bool = False
    unit: str = ""
    doc: str = ""
    fill: bool = False  # optional, and an absent column is read as all empty (a measure
    #                     the engines expect, which the data simply does not have)

    @property
    def expected(self) -> str:
        """Plain-words description of what a valid value looks like (used in errors)."""
        what = {
            "str": "text",
            "date": "a date like 2024-03-15",
            "month": "the first day of a month like 2024-03-01",
            "float": "a number",
            "int": "a whole number",
            "level": "one of " + ", ".join(LEVELS),
        }[self.kind]
        if self.min is not None and self.max is not None:
            what += f" between {self.min:g} and {self.max:g}"
        elif self.min is not None:
            what += f" >= {self.min:g}"
        return what


@dataclass(frozen=True)
class Table:
    """One table of the contract: its columns and the columns that key a row.

    Parameters
    ----------
    name : str
        Table name ("roster", "history", "reviews"), also the CSV's stem.
    columns : tuple of Column
        Its columns, in file order.
    key : tuple of str
        Columns whose values identify a row (no duplicates allowed).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        """Names of the columns a file must have."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        """The column called `name`.

        Parameters
        ----------
        name : str
            A column name of this table.

        Returns
        -------
        Column
            Its spec (StopIteration if the table has no such column).
        """
        return next(c for c in self.columns if c.name == name)


ROSTER = Table(
    "roster",
    (
        Column("rep_id", "str", doc="unique rep identifier"),
        Column("name", "str"),
        Column("region", "str"),
        Column("team", "str"),
        Column("manager_id", "str", doc="rater in reviews; fairness checks by manager"),
        Column("hire_date", "date"),
        Column("level", "level", doc="current level"),
        Column("leave_date", "date", required=False, nullable=True, doc="empty while employed"),
        Column("gender", "str", required=False, nullable=True, doc="fairness group"),
        Column("territory_potential", "float", required=False, min=0, unit="currency/year"),
        Column("assumed", "str", required=False, nullable=True,
               doc="roster fields the loader assumed for this rep, e.g. 'level hire_date'"),
    ),
    key=("rep_id",),
)

HISTORY = Table(
    "history",
    (
        Column("rep_id", "str"),
        Column("month", "month"),
        Column("revenue", "float", min=0, unit="currency"),
        Column("deals_won", "int", min=0),
        Column("new_customers", "int", min=0),
        Column("customers_retained", "int", min=0),
        Column("customers_up_for_renewal", "int", min=0),
        Column("csat", "float", required=False, min=0, max=100, nullable=True,
               doc="empty when no survey; absent: no CSAT at all", fill=True),
        Column("sales_cycle_days", "float", required=False, min=0, nullable=True,
               doc="empty when no deal; absent: not recorded", fill=True),
        Column("quota", "float", required=False, min=0, unit="currency",
               doc="last year's monthly target, for attainment"),
    ),
    key=("rep_id", "month"),
)

REVIEWS = Table(
    "reviews",
    (
        Column("rep_id", "str"),
        Column("period", "str", doc="e.g. 2025H1"),
        Column("rater_id", "str"),
        Column("product_knowledge", "float", min=1, max=5),
        Column("collaboration", "float", min=1, max=5),
    ),
    key=("rep_id", "period", "rater_id"),
)

TABLES: dict[str, Table] = {t.name: t for t in (ROSTER, HISTORY, REVIEWS)}
OPTIONAL_TABLES = ("reviews",)
