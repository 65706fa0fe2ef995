"""One domain's horizontal grid in ICON's unblocked form: :class:`Grid`, its names and limits.

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
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import numpy as np

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


def canonical_name(n: int, k: int) -> str:
    return f"R{n}B{k}"


# -- the grid --------------------------------------------------------------------------

ARRAY_FIELDS = {
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
SCALAR_FIELDS = ("name", "uuid", "parent_uuid", "root", "bisections", "sphere_radius",
                 "number_of_grid_used")


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

    ``uuid``: the grid file's (or the generator's) ``uuidOfHGrid``;
    ``parent_uuid``: the parent domain's uuid (all zeros for a root domain);
    ``root``/``bisections``: n and k of the grid's resolution RnBk; ``name``:
    "RnBk" for a global grid, "RnBk-nest(lon,lat,radius)" for a generated
    nest, the file's name for a grid read from a file;
    ``number_of_grid_used``: the GRIB2 key of the grid file (ICON's
    ``number_of_grid_used`` attribute); ``path``: the file the grid was read
    from ("" when it was made here).

    The dataclass is not frozen, but the functions of this module never
    change a Grid in place: :func:`nested_grid` returns a new parent.
    """

    name: str
    uuid: str
    parent_uuid: str
    root: int
    bisections: int
    sphere_radius: float
    number_of_grid_used: int
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
    #: the grid file this Grid was read from ("": made here); not part of the cache
    path: str = ""

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
        return canonical_name(self.root, self.bisections)

    @property
    def is_nest(self) -> bool:
        """True when the grid has a parent domain."""
        return bool(np.any(self.parent_cell))

    @property
    def is_limited_area(self) -> bool:
        """True when the grid has a lateral boundary (an edge with one cell): a limited-area
        grid or a nest."""
        return bool(np.any(self.cells_of_edge[:, 1] == 0))

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
        return {name: getattr(self, name) for name in ARRAY_FIELDS}

    def validate(self) -> None:
        """Check shapes, dtypes and index ranges; raise ValueError on the first problem.

        Used on every grid read from the cache (a file that fails is
        regenerated) and on every grid this module makes.
        """
        counts = {"c": self.ncells, "e": self.nedges, "v": self.nverts}
        for name, (dtype, trailing, kind) in ARRAY_FIELDS.items():
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


def opposite_vertices(vertex_of_cell: np.ndarray, cells_of_edge: np.ndarray,
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
            raise ValueError("the grid is inconsistent: an edge's vertices are not "
                             "two vertices of its cell")
        out[has, side] = cv[off]
    return out


def xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Unit-sphere coordinates of (lon, lat) in radians, shape (..., 3)."""
    cl = np.cos(lat)
    return np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=-1)
