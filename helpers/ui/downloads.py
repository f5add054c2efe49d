"""Download buttons: what a panel shows now, as an Excel workbook and CSV files, in the browser.

A click builds the files from the panel's current result (never from a file on the server):
the workbook through `helpers.export.write_workbook` in a temporary folder, so the batch
outputs are never written, and each table as CSV; the links carry the files themselves
(data URLs), so nothing is served from the server's folders and nothing outlives the page.
Importing this builds no widget.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path

import ipywidgets as w
import pandas as pd

from ..errors import WorkbookError
from ..export import write_workbook
from .base import error_html

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINK = ("<a download='{name}' href='data:{mime};base64,{data}' class='download-link' "
        "style='margin-right:14px'>{label}</a>")


def file_stem(text: str) -> str:
    """`text` as a safe file stem: letters, digits, '-' and '_' only ("Targets 2027" ->
    "targets_2027").

    Parameters
    ----------
    text : str
        The name.

    Returns
    -------
    str
        The stem ("download" when nothing is left).
    """
    stem = re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")
    return stem or "download"


def download_files(sheets: Mapping[str, pd.DataFrame], stem: str) -> dict[str, bytes]:
    """The files a download offers: `<stem>.xlsx` with every sheet, and one CSV per sheet.

    Parameters
    ----------
    sheets : Mapping[str, pandas.DataFrame]
        Sheet name -> table, in order.
    stem : str
        The files' common name (made safe with `file_stem`).

    Returns
    -------
    dict of str to bytes
        File name -> content.

    Raises
    ------
    ExportError
        When a sheet name is not one Excel takes (`write_workbook` says which).
    """
    stem = file_stem(stem)
    with tempfile.TemporaryDirectory(prefix="download-") as folder:
        book = write_workbook(Path(folder) / f"{stem}.xlsx", dict(sheets))
        files = {book.name: book.read_bytes()}
    for name, frame in sheets.items():  # a sheet named like the file: not said twice
        csv = stem if file_stem(name) == stem else f"{stem}_{file_stem(name)}"
        files[f"{csv}.csv"] = frame.to_csv(index=False).encode("utf-8")
    return files


def links_html(files: Mapping[str, bytes]) -> str:
    """One download link per file, the file inside the link (a data URL).

    Parameters
    ----------
    files : Mapping[str, bytes]
        File name -> content.

    Returns
    -------
    str
        The links' HTML.
    """
    links = []
    for name, content in files.items():
        mime = XLSX if name.endswith(".xlsx") else "text/csv"
        kind = "Excel" if name.endswith(".xlsx") else "CSV"
        links.append(LINK.format(name=escape(name, quote=True), mime=mime,
                                 data=base64.b64encode(content).decode("ascii"),
                                 label=f"⬇ {escape(name)} ({kind})"))
    return "".join(links)


class Downloads(w.HBox):
    """A "Download" button and, once pressed, the links to what `sheets()` returns now.

    Parameters
    ----------
    sheets : Callable[[], Mapping[str, pandas.DataFrame] or None]
        The tables to hand over, from the panel's current result (None: nothing to give).
    stem : str
        The files' common name, e.g. "targets_2027".
    """

    def __init__(self, sheets: Callable[[], Mapping[str, pd.DataFrame] | None], stem: str):
        self.sheets, self.stem = sheets, stem
        self.button = w.Button(description="Download", icon="download",
                               tooltip="The figures shown now, as Excel and CSV")
        self.links = w.HTML()
        self.button.add_class("download-button")
        self.links.add_class("download-links")
        self.button.on_click(lambda _: self.prepare())
        super().__init__([self.button, self.links],
                         layout=w.Layout(align_items="center", flex_flow="row wrap"))

    def prepare(self) -> None:
        """Build the files from what the panel shows now and put their links beside the
        button (a message instead when there is nothing to give or it cannot be written).
        """
        try:
            sheets = self.sheets()
            if not sheets:
                self.links.value = error_html("nothing to download yet")
                return
            self.links.value = links_html(download_files(sheets, self.stem))
        except WorkbookError as exc:
            self.links.value = error_html(exc)

    def clear(self) -> None:
        """Remove the links (what they hold is out of date after a change)."""
        self.links.value = ""
