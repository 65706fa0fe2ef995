"""ICON's icosahedral grids for the built-in host (global grids and nests).

The emulator host (:mod:`comin.emulator`) gives plugins the descriptive data
ICON gives them: cells, edges and vertices of each domain with ICON's names,
index conventions and nproma blocking.  This module produces that data from
real icosahedral grids, made by the ``icon-grid-generator`` package (import
name ``grid_generator``, pinned to 0.9.0):

* :func:`parse_grid_name` checks an ``"RnBk"`` name;
* :class:`Grid` holds one domain's horizontal grid in ICON's *unblocked*,
  1-based form (what an ICON grid file holds);
* :func:`global_grid` makes the generator's global ``RnBk`` grid;
  :func:`nested_grid` makes a limited-area nest one bisection finer than a
  parent grid and derives the parent/child links ICON's nesting needs (the
  generator does not give them, see below);
* :func:`load_or_make_global` / :func:`load_or_make_nested` cache grids as
  ``.npz`` files (generation of R2B4 takes about 1-2 s, loading a fraction);
* :func:`domain_descrdata` turns a :class:`Grid` into the keyword arguments
  of :meth:`comin.host.Host.set_domain` (blocked, Fortran-ordered arrays with
  the dtypes of ``comin._table.DESCRDATA``); :func:`block` and
  :func:`idx_blk` are the blocking helpers;
* :func:`write_grid_netcdf` writes an ICON grid file.

Conventions (ICON's, see the spec's section 8):

* every index value is 1-based; an unblocked index ``j`` is stored as the
  pair ``jc = (j-1) % nproma + 1``, ``jb = (j-1) // nproma + 1``;
* a missing entry (a pentagon's sixth neighbour, a neighbour across the
  lateral boundary of a nest, the parent of a cell of the root domain, a cell
  without children) is the unblocked index 0, i.e. the pair ``(idx 0,
  blk 1)``: ICON's ``idx_no(0) = 0``, ``blk_no(0) = 1``.  The generator pads
  with -1 (0-based); this module maps that to 0.  Padding entries of the
  last block (positions beyond the point count) are 0 in every array;
* refin_ctrl-indexed arrays have one entry per level ``min_rl..max_rl``
  (position = level - min_rl); the values are the generator's ICON-ordered
  ``start_idx_*``/``end_idx_*``.

Parent/child links.  The generator writes a nest's ``parent_cell_index``
relative to a *regional* construction parent, not to the parent domain, and
no child indices at all.  :func:`nested_grid` therefore maps every nest cell
to the parent cell with the nearest centre (a KD-tree on unit-sphere
coordinates), checks that every parent cell with children has exactly four
whose centres lie inside it, orders them as ICON's bisection does (centre
child first, then the children at parent vertices 3, 1, 2) and derives the
edge links topologically: a nest edge between two children of one parent cell
is an *inner* edge, linked to the parent edge it is parallel to; any other
nest edge is one half of the parent edge shared by the two parents (at the
nest's lateral boundary, the parent edge through the child's corner vertex
whose great circle passes nearest to the edge midpoint).  Parent edges list
their children as (half at edge vertex 1, half at edge vertex 2, inner edge
in edge cell 1, inner edge in edge cell 2).  Vertices carry no links (ComIn
has none).  The same derivation reproduces the generator's own global
hierarchy (R2B(k) in R2B(k-1)) exactly; the tests check that.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tempfile
import uuid as _uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "EARTH_RADIUS", "MAX_CELLS", "RL", "MIN_RLCELL", "MIN_RLCELL_INT", "MAX_RLCELL",
    "MIN_RLEDGE", "MIN_RLEDGE_INT", "MAX_RLEDGE", "MIN_RLVERT", "MIN_RLVERT_INT", "MAX_RLVERT",
    "GRF_BDYWIDTH_C", "GRF_BDYWIDTH_E", "GENERATOR_PIN",
    "Grid", "parse_grid_name", "global_grid", "nested_grid", "link_nest",
    "cache_dir", "load_or_make_global", "load_or_make_nested",
    "block", "idx_blk", "domain_descrdata", "write_grid_netcdf", "generator_version",
]

#: ICON's earth radius (mo_physical_constants ``earth_radius``), metres.
EARTH_RADIUS = 6371229.0

#: Largest grid (cells) the helpers agree to make: R2B7 (1 310 720 cells).
#: Generation is roughly linear in the cell count (R2B6: ~26 s) and a grid
#: this size already needs ~1 GiB while it is made.
MAX_CELLS = 1_310_720

# refin_ctrl bounds of ICON (mo_impl_constants)
MIN_RLCELL, MIN_RLCELL_INT, MAX_RLCELL = -8, -4, 5
MIN_RLEDGE, MIN_RLEDGE_INT, MAX_RLEDGE = -13, -9, 10
MIN_RLVERT, MIN_RLVERT_INT, MAX_RLVERT = -7, -4, 5
GRF_BDYWIDTH_C, GRF_BDYWIDTH_E = 4, 9

#: (min_rl, min_rl_int, max_rl) per point kind.
RL = {
    "cells": (MIN_RLCELL, MIN_RLCELL_INT, MAX_RLCELL),
    "edges": (MIN_RLEDGE, MIN_RLEDGE_INT, MAX_RLEDGE),
    "verts": (MIN_RLVERT, MIN_RLVERT_INT, MAX_RLVERT),
}

#: The generator version this module was written against.
GENERATOR_PIN = "0.9.0"

#: Bumped whenever the cache file layout or the derived fields change.
_CACHE_FORMAT = 1

#: Slot (1-based) in ICON's child list of the corner child at parent vertex
#: position 0, 1, 2 (slot 1 is the centre child): ICON's bisection numbers a
#: parent's children centre, at vertex 3, at vertex 1, at vertex 2.
_CORNER_SLOT = np.array([3, 4, 2])

_NAME_RE = re.compile(r"^\s*[Rr](\d+)[Bb](\d+)\s*$")


# -- names ---------------------------------------------------------------------------

def parse_grid_name(name: str, max_cells: Optional[int] = MAX_CELLS) -> Tuple[int, int]:
    """``"R2B4"`` -> ``(2, 4)``: root division n >= 1 and bisections k >= 0.

    Zero-padded names (``"R02B04"``) are accepted.  A grid with more than
    ``max_cells`` cells (20 n^2 4^k; default :data:`MAX_CELLS`, None: no
    limit) is refused: it would take minutes and gigabytes on a laptop.
    """
    if not isinstance(name, str):
        raise TypeError(f"grid name must be a str like 'R2B4', got {type(name).__name__}")
    m = _NAME_RE.match(name)
    if m is None:
        raise ValueError(f"invalid ICON grid name {name!r}: expected 'RnBk' with integers "
                         f"n >= 1 and k >= 0, e.g. 'R2B4'")
    n, k = int(m.group(1)), int(m.group(2))
    if n < 1:
        raise ValueError(f"invalid ICON grid name {name!r}: root division n must be >= 1")
    ncells = 20 * n * n * 4 ** k
    if max_cells is not None and ncells > max_cells:
        raise ValueError(f"grid {name!r} has {ncells:,} cells, more than the limit of "
                         f"{max_cells:,} (R2B7) for a grid made on this machine; "
                         f"choose a smaller n or k")
    return n, k


def _canonical(n: int, k: int) -> str:
    return f"R{n}B{k}"


# -- the grid --------------------------------------------------------------------------

_ARRAY_FIELDS = {
    # name: (dtype, trailing shape or None for 1-D over the point kind, kind)
    "clon": ("float64", (), "c"), "clat": ("float64", (), "c"), "cell_area": ("float64", (), "c"),
    "vertex_of_cell": ("int32", (3,), "c"), "edge_of_cell": ("int32", (3,), "c"),
    "neighbor_of_cell": ("int32", (3,), "c"), "refin_c_ctrl": ("int32", (), "c"),
    "glb_index_c": ("int32", (), "c"), "parent_cell": ("int32", (), "c"),
    "child_cells": ("int32", (4,), "c"), "child_nest_of_cell": ("int32", (), "c"),
    "elon": ("float64", (), "e"), "elat": ("float64", (), "e"),
    "cells_of_edge": ("int32", (2,), "e"), "vertices_of_edge": ("int32", (4,), "e"),
    "refin_e_ctrl": ("int32", (), "e"), "glb_index_e": ("int32", (), "e"),
    "parent_edge": ("int32", (), "e"), "child_edges": ("int32", (4,), "e"),
    "child_nest_of_edge": ("int32", (), "e"),
    "vlon": ("float64", (), "v"), "vlat": ("float64", (), "v"),
    "cells_of_vertex": ("int32", (6,), "v"), "edges_of_vertex": ("int32", (6,), "v"),
    "vertices_of_vertex": ("int32", (6,), "v"), "refin_v_ctrl": ("int32", (), "v"),
    "glb_index_v": ("int32", (), "v"),
    "start_idx_c": ("int32", (MAX_RLCELL - MIN_RLCELL + 1,), None),
    "end_idx_c": ("int32", (MAX_RLCELL - MIN_RLCELL + 1,), None),
    "start_idx_e": ("int32", (MAX_RLEDGE - MIN_RLEDGE + 1,), None),
    "end_idx_e": ("int32", (MAX_RLEDGE - MIN_RLEDGE + 1,), None),
    "start_idx_v": ("int32", (MAX_RLVERT - MIN_RLVERT + 1,), None),
    "end_idx_v": ("int32", (MAX_RLVERT - MIN_RLVERT + 1,), None),
}
_SCALAR_FIELDS = ("name", "uuid", "parent_uuid", "root", "bisections", "sphere_radius")


@dataclass(eq=False)
class Grid:
    """One domain's horizontal grid in ICON's unblocked, 1-based form.

    Arrays are indexed by the 0-based position of a point; every *index
    value* is 1-based and 0 marks a missing entry.  Shapes use nc/ne/nv for
    the numbers of cells, edges and vertices.  Angles are radians, areas m^2.

    Cells: ``clon, clat, cell_area`` (nc,); ``vertex_of_cell``,
    ``edge_of_cell`` (nc, 3) in the generator's (counter-clockwise) order,
    edge i joining vertices i and i+1; ``neighbor_of_cell`` (nc, 3), the
    neighbour across edge i; ``refin_c_ctrl`` (nc,); ``start_idx_c``,
    ``end_idx_c`` (14,) for refin levels -8..5.

    Edges: ``elon, elat`` (ne,); ``cells_of_edge`` (ne, 2); ``vertices_of_edge``
    (ne, 4): the edge's two vertices, then the vertex of cell 1 and of cell 2
    opposite the edge (ICON's ``edges%vertex_idx``); ``refin_e_ctrl``,
    ``start_idx_e``, ``end_idx_e`` (24,) for levels -13..10.

    Vertices: ``vlon, vlat`` (nv,); ``cells_of_vertex``, ``edges_of_vertex``,
    ``vertices_of_vertex`` (nv, 6), missing entries (pentagons, nest
    boundary) at the end; ``refin_v_ctrl``, ``start_idx_v``, ``end_idx_v``
    (13,) for levels -7..5.

    Global indices ``glb_index_c/e/v``: 1..n (one process holds the grid).

    Nesting: ``parent_cell`` (nc,) and ``parent_edge`` (ne,) index the parent
    domain's cells/edges (0 everywhere for a root domain); ``child_cells``
    (nc, 4) and ``child_edges`` (ne, 4) index the child domain's (0: none);
    ``child_nest_of_cell`` / ``child_nest_of_edge`` say which nest (1, 2, ...
    in the order :func:`nested_grid` attached them) holds those children.

    ``uuid``: the generator's ``uuidOfHGrid``; ``parent_uuid``: the parent
    domain's uuid (all zeros for a root domain); ``root``/``bisections``:
    n and k of the grid's resolution RnBk; ``name``: "RnBk" for a global
    grid, "RnBk-nest(lon,lat,radius)" for a nest.

    The dataclass is not frozen, but the functions of this module never
    change a Grid in place: :func:`nested_grid` returns a new parent.
    """

    name: str
    uuid: str
    parent_uuid: str
    root: int
    bisections: int
    sphere_radius: float
    clon: np.ndarray
    clat: np.ndarray
    cell_area: np.ndarray
    vertex_of_cell: np.ndarray
    edge_of_cell: np.ndarray
    neighbor_of_cell: np.ndarray
    refin_c_ctrl: np.ndarray
    start_idx_c: np.ndarray
    end_idx_c: np.ndarray
    elon: np.ndarray
    elat: np.ndarray
    cells_of_edge: np.ndarray
    vertices_of_edge: np.ndarray
    refin_e_ctrl: np.ndarray
    start_idx_e: np.ndarray
    end_idx_e: np.ndarray
    vlon: np.ndarray
    vlat: np.ndarray
    cells_of_vertex: np.ndarray
    edges_of_vertex: np.ndarray
    vertices_of_vertex: np.ndarray
    refin_v_ctrl: np.ndarray
    start_idx_v: np.ndarray
    end_idx_v: np.ndarray
    glb_index_c: np.ndarray
    glb_index_e: np.ndarray
    glb_index_v: np.ndarray
    parent_cell: np.ndarray
    child_cells: np.ndarray
    parent_edge: np.ndarray
    child_edges: np.ndarray
    child_nest_of_cell: np.ndarray
    child_nest_of_edge: np.ndarray
    #: the generator's grid object when this Grid was just generated (None when
    #: loaded from the cache); :func:`write_grid_netcdf` uses its writer.
    source: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"Grid({self.name!r}, ncells={self.ncells}, nedges={self.nedges}, "
                f"nverts={self.nverts}, nests={self.n_nests}, uuid={self.uuid!r})")

    # -- sizes --------------------------------------------------------------
    @property
    def ncells(self) -> int:
        return int(self.clon.shape[0])

    @property
    def nedges(self) -> int:
        return int(self.elon.shape[0])

    @property
    def nverts(self) -> int:
        return int(self.vlon.shape[0])

    @property
    def resolution(self) -> str:
        """``"RnBk"`` of the grid's cells."""
        return _canonical(self.root, self.bisections)

    @property
    def is_nest(self) -> bool:
        """True when the grid has a parent domain."""
        return bool(np.any(self.parent_cell))

    @property
    def n_nests(self) -> int:
        """Number of nests attached to this grid by :func:`nested_grid`."""
        return int(self.child_nest_of_cell.max(initial=0))

    @property
    def num_edges_of_vertex(self) -> np.ndarray:
        """Edges meeting at each vertex (6, 5 at pentagons, fewer at a nest boundary)."""
        return np.count_nonzero(self.edges_of_vertex, axis=1).astype(np.int32)

    def arrays(self) -> Dict[str, np.ndarray]:
        """Every array field, by name."""
        return {name: getattr(self, name) for name in _ARRAY_FIELDS}

    def validate(self) -> None:
        """Check shapes, dtypes and index ranges; raise ValueError on the first problem.

        Used on every grid read from the cache (a file that fails is
        regenerated) and on every grid this module makes.
        """
        counts = {"c": self.ncells, "e": self.nedges, "v": self.nverts}
        for name, (dtype, trailing, kind) in _ARRAY_FIELDS.items():
            a = getattr(self, name)
            if not isinstance(a, np.ndarray):
                raise ValueError(f"grid field {name} is not an array")
            want = (counts[kind],) + trailing if kind else trailing
            if a.shape != want:
                raise ValueError(f"grid field {name} has shape {a.shape}, expected {want}")
            if a.dtype != np.dtype(dtype):
                raise ValueError(f"grid field {name} has dtype {a.dtype}, expected {dtype}")
            if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                raise ValueError(f"grid field {name} has non-finite values")
        ranges = {
            "vertex_of_cell": "v", "edge_of_cell": "e", "neighbor_of_cell": "c",
            "cells_of_edge": "c", "vertices_of_edge": "v", "cells_of_vertex": "c",
            "edges_of_vertex": "e", "vertices_of_vertex": "v",
        }
        for name, kind in ranges.items():
            a = getattr(self, name)
            if a.size and (a.min() < 0 or a.max() > counts[kind]):
                raise ValueError(f"grid field {name} has index values outside 0..{counts[kind]}")
        for name in ("vertex_of_cell", "edge_of_cell"):
            if np.any(getattr(self, name) == 0):
                raise ValueError(f"grid field {name} has missing entries")
        for name, kind in (("glb_index_c", "c"), ("glb_index_e", "e"), ("glb_index_v", "v")):
            if not np.array_equal(getattr(self, name), np.arange(1, counts[kind] + 1)):
                raise ValueError(f"grid field {name} is not 1..n")
        if not (self.cell_area > 0).all():
            raise ValueError("grid field cell_area has non-positive values")
        for name in ("parent_cell", "parent_edge", "child_cells", "child_edges",
                     "child_nest_of_cell", "child_nest_of_edge"):
            if getattr(self, name).min(initial=0) < 0:
                raise ValueError(f"grid field {name} has negative values")
        if (self.child_nest_of_cell > 0).any() != (self.child_cells > 0).any():
            raise ValueError("grid fields child_cells and child_nest_of_cell disagree")


def _scalars(grid: Grid) -> Dict[str, Any]:
    return {name: getattr(grid, name) for name in _SCALAR_FIELDS}


# -- the generator -------------------------------------------------------------------

def _gg():
    try:
        import grid_generator
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("comin.grid needs the icon-grid-generator package: "
                          f"pip install icon-grid-generator=={GENERATOR_PIN}") from exc
    return grid_generator


def generator_version() -> str:
    """Installed version of icon-grid-generator (part of every cache key)."""
    from importlib import metadata
    _gg()
    try:
        return metadata.version("icon-grid-generator")
    except metadata.PackageNotFoundError:  # pragma: no cover - e.g. a source checkout
        return "unknown"


def _lonlat_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit-sphere coordinates of (lon, lat) in radians, shape (n, 3)."""
    cl = np.cos(lat)
    return np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=1)


def _one_based(a: np.ndarray) -> np.ndarray:
    """The generator's 0-based, -1-padded indices -> 1-based, 0 for missing."""
    a = np.asarray(a, dtype=np.int64)
    return np.where(a < 0, 0, a + 1).astype(np.int32)


def _opposite_vertices(vertex_of_cell: np.ndarray, cells_of_edge: np.ndarray,
                       edge_vertices: np.ndarray) -> np.ndarray:
    """For each edge, the vertex of each adjacent cell not on the edge (0: no cell)."""
    ne = cells_of_edge.shape[0]
    out = np.zeros((ne, 2), dtype=np.int32)
    for side in range(2):
        c = cells_of_edge[:, side]
        has = c > 0
        cv = vertex_of_cell[c[has] - 1]                        # (m, 3)
        ev = edge_vertices[has]
        off = (cv != ev[:, :1]) & (cv != ev[:, 1:2])
        if not np.all(off.sum(axis=1) == 1):
            raise ValueError("generator grid is inconsistent: an edge's vertices are not "
                             "two vertices of its cell")
        out[has, side] = cv[off]
    return out


def _from_generator(g: Any, *, name: str, root: int, bisections: int,
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
    opposite = _opposite_vertices(vertex_of_cell, cells_of_edge, edge_vertices)

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
    gg = _gg()
    g = gg.generate_grid(gg.GlobalGridSpec(root=n, bisections=k), sphere_radius=EARTH_RADIUS,
                         max_cells=None)
    return _from_generator(g, name=_canonical(n, k), root=n, bisections=k)


# -- nesting -------------------------------------------------------------------------

def _check_region(center_lon_deg: float, center_lat_deg: float, radius_deg: float) -> None:
    for what, v in (("center_lon_deg", center_lon_deg), ("center_lat_deg", center_lat_deg),
                    ("radius_deg", radius_deg)):
        if not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"nest {what} must be a finite number, got {v!r}")
    if not -90.0 <= center_lat_deg <= 90.0:
        raise ValueError(f"nest center_lat_deg must be in -90..90, got {center_lat_deg}")
    if not 0.0 < radius_deg < 90.0:
        raise ValueError(f"nest radius_deg must be in (0, 90) degrees, got {radius_deg}")


def _nest_name(n: int, k: int, lon: float, lat: float, radius: float) -> str:
    return f"{_canonical(n, k)}-nest({lon:g},{lat:g},{radius:g})"


def _inside_triangles(points: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray,
                      tol: float = 1e-9) -> np.ndarray:
    """Whether each point lies in its spherical triangle (a, b, c), either orientation."""
    orient = np.sign(np.einsum("ij,ij->i", np.cross(b - a, c - a), a))
    s = np.stack([np.einsum("ij,ij->i", np.cross(p, q), points) for p, q in ((a, b), (b, c), (c, a))],
                 axis=1)
    return np.all(s * orient[:, None] >= -tol, axis=1)


def link_nest(parent: Grid, child: Grid) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Derive the parent/child links between a grid and a grid one bisection finer.

    Returns ``(parent_cell, parent_edge, child_cells, child_edges)``: the
    child's (nc_child,) and (ne_child,) parent indices and the parent's
    (nc_parent, 4) and (ne_parent, 4) child indices (1-based, 0 = none), as
    described in the module docstring.  Raises ValueError when the child is
    not an exact bisection of parent cells: a parent cell with other than 0
    or 4 children, a child centre outside its parent, children not in the
    bisection pattern, or an edge that fits no parent edge.
    """
    from scipy.spatial import cKDTree

    pc_xyz = _lonlat_xyz(parent.clon, parent.clat)
    cc_xyz = _lonlat_xyz(child.clon, child.clat)
    pv_xyz = _lonlat_xyz(parent.vlon, parent.vlat)
    _, p = cKDTree(pc_xyz).query(cc_xyz)                     # 0-based parent of each child cell
    p = np.asarray(p, dtype=np.int64)
    counts = np.bincount(p, minlength=parent.ncells)
    bad = np.flatnonzero((counts != 0) & (counts != 4))
    if bad.size:
        raise ValueError(f"nest {child.name!r} is not a bisection of {parent.name!r}: "
                         f"{bad.size} parent cell(s) have {sorted(set(counts[bad].tolist()))} "
                         f"children instead of 4 (is the nest region inside the parent domain?)")
    pverts = parent.vertex_of_cell[p] - 1                      # (ncc, 3) 0-based
    inside = _inside_triangles(cc_xyz, pv_xyz[pverts[:, 0]], pv_xyz[pverts[:, 1]],
                               pv_xyz[pverts[:, 2]])
    if not inside.all():
        raise ValueError(f"nest {child.name!r}: {np.count_nonzero(~inside)} child cell centre(s) "
                         f"lie outside their nearest parent cell of {parent.name!r}")

    # children grouped by parent, in child index order
    order = np.argsort(p, kind="stable")
    kids = order.reshape(-1, 4)                                  # (np_with_children, 4)
    parents = p[kids[:, 0]]
    # the centre child: all three neighbours are siblings
    nb = child.neighbor_of_cell                                  # 1-based, 0 = none
    sib = (nb > 0) & (p[np.maximum(nb - 1, 0)] == p[:, None])
    nsib = sib.sum(axis=1)
    kn = nsib[kids]
    if not (np.all(np.sort(kn, axis=1) == [1, 1, 1, 3])):
        raise ValueError(f"nest {child.name!r}: the children of some parent cells of "
                         f"{parent.name!r} are not in ICON's bisection pattern")
    # corner children: the parent vertex nearest to their centre
    corner_vertex = np.full(child.ncells, -1, dtype=np.int64)
    pos = np.full(child.ncells, 0, dtype=np.int64)              # vertex position 0..2
    corner = nsib == 1
    vx = pv_xyz[pverts[corner]]                                  # (m, 3, 3)
    pos[corner] = np.argmax(np.einsum("mkj,mj->mk", vx, cc_xyz[corner]), axis=1)
    corner_vertex[corner] = pos[corner]
    slot = np.where(corner, _CORNER_SLOT[pos], 1)                # 1-based slot
    if not np.all(np.sort(slot[kids], axis=1) == [1, 2, 3, 4]):
        raise ValueError(f"nest {child.name!r}: the corner children of some parent cells of "
                         f"{parent.name!r} do not match their vertices one to one")
    child_cells = np.zeros((parent.ncells, 4), dtype=np.int32)
    child_cells[p, slot - 1] = np.arange(1, child.ncells + 1)
    parent_cell = (p + 1).astype(np.int32)

    # edges
    ce = child.cells_of_edge.astype(np.int64) - 1                # 0-based, -1 = none
    c1, c2 = ce[:, 0], ce[:, 1]
    if np.any(c1 < 0):
        raise ValueError(f"nest {child.name!r}: an edge has no first cell")
    has2 = c2 >= 0
    P1 = p[c1]
    P2 = np.where(has2, p[np.maximum(c2, 0)], -1)
    inner = has2 & (P1 == P2)
    pe = np.full(child.nedges, -1, dtype=np.int64)               # 0-based parent edge
    eslot = np.zeros(child.nedges, dtype=np.int64)
    p_eoc = parent.edge_of_cell.astype(np.int64) - 1             # (npc, 3)
    p_ev = parent.vertices_of_edge[:, :2].astype(np.int64) - 1    # (npe, 2)
    p_ce = parent.cells_of_edge.astype(np.int64) - 1             # (npe, 2)
    em_xyz = _lonlat_xyz(child.elon, child.elat)

    # inner edges: parallel to the parent edge opposite the corner child's vertex
    ii = np.flatnonzero(inner)
    if ii.size:
        cc = np.where(corner_vertex[c1[ii]] >= 0, c1[ii], c2[ii])
        k = corner_vertex[cc]
        if np.any(k < 0):
            raise ValueError(f"nest {child.name!r}: an inner edge joins two non-corner children")
        vk = parent.vertex_of_cell[P1[ii], k].astype(np.int64) - 1
        cand = p_eoc[P1[ii]]                                      # (m, 3)
        has_vk = (p_ev[cand, 0] == vk[:, None]) | (p_ev[cand, 1] == vk[:, None])
        if not np.all((~has_vk).sum(axis=1) == 1):
            raise ValueError(f"nest {child.name!r}: a parent cell has no edge opposite a vertex")
        pe[ii] = cand[~has_vk]
        first = p_ce[pe[ii], 0] == P1[ii]
        second = p_ce[pe[ii], 1] == P1[ii]
        if not np.all(first | second):
            raise ValueError(f"nest {child.name!r}: parent edge/cell tables disagree")
        eslot[ii] = np.where(first, 3, 4)

    # half edges between children of two parent cells: on the shared parent edge
    hh = np.flatnonzero(has2 & ~inner)
    if hh.size:
        a, b = p_eoc[P1[hh]], p_eoc[P2[hh]]
        common = (a[:, :, None] == b[:, None, :]).any(axis=2)    # (m, 3) over a
        if not np.all(common.sum(axis=1) == 1):
            raise ValueError(f"nest {child.name!r}: children of two parent cells that share no "
                             f"edge are neighbours")
        pe[hh] = a[common]

    # half edges on the nest's lateral boundary: the parent edge through the
    # corner vertex whose great circle passes nearest to the edge midpoint
    bb = np.flatnonzero(~has2)
    if bb.size:
        k = corner_vertex[c1[bb]]
        if np.any(k < 0):
            raise ValueError(f"nest {child.name!r}: a centre child lies on the nest boundary")
        vk = parent.vertex_of_cell[P1[bb], k].astype(np.int64) - 1
        cand = p_eoc[P1[bb]]                                      # (m, 3)
        has_vk = (p_ev[cand, 0] == vk[:, None]) | (p_ev[cand, 1] == vk[:, None])
        normal = np.cross(pv_xyz[p_ev[cand, 0]], pv_xyz[p_ev[cand, 1]])
        normal /= np.linalg.norm(normal, axis=2, keepdims=True)
        dist = np.abs(np.einsum("mkj,mj->mk", normal, em_xyz[bb]))
        dist[~has_vk] = np.inf
        pe[bb] = cand[np.arange(bb.size), np.argmin(dist, axis=1)]

    half = np.flatnonzero(~inner)
    if half.size:
        va, vb = pv_xyz[p_ev[pe[half], 0]], pv_xyz[p_ev[pe[half], 1]]
        m = em_xyz[half]
        eslot[half] = np.where(np.einsum("ij,ij->i", m, va) >= np.einsum("ij,ij->i", m, vb), 1, 2)

    if np.any(pe < 0):  # pragma: no cover - every class above assigns one
        raise ValueError(f"nest {child.name!r}: some edges have no parent edge")
    taken = np.zeros((parent.nedges, 4), dtype=np.int64)
    np.add.at(taken, (pe, eslot - 1), 1)
    if taken.max(initial=0) > 1:
        raise ValueError(f"nest {child.name!r}: two child edges claim the same place under "
                         f"one parent edge of {parent.name!r}")
    child_edges = np.zeros((parent.nedges, 4), dtype=np.int32)
    child_edges[pe, eslot - 1] = np.arange(1, child.nedges + 1)
    # completeness: every edge of a parent cell with children has both halves
    # and the inner edge on that cell's side
    for col in range(3):
        E = p_eoc[parents, col]
        side = np.where(p_ce[E, 0] == parents, 2, 3)
        ok = (child_edges[E, 0] > 0) & (child_edges[E, 1] > 0) & (child_edges[E, side] > 0)
        if not ok.all():
            raise ValueError(f"nest {child.name!r}: some edges of parent cells with children "
                             f"lack their child edges")
    return parent_cell, (pe + 1).astype(np.int32), child_cells, child_edges


def _attach(parent: Grid, child_cells: np.ndarray, child_edges: np.ndarray,
            child_name: str) -> Grid:
    """A copy of ``parent`` with one more nest's child links merged in."""
    cells_used = child_cells[:, 0] > 0
    edges_used = (child_edges > 0).any(axis=1)
    overlap_c = cells_used & (parent.child_cells[:, 0] > 0)
    overlap_e = (child_edges > 0) & (parent.child_edges > 0)
    if overlap_c.any() or overlap_e.any():
        raise ValueError(f"nest {child_name!r} overlaps a nest already attached to "
                         f"{parent.name!r} ({np.count_nonzero(overlap_c)} parent cells); ICON's "
                         f"nests of one parent must be disjoint")
    nest = parent.n_nests + 1
    cc = parent.child_cells.copy()
    cc[cells_used] = child_cells[cells_used]
    ce = parent.child_edges.copy()
    ce = np.where(child_edges > 0, child_edges, ce).astype(np.int32)
    nc = parent.child_nest_of_cell.copy()
    nc[cells_used] = nest
    nes = parent.child_nest_of_edge.copy()
    nes[edges_used] = nest
    return dataclasses.replace(parent, child_cells=cc, child_edges=ce,
                               child_nest_of_cell=nc, child_nest_of_edge=nes)


def _make_nested(parent: Grid, name_of_parent: Optional[str], center_lon_deg: float,
                 center_lat_deg: float, radius_deg: float) -> Tuple[Grid, np.ndarray, np.ndarray]:
    """Generate a nest and its links: (child, child_cells of parent, child_edges of parent)."""
    if name_of_parent is not None:
        n, k = parse_grid_name(name_of_parent)
        if (n, k) != (parent.root, parent.bisections):
            raise ValueError(f"name_of_parent {name_of_parent!r} does not match the parent grid "
                             f"{parent.name!r} ({parent.resolution})")
    n, k = parent.root, parent.bisections
    _check_region(center_lon_deg, center_lat_deg, radius_deg)
    estimate = 20 * n * n * 4 ** (k + 1) * (1 - math.cos(math.radians(radius_deg))) / 2
    if estimate > MAX_CELLS:
        raise ValueError(f"a nest of radius {radius_deg} degrees at R{n}B{k + 1} would have about "
                         f"{estimate:,.0f} cells, more than the limit of {MAX_CELLS:,}")
    gg = _gg()
    spec = gg.LimitedAreaGridSpec(
        parent=_canonical(n, k + 1),
        region=gg.Region.circle(lon=float(center_lon_deg), lat=float(center_lat_deg),
                                radius_degrees=float(radius_deg)))
    try:
        g = gg.generate_grid(spec, sphere_radius=EARTH_RADIUS, max_cells=None)
    except Exception as exc:
        raise ValueError(f"icon-grid-generator could not make a R{n}B{k + 1} nest around "
                         f"({center_lon_deg}, {center_lat_deg}) with radius {radius_deg}: "
                         f"{exc}") from exc
    child = _from_generator(g, name=_nest_name(n, k + 1, center_lon_deg, center_lat_deg, radius_deg),
                            root=n, bisections=k + 1, parent_uuid=parent.uuid)
    parent_cell, parent_edge, child_cells, child_edges = link_nest(parent, child)
    child = dataclasses.replace(child, parent_cell=parent_cell, parent_edge=parent_edge)
    child.validate()
    return child, child_cells, child_edges


def nested_grid(parent: Grid, name_of_parent: Optional[str], center_lon_deg: float,
                center_lat_deg: float, radius_deg: float) -> Tuple[Grid, Grid]:
    """A limited-area nest one bisection finer than ``parent``: ``(new_parent, nest)``.

    The nest is the generator's ``LimitedAreaGridSpec(parent="RnB(k+1)",
    region=Region.circle(lon, lat, radius_degrees))`` (ICON-ordered lateral
    boundary rows, refin_ctrl 1, 2, ... from the boundary inwards).  Its
    ``parent_cell``/``parent_edge`` index ``parent``; the returned
    ``new_parent`` is a copy of ``parent`` whose ``child_cells``,
    ``child_edges`` and ``child_nest_of_*`` include this nest (``parent``
    itself is not changed; nests attached before are kept, and must not
    overlap).  ``name_of_parent`` ("RnBk") is checked against the parent
    grid's resolution; None skips the check.  The parent may itself be a
    nest, as long as the new region lies inside it.
    """
    child, cc, ce = _make_nested(parent, name_of_parent, center_lon_deg, center_lat_deg, radius_deg)
    return _attach(parent, cc, ce, child.name), child


# -- cache ----------------------------------------------------------------------------

def cache_dir(path: Union[str, os.PathLike, None] = None) -> Path:
    """The grid cache directory, created on demand.

    ``path`` if given, else ``$COMIN_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/comin/grids`` (``~/.cache/comin/grids``).
    """
    if path is None:
        path = os.environ.get("COMIN_CACHE_DIR") or None
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "comin", "grids")
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def _key_file(directory: Path, key: Mapping[str, Any], label: str) -> Tuple[Path, str]:
    text = json.dumps(key, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)
    return directory / f"{safe}_{digest}.npz", text


def _save(path: Path, key_text: str, grid: Grid, extra: Mapping[str, np.ndarray]) -> None:
    """Write ``grid`` (and ``extra`` arrays) atomically: a temporary file, then rename."""
    payload: Dict[str, np.ndarray] = {"_key": np.array(key_text)}
    for name in _SCALAR_FIELDS:
        payload["_s_" + name] = np.array(getattr(grid, name))
    payload.update(grid.arrays())
    for name, value in extra.items():
        payload["_x_" + name] = np.asarray(value)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _load(path: Path, key_text: str, extra: Sequence[str]) -> Tuple[Grid, Dict[str, np.ndarray]]:
    """Read a cache file; raise (anything) when it is unreadable, stale or inconsistent."""
    with np.load(path, allow_pickle=False) as z:
        if str(z["_key"][()]) != key_text:
            raise ValueError("cache key mismatch")
        scalars = {}
        for name in _SCALAR_FIELDS:
            v = z["_s_" + name][()]
            scalars[name] = v.item() if hasattr(v, "item") else v
        arrays = {name: np.array(z[name]) for name in _ARRAY_FIELDS}
        more = {name: np.array(z["_x_" + name]) for name in extra}
    scalars["name"], scalars["uuid"], scalars["parent_uuid"] = (
        str(scalars["name"]), str(scalars["uuid"]), str(scalars["parent_uuid"]))
    scalars["root"], scalars["bisections"] = int(scalars["root"]), int(scalars["bisections"])
    scalars["sphere_radius"] = float(scalars["sphere_radius"])
    grid = Grid(**scalars, **arrays)
    grid.validate()
    return grid, more


def _cached(path: Path, key_text: str, extra: Sequence[str], make):
    """Load ``path`` or call ``make() -> (grid, extra_dict)`` and store the result."""
    if path.exists():
        try:
            return _load(path, key_text, extra)
        except Exception as exc:  # noqa: BLE001 - any defect means: regenerate
            warnings.warn(f"comin.grid: ignoring unusable cache file {path} "
                          f"({type(exc).__name__}: {exc}); regenerating it", RuntimeWarning,
                          stacklevel=3)
    grid, more = make()
    _save(path, key_text, grid, more)
    return grid, more


def load_or_make_global(name: str, cache: Union[str, os.PathLike, None] = None) -> Grid:
    """:func:`global_grid` through the cache.

    The key is the canonical name, the earth radius, the generator version
    and this module's cache format; a file that cannot be read, has another
    key or fails :meth:`Grid.validate` is regenerated (with a
    RuntimeWarning), never trusted.  A grid loaded from the cache has
    ``source=None``.
    """
    n, k = parse_grid_name(name)
    key = {"kind": "global", "name": _canonical(n, k), "sphere_radius": EARTH_RADIUS,
           "generator": generator_version(), "format": _CACHE_FORMAT}
    path, text = _key_file(cache_dir(cache), key, f"global_{_canonical(n, k)}")
    grid, _ = _cached(path, text, (), lambda: (global_grid(name), {}))
    return grid


def load_or_make_nested(parent: Grid, name_of_parent: Optional[str], center_lon_deg: float,
                        center_lat_deg: float, radius_deg: float,
                        cache: Union[str, os.PathLike, None] = None) -> Tuple[Grid, Grid]:
    """:func:`nested_grid` through the cache: ``(new_parent, nest)``.

    The key holds the parent grid's uuid (so a nest in a nest is keyed by
    its own parent), the region, the generator version and the cache
    format.  The file holds the nest and its links; they are merged into a
    copy of ``parent`` on every call.
    """
    if name_of_parent is not None:
        n, k = parse_grid_name(name_of_parent)
        if (n, k) != (parent.root, parent.bisections):
            raise ValueError(f"name_of_parent {name_of_parent!r} does not match the parent grid "
                             f"{parent.name!r} ({parent.resolution})")
    _check_region(center_lon_deg, center_lat_deg, radius_deg)
    key = {"kind": "nested", "parent_uuid": parent.uuid, "parent": parent.resolution,
           "parent_ncells": parent.ncells, "lon": float(center_lon_deg),
           "lat": float(center_lat_deg), "radius": float(radius_deg),
           "sphere_radius": EARTH_RADIUS, "generator": generator_version(),
           "format": _CACHE_FORMAT}
    label = f"nest_{_canonical(parent.root, parent.bisections + 1)}"
    path, text = _key_file(cache_dir(cache), key, label)

    def make():
        child, cc, ce = _make_nested(parent, None, center_lon_deg, center_lat_deg, radius_deg)
        return child, {"parent_child_cells": cc, "parent_child_edges": ce}

    child, more = _cached(path, text, ("parent_child_cells", "parent_child_edges"), make)
    cc, ce = more["parent_child_cells"], more["parent_child_edges"]
    if cc.shape != (parent.ncells, 4) or ce.shape != (parent.nedges, 4):
        raise ValueError(f"cache file {path} does not fit the parent grid {parent.name!r}")
    return _attach(parent, cc.astype(np.int32), ce.astype(np.int32), child.name), child


# -- nproma blocking -------------------------------------------------------------------

def idx_blk(j, nproma: int) -> Tuple[np.ndarray, np.ndarray]:
    """ICON's ``idx_no``/``blk_no`` of 1-based unblocked indices (vectorised).

    Returns ``(jc, jb)`` as C-int arrays of the shape of ``j``:
    ``jc = sign((|j|-1) mod nproma + 1, j)`` (0 for j = 0) and
    ``jb = max((|j|-1) // nproma + 1, 1)``, so ``j = (jb-1)*nproma + jc``
    for j >= 1 and a missing entry (0) becomes ``(0, 1)``.
    """
    if nproma < 1:
        raise ValueError(f"nproma must be >= 1, got {nproma}")
    j = np.asarray(j, dtype=np.int64)
    a = np.abs(j)
    jc = np.where(j == 0, 0, np.sign(j) * ((a - 1) % nproma + 1))
    jb = np.maximum((a - 1) // nproma + 1, 1)
    return jc.astype(np.intc), jb.astype(np.intc)


def block(values, nproma: int) -> np.ndarray:
    """Per-point values (n, ...) -> ICON's (nproma, nblks, ...) Fortran-ordered array.

    Point j (1-based) goes to ``[(j-1) % nproma, (j-1) // nproma]``;
    ``nblks = ceil(n / nproma)`` (at least 1); padding in the last block is 0.
    """
    if nproma < 1:
        raise ValueError(f"nproma must be >= 1, got {nproma}")
    values = np.asarray(values)
    n = values.shape[0]
    nblks = max(-(-n // nproma), 1)
    flat = np.zeros((nblks * nproma,) + values.shape[1:], dtype=values.dtype)
    flat[:n] = values
    return np.asfortranarray(flat.reshape((nblks, nproma) + values.shape[1:]).swapaxes(0, 1))


def _child_ids(nest_of: np.ndarray, child_domain_id) -> np.ndarray:
    """Per-point child domain id from nest numbers (0 -> 0)."""
    if not np.any(nest_of):
        return np.zeros(nest_of.shape, dtype=np.intc)
    nmax = int(nest_of.max())
    if child_domain_id is None:
        raise ValueError("the grid has nests: pass child_domain_id (the child domain's id, or "
                         "one id per attached nest)")
    if isinstance(child_domain_id, (int, np.integer)):
        ids = [int(child_domain_id)] * nmax
    else:
        ids = [int(i) for i in child_domain_id]
        if len(ids) < nmax:
            raise ValueError(f"child_domain_id has {len(ids)} id(s), the grid has {nmax} nests")
    if any(i < 2 for i in ids[:nmax]):
        raise ValueError(f"child domain ids must be >= 2, got {ids[:nmax]}")
    lut = np.array([0] + ids[:nmax], dtype=np.intc)
    return lut[nest_of]


def domain_descrdata(grid: Grid, nproma: int, nlev: int, *, child_domain_id=None,
                     hhl: Optional[np.ndarray] = None, top_height: float = 20000.0,
                     decomp_domain: Optional[Mapping[str, np.ndarray]] = None,
                     n_global: Optional[Mapping[str, int]] = None) -> dict:
    """Keyword arguments of ``Host.set_domain(jg, **kw)`` for ``grid``.

    Returns ``dict(cells=..., edges=..., verts=..., grid_uuid=..., nlev=...)``
    with every descriptive data field the grid determines, blocked by
    ``nproma`` (Fortran order, dtypes of ``comin._table.DESCRDATA``, index
    values as (idx, blk) pairs, missing entries as (0, 1), last-block padding
    0).  ``start/end_index/block`` have one entry per refin_ctrl level
    ``min_rl..max_rl``.  ``glb_index`` is the grid's (1..n for a whole grid)
    and ``decomp_domain`` 0 (one process owns everything), unless a rank's
    part of a decomposed domain is described: then ``grid`` is its local grid
    (:func:`comin.emulator.decomp.local_grid`), ``decomp_domain`` maps
    "cells"/"edges"/"verts" to per-point halo levels and ``n_global`` to the
    whole domain's point counts.

    ``child_domain_id``: the domain id of the grid's nest (an int), or one
    id per attached nest in attachment order; required when the grid has
    nests (``child_id`` is that id where a cell/edge has children, else 0).

    ``hhl`` (nproma, nlev+1, nblks): half-level heights; the grid has no
    topography, so by default levels are flat and evenly spaced from
    ``top_height`` down to 0 m (0 in the padding).
    The caller adds the other domain fields (grid_filename, n_childdom, ...).
    """
    if nproma < 1:
        raise ValueError(f"nproma must be >= 1, got {nproma}")
    if nlev < 1:
        raise ValueError(f"nlev must be >= 1, got {nlev}")
    i32 = np.intc

    def blk(values) -> np.ndarray:
        return block(values, nproma)

    def pair(j) -> Tuple[np.ndarray, np.ndarray]:
        """Blocked (idx, blk) arrays of per-point 1-based indices (padding 0)."""
        jc, jb = idx_blk(j, nproma)
        return blk(jc), blk(jb)

    def ranges(start: np.ndarray, end: np.ndarray) -> dict:
        si, sb = idx_blk(start, nproma)
        ei, eb = idx_blk(end, nproma)
        return dict(start_index=si, end_index=ei, start_block=sb, end_block=eb)

    nc, ne, nv = grid.ncells, grid.nedges, grid.nverts
    nblks_c = max(-(-nc // nproma), 1)
    dec = {k: np.zeros(n, i32) for k, n in (("cells", nc), ("edges", ne), ("verts", nv))}
    dec.update({k: np.asarray(v, dtype=i32) for k, v in (decomp_domain or {}).items()})
    glob = {"cells": nc, "edges": ne, "verts": nv, **(n_global or {})}
    cid_c = _child_ids(grid.child_nest_of_cell, child_domain_id)
    cid_e = _child_ids(grid.child_nest_of_edge, child_domain_id)

    cells: Dict[str, Any] = dict(
        ncells=nc, ncells_global=glob["cells"], nblks=nblks_c, max_connectivity=3,
        num_edges=blk(np.full(nc, 3, i32)),
        refin_ctrl=blk(grid.refin_c_ctrl.astype(i32)),
        **ranges(grid.start_idx_c, grid.end_idx_c),
        child_id=blk(cid_c),
        clon=blk(grid.clon), clat=blk(grid.clat), area=blk(grid.cell_area),
        glb_index=grid.glb_index_c.astype(i32),
        decomp_domain=blk(dec["cells"]),
    )
    for name, src in (("child", grid.child_cells), ("vertex", grid.vertex_of_cell),
                      ("neighbor", grid.neighbor_of_cell), ("edge", grid.edge_of_cell)):
        cells[name + "_idx"], cells[name + "_blk"] = pair(src)
    cells["parent_glb_idx"], cells["parent_glb_blk"] = pair(grid.parent_cell)
    if hhl is None:
        levels = np.linspace(float(top_height), 0.0, nlev + 1)
        hhl = np.zeros((nproma, nlev + 1, nblks_c), order="F")
        mask = block(np.ones(nc, dtype=bool), nproma)             # (nproma, nblks)
        hhl[:] = levels[None, :, None]
        hhl *= mask[:, None, :]
    else:
        hhl = np.asfortranarray(hhl, dtype=np.float64)
        if hhl.shape != (nproma, nlev + 1, nblks_c):
            raise ValueError(f"hhl must have shape {(nproma, nlev + 1, nblks_c)}, got {hhl.shape}")
    cells["hhl"] = hhl

    edges: Dict[str, Any] = dict(
        nedges=ne, nedges_global=glob["edges"], nblks=max(-(-ne // nproma), 1),
        refin_ctrl=blk(grid.refin_e_ctrl.astype(i32)),
        **ranges(grid.start_idx_e, grid.end_idx_e),
        child_id=blk(cid_e),
        elon=blk(grid.elon), elat=blk(grid.elat),
        glb_index=grid.glb_index_e.astype(i32),
        decomp_domain=blk(dec["edges"]),
    )
    for name, src in (("child", grid.child_edges), ("cell", grid.cells_of_edge),
                      ("vertex", grid.vertices_of_edge)):
        edges[name + "_idx"], edges[name + "_blk"] = pair(src)
    edges["parent_glb_idx"], edges["parent_glb_blk"] = pair(grid.parent_edge)

    verts: Dict[str, Any] = dict(
        nverts=nv, nverts_global=glob["verts"], nblks=max(-(-nv // nproma), 1),
        num_edges=blk(grid.num_edges_of_vertex.astype(i32)),
        refin_ctrl=blk(grid.refin_v_ctrl.astype(i32)),
        **ranges(grid.start_idx_v, grid.end_idx_v),
        vlon=blk(grid.vlon), vlat=blk(grid.vlat),
        glb_index=grid.glb_index_v.astype(i32),
        decomp_domain=blk(dec["verts"]),
    )
    for name, src in (("neighbor", grid.vertices_of_vertex), ("cell", grid.cells_of_vertex),
                      ("edge", grid.edges_of_vertex)):
        verts[name + "_idx"], verts[name + "_blk"] = pair(src)

    grid_uuid = np.frombuffer(_uuid.UUID(grid.uuid).bytes, dtype=np.int8).copy()
    return dict(cells=cells, edges=edges, verts=verts, grid_uuid=grid_uuid, nlev=int(nlev))


# -- NetCDF ----------------------------------------------------------------------------

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
    cid_c = _child_ids(grid.child_nest_of_cell, child_domain_id)
    cid_e = _child_ids(grid.child_nest_of_edge, child_domain_id)
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
