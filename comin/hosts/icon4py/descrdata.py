"""ComIn's descriptive data from icon4py's grid, geometry and vertical grid.

icon4py stores a horizontal field as one flat (n, nlev) array, point index
fastest (Fortran order), with no nproma blocking.  That *is* ICON's
(nproma, nlev, nblks) layout with one block: the host declares
``nproma = ncells`` and puts every cell, edge and vertex in block 1.  Edge
and vertex arrays then have one block of ``nedges``/``nverts`` points (more
than nproma: ICON's arrays of those kinds would need several blocks, which
icon4py's contiguous fields cannot be viewed as without a copy), so every
(idx, blk) pair has ``blk = 1`` and ``idx`` is the 1-based point index, and
``(jb - 1) * nproma + jc`` still gives the point for all three kinds.

Where each field comes from:

* connectivity (``vertex_idx``, ``neighbor_idx``, ``edge_idx``, edges'
  ``cell_idx``/``vertex_idx``, vertices' ``neighbor_idx``/``cell_idx``/
  ``edge_idx``): icon4py's neighbour tables C2V, C2E2C, C2E, E2C, E2V,
  V2E2V, V2C, V2E (0-based, -1 where there is none) as ICON's 1-based
  (idx, blk) pairs, missing entries (0, 1);
* ``refin_ctrl``: icon4py's ``grid.refinement_control``;
* ``start_index``/``end_index``/``start_block``/``end_block``: one entry
  per refin_ctrl level (ICON's ``min_rl..max_rl``) from icon4py's zones
  (:func:`_zone_ranges`);
* ``clon``/``clat``, ``vlon``/``vlat``, ``elon``/``elat``: the grid
  manager's coordinates (radians); ``area``: icon4py's geometry factory;
* ``hhl``: icon4py's metrics ``vertical_coordinates_on_half_levels``
  (ICON's ``z_ifc``, with the Jablonowski–Williamson topography);
  ``vct_a``: icon4py's vertical grid.
"""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from comin.hosts.emulator import grids as gridmod      # ICON's refin_ctrl limits, blocking

_I32 = np.intc


def _blocked(values) -> np.ndarray:
    """Per-point values (n, ...) as ICON's (nproma, nblks, ...) with one block of n."""
    values = np.asarray(values)
    return gridmod.block(values, max(values.shape[0], 1))


def _pairs(table: np.ndarray):
    """icon4py's 0-based neighbour table (n, k), -1 = none -> ICON's (idx, blk) arrays
    (n, 1, k): the 1-based index in block 1, missing entries (0, 1)."""
    table = np.asarray(table)
    idx = np.where(table < 0, 0, table + 1).astype(_I32)
    return _blocked(idx), _blocked(np.ones_like(idx))


def _ranges(start: np.ndarray, end: np.ndarray, n: int) -> dict:
    """ICON's start/end (idx, blk) per refin_ctrl level for n points in one block
    (an empty range starts at n+1: index 1 of block 2, as ICON writes it)."""
    si, sb = gridmod.idx_blk(start, max(n, 1))
    ei, eb = gridmod.idx_blk(end, max(n, 1))
    return dict(start_index=si, end_index=ei, start_block=sb, end_block=eb)


def _zone_ranges(grid) -> Dict[str, tuple]:
    """ICON's start/end index arrays (1-based, one entry per refin_ctrl level min_rl..max_rl)
    from icon4py's zones.

    icon4py's zones are named entries of these very arrays (``Zone.INTERIOR``
    is ICON's refin level 0, ``Zone.LOCAL`` min_rl_int, the halo levels and
    lateral boundary rows ...).  A level icon4py has no zone for takes the
    range of the next level inward (halo levels of the halo, the levels
    between min_rl_int and 0 of the interior), which is what they hold on a
    grid without nests and halos.
    """
    from icon4py.model.common import dimension as dims
    from icon4py.model.common.grid import horizontal as h_grid
    out = {}
    for kind, dim in (("cells", dims.CellDim), ("edges", dims.EdgeDim), ("verts", dims.VertexDim)):
        lo, _lo_int, hi = gridmod.RL[kind]
        nslots = hi - lo + 1
        start = np.full(nslots, -1, np.int64)
        end = np.full(nslots, -1, np.int64)
        for zone in h_grid.Zone:
            try:
                slot = h_grid._map_zone_to_icon_array_index(dim, zone)
                domain = h_grid.domain(dim)(zone)
            except AssertionError:          # a zone this kind of point does not have
                continue
            start[slot] = int(grid.start_index(domain)) + 1      # 0-based [start, end) ->
            end[slot] = int(grid.end_index(domain))              # ICON's 1-based [start, end]
        for slot in range(nslots - 1, -1, -1):
            if start[slot] < 0:
                nxt = slot + 1 if slot + 1 < nslots else slot - 1
                start[slot], end[slot] = start[nxt], end[nxt]
        out[kind] = (start, end)
    return out


def host_array(field) -> np.ndarray:
    """The NumPy array of an icon4py (gt4py) field, or the array itself."""
    return np.asarray(field.ndarray if hasattr(field, "ndarray") else field)


_array = host_array


def global_data(*, ncells: int, vct_a: np.ndarray, revision: str) -> Dict[str, Any]:
    """Keyword arguments of ``Host.set_global``: one domain, ``nproma = ncells``."""
    return dict(
        n_dom=1, max_dom=1, nproma=int(ncells), wp=8,
        min_rlcell_int=gridmod.MIN_RLCELL_INT, min_rlcell=gridmod.MIN_RLCELL,
        max_rlcell=gridmod.MAX_RLCELL, min_rledge_int=gridmod.MIN_RLEDGE_INT,
        min_rledge=gridmod.MIN_RLEDGE, max_rledge=gridmod.MAX_RLEDGE,
        min_rlvert_int=gridmod.MIN_RLVERT_INT, min_rlvert=gridmod.MIN_RLVERT,
        max_rlvert=gridmod.MAX_RLVERT, grf_bdywidth_c=gridmod.GRF_BDYWIDTH_C,
        grf_bdywidth_e=gridmod.GRF_BDYWIDTH_E, lrestartrun=False,
        vct_a=np.asarray(vct_a, dtype=np.float64),
        yac_instance_id=-1, host_git_remote_url="https://github.com/C2SM/icon4py",
        host_git_branch="", host_git_tag="", host_revision=revision, has_device=False,
        device_name="", device_vendor="", device_driver="")


def domain_data(*, grid, grid_manager, geometry, metrics, grid_file, nlev: int,
                dom_end: float) -> Dict[str, Any]:
    """Keyword arguments of ``Host.set_domain(1, ...)`` from icon4py's objects.

    ``grid``: icon4py's IconGrid; ``grid_manager``: its GridManager (for the
    coordinates); ``geometry``/``metrics``: icon4py's static-field factories;
    ``grid_file``: the file the grid manager read.
    """
    from icon4py.model.common import dimension as dims
    from icon4py.model.common.grid import geometry_attributes as geom
    from icon4py.model.common.metrics import metrics_attributes as mattr

    nc, ne, nv = grid.num_cells, grid.num_edges, grid.num_vertices
    blk = _blocked

    def table(name: str) -> np.ndarray:
        return _array(grid.get_connectivity(name))

    def refin(dim) -> np.ndarray:
        field = (grid.refinement_control or {}).get(dim)
        n = {dims.CellDim: nc, dims.EdgeDim: ne, dims.VertexDim: nv}[dim]
        return blk(np.zeros(n, _I32) if field is None else _array(field).astype(_I32))

    coords = grid_manager.coordinates
    ranges = _zone_ranges(grid)
    z_ifc = _array(metrics.get(mattr.CELL_HEIGHT_ON_HALF_LEVEL))          # (ncells, nlev+1)
    hhl = np.asfortranarray(z_ifc.reshape(nc, nlev + 1, 1, order="F"))
    area = _array(geometry.get(geom.CELL_AREA))

    cells: Dict[str, Any] = dict(
        ncells=nc, ncells_global=nc, nblks=1, max_connectivity=3,
        num_edges=blk(np.full(nc, 3, _I32)), refin_ctrl=refin(dims.CellDim),
        **_ranges(*ranges["cells"], nc),
        child_id=blk(np.zeros(nc, _I32)),
        clon=blk(_array(coords[dims.CellDim]["lon"])), clat=blk(_array(coords[dims.CellDim]["lat"])),
        area=blk(area), hhl=hhl, glb_index=np.arange(1, nc + 1, dtype=_I32),
        decomp_domain=blk(np.zeros(nc, _I32)))
    for name, conn in (("vertex", "C2V"), ("neighbor", "C2E2C"), ("edge", "C2E")):
        cells[f"{name}_idx"], cells[f"{name}_blk"] = _pairs(table(conn))
    cells["child_idx"], cells["child_blk"] = _pairs(np.full((nc, 4), -1))
    cells["parent_glb_idx"], cells["parent_glb_blk"] = _pairs(np.full(nc, -1))

    edges: Dict[str, Any] = dict(
        nedges=ne, nedges_global=ne, nblks=1, refin_ctrl=refin(dims.EdgeDim),
        **_ranges(*ranges["edges"], ne),
        child_id=blk(np.zeros(ne, _I32)),
        elon=blk(_array(coords[dims.EdgeDim]["lon"])), elat=blk(_array(coords[dims.EdgeDim]["lat"])),
        glb_index=np.arange(1, ne + 1, dtype=_I32), decomp_domain=blk(np.zeros(ne, _I32)))
    for name, conn in (("cell", "E2C"), ("vertex", "E2V")):
        edges[f"{name}_idx"], edges[f"{name}_blk"] = _pairs(table(conn))
    edges["child_idx"], edges["child_blk"] = _pairs(np.full((ne, 4), -1))
    edges["parent_glb_idx"], edges["parent_glb_blk"] = _pairs(np.full(ne, -1))

    v2e = table("V2E")
    verts: Dict[str, Any] = dict(
        nverts=nv, nverts_global=nv, nblks=1, num_edges=blk((v2e >= 0).sum(axis=1).astype(_I32)),
        refin_ctrl=refin(dims.VertexDim), **_ranges(*ranges["verts"], nv),
        vlon=blk(_array(coords[dims.VertexDim]["lon"])),
        vlat=blk(_array(coords[dims.VertexDim]["lat"])),
        glb_index=np.arange(1, nv + 1, dtype=_I32), decomp_domain=blk(np.zeros(nv, _I32)))
    for name, conn in (("neighbor", "V2E2V"), ("cell", "V2C"), ("edge", "V2E")):
        verts[f"{name}_idx"], verts[f"{name}_blk"] = _pairs(table(conn))

    import uuid
    grid_uuid = np.frombuffer(uuid.UUID(str(grid.id)).bytes, dtype=np.int8).copy()
    return dict(cells=cells, edges=edges, verts=verts, grid_uuid=grid_uuid, nlev=int(nlev),
                grid_filename=str(grid_file), n_childdom=0, nshift=0, nshift_total=0,
                dom_start=0.0, dom_end=float(dom_end),
                number_of_grid_used=np.ones(1, dtype=np.intc))
