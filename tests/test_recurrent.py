"""RNN, LSTM and their cells against PyTorch and central differences; bad input; the memory cell; clipping;
sequence data."""

import numpy as np
import pytest
import torch

from dlteach.data import adding_problem, memory_task, next_item_sequences
from dlteach.gradcheck import check_module, numerical_gradient, rel_error
from dlteach.models import (LECTURE_EXAMPLE, SequenceClassifier, lstm_cell_trace, lstm_memory_cell,
                            memory_cell_trace)
from dlteach.nn import LSTM, RNN, LSTMCell, RNNCell, SoftmaxCrossEntropy
from dlteach.optim import AdaGrad, clip_grad_norm
from dlteach.torch_ref import copy_to_torch, from_torch_names, grads_of, torch_recurrent
from dlteach.train import accuracy, fit

SIZES = [(1, 1, 1, 1), (5, 3, 4, 6), (12, 2, 3, 5), (7, 8, 2, 3)]  # (T, N, I, H)
LAYERS = [(RNN, {"nonlinearity": "tanh"}), (RNN, {"nonlinearity": "relu"}), (LSTM, {})]


def _random_problem(cls, T, N, I, H, seed=0):
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal((T, N, I)), rng.standard_normal((T, N, H))
    n_state = 2 if cls is LSTM else 1
    state = [rng.standard_normal((N, H)) for _ in range(n_state)]
    grad_state = [rng.standard_normal((N, H)) for _ in range(n_state)]
    return x, g, state, grad_state


def _pack(cls, parts):
    return tuple(parts) if cls is LSTM else parts[0]


@pytest.mark.parametrize("cls, kwargs", LAYERS)
@pytest.mark.parametrize("T, N, I, H", SIZES)
def test_matches_torch_outputs_states_and_every_gradient(cls, kwargs, T, N, I, H):
    ours = cls(I, H, seed=T + N, **kwargs)
    theirs = torch_recurrent(ours)
    x, g, state, grad_state = _random_problem(cls, T, N, I, H)

    out, final = ours.forward(x, _pack(cls, state))
    dx = ours.backward(g, _pack(cls, grad_state))

    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s[None], requires_grad=True) for s in state]
    out_t, final_t = theirs(xt, _pack(cls, st))
    final_t = list(final_t) if cls is LSTM else [final_t]
    loss = (out_t * torch.tensor(g)).sum() + sum((f[0] * torch.tensor(gs)).sum() for f, gs in zip(final_t, grad_state))
    loss.backward()

    np.testing.assert_allclose(out, out_t.detach().numpy(), atol=1e-10)
    for ours_final, theirs_final in zip(final if cls is LSTM else [final], final_t):
        np.testing.assert_allclose(ours_final, theirs_final[0].detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    for ours_ds, s in zip(ours.grad_state_in if cls is LSTM else [ours.grad_state_in], st):
        np.testing.assert_allclose(ours_ds, s.grad[0].numpy(), atol=1e-10)
    torch_grads = from_torch_names(grads_of(theirs))
    assert set(torch_grads) == set(ours.grads) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    for key, value in torch_grads.items():
        np.testing.assert_allclose(ours.grads[key], value, atol=1e-10, err_msg=key)


def test_lstm_cell_matches_torch_lstm_cell():
    ours = LSTMCell(3, 4, seed=0)
    theirs = copy_to_torch(ours, torch.nn.LSTMCell(3, 4))  # the cell uses the same names
    rng = np.random.default_rng(1)
    x, h, c, gh, gc = (rng.standard_normal(s) for s in [(5, 3), (5, 4), (5, 4), (5, 4), (5, 4)])
    h1, c1 = ours.forward(x, (h, c))
    dx = ours.backward(gh, gc)
    xt, ht, ct = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    h1t, c1t = theirs(xt, (ht, ct))
    ((h1t * torch.tensor(gh)).sum() + (c1t * torch.tensor(gc)).sum()).backward()
    np.testing.assert_allclose(h1, h1t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(c1, c1t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.grad_state_in[0], ht.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.grad_state_in[1], ct.grad.numpy(), atol=1e-12)
    for key, value in grads_of(theirs).items():
        np.testing.assert_allclose(ours.grads[key], value, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_matches_torch_rnn_cell(nonlinearity):
    ours = RNNCell(3, 4, nonlinearity=nonlinearity, seed=0)
    theirs = torch_recurrent(ours)
    assert isinstance(theirs, torch.nn.RNNCell) and theirs.nonlinearity == nonlinearity
    rng = np.random.default_rng(1)
    x, h, gh = rng.standard_normal((5, 3)), rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    h1 = ours.forward(x, h)
    dx = ours.backward(gh)
    xt, ht = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    h1t = theirs(xt, ht)
    (h1t * torch.tensor(gh)).sum().backward()
    assert h1.shape == (5, 4) and (nonlinearity == "tanh" or (h1 == 0).any())  # relu cuts somewhere
    np.testing.assert_allclose(h1, h1t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.grad_state_in, ht.grad.numpy(), atol=1e-12)
    assert set(grads_of(theirs)) == set(ours.grads)
    for key, value in grads_of(theirs).items():
        np.testing.assert_allclose(ours.grads[key], value, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("cls, kwargs", [(RNNCell, {"nonlinearity": "tanh"}), (RNNCell, {"nonlinearity": "relu"}),
                                         (LSTMCell, {})])
def test_cell_gradients_match_central_differences(cls, kwargs):
    cell = cls(3, 4, seed=2, **kwargs)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3))
    state = [rng.standard_normal((5, 4)) for _ in range(2 if cls is LSTMCell else 1)]
    g = [rng.standard_normal((5, 4)) for _ in state]
    if kwargs.get("nonlinearity") == "relu":
        cell.params["bias_ih"] += 0.5  # keep pre-activations away from the kink at 0

    def loss():
        out = cell.forward(x, tuple(state) if cls is LSTMCell else state[0])
        return float(sum(np.sum(o * gi) for o, gi in zip(out if cls is LSTMCell else (out,), g)))

    loss()
    dx = cell.backward(*g)
    analytic = {k: v.copy() for k, v in cell.grads.items()}
    d_state = cell.grad_state_in if cls is LSTMCell else (cell.grad_state_in,)
    assert rel_error(dx, numerical_gradient(loss, x)) <= 1e-7
    for key in cell.params:
        assert rel_error(analytic[key], numerical_gradient(loss, cell.params[key])) <= 1e-7, key
    for ds, s in zip(d_state, state):
        assert rel_error(ds, numerical_gradient(loss, s)) <= 1e-7


def test_rnn_cell_stepping_equals_the_whole_sequence():
    seq, cell = RNN(3, 4, nonlinearity="relu", seed=2), RNNCell(3, 4, nonlinearity="relu", seed=9)
    cell.load_state_dict(seq.state_dict())
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    outputs, h_T = seq.forward(x)
    h = None
    for t in range(6):
        h = cell.forward(x[t], h)
        np.testing.assert_allclose(h, outputs[t], atol=1e-15)
    np.testing.assert_allclose(h, h_T, atol=1e-15)
    assert repr(cell) == "RNNCell(3, 4, nonlinearity='relu')"


def test_torch_recurrent_round_trip_and_bad_type():
    ours = LSTM(3, 4, seed=0)
    theirs = torch_recurrent(ours)
    assert isinstance(theirs, torch.nn.LSTM) and theirs.weight_ih_l0.shape == (16, 3)
    back = LSTM(3, 4, seed=1)
    back.load_state_dict(from_torch_names(theirs.state_dict()))
    for key in ours.params:
        np.testing.assert_array_equal(back.params[key], ours.params[key])
    with pytest.raises(TypeError, match="RNN, LSTM, RNNCell or LSTMCell, got SequenceClassifier"):
        torch_recurrent(SequenceClassifier("rnn", 2, 3, 2))


@pytest.mark.parametrize("cls, kwargs", LAYERS)
def test_gradients_match_central_differences(cls, kwargs):
    """BPTT against (L(w + h) − L(w − h)) / 2h for x, the initial state and every weight."""
    T, N, I, H = 4, 2, 3, 3
    layer = cls(I, H, seed=3, **kwargs)
    x, g, state, grad_state = _random_problem(cls, T, N, I, H, seed=4)
    if kwargs.get("nonlinearity") == "relu":
        layer.params["bias_ih"] += 0.5  # keep pre-activations away from the kink at 0

    def loss():
        out, final = layer.forward(x, _pack(cls, state))
        finals = final if cls is LSTM else (final,)
        return float(np.sum(out * g) + sum(np.sum(f * gs) for f, gs in zip(finals, grad_state)))

    loss()
    dx = layer.backward(g, _pack(cls, grad_state))
    analytic = {"x": dx, **{k: v.copy() for k, v in layer.grads.items()}}
    d_state = layer.grad_state_in if cls is LSTM else (layer.grad_state_in,)
    assert rel_error(analytic["x"], numerical_gradient(loss, x)) <= 1e-7
    for key in layer.params:
        assert rel_error(analytic[key], numerical_gradient(loss, layer.params[key])) <= 1e-7, key
    for ds, s in zip(d_state, state):
        assert rel_error(ds, numerical_gradient(loss, s)) <= 1e-7


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sequence_classifier_gradient_check(cell):
    model = SequenceClassifier(cell, 3, 4, 2, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 3))  # batch-major (N, T, F)
    errors = check_module(model, x)
    assert set(errors) == {"input", "rnn.weight_ih", "rnn.weight_hh", "rnn.bias_ih", "rnn.bias_hh",
                           "head.weight", "head.bias"}
    assert max(errors.values()) <= 1e-7, errors


def test_sequence_classifier_matches_torch():
    model = SequenceClassifier("lstm", 3, 4, 2, seed=0)
    x = np.random.default_rng(1).standard_normal((6, 5, 3))
    y = np.array([0, 1, 1, 0, 1, 0])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn.forward(model.forward(x), y)
    model.backward(loss_fn.backward())

    lstm, head = torch_recurrent(model.rnn), copy_to_torch(model.head, torch.nn.Linear(4, 2))
    out, _ = lstm(torch.tensor(x).transpose(0, 1))
    loss_t = torch.nn.functional.cross_entropy(head(out[-1]), torch.tensor(y))
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), abs=1e-12)
    for key, value in from_torch_names(grads_of(lstm)).items():
        np.testing.assert_allclose(model.rnn.grads[key], value, atol=1e-12)
    np.testing.assert_allclose(model.head.grads["weight"], head.weight.grad.numpy(), atol=1e-12)


def test_parameters_have_torch_shapes_and_init_bounds():
    for layer, gates in ((RNN(5, 7, seed=0), 1), (LSTM(5, 7, seed=0), 4), (RNNCell(5, 7, seed=0), 1),
                         (LSTMCell(5, 7, seed=0), 4)):
        shapes = {k: v.shape for k, v in layer.params.items()}
        assert shapes == {"weight_ih": (gates * 7, 5), "weight_hh": (gates * 7, 7),
                          "bias_ih": (gates * 7,), "bias_hh": (gates * 7,)}
        bound = 1 / np.sqrt(7)
        for value in layer.params.values():
            assert value.dtype == np.float64 and np.abs(value).max() <= bound
            assert np.abs(value).max() > 0.8 * bound  # uniform over the whole interval
    a, b = LSTM(3, 4, seed=5), LSTM(3, 4, seed=5)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])


def test_float32_stays_float32():
    layer = LSTM(3, 4, seed=0).astype(np.float32)
    out, (h, c) = layer.forward(np.ones((2, 5, 3), dtype=np.float32))
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == h.dtype == c.dtype == dx.dtype == layer.grads["weight_hh"].dtype == np.float32


def test_wrong_shapes_raise_clear_errors():
    rnn, lstm, cell = RNN(4, 3), LSTM(4, 3), LSTMCell(4, 3)
    with pytest.raises(ValueError, match=r"RNN expected input of shape \(T, N, 4\).*got \(5, 4\)"):
        rnn.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"LSTM expected input of shape \(T, N, 4\).*got \(5, 2, 3\)"):
        lstm.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"RNN expected input of shape \(T, N, 4\) with T ≥ 1, got \(0, 2, 4\)"):
        rnn.forward(np.zeros((0, 2, 4)))
    with pytest.raises(ValueError, match=r"RNN state expected input of shape \(N, H\) = \(2, 3\), got \(1, 2, 3\)"):
        rnn.forward(np.zeros((5, 2, 4)), np.zeros((1, 2, 3)))
    with pytest.raises(TypeError, match=r"state must be a tuple \(h, c\)"):
        lstm.forward(np.zeros((5, 2, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LSTM state c expected"):
        lstm.forward(np.zeros((5, 2, 4)), (np.zeros((2, 3)), np.zeros((2, 4))))
    with pytest.raises(RuntimeError, match="before forward"):
        RNN(4, 3).backward(np.zeros((5, 2, 3)))
    rnn.forward(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match=r"RNN backward expected a gradient of shape \(5, 2, 3\) "
                                         r"\(the shape of its output\), got \(2, 3\)"):
        rnn.backward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LSTMCell expected input of shape \(N, 4\), got \(5, 2, 4\)"):
        cell.forward(np.zeros((5, 2, 4)))
    with pytest.raises(TypeError, match="numeric numpy array"):
        rnn.forward("abc")
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        RNN(4, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        LSTM(4, 0)
    with pytest.raises(ValueError, match=r"SequenceClassifier expected input of shape \(N, T, 4\)"):
        SequenceClassifier("lstm", 4, 3, 2).forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="cell must be 'rnn' or 'lstm'"):
        SequenceClassifier("gru", 4, 3, 2)


def test_backward_before_forward_and_wrong_gradients_are_refused():
    for layer in (RNN(4, 3), LSTM(4, 3), RNNCell(4, 3), LSTMCell(4, 3)):
        name = type(layer).__name__
        with pytest.raises(RuntimeError, match=f"{name}.backward called before forward: call forward first"):
            layer.backward(np.zeros((2, 3)))
    x, good = np.zeros((5, 2, 4)), np.zeros((2, 3))
    rnn, lstm = RNN(4, 3), LSTM(4, 3)
    rnn.forward(x)
    lstm.forward(x)
    for call, match in [
        (lambda: rnn.backward(np.zeros((5, 2, 4))), r"RNN backward expected a gradient of shape \(5, 2, 3\)"),
        (lambda: rnn.backward(None, np.zeros(3)), r"RNN state backward expected a gradient of shape \(2, 3\)"),
        (lambda: lstm.backward(np.zeros((1, 2, 3))), r"LSTM backward expected a gradient of shape \(5, 2, 3\)"),
        (lambda: lstm.backward(None, (good, np.zeros((3, 2)))), r"LSTM state c backward expected .* \(2, 3\)"),
        (lambda: lstm.backward(None, (np.zeros((2, 1)), None)), r"LSTM state h backward expected .* \(2, 3\)"),
    ]:
        with pytest.raises(ValueError, match=match):
            call()
    with pytest.raises(TypeError, match="LSTM state h backward expected a numeric numpy array, got str"):
        lstm.backward(None, ("abc", None))
    with pytest.raises(TypeError, match=r"grad_state must be a tuple \(dh, dc\)"):
        lstm.backward(None, good)
    cell = RNNCell(4, 3)
    cell.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"RNNCell state backward expected a gradient of shape \(2, 3\)"):
        cell.backward(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"RNNCell expected input of shape \(N, 4\), got \(5, 2, 4\)"):
        cell.forward(x)


def test_a_refused_forward_keeps_what_the_last_forward_kept():
    lstm = LSTM(4, 3, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 2, 4))
    lstm.forward(x)
    with pytest.raises(ValueError, match="LSTM state c expected"):
        lstm.forward(np.zeros((7, 6, 4)), (np.zeros((6, 3)), np.zeros((2, 3))))
    assert lstm.backward(np.ones((5, 2, 3))).shape == (5, 2, 4)


@pytest.mark.parametrize("cls", [RNN, LSTM, RNNCell, LSTMCell])
def test_an_empty_batch_flows_forward_and_backward(cls):
    layer = cls(4, 3, seed=0)
    step = cls in (RNNCell, LSTMCell)
    x = np.zeros((0, 4) if step else (5, 0, 4))
    out = layer.forward(x)
    if step:
        states = out if cls is LSTMCell else (out,)
        assert all(s.shape == (0, 3) for s in states)
        dx = layer.backward(*states)
    else:
        outputs, final = out
        states = final if cls is LSTM else (final,)
        assert outputs.shape == (5, 0, 3) and all(s.shape == (0, 3) for s in states)
        dx = layer.backward(np.ones_like(outputs), tuple(states) if cls is LSTM else final)
        assert layer.dh_norms.shape == (5,) and not layer.dh_norms.any()
    assert dx.shape == x.shape
    d_state = layer.grad_state_in if cls in (LSTM, LSTMCell) else (layer.grad_state_in,)
    assert all(d.shape == (0, 3) for d in d_state)
    assert set(layer.grads) == set(layer.params)
    for key, value in layer.params.items():
        assert layer.grads[key].shape == value.shape and not layer.grads[key].any(), key


def test_empty_batch_in_the_sequence_classifier_and_sizes_refused():
    model = SequenceClassifier("lstm", 4, 3, 2, seed=0)
    assert model.forward(np.zeros((0, 5, 4))).shape == (0, 2)
    assert model.backward(np.zeros((0, 2))).shape == (0, 5, 4)
    with pytest.raises(ValueError, match=r"\(N, T, 4\) \(batch-major\) with T ≥ 1, got \(3, 0, 4\)"):
        model.forward(np.zeros((3, 0, 4)))
    with pytest.raises(ValueError, match=r"LSTM expected input of shape \(T, N, 4\) with T ≥ 1, got \(0, 2, 4\)"):
        LSTM(4, 3).forward(np.zeros((0, 2, 4)))
    for make, bad in [(RNN, (0, 3)), (LSTM, (4, -1)), (RNNCell, (True, 3)), (LSTMCell, (4, 2.5)),
                      (RNNCell, (4, np.int64(0)))]:
        with pytest.raises(ValueError, match="must be a positive integer"):
            make(*bad)


def test_only_the_final_state_gradient():
    """backward(None, grad_state) equals backward with the gradient put on the last output."""
    layer = RNN(2, 3, seed=0)
    x = np.random.default_rng(0).standard_normal((6, 4, 2))
    g_last = np.random.default_rng(1).standard_normal((4, 3))
    layer.forward(x)
    dx_state = layer.backward(None, g_last)
    grads_state = {k: v.copy() for k, v in layer.grads.items()}
    g_out = np.zeros((6, 4, 3))
    g_out[-1] = g_last
    np.testing.assert_allclose(layer.backward(g_out), dx_state, atol=1e-15)
    for key, value in grads_state.items():
        np.testing.assert_allclose(layer.grads[key], value, atol=1e-15)


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_dh_norms_shrink_or_grow_geometrically_with_the_weight_scale(scale):
    """A ReLU RNN with W_hh = s·I and positive activity backpropagates δ_{t−1} = s δ_t exactly."""
    T, H = 10, 3
    layer = RNN(2, H, nonlinearity="relu", seed=0)
    layer.params["weight_ih"][...] = 1.0
    layer.params["weight_hh"][...] = scale * np.eye(H)
    layer.params["bias_ih"][...] = layer.params["bias_hh"][...] = 0.0
    layer.forward(np.ones((T, 2, 2)))
    layer.backward(None, np.ones((2, H)))  # the loss reads only h_T
    expected = np.sqrt(2 * H) * scale ** np.arange(T - 1, -1, -1)
    np.testing.assert_allclose(layer.dh_norms, expected, rtol=1e-12)


def test_tanh_rnn_gradients_vanish_for_small_weights_and_lstm_cell_carries_them():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 4, 3))
    rnn = RNN(3, 8, seed=0)
    norms = {}
    for scale in (0.2, 3.0):
        rnn.params["weight_hh"] = scale * rng.standard_normal((8, 8)) / np.sqrt(8)
        rnn.forward(x)
        rnn.backward(None, np.ones((4, 8)))
        norms[scale] = rnn.dh_norms
    assert norms[0.2][0] < 1e-12 * norms[0.2][-1]  # vanished over 30 steps
    assert norms[3.0][0] > 1e3 * norms[0.2][0]

    # With the forget gate saturated at 1 and no recurrent weights, ∂L/∂c_t is the same at
    # every step: the error flows back along the cell unchanged (the constant error carousel).
    lstm = LSTM(3, 8, seed=0)
    lstm.params["weight_hh"][...] = 0.0
    lstm.params["bias_hh"][8:16] = 40.0
    lstm.forward(x)
    dc_T = rng.standard_normal((4, 8))
    lstm.backward(None, (None, dc_T))
    np.testing.assert_allclose(lstm.dc_norms, np.linalg.norm(dc_T), rtol=1e-12)


def test_lstm_cell_gates_by_name_and_stepping_equals_the_whole_sequence():
    seq, cell = LSTM(3, 4, seed=2), LSTMCell(3, 4, seed=9)
    cell.load_state_dict(seq.state_dict())
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    outputs, (h_T, c_T) = seq.forward(x)
    state = None
    for t in range(6):
        state = cell.forward(x[t], state)
        np.testing.assert_allclose(state[0], outputs[t], atol=1e-15)
        for name in ("input", "forget", "cell", "output"):
            np.testing.assert_allclose(cell.gates[name], seq.gates[name][t], atol=1e-15)
    np.testing.assert_allclose(state[1], c_T, atol=1e-15)
    np.testing.assert_allclose(seq.cells[-1], c_T, atol=1e-15)
    # the forget gate by hand: σ(x W_fᵀ + b_f + h W_fᵀ + b_f) with rows H … 2H − 1
    p, h_prev = seq.params, outputs[-2]
    z_f = x[-1] @ p["weight_ih"][4:8].T + p["bias_ih"][4:8] + h_prev @ p["weight_hh"][4:8].T + p["bias_hh"][4:8]
    np.testing.assert_allclose(cell.gates["forget"], 1 / (1 + np.exp(-z_f)), atol=1e-15)
    assert all(g.shape == (2, 4) for g in cell.gates.values())


def test_memory_cell_reproduces_the_lecture_example():
    trace = memory_cell_trace(**LECTURE_EXAMPLE)
    np.testing.assert_array_equal(trace.cell, [1.7, 1.7, 1.7, 0.0])  # written, kept, kept, forgotten
    np.testing.assert_array_equal(trace.output, [0.0, 0.0, 1.7, 0.0])  # read out at the third step
    assert trace.rows()[2] == {"t": 2, "inputs": 0.0, "write": 0.0, "keep": 1.0, "read": 1.0,
                               "cell": 1.7, "output": 1.7}
    lines = str(trace).splitlines()
    assert lines[0].split() == ["t", "inputs", "write", "keep", "read", "cell", "output"]
    assert lines[3].split() == ["2", "0", "0", "1", "1", "1.7", "1.7"]
    # what is not written never gets in; what is not kept is lost
    distract = memory_cell_trace([1.7, 5.0, -3.0], write=[1, 0, 1], keep=[1, 1, 0], read=[1, 1, 1])
    np.testing.assert_array_equal(distract.output, [1.7, 1.7, -3.0])
    half = memory_cell_trace([2.0, 0.0, 0.0], write=[1, 0, 0], keep=[0, 0.5, 0.5], read=[1, 1, 1])
    np.testing.assert_allclose(half.output, [2.0, 1.0, 0.5])


def test_a_saturated_lstm_cell_is_the_memory_cell():
    exact = memory_cell_trace(**LECTURE_EXAMPLE)
    lstm = lstm_cell_trace(**LECTURE_EXAMPLE)
    for name in ("write", "keep", "read"):
        np.testing.assert_allclose(getattr(lstm, name), getattr(exact, name), atol=1e-8)
    np.testing.assert_allclose(lstm.cell, exact.cell, atol=1e-5)
    np.testing.assert_allclose(lstm.output, exact.output, atol=1e-5)
    assert str(lstm) == str(exact)  # the same table to 4 decimals
    soft = lstm_cell_trace(**LECTURE_EXAMPLE, sharpness=1.0)
    assert abs(soft.output[2] - 1.7) > 0.5  # gates that are not saturated leak
    assert isinstance(lstm_memory_cell(), LSTMCell)


def test_memory_cell_rejects_bad_signals():
    with pytest.raises(ValueError, match="keep must be a non-empty 1-D sequence as long as inputs"):
        memory_cell_trace([1.7, 0.0], write=[1, 0], keep=[1], read=[0, 1])
    with pytest.raises(ValueError, match=r"the write gate must lie in \[0, 1\], got values 0..2"):
        memory_cell_trace([1.7, 0.0], write=[2, 0], keep=[1, 1], read=[0, 1])
    # NaN compares False with everything, so a.min() < 0 or a.max() > 1 would let it through
    with pytest.raises(ValueError, match=r"the keep gate must not hold NaN or infinite values, got \[1.0, nan\]"):
        memory_cell_trace([1.7, 0.0], write=[1, 0], keep=[1, np.nan], read=[0, 1])
    with pytest.raises(ValueError, match="the read gate must not hold NaN"):
        lstm_cell_trace([1.7, 0.0], write=[1, 0], keep=[1, 1], read=[np.nan, np.nan])
    with pytest.raises(ValueError, match=r"inputs must not hold NaN or infinite values, got \[inf, 0.0\]"):
        memory_cell_trace([np.inf, 0.0], write=[1, 0], keep=[1, 1], read=[0, 1])


def _torch_clip(grads, max_norm):
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return float(norm), [p.grad.numpy() for p in params]


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e3])
def test_clip_grad_norm_matches_torch(max_norm):
    model = SequenceClassifier("lstm", 3, 4, 2, seed=0)
    x = np.random.default_rng(0).standard_normal((5, 6, 3))
    model.forward(x)
    model.backward(np.random.default_rng(1).standard_normal((5, 2)) * 10)
    before = [owner.grads[key].copy() for _, owner, key in model.named_parameters()]
    norm = clip_grad_norm(model, max_norm)
    torch_norm, torch_grads = _torch_clip(before, max_norm)
    assert norm == pytest.approx(torch_norm, rel=1e-12)
    for (_, owner, key), expected in zip(model.named_parameters(), torch_grads):
        np.testing.assert_allclose(owner.grads[key], expected, rtol=1e-12)
    after = np.sqrt(sum(np.sum(owner.grads[key] ** 2) for _, owner, key in model.named_parameters()))
    assert after == pytest.approx(min(norm, max_norm), rel=1e-5)


def test_clip_grad_norm_errors():
    with pytest.raises(RuntimeError, match="call backward"):
        clip_grad_norm(RNN(2, 3), 1.0)
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_grad_norm(RNN(2, 3), 0.0)


def test_next_item_pattern_targets_are_the_inputs_one_step_ahead():
    X, Y = next_item_sequences(50, 9, pattern=(0, 1, 2, 1), seed=0)
    assert X.shape == (9, 50, 3) and X.dtype == np.float64 and Y.shape == (9, 50) and Y.dtype == np.int64
    symbols = X.argmax(axis=2)
    np.testing.assert_array_equal(symbols[1:], Y[:-1])  # the target sequence is the input advanced by one
    np.testing.assert_array_equal(X.sum(axis=2), 1.0)  # one-hot
    successor = {(0, 1): 2, (1, 2): 1, (2, 1): 0, (1, 0): 1}  # the pattern 0 1 2 1 0 1 2 1 …
    for prev, cur, nxt in zip(symbols[:-1].ravel(), symbols[1:].ravel(), Y[1:].ravel()):
        assert successor[(prev, cur)] == nxt
    np.testing.assert_array_equal(next_item_sequences(50, 9, pattern=(0, 1, 2, 1), seed=0)[0], X)
    assert not np.array_equal(next_item_sequences(50, 9, pattern=(0, 1, 2, 1), seed=1)[0], X)
    noisy, _ = next_item_sequences(2000, 9, pattern=(0, 1, 2, 1), noise=0.5, seed=0)
    clean_next = np.array([[successor.get((p, c), -1) for p, c in zip(row_p, row_c)]
                           for row_p, row_c in zip(noisy.argmax(2)[:-2], noisy.argmax(2)[1:-1])])
    assert 0.2 < np.mean(noisy.argmax(2)[2:] != clean_next) < 0.9  # about half the items are replaced


def test_next_item_sine():
    X, Y = next_item_sequences(4, 24, kind="sine", period=12.0, seed=0)
    assert X.shape == Y.shape == (24, 4, 1)
    np.testing.assert_array_equal(X[1:], Y[:-1])
    np.testing.assert_allclose(X[12:], X[:-12], atol=1e-12)  # periodic with period 12
    assert np.abs(X).max() <= 1.0
    noisy, _ = next_item_sequences(4, 24, kind="sine", noise=0.1, seed=0)
    assert 0.05 < np.std(noisy - X) < 0.15  # same phases, plus noise of std 0.1
    for bad, match in [({"kind": "square"}, "kind must be 'pattern' or 'sine'"),
                       ({"pattern": (0,)}, "at least 2 symbols"), ({"noise": 2.0}, "probability"),
                       ({"noise": -1.0}, "noise must be ≥ 0")]:
        with pytest.raises(ValueError, match=match):
            next_item_sequences(4, 5, **bad)
    with pytest.raises(ValueError, match="length must be an integer ≥ 1, got 0"):
        next_item_sequences(4, 0)


def test_memory_task_layout():
    X, y = memory_task(400, delay=6, n_symbols=4, seed=0)
    assert X.shape == (7, 400, 6) and y.shape == (400,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [100, 100, 100, 100])  # balanced
    np.testing.assert_array_equal(X[0, :, :4].argmax(axis=1), y)  # the symbol, with the store flag
    np.testing.assert_array_equal(X[:, :, 4], np.eye(7)[0][:, None].repeat(400, 1))
    np.testing.assert_array_equal(X[:, :, 5], np.eye(7)[6][:, None].repeat(400, 1))  # recall at t = delay
    np.testing.assert_array_equal(X[1:6, :, :4].sum(axis=2), 1.0)  # one distractor per step
    np.testing.assert_array_equal(X[6, :, :4], 0.0)
    # distractors are random symbols, unrelated to the one to recall
    assert 0.15 < np.mean(X[1:6, :, :4].argmax(axis=2) == y) < 0.35
    blank, _ = memory_task(10, delay=6, distractors=False, seed=0)
    np.testing.assert_array_equal(blank[1:6], 0.0)
    np.testing.assert_array_equal(memory_task(400, 6, seed=0)[0], X)
    with pytest.raises(ValueError, match="delay must be an integer ≥ 1"):
        memory_task(10, 0)
    with pytest.raises(ValueError, match="n_symbols must be an integer ≥ 2"):
        memory_task(10, 3, n_symbols=1)


def test_adding_problem():
    X, y = adding_problem(300, 20, seed=0)
    assert X.shape == (20, 300, 2) and y.shape == (300, 1)
    np.testing.assert_array_equal(X[:, :, 1].sum(axis=0), 2.0)  # two marks per sequence
    assert (X[:10, :, 1].sum(axis=0) == 1).all() and (X[10:, :, 1].sum(axis=0) == 1).all()  # one per half
    np.testing.assert_allclose(y[:, 0], (X[:, :, 0] * X[:, :, 1]).sum(axis=0))
    assert 0.0 <= X[:, :, 0].min() and X[:, :, 0].max() < 1.0
    _, y_many = adding_problem(20000, 20, seed=1)
    assert np.mean((y_many - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.01)  # guessing 1 always
    np.testing.assert_array_equal(adding_problem(300, 20, seed=0)[0], X)
    with pytest.raises(ValueError, match="length must be an integer ≥ 2"):
        adding_problem(10, 1)


def test_gate_biases_and_a_short_memory_task_is_learned():
    model = SequenceClassifier("lstm", 6, 5, 4, forget_bias=5.0, input_bias=-2.0, seed=0)
    plain = SequenceClassifier("lstm", 6, 5, 4, seed=0)
    np.testing.assert_array_equal(model.rnn.params["bias_hh"][:5], plain.rnn.params["bias_hh"][:5] - 2.0)
    np.testing.assert_array_equal(model.rnn.params["bias_hh"][5:10], plain.rnn.params["bias_hh"][5:10] + 5.0)
    np.testing.assert_array_equal(model.rnn.params["bias_hh"][10:], plain.rnn.params["bias_hh"][10:])
    with pytest.raises(ValueError, match="the RNN has none"):
        SequenceClassifier("rnn", 6, 5, 4, forget_bias=1.0)

    X, y = memory_task(200, delay=3, seed=0)
    X_test, y_test = memory_task(200, delay=3, seed=1)
    X, X_test = X.swapaxes(0, 1), X_test.swapaxes(0, 1)
    history = fit(model, SoftmaxCrossEntropy(), AdaGrad(model, lr=0.1), X, y, epochs=15, progress=False)
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]
    assert accuracy(model, X_test, y_test) == 1.0


def test_the_lstm_benchmark_runs_both_sides_on_one_thread_and_restores_torch():
    from dlteach.bench import recurrent

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        (row,) = recurrent.rows()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert row.goal == "≤ 1.5×" and "1 thread" in row.what and "vs torch.nn.LSTM" in row.measured
