"""Host.timings(): time spent per plugin and entry point (profile=True)."""
import time

import comin
from comin.host import Host, PluginDescription


def _run(profile):
    def slow():
        @comin.EP_ATM_TIMELOOP_START
        def start():
            time.sleep(0.01)

        @comin.EP_ATM_TIMELOOP_END
        def end():
            pass

    def fast():
        comin.callback_register(comin.EP_ATM_TIMELOOP_END, lambda: None)

    with Host([PluginDescription(name="slow", constructor=slow),
               PluginDescription(name="fast", constructor=fast)], profile=profile) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
        for _ in range(3):
            h.call_ep(comin.EP_ATM_TIMELOOP_START)
            h.call_ep(comin.EP_ATM_TIMELOOP_END, 1)
        return h.timings()


def test_timings_per_plugin_and_entry_point():
    t = _run(True)
    assert [(p, ep, n) for p, ep, n, _ in t] == [
        ("slow", "EP_ATM_TIMELOOP_START", 3),
        ("slow", "EP_ATM_TIMELOOP_END", 3),
        ("fast", "EP_ATM_TIMELOOP_END", 3),
    ]
    assert t[0][3] >= 0.03
    assert 0 <= t[2][3] < 0.03


def test_no_timings_without_profile():
    assert _run(False) == []


def test_dropped_host_does_not_block_the_next():
    import gc
    h = Host([])
    del h
    gc.collect()
    with Host([]) as h2:          # no COMIN_ERROR_SETUP_COMIN_ALREADY_INITIALIZED
        assert not h2.finalized


def test_requested_array_follows_the_metadata():
    import numpy as np
    import pytest
    from comin.host import requested_array
    nblks = {"cells": 5, "edges": 7, "verts": 3}
    a = requested_array("x", 1, {}, 8, 4, nblks)                        # defaults: 3-D double cells
    assert a.shape == (8, 4, 5) and a.dtype == np.float64 and a.flags.f_contiguous and not a.any()
    b = requested_array("x", 1, {"zaxis_id": comin.COMIN_ZAXIS_3D_HALF, "hgrid_id": 2,
                                 "datatype": comin.COMIN_VAR_DATATYPE_FLOAT}, 8, 4, nblks)
    assert b.shape == (8, 5, 7) and b.dtype == np.float32
    c = requested_array("x", 1, {"zaxis_id": comin.COMIN_ZAXIS_2D, "hgrid_id": 3,
                                 "datatype": comin.COMIN_VAR_DATATYPE_INT}, 8, 4, nblks)
    assert c.shape == (8, 3) and c.dtype == np.intc
    for bad, msg in (({"datatype": 9}, "unknown datatype 9"), ({"hgrid_id": 0}, "unknown hgrid_id 0"),
                     ({"zaxis_id": comin.COMIN_ZAXIS_NONE}, "unsupported zaxis_id 0")):
        with pytest.raises(ValueError, match=r"variable \(x, 1\): " + msg):
            requested_array("x", 1, bad, 8, 4, nblks)


def test_var_not_found_hint_is_added_by_the_core():
    import pytest
    seen = []

    def plugin():
        def sc():
            try:
                comin.var_get([comin.EP_ATM_TIMELOOP_START], ("ghost", 1), comin.COMIN_FLAG_READ)
            except comin.ComInError as exc:
                seen.append(exc)
        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, sc)

    with Host([PluginDescription(name="p", constructor=plugin)]) as h:
        h.set_global(n_dom=1, nproma=4)
        h.set_var_not_found_hint(lambda name, jg: f"\nno {name} on {jg} here")
        with pytest.raises(TypeError):
            h.set_var_not_found_hint(42)
        h.run_primary_constructors()
        h.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    assert seen[0].code == comin.COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND
    assert seen[0].detail == "var_descr: ghost, 1\nno ghost on 1 here"
