"""``comin plugin-path NAME``: the path of a plugin shipped with comin (:mod:`comin.plugins`)."""
from __future__ import annotations

import argparse
import sys

NAME = "plugin-path"
HELP = "print the path of a plugin shipped with comin, for hosts that load plugins by path"


def add_parser(sub, argv=()) -> argparse.ArgumentParser:
    from comin.plugins import available
    p = sub.add_parser(
        NAME, help=HELP,
        description="Print the path of a plugin shipped with comin, for hosts that load plugins "
                    "by path (ICON's &comin_nml: plugin_library = \"libpython_adapter.so\", "
                    "options = \"<path> <options>\").")
    p.add_argument("name", metavar="NAME", help="the plugin: " + ", ".join(available()))
    p.set_defaults(execute=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the path (exit 0), or one line naming the problem (exit 2)."""
    from comin.plugins import plugin_path
    try:
        print(plugin_path(args.name))
    except KeyError as exc:
        print(f"comin plugin-path: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0
