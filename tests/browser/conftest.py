"""What the browser tests share: one JupyterLab server on 127.0.0.1 (token kept) serving a
temporary copy of ``notebooks/`` for the whole session (``dlteach.browser``), and headless
Chromium. Without Debian's Chromium at /usr/bin/chromium the tests are skipped with the
command that installs it; the learner's moves are in ``learner.py``.
"""

from __future__ import annotations

import contextlib

import pytest

from dlteach import browser, course


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with browser.serve_lab(course.NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab")) as lab:
        yield lab


@pytest.fixture(scope="session")
def lab_zh(tmp_path_factory):
    """JupyterLab with its interface in Chinese (the zh-CN language pack), for the Chinese edition."""
    with browser.serve_lab(course.NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab-zh"), language="zh") as lab:
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


@contextlib.contextmanager
def new_page(chromium, lab):
    page = chromium.new_page()
    try:
        yield page
    finally:
        page.close()
        lab.shutdown_kernels()


@pytest.fixture
def page(chromium, lab):
    with new_page(chromium, lab) as page:
        yield page


@pytest.fixture
def page_zh(chromium, lab_zh):
    with new_page(chromium, lab_zh) as page:
        yield page
