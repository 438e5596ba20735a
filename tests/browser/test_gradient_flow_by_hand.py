"""Lesson 9's gradient-flow explorer, used as a learner would in JupyterLab: switch the activation
and gain, train a few epochs on the button and compare the loss curves (drawn by bqplot)."""

from __future__ import annotations

import time

import pytest

from learner import TITLE, explorer_in, slider_handle, wait_until

pytestmark = pytest.mark.browser

NOTE = "v.innerText"


def test_gradient_flow_by_hand(page, lab):
    with explorer_in(page, lab, "09_training_in_practice.ipynb", "button:has-text('train 3 epochs')") as view:
        train = view.locator("button:has-text('train 3 epochs')")
        wait_until(view, f"{TITLE} === 'backward: the gradient' && {NOTE}.includes('Balanced')")
        train.click()
        wait_until(view, f"{NOTE}.includes('Trained 102 updates')", timeout_s=30)
        assert view.locator(".dlteach-picture :text('━ relu, 10×64, gain 2.45')").count()
        start = time.monotonic()
        view.locator(".widget-toggle-button:text-is('sigmoid')").click()
        wait_until(view, f"{NOTE}.includes('Vanishing')")
        assert time.monotonic() - start < 2
        train.click()
        wait_until(view, f"{NOTE}.includes('hardly down: the net barely learns')", timeout_s=30)
        assert view.locator(".dlteach-picture :text('━ sigmoid, 10×64, gain 2.45')").count()
        slider_handle(view, "init gain").press("End")  # sigmoid at gain 6 still vanishes
        wait_until(view, f"{NOTE}.includes('Vanishing: layer 1\\'s gradient is 3.4e-03')")
        view.locator(".widget-toggle-button:text-is('tanh')").click()  # tanh at gain 6 grows towards the input
        wait_until(view, f"{NOTE}.includes('Growing towards the input')")
        slider_handle(view, "hidden layers").press("End")  # the largest net: training takes a while
        slider_handle(view, "width").press("End")
        wait_until(view, f"{NOTE}.includes('Exploding towards the input: layer 2')")  # 30×128
        train.click()
        view.locator(".widget-toggle-button:text-is('relu')").click()  # a change mid-training stops it
        wait_until(view, f"{NOTE}.includes('stopped after')", timeout_s=30)
        assert "Traceback" not in view.inner_text()
