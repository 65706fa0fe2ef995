"""Faults on one rank of a parallel run: ``fault_plugin.py MODE RANK``.

MODE ``raise``: an uncaught exception in a callback at the second time step;
``finish``: comin.finish at the second time step; ``halo_one_rank``: only RANK
asks for COMIN_FLAG_SYNC_HALO (a collective exchange the other ranks never
join, the deadlock-prone misuse); ``barrier_one_rank``: RANK alone enters a
barrier on the host communicator at the second step (it waits forever: the
others must notice in their next collective step and end the job);
``host_error``: RANK requests a variable the host cannot allocate (an
unknown zaxis_id): the host itself fails there, not a plugin callback.  Other
ranks carry on normally.
"""
import comin

mode, target = comin.current_get_plugin_info().args
target = int(target)
rank = comin.parallel_get_host_mpi_rank()
steps = 0
if mode == "host_error" and rank == target:
    comin.var_request_add(("unallocatable", 1), False)
    comin.metadata_set(("unallocatable", 1), zaxis_id=999)


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def setup():
    if mode == "halo_one_rank" and rank == target:
        comin.var_get([comin.EP_ATM_TIMELOOP_START], ("temp", 1),
                      comin.COMIN_FLAG_READ | comin.COMIN_FLAG_SYNC_HALO)


@comin.register_callback(comin.EP_ATM_TIMELOOP_START)
def step():
    global steps
    steps += 1
    if steps == 2 and rank == target:
        if mode == "raise":
            raise RuntimeError(f"deliberate failure on rank {rank}")
        if mode == "finish":
            comin.finish("fault_plugin", f"deliberate finish on rank {rank}")
        if mode == "barrier_one_rank":
            from mpi4py import MPI
            MPI.Comm.f2py(comin.parallel_get_host_mpi_comm()).Barrier()
