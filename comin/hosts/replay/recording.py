"""A recording of one host rank, opened and checked: :class:`Recording` (see :mod:`comin.hosts.replay`)."""
from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from comin import _table
from comin.host import DTYPES
from comin.icon.blocking import BLOCK, LEVEL, NPROMA, point_axes, points_writer
from comin.record_format import (CALL_VARIABLES, LAYOUTS, FormatError, check, domain_group,
                                 rank_file, recorded_ranks)


class ReplayError(Exception):
    """A recording that cannot be replayed; the message is one line naming the file."""


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
                or self.datatype not in DTYPES or self.layout not in LAYOUTS
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
            if point_axes(sem) is None:
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
            write = points_writer(array, point_axes(self.dim_semantics), self.npoints)
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
            ranks = recorded_ranks(directory)
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
        try:
            recorded = check(attrs, path)
        except FormatError as exc:
            raise ReplayError(str(exc)) from None
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
        self.global_data = self._descrdata(ds, attrs, "global")
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
            g = ds.groups.get(domain_group(jg))
            if g is None:
                raise ReplayError(f"{path}: no group domain_{jg} (the recording has n_dom = "
                                  f"{n_dom})")
            self._read_domain(jg, g)
        # the call sequence
        for name in CALL_VARIABLES:
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
        for jg, g in ((jg, ds[domain_group(jg)]) for jg in range(1, n_dom + 1)):
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

    def _descrdata(self, group, attrs: dict, table: str, where: str = "") -> dict:
        """One group of recorded descriptive data (``table`` of ``_table.DESCRDATA``): scalars
        from attributes, arrays from variables (with ``where``: of ComIn's number of
        dimensions, else ReplayError naming ``where``)."""
        out = {}
        for name, kind, ndim in _table.DESCRDATA[table]:
            if ndim == 0 and name in attrs:
                out[name] = _scalar(kind, attrs[name])
            elif ndim and name in group.variables:
                arr = self._array(group.variables[name])
                if where and arr.ndim != ndim:
                    raise ReplayError(f"{self.path}: {where}/{name} has {arr.ndim} dimensions, "
                                      f"ComIn's field {ndim}")
                out[name] = arr
        return out

    def _read_domain(self, jg: int, g) -> None:
        attrs = {k: g.getncattr(k) for k in g.ncattrs()}
        self.exposed_names[jg] = str(attrs.get("comin_exposed_variables", "")).split()
        if "timestep_length" in attrs:
            self.timesteps[jg] = float(attrs["timestep_length"])
        dom = self._descrdata(g, attrs, "domain")
        for group in ("cells", "edges", "verts"):
            sg = g.groups.get(group)
            if sg is not None:
                dom[group] = self._descrdata(sg, {k: sg.getncattr(k) for k in sg.ncattrs()}, group,
                                             f"domain_{jg}/{group}")
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
