"""Parallel conformance: communicators as ComIn hands them out, on 1, 2 and 4 ranks.

Run ``pytest --mpi conformance/`` (launches this file under ``mpiexec -n 1, 2, 4``)
or, with pytest-mpi's convention, ``mpiexec -n 2 python -m pytest --with-mpi
conformance/test_mpi.py``.  Every rank must draw the same hypothesis examples,
or collective calls would deadlock: the tests are derandomized.  Should one still
hang, pytest-timeout ends it (method "thread": a rank blocked inside an MPI call
cannot be interrupted by a signal, so the process exits after dumping its stacks),
and the driver's ``mpiexec`` has a timeout of its own.
"""
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))

comm_names = st.lists(st.sampled_from(["", "a", "b", "c"]), min_size=1, max_size=4)


@pytest.mark.mpi(min_size=1)
@pytest.mark.timeout(180, method="thread")
@settings(derandomize=True, max_examples=15, deadline=None)
@given(comm_names)
def test_plugin_and_host_communicators(names):
    """Each plugin with a comm name gets a communicator of all host ranks, shared by name;
    the host communicator holds every rank; handles are Fortran integers."""
    from mpi4py import MPI

    import comin
    from comin.host import Host, PluginDescription

    world = MPI.COMM_WORLD
    seen = {}

    def make(i, name):
        def constructor():
            host = MPI.Comm.f2py(comin.parallel_get_host_mpi_comm())
            entry = {"host": (host.Get_size(), host.Get_rank(), comin.parallel_get_host_mpi_rank())}
            if name:
                handle = comin.parallel_get_plugin_mpi_comm()
                plug = MPI.Comm.f2py(handle)
                entry["plugin"] = (handle, plug.Get_size(), plug.allreduce(1))
            seen[i] = entry
        return PluginDescription(name=f"p{i}", comm=name, constructor=constructor)

    with Host([make(i, n) for i, n in enumerate(names)]) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()
    for i, name in enumerate(names):
        assert seen[i]["host"] == (world.Get_size(), world.Get_rank(), world.Get_rank())
        if name:
            _handle, size, total = seen[i]["plugin"]
            assert size == world.Get_size() and total == world.Get_size()
    handles = {}
    for i, name in enumerate(names):
        if name:
            handles.setdefault(name, set()).add(seen[i]["plugin"][0])
    assert all(len(h) == 1 for h in handles.values())               # one communicator per name
    assert len({next(iter(h)) for h in handles.values()}) == len(handles)


@pytest.mark.timeout(360, method="thread")
@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_under_mpiexec(request, ranks):
    """The driver of ``pytest --mpi``: run the MPI tests of this file on ``ranks`` ranks."""
    if not request.config.getoption("--mpi"):
        pytest.skip("parallel conformance runs with `pytest --mpi conformance/` "
                    "(or `mpiexec -n 2 python -m pytest --with-mpi conformance/test_mpi.py`)")
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--with-mpi", "--timeout=240", "-k", "not under_mpiexec", os.path.join(HERE, "test_mpi.py")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "1 passed" in r.stdout
