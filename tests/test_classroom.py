"""The Binder / JupyterHub environment (binder/) installs exactly what the course is tested with, and the
class hub (classroom/) holds learners who log in, start a server, run lessons and move explorers."""

import re

from dlteach import course

BINDER = course.ROOT / "binder"


def pins(text: str) -> dict[str, str]:
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def test_binder_uses_the_tested_python_and_pins():
    tested = pins((course.ROOT / "constraints.txt").read_text())
    binder = pins((BINDER / "requirements.txt").read_text())
    assert binder and all(tested[name] == version for name, version in binder.items()), (binder, tested)
    assert "python 3.11" in (course.ROOT / "constraints.txt").read_text().lower()
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_postbuild_installs_the_course_editable_with_the_constraints():
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!/bin/bash") and (BINDER / "postBuild").stat().st_mode & 0o111
    assert re.search(r'pip install .*-c constraints\.txt -e "\.\[classroom\]"$', script, re.M)
    assert re.search(r"^python -m pip check$", script, re.M), "the image's package set is checked as it is built"


def test_the_class_hub_holds_two_learners_through_lessons_3_and_7(monkeypatch):
    """classroom/loadtest.py with two learners: a hub of its own on 127.0.0.1, stopped afterwards."""
    import asyncio
    import concurrent.futures
    import importlib.util
    import sys

    import psutil

    spec = importlib.util.spec_from_file_location("loadtest", course.ROOT / "classroom" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "loadtest", loadtest)  # a script, not a module of the package
    spec.loader.exec_module(loadtest)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # a loop of its own: playwright's may run in this one
        row = thread.submit(asyncio.run, loadtest.one_class(2)).result()
    assert row["failures"] == []
    explorers = 2  # one in lesson 3, one in lesson 7: each slider moved MOVES times by each learner
    assert row["moves"] == 2 * explorers * loadtest.MOVES
    assert row["spawn max s"] < 120 and row["move p50 ms"] < 1000 and 100 < row["MB/learner"] < 2000
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if "singleuser" in " ".join(p.info["cmdline"] or [])]
    assert leftovers == [], "the hub stopped every learner's server"
