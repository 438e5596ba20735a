"""Lesson 13: the autoencoder explorer (sparse codes of digits) driven through update(), its
messages in the situations that trigger them, live learning, and the live picture's numbers."""

import numpy as np
import pytest

from dlteach.data import load_digits
from dlteach.models import ista, learn_dictionary
from dlteach.widgets.autoencoder import (CODE_ITER, CODE_SIZES, DIGIT_SETS, LAMBDAS, N_CURVE, AutoencoderExplorer,
                                         hex_colours, shown_digits)
from dlteach.widgets.base import ControlError


@pytest.fixture(scope="module")
def shared():
    explorer = AutoencoderExplorer()
    for size in (8, 100):
        explorer.update(code_size=size)
        explorer.learn()
    return explorer


@pytest.fixture
def explorer(shared):
    shared.update(code_size=36, lam=0.3, digits="0 to 5")
    return shared


def test_the_grids_hold_the_lessons_values():
    assert 36 in CODE_SIZES and 64 in CODE_SIZES and {0.0, 0.05, 0.3} <= set(LAMBDAS)
    explorer = AutoencoderExplorer(code_size=36, lam=0.05)
    assert explorer.state == {"code_size": 36, "lam": 0.05, "digits": "0 to 5"}


def test_the_dictionary_is_the_lessons_and_the_codes_are_istas(explorer):
    X = load_digits().X_train[:600]
    atoms = learn_dictionary(X, 36, 0.3, steps=30, n_iter=30, seed=0)[0]  # the lesson's cell
    np.testing.assert_allclose(explorer.dictionaries[36].atoms, atoms, atol=1e-12)
    shown = shown_digits(explorer.y_test, "0 to 5")
    assert explorer.y_test[shown].tolist() == [0, 1, 2, 3, 4, 5]
    codes = ista(explorer.X_test[shown], atoms, 0.3, n_iter=CODE_ITER)
    explorer.update(digits="0 to 5")
    assert explorer.code_titles == [f"{n} of 36 on" for n in (codes != 0).sum(axis=1)]
    assert len(set(shown_digits(explorer.y_test, "six 8s"))) == 6  # six different 8s


def test_sparsity_falls_and_error_rises_with_lambda(explorer):
    learned = explorer.dictionaries[36]
    assert np.all(np.diff(learned.active) <= 0) and learned.active[0] == 1.0 and learned.active[-1] == 0.0
    assert np.all(np.diff(learned.errors) >= 0)
    blank = np.mean(explorer.X_test[:N_CURVE] ** 2)
    assert learned.errors[-1] == pytest.approx(blank)  # the dead code reconstructs nothing
    assert explorer.dictionaries[100].errors[0] < learned.errors[0] < explorer.dictionaries[8].errors[0]


def test_each_message_fits_its_situation(explorer):
    normal = explorer.update(lam=0.3)
    assert normal.startswith("Each digit uses ") and " of 36 atoms" in normal and "too small" not in normal
    dense = explorer.update(lam=0.0)
    assert "λ = 0: no penalty" in dense and "100% of the coefficients are non-zero" in dense
    assert "many codes" not in dense
    dead = explorer.update(lam=10.0)
    assert "The code has died: lower λ" in dead and all(t == "0 of 36 on" for t in explorer.code_titles)
    assert explorer.message == dead
    small = explorer.update(code_size=8, lam=0.3)
    assert "With only 8 atoms the code is too small" in small
    assert "too small" not in explorer.update(code_size=36)
    assert "With 100 atoms for 64 pixels many codes" in explorer.update(code_size=100, lam=0.0)
    waiting = explorer.update(code_size=4)
    assert waiting == "No dictionary of 4 atoms yet: press ▶ learn atoms (a second or so)."
    assert explorer.code_titles == ["no code yet"] * 6 and explorer.curve_now is None


def test_a_lambda_that_switches_off_some_digits_codes_says_so(explorer):
    for digits in DIGIT_SETS:
        message = explorer.update(digits=digits, lam=3.5)
        dead = sum(t.startswith("0 of") for t in explorer.code_titles)
        if 0 < dead < 6:
            noun = "digit" if dead == 1 else "digits"
            assert f"switches off the whole code of {dead} {noun} of 6" in message
            return
    pytest.fail("no digit set has part of its codes switched off at λ = 3.5")


def test_bad_values_change_nothing(explorer):
    for name, value in [("lam", 0.2), ("lam", float("nan")), ("code_size", 37), ("code_size", 10**9),
                        ("digits", "sevens"), ("lam", "0.3")]:
        with pytest.raises(ControlError):
            explorer.update(**{name: value})
        assert explorer.state == {"code_size": 36, "lam": 0.3, "digits": "0 to 5"}


def test_learning_runs_stepwise_once_per_code_size_and_a_pause_drops_it():
    explorer = AutoencoderExplorer()
    explorer.widget()
    explorer.update(code_size=16)
    steps = explorer.learning(lambda fraction, text="": None)
    for _ in range(6):
        next(steps)
    assert explorer.message.startswith("Learning a dictionary of 16 atoms from 600 training digits")
    assert "step 6 of 30" in explorer.message
    explorer.update(code_size=2)  # moved mid-learning: said so
    assert "the one of 16 atoms is being learned" in explorer.message
    steps.close()  # the pause button
    assert 16 not in explorer.dictionaries
    assert explorer.update(code_size=16).startswith("No dictionary of 16 atoms yet")
    learn = next(b for b in _buttons(explorer) if b.description == "▶ learn atoms")
    learn.click()  # no event loop here: runs straight through
    assert explorer.message.startswith("Each digit uses") and explorer.dictionaries[16].codes is not None
    atoms = explorer.dictionaries[16].atoms
    assert list(explorer.learning()) == [] and explorer.dictionaries[16].atoms is atoms  # learned once
    assert len(explorer.dictionaries) <= len(CODE_SIZES)
    explorer.close()


def test_the_live_picture_shows_the_figures_numbers(explorer):
    explorer.widget()
    explorer.update(lam=1.0, digits="six 8s")
    digits, codes = explorer.live_digits.panels, explorer.live_codes.panels
    explorer.picture()
    assert [p["title"] for p in digits] == ["digit 8"] * 6
    assert [(p["rows"], p["cols"]) for p in digits] == [(17, 8)] * 6
    assert [(p["rows"], p["cols"]) for p in codes] == [(6, 6)] * 6
    for panel, image in zip(digits + codes, explorer.images + explorer.code_images):
        assert panel["colours"] == hex_colours(image.get_array())
    assert [p["title"] for p in codes] == [ax.get_title() for ax in explorer.ax_codes]
    learned, i = explorer.dictionaries[36], LAMBDAS.index(1.0)
    np.testing.assert_array_equal(explorer.live_curve.x, learned.active)
    np.testing.assert_array_equal(explorer.live_point.y, [learned.errors[i]])
    assert len(explorer.live_others.x) == 2 and explorer.live_others.visible  # 8 and 100 atoms, in grey
    assert f"error {learned.errors[i]:.4f}" in explorer.live_curve_figure.title
    explorer.update(code_size=100)
    assert [(p["rows"], p["cols"]) for p in explorer.live_codes.panels] == [(10, 10)] * 6


def test_a_slider_move_costs_the_kernel_a_few_ms(explorer):
    import time

    explorer.widget()
    start = time.perf_counter()
    for lam in LAMBDAS * 3:
        explorer.update(lam=lam)
    assert (time.perf_counter() - start) / (3 * len(LAMBDAS)) < 0.05  # ~5 ms; generous for a loaded machine


def _buttons(explorer):
    from dlteach.widgets.base import _descendants

    return [w for w in _descendants(explorer.widget()) if hasattr(w, "on_click") and hasattr(w, "description")]
