"""Parallel conformance on 1, 2 and 4 ranks: communicators as ComIn hands them out, and the
emulator decomposed over the host ranks (descriptive data, glb2loc, halo synchronisation).

Run ``pytest --mpi conformance/`` (launches this file under ``mpiexec -n 1, 2, 4``)
or, with pytest-mpi's convention, ``mpiexec -n 2 python -m pytest --with-mpi
conformance/test_mpi.py``.  Every rank must draw the same hypothesis examples,
or collective calls would deadlock: the tests are derandomized.  Should one still
hang, pytest-timeout ends it (method "thread": a rank blocked inside an MPI call
cannot be interrupted by a signal, so the process exits after dumping its stacks),
and the driver's ``mpiexec`` has a timeout of its own.
"""
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from comin.parallel import launcher_environ, mpiexec_command

HERE = os.path.dirname(os.path.abspath(__file__))

comm_names = st.lists(st.sampled_from(["", "a", "b", "c"]), min_size=1, max_size=4)


@pytest.mark.mpi(min_size=1)
@pytest.mark.timeout(180, method="thread")
@settings(derandomize=True, max_examples=15, deadline=None)
@given(comm_names)
def test_plugin_and_host_communicators(names):
    """Each plugin with a comm name gets a communicator of all host ranks, shared by name;
    the host communicator holds every rank; handles are Fortran integers."""
    from mpi4py import MPI

    import comin
    from comin.host import Host, PluginDescription

    world = MPI.COMM_WORLD
    seen = {}

    def make(i, name):
        def constructor():
            host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
            entry = {"host": (host.Get_size(), host.Get_rank(), comin.parallel_get_host_mpi_rank())}
            if name:
                handle = comin.parallel_get_plugin_mpi_comm()
                plug = MPI.Comm.f2py(handle)
                entry["plugin"] = (handle, plug.Get_size(), plug.allreduce(1))
            seen[i] = entry
        return PluginDescription(name=f"p{i}", comm=name, constructor=constructor)

    with Host([make(i, n) for i, n in enumerate(names)]) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
    for i, name in enumerate(names):
        assert seen[i]["host"] == (world.Get_size(), world.Get_rank(), world.Get_rank())
        if name:
            _handle, size, total = seen[i]["plugin"]
            assert size == world.Get_size() and total == world.Get_size()
    handles = {}
    for i, name in enumerate(names):
        if name:
            handles.setdefault(name, set()).add(seen[i]["plugin"][0])
    assert all(len(h) == 1 for h in handles.values())               # one communicator per name
    assert len({next(iter(h)) for h in handles.values()}) == len(handles)


grid_cases = st.tuples(st.sampled_from(["R2B0", "R2B1"]), st.booleans(), st.sampled_from([5, 16]))


@pytest.mark.mpi(min_size=1)
@settings(derandomize=True, max_examples=6, deadline=None)
@given(grid_cases)
def test_decomposed_emulator_descriptive_data(case):
    """The emulator decomposed over the host ranks: every global cell, edge and vertex is owned
    by exactly one rank, every halo point is owned by another rank, glb2loc inverts glb_index
    on every rank, the local refin_ctrl ranges cover the owned points, and a variable read with
    COMIN_FLAG_SYNC_HALO holds its owner's value at every halo cell."""
    import numpy as np
    from mpi4py import MPI

    import comin
    from comin.emulator import Config, Emulator

    grid, nest, nproma = case
    world = MPI.COMM_WORLD
    seen = {}

    def plugin():
        comin.var_request_add(("glb_probe", -1), False)

        @comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
        def handles():
            glob = comin.descrdata_get_global()
            for jg in range(1, glob.n_dom + 1):
                seen[("w", jg)] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("glb_probe", jg),
                                                comin.COMIN_FLAG_WRITE)
                seen[("r", jg)] = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("glb_probe", jg),
                                                comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)

        def blocked_glb(jg):
            cells = comin.descrdata_get_domain(jg).cells
            n = cells.ncells
            flat = np.zeros(nproma * cells.nblks)
            flat[:n] = np.asarray(cells.glb_index)
            return flat.reshape((nproma, cells.nblks), order="F"), \
                np.asarray(cells.decomp_domain)

        @comin.register_callback(comin.EP_ATM_TIMELOOP_START)
        def write():
            for jg in range(1, comin.descrdata_get_global().n_dom + 1):
                glb, dec = blocked_glb(jg)
                arr = np.asarray(seen[("w", jg)])[:, :, :, 0, 0]
                arr[...] = np.where(dec == 0, glb, -1.0)[:, None, :]

        @comin.register_callback(comin.EP_ATM_TIMELOOP_END)
        def read():
            for jg in range(1, comin.descrdata_get_global().n_dom + 1):
                glb, dec = blocked_glb(jg)
                arr = np.asarray(seen[("r", jg)])[:, :, :, 0, 0]
                mask = np.broadcast_to((glb > 0)[:, None, :], arr.shape)   # padding ignored
                want = np.broadcast_to(glb[:, None, :], arr.shape)
                seen[("ok", jg)] = bool(np.all(arr[mask] == want[mask]))

        @comin.register_callback(comin.EP_DESTRUCTOR)
        def collect():
            for jg in range(1, comin.descrdata_get_global().n_dom + 1):
                d = comin.descrdata_get_domain(jg)
                out = {}
                for kind, n_glob in (("cells", d.cells.ncells_global), ("edges", d.edges.nedges_global),
                                     ("verts", d.verts.nverts_global)):
                    part = getattr(d, kind)
                    n = getattr(part, "n" + kind)
                    dec = np.asarray(part.decomp_domain).reshape(-1, order="F")[:n]
                    out[kind] = (np.asarray(part.glb_index)[:n].copy(), dec.copy(), n_glob)
                g = out["cells"][0]
                out["glb2loc"] = all(comin.descrdata_index_lookup_glb2loc_cell(jg, int(x)) == i + 1
                                     for i, x in enumerate(g))
                rl = np.asarray(d.cells.refin_ctrl).reshape(-1, order="F")[:len(g)]
                owned = out["cells"][1] == 0
                s = np.asarray(d.cells.start_index)
                e = np.asarray(d.cells.end_index)
                sb = np.asarray(d.cells.start_block)
                eb = np.asarray(d.cells.end_block)
                first = (sb - 1) * nproma + s
                last = (eb - 1) * nproma + e
                glob = comin.descrdata_get_global()
                lo = glob.min_rlcell
                out["ranges"] = all(              # owned cells come first, in their levels
                    first[L - lo] <= i + 1 <= last[L - lo]
                    for i, L in enumerate(rl[owned]) if glob.min_rlcell_int <= L <= glob.max_rlcell)
                seen[("descr", jg)] = out

    emu = Emulator([plugin], Config(grid=grid, nest=nest, nproma=nproma, nlev=3, steps=1,
                                    nest_radius=40.0))
    emu.run()
    for jg in emu.domains:
        assert seen[("ok", jg)], f"domain {jg}: a halo cell does not hold its owner's value"
        descr = seen[("descr", jg)]
        assert descr["glb2loc"] and descr["ranges"]
        for kind in ("cells", "edges", "verts"):
            glb, dec, n_glob = descr[kind]
            owned = world.allgather(glb[dec == 0])
            allv = np.sort(np.concatenate(owned))
            assert np.array_equal(allv, np.arange(1, n_glob + 1)), kind     # owned exactly once
            halo = glb[dec > 0]
            others = np.concatenate([o for r, o in enumerate(owned) if r != world.Get_rank()]
                                    or [np.zeros(0, glb.dtype)])
            assert np.isin(halo, others).all(), kind                        # owned elsewhere
            assert (len(halo) > 0) == (world.Get_size() > 1) or kind != "cells"


@pytest.mark.timeout(360, method="thread")
@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_under_mpiexec(request, ranks):
    """The driver of ``pytest --mpi``: run the MPI tests of this file on ``ranks`` ranks."""
    if not request.config.getoption("--mpi"):
        pytest.skip("parallel conformance runs with `pytest --mpi conformance/` "
                    "(or `mpiexec -n 2 python -m pytest --with-mpi conformance/test_mpi.py`)")
    cmd = mpiexec_command(ranks, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                  "--with-mpi", "--timeout=240", "-k", "not under_mpiexec",
                                  os.path.join(HERE, "test_mpi.py")])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=launcher_environ())
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "2 passed" in r.stdout and "failed" not in r.stdout
