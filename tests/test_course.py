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


def test_check_gives_feedback_for_values_and_functions():
    assert check("03.2", [0.25, 0.5]).status == "correct"
    wrong = check("03.2", [0.5, 1.0])
    assert wrong.status == "wrong" and "Hint: each step multiplies θ by (1 − 2η)" in repr(wrong)
    assert check("03.2", [0.25, 0.5, 0.0]).status == "wrong"  # wrong shape
    assert check("03.1", ...).status == "unanswered" and not check("03.1", None)
    assert check("03.1", 0.5108).status == "correct"

    from dlteach.nn.functional import sigmoid

    weights = [(np.array([[1, -2], [-1, 1]]), np.array([1, 0])), (np.array([[2, -1], [-2, -1]]), np.array([0, 0])),
               (np.array([[3, -1], [-1, 4]]), np.array([-2, 2]))]

    def network(x):
        for W, b in weights:
            x = sigmoid(W @ x + b)
        return x

    assert check("02.3", network)
    assert check("02.3", lambda x: None).status == "unanswered"
    assert check("02.3", lambda x: x).status == "wrong"
    assert "raised ZeroDivisionError" in repr(check("02.3", lambda x: 1 / 0))


def test_every_answer_key_is_well_formed():
    for path in sorted((course.COURSE_DIR / "answers").glob("*.toml")):
        for exercise in course.tomllib.loads(path.read_text(encoding="utf-8")):
            key = answer_key(exercise)
            assert "hint" in key, exercise
            assert "calls" not in key or len(key["calls"]) == len(key["expected"]), exercise


@pytest.mark.parametrize("exercise, message", [
    (3.1, r'3.1 is not an exercise id: ids are strings "NN.M" \(lesson NN, exercise M\), as in check\("03.1"'),
    (None, "None is not an exercise id"),
    ("3.1", "'3.1' is not an exercise id"),
    ("../03.1", "is not an exercise id"),
    ("03.1\n", "is not an exercise id"),
    ("03.9", "there is no exercise '03.9'; lesson 03 has 03.1, 03.2, 03.3"),
    ("15.1", "there is no exercise '15.1'; lesson 15 has no exercises"),
], ids=["float", "None", "one digit", "traversal", "newline", "no such exercise", "no such lesson"])
def test_an_exercise_id_that_is_not_one_gets_a_plain_message(exercise, message):
    feedback = check(exercise, 0.5)
    assert feedback.status == "invalid" and not feedback and re.search(message, repr(feedback))
    with pytest.raises(ValueError, match=message):
        answer_key(exercise)


def test_an_exercise_id_never_leaves_the_answer_folder(tmp_path):
    (tmp_path / "evil.toml").write_text(f'["{tmp_path}/evil.x"]\nanswer = 1\nhint = ""\n')
    assert check(f"{tmp_path}/evil.x", 1).status == "invalid"


def test_a_string_is_not_a_number():
    for exercise, answer in [("03.3", "0.5"), ("03.2", ["0.25", "0.5"]), ("03.3", b"0.5")]:
        feedback = check(exercise, answer)
        assert feedback.status == "wrong" and "expects a number, not a string" in repr(feedback), answer
    returns_text = check("13.2", lambda x, t: str(np.sign(x) * np.maximum(np.abs(x) - t, 0)))
    assert returns_text.status == "wrong" and "return a number, not a string" in repr(returns_text)


def test_a_function_for_a_value_and_a_value_for_a_function_are_explained():
    assert repr(check("03.3", lambda: 0.5)) == ("✗ Exercise 03.3: this exercise wants a value, not a function; "
                                                 "pass what your function returns.")
    assert repr(check("02.3", 0.5)) == "✗ Exercise 02.3: this exercise wants a function; pass the function itself."


def test_a_key_without_a_hint_does_not_blame_the_learner(tmp_path, monkeypatch):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "99.toml").write_text('["99.1"]\nanswer = 2\n\n["99.2"]\ncalls = [[1]]\nexpected = [2]\n'
                                                  '\n["99.3"]\nhint = "no answer"\n')
    monkeypatch.setattr(exercises, "COURSE_DIR", tmp_path)
    assert repr(check("99.1", 3)) == "✗ Exercise 99.1: 3 is not it."
    assert repr(check("99.2", lambda x: x)) == "✗ Exercise 99.2: for input [1] it returned 1."
    assert check("99.1", 2) and check("99.2", lambda x: 2 * x)
    broken = check("99.3", 1)
    assert broken.status == "invalid"
    assert '99.toml: ["99.3"] needs `answer`, or `calls` and `expected`' in repr(broken)
