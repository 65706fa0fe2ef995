"""``comin replay DIR PLUGIN...``: replay a recording to plugins (:mod:`comin.hosts.replay`)."""
from __future__ import annotations

import argparse
import sys
import time
from typing import List, Sequence

import comin
from comin.cli import extensions
from comin.cli.base import BadInput, count, on_terminal, say
from comin.cli.output import Progress, add_output_args, summary_table
from comin.cli.plugins import add_plugin_args, collect_plugins
from comin.hosts.yac import YacUnavailable, add_option as add_yac_option

NAME = "replay"
HELP = "replay a recording (comin run --record) to plugins"

_REPLAY_DESCRIPTION = """\
Replay a recording to plugins: comin is the host, with the recorded
descriptive data, variables (and their metadata) and entry-point calls, in
the recorded order with the recorded domains and datetimes.  Make a
recording with 'comin run --record DIR ...', or load the recorder plugin
(comin/plugins/recorder/recorder.py) into any host.  Plugins may request
new variables and tracers (they are allocated, zero); a variable that was
neither recorded nor requested is an error naming the recording."""

_REPLAY_EPILOG = """\
plugins:
  PLUGIN and --namelist FILE as for 'comin run' (see 'comin run --help').

recording:
  DIR holds one NetCDF-4 file per host rank, DIR/<rank>.nc; replay a
  recording of N ranks on N ranks (mpiexec -n N comin replay DIR ...).

examples:
  comin run --record rec/ --nest --steps 12 my_plugin.py
  comin replay rec/ my_plugin.py
  comin replay rec/ "my_plugin.py --threshold=3" other_plugin.py

exit status:
  0  the replay and every plugin succeeded
  1  a plugin finished the run with an error, or the recorded run ended with
     one (EP_FINISH): it is replayed up to there
  2  bad input: unknown option, missing or invalid plugin script or namelist,
     no such directory or rank file, a file that is not a comin recording
     (foreign, truncated or damaged), a recording of another number of ranks
"""


def add_parser(sub, argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help=HELP, description=_REPLAY_DESCRIPTION, epilog=_REPLAY_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("directory", metavar="DIR",
                   help="the recording: a directory with one file <rank>.nc per host rank")
    add_plugin_args(p)
    add_yac_option(p.add_argument_group("coupling"))
    add_output_args(p.add_argument_group("output"))
    options = extensions.plugin_options(NAME)
    for o in options:
        o.add_arguments(p)
    p.set_defaults(execute=run, plugin_options=options)
    return p


def run(args: argparse.Namespace) -> int:
    """``comin replay``: returns the exit status."""
    extras: List[extensions.PluginOptions] = args.plugin_options
    try:
        plugins = collect_plugins(args, command=NAME,
                                  allow_none=any(o.wanted(args) for o in extras))
        plugins += [p for p in (o.plugin(args) for o in extras) if p is not None]
    except BadInput as exc:
        say(NAME, str(exc))
        return 2
    from comin.hosts.replay import Replay, ReplayError
    try:
        rp = Replay(args.directory, plugins, verbosity=args.verbosity,
                    profile=not args.no_summary
                    or any(o.needs_profile(args) for o in extras), yac=args.yac)
    except (ReplayError, YacUnavailable) as exc:
        say(NAME, str(exc))
        return 2
    rank0 = rp.rank == 0
    rec = rp.recording
    if rank0 and not rec.end:
        say(NAME, f"warning: {rec.path} is incomplete (the recorded run did not reach "
                  f"EP_DESTRUCTOR or EP_FINISH); replaying its {count(rp.ncalls, 'entry point call')}")
    show_progress = not args.no_progress and rank0 and on_terminal(sys.stderr)
    t0 = time.perf_counter()
    progress = Progress(rp.ncalls, show_progress, desc="comin replay", unit="call")
    try:
        rp.run(progress=progress)
    except comin.ComInFinish as exc:
        progress.close()
        if rp.refused_recording or any(o.refused_input(exc) for o in extras):
            return 2            # the recording is damaged: the one line is above
        say(NAME, f"the run was finished with an error by {exc.routine} (its message is above)")
        return 1
    except KeyboardInterrupt:
        progress.close()
        say(NAME, "interrupted")
        return 130
    finally:
        progress.close()
    seconds = time.perf_counter() - t0
    if rp.ended_by_finish:
        if rank0:
            say(NAME, f"the recorded run ended with an error (EP_FINISH at call {rp.calls}): "
                      "replayed up to there")
        return 1
    if not args.no_summary and rank0:
        names = [p.name for p in rp.host.plugins]
        head = (f"{count(rp.calls, 'entry point call')} and "
                f"{count(rp.events, 'variable event')} from {rec.path}, "
                f"{count(len(plugins), 'plugin')}, in {seconds:.2f} s")
        lines = [f"comin replay: {head}", "time per plugin and entry point, costliest first:"]
        lines += summary_table(rp.host.timings(), seconds, names,
                               rest="replay host, file, comin, plugin loading")
        for o in extras:
            lines += o.report(args)
        print("\n".join(lines), file=sys.stderr)
    return 0
