"""ICON's grid files: their variables, dimensions and attributes, and the open-boundary rule.

An ICON grid file (as ICON's tools and icon-grid-generator write it) holds a
grid unblocked, on the dimensions ``cell``, ``edge`` and ``vertex``, with
``nv`` (3 vertices or edges of a cell), ``ne`` (6 points around a vertex),
``nc`` (2 cells or vertices of an edge), ``no`` (4 children) and the
refin_ctrl tables on ``max_chdom`` x ``cell_grf``/``edge_grf``/``vert_grf``.
Coordinates are radians, index values 1-based with 0 for a missing entry,
except on a grid with an *open boundary* (a limited-area grid, a nest, one
rank's part of a grid): there the links that can cross the boundary
(:data:`MISSING_AS_MINUS_ONE`) mark a missing neighbour with -1, as ICON's
files do.

:func:`write` puts such variables into a NetCDF group; the emulator's grid
files (:mod:`comin.hosts.emulator.grids.netcdf`) and the recorder's grid view
(:mod:`comin.plugins.recorder`) both use it.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional, Tuple

import numpy as np

Variable = Tuple[Tuple[str, ...], str, Dict[str, str]]


def _coordinate(point: str, what: str, bounds: str = "") -> Variable:
    attrs = dict(units="radian", standard_name=what, long_name=f"{point} {what}")
    if bounds:
        attrs["bounds"] = bounds
    dim = {"center": "cell"}.get(point, point)
    return (dim,), "f8", attrs


def _index(dims: Tuple[str, ...], long_name: str) -> Variable:
    return dims, "i4", dict(long_name=long_name)


#: Every variable of an ICON grid file that comin writes: name -> (dimensions, NetCDF type,
#: attributes).  Indices are 1-based.
VARIABLES: Dict[str, Variable] = {
    "clon": _coordinate("center", "longitude", "clon_vertices"),
    "clat": _coordinate("center", "latitude", "clat_vertices"),
    "elon": _coordinate("edge", "longitude"),
    "elat": _coordinate("edge", "latitude"),
    "vlon": _coordinate("vertex", "longitude"),
    "vlat": _coordinate("vertex", "latitude"),
    "cell_area": (("cell",), "f8", dict(units="m2", standard_name="cell_area",
                                        long_name="area of grid cell")),
    # the names ICON's grid reader takes them by (mo_model_domimp_patches)
    "lon_cell_centre": (("cell",), "f8", dict(units="radian", long_name="longitude of cell centre")),
    "lat_cell_centre": (("cell",), "f8", dict(units="radian", long_name="latitude of cell centre")),
    "longitude_vertices": (("vertex",), "f8", dict(units="radian", long_name="longitude of vertices")),
    "latitude_vertices": (("vertex",), "f8", dict(units="radian", long_name="latitude of vertices")),
    "lon_edge_centre": (("edge",), "f8", dict(units="radian", long_name="longitude of edge midpoint")),
    "lat_edge_centre": (("edge",), "f8", dict(units="radian", long_name="latitude of edge midpoint")),
    "cell_area_p": (("cell",), "f8", dict(units="m2", long_name="area of grid cell")),
    "clon_vertices": (("cell", "nv"), "f8", dict(units="radian")),
    "clat_vertices": (("cell", "nv"), "f8", dict(units="radian")),
    "vertex_of_cell": _index(("nv", "cell"), "vertices of each cell (1-based)"),
    "edge_of_cell": _index(("nv", "cell"), "edges of each cell (1-based)"),
    "neighbor_cell_index": _index(("nv", "cell"), "neighbour cells of each cell (1-based)"),
    "adjacent_cell_of_edge": _index(("nc", "edge"), "cells of each edge (1-based)"),
    "edge_vertices": _index(("nc", "edge"), "vertices of each edge (1-based)"),
    "cells_of_vertex": _index(("ne", "vertex"), "cells around each vertex (1-based)"),
    "edges_of_vertex": _index(("ne", "vertex"), "edges around each vertex (1-based)"),
    "vertices_of_vertex": _index(("ne", "vertex"), "neighbour vertices of each vertex (1-based)"),
    "child_cell_index": _index(("no", "cell"), "child cells of each cell (1-based, 0: none)"),
    "child_edge_index": _index(("no", "edge"), "child edges of each edge (1-based, 0: none)"),
    "parent_cell_index": _index(("cell",), "parent cell (global index, 0: none)"),
    "parent_edge_index": _index(("edge",), "parent edge (global index, 0: none)"),
    "refin_c_ctrl": _index(("cell",), "refinement control of cells"),
    "refin_e_ctrl": _index(("edge",), "refinement control of edges"),
    "refin_v_ctrl": _index(("vertex",), "refinement control of vertices"),
    "child_cell_id": _index(("cell",), "domain id of the child cells (0: none)"),
    "child_edge_id": _index(("edge",), "domain id of the child edges (0: none)"),
    "cell_index": _index(("cell",), "global index of each cell"),
    "edge_index": _index(("edge",), "global index of each edge"),
    "vertex_index": _index(("vertex",), "global index of each vertex"),
    "start_idx_c": _index(("max_chdom", "cell_grf"), "first cell of each refin_c_ctrl level"),
    "end_idx_c": _index(("max_chdom", "cell_grf"), "last cell of each refin_c_ctrl level"),
    "start_idx_e": _index(("max_chdom", "edge_grf"), "first edge of each refin_e_ctrl level"),
    "end_idx_e": _index(("max_chdom", "edge_grf"), "last edge of each refin_e_ctrl level"),
    "start_idx_v": _index(("max_chdom", "vert_grf"), "first vertex of each refin_v_ctrl level"),
    "end_idx_v": _index(("max_chdom", "vert_grf"), "last vertex of each refin_v_ctrl level"),
}

#: Variables of the same values under two names: ICON's reader takes the first (the
#: second is the CF name most tools use); a reader may accept either
ALIASES = {"lon_cell_centre": "clon", "lat_cell_centre": "clat", "longitude_vertices": "vlon",
           "latitude_vertices": "vlat", "lon_edge_centre": "elon", "lat_edge_centre": "elat",
           "cell_area_p": "cell_area"}

#: The links that can cross an open boundary: -1 marks a missing entry there.
MISSING_AS_MINUS_ONE = frozenset({"neighbor_cell_index", "adjacent_cell_of_edge", "cells_of_vertex",
                                  "edges_of_vertex", "vertices_of_vertex"})


def is_open(adjacent_cell_of_edge: np.ndarray) -> bool:
    """Whether a grid has an open boundary: an edge with one cell only (either layout)."""
    return bool(np.any(np.asarray(adjacent_cell_of_edge) == 0))


def dimension(group, name: str, size: int) -> str:
    """A dimension ``name`` of ``size`` in the NetCDF ``group``, created when missing
    (``name_<size>`` when the name is taken by another size)."""
    for candidate in (name, f"{name}_{size}"):
        have = group.dimensions.get(candidate)
        if have is None:
            group.createDimension(candidate, size)
            return candidate
        if not have.isunlimited() and have.size == size:
            return candidate
    raise ValueError(f"cannot name a dimension {name} of size {size}")


def write(group, data: Mapping[str, Optional[np.ndarray]], *, open_boundary: bool,
          counts: Optional[Mapping[str, int]] = None) -> None:
    """Write grid-file variables into ``group`` with the names, dimensions and attributes of
    :data:`VARIABLES`.

    ``data`` maps names to arrays in the file's layout (e.g. ``vertex_of_cell``
    as (nv, cell)), missing entries as 0; None skips a name.  With
    ``open_boundary`` (see :func:`is_open`) the links of :data:`MISSING_AS_MINUS_ONE`
    get -1 for their missing entries.  ``counts`` ({"cell": n, "edge": ...}):
    an array that does not fit them, or has another number of dimensions, is
    left out (what a host gave that does not agree with its own counts).
    """
    for name, array in data.items():
        if array is None:
            continue
        dims, nctype, attrs = VARIABLES[name]
        a = np.asarray(array, dtype=np.dtype(nctype))
        if a.ndim != len(dims):
            continue
        if counts and any(counts.get(d, size) != size for d, size in zip(dims, a.shape)):
            continue
        if open_boundary and name in MISSING_AS_MINUS_ONE:
            a = np.where(a > 0, a, -1).astype(a.dtype)
        names = tuple(dimension(group, d, size) for d, size in zip(dims, a.shape))
        var = group.createVariable(name, nctype, names, fill_value=False)
        var.setncatts(attrs)
        if a.size:
            var[...] = a
