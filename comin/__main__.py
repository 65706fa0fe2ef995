"""Command line of comin: ``comin run [options] PLUGIN...`` (also ``python -m comin``).

``comin run`` runs ComIn plugins inside the built-in emulator host
(:mod:`comin.emulator`); with ``--record DIR`` it records the run
(:mod:`comin.recorder`), and ``comin replay DIR PLUGIN...`` plays such a
recording back to plugins (:mod:`comin.replay`).  Everything the user typed
is checked before the model is built: a typo in a plugin path or an
impossible grid costs no grid generation, and bad input gets one line on
stderr naming the problem (exit status 2), never a traceback.  A run that a
plugin or the model finishes with an error exits with 1.

On a terminal a progress bar shows the steps of domain 1; at the end a table
of the time spent per plugin and entry point goes to stderr.  Under MPI only
rank 0 prints them.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from typing import List, Optional, Sequence, Tuple

import comin
from comin.parallel import launcher_size
from comin.parallel import world_rank as mpi_rank

#: rows of the summary table before the rest is folded into one line
SUMMARY_ROWS = 10

_RUN_DESCRIPTION = """\
Run ComIn plugins inside the built-in emulator host: a scale model of ICON's
atmosphere on ICON's icosahedral grid that calls every entry point in ICON's
order, with ICON's descriptive data, variables and tracers, changing every
time step.  What runs here runs in ICON."""

_RUN_EPILOG = """\
plugins:
  PLUGIN is a Python plugin script with its arguments in one quoted string,
  exactly as ComIn's Python adapter takes its options:

    comin run "examples/simple_python_plugin.py --hello=world 'argument with spaces'"

  A C or Fortran plugin is its shared library (a path ending in .so) followed
  by its options: comin run "./libmy_plugin.so some options".

  --namelist FILE reads the plugin list of ICON's &comin_nml instead (or as
  well: the namelist's plugins come first, then the PLUGIN arguments):

    &comin_nml
      plugin_list(1)%name           = "simple"
      plugin_list(1)%plugin_library = "libpython_adapter.so"
      plugin_list(1)%options        = "examples/simple_python_plugin.py --hello=world"
      plugin_list(1)%comm           = "simple_comm"
    /

  plugin_library = "libpython_adapter.so" means a Python plugin whose script
  (and its arguments) is the options string, as in ICON.  Shared-library
  plugins (C, Fortran) come with a later comin version.  Plugins run in the
  order given; each sees itself as the current plugin.

examples:
  comin run my_plugin.py                        R2B4 grid, 6 steps of 600 s
  comin run --grid R2B5 --nest --steps 36 "my_plugin.py --x=1"
  comin run --nest --nest-center=-60,-15 --nest-radius 20 my_plugin.py
  comin run --start 2026-07-01T00:00 --end 2026-07-02T00:00 --dt 900 my_plugin.py
  comin run --namelist icon_master.namelist --write-grid grids/
  mpiexec -n 4 comin run --no-progress my_plugin.py
  comin run --record rec/ --nest my_plugin.py     record it; then: comin replay rec/ my_plugin.py
  comin run --record rec/ --record-vars temp,pres --record-eps EP_ATM_TIMELOOP_END

exit status:
  0  the run and every plugin succeeded
  1  a plugin (or the model) finished the run with an error
  2  bad input: unknown option, missing or invalid plugin script, invalid
     namelist, impossible grid, nproma, level count or dates, a --record
     directory that cannot be written, an unknown --record-eps entry point or
     --record-vars variable
"""

_REPLAY_DESCRIPTION = """\
Replay a recording to plugins: comin is the host, with the recorded
descriptive data, variables (and their metadata) and entry-point calls, in
the recorded order with the recorded domains and datetimes.  Make a
recording with 'comin run --record DIR ...', or load the recorder plugin
(comin/recorder.py) into any host.  Plugins may request new variables and
tracers (they are allocated, zero); a variable that was neither recorded nor
requested is an error naming the recording."""

_REPLAY_EPILOG = """\
plugins:
  PLUGIN and --namelist FILE as for 'comin run' (see 'comin run --help').

recording:
  DIR holds one NetCDF-4 file per host rank, DIR/<rank>.nc; replay a
  recording of N ranks on N ranks (mpiexec -n N comin replay DIR ...).

examples:
  comin run --record rec/ --nest --steps 12 my_plugin.py
  comin replay rec/ my_plugin.py
  comin replay rec/ "my_plugin.py --threshold=3" other_plugin.py

exit status:
  0  the replay and every plugin succeeded
  1  a plugin finished the run with an error, or the recorded run ended with
     one (EP_FINISH): it is replayed up to there
  2  bad input: unknown option, missing or invalid plugin script or namelist,
     no such directory or rank file, a file that is not a comin recording
     (foreign, truncated or damaged), a recording of another number of ranks
"""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``comin run: PROBLEM (see 'comin run --help')``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


class BadInput(Exception):
    """Input that cannot run; the message is the one line the user sees."""


def _nest_center(text: str) -> Tuple[float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LON,LAT in degrees, e.g. 10,50 (write --nest-center=-60,-15 "
            f"for a negative longitude), got {text!r}") from None
    return lon, lat


def _config_defaults() -> dict:
    from dataclasses import fields

    from comin.emulator.config import Config
    return {f.name: f.default for f in fields(Config)}


def build_parsers() -> Tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The ``comin`` parser and its ``run`` sub-parser."""
    return _build_parsers()[:2]


def _add_plugin_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("plugins", nargs="*", metavar="PLUGIN",
                   help='a Python plugin: "script.py [args...]" in one quoted string')
    p.add_argument("--namelist", metavar="FILE",
                   help="read the plugins from ICON's &comin_nml namelist in FILE "
                        "(plugin_list(i)%%name, %%plugin_library, %%primary_constructor, "
                        "%%options, %%comm, %%log_*); they run before the PLUGIN arguments")


def _build_parsers() -> Tuple[argparse.ArgumentParser, argparse.ArgumentParser,
                              argparse.ArgumentParser]:
    """The ``comin`` parser and its ``run`` and ``replay`` sub-parsers."""
    d = _config_defaults()
    parser = _Parser(
        prog="comin", description="comin: the ICON Community Interface (ComIn 0.3) for Python.",
        epilog="Run 'comin run --help' or 'comin replay --help' for their options.")
    parser.add_argument("--version", action="version",
                        version=f"comin {comin.__version__} "
                                f"(ComIn {'.'.join(map(str, comin.setup_get_version()))})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser(
        "run", help="run plugins in the built-in emulator host (ICON's atmosphere in small)",
        description=_RUN_DESCRIPTION, epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_plugin_args(run)
    run.add_argument("--host", choices=("emulator", "icon4py"), default="emulator",
                     help="the host model: the built-in emulator (default), or icon4py's "
                          "dynamical core ('comin run --host icon4py --help' for its options)")

    model = run.add_argument_group("model")
    model.add_argument("--grid", metavar="RnBk", default=d["grid"],
                       help="ICON grid of domain 1: the global grid with root division n and "
                            "k bisections, 20*n*n*4**k cells (R2B4: 20480 cells, about 160 km; "
                            "default: %(default)s)")
    model.add_argument("--nest", action="store_true",
                       help="add domain 2: a limited-area grid one bisection finer, with "
                            "parent/child links to domain 1; it takes two steps of dt/2 per step")
    model.add_argument("--nest-center", metavar="LON,LAT", type=_nest_center, default=None,
                       help="centre of the nest in degrees (default: %s,%s; write "
                            "--nest-center=-60,-15 for a negative longitude)"
                            % tuple(f"{x:g}" for x in d["nest_center"]))
    model.add_argument("--nest-radius", metavar="DEG", type=float, default=None,
                       help="radius of the nest in degrees of arc, between 0 and 90 "
                            f"(default: {d['nest_radius']:g})")
    model.add_argument("--nproma", metavar="N", type=int, default=d["nproma"],
                       help="block length of ICON's (nproma, nblks) array layout "
                            "(default: %(default)s)")
    model.add_argument("--nlev", metavar="N", type=int, default=d["nlev"],
                       help="number of full vertical levels (default: %(default)s)")
    length = model.add_mutually_exclusive_group()
    length.add_argument("--steps", metavar="N", type=int, default=d["steps"],
                        help="number of time steps of domain 1 (default: 6)")
    length.add_argument("--end", metavar="DATETIME", default=d["end"],
                        help="run until this date and time, ISO 8601 (instead of --steps; "
                             "a whole number of steps, rounded down)")
    model.add_argument("--dt", metavar="SECONDS", type=float, default=d["dt"],
                       help="time step of domain 1 in seconds (default: %(default)g)")
    model.add_argument("--start", metavar="DATETIME", default=d["start"],
                       help="start date and time, ISO 8601 (default: %(default)s)")
    model.add_argument("--seed", metavar="N", type=int, default=d["seed"],
                       help="random seed of the model (default: %(default)s)")

    out = run.add_argument_group("output")
    _add_output_args(out, d["verbosity"])
    out.add_argument("--write-grid", metavar="DIR", default=None,
                     help="write every domain's grid as an ICON grid NetCDF file "
                          "(ICON's variable names) into DIR")
    out.add_argument("--cache-dir", metavar="DIR", default=d["cache_dir"],
                     help="where generated grids are cached (default: $COMIN_CACHE_DIR, "
                          "else $XDG_CACHE_HOME/comin/grids or ~/.cache/comin/grids)")

    rec = run.add_argument_group("record (replay with 'comin replay DIR PLUGIN...')")
    rec.add_argument("--record", metavar="DIR", default=None,
                     help="record the run into DIR (one NetCDF-4 file per rank, DIR/<rank>.nc): "
                          "descriptive data, every entry-point call, and variables; the "
                          "recorder runs as the last plugin")
    rec.add_argument("--record-vars", metavar="NAME,NAME", default=None,
                     help="the variables to record, on every domain where they exist (default: "
                          "every cell variable the host exposes, tracers included, "
                          "containers excluded)")
    rec.add_argument("--record-eps", metavar="EP,EP", default=None,
                     help="the entry points at which the variables are recorded (default: "
                          "EP_ATM_WRITE_OUTPUT_BEFORE)")

    sub.add_parser("doctor", help="what a C or Fortran host embedding comin uses and whether it "
                                  "matches (comin doctor --help)", add_help=False)
    replay = sub.add_parser(
        "replay", help="replay a recording (comin run --record) to plugins",
        description=_REPLAY_DESCRIPTION, epilog=_REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    replay.add_argument("directory", metavar="DIR",
                        help="the recording: a directory with one file <rank>.nc per host rank")
    _add_plugin_args(replay)
    _add_output_args(replay.add_argument_group("output"), d["verbosity"])
    return parser, run, replay


def _add_output_args(group, verbosity: int) -> None:
    """The output options that `comin run` and `comin replay` share."""
    group.add_argument("-v", "--verbosity", metavar="LEVEL", type=int, default=verbosity,
                       help="ComIn's verbosity: it prints its messages of levels below LEVEL; "
                            "13 prints all (default: %(default)s)")
    group.add_argument("--no-progress", action="store_true",
                       help="no progress bar (there is none anyway when stderr is not a terminal)")
    group.add_argument("--no-summary", action="store_true",
                       help="no summary table of the time spent per plugin and entry point "
                            "at the end (it goes to stderr)")


def build_parser() -> argparse.ArgumentParser:
    """The ``comin`` argument parser (its ``run`` command included)."""
    return build_parsers()[0]


# -- checks before anything is built ----------------------------------------------------

def _check_script(script: str, where: str = "") -> None:
    """``script`` exists, is readable UTF-8 text and compiles; else BadInput.

    ``where`` prefixes the message (the namelist entry that names the script).
    """
    from comin._adapter import syntax_error_line
    if not os.path.exists(script):
        raise BadInput(f"{where}no such plugin script: {script}")
    if os.path.isdir(script):
        raise BadInput(f"{where}plugin script {script} is a directory")
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
    except OSError as exc:
        raise BadInput(f"{where}cannot read plugin script {script}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{where}plugin script {script} is not UTF-8 text "
                       "(is it a Python script?)") from None
    try:
        compile(source, script, "exec")
    except (SyntaxError, ValueError) as exc:
        raise BadInput(syntax_error_line(script, exc)) from None


def _not_python(word: str) -> str:
    return f"{word} is neither a Python plugin script (*.py) nor a shared library (*.so)"


def _check_library(lib: str, where: str = "") -> None:
    """A library given as a path must exist (a bare name is left to dlopen's search)."""
    if "/" in lib and not os.path.isfile(lib):
        raise BadInput(f"{where}no such plugin library: {lib}")


def collect_plugins(args, command: str = "run", allow_none: bool = False) -> list:
    """The plugin list: the namelist's plugins, then the PLUGIN arguments, all checked.

    ``command`` names the subcommand in messages; ``allow_none``: an empty list is fine.
    """
    from comin._adapter import PluginDescription
    from comin.namelist import NamelistError, read_plugin_list
    plugins = []
    if args.namelist is not None:
        try:
            listed = read_plugin_list(args.namelist)
        except NamelistError as exc:
            raise BadInput(str(exc)) from None
        if not listed and not args.plugins:
            raise BadInput(f"{args.namelist}: &comin_nml lists no plugins")
        for p in listed:
            what = f"{args.namelist}: plugin '{p.name or p.plugin_library}'"
            if not p.is_python:          # a C/Fortran plugin: dlopen'ed when the run starts
                _check_library(p.plugin_library, what + ": ")
                plugins.append(p)
                continue
            try:
                script = shlex.split(p.options)[0]
            except ValueError as exc:
                raise BadInput(f"{what}: cannot split its options {p.options!r}: {exc}") from None
            _check_script(script, what + ": ")
            plugins.append(p)
    for spec in args.plugins:
        try:
            words = shlex.split(spec)
        except ValueError as exc:
            raise BadInput(f"plugin {spec!r}: cannot split it into script and arguments: "
                           f"{exc}") from None
        if not words:
            raise BadInput("empty plugin argument: give \"script.py [args...]\"")
        if words[0].endswith(".so"):     # "libfoo.so options": a C/Fortran plugin
            _check_library(words[0])
            options = spec.strip().split(None, 1)[1] if len(spec.split()) > 1 else ""
            name = f"{os.path.basename(words[0])}(comin_main)"[:32]
            plugins.append(PluginDescription(name=name, plugin_library=words[0], options=options))
            continue
        if not words[0].endswith(".py"):
            raise BadInput(_not_python(words[0]))
        _check_script(words[0])
        plugins.append(PluginDescription.python(spec))
    if not plugins and not allow_none:
        example = ("comin run my_plugin.py" if command == "run"
                   else f"comin {command} DIR my_plugin.py")
        raise BadInput(f"no plugin given: name a plugin script ({example}) "
                       "or a namelist (--namelist FILE)")
    return plugins


def make_config(args):
    """The emulator's Config from the options; BadInput naming every problem."""
    from comin.emulator import Config
    d = _config_defaults()
    if not args.nest and (args.nest_center is not None or args.nest_radius is not None):
        given = "--nest-center" if args.nest_center is not None else "--nest-radius"
        raise BadInput(f"{given} places the nest: add --nest")
    cfg = Config(grid=args.grid, nest=args.nest,
                 nest_center=args.nest_center if args.nest_center is not None else d["nest_center"],
                 nest_radius=args.nest_radius if args.nest_radius is not None else d["nest_radius"],
                 nproma=args.nproma, nlev=args.nlev, steps=args.steps, end=args.end,
                 dt=args.dt, start=args.start, seed=args.seed, verbosity=args.verbosity,
                 cache_dir=args.cache_dir)
    problems = cfg.problems()
    if problems:
        raise BadInput("; ".join(problems))
    for option, path in (("--cache-dir", args.cache_dir), ("--write-grid", args.write_grid),
                         ("--record", args.record)):
        if path is not None and os.path.exists(path) and not os.path.isdir(path):
            raise BadInput(f"{option} {path}: exists and is not a directory")
    return cfg


def recorder_plugin(args):
    """The recorder plugin for ``--record`` (None without it); BadInput for bad options."""
    from comin import recorder
    from comin._adapter import PluginDescription
    if args.record is None:
        for option, value in (("--record-vars", args.record_vars),
                              ("--record-eps", args.record_eps)):
            if value is not None:
                raise BadInput(f"{option} chooses what --record records: add --record DIR")
        return None
    words = [recorder.__file__, args.record]
    try:
        if args.record_vars is not None:
            words += ["--vars", ",".join(recorder.parse_vars(args.record_vars))]
    except recorder.OptionError as exc:
        raise BadInput(f"--record-vars {args.record_vars!r}: {exc}") from None
    try:
        if args.record_eps is not None:
            words += ["--eps", ",".join(comin.callback_get_ep_name(ep)
                                        for ep in recorder.parse_eps(args.record_eps))]
    except recorder.OptionError as exc:
        raise BadInput(f"--record-eps {args.record_eps!r}: {exc}") from None
    options = " ".join(shlex.quote(w) for w in words)
    if len(options) > comin.COMIN_MAX_LEN_OPTIONS:
        raise BadInput(f"the recorder's options are longer than ComIn's "
                       f"{comin.COMIN_MAX_LEN_OPTIONS} characters ({options!r}): use a shorter "
                       "--record path or fewer --record-vars")
    return PluginDescription.python(options, name="comin_recorder")


def make_directories(args) -> None:
    """Create the --write-grid and --cache-dir directories (after every other check)."""
    for option, path in (("--write-grid", args.write_grid), ("--cache-dir", args.cache_dir),
                         ("--record", getattr(args, "record", None))):
        if path is None:
            continue
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"{option} {path}: cannot create the directory: "
                           f"{exc.strerror}") from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise BadInput(f"{option} {path}: the directory is not writable")


# -- progress and summary ------------------------------------------------------------------

class _AroundBar:
    """A text stream whose complete lines are written above a tqdm bar (plugin output)."""

    def __init__(self, stream, bar):
        self._stream, self._bar, self._pending = stream, bar, ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            lines, _, self._pending = self._pending.rpartition("\n")
            self._bar.clear()
            self._stream.write(lines + "\n")
            self._stream.flush()
            self._bar.refresh()
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def close_pending(self) -> None:
        if self._pending:
            self._bar.clear()
            self._stream.write(self._pending)
            self._stream.flush()
            self._pending = ""

    def __getattr__(self, name):
        return getattr(self._stream, name)


class _RankLines:
    """A text stream that starts every complete line with ``[rank N] `` (parallel runs:
    the launcher merges the ranks' output, the prefix says whose line it is)."""

    def __init__(self, stream, rank: int):
        self._stream, self._prefix, self._pending = stream, f"[rank {rank}] ", ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            *lines, self._pending = self._pending.split("\n")
            self._stream.write("".join(f"{self._prefix}{line}\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(self._prefix + self._pending)
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Progress:
    """A tqdm bar over the steps of domain 1 on a terminal; nothing otherwise.

    While the bar shows, Python-level writes to stdout/stderr (plugin
    messages) go above it.
    """

    def __init__(self, total: int, enabled: bool, desc: str = "comin run", unit: str = "step"):
        self.bar = None
        self._saved: Optional[tuple] = None
        if not enabled:
            return
        from tqdm import tqdm
        stderr = sys.stderr
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=stderr,
                        dynamic_ncols=True, leave=True)
        self._saved = (sys.stdout, sys.stderr)
        sys.stderr = _AroundBar(stderr, self.bar)
        if getattr(sys.stdout, "isatty", lambda: False)():
            sys.stdout = _AroundBar(sys.stdout, self.bar)

    def __call__(self, step: int) -> None:
        if self.bar is not None:
            self.bar.update(step - self.bar.n)

    def close(self) -> None:
        if self.bar is None:
            return
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _AroundBar):
                stream.close_pending()
        sys.stdout, sys.stderr = self._saved
        self.bar.close()
        self.bar = None


def summary_table(timings: Sequence[tuple], total: float, plugin_names: Sequence[str],
                  rows: int = SUMMARY_ROWS,
                  rest: str = "model, grids, comin, plugin loading") -> List[str]:
    """Lines of the time table: the ``rows`` costliest (plugin, entry point) pairs, the
    rest folded into one line, then per-plugin totals, all plugins, the rest of the run.

    ``timings``: :meth:`comin.host.Host.timings` entries ``(plugin, ep, calls, seconds)``;
    ``total``: seconds of the whole run; shares are of that.  The host's line is the
    rest: the model, grid generation or loading, comin itself and the plugins'
    primary constructors (script top levels, which the Host does not time);
    ``rest`` labels that line.
    """
    ranked = sorted(timings, key=lambda t: -t[3])
    width = max([len("plugin"), len("all plugins")] + [len(n) for n in plugin_names]
                + [len(t[0]) for t in timings])
    epw = max([len("entry point"), len(rest)] + [len(t[1]) for t in timings])
    total = max(total, 1e-12)

    def row(plugin, ep, calls, seconds, per_call=True):
        c = f"{calls:,}" if calls is not None else ""
        pc = f"{seconds / calls * 1e6:,.1f}" if per_call and calls else ""
        return (f"  {plugin:<{width}}  {ep:<{epw}}  {c:>9}  {seconds * 1e3:>11,.3f}  "
                f"{pc:>10}  {100.0 * seconds / total:>5.1f}%")

    lines = [f"  {'plugin':<{width}}  {'entry point':<{epw}}  {'calls':>9}  {'time [ms]':>11}  "
             f"{'us/call':>10}  {'share':>6}"]
    for plugin, ep, calls, seconds in ranked[:rows]:
        lines.append(row(plugin, ep, calls, seconds))
    folded = ranked[rows:]
    if folded:
        lines.append(row(f"({len(folded)} more)", "", sum(t[2] for t in folded),
                         sum(t[3] for t in folded), per_call=False))
    lines.append("  " + "-" * (len(lines[0]) - 2))
    in_plugins = sum(t[3] for t in timings)
    if len(plugin_names) > 1:
        for name in dict.fromkeys(plugin_names):
            mine = [t for t in timings if t[0] == name]
            lines.append(row(name, "all entry points", sum(t[2] for t in mine),
                             sum(t[3] for t in mine), per_call=False))
    lines.append(row("all plugins", "all entry points", sum(t[2] for t in timings), in_plugins,
                     per_call=False))
    lines.append(row("host", rest, None, max(total - in_plugins, 0.0)))
    lines.append(row("total", "", None, total))
    return lines


# -- the run ---------------------------------------------------------------------------

def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _say(text: str, command: str = "run") -> None:
    print(f"comin {command}: {text}", file=sys.stderr)


def _abort_if_parallel() -> None:
    """An error on one rank of a parallel run: report it with the rank and end the whole
    job (the other ranks would wait in the next collective step forever)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is None or not mpi.Is_initialized() or mpi.Is_finalized():
        return
    world = mpi.COMM_WORLD
    if world.Get_size() < 2:
        return
    import traceback
    sys.stdout.flush()
    traceback.print_exc()
    _say(f"rank {world.Get_rank()} of {world.Get_size()} failed (above); ending the MPI job")
    sys.stderr.flush()
    time.sleep(0.5)           # the launcher stops forwarding output once a rank aborts
    world.Abort(1)


def _ranks(emu) -> str:
    """", decomposed over N host ranks (rank 0's times)" for a parallel run, else ""."""
    comm = emu.communicator() if emu.domains else None
    n = comm.Get_size() if comm is not None else 1
    return f", decomposed over {n} host ranks (times of rank 0)" if n > 1 else ""


def _run(args) -> int:
    try:
        plugins = collect_plugins(args, allow_none=args.record is not None)
        record = recorder_plugin(args)
        cfg = make_config(args)
        make_directories(args)
    except BadInput as exc:
        _say(str(exc))
        return 2
    from comin import recorder
    from comin.emulator import Emulator

    if record is not None:
        plugins.append(record)

    emu = Emulator(plugins, cfg, host_kwargs={"profile": not args.no_summary})
    show_progress = (not args.no_progress and mpi_rank() == 0
                     and getattr(sys.stderr, "isatty", lambda: False)())
    t0 = time.perf_counter()
    saved_streams = (sys.stdout, sys.stderr)
    if launcher_size() > 1:         # plugin output carries the rank
        sys.stdout, sys.stderr = (_RankLines(s, mpi_rank()) for s in saved_streams)
    progress = Progress(emu.nsteps, show_progress)
    status = 0
    try:
        emu.run(progress=progress)
    except comin.ComInFinish as exc:
        status = 1
        failure = exc
    except KeyboardInterrupt:
        progress.close()
        _say("interrupted")
        return 130
    except Exception:
        _abort_if_parallel()
        raise
    finally:
        progress.close()
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _RankLines):
                stream.flush()
        sys.stdout, sys.stderr = saved_streams
    seconds = time.perf_counter() - t0
    rank0 = mpi_rank() == 0
    if args.write_grid is not None and rank0 and emu.domains:
        for jg, path in enumerate(emu.write_grids(args.write_grid), start=1):
            grid = emu.domains[jg].grid
            _say(f"wrote the grid of domain {jg} ({grid.ncells:,} cells) to {path}")
    if status:
        if failure.routine == recorder.ROUTINE:
            return 2            # bad --record options: the recorder's one line is above
        _say(f"the run was finished with an error by {failure.routine} (its message is above)")
        return status
    if not args.no_summary and rank0:
        names = [p.name for p in emu.host.plugins]
        head = (f"{_count(emu.nsteps, 'step')} of {cfg.dt:g} s on {cfg.grid}"
                f"{' with a nest' if cfg.nest else ''}{_ranks(emu)}, {_count(len(plugins), 'plugin')}, "
                f"{_count(emu.calls, 'entry point call')} in {seconds:.2f} s")
        lines = [f"comin run: {head}", "time per plugin and entry point, costliest first:"]
        lines += summary_table(emu.host.timings(), seconds, names)
        path = recorder.rank_file(args.record, 0) if args.record is not None else None
        if path is not None and os.path.isfile(path):
            lines.append(f"comin run: recorded {recorder.summary(path)}")
        print("\n".join(lines), file=sys.stderr)
    return 0


def _replay(args) -> int:
    def say(text):
        _say(text, "replay")

    try:
        plugins = collect_plugins(args, command="replay")
    except BadInput as exc:
        say(str(exc))
        return 2
    from comin.replay import ROUTINE, Replay, ReplayError
    try:
        rp = Replay(args.directory, plugins, verbosity=args.verbosity,
                    profile=not args.no_summary)
    except ReplayError as exc:
        say(str(exc))
        return 2
    rank0 = rp.rank == 0
    rec = rp.recording
    if rank0 and not rec.end:
        say(f"warning: {rec.path} is incomplete (the recorded run did not reach EP_DESTRUCTOR "
            f"or EP_FINISH); replaying its {_count(rp.ncalls, 'entry point call')}")
    show_progress = (not args.no_progress and rank0
                     and getattr(sys.stderr, "isatty", lambda: False)())
    t0 = time.perf_counter()
    progress = Progress(rp.ncalls, show_progress, desc="comin replay", unit="call")
    try:
        rp.run(progress=progress)
    except comin.ComInFinish as exc:
        progress.close()
        if exc.routine == ROUTINE:
            return 2            # the recording is damaged: the one line is above
        say(f"the run was finished with an error by {exc.routine} (its message is above)")
        return 1
    except KeyboardInterrupt:
        progress.close()
        say("interrupted")
        return 130
    finally:
        progress.close()
    seconds = time.perf_counter() - t0
    if rp.ended_by_finish:
        if rank0:
            say(f"the recorded run ended with an error (EP_FINISH at call {rp.calls}): "
                "replayed up to there")
        return 1
    if not args.no_summary and rank0:
        names = [p.name for p in rp.host.plugins]
        head = (f"{_count(rp.calls, 'entry point call')} and "
                f"{_count(rp.events, 'variable event')} from {rec.path}, "
                f"{_count(len(plugins), 'plugin')}, in {seconds:.2f} s")
        lines = [f"comin replay: {head}", "time per plugin and entry point, costliest first:"]
        lines += summary_table(rp.host.timings(), seconds, names,
                               rest="replay host, file, comin, plugin loading")
        print("\n".join(lines), file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """``comin ...``: returns the exit status (argparse's errors and --help included)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, run, replay = _build_parsers()
    try:
        if argv and argv[0] == "run":
            from comin.hosts.icon4py import run_command, strip_host
            host, rest = strip_host(argv[1:])
            if host == "icon4py":
                return run_command(rest)
            if host != "emulator":
                run.error(f"--host {host}: unknown host (choose emulator or icon4py)")
            # intermixed: options may come after plugins (comin run p.py --steps 3)
            return _run(run.parse_intermixed_args(rest))
        if argv and argv[0] == "doctor":
            from comin.doctor import main as doctor
            return doctor(argv[1:])
        if argv and argv[0] == "replay":
            return _replay(replay.parse_intermixed_args(argv[1:]))
        parser.parse_args(argv)          # --help, --version, unknown commands
        parser.print_help(sys.stderr)
        return 2
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)


if __name__ == "__main__":
    sys.exit(main())
