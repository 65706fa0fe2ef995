"""A :class:`Grid` as ComIn's descriptive data: blocked by nproma, with ICON's index pairs."""
from __future__ import annotations

import uuid as _uuid
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from comin.hosts.emulator.grids.grid import Grid
from comin.icon.blocking import block, idx_blk, nblks
from comin.icon.points import KINDS


def child_ids(nest_of: np.ndarray, child_domain_id) -> np.ndarray:
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
    0, but -1 in ``decomp_domain`` as ICON's ``divide_patch`` sets it).
    ``start/end_index/block`` have one entry per refin_ctrl level ``min_rl..max_rl``.
    ``glb_index`` is the grid's (1..n for a whole grid) and ``decomp_domain``
    0 (one process owns everything), unless a rank's
    part of a decomposed domain is described: then ``grid`` is its local grid
    (:func:`comin.hosts.emulator.decomp.local_grid`), ``decomp_domain`` maps
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

    counts = {"cells": grid.ncells, "edges": grid.nedges, "verts": grid.nverts}
    dec = {k: np.zeros(n, i32) for k, n in counts.items()}
    dec.update({k: np.asarray(v, dtype=i32) for k, v in (decomp_domain or {}).items()})
    glob = {**counts, **(n_global or {})}
    # what only one kind of point has; then each kind's links (idx, blk pairs)
    extra = {
        "cells": dict(max_connectivity=3, num_edges=blk(np.full(grid.ncells, 3, i32)),
                      child_id=blk(child_ids(grid.child_nest_of_cell, child_domain_id)),
                      area=blk(grid.cell_area)),
        "edges": dict(child_id=blk(child_ids(grid.child_nest_of_edge, child_domain_id))),
        "verts": dict(num_edges=blk(grid.num_edges_of_vertex.astype(i32))),
    }
    links = {
        "cells": (("child", grid.child_cells), ("vertex", grid.vertex_of_cell),
                  ("neighbor", grid.neighbor_of_cell), ("edge", grid.edge_of_cell),
                  ("parent_glb", grid.parent_cell)),
        "edges": (("child", grid.child_edges), ("cell", grid.cells_of_edge),
                  ("vertex", grid.vertices_of_edge), ("parent_glb", grid.parent_edge)),
        "verts": (("neighbor", grid.vertices_of_vertex), ("cell", grid.cells_of_vertex),
                  ("edge", grid.edges_of_vertex)),
    }
    out: Dict[str, Any] = {}
    for kind in KINDS:
        g, n, sfx = kind.group, counts[kind.group], kind.suffix
        part: Dict[str, Any] = {
            kind.count: n, f"{kind.count}_global": glob[g], "nblks": nblks(n, nproma),
            "refin_ctrl": blk(getattr(grid, f"refin_{sfx}_ctrl").astype(i32)),
            **ranges(getattr(grid, f"start_idx_{sfx}"), getattr(grid, f"end_idx_{sfx}")),
            kind.lon: blk(getattr(grid, kind.lon)), kind.lat: blk(getattr(grid, kind.lat)),
            "glb_index": getattr(grid, f"glb_index_{sfx}").astype(i32),
            "decomp_domain": block(dec[g], nproma, fill=-1), **extra[g]}
        for name, src in links[g]:
            part[name + "_idx"], part[name + "_blk"] = pair(src)
        out[g] = part

    nblks_c = out["cells"]["nblks"]
    if hhl is None:
        levels = np.linspace(float(top_height), 0.0, nlev + 1)
        hhl = np.zeros((nproma, nlev + 1, nblks_c), order="F")
        mask = block(np.ones(grid.ncells, dtype=bool), nproma)      # (nproma, nblks)
        hhl[:] = levels[None, :, None]
        hhl *= mask[:, None, :]
    else:
        hhl = np.asfortranarray(hhl, dtype=np.float64)
        if hhl.shape != (nproma, nlev + 1, nblks_c):
            raise ValueError(f"hhl must have shape {(nproma, nlev + 1, nblks_c)}, got {hhl.shape}")
    out["cells"]["hhl"] = hhl

    grid_uuid = np.frombuffer(_uuid.UUID(grid.uuid).bytes, dtype=np.int8).copy()
    return dict(**out, grid_uuid=grid_uuid, nlev=int(nlev))


