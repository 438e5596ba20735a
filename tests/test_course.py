"""The course as data: syllabus ↔ notebooks, the index, exercise keys, notebook hygiene."""

import json
import re

import nbformat
import numpy as np
import pytest

from dlteach import course, exercises
from dlteach.exercises import answer_key, check

TITLE, LESSONS = course.syllabus()
NOTEBOOKS = sorted(p.name for p in course.NOTEBOOK_DIR.glob("*.ipynb"))


def test_every_lesson_has_a_notebook_and_every_notebook_a_lesson():
    listed = {lesson.notebook for lesson in LESSONS} | {course.INDEX}
    assert sorted(listed - set(NOTEBOOKS)) == [], "syllabus lessons without a notebook"
    assert sorted(set(NOTEBOOKS) - listed) == [], "notebooks not in the syllabus"
    assert [lesson.number for lesson in LESSONS] == list(range(1, len(LESSONS) + 1))
    for lesson in LESSONS:
        assert lesson.notebook.startswith(f"{lesson.number:02d}_") and lesson.objectives and lesson.seed_topics


def test_index_notebook_is_built_from_the_syllabus():
    committed = json.loads((course.NOTEBOOK_DIR / course.INDEX).read_text(encoding="utf-8"))
    assert committed == course.index_notebook(), "run `dlteach index` after changing course/syllabus.toml"
    text = "".join(committed["cells"][0]["source"])
    for lesson in LESSONS:
        assert f"[{lesson.title}]({lesson.notebook})" in text


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_hygiene(name):
    nb = nbformat.read(course.NOTEBOOK_DIR / name, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "execute it top to bottom: dlteach execute"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    if name != course.INDEX:
        assert nb.cells[0].source.startswith(f"# Lesson {int(name[:2])} — ")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda l: l.notebook)
def test_every_lesson_ends_with_checked_exercises(lesson):
    nb = nbformat.read(course.NOTEBOOK_DIR / lesson.notebook, as_version=4)
    ids = [line.split('"')[1] for c in nb.cells if c.cell_type == "code"
           for line in c.source.splitlines() if line.startswith("check(")]
    assert len(ids) >= 2, "each lesson ends with two or three exercises"
    for exercise in ids:
        assert exercise.startswith(f"{lesson.number:02d}.")
        answer_key(exercise)  # raises when the key is missing


KEYS = """
["99.1"]
answer = [0.0900306, 0.2447285, 0.6652410]
decimals = 3
hints = ["a nudge", "the method"]
solution = "the worked answer"

["99.2"]
answer = 0.005153775
significant = 3
hints = ["only hint"]
solution = "0.9 ** 50"

["99.3"]
answer = 56
hints = ["count the updates"]
solution = "56"

["99.4"]
calls = [[[1, 2]], [[-1, 0.5]]]
expected = [[2, 4], [-2, 1]]
hints = ["double it", "multiply by 2"]
solution = "def f(x): return 2 * x"

["99.5"]
answer = [[1, 0], [0, 2]]
hints = ["where is the maximum?"]
solution = "…"
"""


@pytest.fixture
def keys(tmp_path, monkeypatch):
    """Answer keys of a made-up lesson 99, and no hints seen yet."""
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "99.toml").write_text(KEYS, encoding="utf-8")
    monkeypatch.setattr(course, "COURSE_DIR", tmp_path)
    monkeypatch.setattr(exercises, "_shown", {})
    return tmp_path / "answers" / "99.toml"


def test_correctly_rounded_answers_are_right(keys):
    assert check("99.1", [0.090, 0.245, 0.665]) and check("99.1", (0.0900306, 0.2447285, 0.6652410))
    assert check("99.2", 0.00515) and check("99.2", 0.9 ** 50) and check("99.2", np.float32(0.005154))
    assert check("99.3", 56) and check("99.3", np.int64(56)) and check("99.3", 56.0)
    assert check("99.1", [0.090, 0.245, 0.665]).score == 1.0


def test_nearly_right_answers_are_told_what_is_missing(keys):
    few = check("99.2", 0.0052)
    assert not few and few.detail == "close — give more digits (3 significant figures)."
    off = check("99.1", [0.090, 0.246, 0.665])  # 0.246 is not 0.2447 rounded
    assert off.detail == "close — 2 of 3 entries are right; check your rounding and the last step (3 decimals)."
    assert off.score == pytest.approx(2 / 3)
    partly = check("99.1", [0.090, 0.5, 0.665])
    assert partly.detail.startswith("2 of 3 entries are right; entry 2 is not. Hint: a nudge")
    two_d = check("99.5", [[1, 0], [1, 2]])
    assert two_d.detail.startswith("3 of 4 entries are right; the one at row 2, column 1 is not. Hint:")
    rounding = check("99.2", 0.00516)
    assert "close — check your rounding and the last step (3 significant figures)" in rounding.detail
    assert "close" not in check("99.3", 55).detail  # a count that is one off is wrong, not close


def test_a_wrong_shape_or_type_is_named(keys):
    assert check("99.1", [0.09, 0.245]).detail == ("this exercise expects a list of 3 numbers; "
                                                   "you gave a list of 2 numbers.")
    assert check("99.3", [56]).detail == "this exercise expects one number; you gave a list of 1 numbers."
    assert check("99.5", [1, 0, 0, 2]).detail == ("this exercise expects an array of shape 2×2; "
                                                  "you gave a list of 4 numbers.")
    assert "expects one number, not dict" in check("99.3", {"a": 1}).detail
    for answer in ("56", b"56", ["0.09", "0.245", "0.665"]):
        assert "expects a number, not a string: write it without quotes" in check("99.3" if "5" in str(answer)
                                                                                 else "99.1", answer).detail
    assert repr(check("99.3", lambda: 56)) == ("✗ Exercise 99.3: this exercise wants a value, not a function; "
                                               "pass what your function returns.")
    assert repr(check("99.4", 0.5)) == "✗ Exercise 99.4: this exercise wants a function; pass the function itself."


def test_hints_come_in_steps_and_the_answer_only_when_asked(keys):
    first = check("99.1", [1, 2, 3])
    assert first.detail == ('[1, 2, 3] is not it. Hint: a nudge (hint("99.1") gives the next hint.)')
    assert "the method" not in first.detail and "worked" not in first.detail
    second = check("99.1", [1, 2, 4])
    assert second.detail.endswith('Hint: the method (hint("99.1") shows the worked answer.)')
    assert check("99.1", [1, 2, 5]).detail.endswith('Hint: the method (hint("99.1") shows the worked answer.)')
    shown = exercises.hint("99.1")
    assert shown.status == "hint" and shown.detail == "worked answer:\nthe worked answer"
    assert exercises.hint("99.4").detail == 'hint 1 of 2: double it (hint("99.4") gives the next hint.)'
    assert exercises.hint("99.4").detail == 'hint 2 of 2: multiply by 2 (hint("99.4") shows the worked answer.)'
    assert exercises.hint("99.4").detail == "worked answer:\ndef f(x): return 2 * x"
    assert exercises.hint("3.1").status == "invalid"


def test_function_exercises_show_the_failing_call(keys):
    assert check("99.4", lambda x: 2 * x)
    wrong = check("99.4", lambda x: x + 1 if x[0] < 0 else 2 * x)  # right on the first call only
    assert wrong.detail.startswith("for input [-1, 0.5] it returned [0, 1.5], expected [-2, 1]. Hint: double it")
    raised = check("99.4", lambda x: x.reshape(3))
    assert raised.detail.startswith("for input [1, 2] your function raised ValueError: cannot reshape")
    assert "Hint: " in raised.detail  # a function that raises still gets the hint
    assert check("99.4", lambda x: None).status == "unanswered"
    text = check("99.4", lambda x: str(2 * x))
    assert text.detail == "for input [1, 2] it returned the string '[2 4]'; return a number, not a string."


def test_malformed_keys_are_refused_with_the_reason(keys):
    keys.write_text(KEYS + '\n["99.6"]\nanswer = 1\nhint = "old style"\nsolution = "1"\n'
                    '\n["99.7"]\nanswer = 1\nhints = ["h"]\n'
                    '\n["99.8"]\nanswer = 1\ndecimals = 2\ntolerance = 0.1\nhints = ["h"]\nsolution = "1"\n'
                    '\n["99.9"]\nhints = ["h"]\nsolution = "1"\n', encoding="utf-8")
    for exercise, reason in [("99.6", "needs `hints`"), ("99.7", "needs a `solution`"),
                             ("99.8", "states its precision once"), ("99.9", "needs `answer`, or `calls` and")]:
        feedback = check(exercise, 1)
        assert feedback.status == "invalid" and reason in feedback.detail, (exercise, feedback)


def test_every_answer_key_is_well_formed_and_its_hints_do_not_give_the_answer():
    for path in sorted((course.COURSE_DIR / "answers").glob("*.toml")):
        for exercise, raw in course.tomllib.loads(path.read_text(encoding="utf-8")).items():
            key = answer_key(exercise)
            assert len(key["hints"]) >= 2, f"{exercise}: a nudge first, then the method"
            if "answer" in key and np.ndim(key["answer"]) == 0 and key["answer"] not in (0, 1):
                tolerance = exercises._tolerance(key, np.asarray(key["answer"], dtype=float))
                for text in key["hints"]:
                    numbers = [float(n.replace("−", "-")) for n in re.findall(r"[−-]?\d+(?:\.\d+)?", text)]
                    assert not any(abs(n - key["answer"]) <= tolerance for n in numbers), \
                        f"{exercise}: a hint gives the answer: {text}"


@pytest.mark.parametrize("exercise, message", [
    (3.1, r'3.1 is not an exercise id: ids are strings "NN.M" \(lesson NN, exercise M\), as in check\("03.1"'),
    (None, "None is not an exercise id"),
    ("3.1", "'3.1' is not an exercise id"),
    ("../03.1", "is not an exercise id"),
    ("03.1\n", "is not an exercise id"),
    ("99.10", "there is no exercise '99.10'; lesson 99 has 99.1, 99.2, 99.3, 99.4, 99.5"),
    ("15.1", "there is no exercise '15.1'; lesson 15 has no exercises"),
], ids=["float", "None", "one digit", "traversal", "newline", "no such exercise", "no such lesson"])
def test_an_exercise_id_that_is_not_one_gets_a_plain_message(keys, exercise, message):
    feedback = check(exercise, 0.5)
    assert feedback.status == "invalid" and not feedback and re.search(message, repr(feedback))
    with pytest.raises(ValueError, match=message):
        answer_key(exercise)


def prose(markdown: str) -> str:
    """A markdown cell without what may hold ``_`` and ``^`` legitimately: code blocks, inline
    code, math, links' targets and HTML tags."""
    for pattern in (r"```.*?```", r"`[^`]*`", r"\$\$.*?\$\$", r"\$[^$]*\$", r"\]\([^)]*\)", r"<[^>]*>", r"https?://\S+"):
        markdown = re.sub(pattern, " ", markdown, flags=re.S)
    return markdown


RAW_MATH = re.compile(r"[\w)\]}]_\{|[\w)\]}]\^[{\w(−-]|\b[A-Za-zα-ωΑ-Ω]_[A-Za-z0-9]\b")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_formulas_are_latex(name):
    """Sub- and superscripts are written in $…$, where they render, never as raw a_K or δ^{l+1}."""
    nb = nbformat.read(course.NOTEBOOK_DIR / name, as_version=4)
    raw = [m.group(0) + " in: " + prose(c.source)[max(m.start() - 30, 0):m.end() + 30].replace("\n", " ")
           for c in nb.cells if c.cell_type == "markdown" for m in RAW_MATH.finditer(prose(c.source))]
    assert not raw, "formulas outside $…$:\n" + "\n".join(raw)


def test_prose_helper_keeps_only_what_is_outside_math_and_code():
    assert RAW_MATH.search(prose("the rule δ^{l+1} and a_Kw_K"))
    assert not RAW_MATH.search(prose("the rule $\\delta^{l+1}$ and `train_small_cnn` and $a_K w_K$"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_internal_source_names(name):
    text = " ".join(c.source for c in nbformat.read(course.NOTEBOOK_DIR / name, as_version=4).cells)
    assert not re.search(r"\bseeds?\s*0\d\d\b|seeds/", text, flags=re.I), "cite the lecture or the paper"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda l: l.notebook)
def test_every_seed_topic_is_in_its_lesson(lesson):
    nb = nbformat.read(course.NOTEBOOK_DIR / lesson.notebook, as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    missing = [topic for topic in lesson.seed_topics if topic.lower() not in text]
    assert not missing, f"course/syllabus.toml lists topics the notebook does not cover: {missing}"


def _printed(cell) -> str:
    return " ".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                    + "".join(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda l: l.notebook)
def test_no_exercise_answer_is_printed_before_its_exercise(lesson):
    """A distinctive answer (a whole number of two digits or more, or three significant figures) does not
    appear in what the lesson prints before the exercise asks for it."""
    nb = nbformat.read(course.NOTEBOOK_DIR / lesson.notebook, as_version=4)
    for i, cell in enumerate(nb.cells):
        found = re.search(r'^check\("(\d\d\.\d+)"', cell.source, flags=re.M) if cell.cell_type == "code" else None
        if not found:
            continue
        key = answer_key(found.group(1))
        value = key.get("answer")
        if value is None or np.ndim(value) or abs(value) < 10 and float(value).is_integer():
            continue
        written = {f"{value:,.0f}", f"{value:.0f}"} if float(value).is_integer() else {f"{value:.3g}"}
        before = " ".join(_printed(c) for c in nb.cells[:i]  # measured times vary: not an answer given away
                          if "nbval-ignore-output" not in c.metadata.get("tags", []))
        shown = [w for w in written if re.search(rf"(?<![\d.]){re.escape(w)}(?!\d|\.\d)", before)]
        assert not shown, f"exercise {found.group(1)}'s answer {shown} is printed before it is asked"
