"""The plugin operations of the conformance drivers, in Python (the Python driver's body).

:func:`perform_one` runs one operation of an operations file (``OP ARG...``, see
conformance/c_driver/driver.c) through comin's Python plugin API and returns its result
text, exactly as the C and Fortran drivers print it.  The Python driver plugin
(conformance/py_driver/driver.py) and the stateful test use it.
"""
import numpy as np

import comin

LOOP_EP = comin.EP_ATM_TIMELOOP_START
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


class NoHandle(Exception):
    """An operation on a variable this plugin has no handle of."""


def handle(handles, name, jg):
    h = handles.get((name, int(jg)))
    if h is None:
        raise NoHandle(name)
    return h


def perform_one(op, a, handles, on_callback):
    """One operation with its arguments (strings); returns the result text (without
    "P <pid> <phase> <op>").  ``handles``: the plugin's handles by (name, jg), kept from
    var_get; ``on_callback(ep)`` is registered by callback_register (through a lambda)."""
    try:
        return _perform(op, a, handles, on_callback)
    except comin.ComInError as exc:
        return f"err {exc.code}"
    except NoHandle:
        return "fail nohandle"
    except IndexError:
        return "fail index"
    except ValueError as exc:
        return "fail readonly" if "read-only" in str(exc) else "fail value"
    except TypeError:
        return "fail type"
    except RuntimeError:
        return "fail runtime"


def _perform(op, a, handles, on_callback):
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
        comin.callback_register(ep, lambda: on_callback(ep))
    elif op == "callback_register_none":
        comin.callback_register(int(a[0]), None)
    elif op == "var_get_badctx":
        comin.var_get(int(LOOP_EP), (a[0], int(a[1])), comin.COMIN_FLAG_READ)
    elif op == "callback_get_ep_name":
        return f"ok str {hexs(comin.callback_get_ep_name(int(a[0])))}"
    elif op == "var_get":
        name, jg, flag, n = a[0], int(a[1]), int(a[2]), int(a[3])
        ctx = [int(e) for e in a[4:4 + n]]
        h = comin.var_get(ctx, (name, jg), flag)
        handles[(name, jg)] = h
        got = h.descriptor
        return f"ok var {got[0]} {got[1]} {flag}"
    elif op == "var_info":
        h = handle(handles, a[0], a[1])
        arr = np.asarray(h)
        ints = list(h.shape) + list(h.dim_semantics) + [h.ncontained, int(h.lcontainer), DATATYPE[arr.dtype]]
        return "ok ints " + " ".join(str(i) for i in ints)
    elif op == "var_read":
        arr = np.asarray(handle(handles, a[0], a[1]))
        return f"ok float {float(arr.sum(dtype=np.float64))!r}"
    elif op == "var_elem":
        arr = np.asarray(handle(handles, a[0], a[1]))
        k = int(a[2])
        flat = arr.ravel(order="F")
        if not 0 <= k < flat.size:
            raise IndexError("index")
        return f"ok float {float(flat[k])!r}"
    elif op == "var_write":
        arr = np.asarray(handle(handles, a[0], a[1]))
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


