"""An external process joining the plugin communicator 'grp' (MPMD beside the host)."""
import sys

from mpi4py import MPI

from comin.parallel import mpi_handshake

(grp,) = mpi_handshake(MPI.COMM_WORLD, ["grp"])
total = grp.allreduce(1)
sys.stdout.write(f"external plug_size={grp.Get_size()} total={total}\n")
sys.stdout.flush()
