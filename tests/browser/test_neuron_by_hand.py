"""Lesson 2's neuron explorer in JupyterLab, as a learner uses it: move a weight, switch to ReLU, click the
plane and drag the input dot; the picture drawn in the browser follows."""

from __future__ import annotations

import pytest

from learner import TITLE, explorer_in, on_screen, wait_until

pytestmark = pytest.mark.browser

COLOUR_BAR = "[...v.querySelectorAll('svg.svg-background')].find(s => s.textContent.includes('output a'))"
COLOUR_TICKS = f"[...{COLOUR_BAR}.querySelectorAll('.tick text')]"


def test_neuron_by_hand(page, lab):
    with explorer_in(page, lab, "02_neuron_and_network.ipynb", "text=Drag the gold input dot") as view:
        wait_until(view, f"{TITLE}.includes('= 4,  a = 0.982')")              # the lecture's neuron
        readouts = lambda: view.locator(".widget-readout").all_inner_texts()  # noqa: E731
        view.locator(".noUi-handle").first.press("ArrowRight")               # w1: 1 → 1.1
        wait_until(view, f"{TITLE}.includes('= 4.1,')")
        view.locator("select").select_option("ReLU")
        wait_until(view, f"{TITLE}.includes('a = 4.1')")
        plane = on_screen(view.locator("svg.svg-figure image").first)
        page.mouse.click(plane["x"] + plane["width"] * 0.997, plane["y"] + plane["height"] * 0.997)
        wait_until(view, "v.innerText.includes('ReLU does not saturate for positive z: a = z = 10.3')")
        assert readouts()[3:5] == ["3.00", "−3.00"], readouts()               # the input moved to the click
        wait_until(view, f"{COLOUR_TICKS}.some(t => t.textContent === '10')")  # the colours reach a = 10.3
        dot = on_screen(view.locator("svg.svg-figure path.dot").last)         # drag the gold dot up and left
        x, y = dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - plane["width"] * 0.5, y - plane["height"] * 0.25, steps=8)
        page.mouse.up()
        page.wait_for_function("r => r.innerText.trim() === '0.00'",
                               arg=view.locator(".widget-readout").nth(3).element_handle(), timeout=5000)
        assert readouts()[4] == "−1.50", readouts()
        wait_until(view, f"{TITLE}.includes('= 4,  a = 4')")                  # z = 0·1.1 + (−1.5)·(−2) + 1
        assert "Traceback" not in view.inner_text()
