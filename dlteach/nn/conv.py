"""Convolutional layers: convolution, pooling, flattening, LeNet's trainable subsampling
and local contrast normalisation, each with its forward and backward pass."""

from __future__ import annotations

import math

import numpy as np

from . import conv_ops as ops
from .module import Module, as_array, check_grad, number_in, positive_int, rng_from, shape_error


class Conv2d(Module):
    """z = W ⊛ x + b with ``weight`` (out, in, kh, kw) and ``bias`` (out,), as ``torch.nn.Conv2d``
    (``bias=False``: no b). The output is a batch-last view, see :mod:`dlteach.nn.conv_ops`.

    Initialised like torch: uniform in ±1/√fan_in, fan_in = in·kh·kw. ``connections``, a
    boolean table (out, in), keeps only some input maps per output map (LeNet-5's C3):
    the other weights are held at zero and receive no gradient.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True,
                 seed=None, connections=None):
        super().__init__()
        self.in_channels = in_channels = positive_int("in_channels", in_channels)
        self.out_channels = out_channels = positive_int("out_channels", out_channels)
        self.kernel_size = ops.pair(kernel_size, "kernel_size")
        self.stride, self.padding = ops.pair(stride, "stride"), ops.pair(padding, "padding", 0)
        rng = rng_from(seed)
        bound = 1.0 / np.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.params["weight"] = rng.uniform(-bound, bound, (out_channels, in_channels, *self.kernel_size))
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, out_channels)
        self.mask, self.work = None, {}  # work: buffers kept between calls, see conv_ops.scratch
        if connections is not None:
            table = np.asarray(connections, dtype=bool)
            if table.shape != (out_channels, in_channels):
                raise ValueError(f"Conv2d expected a connection table of shape {(out_channels, in_channels)}, "
                                 f"got {table.shape}")
            self.mask = table[:, :, None, None]
            self.params["weight"] *= self.mask

    def masked_weight(self) -> np.ndarray:
        """W with the weights outside the connection table (if any) set to zero."""
        w = self.params["weight"]
        return w if self.mask is None else w * self.mask

    def forward(self, x):
        z, self.rows = ops.conv2d_forward(x, self.masked_weight(), self.params.get("bias"), self.stride,
                                          self.padding, self.work)
        self.x_shape, self.z_shape = np.shape(x), z.shape
        return z

    def backward(self, grad_out):
        rows, x_shape, z_shape = self.saved("rows", "x_shape", "z_shape")
        grad_out = check_grad("Conv2d", grad_out, z_shape)
        dx, dW, db = ops.conv2d_backward(grad_out, rows, x_shape, self.masked_weight(), self.stride, self.padding,
                                         self.work)
        self.grads["weight"] = dW if self.mask is None else dW * self.mask
        if "bias" in self.params:
            self.grads["bias"] = db
        return dx

    def num_parameters(self) -> int:
        """Free parameters: the weights the connection table keeps, plus the biases (if any)."""
        kh, kw = self.kernel_size
        kept = self.in_channels * self.out_channels if self.mask is None else int(self.mask.sum())
        return kept * kh * kw + (self.out_channels if "bias" in self.params else 0)

    def extra_repr(self):
        table = "" if self.mask is None else f", connections={int(self.mask.sum())}"
        bias = "" if "bias" in self.params else ", bias=False"
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}{bias}{table}")


class _Pool2d(Module):
    """Shared geometry of the pooling layers, padded like PyTorch's (at most half the window);
    a pooling layer has no parameters."""

    name, fill = "pool2d", 0.0  # the value of the padding

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = ops.pool_geometry(self.name, kernel_size, stride, padding)

    def windows(self, x):
        win, self.x_shape = ops.pool_windows(self.name, x, self.kernel_size, self.stride, self.padding, self.fill)
        self.out_shape = win.shape[:-1]
        return win

    def delta(self, grad_out):
        """δ, checked against the output's shape, with a window axis: (N, C, H_out, W_out, 1)."""
        return check_grad(self.name, grad_out, self.saved("out_shape"))[..., None]

    def unpool(self, dwin):
        """Each window's share of δ, (N, C, H_out, W_out, kh·kw), back onto the input's pixels."""
        return ops.unpool(dwin, self.saved("x_shape"), self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        padding = f", padding={self.padding}" if any(self.padding) else ""
        return f"kernel_size={self.kernel_size}, stride={self.stride}{padding}"


class MaxPool2d(_Pool2d):
    """max over each window (padded with −∞); δ goes back only to the position of the maximum."""

    name, fill = "MaxPool2d", -np.inf

    def forward(self, x):
        win = self.windows(x)
        self.argmax = win.argmax(axis=-1)
        return np.take_along_axis(win, self.argmax[..., None], axis=-1)[..., 0]

    def backward(self, grad_out):
        at_max = np.arange(math.prod(self.kernel_size)) == self.saved("argmax")[..., None]
        return self.unpool(at_max * self.delta(grad_out))


class AvgPool2d(_Pool2d):
    """(1 / kh·kw) Σ x over each window, padded zeros included (PyTorch's count_include_pad);
    δ is shared equally by the window."""

    name = "AvgPool2d"

    def forward(self, x):
        return self.windows(x).mean(axis=-1)

    def backward(self, grad_out):
        k = math.prod(self.kernel_size)
        delta = self.delta(grad_out)
        return self.unpool(np.broadcast_to(delta / k, (*delta.shape[:-1], k)))


class L2Pool2d(_Pool2d):
    """a = √(Σ x²) over each window (zero padding), so ∂a/∂x = x / a (taken as 0 where a = 0)."""

    name = "L2Pool2d"

    def forward(self, x):
        self.win = self.windows(x)
        self.a = np.sqrt(np.einsum("...k,...k->...", self.win, self.win))
        return self.a

    def backward(self, grad_out):
        win, a = self.saved("win", "a")
        a, delta = a[..., None], self.delta(grad_out)
        return self.unpool(win * np.where(a > 0, delta / np.where(a > 0, a, 1.0), 0.0))


class Flatten(Module):
    """(N, C, H, W) → (N, C·H·W), the bridge from feature maps to fully connected layers."""

    def forward(self, x):
        x = as_array("Flatten", x)
        if x.ndim < 2:
            raise shape_error("Flatten", "(N, ...)", x)
        self.x_shape = x.shape
        return x.reshape(len(x), math.prod(x.shape[1:]))  # not -1: an empty batch has no size to infer

    def backward(self, grad_out):
        x_shape = self.saved("x_shape")
        return check_grad("Flatten", grad_out, (x_shape[0], math.prod(x_shape[1:]))).reshape(x_shape)


class Subsampling(Module):
    """LeNet-5's trainable subsampling (S2, S4): z = w_c · Σ_window x + b_c for each map c.

    One coefficient ``weight`` (C,) and one ``bias`` (C,) per map; windows do not overlap.
    Initialised uniform in ±1/√(kh·kw), the torch rule for a unit with kh·kw inputs.
    """

    def __init__(self, channels: int, kernel_size=2, seed=None):
        super().__init__()
        self.channels = channels = positive_int("channels", channels)
        self.kernel_size = ops.pair(kernel_size, "kernel_size")
        rng = rng_from(seed)
        bound = 1.0 / np.sqrt(self.kernel_size[0] * self.kernel_size[1])
        self.params["weight"] = rng.uniform(-bound, bound, channels)
        self.params["bias"] = rng.uniform(-bound, bound, channels)

    def forward(self, x):
        x = as_array("Subsampling", x)
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise shape_error("Subsampling", f"(N, {self.channels}, H, W)", x)
        win, self.x_shape = ops.pool_windows("Subsampling", x, self.kernel_size, self.kernel_size)
        self.s = win.sum(axis=-1)  # Σ over each window
        return self.params["weight"][:, None, None] * self.s + self.params["bias"][:, None, None]

    def backward(self, grad_out):
        s, x_shape = self.saved("s", "x_shape")
        grad_out = check_grad("Subsampling", grad_out, s.shape)
        self.grads["weight"] = np.einsum("nchw,nchw->c", grad_out, s)
        self.grads["bias"] = grad_out.sum(axis=(0, 2, 3))
        ds = grad_out * self.params["weight"][:, None, None]
        dwin = np.broadcast_to(ds[..., None], (*ds.shape, math.prod(self.kernel_size)))
        return ops.unpool(dwin, x_shape, self.kernel_size, self.kernel_size)

    def extra_repr(self):
        return f"{self.channels}, kernel_size={self.kernel_size}"


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """A size×size Gaussian window whose weights sum to 1."""
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


class LocalContrastNorm(Module):
    """Local contrast normalisation (Jarrett et al. 2009), across all feature maps.

    Subtractive step: v = x − m, where m is the Gaussian-weighted mean of x over a
    k×k neighbourhood and all C maps — "just another convolution with fixed
    coefficients". Divisive step: y = v / √(c² + σ²), σ² the same local mean of v².
    (c smooths Jarrett's max(c, σ), so flat regions are not blown up.) Near the border
    the window is renormalised to the pixels that exist. No parameters.

    Not AlexNet's local response normalisation (Krizhevsky et al. 2012), which works across
    channels at one pixel: b_i = a_i / (k + α Σ_j a_j²)^β over the n channels next to i,
    with no mean subtracted and no spatial window.
    """

    def __init__(self, kernel_size: int = 5, sigma: float = 1.0, c: float = 0.1):
        super().__init__()
        self.kernel_size = positive_int("kernel_size", kernel_size)
        if self.kernel_size % 2 != 1:
            raise ValueError(f"LocalContrastNorm needs an odd kernel_size, got {kernel_size}")
        self.sigma, self.c = number_in("sigma", sigma, "(0, inf)"), number_in("c", c, "(0, inf)")
        self.window = gaussian_kernel(self.kernel_size, sigma)[None, None]

    def local_mean(self, a):
        """Σ_c Σ_pq w_pq a[c, i+p, j+q] / (C · Σ of the w inside the image): shape (N, 1, H, W)."""
        return ops.conv2d(a.mean(axis=1, keepdims=True), self.window.astype(a.dtype), padding=self.kernel_size // 2) \
            / self.norm

    def forward(self, x):
        x = as_array("LocalContrastNorm", x)
        if x.ndim != 4:
            raise shape_error("LocalContrastNorm", "(N, C, H, W)", x)
        ones = np.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
        self.norm = ops.conv2d(ones, self.window.astype(x.dtype), padding=self.kernel_size // 2)
        self.v = x - self.local_mean(x)
        self.d = np.sqrt(self.c**2 + self.local_mean(self.v**2))
        return self.v / self.d

    def backward(self, grad_out):
        v, d, norm = self.saved("v", "d", "norm")
        grad_out = check_grad("LocalContrastNorm", grad_out, v.shape)

        # The local mean is self-adjoint up to its renormalisation: symmetric window, 'same' padding.
        def local_mean_T(g):
            return ops.conv2d(g / norm, self.window.astype(g.dtype), padding=self.kernel_size // 2) / v.shape[1]

        dd = -(grad_out * v).sum(axis=1, keepdims=True) / d**2  # ∂L/∂d
        dv = grad_out / d + 2 * v * local_mean_T(dd / (2 * d))
        return dv - local_mean_T(dv.sum(axis=1, keepdims=True))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}, c={self.c}"
