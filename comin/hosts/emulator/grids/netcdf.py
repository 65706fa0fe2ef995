"""ICON grid files (NetCDF) of the emulator's grids."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import numpy as np

from comin.hosts.emulator.grids.descrdata import child_ids
from comin.hosts.emulator.grids.grid import Grid
from comin.icon import gridfile


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

        # the generator's files: missing entries are -1 on a grid with an open
        # boundary, 0 (pentagons' sixth entries) on a global grid
        open_grid = gridfile.is_open(grid.cells_of_edge)
        gridfile.write(ds, {
            "clon": grid.clon, "clat": grid.clat, "vlon": grid.vlon, "vlat": grid.vlat,
            "elon": grid.elon, "elat": grid.elat, "cell_area": grid.cell_area,
            "vertex_of_cell": grid.vertex_of_cell.T, "edge_of_cell": grid.edge_of_cell.T,
            "neighbor_cell_index": grid.neighbor_of_cell.T,
            "adjacent_cell_of_edge": grid.cells_of_edge.T,
            "edge_vertices": grid.vertices_of_edge[:, :2].T,
            "cells_of_vertex": grid.cells_of_vertex.T, "edges_of_vertex": grid.edges_of_vertex.T,
            "vertices_of_vertex": grid.vertices_of_vertex.T,
            "refin_c_ctrl": grid.refin_c_ctrl, "refin_e_ctrl": grid.refin_e_ctrl,
            "refin_v_ctrl": grid.refin_v_ctrl,
            "start_idx_c": grid.start_idx_c[None], "end_idx_c": grid.end_idx_c[None],
            "start_idx_e": grid.start_idx_e[None], "end_idx_e": grid.end_idx_e[None],
            "start_idx_v": grid.start_idx_v[None], "end_idx_v": grid.end_idx_v[None],
            "cell_index": grid.glb_index_c, "edge_index": grid.glb_index_e,
            "vertex_index": grid.glb_index_v,
            "parent_cell_index": grid.parent_cell, "parent_edge_index": grid.parent_edge,
        }, open_boundary=open_grid)
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
        updates = {}
        if grid.is_nest:
            updates.update(parent_cell_index=grid.parent_cell, parent_edge_index=grid.parent_edge)
            ds.setncattr("uuidOfParHGrid", grid.parent_uuid)
        if grid.n_nests or "child_cell_index" in ds.variables or grid.source is None:
            updates.update(child_cell_index=grid.child_cells.T, child_cell_id=cid_c,
                           child_edge_index=grid.child_edges.T, child_edge_id=cid_e)
        for name, data in list(updates.items()):
            if name in ds.variables:
                v = ds.variables[name]
                dims = gridfile.VARIABLES[name][0]
                if tuple(v.dimensions) != dims:
                    raise ValueError(f"{path}: variable {name} has dimensions {v.dimensions}, "
                                     f"expected {dims}")
                v[:] = np.asarray(data, dtype=np.int32)
                del updates[name]
        gridfile.write(ds, updates, open_boundary=False)
    return path
