"""MPI_Allreduce MIN/MAX of unsigned integers across 2 ranks (rank 0: 5, rank 1: the type's maximum).

An implementation that compares them as signed numbers returns the maximum as the minimum:
Debian's MPICH 4.0.2 for every unsigned type (pmodels/mpich#6083), Open MPI 4.1.2-4.1.4 for
MPI_UNSIGNED_LONG (open-mpi/ompi#10525), which mpi4py uses for NumPy's uint64 by default.
Rank 0 prints ``UNSIGNED {json}``.
"""
import json

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
TYPES = {"UINT8_T": np.uint8, "UINT16_T": np.uint16, "UINT32_T": np.uint32, "UINT64_T": np.uint64,
         "UNSIGNED": np.uintc, "UNSIGNED_LONG": np.uint64, "UNSIGNED_LONG_LONG": np.ulonglong,
         "default uint64": np.uint64}
out = {}
for name, dtype in TYPES.items():
    top = int(np.iinfo(dtype).max)
    mine = np.array([5 if comm.Get_rank() == 0 else top], dtype=dtype)
    got = {}
    for op in ("MIN", "MAX"):
        res = np.zeros_like(mine)
        if name == "default uint64":          # what mpi4py picks for the NumPy array
            comm.Allreduce(mine, res, op=getattr(MPI, op))
        else:
            comm.Allreduce([mine, getattr(MPI, name)], [res, getattr(MPI, name)], op=getattr(MPI, op))
        got[op] = int(res[0])
    out[name] = {"min_ok": got["MIN"] == 5, "max_ok": got["MAX"] == top}
if comm.Get_rank() == 0:
    print("UNSIGNED " + json.dumps(out), flush=True)
