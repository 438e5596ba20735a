"""The ``dlteach`` command: open the course, re-execute its notebooks, rebuild the index."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import course, i18n

# The course's matrices are small: one BLAS/OpenMP thread per process is as fast (as in the Makefile).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def port(text: str) -> int:
    """A TCP port number for argparse: 0–65535, 0 meaning any free port."""
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port number (0–65535)")
    return number


def free_port(preferred: int = 0) -> int:
    """``preferred`` if it is free on 127.0.0.1, else (and for 0) a free port the system picks."""
    with socket.socket() as s:
        if os.name == "posix":  # as the server does: a port with connections in TIME_WAIT is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_environment(environ) -> dict:
    """``environ`` with one BLAS/OpenMP thread, unless it already sets the number."""
    return {**dict.fromkeys(THREAD_VARIABLES, "1"), **environ}


def lab_settings(language: str) -> Path:
    """A JupyterLab user-settings folder whose interface speaks ``language`` (with its language pack),
    kept beside the learner's own so that English sessions stay as they were."""
    from jupyter_core.paths import jupyter_config_dir

    folder = Path(jupyter_config_dir()) / "lab" / f"dlteach-user-settings-{language}"
    setting = folder / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    if not setting.exists():
        setting.parent.mkdir(parents=True, exist_ok=True)
        setting.write_text(json.dumps({"locale": i18n.LOCALES[language]}) + "\n", encoding="utf-8")
    return folder


def cmd_lab(args) -> int:
    root = Path(args.dir).resolve()
    index = Path(course.EDITIONS[args.lang].relative_to(course.NOTEBOOK_DIR), course.INDEX)
    if not (root / index).exists():
        print(f"dlteach: no {index} in {root}; pass --dir with the course's notebooks folder", file=sys.stderr)
        return 2
    free = free_port(args.port)
    if args.port and free != args.port:
        print(f"dlteach: port {args.port} is in use (or not allowed); using {free} instead", file=sys.stderr)
    # No retries: JupyterLab serves on this port or stops, so the address below is the one it serves.
    command = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={free}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{index.as_posix()}"]
    if i18n.LOCALES[args.lang]:
        command.append(f"--LabApp.user_settings_dir={lab_settings(args.lang)}")
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    print(f"dlteach: serving the course in {root} at http://127.0.0.1:{free}/lab "
          "(JupyterLab prints the link with its access token below; Ctrl+C stops it)", flush=True)
    env = lab_environment(os.environ)
    if os.name == "posix":  # become the server, so that signals stop JupyterLab itself
        os.execve(sys.executable, command, env)
    return subprocess.call(command, env=env)


def cmd_execute(args) -> int:
    paths = [Path(p) for p in args.notebooks] or [
        path for language in course.EDITIONS for path in course.notebooks(language)[1:] if path.exists()]
    return 1 if execute(paths) else 0


def execute(paths: list[Path]) -> list[Path]:
    """Run notebooks top to bottom in a fresh kernel and save them with their outputs; a notebook
    that cannot be read or fails is reported and left as it was, and the others still run.
    Returns the ones that failed."""
    import nbformat
    from nbclient import NotebookClient

    failed = []

    def fail(path: Path, why: str) -> None:
        print(f"dlteach: {path}: {why}", file=sys.stderr, flush=True)
        failed.append(path)

    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # missing, a folder, not JSON, JSON but not a notebook: nbformat raises all kinds
            fail(path, f"cannot read it as a notebook ({type(err).__name__}: {err})")
            continue
        nb.metadata["kernelspec"] = course.KERNELSPEC
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute(env=lab_environment(os.environ))  # one BLAS thread, as in `make`: the same numbers
        except Exception as err:  # a failing cell, a dead kernel, a timeout: report it, keep the file, go on
            fail(path, f"failed, left unchanged: {type(err).__name__}: {err}")
            continue
        nbformat.write(nb, path)
        print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s", flush=True)
    print(f"dlteach execute: {len(paths) - len(failed)} of {len(paths)} notebooks executed"
          + (f"; failed: {', '.join(map(str, failed))}" if failed else ""))
    return failed


def cmd_translate(args) -> int:
    from .translate import translate

    failed = []
    translate(lessons=args.lessons or None,
              execute=None if args.no_execute else lambda paths: failed.extend(execute(paths)))
    return 1 if failed else 0


def cmd_index(args) -> int:
    path = course.NOTEBOOK_DIR / course.INDEX
    path.write_text(json.dumps(course.index_notebook(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_site(args) -> int:
    import time

    from . import site

    started = time.perf_counter()
    out = Path(args.out).resolve()
    pages = site.build_site(out)
    print(f"wrote {out}/index.html: {sum(map(len, pages.values()))} pages "
          f"({', '.join(f'{len(names)} {language}' for language, names in pages.items())}) "
          f"in {time.perf_counter() - started:.0f} s; serve it with: python -m http.server -d {out}")
    return 0


def cmd_slides(args) -> int:
    import time

    from . import site

    started = time.perf_counter()
    out = Path(args.out).resolve()
    decks = site.build_slides(out)
    print(f"wrote {len(decks)} decks and {out}/index.html in {time.perf_counter() - started:.0f} s")
    return 0


def cmd_assignments(args) -> int:
    from .assignments import write_course

    out = Path(args.out).resolve()
    try:
        names = write_course(out, args.lessons or None)
    except ValueError as err:
        print(f"dlteach: {err}", file=sys.stderr)
        return 2
    print(f"wrote the nbgrader course {out}, assignments {', '.join(names)}; release one with: "
          f"cd {out} && nbgrader generate_assignment {names[0]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlteach", description="An interactive course on classic deep learning.")
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open the course in JupyterLab (127.0.0.1, token kept)")
    lab.add_argument("--port", type=port, default=8888,
                     help="port to serve on (default 8888; a free one if it is busy, any free one for 0)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    lab.add_argument("--dir", default=str(course.NOTEBOOK_DIR), help="folder of the course notebooks")
    lab.add_argument("--lang", choices=sorted(course.EDITIONS), default="en",
                     help="the edition to open: en (English) or zh (Simplified Chinese, JupyterLab in Chinese too)")
    lab.set_defaults(run=cmd_lab)
    execute = sub.add_parser("execute", help="re-run notebooks top to bottom and save their outputs")
    execute.add_argument("notebooks", nargs="*", help="notebook files (default: every lesson of both editions)")
    execute.set_defaults(run=cmd_execute)
    translate = sub.add_parser("translate", help="bring the Chinese edition in step with the English one: update "
                                                 "the catalogues, rebuild notebooks/zh/, run the changed notebooks")
    translate.add_argument("lessons", nargs="*", type=int, help="only these lessons (0: the index; default: all, "
                                                                "and the library's strings)")
    translate.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    translate.set_defaults(run=cmd_translate)
    index = sub.add_parser("index", help=f"rebuild notebooks/{course.INDEX} from course/syllabus.toml")
    index.set_defaults(run=cmd_index)
    site = sub.add_parser("site", help="build the course's website, both editions, for any static file server")
    site.add_argument("--out", default=str(course.ROOT / "build" / "site"), help="output folder (default build/site)")
    site.set_defaults(run=cmd_site)
    slides = sub.add_parser("slides", help="build a reveal.js deck of every lesson, both editions")
    slides.add_argument("--out", default=str(course.ROOT / "build" / "slides"),
                        help="output folder (default build/slides)")
    slides.set_defaults(run=cmd_slides)
    assignments = sub.add_parser("assignments", help="write the lessons as an nbgrader course, each lesson an "
                                                     "assignment whose exercises are autograded")
    assignments.add_argument("out", help="the course folder to write (nbgrader_config.py and source/)")
    assignments.add_argument("lessons", nargs="*", type=int, help="only these lessons (default: all)")
    assignments.set_defaults(run=cmd_assignments)
    bench = sub.add_parser("bench", help="time the library against PyTorch/scikit-learn, the explorers, every notebook")
    bench.add_argument("--only", choices=["benchmarks", "notebooks", "browser", "suite"],
                       help="run only this part (default: benchmarks and notebooks); browser: every "
                            "explorer's latency in JupyterLab in headless Chromium (minutes)")
    bench.add_argument("--suite", action="store_true", help="also time the full test command (minutes)")
    bench.set_defaults(run=cmd_bench)
    return parser


def cmd_bench(args) -> int:
    """Print the benchmark table (``dlteach.bench``), then every notebook's time and peak memory;
    exit with 1 if any goal was missed."""
    from . import course_timing
    from .bench import all_rows, print_table

    rows = []

    def show(table):
        print_table(table)
        rows.extend(table)

    if args.only in (None, "benchmarks"):
        show(all_rows())
    if args.only in (None, "notebooks"):
        print("every lesson notebook, top to bottom in a fresh kernel (in a temporary copy):", flush=True)
        show(course_timing.notebook_rows(
            progress=lambda run: print(f"  ran {run.name} in {run.seconds:.1f} s", file=sys.stderr, flush=True)))
    if args.only == "browser":
        from .bench.browser import latency_rows

        print("every explorer in JupyterLab (headless Chromium): a slider moved 10 times", flush=True)
        show(latency_rows(progress=lambda line: print(line, file=sys.stderr, flush=True)))
    if args.suite or args.only == "suite":
        print("the full test command:", flush=True)
        show([course_timing.suite_row()])
    missed = [row.what for row in rows if not row.met]
    if missed:
        print(f"dlteach bench: {len(missed)} of {len(rows)} goals missed: {'; '.join(missed)}", flush=True)
    return 1 if missed else 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
