"""Every notebook with a widget, run for real in JupyterLab and headless Chromium (see conftest.py):
each lesson is run top to bottom, every widget must render live with no cell raising, and moving a
control of each explorer must change its picture. Explorers a learner touches directly are clicked,
dragged, stepped and trained as a learner would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learner import (PICTURE, check_explorer, explorer_in, on_screen, open_lesson, save_screenshots, slider_handle,
                     type_in, wait_until, widget_notebooks)

pytestmark = pytest.mark.browser


# -- the tests -----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), widget_notebooks())
def test_notebook_widgets_work_in_jupyterlab(page, lab, name, expected):
    try:
        for i, view in enumerate(open_lesson(page, lab, name, expected)):
            if view.locator(PICTURE).count():
                view.scroll_into_view_if_needed()
                img = view.locator("img.widget-image")
                if img.count():
                    assert img.first.evaluate("img => img.complete && img.naturalWidth > 0"), \
                        f"{name}: widget {i} has no picture"
                check_explorer(view, i)
    except BaseException:
        save_screenshots(page, Path(name).stem)
        raise


def test_gradient_descent_by_hand(page, lab):
    """Click the contours to start there, drag the start square, step and play the path."""
    with explorer_in(page, lab, "03_loss_and_gradient_descent.ipynb", ".dlteach-picture") as view:
        readouts = lambda: view.locator(".widget-readout").all_inner_texts()  # noqa: E731
        contours = on_screen(view.locator("svg.svg-figure image").first)
        x, y = contours["x"] + contours["width"] * 0.75, contours["y"] + contours["height"] * 0.25
        page.mouse.click(x, y)
        wait_until(view, "v.innerText.includes('1.00')")
        assert readouts()[-2:] == ["1.00", "0.75"], readouts()  # the start moved to the click
        page.wait_for_timeout(500)  # the message above may have changed height: find the square again
        contours = on_screen(view.locator("svg.svg-figure image").first)
        x, y = contours["x"] + contours["width"] * 0.75, contours["y"] + contours["height"] * 0.25
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - contours["width"] * 0.25, y + contours["height"] * 0.25, steps=6)
        page.mouse.up()
        page.wait_for_timeout(1000)
        start = [float(v.replace("−", "-")) for v in readouts()[-2:]]
        assert start[0] < 0.5 and start[1] < 0.5, readouts()  # dragged down and to the left
        title = "v.querySelector('.mainheading').textContent"
        step = view.locator("button:has-text('step ▶')")
        step.click()
        wait_until(view, f"{title}.includes('step 0 of')")
        step.click()
        wait_until(view, f"{title}.includes('step 1 of')")
        view.locator(".widget-play button").first.click()  # play: the path grows by itself
        wait_until(view, f"/step [3-9]\\d* of/.test({title})", timeout_s=10)
        assert "Traceback" not in view.inner_text()


def test_deep_vs_fat_by_hand(page, lab):
    """Click the plane to add a training point; train live, pause, step one epoch."""
    with explorer_in(page, lab, "06_why_deep.ipynb", "button:has-text('▶ train')") as view:
        points = "v.querySelectorAll('.dlteach-picture svg.svg-figure')[0].querySelectorAll('.dot').length"
        before = view.evaluate(f"v => {points}")
        plane = on_screen(view.locator("svg.svg-figure image").first)
        page.mouse.click(plane["x"] + plane["width"] * 0.03, plane["y"] + plane["height"] * 0.03)  # no point there
        wait_until(view, f"{points} === {before + 1}")
        view.locator("select").nth(1).select_option("sigmoid")  # a new architecture: the nets start again
        wait_until(view, "v.innerText.includes('start again from scratch')")
        type_in(view, "epochs", "1000")
        wait_until(view, "v.innerText.includes('1000')")
        view.locator("button:has-text('▶ train')").click()
        wait_until(view, "/After [1-9]\\d* of 1000 epochs/.test(v.innerText)", timeout_s=20)
        slider_handle(view, "η (lr)").press("ArrowLeft")  # η, while it trains: the kernel answers
        wait_until(view, "v.innerText.includes('η is now 0.01 for both nets')", timeout_s=10)
        view.locator("button:has-text('pause')").click()
        wait_until(view, "!v.querySelector('button.mod-primary').disabled")  # ▶ train is back
        maps = "[...v.querySelectorAll('svg image')].map(i => i.getAttribute('href')).join()"
        shown = view.evaluate(f"v => {maps}")
        view.locator("button:has-text('step one epoch')").click()
        wait_until(view, f"{maps} !== {shown!r}")  # both decision maps are redrawn
        assert "Traceback" not in view.inner_text()


def test_convolution_by_hand(page, lab):
    """Click a pixel of the image, a weight of the kernel and a cell of the output map."""
    with explorer_in(page, lab, "07_convolution_and_pooling.ipynb", ".dlteach-grids") as view:
        panels = view.locator(".dlteach-grid-panel")
        image, kernel = view.locator("textarea").nth(0), view.locator("textarea").nth(1)
        panels.nth(0).locator("rect").nth(1).click()  # pixel (0, 1): 0 → 1
        page.wait_for_function("t => t.value.startsWith('110001')", arg=image.element_handle(), timeout=5000)
        panels.nth(1).locator("rect").nth(0).click()  # weight (0, 0): 1 → −1
        page.wait_for_function("t => t.value.startsWith('-1 -1 -1')", arg=kernel.element_handle(), timeout=5000)
        panels.nth(2).locator("rect").nth(5).click()  # output cell (1, 1): the window moves there
        wait_until(view, "v.innerText.includes('output[1, 1] = window · kernel')")
        assert "Traceback" not in view.inner_text()
