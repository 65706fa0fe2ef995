"""The deterministic cases of the conformance suite: every rule of the model in every
language where it can arise, by a fixed scenario.

A case builds a :class:`~comin.testing.scenarios.Scenario` for one language: for a
plugin-side case the language of its plugins (run by comin's Python host), for a
host-side case the language of the host (with C plugins).  ``targets`` are the rules
the case is about; the suite checks that the model applied each of them (in the
languages where it can arise), so a case cannot silently stop testing its rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

from comin.testing import model as M
from comin.testing.scenarios import LOOP_EP, SECONDARY, Plugin, Scenario, standard_host

C = M.C
R, W, H, D = M.READ, M.WRITE, M.SYNC_HALO, M.DEVICE
LOOP = (LOOP_EP,)
OUT_EP = C["EP_ATM_WRITE_OUTPUT_BEFORE"]      # an entry point the drivers do not use themselves


@dataclass
class Case:
    name: str
    side: str                      # "plugin" | "host" | "matrix"
    targets: Tuple[str, ...]
    build: Callable[[str], Scenario]
    languages: Tuple[str, ...] = M.LANGUAGES


def plugins(lang: str, ops: Sequence[Dict[str, list]]) -> List[Plugin]:
    out = []
    for o in ops:
        p = Plugin(lang)
        for phase in ("primary", "secondary", "loop"):
            p.ops[phase] = list(o.get(phase, ()))
        out.append(p)
    return out


def scn(lang: str, primary=(), secondary=(), loop=(), more=(), **host) -> Scenario:
    """One plugin in ``lang`` with these operations (``more``: the ops of further plugins
    of the same language), the standard host with ``host`` keywords."""
    host.setdefault("n_dom", 2)
    host.setdefault("eps", ((LOOP_EP, 1, 0),))
    ops = [dict(primary=primary, secondary=secondary, loop=loop), *more]
    return Scenario(standard_host(**host), plugins(lang, ops))


def host_scn(lang: str, host_ops: list, plugin_ops=None) -> Scenario:
    """A host script of its own (``lang`` is the host's language; plugins in C)."""
    return Scenario(list(host_ops), plugins("c", plugin_ops or [{}]))


def ex(name, jg, kind="field3d", dtype="d", device=0):
    return (name, jg, kind, dtype, device)


EXPOSED = (ex("a", 1), ex("a", 2, "field2d", "f"), ex("c", 1, "container"), ex("i", 1, "irregular"),
           ex("t", 1, "tracer", "d"), ex("n", 1, "field3d", "i"))
META = (("a", 1, "zaxis_id", C["COMIN_ZAXIS_3D"]), ("a", 1, "units", "K"), ("a", 1, "scale", 1.5),
        ("a", 1, "restart", False), ("a", 2, "zaxis_id", C["COMIN_ZAXIS_2D"]))


def setup(*extra: tuple, n_dom=2, handler=True, has_device=False) -> list:
    """The start of a host script: init, error handler, check, global and domain data."""
    ops: list = [("init", ())]
    if handler:
        ops += [("errhandler", (False,)), ("check", (8,))]
    ops.append(("global", (n_dom, 4, int(has_device))))
    for jg in range(1, n_dom + 1):
        ops.append(("domain", (jg, 1 + jg, 12 + jg)))
    return ops + list(extra)


CASES: List[Case] = []


def case(name, side, targets, languages=M.LANGUAGES):
    def deco(fn):
        CASES.append(Case(name, side, tuple(targets), fn, tuple(languages)))
        return fn
    return deco


# -- callbacks -------------------------------------------------------------------------------------

@case("callback_register: phase, entry point, both; the last entry point; language checks", "plugin",
      ["callback_register.phase", "callback_register.ep", "callback_register.phase<ep",
       "callback_register.callable", "callback_register.null", "callback_register.ep_overflow"])
def _(lang):
    own = {"python": [("callback_register", (2 ** 70,)), ("callback_register_none", (5,))],
           "c": [("callback_register_null", (5,))], "fortran": []}[lang]
    return scn(lang, primary=[("callback_register", (43,)), ("callback_register", (0,)),
                              ("callback_register", (-1,)), ("callback_register", (42,)),
                              ("callback_register", (42,))] + own,
               secondary=[("callback_register", (5,)), ("callback_register", (666,))] + own[-1:],
               eps=((LOOP_EP, 1, 0), (C["EP_DESTRUCTOR"], -1, 0)))


@case("callback_register: one callback per entry point (C/Fortran), several (Python); plugin order", "plugin",
      ["callback_register.one_per_ep", "callback_register.several_python", "context_call.order"])
def _(lang):
    twice = [("callback_register", (OUT_EP,)), ("callback_register", (OUT_EP,)),
             ("callback_register", (SECONDARY,)), ("callback_register", (LOOP_EP,))]
    # a plugin's callables at one entry point share its syncs: exchanged once before, once after
    sec = [("var_get", ((OUT_EP,), "a", 1, R | W | H))]
    return scn(lang, primary=twice, secondary=sec, loop=[("current_ep", ())],
               more=[dict(primary=twice[:1], secondary=[("var_get", ((OUT_EP,), "a", 2, W | H))])],
               exposures=EXPOSED, metadata=META, eps=((LOOP_EP, 1, 0), (OUT_EP, -1, 0)))


@case("callback_get_ep_name", "plugin", ["callback_get_ep_name.name", "callback_get_ep_name.ep"])
def _(lang):
    return scn(lang, primary=[("callback_get_ep_name", (e,)) for e in (1, 10, 42, 43, 0, -1, 666)])


# -- current state -------------------------------------------------------------------------------

@case("current state: entry point, domain in and outside a domain loop, date, plugin, version", "plugin",
      ["state.ep", "state.domain_inside", "state.domain_outside", "state.datetime", "state.plugin_info",
       "state.version"])
def _(lang):
    state = [("current_ep", ()), ("current_domain", ()), ("datetime", ()), ("plugin_info", ())]
    return scn(lang, primary=[("current_domain", ()), ("plugin_info", ()), ("version", ())],
               secondary=state, loop=state, more=[dict(loop=state[:2])],
               eps=((LOOP_EP, 1, 0), (LOOP_EP, -1, 0), (LOOP_EP, 2, 0)))


# -- var_get -----------------------------------------------------------------------------------------

@case("var_get: each check", "plugin",
      ["var_get.phase", "var_get.no_device", "var_get.not_found", "var_get.container_halo",
       "var_get.irregular_halo", "var_get.context_ep", "var_get.flag_bits"])
def _(lang):
    own = [("var_get_badctx", ("a", 1))] if lang == "python" else []
    return scn(lang, primary=[("var_get", (LOOP, "a", 1, R))],
               secondary=own + [("var_get", (LOOP, "a", 1, R | D)), ("var_get", (LOOP, "zz", 1, R)),
                          ("var_get", (LOOP, "a", 3, R)), ("var_get", (LOOP, "c", 1, R | H)),
                          ("var_get", (LOOP, "i", 1, W | H)), ("var_get", ((43,), "a", 1, R)),
                          ("var_get", ((LOOP_EP, 0), "a", 1, R)), ("var_get", (LOOP, "a", 1, R | 32)),
                          ("var_get", (LOOP, "c", 1, R)), ("var_get", (LOOP, "i", 1, R))],
               loop=[("var_get", (LOOP, "a", 1, R))], exposures=EXPOSED, metadata=META)


@case("var_get: device memory and the halo function (comin's checks)", "plugin",
      ["var_get.no_device_memory", "var_get.halo_missing"])
def _(lang):
    return scn(lang, secondary=[("var_get", (LOOP, "a", 1, R | D)), ("var_get", (LOOP, "d", 1, R | D)),
                                ("var_get", (LOOP, "a", 2, R | H))],
               exposures=EXPOSED + (ex("d", 1, device=1),), has_device=True, halo=False)


@case("var_get: order of its checks", "plugin",
      ["var_get.phase<no_device", "var_get.no_device<not_found", "var_get.container_halo<irregular_halo", "var_get.irregular_halo<halo_missing",
       "var_get.halo_missing<context_ep", "var_get.context_ep<flag_bits"])
def _(lang):
    # upstream's test_errorcodes: var_get in the primary constructor with garbage entry points is 30
    first = [("var_get", ((43, 666), "zz", 1, R | D | H | 64))]
    return scn(lang, primary=first,
               secondary=[("var_get", (LOOP, "zz", 1, R | D)), ("var_get", ((43,), "a", 1, R | 32)),
                          ("var_get", (LOOP, "ci", 1, R | H))],
               more=[dict(secondary=[("var_get", (LOOP, "c", 1, R | D | H)),
                                     ("var_get", (LOOP, "i", 1, R | H)),
                                     ("var_get", ((43,), "a", 1, R | H))])],
               exposures=EXPOSED + (ex("ci", 1, "container_irregular"),), has_device=False, halo=False)


@case("var_get: order with a device", "plugin", ["var_get.no_device_memory<container_halo"])
def _(lang):
    return scn(lang, secondary=[("var_get", (LOOP, "c", 1, R | D | H)), ("var_get", (LOOP, "zz", 1, R | D))],
               exposures=EXPOSED, has_device=True)


@case("a host that does not set has_device has no device", "plugin", ["descr.has_device_default"])
def _(lang):
    return scn(lang, secondary=[("var_get", (LOOP, "d", 1, R | D))], exposures=(ex("d", 1, device=1),),
               has_device=None)


@case("var_get: the first flag wins; EP_SECONDARY_CONSTRUCTOR is not an access", "plugin",
      ["var_get.first_flag", "var_get.secondary_not_listed"])
def _(lang):
    return scn(lang, secondary=[("var_get", ((SECONDARY, LOOP_EP), "a", 1, R | H)),
                                ("var_get", (LOOP, "a", 1, W | H)), ("var_get", ((OUT_EP,), "a", 2, W | H)),
                                ("var_get", ((OUT_EP,), "a", 2, R))],
               exposures=EXPOSED, metadata=META,
               eps=((LOOP_EP, 1, 0), (SECONDARY, -1, 0), (OUT_EP, -1, 0)))


# -- handles ---------------------------------------------------------------------------------------

@case("handles: shape, dim semantics, ncontained, datatype; reads and writes of host memory", "plugin",
      ["handle.shape", "handle.ncontained_c", "handle.ncontained_fortran", "handle.aliases_host",
       "handle.write_reaches_host", "handle.readonly", "handle.write_unchecked"])
def _(lang):
    names = [("a", 1), ("a", 2), ("c", 1), ("t", 1), ("n", 1), ("i", 1)]
    sec = [("var_get", (LOOP, n, j, R | W)) for n, j in names[:3]] + \
          [("var_get", (LOOP, n, j, R)) for n, j in names[3:]]
    info = [("var_info", nj) for nj in names]
    loop = [("var_read", ("a", 1)), ("var_elem", ("a", 1, 5)), ("var_write", ("a", 1, 3)),
            ("var_elem", ("a", 1, 5)), ("var_write", ("a", 2, -2)), ("var_read", ("a", 2)),
            ("var_write", ("t", 1, 1)), ("var_write", ("n", 1, 7)), ("var_read", ("n", 1)),
            ("var_elem", ("c", 1, 47)), ("var_elem", ("a", 1, 100000)), ("var_read", ("zz", 1))]
    return scn(lang, secondary=sec + info, loop=loop, exposures=EXPOSED, metadata=META,
               eps=((LOOP_EP, 1, 0), (LOOP_EP, 2, 0)))


@case("typed pointers of another datatype (37), of a strided host array, a null handle (26)", "plugin",
      ["handle.wrong_type", "handle.null", "handle.not_contiguous"], languages=("c", "fortran"))
def _(lang):
    ptr = [("var_ptr", (k, v, 1)) for v in ("a", "n", "s", "q", "sc") for k in ("d", "f", "i", "dd", "df", "di")]
    # q: a tracer that is a slice of a container (its unit dimensions have the container's strides)
    return scn(lang, secondary=ptr + [("var_ptr", ("d", "zz", 1)), ("var_shape_null", ())],
               exposures=EXPOSED + (ex("dv", 1, device=1), ex("s", 1, "strided"), ex("q", 1, "tracer_slice"),
                                    ex("sc", 1, "strided_container")),
               has_device=True)


@case("var_get with an empty context: a handle, no access (C: context_len <= 0 with any pointer, "
      "a NULL context with entries is 26)", "plugin", ["var_get.context_empty", "var_get.context_null"])
def _(lang):
    sec = [("var_get", ((), "a", 1, R)), ("var_info", ("a", 1))]
    if lang == "c":
        sec += [("var_get_raw", ("a", 2, R, 0, 1)), ("var_get_raw", ("n", 1, R, -1, 0)),
                ("var_get_raw", ("t", 1, R, -3, 1)), ("var_get_raw", ("c", 1, R, 1, 1)),
                ("var_get_raw", ("c", 1, R, 2, 1)), ("var_get_raw", ("zz", 1, R, 1, 1)),
                ("var_info", ("n", 1))]
    return scn(lang, secondary=sec, loop=[("var_read", ("a", 1))], exposures=EXPOSED,
               eps=((LOOP_EP, 1, 0),))


@case("the list of exposed variables, before and after the primary constructors", "plugin",
      ["var_descr_list.order"])
def _(lang):
    return scn(lang, primary=[("var_descr_list", ())], secondary=[("var_descr_list", ())],
               exposures=(ex("b", 2), ex("a", 1), ex("b", 1)), expose_before_primary=True)


# -- requests -----------------------------------------------------------------------------------------

@case("requests: phase, exclusive conflicts (both ways and both exclusive), merge, all domains", "plugin",
      ["request.phase", "request.is_exclusive", "request.request_exclusive", "request.merge",
       "request.all_domains", "request.is_exclusive<request_exclusive", "request.phase<is_exclusive"])
def _(lang):
    p1 = [("var_request_add", ("x", 1, True)), ("var_request_add", ("x", 1, False)),
          ("var_request_add", ("y", 1, False)), ("var_request_add", ("y", 1, True)),
          ("var_request_add", ("x", 1, True)), ("var_request_add", ("m", 2, False)),
          ("var_request_add", ("m", 2, False)), ("var_request_add", ("x", -1, False)),
          ("var_request_add", ("v", -1, True))]
    p2 = [("var_request_add", ("m", -1, False)), ("var_request_add", ("v", 2, False))]
    return scn(lang, primary=p1, secondary=[("var_request_add", ("x", 1, True)),
                                            ("var_request_add", ("new", 1, False))],
               more=[dict(primary=p2)])


# -- request metadata ----------------------------------------------------------------------------------

@case("metadata_set: phase, tracer, type, not found, all domains, partial, order", "plugin",
      ["metadata_set.phase", "metadata_set.tracer", "metadata_set.type", "metadata_set.not_found",
       "metadata_set.all_domains", "metadata_set.partial", "metadata_set.phase<tracer",
       "metadata_set.tracer<type", "metadata_set.int_range"])
def _(lang):
    prim = [("var_request_add", ("v", -1, False)), ("var_request_add", ("tr", 1, False)),
            ("var_request_add", ("tt", -1, False)), ("var_request_add", ("w", 1, False)),
            ("metadata_set", ("v", -1, "units", "K")), ("metadata_set", ("v", 2, "scale", 1)),
            ("metadata_set", ("v", -1, "scale", "one")), ("metadata_set", ("v", 1, "restart", True)),
            ("metadata_set", ("v", 1, "restart", 2.5)), ("metadata_set", ("tr", 1, "tracer", True)),
            ("metadata_set", ("tr", 1, "tracer", False)), ("metadata_set", ("tt", 1, "tracer", True)),
            ("metadata_set", ("tt", -1, "tracer", True)), ("metadata_set", ("w", 1, "zaxis_id", 1)),
            ("metadata_set", ("w", 1, "tracer", 1)), ("metadata_set", ("w", 1, "tracer", True)),
            ("metadata_set", ("w", -1, "units", "m")), ("metadata_set", ("nope", 1, "units", "K")),
            ("metadata_set", ("nope", -1, "units", "K")),
            # id -1 means the domains 1..n_dom, not a request the plugin made for domain 3
            ("var_request_add", ("z", 3, False)), ("var_request_add", ("z", 1, False)),
            ("metadata_set", ("z", -1, "units", "K")), ("metadata_set", ("z", 3, "scale", 2.0))]
    if lang == "python":         # the adapter's C int range
        prim += [("metadata_set", ("z", 1, k, v)) for k, v in (("big", 2 ** 31), ("big", 2 ** 31 - 1),
                                                              ("small", -2 ** 31), ("small", -2 ** 31 - 1))]
    return scn(lang, primary=prim, secondary=[("metadata_set", ("tr", 1, "tracer", True)),
                                              ("metadata_set", ("nope", 1, "units", "K"))])


# -- exposed metadata ----------------------------------------------------------------------------------

@case("metadata_get, typeid and keys: phase, not exposed, missing key, values", "plugin",
      ["metadata_get.phase", "metadata_get.not_found", "metadata_get.missing", "metadata_get.missing_python",
       "metadata_get.value", "metadata_typeid.phase", "metadata_typeid.not_found", "metadata_typeid.value",
       "metadata_keys.phase", "metadata_keys.not_found", "metadata_keys.value", "metadata_get.phase<not_found",
       "metadata_typeid.phase<not_found", "metadata_keys.phase<not_found"])
def _(lang):
    prim = [("metadata_get", ("a", 1, "units")), ("metadata_get", ("zz", 1, "units")),
            ("metadata_typeid", ("a", 1, "units")), ("metadata_typeid", ("zz", 1, "units")),
            ("metadata_keys", ("a", 1)), ("metadata_keys", ("zz", 1))]
    sec = [("metadata_get", ("a", 1, k)) for k in ("zaxis_id", "units", "scale", "restart", "datatype", "nope")] + \
          [("metadata_typeid", ("a", 1, k)) for k in ("zaxis_id", "units", "scale", "restart", "nope")] + \
          [("metadata_get", ("zz", 1, "units")), ("metadata_typeid", ("zz", 1, "units")),
           ("metadata_keys", ("a", 1)), ("metadata_keys", ("a", 2)), ("metadata_keys", ("zz", 1)),
           ("metadata_get", ("a", 2, "zaxis_id"))]
    return scn(lang, primary=prim, secondary=sec, loop=[("metadata_get", ("a", 1, "units"))],
               exposures=EXPOSED, metadata=META, expose_before_primary=True)


@case("typed metadata getters of another type (36)", "plugin", ["metadata_get.type"], languages=("c", "fortran"))
def _(lang):
    sec = [("metadata_get_typed", ("a", 1, k, t)) for k in ("units", "zaxis_id", "scale", "restart")
           for t in ("i", "f", "s", "b")]
    return scn(lang, secondary=sec, exposures=EXPOSED, metadata=META)


# -- descriptive data ------------------------------------------------------------------------------------

@case("descriptive data per domain, glb2loc per domain, index helpers", "plugin",
      ["descr.global", "descr.domain", "descr.domain_unset", "descr.timestep", "descr.timestep_unset",
       "descr.timestep_outside", "descr.glb2loc", "descr.index", "descr.block", "descr.npromz"])
def _(lang):
    ops = [("descr_global", (f,)) for f in ("n_dom", "nproma", "has_device")] + \
          [("descr_domain", (jg, f)) for jg in (1, 2, 3) for f in ("nlev", "id", "ncells", "nblks")] + \
          [("timestep", (jg,)) for jg in (1, 2, 3, 7, 8, 0)] + [("glb2loc", (jg, g)) for jg in (1, 2) for g in (1, 7)] + \
          [(op, (j,)) for j in (0, 1, 4, 5, 8, 9, -1, -4, -5, 123) for op in ("index", "block")] + \
          [("npromz", (jg,)) for jg in (1, 2, 3)]
    # three domains, the host described the first two only
    return scn(lang, primary=ops, loop=[("glb2loc", (2, 3)), ("descr_domain", (2, "nlev"))], n_dom=3,
               described=(1, 2))


@case("no nproma: the index helpers are 25", "plugin", ["descr.nproma_unset"])
def _(lang):
    host = [("init", ()), ("errhandler", (False,)), ("check", (8,)), ("global", (1, None, 0)),
            ("primary", ()), ("finalize", ())]
    return Scenario(host, plugins(lang, [dict(primary=[("index", (5,)), ("block", (5,))])]))


@case("no lookup function: glb2loc is 7", "plugin", ["descr.glb2loc_unset"])
def _(lang):
    return scn(lang, primary=[("glb2loc", (1, 3))], glb2loc=False)


# -- host: entry points and synchronisation ------------------------------------------------------------

def _sync_plugin(sec):
    return [dict(secondary=sec, loop=[("var_read", ("a", 1))])]


@case("context call: silent before the primary constructors, unknown entry point, bad domain", "host",
      ["context_call.before_primary", "context_call.ep", "context_call.domain"])
def _(lang):
    return host_scn(lang, setup(("ep", (LOOP_EP, 1, 0)), ("ep", (43, 99, 1)), ("primary", ()),
                                ("ep", (SECONDARY, -1, 0)), ("ep", (43, -1, 0)), ("ep", (0, 1, 0)),
                                ("ep", (LOOP_EP, 3, 0)), ("ep", (LOOP_EP, 0, 0)), ("ep", (LOOP_EP, -2, 0)),
                                ("ep", (C["EP_FINISH"], 3, 0)), ("finalize", ())))


@case("context call after finalize, finalize twice", "host",
      ["context_call.closed", "context_call.ep<closed", "context_call.closed<domain", "host.finalize_twice"],
      languages=("python",))
def _(lang):
    return host_scn(lang, setup(("primary", ()), ("ep", (SECONDARY, -1, 0)), ("finalize", ()),
                                ("ep", (43, -1, 0)), ("ep", (LOOP_EP, 1, 0)), ("ep", (LOOP_EP, 7, 0)),
                                ("finalize", ())))


@case("halo exchange: read before, write after, 2-D and 3-D modes, other zaxis (35)", "host",
      ["sync.halo_read", "sync.halo_write", "sync.halo_mode_2d", "sync.halo_mode_3d", "sync.halo_zaxis",
       "host.requests"])
def _(lang):
    ops = setup(("halo", (False,)), ("primary", ()), ("requests", ()),
                ("expose", ex("a", 1)), ("expose", ex("a", 2, "field2d", "f")), ("expose", ex("u", 1)),
                ("expose", ex("h", 1)), ("meta", ("a", 2, "zaxis_id", 1)), ("meta", ("h", 1, "zaxis_id", 3)),
                ("ep", (SECONDARY, -1, 0)), ("ep", (LOOP_EP, 1, 0)), ("ep", (OUT_EP, -1, 0)), ("finalize", ()))
    sec = [("var_get", (LOOP, "a", 1, R | W | H)), ("var_get", (LOOP, "a", 2, W | H)),
           ("var_get", (LOOP, "u", 1, R | H)), ("var_get", ((OUT_EP,), "h", 1, W | H))]
    return host_scn(lang, ops, [dict(primary=[("callback_register", (OUT_EP,)),
                                              ("var_request_add", ("q", -1, False)),
                                              ("metadata_set", ("q", -1, "units", "kg")),
                                              ("metadata_set", ("q", 1, "scale", 0.25)),
                                              ("metadata_set", ("q", 2, "restart", True)),
                                              ("metadata_set", ("q", 2, "zaxis_id", 1))],
                                     secondary=sec, loop=[("var_write", ("a", 2, 1))]),
                                dict(primary=[("var_request_add", ("q", 2, False))])])


@case("device copies with lacc: read before, write after; no device function (28)", "host",
      ["sync.device_read", "sync.device_write", "sync.device_missing"])
def _(lang):
    body = [("primary", ()), ("expose", ex("a", 1)), ("expose", ex("b", 1, "field2d")),
            ("expose", ex("g", 1, device=1)), ("ep", (SECONDARY, -1, 0)), ("ep", (LOOP_EP, 1, 1)),
            ("ep", (LOOP_EP, 1, 0)), ("ep", (OUT_EP, -1, 1)), ("finalize", ())]
    # at EP_ATM_TIMELOOP_START the plugin's one callback needs no sync of its own (no DEVICE,
    # no SYNC_HALO), so only lacc decides whether the host copies
    sec = [("var_get", (LOOP, "a", 1, R)), ("var_get", (LOOP, "b", 1, W)), ("var_get", ((OUT_EP,), "g", 1, R | D)),
           ("var_get", ((OUT_EP,), "b", 1, R))]
    # two sessions in one script: with the host's device function, then without one
    ops = setup(("device", (False,)), *body, has_device=True) + setup(*body, has_device=True)
    return host_scn(lang, ops, [dict(primary=[("callback_register", (OUT_EP,))], secondary=sec)])


@case("setup: init twice, checks, null setters, host metadata, expose twice", "host",
      ["host.init_twice", "host.errhandler_null", "host.check_no_handler", "host.check_precision",
       "host.check_no_handler<check_precision", "host.glb2loc_null", "host.sync_device_null",
       "host.sync_halo_null", "host.metadata_not_found", "host.metadata_type", "host.expose_twice",
       "host.errors_return", "host.setter_not_callable", "host.no_plugin", "host.primary_twice",
       "host.metadata_typeid_phase", "host.metadata_typeid"])
def _(lang):
    nulls = [] if lang == "fortran" else [("errhandler", (True,)), ("glb2loc", (True,)), ("halo", (True,)),
                                          ("device", (True,))]
    if lang == "python":
        nulls += [(name, ("bad",)) for name in ("errhandler", "glb2loc", "halo", "device")]
    ops = [("init", ()), ("check", (8,)), ("check", (4,)), ("init", ()), *nulls, ("errhandler", (False,)),
           ("check", (4,)), ("check", (8,)), ("global", (1, 4, 0)), ("domain", (1, 2, 9)), ("plugin_info", ()),
           ("expose", ex("b", 1)), ("typeid", ("b", 1, "datatype")), ("primary", ()), ("primary", ()),
           ("typeid", ("b", 1, "datatype")), ("typeid", ("zz", 1, "units")), ("typeid", ("b", 1, "nope")),
           ("expose", ex("a", 1)), ("expose", ex("a", 1, "field2d")), ("meta", ("zz", 1, "units", "K")),
           ("meta", ("a", 1, "units", "K")), ("meta", ("a", 1, "units", 1)), ("meta", ("a", 1, "units", "m")),
           ("meta", ("a", 1, "scale", 0.5)), ("meta", ("a", 1, "scale", True)),
           ("ep", (SECONDARY, -1, 0)), ("finalize", ())]
    return host_scn(lang, ops, [dict(secondary=[("metadata_get", ("a", 1, "units")),
                                                ("metadata_get", ("a", 1, "scale"))])])


@case("the primary constructors without n_dom; global data read back", "host",
      ["host.primary_no_n_dom", "host.global_unset"], languages=("python", "c"))
def _(lang):
    return host_scn(lang, [("init", ()), ("errhandler", (False,)), ("check", (8,)), ("get_n_dom", ()),
                           ("primary", ()), ("global", (None, 4, 0)), ("primary", ()), ("global", (2, 4, 0)),
                           ("get_n_dom", ()), ("finalize", ())])


@case("the primary constructors before the global data (a Fortran host passes the whole derived "
      "type, so the only way is not to set it)", "host", ["host.primary_no_n_dom"], languages=("fortran",))
def _(lang):
    return host_scn(lang, [("init", ()), ("errhandler", (False,)), ("check", (8,)), ("primary", ()),
                           ("global", (2, 4, 0)), ("primary", ()), ("finalize", ())])


# -- every host language with every plugin language ---------------------------------------------------

def matrix(plugin_lang: str) -> Scenario:
    """One scenario that touches every part of the API (the smoke test of a pairing)."""
    prim = [("var_request_add", ("q", -1, False)), ("metadata_set", ("q", -1, "units", "K")),
            ("metadata_set", ("q", 1, "tracer", True)), ("current_domain", ()),
            ("callback_register", (OUT_EP,)), ("version", ())]
    sec = [("var_get", (LOOP, "a", 1, R | W | H)), ("var_get", ((OUT_EP,), "a", 2, R | H)),
           ("var_info", ("a", 1)), ("metadata_get", ("a", 1, "zaxis_id")), ("metadata_keys", ("a", 1)),
           ("var_descr_list", ()), ("current_ep", ()), ("plugin_info", ()), ("descr_domain", (2, "nlev")),
           ("glb2loc", (2, 7)), ("timestep", (2,)), ("index", (7,)), ("block", (7,)), ("npromz", (1,))]
    loop = [("current_domain", ()), ("datetime", ()), ("var_read", ("a", 1)), ("var_write", ("a", 1, 2)),
            ("var_elem", ("a", 1, 3))]
    host = standard_host(2, exposures=[ex("a", 1), ex("a", 2, "field2d", "f")],
                         metadata=[("a", 1, "zaxis_id", 2), ("a", 2, "zaxis_id", 1)],
                         eps=[(LOOP_EP, 1, 0), (LOOP_EP, -1, 0), (OUT_EP, -1, 0)])
    return Scenario(host, plugins(plugin_lang, [dict(primary=prim, secondary=sec, loop=loop),
                                                dict(primary=prim[:1], loop=loop[:1])]))
