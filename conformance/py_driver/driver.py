"""The Python driver of the conformance suite: a Python plugin that interprets a scenario.

Run as a ComIn Python plugin (``libpython_adapter.so`` with options
``"driver.py OPS"``) under any host: the Python host of comin, or a C or
Fortran host.  OPS is the plugin's operations file written by
:mod:`comin.testing.scenarios`; every result is appended to ``trace.out`` in
the same directory, in the format of the C and Fortran drivers (see
conformance/c_driver/driver.c); the operations themselves are
:mod:`comin.testing.pyops`.

The script's top level is the primary constructor: it registers the driver's
callbacks (the secondary constructor and EP_ATM_TIMELOOP_START), then performs
the ``primary`` operations.  Each callback writes ``P <pid> enter <ep>`` and
performs the operations of its phase.
"""
import os

import comin
from comin.testing.pyops import perform_one

INFO = comin.current_get_plugin_info()
PID = INFO.id
OPS = INFO.args[0]
TRACE = os.path.join(os.path.dirname(OPS), "trace.out")
LOOP_EP = comin.EP_ATM_TIMELOOP_START
HANDLES = {}              # (name, jg) -> the handle of this plugin's last successful var_get


def emit(line):
    with open(TRACE, "a") as f:
        f.write(line + "\n")


def enter(ep):
    emit(f"P {PID} enter {ep}")


def perform(phase):
    with open(OPS) as f:
        lines = [line.split() for line in f]
    for words in lines:
        if len(words) >= 2 and words[0] == phase:
            emit(f"P {PID} {phase} {words[1]} {perform_one(words[1], words[2:], HANDLES, enter)}")


def secondary():
    enter(int(comin.EP_SECONDARY_CONSTRUCTOR))
    perform("secondary")


def loop():
    enter(int(LOOP_EP))
    perform("loop")


comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, secondary)
comin.callback_register(LOOP_EP, loop)
perform("primary")
