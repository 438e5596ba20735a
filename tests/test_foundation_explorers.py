"""The neuron and gradient-descent explorers, driven without a browser."""

import re

import ipywidgets as W
import numpy as np
import pytest

from dlteach.widgets.gradient_descent import GradientDescentExplorer
from dlteach.widgets.neuron import NeuronExplorer


def test_gradient_descent_messages():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=60)
    assert e.message == ""
    assert re.match(r"Diverged after \d step\(s\): η = 100 is too large", e.update(lr=100))
    assert "too small" in e.update(lr=0.001)
    assert "went up" in e.update(lr=1.02, steps=3)
    e.update(surface="two minima", start_x=1.5, start_y=0.5, lr=0.05, steps=100, method="plain")
    assert e.message.startswith("Stuck in a local minimum")
    assert e.update(start_x=-1.5) == ""


def test_gradient_descent_redraws_in_place():
    e = GradientDescentExplorer(surface="bowl", start_x=2.0, start_y=-1.0, lr=0.1, steps=3)
    axes, line = list(e.fig.axes), e.path_line
    np.testing.assert_allclose(np.array(line.get_data()), [[2, 1.6, 1.28, 1.024], [-1, -0.8, -0.64, -0.512]])
    e.update(method="momentum", momentum=0.5, steps=2)
    # momentum: v¹ = ∇L, v² = 0.5 v¹ + ∇L(θ¹)
    np.testing.assert_allclose(np.array(line.get_data())[:, 2], [2 - 0.4 - 0.1 * (0.5 * 4 + 3.2), -1 + 0.2 + 0.1 * (0.5 * 2 + 1.6)])
    e.update(surface="valley")
    assert e.fig.axes == axes and e.path_line is line and e.ax.get_xlim() == (-5.0, 5.0)
    assert e.png().startswith(b"\x89PNG")


def test_gradient_descent_rejects_unknown_controls_and_values():
    e = GradientDescentExplorer()
    with pytest.raises(TypeError, match="no control 'eta'"):
        e.update(eta=0.1)
    with pytest.raises(ValueError, match="surface must be one of"):
        e.update(surface="saddle")


def test_neuron_explorer_computes_the_lecture_neuron():
    e = NeuronExplorer(w1=1, w2=-2, b=1, a1=1, a2=-1)
    z, a = e.point.get_data()
    assert z[0] == 4 and a[0] == pytest.approx(0.982, abs=1e-3)
    assert "= 4" in e.ax_curve.get_title()
    assert "ignores the input" in e.update(w1=0, w2=0)
    assert "saturated" in e.update(w1=5, w2=5, b=5, a1=3, a2=3)
    e.update(activation="ReLU", w1=1, w2=1, b=0, a1=2, a2=1)
    assert e.point.get_data()[1][0] == 3


@pytest.mark.parametrize("explorer", [GradientDescentExplorer, NeuronExplorer])
def test_widget_wiring_updates_the_picture(explorer):
    e = explorer()
    box = e.widget()
    image = box.children[-1]
    assert isinstance(image, W.Image) and e.widget() is box
    sliders = [c for row in box.children[:-2] for c in row.children if isinstance(c, W.FloatSlider)]
    before = bytes(image.value)
    sliders[-1].value = sliders[-1].min  # a start point or an input: both move the picture
    assert bytes(image.value) != before
    bundle = e._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "text/plain"} <= set(bundle)


def test_errors_in_callbacks_are_shown_in_the_widget():
    e = GradientDescentExplorer()
    box = e.widget()
    note = box.children[-2]
    dropdown = box.children[0].children[0]
    dropdown.options = [*dropdown.options, "saddle"]
    dropdown.value = "saddle"
    assert "ValueError" in note.value and "surface must be one of" in note.value
