"""The ``dlteach`` command: open the course, re-execute its notebooks, rebuild the index."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import course


def cmd_lab(args) -> int:
    root = Path(args.dir).resolve()
    if not (root / course.INDEX).exists():
        print(f"dlteach: no {course.INDEX} in {root}; pass --dir with the course's notebooks folder", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={args.port}",
               f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{course.INDEX}"]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    print(f"dlteach: serving the course in {root} at http://127.0.0.1:{args.port}/lab "
          "(JupyterLab prints the link with its access token below; Ctrl+C stops it)", flush=True)
    if os.name == "posix":  # become the server, so that signals stop JupyterLab itself
        os.execv(sys.executable, command)
    return subprocess.call(command)


def cmd_execute(args) -> int:
    """Run notebooks top to bottom in a fresh kernel and save them with their outputs."""
    import nbformat
    from nbclient import NotebookClient

    paths = [Path(p) for p in args.notebooks] or [course.NOTEBOOK_DIR / lesson.notebook for lesson in course.syllabus()[1]]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.metadata["kernelspec"] = course.KERNELSPEC
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(nb, path)
        print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


def cmd_index(args) -> int:
    path = course.NOTEBOOK_DIR / course.INDEX
    path.write_text(json.dumps(course.index_notebook(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlteach", description="An interactive course on classic deep learning.")
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="open the course in JupyterLab (127.0.0.1, token kept)")
    lab.add_argument("--port", type=int, default=8888, help="port to serve on (default 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    lab.add_argument("--dir", default=str(course.NOTEBOOK_DIR), help="folder of the course notebooks")
    lab.set_defaults(run=cmd_lab)
    execute = sub.add_parser("execute", help="re-run notebooks top to bottom and save their outputs")
    execute.add_argument("notebooks", nargs="*", help="notebook files (default: every lesson)")
    execute.set_defaults(run=cmd_execute)
    index = sub.add_parser("index", help=f"rebuild notebooks/{course.INDEX} from course/syllabus.toml")
    index.set_defaults(run=cmd_index)
    bench = sub.add_parser("bench", help="time the library against PyTorch/scikit-learn, the explorers, every notebook")
    bench.add_argument("--only", choices=["benchmarks", "notebooks", "suite"],
                       help="run only this part (default: benchmarks and notebooks)")
    bench.add_argument("--suite", action="store_true", help="also time the full test command (minutes)")
    bench.set_defaults(run=cmd_bench)
    return parser


def cmd_bench(args) -> int:
    """Print the benchmark table (``dlteach.bench``), then every notebook's time and peak memory."""
    from . import course_timing
    from .bench import all_rows, print_table

    if args.only in (None, "benchmarks"):
        print_table(all_rows())
    if args.only in (None, "notebooks"):
        print("every lesson notebook, top to bottom in a fresh kernel (in a temporary copy):", flush=True)
        print_table(course_timing.notebook_rows(
            progress=lambda run: print(f"  ran {run.name} in {run.seconds:.1f} s", file=sys.stderr, flush=True)))
    if args.suite or args.only == "suite":
        print("the full test command:", flush=True)
        print_table([course_timing.suite_row()])
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
