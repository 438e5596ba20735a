"""Convolution, pooling, LeNet-5: the lecture's worked example, gradient checks, PyTorch parity."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlteach.data import load_digits
from dlteach.gradcheck import check_module
from dlteach.models import c3_table, lenet5, small_cnn, train_small_cnn
from dlteach.nn import (AvgPool2d, Conv2d, Flatten, L2Pool2d, LocalContrastNorm, MaxPool2d,
                        Subsampling, summary)
from dlteach.nn import functional as F
from dlteach.optim import SGD
from dlteach.torch_ref import grads_of, torch_cnn
from dlteach.train import accuracy

IMAGE = np.array([[int(c) for c in row] for row in "100001 010010 001100 100010 010010 001010".split()], float)
KERNEL1 = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
KERNEL2 = np.array([[-1, 1, -1], [-1, 1, -1], [-1, 1, -1]], float)


# -- the lecture's worked example (seed 004) ------------------------------------------------

def test_seed_example_stride_1_both_kernels():
    z = F.conv2d(IMAGE[None, None], np.stack([KERNEL1, KERNEL2])[:, None])
    np.testing.assert_array_equal(z[0, 0], [[3, -1, -3, -1], [-3, 1, 0, -3], [-3, -3, 0, 1], [3, -2, -2, -1]])
    np.testing.assert_array_equal(z[0, 1], [[-1, -1, -1, -1], [-1, -1, -2, 1], [-1, -1, -2, 1], [-1, 0, -4, 3]])


def test_seed_example_stride_2():
    z = F.conv2d(IMAGE[None, None], KERNEL1[None, None], stride=2)
    np.testing.assert_array_equal(z[0, 0], [[3, -3], [-3, 0]])


def test_seed_example_max_pooling():
    z = F.conv2d(IMAGE[None, None], np.stack([KERNEL1, KERNEL2])[:, None])
    pooled = F.max_pool2d(z, 2)
    np.testing.assert_array_equal(pooled[0, 0], [[3, 0], [3, 1]])
    np.testing.assert_array_equal(pooled[0, 1], [[-1, 1], [0, 3]])
    np.testing.assert_array_equal(F.avg_pool2d(z, 2)[0, 0], [[0, -1.75], [-1.25, -0.5]])
    np.testing.assert_allclose(F.l2_pool2d(z, 2)[0, 0], np.sqrt([[20, 19], [31, 6]]))


# -- functional ops against torch ---------------------------------------------------------

CONV_CASES = [  # (N, C, H, W, out, kernel, stride, padding)
    (2, 4, 6, 6, 2, 3, 1, 0),              # the seed's 4 → 2 channels
    (3, 4, 7, 5, 2, 3, 2, 1),              # non-square input, stride 2, padding 1
    (2, 3, 9, 8, 5, (3, 2), (2, 1), (1, 2)),  # non-square kernel, stride and padding pairs
    (1, 1, 5, 5, 3, 5, 1, 2),              # kernel as large as the input, 'same' padding
    (2, 2, 8, 6, 4, 1, 3, 0),              # 1×1 kernel, stride larger than the kernel
]


@pytest.mark.parametrize("N, C, H, W, O, k, s, p", CONV_CASES)
def test_conv2d_matches_torch_outputs_and_gradients(N, C, H, W, O, k, s, p):
    rng = np.random.default_rng(0)
    layer = Conv2d(C, O, k, stride=s, padding=p, seed=1)
    x = rng.standard_normal((N, C, H, W))
    z = layer.forward(x)
    g = rng.standard_normal(z.shape)
    dx = layer.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.params["weight"], requires_grad=True)
    bt = torch.tensor(layer.params["bias"], requires_grad=True)
    zt = TF.conv2d(xt, wt, bt, stride=s, padding=p)
    zt.backward(torch.tensor(g))
    np.testing.assert_allclose(z, zt.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], wt.grad.numpy(), rtol=0, atol=1e-11)
    np.testing.assert_allclose(layer.grads["bias"], bt.grad.numpy(), rtol=0, atol=1e-11)
    np.testing.assert_allclose(F.conv2d(x, layer.params["weight"], layer.params["bias"], s, p), z, atol=1e-14)


POOLS = [(MaxPool2d, TF.max_pool2d), (AvgPool2d, TF.avg_pool2d),
         (L2Pool2d, lambda x, k, s: TF.lp_pool2d(x, 2, k, s))]
POOL_GEOMETRY = [(2, None), (3, 2), (2, 1), ((2, 3), (1, 2)), (3, 3)]


@pytest.mark.parametrize("layer_cls, torch_fn", POOLS)
@pytest.mark.parametrize("kernel, stride", POOL_GEOMETRY)
def test_pooling_matches_torch_outputs_and_gradients(layer_cls, torch_fn, kernel, stride):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 8))
    layer = layer_cls(kernel, stride)
    a = layer.forward(x)
    g = rng.standard_normal(a.shape)
    dx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    at = torch_fn(xt, kernel, stride)
    at.backward(torch.tensor(g))
    np.testing.assert_allclose(a, at.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)
    functional = {MaxPool2d: F.max_pool2d, AvgPool2d: F.avg_pool2d, L2Pool2d: F.l2_pool2d}[layer_cls]
    np.testing.assert_allclose(functional(x, kernel, stride), a, atol=1e-14)


def test_l2_pool_of_an_all_zero_window_has_zero_gradient():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = 3.0
    layer = L2Pool2d(2)
    np.testing.assert_array_equal(layer.forward(x)[0, 0], [[3, 0], [0, 0]])
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    assert np.all(np.isfinite(dx)) and dx[0, 0, 0, 0] == 1.0 and dx.sum() == 1.0


def test_max_pool_gradient_goes_to_the_maximum_only():
    x = np.array([[[[1.0, 5.0], [2.0, 3.0]]]])
    layer = MaxPool2d(2)
    assert layer.forward(x).item() == 5.0
    np.testing.assert_array_equal(layer.backward(np.array([[[[7.0]]]])), [[[[0, 7], [0, 0]]]])


# -- gradient checks --------------------------------------------------------------------

LAYERS = [
    lambda: Conv2d(4, 2, 3, seed=0),
    lambda: Conv2d(4, 3, (3, 2), stride=(2, 1), padding=(1, 2), seed=0),
    lambda: Conv2d(4, 2, 2, stride=3, padding=1, seed=0),
    lambda: Conv2d(4, 3, 3, padding=1, seed=0, connections=[[1, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1]]),
    lambda: MaxPool2d(2),
    lambda: MaxPool2d(3, 1),
    lambda: AvgPool2d((2, 3), (1, 2)),
    lambda: L2Pool2d(2),
    lambda: L2Pool2d(3, 2),
    lambda: Flatten(),
    lambda: Subsampling(4, 2, seed=0),
    lambda: LocalContrastNorm(3),
    lambda: LocalContrastNorm(5, sigma=1.5, c=0.5),
]


@pytest.mark.parametrize("make", LAYERS)
def test_gradient_check(make):
    x = np.random.default_rng(3).standard_normal((2, 4, 7, 6))
    errors = check_module(make(), x)
    assert max(errors.values()) <= 1e-7, errors


# -- layers with torch twins: subsampling, partial connections, LCN -------------------

def assert_twin_agrees(model, x):
    theirs = torch_cnn(model).train(model.training)
    out = model.forward(x)
    g = np.random.default_rng(4).standard_normal(out.shape)
    dx = model.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    theirs_grads = grads_of(theirs)
    names = [name for name, _, _ in model.named_parameters()]
    assert sorted(theirs_grads) == sorted(names)
    for name, owner, key in model.named_parameters():
        np.testing.assert_allclose(owner.grads[key], theirs_grads[name], rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("modern", [False, True])
def test_lenet5_matches_its_torch_twin(modern):
    x = np.random.default_rng(5).standard_normal((3, 1, 32, 32))
    assert_twin_agrees(lenet5(modern=modern, seed=0), x)


def test_small_cnn_and_lcn_match_their_torch_twins():
    from dlteach.nn import Dropout, Linear, ReLU, Sequential, Tanh
    rng = np.random.default_rng(6)
    assert_twin_agrees(small_cnn(seed=0), rng.standard_normal((4, 1, 8, 8)))
    lcn_net = Sequential(Conv2d(2, 3, 3, padding=1, seed=0), Tanh(), LocalContrastNorm(3), L2Pool2d(2), Flatten())
    assert_twin_agrees(lcn_net, rng.standard_normal((2, 2, 6, 8)))
    dropout_net = Sequential(Conv2d(1, 2, 3, seed=0), ReLU(), Flatten(), Dropout(0.5, seed=0), Linear(72, 3, seed=0))
    assert_twin_agrees(dropout_net.eval(), rng.standard_normal((2, 1, 8, 8)))  # eval mode: no random masks


def test_lcn_output_is_locally_centred_and_scaled():
    x = np.random.default_rng(7).normal(5.0, 3.0, (1, 2, 16, 16))
    y = LocalContrastNorm(5, sigma=2.0, c=0.01).forward(x)
    assert abs(y.mean()) < 0.1 and 0.5 < y.std() < 1.5  # the offset 5 and scale 3 are gone


def test_masked_weights_stay_zero_after_training_steps():
    layer = Conv2d(6, 16, 5, seed=0, connections=c3_table())
    opt = SGD(layer, lr=0.1, momentum=0.9)
    x = np.random.default_rng(8).standard_normal((2, 6, 5, 5))
    for _ in range(3):
        layer.forward(x)
        layer.backward(np.ones((2, 16, 1, 1)))
        opt.step()
    assert np.all(layer.params["weight"][~c3_table()] == 0)
    assert layer.num_parameters() == 60 * 25 + 16


# -- dtype, bad input ------------------------------------------------------------------------

def test_float32_stays_float32():
    layer = Conv2d(3, 4, 3, padding=1, seed=0).astype(np.float32)
    x = np.ones((2, 3, 5, 5), np.float32)
    z = layer.forward(x)
    assert z.dtype == np.float32 and layer.backward(z).dtype == np.float32
    assert layer.grads["weight"].dtype == np.float32 and MaxPool2d(2).forward(x).dtype == np.float32


def test_bad_shapes_raise_clear_errors():
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"kernel 5×5 is larger than the padded input 4×4"):
        F.conv2d(x, np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"kernel 7×7 is larger than the padded input 6×6"):
        Conv2d(2, 1, 7, padding=1).forward(x)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\).*got \(1, 2, 4, 4\)"):
        Conv2d(3, 1, 3).forward(x)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(2, 4, 4\)"):
        F.conv2d(x[0], np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"weight of shape \(out_channels, in_channels, kh, kw\), got \(2, 3, 3\)"):
        F.conv2d(x, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"bias of shape \(1,\), got \(2,\)"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"kernel and stride ≥ 1 and padding ≥ 0, got kernel \(3, 3\), stride \(0, 0\)"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), stride=0)
    with pytest.raises(ValueError, match=r"got kernel \(0, 2\)"):
        F.avg_pool2d(x, (0, 2))
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints, got 1.5"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), stride=1.5)
    with pytest.raises(ValueError, match=r"kernel 5×5 is larger than the padded input 4×4"):
        MaxPool2d(5).forward(x)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(4, 4\)"):
        F.max_pool2d(x[0, 0], 2)
    with pytest.raises(ValueError, match=r"connection table of shape \(16, 6\), got \(6, 16\)"):
        Conv2d(6, 16, 5, connections=c3_table().T)
    with pytest.raises(TypeError, match="numeric numpy array"):
        Conv2d(1, 1, 3).forward("image")


# -- LeNet-5 ---------------------------------------------------------------------------------

def test_c3_connection_table_is_the_papers_table_1():
    table = c3_table()
    assert table.sum() == 60 and list(table.sum(axis=1)) == [3] * 6 + [4] * 9 + [6]
    np.testing.assert_array_equal(np.flatnonzero(table[4]), [0, 4, 5])       # wraps around 5 → 0
    np.testing.assert_array_equal(np.flatnonzero(table[11]), [0, 1, 2, 5])
    np.testing.assert_array_equal(np.flatnonzero(table[14]), [0, 2, 3, 5])   # non-contiguous
    np.testing.assert_array_equal(np.flatnonzero(table[:, 0]), [0, 4, 5, 6, 9, 10, 11, 12, 14, 15])


def test_lenet5_summary_reproduces_the_papers_counts(capsys):
    rows = summary(lenet5(seed=0), (1, 32, 32))
    by_name = {r["name"]: r for r in rows}
    expected = {"C1": (156, 122_304, (6, 28, 28)), "S2": (12, 5_880, (6, 14, 14)),
                "C3": (1_516, 151_600, (16, 10, 10)), "S4": (32, 2_000, (16, 5, 5)),
                "C5": (48_120, 48_120, (120, 1, 1)), "F6": (10_164, 10_164, (84,))}
    for name, (params, connections, shape) in expected.items():
        row = by_name[name]
        assert (row["params"], row["connections"], row["output_shape"]) == (params, connections, shape), name
    assert rows[-1]["output_shape"] == (10,)
    assert set(rows[0]) == {"name", "layer", "output_shape", "params", "connections"}
    printed = capsys.readouterr().out
    assert "C3 Conv2d" in printed and "151,600" in printed and "1,516" in printed


def test_modern_lenet5_and_summary_leave_train_mode_alone():
    model = lenet5(modern=True, seed=0)
    rows = summary(model, (1, 32, 32), verbose=False)
    assert [r["layer"] for r in rows if r["name"] in ("S2", "S4")] == ["MaxPool2d", "MaxPool2d"]
    assert {r["name"]: r["params"] for r in rows}["C3"] == 2_416  # fully connected C3: 6·16·25 + 16
    assert all(m.training for _, m in model.named_modules())
    assert model.forward(np.zeros((2, 1, 32, 32))).shape == (2, 10)


def test_small_cnn_reaches_98_percent_on_the_digits():
    data = load_digits(images=True)
    model = train_small_cnn(epochs=20, seed=0)
    assert accuracy(model, data.X_test.astype(np.float32), data.y_test) >= 0.98
    assert accuracy(model, data.X_train.astype(np.float32), data.y_train) == 1.0


# -- lesson 8: exercises, drawing, the feature-map explorer -----------------------------------

def test_lesson_8_exercise_keys_are_the_libraries_answers():
    from dlteach.exercises import check
    feature_map = F.conv2d(IMAGE[None, None], KERNEL1[None, None])
    pool = MaxPool2d(2)
    pool.forward(feature_map)
    assert check("08.1", pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))[0, 0])
    x = np.zeros((1, 1, 32, 32))
    x = F.conv2d(F.max_pool2d(F.conv2d(x, np.zeros((1, 1, 5, 5)), padding=2), 2), np.zeros((1, 1, 3, 3)), stride=2)
    assert check("08.2", x.shape[-1])
    row = summary(Conv2d(3, 96, 11, stride=4), (3, 227, 227), verbose=False)[0]
    assert row["output_shape"] == (96, 55, 55)
    assert check("08.3", [row["params"], row["connections"]])
    assert not check("08.3", [34_848, 105_415_200])  # forgetting the biases is wrong


def test_shift_image_moves_and_fills_with_zeros():
    from dlteach.widgets.feature_maps import shift_image
    image = np.arange(1.0, 10.0).reshape(1, 3, 3)
    np.testing.assert_array_equal(shift_image(image, 1, -1)[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    np.testing.assert_array_equal(shift_image(image, 0, 0), image)
    assert not shift_image(image, 3, 0).any()


def test_feature_map_explorer_at_its_extremes():
    from dlteach.train import predict
    from dlteach.widgets.feature_maps import FeatureMapExplorer, shift_image
    data = load_digits(images=True)
    model = small_cnn(seed=0)
    explorer = FeatureMapExplorer(model, data.X_test[:20], data.y_test[:20])
    for index, rows, cols in [(0, 0, 0), (19, 3, 3), (5, -3, -3), (7, 3, -3), (0, -3, 0)]:
        message = explorer.update(index=index, shift_rows=rows, shift_cols=cols)
        shifted = shift_image(data.X_test[index], rows, cols)[None]
        right = predict(model, shifted)[0] == data.y_test[index]
        assert (message == "") == right and (right or message.startswith("Misread"))
    assert explorer.png().startswith(b"\x89PNG")
    assert all(m.training for _, m in model.named_modules())  # the explorer leaves train mode alone
    with pytest.raises(ValueError, match="index must be in 0..19, got 20"):
        explorer.update(index=20)
    with pytest.raises(TypeError, match="no control 'shift'"):
        explorer.update(shift=1)


def test_feature_maps_and_filters_are_drawn():
    import matplotlib.pyplot as plt
    from dlteach.viz.conv import layer_outputs, plot_feature_maps, plot_filters
    model = small_cnn(seed=0)
    image = np.random.default_rng(9).random((1, 8, 8))
    outputs = layer_outputs(model, image)
    assert [a.shape for _, a in outputs][:4] == [(1, 8, 8), (16, 8, 8), (16, 8, 8), (16, 4, 4)]
    np.testing.assert_allclose(outputs[-1][1], model.forward(image[None])[0])
    fig = plot_feature_maps(model, image, title="test")
    assert len(fig.axes) == 7  # the input and six stacks of maps
    plt.close(fig)
    fig, ax = plt.subplots()
    plot_filters(ax, model[3].params["weight"])
    assert ax.images[0].get_array().shape == (32 * 4 - 1, 16 * 4 - 1)  # 32 rows of 16 kernels 3×3, 1 px apart
    plt.close(fig)
    with pytest.raises(ValueError, match=r"weight of shape \(out, in, kh, kw\), got \(16, 9\)"):
        plot_filters(ax, np.zeros((16, 9)))
    with pytest.raises(ValueError, match=r"one image of shape \(C, H, W\), got \(2, 1, 8, 8\)"):
        layer_outputs(model, np.zeros((2, 1, 8, 8)))
