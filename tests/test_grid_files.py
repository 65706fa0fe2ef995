"""ICON grid files in the emulator: ``comin run --grid FILE.nc --nest FILE.nc``.

Grid files come from icon-grid-generator (a global R2B2, limited-area grids of
R2B3/R2B4) and from ``comin run --write-grid``; nothing is downloaded.  Checked:
the reader against the generator's own grid, a limited-area domain 1 with its
lateral boundary rows, nests linked by uuid (and by the generator's
construction parent), ICON's negative refin_ctrl levels and ordering on the
parents, one-way nesting, the round trip written -> read, and one line for
each kind of bad file.
"""
from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

import comin
from comin import _table
from comin.__main__ import main
from comin.emulator import Config, Emulator
from comin.hosts.emulator.grids import refin
from comin.hosts.emulator.grids.domains import build_domains
from comin.hosts.emulator.grids.generator import from_generator
from comin.hosts.emulator.grids.grid import GRF_BDYWIDTH_C, RL
from comin.hosts.emulator.grids.netcdf import GridFileError, read_grid_file

from _support import generator_grid_files

netCDF4 = pytest.importorskip("netCDF4")
R = 6371229.0


def _lam(gg, parent, lon, lat, radius):
    return gg.generate_grid(gg.LimitedAreaGridSpec(parent=parent, region=gg.Region.circle(
        lon=lon, lat=lat, radius_degrees=radius)), sphere_radius=R, max_cells=None)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Grid files written by icon-grid-generator (see ``_support.generator_grid_files``)."""
    return generator_grid_files(tmp_path_factory.mktemp("gridfiles"))


def copy_without(src: str, dst: str, drop=(), transpose=(), attrs=None, drop_attrs=()):
    """A copy of a grid file without some variables, with some 2-D variables' dimensions
    swapped, or with changed global attributes."""
    with netCDF4.Dataset(src) as a, netCDF4.Dataset(dst, "w") as b:
        for name, dim in a.dimensions.items():
            b.createDimension(name, dim.size)
        for name, v in a.variables.items():
            if name in drop:
                continue
            dims = v.dimensions[::-1] if name in transpose else v.dimensions
            w = b.createVariable(name, v.dtype, dims)
            w[...] = v[...].T if name in transpose else v[...]
        b.setncatts({k: a.getncattr(k) for k in a.ncattrs() if k not in drop_attrs})
        b.setncatts(attrs or {})
    return dst


def descrdata():
    """Every descriptive-data field of every domain, as a plugin reads it."""
    out = {}

    def value(v):
        return np.array(v) if isinstance(v, memoryview) or hasattr(v, "__array_interface__") \
            else v

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def grab():
            glob = comin.descrdata_get_global()
            out["global"] = {n: value(getattr(glob, n)) for n, _k, _d in _table.DESCRDATA["global"]}
            for jg in range(1, glob.n_dom + 1):
                dom = comin.descrdata_get_domain(jg)
                d = {n: value(getattr(dom, n)) for n, _k, nd in _table.DESCRDATA["domain"]
                     if n not in ("cells", "edges", "verts")}
                for group in ("cells", "edges", "verts"):
                    sub = getattr(dom, group)
                    d[group] = {n: value(getattr(sub, n)) for n, _k, _d in _table.DESCRDATA[group]}
                out[jg] = d
    return out, plugin


def same_descrdata(a: dict, b: dict, skip=("grid_filename",)):
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, dict):
            same_descrdata(x, y, skip)
        elif key not in skip:
            if isinstance(x, np.ndarray):
                assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), key
            else:
                assert x == y, key


def run_emulator(plugins, **kw):
    kw.setdefault("nproma", 16)
    kw.setdefault("nlev", 6)
    emu = Emulator(plugins, Config(**kw))
    emu.run()
    return emu


# -- reading ---------------------------------------------------------------------------------

def test_reader_gives_the_generators_grid(files):
    gf = read_grid_file(files["global"])
    g = gf.grid
    ref = from_generator(files["global_obj"], name="R2B2", root=2, bisections=2)
    for name, a in ref.arrays().items():
        b = getattr(g, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        if name in ("vlon", "vlat", "clon", "clat", "elon", "elat"):
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, err_msg=name)
        else:
            assert np.array_equal(a, b), name
    assert (g.uuid, g.root, g.bisections, g.number_of_grid_used) == (ref.uuid, 2, 2, 0)
    assert not g.is_limited_area and g.path == files["global"]
    # a global grid's parent indices point into the generator's coarser grid: kept aside
    assert gf.parent_cells.min() >= 1 and not g.parent_cell.any()


def test_limited_area_file_has_icon_boundary_rows(files):
    gf = read_grid_file(files["lam"])
    g = gf.grid
    assert g.is_limited_area and g.number_of_grid_used == 1
    assert gf.construction_parent_uuid == read_grid_file(files["global"]).grid.uuid
    r = g.refin_c_ctrl
    # rows 1..4 first, from the boundary inwards, each a range of start/end_idx_c
    for row in range(1, GRF_BDYWIDTH_C + 1):
        k = row - RL["cells"][0]
        at = np.flatnonzero(r == row) + 1
        assert at.size and (at.min(), at.max()) == (g.start_idx_c[k], g.end_idx_c[k])
    assert refin.range_problem(r, g.start_idx_c, g.end_idx_c, "cells") is None
    # a cell that misses a neighbour is in row 1; missing vertex neighbours come last
    assert np.all(r[(g.neighbor_of_cell == 0).any(axis=1)] == 1)
    cv = g.cells_of_vertex
    assert np.all(np.diff((cv == 0).astype(int), axis=1) >= 0)


# -- limited-area domain 1 ---------------------------------------------------------------------

def test_limited_area_domain_1_takes_its_boundary_from_the_analytic_state(files):
    seen = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            seen["handle"] = comin.var_get([comin.EP_ATM_PHYSICS_AFTER], ("rho", 1),
                                           comin.COMIN_FLAG_READ)

        @comin.EP_ATM_PHYSICS_AFTER
        def after():
            d = comin.descrdata_get_domain(1)
            seen["refin"] = np.asarray(d.cells.refin_ctrl).copy()
            seen["rho"] = np.asarray(seen["handle"].to_3d).copy()

    emu = run_emulator([plugin], grid=files["lam"], steps=3)
    dom = emu.domains[1]
    b = dom.boundary
    assert len(b) and set(dom.grid.refin_c_ctrl[b].tolist()) == {1, 2, 3, 4}
    rho = dom.gather(dom.fields["rho"])
    np.testing.assert_array_equal(rho[b], dom.analytic_density(dom.time, b))
    q = dom.gather(dom.fields["container"][..., 0])
    prof, pattern = dom.host_tracers(dom.grid.clat[b])[0]
    np.testing.assert_allclose(q[b], pattern[:, None] * prof[None, :], rtol=1e-15)
    inner = np.flatnonzero(dom.grid.refin_c_ctrl > GRF_BDYWIDTH_C)
    assert not np.allclose(rho[inner], dom.analytic_density(dom.time, inner))   # prognostic
    assert set(np.unique(seen["refin"]).tolist()) >= {1, 2, 3, 4}
    # what the plugin read at the last entry point of the step is that state
    assert np.array_equal(seen["rho"].transpose(2, 0, 1).reshape(-1, dom.nlev)[: dom.grid.ncells], rho)


# -- nests from files ----------------------------------------------------------------------------

def test_nests_by_uuid_and_construction_parent_with_icon_parent_levels(files):
    doms = build_domains(files["global"], nest_files=(files["lam"], files["lam2"], files["inner"]))
    assert doms.parents == [-1, 0, 0, 1]
    top, lam, lam2, inner = doms.grids
    assert top.n_nests == 2 and lam.n_nests == 1 and inner.parent_uuid == lam.uuid
    for i, g in enumerate(doms.grids):
        for k, group in refin.KIND.items():
            problem = refin.range_problem(getattr(g, f"refin_{k}_ctrl"), getattr(g, f"start_idx_{k}"),
                                          getattr(g, f"end_idx_{k}"), group)
            assert problem is None, (i, k, problem)
    # a parent cell has children exactly where its level is negative; the level follows
    # the children's boundary rows: rows 1-2 -> -1, 3-4 -> -2, 5-6 -> -3, deeper -> -4
    for p, kids in ((0, (1, 2)), (1, (3,))):
        g = doms.grids[p]
        has = g.child_cells[:, 0] > 0
        assert np.array_equal(has, g.refin_c_ctrl < 0)
        for n, j in enumerate(kids, start=1):
            child = doms.grids[j]
            mine = np.flatnonzero(g.child_nest_of_cell == n)
            assert np.array_equal(np.sort(g.child_cells[mine].ravel()), np.arange(1, child.ncells + 1))
            rows = child.refin_c_ctrl[g.child_cells[mine] - 1]
            rows = np.where(rows > 0, rows, 99).min(axis=1)
            want = np.where(rows < 99, -np.minimum((rows + 1) // 2, 4), -4)
            assert np.array_equal(g.refin_c_ctrl[mine], want)
        # edges and vertices over the nests are negative too, and sorted likewise
        assert (g.refin_e_ctrl < 0).sum() > 0 and (g.refin_v_ctrl < 0).sum() > 0
    # links both ways
    for j in (1, 2, 3):
        child, parent = doms.grids[j], doms.grids[doms.parents[j]]
        kids = parent.child_cells[child.parent_cell - 1]
        assert np.all((kids == np.arange(1, child.ncells + 1)[:, None]).any(axis=1))


def test_file_links_are_used_where_they_fit_and_derived_where_absent(tmp_path, monkeypatch):
    """A nest file's parent_cell_index/parent_edge_index (with its parent file's
    child_cell_index/child_edge_index) are taken as they are; without them the links are
    derived from the geometry, and come out the same."""
    from comin.hosts.emulator.grids import nesting
    emu = Emulator([], Config(grid="R2B2", nest=True, nest_radius=30.0, steps=0, nproma=16, nlev=4))
    emu.run()
    top, nest = emu.write_grids(str(tmp_path / "made"))
    derived = []
    real = nesting.link_nest
    monkeypatch.setattr(nesting, "link_nest", lambda p, c: derived.append(c.ncells) or real(p, c))
    ref = build_domains(top, nest_files=(nest,))
    assert derived == []                                  # the files' own links
    bare = copy_without(nest, str(tmp_path / "bare.nc"),
                        drop=("parent_cell_index", "parent_edge_index"))
    doms = build_domains(top, nest_files=(bare,))
    assert derived == [ref.grids[1].ncells]               # derived, as for a grid made here
    for j, names in ((0, ("child_cells", "child_edges", "refin_c_ctrl")),
                     (1, ("parent_cell", "parent_edge", "refin_c_ctrl"))):
        for name in names:
            assert np.array_equal(getattr(doms.grids[j], name), getattr(ref.grids[j], name)), name


def test_several_nests_run_one_way_with_the_parents_state(files):
    seen = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            seen["n_childdom"] = [comin.descrdata_get_domain(jg).n_childdom for jg in (1, 2, 3, 4)]
            seen["dt"] = [comin.descrdata_get_timesteplength(jg) for jg in (1, 2, 3, 4)]
            seen["used"] = np.asarray(comin.descrdata_get_domain(1).number_of_grid_used).tolist()
            seen["child_id"] = np.unique(np.asarray(comin.descrdata_get_domain(1).cells.child_id))
            seen["uuid"] = [bytes(np.asarray(comin.descrdata_get_domain(jg).grid_uuid).view(np.uint8))
                            for jg in (1, 2, 3, 4)]

    emu = run_emulator([plugin], grid=files["global"], nest_files=(files["lam"], files["lam2"],
                                                                    files["inner"]), steps=2)
    assert seen["n_childdom"] == [2, 1, 0, 0]
    assert seen["dt"] == [600.0, 300.0, 300.0, 150.0]
    assert seen["used"] == [0, 1, 1, 1]
    assert seen["child_id"].tolist() == [0, 2, 3]
    for jg, key in enumerate(("global", "lam", "lam2", "inner"), start=1):
        with netCDF4.Dataset(files[key]) as ds:
            assert seen["uuid"][jg - 1] == uuid.UUID(ds.uuidOfHGrid).bytes, jg
    for jg in (2, 3, 4):
        child = emu.domains[jg]
        parent = child.parent
        b = child.boundary
        pc = child.grid.parent_cell[b] - 1
        for name in ("rho", "container"):
            got = child.fields[name][b % 16, :, b // 16]
            want = parent.fields[name][pc % 16, :, pc // 16]
            np.testing.assert_array_equal(got, want, err_msg=f"{name} of domain {jg}")


def test_a_tracer_of_the_parent_flows_into_the_nest(files):
    """One-way nesting, not a closed wall: a tracer present only in the parent enters the
    nest through its boundary rows and moves inwards."""
    emu = Emulator([], Config(grid=files["global"], nest_files=(files["lam"],), steps=0,
                              nproma=16, nlev=4))
    emu.setup()
    try:
        emu.host.run_primary_constructors()
        emu._expose()
        parent, nest = emu.domains[1], emu.domains[2]
        parent.fields["container"][..., 2] = parent.valid[:, None, :] * 1e-3
        nest.fields["container"][..., 2] = 0.0
        nest._feed_new = None
        for _ in range(3):
            emu._integrate(parent)
        q = nest.gather(nest.fields["container"][..., 2])
        rows = nest.grid.refin_c_ctrl
        assert np.all(q[(rows >= 1) & (rows <= 4)] > 0)
        assert np.any(q[rows == 5] > 0)
    finally:
        emu.host.finalize()


def test_misplaced_nests_are_refused(files, tmp_path):
    wrong = copy_without(files["inner"], str(tmp_path / "inner.nc"), attrs={"grid_level": 5})
    with pytest.raises(GridFileError, match="inner.nc: attribute grid_level = 5, expected 4"):
        build_domains(files["lam"], nest_files=(wrong,))
    with pytest.raises(GridFileError, match="inner.nc: attribute uuidOfParHGrid = .* matches no "
                                            "domain before this nest"):
        build_domains(files["global"], nest_files=(files["inner"],))
    import grid_generator as gg
    edge = str(tmp_path / "edge.nc")
    with netCDF4.Dataset(files["lam"]) as ds:
        lam_uuid = ds.uuidOfHGrid
    _lam(gg, "R2B4", 10.0, 67.0, 6.0).to_netcdf(edge)
    with netCDF4.Dataset(edge, "a") as ds:
        ds.uuidOfParHGrid = lam_uuid
    with pytest.raises(GridFileError, match="edge.nc: variable parent_cell_index: the nest "):
        build_domains(files["lam"], nest_files=(edge,))


# -- written and read back -------------------------------------------------------------------

def test_write_grid_round_trip_gives_identical_descriptive_data(tmp_path, files, capsys):
    out1, p1 = descrdata()
    emu = Emulator([p1], Config(grid="R2B2", nest=True, nest_radius=30.0, steps=1, nproma=16, nlev=4))
    emu.run()
    paths = emu.write_grids(str(tmp_path / "made"))
    out2, p2 = descrdata()
    Emulator([p2], Config(grid=paths[0], nest_files=(paths[1],), steps=1, nproma=16, nlev=4)).run()
    same_descrdata(out1, out2)
    assert out2[1]["grid_filename"] == paths[0]
    # the generator's files, read, written, read again
    out3, p3 = descrdata()
    emu = Emulator([p3], Config(grid=files["global"], nest_files=(files["lam"], files["inner"]),
                                steps=1, nproma=16, nlev=4))
    emu.run()
    again = emu.write_grids(str(tmp_path / "again"))
    out4, p4 = descrdata()
    Emulator([p4], Config(grid=again[0], nest_files=tuple(again[1:]), steps=1, nproma=16, nlev=4)).run()
    same_descrdata(out3, out4)
    # the command line does the same
    rc = main(["run", "--grid", again[0], "--nest", again[1], "--nest", again[2], "--steps", "1",
               "--no-summary", "--no-progress", "--write-grid", str(tmp_path / "third"),
               os.path.join(os.path.dirname(__file__), "..", "examples", "simple_python_plugin.py")])
    assert rc == 0
    assert "wrote the grid of domain 3" in capsys.readouterr().err


# -- bad files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case, message", [
    ("missing", "global_x.nc: variable vertex_of_cell is missing"),
    ("transposed", "global_x.nc: variable edge_of_cell has dimensions ('cell', 'nv'), expected "
                   "('nv', 'cell')"),
    ("no_level", "global_x.nc: attribute grid_level is missing"),
    ("ranges", "global_x.nc: variable start_idx_c/end_idx_c does not fit refin_c_ctrl"),
    ("parent_uuid", "lam_x.nc: attribute uuidOfParHGrid = "),
    ("not_netcdf", "global_x.nc: not a NetCDF grid file"),
    ("nest_plugin", "argument --nest: expected a nest grid file FILE.nc, got 'plugin.py'"),
    ("missing_file", "grid file nowhere.nc does not exist"),
])
def test_bad_grid_files_are_one_line_naming_file_and_variable(tmp_path, files, capsys, case,
                                                              message):
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import comin\n")
    g, lam = files["global"], files["lam"]
    bad = str(tmp_path / "global_x.nc")
    grid_args = ["--grid", bad]
    if case == "missing":
        copy_without(g, bad, drop=("vertex_of_cell",))
    elif case == "transposed":
        copy_without(g, bad, transpose=("edge_of_cell",))
    elif case == "no_level":
        copy_without(g, bad, drop_attrs=("grid_level",))
    elif case == "ranges":
        with netCDF4.Dataset(g) as ds:
            start = ds["start_idx_c"][:]
        start[0, 4] = 7
        copy_without(g, bad)
        with netCDF4.Dataset(bad, "a") as ds:
            ds["start_idx_c"][:] = start
    elif case == "parent_uuid":
        nest = copy_without(lam, str(tmp_path / "lam_x.nc"), drop_attrs=("construction_parent_uuid",),
                            attrs={"uuidOfParHGrid": str(uuid.uuid4())})
        grid_args = ["--grid", g, "--nest", nest]
    elif case == "not_netcdf":
        with open(bad, "w") as f:
            f.write("not a grid\n")
    elif case == "nest_plugin":
        grid_args = ["--grid", g, "--nest", str(plugin)]
        message = message.replace("plugin.py", str(plugin))
    elif case == "missing_file":
        grid_args = ["--grid", "nowhere.nc"]
    capsys.readouterr()
    rc = main(["run", *grid_args, "--steps", "1", str(plugin)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and message in err[0], err
