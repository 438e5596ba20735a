"""``dlteach bench``'s course timings: a notebook run in a copy, its peak memory, the test command."""

import re

import nbformat
import numpy as np

from dlteach import course, course_timing


def write(path, *sources):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": course.KERNELSPEC})
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path.read_bytes()


def test_a_notebook_run_gives_its_time_and_the_kernels_peak_memory(tmp_path):
    before = write(tmp_path / "01_a.ipynb", "import numpy as np\nx = np.ones(256 * 2**20 // 8)  # 256 MB, more than a bare kernel")
    run = course_timing.run_notebook(tmp_path / "01_a.ipynb")
    assert run.error == "" and 0 < run.seconds < 120
    assert 256 * 2**20 < run.peak_memory < 4 * 2**30
    assert (tmp_path / "01_a.ipynb").read_bytes() == before, "the notebook file must not be changed"


def test_the_widest_notebook_is_measured_in_its_own_kernel_not_in_the_caller(tmp_path, monkeypatch):
    # the caller holds more than any lesson, as `dlteach bench` does after its benchmarks: a kernel started
    # from it must not report it (ru_maxrss after fork and exec did, naming the code-free index the widest)
    ballast = np.ones(384 * 2**20 // 8)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Index")],
                                            metadata={"kernelspec": course.KERNELSPEC}), folder / "00_index.ipynb")
    write(folder / "01_a.ipynb", "import numpy as np\nx = np.ones(128 * 2**20 // 8)")
    monkeypatch.setattr(course, "NOTEBOOK_DIR", folder)
    runs = []
    rows = course_timing.notebook_rows(progress=runs.append)
    index, lesson = runs
    assert index.peak_memory < 128 * 2**20 < lesson.peak_memory < ballast.nbytes
    assert rows[-1].what == "peak memory of the widest notebook (01_a.ipynb, kernel max RSS)"


def test_a_failing_notebook_is_reported_not_raised(tmp_path):
    write(tmp_path / "02_b.ipynb", "raise ValueError('broken lesson')")
    run = course_timing.run_notebook(tmp_path / "02_b.ipynb")
    assert run.peak_memory is None and run.error == "ValueError: broken lesson"


def test_the_timed_test_command_is_the_one_make_test_runs():
    recipe = re.search(r"^test:.*\n\t(.+)$", (course.ROOT / "Makefile").read_text(), re.M).group(1)
    assert recipe == "$(BIN)/python " + " ".join(course_timing.TEST_COMMAND)
