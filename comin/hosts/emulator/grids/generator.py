"""Grids made by icon-grid-generator (import name ``grid_generator``, pinned to 0.9.0).

:func:`global_grid` makes the generator's global ``RnBk`` grid as a :class:`Grid`
(root-domain links); :func:`from_generator` converts any generator grid.
"""
from __future__ import annotations

import uuid as _uuid
from typing import Any, Optional

import numpy as np

from comin.hosts.emulator.grids.grid import (EARTH_RADIUS, MAX_RLCELL, MAX_RLEDGE, MAX_RLVERT, MIN_RLCELL,
                                             MIN_RLEDGE, MIN_RLVERT, Grid, canonical_name, opposite_vertices,
                                             parse_grid_name)

#: The generator version this module was written against.
GENERATOR_PIN = "0.9.0"

# -- the generator -------------------------------------------------------------------

def generator_module():
    try:
        import grid_generator
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("comin.grid needs the icon-grid-generator package: "
                          f"pip install icon-grid-generator=={GENERATOR_PIN}") from exc
    return grid_generator


def generator_version() -> str:
    """Installed version of icon-grid-generator (part of every cache key)."""
    import importlib.util
    import os
    # the version from the installed distribution's directory name: neither the package
    # nor importlib.metadata (its email parser) is imported, which keeps startup short
    spec = importlib.util.find_spec("grid_generator")
    if spec is None or not spec.origin:
        generator_module()                                 # the helpful ImportError
    site = os.path.dirname(os.path.dirname(spec.origin))
    prefix = "icon_grid_generator-"
    for entry in os.listdir(site):
        if entry.startswith(prefix) and entry.endswith(".dist-info"):
            return entry[len(prefix):-len(".dist-info")]
    from importlib import metadata
    try:
        return metadata.version("icon-grid-generator")
    except metadata.PackageNotFoundError:  # pragma: no cover - e.g. a source checkout
        return "unknown"


def _one_based(a: np.ndarray) -> np.ndarray:
    """The generator's 0-based, -1-padded indices -> 1-based, 0 for missing."""
    a = np.asarray(a, dtype=np.int64)
    return np.where(a < 0, 0, a + 1).astype(np.int32)


def from_generator(g: Any, *, name: str, root: int, bisections: int,
                    parent_uuid: Optional[str] = None) -> Grid:
    """Build a :class:`Grid` (root-domain links) from a generator ``IconGrid``."""
    conn = g.connectivity
    ref = g.refinement
    meta = g.metadata
    nc, ne, nv = g.dims["cell"], g.dims["edge"], g.dims["vertex"]
    vertex_of_cell = _one_based(conn["vertex_of_cell"])
    cells_of_edge = _one_based(conn["adjacent_cell_of_edge"])
    edge_vertices = _one_based(conn["edge_vertices"])
    if np.any(cells_of_edge[:, 0] == 0):
        # ICON keeps an edge's existing cell first; the generator does too.
        raise ValueError("generator grid has an edge without a first cell")
    opposite = opposite_vertices(vertex_of_cell, cells_of_edge, edge_vertices)

    def refin(key: str, size: int) -> np.ndarray:
        a = np.asarray(ref[key], dtype=np.int32).reshape(-1)
        if a.shape != (size,):
            raise ValueError(f"generator field {key} has shape {np.shape(ref[key])}")
        return a

    i32 = lambda a: np.ascontiguousarray(a, dtype=np.int32)  # noqa: E731
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    grid = Grid(
        name=name, uuid=str(meta["uuidOfHGrid"]),
        parent_uuid=parent_uuid or str(_uuid.UUID(int=0)),
        root=root, bisections=bisections,
        sphere_radius=float(meta.get("sphere_radius", g.options.sphere_radius)),
        number_of_grid_used=int(meta.get("number_of_grid_used", 0)),
        clon=f64(np.radians(g.lon)), clat=f64(np.radians(g.lat)),
        cell_area=f64(g.geometry["cell_area"]),
        vertex_of_cell=vertex_of_cell, edge_of_cell=_one_based(conn["edge_of_cell"]),
        neighbor_of_cell=_one_based(conn["neighbor_cell_index"]),
        refin_c_ctrl=i32(ref["refin_c_ctrl"]),
        start_idx_c=refin("start_idx_c", MAX_RLCELL - MIN_RLCELL + 1),
        end_idx_c=refin("end_idx_c", MAX_RLCELL - MIN_RLCELL + 1),
        elon=f64(np.radians(g.edge_lon)), elat=f64(np.radians(g.edge_lat)),
        cells_of_edge=cells_of_edge,
        vertices_of_edge=i32(np.concatenate([edge_vertices, opposite], axis=1)),
        refin_e_ctrl=i32(ref["refin_e_ctrl"]),
        start_idx_e=refin("start_idx_e", MAX_RLEDGE - MIN_RLEDGE + 1),
        end_idx_e=refin("end_idx_e", MAX_RLEDGE - MIN_RLEDGE + 1),
        vlon=f64(np.radians(g.vertex_lon)), vlat=f64(np.radians(g.vertex_lat)),
        cells_of_vertex=_one_based(conn["cells_of_vertex"]),
        edges_of_vertex=_one_based(conn["edges_of_vertex"]),
        vertices_of_vertex=_one_based(conn["vertices_of_vertex"]),
        refin_v_ctrl=i32(ref["refin_v_ctrl"]),
        start_idx_v=refin("start_idx_v", MAX_RLVERT - MIN_RLVERT + 1),
        end_idx_v=refin("end_idx_v", MAX_RLVERT - MIN_RLVERT + 1),
        glb_index_c=np.arange(1, nc + 1, dtype=np.int32),
        glb_index_e=np.arange(1, ne + 1, dtype=np.int32),
        glb_index_v=np.arange(1, nv + 1, dtype=np.int32),
        parent_cell=np.zeros(nc, np.int32), child_cells=np.zeros((nc, 4), np.int32),
        parent_edge=np.zeros(ne, np.int32), child_edges=np.zeros((ne, 4), np.int32),
        child_nest_of_cell=np.zeros(nc, np.int32), child_nest_of_edge=np.zeros(ne, np.int32),
        source=g,
    )
    grid.validate()
    return grid


def global_grid(name: str) -> Grid:
    """The generator's global ``RnBk`` grid on ICON's earth (radius 6371229 m).

    Uses the generator's defaults otherwise (spring optimisation on), so the
    grid is the same on every call; it is a root domain (no parent links).
    """
    n, k = parse_grid_name(name)
    gg = generator_module()
    g = gg.generate_grid(gg.GlobalGridSpec(root=n, bisections=k), sphere_radius=EARTH_RADIUS,
                         max_cells=None)
    return from_generator(g, name=canonical_name(n, k), root=n, bisections=k)


