"""`python -m benchmarks [--quick] [--only NAME] [--out FILE]`: run every goal, write
benchmarks/RESULTS.md (with --only, only to a FILE given: the results file is one run).

A suite module gives `cases(quick)` (timed by the harness against their peers) and may give
`sections(quick)`: Markdown sections of its own (e.g. accuracy against a peer) written
after the table, from the same run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from .harness import Result, fmt_s, fmt_x, measure, table

HERE = Path(__file__).parent
SUITES = ("bench_data", "bench_targets", "bench_widgets", "bench_grading", "bench_breaks",
          "bench_incentives", "bench_forecast", "bench_scale")
NOTEBOOK_GOAL_S = 30.0


def notebook_times() -> list[tuple[str, float]]:
    """Headless execution of each notebook on the sample, in order (each reads the last)."""
    import papermill as pm

    from helpers.cli import NOTEBOOK_DIR, NOTEBOOKS

    out = Path(tempfile.mkdtemp(prefix="bench-nb-"))
    os.environ["SALES_OUTPUTS"] = str(out)
    times = []
    for name in NOTEBOOKS:
        start = time.perf_counter()
        pm.execute_notebook(NOTEBOOK_DIR / f"{name}.ipynb", out / f"{name}.ipynb",
                            cwd=NOTEBOOK_DIR, progress_bar=False, kernel_name="python3")
        times.append((name, time.perf_counter() - start))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    parser.add_argument("--only", help="run only suites whose name contains this")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default benchmarks/RESULTS.md; with --only, "
                             "nothing unless given)")
    args = parser.parse_args(argv)
    started, load_before = time.perf_counter(), os.getloadavg()
    results: list[Result] = []
    sections: list[str] = []  # a suite's own sections after the table, from this run
    for suite in SUITES:
        if args.only and args.only not in suite:
            continue
        module = importlib.import_module(f"benchmarks.{suite}")
        for case in module.cases(quick=args.quick):
            print(f"{case.goal} · {case.size} ...", end=" ", flush=True)
            result = measure(case)
            results.append(result)
            print(f"{fmt_s(result.median_s)}, {result.peak_mb:,.0f} MB"
                  + (f", {fmt_x(result.speedup)} baseline" if result.speedup else "")
                  + ("" if result.passed else "  MISSED"))
            for check in result.checks:
                print(f"  {check}")
        if hasattr(module, "sections"):
            for section in module.sections(results, quick=args.quick):
                print(section)
                sections.append(section)
    nb_rows, nb_missed = [], []
    if not args.only or "notebook" in args.only:
        for name, seconds in notebook_times():
            if seconds > NOTEBOOK_GOAL_S:
                nb_missed.append(f"- notebook {name}: {seconds:.1f} s")
            print(f"notebook {name}: {seconds:.1f} s")
            nb_rows.append(f"| {name}.ipynb | {seconds:.1f} s | <= {NOTEBOOK_GOAL_S:.0f} s | "
                           f"{'yes' if seconds <= NOTEBOOK_GOAL_S else '**no**'} |")
    notes = [f"- {r.case.goal} · {r.case.size}: " + "; ".join(filter(None, [r.case.notes,
                                                                           *r.checks]))
             for r in results if r.case.notes or r.checks]
    missed = [f"- {r.case.goal} · {r.case.size}" for r in results if not r.passed] + nb_missed
    load_after = os.getloadavg()
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m benchmarks{' --quick' if args.quick else ''}`) "
        f"on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}. Median of the timed runs after a warm-up; peak memory from "
        "one extra run under tracemalloc. Each engine is timed against a peer in the same "
        "run: the library a user would otherwise pick (named with its version under "
        "'compared with'), else the naive version written here (a Python loop or pandas "
        "apply); 'x faster than peer' is the peer's time over the engine's (below 1x: "
        "the engine is slower). Load average (1 min) "
        f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end (other work on "
        f"the machine slows both engine and baseline); whole run "
        f"{time.perf_counter() - started:.0f} s.",
        "",
        table(results),
        "",
        *(["Goals missed:", "", *missed, ""] if missed else []),
        *(["Notes:", "", *notes, ""] if notes else []),
        *sections,
        *(["## Notebooks, headless on the sample (papermill)", "",
           "| notebook | time | goal | ok |", "| --- | --- | --- | --- |", *nb_rows, ""]
          if nb_rows else []),
    ])
    out = args.out if args.out is not None or args.only else HERE / "RESULTS.md"
    if out is not None:
        out.write_text(text)
        print(f"wrote {out}")
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
