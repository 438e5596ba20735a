"""Lesson 13's autoencoder explorer in JupyterLab, moved as a learner would: λ down and up until
codes die, another set of test digits, a new code size learned live."""

from __future__ import annotations

import pytest

from learner import explorer_in, wait_until

pytestmark = pytest.mark.browser

CAPTIONS = "[...v.querySelectorAll('.dlteach-grid-panel figcaption')].map(c => c.textContent).join('|')"


def test_autoencoder_by_hand(page, lab):
    """Slide λ, choose six 8s, learn 100 atoms and watch the reconstructions while it learns."""
    with explorer_in(page, lab, "13_autoencoders.ipynb", ".dlteach-grids") as view:
        code_size, lam = view.locator(".noUi-handle").nth(0), view.locator(".noUi-handle").nth(1)
        wait_until(view, f"{CAPTIONS}.includes('9 of 36 on')")  # the lesson's dictionary, λ = 0.3
        before = view.evaluate(f"v => {CAPTIONS}")
        lam.press("ArrowLeft")  # λ = 0.1: more atoms switch on
        wait_until(view, f"{CAPTIONS} !== {before!r} && v.innerText.includes('λ = 0.1: error')")
        lam.press("Home")  # λ = 0: a dense code
        wait_until(view, "v.innerText.includes('λ = 0: no penalty')")
        assert view.evaluate(f"v => {CAPTIONS}").count("36 of 36 on") == 6
        lam.press("End")  # λ = 10: the code dies
        wait_until(view, "v.innerText.includes('The code has died')")
        assert view.evaluate(f"v => {CAPTIONS}").count("0 of 36 on") == 6
        for _ in range(2):
            lam.press("ArrowLeft")  # λ = 3.5: some digits keep an atom or two
        wait_until(view, "v.innerText.includes('switches off the whole code of')")
        view.locator("select").select_option("six 8s")
        wait_until(view, f"{CAPTIONS}.split('|').filter(t => t === 'digit 8').length === 6")
        lam.press("Home")
        code_size.press("End")  # 100 atoms: not learned yet
        wait_until(view, "v.innerText.includes('No dictionary of 100 atoms yet')")
        view.locator("button:has-text('▶ learn atoms')").click()
        wait_until(view, "/Learning a dictionary of 100 atoms .* step \\d+ of 30/.test(v.innerText)", timeout_s=20)
        wait_until(view, "v.innerText.includes('With 100 atoms for 64 pixels')", timeout_s=60)
        assert view.evaluate(f"v => {CAPTIONS}").count("of 100 on") == 6
        assert "Traceback" not in view.inner_text()
