"""Immediate feedback on the exercises at the end of each lesson, with hints in steps.

Answer keys live in ``course/answers/NN.toml`` (NN = lesson number), one table per exercise,
e.g. ``["02.1"]``, with

* ``answer`` (a number or nested list), or ``calls`` (argument lists) and ``expected`` (the
  result of each call) for exercises where the learner writes a function;
* the precision the question states: ``decimals = 3`` or ``significant = 3`` (any correctly
  rounded answer is right), or an absolute ``tolerance`` (default 1e-6);
* ``hints``: a nudge, then the method, shown one per wrong answer and never the answer itself;
* ``solution``: the worked answer, shown only when asked for with ``hint()`` after the hints.

``check("02.1", value)`` answers at once; ``hint("02.1")`` gives the next hint.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import numpy as np

from .course import COURSE_DIR, tomllib

ID = re.compile(r"[0-9]{2}\.[0-9]+")  # "NN.M": lesson NN, exercise M
PRECISION = ("decimals", "significant", "tolerance")
ROUNDED = {"decimals", "significant"}
CLOSE = 0.02  # an answer within 2 % of the key (or within 10 tolerances) is "close"
MARKS = {"correct": "✓", "wrong": "✗", "unanswered": "…", "invalid": "?", "hint": "💡"}
COLOURS = {"correct": "#1b7f3b", "wrong": "#b00020", "unanswered": "#666", "invalid": "#8a5a00", "hint": "#1f5fa8"}

_shown: dict[str, int] = {}  # exercise → how many of its hints (then the solution) the learner has seen


@dataclass(frozen=True)
class Feedback:
    exercise: str
    status: str  # "correct", "wrong", "unanswered", "invalid" (no such exercise) or "hint"
    detail: str
    score: float = 0.0  # the fraction of the answer that is right (list answers get partial credit)

    def __repr__(self) -> str:
        return f"{MARKS[self.status]} Exercise {self.exercise}: {self.detail}"

    def _repr_html_(self) -> str:
        return f'<div style="color:{COLOURS[self.status]};white-space:pre-wrap">{html.escape(repr(self))}</div>'

    def __bool__(self) -> bool:
        return self.status == "correct"


def answer_key(exercise: str) -> dict:
    """The key of ``exercise``; a ValueError with a plain message when there is no such exercise
    or its key is malformed."""
    if not isinstance(exercise, str) or not ID.fullmatch(exercise):
        raise ValueError(f'{exercise!r} is not an exercise id: ids are strings "NN.M" (lesson NN, exercise M), '
                         'as in check("03.1", answer)')
    lesson = exercise[:2]
    path = COURSE_DIR / "answers" / f"{lesson}.toml"
    keys = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if exercise not in keys:
        raise ValueError(f"there is no exercise {exercise!r}; lesson {lesson} has "
                         + (", ".join(sorted(keys)) if keys else "no exercises"))
    key, where = keys[exercise], f'{path}: ["{exercise}"]'
    if "answer" not in key and not {"calls", "expected"} <= key.keys():
        raise ValueError(f"{where} needs `answer`, or `calls` and `expected`")
    if "calls" in key and len(key["calls"]) != len(key["expected"]):
        raise ValueError(f"{where} needs one `expected` result per call")
    if sum(name in key for name in PRECISION) > 1:
        raise ValueError(f"{where} states its precision once: one of {', '.join(PRECISION)}")
    hints = key.get("hints")
    if not (isinstance(hints, list) and hints and all(isinstance(h, str) and h for h in hints)):
        raise ValueError(f"{where} needs `hints`, a list of one or more hints (a nudge first)")
    if not isinstance(key.get("solution"), str) or not key["solution"]:
        raise ValueError(f"{where} needs a `solution`, the worked answer")
    return key


def check(exercise: str, answer) -> Feedback:
    """Compare ``answer`` (a value, or a function for function exercises) with the key. A wrong
    answer gets what is wrong with it and the next hint; an id that is not an exercise gets an
    "invalid" answer saying what ids look like."""
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
    if not wants_function:
        return _compare(exercise, key, answer, key["answer"], "")
    for args, expected in zip(key["calls"], key["expected"]):
        call = f"for input {', '.join(_show(a) for a in args)}"
        try:
            got = answer(*[np.asarray(a) if isinstance(a, list) else a for a in args])
        except Exception as exc:  # a learner's function that raises is feedback too
            return _wrong(exercise, key, f"{call} your function raised {type(exc).__name__}: {exc}.")
        if got is None:
            return Feedback(exercise, "unanswered", "not answered yet: your function returns None; "
                            "fill in its body and run the cell again.")
        feedback = _compare(exercise, key, got, expected, call)
        if not feedback:
            return feedback
    return Feedback(exercise, "correct", "correct — well done.", 1.0)


def hint(exercise: str) -> Feedback:
    """The next hint of ``exercise``: a nudge, then the method, and after the hints the worked answer."""
    try:
        key = answer_key(exercise)
    except ValueError as err:
        return Feedback(str(exercise), "invalid", str(err))
    hints, level = key["hints"], _shown.get(exercise, 0)
    if level >= len(hints):
        _shown[exercise] = len(hints) + 1
        return Feedback(exercise, "hint", f"worked answer:\n{key['solution']}")
    _shown[exercise] = level + 1
    return Feedback(exercise, "hint", f"hint {level + 1} of {len(hints)}: {hints[level]}{_more(exercise, key)}")


def _compare(exercise: str, key: dict, got, expected, call: str = "") -> Feedback:
    """Feedback on a value ``got`` against ``expected``: right, close, partly right, the wrong
    shape or type, or wrong (with the next hint). ``call`` ("for input …") names the function call
    that returned ``got``, for function exercises."""
    if _is_text(got):
        return Feedback(exercise, "wrong", f"{call} it returned the string {_show(got)}; return a number, not a "
                        "string." if call else "this exercise expects a number, not a string: write it without "
                        f"quotes (you gave {_show(got)}).")
    context = f"{call} it returned {_show(got)}, expected {_show(expected)}. " if call else ""
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(exercise, "wrong", f"{context}this exercise expects {_shape_words(np.shape(expected))}, "
                        f"not {type(got).__name__} {_show(got)}.")
    expected = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected.shape:
        return Feedback(exercise, "wrong", f"{context}this exercise expects {_shape_words(expected.shape)}; "
                        f"you gave {_shape_words(got_array.shape)}.")
    tolerance = _tolerance(key, expected)
    right = np.abs(got_array - expected) <= tolerance
    if right.all():
        return Feedback(exercise, "correct", "correct — well done.", 1.0)
    score = float(right.mean())
    whole = not ROUNDED & key.keys() and np.all(expected == np.round(expected))  # a count is right or wrong
    if not whole and np.isfinite(got_array).all() and (
            np.abs(got_array - expected) <= np.maximum(CLOSE * np.abs(expected), 10 * tolerance)).all():
        wanted = _precision_words(key)
        more = (f"give more digits ({wanted})" if _written_digits(got_array) < _asked_digits(key, expected)
                else f"check your rounding and the last step ({wanted})")
        if expected.ndim:
            more = f"{right.sum()} of {right.size} entries are right; {more}"
        return Feedback(exercise, "wrong", f"{context}close — {more}.", score)
    what = context or f"{_show(got)} is not it."
    if expected.ndim and 0 < right.sum() < right.size:
        places = [", ".join(f"{axis} {int(i) + 1}" for axis, i in zip(("row", "column", "slice"), ix))
                  if len(ix) > 1 else str(int(ix[0]) + 1) for ix in np.argwhere(~right)[:6]]  # counted from 1
        if expected.ndim == 1:
            where = f"entry {places[0]} is not" if len(places) == 1 else f"entries {', '.join(places)} are not"
        else:
            where = (f"the one at {places[0]} is not" if len(places) == 1
                     else "those at " + "; ".join(places) + " are not")
        what = f"{context}{right.sum()} of {right.size} entries are right; {where}."
    return _wrong(exercise, key, what, score)


def _wrong(exercise: str, key: dict, what: str, score: float = 0.0) -> Feedback:
    """A wrong answer: what was wrong, then the next hint (the last one again once all are shown)."""
    hints = key["hints"]
    level = min(_shown.get(exercise, 0), len(hints) - 1)
    _shown[exercise] = max(_shown.get(exercise, 0), level + 1)
    return Feedback(exercise, "wrong", f"{what.strip()} Hint: {hints[level]}{_more(exercise, key)}", score)


def _more(exercise: str, key: dict) -> str:
    left = len(key["hints"]) - _shown.get(exercise, 0)
    return (f' (hint("{exercise}") gives the next hint.)' if left > 0
            else f' (hint("{exercise}") shows the worked answer.)')


def _tolerance(key: dict, expected: np.ndarray) -> np.ndarray:
    """How far an answer may be from the key, entry by entry, for the precision the question states."""
    slack = 1 + 1e-9  # a correctly rounded half-way answer is not refused for float error
    if "decimals" in key:
        return np.full(expected.shape, 0.5 * 10.0 ** -key["decimals"] * slack)
    if "significant" in key:
        exponent = np.floor(np.log10(np.where(expected == 0, 1.0, np.abs(expected))))
        return 0.5 * 10.0 ** (exponent - key["significant"] + 1) * slack
    return np.full(expected.shape, float(key.get("tolerance", 1e-6)))


def _precision_words(key: dict) -> str:
    if "decimals" in key:
        return f"{key['decimals']} decimals"
    if "significant" in key:
        return f"{key['significant']} significant figures"
    return f"within {key.get('tolerance', 1e-6):g}"


def _written_digits(values: np.ndarray) -> int:
    """The fewest significant digits among ``values`` as the learner wrote them."""
    return min(_significant(float(v)) for v in values.ravel())


def _asked_digits(key: dict, expected: np.ndarray) -> int:
    """The significant digits the question asks for (for ``decimals``: those of the rounded key)."""
    if "significant" in key:
        return key["significant"]
    if "decimals" in key:
        return _written_digits(np.round(expected, key["decimals"]))
    return _written_digits(expected)


def _significant(value: float) -> int:
    if value == 0 or not math.isfinite(value):
        return 1
    digits = np.format_float_positional(abs(value), trim="-").replace(".", "").lstrip("0")
    return max(len(digits), 1)


def _shape_words(shape: tuple) -> str:
    if shape == ():
        return "one number"
    if len(shape) == 1:
        return f"a list of {shape[0]} numbers"
    return "an array of shape " + "×".join(str(n) for n in shape)


def _is_text(value) -> bool:
    """Whether ``value`` holds strings (numpy would read "0.5" as the number 0.5)."""
    try:
        return np.asarray(value).dtype.kind in "SU"
    except (TypeError, ValueError):
        return False


def _show(value) -> str:
    """A value as the learner would write it: numbers plainly, arrays as (nested) lists."""
    if isinstance(value, (str, bytes)):
        return repr(value)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return repr(value)
    return _listed(array.tolist())


def _listed(value) -> str:
    """A number, or a (nested) list of numbers with long rows shortened, as Python would print it."""
    if not isinstance(value, list):
        return f"{value:.6g}"
    shown = [_listed(v) for v in value] if len(value) <= 12 else \
        [_listed(v) for v in value[:5]] + ["…"] + [_listed(v) for v in value[-2:]]
    return "[" + ", ".join(shown) + "]"
