"""How hosts and shipped plugins join the command line: ``comin run --host NAME`` and plugin options.

Two seams, each a small class and one line in a registry below:

* a **host** that ``comin run`` can drive implements :class:`HostCommand` in
  its package's ``cli.py`` and is listed in :data:`HOSTS`: it adds its model
  options, checks them and starts a run (:class:`HostRun`).  ``comin run
  --host NAME`` picks it; the emulator is the default.  A host this
  interpreter cannot run (icon4py needs a Python of its own) hands the
  whole command over to another one once its input is checked
  (:meth:`HostCommand.hand_over`).
* a **plugin shipped with comin** that ``comin run`` (or ``comin replay``)
  loads for the user implements :class:`PluginOptions` in its package's
  ``cli.py`` and is listed in :data:`PLUGIN_OPTIONS`: it adds its options
  (``--record DIR ...``), turns them into a plugin (parsed once, there) and
  says afterwards whether the run failed on its input.

Registries name modules, imported when the command line is built, so adding
a host or a plugin touches no command's code.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from comin._adapter import PluginDescription

#: hosts of ``comin run --host NAME``: name -> module whose ``HOST`` is a HostCommand
HOSTS: Dict[str, str] = {
    "emulator": "comin.hosts.emulator.cli",
    "icon4py": "comin.hosts.icon4py.cli",
}
#: the host of ``comin run`` without ``--host``
DEFAULT_HOST = "emulator"
#: modules whose ``OPTIONS`` is a PluginOptions subclass (made afresh for every command
#: line), in the order their plugins run (after the user's)
PLUGIN_OPTIONS: Tuple[str, ...] = (
    "comin.plugins.telemetry.cli",
    "comin.plugins.recorder.cli",
)

#: (option, path) pairs: directories a command checks, then creates, before it runs
Directories = Sequence[Tuple[str, Optional[str]]]


class HostRun:
    """One run of a host, made by :meth:`HostCommand.start` (the run has not started yet)."""

    #: the :class:`comin.host.Host` of the run (plugins, timings)
    host = None
    #: length of the run for the progress bar, and its unit
    total: int = 0
    unit: str = "step"
    #: what the summary calls the time outside the plugins
    rest: str = "model, grids, comin, plugin loading"

    def run(self, progress: Callable[[int], None]) -> None:
        """Run the plugins through the whole model run (``progress(i)`` now and then)."""
        raise NotImplementedError

    def headline(self, seconds: float, nplugins: int) -> str:
        """The first line of the summary: what ran, in how long."""
        raise NotImplementedError

    def details(self, seconds: float) -> List[str]:
        """Lines of the summary after the headline (each printed as ``comin run: LINE``)."""
        return []

    def after(self, args: argparse.Namespace, say: Callable[[str], None]) -> None:
        """After a run that ended (well or with an error), on every rank: e.g. write files."""


class HostCommand:
    """A host that ``comin run`` drives (``comin run --host NAME``)."""

    #: its name after ``--host``, and one line of help
    name: str = ""
    help: str = ""
    #: ``comin run --help``'s description and epilog while this host is chosen
    description: str = ""
    epilog: str = ""
    #: whether it can be a YAC host as ICON is when it couples (``comin run`` offers
    #: ``--yac``/``--no-yac`` only then; otherwise ``args.yac`` is None)
    yac: bool = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Its model options (argument groups of ``parser``)."""

    def add_output_arguments(self, output) -> None:
        """Its output options (into ``comin run``'s output group)."""

    def configure(self, args: argparse.Namespace):
        """Its configuration from the options; :class:`comin.cli.base.BadInput` naming every
        problem.  Nothing is built yet."""
        return None

    def directories(self, args: argparse.Namespace) -> Directories:
        """Directories its options name (checked, then created, before the run)."""
        return ()

    def hand_over(self, args: argparse.Namespace) -> Optional[int]:
        """Run the whole command somewhere else instead of here: its exit status, or None
        (the default) to run it in this process.

        The seam for a host that needs another interpreter than the one running
        ``comin`` (the icon4py host needs Python >= 3.12 and its own virtual
        environment).  ``comin run`` calls it after every check of the input
        (plugins, :meth:`configure`, the directories) and before anything is
        created, loaded or started, so bad input is refused here, in one line,
        and the other interpreter only ever gets a command that passed.
        ``args.argv`` is the command line after ``run`` as the user typed it,
        to pass on unchanged (the other side parses and checks it again).  The
        status returned becomes the command's; an implementation may also
        replace this process (``os.exec*``) and not return.  It raises
        :class:`comin.cli.base.BadInput` when it cannot hand over (exit status 2).
        """
        return None

    def start(self, args: argparse.Namespace, config, plugins: List[PluginDescription],
              profile: bool) -> HostRun:
        """Build the run (``profile``: time plugins for the summary)."""
        raise NotImplementedError


class PluginOptions:
    """Options of ``comin run``/``comin replay`` that load a plugin shipped with comin."""

    #: the commands that offer these options
    commands: Tuple[str, ...] = ("run",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Its options (an argument group of ``parser``)."""

    def wanted(self, args: argparse.Namespace) -> bool:
        """Whether the options ask for the plugin (then a run needs no other plugin)."""
        return False

    def plugin(self, args: argparse.Namespace) -> Optional[PluginDescription]:
        """The plugin its options ask for (None: not asked for); BadInput for bad options."""
        return None

    def directories(self, args: argparse.Namespace) -> Directories:
        """Directories its options name (checked, then created, before the run)."""
        return ()

    def needs_profile(self, args: argparse.Namespace) -> bool:
        """Whether the plugin reads the host's timings (the host profiles even with
        ``--no-summary``)."""
        return False

    def refused_input(self, failure) -> bool:
        """Whether the run ended because the plugin refused its input (exit status 2; the
        plugin printed the line); ``failure`` is the run's :class:`comin.ComInFinish`."""
        return False

    def report(self, args: argparse.Namespace) -> List[str]:
        """Lines for the summary after a successful run (rank 0)."""
        return []


def host_command(name: str) -> HostCommand:
    return importlib.import_module(HOSTS[name]).HOST


def plugin_options(command: str) -> List[PluginOptions]:
    """Fresh option handlers of the shipped plugins that ``command`` offers."""
    found = (importlib.import_module(m).OPTIONS() for m in PLUGIN_OPTIONS)
    return [o for o in found if command in o.commands]
