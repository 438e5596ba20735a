"""The layer contract, activations and losses: worked examples, gradient checks, PyTorch parity."""

import numpy as np
import pytest
import torch

from dlteach.gradcheck import check_module, numerical_gradient, rel_error
from dlteach.nn import Linear, MSELoss, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh
from dlteach.nn import functional as F
from dlteach.models.mlp import lecture_network

@pytest.mark.parametrize("x, hidden1, hidden2, output", [
    ([1, -1], [0.98, 0.12], [0.86, 0.11], [0.62, 0.83]),
    ([0, 0], [0.73, 0.50], [0.72, 0.12], [0.51, 0.85]),
])
def test_lecture_network_reproduces_every_layer(x, hidden1, hidden2, output):
    net = lecture_network()
    a = np.array([x], dtype=float)
    seen = []
    for layer in net.layers:
        a = layer.forward(a)
        if isinstance(layer, Sigmoid):
            seen.append(a[0])
    for got, want in zip(seen, [hidden1, hidden2, output]):
        np.testing.assert_allclose(np.round(got, 2), want)
    np.testing.assert_allclose(net.forward(np.array([x], float)), seen[-1][None])


def test_softmax_of_lecture_example():
    z = np.array([3.0, 1.0, -3.0])
    np.testing.assert_allclose(np.round(np.exp(z), 2), [20.09, 2.72, 0.05])
    y = F.softmax(z)
    np.testing.assert_allclose(np.round(y, 2), [0.88, 0.12, 0.0])
    assert y.sum() == pytest.approx(1.0)


def test_activations_stay_finite_at_extremes():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    s = F.sigmoid(z)
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(F.softmax(np.array([[1000.0, 0.0]])), [[1.0, 0.0]])
    assert np.isfinite(F.cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1])))
    np.testing.assert_allclose(F.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_functional_matches_torch():
    z = np.random.default_rng(0).standard_normal((5, 4)) * 5
    t = torch.from_numpy(z)
    np.testing.assert_allclose(F.sigmoid(z), torch.sigmoid(t).numpy(), atol=1e-15)
    np.testing.assert_allclose(F.tanh(z), torch.tanh(t).numpy(), atol=1e-15)
    np.testing.assert_allclose(F.softmax(z, axis=0), torch.softmax(t, 0).numpy(), atol=1e-15)
    np.testing.assert_allclose(F.log_softmax(z), torch.log_softmax(t, 1).numpy(), atol=1e-13)
    labels = np.array([0, 3, 1, 2, 3])
    assert F.cross_entropy(z, labels) == pytest.approx(
        torch.nn.functional.cross_entropy(t, torch.from_numpy(labels)).item(), abs=1e-12)
    probs = F.softmax(z[::-1].copy())
    assert F.cross_entropy(z, probs) == pytest.approx(
        torch.nn.functional.cross_entropy(t, torch.from_numpy(probs)).item(), abs=1e-12)
    y = z[:, :2]
    assert F.mse(y, y[::-1]) == pytest.approx(torch.nn.functional.mse_loss(t[:, :2], t.flip(0)[:, :2]).item())


@pytest.mark.parametrize("layer", [Linear(4, 3, seed=0), Sigmoid(), Tanh(), ReLU(),
                                   Sequential(Linear(4, 5, seed=1), Tanh(), Linear(5, 2, seed=2), Sigmoid())],
                         ids=["Linear", "Sigmoid", "Tanh", "ReLU", "Sequential"])
def test_gradient_check(layer):
    x = np.random.default_rng(3).standard_normal((6, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU's kink away from the difference quotient
    errors = check_module(layer, x)
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("loss, target", [
    (SoftmaxCrossEntropy(), np.array([0, 2, 1, 2])),
    (SoftmaxCrossEntropy(), np.random.default_rng(1).dirichlet(np.ones(3), 4)),
    (MSELoss(), np.random.default_rng(2).standard_normal((4, 3))),
])
def test_loss_gradients(loss, target):
    y = np.random.default_rng(0).standard_normal((4, 3))
    loss.forward(y, target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(y, target), y)
    assert rel_error(analytic, numeric) <= 1e-7


def test_linear_initialisation_like_torch():
    layer = Linear(100, 50, seed=0)
    bound = 1 / np.sqrt(100)
    assert layer.params["weight"].shape == (50, 100) and layer.params["bias"].shape == (50,)
    assert np.abs(layer.params["weight"]).max() <= bound and np.abs(layer.params["weight"]).max() > 0.9 * bound
    np.testing.assert_array_equal(Linear(100, 50, seed=0).params["weight"], layer.params["weight"])


def test_bad_input_names_expected_and_actual_shape():
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(N, 3\), got \(2, 4\)"):
        Linear(3, 2).forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\(N, 3\), got \(3,\)"):
        Linear(3, 2).forward(np.zeros(3))
    with pytest.raises(TypeError, match="numeric numpy array, got str"):
        Sigmoid().forward("x")
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="same shape"):
        MSELoss().forward(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="Module instances"):
        Sequential(Linear(2, 2), "relu")


def test_state_dict_round_trip_and_mismatch():
    a = Sequential(Linear(2, 3, seed=0), ReLU(), Linear(3, 1, seed=1))
    b = Sequential(Linear(2, 3, seed=5), ReLU(), Linear(3, 1, seed=6))
    b.load_state_dict(a.state_dict())
    x = np.ones((1, 2))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert a.num_parameters() == 2 * 3 + 3 + 3 + 1
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"0.weight": np.zeros((3, 2))})
    bad = a.state_dict()
    bad["0.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"0.weight: expected shape \(3, 2\), got \(2, 2\)"):
        b.load_state_dict(bad)


def test_astype_float32_and_train_eval_propagate():
    net = Sequential(Linear(2, 3, seed=0), Sigmoid()).astype(np.float32)
    assert net.forward(np.ones((1, 2), np.float32)).dtype == np.float32
    net.eval()
    assert not any(m.training for _, m in net.named_modules())
