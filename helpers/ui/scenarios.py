"""A bar to save and load a named scenario: the current values of a panel's controls."""

from __future__ import annotations

from contextlib import nullcontext
from html import escape

import ipywidgets as w
from traitlets import TraitError

from ..scenarios import ScenarioError, list_scenarios, load_scenario, save_scenario
from .base import error_html


class ScenarioBar(w.HBox):
    """Save / load `controls` (name -> value widget) as `section` of a named scenario.

    `batch`, if given, is a context manager factory held while a load sets the controls
    (a `Panel` passes one that redraws once, after the last control is set).

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
        self.status = w.HTML()
        self.name.add_class("scenario-name")
        self.save_button.add_class("scenario-save")
        self.load_button.add_class("scenario-load")
        self.status.add_class("scenario-status")
        self.save_button.on_click(lambda _: self._act(self.save))
        self.load_button.on_click(lambda _: self._act(self.load))
        self.refresh()
        super().__init__([w.Label("Scenario"), self.name, self.save_button,
                          self.load_button, self.status])

    def refresh(self) -> None:
        """List the saved scenarios that have this section in the name box."""
        self.name.options = tuple(list_scenarios(self.section, self.folder))

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
        """Set the controls from the typed scenario's section, inside `batch`.

        Returns
        -------
        str
            The line shown in the bar, naming saved values no control here takes.

        Raises
        ------
        ScenarioError
            When the name is invalid, the scenario or its section is missing, or a value
            cannot be set on its control.
        """
        values = load_scenario(self.name.value, self.section, self.folder)
        unknown = sorted(set(values) - set(self.controls))
        with self.batch():
            for key, value in values.items():
                if key in self.controls:
                    control = self.controls[key]
                    try:
                        control.value = (tuple(value) if isinstance(control.value, tuple)
                                         else value)
                    except (TraitError, ValueError) as exc:
                        raise ScenarioError(f"{key}={value!r} cannot be set here: "
                                            f"{exc}") from None
        return "loaded" + (f" (ignored {', '.join(unknown)})" if unknown else "")

    def _act(self, action) -> None:
        try:
            self.status.value = f"<span style='color:#2a7'>{escape(action())}</span>"
        except ScenarioError as exc:
            self.status.value = error_html(exc)
