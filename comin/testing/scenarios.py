"""Scenarios of ComIn use, their hypothesis strategies, and the Python driver.

A scenario is a plugin list whose plugins perform given operations in the
primary constructor, the secondary constructor and a time-loop entry point,
plus the variables the host exposes.  :func:`run_model` runs it through the
executable specification (:mod:`comin.testing.model`), :func:`run_python`
through comin's Python API; the conformance suite demands equal outcomes.
Drivers for the C and Fortran APIs produce the same outcome lists.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np
from hypothesis import strategies as st

from comin import _table
from comin.testing.model import Model, ok

C = _table.all_constants()
NAMES = ("a", "b", "tr")                       # few names: collisions are the point
KEYS = ("units", "zaxis_id", "tracer", "restart", "scale")
FLAGS = (C["COMIN_FLAG_READ"], C["COMIN_FLAG_WRITE"], C["COMIN_FLAG_READ"] | C["COMIN_FLAG_WRITE"],
         C["COMIN_FLAG_READ"] | C["COMIN_FLAG_SYNC_HALO"], C["COMIN_FLAG_WRITE"] | C["COMIN_FLAG_SYNC_HALO"],
         C["COMIN_FLAG_READ"] | C["COMIN_FLAG_DEVICE"], C["COMIN_FLAG_NONE"])
LOOP_EP = C["EP_ATM_TIMELOOP_START"]
PHASES = ("primary", "secondary", "timeloop")

Op = Tuple[str, tuple]


@dataclass
class PluginScript:
    ops: Dict[str, List[Op]] = field(default_factory=lambda: {p: [] for p in PHASES})


@dataclass
class Exposure:
    name: str
    jg: int
    metadata: Dict[str, object]
    container: bool = False
    irregular: bool = False


@dataclass
class Scenario:
    n_dom: int
    plugins: List[PluginScript]
    exposures: List[Exposure]
    halo: bool = True

    def script(self) -> str:
        """The scenario as readable text (what hypothesis prints for a failure)."""
        lines = [f"n_dom={self.n_dom} halo={'set' if self.halo else 'missing'}"]
        for pid, p in enumerate(self.plugins, start=1):
            for phase in PHASES:
                for name, args in p.ops[phase]:
                    lines.append(f"plugin {pid} {phase}: comin.{name}{args!r}")
        for e in self.exposures:
            kind = "container" if e.container else "irregular" if e.irregular else "field"
            lines.append(f"host: expose {kind} ({e.name}, {e.jg}) metadata={e.metadata}")
        return "\n".join(lines)


# -- strategies ----------------------------------------------------------------------

values = st.one_of(st.booleans(), st.integers(-5, 5), st.floats(-1.0, 1.0, allow_nan=False),
                   st.sampled_from(["K", "m s-1", ""]))
valid_eps = st.integers(1, 42)
eps = st.one_of(valid_eps, valid_eps, valid_eps, st.sampled_from([0, 43, -1, 666]))


def _ops(n_dom: int):
    """Groups of operations weighted so that every rule is reached: mostly valid ids
    and names that exist, sometimes not; requests followed by their metadata."""
    domain = st.one_of(st.just(-1), st.integers(1, n_dom), st.integers(1, n_dom), st.just(n_dom + 1))
    name = st.sampled_from(NAMES)
    one = lambda op, args: args.map(lambda a: [(op, a)])  # noqa: E731
    request_args = st.tuples(name, domain, st.sampled_from([False, False, True]))
    request = one("var_request_add", request_args)
    meta = one("metadata_set", st.tuples(name, domain, st.sampled_from(KEYS), values))
    tracer = one("metadata_set", st.tuples(name, domain, st.just("tracer"), st.just(True)))
    # a request and metadata for it, sometimes set twice with another type
    request_meta = st.tuples(request_args, st.sampled_from(KEYS), values, values).map(
        lambda t: [("var_request_add", t[0]), ("metadata_set", (t[0][0], t[0][1], t[1], t[2])),
                   ("metadata_set", (t[0][0], t[0][1], t[1], t[3]))])
    register = one("callback_register", st.tuples(eps))
    ep_name = one("callback_get_ep_name", st.tuples(eps))
    context = st.one_of(st.lists(valid_eps, min_size=1, max_size=3), st.lists(eps, min_size=1, max_size=3))
    get = one("var_get", st.tuples(context.map(tuple), name, st.integers(1, n_dom), st.sampled_from(FLAGS)))
    mget = one("metadata_get", st.tuples(name, st.integers(1, n_dom), st.sampled_from(KEYS + ("datatype",))))
    return {
        "primary": st.one_of(request, request_meta, request_meta, meta, tracer, register, ep_name, get, mget),
        "secondary": st.one_of(get, get, get, mget, mget, request, meta, register, ep_name),
        "timeloop": st.one_of(get, mget, request, meta, register, ep_name),
    }


@st.composite
def scenarios(draw, max_plugins: int = 3, max_ops: int = 8):
    """Random scenarios: 1..3 domains, 1..max_plugins plugins, exposed variables."""
    n_dom = draw(st.integers(1, 3))
    ops = _ops(n_dom)
    plugins = []
    for _ in range(draw(st.integers(1, max_plugins))):
        p = PluginScript()
        for phase in PHASES:
            p.ops[phase] = [op for group in draw(st.lists(ops[phase], max_size=max_ops)) for op in group]
        plugins.append(p)
    exposures = []
    seen = set()
    for _ in range(draw(st.integers(0, 2 * len(NAMES) * n_dom))):
        name, jg = draw(st.sampled_from(NAMES)), draw(st.integers(1, n_dom))
        if (name, jg) in seen:
            continue
        seen.add((name, jg))
        meta = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=3))
        kind = draw(st.sampled_from(["field", "field", "field", "container", "irregular"]))
        exposures.append(Exposure(name, jg, meta, kind == "container", kind == "irregular"))
    return Scenario(n_dom, plugins, exposures, draw(st.sampled_from([True, True, False])))


# -- drivers -------------------------------------------------------------------------------

Outcome = Tuple[int, str, str, tuple, tuple]      # (plugin id, phase, op, args, result)


def run_model(scn: Scenario):
    """Outcomes, callback calls and access lists by the executable specification."""
    m = Model(scn.n_dom, len(scn.plugins), has_device=False, halo=scn.halo)
    out: List[Outcome] = []
    for pid, p in enumerate(scn.plugins, start=1):
        # every plugin first registers its two driver callbacks
        m.callback_register(pid, C["EP_SECONDARY_CONSTRUCTOR"])
        m.callback_register(pid, LOOP_EP)
        for name, args in p.ops["primary"]:
            out.append((pid, "primary", name, args, _call(m, pid, name, args)))
    m.complete_primary()
    for e in scn.exposures:
        m.expose(e.name, e.jg, dict(e.metadata, datatype=C["COMIN_VAR_DATATYPE_DOUBLE"]),
                 e.container, e.irregular)
    for pid, p in enumerate(scn.plugins, start=1):
        for name, args in p.ops["secondary"]:
            out.append((pid, "secondary", name, args, _call(m, pid, name, args)))
    m.end_secondary()
    for pid, p in enumerate(scn.plugins, start=1):
        failed = m.halo_check(pid, LOOP_EP, C["COMIN_FLAG_READ"])
        if failed is None:
            for name, args in p.ops["timeloop"]:
                out.append((pid, "timeloop", name, args, _call(m, pid, name, args)))
            failed = m.halo_check(pid, LOOP_EP, C["COMIN_FLAG_WRITE"])
        if failed is not None:                      # the host's entry point call fails
            out.append((0, "timeloop", "call_ep", (LOOP_EP,), failed))
            break
    access = {(ep, pid): m.access_list(ep, pid) for ep in range(1, 43) for pid in range(1, len(scn.plugins) + 1)}
    return out, {k: v for k, v in access.items() if v}


def _call(m: Model, pid: int, name: str, args: tuple):
    if name == "callback_get_ep_name":
        return m.callback_get_ep_name(*args)
    if name == "var_get":
        ctx, var, jg, flag = args
        return m.var_get(pid, list(ctx), var, jg, flag)
    return getattr(m, name)(pid, *args)


def run_python(scn: Scenario):
    """The same scenario through comin's Python plugin API and Python host API."""
    import comin
    from comin.host import PluginDescription

    out: List[Outcome] = []

    def perform(pid, phase, ops):
        for name, args in ops:
            out.append((pid, phase, name, args, _python_op(comin, name, args)))

    def make(pid, p):
        def constructor():
            comin.callback_register(C["EP_SECONDARY_CONSTRUCTOR"], lambda: perform(pid, "secondary", p.ops["secondary"]))
            comin.callback_register(LOOP_EP, lambda: perform(pid, "timeloop", p.ops["timeloop"]))
            perform(pid, "primary", p.ops["primary"])
        return PluginDescription(name=f"p{pid}", constructor=constructor)

    plugins = [make(pid, p) for pid, p in enumerate(scn.plugins, start=1)]
    access = _drive_host(scn, plugins, out)
    return out, access


def _drive_host(scn: Scenario, plugins, out: List[Outcome]) -> dict:
    """The host side every driver shares: descriptive data, the halo function,
    primary constructors, the scenario's exposures, the secondary constructor and
    one time-loop entry point (a failing host call is an outcome).  Returns the
    access lists."""
    import comin
    from comin.host import Host

    with Host(plugins) as host:
        host.set_global(n_dom=scn.n_dom, nproma=4, has_device=False)
        if scn.halo:
            host.set_sync_halo(lambda handle, mode: None)
        host.run_primary_constructors()
        und = C["COMIN_DIM_SEMANTICS_UNDEF"]
        for e in scn.exposures:
            if e.container:
                arr = np.zeros((4, 2, 3, 2), order="F")
                host.expose(e.name, e.jg, arr, lcontainer=True, ncontained=2, metadata=e.metadata,
                            dim_semantics=(C["COMIN_DIM_SEMANTICS_NPROMA"], C["COMIN_DIM_SEMANTICS_LEVEL"],
                                           C["COMIN_DIM_SEMANTICS_BLOCK"], C["COMIN_DIM_SEMANTICS_CONTAINER"]))
            else:
                arr = np.zeros((4, 2, 3), order="F")
                sem = (C["COMIN_DIM_SEMANTICS_NPROMA"], und if e.irregular else C["COMIN_DIM_SEMANTICS_LEVEL"],
                       C["COMIN_DIM_SEMANTICS_BLOCK"])
                host.expose(e.name, e.jg, arr, metadata=e.metadata, dim_semantics=sem)
        host.call_ep(C["EP_SECONDARY_CONSTRUCTOR"])
        try:
            host.call_ep(LOOP_EP, 1)
        except comin.ComInError as exc:
            out.append((0, "timeloop", "call_ep", (LOOP_EP,), ("error", exc.code)))
        access = {}
        for ep in range(1, 43):
            for pid in range(1, len(scn.plugins) + 1):
                acc = host.access_list(ep, pid)
                if acc:
                    access[(ep, pid)] = acc
    return access


def _python_op(comin, name: str, args: tuple):
    try:
        if name == "var_request_add":
            var, jg, excl = args
            return ok(comin.var_request_add((var, jg), excl))
        if name == "metadata_set":
            var, jg, key, value = args
            return ok(comin.metadata_set((var, jg), **{key: value}))
        if name == "callback_register":
            return ok(comin.callback_register(args[0], lambda: None))
        if name == "callback_get_ep_name":
            return ok(comin.callback_get_ep_name(args[0]))
        if name == "var_get":
            ctx, var, jg, flag = args
            h = comin.var_get(list(ctx), (var, jg), flag)
            return ok((h.descriptor[0], h.descriptor[1], h.flag))
        if name == "metadata_get":
            var, jg, key = args
            return ok(comin.metadata_get((var, jg), key))
    except comin.ComInError as exc:
        return ("error", exc.code)
    raise ValueError(f"unknown operation {name}")


# -- the C driver (conformance/c_driver/driver.c) -----------------------------------------

#: The driver's source: conformance/c_driver/driver.c next to the package's repository.
C_DRIVER_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "conformance", "c_driver", "driver.c")


def build_c_driver(source: str = C_DRIVER_SOURCE) -> str:
    """The C driver built once per content, with comin's build recipe (:mod:`comin._build`)."""
    from comin._build import build_cached
    return build_cached(source, "libcomin_conformance_driver.so", flags=["-O1"], strict=True)


def _c_op_line(phase: str, name: str, args: tuple) -> str:
    """One operation in the driver's input format (see driver.c)."""
    if name == "var_request_add":
        var, jg, excl = args
        return f"{phase} {name} {var} {int(jg)} {int(bool(excl))}"
    if name == "metadata_set":
        var, jg, key, value = args
        if isinstance(value, bool):
            enc = f"b {int(value)}"
        elif isinstance(value, int):
            enc = f"i {int(value)}"
        elif isinstance(value, float):
            enc = f"f {float(value).hex()}"
        else:
            enc = "s x" + value.encode().hex()
        return f"{phase} {name} {var} {int(jg)} {key} {enc}"
    if name == "metadata_get":
        var, jg, key = args
        return f"{phase} {name} {var} {int(jg)} {key}"
    if name in ("callback_register", "callback_get_ep_name"):
        return f"{phase} {name} {int(args[0])}"
    if name == "var_get":
        ctx, var, jg, flag = args
        return f"{phase} {name} {var} {int(jg)} {int(flag)} {len(ctx)} " + " ".join(str(int(e)) for e in ctx)
    if name == "var_ptr":                  # C/Fortran only (typed pointer getters), not modelled
        kind, var, jg = args
        return f"{phase} {name} {kind} {var} {int(jg)}"
    if name == "var_shape_null":           # C/Fortran only
        return f"{phase} {name}"
    raise ValueError(f"unknown operation {name}")


def _c_result(words: List[str]):
    """A result of the driver's output (the words after PHASE OP) as an outcome result."""
    if words[0] == "err":
        return ("error", int(words[1]))
    kind, rest = words[1], words[2:]
    if kind == "none":
        return ok(None)
    if kind == "bool":
        return ok(rest[0] == "1")
    if kind == "int":
        return ok(int(rest[0]))
    if kind == "float":
        return ok(float(rest[0]))
    if kind == "str":
        return ok(bytes.fromhex(rest[0][1:]).decode())
    if kind == "var":
        return ok((rest[0], int(rest[1]), int(rest[2])))
    if kind in ("ptr", "shape"):
        return ok(int(rest[0]))
    return ("unexpected", " ".join(words))       # differs from every model outcome


# -- the Fortran driver (conformance/f_driver/driver.F90) ---------------------------------

#: The Fortran driver's source: it reads and writes what the C driver does.
F_DRIVER_SOURCE = os.path.join(os.path.dirname(os.path.dirname(C_DRIVER_SOURCE)), "f_driver", "driver.F90")


def build_fortran_driver(source: str = F_DRIVER_SOURCE) -> str:
    """The Fortran driver built once per content, with comin's build recipe: against the
    package's Fortran modules and libcomin_fortran, or (a package built without them) the
    shipped API sources, compiled without -Werror."""
    from comin._build import build_cached, fortran_built
    flags = ["-O1", "-Wall", "-Werror"] if fortran_built() else ["-O1"]
    return build_cached(source, "libcomin_conformance_f_driver.so", flags=flags)


def run_fortran(scn: Scenario, workdir: str):
    """The same scenario through comin's Fortran API: every plugin is the Fortran driver
    (conformance/f_driver/driver.F90).  Returns ``(outcomes, access_lists)``."""
    return run_c(scn, workdir, lib=build_fortran_driver())


def run_c(scn: Scenario, workdir: str, lib: str = None):
    """The same scenario through comin's C API: every plugin is the C driver
    (conformance/c_driver/driver.c; or ``lib``, another driver of the same format)
    reading its operations from a file in ``workdir``; the host side is run_python's.
    Returns ``(outcomes, access_lists)``."""
    from comin.host import PluginDescription

    lib = lib or build_c_driver()
    files = []
    plugins = []
    for pid, p in enumerate(scn.plugins, start=1):
        path = os.path.join(str(workdir), f"plugin{pid}.ops")
        with open(path, "w") as f:
            for phase in PHASES:
                for name, args in p.ops[phase]:
                    f.write(_c_op_line(phase, name, args) + "\n")
        if os.path.exists(path + ".out"):
            os.remove(path + ".out")
        files.append(path)
        plugins.append(PluginDescription(name=f"p{pid}", plugin_library=lib, options=path))

    host_out: List[Outcome] = []
    access = _drive_host(scn, plugins, host_out)

    # each plugin wrote its own file; plugins run in order within a phase, so the
    # outcomes in run_python's order are: phase by phase, plugin by plugin
    lines = {}
    for pid, path in enumerate(files, start=1):
        lines[pid] = {phase: [] for phase in PHASES}
        if os.path.exists(path + ".out"):
            with open(path + ".out") as f:
                for line in f:
                    words = line.split()
                    lines[pid][words[0]].append(words)
    out: List[Outcome] = []
    for phase in PHASES:
        for pid, p in enumerate(scn.plugins, start=1):
            got = lines[pid][phase]
            for i, (name, args) in enumerate(p.ops[phase]):
                if i >= len(got):
                    break                     # not performed (the host's call failed before)
                words = got[i]
                result = _c_result(words[2:]) if words[1] == name else ("unexpected", " ".join(words))
                out.append((pid, phase, name, args, result))
    return out + host_out, access
