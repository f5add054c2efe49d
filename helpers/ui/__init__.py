"""ipywidgets panels, one module a notebook: read widgets, call one helpers function, redraw."""
