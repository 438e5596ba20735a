"""Lesson 10's RNN gradient explorer, moved as a learner would in JupyterLab: ρ, T, the
nonlinearity, clipping and max_norm; the picture (drawn by bqplot) and the message follow."""

from __future__ import annotations

import time

import pytest

from learner import TITLE, explorer_in, slider_handle, wait_until

pytestmark = pytest.mark.browser

NOTE = "v.innerText"


def test_rnn_gradients_by_hand(page, lab):
    with explorer_in(page, lab, "10_rnn_and_bptt.ipynb", ".widget-label:text-is('ρ (scale of W)')") as view:
        wait_until(view, f"{TITLE}.includes('ρ = 1.5, T = 60')")
        start = time.monotonic()
        slider_handle(view, "ρ (scale of W)").press("ArrowRight")  # 1.5 → 2, the next value of the lesson's grid
        wait_until(view, f"{TITLE}.includes('ρ = 2, T = 60')")
        assert time.monotonic() - start < 2
        slider_handle(view, "length T").press("Home")  # T = 2: one step back
        wait_until(view, f"{TITLE}.includes('T = 2:') && {NOTE}.includes('after 1 step the first step')")
        slider_handle(view, "length T").press("End")
        wait_until(view, f"{TITLE}.includes('T = 200') && {NOTE}.includes('Exploding')")
        view.locator(".widget-checkbox input").check()  # clip at max_norm 1: a safe step
        wait_until(view, f"{NOTE}.includes('a safe step size')")
        wait_until(view, "v.querySelector('.dlteach-picture').textContent.includes('after clipping (× c)')")
        slider_handle(view, "max_norm").press("End")  # max_norm 1000: no longer safe
        wait_until(view, f"{NOTE}.includes('norm 1000 (times η) still throws')")
        assert "safe step" not in view.inner_text()
        view.locator(".widget-toggle-button:text-is('relu')").click()
        wait_until(view, f"{TITLE}.startsWith('relu')")
        slider_handle(view, "ρ (scale of W)").press("End")  # ρ = 10 with ReLU at T = 200: past float64
        wait_until(view, f"{NOTE}.includes('Overflow')")
        view.locator(".widget-toggle-button:text-is('tanh')").click()  # saturated, still exploding
        wait_until(view, f"{NOTE}.includes('tanh units are saturated')")
        assert "Traceback" not in view.inner_text()
