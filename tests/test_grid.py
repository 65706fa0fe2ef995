"""comin.grid: ICON's icosahedral grids, nests, the cache, blocking, NetCDF.

Grids are small (R1B0..R2B2 globals, nests of R2B1/R2B2) so the file runs in
seconds; every grid goes through a cache in a temporary directory.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
import uuid
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import comin
from comin import grid as G
from comin._table import DESCRDATA
from comin.host import Host

R = 6371229.0
SMALL = [(n, k) for n in (1, 2) for k in (0, 1, 2)]          # R1B0 .. R2B2
NEST = ("R2B1", 10.0, 47.0, 30.0)                            # parent, lon, lat, radius
DTYPES = {"int32": np.dtype(np.intc), "float64": np.dtype(np.float64), "int8": np.dtype(np.int8)}
COUNT = {"cells": "ncells", "edges": "nedges", "verts": "nverts"}

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# -- fixtures and helpers -----------------------------------------------------------

@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("grids")


_GRIDS: dict = {}


def small(n: int, k: int, cache) -> G.Grid:
    """Global RnBk through the test cache (memoised for the hypothesis runs)."""
    key = (n, k, str(cache))
    if key not in _GRIDS:
        _GRIDS[key] = G.load_or_make_global(f"R{n}B{k}", cache=cache)
    return _GRIDS[key]


@pytest.fixture(scope="module")
def nest(cache):
    name, lon, lat, radius = NEST
    parent = G.load_or_make_global(name, cache=cache)
    new_parent, child = G.load_or_make_nested(parent, name, lon, lat, radius, cache=cache)
    return parent, new_parent, child


def xyz(lon, lat):
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)


def check_refin(refin, start, end, min_rl, min_rl_int, max_rl):
    """ICON's ordering: every point within [start, end] of its level; boundary rows first."""
    n = refin.size
    assert start.shape == end.shape == (max_rl - min_rl + 1,)
    j = np.arange(1, n + 1)
    level = np.where(refin > max_rl, 0, refin)                # deeper rows count as interior
    assert level.min() >= min_rl
    s, e = start[level - min_rl], end[level - min_rl]
    assert np.all((s <= j) & (j <= e))
    # all points lie before the end of the last owned level
    assert end[min_rl_int - min_rl] == n
    # lateral boundary rows 1..max_rl come first, in order, then the rest
    key = np.where((refin >= 1) & (refin <= max_rl), refin, max_rl + 1)
    assert np.all(np.diff(key) >= 0)
    # the boundary levels 1..max_rl own exactly their points
    for lev in range(1, max_rl + 1):
        k = lev - min_rl
        assert np.count_nonzero(refin == lev) == max(end[k] - start[k] + 1, 0)


def check_grid_refin(g: G.Grid):
    check_refin(g.refin_c_ctrl, g.start_idx_c, g.end_idx_c, G.MIN_RLCELL, G.MIN_RLCELL_INT,
                G.MAX_RLCELL)
    check_refin(g.refin_e_ctrl, g.start_idx_e, g.end_idx_e, G.MIN_RLEDGE, G.MIN_RLEDGE_INT,
                G.MAX_RLEDGE)
    check_refin(g.refin_v_ctrl, g.start_idx_v, g.end_idx_v, G.MIN_RLVERT, G.MIN_RLVERT_INT,
                G.MAX_RLVERT)


def same_grid(a: G.Grid, b: G.Grid):
    for name, x in a.arrays().items():
        y = getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert np.array_equal(x, y), name
    for name in ("name", "uuid", "parent_uuid", "root", "bisections", "sphere_radius"):
        assert getattr(a, name) == getattr(b, name), name


def global_descr(nproma: int, n_dom: int = 1) -> dict:
    return dict(n_dom=n_dom, max_dom=n_dom, nproma=nproma, wp=8,
                min_rlcell_int=G.MIN_RLCELL_INT, min_rlcell=G.MIN_RLCELL, max_rlcell=G.MAX_RLCELL,
                min_rledge_int=G.MIN_RLEDGE_INT, min_rledge=G.MIN_RLEDGE, max_rledge=G.MAX_RLEDGE,
                min_rlvert_int=G.MIN_RLVERT_INT, min_rlvert=G.MIN_RLVERT, max_rlvert=G.MAX_RLVERT,
                grf_bdywidth_c=G.GRF_BDYWIDTH_C, grf_bdywidth_e=G.GRF_BDYWIDTH_E)


def covered(sub: str, jg: int, d, n: int) -> int:
    """Points visited by ICON's loop from refin level 1 to min_rl_int (get_indices_*)."""
    get = {"cells": comin.descrdata_get_cell_indices, "edges": comin.descrdata_get_edge_indices,
           "verts": comin.descrdata_get_vert_indices}[sub]
    min_rl, min_rl_int, _ = G.RL[sub]
    sb, eb = d.start_block[1 - min_rl], d.end_block[min_rl_int - min_rl]
    total = 0
    for jb in range(sb, eb + 1):
        i0, i1 = get(jg, jb, sb, eb, 1, min_rl_int)
        total += max(i1 - i0 + 1, 0)
    return total


# -- names ---------------------------------------------------------------------------

def test_parse_grid_name():
    assert G.parse_grid_name("R2B4") == (2, 4)
    assert G.parse_grid_name("R02B04") == (2, 4)
    assert G.parse_grid_name("r1b0") == (1, 0)
    assert G.parse_grid_name("R2B7") == (2, 7)                 # 1 310 720 cells: the limit
    for bad in ("", "R2", "B4", "R0B1", "R-1B2", "R2B-1", "R2.5B1", "X2B4", "R2B4x"):
        with pytest.raises(ValueError, match="grid name"):
            G.parse_grid_name(bad)
    with pytest.raises(ValueError, match="more than the limit"):
        G.parse_grid_name("R2B8")
    with pytest.raises(ValueError, match="more than the limit"):
        G.parse_grid_name("R100B4")
    assert G.parse_grid_name("R2B8", max_cells=None) == (2, 8)
    with pytest.raises(TypeError):
        G.parse_grid_name(24)


# -- global grids ----------------------------------------------------------------------

@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nk=st.sampled_from(SMALL))
def test_global_topology(cache, nk):
    n, k = nk
    g = small(n, k, cache)
    nc, ne, nv = g.ncells, g.nedges, g.nverts
    assert nc == 20 * n * n * 4 ** k
    assert nv - ne + nc == 2
    assert g.name == f"R{n}B{k}" and (g.root, g.bisections) == (n, k) and not g.is_nest
    # every cell: 3 distinct vertices, 3 distinct edges, edge i joins vertices i and i+1
    voc, eoc = g.vertex_of_cell, g.edge_of_cell
    assert voc.min() >= 1 and voc.max() <= nv and eoc.min() >= 1 and eoc.max() <= ne
    assert np.all(np.sort(voc, axis=1)[:, 1:] != np.sort(voc, axis=1)[:, :-1])
    assert np.all(np.sort(eoc, axis=1)[:, 1:] != np.sort(eoc, axis=1)[:, :-1])
    ev = g.vertices_of_edge[:, :2]
    for i in range(3):
        pair = np.sort(ev[eoc[:, i] - 1], axis=1)
        want = np.sort(np.stack([voc[:, i], voc[:, (i + 1) % 3]], axis=1), axis=1)
        assert np.array_equal(pair, want)
    # the neighbour across edge i shares that edge; edges have two cells
    assert g.neighbor_of_cell.min() >= 1 and g.cells_of_edge.min() >= 1
    for i in range(3):
        ce = g.cells_of_edge[eoc[:, i] - 1]
        me = np.arange(1, nc + 1)
        assert np.all(((ce[:, 0] == me) & (ce[:, 1] == g.neighbor_of_cell[:, i]))
                      | ((ce[:, 1] == me) & (ce[:, 0] == g.neighbor_of_cell[:, i])))
    # vertices 3 and 4 of an edge: the vertex of cell 1 and of cell 2 opposite the edge
    for side in range(2):
        cv = voc[g.cells_of_edge[:, side] - 1]
        opp = g.vertices_of_edge[:, 2 + side]
        assert np.all((cv == opp[:, None]).sum(axis=1) == 1)
        assert np.all((opp != ev[:, 0]) & (opp != ev[:, 1]))
    # vertices: 12 pentagons, the rest hexagons, missing entries last and 0
    ne_v = g.num_edges_of_vertex
    assert set(np.unique(ne_v)) <= {5, 6} and np.count_nonzero(ne_v == 5) == 12
    for tab in (g.cells_of_vertex, g.edges_of_vertex, g.vertices_of_vertex):
        assert np.array_equal(np.count_nonzero(tab, axis=1), ne_v)
        assert np.all(tab[ne_v == 5, 5] == 0) and tab[ne_v == 5, :5].min() >= 1
    # geometry
    assert abs(g.cell_area.sum() / (4 * math.pi * R * R) - 1) < 1e-9
    assert np.all(np.abs(g.clat) <= math.pi / 2) and np.all(np.abs(g.clon) <= math.pi)
    assert np.all(np.abs(g.vlat) <= math.pi / 2) and np.all(np.abs(g.elat) <= math.pi / 2)
    # links of a root domain
    assert not g.parent_cell.any() and not g.child_cells.any() and not g.parent_edge.any()
    assert np.array_equal(g.glb_index_c, np.arange(1, nc + 1))
    check_grid_refin(g)


@settings(max_examples=40, deadline=None)
@given(j=st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=50),
       nproma=st.integers(1, 70))
def test_idx_blk_round_trip(j, nproma):
    j = np.array(j)
    jc, jb = G.idx_blk(j, nproma)
    assert jc.dtype == np.intc and jb.dtype == np.intc and jc.shape == j.shape
    for v, c, b in zip(j.tolist(), jc.tolist(), jb.tolist()):
        want_c = 0 if v == 0 else int(math.copysign((abs(v) - 1) % nproma + 1, v))
        assert c == want_c
        assert b == max((abs(v) - 1) // nproma + 1, 1)
        if v >= 1:
            assert (b - 1) * nproma + c == v
            assert 1 <= c <= nproma
    assert G.idx_blk(0, nproma) == (0, 1)
    with pytest.raises(ValueError):
        G.idx_blk(1, 0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 200), nproma=st.integers(1, 64), extra=st.sampled_from([(), (3,), (2, 4)]))
def test_block_layout(n, nproma, extra):
    values = np.arange(1, n * int(np.prod(extra)) + 1).reshape((n,) + extra)
    b = G.block(values, nproma)
    nblks = -(-n // nproma)
    assert b.shape == (nproma, nblks) + extra and b.flags.f_contiguous
    jc, jb = G.idx_blk(np.arange(1, n + 1), nproma)
    assert np.array_equal(b[jc - 1, jb - 1], values)
    flat = b.swapaxes(0, 1).reshape((nblks * nproma,) + extra)
    assert not flat[n:].any()                                  # padding is zero


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nk=st.sampled_from(SMALL), nproma=st.integers(1, 100), nlev=st.integers(1, 6))
def test_descrdata_feeds_host(cache, nk, nproma, nlev):
    g = small(*nk, cache)
    kw = G.domain_descrdata(g, nproma, nlev)
    assert set(kw) == {"cells", "edges", "verts", "grid_uuid", "nlev"}
    n = {"cells": g.ncells, "edges": g.nedges, "verts": g.nverts}
    trailing = {
        "cells": dict(child_idx=4, child_blk=4, vertex_idx=3, vertex_blk=3, neighbor_idx=3,
                      neighbor_blk=3, edge_idx=3, edge_blk=3),
        "edges": dict(child_idx=4, child_blk=4, cell_idx=2, cell_blk=2, vertex_idx=4, vertex_blk=4),
        "verts": dict(neighbor_idx=6, neighbor_blk=6, cell_idx=6, cell_blk=6, edge_idx=6,
                      edge_blk=6),
    }
    for sub in ("cells", "edges", "verts"):
        fields = kw[sub]
        nblks = -(-n[sub] // nproma)
        table = {name: (kind, ndim) for name, kind, ndim in DESCRDATA[sub]}
        assert set(fields) == set(table), sub                  # every field the table has
        min_rl, _, max_rl = G.RL[sub]
        for name, value in fields.items():
            kind, ndim = table[name]
            if ndim == 0:
                assert type(value) is int, name
                continue
            assert value.dtype == DTYPES[kind] and value.ndim == ndim, (sub, name)
            if name == "glb_index":
                assert value.shape == (n[sub],)
            elif name.startswith(("start_", "end_")):
                assert value.shape == (max_rl - min_rl + 1,)
            elif name == "hhl":
                assert value.shape == (nproma, nlev + 1, nblks) and value.flags.f_contiguous
            elif ndim == 2:
                assert value.shape == (nproma, nblks) and value.flags.f_contiguous, name
            else:
                assert value.shape == (nproma, nblks, trailing[sub][name]), name
                assert value.flags.f_contiguous
        assert fields[COUNT[sub]] == n[sub] and fields["nblks"] == nblks
    # the blocked neighbour pairs give back the unblocked indices
    c = kw["cells"]
    j = (c["neighbor_blk"] - 1) * nproma + c["neighbor_idx"]
    jc, jb = G.idx_blk(np.arange(1, g.ncells + 1), nproma)
    assert np.array_equal(j[jc - 1, jb - 1], g.neighbor_of_cell)
    assert np.array_equal(c["clon"][jc - 1, jb - 1], g.clon)
    assert np.all(c["parent_glb_idx"][jc - 1, jb - 1] == 0)
    assert np.all(c["parent_glb_blk"][jc - 1, jb - 1] == 1)   # missing: (idx 0, blk 1)
    # no topography: flat half levels from 20 km down to 0, zero in the padding
    hhl = c["hhl"]
    assert np.array_equal(hhl[jc - 1, :, jb - 1], np.tile(np.linspace(20000.0, 0.0, nlev + 1),
                                                           (g.ncells, 1)))
    assert np.count_nonzero(hhl[:, 0, :]) == g.ncells
    with pytest.raises(ValueError, match="hhl"):
        G.domain_descrdata(g, nproma, nlev, hhl=np.zeros((nproma, nlev, 1)))
    host = Host([])
    try:
        host.set_global(**global_descr(nproma))
        host.set_domain(1, grid_filename=f"{g.name}.nc", **kw)
        d = comin.descrdata_get_domain(1)
        assert d.nlev == nlev and np.array_equal(d.cells.vertex_idx, c["vertex_idx"])
        assert d.edges.nedges == g.nedges and d.verts.num_edges.dtype == np.intc
        for sub in ("cells", "edges", "verts"):
            assert covered(sub, 1, getattr(d, sub), n[sub]) == n[sub], sub
    finally:
        host.finalize()


# -- nests ---------------------------------------------------------------------------

def test_nest_links(nest):
    parent, new_parent, child = nest
    assert child.is_nest and (child.root, child.bisections) == (2, 2)
    assert child.parent_uuid == parent.uuid and child.name.startswith("R2B2-nest")
    assert not parent.child_cells.any()                        # the input is not changed
    same = {name: np.array_equal(getattr(parent, name), getattr(new_parent, name))
            for name in ("clon", "vertex_of_cell", "refin_c_ctrl", "cells_of_edge")}
    assert all(same.values())
    cc = new_parent.child_cells
    has = cc[:, 0] > 0
    assert has.any() and np.all((cc > 0).all(axis=1) == has)  # 4 children or none
    assert np.array_equal(np.bincount(child.parent_cell, minlength=parent.ncells + 1)[1:],
                          np.where(has, 4, 0))
    assert np.array_equal(np.sort(cc[has].ravel()), np.arange(1, child.ncells + 1))
    # mutual consistency
    assert np.all(child.parent_cell >= 1)
    rows = cc[child.parent_cell - 1]
    assert np.all((rows == np.arange(1, child.ncells + 1)[:, None]).sum(axis=1) == 1)
    for P in np.flatnonzero(has)[:50]:
        assert np.all(child.parent_cell[cc[P] - 1] == P + 1)
    # each child's centre is nearest to and inside its parent
    pc, ch = xyz(parent.clon, parent.clat), xyz(child.clon, child.clat)
    assert np.array_equal(np.argmax(ch @ pc.T, axis=1) + 1, child.parent_cell)
    pv = xyz(parent.vlon, parent.vlat)
    tri = pv[parent.vertex_of_cell[child.parent_cell - 1] - 1]        # (nc, 3, 3)
    for i in range(3):
        a, b = tri[:, i], tri[:, (i + 1) % 3]
        assert np.all(np.einsum("ij,ij->i", np.cross(a, b), ch) > 0)  # counter-clockwise cells
    # child 1 is the centre child: all its neighbours are siblings
    centre = cc[has, 0] - 1
    assert np.all(child.parent_cell[child.neighbor_of_cell[centre] - 1]
                  == child.parent_cell[centre][:, None])
    # edges: every child edge has a parent edge that lists it, and vice versa
    ce = new_parent.child_edges
    assert np.all(child.parent_edge >= 1)
    rows = ce[child.parent_edge - 1]
    assert np.all((rows == np.arange(1, child.nedges + 1)[:, None]).sum(axis=1) == 1)
    assert np.array_equal(np.sort(ce[ce > 0]), np.arange(1, child.nedges + 1))
    # halves (slots 1, 2) lie on their parent edge, inner edges (3, 4) inside edge cell 1 / 2
    pm = xyz(parent.elon, parent.elat)
    em = xyz(child.elon, child.elat)
    for E in np.flatnonzero((ce > 0).any(axis=1)):
        a, b = pv[parent.vertices_of_edge[E, :2] - 1]
        normal = np.cross(a, b) / np.linalg.norm(np.cross(a, b))
        length = math.acos(float(a @ b))
        for s in (0, 1):
            e = ce[E, s]
            if e:
                assert abs(em[e - 1] @ normal) < 0.05 * length
                assert em[e - 1] @ (a if s == 0 else b) > em[e - 1] @ (b if s == 0 else a)
        for s in (2, 3):
            e = ce[E, s]
            if e:
                cell = parent.cells_of_edge[E, s - 2]
                assert cell >= 1 and cc[cell - 1, 0] > 0
                assert child.parent_cell[child.cells_of_edge[e - 1, 0] - 1] == cell
                assert em[e - 1] @ pc[cell - 1] > em[e - 1] @ pm[E]    # off the parent edge
    assert np.array_equal(new_parent.child_nest_of_cell, has.astype(np.int32))
    check_grid_refin(child)


def test_links_reproduce_generator_hierarchy():
    """The derivation applied to two global grids gives the generator's own R2B2-in-R2B1 links."""
    coarse, fine = G.global_grid("R2B1"), G.global_grid("R2B2")
    parent_cell, parent_edge, child_cells, child_edges = G.link_nest(coarse, fine)
    ref = fine.source.refinement
    assert np.array_equal(parent_cell, ref["parent_cell_index"])
    assert np.array_equal(child_cells, np.arange(1, fine.ncells + 1).reshape(-1, 4))
    # children ordered as the generator's bisection: centre, at vertex 3, 1, 2
    slot = np.zeros(fine.ncells, int)
    slot[child_cells.ravel() - 1] = np.tile([1, 2, 3, 4], coarse.ncells)
    assert np.array_equal(np.array([200, 203, 201, 202])[slot - 1], ref["parent_cell_type"])
    # edges: the same parent edges up to the generator's numbering of them
    pairs = set(zip(parent_edge.tolist(), ref["parent_edge_index"].tolist()))
    assert len(pairs) == coarse.nedges == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    etype = ref["edge_parent_type"]
    halves = etype[child_edges[:, :2] - 1]
    assert np.array_equal(np.sort(halves, axis=1), np.tile([101, 102], (coarse.nedges, 1)))
    assert np.all(np.isin(etype[child_edges[:, 2:] - 1], [201, 202, 203]))


def test_nest_errors_and_nest_in_nest(nest, cache):
    parent, new_parent, child = nest
    with pytest.raises(ValueError, match="does not match"):
        G.nested_grid(parent, "R2B2", 10, 47, 20)
    with pytest.raises(ValueError, match="radius"):
        G.nested_grid(parent, "R2B1", 10, 47, 0)
    with pytest.raises(ValueError, match="center_lat"):
        G.nested_grid(parent, "R2B1", 10, 95, 10)
    with pytest.raises(ValueError, match="child_domain_id"):
        G.domain_descrdata(new_parent, 8, 2)
    # a nest of the nest: inside works, outside is refused
    _, inner = G.nested_grid(child, None, 10, 47, 12)
    assert inner.bisections == 3 and inner.parent_cell.max() <= child.ncells
    with pytest.raises(ValueError, match="not a bisection"):
        G.nested_grid(child, "R2B2", -150, -40, 12)
    # nests of one parent must not overlap
    with pytest.raises(ValueError, match="overlaps"):
        G.nested_grid(new_parent, "R2B1", 12, 45, 10)


def test_nest_with_interior_ordering(cache):
    parent = G.load_or_make_global("R2B2", cache=cache)
    _, child = G.load_or_make_nested(parent, "R2B2", -60.0, -20.0, 35.0, cache=cache)
    assert child.refin_c_ctrl.max() > G.MAX_RLCELL             # rows beyond 5: interior
    check_grid_refin(child)
    assert child.parent_cell.min() >= 1


def test_two_domains_feed_host(nest):
    parent, new_parent, child = nest
    nproma, nlev = 16, 3
    kw1 = G.domain_descrdata(new_parent, nproma, nlev, child_domain_id=2)
    kw2 = G.domain_descrdata(child, nproma, nlev)
    c1, e1 = kw1["cells"], kw1["edges"]
    has = new_parent.child_cells[:, 0] > 0
    jc, jb = G.idx_blk(np.arange(1, parent.ncells + 1), nproma)
    assert np.array_equal(c1["child_id"][jc - 1, jb - 1], np.where(has, 2, 0))
    kids = (c1["child_blk"] - 1) * nproma + c1["child_idx"]
    assert np.array_equal(kids[jc - 1, jb - 1][has], new_parent.child_cells[has])
    assert np.all(c1["child_idx"][jc - 1, jb - 1][~has] == 0)
    assert np.all(c1["child_blk"][jc - 1, jb - 1][~has] == 1)
    assert e1["child_id"].max() == 2
    c2 = kw2["cells"]
    jc2, jb2 = G.idx_blk(np.arange(1, child.ncells + 1), nproma)
    par = (c2["parent_glb_blk"] - 1) * nproma + c2["parent_glb_idx"]
    assert np.array_equal(par[jc2 - 1, jb2 - 1], child.parent_cell)
    # the nest boundary: missing neighbours are (idx 0, blk 1)
    missing = child.neighbor_of_cell == 0
    assert missing.any()
    assert np.all(c2["neighbor_idx"][jc2 - 1, jb2 - 1][missing] == 0)
    assert np.all(c2["neighbor_blk"][jc2 - 1, jb2 - 1][missing] == 1)
    host = Host([])
    try:
        host.set_global(**global_descr(nproma, n_dom=2))
        host.set_domain(1, n_childdom=1, **kw1)
        host.set_domain(2, n_childdom=0, **kw2)
        d1, d2 = comin.descrdata_get_domain(1), comin.descrdata_get_domain(2)
        assert np.array_equal(d1.cells.child_id, c1["child_id"])
        assert np.array_equal(d2.edges.parent_glb_idx, kw2["edges"]["parent_glb_idx"])
        assert bytes(np.asarray(d2.grid_uuid).view(np.uint8)) == uuid.UUID(child.uuid).bytes
        for sub in ("cells", "edges", "verts"):
            assert covered(sub, 2, getattr(d2, sub), kw2[sub][COUNT[sub]]) == kw2[sub][COUNT[sub]]
    finally:
        host.finalize()


# -- cache ---------------------------------------------------------------------------

def test_cache_round_trip(tmp_path):
    fresh = G.load_or_make_global("R2B1", cache=tmp_path)
    assert fresh.source is not None
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1 and files[0].name.startswith("global_R2B1_")
    again = G.load_or_make_global("R02B01", cache=tmp_path)
    assert again.source is None                                # read from the file
    same_grid(fresh, again)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    other = G.load_or_make_global("R2B0", cache=tmp_path)
    assert other.ncells == 80 and len(list(tmp_path.glob("*.npz"))) == 2
    # nests too, and their links come back merged into the parent
    p1, n1 = G.load_or_make_nested(again, "R2B1", 10, 47, 25, cache=tmp_path)
    p2, n2 = G.load_or_make_nested(again, "R2B1", 10, 47, 25, cache=tmp_path)
    assert n1.source is not None and n2.source is None
    same_grid(n1, n2)
    same_grid(p1, p2)
    p3, n3 = G.nested_grid(fresh, "R2B1", 10, 47, 25)
    same_grid(n1, n3)
    same_grid(p1, p3)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong_key", "bad_array"])
def test_corrupt_cache_is_regenerated(tmp_path, damage):
    good = G.load_or_make_global("R1B1", cache=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not an npz file at all" * 10)
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with np.load(path) as z:
            data = {k: z[k] for k in z.files}
        if damage == "wrong_key":
            data["_key"] = np.array(str(data["_key"]).replace("global", "other"))
        else:
            data["vertex_of_cell"] = data["vertex_of_cell"][:, :2].copy()
        with open(path, "wb") as f:
            np.savez(f, **data)
    with pytest.warns(RuntimeWarning, match="regenerating"):
        again = G.load_or_make_global("R1B1", cache=tmp_path)
    assert again.source is not None                           # made anew, not read
    same_grid(good, again)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = G.load_or_make_global("R1B1", cache=tmp_path)  # the rewritten file is good
    assert third.source is None
    same_grid(good, third)


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    target = tmp_path / "from_env" / "deeper"
    monkeypatch.setenv("COMIN_CACHE_DIR", str(target))
    assert G.cache_dir() == target and target.is_dir()
    G.load_or_make_global("R1B0", cache=None)
    assert len(list(target.glob("global_R1B0_*.npz"))) == 1
    monkeypatch.delenv("COMIN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert G.cache_dir() == tmp_path / "xdg" / "comin" / "grids"


# -- NetCDF --------------------------------------------------------------------------

def test_write_grid_netcdf(tmp_path, nest):
    import netCDF4

    parent, new_parent, child = nest
    fresh = G.global_grid("R2B0")
    # the generator's writer (fresh grid) and this module's (a grid read from the cache)
    for label, g in (("fresh", fresh), ("own", dataclasses.replace(fresh, source=None))):
        path = G.write_grid_netcdf(g, tmp_path / f"{label}.nc")
        with netCDF4.Dataset(path) as ds:
            for name in ("clon", "clat", "vlon", "vlat", "elon", "elat", "vertex_of_cell",
                         "edge_of_cell", "neighbor_cell_index", "adjacent_cell_of_edge",
                         "edge_vertices", "cells_of_vertex", "refin_c_ctrl", "refin_e_ctrl",
                         "refin_v_ctrl", "start_idx_c", "end_idx_c", "start_idx_e", "end_idx_v",
                         "cell_area", "parent_cell_index", "child_cell_index"):
                assert name in ds.variables, (label, name)
            assert np.allclose(ds["clon"][:], g.clon) and np.allclose(ds["clat"][:], g.clat)
            assert ds["clon"].units == "radian"
            assert np.array_equal(ds["vertex_of_cell"][:].T, g.vertex_of_cell)
            assert np.array_equal(ds["edge_of_cell"][:].T, g.edge_of_cell)
            assert np.array_equal(ds["edge_vertices"][:].T, g.vertices_of_edge[:, :2])
            assert np.array_equal(ds["refin_c_ctrl"][:], g.refin_c_ctrl)
            assert np.array_equal(ds["start_idx_c"][:][0], g.start_idx_c)
            assert np.array_equal(ds["end_idx_v"][:][0], g.end_idx_v)
            assert np.allclose(ds["cell_area"][:], g.cell_area)
            assert ds.uuidOfHGrid == g.uuid
    # the nest and its parent carry the derived links
    nest_file = G.write_grid_netcdf(child, tmp_path / "nest.nc")
    with netCDF4.Dataset(nest_file) as ds:
        assert np.array_equal(ds["parent_cell_index"][:], child.parent_cell)
        assert np.array_equal(ds["parent_edge_index"][:], child.parent_edge)
        assert ds.uuidOfParHGrid == parent.uuid
        assert np.array_equal(ds["neighbor_cell_index"][:].T,
                              np.where(child.neighbor_of_cell > 0, child.neighbor_of_cell, -1))
    with pytest.raises(ValueError, match="child_domain_id"):
        G.write_grid_netcdf(new_parent, tmp_path / "parent.nc")
    par_file = G.write_grid_netcdf(new_parent, tmp_path / "parent.nc", child_domain_id=2)
    with netCDF4.Dataset(par_file) as ds:
        assert np.array_equal(ds["child_cell_index"][:].T, new_parent.child_cells)
        assert np.array_equal(ds["child_edge_index"][:].T, new_parent.child_edges)
        assert np.array_equal(ds["child_cell_id"][:], np.where(new_parent.child_cells[:, 0] > 0, 2, 0))
    # the generator object itself
    gen_file = G.write_grid_netcdf(fresh.source, tmp_path / "gen.nc", fields="icon4py")
    with netCDF4.Dataset(gen_file) as ds:
        assert "vertex_of_cell" in ds.variables and "start_idx_c" not in ds.variables
    with pytest.raises(TypeError):
        G.write_grid_netcdf(object(), tmp_path / "x.nc")


def test_write_grid_netcdf_without_netcdf4(tmp_path, monkeypatch):
    g = G.global_grid("R1B0")
    monkeypatch.setitem(sys.modules, "netCDF4", None)
    with pytest.raises(ModuleNotFoundError, match="netCDF4"):
        G.write_grid_netcdf(g, tmp_path / "x.nc")
    assert not os.path.exists(tmp_path / "x.nc")


def test_large_grid_generation_is_announced_with_progress(tmp_path, monkeypatch, capsys):
    """A grid at least LARGE_GRID cells big says what is made, where it is cached and about
    how long it takes, tells the elapsed time while it is made, and says when it is done;
    loading it from the cache says nothing.  (Made small here: a lower threshold, a tick
    every 10 ms, a slow generator.)"""
    import time

    from comin.hosts.emulator.grids import cache as cache_mod
    monkeypatch.setattr(cache_mod, "LARGE_GRID", 100)
    monkeypatch.setattr(cache_mod.Progress, "TICK_LOG", 0.01)
    made = cache_mod.global_grid

    def slow(name):
        time.sleep(0.2)
        return made(name)

    monkeypatch.setattr(cache_mod, "global_grid", slow)
    G.load_or_make_global("R2B1", cache=tmp_path)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("comin: making grid R2B1 (320 cells, about ")
    assert str(tmp_path) in lines[0]
    ticks = [line for line in lines[1:-1] if line.startswith("comin: making grid R2B1: ")]
    assert len(ticks) >= 3 and all(" s of about " in t for t in ticks)
    assert lines[-1].startswith("comin: made grid R2B1 in ")
    G.load_or_make_global("R2B1", cache=tmp_path)
    assert capsys.readouterr().err == ""
    G.load_or_make_global("R1B0", cache=tmp_path)           # 20 cells: small, silent
    assert capsys.readouterr().err == ""
