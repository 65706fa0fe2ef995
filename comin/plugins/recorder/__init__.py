"""The recorder: a ComIn plugin that records a run for ``comin replay``.

It is an ordinary Python plugin shipped in the package, so any host loads it
by path with its options (``comin run --record DIR`` adds it for you)::

    comin run --record rec/ my_plugin.py
    comin run "$(python -c 'import comin.plugins.recorder as r; print(r.SCRIPT)') rec/ --vars temp,pres"
    # a namelist entry of a Fortran host or ICON:
    #   plugin_list(3)%plugin_library = "libpython_adapter.so"
    #   plugin_list(3)%options        = "<SCRIPT> rec/ --eps EP_ATM_TIMELOOP_END"

:data:`SCRIPT` is ``comin/plugins/recorder/recorder.py``; ``comin/recorder.py``
(the recorder's first path) is a script of the same plugin.

Options (:mod:`.options`): ``DIR [--vars NAME,NAME...] [--eps EP_NAME,EP_NAME...]``.  ``--vars``:
the variables to record (every domain where they exist; default: every
exposed cell variable that is not a container); ``--eps``: the entry points
at which their values are recorded (default: EP_ATM_WRITE_OUTPUT_BEFORE).
A variable recorded at an entry point that is called for one domain is
recorded for that domain only; outside a domain loop, for every domain.

Values are recorded as the recorder sees them: load it as the last plugin
(``comin run --record`` does; the other plugins keep their ids) and they are
what the model itself sees after the other plugins' callbacks at that entry
point (what ICON writes to its output); load it first to record what the
plugins get.  As the last plugin it also misses the call in which an earlier
plugin ends the run with an error: the recording then ends with the
EP_FINISH that follows.

The file layout is :mod:`comin.record_format`.  Modules: :mod:`.options` (the
options, parsed once), :mod:`.recorder` (the plugin), :mod:`.cli` (``comin run
--record``).
"""
import os

from comin.plugins.recorder.options import (DEFAULT_EPS, OptionError, RecordOptions, parse_eps,
                                            parse_options, parse_vars)
from comin.record_format import FORMAT_NAME, FORMAT_VERSION, rank_file

#: names of :mod:`.recorder`, imported when first used: ``comin run`` offers ``--record``
#: on every start, and the plugin module (NetCDF's helpers, the writer) costs ~40 ms
_LAZY = ("ROUTINE", "ROUTINE_IO", "Recorder", "plugin_main", "run_as_script", "summary")


def __getattr__(name: str):
    if name in _LAZY:
        from comin.plugins.recorder import recorder
        return getattr(recorder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: the recorder's plugin script: a host loads it by this path with the options as arguments
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorder.py")
#: what ``comin plugin-path recorder`` prints (:mod:`comin.plugins`)
PLUGIN_SCRIPT = SCRIPT

__all__ = ["DEFAULT_EPS", "FORMAT_NAME", "FORMAT_VERSION", "ROUTINE", "ROUTINE_IO", "SCRIPT",
           "OptionError", "RecordOptions", "Recorder", "parse_eps", "parse_options", "parse_vars",
           "plugin_main", "rank_file", "run_as_script", "summary"]
