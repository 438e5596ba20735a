"""The explorer pattern shared by every interactive lesson.

An explorer owns one matplotlib ``Figure`` (built once, never registered with pyplot, so
it cannot leak) and a dict ``state`` of control values. ``update(**changes)`` is pure
Python: it checks every change against its control (type, finite, range or options) before
anything is stored, so one bad value never poisons the explorer; then ``draw`` computes the
numbers the pictures show and returns a message for the learner (empty when all is well).
Tests and benchmarks call it directly.

``widget()`` wraps it in ipywidgets controls around ``live()``, the picture drawn in the
browser (bqplot figures or an anywidget picture); ``sync()`` sends it only the changed numbers
after each update. The matplotlib figure is the static picture, for viewers that run no kernel:
``paint()`` brings its artists up to the last ``draw`` only when it is asked for (``picture()``,
``png()``), so a move of a live control costs no matplotlib at all.
"""

from __future__ import annotations

import asyncio
import base64
import html
import inspect
import io
import math
import numbers
import traceback

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..i18n import _

PICTURE_CLASS = "dlteach-picture"  # the browser tests and benchmark watch this element change


class ControlError(ValueError):
    """A value a control cannot take; the explorer keeps its state and says why."""


class Explorer:
    """Subclasses build their axes and artists in ``__init__``, pass the initial ``state`` up,
    end with ``self.update()``, and implement ``draw`` and ``controls``."""

    dpi = 80
    _shown_by_cell: dict = {}  # cell id → the explorer last displayed there

    def __init__(self, figsize=(9.0, 4.0), **state):
        self.fig = Figure(figsize=figsize, dpi=self.dpi, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.state = dict(state)
        self.message = ""
        self._controls: dict[str, W.ValueWidget] | None = None
        self._view: W.VBox | None = None
        self._syncing = False
        self._busy = False
        self._painted = False
        self.paused = False  # set by the pause button; stepwise work stops at its next step

    # -- the pure part ------------------------------------------------------------
    def update(self, **changes) -> str:
        """Check and apply control changes, redraw, and return the message shown to the learner."""
        unknown = sorted(set(changes) - set(self.state))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no control {unknown[0]!r}; "
                            f"its controls are {sorted(self.state)}")
        before, state = self.state, dict(self.state)
        for name, value in changes.items():
            state[name] = self.check(name, value, state)
        self.state = state  # draw may read it; a draw that raises puts the old state back
        try:
            self.message = self.draw(**state) or ""
        except Exception:
            self.state = before
            raise
        self._painted = False
        if self._view is not None:
            self._show_state()
        return self.message

    def draw(self, **state) -> str | None:
        """Compute what ``state`` shows (the numbers ``sync`` sends and ``paint`` draws); return a message or None."""
        raise NotImplementedError

    def paint(self) -> None:
        """Set the figure's artists from the numbers of the last ``draw`` and the ``state`` it drew."""
        raise NotImplementedError

    def picture(self) -> Figure:
        """The static picture, painted if an update came since it last was."""
        if not self._painted:
            self.paint()
            self._painted = True
        return self.fig

    def check(self, name: str, value, state: dict):
        """``value`` for control ``name`` as the control would hold it, or a ControlError saying
        what it accepts. Ranges and options come from the control's widget."""
        return check_value(name, value, self.control_widgets[name])

    def png(self) -> bytes:
        """The static picture as PNG bytes."""
        self.picture()
        buffer = io.BytesIO()
        self.canvas.print_png(buffer, pil_kwargs={"compress_level": 1})  # fast to encode, a little larger
        return buffer.getvalue()

    # -- the ipywidgets part ------------------------------------------------------
    def controls(self) -> dict[str, W.ValueWidget]:
        """One widget per key of ``state``, holding its current value."""
        raise NotImplementedError

    @property
    def control_widgets(self) -> dict[str, W.ValueWidget]:
        if self._controls is None:
            self._controls = self.controls()
        return self._controls

    def actions(self) -> dict[str, object]:
        """Buttons for slow work: label → ``fn(report)``; ``report(fraction, text)`` moves the progress
        bar, and ``fn`` calls ``update()`` when the picture should follow. A generator function yields
        between its steps, and then runs without blocking the kernel."""
        return {}

    def live(self) -> W.DOMWidget:
        """The picture drawn in the browser, built once; ``sync`` keeps it current."""
        raise NotImplementedError

    def sync(self) -> None:
        """Send the numbers of the last ``draw`` to the picture ``live()`` built."""

    def guarded(self, fn):
        """``fn`` as a widget callback: an error it raises is shown in the explorer's note (a value
        a control cannot take said plainly, anything else as a traceback), never swallowed."""
        def run(*args):
            try:
                fn(*args)
            except ControlError as error:
                self._note.value = f'<div style="color:#b00020;font-weight:bold">{html.escape(str(error))}</div>'
            except Exception:
                self._note.value = f'<pre style="color:#b00020">{html.escape(traceback.format_exc())}</pre>'
        return run

    def _show_state(self):
        """After an update: controls show the state, the picture and the note follow."""
        self._syncing = True
        try:
            for name, control in self.control_widgets.items():
                if control.value != self.state[name] and not _same_number(control.value, self.state[name]):
                    control.value = self.state[name]  # not a float's last-digit noise: it would undo quick key presses
        finally:
            self._syncing = False
        self._refresh(self.message)

    def widget(self) -> W.VBox:
        if self._view is not None:
            return self._view
        self.picture()  # a live view may copy the figure's layout when it is built
        picture = self.live()
        picture.add_class(PICTURE_CLASS)
        # two lines kept for the note, so a shorter remark does not move the picture under the pointer
        note = self._note = W.HTML(layout=W.Layout(min_height="3.4em"))
        progress = W.FloatProgress(min=0.0, max=1.0, layout=W.Layout(width="30%", visibility="hidden"))
        progress_text = W.Label()

        def changed(change, name):
            if not self._syncing:
                self.update(**{name: change["new"]})

        controls = self.control_widgets
        for name, control in controls.items():
            control.value = self.state[name]  # a cell may have changed the state before the display
            control.observe(self.guarded(lambda change, name=name: changed(change, name)), names="value")

        def report(fraction, text=""):  # the work itself updates the picture, as it goes
            progress.value, progress_text.value = fraction, text

        buttons, actions = [], self.actions()
        pause = W.Button(description=_("pause"), disabled=True, tooltip=_("stop after the current step"))
        pause.on_click(lambda _: setattr(self, "paused", True))
        for label, fn in actions.items():
            button = W.Button(description=label, button_style="primary")

            def clicked(_, fn=fn, button=button):
                if self._busy:  # a second press while working: already on it
                    return
                self._busy, button.disabled, progress.layout.visibility = True, True, "visible"

                def done():
                    self._busy, button.disabled, progress.layout.visibility = False, False, "hidden"
                    pause.disabled = True
                    self._refresh(self.message)

                if inspect.isgeneratorfunction(fn):
                    self.paused, pause.disabled = False, False
                    run_stepwise(fn(report), done, self.guarded, stop=lambda: self.paused)
                    return
                try:
                    fn(report)
                finally:
                    done()

            button.on_click(self.guarded(clicked))
            buttons.append(button)
        if any(inspect.isgeneratorfunction(fn) for fn in actions.values()):
            buttons.append(pause)

        self._view = W.VBox()
        self._refresh(self.message)
        rows = self.layout(controls)
        if buttons:
            rows.append(W.HBox([*buttons, progress, progress_text]))
        self._view.children = [*rows, note, picture]
        return self._view

    def layout(self, controls: dict[str, W.ValueWidget]) -> list[W.Widget]:
        """The rows of controls above the picture: three to a row unless an explorer says otherwise."""
        widgets = list(controls.values())
        return [W.HBox(widgets[i:i + 3]) for i in range(0, len(widgets), 3)]

    def _refresh(self, message: str):
        colour = "#a15c00" if message else "inherit"
        self._note.value = f'<div style="color:{colour};font-weight:bold">{html.escape(message)}</div>'
        self.sync()

    def close(self) -> None:
        """Close the widgets (the front end's views and the kernel's objects), so nothing keeps
        this explorer alive; called when the same notebook cell shows a new explorer."""
        if self._view is not None:
            for widget in _descendants(self._view):
                widget.close()
            self._view = None
        self._controls = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The live widget where a widget manager runs, the picture elsewhere."""
        cell = _current_cell()
        if cell is not None:
            previous = Explorer._shown_by_cell.get(cell)
            if previous is not None and previous is not self:
                previous.close()
            Explorer._shown_by_cell[cell] = self
        bundle = self.widget()._repr_mimebundle_()
        bundle["image/png"] = base64.b64encode(self.png()).decode("ascii")
        bundle["text/plain"] = _("<{explorer}: run the notebook in JupyterLab to use its controls>").format(
            explorer=type(self).__name__)
        return bundle


def hint(text: str, indent: bool = False) -> W.HTML:
    """A line of help beside the controls, in italics (``indent``: after a control on the same row)."""
    return W.HTML(f'<i>{"&nbsp; " if indent else ""}{html.escape(text, quote=False)}</i>')


def check_value(name: str, value, control: W.ValueWidget, ranged: bool = True):
    """``value`` checked against what ``control`` can hold: one of its options, a bool, text, or a
    finite number in its range (whole for an IntSlider); a ControlError saying what it accepts."""
    if isinstance(control, (W.Dropdown, W.ToggleButtons, W.SelectionSlider, W.RadioButtons)):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        if not any(value == o and type(value) is type(o) or _same_number(value, o) for o in options):
            raise ControlError(_("{name} must be one of {options}, got {value}").format(
                name=name, options=options, value=repr(value)))
        return next(o for o in options if value == o or _same_number(value, o))
    if isinstance(control, W.Checkbox):
        if not isinstance(value, bool):
            raise ControlError(_("{name} must be True or False, got {value}").format(name=name, value=repr(value)))
        return value
    if isinstance(control, (W.Text, W.Textarea)):
        if not isinstance(value, str):
            raise ControlError(_("{name} must be text, got {kind}").format(name=name, kind=type(value).__name__))
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ControlError(_("{name} must be a number, got {value}").format(name=name, value=repr(value)))
    if not math.isfinite(value):
        raise ControlError(_("{name} must be a finite number, got {value}").format(name=name, value=repr(value)))
    low, high = control.min, control.max
    if isinstance(control, W.FloatLogSlider):
        low, high = control.base ** low, control.base ** high
    if isinstance(control.value, int):  # an IntSlider, a Play button…
        if value != int(value):
            raise ControlError(_("{name} must be a whole number, got {value}").format(name=name, value=repr(value)))
        value = int(value)
    else:
        value = float(f"{float(value):.12g}")  # 0.9000000000000001 from a slider is 0.9
    slack = 1e-9 * max(abs(low), abs(high))  # the slider's ends, give or take rounding
    if ranged and not low - slack <= value <= high + slack:
        raise ControlError(_("{name} must be between {low:g} and {high:g}, got {value}").format(
            name=name, low=low, high=high, value=repr(value)))
    return value


def _same_number(value, option) -> bool:
    numeric = isinstance(value, numbers.Real) and isinstance(option, numbers.Real)
    return numeric and not isinstance(value, bool) and math.isclose(value, option, rel_tol=1e-9)


def run_stepwise(steps, done, guarded, stop=lambda: False):
    """Run a generator of work steps, yielding to the kernel between them (ipywidgets'
    asynchronous pattern) so controls, the pause button and other cells stay answered, until it
    ends or ``stop()`` says so; outside a kernel (a test, a script) run it straight through."""
    def finish():
        try:
            for _ in steps:
                if stop():
                    break
        finally:
            steps.close()
            done()

    loop = _kernel_loop()
    if loop is None:
        guarded(finish)()
        return

    async def stepwise():
        try:
            for _ in steps:
                await asyncio.sleep(0.001)
                if stop():
                    break
        finally:
            steps.close()
            done()

    task = loop.create_task(stepwise())
    task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or guarded(t.result)())


def _kernel_loop():
    """The running event loop of the IPython kernel this code runs in, or None (a script, a test:
    an event loop that some other library runs, playwright's say, is not ours to use)."""
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is None:
            return None
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _descendants(widget):
    """``widget`` and every widget it holds: children, and a bqplot figure's marks, axes, their
    scales and the pictures of its Image marks (shown and spare, see ``live.show_png``)."""
    yield widget
    for attr in ("children", "marks", "axes"):
        for part in getattr(widget, attr, ()) or ():
            if isinstance(part, W.Widget):
                yield from _descendants(part)
    scales = getattr(widget, "scales", None)
    parts = [*(scales.values() if isinstance(scales, dict) else ()), getattr(widget, "scale", None),
             getattr(widget, "image", None), getattr(widget, "spare_image", None)]
    yield from (part for part in parts if isinstance(part, W.Widget))


def _current_cell():
    """The id of the notebook cell being run (JupyterLab and nbclient send it), or None."""
    try:
        from IPython import get_ipython

        kernel = get_ipython().kernel
        parent = kernel.get_parent("shell") if hasattr(kernel, "get_parent") else kernel._parent_header
        return parent.get("metadata", {}).get("cellId")
    except Exception:  # no kernel (a script, a test): nothing to replace
        return None
