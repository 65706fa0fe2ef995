"""A plugin sending a diagnostic to an external process every time step (MPMD).

Its namelist entry names ``comm = "monitor"``.  Each host rank sums water
vapour mass (qv * area * layer depth factor 1) over the cells it *owns*; the
sums of all host ranks are gathered by the external process(es) in the
plugin communicator, which print the global total.  The host communicator
must hold only the host ranks, the plugin communicator also the externals.
"""
import json

import numpy as np
from mpi4py import MPI

import comin
from comin.parallel import roles

host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
plug = MPI.Comm.f2py(comin.parallel_get_plugin_mpi_comm())
who = roles(plug, "host")
externals = who.get("external", [])
cells = comin.descrdata_get_domain(1).cells
nproma = comin.descrdata_get_global().nproma
owned = (np.asarray(cells.decomp_domain) == 0)
area = np.asarray(cells.area)
print("MONITOR_HOST " + json.dumps({"rank": host.Get_rank(), "host_size": host.Get_size(),
                                    "plug_size": plug.Get_size(), "externals": externals}),
      flush=True)


@comin.register_callback(comin.EP_SECONDARY_CONSTRUCTOR)
def get():
    global qv
    qv = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("qv", 1), comin.COMIN_FLAG_READ)


@comin.register_callback(comin.EP_ATM_TIMELOOP_END)
def send():
    q = np.asarray(qv)[:, :, :, 0, 0]                     # (nproma, nlev, nblks)
    local = float(np.sum(q.sum(axis=1) * area * owned))
    plug.gather(("step", local), root=externals[0])


@comin.register_callback(comin.EP_DESTRUCTOR)
def done():
    plug.gather(("done", 0.0), root=externals[0])
