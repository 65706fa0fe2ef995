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
