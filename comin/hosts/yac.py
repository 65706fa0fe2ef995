"""YAC for comin's hosts: what ICON does with the coupler, for any host built on :mod:`comin.host`.

"ComIn is an interface, not a coupler": a plugin that couples uses YAC, on
the YAC instance of its host.  ICON, configured for coupling, does this for
its plugins, and so does a host with a :class:`Coupling`:

* before the primary constructors it creates the instance on the host's YAC
  communicator, with the proleptic Gregorian calendar and the run's start
  and end, and publishes its id as the descriptive data ``yac_instance_id``
  (plugins call ``yac.YAC.from_id`` and ``predef_comp``);
* between ``EP_ATM_YAC_DEFCOMP_BEFORE`` and ``_AFTER`` it defines its own
  component (``def_comps``, collective over every YAC process) and its grid
  as ICON's ``mo_coupling_utils`` does: ``icon_atmos_grid`` (one domain;
  with nests ``icon_atmos_grid_<jg>`` per domain and ``icon_atmos_grid`` for
  all of them) with the cell points ``cell_centers``, global indices and the
  owned cells as core mask, so a plugin defines its fields on the host's
  grid by name (``yac.get_grid("icon_atmos_grid").get_points(Location.CELL,
  "cell_centers")``) and other components couple to it;
* ``sync_def`` between ``EP_ATM_YAC_SYNCDEF_BEFORE`` and ``_AFTER``, ``enddef``
  between ``EP_ATM_YAC_ENDDEF_BEFORE`` and ``_AFTER``;
* at the end it finalizes the instance.

Everything it needs comes from the descriptive data the host has set (any
host: the emulator, the replay, a model of your own), read through
:mod:`comin` as a plugin would.  A host calls::

    coupling = Coupling(plugins, enabled=None)       # None: when a plugin imports yac
    comm = host.mpi_handshake(groups=coupling.groups)          # under MPI, as before
    coupling.start(host.group_comm("yac"), start, stop, host.component)   # or comm=None
    host.set_global(..., yac_instance_id=coupling.instance_id)
    host.run_primary_constructors() ...
    for stage in STAGES:
        host.call_ep(EP_ATM_YAC_<stage>_BEFORE); coupling.stage(stage); host.call_ep(..._AFTER)
    ...
    coupling.finish()                                # before host.finalize()

Without YAC (not installed, or not wanted) nothing happens and the instance
id stays -1; a plugin that imports ``yac`` where it cannot be imported is
reported in one line (:class:`YacUnavailable`) before anything runs.
"""
from __future__ import annotations

import ast
import ctypes
import datetime as _dt
import os
import shlex
import sys
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

import comin

#: ICON's names (mo_atmo_coupling_frame, mo_coupling_utils): the host's grid and its cell points
GRID_NAME = "icon_atmos_grid"
CELL_POINTS = "cell_centers"
#: the YAC stages, each between its EP_ATM_YAC_<stage>_BEFORE and _AFTER, in ICON's order
STAGES = ("DEFCOMP", "SYNCDEF", "ENDDEF")
#: the handshake group YAC's own initialisation (``yac.YAC()``) lists
GROUP = "yac"
#: the entry point after which the host does each stage
STAGE_AFTER: Dict[int, str] = {getattr(comin, f"EP_ATM_YAC_{s}_BEFORE"): s for s in STAGES}

INSTALL_HINT = ("pip install yac==3.21.0 (its wheel needs Open MPI's libmpi.so.40 and an mpi4py "
                "built against it: bash tools/install.sh; python3 -m comin doctor shows what is used)")


class YacUnavailable(ValueError):
    """A run that needs YAC where it cannot be used; the message is one line."""


def add_option(group) -> None:
    """``--yac``/``--no-yac`` of ``comin run`` and ``comin replay`` (an argparse group)."""
    import argparse
    group.add_argument("--yac", action=argparse.BooleanOptionalAction, default=None,
                       help="be a YAC host as ICON configured for coupling: a YAC instance "
                            "(descriptive data yac_instance_id), the host's component and grid "
                            "icon_atmos_grid at the EP_ATM_YAC_* entry points (default: when a "
                            "plugin imports yac; --no-yac: never)")


# -- which plugins use YAC ----------------------------------------------------------------

def _imports_yac(source: str, filename: str) -> bool:
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "yac" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "yac" \
                and not node.level:
            return True
    return False


def _links_yac(path: str) -> bool:
    """A C or Fortran plugin that calls YAC's C or Fortran API (its symbol names)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"yac_c" in data or b"yac_f" in data


def plugins_using_yac(plugins: Sequence) -> List[str]:
    """``"name (file)"`` of every plugin that uses YAC: a Python script that imports ``yac``,
    a library with YAC's symbols.  (A callable constructor cannot tell: it is not listed.)"""
    from comin._adapter import as_description
    out = []
    for p in plugins:
        desc = as_description(p)
        if desc.constructor is not None:
            continue
        if desc.is_python:
            words = shlex.split(desc.options) if desc.options else []
            if not words:
                continue
            try:
                with open(words[0], encoding="utf-8") as f:
                    source = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            if _imports_yac(source, words[0]):
                out.append(f"plugin '{desc.name}' ({words[0]})")
        elif desc.plugin_library and os.path.isfile(desc.plugin_library) \
                and _links_yac(desc.plugin_library):
            out.append(f"plugin '{desc.name}' ({desc.plugin_library})")
    return out


def _load_yac():
    """The ``yac`` module, or the one-line reason it cannot be used here.

    YAC is a package; a plugin script called ``yac.py`` (upstream's example is) in a
    directory on ``sys.path`` (the current one, with ``python -m``) would shadow it, and
    the plugin would import itself: such directories are left out while importing."""
    saved = list(sys.path)
    sys.path[:] = [d for d in saved if not os.path.isfile(os.path.join(d or ".", "yac.py"))]
    try:
        import yac
    except Exception as exc:  # noqa: BLE001 - ImportError, or OSError of a missing libmpi
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        sys.path[:] = saved
    ours, theirs = _mpi_soname(getattr(yac._yac, "__file__", "")), _mpi_soname(_mpi4py_extension())
    if ours and theirs and ours != theirs:
        return None, (f"yac needs {ours} but mpi4py uses {theirs}: one MPI per process; build "
                      f"mpi4py against yac's MPI (MPICC=mpicc.openmpi pip install --no-binary=mpi4py "
                      f"--no-cache-dir --force-reinstall mpi4py)")
    return yac, ""


def _mpi4py_extension() -> str:
    """The file of mpi4py's MPI extension, without importing it (that would initialise MPI)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("mpi4py.MPI")
    except (ImportError, ValueError):
        return ""
    return (spec.origin or "") if spec is not None else ""


def _mpi_soname(path: str) -> str:
    """The MPI library a shared object was linked against (``libmpi.so.40``, ``libmpich.so.12``),
    read from its dynamic section's strings; "" when it names none."""
    import re
    try:
        with open(path, "rb") as f:
            found = re.search(rb"lib(?:mpich|mpi)\.so\.\d+", f.read())
    except OSError:
        return ""
    return found.group().decode() if found else ""


# -- the host's side ----------------------------------------------------------------------

class Coupling:
    """The host's YAC: instance, calendar, datetimes, component, grid and stages (see the module).

    ``plugins``: the host's plugin list (descriptions or what :class:`comin.host.Host` takes).
    ``enabled``: True (YAC must be usable, else :class:`YacUnavailable`), False (no YAC),
    None (YAC when a plugin imports ``yac``, :func:`plugins_using_yac`).
    """

    def __init__(self, plugins: Sequence = (), enabled: Optional[bool] = None):
        self.yac = None                   # the module, when this host couples
        self.instance = None              # the host's yac.YAC (None until start, or without YAC)
        self.grids: Dict[str, object] = {}
        self.points: Dict[str, object] = {}
        self.component = ""
        self.done: List[str] = []         # the stages done
        self.finished = False
        users = plugins_using_yac(plugins) if enabled is None else []
        if enabled is False or (enabled is None and not users):
            return
        module, why = _load_yac()
        if module is None:
            who = "--yac" if enabled else (users[0] + " imports yac, but yac")
            raise YacUnavailable(f"{who} cannot be used here ({why}): {INSTALL_HINT}")
        self.yac = module

    @property
    def active(self) -> bool:
        """Whether this host couples (YAC is used)."""
        return self.yac is not None

    @property
    def groups(self) -> Tuple[str, ...]:
        """The handshake groups the host takes part in for YAC (``("yac",)`` when active)."""
        return (GROUP,) if self.active else ()

    @property
    def instance_id(self) -> int:
        """The descriptive data ``yac_instance_id``: the instance's id, -1 without YAC."""
        return int(self.instance.instance_id) if self.instance is not None else -1

    def start(self, comm=None, start: Union[str, _dt.datetime, None] = None,
              stop: Union[str, _dt.datetime, None] = None, component: str = "atmo") -> int:
        """Create the instance (before the primary constructors): on ``comm`` (mpi4py; the
        handshake's "yac" group under MPI, default MPI_COMM_WORLD), with the proleptic
        Gregorian calendar and ``start``/``stop`` of the run.  Returns :attr:`instance_id`."""
        if not self.active or self.instance is not None:
            return self.instance_id
        yac = self.yac
        if comm is None:
            from mpi4py import MPI
            comm = MPI.COMM_WORLD
        _install_abort_handler(yac)
        self.instance = yac.YAC(comm=comm)
        yac.def_calendar(yac.Calendar.PROLEPTIC_GREGORIAN)
        if start is not None and stop is not None:
            self.instance.def_datetime(_iso(start), _iso(stop))
        self.component = component
        return self.instance_id

    def stage(self, name: str) -> None:
        """Do the host's part of stage ``name`` ("DEFCOMP", "SYNCDEF", "ENDDEF"); call it
        between the stage's BEFORE and AFTER entry points, on every host rank."""
        if self.instance is None:
            return
        if name not in STAGES:
            raise ValueError(f"unknown YAC stage {name!r} (one of {', '.join(STAGES)})")
        call = {"DEFCOMP": "def_comps and grid definition", "SYNCDEF": "sync_def",
                "ENDDEF": "enddef"}[name]
        _doing[0] = (f" in the host's YAC {call} (between EP_ATM_YAC_{name}_BEFORE and "
                     f"EP_ATM_YAC_{name}_AFTER)")
        try:
            if name == "DEFCOMP":
                self.instance.def_comps([self.component])
                self._define_grids()
            elif name == "SYNCDEF":
                self.instance.sync_def()
            else:
                self.instance.enddef()
        finally:
            _doing[0] = ""
        self.done.append(name)

    def finish(self) -> None:
        """Finalize the instance (ICON's ``cpl_destruct``), before the host finalizes.

        Called while an error ends a run on several ranks, it leaves the instance alone:
        finalizing is collective, the other ranks may never get there, and the run ends
        the MPI job anyway."""
        if self.finished:
            return
        self.finished = True
        self.grids.clear()
        self.points.clear()
        instance, self.instance = self.instance, None
        if instance is not None and sys.exc_info()[1] is not None and instance.size > 1:
            _left_alone.append(instance)
        del instance                      # yac.YAC's destructor finalizes it

    # -- the host's grid, as ICON's def_patch / def_patch_combined -----------------------------
    def _define_grids(self) -> None:
        glob = comin.descrdata_get_global()
        n_dom = int(glob.n_dom)
        parts = [_domain_part(comin.descrdata_get_domain(jg), int(glob.nproma)) for jg in
                 range(1, n_dom + 1)]
        if n_dom == 1:
            self._grid(GRID_NAME, [parts[0]], with_children=False)
            return
        for jg, part in enumerate(parts, start=1):
            self._grid(f"{GRID_NAME}_{jg}", [part], with_children=False)
        self._grid(GRID_NAME, parts, with_children=True)

    def _grid(self, name: str, parts: List[dict], with_children: bool) -> None:
        """One YAC grid of the cells of ``parts`` (domains): ICON's connectivity, cell points,
        global indices offset per domain, and the owned cells as core mask (for the grid of
        all domains also without the cells that have children: the nest replaces them)."""
        yac = self.yac
        lon, lat, conn, cglb, vglb, core, clon, clat = [], [], [], [], [], [], [], []
        nverts = coff = voff = 0
        for p in parts:
            lon.append(p["vlon"])
            lat.append(p["vlat"])
            conn.append(p["conn"] + nverts)
            nverts += len(p["vlon"])
            cglb.append(p["cglb"] + coff)
            vglb.append(p["vglb"] + voff)
            coff += p["ncells_global"]
            voff += p["nverts_global"]
            core.append(p["owned"] & ~p["has_child"] if with_children else p["owned"])
            clon.append(p["clon"])
            clat.append(p["clat"])
        conn_all = np.concatenate(conn)
        grid = yac.UnstructuredGrid(name, np.full(len(conn_all), 3, dtype=np.intc),
                                    np.concatenate(lon), np.concatenate(lat), conn_all.ravel())
        grid.set_global_index(np.concatenate(cglb), yac.Location.CELL)
        grid.set_global_index(np.concatenate(vglb), yac.Location.CORNER)
        grid.set_core_mask(np.concatenate(core), yac.Location.CELL)
        self.points[name] = grid.def_points(yac.Location.CELL, np.concatenate(clon),
                                            np.concatenate(clat), name=CELL_POINTS)
        self.grids[name] = grid


def _iso(value: Union[str, _dt.datetime]) -> str:
    return value.isoformat() if isinstance(value, _dt.datetime) else str(value)


def _unblock(array, n: int) -> np.ndarray:
    """ICON's blocked (nproma, nblks[, k]) -> the first ``n`` points, (n[, k])."""
    a = np.asarray(array)
    return a.reshape((-1,) + a.shape[2:], order="F")[:n]


def _domain_part(dom, nproma: int) -> dict:
    """What a YAC grid needs of one domain's descriptive data, unblocked (0-based indices)."""
    cells, verts = dom.cells, dom.verts
    nc, nv = int(cells.ncells), int(verts.nverts)
    vidx, vblk = _unblock(cells.vertex_idx, nc), _unblock(cells.vertex_blk, nc)
    conn = ((vblk - 1) * nproma + (vidx - 1)).astype(np.intc)          # (nc, 3)
    if nc and (conn.min() < 0 or conn.max() >= nv):
        raise ValueError(f"domain {dom.id}: cells.vertex_idx/_blk point outside the "
                         f"{nv} vertices: the host grid cannot be given to YAC")
    cglb = np.asarray(cells.glb_index, dtype=np.int64)[:nc] - 1
    vglb = np.asarray(verts.glb_index, dtype=np.int64)[:nv] - 1
    owned = _unblock(cells.decomp_domain, nc) == 0
    child = _unblock(cells.child_id, nc) if np.size(cells.child_id) else np.zeros(nc)
    return dict(vlon=_unblock(verts.vlon, nv).astype(np.float64),
                vlat=_unblock(verts.vlat, nv).astype(np.float64), conn=conn,
                clon=_unblock(cells.clon, nc).astype(np.float64),
                clat=_unblock(cells.clat, nc).astype(np.float64),
                cglb=cglb, vglb=vglb, owned=owned, has_child=child > 0,
                ncells_global=int(cells.ncells_global), nverts_global=int(verts.nverts_global))


# -- what a YAC error says ----------------------------------------------------------------

_ABORT_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
_abort = {}
_doing = [""]           # what the host's YAC call is doing now ("" outside its stages)
_left_alone: List[object] = []     # instances of runs that ended with an error on several ranks


def _install_abort_handler(yac) -> None:
    """YAC ends the whole MPI job on an error (MPI_Abort, so no rank waits forever); before
    it does, say where in the comin run it happened: which plugin, at which entry point."""
    if _abort:
        return
    try:
        lib = ctypes.CDLL(yac._yac.__file__)
        get, setter = lib.yac_get_abort_handler, lib.yac_set_abort_handler
    except (OSError, AttributeError):
        return
    get.restype = ctypes.c_void_p
    previous = _ABORT_FUNC(get())

    def handler(comm, msg, source, line):
        try:
            sys.stdout.flush()
            sys.stderr.write(f"comin: YAC stopped the run{_where()}: "
                             f"{(msg or b'').decode(errors='replace')}\n")
            sys.stderr.flush()
        finally:
            previous(comm, msg, source, line)

    _abort["handler"] = _ABORT_FUNC(handler)
    _abort["previous"] = previous
    setter.argtypes = [_ABORT_FUNC]
    setter(_abort["handler"])


def _where() -> str:
    """" on rank R, in plugin 'P' at EP_X" as far as comin knows it now."""
    out = []
    try:
        from comin.parallel import world_rank
        out.append(f" on rank {world_rank()}")
    except Exception:  # noqa: BLE001 - best effort while the job ends
        pass
    try:
        plugin = comin.current_get_plugin_info().name
    except Exception:  # noqa: BLE001 - no plugin is current: the host's own YAC call
        out.append(_doing[0] or " in the host")
    else:
        out.append(f" in plugin '{plugin}'")
        try:
            out.append(f" at {comin.callback_get_ep_name(comin.current_get_ep())}")
        except Exception:  # noqa: BLE001 - best effort
            pass
    return "".join(out)
