"""Command line of comin: ``comin run [options] PLUGIN...`` (also ``python -m comin``)."""
from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional

import comin

_RUN_EPILOG = """\
PLUGIN is a Python plugin script with its arguments, in one quoted string,
exactly as ComIn's Python adapter takes its options:

  comin run "examples/simple_python_plugin.py --hello=world 'argument with spaces'"

Several plugins run in the order given; each sees itself as the current plugin.
Exit status: 0 when the run and every plugin succeeded, 1 when a plugin (or
the model) finished the run with an error, 2 for bad command-line input.
"""


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def _non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="comin", description="comin: the ICON Community Interface (ComIn 0.3) for Python.")
    parser.add_argument("--version", action="version",
                        version=f"comin {comin.__version__} (ComIn {'.'.join(map(str, comin.setup_get_version()))})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run", help="run plugins in the built-in emulator host",
        description="Run ComIn plugins inside the built-in emulator host: a small model "
                    "that calls every ICON entry point in ICON's order, with descriptive "
                    "data, prognostic fields and tracers that change every time step.",
        epilog=_RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("plugins", nargs="+", metavar="PLUGIN",
                     help='a plugin: "script.py [args...]" in one quoted string')
    model = run.add_argument_group("model options")
    model.add_argument("--grid", default="R2B4",
                       help="ICON grid of domain 1, RnBk (default: %(default)s)")
    model.add_argument("--nest", action="store_true",
                       help="add domain 2: a limited-area grid one bisection finer")
    model.add_argument("--nproma", type=_positive(int), default=32,
                       help="block length of ICON's (nproma, nblks) layout (default: %(default)s)")
    model.add_argument("--nlev", type=_positive(int), default=20,
                       help="number of full vertical levels (default: %(default)s)")
    model.add_argument("--steps", type=_non_negative, default=None,
                       help="number of time steps (default: 6, or up to --end)")
    model.add_argument("--end", default=None, help="end date and time, ISO 8601 (instead of --steps)")
    model.add_argument("--dt", type=_positive(float), default=600.0,
                       help="time step of domain 1 in seconds; the nest uses dt/2 (default: %(default)s)")
    model.add_argument("--start", default="2026-01-01T00:00:00",
                       help="start date and time, ISO 8601 (default: %(default)s)")
    model.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    run.add_argument("-v", "--verbosity", type=int, default=0,
                     help="ComIn verbosity level; 13 prints every message (default: %(default)s)")
    return parser


def _run(args) -> int:
    from comin.emulator import Config, Emulator

    for spec in args.plugins:
        first = spec.split()[0] if spec.split() else ""
        if not first.endswith(".py"):
            print(f"comin run: plugin {spec!r}: only Python plugin scripts (*.py) are supported "
                  "so far", file=sys.stderr)
            return 2
    cfg = Config(grid=args.grid, nest=args.nest, nproma=args.nproma, nlev=args.nlev,
                 steps=args.steps, end=args.end, dt=args.dt, start=args.start, seed=args.seed,
                 verbosity=args.verbosity)
    problems = cfg.problems()
    if problems:
        for p in problems:
            print(f"comin run: {p}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    emu = Emulator(args.plugins, cfg)
    try:
        emu.run()
    except comin.ComInFinish as exc:
        print(f"comin run: the run was finished with an error: {exc.code}", file=sys.stderr)
        return 1
    print(f"comin run: {emu.nsteps} steps, {cfg.n_dom} domain(s), {len(args.plugins)} plugin(s), "
          f"{emu.calls} entry point calls in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
