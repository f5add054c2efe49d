"""A check each commit runs (.pre-commit-config.yaml): every notebook is valid nbformat.

    .venv/bin/python tools/check_notebooks.py [NOTEBOOK ...]   # default: notebooks/*.ipynb

A notebook saved by a tool that writes its own JSON (a merge, a script, an editor plugin)
can break the schema and only fail later, in nbval or papermill, far from the cause. This
reads each file as JSON and validates it against nbformat's schema for its own version,
without repairing anything, and prints one line per problem: the file, where in it
(e.g. cells/3/source) and what is wrong. Exit status 1 when any notebook has a problem.
It imports only nbformat, not the workbook, so the hook takes a moment, not a pandas start.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from nbformat.validator import iter_validate

ROOT = Path(__file__).resolve().parents[1]

MAX_PER_FILE = 10  # a broken file can produce hundreds; the first ones say what happened


def notebook_problems(path: str | Path) -> list[str]:
    """What is wrong with the notebook file at `path` ([] when it is valid nbformat)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{path}: not a readable notebook: {exc}"]
    if not isinstance(raw, dict) or "nbformat" not in raw:
        return [f"{path}: not a notebook: no 'nbformat' version at the top level"]
    with warnings.catch_warnings(record=True) as caught:  # nbformat warns, e.g. on old files
        warnings.simplefilter("always")
        found = [f"{path}: {_where(e.absolute_path)}: {_short(e.message)}"
                 for e in iter_validate(raw)]
    found += [f"{path}: {w.message}" for w in caught]
    # the schema cannot say ids are unique; nbformat.validate would quietly renumber them
    first: dict = {}
    for i, cell in enumerate(raw.get("cells") or []):
        key = cell.get("id") if isinstance(cell, dict) else None
        if isinstance(key, str) and first.setdefault(key, i) != i:
            found.append(f"{path}: cells/{i}: id {key!r} is also the id of cells/{first[key]}")
    if len(found) > MAX_PER_FILE:
        found = found[:MAX_PER_FILE] + [f"{path}: ... {len(found) - MAX_PER_FILE} more"]
    return found


def _where(parts: Iterable) -> str:
    return "/".join(str(p) for p in parts) or "top level"


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    paths = paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    problems = [p for path in paths for p in notebook_problems(path)]
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
