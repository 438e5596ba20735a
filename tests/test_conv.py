"""Convolution, pooling, LeNet-5: the lecture's worked example, gradient checks, PyTorch parity."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from dlteach.data import load_digits
from dlteach.gradcheck import check_module
from dlteach.models import c3_table, lenet5, small_cnn, train_small_cnn
from dlteach.nn import (AvgPool2d, Conv2d, Flatten, L2Pool2d, LocalContrastNorm, MaxPool2d, Sequential,
                        Subsampling, summary)
from dlteach.nn import functional as F
from dlteach.nn.conv_ops import pair
from dlteach.optim import SGD
from dlteach.torch_ref import copy_to_torch, grads_of, torch_cnn
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


def torch_pool(layer_cls, x, kernel, stride, padding):
    """PyTorch's pooling of x with padding; L2: torch's lp_pool2d has no padding, so pad with zeros first."""
    if layer_cls is L2Pool2d:
        (ph, pw) = (padding, padding) if np.ndim(padding) == 0 else padding
        return TF.lp_pool2d(TF.pad(x, (pw, pw, ph, ph)), 2, kernel, stride)
    return {MaxPool2d: TF.max_pool2d, AvgPool2d: TF.avg_pool2d}[layer_cls](x, kernel, stride, padding)


def assert_pool_matches_torch(layer_cls, x, kernel, stride, padding, seed=0):
    layer = layer_cls(kernel, stride, padding)
    a = layer.forward(x)
    g = np.random.default_rng(seed).standard_normal(a.shape)
    dx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    at = torch_pool(layer_cls, xt, kernel, stride, padding)
    at.backward(torch.tensor(g))
    np.testing.assert_allclose(a, at.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)
    functional = {MaxPool2d: F.max_pool2d, AvgPool2d: F.avg_pool2d, L2Pool2d: F.l2_pool2d}[layer_cls]
    np.testing.assert_array_equal(functional(x, kernel, stride, padding), a)


@pytest.mark.parametrize("layer_cls", [MaxPool2d, AvgPool2d, L2Pool2d])
@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 1), (3, 1, 1), (3, 2, (1, 0)), ((2, 3), (1, 2), (1, 1)),
                                                     (4, 3, 2), (5, 1, (2, 1))])
def test_padded_pooling_matches_torch_outputs_and_gradients(layer_cls, kernel, stride, padding):
    x = np.random.default_rng(10).standard_normal((2, 3, 7, 8))
    assert_pool_matches_torch(layer_cls, x, kernel, stride, padding)


def test_max_pool_pads_with_minus_infinity_and_avg_pool_counts_the_zeros():
    x = -np.arange(1.0, 5.0).reshape(1, 1, 2, 2)  # all negative: a zero padding would win every max
    np.testing.assert_array_equal(F.max_pool2d(x, 2, 1, 1)[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, 2, 1)[0, 0], [[-1 / 4, -2 / 4], [-3 / 4, -4 / 4]])
    np.testing.assert_array_equal(F.l2_pool2d(x, 2, 2, 1)[0, 0], [[1, 2], [3, 4]])
    layer = MaxPool2d(2, 1, 1)
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 3, 3)))[0, 0], [[4, 2], [2, 1]])  # no δ is lost


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_pooling_of_any_geometry_matches_torch(data):
    kernel = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    shape = (data.draw(st.integers(0, 2)), data.draw(st.integers(1, 3)),
             *(data.draw(st.integers(max(1, k - 2 * p), 9)) for k, p in zip(kernel, padding)))
    x = np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(shape)
    assert_pool_matches_torch(data.draw(st.sampled_from([MaxPool2d, AvgPool2d, L2Pool2d])), x, kernel, stride, padding)


@pytest.mark.parametrize("make", [lambda: MaxPool2d(3, padding=2), lambda: AvgPool2d((2, 4), padding=(1, 3)),
                                  lambda: L2Pool2d(1, padding=1),
                                  lambda: F.max_pool2d(np.zeros((1, 1, 6, 6)), 3, padding=2),
                                  lambda: F.avg_pool2d(np.zeros((1, 1, 6, 6)), (2, 4), padding=(1, 3)),
                                  lambda: F.l2_pool2d(np.zeros((1, 1, 6, 6)), 1, padding=1)])
def test_pooling_padding_beyond_half_the_window_is_refused_like_torch(make):
    with pytest.raises(ValueError, match=r"padding \(\d, \d\) must be at most half the kernel size"):
        make()


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
    lambda: Conv2d(4, 2, (2, 3), stride=2, padding=(0, 1), bias=False, seed=0),
    lambda: MaxPool2d(2),
    lambda: MaxPool2d(3, 2, padding=1),
    lambda: AvgPool2d(3, 2, padding=(1, 0)),
    lambda: L2Pool2d(2, 1, padding=1),
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

def assert_same_passes(ours, theirs, x, atol):
    """Forward and backward (a random output gradient) agree with the torch twin's autograd."""
    out = ours.forward(x)
    g = np.random.default_rng(4).standard_normal(out.shape)
    dx = ours.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=atol)


def assert_twin_agrees(model, x):
    theirs = torch_cnn(model).train(model.training)
    assert_same_passes(model, theirs, x, atol=1e-10)
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
    with pytest.raises(ValueError, match=r"^stride must be a positive integer, got 0$"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), stride=0)
    with pytest.raises(ValueError, match=r"^kernel_size\[0\] must be a positive integer, got 0$"):
        F.avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match=r"^kernel_size\[1\] must be a positive integer, got 0$"):
        F.conv2d(x, np.zeros((1, 2, 3, 0)))
    with pytest.raises(ValueError, match=r"^stride must be a positive integer, got 1.5$"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), stride=1.5)
    with pytest.raises(ValueError, match=r"^padding\[1\] must be a non-negative integer, got -1$"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), padding=(0, -1))
    with pytest.raises(ValueError, match=r"kernel 5×5 is larger than the padded input 4×4"):
        MaxPool2d(5).forward(x)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got \(4, 4\)"):
        F.max_pool2d(x[0, 0], 2)
    with pytest.raises(ValueError, match=r"connection table of shape \(16, 6\), got \(6, 16\)"):
        Conv2d(6, 16, 5, connections=c3_table().T)
    with pytest.raises(TypeError, match="numeric numpy array"):
        Conv2d(1, 1, 3).forward("image")


# -- bias=False ---------------------------------------------------------------------------------

def test_conv_without_bias_matches_torch_and_counts_no_biases():
    layer = Conv2d(3, 4, 3, stride=2, padding=1, bias=False, seed=0)
    assert list(layer.params) == ["weight"] and repr(layer).endswith("padding=(1, 1), bias=False)")
    x = np.random.default_rng(11).standard_normal((2, 3, 7, 6))
    theirs = copy_to_torch(layer, torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False))  # strict: no bias key
    assert_same_passes(layer, theirs, x, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], theirs.weight.grad.numpy(), rtol=0, atol=1e-12)
    assert list(layer.grads) == ["weight"]
    row = summary(Sequential(layer), (3, 7, 6), verbose=False)[0]
    assert (row["params"], row["connections"]) == (4 * 3 * 9, 4 * 3 * 9 * 4 * 3)  # no "+1" for a bias
    partial = Conv2d(6, 16, 5, bias=False, connections=c3_table())
    assert partial.num_parameters() == 60 * 25 and Conv2d(6, 16, 5).num_parameters() == 16 * 6 * 25 + 16


def test_bias_free_convs_and_padded_pools_match_their_torch_twins():
    model = Sequential(Conv2d(1, 6, 5, bias=False, seed=0), MaxPool2d(2, padding=1),
                       Conv2d(6, 16, 3, bias=False, seed=1, connections=c3_table()), AvgPool2d(3, 2, 1),
                       L2Pool2d(2, padding=1), Flatten())
    assert_twin_agrees(model, np.random.default_rng(13).standard_normal((2, 1, 16, 16)))


# -- bad input, empty batches ---------------------------------------------------------------------

CONV_FAMILY = {  # a layer and an input it takes
    "Conv2d": (lambda: Conv2d(3, 4, 3, padding=1, seed=0), (2, 3, 6, 5)),
    "MaxPool2d": (lambda: MaxPool2d(2, padding=1), (2, 3, 6, 5)),
    "AvgPool2d": (lambda: AvgPool2d(3, 2), (2, 3, 6, 5)),
    "L2Pool2d": (lambda: L2Pool2d(2), (2, 3, 6, 5)),
    "Flatten": (lambda: Flatten(), (2, 3, 6, 5)),
    "Subsampling": (lambda: Subsampling(3, 2, seed=0), (2, 3, 6, 5)),
    "LocalContrastNorm": (lambda: LocalContrastNorm(3), (2, 3, 6, 5)),
}


@pytest.mark.parametrize("name", CONV_FAMILY)
def test_backward_before_forward_says_so(name):
    make, shape = CONV_FAMILY[name]
    with pytest.raises(RuntimeError, match=rf"^{name}.backward called before forward: call forward first$"):
        make().backward(np.ones(shape))


@pytest.mark.parametrize("name", CONV_FAMILY)
def test_a_gradient_of_the_wrong_shape_is_refused_not_broadcast(name):
    make, shape = CONV_FAMILY[name]
    layer = make()
    out = layer.forward(np.ones(shape)).shape
    for wrong in [out[1:], (1, *out[1:]), (*out[:-1], 1), (*out, 1)]:  # each would broadcast against the output
        with pytest.raises(ValueError, match=rf"^{name} backward expected a gradient of shape "
                                             rf"{re.escape(str(out))} \(the shape of its output\), got "
                                             rf"{re.escape(str(wrong))}$"):
            layer.backward(np.ones(wrong))
    assert layer.backward(np.ones(out)).shape == shape  # the layer still works after a refusal


@pytest.mark.parametrize("name", CONV_FAMILY)
def test_an_empty_batch_flows_forward_and_backward(name):
    make, shape = CONV_FAMILY[name]
    layer = make()
    out = layer.forward(np.zeros((0, *shape[1:])))
    full = make().forward(np.ones(shape)).shape
    assert out.shape == (0, *full[1:])
    dx = layer.backward(np.zeros(out.shape))
    assert dx.shape == (0, *shape[1:])
    assert all(grad.shape == layer.params[key].shape and not grad.any() for key, grad in layer.grads.items())


@pytest.mark.parametrize("model, shape", [(lambda: lenet5(seed=0), (1, 32, 32)),
                                          (lambda: lenet5(modern=True, seed=0), (1, 32, 32)),
                                          (lambda: small_cnn(seed=0), (1, 8, 8))])
def test_models_take_an_empty_batch(model, shape):
    net = model()
    logits = net.forward(np.zeros((0, *shape)))
    assert logits.shape == (0, 10)
    assert net.backward(np.zeros((0, 10))).shape == (0, *shape)
    assert all(not grad.any() for _, owner, key in net.named_parameters() for grad in [owner.grads[key]])


BAD_SIZES = [0, -2, 2.5, True, "3"]  # (a pooling stride of None means: the kernel size)


@pytest.mark.parametrize("value", BAD_SIZES)
@pytest.mark.parametrize("make, name", [
    (lambda v: Conv2d(v, 2, 3), "in_channels"), (lambda v: Conv2d(2, v, 3), "out_channels"),
    (lambda v: Conv2d(2, 2, v), "kernel_size"), (lambda v: Conv2d(2, 2, 3, stride=v), "stride"),
    (lambda v: MaxPool2d(v), "kernel_size"), (lambda v: AvgPool2d(2, v), "stride"),
    (lambda v: L2Pool2d(v), "kernel_size"), (lambda v: Subsampling(v), "channels"),
    (lambda v: Subsampling(2, v), "kernel_size"), (lambda v: LocalContrastNorm(v), "kernel_size"),
])
def test_sizes_must_be_positive_integers(make, name, value):
    with pytest.raises(ValueError, match=rf"^{name} must be a positive integer, got {re.escape(repr(value))}$"):
        make(value)


@pytest.mark.parametrize("value, message", [
    (-1, r"^padding must be a non-negative integer, got -1$"),
    (True, r"^padding must be a non-negative integer, got True$"),
    (0.5, r"^padding must be a non-negative integer, got 0.5$"),
    ((1, -1), r"^padding\[1\] must be a non-negative integer, got -1$"),
    ((1, 2, 3), r"^padding must be an int or a pair of ints, got \(1, 2, 3\)$")])
def test_padding_may_be_zero_but_not_negative_or_bool(value, message):
    for make in (lambda: Conv2d(2, 2, 3, padding=value), lambda: MaxPool2d(2, padding=value)):
        with pytest.raises(ValueError, match=message):
            make()
    assert Conv2d(2, 2, 3, padding=0).padding == (0, 0) and AvgPool2d(2, padding=(0, 1)).padding == (0, 1)


def test_contrast_norm_needs_an_odd_window_and_positive_sigma_and_c():
    with pytest.raises(ValueError, match=r"^LocalContrastNorm needs an odd kernel_size, got 4$"):
        LocalContrastNorm(4)
    with pytest.raises(ValueError, match=r"^sigma must be a number in \(0, inf\), got 0$"):
        LocalContrastNorm(3, sigma=0)
    with pytest.raises(ValueError, match=r"^c must be a number in \(0, inf\), got -0.1$"):
        LocalContrastNorm(3, c=-0.1)
    with pytest.raises(TypeError, match=r"^sigma must be a number, got str '1'$"):
        LocalContrastNorm(3, sigma="1")


def test_pair_takes_ints_and_pairs_of_them():
    assert pair(3, "k") == (3, 3) and pair((2, np.int64(5)), "k") == (2, 5) and pair(np.array([1, 4]), "k") == (1, 4)
    assert all(type(v) is int for v in pair(np.int32(2), "k")) and pair(0, "p", 0) == (0, 0)
    with pytest.raises(ValueError, match=r"^k\[0\] must be a positive integer, got 1.0$"):
        pair([1.0, 2], "k")
    with pytest.raises(ValueError, match=r"^k must be an int or a pair of ints, got \[1\]$"):
        pair([1], "k")


# -- fast paths: buffers reused between calls, never handed out ----------------------------------

def test_reused_buffers_never_change_what_a_layer_returned():
    layer = Conv2d(3, 4, 3, padding=1, seed=0)
    rng = np.random.default_rng(14)
    x1, x2 = rng.standard_normal((2, 2, 3, 5, 6))
    z1 = layer.forward(x1)
    dx1 = layer.backward(np.ones(z1.shape))
    kept = z1.copy(), dx1.copy(), {k: v.copy() for k, v in layer.grads.items()}
    grads1 = dict(layer.grads)
    layer.forward(x2)
    layer.backward(np.full(z1.shape, 2.0))
    np.testing.assert_array_equal(z1, kept[0])
    np.testing.assert_array_equal(dx1, kept[1])
    for key in grads1:
        np.testing.assert_array_equal(grads1[key], kept[2][key])
    np.testing.assert_array_equal(layer.forward(x1), z1)  # the same input gives the same numbers again


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_convolution_of_any_geometry_matches_torch(data):
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    stride = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    padding = (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
    N, C, O = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    H, W = (data.draw(st.integers(max(1, k - 2 * p), 8)) for k, p in zip((kh, kw), padding))
    bias = data.draw(st.booleans())
    layer = Conv2d(C, O, (kh, kw), stride, padding, bias=bias, seed=data.draw(st.integers(0, 9)))
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    x = rng.standard_normal((N, C, H, W))
    z = layer.forward(x)
    g = rng.standard_normal(z.shape)
    dx = layer.backward(g)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(layer.params["weight"], requires_grad=True)
    bt = torch.tensor(layer.params["bias"], requires_grad=True) if bias else None
    zt = TF.conv2d(xt, wt, bt, stride, padding)
    zt.backward(torch.tensor(g))
    np.testing.assert_allclose(z, zt.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], wt.grad.numpy(), rtol=0, atol=1e-11)
    if bias:
        np.testing.assert_allclose(layer.grads["bias"], bt.grad.numpy(), rtol=0, atol=1e-11)


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
    assert check("08.3", [34_944, 1]).score == 0.5     # the parameters right, the connections wrong: half
    model = lenet5(seed=0)

    def field(n):  # the width of the input patch that reaches one unit after LeNet-5's first n layers
        x = np.zeros((1, 1, 32, 32))
        for layer in model.layers[:n]:
            x = layer.forward(x)
        delta = np.zeros_like(x)
        delta[0, -1, x.shape[-1] // 2, x.shape[-1] // 2] = 1.0  # the last map of C3 sees all six S2 maps
        for layer in reversed(model.layers[:n]):
            delta = layer.backward(delta)
        rows, cols = np.nonzero(delta[0, 0])
        assert rows.max() - rows.min() == cols.max() - cols.min()
        return int(rows.max() - rows.min() + 1)

    assert check("08.4", [field(n) for n in (1, 3, 5, 7)])  # C1, S2, C3, S4
    assert check("08.4", [5, 6, 10, 16]).score == 0.75      # 5 + 5 for C3 forgets the subsampling
    a = np.array([0, 0, 60, 100, 60, 0, 0, 0.0])
    assert check("08.5", a[3] / (2 + 1e-4 * np.sum(a[1:6] ** 2)) ** 0.75)
    assert check("08.5", 37.3) and not check("08.5", 100 / 3 ** 0.75)


def test_shift_image_moves_and_fills_with_zeros():
    from dlteach.widgets.feature_maps import shift_image
    image = np.arange(1.0, 10.0).reshape(1, 3, 3)
    np.testing.assert_array_equal(shift_image(image, 1, -1)[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    np.testing.assert_array_equal(shift_image(image, 0, 0), image)
    assert not shift_image(image, 3, 0).any()


@pytest.fixture(scope="module")
def feature_maps():
    from dlteach.widgets.feature_maps import FeatureMapExplorer
    data = load_digits(images=True)
    return FeatureMapExplorer(small_cnn(seed=0), data.X_test[:20], data.y_test[:20])


def test_feature_map_explorer_at_its_extremes(feature_maps):
    from dlteach.train import predict
    from dlteach.widgets.feature_maps import shift_image
    data, explorer = load_digits(images=True), feature_maps
    for index, rows, cols in [(0, 0, 0), (19, 3, 3), (5, -3, -3), (7, 3, -3), (0, -3, 0)]:
        message = explorer.update(index=index, shift_rows=rows, shift_cols=cols)
        shifted = shift_image(data.X_test[index], rows, cols)
        np.testing.assert_array_equal(explorer.input[3:11, 3:11], shifted[0])  # what the network sees
        right = predict(explorer.model, shifted[None])[0] == data.y_test[index]
        assert (message == "") == right
        if not right:
            assert message.startswith("Misread") and (("Shifted by" in message) == bool(rows or cols))
    assert explorer.png().startswith(b"\x89PNG")
    assert all(m.training for _, m in explorer.model.named_modules())  # the explorer leaves train mode alone
    with pytest.raises(ValueError, match="index must be between 0 and 19, got 20"):
        explorer.update(index=20)
    with pytest.raises(TypeError, match="no control 'shift'"):
        explorer.update(shift=1)


def test_feature_map_explorer_shows_every_stage_with_its_colour_scale(feature_maps):
    explorer = feature_maps
    explorer.update(index=3, shift_rows=0, shift_cols=0)
    assert explorer.stage_titles == ["conv 1: 16 maps 8×8", "ReLU 1: 16 maps 8×8", "max pool 1: 16 maps 4×4",
                                     "conv 2: 32 maps 4×4", "ReLU 2: 32 maps 4×4", "max pool 2: 32 maps 2×2"]
    explorer.widget()
    explorer.picture()
    for panel, im, title in zip(explorer.live_maps.panels, explorer.stage_images, explorer.stage_titles):
        low, high = im.get_clim()  # one scale per stage, for every digit: ±(the largest |value| over them)
        assert low == -high and np.nanmax(np.abs(im.get_array())) <= high
        assert panel["title"] == title and len(panel["pixels"]) == 4 * panel["rows"] * panel["cols"]
        np.testing.assert_array_equal(  # the live picture has matplotlib's colours, pixel for pixel
            np.frombuffer(panel["pixels"], np.uint8).reshape(panel["rows"], panel["cols"], 4),
            np.rint(255 * im.to_rgba(im.get_array())).astype(np.uint8))
        ticks = {float(label.replace("\u2212", "-")): at for at, label in panel["scale"]["ticks"]}
        assert ticks[0.0] == 0.5 and len(ticks) >= 3  # the colour bar: 0 in the middle, +high at the top
        for value, at in ticks.items():
            assert at == pytest.approx((high - value) / (2 * high)) and abs(value) <= high
    # the true class is named over its bar, however small its probability
    label = int(explorer.labels[3])
    assert explorer.live_bar_labels.text[-1] == "true" and explorer.live_bar_labels.x[-1] == label
    np.testing.assert_allclose(explorer.live_bars.y, explorer.probs)
    assert explorer.live_bars.colors[label] == "#1b7f3b"


def test_painting_the_input_by_hand(feature_maps):
    explorer = feature_maps
    explorer.update(index=0, shift_rows=0, shift_cols=0)
    explorer.widget()
    grid = explorer.live_input
    assert grid.panels[0]["rows"] == grid.panels[0]["cols"] == 14 and grid.panels[0]["clickable"]
    assert grid.panels[0]["boxes"][0]["row"] == 3  # the orange frame: the 8×8 field the network sees
    assert "Draw a digit" not in explorer.clear() and explorer.message.startswith("The input field is empty")
    assert grid.panels[0]["colours"] == ["#ffffff"] * 196
    for row in range(4, 10):  # a vertical stroke, by drag
        grid._handle_custom_msg({"event": "cell", "panel": 0, "row": row, "col": 7, "drag": row > 4}, [])
    assert explorer.input[4:10, 7].tolist() == [1.0] * 6 and explorer.input.sum() == 6
    assert explorer.message.startswith("For your drawing the network says")
    assert grid.panels[0]["colours"][4 * 14 + 7] == "#000000"
    grid._handle_custom_msg({"event": "cell", "panel": 0, "row": 5, "col": 7, "drag": False}, [])  # starts on ink
    grid._handle_custom_msg({"event": "cell", "panel": 0, "row": 6, "col": 7, "drag": True}, [])
    assert explorer.input[4:10, 7].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    explorer.update(shift_cols=3)  # the drawing moves right; painted cells in the margin are drawn faint
    assert explorer.input[4, 10] == 1.0 and explorer.input[4, 7] == 0.0
    explorer.update(shift_cols=-3)
    assert explorer.input[4, 4] == 1.0
    explorer.update(shift_cols=0)
    for row, col in [(0, 0), (13, 13)]:  # the margin is paintable too, and shows faint
        explorer.ink(row, col)
        assert explorer.input[row, col] == pytest.approx(0.35)
    assert explorer.reload() == "Misread: the network says 4 (p = 0.11) for this 0. The network misreads 20 of the " \
                                "20 digits here: is it trained?"  # an untrained network
    np.testing.assert_array_equal(explorer.input[3:11, 3:11], explorer.images[0][0])
    assert explorer.ink(3, 3).startswith("Your painting")


def test_feature_map_messages_fit_the_situation():
    from dlteach.widgets.feature_maps import FeatureMapExplorer
    explorer = FeatureMapExplorer(train_small_cnn(epochs=5))  # the whole test split
    predicted = lambda: explorer.predicted  # noqa: E731
    wrong = next(i for i in range(len(explorer.images)) if explorer.update(index=i) != "")
    assert 0 < explorer.misread < 30
    assert explorer.message == (f"Misread: the network says {predicted()} (p = {explorer.probs[predicted()]:.2f}) "
                                f"for this {explorer.labels[wrong]}, unshifted: one of the {explorer.misread} of the "
                                "360 digits here it gets wrong.")
    assert "Shifted by (+1, +0) pixels" in explorer.update(shift_rows=1) or explorer.message == ""
    explorer.update(shift_rows=0)
    explorer.clear()
    explorer.ink(3, 3)
    explorer.update(shift_rows=-3, shift_cols=-3)  # the only ink has left the field
    assert explorer.message.endswith("Part of your drawing lies outside it: shift it back.")


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
    fig, ax = plt.subplots()
    weight = model[0].params["weight"]  # 16 kernels 1×3×3, on one colour scale: ±the largest |w|
    im = plot_filters(ax, weight, title="first layer", shared_scale=True)
    assert im.get_clim() == (-np.abs(weight).max(), np.abs(weight).max()) and ax.get_title() == "first layer"
    assert len(fig.axes) == 2  # and its colour bar
    plt.close(fig)
    with pytest.raises(ValueError, match=r"weight of shape \(out, in, kh, kw\), got \(16, 9\)"):
        plot_filters(ax, np.zeros((16, 9)))
    with pytest.raises(ValueError, match=r"one image of shape \(C, H, W\), got \(2, 1, 8, 8\)"):
        layer_outputs(model, np.zeros((2, 1, 8, 8)))
