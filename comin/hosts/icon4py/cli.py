"""icon4py as ``comin run``'s host: ``comin run --host icon4py [options] PLUGIN...``.

Plugins inside icon4py's dynamical core, with ``comin run``'s plugin list,
checks, progress bar, summary table and exit statuses (0: success; 1: a
plugin or the model finished the run with an error; 2: bad input, or icon4py
not installed).  Its options are the experiment's (``--grid``, ``--nlev``,
``--steps``, ``--dt``, ``--start``; :mod:`comin.hosts.icon4py.experiment`)
and ``--log-level``/``--cache-dir``.

icon4py needs Python >= 3.12 and comin's main Python may be older: there the
command checks its input, then hands over to the interpreter of the icon4py
virtual environment (:meth:`Icon4pyCommand.hand_over`,
:mod:`comin.hosts.icon4py.environment`), which runs the same command line.

While gt4py compiles icon4py's programs (the first run of a grid and level
count) a line per finished program goes to stderr — or, on a terminal, the
count shows next to the step bar (:class:`CompileWatcher`).
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path
from typing import List, Optional, Tuple

from comin.cli.base import BadInput, count, say
from comin.cli.extensions import HostCommand, HostRun
from comin.cli.output import Progress
from comin.hosts.icon4py import environment
from comin.hosts.icon4py.experiment import BACKEND, DEFAULT_GRID, DEFAULT_NLEV, Experiment

_DESCRIPTION = """\
Run ComIn plugins inside icon4py, the Python rewrite of ICON's atmosphere
(EXCLAIM; icon4py 0.4.1, gt4py's gtfn_cpu backend): the Jablonowski-Williamson
baroclinic-wave test on a global ICON grid with icon4py's dynamical core,
diffusion and tracer transport.  Plugins see icon4py's own fields under
ICON's names, without a copy, at ICON's entry points; what they write is
what icon4py's next step uses."""

_EPILOG = f"""\
plugins:
  as for the emulator ('comin run --help'): a Python plugin script with its
  arguments in one quoted string ("script.py --x=1"), a shared library with
  its options ("./libmy_plugin.so opts"), or ICON's &comin_nml (--namelist FILE).

first run:
  gt4py compiles icon4py's programs for each grid and level count (about 110
  programs, ~20 minutes on two idle cores); they are kept in {environment.gt4py_cache_dir()}
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


def _say(text: str) -> None:
    say("run", text)


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


class Icon4pyRun(HostRun):
    """One ``comin run --host icon4py``: icon4py is set up inside :meth:`run` (its first
    run of a grid and level count compiles gt4py's programs, reported as they finish)."""

    unit = "step"
    rest = "icon4py, gt4py, comin, plugin loading"

    def __init__(self, model, experiment: Experiment):
        self.model, self.experiment = model, experiment
        self.host = model.host
        self.total = model.nsteps
        self.compiled = 0

    def run(self, progress) -> None:
        exp = self.experiment
        cache = environment.configure_gt4py()
        watcher = CompileWatcher(cache, f"{exp.canonical_grid}, {exp.nlev} levels",
                                 progress).start()
        try:
            self.model.run(progress=progress)
        finally:
            self.compiled = watcher.stop()
        watcher.remember()                  # a complete run: its program count is known

    def headline(self, seconds: float, nplugins: int) -> str:
        from importlib.metadata import version
        model, exp = self.model, self.experiment
        return (f"{count(model.nsteps, 'step')} of {exp.dt:g} s on {exp.canonical_grid} with "
                f"{exp.nlev} levels in icon4py {version('icon4py-driver')} ({BACKEND}), "
                f"{count(nplugins, 'plugin')}, {count(model.calls, 'entry point call')} "
                f"in {seconds:.2f} s")

    def details(self, seconds: float) -> List[str]:
        model = self.model
        setup, loop = model.timings.get("setup", 0.0), model.timings.get("time loop", 0.0)
        compiled = f" (gt4py compiled {count(self.compiled, 'program')})" if self.compiled else ""
        return [f"icon4py set-up {setup:.1f} s{compiled}, time loop {loop:.2f} s "
                f"({loop / max(model.nsteps, 1):.3f} s per step)"]


class Icon4pyCommand(HostCommand):
    """The icon4py host on the command line."""

    name = "icon4py"
    help = ("icon4py's dynamical core (the Python rewrite of ICON; Jablonowski-Williamson, "
            "in its own Python >= 3.12 environment)")
    description = _DESCRIPTION
    epilog = _EPILOG
    yac = False             # icon4py 0.4.1 has no coupler (no EP_ATM_YAC_* either)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        d = Experiment()
        model = parser.add_argument_group("model (icon4py)")
        model.add_argument("--grid", metavar="RnBk", default=d.grid,
                           help="global ICON grid: root division n, k bisections, 20*n*n*4**k "
                                "cells (default: %(default)s, 1280 cells)")
        model.add_argument("--nlev", metavar="N", type=int, default=d.nlev,
                           help="number of full levels (default: %(default)s)")
        model.add_argument("--steps", metavar="N", type=int, default=d.steps,
                           help="number of time steps (default: %(default)s)")
        model.add_argument("--dt", metavar="SECONDS", type=float, default=d.dt,
                           help="time step, a whole number of seconds; %d dynamics substeps each "
                                "(default: %%(default)g)" % d.ndyn_substeps)
        model.add_argument("--start", metavar="DATETIME", default=d.start,
                           help="start date and time, ISO 8601 (default: %(default)s)")

    def add_output_arguments(self, output) -> None:
        d = Experiment()
        output.add_argument("--log-level", metavar="LEVEL", default=d.log_level,
                            help="icon4py's and gt4py's logging: debug, info, warning, ... "
                                 "(default: %(default)s)")
        output.add_argument("--cache-dir", metavar="DIR", default=None,
                            help="where generated grids are cached (default: $COMIN_CACHE_DIR, "
                                 "else $XDG_CACHE_HOME/comin/grids or ~/.cache/comin/grids)")

    def configure(self, args: argparse.Namespace) -> Experiment:
        """The Experiment from the options; BadInput naming every problem (no icon4py
        import: this runs before a hand-over too)."""
        exp = Experiment(grid=args.grid, nlev=args.nlev, steps=args.steps, dt=args.dt,
                         start=args.start, verbosity=args.verbosity, cache_dir=args.cache_dir,
                         log_level=args.log_level)
        problems = exp.problems()
        if problems:
            raise BadInput("; ".join(problems))
        return exp

    def directories(self, args: argparse.Namespace) -> List[Tuple[str, Optional[str]]]:
        return [("--cache-dir", args.cache_dir)]

    def hand_over(self, args: argparse.Namespace) -> Optional[int]:
        """None where icon4py can run; else the same command in the icon4py virtual
        environment (this process is replaced by its interpreter: the status is its)."""
        if environment.icon4py_here():
            return None
        try:
            return environment.handover(["run", *args.argv], warn=_say)
        except environment.NotInstalled as exc:
            raise BadInput(str(exc)) from None

    def start(self, args, config: Experiment, plugins, profile: bool) -> Icon4pyRun:
        from comin.hosts.icon4py.host import Icon4pyHost
        return Icon4pyRun(Icon4pyHost(plugins, config, host_kwargs={"profile": profile}), config)


HOST = Icon4pyCommand()
