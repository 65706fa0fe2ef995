"""The command line of comin: ``comin COMMAND ...`` and ``comin-config``.

One module per command, each with ``add_parser(sub, argv)`` (its argparse
sub-command) and ``run(args)`` (its exit status):

* :mod:`comin.cli.run`     ``comin run``: plugins in a host (the emulator by default)
* :mod:`comin.cli.doctor`  ``comin doctor``: what a C/Fortran host embedding comin uses
* :mod:`comin.cli.replay`  ``comin replay``: a recording played back to plugins
* :mod:`comin.cli.plugin_path`  ``comin plugin-path``: where a shipped plugin's script is
* :mod:`comin.cli.config`  ``comin-config``: flags to build C/Fortran plugins

and what they share: :mod:`.base` (parser, bad input, messages), :mod:`.plugins`
(the PLUGIN arguments), :mod:`.output` (progress, summary table),
:mod:`.extensions` (how hosts and shipped plugins add themselves).
"""
from __future__ import annotations

import importlib
import sys
from typing import List, Optional, Sequence

import comin
from comin.cli.base import CommandParser

#: the commands, in the order ``comin --help`` lists them (modules of this package)
COMMANDS = ("run", "doctor", "replay", "plugin_path")


def build_parser(argv: Sequence[str] = ()) -> CommandParser:
    """The ``comin`` parser with its sub-commands (``argv`` picks the host of ``comin run``,
    whose options depend on it)."""
    parser = CommandParser(
        prog="comin", description="comin: the ICON Community Interface (ComIn 0.3) for Python.",
        epilog="Run 'comin run --help' or 'comin replay --help' for their options.")
    parser.add_argument("--version", action="version",
                        version=f"comin {comin.__version__} "
                                f"(ComIn {'.'.join(map(str, comin.setup_get_version()))})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name in _commands_needed(argv):
        importlib.import_module(f"comin.cli.{name}").add_parser(sub, argv)
    return parser


def _commands_needed(argv: Sequence[str]) -> Sequence[str]:
    """The command modules whose parsers ``argv`` needs: only the one it names (each module
    imports what its command runs: the hosts, the shipped plugins' options; building every
    parser cost ``comin run`` ~40 ms at each start), or all of them (``comin``, ``comin
    --help``, a misspelt command: the list of commands and argparse's suggestions)."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None or any(a in ("-h", "--help", "--version") for a in argv[:argv.index(first)]):
        return COMMANDS
    name = first.replace("-", "_")
    return (name,) if name in COMMANDS else COMMANDS


def main(argv: Optional[List[str]] = None) -> int:
    """``comin ...``: returns the exit status (argparse's errors and --help included)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return args.execute(args)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
