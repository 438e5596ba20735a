"""The moves of a learner in JupyterLab, for the browser tests: run a lesson, find its explorer,
watch its picture change, click and wait. On failure, screenshots of the page and of each widget
go to ``artifacts/browser/``."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import pytest

from dlteach import browser, course

ARTIFACTS = course.ROOT / "artifacts" / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PICTURE = "img.widget-image, .dlteach-picture"
PICTURE_TIMEOUT_S = 8  # an update takes well under a second, even through the kernel
TITLE = "v.querySelector('.dlteach-picture .mainheading').textContent"  # a bqplot figure's title
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



# -- a learner's hands -----------------------------------------------------------------------
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


def on_screen(locator) -> dict:
    """The bounding box of ``locator`` after scrolling it into view: a learner clicks what they see."""
    locator.scroll_into_view_if_needed()
    return locator.bounding_box()


def wait_until(view, condition: str, timeout_s: float = 5):
    """Wait until the JavaScript ``condition`` on the explorer's element ``v`` holds."""
    view.page.wait_for_function(f"v => {condition}", arg=view.element_handle(), timeout=timeout_s * 1e3)


def slider_handle(view, label: str):
    """The handle of the explorer's slider labelled ``label`` (focus it and press keys, as a learner)."""
    return view.locator(f".widget-slider:has(.widget-label:text-is('{label}')) [role=slider]").first


def type_in(view, label: str, text: str):
    """Type a value into the readout of the explorer's slider labelled ``label``, as a learner can."""
    readout = view.locator(f".widget-slider:has(.widget-label:text-is('{label}')) .widget-readout").first
    readout.fill(text)
    readout.press("Enter")
