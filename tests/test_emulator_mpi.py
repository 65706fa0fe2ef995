"""The emulator on several MPI ranks: decomposition, parallel == serial, halo sync, faults.

Decomposition invariants are checked in this process for 1..4 parts (every
rank's layout is computed on every rank, so no MPI is needed).  Everything
that needs ranks runs ``mpiexec -n N`` on the scripts in ``tests/mpi/`` with
a timeout, so a deadlock fails the test instead of hanging it; 4 ranks run on a 2-core
machine (``comin.parallel.mpiexec_command`` oversubscribes).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from comin import grid as gridmod
from comin.parallel import launcher_environ, mpiexec_command
from comin.emulator import decomp

HERE = os.path.dirname(os.path.abspath(__file__))
MPI_DIR = os.path.join(HERE, "mpi")
ROOT = os.path.dirname(HERE)


@pytest.fixture(scope="module")
def grids():
    root = gridmod.load_or_make_global("R2B2")
    parent, nest = gridmod.load_or_make_nested(root, "R2B2", 10.0, 50.0, 20.0)
    return {"global": root, "parent": parent, "nest": nest}


# -- decomposition invariants (no MPI needed) ---------------------------------------------

@pytest.mark.parametrize("which", ["global", "nest"])
@pytest.mark.parametrize("nranks", [1, 2, 3, 4])
def test_every_point_owned_exactly_once(grids, which, nranks):
    g = grids[which]
    owner = decomp.partition(g, nranks)
    assert sorted(set(owner.tolist())) == list(range(nranks))
    counts = np.bincount(owner, minlength=nranks)
    assert counts.max() - counts.min() <= 1                 # balanced to one cell
    lays = decomp.layouts(g, owner)
    for kind, n in (("cells", g.ncells), ("edges", g.nedges), ("verts", g.nverts)):
        owned = np.concatenate([l.glb[kind][l.decomp[kind] == 0] for l in lays])
        assert np.array_equal(np.sort(owned), np.arange(1, n + 1)), kind


@pytest.mark.parametrize("nranks", [2, 4])
def test_halo_rows_and_local_order(grids, nranks):
    g = grids["global"]
    owner = decomp.partition(g, nranks)
    for r, lay in enumerate(decomp.layouts(g, owner)):
        glb, dec = lay.glb["cells"], lay.decomp["cells"]
        # owned first, then halo level 1, then 2; global order within each
        assert np.all(np.diff(dec) >= 0)
        for h in (0, 1, 2):
            assert np.all(np.diff(glb[dec == h]) > 0)
        assert np.array_equal(owner[glb[dec == 0] - 1], np.full((dec == 0).sum(), r))
        assert np.all(owner[glb[dec > 0] - 1] != r)
        # every edge neighbour of an owned cell is held (the transport needs it), and
        # halo level 1 = the cells sharing a vertex with owned cells
        held = set(glb.tolist())
        nb = g.neighbor_of_cell[glb[dec == 0] - 1]
        assert set(nb[nb > 0].tolist()) <= held
        owned_verts = set(g.vertex_of_cell[glb[dec == 0] - 1].ravel().tolist())
        for c, h in zip(glb, dec):
            touches = bool(owned_verts & set(g.vertex_of_cell[c - 1].tolist()))
            assert (h == 1) == (touches and h != 0)
        assert (dec == 2).any()
        # edges / vertices: owned + halo flags consistent with the owners
        for kind, first in (("edges", g.cells_of_edge[:, 0]), ("verts", g.cells_of_vertex[:, 0])):
            own = lay.glb[kind][lay.decomp[kind] == 0]
            assert np.all(owner[first[own - 1] - 1] == r)
            hal = lay.glb[kind][lay.decomp[kind] > 0]
            assert np.all(owner[first[hal - 1] - 1] != r)


def test_local_grid_indices_and_refin_ranges(grids):
    g = grids["nest"]
    lays = decomp.layouts(g, decomp.partition(g, 3))
    for lay in lays:
        lg = decomp.local_grid(g, lay)
        gc = lay.glb["cells"]
        assert np.array_equal(lg.glb_index_c, gc)
        assert np.array_equal(lg.clon, g.clon[gc - 1])
        # local neighbour indices point at the same global cells (0 where not held)
        nb = lg.neighbor_of_cell
        glb_nb = np.where(nb > 0, gc[np.maximum(nb, 1) - 1], 0)
        want = g.neighbor_of_cell[gc - 1]
        assert np.all((glb_nb == want) | (glb_nb == 0))
        n_owned = lay.n_owned("cells")
        assert np.all(glb_nb[:n_owned][want[:n_owned] > 0] > 0)     # owned: all held
        # refin_ctrl ranges: every owned cell of level L lies in that level's range
        s, e = lg.start_idx_c, lg.end_idx_c
        for L in range(gridmod.MIN_RLCELL_INT, gridmod.MAX_RLCELL + 1):
            pos = L - gridmod.MIN_RLCELL
            where = np.nonzero(lg.refin_c_ctrl[:n_owned] == L)[0] + 1
            if len(where):
                assert (s[pos], e[pos]) == (where.min(), where.max())
        # halo levels at min_rlcell_int - 1, - 2
        for h in (1, 2):
            pos = gridmod.MIN_RLCELL_INT - h - gridmod.MIN_RLCELL
            where = np.nonzero(lay.decomp["cells"] == h)[0] + 1
            assert (s[pos], e[pos]) == (where.min(), where.max())


def test_one_part_is_the_whole_grid(grids):
    g = grids["global"]
    (lay,) = decomp.layouts(g, decomp.partition(g, 1))
    lg = decomp.local_grid(g, lay)
    for name, a in g.arrays().items():
        assert np.array_equal(getattr(lg, name), a), name


def test_halo_lists_match_between_ranks(grids):
    g = grids["global"]
    lays = decomp.layouts(g, decomp.partition(g, 4))
    for kind in decomp.KINDS:
        lists = [decomp.halo_lists(lays, kind, r) for r in range(4)]
        for r in range(4):
            for q in range(4):
                send = lists[r][0][q]
                recv = lists[q][1][r]
                assert np.array_equal(lays[r].glb[kind][send], lays[q].glb[kind][recv])
                assert np.all(lays[r].decomp[kind][send] == 0)


# -- runs under mpiexec ------------------------------------------------------------------

def _mpiexec(n, *args, timeout=240, more=()):
    """``args`` on ``n`` ranks (python's arguments), beside them each (n_i, argv_i) of ``more``."""
    env = launcher_environ(PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = mpiexec_command(n, [sys.executable, *args], *more)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _json_lines(out, tag):
    """The ``TAG {json}`` records in ``out`` (ranks' lines may interleave: match records)."""
    return [json.loads(m) for m in re.findall(re.escape(tag) + r"(\{[^{}]*\})", out)]


RUN_ARGS = ("R2B3", "1", "4")      # grid, nest, steps: domain 1 and a nest, advection sub-steps


@pytest.fixture(scope="module")
def serial_fields(tmp_path_factory):
    """The single-process run (no MPI launcher: the emulator never initialises MPI)."""
    out = str(tmp_path_factory.mktemp("serial") / "fields.npz")
    env = launcher_environ(PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, os.path.join(MPI_DIR, "emulator_fields.py"), out, *RUN_ARGS],
                       capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert _json_lines(r.stdout, "HALO_OK ") == [{}]        # not decomposed
    return np.load(out)


@pytest.mark.parametrize("nranks", [1, 2, 4])
def test_parallel_run_equals_serial_run(serial_fields, tmp_path, nranks):
    """Every field of both domains, gathered from the owners, equals the single-process run
    bit for bit: pointwise fields trivially, the transport because each cell sums its
    edges' terms in its own edge order, which a rank's local grid keeps (see
    UpwindTransport), and the nest's boundary because it gets exactly the parent's values.
    Halos agree with owners at the end, and glb2loc inverts glb_index on every rank."""
    out = str(tmp_path / "fields.npz")
    r = _mpiexec(nranks, os.path.join(MPI_DIR, "emulator_fields.py"), out, *RUN_ARGS)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    par = np.load(out)
    assert sorted(par.files) == sorted(serial_fields.files)
    for name in serial_fields.files:
        assert np.array_equal(par[name], serial_fields[name]), name
    # the run did move tracers: the initial state would not pass for a 4-step run
    assert not np.allclose(serial_fields["q0_1"][:, -1], serial_fields["q0_1"][:, 0])
    reports = _json_lines(r.stdout, "HALO_OK ")
    assert len(reports) == nranks
    for rep in reports:
        if nranks == 1:
            assert rep == {}
        else:
            assert rep and all(rep.values()), rep


@pytest.fixture(scope="module")
def grid_files(tmp_path_factory):
    from _support import generator_grid_files
    return generator_grid_files(tmp_path_factory.mktemp("gridfiles"))


def _serial(out, *args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in list(env):
        if var.startswith(("PMI_", "OMPI_", "PMIX_", "MPI_LOCAL")):
            del env[var]
    r = subprocess.run([sys.executable, os.path.join(MPI_DIR, "emulator_fields.py"), out, *args],
                       capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return np.load(out)


@pytest.mark.parametrize("case", ["lam", "nests"])
def test_parallel_run_on_grid_files_equals_serial_run(grid_files, tmp_path, case):
    """A limited-area domain 1 with a nest, and a global domain 1 with two nests and a nest in
    a nest, from grid files: the lateral boundaries (analytic; the parent's state across
    ranks) and ICON's ordering of the parents keep serial == parallel bit for bit."""
    f = grid_files
    args = ((f["lam"], f["inner"], "3") if case == "lam" else
            (f["global"], ",".join((f["lam"], f["lam2"], f["inner"])), "3"))
    serial = _serial(str(tmp_path / "serial.npz"), *args)
    out = str(tmp_path / "par.npz")
    r = _mpiexec(3, os.path.join(MPI_DIR, "emulator_fields.py"), out, *args)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    par = np.load(out)
    assert sorted(par.files) == sorted(serial.files)
    for name in serial.files:
        assert np.array_equal(par[name], serial[name]), name
    assert all(all(rep.values()) for rep in _json_lines(r.stdout, "HALO_OK "))


@pytest.mark.parametrize("nranks", [1, 2, 4])
def test_sync_halo_gives_owner_values_on_every_rank(nranks):
    """COMIN_FLAG_SYNC_HALO after a write and before a read, 2-D/3-D cells and 3-D edges,
    both domains: every halo point holds exactly its owner's value (global index coded)."""
    r = _mpiexec(nranks, "-m", "comin", "run", "--grid", "R2B3", "--nest", "--steps", "2",
                 "--no-summary", "--no-progress", os.path.join(MPI_DIR, "halo_glb.py"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    reports = _json_lines(r.stdout, "HALO_GLB ")
    assert sorted(rep["rank"] for rep in reports) == list(range(nranks))
    for rep in reports:
        assert rep["checked"] == 2 * 12                   # 12 variables, 2 steps
        assert rep["glb2loc"] > 0
        assert (rep["halo_points"] > 0) == (nranks > 1)


@pytest.mark.parametrize("nranks", [2, 4])
def test_upstream_halo_roundtrip_plugin_in_parallel(nranks):
    """The upstream-style plugin (markers, every datatype) passes on several ranks; only
    rank 0 prints ComIn's messages (lstdout), as in ICON."""
    r = _mpiexec(nranks, "-m", "comin", "run", "--grid", "R2B2", "--nest", "--steps", "2",
                 "--no-summary", "--no-progress", os.path.join(HERE, "plugins", "halo_roundtrip.py"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert (r.stdout + r.stderr).count("halo checks passed: 48") == 1


def test_owned_cells_add_up_over_ranks():
    """Upstream's test_parallel_plugin check on 2 ranks: the owned cells (decomp_domain == 0
    over the whole blocked array, padding -1) of both ranks add up to ncells_global."""
    r = _mpiexec(2, "-m", "comin", "run", "--grid", "R2B2", "--nest", "--nproma", "30",
                 "--steps", "1", "--no-summary", "--no-progress",
                 os.path.join(HERE, "plugins", "owned_cells.py"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    out = r.stdout + r.stderr
    assert "INFO(owned_cells): domain 1: 1280 owned cells of 1280" in out
    assert "INFO(owned_cells): domain 2:" in out


# -- faults: the whole job ends promptly with the failing rank's message -------------------

def _fault(mode, rank, nranks=2, timeout_env="60"):
    plugin = f"{os.path.join(MPI_DIR, 'fault_plugin.py')} {mode} {rank}"
    env_extra = {"COMIN_MPI_TIMEOUT": timeout_env}
    old = {k: os.environ.get(k) for k in env_extra}
    os.environ.update(env_extra)
    try:
        import time
        t0 = time.monotonic()
        r = _mpiexec(nranks, "-m", "comin", "run", "--grid", "R2B3", "--steps", "4", "--no-summary",
                     "--no-progress", plugin, timeout=90)
        return r, time.monotonic() - t0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize("rank", [0, 1])
def test_plugin_raising_on_one_rank_ends_the_job(rank):
    r, seconds = _fault("raise", rank)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert f"deliberate failure on rank {rank}" in out
    # the failing rank's lines carry its rank
    assert f"[rank {rank}] python_adapter: Uncaught exception in callback of plugin 'fault_plugin'" in out
    assert seconds < 60


def test_finish_on_one_rank_ends_the_job():
    r, seconds = _fault("finish", 1)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "[rank 1] fault_plugin: deliberate finish on rank 1" in out
    assert seconds < 60


@pytest.mark.parametrize("nranks", [2, 4])
def test_sync_halo_on_some_ranks_only_is_reported(nranks):
    """The deadlock-prone misuse is detected: messages are tagged with what the exchange is,
    a rank left waiting finds its peer's message of another exchange and names both."""
    r, seconds = _fault("halo_one_rank", 1, nranks)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "ranks disagree on the next exchange" in out
    assert "rank 1 does the halo exchange of (temp, 1) for COMIN_FLAG_SYNC_HALO" in out
    assert "this rank does the halo exchange of (temp, 1) for COMIN_FLAG_SYNC_HALO" in out
    assert seconds < 60


def test_rank_stuck_elsewhere_is_reported_after_the_timeout():
    """Rank 0 blocks in a barrier of its own; rank 1 gives up after COMIN_MPI_TIMEOUT s."""
    r, seconds = _fault("barrier_one_rank", 0, timeout_env="4")
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "comin emulator (rank 1 of 2): waited 4 s in" in out
    assert seconds < 60


# -- communicators: MPMD handshake with external processes ---------------------------------

def _monitor_namelist(tmp_path):
    nml = tmp_path / "monitor.nml"
    nml.write_text('&comin_nml\n'
                   '  plugin_list(1)%name           = "monitor"\n'
                   '  plugin_list(1)%plugin_library = "libpython_adapter.so"\n'
                   f'  plugin_list(1)%options        = "{os.path.join(MPI_DIR, "monitor_plugin.py")}"\n'
                   '  plugin_list(1)%comm           = "monitor"\n'
                   '/\n')
    return str(nml)


def _run_mpmd(tmp_path, nhosts, bystander=False):
    more = [(1, [sys.executable, os.path.join(MPI_DIR, "external_monitor.py")])]
    if bystander:       # an external process that joins no plugin communicator
        more.append((1, [sys.executable, "-c", "from comin.parallel import join; join()"]))
    r = _mpiexec(nhosts, "-m", "comin", "run", "--grid", "R2B3", "--steps", "3", "--no-summary",
                 "--no-progress", "--namelist", _monitor_namelist(tmp_path), more=more)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return _json_lines(r.stdout, "MONITOR_HOST "), _json_lines(r.stdout, "MONITOR_EXTERNAL ")


@pytest.fixture(scope="module")
def monitor_one_host(tmp_path_factory):
    return _run_mpmd(tmp_path_factory.mktemp("mpmd"), 1)


@pytest.mark.parametrize("nhosts,bystander", [(2, False), (4, False), (2, True)])
def test_mpmd_external_process_joins_plugin_comm(tmp_path, monitor_one_host, nhosts, bystander):
    """``mpirun -n N comin run ... : -n 1 python external.py``: the handshake splits the world;
    the host ranks decompose among themselves (host comm = N ranks), the plugin comm "monitor"
    holds them and the external; the totals the external receives every step equal the
    one-host run's (sums of owned cells: equal up to the order of the N partial sums)."""
    hosts, ext = _run_mpmd(tmp_path, nhosts, bystander)
    assert sorted(h["rank"] for h in hosts) == list(range(nhosts))
    for h in hosts:
        assert h["host_size"] == nhosts and h["plug_size"] == nhosts + 1
        assert h["externals"] == [nhosts]
    (e,) = ext
    assert e["plug_size"] == nhosts + 1 and e["hosts"] == list(range(nhosts))
    ref = monitor_one_host[1][0]["totals"]
    assert len(e["totals"]) == len(ref) == 3
    np.testing.assert_allclose(e["totals"], ref, rtol=1e-13)


def test_host_error_on_one_rank_ends_the_job():
    """An error of the host itself (not in a plugin callback) on one rank: comin run reports
    it with the rank and aborts the job (the other ranks would wait forever)."""
    r, seconds = _fault("host_error", 1)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "unsupported zaxis_id 999" in out
    assert "comin run: rank 1 of 2 failed (above); ending the MPI job" in out
    assert seconds < 60
