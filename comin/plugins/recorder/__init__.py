"""The recorder plugin."""
import os

from comin.plugins.recorder.recorder import *  # noqa: F401,F403
from comin.plugins.recorder.recorder import (ROUTINE, ROUTINE_IO, OptionError, Recorder, parse_eps,
                                             parse_options, parse_vars, plugin_main, run_as_script,
                                             summary)
from comin.record_format import FORMAT_NAME, FORMAT_VERSION, rank_file

#: the recorder's plugin script: a host loads it by this path with the options as arguments
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recorder.py")

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ROUTINE", "ROUTINE_IO", "SCRIPT", "OptionError",
           "Recorder", "parse_eps", "parse_options", "parse_vars", "plugin_main", "rank_file",
           "run_as_script", "summary"]
