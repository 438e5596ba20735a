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

from .course import answer_keys, answers_file
from .i18n import _, lesson_text

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
        return _("{mark} Exercise {exercise}: {detail}").format(mark=MARKS[self.status], exercise=self.exercise,
                                                               detail=self.detail)

    def _repr_html_(self) -> str:
        return f'<div style="color:{COLOURS[self.status]};white-space:pre-wrap">{html.escape(repr(self))}</div>'

    def __bool__(self) -> bool:
        return self.status == "correct"


def answer_key(exercise: str) -> dict:
    """The key of ``exercise``; a ValueError with a plain message when there is no such exercise
    or its key is malformed."""
    if not isinstance(exercise, str) or not ID.fullmatch(exercise):
        raise ValueError(_('{exercise} is not an exercise id: ids are strings "NN.M" (lesson NN, exercise M), '
                           'as in check("03.1", answer)').format(exercise=repr(exercise)))
    lesson = exercise[:2]
    path, keys = answers_file(int(lesson)), answer_keys(int(lesson))
    if exercise not in keys:
        raise ValueError(_("there is no exercise {exercise}; lesson {lesson} has {exercises}").format(
            exercise=repr(exercise), lesson=lesson, exercises=", ".join(sorted(keys)) if keys else _("no exercises")))
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
        return Feedback(exercise, "unanswered", _("not answered yet: replace the ... with your answer and run the cell "
                                                  "again."))
    wants_function = "calls" in key
    if callable(answer) != wants_function:
        return Feedback(exercise, "wrong", _("this exercise wants a function; pass the function itself.") if wants_function
                        else _("this exercise wants a value, not a function; pass what your function returns."))
    if not wants_function:
        return _compare(exercise, key, answer, key["answer"], "")
    for args, expected in zip(key["calls"], key["expected"]):
        call = _("for input {arguments}").format(arguments=", ".join(_show(a) for a in args))
        try:
            got = answer(*[np.asarray(a) if isinstance(a, list) else a for a in args])
        except Exception as exc:  # a learner's function that raises is feedback too
            return _wrong(exercise, key, _("{call} your function raised {error}: {message}.").format(
                call=call, error=type(exc).__name__, message=exc))
        if got is None:
            return Feedback(exercise, "unanswered", _("not answered yet: your function returns None; "
                                                      "fill in its body and run the cell again."))
        feedback = _compare(exercise, key, got, expected, call)
        if not feedback:
            return feedback
    return Feedback(exercise, "correct", _("correct — well done."), 1.0)


def hint(exercise: str) -> Feedback:
    """The next hint of ``exercise``: a nudge, then the method, and after the hints the worked answer."""
    try:
        key = answer_key(exercise)
    except ValueError as err:
        return Feedback(str(exercise), "invalid", str(err))
    hints, level = key["hints"], _shown.get(exercise, 0)
    if level >= len(hints):
        _shown[exercise] = len(hints) + 1
        return Feedback(exercise, "hint", _("worked answer:\n{solution}").format(solution=_text(exercise, key["solution"])))
    _shown[exercise] = level + 1
    return Feedback(exercise, "hint", _("hint {n} of {total}: {hint}").format(
        n=level + 1, total=len(hints), hint=_text(exercise, hints[level])) + _more(exercise, key))


def _text(exercise: str, text: str) -> str:
    """A hint or worked answer of ``exercise`` in the language in use."""
    return lesson_text(int(exercise[:2]), text)


def _compare(exercise: str, key: dict, got, expected, call: str = "") -> Feedback:
    """Feedback on a value ``got`` against ``expected``: right, close, partly right, the wrong
    shape or type, or wrong (with the next hint). ``call`` ("for input …") names the function call
    that returned ``got``, for function exercises."""
    if _is_text(got):
        return Feedback(exercise, "wrong", _("{call} it returned the string {got}; return a number, not a string.")
                        .format(call=call, got=_show(got)) if call else _(
                            "this exercise expects a number, not a string: write it without quotes (you gave {got}).")
                        .format(got=_show(got)))
    context = _("{call} it returned {got}, expected {expected}. ").format(
        call=call, got=_show(got), expected=_show(expected)) if call else ""
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(exercise, "wrong", context + _("this exercise expects {shape}, not {kind} {got}.").format(
            shape=_shape_words(np.shape(expected)), kind=type(got).__name__, got=_show(got)))
    expected = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected.shape:
        return Feedback(exercise, "wrong", context + _("this exercise expects {shape}; you gave {given}.").format(
            shape=_shape_words(expected.shape), given=_shape_words(got_array.shape)))
    tolerance = _tolerance(key, expected)
    right = np.abs(got_array - expected) <= tolerance
    if right.all():
        return Feedback(exercise, "correct", _("correct — well done."), 1.0)
    score = float(right.mean())
    whole = not ROUNDED & key.keys() and np.all(expected == np.round(expected))  # a count is right or wrong
    if not whole and np.isfinite(got_array).all() and (
            np.abs(got_array - expected) <= np.maximum(CLOSE * np.abs(expected), 10 * tolerance)).all():
        wanted = _precision_words(key)
        more = (_("give more digits ({precision})") if _written_digits(got_array) < _asked_digits(key, expected)
                else _("check your rounding and the last step ({precision})")).format(precision=wanted)
        if expected.ndim:
            more = _("{right} of {size} entries are right; {more}").format(right=right.sum(), size=right.size, more=more)
        return Feedback(exercise, "wrong", context + _("close — {more}.").format(more=more), score)
    what = context or _("{got} is not it.").format(got=_show(got))
    if expected.ndim and 0 < right.sum() < right.size:
        axes = (_("row {n}"), _("column {n}"), _("slice {n}"))
        places = [", ".join(axis.format(n=int(i) + 1) for axis, i in zip(axes, ix))
                  if len(ix) > 1 else str(int(ix[0]) + 1) for ix in np.argwhere(~right)[:6]]  # counted from 1
        if expected.ndim == 1:
            where = (_("entry {place} is not") if len(places) == 1 else _("entries {place} are not")).format(
                place=", ".join(places))
        else:
            where = (_("the one at {place} is not") if len(places) == 1 else _("those at {place} are not")).format(
                place="; ".join(places))
        what = context + _("{right} of {size} entries are right; {where}.").format(
            right=right.sum(), size=right.size, where=where)
    return _wrong(exercise, key, what, score)


def _wrong(exercise: str, key: dict, what: str, score: float = 0.0) -> Feedback:
    """A wrong answer: what was wrong, then the next hint (the last one again once all are shown)."""
    hints = key["hints"]
    level = min(_shown.get(exercise, 0), len(hints) - 1)
    _shown[exercise] = max(_shown.get(exercise, 0), level + 1)
    return Feedback(exercise, "wrong", _("{what} Hint: {hint}").format(
        what=what.strip(), hint=_text(exercise, hints[level])) + _more(exercise, key), score)


def _more(exercise: str, key: dict) -> str:
    left = len(key["hints"]) - _shown.get(exercise, 0)
    return (_(' (hint("{exercise}") gives the next hint.)') if left > 0
            else _(' (hint("{exercise}") shows the worked answer.)')).format(exercise=exercise)


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
        return _("{n} decimals").format(n=key["decimals"])
    if "significant" in key:
        return _("{n} significant figures").format(n=key["significant"])
    return _("within {tolerance:g}").format(tolerance=key.get("tolerance", 1e-6))


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
        return _("one number")
    if len(shape) == 1:
        return _("a list of {n} numbers").format(n=shape[0])
    return _("an array of shape {shape}").format(shape="×".join(str(n) for n in shape))


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
