"""Graded assignments: the lessons as an nbgrader course, one assignment per lesson.

``dlteach assignments OUT`` writes an nbgrader course directory: ``nbgrader_config.py`` and
``source/lessonNN/<notebook>`` for each lesson, the English lesson with its outputs cleared and its
exercises made nbgrader cells. Each exercise's code cell becomes an answer cell whose solution
region, just before its ``check(…)``, holds the worked answer from ``course/answers/NN.toml`` (the
key's value, or the function that opens the key's solution); after it comes a locked test cell worth
one point that asserts ``check(…)`` in a hidden-tests region. The solution regions are released as
nothing (``ClearSolutions.code_stub``), so ``nbgrader generate_assignment lessonNN`` gives back the
lesson as learners know it (``answer = ...``, ``def f(x): ...``, "replace each ``...``"), and
``nbgrader autograde lessonNN`` scores submissions with the lessons' own ``check``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from . import course
from .exercises import answer_key

CHECK = re.compile(r'^check\("(?P<exercise>[0-9]{2}\.[0-9]+)", (?P<name>\w+)\)$', re.M)  # an exercise's check line
CONFIG = '''\
# The dlteach course for nbgrader, written by `dlteach assignments`: one assignment per lesson.
import os

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dlteach"
# Released answer cells keep the lesson's own placeholders (answer = ...), which stand outside the
# solution regions: a region is released as nothing.
c.ClearSolutions.code_stub = {"python": ""}
# Some lessons train networks in a cell for longer than nbgrader's default 30 s.
c.Execute.timeout = 600
'''


def assignment_name(lesson: int) -> str:
    return f"lesson{lesson:02d}"


def grade_id(exercise: str, part: str) -> str:
    """An nbgrader grade id: ``ex05_1_answer`` for the answer to exercise 05.1, ``ex05_1_test`` for its test."""
    return f"ex{exercise.replace('.', '_')}_{part}"


def nbgrader_metadata(exercise: str, part: str, **marks) -> dict:
    """A cell's ``nbgrader`` metadata as nbgrader 0.9 writes it (schema 3)."""
    return {"grade": False, "solution": False, "locked": False, **marks, "grade_id": grade_id(exercise, part),
            "schema_version": 3}


def solution_code(exercise: str, name: str) -> str:
    """The worked answer of ``exercise`` as code defining ``name``, the value its cell passes to
    ``check``: ``name = <the key's value>``, or for a function exercise the function that opens the
    key's solution (without the prose after it, which starts at the first unindented line)."""
    key = answer_key(exercise)
    if "answer" in key:
        return f"{name} = {key['answer']!r}"
    lines = key["solution"].splitlines()
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() and not line[0].isspace()), len(lines))
    code = "\n".join(lines[:end]).rstrip()
    try:
        body = ast.parse(code).body
    except SyntaxError:
        body = []
    if not (len(body) == 1 and isinstance(body[0], ast.FunctionDef) and body[0].name == name):
        raise ValueError(f'{course.answers_file(int(exercise[:2]))}: ["{exercise}"] solution does not open with '
                         f"the function {name}(…) that its cell passes to check")
    return code


def grading_cell(exercise: str, name: str, metadata: dict):
    """The autograder cell of ``exercise``: one point if ``check`` accepts ``name``, its hidden test."""
    source = "\n".join([
        f"# Exercise {exercise} is graded here (1 point).",
        "### BEGIN HIDDEN TESTS",
        "from dlteach.exercises import check",
        "",
        f'feedback = check("{exercise}", {name})',
        "assert feedback, repr(feedback)",
        "### END HIDDEN TESTS",
    ])
    return nbformat.v4.new_code_cell(source, id=grade_id(exercise, "test"), metadata={
        **{k: v for k, v in metadata.items() if k == "slideshow"},
        "nbgrader": nbgrader_metadata(exercise, "test", grade=True, locked=True, points=1)})


def assignment_notebook(lesson: course.Lesson):
    """Lesson ``lesson`` (English, outputs cleared) with each exercise as an answer cell and a test cell."""
    nb = nbformat.read(course.NOTEBOOK_DIR / lesson.notebook, as_version=4)
    nb.metadata.pop("widgets", None)  # the explorers' saved state belongs to the outputs
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
        found = CHECK.search(cell.source)
        if not found:
            continue
        exercise, name = found["exercise"], found["name"]
        region = f"### BEGIN SOLUTION\n{solution_code(exercise, name)}\n### END SOLUTION\n"
        cell.source = cell.source[:found.start()] + region + cell.source[found.start():]
        cell.metadata["nbgrader"] = nbgrader_metadata(exercise, "answer", solution=True)
        cells.append(grading_cell(exercise, name, cell.metadata))
    if len(cells) == len(nb.cells):
        raise ValueError(f"{lesson.notebook} has no exercise cells (a line check(\"NN.M\", answer))")
    nb.cells = cells
    return nb


def write_course(out: Path, lessons=None) -> list[str]:
    """Write an nbgrader course directory into ``out`` with the given lessons (numbers; default all)
    as assignments ``lessonNN``; return the assignments' names. A lesson that does not exist is a
    ValueError, before anything is written."""
    by_number = {lesson.number: lesson for lesson in course.syllabus()[1]}
    wanted = sorted(set(by_number if lessons is None else lessons))
    missing = [n for n in wanted if n not in by_number]
    if missing:
        raise ValueError(f"there is no lesson {', '.join(map(str, missing))}; "
                         f"the lessons are {min(by_number)}–{max(by_number)}")
    notebooks = {n: assignment_notebook(by_number[n]) for n in wanted}
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    for n, nb in notebooks.items():
        folder = out / "source" / assignment_name(n)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / by_number[n].notebook)
    return [assignment_name(n) for n in wanted]
