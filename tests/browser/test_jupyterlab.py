"""Every notebook with a widget, run for real: JupyterLab on 127.0.0.1 driven by headless Chromium.

One JupyterLab server (token kept) serves a temporary copy of ``notebooks/`` for the whole
session (``dlteach.browser``). For each notebook that shows widgets, the test opens it, clears
and runs all cells, waits for the kernel to go idle, and checks that every widget rendered
live, that no cell raised, and that moving a control of each explorer changes its picture.
Explorers a learner touches directly are clicked, dragged and stepped as a learner would. On
failure, screenshots of the page and of each widget go to ``artifacts/browser/``. Without
Debian's Chromium at /usr/bin/chromium the tests are skipped with the command that installs it.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest

from dlteach import browser, course

pytestmark = pytest.mark.browser

ARTIFACTS = course.ROOT / "artifacts" / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PICTURE = "img.widget-image, .dlteach-picture"
PICTURE_TIMEOUT_S = 8  # an update takes well under a second, even through the kernel
FINGERPRINT = """e => { let h = 0; for (const c of e.outerHTML) h = (h * 31 + c.charCodeAt(0)) | 0; return h; }"""


def widget_count(path: Path) -> int:
    """How many widget views the committed notebook displays (its outputs say so)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(WIDGET_MIME in output.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code" for output in cell["outputs"])


def widget_notebooks():
    found = [pytest.param(p.name, n, id=p.stem)
             for p in sorted(course.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if (n := widget_count(p))]
    return found or [pytest.param(None, 0, marks=pytest.mark.skip(reason="no notebook in notebooks/ shows a widget yet"))]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with browser.serve_lab(course.NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    if not browser.CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {browser.CHROMIUM}; install it with "
                    "`sudo apt-get install chromium` (then `make test` runs them)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is missing; "
                        "install the test extras: pip install -e '.[test]'")
    with browser.chromium(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture
def page(chromium, lab):
    page = chromium.new_page()
    try:
        yield page
    finally:
        page.close()
        lab.shutdown_kernels()


# -- watching a picture --------------------------------------------------------------------
def fingerprint(view):
    return view.locator(PICTURE).first.evaluate(FINGERPRINT)


def picture_changed(view, old, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if fingerprint(view) != old:
            return True
        view.page.wait_for_timeout(100)
    return False


def control_moves(view):
    """Ways to move each control of a widget: pick another dropdown entry, press an arrow
    key on a slider's handle, press another toggle button."""
    for select in view.locator("select").all():
        values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
        current = select.input_value()
        other = next((v for v in values if v != current), None)
        if other is not None and select.is_enabled():
            yield f"dropdown → {other!r}", lambda select=select, other=other: select.select_option(other)
    for handle in view.locator(".noUi-handle").all():
        def press(handle=handle):
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            handle.press("ArrowLeft" if at_max else "ArrowRight")
        yield "slider arrow key", press
    for button in view.locator(".widget-toggle-button:not(.mod-active)").all():
        yield f"toggle {button.inner_text()!r}", button.click


def check_explorer(view, index: int):
    """Move controls until the picture changes (some controls only matter after training);
    then no error may show in the widget."""
    old = fingerprint(view)
    tried = []
    for what, move in control_moves(view):
        move()
        tried.append(what)
        if picture_changed(view, old, 2.0):
            break
    else:
        assert picture_changed(view, old, PICTURE_TIMEOUT_S), \
            f"widget {index}: the picture did not change after moving any control (tried {tried})"
    text = view.inner_text()
    assert "Traceback" not in text, f"widget {index} shows an error after {tried}:\n{text}"


def save_screenshots(page, stem: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))
    for i, view in enumerate(page.locator(browser.WIDGET_VIEWS).all()):
        view.screenshot(path=str(ARTIFACTS / f"{stem}_widget{i}.png"))


def open_lesson(page, lab, name: str, expected: int):
    browser.run_all(page, lab, name)
    tracebacks = page.evaluate(browser.RAISED)
    assert not tracebacks, f"{name}: a cell raised:\n" + "\n\n".join(tracebacks)
    views = page.locator(browser.WIDGET_VIEWS)
    page.wait_for_function(f"() => document.querySelectorAll({browser.WIDGET_VIEWS!r}).length >= {expected}",
                           timeout=30_000)
    assert views.count() == expected, f"{name}: {views.count()} widgets rendered, the notebook shows {expected}"
    return views.all()


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


@contextlib.contextmanager
def explorer_in(page, lab, name: str, marker: str):
    """The explorer of lesson ``name`` that holds ``marker``, after a Run All; screenshots if the block fails."""
    try:
        view = next(v for v in open_lesson(page, lab, name, widget_count(course.NOTEBOOK_DIR / name))
                    if v.locator(marker).count())
        view.scroll_into_view_if_needed()
        yield view
    except BaseException:
        save_screenshots(page, f"{Path(name).stem}_by_hand")
        raise


def wait_until(view, condition: str, timeout_s: float = 5):
    """Wait until the JavaScript ``condition`` on the explorer's element ``v`` holds."""
    view.page.wait_for_function(f"v => {condition}", arg=view.element_handle(), timeout=timeout_s * 1e3)


def test_gradient_descent_by_hand(page, lab):
    """Click the contours to start there, drag the start square, step and play the path."""
    with explorer_in(page, lab, "03_loss_and_gradient_descent.ipynb", ".dlteach-picture") as view:
        readouts = lambda: view.locator(".widget-readout").all_inner_texts()  # noqa: E731
        contours = view.locator("svg.svg-figure image").first.bounding_box()
        x, y = contours["x"] + contours["width"] * 0.75, contours["y"] + contours["height"] * 0.25
        page.mouse.click(x, y)
        wait_until(view, "v.innerText.includes('1.00')")
        assert readouts()[-2:] == ["1.00", "0.75"], readouts()  # the start moved to the click
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
        plane = view.locator("svg.svg-figure image").first.bounding_box()
        page.mouse.click(plane["x"] + plane["width"] * 0.03, plane["y"] + plane["height"] * 0.03)  # no point there
        wait_until(view, f"{points} === {before + 1}")
        view.locator("select").nth(1).select_option("sigmoid")  # a new architecture: the nets start again
        wait_until(view, "v.innerText.includes('start again from scratch')")
        view.locator("button:has-text('▶ train')").click()
        wait_until(view, "/After [1-9]\\d* of 200 epochs/.test(v.innerText)", timeout_s=20)
        view.locator("button:has-text('pause')").click()
        wait_until(view, "!v.querySelector('button.mod-primary').disabled")  # ▶ train is back
        shown = view.inner_text()
        view.locator("button:has-text('step one epoch')").click()
        wait_until(view, f"v.innerText !== {shown!r}")
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
