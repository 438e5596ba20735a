"""The course as data: syllabus ↔ notebooks, the index, exercise keys, notebook hygiene."""

import json

import nbformat
import pytest

from dlteach import course
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

    import numpy as np
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
    assert check("02.3", 0.5).status == "wrong"
    with pytest.raises(KeyError, match="no exercise '03.9'"):
        check("03.9", 1)
