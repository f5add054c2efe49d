"""`python -m helpers run|app|sample`: the workbook's headless entry points."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .data import ROOT, SAMPLE_DIR, output_dir, write_atomic
from .documents import queued, write_queued
from .errors import RunError, WorkbookError

NOTEBOOKS = ("01_targets", "02_grading", "03_incentives")
NOTEBOOK_DIR = ROOT / "notebooks"
APP_DIR, APP_TEMPLATE = ROOT / "app", "workbook"  # Voila template: home page, links bar, layout
CELL_TIMEOUT = 300  # seconds a headless cell may take; the slowest takes a few under load
KERNEL_START_TIMEOUT = 180  # seconds a kernel may take to start on a loaded machine (papermill: 60)
NEEDS = {"03_incentives": ("01_targets", "02_grading")}  # reads the targets and levels they write



def run(data: str | None = None, out: Path | None = None, year: int | None = None, *,
        cell_timeout: int | None = CELL_TIMEOUT,
        parameters: dict | None = None,
        documents: tuple[str, ...] = ("html", "pdf")) -> list[Path]:
    """Execute the three notebooks headless (papermill) and write each as .ipynb and .html,
    then the plan workbook (`plan_<year>.xlsx`) a client can open in Excel.

    The HTML hides code: it is the report a reader without Python opens, titled by the
    notebook's first heading, with a dated summary of the key figures the notebook recorded
    (`helpers.records.record_run`) and a note where the notebook has an interactive panel
    (`helpers.report.notebook_report`). Notebook 03 reads what 01 and 02 wrote to `out`
    (`NEEDS`), so 01 and 02 run side by side (one kernel each, two cores) and 03 after
    them. Notebooks run with
    `interactive=False`: no widget panel is built (a headless kernel has no front end for it).
    A cell that raises or runs longer than `cell_timeout` seconds (None or 0: no limit) stops
    the run with a `RunError`; the partly executed notebook is kept as
    `<out>/<name>.failed.ipynb`. `parameters` (name -> value) go to every notebook that has
    them in its parameters cell (e.g. growth, n_boot, n_scenarios). The HTML reports carry
    no warnings (stderr): they are for clients, and warnings name local paths.
    Last, the documents the notebooks queued for the people (`helpers.documents`: plan
    letters, statements, development pages) are written into `<out>/documents/<kind>/`, a
    page and a PDF per rep and a PDF per manager, with a progress bar.

    Parameters
    ----------
    data : str or None, default None
        Folder or .xlsx with roster/history/reviews; None for the sample company.
    out : pathlib.Path or None, default None
        Output folder; None for `output_dir()`.
    year : int or None, default None
        Plan year; None for the year after the last history year.
    cell_timeout : int or None, default CELL_TIMEOUT
        Seconds a cell may run; None or 0 for no limit.
    parameters : dict or None, default None
        Notebook parameters, name -> value, for the notebooks that have them.
    documents : tuple of str, default ("html", "pdf")
        The formats of the people's documents; () writes none (they stay queued).

    Returns
    -------
    list of pathlib.Path
        The files written: each notebook's .ipynb and .html, then the plan workbook (the
        documents are listed in `<out>/documents/`).

    Raises
    ------
    RunError
        If a notebook cell raises or times out (the message names the notebook and cell).
    """
    import logging

    from tqdm.auto import tqdm

    logging.getLogger("papermill").setLevel(logging.ERROR)  # its parameter-cell parsing notes
    out = Path(out) if out else output_dir()
    params = {"data_path": str(Path(data).resolve()) if data else None,
              "output_path": str(out.resolve()), "interactive": False}
    if year:
        params["year"] = year
    params.update(parameters or {})
    for name in NOTEBOOKS:  # copies kept by an earlier failed run, records of an earlier run
        (out / f"{name}.failed.ipynb").unlink(missing_ok=True)
        (out / f"settings_{name}.json").unlink(missing_ok=True)
    for stale in queued(out):  # an earlier run's documents to write
        stale.unlink()

    def execute(name: str) -> Path:
        target, failed = out / f"{name}.ipynb", out / f"{name}.failed.ipynb"
        try:
            write_atomic(target, lambda tmp: _execute(name, tmp, params, cell_timeout, failed))
        except Exception as exc:
            raise _run_error(name, exc, failed, cell_timeout) from exc
        return target

    def report(name: str, target: Path) -> Path:
        import nbformat  # here, not above: the kernels start first

        from .records import read_run
        from .report import notebook_report

        html = notebook_report(_without_stderr(nbformat.read(target, as_version=4)),
                               read_run(out, name))
        return write_atomic(out / f"{name}.html", lambda tmp: tmp.write_text(html))

    # the reports and the workbook are written beside the next notebook's kernel, not before
    # it; the documents queued by then are drawn beside it too, in one worker process
    reports: dict[str, object] = {}
    stages = _stages(NOTEBOOKS)
    with ThreadPoolExecutor(max_workers=2) as writers, _early_documents() as beside, \
            tqdm(total=len(NOTEBOOKS), desc="notebooks", unit="nb") as bar:
        early, early_kinds = None, []
        for i, stage in enumerate(stages):
            with ThreadPoolExecutor(max_workers=len(stage)) as pool:
                futures = {name: pool.submit(_closing_loop, execute, name) for name in stage}
                for future in as_completed(futures.values()):
                    future.exception()  # wait; the first failure in order is raised below
                    bar.update()
            for name in stage:
                reports[name] = writers.submit(report, name, futures[name].result())
            if documents and i < len(stages) - 1 and early is None:
                early_kinds = [path.stem for path in queued(out)]
                if early_kinds:
                    early = beside().submit(write_queued, out, formats=documents,
                                            kinds=early_kinds, workers=1)
        from .export import plan_workbook

        book = writers.submit(plan_workbook, out, year)
        if documents:  # beside the last report and the workbook
            rest = [path.stem for path in queued(out) if path.stem not in early_kinds]
            tables = [write_queued(out, formats=documents, progress=True, kinds=rest)]
            if early is not None:
                tables.append(early.result())
                print(f"{', '.join(early_kinds)}: written while the next notebook ran",
                      flush=True)
            notes = "; ".join(t.attrs["note"] for t in tables if t.attrs["note"])
            if notes:
                print(f"documents: {notes}", file=sys.stderr)
        written = [path for name in NOTEBOOKS
                   for path in (out / f"{name}.ipynb", reports[name].result())]
        written.append(book.result())
    return written


@contextlib.contextmanager
def _early_documents():
    """A getter of one worker process (made on first use, shut down on exit) for documents
    drawn while a notebook still runs: forked from the documents' fork server
    (`helpers.documents.worker_context`), never from this process, which runs the
    notebooks' threads.
    """
    from concurrent.futures import ProcessPoolExecutor

    from .documents import worker_context

    made: list[ProcessPoolExecutor] = []

    def get() -> ProcessPoolExecutor:
        if not made:
            made.append(ProcessPoolExecutor(1, mp_context=worker_context()))
        return made[0]

    try:
        yield get
    finally:
        for executor in made:
            executor.shutdown(cancel_futures=True)


def _closing_loop(fn, *args):
    """`fn(*args)` in a worker thread, closing the event loop nbclient opens for the thread."""
    import asyncio

    try:
        return fn(*args)
    finally:
        with contextlib.suppress(RuntimeError):  # no loop was set in this thread
            asyncio.get_event_loop_policy().get_event_loop().close()
        asyncio.set_event_loop(None)


def _stages(names) -> list[list[str]]:
    """`names` in rounds, each round needing only earlier ones (`NEEDS`), order kept."""
    left, stages = list(names), []
    while left:
        stage = [n for n in left if not set(NEEDS.get(n, ())) & set(left)] or left[:1]
        stages.append(stage)
        left = [n for n in left if n not in stage]
    return stages


def _without_stderr(nb):
    """The notebook without warnings and logs (stderr): a client's report shows results."""
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


def _parameter(text: str) -> tuple[str, object]:
    """'-p NAME VALUE' as papermill reads it: the value as YAML (0.08, true, [a, b], text)."""
    import yaml

    name, value = text
    try:
        return name, yaml.safe_load(value)
    except yaml.YAMLError:
        return name, value


def _deals_folder(args) -> str:
    """`--deals FILE`: the export turned into roster and history in <out>/data (report printed)."""
    from .deals import load_deals

    loaded = load_deals(args.deals, args.teams, splits=args.splits, level=args.level,
                        date_format=args.date_format)
    folder = (args.out or output_dir()) / "data"
    loaded.write(folder)
    print(loaded.report)
    return str(folder)


def _execute(name: str, tmp: Path, params: dict, cell_timeout: int | None,
             failed: Path) -> None:
    """`papermill` writes the notebook to `tmp` as it goes; on failure keep it as `failed`."""
    import papermill as pm

    try:
        pm.execute_notebook(NOTEBOOK_DIR / f"{name}.ipynb", tmp, parameters=params,
                            cwd=NOTEBOOK_DIR, progress_bar=False, kernel_name="python3",
                            execution_timeout=cell_timeout or None,
                            start_timeout=KERNEL_START_TIMEOUT)
    except Exception:
        if tmp.exists() and tmp.stat().st_size:
            write_atomic(failed, lambda copy: shutil.copyfile(tmp, copy))
        raise
    _drop_stale_widget_state(tmp)


def _drop_stale_widget_state(path: Path) -> None:
    """The committed notebooks carry the widget state of their last interactive run; an
    executed copy that shows no widget keeps none of it (nor does its HTML report).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    views = any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                for cell in nb.cells for output in cell.get("outputs", []))
    if "widgets" in nb.metadata and not views:
        del nb.metadata["widgets"]
        nbformat.write(nb, path)


def _run_error(name: str, exc: Exception, failed: Path, cell_timeout: int | None) -> RunError:
    """One line for a person: the notebook, the cell (number and heading), the reason."""
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    after_last = False
    if isinstance(exc, CellTimeoutError):
        after_last = "Cell contents not found" in str(exc)  # papermill's closing kernel_info
        reason = ("the kernel did not answer within {t} s after the last cell" if after_last
                  else "the cell's output did not arrive after it finished" if "IOPub" in str(exc)
                  else "cell did not finish within {t} s").format(t=cell_timeout)
    elif isinstance(exc, PapermillExecutionError):
        reason = f"{exc.ename}: {exc.evalue}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    reason = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    if len(reason) > 200:
        reason = reason[:197] + "..."
    kept = failed if failed.exists() else None
    where = ("the end" if after_last else _failed_cell(failed) if kept else "an unknown cell")
    return RunError(name, where, reason, kept)


def _failed_cell(path: Path) -> str:
    """'cell 13 of 36 ("Heading above it")' for the cell a papermill run stopped at: the one
    marked as raising, else the last one that started (a timeout marks none).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells  # papermill's inserted "an exception was raised" notes
             if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    started = [i for i, c in enumerate(cells)
               if c.metadata.get("papermill", {}).get("start_time")]
    raised = [i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("exception")]
    if not (raised or started):
        return "an unknown cell"
    index = (raised or started)[-1]
    heading = next((line.lstrip("#").strip() for c in reversed(cells[:index])
                    if c.cell_type == "markdown"
                    for line in reversed(c.source.splitlines()) if line.startswith("#")), None)
    where = f"cell {index + 1} of {len(cells)}"
    return f'{where} ("{heading}")' if heading else where


APP_POOL = 1  # pre-executed kernels kept ready per notebook (each holds ~300 MB)
APP_CULL_IDLE = 600  # seconds a kernel no page is connected to may sit idle before shutdown
APP_CULL_INTERVAL = 60  # seconds between the culler's checks


def app_command(port: int = 8866, host: str = "127.0.0.1", *, pool: int = APP_POOL,
                cull_idle: int = APP_CULL_IDLE, cull_interval: int = APP_CULL_INTERVAL,
                scenario: str | None = None,
                currency: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The Voila command line and environment `app` runs: app mode on, a fresh output
    folder for this server, kernels pre-started and culled.

    Each option says why:

    - `preheat_kernel`/`pool_size`: Voila executes a notebook in `pool` kernels before
      anyone asks, so a page is shown as soon as it is opened instead of after a whole
      notebook's run (5-50 s); the used kernel is replaced in the background.
    - `cull_idle_timeout`/`cull_interval`: a kernel whose page is gone (tab closed without
      the unload beacon, browser crashed, laptop asleep) is shut down after `cull_idle`
      idle seconds, checked every `cull_interval` s. Voila's own page shuts its kernel down
      when the tab closes (`beforeunload` beacon to `/voila/api/shutdown`, see
      `disable_check_xsrf`); the culler catches what the beacon misses. Pooled kernels
      are never culled (Voila skips them).
    - `disable_check_xsrf`: the unload beacon posts the `_xsrf` cookie, which Voila's
      page never sets, so every beacon was refused (403) and every closed tab's kernel
      lived on (46 after an afternoon). The check only guards a kernel's shutdown by its
      random id here (Voila's kernels take no code from the page).
    - `cull_connected=False`: a page still open (a consultant pausing mid-demo) keeps its
      kernel, or its controls would stop answering.
    - `multi_kernel_manager_class`: idle time counted from when a page took the kernel
      from the pool, not from its run there (`helpers.app_server`), so the culler never
      shuts a kernel down while its page is still connecting.
    - `strip_sources`, `show_tracebacks=False`: no code and no server paths on screen.
    - `template=workbook` (from `app/voila/templates`, on `$JUPYTER_PATH`) and
      `classic_tree`: the landing page, the links bar and the app's layout.

    Parameters
    ----------
    port : int, default 8866
        Port to serve on.
    host : str, default "127.0.0.1"
        Address to listen on.
    pool : int, default APP_POOL
        Pre-executed kernels per notebook; 0 starts each page's kernel on request.
    cull_idle : int, default APP_CULL_IDLE
        Idle seconds before an unconnected kernel is shut down.
    cull_interval : int, default APP_CULL_INTERVAL
        Seconds between culling checks.
    scenario : str or None, default None
        The saved scenario page 03 prices on (`helpers.app.current_scenario`).
    currency : str or None, default None
        The currency money is shown in (`helpers.formatting.CURRENCIES`); None keeps
        `$SALES_CURRENCY` or USD.

    Returns
    -------
    argv : list of str
        The command (the Python running this, `-m voila`, the options).
    env : dict of str to str
        The environment: this one plus `$SALES_APP`, `$SALES_APP_OUTPUTS` (unless set: a
        new temporary folder), `$SALES_APP_SCENARIO` and `$SALES_CURRENCY` when given, and
        the app's templates on `$JUPYTER_PATH`.

    Raises
    ------
    FormatError
        When `currency` is not a known currency code (before the server starts).
    """
    import os
    import tempfile

    from .app import APP_ENV, APP_OUTPUTS_ENV, APP_SCENARIO_ENV
    from .formatting import ENV as CURRENCY_ENV
    from .formatting import currency as known

    env = {**os.environ, APP_ENV: "1"}
    if currency is not None:  # the app's pages read it when they format money
        env[CURRENCY_ENV] = known(currency).code
    env["JUPYTER_PATH"] = os.pathsep.join(  # the app's template: app/voila/templates
        filter(None, [str(APP_DIR), os.environ.get("JUPYTER_PATH")]))
    if not env.get(APP_OUTPUTS_ENV):  # one given (a test, a deployment) is kept
        env[APP_OUTPUTS_ENV] = tempfile.mkdtemp(prefix="sales-app-")
    env.pop(APP_SCENARIO_ENV, None)
    if scenario:
        env[APP_SCENARIO_ENV] = scenario
    argv = [sys.executable, "-m", "voila", str(NOTEBOOK_DIR), "--no-browser", f"--port={port}",
            f"--Voila.ip={host}", "--strip_sources=True", "--show_tracebacks=False",
            f"--preheat_kernel={pool > 0}", f"--pool_size={max(pool, 0)}",
            f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
            f"--MappingKernelManager.cull_interval={cull_interval}",
            "--MappingKernelManager.cull_connected=False",
            "--Voila.tornado_settings=disable_check_xsrf=True",
            "--VoilaConfiguration.multi_kernel_manager_class="
            "helpers.app_server.AppKernelManager",
            f"--template={APP_TEMPLATE}", "--VoilaConfiguration.classic_tree=True"]
    return argv, env


def app(port: int = 8866, host: str = "127.0.0.1", *, pool: int = APP_POOL,
        cull_idle: int = APP_CULL_IDLE, scenario: str | None = None,
        currency: str | None = None) -> None:
    """Serve the notebooks as a web app without code (Voila) for client demos.

    This process becomes Voila (exec), so stopping it stops the server and its kernels.
    Its pages run in app mode (`helpers.app`): they write into this server's own folder,
    never into `outputs/`, and page 03 prices plans on the targets and levels of pages 01
    and 02. Kernels are pre-started and culled (`app_command` says why each option).

    Parameters
    ----------
    port : int, default 8866
        Port to serve on.
    host : str, default "127.0.0.1"
        Address to listen on; "0.0.0.0" to demo on a network.
    pool : int, default APP_POOL
        Pre-executed kernels per notebook; 0 starts each page's kernel on request.
    cull_idle : int, default APP_CULL_IDLE
        Idle seconds before a kernel no page is connected to is shut down.
    scenario : str or None, default None
        The saved scenario page 03 prices on.
    currency : str, optional
        The currency money is shown in (`helpers.formatting.CURRENCIES`, e.g. "EUR");
        None keeps `$SALES_CURRENCY` or USD.

    Raises
    ------
    FormatError
        When `currency` is not a known currency code (before the server starts).
    """
    import os

    argv, env = app_command(port, host, pool=pool, cull_idle=cull_idle, scenario=scenario,
                            currency=currency,
                            cull_interval=min(APP_CULL_INTERVAL, max(cull_idle // 2, 1)))
    os.chdir(NOTEBOOK_DIR)
    os.execve(sys.executable, argv, env)


def main(argv: list[str] | None = None) -> int:
    """The command line: `run` the notebooks headless, serve the `app`, or write the `sample`.

    Parameters
    ----------
    argv : list of str or None, default None
        Arguments after the program name; None for `sys.argv[1:]`.

    Returns
    -------
    int
        Exit status: 0 on success, 1 when a run stops on a `WorkbookError` or a bad
        `-p` value (the message goes to stderr).
    """
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the three notebooks headless, write outputs/")
    p_run.add_argument("--data", help="folder or .xlsx with roster/history/reviews "
                                      "(default: data/sample)")
    p_run.add_argument("--out", type=Path, help="output folder (default: outputs/)")
    p_run.add_argument("--year", type=int, help="plan year (default: last history year + 1)")
    p_run.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT, metavar="SECONDS",
                       help=f"stop a cell running longer than this (default {CELL_TIMEOUT}; "
                            "0: no limit)")
    p_run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                       metavar=("NAME", "VALUE"),
                       help="set a notebook parameter, e.g. -p growth 0.08 -p n_boot 1000 "
                            "(VALUE read as YAML; repeat for more)")
    p_run.add_argument("--documents", choices=("all", "html", "none"), default="all",
                       help="the people's documents (letters, statements, development pages): "
                            "HTML and PDF (default), HTML only, or none")
    p_run.add_argument("--deals", help="a CRM deal export (CSV/XLSX/Parquet; Salesforce, "
                                       "HubSpot or mapped) instead of --data")
    p_run.add_argument("--teams", help="with --deals: rep -> region, team, manager table")
    p_run.add_argument("--splits", help="with --deals: deal -> rep -> share table")
    p_run.add_argument("--level", default="junior",
                       help="with --deals: the level reps without one are given")
    p_run.add_argument("--date-format", help="with --deals: e.g. %%d/%%m/%%Y")
    p_app = sub.add_parser("app", help="serve the notebooks as a web app without code (Voila)")
    p_app.add_argument("--port", type=int, default=8866)
    p_app.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to demo on a network")
    p_app.add_argument("--pool", type=int, default=APP_POOL,
                       help=f"pre-executed kernels per notebook (default {APP_POOL}; 0: none)")
    p_app.add_argument("--cull-idle", type=int, default=APP_CULL_IDLE, metavar="SECONDS",
                       help="shut down a kernel no page uses after this many idle seconds "
                            f"(default {APP_CULL_IDLE})")
    p_app.add_argument("--scenario", help="the saved scenario page 03 prices on "
                                          "(default: the notebooks' settings)")
    p_app.add_argument("--currency", help="currency money is shown in: USD (default), EUR, CNY…")
    p_sample = sub.add_parser("sample", help="(re)write the synthetic company in data/sample/")
    p_sample.add_argument("--out", type=Path, default=SAMPLE_DIR)
    p_sample.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.command == "run":
        try:
            if args.deals and args.data:
                parser.error("give --data or --deals, not both")
            data = _deals_folder(args) if args.deals else args.data
            written = run(data, args.out, args.year, cell_timeout=args.cell_timeout,
                          parameters=dict(_parameter(p) for p in args.parameter),
                          documents={"all": ("html", "pdf"), "html": ("html",),
                                     "none": ()}[args.documents])
        except (WorkbookError, ValueError) as error:  # ValueError: a bad -p value
            print(f"error: {error}", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
    elif args.command == "app":
        try:
            app(args.port, args.host, pool=args.pool, cull_idle=args.cull_idle,
                scenario=args.scenario, currency=args.currency)
        except WorkbookError as error:  # an unknown currency code
            print(f"error: {error}", file=sys.stderr)
            return 1
    elif args.command == "sample":
        from .sample import write_sample

        ds = write_sample(args.out, seed=args.seed)
        print(f"wrote {len(ds.roster)} reps, {len(ds.history)} rep-months to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
