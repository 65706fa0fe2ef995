"""MPI helpers of comin: ComIn's communicator handshake, for hosts and externals.

ComIn splits a communicator into named groups with a collective handshake
(:func:`mpi_handshake`, the protocol ComIn and YAC share): every rank lists
the group names it belongs to, and one communicator per distinct name is
created that holds every rank listing that name.  ComIn does it in two
stages (:func:`comin_handshake`): on ``MPI_COMM_WORLD`` every host process
and every external process (MPMD) lists ``"comin"``; on that communicator
the host lists each plugin's ``comm`` name and ``"comin_host_<component>"``,
an external process (:func:`join`) the plugin comm names it wants to join.

The rank and size of this process (:func:`world_rank`, :func:`world_size`)
are known without initialising MPI; :func:`mpiexec_command` and
:func:`launcher_environ` start MPI programs (tests, benchmarks, the
documentation's examples) with whatever the MPI implementation on PATH needs.

mpi4py is imported only when one of these functions is called, so plugins
that never touch MPI do not initialise it.
"""
from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

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


# -- starting MPI programs -----------------------------------------------------------------
#
# What a launcher needs besides "-n N program" differs between MPI implementations; this is
# the one place that knows it.  Open MPI refuses to run as root unless told twice, and refuses
# more ranks than cores without --oversubscribe; MPICH's Hydra needs neither.

#: prefixes of the variables an MPI launcher (or a singleton MPI_Init: Open MPI puts PMIx's
#: into the C environment) hands to its processes; a launcher started from such a process
#: must not see them, or it takes itself for a part of that job
_LAUNCHER_PREFIXES = ("PMI_", "PMIX_", "HYDRA_", "MPIR_", "MPI_LOCAL", "OMPI_", "ORTE_",
                      "OPAL_", "MV2_")


@functools.lru_cache(maxsize=None)
def _launcher_vendor(path: str) -> str:
    """"Open MPI", "MPICH" or "" (unknown): what ``path --version`` says it is."""
    import subprocess                     # here: ~15 ms at every start otherwise
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60,
                              env=_clean_environ(os.environ))
    except (OSError, subprocess.SubprocessError):
        return ""
    text = proc.stdout + proc.stderr
    if "Open MPI" in text or "OpenRTE" in text:
        return "Open MPI"
    if "HYDRA" in text or "MPICH" in text:
        return "MPICH"
    return ""


def launcher_vendor(launcher: str = "mpiexec") -> str:
    """The MPI implementation of the launcher ``launcher`` on PATH: "Open MPI", "MPICH",
    or "" when it is unknown or missing."""
    path = shutil.which(launcher)
    return _launcher_vendor(os.path.realpath(path)) if path else ""


def mpiexec_command(n: int, argv: Sequence[str], *more: Tuple[int, Sequence[str]],
                    launcher: str = "mpiexec") -> List[str]:
    """The command line that starts ``argv`` on ``n`` ranks, and beside it each
    ``(n_i, argv_i)`` of ``more`` (MPMD, ``:``), with what the launcher on PATH needs to do
    so on any machine (Open MPI: ``--oversubscribe``, since ranks may outnumber cores).
    Run it with :func:`launcher_environ` as the environment."""
    exe = shutil.which(launcher) or launcher
    cmd = [exe, "--oversubscribe"] if launcher_vendor(launcher) == "Open MPI" else [exe]
    for i, (count, args) in enumerate(((n, argv), *more)):
        cmd += [":"] * (i > 0) + ["-n", str(int(count)), *args]
    return cmd


#: variables that show an enclosing MPI job (or an Open MPI singleton)
_JOB_MARKERS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_MCA_ess",
                "OMPI_MCA_orte_ess_num_procs", "MV2_COMM_WORLD_SIZE")


def _clean_environ(environ: Mapping[str, str]) -> Dict[str, str]:
    """``environ`` without a job's launcher variables; the user's own Open MPI settings
    (``OMPI_MCA_*``) stay unless they may be the enclosing job's."""
    inside = any(k in environ for k in _JOB_MARKERS)
    return {k: v for k, v in environ.items()
            if not k.startswith(_LAUNCHER_PREFIXES) or (not inside and k.startswith("OMPI_MCA_"))}


def launcher_environ(environ: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
    """The environment to start an MPI launcher (or any program that may call MPI_Init) with:
    ``environ`` (default: ``os.environ``) without the variables of the MPI job or singleton
    this process may be part of, plus Open MPI's consent to run as root when this process is
    root, plus ``extra``.

    Pass it explicitly (``env=``): a process that initialised MPI carries its job's
    variables in its C environment, which a child started without ``env`` inherits.
    """
    env = _clean_environ(os.environ if environ is None else environ)
    if os.geteuid() == 0 and launcher_vendor() == "Open MPI":
        env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env.update(extra)
    return env


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise ImportError(
            "comin needs mpi4py for MPI communicators: install it against your MPI "
            "(on Debian: apt-get install libopenmpi-dev openmpi-bin; "
            "MPICC=mpicc pip install --no-binary=mpi4py mpi4py)") from exc
    return MPI


#: the group every ComIn host process and every external process that talks to plugins
#: lists in the first stage of the handshake (on MPI_COMM_WORLD)
COMIN_GROUP = "comin"
#: prefix of the host processes' group in the second stage (``comin_host_<component>``)
HOST_GROUP_PREFIX = "comin_host_"
#: seconds a rank waits in the handshake before it gives up on its peers (COMIN_MPI_TIMEOUT
#: overrides): a process of the job that never takes part would otherwise hang every other
HANDSHAKE_TIMEOUT = 300.0


#: seconds between the aborts of consecutive ranks that all notice a handshake failure: the
#: lowest rank ends the job, the others only when it cannot (Open MPI's launcher can hang when
#: several ranks abort at once)
ABORT_STAGGER = 1.0


def _handshake_fail(comm, message: str) -> None:
    """End the job as upstream's handshake does (MPI_Abort on ``comm``), after one line on
    stderr that names this rank: ``  <rank>: ERROR(mpi_handshake): <message>``."""
    rank = comm.Get_rank()
    sys.stdout.flush()
    sys.stderr.write(f"{rank:3d}: ERROR(mpi_handshake): {message}\n")
    sys.stderr.flush()
    time.sleep(ABORT_GRACE + ABORT_STAGGER * min(rank, 60))
    comm.Abort(1)
    raise SystemExit(1)                               # pragma: no cover - Abort does not return


def _handshake_timeout() -> float:
    env = os.environ.get("COMIN_MPI_TIMEOUT", "")
    try:
        return float(env) if env else HANDSHAKE_TIMEOUT
    except ValueError:
        return HANDSHAKE_TIMEOUT


def mpi_handshake(comm, group_names: Sequence[str]) -> List:
    """Split ``comm`` into one communicator per distinct group name (collective).

    ``comm``: an ``mpi4py.MPI.Intracomm``.  Returns, for each entry of
    ``group_names``, the communicator of all processes of ``comm`` (of any
    program) that listed that name, ranked as in ``comm``; entries with the
    same name share one communicator.  An empty list takes part without
    joining a group (upstream's ``mpi_handshake_dummy``).

    The messages are those of the C ``mpi_handshake`` that ComIn and YAC
    share, one for one: ``MPI_Allreduce`` (MIN, one ``MPI_INT``) of the
    protocol version 1; then per round an ``MPI_Allreduce`` (MIN) of the
    lowest rank with a pending name, ``MPI_Bcast`` of its length (one
    ``MPI_INT``) and of its bytes (``MPI_CHAR``, no terminator), and
    ``MPI_Comm_split`` (color 0 or ``MPI_UNDEFINED``, key = rank), until the
    Allreduce gives the size of ``comm``.  So the other side may be a C or
    Fortran program of upstream ComIn, or YAC's own initialisation
    (``yac.YAC()`` lists the group ``"yac"``).

    A peer that breaks the protocol (another version, a name it broadcasts
    twice) or a process of ``comm`` that does not take part within
    ``COMIN_MPI_TIMEOUT`` seconds (default 300) ends the job with one line
    ``<rank>: ERROR(mpi_handshake): ...`` on each rank that notices it, as
    upstream's ``MPI_Abort`` does, never a traceback or a hang.
    """
    MPI = _mpi()
    import threading
    import numpy as np
    names = [str(n) for n in group_names]
    for n in names:
        if not n or len(n.encode()) > _MAX_GROUP_NAME or "\0" in n:
            raise ValueError(f"handshake group name must have 1..{_MAX_GROUP_NAME} characters "
                             f"and no NUL: {n!r}")
    if comm.Is_inter():
        _handshake_fail(comm, "inter-communicators are not supported")
    distinct = list(dict.fromkeys(names))               # a name listed twice is sent once
    one = np.zeros(1, dtype=np.intc)
    done = threading.Event()
    timeout = _handshake_timeout()

    def watchdog() -> None:
        if not done.wait(timeout):
            _handshake_fail(comm, f"no answer from every process of the communicator within "
                                  f"{timeout:g} s: a process of this job does not take part in "
                                  f"the MPI handshake (set COMIN_MPI_TIMEOUT to wait longer)")

    if comm.Get_size() > 1:
        threading.Thread(target=watchdog, name="comin-handshake-watchdog", daemon=True).start()
    try:
        def int_min(value: int) -> int:
            one[0] = value
            comm.Allreduce(MPI.IN_PLACE, [one, MPI.INT], op=MPI.MIN)
            return int(one[0])

        version = int_min(HANDSHAKE_VERSION)
        if version != HANDSHAKE_VERSION:
            _handshake_fail(comm, f"version mismatch: a process of the communicator speaks "
                                  f"version {version} of the MPI handshake, comin speaks "
                                  f"{HANDSHAKE_VERSION}")
        got: Dict[str, object] = {}
        rank, size = comm.Get_rank(), comm.Get_size()
        while True:
            pending = [n for n in distinct if n not in got]
            root = int_min(rank if pending else size)
            if root == size:
                break
            if not 0 <= root < size:
                _handshake_fail(comm, f"broadcasting rank {root} outside 0..{size}")
            name = pending[0].encode() if rank == root else b""
            one[0] = len(name)
            comm.Bcast([one, MPI.INT], root=root)
            buf = bytearray(name) if rank == root else bytearray(int(one[0]))
            comm.Bcast([buf, MPI.CHAR], root=root)
            chosen = buf.decode(errors="replace")
            if chosen in got:
                _handshake_fail(comm, f"group {chosen!r} was broadcast again (a process lists "
                                      "it twice)")
            new = comm.Split(0 if chosen in distinct else MPI.UNDEFINED, rank)
            if chosen in distinct:
                got[chosen] = new
    finally:
        done.set()
    return [got[n] for n in names]


def mpi_handshake_dummy(comm) -> None:
    """Take part in a handshake on ``comm`` without joining a group (upstream's
    ``mpi_handshake_dummy``: processes of the "comin" group that run no ComIn call it)."""
    mpi_handshake(comm, [])


def comin_handshake(plugin_groups: Sequence[str], component: str, *, comm=None, comin_comm=None,
                    groups: Sequence[str] = ()) -> Tuple[object, Dict[str, object], Dict[str, object], object]:
    """A host's part of ComIn's two-stage handshake, as upstream's hosts and ComIn do it.

    Stage 1 (skipped when the host passes ``comin_comm``, as a C or Fortran
    host does to ``comin_parallel_mpi_handshake``): on ``comm`` (default
    ``MPI_COMM_WORLD``) the host lists ``"comin"`` and its own ``groups``
    (e.g. ``"yac"``); the "comin" group's communicator holds every host
    process and every external process that talks to plugins.  Stage 2
    (ComIn's ``comin_parallel_mpi_handshake``): on that communicator the
    host lists the plugins' ``comm`` names and ``comin_host_<component>``.

    Returns ``(comin_comm, {group: comm}, {plugin comm name: comm}, host_comm)``.
    """
    MPI = _mpi()
    group_comms: Dict[str, object] = {}
    if comin_comm is None:
        extra = [g for g in dict.fromkeys(groups) if g != COMIN_GROUP]
        comms = mpi_handshake(MPI.COMM_WORLD if comm is None else comm, [COMIN_GROUP, *extra])
        comin_comm, group_comms = comms[0], dict(zip(extra, comms[1:]))
    names = list(dict.fromkeys(n for n in plugin_groups if n))
    comms = mpi_handshake(comin_comm, [*names, HOST_GROUP_PREFIX + component])
    return comin_comm, group_comms, dict(zip(names, comms[:-1])), comms[-1]


def comm_from_handle(handle: int):
    """The mpi4py communicator of a Fortran handle (``MPI.Comm.f2py``)."""
    return _mpi().Comm.f2py(handle)


def join(*names: str, comm=None, groups: Sequence[str] = ()) -> dict:
    """For a process started beside a ComIn host (MPMD): join the plugin communicators ``names``.

    ``mpirun -n 2 comin run --namelist nml : -n 1 python external.py``: the
    external process calls ``join("monitor")`` once, at start-up, and takes
    part in both stages of ComIn's handshake as upstream's externals do:
    ``"comin"`` (and its own ``groups``) on ``comm`` (default
    ``MPI_COMM_WORLD``), then ``names`` on the "comin" communicator.  It
    returns ``{"monitor": communicator}`` holding the host ranks (of comin or
    of an upstream ComIn host) plus every external process that joined
    "monitor", and ``{group: communicator}`` for ``groups``.  With no names the
    process only takes part (it must, when it shares MPI_COMM_WORLD with a host).
    """
    MPI = _mpi()
    world = MPI.COMM_WORLD if comm is None else comm
    extra = [g for g in dict.fromkeys(groups) if g != COMIN_GROUP]
    stage1 = mpi_handshake(world, [COMIN_GROUP, *extra])
    out = dict(zip(extra, stage1[1:]))
    out.update(zip(names, mpi_handshake(stage1[0], list(names))))
    return out


def roles(comm, mine: str) -> dict:
    """Which ranks of ``comm`` play which role: ``{role: [ranks]}`` (collective).

    A plugin and an external process sharing a communicator call it with
    e.g. "host" and "external" to find each other.
    """
    out: dict = {}
    for rank, role in enumerate(comm.allgather(str(mine))):
        out.setdefault(role, []).append(rank)
    return out
