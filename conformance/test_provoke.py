"""Each error code that can arise in Python, provoked on purpose (host and plugin side).

The random scenarios reach most codes; these make sure every one is covered
on every run, and check the code, not just that something failed.
"""
import numpy as np
import pytest

import comin
from comin.host import Host, PluginDescription

import _codes as coverage

C = comin


def _expect(code, fn, *args, **kw):
    with pytest.raises(comin.ComInError) as e:
        fn(*args, **kw)
    assert e.value.code == code, f"{e.value.name}: {e.value}"
    coverage.record("python", code)


def _host(*plugins, n_dom=1, **kw):
    h = Host([PluginDescription(name=f"p{i}", constructor=p) for i, p in enumerate(plugins, 1)], **kw)
    h.set_global(n_dom=n_dom, nproma=4)
    return h


def _in_plugin(body, phase="primary", expose=()):
    """Run ``body`` inside a plugin (primary constructor or secondary constructor)."""
    caught = []

    def plugin():
        def run():
            try:
                body()
            except comin.ComInError as exc:
                caught.append(exc.code)
        if phase == "primary":
            run()
        else:
            comin.callback_register(C.EP_SECONDARY_CONSTRUCTOR, run)

    with _host(plugin, n_dom=2) as h:
        if any(c is True for *_, c in expose):
            h.set_sync_halo(lambda handle, mode: None)
        h.run_primary_constructors()
        for name, jg, kind, _halo in expose:
            if kind == "container":
                h.expose(name, jg, np.zeros((4, 2, 3, 2), order="F"), lcontainer=True, ncontained=2,
                         dim_semantics=(C.COMIN_DIM_SEMANTICS_NPROMA, C.COMIN_DIM_SEMANTICS_LEVEL,
                                        C.COMIN_DIM_SEMANTICS_BLOCK, C.COMIN_DIM_SEMANTICS_CONTAINER))
            elif kind == "irregular":
                h.expose(name, jg, np.zeros((4, 2, 3), order="F"),
                         dim_semantics=(C.COMIN_DIM_SEMANTICS_NPROMA, C.COMIN_DIM_SEMANTICS_UNDEF,
                                        C.COMIN_DIM_SEMANTICS_BLOCK))
            else:
                h.expose(name, jg, np.zeros((4, 2, 3), order="F"))
        h.call_ep(C.EP_SECONDARY_CONSTRUCTOR)
    return caught


@pytest.mark.parametrize("code, body, phase, expose", [
    (21, lambda: (C.var_request_add(("x", 1), True), C.var_request_add(("x", 1), False)), "primary", ()),
    (22, lambda: (C.var_request_add(("x", 1), False), C.var_request_add(("x", 1), True)), "primary", ()),
    (27, lambda: (C.var_request_add(("x", 1), False), C.metadata_set(("x", 1), tracer=True)), "primary", ()),
    (36, lambda: (C.var_request_add(("x", -1), False), C.metadata_set(("x", 1), k=1),
                  C.metadata_set(("x", -1), k="one")), "primary", ()),
    (33, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("c", 1), C.COMIN_FLAG_READ | C.COMIN_FLAG_SYNC_HALO),
     "secondary", (("c", 1, "container", True),)),
    (34, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("i", 1), C.COMIN_FLAG_READ | C.COMIN_FLAG_SYNC_HALO),
     "secondary", (("i", 1, "irregular", True),)),
    (29, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("f", 1), C.COMIN_FLAG_READ | C.COMIN_FLAG_SYNC_HALO),
     "secondary", (("f", 1, "field", False),)),
    (10, lambda: C.metadata_get(("f", 1), "nope"), "secondary", (("f", 1, "field", False),)),
])
def test_plugin_side_codes(code, body, phase, expose):
    caught = _in_plugin(body, phase, expose)
    assert caught == [code]
    coverage.record("python", code)


def test_36_leaves_no_half_written_metadata():
    seen = {}

    def plugin():
        C.var_request_add(("x", -1), False)
        C.metadata_set(("x", 2), k=1)                 # domain 2 holds an int
        try:
            C.metadata_set(("x", -1), k="one")        # conflicts on domain 2 only
        except comin.ComInError as exc:
            seen["code"] = exc.code

    with _host(plugin, n_dom=2) as h:
        h.run_primary_constructors()
        seen["meta"] = {r.domain_id: dict(r.metadata) for r in h.requests}
    assert seen["code"] == 36
    assert seen["meta"] == {1: {}, 2: {"k": 1}}       # domain 1 untouched


def test_host_side_codes():
    h = _host()
    try:
        _expect(13, Host, [])                                      # a second Host
        _expect(17, h.set_error_handler, None)
        _expect(7, h.set_glb2loc_cell, None)
        _expect(28, h.set_sync_device_mem, None)
        _expect(29, h.set_sync_halo, None)
        _expect(19, h.check, "host", wp=4)
        h.run_primary_constructors()
        h.expose("v", 1, np.zeros((4, 3), order="F"))
        _expect(3, h.expose, "v", 1, np.zeros((4, 3), order="F"))   # exposed twice
        _expect(24, h.set_metadata, "w", 1, units="K")
        _expect(6, h.call_ep, 43)
    finally:
        h.finalize()
    _expect(12, h.finalize)


def test_descriptive_data_not_set_is_25():
    caught = []

    def plugin():
        try:
            C.descrdata_get_domain(1).cells.clon
        except comin.ComInError as exc:
            caught.append(exc.code)

    with _host(plugin) as h:
        h.set_domain(1, nlev=3)
        h.run_primary_constructors()
    assert caught == [25]
    coverage.record("python", 25)


def test_halo_sync_of_half_levels_is_35():
    def plugin():
        def sc():
            C.var_get([C.EP_ATM_TIMELOOP_START], ("w", 1), C.COMIN_FLAG_READ | C.COMIN_FLAG_SYNC_HALO)
        C.callback_register(C.EP_SECONDARY_CONSTRUCTOR, sc)
        C.callback_register(C.EP_ATM_TIMELOOP_START, lambda: None)

    with _host(plugin) as h:
        h.set_sync_halo(lambda handle, mode: None)
        h.run_primary_constructors()
        h.expose("w", 1, np.zeros((4, 3, 2), order="F"), metadata={"zaxis_id": C.COMIN_ZAXIS_3D_HALF})
        h.call_ep(C.EP_SECONDARY_CONSTRUCTOR)
        _expect(35, h.call_ep, C.EP_ATM_TIMELOOP_START, 1)


def test_device_sync_without_function_is_28():
    def plugin():
        def sc():
            C.var_get([C.EP_ATM_TIMELOOP_START], ("v", 1), C.COMIN_FLAG_READ)
        C.callback_register(C.EP_SECONDARY_CONSTRUCTOR, sc)
        C.callback_register(C.EP_ATM_TIMELOOP_START, lambda: None)

    with _host(plugin) as h:
        h.run_primary_constructors()
        h.expose("v", 1, np.zeros((4, 3), order="F"))
        h.call_ep(C.EP_SECONDARY_CONSTRUCTOR)
        _expect(28, h.call_ep, C.EP_ATM_TIMELOOP_START, 1, True)
