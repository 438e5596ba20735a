"""The neuron and gradient-descent explorers, driven without a browser."""

import re

import ipywidgets as W
import numpy as np
import pytest

from dlteach.widgets.base import ControlError
from dlteach.widgets.gradient_descent import GradientDescentExplorer
from dlteach.widgets.neuron import NeuronExplorer


def test_gradient_descent_messages():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=60)
    assert e.message == ""
    assert re.match(r"Diverged after \d steps: η = 10 is too large", e.update(lr=10.0))
    assert "too small" in e.update(lr=0.001)
    assert e.update(lr=1.0, steps=20).startswith("Still 2.24 from the nearest minimum after 20 steps, bouncing "
                                                    "from side to side without getting closer: η = 1 is at the edge")
    e.update(surface="two minima", start_x=1.5, start_y=0.5, lr=0.05, steps=100, method="plain")
    assert e.message.startswith("Stuck in a local minimum")
    assert e.update(start_x=-1.5) == ""


@pytest.mark.parametrize("run, says", [
    # momentum, not η, makes this run diverge: with μ = 0 the same η converges
    (dict(method="momentum", momentum=0.99), "Diverged after 7 steps: momentum μ = 0.99 keeps adding up"),
    # at the largest η AdaGrad is slow because of its accumulated gradients: never "raise η" there
    (dict(method="AdaGrad", lr=10.0), "effective η of 0.0046 along the slow direction. Take more steps."),
    # momentum escapes the local minimum and circles the global one: more steps or less μ, not more η
    (dict(start_x=1.5, method="momentum"), "circling it: momentum μ = 0.9 carries θ past the minimum"),
    (dict(surface="valley", start_x=-4.0, start_y=1.5, lr=0.45), "η = 0.45 cannot grow much: the steep direction "
                                                                  "diverges for η > 2/λ = 0.5"),
    (dict(surface="valley", start_x=-4.0, start_y=1.5, lr=0.52), "The loss went up"),
    (dict(steps=1, lr=0.01), "after 1 step: the steps are small"),
])
def test_gradient_descent_diagnoses_the_cause(run, says):
    assert says in GradientDescentExplorer().update(**run)


def test_gradient_descent_grid_holds_the_lesson_values():
    e = GradientDescentExplorer()
    for lr in (0.02, 0.45, 0.5, 0.52):
        e.update(lr=lr)
        assert e.state["lr"] == lr and f"η = {lr:g}," in e.title
    e.update(method="momentum", momentum=0.9)
    assert e.state["momentum"] == 0.9
    with pytest.raises(ControlError, match="lr must be one of"):
        e.update(lr=0.03)
    with pytest.raises(ControlError, match="steps must be between 1 and 200, got 1000000000"):
        e.update(steps=10**9)
    with pytest.raises(ControlError, match="start_x must be between -2 and 2 on two minima, got 5"):
        e.update(start_x=5)
    assert e.state["steps"] == 40 and e.update(method="plain", lr=0.1) == ""  # nothing was poisoned


def test_gradient_descent_start_follows_the_surface():
    e = GradientDescentExplorer(surface="valley", start_x=-4.5, start_y=2.0)
    controls = e.control_widgets
    e.update(surface="two minima")  # moved into the new window, and the sliders follow
    assert (e.state["start_x"], e.state["start_y"]) == (-2.0, 1.5)
    assert (controls["start_x"].min, controls["start_x"].max, controls["start_y"].max) == (-2.0, 2.0, 1.5)


def test_gradient_descent_redraws_in_place():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=3)
    axes, line = list(e.picture().axes), e.path_line
    np.testing.assert_allclose(np.array(line.get_data()), [[2, 1.6, 1.28, 1.024], [-1, -0.8, -0.64, -0.512]])
    e.update(method="momentum", momentum=0.5, steps=2)
    e.picture()
    # momentum: v¹ = ∇L, v² = 0.5 v¹ + ∇L(θ¹)
    np.testing.assert_allclose(np.array(line.get_data())[:, 2], [2 - 0.4 - 0.1 * (0.5 * 4 + 3.2), -1 + 0.2 + 0.1 * (0.5 * 2 + 1.6)])
    e.update(surface="valley")
    assert e.picture().axes == axes and e.path_line is line and e.ax.get_xlim() == (-5.0, 5.0)
    assert e.png().startswith(b"\x89PNG")


def test_gradient_descent_plays_the_path_step_by_step():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=10)
    assert len(e.path) == 11 and e.state["frame"] == 10
    e.update(frame=3)
    assert len(e.path) == 4 and len(e.gaps) == 4 and "step 3 of 10" in e.title
    np.testing.assert_allclose(e.gaps, (2**2 + 1) * 0.64 ** np.arange(4))  # L shrinks by (1 − 2η)² a step
    e.update(lr=0.2)  # a new run is shown whole
    assert e.state["frame"] == 10 and len(e.path) == 11


def test_gradient_descent_live_picture_follows_clicks_drags_and_steps():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=10)
    view = e.widget()
    np.testing.assert_allclose(e.live_path.x, e.path[:, 0])
    e.live_surface._handle_custom_msg({"event": "element_click", "data": {"click_x": 0.52, "click_y": 1.49}}, [])
    assert (e.state["start_x"], e.state["start_y"]) == (0.5, 1.5)
    assert e.control_widgets["start_x"].value == 0.5 and e.live_path.x[0] == 0.5
    e.live_start.x, e.live_start.y = [-1.0], [-1.0]
    e.live_start._handle_custom_msg({"event": "drag_end", "point": {"x": -1.0, "y": -1.0}, "index": 0}, [])
    assert (e.state["start_x"], e.state["start_y"]) == (-1.0, -1.0)
    step = next(b for row in view.children for b in getattr(row, "children", ()) if getattr(b, "description", "") == "step ▶")
    step.click()  # at the end of the path: back to the start
    assert e.state["frame"] == 0 and len(e.live_path.x) == 1
    step.click()
    assert e.state["frame"] == 1 and len(e.live_gaps.y) == 2
    e.control_widgets["lr"].value = 0.5
    assert "η = 0.5" in e.live_figures[0].title and e.control_widgets["frame"].max == 10


def test_neuron_explorer_computes_the_lecture_neuron():
    e = NeuronExplorer(w1=1, w2=-2, b=1, a1=1, a2=-1)
    e.picture()
    z, a = e.point.get_data()
    assert z[0] == 4 and a[0] == pytest.approx(0.982, abs=1e-3)
    assert "= 4" in e.ax_curve.get_title() and e.message == ""
    e.update(activation="ReLU", w1=1, w2=1, b=0, a1=2, a2=1)
    e.picture()
    assert e.point.get_data()[1][0] == 3


@pytest.mark.parametrize("neuron, says", [
    (dict(w1=0, w2=0), "With both weights 0 the output ignores the input"),
    # σ'(z) < 0.01 from |z| ≈ 4.6: saturated, whatever the sign of z
    (dict(w1=5, w2=5, b=5, a1=3, a2=3), "z = 35: the sigmoid is saturated, a = 1 and its slope is only 6.7e-16"),
    (dict(w1=-5, b=0, a1=1, a2=0), "z = -5: the sigmoid is saturated, a = 0.006693"),
    (dict(activation="tanh", w1=1, w2=0, b=2, a1=1), "z = 3: the tanh is saturated"),
    # the review's case: ReLU never saturates for positive z
    (dict(activation="ReLU", w1=5, w2=-5, b=5, a1=3, a2=-3),
     "ReLU does not saturate for positive z: a = z = 35, and its slope stays 1."),
    (dict(activation="ReLU", w1=1, w2=1, b=0, a1=-1, a2=-1), "z = -2 ≤ 0: ReLU outputs 0 and its slope is 0 here"),
])
def test_neuron_messages(neuron, says):
    assert NeuronExplorer().update(**neuron).startswith(says)


def test_neuron_lesson_tip_saturates_the_sigmoid_and_not_relu():
    e = NeuronExplorer()  # the lesson: push z far out with w1 = 5, a1 = 3, then switch to ReLU
    assert e.update(w1=5, a1=3).startswith("z = 18: the sigmoid is saturated")
    assert e.update(activation="ReLU") == "ReLU does not saturate for positive z: a = z = 18, and its slope stays 1."


@pytest.mark.parametrize("neuron", [dict(w1=4, w2=-1, b=0.5, a1=0.5, a2=0.5), dict(activation="ReLU", w1=2, b=1, a1=1),
                                    dict(activation="tanh", w1=1, w2=1, b=0, a1=1, a2=1)])
def test_neuron_quiet_when_nothing_is_special(neuron):
    assert NeuronExplorer().update(**neuron) == ""


def test_neuron_axes_and_colours_hold_every_z():
    e = NeuronExplorer(w1=5, w2=-5, b=5, a1=3, a2=-3, activation="ReLU")  # z = 35, a = 35
    e.picture()
    assert e.ax_curve.get_xlim()[1] > 35 and e.ax_curve.get_ylim()[1] > 35
    assert e.plane.get_clim() == (0.0, 35.0)  # the colour bar reaches the largest output, not 10
    e.update(activation="sigmoid")
    e.picture()
    assert e.plane.get_clim() == (0.0, 1.0)
    e.update(w1=1, w2=1, b=0, a1=1, a2=1)
    e.picture()
    assert e.ax_curve.get_xlim() == (-10.0, 10.0)
    for neuron, line in ((dict(w1=5, w2=-5, b=5), ([-3, 2], [-2, 3])),   # the line z = 0 ends where it leaves the plane
                         (dict(w1=0, w2=1, b=5), ([], [])), (dict(w1=1, w2=0, b=2), ([-2, -2], [-3, 3]))):
        e.update(**neuron)
        e.picture()
        np.testing.assert_allclose(e.boundary.get_data(), line)


def test_neuron_live_picture_follows_sliders_drags_and_clicks():
    e = NeuronExplorer()
    box = e.widget()
    curve, plane = e.live_figures
    assert isinstance(box.children[-1], W.HBox) and e.widget() is box
    before = bytes(e.live_plane.image.value)
    e.control_widgets["w1"].value = -3.0  # a weight turns the plane's colours and the line z = 0
    assert bytes(e.live_plane.image.value) != before and "(-3)" in curve.title
    e.live_input.x, e.live_input.y = [2.04], [-0.96]  # the gold dot dragged: the input follows, on the 0.1 grid
    e.live_input._handle_custom_msg({"event": "drag_end", "point": {"x": 2.04, "y": -0.96}, "index": 0}, [])
    assert (e.state["a1"], e.state["a2"]) == (2.0, -1.0) and e.control_widgets["a1"].value == 2.0
    e.live_plane._handle_custom_msg({"event": "element_click", "data": {"click_x": -1.23, "click_y": 2.5}}, [])
    assert (e.state["a1"], e.state["a2"]) == (-1.2, 2.5) and list(e.live_input.x) == [-1.2]
    e.control_widgets["activation"].value = "ReLU"
    assert e.colour_scale.max == e.clim[1] > 1 and list(e.live_colours.y) == list(e.clim)
    assert e.live_point.y[0] == e.a
    bundle = e._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"} <= set(bundle)


def test_errors_in_callbacks_are_shown_in_the_widget():
    e = GradientDescentExplorer()
    box = e.widget()
    note = box.children[-2]
    slider = e.control_widgets["start_x"]
    slider.max = 5
    slider.value = 5  # a value the explorer's own check refuses: said plainly, state kept
    assert "start_x must be between -2 and 2 on two minima" in note.value and "Traceback" not in note.value
    assert e.state["start_x"] == -1.8
    e.live_surface._handle_custom_msg({"event": "element_click", "data": {}}, [])  # a click too is guarded
    assert "KeyError" in note.value and e.state["start_x"] == -1.8
    e.draw = lambda **state: 1 / 0  # a bug inside the explorer: its traceback is shown, never swallowed
    e.control_widgets["lr"].value = 0.2
    assert "ZeroDivisionError" in note.value and "Traceback" in note.value


def test_a_cell_run_again_closes_the_explorer_it_showed(monkeypatch):
    from dlteach.widgets import base

    monkeypatch.setattr(base, "_current_cell", lambda: "cell-1")
    monkeypatch.setattr(base.Explorer, "_shown_by_cell", {})
    first = GradientDescentExplorer()
    first._repr_mimebundle_()
    old_models = [w.model_id for w in base._descendants(first._view)]
    assert all(m in W.widgets.widget._instances for m in old_models)
    second = GradientDescentExplorer()
    second._repr_mimebundle_()
    assert not any(m in W.widgets.widget._instances for m in old_models) and first._view is None
    assert second._view is not None
