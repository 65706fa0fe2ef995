"""A plugin in upstream's idiom (its test_mpi.py): the host and plugin communicators through
mpi4py, printed as ``host_comm: <rank>/<size>`` and ``plugin_comm: <rank>/<size>`` in the
primary and the secondary constructor."""
from mpi4py import MPI

import comin


def sizes(when):
    host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    plugin = MPI.Comm.f2py(comin.parallel_get_plugin_mpi_comm())
    name = comin.current_get_plugin_info().name
    print(f"{name} {when} host_comm: {host.Get_rank()}/{host.Get_size()} "
          f"plugin_comm: {plugin.Get_rank()}/{plugin.Get_size()}", flush=True)


sizes("primary")


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    sizes("secondary")
