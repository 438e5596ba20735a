"""How fast an explorer answers a learner, measured in JupyterLab in headless Chromium.

For every explorer in the lessons: run the notebook, then move one of its controls ten times
as a learner would (an arrow key on a slider handle). Latency runs from the key press
(``performance.now()`` in a capturing keydown listener) to the next animation frame after a
MutationObserver sees the explorer's picture change. Kernel CPU is the kernel process's
user + system time spent on that move. Run by ``dlteach bench --only browser``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from .. import browser, course
from . import Row

MOVES = 10
FAST = {"GradientDescentExplorer", "MiniBatchExplorer", "DeepVsFatExplorer", "ConvolutionExplorer"}
PICTURE = "img.widget-image, .dlteach-picture"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

WATCH = """(picture) => {
    window.__dlteachLatency = {t0: null, t1: null};
    if (window.__dlteachObserver) window.__dlteachObserver.disconnect();
    window.__dlteachObserver = new MutationObserver(() => {
        const m = window.__dlteachLatency;
        if (m.t0 !== null && m.t1 === null && !m.seen) {
            m.seen = true;
            requestAnimationFrame(() => { m.t1 = performance.now(); });
        }
    });
    window.__dlteachObserver.observe(picture, {subtree: true, attributes: true, childList: true, characterData: true});
    if (!window.__dlteachKeys) {
        window.addEventListener('keydown', () => {
            window.__dlteachLatency = {t0: performance.now(), t1: null, seen: false};
        }, true);
        window.__dlteachKeys = true;
    }
}"""
LATENCY = "() => { const m = window.__dlteachLatency; return m.t1 === null ? null : m.t1 - m.t0; }"


def explorers_in(path: Path) -> list[str]:
    """The class name of every explorer the committed notebook displays, in order."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    names = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                text = "".join(data.get("text/plain", ""))
                names.append(text[1:].split(":")[0] if text.startswith("<") else "widget")
    return names


def kernel_cpu(lab) -> float:
    """CPU seconds used so far by the (one) kernel the server runs, to the nanosecond where Linux's
    scheduler statistics are there (psutil's times tick in 10 ms steps)."""
    import psutil

    total = 0.0
    for kernel in psutil.Process(lab.process.pid).children(recursive=True):
        if "ipykernel" not in " ".join(kernel.cmdline()):
            continue
        try:
            total += sum(int(stat.read_text().split()[0]) for stat in
                         Path(f"/proc/{kernel.pid}/task").glob("*/schedstat")) * 1e-9
        except OSError:
            total += sum(kernel.cpu_times()[:2])
    return total


def measure(page, lab, view) -> tuple[list[float], list[float]] | None:
    """Latencies and kernel CPU (ms) of MOVES arrow-key moves on the first slider that changes
    the picture, or None when no slider does."""
    picture = view.locator(PICTURE).first
    page.evaluate(WATCH, picture.element_handle())
    for handle in view.locator(".noUi-handle").all():
        latencies, cpu = [], []
        for _ in range(MOVES + 1):  # the first move warms up
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            before = kernel_cpu(lab)
            handle.press("ArrowLeft" if at_max else "ArrowRight")
            deadline = time.monotonic() + 5
            while (ms := page.evaluate(LATENCY)) is None and time.monotonic() < deadline:
                page.wait_for_timeout(5)
            if ms is None:
                break
            page.wait_for_timeout(150)  # let the kernel finish what the move started
            latencies.append(ms)
            cpu.append((kernel_cpu(lab) - before) * 1e3)
        if len(latencies) == MOVES + 1:
            return latencies[1:], cpu[1:]
    return None


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def latency_rows(notebooks: Path = course.NOTEBOOK_DIR, progress=print) -> list[Row]:
    """One row per explorer: latency median and p95 (goal ≤ 50 ms or ≤ 100 ms), and one for
    kernel CPU per move (goal ≤ 10 ms median)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp, browser.serve_lab(notebooks, Path(tmp)) as lab, \
            browser.chromium(Path(tmp) / "profile") as context:
        for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
            names = explorers_in(path)
            if not names:
                continue
            page = context.new_page()
            try:
                browser.run_all(page, lab, path.name)
                for i, view in enumerate(page.locator(browser.WIDGET_VIEWS).all()):
                    name = names[i] if i < len(names) else "widget"
                    view.scroll_into_view_if_needed()
                    result = measure(page, lab, view)
                    what = f"browser {path.stem[:2]} {name}"
                    if result is None:
                        rows.append(Row(what, "no slider changes the picture", "-", False))
                        continue
                    latencies, cpu = result
                    goal = 50 if name in FAST else 100
                    median = statistics.median(latencies)
                    rows.append(Row(f"{what}: latency", f"median {median:.0f} ms, p95 {p95(latencies):.0f} ms",
                                    f"≤ {goal} ms", median <= goal))
                    cpu_median = statistics.median(cpu)
                    rows.append(Row(f"{what}: kernel CPU", f"median {cpu_median:.1f} ms, p95 {p95(cpu):.1f} ms",
                                    "≤ 10 ms", cpu_median <= 10))
                    progress(f"  {rows[-2].what}: {rows[-2].measured}; CPU {rows[-1].measured}")
            finally:
                page.close()
                lab.shutdown_kernels()
    return rows
