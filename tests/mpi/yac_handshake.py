"""ComIn's handshake meets YAC's own: `mpiexec -n 2 python yac_handshake.py : -n 1 python yac_handshake.py yac`.

The host ranks split MPI_COMM_WORLD with comin.parallel.mpi_handshake (groups
"comin_host_atmo" and "yac"); the last process only calls ``yac.YAC()``, whose C code runs the
same handshake with the group "yac".  Every rank prints ``YAC_HANDSHAKE {json}``.
"""
import json
import sys

from mpi4py import MPI
import yac

world = MPI.COMM_WORLD
if sys.argv[1:] == ["yac"]:
    instance, role, host_size = yac.YAC(), "yac", 0
else:
    from comin.parallel import mpi_handshake
    host, yac_comm = mpi_handshake(world, ["comin_host_atmo", "yac"])
    instance, role, host_size = yac.YAC(comm=yac_comm), "host", host.Get_size()
yac.def_calendar(yac.Calendar.PROLEPTIC_GREGORIAN)
instance.def_datetime("2026-01-01T00:00:00", "2026-01-01T01:00:00")
instance.def_comps([f"{role}{world.Get_rank()}"])
instance.sync_def()
instance.enddef()
# one write per line: the ranks share the launcher's stdout pipe
sys.stdout.write("YAC_HANDSHAKE " + json.dumps({"rank": world.Get_rank(), "role": role,
                                                "host_size": host_size, "yac_size": instance.size,
                                                "components": sorted(instance.component_names)})
                 + "\n")
sys.stdout.flush()
