"""Central differences, relative error, and the optimiser base on the lecture's loss surfaces."""

import re

import numpy as np
import pytest

from dlteach.gradcheck import numerical_gradient, rel_error
from dlteach.nn import Linear
from dlteach.optim import SGD, AdaGrad, ExponentialLR, StepLR, l1_penalty, l2_penalty
from dlteach.surfaces import SURFACES, descend


def test_numerical_gradient_of_a_known_function():
    w = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda: float(np.sum(w**3)), w)
    np.testing.assert_allclose(grad, 3 * w**2, rtol=1e-9)
    np.testing.assert_array_equal(w, [1.0, -2.0, 0.5])  # restored


def test_rel_error_detects_a_wrong_gradient():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.2]) > 0.04
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surface_gradients_are_right(name):
    s = SURFACES[name]
    for point in np.random.default_rng(0).uniform(-1.5, 1.5, (5, 2)):
        p = point.copy()
        numeric = numerical_gradient(lambda: float(s.loss(p[0], p[1])), p)
        assert rel_error(np.array(s.grad(*point)), numeric) < 1e-7
    for minimum in s.minima:
        np.testing.assert_allclose(s.grad(*minimum), 0.0, atol=1e-9)


def test_plain_descent_follows_the_update_rule():
    path, losses, diverged = descend(SURFACES["bowl"], (2.0, -1.0), lr=0.1, steps=3)
    # θ ← θ − η∇L with ∇L = 2θ shrinks θ by (1 − 2η) = 0.8 each step
    np.testing.assert_allclose(path, [[2, -1], [1.6, -0.8], [1.28, -0.64], [1.024, -0.512]])
    assert not diverged and np.all(np.diff(losses) < 0)


def test_too_large_a_learning_rate_diverges_without_warnings():
    path, losses, diverged = descend(SURFACES["bowl"], (1.0, 1.0), lr=100, steps=50)
    assert diverged and len(path) < 51


def test_momentum_and_adagrad_reach_the_valley_minimum():
    valley = SURFACES["valley"]
    plain = descend(valley, (-4.0, 2.0), lr=0.2, steps=100)[1][-1]
    momentum = descend(valley, (-4.0, 2.0), lr=0.2, steps=100, method="momentum", momentum=0.7)[1][-1]
    adagrad = descend(valley, (-4.0, 2.0), lr=1.0, steps=100, method="AdaGrad")[1][-1]
    assert momentum < plain / 100 and adagrad < plain
    with pytest.raises(ValueError, match="method must be one of"):
        descend(valley, (0, 0), 0.1, 1, method="adam")


BAD_SETTINGS = [  # (make, setting, interval, values outside it)
    (lambda layer, v: SGD(layer, lr=v), "learning rate", "[0, inf)", [-0.1, np.inf, np.nan]),
    (lambda layer, v: AdaGrad(layer, lr=v), "learning rate", "[0, inf)", [-1e-3, -np.inf]),
    (lambda layer, v: SGD(layer, lr=0.1, momentum=v), "momentum", "[0, 1)", [1.0, -0.5, np.nan]),
    (lambda layer, v: SGD(layer, lr=0.1, weight_decay=v), "weight_decay", "[0, inf)", [-1.0, np.nan]),
    (lambda layer, v: AdaGrad(layer, weight_decay=v), "weight_decay", "[0, inf)", [-1e-4, np.inf]),
    (lambda layer, v: AdaGrad(layer, eps=v), "eps", "(0, inf)", [0.0, -1.0, np.nan]),
    (lambda layer, v: StepLR(SGD(layer, lr=0.1), 2, gamma=v), "gamma", "(0, inf)", [0.0, -0.5, np.inf]),
    (lambda layer, v: ExponentialLR(SGD(layer, lr=0.1), gamma=v), "gamma", "(0, inf)", [-1.0, np.nan]),
    (lambda layer, v: l1_penalty(layer, v), "lam", "[0, inf)", [-0.1]),
    (lambda layer, v: l2_penalty(layer, v), "lam", "[0, inf)", [np.nan]),
]


@pytest.mark.parametrize("make, setting, interval, values", BAD_SETTINGS,
                         ids=[f"{i}-{s[1]}" for i, s in enumerate(BAD_SETTINGS)])
def test_optimiser_settings_that_cannot_work_are_refused(make, setting, interval, values):
    layer = Linear(2, 2, seed=0)
    layer.backward(layer.forward(np.ones((1, 2))))  # gradients, for the penalties
    for value in values:
        with pytest.raises(ValueError, match=rf"{setting}.* must be a number in {re.escape(interval)}, got {value}"):
            make(layer, value)
    for value in ("0.1", None, True, 1j):
        with pytest.raises(TypeError, match=rf"{setting}.* must be a number, got {type(value).__name__}"):
            make(layer, value)


def test_optimiser_accepts_a_zero_learning_rate_and_needs_gradients():
    layer = Linear(2, 2, seed=0)
    before = layer.params["weight"].copy()
    layer.backward(layer.forward(np.ones((1, 2))))
    SGD(layer, lr=0).step()  # harmless: nothing moves
    np.testing.assert_array_equal(layer.params["weight"], before)
    with pytest.raises(RuntimeError, match="call backward"):
        AdaGrad(Linear(2, 2, seed=0), lr=0.1).step()
