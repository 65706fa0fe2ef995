"""Couple the host's surface pressure through YAC to a regular longitude-latitude grid and map it.

ComIn is an interface, not a coupler: a plugin that couples uses YAC on its host's
YAC instance.  The host (``comin run``, ``comin replay``, ICON configured for
coupling) publishes the instance as ``yac_instance_id`` and defines its own grid,
``icon_atmos_grid`` with the cell points ``cell_centers``, at the
``EP_ATM_YAC_DEFCOMP_*`` entry points.  So this plugin needs no grid code of its
own for the source side, and works for any ``nproma``, with a nest (the host's grid
then holds every domain, each cell where no finer domain covers it) and on any
number of host ranks (the host's core mask leaves the halos out):

* primary constructor: the plugin's components, ``comin_regrid_source`` on every
  host rank and ``comin_regrid_target`` on rank 0 (``predef_comp``);
* ``EP_ATM_YAC_DEFCOMP_AFTER``: the field ``pres_sfc`` on the host's cell points;
  on rank 0 a regular grid of ``--nlon`` x ``--nlat`` cells, the same field on its
  cell centres, and the coupling source -> target (nearest neighbour);
* ``EP_ATM_WRITE_OUTPUT_BEFORE``: every rank puts its surface pressure of every
  domain; rank 0 gets the remapped field and writes
  ``<outdir>/pres_sfc_lonlat_<datetime>.png``.

Run it (the host is a YAC host because the plugin imports yac)::

    python3 -m comin run "examples/yac_regrid.py --nlon 180 --nlat 90" --grid R2B4 --steps 2
    mpiexec -n 2 python3 -m comin run examples/yac_regrid.py --grid R2B4 --steps 2

It prints, on rank 0, per output time::

    INFO(yac_regrid): 2026-01-01T00:10:00.000: pres_sfc on 180 x 90 points, 99840.1 .. 100193.2 Pa
"""
import argparse
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from yac import (YAC, Field, InterpolationStack, Location, NNNReductionType, Reduction, Reg2dGrid,
                 TimeUnit)

import comin

parser = argparse.ArgumentParser(prog="yac_regrid", description=__doc__.splitlines()[0])
parser.add_argument("--nlon", type=int, default=360, help="cells along a latitude (default: %(default)s)")
parser.add_argument("--nlat", type=int, default=180, help="cells along a meridian (default: %(default)s)")
parser.add_argument("--outdir", default=".", help="directory of the pictures (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)

glob = comin.descrdata_get_global()
if glob.yac_instance_id == -1:
    comin.finish("yac_regrid", "the host is not a YAC host (yac_instance_id is -1): run it with --yac")
yac = YAC.from_id(glob.yac_instance_id)
rank = comin.parallel_get_host_mpi_rank()
source = yac.predef_comp("comin_regrid_source")
target = yac.predef_comp("comin_regrid_target") if rank == 0 else None
domains = range(1, glob.n_dom + 1)
ncells = {jg: comin.descrdata_get_domain(jg).cells.ncells for jg in domains}
dt = str(int(comin.descrdata_get_timesteplength(1)))

# the regular grid: cell edges in radian, cell centres between them
lon_edges = np.linspace(-np.pi, np.pi, opts.nlon + 1)
lat_edges = np.linspace(-np.pi / 2, np.pi / 2, opts.nlat + 1)
lon_mid = 0.5 * (lon_edges[1:] + lon_edges[:-1])
lat_mid = 0.5 * (lat_edges[1:] + lat_edges[:-1])


@comin.EP_SECONDARY_CONSTRUCTOR
def get_handles():
    global pres_sfc
    pres_sfc = {jg: comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], ("pres_sfc", jg),
                                  comin.COMIN_FLAG_READ) for jg in domains}


@comin.EP_ATM_YAC_DEFCOMP_AFTER
def define_fields():
    global src_field, tgt_field
    host_points = yac.get_grid("icon_atmos_grid").get_points(Location.CELL, "cell_centers")
    src_field = Field.create("pres_sfc", source, host_points, 1, dt, TimeUnit.SECOND)
    if rank == 0:
        grid = Reg2dGrid("comin_regrid_lonlat", lon_edges[:-1], lat_edges, cyclic=(True, False))
        points = grid.def_points(Location.CELL, lon_mid, lat_mid)
        tgt_field = Field.create("pres_sfc", target, points, 1, dt, TimeUnit.SECOND)
        nearest = InterpolationStack()
        nearest.add_nnn(NNNReductionType.AVG, n=1, scale=1.0)
        yac.def_couple("comin_regrid_source", "icon_atmos_grid", "pres_sfc",
                       "comin_regrid_target", "comin_regrid_lonlat", "pres_sfc",
                       dt, TimeUnit.SECOND, Reduction.TIME_NONE, nearest)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def remap():
    # ICON's blocked (nproma, nblks) arrays in the host's cell order: the first ncells points
    # of each domain, the domains one after the other (as the host's grid holds them)
    src_field.put(np.concatenate([np.asarray(pres_sfc[jg]).reshape(-1, order="F")[:ncells[jg]]
                                  for jg in domains]).reshape(1, -1))
    if rank != 0:
        return
    data, _ = tgt_field.get()
    field = np.asarray(data).reshape(opts.nlat, opts.nlon)
    when = comin.current_get_datetime()          # ICON's form: 2026-01-01T00:10:00.000
    stamp = when.split(".")[0].replace(":", "")
    comin.print_info(f"{when}: pres_sfc on {opts.nlon} x {opts.nlat} points, "
                     f"{field.min():.1f} .. {field.max():.1f} Pa")
    fig = Figure(figsize=(8, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(np.degrees(lon_edges), np.degrees(lat_edges), field, cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="surface pressure [Pa]")
    ax.set(xlabel="longitude [deg]", ylabel="latitude [deg]", title=f"pres_sfc via YAC, {when}")
    os.makedirs(opts.outdir, exist_ok=True)
    fig.savefig(os.path.join(opts.outdir, f"pres_sfc_lonlat_{stamp}.png"), dpi=80)
