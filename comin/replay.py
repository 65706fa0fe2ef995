"""The replay host: plays a recording of :mod:`comin.recorder` back to plugins.

``comin replay DIR PLUGIN...`` (or :class:`Replay` from Python) is a host
like the emulator, an ordinary user of :mod:`comin.host`::

    from comin.replay import Replay
    Replay("rec/", ["my_plugin.py --x=1"]).run()

It opens ``DIR/<rank>.nc`` (the rank in MPI_COMM_WORLD when running under
MPI; the recording must come from as many host ranks as the replay runs
on), checks it, and then does what the recorded host did:

* sets the recorded global and domain descriptive data (the blocked arrays
  bit for bit), the simulation interval, the time steps, a global-to-local
  cell index built from ``glb_index``, and a halo exchange that does nothing
  (each rank holds what it recorded);
* runs the plugins' primary constructors;
* exposes every recorded variable, in the recorded order, with its recorded
  metadata, shape, dimension semantics and datatype (a tracer container is
  rebuilt when all its tracers were recorded, the tracers then being views
  into it), and allocates every variable the plugins requested that was not
  recorded (zeros, ComIn's default metadata overlaid by the request's;
  requested tracers get arrays of their own);
* replays the recorded entry-point calls in order, each with its recorded
  domain and datetime; before a call at which variables were recorded it
  copies that event's values into the exposed arrays.  Padding beyond the
  last real point of a block is not recorded and stays 0.

A plugin that asks for a variable that was neither recorded nor requested
gets ComIn's COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND, whose message says it
was not recorded in the file.  Bad input (a missing or foreign file, a
recording of another format or rank count) raises :class:`ReplayError`
before anything runs; a file that turns out damaged while it is replayed
ends the run through ComIn's finish with the routine :data:`ROUTINE`.
"""
from __future__ import annotations

import os
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import comin
from comin import _table
from comin.host import Host, default_metadata, requested_array
from comin.hosts.yac import STAGE_AFTER, Coupling
from comin.parallel import initialised_world, launcher_size
from comin.recorder import (BLOCK, CONTAINER, DTYPES, FORMAT_NAME, FORMAT_VERSION, LEVEL,
                            NPROMA, rank_file)

#: ``finish`` routine when the recording turns out unreadable during the replay
ROUTINE = "comin replay"

_EP_FINISH = _table.ENTRY_POINTS.index("EP_FINISH") + 1
_LAYOUTS = ("unblocked", "raw", "container")


class ReplayError(Exception):
    """A recording that cannot be replayed; the message is one line naming the file."""


def world_rank_size() -> Tuple[int, int]:
    """Rank and size of MPI_COMM_WORLD when running under MPI, else (0, 1)."""
    if initialised_world() is None and launcher_size() <= 1:
        return 0, 1
    from mpi4py import MPI
    return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()


def _scalar(kind: str, value):
    """A recorded attribute as the descriptive-data type of the table."""
    if kind == "bool":
        return bool(int(value))
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def _metadata_value(value, logical: bool):
    if logical:
        return bool(int(value))
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return _metadata_value(value.reshape(-1)[0], logical)
    return str(value)


class RecordedVariable:
    """One recorded variable: its description and how its values are loaded."""

    def __init__(self, path: str, jg: int, nc):
        self.path, self.jg, self.nc = path, jg, nc
        attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
        where = f"{path}: variable {nc.name} of group domain_{jg}"
        try:
            self.name = str(attrs["comin_name"])
            self.shape = tuple(int(x) for x in np.atleast_1d(attrs["comin_shape"]))
            self.dim_semantics = tuple(int(x) for x in np.atleast_1d(attrs["comin_dim_semantics"]))
            self.datatype = int(attrs["comin_datatype"])
            self.lcontainer = bool(int(attrs["comin_lcontainer"]))
            self.ncontained = int(attrs["comin_ncontained"])
            self.container = str(attrs.get("comin_container", ""))
            self.layout = str(attrs["comin_layout"])
            self.index = int(attrs["comin_exposure_index"])
        except KeyError as exc:
            raise ReplayError(f"{where}: attribute {exc.args[0]} is missing") from None
        except (TypeError, ValueError) as exc:
            raise ReplayError(f"{where}: bad comin_* attribute ({exc})") from None
        if (len(self.shape) != 5 or len(self.dim_semantics) != 5 or min(self.shape) < 0
                or self.datatype not in DTYPES or self.layout not in _LAYOUTS
                or any(not 1 <= d <= 8 for d in self.dim_semantics)):
            raise ReplayError(f"{where}: inconsistent description (shape {self.shape}, "
                              f"dim_semantics {self.dim_semantics}, datatype {self.datatype}, "
                              f"layout {self.layout!r})")
        self.dtype = DTYPES[self.datatype]
        logical = set(str(attrs.get("comin_metadata_logical_keys", "")).split())
        self.metadata = {}
        for key, value in attrs.items():
            if key.startswith("comin_metadata_") and key != "comin_metadata_logical_keys":
                k = key[len("comin_metadata_"):]
                self.metadata[k] = _metadata_value(value, k in logical)
        self.array: Optional[np.ndarray] = None
        self.exposed = False
        self._writer: Optional[Callable[[np.ndarray], None]] = None
        self._check(where)

    def _check(self, where: str) -> None:
        """The stored variable must have the shape its description promises."""
        if self.layout == "container":
            return
        dims = tuple(self.nc.dimensions)
        stored = tuple(self.nc.shape)
        if not dims or dims[0] != "event":
            raise ReplayError(f"{where}: its first dimension is not 'event'")
        sem, shape = self.dim_semantics, self.shape
        if self.layout == "raw":
            expect = shape[::-1]
        else:
            if sem.count(NPROMA) != 1 or sem.count(BLOCK) != 1 or sem.count(LEVEL) > 1:
                raise ReplayError(f"{where}: layout 'unblocked' with dim_semantics {sem}")
            self.nproma = shape[sem.index(NPROMA)]
            self.nblks = shape[sem.index(BLOCK)]
            lead = (shape[sem.index(LEVEL)],) if LEVEL in sem else ()
            npoints = stored[-1] if len(stored) == len(lead) + 2 else -1
            if npoints < 0 or npoints > self.nproma * self.nblks:
                raise ReplayError(f"{where}: stored shape {stored[1:]} does not fit ICON's "
                                  f"shape {shape}")
            self.npoints = npoints
            expect = lead + (npoints,)
        if stored[1:] != tuple(expect):
            raise ReplayError(f"{where}: stored shape {stored[1:]} does not fit ICON's shape "
                              f"{shape} (layout {self.layout})")

    def bind(self, array: np.ndarray) -> None:
        """Load values into ``array`` (the exposed 5-D array) from now on."""
        self.array = array
        # each chunk is read once: without a chunk cache HDF5 reads (and checks) it straight
        # into the result, which halves the time of a read
        self.nc.set_var_chunk_cache(size=0)
        if self.layout == "raw":
            target = array.T

            def write(data):
                target[...] = data
        else:
            sem = self.dim_semantics
            keep = [i for i in range(5) if sem[i] in (NPROMA, BLOCK, LEVEL)]
            select = tuple(slice(None) if i in keep else 0 for i in range(5))
            order = [sem[i] for i in keep]
            perm = tuple(order.index(s) for s in (LEVEL, BLOCK, NPROMA) if s in order)
            view = array[select].transpose(perm)            # ([nlev,] nblks, nproma)
            nproma, n = self.nproma, self.npoints
            nfull, rem = divmod(n, nproma)
            lead = view.shape[:-2]
            full = view[..., :nfull, :]
            last = view[..., nfull, :rem] if rem else None

            def write(data):
                if nfull:
                    full[...] = data[..., :nfull * nproma].reshape(lead + (nfull, nproma))
                if last is not None:
                    last[...] = data[..., nfull * nproma:]
        self._writer = write

    def load(self, event: int) -> None:
        """Copy the values of ``event`` into the bound array."""
        self._writer(self.nc[event])


class Recording:
    """The checked recording of one rank: ``Recording(directory, rank, size)``."""

    def __init__(self, directory: str, rank: int = 0, size: int = 1):
        self.directory = directory
        if not os.path.exists(directory):
            raise ReplayError(f"{directory}: no such recording directory")
        if not os.path.isdir(directory):
            raise ReplayError(f"{directory}: not a directory (give the directory of a recording, "
                              "which holds one file <rank>.nc per host rank)")
        self.path = path = rank_file(directory, rank)
        if not os.path.isfile(path):
            ranks = sorted(int(m.group(1)) for f in os.listdir(directory)
                           if (m := re.fullmatch(r"(\d+)\.nc", f)))
            have = (f"it holds the files of rank{'s' * (len(ranks) > 1)} "
                    f"{', '.join(map(str, ranks))}" if ranks else "it holds no rank file <rank>.nc")
            raise ReplayError(f"{path}: no such file: no recording of host rank {rank} "
                              f"in {directory} ({have})")
        import netCDF4
        try:
            self.ds = netCDF4.Dataset(path, "r")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ReplayError(f"{path}: cannot open it as NetCDF ({reason}): not a comin "
                              "recording, or a damaged (e.g. truncated) one") from None
        try:
            self._read(rank, size)
        except ReplayError:
            self.ds.close()
            raise
        except (OSError, RuntimeError, KeyError, IndexError, ValueError, TypeError) as exc:
            self.ds.close()
            raise ReplayError(f"{path}: cannot read the recording ({type(exc).__name__}: "
                              f"{exc}): a damaged file?") from None

    # -- reading and checking ------------------------------------------------------------
    def _read(self, rank: int, size: int) -> None:
        ds, path = self.ds, self.path
        ds.set_auto_maskandscale(False)
        attrs = {k: ds.getncattr(k) for k in ds.ncattrs()}
        if attrs.get("comin_format") != FORMAT_NAME:
            raise ReplayError(f"{path}: not a comin recording (a NetCDF file without "
                              f"comin_format = \"{FORMAT_NAME}\")")
        version = int(attrs.get("comin_format_version", -1))
        if version != FORMAT_VERSION:
            raise ReplayError(f"{path}: a recording of format version {version}; this comin "
                              f"reads version {FORMAT_VERSION}")
        recorded = tuple(int(x) for x in np.atleast_1d(attrs.get("comin_version", [-1])))
        mine = comin.setup_get_version()
        if not recorded or recorded[0] != mine[0]:
            raise ReplayError(f"{path}: recorded with ComIn {'.'.join(map(str, recorded))}, "
                              f"this comin implements ComIn {'.'.join(map(str, mine))} "
                              "(the major versions differ)")
        self.comin_version = recorded
        rsize = int(attrs.get("host_comm_size", -1))
        rrank = int(attrs.get("host_comm_rank", -1))
        if rsize != size:
            raise ReplayError(f"{path}: recorded on {rsize} host rank{'s' * (rsize != 1)}, but "
                              f"the replay runs on {size} (run it on {rsize}, e.g. "
                              f"mpirun -n {rsize} comin replay ...)")
        if rrank != rank:
            raise ReplayError(f"{path}: holds the recording of host rank {rrank}, not of "
                              f"rank {rank}")
        self.rank, self.size = rank, size
        self.end = str(attrs.get("recording_end", ""))
        self.datetime_at_start = str(attrs.get("datetime_at_start", ""))
        # descriptive data
        self.global_data = {}
        for name, kind, ndim in _table.DESCRDATA["global"]:
            if ndim == 0 and name in attrs:
                self.global_data[name] = _scalar(kind, attrs[name])
            elif ndim and name in ds.variables:
                self.global_data[name] = self._array(ds.variables[name])
        if "n_dom" not in self.global_data:
            raise ReplayError(f"{path}: the recording has no n_dom (global descriptive data)")
        self.n_dom = n_dom = self.global_data["n_dom"]
        self.interval = None
        if all(k in attrs for k in ("exp_start", "exp_stop", "run_start", "run_stop")):
            self.interval = tuple(str(attrs[k]) for k in ("exp_start", "exp_stop", "run_start",
                                                          "run_stop"))
        self.domains: Dict[int, dict] = {}
        self.timesteps: Dict[int, float] = {}
        self.exposed_names: Dict[int, List[str]] = {}
        self.variables: Dict[int, List[RecordedVariable]] = {}
        self.events: Dict[int, List[Tuple[int, int]]] = {}
        for jg in range(1, n_dom + 1):
            g = ds.groups.get(f"domain_{jg}")
            if g is None:
                raise ReplayError(f"{path}: no group domain_{jg} (the recording has n_dom = "
                                  f"{n_dom})")
            self._read_domain(jg, g)
        # the call sequence
        for name in ("current_ep", "current_domain_id", "current_datetime"):
            if name not in ds.variables:
                raise ReplayError(f"{path}: incomplete recording: no variable {name}")
        eps = np.asarray(ds["current_ep"][:], dtype=np.int64)
        doms = np.asarray(ds["current_domain_id"][:], dtype=np.int64)
        dts = [str(x) for x in np.asarray(ds["current_datetime"][:], dtype=object).reshape(-1)]
        if not len(eps) == len(doms) == len(dts):
            raise ReplayError(f"{path}: the call sequence variables differ in length "
                              f"({len(eps)}, {len(doms)}, {len(dts)})")
        bad = np.flatnonzero((eps < 1) | (eps > len(_table.ENTRY_POINTS)))
        if bad.size:
            raise ReplayError(f"{path}: call {bad[0]}: unknown entry point {eps[bad[0]]}")
        bad = np.flatnonzero(((doms < 1) & (doms != -1)) | (doms > n_dom))
        if bad.size:
            raise ReplayError(f"{path}: call {bad[0]}: domain id {doms[bad[0]]} outside "
                              f"1..{n_dom} (or -1)")
        for i, dt in enumerate(dts):
            if len(dt) > 32:
                raise ReplayError(f"{path}: call {i}: datetime {dt!r} longer than 32 characters")
        self.eps, self.doms, self.datetimes = eps.tolist(), doms.tolist(), dts
        ncalls = len(self.eps)
        for jg, g in ((jg, ds[f"domain_{jg}"]) for jg in range(1, n_dom + 1)):
            if "event_call" not in g.variables:
                continue
            calls = np.asarray(g["event_call"][:], dtype=np.int64)
            if calls.size and (calls.min() < 0 or calls.max() >= ncalls
                               or np.any(np.diff(calls) <= 0)):
                raise ReplayError(f"{path}: domain_{jg}/event_call is not an increasing list of "
                                  f"calls in 0..{ncalls - 1}")
            stored = [v for v in self.variables.get(jg, []) if v.layout != "container"]
            for v in stored:
                if v.nc.shape[0] < calls.size:
                    raise ReplayError(f"{path}: variable {v.nc.name} of domain_{jg} has "
                                      f"{v.nc.shape[0]} events, event_call {calls.size}")
            for e, call in enumerate(calls.tolist()):
                self.events.setdefault(call, []).append((jg, e))

    @staticmethod
    def _array(nc) -> np.ndarray:
        """A stored Fortran array (dimensions reversed on disk) as the host gave it."""
        data = np.asarray(nc[...])
        return np.ascontiguousarray(data).T

    def _read_domain(self, jg: int, g) -> None:
        attrs = {k: g.getncattr(k) for k in g.ncattrs()}
        self.exposed_names[jg] = str(attrs.get("comin_exposed_variables", "")).split()
        if "timestep_length" in attrs:
            self.timesteps[jg] = float(attrs["timestep_length"])
        dom = {}
        for name, kind, ndim in _table.DESCRDATA["domain"]:
            if ndim == 0 and name in attrs:
                dom[name] = _scalar(kind, attrs[name])
            elif ndim and name in g.variables:
                dom[name] = self._array(g.variables[name])
        for group in ("cells", "edges", "verts"):
            sg = g.groups.get(group)
            if sg is None:
                continue
            sattrs = {k: sg.getncattr(k) for k in sg.ncattrs()}
            sub = {}
            for name, kind, ndim in _table.DESCRDATA[group]:
                if ndim == 0 and name in sattrs:
                    sub[name] = _scalar(kind, sattrs[name])
                elif ndim and name in sg.variables:
                    arr = self._array(sg.variables[name])
                    if arr.ndim != ndim:
                        raise ReplayError(f"{self.path}: domain_{jg}/{group}/{name} has "
                                          f"{arr.ndim} dimensions, ComIn's field {ndim}")
                    sub[name] = arr
            dom[group] = sub
        if dom:
            self.domains[jg] = dom
        for nc in g.variables.values():
            if "comin_layout" in nc.ncattrs():
                self.variables.setdefault(jg, []).append(RecordedVariable(self.path, jg, nc))

    # -- queries -----------------------------------------------------------------------
    def all_variables(self) -> List[RecordedVariable]:
        """Every recorded variable, in the recorded exposure order."""
        out = [v for vs in self.variables.values() for v in vs]
        return sorted(out, key=lambda v: (v.index, v.jg))

    def close(self) -> None:
        if self.ds is not None and self.ds.isopen():
            self.ds.close()


class Replay:
    """The replay host: ``Replay(directory, plugins).run()``.

    ``plugins`` as :class:`comin.host.Host` takes them; ``verbosity``,
    ``profile`` and ``error_handler`` go to the Host.  ``rank``/``size``
    default to MPI_COMM_WORLD's (0 and 1 without MPI).  ``yac``: a YAC host
    as ICON (and upstream's replay tool) on MPI_COMM_WORLD, see
    :mod:`comin.hosts.yac` (None: when a plugin imports yac).  Raises
    :class:`ReplayError` when the recording cannot be replayed.
    """

    def __init__(self, directory: str, plugins: Sequence = (), *, verbosity: int = 0,
                 profile: bool = False, error_handler=None, rank: Optional[int] = None,
                 size: Optional[int] = None, yac: Optional[bool] = None):
        if rank is None or size is None:
            rank, size = world_rank_size()
        self.yac = Coupling(plugins, yac)
        self.recording = Recording(directory, rank, size)
        self.rank, self.size = rank, size
        self.calls = 0                   # entry-point calls replayed
        self.events = 0                  # variable events loaded
        self.ended_by_finish = False     # the recorded run ended with EP_FINISH
        try:
            self.host = Host(plugins, verbosity=verbosity, lstdout=rank == 0, profile=profile,
                             error_handler=error_handler)
        except BaseException:
            self.recording.close()
            raise
        self._glb2loc: Dict[int, Dict[int, int]] = {}
        self._halo_plans: Dict[Tuple[str, int], tuple] = {}
        self._halos: Dict[Tuple[int, str], object] = {}
        self._channel = None

    @property
    def ncalls(self) -> int:
        """Number of entry-point calls in the recording."""
        return len(self.recording.eps)

    # -- set-up ------------------------------------------------------------------------
    def setup(self) -> None:
        """Descriptive data, time steps and the host functions from the recording."""
        rec, host = self.recording, self.host
        interval = rec.interval or (None,) * 4
        self.yac.start(None, interval[2], interval[3], host.component)
        host.set_global(**dict(rec.global_data, yac_instance_id=self.yac.instance_id))
        for jg, dom in sorted(rec.domains.items()):
            fields = dict(dom)
            groups = {g: fields.pop(g) for g in ("cells", "edges", "verts") if g in fields}
            host.set_domain(jg, **groups, **fields)
        for jg, dt in rec.timesteps.items():
            host.set_timesteplength(jg, dt)
        if rec.interval is not None:
            host.set_simulation_interval(*rec.interval)
        host.set_glb2loc_cell(self._glb2loc_cell)
        host.set_sync_halo(self._sync_halo)
        if rec.datetime_at_start and len(rec.datetime_at_start) <= 32:
            host.set_datetime(rec.datetime_at_start)

    def _glb2loc_cell(self, jg: int, glb: int) -> int:
        """Local 1-based cell index of a global one, from the recorded glb_index (-1: not here)."""
        table = self._glb2loc.get(jg)
        if table is None:
            cells = self.recording.domains.get(jg, {}).get("cells", {})
            glb_index = cells.get("glb_index")
            table = {} if glb_index is None else {int(g): i + 1 for i, g in enumerate(glb_index)}
            self._glb2loc[jg] = table
        return table.get(int(glb), -1)

    def _sync_halo(self, handle, mode) -> None:
        """ComIn's halo exchange over the host ranks: every halo point gets its owner's value.

        The decomposition is the recorded one: each rank's ``glb_index`` and
        ``decomp_domain`` of the variable's grid (cells, edges or vertices).
        The exchange lists are made at the first exchange on a domain's grid
        (collective over the ranks, as every halo exchange is).  On one rank
        every point is owned: nothing to do.
        """
        if self.size == 1:
            return
        plan = self._halo_plans.get(handle.descriptor)
        if plan is None:
            plan = self._halo_plans[handle.descriptor] = self._halo_plan(handle)
        halo, nproma_axis, block_axis, label = plan
        halo.exchange_blocked(np.asarray(handle), nproma_axis, block_axis, label)

    def _halo_plan(self, handle) -> tuple:
        """(Halo, nproma axis, block axis, label) of one variable."""
        from comin.emulator import decomp
        name, jg = handle.descriptor
        hgrid = self.host.metadata(name, jg).get("hgrid_id", comin.COMIN_HGRID_UNSTRUCTURED_CELL)
        where = {comin.COMIN_HGRID_UNSTRUCTURED_EDGE: "edges",
                 comin.COMIN_HGRID_UNSTRUCTURED_VERTEX: "verts"}.get(hgrid, "cells")
        halo = self._halos.get((jg, where))
        if halo is None:
            part = self.recording.domains.get(jg, {}).get(where, {})
            glb, dd = part.get("glb_index"), part.get("decomp_domain")
            if glb is None or dd is None:
                raise ReplayError(
                    f"{self.recording.path}: domain_{jg}/{where} has no glb_index and "
                    f"decomp_domain, so the halo of ({name}, {jg}) cannot be exchanged "
                    "(COMIN_FLAG_SYNC_HALO)")
            if self._channel is None:
                from mpi4py import MPI
                self._channel = decomp.Channel(MPI.COMM_WORLD)
            glb = np.asarray(glb)
            unblocked = np.asarray(dd).ravel(order="F")[:len(glb)]
            halo = self._halos[(jg, where)] = decomp.halo_from_indices(self._channel, glb, unblocked)
        sem = list(handle.dim_semantics)
        return (halo, sem.index(comin.COMIN_DIM_SEMANTICS_NPROMA),
                sem.index(comin.COMIN_DIM_SEMANTICS_BLOCK), decomp.sync_label(name, jg))

    def expose(self) -> None:
        """Expose the recorded variables, then allocate what the plugins requested."""
        host, rec = self.host, self.recording
        variables = rec.all_variables()
        members: Dict[Tuple[int, str], List[RecordedVariable]] = {}
        for v in variables:
            if v.container and not v.lcontainer:
                members.setdefault((v.jg, v.container), []).append(v)
        containers: Dict[Tuple[int, str], RecordedVariable] = {}
        for v in variables:
            if v.layout == "container":
                if self._complete(v, members.get((v.jg, v.name), [])):
                    v.array = np.zeros(v.shape, dtype=v.dtype, order="F")
                    host.expose(v.name, v.jg, v.array, dim_semantics=v.dim_semantics,
                                metadata=v.metadata, lcontainer=True, ncontained=v.ncontained)
                    v.exposed = True
                    containers[(v.jg, v.name)] = v
                continue
            cont = containers.get((v.jg, v.container)) if v.container else None
            if cont is not None:
                pos = cont.dim_semantics.index(CONTAINER)
                index = tuple(slice(v.ncontained - 1, v.ncontained) if i == pos else slice(None)
                              for i in range(5))
                array = cont.array[index]
            else:
                array = np.zeros(v.shape, dtype=v.dtype, order="F")
            v.bind(array)
            host.expose(v.name, v.jg, array, dim_semantics=v.dim_semantics, metadata=v.metadata,
                        lcontainer=v.lcontainer, ncontained=v.ncontained)
            v.exposed = True
        exposed = set(host.variables)
        for r in host.requests:
            if (r.name, r.domain_id) in exposed:
                continue
            meta = dict(default_metadata(), **r.metadata)
            host.expose(r.name, r.domain_id, self._request_array(r.name, r.domain_id, meta),
                        metadata=meta)

    @staticmethod
    def _complete(cont: RecordedVariable, members: List[RecordedVariable]) -> bool:
        """Every slot of the container recorded (with the container's shape but one)?"""
        if CONTAINER not in cont.dim_semantics:
            return False
        pos = cont.dim_semantics.index(CONTAINER)
        n = cont.shape[pos]
        expect = tuple(1 if i == pos else s for i, s in enumerate(cont.shape))
        slots = sorted(m.ncontained for m in members
                       if m.shape == expect and m.dim_semantics == cont.dim_semantics
                       and m.datatype == cont.datatype)
        return n > 0 and slots == list(range(1, n + 1))

    def _request_array(self, name: str, jg: int, meta: dict) -> np.ndarray:
        """A fresh array in ICON's layout for a requested variable (as the emulator does)."""
        rec = self.recording
        dom = rec.domains.get(jg, {})
        nproma = rec.global_data.get("nproma")
        nblks = {grid: dom.get(grid, {}).get("nblks") for grid in ("cells", "edges", "verts")}
        what = f"cannot allocate the requested variable ({name}, {jg})"
        if nproma is None or dom.get("nlev") is None:
            self.host.finish(ROUTINE, f"{what}: {rec.path} has no nproma or nlev of domain {jg}")
        try:
            return requested_array(name, jg, meta, nproma, dom["nlev"], nblks)
        except (ValueError, KeyError, TypeError) as exc:
            self.host.finish(ROUTINE, f"{what}: {exc}")

    # -- the replay ----------------------------------------------------------------------
    def _not_recorded(self, name: str, jg: int) -> str:
        """Why a variable is missing: the core appends this to error 32's detail."""
        rec = self.recording
        names = [v.name for v in rec.variables.get(jg, []) if v.exposed]
        live = name in rec.exposed_names.get(jg, [])
        why = (f"the recorded run exposed it: record it with --record-vars {name}" if live
               else "the recorded run did not expose it either")
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        return (f"\nvariable ({name}, {jg}) was not recorded in {rec.path} ({why}; recorded "
                f"on domain {jg}: {shown or 'none'})")

    def _load(self, events: List[Tuple[int, int]]) -> None:
        rec = self.recording
        for jg, e in events:
            for v in rec.variables.get(jg, ()):
                if v._writer is None:
                    continue
                try:
                    v.load(e)
                except (OSError, RuntimeError, ValueError, IndexError) as exc:
                    self.host.finish(ROUTINE, f"{rec.path}: cannot read variable {v.name} of "
                                              f"domain {jg} at event {e} ({type(exc).__name__}: "
                                              f"{exc}): the file is damaged")
            self.events += 1

    def run(self, progress: Optional[Callable[[int], None]] = None) -> None:
        """Replay the whole recording; finalize the host and close the file at the end.

        ``progress(i)`` is called now and then with the number of calls done.
        """
        host, rec = self.host, self.recording
        host.set_var_not_found_hint(self._not_recorded)
        try:
            self.setup()
            host.run_primary_constructors()
            self.expose()
            eps, doms, dts, events = rec.eps, rec.doms, rec.datetimes, rec.events
            call_ep, set_datetime = host.call_ep, host.set_datetime
            yac_stage = STAGE_AFTER if self.yac.active else {}
            every = max(1, len(eps) // 200)
            for i in range(len(eps)):
                set_datetime(dts[i])
                ev = events.get(i)
                if ev is not None:
                    self._load(ev)
                call_ep(eps[i], doms[i])
                if eps[i] in yac_stage:
                    self.yac.stage(yac_stage[eps[i]])
                self.calls = i + 1
                if eps[i] == _EP_FINISH:
                    self.ended_by_finish = True
                    break
                if progress is not None and (i + 1) % every == 0:
                    progress(i + 1)
            if progress is not None:
                progress(self.calls)
        finally:
            self.yac.finish()
            if not host.finalized:
                host.finalize()
            rec.close()
