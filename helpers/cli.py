"""`python -m helpers run|app|sample`: the workbook's headless entry points."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import ROOT, SAMPLE_DIR, output_dir, write_atomic

NOTEBOOKS = ("01_targets", "02_grading", "03_incentives")
NOTEBOOK_DIR = ROOT / "notebooks"


def run(data: str | None = None, out: Path | None = None, year: int | None = None) -> list[Path]:
    """Execute the three notebooks headless (papermill) and write each as .ipynb and .html,
    then the plan workbook (`plan_<year>.xlsx`) a client can open in Excel.

    The HTML hides code: it is the report a reader without Python opens. Each notebook reads
    what the previous one wrote to `out`, so they run in order.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter
    from tqdm.auto import tqdm

    from .export import plan_workbook

    out = Path(out) if out else output_dir()
    params = {"data_path": str(Path(data).resolve()) if data else None,
              "output_path": str(out.resolve())}
    if year:
        params["year"] = year
    written = []
    for name in tqdm(NOTEBOOKS, desc="notebooks", unit="nb"):
        target = out / f"{name}.ipynb"
        write_atomic(target, lambda tmp, name=name: pm.execute_notebook(
            NOTEBOOK_DIR / f"{name}.ipynb", tmp, parameters=params, cwd=NOTEBOOK_DIR,
            progress_bar=True, kernel_name="python3"))
        html, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                               exclude_output_prompt=True).from_notebook_node(
            nbformat.read(target, as_version=4))
        written += [target, write_atomic(out / f"{name}.html",
                                         lambda tmp, html=html: tmp.write_text(html))]
    written.append(plan_workbook(out, year))
    return written


def app(port: int = 8866, host: str = "127.0.0.1") -> None:
    """Serve the notebooks as a web app without code (Voila) for client demos.

    This process becomes Voila (exec), so stopping it stops the server and its kernels.
    """
    import os

    os.chdir(NOTEBOOK_DIR)
    os.execv(sys.executable, [
        sys.executable, "-m", "voila", str(NOTEBOOK_DIR), "--no-browser", f"--port={port}",
        f"--Voila.ip={host}", "--strip_sources=True", "--show_tracebacks=False",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the three notebooks headless, write outputs/")
    p_run.add_argument("--data", help="folder or .xlsx with roster/history/reviews "
                                      "(default: data/sample)")
    p_run.add_argument("--out", type=Path, help="output folder (default: outputs/)")
    p_run.add_argument("--year", type=int, help="plan year (default: last history year + 1)")
    p_app = sub.add_parser("app", help="serve the notebooks as a web app without code (Voila)")
    p_app.add_argument("--port", type=int, default=8866)
    p_app.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to demo on a network")
    p_sample = sub.add_parser("sample", help="(re)write the synthetic company in data/sample/")
    p_sample.add_argument("--out", type=Path, default=SAMPLE_DIR)
    p_sample.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.command == "run":
        for path in run(args.data, args.out, args.year):
            print(f"wrote {path}")
    elif args.command == "app":
        app(args.port, args.host)
    elif args.command == "sample":
        from .sample import write_sample

        ds = write_sample(args.out, seed=args.seed)
        print(f"wrote {len(ds.roster)} reps, {len(ds.history)} rep-months to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
