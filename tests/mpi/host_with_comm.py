"""Host side of the MPI tests: one plugin with a communicator named 'grp'."""
import sys

from mpi4py import MPI

import comin
from comin.host import Host, PluginDescription

res = {}


def plugin():
    host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    plug = MPI.Comm.f2py(comin.parallel_get_plugin_mpi_comm())
    res.update(host_size=host.Get_size(), plug_size=plug.Get_size(),
               rank=comin.parallel_get_host_mpi_rank(),
               total=plug.allreduce(1))


with Host([PluginDescription(name="a", comm="grp", constructor=plugin)]) as h:
    h.set_global(n_dom=1, nproma=4)
    h.run_primary_constructors()
sys.stdout.write(f"host world={MPI.COMM_WORLD.Get_rank()} {res}\n")
sys.stdout.flush()
sys.exit(0)
