"""Script arguments, a diagnostic variable and a tracer written from Python."""
import argparse
import sys

import numpy as np

import comin

cli = argparse.ArgumentParser(prog="args_tracer")
cli.add_argument("--greeting", help="an option with a value")
cli.add_argument("words", help="one positional argument (may contain spaces)")
opts = cli.parse_args(comin.current_get_plugin_info().args)
print(f"parsed: greeting={opts.greeting!r} words={opts.words!r}")
print(comin.current_get_plugin_info())

comin.var_request_add(("diag_plus", 1), False)
comin.var_request_add(("my_tracer", -1), False)          # -1: every domain
comin.metadata_set(("my_tracer", -1), tracer=True)

handles = {}
calls = 0


@comin.EP_SECONDARY_CONSTRUCTOR
def grab_handles():
    context = [comin.EP_ATM_WRITE_OUTPUT_BEFORE]
    rw = comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE
    handles["pres"] = comin.var_get(context, ("pres", 1), comin.COMIN_FLAG_READ)
    handles["diag"] = comin.var_get(context, ("diag_plus", 1), rw)
    handles["tracer"] = comin.var_get(context, ("my_tracer", 1), rw)
    print("tracer dim_semantics:", handles["tracer"].dim_semantics)
    print("tracer ncontained:", handles["tracer"].ncontained)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def fill():
    global calls
    calls += 1
    pres = np.asarray(handles["pres"])
    np.asarray(handles["diag"])[:] = pres + 1.5
    np.asarray(handles["tracer"])[:] = np.asarray(handles["diag"]) * 2.0
    # the arrays are views of host memory: a new view sees the write
    assert np.array_equal(np.asarray(handles["tracer"]), (pres + 1.5) * 2.0)


@comin.EP_DESTRUCTOR
def goodbye():
    print(f"destructor after {calls} output calls", file=sys.stderr)
