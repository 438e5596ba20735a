"""The restricted Boltzmann machine: binary visible units v, binary hidden units h.

Energy E(v, h) = −vᵀWh − bᵀv − aᵀh and the Boltzmann distribution p(v, h) = e^{−E(v, h)} / Z.
There are no connections inside a layer, so given one layer the units of the other are
independent stochastic binary units:

    p(h_j = 1 | v) = σ(a_j + Σ_i v_i W_ij),      p(v_i = 1 | h) = σ(b_i + Σ_j W_ij h_j).

Maximum likelihood climbs ∂ log p(v) / ∂W = ⟨v hᵀ⟩_data − ⟨v hᵀ⟩_model. The model term needs
Z, a sum over every state; contrastive divergence (CD-k) replaces it by the end of a k-step
Gibbs chain started at the data, persistent CD keeps the chains running between updates.

Training data may be grey levels in [0, 1], read as the probabilities of the visible units being on
(Hinton's practical guide to training RBMs): the positive phase uses them as they are, the Gibbs chains
sample binary states from them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..nn import functional as F
from ..nn.module import Module, as_array, positive_int, rng_from, shape_error
from ..optim import SGD

P_CLIP = 1e-3  # the fraction p_i of the visible bias log(p_i / (1 − p_i)) is kept in [P_CLIP, 1 − P_CLIP]
MAX_EXACT_UNITS = 20  # exact helpers enumerate 2^n states of the smaller layer
PL_SAMPLE = 256  # fit records the pseudo-likelihood of this many training examples (a fixed random sample)


def binary_states(n: int) -> np.ndarray:
    """All 2^n binary vectors of length n, in counting order (000, 001, 010, …), shape (2^n, n)."""
    return ((np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x) = max(x, 0) + log(1 + e^−|x|), without overflow and with few temporary arrays."""
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0)
    return out


@dataclass
class RBMHistory:
    """Per epoch of ``RBM.fit``: the reconstruction error of the training batches (as CD-1 reconstructs,
    through a sampled h), the pseudo-likelihood (mean log PL per example) and seconds since the start."""

    reconstruction_error: list[float] = field(default_factory=list)
    pseudo_likelihood: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)


class RBM(Module):
    """Binary RBM with weights ``W`` (n_visible, n_hidden), visible biases b and hidden biases a.

    Initialised as in the lecture: W ~ N(0, 0.01²) and a = 0; the visible biases start at 0 and
    are set to b_i = log(p_i / (1 − p_i)) by the first call of ``fit``, p_i being the fraction of
    training examples in which unit i is on. All sampling uses the Generator from ``seed``.
    """

    def __init__(self, n_visible: int, n_hidden: int, seed=None):
        super().__init__()
        self.n_visible, self.n_hidden = positive_int("n_visible", n_visible), positive_int("n_hidden", n_hidden)
        self.rng = rng_from(seed)
        self.params["W"] = self.rng.normal(0.0, 0.01, (self.n_visible, self.n_hidden))
        self.params["visible_bias"] = np.zeros(self.n_visible)
        self.params["hidden_bias"] = np.zeros(self.n_hidden)
        self.epochs_trained = 0
        self.chains: np.ndarray | None = None  # persistent CD's fantasy particles (visible states)

    @property
    def W(self) -> np.ndarray:
        return self.params["W"]

    @property
    def visible_bias(self) -> np.ndarray:
        """b in E(v, h) = −vᵀWh − bᵀv − aᵀh."""
        return self.params["visible_bias"]

    @property
    def hidden_bias(self) -> np.ndarray:
        """a in E(v, h) = −vᵀWh − bᵀv − aᵀh."""
        return self.params["hidden_bias"]

    def extra_repr(self):
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    # -- checking input ------------------------------------------------------------
    def _check(self, name: str, x, width: int, binary: bool = False) -> np.ndarray:
        """x as a float array of shape (N, width) with values in [0, 1] (exactly 0 or 1 if ``binary``)."""
        x = as_array(name, x)
        if x.ndim != 2 or x.shape[1] != width:
            raise shape_error(name, f"(N, {width})", x)
        if binary:
            bad = (x != 0) & (x != 1)
            if bad.any():
                raise ValueError(f"{name} expected binary values (0 or 1), got {x[bad][0]:g}: "
                                 "binarise the data first, e.g. (X > 0.5).astype(float)")
        elif not np.all((x >= 0) & (x <= 1)):
            raise ValueError(f"{name} expected values in [0, 1], got values from {x.min():g} to {x.max():g}")
        return x.astype(self.W.dtype, copy=False)

    # -- energy and probabilities ------------------------------------------------------
    def energy(self, v, h):
        """E(v, h) = −vᵀWh − bᵀv − aᵀh for each example; one float for single vectors."""
        single = np.ndim(v) == 1 and np.ndim(h) == 1
        v = self._check("RBM.energy (v)", np.atleast_2d(as_array("RBM.energy (v)", v)), self.n_visible, binary=True)
        h = self._check("RBM.energy (h)", np.atleast_2d(as_array("RBM.energy (h)", h)), self.n_hidden, binary=True)
        if len(v) != len(h):
            raise ValueError(f"RBM.energy expected as many v as h, got {len(v)} and {len(h)}")
        e = -np.einsum("ni,ij,nj->n", v, self.W, h) - v @ self.visible_bias - h @ self.hidden_bias
        return float(e[0]) if single else e

    def free_energy(self, v) -> np.ndarray:
        """F(v) = −log Σ_h e^{−E(v, h)} = −bᵀv − Σ_j log(1 + e^{a_j + (vW)_j}), so p(v) = e^{−F(v)} / Z."""
        v = self._check("RBM.free_energy", v, self.n_visible)
        return -v @ self.visible_bias - softplus(v @ self.W + self.hidden_bias).sum(axis=1)

    def forward(self, v) -> np.ndarray:
        """p(h = 1 | v) for each example: the RBM as a feature detector."""
        return F.sigmoid(self._check("RBM", v, self.n_visible) @ self.W + self.hidden_bias)

    def _sample(self, p: np.ndarray, rng=None) -> np.ndarray:
        """Each unit on with its probability: 1.0 where u < p for u ~ U(0, 1)."""
        u = (rng or self.rng).random(p.shape, dtype=p.dtype)
        return np.less(u, p, out=u)

    def sample_h(self, v) -> tuple[np.ndarray, np.ndarray]:
        """(p(h = 1 | v), a sample of h) for each example."""
        p = self.forward(v)
        return p, self._sample(p)

    def sample_v(self, h) -> tuple[np.ndarray, np.ndarray]:
        """(p(v = 1 | h), a sample of v) for each example."""
        h = self._check("RBM.sample_v", h, self.n_hidden)
        p = F.sigmoid(h @ self.W.T + self.visible_bias)
        return p, self._sample(p)

    def gibbs(self, v, steps: int = 1, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """Run ``steps`` steps of block Gibbs sampling v → h → v from v; returns the last
        (p(v = 1 | h), sampled v). ``seed`` gives this chain its own Generator (default: the model's)."""
        steps = positive_int("steps", steps)
        v = self._check("RBM.gibbs", v, self.n_visible)
        rng = self.rng if seed is None else rng_from(seed)
        for _ in range(steps):
            h = self._sample(F.sigmoid(v @ self.W + self.hidden_bias), rng)
            p_v = F.sigmoid(h @ self.W.T + self.visible_bias)
            v = self._sample(p_v, rng)
        return p_v, v

    def reconstruct(self, v) -> np.ndarray:
        """Mean-field reconstruction: v → p(h | v) → p(v | h) with probabilities, no sampling."""
        return F.sigmoid(self.forward(v) @ self.W.T + self.visible_bias)

    def reconstruction_error(self, v) -> float:
        """Mean squared difference between v and its mean-field reconstruction (0.0 for no rows)."""
        return F.mse(self.reconstruct(v), v)

    def pseudo_likelihood(self, v) -> np.ndarray:
        """Stochastic estimate of log PL(v) = Σ_i log p(v_i | v_−i) per example: D times
        log p(v_i | v_−i) for one random unit i, which is log σ(F(ṽ) − F(v)), ṽ being v with i flipped.
        A grey v_i in [0, 1] flips to 1 − v_i, as in scikit-learn's ``BernoulliRBM.score_samples``."""
        v = self._check("RBM.pseudo_likelihood", v, self.n_visible)
        rows, i = np.arange(len(v)), self.rng.integers(0, self.n_visible, len(v))
        s = 1 - 2 * v[rows, i]  # +1 where the flip turns unit i on, −1 where it turns it off
        z = v @ self.W + self.hidden_bias
        # F(v) − F(ṽ) = s·b_i + Σ_j softplus(z_j + s·W_ij) − softplus(z_j), and log σ(−x) = −softplus(x)
        gap = s * self.visible_bias[i] + (softplus(z + s[:, None] * self.W[i]) - softplus(z)).sum(axis=1)
        return -self.n_visible * softplus(gap)

    # -- learning ---------------------------------------------------------------------------
    def cd_gradient(self, v0, k: int = 1, start=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The CD-k estimate of ∂ mean log p(v) / ∂θ on the batch v0, and the chain's last v.

        Positive phase ⟨v hᵀ⟩ with v = v0, h = p(h | v0); negative phase ⟨v_k h_kᵀ⟩ with v_k the
        end of a k-step Gibbs chain started at v0 (CD-k) or at ``start`` (persistent CD), h_k = p(h | v_k).
        """
        k = positive_int("k (Gibbs steps)", k)
        v0 = self._check("RBM.cd_gradient", v0, self.n_visible)
        if start is not None:
            start = self._check("RBM.cd_gradient (start)", start, self.n_visible)
        loss_grads, v, _ = self._cd(v0, F.sigmoid(v0 @ self.W + self.hidden_bias), k, start)
        return {name: -g for name, g in loss_grads.items()}, v

    def _cd(self, v0, ph0, k, start):
        """CD-k from the positive phase's p(h | v0) = ph0, as a loss's ``grads``: minus the CD-k estimate,
        negative phase − positive phase. Also returns the chain's last v and the one-step reconstruction
        p(v | h), h sampled from ph0: the chain's first step in CD, computed aside in persistent CD."""
        W, a, b = self.W, self.hidden_bias, self.visible_bias
        p_v1 = F.sigmoid(self._sample(ph0) @ W.T + b)
        v = self._sample(p_v1) if start is None else start
        ph = F.sigmoid(v @ W + a)
        for _ in range(k - 1 if start is None else k):
            v = self._sample(F.sigmoid(self._sample(ph) @ W.T + b))
            ph = F.sigmoid(v @ W + a)
        n0, n = len(v0), len(v)
        grads = {"W": v.T @ (ph / n) - v0.T @ (ph0 / n0),  # scaling the (N, n_hidden) factors is cheaper
                 "visible_bias": v.sum(axis=0) / n - v0.sum(axis=0) / n0,
                 "hidden_bias": ph.sum(axis=0) / n - ph0.sum(axis=0) / n0}
        return grads, v, p_v1

    def init_visible_bias(self, X) -> None:
        """b_i = log(p_i / (1 − p_i)), p_i the mean of column i of X: the fraction of rows with unit i on
        (clipped to stay finite)."""
        X = self._check("RBM.init_visible_bias", X, self.n_visible)
        p = np.clip(X.mean(axis=0), P_CLIP, 1 - P_CLIP)
        self.visible_bias[...] = np.log(p / (1 - p))

    def fit(self, X, epochs: int = 10, lr: float = 0.1, k: int = 1, batch_size: int = 20,
            momentum: float = 0.0, persistent: bool = False, progress: bool = True,
            callback=None, optimizer=None) -> RBMHistory:
        """Train on X (N, n_visible), binary or grey levels in [0, 1], by CD-k, or persistent CD with
        ``persistent=True``. A caller that trains epoch by epoch passes its own ``optimizer`` (an
        ``SGD`` of this RBM), so the momentum's velocity carries over from one call to the next.

        Each epoch shuffles X and takes one step per mini-batch, θ ← θ + η·(CD-k gradient), with
        momentum μ through ``dlteach.optim.SGD`` (``grads`` holds minus the gradient, as for a loss).
        Each epoch records the reconstruction error of its batches, measured as CD-1 reconstructs (mean
        squared difference between v and p(v | h), h sampled from p(h | v), just before each update), and
        the mean pseudo-likelihood of a fixed random sample of ``PL_SAMPLE`` rows of X;
        then ``callback(history)`` runs and may return True to stop. The first call sets the visible
        biases from X.
        """
        X = self._check("RBM.fit", X, self.n_visible)
        epochs, k = positive_int("epochs", epochs), positive_int("k", k)
        batch_size = positive_int("batch_size", batch_size)
        if len(X) == 0:
            raise ValueError("RBM.fit needs at least one example")
        if optimizer is None:
            optimizer = SGD(self, lr=lr, momentum=momentum)  # checks lr and momentum
        if self.epochs_trained == 0:
            self.init_visible_bias(X)
        if persistent and (self.chains is None or len(self.chains) < min(batch_size, len(X))
                           or self.chains.dtype != X.dtype):
            self.chains = X[self.rng.permutation(len(X))[:batch_size]].copy()  # fantasy particles start at data
        n, sample = len(X), X[self.rng.permutation(len(X))[:PL_SAMPLE]]
        history, start = RBMHistory(), time.perf_counter()
        bar = tqdm(range(epochs), desc=f"RBM {'PCD' if persistent else 'CD'}-{k}", unit="epoch",
                   disable=not progress, leave=False)
        try:
            for _ in bar:
                shuffled, squared_error = X[self.rng.permutation(n)], 0.0
                for first in range(0, n, batch_size):
                    v0 = shuffled[first:first + batch_size]
                    ph0 = F.sigmoid(v0 @ self.W + self.hidden_bias)  # positive phase
                    chains = self.chains[:len(v0)] if persistent else None
                    self.grads, v_k, p_v1 = self._cd(v0, ph0, k, chains)  # minus the gradient: SGD descends
                    residual = p_v1 - v0
                    squared_error += float(np.vdot(residual, residual))
                    if persistent:
                        chains[...] = v_k
                    optimizer.step()
                self.epochs_trained += 1
                history.reconstruction_error.append(squared_error / X.size)
                history.pseudo_likelihood.append(float(self.pseudo_likelihood(sample).mean()))
                history.epoch_time.append(time.perf_counter() - start)
                bar.set_postfix(recon=f"{history.reconstruction_error[-1]:.4f}")
                if callback is not None and callback(history):
                    break
        finally:
            bar.close()
        return history

    # -- exact computations for tiny models ---------------------------------------------------
    def _enumerate(self, what: str):
        """Every state of the smaller layer with its unnormalised log-probability log p̃ and the mean
        of the other layer given it, as (v, h, log p̃): one of v, h holds states, the other means."""
        if min(self.n_visible, self.n_hidden) > MAX_EXACT_UNITS:
            raise ValueError(f"{what} enumerates all 2^n states of the smaller layer; "
                             f"n = {min(self.n_visible, self.n_hidden)} is too many (at most {MAX_EXACT_UNITS}): "
                             "use a tiny RBM")
        if self.n_visible <= self.n_hidden:
            v = binary_states(self.n_visible).astype(self.W.dtype)
            return v, F.sigmoid(v @ self.W + self.hidden_bias), -self.free_energy(v)
        h = binary_states(self.n_hidden).astype(self.W.dtype)
        z = h @ self.W.T + self.visible_bias
        return F.sigmoid(z), h, h @ self.hidden_bias + softplus(z).sum(axis=1)

    def log_partition(self) -> float:
        """log Z = log Σ_{v,h} e^{−E(v, h)}, summing out the larger layer analytically."""
        _, _, log_p = self._enumerate("RBM.log_partition")
        top = log_p.max()
        return float(top + np.log(np.exp(log_p - top).sum()))

    def log_likelihood(self, X) -> float:
        """Exact mean log p(v) = mean(−F(v)) − log Z over the rows of binary X."""
        X = self._check("RBM.log_likelihood", X, self.n_visible, binary=True)
        return float(-self.free_energy(X).mean() - self.log_partition())

    def exact_gradient(self, X) -> dict[str, np.ndarray]:
        """∂ mean log p(v) / ∂θ exactly: ⟨v hᵀ⟩_data − ⟨v hᵀ⟩_model with the model term summed over all states."""
        X = self._check("RBM.exact_gradient", X, self.n_visible, binary=True)
        v, h, log_p = self._enumerate("RBM.exact_gradient")
        p = np.exp(log_p - log_p.max())
        p /= p.sum()
        ph = F.sigmoid(X @ self.W + self.hidden_bias)
        return {"W": X.T @ ph / len(X) - v.T @ (p[:, None] * h),
                "visible_bias": X.mean(axis=0) - p @ v,
                "hidden_bias": ph.mean(axis=0) - p @ h}


def boltzmann_table(rbm: RBM) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every joint state of a tiny RBM: (v (S, n_visible), h (S, n_hidden), E(v, h), p(v, h)) with
    S = 2^(n_visible + n_hidden) and p = e^{−E} / Z."""
    n = rbm.n_visible + rbm.n_hidden
    if n > MAX_EXACT_UNITS:
        raise ValueError(f"boltzmann_table lists all 2^{n} joint states; at most 2^{MAX_EXACT_UNITS} are allowed")
    states = binary_states(n)
    v, h = states[:, :rbm.n_visible], states[:, rbm.n_visible:]
    e = rbm.energy(v, h)
    p = np.exp(-(e - e.min()))
    return v, h, e, p / p.sum()

