"""The recorder's options: ``DIR [--vars NAME,NAME...] [--eps EP_NAME,EP_NAME...]``.

Parsed once, wherever they come from: from the plugin's arguments when a host
loads the recorder as a script (:func:`parse_options`), or from ``comin run
--record DIR --record-vars ... --record-eps ...`` (:func:`parse_vars`,
:func:`parse_eps`).  Bad options raise :class:`OptionError` (one line).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from comin import _table

#: Default entry point of the variable values.
DEFAULT_EPS = ("EP_ATM_WRITE_OUTPUT_BEFORE",)

EP_IDS = {name: i for i, name in enumerate(_table.ENTRY_POINTS, start=1)}
EP_NAMES = {i: name for name, i in EP_IDS.items()}
_MAX_LEN_VAR_NAME = _table.all_constants()["COMIN_MAX_LEN_VAR_NAME"]


@dataclass(frozen=True)
class RecordOptions:
    """What to record: the directory, the variables (None: the default choice) and the entry
    points of their values (ids)."""

    directory: str
    vars: Optional[Tuple[str, ...]] = None
    eps: Tuple[int, ...] = tuple(EP_IDS[n] for n in DEFAULT_EPS)

    def arguments(self) -> List[str]:
        """The plugin arguments that give these options (the inverse of :func:`parse_options`)."""
        words = [self.directory]
        if self.vars is not None:
            words += ["--vars", ",".join(self.vars)]
        if self.eps != RecordOptions.eps:
            words += ["--eps", ",".join(EP_NAMES[ep] for ep in self.eps)]
        return words


class OptionError(ValueError):
    """Bad recorder options (the message is one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise OptionError(message)


def _words(text: str, what: str, convert) -> tuple:
    """The comma- or space-separated words of ``text``, each ``convert``-ed (OptionError for
    a bad one), without repeats; at least one."""
    out = []
    for word in filter(None, text.replace(" ", ",").split(",")):
        item = convert(word)
        if item not in out:
            out.append(item)
    if not out:
        raise OptionError(f"no {what} given")
    return tuple(out)


def _ep_id(word: str) -> int:
    name = word.upper()
    if not name.startswith("EP_"):
        name = "EP_" + name
    if name not in EP_IDS:
        raise OptionError(f"unknown entry point {word!r} (entry points are named like "
                          "EP_ATM_WRITE_OUTPUT_BEFORE)")
    if name == "EP_FINISH":
        raise OptionError("variables cannot be recorded at EP_FINISH (the error path); "
                          "choose another entry point")
    return EP_IDS[name]


def _var_name(word: str) -> str:
    if len(word) > _MAX_LEN_VAR_NAME:
        raise OptionError(f"variable name longer than {_MAX_LEN_VAR_NAME} characters: {word!r}")
    return word


def parse_eps(text: str) -> Tuple[int, ...]:
    """``"EP_A,ATM_TIMELOOP_END"`` -> entry point ids (EP_ prefix and case optional)."""
    return _words(text, "entry point", _ep_id)


def parse_vars(text: str) -> Tuple[str, ...]:
    """``"temp,pres"`` -> names (checked: non-empty, at most ComIn's 64 characters)."""
    return _words(text, "variable name", _var_name)


def parse_options(args: Sequence[str]) -> RecordOptions:
    """The recorder's options from its plugin arguments; :class:`OptionError` for bad ones."""
    p = _Parser(prog="comin/recorder.py", add_help=False)
    p.add_argument("directory")
    p.add_argument("--vars", type=str, default=None)
    p.add_argument("--eps", type=str, default=None)
    opts = p.parse_args(list(args))
    return RecordOptions(opts.directory,
                         parse_vars(opts.vars) if opts.vars is not None else None,
                         parse_eps(opts.eps) if opts.eps is not None else RecordOptions.eps)
