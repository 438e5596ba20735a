"""Lesson 12's RBM explorer in JupyterLab, as a learner uses it: no spurious message after Run All, step the
Gibbs chain, corrupt the digit with the mouse and the noise button, train live, change a setting."""

from __future__ import annotations

import pytest

from learner import explorer_in, wait_until

pytestmark = pytest.mark.browser

LESSON, MARKER = "12_rbm_and_dbn.ipynb", "text=Paint on the test digit"
CAPTIONS = "[...v.querySelectorAll('.dlteach-grids figcaption')].map(c => c.textContent)"
DIGIT = ("[...v.querySelectorAll('.dlteach-grids svg')[0].querySelectorAll('rect[data-row]')]"
         ".map(r => r.getAttribute('fill')).join()")
NOTE = "v.querySelector('.widget-html-content div').textContent"


def test_step_corrupt_and_train(page, lab):
    with explorer_in(page, lab, LESSON, MARKER) as view:
        wait_until(view, f"{CAPTIONS}[1] === 'p(v | h) after 100 Gibbs steps'")
        assert "Settings changed" not in view.inner_text()              # momentum 0.9 is 0.9 after Run All
        view.locator("button:text-is('step ▶')").click()
        wait_until(view, f"{CAPTIONS}[1] === 'p(v | h) after 101 Gibbs steps'")
        view.locator("button:text-is('◀ step')").click()
        wait_until(view, f"{CAPTIONS}[2] === 'sampled v after 100 steps'")
        digit = view.evaluate(f"v => {DIGIT}")
        # ink a corner pixel (clicking the cell, wherever a redraw has just put it)
        view.locator(".dlteach-grids svg").first.locator("rect[data-row='0'][data-col='0']").click()
        wait_until(view, f"{DIGIT} !== {digit!r}", timeout_s=15)
        painted = view.evaluate(f"v => {DIGIT}")
        view.locator("button:text-is('flip 8 pixels')").click()
        wait_until(view, f"{DIGIT} !== {painted!r}")
        view.locator("button:text-is('clean digit')").click()
        wait_until(view, f"{DIGIT} === {digit!r}")
        title = "v.querySelectorAll('.mainheading')"
        view.locator(".noUi-handle").nth(3).press("ArrowLeft")           # hidden units 36 → 35
        wait_until(view, "v.innerText.includes('Settings changed (n_hidden): press Train')")
        view.locator("button:text-is('Train')").click()
        wait_until(view, "v.innerText.includes('epoch 10 of 10')", timeout_s=60)
        wait_until(view, f"[...{title}].some(t => t.textContent.startsWith('CD-1, 35 hidden units'))")
        wait_until(view, f"{NOTE} === ''")                                # trained well: nothing to say
        assert "Traceback" not in view.inner_text()
