"""The opening every notebook shares: load the data, settle the plan year and the output
folder, say what was loaded (and what the loader assumed), and count the quality findings.

One call, so the three notebooks (and `make run`) open the same way and a change to how
data is opened is made once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .app import page_output_dir
from .data import Dataset, load, load_sample, quality_report


class Start(NamedTuple):
    """What a notebook works on, from `start`.

    Parameters
    ----------
    ds : Dataset
        The validated data.
    year : int
        The plan year.
    out : pathlib.Path
        Where the notebook writes.
    findings : pandas.DataFrame
        Quality findings counted by severity and check (`quality_report` has the rows).
    """

    ds: Dataset
    year: int
    out: Path
    findings: pd.DataFrame


def start(data_path: str | os.PathLike | None = None, year: int | None = None,
          output_path: str | os.PathLike | None = None, *, show: bool = True) -> Start:
    """Open the data for a notebook and print what was loaded.

    Parameters
    ----------
    data_path : str or path-like, optional
        A data folder or .xlsx (see `helpers.load`); None loads the sample company.
    year : int, optional
        The plan year; None is the year after the last history year.
    output_path : str or path-like, optional
        Where to write; None is `outputs/` (or $SALES_OUTPUTS), or in the app a folder of
        the page's own (`helpers.app.session_dir`): an app page never overwrites the batch
        outputs.
    show : bool, default True
        Print `Dataset.summary` (what was loaded, and what the loader assumed).

    Returns
    -------
    Start
        The data, the plan year, the output folder and the quality findings per check.

    Raises
    ------
    DataError
        When the data breaks the data contract (the message names file, column and rows).
    """
    ds = load(data_path) if data_path else load_sample()
    year = int(year or ds.plan_year)
    out = page_output_dir() if output_path is None else Path(output_path)
    if show:
        print(*ds.summary(year), sep="\n")
    report = quality_report(ds)
    findings = report.groupby(["severity", "check"]).size().rename("findings").to_frame()
    return Start(ds, year, out, findings)


__all__ = ["Start", "start"]
