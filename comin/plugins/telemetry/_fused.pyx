# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""One pass over a piece of a field: its min, max and weighted sum (the telemetry plugin's
fast path, built with comin; :mod:`reduce` does the same in three NumPy passes where this
module is missing, e.g. under upstream ComIn without comin installed).

A model's field is cold in the cache when the plugin reads it: three passes
cost three trips to memory, this one pass one.  NaNs are skipped by min and
max and make the sum NaN (the caller then counts them, as the NumPy path
does).
"""

cdef extern from *:
    """
    #include <math.h>
    #include <stddef.h>

    /* min, max and weighted sum of v(i, k, b) * w(i, b) over an (ni, nk, nb) piece.
       v: byte strides si, sk, sb; w: Fortran-contiguous (ni, nb).  min/max as
       x < lo ? x : lo, which skips NaN exactly as np.fmin does (SSE2's minpd(x, lo) is
       that same expression).  The weight depends on the point only, so each point's
       column is summed over the levels first and weighted once.  On x86-64, 8 points
       at a time go through 4 independent SSE2 accumulators (their latencies overlap)
       when a row is contiguous; the rest, and other machines, take the scalar loop.
       (AVX2 measured no faster: a field of R2B4 is read at memory speed already.)
       A block's rows are read 8 points at a time down the levels, a pattern the hardware
       prefetchers follow late: the rows of the block COMIN_TEL_AHEAD bytes ahead are
       prefetched by hand (a cold R2B4 temp, 3.3 MB: 575 -> 335 us, a plain sum 317 us). */
    #if defined(__SSE2__)
    #include <emmintrin.h>          /* SSE2, and SSE's _mm_prefetch */
    #endif
    #define COMIN_TEL_AHEAD 8192

    static void comin_tel_stats(const char *v, Py_ssize_t ni, Py_ssize_t nk, Py_ssize_t nb,
                                Py_ssize_t si, Py_ssize_t sk, Py_ssize_t sb,
                                const double *w, double *out)
    {
        double lo = INFINITY, hi = -INFINITY, sum = 0.0;
    #if defined(__SSE2__)
        __m128d lo0 = _mm_set1_pd(INFINITY), lo1 = lo0, lo2 = lo0, lo3 = lo0;
        __m128d hi0 = _mm_set1_pd(-INFINITY), hi1 = hi0, hi2 = hi0, hi3 = hi0;
        __m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        Py_ssize_t row = ni * (Py_ssize_t)sizeof(double), size = row * nk;
        Py_ssize_t ahead = size > 0 ? (COMIN_TEL_AHEAD + size - 1) / size : 1;
    #endif
        for (Py_ssize_t b = 0; b < nb; b++) {
            const double *wb = w + b * ni;
            const char *block = v + b * sb;
            Py_ssize_t i = 0;
    #if defined(__SSE2__)
            if (si == (Py_ssize_t)sizeof(double)) {
                if (b + ahead < nb) {
                    const char *next = v + (b + ahead) * sb;
                    for (Py_ssize_t k = 0; k < nk; k++) {
                        const char *r = next + k * sk;
                        for (Py_ssize_t o = 0; o < row; o += 64)
                            _mm_prefetch(r + o, _MM_HINT_T0);
                        _mm_prefetch(r + row - 1, _MM_HINT_T0);    /* a row across lines */
                    }
                }
                for (; i + 8 <= ni; i += 8) {
                    __m128d c0 = _mm_setzero_pd(), c1 = c0, c2 = c0, c3 = c0;
                    for (Py_ssize_t k = 0; k < nk; k++) {
                        const double *p = (const double *)(block + k * sk) + i;
                        __m128d x0 = _mm_loadu_pd(p), x1 = _mm_loadu_pd(p + 2);
                        __m128d x2 = _mm_loadu_pd(p + 4), x3 = _mm_loadu_pd(p + 6);
                        lo0 = _mm_min_pd(x0, lo0); lo1 = _mm_min_pd(x1, lo1);
                        lo2 = _mm_min_pd(x2, lo2); lo3 = _mm_min_pd(x3, lo3);
                        hi0 = _mm_max_pd(x0, hi0); hi1 = _mm_max_pd(x1, hi1);
                        hi2 = _mm_max_pd(x2, hi2); hi3 = _mm_max_pd(x3, hi3);
                        c0 = _mm_add_pd(c0, x0); c1 = _mm_add_pd(c1, x1);
                        c2 = _mm_add_pd(c2, x2); c3 = _mm_add_pd(c3, x3);
                    }
                    s0 = _mm_add_pd(s0, _mm_mul_pd(c0, _mm_loadu_pd(wb + i)));
                    s1 = _mm_add_pd(s1, _mm_mul_pd(c1, _mm_loadu_pd(wb + i + 2)));
                    s2 = _mm_add_pd(s2, _mm_mul_pd(c2, _mm_loadu_pd(wb + i + 4)));
                    s3 = _mm_add_pd(s3, _mm_mul_pd(c3, _mm_loadu_pd(wb + i + 6)));
                }
            }
    #endif
            for (; i < ni; i++) {
                double c = 0.0;
                for (Py_ssize_t k = 0; k < nk; k++) {
                    double x = *(const double *)(block + k * sk + i * si);
                    lo = x < lo ? x : lo;
                    hi = x > hi ? x : hi;
                    c += x;
                }
                sum += wb[i] * c;
            }
        }
    #if defined(__SSE2__)
        double l[8], h[8], t[8];
        _mm_storeu_pd(l, lo0); _mm_storeu_pd(l + 2, lo1); _mm_storeu_pd(l + 4, lo2); _mm_storeu_pd(l + 6, lo3);
        _mm_storeu_pd(h, hi0); _mm_storeu_pd(h + 2, hi1); _mm_storeu_pd(h + 4, hi2); _mm_storeu_pd(h + 6, hi3);
        _mm_storeu_pd(t, s0); _mm_storeu_pd(t + 2, s1); _mm_storeu_pd(t + 4, s2); _mm_storeu_pd(t + 6, s3);
        for (int j = 0; j < 8; j++) {
            lo = l[j] < lo ? l[j] : lo;
            hi = h[j] > hi ? h[j] : hi;
            sum += t[j];
        }
    #endif
        out[0] = lo;
        out[1] = hi;
        out[2] = sum;
    }
    """
    void comin_tel_stats(const char *v, Py_ssize_t ni, Py_ssize_t nk, Py_ssize_t nb,
                         Py_ssize_t si, Py_ssize_t sk, Py_ssize_t sb,
                         const double *w, double *out) nogil


def stats(const double[:, :, :] v, const double[::1, :] w):
    """``(min, max, weighted sum)`` of ``v`` (ni, nlev, nb), any strides, with weights ``w``
    (ni, nb) Fortran-contiguous: ``sum(v[i, k, b] * w[i, b])``.  min and max skip NaN
    (inf and -inf when there is no other value); a NaN makes the sum NaN."""
    if w.shape[0] != v.shape[0] or w.shape[1] != v.shape[2]:
        raise ValueError(f"weights of shape ({w.shape[0]}, {w.shape[1]}) for a piece of "
                         f"shape ({v.shape[0]}, {v.shape[1]}, {v.shape[2]})")
    cdef double out[3]
    out[0] = out[1] = out[2] = 0.0
    if v.shape[0] and v.shape[1] and v.shape[2]:
        with nogil:
            comin_tel_stats(<const char *>&v[0, 0, 0], v.shape[0], v.shape[1], v.shape[2],
                            v.strides[0], v.strides[1], v.strides[2], &w[0, 0], out)
    else:
        out[0], out[1] = float("inf"), float("-inf")
    return out[0], out[1], out[2]
