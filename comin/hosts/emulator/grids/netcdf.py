"""ICON grid files (NetCDF) of the emulator's grids."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import numpy as np

from comin.hosts.emulator.grids.descrdata import child_ids
from comin.hosts.emulator.grids.grid import Grid


def _netcdf4():
    try:
        import netCDF4
    except ImportError as exc:
        raise ModuleNotFoundError("write_grid_netcdf needs the netCDF4 package: "
                                  "pip install netCDF4") from exc
    return netCDF4


def _write_own(grid: Grid, path: Path) -> None:
    """ICON-named grid file from a :class:`Grid` (no generator object at hand)."""
    nc4 = _netcdf4()
    tmp = path.with_name(path.name + ".partial")
    with nc4.Dataset(tmp, "w", format="NETCDF4") as ds:
        for dim, size in (("cell", grid.ncells), ("edge", grid.nedges), ("vertex", grid.nverts),
                          ("nv", 3), ("ne", 6), ("nc", 2), ("no", 4), ("max_chdom", 1),
                          ("cell_grf", grid.start_idx_c.size), ("edge_grf", grid.start_idx_e.size),
                          ("vert_grf", grid.start_idx_v.size)):
            ds.createDimension(dim, size)

        def var(name, dims, data, dtype, **attrs):
            v = ds.createVariable(name, dtype, dims)
            for k, val in attrs.items():
                v.setncattr(k, val)
            v[:] = data

        f8, i4 = "f8", "i4"
        for name, dims, data in (("clon", ("cell",), grid.clon), ("clat", ("cell",), grid.clat),
                                 ("vlon", ("vertex",), grid.vlon), ("vlat", ("vertex",), grid.vlat),
                                 ("elon", ("edge",), grid.elon), ("elat", ("edge",), grid.elat)):
            var(name, dims, data, f8, units="radian")
        var("cell_area", ("cell",), grid.cell_area, f8, units="m2")
        # the generator's files: missing entries are -1 on a grid with an open
        # boundary, 0 (pentagons' sixth entries) on a global grid
        open_grid = bool(np.any(grid.cells_of_edge == 0))
        miss = (lambda a: np.where(a > 0, a, -1)) if open_grid else (lambda a: a)
        for name, dims, data in (
                ("vertex_of_cell", ("nv", "cell"), grid.vertex_of_cell.T),
                ("edge_of_cell", ("nv", "cell"), grid.edge_of_cell.T),
                ("neighbor_cell_index", ("nv", "cell"), miss(grid.neighbor_of_cell).T),
                ("adjacent_cell_of_edge", ("nc", "edge"), miss(grid.cells_of_edge).T),
                ("edge_vertices", ("nc", "edge"), grid.vertices_of_edge[:, :2].T),
                ("cells_of_vertex", ("ne", "vertex"), miss(grid.cells_of_vertex).T),
                ("edges_of_vertex", ("ne", "vertex"), miss(grid.edges_of_vertex).T),
                ("vertices_of_vertex", ("ne", "vertex"), miss(grid.vertices_of_vertex).T),
                ("refin_c_ctrl", ("cell",), grid.refin_c_ctrl),
                ("refin_e_ctrl", ("edge",), grid.refin_e_ctrl),
                ("refin_v_ctrl", ("vertex",), grid.refin_v_ctrl),
                ("start_idx_c", ("max_chdom", "cell_grf"), grid.start_idx_c[None]),
                ("end_idx_c", ("max_chdom", "cell_grf"), grid.end_idx_c[None]),
                ("start_idx_e", ("max_chdom", "edge_grf"), grid.start_idx_e[None]),
                ("end_idx_e", ("max_chdom", "edge_grf"), grid.end_idx_e[None]),
                ("start_idx_v", ("max_chdom", "vert_grf"), grid.start_idx_v[None]),
                ("end_idx_v", ("max_chdom", "vert_grf"), grid.end_idx_v[None]),
                ("cell_index", ("cell",), grid.glb_index_c),
                ("edge_index", ("edge",), grid.glb_index_e),
                ("vertex_index", ("vertex",), grid.glb_index_v),
                ("parent_cell_index", ("cell",), grid.parent_cell),
                ("parent_edge_index", ("edge",), grid.parent_edge)):
            var(name, dims, data, i4)
        for name, value in (("uuidOfHGrid", grid.uuid), ("uuidOfParHGrid", grid.parent_uuid),
                            ("grid_root", grid.root), ("grid_level", grid.bisections),
                            ("sphere_radius", grid.sphere_radius),
                            ("title", f"comin grid {grid.name}"), ("grid_geometry", 1),
                            ("open_boundary", int(open_grid))):
            ds.setncattr(name, value)
    os.replace(tmp, path)


def write_grid_netcdf(grid: Any, path: Union[str, os.PathLike], *, child_domain_id=None,
                      fields: str = "full") -> Path:
    """Write an ICON grid file (ICON's variable names, 1-based indices).

    ``grid``: a :class:`Grid` or a generator ``IconGrid``.  When the
    generator object is at hand (an IconGrid, or a freshly generated Grid's
    ``source``) its own writer is used (``fields``: its profile, default
    "full"); a Grid loaded from the cache is written by this module (the
    coordinates, areas, connectivity, refin_ctrl and start/end indices,
    global and parent indices).  For a :class:`Grid`, the derived links then
    replace the generator's: ``parent_cell_index``/``parent_edge_index`` of
    a nest (the generator's point into its regional construction parent),
    ``child_cell_index``/``child_edge_index`` (no, n) and
    ``child_cell_id``/``child_edge_id`` of a parent with nests
    (``child_domain_id`` as in :func:`domain_descrdata`, required then), and
    the ``uuidOfParHGrid`` attribute of a nest.  A root grid keeps the
    generator's ``parent_cell_index`` (its place in the generator's global
    RnB(k-1) hierarchy).  Needs netCDF4 (ModuleNotFoundError otherwise).
    """
    _netcdf4()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(grid, Grid):
        if not hasattr(grid, "to_netcdf"):
            raise TypeError(f"write_grid_netcdf needs a comin.grid.Grid or a generator IconGrid, "
                            f"got {type(grid).__name__}")
        grid.to_netcdf(path, fields=fields)
        return path
    cid_c = child_ids(grid.child_nest_of_cell, child_domain_id)
    cid_e = child_ids(grid.child_nest_of_edge, child_domain_id)
    if grid.source is not None:
        grid.source.to_netcdf(path, fields=fields)
    else:
        _write_own(grid, path)
    nc4 = _netcdf4()
    with nc4.Dataset(path, "a") as ds:
        for dim, size in (("no", 4),):
            if dim not in ds.dimensions:
                ds.createDimension(dim, size)
        updates = []
        if grid.is_nest:
            updates += [("parent_cell_index", ("cell",), grid.parent_cell),
                        ("parent_edge_index", ("edge",), grid.parent_edge)]
            ds.setncattr("uuidOfParHGrid", grid.parent_uuid)
        if grid.n_nests or "child_cell_index" in ds.variables or grid.source is None:
            updates += [("child_cell_index", ("no", "cell"), grid.child_cells.T),
                        ("child_cell_id", ("cell",), cid_c),
                        ("child_edge_index", ("no", "edge"), grid.child_edges.T),
                        ("child_edge_id", ("edge",), cid_e)]
        for name, dims, data in updates:
            if name in ds.variables:
                v = ds.variables[name]
                if tuple(v.dimensions) != dims:
                    raise ValueError(f"{path}: variable {name} has dimensions {v.dimensions}, "
                                     f"expected {dims}")
            else:
                v = ds.createVariable(name, "i4", dims)
            v[:] = np.asarray(data, dtype=np.int32)
    return path
