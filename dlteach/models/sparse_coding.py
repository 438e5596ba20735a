"""Sparse coding: write an input I as O = Σ_i a_i Φ_i with few non-zero coefficients a_i.

The lecture's objective min |I − O| + λ Σ_i |a_i| is solved here in its usual smooth form

    min_a  ½‖I − Φa‖² + λ‖a‖₁

by ISTA (iterative shrinkage-thresholding): a gradient step on the squared error, then the
soft threshold S_t(x) = sign(x)·max(|x| − t, 0), which sets small coefficients exactly to zero.
Rows are examples: I has shape (N, D), the dictionary Φ (D, K) holds one atom per column and
the codes a have shape (N, K), so the reconstruction is O = a Φᵀ.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import as_array, number_in, positive_int, rng_from


def soft_threshold(x, t):
    """S_t(x) = sign(x)·max(|x| − t, 0)."""
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def objective(I, Phi, a, lam: float) -> float:
    """½‖I − aΦᵀ‖² + λ‖a‖₁, averaged over the rows of I (0.0 for no rows)."""
    I, a = np.atleast_2d(I), np.atleast_2d(a)
    return float((0.5 * ((I - a @ Phi.T) ** 2).sum() + lam * np.abs(a).sum()) / max(len(I), 1))


def _check(I, Phi, lam):
    I = as_array("ista (I)", I)
    Phi = as_array("ista (Phi)", Phi)
    if Phi.ndim != 2:
        raise ValueError(f"the dictionary Phi must have shape (D, K), got {Phi.shape}")
    if I.ndim not in (1, 2) or I.shape[-1] != Phi.shape[0]:
        raise ValueError(f"I expected shape ({Phi.shape[0]},) or (N, {Phi.shape[0]}) to match Phi {Phi.shape}, "
                         f"got {I.shape}")
    number_in("lam (λ)", lam, "[0, inf)")
    return I, Phi


def ista(I, Phi, lam: float, n_iter: int = 500, tol: float = 1e-8, a0=None) -> np.ndarray:
    """Sparse codes a minimising ½‖I − Φa‖² + λ‖a‖₁ for each row of I (or for one vector I).

    Step size 1/L with L = ‖Φ‖₂², the largest eigenvalue of ΦᵀΦ, so every step lowers the
    objective: a ← S_{λ/L}(a + (I − aΦᵀ)Φ / L). The gradient (I − aΦᵀ)Φ = IΦ − a(ΦᵀΦ) is computed
    from IΦ and ΦᵀΦ, formed once. Stops after ``n_iter`` steps or when no coefficient moves by more
    than ``tol``; ``a0`` warm-starts the codes.
    """
    I, Phi = _check(I, Phi, lam)
    single = I.ndim == 1
    I = np.atleast_2d(I)
    gram, correlation = Phi.T @ Phi, I @ Phi
    L = np.linalg.eigvalsh(gram)[-1]
    a = np.zeros((len(I), Phi.shape[1])) if a0 is None else np.array(np.atleast_2d(a0), dtype=np.float64)
    if a.shape != (len(I), Phi.shape[1]):
        raise ValueError(f"a0 expected shape {(len(I), Phi.shape[1])}, got {a.shape}")
    if L <= 0:
        return a[0] if single else a
    for _ in range(n_iter):
        new = soft_threshold(a + (correlation - a @ gram) / L, lam / L)
        moved = np.abs(new - a).max(initial=0.0)  # 0 for no rows
        a = new
        if moved <= tol:
            break
    return a[0] if single else a


def learn_dictionary(X, n_atoms: int, lam: float, steps: int = 30, n_iter: int = 50, seed=None):
    """Alternate the two halves of sparse coding on the rows of X (N, D):

    1. codes: a ← ISTA with the dictionary fixed (warm-started from the last codes);
    2. dictionary: one projected gradient step on ½‖X − aΦᵀ‖² with step 1/‖aᵀa‖₂, each atom
       then pulled back to length ≤ 1 (otherwise Φ could grow and a shrink to dodge the λ penalty).

    Both halves lower the objective, so it falls step after step. Starts from ``n_atoms`` random
    examples scaled to unit length. Returns (Φ (D, n_atoms), codes (N, n_atoms), the objective
    after each step).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number ≥ 0, got {steps!r}")
    history = []
    for step, (Phi, a) in enumerate(dictionary_steps(X, n_atoms, lam, n_iter, seed)):
        if step:
            history.append(objective(X, Phi, a, lam))
        if step == steps:
            return Phi, a, history


def dictionary_steps(X, n_atoms: int, lam: float, n_iter: int = 50, seed=None):
    """The steps of :func:`learn_dictionary` one at a time: yields (Φ, codes), first the start
    (codes None), then after every step, without end (an explorer redraws between them)."""
    X = as_array("learn_dictionary", X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"learn_dictionary expected X of shape (N, D) with N ≥ 1, got {X.shape}")
    n_atoms = positive_int("n_atoms", n_atoms)
    rng = rng_from(seed)
    Phi = X[rng.choice(len(X), n_atoms, replace=n_atoms > len(X))].T
    Phi = Phi / np.maximum(np.linalg.norm(Phi, axis=0), 1e-12)
    a = None
    yield Phi, a
    while True:
        a = ista(X, Phi, lam, n_iter=n_iter, a0=a)
        L = np.linalg.norm(a.T @ a, 2)
        if L > 0:
            Phi = Phi + (X - a @ Phi.T).T @ a / L
            Phi = Phi / np.maximum(np.linalg.norm(Phi, axis=0), 1.0)
        yield Phi, a
