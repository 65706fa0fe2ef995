"""The Python driver of the conformance suite: a Python plugin that interprets a scenario.

Run as a ComIn Python plugin (``libpython_adapter.so`` with options
``"driver.py OPS"``) under any host: the Python host of comin, or a C or
Fortran host.  OPS is the plugin's operations file written by
:mod:`comin.testing.scenarios`; every result is appended to ``trace.out`` in
the same directory, in the format of the C and Fortran drivers (see
conformance/c_driver/driver.c), so the three languages are compared with the
model the same way.

The script's top level is the primary constructor: it registers the driver's
callbacks (the secondary constructor and EP_ATM_TIMELOOP_START), then performs
the ``primary`` operations.  Each callback writes ``P <pid> enter <ep>`` and
performs the operations of its phase.
"""
import os

import numpy as np

import comin

INFO = comin.current_get_plugin_info()
PID = INFO.id
OPS = INFO.args[0]
TRACE = os.path.join(os.path.dirname(OPS), "trace.out")
LOOP_EP = comin.EP_ATM_TIMELOOP_START
#: this plugin's handles: (name, jg) -> the handle of its last successful var_get
HANDLES = {}
DATATYPE = {np.dtype(np.float64): 1, np.dtype(np.float32): 2, np.dtype(np.intc): 3}


def hexs(text):
    return "x" + text.encode().hex()


def unhex(word):
    return bytes.fromhex(word[1:]).decode()


def value(kind, word):
    """A metadata value from the ops file (b/i/f/s)."""
    if kind == "b":
        return word == "1"
    if kind == "i":
        return int(word)
    if kind == "f":
        return float.fromhex(word)
    return unhex(word)


def typed(v):
    """A metadata value as a result."""
    if isinstance(v, bool):
        return f"ok bool {int(v)}"
    if isinstance(v, int):
        return f"ok int {v}"
    if isinstance(v, float):
        return f"ok float {v!r}"
    return f"ok str {hexs(v)}"


def emit(line):
    with open(TRACE, "a") as f:
        f.write(line + "\n")


def handle(name, jg):
    h = HANDLES.get((name, int(jg)))
    if h is None:
        raise LookupError("nohandle")
    return h


def perform_one(op, a):
    """One operation; returns the result text (without "P <pid> <phase> <op>")."""
    if op == "var_request_add":
        comin.var_request_add((a[0], int(a[1])), a[2] == "1")
    elif op == "metadata_set":
        comin.metadata_set((a[0], int(a[1])), **{a[2]: value(a[3], a[4])})
    elif op == "metadata_get":
        return typed(comin.metadata_get((a[0], int(a[1])), a[2]))
    elif op == "metadata_typeid":
        return f"ok int {comin.metadata_get_typeid((a[0], int(a[1])), a[2])}"
    elif op == "metadata_keys":
        return "ok keys " + " ".join(sorted(comin.metadata((a[0], int(a[1])))))
    elif op == "callback_register":
        ep = int(a[0])
        comin.callback_register(ep, lambda: emit(f"P {PID} enter {ep}"))
    elif op == "callback_get_ep_name":
        return f"ok str {hexs(comin.callback_get_ep_name(int(a[0])))}"
    elif op == "var_get":
        name, jg, flag, n = a[0], int(a[1]), int(a[2]), int(a[3])
        ctx = [int(e) for e in a[4:4 + n]]
        h = comin.var_get(ctx, (name, jg), flag)
        HANDLES[(name, jg)] = h
        got = h.descriptor
        return f"ok var {got[0]} {got[1]} {flag}"
    elif op == "var_info":
        h = handle(a[0], a[1])
        arr = np.asarray(h)
        ints = list(h.shape) + list(h.dim_semantics) + [h.ncontained, int(h.lcontainer), DATATYPE[arr.dtype]]
        return "ok ints " + " ".join(str(i) for i in ints)
    elif op == "var_read":
        arr = np.asarray(handle(a[0], a[1]))
        return f"ok float {float(arr.sum(dtype=np.float64))!r}"
    elif op == "var_elem":
        arr = np.asarray(handle(a[0], a[1]))
        k = int(a[2])
        flat = arr.ravel(order="F")
        if not 0 <= k < flat.size:
            raise IndexError("index")
        return f"ok float {float(flat[k])!r}"
    elif op == "var_write":
        arr = np.asarray(handle(a[0], a[1]))
        arr += arr.dtype.type(int(a[2]))
    elif op == "var_descr_list":
        return "ok descrs " + " ".join(f"{n} {j}" for n, j in comin.var_descr_list())
    elif op == "current_ep":
        return f"ok int {int(comin.current_get_ep())}"
    elif op == "current_domain":
        return f"ok int {comin.current_get_domain_id()}"
    elif op == "datetime":
        return f"ok str {hexs(comin.current_get_datetime())}"
    elif op == "plugin_info":
        info = comin.current_get_plugin_info()
        return f"ok info {info.id} {hexs(info.name)}"
    elif op == "version":
        return "ok ints " + " ".join(str(v) for v in comin.setup_get_version())
    elif op == "descr_global":
        v = getattr(comin.descrdata_get_global(), a[0])
        return f"ok bool {int(v)}" if isinstance(v, bool) else f"ok int {v}"
    elif op == "descr_domain":
        dom = comin.descrdata_get_domain(int(a[0]))
        v = getattr(dom.cells, a[1]) if a[1] in ("ncells", "nblks") else getattr(dom, a[1])
        return f"ok int {v}"
    elif op == "timestep":
        return f"ok float {float(comin.descrdata_get_timesteplength(int(a[0])))!r}"
    elif op == "glb2loc":
        return f"ok int {comin.descrdata_index_lookup_glb2loc_cell(int(a[0]), int(a[1]))}"
    elif op == "index":
        return f"ok int {comin.descrdata_get_index(int(a[0]))}"
    elif op == "block":
        return f"ok int {comin.descrdata_get_block(int(a[0]))}"
    elif op == "npromz":
        return f"ok int {comin.descrdata_get_cell_npromz(int(a[0]))}"
    else:
        return "fail unknown-op"
    return "ok none"


def perform(phase):
    with open(OPS) as f:
        lines = [line.split() for line in f]
    for words in lines:
        if len(words) < 2 or words[0] != phase:
            continue
        op, args = words[1], words[2:]
        try:
            result = perform_one(op, args)
        except comin.ComInError as exc:
            result = f"err {exc.code}"
        except LookupError:
            result = "fail nohandle"
        except IndexError:
            result = "fail index"
        except ValueError as exc:
            result = "fail readonly" if "read-only" in str(exc) else f"fail value"
        except RuntimeError:
            result = "fail runtime"
        emit(f"P {PID} {phase} {op} {result}")


def secondary():
    emit(f"P {PID} enter {int(comin.EP_SECONDARY_CONSTRUCTOR)}")
    perform("secondary")


def loop():
    emit(f"P {PID} enter {int(LOOP_EP)}")
    perform("loop")


comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, secondary)
comin.callback_register(LOOP_EP, loop)
perform("primary")
