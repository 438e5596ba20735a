"""Lesson 4's backprop explorer, moved as a learner would in JupyterLab: the tips' settings (no
update, a saturating input, a too-large η); the network and E (drawn by bqplot) and the message follow."""

from __future__ import annotations

import time

import pytest

from learner import TITLE, explorer_in, slider_handle, type_in, wait_until

pytestmark = pytest.mark.browser

NOTE = "v.innerText"


def press(view, label: str, key: str, times: int = 1):
    """Press ``key`` on a slider's handle ``times`` times."""
    for _ in range(times):
        slider_handle(view, label).press(key)


def test_backprop_by_hand(page, lab):
    with explorer_in(page, lab, "04_backpropagation.ipynb", ".widget-label:text-is('max iterations')") as view:
        wait_until(view, f"{TITLE}.startsWith('after 27 updates')")
        start = time.monotonic()
        press(view, "max iterations", "Home")  # tip 1: before any update
        wait_until(view, f"{TITLE}.startsWith('after 0 updates') && {NOTE}.includes('No update yet')")
        assert time.monotonic() - start < 2
        press(view, "max iterations", "ArrowRight")
        wait_until(view, f"{TITLE}.startsWith('after 1 update:') && {NOTE}.includes('maximum of 1 iteration ')")
        press(view, "max iterations", "End")
        press(view, "x₁", "End")  # tip 3: x = (3, −3) saturates the first layer
        press(view, "x₂", "Home")
        wait_until(view, f"{NOTE}.includes('0.009999 is below the tolerance 0.01') "
                         f"&& {NOTE}.includes(\"Layer 1's sigmoids are saturated\")")
        weights = "[...v.querySelectorAll('.dlteach-picture text')].map(t => t.textContent).join(' ')"
        before = view.evaluate(f"v => {weights}")
        type_in(view, "x₁", "1")  # tip 4: back at x = (1, −1), t = (0.5, 0.5), then raise η
        type_in(view, "x₂", "-1")
        type_in(view, "t₁", "0.5")
        type_in(view, "t₂", "0.5")
        wait_until(view, f"{TITLE}.includes('t = (0.5, 0.5)') && !{NOTE}.includes('saturated')")
        assert view.evaluate(f"v => {weights}") != before  # the weights on the lines changed
        press(view, "η (lr)", "ArrowRight", 4)  # 1 → 20: one update is enough
        wait_until(view, f"{NOTE}.includes('stops after 1 update.')")
        press(view, "η (lr)", "ArrowRight")  # 50: E jumps up
        wait_until(view, f"{NOTE}.includes('η = 50 is too large')")
        assert "Traceback" not in view.inner_text()
