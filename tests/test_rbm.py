"""Lesson 12: the RBM (energy, exact likelihood, CD-k, PCD), the DBN and the RBM explorer."""

import numpy as np
import pytest

from dlteach.data import load_digits
from dlteach.gradcheck import numerical_gradient, rel_error
from dlteach.models import DBN, MLP, RBM, binary_states, boltzmann_table, mlp_from_pretrained
from dlteach.widgets.base import ControlError


def tiny_rbm(n_visible=4, n_hidden=3, scale=1.0, seed=1):
    rbm = RBM(n_visible, n_hidden, seed=0)
    rng = np.random.default_rng(seed)
    rbm.params["W"][...] = rng.normal(0, scale, (n_visible, n_hidden))
    rbm.params["visible_bias"][...] = rng.normal(0, 0.5, n_visible)
    rbm.params["hidden_bias"][...] = rng.normal(0, 0.5, n_hidden)
    return rbm


@pytest.fixture(scope="module")
def digits():
    split = load_digits()
    return (split.X_train > 0.5).astype(float), (split.X_test > 0.5).astype(float)


@pytest.fixture(scope="module")
def grey_digits():
    split = load_digits()  # grey levels 0..16 / 16, read as probabilities
    return split.X_train, split.X_test


# -- energy, free energy and the Boltzmann distribution -----------------------------------------

def test_energy_matches_the_formula_by_hand():
    rbm = RBM(2, 2, seed=0)
    rbm.params["W"][...] = [[1.0, -2.0], [0.5, 3.0]]
    rbm.params["visible_bias"][...] = [0.25, -1.0]
    rbm.params["hidden_bias"][...] = [2.0, -0.5]
    # v = [1, 1], h = [0, 1]: vᵀWh = W12 + W22 = 1, bᵀv = −0.75, aᵀh = −0.5, so E = −1 + 0.75 + 0.5
    assert rbm.energy([1, 1], [0, 1]) == pytest.approx(0.25, abs=1e-12)
    v, h = binary_states(2), binary_states(2)[::-1]
    expected = [-(vi @ rbm.W @ hi) - rbm.visible_bias @ vi - rbm.hidden_bias @ hi for vi, hi in zip(v, h)]
    np.testing.assert_allclose(rbm.energy(v, h), expected, atol=1e-12)


def test_free_energy_sums_out_the_hidden_units():
    rbm = tiny_rbm()
    v = binary_states(4)
    hs = binary_states(3)
    brute = [-np.log(np.exp(-rbm.energy(np.repeat(vi[None], len(hs), 0), hs)).sum()) for vi in v]
    np.testing.assert_allclose(rbm.free_energy(v), brute, atol=1e-10)


def test_softplus_in_free_energy_stays_finite_for_huge_inputs():
    rbm = RBM(3, 2, seed=0)
    rbm.params["W"][...] = 1e4
    f = rbm.free_energy(np.ones((1, 3)))
    assert np.isfinite(f).all() and f[0] == pytest.approx(-2 * 3e4)


@pytest.mark.parametrize("n_visible, n_hidden", [(4, 3), (3, 5)])
def test_exact_partition_function_and_boltzmann_table(n_visible, n_hidden):
    rbm = tiny_rbm(n_visible, n_hidden)
    v, h, e, p = boltzmann_table(rbm)
    assert len(p) == 2 ** (n_visible + n_hidden) and p.sum() == pytest.approx(1.0)
    assert rbm.log_partition() == pytest.approx(np.log(np.exp(-e).sum()), abs=1e-10)
    # marginal p(v) from the table equals e^{−F(v)} / Z
    states = binary_states(n_visible)
    marginal = [p[(v == s).all(axis=1)].sum() for s in states]
    np.testing.assert_allclose(marginal, np.exp(-rbm.free_energy(states) - rbm.log_partition()), atol=1e-12)


@pytest.mark.parametrize("n_visible, n_hidden", [(4, 3), (3, 5)])
def test_exact_gradient_is_the_gradient_of_the_exact_log_likelihood(n_visible, n_hidden):
    rbm = tiny_rbm(n_visible, n_hidden)
    X = (np.random.default_rng(2).random((25, n_visible)) < 0.4).astype(float)
    exact = rbm.exact_gradient(X)
    for name in ("W", "visible_bias", "hidden_bias"):
        numeric = numerical_gradient(lambda: rbm.log_likelihood(X), rbm.params[name])
        assert rel_error(exact[name], numeric) < 1e-7, name


def test_cd_k_gradient_approaches_the_exact_gradient_as_k_grows():
    """Strong weights make the Gibbs chain mix slowly, so CD-1 is badly biased; averaged over
    many chains, the CD-k estimate converges to the exact gradient as k grows."""
    rbm = tiny_rbm(4, 3, scale=4.0, seed=1)
    X = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], float)
    exact = rbm.exact_gradient(X)
    chains = np.repeat(X, 5000, axis=0)  # 15,000 chains, each started at a data vector

    def error(k):
        estimate, _ = rbm.cd_gradient(chains, k=k)
        return max(np.abs(estimate[n] - exact[n]).max() for n in exact)

    errors = [error(k) for k in (1, 10, 100)]
    assert errors[0] > 0.08  # CD-1 is visibly biased here
    assert errors[0] > 4 * errors[1] > 0 and errors[2] < 0.015, errors
    # persistent CD: the chain starts at ``start``; the bias gradient is ⟨v⟩_data − ⟨v_k⟩_chain
    estimate, v_k = rbm.cd_gradient(X, k=1, start=X[::-1])
    assert v_k.shape == X.shape and set(np.unique(v_k)) <= {0.0, 1.0}
    np.testing.assert_allclose(estimate["visible_bias"], X.mean(axis=0) - v_k.mean(axis=0), atol=1e-12)


def test_sampling_follows_the_conditional_probabilities():
    rbm = tiny_rbm()
    v = np.repeat(np.array([[1.0, 0, 1, 1]]), 40000, axis=0)
    p_h, h = rbm.sample_h(v)
    np.testing.assert_allclose(p_h[0], 1 / (1 + np.exp(-(v[0] @ rbm.W + rbm.hidden_bias))), atol=1e-12)
    np.testing.assert_allclose(h.mean(axis=0), p_h[0], atol=0.01)
    p_v, v_sample = rbm.sample_v(h)
    assert p_v.shape == v.shape and set(np.unique(v_sample)) <= {0.0, 1.0}


def test_gibbs_chain_reaches_the_model_distribution():
    """Long chains end in the Boltzmann distribution: the frequencies of visible states match p(v)."""
    rbm = tiny_rbm(3, 2, scale=1.0)
    _, v = rbm.gibbs(np.zeros((20000, 3)), steps=30, seed=5)
    states = binary_states(3)
    freq = [(v == s).all(axis=1).mean() for s in states]
    np.testing.assert_allclose(freq, np.exp(-rbm.free_energy(states) - rbm.log_partition()), atol=0.012)
    # a chain with its own seed is reproducible and leaves the model's generator alone
    state = rbm.rng.bit_generator.state
    a, b = rbm.gibbs(np.zeros((5, 3)), 3, seed=1), rbm.gibbs(np.zeros((5, 3)), 3, seed=1)
    np.testing.assert_array_equal(a[1], b[1])
    assert rbm.rng.bit_generator.state == state


def test_reconstruct_is_mean_field():
    rbm = tiny_rbm()
    v = binary_states(4)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    expected = sig(sig(v @ rbm.W + rbm.hidden_bias) @ rbm.W.T + rbm.visible_bias)
    np.testing.assert_allclose(rbm.reconstruct(v), expected, atol=1e-12)


def test_pseudo_likelihood_of_one_unit_is_its_conditional_probability():
    """With one visible unit, log PL(v) = log p(v_1 | nothing) = log p(v) exactly."""
    rbm = tiny_rbm(1, 3)
    v = np.array([[0.0], [1.0]])
    np.testing.assert_allclose(rbm.pseudo_likelihood(v), -rbm.free_energy(v) - rbm.log_partition(), atol=1e-12)


# -- initialisation -------------------------------------------------------------------------------

def test_initialisation_follows_the_lecture(digits):
    X, _ = digits
    rbm = RBM(64, 100, seed=0)
    assert rbm.W.shape == (64, 100) and rbm.W.dtype == np.float64
    assert abs(rbm.W.std() - 0.01) < 0.0005 and abs(rbm.W.mean()) < 0.0005
    np.testing.assert_array_equal(rbm.hidden_bias, 0.0)
    np.testing.assert_array_equal(rbm.visible_bias, 0.0)
    rbm.fit(X, epochs=1, lr=1e-12, progress=False)  # the first fit sets b_i = log(p_i / (1 − p_i))
    p = np.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(rbm.visible_bias, np.log(p / (1 - p)), atol=1e-9)
    assert (X.mean(axis=0) == 0).any() and np.isfinite(rbm.visible_bias).all()  # pixels never on stay finite
    before = rbm.visible_bias.copy()
    rbm.fit(X, epochs=1, lr=1e-12, progress=False)  # later calls keep training from where it was
    np.testing.assert_allclose(rbm.visible_bias, before, atol=1e-9)


def test_visible_bias_clipping_for_units_always_on_or_off():
    rbm = RBM(3, 2, seed=0)
    rbm.init_visible_bias(np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.0]]))
    np.testing.assert_allclose(rbm.visible_bias, [np.log(1e-3 / 0.999), np.log(0.999 / 1e-3), 0.0], atol=1e-12)


# -- training --------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [dict(k=1), dict(k=3), dict(k=1, persistent=True)])
def test_training_lowers_reconstruction_error_and_raises_likelihood(digits, settings):
    X, X_test = digits
    rbm = RBM(64, 12, seed=0)
    before_ll, before_err = rbm.log_likelihood(X_test), rbm.reconstruction_error(X_test)
    history = rbm.fit(X, epochs=8, lr=0.1, momentum=0.5, progress=False, **settings)
    assert len(history.reconstruction_error) == len(history.pseudo_likelihood) == 8
    assert history.reconstruction_error[-1] < 0.75 * history.reconstruction_error[0]
    assert rbm.reconstruction_error(X_test) < 0.75 * before_err
    assert rbm.log_likelihood(X_test) > before_ll + 2  # exact, by enumerating the 2^12 hidden states
    assert history.pseudo_likelihood[-1] > history.pseudo_likelihood[0]


def test_training_is_reproducible_and_callback_can_stop(digits):
    X, _ = digits
    runs = [RBM(64, 20, seed=3).fit(X, epochs=2, lr=0.1, progress=False).reconstruction_error for _ in range(2)]
    assert runs[0] == runs[1]
    rbm = RBM(64, 20, seed=3)
    history = rbm.fit(X, epochs=5, lr=0.1, progress=False, callback=lambda h: len(h.reconstruction_error) == 2)
    assert len(history.reconstruction_error) == 2 and rbm.epochs_trained == 2


@pytest.mark.parametrize("data", ["digits", "grey_digits"])
def test_cd1_reconstruction_error_is_on_par_with_scikit_learn(data, request):
    """Same data (binary, or grey levels in [0, 1]), 64 hidden units, η = 0.1, batches of 10, 10 epochs
    (scikit-learn uses PCD-1)."""
    from scipy.special import expit
    from sklearn.neural_network import BernoulliRBM

    X, X_test = request.getfixturevalue(data)
    ours = RBM(64, 64, seed=0)
    ours.fit(X, epochs=10, lr=0.1, batch_size=10, progress=False)
    theirs = BernoulliRBM(n_components=64, learning_rate=0.1, batch_size=10, n_iter=10, random_state=0).fit(X)
    hidden = expit(X_test @ theirs.components_.T + theirs.intercept_hidden_)
    their_error = np.mean((expit(hidden @ theirs.components_ + theirs.intercept_visible_) - X_test) ** 2)
    our_error = ours.reconstruction_error(X_test)
    assert our_error < 0.6 * np.mean((X_test - X.mean(axis=0)) ** 2)  # far better than the mean image
    assert our_error <= their_error + 0.005, (our_error, their_error)


def test_huge_learning_rates_saturate_but_stay_finite():
    """The CD gradient of every weight lies in [−1, 1], so even a huge η only makes the
    weights large (units stuck on or off); nothing overflows."""
    rbm = RBM(4, 3, seed=0)
    rbm.fit(binary_states(4), epochs=20, lr=1e300, batch_size=4, progress=False)
    assert np.isfinite(rbm.W).all() and np.abs(rbm.W).max() > 1e298


def test_grey_levels_are_probabilities_of_the_visible_units(grey_digits):
    """The positive phase uses the grey v0 itself and p(h | v0); the chains sample binary states."""
    X, X_test = grey_digits
    assert ((X > 0) & (X < 1)).mean() > 0.3  # really grey
    rbm = RBM(64, 32, seed=0)
    before = rbm.reconstruction_error(X_test)
    history = rbm.fit(X, epochs=5, lr=0.1, momentum=0.5, progress=False)
    assert history.reconstruction_error[-1] < 0.85 * history.reconstruction_error[0]
    assert rbm.reconstruction_error(X_test) < min(0.5 * before, np.mean((X_test - X.mean(axis=0)) ** 2))
    assert np.isfinite(history.pseudo_likelihood).all()
    v0, start = X[:50], X[50:100]
    estimate, v_k = rbm.cd_gradient(v0, k=2, start=start)
    assert set(np.unique(v_k)) <= {0.0, 1.0}  # the chain's states are sampled
    ph0 = 1 / (1 + np.exp(-(v0 @ rbm.W + rbm.hidden_bias)))
    ph = 1 / (1 + np.exp(-(v_k @ rbm.W + rbm.hidden_bias)))
    np.testing.assert_allclose(estimate["W"], v0.T @ ph0 / 50 - v_k.T @ ph / 50, atol=1e-12)
    np.testing.assert_allclose(estimate["visible_bias"], v0.mean(axis=0) - v_k.mean(axis=0), atol=1e-12)
    # the pseudo-likelihood flips a grey v_i to 1 − v_i, as scikit-learn's score_samples
    rbm.rng = np.random.default_rng(4)
    ours = rbm.pseudo_likelihood(X[:5])
    unit = np.random.default_rng(4).integers(0, 64, 5)
    flipped = X[:5].copy()
    flipped[np.arange(5), unit] = 1 - flipped[np.arange(5), unit]
    expected = -64 * np.logaddexp(0, rbm.free_energy(X[:5]) - rbm.free_energy(flipped))
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_float32_training(digits):
    X, _ = digits
    rbm = RBM(64, 16, seed=0).astype(np.float32)
    history = rbm.fit(X, epochs=2, lr=0.1, progress=False)
    assert rbm.W.dtype == np.float32 and np.isfinite(history.reconstruction_error).all()


# -- bad input ---------------------------------------------------------------------------------------

def test_bad_input_raises_clear_errors(digits):
    X, _ = digits
    rbm = RBM(64, 10, seed=0)
    with pytest.raises(ValueError, match=r"RBM.fit expected values in \[0, 1\], got values from 0 to 16"):
        rbm.fit(load_digits().X_train * 16, epochs=1, progress=False)  # grey levels not scaled to [0, 1]
    with pytest.raises(ValueError, match="binary values"):
        rbm.log_likelihood(np.full((2, 64), 0.5))  # exact p(v) is for binary v only
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 64\), got \(5, 63\)"):
        rbm.fit(np.zeros((5, 63)), progress=False)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 64\)"):
        rbm.reconstruct(np.zeros(64))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        rbm.reconstruct(np.full((2, 64), 16.0))
    with pytest.raises(TypeError, match="numeric"):
        rbm.free_energy("digits")
    with pytest.raises(ValueError, match="binary"):
        rbm.energy(np.full(64, 0.5), np.zeros(10))
    with pytest.raises(ValueError, match="as many v as h"):
        rbm.energy(np.zeros((2, 64)), np.zeros((3, 10)))
    with pytest.raises(ValueError, match="k .* positive integer"):
        rbm.cd_gradient(X[:5], k=0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        rbm.fit(X, epochs=0, progress=False)
    for lr in (-0.1, np.inf, np.nan):
        with pytest.raises(ValueError, match=rf"learning rate must be a number in \[0, inf\), got {lr}"):
            rbm.fit(X, lr=lr, progress=False)
    with pytest.raises(TypeError, match="learning rate must be a number, got str"):
        rbm.fit(X, lr="0.1", progress=False)
    assert rbm.epochs_trained == 0 and not rbm.visible_bias.any()  # refused before anything changed
    with pytest.raises(ValueError, match="too many"):
        RBM(64, 64, seed=0).log_partition()
    with pytest.raises(ValueError, match="n_hidden must be a positive integer"):
        RBM(64, 0)


# -- the deep belief network ---------------------------------------------------------------------------

def test_dbn_pretraining_initialises_the_mlp(digits):
    X, _ = digits
    dbn = DBN([64, 32, 16], seed=0)
    assert [name for name, _, _ in dbn.named_parameters()] == [
        "0.W", "0.visible_bias", "0.hidden_bias", "1.W", "1.visible_bias", "1.hidden_bias"]
    histories = dbn.pretrain(X, epochs=3, lr=0.1, momentum=0.5, progress=False)
    assert len(histories) == 2 and all(h.reconstruction_error[-1] < h.reconstruction_error[0] for h in histories)
    assert dbn.forward(X).shape == (len(X), 16)
    mlp = dbn.to_mlp(10, seed=0)
    assert isinstance(mlp, MLP) and mlp.sizes == [64, 32, 16, 10]
    np.testing.assert_array_equal(mlp[0].params["weight"], dbn.rbms[0].W.T)
    np.testing.assert_array_equal(mlp[2].params["bias"], dbn.rbms[1].hidden_bias)
    # the MLP's hidden layers compute exactly the RBMs' p(h | v), passed up the stack
    hidden = mlp[3].forward(mlp[2].forward(mlp[1].forward(mlp[0].forward(X))))
    np.testing.assert_allclose(hidden, dbn.forward(X), atol=1e-12)


def test_mlp_from_pretrained_checks_shapes():
    with pytest.raises(ValueError, match="expected weight of shape"):
        mlp_from_pretrained([(np.zeros((5, 4)), np.zeros(5)), (np.zeros((3, 6)), np.zeros(3))], 2)
    with pytest.raises(ValueError, match="sizes must list"):
        DBN([64])
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive integer, got True"):
        DBN([64, True])


# -- the RBM explorer ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def explorer():
    from dlteach.widgets.rbm import RBMExplorer

    return RBMExplorer(epochs=3, n_hidden=16)


def train(explorer, report=None) -> str:
    """Press Train and run the training to its end, as the kernel does step by step."""
    for _ in explorer.actions()["Train"](report or (lambda fraction, text: None)):
        pass
    return explorer.message


def test_explorer_updates_at_extreme_values_return_messages(explorer):
    assert explorer.update() == ""
    for changes in [dict(sample_steps=0), dict(sample_steps=1000), dict(k=25), dict(lr=1e-4), dict(lr=10.0),
                    dict(n_hidden=1), dict(n_hidden=400), dict(epochs=100), dict(momentum=0.99),
                    dict(persistent=True), dict(digit=359)]:
        message = explorer.update(**changes)
        assert isinstance(message, str)
        if set(changes) & {"k", "lr", "n_hidden", "epochs", "momentum", "persistent"}:
            assert "press Train" in message
    for changes, says in [(dict(k=0), "k must be between 1 and 25, got 0"),
                          (dict(lr=-1.0), r"lr must be between 0.0001 and 10, got -1.0"),
                          (dict(momentum=1.5), "momentum must be between 0 and 0.99, got 1.5"),
                          (dict(sample_steps=1001), "sample_steps must be between 0 and 1000, got 1001")]:
        with pytest.raises(ControlError, match=says):
            explorer.update(**changes)
    assert explorer.png().startswith(b"\x89PNG")


def test_a_slider_momentum_of_0_9_is_the_trained_momentum():
    from dlteach.widgets.rbm import RBMExplorer

    explorer = RBMExplorer(epochs=1, n_hidden=8)
    assert explorer.update(momentum=0.9000000000000001) == explorer.verdict  # as the slider sends it back
    assert "Settings changed" not in explorer.message
    with pytest.raises(ControlError, match="n_hidden must be between 1 and 400, got 0"):
        RBMExplorer(n_hidden=0)


@pytest.mark.parametrize("settings, expected", [
    (dict(lr=10.0, momentum=0.9), "too large"),
    (dict(lr=1.0, momentum=0.9), "hidden units are stuck"),
    (dict(lr=1e-4, momentum=0.0), "too small"),
    (dict(n_hidden=1), "With 1 hidden unit the RBM has too few features"),
    (dict(n_hidden=4), "With 4 hidden units the RBM has too few features"),
    (dict(lr=0.1, momentum=0.9, n_hidden=16), ""),
])
def test_explorer_training_gives_a_verdict(explorer, settings, expected):
    base = dict(k=1, lr=0.1, momentum=0.9, n_hidden=16, epochs=4, persistent=False, sample_steps=10)
    explorer.update(**{**base, **settings})
    reports = []
    message = train(explorer, lambda fraction, text: reports.append((fraction, text)))
    assert reports == [(0.25, "epoch 1 of 4"), (0.5, "epoch 2 of 4"), (0.75, "epoch 3 of 4"), (1.0, "epoch 4 of 4")]
    assert (expected in message) if expected else message == ""
    assert explorer.update() == message  # drawing again gives the same verdict
    assert explorer.curve_title.startswith(f"CD-1, {explorer.rbm.n_hidden} hidden unit")
    assert ("units" in explorer.curve_title) == (explorer.rbm.n_hidden > 1)


def test_training_is_live_and_can_pause_and_go_on(explorer):
    explorer.update(k=1, lr=0.1, momentum=0.9, n_hidden=16, epochs=4, persistent=False, sample_steps=5)
    steps = explorer.actions()["Train"](None)
    next(steps)
    assert explorer.message.startswith("Training: epoch 1 of 4, reconstruction error")
    explorer.picture()
    assert explorer.curve.get_xdata().tolist() == [1]  # the picture follows the training
    next(steps)
    steps.close()  # the pause button
    assert explorer.message == "Paused after 2 epochs of 4: press Train to go on."
    rbm = explorer.rbm
    assert train(explorer) == explorer.verdict and explorer.rbm is rbm and len(explorer.errors) == 4
    explorer.update(lr=0.2)
    assert "Settings changed (lr)" in explorer.message
    train(explorer)
    assert explorer.rbm is not rbm and explorer.trained["lr"] == 0.2


def test_changing_training_settings_does_not_run_the_chains_again(explorer, monkeypatch):
    explorer.update(sample_steps=300)
    calls = []
    monkeypatch.setattr(explorer.rbm, "gibbs", lambda *a, **k: calls.append(a) or RBM.gibbs(explorer.rbm, *a, **k))
    for changes in [dict(k=3), dict(lr=1.0), dict(momentum=0.5), dict(n_hidden=20), dict(epochs=7)]:
        explorer.update(**changes)
    assert calls == []
    explorer.update(sample_steps=301)  # one more step: one step of the chain, from where it stood
    assert [a[1] for a in calls] == [1]
    explorer.update(sample_steps=120)  # back: from the state kept at step 100
    assert [a[1] for a in calls] == [1, 20]


def test_gibbs_chains_are_the_same_however_they_are_reached(explorer):
    explorer.update(sample_steps=0, digit=3)
    np.testing.assert_array_equal(explorer.repair, explorer.X_test[3].reshape(8, 8))  # step 0: the start
    walked = []
    for t in range(1, 8):
        explorer.update(sample_steps=t)
        walked.append(explorer.repair.copy())
    explorer._restart_chains()
    explorer.update(sample_steps=7)  # straight from the start
    np.testing.assert_array_equal(walked[-1], explorer.repair)


def test_painting_corruption_and_the_chain_repairing_it(explorer):
    explorer.update(k=1, lr=0.1, momentum=0.9, n_hidden=16, epochs=3, persistent=False)
    train(explorer)
    explorer.update(digit=5, sample_steps=1)
    explorer.widget()
    grid = explorer.live_chain
    assert [p.get("clickable") for p in grid.panels] == [True, False, False, None]  # the last: random starts
    clean = explorer.X_test[5].copy()
    row = 0
    for col in range(8):  # a stroke of ink along a row
        grid._handle_custom_msg({"event": "cell", "panel": 0, "row": row, "col": col, "drag": col > 0}, [])
    assert explorer.corrupted.reshape(8, 8)[row].tolist() == [1.0] * 8
    assert grid.panels[0]["colours"][8 * row:8 * row + 8] == ["#000000"] * 8
    assert grid.panels[1]["title"] == "p(v | h) after 1 Gibbs step"
    # one step of the chain wipes most of the ink painted where this digit had none
    added = explorer.repair[row][clean.reshape(8, 8)[row] == 0]
    assert added.mean() < 0.5, added
    grid._handle_custom_msg({"event": "cell", "panel": 1, "row": 0, "col": 0, "drag": False}, [])  # not paintable
    assert explorer.corrupted.reshape(8, 8)[row].tolist() == [1.0] * 8
    explorer.restore()
    explorer.add_noise()
    assert int((explorer.corrupted != clean).sum()) == 8
    explorer.restore()
    np.testing.assert_array_equal(explorer.corrupted, clean)


def test_live_picture_sends_only_what_changed(explorer):
    explorer.widget()
    explorer.update(sample_steps=10)
    sent = []
    explorer.live_model.observe(lambda change: sent.append(1), names="panels")
    explorer.update(sample_steps=11)
    explorer.update(k=2)
    assert sent == []  # the filters did not change: not encoded again
    train(explorer)
    assert len(sent) == explorer.trained["epochs"]  # once per epoch
    explorer.update(k=1)


def test_lesson_12_exercise_keys_are_the_libraries_answers():
    from dlteach.exercises import check

    tiny = RBM(3, 2, seed=0)
    tiny.params["W"][...] = [[2.0, -1.0], [-1.0, 2.0], [1.0, 1.0]]
    tiny.params["visible_bias"][...] = [-1.0, 0.0, -0.5]
    tiny.params["hidden_bias"][...] = [0.5, -1.0]
    assert check("12.1", tiny.energy([1, 0, 1], [1, 1]))
    assert check("12.2", tiny.forward(np.array([[0.0, 1.0, 1.0]]))[0, 1])
    assert check("12.2", 0.881) and not check("12.2", 0.88)  # 3 decimals, as the question asks

    def visible_bias(X):
        rbm = RBM(X.shape[1], 1, seed=0)
        rbm.init_visible_bias(X)
        return rbm.visible_bias

    assert check("12.3", visible_bias)
    assert not check("12.3", lambda X: X.mean(axis=0))

    from dlteach.nn.functional import sigmoid

    quake = sigmoid(-10.0)  # 12.4: explaining away in the lecture's earthquake / truck / house-jumps net
    joint = {q: (quake if q else 1 - quake) * sigmoid(-20.0 + 20.0 * q + 20.0) for q in (0, 1)}
    assert check("12.4", joint[1] / (joint[0] + joint[1])) and check("12.4", 9.08e-5)

    v0, v1 = np.array([[1.0, 0.0, 1.0]]), np.array([[1.0, 1.0, 0.0]])  # 12.5: one CD-1 estimate
    estimate = v0.T @ tiny.forward(v0) - v1.T @ tiny.forward(v1)
    # the positive phases of the exact gradient for data v0 and for data v1; their model terms cancel
    assert np.allclose(tiny.exact_gradient(v0)["W"] - tiny.exact_gradient(v1)["W"], estimate)
    assert check("12.5", estimate) and check("12.5", estimate.round(3)) and not check("12.5", estimate.round(2))


def test_fit_epoch_by_epoch_keeps_the_momentum_of_its_optimizer():
    from dlteach.optim import SGD

    X = (np.random.default_rng(0).random((60, 16)) < 0.3).astype(float)
    rbm = RBM(16, 8, seed=0)
    optimizer = SGD(rbm, lr=0.05, momentum=0.9)
    rbm.fit(X, epochs=1, progress=False, optimizer=optimizer)
    velocity = [v.copy() for v in optimizer.velocity]
    assert all(np.abs(v).sum() > 0 for v in velocity)
    rbm.fit(X, epochs=1, progress=False, optimizer=optimizer)  # goes on from that velocity, not from 0
    fresh = RBM(16, 8, seed=0)
    fresh.fit(X, epochs=1, progress=False, lr=0.05, momentum=0.9)
    fresh.fit(X, epochs=1, progress=False, lr=0.05, momentum=0.9)
    assert not np.allclose(rbm.params["W"], fresh.params["W"])
