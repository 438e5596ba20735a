"""The Binder / JupyterHub environment (binder/) installs exactly what the course is tested with."""

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
    assert re.search(r"pip install .*-c constraints\.txt -e \.$", script, re.M)
