"""A point source: a plugin-owned tracer, emitted at one place every time step.

Shows how a plugin

* requests a tracer of its own on every domain (``var_request_add`` with
  domain -1, metadata ``tracer``, ``tracer_turb``, ``tracer_conv`` and
  ``units``), a mixing ratio in kg kg-1: the host transports it with the air,
  and its turbulence and convection
  schemes compute the tendencies ``ddt_<name>_turb`` and ``ddt_<name>_conv``
  which, as in ICON, the plugin applies itself (at EP_ATM_PHYSICS_BEFORE,
  ``q += dt * (ddt_turb + ddt_conv)``, the tendencies of the last physics pass);
* finds the grid cell of a place: a ``scipy.spatial.cKDTree`` on the unit-sphere
  coordinates of the centres (descriptive data ``clon``/``clat``) of the
  cells this process owns (``decomp_domain == 0``; only the ``ncells`` real
  cells, not the padding of the last nproma block), and whether the place
  lies inside the domain at all (a nest is a limited area; its lateral
  boundary zone is set by the parent and gets no emission);
* adds an emission rate [kg/s] at the lowest level each time step of each
  domain that holds the source, scaled by the domain's time step length and
  divided by the air mass of the cell (density ``rho`` times volume);
* keeps account of the mass it emitted and of the mass present in the tracer.

Run it (``--nest`` adds domain 2 around 10E 50N; the default source lies in it)::

    python -m comin run "examples/point_source.py --lon 11 --lat 48 --rate 10" --grid R2B4 --nest

Options: ``--name`` (tracer name, default ``plume``), ``--lon``/``--lat``
(degrees, default 11E 48N), ``--rate`` (kg/s, default 10).

Mass.  The tracer is a mass mixing ratio ``q`` in kg kg-1, as ICON's tracers,
and the mass of a domain is ``M = sum over cells and levels of rho * q * area
* dz`` (``rho``: the density of the air, ``area``: the cell area, ``dz``: the
layer thickness from the half-level heights ``hhl``).  That is the quantity
the emulator conserves, as ICON does: its transport moves air mass and the
tracer with it in flux form (``sum(rho * q * area)`` of every level stays), and
its turbulence and convection tendencies only move tracer mass within a column
(``sum(rho * q * dz)`` stays, with the density of the pass that computed them).
So what was emitted is what is there, to about 1e-7: the plugin applies the
tendencies of the last physics pass one step later, after the transport has
changed the density a little; and as long as the plume stays away from the
lateral boundary of a nest (whose boundary rows take the parent's values every
step).  The sums cover
this process's cells; with several MPI processes, sum them over the processes.

It prints where the source is, and at every output time, per domain::

    INFO(point_source): domain 1: source 11.000E 48.000N in cell 2864 (jc 16, jb 90) at 11.230E 47.693N, 38.2 km from its centre
    INFO(point_source): 2026-01-01T01:00:00 domain 1: emitted 3.6000000000e+04 kg, present 3.6000000000e+04 kg (relative difference 0.0e+00), in 19 columns; lifted out of the lowest level by turbulence 8.8e+03 kg, by convection 1.9e+03 kg
"""
import argparse

import numpy as np
from scipy.spatial import cKDTree

import comin

parser = argparse.ArgumentParser(prog="point_source", description=__doc__.splitlines()[0])
parser.add_argument("--name", default="plume", help="name of the tracer (default: %(default)s)")
parser.add_argument("--lon", type=float, default=11.0, help="longitude of the source [deg] (default: %(default)s)")
parser.add_argument("--lat", type=float, default=48.0, help="latitude of the source [deg] (default: %(default)s)")
parser.add_argument("--rate", type=float, default=10.0, help="emission rate [kg/s] (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)

NAME = opts.name
comin.var_request_add((NAME, -1), False)             # -1: every domain
comin.metadata_set((NAME, -1), tracer=True, tracer_turb=True, tracer_conv=True,
                   units="kg kg-1", long_name="tracer of a point source")

glob = comin.descrdata_get_global()


def unit_xyz(lon, lat):
    """Points on the unit sphere from longitude and latitude [rad] (last axis: x, y, z)."""
    lon, lat = np.asarray(lon), np.asarray(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def lonlat_text(lon, lat):
    """'11.000E 48.000N' from degrees."""
    return f"{abs(lon):.3f}{'E' if lon >= 0 else 'W'} {abs(lat):.3f}{'N' if lat >= 0 else 'S'}"


def unblock(a, n):
    """ICON's blocked (nproma, nblks, ...) array -> (n, ...) in unblocked order (j = jb*nproma + jc)."""
    a = np.asarray(a)
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:], order="F")[:n]


class Domain:
    """What the plugin knows of one domain: handles, the source cell, mass accounts."""

    def __init__(self, jg):
        self.jg = jg
        cells = comin.descrdata_get_domain(jg).cells
        self.nproma = glob.nproma
        self.ncells = cells.ncells
        self.area = np.asarray(cells.area)                                 # (nproma, nblks) [m2]
        hhl = np.asarray(cells.hhl)                                        # (nproma, nlev+1, nblks)
        self.dz = hhl[:, :-1, :] - hhl[:, 1:, :]                          # layer thickness [m]
        real = np.arange(self.area.size).reshape(self.area.shape, order="F") < self.ncells
        self.owned = real & (np.asarray(cells.decomp_domain) == 0)         # (nproma, nblks)
        self.volume = self.area[:, None, :] * self.dz * self.owned[:, None, :]
        self.emitted = 0.0                  # kg, emitted by this process
        self.lifted = {"turb": 0.0, "conv": 0.0}
        self.source = self.locate(cells)
        ctx = [comin.EP_ATM_ADVECTION_BEFORE, comin.EP_ATM_PHYSICS_BEFORE,
               comin.EP_ATM_WRITE_OUTPUT_BEFORE]
        self.q = comin.var_get(ctx, (NAME, jg), comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)
        self.rho = comin.var_get(ctx, ("rho", jg), comin.COMIN_FLAG_READ)
        self.ddt = {
            process: comin.var_get([comin.EP_ATM_PHYSICS_BEFORE], (f"ddt_{NAME}_{process}", jg),
                                   comin.COMIN_FLAG_READ)
            for process in ("turb", "conv")
        }

    def locate(self, cells):
        """(jc, jb) (0-based) of the owned cell nearest to the source, or None if it is elsewhere."""
        owned = np.nonzero(unblock(self.owned, self.ncells))[0]            # unblocked, 0-based
        if len(owned) == 0:
            return None
        xyz = unit_xyz(unblock(cells.clon, self.ncells)[owned], unblock(cells.clat, self.ncells)[owned])
        target = unit_xyz(np.deg2rad(opts.lon), np.deg2rad(opts.lat))
        chord, k = cKDTree(xyz).query(target)
        j = owned[k]
        jc, jb = j % self.nproma, j // self.nproma
        # inside the domain: no farther from the centre than the cell's corners, and not
        # in the lateral boundary zone of a nest (refin_ctrl 1..grf_bdywidth_c)
        vidx, vblk = np.asarray(cells.vertex_idx)[jc, jb], np.asarray(cells.vertex_blk)[jc, jb]
        verts = comin.descrdata_get_domain(self.jg).verts
        vlon, vlat = np.asarray(verts.vlon), np.asarray(verts.vlat)
        corners = unit_xyz(vlon[vidx - 1, vblk - 1], vlat[vidx - 1, vblk - 1])
        radius = np.linalg.norm(corners - xyz[k], axis=1).max()
        refin = int(np.asarray(cells.refin_ctrl)[jc, jb])
        angle = 2.0 * np.arcsin(min(chord / 2.0, 1.0))
        where = f"domain {self.jg}: source {lonlat_text(opts.lon, opts.lat)}"
        if chord > 1.1 * radius or 1 <= refin <= glob.grf_bdywidth_c:
            comin.print_info(f"{where} is outside the domain's interior (no emission here)")
            return None
        clon, clat = np.rad2deg(np.asarray(cells.clon)[jc, jb]), np.rad2deg(np.asarray(cells.clat)[jc, jb])
        comin.print_info(f"{where} in cell {j + 1} (jc {jc + 1}, jb {jb + 1}) at {lonlat_text(clon, clat)}, "
                         f"{angle * 6371.229:.1f} km from its centre")
        return jc, jb

    def emit(self):
        """Add ``rate * dt`` kg to the source cell's lowest level (over its air mass)."""
        if self.source is None:
            return
        jc, jb = self.source
        dt = comin.descrdata_get_timesteplength(self.jg)
        q = self.q.to_3d                                                   # (nproma, nlev, nblks)
        air = self.rho.to_3d[jc, -1, jb] * self.volume[jc, -1, jb]        # kg of air
        q[jc, -1, jb] += opts.rate * dt / air
        self.emitted += opts.rate * dt

    def apply_tendencies(self):
        """``q += dt * (ddt_turb + ddt_conv)``; count what left the lowest level [kg]."""
        dt = comin.descrdata_get_timesteplength(self.jg)
        q = self.q.to_3d
        air = self.rho.to_3d[:, -1, :] * self.volume[:, -1, :]
        for process, handle in self.ddt.items():
            ddt = handle.to_3d
            self.lifted[process] -= float(np.sum(ddt[:, -1, :] * air)) * dt
            q += dt * ddt

    def report(self):
        q = self.q.to_3d
        column = np.einsum("ikj,ikj,ikj->ij", q, self.rho.to_3d, self.volume)   # kg per column
        present = float(column.sum())
        ncolumns = int(np.count_nonzero(column > 0.0))
        rel = abs(present - self.emitted) / self.emitted if self.emitted else 0.0
        comin.print_info(
            f"{comin.current_get_datetime()} domain {self.jg}: emitted {self.emitted:.10e} kg, "
            f"present {present:.10e} kg (relative difference {rel:.1e}), in {ncolumns} columns; "
            f"lifted out of the lowest level by turbulence {self.lifted['turb']:.1e} kg, "
            f"by convection {self.lifted['conv']:.1e} kg")


domains = {}


@comin.EP_SECONDARY_CONSTRUCTOR
def setup():
    for jg in range(1, glob.n_dom + 1):
        domains[jg] = Domain(jg)


@comin.EP_ATM_ADVECTION_BEFORE
def emit():
    domains[comin.current_get_domain_id()].emit()


@comin.EP_ATM_PHYSICS_BEFORE
def physics_tendencies():
    domains[comin.current_get_domain_id()].apply_tendencies()


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def report():
    for dom in domains.values():
        dom.report()
