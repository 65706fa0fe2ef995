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
    # the phase rules and lookups (also drawn by the scenario tests; here deterministically)
    (4, lambda: C.callback_register(C.EP_ATM_TIMELOOP_START, lambda: None), "secondary", ()),
    (9, lambda: C.metadata_set(("f", 1), units="K"), "secondary", (("f", 1, "field", False),)),
    (11, lambda: C.metadata_get(("f", 1), "units"), "primary", (("f", 1, "field", False),)),
    (20, lambda: C.var_request_add(("x", 1), False), "secondary", ()),
    (23, lambda: C.metadata_set(("x", 1), units="K"), "primary", ()),
    (30, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("f", 1), C.COMIN_FLAG_READ), "primary",
     (("f", 1, "field", False),)),
    (31, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("f", 1), C.COMIN_FLAG_READ | C.COMIN_FLAG_DEVICE),
     "secondary", (("f", 1, "field", False),)),
    (32, lambda: C.var_get([C.EP_ATM_TIMELOOP_START], ("g", 1), C.COMIN_FLAG_READ), "secondary",
     (("f", 1, "field", False),)),
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


# -- C and Fortran: each code that can arise through the drivers, by a fixed scenario ------------

def _c_scenario(primary=(), secondary=(), timeloop=(), exposures=(), halo=True, n_dom=2):
    from comin.testing.scenarios import PluginScript, Scenario
    p = PluginScript()
    p.ops.update(primary=list(primary), secondary=list(secondary), timeloop=list(timeloop))
    return Scenario(n_dom, [p], list(exposures), halo)


def _exp(name, jg, kind="field", **meta):
    from comin.testing.scenarios import Exposure
    return Exposure(name, jg, meta, kind == "container", kind == "irregular")


_LOOP = (C.EP_ATM_TIMELOOP_START,)
_R, _HALO = C.COMIN_FLAG_READ, C.COMIN_FLAG_READ | C.COMIN_FLAG_SYNC_HALO

C_CASES = {
    4: dict(secondary=[("callback_register", (5,))]),
    6: dict(primary=[("callback_get_ep_name", (666,))]),
    9: dict(secondary=[("metadata_set", ("a", 1, "units", "K"))]),
    10: dict(secondary=[("metadata_get", ("a", 1, "units"))], exposures=[_exp("a", 1)]),
    11: dict(primary=[("metadata_get", ("a", 1, "units"))], exposures=[_exp("a", 1)]),
    20: dict(secondary=[("var_request_add", ("a", 1, False))]),
    21: dict(primary=[("var_request_add", ("a", 1, True)), ("var_request_add", ("a", 1, False))]),
    22: dict(primary=[("var_request_add", ("a", 1, False)), ("var_request_add", ("a", 1, True))]),
    23: dict(primary=[("metadata_set", ("a", 1, "units", "K"))]),
    24: dict(secondary=[("metadata_get", ("b", 1, "units"))], exposures=[_exp("a", 1)]),
    27: dict(primary=[("var_request_add", ("tr", 1, False)), ("metadata_set", ("tr", 1, "tracer", True))]),
    29: dict(secondary=[("var_get", (_LOOP, "a", 1, _HALO))], exposures=[_exp("a", 1)], halo=False),
    30: dict(primary=[("var_get", (_LOOP, "a", 1, _R))], exposures=[_exp("a", 1)]),
    31: dict(secondary=[("var_get", (_LOOP, "a", 1, _R | C.COMIN_FLAG_DEVICE))], exposures=[_exp("a", 1)]),
    32: dict(secondary=[("var_get", (_LOOP, "b", 1, _R))], exposures=[_exp("a", 1)]),
    33: dict(secondary=[("var_get", (_LOOP, "a", 1, _HALO))], exposures=[_exp("a", 1, "container")]),
    34: dict(secondary=[("var_get", (_LOOP, "a", 1, _HALO))], exposures=[_exp("a", 1, "irregular")]),
    # host side: the halo exchange before the C driver's time-loop callback
    35: dict(secondary=[("var_get", (_LOOP, "a", 1, _HALO))], timeloop=[("callback_get_ep_name", (1,))],
             exposures=[_exp("a", 1, zaxis_id=C.COMIN_ZAXIS_3D_HALF)]),
    36: dict(primary=[("var_request_add", ("a", -1, False)), ("metadata_set", ("a", 2, "units", 1)),
                     ("metadata_set", ("a", -1, "units", "K"))]),
}


def _run(language):
    from comin.testing.scenarios import run_c, run_fortran
    return {"c": run_c, "fortran": run_fortran}[language]


@pytest.mark.parametrize("language", ["c", "fortran"])
@pytest.mark.parametrize("code", sorted(C_CASES))
def test_compiled_driver_codes(code, language, tmp_path):
    """Every code of coverage.CAN_ARISE["c"/"fortran"] the model knows, provoked through the
    C and the Fortran driver, equal to the model."""
    from comin.testing.scenarios import run_model
    scn = _c_scenario(**C_CASES[code])
    expected, expected_access = run_model(scn)
    got, got_access = _run(language)(scn, str(tmp_path))
    assert got == expected and got_access == expected_access, scn.script()
    assert code in [r[1] for *_, r in got if r[0] == "error"], scn.script()
    coverage.record_outcomes(language, got)


#: the pointer getters (C/Fortran only, not in the model): operation -> expected result
_PTR_OPS = [
    (("var_ptr", ("d", "a", 1)), ("ok", 1)),               # the host array (doubles)
    (("var_ptr", ("f", "a", 1)), ("error", 37)),           # COMIN_ERROR_VAR_GET_VARIABLE_WRONG_TYPE
    (("var_ptr", ("i", "a", 1)), ("error", 37)),
    (("var_ptr", ("dd", "a", 1)), ("ok", 0)),              # no device memory: NULL, no error
    (("var_ptr", ("df", "a", 1)), ("error", 37)),
    (("var_ptr", ("di", "a", 1)), ("error", 37)),
    (("var_ptr", ("d", "b", 1)), ("error", 32)),           # var_get fails first
    (("var_shape_null", ()), ("error", 26)),               # COMIN_ERROR_POINTER_NOT_ASSOCIATED
]


@pytest.mark.parametrize("language", ["c", "fortran"])
def test_compiled_driver_pointer_getters(language, tmp_path):
    """Codes 26 and 37: the typed pointer getters of the C API (comin_var_get_ptr_double/
    _float/_int and the device variants) and Fortran's handle%get_ptr/get_device_ptr,
    and the shape of a null handle."""
    scn = _c_scenario(secondary=[op for op, _ in _PTR_OPS], exposures=[_exp("a", 1)])
    got, _access = _run(language)(scn, str(tmp_path))
    assert [(name, args, result) for _pid, _phase, name, args, result in got] == \
        [(op[0], op[1], result) for op, result in _PTR_OPS]
    coverage.record_outcomes(language, got)


def test_compiled_cases_cover_what_can_arise():
    codes = set(C_CASES) | {r[1] for _, r in _PTR_OPS if r[0] == "error"}
    assert codes >= coverage.CAN_ARISE["c"] and codes >= coverage.CAN_ARISE["fortran"]


@pytest.mark.parametrize("language", ["c", "fortran"])
def test_compiled_driver_reregisters_its_own_callbacks(language, tmp_path):
    """A scenario's callback_register at EP_SECONDARY_CONSTRUCTOR or EP_ATM_TIMELOOP_START
    re-registers the driver's own callback there (C and Fortran keep one per EP and plugin),
    so the plugin's secondary and time-loop operations still run, as in the model."""
    from comin.testing.scenarios import run_model
    scn = _c_scenario(primary=[("callback_register", (int(C.EP_SECONDARY_CONSTRUCTOR),)),
                               ("callback_register", (int(C.EP_ATM_TIMELOOP_START),)),
                               ("callback_register", (5,))],
                      secondary=[("var_get", (_LOOP, "a", 1, _R))],
                      timeloop=[("callback_get_ep_name", (int(C.EP_ATM_TIMELOOP_START),))],
                      exposures=[_exp("a", 1)])
    expected, expected_access = run_model(scn)
    got, got_access = _run(language)(scn, str(tmp_path))
    assert [r for *_, r in got] == [("ok", None)] * 3 + [("ok", ("a", 1, int(_R))),
                                                         ("ok", "EP_ATM_TIMELOOP_START")]
    assert got == expected and got_access == expected_access


@pytest.mark.parametrize("language", ["python", "c", "fortran"])
def test_the_first_flag_wins(language, tmp_path):
    """One plugin asks twice for one variable at one entry point, READ then WRITE: the access
    list keeps the first flag (ComIn 0.3's var_get), in the model and in each API.
    (The random scenarios draw this too, but not in every run.)"""
    from comin.testing.scenarios import run_model, run_python
    scn = _c_scenario(secondary=[("var_get", (_LOOP, "a", 1, _R)),
                                 ("var_get", (_LOOP, "a", 1, C.COMIN_FLAG_WRITE))],
                      exposures=[_exp("a", 1)])
    expected, expected_access = run_model(scn)
    assert expected_access == {(C.EP_ATM_TIMELOOP_START, 1): [("a", 1, _R)]}
    run = run_python if language == "python" else (lambda s: _run(language)(s, str(tmp_path)))
    got, got_access = run(scn)
    assert got == expected and got_access == expected_access, scn.script()


def test_shipped_fixtures_compare_a_host_with_the_model(comin_host, comin_model):
    """comin.testing.fixtures as a host developer uses them: an exclusive request
    followed by a second one, in comin and in the model (code 21 in both)."""
    got = []

    def plugin():
        for exclusive in (True, False):
            try:
                comin.var_request_add(("x", 1), exclusive)
                got.append(("ok", None))
            except comin.ComInError as exc:
                got.append(("error", exc.code))

    host = comin_host(plugin)
    host.run_primary_constructors()
    model = comin_model()
    assert got == [model.var_request_add(1, "x", 1, True), model.var_request_add(1, "x", 1, False)]
    assert got[1] == ("error", C.COMIN_ERROR_VAR_REQUEST_EXISTS_IS_LMODEXCLUSIVE)
