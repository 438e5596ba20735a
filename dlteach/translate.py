"""One source, two editions: ``dlteach translate`` keeps the Chinese course in step with the English.

The English notebooks are the source of every line of code. A lesson's Chinese text lives in a
gettext catalogue, ``course/zh/<notebook>.po``, one entry per unit of human-facing text:

- every markdown cell, whole (a Chinese textbook does not translate sentence by sentence);
- every code cell with prose in it (a comment, a string with words): its translation is the cell
  with only its comments and strings changed, which tests/test_translation.py checks on the AST;
- the hints and worked answers of the lesson's exercises (``course/answers/NN.toml``).

Each entry's ``msgid`` is the English it translates, so an English edit leaves its translation
behind: ``dlteach translate`` marks it fuzzy (the old English kept as ``#| msgid``, for the translator
to see what changed) and adds new text untranslated. Library strings marked with ``_()`` are
extracted with Babel into ``dlteach/locale/zh_CN/LC_MESSAGES/dlteach.po`` the same way. The command
then writes ``notebooks/zh/`` (each lesson opening with the glossary terms it introduces) and
executes the Chinese notebooks whose text changed. The tests fail while an entry is untranslated or
fuzzy, or while a Chinese notebook is not what the command would write.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat

from . import __version__, course, i18n

TRANSLATED = ("zh",)
GLOSSARY = course.COURSE_DIR / "glossary.toml"
GLOSSARY_CELL = "glossary"  # the id of the terms cell each translated lesson opens with
CJK = re.compile(r"[\u3400-\u9fff]")
WORDS = re.compile(r"[A-Za-z]{2,}[^A-Za-z\n]{1,3}[A-Za-z]{2,}")  # two words in a row: prose, not a name
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}  # the library's translation functions, as Babel reads them
HEADER = """\
# A translation catalogue of dlteach (gettext PO): each msgid is the English, each msgstr its translation.
# Fill in the msgstr; `dlteach translate` adds new English, marks changed English fuzzy and rebuilds
# the notebooks (see dlteach/translate.py).
#"""
TERMS_HEADING = {"zh": "本课术语"}
TERMS_COLUMNS = {"zh": ("术语", "英文", "也译作")}


# -- what needs translating ---------------------------------------------------------------------
def has_prose(code: str) -> bool:
    """Whether a code cell says something to a person: a comment, or a string with words in it."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):  # IPython syntax the tokenizer refuses: treat as prose
        return True
    return any(t.type == tokenize.COMMENT or t.type == tokenize.STRING and WORDS.search(t.string) for t in tokens)


def units(notebook, lesson: int) -> list[tuple[str, str]]:
    """The English texts of a lesson to translate, in order, each with a note for the translator."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" or cell.cell_type == "code" and has_prose(cell.source):
            found.append((cell.source, f"{cell.cell_type} cell {cell.get('id', '')}"))
    for exercise, key in course.answer_keys(lesson).items():
        for i, text in enumerate(key.get("hints", []), 1):
            found.append((text, f"exercise {exercise}, hint {i}"))
        if "solution" in key:
            found.append((key["solution"], f"exercise {exercise}, worked answer"))
    return found


def code_shape(code: str) -> str:
    """The code's syntax tree with every string emptied (comments are not in the tree): two cells of
    the same shape differ only in what they say to a person."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(code))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def library_units() -> list[tuple]:
    """Every string of the library marked for translation, with where it is used and its context
    (``pgettext``: the same English meaning two things), in the order of the source."""
    from babel.messages.extract import extract_from_dir

    package = Path(__file__).parent
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
            package, method_map=[("**.py", "python")], keywords=KEYWORDS):
        found.setdefault((message, context), set()).add(filename)
    return [(message, ", ".join(sorted(files)), context) for (message, context), files in found.items()]


# -- catalogues -----------------------------------------------------------------------------------
def read_catalogue(path: Path, language: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=i18n.LOCALES[language], project="dlteach", version=__version__, fuzzy=False,
                       header_comment=HEADER, last_translator="dlteach", language_team="dlteach")
    with path.open("rb") as f:
        return read_po(f, locale=i18n.LOCALES[language])


def write_catalogue(path: Path, catalogue) -> bool:
    """Write a catalogue as ``dlteach translate`` does (one line per line of text, entries in the
    order of the source); return whether the file changed."""
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalogue, width=0, include_lineno=False, include_previous=True, sort_output=False)
    new = buffer.getvalue()
    if path.exists() and path.read_bytes() == new:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(new)
    return True


def update_catalogue(path: Path, language: str, texts: list[tuple]) -> bool:
    """Bring a catalogue in step with ``texts``; return whether it changed."""
    from babel.messages.catalog import Catalog

    template = Catalog(project="dlteach", fuzzy=False)
    for text, note, *context in texts:
        template.add(text, auto_comments=[note], context=context[0] if context else None)
    catalogue = read_catalogue(path, language)
    catalogue.update(template, update_header_comment=False, update_creation_date=False)
    catalogue.obsolete.clear()  # a text that is gone is gone; git keeps its translation
    return write_catalogue(path, catalogue)


def translations(path: Path, language: str) -> dict[str, str]:
    """English → translation for every entry translated and not fuzzy."""
    return {m.id: m.string for m in read_catalogue(path, language)
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def unfinished(path: Path, language: str) -> list[str]:
    """The beginnings of the entries still to translate (new) or to revise (fuzzy: the English changed)."""
    return [f"{'fuzzy' if m.fuzzy else 'untranslated'}: {str(m.id)[:70]!r}"
            for m in read_catalogue(path, language)
            if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))]


# -- the translated notebooks ----------------------------------------------------------------------
def glossary(language: str) -> list[dict]:
    terms = course.tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))["term"]
    return [t for t in terms if language in t]


def terms_cell(lesson: int, language: str):
    """A markdown cell listing the terms lesson ``lesson`` introduces, from the glossary."""
    terms = [t for t in glossary(language) if t.get("lesson") == lesson]
    if not terms:
        return None
    head = TERMS_COLUMNS[language]
    rows = [f"| {t[language]} | {t['en']} | {'、'.join(t.get('variants', [])) or '—'} |" for t in terms]
    source = "\n".join([f"**{TERMS_HEADING[language]}**", "", f"| {' | '.join(head)} |", "|---|---|---|", *rows])
    cell = nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": "subslide"}})
    cell.id = GLOSSARY_CELL
    return cell


def translated_notebook(lesson: int, language: str):
    """The English notebook of ``lesson`` with its text in ``language`` (English where a translation
    is missing or out of date), the glossary cell after the title, and no outputs yet."""
    english = nbformat.read(course.notebooks()[lesson], as_version=4)
    table = translations(course.lesson_catalogue(language, lesson), language)
    notebook = nbformat.v4.new_notebook(metadata=dict(english.metadata, language=language))
    for cell in english.cells:
        copy = nbformat.from_dict({k: v for k, v in cell.items() if k not in ("outputs", "execution_count")})
        copy.source, copy.metadata = table.get(cell.source, cell.source), cell_metadata(cell)
        if copy.cell_type == "code":
            copy.outputs, copy.execution_count = [], None
        notebook.cells.append(copy)
    terms = terms_cell(lesson, language)
    if terms is not None:
        notebook.cells.insert(1, terms)
    return notebook


def cell_metadata(cell) -> dict:
    """What a cell's metadata says about the lesson (tags, slides…), without the times of its last run."""
    return {k: v for k, v in cell.metadata.items() if k != "execution"}


def same_sources(a, b) -> bool:
    """Whether two notebooks have the same cells with the same sources (outputs and metadata aside)."""
    return [(c.cell_type, c.get("id"), c.source) for c in a.cells] == [(c.cell_type, c.get("id"), c.source)
                                                                        for c in b.cells]


def same_metadata(a, b) -> bool:
    """Whether two notebooks' cells say the same about the lesson (tags, slides…)."""
    return [cell_metadata(c) for c in a.cells] == [cell_metadata(c) for c in b.cells]


# -- the command -----------------------------------------------------------------------------------
def translate(languages=TRANSLATED, lessons=None, execute=None) -> list[Path]:
    """Update the catalogues (the library's only when every lesson is asked for), write the translated
    notebooks whose text changed, and pass those to ``execute`` (a function of a list of paths);
    return the notebooks written."""
    written = []
    every = range(len(course.notebooks()))
    for language in languages:
        if lessons is None:
            path = i18n.catalogue_path(i18n.LOCALES[language])
            if update_catalogue(path, language, library_units()):
                print(f"updated {path.relative_to(course.ROOT)}")
        for lesson in every if lessons is None else lessons:
            catalogue = course.lesson_catalogue(language, lesson)
            english = nbformat.read(course.notebooks()[lesson], as_version=4)
            if update_catalogue(catalogue, language, units(english, lesson)):
                print(f"updated {catalogue.relative_to(course.ROOT)}")
            for line in unfinished(catalogue, language):
                print(f"  {catalogue.name}: {line}")
            target = course.notebooks(language)[lesson]
            notebook = translated_notebook(lesson, language)
            if target.exists() and same_sources(old := nbformat.read(target, as_version=4), notebook):
                if not same_metadata(old, notebook):  # only tags or slides changed: the outputs still hold
                    for cell, new in zip(old.cells, notebook.cells):
                        cell.metadata = {**new.metadata, **{k: v for k, v in cell.metadata.items() if k == "execution"}}
                    nbformat.write(old, target)
                    print(f"updated the cells' metadata of {target.relative_to(course.ROOT)}")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            written.append(target)
            print(f"wrote {target.relative_to(course.ROOT)}")
    if written and execute is not None:
        execute(written)
    return written
