"""``comin run [--host NAME] [options] PLUGIN...``: run ComIn plugins in a host.

The host is the built-in emulator (:mod:`comin.hosts.emulator`) unless
``--host`` names another one (:data:`comin.cli.extensions.HOSTS`); it adds its
own options, and may hand the checked command over to another interpreter
(:meth:`comin.cli.extensions.HostCommand.hand_over`).  Shipped plugins add theirs (``--record DIR``,
:data:`comin.cli.extensions.PLUGIN_OPTIONS`) and run after the user's.
Everything the user typed is checked before the model is built: a typo in a
plugin path or an impossible grid costs no grid generation, and bad input
gets one line on stderr naming the problem (exit status 2), never a
traceback.  A run that a plugin or the model finishes with an error exits
with 1.

On a terminal a progress bar shows the steps of domain 1; at the end a table
of the time spent per plugin and entry point goes to stderr.  Under MPI only
rank 0 prints them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Sequence

import comin
from comin.cli import extensions
from comin.cli.base import BadInput, on_terminal, say
from comin.cli.output import Progress, RankLines, add_output_args, summary_table
from comin.cli.plugins import add_plugin_args, collect_plugins
from comin.hosts.yac import YacUnavailable, add_option as add_yac_option
from comin.parallel import abort_world, initialised_world, launcher_size, world_rank

NAME = "run"
HELP = ("run plugins in the built-in emulator host (ICON's atmosphere in small), or in "
        "another host (--host icon4py)")


def chosen_host(argv: Sequence[str]) -> str:
    """The ``--host`` of a command line (its options depend on it), else the default."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--host", default=extensions.DEFAULT_HOST)
    name = pre.parse_known_args(list(argv))[0].host
    return name if name in extensions.HOSTS else extensions.DEFAULT_HOST


def run_arguments(argv: Sequence[str]) -> List[str]:
    """The arguments after ``run`` in a ``comin`` command line (``comin``'s own options
    come before the command, so the first ``run`` is the command)."""
    argv = list(argv)
    return argv[argv.index(NAME) + 1:] if NAME in argv else []


def add_parser(sub, argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """``comin run``'s parser, with the options of the host ``argv`` chooses (``argv``: the
    whole ``comin`` command line; ``args.argv`` keeps what follows ``run``, for a host that
    hands the command over)."""
    host = extensions.host_command(chosen_host(argv))
    p = sub.add_parser(NAME, help=HELP, description=host.description, epilog=host.epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_plugin_args(p)
    p.add_argument("--host", metavar="NAME", choices=sorted(extensions.HOSTS),
                   default=extensions.DEFAULT_HOST,
                   help="the host that runs the plugins: "
                        + "; ".join(f"{name}: {extensions.host_command(name).help}"
                                    for name in sorted(extensions.HOSTS)))
    host.add_arguments(p)
    if host.yac:
        add_yac_option(p.add_argument_group("coupling"))
    out = p.add_argument_group("output")
    add_output_args(out)
    host.add_output_arguments(out)
    options = extensions.plugin_options(NAME)
    for o in options:
        o.add_arguments(p)
    p.set_defaults(execute=run, host_command=host, plugin_options=options, yac=None,
                   argv=run_arguments(argv))
    return p


def check_directories(dirs: extensions.Directories) -> None:
    """Every named directory that exists is a directory; else BadInput."""
    for option, path in dirs:
        if path is not None and os.path.exists(path) and not os.path.isdir(path):
            raise BadInput(f"{option} {path}: exists and is not a directory")


def make_directories(dirs: extensions.Directories) -> None:
    """Create the named directories (after every other check); BadInput when one cannot be."""
    for option, path in dirs:
        if path is None:
            continue
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"{option} {path}: cannot create the directory: "
                           f"{exc.strerror}") from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise BadInput(f"{option} {path}: the directory is not writable")


def _abort_if_parallel() -> None:
    """An error on one rank of a parallel run: report it with the rank and end the whole
    job (the other ranks would wait in the next collective step forever)."""
    world = initialised_world()
    if world is None or world.Get_size() < 2:
        return
    import traceback
    sys.stdout.flush()
    traceback.print_exc()
    abort_world(f"comin run: rank {world.Get_rank()} of {world.Get_size()} failed (above); "
                "ending the MPI job")


def run(args: argparse.Namespace) -> int:
    """``comin run``: returns the exit status."""
    host: extensions.HostCommand = args.host_command
    extras: List[extensions.PluginOptions] = args.plugin_options
    try:
        plugins = collect_plugins(args, allow_none=any(o.wanted(args) for o in extras))
        plugins += [p for p in (o.plugin(args) for o in extras) if p is not None]
        config = host.configure(args)
        dirs = [*host.directories(args), *(d for o in extras for d in o.directories(args))]
        check_directories(dirs)
        handed_over = host.hand_over(args)
        if handed_over is not None:
            return handed_over
        make_directories(dirs)
    except BadInput as exc:
        say(NAME, str(exc))
        return 2

    profile = not args.no_summary or any(o.needs_profile(args) for o in extras)
    try:
        job = host.start(args, config, plugins, profile=profile)
    except YacUnavailable as exc:
        say(NAME, str(exc))
        return 2
    show_progress = not args.no_progress and world_rank() == 0 and on_terminal(sys.stderr)
    t0 = time.perf_counter()
    saved_streams = (sys.stdout, sys.stderr)
    if launcher_size() > 1:         # plugin output carries the rank
        sys.stdout, sys.stderr = (RankLines(s, world_rank()) for s in saved_streams)
    progress = Progress(job.total, show_progress, desc="comin run", unit=job.unit)
    failure = None
    try:
        job.run(progress)
    except comin.ComInFinish as exc:
        failure = exc
    except KeyboardInterrupt:
        progress.close()
        say(NAME, "interrupted")
        return 130
    except Exception:
        _abort_if_parallel()
        raise
    finally:
        progress.close()
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, RankLines):
                stream.flush()
        sys.stdout, sys.stderr = saved_streams
    seconds = time.perf_counter() - t0
    job.after(args, lambda text: say(NAME, text))
    if failure is not None:
        if any(o.refused_input(failure) for o in extras):
            return 2            # bad input to a shipped plugin: its one line is above
        say(NAME, f"the run was finished with an error by {failure.routine} (its message is above)")
        return 1
    if not args.no_summary and world_rank() == 0:
        names = [p.name for p in job.host.plugins]
        lines = [f"comin run: {line}"
                 for line in [job.headline(seconds, len(plugins)), *job.details(seconds)]]
        lines.append("time per plugin and entry point, costliest first:")
        lines += summary_table(job.host.timings(), seconds, names, rest=job.rest)
        for o in extras:
            lines += o.report(args)
        print("\n".join(lines), file=sys.stderr)
    return 0
