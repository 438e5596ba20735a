"""Immediate feedback on the exercises at the end of each lesson.

Answer keys live in ``course/answers/NN.toml`` (NN = lesson number), one table per
exercise, e.g. ``["02.1"]`` with either

* ``answer`` (a number or nested list) and an optional ``tolerance`` (absolute, default 1e-6), or
* ``calls`` (a list of argument lists) and ``expected`` (the result of each call), for
  exercises where the learner writes a function,

plus an optional ``hint`` shown when the answer is wrong. ``check("02.1", value)`` answers at once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np

from .course import COURSE_DIR, tomllib


ID = re.compile(r"[0-9]{2}\.[0-9]+")  # "NN.M": lesson NN, exercise M


@dataclass(frozen=True)
class Feedback:
    exercise: str
    status: str  # "correct", "wrong", "unanswered", or "invalid" (no such exercise)
    detail: str

    def __repr__(self) -> str:
        mark = {"correct": "✓", "wrong": "✗", "unanswered": "…", "invalid": "?"}[self.status]
        return f"{mark} Exercise {self.exercise}: {self.detail}"

    def _repr_html_(self) -> str:
        colour = {"correct": "#1b7f3b", "wrong": "#b00020", "unanswered": "#666", "invalid": "#8a5a00"}[self.status]
        return f'<div style="color:{colour}">{html.escape(repr(self))}</div>'

    def __bool__(self) -> bool:
        return self.status == "correct"


def answer_key(exercise: str) -> dict:
    """The key of ``exercise``; a ValueError with a plain message when there is no such exercise."""
    if not isinstance(exercise, str) or not ID.fullmatch(exercise):
        raise ValueError(f'{exercise!r} is not an exercise id: ids are strings "NN.M" (lesson NN, exercise M), '
                         'as in check("03.1", answer)')
    lesson = exercise[:2]
    path = COURSE_DIR / "answers" / f"{lesson}.toml"
    keys = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if exercise not in keys:
        raise ValueError(f"there is no exercise {exercise!r}; lesson {lesson} has "
                         + (", ".join(sorted(keys)) if keys else "no exercises"))
    key = keys[exercise]
    if "answer" not in key and not {"calls", "expected"} <= key.keys():
        raise ValueError(f"{path}: [\"{exercise}\"] needs `answer`, or `calls` and `expected`")
    return key


def check(exercise: str, answer) -> Feedback:
    """Compare ``answer`` (a value, or a function for function exercises) with the key; an id that is not
    an exercise gets an "invalid" answer saying what ids look like."""
    try:
        key = answer_key(exercise)
    except ValueError as err:
        return Feedback(str(exercise), "invalid", str(err))
    if answer is None or answer is Ellipsis:
        return Feedback(exercise, "unanswered", "not answered yet: replace the ... with your answer and run the cell again.")
    wants_function = "calls" in key
    if callable(answer) != wants_function:
        return Feedback(exercise, "wrong", "this exercise wants a function; pass the function itself." if wants_function
                        else "this exercise wants a value, not a function; pass what your function returns.")
    try:
        if wants_function:
            for args, expected in zip(key["calls"], key["expected"]):
                got = answer(*[np.asarray(a) if isinstance(a, list) else a for a in args])
                if got is None:
                    return Feedback(exercise, "unanswered", "not answered yet: your function returns None; "
                                    "fill in its body and run the cell again.")
                if _is_text(got):
                    return Feedback(exercise, "wrong", f"for input {args} it returned the string {_short(got)}; "
                                    "return a number, not a string.")
                if not _close(got, expected, key):
                    return _wrong(exercise, key, f"for input {args} it returned {_short(got)}.")
        elif _is_text(answer):
            return Feedback(exercise, "wrong", "this exercise expects a number, not a string: "
                            f"write it without quotes (you gave {_short(answer)}).")
        elif not _close(answer, key["answer"], key):
            return _wrong(exercise, key, f"{_short(answer)} is not it.")
    except Exception as exc:  # a learner's function that raises is feedback too
        return Feedback(exercise, "wrong", f"your answer raised {type(exc).__name__}: {exc}")
    return Feedback(exercise, "correct", "correct — well done.")


def _wrong(exercise: str, key: dict, what: str) -> Feedback:
    """A wrong answer: what was wrong, then the key's hint if it has one."""
    return Feedback(exercise, "wrong", f"{what} Hint: {key['hint']}" if "hint" in key else what)


def _is_text(value) -> bool:
    """Whether ``value`` holds strings (numpy would read "0.5" as the number 0.5)."""
    return np.asarray(value).dtype.kind in "SU"


def _close(got, expected, key: dict) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=0, atol=key.get("tolerance", 1e-6)))


def _short(value) -> str:
    return np.array2string(np.asarray(value), precision=4, threshold=8) if np.ndim(value) else f"{value!r}"
