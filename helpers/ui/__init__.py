"""ipywidgets panels, one module a notebook: read widgets, call one helpers function, redraw.

Every panel subclasses `base.Panel`, which owns the redraw, the error line (a refused
setting is shown, not raised) and the scenario bar.

A notebook shows a panel through `panel(make, interactive)`: live in JupyterLab and the
demo app, and not built at all in a headless run (`python -m helpers run` passes
`interactive=False`). A headless run has no front end, only nbclient's stand-in for the
Output widget: it sends the kernel widget updates on the shell socket while it waits on
that same socket for the cell's reply, and under CPU contention the reply sometimes arrived
and was never read, which froze `make run` (issue 10). Voila executes a page with the same
nbclient, so panels never write into an Output widget at all: `base.Panel.show` puts
figures, tables and text into plain widgets (PNG images, HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HEADLESS_NOTE = ("{what}: interactive, in JupyterLab (`make lab`) or the demo app "
                 "(`make app`); not built in this headless run, whose numbers come from "
                 "the parameters above.")


def panel(make: Callable[[], Any], interactive: bool = True, what: str = "The panel") -> Any:
    """The live panel `make()` when `interactive`; otherwise print one line saying where
    the panel is, build no widget and return None (so the cell displays nothing else).

    Parameters
    ----------
    make : Callable[[], Any]
        Builds the panel.
    interactive : bool, default True
        False in a headless run.
    what : str, default "The panel"
        The panel's name, for the printed line.

    Returns
    -------
    object or None
        The panel, or None in a headless run.
    """
    if interactive:
        return make()
    print(HEADLESS_NOTE.format(what=what))
    return None
