"""Graded assignments (dlteach/assignments.py) through real nbgrader: the course written by
`dlteach assignments`, every lesson released with `nbgrader generate_assignment`, and submissions
scored by `nbgrader autograde`: filled in, untouched and half solved for two lessons, filled in for
the two others with a function exercise."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlteach import assignments, course
from dlteach.cli import lab_environment, main

GRADED = (2, 7)  # three submissions each: quick lessons (about 5 s of autograding), each with a function exercise
FILLED = (2, 7, 12, 13)  # filled-in submissions: every lesson with a function exercise
LESSONS = {lesson.number: lesson for lesson in course.syllabus()[1]}


def nbgrader(root: Path, *args: str) -> None:
    """Run ``nbgrader`` in the course directory ``root``, with one BLAS thread; nbgrader runs
    ``alembic`` by name, so the environment's scripts come first on the PATH."""
    env = lab_environment(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def notebook(root: Path, folder: str, lesson: int):
    return nbformat.read(root / folder / assignments.assignment_name(lesson) / LESSONS[lesson].notebook, as_version=4)


def exercise_cells(nb) -> dict:
    """The answer and test cells of a notebook by grade id."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells if "nbgrader" in cell.metadata}


def solved(cell) -> str:
    """An answer cell of the source as a learner would write it: the worked answer, no delimiters."""
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


def text(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def submit(root: Path, student: str, lesson: int, nb) -> None:
    folder = root / "submitted" / student / assignments.assignment_name(lesson)
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / LESSONS[lesson].notebook)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    assert main(["assignments", str(root)]) == 0
    nbgrader(root, "generate_assignment", "*")  # every lesson, in one run
    return root


@pytest.fixture(scope="module")
def graded(released):
    """The submissions, autograded in one run: filled in (the source) for every lesson of FILLED;
    untouched (the released lesson) and half solved (the odd-numbered exercises answered) for GRADED.
    Returns each submission's points by test cell, and which answers the half-solved ones hold."""
    from nbgrader.api import Gradebook

    half = {}
    for lesson in FILLED:
        submit(released, "filled", lesson, notebook(released, "source", lesson))
    for lesson in GRADED:
        answers, partial = exercise_cells(notebook(released, "source", lesson)), notebook(released, "release", lesson)
        submit(released, "untouched", lesson, partial)
        half[lesson] = [grade_id for grade_id in answers if grade_id.endswith("_answer")][::2]
        for grade_id, cell in exercise_cells(partial).items():
            if grade_id in half[lesson]:
                cell.source = solved(answers[grade_id])
        submit(released, "half", lesson, partial)
    nbgrader(released, "autograde", "*")  # every submitted lesson
    with Gradebook(f"sqlite:///{released / 'gradebook.db'}", "dlteach") as gb:
        scores = {(submission.student.id, int(submission.assignment.name[-2:])):
                  {grade.name: grade.score for grade in submission.notebooks[0].grades}
                  for assignment in gb.assignments for submission in assignment.submissions}
    return scores, half


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_the_released_lesson_is_the_lesson_with_no_answer_in_it(released, lesson):
    original = nbformat.read(course.NOTEBOOK_DIR / LESSONS[lesson].notebook, as_version=4)
    source, release = notebook(released, "source", lesson), notebook(released, "release", lesson)
    checked = [assignments.CHECK.search(cell.source) for cell in source.cells if "nbgrader" in cell.metadata
               and cell.metadata["nbgrader"]["solution"]]
    assert sorted(found["exercise"] for found in checked) == sorted(course.answer_keys(lesson))
    for found in checked:
        solution = assignments.solution_code(found["exercise"], found["name"])
        assert solution in text(source) and f'feedback = check("{found["exercise"]}"' in text(source)
        assert solution not in text(release) and found[0] in text(release)
    assert "BEGIN SOLUTION" not in text(release) and "HIDDEN TESTS" not in text(release)
    cells = iter(release.cells)
    for cell in original.cells:  # the lesson's cells; an answer cell gains a blank line before its check
        got = next(cells)
        assert got.id == cell.id and got.metadata.get("slideshow") == cell.metadata.get("slideshow")
        if "nbgrader" not in got.metadata:
            assert got.source == cell.source
            continue
        assert got.source == cell.source.replace("\ncheck(", "\n\ncheck(")
        test = next(cells)
        assert test.metadata["nbgrader"]["points"] == 1 and test.source.startswith("# ")
        assert "\n" not in test.source
    assert next(cells, None) is None
    assert not any(cell.get("outputs") for cell in source.cells + release.cells)


@pytest.mark.parametrize("lesson", FILLED)
def test_the_worked_answers_get_full_points(graded, lesson):
    scores, _ = graded
    assert scores["filled", lesson] == {assignments.grade_id(exercise, "test"): 1.0
                                        for exercise in course.answer_keys(lesson)}


@pytest.mark.parametrize("lesson", GRADED)
def test_an_untouched_lesson_gets_none_and_a_half_solved_one_exactly_what_was_solved(graded, lesson):
    scores, half = graded
    assert scores["untouched", lesson].keys() == scores["filled", lesson].keys()
    assert sum(scores["untouched", lesson].values()) == 0
    assert scores["half", lesson] == {grade_id: float(grade_id.replace("_test", "_answer") in half[lesson])
                                      for grade_id in scores["filled", lesson]}
    assert sum(scores["half", lesson].values()) == len(half[lesson]) == 2


def test_a_lesson_that_does_not_exist_is_refused_before_anything_is_written(tmp_path, capsys):
    assert main(["assignments", str(tmp_path / "course"), "2", "15", "0"]) == 2
    assert capsys.readouterr().err == "dlteach: there is no lesson 0, 15; the lessons are 1–14\n"
    assert not (tmp_path / "course").exists()


def test_a_function_solution_that_is_not_one_is_named(monkeypatch):
    monkeypatch.setattr(assignments, "answer_key", lambda exercise: {
        "calls": [[1]], "expected": [1], "solution": "Return x itself: the identity.\ndef f(x):\n    return x"})
    with pytest.raises(ValueError, match=r'02\.toml: \["02\.3"\] solution does not open with the function f'):
        assignments.solution_code("02.3", "f")
