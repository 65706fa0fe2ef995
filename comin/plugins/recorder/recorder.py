"""The recorder plugin itself, and its plugin script (see :mod:`comin.plugins.recorder`).

A host loads this file by path; its top level then runs the primary
constructor with the plugin's arguments (:func:`run_as_script`).
"""
from __future__ import annotations

import atexit
import datetime as _dt
import os
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import comin
from comin import _table, record_format
from comin.host import DTYPES
from comin.icon import gridfile
from comin.icon.blocking import point_axes, to_points, unblock, unblock_index
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
#: largest chunk of a recorded variable (bytes), so huge grids get several per event
CHUNK_BYTES = 16 << 20
#: calls kept in memory before they are written
CALL_BUFFER = 4096


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

    def values(self) -> np.ndarray:
        """This event's values in the stored layout."""
        a = np.asarray(self.handle)
        if self.layout == "raw":
            return a.T
        return to_points(a, self.axes, self.npoints)


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
        if self.ds is not None:
            try:
                self.ds.close()
            except Exception:  # noqa: BLE001
                pass
            self.ds = None

    # -- the secondary constructor: choose, describe, open ----------------------------
    def start(self) -> None:
        glob = comin.descrdata_get_global()
        n_dom = glob.n_dom
        exposed = list(comin.var_descr_list())
        self._choose(exposed, n_dom)
        self._open(glob, n_dom, exposed)
        nproma = glob.__dict__.get("nproma", 0)
        for jg in range(1, n_dom + 1):
            counts = self._counts(jg)
            for var in self.variables.get(jg, []):
                var.plan(nproma, counts)
            self._members(jg)
            for var in self.variables.get(jg, []):
                self._define(var)
        self.ds.sync()
        atexit.register(self._at_exit)

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
                if (var.shape == tuple(expect) and var.dim_semantics == sem and va.dtype == ca.dtype
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

    def _open(self, glob, n_dom: int, exposed) -> None:
        import netCDF4
        try:
            ds = netCDF4.Dataset(self.path, "w", format="NETCDF4")
        except OSError as exc:
            raise OptionError(f"cannot write {self.path}: {exc}") from None
        self.ds = ds
        version = comin.setup_get_version()
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
        try:
            si = comin.descrdata_get_simulation_interval()
            ds.setncatts({"exp_start": si.exp_start, "exp_stop": si.exp_stop,
                          "run_start": si.run_start, "run_stop": si.run_stop})
            self.time_ref = _parse_datetime(si.exp_start)
        except comin.ComInError:
            pass
        if self.time_ref is None:
            self.time_ref = _parse_datetime(self.datetime_at_start)
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
            self._domain(g, jg, d.get("nproma", 0))

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

    def _domain(self, g, jg: int, nproma: int) -> None:
        try:
            dom = comin.descrdata_get_domain(jg)
        except comin.ComInError:
            return
        try:
            g.setncattr("timestep_length", np.float64(comin.descrdata_get_timesteplength(jg)))
        except comin.ComInError:
            pass
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
            nc.set_var_chunk_cache(size=0)        # each chunk is written once, whole
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
        """Record the chosen variables of the current call's domain(s) as one event each."""
        if self.ds is None:
            return
        call = self.ncalls + len(self.calls) - 1
        jg_now = self.calls[-1][1]
        dt = self.calls[-1][2]
        seconds = np.nan
        t = _parse_datetime(dt)
        if t is not None and self.time_ref is not None:
            seconds = (t - self.time_ref).total_seconds()
        for jg, variables in self.variables.items():
            if jg_now > 0 and jg != jg_now:
                continue
            stored = [v for v in variables if v.nc is not None and v.layout != "container"]
            if not stored:
                continue
            g = self.ds[domain_group(jg)]
            e = self.events.get(jg, 0)
            for var in stored:
                var.nc[e] = var.values()
            g["event_call"][e] = call
            if "time" in g.variables:
                g["time"][e] = seconds
            self.events[jg] = e + 1
        self.flush_calls()
        self.ds.sync()

    # -- the call sequence, closing --------------------------------------------------
    def flush_calls(self) -> None:
        if self.ds is None or not self.calls:
            return
        a, b = self.ncalls, self.ncalls + len(self.calls)
        eps, doms, dts = zip(*self.calls)
        self.ds["current_ep"][a:b] = np.array(eps, dtype=np.int32)
        self.ds["current_domain_id"][a:b] = np.array(doms, dtype=np.int32)
        self.ds["current_datetime"][a:b] = np.array(dts, dtype=object)
        self.ncalls = b
        self.calls.clear()

    def close(self, end: str = "") -> None:
        """Write what is buffered and close the file (``end``: the entry point, or "")."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self._at_exit)
        ds = self.ds
        if ds is None:
            return
        try:
            self.flush_calls()
            ds.setncattr("recording_end", end)
        finally:
            self.ds = None
            ds.close()

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
