"""Conservative transport of air and tracers on ICON's triangular grid.

First-order upwind finite volumes in flux form, as ICON transports tracers:
the density ``rho`` moves with the mass fluxes of the flow, the tracers as
mass-weighted mixing ratios with the same fluxes (``rho q`` moves, ``q =
(rho q) / rho``).  So the total air mass ``sum(rho * area)`` and every total
tracer mass ``sum(rho * q * area)`` per level are conserved to round-off, a
uniform mixing ratio stays uniform, and a step never makes new extrema.

The volume flux through an edge (per metre of height) is the difference of
the stream function at the edge's two vertices, so the discrete divergence
of every cell is exactly zero.  Edges with one cell only (the lateral
boundary of a limited-area domain or a nest, the outer rim of a rank's halo)
carry no flux; the boundary rows get their values from outside (analytic
data, the parent domain) and the halo from its owners.  When a cell would
lose more than :data:`COURANT_LIMIT` of its mass in one step the step is
split into equal sub-steps.

The work is one compiled loop per sub-step on the host's own arrays
(:func:`comin.hosts.emulator._kernels.upwind_substep`): nothing of the size of
a field is allocated or copied.
"""
from __future__ import annotations

import math
import numpy as np

from comin.hosts.emulator._kernels import upwind_substep
from comin.hosts.emulator.atmosphere import RADIUS
from comin.hosts.emulator.grids.grid import Grid, xyz

#: the largest fraction of its mass a cell may lose in one sub-step
COURANT_LIMIT = 0.9
#: blocks whose old values the transport keeps while it updates the arrays in place,
#: RING_AHEAD of them not yet updated (the few cells with neighbours further on are
#: kept on their own)
RING_BLOCKS, RING_AHEAD = 68, 4


class UpwindTransport:
    """Transport operator of one domain's grid (built once; fluxes change every step).

    ``grid``: the domain's grid in the host's order (on a decomposed domain the
    rank's local grid, halo included); ``nproma``: the host's blocking.  Sums run
    per cell over its edges in the grid's order, so the owned cells of a rank get
    the single-process results bit for bit; halo cells are refreshed from their
    owners after every sub-step (:meth:`parallel`).
    """

    def __init__(self, grid: Grid, nproma: int):
        c = grid.cells_of_edge.astype(np.int64) - 1               # 0-based, -1: none
        interior = (c[:, 0] >= 0) & (c[:, 1] >= 0)
        self.interior = interior
        self.edges = np.nonzero(interior)[0]
        self.c1, self.c2 = c[:, 0], c[:, 1]
        v = grid.vertices_of_edge[:, :2].astype(np.int64) - 1
        cell_xyz = xyz(grid.clon, grid.clat)
        vert_xyz = xyz(grid.vlon, grid.vlat)
        mid = vert_xyz[v[:, 0]] + vert_xyz[v[:, 1]]
        mid /= np.linalg.norm(mid, axis=1)[:, None]
        c2 = np.where(interior, self.c2, self.c1)
        normal = cell_xyz[c2] - cell_xyz[self.c1]                 # from cell 1 to cell 2
        tangent = np.cross(normal, mid)                            # flux = psi(end) - psi(start)
        forward = np.einsum("ij,ij->i", vert_xyz[v[:, 1]] - vert_xyz[v[:, 0]], tangent) > 0
        self.v_start = np.where(forward, v[:, 0], v[:, 1])
        self.v_end = np.where(forward, v[:, 1], v[:, 0])
        cosang = np.clip(np.einsum("ij,ij->i", vert_xyz[v[:, 0]], vert_xyz[v[:, 1]]), -1.0, 1.0)
        self.length = RADIUS * np.arccos(cosang)                   # edge length [m]
        self.area = np.asarray(grid.cell_area, dtype=float)        # cell area [m^2]
        self.inv_area = 1.0 / self.area
        self.ncells, self.nproma = grid.ncells, nproma
        self.vlon, self.vlat = grid.vlon, grid.vlat
        # each cell's edges, and whether the flux of an edge (cell 1 -> 2) enters (+1) or leaves it
        eoc = grid.edge_of_cell.astype(np.int64) - 1
        self.cell_edge = np.ascontiguousarray(eoc)
        first = self.c1[np.maximum(eoc, 0)] == np.arange(grid.ncells)[:, None]
        ok = (eoc >= 0) & interior[np.maximum(eoc, 0)]
        self.cell_sign = np.ascontiguousarray(np.where(ok, np.where(first, -1.0, 1.0), 0.0))
        # cells whose neighbours lie further on than the ring reaches back: their old values are
        # kept on their own (the ring of recent blocks does not hold them any more)
        other = np.where(self.cell_sign > 0, self.c1[np.maximum(eoc, 0)],
                         np.where(self.cell_sign < 0, self.c2[np.maximum(eoc, 0)], -1))
        self.neighbour = np.ascontiguousarray(np.maximum(other, 0))   # the cell beyond each edge
        block = np.arange(grid.ncells) // nproma
        # the last block that needs a cell: its neighbours' (neighbourhood is symmetric)
        last = np.maximum(block, np.where(other >= 0, block[np.maximum(other, 0)], -1).max(axis=1))
        nblks = max(-(-grid.ncells // nproma), 1)
        self.ring_blocks = min(RING_BLOCKS, nblks)          # no more blocks than there are
        self.ring_ahead = min(RING_AHEAD, self.ring_blocks - 1)
        behind = self.ring_blocks - self.ring_ahead - 1
        self.far_cells = np.flatnonzero(last - block > behind).astype(np.int64)
        self.far_index = np.full(grid.ncells, -1, dtype=np.int64)
        self.far_index[self.far_cells] = np.arange(len(self.far_cells))
        self.halo = None
        self.comm = None
        self.label = ""
        self._work = None

    def parallel(self, halo, channel, label: str = "") -> None:
        """Run on one rank of a decomposed domain: ``halo``, a :class:`comin.icon.halo.Halo`
        of the cells (the host's local order); ``channel``: the emulator's
        :class:`comin.icon.halo.Channel` (the Courant number is a global maximum, so
        every rank sub-steps alike); ``label`` names the domain in reports."""
        self.halo, self.comm, self.label = halo, channel, label

    def fluxes(self, psi_vertices: np.ndarray) -> np.ndarray:
        """Volume flux per metre of height [m^2/s] through every edge, cell 1 -> cell 2
        (0 through an edge with one cell)."""
        flux = psi_vertices[self.v_end] - psi_vertices[self.v_start]
        flux[~self.interior] = 0.0
        return flux

    def normal_wind(self, flux: np.ndarray) -> np.ndarray:
        """Normal wind [m/s] of the edges from their fluxes."""
        return flux / self.length

    def courant(self, flux: np.ndarray, dt: float) -> float:
        """Largest fraction of a cell's content leaving it in one step."""
        local = 0.0
        if len(flux):
            up = np.where(flux > 0, self.c1, np.maximum(self.c2, 0))
            out = np.bincount(up, weights=np.abs(flux) * dt, minlength=self.ncells)[: self.ncells]
            local = float((out / self.area).max(initial=0.0))
        if self.comm is None:
            return local
        # halo cells miss edges beyond the halo, so theirs is never too large: the
        # maximum over all ranks is the single-process one
        return self.comm.allreduce_max(local, f"the Courant number of the transport{self.label}")

    def substeps(self, flux: np.ndarray, dt: float, level_factor: np.ndarray) -> int:
        """Sub-steps that keep every cell's outflow below :data:`COURANT_LIMIT` of its mass."""
        c = self.courant(flux, dt) * float(np.max(level_factor))
        return max(1, math.ceil(c / COURANT_LIMIT))

    def advect(self, rho: np.ndarray, q: np.ndarray, flux: np.ndarray, dt: float,
               level_factor: np.ndarray) -> int:
        """Advance the density ``rho`` (nproma, nlev, nblks) and the tracers ``q`` (nproma,
        nlev, nblks, ntracers) -- the host's own Fortran-ordered arrays -- by ``dt`` in
        place; returns the sub-steps used.  ``level_factor`` scales the flux per level
        (the wind's vertical profile)."""
        nsub = self.substeps(flux, dt, level_factor)
        nq, nlev = 1 + q.shape[3], q.shape[1]
        shape = (self.ring_blocks, nq, nlev, self.nproma)
        if self._work is None or self._work[0].shape != shape:
            self._work = (np.empty(shape), np.empty((len(self.far_cells), nq, nlev)),
                          np.empty((nq, self.nproma)))
        factor = np.ascontiguousarray(level_factor, dtype=float)
        ring, far, acc = self._work
        for _ in range(nsub):
            upwind_substep(rho.T, q.T, flux, dt / nsub, self.cell_edge, self.cell_sign,
                           self.neighbour, self.inv_area, factor, ring, self.ring_ahead, self.far_cells,
                           self.far_index, far, acc, self.ncells)
            if self.halo is not None:
                what = f"the halo exchange of the transport{self.label}"
                self.halo.exchange_blocked(rho, 0, 2, what)
                self.halo.exchange_blocked(q, 0, 2, what)
        return nsub
