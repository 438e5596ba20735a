"""Lesson 6's universality explorer in JupyterLab, as a learner uses it: move the neurons and steepness
sliders, then draw a target curve with the mouse and see the network fitted to it."""

from __future__ import annotations

import pytest

from learner import TITLE, explorer_in, on_screen, wait_until

pytestmark = pytest.mark.browser



def test_universality_by_hand(page, lab):
    with explorer_in(page, lab, "06_why_deep.ipynb", "text=draw your own target curve") as view:
        wait_until(view, f"{TITLE}.includes('n = 12, w = 48, max error')")  # steepness 4 exactly, after Run All
        n, steepness = view.locator(".noUi-handle").nth(0), view.locator(".noUi-handle").nth(1)
        steepness.press("ArrowLeft")
        wait_until(view, f"{TITLE}.includes('n = 12, w = 36,')")
        n.press("ArrowLeft")
        wait_until(view, f"{TITLE}.includes('n = 11, w = 33,')")
        before = view.evaluate(f"v => {TITLE}")
        top = on_screen(view.locator("svg.svg-figure").first)           # draw across the top panel
        y = top["y"] + top["height"] * 0.3
        page.mouse.move(top["x"] + top["width"] * 0.15, y)
        page.mouse.down()
        page.mouse.move(top["x"] + top["width"] * 0.85, y + top["height"] * 0.2, steps=80)
        page.mouse.up()
        page.wait_for_function("s => s.value === 'your drawing'", arg=view.locator("select").element_handle(),
                               timeout=5000)
        wait_until(view, f"{TITLE} !== {before!r}")                          # refitted to the drawing
        n.press("ArrowRight")                                                # the drawing stays the target
        wait_until(view, f"{TITLE}.includes('n = 12, w = 36,')")
        assert view.locator("select").input_value() == "your drawing"
        assert "Traceback" not in view.inner_text()
