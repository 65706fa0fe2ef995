"""ICON's nproma blocking: how per-point values and indices sit in blocked arrays.

ICON stores a field on ``n`` points as ``(nproma, [level,] nblks)``: point
``j`` (1-based) at ``jc = (j-1) % nproma + 1`` in block ``jb = (j-1) // nproma
+ 1``, ``nblks = ceil(n / nproma)`` (at least 1), the rest of the last block
padding.  An index to another point is stored as the pair of arrays
``(idx, blk)``; a missing entry is the pair ``(0, 1)`` (ICON's ``idx_no(0) =
0``, ``blk_no(0) = 1``).  ComIn says which axes are which by the dimension
semantics (``COMIN_DIM_SEMANTICS_NPROMA``/``_LEVEL``/``_BLOCK``).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from comin import _table

_C = _table.all_constants()
NPROMA, BLOCK, LEVEL = (_C["COMIN_DIM_SEMANTICS_NPROMA"], _C["COMIN_DIM_SEMANTICS_BLOCK"],
                        _C["COMIN_DIM_SEMANTICS_LEVEL"])
CONTAINER, UNUSED = _C["COMIN_DIM_SEMANTICS_CONTAINER"], _C["COMIN_DIM_SEMANTICS_UNUSED"]


def _check(nproma: int) -> None:
    if nproma < 1:
        raise ValueError(f"nproma must be >= 1, got {nproma}")


def nblks(n: int, nproma: int) -> int:
    """Number of blocks of ``n`` points: ``ceil(n / nproma)``, at least 1 (as ICON allocates)."""
    _check(nproma)
    return max(-(-int(n) // nproma), 1)


def idx_blk(j, nproma: int) -> Tuple[np.ndarray, np.ndarray]:
    """ICON's ``idx_no``/``blk_no`` of 1-based unblocked indices (vectorised).

    Returns ``(jc, jb)`` as C-int arrays of the shape of ``j``:
    ``jc = sign((|j|-1) mod nproma + 1, j)`` (0 for j = 0) and
    ``jb = max((|j|-1) // nproma + 1, 1)``, so ``j = (jb-1)*nproma + jc``
    for j >= 1 and a missing entry (0) becomes ``(0, 1)``.
    """
    _check(nproma)
    j = np.asarray(j)
    if j.size == 0 or j.min() >= 0:
        # the usual case, no negative (ICON's "reversed") indices: one divmod
        jb, jc = np.divmod(j.astype(np.intc) - 1, np.intc(nproma))
        missing = j == 0                       # -> (0, 1)
        return (np.where(missing, 0, jc + 1).astype(np.intc, copy=False),
                np.where(missing, 1, jb + 1).astype(np.intc, copy=False))
    j = j.astype(np.int64)
    a = np.abs(j)
    jc = np.where(j == 0, 0, np.sign(j) * ((a - 1) % nproma + 1))
    jb = np.maximum((a - 1) // nproma + 1, 1)
    return jc.astype(np.intc), jb.astype(np.intc)


def unblock_index(idx: np.ndarray, blk: np.ndarray, nproma: int) -> np.ndarray:
    """ICON's (idx, blk) pairs -> 1-based unblocked indices, 0 for a missing entry
    (the inverse of :func:`idx_blk`)."""
    idx = np.asarray(idx).astype(np.int64)
    return np.where(idx == 0, 0, (np.asarray(blk).astype(np.int64) - 1) * nproma + idx).astype(np.int32)


def block(values, nproma: int, fill=0) -> np.ndarray:
    """Per-point values (n, ...) -> ICON's (nproma, nblks, ...) Fortran-ordered array.

    Point j (1-based) goes to ``[(j-1) % nproma, (j-1) // nproma]``;
    ``nblks`` as :func:`nblks`; padding in the last block is ``fill`` (ICON: 0, but -1
    in ``decomp_domain``).
    """
    values = np.asarray(values)
    n = values.shape[0]
    nb = nblks(n, nproma)
    flat = np.full((nb * nproma,) + values.shape[1:], fill, dtype=values.dtype)
    flat[:n] = values
    return np.asfortranarray(flat.reshape((nb, nproma) + values.shape[1:]).swapaxes(0, 1))


def unblock(arr: np.ndarray, n: int) -> np.ndarray:
    """Blocked (nproma, nblks[, k]) -> the ``n`` points: (n,), or ICON's grid-file (k, n)."""
    if arr.ndim == 2:
        return np.ascontiguousarray(arr.T).reshape(-1)[:n]
    k = arr.shape[2]
    return np.ascontiguousarray(arr.transpose(2, 1, 0)).reshape(k, -1)[:, :n]


# -- fields in ComIn's five dimensions ------------------------------------------------------

def contained_semantics(container_semantics: Sequence[int]) -> tuple:
    """The dimension semantics ICON gives one field of a container: the container's, with
    its ``CONTAINER`` axis (where the field is a slice of length 1) ``UNUSED``.

    ICON exposes a tracer such as ``qv`` of the container ``(NPROMA, LEVEL, BLOCK,
    CONTAINER, UNUSED)`` as ``(NPROMA, LEVEL, BLOCK, UNUSED, UNUSED)``; upstream's
    plugins check exactly that (simple_fortran, calc_water_column).
    """
    return tuple(UNUSED if s == CONTAINER else int(s) for s in container_semantics)


PointAxes = Tuple[tuple, tuple]


def point_axes(dim_semantics: Sequence[int], shape: Optional[Sequence[int]] = None
               ) -> Optional[PointAxes]:
    """How a 5-D ComIn array with ICON's (nproma, [level,] block) layout holds its points.

    Returns ``(select, perm)``: ``array[select].transpose(perm)`` is the
    ``([level,] nblks, nproma)`` view of the field; None when the dimension
    semantics are not one NPROMA, one BLOCK and at most one LEVEL axis (or,
    with ``shape``, when another axis is longer than 1).
    """
    sem = tuple(dim_semantics)
    if sem.count(NPROMA) != 1 or sem.count(BLOCK) != 1 or sem.count(LEVEL) > 1:
        return None
    keep = [i for i in range(len(sem)) if sem[i] in (NPROMA, BLOCK, LEVEL)]
    if shape is not None and any(shape[i] != 1 for i in range(len(sem)) if i not in keep):
        return None
    select = tuple(slice(None) if i in keep else 0 for i in range(len(sem)))
    order = [sem[i] for i in keep]                   # semantics of the reduced axes
    perm = tuple(order.index(s) for s in (LEVEL, BLOCK, NPROMA) if s in order)
    return select, perm


def to_points(array: np.ndarray, axes: PointAxes, n: int) -> np.ndarray:
    """The first ``n`` points of a blocked field (see :func:`point_axes`): ``([level,] n)``."""
    v = array[axes[0]].transpose(axes[1])            # ([nlev,] nblks, nproma)
    return v.reshape(v.shape[:-2] + (-1,))[..., :n]


def _full_and_last(array: np.ndarray, axes: PointAxes, n: int) -> tuple:
    """The first ``n`` points of a blocked field as views: its full blocks
    ``([nlev,] nfull, nproma)`` and the partial last block (None when there is none), with
    ``nfull``, ``nproma`` and the leading (level) shape."""
    view = array[axes[0]].transpose(axes[1])         # ([nlev,] nblks, nproma)
    nproma = view.shape[-1]
    nfull, rem = divmod(n, nproma)
    last = view[..., nfull, :rem] if rem else None
    return view[..., :nfull, :], last, nfull, nproma, view.shape[:-2]


def points_writer(array: np.ndarray, axes: PointAxes, n: int) -> Callable[[np.ndarray], None]:
    """A function that writes ``([level,] n)`` point values into the blocked field ``array``
    (the inverse of :func:`to_points`; the padding is left as it is)."""
    full, last, nfull, nproma, lead = _full_and_last(array, axes, n)

    def write(data: np.ndarray) -> None:
        if nfull:
            full[...] = data[..., :nfull * nproma].reshape(lead + (nfull, nproma))
        if last is not None:
            last[...] = data[..., nfull * nproma:]
    return write


def points_reader(array: np.ndarray, axes: PointAxes, n: int) -> Callable[[np.ndarray], None]:
    """A function that copies the first ``n`` points of the blocked field ``array`` into a
    ``([level,] n)`` buffer (:func:`to_points` without a temporary: one copy)."""
    full, last, nfull, nproma, lead = _full_and_last(array, axes, n)

    def read(out: np.ndarray) -> None:
        if nfull:
            np.copyto(out[..., :nfull * nproma].reshape(lead + (nfull, nproma)), full)
        if last is not None:
            np.copyto(out[..., nfull * nproma:], last)
    return read
