"""Immediate feedback on the exercises at the end of each lesson.

Answer keys live in ``course/answers/NN.toml`` (NN = lesson number), one table per
exercise, e.g. ``["02.1"]`` with either

* ``answer`` (a number or nested list) and an optional ``tolerance`` (absolute, default 1e-6), or
* ``calls`` (a list of argument lists) and ``expected`` (the result of each call), for
  exercises where the learner writes a function,

plus a ``hint`` shown when the answer is wrong. ``check("02.1", value)`` answers at once.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from .course import COURSE_DIR, tomllib


@dataclass(frozen=True)
class Feedback:
    exercise: str
    status: str  # "correct", "wrong" or "unanswered"
    detail: str

    def __repr__(self) -> str:
        mark = {"correct": "✓", "wrong": "✗", "unanswered": "…"}[self.status]
        return f"{mark} Exercise {self.exercise}: {self.detail}"

    def _repr_html_(self) -> str:
        colour = {"correct": "#1b7f3b", "wrong": "#b00020", "unanswered": "#666"}[self.status]
        return f'<div style="color:{colour}">{html.escape(repr(self))}</div>'

    def __bool__(self) -> bool:
        return self.status == "correct"


def answer_key(exercise: str) -> dict:
    lesson = exercise.split(".")[0]
    path = COURSE_DIR / "answers" / f"{lesson}.toml"
    if not path.exists():
        raise KeyError(f"no answer key for lesson {lesson} ({path} is missing)")
    keys = tomllib.loads(path.read_text(encoding="utf-8"))
    if exercise not in keys:
        raise KeyError(f"no exercise {exercise!r}; lesson {lesson} has {sorted(keys)}")
    return keys[exercise]


def check(exercise: str, answer) -> Feedback:
    """Compare ``answer`` (a value, or a function for function exercises) with the key."""
    key = answer_key(exercise)
    if answer is None or answer is Ellipsis:
        return Feedback(exercise, "unanswered", "not answered yet: replace the ... with your answer and run the cell again.")
    try:
        if "calls" in key:
            if not callable(answer):
                return Feedback(exercise, "wrong", "this exercise wants a function; pass the function itself.")
            for args, expected in zip(key["calls"], key["expected"]):
                got = answer(*[np.asarray(a) if isinstance(a, list) else a for a in args])
                if got is None:
                    return Feedback(exercise, "unanswered", "not answered yet: your function returns None; "
                                    "fill in its body and run the cell again.")
                if not _close(got, expected, key.get("tolerance", 1e-6)):
                    return Feedback(exercise, "wrong", f"for input {args} it returned {_short(got)}. Hint: {key['hint']}")
        elif not _close(answer, key["answer"], key.get("tolerance", 1e-6)):
            return Feedback(exercise, "wrong", f"{_short(answer)} is not it. Hint: {key['hint']}")
    except Exception as exc:  # a learner's function that raises is feedback too
        return Feedback(exercise, "wrong", f"your answer raised {type(exc).__name__}: {exc}")
    return Feedback(exercise, "correct", "correct — well done.")


def _close(got, expected, tolerance: float) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=0, atol=tolerance))


def _short(value) -> str:
    return np.array2string(np.asarray(value), precision=4, threshold=8) if np.ndim(value) else f"{value!r}"
