"""The course as a static website (Sphinx with MyST-NB, ``course/site/conf.py``) and as reveal.js
slides (nbconvert), both viewable with no network: MathJax 3 comes from ``sphinx-mathjax-offline``,
reveal.js from ``sphinx-revealjs``. Explorers show the still picture their notebook saved."""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from . import course, i18n, translate
from .i18n import _

SITE_CONF = course.COURSE_DIR / "site"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EDITION_NAMES = {"en": "English", "zh": "中文版"}
# Each edition's pages live in a folder of the site; the English one at its root.
FOLDERS = {"en": "", "zh": "zh/"}


def mathjax_dir() -> Path:
    import importlib.util

    return Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"


def reveal_dir() -> Path:
    import sphinx_revealjs

    return Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"


def up(folder: str) -> str:
    """The relative path from pages in ``folder`` back to the root of the site."""
    return "../" * folder.count("/")


def heading(notebook) -> str:
    """A notebook's title: the text of its first line, a markdown heading."""
    return notebook.cells[0].source.splitlines()[0].lstrip("# ")


def is_explorer(output) -> bool:
    return WIDGET_MIME in output.get("data", {})


def still(notebook, language: str):
    """A copy of ``notebook`` for reading without a kernel: explorers as their saved picture, each
    followed by a note on running it live; no widget state; links between editions to their pages."""
    nb = copy.deepcopy(notebook)
    nb.metadata.pop("widgets", None)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\[([^]]+)\]\(((?:\.\./|zh/)?)00_index\.ipynb\)",
                                 lambda m: f'<a href="{m[2]}index.html">{m[1]}</a>', cell.source)
        if cell.cell_type != "code" or not any(is_explorer(o) for o in cell.get("outputs", [])):
            continue
        for output in cell.outputs:
            output.get("data", {}).pop(WIDGET_MIME, None)
        with i18n.speaking(language):
            title = _("Try it live")
            note = _("A still of the explorer. Open the lesson in JupyterLab ({command}) and run it to move its "
                     "controls.").format(command="`make lab`" if language == "en" else "`make lab-zh`")
        cells.append(nbformat.v4.new_markdown_cell(f"```{{admonition}} {title}\n:class: tip\n{note}\n```",
                                                   id=f"{cell.id}-live"))
    nb.cells = cells
    return nb


def stage(language: str, folder: Path) -> tuple[str, list[str]]:
    """Write the edition's notebooks for Sphinx into ``folder`` (the index as ``index``); the course's
    title in that edition and the page names."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = course.notebooks(language)
    pages = [path.stem for path in paths[1:]]
    index = still(nbformat.read(paths[0], as_version=4), language)
    title = heading(index)
    toctree = "\n".join(["```{toctree}", ":hidden:", ":maxdepth: 1", "", *pages, "```"])
    index.cells.append(nbformat.v4.new_markdown_cell(toctree, id="toctree"))
    nbformat.write(index, folder / "index.ipynb")
    for path in paths[1:]:
        nbformat.write(still(nbformat.read(path, as_version=4), language), folder / path.name)
    return title, ["index", *pages]


def build_site(out: Path, languages=tuple(course.EDITIONS)) -> dict[str, list[str]]:
    """Build the website into ``out`` (``index.html`` at its root, the Chinese edition in ``zh/``);
    returns each edition's page names. A Sphinx warning fails the build (CalledProcessError)."""
    if out.exists():
        shutil.rmtree(out)
    built = {}
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        for language in languages:
            folder, other = FOLDERS[language], next(lang for lang in course.EDITIONS if lang != language)
            title, built[language] = stage(language, staging / language)
            search = []
            if language in translate.TRANSLATED:  # the glossary's terms are words to search for (jieba's dictionary)
                words = staging / f"{language}-words.txt"
                words.write_text("".join(f"{term} 100000 n\n" for t in translate.glossary(language)
                                         for term in [t[language], *t.get("variants", [])]), encoding="utf-8")
                search = ["-D", f"html_search_options.dict={words}"]
            # one Sphinx process per edition (extensions do not set up twice in one process); a warning fails it
            subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-E",
                            "-c", str(SITE_CONF), "-d", str(staging / f"{language}.doctrees"),
                            "-D", f"language={i18n.LOCALES[language] or 'en'}",
                            "-D", f"html_title={title}",
                            "-A", f"other_edition={up(folder) + FOLDERS[other]}",  # _templates/edition-switch.html
                            "-A", f"other_language={other}", "-A", f"other_edition_label={EDITION_NAMES[other]}",
                            *search, str(staging / language), str(out / folder)], check=True)
    return built


def build_slides(out: Path, languages=tuple(course.EDITIONS)) -> list[Path]:
    """A reveal.js deck per lesson and edition (``NN_name.slides.html``, the Chinese ones in ``zh/``)
    from the notebooks' slide metadata, with an ``index.html`` listing them; returns the decks."""
    from nbconvert import SlidesExporter

    if out.exists():
        shutil.rmtree(out)
    decks, items = [], []
    for language in languages:
        folder = FOLDERS[language]
        exporter = SlidesExporter(template_file="slides.html.j2", extra_template_paths=[str(SITE_CONF)],
                                  reveal_url_prefix=f"{up(folder)}reveal.js", mathjax_url=f"{up(folder)}mathjax/tex-chtml.js",
                                  reveal_number="c/t", reveal_transition="none",
                                  reveal_theme="white")  # its fonts are in reveal.js; "simple" loads Google Fonts
        for path in course.notebooks(language)[1:]:
            nb = still(nbformat.read(path, as_version=4), language)
            body, _resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
            deck = out / folder / f"{path.stem}.slides.html"
            deck.parent.mkdir(parents=True, exist_ok=True)
            deck.write_text(body, encoding="utf-8")
            decks.append(deck)
            items.append(f'<li lang="{language}"><a href="{folder}{deck.name}">{html.escape(heading(nb))}</a></li>')
    shutil.copytree(mathjax_dir(), out / "mathjax")
    shutil.copytree(reveal_dir(), out / "reveal.js")
    title, _lessons = course.syllabus()
    (out / "index.html").write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}: slides</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
        f'<body><h1>{html.escape(title)}: slides</h1>\n<ul>\n' + "\n".join(items) + "\n</ul></body></html>\n",
        encoding="utf-8")
    return decks
