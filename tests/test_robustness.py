"""Course-wide robustness: explorers that do not leak, layers that reject bad shapes clearly,
an IDX parser that never half-reads or half-writes, no pickle, and no network unless asked.

Explorers and layers are discovered, so a new explorer in ``dlteach.widgets`` or a new
layer in ``dlteach.nn`` is covered as soon as it lands (a layer needs a shape case below).
"""

from __future__ import annotations

import ast
import gc
import importlib
import inspect
import io
import json
import math
import pkgutil
import re
import struct
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import dlteach
import dlteach.models
import dlteach.nn as nn
import dlteach.widgets
from dlteach.data import mnist
from dlteach.widgets.base import Explorer


# -- explorers ------------------------------------------------------------------------------
def explorer_classes() -> list[type[Explorer]]:
    """Every Explorer subclass defined in a module of ``dlteach.widgets``."""
    found = {}
    for info in pkgutil.iter_modules(dlteach.widgets.__path__):
        module = importlib.import_module(f"{dlteach.widgets.__name__}.{info.name}")
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, Explorer) and obj is not Explorer
                    and obj.__module__ == module.__name__):
                found[obj.__name__] = obj
    return [found[name] for name in sorted(found)]


EXPLORERS = explorer_classes()
UPDATES = 1000
RSS_TOLERANCE = 16 * 2**20  # bytes; one leaked figure per update would be gigabytes
EXTREMES = {"lr": max, "learning_rate": max, "batch_size": min,  # the end of a control's range that stresses most
            "length": max, "seq_len": max, "sequence_length": max}


def control_values(control: W.ValueWidget) -> list:
    """The values a learner can give ``control``: both ends of a range, its middle, every
    option, both states of a switch, an empty and a nonsense text; the current value last."""
    value = control.value
    if isinstance(control, W.FloatLogSlider):
        exponents = (control.min, control.max, (control.min + control.max) / 2)
        return [control.base**e for e in exponents] + [value]
    if hasattr(control, "options") and hasattr(control, "index"):
        options = []
        for i in range(len(control.options)):
            control.index = i
            options.append(control.value)
        return options + [value]
    if isinstance(value, bool):
        return [not value, value]
    if isinstance(value, str):
        return ["", "?!", value]
    if hasattr(control, "min") and hasattr(control, "max"):
        lo, hi = control.min, control.max
        if isinstance(value, tuple):  # a range slider
            return [(lo, hi), (lo, lo), (hi, hi), value]
        mid = (lo + hi) // 2 if isinstance(value, int) else (lo + hi) / 2
        return [lo, hi, mid, value]
    return [value]


def update_cycle(explorer: Explorer) -> list[tuple[str, object]]:
    """Control changes that move every control through its values, one control at a time,
    each ending at its start value: after a whole cycle the explorer is back where it began."""
    controls = explorer.controls()
    try:
        return [(name, v) for name, control in controls.items() for v in control_values(control)]
    finally:
        for control in controls.values():
            control.close()


# Explorers that train a network when built with defaults get an untrained one of the same
# shape here: the network's weights do not matter for leaks, and training takes half a minute.
QUICK_ARGUMENTS = {"FeatureMapExplorer": lambda: {"model": dlteach.models.small_cnn(seed=0)}}


def build(cls: type[Explorer]) -> Explorer:
    return cls(**QUICK_ARGUMENTS.get(cls.__name__, dict)())


def rss() -> int:
    gc.collect()
    return psutil.Process().memory_info().rss


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_a_thousand_updates_leave_figures_and_memory_flat(cls):
    figures = plt.get_fignums()
    explorer = build(cls)
    fig = explorer.fig
    cycle = update_cycle(explorer)
    assert set(name for name, _ in cycle) == set(explorer.state), "controls() should offer every control in state"
    cycles = math.ceil(UPDATES / len(cycle))

    def run_cycle(k):
        for i, (name, value) in enumerate(cycle):
            message = explorer.update(**{name: value})
            assert isinstance(message, str), f"update({name}={value!r}) returned {message!r}, not a message"
            if (k * len(cycle) + i) % 250 == 249:  # a frame now and then; rendering costs 100× an update
                explorer.png()

    run_cycle(0)  # warm-up: caches, fonts, the renderer's buffers
    explorer.png()
    artists, memory = len(fig.findobj()), rss()
    for k in range(1, cycles):
        run_cycle(k)
    explorer.png()
    grown = rss() - memory
    assert explorer.fig is fig and plt.get_fignums() == figures, "an update created a figure"
    assert len(fig.findobj()) == artists, "artists pile up: an update adds to the figure instead of redrawing"
    assert grown < RSS_TOLERANCE, f"memory grew by {grown / 2**20:.1f} MB over {cycles * len(cycle)} updates"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)), dtype=np.int16)


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_the_static_picture_is_painted_only_when_asked_and_shows_the_last_state(cls):
    """With the live view shown, slider moves cost no matplotlib; the picture asked for afterwards is
    the one an explorer painting after every move would show."""
    lazy, eager = build(cls), build(cls)
    lazy._repr_mimebundle_()  # as a notebook shows it: the live widget, and the picture for static viewers
    eager.png()
    painted = []
    paint = lazy.paint
    lazy.paint = lambda: (painted.append(True), paint())
    start = dict(lazy.state)
    moves = []  # one move away from the start for each control: the last state is not the first
    for name, value in update_cycle(lazy):
        if value != start[name] and name not in dict(moves):
            moves.append((name, value))
    for name, value in moves:
        lazy.update(**{name: value})
        eager.update(**{name: value})
        eager.png()
    assert lazy.state != start and not painted, "a move with the live view shown painted the matplotlib figure"
    # the same picture, give or take the anti-aliasing of a layout solved a different number of times (a few
    # levels of 255 at edges moved by a fraction of a pixel; a stale picture differs by tens to hundreds)
    difference = np.abs(pixels(lazy.png()) - pixels(eager.png())).max()
    assert difference <= 8, f"the static picture after {moves} is not the last state's"
    assert len(painted) == 1
    lazy.png()
    assert len(painted) == 1, "an unchanged explorer painted its figure again"
    lazy.close()
    eager.close()


EXTREME_CASES = [pytest.param(cls, key, id=f"{cls.__name__}-{key}")
                 for cls in EXPLORERS for key in EXTREMES if key in inspect.signature(cls.__init__).parameters]


@pytest.mark.parametrize(("cls", "key"), EXTREME_CASES)
def test_extreme_control_values_give_a_message(cls, key):
    """At the stressful end of a control's range, the update and every action (training buttons)
    return a message, never raise (RuntimeWarnings from dlteach are errors too: overflow must be handled)."""
    explorer = build(cls)
    control = explorer.controls()[key]
    value = EXTREMES[key](control_values(control)[:-1])  # the range's ends and options, not the current value
    control.close()
    messages = [explorer.update(**{key: value})]
    for action in explorer.actions().values():
        result = action(lambda fraction, text="": None)
        if inspect.isgenerator(result):  # stepwise work (live training): run it to the end
            for _ in result:
                pass
            result = explorer.message
        messages.append(result)
    assert all(m is None or isinstance(m, str) for m in messages), messages
    assert explorer.png().startswith(b"\x89PNG")


# -- layers: shape handling ----------------------------------------------------------------
def layer_classes() -> dict[str, type]:
    return {name: obj for name in nn.__all__ if inspect.isclass(obj := getattr(nn, name))
            and issubclass(obj, nn.Module) and obj is not nn.Module}


@dataclass
class Case:
    """A layer with a valid input shape, the output shape(s) its docstring promises, and bad
    input shapes, each with the expected shape its ValueError must name."""

    run: Callable[[tuple], object]
    good: tuple
    out: object
    bad: list[tuple[tuple, str]]


def rand(shape) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape)


def shapes(result):
    if isinstance(result, tuple):
        return tuple(shapes(r) for r in result)
    return np.shape(result)


sizes = st.integers(1, 5)


def elementwise(make):
    """Activations and dropout take any shape and keep it."""
    def case(draw):
        shape = tuple(draw(st.lists(sizes, min_size=1, max_size=4)))
        layer = make(draw)
        return Case(lambda s: layer.forward(rand(s)), shape, shape, [])
    return case


def linear(draw):
    n, i, o = draw(sizes), draw(sizes), draw(sizes)
    want = rf"\(N, {i}\)"
    return Case(lambda s: nn.Linear(i, o, seed=0).forward(rand(s)), (n, i), (n, o),
                [((i,), want), ((n, i, 1), want), ((n, i + 1), want)])


def sequential(draw):
    n, a, b, c = draw(sizes), draw(sizes), draw(sizes), draw(sizes)
    model = nn.Sequential(nn.Linear(a, b, seed=0), nn.ReLU(), nn.Linear(b, c, seed=1))
    return Case(lambda s: model.forward(rand(s)), (n, a), (n, c), [((n, a + 2), rf"\(N, {a}\)")])


def flatten(draw):
    shape = tuple(draw(st.lists(sizes, min_size=2, max_size=4)))
    return Case(lambda s: nn.Flatten().forward(rand(s)), shape, (shape[0], int(np.prod(shape[1:]))),
                [((shape[0],), r"\(N, \.\.\.\)")])


def images(draw, k_min=1):
    n, c = draw(sizes), draw(sizes)
    h, w = draw(st.integers(k_min, 9)), draw(st.integers(k_min, 9))
    return n, c, h, w


def conv2d(draw):
    n, c, h, w = images(draw)
    k = draw(st.integers(1, min(h, w)))
    stride, padding, out = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(sizes)
    size = lambda x: (x + 2 * padding - k) // stride + 1  # noqa: E731
    return Case(lambda s: nn.Conv2d(c, out, k, stride, padding, seed=0).forward(rand(s)), (n, c, h, w),
                (n, out, size(h), size(w)),
                [((c, h, w), r"\(N, C, H, W\)"), ((n, c + 1, h, w), rf"\(N, {c}, H, W\)")])


def pooling(layer):
    def case(draw):
        n, c, h, w = images(draw)
        k = draw(st.integers(1, min(h, w)))
        stride = draw(st.integers(1, 3))
        return Case(lambda s: layer(k, stride).forward(rand(s)), (n, c, h, w),
                    (n, c, (h - k) // stride + 1, (w - k) // stride + 1), [((n, c, h), r"\(N, C, H, W\)")])
    return case


def subsampling(draw):
    n, c, h, w = images(draw, k_min=2)
    return Case(lambda s: nn.Subsampling(c, 2, seed=0).forward(rand(s)), (n, c, h, w), (n, c, h // 2, w // 2),
                [((n, c + 1, h, w), rf"\(N, {c}, H, W\)"), ((c, h, w), rf"\(N, {c}, H, W\)")])


def contrast_norm(draw):
    shape = images(draw)
    return Case(lambda s: nn.LocalContrastNorm(3).forward(rand(s)), shape, shape,
                [(shape[1:], r"\(N, C, H, W\)")])


def recurrent(layer, state_shapes):
    def case(draw):
        T, N, i, h = draw(sizes), draw(sizes), draw(sizes), draw(sizes)
        want = rf"\(T, N, {i}\)"
        return Case(lambda s: layer(i, h, seed=0).forward(rand(s)), (T, N, i), ((T, N, h), state_shapes(N, h)),
                    [((T, N, i + 1), want), ((N, i), want), ((0, N, i), want)])
    return case


def cell(layer, state_shapes):
    def case(draw):
        N, i, h = draw(sizes), draw(sizes), draw(sizes)
        want = rf"\(N, {i}\)"
        return Case(lambda s: layer(i, h, seed=0).forward(rand(s)), (N, i), state_shapes(N, h),
                    [((N, i + 1), want), ((1, N, i), want)])
    return case


def cross_entropy(draw):
    n, c = draw(sizes), draw(st.integers(2, 5))
    labels = lambda m: np.arange(m) % c  # noqa: E731
    return Case(lambda s: nn.SoftmaxCrossEntropy().forward(rand(s), labels(s[0])), (n, c), (),
                [((c,), r"\(N, C\)"), ((n, c, 1), r"\(N, C\)")])


def mse(draw):
    shape = tuple(draw(st.lists(sizes, min_size=1, max_size=3)))
    target = rand(shape)
    return Case(lambda s: nn.MSELoss().forward(rand(s), target), shape, (),
                [((*shape, 2), re.escape(str(shape)))])


CASES = {
    "Linear": linear, "Sequential": sequential, "Flatten": flatten,
    "Sigmoid": elementwise(lambda draw: nn.Sigmoid()), "Tanh": elementwise(lambda draw: nn.Tanh()),
    "ReLU": elementwise(lambda draw: nn.ReLU()),
    "Dropout": elementwise(lambda draw: nn.Dropout(draw(st.sampled_from([0.0, 0.5, 0.9])), seed=0)),
    "Conv2d": conv2d, "MaxPool2d": pooling(nn.MaxPool2d), "AvgPool2d": pooling(nn.AvgPool2d),
    "L2Pool2d": pooling(nn.L2Pool2d), "Subsampling": subsampling, "LocalContrastNorm": contrast_norm,
    "RNN": recurrent(nn.RNN, lambda N, h: (N, h)), "LSTM": recurrent(nn.LSTM, lambda N, h: ((N, h), (N, h))),
    "RNNCell": cell(nn.RNNCell, lambda N, h: (N, h)), "LSTMCell": cell(nn.LSTMCell, lambda N, h: ((N, h), (N, h))),
    "SoftmaxCrossEntropy": cross_entropy, "MSELoss": mse,
}


def test_every_layer_has_a_shape_case():
    missing = sorted(set(layer_classes()) - set(CASES))
    assert not missing, f"add a shape case to tests/test_robustness.py for {missing}"


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_layer_shapes(name, data):
    case = CASES[name](data.draw)
    assert shapes(case.run(case.good)) == case.out
    for shape, expected in case.bad:
        with pytest.raises(ValueError) as error:
            case.run(shape)
        message = str(error.value)
        assert re.search(expected, message), f"{name}: {message!r} does not name the expected {expected!r}"
        assert str(shape) in message, f"{name}: {message!r} does not name the actual shape {shape}"


# -- dense layers, losses and their models: any array in, the right shape or our error out --------
OUR_WORDING = re.compile(r"expected (input of shape|a numeric numpy array|a gradient of shape|values in \[0, 1\]|"
                         r"prediction and target of the same shape|logits of shape)")
NOT_ARRAYS = [None, "x", 3.0, [[1.0, 2.0], [3.0]], ["a"], np.array([1 + 1j]), np.array(["a"]), np.array([None])]
ELEMENTS = {"float64": st.floats(-1e3, 1e3) | st.just(np.nan), "float32": st.floats(-1e3, 1e3, width=32),
            "int64": st.integers(-3, 3), "bool": st.booleans()}
any_shape = st.lists(st.integers(0, 4), max_size=4).map(tuple)  # N = 0 and 0-D included


def any_input(draw, valid_shapes=any_shape):
    """An array of any numeric dtype, of a valid shape or any shape, or something that is no numeric array."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(NOT_ARRAYS))
    dtype = draw(st.sampled_from(sorted(ELEMENTS)))
    shape = draw(st.one_of(valid_shapes, any_shape))
    return draw(hnp.arrays(dtype, shape, elements=ELEMENTS[dtype]))


def rows(width):
    return st.tuples(st.integers(0, 4), st.just(width))


def batch_of(width, out):
    return lambda shape: (shape[0], out) if len(shape) == 2 and shape[1] == width else None


DENSE = {  # name: (make, valid input shapes, output shape for an input shape or None if it must be refused)
    "Linear": (lambda: nn.Linear(3, 2, seed=0), rows(3), batch_of(3, 2)),
    "Sigmoid": (nn.Sigmoid, any_shape, lambda shape: shape),
    "Tanh": (nn.Tanh, any_shape, lambda shape: shape),
    "ReLU": (nn.ReLU, any_shape, lambda shape: shape),
    "Dropout": (lambda: nn.Dropout(0.5, seed=0), any_shape, lambda shape: shape),
    "Dropout (eval)": (lambda: nn.Dropout(0.5, seed=0).eval(), any_shape, lambda shape: shape),
    "MLP": (lambda: dlteach.models.MLP([3, 4, 2], "relu", seed=0), rows(3), batch_of(3, 2)),
    "Autoencoder": (lambda: dlteach.models.Autoencoder(3, 2, tied=True, seed=0), rows(3), batch_of(3, 3)),
    "RBM": (lambda: dlteach.models.RBM(3, 2, seed=0), rows(3), batch_of(3, 2)),  # values must lie in [0, 1]
}


def refused_in_our_words(run, must_refuse: bool):
    """``run()``'s result, or None when it raised a TypeError/ValueError in our words (and was meant to)."""
    try:
        return run()
    except (TypeError, ValueError) as error:
        assert must_refuse or "values in [0, 1]" in str(error), f"refused a valid input: {error!r}"
        assert OUR_WORDING.search(str(error)), f"not our wording: {error!r}"
        return None


@pytest.mark.parametrize("name", sorted(DENSE))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_dense_layers_give_the_right_shape_or_our_error_for_any_array(name, data):
    make, valid_shapes, out_shape = DENSE[name]
    layer, x = make(), any_input(data.draw, valid_shapes)
    expected = out_shape(x.shape) if isinstance(x, np.ndarray) and x.dtype.kind in "fiub" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy either
        out = refused_in_our_words(lambda: layer.forward(x), expected is None)
        if out is None or name == "RBM":  # the RBM has no backward pass
            return
        assert out.shape == expected
        assert layer.backward(np.ones(out.shape)).shape == x.shape
        for key, owner, param in layer.named_parameters():
            grad = owner.grads[param]
            assert grad.shape == owner.params[param].shape and (x.size or not grad.any()), key
        wrong = data.draw(any_shape.filter(lambda shape: shape != out.shape), label="wrong gradient shape")
        with pytest.raises(ValueError, match=r"backward expected a gradient of shape"):
            layer.backward(np.ones(wrong))


@pytest.mark.parametrize("name", ["SoftmaxCrossEntropy", "MSELoss"])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_losses_give_a_number_or_our_error_for_any_array(name, data):
    y = any_input(data.draw, st.tuples(st.integers(0, 4), st.integers(1, 4)))
    shape = np.shape(y) if isinstance(y, np.ndarray) else ()
    if name == "MSELoss":
        target = np.zeros(data.draw(st.one_of(st.just(shape), any_shape), label="target shape"))
        valid = target.shape == shape
    else:
        n, classes = (shape + (0, 0))[:2]
        labels = np.arange(n) % max(classes, 1)
        target = labels if data.draw(st.booleans(), label="labels") else np.eye(max(classes, 1))[labels]
        valid = len(shape) == 2 and classes >= 1
    valid &= isinstance(y, np.ndarray) and y.dtype.kind in "fiub"
    loss = getattr(nn, name)()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = refused_in_our_words(lambda: loss.forward(y, target), not valid)
        if value is None:
            return
        assert isinstance(value, float) and (value == 0.0 if y.size == 0 else value >= 0 or math.isnan(value))
        assert loss.backward().shape == shape


# -- the IDX parser and the MNIST cache ----------------------------------------------------
IDX_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
             np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


idx_arrays = st.builds(
    lambda dtype, shape, seed: np.random.default_rng(seed).integers(0, 100, shape).astype(dtype),
    st.sampled_from(list(IDX_CODES)), st.lists(st.integers(0, 4), min_size=1, max_size=3), st.integers(0, 9))


@settings(max_examples=60, deadline=None)
@given(array=idx_arrays, data=st.data())
def test_idx_round_trip_and_every_damage_is_a_clear_error(array, data):
    good = idx(array)
    np.testing.assert_array_equal(mnist.parse_idx(good), array)
    cut = data.draw(st.integers(0, len(good) - 1), label="truncate to")
    with pytest.raises(ValueError, match="truncated"):
        mnist.parse_idx(good[:cut], "f")
    with pytest.raises(ValueError, match="has extra bytes"):
        mnist.parse_idx(good + b"\x00", "f")
    magic = data.draw(st.sampled_from([b"\x01\x00", b"\x00\x01", b"\x1f\x8b"]), label="bad magic")
    with pytest.raises(ValueError, match=r"not an IDX file \(magic number"):
        mnist.parse_idx(magic + good[2:], "f")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_idx_parser_gives_an_array_or_a_value_error(data):
    try:
        assert isinstance(mnist.parse_idx(data), np.ndarray)
    except ValueError as error:
        assert str(error).startswith("IDX data:")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=200))
def test_a_failed_download_leaves_nothing_in_the_cache(tmp_path_factory, monkeypatch, payload):
    root = tmp_path_factory.mktemp("mnist")
    monkeypatch.setattr(mnist, "_fetch", lambda url: payload)  # wrong bytes from every mirror
    with pytest.raises(ConnectionError, match="it was not saved"):
        dlteach.data.load_mnist(root, download=True)
    assert list(root.iterdir()) == []


# -- no pickle, no network -----------------------------------------------------------------
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve"}


def pickle_uses(source: str, filename: str = "<code>") -> list[str]:
    """Lines that load or enable pickles: pickle-like imports, ``allow_pickle=True``,
    ``torch.load`` without ``weights_only=True``, ``read_pickle``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where} import {a.name}" for a in node.names if a.name.split(".")[0] in PICKLE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PICKLE_MODULES:
            found.append(f"{where} from {node.module} import …")
        elif isinstance(node, ast.Call):
            keywords = {k.arg: k.value for k in node.keywords}
            flag = keywords.get("allow_pickle")
            if flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False):
                found.append(f"{where} allow_pickle={ast.unparse(flag)}")
            func = ast.unparse(node.func)
            weights_only = keywords.get("weights_only")
            if func.endswith("torch.load") and not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
                found.append(f"{where} {func} without weights_only=True")
            if func.endswith("read_pickle"):
                found.append(f"{where} {func}")
    return found


def test_the_pickle_scanner_catches_each_form():
    snippets = ["import pickle", "from joblib import load", "np.load(f, allow_pickle=True)", "np.load(f, allow_pickle=flag)",
                "torch.load(f)", "torch.load(f, weights_only=False)", "pd.read_pickle(f)"]
    for snippet in snippets:
        assert pickle_uses(snippet), snippet
    assert not pickle_uses("np.load(f, allow_pickle=False)\ntorch.load(f, weights_only=True)\nnp.load(f)")


def test_no_pickle_anywhere_in_dlteach():
    package = Path(dlteach.__file__).parent
    found = [hit for path in sorted(package.rglob("*.py"))
             for hit in pickle_uses(path.read_text(encoding="utf-8"), str(path.relative_to(package.parent)))]
    assert not found, "pickle can run arbitrary code on load:\n" + "\n".join(found)


OFFLINE_SCRIPT = r"""
import importlib, inspect, json, pkgutil, socket, tempfile
attempts, problems = [], []

def refuse(*args, **kwargs):
    attempts.append(repr(args[1:] or args)[:200])
    raise OSError("the network is off for this test")

socket.socket.connect = socket.socket.connect_ex = socket.socket.sendto = refuse
socket.create_connection = socket.getaddrinfo = refuse

import dlteach
for info in pkgutil.walk_packages(dlteach.__path__, "dlteach."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)

import dlteach.data as data
ARGS = {"n": 8, "length": 6, "delay": 3, "root": tempfile.mkdtemp()}
for name, fn in sorted(vars(data).items()):
    if name.startswith("_") or not inspect.isfunction(fn):
        continue
    required = [p for p in inspect.signature(fn).parameters.values() if p.default is p.empty]
    unknown = [p.name for p in required if p.name not in ARGS]
    if unknown:
        problems.append(f"{name}: no test value for required parameter(s) {unknown}")
        continue
    try:
        fn(**{p.name: ARGS[p.name] for p in required})
    except FileNotFoundError:
        pass  # load_mnist without files and without download=True: it says where to put them
print(json.dumps({"attempts": attempts, "problems": problems}))
"""


def test_importing_dlteach_and_loading_data_offline_never_opens_a_socket():
    result = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == []
    assert report["attempts"] == [], f"network used without download=True: {report['attempts']}"
