"""A class on the hub, simulated: N learners at once on classroom/jupyterhub_config.py, on 127.0.0.1.

Each learner logs in (the hub's login form), starts a server (the course is copied in), opens
lessons 3 and 7, runs every code cell through the kernel's websocket, moves the first slider of each
explorer 20 times as the browser does (a widget ``update`` message on the websocket), each move
timed until the kernel is idle again, and restarts the kernel once and runs a cell. A fresh hub in a temporary folder is started for each N and
stopped afterwards; every wait has a limit, so the script always ends. It prints one row per N:
spawn time, cell and slider-move p50/p95, MB and CPU-seconds per learner, failures.

    python classroom/loadtest.py --learners 5 10 20 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import nbformat
import psutil
from jupyter_server.services.kernels.connection.base import deserialize_binary_message  # messages with buffers
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from dlteach.bench import browser as browser_bench

CLASSROOM = Path(__file__).resolve().parent
NOTEBOOKS = CLASSROOM.parent / "notebooks"
LESSONS = ("03_loss_and_gradient_descent.ipynb", "07_convolution_and_pooling.ipynb")
MOVES = 20
SLIDERS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"}
SPAWN_LIMIT, CELL_LIMIT, MOVE_LIMIT, RUN_LIMIT = 420, 300, 60, 1800  # seconds


@dataclass
class Learner:
    name: str
    login: float = 0.0
    spawn: float = 0.0
    cells: list[float] = field(default_factory=list)
    moves: list[float] = field(default_factory=list)
    mb: float = 0.0
    kernel_cpu: float = 0.0
    server_cpu: float = 0.0
    failure: str = ""

    @property
    def cpu(self) -> float:
        return self.kernel_cpu + self.server_cpu


class Hub:
    """A hub on a free port of 127.0.0.1, with its state in ``folder``; stopped on exit."""

    def __init__(self, folder: Path):
        self.port = free_ports(3)
        self.url = f"http://127.0.0.1:{self.port}"
        self.password, self.token = secrets.token_hex(8), secrets.token_hex(16)
        env = {**os.environ, "DLTEACH_HUB_PASSWORD": self.password, "DLTEACH_HUB_STATE": str(folder),
               "DLTEACH_HUB_PORT": str(self.port), "DLTEACH_HUB_LOADTEST_TOKEN": self.token,
               "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
        self.log = open(folder / "jupyterhub.log", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CLASSROOM / "jupyterhub_config.py")],
                                        cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    async def ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                await self.api("GET", "/")
                return
            except (OSError, HTTPClientError):
                if self.process.poll() is not None:
                    raise RuntimeError(f"the hub exited; see {self.log.name}") from None
                await asyncio.sleep(0.5)
        raise TimeoutError("the hub did not answer within 60 s")

    async def api(self, method: str, path: str):
        response = await fetch(f"{self.url}/hub/api{path}", method=method, token=self.token,
                               body="{}" if method == "POST" else None)
        return json.loads(response.body) if response.body else None

    def processes(self, name: str) -> list[psutil.Process]:
        """A learner's server and everything it started (its kernels)."""
        found = []
        for proc in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if proc.environ().get("JUPYTERHUB_USER") == name and "singleuser" in " ".join(proc.cmdline()):
                    found += [proc, *proc.children(recursive=True)]
            except psutil.Error:
                continue
        return found

    def stop(self):
        """Stop the hub, which stops the learners' servers, its services and its proxy (a signal to them
        all at once would have it restart the ones that died first); then whatever is left: they run in
        sessions of their own, so they would outlive a hub that had to be killed."""
        family = psutil.Process(self.process.pid).children(recursive=True)
        try:
            self.process.terminate()
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        for proc in family:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        self.log.close()


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue


async def fetch(url: str, method="GET", token=None, body=None, headers=None, follow=True):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"token {token}"
    request = HTTPRequest(url, method=method, headers=headers, body=body, follow_redirects=follow,
                          allow_nonstandard_methods=True, request_timeout=120)
    return await AsyncHTTPClient().fetch(request, raise_error=follow)


def message(msg_type: str, content: dict) -> dict:
    """A request on the kernel's shell channel, in the websocket's JSON form."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "loadtest", "session": SESSION,
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}


SESSION = uuid.uuid4().hex


class Kernel:
    """A kernel's websocket, as JupyterLab uses it: send a request, wait until the kernel is idle again."""

    def __init__(self, ws):
        self.ws, self.comms = ws, []  # comms: (comm id, widget state) in the order they open

    async def request(self, msg: dict, limit: float) -> float:
        started = time.perf_counter()
        await self.ws.write_message(json.dumps(msg))
        deadline = time.monotonic() + limit
        while True:
            raw = await asyncio.wait_for(self.ws.read_message(), max(deadline - time.monotonic(), 0.01))
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            reply = deserialize_binary_message(raw) if isinstance(raw, bytes) else json.loads(raw)
            kind, content = reply["header"]["msg_type"], reply["content"]
            if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
                self.comms.append((content["comm_id"], content["data"]["state"]))
            if kind == "error" or kind == "execute_reply" and content.get("status") == "error":
                raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
            if (kind == "status" and content["execution_state"] == "idle"
                    and reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]):
                return time.perf_counter() - started


    async def run(self, code: str) -> float:
        """Run a cell as JupyterLab does; its time."""
        return await self.request(message("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True}), CELL_LIMIT)

    async def wait_ready(self, limit: float = 60):
        """Ask for the kernel's info until it answers, as JupyterLab does after a restart."""
        deadline = time.monotonic() + limit
        while True:
            try:
                return await self.request(message("kernel_info_request", {}), 2)
            except asyncio.TimeoutError:
                if time.monotonic() > deadline:
                    raise


def next_value(state: dict, value):
    """A slider value one step away from ``value``, inside the slider's range."""
    if state["_model_name"] == "FloatLogSliderModel":
        up, down = value * state["base"] ** state["step"], value / state["base"] ** state["step"]
        return up if up <= state["base"] ** state["max"] else down
    return value + state["step"] if value + state["step"] <= state["max"] else value - state["step"]


async def run_lesson(hub: Hub, learner: Learner, lesson: str):
    base = f"{hub.url}/user/{learner.name}"
    session = json.loads((await fetch(f"{base}/api/sessions", "POST", hub.token, json.dumps({
        "path": f"dlteach/{lesson}", "name": lesson, "type": "notebook", "kernel": {"name": "python3"}}))).body)
    ws = await websocket_connect(HTTPRequest(
        f"ws://127.0.0.1:{hub.port}/user/{learner.name}/api/kernels/{session['kernel']['id']}/channels"
        f"?session_id={SESSION}", headers={"Authorization": f"token {hub.token}"}))
    kernel, sliders = Kernel(ws), []
    try:
        for cell in nbformat.read(NOTEBOOKS / lesson, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            opened = len(kernel.comms)
            learner.cells.append(await kernel.run(cell.source))
            new = [(comm, state) for comm, state in kernel.comms[opened:] if state.get("_model_name") in SLIDERS]
            if new:  # the cell showed an explorer: its first slider
                sliders.append(new[0])
        for comm, state in sliders:
            value = state["value"]
            for _ in range(MOVES):
                value = next_value(state, value)
                learner.moves.append(await kernel.request(message("comm_msg", {"comm_id": comm, "data": {
                    "method": "update", "state": {"value": value}, "buffer_paths": []}}), MOVE_LIMIT))
        server, *kernels = hub.processes(learner.name)  # measured while this lesson's kernel still lives
        learner.mb = max(learner.mb, sum(p.memory_info().rss for p in [server, *kernels]) / 2**20)
        learner.kernel_cpu += sum(sum(p.cpu_times()[:2]) for p in kernels)
        learner.server_cpu = sum(server.cpu_times()[:2])
        # Kernel → Restart, as a learner does; with kernels on Unix sockets no port can be taken meanwhile
        await fetch(f"{base}/api/kernels/{session['kernel']['id']}/restart", "POST", hub.token, "{}")
        await kernel.wait_ready()
        learner.cells.append(await kernel.run("import dlteach"))
    finally:
        ws.close()
        await fetch(f"{base}/api/sessions/{session['id']}", "DELETE", hub.token)


async def attend(hub: Hub, learner: Learner):
    started = time.perf_counter()
    page = await fetch(f"{hub.url}/hub/login")
    cookies = SimpleCookie()
    for header in page.headers.get_list("Set-Cookie"):
        cookies.load(header)
    xsrf = cookies.get("_xsrf")
    cookie = {"Cookie": f"_xsrf={xsrf.value}"} if xsrf else {}
    response = await fetch(f"{hub.url}/hub/login", "POST", body=urlencode({
        "username": learner.name, "password": hub.password, "_xsrf": xsrf.value if xsrf else ""}),
        headers=cookie, follow=False)
    if response.code != 302:
        raise RuntimeError(f"login answered {response.code}")
    learner.login = time.perf_counter() - started
    started = time.perf_counter()
    await hub.api("POST", f"/users/{learner.name}/server")
    deadline = time.monotonic() + SPAWN_LIMIT
    while not (await hub.api("GET", f"/users/{learner.name}"))["servers"].get("", {}).get("ready"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server did not start within {SPAWN_LIMIT} s")
        await asyncio.sleep(0.5)
    learner.spawn = time.perf_counter() - started
    for lesson in LESSONS:
        await run_lesson(hub, learner, lesson)


async def learner_task(hub: Hub, learner: Learner):
    try:
        await attend(hub, learner)
    except Exception as error:  # a failure is a result: the row counts it
        where = f" ({error.response.request.method} {error.response.request.url})" if getattr(
            error, "response", None) is not None else ""
        learner.failure = f"{type(error).__name__}: {error}{where}"


def p95(values: list[float]) -> float:
    return browser_bench.p95(values) if len(values) > 1 else (values[0] if values else float("nan"))


async def one_class(n: int) -> dict:
    AsyncHTTPClient.configure(None, max_clients=4 * n + 10)
    with tempfile.TemporaryDirectory(prefix="dlteach-hub-") as tmp:
        hub = Hub(Path(tmp))
        started, learners = time.perf_counter(), []
        try:
            await hub.ready()
            for i in range(n):
                await hub.api("POST", f"/users/learner{i + 1:02d}")
            learners = [Learner(f"learner{i + 1:02d}") for i in range(n)]
            await asyncio.wait_for(asyncio.gather(*(learner_task(hub, one) for one in learners)), RUN_LIMIT)
        finally:
            hub.stop()
            if any(one.failure for one in learners):  # the hub's side of the story, kept
                kept = Path(f"loadtest-hub-{n}.log").resolve()
                kept.write_text((Path(tmp) / "jupyterhub.log").read_text())
                print(f"the hub's log: {kept}", file=sys.stderr)
        wall = time.perf_counter() - started
    ok = [one for one in learners if not one.failure]
    spawns = [one.spawn for one in ok]
    cells = [t for one in ok for t in one.cells]
    moves = [t for one in ok for t in one.moves]
    return {"learners": n, "failures": [f"{one.name}: {one.failure}" for one in learners if one.failure],
            "spawn p50 s": statistics.median(spawns) if spawns else float("nan"),
            "spawn max s": max(spawns, default=float("nan")),
            "cell p50 ms": 1e3 * statistics.median(cells) if cells else float("nan"),
            "cell p95 ms": 1e3 * p95(cells), "move p50 ms": 1e3 * statistics.median(moves) if moves else float("nan"),
            "move p95 ms": 1e3 * p95(moves), "moves": len(moves),
            "MB/learner": statistics.mean([one.mb for one in ok]) if ok else float("nan"),
            "CPU s/learner": statistics.mean([one.cpu for one in ok]) if ok else float("nan"), "wall s": wall}


COLUMNS = ("learners", "failures", "spawn p50 s", "spawn max s", "cell p50 ms", "cell p95 ms", "move p50 ms",
           "move p95 ms", "moves", "MB/learner", "CPU s/learner", "wall s")


def show(row: dict) -> str:
    cells = [str(len(row[c])) if c == "failures" else f"{row[c]:.0f}" if isinstance(row[c], float) else str(row[c])
             for c in COLUMNS]
    return "| " + " | ".join(cells) + " |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[5], help="class sizes to try, one after another")
    args = parser.parse_args(argv)
    print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS), flush=True)
    failed = False
    for n in args.learners:
        row = asyncio.run(one_class(n))
        print(show(row), flush=True)
        for failure in row["failures"]:
            print(f"  failed: {failure}", file=sys.stderr)
        failed |= bool(row["failures"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
