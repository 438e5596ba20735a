"""The `dlteach` command: help, `lab` (its port, its environment, really serving the course), `execute`, `bench`."""

import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dlteach import bench, cli
from dlteach.cli import build_parser, lab_environment, main


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in build_parser()._subparsers._group_actions[0].choices:
        assert command in text


def test_lab_refuses_a_folder_without_the_course(tmp_path, capsys):
    assert main(["lab", "--dir", str(tmp_path), "--no-browser"]) == 2
    assert "no 00_index.ipynb" in capsys.readouterr().err


@pytest.mark.parametrize("port, message", [("70000", "70000 is not a port number"), ("-1", "-1 is not a port number"),
                                           ("abc", "invalid port value: 'abc'")])
def test_lab_refuses_a_port_that_is_not_one(port, message, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["lab", "--port", port])
    assert exit.value.code == 2 and f"argument --port: {message}" in capsys.readouterr().err


class Launched(Exception):
    pass


def launch(monkeypatch, capsys, argv) -> tuple[int, dict, str]:
    """Run `dlteach lab` up to starting JupyterLab: the port it is told, its environment, and the banner."""
    def execve(path, command, env):
        raise Launched(command, env)

    monkeypatch.setattr(cli.os, "execve", execve)
    with pytest.raises(Launched) as launched:
        main(["lab", "--no-browser", *argv])
    command, env = launched.value.args
    assert "--ServerApp.port_retries=0" in command  # JupyterLab may not move to another port by itself
    port = int(next(arg for arg in command if arg.startswith("--port=")).split("=")[1])
    output = capsys.readouterr()
    assert f"at http://127.0.0.1:{port}/lab " in output.out
    return port, env, output.err


def test_lab_on_a_busy_port_serves_on_a_free_one_and_says_so(monkeypatch, capsys):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        taken = busy.getsockname()[1]
        port, _, err = launch(monkeypatch, capsys, ["--port", str(taken)])
        assert port != taken and f"port {taken} is in use (or not allowed); using {port} instead" in err
    socket.create_server(("127.0.0.1", port)).close()  # it was free
    assert launch(monkeypatch, capsys, ["--port", str(port)])[0] == port  # a free port is kept


def test_lab_on_port_0_names_the_port_it_picked(monkeypatch, capsys):
    port, _, err = launch(monkeypatch, capsys, ["--port", "0"])
    assert port > 0 and err == ""


def test_lab_runs_jupyterlab_with_one_blas_thread_unless_told_otherwise(monkeypatch, capsys):
    for name in cli.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    env = launch(monkeypatch, capsys, [])[1]
    assert (env["OPENBLAS_NUM_THREADS"], env["OMP_NUM_THREADS"], env["MKL_NUM_THREADS"]) == ("1", "3", "1")
    assert lab_environment({"PATH": "/bin"}) == {"PATH": "/bin", **dict.fromkeys(cli.THREAD_VARIABLES, "1")}


def test_lab_serves_the_index_on_localhost_with_a_token():
    busy = socket.create_server(("127.0.0.1", 0))  # the port asked for is taken: the banner must say the real one
    requested = busy.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "dlteach", "lab", "--no-browser", "--port", str(requested)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
        output, token, deadline = "", None, time.time() + 90
        while token is None and time.time() < deadline:
            try:
                output += lines.get(timeout=1)
            except queue.Empty:
                continue
            banner = re.search(r"serving the course in .* at http://127\.0\.0\.1:(\d+)/lab ", output)
            port = banner and int(banner.group(1))
            match = banner and re.search(rf"http://127\.0\.0\.1:{port}/lab[^?\s]*\?token=(\w+)", output)
            token = match and match.group(1)
        assert token, output
        assert port != requested
        base = f"http://127.0.0.1:{port}/api/contents/00_index.ipynb"
        while True:  # the server announces its address a moment before it accepts connections
            try:
                with urllib.request.urlopen(f"{base}?token={token}", timeout=30) as response:
                    assert json.load(response)["content"]["cells"][0]["source"].startswith("# ")
                break
            except urllib.error.URLError as error:
                if isinstance(error, urllib.error.HTTPError) or time.time() > deadline:
                    raise
                time.sleep(0.5)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base, timeout=30)
        assert refused.value.code == 403
    finally:
        busy.close()
        process.terminate()
        process.wait(timeout=30)
    with pytest.raises(OSError):  # stopping `dlteach lab` stopped JupyterLab itself
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_execute_reports_each_bad_notebook_runs_the_rest_and_fails_at_the_end(tmp_path, capsys):
    good, failing = tmp_path / "good.ipynb", tmp_path / "failing.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), good)
    nbformat.write(new_notebook(cells=[new_code_cell("1 / 0"), new_code_cell("print('after')")]), failing)
    (tmp_path / "notes.ipynb").write_text("not json")
    (tmp_path / "list.ipynb").write_text("[1]")
    before = failing.read_bytes()
    paths = [failing, tmp_path / "missing.ipynb", tmp_path, tmp_path / "notes.ipynb", tmp_path / "list.ipynb", good]
    assert main(["execute", *map(str, paths)]) == 1
    out, err = capsys.readouterr()
    assert nbformat.read(good, as_version=4).cells[0].outputs[0].text == "42\n"  # ran after the failures
    assert failing.read_bytes() == before
    assert f"dlteach: {failing}: failed, left unchanged: CellExecutionError" in err and "ZeroDivisionError" in err
    reasons = ["FileNotFoundError", "IsADirectoryError", "does not appear to be JSON", "AttributeError"]
    for line, path, reason in zip(err.splitlines()[-4:], paths[1:5], reasons, strict=True):  # one line each
        assert line.startswith(f"dlteach: {path}: cannot read it as a notebook (") and reason in line, line
    assert out.splitlines()[-1] == ("dlteach execute: 1 of 6 notebooks executed; failed: "
                                    + ", ".join(map(str, paths[:5])))


@pytest.mark.parametrize("slow_met", [True, False])
def test_bench_exits_with_1_when_a_goal_is_missed(slow_met, monkeypatch, capsys):
    rows = [bench.Row("fast update", "12 ms", "< 100 ms", True),
            bench.Row("slow update", "181 ms", "< 100 ms", slow_met)]
    monkeypatch.setattr(bench, "all_rows", lambda: rows)
    assert main(["bench", "--only", "benchmarks"]) == (0 if slow_met else 1)
    last = capsys.readouterr().out.splitlines()[-1]
    assert (last == "dlteach bench: 1 of 2 goals missed: slow update") != slow_met
