"""Host and plugin communicators as Fortran handles, wrapped with mpi4py."""
import sys

from mpi4py import MPI

import comin


def show(where):
    host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    plugin = MPI.Comm.f2py(comin.parallel_get_plugin_mpi_comm())
    assert comin.parallel_get_host_mpi_rank() == host.rank
    print(f"{where}: host {host.rank}/{host.size} plugin {plugin.rank}/{plugin.size}", file=sys.stderr)


show("primary")


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def secondary():
    show("secondary")
