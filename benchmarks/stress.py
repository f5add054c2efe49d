"""`make stress`: the headless run, again and again, on a machine kept busy (issue 10).

Starts `--busy` busy loops (default 3: more than this 2-core machine's cores), then runs
`python -m helpers run --out <tmp>` `--runs` times (default 20), one after another, each
killed after `--timeout` seconds (default 150; a run takes 15-60 s, by load) and counted as
hung. Prints a line a run (with where a hung run stood) and a summary; always stops the
busy loops; exits 1 if any run hung or failed. Not part of `make test`: it takes minutes.

Standard library only, so it measures the package from outside, the way `make run` does.
Arguments after `--` go to `helpers run`, e.g. `-- --cell-timeout 600`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BAR = re.compile(r"(notebooks|Executing)[^|\r\n]*\|[^|\r\n]*\|\s*(\d+)/(\d+)")


def start_busy_loops(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                             stdin=subprocess.DEVNULL) for _ in range(n)]


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a live process, None once it is gone."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, start time) of every process below `pid`; papermill's kernels start in a
    session of their own, so a process group would miss them."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        stat = _stat(int(entry.name)) if entry.name.isdigit() else None
        if stat:
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def stop(proc: subprocess.Popen) -> None:
    """Stop `proc` and everything it started, by process id: TERM, then KILL what is left."""
    below = descendants(proc.pid)
    proc.terminate()
    for pid, _ in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    time.sleep(1)
    proc.kill()
    for pid, started in below:
        stat = _stat(pid)
        if stat and stat[1] == started:  # still the same process, not a reused id
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    proc.wait()


def where(log: str) -> str:
    """'notebook 3/3, cell 13/36 done' from the last progress bars in a run's output."""
    last = {name: (int(done), int(total)) for name, done, total in BAR.findall(log)}
    parts = []
    if "notebooks" in last:
        done, total = last["notebooks"]
        parts.append(f"notebook {min(done + 1, total)}/{total}")
    if "Executing" in last:
        done, total = last["Executing"]
        parts.append(f"cell {done}/{total} done")
    return ", ".join(parts) or "before the first notebook"


def last_error(log: str) -> str:
    lines = [line for line in re.split(r"[\r\n]", log) if line.startswith("error:")]
    return lines[-1] if lines else log.strip().splitlines()[-1][:200] if log.strip() else ""


def one_run(timeout: float, extra: list[str]) -> tuple[str, float, str]:
    """('ok' | 'hung' | 'failed', seconds, detail) for one `python -m helpers run`."""
    with tempfile.TemporaryDirectory(prefix="stress-") as tmp:
        log_path = Path(tmp) / "log.txt"
        cmd = [sys.executable, "-m", "helpers", "run", "--out", str(Path(tmp) / "out"), *extra]
        start = time.monotonic()
        with log_path.open("w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)
            size, moved = 0, start  # when the output (progress bars) last grew
            try:
                while (code := proc.poll()) is None and time.monotonic() - start < timeout:
                    time.sleep(0.5)
                    if log_path.stat().st_size != size:
                        size, moved = log_path.stat().st_size, time.monotonic()
            except BaseException:  # interrupted: leave no run or kernel behind
                stop(proc)
                raise
            still = time.monotonic() - moved
            if code is None:
                stop(proc)
        seconds = time.monotonic() - start
        text = log_path.read_text(errors="replace")
    if code is None:  # a hang, or a run too slow for --timeout: say how long it sat still
        return "hung", seconds, (f"killed after {timeout:.0f} s at {where(text)}, "
                                 f"no progress for {still:.0f} s")
    if code:
        return "failed", seconds, f"exit {code}: {last_error(text)}"
    return "ok", seconds, ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stress", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="headless runs (default 20)")
    parser.add_argument("--timeout", type=float, default=150,
                        help="seconds before a run counts as hung (default 150)")
    parser.add_argument("--busy", type=int, default=3, help="busy loops (default 3)")
    parser.add_argument("--stop-at-first", action="store_true",
                        help="stop at the first hung or failed run")
    args = parser.parse_args(own)
    command = " ".join(["python -m helpers run", *extra])
    print(f"stress: {args.runs} runs of `{command}`, "
          f"{args.busy} busy loops on {os.cpu_count()} cores, {args.timeout:.0f} s a run",
          flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the loops
    busy = start_busy_loops(args.busy)
    results = []
    try:
        for i in range(1, args.runs + 1):
            status, seconds, detail = one_run(args.timeout, extra)
            results.append((status, seconds))
            print(f"run {i:>3}/{args.runs}: {status:<6} {seconds:6.1f} s  {detail}".rstrip(),
                  flush=True)
            if status != "ok" and args.stop_at_first:
                break
    except (KeyboardInterrupt, SystemExit):
        print("interrupted", flush=True)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    ok = [s for status, s in results if status == "ok"]
    hung = sum(status == "hung" for status, _ in results)
    failed = sum(status == "failed" for status, _ in results)
    times = (f"; ok runs {min(ok):.0f}-{max(ok):.0f} s, median {sorted(ok)[len(ok) // 2]:.0f} s"
             if ok else "")
    print(f"stress: {len(ok)} of {len(results)} runs passed, {hung} hung, {failed} failed"
          f"{times}", flush=True)
    return 0 if results and len(ok) == len(results) == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
