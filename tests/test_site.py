"""The website and slides (dlteach/site.py) as files: every page and deck is there, every link and
resource is local and resolves, explorers show a still with a line on running them live, the
exercises' answers stay out; and the notebooks carry slide metadata a lecturer can present."""

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from dlteach import course, site

LESSONS = course.notebooks()[1:]
REFERENCE = re.compile(r'<(a|link|script|img)\b[^>]*?\b(href|src)="([^"]*)"', re.S)
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def references(page: Path):
    """(tag, URL) of every link, stylesheet, script and image of an HTML page."""
    return [(m[1], html.unescape(m[3])) for m in REFERENCE.finditer(page.read_text(encoding="utf-8"))]


def words(text: str) -> str:
    return " ".join(re.findall(r"[A-Za-z]+|[\u3400-\u9fff]", text)).lower()


def page_words(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return words(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", text, flags=re.S))))


def test_the_site_has_every_lesson_of_both_editions(website):
    out, pages = website
    for language, folder in site.FOLDERS.items():
        assert pages[language] == ["index"] + [path.stem for path in LESSONS]
        for name in pages[language]:
            assert (out / folder / f"{name}.html").is_file(), f"{folder}{name}.html"
        assert (out / folder / "search.html").is_file() and (out / folder / "searchindex.js").is_file()
    assert 'lang="zh-CN"' in (out / "zh" / "index.html").read_text(encoding="utf-8")


def test_every_link_and_resource_of_the_site_is_local_and_resolves(website):
    out, _pages = website
    checked = 0
    for page in (p for p in out.rglob("*.html") if "_static" not in p.parts):  # _static holds theme templates
        for tag, url in references(page):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto"):
                assert tag == "a", f"{page.relative_to(out)} loads {url} from elsewhere"
                continue
            if parts.scheme == "data" or not (parts.path or parts.fragment):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file() or (target / "index.html").is_file(), f"{page.relative_to(out)}: {url}"
            if parts.fragment and target.suffix == ".html":
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{page.relative_to(out)}: {url}"
            checked += 1
    assert checked > 1000


def test_each_page_links_to_the_same_page_in_the_other_edition(website):
    out, _pages = website
    for lesson in LESSONS:
        english, chinese = out / f"{lesson.stem}.html", out / "zh" / f"{lesson.stem}.html"
        assert ("a", f"zh/{lesson.name[:-6]}.html") in references(english)
        assert ("a", f"../{lesson.name[:-6]}.html") in references(chinese)


@pytest.mark.parametrize("language", sorted(course.EDITIONS))
def test_explorers_are_stills_with_a_line_on_running_them_live(website, language):
    out, _pages = website
    for path in course.notebooks(language)[1:]:
        nb = nbformat.read(path, as_version=4)
        explorers = sum(site.is_explorer(o) for cell in nb.cells for o in cell.get("outputs", []))
        page = out / site.FOLDERS[language] / f"{path.stem}.html"
        text = page.read_text(encoding="utf-8")
        command, title = ("make lab", "Try it live") if language == "en" else ("make lab-zh", "动手试试")
        assert text.count(f"<p class=\"admonition-title\">{title}</p>") == explorers, path.name
        assert page_words(page).count(words(command)) >= explorers, path.name
        assert "application/vnd.jupyter.widget" not in text and "widget-state" not in text


@pytest.mark.parametrize("lesson", range(1, len(LESSONS) + 1))
def test_the_site_shows_the_exercises_but_not_their_answers(website, lesson):
    out, _pages = website
    path = out / f"{LESSONS[lesson - 1].stem}.html"
    page = page_words(path)
    keys = course.answer_keys(lesson)
    assert keys, "every lesson has exercises"
    for exercise, key in keys.items():
        assert f'"{exercise}"' in path.read_text(encoding="utf-8"), f"exercise {exercise} is on the page"
        for text in [key.get("solution", ""), *key.get("hints", [])]:
            ending = " ".join(words(text).split()[-12:])  # where a worked answer arrives at the answer
            assert len(ending.split()) < 6 or ending not in page, f"{exercise}: {ending!r} is on the site"


def test_every_lesson_is_a_deck_in_both_editions(decks):
    out, built = decks
    assert len(built) == 2 * len(LESSONS)
    assert (out / "index.html").is_file() and (out / "reveal.js" / "dist" / "reveal.js").is_file()
    for deck in built:
        nb = nbformat.read(course.EDITIONS["zh" if deck.parent.name == "zh" else "en"] / deck.name.replace(
            ".slides.html", ".ipynb"), as_version=4)
        kinds = [cell.metadata["slideshow"]["slide_type"] for cell in nb.cells]
        text = deck.read_text(encoding="utf-8")
        sections = len(re.findall(r"<section\b", text))
        # nbconvert: a slide is a section holding its own and its subslides' sections
        assert sections == 2 * kinds.count("slide") + kinds.count("subslide"), deck.name
        for tag, url in references(deck):
            parts = urlsplit(url)
            assert parts.scheme in ("", "data") or tag == "a", f"{deck.name} loads {url}"
            if not parts.scheme and parts.path:
                assert (deck.parent / url.split("?")[0]).resolve().is_file(), f"{deck.name}: {url}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_lessons_carry_slide_metadata_a_lecturer_can_present(path):
    cells = nbformat.read(path, as_version=4).cells
    kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in cells]
    assert set(kinds) <= SLIDE_TYPES, [c.id for c, k in zip(cells, kinds) if k not in SLIDE_TYPES]
    assert kinds[0] == "slide", "the title is a slide"
    setup = next(c for c in cells if c.cell_type == "code")
    assert "use_language" in setup.source and setup.metadata["slideshow"]["slide_type"] == "skip"
    for cell, kind in zip(cells, kinds):
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            assert kind == "slide", f"{cell.id} opens a section"
        elif cell.cell_type == "markdown" and cell.source.startswith("### "):
            assert kind == "subslide", f"{cell.id} opens a subsection"
        if cell.cell_type == "markdown" and cell is not cells[0]:
            assert not re.search(r"\n##+ ", cell.source), f"{cell.id}: a heading inside a cell cannot start a slide"
        if cell.cell_type == "code" and 'check("' in cell.source:
            assert kind in ("skip", "-"), f"{cell.id}: an answer cell is not a slide of its own"
    assert 6 <= kinds.count("slide") and kinds.count("slide") + kinds.count("subslide") <= 60
