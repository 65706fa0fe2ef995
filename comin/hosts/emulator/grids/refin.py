"""ICON's refin_ctrl ordering: which points come first, the ranges of each level, and the
negative levels a parent domain gives the points its nests overlap.

ICON keeps the points of a domain sorted by their ``refin_ctrl`` level, in this
*memory order* (cells; edges and vertices alike with their own bounds)::

    1, 2, ..., max_rl      lateral boundary rows (a limited-area grid or a nest),
                           counted from the boundary inwards
    0                      the interior, and rows deeper than max_rl
    -1, -2, ..., min_rl_int  points of a parent domain that overlap a nest
                           (-1 over the nest's outermost rows, min_rl_int deepest)
    min_rl_int-1 .. min_rl   halo rows of a decomposed domain (see ``decomp``)

``start_idx``/``end_idx`` give each level's first and last point (1-based);
an empty level gets ``start = end + 1`` at the place it would take in that
order (so ICON's loops over a range of levels never visit it).

A parent domain's levels (ICON's grid generator writes those of cells into
the parent's grid file; ICON's ``set_parent_refin_ev_ctrl`` derives those of
edges and vertices when it reads the grids):

* a cell whose children are in the nest's boundary rows r gets
  ``-(r+1)//2`` (rows 1-2: -1, the boundary interpolation zone ICON fills
  from the parent, ``grf_bdyintp_start_c..end_c``; rows 3-4: -2; rows 5-6:
  -3, where feedback starts, ``grf_fbk_start_c``), deeper ones -4
  (``min_rlcell_int``); cells without children keep a positive row (a
  limited-area parent) or get 0;
* an edge gets the sum of its two cells' levels (twice its one cell's at
  the outer boundary, which keeps 1; the sum of the non-positive ones where
  a boundary row meets the interior), an outer boundary edge of a -1 cell
  -1;
* a vertex gets the lowest negative level of its cells, or keeps its own.

:func:`order_domains` gives every parent domain of a run these levels and
sorts its points into memory order, renumbering every link (its own, its
nests' parent indices, its parent's child indices).
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from comin.hosts.emulator.grids.grid import ARRAY_FIELDS, RL, Grid

#: which point kind the index *values* of a Grid field refer to (same domain)
INDEX_OF = {
    "vertex_of_cell": "v", "edge_of_cell": "e", "neighbor_of_cell": "c",
    "cells_of_edge": "c", "vertices_of_edge": "v", "cells_of_vertex": "c",
    "edges_of_vertex": "e", "vertices_of_vertex": "v",
}
#: point kind letter -> the descriptive-data group and the grid's field suffix
KIND = {"c": "cells", "e": "edges", "v": "verts"}


def memory_order(kind: str) -> List[int]:
    """The refin_ctrl levels of ``kind`` ("cells", "edges", "verts") in ICON's memory order."""
    min_rl, min_rl_int, max_rl = RL[kind]
    return list(range(1, max_rl + 1)) + [0] + list(range(-1, min_rl - 1, -1))


def level_of(refin: np.ndarray, kind: str) -> np.ndarray:
    """The level (slot) of each point: its refin_ctrl, 0 for rows deeper than max_rl.

    Raises ValueError for values below min_rl_int (halo levels have no place in a grid
    file or a whole domain)."""
    min_rl, min_rl_int, max_rl = RL[kind]
    refin = np.asarray(refin)
    if refin.size and refin.min() < min_rl_int:
        raise ValueError(f"refin_ctrl value {int(refin.min())} is below {min_rl_int} "
                         f"(min_rl_int of {kind})")
    return np.where(refin > max_rl, 0, refin)


def rank_of(refin: np.ndarray, kind: str) -> np.ndarray:
    """Position of each point's level in :func:`memory_order` (sorting by it orders the points)."""
    min_rl, _, max_rl = RL[kind]
    order = memory_order(kind)
    lut = np.empty(max_rl - min_rl + 1, dtype=np.int64)
    lut[np.array(order) - min_rl] = np.arange(len(order))
    return lut[level_of(refin, kind) - min_rl]


def is_ordered(refin: np.ndarray, kind: str) -> bool:
    """Whether the points are in ICON's memory order of their levels."""
    r = rank_of(refin, kind)
    return bool(np.all(r[1:] >= r[:-1]))


def ranges(refin: np.ndarray, kind: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(start_idx, end_idx)`` (1-based, one entry per level min_rl..max_rl) of points that
    are in memory order (:func:`is_ordered`)."""
    min_rl, _, max_rl = RL[kind]
    levels = level_of(refin, kind)
    counts = np.bincount(levels - min_rl, minlength=max_rl - min_rl + 1)
    start = np.zeros(max_rl - min_rl + 1, dtype=np.int32)
    end = np.zeros_like(start)
    first = 1
    for lev in memory_order(kind):
        n = int(counts[lev - min_rl])
        start[lev - min_rl], end[lev - min_rl] = first, first + n - 1
        first += n
    return start, end


def range_problem(refin: np.ndarray, start: np.ndarray, end: np.ndarray, kind: str) -> Optional[str]:
    """Why ``start``/``end`` do not describe ``refin`` in memory order (None: they do).

    Levels with points must match exactly; an empty level only needs ``start > end``."""
    try:
        if not is_ordered(refin, kind):
            return "the points are not sorted by their refin_ctrl level in ICON's order"
        want_s, want_e = ranges(refin, kind)
    except ValueError as exc:
        return str(exc)
    min_rl = RL[kind][0]
    for k in range(len(want_s)):
        if want_e[k] >= want_s[k]:
            if (start[k], end[k]) != (want_s[k], want_e[k]):
                return (f"level {k + min_rl} holds points {want_s[k]}..{want_e[k]} but the ranges "
                        f"say {int(start[k])}..{int(end[k])}")
        elif start[k] <= end[k]:
            return f"level {k + min_rl} has no points but the range {int(start[k])}..{int(end[k])}"
    return None


# -- a parent's levels ---------------------------------------------------------------------

def parent_cell_levels(parent: Grid, nests: Sequence[Grid]) -> np.ndarray:
    """refin_c_ctrl of a parent: negative over its nests (see the module docstring)."""
    min_int = RL["cells"][1]
    refin = np.where(parent.refin_c_ctrl > 0, parent.refin_c_ctrl, 0).astype(np.int32)
    for n, nest in enumerate(nests, start=1):
        mine = np.flatnonzero(parent.child_nest_of_cell == n)
        if not mine.size:
            continue
        kids = parent.child_cells[mine]                          # (m, 4) 1-based
        rows = nest.refin_c_ctrl[np.maximum(kids, 1) - 1]
        rows = np.where((kids > 0) & (rows > 0), rows, np.iinfo(np.int32).max)
        row = rows.min(axis=1).astype(np.int64)
        level = np.where(row < np.iinfo(np.int32).max, -np.minimum((row + 1) // 2, -min_int), min_int)
        refin[mine] = level
    return refin


def parent_edge_levels(grid: Grid, cell_refin: np.ndarray) -> np.ndarray:
    """refin_e_ctrl of a parent from its cells' levels (ICON's set_parent_refin_ev_ctrl)."""
    c = grid.cells_of_edge.astype(np.int64)
    r1 = cell_refin[np.maximum(c[:, 0], 1) - 1].astype(np.int64)
    has2 = c[:, 1] > 0
    r2 = np.where(has2, cell_refin[np.maximum(c[:, 1], 1) - 1], 0).astype(np.int64)
    across = (r1 - 1) * (r2 - 1) < 0
    refin = np.where(~has2, 2 * r1,
                     np.where(across, np.minimum(r1, 0) + np.minimum(r2, 0), r1 + r2))
    refin = np.where(grid.refin_e_ctrl == 1, 1, refin)
    refin = np.where(~has2 & (r1 == -1), -1, refin)              # outer boundary of a -1 cell
    return refin.astype(np.int32)


def parent_vertex_levels(grid: Grid, cell_refin: np.ndarray) -> np.ndarray:
    """refin_v_ctrl of a parent: the lowest negative level of its cells, else its own."""
    cv = grid.cells_of_vertex.astype(np.int64)
    r = np.where(cv > 0, cell_refin[np.maximum(cv, 1) - 1], 0)
    r = np.where(r <= 0, r, 0).min(axis=1)
    return np.where(r < 0, r, grid.refin_v_ctrl).astype(np.int32)


# -- renumbering ---------------------------------------------------------------------------

def _inverse(order: np.ndarray) -> np.ndarray:
    """old 1-based index -> new 1-based index (entry 0 stays 0) of a permutation ``order``
    (``order[new] = old``, 0-based)."""
    inv = np.zeros(len(order) + 1, dtype=np.int32)
    inv[order + 1] = np.arange(1, len(order) + 1, dtype=np.int32)
    return inv


def renumber(grid: Grid, order: Dict[str, np.ndarray]) -> Tuple[Grid, Dict[str, np.ndarray]]:
    """``grid`` with its points in a new order: ``order["c"|"e"|"v"][new] = old`` (0-based).

    Every per-point array is permuted and every index value into this grid remapped;
    ``start_idx``/``end_idx`` are recomputed (the new order must be ICON's memory order).
    Returns the new grid and the old->new lookup tables (1-based, entry 0 = 0), which
    the caller applies to links from other domains into this one.
    """
    inv = {k: _inverse(np.asarray(o, dtype=np.int64)) for k, o in order.items()}
    kw = {}
    for name, (_dtype, _trailing, kind) in ARRAY_FIELDS.items():
        if kind is None or name.startswith("glb_index"):
            continue
        a = getattr(grid, name)[order[kind]]
        target = INDEX_OF.get(name)
        if target is not None:
            a = inv[target][a]
        kw[name] = np.ascontiguousarray(a)
    for k, group in KIND.items():
        kw[f"start_idx_{k}"], kw[f"end_idx_{k}"] = ranges(kw[f"refin_{k}_ctrl"], group)
    return dataclasses.replace(grid, source=None, **kw), inv


def order_domains(grids: List[Grid], parents: Sequence[int]) -> List[Grid]:
    """Give every parent domain ICON's negative levels over its nests and sort its points.

    ``grids[i]``: domain i+1, its nests attached in domain order (nest number n is
    its n-th child); ``parents[i]``: the 0-based index of domain i+1's parent (-1 for
    domain 1).  Grids whose levels and order already agree (a grid file written that
    way) stay as they are.  Returns the new list.
    """
    grids = list(grids)
    children = {i: [j for j in range(len(grids)) if parents[j] == i] for i in range(len(grids))}
    for i in range(len(grids)):
        kids = children[i]
        if not kids:
            continue
        g = grids[i]
        cells = parent_cell_levels(g, [grids[j] for j in kids])
        edges = parent_edge_levels(g, cells)
        verts = parent_vertex_levels(g, cells)
        g = dataclasses.replace(g, refin_c_ctrl=cells, refin_e_ctrl=edges, refin_v_ctrl=verts)
        order = {k: np.argsort(rank_of(getattr(g, f"refin_{k}_ctrl"), KIND[k]), kind="stable")
                 for k in KIND}
        if all(np.array_equal(o, np.arange(len(o))) for o in order.values()):
            for k, group in KIND.items():
                s, e = ranges(getattr(g, f"refin_{k}_ctrl"), group)
                g = dataclasses.replace(g, **{f"start_idx_{k}": s, f"end_idx_{k}": e})
            if not all(np.array_equal(getattr(g, n), getattr(grids[i], n)) for n in
                       ("refin_c_ctrl", "refin_e_ctrl", "refin_v_ctrl", "start_idx_c",
                        "end_idx_c", "start_idx_e", "end_idx_e", "start_idx_v", "end_idx_v")):
                g = dataclasses.replace(g, source=None)
            grids[i] = g
            continue
        g, inv = renumber(g, order)
        grids[i] = g
        for j in kids:                           # the nests' parent indices point into g
            grids[j] = dataclasses.replace(grids[j], parent_cell=inv["c"][grids[j].parent_cell],
                                           parent_edge=inv["e"][grids[j].parent_edge], source=None)
        p = parents[i]
        if p >= 0:                                # the parent's child indices of this nest
            pg = grids[p]
            n = children[p].index(i) + 1
            cc = np.where(pg.child_nest_of_cell[:, None] == n, inv["c"][pg.child_cells], pg.child_cells)
            ce = np.where(pg.child_nest_of_edge[:, None] == n, inv["e"][pg.child_edges], pg.child_edges)
            grids[p] = dataclasses.replace(pg, child_cells=cc.astype(np.int32),
                                           child_edges=ce.astype(np.int32))
    return grids
