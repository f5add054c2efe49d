"""`Panel`, the one base of every widget panel: read controls, call one helpers function,
redraw, and say in one line why when the helpers function refuses.

A subclass builds its controls and lays them out with `assemble(rows, controls, section)`,
then implements two methods:

- `compute()` reads the controls and returns what one helpers function returns (or None:
  nothing to show yet, e.g. a half-typed name; what is shown stays);
- `draw(result)` puts it on screen with `show(out, ...)` and `say(html)`.

`redraw()` runs the two. A `WorkbookError` from `compute` (every error the workbook raises
on purpose is one) is not raised: its message goes, escaped, into the error line
`status`, the outputs are cleared so no chart of earlier settings stands beside it, and
`result` is None until a change works again. Anything else is a bug and is raised.

The base owns the rest of the boilerplate: the error line and the output area (`status`,
`out`, created before the subclass lays out its rows so it can place them), observers on
`controls` (each change calls `changed`, which redraws), the `ScenarioBar` for `section`
(a load sets every control and redraws once), and closing every figure it displays.

A panel that computes on a button (`assemble(..., live=False, button=...)`) marks what it
shows out of date as soon as a control changes (`mark_stale`: the areas greyed, class
`result-stale`, and "Out of date — press Simulate to recompute" in `stale_note`) until
the button runs it again. `Messages` is the one widget that lists what a page skipped
(a bad scenario or plan file), by file name and key. Importing this module builds no widget.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import matplotlib.pyplot as plt
import mistune
import traitlets
from IPython.display import Image, Markdown

from ..errors import WorkbookError

if TYPE_CHECKING:
    from .scenarios import ScenarioBar

ERROR = "<span class='panel-error' style='color:#c33'>{}</span>"
STALE = ("<style>.result-stale {{opacity: 0.45; filter: grayscale(1);}}</style>"
         "<span class='stale-mark' style='color:#b35900'>Out of date — press {action} to "
         "recompute</span>")
MESSAGE = "<div class='workbook-message' style='color:#b35900'>{lead}{text}</div>"


PICTURE = {"max_width": "100%", "height": "auto"}  # its own size, smaller on a narrow screen


def area() -> w.VBox:
    """An area a panel shows results in (`Panel.show` replaces its children).

    Returns
    -------
    ipywidgets.VBox
        An empty box.
    """
    return w.VBox(layout=w.Layout(align_items="flex-start"))  # children keep their size


def as_widget(thing: Any) -> w.Widget:
    """`thing` as a widget: a figure as a PNG image (closed once drawn), an image as itself,
    a Styler, DataFrame or Markdown as HTML, text as HTML, a widget unchanged.

    Parameters
    ----------
    thing : object
        What to show.

    Returns
    -------
    ipywidgets.Widget
        The widget that shows it.
    """
    if isinstance(thing, w.Widget):
        return thing
    if isinstance(thing, plt.Figure):
        buffer = io.BytesIO()
        thing.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(thing)
        return w.Image(value=buffer.getvalue(), format="png", layout=PICTURE)
    if isinstance(thing, Image):
        return w.Image(value=thing.data, format=thing.format or "png", layout=PICTURE)
    if isinstance(thing, Markdown):
        return w.HTML(mistune.html(thing.data))
    if hasattr(thing, "to_html"):  # a pandas Styler or DataFrame
        return w.HTML(thing.to_html())
    if isinstance(thing, str):
        return w.HTML(thing)
    return w.HTML(f"<pre>{escape(repr(thing))}</pre>")


def columns(controls: Iterable[w.Widget], results: Iterable[w.Widget]) -> w.HBox:
    """Controls beside results: the controls keep their width (a wide chart must not squeeze
    them to nothing on a laptop screen) and the results wrap below when there is no room.

    Parameters
    ----------
    controls : Iterable[ipywidgets.Widget]
        The controls, stacked in the left column.
    results : Iterable[ipywidgets.Widget]
        The results (status line, tables, charts), stacked in the right column.

    Returns
    -------
    ipywidgets.HBox
        The two columns, wrapping when the screen is narrow.
    """
    return w.HBox([w.VBox(list(controls), layout=w.Layout(flex="0 0 auto")),
                   w.VBox(list(results), layout=w.Layout(flex="1 1 auto", min_width="0"))],
                  layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))


def control_grid(controls: Iterable[w.Widget], width: str = "400px") -> w.GridBox:
    """The panel's controls together at the top, in as many columns of `width` as the
    screen holds (three on a 1366 px laptop), so every control is on screen at once.

    Parameters
    ----------
    controls : Iterable[ipywidgets.Widget]
        The controls, filled in row by row.
    width : str, default "400px"
        The narrowest a column may be.

    Returns
    -------
    ipywidgets.GridBox
        The grid, class `control-grid`.
    """
    grid = w.GridBox(list(controls), layout=w.Layout(
        grid_template_columns=f"repeat(auto-fill, minmax({width}, 1fr))",
        grid_gap="2px 12px", width="100%", align_items="center"))
    grid.add_class("control-grid")
    return grid


def error_html(message: object) -> str:
    """The red error line's HTML for `message`, escaped (messages quote user input).

    Parameters
    ----------
    message : object
        The error or message; its `str` is escaped.

    Returns
    -------
    str
        A red `<span class='panel-error'>` holding the message.
    """
    return ERROR.format(escape(str(message)))


def share_labels(keys: Iterable[str]) -> dict[str, w.HTML]:
    """One small label per weight slider, to show the share the weight acts with
    (`show_shares`): sliders need not add up, the labels do.

    Parameters
    ----------
    keys : Iterable[str]
        The weights' names.

    Returns
    -------
    dict of str to ipywidgets.HTML
        Name -> an empty label of class `effective-weight`.
    """
    labels = {key: w.HTML(layout={"width": "70px"}) for key in keys}
    for label in labels.values():
        label.add_class("effective-weight")
    return labels


def show_shares(labels: Mapping[str, w.HTML], acting: Mapping[str, float] | None,
                blank: str = "= –") -> None:
    """Write each weight's acting share ("= 50%") in its label; `blank` in every label
    when there is none (every weight at zero, or the weights not in use).

    Parameters
    ----------
    labels : Mapping[str, ipywidgets.HTML]
        Name -> label, from `share_labels`.
    acting : Mapping[str, float] or None
        Name -> the share it acts with (summing to 1); None when no share applies.
    blank : str, default "= –"
        What every label says when `acting` is None.
    """
    for key, label in labels.items():
        label.value = blank if acting is None else f"= {acting.get(key, 0.0):.0%}"


def messages_html(lines: Iterable[object], lead: str = "Skipped ") -> str:
    """The HTML of `Messages`: one orange line per message, escaped (they quote files).

    Parameters
    ----------
    lines : Iterable[object]
        The messages; the `str` of each is escaped.
    lead : str, default "Skipped "
        Words put before each line.

    Returns
    -------
    str
        One `<div class='workbook-message'>` per line; "" when there is none.
    """
    return "".join(MESSAGE.format(lead=escape(lead), text=escape(str(line)))
                   for line in lines)


class Messages(w.HTML):
    """The page's message area: what was skipped or refused, one plain line each (a file by
    its name and the key that is wrong, never a server path or a traceback), so the page
    goes on with the good files and the user still sees what is missing.

    Parameters
    ----------
    lines : Iterable[object], default ()
        The first messages.
    lead : str, default "Skipped "
        Words put before each line.
    """

    def __init__(self, lines: Iterable[object] = (), lead: str = "Skipped "):
        super().__init__()
        self.lead = lead
        self.lines: list[str] = []
        self.add_class("workbook-messages")
        self.say(lines)

    def say(self, lines: Iterable[object]) -> None:
        """Show `lines` instead of what was shown (none clears the area).

        Parameters
        ----------
        lines : Iterable[object]
            The messages.
        """
        self.lines = [str(line) for line in lines]
        self.value = messages_html(self.lines, self.lead)


class Checklist(w.VBox):
    """Pick several options by ticking boxes (no Ctrl-click in a list box): `value` is the
    tuple of the ticked options, `options` the tuple offered, as `SelectMultiple` has them,
    so a scenario saves, checks and loads it the same way.

    Parameters
    ----------
    options : Iterable[str]
        The options, in the order shown.
    value : Iterable[str], default ()
        The options ticked at first.
    description : str, default ""
        A label above the boxes.
    """

    value = traitlets.Tuple()
    options = traitlets.Tuple()

    def __init__(self, options: Iterable[str] = (), value: Iterable[str] = (),
                 description: str = ""):
        super().__init__(layout=w.Layout(flex="0 0 auto"))
        self.description = description
        self.boxes: dict[str, w.Checkbox] = {}
        self._syncing = False
        self.add_class("checklist")
        self.observe(lambda _: self._build(), "options")
        self.observe(lambda _: self._tick(), "value")
        self.options = tuple(options)
        self.value = tuple(value)

    @property
    def _options_values(self) -> tuple:
        return self.options  # what `check_setting` checks a saved choice against

    @traitlets.validate("value")
    def _known(self, proposal):
        unknown = [v for v in proposal["value"] if v not in self.options]
        if unknown:
            raise traitlets.TraitError(f"not offered: {', '.join(map(str, unknown))}")
        return tuple(proposal["value"])

    def _build(self) -> None:
        self.boxes = {o: w.Checkbox(value=o in self.value, description=str(o), indent=False,
                                    layout={"width": "auto"}) for o in self.options}
        for box in self.boxes.values():
            box.observe(lambda _: self._clicked(), "value")
        head = [w.HTML(f"<b>{escape(self.description)}</b>")] if self.description else []
        self.children = (*head, *self.boxes.values())
        kept = tuple(v for v in self.value if v in self.options)
        if kept != self.value:
            self.value = kept

    def _tick(self) -> None:
        self._syncing = True
        try:
            for option, box in self.boxes.items():
                box.value = option in self.value
        finally:
            self._syncing = False

    def _clicked(self) -> None:
        if not self._syncing:  # a person ticked a box: the options in their shown order
            self.value = tuple(o for o, box in self.boxes.items() if box.value)


class Panel(w.VBox):
    """Base of the notebooks' panels; see the module docstring for the contract.

    `result` is what `compute` last returned (None after an error), `error` the message
    of the error shown (None when the last change worked), `status` the line that shows
    either the panel's own summary or the error, `out` the default output area,
    `scenarios` the ScenarioBar (None when the panel saves no scenario), `stale` whether
    what is shown is out of date (a panel run on a button) and `stale_note` the line that
    says so.
    """

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = None
        self.error: str | None = None
        self.status = w.HTML()
        self.status.add_class("panel-status")
        self.out = area()
        self.scenarios: ScenarioBar | None = None
        self.stale = False
        self.stale_note = w.HTML()
        self.stale_note.add_class("stale-note")
        self.action = "Recompute"  # the button's words, in the out-of-date line
        self._quiet = False
        self._live = True
        self._outputs: list[w.Box] = []  # every area `show` has drawn into

    # ---------------------------------------------------------------- the subclass's part

    def compute(self) -> Any:
        """Read the controls and call one helpers function; return its result.

        Returns
        -------
        object
            What the helpers function returned, or None when there is nothing to show yet.

        Raises
        ------
        WorkbookError
            When the helpers function refuses the settings (`redraw` shows the message).
        """
        raise NotImplementedError

    def draw(self, result: Any) -> None:
        """Show `result` (what `compute` returned, never None).

        Parameters
        ----------
        result : object
            What `compute` returned.
        """
        raise NotImplementedError

    def key_figures(self, result: Any) -> list:
        """The key figures of `result` for the cards and the scenario comparison (a panel
        without cards returns none).

        Parameters
        ----------
        result : object
            What `compute` returned.

        Returns
        -------
        list of Figure
            The figures (`helpers.ui.cards.Figure`).
        """
        return []

    def figures_with(self, values: Mapping[str, Any]) -> list:
        """The key figures the panel would show with `values` set on its scenario controls
        (name -> value; the others as they are), without changing what is shown: the
        controls are put back and the panel redrawn as it was.

        Parameters
        ----------
        values : Mapping[str, object]
            Control name -> value, as a scenario section holds them.

        Returns
        -------
        list of Figure
            `key_figures` of the result under those settings.

        Raises
        ------
        ScenarioError
            When a value cannot be set on its control (nothing is changed).
        WorkbookError
            When the helpers function refuses those settings.
        """
        from ..errors import ScenarioError
        from .scenarios import check_setting

        controls = self.scenarios.controls if self.scenarios is not None else {}
        checked, refused = {}, []
        for key, value in values.items():
            if key in controls:
                try:
                    checked[key] = check_setting(controls[key], value)
                except ScenarioError as exc:
                    refused.append(f"{key}: {exc}")
        if refused:
            raise ScenarioError("; ".join(refused))
        before = {key: control.value for key, control in controls.items()}
        try:
            with self.quiet():
                for key, value in checked.items():
                    controls[key].value = value
                result = self.compute()
        finally:
            with self.quiet():
                for key, value in before.items():
                    controls[key].value = value
            if self._live and checked:
                self.redraw()  # the controls' own side effects (labels, shares) as before
        return self.key_figures(result) if result is not None else []

    def scenario_figures(self, name: str, values: Mapping[str, Any]) -> list:
        """The key figures of the scenario `name` whose section holds `values`, for the
        scenario comparison; the default is `figures_with(values)` (a panel whose inputs
        depend on the scenario's other sections overrides it).

        Parameters
        ----------
        name : str
            The scenario's name (`helpers.ui.scenarios.PAGE` for the page's own settings).
        values : Mapping[str, object]
            Control name -> value, as the scenario's section holds them.

        Returns
        -------
        list of Figure
            `key_figures` of the result under that scenario.

        Raises
        ------
        WorkbookError
            When a value cannot be set or the helpers function refuses the settings.
        """
        return self.figures_with(values)

    def changed(self, change: dict) -> None:
        """A watched control changed (not while `quiet`); the default redraws.

        Parameters
        ----------
        change : dict
            The traitlets change (`owner`, `old`, `new`, ...).
        """
        self.redraw()

    # -------------------------------------------------------------------- the base's part

    def assemble(self, rows: Iterable[w.Widget],
                 controls: Mapping[str, w.ValueWidget] | None = None,
                 section: str | None = None, live: bool = True, folder=None,
                 button: w.Button | None = None) -> None:
        """Lay out `rows` (under the ScenarioBar for `section`, if any), watch `controls`
        and draw once. `controls` are saved and loaded by name in the scenario; `live=False`
        draws nothing and a change of a control (or a scenario load) only marks what is
        shown out of date, until `button` (or the panel's own call to `redraw`) runs it.

        Parameters
        ----------
        rows : Iterable[ipywidgets.Widget]
            The panel's rows, top to bottom.
        controls : Mapping[str, ipywidgets.ValueWidget], optional
            Name -> control: watched, and saved and loaded by name in the scenario.
        section : str, optional
            The scenario section; None shows no ScenarioBar.
        live : bool, default True
            Watch the controls and draw once now; False leaves redrawing to the panel.
        folder : str or pathlib.Path, optional
            Where scenarios are kept (default: the scenarios folder of `helpers.scenarios`).
        button : ipywidgets.Button, optional
            The button that computes (a panel that is not live): a click redraws, and its
            description names it in the out-of-date line.
        """
        from .scenarios import ScenarioBar  # it shows its errors with `error_html`

        controls = dict(controls or {})
        self._live = live
        if section is not None:
            self.scenarios = ScenarioBar(section, controls, folder, batch=self.batch)
            rows = [self.scenarios, *rows]
        self.children = tuple(rows)
        if button is not None:
            self.action = button.description or self.action
            button.on_click(lambda _: self.redraw())
        if live:
            for control in controls.values():
                control.observe(self._changed, "value")
            self.redraw()
        else:  # a change, even one a scenario load makes quietly, outdates the result
            for control in controls.values():
                control.observe(lambda _: self.mark_stale(), "value")

    def redraw(self) -> None:
        """`compute`, then `draw`; a WorkbookError is shown in the error line, not raised."""
        if self._quiet:
            return
        try:
            result = self.compute()
        except WorkbookError as exc:
            self.fail(exc)
            return
        if result is None:
            return
        self.result, self.error = result, None
        self.status.value = ""
        self.draw(result)
        self.mark_fresh()

    def fail(self, message: object) -> None:
        """Show `message` in the error line; clear the outputs and forget the result.

        Parameters
        ----------
        message : object
            The error or message to show; its `str` is escaped.
        """
        self.result, self.error = None, str(message)
        self.status.value = error_html(message)
        for out in self._outputs:
            out.children = ()
        self.mark_fresh()  # nothing shown is left to be out of date

    def mark_stale(self) -> None:
        """Mark what is shown out of date (areas greyed, `stale_note` names the button).

        The output areas get the class `result-stale`; nothing happens while no result is
        shown.
        """
        if self.result is None:
            return
        self.stale = True
        for out in self._outputs:
            out.add_class("result-stale")
        self.stale_note.value = STALE.format(action=escape(self.action))

    def mark_fresh(self) -> None:
        """What is shown is up to date: remove the out-of-date marks."""
        self.stale = False
        for out in self._outputs:
            out.remove_class("result-stale")
        self.stale_note.value = ""

    def say(self, html: str) -> None:
        """Put the panel's own summary (HTML the panel wrote) in the status line.

        Parameters
        ----------
        html : str
            The summary, as HTML (not escaped here).
        """
        self.status.value = html

    def show(self, out: w.Box | None, *things: Any) -> None:
        """Replace what `out` (default `self.out`) shows with `things`, as widgets.

        Figures become PNG images (and are closed), tables and Markdown become HTML. No
        `Output` widget is written to: a front end that runs the notebook (Voila, nbclient)
        captures an Output widget's messages while it waits for the cell's reply, and that
        exchange could leave the reply unread and freeze the page (issue 10).

        Parameters
        ----------
        out : ipywidgets.Box or None
            The area (from `area()`); None means `self.out`.
        *things : object
            What to show, in order (figures, tables, Markdown, images, HTML, widgets).
        """
        out = self.out if out is None else out
        if out not in self._outputs:
            self._outputs.append(out)
        out.children = tuple(as_widget(thing) for thing in things)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Set controls without each change redrawing (`changed` is not called).

        Yields
        ------
        None
            Control returns to the block; redrawing resumes when it ends.
        """
        before, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = before

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Set several controls, then redraw once (even when setting one failed); a panel
        that is not live only has its controls set.

        Yields
        ------
        None
            Control returns to the block, after which a live panel redraws once.
        """
        try:
            with self.quiet():
                yield
        finally:
            if self._live:
                self.redraw()

    def _changed(self, change: dict) -> None:
        if not self._quiet:
            self.changed(change)
