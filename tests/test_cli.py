"""The `dlteach` command: help for every command, and `dlteach lab` really serving the course."""

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

import pytest

from dlteach.cli import build_parser, main


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in build_parser()._subparsers._group_actions[0].choices:
        assert command in text


def test_lab_refuses_a_folder_without_the_course(tmp_path, capsys):
    assert main(["lab", "--dir", str(tmp_path), "--no-browser"]) == 2
    assert "no 00_index.ipynb" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_serves_the_index_on_localhost_with_a_token():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "dlteach", "lab", "--no-browser", "--port", str(port)],
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
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab[^?\s]*\?token=(\w+)", output)
            token = match and match.group(1)
        assert token, output
        assert "serving the course" in output and f"127.0.0.1:{port}" in output
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
        process.terminate()
        process.wait(timeout=30)
    with pytest.raises(OSError):  # stopping `dlteach lab` stopped JupyterLab itself
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
