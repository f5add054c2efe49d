"""The notebooks' HTML reports: a reader without Python opens them.

Code hidden; titled by the notebook's first heading; a dated summary of the key figures
the notebook recorded (`helpers.records`); interactive sections as a note; tables that fit
a 1366 px laptop.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Mapping

from .records import describe_setting, format_figure

INTERACTIVE_TAG = "interactive"  # cells that show a widget panel: a note in the report
INTERACTIVE_NOTE = ("*Interactive: open the app or the notebook to try this. The numbers in "
                    "this report come from the settings under Summary.*")
REPORT_CSS = """<style>
/* the report fits a 1366 px laptop: wide tables scroll inside their cell, text wraps */
.jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-Cell-outputWrapper,
.jp-OutputArea-child { min-width: 0; max-width: 100%; }
.jp-RenderedHTMLCommon table, .jp-OutputArea-output table {
  display: block; max-width: 100%; overflow-x: auto; }
.jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.report-summary { border: 1px solid #1f3a5f; border-radius: 6px; padding: 0.6em 1em;
  margin: 0.5em 0 1em; background: #f4f7fb; }
.report-summary p { margin: 0 0 0.4em; color: #1f3a5f; }
</style>
"""


def report_title(nb) -> str:
    """The report's title: the notebook's first heading, without the '#' marks.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    str
        The first Markdown heading's text, or "Sales plan report" if there is none.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "Sales plan report"


def summary_html(record: Mapping) -> str:
    """The dated summary a report opens with: run date, data, year and the key figures.

    Parameters
    ----------
    record : mapping
        A run record (`read_run`).

    Returns
    -------
    str
        An HTML block (class "report-summary") with a two-column table of key figures.
    """
    figures = "".join(f"<tr><td>{html.escape(str(f['label']))}</td>"
                      f"<td style=\"text-align:right\">"
                      f"{html.escape(format_figure(f['value'], f['kind']))}</td></tr>"
                      for f in record["figures"])
    head = (f"<p><strong>Summary</strong> · run {html.escape(record['run_date'])} · "
            f"data: {html.escape(record['data_source'])}"
            + (f" · plan year {int(record['year'])}" if record.get("year") else "") + "</p>")
    table = (f"<table><thead><tr><th>Key figure</th><th>Value</th></tr></thead>"
             f"<tbody>{figures}</tbody></table>" if figures else "")
    return f'<div class="report-summary">{head}{table}</div>'


def settings_html(record: Mapping) -> str:
    """The settings a notebook ran with, in plain words, as an HTML table (`record_run`).

    Parameters
    ----------
    record : mapping
        A run record (`read_run`).

    Returns
    -------
    str
        A two-column table: setting, value.
    """
    rows = "".join(f"<tr><td>{html.escape(label)}</td><td>{html.escape(value)}</td></tr>"
                   for label, value in (describe_setting(k, v)
                                        for k, v in record["settings"].items()))
    return ("<p>Settings of this run:</p><table><thead><tr><th>Setting</th><th>Value</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>")


def report_cells(nb, record: Mapping | None = None):
    """The notebook as a client's report shows it: each run of cells tagged `interactive`
    (a "Try it" heading and its widget panel) becomes one note under the heading, the
    dated summary (`summary_html`) follows the title cell and the settings in plain words
    (`settings_html`) follow the hidden parameters cell.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook (not changed).
    record : mapping or None, default None
        Its run record (`read_run`); None: no summary.

    Returns
    -------
    nbformat.NotebookNode
        A copy with the report's cells and `metadata.title` set (`report_title`).
    """
    import nbformat

    nb = copy.deepcopy(nb)
    cells, run = [], []

    def close() -> None:
        if not run:
            return
        heading = next((line for c in run if c.cell_type == "markdown"
                        for line in c.source.splitlines() if line.startswith("#")), None)
        note = f"{heading}\n\n{INTERACTIVE_NOTE}" if heading else INTERACTIVE_NOTE
        cells.append(nbformat.v4.new_markdown_cell(note))
        run.clear()

    for cell in nb.cells:
        if INTERACTIVE_TAG in cell.metadata.get("tags", []):
            run.append(cell)
        else:
            close()
            cells.append(cell)
    close()
    if record is not None:
        tagged = [i for i, c in enumerate(cells)  # papermill's copy follows the parameters
                  if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
        if tagged and record["settings"]:  # the hidden parameters cell, as plain words
            cells.insert(tagged[-1] + 1, nbformat.v4.new_markdown_cell(settings_html(record)))
        first = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
        cells.insert(first + 1, nbformat.v4.new_markdown_cell(summary_html(record)))
    nb.cells = cells
    nb.metadata["title"] = report_title(nb)
    return nb


def notebook_report(nb, record: Mapping | None = None) -> str:
    """The HTML report of an executed notebook, for a reader without Python.

    Code is hidden; the title is the notebook's first heading; a dated summary of the key
    figures opens it; interactive sections become a note (`report_cells`); wide tables
    scroll inside the page and text wraps, so it fits a 1366 px screen (`REPORT_CSS`).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    record : mapping or None, default None
        Its run record (`read_run`); None: no summary.

    Returns
    -------
    str
        The HTML page.
    """
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                           exclude_output_prompt=True).from_notebook_node(report_cells(nb, record))
    return page.replace("</head>", REPORT_CSS + "</head>", 1)
