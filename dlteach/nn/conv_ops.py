"""Convolution and pooling on NCHW batches, vectorised with im2col.

im2col lays every receptive field out as one column, so a whole convolution (all images,
all positions) becomes a matrix product W·cols. The columns are built in two steps, and the
big matrix is never copied out:

* ``rows[h]`` holds padded input row h with its kw horizontal shifts, the (C·kw) × (W_out·N)
  matrix of every strip a kernel row can see: rows[h, (c, q), (j, n)] = x[n, c, h, j·s + q];
* the im2col matrix of output row i is the kh strips rows[i·s], …, rows[i·s + kh − 1]: they
  lie one after the other in memory, so reading them as one (kh·C·kw) × (W_out·N) matrix is
  a view, and z[i] = W · cols[i] is one product per output row, all batched in one call.

The loops run over kernel offsets only, never over pixels or images. The batch axis goes last
in memory, so every copy moves runs of N contiguous numbers; a convolution returns its
(N, O, H_out, W_out) output (and its input's gradient) as a view in that batch-last order, the
layout the next convolution wants — as PyTorch's channels-last tensors keep their NCHW shape
in another memory order.

Like PyTorch (and the lecture), "convolution" is cross-correlation:
z[n, o, i, j] = b[o] + Σ_{c,p,q} W[o, c, p, q] · x[n, c, i·s + p, j·s + q].
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from .module import as_array, shape_error


def pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as ``(rows, cols)``, each a positive integer (``minimum=0``:
    a non-negative one, for padding); a ValueError naming ``name`` otherwise."""
    scalar = not isinstance(value, (tuple, list, np.ndarray)) or np.ndim(value) == 0
    values = (value, value) if scalar else tuple(value)
    if len(values) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    for i, v in enumerate(values):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < minimum:
            kind = "positive" if minimum == 1 else "non-negative"
            raise ValueError(f"{name if scalar else f'{name}[{i}]'} must be a {kind} integer, got {v!r}")
    return int(values[0]), int(values[1])


def output_size(size: int, k: int, s: int, p: int) -> int:
    """⌊(size + 2p − k) / s⌋ + 1 positions of a k-wide window with stride s and padding p."""
    return (size + 2 * p - k) // s + 1


def check_input(name: str, x, kernel, stride, padding, channels=None):
    """Validate an NCHW input against the (already checked) window geometry; returns x and
    the output size."""
    x = as_array(name, x)
    if x.ndim != 4:
        raise shape_error(name, "(N, C, H, W)", x)
    if channels is not None and x.shape[1] != channels:
        raise shape_error(name, f"(N, {channels}, H, W) with {channels} input channels", x)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    H, W = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    if kh > H or kw > W:
        raise ValueError(f"{name}: kernel {kh}×{kw} is larger than the padded input {H}×{W} "
                         f"(input {x.shape[2]}×{x.shape[3]}, padding {padding})")
    return x, (output_size(x.shape[2], kh, sh, ph), output_size(x.shape[3], kw, sw, pw))


def scratch(work, name: str, shape, dtype, zeros: bool = False) -> np.ndarray:
    """An array for intermediate results, kept in the dict ``work`` (if given) and reused by the next
    call with the same shapes: a layer keeps its ``work``, as fresh memory from the system costs more
    than the arithmetic here. ``zeros``: zero-filled when new, so the parts never written stay 0.
    Nothing handed back to the caller lives there but ``rows``, which only the layer's next forward
    pass overwrites."""
    buffer = None if work is None else work.get(name)
    if buffer is None or buffer.shape != tuple(shape) or buffer.dtype != dtype:
        buffer = (np.zeros if zeros else np.empty)(shape, dtype)
        if work is not None:
            work[name] = buffer
    return buffer


def taps(p: int, s: int, n: int) -> slice:
    """Where kernel offset p lands at the n output positions of a stride-s window: p, p + s, …, p + s·(n − 1)."""
    return slice(p, p + s * (n - 1) + 1, s)


def stacked(a: np.ndarray, k: int, s: int, n: int) -> np.ndarray:
    """The n matrices a[i·s : i·s + k], i = 0 … n − 1, of a C-contiguous a: k consecutive (r, m)
    entries read as one (k·r, m) matrix each — a view, nothing is copied."""
    return as_strided(a, (n, k * a.shape[1], a.shape[2]), (s * a.strides[0], *a.strides[1:]), writeable=False)


def blocks(size: int, per_column: int) -> list[slice]:
    """Column blocks of at most 10⁶ multiply-adds each (``per_column`` per column): BLAS multiplies
    matrices that small without repacking them, up to twice as fast (OpenBLAS's small-matrix kernels)."""
    step = max(1, 10**6 // per_column)
    return [slice(i, i + step) for i in range(0, size, step)]


def to_rows(x: np.ndarray, kw: int, sw: int, padding, Wo: int, work=None) -> np.ndarray:
    """rows[h, (c, q), (j, n)] = x_padded[n, c, h, j·sw + q], shape (H_padded, C·kw, W_out·N)."""
    (N, C, H, W), (ph, pw) = x.shape, padding
    xt = scratch(work, "x", (H + 2 * ph, C, W + 2 * pw, N), x.dtype, zeros=True)  # batch-last, zero-padded
    xt[ph:ph + H, :, pw:pw + W] = x.transpose(2, 1, 3, 0)
    rows = scratch(work, "rows", (len(xt), C * kw, Wo * N), x.dtype)
    for q in range(kw):  # the kw horizontal shifts of every input row
        rows.reshape(len(xt), C, kw, Wo, N)[:, :, q] = xt[:, :, taps(q, sw, Wo)]
    return rows


def conv2d_forward(x, weight, bias=None, stride=(1, 1), padding=(0, 0), work=None):
    """The convolution and what its backward pass needs: ``(z, rows)``. ``stride`` and
    ``padding`` are ints or (rows, cols) pairs; ``work``, see :func:`scratch`."""
    weight = as_array("conv2d weight", weight)
    if weight.ndim != 4:
        raise ValueError(f"conv2d expected weight of shape (out_channels, in_channels, kh, kw), got {weight.shape}")
    O, C, kh, kw = weight.shape
    kernel, stride, padding = pair((kh, kw), "kernel_size"), pair(stride, "stride"), pair(padding, "padding", 0)
    x, (Ho, Wo) = check_input("conv2d", x, kernel, stride, padding, channels=C)
    if bias is not None and np.shape(bias) != (O,):
        raise ValueError(f"conv2d expected bias of shape ({O},), got {np.shape(bias)}")
    rows = to_rows(x, kw, stride[1], padding, Wo, work)
    cols = stacked(rows, kh, stride[0], Ho)  # the im2col matrix of each output row, (kh·C·kw) × (W_out·N)
    Wm = weight.astype(rows.dtype, copy=False).transpose(0, 2, 1, 3).reshape(O, kh * C * kw)  # columns (p, c, q)
    z = np.empty((Ho, O, Wo * len(x)), dtype=rows.dtype)
    for b in blocks(Wo * len(x), Wm.size):  # Wm.size multiply-adds per column
        np.matmul(Wm, cols[:, :, b], out=z[:, :, b])  # z[i] = W · cols[i] for every output row i
    if bias is not None:
        z += np.asarray(bias, dtype=z.dtype)[:, None]
    return z.reshape(Ho, O, Wo, len(x)).transpose(3, 1, 0, 2), rows


def conv2d_backward(grad_out, rows, x_shape, weight, stride, padding, work=None):
    """δ of the convolution → (dx, dW, db), for ``stride`` and ``padding`` pairs.

    dW correlates δ with the inputs: Σ_i cols[i] · δ[i]ᵀ over the output rows i. dx sends δ back
    through the same weights: input row h fed output row i = (h − p) / s through kernel row p, so
    its strips get Σ_p W[:, :, p, :]ᵀ · δ[(h − p) / s] — one product per input row, with δ spread
    out by the stride (zeros between and around) — and each strip's shifts go back to the pixels
    they came from: the error is "deconvolved" onto the layer below.
    """
    O, C, kh, kw = weight.shape
    N, _, Ho, Wo = grad_out.shape
    (sh, sw), (ph, pw), (H, W) = stride, padding, x_shape[2:]
    Hp, M = len(rows), Wo * N
    spread = scratch(work, "spread", (Hp + kh - 1, O, M), grad_out.dtype, zeros=True)  # δ[i] at row kh − 1 + i·s
    d = spread[taps(kh - 1, sh, Ho)]
    d.reshape(Ho, O, Wo, N)[...] = grad_out.transpose(2, 1, 3, 0)  # batch-last, like z
    dT = scratch(work, "dT", (Ho, M, O), d.dtype)
    dT[...] = d.transpose(0, 2, 1)
    cols, fed = stacked(rows, kh, sh, Ho), stacked(spread, kh, 1, Hp)  # fed[h]: δ of the rows that input row h fed
    Wflip = weight[:, :, ::-1].astype(d.dtype).transpose(1, 3, 2, 0).reshape(C * kw, kh * O)
    drows = scratch(work, "drows", rows.shape, d.dtype)
    dW = np.zeros((kh * C * kw, O), dtype=np.result_type(rows, d))
    for b in blocks(M, Wflip.size):
        dW += (cols[:, :, b] @ dT[:, b]).sum(axis=0)  # Σ_i cols[i] · δ[i]ᵀ, as (kh·C·kw, O)
        np.matmul(Wflip, fed[:, :, b], out=drows[:, :, b])  # drows[h] = Σ_p W[:, :, p, :]ᵀ · δ[(h − p) / s]
    dx = np.zeros((H + 2 * ph, C, W + 2 * pw, N), dtype=d.dtype)
    drows = drows.reshape(Hp, C, kw, Wo, N)
    dx[:, :, taps(0, sw, Wo)] = drows[:, :, 0]
    for q in range(1, kw):  # each horizontal shift back where it came from
        dx[:, :, taps(q, sw, Wo)] += drows[:, :, q]
    dW = np.ascontiguousarray(dW.T.reshape(O, kh, C, kw).transpose(0, 2, 1, 3))
    return dx[ph:ph + H, :, pw:pw + W].transpose(3, 1, 0, 2), dW, d.sum(axis=(0, 2))


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """2-D convolution (cross-correlation) of x (N, C, H, W) with W (O, C, kh, kw), like
    ``torch.nn.functional.conv2d``; ``stride`` and ``padding`` are ints or (rows, cols) pairs."""
    return conv2d_forward(x, weight, bias, stride, padding)[0]


# -- pooling -----------------------------------------------------------------

def pool_geometry(name: str, kernel_size, stride=None, padding=0):
    """Window, stride (the window by default) and padding of a pooling, checked: like PyTorch,
    the padding may be at most half the window, so every window holds a pixel of the input."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding", 0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel size {kernel}")
    return kernel, stride, padding


def pool_windows(name: str, x, kernel, stride, padding=(0, 0), fill=0.0):
    """Every window of x padded with ``fill`` as the last axis: (N, C, H_out, W_out, kh·kw), plus
    the input's shape."""
    x, (Ho, Wo) = check_input(name, x, kernel, stride, padding)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill) if ph or pw else x
    win = sliding_window_view(padded, kernel, axis=(2, 3))[:, :, ::sh, ::sw]
    return win.reshape(*x.shape[:2], Ho, Wo, kh * kw), x.shape


def unpool(dwin: np.ndarray, x_shape, kernel, stride, padding=(0, 0)) -> np.ndarray:
    """Send each window's error (N, C, H_out, W_out, kh·kw) back to its pixels: the pooling layer
    "upsamples" δ. Windows that overlap add up; the padding is cut off."""
    N, C, Ho, Wo, _ = dwin.shape
    (kh, kw), (sh, sw), (ph, pw), (H, W) = kernel, stride, padding, x_shape[2:]
    dwin = dwin.reshape(N, C, Ho, Wo, kh, kw)
    dx = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dwin.dtype)
    for p in range(kh):
        for q in range(kw):
            dx[:, :, taps(p, sh, Ho), taps(q, sw, Wo)] += dwin[..., p, q]
    return dx[:, :, ph:ph + H, pw:pw + W]


def max_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Largest value of each window (stride defaults to the kernel size; the padding is −∞), like torch's."""
    geometry = pool_geometry("max_pool2d", kernel_size, stride, padding)
    return pool_windows("max_pool2d", x, *geometry, fill=-np.inf)[0].max(axis=-1)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """Mean of each window, (1 / kh·kw) Σ x; padded zeros count, as torch's default count_include_pad."""
    return pool_windows("avg_pool2d", x, *pool_geometry("avg_pool2d", kernel_size, stride, padding))[0].mean(axis=-1)


def l2_pool2d(x, kernel_size, stride=None, padding=0) -> np.ndarray:
    """√(Σ x²) over each window (zero padding), like ``torch.nn.functional.lp_pool2d`` with norm 2."""
    win = pool_windows("l2_pool2d", x, *pool_geometry("l2_pool2d", kernel_size, stride, padding))[0]
    return np.sqrt(np.einsum("...k,...k->...", win, win))
