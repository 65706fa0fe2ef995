"""The emulator host: ICON's grids, variables and entry points for ComIn plugins.

What a plugin meets here is what it meets in ICON:

* domain 1 is ICON's global ``RnBk`` grid or the grid of an ICON grid file,
  global or limited-area; nests (made here, or from grid files) are
  limited-area grids one bisection finer, linked to their parent cells; a
  parent's cells, edges and vertices over a nest carry ICON's negative
  refin_ctrl levels, in ICON's order;
* lateral boundaries as ICON has them: the rows ``refin_ctrl`` 1..4 of a
  limited-area domain 1 take the analytic state (as ICON's LAM takes its
  boundary data), those of a nest its parent's state, interpolated in time
  over its two half steps (one-way nesting, tracers included);
* descriptive data with ICON's names and conventions (:mod:`comin.hosts.emulator.grids`);
* the variables ICON exposes to ComIn, in ICON's (nproma, nlev, nblks)
  layout: ``u, v, temp, pres, rho, exner, theta_v`` (full levels), ``w``
  (half levels), ``pres_sfc`` (2-D), ``vn`` (edges), ``omega_z``
  (vertices) and the tracer container with ``qv, qc, qi, qr, qs`` and every
  tracer plugins request; tracers requested with ``tracer_turb`` /
  ``tracer_conv`` get ICON's tendencies ``ddt_<name>_turb/_conv``;
* the entry points in ICON's order: constructors, initialisation, the time
  loop (domain 2 takes two half steps per step of domain 1), output,
  destructor, with the current domain and datetime set as ICON sets them.

The model itself is small (:mod:`~comin.hosts.emulator.atmosphere`,
:mod:`~comin.hosts.emulator.transport`): winds from a travelling wave; the
density prognostic, moved with the air mass fluxes, and the tracers with it
as mass mixing ratios (total air and tracer masses kept to round-off);
pressure and Exner pressure analytic, temperature from the ideal gas law;
vertical mixing and convection that keep every column's tracer mass.
"""
from __future__ import annotations

import datetime as _dt
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

import comin
from comin.hosts.emulator import _kernels
from comin.hosts.emulator import grids as gridmod
from comin.hosts.emulator import atmosphere as atm
from comin.hosts.emulator import decomp
from comin.hosts.emulator.config import Config
from comin.hosts.emulator.grids.domains import Domains, build_domains, grid_file_name
from comin.hosts.emulator.transport import UpwindTransport
from comin.host import Host, default_metadata, requested_array
from comin.hosts.yac import Coupling
from comin.icon.blocking import contained_semantics, nblks
from comin.icon.halo import HaloSync, local_index_table, sync_label
from comin.icon.mtime import datetime_string
from comin.icon.points import BY_HGRID
from comin.parallel import world_rank

#: physics processes of one physics pass, in ICON's order
PHYSICS = ("SURFACE", "TURBULENCE", "MICROPHYSICS", "CONVECTION", "RADIATION", "RADHEAT", "GWDRAG")
#: the tracers ICON's NWP physics carries
HOST_TRACERS = ("qv", "qc", "qi", "qr", "qs")
TOP_HEIGHT = 20000.0
#: ICON's ``max_dom`` (mo_impl_constants): the descriptive data ``max_dom`` whatever ``n_dom`` is
ICON_MAX_DOM = 10
PBL_HEIGHT = 2500.0

_S = comin
_CELL3D = dict(zaxis_id=_S.COMIN_ZAXIS_3D, hgrid_id=_S.COMIN_HGRID_UNSTRUCTURED_CELL)
#: the host's own variables: name -> (metadata, units, long name)
HOST_VARIABLES = {
    "u": (_CELL3D, "m s-1", "zonal wind"),
    "v": (_CELL3D, "m s-1", "meridional wind"),
    "w": (dict(zaxis_id=_S.COMIN_ZAXIS_3D_HALF, hgrid_id=_S.COMIN_HGRID_UNSTRUCTURED_CELL),
          "m s-1", "vertical wind"),
    "temp": (_CELL3D, "K", "temperature"),
    "pres": (_CELL3D, "Pa", "pressure"),
    "rho": (_CELL3D, "kg m-3", "density"),
    "exner": (_CELL3D, "1", "Exner pressure"),
    "theta_v": (_CELL3D, "K", "virtual potential temperature"),
    "pres_sfc": (dict(zaxis_id=_S.COMIN_ZAXIS_2D, hgrid_id=_S.COMIN_HGRID_UNSTRUCTURED_CELL),
                 "Pa", "surface pressure"),
    "vn": (dict(zaxis_id=_S.COMIN_ZAXIS_3D, hgrid_id=_S.COMIN_HGRID_UNSTRUCTURED_EDGE),
           "m s-1", "normal wind at edges"),
    "omega_z": (dict(zaxis_id=_S.COMIN_ZAXIS_3D, hgrid_id=_S.COMIN_HGRID_UNSTRUCTURED_VERTEX),
                "s-1", "relative vorticity at vertices"),
}

#: the tracer container's metadata: where it lives, no ``tracer``/``units`` keys (a plugin's
#: ``metadata(("container", jg)).get("units")`` is None, as upstream's)
CONTAINER_METADATA = dict(_CELL3D)


class Domain:
    """One domain of the emulator: grid, blocking, fields, transport and lateral boundary.

    ``parent``: the parent :class:`Domain` of a nest (None for domain 1);
    ``children``: its nests, in domain order.
    """

    def __init__(self, jg: int, grid: gridmod.Grid, nproma: int, nlev: int, dt: float,
                 patch: Optional["decomp.Patch"] = None, parent: Optional["Domain"] = None):
        #: ``grid``: this rank's grid (the patch's local grid when decomposed);
        #: ``global_grid``: the whole domain; ``patch``: the decomposition (None: one rank)
        self.global_grid, self.patch = grid, patch
        if patch is not None:
            grid = patch.grid
        self.jg, self.grid, self.nproma, self.nlev, self.dt = jg, grid, nproma, nlev, dt
        self.parent, self.children = parent, []
        self.nblks = {"cells": nblks(grid.ncells, nproma), "edges": nblks(grid.nedges, nproma),
                      "verts": nblks(grid.nverts, nproma)}
        self.fields: Dict[str, np.ndarray] = {}        # the host's own variables + "container"
        self.requested: Dict[str, np.ndarray] = {}     # variables allocated for plugins' requests
        self.tendencies: Dict[tuple, np.ndarray] = {}   # (tracer index, "turb"|"conv") -> array
        self.transport = UpwindTransport(grid, nproma)
        if patch is not None:
            self.transport.parallel(patch.halo["cells"], patch.channel, f" of domain {jg}")
        self.glb2loc = None if patch is None else local_index_table(patch.layout.glb["cells"],
                                                              self.global_grid.ncells)
        self.z_ifc = np.linspace(TOP_HEIGHT, 0.0, nlev + 1)
        self.z_mc = 0.5 * (self.z_ifc[1:] + self.z_ifc[:-1])
        self.level_factor = atm.vertical_profile(nlev)
        self.time = 0.0
        self.clon, self.clat = self.blocked(grid.clon), self.blocked(grid.clat)
        self.vlon, self.vlat = self.blocked(grid.vlon, "verts"), self.blocked(grid.vlat, "verts")
        self.temp0, self.pres0 = atm.standard_atmosphere(self.z_mc)
        self.exner0 = (self.pres0 / 1.0e5) ** (atm.RD / atm.CPD)
        self.valid = self.blocked(np.ones(grid.ncells))              # 1 on cells, 0 in padding
        # saturation: a profile times a pattern (never a field of its own)
        self.qsat_level = 0.6 * atm.humidity_profile(self.z_mc)
        self.qsat_column = np.ascontiguousarray((atm.humidity_pattern(self.clat) * self.valid).T)
        # the lateral boundary rows (a limited-area domain, a nest): values from outside
        rows = (grid.refin_c_ctrl >= 1) & (grid.refin_c_ctrl <= gridmod.GRF_BDYWIDTH_C)
        self.boundary = np.nonzero(rows)[0]
        self.bnd_jc, self.bnd_jb = self.boundary % nproma, self.boundary // nproma
        self.feed: Optional[decomp.ParentFeed] = None      # a nest: the parent's values
        self._feed_old = self._feed_new = None
        self._scratch = {"mix": np.empty((3, nlev, nproma)), "convect": None}

    @staticmethod
    def level(profile: np.ndarray) -> np.ndarray:
        """A per-level profile shaped to broadcast against (nproma, nlev, nblks)."""
        return np.asarray(profile)[None, :, None]

    def blocked(self, values: np.ndarray, where: str = "cells") -> np.ndarray:
        """Unblocked (n,) or (n, nlev) values -> ICON's (nproma, nblks) / (nproma, nlev, nblks)."""
        b = gridmod.block(values, self.nproma)              # (nproma, nblks, ...)
        return np.asfortranarray(np.moveaxis(b, 1, -1)) if b.ndim == 3 else b

    def noise(self, rng: np.random.Generator) -> np.ndarray:
        """Standard normal numbers per cell (blocked), drawn for the whole domain so that
        every rank (and a single-process run) gives a cell the same number."""
        z = rng.standard_normal((self.nproma, nblks(self.global_grid.ncells, self.nproma)))
        if self.patch is None:
            return z
        flat = z.reshape(-1, order="F")
        return self.blocked(flat[self.patch.layout.glb["cells"] - 1])

    def gather(self, array: np.ndarray, where: str = "cells", root: int = 0) -> Optional[np.ndarray]:
        """A blocked (nproma, [nlev,] nblks) field of the whole domain, unblocked to
        (n_global, [nlev]) in global order, on ``root`` (None elsewhere); one rank: the field itself."""
        a = np.asarray(array)
        v = np.moveaxis(a, -1, 1).reshape((-1,) + a.shape[1:-1], order="F") if a.ndim == 3 \
            else a.reshape(-1, order="F")
        if self.patch is None:
            n = {"cells": self.grid.ncells, "edges": self.grid.nedges, "verts": self.grid.nverts}[where]
            return v[:n].copy()
        lay = self.patch.layout
        owned = lay.decomp[where] == 0
        parts = self.patch.channel.gather((lay.glb[where][owned], v[: len(owned)][owned]), root=root)
        if parts is None:
            return None
        out = np.zeros((self.patch.n_global[where],) + v.shape[1:], dtype=v.dtype)
        for glb, vals in parts:
            out[glb - 1] = vals
        return out

    def empty(self, where: str = "cells", nlev: Optional[int] = None, dtype=np.float64) -> np.ndarray:
        shape = (self.nproma, self.nblks[where]) if nlev is None else (self.nproma, nlev, self.nblks[where])
        return np.zeros(shape, dtype=dtype, order="F")

    # -- the atmosphere ------------------------------------------------------------
    def update_winds(self) -> None:
        """Winds, fluxes and vorticity at the domain's current time, in place.

        Everything is evaluated on ICON's blocked arrays: 2-D patterns times
        vertical profiles, one pass per field.
        """
        f, t = self.fields, self.time
        prof = self.level_factor
        outer = _kernels.outer
        u, v = atm.wind(self.clon, self.clat, t)
        outer(f["u"].T, u.T, prof)
        outer(f["v"].T, v.T, prof)
        tr = self.transport
        self.flux = tr.fluxes(atm.stream_function(tr.vlon, tr.vlat, t))
        outer(f["vn"].T, gridmod.block(tr.normal_wind(self.flux), self.nproma).T, prof)
        if self.patch is not None:
            # edges at the outer rim of the halo have one cell here: their owner knows vn
            self.patch.halo["edges"].exchange_blocked(
                f["vn"], what=f"the halo exchange of vn on domain {self.jg}")
        outer(f["omega_z"].T, atm.vorticity(self.vlon, self.vlat, t).T, prof)
        w_half = 0.01 * np.sin(np.pi * self.z_ifc / TOP_HEIGHT) * np.cos(atm.C_WAVE * t * 50.0)
        outer(f["w"].T, np.sin(2.0 * self.clon).T, w_half)

    def diagnose(self) -> None:
        """Pressure and Exner pressure (analytic: a travelling wave) and, from the
        prognostic density, temperature (ideal gas) and virtual potential temperature."""
        f = self.fields
        dtemp = atm.temperature_wave(self.clon, self.clat, self.time)      # (nproma, nblks)
        rel = 1.0 + 0.002 * dtemp                                           # pressure anomaly
        _kernels.thermodynamics(f["rho"].T, f["pres"].T, f["exner"].T, f["temp"].T, f["theta_v"].T,
                                np.ascontiguousarray(rel.T),
                                np.ascontiguousarray((1.0 + (atm.RD / atm.CPD) * 0.002 * dtemp).T),
                                self.pres0, self.exner0, atm.RD)
        np.multiply(atm.P0, rel, out=f["pres_sfc"])

    def update_dynamics(self) -> None:
        """Winds and the thermodynamic fields at the domain's current time."""
        self.update_winds()
        self.diagnose()

    def analytic_density(self, t: float, where: Optional[np.ndarray] = None) -> np.ndarray:
        """The analytic density (pressure and temperature waves) at time ``t``: blocked
        (nproma, nlev, nblks) into ``fields["rho"]``, or (n, nlev) at the cells ``where``."""
        if where is None:
            f, lev = self.fields, self.level
            dtemp = atm.temperature_wave(self.clon, self.clat, t)[:, None, :]
            np.multiply(lev(self.pres0), 1.0 + 0.002 * dtemp, out=f["pres"])
            rho = f["rho"]
            np.multiply(dtemp, lev(self.pres0 / atm.P0), out=rho)
            rho += lev(self.temp0)
            np.divide(f["pres"], rho, out=rho)
            rho *= 1.0 / atm.RD
            return rho
        g = self.grid
        dtemp = atm.temperature_wave(g.clon[where], g.clat[where], t)[:, None]
        pres = self.pres0[None, :] * (1.0 + 0.002 * dtemp)
        temp = self.temp0[None, :] + dtemp * (self.pres0 / atm.P0)[None, :]
        return pres / (atm.RD * temp)

    def host_tracers(self, lat: np.ndarray) -> List[tuple]:
        """The initial host tracers (qv, qc, qi, qr, qs) as (level profile, pattern of ``lat``)."""
        z = self.z_mc
        cloud = np.exp(-((z - 3000.0) / 1500.0) ** 2)
        ice = np.exp(-((z - 9000.0) / 2000.0) ** 2)
        band = np.cos(lat) ** 8                                    # the moist tropics
        return [(atm.humidity_profile(z), atm.humidity_pattern(lat)),
                (2.0e-5 * cloud, band), (1.0e-5 * ice, band),
                (5.0e-6 * np.exp(-z / 1500.0), band), (2.0e-6 * ice, band)]

    # -- the lateral boundary ---------------------------------------------------------
    def take_from_parent(self) -> None:
        """A nest: the parent's density and tracers at this domain's boundary cells (after
        the parent's step); the previous ones become the start of the interpolation."""
        p = self.parent.fields
        new = (self.feed.take(p["rho"]), self.feed.take(p["container"]))
        self._feed_old = new if self._feed_new is None else self._feed_new
        self._feed_new = new

    def prescribe_boundary(self, fraction: float = 1.0) -> None:
        """Set the lateral boundary rows: a nest from its parent (``fraction`` of the way from
        the parent's previous state to its current one), domain 1 of a limited-area run
        from the analytic state at the domain's time, as ICON's LAM takes its boundary
        data."""
        if not len(self.boundary):
            return
        f = self.fields
        jc, jb = self.bnd_jc, self.bnd_jb
        cont = f["container"]
        if self.parent is not None:
            (r0, q0), (r1, q1) = self._feed_old, self._feed_new
            if fraction >= 1.0:
                rho, q = r1, q1
            else:
                rho, q = r0 + fraction * (r1 - r0), q0 + fraction * (q1 - q0)
            f["rho"][jc, :, jb] = rho
            cont[jc, :, jb] = q
            return
        f["rho"][jc, :, jb] = self.analytic_density(self.time, self.boundary)
        lat = self.grid.clat[self.boundary]
        q = np.zeros((len(self.boundary), self.nlev, cont.shape[3]))
        for k, (prof, pattern) in enumerate(self.host_tracers(lat)):
            q[:, :, k] = pattern[:, None] * prof[None, :]
        cont[jc, :, jb] = q


class Emulator:
    """The built-in host: ``Emulator(plugins, Config(...)).run()``.

    ``plugins``: as :class:`comin.host.Host` takes them (``"script.py args"``
    strings, :class:`comin.host.PluginDescription` objects, callables).
    ``host_kwargs`` go to the Host (e.g. ``profile=True``; ``comm``: the
    communicator to run ComIn's handshake on instead of MPI_COMM_WORLD).

    Several MPI processes (an MPI launcher, or an initialised MPI with more
    than one rank): ComIn's handshake splits off the host ranks, each domain
    is decomposed over them (:mod:`~comin.hosts.emulator.decomp`), every rank holds
    its patch in ``domains[jg]`` (``grid`` local, ``global_grid`` whole) and
    :meth:`Domain.gather` collects a field in global order.
    """

    def __init__(self, plugins: Sequence, config: Optional[Config] = None,
                 host_kwargs: Optional[dict] = None):
        self.config = cfg = config or Config()
        cfg.check()
        self.domains: Dict[int, Domain] = {}
        self._domains: Optional[Domains] = None
        self.tracers: List[str] = list(HOST_TRACERS)
        self.calls = 0
        self.nsteps = cfg.n_steps()
        self.rng = np.random.default_rng(cfg.seed)
        z_ifc = np.linspace(TOP_HEIGHT, 0.0, cfg.nlev + 1)
        z_mc = 0.5 * (z_ifc[1:] + z_ifc[:-1])
        #: first level of the boundary layer (below 2.5 km; at least the lowest two levels)
        self._pbl_top = max(0, min(int(np.argmax(z_mc < PBL_HEIGHT)), cfg.nlev - 2))
        self._host_kwargs = dict(host_kwargs or {})
        # ComIn's messages and print_info/_warning/_debug on rank 0 only, as ICON sets lstdout
        if decomp.under_mpi():
            self._host_kwargs.setdefault("lstdout", world_rank() == 0)
        self._comm = False        # not decided yet (see communicator())
        self.yac = Coupling(plugins, cfg.yac)      # YAC as ICON uses it (comin.hosts.yac)
        self.host = Host(plugins, verbosity=cfg.verbosity, **self._host_kwargs)
        #: ComIn's halo exchange of a variable (COMIN_FLAG_SYNC_HALO), given to the Host
        self._sync_halo = HaloSync(self.host, self._halo_of)

    # convenience for tests and tools
    @property
    def fields(self) -> Dict[int, Dict[str, np.ndarray]]:
        return {jg: d.fields for jg, d in self.domains.items()}

    # -- set-up ------------------------------------------------------------------------
    def build_domains(self) -> "Domains":
        """Every domain's grid and parent (made here through the cache, or read from grid files;
        see :mod:`comin.hosts.emulator.grids.domains`)."""
        if self._domains is None:
            cfg = self.config
            self._domains = build_domains(cfg.grid, cfg.nest, cfg.nest_center, cfg.nest_radius,
                                          cfg.nest_files, cfg.cache_dir)
        return self._domains

    def build_grids(self) -> List[gridmod.Grid]:
        """The grid of every domain, domain 1 first."""
        return list(self.build_domains().grids)

    def communicator(self):
        """The host communicator (mpi4py) when this run is parallel, else None.

        Under an MPI launcher (or with a ``comm`` in ``host_kwargs``) ComIn's
        handshake runs first, as in ICON: processes started beside the host
        in the same ``mpirun`` (MPMD) are split off, and the host ranks
        decompose the domains among themselves.  A run without a launcher
        never initialises MPI.
        """
        if self._comm is False:
            self._comm = None
            if decomp.under_mpi() or self._host_kwargs.get("comm") is not None:
                self._comm = self.host.mpi_handshake(groups=self.yac.groups)
        return self._comm

    def setup(self) -> None:
        """Descriptive data, time steps, host functions and the initial state."""
        cfg, host = self.config, self.host
        comm = self.communicator()
        if comm is not None and comm.Get_size() > 1 and self._domains is None:
            # rank 0 makes the grids that are not cached yet; the others then load them
            if comm.Get_rank() == 0:
                self.build_domains()
            comm.Barrier()
        domains = self.build_domains()
        grids, parents = domains.grids, domains.parents
        n_dom = len(grids)
        patches = [None] * n_dom
        if comm is not None and comm.Get_size() > 1:
            patches = decomp.decompose(grids, comm, parents=parents)
        z_ifc = np.linspace(TOP_HEIGHT, 0.0, cfg.nlev + 1)
        start = cfg.start_time()
        self.times = [start + _dt.timedelta(seconds=cfg.dt * i) for i in range(self.nsteps + 1)]
        stop = self.times[-1]
        self.yac.start(None if comm is None else host.group_comm("yac"), start, stop, host.component)
        host.set_global(
            n_dom=n_dom, max_dom=ICON_MAX_DOM, nproma=cfg.nproma, wp=8,
            min_rlcell_int=gridmod.MIN_RLCELL_INT, min_rlcell=gridmod.MIN_RLCELL,
            max_rlcell=gridmod.MAX_RLCELL, min_rledge_int=gridmod.MIN_RLEDGE_INT,
            min_rledge=gridmod.MIN_RLEDGE, max_rledge=gridmod.MAX_RLEDGE,
            min_rlvert_int=gridmod.MIN_RLVERT_INT, min_rlvert=gridmod.MIN_RLVERT,
            max_rlvert=gridmod.MAX_RLVERT, grf_bdywidth_c=gridmod.GRF_BDYWIDTH_C,
            grf_bdywidth_e=gridmod.GRF_BDYWIDTH_E, lrestartrun=False, vct_a=z_ifc,
            yac_instance_id=self.yac.instance_id, host_git_remote_url="", host_git_branch="", host_git_tag="",
            host_revision=f"comin-emulator {comin.__version__}", has_device=False,
            device_name="", device_vendor="", device_driver="")
        host.set_simulation_interval(datetime_string(start), datetime_string(stop),
                                     datetime_string(start), datetime_string(stop))
        # ICON's number_of_grid_used of every domain (the grid files' GRIB2 keys)
        used = np.array([g.number_of_grid_used for g in grids], dtype=np.intc)
        for i, grid in enumerate(grids):
            jg = i + 1
            parent = self.domains[parents[i] + 1] if parents[i] >= 0 else None
            dt = cfg.dt if parent is None else parent.dt / 2
            patch = patches[i]
            dom = self.domains[jg] = Domain(jg, grid, cfg.nproma, cfg.nlev, dt, patch, parent)
            if parent is not None:
                parent.children.append(dom)
                dom.feed = decomp.ParentFeed(dom.grid, cfg.nproma, gridmod.GRF_BDYWIDTH_C,
                                             parent.patch, patch, grid, f" of domain {jg}")
            par = {} if patch is None else dict(
                decomp_domain=patch.layout.decomp, n_global=patch.n_global)
            kids = domains.child_domain_ids(i)
            kw = gridmod.domain_descrdata(dom.grid, cfg.nproma, cfg.nlev,
                                          child_domain_id=kids or None,
                                          top_height=TOP_HEIGHT, **par)
            host.set_domain(jg, grid_filename=grid.path or grid_file_name(grid),
                            n_childdom=len(kids), nshift=0, nshift_total=0, dom_start=0.0,
                            dom_end=cfg.dt * self.nsteps, number_of_grid_used=used, **kw)
            host.set_timesteplength(jg, dt)
            self._allocate(dom)
        host.set_glb2loc_cell(self._glb2loc)
        host.set_sync_halo(self._sync_halo)
        host.set_datetime(datetime_string(start))

    def _glb2loc(self, jg: int, glb: int) -> int:
        """The 1-based local index of global cell ``glb`` on this rank (owned or halo), -1 if
        this rank does not hold it (one process: the global index)."""
        dom = self.domains.get(jg)
        if dom is None:
            return -1
        if dom.glb2loc is None:
            return glb if 1 <= glb <= dom.grid.ncells else -1
        if not 1 <= glb < len(dom.glb2loc):
            return -1
        return int(dom.glb2loc[glb]) or -1

    def _halo_of(self, jg: int, group: str, name: str):
        """The halo of domain ``jg``'s cells, edges or vertices on this rank (None: one rank
        owns every point, nothing to exchange)."""
        patch = self.domains[jg].patch
        return None if patch is None else patch.halo[group]

    def _allocate(self, dom: Domain) -> None:
        f, nlev = dom.fields, dom.nlev
        for name, (meta, _units, _long) in HOST_VARIABLES.items():
            where = BY_HGRID[meta["hgrid_id"]].group
            if meta["zaxis_id"] == comin.COMIN_ZAXIS_2D:
                f[name] = dom.empty(where)
            else:
                f[name] = dom.empty(where, nlev + (meta["zaxis_id"] == comin.COMIN_ZAXIS_3D_HALF))
        dom.analytic_density(0.0)          # the density is prognostic from here on
        dom.update_dynamics()

    def _expose(self) -> None:
        """Expose the host's variables, the tracers, and everything plugins requested."""
        host = self.host
        requests = host.requests
        for r in requests:
            if r.tracer and r.name not in self.tracers:
                self.tracers.append(r.name)
        # ICON's container (nproma, nlev, nblks, ntracer) and its tracers, each a slice of
        # length 1 whose 4th dimension is UNUSED (not CONTAINER), as upstream's plugins check
        sem = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_LEVEL,
               comin.COMIN_DIM_SEMANTICS_BLOCK, comin.COMIN_DIM_SEMANTICS_CONTAINER)
        tracer_sem = contained_semantics(sem)
        for jg, dom in self.domains.items():
            f = dom.fields
            for name, (meta, units, long_name) in HOST_VARIABLES.items():
                host.expose(name, jg, f[name], metadata=dict(default_metadata(), units=units,
                                                            long_name=long_name, **meta))
            cont = np.zeros((dom.nproma, dom.nlev, dom.nblks["cells"], len(self.tracers)), order="F")
            f["container"] = cont
            noise = 1.0 + 0.01 * dom.noise(self.rng)                 # --seed
            for k, (profile, pattern) in enumerate(dom.host_tracers(dom.clat)):
                pattern = pattern * dom.valid * (noise if k == 0 else 1.0)
                np.multiply(pattern[:, None, :], dom.level(profile), out=cont[..., k])
            # the container has no tracer or units key (upstream's containers have neither)
            host.expose("container", jg, cont, dim_semantics=sem, lcontainer=True,
                        ncontained=len(self.tracers), metadata=CONTAINER_METADATA)
            for k, name in enumerate(self.tracers):
                meta = dict(default_metadata(), tracer=True, units="kg kg-1")
                for r in requests:
                    if r.name == name and r.domain_id == jg:
                        meta.update(r.metadata)
                host.expose(name, jg, cont[:, :, :, k:k + 1], dim_semantics=tracer_sem, ncontained=k + 1,
                            metadata=meta)
                for process in ("turb", "conv"):        # ICON's tendencies of such tracers
                    if meta.get(f"tracer_{process}") is True:
                        ddt = dom.tendencies[(k, process)] = dom.empty("cells", dom.nlev)
                        host.expose(f"ddt_{name}_{process}", jg, ddt,
                                    metadata=dict(default_metadata(), zaxis_id=comin.COMIN_ZAXIS_3D,
                                                  units="kg kg-1 s-1"))
            if dom.patch is not None:
                # every rank can name every variable's halo exchange in a report
                for name, jd in host.variables:
                    dom.patch.channel.tag(sync_label(name, jd))
            exposed = set(host.variables)
            for r in requests:
                if r.domain_id != jg or r.tracer or (r.name, jg) in exposed:
                    continue
                meta = dict(default_metadata(), **r.metadata)
                arr = requested_array(r.name, jg, meta, dom.nproma, dom.nlev, dom.nblks)
                dom.requested[r.name] = arr
                host.expose(r.name, jg, arr, metadata=meta)
        for dom in self.domains.values():          # the lateral boundaries' first values
            if dom.parent is not None:
                dom.take_from_parent()
            if len(dom.boundary):
                dom.prescribe_boundary()
                dom.diagnose()

    # -- the time loop ---------------------------------------------------------------
    def call(self, name: str, jg: int = -1) -> None:
        self.calls += 1
        self.host.call_ep(getattr(comin, "EP_" + name), jg)

    def _physics(self, dom: Domain) -> None:
        jg = dom.jg
        for p in PHYSICS:
            self.call(f"ATM_{p}_BEFORE", jg)
            if p == "TURBULENCE":
                self._column_process(dom, "turb", self._mix)
            elif p == "CONVECTION":
                self._column_process(dom, "conv", self._convect)
            elif p == "MICROPHYSICS":
                self._microphysics(dom)
            self.call(f"ATM_{p}_AFTER", jg)

    def _column_process(self, dom: Domain, process: str, fn: Callable) -> None:
        """Turbulence or convection, as ICON treats tracers.

        The host's own tracers (qv, qc, ...) are updated in place.  For a
        tracer a plugin requested with ``tracer_turb``/``tracer_conv`` ICON
        only computes the tendency ``ddt_<name>_<process>`` and leaves applying
        it to the plugin (ComIn's point-source example adds ``dt * ddt`` at
        EP_ATM_PHYSICS_BEFORE); other plugin tracers are not touched.
        """
        q, rho = dom.fields["container"], dom.fields["rho"]
        fn(dom, q.T[: len(HOST_TRACERS)], rho.T)
        for (k, proc), ddt in dom.tendencies.items():
            if proc == process:
                moved = np.array(q[..., k:k + 1], order="F")
                fn(dom, moved.T, rho.T)
                np.subtract(moved[..., 0], q[..., k], out=ddt)
                ddt /= dom.dt

    def _mix(self, dom: Domain, q: np.ndarray, rho: np.ndarray) -> None:
        """Turbulent mixing in the boundary layer (below ``PBL_HEIGHT``): exchange of mass
        between neighbouring levels, which keeps every column's tracer mass."""
        _kernels.mix_levels(q, rho, self._pbl_top, 0.1, dom._scratch["mix"])

    @staticmethod
    def _convect(dom: Domain, q: np.ndarray, rho: np.ndarray) -> None:
        """Convection: lift 2 % of the lowest level's tracer mass, spread over the lower half."""
        share = dom._scratch["convect"]
        if share is None or share.shape[0] != q.shape[0] + 1:
            share = dom._scratch["convect"] = np.empty((q.shape[0] + 1, dom.nproma))
        _kernels.convect(q, rho, dom.nlev // 2, 0.02, share)

    @staticmethod
    def _microphysics(dom: Domain) -> None:
        """Condensation of water vapour above saturation into cloud water (qv, qc only)."""
        q = dom.fields["container"]
        _kernels.saturation_adjust(q[..., 0].T, q[..., 1].T, dom.qsat_level, dom.qsat_column, 0.1)

    def _integrate(self, dom: Domain, fraction: float = 1.0) -> None:
        """One step of domain ``dom`` with its entry points, and its nests' two half steps.

        ``fraction``: how far into its parent's step this step ends (a nest's
        boundary values are interpolated in time between the parent's states)."""
        jg = dom.jg
        f = dom.fields
        self.call("ATM_INTEGRATE_BEFORE", jg)
        self.call("ATM_INTEGRATE_START", jg)
        dom.time += dom.dt
        dom.update_winds()
        self.call("ATM_ADVECTION_BEFORE", jg)
        dom.transport.advect(f["rho"], f["container"], dom.flux, dom.dt, dom.level_factor)
        dom.prescribe_boundary(fraction)
        dom.diagnose()
        self.call("ATM_ADVECTION_AFTER", jg)
        self.call("ATM_PHYSICS_BEFORE", jg)
        self._physics(dom)
        dom.prescribe_boundary(fraction)
        self.call("ATM_PHYSICS_AFTER", jg)
        for child in dom.children:
            child.take_from_parent()
            for half in (0.5, 1.0):
                self._integrate(child, half)
        self.call("ATM_NUDGING_BEFORE", jg)
        self.call("ATM_NUDGING_AFTER", jg)
        self.call("ATM_INTEGRATE_END", jg)
        self.call("ATM_INTEGRATE_AFTER", jg)

    def _checkpoint_due(self, step: int) -> bool:
        """ICON writes restart files every ``checkpoint_every`` steps and at the end."""
        every = self.config.checkpoint_every
        return step == self.nsteps or bool(every and step % every == 0)

    def run(self, progress: Optional[Callable[[int], None]] = None) -> None:
        """Set up, run every plugin through the whole model run, finalize the host.

        ``progress(step)`` is called after each completed step (1..n).
        """
        host = self.host
        try:
            self.setup()
            host.run_primary_constructors()
            self._expose()
            self.call("SECONDARY_CONSTRUCTOR")
            self.call("ATM_INIT_FINALIZE")
            for stage in ("DEFCOMP", "SYNCDEF", "ENDDEF"):
                self.call(f"ATM_YAC_{stage}_BEFORE")
                self.yac.stage(stage)
                self.call(f"ATM_YAC_{stage}_AFTER")
            for dom in self.domains.values():
                self._physics(dom)
            self.call("ATM_WRITE_OUTPUT_BEFORE")
            self.call("ATM_WRITE_OUTPUT_AFTER")
            self.call("ATM_TIMELOOP_BEFORE")
            for step in range(1, self.nsteps + 1):
                host.set_datetime(datetime_string(self.times[step]))
                self.call("ATM_TIMELOOP_START")
                self._integrate(self.domains[1])
                self.call("ATM_WRITE_OUTPUT_BEFORE")
                self.call("ATM_WRITE_OUTPUT_AFTER")
                if self._checkpoint_due(step):
                    self.call("ATM_CHECKPOINT_BEFORE")
                    self.call("ATM_CHECKPOINT_AFTER")
                self.call("ATM_TIMELOOP_END")
                if progress is not None:
                    progress(step)
            self.call("ATM_TIMELOOP_AFTER")
            self.call("DESTRUCTOR")
        finally:
            self.yac.finish()
            if not host.finalized:
                host.finalize()

    def write_grids(self, directory: str) -> List[str]:
        """Write every domain's grid as an ICON grid NetCDF file into ``directory``."""
        import os
        os.makedirs(directory, exist_ok=True)
        out = []
        domains = self.build_domains()
        for i, grid in enumerate(domains.grids):
            path = os.path.join(directory, grid_file_name(grid))
            gridmod.write_grid_netcdf(grid, path, child_domain_id=domains.child_domain_ids(i) or None)
            out.append(path)
        return out
