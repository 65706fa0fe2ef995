"""MPI communicators handed out by the interface (Fortran handles, as ComIn)."""
import os
import re
import subprocess
import sys

import pytest
from mpi4py import MPI

import comin
from comin.host import Host, PluginDescription

HERE = os.path.dirname(os.path.abspath(__file__))


def _with_host(plugins):
    with Host(plugins) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()


def test_single_process_comms_are_world_of_size_1():
    res = {}

    def plugin():
        host = comin.parallel_get_host_mpi_comm()
        plug = comin.parallel_get_plugin_mpi_comm()
        assert isinstance(host, int) and isinstance(plug, int)
        res["sizes"] = (MPI.Comm.f2py(host).Get_size(), MPI.Comm.f2py(plug).Get_size())
        res["rank"] = comin.parallel_get_host_mpi_rank()

    _with_host([PluginDescription(name="p", comm="mine", constructor=plugin)])
    assert res == {"sizes": (1, 1), "rank": 0}


def test_plugins_with_same_comm_name_share_one():
    handles = []

    def plugin():
        handles.append(comin.parallel_get_plugin_mpi_comm())

    _with_host([PluginDescription(name="a", comm="x", constructor=plugin),
                PluginDescription(name="b", comm="x", constructor=plugin),
                PluginDescription(name="c", comm="y", constructor=plugin)])
    assert handles[0] == handles[1] != handles[2]


def test_plugin_comm_without_name_finishes(capsys):
    def plugin():
        comin.parallel_get_plugin_mpi_comm()

    with pytest.raises(comin.ComInFinish) as e:
        _with_host([plugin])
    assert e.value.routine == "comin_parallel_get_plugin_mpi_comm"
    assert "'comm' must be set" in e.value.text


def _mpiexec(*args, timeout=60):
    return subprocess.run(["mpiexec", *args], capture_output=True, text=True, timeout=timeout)


def test_two_host_ranks_share_plugin_comm():
    r = _mpiexec("-n", "2", sys.executable, os.path.join(HERE, "mpi", "host_with_comm.py"))
    assert r.returncode == 0, r.stderr
    # ranks' lines may interleave in the launcher's output: match records, not lines
    lines = sorted(re.findall(r"host world=\d+ \{[^}]*\}", r.stdout))
    assert len(lines) == 2, r.stdout
    for rank, line in enumerate(lines):
        assert f"'host_size': 2, 'plug_size': 2, 'rank': {rank}, 'total': 2" in line


def test_external_process_joins_plugin_comm():
    r = _mpiexec("-n", "2", sys.executable, os.path.join(HERE, "mpi", "host_with_comm.py"), ":",
                 "-n", "1", sys.executable, os.path.join(HERE, "mpi", "external.py"))
    assert r.returncode == 0, r.stderr
    hosts = re.findall(r"host world=\d+ \{[^}]*\}", r.stdout)
    assert len(hosts) == 2, r.stdout
    for line in hosts:   # host comm: the 2 host ranks; plugin comm: + the external one
        assert "'host_size': 2, 'plug_size': 3" in line and "'total': 3" in line
    assert re.search(r"external plug_size=3 total=3", r.stdout)
