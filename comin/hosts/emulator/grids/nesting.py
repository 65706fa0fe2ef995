"""Nests: a limited-area grid one bisection finer than its parent, and the links between them.

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
import math
from typing import Optional, Tuple

import numpy as np

from comin.hosts.emulator.grids.generator import from_generator, generator_module
from comin.hosts.emulator.grids.grid import (EARTH_RADIUS, MAX_CELLS, Grid, canonical_name, parse_grid_name,
                                             xyz)

#: Slot (1-based) in ICON's child list of the corner child at parent vertex
#: position 0, 1, 2 (slot 1 is the centre child): ICON's bisection numbers a
#: parent's children centre, at vertex 3, at vertex 1, at vertex 2.
_CORNER_SLOT = np.array([3, 4, 2])

# -- nesting -------------------------------------------------------------------------

def check_region(center_lon_deg: float, center_lat_deg: float, radius_deg: float) -> None:
    for what, v in (("center_lon_deg", center_lon_deg), ("center_lat_deg", center_lat_deg),
                    ("radius_deg", radius_deg)):
        if not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise ValueError(f"nest {what} must be a finite number, got {v!r}")
    if not -90.0 <= center_lat_deg <= 90.0:
        raise ValueError(f"nest center_lat_deg must be in -90..90, got {center_lat_deg}")
    if not 0.0 < radius_deg < 90.0:
        raise ValueError(f"nest radius_deg must be in (0, 90) degrees, got {radius_deg}")


def nest_name(n: int, k: int, lon: float, lat: float, radius: float) -> str:
    return f"{canonical_name(n, k)}-nest({lon:g},{lat:g},{radius:g})"


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

    pc_xyz = xyz(parent.clon, parent.clat)
    cc_xyz = xyz(child.clon, child.clat)
    pv_xyz = xyz(parent.vlon, parent.vlat)
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
    em_xyz = xyz(child.elon, child.elat)

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


def attach_nest(parent: Grid, child_cells: np.ndarray, child_edges: np.ndarray,
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


def make_nested(parent: Grid, name_of_parent: Optional[str], center_lon_deg: float,
                 center_lat_deg: float, radius_deg: float) -> Tuple[Grid, np.ndarray, np.ndarray]:
    """Generate a nest and its links: (child, child_cells of parent, child_edges of parent)."""
    if name_of_parent is not None:
        n, k = parse_grid_name(name_of_parent)
        if (n, k) != (parent.root, parent.bisections):
            raise ValueError(f"name_of_parent {name_of_parent!r} does not match the parent grid "
                             f"{parent.name!r} ({parent.resolution})")
    n, k = parent.root, parent.bisections
    check_region(center_lon_deg, center_lat_deg, radius_deg)
    estimate = 20 * n * n * 4 ** (k + 1) * (1 - math.cos(math.radians(radius_deg))) / 2
    if estimate > MAX_CELLS:
        raise ValueError(f"a nest of radius {radius_deg} degrees at R{n}B{k + 1} would have about "
                         f"{estimate:,.0f} cells, more than the limit of {MAX_CELLS:,}")
    gg = generator_module()
    spec = gg.LimitedAreaGridSpec(
        parent=canonical_name(n, k + 1),
        region=gg.Region.circle(lon=float(center_lon_deg), lat=float(center_lat_deg),
                                radius_degrees=float(radius_deg)))
    try:
        g = gg.generate_grid(spec, sphere_radius=EARTH_RADIUS, max_cells=None)
    except Exception as exc:
        raise ValueError(f"icon-grid-generator could not make a R{n}B{k + 1} nest around "
                         f"({center_lon_deg}, {center_lat_deg}) with radius {radius_deg}: "
                         f"{exc}") from exc
    child = from_generator(g, name=nest_name(n, k + 1, center_lon_deg, center_lat_deg, radius_deg),
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
    child, cc, ce = make_nested(parent, name_of_parent, center_lon_deg, center_lat_deg, radius_deg)
    return attach_nest(parent, cc, ce, child.name), child


