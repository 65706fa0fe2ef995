"""The telemetry plugin: live metrics of a running model for Prometheus, Grafana, a browser.

* ``telemetry.py`` the plugin (a ComIn Python plugin script; its docstring
  lists the options and the metrics), :data:`PLUGIN_SCRIPT`;
* ``reduce.py``    min, max, area-weighted mean and NaN count over prognostic points
  (``_fused.pyx``: the one-pass kernel they use when it is built);
* ``channel.py``   the plugin's side of its endpoint process (start, feed, stop);
* ``server.py``    the endpoint process: ``/metrics``, the live page ``/``, its data;
* ``snapshot.py``  the live page in headless Chromium (the docs' picture, the tests);
* ``live.html``, ``live.js``  the live page (self-contained: no external resource);
* ``grafana/``     a Grafana dashboard (:data:`DASHBOARD`) and provisioning files.

For the command line (``comin run`` / ``comin replay``): :func:`add_arguments`
adds ``--telemetry [ADDR:]PORT`` and ``--telemetry-vars NAME,NAME`` to a
parser, :func:`plugin_description` turns the parsed options into the plugin
to load (or None).  Hosts that load the plugin must profile their callbacks
for the entry-point series (``Host(profile=True)``).
"""
from __future__ import annotations

import os
import shlex

HERE = os.path.dirname(os.path.abspath(__file__))
#: the plugin script a host loads (``comin plugin-path telemetry``)
PLUGIN_SCRIPT = os.path.join(HERE, "telemetry.py")
#: the Grafana dashboard (JSON, for a file provider or the import dialog)
DASHBOARD = os.path.join(HERE, "grafana", "comin-telemetry.json")
#: name of the plugin when the command line loads it
PLUGIN_NAME = "telemetry"
#: the ``finish`` routine of the plugin's bad options (as ``telemetry.ROUTINE``)
ROUTINE = "comin_telemetry"


class OptionError(ValueError):
    """Bad ``--telemetry*`` options (the message is one line naming the option)."""


def add_arguments(parser) -> None:
    """Add ``--telemetry`` and ``--telemetry-vars`` to an argparse parser (or group)."""
    parser.add_argument(
        "--telemetry", metavar="[ADDR:]PORT", default=None,
        help="serve live metrics of the run for Prometheus (/metrics) and a browser (/) on "
             "PORT, on 127.0.0.1 unless ADDR is given (rank 0 only; 0: any free port). "
             "More options: load the plugin yourself, see 'comin plugin-path telemetry'")
    parser.add_argument(
        "--telemetry-vars", metavar="NAME,NAME", default=None,
        help="variables whose min, max, mean and NaN count --telemetry exports, at every "
             "step, on every domain where they exist (default: none)")


def plugin_description(args):
    """The telemetry plugin the parsed options ask for, or None; :class:`OptionError` for
    bad options (checked before anything runs)."""
    telemetry = getattr(args, "telemetry", None)
    names = getattr(args, "telemetry_vars", None)
    if telemetry is None:
        if names is not None:
            raise OptionError("--telemetry-vars chooses what --telemetry exports: add "
                              "--telemetry [ADDR:]PORT")
        return None
    import importlib.util
    if importlib.util.find_spec("prometheus_client") is None:
        raise OptionError("--telemetry needs the Python package prometheus_client "
                          "(pip install prometheus_client)")
    from comin import _table
    from comin._adapter import PluginDescription
    from comin.plugins.telemetry import telemetry as plugin
    from comin.parallel import world_rank
    from comin.plugins.telemetry import server
    words = [PLUGIN_SCRIPT]
    try:
        host, port = plugin.parse_listen(telemetry)
        words += ["--listen", telemetry]
    except plugin.OptionError as exc:
        raise OptionError(f"--telemetry {telemetry!r}: {exc}") from None
    if port and world_rank() == 0:       # only rank 0 listens (and would collide with itself)
        problem = server.address_problem(host, port)
        if problem is not None:
            raise OptionError(f"--telemetry {telemetry}: cannot listen there: {problem}")
    if names is not None:
        try:
            words += ["--vars", ",".join(plugin.parse_vars(names))]
        except plugin.OptionError as exc:
            raise OptionError(f"--telemetry-vars {names!r}: {exc}") from None
    options = " ".join(shlex.quote(w) for w in words)
    limit = _table.all_constants()["COMIN_MAX_LEN_OPTIONS"]
    if len(options) > limit:
        raise OptionError(f"the telemetry plugin's options are longer than ComIn's {limit} "
                          f"characters ({options!r}): name fewer --telemetry-vars, or load the "
                          "plugin yourself with --config FILE (see 'comin plugin-path telemetry')")
    return PluginDescription.python(options, name=PLUGIN_NAME)


__all__ = ["PLUGIN_SCRIPT", "DASHBOARD", "PLUGIN_NAME", "ROUTINE", "OptionError",
           "add_arguments", "plugin_description"]
