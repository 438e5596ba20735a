"""The course timed as a whole, for ``dlteach bench``: every lesson run top to bottom in a
fresh kernel, the peak memory of the widest one, and the full test command.

Unlike the benchmarks in ``dlteach.bench`` (seconds each), these take minutes, so the
command runs them on request. Notebooks run in a temporary copy of ``notebooks/``,
never in place, so the committed outputs stay as they are.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import course
from .bench import Row
from .cli import lab_environment

NOTEBOOK_GOAL_S = 60
SUITE_GOAL_S = 15 * 60
MEMORY_GOAL = 2 * 2**30  # what Binder gives one user; a classroom hub gives about as much
TEST_COMMAND = ["-m", "pytest", "-p", "no:cacheprovider", "tests", "--nbval", "--nbval-current-env", "notebooks"]

# Appended to the copy of each notebook: the kernel's own peak resident memory in bytes. On Linux
# that is VmHWM: ru_maxrss would also count the process the kernel was forked from (the caller).
PEAK_MEMORY_CELL = """\
import sys
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")))  # in kB
except OSError:  # no /proc (macOS, Windows)
    try:
        import resource
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024))
    except ImportError:  # Windows
        import psutil
        print(psutil.Process().memory_info().peak_wset)"""


@dataclass(frozen=True)
class NotebookRun:
    name: str
    seconds: float
    peak_memory: int | None  # bytes; None when the run failed
    error: str = ""


def lesson_notebooks() -> list[Path]:
    return sorted(course.NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def run_notebook(path: Path) -> NotebookRun:
    """Execute ``path`` (already a copy) top to bottom in a new kernel, in its own folder."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute(env=lab_environment(os.environ))  # one BLAS thread per kernel, as a learner's
    except CellExecutionError as err:
        lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", str(err)).splitlines() if line.strip()]  # no colours
        return NotebookRun(path.name, time.perf_counter() - start, None, lines[-1] if lines else "a cell failed")
    seconds = time.perf_counter() - start
    return NotebookRun(path.name, seconds, int(nb.cells[-1].outputs[0]["text"]))


def notebook_rows(progress=None) -> list[Row]:
    """One row per lesson notebook (its time against the 60 s goal), then the peak memory of
    the widest. ``progress(run)`` is called after each notebook."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="dlteach-bench-") as tmp:
        copy = Path(tmp) / "notebooks"
        shutil.copytree(course.NOTEBOOK_DIR, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for path in lesson_notebooks():
            runs.append(run_notebook(copy / path.name))
            if progress:
                progress(runs[-1])
    rows = [Row(f"notebook {r.name}", f"{r.seconds:.1f} s" if not r.error else f"FAILED: {r.error}",
                f"< {NOTEBOOK_GOAL_S} s", not r.error and r.seconds < NOTEBOOK_GOAL_S) for r in runs]
    measured = [r for r in runs if r.peak_memory is not None]
    if measured:
        widest = max(measured, key=lambda r: r.peak_memory)
        rows.append(Row(f"peak memory of the widest notebook ({widest.name}, kernel max RSS)",
                        f"{widest.peak_memory / 2**20:.0f} MB", f"< {MEMORY_GOAL // 2**30} GB",
                        widest.peak_memory < MEMORY_GOAL))
    return rows


def suite_row() -> Row:
    """The time of the full test command (what ``make test`` runs), from the project root."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *TEST_COMMAND], cwd=course.ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [line.strip("= ") for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else f"exit code {result.returncode}"
    return Row("full test command (pytest tests + nbval notebooks)", f"{seconds / 60:.1f} min ({summary})",
               f"< {SUITE_GOAL_S // 60} min", result.returncode == 0 and seconds < SUITE_GOAL_S)
