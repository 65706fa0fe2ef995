"""A minimal Python host that is a YAC host through comin.hosts.yac (1 or N ranks).

    [mpiexec -n N] python yac_host.py OUTDIR [YAC: on|off|auto] [plugin ...]

Global grid R2B1 (320 cells, nproma 7): every rank holds all cells and owns those with
``cell % N == rank`` (the others are its halo, decomp_domain 1), a decomposition no
emulator code makes.  It exposes the 2-D field ``wave`` = cos(clat) sin(2 clon) + step
(-999 + step in its halo, as if it were never exchanged: YAC must use owned cells only),
calls the YAC stages between their entry points, then 3 steps of EP_ATM_TIMELOOP_END.
Each rank prints ``YAC_HOST {json}`` (the instance id it published, the stages done).
"""
import json
import os
import sys

import numpy as np

import comin
from comin import grid as gridmod
from comin.host import Host, PluginDescription
from comin.hosts.yac import STAGES, Coupling
from comin.parallel import world_size

NPROMA, NLEV, STEPS, DT = 7, 2, 3, 600.0
START, STOP = "2026-01-01T00:00:00", "2026-01-01T00:30:00"

out_dir, mode = sys.argv[1], sys.argv[2]
plugins = [PluginDescription.python(spec) for spec in sys.argv[3:]]
coupling = Coupling(plugins, {"on": True, "off": False, "auto": None}[mode])
host = Host(plugins)
comm = host.mpi_handshake(groups=coupling.groups) if world_size() > 1 else None
rank, size = (comm.Get_rank(), comm.Get_size()) if comm is not None else (0, 1)
coupling.start(None if comm is None else host.group_comm("yac"), START, STOP, host.component)

grid = gridmod.load_or_make_global("R2B1")
halo = (np.arange(grid.ncells) % size != rank).astype(np.intc)
kw = gridmod.domain_descrdata(grid, NPROMA, NLEV, decomp_domain={"cells": halo})
host.set_global(n_dom=1, max_dom=1, nproma=NPROMA, wp=8, yac_instance_id=coupling.instance_id)
host.set_domain(1, grid_filename="R2B1.nc", n_childdom=0, dom_start=0.0, dom_end=STEPS * DT, **kw)
host.set_timesteplength(1, DT)
host.set_simulation_interval(START, STOP, START, STOP)
host.set_datetime(START)
host.run_primary_constructors()

clon, clat = np.asarray(kw["cells"]["clon"]), np.asarray(kw["cells"]["clat"])
wave = np.asfortranarray(np.cos(clat) * np.sin(2 * clon))
wave[np.asarray(kw["cells"]["decomp_domain"]) > 0] = -999.0    # a halo not exchanged: stale values
host.expose("wave", 1, wave, metadata={"zaxis_id": comin.COMIN_ZAXIS_2D})
host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
for stage in STAGES:
    host.call_ep(getattr(comin, f"EP_ATM_YAC_{stage}_BEFORE"))
    coupling.stage(stage)
    host.call_ep(getattr(comin, f"EP_ATM_YAC_{stage}_AFTER"))
for step in range(STEPS):
    host.set_datetime(f"2026-01-01T00:{10 * step:02d}:00")
    host.call_ep(comin.EP_ATM_TIMELOOP_END)
    wave += 1.0
host.call_ep(comin.EP_DESTRUCTOR)
report = {"rank": rank, "size": size, "instance_id": coupling.instance_id, "stages": coupling.done,
          "grids": sorted(coupling.grids)}
coupling.finish()
host.finalize()
# one write per line: under `python -u` print's text and newline are two writes, and the
# launcher may put another rank's output between them
sys.stdout.write("YAC_HOST " + json.dumps(report) + "\n")
sys.stdout.flush()
