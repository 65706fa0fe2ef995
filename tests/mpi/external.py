"""An external process joining the plugin communicator 'grp' (MPMD beside the host)."""
from mpi4py import MPI

from comin.parallel import mpi_handshake

(grp,) = mpi_handshake(MPI.COMM_WORLD, ["grp"])
print(f"external plug_size={grp.Get_size()} total={grp.allreduce(1)}", flush=True)
