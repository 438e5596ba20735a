"""Lesson 8's feature-map explorer in JupyterLab, as a learner uses it: shift the test digit, clear the input
and draw a digit with the mouse; every stage's maps and the class probabilities follow."""

from __future__ import annotations

import pytest

from learner import explorer_in, on_screen, wait_until

pytestmark = pytest.mark.browser

LESSON, MARKER = "08_cnn_and_lenet5.ipynb", "text=Paint on the input with the mouse"
CAPTION = "v.querySelector('.dlteach-grids figcaption').textContent"
INKED = ("[...v.querySelectorAll('.dlteach-grids svg rect[data-row]')]"
         ".filter(r => r.getAttribute('fill') === '#000000').length")
MAPS = "[...v.querySelectorAll('.dlteach-grids canvas')].map(c => c.toDataURL()).join()"
STAGES = "[...v.querySelectorAll('.dlteach-grids')[1].querySelectorAll('figcaption')].map(c => c.textContent)"


def cell(view, row, col):
    """The centre of an input cell on the page (the panel is redrawn after every painted cell: wait for it)."""
    rect = view.locator(f".dlteach-grids svg rect[data-row='{row}'][data-col='{col}']")
    rect.wait_for(state="visible")
    box = rect.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_shift_and_paint_the_digit(page, lab):
    with explorer_in(page, lab, LESSON, MARKER) as view:
        wait_until(view, f"{CAPTION} === 'test digit 0 (a 0), shifted (+0, +0)'")
        assert view.locator(".dlteach-grids canvas").count() == 6      # every stage, not two of six
        assert view.locator(".dlteach-colour-bar").count() == 6        # each on its own colour scale
        titles = view.evaluate(f"v => {STAGES}")
        assert titles[0] == "conv 1: 16 maps 8×8" and titles[-1] == "max pool 2: 32 maps 2×2", titles
        assert "true" in view.locator(".bqplot .label").all_text_contents()  # the true class is named over its bar
        maps = view.evaluate(f"v => {MAPS}")
        view.locator(".noUi-handle").nth(2).press("ArrowRight")       # shift right +1
        wait_until(view, f"{CAPTION}.endsWith('shifted (+0, +1)')")
        wait_until(view, "v.innerText.includes('Misread: the network says')")
        wait_until(view, f"{MAPS} !== {maps!r}")                       # the maps moved with the digit
        view.locator("button:text-is('clear')").click()
        wait_until(view, "v.innerText.includes('The input field is empty')")
        assert view.evaluate(f"v => {INKED}") == 0
        for row in (4, 5):                                             # two clicks: two inked cells
            page.mouse.click(*cell(view, row, 8))
            wait_until(view, f"{INKED} === {row - 3}")
        wait_until(view, "v.innerText.includes('For your drawing the network says')")
        page.mouse.click(*cell(view, 4, 8))                            # a click on ink wipes it
        wait_until(view, f"{INKED} === 1")
        view.locator("button:text-is('undo painting')").click()
        wait_until(view, f"{CAPTION}.startsWith('test digit 0 (a 0)')")
        assert "Traceback" not in view.inner_text()


def test_draw_a_stroke_by_dragging(page, lab):
    with explorer_in(page, lab, LESSON, MARKER) as view:
        view.locator("button:text-is('clear')").click()
        wait_until(view, "v.innerText.includes('The input field is empty')")
        on_screen(view.locator(".dlteach-grids svg").first)  # the whole input in view, then the cells to cross
        stroke = [cell(view, row, 7) for row in range(3, 11)]  # the cells stay put while the panel redraws
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=3)
        page.mouse.up()
        wait_until(view, f"{INKED} === 8")                             # a stroke down the middle: a 1
        wait_until(view, "v.innerText.includes('For your drawing the network says')")
