"""JupyterLab on 127.0.0.1 driven by Debian's headless Chromium, for the browser tests and the
browser benchmark: a private server (token kept) on a copy of the notebooks, a browser, and
the few moves a learner makes (open a notebook, run all cells, wait for the kernel)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import i18n
from .cli import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDGET_VIEWS = ".jp-NotebookPanel .jp-OutputArea-output > .jupyter-widgets"
RAISED = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.innerText).filter(t => t.includes('Traceback'))"""
# what a learner clicks and reads in JupyterLab's own interface, in English and with the zh-CN language pack
INTERFACE = {"en": {"Edit": "Edit", "Clear Outputs of All Cells": "Clear Outputs of All Cells", "Run": "Run",
                    "Run All Cells": "Run All Cells", "Idle": "Idle"},
             "zh": {"Edit": "编辑", "Clear Outputs of All Cells": "清除所有单元格的输出", "Run": "运行",
                    "Run All Cells": "运行所有单元格", "Idle": "空闲"}}
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent.trim());
    const raised = [...document.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .some(e => e.innerText.includes('Traceback'));
    return raised || (prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t)));
}"""


class Lab:
    """A running JupyterLab: its URL, token, log file, server process and interface language."""

    def __init__(self, url: str, token: str, log: Path, process: subprocess.Popen, language: str = "en"):
        self.url, self.token, self.log, self.process, self.language = url, token, log, process, language

    def api(self, method: str, path: str):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


@contextlib.contextmanager
def serve_lab(notebooks: Path, workdir: Path, threads: int | None = 1, language: str = "en"):
    """JupyterLab serving a copy of ``notebooks`` from ``workdir``, with a private config (no
    user settings, no news prompt), ``threads`` BLAS/OpenMP threads per kernel, as `make lab`,
    and its interface in ``language``."""
    root, config = workdir / "notebooks", workdir / "config"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = config / "lab" / "user-settings" / "@jupyterlab"
    for plugin, setting in (("apputils-extension/notification", {"fetchNews": "false"}),
                            ("translation-extension/plugin", {"locale": i18n.LOCALES[language] or "default"})):
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(setting))
    port, token = free_port(), secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config)}
    if threads:
        env.update({k: str(threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")})
    log_path = workdir / "jupyterlab.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    lab = Lab(f"http://127.0.0.1:{port}", token, log_path, server, language)
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                lab.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer within 90 s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def serve_static(folder: Path):
    """A static file server on 127.0.0.1 for ``folder`` (the website, the slides), in a thread;
    yields its base URL."""
    import functools
    import http.server
    import threading

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the tests look at what the browser saw
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(profile: Path):
    """A headless Chromium context (playwright driving Debian's build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


def menu(page, top: str, item: str):
    page.click(f".lm-MenuBar-itemLabel:text-is('{top}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")


def wait_kernel_idle(page, timeout_s: float, language: str = "en"):
    idle = re.compile(rf"\| {INTERFACE[language]['Idle']}$")
    page.locator(".jp-StatusBar-Widget").get_by_text(idle).wait_for(timeout=timeout_s * 1e3)


def run_all(page, lab: Lab, name: str, timeout_s: float = 240):
    """Open ``name``, clear its outputs (so prompts tell this run from the saved one) and run all cells."""
    page.goto(f"{lab.url}/lab/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60_000)
    words = INTERFACE[lab.language]
    wait_kernel_idle(page, 60, lab.language)
    menu(page, words["Edit"], words["Clear Outputs of All Cells"])
    menu(page, words["Run"], words["Run All Cells"])
    page.wait_for_function(ALL_CELLS_RAN, timeout=timeout_s * 1e3, polling=250)
    wait_kernel_idle(page, 60, lab.language)
