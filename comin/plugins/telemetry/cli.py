"""``comin run/replay --telemetry [ADDR:]PORT [--telemetry-vars NAME,...]``: the exporter on the command line.

The options are checked here before anything runs (address, variable names,
ComIn's options length); the plugin then runs after the user's plugins.  A
variable the host does not expose is found by the plugin in its secondary
constructor: it ends the run with one line and the command exits with
status 2 (:meth:`TelemetryOptions.refused_input`).
"""
from __future__ import annotations

import argparse
from typing import Optional

from comin._adapter import PluginDescription
from comin.cli.base import BadInput
from comin.cli.extensions import PluginOptions
from comin.plugins import telemetry


class TelemetryOptions(PluginOptions):
    """``--telemetry`` and ``--telemetry-vars`` of ``comin run`` and ``comin replay``."""

    commands = ("run", "replay")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        telemetry.add_arguments(parser.add_argument_group("telemetry (Prometheus, live page)"))

    def wanted(self, args: argparse.Namespace) -> bool:
        return args.telemetry is not None

    def plugin(self, args: argparse.Namespace) -> Optional[PluginDescription]:
        try:
            return telemetry.plugin_description(args)
        except telemetry.OptionError as exc:
            raise BadInput(str(exc)) from None

    def needs_profile(self, args: argparse.Namespace) -> bool:
        return args.telemetry is not None     # the entry-point series are the summary's timings

    def refused_input(self, failure) -> bool:
        return getattr(failure, "routine", None) == telemetry.ROUTINE


OPTIONS = TelemetryOptions
