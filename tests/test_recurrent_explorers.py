"""Lessons 10–11: the RNN gradient explorer, the LSTM gate explorer and their drawing helpers."""

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlteach.data import memory_task  # noqa: E402
from dlteach.models import LECTURE_EXAMPLE, SequenceClassifier  # noqa: E402
from dlteach.nn import SoftmaxCrossEntropy  # noqa: E402
from dlteach.optim import AdaGrad  # noqa: E402
from dlteach.train import accuracy, fit  # noqa: E402
from dlteach.viz.recurrent import GateTrace, draw_encoder_decoder, draw_unfolded_rnn  # noqa: E402
from dlteach.widgets.base import ControlError, _descendants  # noqa: E402
from dlteach.widgets.lstm_gates import SIGNALS, SOURCES, LSTMGateExplorer  # noqa: E402
from dlteach.widgets.rnn_gradients import RNNGradientExplorer  # noqa: E402


@pytest.fixture(scope="module")
def grads():
    return RNNGradientExplorer()


def total_grad_norm(rnn):
    return np.sqrt(sum(np.sum(g**2) for g in rnn.grads.values()))


# -- the gradient explorer ------------------------------------------------------------
def test_small_weights_make_gradients_vanish_at_the_rate_rho(grads):
    firsts = []
    for rho in (0.3, 0.5, 0.8):
        message = grads.update(radius=rho, length=60, nonlinearity="tanh", clip=False)
        norms = grads.norms
        assert message.startswith("Vanishing") and norms.shape == (60,)
        assert norms[-1] == pytest.approx(1.0)  # the unit error entering at t = T
        assert np.all(np.diff(norms) > 0)  # shrinking at every step back
        # small inputs keep tanh almost linear: each step back multiplies by about ρ
        assert norms[0] == pytest.approx(rho**59, rel=0.2)
        firsts.append(norms[0])
    assert firsts[0] < firsts[1] < firsts[2] < 1


@pytest.mark.parametrize("nonlinearity, radii", [("tanh", (1.5, 2.0, 3.0)), ("relu", (2.0, 3.0, 5.0))])
def test_large_weights_make_gradients_explode_more_with_larger_scale(grads, nonlinearity, radii):
    firsts = []
    for rho in radii:
        message = grads.update(radius=rho, length=60, nonlinearity=nonlinearity, clip=False)
        assert message.startswith("Exploding"), message
        firsts.append(grads.norms[0])
    assert 10 < firsts[0] < firsts[1] < firsts[2]


def test_longer_sequences_explode_further(grads):
    firsts = [grads.update(radius=2.0, length=T, nonlinearity="tanh", clip=False) and grads.norms[0]
              for T in (20, 60, 120)]
    assert firsts[0] < firsts[1] < firsts[2]


def test_clipping_caps_the_total_norm_and_keeps_the_direction(grads):
    grads.update(radius=3.0, length=100, nonlinearity="tanh", clip=False)
    raw = {k: v.copy() for k, v in grads.rnns["tanh"].grads.items()}
    assert grads.clipped_norm == grads.total_norm == pytest.approx(total_grad_norm(grads.rnns["tanh"]))
    message = grads.update(clip=True, max_norm=1.0)
    clipped = grads.rnns["tanh"].grads
    assert grads.total_norm > 100 and grads.clipped_norm == pytest.approx(1.0)
    assert total_grad_norm(grads.rnns["tanh"]) == pytest.approx(1.0, rel=1e-5)
    c = grads.clipped_norm / grads.total_norm
    for key in raw:
        np.testing.assert_allclose(clipped[key], c * raw[key], rtol=1e-5, atol=1e-300)
    assert "Clipping scales all weight gradients" in message
    grads.picture()
    np.testing.assert_allclose(grads.clipped_line.get_ydata(), c * grads.norm_line.get_ydata(), rtol=1e-5)
    # vanishing gradients are below max_norm already: clipping changes nothing
    message = grads.update(radius=0.5, clip=True, max_norm=10.0)
    assert grads.clipped_norm == grads.total_norm and "cannot help" in message


@pytest.mark.parametrize("changes, expected", [
    ({"radius": 10.0, "length": 200, "nonlinearity": "tanh"}, "Exploding"),
    ({"radius": 10.0, "length": 200, "nonlinearity": "relu"}, "Overflow"),
    ({"radius": 0.1, "length": 200, "nonlinearity": "tanh"}, "Vanishing"),
])
def test_extreme_controls_give_a_message_not_an_error(changes, expected):
    explorer = RNNGradientExplorer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = explorer.update(**changes)
        png = explorer.png()
    assert expected in message
    assert png[:4] == b"\x89PNG"


@pytest.mark.parametrize("changes, says", [
    ({"length": 0}, "length must be between 2 and 200, got 0"),
    ({"length": 10_000}, "length must be between 2 and 200, got 10000"),
    ({"radius": -1.0}, "radius must be one of"),
    ({"radius": float("nan")}, "radius must be one of"),
    ({"max_norm": 0.0, "clip": True}, "max_norm must be one of"),
])
def test_values_the_controls_cannot_take_are_refused(changes, says):
    explorer = RNNGradientExplorer()
    state = dict(explorer.state)
    with pytest.raises(ControlError, match=re.escape(says)):
        explorer.update(**changes)
    assert explorer.state == state


def test_unknown_control_or_nonlinearity_is_an_error(grads):
    with pytest.raises(TypeError, match="no control 'rho'"):
        grads.update(rho=1.0)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        grads.update(nonlinearity="sigmoid")
    grads.update(nonlinearity="tanh")


def test_sliders_hold_the_values_lessons_10_and_11_name():
    controls = RNNGradientExplorer().controls()
    for rho in (0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 10.0):  # lesson 10's ρ, exactly
        assert rho in controls["radius"].options
    assert 1.0 in controls["max_norm"].options and 1000.0 in controls["max_norm"].options
    assert controls["radius"].style.description_width == "initial"  # "ρ (scale of W)" in full


@pytest.mark.parametrize("changes, says, not_says", [
    ({"radius": 3.0, "length": 100, "clip": True, "max_norm": 1.0}, "a safe step size", "still throws"),
    ({"radius": 3.0, "length": 100, "clip": True, "max_norm": 1000.0}, "norm 1000 (times η) still throws",
     "safe"),
    ({"radius": 1.2, "length": 100, "clip": True, "max_norm": 1000.0}, "Clipping changes nothing here", "safe"),
    ({"radius": 3.0, "length": 100, "clip": False}, "tick 'clip'", "Clipping"),
    ({"radius": 10.0, "length": 200}, "tanh units are saturated (mean slope 0.09)", "Vanishing"),
    ({"radius": 10.0, "length": 2, "nonlinearity": "relu"}, "after 1 step the first", "1 steps"),
    ({"radius": 0.5, "length": 2}, "Lengthen T and it vanishes", "Balanced"),
    ({"radius": 1.0, "length": 60}, "Balanced", "steps back the"),
    ({"radius": 0.5, "length": 60, "clip": True}, "Clipping cannot help", "Exploding"),
])
def test_each_message_fits_its_situation(changes, says, not_says):
    explorer = RNNGradientExplorer()
    message = explorer.update(**changes)
    assert says in message and not_says not in message, message


@pytest.mark.parametrize("radius, length", [(1.5, 60), (2.0, 200), (10.0, 200), (0.1, 200), (1.0, 60)])
def test_the_linear_reference_stays_inside_the_axes(radius, length):
    explorer = RNNGradientExplorer(radius=radius, length=length)
    explorer.picture()
    low, high = explorer.ax.get_ylim()
    t, linear = explorer.linear_line.get_data()
    assert len(t) > 0 and low <= linear.min() and linear.max() <= high
    np.testing.assert_allclose(linear, float(radius) ** (length - t), rtol=1e-9)


def test_the_live_picture_shows_the_numbers_of_the_static_one():
    explorer = RNNGradientExplorer()
    explorer.widget()
    explorer.update(radius=2.0, length=120, clip=True, max_norm=10.0)
    explorer.picture()
    np.testing.assert_allclose(explorer.live_norms.y, explorer.norm_line.get_ydata())
    np.testing.assert_allclose(explorer.live_clipped.y, explorer.clipped_line.get_ydata())
    np.testing.assert_allclose(explorer.live_linear.y, explorer.linear_line.get_ydata())
    assert (explorer.ly.min, explorer.ly.max) == explorer.ax.get_ylim()
    assert list(explorer.live_bars.y) == [b.get_height() for b in explorer.bars]
    assert list(explorer.live_bar_labels.text) == [t.get_text() for t in explorer.bar_labels]
    assert explorer.live_limit.visible and list(explorer.live_limit.y) == [10.0, 10.0]
    assert explorer.live_figures[0].title == explorer.ax.get_title()
    explorer.control_widgets["clip"].value = False  # the learner unticks clip
    assert not explorer.live_clipped.visible and not explorer.live_limit.visible
    explorer.update(radius=10.0, length=200, nonlinearity="relu")  # overflow: no curve, a message
    assert not explorer.live_norms.visible and "Overflow" in explorer._note.value


def test_controls_show_the_state_a_notebook_cell_set_before_display():
    explorer = RNNGradientExplorer()
    explorer.update(radius=1.2, length=100)
    explorer.widget()
    assert explorer.control_widgets["radius"].value == 1.2 and explorer.control_widgets["length"].value == 100


# -- the LSTM gate explorer -----------------------------------------------------------
def test_hard_gates_reproduce_the_lecture_trace():
    explorer = LSTMGateExplorer()
    assert explorer.message == ""
    trace = explorer.trace
    np.testing.assert_array_equal(trace.cell, [1.7, 1.7, 1.7, 0.0])
    np.testing.assert_array_equal(trace.output, [0.0, 0.0, 1.7, 0.0])
    explorer.picture()
    np.testing.assert_array_equal(explorer.trace_plot.cell_line.get_ydata(), trace.cell)
    np.testing.assert_array_equal(explorer.trace_plot.out_line.get_ydata(), trace.output)
    grid = explorer.trace_plot.image.get_array()
    np.testing.assert_array_equal(grid[1:], [LECTURE_EXAMPLE["write"], LECTURE_EXAMPLE["keep"], LECTURE_EXAMPLE["read"]])

    assert explorer.update(source=SOURCES[1]) == ""  # a real LSTMCell with saturated gates
    np.testing.assert_allclose(explorer.trace.cell, [1.7, 1.7, 1.7, 0.0], atol=1e-3)
    np.testing.assert_allclose(explorer.trace.output, [0.0, 0.0, 1.7, 0.0], atol=1e-3)
    assert explorer.trace_plot.texts[2] == ["0", "1", "1", "0"]  # closed gates σ(−20) are written 0, not 2.1e-09


def test_typed_sequences_follow_the_cell_equation():
    explorer = LSTMGateExplorer(inputs="2 0 5 0 0", write="1 0 1 0 0", keep="0 1 1 1 0", read="0 0 0 1 0.5")
    np.testing.assert_allclose(explorer.trace.cell, [2, 2, 7, 7, 0])
    np.testing.assert_allclose(explorer.trace.output, [0, 0, 0, 7, 0])
    explorer.update(keep="0 0.5 0.5 0.5 0.5", read="1 1 1 1 1")  # a leaky keep gate halves the cell each step
    np.testing.assert_allclose(explorer.trace.cell, [2, 1, 5.5, 2.75, 1.375])


def test_the_lstm_cell_keeps_fractional_gates_as_set():
    leaky = dict(inputs="1.7 0 0 0", write="1 0 0 0", keep="0 0.9 0.9 0.9", read="0 0 0 1")
    memory = LSTMGateExplorer(**leaky)
    lstm = LSTMGateExplorer(source=SOURCES[1], **leaky)
    assert memory.trace.output[3] == pytest.approx(1.7 * 0.9**3)  # 1.239, the lesson's leak
    np.testing.assert_allclose(lstm.trace.output, memory.trace.output, atol=1e-5)
    np.testing.assert_allclose(lstm.trace.keep, [0, 0.9, 0.9, 0.9], atol=1e-8)


def test_one_row_of_a_new_length_sets_the_length_of_all():
    explorer = LSTMGateExplorer()
    assert explorer.update(inputs="1.7 0 0 0 0 0 0 0 0 0 0 0") == ""
    assert explorer.state["steps"] == 12
    assert explorer.state["keep"] == "0 1 1 0 1 1 1 1 1 1 1 1"  # idle steps: keep what the cell holds
    assert explorer.state["write"] == "1 0 0 0 0 0 0 0 0 0 0 0" and explorer.trace.cell.shape == (12,)
    explorer.update(steps=3)
    assert explorer.state["read"] == "0 0 1" and explorer.trace.output[2] == 1.7


def test_clicking_a_cell_cycles_its_value():
    explorer = LSTMGateExplorer()
    explorer.widget()
    explorer.clicked(3, 0, 1)  # read at t = 1: 0 → 1
    assert explorer.state["read"] == "0 1 1 0" and explorer.trace.output[1] == 1.7
    explorer.clicked(2, 0, 1)  # keep at t = 1: 1 → ½
    assert explorer.state["keep"] == "0 0.5 1 0" and explorer.trace.cell[1] == pytest.approx(0.85)
    assert explorer.control_widgets["keep"].value == "0 0.5 1 0"  # the text box follows
    explorer.clicked(0, 0, 0)  # the value 1.7 (not in the cycle 0 → 1 → 2 → −1) goes to 0
    assert explorer.state["inputs"].split()[0] == "0"
    panels = explorer.live_grid.panels
    assert [p["title"] for p in panels] == list(GateTrace.rows) and all(p["clickable"] for p in panels)
    assert panels[2]["texts"] == ["0", "0.5", "1", "0"]


@pytest.mark.parametrize("changes, says", [
    ({"inputs": "nan 0 0 0"}, "inputs must hold finite numbers"),
    ({"read": "0 0 inf 0"}, "read must hold finite numbers"),
    ({"keep": "0 2 1 0"}, "the keep gate must lie in [0, 1]"),
    ({"write": "nan 1 0.5 nan"}, "write must hold finite numbers"),
    ({"read": "0 zero 1 0"}, "'zero' is not a number"),
    ({"inputs": ""}, "inputs is empty"),
    ({"inputs": " ".join(["1"] * 61)}, "up to 60 fit here"),
    ({"write": "1 0", "keep": "0 1 1"}, "the rows have different lengths (inputs 4, write 2, keep 3, read 4)"),
])
def test_rows_that_cannot_be_read_get_a_message_and_the_picture_stays(changes, says):
    explorer = LSTMGateExplorer()
    message = explorer.update(**changes)
    assert says in message and "still shows the last sequence" in message, message
    np.testing.assert_array_equal(explorer.trace.cell, [1.7, 1.7, 1.7, 0.0])
    assert explorer.png()[:4] == b"\x89PNG"
    if len(changes) == 1:  # a click on another row edits the rows shown; this row still cannot be read
        explorer.clicked(next(i for i, name in enumerate(SIGNALS) if name not in changes), 0, 3)
        assert says in explorer.message


@pytest.mark.parametrize("changes, says", [
    ({"read": 0.5}, "read must be text"),
    ({"steps": 0}, "steps must be between 1 and 60"),
    ({"source": "LSTM"}, "source must be one of"),
])
def test_values_no_control_can_hold_are_refused(changes, says):
    explorer = LSTMGateExplorer()
    state = dict(explorer.state)
    with pytest.raises(ControlError, match=re.escape(says)):
        explorer.update(**changes)
    assert explorer.state == state


@pytest.mark.parametrize("changes, expected", [
    ({"read": "0 0 0 0"}, "Nothing was read out"),
    ({"source": "trained LSTM"}, "No trained LSTM yet"),
])
def test_situations_give_a_message(changes, expected):
    assert expected in LSTMGateExplorer().update(**changes)


def test_long_sequences_keep_their_tick_labels_inside():
    explorer = LSTMGateExplorer(inputs=" ".join(["1"] + ["0"] * 59))
    explorer.picture()
    ticks = explorer.trace_plot.ax_cell.get_xticks()
    assert list(ticks) == list(range(0, 60, 5)) and explorer.trace_plot.texts[2] == [""] * 60


def test_trained_lstm_remembers_where_an_rnn_of_the_same_size_does_not():
    explorer = LSTMGateExplorer(delay=20)
    progress = []
    explorer.train(lambda fraction, text="": progress.append(fraction))
    assert progress[-1] == pytest.approx(1.0) and len(progress) == explorer.epochs
    assert explorer.state["source"] == "trained LSTM" and explorer.test_accuracy >= 0.95

    X, y = memory_task(1000, delay=20, seed=0)
    X_test, y_test = memory_task(200, delay=20, seed=1)
    rnn = SequenceClassifier("rnn", 6, 16, 4, seed=0)
    fit(rnn, SoftmaxCrossEntropy(), AdaGrad(rnn, lr=0.05), X.swapaxes(0, 1), y, epochs=12, progress=False)
    assert accuracy(rnn, X_test.swapaxes(0, 1), y_test) <= 0.75

    # the shown unit: its gates and cell are the LSTM's own, for the chosen test sequence
    unit, T = explorer.state["unit"], 21
    assert explorer.update(example=5) == ""
    lstm = explorer.model.rnn
    lstm.forward(explorer.test_X[:, 5:6])
    explorer.picture()
    np.testing.assert_allclose(explorer.trace_plot.cell_line.get_ydata(), lstm.cells[:, 0, unit])
    np.testing.assert_allclose(explorer.trace_plot.image.get_array()[2], lstm.gates["forget"][:, 0, unit])
    assert explorer.mean_cells.shape == (T, 4, 16)
    with pytest.raises(ControlError, match="unit must be between 0 and 15, got 99"):
        explorer.update(unit=99)
    with pytest.raises(ControlError, match="example must be between 0 and 199, got -1"):
        explorer.update(example=-1)
    with pytest.raises(TypeError, match="needs an LSTM"):
        explorer.show_model(rnn, X_test, y_test)


def test_training_shows_the_lstm_as_it_learns_and_resumes_after_a_pause():
    explorer = LSTMGateExplorer(delay=5, epochs=3)
    explorer.widget()
    explorer.update(source="trained LSTM")
    assert "No trained LSTM yet" in explorer._note.value
    steps = explorer.training()
    next(steps)  # one epoch: the picture already shows the LSTM, the note says training goes on
    assert explorer.message == "Training after epoch 1 of 3: the picture shows the LSTM as it is now."
    assert "No trained LSTM" not in explorer._note.value and "after epoch 1 of 3" in explorer.live_plot.title
    first = np.array(explorer.live_cell.y)
    steps.close()  # paused
    rest = list(explorer.training())  # the button again: the same run goes on
    assert len(rest) == 2 and explorer.run["epoch"] == 3 and explorer.message == ""
    assert not np.allclose(first, explorer.live_cell.y)


def test_controls_that_do_nothing_in_a_mode_are_hidden_and_the_legend_follows():
    explorer = LSTMGateExplorer(delay=5, epochs=2)
    explorer.widget()
    assert explorer.trained_controls.layout.display == "none" and explorer.hand_controls.layout.display is None
    button = next(w for w in _descendants(explorer.widget()) if getattr(w, "description", "") == "train an LSTM")
    button.click()  # no event loop here: the epochs run straight through
    controls = explorer.control_widgets
    assert controls["source"].value == explorer.state["source"] == "trained LSTM"
    assert controls["unit"].value == explorer.state["unit"] and controls["example"].max == 199
    assert explorer.hand_controls.layout.display == "none" and explorer.trained_controls.layout.display is None
    assert explorer.live_means.visible and not any(p["clickable"] for p in explorer.live_grid.panels)
    assert "storing" in explorer.live_cell.labels[0]
    controls["source"].value = SOURCES[0]  # back to the memory cell: no stale "(storing …)" legend
    explorer.picture()
    assert explorer.trace_plot.cell_line.get_label() == "cell $c_t$" and explorer.live_cell.labels == ["cell c_t"]
    assert not explorer.live_means.visible and explorer.hand_controls.layout.display is None


# -- drawing helpers ------------------------------------------------------------------
def test_unfolded_rnn_diagram_labels_the_shared_weights():
    fig, ax = plt.subplots()
    draw_unfolded_rnn(ax, steps=3)
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("U") == 4 and labels.count("V") == 4 and labels.count("W") >= 5
    with pytest.raises(ValueError, match="steps must be between 1 and 6"):
        draw_unfolded_rnn(ax, steps=0)
    plt.close(fig)


def test_encoder_decoder_diagram_feeds_each_word_back():
    fig, ax = plt.subplots()
    draw_encoder_decoder(ax, ("the", "cat"), ("le", "chat"))
    labels = [t.get_text() for t in ax.texts]
    assert "⟨go⟩" in labels and "⟨end⟩" in labels and "$c$" in labels
    assert {"the", "cat", "le", "chat"} <= set(labels)
    with pytest.raises(ValueError, match="1 to 6 words"):
        draw_encoder_decoder(ax, (), ("x",))
    plt.close(fig)


def test_gate_trace_rejects_traces_of_different_lengths():
    fig = plt.figure()
    trace = GateTrace(fig)
    with pytest.raises(ValueError, match="the same number of steps"):
        trace.show([1, 0], [1, 0], [0, 1], [0, 0], [1, 1], [0])
    plt.close(fig)


@pytest.mark.parametrize("make", [RNNGradientExplorer, LSTMGateExplorer])
def test_every_control_has_a_widget(make):
    explorer = make()
    assert set(explorer.controls()) == set(explorer.state)
    assert len(explorer.widget().children) >= 3


def test_exercise_keys_accept_the_answers_the_library_computes():
    from dlteach.exercises import check
    from dlteach.models import memory_cell_trace
    from dlteach.nn import LSTM, RNN, Linear
    from dlteach.optim import clip_grad_norm

    assert check("10.1", RNN(3, 5).num_parameters())
    assert check("10.2", 0.9**50) and check("10.2", 0.00515) and not check("10.2", 0.9**49)
    layer = Linear(1, 2, bias=False)
    from dlteach.optim import SGD

    momentum = SGD(layer, lr=0.3, momentum=0.8)
    for _ in range(200):  # clipped gradients that all point the same way
        layer.grads["weight"] = np.array([[30.0], [40.0]])
        clip_grad_norm(layer, 2.0)
        before = layer.params["weight"].copy()
        momentum.step()
    step = np.linalg.norm(layer.params["weight"] - before)
    assert check("10.3", step) and not check("10.3", 0.3 * 2.0) and not check("10.3", 2.68)
    W = np.array([[0.6, 5.0], [0.0, 0.6]])
    assert check("10.4", np.linalg.norm(np.linalg.matrix_power(W.T, 3) @ [1.0, 0.0])) and not check("10.4", 0.6**3)
    one = RNN(1, 1)  # 10.5: the library's BPTT for s_t = tanh(0.8 s_(t−1) + x_t), x = (1, 0, 0), L = s_3
    for key, value in {"weight_ih": 1.0, "weight_hh": 0.8, "bias_ih": 0.0, "bias_hh": 0.0}.items():
        one.params[key][...] = value
    s, _ = one.forward(np.array([1.0, 0.0, 0.0]).reshape(3, 1, 1))
    one.backward(np.concatenate([np.zeros((2, 1, 1)), np.ones((1, 1, 1))]))
    assert check("10.5", one.grads["weight_hh"].item()) and check("10.5", 0.810) and not check("10.5", 0.8324)
    trace = memory_cell_trace([2, 0, 5, 0, 0], [1, 0, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 1, 0])
    assert check("11.1", trace.output[3]) and not check("11.1", 5)
    leaky = memory_cell_trace([1] + [0] * 40, [1] + [0] * 40, [0] + [0.95] * 40, [0] * 40 + [1])
    assert check("11.2", leaky.output[-1])
    assert check("11.2", 0.129) and not check("11.2", 0.13)  # 3 significant figures, as the question asks
    assert check("11.3", LSTM(10, 32).num_parameters()) and not check("11.3", RNN(10, 32).num_parameters())
    from dlteach.nn import LSTMCell

    cell = LSTMCell(1, 1)  # exercises 11.4 and 11.5: pre-activations z_i, z_f, z_g, z_o = 0, 1, 2, 3; c_(t−1) = 0.5
    for p in cell.params.values():
        p[...] = 0.0
    cell.params["weight_ih"][:, 0] = [0.0, 1.0, 2.0, 3.0]
    h, _ = cell.forward(np.ones((1, 1)), (np.zeros((1, 1)), np.full((1, 1), 0.5)))
    cell.backward(np.ones((1, 1)))
    assert check("11.4", h[0, 0]) and check("11.4", 0.657) and not check("11.4", 0.66)
    assert check("11.5", cell.grad_state_in[1][0, 0]) and check("11.5", 0.365)
