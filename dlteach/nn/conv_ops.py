"""Convolution and pooling on NCHW batches, vectorised with im2col.

im2col lays every receptive field out as one column, so a whole convolution
(all images, all positions) becomes one matrix product W·cols. The loops that
remain run over the kernel offsets (p, q) only — kh·kw short steps, each moving
a whole (C, H_out, W_out, N) block — never over pixels or images.

Like PyTorch (and the lecture), "convolution" is cross-correlation:
z[n, o, i, j] = b[o] + Σ_{c,p,q} W[o, c, p, q] · x[n, c, i·s + p, j·s + q].
"""

from __future__ import annotations

import numpy as np

from .module import as_array, shape_error


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints as ``(rows, cols)``."""
    pair_ = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair_):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair_[0]), int(pair_[1])


def output_size(size: int, k: int, s: int, p: int) -> int:
    """⌊(size + 2p − k) / s⌋ + 1 positions of a k-wide window with stride s and padding p."""
    return (size + 2 * p - k) // s + 1


def check_input(name: str, x, kernel, stride, padding, channels=None):
    """Validate an NCHW input and the window geometry; returns x and the output size."""
    x = as_array(name, x)
    if x.ndim != 4:
        raise shape_error(name, "(N, C, H, W)", x)
    if channels is not None and x.shape[1] != channels:
        raise shape_error(name, f"(N, {channels}, H, W) with {channels} input channels", x)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError(f"{name} needs kernel and stride ≥ 1 and padding ≥ 0, "
                         f"got kernel {kernel}, stride {stride} and padding {padding}")
    H, W = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    if kh > H or kw > W:
        raise ValueError(f"{name}: kernel {kh}×{kw} is larger than the padded input {H}×{W} "
                         f"(input {x.shape[2]}×{x.shape[3]}, padding {padding})")
    return x, (output_size(x.shape[2], kh, sh, ph), output_size(x.shape[3], kw, sw, pw))


def pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    ph, pw = padding
    return x if ph == pw == 0 else np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def im2col(x: np.ndarray, kernel, stride, out_size) -> np.ndarray:
    """cols[c, p, q, i, j, n] = x[n, c, i·s + p, j·s + q] for an already padded x.

    Reshaped to (C·kh·kw, H_out·W_out·N), each column is one receptive field. The batch
    axis goes last: the one copy below then moves runs of N contiguous numbers.
    """
    (sh, sw), (Ho, Wo) = stride, out_size
    xt = np.ascontiguousarray(x.transpose(1, 2, 3, 0))  # (C, H, W, N)
    win = np.lib.stride_tricks.sliding_window_view(xt, kernel, axis=(1, 2))[:, :sh * Ho:sh, :sw * Wo:sw]
    return np.ascontiguousarray(win.transpose(0, 4, 5, 1, 2, 3)).reshape(-1, Ho * Wo * x.shape[0])


def col2im(cols: np.ndarray, x_shape, kernel, stride, padding, out_size) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column back onto the pixels it came from.

    Overlapping receptive fields receive the sum of their contributions; the padding is cut off.
    """
    (kh, kw), (sh, sw), (ph, pw), (Ho, Wo) = kernel, stride, padding, out_size
    N, C, H, W = x_shape
    cols = cols.reshape(C, kh, kw, Ho, Wo, N)
    dx = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            dx[:, p:p + sh * Ho:sh, q:q + sw * Wo:sw] += cols[:, p, q]
    return np.ascontiguousarray(dx[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2))


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """The convolution and what its backward pass needs: ``(z, cols)``."""
    weight = as_array("conv2d weight", weight)
    if weight.ndim != 4:
        raise ValueError(f"conv2d expected weight of shape (out_channels, in_channels, kh, kw), got {weight.shape}")
    O, C, kh, kw = weight.shape
    kernel, stride, padding = (kh, kw), pair(stride, "stride"), pair(padding, "padding")
    x, (Ho, Wo) = check_input("conv2d", x, kernel, stride, padding, channels=C)
    if bias is not None and np.shape(bias) != (O,):
        raise ValueError(f"conv2d expected bias of shape ({O},), got {np.shape(bias)}")
    cols = im2col(pad(x, padding), kernel, stride, (Ho, Wo))
    z = weight.reshape(O, -1).astype(cols.dtype, copy=False) @ cols  # the one product W·cols: (O, Ho·Wo·N)
    if bias is not None:
        z += np.asarray(bias, dtype=z.dtype)[:, None]
    return np.ascontiguousarray(z.reshape(O, Ho, Wo, -1).transpose(3, 0, 1, 2)), cols


def conv2d_backward(grad_out, cols, x_shape, weight, stride, padding):
    """δ of the convolution → (dx, dW, db).

    dW correlates δ with the inputs (δ · colsᵀ). dx sends δ back through the same
    weights: for every kernel offset (p, q), W[:, :, p, q]ᵀ · δ lands on the pixels
    that offset saw — the error is "deconvolved" onto the layer below.
    """
    O, C, kh, kw = weight.shape
    N, _, Ho, Wo = grad_out.shape
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    d = np.ascontiguousarray(grad_out.transpose(1, 2, 3, 0)).reshape(O, -1)  # (O, Ho·Wo·N), like cols
    dW = (cols @ d.T).T.reshape(weight.shape)  # = δ · colsᵀ; this orientation is the faster product
    db = d.sum(axis=1)
    W = weight.astype(d.dtype, copy=False)
    dx = np.zeros((C, x_shape[2] + 2 * ph, x_shape[3] + 2 * pw, N), dtype=d.dtype)
    for p in range(kh):
        for q in range(kw):  # col2im without the (C·kh·kw, Ho·Wo·N) matrix of dcols
            dx[:, p:p + sh * Ho:sh, q:q + sw * Wo:sw] += (W[:, :, p, q].T @ d).reshape(C, Ho, Wo, N)
    return np.ascontiguousarray(dx[:, ph:ph + x_shape[2], pw:pw + x_shape[3]].transpose(3, 0, 1, 2)), dW, db


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """2-D convolution (cross-correlation) of x (N, C, H, W) with W (O, C, kh, kw), like
    ``torch.nn.functional.conv2d``; ``stride`` and ``padding`` are ints or (rows, cols) pairs."""
    return conv2d_forward(x, weight, bias, stride, padding)[0]


# -- pooling -----------------------------------------------------------------

def pool_windows(name: str, x, kernel_size, stride):
    """Every pooling window as the last axis: (N, C, H_out, W_out, kh·kw), plus the input's shape."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    x, (Ho, Wo) = check_input(name, x, kernel, stride, (0, 0))
    (kh, kw), (sh, sw) = kernel, stride
    win = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::sh, ::sw]
    return win.reshape(*x.shape[:2], Ho, Wo, kh * kw), x.shape


def unpool(dwin: np.ndarray, x_shape, kernel, stride) -> np.ndarray:
    """Send each window's error (N, C, Ho, Wo, kh·kw) back to its pixels: the pooling layer
    "upsamples" δ. Windows that overlap add up."""
    N, C, Ho, Wo, _ = dwin.shape
    cols = dwin.reshape(N, C, Ho, Wo, *kernel).transpose(1, 4, 5, 2, 3, 0)  # (C, kh, kw, Ho, Wo, N)
    return col2im(cols, x_shape, kernel, stride, (0, 0), (Ho, Wo))


def max_pool2d(x, kernel_size, stride=None) -> np.ndarray:
    """Largest value of each window (stride defaults to the kernel size), like torch's."""
    win = pool_windows("max_pool2d", x, kernel_size, stride)[0]
    return win.max(axis=-1)


def avg_pool2d(x, kernel_size, stride=None) -> np.ndarray:
    """Mean of each window, (1 / kh·kw) Σ x."""
    win = pool_windows("avg_pool2d", x, kernel_size, stride)[0]
    return win.mean(axis=-1)


def l2_pool2d(x, kernel_size, stride=None) -> np.ndarray:
    """√(Σ x²) over each window, like ``torch.nn.functional.lp_pool2d`` with norm 2."""
    win = pool_windows("l2_pool2d", x, kernel_size, stride)[0]
    return np.sqrt(np.einsum("...k,...k->...", win, win))
