"""The telemetry plugin's reductions: min, max, area-weighted mean and NaN count of a field.

Only NumPy: the plugin loads this module by path where ``comin`` is upstream
ComIn's module.

Which points count: the *prognostic* points of a domain, as ICON's own loops
choose them (``get_indices_c(..., grf_bdywidth_c + 1, min_rlcell_int)``): not
the halo (``decomp_domain != 0``: another rank owns the point), not the
lateral boundary rows of a nest (``1 <= refin_ctrl <= grf_bdywidth_c``: set
from the parent), not the padding of the last block (index >= ``ncells``).
In ICON's ordering these points are one contiguous range of the unblocked
index, so a field is reduced on a few views of the host's array (the full
blocks in one, the partial first and last blocks) without a copy; any other
ordering works too, via an index (a copy).

A float64 piece goes through :mod:`_fused` (built with comin): min, max and
the weighted sum in one pass over memory; without it (or for other types)
NumPy takes three: ``np.fmin``/``np.fmax`` (which skip NaN) and
``np.einsum``.  A NaN anywhere makes the weighted sum NaN; only then are
NaNs counted and left out of the mean (a second, slower pass), so a healthy
field pays nothing for its NaN count.

Every rank reduces its own points to a *partial* (min, max, weighted sum,
weight, NaN count; :data:`PARTIAL` numbers); :func:`combine` merges the
partials of all ranks, so the global values do not depend on the
decomposition (the mean up to rounding).
"""
from __future__ import annotations

import os
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

#: numbers of one rank's partial result: min, max, weighted sum, weight, NaN count
PARTIAL = 5
#: more runs of prognostic points than this: reduce through an index (a copy) instead
MAX_RUNS = 16
#: ComIn's dimension semantics (the same numbers in every ComIn version with semantics)
DIM_NPROMA, DIM_BLOCK, DIM_LEVEL = 2, 3, 5


def _load_kernel() -> Optional[Callable]:
    """``_fused.stats`` when it is built: from the package in comin, else (the plugin loaded
    by path under upstream ComIn) from this directory; None without it."""
    try:
        from comin.plugins.telemetry._fused import stats
        return stats
    except ImportError:
        pass
    try:
        import importlib.machinery
        import importlib.util
        here = os.path.dirname(os.path.abspath(__file__))
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(here, "_fused" + suffix)
            if os.path.exists(path):
                spec = importlib.util.spec_from_file_location("comin_telemetry._fused", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module.stats
    except Exception:  # noqa: BLE001 - a kernel of another Python: NumPy does it
        pass
    return None


#: the one-pass kernel ``stats(piece, weights) -> (min, max, weighted sum)``, or None
KERNEL = _load_kernel()


def prognostic(n: int, nproma: int, refin_ctrl=None, decomp_domain=None,
               bdywidth: int = 4) -> np.ndarray:
    """The mask of prognostic points in unblocked order (length ``nproma * nblks``).

    ``refin_ctrl``, ``decomp_domain``: ICON's blocked ``(nproma, nblks)`` arrays
    (None: no lateral boundary / one rank owns every point); ``n``: the number
    of real points (``ncells``), the rest is padding.
    """
    arrays = [np.asarray(a) for a in (refin_ctrl, decomp_domain) if a is not None]
    size = arrays[0].size if arrays else n
    if size < n:
        raise ValueError(f"the descriptive data hold {size} points, fewer than the {n} real ones")
    mask = np.arange(size) < n
    if refin_ctrl is not None:
        r = np.asarray(refin_ctrl).ravel(order="F")
        mask &= ~((r >= 1) & (r <= bdywidth))
    if decomp_domain is not None:
        mask &= np.asarray(decomp_domain).ravel(order="F") == 0
    return mask


class Points:
    """Where the prognostic points of one domain lie in ICON's blocked layout, and
    their weights (cell areas; 1 for edges and vertices).

    ``mask``, ``weights``: unblocked (length ``nproma * nblks``).  The points
    become *pieces* ``(index slice, block slice)`` of the ``(nproma, nblks)``
    layout, with their weights cut the same way.
    """

    def __init__(self, mask: np.ndarray, weights: Optional[np.ndarray], nproma: int):
        mask = np.asarray(mask, dtype=bool).ravel()
        if mask.size % nproma:
            raise ValueError(f"{mask.size} points are not whole blocks of nproma = {nproma}")
        self.nproma, self.nblks = nproma, mask.size // nproma
        w = (np.ones(mask.size) if weights is None
             else np.asarray(weights, dtype=np.float64).ravel(order="F"))
        self.count = int(np.count_nonzero(mask))
        self.weight = float(w[mask].sum())
        w2 = w.reshape((self.nblks, nproma)).T                 # (nproma, nblks)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.view(np.int8), [0]))))
        runs = list(zip(edges[0::2].tolist(), edges[1::2].tolist()))
        self.runs = len(runs)
        self.pieces: List[Tuple[slice, slice]] = []
        self.index: Optional[Tuple[np.ndarray, np.ndarray]] = None
        if len(runs) <= MAX_RUNS:
            for start, stop in runs:
                self.pieces += _pieces(start, stop, nproma)
            self.piece_weights = [np.asfortranarray(w2[p]) for p in self.pieces]
        else:
            j = np.flatnonzero(mask)
            self.index = (j % nproma, j // nproma)
            self.index_weights = np.asfortranarray(w[j][:, None])

    def _parts(self, field: np.ndarray) -> list:
        """The field's prognostic points as (values (ni, nlev, nb), weights (ni, nb)) pairs."""
        if self.index is not None:
            values = field[self.index[0], :, self.index[1]]          # (points, nlev), a copy
            return [(values[:, :, None], self.index_weights)]
        return [(field[i, :, b], w) for (i, b), w in zip(self.pieces, self.piece_weights)]

    def partial(self, field: np.ndarray, kernel: Optional[Callable] = KERNEL) -> tuple:
        """This rank's partial result for ``field`` (an ``(nproma, nlev, nblks)`` view):
        min, max, weighted sum over points and levels, total weight, NaN count.
        ``kernel``: the one-pass kernel (None: NumPy only)."""
        parts = self._parts(field)
        if field.dtype != np.float64:
            kernel = None
        lo, hi, wsum = np.inf, -np.inf, 0.0
        for values, w in parts:
            if not values.size:
                continue
            if kernel is not None:
                a, b, c = kernel(values, w)
            else:
                a = float(np.fmin.reduce(values, axis=None))
                b = float(np.fmax.reduce(values, axis=None))
                c = float(np.einsum("ikb,ib->", values, w))
            lo, hi, wsum = min(lo, a), max(hi, b), wsum + c
        weight, nans = self.weight * field.shape[1], 0
        if wsum != wsum:              # a NaN somewhere (or inf - inf): count, and leave out
            wsum, weight = 0.0, 0.0
            for values, w in parts:
                bad = np.isnan(values)
                nans += int(np.count_nonzero(bad))
                good = ~bad
                wsum += float(np.einsum("ikb,ib->", np.where(good, values, 0.0), w))
                weight += float(np.einsum("ikb,ib->", good.astype(np.float64), w))
        if lo != lo or lo == np.inf:  # no value at all (fmin of only NaNs is NaN)
            lo, hi = np.inf, -np.inf
        return (lo, hi, wsum, weight, float(nans))


def _pieces(start: int, stop: int, nproma: int) -> List[Tuple[slice, slice]]:
    """The unblocked range [start, stop) as (index slice, block slice) pieces: the partial
    first block, the full blocks, the partial last block."""
    b0, i0 = divmod(start, nproma)
    b1, i1 = divmod(stop, nproma)
    if b0 == b1:
        return [(slice(i0, i1), slice(b0, b0 + 1))]
    out = []
    if i0:
        out.append((slice(i0, nproma), slice(b0, b0 + 1)))
        b0 += 1
    if b1 > b0:
        out.append((slice(0, nproma), slice(b0, b1)))
    if i1:
        out.append((slice(0, i1), slice(b1, b1 + 1)))
    return out


def view_plan(shape: Sequence[int], dim_semantics: Sequence[int]) -> Tuple[tuple, tuple, bool]:
    """How ComIn's array of a field becomes an ``(nproma, nlev, nblks)`` view: ``(index,
    axes, flat)`` for ``a[index].transpose(axes)`` (then ``[:, None, :]`` when ``flat``,
    a 2-D field).  Computed once per variable; the view costs a microsecond per use.

    ``ValueError`` (the reason, one sentence) when the array is not a field in
    ICON's blocked layout: no nproma or block dimension, or another dimension
    longer than 1 (a whole container of tracers).
    """
    ndim = len(shape)
    sem = list(dim_semantics)[:ndim]
    if DIM_NPROMA not in sem or DIM_BLOCK not in sem:
        raise ValueError("it is not in ICON's blocked (nproma, ..., nblks) layout "
                         "(no nproma or block dimension)")
    keep = [sem.index(DIM_NPROMA)] + ([sem.index(DIM_LEVEL)] if DIM_LEVEL in sem else []) \
        + [sem.index(DIM_BLOCK)]
    for axis in range(ndim):
        if axis not in keep and shape[axis] != 1:
            raise ValueError(f"dimension {axis + 1} has {shape[axis]} entries and is "
                             "neither nproma, a level nor a block (a container? name its members)")
    index = tuple(slice(None) if a in keep else 0 for a in range(ndim))
    order = sorted(keep)
    return index, tuple(order.index(a) for a in keep), len(keep) == 2


def field_view(array: np.ndarray, dim_semantics: Sequence[int]) -> np.ndarray:
    """ComIn's array of a field as an ``(nproma, nlev, nblks)`` view (``nlev`` 1 for 2-D);
    see :func:`view_plan`."""
    index, axes, flat = view_plan(array.shape, dim_semantics)
    v = array[index].transpose(axes)
    return v[:, None, :] if flat else v


def combine(partials) -> Tuple[float, float, float, float]:
    """Merge ranks' partials ``(nranks, PARTIAL)`` -> (min, max, mean, NaN count).

    min/max are NaN when no rank has a value, the mean when the weight is 0;
    everything is NaN when a rank could not reduce (its partial is NaN).
    """
    if isinstance(partials, tuple):
        rows = [partials]                                # one rank's, as partial() gives it
    else:
        rows = np.asarray(partials, dtype=np.float64).reshape(-1, PARTIAL).tolist()
    nan = float("nan")
    if any(r[3] != r[3] for r in rows):
        return nan, nan, nan, nan
    lo = min(r[0] for r in rows)
    hi = max(r[1] for r in rows)
    wsum = sum(r[2] for r in rows)
    weight = sum(r[3] for r in rows)
    return (lo if lo != np.inf else nan, hi if hi != -np.inf else nan,
            wsum / weight if weight > 0 else nan, float(sum(r[4] for r in rows)))
