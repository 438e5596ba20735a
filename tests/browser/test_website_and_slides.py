"""The website and the slides as a reader and a lecturer meet them, in headless Chromium, served
from 127.0.0.1 by a static file server: every page and deck loads with nothing fetched from
elsewhere, no failed request and no console error; math is typeset, pictures show, search finds."""

from __future__ import annotations

import contextlib

import pytest

from dlteach import browser

pytestmark = pytest.mark.browser


@contextlib.contextmanager
def watched(chromium, base: str, viewport=None):
    """A page that records every failed request, request leaving ``base`` and console error."""
    page = chromium.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    page.on("request", lambda r: r.url.startswith((base, "data:", "blob:")) or problems.append(f"outside: {r.url}"))
    try:
        yield page, problems
    finally:
        page.close()


@pytest.fixture(scope="module")
def served_site(website):
    out, pages = website
    with browser.serve_static(out) as base:
        yield base, pages


@pytest.fixture(scope="module")
def served_decks(decks):
    out, built = decks
    with browser.serve_static(out) as base:
        yield base, [deck.relative_to(out).as_posix() for deck in built]


MATH = "document.querySelectorAll('mjx-container').length"


def test_every_page_of_the_site_loads_offline_with_math_typeset(chromium, served_site):
    base, pages = served_site
    for language, folder in {"en": "", "zh": "zh/"}.items():
        for name in [*pages[language], "search", "genindex"]:
            with watched(chromium, base) as (page, problems):
                page.goto(f"{base}{folder}{name}.html", wait_until="load")
                if name not in ("index", "search", "genindex"):
                    page.wait_for_function(f"{MATH} > 0", timeout=20_000)  # every lesson has formulas
                    assert page.locator("img[src*='_images/']").count() > 0, f"{folder}{name}: no pictures"
                    broken = page.evaluate("[...document.images].filter(i => i.complete && !i.naturalWidth).length")
                    assert broken == 0, f"{folder}{name}: {broken} pictures do not show"
                page.wait_for_timeout(200)
                assert problems == [], f"{folder}{name}.html: {problems}"


@pytest.mark.parametrize("folder", ["", "zh/"])
def test_a_lesson_reads_on_a_phone(chromium, served_site, folder):
    base, _pages = served_site
    with watched(chromium, base, viewport={"width": 390, "height": 844}) as (page, problems):
        page.goto(f"{base}{folder}05_mini_batches.html")
        page.wait_for_function(f"{MATH} > 0", timeout=20_000)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, "the page scrolls sideways"
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('article img')].map(i => i.getBoundingClientRect().right))")
        assert widest <= 390, "a picture is wider than the phone"
        assert problems == []


@pytest.mark.parametrize(("folder", "query", "lesson"), [("", "minibatch", "05_mini_batches"),
                                                          ("zh/", "反向传播", "04_backpropagation")])
def test_search_finds_the_lesson(chromium, served_site, folder, query, lesson):
    base, _pages = served_site
    with watched(chromium, base) as (page, problems):
        page.goto(f"{base}{folder}search.html?q={query}")
        results = page.locator("#search-results li a")
        results.first.wait_for(timeout=20_000)
        assert f"{lesson}.html" in [a.split("?")[0].split("#")[0] for a in results.evaluate_all("l => l.map(a => a.getAttribute('href'))")]
        assert problems == []


def test_every_deck_opens_advances_to_its_end_and_shows_its_pictures(chromium, served_decks):
    base, decks = served_decks
    for deck in decks:
        with watched(chromium, base, viewport={"width": 1280, "height": 720}) as (page, problems):
            page.goto(f"{base}{deck}")
            page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)
            page.wait_for_function(f"{MATH} > 0", timeout=20_000)
            total, seen, pictures = page.evaluate("Reveal.getTotalSlides()"), set(), 0
            for _ in range(2000):
                indices = page.evaluate("(() => { const i = Reveal.getIndices(); return [i.h, i.v]; })()")
                seen.add(tuple(indices))
                shown = page.evaluate("[...Reveal.getCurrentSlide().querySelectorAll('img')].map(i => i.naturalWidth)")
                assert all(shown), f"{deck} {indices}: a picture does not show"
                pictures += len(shown)
                if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                    break
                page.keyboard.press("Space")  # a lecturer's clicker: next fragment, subslide or slide
            assert len(seen) == total, f"{deck}: visited {len(seen)} of {total} slides"
            assert pictures > 0 and problems == [], (deck, problems)
