"""Halo exchange of a decomposed domain, as ICON's ``sync_patch_array`` does it.

A rank of a decomposed domain holds the points it owns and halo points owned
by other ranks (``decomp_domain`` > 0); an exchange gives every halo point
its owner's value.  :class:`Halo` holds one rank's precomputed send/receive
lists of one point kind and exchanges ICON-blocked (nproma, ..., nblks) or
point-last arrays: one contiguous message per pair of ranks that share
points, through a :class:`Channel` that tags every message with what the
exchange is, so that ranks doing different exchanges are reported instead of
mixing data or hanging.  :func:`halo_from_indices` builds a Halo from a
rank's ``glb_index`` and ``decomp_domain`` alone; :class:`HaloSync` is a
host's ComIn halo function (``Host.set_sync_halo``) over such halos.  The
emulator (:mod:`comin.hosts.emulator.decomp`) and the replay host use them.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from comin import _table
from comin.icon.points import group_of
from comin.parallel import abort_world

_C = _table.all_constants()


def local_index_table(glb: np.ndarray, n_global: int) -> np.ndarray:
    """global 1-based index -> local 1-based index (0: not held); entry 0 stays 0."""
    lut = np.zeros(n_global + 1, dtype=np.int32)
    lut[glb] = np.arange(1, len(glb) + 1, dtype=np.int32)
    return lut


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
        message = f"comin emulator (rank {self.rank} of {self.size}): {text}"
        abort_world(message)
        raise RuntimeError(message)      # not reached: a channel has several ranks

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
    lut = local_index_table(glb.astype(np.int32), n_global)
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


class HaloSync:
    """A host's ComIn halo function (``Host.set_sync_halo(HaloSync(host, halo_of))``).

    Called by the core around callbacks for COMIN_FLAG_SYNC_HALO: every halo
    point of the variable gets its owner's value.  The plan of a variable
    (its :class:`Halo`, nproma and block axes, and the label of its exchange)
    is made at its first exchange: ``halo_of(jg, group, name)`` gives the
    Halo of domain ``jg``'s ``group`` ("cells", "edges", "verts", from the
    variable's ``hgrid_id``), or None when the domain is not decomposed
    (nothing to exchange).
    """

    def __init__(self, host, halo_of: Callable[[int, str, str], Optional["Halo"]]):
        self._host, self._halo_of = host, halo_of
        self._plans: Dict[tuple, tuple] = {}

    def __call__(self, handle, mode) -> None:
        plan = self._plans.get(handle.descriptor)
        if plan is None:
            plan = self._plans[handle.descriptor] = self._plan(handle)
        if plan:
            plan[0].exchange_blocked(np.asarray(handle), plan[1], plan[2], plan[3])

    def _plan(self, handle) -> tuple:
        """(Halo, nproma axis, block axis, label), or () when there is nothing to exchange."""
        name, jg = handle.descriptor
        hgrid = self._host.metadata(name, jg).get("hgrid_id", _C["COMIN_HGRID_UNSTRUCTURED_CELL"])
        halo = self._halo_of(jg, group_of(hgrid), name)
        if halo is None:
            return ()
        sem = list(handle.dim_semantics)
        return (halo, sem.index(_C["COMIN_DIM_SEMANTICS_NPROMA"]),
                sem.index(_C["COMIN_DIM_SEMANTICS_BLOCK"]), sync_label(name, jg))
