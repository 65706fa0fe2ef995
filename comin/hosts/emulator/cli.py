"""The emulator as ``comin run``'s host (``comin run --host emulator``, the default).

Its options are the model's (``--grid RnBk|FILE.nc``, ``--nest [FILE.nc]``,
``--steps``, ...) and where its grids go (``--write-grid``, ``--cache-dir``);
everything is checked before a grid is made (:meth:`EmulatorCommand.configure`).
"""
from __future__ import annotations

import argparse
from typing import List, Tuple

from comin.cli.base import BadInput, count
from comin.hosts.emulator.grids.domains import is_grid_file
from comin.cli.extensions import HostCommand, HostRun
from comin.parallel import world_rank

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
  by its options: comin run "./libmy_plugin.so some options".  Its primary
  constructor is comin_main, as ComIn's default; another one follows the
  library in parentheses, as in ComIn's default plugin names:
  comin run "./libmy_plugin.so(my_setup) some options".

  --namelist FILE reads the plugin list of ICON's &comin_nml instead (or as
  well: the namelist's plugins come first, then the PLUGIN arguments):

    &comin_nml
      plugin_list(1)%name           = "simple"
      plugin_list(1)%plugin_library = "libpython_adapter.so"
      plugin_list(1)%options        = "examples/simple_python_plugin.py --hello=world"
      plugin_list(1)%comm           = "simple_comm"
    /

  plugin_library = "libpython_adapter.so" means a Python plugin whose script
  (and its arguments) is the options string, as in ICON; any other library is
  a C or Fortran plugin, opened with dlopen, whose primary constructor is
  plugin_list(i)%primary_constructor (default comin_main).  Plugins run in the
  order given; each sees itself as the current plugin.

grids:
  --grid RnBk makes ICON's global grid here (cached); --grid FILE.nc reads an
  ICON grid file, global or limited-area (a limited-area domain 1 takes its
  lateral boundary rows from the analytic state, as ICON's LAM takes them from
  boundary data).  --nest alone adds a nest made here around --nest-center;
  --nest FILE.nc adds the nest of that grid file (repeatable: one domain per
  file, in order), whose parent is the domain its uuidOfParHGrid names.  Nests
  are one-way: their boundary rows take the parent's state every step.
  --write-grid DIR writes every domain's grid as ICON grid files that --grid
  and --nest read back.

examples:
  comin run my_plugin.py                        R2B4 grid, 6 steps of 600 s
  comin run --grid R2B5 --nest --steps 36 "my_plugin.py --x=1"
  comin run --nest --nest-center=-60,-15 --nest-radius 20 my_plugin.py
  comin run --grid icon_grid_R02B05_G.nc --nest nest_DOM01.nc --nest nest_DOM02.nc my_plugin.py
  comin run --grid lam_R02B07.nc --steps 12 my_plugin.py          limited-area domain 1
  comin run --start 2026-07-01T00:00 --end 2026-07-02T00:00 --dt 900 my_plugin.py
  comin run --namelist icon_master.namelist --write-grid grids/
  mpiexec -n 4 comin run --no-progress my_plugin.py
  comin run --record rec/ --nest --steps 3 my_plugin.py   record it; then: comin replay rec/ my_plugin.py
  comin run --record rec/ --record-vars temp,pres --record-eps EP_ATM_TIMELOOP_END

exit status:
  0  the run and every plugin succeeded
  1  a plugin (or the model) finished the run with an error
  2  bad input: unknown option, missing or invalid plugin script, invalid
     namelist, impossible grid, nproma, level count or dates, a grid file
     that cannot be used (one line naming the file and the variable), a --record
     directory that cannot be written, an unknown --record-eps entry point or
     --record-vars variable, a plugin that imports yac where YAC cannot be used
"""


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


class _NestAction(argparse.Action):
    """``--nest`` (a nest made here) or ``--nest FILE.nc`` (a nest grid file), repeatable:
    the values in order, None for a nest made here."""

    def __call__(self, parser, namespace, values, option_string=None):
        from comin.hosts.emulator.grids.domains import is_grid_file
        if values and not is_grid_file(values):
            raise argparse.ArgumentError(
                self, f"expected a nest grid file FILE.nc, got {values!r} (a nest made here: "
                      "--nest alone before another option or at the end, or --nest=)")
        items = list(getattr(namespace, self.dest) or [])
        items.append(values or None)
        setattr(namespace, self.dest, items)


def _defaults() -> dict:
    from dataclasses import fields

    from comin.hosts.emulator.config import Config
    return {f.name: f.default for f in fields(Config)}


class EmulatorRun(HostRun):
    """One ``comin run`` of the emulator."""

    def __init__(self, emulator, config):
        self.emulator, self.config = emulator, config
        self.host = emulator.host
        self.total = emulator.nsteps

    def run(self, progress) -> None:
        self.emulator.run(progress=progress)

    def headline(self, seconds: float, nplugins: int) -> str:
        emu, cfg = self.emulator, self.config
        nests = cfg.n_dom - 1
        return (f"{count(emu.nsteps, 'step')} of {cfg.dt:g} s on {cfg.grid}"
                f"{' with a nest' if nests == 1 else ' with ' + count(nests, 'nest') if nests else ''}"
                f"{self._ranks()}, "
                f"{count(nplugins, 'plugin')}, "
                f"{count(emu.calls, 'entry point call')} in {seconds:.2f} s")

    def _ranks(self) -> str:
        """", decomposed over N host ranks (rank 0's times)" for a parallel run, else ""."""
        emu = self.emulator
        comm = emu.communicator() if emu.domains else None
        n = comm.Get_size() if comm is not None else 1
        return f", decomposed over {n} host ranks (times of rank 0)" if n > 1 else ""

    def after(self, args: argparse.Namespace, say) -> None:
        emu = self.emulator
        if args.write_grid is not None and world_rank() == 0 and emu.domains:
            for jg, path in enumerate(emu.write_grids(args.write_grid), start=1):
                grid = emu.domains[jg].global_grid
                say(f"wrote the grid of domain {jg} ({grid.ncells:,} cells) to {path}")


class EmulatorCommand(HostCommand):
    """The emulator host on the command line."""

    name = "emulator"
    help = "the built-in emulator of ICON's atmosphere (default)"
    description = _RUN_DESCRIPTION
    epilog = _RUN_EPILOG

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        d = _defaults()
        model = parser.add_argument_group("model")
        model.add_argument("--grid", metavar="RnBk|FILE.nc", default=d["grid"],
                           help="ICON grid of domain 1: the global grid with root division n and "
                                "k bisections, 20*n*n*4**k cells (R2B4: 20480 cells, about 160 km; "
                                "default: %(default)s), or an ICON grid file, global or "
                                "limited-area")
        model.add_argument("--nest", metavar="FILE.nc", nargs="?", action=_NestAction, default=None,
                           help="add a nest: alone, a limited-area grid made here one bisection "
                                "finer than domain 1 (domain 2); with a grid file, the nest of "
                                "that file (repeatable, in order; its parent is the domain its "
                                "uuidOfParHGrid names).  A nest takes two steps of half its "
                                "parent's time step per step of its parent")
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

    def add_output_arguments(self, output) -> None:
        d = _defaults()
        output.add_argument("--write-grid", metavar="DIR", default=None,
                            help="write every domain's grid as an ICON grid NetCDF file "
                                 "(ICON's variable names) into DIR")
        output.add_argument("--cache-dir", metavar="DIR", default=d["cache_dir"],
                            help="where generated grids are cached (default: $COMIN_CACHE_DIR, "
                                 "else $XDG_CACHE_HOME/comin/grids or ~/.cache/comin/grids)")

    def configure(self, args: argparse.Namespace):
        """The emulator's Config from the options; BadInput naming every problem."""
        from comin.hosts.emulator import Config
        d = _defaults()
        nests = args.nest or []
        made = sum(1 for n in nests if n is None)
        if made > 1:
            raise BadInput("--nest without a file adds the one nest made here: give it once")
        if not made and (args.nest_center is not None or args.nest_radius is not None):
            given = "--nest-center" if args.nest_center is not None else "--nest-radius"
            raise BadInput(f"{given} places the nest: add --nest")
        cfg = Config(grid=args.grid, nest=bool(made), nest_files=tuple(n for n in nests if n),
                     nest_center=args.nest_center if args.nest_center is not None else d["nest_center"],
                     nest_radius=args.nest_radius if args.nest_radius is not None else d["nest_radius"],
                     nproma=args.nproma, nlev=args.nlev, steps=args.steps, end=args.end,
                     dt=args.dt, start=args.start, seed=args.seed, verbosity=args.verbosity,
                     cache_dir=args.cache_dir, yac=args.yac)
        problems = cfg.problems()
        if problems:
            raise BadInput("; ".join(problems))
        self._domains = None
        if cfg.nest_files or is_grid_file(cfg.grid):
            # reading the grid files is checking them: a bad file is one line, exit 2
            from comin.hosts.emulator.grids.domains import build_domains
            from comin.hosts.emulator.grids.netcdf import GridFileError
            try:
                self._domains = (cfg, build_domains(cfg.grid, cfg.nest, cfg.nest_center,
                                                    cfg.nest_radius, cfg.nest_files, cfg.cache_dir))
            except GridFileError as exc:
                raise BadInput(str(exc)) from None
        return cfg

    def directories(self, args: argparse.Namespace) -> List[Tuple[str, str]]:
        return [("--write-grid", args.write_grid), ("--cache-dir", args.cache_dir)]

    def start(self, args, config, plugins, profile: bool) -> EmulatorRun:
        from comin.hosts.emulator import Emulator
        emu = Emulator(plugins, config, host_kwargs={"profile": profile})
        if getattr(self, "_domains", None) and self._domains[0] is config:
            emu._domains = self._domains[1]            # read (and checked) by configure
        return EmulatorRun(emu, config)


HOST = EmulatorCommand()
