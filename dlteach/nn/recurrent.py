"""Recurrent layers over sequences shaped (T, N, features), trained by backpropagation through time.

Unfolded in time, a recurrent layer is a deep feed-forward net whose layers all share
the same weights. The forward pass builds up a stack of the hidden states h_1 … h_T;
the backward pass peels them off from the last step to the first, and each weight's
gradient is the sum of its gradients at all time steps.

Parameters follow ``torch.nn.RNN`` / ``torch.nn.LSTM`` (one layer): ``weight_ih`` (G·H, I),
``weight_hh`` (G·H, H), ``bias_ih`` and ``bias_hh`` (G·H,), all uniform in ±1/√H, with
G = 1 for the RNN and G = 4 gates in the order input, forget, cell, output for the LSTM.
PyTorch names them ``weight_ih_l0`` …; ``dlteach.torch_ref.torch_recurrent`` copies across.
"""

from __future__ import annotations

import numpy as np

from .module import Module, as_array, positive_int, rng_from, shape_error


class _Recurrent(Module):
    """Shared by RNN and LSTM: parameters, shape checks, and the weight gradients of BPTT."""

    n_gates = 1

    def __init__(self, input_size: int, hidden_size: int, seed=None):
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        rng = rng_from(seed)
        bound = 1.0 / np.sqrt(hidden_size)
        G, H = self.n_gates * hidden_size, hidden_size
        for key, shape in (("weight_ih", (G, input_size)), ("weight_hh", (G, H)),
                           ("bias_ih", (G,)), ("bias_hh", (G,))):
            self.params[key] = rng.uniform(-bound, bound, shape)
        self.dh_norms = None

    def _check_input(self, x) -> np.ndarray:
        x = as_array(type(self).__name__, x)
        if x.ndim != 3 or x.shape[2] != self.input_size or 0 in x.shape:
            raise shape_error(type(self).__name__, f"(T, N, {self.input_size}) with T, N ≥ 1", x)
        return x

    def _check_state(self, name: str, s, like: np.ndarray) -> np.ndarray:
        N = like.shape[1]
        if s is None:
            return np.zeros((N, self.hidden_size), dtype=like.dtype)
        s = as_array(f"{type(self).__name__} {name}", s)
        if s.shape != (N, self.hidden_size):
            raise shape_error(f"{type(self).__name__} {name}", f"(N, H) = ({N}, {self.hidden_size})", s)
        return s

    def _check_grad(self, name: str, g, shape: tuple) -> np.ndarray:
        if g is None:
            return np.zeros(shape, dtype=self.x.dtype)
        g = as_array(f"{type(self).__name__} backward {name}", g)
        if g.shape != shape:
            raise shape_error(f"{type(self).__name__} backward {name}", str(shape), g)
        return g

    def _start_backward(self, grad_outputs):
        if not hasattr(self, "x"):
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        T, N, _ = self.x.shape
        return self._check_grad("grad_outputs", grad_outputs, (T, N, self.hidden_size))

    def _weight_grads(self, da: np.ndarray) -> np.ndarray:
        """Given δ = ∂L/∂a_t for the pre-activations at every step (T, N, G·H), sum each weight's
        gradient over the time steps (one matrix product over all T·N rows) and return ∂L/∂x."""
        T, N, G = da.shape
        flat = da.reshape(T * N, G)
        self.grads["weight_ih"] = flat.T @ self.x.reshape(T * N, -1)
        self.grads["weight_hh"] = flat.T @ self.h[:-1].reshape(T * N, -1)  # h_{t−1} for each step t
        self.grads["bias_ih"] = flat.sum(axis=0)
        self.grads["bias_hh"] = self.grads["bias_ih"].copy()
        return da @ self.params["weight_ih"]

    def _input_terms(self, x: np.ndarray) -> np.ndarray:
        """x_t W_ihᵀ + b_ih + b_hh for every step at once; only the h_{t−1} W_hhᵀ term needs the loop."""
        return x @ self.params["weight_ih"].T + (self.params["bias_ih"] + self.params["bias_hh"])

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}"


class RNN(_Recurrent):
    """h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) with φ = tanh or ReLU, like ``torch.nn.RNN``.

    ``forward(x (T, N, I), state=None)`` → ``(outputs (T, N, H), h_T (N, H))``; the state h_0
    defaults to zeros. ``backward(grad_outputs, grad_state=None)`` → ∂L/∂x (T, N, I), fills
    ``grads``, ``grad_state_in`` (∂L/∂h_0) and ``dh_norms`` (T,), the norm of ∂L/∂h_t at each step.
    In the lecture's unfolded picture W_ih is U (input → hidden) and W_hh is W (hidden → hidden);
    the output weights V belong to the layer that reads h_t (e.g. a ``Linear``).
    """

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", seed=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, seed)
        self.nonlinearity = nonlinearity

    def forward(self, x, state=None):
        self.x = x = self._check_input(x)
        h0 = self._check_state("state", state, x)
        a = self._input_terms(x)
        W_hh = self.params["weight_hh"]
        self.h = np.empty((x.shape[0] + 1, *h0.shape), dtype=a.dtype)  # h_0 … h_T
        self.h[0] = h0
        for t in range(x.shape[0]):
            a_t = a[t] + self.h[t] @ W_hh.T
            self.h[t + 1] = np.tanh(a_t) if self.nonlinearity == "tanh" else np.maximum(a_t, 0)
        return self.h[1:].copy(), self.h[-1].copy()

    def backward(self, grad_outputs, grad_state=None):
        grad_outputs = self._start_backward(grad_outputs)
        T = grad_outputs.shape[0]
        W_hh, h = self.params["weight_hh"], self.h
        dphi = 1.0 - h[1:] ** 2 if self.nonlinearity == "tanh" else (h[1:] > 0).astype(h.dtype)
        da = np.empty_like(dphi)
        dh = self._check_grad("grad_state", grad_state, h[0].shape)  # ∂L/∂h_T from beyond the sequence
        self.dh_norms = np.empty(T)
        for t in reversed(range(T)):
            dh = dh + grad_outputs[t]  # ∂L/∂h_t: from the output at t and from step t + 1
            self.dh_norms[t] = np.linalg.norm(dh)
            da[t] = dh * dphi[t]
            dh = da[t] @ W_hh  # the backward pass is linear in dh
        self.grad_state_in = dh
        return self._weight_grads(da)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class LSTM(_Recurrent):
    """Long short-term memory, like ``torch.nn.LSTM`` (one layer), gates in the order i, f, g, o:

        i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh
        c_t = f ⊙ c_{t−1} + i ⊙ g        (keep the old cell, write the new content)
        h_t = o ⊙ tanh(c_t)              (read the cell)

    ``forward(x (T, N, I), state=None)`` → ``(outputs (T, N, H), (h_T, c_T))``; the state
    (h_0, c_0) defaults to zeros. After forward, ``gates`` maps "input", "forget", "cell",
    "output" to their activations at every step (T, N, H) and ``cells`` holds c_1 … c_T.
    ``backward(grad_outputs, grad_state=None)`` (``grad_state`` = (∂L/∂h_T, ∂L/∂c_T) or None)
    → ∂L/∂x, filling ``grads``, ``grad_state_in`` = (∂L/∂h_0, ∂L/∂c_0), and the norms of ∂L/∂h_t
    and ∂L/∂c_t at each step in ``dh_norms`` and ``dc_norms`` (T,): the error flows back along c.
    """

    n_gates = 4
    gate_names = ("input", "forget", "cell", "output")

    def forward(self, x, state=None):
        self.x = x = self._check_input(x)
        if state is not None and not (isinstance(state, tuple) and len(state) == 2):
            raise TypeError(f"{type(self).__name__} state must be a tuple (h, c), got {type(state).__name__}")
        h0, c0 = (None, None) if state is None else state
        h0, c0 = self._check_state("state h", h0, x), self._check_state("state c", c0, x)
        a = self._input_terms(x)
        W_hh, H = self.params["weight_hh"], self.hidden_size
        T, N = x.shape[:2]
        self.h = np.empty((T + 1, N, H), dtype=a.dtype)  # h_0 … h_T
        self.c = np.empty((T + 1, N, H), dtype=a.dtype)  # c_0 … c_T
        self.acts = np.empty((T, N, 4 * H), dtype=a.dtype)  # i, f, g, o side by side
        self.tanh_c = np.empty((T, N, H), dtype=a.dtype)
        self.h[0], self.c[0] = h0, c0
        # σ(z) = (1 + tanh(z/2)) / 2, so with s = 1/2 for the σ gates and s = 1 for g one tanh
        # evaluates all four: s·tanh(s·z) + 1 − s (and it never overflows)
        s = np.full(4 * H, 0.5, dtype=a.dtype)
        s[2 * H:3 * H] = 1.0
        for t in range(T):
            z = a[t] + self.h[t] @ W_hh.T
            act = self.acts[t]
            np.tanh(z * s, out=act)
            act *= s
            act += 1.0 - s
            i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            self.c[t + 1] = f * self.c[t] + i * g
            np.tanh(self.c[t + 1], out=self.tanh_c[t])
            self.h[t + 1] = o * self.tanh_c[t]
        return self.h[1:].copy(), (self.h[-1].copy(), self.c[-1].copy())

    @property
    def gates(self) -> dict[str, np.ndarray]:
        H = self.hidden_size
        return {name: self.acts[..., k * H:(k + 1) * H] for k, name in enumerate(self.gate_names)}

    @property
    def cells(self) -> np.ndarray:
        return self.c[1:]

    def backward(self, grad_outputs, grad_state=None):
        grad_outputs = self._start_backward(grad_outputs)
        if grad_state is not None and not (isinstance(grad_state, tuple) and len(grad_state) == 2):
            raise TypeError(f"{type(self).__name__} grad_state must be a tuple (dh, dc), "
                            f"got {type(grad_state).__name__}")
        dh_T, dc_T = (None, None) if grad_state is None else grad_state
        T, H, W_hh = grad_outputs.shape[0], self.hidden_size, self.params["weight_hh"]
        dh = self._check_grad("grad_state h", dh_T, self.h[0].shape)
        dc = self._check_grad("grad_state c", dc_T, self.h[0].shape)
        da = np.empty_like(self.acts)
        self.dh_norms, self.dc_norms = np.empty(T), np.empty(T)
        for t in reversed(range(T)):
            dh = dh + grad_outputs[t]  # ∂L/∂h_t: from the output at t and from step t + 1
            self.dh_norms[t] = np.linalg.norm(dh)
            act, tanh_c = self.acts[t], self.tanh_c[t]
            i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            dc = dc + dh * o * (1.0 - tanh_c**2)  # ∂L/∂c_t: through h_t and from c_{t+1}
            self.dc_norms[t] = np.linalg.norm(dc)
            d = da[t]
            d[:, :H] = dc * g * i * (1.0 - i)                   # input gate
            d[:, H:2 * H] = dc * self.c[t] * f * (1.0 - f)      # forget gate
            d[:, 2 * H:3 * H] = dc * i * (1.0 - g**2)           # cell candidate
            d[:, 3 * H:] = dh * tanh_c * o * (1.0 - o)          # output gate
            dh, dc = d @ W_hh, dc * f
        self.grad_state_in = (dh, dc)
        return self._weight_grads(da)


class LSTMCell(LSTM):
    """One step of the LSTM, like ``torch.nn.LSTMCell`` (same parameter names, no ``_l0``).

    ``forward(x (N, I), state=None)`` → ``(h, c)``, each (N, H); ``gates`` then maps "input",
    "forget", "cell", "output" to this step's activations (N, H). ``backward(grad_h, grad_c=None)``
    → ∂L/∂x (N, I), filling ``grads`` and ``grad_state_in`` = (∂L/∂h_prev, ∂L/∂c_prev).
    """

    def forward(self, x, state=None):
        x = as_array("LSTMCell", x)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise shape_error("LSTMCell", f"(N, {self.input_size})", x)
        _, new_state = super().forward(x[None], state)
        return new_state

    @property
    def gates(self) -> dict[str, np.ndarray]:
        return {name: value[-1] for name, value in super().gates.items()}

    def backward(self, grad_h, grad_c=None):
        return super().backward(None, (grad_h, grad_c))[0]
