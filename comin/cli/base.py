"""What every command of the command line shares: its parser, bad input, its messages."""
from __future__ import annotations

import argparse
import sys


class BadInput(Exception):
    """Input that cannot run; the message is the one line the user sees (exit status 2)."""


class CommandParser(argparse.ArgumentParser):
    """argparse with one-line errors (``comin run: PROBLEM (see 'comin run --help')``) whose
    options may come after the positional arguments (``comin run p.py --steps 3 q.py``:
    argparse's intermixed parsing, also when argparse calls it as a sub-command)."""

    _intermixing = False

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixing or not self._has_positionals():
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            parsed, extras = self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False
        if extras:       # a sub-command's leftovers are its own error, not its parent's
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def _has_positionals(self) -> bool:
        return any(not a.option_strings and a.nargs != argparse.PARSER for a in self._actions)


def say(command: str, text: str) -> None:
    """One line of a command on stderr: ``comin COMMAND: TEXT``."""
    print(f"comin {command}: {text}", file=sys.stderr)


def count(n: int, what: str) -> str:
    """``"1 step"``, ``"1,200 steps"``."""
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def on_terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())
