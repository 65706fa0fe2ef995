# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The emulator's inner loops, on the host's own arrays in ICON's layout.

Every kernel works in place on the arrays the emulator exposes to plugins:
a 3-D field (nproma, nlev, nblks) in Fortran order is seen here as its
C-ordered transpose ``(nblks, nlev, nproma)`` (``a.T``), the tracer container
(nproma, nlev, nblks, ntracers) as ``(ntracers, nblks, nlev, nproma)``.  No
kernel allocates anything of the fields' size: that is what keeps a
production-size run (R2B6, 90 levels) within its memory and time.

Cell ``c`` (0-based position in the domain's local order) sits at block
``c // nproma``, index ``c % nproma``.  The sums of one cell always run over
its edges in the order of ``edge_of_cell``, so a rank of a decomposed domain
(whose local grid keeps that order) gets the single-process results bit for
bit.
"""


def upwind_substep(double[:, :, ::1] rho, double[:, :, :, ::1] q,
                   const long[::1] up_b, const long[::1] up_j, const double[::1] coef,
                   const long[:, ::1] cell_edge, const double[:, ::1] cell_sign,
                   const double[::1] inv_area, const double[::1] level_factor,
                   double[:, ::1] work, Py_ssize_t ncells):
    """One first-order upwind step of the density and the tracers, in flux form.

    Edge ``e`` moves the air mass ``M = coef[e] * level_factor[k] * rho[up]``
    per unit height from its first cell to its second (``coef``: volume flux times
    the step, signed; 0 for an edge without two cells) and the tracer mass ``M *
    q[up]``, ``up`` = (``up_b[e]``, ``up_j[e]``) its upwind cell.  Cell ``c``
    receives ``cell_sign[c, i]`` (+1: its second cell, -1: its first, 0: no edge)
    times the masses of its edges ``cell_edge[c, i]`` (-1: none) divided by its
    area; the mixing ratios become ``(rho q + dm) / (rho + dM)``.  So the total
    air and tracer masses are kept to round-off, a uniform mixing ratio stays
    uniform, and every new ratio is a mixture of old ones (no new extrema) while
    the outflow of a cell stays below its mass.  ``work`` (nedges, 1 + ntracers)
    is scratch space.
    """
    cdef Py_ssize_t nblks = rho.shape[0], nlev = rho.shape[1], nproma = rho.shape[2]
    cdef Py_ssize_t ntr = q.shape[0], nedges = coef.shape[0]
    cdef Py_ssize_t k, e, t, b, j, c, i, ed, ub, uj
    cdef double f, m, mass, r_old, r_new, dr, dq, s, inv
    with nogil:
        for k in range(nlev):
            f = level_factor[k]
            for e in range(nedges):
                m = coef[e] * f
                ub = up_b[e]
                uj = up_j[e]
                mass = m * rho[ub, k, uj]
                work[e, 0] = mass
                for t in range(ntr):
                    work[e, 1 + t] = mass * q[t, ub, k, uj]
            c = 0
            for b in range(nblks):
                for j in range(nproma):
                    if c >= ncells:
                        break
                    dr = 0.0
                    for i in range(3):
                        ed = cell_edge[c, i]
                        if ed >= 0:
                            dr = dr + cell_sign[c, i] * work[ed, 0]
                    inv = inv_area[c]
                    r_old = rho[b, k, j]
                    r_new = r_old + dr * inv
                    rho[b, k, j] = r_new
                    for t in range(ntr):
                        dq = 0.0
                        for i in range(3):
                            ed = cell_edge[c, i]
                            if ed >= 0:
                                dq = dq + cell_sign[c, i] * work[ed, 1 + t]
                        q[t, b, k, j] = (r_old * q[t, b, k, j] + dq * inv) / r_new
                    c = c + 1


def saturation_adjust(double[:, :, ::1] qv, double[:, :, ::1] qc, const double[::1] qsat_level,
                      const double[:, ::1] qsat_column, double rate):
    """Condensation: ``rate`` of the water vapour above saturation becomes cloud water.

    Saturation is ``qsat_level[k] * qsat_column[b, j]`` (a profile times a
    pattern); ``qv``, ``qc``: (nblks, nlev, nproma).  Each level keeps qv + qc.
    """
    cdef Py_ssize_t nblks = qv.shape[0], nlev = qv.shape[1], nproma = qv.shape[2]
    cdef Py_ssize_t b, k, j
    cdef double x, sk
    with nogil:
        for b in range(nblks):
            for k in range(nlev):
                sk = qsat_level[k]
                for j in range(nproma):
                    x = qv[b, k, j] - sk * qsat_column[b, j]
                    if x > 0.0:
                        x = x * rate
                        qv[b, k, j] = qv[b, k, j] - x
                        qc[b, k, j] = qc[b, k, j] + x


def mix_levels(double[:, :, :, ::1] q, const double[:, :, ::1] rho, Py_ssize_t k0, double rate,
               double[::1] flux):
    """Turbulent mixing of the tracers ``q`` between neighbouring levels ``k0..nlev-1``.

    Each interface exchanges the mass ``rate * (q[k+1] - q[k]) * h`` with
    ``h = rho[k] rho[k+1] / (rho[k] + rho[k+1])`` (all interfaces from the old
    values), so every column keeps ``sum(rho q)`` and the difference across an
    interface shrinks by ``rate``.  ``flux`` (nlev): scratch.
    """
    cdef Py_ssize_t ntr = q.shape[0], nblks = q.shape[1], nlev = q.shape[2], nproma = q.shape[3]
    cdef Py_ssize_t t, b, j, k
    cdef double r0, r1
    if nlev - k0 < 2:
        return
    with nogil:
        for t in range(ntr):
            for b in range(nblks):
                for j in range(nproma):
                    for k in range(k0, nlev - 1):
                        r0 = rho[b, k, j]
                        r1 = rho[b, k + 1, j]
                        flux[k] = rate * (q[t, b, k + 1, j] - q[t, b, k, j]) * (r0 * r1 / (r0 + r1))
                    for k in range(k0, nlev - 1):
                        q[t, b, k, j] = q[t, b, k, j] + flux[k] / rho[b, k, j]
                        q[t, b, k + 1, j] = q[t, b, k + 1, j] - flux[k] / rho[b, k + 1, j]


def convect(double[:, :, :, ::1] q, const double[:, :, ::1] rho, Py_ssize_t top, double fraction):
    """Convection: ``fraction`` of the lowest level's tracer mass rises and is spread evenly
    (in mass) over the levels ``top..nlev-2``; every column keeps ``sum(rho q)``."""
    cdef Py_ssize_t ntr = q.shape[0], nblks = q.shape[1], nlev = q.shape[2], nproma = q.shape[3]
    cdef Py_ssize_t t, b, j, k, bottom = nlev - 1
    cdef double lifted, share
    if nlev < 2 or top >= bottom:
        return
    with nogil:
        for t in range(ntr):
            for b in range(nblks):
                for j in range(nproma):
                    lifted = fraction * q[t, b, bottom, j]
                    q[t, b, bottom, j] = q[t, b, bottom, j] - lifted
                    share = lifted * rho[b, bottom, j] / (bottom - top)
                    for k in range(top, bottom):
                        q[t, b, k, j] = q[t, b, k, j] + share / rho[b, k, j]
