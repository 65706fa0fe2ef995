"""``comin run --host icon4py [options] PLUGIN...``: plugins inside icon4py's dynamical core.

The options, the checks before anything is built, the progress bar, the
summary table and the exit statuses are those of ``comin run`` with the
emulator (exit 0: success; 1: a plugin or the model finished the run with
an error; 2: bad input, or icon4py not installed).  From a Python without
icon4py (comin's main Python is 3.11; icon4py needs >= 3.12) the command
checks its input, then hands over to the interpreter of the icon4py virtual
environment (:mod:`comin.hosts.icon4py.environment`).

While gt4py compiles icon4py's programs (the first run of a grid and level
count) a line per finished program goes to stderr — or, on a terminal, the
count shows next to the step bar.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional, Sequence

import comin
from comin.hosts.icon4py import environment
from comin.hosts.icon4py.experiment import BACKEND, DEFAULT_GRID, DEFAULT_NLEV, Experiment

# the emulator's command line provides the shared parts (plugin list, progress bar, table)
from comin.__main__ import (BadInput, Progress, _add_plugin_args, _count, _Parser,  # noqa: I001
                            collect_plugins, summary_table)

_DESCRIPTION = """\
Run ComIn plugins inside icon4py, the Python rewrite of ICON's atmosphere
(EXCLAIM; icon4py 0.4.1, gt4py's gtfn_cpu backend): the Jablonowski-Williamson
baroclinic-wave test on a global ICON grid with icon4py's dynamical core,
diffusion and tracer transport.  Plugins see icon4py's own fields under
ICON's names, without a copy, at ICON's entry points; what they write is
what icon4py's next step uses."""

_EPILOG = f"""\
plugins:
  as for 'comin run' (see 'comin run --help'): "script.py args" or --namelist FILE.

first run:
  gt4py compiles icon4py's programs for each grid and level count (about 60
  programs, ~20 minutes on two cores); they are kept in {environment.gt4py_cache_dir()}
  (${environment.CACHE_VARIABLE}), and later runs start in about a minute.
  The default {DEFAULT_GRID} with {DEFAULT_NLEV} levels is compiled by the install's tests.

installation:
  icon4py needs Python >= 3.12: '{environment.INSTALL_COMMAND}' makes a virtual
  environment in {environment.venv_dir()} (${environment.VENV_VARIABLE}); comin
  hands over to it.

examples:
  comin run --host icon4py examples/point_source.py
  comin run --host icon4py --steps 12 "examples/plot_field.py --var temp --level 30"

exit status:
  0  the run and every plugin succeeded
  1  a plugin (or the model) finished the run with an error
  2  bad input (as for 'comin run'), or icon4py is not installed
"""

#: file in the gt4py cache: how many programs each (grid, nlev) compiled (for the progress)
_COUNTS = "comin-program-counts.json"


def build_parser() -> argparse.ArgumentParser:
    d = Experiment()
    p = _Parser(prog="comin run --host icon4py", description=_DESCRIPTION, epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_plugin_args(p)
    model = p.add_argument_group("model")
    model.add_argument("--grid", metavar="RnBk", default=d.grid,
                       help="global ICON grid: root division n, k bisections, 20*n*n*4**k cells "
                            "(default: %(default)s, 1280 cells)")
    model.add_argument("--nlev", metavar="N", type=int, default=d.nlev,
                       help="number of full levels (default: %(default)s)")
    model.add_argument("--steps", metavar="N", type=int, default=d.steps,
                       help="number of time steps (default: %(default)s)")
    model.add_argument("--dt", metavar="SECONDS", type=float, default=d.dt,
                       help="time step, a whole number of seconds; %d dynamics substeps each "
                            "(default: %%(default)g)" % d.ndyn_substeps)
    model.add_argument("--start", metavar="DATETIME", default=d.start,
                       help="start date and time, ISO 8601 (default: %(default)s)")
    out = p.add_argument_group("output")
    out.add_argument("-v", "--verbosity", metavar="LEVEL", type=int, default=d.verbosity,
                     help="ComIn's verbosity (default: %(default)s)")
    out.add_argument("--log-level", metavar="LEVEL", default=d.log_level,
                     help="icon4py's and gt4py's logging: debug, info, warning, ... "
                          "(default: %(default)s)")
    out.add_argument("--no-progress", action="store_true",
                     help="no progress bar (there is none anyway when stderr is not a terminal)")
    out.add_argument("--no-summary", action="store_true",
                     help="no summary table of the time per plugin and entry point at the end")
    out.add_argument("--cache-dir", metavar="DIR", default=None,
                     help="where generated grids are cached (as for 'comin run')")
    return p


def make_experiment(args) -> Experiment:
    exp = Experiment(grid=args.grid, nlev=args.nlev, steps=args.steps, dt=args.dt,
                     start=args.start, verbosity=args.verbosity, cache_dir=args.cache_dir,
                     log_level=args.log_level)
    problems = exp.problems()
    if problems:
        raise BadInput("; ".join(problems))
    return exp


def _say(text: str) -> None:
    print(f"comin run: {text}", file=sys.stderr)


class CompileWatcher:
    """Reports gt4py's compilation while it happens: a background thread counts the programs
    that appear finished (``gt4py.json`` with status COMPILED) in the build cache."""

    def __init__(self, cache: Path, label: str, progress: Optional[Progress], every: float = 0.5):
        self.cache, self.label, self.progress, self.every = cache, label, progress, every
        self.t0 = time.monotonic()
        self.before = self._finished()
        self.compiled: List[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="comin-gt4py-watch", daemon=True)
        self.expected = self._expected()

    def _finished(self) -> set:
        out = set()
        if not self.cache.is_dir():
            return out
        for meta in self.cache.glob("*/gt4py.json"):
            if meta.parent.name.startswith("compile_commands_cache"):
                continue                    # gt4py's CMake set-up, not a program
            try:
                if json.loads(meta.read_text()).get("status") == "COMPILED":
                    out.add(meta.parent.name)
            except (OSError, ValueError):
                continue
        return out

    def _expected(self) -> Optional[int]:
        try:
            counts = json.loads((self.cache / _COUNTS).read_text())
        except (OSError, ValueError):
            return None
        return counts.get(self.label) or (max(counts.values()) if counts else None)

    def start(self) -> "CompileWatcher":
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.poll()

    def poll(self) -> None:
        new = sorted(self._finished() - self.before - set(self.compiled))
        for name in new:
            if not self.compiled:
                _say(f"gt4py is compiling icon4py's programs for {self.label} (once per grid and "
                     f"level count, ~20 min on two cores; cached in {self.cache})")
            self.compiled.append(name)
            program = name.split("_pyext_")[0]
            n = len(self.compiled)
            of = f" of ~{self.expected}" if self.expected else ""
            minutes, seconds = divmod(int(time.monotonic() - self.t0), 60)
            text = (f"compiled {n}{of} gt4py program{'' if n == 1 else 's'} "
                    f"({minutes}:{seconds:02d}), last {program}")
            bar = getattr(self.progress, "bar", None)
            if bar is not None:
                bar.set_postfix_str(text)
            else:
                _say(text)

    def stop(self) -> int:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.poll()
        bar = getattr(self.progress, "bar", None)
        if bar is not None:
            bar.set_postfix_str("")
        return len(self.compiled)

    def remember(self) -> None:
        """Record how many programs this configuration needed (after a complete cold run)."""
        if not self.compiled:
            return
        path = self.cache / _COUNTS
        try:
            counts = json.loads(path.read_text()) if path.exists() else {}
            counts[self.label] = len(self.compiled)
            path.write_text(json.dumps(counts, indent=1, sort_keys=True))
        except (OSError, ValueError):
            pass


def run(args) -> int:
    """The run itself (icon4py importable here)."""
    from comin.hosts.icon4py.host import Icon4pyHost
    try:
        plugins = collect_plugins(args)
        exp = make_experiment(args)
        if args.cache_dir is not None:
            os.makedirs(args.cache_dir, exist_ok=True)
    except BadInput as exc:
        _say(str(exc))
        return 2
    except OSError as exc:
        _say(f"--cache-dir {args.cache_dir}: cannot create the directory: {exc.strerror}")
        return 2
    cache = environment.configure_gt4py()
    model = Icon4pyHost(plugins, exp, host_kwargs={"profile": not args.no_summary})
    show_progress = not args.no_progress and getattr(sys.stderr, "isatty", lambda: False)()
    t0 = time.perf_counter()
    progress = Progress(model.nsteps, show_progress, desc="comin run (icon4py)")
    watcher = CompileWatcher(cache, f"{exp.canonical_grid}, {exp.nlev} levels", progress).start()
    status, failure = 0, None
    try:
        model.run(progress=progress)
    except comin.ComInFinish as exc:
        status, failure = 1, exc
    except KeyboardInterrupt:
        watcher.stop()
        progress.close()
        _say("interrupted")
        return 130
    finally:
        compiled = watcher.stop()
        progress.close()
    seconds = time.perf_counter() - t0
    if status:
        _say(f"the run was finished with an error by {failure.routine} (its message is above)")
        return status
    watcher.remember()
    if not args.no_summary:
        from importlib.metadata import version
        names = [p.name for p in model.host.plugins]
        loop = model.timings.get("time loop", 0.0)
        head = (f"{_count(model.nsteps, 'step')} of {exp.dt:g} s on {exp.canonical_grid} with "
                f"{exp.nlev} levels in icon4py {version('icon4py-driver')} ({BACKEND}), "
                f"{_count(len(plugins), 'plugin')}, {_count(model.calls, 'entry point call')} "
                f"in {seconds:.2f} s")
        setup = model.timings.get("setup", 0.0)
        lines = [f"comin run: {head}",
                 f"comin run: icon4py set-up {setup:.1f} s"
                 + (f" (gt4py compiled {_count(compiled, 'program')})" if compiled else "")
                 + f", time loop {loop:.2f} s ({loop / max(model.nsteps, 1):.3f} s per step)",
                 "time per plugin and entry point, costliest first:"]
        lines += summary_table(model.host.timings(), seconds, names,
                               rest="icon4py, gt4py, comin, plugin loading")
        print("\n".join(lines), file=sys.stderr)
    return 0


def main(argv: Sequence[str]) -> int:
    """``comin run --host icon4py ARGV``: returns the exit status (hands over when needed)."""
    argv = list(argv)
    parser = build_parser()
    try:
        args = parser.parse_intermixed_args(argv)
        if not environment.icon4py_here():
            # check what can be checked here, then continue in the icon4py environment
            try:
                collect_plugins(args)
                make_experiment(args)
            except BadInput as exc:
                _say(str(exc))
                return 2
            return environment.handover(argv)
        return run(args)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)

