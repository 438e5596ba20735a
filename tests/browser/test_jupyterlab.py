"""Every notebook with a widget, run for real: JupyterLab on 127.0.0.1 driven by headless Chromium.

One JupyterLab server (token kept) serves a temporary copy of ``notebooks/`` for the whole
session. For each notebook that shows widgets, the test opens it, clears and runs all
cells from the Run menu, waits for the kernel to go idle, and checks that every widget
rendered live, that no cell raised, and that moving a control of each explorer changes
its picture. On failure, screenshots of the page and of each widget go to
``artifacts/browser/``. Without Debian's Chromium at /usr/bin/chromium the tests are skipped
with the command that installs it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dlteach import course

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = course.ROOT / "artifacts" / "browser"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RUN_TIMEOUT_S = 240  # one notebook's Run All; lessons aim at < 60 s, the machine may be loaded
PICTURE_TIMEOUT_S = 8  # an update and its PNG take well under a second, even through the kernel

WIDGET_VIEWS = ".jp-NotebookPanel .jp-OutputArea-output > .jupyter-widgets"
TRACEBACKS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.innerText).filter(t => t.includes('Traceback'))"""
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent.trim());
    const raised = [...document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .some(e => e.innerText.includes('Traceback'));
    return raised || (prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t)));
}"""


def widget_count(path: Path) -> int:
    """How many widget views the committed notebook displays (its outputs say so)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(WIDGET_MIME in output.get("data", {})
               for cell in nb["cells"] if cell["cell_type"] == "code" for output in cell["outputs"])


def widget_notebooks():
    found = [pytest.param(p.name, n, id=p.stem)
             for p in sorted(course.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if (n := widget_count(p))]
    return found or [pytest.param(None, 0, marks=pytest.mark.skip(reason="no notebook in notebooks/ shows a widget yet"))]


# -- the server and the browser, once per session ------------------------------------------
class Lab:
    def __init__(self, url: str, token: str, log: Path):
        self.url, self.token, self.log = url, token, log

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root, config = tmp / "notebooks", tmp / "config"
    shutil.copytree(course.NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # A private config dir: no user settings or workspaces leak in, and no news prompt covers the page.
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = free_port(), secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = tmp / "jupyterlab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "JUPYTER_CONFIG_DIR": str(config)})
    this = Lab(f"http://127.0.0.1:{port}", token, log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                this.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
        yield this
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}; install it with "
                    "`sudo apt-get install chromium` (then `make test` runs them)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing; "
                                   "install the test extras: pip install -e '.[test]'")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, lab):
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()
        lab.shutdown_kernels()


# -- driving JupyterLab --------------------------------------------------------------------
def menu(page, top: str, item: str):
    page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def wait_kernel_idle(page, timeout_s: float):
    page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=timeout_s * 1e3)


def run_all(page, lab, name: str):
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60_000)
    wait_kernel_idle(page, 60)
    menu(page, "Edit", "Clear Outputs of All Cells")  # so the prompts tell this run from the saved one
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_TIMEOUT_S * 1e3, polling=250)
    wait_kernel_idle(page, 60)


def picture_changed(img, old: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if img.get_attribute("src") != old:
            return True
        img.page.wait_for_timeout(100)
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
    img = view.locator("img.widget-image").first
    old = img.get_attribute("src")
    tried = []
    for what, move in control_moves(view):
        move()
        tried.append(what)
        if picture_changed(img, old, 2.0):
            break
    else:
        assert picture_changed(img, old, PICTURE_TIMEOUT_S), \
            f"widget {index}: the picture did not change after moving any control (tried {tried})"
    text = view.inner_text()
    assert "Traceback" not in text, f"widget {index} shows an error after {tried}:\n{text}"


def save_screenshots(page, stem: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))
    for i, view in enumerate(page.locator(WIDGET_VIEWS).all()):
        view.screenshot(path=str(ARTIFACTS / f"{stem}_widget{i}.png"))


# -- the test ------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), widget_notebooks())
def test_notebook_widgets_work_in_jupyterlab(page, lab, name, expected):
    try:
        run_all(page, lab, name)
        tracebacks = page.evaluate(TRACEBACKS)
        assert not tracebacks, f"{name}: a cell raised:\n" + "\n\n".join(tracebacks)
        views = page.locator(WIDGET_VIEWS)
        page.wait_for_function(f"() => document.querySelectorAll({WIDGET_VIEWS!r}).length >= {expected}",
                               timeout=30_000)
        assert views.count() == expected, f"{name}: {views.count()} widgets rendered, the notebook shows {expected}"
        for i, view in enumerate(views.all()):
            if view.locator("img.widget-image").count():
                view.scroll_into_view_if_needed()
                loaded = view.locator("img.widget-image").first.evaluate("img => img.complete && img.naturalWidth > 0")
                assert loaded, f"{name}: widget {i} has no picture"
                check_explorer(view, i)
    except BaseException:
        save_screenshots(page, Path(name).stem)
        raise
