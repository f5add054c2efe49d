"""What a run records: each notebook's settings and key figures, in plain words.

The notebooks write `settings_<notebook>.json` with `record_run` beside their CSVs; the
plan workbook's Assumptions sheet (`assumptions`, `helpers.export`) and the HTML reports'
summary (`helpers.report`) read them back (`read_run`), so a hand-over states the settings
its numbers come from.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .data import write_atomic
from .errors import ExportError

SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def plain_words(name: str) -> str:
    """A snake_case name in sentence case ("cost_of_sales" -> "Cost of sales"); any other
    name as it is.

    Parameters
    ----------
    name : str
        A column or setting name.

    Returns
    -------
    str
        The name in plain words.
    """
    if not SNAKE.fullmatch(name):
        return name
    words = name.replace("_", " ")
    return words[0].upper() + words[1:]

FIGURE_KINDS = ("money", "share", "count", "text")
SETTING_LABELS = {  # setting -> (plain words, how its value reads)
    "growth": ("Company growth on last year", "share"),
    "company_method": ("Company number from", "text"),
    "year_weights": ("Weights of the last years, most recent first", "text"),
    "weights": ("KPI weights", "text"),
    "trend_years": ("Trend fitted on the last years", "text"),
    "damping": ("Trend damping a month", "text"),
    "outliers": ("Outlier months in a rep's basis", "text"),
    "method": ("Split to reps by", "text"),
    "blend": ("Blend of split methods", "text"),
    "over_assign": ("Reps' targets above the company number", "share"),
    "ramp_months": ("New hires' ramp (months)", "text"),
    "planned_hires": ("Planned hires", "text"),
    "grain": ("Phased to", "text"),
    "seed": ("Random seed", "text"),
    "preset": ("KPI weights preset", "text"),
    "scale": ("KPIs put on one scale by", "text"),
    "cut_rule": ("Levels set by", "text"),
    "standards_file": ("Level standards file", "text"),
    "margin": ("Margin that keeps a current level", "text"),
    "demote": ("Demote below the standard", "text"),
    "gates": ("Gates for senior and above", "text"),
    "adjust_reviews": ("Manager leniency taken out of reviews", "text"),
    "adjust_territory": ("Volume KPIs adjusted for territory", "text"),
    "n_boot": ("Resamples for stability", "text"),
    "agenda_share": ("Most reps on the calibration agenda", "share"),
    "plans": ("Plans compared", "text"),
    "plans_folder": ("Plans folder", "text"),
    "n_scenarios": ("Simulated years a plan", "text"),
    "scenario": ("Market scenario", "text"),
    "on_missing": ("A gate on a measure the data lacks", "text"),
    "budget": ("Budget limits", "text"),
    "inputs": ("Targets and levels read from", "text"),
}
NOTEBOOK_TITLES = {"01_targets": "Targets", "02_grading": "Levels",
                   "03_incentives": "Incentives"}
SAMPLE_SOURCE = "sample company (data/sample)"


def data_source(data_path: str | Path | None) -> str:
    """The data's name a client may read: the folder or file name, never a server path.

    Parameters
    ----------
    data_path : str or pathlib.Path or None
        What the notebook loaded; None for the sample company.

    Returns
    -------
    str
        The last part of the path, or "sample company (data/sample)".
    """
    return Path(data_path).name if data_path else SAMPLE_SOURCE


def _plain(value):
    """A setting as JSON holds it: numpy scalars as numbers, tuples as lists, paths as names."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return value.name
    if isinstance(value, pd.Series):
        return value.to_dict()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def record_run(out: str | Path, notebook: str, *, year: int,
               data_path: str | Path | None = None, settings: Mapping | None = None,
               figures: Sequence[tuple[str, object, str]] = ()) -> Path:
    """Write what a notebook ran with and found to `<out>/settings_<notebook>.json`.

    The workbook's Assumptions sheet and the HTML report's summary read it (`read_run`), so
    a hand-over states the settings its numbers come from. Written atomically.

    Parameters
    ----------
    out : str or pathlib.Path
        The run's output folder.
    notebook : str
        The notebook's name without `.ipynb` ("01_targets").
    year : int
        The plan year.
    data_path : str or pathlib.Path or None, default None
        What the notebook loaded (only its name is kept, `data_source`); None: the sample.
    settings : mapping or None, default None
        Setting name -> value (JSON-able; numpy scalars, tuples and paths are converted).
    figures : sequence of (str, object, str), default ()
        Key figures as (label, value, kind); kind one of `FIGURE_KINDS`.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ExportError
        If a figure's kind is not one of `FIGURE_KINDS`.
    """
    bad = [label for label, _, kind in figures if kind not in FIGURE_KINDS]
    if bad:
        raise ExportError(f"record_run {notebook}: figure(s) {bad} need a kind from "
                          f"{FIGURE_KINDS}")
    now = dt.datetime.now(dt.UTC)
    record = {"notebook": notebook, "year": int(year), "run_date": now.date().isoformat(),
              "run_at": now.isoformat(timespec="seconds"), "data_source": data_source(data_path),
              "settings": dict(settings or {}),
              "figures": [{"label": label, "value": value, "kind": kind}
                          for label, value, kind in figures]}
    text = json.dumps(record, indent=2, default=_plain, allow_nan=True)
    return write_atomic(Path(out) / f"settings_{notebook}.json", lambda tmp: tmp.write_text(text))


def read_run(folder: str | Path, notebook: str) -> dict | None:
    """What `record_run` wrote for `notebook` in `folder`, or None if it wrote nothing.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run's output folder.
    notebook : str
        The notebook's name without `.ipynb`.

    Returns
    -------
    dict or None
        The record: notebook, year, run_date, run_at, data_source, settings, figures.

    Raises
    ------
    ExportError
        If the file is not JSON or lacks a key (the message names the file and the key).
    """
    file = Path(folder) / f"settings_{notebook}.json"
    if not file.exists():
        return None
    try:
        record = json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise ExportError(f"{file.name}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(record, dict):
        raise ExportError(f"{file.name}: expected an object with the run's settings")
    for key in ("run_date", "data_source", "settings", "figures"):
        if key not in record:
            raise ExportError(f"{file.name}: key {key!r} missing; re-run "
                              f"notebooks/{notebook}.ipynb")
    for i, figure in enumerate(record["figures"]):
        if not isinstance(figure, dict) or figure.get("kind") not in FIGURE_KINDS \
                or "label" not in figure or "value" not in figure:
            raise ExportError(f"{file.name}: figures[{i}] needs label, value and a kind "
                              f"from {FIGURE_KINDS}")
    return record


def format_figure(value, kind: str) -> str:
    """A key figure as a reader sees it: money with separators, shares as percents.

    Parameters
    ----------
    value : object
        The number (or text); None or NaN reads "not computed".
    kind : str
        One of `FIGURE_KINDS`.

    Returns
    -------
    str
        E.g. "118,896,125", "54.2%", "114", or the text.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "not computed"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "share":
        return f"{value:.1%}"
    if kind == "count":
        return f"{int(value):,d}"
    return str(value)


def describe_setting(name: str, value) -> tuple[str, str]:
    """A setting in plain words: its label (`SETTING_LABELS`) and its value as text.

    Parameters
    ----------
    name : str
        The notebook parameter's name.
    value : object
        Its value (None, bool, number, list or dict).

    Returns
    -------
    tuple of (str, str)
        The label and the value as a reader sees them ("Company growth on last year",
        "5.0%").
    """
    label, kind = SETTING_LABELS.get(name, (plain_words(name), "text"))
    if value is None:
        return label, "none (the default)"
    if isinstance(value, bool):
        return label, "yes" if value else "no"
    if kind == "share" and isinstance(value, int | float):
        return label, f"{value:.1%}"
    if isinstance(value, dict):  # {"senior": {"csat": 75}} -> "senior: csat 75"
        return label, "; ".join(
            f"{str(k).replace('_', ' ')}: {describe_setting(str(k), v)[1].replace('; ', ', ')}"
            if isinstance(v, dict)
            else f"{str(k).replace('_', ' ')} {describe_setting(str(k), v)[1]}"
            for k, v in value.items())
    if isinstance(value, list):
        return label, ", ".join(str(v) for v in value)
    return label, str(value)


def assumptions(folder: str | Path, year: int | None = None) -> pd.DataFrame:
    """The Assumptions sheet: the run (date, data, year, version), each notebook's settings
    and key figures, from the notebooks' `record_run` files.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run's output folder.
    year : int or None, default None
        Plan year shown; None for the records' year.

    Returns
    -------
    pandas.DataFrame
        Columns Section, Setting, Value (all text); a notebook that recorded nothing gets a
        row saying so.

    Raises
    ------
    ExportError
        If a record is malformed (`read_run`).
    """
    records = {nb: read_run(folder, nb) for nb in NOTEBOOK_TITLES}
    found = [r for r in records.values() if r]
    rows = [("Run", "Plan year", str(year or (found[0]["year"] if found else "not recorded"))),
            ("Run", "Run date", max((r["run_date"] for r in found), default="not recorded")),
            ("Run", "Data source", ", ".join(dict.fromkeys(r["data_source"] for r in found))
             or "not recorded"),
            ("Run", "Workbook version", workbook_version())]
    for notebook, record in records.items():
        section = NOTEBOOK_TITLES[notebook]
        if record is None:
            rows.append((section, "Settings", f"not recorded: run notebooks/{notebook}.ipynb "
                                              "(make run) to state them here"))
            continue
        rows += [(section, *describe_setting(name, value))
                 for name, value in record["settings"].items()]
        rows += [(f"{section}: key figures", f["label"], format_figure(f["value"], f["kind"]))
                 for f in record["figures"]]
    return pd.DataFrame(rows, columns=["Section", "Setting", "Value"])


def workbook_version() -> str:
    """The version of this workbook's code (the `helpers` package), for the Assumptions.

    Returns
    -------
    str
        The installed package version, or "unknown" if it is not installed.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("helpers")
    except PackageNotFoundError:
        return "unknown"
