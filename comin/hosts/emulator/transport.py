"""Conservative tracer transport on ICON's triangular grid.

First-order upwind finite volumes.  The volume flux through an edge (per
metre of height) is the difference of the stream function at the edge's
two vertices, so the discrete divergence of every cell is exactly zero: a
uniform tracer stays uniform, and the update only moves mass between
neighbouring cells, so the total ``sum(q * area)`` is conserved to
round-off.  Edges on the outer boundary of a limited-area domain carry no
flux (a closed boundary).  When the Courant number of a step exceeds 1/2
the step is split into equal sub-steps, which keeps the scheme positive.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from comin.hosts.emulator.atmosphere import RADIUS
from comin.hosts.emulator.grids.grid import Grid, xyz


class UpwindTransport:
    """Transport operator of one domain's grid (built once; fluxes change every step).

    On a decomposed domain (:meth:`parallel`) ``grid`` is the rank's patch in
    *global-index order* (owned and halo cells sorted by global index): each
    owned cell's row of the operator then holds the same terms in the same
    order as in the single-process run, so owned cells get bit-identical
    results; halo cells are refreshed from their owners after every sub-step.
    """

    def __init__(self, grid: Grid):
        c = grid.cells_of_edge.astype(np.int64) - 1           # 0-based, -1: none
        interior = (c[:, 0] >= 0) & (c[:, 1] >= 0)
        self.edges = np.nonzero(interior)[0]
        self.c1, self.c2 = c[interior, 0], c[interior, 1]
        v = grid.vertices_of_edge[interior, :2].astype(np.int64) - 1
        cell_xyz = xyz(grid.clon, grid.clat)
        vert_xyz = xyz(grid.vlon, grid.vlat)
        mid = vert_xyz[v[:, 0]] + vert_xyz[v[:, 1]]
        mid /= np.linalg.norm(mid, axis=1)[:, None]
        normal = cell_xyz[self.c2] - cell_xyz[self.c1]           # from cell 1 to cell 2
        tangent = np.cross(normal, mid)                          # flux = psi(end) - psi(start) along it
        forward = np.einsum("ij,ij->i", vert_xyz[v[:, 1]] - vert_xyz[v[:, 0]], tangent) > 0
        self.v_start = np.where(forward, v[:, 0], v[:, 1])
        self.v_end = np.where(forward, v[:, 1], v[:, 0])
        cosang = np.clip(np.einsum("ij,ij->i", vert_xyz[v[:, 0]], vert_xyz[v[:, 1]]), -1.0, 1.0)
        self.length = RADIUS * np.arccos(cosang)                 # edge length [m]
        self.area = np.asarray(grid.cell_area, dtype=float)      # cell area [m^2]
        self.ncells = grid.ncells
        self.vlon, self.vlat = grid.vlon, grid.vlat
        self.perm = None          # parallel: cell positions of the host's layout, in our order
        self.halo = None
        self.comm = None

    def parallel(self, perm: np.ndarray, halo, channel, label: str = "") -> None:
        """Run on one rank of a decomposed domain.

        ``perm[i]``: position in the host's (ICON-ordered, blocked) arrays of
        this operator's cell ``i``; ``halo``: a :class:`comin.icon.halo.Halo`
        of cells in the host's order; ``channel``: the emulator's
        :class:`comin.icon.halo.Channel` (the Courant number is a global
        maximum, so every rank sub-steps alike); ``label`` names the domain in reports.
        """
        self.perm, self.halo, self.comm = np.asarray(perm, dtype=np.int64), halo, channel
        self.where = np.empty_like(self.perm)
        self.where[self.perm] = np.arange(len(self.perm))
        self.label = label

    def _in_host_order(self, op: sp.csr_matrix) -> sp.csr_matrix:
        """``op`` with rows and columns relabelled to the host's cell positions.

        Each row keeps its entries in the same order (no re-sorting), so the
        sparse product sums every row's terms exactly as before: the results
        are bit-identical, without copying the tracers into another order.
        """
        lens = np.diff(op.indptr)[self.where]
        indptr = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=indptr[1:])
        take = np.repeat(op.indptr[self.where] - indptr[:-1], lens) + np.arange(indptr[-1])
        return sp.csr_matrix((op.data[take], self.perm[op.indices[take]], indptr), shape=op.shape)

    def fluxes(self, psi_vertices: np.ndarray) -> np.ndarray:
        """Volume flux per metre of height [m^2/s] through each interior edge, cell 1 -> cell 2."""
        return psi_vertices[self.v_end] - psi_vertices[self.v_start]

    def normal_wind(self, flux: np.ndarray) -> np.ndarray:
        """Normal wind [m/s] of interior edges from their fluxes."""
        return flux / self.length

    def courant(self, flux: np.ndarray, dt: float) -> float:
        """Largest fraction of a cell's content leaving it in one step."""
        local = 0.0
        if len(flux):
            out = np.bincount(np.where(flux > 0, self.c1, self.c2), weights=np.abs(flux) * dt,
                              minlength=self.ncells)
            local = float((out / self.area).max())
        if self.comm is None:
            return local
        # halo cells miss edges beyond the halo, so theirs is never too large: the
        # maximum over all ranks is the single-process one
        return self.comm.allreduce_max(local, f"the Courant number of the transport{self.label}")

    def operator(self, flux: np.ndarray, dt: float) -> sp.csr_matrix:
        """Sparse cell-to-cell change of one upwind step: ``q += operator @ q``."""
        up = np.where(flux > 0, self.c1, self.c2)
        moved = flux * dt
        rows = np.concatenate([self.c1, self.c2])
        cols = np.concatenate([up, up])
        vals = np.concatenate([-moved / self.area[self.c1], moved / self.area[self.c2]])
        return sp.csr_matrix((vals, (rows, cols)), shape=(self.ncells, self.ncells))

    def advect(self, q: np.ndarray, flux: np.ndarray, dt: float, level_factor: np.ndarray) -> int:
        """Advance the blocked tracers ``q`` by ``dt`` in place; returns the sub-steps used.

        ``q``: ICON's container layout (nproma, nlev, nblks, ntracers), the
        host's own array.  It is copied once into a work array where each
        (level, tracer) field is a contiguous vector, updated with one sparse
        operator, and copied back.
        ``level_factor`` scales the flux per level (the wind's vertical profile).
        """
        nproma, nlev, nblks, ntr = q.shape
        if q.size == 0 or (len(flux) == 0 and self.comm is None):
            return 0
        nsub = max(1, math.ceil(2.0 * self.courant(flux, dt) * float(np.max(level_factor))))
        # work array (level, tracer, block, jc): every copy moves whole nproma runs, and
        # every (level, tracer) field is one contiguous vector for the sparse update
        work = np.empty((nlev, ntr, nblks, nproma))
        np.copyto(work, q.transpose(1, 3, 2, 0))
        fields = work.reshape(nlev, ntr, nblks * nproma)
        op = self.operator(flux, dt / nsub)
        if self.perm is not None:
            op = self._in_host_order(op)
        for _ in range(nsub):
            for k in range(nlev):
                factor = float(level_factor[k])
                for t in range(ntr):
                    cells = fields[k, t, : self.ncells]
                    change = op @ cells
                    change *= factor
                    cells += change
            if self.halo is not None:
                self.halo.exchange_last(fields, f"the halo exchange of the transport{self.label}")
        np.copyto(q.transpose(1, 3, 2, 0), work)
        return nsub
