"""One family of errors: a panel or the CLI catches `WorkbookError` and shows its message.

Every message names the file, column, key or parameter and what was expected, so the
message alone is enough to fix the input. They are `ValueError`s too (bad values), except
`RunError`, which reports a notebook that failed in a headless run.
"""

from __future__ import annotations

from pathlib import Path


class WorkbookError(Exception):
    """Anything the workbook refuses, in plain words; catch this one to show the message."""


class DataError(WorkbookError, ValueError):
    """Input that breaks the data contract; the message says where and what was expected."""


class DealsError(WorkbookError, ValueError):
    """A `load_deals` argument that cannot work (preset, stages, level, column_map)."""


class TargetError(WorkbookError, ValueError):
    """A parameter of the target engine that cannot give a sound number; names the parameter."""


class GradingError(WorkbookError, ValueError):
    """A grading parameter that cannot work; the message names the key and the bad value."""


class FairnessError(WorkbookError, ValueError):
    """Input a fairness check cannot use; the message names the column and the group."""


class ExportError(WorkbookError, ValueError):
    """A hand-over that cannot be written as asked (sheet, column, run record); names which."""


class PlanError(WorkbookError, ValueError):
    """A plan that cannot be paid as written; the message starts with the key path."""


class SimulationError(WorkbookError, ValueError):
    """A Monte Carlo setting that cannot work (n, spreads, market scenario, no plans)."""


class ScenarioError(WorkbookError, ValueError):
    """A scenario that cannot be saved or loaded; the message names it and why."""


class RunError(WorkbookError, RuntimeError):
    """A notebook failed in a headless run: which one, at which cell, why, and where the
    partly executed copy was kept.

    Parameters
    ----------
    notebook : str
        Notebook name, without `.ipynb`.
    where : str
        Where it stopped, e.g. "cell 12".
    reason : str
        Why, in one line (the exception's name and message).
    kept : pathlib.Path or None
        The partly executed copy, if one was kept.
    """

    def __init__(self, notebook: str, where: str, reason: str, kept: Path | None):
        self.notebook, self.where, self.reason, self.kept = notebook, where, reason, kept
        super().__init__(f"{notebook}.ipynb stopped at {where}: {reason}")

    def __str__(self) -> str:
        kept = f"\npartly executed notebook: {self.kept}" if self.kept else ""
        return self.args[0] + kept


def read_yaml(path: Path, error: type[WorkbookError], prefix: str = ""):
    """The YAML in `path`, or `error(prefix + why)`: not valid YAML (line and column), not
    UTF-8 text, or unreadable, never naming the folder (the caller's prefix names the file).

    Parameters
    ----------
    path : pathlib.Path
        The file to read.
    error : type of WorkbookError
        The error raised (e.g. PlanError, ScenarioError).
    prefix : str, default ""
        What the message starts with (e.g. the file's name and a colon).

    Returns
    -------
    object
        What the YAML holds (a mapping, a list, a scalar or None).

    Raises
    ------
    WorkbookError
        `error`, when the file cannot be read or parsed.
    """
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{prefix}not valid YAML ({yaml_reason(exc)})") from None
    except UnicodeDecodeError:
        raise error(f"{prefix}not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{prefix}cannot be read ({exc.strerror})") from None


def yaml_reason(exc: Exception) -> str:
    """Why a YAML text could not be read, as "line L, column C: what", without the file's
    path or PyYAML's "<unicode string>" (the caller names the file, by its name only).

    Parameters
    ----------
    exc : Exception
        The `yaml.YAMLError` (or any error) raised while reading.

    Returns
    -------
    str
        The line and column of the mistake (1-based) and what the parser expected, or the
        error's own message when it carries no position.
    """
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if mark is None or problem is None:
        return str(exc).split("\n")[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


__all__ = ["read_yaml", "yaml_reason", "WorkbookError", "DataError", "DealsError", "TargetError",
           "GradingError",
           "FairnessError", "ExportError", "PlanError", "SimulationError",
           "ScenarioError", "RunError"]
