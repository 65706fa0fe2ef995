"""The executed example of docs/host/icon4py.rst: its output and its map.

The documentation builds with comin's main Python, which cannot run icon4py
(Python >= 3.12, and a cold gt4py compile takes ~20 minutes), so this example
runs in the icon4py test stage instead (``tools/test_icon4py.sh``, through
the test ``test_the_docs_example_is_current``) with the icon4py virtual
environment's interpreter::

    <venv>/bin/python tools/icon4py_docs.py --write    # refresh the files in docs/host/
    <venv>/bin/python tools/icon4py_docs.py --check    # run it, compare with them

``--write`` stores the run's output (``docs/host/icon4py_run.txt``, without
the timings of the summary table) and the last map the plotting plugin drew
(``docs/host/icon4py_temp.png``).  ``--check`` runs the same command and
fails when its output no longer has the committed lines (numbers masked:
another compiler may round the last digits differently).
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT = os.path.join(ROOT, "docs", "host", "icon4py_run.txt")
PICTURE = os.path.join(ROOT, "docs", "host", "icon4py_temp.png")

#: the command as the page shows it (after ``comin run --host icon4py``)
ARGS = ["--steps", "6", "--no-progress",
        "examples/point_source.py --rate 1e6",
        "examples/column_water.py --tracers qv",
        "examples/plot_field.py --var temp --outdir maps"]


def command_line() -> str:
    """The command as a user types it (shown on the page)."""
    import shlex
    return "comin run --host icon4py " + " ".join(
        a if a.startswith("--") or a.isdigit() else shlex.quote(a) for a in ARGS)


def run() -> tuple:
    """Run the example in a scratch directory: (output lines to show, path of the last map)."""
    work = tempfile.mkdtemp(prefix="comin-icon4py-docs-")
    os.symlink(os.path.join(ROOT, "examples"), os.path.join(work, "examples"))
    p = subprocess.run([sys.executable, "-m", "comin", "run", "--host", "icon4py", *ARGS],
                       cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=3000)
    if p.returncode != 0:
        raise SystemExit(f"the example failed (exit {p.returncode}):\n{p.stdout}")
    lines = []
    for line in p.stdout.splitlines():
        if line.startswith("comin run: gt4py") or line.startswith("comin run: compiled"):
            continue                                   # compile progress (a cold cache only)
        if line.startswith("time per plugin"):
            break                                      # the timings table
        line = re.sub(r" in [\d.]+ s$", " in ... s", line)
        line = re.sub(r"set-up [\d.]+ s.*", "set-up ... s, time loop ... s", line)
        line = line.replace(work + os.sep, "")
        lines.append(line)
    maps = sorted(glob.glob(os.path.join(work, "maps", "*.png")))
    if not maps:
        raise SystemExit("the example drew no map")
    return lines, maps[-1], work


def masked(lines) -> list:
    return [re.sub(r"[-+]?\d[\d.,e+-]*", "#", line) for line in lines]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="refresh docs/host/icon4py_run.txt and "
                                                         "docs/host/icon4py_temp.png")
    mode.add_argument("--check", action="store_true", help="compare a fresh run with them")
    args = parser.parse_args(argv)
    lines, picture, work = run()
    try:
        if args.write:
            with open(TEXT, "w", encoding="utf-8") as f:
                f.write(f"$ {command_line()}\n" + "\n".join(lines) + "\n")
            shutil.copyfile(picture, PICTURE)
            print(f"wrote {TEXT} and {PICTURE}")
            return 0
        with open(TEXT, encoding="utf-8") as f:
            committed = f.read().splitlines()[1:]
        if masked(committed) != masked(lines):
            print("docs/host/icon4py_run.txt is out of date; run "
                  f"'{sys.executable} tools/icon4py_docs.py --write'.\nnow:\n" + "\n".join(lines))
            return 1
        print("docs/host/icon4py_run.txt matches the example's output")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
