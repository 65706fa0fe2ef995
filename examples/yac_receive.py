"""A program coupled to a comin host through YAC: receives a field every time step.

Start it beside the host in the same ``mpiexec`` (MPMD) with a plugin that sends
(``examples/yac_send.py``)::

    mpiexec -n 2 python3 -m comin run "examples/yac_send.py --var pres_sfc" --grid R2B3 --steps 4 \\
        : -n 1 python3 examples/yac_receive.py --field pres_sfc --dt 600 --steps 4

``yac.YAC()`` takes part in the host's MPI handshake (group ``"yac"``); this program
is the component ``receiver`` with a regular longitude-latitude grid, and couples the
sender's field on the host's grid (``comin_sender`` / ``icon_atmos_grid[_1]`` /
FIELD) to its own by nearest neighbour.  The host defines the calendar and the run's
start and end.  Each step it prints one line::

    RECEIVED step 1 2026-01-01T00:00:00.000 pres_sfc mean 101324.8 min 100966.5 max 101681.1
"""
import argparse

import numpy as np
from mpi4py import MPI  # noqa: F401  (initialises MPI before YAC)
from yac import (YAC, Action, Field, InterpolationStack, Location, NNNReductionType, Reduction,
                 Reg2dGrid, TimeUnit)

parser = argparse.ArgumentParser(prog="yac_receive", description=__doc__.splitlines()[0])
parser.add_argument("--field", default="pres_sfc", help="the sender's field (default: %(default)s)")
parser.add_argument("--dt", type=int, required=True, help="the host's time step in seconds")
parser.add_argument("--steps", type=int, required=True, help="how many steps the host runs")
parser.add_argument("--grid", default="icon_atmos_grid", help="the host's grid (default: %(default)s; "
                    "icon_atmos_grid_1 when the host has a nest)")
parser.add_argument("--nlon", type=int, default=72)
parser.add_argument("--nlat", type=int, default=36)
opts = parser.parse_args()

yac = YAC()                                    # the handshake with the host (group "yac")
(component,) = yac.def_comps(["receiver"])
lon = np.linspace(-np.pi, np.pi, opts.nlon + 1)[:-1]
lat = np.linspace(-np.pi / 2, np.pi / 2, opts.nlat + 1)
grid = Reg2dGrid("receiver_grid", lon, lat, cyclic=(True, False))
points = grid.def_points(Location.CELL, lon + np.pi / opts.nlon, 0.5 * (lat[1:] + lat[:-1]))
field = Field.create(opts.field, component, points, 1, str(opts.dt), TimeUnit.SECOND)
nearest = InterpolationStack()
nearest.add_nnn(NNNReductionType.AVG, n=1, scale=1.0)
yac.def_couple("comin_sender", opts.grid, opts.field, "receiver", "receiver_grid", opts.field,
               str(opts.dt), TimeUnit.SECOND, Reduction.TIME_NONE, nearest)
yac.sync_def()
yac.enddef()
for step in range(1, opts.steps + 1):
    when = field.datetime
    data, action = field.get()
    if action == Action.OUT_OF_BOUND:
        break
    values = np.asarray(data).ravel()
    print(f"RECEIVED step {step} {when} {opts.field} mean {values.mean():.1f} "
          f"min {values.min():.1f} max {values.max():.1f}", flush=True)
