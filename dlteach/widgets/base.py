"""The explorer pattern shared by every interactive lesson.

An explorer owns one matplotlib ``Figure`` (built once, never registered with pyplot, so
it cannot leak) and a dict ``state`` of control values. ``update(**changes)`` is pure
Python: it redraws the figure's artists in place and returns a message for the learner
(empty when all is well). Tests and benchmarks call it directly; ``widget()`` wraps it
in ipywidgets controls and shows the figure as a PNG image; displaying an explorer in a
notebook gives the live widget, with a static picture for viewers that run no kernel.
"""

from __future__ import annotations

import base64
import html
import io
import traceback

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class Explorer:
    """Subclasses build their axes and artists in ``__init__``, pass the initial ``state`` up,
    end with ``self.update()``, and implement ``draw`` and ``controls``."""

    dpi = 80

    def __init__(self, figsize=(9.0, 4.0), **state):
        self.fig = Figure(figsize=figsize, dpi=self.dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.state = dict(state)
        self.message = ""
        self._view: W.VBox | None = None

    # -- the pure part ------------------------------------------------------------
    def update(self, **changes) -> str:
        """Apply control changes, redraw in place and return the message shown to the learner."""
        unknown = sorted(set(changes) - set(self.state))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no control {unknown[0]!r}; "
                            f"its controls are {sorted(self.state)}")
        self.state.update(changes)
        self.message = self.draw(**self.state) or ""
        return self.message

    def draw(self, **state) -> str | None:
        """Update the figure's artists for ``state``; return a message or None."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The figure as PNG bytes. The layout is solved on the first call and then kept,
        which halves the cost of every later frame."""
        buffer = io.BytesIO()
        self.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})  # fast to encode, a little larger
        self.fig.set_layout_engine("none")
        return buffer.getvalue()

    # -- the ipywidgets part ------------------------------------------------------
    def controls(self) -> dict[str, W.ValueWidget]:
        """One widget per key of ``state``, holding its current value."""
        raise NotImplementedError

    def actions(self) -> dict[str, object]:
        """Buttons for slow work: label → ``fn(report)``; ``report(fraction, text)`` moves the progress bar."""
        return {}

    def widget(self) -> W.VBox:
        if self._view is not None:
            return self._view
        image = W.Image(value=self.png(), format="png")
        note = W.HTML()
        progress = W.FloatProgress(min=0.0, max=1.0, layout=W.Layout(width="30%", visibility="hidden"))
        progress_text = W.Label()

        def show(message):
            colour = "#a15c00" if message else "inherit"
            note.value = f'<div style="color:{colour};font-weight:bold">{html.escape(message)}</div>'
            image.value = self.png()

        def guarded(fn):
            def run(*args):
                try:
                    show(fn(*args) or "")
                except Exception:  # shown in the widget, never swallowed
                    note.value = f'<pre style="color:#b00020">{html.escape(traceback.format_exc())}</pre>'
            return run

        controls = self.controls()
        for name, control in controls.items():
            control.observe(guarded(lambda change, name=name: self.update(**{name: change["new"]})), names="value")

        def report(fraction, text=""):
            progress.value, progress_text.value = fraction, text
            image.value = self.png()

        buttons = []
        for label, fn in self.actions().items():
            button = W.Button(description=label, button_style="primary")

            def clicked(_, fn=fn, button=button):
                button.disabled, progress.layout.visibility = True, "visible"
                try:
                    return fn(report)
                finally:
                    button.disabled, progress.layout.visibility = False, "hidden"

            button.on_click(guarded(clicked))
            buttons.append(button)

        show(self.message)
        rows = [W.HBox(list(controls.values())[i:i + 3]) for i in range(0, len(controls), 3)]
        if buttons:
            rows.append(W.HBox([*buttons, progress, progress_text]))
        self._view = W.VBox([*rows, note, image])
        return self._view

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live widget where a widget manager runs, the picture elsewhere."""
        bundle = self.widget()._repr_mimebundle_()
        bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        bundle["text/plain"] = f"<{type(self).__name__}: run the notebook in JupyterLab to use its controls>"
        return bundle
