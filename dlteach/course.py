"""The course as data: where it lives, its syllabus, and the index notebook built from it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
COURSE_DIR = ROOT / "course"
NOTEBOOK_DIR = ROOT / "notebooks"
EDITIONS = {"en": NOTEBOOK_DIR, "zh": NOTEBOOK_DIR / "zh"}  # a language → its notebooks, same file names
INDEX = "00_index.ipynb"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass(frozen=True)
class Lesson:
    number: int
    title: str
    notebook: str
    objectives: tuple[str, ...]
    seed_topics: tuple[str, ...]


def syllabus(path: Path = COURSE_DIR / "syllabus.toml") -> tuple[str, list[Lesson]]:
    """The course title and its lessons in teaching order."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lessons = [Lesson(l["number"], l["title"], l["notebook"], tuple(l["objectives"]), tuple(l["seed_topics"]))
               for l in data["lesson"]]
    return data["title"], sorted(lessons, key=lambda l: l.number)


def notebooks(language: str = "en") -> list[Path]:
    """The index and every lesson of one edition, in teaching order."""
    return [EDITIONS[language] / INDEX] + [EDITIONS[language] / lesson.notebook for lesson in syllabus()[1]]


def lesson_catalogue(language: str, lesson: int) -> Path:
    """The translation catalogue of lesson ``lesson`` (0: the index) for a language other than English."""
    return COURSE_DIR / language / Path(notebooks()[lesson].name).with_suffix(".po")


def answers_file(lesson: int) -> Path:
    return COURSE_DIR / "answers" / f"{lesson:02d}.toml"


def answer_keys(lesson: int) -> dict:
    """The keys of lesson ``lesson``'s exercises by id ("02.1" …), from ``course/answers/NN.toml``; none if it has none."""
    path = answers_file(lesson)
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def index_notebook() -> dict:
    """The index notebook (nbformat 4 JSON) listing every lesson with a link and its objectives."""
    title, lessons = syllabus()
    lines = [f"# {title}\n", "\n",
             "Open a lesson, then **Run → Run All Cells**. Every lesson runs offline on a laptop; "
             "the library behind them is `dlteach`, numpy from scratch.\n", "\n",
             "中文版：[课程目录](zh/00_index.ipynb)\n", "\n"]
    for lesson in lessons:
        lines.append(f"{lesson.number}. **[{lesson.title}]({lesson.notebook})** — "
                     + "; ".join(o[0].lower() + o[1:] for o in lesson.objectives) + ".\n")
    return {
        "cells": [{"cell_type": "markdown", "id": "index", "metadata": {}, "source": lines}],
        "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
