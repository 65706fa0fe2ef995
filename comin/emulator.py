"""A small built-in host: runs plugins through ICON's entry points.

This is the default host of ``comin run``.  It is an ordinary user of the
Python host API (:class:`comin.host.Host`); nothing in the core knows it.
It provides what a plugin meets in ICON, at laptop scale:

* ``n_dom`` domains (domain 2.. are refined children of domain 1's first
  cells), each with ``ncells`` cells blocked by ``nproma`` in ICON's
  layout, plus edges and vertices in the numbers of a closed triangular
  mesh (3/2 and 1/2 + 2 per cell); descriptive data with ICON's names
  (clon/clat, elon/elat, vlon/vlat in radians, areas, 1-based global
  indices and connectivity, refin_ctrl with start/end index and block per
  refin_ctrl level as on a global ICON grid, every field of ComIn's
  descriptive data set);
* prognostic fields ``temp``, ``pres``, ``u``, ``v`` (3-D, full levels),
  ``w`` (half levels), ``pres_sfc`` (2-D) and a tracer container with
  ``qv``, ``qc`` plus every tracer plugins request; all change every step;
* the entry points in ICON's order (initialisation, the time loop with
  integration, advection, physics, output, destructor), with the current
  datetime set before each;
* the host side of variable requests: requested variables are allocated
  on cells, edges or vertices (``hgrid_id``) with ComIn's default metadata
  overlaid by the plugin's, tracers are added to the container of every
  domain, and a tracer with ``tracer_turb``/``tracer_conv`` gets ICON's
  tendency fields ``ddt_<name>_turb``/``ddt_<name>_conv`` (filled in the
  turbulence/convection physics step);
* a halo exchange for ``COMIN_FLAG_SYNC_HALO`` (one process owns every
  cell, so it has nothing to copy).

The grid is a synthetic stand-in (not yet ICON's icosahedral grid); the
index conventions and array layouts are ICON's.
"""
from __future__ import annotations

import datetime as _dt
import math
import uuid
from dataclasses import dataclass
from typing import Dict, List, Sequence

import numpy as np

import comin
from comin.host import Host, default_metadata

# refin_ctrl bounds of ICON (mo_impl_constants)
MIN_RLCELL, MIN_RLCELL_INT, MAX_RLCELL = -8, -4, 5
MIN_RLEDGE, MIN_RLEDGE_INT, MAX_RLEDGE = -13, -9, 10
MIN_RLVERT, MIN_RLVERT_INT, MAX_RLVERT = -7, -4, 5
GRF_BDYWIDTH_C, GRF_BDYWIDTH_E = 4, 9

#: EP pairs of one physics pass, in ICON's order
PHYSICS = ("SURFACE", "TURBULENCE", "MICROPHYSICS", "CONVECTION", "RADIATION", "RADHEAT", "GWDRAG")


@dataclass
class Config:
    """Model options of the emulator (``comin run --help`` explains each)."""

    n_dom: int = 2
    ncells: int = 80
    nproma: int = 16
    nlev: int = 10
    steps: int = 4
    dt: float = 60.0
    start: str = "2026-01-01T00:00:00"
    seed: int = 0
    verbosity: int = 0


def _blocked(values: np.ndarray, nproma: int, nblks: int) -> np.ndarray:
    """1-D per-point values -> ICON's (nproma, nblks) Fortran-ordered array."""
    out = np.zeros((nproma * nblks,) + values.shape[1:], dtype=values.dtype)
    out[: len(values)] = values
    out = out.reshape((nblks, nproma) + values.shape[1:]).swapaxes(0, 1)
    return np.asfortranarray(out)


def _refin_ranges(n: int, nproma: int, lo: int, lo_int: int, hi: int):
    """start/end index and block per refin_ctrl level for a global grid.

    As on a global ICON grid (one process): every point sits in the
    interior ordering slot ``lo_int``; levels below it hold no points.
    """
    levels = np.arange(lo, hi + 1)
    start_jc, start_jb = idx_blk(np.where(levels < lo_int, n + 1, 1), nproma)
    end_jc, end_jb = idx_blk(np.where(levels <= lo_int, n, 0), nproma)
    return start_jc, end_jc, start_jb, end_jb


class Emulator:
    """The built-in host: ``Emulator(plugins, Config(...)).run()``."""

    def __init__(self, plugins: Sequence, config: Config | None = None, host_kwargs: dict | None = None):
        self.config = cfg = config or Config()
        if cfg.n_dom < 1 or cfg.ncells < 1 or cfg.nproma < 1 or cfg.nlev < 1 or cfg.steps < 0:
            raise ValueError(f"invalid model configuration: {cfg}")
        self.rng = np.random.default_rng(cfg.seed)
        self.host = Host(plugins, verbosity=cfg.verbosity, **(host_kwargs or {}))
        self.fields: Dict[int, Dict[str, np.ndarray]] = {}
        #: tracer tendencies per domain: (tracer position, "turb"/"conv") -> array
        self.tendencies: Dict[int, Dict[tuple, np.ndarray]] = {}
        self.tracers: List[str] = ["qv", "qc"]
        self.domains: Dict[int, dict] = {}
        self.calls = 0

    # -- grid ---------------------------------------------------------------------
    def _domain_grid(self, jg: int) -> dict:
        cfg = self.config
        n = cfg.ncells
        nblks = math.ceil(n / cfg.nproma)
        # cell centres on a spiral over the sphere (domain > 1: a cap around 0N 0E)
        k = np.arange(n) + 0.5
        if jg == 1:
            lat = np.arcsin(1 - 2 * k / n)
            lon = np.mod(math.pi * (1 + 5 ** 0.5) * k, 2 * math.pi) - math.pi
            area = np.full(n, 4 * math.pi * 6.371229e6 ** 2 / n)
        else:
            lat = (k / n - 0.5) * 0.2 / jg
            lon = np.mod(k * 0.37, 0.2) / jg - 0.1 / jg
            area = np.full(n, 4 * math.pi * 6.371229e6 ** 2 / (cfg.ncells * 4 ** jg))
        glb = np.arange(1, n + 1, dtype=np.intc)
        start_index, end_index, start_block, end_block = _refin_ranges(
            n, cfg.nproma, MIN_RLCELL, MIN_RLCELL_INT, MAX_RLCELL)
        nbr_jc, nbr_jb = idx_blk(np.stack([np.roll(glb, 1), np.roll(glb, -1), np.roll(glb, 2)], axis=1),
                                 cfg.nproma)
        cells = dict(
            ncells=n, ncells_global=n, nblks=nblks, max_connectivity=3,
            num_edges=_blocked(np.full(n, 3, np.intc), cfg.nproma, nblks),
            refin_ctrl=_blocked(np.zeros(n, np.intc), cfg.nproma, nblks),
            start_index=start_index, end_index=end_index,
            start_block=start_block, end_block=end_block,
            neighbor_idx=_blocked(nbr_jc, cfg.nproma, nblks),
            neighbor_blk=_blocked(nbr_jb, cfg.nproma, nblks),
            clon=_blocked(lon, cfg.nproma, nblks), clat=_blocked(lat, cfg.nproma, nblks),
            area=_blocked(area, cfg.nproma, nblks),
            glb_index=glb,
            decomp_domain=_blocked(np.zeros(n, np.intc), cfg.nproma, nblks),
            hhl=np.asfortranarray(np.broadcast_to(
                np.linspace(20000.0, 0.0, cfg.nlev + 1)[None, :, None],
                (cfg.nproma, cfg.nlev + 1, nblks)).copy()),
        )
        edges, verts = self._edges_verts(jg, lon, lat, cells)
        return dict(n=n, nblks=nblks, cells=cells, edges=edges, verts=verts,
                    nblks_e=edges["nblks"], nblks_v=verts["nblks"])

    def _edges_verts(self, jg: int, lon: np.ndarray, lat: np.ndarray, cells: dict):
        """Edges and vertices of domain ``jg``; adds cells' connectivity and nest fields.

        Synthetic topology with valid, mutually consistent 1-based indices:
        cell ``c`` has edges ``(3c + k) mod nedges`` and vertices
        ``(c // 2 + k) mod nverts`` (k = 0, 1, 2); edges list their cells and
        vertices, vertices their cells, edges and neighbours (index 0 = none,
        as at ICON's pentagon points).  Child domain cells have 4 per parent cell.
        """
        cfg = self.config
        nproma, n = cfg.nproma, len(lon)
        ne, nv = (3 * n + 1) // 2, n // 2 + 2
        nblks_c = math.ceil(n / nproma)
        nblks_e, nblks_v = math.ceil(ne / nproma), math.ceil(nv / nproma)
        c_idx = np.arange(n)
        cell_edges = (3 * c_idx[:, None] + np.arange(3)) % ne           # 0-based
        cell_verts = (c_idx[:, None] // 2 + np.arange(3)) % nv

        def members(table, count, width):
            """Invert an (item, slot) -> target table: target -> up to ``width`` items (-1: none)."""
            targets = table.ravel()
            items = np.repeat(np.arange(table.shape[0]), table.shape[1])
            order = np.argsort(targets, kind="stable")
            targets, items = targets[order], items[order]
            first = np.searchsorted(targets, np.arange(count))
            rank = np.arange(len(targets)) - first[targets]
            keep = rank < width
            out = np.full((count, width), -1, np.int64)
            out[targets[keep], rank[keep]] = items[keep]
            return out, np.minimum(np.bincount(targets, minlength=count), width)

        edge_cells, _ = members(cell_edges, ne, 2)
        edge_cells[:, 1] = np.where(edge_cells[:, 1] < 0, edge_cells[:, 0], edge_cells[:, 1])
        slot = np.argmax(cell_edges[edge_cells[:, 0]] == np.arange(ne)[:, None], axis=1)
        slot2 = np.argmax(cell_edges[edge_cells[:, 1]] == np.arange(ne)[:, None], axis=1)
        v_of = cell_verts[edge_cells[:, 0]]
        edge_verts = np.stack([v_of[np.arange(ne), slot], v_of[np.arange(ne), (slot + 1) % 3],
                               v_of[np.arange(ne), (slot + 2) % 3],
                               cell_verts[edge_cells[:, 1], (slot2 + 2) % 3]], axis=1)
        vert_cells, nc_v = members(cell_verts, nv, 6)
        vert_edges, _ = members(edge_verts[:, :2], nv, 6)
        ends = edge_verts[np.maximum(vert_edges, 0), :2]
        vert_nbrs = np.where(vert_edges < 0, -1,
                             np.where(ends[..., 0] == np.arange(nv)[:, None], ends[..., 1], ends[..., 0]))

        xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)

        def lonlat(points):
            p = points / np.maximum(np.linalg.norm(points, axis=1), 1e-300)[:, None]
            return np.arctan2(p[:, 1], p[:, 0]), np.arcsin(np.clip(p[:, 2], -1.0, 1.0))

        elon, elat = lonlat(xyz[edge_cells[:, 0]] + xyz[edge_cells[:, 1]])
        vlon, vlat = lonlat(np.where(vert_cells[..., None] >= 0, xyz[np.maximum(vert_cells, 0)], 0.0).sum(axis=1))

        def conn(table, blocks):
            """0-based targets (-1: none) -> ICON's blocked 1-based idx and blk arrays.

            A missing entry is the unblocked index 0: ``(idx 0, blk 1)``, ICON's
            ``idx_no(0)``, ``blk_no(0)`` (what :func:`idx_blk` gives).
            """
            none = table < 0
            jc = np.where(none, 0, table % nproma + 1).astype(np.intc)
            jb = np.where(none, 1, table // nproma + 1).astype(np.intc)
            return _blocked(jc, nproma, blocks), _blocked(jb, nproma, blocks)

        def zeros(count, blocks, *extra):
            return _blocked(np.zeros((count,) + extra, np.intc), nproma, blocks)

        cells["edge_idx"], cells["edge_blk"] = conn(cell_edges, nblks_c)
        cells["vertex_idx"], cells["vertex_blk"] = conn(cell_verts, nblks_c)
        # nests: the first ceil(n/4) cells of domain jg have 4 children each in domain jg + 1
        children = np.minimum(4 * c_idx[:, None] + np.arange(4), n - 1)
        has_child = (c_idx < math.ceil(n / 4)) & (jg < cfg.n_dom)
        cells["child_id"] = _blocked(np.where(has_child, jg + 1, 0).astype(np.intc), nproma, nblks_c)
        cells["child_idx"], cells["child_blk"] = conn(np.where(has_child[:, None], children, -1), nblks_c)
        parent = c_idx // 4 if jg > 1 else np.full(n, -1)
        cells["parent_glb_idx"], cells["parent_glb_blk"] = conn(parent, nblks_c)

        start_e, end_e, start_be, end_be = _refin_ranges(ne, nproma, MIN_RLEDGE, MIN_RLEDGE_INT, MAX_RLEDGE)
        edge_idx, edge_blk = conn(edge_cells, nblks_e)
        evert_idx, evert_blk = conn(edge_verts, nblks_e)
        edges = dict(
            nedges=ne, nedges_global=ne, nblks=nblks_e,
            refin_ctrl=zeros(ne, nblks_e),
            start_index=start_e, end_index=end_e, start_block=start_be, end_block=end_be,
            child_id=zeros(ne, nblks_e), child_idx=zeros(ne, nblks_e, 4), child_blk=zeros(ne, nblks_e, 4),
            parent_glb_idx=zeros(ne, nblks_e), parent_glb_blk=zeros(ne, nblks_e),
            cell_idx=edge_idx, cell_blk=edge_blk, vertex_idx=evert_idx, vertex_blk=evert_blk,
            elon=_blocked(elon, nproma, nblks_e), elat=_blocked(elat, nproma, nblks_e),
            glb_index=np.arange(1, ne + 1, dtype=np.intc), decomp_domain=zeros(ne, nblks_e),
        )
        start_v, end_v, start_bv, end_bv = _refin_ranges(nv, nproma, MIN_RLVERT, MIN_RLVERT_INT, MAX_RLVERT)
        vcell_idx, vcell_blk = conn(vert_cells, nblks_v)
        vedge_idx, vedge_blk = conn(vert_edges, nblks_v)
        vnbr_idx, vnbr_blk = conn(vert_nbrs, nblks_v)
        verts = dict(
            nverts=nv, nverts_global=nv, nblks=nblks_v,
            num_edges=_blocked(nc_v.astype(np.intc), nproma, nblks_v), refin_ctrl=zeros(nv, nblks_v),
            start_index=start_v, end_index=end_v, start_block=start_bv, end_block=end_bv,
            neighbor_idx=vnbr_idx, neighbor_blk=vnbr_blk, cell_idx=vcell_idx, cell_blk=vcell_blk,
            edge_idx=vedge_idx, edge_blk=vedge_blk,
            vlon=_blocked(vlon, nproma, nblks_v), vlat=_blocked(vlat, nproma, nblks_v),
            glb_index=np.arange(1, nv + 1, dtype=np.intc), decomp_domain=zeros(nv, nblks_v),
        )
        return edges, verts

    # -- fields -----------------------------------------------------------------
    def _new3d(self, jg: int, nlev: int, dtype=np.float64) -> np.ndarray:
        return np.zeros((self.config.nproma, nlev, self.domains[jg]["nblks"]), dtype=dtype, order="F")

    def _allocate_fields(self, jg: int) -> None:
        cfg = self.config
        g = self.domains[jg]
        lat = g["cells"]["clat"]
        f = {}
        f["temp"] = self._new3d(jg, cfg.nlev)
        f["temp"][:] = (288.0 - 40.0 * np.sin(lat) ** 2)[:, None, :] - np.linspace(60, 0, cfg.nlev)[None, :, None]
        f["pres"] = self._new3d(jg, cfg.nlev)
        f["pres"][:] = np.linspace(2.0e4, 1.0e5, cfg.nlev)[None, :, None]
        f["u"] = self._new3d(jg, cfg.nlev)
        f["u"][:] = 10.0 * np.cos(lat)[:, None, :]
        f["v"] = self._new3d(jg, cfg.nlev)
        f["w"] = self._new3d(jg, cfg.nlev + 1)
        f["pres_sfc"] = np.full((cfg.nproma, g["nblks"]), 1.0e5, order="F")
        self.fields[jg] = f

    def _expose(self) -> None:
        """Expose the host's fields, then every requested variable and tracer."""
        host, cfg = self.host, self.config
        requests = host.requests
        requested_tracers = []
        for r in requests:
            if r.tracer and r.name not in self.tracers and r.name not in requested_tracers:
                requested_tracers.append(r.name)
        names = self.tracers + requested_tracers
        for jg in range(1, cfg.n_dom + 1):
            f = self.fields[jg]
            self.tendencies[jg] = {}
            for name in ("temp", "pres", "u", "v"):
                host.expose(name, jg, f[name], metadata=dict(default_metadata(), zaxis_id=comin.COMIN_ZAXIS_3D))
            host.expose("w", jg, f["w"], metadata=dict(default_metadata(), zaxis_id=comin.COMIN_ZAXIS_3D_HALF))
            host.expose("pres_sfc", jg, f["pres_sfc"],
                        metadata=dict(default_metadata(), zaxis_id=comin.COMIN_ZAXIS_2D))
            cont = np.zeros((cfg.nproma, cfg.nlev, self.domains[jg]["nblks"], len(names)), order="F")
            cont[..., 0] = 1e-3 * np.exp(-np.linspace(3, 0, cfg.nlev))[None, :, None]
            f["tracers"] = cont
            cont_sem = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_LEVEL,
                        comin.COMIN_DIM_SEMANTICS_BLOCK, comin.COMIN_DIM_SEMANTICS_CONTAINER)
            host.expose("container", jg, cont, dim_semantics=cont_sem, lcontainer=True,
                        ncontained=len(names), metadata=default_metadata())
            for k, name in enumerate(names):
                meta = dict(default_metadata(), tracer=True)
                for r in requests:
                    if r.name == name and r.domain_id == jg:
                        meta.update(r.metadata)
                host.expose(name, jg, cont[:, :, :, k:k + 1], dim_semantics=cont_sem, ncontained=k + 1,
                            metadata=meta)
                # ICON adds tendencies of tracers transported by turbulence / convection
                for process in ("turb", "conv"):
                    if meta.get(f"tracer_{process}") is True:
                        ddt = self.tendencies[jg][(k, process)] = self._new3d(jg, cfg.nlev)
                        host.expose(f"ddt_{name}_{process}", jg, ddt,
                                    metadata=dict(default_metadata(), zaxis_id=comin.COMIN_ZAXIS_3D))
            for r in requests:
                if r.domain_id != jg or r.tracer or (r.name, jg) in set(host.variables):
                    continue
                meta = dict(default_metadata(), **r.metadata)
                f[r.name] = arr = self._request_array(jg, r.name, meta)
                host.expose(r.name, jg, arr, metadata=meta)

    def _request_array(self, jg: int, name: str, meta: dict) -> np.ndarray:
        cfg = self.config
        dtype = {comin.COMIN_VAR_DATATYPE_DOUBLE: np.float64, comin.COMIN_VAR_DATATYPE_FLOAT: np.float32,
                 comin.COMIN_VAR_DATATYPE_INT: np.intc}.get(meta["datatype"])
        if dtype is None:
            raise ValueError(f"variable ({name}, {jg}): unknown datatype {meta['datatype']}")
        key = {comin.COMIN_HGRID_UNSTRUCTURED_CELL: "nblks", comin.COMIN_HGRID_UNSTRUCTURED_EDGE: "nblks_e",
               comin.COMIN_HGRID_UNSTRUCTURED_VERTEX: "nblks_v"}.get(meta["hgrid_id"])
        if key is None:
            raise ValueError(f"variable ({name}, {jg}): unknown hgrid_id {meta['hgrid_id']}")
        nblks = self.domains[jg][key]
        zaxis = meta["zaxis_id"]
        if zaxis == comin.COMIN_ZAXIS_2D:
            return np.zeros((cfg.nproma, nblks), dtype=dtype, order="F")
        if zaxis in (comin.COMIN_ZAXIS_3D, comin.COMIN_ZAXIS_3D_HALF):
            nlev = cfg.nlev + (zaxis == comin.COMIN_ZAXIS_3D_HALF)
            return np.zeros((cfg.nproma, nlev, nblks), dtype=dtype, order="F")
        raise ValueError(f"variable ({name}, {jg}): unsupported zaxis_id {zaxis}")

    # -- run --------------------------------------------------------------------------
    def setup(self) -> None:
        cfg, host = self.config, self.host
        host.set_global(
            n_dom=cfg.n_dom, max_dom=cfg.n_dom, nproma=cfg.nproma, wp=8,
            min_rlcell_int=MIN_RLCELL_INT, min_rlcell=MIN_RLCELL, max_rlcell=MAX_RLCELL,
            min_rledge_int=MIN_RLEDGE_INT, min_rledge=MIN_RLEDGE, max_rledge=MAX_RLEDGE,
            min_rlvert_int=MIN_RLVERT_INT, min_rlvert=MIN_RLVERT, max_rlvert=MAX_RLVERT,
            grf_bdywidth_c=GRF_BDYWIDTH_C, grf_bdywidth_e=GRF_BDYWIDTH_E, lrestartrun=False,
            vct_a=np.linspace(20000.0, 0.0, cfg.nlev + 1), yac_instance_id=-1,
            host_git_remote_url="", host_git_branch="", host_git_tag="",
            host_revision=f"comin-emulator {comin.__version__}", has_device=False,
            device_name="", device_vendor="", device_driver="")
        start = _dt.datetime.fromisoformat(cfg.start)
        stop = start + _dt.timedelta(seconds=cfg.dt * cfg.steps)
        self.times = [(start + _dt.timedelta(seconds=cfg.dt * i)).isoformat() for i in range(cfg.steps + 1)]
        host.set_simulation_interval(start.isoformat(), stop.isoformat(), start.isoformat(), stop.isoformat())
        for jg in range(1, cfg.n_dom + 1):
            g = self.domains[jg] = self._domain_grid(jg)
            host.set_domain(jg, grid_filename=f"emulator_domain{jg}", nlev=cfg.nlev,
                            n_childdom=1 if jg < cfg.n_dom else 0, nshift=0, nshift_total=0,
                            dom_start=0.0, dom_end=cfg.dt * cfg.steps,
                            grid_uuid=np.frombuffer(
                                uuid.uuid5(uuid.NAMESPACE_URL, f"comin-emulator/{jg}/{cfg.ncells}").bytes,
                                dtype=np.int8),
                            number_of_grid_used=np.arange(1, cfg.n_dom + 1, dtype=np.intc),
                            cells=g["cells"], edges=g["edges"], verts=g["verts"])
            host.set_timesteplength(jg, cfg.dt / 2 ** (jg - 1))
            self._allocate_fields(jg)
        host.set_glb2loc_cell(lambda jg, glb: glb if 1 <= glb <= self.domains[jg]["n"] else -1)
        host.set_sync_halo(self._sync_halo)
        host.set_datetime(self.times[0])

    @staticmethod
    def _sync_halo(handle, mode) -> None:
        """Halo exchange of a variable: one process owns every cell, nothing to copy."""

    def call(self, name: str, jg: int = -1) -> None:
        self.calls += 1
        self.host.call_ep(getattr(comin, "EP_" + name), jg)

    def _physics(self, jg: int) -> None:
        f = self.fields[jg]
        for p in PHYSICS:
            self.call(f"ATM_{p}_BEFORE", jg)
            if p == "MICROPHYSICS":
                q = f["tracers"]
                np.maximum(q, 0.0, out=q)
            elif p in ("TURBULENCE", "CONVECTION"):
                # tracer tendencies [1/s]: vertical mixing towards the column mean
                # (turbulence), a slow sink (convective scavenging)
                process = "turb" if p == "TURBULENCE" else "conv"
                for (k, proc), ddt in self.tendencies.get(jg, {}).items():
                    if proc == process:
                        q = f["tracers"][..., k]
                        ddt[:] = ((q.mean(axis=1, keepdims=True) - q) / 3600.0 if process == "turb"
                                  else -q / 86400.0)
            self.call(f"ATM_{p}_AFTER", jg)

    def _step(self, jg: int, step: int) -> None:
        f = self.fields[jg]
        self.call("ATM_INTEGRATE_START", jg)
        self.call("ATM_ADVECTION_BEFORE", jg)
        # upwind transport of every tracer along the block-internal index
        c = 0.1
        q = f["tracers"]
        q[1:] = (1 - c) * q[1:] + c * q[:-1]
        self.call("ATM_ADVECTION_AFTER", jg)
        self.call("ATM_PHYSICS_BEFORE", jg)
        self._physics(jg)
        f["temp"] += 0.01 * np.sin(2 * math.pi * step / max(self.config.steps, 1))
        f["u"] *= 0.999
        self.call("ATM_PHYSICS_AFTER", jg)
        self.call("ATM_NUDGING_BEFORE", jg)
        self.call("ATM_NUDGING_AFTER", jg)
        self.call("ATM_INTEGRATE_END", jg)

    def run(self) -> None:
        """Set up, run every plugin through the whole model run, finalize."""
        cfg, host = self.config, self.host
        try:
            self.setup()
            host.run_primary_constructors()
            self._expose()
            self.call("SECONDARY_CONSTRUCTOR")
            self.call("ATM_INIT_FINALIZE")
            for stage in ("DEFCOMP", "SYNCDEF", "ENDDEF"):
                self.call(f"ATM_YAC_{stage}_BEFORE")
                self.call(f"ATM_YAC_{stage}_AFTER")
            for jg in range(1, cfg.n_dom + 1):
                self._physics(jg)
            self.call("ATM_WRITE_OUTPUT_BEFORE")
            self.call("ATM_WRITE_OUTPUT_AFTER")
            self.call("ATM_TIMELOOP_BEFORE")
            for step in range(1, cfg.steps + 1):
                host.set_datetime(self.times[step])
                self.call("ATM_TIMELOOP_START")
                for jg in range(1, cfg.n_dom + 1):
                    self.call("ATM_INTEGRATE_BEFORE", jg)
                    self._step(jg, step)
                    self.call("ATM_INTEGRATE_AFTER", jg)
                self.call("ATM_WRITE_OUTPUT_BEFORE")
                self.call("ATM_WRITE_OUTPUT_AFTER")
                self.call("ATM_TIMELOOP_END")
            self.call("ATM_TIMELOOP_AFTER")
            self.call("DESTRUCTOR")
        finally:
            if not host.finalized:
                host.finalize()


def idx_blk(j, nproma: int):
    """ICON's ``idx_no``/``blk_no`` of 1-based unblocked indices (vectorised).

    Returns ``(jc, jb)`` as C-int arrays: ``jc = sign((|j|-1) mod nproma + 1, j)``
    (0 for j = 0) and ``jb = max((|j|-1) // nproma + 1, 1)``, so that
    ``j = (jb - 1) * nproma + jc`` for j >= 1.
    """
    j = np.asarray(j, dtype=np.int64)
    a = np.abs(j)
    jc = np.where(j == 0, 0, np.sign(j) * ((a - 1) % nproma + 1))
    jb = np.maximum((a - 1) // nproma + 1, 1)
    return jc.astype(np.intc), jb.astype(np.intc)
