"""The emulator host: ICON's grids, variables and entry points for ComIn plugins.

What a plugin meets here is what it meets in ICON:

* domain 1 is ICON's global ``RnBk`` grid; with ``nest`` domain 2 is a
  limited-area grid one bisection finer, linked to its parent cells;
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
:mod:`~comin.hosts.emulator.transport`): winds from a travelling wave, tracers
moved by a conservative scheme, vertical mixing and convection that keep
every column's tracer mass.
"""
from __future__ import annotations

import datetime as _dt
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

import comin
from comin.hosts.emulator import grids as gridmod
from comin.hosts.emulator import atmosphere as atm
from comin.hosts.emulator import decomp
from comin.hosts.emulator.config import Config
from comin.hosts.emulator.transport import UpwindTransport
from comin.host import Host, default_metadata, requested_array
from comin.hosts.yac import Coupling
from comin.icon.blocking import nblks
from comin.icon.halo import HaloSync, local_index_table, sync_label
from comin.icon.points import BY_HGRID
from comin.parallel import world_rank

#: physics processes of one physics pass, in ICON's order
PHYSICS = ("SURFACE", "TURBULENCE", "MICROPHYSICS", "CONVECTION", "RADIATION", "RADHEAT", "GWDRAG")
#: the tracers ICON's NWP physics carries
HOST_TRACERS = ("qv", "qc", "qi", "qr", "qs")
TOP_HEIGHT = 20000.0
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


class Domain:
    """One domain of the emulator: grid, blocking, fields and transport."""

    def __init__(self, jg: int, grid: gridmod.Grid, nproma: int, nlev: int, dt: float,
                 patch: Optional["decomp.Patch"] = None):
        #: ``grid``: this rank's grid (the patch's local grid when decomposed);
        #: ``global_grid``: the whole domain; ``patch``: the decomposition (None: one rank)
        self.global_grid, self.patch = grid, patch
        if patch is not None:
            grid = patch.grid
        self.jg, self.grid, self.nproma, self.nlev, self.dt = jg, grid, nproma, nlev, dt
        self.nblks = {"cells": nblks(grid.ncells, nproma), "edges": nblks(grid.nedges, nproma),
                      "verts": nblks(grid.nverts, nproma)}
        self.fields: Dict[str, np.ndarray] = {}        # the host's own variables + "container"
        self.requested: Dict[str, np.ndarray] = {}     # variables allocated for plugins' requests
        self.tendencies: Dict[tuple, np.ndarray] = {}   # (tracer index, "turb"|"conv") -> array
        if patch is None:
            self.transport = UpwindTransport(grid)
            edge_pos = self.transport.edges
        else:
            # the transport runs on the patch in global-index order (bit-identical sums)
            order = {k: patch.sorted_positions(k) for k in decomp.KINDS}
            lay = decomp.Layout({k: patch.layout.glb[k][order[k]] for k in decomp.KINDS},
                                {k: patch.layout.decomp[k][order[k]] for k in decomp.KINDS})
            self.transport = UpwindTransport(decomp.local_grid(self.global_grid, lay))
            self.transport.parallel(order["cells"], patch.halo["cells"], patch.channel,
                                    f" of domain {jg}")
            edge_pos = order["edges"][self.transport.edges]
        self.glb2loc = None if patch is None else local_index_table(patch.layout.glb["cells"],
                                                              self.global_grid.ncells)
        self.z_ifc = np.linspace(TOP_HEIGHT, 0.0, nlev + 1)
        self.z_mc = 0.5 * (self.z_ifc[1:] + self.z_ifc[:-1])
        self.level_factor = atm.vertical_profile(nlev)
        self.time = 0.0
        self.edge_jc, self.edge_jb = edge_pos % nproma, edge_pos // nproma     # interior edges
        self.clon, self.clat = self.blocked(grid.clon), self.blocked(grid.clat)
        self.vlon, self.vlat = self.blocked(grid.vlon, "verts"), self.blocked(grid.vlat, "verts")
        self.temp0, self.pres0 = atm.standard_atmosphere(self.z_mc)
        self.exner0 = (self.pres0 / 1.0e5) ** (atm.RD / atm.CPD)
        self.valid = self.blocked(np.ones(grid.ncells))[:, None, :]   # 1 on cells, 0 in padding
        self.qsat = 0.6 * atm.specific_humidity(self.level(self.z_mc), self.clat[:, None, :]) * self.valid

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
    def update_dynamics(self) -> None:
        """Winds, temperature and pressure at the domain's current time, in place.

        Everything is evaluated on ICON's blocked arrays: 2-D patterns times
        vertical profiles, one pass per field.
        """
        f, t, lev = self.fields, self.time, self.level
        prof = lev(self.level_factor)
        u, v = atm.wind(self.clon, self.clat, t)
        np.multiply(u[:, None, :], prof, out=f["u"])
        np.multiply(v[:, None, :], prof, out=f["v"])
        tr = self.transport
        self.flux = tr.fluxes(atm.stream_function(tr.vlon, tr.vlat, t))
        vn = np.zeros((self.nproma, self.nblks["edges"]), order="F")
        vn[self.edge_jc, self.edge_jb] = self.transport.normal_wind(self.flux)
        np.multiply(vn[:, None, :], prof, out=f["vn"])
        if self.patch is not None:
            # edges at the outer rim of the halo have one cell here: their owner knows vn
            self.patch.halo["edges"].exchange_blocked(
                f["vn"], what=f"the halo exchange of vn on domain {self.jg}")
        np.multiply(atm.vorticity(self.vlon, self.vlat, t)[:, None, :], prof, out=f["omega_z"])
        dtemp = atm.temperature_wave(self.clon, self.clat, t)[:, None, :]
        rel = 1.0 + 0.002 * dtemp                                   # pressure anomaly
        np.multiply(dtemp, lev(self.pres0 / atm.P0), out=f["temp"])
        f["temp"] += lev(self.temp0)
        np.multiply(lev(self.pres0), rel, out=f["pres"])
        np.divide(f["pres"], f["temp"], out=f["rho"])
        f["rho"] *= 1.0 / atm.RD
        np.multiply(lev(self.exner0), 1.0 + (atm.RD / atm.CPD) * 0.002 * dtemp, out=f["exner"])
        np.divide(f["temp"], f["exner"], out=f["theta_v"])
        np.multiply(atm.P0, rel[:, 0, :], out=f["pres_sfc"])
        w_half = 0.01 * np.sin(np.pi * self.z_ifc / TOP_HEIGHT) * np.cos(atm.C_WAVE * t * 50.0)
        np.multiply(np.sin(2.0 * self.clon)[:, None, :], lev(w_half), out=f["w"])


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
    def build_grids(self) -> List[gridmod.Grid]:
        """Domain 1's global grid and, with ``nest``, domain 2 (from the cache when possible)."""
        cfg = self.config
        root = gridmod.load_or_make_global(cfg.grid, cfg.cache_dir)
        if not cfg.nest:
            return [root]
        lon, lat = cfg.nest_center
        root, nest = gridmod.load_or_make_nested(root, cfg.grid, lon, lat, cfg.nest_radius, cfg.cache_dir)
        return [root, nest]

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
        grids = self.build_grids()
        n_dom = len(grids)
        comm = self.communicator()
        patches = [None] * n_dom
        if comm is not None and comm.Get_size() > 1:
            patches = decomp.decompose(grids, comm)
        z_ifc = np.linspace(TOP_HEIGHT, 0.0, cfg.nlev + 1)
        start = cfg.start_time()
        self.times = [start + _dt.timedelta(seconds=cfg.dt * i) for i in range(self.nsteps + 1)]
        stop = self.times[-1]
        self.yac.start(None if comm is None else host.group_comm("yac"), start, stop, host.component)
        host.set_global(
            n_dom=n_dom, max_dom=n_dom, nproma=cfg.nproma, wp=8,
            min_rlcell_int=gridmod.MIN_RLCELL_INT, min_rlcell=gridmod.MIN_RLCELL,
            max_rlcell=gridmod.MAX_RLCELL, min_rledge_int=gridmod.MIN_RLEDGE_INT,
            min_rledge=gridmod.MIN_RLEDGE, max_rledge=gridmod.MAX_RLEDGE,
            min_rlvert_int=gridmod.MIN_RLVERT_INT, min_rlvert=gridmod.MIN_RLVERT,
            max_rlvert=gridmod.MAX_RLVERT, grf_bdywidth_c=gridmod.GRF_BDYWIDTH_C,
            grf_bdywidth_e=gridmod.GRF_BDYWIDTH_E, lrestartrun=False, vct_a=z_ifc,
            yac_instance_id=self.yac.instance_id, host_git_remote_url="", host_git_branch="", host_git_tag="",
            host_revision=f"comin-emulator {comin.__version__}", has_device=False,
            device_name="", device_vendor="", device_driver="")
        host.set_simulation_interval(start.isoformat(), stop.isoformat(), start.isoformat(),
                                     stop.isoformat())
        for jg, grid in enumerate(grids, start=1):
            dt = cfg.dt / 2 ** (jg - 1)
            patch = patches[jg - 1]
            dom = self.domains[jg] = Domain(jg, grid, cfg.nproma, cfg.nlev, dt, patch)
            par = {} if patch is None else dict(
                decomp_domain=patch.layout.decomp, n_global=patch.n_global)
            kw = gridmod.domain_descrdata(dom.grid, cfg.nproma, cfg.nlev,
                                          child_domain_id=jg + 1 if jg < n_dom else None,
                                          top_height=TOP_HEIGHT, **par)
            host.set_domain(jg, grid_filename=grid_file_name(grid), n_childdom=1 if jg < n_dom else 0,
                            nshift=0, nshift_total=0, dom_start=0.0,
                            dom_end=cfg.dt * self.nsteps,
                            number_of_grid_used=np.arange(1, n_dom + 1, dtype=np.intc), **kw)
            host.set_timesteplength(jg, dt)
            self._allocate(dom)
        host.set_glb2loc_cell(self._glb2loc)
        host.set_sync_halo(self._sync_halo)
        host.set_datetime(start.isoformat())

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
        dom.update_dynamics()

    def _expose(self) -> None:
        """Expose the host's variables, the tracers, and everything plugins requested."""
        host = self.host
        requests = host.requests
        for r in requests:
            if r.tracer and r.name not in self.tracers:
                self.tracers.append(r.name)
        sem = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_LEVEL,
               comin.COMIN_DIM_SEMANTICS_BLOCK, comin.COMIN_DIM_SEMANTICS_CONTAINER)
        for jg, dom in self.domains.items():
            f = dom.fields
            for name, (meta, units, long_name) in HOST_VARIABLES.items():
                host.expose(name, jg, f[name], metadata=dict(default_metadata(), units=units,
                                                            long_name=long_name, **meta))
            cont = np.zeros((dom.nproma, dom.nlev, dom.nblks["cells"], len(self.tracers)), order="F")
            f["container"] = cont
            noise = 1.0 + 0.01 * dom.noise(self.rng)[:, None, :]   # --seed
            cont[..., 0] = (atm.specific_humidity(dom.level(dom.z_mc), dom.clat[:, None, :])
                            * noise * dom.valid)
            cloud = dom.level(np.exp(-((dom.z_mc - 3000.0) / 1500.0) ** 2))
            ice = dom.level(np.exp(-((dom.z_mc - 9000.0) / 2000.0) ** 2))
            rain = dom.level(np.exp(-dom.z_mc / 1500.0))
            band = np.cos(dom.clat[:, None, :]) ** 8 * dom.valid      # the moist tropics
            cont[..., 1] = 2.0e-5 * cloud * band                      # qc
            cont[..., 2] = 1.0e-5 * ice * band                        # qi
            cont[..., 3] = 5.0e-6 * rain * band                       # qr
            cont[..., 4] = 2.0e-6 * ice * band                        # qs
            host.expose("container", jg, cont, dim_semantics=sem, lcontainer=True,
                        ncontained=len(self.tracers), metadata=default_metadata())
            for k, name in enumerate(self.tracers):
                meta = dict(default_metadata(), tracer=True, units="kg kg-1")
                for r in requests:
                    if r.name == name and r.domain_id == jg:
                        meta.update(r.metadata)
                host.expose(name, jg, cont[:, :, :, k:k + 1], dim_semantics=sem, ncontained=k + 1,
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
        q = dom.fields["container"]
        fn(q[..., : len(HOST_TRACERS)])
        for (k, proc), ddt in dom.tendencies.items():
            if proc == process:
                moved = q[..., k:k + 1].copy()
                fn(moved)
                np.subtract(moved[..., 0], q[..., k], out=ddt)
                ddt /= dom.dt

    def _mix(self, q: np.ndarray) -> None:
        """Turbulent mixing in the boundary layer (below ``PBL_HEIGHT``): exchange between
        neighbouring levels, which keeps every column's sum."""
        pbl = q[:, self._pbl_top:]
        if pbl.shape[1] < 2:
            return
        flux = np.subtract(pbl[:, 1:], pbl[:, :-1])
        flux *= 0.1
        pbl[:, :-1] += flux
        pbl[:, 1:] -= flux

    @staticmethod
    def _convect(q: np.ndarray) -> None:
        """Convection: lift 2 % of the lowest level's content, spread over the lower half."""
        nlev = q.shape[1]
        if nlev < 2:
            return
        lifted = 0.02 * q[:, -1]
        q[:, -1] -= lifted
        top = nlev // 2
        q[:, top:-1] += lifted[:, None] / (nlev - 1 - top)

    @staticmethod
    def _microphysics(dom: Domain) -> None:
        """Condensation of water vapour above saturation into cloud water (qv, qc only)."""
        q = dom.fields["container"]
        excess = np.subtract(q[..., 0], dom.qsat)
        np.maximum(excess, 0.0, out=excess)
        excess *= 0.1
        q[..., 0] -= excess
        q[..., 1] += excess

    def _integrate(self, dom: Domain) -> None:
        """One step of domain ``dom`` with its entry points, and its child's two half steps."""
        jg = dom.jg
        self.call("ATM_INTEGRATE_BEFORE", jg)
        self.call("ATM_INTEGRATE_START", jg)
        dom.time += dom.dt
        dom.update_dynamics()
        self.call("ATM_ADVECTION_BEFORE", jg)
        dom.transport.advect(dom.fields["container"], dom.flux, dom.dt, dom.level_factor)
        self.call("ATM_ADVECTION_AFTER", jg)
        self.call("ATM_PHYSICS_BEFORE", jg)
        self._physics(dom)
        self.call("ATM_PHYSICS_AFTER", jg)
        child = self.domains.get(jg + 1)
        if child is not None:
            for _ in range(2):
                self._integrate(child)
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
                host.set_datetime(self.times[step].isoformat())
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
        grids = [d.global_grid for d in self.domains.values()] or self.build_grids()
        for jg, grid in enumerate(grids, start=1):
            path = os.path.join(directory, grid_file_name(grid))
            gridmod.write_grid_netcdf(grid, path, child_domain_id=jg + 1 if jg < len(grids) else None)
            out.append(path)
        return out


def grid_file_name(grid: gridmod.Grid) -> str:
    """A shell-friendly file name for a grid: ``R2B4.nc``, ``R2B5-nest_10_50_12.nc``."""
    safe = "".join(c if c.isalnum() or c in "-." else "_" for c in grid.name).strip("_")
    while "__" in safe:
        safe = safe.replace("__", "_")
    return f"{safe}.nc"
