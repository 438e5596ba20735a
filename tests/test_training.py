"""MLP, the training loop, optimiser schedules and penalties, Dropout: gradient checks and torch parity."""

import math
import re

import numpy as np
import pytest
import torch

from dlteach.data import load_digits, xor
from dlteach.gradcheck import check_module
from dlteach.models import MLP
from dlteach.nn import MSELoss, SoftmaxCrossEntropy
from dlteach.optim import SGD
from dlteach.torch_ref import copy_to_torch, grads_of, torch_mlp
from dlteach.train import History, TrainingDiverged, accuracy, evaluate, fit, predict
from dlteach.widgets.base import ControlError


# -- MLP ---------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_mlp_matches_torch_output_and_every_gradient(activation):
    ours = MLP([4, 6, 5, 3], activation, seed=0)
    assert [name for name, _, _ in ours.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    theirs = copy_to_torch(ours, torch_mlp([4, 6, 5, 3], activation))
    x = np.random.default_rng(1).standard_normal((8, 4))
    labels = np.random.default_rng(2).integers(0, 3, 8)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(ours.forward(x), labels)
    dx = ours.backward(loss.backward())

    tx = torch.from_numpy(x).requires_grad_()
    tvalue = torch.nn.functional.cross_entropy(theirs(tx), torch.from_numpy(labels))
    tvalue.backward()
    assert value == pytest.approx(tvalue.item(), abs=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=1e-12)
    torch_grads = grads_of(theirs)
    assert set(torch_grads) == {name for name, _, _ in ours.named_parameters()}
    for name, owner, key in ours.named_parameters():
        np.testing.assert_allclose(owner.grads[key], torch_grads[name], atol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_mlp_gradient_check(activation):
    errors = check_module(MLP([3, 4, 2], activation, seed=0), np.random.default_rng(0).standard_normal((5, 3)))
    assert max(errors.values()) <= 1e-7, errors


def test_mlp_is_seeded_and_rejects_bad_sizes():
    a, b = MLP([2, 3, 1], seed=5), MLP([2, 3, 1], seed=5)
    for (name, wa), wb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(wa, wb)
    assert "MLP(" in repr(a) and "Linear(2, 3)" in repr(a)
    with pytest.raises(ValueError, match="at least two positive integers"):
        MLP([5])
    for sizes, wrong in [([4, True, 3], r"sizes\[1\] must be a positive integer, got True"),
                         ([4, 2.5, 3], r"sizes\[1\] must be a positive integer, got 2.5"),
                         ([0, 3], r"sizes\[0\] must be a positive integer, got 0")]:
        with pytest.raises(ValueError, match=wrong):
            MLP(sizes)
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP([2, 2], activation="softplus")


# -- the training loop -------------------------------------------------------
def _xor_setup(seed=0):
    X, y = xor(n=100, seed=0)
    model = MLP([2, 8, 2], "tanh", seed=seed)
    return model, SoftmaxCrossEntropy(), SGD(model, lr=0.5), X, y


@pytest.mark.parametrize("batch_size, updates", [(1, 100), (7, 15), (32, 4), (100, 1), (500, 1)])
def test_updates_per_epoch_is_ceil_n_over_b(batch_size, updates):
    model, loss, opt, X, y = _xor_setup()
    h = fit(model, loss, opt, X, y, epochs=3, batch_size=batch_size, progress=False)
    assert h.updates_per_epoch == updates == math.ceil(100 / min(batch_size, 100))
    assert len(h.update_loss) == len(h.update_time) == 3 * updates
    assert len(h.epoch_loss) == len(h.epoch_time) == 3 and h.val_loss == [] and h.best_epoch is None
    assert np.all(np.diff(h.update_time) >= 0) and h.epoch_time[-1] >= h.update_time[-1]


def test_full_batch_epoch_loss_is_the_loss_before_the_update():
    model, loss, opt, X, y = _xor_setup()
    before = evaluate(model, loss, X, y)[0]
    h = fit(model, loss, opt, X, y, epochs=1, batch_size=len(X), progress=False)
    assert h.epoch_loss == pytest.approx([before], abs=1e-12) and h.update_loss == h.epoch_loss


def test_shuffling_is_reproducible_by_seed_and_visits_every_example():
    seen = []

    class Recorder(MLP):
        def forward(self, x):
            if self.training:
                seen.append(x.copy())
            return super().forward(x)

    X = np.arange(10, dtype=float)[:, None] * np.ones((1, 2))
    y = np.arange(10) % 2
    runs = {}
    for seed in (0, 0, 1):
        seen.clear()
        model = Recorder([2, 3, 2], seed=0)
        h = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=0.1), X, y, epochs=2, batch_size=4, seed=seed,
                progress=False)
        order = [int(row[0]) for batch in seen for row in batch]
        assert [len(b) for b in seen] == [4, 4, 2, 4, 4, 2]
        assert sorted(order[:10]) == sorted(order[10:]) == list(range(10))  # each epoch sees everything once
        assert order[:10] != order[10:]  # and reshuffles
        runs.setdefault(seed, []).append((order, h.update_loss))
    assert runs[0][0] == runs[0][1]
    assert runs[0][0][0] != runs[1][0][0]


def test_fit_learns_and_helpers_agree():
    model, loss, opt, X, y = _xor_setup()
    h = fit(model, loss, opt, X, y, epochs=60, batch_size=10, progress=False)
    assert h.epoch_loss[-1] < h.epoch_loss[0] / 2
    value, acc = evaluate(model, loss, X, y)
    assert acc == accuracy(model, X, y) == np.mean(predict(model, X) == y) >= 0.9
    # One-hot targets (as for MSELoss) count the same; regression targets have no accuracy.
    onehot = np.eye(2)[y]
    assert accuracy(model, X, onehot) == acc
    assert math.isnan(evaluate(MLP([2, 1], seed=0), MSELoss(), X, y[:, None].astype(float))[1])
    with pytest.raises(ValueError, match="accuracy needs class labels"):
        accuracy(model, X, y.astype(float))


def test_early_stopping_restores_the_best_weights():
    d = load_digits()
    model = MLP([64, 32, 10], "relu", seed=0)
    seen_states = []

    def remember(history):
        seen_states.append(model.state_dict())

    h = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=0.5, momentum=0.9), d.X_train[:300], d.y_train[:300],
            epochs=200, batch_size=16, validation=(d.X_val, d.y_val), patience=3, progress=False, callback=remember)
    assert h.stopped_early and len(h.val_loss) < 200
    assert h.best_epoch == int(np.argmin(h.val_loss)) and h.best_epoch == len(h.val_loss) - 1 - 3
    assert len(h.val_accuracy) == len(h.val_loss) == len(h.epoch_loss)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, seen_states[h.best_epoch][name])
    assert evaluate(model, SoftmaxCrossEntropy(), d.X_val, d.y_val)[0] == pytest.approx(min(h.val_loss))


def test_a_float32_model_trains_in_float32_on_float64_data():
    model, loss, _, X, y = _xor_setup()
    model.astype(np.float32)
    opt = SGD(model, lr=0.5, momentum=0.9)
    h = fit(model, loss, opt, X, y, epochs=20, batch_size=10, validation=(X, y), progress=False)
    assert X.dtype == np.float64 and h.epoch_loss[-1] < 0.6 * h.epoch_loss[0]
    for _, owner, key in model.named_parameters():
        assert owner.params[key].dtype == owner.grads[key].dtype == opt.velocity[0].dtype == np.float32


def test_callback_can_stop_training():
    model, loss, opt, X, y = _xor_setup()
    h = fit(model, loss, opt, X, y, epochs=10, progress=False, callback=lambda hist: len(hist.epoch_loss) == 2)
    assert len(h.epoch_loss) == 2 and h.stopped_early


def test_divergence_raises_with_a_clear_message():
    model, loss, _, X, y = _xor_setup()
    X = X * 1e3
    with pytest.raises(TrainingDiverged, match=r"loss became \S+ at update \d+ \(epoch \d+ of 50\), up from "
                                               r"[\d.]+ at update 1.*learning rate 1e\+06 is probably too large"):
        fit(model, MSELoss(), SGD(model, lr=1e6), X, np.eye(2)[y], epochs=50, batch_size=10, progress=False)
    assert issubclass(TrainingDiverged, FloatingPointError)


def test_a_loss_a_million_times_its_start_is_divergence_though_finite():
    """L8: η = 10⁶ takes the loss to ~1e128 without overflowing; fit stops at the first loss above
    10⁶ · max(1, first loss) instead of training on, and says so."""
    model, loss, _, X, y = _xor_setup()
    with pytest.raises(TrainingDiverged) as error:
        fit(model, loss, SGD(model, lr=1e6), X, y, epochs=50, progress=False)
    value, update = re.search(r"loss became (\S+) at update (\d+)", str(error.value)).groups()
    assert 1e6 < float(value) < 1e300 and int(update) > 1
    model, loss, _, X, y = _xor_setup()  # a loss that starts above 10⁶ and falls is no divergence
    h = fit(model, MSELoss(), SGD(model, lr=0.01), X, np.eye(2)[y] * 2e3, epochs=2, progress=False)
    assert h.update_loss[0] > 1e6 and len(h.update_loss) == 8 and h.update_loss[-1] < h.update_loss[0]


def test_bad_data_is_named_before_any_update():
    model, loss, opt, X, y = _xor_setup()
    before = model.state_dict()
    X_nan = X.copy()
    X_nan[37, 1] = np.nan
    with pytest.raises(ValueError, match=r"the data X holds NaN or infinite values, first in row 37 of 100"):
        fit(model, loss, opt, X_nan, y, progress=False)
    targets = np.eye(2)[y]
    targets[5, 0] = -np.inf
    with pytest.raises(ValueError, match="data y holds NaN or infinite values, first in row 5"):
        fit(model, MSELoss(), opt, X, targets, progress=False)
    with pytest.raises(ValueError, match="data X_val holds NaN or infinite values, first in row 37"):
        fit(model, loss, opt, X, y, validation=(X_nan, y), progress=False)
    for labels, name, row, label in [(np.where(np.arange(100) == 61, 2, y), "y", 61, 2),
                                     (np.where(np.arange(100) == 8, -1, y), "y", 8, -1)]:
        with pytest.raises(ValueError, match=rf"labels must lie in 0..1 \(the model outputs 2 classes\), "
                                             rf"got {label} in row {row} of {name}"):
            fit(model, loss, opt, X, labels, batch_size=10, progress=False)
    with pytest.raises(ValueError, match="got 7 in row 0 of y_val"):
        fit(model, loss, opt, X, y, validation=(X, np.full(100, 7)), progress=False)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])  # nothing was trained on the bad data
    X_big = np.full_like(X, 1e308)  # its sum overflows, yet every value is finite: it trains
    assert len(fit(model, loss, opt, X_big, y, epochs=1, progress=False).update_loss) == 4


def test_fit_rejects_bad_arguments():
    model, loss, opt, X, y = _xor_setup()
    with pytest.raises(ValueError, match="same positive number of examples"):
        fit(model, loss, opt, X, y[:-1], progress=False)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fit(model, loss, opt, X, y, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="needs a validation set"):
        fit(model, loss, opt, X, y, patience=2, progress=False)


def test_progress_bar_can_be_shown(capsys):
    model, loss, opt, X, y = _xor_setup()
    fit(model, loss, opt, X, y, epochs=2, progress=True)
    assert "training" in capsys.readouterr().err
    fit(model, loss, opt, X, y, epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_digits_mlp_reaches_97_percent():
    d = load_digits()
    model = MLP([64, 128, 10], "relu", seed=0)
    h = fit(model, SoftmaxCrossEntropy(), SGD(model, lr=0.1, momentum=0.9), d.X_train, d.y_train, epochs=40,
            batch_size=32, validation=(d.X_val, d.y_val), patience=10, progress=False)
    assert isinstance(h, History) and h.epoch_time[-1] < 10
    assert accuracy(model, d.X_test, d.y_test) >= 0.97


# -- optimisers and schedules against torch.optim ---------------------------
def _step_both(make_ours, make_theirs, schedule=None, steps=6):
    """Feed ours and torch the same random gradients for several steps; compare weights and lr."""
    ours = MLP([3, 4, 2], "tanh", seed=0)
    theirs = copy_to_torch(ours, torch_mlp([3, 4, 2], "tanh"))
    opt, topt = make_ours(ours), make_theirs(theirs.parameters())
    sched = tsched = None
    if schedule is not None:
        sched, tsched = schedule[0](opt), schedule[1](topt)
    rng = np.random.default_rng(0)
    tparams = dict(theirs.named_parameters())
    for _ in range(steps):
        for name, owner, key in ours.named_parameters():
            g = rng.standard_normal(owner.params[key].shape)
            owner.grads[key] = g
            tparams[name].grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        if sched is not None:
            sched.step()
            tsched.step()
            assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
            assert opt.lr == topt.param_groups[0]["lr"]
        for name, value in ours.state_dict().items():
            np.testing.assert_allclose(value, tparams[name].detach().numpy(), atol=1e-12)


def test_sgd_with_momentum_and_weight_decay_equals_torch():
    _step_both(lambda m: SGD(m, lr=0.1, momentum=0.9, weight_decay=0.01),
               lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01))


def test_adagrad_equals_torch():
    from dlteach.optim import AdaGrad
    _step_both(lambda m: AdaGrad(m, lr=0.5), lambda p: torch.optim.Adagrad(p, lr=0.5))


def test_step_lr_equals_torch():
    from dlteach.optim import StepLR
    _step_both(lambda m: SGD(m, lr=0.3, momentum=0.5), lambda p: torch.optim.SGD(p, lr=0.3, momentum=0.5),
               (lambda o: StepLR(o, step_size=2, gamma=0.3),
                lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.3)), steps=7)


def test_exponential_lr_equals_torch():
    from dlteach.optim import AdaGrad, ExponentialLR
    _step_both(lambda m: AdaGrad(m, lr=0.5), lambda p: torch.optim.Adagrad(p, lr=0.5),
               (lambda o: ExponentialLR(o, gamma=0.7),
                lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.7)))


def test_schedules_follow_their_formulas():
    from dlteach.optim import ExponentialLR, StepLR
    model = MLP([2, 2])
    step = StepLR(SGD(model, lr=1.0), step_size=3, gamma=0.5)
    lrs = [step.get_last_lr()[0]] + [step.step() or step.get_last_lr()[0] for _ in range(7)]
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    expo = ExponentialLR(SGD(model, lr=2.0), gamma=0.5)
    for _ in range(3):
        expo.step()
    assert expo.get_last_lr() == [0.25]
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        StepLR(SGD(model, lr=1.0), step_size=0)


# -- L1 / L2 penalties ---------------------------------------------------------
@pytest.mark.parametrize("which", ["l1", "l2"])
def test_penalty_gradients_by_central_differences(which):
    from dlteach.gradcheck import numerical_gradient, rel_error
    from dlteach.optim import l1_penalty, l2_penalty
    penalty = {"l1": l1_penalty, "l2": l2_penalty}[which]
    model = MLP([3, 4, 2], seed=0)
    model.zero_grad()
    value = penalty(model, 0.3)
    weights = [model[0].params["weight"], model[2].params["weight"]]
    expected = 0.3 * sum(np.abs(w).sum() for w in weights) if which == "l1" else \
        0.15 * sum((w**2).sum() for w in weights)
    assert value == pytest.approx(expected, rel=1e-14)
    analytic_grads = {name: owner.grads[key].copy() for name, owner, key in model.named_parameters()}
    for name, owner, key in model.named_parameters():
        analytic = analytic_grads[name]
        numeric = numerical_gradient(lambda: penalty(model, 0.3), owner.params[key])
        if key == "bias":
            assert not analytic.any() and not numeric.any()  # biases are not penalised
        else:
            assert rel_error(analytic, numeric) <= 1e-7, name


def test_l2_penalty_is_weight_decay():
    from dlteach.nn import Linear
    from dlteach.optim import l2_penalty
    a, b = Linear(3, 2, bias=False, seed=0), Linear(3, 2, bias=False, seed=0)
    x = np.random.default_rng(0).standard_normal((4, 3))
    for layer in (a, b):
        layer.backward(layer.forward(x))
    l2_penalty(a, 0.1)
    SGD(a, lr=0.5).step()
    SGD(b, lr=0.5, weight_decay=0.1).step()
    np.testing.assert_allclose(a.params["weight"], b.params["weight"], atol=1e-15)


def test_penalty_needs_gradients_first():
    from dlteach.optim import l1_penalty
    with pytest.raises(RuntimeError, match="call backward"):
        l1_penalty(MLP([2, 2]), 0.1)


def test_fit_adds_the_penalty_to_loss_and_gradient():
    from dlteach.optim import l2_penalty
    model, loss, opt, X, y = _xor_setup()
    plain, _, plain_opt, _, _ = _xor_setup()
    start = 0.025 * sum(float((w**2).sum()) for w in (model[0].params["weight"], model[2].params["weight"]))
    h = fit(model, loss, opt, X, y, epochs=20, progress=False, penalty=lambda m: l2_penalty(m, 0.05))
    h_plain = fit(plain, loss, plain_opt, X, y, epochs=20, progress=False)
    assert h.update_loss[0] == pytest.approx(h_plain.update_loss[0] + start, abs=1e-12)
    for i in (0, 2):
        assert np.linalg.norm(model[i].params["weight"]) < np.linalg.norm(plain[i].params["weight"])


# -- Dropout -------------------------------------------------------------------
def test_dropout_eval_mode_is_the_identity_like_torch():
    from dlteach.nn import Dropout
    x = np.random.default_rng(0).standard_normal((5, 6))
    layer = Dropout(0.4, seed=0).eval()
    theirs = torch.nn.Dropout(0.4).eval()
    tx = torch.from_numpy(x).requires_grad_()
    out = theirs(tx)
    out.backward(torch.ones_like(out))
    np.testing.assert_array_equal(layer.forward(x), out.detach().numpy())
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), tx.grad.numpy())
    assert max(check_module(layer, x).values()) <= 1e-7


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_train_mode_has_torch_mask_semantics(p):
    from dlteach.nn import Dropout
    x = np.random.default_rng(0).uniform(1, 2, (200, 50))  # no zeros, so the mask can be read off
    ours = Dropout(p, seed=1)
    out = ours.forward(x)
    tx = torch.from_numpy(x).requires_grad_()
    torch.manual_seed(0)
    tout = torch.nn.functional.dropout(tx, p, training=True)
    tout.backward(torch.ones_like(tout))
    for y, grad in [(out, ours.backward(np.ones_like(x))), (tout.detach().numpy(), tx.grad.numpy())]:
        kept = y != 0
        np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)  # kept units scaled by 1/(1 − p)
        np.testing.assert_allclose(grad, kept / (1 - p), rtol=1e-15)  # the gradient flows through the mask
        assert abs((~kept).mean() - p) < 0.02
    assert abs(out.mean() - x.mean()) < 0.05 * x.mean() * (1 + p)  # expectation preserved


def test_dropout_gradient_check_with_a_fixed_mask():
    from dlteach.nn import Dropout, Module

    class FixedMask(Module):  # reseeds before every forward, so the mask is the same each time
        def __init__(self):
            super().__init__()
            self.inner = Dropout(0.3, seed=0)

        def forward(self, x):
            self.inner.rng = np.random.default_rng(7)
            return self.inner.forward(x)

        def backward(self, g):
            return self.inner.backward(g)

    errors = check_module(FixedMask(), np.random.default_rng(0).standard_normal((4, 5)))
    assert errors["input"] <= 1e-7


def test_dropout_is_seeded_keeps_float32_and_checks_p():
    from dlteach.nn import Dropout
    x = np.ones((3, 4), dtype=np.float32)
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    assert a.forward(x).dtype == np.float32
    assert np.array_equal(Dropout(0.0).forward(x), x)
    for p in (1.5, 1.0, -0.1, np.nan):
        with pytest.raises(ValueError, match=rf"dropout probability p must be a number in \[0, 1\), got {p}"):
            Dropout(p)
    for p in (True, "0.5", None):
        with pytest.raises(TypeError, match="dropout probability p must be a number"):
            Dropout(p)


# -- lesson 4: the lecture network, backprop trace, BP flowchart, explorers ----------
def test_mlp_gain_scales_the_initial_weights():
    a, b = MLP([5, 4, 3], seed=0), MLP([5, 4, 3], seed=0, gain=np.sqrt(6))
    np.testing.assert_allclose(b[0].params["weight"], np.sqrt(6) * a[0].params["weight"])
    np.testing.assert_array_equal(b[0].params["bias"], a[0].params["bias"])


def test_backprop_trace_matches_the_lecture_formulas_and_torch():
    from dlteach.models import lecture_network
    from dlteach.models.mlp import LECTURE_WEIGHTS
    from dlteach.widgets.backprop import backprop_trace

    x, t = np.array([1.0, -1.0]), np.array([0.0, 1.0])
    net = lecture_network()
    trace = backprop_trace(net, x, t)
    np.testing.assert_allclose(np.round(trace["a"][1:], 2), [[0.98, 0.12], [0.86, 0.11], [0.62, 0.83]])
    Ws = [np.array(W) for W, _ in LECTURE_WEIGHTS]
    y, a2, a1 = trace["a"][3], trace["a"][2], trace["a"][1]
    d3 = (y - t) * y * (1 - y)  # output error for ½(y − t)²
    d2 = (Ws[2].T @ d3) * a2 * (1 - a2)  # hidden: (Wᵀδ)·σ′(z)
    d1 = (Ws[1].T @ d2) * a1 * (1 - a1)
    for got, want in zip(trace["delta"], [d1, d2, d3]):
        np.testing.assert_allclose(got, want, rtol=1e-14)
    np.testing.assert_allclose(np.round(d3, 4), [0.1459, -0.0242])
    assert trace["E"] == pytest.approx(0.5 * np.sum((y - t) ** 2))

    theirs = torch.nn.Sequential(*[m for _ in range(3) for m in (torch.nn.Linear(2, 2), torch.nn.Sigmoid())])
    copy_to_torch(net, theirs)
    (0.5 * ((theirs(torch.from_numpy(x)) - torch.from_numpy(t)) ** 2).sum()).backward()
    for name, g in grads_of(theirs).items():
        layer, key = name.split(".")
        np.testing.assert_allclose(net[int(layer)].grads[key], g, atol=1e-15)


def test_train_example_follows_the_flowchart():
    from dlteach.widgets.backprop import train_example

    trace, errors = train_example((1.0, -1.0), (0.0, 1.0), lr=1.0, max_steps=200, tolerance=0.01)
    assert errors[-1] < 0.01 <= errors[-2] and trace["E"] == errors[-1]  # stops at the first E below tolerance
    assert np.all(np.diff(errors) < 0)
    _, capped = train_example((1.0, -1.0), (0.0, 1.0), lr=1.0, max_steps=5, tolerance=1e-9)
    assert len(capped) == 6 and capped[-1] > 1e-9  # max iterations reached
    _, none = train_example((1.0, -1.0), (0.0, 1.0), lr=1.0, max_steps=0, tolerance=0.01)
    assert none.tolist() == [pytest.approx(0.20537890262600114)]


def test_backprop_explorer_messages_fit_their_situations():
    from dlteach.widgets.backprop import BackpropExplorer, below

    e = BackpropExplorer()
    assert e.message == "E = 0.00966 is below the tolerance 0.01: the flowchart stops after 27 updates."
    assert below(0.0099986, 0.01) == "0.009999" and below(0.5, 1.0) == "0.5"
    msg = e.update(steps=0)  # tip 1: compare the δ of the layers before any update
    assert msg.startswith("No update yet") and "layer 1 3.2e-03, layer 2 5.4e-02, output 1.5e-01" in msg
    assert e.update(steps=3) == "Reached the maximum of 3 iterations with E = 0.0967 still above the tolerance 0.01."
    assert "maximum of 1 iteration with" in e.update(steps=1)
    e.picture()
    assert "after 1 update:" in e.ax_net.get_title()
    msg = e.update(steps=30, x1=3.0, x2=-3.0)  # tip 3: the first layer saturates, and the message says so
    assert msg.startswith("E = 0.009999 is below the tolerance 0.01") and "Layer 1's sigmoids are saturated" in msg
    assert "saturated" not in e.update(x1=1.0, x2=-1.0)
    msg = e.update(t1=0.5, t2=0.5, lr=50.0)  # a target inside (0, 1): too large an η overshoots
    assert "E went up at" in msg and "η = 50 is too large" in msg and "(most at update 3: from 0.0431 to 0.195)" in msg
    assert e.update(lr=20.0) == "E = 0.00896 is below the tolerance 0.01: the flowchart stops after 1 update."
    for name, value in [("lr", 0.0), ("steps", 10**9), ("tolerance", float("nan"))]:
        with pytest.raises(ControlError):
            e.update(**{name: value})
    assert e.state["lr"] == 20.0 and e.png()[:4] == b"\x89PNG"
    assert set(e.controls()) == set(e.state)


def test_backprop_explorer_live_picture_shows_the_figures_numbers():
    from matplotlib.colors import to_hex

    from dlteach.widgets.backprop import ETAS, BackpropExplorer

    assert {0.01, 1.0, 100.0} <= set(ETAS)
    e = BackpropExplorer()
    e.widget()
    d = e.diagram
    texts = {"weights": [t for layer in d.edge_text for row in layer for t in row],
             "inside": sum(d.inside, []), "above": sum(d.above, []), "below": sum(d.below, [])}
    for changes in [{}, dict(x1=3.0, x2=-3.0, lr=5.0, steps=12), dict(t1=0.5, t2=0.5, lr=100.0, tolerance=1e-5)]:
        e.update(**changes)
        e.picture()
        np.testing.assert_allclose(e.live_errors.y, e.err_line.get_ydata())
        assert list(e.live_tolerance.y) == [e.state["tolerance"]] * 2
        assert e.live_net.title == e.ax_net.get_title()
        for name, mark in e.live_texts.items():
            assert list(mark.text) == [t.get_text() for t in texts[name]]
        shown = {}  # every weight once, in its colour, in the live width nearest its line's (four widths, 0.875 apart)
        for mark in e.live_edges:
            for x, y, colour in zip(np.atleast_2d(mark.x), np.atleast_2d(mark.y), mark.colors):  # bqplot squeezes one line
                shown[tuple(x), tuple(y)] = colour, mark.stroke_width / 1.3
        lines = [line for layer in d.edges for row in layer for line in row]
        assert sum(len(np.atleast_2d(mark.x)) for mark in e.live_edges if len(mark.x)) == len(lines) == len(shown)
        for line in lines:
            colour, width = shown[tuple(line.get_xdata()), tuple(line.get_ydata())]
            assert colour == to_hex(line.get_color()) and abs(width - line.get_linewidth()) <= 0.875 / 2 + 1e-9
        low, high = e.ax_err.get_ylim()
        assert (e.ey.min, e.ey.max) == (low, high) and all(low <= v <= high for v in e.ey_axis.tick_values)


def test_gradient_flow_messages_fit_their_situations():
    from dlteach.widgets.gradient_flow import GradientFlowExplorer

    e = GradientFlowExplorer()
    assert e.message.startswith("Vanishing: layer 1's gradient is 4.2e-09 times the last layer's")
    assert e.update(gain=6.0).startswith("Vanishing: layer 1's gradient is 3.4e-03")  # sigmoid at gain 6 too
    assert e.update(activation="tanh").startswith("Growing towards the input: layer 1's gradient is 29 times")
    assert e.update(gain=1.0).startswith("Shrinking: layer 1's gradient is 2.2e-02") and "45× slower" in e.message
    assert e.update(gain=2.45).startswith("Balanced: every layer's gradient is between 0.98 and 1.2 times")
    assert e.update(activation="relu").startswith("Balanced")
    assert "the activations grow 72-fold" in e.update(gain=4.0)
    assert e.update(gain=6.0).startswith("Exploding: the activations grow")
    assert e.update(activation="tanh", depth=30).startswith("Exploding towards the input")
    for name, value in [("width", 10**9), ("depth", 10**9), ("gain", 0.0), ("activation", "softplus")]:
        with pytest.raises(ControlError):
            e.update(**{name: value})
    assert e.state == dict(activation="tanh", depth=30, width=64, gain=6.0, seed=0)
    for activation in ("sigmoid", "tanh", "relu"):
        for depth, width, gain in [(1, 8, 0.25), (30, 128, 6.0), (30, 8, 0.25)]:
            assert isinstance(e.update(activation=activation, depth=depth, width=width, gain=gain), str)
    assert set(e.controls()) == set(e.state)


def test_gradient_flow_axes_span_whole_decades_and_stay_still_for_small_moves():
    from dlteach.widgets.gradient_flow import GradientFlowExplorer, decade_range

    assert decade_range(np.array([0.5, 3.0])) == (0.1, 10.0)  # at least two decades
    assert decade_range(np.array([2e-9, 0.3, np.inf, 0.0])) == (1e-9, 1.0)  # the finite, positive points
    assert decade_range(np.array([np.nan])) == (1e-3, 1.0)
    e = GradientFlowExplorer(activation="relu", gain=2.45)
    e.widget()
    ranges = set()
    for depth in (10, 11, 12, 13):
        e.update(depth=depth)
        for name in ("grad", "act"):
            _x, y, (low, high) = e.profiles[name]
            assert low < y.min() and y.max() < high and float(np.log10(low)).is_integer()
            assert (e.scales[name][1].min, e.scales[name][1].max) == (low, high)
            ranges.add((name, low, high))
    assert len(ranges) == 2  # He-initialised ReLU: the same axes at every depth, so nothing moves but the points


def test_gradient_flow_trains_on_the_button_and_keeps_a_few_runs():
    import ipywidgets as W

    from dlteach.widgets.gradient_flow import RUN_COLOURS, GradientFlowExplorer

    e = GradientFlowExplorer(activation="relu", gain=2.45)
    box = e.widget()
    button = next(w for row in box.children if isinstance(row, W.HBox) for w in row.children
                  if isinstance(w, W.Button) and w.description == "train 3 epochs")
    button.click()  # no event loop here: runs to the end
    run = e.runs[tuple(e.state.values())]
    assert run["updates"] == 102 and run["loss"][-1] < 0.5 * run["loss"][0]
    assert "Trained 102 updates: the training loss went from 2.57 to 0.74." in e.message
    np.testing.assert_allclose(np.ravel(e.live_loss.y), run["loss"])
    e.picture()
    np.testing.assert_allclose(e.live_lines["grad"].y, e.grad_line.get_ydata())
    e.update(activation="sigmoid", gain=1.0)
    button.click()
    assert e.message.endswith("hardly down: the net barely learns.") and len(e.live_loss.y) == 2
    assert "relu, 10×64, gain 2.45" in e.live_legend.value
    e.update(activation="relu", gain=6.0)
    button.click()
    assert "Training blew up: the loss became nan after 4 updates." in e.message
    assert e.runs[("relu", 10, 64, 6.0, 0)]["diverged"] and np.all(np.isfinite(e.live_loss.y))

    e.update(gain=2.45)
    steps = e.training()  # a control moved mid-training stops it, and says so
    next(steps)
    e.update(gain=2.0)
    assert list(steps) == [] and "Training of relu, 10×64, gain 2.45 stopped after 4 updates: the settings changed." in e.message
    for width in (8, 16, 24):
        e.update(depth=2, width=width)
        list(e.training())
    assert list(e.runs) == [("relu", 10, 64, 2.45, 0)] + [("relu", 2, w, 2.0, 0) for w in (8, 16, 24)]  # the oldest went
    assert len(e.runs) == len(RUN_COLOURS) and len({run["slot"] for run in e.runs.values()}) == len(RUN_COLOURS)


def test_layer_gradient_norms_vanish_for_sigmoid_not_for_he_relu():
    from dlteach.train import layer_gradient_norms

    d = load_digits()
    X, y = d.X_train[:64], d.y_train[:64]
    sig = layer_gradient_norms(MLP([64] + [32] * 8 + [10], "sigmoid", seed=0), SoftmaxCrossEntropy(), X, y)
    relu = layer_gradient_norms(MLP([64] + [32] * 8 + [10], "relu", seed=0, gain=np.sqrt(6)),
                                SoftmaxCrossEntropy(), X, y)
    assert sig.shape == relu.shape == (9,)
    assert sig[0] / sig[-1] < 1e-5 and 0.1 < relu[0] / relu[-1] < 10


def test_exercise_answers_of_lessons_4_and_9():
    from dlteach.exercises import check
    from dlteach.models import lecture_network
    from dlteach.models.mlp import LECTURE_WEIGHTS
    from dlteach.nn.functional import sigmoid
    from dlteach.optim import StepLR
    from dlteach.widgets.backprop import backprop_trace

    x = 2.0  # z = y₁y₂, y₁ = 3x + 1, y₂ = x²: both paths, not only the one through y₁
    assert check("04.1", x**2 * 3 + (3 * x + 1) * 2 * x) and not check("04.1", x**2 * 3)
    trace = backprop_trace(lecture_network(), (0.0, 0.0), np.array([1.0, 0.0]))
    y, a2 = trace["a"][-1], trace["a"][2]
    delta3 = (y - [1, 0]) * y * (1 - y)
    assert check("04.2", delta3.tolist()) and check("04.2", trace["delta"][-1].tolist())
    assert not check("04.2", (y - [1, 0]).tolist())  # forgot σ′
    W3 = np.array(LECTURE_WEIGHTS[2][0])
    assert check("04.3", ((W3.T @ delta3) * a2 * (1 - a2)).tolist()) and check("04.3", trace["delta"][1].tolist())
    assert not check("04.3", (W3.T @ delta3).tolist())  # forgot σ′(z²)
    assert check("04.4", (2.5**3 - 1.5**3) / 1.0) and not check("04.4", 12.0)
    z = 0.5 * 1.0 - 1.0  # the one neuron of the computational graph: x = 1, w = 0.5, b = −1, t = 1
    delta = (sigmoid(z) - 1.0) * sigmoid(z) * (1 - sigmoid(z))
    w, b = 0.5 - delta * 1.0, -1.0 - delta
    assert check("04.5", 0.5 * (sigmoid(w * 1.0 + b) - 1.0) ** 2) and not check("04.5", 0.5 * (sigmoid(z) - 1.0) ** 2)
    from dlteach.nn import Dropout, Linear
    assert check("09.1", float(Dropout(0.2, seed=0).forward(np.ones((1, 100))).max()))
    opt = SGD(MLP([2, 2]), lr=0.8)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(7):
        sched.step()
    assert check("09.2", opt.lr) and not check("09.2", 0.1)
    assert check("09.3", [4, 16]) and not check("09.3", [16, 16])
    weight = Linear(1, 1, bias=False)  # 09.5: weight decay alone shrinks w by (1 − ηλ) per step
    weight.params["weight"][...] = 2.0
    opt = SGD(weight, lr=0.5, weight_decay=0.1)
    for _ in range(10):
        weight.grads["weight"] = np.zeros((1, 1))
        opt.step()
    assert check("09.5", weight.params["weight"].item()) and check("09.5", 1.20) and not check("09.5", 2 * 0.95)


def test_draw_graph_and_network_diagram():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from dlteach.viz.backprop import NetworkDiagram, draw_graph

    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    draw_graph(ax1, {"x": (0, 0, "x"), "y": (2, 0, "y"), "z": (2, 2, "z")},
               [("x", "y", "Δx", "dy/dx"), ("y", "z", "up", "down")], "chain")
    texts = {t.get_text() for t in ax1.texts}
    assert {"x", "y", "z", "Δx", "dy/dx", "up", "down"} <= texts
    diagram = NetworkDiagram(ax2, [2, 3, 1])
    diagram.show(weights=[np.ones((3, 2)), -np.ones((1, 3))], inside=[[1, 2], [3, 4, 5], [6]], below=[None, None, ["δ"]])
    assert [t.get_text() for t in diagram.inside[1]] == ["3.00", "4.00", "5.00"]
    assert diagram.below[2][0].get_text() == "δ"
    assert diagram.edges[1][0][2].get_color() == "tab:red"
    FigureCanvasAgg(fig).draw()
