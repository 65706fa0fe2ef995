"""Send a field of the host through YAC to another program, every time step.

The plugin side of a coupled run: the receiving program (``examples/yac_receive.py``)
is started beside the host in the same ``mpiexec`` (MPMD), as a real coupled model
would be, and meets it in the MPI handshake (YAC's group ``"yac"``)::

    mpiexec -n 2 python3 -m comin run "examples/yac_send.py --var pres_sfc" --grid R2B3 --steps 4 \\
        : -n 1 python3 examples/yac_receive.py --field pres_sfc --dt 600 --steps 4

The plugin defines its component ``comin_sender`` and, at ``EP_ATM_YAC_DEFCOMP_AFTER``,
the field ``--var`` (a 2-D cell variable of domain 1) on the host's own grid
``icon_atmos_grid_1`` / ``icon_atmos_grid`` and cell points ``cell_centers``: the
receiver couples to it by these names.  At ``EP_ATM_TIMELOOP_END`` every host rank puts
its cells (the host's core mask leaves the halo out).
"""
import argparse

import numpy as np
from yac import YAC, Field, Location, TimeUnit

import comin

parser = argparse.ArgumentParser(prog="yac_send", description=__doc__.splitlines()[0])
parser.add_argument("--var", default="pres_sfc", help="2-D cell variable of domain 1 (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)

glob = comin.descrdata_get_global()
if glob.yac_instance_id == -1:
    comin.finish("yac_send", "the host is not a YAC host (yac_instance_id is -1): run it with --yac")
yac = YAC.from_id(glob.yac_instance_id)
component = yac.predef_comp("comin_sender")
grid_name = "icon_atmos_grid" if glob.n_dom == 1 else "icon_atmos_grid_1"
ncells = comin.descrdata_get_domain(1).cells.ncells


@comin.EP_SECONDARY_CONSTRUCTOR
def get_handle():
    global handle
    handle = comin.var_get([comin.EP_ATM_TIMELOOP_END], (opts.var, 1), comin.COMIN_FLAG_READ)


@comin.EP_ATM_YAC_DEFCOMP_AFTER
def define_field():
    global field
    points = yac.get_grid(grid_name).get_points(Location.CELL, "cell_centers")
    field = Field.create(opts.var, component, points, 1,
                         str(int(comin.descrdata_get_timesteplength(1))), TimeUnit.SECOND)


@comin.EP_ATM_TIMELOOP_END
def send():
    field.put(np.asarray(handle).reshape(-1, order="F")[:ncells].reshape(1, -1))
