"""The Chinese edition is the English one in other words: the same code, every text translated from
the English as it is now, the notebooks what ``dlteach translate`` writes, figures that draw Chinese.
"""

from __future__ import annotations

import io
import re
import string
import tokenize
import warnings

import matplotlib
import nbformat
import pytest
from matplotlib.figure import Figure

from dlteach import course, i18n, translate
from dlteach.widgets.base import _descendants
from test_course import prose
from test_robustness import EXPLORERS, build

LANGUAGE = "zh"
LESSONS = range(len(course.notebooks()))
ENGLISH = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}")  # three words of English in a row


def notebooks(lesson):
    english = nbformat.read(course.notebooks()[lesson], as_version=4)
    return english, nbformat.read(course.notebooks(LANGUAGE)[lesson], as_version=4)


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_text_of_the_lesson_is_translated_from_the_english_as_it_is(lesson):
    catalogue = course.lesson_catalogue(LANGUAGE, lesson)
    english, _ = notebooks(lesson)
    texts = list(dict.fromkeys(text for text, _ in translate.units(english, lesson)))
    ids = [m.id for m in translate.read_catalogue(catalogue, LANGUAGE) if m.id]
    assert ids == texts, f"{catalogue.name} is not in step with the English: run `dlteach translate {lesson}`"
    assert translate.unfinished(catalogue, LANGUAGE) == [], f"{catalogue.name} has text to translate or revise"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_chinese_notebook_is_what_dlteach_translate_writes(lesson):
    _, chinese = notebooks(lesson)
    written = translate.translated_notebook(lesson, LANGUAGE)
    assert translate.same_sources(chinese, written) and translate.same_metadata(chinese, written), (
        f"notebooks/{LANGUAGE}/{course.notebooks()[lesson].name} is out of date: run `dlteach translate {lesson}`")


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_chinese_code_is_the_english_code(lesson):
    english, chinese = notebooks(lesson)
    cells = [c for c in chinese.cells if c.get("id") != translate.GLOSSARY_CELL]
    assert [c.cell_type for c in cells] == [c.cell_type for c in english.cells]
    for en, zh in zip(english.cells, cells):
        if en.cell_type == "code":
            assert translate.code_shape(zh.source) == translate.code_shape(en.source), (
                f"cell {en.get('id')}: the translation changed code, not only strings and comments:\n{zh.source}")
            assert translate.cell_metadata(zh) == translate.cell_metadata(en), f"cell {en.get('id')}: its metadata"


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_english_prose_is_left_in_the_chinese_text(lesson):
    english, chinese = notebooks(lesson)
    for cell in chinese.cells:
        if cell.cell_type == "markdown":
            words = prose(cell.source)
            assert not ENGLISH.search(words) or translate.CJK.search(words), (
                f"cell {cell.get('id')} reads as English:\n{cell.source[:300]}")
    first = next((c for c in chinese.cells if c.cell_type == "code"), None)
    assert first is None or 'use_language("zh")' in first.source, "the Chinese lesson must speak Chinese"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_entry_says_it_in_chinese(lesson):
    """A translated cell, hint or worked answer is Chinese wherever its English has words; a code cell
    may stay as it is only when it has no comment (its strings are then names, not talk)."""
    for m in translate.read_catalogue(course.lesson_catalogue(LANGUAGE, lesson), LANGUAGE):
        if not m.id:
            continue
        if m.auto_comments[0].startswith("code"):
            if m.string == m.id:
                tokens = tokenize.generate_tokens(io.StringIO(m.id).readline)
                assert not any(t.type == tokenize.COMMENT for t in tokens), (
                    f"{m.auto_comments[0]} keeps its English comments:\n{m.id}")
        elif ENGLISH.search(prose(m.id)):
            assert translate.CJK.search(m.string), f"{m.auto_comments[0]} is not in Chinese:\n{m.string[:300]}"


def test_the_english_lessons_choose_english():
    for path in course.notebooks()[1:]:
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert 'use_language("en")' in first.source, path.name


@pytest.mark.parametrize("lesson", [lesson.number for lesson in course.syllabus()[1]])
def test_each_chinese_lesson_opens_with_its_terms_and_points_to_chinese_companions(lesson):
    _, chinese = notebooks(lesson)
    terms = chinese.cells[1]
    assert terms.get("id") == translate.GLOSSARY_CELL, "the terms of the lesson come right after its title"
    for term in translate.glossary(LANGUAGE):
        if term.get("lesson") == lesson:
            assert f"| {term[LANGUAGE]} | {term['en']} |" in terms.source
    text = "\n".join(c.source for c in chinese.cells)
    assert "中文参考" in text, "each Chinese lesson points to Chinese companions (d2l-zh, 邱锡鹏, 李宏毅)"


def test_the_glossary_gives_one_chinese_term_per_english_term():
    terms = translate.glossary(LANGUAGE)
    english = [t["en"] for t in terms]
    assert len(english) == len(set(english)), "an English term is listed twice"
    lessons = {lesson.number for lesson in course.syllabus()[1]}
    for term in terms:
        assert translate.CJK.search(term[LANGUAGE]), term
        assert term.get("lesson") in lessons, f"{term['en']}: lesson {term.get('lesson')} is not a lesson"
        assert term[LANGUAGE] not in term.get("variants", []), f"{term['en']}: the standard term is also a variant"


def test_every_lesson_introduces_terms():
    introduced = {t["lesson"] for t in translate.glossary(LANGUAGE)}
    assert introduced == {lesson.number for lesson in course.syllabus()[1]}


def test_has_prose_tells_talk_from_code():
    assert translate.has_prose('print(f"loss after {n} steps: {loss:.3f}")')
    assert translate.has_prose("x = 1  # the start")
    assert not translate.has_prose('explorer = NeuronExplorer(activation="ReLU")\nexplorer')
    assert not translate.has_prose('check("2.1", ...)')


def test_code_shape_ignores_words_but_not_code():
    english = 'ax.set_title("loss")  # per step\nprint(f"{n} steps")'
    assert translate.code_shape(english) == translate.code_shape('ax.set_title("损失")  # 每一步\nprint(f"{n} 步")')
    assert translate.code_shape(english) != translate.code_shape('ax.set_title("loss")\nprint(f"{n + 1} steps")')


def test_an_english_edit_makes_its_translation_fuzzy_and_a_new_text_untranslated(tmp_path):
    path = tmp_path / "lesson.po"
    translate.update_catalogue(path, LANGUAGE, [("The neuron adds its weighted inputs.", "markdown cell a")])
    catalogue = translate.read_catalogue(path, LANGUAGE)
    catalogue["The neuron adds its weighted inputs."].string = "神经元把加权输入相加。"
    translate.write_catalogue(path, catalogue)
    assert translate.unfinished(path, LANGUAGE) == []
    translate.update_catalogue(path, LANGUAGE, [("The neuron adds its weighted inputs and a bias.", "markdown cell a"),
                                                ("A second paragraph.", "markdown cell b")])
    left = translate.unfinished(path, LANGUAGE)
    assert [line.split(":")[0] for line in left] == ["fuzzy", "untranslated"]
    assert translate.translations(path, LANGUAGE) == {}, "a fuzzy translation is not used"


@pytest.fixture
def chinese():
    """The library speaking Chinese for one test, English again after it."""
    with i18n.speaking(LANGUAGE):
        yield


def test_chinese_figures_draw_characters_and_minus_signs(chinese):
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([-1, 0, 1], [1, -1, 0])
    ax.set_title("损失随迭代下降 −0.5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning from matplotlib
        fig.savefig(io.BytesIO(), format="png")


def test_back_in_english_figures_use_the_default_font():
    default = list(matplotlib.rcParams["font.family"])
    i18n.use_language(LANGUAGE)
    assert matplotlib.rcParams["font.family"] != default
    i18n.use_language("en")
    assert matplotlib.rcParams["font.family"] == default


def test_use_language_refuses_a_language_the_course_is_not_written_in():
    with pytest.raises(ValueError, match="fr"):
        i18n.use_language("fr")
    assert i18n.language() == "en"


def fields(text: str) -> set:
    """The ``{placeholders}`` of a message: a translation that drops or renames one breaks ``format``."""
    return {(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


def test_the_library_catalogue_translates_every_marked_string_as_it_is():
    path = i18n.catalogue_path(i18n.LOCALES[LANGUAGE])
    catalogue = translate.read_catalogue(path, LANGUAGE)
    assert [(m.id, m.context) for m in catalogue if m.id] == [
        (text, context) for text, _, context in translate.library_units()], "the library's strings changed: run `dlteach translate`"
    assert translate.unfinished(path, LANGUAGE) == []
    for m in catalogue:
        if m.id:
            english = [m.id] if isinstance(m.id, str) else list(m.id)
            chinese = [m.string] if isinstance(m.string, str) else list(m.string)
            for text in chinese:
                assert fields(text) == fields(english[-1]) or fields(text) == fields(english[0]), (m.id, text)


def test_exercise_feedback_speaks_the_lesson_language(chinese):
    from dlteach import exercises

    exercises._shown.clear()
    try:
        feedback = repr(exercises.check("02.1", -0.8))
        hint = repr(exercises.hint("02.2"))
    finally:
        exercises._shown.clear()
    assert "练习 02.1" in feedback and "3 位小数" in feedback, feedback
    english_hint = exercises.answer_key("02.2")["hints"][0]
    assert translate.CJK.search(hint) and english_hint not in hint, hint


NAMES = {"ReLU", "relu", "tanh", "sigmoid", "logistic", "softmax", "AdaGrad", "LSTM", "Gibbs", "Nielsen", "moons",
         "circles", "spirals", "PyTorch"}  # names the Chinese edition keeps
IDENTIFIER = re.compile(r"\w*_\w*")  # max_norm: a parameter's name, as code has it


def english_words(text: str) -> list[str]:
    """Words of English in a label or remark (names the Chinese edition keeps, like ReLU, aside)."""
    return [w for w in re.findall(r"[A-Za-z]{4,}", IDENTIFIER.sub(" ", prose(text))) if w not in NAMES]


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_explorer_speaks_chinese(cls, chinese):
    """Labels, buttons, options and the remark under the picture are Chinese, and the static picture
    draws without a missing glyph."""
    explorer = build(cls)
    try:
        view = explorer.widget()
        texts = [explorer.message]
        for widget in _descendants(view):
            texts.append(getattr(widget, "description", "") or "")
            texts.extend(label for label in getattr(widget, "_options_labels", ()) or ())
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph is a UserWarning from matplotlib
            explorer.png()
    finally:
        explorer.close()
    untranslated = [text for text in texts if english_words(text)]
    assert not untranslated, f"{cls.__name__} still says, in English: {untranslated}"
