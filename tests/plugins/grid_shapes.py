"""Shapes of requested variables on cells, edges and vertices for 2-D, 3-D and
half-level 3-D fields, checked against dim_semantics and descriptive data."""
import itertools
import json

import numpy as np

import comin

report_path = comin.current_get_plugin_info().args[0]
glob = comin.descrdata_get_global()
domains = {jg: comin.descrdata_get_domain(jg) for jg in range(1, glob.n_dom + 1)}
zaxes = (comin.COMIN_ZAXIS_2D, comin.COMIN_ZAXIS_3D, comin.COMIN_ZAXIS_3D_HALF)
hgrids = {comin.COMIN_HGRID_UNSTRUCTURED_CELL: "cells", comin.COMIN_HGRID_UNSTRUCTURED_EDGE: "edges",
          comin.COMIN_HGRID_UNSTRUCTURED_VERTEX: "verts"}
# a list, not a one-shot iterator: it is walked three times
cases = list(itertools.product(domains, zaxes, hgrids))

for jg, zaxis, hgrid in cases:
    comin.var_request_add((f"shape_{zaxis}_{hgrid}", jg), False)
    comin.metadata_set((f"shape_{zaxis}_{hgrid}", jg), zaxis_id=zaxis, hgrid_id=hgrid)

handles = {}
results = []


@comin.EP_SECONDARY_CONSTRUCTOR
def get_handles():
    for jg, zaxis, hgrid in cases:
        handles[jg, zaxis, hgrid] = comin.var_get([comin.EP_ATM_TIMELOOP_BEFORE],
                                                  (f"shape_{zaxis}_{hgrid}", jg), comin.COMIN_FLAG_READ)


@comin.EP_ATM_TIMELOOP_BEFORE
def check():
    for (jg, zaxis, hgrid), var in handles.items():
        shape = np.shape(var)
        sem = var.dim_semantics
        nlev = domains[jg].nlev + (zaxis == comin.COMIN_ZAXIS_3D_HALF)
        nblks = getattr(domains[jg], hgrids[hgrid]).nblks
        results.append({
            "case": [jg, zaxis, hgrid],
            "shape": list(shape),
            "dim_semantics": list(sem),
            "nproma_ok": shape[sem.index(comin.COMIN_DIM_SEMANTICS_NPROMA)] == glob.nproma,
            "nblks_ok": shape[sem.index(comin.COMIN_DIM_SEMANTICS_BLOCK)] == nblks,
            "has_level": comin.COMIN_DIM_SEMANTICS_LEVEL in sem,
            "nlev_ok": (comin.COMIN_DIM_SEMANTICS_LEVEL in sem
                        and shape[sem.index(comin.COMIN_DIM_SEMANTICS_LEVEL)] == nlev),
            "squeezed_ndim": np.squeeze(var).ndim,
            "to_3d": list(var.to_3d.shape),
            "expected_to_3d": ([glob.nproma, nblks, 1] if zaxis == comin.COMIN_ZAXIS_2D
                               else [glob.nproma, nlev, nblks]),
        })


@comin.EP_DESTRUCTOR
def write_report():
    with open(report_path, "w") as f:
        json.dump(results, f)
