"""Domain decomposition of the emulator's grids over MPI ranks, as ICON does it.

Every rank holds a *patch* of each domain: the cells it owns plus halo rows
around them, and the edges and vertices of those cells.  What a plugin sees
per rank follows ICON's conventions:

* **Partition.** Cells are split by recursive coordinate bisection of their
  centres on the unit sphere (split along the widest axis, stable sort, rank
  counts proportional): deterministic, balanced to one cell, compact parts.
  Each domain (global grid, nest) is partitioned on its own.
* **Halo rows.** Halo level 1 = cells not owned that share a *vertex* with
  an owned cell (this includes every edge neighbour, which the transport
  needs); halo level 2 = cells sharing a vertex with level 1 (ICON's two
  cell halo rows).  ``decomp_domain`` is 0 for owned cells, 1/2 for halo.
* **Edges, vertices.** A rank holds every edge and vertex of its cells.  An
  edge is owned by the owner of its first cell (``cells_of_edge[:, 0]``), a
  vertex by the owner of its first cell (``cells_of_vertex[:, 0]``); a held
  point it does not own has ``decomp_domain`` = the lowest halo level
  (at least 1) of its held cells.
* **Local order.** Owned points first, in global order (the global grid is
  in ICON's refin_ctrl order, so each rank keeps it), then halo level 1,
  then level 2, each in global order.  ``start/end_index`` of the refin_ctrl
  levels ``min_rl_int .. max_rl`` cover the owned points of that level; the
  halo levels ``min_rl_int - 1`` (level 1), ``min_rl_int - 2`` (level 2)
  follow, as in ICON; empty levels sit at the end (start n+1, end n) or, for
  empty levels before the first point, at (1, 0), as in the grid files.
* **Indices.** ``glb_index`` gives each local point's global 1-based index;
  connectivity (neighbours, edges, vertices, children) is in local indices,
  0 where the point is not held by the rank; ``parent_glb_idx`` stays global
  (ICON's name says so).

:func:`halo_lists` gives each rank the send/receive lists of its halo, from
which :class:`comin.icon.halo.Halo` exchanges; the halo exchange itself is
shared with the replay host (:mod:`comin.icon.halo`).
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np

from comin.hosts.emulator.grids.grid import RL, Grid, xyz
from comin.icon.halo import Channel, Halo, halo_from_indices, local_index_table, sync_label  # noqa: F401
from comin.icon.points import BY_GROUP, GROUPS
from comin.parallel import world_size

#: cell halo rows (ICON's n_boundary_rows)
HALO_ROWS = 2
#: the point kinds, as the descriptive data names them
KINDS = GROUPS


def under_mpi() -> bool:
    """Whether this process is one of several MPI processes (an initialised MPI with
    more than one rank, or a launcher that started several), decided without
    initialising MPI.  A single process, even under ``mpiexec -n 1``, runs undecomposed."""
    return world_size() > 1


# -- partition -----------------------------------------------------------------------

def partition(grid: Grid, nranks: int) -> np.ndarray:
    """Owner rank (0..nranks-1) of every cell: recursive coordinate bisection of cell centres."""
    if nranks < 1:
        raise ValueError(f"the number of ranks must be >= 1, got {nranks}")
    if nranks > grid.ncells:
        raise ValueError(f"cannot split {grid.ncells} cells of {grid.name} over {nranks} ranks")
    centres = xyz(grid.clon, grid.clat)
    owner = np.zeros(grid.ncells, dtype=np.int32)

    def split(cells: np.ndarray, first: int, n: int) -> None:
        if n == 1:
            owner[cells] = first
            return
        pts = centres[cells]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        order = cells[np.argsort(pts[:, axis], kind="stable")]
        n_low = n // 2
        cut = (len(cells) * n_low) // n
        split(order[:cut], first, n_low)
        split(order[cut:], first + n_low, n - n_low)

    split(np.arange(grid.ncells), 0, nranks)
    return owner


# -- which points a rank holds -----------------------------------------------------------

def _incidence(index: np.ndarray, n_rows: int, n_cols: int):
    """Sparse 0/1 matrix row -> the 1-based entries of ``index`` (0 = none)."""
    import scipy.sparse as sp          # only a decomposed run needs it (startup)
    rows = np.repeat(np.arange(n_rows), index.shape[1])
    cols = index.reshape(-1).astype(np.int64) - 1
    keep = cols >= 0
    return sp.csr_matrix((np.ones(keep.sum(), dtype=np.int8), (rows[keep], cols[keep])),
                         shape=(n_rows, n_cols))


@dataclasses.dataclass
class Layout:
    """The points of one domain a rank holds: per kind, global 1-based indices in local
    order, and ``decomp_domain`` (0 owned, 1.. halo level) of each."""

    glb: Dict[str, np.ndarray]
    decomp: Dict[str, np.ndarray]

    def n_owned(self, kind: str) -> int:
        return int(np.count_nonzero(self.decomp[kind] == 0))


def _order(glb_mask_level: np.ndarray) -> tuple:
    """Local order of held points: by level (0 owned first), then global index."""
    held = np.nonzero(glb_mask_level >= 0)[0]
    levels = glb_mask_level[held]
    order = np.lexsort((held, levels))
    return (held[order] + 1).astype(np.int32), levels[order].astype(np.int32)


def layouts(grid: Grid, owner: np.ndarray, halo_rows: int = HALO_ROWS) -> List[Layout]:
    """Every rank's :class:`Layout` of ``grid`` for the cell owners ``owner``."""
    nranks = int(owner.max()) + 1 if owner.size else 1
    cv = _incidence(grid.vertex_of_cell, grid.ncells, grid.nverts)      # cell -> vertices
    vc = cv.T.tocsr()
    ce = _incidence(grid.edge_of_cell, grid.ncells, grid.nedges)
    first_cell_e = np.where(grid.cells_of_edge[:, 0] > 0, grid.cells_of_edge[:, 0],
                            grid.cells_of_edge[:, 1]) - 1
    first_cell_v = grid.cells_of_vertex[:, 0] - 1
    owner_e, owner_v = owner[first_cell_e], owner[first_cell_v]
    out = []
    for r in range(nranks):
        level = np.full(grid.ncells, -1, dtype=np.int64)
        level[owner == r] = 0
        front = owner == r
        for h in range(1, halo_rows + 1):
            verts = (vc @ front.astype(np.int32)) > 0
            touched = (cv @ verts.astype(np.int32)) > 0
            new = touched & (level < 0)
            level[new] = h
            front = new
        glb, dec = {}, {}
        glb["cells"], dec["cells"] = _order(level)
        # edges / vertices: held if a held cell has them; halo level from their held cells
        big = halo_rows + 1
        cell_lvl = np.where(level >= 0, np.maximum(level, 1), big)
        for kind, inc, own in (("edges", ce, owner_e), ("verts", cv, owner_v)):
            held_cells = level >= 0
            lvl = np.full(inc.shape[1], big, dtype=np.int64)
            coo = inc[held_cells].tocoo()
            cells_held = np.nonzero(held_cells)[0][coo.row]
            np.minimum.at(lvl, coo.col, cell_lvl[cells_held])
            lvl = np.where(lvl == big, -1, lvl)
            lvl[(own == r) & (lvl >= 0)] = 0
            glb[kind], dec[kind] = _order(lvl)
        out.append(Layout(glb, dec))
    return out


# -- a rank's local grid -----------------------------------------------------------------

def _ranges(glb_owned: np.ndarray, n_local: int, start: np.ndarray, end: np.ndarray,
            kind: str, halo_counts: Sequence[int]) -> tuple:
    """Local start/end indices per refin_ctrl level (see the module docstring)."""
    min_rl, min_rl_int, _max_rl = RL[kind]
    s = np.searchsorted(glb_owned, start, side="left") + 1
    e = np.searchsorted(glb_owned, end, side="right")
    n_owned = len(glb_owned)
    # levels below min_rl_int: halo levels 1, 2, ... then empty at the end
    s = s.astype(np.int32)
    e = e.astype(np.int32)
    first = n_owned + 1
    for h in range(1, min_rl_int - min_rl + 1):
        pos = (min_rl_int - h) - min_rl
        count = halo_counts[h - 1] if h - 1 < len(halo_counts) else 0
        if count:
            s[pos], e[pos] = first, first + count - 1
            first += count
        else:
            s[pos], e[pos] = n_local + 1, n_local
    return s, e


def local_grid(grid: Grid, layout: Layout, child_lut=None) -> Grid:
    """``grid`` restricted to the points of ``layout``, in its local order and indices.

    ``child_lut``: {"cells": lut, "edges": lut}, global -> local index of the
    child domain's patch on this rank (child indices not held there become 0),
    or a list of such per nest number (a grid with several nests); None keeps
    them global.
    """
    gc, ge, gv = (layout.glb[k] for k in KINDS)
    ic, ie, iv = gc - 1, ge - 1, gv - 1
    lc, le, lv = (local_index_table(layout.glb[k], n) for k, n in
                  zip(KINDS, (grid.ncells, grid.nedges, grid.nverts)))
    kw = {}
    for name in ("clon", "clat", "cell_area", "refin_c_ctrl", "parent_cell", "child_nest_of_cell"):
        kw[name] = getattr(grid, name)[ic]
    for name in ("elon", "elat", "refin_e_ctrl", "parent_edge", "child_nest_of_edge"):
        kw[name] = getattr(grid, name)[ie]
    for name in ("vlon", "vlat", "refin_v_ctrl"):
        kw[name] = getattr(grid, name)[iv]
    kw["vertex_of_cell"] = lv[grid.vertex_of_cell[ic]]
    kw["edge_of_cell"] = le[grid.edge_of_cell[ic]]
    kw["neighbor_of_cell"] = lc[grid.neighbor_of_cell[ic]]
    kw["cells_of_edge"] = lc[grid.cells_of_edge[ie]]
    kw["vertices_of_edge"] = lv[grid.vertices_of_edge[ie]]
    kw["cells_of_vertex"] = lc[grid.cells_of_vertex[iv]]
    kw["edges_of_vertex"] = le[grid.edges_of_vertex[iv]]
    kw["vertices_of_vertex"] = lv[grid.vertices_of_vertex[iv]]
    if child_lut is not None:
        luts = child_lut if isinstance(child_lut, (list, tuple)) else [child_lut] * max(grid.n_nests, 1)
        for name, group, nest_of, idx in (("child_cells", "cells", grid.child_nest_of_cell, ic),
                                          ("child_edges", "edges", grid.child_nest_of_edge, ie)):
            out = np.zeros((len(idx), 4), dtype=np.int32)
            kids, which = getattr(grid, name)[idx], nest_of[idx]
            for n, lut in enumerate(luts, start=1):
                mine = which == n
                out[mine] = lut[group][kids[mine]]
            kw[name] = out
    else:
        kw["child_cells"], kw["child_edges"] = grid.child_cells[ic], grid.child_edges[ie]
    for kind in KINDS:
        sfx = BY_GROUP[kind].suffix
        dec = layout.decomp[kind]
        glb = layout.glb[kind]
        halo = [int(np.count_nonzero(dec == h)) for h in range(1, HALO_ROWS + 1)]
        kw[f"start_idx_{sfx}"], kw[f"end_idx_{sfx}"] = _ranges(
            glb[dec == 0], len(glb), getattr(grid, f"start_idx_{sfx}"),
            getattr(grid, f"end_idx_{sfx}"), kind, halo)
        kw[f"glb_index_{sfx}"] = glb.astype(np.int32)
    return dataclasses.replace(grid, source=None, **kw)


def halo_lists(all_layouts: Sequence[Layout], kind: str, rank: int) -> tuple:
    """Send and receive position lists of ``rank`` for ``kind`` (computed locally on every rank:
    every rank knows every layout, so no communication is needed to build them)."""
    nranks = len(all_layouts)
    mine = all_layouts[rank]
    n_global = max(int(l.glb[kind].max(initial=0)) for l in all_layouts)
    owner_of = np.full(n_global + 1, -1, dtype=np.int64)
    for q, lay in enumerate(all_layouts):
        owner_of[lay.glb[kind][lay.decomp[kind] == 0]] = q
    my_lut = local_index_table(mine.glb[kind], n_global)
    send, recv = [], []
    my_halo = np.nonzero(mine.decomp[kind] > 0)[0]
    my_halo_owner = owner_of[mine.glb[kind][my_halo]]
    for q in range(nranks):
        recv.append(my_halo[my_halo_owner == q])
        if q == rank:
            send.append(np.zeros(0, np.int64))
            continue
        lay = all_layouts[q]
        their_halo = lay.glb[kind][lay.decomp[kind] > 0]
        wanted = their_halo[owner_of[their_halo] == rank]
        send.append(my_lut[wanted].astype(np.int64) - 1)
    return send, recv


@dataclasses.dataclass
class Patch:
    """One rank's part of one domain: the local grid, its layout and halo exchanges."""

    rank: int
    nranks: int
    grid: Grid                    # local grid (ICON's local order)
    layout: Layout
    n_global: Dict[str, int]
    halo: Dict[str, Halo]
    layouts: List[Layout] = dataclasses.field(default_factory=list)   # every rank's

    @property
    def channel(self) -> Channel:
        return self.halo["cells"].channel

    def decomp_domain(self, kind: str) -> np.ndarray:
        return self.layout.decomp[kind]

    def n_owned(self, kind: str) -> int:
        return self.layout.n_owned(kind)

    def sorted_positions(self, kind: str) -> np.ndarray:
        """Local 0-based positions of this rank's points in global-index order."""
        return np.argsort(self.layout.glb[kind], kind="stable")


def decompose(grids: Sequence[Grid], comm, halo_rows: int = HALO_ROWS,
              parents: Optional[Sequence[int]] = None) -> List[Patch]:
    """This rank's :class:`Patch` of each domain in ``grids`` (domain 1 first).

    ``comm``: the host communicator (mpi4py); its size is the number of parts.
    ``parents[i]``: the 0-based index of domain i+1's parent (-1: none); by
    default each domain is the nest of the one before.
    """
    rank, nranks = comm.Get_rank(), comm.Get_size()
    if parents is None:
        parents = [i - 1 for i in range(len(grids))]
    channel = Channel(comm)
    per_domain = []
    for grid in grids:
        owner = partition(grid, nranks)
        per_domain.append(layouts(grid, owner, halo_rows))
    patches = []
    for d, grid in enumerate(grids):
        mine = per_domain[d][rank]
        kids = [j for j, p in enumerate(parents) if p == d]
        child_lut = [{"cells": local_index_table(per_domain[j][rank].glb["cells"], grids[j].ncells),
                      "edges": local_index_table(per_domain[j][rank].glb["edges"], grids[j].nedges)}
                     for j in kids] or None
        local = local_grid(grid, mine, child_lut)
        halo = {k: Halo(channel, *halo_lists(per_domain[d], k, rank)) for k in KINDS}
        patches.append(Patch(rank, nranks, local, mine,
                             {"cells": grid.ncells, "edges": grid.nedges, "verts": grid.nverts},
                             halo, per_domain[d]))
    return patches


class ParentFeed:
    """A parent domain's cell values at its nest's lateral boundary cells (one-way nesting).

    The nest's cells of boundary rows ``1..rows`` this rank holds (``positions``,
    0-based in the nest's local order) take the values of their parent cells
    (:meth:`take`: ``(n, rest...)`` from a parent field in ICON's layout
    (nproma, [nlev,] nblks[, ...])).  On one process the parent's cells are read
    directly; on several, the ranks owning them send them (the lists come from
    every rank's layouts, which every rank knows: no communication to set up).
    """

    def __init__(self, nest: Grid, nproma: int, rows: int, parent_patch: Optional[Patch] = None,
                 nest_patch: Optional[Patch] = None, nest_global: Optional[Grid] = None,
                 label: str = ""):
        at = (nest.refin_c_ctrl >= 1) & (nest.refin_c_ctrl <= rows)
        self.positions = np.nonzero(at)[0]
        parents = nest.parent_cell[at].astype(np.int64)            # global indices
        self.nproma, self.label, self.patch = nproma, label, parent_patch
        if parent_patch is None:
            self.local = parents - 1
            return
        rank = parent_patch.rank
        pl = parent_patch.layouts
        n_parent = parent_patch.n_global["cells"]
        owner_of = np.full(n_parent + 1, -1, dtype=np.int64)
        for q, lay in enumerate(pl):
            owner_of[lay.glb["cells"][lay.decomp["cells"] == 0]] = q

        def needs(q: int) -> np.ndarray:
            glb = nest_patch.layouts[q].glb["cells"]
            refin = nest_global.refin_c_ctrl[glb - 1]
            held = (refin >= 1) & (refin <= rows)
            return np.unique(nest_global.parent_cell[glb[held] - 1].astype(np.int64))

        self.needed = needs(rank)
        self.index = np.searchsorted(self.needed, parents)
        lut = local_index_table(pl[rank].glb["cells"], n_parent).astype(np.int64)
        mine = owner_of[self.needed] == rank
        self.local_at = np.nonzero(mine)[0]
        self.local = lut[self.needed[mine]] - 1
        self.sends, self.recvs = [], []
        for q in range(parent_patch.nranks):
            if q == rank:
                continue
            theirs = needs(q)
            send = lut[theirs[owner_of[theirs] == rank]] - 1
            recv = np.nonzero(owner_of[self.needed] == q)[0]
            if len(send):
                self.sends.append((q, send))
            if len(recv):
                self.recvs.append((q, recv))

    def _at(self, a: np.ndarray, pos: np.ndarray) -> np.ndarray:
        jc, jb = pos % self.nproma, pos // self.nproma
        return a[jc, jb] if a.ndim == 2 else a[jc, :, jb]          # (n, rest...)

    def take(self, a: np.ndarray) -> np.ndarray:
        """The parent's values of ``a`` at this rank's boundary cells: (n, rest...)."""
        if self.patch is None:
            return self._at(a, self.local)
        rest = a.shape[1:2] + a.shape[3:] if a.ndim > 2 else ()
        buf = np.empty((len(self.needed),) + rest, dtype=a.dtype)
        buf[self.local_at] = self._at(a, self.local)
        if self.sends or self.recvs:
            sends = [(q, np.ascontiguousarray(self._at(a, idx))) for q, idx in self.sends]
            recvs = [(q, np.empty((len(idx),) + rest, dtype=a.dtype)) for q, idx in self.recvs]
            self.patch.channel.exchange(sends, recvs, f"the one-way nesting{self.label}")
            for (q, idx), (_, data) in zip(self.recvs, recvs):
                buf[idx] = data
        return buf[self.index]
