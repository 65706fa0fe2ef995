"""Descriptive data and ICON's index helpers (spec sections 3.4 and 8)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import comin
from comin.host import Host

from _support import (GLOBAL, NLEV, NPROMA, RL, SIM_INTERVAL, SIZES, TIMESTEPS, domain_fields,
                      grid_fields, grid_spans, nblocks, ref_block, ref_index, refin_arrays)

GRIDS = ("cells", "edges", "verts")
INDICES = {"cells": comin.descrdata_get_cell_indices, "edges": comin.descrdata_get_edge_indices,
           "verts": comin.descrdata_get_vert_indices}
NPROMZ = {"cells": comin.descrdata_get_cell_npromz, "edges": comin.descrdata_get_edge_npromz,
          "verts": comin.descrdata_get_vert_npromz}


def from_plugin(make_host, fn, **host_kw):
    """Run ``fn`` inside a plugin's primary constructor and return its result."""
    out = {}

    def plugin():
        out["value"] = fn()

    make_host(plugin, **host_kw).run_primary_constructors()
    return out["value"]


# -- global and domain data --------------------------------------------------------------

def test_global_round_trip(make_host):
    host = make_host()
    g = comin.descrdata_get_global()
    for name, value in GLOBAL.items():
        got = getattr(g, name)
        if isinstance(value, np.ndarray):
            assert np.array_equal(got, value)
            assert got.dtype == np.float64
            assert not got.flags.writeable
        else:
            assert got == value
            assert type(got) is type(value)
    host.set_global(lrestartrun=1, host_revision="new")     # later values replace earlier
    assert g.lrestartrun is True
    assert g.host_revision == "new"


def test_global_seen_by_plugins(make_host):
    g = from_plugin(make_host, comin.descrdata_get_global)
    assert (g.n_dom, g.nproma, g.min_rlcell, g.max_rledge) == (2, NPROMA, -4, 10)


@pytest.mark.parametrize("jg", [1, 2])
def test_domain_round_trip(make_host, jg):
    make_host()
    d = comin.descrdata_get_domain(jg)
    assert d.id == jg
    for name, value in domain_fields(jg).items():
        got = getattr(d, name)
        if isinstance(value, np.ndarray):
            assert np.array_equal(got, value)
            assert got.dtype == value.dtype
            assert not got.flags.writeable
        else:
            assert got == value and type(got) is type(value)
    for grid in GRIDS:
        sub = getattr(d, grid)
        for name, value in grid_fields(jg, grid).items():
            got = getattr(sub, name)
            if isinstance(value, np.ndarray):
                assert got.shape == value.shape, name
                assert np.array_equal(got, value), name
                assert not got.flags.writeable, name
            else:
                assert got == value and type(got) is int, name
    cells = d.cells
    assert cells.ncells == SIZES[jg]["cells"]
    assert cells.nblks == nblocks(SIZES[jg]["cells"])
    assert cells.hhl.shape == (NPROMA, NLEV + 1, cells.nblks)
    assert cells.start_index.shape == (RL["cells"]["max_rl"] - RL["cells"]["min_rl"] + 1,)
    assert cells.refin_ctrl.flags.f_contiguous
    assert d.edges.start_index.shape == (19,)


def test_descrdata_arrays_are_views_of_host_arrays(make_host):
    host = make_host()
    area = np.asfortranarray(np.ones((NPROMA, 3)))
    host.set_domain(1, cells=dict(area=area))
    got = comin.descrdata_get_domain(1).cells.area
    assert np.shares_memory(got, area)
    with pytest.raises(ValueError):
        got[0, 0] = 2.0
    area[0, 0] = 3.0                                      # the host may update its array
    assert got[0, 0] == 3.0
    # other dtypes are converted to the table's element type
    host.set_domain(1, cells=dict(num_edges=np.full((NPROMA, 3), 3, dtype=np.int64)))
    assert comin.descrdata_get_domain(1).cells.num_edges.dtype == np.intc


def test_unknown_field_at_set_time(make_host):
    host = make_host()
    with pytest.raises(ValueError):
        host.set_global(n_domains=2)
    with pytest.raises(ValueError):
        host.set_domain(1, nlevels=3)
    with pytest.raises(ValueError):
        host.set_domain(1, cells=dict(nedges=3))          # an edges field on cells
    with pytest.raises(ValueError):
        host.set_domain(1, cells=dict(clon=np.zeros(3)))  # wrong number of dimensions
    with pytest.raises(TypeError):
        host.set_global(host_git_branch=3)
    with pytest.raises(ValueError):
        host.set_domain(3, nlev=2)                        # outside 1..n_dom
    with pytest.raises(ValueError):
        host.set_global(nproma=0)


def test_unset_fields_raise_25(make_host):
    host = make_host(descrdata=False)
    for get in (comin.descrdata_get_global, comin.descrdata_get_simulation_interval,
                lambda: comin.descrdata_get_domain(1), lambda: comin.descrdata_get_index(3),
                lambda: comin.descrdata_get_timesteplength(1)):
        with pytest.raises(comin.ComInError) as ei:
            get()
        assert ei.value.code == 25
    host.set_global(n_dom=1)
    g = comin.descrdata_get_global()
    for name in ("nproma", "vct_a", "has_device"):
        with pytest.raises(comin.ComInError) as ei:
            getattr(g, name)
        assert ei.value.code == 25
        assert ei.value.name == "COMIN_ERROR_FIELD_NOT_ALLOCATED"
    with pytest.raises(comin.ComInError) as ei:
        comin.descrdata_get_domain(1)                     # n_dom known, domain not set
    assert ei.value.code == 25
    host.set_domain(1, nlev=2)
    d = comin.descrdata_get_domain(1)
    assert d.nlev == 2
    for name in ("grid_filename", "cells", "edges", "verts"):
        with pytest.raises(comin.ComInError) as ei:
            getattr(d, name)
        assert ei.value.code == 25
    host.set_domain(1, cells=dict(ncells=3))
    with pytest.raises(comin.ComInError) as ei:
        comin.descrdata_get_domain(1).cells.child_idx
    assert ei.value.code == 25
    with pytest.raises(AttributeError):
        d.not_a_field
    with pytest.raises(comin.ComInError) as ei:
        comin.descrdata_get_domain(2)
    assert ei.value.code == 25


def test_set_domain_needs_n_dom(make_host):
    host = make_host(descrdata=False)
    with pytest.raises(comin.ComInError) as ei:
        host.set_domain(1, nlev=3)
    assert ei.value.code == 25


def test_primary_constructors_need_n_dom(make_host):
    host = make_host(descrdata=False)
    with pytest.raises(comin.ComInError) as ei:
        host.run_primary_constructors()
    assert ei.value.code == 25


def test_plugins_cannot_set_descriptive_data(make_host):
    errors = []

    def plugin():
        g = comin.descrdata_get_global()
        d = comin.descrdata_get_domain(1)
        for obj, name in ((g, "nproma"), (g, "new_field"), (d, "nlev"), (d.cells, "ncells")):
            try:
                setattr(obj, name, 1)
            except AttributeError as exc:
                errors.append(str(exc))
        try:
            d.cells.clon[0, 0] = 1.0
        except ValueError:
            errors.append("array")

    make_host(plugin).run_primary_constructors()
    assert len(errors) == 5
    assert comin.descrdata_get_global().nproma == NPROMA
    assert comin.descrdata_get_domain(1).nlev == NLEV


def test_dir_lists_fields(make_host):
    make_host()
    g = comin.descrdata_get_global()
    d = comin.descrdata_get_domain(1)
    assert set(dir(g)) == set(GLOBAL)
    assert set(dir(d)) == set(domain_fields(1)) | {"id", "cells", "edges", "verts"}
    assert {"ncells", "clon", "hhl", "start_index", "glb_index"} <= set(dir(d.cells))
    assert {"nedges", "elon", "cell_idx"} <= set(dir(d.edges))
    assert {"nverts", "vlon", "cell_idx"} <= set(dir(d.verts))
    assert "ncells" not in dir(d.edges)


def test_simulation_interval_and_timesteps(make_host):
    host = make_host()
    si = comin.descrdata_get_simulation_interval()
    assert (si.exp_start, si.exp_stop, si.run_start, si.run_stop) == SIM_INTERVAL
    assert si == comin.simulation_interval(*SIM_INTERVAL)
    for jg, dt in TIMESTEPS.items():
        assert comin.descrdata_get_timesteplength(jg) == dt
        assert comin.descrdata_get_timesteplength(j=jg) == dt
    # a domain that does not exist: ICON's table of time steps holds 0.0 there (upstream's
    # simple_fortran prints get_timesteplength(2) = 0.0 on a one-domain run), no error
    assert comin.descrdata_get_timesteplength(3) == 0.0
    assert comin.descrdata_get_timesteplength(len(TIMESTEPS) + 4) == 0.0
    # beyond upstream's table of n_dom + 4 entries (upstream reads outside it): ComIn's error
    for outside in (0, len(TIMESTEPS) + 5):
        with pytest.raises(comin.ComInError) as ei:
            comin.descrdata_get_timesteplength(outside)
        assert ei.value.code == 25
    with pytest.raises(ValueError):
        host.set_simulation_interval("x" * 33, "", "", "")


def test_glb2loc(make_host):
    host = make_host()
    with pytest.raises(comin.ComInError) as ei:
        comin.descrdata_index_lookup_glb2loc_cell(1, 5)
    assert ei.value.code == 7
    assert ei.value.name == "COMIN_ERROR_DESCRDATA_SET_FCT_GLB2LOC"

    def glb2loc(jg, glb):
        lookup = {int(g): p + 1 for p, g in
                  enumerate(comin.descrdata_get_domain(jg).cells.glb_index)}
        return lookup.get(glb, -1)

    host.set_glb2loc_cell(glb2loc)
    for jg in (1, 2):
        glb_index = comin.descrdata_get_domain(jg).cells.glb_index
        for p, glb in enumerate(glb_index):           # 1-based local index comes back
            assert comin.descrdata_index_lookup_glb2loc_cell(jg, int(glb)) - 1 == p
    assert comin.descrdata_index_lookup_glb2loc_cell(1, 10 ** 6) == -1


@pytest.mark.parametrize("jg", [1, 2])
@pytest.mark.parametrize("grid", GRIDS)
def test_npromz(make_host, jg, grid):
    make_host()
    n = SIZES[jg][grid]
    assert NPROMZ[grid](jg) == n - (nblocks(n) - 1) * NPROMA
    assert 1 <= NPROMZ[grid](jg) <= NPROMA


def test_npromz_values(make_host):
    make_host()
    # 10 cells -> 3 blocks, 2 in the last; 15 edges -> 4 blocks, 3; 6 verts -> 2 blocks, 2
    assert [NPROMZ[g](1) for g in GRIDS] == [2, 3, 2]
    assert [NPROMZ[g](2) for g in GRIDS] == [2, 1, 4]


def test_index_and_block_values(make_host):
    make_host()   # nproma = 4
    table = {1: (1, 1), 4: (4, 1), 5: (1, 2), 8: (4, 2), 9: (1, 3), 0: (0, 1),
             -1: (-1, 1), -5: (-1, 2), -8: (-4, 2)}
    for j, (jc, jb) in table.items():
        assert comin.descrdata_get_index(j) == jc
        assert comin.descrdata_get_block(j) == jb
        assert comin.descrdata_get_index(j=j) == jc
        assert comin.descrdata_get_block(j=j) == jb


# -- get_*_indices (spec section 8 table) -------------------------------------------------

def test_cell_indices_spec_cases(make_host):
    make_host()
    cells = comin.descrdata_get_domain(1).cells
    lo = RL["cells"]["min_rl"]
    si, ei = cells.start_index, cells.end_index
    sb, eb = cells.start_block, cells.end_block
    # prognostic interior: from the first row after the boundary to the last interior row
    irl_start, irl_end = GLOBAL["grf_bdywidth_c"] + 1, GLOBAL["min_rlcell_int"]
    i_startblk, i_endblk = sb[irl_start - lo], eb[irl_end - lo]
    assert (i_startblk, i_endblk) == (2, 3)
    f = comin.descrdata_get_cell_indices
    # i_blk == i_startblk != i_endblk: (start_index(irl_start), nproma)
    assert f(1, 2, i_startblk, i_endblk, irl_start, irl_end) == (si[irl_start - lo], NPROMA)
    assert f(1, 2, i_startblk, i_endblk, irl_start, irl_end) == (3, 4)
    # i_blk == i_endblk != i_startblk: (1, end_index(irl_end))
    assert f(1, 3, i_startblk, i_endblk, irl_start, irl_end) == (1, ei[irl_end - lo])
    assert f(1, 3, i_startblk, i_endblk, irl_start, irl_end) == (1, 1)
    # in between: (1, nproma)
    assert f(1, 2, 1, 3, irl_start, irl_end) == (1, NPROMA)
    # i_blk == i_startblk == i_endblk: (start_index(irl_start), end_index(irl_end))
    # (level 1 = j 1..2, level 2 = j 3, level 3 = j 4..5 in domain 1)
    assert f(1, 1, 1, 1, 1, 2) == (1, 3)
    assert f(1, 1, 1, 1, 2, 2) == (3, 3)
    assert f(1, 1, 1, 1, 1, 1) == (1, 2)


def test_lower_clamp_cells_edges_not_verts(make_host):
    host = make_host()
    for grid in GRIDS:
        rl = RL[grid]
        n = rl["max_rl"] - rl["min_rl"] + 1
        start = np.full(n, -2, dtype=np.intc)
        end = np.full(n, 3, dtype=np.intc)
        host.set_domain(1, **{grid: dict(start_index=start, end_index=end)})
    assert comin.descrdata_get_cell_indices(1, 1, 1, 1, 0, 0) == (1, 3)
    assert comin.descrdata_get_edge_indices(1, 1, 1, 1, 0, 0) == (1, 3)
    assert comin.descrdata_get_vert_indices(1, 1, 1, 1, 0, 0) == (-2, 3)
    assert comin.descrdata_get_cell_indices(1, 1, 1, 2, 0, 0) == (1, NPROMA)
    assert comin.descrdata_get_vert_indices(1, 1, 1, 2, 0, 0) == (-2, NPROMA)


def test_indices_refin_level_out_of_range(make_host):
    make_host()
    with pytest.raises(ValueError):
        comin.descrdata_get_cell_indices(1, 1, 1, 1, RL["cells"]["max_rl"] + 1, 0)
    with pytest.raises(ValueError):
        comin.descrdata_get_cell_indices(1, 1, 1, 1, 0, RL["cells"]["min_rl"] - 1)


def covered(get_indices, jg, nproma, sb, eb, irl_start, irl_end, lo):
    """Unblocked indices visited by ICON's block loop for levels irl_start..irl_end."""
    out = []
    for jb in range(sb[irl_start - lo], eb[irl_end - lo] + 1):
        i_s, i_e = get_indices(jg, jb, sb[irl_start - lo], eb[irl_end - lo], irl_start, irl_end)
        out.extend((jb - 1) * nproma + jc for jc in range(i_s, i_e + 1))
    return out


@pytest.mark.parametrize("jg", [1, 2])
@pytest.mark.parametrize("grid", GRIDS)
def test_block_loops_cover_every_level(make_host, jg, grid):
    make_host()
    sub = getattr(comin.descrdata_get_domain(jg), grid)
    lo, hi = RL[grid]["min_rl"], RL[grid]["max_rl"]
    spans = grid_spans(jg, grid)
    for irl_start in range(lo, hi + 1):
        for irl_end in range(lo, hi + 1):
            got = covered(INDICES[grid], jg, NPROMA, sub.start_block, sub.end_block,
                          irl_start, irl_end, lo)
            assert got == list(range(spans[irl_start][0], spans[irl_end][1] + 1))


# -- hypothesis properties -------------------------------------------------------------

def _host_with(nproma, **extra):
    host = Host([], verbosity=0)
    host.set_global(n_dom=1, nproma=nproma, **extra)
    return host


@settings(max_examples=150, deadline=None)
@given(nproma=st.integers(1, 10_000), jb=st.integers(1, 10_000), data=st.data())
def test_index_block_invert_blocking(nproma, jb, data):
    jc = data.draw(st.integers(1, nproma))
    j = (jb - 1) * nproma + jc
    with _host_with(nproma):
        assert comin.descrdata_get_index(j) == jc
        assert comin.descrdata_get_block(j) == jb
        assert comin.descrdata_get_index(-j) == -jc
        assert comin.descrdata_get_block(-j) == jb
        assert comin.descrdata_get_index(0) == 0
        assert comin.descrdata_get_block(0) == 1


@settings(max_examples=150, deadline=None)
@given(nproma=st.integers(1, 5000), j=st.integers(-(2 ** 31 - 1), 2 ** 31 - 1))
def test_index_block_match_spec_formulas(nproma, j):
    with _host_with(nproma):
        jc = comin.descrdata_get_index(j)
        jb = comin.descrdata_get_block(j)
    assert (jc, jb) == (ref_index(j, nproma), ref_block(j, nproma))
    if j > 0:
        assert 1 <= jc <= nproma and (jb - 1) * nproma + jc == j
    elif j < 0:
        assert -nproma <= jc <= -1 and (jb - 1) * nproma - jc == -j


@st.composite
def refin_layout(draw):
    """nproma, refin_ctrl bounds and per-level (first, last) j spans, not necessarily ordered."""
    nproma = draw(st.integers(1, 9))
    min_rl = draw(st.integers(-6, 0))
    max_rl = draw(st.integers(0, 6))
    n_points = draw(st.integers(1, 60))
    spans = {}
    for lev in range(min_rl, max_rl + 1):
        first = draw(st.integers(1, n_points))
        last = draw(st.integers(first - 1, n_points))
        spans[lev] = (first, last)
    irl_start = draw(st.integers(min_rl, max_rl))
    irl_end = draw(st.integers(min_rl, max_rl))
    grid = draw(st.sampled_from(GRIDS))
    return nproma, min_rl, max_rl, n_points, spans, irl_start, irl_end, grid


@settings(max_examples=200, deadline=None)
@given(layout=refin_layout())
def test_get_indices_cover_exactly_the_level_range(layout):
    nproma, min_rl, max_rl, n_points, spans, irl_start, irl_end, grid = layout
    si, ei, sb, eb = refin_arrays(spans, min_rl, max_rl, nproma)
    key = {"cells": "cell", "edges": "edge", "verts": "vert"}[grid]
    with _host_with(nproma, **{f"min_rl{key}": min_rl, f"max_rl{key}": max_rl}) as host:
        host.set_domain(1, **{grid: dict(start_index=si, end_index=ei, start_block=sb,
                                         end_block=eb)})
        got = covered(INDICES[grid], 1, nproma, sb, eb, irl_start, irl_end, min_rl)
    assert got == list(range(spans[irl_start][0], spans[irl_end][1] + 1))
