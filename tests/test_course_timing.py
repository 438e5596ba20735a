"""``dlteach bench``'s course timings: a notebook run in a copy, its peak memory, the test command."""

import re

import nbformat

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


def test_a_failing_notebook_is_reported_not_raised(tmp_path):
    write(tmp_path / "02_b.ipynb", "raise ValueError('broken lesson')")
    run = course_timing.run_notebook(tmp_path / "02_b.ipynb")
    assert run.peak_memory is None and run.error == "ValueError: broken lesson"


def test_the_timed_test_command_is_the_one_make_test_runs():
    recipe = re.search(r"^test:.*\n\t(.+)$", (course.ROOT / "Makefile").read_text(), re.M).group(1)
    assert recipe == "$(BIN)/python " + " ".join(course_timing.TEST_COMMAND)
