"""An external process joining the plugin communicator 'grp' (MPMD beside the host): both
stages of ComIn's handshake ("comin" on MPI_COMM_WORLD, then 'grp') through comin.parallel.join."""
import sys

from comin.parallel import join

grp = join("grp")["grp"]
total = grp.allreduce(1)
sys.stdout.write(f"external plug_size={grp.Get_size()} total={total}\n")
sys.stdout.flush()
