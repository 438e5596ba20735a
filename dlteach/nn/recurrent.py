"""Recurrent layers over sequences shaped (T, N, features), trained by backpropagation through time.

Unfolded in time, a recurrent layer is a deep feed-forward net whose layers all share
the same weights. The forward pass builds up a stack of the hidden states h_1 … h_T;
the backward pass peels them off from the last step to the first, and each weight's
gradient is the sum of its gradients at all time steps.

Parameters follow ``torch.nn.RNN`` / ``torch.nn.LSTM`` (one layer): ``weight_ih`` (G·H, I),
``weight_hh`` (G·H, H), ``bias_ih`` and ``bias_hh`` (G·H,), all uniform in ±1/√H, with
G = 1 for the RNN and G = 4 gates in the order input, forget, cell, output for the LSTM.
PyTorch names them ``weight_ih_l0`` …; ``dlteach.torch_ref.torch_recurrent`` copies across.
``RNNCell`` and ``LSTMCell`` take one time step x (N, I), like PyTorch's cells.
"""

from __future__ import annotations

import numpy as np

from .module import Module, as_array, check_grad, positive_int, rng_from, shape_error


class _Recurrent(Module):
    """Shared by RNN and LSTM: parameters, checks, the input terms and the weight gradients of BPTT."""

    n_gates = 1
    one_step = False  # the cells take one step x (N, I) instead of a sequence (T, N, I)

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
        """x as (T, N, I), a cell's step (N, I) as (1, N, I). An empty batch (N = 0) is fine."""
        name, I = type(self).__name__, self.input_size
        x = as_array(name, x)
        if self.one_step:
            if x.ndim != 2 or x.shape[1] != I:
                raise shape_error(name, f"(N, {I})", x)
            return x[None]
        if x.ndim != 3 or x.shape[2] != I or x.shape[0] == 0:
            raise shape_error(name, f"(T, N, {I}) with T ≥ 1", x)
        return x

    def _check_state(self, name: str, s, like: np.ndarray) -> np.ndarray:
        N = like.shape[1]
        if s is None:
            return np.zeros((N, self.hidden_size), dtype=like.dtype)
        s = as_array(f"{type(self).__name__} {name}", s)
        if s.shape != (N, self.hidden_size):
            raise shape_error(f"{type(self).__name__} {name}", f"(N, H) = ({N}, {self.hidden_size})", s)
        return s

    def _grad(self, g, shape: tuple, dtype, of: str = "") -> np.ndarray:
        """The gradient of the outputs (or of the final state ``of``) as a new array that backward
        may change in place: checked by ``check_grad``, or zeros for None."""
        if g is None:
            return np.zeros(shape, dtype=dtype)
        return check_grad(f"{type(self).__name__} {of}".rstrip(), g, shape).astype(dtype)

    def _input_terms(self, x: np.ndarray) -> np.ndarray:
        """x_t W_ihᵀ + b_ih + b_hh of each gate at every step at once, (T, G, N, H): only the
        h_{t−1} W_hhᵀ term has to wait for the loop."""
        G, H, I = self.n_gates, self.hidden_size, self.input_size
        a = np.matmul(x[:, None], self.params["weight_ih"].reshape(G, H, I).transpose(0, 2, 1))
        a += (self.params["bias_ih"] + self.params["bias_hh"]).reshape(G, 1, H)
        return a

    def _weight_grads(self, da: np.ndarray) -> np.ndarray:
        """Given δ = ∂L/∂a_t for the pre-activations at every step (T, N, G·H), sum each weight's
        gradient over the time steps (one matrix product over all T·N rows) and return ∂L/∂x."""
        x, h = self.saved("x", "h")
        T, N, G = da.shape
        flat = da.reshape(T * N, G)
        self.grads["weight_ih"] = flat.T @ x.reshape(T * N, self.input_size)
        self.grads["weight_hh"] = flat.T @ h[:-1].reshape(T * N, self.hidden_size)  # h_{t−1} for each step t
        self.grads["bias_ih"] = flat.sum(axis=0)
        self.grads["bias_hh"] = self.grads["bias_ih"].copy()
        return da @ self.params["weight_ih"]

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
        x = self._check_input(x)
        h0 = self._check_state("state", state, x)
        a = self._input_terms(x)[:, 0]
        W_hh = self.params["weight_hh"]
        h = np.empty((x.shape[0] + 1, *h0.shape), dtype=a.dtype)  # h_0 … h_T
        h[0] = h0
        for t in range(x.shape[0]):
            a_t = a[t] + h[t] @ W_hh.T
            h[t + 1] = np.tanh(a_t) if self.nonlinearity == "tanh" else np.maximum(a_t, 0)
        self.x, self.h = x, h
        return h[1:].copy(), h[-1].copy()

    def backward(self, grad_outputs, grad_state=None):
        x, h = self.saved("x", "h")
        T, N, H = x.shape[0], x.shape[1], self.hidden_size
        grad_outputs = self._grad(grad_outputs, (T, N, H), h.dtype)
        dh = self._grad(grad_state, (N, H), h.dtype, of="state")  # ∂L/∂h_T from beyond the sequence
        W_hh = self.params["weight_hh"]
        dphi = 1.0 - h[1:] ** 2 if self.nonlinearity == "tanh" else (h[1:] > 0).astype(h.dtype)
        da = np.empty_like(dphi)
        dh_sq = np.empty(T, dtype=h.dtype)  # ‖∂L/∂h_t‖², the square roots after the loop
        for t in reversed(range(T)):
            dh = dh + grad_outputs[t]  # ∂L/∂h_t: from the output at t and from step t + 1
            dh_sq[t] = np.vdot(dh, dh)
            da[t] = dh * dphi[t]
            dh = da[t] @ W_hh  # the backward pass is linear in dh
        self.grad_state_in, self.dh_norms = dh, np.sqrt(dh_sq).astype(float)
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
        x = self._check_input(x)
        if state is not None and not (isinstance(state, tuple) and len(state) == 2):
            raise TypeError(f"{type(self).__name__} state must be a tuple (h, c), got {type(state).__name__}")
        h0, c0 = (None, None) if state is None else state
        h0, c0 = self._check_state("state h", h0, x), self._check_state("state c", c0, x)
        T, N, H = x.shape[0], x.shape[1], self.hidden_size
        # acts[t] holds step t's four gates as four (N, H) blocks, not side by side in (N, 4H):
        # numpy is much faster on whole arrays than on column slices.
        acts = self._input_terms(x)  # x_t W_ihᵀ + b (T, 4, N, H); the loop adds h_{t−1} W_hhᵀ
        h = np.empty((T + 1, N, H), dtype=acts.dtype)  # h_0 … h_T
        c = np.empty((T + 1, N, H), dtype=acts.dtype)  # c_0 … c_T
        tanh_c = np.empty((T, N, H), dtype=acts.dtype)
        h[0], c[0] = h0, c0
        W_hhT = np.ascontiguousarray(self.params["weight_hh"].reshape(4, H, H).transpose(0, 2, 1))
        hW, ig = np.empty((4, N, H), dtype=acts.dtype), np.empty((N, H), dtype=acts.dtype)
        # σ(z) = (1 + tanh(z/2)) / 2, so with s = 1/2 for the σ gates and s = 1 for g one tanh
        # evaluates all four: s·tanh(s·z) + 1 − s (and it never overflows)
        s = np.empty((4, N, H), dtype=acts.dtype)
        s[:] = np.array([0.5, 0.5, 1.0, 0.5]).reshape(4, 1, 1)
        one_minus_s = 1.0 - s
        i_all, f_all, g_all, o_all = acts.transpose(1, 0, 2, 3)  # each (T, N, H)
        for t in range(T):
            z = acts[t]  # z_t, turned into the gates i, f, g, o in place
            z += np.matmul(h[t], W_hhT, out=hW)
            z *= s
            np.tanh(z, out=z)
            z *= s
            z += one_minus_s
            i, f, g, o, c_t = i_all[t], f_all[t], g_all[t], o_all[t], c[t + 1]
            np.multiply(f, c[t], out=c_t)  # c_t = f ⊙ c_{t−1} + i ⊙ g
            c_t += np.multiply(i, g, out=ig)
            np.tanh(c_t, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=h[t + 1])  # h_t = o ⊙ tanh(c_t)
        self.x, self.acts, self.h, self.c, self.tanh_c = x, acts, h, c, tanh_c
        return h[1:].copy(), (h[-1].copy(), c[-1].copy())

    @property
    def gates(self) -> dict[str, np.ndarray]:
        return dict(zip(self.gate_names, self.acts.transpose(1, 0, 2, 3)))

    @property
    def cells(self) -> np.ndarray:
        return self.c[1:]

    def backward(self, grad_outputs, grad_state=None):
        x, acts, c, tanh_c = self.saved("x", "acts", "c", "tanh_c")
        if grad_state is not None and not (isinstance(grad_state, tuple) and len(grad_state) == 2):
            raise TypeError(f"{type(self).__name__} grad_state must be a tuple (dh, dc), "
                            f"got {type(grad_state).__name__}")
        dh_T, dc_T = (None, None) if grad_state is None else grad_state
        T, N, H = x.shape[0], x.shape[1], self.hidden_size
        grad_outputs = self._grad(grad_outputs, (T, N, H), acts.dtype)
        dh = self._grad(dh_T, (N, H), acts.dtype, of="state h")  # ∂L/∂h_T and ∂L/∂c_T from beyond
        dc = self._grad(dc_T, (N, H), acts.dtype, of="state c")
        W_hh = self.params["weight_hh"]
        dtanh_c = 1.0 - tanh_c**2  # tanh′(c_t) at every step
        da = np.empty((T, N, 4 * H), dtype=acts.dtype)  # δ = ∂L/∂z_t, the four gates side by side
        da_gates = da.reshape(T, N, 4, H).transpose(0, 2, 1, 3)  # the same numbers, one block per gate
        delta = np.empty((4, N, H), dtype=acts.dtype)  # this step's δ, computed block by block
        d_i, d_f, d_g, d_o = delta
        tmp = np.empty((N, H), dtype=acts.dtype)
        dh_sq = np.empty(T, dtype=acts.dtype)  # ‖∂L/∂h_t‖² and ‖∂L/∂c_t‖², square roots after the loop
        dc_sq = np.empty_like(dh_sq)
        i_all, f_all, g_all, o_all = acts.transpose(1, 0, 2, 3)  # each (T, N, H)
        for t in reversed(range(T)):
            i, f, g, o = i_all[t], f_all[t], g_all[t], o_all[t]
            dh += grad_outputs[t]  # ∂L/∂h_t: from the output at t and from step t + 1
            dh_sq[t] = np.vdot(dh, dh)
            np.multiply(dh, o, out=tmp)  # ∂L/∂c_t: through h_t = o ⊙ tanh(c_t) and from c_{t+1}
            tmp *= dtanh_c[t]
            dc += tmp
            dc_sq[t] = np.vdot(dc, dc)
            np.multiply(dc, g, out=d_i)          # input gate:     δ_i = dc ⊙ g ⊙ i ⊙ (1 − i)
            d_i *= i
            d_i *= 1.0 - i
            np.multiply(dc, c[t], out=d_f)       # forget gate:    δ_f = dc ⊙ c_{t−1} ⊙ f ⊙ (1 − f)
            d_f *= f
            d_f *= 1.0 - f
            np.multiply(dc, i, out=d_g)          # cell candidate: δ_g = dc ⊙ i ⊙ (1 − g²)
            d_g *= 1.0 - g**2
            np.multiply(dh, tanh_c[t], out=d_o)  # output gate:    δ_o = dh ⊙ tanh(c_t) ⊙ o ⊙ (1 − o)
            d_o *= o
            d_o *= 1.0 - o
            da_gates[t] = delta
            np.matmul(da[t], W_hh, out=dh)  # ∂L/∂h_{t−1}: one product for all four gates
            dc *= f  # ∂L/∂c_{t−1}
        self.grad_state_in = (dh, dc)
        self.dh_norms, self.dc_norms = np.sqrt(dh_sq).astype(float), np.sqrt(dc_sq).astype(float)
        return self._weight_grads(da)


class RNNCell(RNN):
    """One step of the RNN, like ``torch.nn.RNNCell`` (same parameter names, no ``_l0``).

    ``forward(x (N, I), state=None)`` → h (N, H), the state h_prev defaulting to zeros.
    ``backward(grad_h)`` → ∂L/∂x (N, I), filling ``grads`` and ``grad_state_in`` (∂L/∂h_prev).
    """

    one_step = True

    def forward(self, x, state=None):
        return super().forward(x, state)[1]

    def backward(self, grad_h):
        return super().backward(None, grad_h)[0]


class LSTMCell(LSTM):
    """One step of the LSTM, like ``torch.nn.LSTMCell`` (same parameter names, no ``_l0``).

    ``forward(x (N, I), state=None)`` → ``(h, c)``, each (N, H); ``gates`` then maps "input",
    "forget", "cell", "output" to this step's activations (N, H). ``backward(grad_h, grad_c=None)``
    → ∂L/∂x (N, I), filling ``grads`` and ``grad_state_in`` = (∂L/∂h_prev, ∂L/∂c_prev).
    """

    one_step = True

    def forward(self, x, state=None):
        return super().forward(x, state)[1]

    @property
    def gates(self) -> dict[str, np.ndarray]:
        return {name: value[-1] for name, value in super().gates.items()}

    def backward(self, grad_h, grad_c=None):
        return super().backward(None, (grad_h, grad_c))[0]
