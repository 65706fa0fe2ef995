"""ICON grid files (NetCDF): the emulator's grids written as ICON writes them, and read back.

:func:`read_grid_file` reads a grid file as ICON's reader does
(``mo_model_domimp_patches``): the coordinates (ICON's names
``lon_cell_centre``, ``longitude_vertices``, ``lon_edge_centre``, or the CF
names ``clon``, ``vlon``, ``elon``), the connectivity on ICON's dimensions
(``vertex_of_cell(nv, cell)``, ...; negative entries mean "none"; missing
neighbours of a vertex moved to the end), ``refin_c/e/v_ctrl`` with
``start_idx_*``/``end_idx_*`` (the first column of ``max_chdom``; the ranges
must describe the points' levels in ICON's order), ``parent_cell_index``/
``parent_edge_index`` and ``child_cell_index``/``child_edge_index`` where present,
and the attributes ``uuidOfHGrid``, ``uuidOfParHGrid``, ``grid_root``,
``grid_level`` and ``number_of_grid_used`` (42 when absent, ICON's default).
A file that cannot be used raises :class:`GridFileError`, one line naming the
file and the variable or attribute.
"""
from __future__ import annotations

import dataclasses
import os
import uuid as _uuid
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from comin.hosts.emulator.grids.descrdata import child_ids
from comin.hosts.emulator.grids.grid import (EARTH_RADIUS, RL, Grid, opposite_vertices)
from comin.hosts.emulator.grids.refin import range_problem
from comin.icon import gridfile

#: ICON's default of number_of_grid_used when a grid file has no such attribute
DEFAULT_NUMBER_OF_GRID_USED = 42
#: a Grid's field -> the grid file's variable it comes from (for messages)
FILE_VARIABLE = {
    "clon": "lon_cell_centre", "clat": "lat_cell_centre", "vlon": "longitude_vertices",
    "vlat": "latitude_vertices", "elon": "lon_edge_centre", "elat": "lat_edge_centre",
    "cell_area": "cell_area_p", "vertex_of_cell": "vertex_of_cell", "edge_of_cell": "edge_of_cell",
    "neighbor_of_cell": "neighbor_cell_index", "cells_of_edge": "adjacent_cell_of_edge",
    "vertices_of_edge": "edge_vertices", "cells_of_vertex": "cells_of_vertex",
    "edges_of_vertex": "edges_of_vertex", "vertices_of_vertex": "vertices_of_vertex",
    "refin_c_ctrl": "refin_c_ctrl", "refin_e_ctrl": "refin_e_ctrl", "refin_v_ctrl": "refin_v_ctrl",
    "parent_cell": "parent_cell_index", "parent_edge": "parent_edge_index",
    "child_cells": "child_cell_index", "child_edges": "child_edge_index",
}


class GridFileError(ValueError):
    """A grid file that cannot be used: the message is one line naming the file and what is
    wrong with it (a variable, a dimension, an attribute)."""


@dataclasses.dataclass
class GridFile:
    """A grid read from a file: the :class:`Grid` (a root domain: no links yet) and what the
    file says about its place in a hierarchy of domains.

    ``parent_cells``/``parent_edges`` (n,): the file's parent indices (0: none;
    a global grid's point into the generator's coarser grid), used when the grid
    becomes a nest whose parent they fit; ``child_cells``/``child_edges`` (n, 4):
    the file's child indices (0: none), used for a nest they fit;
    ``construction_parent_uuid``: icon-grid-generator's attribute naming the
    global grid a limited-area grid was refined from (its ``uuidOfParHGrid``
    names a regional cut instead)."""

    grid: Grid
    parent_cells: np.ndarray
    parent_edges: np.ndarray
    child_cells: np.ndarray
    child_edges: np.ndarray
    construction_parent_uuid: str = ""


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
            **{icon: getattr(grid, cf) for icon, cf in gridfile.ALIASES.items()},
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
                            ("number_of_grid_used", grid.number_of_grid_used),
                            ("open_boundary", int(open_grid))):
            ds.setncattr(name, value)
    os.replace(tmp, path)


def _check_uuid(path, what: str, text: str) -> str:
    try:
        return str(_uuid.UUID(str(text).strip()))
    except ValueError:
        raise GridFileError(f"{path}: attribute {what} = {text!r} is not a UUID") from None


def _pack_left(a: np.ndarray) -> np.ndarray:
    """Each row's non-zero entries first, in their order (ICON moves missing neighbours of
    a vertex to the end)."""
    order = np.argsort(a == 0, axis=1, kind="stable")
    return np.take_along_axis(a, order, axis=1)


def read_grid_file(path: Union[str, os.PathLike]) -> GridFile:
    """Read an ICON grid file (see the module docstring); :class:`GridFileError` when it
    cannot be used."""
    nc4 = _netcdf4()
    path = str(path)
    try:
        ds = nc4.Dataset(path)
    except FileNotFoundError:
        raise GridFileError(f"{path}: no such grid file") from None
    except OSError as exc:
        raise GridFileError(f"{path}: not a NetCDF grid file ({exc})") from None
    with ds:
        ds.set_auto_maskandscale(False)

        def fail(text: str):
            raise GridFileError(f"{path}: {text}")

        dims = {name: d.size for name, d in ds.dimensions.items()}
        for name in ("cell", "edge", "vertex", "nv", "ne"):
            if name not in dims:
                fail(f"dimension {name} is missing (not an ICON grid file?)")
        if dims["nv"] != 3:
            fail(f"dimension nv is {dims['nv']}: the emulator takes triangular grids only (nv = 3)")
        counts = {"cell": dims["cell"], "edge": dims["edge"], "vertex": dims["vertex"]}

        def read(name: str, want: tuple, *, required: bool = True, alias: Optional[str] = None):
            v = ds.variables.get(name)
            if v is None and alias is not None:
                v, name = ds.variables.get(alias), alias if alias in ds.variables else name
            if v is None:
                if required:
                    fail(f"variable {name} is missing" +
                         (f" (nor is {alias} there)" if alias else ""))
                return None
            if tuple(v.dimensions) != want:
                fail(f"variable {name} has dimensions {tuple(v.dimensions)}, expected {want}")
            return np.asarray(v[...])

        def index(name: str, want: tuple, n_target: int, **kw) -> Optional[np.ndarray]:
            a = read(name, want, **kw)
            if a is None:
                return None
            if a.dtype.kind not in "iu":
                fail(f"variable {name} has type {a.dtype}, expected integer indices")
            a = a.astype(np.int64)
            if a.size and a.max() > n_target:
                fail(f"variable {name} has index {int(a.max())} > {n_target} "
                     f"(the number of points it indexes)")
            a = np.where(a < 0, 0, a).astype(np.int32)
            return np.ascontiguousarray(a.T) if a.ndim == 2 else a

        def real(name: str, dim: str, alias: str) -> np.ndarray:
            a = read(name, (dim,), alias=alias)
            if a.dtype.kind != "f":
                fail(f"variable {name} has type {a.dtype}, expected floating point")
            return np.ascontiguousarray(a, dtype=np.float64)

        nc, ne, nv = counts["cell"], counts["edge"], counts["vertex"]
        alias = gridfile.ALIASES
        kw: Dict[str, Any] = {}
        for field in ("clon", "clat", "vlon", "vlat", "elon", "elat", "cell_area"):
            var = FILE_VARIABLE[field]
            dim = {"c": "cell", "v": "vertex", "e": "edge"}[field[0] if field != "cell_area" else "c"]
            kw[field] = real(var, dim, alias[var])
        kw["vertex_of_cell"] = index("vertex_of_cell", ("nv", "cell"), nv)
        kw["edge_of_cell"] = index("edge_of_cell", ("nv", "cell"), ne)
        kw["neighbor_of_cell"] = index("neighbor_cell_index", ("nv", "cell"), nc)
        kw["cells_of_edge"] = index("adjacent_cell_of_edge", ("nc", "edge"), nc)
        edge_vertices = index("edge_vertices", ("nc", "edge"), nv)
        for field, n_target in (("cells_of_vertex", nc), ("edges_of_vertex", ne),
                                ("vertices_of_vertex", nv)):
            kw[field] = _pack_left(index(field, ("ne", "vertex"), n_target))
        for k, dim, grf in (("c", "cell", "cell_grf"), ("e", "edge", "edge_grf"),
                            ("v", "vertex", "vert_grf")):
            kind = {"c": "cells", "e": "edges", "v": "verts"}[k]
            min_rl, _, max_rl = RL[kind]
            refin = read(f"refin_{k}_ctrl", (dim,))
            kw[f"refin_{k}_ctrl"] = refin.astype(np.int32)
            for which in ("start", "end"):
                name = f"{which}_idx_{k}"
                a = read(name, ("max_chdom", grf))
                if a.shape[1] != max_rl - min_rl + 1:
                    fail(f"variable {name} has {a.shape[1]} levels, expected "
                         f"{max_rl - min_rl + 1} (refin_ctrl {min_rl}..{max_rl})")
                kw[name] = a[0].astype(np.int32)
            problem = range_problem(kw[f"refin_{k}_ctrl"], kw[f"start_idx_{k}"], kw[f"end_idx_{k}"],
                                    kind)
            if problem:
                fail(f"variable start_idx_{k}/end_idx_{k} does not fit refin_{k}_ctrl: {problem}")
        parent_cell = index("parent_cell_index", ("cell",), 2 ** 31 - 1, required=False)
        parent_edge = index("parent_edge_index", ("edge",), 2 ** 31 - 1, required=False)
        child_cells = index("child_cell_index", ("no", "cell"), 2 ** 31 - 1, required=False)
        child_edges = index("child_edge_index", ("no", "edge"), 2 ** 31 - 1, required=False)

        attrs = {k: ds.getncattr(k) for k in ds.ncattrs()}
        for name in ("grid_root", "grid_level"):
            if name not in attrs:
                fail(f"attribute {name} is missing")
            try:
                attrs[name] = int(np.asarray(attrs[name]).reshape(-1)[0])
            except (TypeError, ValueError, IndexError):
                fail(f"attribute {name} = {attrs[name]!r} is not an integer")
        zero = str(_uuid.UUID(int=0))
        uuid = _check_uuid(path, "uuidOfHGrid", attrs["uuidOfHGrid"]) if "uuidOfHGrid" in attrs else zero
        parent_uuid = (_check_uuid(path, "uuidOfParHGrid", attrs["uuidOfParHGrid"])
                       if "uuidOfParHGrid" in attrs else zero)
        construction = (_check_uuid(path, "construction_parent_uuid",
                                    attrs["construction_parent_uuid"])
                        if "construction_parent_uuid" in attrs else "")
        try:
            ngu = int(np.asarray(attrs.get("number_of_grid_used",
                                           DEFAULT_NUMBER_OF_GRID_USED)).reshape(-1)[0])
            radius = float(np.asarray(attrs.get("sphere_radius", EARTH_RADIUS)).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            fail("attribute number_of_grid_used or sphere_radius is not a number")
    if edge_vertices[:, 0].min(initial=1) < 1 or kw["cells_of_edge"][:, 0].min(initial=1) < 1:
        raise GridFileError(f"{path}: variable adjacent_cell_of_edge/edge_vertices has an edge "
                            "without its first cell or vertex")
    try:
        opposite = opposite_vertices(kw["vertex_of_cell"], kw["cells_of_edge"], edge_vertices)
    except ValueError as exc:
        raise GridFileError(f"{path}: variable edge_vertices does not fit vertex_of_cell and "
                            f"adjacent_cell_of_edge: {exc}") from None
    kw["vertices_of_edge"] = np.concatenate([edge_vertices, opposite], axis=1).astype(np.int32)
    name = os.path.basename(path)
    if name.endswith(".nc"):
        name = name[:-3]
    grid = Grid(
        name=name, uuid=uuid, parent_uuid=parent_uuid, root=attrs["grid_root"],
        bisections=attrs["grid_level"], sphere_radius=radius, number_of_grid_used=ngu,
        glb_index_c=np.arange(1, nc + 1, dtype=np.int32),
        glb_index_e=np.arange(1, ne + 1, dtype=np.int32),
        glb_index_v=np.arange(1, nv + 1, dtype=np.int32),
        parent_cell=np.zeros(nc, np.int32), parent_edge=np.zeros(ne, np.int32),
        child_cells=np.zeros((nc, 4), np.int32), child_edges=np.zeros((ne, 4), np.int32),
        child_nest_of_cell=np.zeros(nc, np.int32), child_nest_of_edge=np.zeros(ne, np.int32),
        path=path, **kw)
    try:
        grid.validate()
    except ValueError as exc:
        text = str(exc)
        for field, var in FILE_VARIABLE.items():
            text = text.replace(f"grid field {field} ", f"variable {var} ")
        raise GridFileError(f"{path}: {text}") from None
    def given(a, shape):
        return a if a is not None else np.zeros(shape, np.int32)
    return GridFile(grid, given(parent_cell, nc), given(parent_edge, ne), given(child_cells, (nc, 4)),
                    given(child_edges, (ne, 4)), construction)


def read_grid_netcdf(path: Union[str, os.PathLike]) -> Grid:
    """The :class:`Grid` of an ICON grid file (without its nests' links; see :func:`read_grid_file`)."""
    return read_grid_file(path).grid


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
