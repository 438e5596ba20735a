"""The lesson 5–6 explorers (mini-batches, deep vs fat, universality), driven without a browser."""

import math
import re

import ipywidgets as W
import numpy as np
import pytest

from dlteach.exercises import check
from dlteach.models import MLP
from dlteach.nn import functional as F
from dlteach.train import TrainingDiverged
from dlteach.widgets import deep_vs_fat
from dlteach.widgets.base import ControlError
from dlteach.widgets.deep_vs_fat import (MAX_DEPTH, MAX_WIDTH, DeepVsFatExplorer, deep_sizes, fat_width,
                                         make_data, parameter_count, train_net)
from dlteach.widgets.minibatch import N, START, MiniBatchExplorer, line_data, line_surface, train_line
from dlteach.widgets.universality import (DRAWN, ERROR_NS, MAX_NEURONS, STEEPNESSES, TARGETS, UniversalityExplorer,
                                          X_GRID, max_error, sigmoid_network)


# -- mini-batches ---------------------------------------------------------------------
@pytest.mark.parametrize("batch_size, per_epoch", [(1, 200), (10, 20), (30, 7), (50, 4), (199, 2), (200, 1), (500, 1)])
def test_updates_per_epoch_is_the_ceiling_of_n_over_b(batch_size, per_epoch):
    x, t = line_data()
    run = train_line(x, t, batch_size, lr=0.05, epochs=3)
    assert run.updates_per_epoch == per_epoch == math.ceil(N / min(batch_size, N))
    assert run.updates == 3 * per_epoch and len(run.batch_loss) == run.updates
    assert run.path.shape == (3 * per_epoch + 1, 2) and run.time.shape == (3 * per_epoch + 1,)
    assert run.time[1] > 0
    np.testing.assert_allclose(np.diff(run.time), run.time[1])  # every update at the run's median cost


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
    for changes, says in (({"batch_size": 0}, "batch_size must be between 1 and 200, got 0"),
                          ({"batch_size": 201}, "batch_size must be between 1 and 200, got 201"),
                          ({"lr": 0.0}, "lr must be one of")):
        with pytest.raises(ControlError, match=says):
            e.update(**changes)
    message = e.update(batch_size=1, lr=1.0)
    assert "Not trained yet" in message
    message = e.train()
    assert "diverged" in message and "smaller" in message
    assert "diverged" in e.update(batch_size=10)
    e.update(batch_size=1)
    assert e.update(target_loss=0.1).startswith("Batch size 1")
    for target in (0.175, 0.2):  # the lesson's targets are on the slider, exactly
        assert f"L ≤ {target:g} first" in e.update(lr=0.1, target_loss=target) or "Not trained" in e.message
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
    assert "Parameters: 116 thin + tall, 117 fat + short" in e.message and "▶ train" in e.message
    e.picture()
    assert "1 × 23" in e.ax_fat.get_title()
    message = e.train()
    assert message.startswith("After 20 of 20 epochs: test accuracy thin + tall")
    e.picture()
    assert e.nets[0].epochs == 20 and len(e.loss_deep.get_ydata()) == 20
    message = e.update(width=7)  # counts follow; the nets start again
    assert "Parameters: 149 thin + tall" in message and "start again from scratch" in message
    assert e.nets[0].epochs == 0


def test_deep_vs_fat_trains_step_by_step_and_pauses(monkeypatch):
    monkeypatch.setattr(deep_vs_fat, "STEP_SECONDS", 0.0)  # one epoch per step of the play button
    e = DeepVsFatExplorer(depth=2, width=8, epochs=30, data="moons", lr=0.1)
    e.step()
    assert e.nets[0].epochs == e.nets[1].epochs == 1 and e.message.startswith("After 1 of 30 epochs")
    steps = e.training()
    next(steps)
    assert e.nets[0].epochs == 2
    e.update(lr=0.05)  # mid-training: η takes effect at the next epoch, the nets go on
    next(steps)
    assert e.nets[0].epochs == 3 and e.nets[0].optimizer.lr == 0.05
    e.update(depth=3)  # mid-training: a new architecture, so new nets, and training stops
    assert list(steps) == [] and e.nets[0].epochs == 0 and "depth changed" in e.message


def test_deep_vs_fat_memory_stays_flat_over_many_settings():
    import tracemalloc

    e = DeepVsFatExplorer(epochs=10, data="moons")
    tracemalloc.start()
    for width in range(1, 60):
        e.update(width=width, epochs=10 + 10 * (width % 5))
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size < 5e6  # no picture or net is kept per setting


def test_deep_vs_fat_clicks_add_and_remove_training_points():
    e = DeepVsFatExplorer(data="moons")
    X, y = e.training_set()
    n = len(X)
    e.clicked(0.5, 0.25)
    X, y = e.training_set()
    assert len(X) == n + 1 and y[-1] == 0 and tuple(X[-1]) == (0.5, 0.25)
    e.update(click="add class 1 (red)")
    e.clicked(-0.5, 0.75)
    assert e.training_set()[1][-1] == 1
    e.update(click="remove")
    e.clicked(0.5, 0.25)
    assert len(e.training_set()[0]) == n + 1 and (0.5, 0.25) not in map(tuple, e.training_set()[0])
    e.update(click="add class 2 (green)")
    assert "moons has 2 classes" in e.clicked(0.0, 0.0)


def test_deep_vs_fat_ties_and_sigmoid_advice():
    e = DeepVsFatExplorer(depth=2, width=8, epochs=60, data="moons", lr=0.1)
    e.train()
    assert "a tie" in e.message or abs(e.nets[0].test_accuracy - e.nets[1].test_accuracy) >= 0.005
    e.nets[1].test_accuracy = e.nets[0].test_accuracy
    assert "a tie" in e._message(2, 8, 100, 100)
    e = DeepVsFatExplorer(depth=8, width=10, epochs=20, activation="sigmoid", lr=0.02)
    assert "Through 8 sigmoid layers the thin + tall net's gradient vanishes" in e.train()


@pytest.mark.parametrize("changes, expected", [
    ({"depth": 1}, "same shape"),
    ({"width": 1}, "Parameters"),
    ({"depth": MAX_DEPTH, "width": MAX_WIDTH}, "Parameters: 29,442 thin + tall"),
    ({"data": "3 spirals", "depth": 2}, "Parameters:"),
])
def test_deep_vs_fat_extremes_give_messages(changes, expected):
    e = DeepVsFatExplorer()
    assert expected in e.update(**changes)


@pytest.mark.parametrize("changes, says", [
    ({"depth": 0}, "depth must be between 1 and 8, got 0"),
    ({"width": 65}, "width must be between 1 and 64, got 65"),
    ({"lr": -1.0}, "lr must be one of"),
    ({"data": [1, 2]}, "data must be one of"),
])
def test_deep_vs_fat_refuses_what_its_controls_cannot_hold(changes, says):
    e = DeepVsFatExplorer()
    with pytest.raises(ControlError, match=re.escape(says)):
        e.update(**changes)


def test_deep_vs_fat_failed_training_is_a_message():
    e = DeepVsFatExplorer(depth=2, width=8, epochs=10, lr=1.0, activation="relu")
    message = e.train()
    assert "diverged" in message or "still at chance" in message or "jumped up" in message
    e = DeepVsFatExplorer(depth=2, width=8, epochs=10, lr=0.02)
    e._build()
    e.nets[0].epoch = lambda *args: (_ for _ in ()).throw(TrainingDiverged("the loss became nan at update 3."))
    assert e.step().startswith("The thin + tall net diverged. the loss became nan at update 3. Lower η")


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
    for changes, says in (({"n": 0}, "must be between"), ({"n": MAX_NEURONS + 1}, "must be between"),
                          ({"steepness": 0.0}, "must be one of"), ({"steepness": 3.98}, "must be one of")):
        with pytest.raises(ControlError, match=says):
            e.update(**changes)
    for target in TARGETS:
        for n in (1, MAX_NEURONS):
            assert isinstance(e.update(target=target, n=n), str)
    for steepness in (STEEPNESSES[0], STEEPNESSES[-1]):
        assert isinstance(e.update(target="bump", n=MAX_NEURONS, steepness=steepness), str)
        e.picture()
        assert np.all(np.isfinite(e.fit_line.get_ydata()))
    with pytest.raises(ValueError, match="n \\(hidden neurons\\) must be a positive integer"):
        sigmoid_network(TARGETS["sine"], 0)


def test_universality_steepness_4_is_exact_and_the_error_decides_exercise_6_3():
    e = UniversalityExplorer(target="sine", n=8)
    assert 4.0 in STEEPNESSES and e.control_widgets["steepness"].value == 4.0
    e.picture()
    assert "w = 32, max error 0.05039" in e.ax_fit.get_title()  # 0.0504: not below 0.05 …
    e.update(n=9)
    e.picture()
    assert "max error 0.04396" in e.ax_fit.get_title()           # … and n = 9 is
    assert check("06.3", 9).status == "correct" and e.message == ""


@pytest.mark.parametrize("settings, says", [
    (dict(n=1), "One neuron makes one smooth step"),
    (dict(target="step", n=20), "The max error stays large (0.49) however many neurons you add"),
    # steep sigmoids: a staircase fits a smooth target worse than steepness 4 does
    (dict(target="sine", n=20, steepness=16.0), "At steepness 16 each sigmoid is nearly a step, so y is a staircase of "
                                               "20 stairs (the bottom panel): a smooth target is fitted worse than "
                                               "with gentler sigmoids (steepness 4: max error 0.01817)"),
])
def test_universality_messages(settings, says):
    assert UniversalityExplorer().update(**settings).startswith(says)


@pytest.mark.parametrize("settings", [dict(target="sine", n=20), dict(target="Nielsen's wiggle", n=12),
                                      dict(target="bump", n=30, steepness=2.0), dict(target="zigzag", n=30)])
def test_universality_quiet_when_the_fit_is_fine(settings):
    assert UniversalityExplorer().update(**settings) == ""


def test_universality_fits_the_curve_the_learner_draws():
    e = UniversalityExplorer(n=20)
    box = e.widget()
    assert isinstance(box.children[-1], W.HBox)
    drawn = 0.3 + 0.5 * X_GRID ** 2                      # a curve drawn over the plot, sent back on mouse-up
    e.live_target.set_state({"y": drawn.tolist()})
    assert e.state["target"] == DRAWN and e.control_widgets["target"].value == DRAWN
    e.picture()
    np.testing.assert_allclose(e.target_line.get_ydata(), drawn)
    assert e.error == pytest.approx(max_error(sigmoid_network(drawn, 20), drawn)) and e.error < 0.005
    np.testing.assert_allclose(e.live_fit.y, e.fit_line.get_ydata())
    np.testing.assert_allclose(e.live_errors.y[ERROR_NS.tolist().index(20)], e.error)
    e.update(n=5)                                         # the drawing stays the target as the sliders move
    np.testing.assert_allclose(e.live_target.y, drawn)
    assert len(e.live_parts.y) == 5 and "n = 5" in e.live_figures[0].title
    e.update(target="sine")
    e.update(target=DRAWN)                                # chosen again: the last drawing comes back
    e.picture()
    np.testing.assert_allclose(e.target_line.get_ydata(), drawn)
    with pytest.raises(ControlError, match="400 finite values"):
        e.draw_target([0.0, float("nan")])


def test_universality_lesson_tips():
    e = UniversalityExplorer(target="Nielsen's wiggle", n=12)  # as the lesson shows it
    hill = 0.2 + 0.6 * np.exp(-((X_GRID - 0.4) / 0.15) ** 2)
    cliff = np.where(X_GRID < 0.6, 0.2, 0.8)
    assert e.draw_target(hill) == "" and e.update(n=40) == "" and e.error < 0.01  # tip 1: a hill is fixed …
    assert e.draw_target(cliff).startswith("The max error stays large (0.29)")        # … not a cliff
    e.update(target="Nielsen's wiggle", n=12)
    assert e.update(steepness=16.0).startswith("At steepness 16 each sigmoid is nearly a step")  # tip 2


def test_universality_drawing_starts_from_the_curve_shown():
    e = UniversalityExplorer(target="bump")
    e.update(target=DRAWN)                                # nothing drawn yet: start from the bump
    e.picture()
    np.testing.assert_allclose(e.target_line.get_ydata(), TARGETS["bump"](X_GRID))
    blank = UniversalityExplorer(target=DRAWN)
    blank.picture()
    assert np.all(blank.target_line.get_ydata() == 0)  # a blank page to draw on


@pytest.mark.parametrize("explorer, buttons, picture", [
    (MiniBatchExplorer, ["Train", "pause"], W.HBox),
    (DeepVsFatExplorer, ["▶ train", "step one epoch", "reset", "pause"], W.HBox),
    (UniversalityExplorer, [], W.HBox)])
def test_widgets_wire_controls_and_buttons(explorer, buttons, picture):
    box = explorer().widget()
    found = [w.description for row in box.children if isinstance(row, W.HBox)
             for w in row.children if isinstance(w, W.Button)]
    assert found == buttons and isinstance(box.children[-1], picture)


def test_deep_vs_fat_live_picture_follows_training_and_clicks():
    e = DeepVsFatExplorer(depth=2, width=8, epochs=20, data="moons", lr=0.1)
    box = e.widget()
    buttons = {w.description: w for row in box.children if isinstance(row, W.HBox) for w in row.children
               if isinstance(w, W.Button)}
    buttons["step one epoch"].click()
    assert len(e.live_losses[0].y) == 1 and "test" in e.live_figures[0].title
    buttons["▶ train"].click()  # no event loop here: runs to the end
    assert len(e.live_losses[1].y) == 20 and buttons["▶ train"].disabled is False
    n = len(e.live_points[0][0].x)
    e.live_maps[0]._handle_custom_msg({"event": "element_click", "data": {"click_x": 0.0, "click_y": 0.0}}, [])
    assert len(e.live_points[0][0].x) == n + 1
    e.update(click="remove")  # a click on a point itself removes it
    e.live_points[0][0]._handle_custom_msg({"event": "element_click", "data": {"index": n}}, [])
    assert len(e.live_points[0][0].x) == n



def test_seide_fat_widths_follow_from_parameter_counts():
    # 429 inputs (11 frames × 39 features), 9,304 senones, hidden layers of 2,048: the paper's fat widths
    # are the single-layer nets with as many parameters (3772 exactly; 4634 counting weights only)
    assert fat_width(parameter_count([429] + [2048] * 5 + [9304]), 429, 9304) == 3772
    assert abs(fat_width(parameter_count([429] + [2048] * 7 + [9304]), 429, 9304) - 4634) <= 1


def test_answer_keys_accept_the_true_answers_and_reject_others():
    x, t = line_data()
    sine = TARGETS["sine"]
    true = {
        "05.1": 10 * math.ceil(60_000 / 128),
        "05.2": next(b for b in range(1, 201) if (200 - b) / b <= (200 - 10) / 10 / 4),  # half the noise of B = 10
        "05.3": train_line(x, t, 200, lr=0.1, epochs=100).reaching(0.175),
        "05.4": train_line(x, t, 1, lr=0.01, epochs=20).loss[-5 * 200:].mean(),
        "06.1": parameter_count([64, 30, 30, 10]),
        "06.2": fat_width(parameter_count([2, 16, 16, 16, 2])),
        "06.3": next(n for n in range(1, MAX_NEURONS) if max_error(sigmoid_network(sine, n), sine) < 0.05),
        "06.4": 2 * next(layers for layers in range(1, 64) if 2 ** layers > 1_000_000 + 1),  # sawtooth: 2 units a layer
    }
    for exercise, answer in true.items():
        assert check(exercise, answer), exercise
        assert not check(exercise, answer + 1), exercise
    assert check("05.1", ...).status == "unanswered"


def test_minibatch_live_picture_shows_the_trained_runs():
    e = MiniBatchExplorer(epochs=5)
    e.widget()
    assert len(e.live_curves[0].x) == 0 and len(e.live_path.x) == 0   # nothing trained yet
    steps = e.training()
    next(steps)  # one batch size per step: the picture fills in as they finish
    assert np.atleast_2d(e.live_curves[0].x).shape[0] == 1
    list(steps)
    sizes = sorted({1, 10, 50, 200})
    assert e.live_curves[1].x.shape[0] == len(sizes)
    chosen = e.runs[(10, 0.1, 5)]
    np.testing.assert_allclose(e.live_path.x, chosen.path[:, 0])
    np.testing.assert_allclose(e.live_curves[0].y[1][:6], chosen.loss[::20])  # B = 10: per epoch
    assert e.live_loss_axes[1].tick_values.tolist() == [1.0, 10.0, 100.0, 1000.0]
    assert "B = 10:" in e.live_path_figure.title and "B = 200" in e.live_legend.value
