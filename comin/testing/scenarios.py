"""Scenarios of ComIn use, the drivers that run them, and their hypothesis strategies.

A :class:`Scenario` is a host script (the host API calls, in order) plus one
operation list per plugin, each plugin in a language of its own.  Running it
means: write the host script and the plugins' operation files into a
directory, run the host driver of the chosen language on it, and read the
*trace* every driver appends to (``trace.out``): one line per host call, per
synchronisation call the host's halo and device functions receive, per
callback entered and per plugin operation, in the order they happened.
:func:`run_model` produces the trace the executable specification
(:mod:`comin.testing.model`) expects; the conformance suite demands equal
traces, line by line.

Drivers (all in the repository's ``conformance/`` directory):

========================  ===================================================
plugins                   ``py_driver/driver.py`` (a Python plugin script),
                          ``c_driver/driver.c``, ``f_driver/driver.F90``
hosts                     Python (:func:`run_python_host`, in this process,
                          over :class:`comin.host.Host`), ``c_host/host.c``
                          (over ``comin_host.h``), ``f_host/host.F90`` (over
                          ``comin_host_interface``); the C and Fortran hosts run
                          as servers, one scenario after the other
========================  ===================================================

Host script, one call a line::

    plugin NAME LIBRARY OPTIONS(x<hex>)       the plugin list (before init)
    init | errhandler [null] | check WP
    global N_DOM NPROMA HAS_DEVICE | domain JG NLEV NCELLS | timestep JG DT(hex float)
    datetime x<hex> | glb2loc [null] | halo [null] | device [null]
    primary | requests | expose NAME JG KIND DTYPE DEVICE | meta NAME JG KEY T VALUE
    ep EP JG LACC | finalize

Plugin operations (``PHASE OP ARGS``, PHASE primary | secondary | loop): see
conformance/c_driver/driver.c.  Trace lines::

    H <call> ok | H <call> err CODE          a host call (errors_return in C/Fortran)
    H ep EP JG LACC ... H ep_result ok|err CODE, then H array NAME JG SUM per variable
    H halo NAME JG MODE | H device NAME JG DIR   the host's sync functions were called
    H request NAME JG EXCL PID... | H request_meta NAME JG KEY T VALUE
    P PID enter EP                           a callback of plugin PID starts
    P PID PHASE OP RESULT                    RESULT: ok KIND VALUES | err CODE | fail WHAT
"""
from __future__ import annotations

import os
import select
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from comin import _table
from comin.testing import model as M

C = _table.all_constants()
LOOP_EP = C["EP_ATM_TIMELOOP_START"]
SECONDARY = C["EP_SECONDARY_CONSTRUCTOR"]
PHASES = ("primary", "secondary", "loop")
LANGUAGES = M.LANGUAGES
NAMES = ("a", "b", "tr")                          # few names: collisions are the point
KEYS = ("units", "zaxis_id", "tracer", "restart", "scale")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFORMANCE = os.path.join(REPO, "conformance")
PY_DRIVER = os.path.join(CONFORMANCE, "py_driver", "driver.py")
C_DRIVER_SOURCE = os.path.join(CONFORMANCE, "c_driver", "driver.c")
F_DRIVER_SOURCE = os.path.join(CONFORMANCE, "f_driver", "driver.F90")
C_HOST_SOURCE = os.path.join(CONFORMANCE, "c_host", "host.c")
F_HOST_SOURCE = os.path.join(CONFORMANCE, "f_host", "host.F90")

Op = Tuple[str, tuple]


# -- scenarios ----------------------------------------------------------------------------

@dataclass
class Plugin:
    """One plugin: its language and its operations per phase."""
    language: str = "python"
    ops: Dict[str, List[Op]] = field(default_factory=lambda: {p: [] for p in PHASES})


@dataclass
class Scenario:
    """A host script and the plugins.  ``host`` holds the host calls after the plugin list."""
    host: List[Op]
    plugins: List[Plugin]

    def script(self) -> str:
        """The scenario as readable text (what hypothesis prints for a failure)."""
        lines = [f"plugin p{i} ({p.language})" for i, p in enumerate(self.plugins, start=1)]
        for i, p in enumerate(self.plugins, start=1):
            for phase in PHASES:
                lines += [f"  p{i} {phase}: {name}{args!r}" for name, args in p.ops[phase]]
        lines += [f"host: {name}{args!r}" for name, args in self.host]
        return "\n".join(lines)


def standard_host(n_dom: int = 1, exposures: Sequence[tuple] = (), metadata: Sequence[tuple] = (),
                  halo: bool = True, device: bool = False, has_device: bool = False,
                  glb2loc: bool = True, eps: Sequence[tuple] = (), nproma: int = 4,
                  expose_before_primary: bool = False, described: Optional[Sequence[int]] = None) -> List[Op]:
    """The host sequence of an ICON-like host: setup, descriptive data per domain (a
    different nlev, ncells and time step each), the sync functions, the primary
    constructors, the request list, the exposures and host metadata, the secondary
    constructor, then ``eps`` ((ep, jg, lacc) each, with a datetime before each), finalize.
    ``has_device`` None: not set; ``described``: the domains described (default all)."""
    host: List[Op] = [("init", ()), ("errhandler", (False,)), ("check", (8,)),
                      ("global", (n_dom, nproma, None if has_device is None else int(has_device)))]
    for jg in (range(1, n_dom + 1) if described is None else described):
        host.append(("domain", (jg, 1 + jg, 3 * nproma + jg)))
        host.append(("timestep", (jg, 60.0 / jg)))
    host.append(("datetime", ("2026-01-01T00:00:00.000",)))
    if glb2loc:
        host.append(("glb2loc", (False,)))
    if halo:
        host.append(("halo", (False,)))
    if device:
        host.append(("device", (False,)))
    exposing = [("expose", tuple(e)) for e in exposures] + [("meta", tuple(m)) for m in metadata]
    if expose_before_primary:
        host += exposing
    host += [("primary", ()), ("requests", ())]
    if not expose_before_primary:
        host += exposing
    host.append(("ep", (SECONDARY, -1, 0)))
    for i, (ep, jg, lacc) in enumerate(eps):
        host.append(("datetime", (f"2026-01-01T00:{i + 1:02d}:00.000",)))
        host.append(("ep", (ep, jg, lacc)))
    host.append(("finalize", ()))
    return host


# -- the text forms ----------------------------------------------------------------------------

def hexs(text: str) -> str:
    return "x" + text.encode().hex()


def unhex(word: str) -> str:
    return bytes.fromhex(word[1:]).decode()


def encode_value(value) -> str:
    """A metadata value as ``T VALUE`` (b 0|1, i int, f C99 hex float, s x<hex>)."""
    t = M.metadata_type(value)
    if t == "b":
        return f"b {int(value)}"
    if t == "i":
        return f"i {value}"
    if t == "f":
        return f"f {float(value).hex()}"
    return f"s {hexs(value)}"


def decode_value(t: str, word: str):
    if t == "b":
        return word == "1"
    if t == "i":
        return int(word)
    if t == "f":
        return float.fromhex(word) if word.startswith(("0x", "-0x")) else float(word)
    return unhex(word)


def op_line(phase: str, name: str, args: tuple) -> str:
    """One plugin operation in the drivers' input format."""
    if name == "metadata_set":
        var, jg, key, value = args
        return f"{phase} {name} {var} {jg} {key} {encode_value(value)}"
    if name == "var_get":
        ctx, var, jg, flag = args
        return f"{phase} {name} {var} {jg} {flag} {len(ctx)} " + " ".join(str(e) for e in ctx)
    if name == "var_request_add":
        var, jg, excl = args
        return f"{phase} {name} {var} {jg} {int(bool(excl))}"
    return " ".join([phase, name] + [str(a) for a in args])


def host_line(name: str, args: tuple) -> str:
    """One host call in the host drivers' input format."""
    if name in ("errhandler", "glb2loc", "halo", "device"):
        return name + ("" if not args or not args[0] else " bad" if args[0] == "bad" else " null")
    if name == "timestep":
        return f"timestep {args[0]} {float(args[1]).hex()}"
    if name == "datetime":
        return f"datetime {hexs(args[0])}"
    if name == "meta":
        var, jg, key, value = args
        return f"meta {var} {jg} {key} {encode_value(value)}"
    return " ".join([name] + ["-" if a is None else str(int(a)) if isinstance(a, bool) else str(a)
                              for a in args])


def plugin_library(language: str) -> Tuple[str, str]:
    """(plugin_library, options prefix) of a driver plugin in ``language``."""
    if language == "python":
        return "libpython_adapter.so", PY_DRIVER + " "
    if language == "c":
        return build_c_driver(), ""
    return build_fortran_driver(), ""


def write_scenario(scn: Scenario, workdir: str) -> str:
    """The scenario's files in ``workdir``; returns the host script's path."""
    lines = []
    for i, p in enumerate(scn.plugins, start=1):
        ops = os.path.join(workdir, f"p{i}.ops")
        with open(ops, "w") as f:
            for phase in PHASES:
                for name, args in p.ops[phase]:
                    f.write(op_line(phase, name, args) + "\n")
        lib, prefix = plugin_library(p.language)
        lines.append(f"plugin p{i} {lib} {hexs(prefix + ops)}")
    lines += [host_line(name, args) for name, args in scn.host]
    path = os.path.join(workdir, "host.scn")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    trace = os.path.join(workdir, "trace.out")
    if os.path.exists(trace):
        os.remove(trace)
    return path


_RESULT_KINDS = {"none": lambda w: (), "int": lambda w: (int(w[0]),), "bool": lambda w: (int(w[0]),),
                 "float": lambda w: (float(w[0]),), "str": lambda w: (unhex(w[0]),),
                 "var": lambda w: (w[0], int(w[1]), int(w[2])), "ints": lambda w: tuple(int(x) for x in w),
                 "info": lambda w: (int(w[0]), unhex(w[1])), "keys": lambda w: tuple(w),
                 "descrs": lambda w: tuple(int(x) if i % 2 else x for i, x in enumerate(w)),
                 "ptr": lambda w: (int(w[0]),), "shape": lambda w: (int(w[0]),)}


def parse_result(words: List[str]) -> tuple:
    if words[0] == "err":
        return ("err", int(words[1]))
    if words[0] == "fail":
        return ("fail", words[1])
    if words[0] == "ok" and len(words) > 1 and words[1] in _RESULT_KINDS:
        try:
            return ("ok", words[1]) + _RESULT_KINDS[words[1]](words[2:])
        except (ValueError, IndexError):
            pass
    return ("unparsed",) + tuple(words)


def parse_line(line: str) -> tuple:
    """A trace line as the tuple the model produces."""
    w = line.split()
    if not w:
        return ("blank",)
    if w[0] == "P" and len(w) >= 4:
        if w[2] == "enter":
            return ("P", int(w[1]), "enter", int(w[3]))
        if len(w) >= 5:
            return ("P", int(w[1]), w[2], w[3]) + parse_result(w[4:])
    if w[0] == "H" and len(w) >= 3:
        op, rest = w[1], w[2:]
        try:
            if op in ("ep", "typeid", "get_n_dom") and rest[0] != "err":
                return ("H", op) + tuple(int(x) for x in rest)
            if op in ("halo", "device") and len(rest) == 3:
                return ("H", op, rest[0], int(rest[1]), int(rest[2]))
            if op == "array":
                return ("H", op, rest[0], int(rest[1]), float(rest[2]))
            if op == "request":
                return ("H", op, rest[0]) + tuple(int(x) for x in rest[1:])
            if op == "request_meta":
                return ("H", op, rest[0], int(rest[1]), rest[2], decode_value(rest[3], rest[4]))
            if rest[0] == "err":
                return ("H", op, "err", int(rest[1]))
            if rest == ["ok"]:
                return ("H", op, "ok")
        except (ValueError, IndexError):
            pass
    return ("unparsed", line.rstrip("\n"))


def read_trace(workdir: str) -> List[tuple]:
    path = os.path.join(workdir, "trace.out")
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [parse_line(line) for line in f if line.strip()]


# -- the model's trace ---------------------------------------------------------------------------

def driver_callback(language: str, ep: int) -> str:
    """What a driver registers for a scenario's callback_register at ep: C and Fortran
    keep one callback per entry point, so at the driver's own entry points they register
    their own function again; Python adds a callable that only says it ran."""
    if language != "python" and ep == SECONDARY:
        return "secondary"
    if language != "python" and ep == LOOP_EP:
        return "loop"
    return "noop"


def model_op(m: M.Model, pid: int, name: str, args: tuple):
    """A plugin operation applied to the model: its result."""
    lang = m.plugin(pid).language
    if name == "callback_register":
        return m.callback_register(pid, args[0], driver_callback(lang, args[0]))
    if name == "var_get":
        ctx, var, jg, flag = args
        return m.var_get(pid, list(ctx), var, jg, flag)
    if name == "metadata_get_typed":
        var, jg, key, t = args
        return m.metadata_get(pid, var, jg, key, as_type=t)
    method = {"datetime": "current_datetime"}.get(name, name)
    return getattr(m, method)(pid, *args)


def run_model(scn: Scenario, host_language: str = "python", model: Optional[M.Model] = None) -> List[tuple]:
    """The trace the executable specification expects for ``scn`` run by a host in
    ``host_language`` (pass ``model`` to read the rules it applied afterwards)."""
    m = model if model is not None else M.Model(host_language)
    m.host_language = host_language
    trace: List[tuple] = []
    m.emit = lambda ev: trace.append(("H",) + ev)

    def perform(pid: int, phase: str) -> None:
        for name, args in scn.plugins[pid - 1].ops[phase]:
            trace.append(("P", pid, phase, name) + model_op(m, pid, name, args))

    def primary(pid: int) -> None:
        m.callback_register(pid, SECONDARY, "secondary")   # the driver's own, first
        m.callback_register(pid, LOOP_EP, "loop")
        perform(pid, "primary")

    def callback(pid: int, ep: int, what: str) -> None:
        trace.append(("P", pid, "enter", ep))
        if what in ("secondary", "loop"):
            perform(pid, what)

    def host_result(name: str, result: tuple) -> None:
        if result[0] == "err":
            trace.append(("H", name, "err", result[1]))
            if host_language != "python":
                m._fire("host.errors_return", host_language)
        else:
            trace.append(("H", name, "ok"))

    for name, args in scn.host:
        if name == "init":
            host_result(name, m.host_init([(f"p{i}", p.language) for i, p in enumerate(scn.plugins, 1)]))
        elif name == "errhandler":
            host_result(name, m.host_errhandler(args[0] if args else False))
        elif name == "check":
            host_result(name, m.host_check(*args))
        elif name == "global":
            host_result(name, m.host_global(*args))
        elif name == "domain":
            host_result(name, m.host_domain(*args))
        elif name == "timestep":
            host_result(name, m.host_timestep(*args))
        elif name == "datetime":
            host_result(name, m.host_datetime(*args))
        elif name in ("glb2loc", "halo", "device"):
            host_result(name, getattr(m, f"host_{name}")(args[0] if args else False))
        elif name == "plugin_info":
            host_result(name, m.host_plugin_info())
        elif name in ("typeid", "get_n_dom"):
            r = m.host_typeid(*args) if name == "typeid" else m.host_get_n_dom()
            trace.append(("H", name) + ((r[2],) if r[0] == "ok" else ("err", r[1])))
        elif name == "primary":
            host_result(name, m.host_primary(primary))
        elif name == "requests":
            for r in m.host_requests():
                trace.append(("H", "request", r.name, r.jg, int(r.exclusive)) + tuple(r.plugins))
                for key in sorted(k for k in r.metadata if k in KEYS):
                    trace.append(("H", "request_meta", r.name, r.jg, key, r.metadata[key]))
        elif name == "expose":
            host_result(name, m.host_expose(*args))
        elif name == "meta":
            host_result(name, m.host_metadata(*args))
        elif name == "ep":
            ep, jg, lacc = args
            trace.append(("H", "ep", ep, jg, int(lacc)))
            result = m.host_call_ep(ep, jg, bool(lacc), callback)
            host_result("ep_result", result)
            for v in m.var_order:
                trace.append(("H", "array", v.name, v.jg, v.total()))
        elif name == "finalize":
            host_result(name, m.host_finalize())
        else:
            raise ValueError(f"unknown host call {name}")
    return trace


# -- the Python host driver (this process) ---------------------------------------------------------

def _fill(shape, dtype, jg):
    n = int(np.prod(shape))
    flat = np.array([M.fill_value(k, jg) for k in range(n)], dtype=dtype)
    return flat.reshape(shape, order="F")


class _Device:
    """Device memory for a host without a GPU: the host array's own memory (CUDA array interface)."""

    def __init__(self, arr):
        self.__cuda_array_interface__ = {"shape": arr.shape, "typestr": arr.dtype.str, "strides": arr.strides,
                                         "data": (arr.__array_interface__["data"][0], False), "version": 3}


_NP_DTYPE = {"d": np.float64, "f": np.float32, "i": np.intc}


def _setter_arg(words: List[str], fn):
    """The host's function, None ("null") or an object that is not callable ("bad")."""
    if len(words) > 1:
        return None if words[1] == "null" else 1
    return fn


def run_python_host(script: str) -> None:
    """Run a host script with comin's Python host (:class:`comin.host.Host`), appending to
    the trace next to it."""
    import comin
    from comin.host import Host, PluginDescription

    workdir = os.path.dirname(script)
    trace_path = os.path.join(workdir, "trace.out")

    def emit(text: str) -> None:
        with open(trace_path, "a") as f:
            f.write(text + "\n")

    with open(script) as f:
        lines = [line.split() for line in f if line.strip()]
    plugins = [PluginDescription(name=w[1], plugin_library=w[2], options=unhex(w[3]))
               for w in lines if w[0] == "plugin"]
    host = None
    hosts = []
    domains: Dict[int, Tuple[int, int]] = {}
    nproma = 1
    arrays = []                                   # the exposed arrays (name, jg, array), in order

    def call(name: str, fn, *args, **kw) -> None:
        try:
            fn(*args, **kw)
        except comin.ComInError as exc:
            emit(f"H {name} err {exc.code}")
            return
        except (ValueError, TypeError):
            emit(f"H {name} err {C['COMIN_ERROR_STATUS']}")
            return
        emit(f"H {name} ok")

    def halo_fn(handle, mode):
        emit(f"H halo {handle.descriptor[0]} {handle.descriptor[1]} {int(mode)}")

    def device_fn(handle, direction):
        emit(f"H device {handle.descriptor[0]} {handle.descriptor[1]} {int(bool(direction))}")

    def handler(routine, text):
        emit(f"H finish {hexs(routine)} {hexs(text)}")

    def make_host():
        h = Host(plugins)
        hosts.append(h)
        return h

    try:
        for w in lines:
            op = w[0]
            if op == "plugin":
                continue
            if op == "init":
                try:
                    h = make_host()
                except comin.ComInError as exc:
                    emit(f"H init err {exc.code}")
                    continue
                host = h
                arrays.clear()            # a new session
                emit("H init ok")
            elif op == "errhandler":
                call(op, host.set_error_handler, _setter_arg(w, handler))
            elif op == "check":
                call(op, host.check, "host", int(w[1]))
            elif op == "global":
                fields = {k: v for k, v in (("n_dom", w[1]), ("nproma", w[2]), ("has_device", w[3])) if v != "-"}
                nproma = int(fields.get("nproma", nproma))
                call(op, host.set_global, **{k: (v == "1" if k == "has_device" else int(v)) for k, v in fields.items()})
            elif op == "domain":
                jg, nlev, ncells = int(w[1]), int(w[2]), int(w[3])
                nblks = -(-ncells // nproma)
                domains[jg] = (nlev, nblks)
                call(op, host.set_domain, jg, nlev=nlev, cells=dict(ncells=ncells, nblks=nblks))
            elif op == "timestep":
                call(op, host.set_timesteplength, int(w[1]), float.fromhex(w[2]))
            elif op == "datetime":
                call(op, host.set_datetime, unhex(w[1]))
            elif op == "glb2loc":
                call(op, host.set_glb2loc_cell, _setter_arg(w, M.glb2loc_host))
            elif op == "halo":
                call(op, host.set_sync_halo, _setter_arg(w, halo_fn))
            elif op == "device":
                call(op, host.set_sync_device_mem, _setter_arg(w, device_fn))
            elif op == "plugin_info":
                call(op, comin.current_get_plugin_info)
            elif op == "typeid":
                try:
                    emit(f"H typeid {comin.metadata_get_typeid((w[1], int(w[2])), w[3])}")
                except comin.ComInError as exc:
                    emit(f"H typeid err {exc.code}")
            elif op == "get_n_dom":
                try:
                    emit(f"H get_n_dom {comin.descrdata_get_global().n_dom}")
                except comin.ComInError as exc:
                    emit(f"H get_n_dom err {exc.code}")
            elif op == "primary":
                call(op, host.run_primary_constructors)
            elif op == "requests":
                for r in host.requests:
                    emit(f"H request {r.name} {r.domain_id} {int(bool(r.lmodexclusive))} "
                         + " ".join(str(p) for p in r.plugin_ids))
                    for key in sorted(k for k in r.metadata if k in KEYS):
                        emit(f"H request_meta {r.name} {r.domain_id} {key} {encode_value(r.metadata[key])}")
            elif op == "expose":
                name, jg, kind, dtype, device = w[1], int(w[2]), w[3], w[4], w[5] == "1"
                nlev, nblks = domains[jg]
                shape, sem, lcont, ncont = M.layout(kind, nproma, nlev, nblks)
                arr = _fill(shape, _NP_DTYPE[dtype], jg)
                if kind == "tracer_slice":        # the tracer's slot in a container (ICON's tracers)
                    box = np.zeros(shape[:3] + (2, 1), dtype=arr.dtype, order="F")
                    box[..., 1:2, :] = arr
                    arr = box[..., 1:2, :]
                if kind == "strided_container":   # the container dimension (extent 2) strided
                    box = np.zeros(shape[:3] + (4, 1), dtype=arr.dtype, order="F")
                    box[..., ::2, :] = arr
                    arr = box[..., ::2, :]
                if kind == "strided":             # the same values in a view of a bigger array
                    big = np.zeros((shape[0], 2 * shape[1]) + shape[2:], dtype=arr.dtype, order="F")
                    big[:, ::2] = arr
                    arr = big[:, ::2]
                keep = (name, jg, arr)

                def expose():
                    host.expose(name, jg, arr, dim_semantics=sem, lcontainer=lcont, ncontained=ncont,
                                device=_Device(arr) if device else None)
                    arrays.append(keep)
                call(op, expose)
            elif op == "meta":
                call(op, host.set_metadata, w[1], int(w[2]), **{w[3]: decode_value(w[4], w[5])})
            elif op == "ep":
                ep, jg, lacc = int(w[1]), int(w[2]), w[3] == "1"
                emit(f"H ep {ep} {jg} {int(lacc)}")
                call("ep_result", host.call_ep, ep, jg, lacc)
                for name, jg_, arr in arrays:
                    emit(f"H array {name} {jg_} {float(arr.sum(dtype=np.float64))!r}")
            elif op == "finalize":
                call(op, host.finalize)
            else:
                raise ValueError(f"unknown host call {op}")
    except BaseException as exc:          # a finish or a driver bug: visible in the trace
        emit(f"H abort {type(exc).__name__} {hexs(str(exc))}")
    finally:
        for h in hosts:
            if not h.finalized:
                h.finalize()


# -- building the compiled drivers -------------------------------------------------------------------

_build_lock = threading.Lock()


def _build(source: str, name: str, kind: str) -> str:
    """Compile a driver once per content with comin's build recipe (:mod:`comin._build`):
    C with the strict warnings, Fortran against the package's modules and
    libcomin_fortran (warnings as errors), or the shipped API sources where the
    package was built without them."""
    from comin._build import build_cached, fortran_built, language_of

    if language_of(source) == "c":
        options = dict(flags=["-O1"], strict=True)
    elif fortran_built():
        options = dict(flags=["-O1", "-Wall", "-Werror", "-Wno-maybe-uninitialized"])
    else:
        options = dict(flags=["-O1"])
    with _build_lock:                 # threads of one session build it once
        return build_cached(source, name, kind=kind, **options)


def build_c_driver(source: str = C_DRIVER_SOURCE) -> str:
    """The C plugin driver (or another C plugin source) as a shared library."""
    return _build(source, "libcomin_conformance_driver.so", "shared")


def build_fortran_driver(source: str = F_DRIVER_SOURCE) -> str:
    """The Fortran plugin driver (or another Fortran plugin source) as a shared library."""
    return _build(source, "libcomin_conformance_f_driver.so", "shared")


def build_c_host(source: str = C_HOST_SOURCE) -> str:
    return _build(source, "comin_conformance_c_host", "executable")


def build_fortran_host(source: str = F_HOST_SOURCE) -> str:
    return _build(source, "comin_conformance_f_host", "executable")


# -- the compiled hosts, as servers ------------------------------------------------------------------

class HostServer:
    """A C or Fortran host driver process that runs one host script per request
    (``run(path)``); restarted when it died (a crash is reported in the trace)."""

    def __init__(self, language: str, timeout: float = 60.0) -> None:
        self.language = language
        self.timeout = timeout
        self.proc: Optional[subprocess.Popen] = None

    def _start(self) -> None:
        exe = build_c_host() if self.language == "c" else build_fortran_host()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "HYDRA_", "MPIR_"))}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH", "")) if p)
        env["GFORTRAN_UNBUFFERED_PRECONNECTED"] = "y"
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env, text=True, bufsize=1)

    def run(self, script: str) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(script + "\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
            line = self.proc.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError):
            line = ""
        if line.strip() != "done":
            status = self.proc.poll()
            if status is None:
                self.proc.kill()
                status = "timeout"
            self.stderr.seek(0)
            tail = self.stderr.read()[-2000:].decode(errors="replace")
            with open(os.path.join(os.path.dirname(script), "trace.out"), "a") as f:
                f.write(f"H abort host-{self.language}-{status} {hexs(tail)}\n")
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


_servers: Dict[str, HostServer] = {}


def host_server(language: str) -> HostServer:
    if language not in _servers:
        _servers[language] = HostServer(language)
    return _servers[language]


def run(scn: Scenario, host_language: str = "python", workdir: Optional[str] = None) -> List[tuple]:
    """Run ``scn`` with a host in ``host_language`` (plugins in their own languages);
    returns the trace."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="comin_scn_") as tmp:
            return run(scn, host_language, tmp)
    script = write_scenario(scn, workdir)
    if host_language == "python":
        run_python_host(script)
    else:
        host_server(host_language).run(script)
    return read_trace(workdir)


def run_python(scn: Scenario, workdir: Optional[str] = None) -> List[tuple]:
    """``scn`` through comin's Python host (the plugins in their own languages)."""
    return run(scn, "python", workdir)


def first_difference(expected: List[tuple], got: List[tuple]) -> str:
    """The traces around their first difference, for an assertion message."""
    n = next((i for i, (e, g) in enumerate(zip(expected, got)) if e != g), min(len(expected), len(got)))
    lines = [f"traces differ at line {n + 1} (expected {len(expected)} lines, got {len(got)}):"]
    for i in range(max(0, n - 4), n + 3):
        e = expected[i] if i < len(expected) else "-"
        g = got[i] if i < len(got) else "-"
        lines.append(f"{'>' if i == n else ' '} {i + 1:4d} model {e}\n         got   {g}")
    return "\n".join(lines)


# -- hypothesis strategies ---------------------------------------------------------------------------

def _strategies():
    from hypothesis import strategies as st
    return st


OUT_EP = C["EP_ATM_WRITE_OUTPUT_BEFORE"]
R, W, HALO, DEV = M.READ, M.WRITE, M.SYNC_HALO, M.DEVICE
FLAGS = (R, W, R | W, R | HALO, W | HALO, R | W | HALO, R | DEV, W | DEV, 0, R | HALO | DEV)


def values():
    st = _strategies()
    return st.one_of(st.booleans(), st.integers(-5, 5), st.sampled_from([0.5, -0.25, 1.5, 1e-3, 0.0]),
                     st.sampled_from(["K", "m s-1", ""]))


def plugin_ops(n_dom: int, language: str):
    """Operation groups per phase for a plugin in ``language``: mostly valid ids and names
    that exist, sometimes not; requests followed by their metadata."""
    st = _strategies()
    jg = st.integers(1, n_dom)
    jg_any = st.one_of(st.just(-1), jg, jg, st.just(n_dom + 1))
    name = st.sampled_from(NAMES)
    ep = st.one_of(st.sampled_from([LOOP_EP, OUT_EP, SECONDARY]), st.integers(1, 42),
                   st.sampled_from([0, 43, -1]))
    key = st.sampled_from(KEYS + ("datatype",))

    def one(op, args):
        return args.map(lambda a: [(op, a)])
    request_args = st.tuples(name, jg_any, st.sampled_from([False, False, True]))
    request = one("var_request_add", request_args)
    meta = one("metadata_set", st.tuples(name, jg_any, st.sampled_from(KEYS), values()))
    tracer = one("metadata_set", st.tuples(name, jg_any, st.just("tracer"), st.just(True)))
    request_meta = st.tuples(request_args, st.sampled_from(KEYS), values(), values()).map(
        lambda t: [("var_request_add", t[0]), ("metadata_set", (t[0][0], t[0][1], t[1], t[2])),
                   ("metadata_set", (t[0][0], t[0][1], t[1], t[3]))])
    register = one("callback_register", st.tuples(ep))
    ep_name = one("callback_get_ep_name", st.tuples(ep))
    context = st.lists(st.one_of(st.just(LOOP_EP), st.just(LOOP_EP), ep), min_size=1, max_size=3).map(tuple)
    get = one("var_get", st.tuples(context, name, st.one_of(jg, jg_any), st.sampled_from(FLAGS)))
    mget = one("metadata_get", st.tuples(name, jg, key))
    typeid = one("metadata_typeid", st.tuples(name, jg, key))
    keys = one("metadata_keys", st.tuples(name, jg))
    handle = st.one_of(one("var_info", st.tuples(name, jg)), one("var_read", st.tuples(name, jg)),
                       one("var_elem", st.tuples(name, jg, st.integers(0, 40))),
                       one("var_write", st.tuples(name, jg, st.integers(-3, 3))))
    state = st.sampled_from([[("current_ep", ())], [("current_domain", ())], [("datetime", ())],
                             [("plugin_info", ())], [("var_descr_list", ())], [("version", ())]])
    descr = st.one_of(one("descr_global", st.tuples(st.sampled_from(["n_dom", "nproma", "has_device"]))),
                      one("descr_domain", st.tuples(jg_any, st.sampled_from(["nlev", "id", "ncells", "nblks"]))),
                      one("timestep", st.tuples(jg)), one("glb2loc", st.tuples(jg, st.integers(-3, 50))),
                      one("index", st.tuples(st.integers(-20, 20))), one("block", st.tuples(st.integers(-20, 20))),
                      one("npromz", st.tuples(jg_any)))
    compiled = st.nothing()
    if language != "python":
        compiled = st.one_of(
            one("var_ptr", st.tuples(st.sampled_from(["d", "f", "i", "dd", "df", "di"]), name, jg)),
            st.just([("var_shape_null", ())]),
            one("metadata_get_typed", st.tuples(name, jg, key, st.sampled_from("bifs"))))
    return {
        "primary": st.one_of(request, request_meta, request_meta, meta, tracer, register, ep_name, get, mget,
                             state, descr),
        "secondary": st.one_of(get, get, get, handle, mget, typeid, keys, request, meta, register, state, descr,
                               compiled),
        "loop": st.one_of(handle, handle, get, mget, state, descr, compiled),
    }


#: the kinds of exposed variables drawn (fields more often)
KINDS_DRAWN = ("field3d", "field3d", "field2d", "container", "irregular", "tracer", "container_irregular")


def metadata_strategy():
    """Host metadata of one variable: (key, value) pairs, zaxis_id mostly 2-D or 3-D."""
    st = _strategies()
    zaxis = st.lists(st.sampled_from([1, 2, 2, 3, 0]).map(lambda z: ("zaxis_id", z)), max_size=1)
    other = st.lists(st.tuples(st.sampled_from(KEYS[:2] + KEYS[3:]), values()), max_size=2)
    return st.tuples(zaxis, other).map(lambda t: t[0] + t[1])


def scenarios(host_language: str = "python", languages: Sequence[str] = LANGUAGES, max_plugins: int = 3,
              max_ops: int = 6):
    """Random scenarios for a host in ``host_language``: 1..3 domains, plugins in
    ``languages``, exposures of every kind and datatype with host metadata, the host's
    functions set (mostly), entry points in and outside domain loops (some with lacc,
    some unknown or with a bad domain)."""
    st = _strategies()

    @st.composite
    def build(draw):
        n_dom = draw(st.integers(1, 3))
        plugins = []
        for _ in range(draw(st.integers(1, max_plugins))):
            lang = draw(st.sampled_from(list(languages)))
            ops = plugin_ops(n_dom, lang)
            p = Plugin(lang)
            for phase in PHASES:
                p.ops[phase] = [op for group in draw(st.lists(ops[phase], max_size=max_ops)) for op in group]
            plugins.append(p)
        exposures, seen = [], set()
        for _ in range(draw(st.integers(0, 2 * len(NAMES) * n_dom))):
            name, jg = draw(st.sampled_from(NAMES)), draw(st.integers(1, n_dom))
            if (name, jg) in seen:
                continue
            seen.add((name, jg))
            kind = draw(st.sampled_from(KINDS_DRAWN))
            exposures.append((name, jg, kind, draw(st.sampled_from("ddfi")), int(draw(st.booleans()))))
        metadata = [(name, jg, key, value) for name, jg, *_rest in exposures
                    for key, value in draw(metadata_strategy())]
        jg_call = st.one_of(st.just(-1), st.integers(1, n_dom), st.integers(1, n_dom),
                            st.sampled_from([0, n_dom + 1]))
        ep_call = st.one_of(st.just(LOOP_EP), st.just(LOOP_EP), st.just(OUT_EP), st.sampled_from([SECONDARY, 43]))
        eps = draw(st.lists(st.tuples(ep_call, jg_call, st.sampled_from([0, 0, 0, 1])), min_size=1, max_size=4))
        host = standard_host(n_dom, exposures, metadata, halo=draw(st.sampled_from([True, True, False])),
                             device=draw(st.sampled_from([True, True, False])), has_device=draw(st.booleans()),
                             glb2loc=draw(st.sampled_from([True, True, False])), eps=eps,
                             expose_before_primary=draw(st.sampled_from([False, False, False, True])))
        return Scenario(host, plugins)

    return build()
