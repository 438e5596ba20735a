"""The lesson 5–6 explorers (mini-batches, deep vs fat, universality), driven without a browser."""

import math

import ipywidgets as W
import numpy as np
import pytest

from dlteach.exercises import check
from dlteach.models import MLP
from dlteach.nn import functional as F
from dlteach.train import History, TrainingDiverged
from dlteach.widgets import deep_vs_fat
from dlteach.widgets.deep_vs_fat import (MAX_DEPTH, MAX_WIDTH, DeepVsFatExplorer, Trained, deep_sizes, fat_width,
                                         make_data, parameter_count, train_net)
from dlteach.widgets.minibatch import N, START, MiniBatchExplorer, line_data, line_surface, train_line
from dlteach.widgets.universality import (MAX_NEURONS, TARGETS, UniversalityExplorer, X_GRID, max_error,
                                          sigmoid_network)


# -- mini-batches ---------------------------------------------------------------------
@pytest.mark.parametrize("batch_size, per_epoch", [(1, 200), (10, 20), (30, 7), (50, 4), (199, 2), (200, 1), (500, 1)])
def test_updates_per_epoch_is_the_ceiling_of_n_over_b(batch_size, per_epoch):
    x, t = line_data()
    run = train_line(x, t, batch_size, lr=0.05, epochs=3)
    assert run.updates_per_epoch == per_epoch == math.ceil(N / min(batch_size, N))
    assert run.updates == 3 * per_epoch and len(run.batch_loss) == run.updates
    assert run.path.shape == (3 * per_epoch + 1, 2) and run.time.shape == (3 * per_epoch + 1,)
    assert np.all(np.diff(run.time) >= 0)


def test_line_surface_is_the_exact_mse_and_its_minimum_is_least_squares():
    x, t = line_data()
    surface = line_surface(x, t)
    for w, b in [(0.0, 0.0), (-1.0, 2.5), (2.0, -1.0)]:
        assert surface.loss(w, b) == pytest.approx(F.mse(w * x + b, t), rel=1e-12)
    (w_best, b_best), = surface.minima
    assert np.allclose(surface.grad(w_best, b_best), 0, atol=1e-12)
    assert w_best == pytest.approx(1.5, abs=0.1) and b_best == pytest.approx(-0.5, abs=0.15)


def test_full_batch_path_is_plain_gradient_descent_on_the_surface():
    x, t = line_data()
    surface, lr = line_surface(x, t), 0.1
    run = train_line(x, t, N, lr=lr, epochs=5)
    theta = np.array(START)
    for k in range(1, 6):
        theta = theta - lr * np.array(surface.grad(*theta))
        np.testing.assert_allclose(run.path[k], theta, rtol=1e-12)
    np.testing.assert_allclose(run.loss, surface.loss(*run.path.T), rtol=1e-12)
    # with B = N every "mini-batch" loss is the total loss before the step
    np.testing.assert_allclose(run.batch_loss, run.loss[:-1], rtol=1e-10)


def test_mini_batch_losses_differ_from_update_to_update():
    x, t = line_data()
    run = train_line(x, t, 10, lr=0.1, epochs=3)
    assert not np.allclose(run.batch_loss, run.loss[:-1])   # each update sees a different L
    assert run.reaching(0.2) is not None and run.loss[run.reaching(0.2)] <= 0.2
    assert train_line(x, t, N, lr=0.1, epochs=3).reaching(0.2) is None


def test_minibatch_explorer_trains_only_on_the_button():
    e = MiniBatchExplorer(epochs=5)
    assert "Not trained yet" in e.message and "⌈200/10⌉ = 20 updates per epoch" in e.message
    assert e.runs == {}
    message = e.train()
    assert sorted(b for b, _, _ in e.runs) == [1, 10, 50, 200]
    assert "100 in 5 epochs" in message
    trained = dict(e.runs)
    for b in (1, 200, 50, 10):
        e.update(batch_size=b)
    assert e.runs == trained                                  # slider moves only redraw
    assert "1 update per epoch" in e.update(batch_size=200)
    assert "⌈200/1⌉ = 200 updates per epoch, 1000 in 5 epochs" in e.update(batch_size=1)
    assert "Not trained yet" in e.update(batch_size=37)
    assert "Not trained yet" in e.update(batch_size=10, lr=0.05)


def test_minibatch_explorer_extremes_give_messages():
    e = MiniBatchExplorer(epochs=2)
    assert "from 1 to N = 200" in e.update(batch_size=0)
    assert "from 1 to N = 200" in e.update(batch_size=201)
    assert "from 1 to N = 200" in e.train()
    assert "must be positive" in e.update(batch_size=1, lr=0.0)
    message = e.update(lr=1.0)
    assert "Not trained yet" in message
    message = e.train()
    assert "diverged" in message and "smaller" in message
    assert "The loss went up, from 3.17" in e.update(batch_size=10)
    e.update(batch_size=1)
    assert e.update(target_loss=1e-3).startswith("Batch size 1")
    e.update(lr=0.1, epochs=1, batch_size=200)
    assert "L never got down to" in e.train()
    assert e.png().startswith(b"\x89PNG")


# -- deep vs fat ------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [[2, 10, 2], [2, 10, 10, 10, 10, 10, 2], [64, 2000, 2000, 10], [2, 1, 3]])
def test_parameter_count_is_exact(sizes):
    assert parameter_count(sizes) == MLP(sizes, seed=0).num_parameters()


def test_fat_width_matches_the_budget():
    assert parameter_count(deep_sizes(5, 10)) == 492
    assert fat_width(492) == 98 and parameter_count([2, 98, 2]) == 492
    for depth in range(1, MAX_DEPTH + 1):
        for width in (1, 7, MAX_WIDTH):
            budget = parameter_count(deep_sizes(depth, width, 2, 3))
            h = fat_width(budget, 2, 3)
            assert abs(parameter_count([2, h, 3]) - budget) <= 3   # one unit costs 2 + 1 + 3 parameters
    assert fat_width(1) == 1


def test_deep_vs_fat_counts_live_and_trains_on_the_button():
    e = DeepVsFatExplorer(depth=3, width=6, epochs=20, data="moons")
    # 3·6 + 7·6 + 7·6 + 7·2 = 116 against one layer of 23: 3·23 + 24·2 = 117
    assert "Parameters: 116 thin + tall, 117 fat + short" in e.message and "Train both" in e.message
    assert "1 × 23" in e.ax_fat.get_title()
    message = e.train()
    assert "Test accuracy: thin + tall" in message
    runs = dict(e.runs)
    assert "Parameters: 149 thin + tall" in e.update(width=7) and e.runs == runs   # counts follow, no training
    assert "Test accuracy" in e.update(width=6)                                        # back to the cached run


@pytest.mark.parametrize("changes, expected", [
    ({"depth": 1}, "same shape"),
    ({"width": 1}, "single number"),
    ({"depth": MAX_DEPTH, "width": MAX_WIDTH}, "Parameters: 29,442 thin + tall"),
    ({"depth": 0}, "depth must be a whole number from 1 to 8"),
    ({"width": 65}, "width must be a whole number from 1 to 64"),
    ({"lr": -1.0}, "must be positive"),
    ({"data": "3 spirals", "depth": 2}, "Parameters:"),
])
def test_deep_vs_fat_extremes_give_messages(changes, expected):
    e = DeepVsFatExplorer()
    assert expected in e.update(**changes)


def test_deep_vs_fat_failed_training_is_a_message(monkeypatch):
    e = DeepVsFatExplorer(depth=2, width=8, epochs=10, lr=1.0, activation="relu")
    assert "The thin + tall net learned nothing (training accuracy at chance, 50%)" in e.train()

    flat = History(epoch_loss=[0.69, 0.69])  # what training at chance looks like
    monkeypatch.setattr(deep_vs_fat, "train_net", lambda *args, **kwargs: Trained(None, flat, 0.5, 0.5))
    assert e.update(lr=0.5).startswith("Parameters")
    assert e.train().startswith("Neither net learned: both are at chance on their own training data (50%).")

    def blow_up(*args, **kwargs):
        raise TrainingDiverged("training diverged: the loss became nan at update 3")
    monkeypatch.setattr(deep_vs_fat, "train_net", blow_up)
    assert "Press 'Train both'" in e.update(lr=0.25)
    assert e.train().startswith("The deep net diverged. training diverged: the loss became nan at update 3 "
                                "Lower the learning rate")


def test_train_net_is_seeded_and_beats_chance():
    data = make_data("moons")
    a, b = (train_net([2, 8, 8, 2], data, epochs=30, lr=0.1) for _ in range(2))
    assert a.test_accuracy == b.test_accuracy > 0.8
    with pytest.raises(ValueError, match="data must be one of"):
        make_data("swiss roll")


# -- universality -----------------------------------------------------------------------
def test_sigmoid_network_places_steps_and_fits_exactly_what_it_can_represent():
    model = sigmoid_network(TARGETS["sine"], 4, steepness=3.0)
    np.testing.assert_allclose(model[0].params["weight"][:, 0], 12.0)
    np.testing.assert_allclose(-model[0].params["bias"] / 12.0, [0.125, 0.375, 0.625, 0.875])
    # a target that is itself such a network is recovered (up to the tiny ridge term)
    v = np.array([0.5, -1.0, 2.0, 0.3])
    same = 0.1 + F.sigmoid(12.0 * (X_GRID[:, None] - [0.125, 0.375, 0.625, 0.875])) @ v
    fitted = sigmoid_network(same, 4, steepness=3.0)
    np.testing.assert_allclose(fitted[2].params["weight"][0], v, atol=1e-5)
    assert max_error(fitted, lambda x: 0.1 + F.sigmoid(12.0 * (x[:, None] - [0.125, 0.375, 0.625, 0.875])) @ v) < 1e-5


def test_more_neurons_fit_better():
    for name in ("sine", "bump", "Nielsen's wiggle"):
        errors = [max_error(sigmoid_network(TARGETS[name], n), TARGETS[name]) for n in (2, 10, 50)]
        assert errors[0] > errors[1] > errors[2]
    assert max_error(sigmoid_network(TARGETS["sine"], 50), TARGETS["sine"]) < 0.01


def test_universality_explorer_extremes():
    e = UniversalityExplorer()
    assert "One neuron" in e.update(n=1)
    assert "between 1 and 60" in e.update(n=0)
    assert "between 1 and 60" in e.update(n=MAX_NEURONS + 1)
    assert "positive" in e.update(n=5, steepness=0.0)
    for target in TARGETS:
        for n in (1, MAX_NEURONS):
            assert isinstance(e.update(target=target, n=n), str)
    for steepness in (10**-0.5, 10**1.5):
        assert isinstance(e.update(target="bump", n=MAX_NEURONS, steepness=steepness), str)
        assert np.all(np.isfinite(e.fit_line.get_ydata()))
    assert "continuous" in e.update(target="step", n=20, steepness=4.0)
    assert e.update(target="sine", n=20) == ""
    with pytest.raises(ValueError, match="n \\(hidden neurons\\) must be a positive integer"):
        sigmoid_network(TARGETS["sine"], 0)


@pytest.mark.parametrize("explorer, buttons", [(MiniBatchExplorer, ["Train"]), (DeepVsFatExplorer, ["Train both"]),
                                               (UniversalityExplorer, [])])
def test_widgets_wire_controls_and_buttons(explorer, buttons):
    box = explorer().widget()
    found = [w.description for row in box.children if isinstance(row, W.HBox)
             for w in row.children if isinstance(w, W.Button)]
    assert found == buttons and isinstance(box.children[-1], W.Image)



def test_seide_fat_widths_follow_from_parameter_counts():
    # 429 inputs (11 frames × 39 features), 9,304 senones, hidden layers of 2,048: the paper's fat widths
    # are the single-layer nets with as many parameters (3772 exactly; 4634 counting weights only)
    assert fat_width(parameter_count([429] + [2048] * 5 + [9304]), 429, 9304) == 3772
    assert abs(fat_width(parameter_count([429] + [2048] * 7 + [9304]), 429, 9304) - 4634) <= 1


def test_answer_keys_accept_the_true_answers_and_reject_others():
    x, t = line_data()
    sine = TARGETS["sine"]
    true = {
        "05.1": math.ceil(60_000 / 100),
        "05.2": 5 * math.ceil(200 / 30),
        "05.3": train_line(x, t, 50, lr=0.1, epochs=20).reaching(0.2),
        "06.1": parameter_count([64, 30, 30, 10]),
        "06.2": fat_width(parameter_count([2, 16, 16, 16, 2])),
        "06.3": next(n for n in range(1, MAX_NEURONS) if max_error(sigmoid_network(sine, n), sine) < 0.05),
    }
    for exercise, answer in true.items():
        assert check(exercise, answer), exercise
        assert not check(exercise, answer + 1), exercise
    assert check("05.1", ...).status == "unanswered"
