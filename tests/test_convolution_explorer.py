"""Lesson 7: the convolution explorer driven through update(), its parsing, and the lesson's exercises."""

import inspect
import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from dlteach.exercises import check
from dlteach.nn import Conv2d, Linear
from dlteach.widgets.base import ControlError
from dlteach.widgets.convolution import (KERNELS, LECTURE_IMAGE, ConvolutionExplorer, parse_grid, pool_equation,
                                        window_equation)

# The lecture's worked example (seed 004), as the syllabus states it.
IMAGE = np.array([[1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 0],
                  [1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 1, 0]], dtype=float)
KERNEL_1 = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
MAP_1 = np.array([[3, -1, -3, -1], [-3, 1, 0, -3], [-3, -3, 0, 1], [3, -2, -2, -1]])
MAP_2 = np.array([[-1, -1, -1, -1], [-1, -1, -2, 1], [-1, -1, -2, 1], [-1, 0, -4, 3]])


@pytest.fixture(scope="module")
def shared():
    return ConvolutionExplorer()


@pytest.fixture
def explorer(shared):
    """One explorer for the tests that only drive update(): its figure is laid out once."""
    shared.update(**{name: p.default for name, p in inspect.signature(ConvolutionExplorer).parameters.items()})
    return shared


def products(equation: str) -> list[tuple[float, float]]:
    """The x·w factors written in an equation, read back as numbers."""
    factor = r"\(?([−\d.]+)\)?"
    return [(float(x.replace("−", "-")), float(w.replace("−", "-")))
            for x, w in re.findall(factor + "·" + factor, equation)]


def result(equation: str) -> float:
    return float(equation.rsplit("=", 1)[1].replace("−", "-"))


def test_each_step_writes_out_the_window_and_fills_the_lecture_map():
    explorer = ConvolutionExplorer()
    assert explorer.n_steps == 16
    for k in range(16):
        assert explorer.update(position=k) == ""
        i, j = divmod(k, 4)
        terms = products(explorer.equation)
        window = IMAGE[i:i + 3, j:j + 3]
        assert [x for x, _ in terms] == window.ravel().tolist()
        assert [w for _, w in terms] == KERNEL_1.ravel().tolist()
        assert result(explorer.equation) == sum(x * w for x, w in terms) == MAP_1[i, j]
        assert explorer.equation.startswith(f"output[{i}, {j}] =")
        done = np.arange(16).reshape(4, 4) <= k
        np.testing.assert_array_equal(explorer.partial[done], MAP_1[done])
        assert np.isnan(explorer.partial[~done]).all()
    explorer.update(position=0)
    assert explorer.equation.splitlines() == ["output[0, 0] = window · kernel =",
                                              "  1·1    + 0·(−1) + 0·(−1)",
                                              "+ 0·(−1) + 1·1    + 0·(−1)",
                                              "+ 0·(−1) + 0·(−1) + 1·1    = 3"]


def test_kernel_2_and_max_pooling_fill_in_when_their_windows_are_complete(explorer):
    explorer.update(kernel="kernel 2", position=4)  # output[1, 0]: pooled[0, 0] still waits
    assert np.isnan(explorer.pooled_partial).all()
    assert "waits" in explorer.pool_text
    explorer.update(position=5)  # output[1, 1] completes the top-left 2×2 window
    assert explorer.pool_text.endswith("max(−1, −1, −1, −1) = −1")
    assert explorer.pooled_partial[0, 0] == -1 and np.isnan(explorer.pooled_partial).sum() == 3
    explorer.update(position=15)
    np.testing.assert_array_equal(explorer.output, MAP_2)
    np.testing.assert_array_equal(explorer.pooled_partial, [[-1, 1], [0, 3]])
    explorer.update(kernel="kernel 1")
    np.testing.assert_array_equal(explorer.pooled, [[3, 0], [3, 1]])


@pytest.mark.parametrize("pool, text, reduce", [
    ("average", "mean(3, −1, −3, 1) = 0", lambda w: w.mean(axis=(1, 3))),
    ("L2", "√(3² + (−1)² + (−3)² + 1²) = 4.47", lambda w: np.sqrt((w ** 2).sum(axis=(1, 3)))),
])
def test_average_and_l2_pooling(explorer, pool, text, reduce):
    explorer.update(pool=pool, position=15)
    np.testing.assert_allclose(explorer.pooled, reduce(MAP_1.reshape(2, 2, 2, 2)), atol=1e-12)
    explorer.update(position=0)
    assert "waits" in explorer.pool_text  # pooled[0, 0] needs output[1, 1] first
    explorer.update(position=5)
    assert explorer.pool_text.endswith(text)


def test_stride_2_gives_the_lecture_map_and_says_what_it_skips(explorer):
    message = explorer.update(stride=2, position=3)
    np.testing.assert_array_equal(explorer.output, [[3, -3], [-3, 0]])
    assert explorer.n_steps == 4
    assert "never reaches the last row and the last column" in message
    terms = products(explorer.equation)  # output[1, 1] sees image rows 2–4, columns 2–4
    assert [x for x, _ in terms] == IMAGE[2:5, 2:5].ravel().tolist()
    assert result(explorer.equation) == 0


def test_padding_surrounds_the_image_with_zeros(explorer):
    explorer.update(padding=1)
    padded = np.pad(IMAGE, 1)
    expected = (sliding_window_view(padded, (3, 3)) * KERNEL_1).sum(axis=(2, 3))
    explorer.update(position=35)
    np.testing.assert_array_equal(explorer.output, expected)
    explorer.update(position=0)  # the corner window: five of its nine pixels are padding
    assert [x for x, _ in products(explorer.equation)] == padded[:3, :3].ravel().tolist()
    assert result(explorer.equation) == expected[0, 0] == 2


def test_positions_outside_the_sweep_are_clamped(explorer):
    explorer.update(position=1000)
    np.testing.assert_array_equal(explorer.partial, MAP_1)
    assert explorer.message == ""
    explorer.update(position=-5)
    assert explorer.equation.startswith("output[0, 0]") and np.isnan(explorer.partial).sum() == 15


def test_own_image_and_kernel_are_parsed_and_selected(explorer):
    assert "of the 5×5 output map" in explorer.update(my_kernel="1 0\n0 -1")
    assert explorer.state["kernel"] == "my kernel"
    expected = (sliding_window_view(IMAGE, (2, 2)) * np.array([[1, 0], [0, -1]])).sum(axis=(2, 3))
    explorer.update(position=99)
    np.testing.assert_array_equal(explorer.output, expected)
    assert "of the 3×3 output map" in explorer.update(my_image="0110\n1001\n1001\n0110")
    assert explorer.state["image"] == "my image"
    ring = np.array([[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]])
    np.testing.assert_array_equal(explorer.output, ring[:-1, :-1] - ring[1:, 1:])


@pytest.mark.parametrize("text, expected", [
    ("100\n011", [[1, 0, 0], [0, 1, 1]]),
    ("100001 / 010010", [[1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0]]),
    ("1 -1\n−1, 0.5", [[1, -1], [-1, 0.5]]),
    ("[[1, -1], [0, 2]]", [[1, -1], [0, 2]]),
    ("\n 7 \n\n", [[7]]),
])
def test_parse_grid_reads_the_ways_a_learner_writes_a_matrix(text, expected):
    np.testing.assert_array_equal(parse_grid(text, "kernel", 7), expected)


@pytest.mark.parametrize("text, match", [
    ("", "The kernel is empty"),
    ("1 x\n0 1", r"Row 1 of the kernel: 'x' is not a number"),
    ("1 0\n1", "Row 2 of the kernel has 1 number but row 1 has 2"),
    ("1 2 3 4 5 6 7 8", r"The kernel is 1×8; up to 7×7"),
    ("nan 1", "finite"),
])
def test_parse_grid_errors_say_what_is_wrong(text, match):
    with pytest.raises(ValueError, match=match):
        parse_grid(text, "kernel", 7)


def test_a_parse_error_is_a_message_and_keeps_the_picture(explorer):
    explorer.update(position=15)
    message = explorer.update(my_kernel="1 2\n3")
    assert message.startswith("Row 2 of the kernel has 1 number") and "last valid" in message
    np.testing.assert_array_equal(explorer.output, MAP_1)
    assert explorer.update(my_kernel="1") == ""  # fixing it brings the picture back
    np.testing.assert_array_equal(explorer.output, IMAGE)


@pytest.mark.parametrize("changes, says, steps", [
    (dict(stride=6), "fits only once", 1),
    (dict(padding=3), "lie entirely in the zero padding", 100),
    (dict(kernel="my kernel", my_kernel="\n".join(["1 " * 7] * 7)), "7×7 kernel is bigger than the image (6×6)", 0),
    (dict(my_image="10\n01"), "3×3 kernel is bigger than the image (2×2)", 0),
    (dict(stride=2, padding=1, pool_size=2), "pooling drops the last row and the last column of the 3×3", 9),
    (dict(my_image="1" * 11), "up to 10×10 fits here", 16),
])
def test_extreme_values_give_messages_not_tracebacks(explorer, changes, says, steps):
    message = explorer.update(**changes)
    assert says in message
    assert explorer.n_steps == steps
    if steps == 0:
        assert explorer.output is None and explorer.equation == ""
    assert explorer.png().startswith(b"\x89PNG")


@pytest.mark.parametrize("changes, says", [
    (dict(stride=0), "stride must be between 1 and 6, got 0"),
    (dict(stride=100), "stride must be between 1 and 6, got 100"),
    (dict(padding=-1), "padding must be between 0 and 3, got -1"),
    (dict(pool_size=5), "pool_size must be between 1 and 4, got 5"),
    (dict(stride=1.5), "stride must be a whole number, got 1.5"),
    (dict(padding="1"), "padding must be a number, got '1'"),
    (dict(pool_size=None), "pool_size must be a number, got None"),
    (dict(position=float("nan")), "position must be a finite number"),
])
def test_values_a_control_cannot_take_are_refused_and_change_nothing(explorer, changes, says):
    state = dict(explorer.state)
    with pytest.raises(ControlError, match=re.escape(says)):
        explorer.update(**changes)
    assert explorer.state == state
    assert explorer.update(stride=3) == ""  # the next move works


def test_a_whole_float_is_a_whole_number(explorer):
    explorer.update(position=2.0)
    assert explorer.state["position"] == 2 and isinstance(explorer.state["position"], int)


def test_unknown_choices_are_errors(explorer):
    with pytest.raises(ValueError, match="pool must be one of"):
        explorer.update(pool="median")
    with pytest.raises(TypeError, match="no control 'dilation'"):
        explorer.update(dilation=2)


def test_equations_for_non_integers():
    assert window_equation(np.array([[0.5, -2.0]]), np.array([[-1.0, 0.25]])) == "  0.5·(−1)  + (−2)·0.25 = −1"
    assert pool_equation("max", np.array([0.5, -1.5]), 0.5) == "max(0.5, −1.5) = 0.5"


def test_widget_controls_drive_the_explorer():
    explorer = ConvolutionExplorer()
    view = explorer.widget()
    c = explorer._controls
    assert c["position"].max == 15
    c["stride"].value = 2  # the step slider (and the play button linked to it) shrinks to the new sweep
    assert c["position"].max == 3 and explorer.output.shape == (2, 2)
    forward = next(b for b in view.children[1].children if getattr(b, "description", "") == "step ▶")
    c["position"].value = 2
    for _ in range(2):
        forward.click()
    assert explorer.state["position"] == 3
    c["my_kernel"].value = "1"
    assert c["kernel"].value == "my kernel" and explorer.state["kernel"] == "my kernel"
    assert "window never reaches" in view.children[-2].value


def test_lesson_parameter_counts():
    # 6×6 image → 2 maps of 4×4 = 32 features: two shared 3×3 kernels against a dense layer
    assert Conv2d(1, 2, 3, seed=0).num_parameters() == 2 * 9 + 2 == 20
    assert Linear(36, 32, seed=0).num_parameters() == 36 * 32 + 32 == 1184
    assert Conv2d(4, 2, 3, seed=0).num_parameters() == 2 * 4 * 9 + 2 == 74


def test_exercise_keys():
    assert check("07.1", [3, 3])
    assert not check("07.1", [4, 4])
    assert check("07.2", [Conv2d(6, 16, 5, seed=0).num_parameters(), Linear(6 * 14 * 14, 16 * 10 * 10, seed=0).num_parameters()])
    assert check("07.2", [16 * 6 * 5 * 5 + 16, 6 * 14 * 14 * 16 * 10 * 10 + 16 * 10 * 10])
    assert not check("07.2", [16 * 5 * 5 + 16, 1883200])  # a kernel sees all 6 channels

    def max_pool(x, size):
        h, w = x.shape[0] // size, x.shape[1] // size
        return x[:h * size, :w * size].reshape(h, size, w, size).max(axis=(1, 3))

    assert check("07.3", max_pool)
    assert not check("07.3", lambda x, size: x[::size, ::size])

    from dlteach.widgets.feature_maps import shift_image
    from dlteach.nn.functional import conv2d, max_pool2d
    shifted = shift_image(IMAGE[None], 0, 1)
    assert check("07.4", max_pool2d(conv2d(shifted[None], KERNEL_1[None, None]), 2)[0, 0])
    assert not check("07.4", [[3, 0], [3, 1]])  # the unshifted map


def test_text_boxes_always_show_the_image_and_kernel_in_use():
    e = ConvolutionExplorer()
    assert e.state["my_kernel"] == KERNELS["kernel 1"]
    e.update(kernel="kernel 2")
    assert e.state["my_kernel"] == KERNELS["kernel 2"] and e.state["kernel"] == "kernel 2"
    e.update(my_kernel="0 1\n1 0")
    assert e.state["kernel"] == "my kernel"
    e.update(my_image="11\n11\n11")
    assert e.state["image"] == "my image"
    e.update(image="lecture image")
    assert e.state["my_image"] == LECTURE_IMAGE


def test_live_picture_is_the_figure_and_answers_clicks():
    e = ConvolutionExplorer()
    e.widget()
    image, kernel, output, pooled = e.live_grids.panels
    assert (image["rows"], image["cols"], kernel["rows"], output["rows"]) == (6, 6, 3, 4)
    assert image["texts"][:6] == ["1", "0", "0", "0", "0", "1"] and output["texts"][0] == "3"
    assert output["boxes"][0]["colour"] == "#ff8c00" and image["clickable"] and not pooled["clickable"]
    e.clicked(2, 3, 0)  # an output cell: the window jumps there and its sum is written out
    assert e.state["position"] == 12 and e.live_grids.notes[0].startswith("output[3, 0] = window · kernel")
    assert e.live_grids.panels[2]["texts"][12] == "3"
    e.clicked(0, 0, 1)  # an image pixel flips and the map follows
    assert e.state["image"] == "my image" and e.state["my_image"].startswith("110001")
    np.testing.assert_array_equal(e.output, conv_map(parse_grid(e.state["my_image"], "image", 10), KERNEL_1))
    e.clicked(1, 1, 1)  # a kernel weight cycles 1 → −1 → 0
    assert e.state["kernel"] == "my kernel" and parse_grid(e.state["my_kernel"], "kernel", 7)[1, 1] == -1
    e.clicked(1, 1, 1)
    assert parse_grid(e.state["my_kernel"], "kernel", 7)[1, 1] == 0
    e.update(padding=1)
    e.clicked(0, 0, 0)  # a padding cell is not part of the image: nothing changes
    assert e.state["my_image"].startswith("110001")


def conv_map(x, w):
    return (sliding_window_view(x, w.shape) * w).sum(axis=(2, 3))
