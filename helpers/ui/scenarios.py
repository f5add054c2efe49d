"""A bar to save and load a named scenario: the current values of a panel's controls.

Loading is all or nothing: every saved value is checked against its control first (a
choice it offers, a number inside its range, the right type), and only when all pass are
the controls set, so a scenario with one bad value changes nothing and says which key. A
scenario file that cannot be read is skipped and named in the bar's `messages`; the other
scenarios stay listed. "Reset" sets every control back to the page's own settings.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from html import escape
from numbers import Real
from typing import Any

import ipywidgets as w
from traitlets import TraitError

from ..errors import WorkbookError
from ..scenarios import ScenarioError, load_scenario, read_scenarios, save_scenario
from .base import Messages, error_html


def check_setting(control: w.ValueWidget, value: Any) -> Any:
    """`value` as `control` would hold it, or ScenarioError saying why it cannot: checked
    without setting anything, so a whole scenario can be checked before any of it is set.

    Parameters
    ----------
    control : ipywidgets.ValueWidget
        The control the value is for.
    value : object
        The saved value (as YAML gives it: lists for tuples).

    Returns
    -------
    object
        The value to set (a tuple where the control holds tuples).

    Raises
    ------
    ScenarioError
        When a choice is not among the control's options, a number is outside its range,
        not a number or not whole for a whole-number control, or the control's own type
        check refuses it (the message says the value and what is allowed, without the
        key: the caller adds it).
    """
    if isinstance(control.value, tuple) and isinstance(value, list):
        value = tuple(value)
    options = getattr(control, "_options_values", None)  # ipywidgets' selection widgets
    if options is not None:
        chosen = value if isinstance(control.value, tuple) else (value,)
        if not isinstance(chosen, tuple) or any(v not in options for v in chosen):
            shown = ", ".join(repr(o) for o in options)
            raise ScenarioError(f"{value!r} is not offered here (choices: {shown})")
        return value
    if getattr(control, "ensure_option", False) and value not in control.options:
        raise ScenarioError(f"{value!r} is not offered here")
    whole = isinstance(control.value, int) and not isinstance(control.value, bool)
    if whole and isinstance(value, float) and not value.is_integer():
        raise ScenarioError(f"{value!r} is not a whole number")
    try:
        value = control.traits()["value"].validate(control, value)
    except TraitError as exc:
        raise ScenarioError(f"{value!r} does not fit this control "
                            f"({str(exc).splitlines()[0]})") from None
    low, high = getattr(control, "min", None), getattr(control, "max", None)
    if low is not None and high is not None:
        numbers = value if isinstance(value, tuple) else (value,)
        if not all(isinstance(v, Real) and not isinstance(v, bool) for v in numbers):
            raise ScenarioError(f"{value!r} is not a number")
        if any(not low <= v <= high for v in numbers):
            raise ScenarioError(f"{value!r} is outside this control's range {low:g} to "
                                f"{high:g}")
    return value


class ScenarioBar(w.HBox):
    """Save / load `controls` (name -> value widget) as `section` of a named scenario.

    `batch`, if given, is a context manager factory held while a load sets the controls
    (a `Panel` passes one that redraws once, after the last control is set). `messages`
    lists the scenario files skipped because they cannot be read.

    Parameters
    ----------
    section : str
        The scenario section the bar saves and loads (one per notebook).
    controls : dict of str to ipywidgets.ValueWidget
        Name -> control whose value is saved and set.
    folder : str or pathlib.Path, optional
        Where scenarios are kept (default: that of `helpers.scenarios`).
    batch : callable, optional
        A context manager factory held while a load sets the controls.
    """

    def __init__(self, section: str, controls: dict[str, w.ValueWidget], folder=None,
                 batch=None):
        self.section, self.controls, self.folder = section, controls, folder
        self.batch = batch or nullcontext
        self.name = w.Combobox(placeholder="scenario name", ensure_option=False,
                               layout=w.Layout(width="220px"))
        self.save_button = w.Button(description="Save", icon="save")
        self.load_button = w.Button(description="Load", icon="folder-open")
        self.reset_button = w.Button(description="Reset", icon="undo",
                                     tooltip="Back to this page's own settings")
        self.defaults = {key: control.value for key, control in controls.items()}
        self.status = w.HTML()
        self.messages = Messages()
        self.messages.layout.width = "100%"  # its own line, below the bar
        self.name.add_class("scenario-name")
        self.save_button.add_class("scenario-save")
        self.load_button.add_class("scenario-load")
        self.reset_button.add_class("scenario-reset")
        self.status.add_class("scenario-status")
        self.save_button.on_click(lambda _: self._act(self.save))
        self.load_button.on_click(lambda _: self._act(self.load))
        self.reset_button.on_click(lambda _: self._act(self.reset))
        self.refresh()
        super().__init__([w.Label("Scenario"), self.name, self.save_button,
                          self.load_button, self.reset_button, self.status, self.messages],
                         layout=w.Layout(flex_flow="row wrap", align_items="center"))

    def refresh(self) -> None:
        """List the readable scenarios that have this section; name the skipped files."""
        found, problems = read_scenarios(self.section, self.folder)
        self.name.options = tuple(found)
        self.messages.say(problems)

    def save(self) -> str:
        """Save the controls' values under the typed name, then list the scenarios again.

        Returns
        -------
        str
            The line shown in the bar: where it was saved.

        Raises
        ------
        ScenarioError
            When the name is not a valid scenario name or a value cannot be saved.
        """
        values = {key: control.value for key, control in self.controls.items()}
        path = save_scenario(self.name.value, self.section, values, self.folder)
        self.refresh()
        return f"saved to {path.name}"

    def load(self) -> str:
        """Check every saved value against its control, then set them all inside `batch`;
        one bad value sets none.

        Returns
        -------
        str
            The line shown in the bar, naming saved values no control here takes.

        Raises
        ------
        ScenarioError
            When the name is invalid, the scenario or its section is missing, or any value
            cannot be set on its control (all such keys are named; nothing is set).
        """
        name = self.name.value
        values = load_scenario(name, self.section, self.folder)
        unknown = sorted(set(values) - set(self.controls))
        settings, refused = {}, []
        for key, value in values.items():
            if key in self.controls:
                try:
                    settings[key] = check_setting(self.controls[key], value)
                except ScenarioError as exc:
                    refused.append(f"{key}: {exc}")
        if refused:
            raise ScenarioError(f"scenario {name!r} not loaded, nothing changed: "
                                + "; ".join(refused))
        with self.batch():
            for key, value in settings.items():
                self.controls[key].value = value
        return "loaded" + (f" (ignored {', '.join(unknown)})" if unknown else "")

    def reset(self) -> str:
        """Set every control back to the value it had when the page opened (the page's own
        settings, the key figures' baseline), inside `batch`.

        Returns
        -------
        str
            The line shown in the bar.
        """
        with self.batch():
            for key, value in self.defaults.items():
                self.controls[key].value = value
        return "back to this page's settings"

    def _act(self, action) -> None:
        try:
            self.status.value = f"<span style='color:#2a7'>{escape(action())}</span>"
        except ScenarioError as exc:
            self.status.value = error_html(exc)


PAGE = "this page's settings"


class ScenarioComparison(w.VBox):
    """Two scenarios side by side: pick A and B (a saved scenario, or the page's own
    settings) and press Compare; the panel's key figures for each, one row each, B's change
    against A. What the panel shows is not changed (`Panel.scenario_figures`, by default
    `figures_with`). Built before the panel's `assemble`, it is `refresh`ed once the panel
    has its ScenarioBar; `sides` holds A's and B's figures as last shown (empty after an
    error).

    Parameters
    ----------
    panel : Panel
        The panel whose key figures are compared (it must carry a `ScenarioBar`).
    """

    def __init__(self, panel):
        self.panel = panel
        self.first = w.Dropdown(description="Compare", layout=w.Layout(width="260px"),
                                style={"description_width": "70px"})
        self.second = w.Dropdown(description="with", layout=w.Layout(width="230px"),
                                 style={"description_width": "40px"})
        self.button = w.Button(description="Compare", icon="columns",
                               tooltip="Key figures of two scenarios side by side")
        self.out = w.HTML()
        self.sides: tuple[list, list] = ([], [])  # A's and B's figures as last shown
        self.first.add_class("compare-first")
        self.second.add_class("compare-second")
        self.button.add_class("compare-button")
        self.out.add_class("scenario-comparison")
        self.button.on_click(lambda _: self.compare())
        self._watching = False
        self.refresh()
        super().__init__([w.HBox([self.first, self.second, self.button],
                                 layout=w.Layout(flex_flow="row wrap", align_items="center")),
                          self.out])

    def refresh(self) -> None:
        """Offer the page's settings and every saved scenario of the panel's section."""
        bar = self.panel.scenarios  # None until the panel is assembled: call again then
        if bar is not None and not self._watching:  # a scenario saved is offered at once
            bar.name.observe(lambda _: self.refresh(), "options")
            self._watching = True
        names = [PAGE, *(bar.name.options if bar is not None else ())]
        for choice in (self.first, self.second):
            if tuple(choice.options) != tuple(names):
                kept = choice.value
                choice.options = names
                choice.value = kept if kept in names else PAGE

    def values(self, name: str) -> dict:
        """The settings of `name` (none for the page's own settings).

        Parameters
        ----------
        name : str
            A saved scenario's name, or `PAGE`.

        Returns
        -------
        dict
            Control name -> value.

        Raises
        ------
        ScenarioError
            When the scenario or its section cannot be read.
        """
        if name == PAGE:
            return dict(self.panel.scenarios.defaults)
        bar = self.panel.scenarios
        return load_scenario(name, bar.section, bar.folder)

    def compare(self) -> None:
        """Show A's and B's key figures side by side (an error line when either cannot be
        computed). Figures a panel groups (a plan each) stand A above B, group by group.
        """
        from .cards import cards_html

        self.refresh()
        a, b = self.first.value, self.second.value
        sides = []
        for side, name in (("A", a), ("B", b)):
            try:
                sides.append(self.panel.scenario_figures(name, self.values(name)))
            except WorkbookError as exc:
                self.sides = ([], [])
                named = str(exc).startswith(f"scenario {name!r}")  # say the name once
                self.out.value = error_html(f"{side}: {exc}" if named
                                            else f"{side}: scenario {name!r}: {exc}")
                return
        self.sides = (sides[0], sides[1])
        order = {g: i for i, g in enumerate(dict.fromkeys(f.group for f in sides[0] + sides[1]))}
        shown = sorted([(f, _titled(f, "A", a)) for f in sides[0]]
                       + [(f, _titled(f, "B", b)) for f in sides[1]],
                       key=lambda pair: order[pair[0].group])  # stable: A above B
        against = [_titled(f, "B", b) for f in sides[0]]  # B's change is against A
        self.out.value = cards_html([titled for _, titled in shown], against, versus="A")


def _titled(figure, side: str, name: str):
    """`figure` in the row of `side` ("A: name", or "A: name · plan" for a grouped one)."""
    group = f"{side}: {name}" + (f" · {figure.group}" if figure.group is not None else "")
    return replace(figure, group=group)
