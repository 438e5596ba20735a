"""The layer contract, activations and losses: worked examples, gradient checks, PyTorch parity."""

import re
import warnings

import numpy as np
import pytest
import torch

from dlteach.gradcheck import check_module, numerical_gradient, rel_error
from dlteach.models import MLP
from dlteach.models.mlp import lecture_network
from dlteach.nn import Dropout, Linear, MSELoss, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh
from dlteach.nn import functional as F

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


# -- all-or-nothing state loading (L1) -----------------------------------------------------
def test_load_state_dict_is_all_or_nothing():
    model = MLP([3, 4, 2], seed=0)
    before = model.state_dict()
    shifted = {k: v + 1 for k, v in before.items()}
    bad = [("2.weight", np.zeros((9, 9)), ValueError, r"2.weight: expected shape \(2, 4\), got \(9, 9\)"),
           ("2.bias", np.array(["a", "b"]), TypeError, "2.bias expected a numeric numpy array, got array of dtype <U1"),
           ("2.bias", "ab", TypeError, "2.bias expected a numeric numpy array, got str"),
           ("2.bias", np.array([1 + 2j, 0]), TypeError, "got array of dtype complex128"),
           ("2.bias", np.array([None, None]), TypeError, "got array of dtype object"),
           ("2.bias", np.array([0.0, np.nan]), ValueError, "2.bias: holds NaN or infinite values"),
           ("2.weight", np.full((2, 4), -np.inf), ValueError, "2.weight: holds NaN or infinite values")]
    for key, value, error, message in bad:  # the bad entry comes last, after three good ones
        with pytest.raises(error, match=message):
            model.load_state_dict({**shifted, key: value})
        for name, weights in model.state_dict().items():
            np.testing.assert_array_equal(weights, before[name], err_msg=f"{name} changed on a refused load")
    with pytest.raises(TypeError, match="expected a dict of arrays, got list"):
        model.load_state_dict(list(shifted.items()))
    misnamed = dict(before)
    misnamed["2.bais"] = misnamed.pop("2.bias")
    with pytest.raises(KeyError, match=r"missing \['2.bias'\], unexpected \['2.bais'\]"):
        model.load_state_dict(misnamed)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in shifted.items()})  # tensors load too
    for name, weights in model.state_dict().items():
        np.testing.assert_array_equal(weights, shifted[name])


# -- misuse of forward/backward, empty batches, sizes ------------------------------------------
FRESH = {"Linear": lambda: Linear(3, 2), "Sigmoid": Sigmoid, "Tanh": Tanh, "ReLU": ReLU,
         "Dropout": lambda: Dropout(0.5, seed=0), "MLP": lambda: MLP([3, 4, 2], seed=0),
         "SoftmaxCrossEntropy": SoftmaxCrossEntropy, "MSELoss": MSELoss}


@pytest.mark.parametrize("name", sorted(FRESH))
def test_backward_before_forward_says_to_call_forward_first(name):
    layer = FRESH[name]()
    with pytest.raises(RuntimeError, match=r"(\w+)\.backward called before forward: call forward first"):
        layer.backward() if "Loss" in name or "Entropy" in name else layer.backward(np.ones((2, 2)))


ELEMENTWISE = [Sigmoid(), Tanh(), ReLU(), Dropout(0.5, seed=0), Dropout(0.5, seed=0).eval()]


@pytest.mark.parametrize("layer", [Linear(4, 3, seed=0), *ELEMENTWISE],
                         ids=["Linear", "Sigmoid", "Tanh", "ReLU", "Dropout", "Dropout-eval"])
def test_a_gradient_of_the_wrong_shape_is_refused(layer):
    out = layer.forward(np.ones((5, 4)))
    name = type(layer).__name__
    for wrong in [(5,), (1, out.shape[1]), (5, out.shape[1] + 1), (5, out.shape[1], 1)]:  # (1, C) would broadcast
        with pytest.raises(ValueError, match=rf"{name} backward expected a gradient of shape "
                                             rf"{re.escape(str(out.shape))} \(the shape of its output\), "
                                             rf"got {re.escape(str(wrong))}"):
            layer.backward(np.ones(wrong))
    with pytest.raises(TypeError, match=f"{name} backward expected a numeric numpy array, got str"):
        layer.backward("1")
    assert layer.backward(np.ones(out.shape, dtype=int)).shape == (5, 4)


@pytest.mark.parametrize("layer, width", [
    (Linear(4, 3, seed=0), 3), (Sigmoid(), 4), (Tanh(), 4), (ReLU(), 4), (Dropout(0.3, seed=0), 4),
    (MLP([4, 5, 3], "relu", seed=0), 3), (Sequential(Linear(4, 6, seed=0), Dropout(0.5, seed=1), Tanh()), 6),
], ids=["Linear", "Sigmoid", "Tanh", "ReLU", "Dropout", "MLP", "Sequential"])
def test_an_empty_batch_flows_forward_and_backward(layer, width):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layer.forward(np.zeros((0, 4)))
        assert out.shape == (0, width)
        assert layer.backward(np.zeros((0, width))).shape == (0, 4)
    for name, owner, key in layer.named_parameters():
        assert owner.grads[key].shape == owner.params[key].shape and not owner.grads[key].any(), name


def test_losses_and_softmax_of_an_empty_batch_are_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for targets in (np.zeros(0, dtype=int), np.zeros((0, 3))):
            loss = SoftmaxCrossEntropy()
            assert loss.forward(np.zeros((0, 3)), targets) == 0.0 == F.cross_entropy(np.zeros((0, 3)), targets)
            assert loss.backward().shape == (0, 3)
        mse = MSELoss()
        assert mse.forward(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0 and mse.backward().shape == (0, 2)
        assert F.softmax(np.zeros(0)).shape == (0,) and F.softmax(np.zeros((3, 0))).shape == (3, 0)
        assert F.log_softmax(np.zeros((2, 0))).shape == (2, 0)
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\), got \(4, 0\)"):
        F.cross_entropy(np.zeros((4, 0)), np.zeros(4, dtype=int))


def test_logits_of_plus_minus_1e308_give_the_exact_loss_without_overflow_warnings():
    z = np.array([[1e308, -1e308], [-1e308, 1e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(F.softmax(z), [[1.0, 0.0], [0.0, 1.0]])
        np.testing.assert_array_equal(F.log_softmax(z), [[0.0, -np.inf], [-np.inf, 0.0]])
        loss = SoftmaxCrossEntropy()
        assert loss.forward(z, np.array([0, 1])) == 0.0  # the right class is certain: 0 · log 0 counts 0
        np.testing.assert_array_equal(loss.backward(), np.zeros((2, 2)))
        assert F.cross_entropy(z, np.array([1, 1])) == np.inf  # an impossible class costs infinitely much
        assert F.cross_entropy(z, np.array([[0.5, 0.5], [0.0, 1.0]])) == np.inf
        assert F.cross_entropy(np.float32(3e38) * np.sign(z, dtype=np.float32), np.array([0, 1])) == 0.0


def test_layer_sizes_must_be_positive_integers():
    for args, bad in [((0, 3), "in_features .* got 0"), ((-1, 3), "in_features .* got -1"),
                      ((2.5, 3), "in_features .* got 2.5"), ((3, True), "out_features .* got True"),
                      ((3, "2"), "out_features .* got '2'")]:
        with pytest.raises(ValueError, match=rf"{bad}"):
            Linear(*args)
    assert "must be a positive integer" in str(pytest.raises(ValueError, Linear, 0, 3).value)
    assert Linear(np.int64(3), 2, seed=0).params["weight"].shape == (2, 3)
