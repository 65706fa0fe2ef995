"""COMIN_FLAG_SYNC_HALO on a decomposed emulator, checked against global indices.

On every rank and domain: variables on cells (2-D, 3-D) and edges (3-D) get
``glb_index * 1000 + level`` on owned points and -7 on halo points.  One set
is synced after the writing callback (WRITE | SYNC_HALO), the other before
the reading callback (READ | SYNC_HALO); either way every held point must
then hold its global value exactly.  The global-to-local cell lookup must
invert ``glb_index`` on every rank.  Each rank prints one ``HALO_GLB`` line.
"""
import json

import numpy as np

import comin

rank = comin.parallel_get_host_mpi_rank()
glob = comin.descrdata_get_global()
doms = {jg: comin.descrdata_get_domain(jg) for jg in range(1, glob.n_dom + 1)}
E = comin.COMIN_HGRID_UNSTRUCTURED_EDGE
cases = []
for jg in doms:
    for mode in ("write", "read"):
        for kind, zaxis, hgrid in (("c2", comin.COMIN_ZAXIS_2D, comin.COMIN_HGRID_UNSTRUCTURED_CELL),
                                   ("c3", comin.COMIN_ZAXIS_3D, comin.COMIN_HGRID_UNSTRUCTURED_CELL),
                                   ("e3", comin.COMIN_ZAXIS_3D, E)):
            descr = (f"probe_{kind}_{mode}", jg)
            comin.var_request_add(descr, False)
            comin.metadata_set(descr, zaxis_id=zaxis, hgrid_id=hgrid)
            cases.append((descr, mode, "edges" if hgrid == E else "cells"))
stats = {"checked": 0, "halo_points": 0, "glb2loc": 0, "rank": rank}


def expected(jg, where, h):
    """(values, owner mask, valid mask) of the handle's array."""
    part = getattr(doms[jg], where)
    n = part.ncells if where == "cells" else part.nedges
    glb = np.zeros(glob.nproma * part.nblks, dtype=np.int64)
    glb[:n] = np.asarray(part.glb_index)
    glb = glb.reshape((glob.nproma, part.nblks), order="F")
    dec = np.asarray(part.decomp_domain)
    valid = (glb > 0)
    sem = list(h.dim_semantics)
    a = np.moveaxis(np.asarray(h), [sem.index(comin.COMIN_DIM_SEMANTICS_NPROMA),
                                    sem.index(comin.COMIN_DIM_SEMANTICS_BLOCK)], [0, -1])
    arr = np.squeeze(a)                           # a view: (nproma, [nlev,] nblks)
    if arr.ndim == 2:
        arr = arr[:, None, :]
    nl = arr.shape[1]
    want = glb[:, None, :] * 1000.0 + np.arange(nl)[None, :, None]
    return arr, want, np.broadcast_to((dec == 0)[:, None, :], arr.shape), \
        np.broadcast_to(valid[:, None, :], arr.shape)


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def handles():
    global writers, readers
    halo = comin.COMIN_FLAG_SYNC_HALO
    writers = [(comin.var_get([comin.EP_ATM_TIMELOOP_START], d,
                              comin.COMIN_FLAG_WRITE | (halo if m == "write" else 0)), w)
               for d, m, w in cases]
    readers = [(comin.var_get([comin.EP_ATM_TIMELOOP_END], d,
                              comin.COMIN_FLAG_READ | (halo if m == "read" else 0)), w)
               for d, m, w in cases]
    for jg, d in doms.items():
        for p, g in enumerate(np.asarray(d.cells.glb_index)):
            assert comin.descrdata_index_lookup_glb2loc_cell(jg, int(g)) - 1 == p, (jg, p, g)
            stats["glb2loc"] += 1
        held = set(np.asarray(d.cells.glb_index).tolist())
        outside = [g for g in range(1, d.cells.ncells_global + 1) if g not in held][:10]
        assert all(comin.descrdata_index_lookup_glb2loc_cell(jg, g) <= 0 for g in outside)


@comin.register_callback(comin.EP_ATM_TIMELOOP_START)
def write():
    for h, where in writers:
        arr, want, own, valid = expected(h.descriptor[1], where, h)
        arr[...] = np.where(own, want, -7.0)


@comin.register_callback(comin.EP_ATM_TIMELOOP_END)
def check():
    for h, where in readers:
        arr, want, own, valid = expected(h.descriptor[1], where, h)
        bad = valid & (arr != want)
        assert not bad.any(), f"{h.descriptor} on rank {rank}: {int(bad.sum())} points differ"
        stats["checked"] += 1
        stats["halo_points"] += int((valid & ~own).sum())


@comin.register_callback(comin.EP_DESTRUCTOR)
def report():
    print("HALO_GLB " + json.dumps(stats), flush=True)
