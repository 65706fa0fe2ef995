"""A YAC plugin in upstream's idiom (examples/yac.py), on its host's grid by name.

Components ``probe_source`` (every host rank) and ``probe_target`` (rank 0, a 36 x 18
regular grid); at EP_ATM_YAC_DEFCOMP_AFTER the field ``wave`` on the host's
``icon_atmos_grid`` / ``cell_centers`` and the nearest-neighbour coupling to the
target; at EP_ATM_TIMELOOP_END every rank puts its cells, rank 0 gets.  Rank 0 writes
``OUTDIR/yac_probe.npz``: what it received each step, the target points, and what
YAC knows after enddef (components, grids).
"""
import os

import numpy as np
from yac import (YAC, Field, InterpolationStack, Location, NNNReductionType, Reduction, Reg2dGrid,
                 TimeUnit)

import comin

OUT = comin.current_get_plugin_info().args[0]
glob = comin.descrdata_get_global()
assert glob.yac_instance_id != -1, "The host-model is not configured with yac"
yac = YAC.from_id(glob.yac_instance_id)
rank = comin.parallel_get_host_mpi_rank()
source = yac.predef_comp("probe_source")
target = yac.predef_comp("probe_target") if rank == 0 else None
ncells = comin.descrdata_get_domain(1).cells.ncells
lon = np.linspace(-np.pi, np.pi, 37)[:-1]
lat = np.linspace(-np.pi / 2, np.pi / 2, 19)
lon_mid, lat_mid = lon + np.pi / 36, 0.5 * (lat[1:] + lat[:-1])
received = []


@comin.EP_SECONDARY_CONSTRUCTOR
def handles():
    global wave
    wave = comin.var_get([comin.EP_ATM_TIMELOOP_END], ("wave", 1), comin.COMIN_FLAG_READ)


@comin.EP_ATM_YAC_DEFCOMP_AFTER
def fields():
    global src, tgt
    points = yac.get_grid("icon_atmos_grid").get_points(Location.CELL, "cell_centers")
    src = Field.create("wave", source, points, 1, "600", TimeUnit.SECOND)
    if rank == 0:
        grid = Reg2dGrid("probe_grid", lon, lat, cyclic=(True, False))
        tgt = Field.create("wave", target, grid.def_points(Location.CELL, lon_mid, lat_mid), 1,
                           "600", TimeUnit.SECOND)
        stack = InterpolationStack()
        stack.add_nnn(NNNReductionType.AVG, n=1, scale=1.0)
        yac.def_couple("probe_source", "icon_atmos_grid", "wave", "probe_target", "probe_grid",
                       "wave", "600", TimeUnit.SECOND, Reduction.TIME_NONE, stack)


@comin.EP_ATM_TIMELOOP_END
def exchange():
    src.put(np.asarray(wave).reshape(-1, order="F")[:ncells].reshape(1, -1))
    if rank == 0:
        data, _ = tgt.get()
        received.append(np.asarray(data).reshape(-1).copy())


@comin.EP_DESTRUCTOR
def save():
    if rank == 0:
        np.savez(os.path.join(OUT, "yac_probe.npz"), received=np.array(received), lon=lon_mid,
                 lat=lat_mid, components=np.array(sorted(yac.component_names)),
                 grids=np.array(sorted(yac.grid_names)))
