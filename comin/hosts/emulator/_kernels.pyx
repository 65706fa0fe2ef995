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
import numpy as np

from libc.stdlib cimport free, malloc

cdef extern from *:
    """
    #if defined(__GNUC__)
    #define comin_prefetch(p) __builtin_prefetch((p), 0, 3)
    #else
    #define comin_prefetch(p) ((void)0)
    #endif
    """
    void comin_prefetch(const void* p) nogil

cdef extern from *:
    """
    /* Rows of fields written once per step and not read back soon: with SSE2, streaming
       stores (no read of the old cache lines, ~half the memory traffic of plain stores). */
    #include <stdint.h>
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #define COMIN_STREAM 1
    #else
    #define COMIN_STREAM 0
    #endif
    static inline int comin_streamable(const double* out, Py_ssize_t n) {
        return COMIN_STREAM && ((uintptr_t)out % 16 == 0) && (n % 2 == 0);
    }
    static void comin_row_scale(double* out, const double* pattern, double p, Py_ssize_t n) {
    #if COMIN_STREAM
        if (comin_streamable(out, n)) {
            __m128d f = _mm_set1_pd(p);
            for (Py_ssize_t i = 0; i < n; i += 2)
                _mm_stream_pd(out + i, _mm_mul_pd(_mm_loadu_pd(pattern + i), f));
            return;
        }
    #endif
        for (Py_ssize_t i = 0; i < n; i++) out[i] = pattern[i] * p;
    }
    static void comin_row_thermo(const double* rho, double* pres, double* exner, double* temp,
                                 double* theta, const double* ppat, const double* epat,
                                 double pp, double ep, double rd, Py_ssize_t n) {
    #if COMIN_STREAM
        if (comin_streamable(pres, n) && comin_streamable(exner, n) &&
                comin_streamable(temp, n) && comin_streamable(theta, n)) {
            __m128d vp = _mm_set1_pd(pp), ve = _mm_set1_pd(ep), vr = _mm_set1_pd(rd);
            for (Py_ssize_t i = 0; i < n; i += 2) {
                __m128d p = _mm_mul_pd(vp, _mm_loadu_pd(ppat + i));
                __m128d e = _mm_mul_pd(ve, _mm_loadu_pd(epat + i));
                __m128d t = _mm_div_pd(p, _mm_mul_pd(vr, _mm_loadu_pd(rho + i)));
                _mm_stream_pd(pres + i, p);
                _mm_stream_pd(exner + i, e);
                _mm_stream_pd(temp + i, t);
                _mm_stream_pd(theta + i, _mm_div_pd(t, e));
            }
            return;
        }
    #endif
        for (Py_ssize_t i = 0; i < n; i++) {
            double p = pp * ppat[i], e = ep * epat[i], t = p / (rd * rho[i]);
            pres[i] = p; exner[i] = e; temp[i] = t; theta[i] = t / e;
        }
    }
    static inline void comin_stream_done(void) {
    #if COMIN_STREAM
        _mm_sfence();
    #endif
    }
    """
    void comin_row_scale(double* out, const double* pattern, double p, Py_ssize_t n) nogil
    void comin_row_thermo(const double* rho, double* pres, double* exner, double* temp,
                          double* theta, const double* ppat, const double* epat,
                          double pp, double ep, double rd, Py_ssize_t n) nogil
    void comin_stream_done() nogil


cdef struct Source:
    # one inflow of a cell of the block: where its old values are, and how much comes in
    Py_ssize_t j, kind, base, kstep, tstep
    double w


def upwind_substep(double[:, :, ::1] rho, double[:, :, :, ::1] q, const double[::1] flux,
                   double dt, const long[:, ::1] cell_edge, const double[:, ::1] cell_sign,
                   const long[:, ::1] neighbour, const double[::1] inv_area,
                   const double[::1] level_factor, double[:, :, :, ::1] ring, Py_ssize_t ahead,
                   const long[::1] far_cells, const long[::1] far_index, double[:, :, ::1] far,
                   double[:, ::1] acc, Py_ssize_t ncells):
    """One first-order upwind step of the density and the tracers, in flux form.

    The volume ``m = flux[e] * dt * cell_sign[c, i]`` flows into cell ``c``
    through its edge i (``e = cell_edge[c, i]``; ``cell_sign``: +1 when ``c`` is
    the edge's second cell, -1 its first, 0 no flow; ``flux``: per metre of
    height, first to second cell).  At level ``k`` (factor ``f =
    level_factor[k]``) the cell keeps ``1 - f * out`` of its air and tracer
    masses (``out``: the volume leaving it over its area) and receives ``f * m /
    area`` of the masses of each upwind neighbour ``neighbour[c, i]``.  The
    density becomes that air mass, the mixing ratios the tracer masses over it.
    What leaves one cell through an edge enters the other, so the total air and
    tracer masses are kept to round-off; a uniform mixing ratio stays uniform,
    and every new ratio is a mixture of old ones (no new extrema) while ``f *
    out`` stays below 1.  A cell's sums run over its edges in its own order.

    The arrays are updated in place, block after block and level after level, so
    memory is read and written once, in order.  ``ahead`` blocks before a block
    changes, its densities and tracer masses rho q are saved in ``ring`` (W, 1 +
    ntracers, nlev, nproma: blocks ``b - (W - ahead - 1) .. b + ahead`` while block
    ``b`` changes), and those of its cells among ``far_cells`` (sorted; cells whose
    neighbours lie more than W - ahead - 1 blocks further on) in ``far`` (nfar, 1
    + ntracers, nlev; ``far_index[c]``: the row, -1 for the others).  A neighbour
    still further ahead is read from the arrays (not changed yet).  ``acc`` (1 +
    ntracers, nproma): scratch.
    """
    cdef Py_ssize_t nblks = rho.shape[0], nlev = rho.shape[1], nproma = rho.shape[2]
    cdef Py_ssize_t ntr = q.shape[0], nq = ntr + 1, W = ring.shape[0], nfar = far_cells.shape[0]
    cdef Py_ssize_t k, t, b, j, c, c0, i, u, bu, ju, jmax, slot, r, n, ts, nextfar = 0, sv
    cdef Py_ssize_t behind = W - ahead - 1
    cdef double f, m, x, wgt, o
    cdef double* p
    cdef double* ring0 = &ring[0, 0, 0, 0]
    cdef double* far0 = &far[0, 0, 0] if nfar else NULL
    cdef Py_ssize_t ring_t = nlev * nproma, ring_slot = nq * nlev * nproma
    cdef Source* srcs = <Source*> malloc(3 * nproma * sizeof(Source))   # the block's inflows
    cdef Py_ssize_t nsrc
    cdef double[::1] out = np.zeros(nproma)
    cdef double[::1] stay = np.zeros(nproma)
    cdef double* acc0 = &acc[0, 0]
    cdef double* a
    cdef double* own
    if srcs == NULL:
        raise MemoryError()
    if (ring.shape[1] != nq or ring.shape[2] != nlev or ring.shape[3] != nproma
            or acc.shape[0] < nq or acc.shape[1] < nproma or behind < 0):
        free(srcs)
        raise ValueError("upwind_substep: ring or scratch of the wrong shape")
    try:
      with nogil:
        for b in range(-ahead, nblks):
            # save the old values of the block ``ahead`` blocks on, and its far cells'
            sv = b + ahead
            if sv < nblks:
                c0 = sv * nproma
                jmax = min(nproma, ncells - c0)
                slot = sv % W
                for k in range(nlev):
                    for j in range(jmax):
                        ring[slot, 0, k, j] = rho[sv, k, j]
                for t in range(ntr):
                    for k in range(nlev):
                        for j in range(jmax):
                            ring[slot, 1 + t, k, j] = rho[sv, k, j] * q[t, sv, k, j]
                while nextfar < nfar and far_cells[nextfar] < c0 + jmax:
                    ju = far_cells[nextfar] - c0
                    for t in range(nq):
                        for k in range(nlev):
                            far[nextfar, t, k] = ring[slot, t, k, ju]
                    nextfar = nextfar + 1
            if b < 0:
                continue
            c0 = b * nproma
            jmax = min(nproma, ncells - c0)
            slot = b % W
            # each cell's outflow and inflows
            nsrc = 0
            for j in range(jmax):
                c = c0 + j
                o = 0.0
                for i in range(3):
                    if cell_sign[c, i] == 0.0:
                        continue
                    m = flux[cell_edge[c, i]] * dt * cell_sign[c, i]
                    if m < 0.0:
                        o = o - m
                    elif m > 0.0:
                        u = neighbour[c, i]
                        bu = u // nproma
                        srcs[nsrc].j = j
                        srcs[nsrc].w = m * inv_area[c]
                        if bu > b + ahead:                # not saved yet: the arrays
                            srcs[nsrc].kind = 0
                            srcs[nsrc].base = bu
                            srcs[nsrc].kstep = u - bu * nproma
                            srcs[nsrc].tstep = 0
                        elif b - bu <= behind:            # in the ring
                            srcs[nsrc].kind = 1
                            srcs[nsrc].base = (bu % W) * ring_slot + (u - bu * nproma)
                            srcs[nsrc].kstep = nproma
                            srcs[nsrc].tstep = ring_t
                        else:                             # among the far cells
                            srcs[nsrc].kind = 2
                            srcs[nsrc].base = far_index[u] * nq * nlev
                            srcs[nsrc].kstep = 1
                            srcs[nsrc].tstep = nlev
                        nsrc = nsrc + 1
                out[j] = o * inv_area[c]
            own = ring0 + slot * ring_slot
            sv = b + ahead + 1                  # the block saved next: fetch it meanwhile
            for k in range(nlev):
                if sv < nblks:
                    for j in range(0, nproma, 8):
                        comin_prefetch(&rho[sv, k, j])
                        for t in range(ntr):
                            comin_prefetch(&q[t, sv, k, j])
                f = level_factor[k]
                for j in range(jmax):
                    stay[j] = 1.0 - f * out[j]
                for t in range(nq):
                    a = acc0 + t * nproma
                    p = own + t * ring_t + k * nproma
                    for j in range(jmax):
                        a[j] = p[j] * stay[j]
                for i in range(nsrc):
                    j = srcs[i].j
                    wgt = f * srcs[i].w
                    if srcs[i].kind == 0:
                        bu = srcs[i].base
                        ju = srcs[i].kstep
                        x = rho[bu, k, ju]
                        acc0[j] = acc0[j] + wgt * x
                        for t in range(ntr):
                            acc0[(1 + t) * nproma + j] = acc0[(1 + t) * nproma + j] + wgt * (x * q[t, bu, k, ju])
                        continue
                    p = (ring0 if srcs[i].kind == 1 else far0) + srcs[i].base + k * srcs[i].kstep
                    ts = srcs[i].tstep
                    a = acc0 + j
                    for t in range(nq):
                        a[t * nproma] = a[t * nproma] + wgt * p[t * ts]
                for j in range(jmax):
                    rho[b, k, j] = acc0[j]
                    stay[j] = 1.0 / acc0[j]
                for t in range(ntr):
                    a = acc0 + (1 + t) * nproma
                    for j in range(jmax):
                        q[t, b, k, j] = a[j] * stay[j]
    finally:
        free(srcs)


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
               double[:, :, ::1] scratch):
    """Turbulent mixing of the tracers ``q`` between neighbouring levels ``k0..nlev-1``.

    Each interface exchanges the mass ``rate * (q[k+1] - q[k]) * h`` with
    ``h = rho[k] rho[k+1] / (rho[k] + rho[k+1])`` (all interfaces from the old
    values), so every column keeps ``sum(rho q)`` and the difference across an
    interface shrinks by ``rate``.  ``scratch`` (3, nlev, nproma).
    """
    cdef Py_ssize_t ntr = q.shape[0], nblks = q.shape[1], nlev = q.shape[2], nproma = q.shape[3]
    cdef Py_ssize_t t, b, j, k
    cdef double r0, r1
    if nlev - k0 < 2:
        return
    with nogil:
        for b in range(nblks):
            for k in range(k0, nlev - 1):
                for j in range(nproma):
                    r0 = rho[b, k, j]
                    r1 = rho[b, k + 1, j]
                    scratch[0, k, j] = rate * (r0 * r1 / (r0 + r1))
            for k in range(k0, nlev):
                for j in range(nproma):
                    scratch[1, k, j] = 1.0 / rho[b, k, j]
            for t in range(ntr):
                for k in range(k0, nlev - 1):
                    for j in range(nproma):
                        scratch[2, k, j] = (q[t, b, k + 1, j] - q[t, b, k, j]) * scratch[0, k, j]
                for k in range(k0, nlev - 1):
                    for j in range(nproma):
                        q[t, b, k, j] = q[t, b, k, j] + scratch[2, k, j] * scratch[1, k, j]
                        q[t, b, k + 1, j] = q[t, b, k + 1, j] - scratch[2, k, j] * scratch[1, k + 1, j]


def convect(double[:, :, :, ::1] q, const double[:, :, ::1] rho, Py_ssize_t top, double fraction,
            double[:, ::1] share):
    """Convection: ``fraction`` of the lowest level's tracer mass rises and is spread evenly
    (in mass) over the levels ``top..nlev-2``; every column keeps ``sum(rho q)``.
    ``share`` (ntracers + 1, nproma): scratch."""
    cdef Py_ssize_t ntr = q.shape[0], nblks = q.shape[1], nlev = q.shape[2], nproma = q.shape[3]
    cdef Py_ssize_t t, b, j, k, bottom = nlev - 1
    cdef double lifted, inv
    if nlev < 2 or top >= bottom:
        return
    with nogil:
        for b in range(nblks):
            for t in range(ntr):
                for j in range(nproma):
                    lifted = fraction * q[t, b, bottom, j]
                    q[t, b, bottom, j] = q[t, b, bottom, j] - lifted
                    share[t, j] = lifted * rho[b, bottom, j] / (bottom - top)
            for k in range(top, bottom):
                for j in range(nproma):
                    share[ntr, j] = 1.0 / rho[b, k, j]
                for t in range(ntr):
                    for j in range(nproma):
                        q[t, b, k, j] = q[t, b, k, j] + share[t, j] * share[ntr, j]


def outer(double[:, :, ::1] out, const double[:, ::1] pattern, const double[::1] profile):
    """``out[b, k, j] = pattern[b, j] * profile[k]``: a field (nblks, nlev, nproma) from a 2-D
    pattern (nblks, nproma) and a vertical profile (nlev), in one pass."""
    cdef Py_ssize_t nblks = out.shape[0], nlev = out.shape[1], nproma = out.shape[2]
    cdef Py_ssize_t b, k
    if pattern.shape[0] != nblks or pattern.shape[1] != nproma or profile.shape[0] != nlev:
        raise ValueError("outer: shapes do not fit")
    with nogil:
        for b in range(nblks):
            for k in range(nlev):
                comin_row_scale(&out[b, k, 0], &pattern[b, 0], profile[k], nproma)
        comin_stream_done()


def thermodynamics(const double[:, :, ::1] rho, double[:, :, ::1] pres, double[:, :, ::1] exner,
                   double[:, :, ::1] temp, double[:, :, ::1] theta_v, const double[:, ::1] pres_pattern,
                   const double[:, ::1] exner_pattern, const double[::1] pres_profile,
                   const double[::1] exner_profile, double gas_constant):
    """Pressure and Exner pressure (profile times pattern), temperature from the density
    (ideal gas) and virtual potential temperature, in one pass: (nblks, nlev, nproma)."""
    cdef Py_ssize_t nblks = rho.shape[0], nlev = rho.shape[1], nproma = rho.shape[2]
    cdef Py_ssize_t b, k
    with nogil:
        for b in range(nblks):
            for k in range(nlev):
                comin_row_thermo(&rho[b, k, 0], &pres[b, k, 0], &exner[b, k, 0], &temp[b, k, 0],
                                 &theta_v[b, k, 0], &pres_pattern[b, 0], &exner_pattern[b, 0],
                                 pres_profile[k], exner_profile[k], gas_constant, nproma)
        comin_stream_done()
