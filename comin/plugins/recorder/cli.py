"""``comin run --record DIR [--record-vars ...] [--record-eps ...]``: the recorder on the command line.

The options are parsed here, once, into :class:`~.options.RecordOptions`;
the recorder then runs as the last plugin with them (no options string to
parse again).  A variable the host does not expose is found by the recorder
in its secondary constructor; it ends the run with one line and ``comin
run`` exits with status 2 (:meth:`RecorderOptions.refused_input`), as for a
recorder loaded as a PLUGIN.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import List, Optional

from comin import _table
from comin._adapter import PYTHON_ADAPTER, PluginDescription
from comin.cli.base import BadInput
from comin.cli.extensions import PluginOptions
from comin.plugins.recorder.options import OptionError, RecordOptions, parse_eps, parse_vars

_MAX_LEN_OPTIONS = _table.all_constants()["COMIN_MAX_LEN_OPTIONS"]


def _refusals() -> int:
    """:attr:`Recorder.refusals` so far; 0 while the plugin module is not loaded (no recorder
    ran: ``comin run`` without ``--record`` does not import it)."""
    module = sys.modules.get("comin.plugins.recorder.recorder")
    return module.Recorder.refusals if module is not None else 0


class RecorderOptions(PluginOptions):
    """``--record``, ``--record-vars``, ``--record-eps`` of ``comin run``."""

    commands = ("run",)

    def __init__(self):
        self._refusals = _refusals()           # a refusal after this one is this run's

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        rec = parser.add_argument_group("record (replay with 'comin replay DIR PLUGIN...')")
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

    def wanted(self, args: argparse.Namespace) -> bool:
        return args.record is not None

    def options(self, args: argparse.Namespace) -> Optional[RecordOptions]:
        """The recorder's options from the command line (None without --record); BadInput."""
        if args.record is None:
            for option, value in (("--record-vars", args.record_vars),
                                  ("--record-eps", args.record_eps)):
                if value is not None:
                    raise BadInput(f"{option} chooses what --record records: add --record DIR")
            return None
        try:
            names = parse_vars(args.record_vars) if args.record_vars is not None else None
        except OptionError as exc:
            raise BadInput(f"--record-vars {args.record_vars!r}: {exc}") from None
        try:
            eps = parse_eps(args.record_eps) if args.record_eps is not None else RecordOptions.eps
        except OptionError as exc:
            raise BadInput(f"--record-eps {args.record_eps!r}: {exc}") from None
        return RecordOptions(args.record, names, eps)

    def plugin(self, args: argparse.Namespace) -> Optional[PluginDescription]:
        """The recorder as a plugin: its constructor gets the parsed options; its options string
        is what a namelist would give it (within ComIn's length limit, as there)."""
        from comin.plugins.recorder import SCRIPT
        opts = self.options(args)
        if opts is None:
            return None
        text = " ".join(shlex.quote(w) for w in [SCRIPT, *opts.arguments()])
        if len(text) > _MAX_LEN_OPTIONS:
            raise BadInput(f"the recorder's options are longer than ComIn's "
                           f"{_MAX_LEN_OPTIONS} characters ({text!r}): use a shorter "
                           "--record path or fewer --record-vars")

        def constructor() -> None:          # the primary constructor, with the parsed options
            from comin.plugins.recorder import Recorder
            Recorder(opts).start_plugin()

        return PluginDescription(name="comin_recorder", plugin_library=PYTHON_ADAPTER,
                                 options=text, constructor=constructor)

    def directories(self, args: argparse.Namespace):
        return [("--record", args.record)]

    def refused_input(self, failure) -> bool:
        """Whether a recorder of this run (``--record``, or loaded as a PLUGIN) refused its
        input."""
        return _refusals() > self._refusals

    def report(self, args: argparse.Namespace) -> List[str]:
        if args.record is None:
            return []
        from comin.plugins.recorder import rank_file, summary
        from comin.record_format import FormatError
        path = rank_file(args.record, 0)
        if not os.path.isfile(path):
            return []
        try:
            return [f"comin run: recorded {summary(path)}"]
        except FormatError as exc:
            return [f"comin run: {exc}"]


OPTIONS = RecorderOptions
