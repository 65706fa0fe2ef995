"""The replay: a host that does what the recorded host did (see :mod:`comin.hosts.replay`)."""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import comin
from comin import _table
from comin.host import Host, default_metadata, requested_array
from comin.hosts.replay.recording import RecordedVariable, Recording, ReplayError
from comin.hosts.yac import STAGE_AFTER, Coupling
from comin.icon.blocking import contained_semantics
from comin.icon.halo import Channel, Halo, HaloSync, halo_from_indices
from comin.parallel import world

CONTAINER = comin.COMIN_DIM_SEMANTICS_CONTAINER
#: ``finish`` routine when the recording turns out unreadable during the replay
ROUTINE = "comin replay"

_EP_FINISH = _table.ENTRY_POINTS.index("EP_FINISH") + 1


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
        self.yac = Coupling(plugins, yac)
        w = world() if rank is None or size is None else None
        first = (rank or 0) if w is None else w.Get_rank()
        self.host = Host(plugins, verbosity=verbosity, lstdout=first == 0, profile=profile,
                         error_handler=error_handler)
        # under MPI ComIn's handshake runs first, as in ICON and upstream's replay tool (whose
        # first stage lists "replay", "comin" and "yac"): processes started beside the replay
        # (MPMD) meet it, YAC gets the "yac" group, and the host ranks are the replay's ranks
        self._comm = None
        try:
            if w is not None and w.Get_size() > 1:
                self._comm = self.host.mpi_handshake(groups=self.yac.groups)
                rank, size = self._comm.Get_rank(), self._comm.Get_size()
            elif rank is None or size is None:
                rank, size = 0, 1
            self.recording = Recording(directory, rank, size)
        except BaseException:
            self.host.finalize()
            raise
        self.rank, self.size = rank, size
        self.calls = 0                   # entry-point calls replayed
        self.events = 0                  # variable events loaded
        self.ended_by_finish = False     # the recorded run ended with EP_FINISH
        self.refused_recording = False   # the replay ended the run: the recording cannot go on
        self._glb2loc: Dict[int, Dict[int, int]] = {}
        self._halos: Dict[Tuple[int, str], Halo] = {}
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
        self.yac.start(None if self._comm is None else host.group_comm("yac"), interval[2],
                       interval[3], host.component)
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
        host.set_sync_halo(HaloSync(host, self._halo_of))
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

    def _halo_of(self, jg: int, where: str, name: str) -> Optional[Halo]:
        """The halo of domain ``jg``'s ``where`` (cells, edges, vertices) over the host ranks.

        The decomposition is the recorded one: each rank's ``glb_index`` and
        ``decomp_domain`` of that grid.  The exchange lists are made at the
        first exchange on a domain's grid (collective over the ranks, as every
        halo exchange is).  On one rank every point is owned: None, nothing to do.
        """
        if self.size == 1:
            return None
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
                self._channel = Channel(MPI.COMM_WORLD)
            glb = np.asarray(glb)
            unblocked = np.asarray(dd).ravel(order="F")[:len(glb)]
            halo = self._halos[(jg, where)] = halo_from_indices(self._channel, glb, unblocked)
        return halo

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
                       if m.shape == expect and m.dim_semantics in (
                           cont.dim_semantics, contained_semantics(cont.dim_semantics))
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
            self._refuse(f"{what}: {rec.path} has no nproma or nlev of domain {jg}")
        try:
            return requested_array(name, jg, meta, nproma, dom["nlev"], nblks)
        except (ValueError, KeyError, TypeError) as exc:
            self._refuse(f"{what}: {exc}")

    # -- the replay ----------------------------------------------------------------------
    def _refuse(self, text: str) -> None:
        """End the run because the recording cannot be replayed further (one line)."""
        self.refused_recording = True
        self.host.finish(ROUTINE, text)

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
                    self._refuse(f"{rec.path}: cannot read variable {v.name} of "
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
