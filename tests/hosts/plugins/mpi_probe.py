"""MPI probe plugin of the scale hosts: the embedded Python sees the host's MPI world.

Runs under `mpirun -n 2 fortran_host_mpi`: MPI was initialised by the Fortran host
(mpi4py must not initialise it again), the host communicator handed over by
comin_parallel_mpi_handshake and the plugin communicator named in the plugin list
span both ranks; allreduce over the host communicator sums the ranks' temperatures.
"""
import numpy as np

import comin

initialized_before_import = None
try:
    import mpi4py
    mpi4py.rc.initialize = False        # the host owns MPI_Init/MPI_Finalize
    mpi4py.rc.finalize = False
    from mpi4py import MPI
    initialized_before_import = MPI.Is_initialized()
except ImportError:                     # pragma: no cover - mpi4py is a test dependency
    MPI = None

NAME = comin.current_get_plugin_info().name
host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
plugin = MPI.Comm.f2py(comin.parallel_get_plugin_mpi_comm())
rank = comin.parallel_get_host_mpi_rank()


def say(text):
    if rank == 0:
        print(f"{NAME}: {text}", flush=True)


say(f"mpi initialised by the host {initialized_before_import} world {MPI.COMM_WORLD.Get_size()} "
    f"host comm {host.Get_size()} plugin comm {plugin.Get_size()} library {' '.join(MPI.Get_library_version().split()[:2])}")
handles = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    for jg in (1, 2):
        handles[jg] = comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], ("temp", jg), comin.COMIN_FLAG_READ)


@comin.EP_ATM_PHYSICS_BEFORE
def physics_before():
    jg = comin.current_get_domain_id()
    local = float(np.asarray(handles[jg]).sum())
    total = host.allreduce(local * (rank + 1), op=MPI.SUM)
    ranks = plugin.allgather(rank)
    say(f"domain {jg} local {local:.1f} allreduce(local*(rank+1)) {total:.1f} ranks {ranks}")
