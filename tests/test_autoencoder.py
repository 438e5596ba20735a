"""Lesson 13: autoencoders (tied and untied, sparsity penalty, stacking) and sparse coding by ISTA."""

import re
import warnings

import numpy as np
import pytest
import torch

from dlteach.data import load_digits
from dlteach.gradcheck import check_module, numerical_gradient, rel_error
from dlteach.models import Autoencoder, DeepAutoencoder, ista, learn_dictionary
from dlteach.models.sparse_coding import objective, soft_threshold
from dlteach.nn import MSELoss
from dlteach.optim import SGD
from dlteach.train import fit

ACTIVATIONS = [("sigmoid", "sigmoid"), ("sigmoid", "linear"), ("linear", "sigmoid"), ("linear", "linear")]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("code, output", ACTIVATIONS)
def test_gradients_match_central_differences(tied, code, output):
    ae = Autoencoder(6, 3, tied=tied, code=code, output=output, seed=0)
    x = np.random.default_rng(1).random((5, 6))
    errors = check_module(ae, x)
    expected = {"input", "encoder.weight", "encoder.bias", "decoder.bias"} | (set() if tied else {"decoder.weight"})
    assert set(errors) == expected
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("tied", [False, True])
def test_gradients_match_torch_autograd(tied):
    """A tied W is used twice (encoder and, transposed, decoder); its gradient is the sum of both uses."""
    ae = Autoencoder(7, 4, tied=tied, seed=0)
    x = np.random.default_rng(2).random((9, 7))
    loss_fn = MSELoss()
    loss = loss_fn.forward(ae.forward(x), x)
    ae.backward(loss_fn.backward())

    p = {k: torch.tensor(v, requires_grad=True) for k, v in ae.params.items()}
    xt = torch.tensor(x)
    a = torch.sigmoid(xt @ p["encoder.weight"].T + p["encoder.bias"])
    w_dec = p["encoder.weight"].T if tied else p["decoder.weight"]
    their_loss = torch.nn.functional.mse_loss(torch.sigmoid(a @ w_dec.T + p["decoder.bias"]), xt)
    their_loss.backward()
    assert loss == pytest.approx(their_loss.item(), abs=1e-12)
    for name, tensor in p.items():
        np.testing.assert_allclose(ae.grads[name], tensor.grad.numpy(), atol=1e-12, err_msg=name)
    if tied:
        assert "decoder.weight" not in ae.params
        np.testing.assert_array_equal(ae.decoder_weight, ae.params["encoder.weight"].T)


def test_sparsity_penalty_value_and_gradient():
    ae = Autoencoder(6, 4, seed=0)
    x = np.random.default_rng(3).random((8, 6))
    g = np.random.default_rng(4).standard_normal((8, 6))
    beta, rho = 0.7, 0.1

    def total():
        out = ae.forward(x)
        rho_hat = ae.a.mean(axis=0)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        return float((out * g).sum() + beta * kl.sum())

    ae.forward(x)
    ae.backward(g)
    value = ae.sparsity_penalty(beta, rho)
    assert value + float((ae.x_hat * g).sum()) == pytest.approx(total(), abs=1e-12)
    for name in ("encoder.weight", "encoder.bias", "decoder.weight"):
        analytic = ae.grads[name].copy()
        assert rel_error(analytic, numerical_gradient(total, ae.params[name])) < 1e-7, name


def test_training_lowers_reconstruction_error_and_sparsity_quiets_the_code(digits):
    X = digits.X_train
    plain = Autoencoder(64, 32, seed=0)
    before = plain.reconstruction_error(X)
    history = plain.fit(X, epochs=10, lr=0.5, progress=False)
    assert history.epoch_loss[-1] < history.epoch_loss[0] and plain.reconstruction_error(X) < 0.5 * before
    sparse = Autoencoder(64, 32, seed=0)
    sparse.fit(X, epochs=10, lr=0.5, sparsity=1e-3, rho=0.1, progress=False)
    assert sparse.encode(X).mean() < 0.6 * plain.encode(X).mean()
    assert sparse.reconstruction_error(X) < 0.75 * before  # quieter, yet it still learned to reconstruct


def test_linear_autoencoder_approaches_pca(digits):
    """A linear autoencoder with squared error learns the principal subspace: its error nears PCA's."""
    X, X_test = digits.X_train, digits.X_test
    mean = X.mean(axis=0)
    components = np.linalg.svd(X - mean, full_matrices=False)[2][:8]
    pca_error = np.mean(((X_test - mean) @ components.T @ components + mean - X_test) ** 2)
    ae = Autoencoder(64, 8, tied=True, code="linear", output="linear", seed=0)
    ae.fit(X, epochs=40, lr=0.05, progress=False)
    assert pca_error <= ae.reconstruction_error(X_test) < 1.1 * pca_error


def test_deep_autoencoder_unrolls_the_stack(digits):
    X = digits.X_train[:200]
    first = Autoencoder(64, 16, seed=0)
    first.fit(X, epochs=2, lr=0.5, progress=False)
    second = Autoencoder(16, 2, code="linear", seed=1)
    second.fit(first.encode(X), epochs=2, lr=0.1, progress=False)
    deep = DeepAutoencoder([first, second])
    assert [type(layer).__name__ for layer in deep] == ["Linear", "Sigmoid", "Linear", "Linear", "Sigmoid",
                                                        "Linear", "Sigmoid"]
    np.testing.assert_allclose(deep.encode(X), second.encode(first.encode(X)), atol=1e-12)
    np.testing.assert_allclose(deep.forward(X), first.decode(second.decode(second.encode(first.encode(X)))),
                               atol=1e-12)
    before = np.mean((deep.forward(X) - X) ** 2)
    fit(deep, MSELoss(), SGD(deep, lr=0.5, momentum=0.9), X, X, epochs=5, progress=False)
    assert np.mean((deep.forward(X) - X) ** 2) < before
    with pytest.raises(ValueError, match="do not stack"):
        DeepAutoencoder([first, Autoencoder(8, 2)])


def test_autoencoder_bad_input():
    ae = Autoencoder(6, 3, seed=0)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 6\), got \(2, 5\)"):
        ae.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\)"):
        ae.decode(np.zeros((2, 6)))
    with pytest.raises(ValueError, match="activation must be one of"):
        Autoencoder(6, 3, code="relu")
    with pytest.raises(ValueError, match="needs code='sigmoid'"):
        lin = Autoencoder(6, 3, code="linear")
        lin.forward(np.zeros((2, 6)))
        lin.sparsity_penalty(0.1)


def test_autoencoder_misuse_of_backward_and_the_penalty():
    ae = Autoencoder(6, 3, seed=0)
    with pytest.raises(RuntimeError, match="Autoencoder.backward called before forward: call forward first"):
        ae.backward(np.ones((2, 6)))
    with pytest.raises(RuntimeError, match="call forward first"):
        ae.sparsity_penalty(0.1)
    with pytest.raises(ValueError):
        ae.forward(np.zeros((2, 5)))  # a refused input keeps nothing for backward
    with pytest.raises(RuntimeError, match="call forward first"):
        ae.backward(np.ones((2, 6)))
    out = ae.forward(np.full((2, 6), 0.5))
    with pytest.raises(RuntimeError, match=r"call backward\(\) before sparsity_penalty"):
        ae.sparsity_penalty(0.1)
    for wrong in [(2, 3), (1, 6), (6,)]:
        with pytest.raises(ValueError, match=rf"Autoencoder backward expected a gradient of shape \(2, 6\).*"
                                             rf"got {re.escape(str(wrong))}"):
            ae.backward(np.ones(wrong))
    ae.backward(np.ones_like(out))
    for beta, rho, error in [(-1.0, 0.05, ValueError), (0.1, 1.0, ValueError), (0.1, np.nan, ValueError),
                             ("0.1", 0.05, TypeError)]:
        with pytest.raises(error, match="(beta|rho) must be a number"):
            ae.sparsity_penalty(beta, rho)


@pytest.mark.parametrize("tied", [False, True])
def test_an_empty_batch_flows_through_the_autoencoder(tied):
    ae = Autoencoder(6, 3, tied=tied, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ae.forward(np.zeros((0, 6))).shape == (0, 6)
        assert ae.backward(np.zeros((0, 6))).shape == (0, 6)
        assert ae.reconstruction_error(np.zeros((0, 6))) == 0.0
    assert all(not g.any() and g.shape == ae.params[k].shape for k, g in ae.grads.items())
    with pytest.raises(ValueError, match="sparsity penalty needs a batch of at least one example"):
        ae.sparsity_penalty(0.1)


# -- sparse coding ------------------------------------------------------------------------------------

def test_ista_with_an_orthonormal_dictionary_is_one_soft_threshold():
    """With orthonormal atoms the problem separates: a = S_λ(Φᵀ I) exactly."""
    rng = np.random.default_rng(0)
    Phi = np.linalg.qr(rng.standard_normal((10, 10)))[0]
    I = rng.standard_normal((4, 10))
    a = ista(I, Phi, lam=0.5)
    np.testing.assert_allclose(a, soft_threshold(I @ Phi, 0.5), atol=1e-12)
    assert (a == 0).any()


def test_ista_recovers_a_sparse_code_and_satisfies_kkt():
    rng = np.random.default_rng(0)
    Phi = rng.standard_normal((20, 40))
    Phi /= np.linalg.norm(Phi, axis=0)
    a_true = np.zeros(40)
    a_true[[3, 17, 29]] = [1.5, -2.0, 1.0]
    I = Phi @ a_true + 0.01 * rng.standard_normal(20)
    lam = 0.05
    a = ista(I, Phi, lam, n_iter=5000, tol=1e-13)
    assert a.shape == (40,)
    np.testing.assert_array_equal(np.flatnonzero(a), [3, 17, 29])  # the right atoms, all others exactly zero
    np.testing.assert_allclose(a[[3, 17, 29]], a_true[[3, 17, 29]], atol=0.1)
    # optimality (KKT): Φᵀ(I − Φa) = λ sign(a_i) where a_i ≠ 0, and |Φᵀ(I − Φa)|_i ≤ λ elsewhere
    g = Phi.T @ (I - Phi @ a)
    active = a != 0
    np.testing.assert_allclose(g[active], lam * np.sign(a[active]), atol=1e-9)
    assert np.abs(g[~active]).max() <= lam + 1e-9
    from sklearn.linear_model import Lasso  # the same problem: sklearn's objective is ours divided by D

    lasso = Lasso(alpha=lam / 20, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(Phi, I)
    np.testing.assert_allclose(a, lasso.coef_, atol=1e-8)


def test_dictionary_learning_lowers_the_objective(digits):
    X = digits.X_train[:300]
    Phi, codes, history = learn_dictionary(X, 16, lam=0.1, steps=8, n_iter=30, seed=0)
    assert Phi.shape == (64, 16) and codes.shape == (300, 16)
    assert np.all(np.diff(history) <= 1e-12) and history[-1] < 0.9 * history[0]
    assert np.linalg.norm(Phi, axis=0).max() <= 1 + 1e-12
    assert history[-1] == pytest.approx(objective(X, Phi, codes, 0.1))
    assert (codes == 0).mean() > 0.3  # sparse: many coefficients exactly zero


def test_sparse_coding_bad_input():
    with pytest.raises(ValueError, match="to match Phi"):
        ista(np.zeros(5), np.eye(4), 0.1)
    with pytest.raises(ValueError, match=r"lam \(λ\) must be a number in \[0, inf\), got -1.0"):
        ista(np.zeros(4), np.eye(4), -1.0)
    with pytest.raises(TypeError, match=r"lam \(λ\) must be a number, got str"):
        ista(np.zeros(4), np.eye(4), "0.1")
    with pytest.raises(ValueError, match="a0 expected shape"):
        ista(np.zeros((2, 4)), np.eye(4), 0.1, a0=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="n_atoms must be a positive integer"):
        learn_dictionary(np.zeros((5, 4)), 0, 0.1)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\) with N ≥ 1, got \(0, 4\)"):
        learn_dictionary(np.zeros((0, 4)), 2, 0.1)


def test_sparse_codes_of_no_rows():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = ista(np.zeros((0, 4)), np.eye(4), 0.1)
        assert a.shape == (0, 4) and objective(np.zeros((0, 4)), np.eye(4), a, 0.1) == 0.0


def test_lesson_13_exercise_keys_are_the_libraries_answers():
    from dlteach.exercises import check

    assert check("13.1", [Autoencoder(64, 16).num_parameters(), Autoencoder(64, 16, tied=True).num_parameters()])
    assert check("13.2", soft_threshold)
    assert not check("13.2", lambda x, t: np.maximum(x - t, 0))
    Phi, I = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([2.0, 0.0, 1.0])
    assert check("13.3", ista(I, Phi, 0.5, n_iter=1))
    assert check("13.3", [0.833, 0.167])  # rounded to 3 decimals, as the question asks
    lam_max = np.abs(Phi.T @ I).max()  # 13.4: the smallest λ whose sparse code is exactly zero
    assert check("13.4", lam_max)
    assert np.all(ista(I, Phi, lam_max) == 0) and np.any(ista(I, Phi, lam_max - 0.01, n_iter=5000) != 0)
    X = load_digits().X_train  # 13.5: PCA's training error with 10 components bounds any linear autoencoder
    mean = X.mean(axis=0)
    V = np.linalg.svd(X - mean, full_matrices=False)[2][:10]
    bound = np.mean(((X - mean) @ V.T @ V + mean - X) ** 2)
    assert check("13.5", bound) and check("13.5", round(bound, 4))
    linear = Autoencoder(64, 10, tied=True, code="linear", output="linear", seed=0)
    linear.fit(X, epochs=50, lr=0.1, momentum=0.9, progress=False)
    assert bound < linear.reconstruction_error(X) < 1.05 * bound


def test_dictionary_steps_are_learn_dictionary_one_at_a_time():
    from dlteach.models.sparse_coding import dictionary_steps

    X = np.random.default_rng(3).standard_normal((40, 6))
    Phi, a, history = learn_dictionary(X, 5, 0.1, steps=4, n_iter=10, seed=1)
    steps = dictionary_steps(X, 5, 0.1, n_iter=10, seed=1)
    start, codes = next(steps)
    assert codes is None and np.allclose(np.linalg.norm(start, axis=0), 1.0)
    for _ in range(4):
        Phi_k, a_k = next(steps)
    np.testing.assert_array_equal(Phi_k, Phi)
    np.testing.assert_array_equal(a_k, a)
    assert len(history) == 4 and history == sorted(history, reverse=True)
    with pytest.raises(ValueError, match="steps must be a whole number"):
        learn_dictionary(X, 5, 0.1, steps=-1)
