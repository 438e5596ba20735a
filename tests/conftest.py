"""The course's website and slides, built once per session for the tests that read them
(tests/test_site.py) and the ones that open them in Chromium (tests/browser/test_website_and_slides.py)."""

import pytest

from dlteach import site


@pytest.fixture(scope="session")
def website(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    return out, site.build_site(out)


@pytest.fixture(scope="session")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides") / "slides"
    return out, site.build_slides(out)
