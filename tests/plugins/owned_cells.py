"""Owned cells and global indices over the host ranks, checked the way upstream's
test_parallel_plugin does: decomp_domain == 0 counted over the whole (nproma, nblks) array,
padding of the last block included, summed over the host communicator."""
import numpy as np
from mpi4py import MPI

import comin

major = comin.setup_get_version()[0]
if major > 1:
    comin.finish("parallel test", "version mismatch")
host_comm = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
for jg in range(1, comin.descrdata_get_global().n_dom + 1):
    cells = comin.descrdata_get_domain(jg).cells
    owned = host_comm.allreduce(int(np.count_nonzero(np.asarray(cells.decomp_domain) == 0)), MPI.SUM)
    if owned != cells.ncells_global:
        comin.finish("parallel test", "There are more owned cells as global_size allows")
    if host_comm.allreduce(int(np.max(cells.glb_index)), MPI.MAX) != cells.ncells_global:
        comin.finish("parallel test", "The maximal global index is larger than global_size")
    comin.print_info(f"domain {jg}: {owned} owned cells of {cells.ncells_global}")
