"""Domain decomposition of the emulator's grids over MPI ranks, as ICON does it.

Every rank holds a *patch* of each domain: the cells it owns plus halo rows
around them, and the edges and vertices of those cells.  What a plugin sees
per rank follows ICON's conventions:

* **Partition.** Cells are split by recursive coordinate bisection of their
  centres on the unit sphere (split along the widest axis, stable sort, rank
  counts proportional): deterministic, balanced to one cell, compact parts.
  Each domain (global grid, nest) is partitioned on its own.
* **Halo rows.** Halo level 1 = cells not owned that share a *vertex* with
  an owned cell (this includes every edge neighbour, which the transport
  needs); halo level 2 = cells sharing a vertex with level 1 (ICON's two
  cell halo rows).  ``decomp_domain`` is 0 for owned cells, 1/2 for halo.
* **Edges, vertices.** A rank holds every edge and vertex of its cells.  An
  edge is owned by the owner of its first cell (``cells_of_edge[:, 0]``), a
  vertex by the owner of its first cell (``cells_of_vertex[:, 0]``); a held
  point it does not own has ``decomp_domain`` = the lowest halo level
  (at least 1) of its held cells.
* **Local order.** Owned points first, in global order (the global grid is
  in ICON's refin_ctrl order, so each rank keeps it), then halo level 1,
  then level 2, each in global order.  ``start/end_index`` of the refin_ctrl
  levels ``min_rl_int .. max_rl`` cover the owned points of that level; the
  halo levels ``min_rl_int - 1`` (level 1), ``min_rl_int - 2`` (level 2)
  follow, as in ICON; empty levels sit at the end (start n+1, end n) or, for
  empty levels before the first point, at (1, 0), as in the grid files.
* **Indices.** ``glb_index`` gives each local point's global 1-based index;
  connectivity (neighbours, edges, vertices, children) is in local indices,
  0 where the point is not held by the rank; ``parent_glb_idx`` stays global
  (ICON's name says so).

:class:`Halo` holds the precomputed send/receive lists of one point kind and
exchanges (nproma, ..., nblks)-blocked or point-last arrays: one contiguous
message per pair of ranks that share points, through a :class:`Channel` that
tags every message with what the exchange is, so that ranks doing different
exchanges are reported instead of mixing data or hanging.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np
import scipy.sparse as sp

from comin.hosts.emulator.grids.grid import RL, Grid, xyz
from comin.icon.points import BY_GROUP, GROUPS
from comin.parallel import world_size

#: cell halo rows (ICON's n_boundary_rows)
HALO_ROWS = 2
KINDS = GROUPS


def under_mpi() -> bool:
    """Whether this process is one of several MPI processes (an initialised MPI with
    more than one rank, or a launcher that started several), decided without
    initialising MPI.  A single process, even under ``mpiexec -n 1``, runs undecomposed."""
    return world_size() > 1


# -- partition -----------------------------------------------------------------------

def partition(grid: Grid, nranks: int) -> np.ndarray:
    """Owner rank (0..nranks-1) of every cell: recursive coordinate bisection of cell centres."""
    if nranks < 1:
        raise ValueError(f"the number of ranks must be >= 1, got {nranks}")
    if nranks > grid.ncells:
        raise ValueError(f"cannot split {grid.ncells} cells of {grid.name} over {nranks} ranks")
    centres = xyz(grid.clon, grid.clat)
    owner = np.zeros(grid.ncells, dtype=np.int32)

    def split(cells: np.ndarray, first: int, n: int) -> None:
        if n == 1:
            owner[cells] = first
            return
        pts = centres[cells]
        axis = int(np.argmax(pts.max(axis=0) - pts.min(axis=0)))
        order = cells[np.argsort(pts[:, axis], kind="stable")]
        n_low = n // 2
        cut = (len(cells) * n_low) // n
        split(order[:cut], first, n_low)
        split(order[cut:], first + n_low, n - n_low)

    split(np.arange(grid.ncells), 0, nranks)
    return owner


# -- which points a rank holds -----------------------------------------------------------

def _incidence(index: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Sparse 0/1 matrix row -> the 1-based entries of ``index`` (0 = none)."""
    rows = np.repeat(np.arange(n_rows), index.shape[1])
    cols = index.reshape(-1).astype(np.int64) - 1
    keep = cols >= 0
    return sp.csr_matrix((np.ones(keep.sum(), dtype=np.int8), (rows[keep], cols[keep])),
                         shape=(n_rows, n_cols))


@dataclasses.dataclass
class Layout:
    """The points of one domain a rank holds: per kind, global 1-based indices in local
    order, and ``decomp_domain`` (0 owned, 1.. halo level) of each."""

    glb: Dict[str, np.ndarray]
    decomp: Dict[str, np.ndarray]

    def n_owned(self, kind: str) -> int:
        return int(np.count_nonzero(self.decomp[kind] == 0))


def _order(glb_mask_level: np.ndarray) -> tuple:
    """Local order of held points: by level (0 owned first), then global index."""
    held = np.nonzero(glb_mask_level >= 0)[0]
    levels = glb_mask_level[held]
    order = np.lexsort((held, levels))
    return (held[order] + 1).astype(np.int32), levels[order].astype(np.int32)


def layouts(grid: Grid, owner: np.ndarray, halo_rows: int = HALO_ROWS) -> List[Layout]:
    """Every rank's :class:`Layout` of ``grid`` for the cell owners ``owner``."""
    nranks = int(owner.max()) + 1 if owner.size else 1
    cv = _incidence(grid.vertex_of_cell, grid.ncells, grid.nverts)      # cell -> vertices
    vc = cv.T.tocsr()
    ce = _incidence(grid.edge_of_cell, grid.ncells, grid.nedges)
    first_cell_e = np.where(grid.cells_of_edge[:, 0] > 0, grid.cells_of_edge[:, 0],
                            grid.cells_of_edge[:, 1]) - 1
    first_cell_v = grid.cells_of_vertex[:, 0] - 1
    owner_e, owner_v = owner[first_cell_e], owner[first_cell_v]
    out = []
    for r in range(nranks):
        level = np.full(grid.ncells, -1, dtype=np.int64)
        level[owner == r] = 0
        front = owner == r
        for h in range(1, halo_rows + 1):
            verts = (vc @ front.astype(np.int32)) > 0
            touched = (cv @ verts.astype(np.int32)) > 0
            new = touched & (level < 0)
            level[new] = h
            front = new
        glb, dec = {}, {}
        glb["cells"], dec["cells"] = _order(level)
        # edges / vertices: held if a held cell has them; halo level from their held cells
        big = halo_rows + 1
        cell_lvl = np.where(level >= 0, np.maximum(level, 1), big)
        for kind, inc, own in (("edges", ce, owner_e), ("verts", cv, owner_v)):
            held_cells = level >= 0
            lvl = np.full(inc.shape[1], big, dtype=np.int64)
            coo = inc[held_cells].tocoo()
            cells_held = np.nonzero(held_cells)[0][coo.row]
            np.minimum.at(lvl, coo.col, cell_lvl[cells_held])
            lvl = np.where(lvl == big, -1, lvl)
            lvl[(own == r) & (lvl >= 0)] = 0
            glb[kind], dec[kind] = _order(lvl)
        out.append(Layout(glb, dec))
    return out


# -- a rank's local grid -----------------------------------------------------------------

def _lut(glb: np.ndarray, n_global: int) -> np.ndarray:
    """global 1-based index -> local 1-based index (0: not held); entry 0 stays 0."""
    lut = np.zeros(n_global + 1, dtype=np.int32)
    lut[glb] = np.arange(1, len(glb) + 1, dtype=np.int32)
    return lut


def _ranges(glb_owned: np.ndarray, n_local: int, start: np.ndarray, end: np.ndarray,
            kind: str, halo_counts: Sequence[int]) -> tuple:
    """Local start/end indices per refin_ctrl level (see the module docstring)."""
    min_rl, min_rl_int, _max_rl = RL[kind]
    s = np.searchsorted(glb_owned, start, side="left") + 1
    e = np.searchsorted(glb_owned, end, side="right")
    n_owned = len(glb_owned)
    # levels below min_rl_int: halo levels 1, 2, ... then empty at the end
    s = s.astype(np.int32)
    e = e.astype(np.int32)
    first = n_owned + 1
    for h in range(1, min_rl_int - min_rl + 1):
        pos = (min_rl_int - h) - min_rl
        count = halo_counts[h - 1] if h - 1 < len(halo_counts) else 0
        if count:
            s[pos], e[pos] = first, first + count - 1
            first += count
        else:
            s[pos], e[pos] = n_local + 1, n_local
    return s, e


def local_grid(grid: Grid, layout: Layout, child_lut: Optional[np.ndarray] = None) -> Grid:
    """``grid`` restricted to the points of ``layout``, in its local order and indices.

    ``child_lut``: global -> local index of the child domain's patch on this
    rank (child indices not held there become 0); None keeps them global.
    """
    gc, ge, gv = (layout.glb[k] for k in KINDS)
    ic, ie, iv = gc - 1, ge - 1, gv - 1
    lc, le, lv = (_lut(layout.glb[k], n) for k, n in
                  zip(KINDS, (grid.ncells, grid.nedges, grid.nverts)))
    kw = {}
    for name in ("clon", "clat", "cell_area", "refin_c_ctrl", "parent_cell", "child_nest_of_cell"):
        kw[name] = getattr(grid, name)[ic]
    for name in ("elon", "elat", "refin_e_ctrl", "parent_edge", "child_nest_of_edge"):
        kw[name] = getattr(grid, name)[ie]
    for name in ("vlon", "vlat", "refin_v_ctrl"):
        kw[name] = getattr(grid, name)[iv]
    kw["vertex_of_cell"] = lv[grid.vertex_of_cell[ic]]
    kw["edge_of_cell"] = le[grid.edge_of_cell[ic]]
    kw["neighbor_of_cell"] = lc[grid.neighbor_of_cell[ic]]
    kw["cells_of_edge"] = lc[grid.cells_of_edge[ie]]
    kw["vertices_of_edge"] = lv[grid.vertices_of_edge[ie]]
    kw["cells_of_vertex"] = lc[grid.cells_of_vertex[iv]]
    kw["edges_of_vertex"] = le[grid.edges_of_vertex[iv]]
    kw["vertices_of_vertex"] = lv[grid.vertices_of_vertex[iv]]
    if child_lut is not None:
        kw["child_cells"] = child_lut["cells"][grid.child_cells[ic]]
        kw["child_edges"] = child_lut["edges"][grid.child_edges[ie]]
    else:
        kw["child_cells"], kw["child_edges"] = grid.child_cells[ic], grid.child_edges[ie]
    for kind in KINDS:
        sfx = BY_GROUP[kind].suffix
        dec = layout.decomp[kind]
        glb = layout.glb[kind]
        halo = [int(np.count_nonzero(dec == h)) for h in range(1, HALO_ROWS + 1)]
        kw[f"start_idx_{sfx}"], kw[f"end_idx_{sfx}"] = _ranges(
            glb[dec == 0], len(glb), getattr(grid, f"start_idx_{sfx}"),
            getattr(grid, f"end_idx_{sfx}"), kind, halo)
        kw[f"glb_index_{sfx}"] = glb.astype(np.int32)
    return dataclasses.replace(grid, source=None, **kw)


# -- halo exchange ---------------------------------------------------------------------

#: seconds a rank waits in one of the emulator's collectives before it reports a hang
#: (environment variable COMIN_MPI_TIMEOUT overrides)
DEFAULT_TIMEOUT = 300.0


class Channel:
    """The emulator's own communicator (a duplicate of the host communicator) and its
    checked exchanges.

    Every exchange is point-to-point between the ranks that share points,
    with an MPI tag derived from what the exchange is (e.g. "the halo
    exchange of (temp, 1) for COMIN_FLAG_SYNC_HALO"); the global maximum of
    the transport is one more such exchange between all ranks.  The happy
    path costs exactly the messages (no extra round trip).  A watchdog thread
    looks at a rank that waits: when a peer it waits for has sent a message
    with another tag -- it does another exchange, e.g. a plugin asked for
    SYNC_HALO on some ranks only -- the rank reports what it and that peer
    do and the job is aborted (a message never matches the wrong receive, so
    no data is mixed up); a rank that waits longer than ``timeout`` seconds
    (another rank never came, e.g. it waits in a collective of its own)
    reports that and aborts the job.  Without MPI_THREAD_MULTIPLE the waits
    poll instead of the thread.
    """

    #: seconds a rank waits before the watchdog looks at its peers' messages
    PROBE_AFTER = 0.2

    def __init__(self, comm, timeout: Optional[float] = None):
        import os

        from mpi4py import MPI
        self.comm = comm.Dup()
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        env = os.environ.get("COMIN_MPI_TIMEOUT", "")
        self.timeout = float(env) if env else (DEFAULT_TIMEOUT if timeout is None else timeout)
        self._tag_ub = int(self.comm.Get_attr(MPI.TAG_UB) or 32767)
        self._tags: Dict[str, int] = {}
        self._names: Dict[int, str] = {}
        self._waiting = None                      # (since, what, tag, peers) while waiting
        self._MPI = MPI
        self._watched = MPI.Query_thread() == MPI.THREAD_MULTIPLE
        if self._watched:
            import threading
            import weakref
            threading.Thread(target=Channel._watchdog, args=(weakref.ref(self),),
                             name="comin-mpi-watchdog", daemon=True).start()

    # -- names and tags ---------------------------------------------------------------
    def tag(self, what: str) -> int:
        """The MPI tag of ``what`` (also registers the name, for reports)."""
        t = self._tags.get(what)
        if t is None:
            import zlib
            t = self._tags[what] = 1 + zlib.crc32(what.encode()) % (self._tag_ub - 1)
            self._names[t] = what
        return t

    # -- failure -----------------------------------------------------------------------
    def _fail(self, text: str) -> None:
        import sys
        import time
        sys.stdout.flush()
        sys.stderr.write(f"comin emulator (rank {self.rank} of {self.size}): {text}\n")
        sys.stderr.flush()
        time.sleep(0.5)           # the launcher stops forwarding output once a rank aborts
        self._MPI.COMM_WORLD.Abort(1)

    def _look(self, waiting) -> None:
        """A long wait: did a peer send something else, or is the timeout over?"""
        import time
        since, what, tag, peers = waiting
        status = self._MPI.Status()
        for q in peers:
            if self.comm.Iprobe(source=q, tag=self._MPI.ANY_TAG, status=status) \
                    and status.Get_tag() != tag:
                other = self._names.get(status.Get_tag(), "an exchange this rank never does")
                self._fail(f"ranks disagree on the next exchange: this rank does {what}, "
                           f"rank {q} does {other}. A variable accessed with "
                           "COMIN_FLAG_SYNC_HALO must be accessed so on every rank: its halo "
                           "exchange is collective")
        if time.monotonic() - since > self.timeout:
            self._fail(f"waited {self.timeout:g} s in {what}: another rank never joined "
                       "(a plugin or the host calls it on some ranks only?)")

    @staticmethod
    def _watchdog(ref) -> None:
        """The watchdog thread's loop; it ends when its channel is gone."""
        import time
        while True:
            channel = ref()
            if channel is None:
                return
            pause = min(channel.PROBE_AFTER / 2, channel.timeout / 4)
            waiting = channel._waiting
            if waiting is not None and time.monotonic() - waiting[0] > channel.PROBE_AFTER:
                channel._look(waiting)
            del channel
            time.sleep(pause)

    # -- exchanges -----------------------------------------------------------------------
    def exchange(self, sends: Sequence[tuple], recvs: Sequence[tuple], what: str) -> None:
        """Send ``(rank, buffer)`` pairs and receive into ``(rank, buffer)`` pairs, tagged
        with ``what``; returns when all are done."""
        import time
        MPI = self._MPI
        tag = self.tag(what)
        reqs = [self.comm.Irecv(buf, source=q, tag=tag) for q, buf in recvs]
        reqs += [self.comm.Isend(buf, dest=q, tag=tag) for q, buf in sends]
        waiting = (time.monotonic(), what, tag, [q for q, _ in recvs])
        if self._watched:
            self._waiting = waiting
            try:
                MPI.Request.Waitall(reqs)
            finally:
                self._waiting = None
            return
        while not MPI.Request.Testall(reqs):
            if time.monotonic() - waiting[0] > self.PROBE_AFTER:
                self._look(waiting)

    def allreduce_max(self, value: float, what: str) -> float:
        """Maximum of ``value`` over the ranks (an exchange with every other rank)."""
        others = [q for q in range(self.size) if q != self.rank]
        mine = np.array([value], dtype=float)
        got = np.empty(len(others))
        self.exchange([(q, mine) for q in others],
                      [(q, got[i:i + 1]) for i, q in enumerate(others)], what)
        return float(max(value, got.max(initial=-np.inf)))

    def gather(self, obj, root: int = 0):
        return self.comm.gather(obj, root=root)


class Halo:
    """Send/receive lists of one point kind on one rank, and the exchange itself.

    ``send[q]`` / ``recv[q]``: 0-based local positions whose values go to
    rank ``q`` / come from rank ``q`` (the owner), in matching order.
    ``channel``: the :class:`Channel` the exchanges go through.
    """

    def __init__(self, channel: Channel, send: List[np.ndarray], recv: List[np.ndarray]):
        self.channel = channel
        self.send_idx = np.concatenate(send).astype(np.int64) if send else np.zeros(0, np.int64)
        self.recv_idx = np.concatenate(recv).astype(np.int64) if recv else np.zeros(0, np.int64)
        self.send_counts = np.array([len(s) for s in send], dtype=np.int64)
        self.recv_counts = np.array([len(r) for r in recv], dtype=np.int64)
        self._sd = np.concatenate([[0], np.cumsum(self.send_counts)[:-1]]).astype(np.int64)
        self._rd = np.concatenate([[0], np.cumsum(self.recv_counts)[:-1]]).astype(np.int64)
        self._blocked: Dict[tuple, tuple] = {}
        self._recvbufs: Dict[tuple, np.ndarray] = {}
        # (peer, first row, rows) of each message: only ranks that share points talk
        self._send_blocks = [(q, int(d), int(c)) for q, (d, c) in
                             enumerate(zip(self._sd, self.send_counts)) if c]
        self._recv_blocks = [(q, int(d), int(c)) for q, (d, c) in
                             enumerate(zip(self._rd, self.recv_counts)) if c]

    def _send_recv(self, sendbuf: np.ndarray, dtype, what: str) -> np.ndarray:
        """Send ``sendbuf`` (n_send, ...) in blocks to the owners' peers, return (n_recv, ...)."""
        rkey = (sendbuf.shape[1:], np.dtype(dtype).str)
        recvbuf = self._recvbufs.get(rkey)     # reused: its values are copied out right away
        if recvbuf is None:
            recvbuf = self._recvbufs[rkey] = np.empty((len(self.recv_idx),) + sendbuf.shape[1:],
                                                      dtype=dtype)
        sends = [(q, sendbuf[d:d + c]) for q, d, c in self._send_blocks]
        recvs = [(q, recvbuf[d:d + c]) for q, d, c in self._recv_blocks]
        self.channel.exchange(sends, recvs, what)
        return recvbuf

    def exchange_last(self, a: np.ndarray, what: str = "a halo exchange") -> None:
        """Exchange an array whose last axis runs over the local points (in place)."""
        sendbuf = np.ascontiguousarray(np.moveaxis(a[..., self.send_idx], -1, 0))
        recvbuf = self._send_recv(sendbuf, a.dtype, what)
        a[..., self.recv_idx] = np.moveaxis(recvbuf, 0, -1)

    def exchange_blocked(self, a: np.ndarray, nproma_axis: int = 0, block_axis: int = -1,
                         what: str = "a halo exchange") -> None:
        """Exchange an ICON-blocked array (point p at [p % nproma, ..., p // nproma]) in place."""
        pa, ba = nproma_axis % a.ndim, block_axis % a.ndim
        if abs(pa - ba) == 1 and min(pa, ba) > 0:
            # numpy would keep the point axis in place: bring nproma, block to the front
            a, pa, ba = np.moveaxis(a, (pa, ba), (0, 1)), 0, 1
        key = (a.shape[pa], pa, ba, a.ndim)
        idx = self._blocked.get(key)
        if idx is None:          # index tuples for this layout, computed once
            nproma = a.shape[pa]
            send, recv = [slice(None)] * a.ndim, [slice(None)] * a.ndim
            send[pa], send[ba] = self.send_idx % nproma, self.send_idx // nproma
            recv[pa], recv[ba] = self.recv_idx % nproma, self.recv_idx // nproma
            idx = self._blocked[key] = (tuple(send), tuple(recv))
        # the two index arrays select the points; their axis comes first: (n, rest...)
        sendbuf = np.ascontiguousarray(a[idx[0]])
        recvbuf = self._send_recv(sendbuf, a.dtype, what)
        a[idx[1]] = recvbuf


def halo_lists(all_layouts: Sequence[Layout], kind: str, rank: int) -> tuple:
    """Send and receive position lists of ``rank`` for ``kind`` (computed locally on every rank:
    every rank knows every layout, so no communication is needed to build them)."""
    nranks = len(all_layouts)
    mine = all_layouts[rank]
    n_global = max(int(l.glb[kind].max(initial=0)) for l in all_layouts)
    owner_of = np.full(n_global + 1, -1, dtype=np.int64)
    for q, lay in enumerate(all_layouts):
        owner_of[lay.glb[kind][lay.decomp[kind] == 0]] = q
    my_lut = _lut(mine.glb[kind], n_global)
    send, recv = [], []
    my_halo = np.nonzero(mine.decomp[kind] > 0)[0]
    my_halo_owner = owner_of[mine.glb[kind][my_halo]]
    for q in range(nranks):
        recv.append(my_halo[my_halo_owner == q])
        if q == rank:
            send.append(np.zeros(0, np.int64))
            continue
        lay = all_layouts[q]
        their_halo = lay.glb[kind][lay.decomp[kind] > 0]
        wanted = their_halo[owner_of[their_halo] == rank]
        send.append(my_lut[wanted].astype(np.int64) - 1)
    return send, recv


def sync_label(name: str, jg: int) -> str:
    """What a rank says it does when it synchronises a variable's halo (reports name it)."""
    return f"the halo exchange of ({name}, {jg}) for COMIN_FLAG_SYNC_HALO"


def halo_from_indices(channel: Channel, glb_index: np.ndarray, decomp_domain: np.ndarray) -> Halo:
    """A :class:`Halo` from a rank's descriptive data alone (collective over ``channel``).

    ``glb_index``: the global 1-based index of each local point; ``decomp_domain``:
    0 where this rank owns it.  For hosts that know only what each rank holds
    (a replay of a recording, say): the owners are found with one allgather.
    """
    glb = np.asarray(glb_index, dtype=np.int64)
    dec = np.asarray(decomp_domain)[: len(glb)]
    mine_owned = glb[dec == 0]
    owned = channel.comm.allgather(mine_owned)
    halo_glb = channel.comm.allgather(glb[dec != 0])
    n_global = max(int(max((o.max(initial=0) for o in owned), default=0)),
                   int(glb.max(initial=0)))
    owner_of = np.full(n_global + 1, -1, dtype=np.int64)
    for q, o in enumerate(owned):
        owner_of[o] = q
    lut = _lut(glb.astype(np.int32), n_global)
    rank = channel.rank
    my_halo = np.nonzero(dec != 0)[0]
    my_halo_owner = owner_of[glb[my_halo]]
    if (my_halo_owner < 0).any():
        raise ValueError(f"rank {rank}: halo points without an owner on any rank, e.g. global "
                         f"index {int(glb[my_halo][my_halo_owner < 0][0])}")
    send, recv = [], []
    for q in range(channel.size):
        recv.append(my_halo[my_halo_owner == q])
        theirs = halo_glb[q]
        wanted = theirs[owner_of[theirs] == rank] if q != rank else theirs[:0]
        send.append(lut[wanted].astype(np.int64) - 1)
    return Halo(channel, send, recv)


@dataclasses.dataclass
class Patch:
    """One rank's part of one domain: the local grid, its layout and halo exchanges."""

    rank: int
    nranks: int
    grid: Grid                    # local grid (ICON's local order)
    layout: Layout
    n_global: Dict[str, int]
    halo: Dict[str, Halo]

    @property
    def channel(self) -> Channel:
        return self.halo["cells"].channel

    def decomp_domain(self, kind: str) -> np.ndarray:
        return self.layout.decomp[kind]

    def n_owned(self, kind: str) -> int:
        return self.layout.n_owned(kind)

    def sorted_positions(self, kind: str) -> np.ndarray:
        """Local 0-based positions of this rank's points in global-index order."""
        return np.argsort(self.layout.glb[kind], kind="stable")


def decompose(grids: Sequence[Grid], comm, halo_rows: int = HALO_ROWS) -> List[Patch]:
    """This rank's :class:`Patch` of each domain in ``grids`` (domain 1 first, then its nest).

    ``comm``: the host communicator (mpi4py); its size is the number of parts.
    """
    rank, nranks = comm.Get_rank(), comm.Get_size()
    channel = Channel(comm)
    per_domain = []
    for grid in grids:
        owner = partition(grid, nranks)
        per_domain.append(layouts(grid, owner, halo_rows))
    patches = []
    for d, grid in enumerate(grids):
        mine = per_domain[d][rank]
        child_lut = None
        if d + 1 < len(grids):
            child = grids[d + 1]
            cl = per_domain[d + 1][rank]
            child_lut = {"cells": _lut(cl.glb["cells"], child.ncells),
                         "edges": _lut(cl.glb["edges"], child.nedges)}
        local = local_grid(grid, mine, child_lut)
        halo = {k: Halo(channel, *halo_lists(per_domain[d], k, rank)) for k in KINDS}
        patches.append(Patch(rank, nranks, local, mine,
                             {"cells": grid.ncells, "edges": grid.nedges, "verts": grid.nverts},
                             halo))
    return patches
