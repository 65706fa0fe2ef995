"""The recorder plugin itself, and its plugin script (see :mod:`comin.plugins.recorder`).

A host loads this file by path; its top level then runs the primary
constructor with the plugin's arguments (:func:`run_as_script`).
"""
from __future__ import annotations

import atexit
import datetime as _dt
import os
import sys
import threading
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import comin
from comin import _table, record_format
from comin.host import DTYPES
from comin.icon import gridfile
from comin.icon.blocking import contained_semantics, point_axes, points_reader, unblock, unblock_index
from comin.icon.points import BY_GROUP, BY_HGRID, KINDS
from comin.parallel import world
from comin.plugins.recorder.options import EP_IDS, EP_NAMES, OptionError, RecordOptions, parse_options
from comin.record_format import domain_group, rank_file

#: ``finish`` routine of bad options (unknown variable, entry point, directory).
ROUTINE = "comin_recorder"
#: ``finish`` routine of a failure while writing.
ROUTINE_IO = "comin_recorder (writing)"

_EP_FINISH = EP_IDS["EP_FINISH"]
_EP_DESTRUCTOR = EP_IDS["EP_DESTRUCTOR"]
_EP_SECONDARY = EP_IDS["EP_SECONDARY_CONSTRUCTOR"]

_S = comin
NPROMA, BLOCK, LEVEL = (_S.COMIN_DIM_SEMANTICS_NPROMA, _S.COMIN_DIM_SEMANTICS_BLOCK,
                        _S.COMIN_DIM_SEMANTICS_LEVEL)
CONTAINER = _S.COMIN_DIM_SEMANTICS_CONTAINER
#: The recorder's view of the grid in ICON's grid-file names (:mod:`comin.icon.gridfile`),
#: in the file's order: variable -> (descriptive-data group, field); a field ``X_idx`` is
#: the (idx, blk) links ``X_idx``/``X_blk``, ``@vlon``/``@vlat`` the cells' vertices' coordinates
_GRID_VIEW = {
    "clon": ("cells", "clon"), "clat": ("cells", "clat"), "elon": ("edges", "elon"),
    "elat": ("edges", "elat"), "vlon": ("verts", "vlon"), "vlat": ("verts", "vlat"),
    "cell_area": ("cells", "area"), "vertex_of_cell": ("cells", "vertex_idx"),
    "clon_vertices": ("verts", "@vlon"), "clat_vertices": ("verts", "@vlat"),
    "edge_of_cell": ("cells", "edge_idx"), "neighbor_cell_index": ("cells", "neighbor_idx"),
    "adjacent_cell_of_edge": ("edges", "cell_idx"), "edge_vertices": ("edges", "vertex_idx"),
    "cells_of_vertex": ("verts", "cell_idx"), "edges_of_vertex": ("verts", "edge_idx"),
    "vertices_of_vertex": ("verts", "neighbor_idx"), "child_cell_index": ("cells", "child_idx"),
    "child_edge_index": ("edges", "child_idx"), "parent_cell_index": ("cells", "parent_glb_idx"),
    "parent_edge_index": ("edges", "parent_glb_idx"), "refin_c_ctrl": ("cells", "refin_ctrl"),
    "refin_e_ctrl": ("edges", "refin_ctrl"), "refin_v_ctrl": ("verts", "refin_ctrl"),
    "child_cell_id": ("cells", "child_id"), "child_edge_id": ("edges", "child_id"),
    "cell_index": ("cells", "glb_index"), "edge_index": ("edges", "glb_index"),
    "vertex_index": ("verts", "glb_index"),
}
#: largest chunk of a recorded variable (bytes), so huge grids get several per event (one
#: level of an R2B6 field is 2.6 MB; HDF5 checksums and writes chunks of a few MB fastest)
CHUNK_BYTES = 4 << 20
#: calls kept in memory before they are written
CALL_BUFFER = 4096
#: seconds between flushes of the file while events are written (and at the end)
SYNC_SECONDS = 30.0
#: snapshots of the recorded values that may wait for the writer (memory: that many copies
#: of the recorded fields; the model waits when all are taken), and the largest size of
#: all snapshots together above which there is only one
SNAPSHOTS, SNAPSHOT_BYTES = 2, 1 << 30


class Writer:
    """The thread that writes the recording while the model runs on.

    Every NetCDF call after the file is set up runs here, in the order given
    (HDF5 is not thread-safe: one thread touches the file).  The values of an
    event are copied into a free snapshot first (:meth:`snapshot`), so the
    model may change its fields at once; there are ``snapshots`` of them, and the
    model waits only when the writer is that far behind.  A failure is
    kept and raised by the next call from the model's side (:meth:`check`),
    which the recorder reports as one line naming the file.
    """

    def __init__(self, snapshots: int = SNAPSHOTS):
        import queue
        self._tasks: "queue.Queue" = queue.Queue()
        self.error: Optional[BaseException] = None
        self._free = [threading.Event() for _ in range(snapshots)]
        for e in self._free:
            e.set()
        self._buffers: Dict[tuple, np.ndarray] = {}
        self._next = 0
        self._thread = threading.Thread(target=self._run, name="comin-recorder-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            fn, args = task
            if self.error is None:
                try:
                    fn(*args)
                except BaseException as exc:  # noqa: BLE001 - reported by check()
                    self.error = exc

    def check(self) -> None:
        """Raise the writer's failure, if any (on the model's side)."""
        if self.error is not None:
            raise self.error

    def submit(self, fn, *args) -> None:
        self.check()
        self._tasks.put((fn, args))

    def snapshot(self, key, shape, dtype) -> Tuple[int, np.ndarray]:
        """A buffer of snapshot set ``self.slot`` for ``key`` (allocated once)."""
        buf = self._buffers.get((self.slot, key))
        if buf is None:
            buf = self._buffers[(self.slot, key)] = np.empty(shape, dtype=dtype)
        return buf

    def take(self) -> int:
        """The next snapshot set, once the writer is done with it."""
        self.slot = self._next
        self._next = (self._next + 1) % len(self._free)
        self._free[self.slot].wait()
        self.check()
        self._free[self.slot].clear()
        return self.slot

    def release(self, slot: int) -> None:
        """(Writer side) snapshot set ``slot`` is written."""
        self._free[slot].set()

    def finish(self) -> None:
        """Wait until everything submitted is written; raise a failure."""
        self.stop()
        self.check()

    def stop(self) -> None:
        """Let the thread end after what is submitted (a failure skips the rest)."""
        if self._thread.is_alive():
            self._tasks.put(None)
            self._thread.join()


def host_rank_size() -> Tuple[int, int]:
    """Rank and size of the host communicator; (0, 1) without MPI (MPI is not started)."""
    if world() is None:
        return 0, 1
    from mpi4py import MPI
    comm = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
    return comm.Get_rank(), comm.Get_size()


def _parse_datetime(text: str) -> Optional[_dt.datetime]:
    try:
        t = _dt.datetime.fromisoformat(text.strip())
    except (TypeError, ValueError):
        return None
    return t.replace(tzinfo=None) if t.tzinfo is not None else t


def _attr_value(kind: str, value):
    """A descriptive-data scalar as a NetCDF attribute value of a definite type."""
    if kind == "bool":
        return np.int8(1 if value else 0)
    if kind == "int":
        return np.int32(value) if -2**31 <= value < 2**31 else np.int64(value)
    if kind == "float":
        return np.float64(value)
    return str(value)


def _metadata_attr(value):
    if isinstance(value, bool):
        return np.int8(1 if value else 0)
    if isinstance(value, int):
        return np.int32(value)
    if isinstance(value, float):
        return np.float64(value)
    return str(value)


class Variable:
    """One exposed variable: its description, and how it is stored."""

    def __init__(self, name: str, jg: int, handle, metadata: dict, index: int):
        self.name, self.jg, self.handle = name, jg, handle
        self.metadata, self.index = metadata, index
        self.shape = tuple(int(s) for s in handle.shape)
        self.dim_semantics = tuple(int(d) for d in handle.dim_semantics)
        self.datatype = int(handle.datatype)
        self.lcontainer = bool(handle.lcontainer)
        self.ncontained = int(handle.ncontained) + 1          # Fortran convention (Host.expose)
        self.container: str = ""
        self.layout = "container" if self.lcontainer else "raw"
        self.hgrid = int(metadata.get("hgrid_id", _S.COMIN_HGRID_UNSTRUCTURED_CELL))
        self.nc = None          # the NetCDF variable
        self.axes = None        # unblocked: how the 5-D array holds the points (point_axes)
        self.npoints = 0
        self.nblks = 0
        self._reader = None     # unblocked: copies the points into a snapshot
        self._shape = None

    @property
    def is_cell_field(self) -> bool:
        sem = self.dim_semantics
        return (self.hgrid == _S.COMIN_HGRID_UNSTRUCTURED_CELL and NPROMA in sem and BLOCK in sem)

    def plan(self, nproma: int, counts: Dict[str, Tuple[int, int]]) -> None:
        """Choose the unblocked layout when the array is ICON's (nproma, [level,] block)."""
        if self.lcontainer or self.hgrid not in BY_HGRID:
            return
        group = BY_HGRID[self.hgrid].group
        if group not in counts:
            return
        n, nblks = counts[group]
        sem, shape = self.dim_semantics, self.shape
        axes = point_axes(sem, shape)
        if axes is None:
            return
        if shape[sem.index(NPROMA)] != nproma or shape[sem.index(BLOCK)] != nblks:
            return
        if n > nproma * nblks:
            return
        self.layout = "unblocked"
        self.axes = axes
        self.npoints, self.nblks = n, nblks

    def snapshot(self, writer: Writer) -> np.ndarray:
        """This event's values in the stored layout, copied into a snapshot buffer."""
        a = np.asarray(self.handle)
        if self.layout == "raw":
            buf = writer.snapshot(id(self), a.T.shape, a.dtype)
            np.copyto(buf, a.T)
            return buf
        if self._reader is None:
            self._reader = points_reader(a, self.axes, self.npoints)
            lead = tuple(a[self.axes[0]].transpose(self.axes[1]).shape[:-2])
            self._shape = lead + (self.npoints,)
        buf = writer.snapshot(id(self), self._shape, a.dtype)
        self._reader(buf)
        return buf


class Recorder:
    """The state of one recorder plugin instance (see the module's docstring).

    ``Recorder(options).start_plugin()`` is the primary constructor.
    ``refused_input`` tells afterwards whether the recorder ended the run because
    of its input (a directory it cannot write, a variable the host does not
    expose): ``comin run`` then exits with status 2.  :attr:`refusals` counts
    such ends of every recorder of the process, however it was loaded.
    """

    refusals = 0

    def __init__(self, options: RecordOptions):
        self.directory = options.directory
        self.var_names = options.vars
        self.var_eps = options.eps
        self.rank, self.size = host_rank_size()
        self.path = rank_file(self.directory, self.rank)
        self.ds = None
        self.writer: Optional[Writer] = None
        self.started = False           # the file is being written (by the writer thread)
        self.closed = False
        self.calls: List[Tuple[int, int, str]] = []
        self.ncalls = 0
        self.variables: Dict[int, List[Variable]] = {}
        self.events: Dict[int, int] = {}
        self.nlevs: Dict[int, Optional[int]] = {}
        self.exposed: List[Tuple[str, int]] = []
        self.time_ref: Optional[_dt.datetime] = None
        self.datetime_at_start = comin.current_get_datetime()
        self.refused_input = False

    def start_plugin(self) -> None:
        """The primary constructor: the directory, then a callback at every entry point."""
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as exc:
            self._refuse(f"cannot create the recording directory {self.directory}: "
                         f"{exc.strerror}")
        if not os.access(self.directory, os.W_OK | os.X_OK):
            self._refuse(f"the recording directory {self.directory} is not writable")
        self.register()

    def _refuse(self, text: str) -> None:
        """End the run because of the recorder's input (one line)."""
        self.refused_input = True
        Recorder.refusals += 1
        comin.finish(ROUTINE, text)

    # -- registration ------------------------------------------------------------------
    def register(self) -> None:
        for ep in range(1, len(_table.ENTRY_POINTS) + 1):
            comin.callback_register(ep, self._callback(ep))

    def _callback(self, ep: int):
        calls, record_call = self.calls, self._record_call
        if ep == _EP_SECONDARY:
            def secondary():
                self._guard(self.start)
                record_call(ep)
                if ep in self.var_eps:
                    self._guard(self.record_values, ep)
            return secondary
        if ep in (_EP_FINISH, _EP_DESTRUCTOR):
            def last():
                if self.closed:
                    return
                record_call(ep)
                if ep in self.var_eps:
                    self._guard(self.record_values, ep)
                self._guard(self.close, EP_NAMES[ep])
            return last
        if ep in self.var_eps:
            def with_values():
                record_call(ep)
                self._guard(self.record_values, ep)
            return with_values
        get_domain, get_datetime = comin.current_get_domain_id, comin.current_get_datetime
        append = calls.append

        def call_only():
            try:
                jg = get_domain()
            except RuntimeError:
                jg = -1
            append((ep, jg, get_datetime()))
            if len(calls) >= CALL_BUFFER:
                self._guard(self.flush_calls)
        return call_only

    def _record_call(self, ep: int) -> None:
        try:
            jg = comin.current_get_domain_id()
        except RuntimeError:
            jg = -1
        self.calls.append((ep, jg, comin.current_get_datetime()))

    def _guard(self, fn, *args):
        """Run a writing step; a failure ends the run with one clear line."""
        if self.closed:
            return None
        try:
            return fn(*args)
        except OptionError as exc:
            self._abandon()
            self._refuse(str(exc))
        except comin.ComInFinish:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as one line naming the file
            self._abandon()
            comin.finish(ROUTINE_IO, f"{self.path}: {type(exc).__name__}: {exc}")

    def _abandon(self) -> None:
        self.closed = True
        if self.writer is not None:
            self.writer.stop()
        self._close_quietly()

    # -- the secondary constructor: choose, describe, open ----------------------------
    def start(self) -> None:
        """Choose the variables and open the file here; the writer thread writes the
        descriptive data and defines the variables while the model goes on."""
        glob = comin.descrdata_get_global()
        n_dom = glob.n_dom
        exposed = list(comin.var_descr_list())
        self._choose(exposed, n_dom)
        info = self._info(n_dom)
        si = info["interval"]
        self.time_ref = _parse_datetime(si.exp_start) if si is not None else None
        if self.time_ref is None:
            self.time_ref = _parse_datetime(self.datetime_at_start)
        nproma = glob.__dict__.get("nproma", 0)
        for jg in range(1, n_dom + 1):
            counts = self._counts(jg)
            for var in self.variables.get(jg, []):
                var.plan(nproma, counts)
            self._members(jg)
        size = sum(int(np.asarray(v.handle).nbytes) for vs in self.variables.values() for v in vs
                   if v.layout != "container")
        self.writer = Writer(SNAPSHOTS if size * SNAPSHOTS <= SNAPSHOT_BYTES else 1)
        self.writer.submit(self._write_setup, glob, n_dom, exposed, info, nproma)
        self.started = True
        atexit.register(self._at_exit)

    def _info(self, n_dom: int) -> dict:
        """What the file's setup needs from ComIn, asked here (the model's thread)."""
        try:
            interval = comin.descrdata_get_simulation_interval()
        except comin.ComInError:
            interval = None
        domains = {}
        for jg in range(1, n_dom + 1):
            try:
                dom = comin.descrdata_get_domain(jg)
            except comin.ComInError:
                continue
            try:
                dt = comin.descrdata_get_timesteplength(jg)
            except comin.ComInError:
                dt = None
            domains[jg] = (dom, dt)
        return {"version": comin.setup_get_version(), "interval": interval, "domains": domains}

    def _write_setup(self, glob, n_dom: int, exposed, info: dict, nproma: int) -> None:
        """(Writer thread) the file: root attributes, descriptive data and variables."""
        import netCDF4
        self.ds = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        self._open(glob, n_dom, exposed, info)
        for jg in range(1, n_dom + 1):
            for var in self.variables.get(jg, []):
                self._define(var)
        self._synced = float("-inf")
        self._sync_now_and_then()
        # Each chunk of an event is written once, whole: no chunk cache, so it goes to the
        # file (checksummed) while the model runs on, not all at the close.  Only now: in
        # define mode netCDF-C sizes each variable's cache to hold a chunk when the file
        # leaves it, whatever was set before.
        for variables in self.variables.values():
            for var in variables:
                if var.nc is not None and var.layout != "container":
                    var.nc.set_var_chunk_cache(size=0)

    def _choose(self, exposed: List[Tuple[str, int]], n_dom: int) -> None:
        context = [ep for ep in self.var_eps if ep != _EP_SECONDARY]
        descr: Dict[Tuple[str, int], Tuple[object, dict, int]] = {}
        for index, (name, jg) in enumerate(exposed):
            if not 1 <= jg <= n_dom:
                continue
            handle = comin.var_get([], (name, jg), comin.COMIN_FLAG_READ)
            descr[(name, jg)] = (handle, dict(comin.metadata((name, jg))), index)
        if self.var_names is None:
            wanted = [k for k in descr]
        else:
            wanted = []
            names = {name for name, _ in descr}
            for name in self.var_names:
                if name not in names:
                    shown = ", ".join(sorted(names)) or "none"
                    raise OptionError(f"cannot record variable '{name}': the host exposes no "
                                      f"variable of that name (exposed: {shown})")
                wanted += [k for k in descr if k[0] == name]
        chosen = []
        for key in wanted:
            handle, meta, index = descr[key]
            if self.var_names is not None and handle.lcontainer:
                raise OptionError(f"cannot record variable '{key[0]}': it is a container "
                                  "(of tracers); name its members instead")
            probe = Variable(key[0], key[1], handle, meta, index)
            if self.var_names is None and (handle.lcontainer or not probe.is_cell_field):
                continue
            chosen.append(Variable(key[0], key[1],
                                   comin.var_get(context, key, comin.COMIN_FLAG_READ), meta, index))
        # containers of the chosen members are described (no values)
        for key, (handle, meta, index) in descr.items():
            if handle.lcontainer and any(v.jg == key[1] for v in chosen):
                chosen.append(Variable(key[0], key[1], handle, meta, index))
        for var in sorted(chosen, key=lambda v: v.index):
            self.variables.setdefault(var.jg, []).append(var)
        self.exposed = exposed

    def _members(self, jg: int) -> None:
        """Name the container of each member whose memory lies at its slot in it."""
        variables = self.variables.get(jg, [])
        for cont in [v for v in variables if v.lcontainer]:
            sem = cont.dim_semantics
            if CONTAINER not in sem:
                continue
            pos = sem.index(CONTAINER)
            ca = np.asarray(cont.handle)
            base, stride = ca.__array_interface__["data"][0], ca.strides[pos]
            members = 0
            for var in variables:
                if var.lcontainer or var.container or not 1 <= var.ncontained <= cont.shape[pos]:
                    continue
                va = np.asarray(var.handle)
                expect = list(cont.shape)
                expect[pos] = 1
                if (var.shape == tuple(expect) and va.dtype == ca.dtype
                        and var.dim_semantics in (sem, contained_semantics(sem))
                        and (va.__array_interface__["data"][0]
                             == base + (var.ncontained - 1) * stride)
                        and all(va.strides[i] == ca.strides[i] for i in range(5)
                                if i != pos and var.shape[i] > 1)):
                    var.container = cont.name
                    members += 1
            if not members:
                variables.remove(cont)

    def _counts(self, jg: int) -> Dict[str, Tuple[int, int]]:
        out = {}
        try:
            dom = comin.descrdata_get_domain(jg)
        except comin.ComInError:
            return out
        for kind in KINDS:
            try:
                sub = getattr(dom, kind.group)
                out[kind.group] = (int(getattr(sub, kind.count)), int(sub.nblks))
            except (comin.ComInError, AttributeError):
                pass
        return out

    def _open(self, glob, n_dom: int, exposed, info: dict) -> None:
        ds = self.ds
        version = info["version"]
        ds.setncatts({
            "title": "ComIn recording: descriptive data, entry-point calls and variables of a "
                     "model run (comin record & replay)",
            "Conventions": "CF-1.8",
            **record_format.identity(version, comin.__version__),
            "host_comm_rank": np.int32(self.rank),
            "host_comm_size": np.int32(self.size),
            "datetime_at_start": self.datetime_at_start,
            "record_vars": ",".join(self.var_names) if self.var_names else "",
            "record_eps": ",".join(EP_NAMES[ep] for ep in self.var_eps),
            "recording_end": "",
            "history": f"{_dt.datetime.now().isoformat(timespec='seconds')}: recorded by "
                       f"comin {comin.__version__} (comin/recorder.py)",
        })
        d = glob.__dict__
        self._descrdata(ds, "global", d, lambda name, arr: ("vct_a",) if name == "vct_a"
                        else (f"n_{name}",))
        si = info["interval"]
        if si is not None:
            ds.setncatts({"exp_start": si.exp_start, "exp_stop": si.exp_stop,
                          "run_start": si.run_start, "run_stop": si.run_stop})
        ds.createDimension("call", None)
        v = ds.createVariable("current_ep", "i4", ("call",))
        v.long_name = "entry point of the call"
        v.flag_values = np.arange(1, len(_table.ENTRY_POINTS) + 1, dtype=np.int32)
        v.flag_meanings = " ".join(_table.ENTRY_POINTS)
        v = ds.createVariable("current_domain_id", "i4", ("call",))
        v.long_name = "domain id of the call (-1: outside a domain loop)"
        v = ds.createVariable("current_datetime", str, ("call",))
        v.long_name = "simulation date and time of the call (ISO 8601)"
        by_domain: Dict[int, List[str]] = {}
        for name, jg in exposed:
            by_domain.setdefault(jg, []).append(name)
        for jg in range(1, n_dom + 1):
            g = ds.createGroup(domain_group(jg))
            g.setncattr("comin_exposed_variables", " ".join(by_domain.get(jg, [])))
            self._domain(g, jg, d.get("nproma", 0), info["domains"].get(jg))

    # -- descriptive data ----------------------------------------------------------------
    @staticmethod
    def _array(group, name: str, arr: np.ndarray, dims: Tuple[str, ...] = ()) -> None:
        """A descriptive-data array, bit for bit: Fortran order, so dimensions reversed."""
        data = arr.T
        if not dims:
            dims = tuple(f"{name}_dim{i}" for i in range(arr.ndim))[::-1]
        names = tuple(gridfile.dimension(group, dn, size) for dn, size in zip(dims, data.shape))
        v = group.createVariable(name, arr.dtype, names, fill_value=False,
                                 fletcher32=data.size > 0)
        if data.size:
            v[...] = data

    def _domain(self, g, jg: int, nproma: int, dom_dt) -> None:
        if dom_dt is None:
            return
        dom, dt = dom_dt
        if dt is not None:
            g.setncattr("timestep_length", np.float64(dt))
        d = dom.__dict__
        self._descrdata(g, "domain", d, lambda name, arr: (f"n_{name}",))
        self.nlevs[jg] = d.get("nlev")
        groups = {}
        for group in ("cells", "edges", "verts"):
            sub = d.get(group)
            if sub is None:
                continue
            sg = g.createGroup(group)
            sd = sub.__dict__
            groups[group] = sd
            self._descrdata(sg, group, sd, self._point_dims)
        if nproma:
            self._grid_view(g, groups, nproma)

    def _descrdata(self, group, table: str, data: dict, dims: Callable) -> None:
        """One group of descriptive data (``table`` of ``_table.DESCRDATA``): scalars as
        attributes, arrays as variables on the dimensions ``dims(name, array)``."""
        for name, kind, ndim in _table.DESCRDATA[table]:
            if name not in data:
                continue
            if ndim == 0:
                group.setncattr(name, _attr_value(kind, data[name]))
            else:
                arr = np.asarray(data[name])
                self._array(group, name, arr, dims(name, arr))

    @staticmethod
    def _point_dims(name: str, arr: np.ndarray) -> Tuple[str, ...]:
        """Dimensions of a cells/edges/verts array (reversed, as NetCDF stores Fortran's)."""
        if arr.ndim == 1:
            return ("n" if name == "glb_index" else "nrefin",)
        if arr.ndim == 2:
            return ("nblks", "nproma")
        if name == "hhl":
            return ("nblks", "nlev_half", "nproma")
        return (f"n{arr.shape[2]}", "nblks", "nproma")

    @staticmethod
    def _grid_view(g, groups: dict, nproma: int) -> None:
        """ICON's grid-file names on ICON's dimensions, for ordinary tools."""
        n = {k.dim: groups.get(k.group, {}).get(k.count) for k in KINDS}

        def field(src, key, count):
            if key in src and count:
                return unblock(np.asarray(src[key]), count)
            return None

        def links(src, key, count):
            if f"{key}_idx" not in src or f"{key}_blk" not in src or not count:
                return None
            return unblock(unblock_index(np.asarray(src[f"{key}_idx"]), np.asarray(src[f"{key}_blk"]),
                                         nproma), count)

        # open boundary (a nest, a subdomain): missing neighbours are -1, as in ICON's files
        cells_of_edge = links(groups.get("edges", {}), "cell", n["edge"])
        open_grid = cells_of_edge is not None and gridfile.is_open(cells_of_edge)
        data = {}
        for name, (group, key) in _GRID_VIEW.items():
            src, count = groups.get(group, {}), n[BY_GROUP[group].dim]
            if key == "glb_index":
                data[name] = np.asarray(src[key]) if key in src else None
            elif key.endswith("_idx"):
                j = links(src, key[:-4], count)
                data[name] = j[:2] if j is not None and name == "edge_vertices" else j
            elif key.startswith("@"):            # a cell's vertices' coordinates
                voc, coord = data["vertex_of_cell"], field(src, key[1:], count)
                data[name] = (None if voc is None or coord is None
                              else coord[np.clip(voc - 1, 0, count - 1)].T)
            else:
                data[name] = field(src, key, count)
        gridfile.write(g, data, open_boundary=open_grid, counts=n)

    # -- variables ---------------------------------------------------------------------
    def _define(self, var: Variable) -> None:
        g = self.ds[domain_group(var.jg)]
        if "event" not in g.dimensions:
            g.createDimension("event", None)
            ev = g.createVariable("event_call", "i4", ("event",))
            ev.long_name = "index of the entry-point call (0-based, dimension call)"
            if self.time_ref is not None:
                t = g.createVariable("time", "f8", ("event",))
                t.standard_name = "time"
                t.units = f"seconds since {self.time_ref.isoformat(sep=' ')}"
                t.calendar = "proleptic_gregorian"
                t.axis = "T"
        ncname = var.name.replace("/", "_")
        if ncname in record_format.RESERVED or ncname in g.groups:
            ncname += "_var"
        while ncname in g.variables:
            ncname += "_"
        dtype = DTYPES[var.datatype]
        if var.layout == "container":
            nc = g.createVariable(ncname, "i1", ())
        else:
            if var.layout == "unblocked":
                kind = BY_HGRID[var.hgrid]
                dims = ["event"]
                if LEVEL in [var.dim_semantics[i] for i in range(5)]:
                    nl = var.shape[var.dim_semantics.index(LEVEL)]
                    nlev = self.nlevs.get(var.jg)
                    name = ("height" if nl == nlev else
                            "height_half" if nlev is not None and nl == nlev + 1
                            else f"level_{nl}")
                    dims.append(gridfile.dimension(g, name, nl))
                dims.append(gridfile.dimension(g, kind.dim, var.npoints))
            else:
                dims = ["event"] + [gridfile.dimension(g, f"{ncname}_dim{i}", var.shape[i])
                                    for i in range(4, -1, -1)]
            sizes = [g.dimensions[d].size for d in dims[1:]]
            chunk = [1] + sizes
            # keep chunks moderate: split the slowest fixed dimension when a field is huge
            per = int(np.prod(sizes[1:], dtype=np.int64)) * dtype.itemsize
            if sizes and per * sizes[0] > CHUNK_BYTES:
                chunk[1] = max(1, CHUNK_BYTES // max(per, 1))
            nc = g.createVariable(ncname, dtype, tuple(dims),
                                  chunksizes=tuple(max(1, c) for c in chunk),
                                  fill_value=False, fletcher32=True)
            if var.layout == "unblocked":
                nc.coordinates = ("time " if "time" in g.variables else "") + kind.coordinates
                nc.CDI_grid_type = "unstructured"
            elif "time" in g.variables:
                nc.coordinates = "time"
        for key in ("units", "standard_name", "long_name"):
            value = var.metadata.get(key)
            if isinstance(value, str) and value:
                nc.setncattr(key, value)
        for key, value in var.metadata.items():
            nc.setncattr(f"comin_metadata_{key}", _metadata_attr(value))
        nc.setncatts({
            "comin_metadata_logical_keys": " ".join(k for k, val in var.metadata.items()
                                                    if isinstance(val, bool)),
            "comin_name": var.name,
            "comin_domain_id": np.int32(var.jg),
            "comin_shape": np.array(var.shape, dtype=np.int32),
            "comin_dim_semantics": np.array(var.dim_semantics, dtype=np.int32),
            "comin_datatype": np.int32(var.datatype),
            "comin_lcontainer": np.int8(var.lcontainer),
            "comin_ncontained": np.int32(var.ncontained),
            "comin_container": var.container,
            "comin_layout": var.layout,
            "comin_exposure_index": np.int32(var.index),
        })
        var.nc = nc

    def record_values(self, ep: int) -> None:
        """Record the chosen variables of the current call's domain(s) as one event each:
        their values are copied into a snapshot here, written by the writer thread."""
        if not self.started:
            return
        writer = self.writer
        call = self.ncalls + len(self.calls) - 1
        jg_now = self.calls[-1][1]
        dt = self.calls[-1][2]
        seconds = np.nan
        t = _parse_datetime(dt)
        if t is not None and self.time_ref is not None:
            seconds = (t - self.time_ref).total_seconds()
        slot = writer.take()
        events = []
        for jg, variables in self.variables.items():
            if jg_now > 0 and jg != jg_now:
                continue
            stored = [v for v in variables if v.layout != "container"]
            if not stored:
                continue
            e = self.events.get(jg, 0)
            events.append((jg, e, [(var, var.snapshot(writer)) for var in stored]))
            self.events[jg] = e + 1
        writer.submit(self._write_event, slot, events, call, seconds, self._take_calls())

    def _write_event(self, slot: int, events, call: int, seconds: float, calls) -> None:
        """(Writer thread) one event of every domain, and the calls before it."""
        try:
            ds = self.ds
            for jg, e, values in events:
                g = ds[domain_group(jg)]
                for var, buf in values:
                    var.nc[e] = buf
                g["event_call"][e] = call
                if "time" in g.variables:
                    g["time"][e] = seconds
            self._write_calls(calls)
            self._sync_now_and_then()
        finally:
            self.writer.release(slot)

    def _sync_now_and_then(self) -> None:
        """(Writer thread) Flush the file every :data:`SYNC_SECONDS`: what was written then
        survives a crash; flushing costs as much as writing an event of a small grid, so
        not after every event."""
        import time
        now = time.monotonic()
        if now - self._synced >= SYNC_SECONDS:
            self.ds.sync()
            self._synced = now

    # -- the call sequence, closing --------------------------------------------------
    def _take_calls(self):
        """The buffered calls as arrays, numbered on from the calls taken before (or None)."""
        if not self.calls:
            return None
        a, b = self.ncalls, self.ncalls + len(self.calls)
        eps, doms, dts = zip(*self.calls)
        self.ncalls = b
        self.calls.clear()
        return (a, b, np.array(eps, dtype=np.int32), np.array(doms, dtype=np.int32),
                np.array(dts, dtype=object))

    def _write_calls(self, calls) -> None:
        """(Writer thread) calls taken by :meth:`_take_calls`."""
        if calls is None:
            return
        a, b, eps, doms, dts = calls
        self.ds["current_ep"][a:b] = eps
        self.ds["current_domain_id"][a:b] = doms
        self.ds["current_datetime"][a:b] = dts

    def flush_calls(self) -> None:
        if not self.started or not self.calls:
            return
        self.writer.submit(self._write_calls, self._take_calls())

    def close(self, end: str = "") -> None:
        """Write what is buffered, wait for the writer and close the file (``end``: the entry
        point, or "")."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self._at_exit)
        if not self.started:
            return
        try:
            self.writer.submit(self._write_calls, self._take_calls())
            self.writer.submit(self._close_file, end)
            self.writer.finish()
        finally:
            self._close_quietly()

    def _close_file(self, end: str) -> None:
        """(Writer thread) the last attribute, and the file closed."""
        self.ds.setncattr("recording_end", end)
        ds, self.ds = self.ds, None
        ds.close()

    def _close_quietly(self) -> None:
        """Close the file if the writer could not (it has stopped)."""
        ds, self.ds = self.ds, None
        if ds is not None:
            try:
                ds.close()
            except Exception:  # noqa: BLE001 - the failure that stopped the writer is reported
                pass

    def _at_exit(self) -> None:
        try:
            self.close("")
        except Exception:  # noqa: BLE001 - nothing to report to at exit
            pass


def plugin_main(args: Sequence[str]) -> Recorder:
    """The recorder's primary constructor as a plugin script: parse ``args``, start."""
    try:
        opts = parse_options(args)
    except OptionError as exc:
        Recorder.refusals += 1
        comin.finish(ROUTINE, f"bad options {' '.join(args)!r}: {exc}")
    rec = Recorder(opts)
    rec.start_plugin()
    return rec


def summary(path: str) -> str:
    """One line describing the recording in ``path`` (for ``comin run``); a file that is not
    a recording of this format raises :class:`comin.record_format.FormatError`."""
    import netCDF4
    with netCDF4.Dataset(path) as ds:
        record_format.check({k: ds.getncattr(k) for k in ds.ncattrs()}, path)
        calls = ds.dimensions["call"].size
        parts = []
        for name, g in ds.groups.items():
            nvars = sum(1 for v in g.variables.values() if "comin_layout" in v.ncattrs()
                        and v.getncattr("comin_layout") != "container")
            events = g.dimensions["event"].size if "event" in g.dimensions else 0
            parts.append(f"{name}: {nvars} variable{'s' * (nvars != 1)} x "
                         f"{events} event{'s' * (events != 1)}")
    size = os.path.getsize(path) / 1e6
    return f"{calls:,} entry point calls, {'; '.join(parts)} in {path} ({size:,.1f} MB)"


def run_as_script() -> None:
    """The recorder loaded as a plugin script: its options are the plugin's arguments."""
    try:
        args = comin.current_get_plugin_info().args
    except comin.ComInError:
        sys.exit("comin/recorder.py is a ComIn plugin: load it into a host, e.g. "
                 "comin run --record DIR my_plugin.py")
    plugin_main(args)


if __name__ == "__main__":
    from comin.plugins import recorder as _recorder   # one copy of the code, whoever loads the script
    _recorder.run_as_script()
