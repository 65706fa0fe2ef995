"""The built-in emulator host: plugins run through ICON's entry points (``comin run``: test_cli.py)."""
import numpy as np

import comin
from comin.emulator import Emulator, idx_blk
from _support import emulator_config


def _run(plugins, **cfg):
    emu = Emulator(plugins, emulator_config(**cfg))
    emu.run()
    return emu


def test_ep_order_follows_icon():
    calls = []

    def record(name):
        try:
            jg = comin.current_get_domain_id()
        except RuntimeError:  # outside a domain loop
            jg = -1
        calls.append((name, jg))

    def plugin():
        for i in range(1, 43):
            if i != comin.EP_FINISH:
                name = comin.callback_get_ep_name(i)
                comin.callback_register(i, lambda name=name: record(name))

    _run([plugin], n_dom=2, steps=2)
    names = [c[0] for c in calls]
    assert names[0] == "EP_SECONDARY_CONSTRUCTOR"
    assert names[1] == "EP_ATM_INIT_FINALIZE"
    assert names[-1] == "EP_DESTRUCTOR"
    assert names[-2] == "EP_ATM_TIMELOOP_AFTER"
    assert names.count("EP_ATM_TIMELOOP_START") == 2
    # per step: domain 1 integrates (advection, physics with its 7 pairs), then the
    # nest takes two half steps, then domain 1's nudging and end, in ICON's order
    first = names.index("EP_ATM_TIMELOOP_START")
    step = calls[first:names.index("EP_ATM_TIMELOOP_END") + 1]

    def integrate(jg, children=()):
        seq = ["INTEGRATE_BEFORE", "INTEGRATE_START", "ADVECTION_BEFORE", "ADVECTION_AFTER",
               "PHYSICS_BEFORE"]
        for p in ("SURFACE", "TURBULENCE", "MICROPHYSICS", "CONVECTION", "RADIATION", "RADHEAT", "GWDRAG"):
            seq += [f"{p}_BEFORE", f"{p}_AFTER"]
        seq += ["PHYSICS_AFTER"]
        out = [(f"EP_ATM_{n}", jg) for n in seq]
        for child in children:
            out += child
        out += [(f"EP_ATM_{n}", jg) for n in ("NUDGING_BEFORE", "NUDGING_AFTER", "INTEGRATE_END",
                                                "INTEGRATE_AFTER")]
        return out

    expected = ([("EP_ATM_TIMELOOP_START", -1)] + integrate(1, [integrate(2), integrate(2)])
                + [("EP_ATM_WRITE_OUTPUT_BEFORE", -1), ("EP_ATM_WRITE_OUTPUT_AFTER", -1),
                   ("EP_ATM_TIMELOOP_END", -1)])
    assert step == expected
    # checkpoints (restart files) come after the output of the last step only (by default)
    assert names.count("EP_ATM_CHECKPOINT_BEFORE") == 1
    last = len(names) - 1 - names[::-1].index("EP_ATM_TIMELOOP_START")
    assert names[last:][-5:] == ["EP_ATM_CHECKPOINT_BEFORE", "EP_ATM_CHECKPOINT_AFTER",
                                 "EP_ATM_TIMELOOP_END", "EP_ATM_TIMELOOP_AFTER", "EP_DESTRUCTOR"]


def test_checkpoint_interval():
    calls = []

    def plugin():
        comin.callback_register(comin.EP_ATM_CHECKPOINT_BEFORE,
                                lambda: calls.append(comin.current_get_datetime()))

    _run([plugin], steps=5, checkpoint_every=2, dt=60.0)
    assert calls == ["2026-01-01T00:02:00.000", "2026-01-01T00:04:00.000", "2026-01-01T00:05:00.000"]


def test_fields_change_and_requests_are_served():
    seen = {}

    def plugin():
        comin.var_request_add(("diag2d", -1), False)
        comin.metadata_set(("diag2d", -1), zaxis_id=comin.COMIN_ZAXIS_2D, units="m")
        comin.var_request_add(("flt", 2), False)
        comin.metadata_set(("flt", 2), datatype=comin.COMIN_VAR_DATATYPE_FLOAT)
        comin.var_request_add(("mytracer", -1), False)
        comin.metadata_set(("mytracer", -1), tracer=True, tracer_turb=True)

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            seen["temp"] = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("temp", 1), comin.COMIN_FLAG_READ)
            seen["diag"] = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("diag2d", 2), comin.COMIN_FLAG_WRITE)
            seen["flt"] = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("flt", 2), comin.COMIN_FLAG_READ)
            seen["tr"] = [comin.var_get([comin.EP_ATM_TIMELOOP_END], ("mytracer", jg), comin.COMIN_FLAG_READ)
                          for jg in (1, 2)]
            seen["meta"] = dict(comin.metadata(("mytracer", 2)))
            seen["diag_meta"] = dict(comin.metadata(("diag2d", 1)))
            seen["temps"] = []

        @comin.EP_ATM_TIMELOOP_END
        def end():
            seen["temps"].append(np.asarray(seen["temp"]).copy())

    emu = _run([plugin], n_dom=2, steps=3, nproma=8, ncells=20, nlev=5)
    nblks2 = emu.domains[2].nblks["cells"]
    assert nblks2 == -(-emu.domains[2].grid.ncells // 8)
    assert np.asarray(seen["diag"]).shape == (8, nblks2, 1, 1, 1)
    assert np.asarray(seen["flt"]).dtype == np.float32
    assert np.asarray(seen["flt"]).shape == (8, 5, nblks2, 1, 1)
    # after the host's qv, qc, qi, qr, qs (0-based position 5)
    assert seen["tr"][0].ncontained == 5 and seen["tr"][1].ncontained == 5
    assert seen["meta"]["tracer"] is True and seen["meta"]["tracer_turb"] is True
    assert seen["diag_meta"]["units"] == "m" and seen["diag_meta"]["zaxis_id"] == comin.COMIN_ZAXIS_2D
    t = seen["temps"]
    assert len(t) == 3 and not np.array_equal(t[0], t[1])


def test_descriptive_data_is_consistent():
    out = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            g = comin.descrdata_get_global()
            for jg in (1, 2):
                cells = comin.descrdata_get_domain(jg).cells
                covered = []
                irl_start, irl_end = g.grf_bdywidth_c + 1, g.min_rlcell_int
                sb = cells.start_block[irl_start - g.min_rlcell]
                eb = cells.end_block[irl_end - g.min_rlcell]
                for jb in range(sb, eb + 1):
                    i0, i1 = comin.descrdata_get_cell_indices(jg, jb, sb, eb, irl_start, irl_end)
                    covered += [(jb - 1) * g.nproma + jc for jc in range(i0, i1 + 1)]
                out[jg] = (covered, cells.ncells, comin.descrdata_get_cell_npromz(jg),
                           np.asarray(cells.glb_index).copy())

    emu = _run([plugin], n_dom=2, ncells=320, nproma=7)
    for jg in (1, 2):
        covered, n, npromz, glb = out[jg]
        grid = emu.domains[jg].grid
        assert n == grid.ncells
        # the prognostic loop skips the nest's lateral boundary rows 1..grf_bdywidth_c
        prognostic = [j + 1 for j, r in enumerate(grid.refin_c_ctrl) if not 1 <= r <= 4]
        assert covered == prognostic
        assert len(prognostic) > 0 and (jg == 2) == (len(prognostic) < n)
        assert npromz == n - (-(-n // 7) - 1) * 7
        assert glb.tolist() == list(range(1, n + 1))


def test_idx_blk_matches_core():
    j = np.arange(-30, 31)
    for nproma in (1, 3, 7):
        jc, jb = idx_blk(j, nproma)
        got = []

        def plugin():
            @comin.EP_SECONDARY_CONSTRUCTOR
            def sc():
                got.extend((comin.descrdata_get_index(int(x)), comin.descrdata_get_block(int(x))) for x in j)

        _run([plugin], n_dom=1, steps=0, nproma=nproma, ncells=10)
        assert got == list(zip(jc.tolist(), jb.tolist()))



def test_tendencies_of_plugin_tracers_are_left_to_the_plugin():
    """As in ICON: for a plugin tracer with tracer_turb/tracer_conv the host computes
    ddt_<name>_turb/_conv but does not apply them; host tracers are updated in place."""
    seen = {}

    def plugin():
        comin.var_request_add(("t1", -1), False)
        comin.metadata_set(("t1", -1), tracer=True, tracer_turb=True, tracer_conv=True)

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            rw = comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE
            seen["t1"] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("t1", 1), rw)
            seen["ddt"] = [comin.var_get([comin.EP_ATM_TIMELOOP_END], (f"ddt_t1_{p}", 1),
                                         comin.COMIN_FLAG_READ) for p in ("turb", "conv")]
            seen["qv"] = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("qv", 1), comin.COMIN_FLAG_READ)

        @comin.EP_ATM_TIMELOOP_START
        def start():
            if "qv0" not in seen:
                seen["qv0"] = seen["qv"].to_3d.copy()
                seen["t1"].to_3d[:, -1, :] = 1.0          # the whole lowest level

        @comin.EP_ATM_TIMELOOP_END
        def end():
            seen["levels"] = seen["t1"].to_3d.sum(axis=(0, 2))
            seen["ddt_min"] = [float(d.to_3d[:, -1, :].min()) for d in seen["ddt"]]

    _run([plugin], steps=2, nlev=6)
    assert np.all(seen["levels"][:-1] == 0.0)           # nothing lifted out of the lowest level
    assert seen["ddt_min"][0] < 0 and seen["ddt_min"][1] < 0   # although both schemes would
    assert not np.array_equal(seen["qv"].to_3d, seen["qv0"])  # host tracers are mixed
