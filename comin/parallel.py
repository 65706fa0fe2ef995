"""MPI helpers of comin: ComIn's communicator handshake, for hosts and externals.

ComIn splits a communicator (usually ``MPI_COMM_WORLD``) into named groups
with a collective handshake: every rank lists the group names it belongs to,
and one communicator per distinct name is created that holds every rank
listing that name.  The host lists each plugin's ``comm`` name and
``"comin_host_<component>"``; an external process started beside the host
(MPMD) lists the plugin comm name it wants to join.

mpi4py is imported only when one of these functions is called, so plugins
that never touch MPI do not initialise it.
"""
from __future__ import annotations

import os
import sys
import time
from typing import List, Sequence

#: Version of the handshake protocol (the one ComIn/YAC use).
HANDSHAKE_VERSION = 1
_MAX_GROUP_NAME = 256


#: what MPI launchers (MPICH/Hydra, Open MPI, PMIx, MVAPICH) put in the environment
_LAUNCHER_RANK = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MV2_COMM_WORLD_SIZE")


def initialised_world():
    """mpi4py's ``COMM_WORLD`` when mpi4py is imported and MPI is initialised (and not
    finalised), else None.  Never imports mpi4py nor initialises MPI."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is None:
        return None
    try:
        if mpi.Is_initialized() and not mpi.Is_finalized():
            return mpi.COMM_WORLD
    except Exception:  # noqa: BLE001 - a broken (or stand-in) MPI counts as not in use
        pass
    return None


def _from_launcher(names: Sequence[str], default: int) -> int:
    for var in names:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return default


def launcher_size() -> int:
    """Number of processes an MPI launcher announces in the environment (1 without one)."""
    return _from_launcher(_LAUNCHER_SIZE, 1)


def _world_or_launcher(query: str, launcher) -> int:
    """``COMM_WORLD.<query>()`` when MPI is initialised, else ``launcher()``."""
    world = initialised_world()
    if world is not None:
        try:
            return getattr(world, query)()
        except Exception:  # noqa: BLE001 - see initialised_world
            pass
    return launcher()


def world_rank() -> int:
    """This process's rank in MPI_COMM_WORLD without initialising MPI: mpi4py's when MPI
    is initialised, else the launcher's, else 0."""
    return _world_or_launcher("Get_rank", lambda: _from_launcher(_LAUNCHER_RANK, 0))


def world_size() -> int:
    """Number of processes in MPI_COMM_WORLD without initialising MPI (as world_rank)."""
    return _world_or_launcher("Get_size", launcher_size)


def world():
    """MPI_COMM_WORLD (mpi4py) for a process of a parallel run, None for a single process.

    A process is part of a parallel run when MPI is initialised or when a
    launcher started several processes; in the second case this initialises
    MPI.  Hosts and plugins that must know their rank before anything else
    (the replay host picks its rank's file, the recorder names its file) ask
    this; a single process never initialises MPI.
    """
    found = initialised_world()
    if found is not None:
        return found
    if launcher_size() <= 1:
        return None
    return _mpi().COMM_WORLD


#: seconds a rank waits before it aborts the job: the launcher stops forwarding output
#: once a rank aborts, and the rank's last words should reach the user
ABORT_GRACE = 0.5


def abort_world(message: str = "") -> None:
    """End every process of a parallel run (MPI_Abort on MPI_COMM_WORLD, status 1).

    Writes ``message`` (one line, if any) to stderr after flushing stdout, and
    waits :data:`ABORT_GRACE` seconds so the launcher forwards it.  Returns
    without doing anything when MPI is not initialised or runs one process
    (the caller then ends in its own way).
    """
    world = initialised_world()
    if world is None or world.Get_size() < 2:
        return
    sys.stdout.flush()
    if message:
        sys.stderr.write(message + "\n")
    sys.stderr.flush()
    time.sleep(ABORT_GRACE)
    world.Abort(1)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise ImportError(
            "comin needs mpi4py for MPI communicators: install it against your MPI "
            "(on Debian: apt-get install mpich libmpich-dev; "
            "pip install --no-binary=mpi4py mpi4py)") from exc
    return MPI


def mpi_handshake(comm, group_names: Sequence[str]) -> List:
    """Split ``comm`` into one communicator per distinct group name.

    Collective over ``comm`` (an ``mpi4py.MPI.Intracomm``).  Returns, for
    each entry of ``group_names``, the communicator of all ranks (of any
    program in ``comm``) that listed that name; entries with the same name
    share one communicator.  Names are limited to 256 characters.
    """
    MPI = _mpi()
    names = [str(n) for n in group_names]
    for n in names:
        if not n or len(n) > _MAX_GROUP_NAME:
            raise ValueError(f"handshake group name must have 1..{_MAX_GROUP_NAME} characters: {n!r}")
    version = comm.allreduce(HANDSHAKE_VERSION, op=MPI.MIN)
    if version != HANDSHAKE_VERSION:
        raise RuntimeError(f"MPI handshake: peers speak version {version}, "
                           f"this side {HANDSHAKE_VERSION}")
    result: List = [None] * len(names)
    rank, size = comm.Get_rank(), comm.Get_size()
    while True:
        open_ = [i for i, c in enumerate(result) if c is None]
        root = comm.allreduce(rank if open_ else size, op=MPI.MIN)
        if root == size:
            return result
        name = names[open_[0]].encode() if rank == root else b""
        length = comm.bcast(len(name), root=root)
        buf = bytearray(name.ljust(length, b" ") if rank == root else length)
        comm.Bcast([buf, MPI.CHAR], root=root)
        chosen = buf.decode()
        mine = [i for i in open_ if names[i] == chosen]
        new = comm.Split(0 if mine else MPI.UNDEFINED, rank)
        for i in mine:
            result[i] = new


def comm_from_handle(handle: int):
    """The mpi4py communicator of a Fortran handle (``MPI.Comm.f2py``)."""
    return _mpi().Comm.f2py(handle)


def join(*names: str, comm=None) -> dict:
    """For a process started beside a ComIn host (MPMD): join the plugin communicators ``names``.

    ``mpirun -n 2 comin run --namelist nml : -n 1 python external.py``: the
    external process calls ``join("monitor")`` once, at start-up; it meets
    the host's handshake (collective over ``comm``, default
    ``MPI_COMM_WORLD``) and returns ``{"monitor": communicator}`` holding the
    host ranks of every plugin whose ``comm`` is "monitor" plus every external
    process that joined it.  With no names the process only takes part in the
    handshake (it must, when it shares MPI_COMM_WORLD with a host).
    """
    MPI = _mpi()
    world = MPI.COMM_WORLD if comm is None else comm
    return dict(zip(names, mpi_handshake(world, list(names))))


def roles(comm, mine: str) -> dict:
    """Which ranks of ``comm`` play which role: ``{role: [ranks]}`` (collective).

    A plugin and an external process sharing a communicator call it with
    e.g. "host" and "external" to find each other.
    """
    out: dict = {}
    for rank, role in enumerate(comm.allgather(str(mine))):
        out.setdefault(role, []).append(rank)
    return out
